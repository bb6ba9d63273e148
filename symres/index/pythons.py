"""Python interpreters and venvs on this machine: finding the interpreter for a target
Python, making a venv (uv when present, else ``venv`` + pip) and the installer's index
options. Used by verify's environments and by sdist metadata builds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from symres.errors import SymresError
from symres.index.config import IndexConfig, without_credentials

Installer = Literal["uv", "pip"]
_VERSION_PROBE = "import sys; print('%d.%d' % sys.version_info[:2])"


class InterpreterMissing(SymresError):
    """No interpreter for the Python version asked for."""


def run(cmd: Sequence[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(cmd), capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False
    )


def interpreter_version(python: str | Path) -> str | None:
    try:
        done = run([str(python), "-c", _VERSION_PROBE])
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def venv_python(root: Path) -> Path:
    return root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def choose_installer(requested: str = "auto") -> Installer:
    if requested == "pip":
        return "pip"
    if shutil.which("uv"):
        return "uv"
    if requested == "uv":
        raise SymresError(
            "`--installer uv` was asked for, but `uv` is not on PATH",
            hint="install uv, or use `--installer pip`",
        )
    return "pip"


def find_interpreter(version: str, explicit: str | None = None, *, why: str = "") -> Path:
    """An interpreter for Python *version* (``X.Y``): ``--python`` when given, this one when
    it matches, then uv's discovery, ``pythonX.Y`` on PATH, and pyenv's versions. *why*
    ends the error's first sentence (``, and the lock is for Python 3.8``)."""
    if explicit:
        found = interpreter_version(explicit)
        if found is None:
            raise SymresError(
                f"`--python {explicit}` does not run",
                hint="give the path of a Python interpreter",
            )
        return Path(shutil.which(explicit) or explicit)
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
        return Path(sys.executable)
    candidates: list[str] = []
    if shutil.which("uv"):
        done = run(["uv", "python", "find", "--no-project", version])
        if done.returncode == 0 and done.stdout.strip():
            candidates.append(done.stdout.strip())
    for name in (f"python{version}", f"python{version.replace('.', '')}"):
        if path := shutil.which(name):
            candidates.append(path)
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    if pyenv.is_dir():  # pyenv's shims refuse versions that are not selected
        installs = sorted(pyenv.glob(f"{version}.*/bin/python"), key=lambda p: _patch(p.parents[1]))
        candidates += [str(p) for p in reversed(installs)]
    for candidate in candidates:
        if interpreter_version(candidate) == version:
            return Path(candidate)
    raise InterpreterMissing(
        f"no Python {version} interpreter found here{why}",
        hint=f"install Python {version} (e.g. `uv python install {version}`), "
        "or pass `--python PATH`",
    )


def _patch(folder: Path) -> int:
    tail = folder.name.split(".")[2:3]
    return int(tail[0]) if tail and tail[0].isdigit() else -1


def create_venv(root: Path, interpreter: Path, installer: Installer) -> None:
    if installer == "uv":
        cmd = ["uv", "venv", "--quiet", "--no-project", "--python", str(interpreter), str(root)]
    else:
        cmd = [str(interpreter), "-m", "venv", str(root)]
    done = run(cmd)
    if done.returncode != 0:
        raise SymresError(
            f"could not create a venv with `{interpreter}`: {last_line(done)}",
            hint="check that the interpreter has the venv module (`python -m venv`)",
        )


def index_args(index: IndexConfig, installer: Installer) -> list[str]:
    """Where the installer finds packages: symres' indexes, find-links and --no-index."""
    args = ["--no-index"] if index.no_index else ["--index-url", index.index_url]
    for url in () if index.no_index else index.extra_index_urls:
        args += ["--extra-index-url", url]
    for location in index.find_links:
        args += ["--find-links", location]
    if index.cert and installer == "pip":
        args += ["--cert", index.cert]
    return args


def installer_env(index: IndexConfig, installer: Installer) -> dict[str, str]:
    """The installer's environment: it may build sdists (package code), so no credential
    variables; the index credentials it needs are in its --index-url arguments."""
    env = without_credentials(os.environ)
    if installer == "uv" and index.cert:
        env["SSL_CERT_FILE"] = index.cert
    return env


def last_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in (done.stderr or done.stdout or "").splitlines()]
    lines = [line for line in lines if line]
    return lines[-1][:300] if lines else f"exit {done.returncode}"
