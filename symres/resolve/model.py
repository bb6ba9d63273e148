"""The resolver's vocabulary (resolvelib's glossary): requirements and candidates.

An *identifier* is a project name, with extras in brackets when a requirement asks
for some (``uvicorn[standard]``); the virtual project ``python`` stands for the
target interpreter, so that ``Requires-Python`` is a requirement like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from symres.index.pages import DistFile

PYTHON = "python"


def identifier_of(name: NormalizedName | str, extras: frozenset[str] = frozenset()) -> str:
    return f"{name}[{','.join(sorted(extras))}]" if extras else str(name)


@dataclass(frozen=True)
class Requirement:
    """A need for a project. ``source`` says where it came from (``requirements.in:3``,
    ``flask 2.2.2``); ``why`` explains narrowings that are not declared ranges."""

    name: NormalizedName
    specifier: SpecifierSet
    extras: frozenset[str] = frozenset()
    source: str = ""
    why: str | None = None

    @property
    def identifier(self) -> str:
        return identifier_of(self.name, self.extras)

    def allows(self, version: Version) -> bool:
        """Whether *version* is in range; whether pre-releases are wanted at all is the
        provider's policy (``find_matches``)."""
        return self.specifier.contains(version, prereleases=True)

    def __str__(self) -> str:
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        return f"{self.name}{extras}{self.specifier}"


@dataclass(frozen=True)
class Release:
    """A version of a project with the files usable on the target."""

    name: NormalizedName
    version: Version
    files: tuple[DistFile, ...]
    yanked: bool = False

    @property
    def wheels(self) -> tuple[DistFile, ...]:
        return tuple(f for f in self.files if f.kind == "wheel")


@dataclass(frozen=True)
class Candidate:
    name: NormalizedName
    version: Version
    extras: frozenset[str] = frozenset()
    release: Release | None = field(default=None, compare=False, hash=False)

    @property
    def identifier(self) -> str:
        return identifier_of(self.name, self.extras)

    def __str__(self) -> str:
        return f"{self.name} {self.version}"
