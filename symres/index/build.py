"""Metadata of an sdist that only its build backend can give (PEP 517), built in isolation.

This runs package code (the backend and the project's ``setup.py``), so it is the last
resort, and the caller says so on stderr. The backend runs on an interpreter of the
target's Python version when this machine has one (old sdists do not build on new
Pythons), in a fresh venv whose build requirements are resolved by that interpreter's
installer from the index symres uses. A failure carries the backend's own last error
lines and the build requirements that were installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyproject_hooks

from symres.errors import MetadataError, SymresError
from symres.index.config import IndexConfig, redact_text, without_credentials
from symres.index.pythons import (
    InterpreterMissing,
    choose_installer,
    create_venv,
    find_interpreter,
    index_args,
    installer_env,
    run,
    venv_python,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
LEGACY_REQUIRES = ("setuptools>=40.8.0",)
HOOK_TIMEOUT = 600.0  # seconds for one backend hook

# pyproject_hooks >= 1.1 re-raises the backend's warnings in this process; they are the
# backend's own business (a failure is reported with its last error line instead)
if (_BACKEND_WARNING := getattr(pyproject_hooks, "BuildBackendWarning", None)) is not None:
    warnings.filterwarnings("ignore", category=_BACKEND_WARNING)


class BuildFailed(MetadataError):
    """The sdist's backend could not produce metadata (remembered in the cache, unless
    *lasting* is false: installing the build requirements failed, which may be the index's
    or ``--offline``'s doing, not the sdist's)."""

    def __init__(self, message: str, hint: str | None = None, *, lasting: bool = True) -> None:
        super().__init__(message, hint)
        self.lasting = lasting


@dataclass(frozen=True)
class BuildSystem:
    requires: tuple[str, ...]
    backend: str
    backend_path: tuple[str, ...] = ()


def build_system(tree: Path) -> BuildSystem:
    """``[build-system]`` of the source tree, with PEP 517's defaults for legacy projects."""
    path = tree / "pyproject.toml"
    data: Mapping[str, Any] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8")).get("build-system", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise BuildFailed(f"invalid pyproject.toml ({exc})") from None
    if "build-backend" not in data:
        return BuildSystem(tuple(data.get("requires", LEGACY_REQUIRES)), LEGACY_BACKEND)
    return BuildSystem(
        tuple(data.get("requires", ())),
        str(data["build-backend"]),
        tuple(data.get("backend-path", ())),
    )


@dataclass(frozen=True)
class BuildPolicy:
    """What the lock's options say about installing build requirements, as uv applies
    them to builds: ``--offline`` (the installer's cache, or ``--find-links`` for pip)
    and ``--exclude-newer`` (ISO 8601; uv only: pip has no such option)."""

    offline: bool = False
    exclude_newer: str | None = None


def build_metadata(
    data: bytes,
    filename: str,
    *,
    python_version: str,
    index: IndexConfig,
    uploaded: str | None = None,
    policy: BuildPolicy = BuildPolicy(),
    announce: Callable[[], None] = lambda: None,
) -> tuple[bytes, str]:
    """``METADATA`` of the sdist *data*, and how it was built (interpreter, requirements).
    *announce* is called once the archive has been found safe to unpack, just before its
    build backend (package code) runs.

    Build requirements are resolved as the build system declares them; when that build
    fails and the sdist's upload time is known (PEP 700), it is tried once more with the
    build requirements that were current then (``--exclude-newer``, with uv): old sdists
    often need the setuptools or Cython of their day."""
    with tempfile.TemporaryDirectory(prefix="symres-sdist-") as tmp:
        root = Path(tmp)
        try:
            extract_sdist(data, filename, root / "src")
        except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            raise MetadataError(f"{filename}: unreadable sdist ({exc})") from exc
        tops = [p for p in (root / "src").iterdir() if p.is_dir()]
        if len(tops) != 1:
            raise MetadataError(f"{filename}: expected one top-level folder in the sdist")
        announce()
        return _build(tops[0], root, filename, python_version, index, uploaded, policy)


def build_tree_metadata(
    tree: Path,
    *,
    python_version: str,
    index: IndexConfig,
    shown: str,
    policy: BuildPolicy = BuildPolicy(),
) -> tuple[bytes, str]:
    """``METADATA`` of a source tree (a project folder, a VCS checkout), built in place
    as pip and uv build it; *shown* names the tree in errors."""
    with tempfile.TemporaryDirectory(prefix="symres-sdist-") as tmp:
        return _build(tree, Path(tmp), shown, python_version, index, None, policy)


def _build(
    tree: Path,
    root: Path,
    filename: str,
    python_version: str,
    index: IndexConfig,
    uploaded: str | None,
    policy: BuildPolicy,
) -> tuple[bytes, str]:
    system = build_system(tree)
    try:
        interpreter = find_interpreter(python_version)
        note = f"Python {python_version}"
    except InterpreterMissing:
        interpreter = Path(sys.executable)
        note = f"Python {sys.version_info[0]}.{sys.version_info[1]} (no {python_version} here)"
    cutoff = policy.exclude_newer
    dates: list[str | None] = [cutoff]
    if uploaded and choose_installer() == "uv" and (cutoff is None or uploaded[:19] < cutoff[:19]):
        dates.append(uploaded)
    first: BuildFailed | None = None
    for n, date in enumerate(dates):
        env = root / f"env{n}"
        builder = _Builder(
            env, interpreter, index, filename, exclude_newer=date, offline=policy.offline
        )
        try:
            raw = builder.build(tree, system, root / f"metadata{n}")
        except BuildFailed as exc:
            first = first or exc
            first.lasting = first.lasting and exc.lasting
            if date is not None:
                again = exc.message.removeprefix(f"{filename}: ")
                first.message += f"; with the build requirements of {date[:10]}: {again}"
            continue
        when = f", build requirements as of {date[:10]}" if date else ""
        return raw, f"{note}{when}"
    assert first is not None
    raise first


