"""The resolver's vocabulary (resolvelib's glossary): requirements and candidates.

An *identifier* is a project name, with extras in brackets when a requirement asks
for some (``uvicorn[standard]``). The target Python is fixed: ``Requires-Python`` is a
filter on candidates (an :class:`Exclusion` says why a version is not one), never a
requirement the resolver could backtrack over.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Literal

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from symres.index.direct import DirectSource
from symres.index.pages import DistFile, decode_foreign


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
    overrule: str | None = None  # the `--ignore-symbol` value that lifts a symbol narrowing

    @property
    def identifier(self) -> str:
        return identifier_of(self.name, self.extras)

    @functools.cached_property
    def exact(self) -> frozenset[Version]:
        """The versions ``==`` / ``===`` name (no wildcards)."""
        return frozenset(
            Version(s.version)
            for s in self.specifier
            if s.operator in ("==", "===") and "*" not in s.version
        )

    @functools.cached_property
    def upper_bounded(self) -> bool:
        return any(
            s.operator in ("<", "<=", "~=") or (s.operator == "==" and "*" in s.version)
            for s in self.specifier
        )

    def allows(self, version: Version) -> bool:
        """Whether *version* is in range; whether pre-releases are wanted at all is the
        provider's policy (``find_matches``)."""
        return self.specifier.contains(version, prereleases=True)

    def __str__(self) -> str:
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        return f"{self.name}{extras}{self.specifier}"


@dataclass(frozen=True)
class Release:
    """A version of a project: the files usable on the target (best first), and every file
    of that version on the index (what a lock hashes: installers elsewhere may pick any)."""

    name: NormalizedName
    version: Version
    files: tuple[DistFile, ...]
    yanked: bool = False
    yanked_reason: str | None = None
    others: tuple[DistFile, ...] = ()  # files of the version this target cannot use
    foreign: bytes = field(default=b"", repr=False)  # wheels for other targets, unparsed
    origin: DirectSource | None = None  # a file, folder or checkout the inputs named

    @property
    def wheels(self) -> tuple[DistFile, ...]:
        return tuple(f for f in self.files if f.kind == "wheel")

    @functools.cached_property
    def hashed(self) -> tuple[DistFile, ...]:
        """The files a lock lists: every file of the version, usable ones first (the
        wheels for other targets are decoded once: a version of numpy has dozens)."""
        if not self.foreign:
            return (*self.files, *self.others)
        return (*self.files, *self.others, *decode_foreign(self.name, self.foreign))


ExclusionKind = Literal[
    "python",
    "tags",
    "format",
    "metadata",
    "invalid",
    "yanked",
    "prerelease",
    "symbols",
    "conflict",
    "newer",
]


@dataclass(frozen=True)
class Exclusion:
    """Why a version on the index is not a candidate: ``reason`` completes a sentence that
    starts with the release (``flask 1.0.2 needs Python <3.10``)."""

    kind: ExclusionKind
    reason: str
    overrule: str | None = None  # for a symbol break: the `--ignore-symbol` that lifts it
    # for a conflict: the release's own requirement that nothing usable matches
    requirement: Requirement | None = field(default=None, compare=False)


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
