"""Environments for the verify tiers: find the target's interpreter, make a venv (uv when
present, else venv + pip), and install a lock into it with ``--require-hashes
--no-deps``. Installers run as subprocesses; symres never imports what it installs."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from symres.errors import SymresError
from symres.index.config import IndexConfig
from symres.lock.lockfile import LockedEntry

Installer = Literal["uv", "pip"]
_READY = ".symres-installed"
_VERSION_PROBE = "import sys; print('%d.%d' % sys.version_info[:2])"


@dataclass(frozen=True)
class Environment:
    root: Path
    python: Path
    version: str  # "3.11"
    created: bool  # made by this run (and installed into)
    kept: bool  # stays after this run


@dataclass(frozen=True)
class InstallFailure:
    name: str
    version: str
    message: str


def _run(cmd: Sequence[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(cmd), capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False
    )


def interpreter_version(python: str | Path) -> str | None:
    try:
        done = _run([str(python), "-c", _VERSION_PROBE])
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


def find_interpreter(version: str, explicit: str | None = None) -> Path:
    """An interpreter for Python *version* (``X.Y``): ``--python`` when given, this one when
    it matches, then uv's discovery, ``pythonX.Y`` on PATH, and pyenv's versions."""
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
        done = _run(["uv", "python", "find", "--no-project", version])
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
    raise SymresError(
        f"no Python {version} interpreter found here, and the lock is for Python {version}",
        hint=f"install Python {version} (e.g. `uv python install {version}`), "
        "or pass `--python PATH`",
    )


def _patch(folder: Path) -> int:
    tail = folder.name.split(".")[2:3]
    return int(tail[0]) if tail and tail[0].isdigit() else -1


def existing_environment(path: Path) -> Environment:
    """``--env PATH``: a venv folder or an interpreter, used as it is."""
    python = path if path.is_file() else venv_python(path)
    version = interpreter_version(python) if python.exists() else None
    if version is None:
        raise SymresError(
            f"`{path}` is not a Python environment (no working `{python}`)",
            hint="give a venv folder or the path of its python",
        )
    return Environment(path, python, version, created=False, kept=True)


def lock_key(requirements: str, version: str, installer: Installer) -> str:
    digest = hashlib.sha256(f"{version}\0{installer}\0{requirements}".encode())
    return digest.hexdigest()[:16]


@contextmanager
def verify_environment(
    *,
    requirements: str,
    interpreter: Path,
    version: str,
    installer: Installer,
    cache_dir: Path | None,
    keep: bool,
    fresh: bool,
) -> Iterator[Environment]:
    """A venv holding the lock. A venv kept (``--keep-venv``) lives in the cache under the
    lock's hash and is reused by the next run on the same lock; any other is made in a
    temporary folder and removed."""
    cached = cache_dir / "venvs" / lock_key(requirements, version, installer) if cache_dir else None
    if cached is not None and fresh and cached.exists():
        shutil.rmtree(cached, ignore_errors=True)
    if cached is not None and (cached / _READY).is_file():
        yield Environment(cached, venv_python(cached), version, created=False, kept=True)
        return
    if keep and cached is not None:
        shutil.rmtree(cached, ignore_errors=True)  # an unfinished one from a killed run
        cached.parent.mkdir(parents=True, exist_ok=True)
        root, temp = cached, None
    else:
        temp = Path(tempfile.mkdtemp(prefix="symres-venv-"))
        root = temp / "venv"
    try:
        create_venv(root, interpreter, installer)
        env = Environment(root, venv_python(root), version, created=True, kept=temp is None)
        yield env
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


def mark_ready(env: Environment) -> None:
    """An installed, kept venv is reusable; one interrupted mid-install is not."""
    if env.kept and env.created:
        (env.root / _READY).write_text("", encoding="utf-8")


def create_venv(root: Path, interpreter: Path, installer: Installer) -> None:
    if installer == "uv":
        cmd = ["uv", "venv", "--quiet", "--no-project", "--python", str(interpreter), str(root)]
    else:
        cmd = [str(interpreter), "-m", "venv", str(root)]
    done = _run(cmd)
    if done.returncode != 0:
        raise SymresError(
            f"could not create a venv with `{interpreter}`: {_error_line(done)}",
            hint="check that the interpreter has the venv module (`python -m venv`)",
        )


def _index_args(index: IndexConfig, installer: Installer) -> list[str]:
    args = ["--index-url", index.index_url]
    for url in index.extra_index_urls:
        args += ["--extra-index-url", url]
    if index.cert and installer == "pip":
        args += ["--cert", index.cert]
    return args


def _install_cmd(env: Environment, installer: Installer, requirement_file: Path) -> list[str]:
    if installer == "uv":
        return [
            "uv",
            "pip",
            "install",
            "--quiet",
            "--python",
            str(env.python),
            "--require-hashes",
            "--no-deps",
            # pip's semantics: every index is searched; the hashes pin the files
            "--index-strategy",
            "unsafe-best-match",
            "-r",
            str(requirement_file),
        ]
    return [
        str(env.python),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        "--require-hashes",
        "--no-deps",
        "-r",
        str(requirement_file),
    ]


def _installer_env(index: IndexConfig, installer: Installer) -> dict[str, str]:
    env = dict(os.environ)
    if installer == "uv" and index.cert:
        env["SSL_CERT_FILE"] = index.cert
    return env


def install(
    env: Environment,
    requirements: str,
    entries: Sequence[LockedEntry],
    index: IndexConfig | None,
    installer: Installer,
) -> list[InstallFailure]:
    """Install the lock; when the whole install fails, install each package alone, so the
    report names every one that cannot be installed (the others are then in place)."""
    work = Path(tempfile.mkdtemp(prefix="symres-install-"))
    try:
        lock_file = work / "requirements.txt"
        lock_file.write_text(requirements, encoding="utf-8")
        extra = _index_args(index, installer) if index is not None else []
        process_env = _installer_env(index, installer) if index is not None else None
        done = _run([*_install_cmd(env, installer, lock_file), *extra], env=process_env)
        if done.returncode == 0:
            return []
        failures = []
        for entry in entries:
            one = work / f"{entry.name}.txt"
            header = [line for line in requirements.splitlines() if line.startswith("--")]
            one.write_text("\n".join([*header, entry.requirement_line()]) + "\n", encoding="utf-8")
            alone = _run([*_install_cmd(env, installer, one), *extra], env=process_env)
            if alone.returncode != 0:
                failures.append(InstallFailure(entry.name, str(entry.version), _error_line(alone)))
        if not failures:  # each installs alone: the failure was in the whole
            failures.append(InstallFailure("(the lock)", "", _error_line(done)))
        return failures
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The installer's own explanation, in one line."""
    lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    picked = [
        line.lstrip("╰─▶ ").strip()
        for line in lines
        if line.lower().startswith(("error", "cause", "╰─▶"))
        or ("hash" in line.lower() and "mismatch" in line.lower())
    ]
    text = " ".join(picked[:3]) if picked else (lines[-1] if lines else f"exit {done.returncode}")
    return text[:400]
