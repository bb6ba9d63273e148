"""The lock is what pip installs: `pip install --require-hashes -r requirements.txt`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pip
import pytest

from tests.conftest import Project


@pytest.mark.slow
def test_pip_installs_the_lock_with_hashes_and_it_imports(
    project: Project, capsys, tmp_path: Path
) -> None:
    project.wheel(
        "app",
        "1.0",
        requires=["helper>=1"],
        files={"app/__init__.py": "from helper import greet\nMESSAGE = greet()\n"},
    )
    project.wheel("helper", "1.0", files={"helper/__init__.py": "def greet():\n    return 'hi'\n"})
    project.sdist("helper", "1.0")
    project.write("requirements.in", "app\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--no-input",
            "--disable-pip-version-check",
            "--isolated",
            "--require-hashes",
            "--index-url",
            project.index.url,
            "-r",
            str(project.root / "requirements.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert install.returncode == 0, install.stderr
    run = subprocess.run(
        [str(python), "-c", "import app; print(app.MESSAGE)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.stdout.strip() == "hi", run.stderr


@pytest.mark.slow
def test_pip_sync_installs_the_lock(project: Project, capsys, tmp_path: Path) -> None:
    """pip-compile users switch without changing their tooling: pip-sync takes the lock as is."""
    project.wheel("app", "2.0", requires=["helper"])
    project.wheel("helper", "1.0", files={"helper/__init__.py": "VALUE = 42\n"})
    project.write("requirements.in", "app\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    # the pip that runs pip-tools, not ensurepip's: pip-sync refuses a target pip older
    # than the one it was installed with (CI on 2026-12-03: 23.2.1 against >=26.2.2)
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    ours = Path(pip.__file__).parent
    shutil.copytree(ours, site / "pip")
    for info in ours.parent.glob("pip-*.dist-info"):
        shutil.copytree(info, site / info.name)
    pip_sync = Path(sys.executable).parent / "pip-sync"
    sync = subprocess.run(
        [
            str(pip_sync),
            "--python-executable",
            str(python),
            "--pip-args",
            f"--isolated --index-url {project.index.url}",
            str(project.root / "requirements.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert sync.returncode == 0, sync.stderr + sync.stdout
    run = subprocess.run(
        [str(python), "-c", "import helper, app; print(helper.VALUE, app.__version__)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.stdout.split() == ["42", "2.0"], run.stderr
