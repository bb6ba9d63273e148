"""The lock formats, behind one seam: each says its name (``--format``), its file name,
which files are its own, how it is written and how it is read back. Adding a format is
one module that makes a :class:`LockFormat`, and a line in :data:`FORMATS`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from packaging.pylock import is_valid_pylock_path
from packaging.utils import NormalizedName
from packaging.version import Version

from symres.errors import InputError
from symres.lock.lockfile import LockFile, parse_pylock, parse_requirements_lock
from symres.lock.txt import Header, render_requirements

if TYPE_CHECKING:
    from symres.resolve.run import LockedPackage
    from symres.target import Target


@dataclass(frozen=True)
class Rendering:
    """What a lock is written from, whatever its format."""

    packages: Sequence[LockedPackage]
    target: Target
    header: Header  # the command line; the index lines where the format has them
    base: Path  # the folder the lock's paths are relative to
    annotation: Literal["split", "line"] | None = "split"


@dataclass(frozen=True)
class LockFormat:
    name: str  # as `--format` names it
    filename: str  # the lock's name when none is given
    render: Callable[[Rendering], str]
    parse: Callable[[str, Path], LockFile]
    owns: Callable[[Path], bool]  # a file of this format, by its name
    valid_name: Callable[[Path], bool] = lambda path: True
    name_rule: str = ""  # who says which names are valid
    name_hint: str = ""

    def check_name(self, path: Path) -> None:
        if not self.valid_name(path):
            raise InputError(f"`{path}` is not a name {self.name_rule}", hint=self.name_hint)


def _render_pylock(r: Rendering) -> str:
    from symres.lock.pylock import render_pylock  # tomli-w: only when one is written

    return render_pylock(r.packages, r.target, r.header.command, r.base)


REQUIREMENTS = LockFormat(
    "requirements",
    "requirements.txt",
    lambda r: render_requirements(r.packages, r.header, annotation=r.annotation),
    parse_requirements_lock,
    owns=lambda path: path.suffix != ".toml",
)
PYLOCK = LockFormat(
    "pylock",
    "pylock.toml",
    _render_pylock,
    parse_pylock,
    owns=lambda path: path.suffix == ".toml",
    valid_name=is_valid_pylock_path,
    name_rule="PEP 751 allows for a lock",
    name_hint="name it `pylock.toml` or `pylock.NAME.toml` (e.g. `pylock.py310.toml`)",
)
FORMATS: dict[str, LockFormat] = {f.name: f for f in (REQUIREMENTS, PYLOCK)}


def format_of(path: Path) -> LockFormat:
    """The format of a lock file, by its name (requirements.txt unless another owns it)."""
    return next(f for f in FORMATS.values() if f.owns(path))


def read_lockfile(path: Path) -> LockFile:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(
            f"no such lock `{path}`", hint="give a requirements.txt or pylock.toml"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the lock `{path}` ({exc})") from None
    return format_of(path).parse(text, path)


def read_pins(path: Path) -> dict[NormalizedName, Version]:
    """The pins of an existing lock (to keep them); none where it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
        lock = format_of(path).parse(text, path)
    except (OSError, InputError):
        return {}
    return {e.name: e.version for e in lock.entries.values()}
