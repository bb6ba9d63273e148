"""A long lock on a terminal says which phase it is in, and on what."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys

import pytest

from tests.conftest import Project

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_in_pty(args: list[str], env: dict[str, str], cwd: str) -> tuple[int, str]:
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=60), ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))


@pytest.mark.slow
def test_a_lock_on_a_terminal_shows_each_phase(project: Project) -> None:
    backend = (
        "import os\n"
        "def prepare_metadata_for_build_wheel(d, c=None):\n"
        "    info = os.path.join(d, 'built-1.0.dist-info')\n"
        "    os.makedirs(info)\n"
        "    with open(os.path.join(info, 'METADATA'), 'w') as f:\n"
        "        f.write('Metadata-Version: 2.1\\nName: built\\nVersion: 1.0\\n')\n"
        "    return 'built-1.0.dist-info'\n"
    )
    project.sdist("built", "1.0", static=False, backend=backend)
    project.wheel("app", "1.0", requires=["lib", "built"], files={"app/main.py": "import lib\n"})
    project.wheel("lib", "1.0", files={"lib/core.py": "X = 1\n"})
    project.write("requirements.in", "app\n")
    project.index.delay = 0.15  # a slow index: every phase lasts long enough to be drawn
    env = {**os.environ, "COLUMNS": "200", "TERM": "xterm"}
    env.pop("NO_COLOR", None)

    code, out = run_in_pty(
        [sys.executable, "-m", "symres", "lock", "-i", project.index.url, "requirements.in"],
        env,
        str(project.root),
    )

    assert code == 0, out
    assert "Resolving: " in out and "reading the metadata of app 1.0" in out
    assert "running the build backend of built 1.0 for its metadata" in out
    assert "building `built 1.0` from its sdist to read its metadata" in out  # a line of its own
    assert "Checking symbols: " in out and "mining the uses of app 1.0" in out
    assert "Locked 3 packages" in out
