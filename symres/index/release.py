"""What the index offers for one version of a project (:class:`Release`), and why a
version on the index is not a candidate for the target (:class:`Exclusion`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Literal

from packaging.utils import NormalizedName
from packaging.version import Version

from symres.index.direct import DirectSource
from symres.index.distfile import DistFile
from symres.index.pages import decode_foreign


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