class _Builder:
    """One isolated build environment: a venv, its build requirements, the backend's hooks."""

    def __init__(
        self,
        root: Path,
        interpreter: Path,
        index: IndexConfig,
        filename: str,
        *,
        exclude_newer: str | None = None,
        offline: bool = False,
    ) -> None:
        self.filename = filename
        self.index = index
        self.exclude_newer = exclude_newer
        self.offline = offline
        self.installer = choose_installer()
        self.output: list[str] = []
        try:
            create_venv(root, interpreter, self.installer)
        except SymresError as exc:  # no venv: this machine's doing, not the sdist's
            raise BuildFailed(f"{filename}: {exc.message}", exc.hint, lasting=False) from None
        self.python = venv_python(root)

    def build(self, tree: Path, system: BuildSystem, out: Path) -> bytes:
        self.install(system.requires, "its build requirements")
        hooks = self.hooks(tree, system)
        extra = self.call(hooks, "get_requires_for_build_wheel")
        self.install(tuple(extra), "what its backend asked for")
        out.mkdir()
        name = str(self.call(hooks, "prepare_metadata_for_build_wheel", str(out)))
        return (out / name / "METADATA").read_bytes()

    def install(self, requirements: Sequence[str], what: str) -> None:
        if not requirements:
            return
        if self.installer == "uv":
            # pip's semantics: every index is searched for the best match
            cmd = ["uv", "pip", "install", "--quiet", "--python", str(self.python)]
            cmd += ["--index-strategy", "unsafe-best-match"]
            if self.exclude_newer:
                cmd += ["--exclude-newer", self.exclude_newer]
            cmd += ["--offline"] if self.offline else []
        else:
            cmd = [str(self.python), "-m", "pip", "install", "--quiet"]
            cmd += ["--disable-pip-version-check"]
        where = index_args(self.index, self.installer)
        if self.offline and self.installer == "pip":  # no cache-only mode: local folders
            where = ["--no-index", *(a for f in self.index.find_links for a in ("-f", f))]
        done = run([*cmd, *where, *requirements], env=installer_env(self.index, self.installer))
        if done.returncode != 0:
            hint = "pin a version of this project that ships a wheel for the target"
            if self.offline and self.installer == "uv":
                hint = "run once without `--offline`, so that uv's cache holds them"
            elif self.offline:
                hint = "put them in a `--find-links` folder, or run without `--offline`"
            raise BuildFailed(
                f"{self.filename}: installing {what} ({', '.join(requirements)}) failed: "
                f"{_last_error(done.stderr or done.stdout)}",
                hint,
                lasting=False,
            )

    def installed(self) -> str:
        """What the build environment holds, as ``name==version`` (for messages)."""
        if self.installer == "uv":
            done = run(["uv", "pip", "freeze", "--python", str(self.python)])
        else:
            done = run([str(self.python), "-m", "pip", "freeze", "--disable-pip-version-check"])
        pins = [line.strip() for line in done.stdout.splitlines() if "==" in line]
        return ", ".join(pins) or "nothing"

    def hooks(self, tree: Path, system: BuildSystem) -> Any:
        from pyproject_hooks import BuildBackendHookCaller

        return BuildBackendHookCaller(
            str(tree),
            system.backend,
            backend_path=list(system.backend_path) or None,
            runner=self._runner,
            python_executable=str(self.python),
        )

    def _runner(
        self,
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        env = {**without_credentials(os.environ), **(extra_environ or {})}
        try:
            done = subprocess.run(
                list(cmd),
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                timeout=HOOK_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            self.output = [f"the backend ran past {HOOK_TIMEOUT:.0f}s (timed out)"]
            raise
        self.output = done.stdout.splitlines()
        if done.returncode != 0:
            raise subprocess.CalledProcessError(done.returncode, cmd)

    def call(self, hooks: Any, hook: str, *args: str) -> Any:
        try:
            return getattr(hooks, hook)(*args)
        except Exception as exc:  # the backend's failure, whatever it is
            said = _last_error("\n".join(self.output)) or (str(exc).strip() or type(exc).__name__)
            raise BuildFailed(
                f"{self.filename}: metadata build failed in `{hook}`: {said} "
                f"(build environment: {self.installed()})",
                hint="pin a version of this project that ships a wheel for the target, "
                "or install what its build needs",
            ) from None


def _last_error(text: str) -> str:
    """The line of the backend's output that says what went wrong."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    noise = ("Traceback", 'File "', "^", "~", "----", "[end of output]", "note:", "hint:")
    useful = [line for line in lines if not line.startswith(noise)]
    for line in reversed(useful):
        low = line.lower()
        if "error" in low or "not found" in low or "failed" in low or "exception" in low:
            return redact_text(line[:300])
    return redact_text(useful[-1][:300]) if useful else ""


def extract_sdist(data: bytes, filename: str, dest: Path) -> None:
    import io

    dest.mkdir(parents=True, exist_ok=True)
    if filename.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for name in zf.namelist():
                target = (dest / name).resolve()
                if not target.is_relative_to(dest.resolve()):
                    raise MetadataError(f"{filename}: member {name!r} escapes the archive")
            zf.extractall(dest)
        return
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tf:
        tf.extractall(dest, filter="data")
