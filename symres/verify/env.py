"""Environments for the verify tiers: find the target's interpreter, make a venv (uv when
present, else venv + pip), and install a lock into it with ``--require-hashes
--no-deps``. Installers run as subprocesses; symres never imports what it installs."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from symres.errors import SymresError
from symres.index.config import IndexConfig, redact_text
from symres.index.pythons import (
    Installer,
    create_venv,
    index_args,
    installer_env,
    interpreter_version,
    run,
    venv_python,
)
from symres.lock.lockfile import LockedEntry

_READY = ".symres-installed"


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
    hash_mismatch: bool = False  # the file's bytes are not those the lock's hashes name


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
        extra = index_args(index, installer) if index is not None else []
        process_env = installer_env(index, installer) if index is not None else None
        done = run([*_install_cmd(env, installer, lock_file), *extra], env=process_env)
        if done.returncode == 0:
            return []
        failures = []
        for entry in entries:
            one = work / f"{entry.name}.txt"
            header = [line for line in requirements.splitlines() if line.startswith("--")]
            one.write_text("\n".join([*header, entry.requirement_line()]) + "\n", encoding="utf-8")
            alone = run([*_install_cmd(env, installer, one), *extra], env=process_env)
            if alone.returncode != 0:
                failures.append(
                    InstallFailure(
                        entry.name, str(entry.version), _error_line(alone), _mismatch(alone)
                    )
                )
        if not failures:  # each installs alone: the failure was in the whole
            failures.append(InstallFailure("(the lock)", "", _error_line(done)))
        return failures
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _mismatch(done: subprocess.CompletedProcess[str]) -> bool:
    """Whether the installer refused a file because its bytes are not the hashed ones
    (pip: "do not match the hashes"; uv: "hash mismatch"). Both say it on stderr; stdout
    carries what the packages' builds print, which may say anything."""
    said = done.stderr.lower()
    return "hash mismatch" in said or "do not match the hashes" in said


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
    return redact_text(text[:400])
