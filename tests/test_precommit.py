"""The pre-commit hooks of this repository, run by the real pre-commit tool through
`pre-commit try-repo` in a temporary git repository.

pre-commit installs symres from this checkout into its own venv; the test index on
127.0.0.1 serves what that install needs (symres' dependencies, repacked from this
environment), so these tests stay offline.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import symres
from symres.cli import main
from tests.builders import build_wheel
from tests.index_server import IndexServer
from tests.wheelhouse import symres_wheelhouse

CHECKOUT = Path(symres.__file__).resolve().parent.parent
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")


@pytest.fixture(scope="module")
def hook_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """symres' dependencies, and a flask that imports url_quote, which werkzeug 3 lacks."""
    wheels = tmp_path_factory.mktemp("wheels")
    server = IndexServer()
    for path in symres_wheelhouse(wheels):
        server.add(path)
    server.add(
        build_wheel(
            wheels,
            "flask",
            "2.2.2",
            requires=["werkzeug>=2.2.2"],
            files={"flask/__init__.py": "from werkzeug.urls import url_quote\n"},
        )
    )
    for version, body in [("2.3.8", "def url_quote(s): return s\n"), ("3.0.0", "")]:
        server.add(
            build_wheel(
                wheels,
                "werkzeug",
                version,
                files={"werkzeug/__init__.py": "", "werkzeug/urls.py": body},
            )
        )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def repo(tmp_path: Path, hook_index: IndexServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.setenv("PIP_INDEX_URL", hook_index.url)  # for the hooks' `symres lock` and pip
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    for key, value in {"NAME": "symres tests", "EMAIL": "tests@example.com"}.items():
        monkeypatch.setenv(f"GIT_AUTHOR_{key}", value)
        monkeypatch.setenv(f"GIT_COMMITTER_{key}", value)
    subprocess.run(["git", "init", "-q", "-b", "main"], check=True)
    (root / "requirements.in").write_text("flask==2.2.2\n")
    return root


def try_repo() -> subprocess.CompletedProcess[str]:
    subprocess.run(["git", "add", "-A"], check=True)
    return subprocess.run(
        [*PRE_COMMIT, "try-repo", str(CHECKOUT), "--all-files", "--color", "never"],
        capture_output=True,
        text=True,
        timeout=600,
    )


def lock(capsys: pytest.CaptureFixture[str], *args: str) -> None:
    assert main(["lock", "-q", *args]) == 0, capsys.readouterr().err


@pytest.mark.slow
def test_hooks_pass_a_good_lock(repo: Path, capsys) -> None:
    lock(capsys)  # as the hook would: `symres lock` on requirements.in
    assert "werkzeug==2.3.8" in (repo / "requirements.txt").read_text()

    done = try_repo()

    assert done.returncode == 0, done.stdout + done.stderr
    assert "symres check" in done.stdout and "symres lock" in done.stdout
    assert "Failed" not in done.stdout


@pytest.mark.slow
def test_hooks_refuse_a_lock_with_a_symbol_break(repo: Path, capsys) -> None:
    lock(capsys)  # mines the facts into the database the offline check reads
    lock(capsys, "--symbols", "off", "--upgrade")  # what pip-compile locks: werkzeug 3.0.0
    bad = (repo / "requirements.txt").read_text()
    assert "werkzeug==3.0.0" in bad

    done = try_repo()

    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    check_part, lock_part = out.split("symres lock", 1)
    assert "Failed" in check_part
    assert (
        "requirements.txt: flask 2.2.2 imports `url_quote` from `werkzeug.urls` "
        "(flask/__init__.py:1); werkzeug 3.0.0 has no `url_quote` in `werkzeug.urls`"
    ) in check_part
    assert "Failed" in lock_part and "files were modified by this hook" in lock_part
    assert "werkzeug==2.3.8" in (repo / "requirements.txt").read_text()  # the hook re-locked


@pytest.mark.slow
def test_check_hook_refuses_a_stale_lock(repo: Path, capsys) -> None:
    lock(capsys)
    (repo / "requirements.in").write_text("flask==2.2.2\nwerkzeug>=3\n")

    done = try_repo()

    assert done.returncode == 1
    assert (
        "requirements.txt: requirements.in:2 requires `werkzeug>=3`; the lock pins werkzeug==2.3.8"
    ) in done.stdout
