"""The resolver's vocabulary (resolvelib's glossary): requirements and candidates.

An *identifier* is a project name, with extras in brackets when a requirement asks
for some (``uvicorn[standard]``). The target Python is fixed: ``Requires-Python`` is a
filter on candidates (an :class:`Exclusion` says why a version is not one), never a
requirement the resolver could backtrack over.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from symres.index.release import Exclusion, Release


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
class Conflict(Exclusion):
    """A release none of whose allowed requirements can be met: *requirement* is the one of
    its own that nothing usable matches."""

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
