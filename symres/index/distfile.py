"""A file of a release on an index (:class:`DistFile`), known from its name.

Wheel and sdist file names parsed into name, version and tags (memoised: index pages
repeat versions and tags thousands of times), and :class:`WheelFilter`, the cheap test
of a wheel's name against a target that keeps most of a page unparsed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from packaging.tags import Tag, parse_tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
)
from packaging.version import InvalidVersion, Version


@dataclass(frozen=True, slots=True)
class DistFile:
    """One file of a release on an index."""

    filename: str
    url: str
    name: NormalizedName
    version: Version
    kind: Literal["wheel", "sdist"]
    tags: frozenset[Tag]
    sha256: str | None
    requires_python: str | None
    yanked: bool
    size: int | None = None
    yanked_reason: str | None = None
    upload_time: str | None = None
    metadata_sha256: str | None = None
    has_metadata: bool = False  # PEP 658/714: `<url>.metadata` is served


@functools.lru_cache(maxsize=1 << 16)
def _version(text: str) -> Version:
    return Version(text)


_TAG = re.compile(r"^[A-Za-z0-9_.]+-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+$")


@functools.lru_cache(maxsize=1 << 13)
def wheel_tags(text: str) -> frozenset[Tag]:
    """The tags of a compressed tag triple (``cp312-abi3-manylinux_2_28_x86_64``);
    ValueError for one that is not valid."""
    if not _TAG.match(text):  # e.g. "py36+": newer packaging raises, older accepted it
        raise ValueError(f"invalid wheel tag {text!r}")
    return parse_tag(text)


def _parse_wheel(filename: str) -> tuple[NormalizedName, Version, frozenset[Tag]]:
    """``parse_wheel_filename``, memoised: index pages repeat versions and tags thousands
    of times (one project page can list 15,000 wheels)."""
    parts = filename[:-4].split("-")
    if len(parts) not in (5, 6):
        raise InvalidWheelFilename(filename)
    try:
        version = _version(parts[1])
    except InvalidVersion as exc:
        raise InvalidWheelFilename(filename) from exc
    return canonicalize_name(parts[0]), version, wheel_tags("-".join(parts[-3:]))


def make_file(
    project: NormalizedName,
    filename: str,
    url: str,
    *,
    sha256: str | None,
    requires_python: str | None = None,
    yanked: bool = False,
    size: int | None = None,
    upload_time: str | None = None,
    metadata: bool | str | None = None,
    yanked_reason: str | None = None,
    foreign: bool = False,
) -> DistFile | None:
    """A :class:`DistFile`, or None for files symres does not install (eggs, exes, bad names).

    A *foreign* wheel (one the platform filter says is for another target) keeps no tags:
    it is listed for its hash only, and its tags are not parsed (pages list thousands)."""
    try:
        if foreign:
            name, version, tagset = _parse_foreign(filename)
            kind: Literal["wheel", "sdist"] = "wheel"
        elif filename.endswith(".whl"):
            name, version, tagset = _parse_wheel(filename)
            kind = "wheel"
        elif filename.endswith((".tar.gz", ".zip")):
            name, version = _parse_sdist(filename)
            tagset = frozenset()
            kind = "sdist"
        else:
            return None
    except (InvalidWheelFilename, InvalidSdistFilename, ValueError):  # InvalidTag, bad versions
        return None
    if name != project:
        return None
    metadata_sha = metadata.lower() if isinstance(metadata, str) else None
    return DistFile(
        filename=filename,
        url=url,
        name=name,
        version=version,
        kind=kind,
        tags=frozenset(tagset),
        sha256=sha256,
        requires_python=requires_python or None,
        yanked=yanked,
        size=size,
        upload_time=upload_time,
        metadata_sha256=metadata_sha,
        has_metadata=bool(metadata),
        yanked_reason=yanked_reason,
    )


@functools.lru_cache(maxsize=1 << 14)
def _parse_sdist(filename: str) -> tuple[NormalizedName, Version]:
    return parse_sdist_filename(filename)


def _parse_foreign(filename: str) -> tuple[NormalizedName, Version, frozenset[Tag]]:
    parts = filename[:-4].split("-")
    if len(parts) not in (5, 6):
        raise InvalidWheelFilename(filename)
    try:
        return canonicalize_name(parts[0]), _version(parts[1]), frozenset()
    except InvalidVersion as exc:
        raise InvalidWheelFilename(filename) from exc


def wheel_tag_text(filename: str) -> str:
    """The compressed tag triple of a wheel file name (``cp312-cp312-manylinux_2_28_x86_64``)."""
    return "-".join(filename[:-4].split("-")[-3:])


class WheelFilter:
    """A cheap test on a wheel's file name: could it be for the target — one of its
    interpreter tags and one of its platform tags among the target's? (The full tag test
    comes later, on the few that pass.) ``key`` names the filter in cache keys."""

    def __init__(
        self, platforms: frozenset[str] | None = None, interpreters: frozenset[str] | None = None
    ) -> None:
        self.platforms = platforms
        self.interpreters = interpreters
        parts = [",".join(sorted(x)) for x in (platforms, interpreters) if x is not None]
        self.key = "|".join(parts) or "all"
        # answers by platform tag, then by tag triple: pages repeat a few thousand times
        self._platforms: dict[str, bool] = {}
        self._triples: dict[str, bool] = {}

    def __call__(self, filename: str) -> bool:
        last = filename.rfind("-")
        plat = filename[last + 1 : -4]
        fits = self._platforms.get(plat)
        if fits is None:
            fits = self._platforms[plat] = self.platforms is None or any(
                p in self.platforms for p in plat.split(".")
            )
        if not fits or self.interpreters is None:
            return fits
        cut = filename.rfind("-", 0, filename.rfind("-", 0, last))
        key = filename[cut + 1 : last]  # interpreter and ABI tags
        found = self._triples.get(key)
        if found is None:
            interpreters = key.split("-")[0]
            found = self._triples[key] = any(
                i in self.interpreters for i in interpreters.split(".")
            )
        return found


def target_filter(tags: Iterable[Tag]) -> WheelFilter:
    """The filter for a target's tags."""
    tags = list(tags)
    return WheelFilter(frozenset(t.platform for t in tags), frozenset(t.interpreter for t in tags))
