"""A project's page seen from the target: which versions are candidate releases, and why
the others are not.

:class:`Candidates` reads a page's file names, without parsing them into DistFiles (a
page lists thousands, a lock uses a few): each version's usable files for the target,
best first, within the formats allowed, and the rest kept for their hashes; for every
other version the :class:`Exclusion` that says why it is not a candidate. The summary is
remembered for each read of the page, and a release is built when first looked at.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
)
from packaging.version import InvalidVersion, Version

from symres.index.client import IndexClient
from symres.index.distfile import DistFile, target_filter, wheel_tag_text, wheel_tags
from symres.index.formats import FormatControl
from symres.index.pages import PageFiles, decode_foreign
from symres.index.release import Exclusion, Release
from symres.index.uploads import show_cutoff, uploaded_before
from symres.target import Target


@dataclass(frozen=True)
class Project:
    """A project on the index, seen from the target: its candidate releases, and every
    other version the index lists, with why it is not one."""

    name: NormalizedName
    releases: Mapping[Version, Release]
    excluded: Mapping[Version, Exclusion] = field(default_factory=dict)
    yanked: frozenset[Version] = frozenset()  # candidates whose every usable file is yanked

    @property
    def newest(self) -> Version | None:
        """The newest version on the index, whether or not it suits the target."""
        every = [*self.releases, *self.excluded]
        return max(every) if every else None


class Candidates:
    """The candidate releases of projects for one target, read from their pages."""

    def __init__(
        self,
        client: IndexClient,
        target: Target,
        formats: FormatControl,
        exclude_newer: datetime | None,
    ) -> None:
        self.client = client
        self.target = target
        self.formats = formats
        self.exclude_newer = exclude_newer  # files uploaded at or after it are not used
        self._rank = target.tag_rank()
        self._triples: dict[str, int | None] = {}
        tags = "\n".join(str(t) for t in target.tags)
        digest = hashlib.sha256(f"{target.python_full}\n{tags}".encode()).hexdigest()[:16]
        self._target_key = f"{target.python_full}-{digest}-v3"
        self._wheel_filter = target_filter(target.tags)

    def project(self, name: NormalizedName) -> Project | None:
        """*name* as the index lists it for the target, or None when no index knows it."""
        page = self.client.project_files(name, self._wheel_filter)
        if page is None:
            return None
        allowed = self.formats.allowed(name)
        key = f"{page.stamp}\0{self._target_key}\0{','.join(sorted(allowed))}"
        summary = self._summary(name, page, allowed, key)
        specs: dict[Version, _Spec] = {}
        yanked = set()
        for shown, is_yanked, reason, usable, others, text in summary[0]:
            version = _version(shown)
            specs[version] = (is_yanked, reason, usable, others, page.foreign.get(text, b""))
            if is_yanked:
                yanked.add(version)
        excluded = {_version(t): Exclusion(kind, why) for t, kind, why in summary[1]}
        if self.exclude_newer is not None:
            self._hold_back_newer(page, specs, excluded, self.exclude_newer)
            yanked &= specs.keys()
        return Project(name, _Releases(name, page, specs), excluded, frozenset(yanked))

    @staticmethod
    def _hold_back_newer(
        page: PageFiles,
        specs: dict[Version, _Spec],
        excluded: dict[Version, Exclusion],
        cutoff: datetime,
    ) -> None:
        """``--exclude-newer``: files uploaded after *cutoff* (or of unknown age) are
        neither used nor hashed; a version left without a usable file is not a candidate.
        Applied after the cached summary, so a cooldown keeps the warm path."""
        records = page.records
        for version, (is_yanked, reason, usable, others, foreign) in list(specs.items()):
            kept = tuple(i for i in usable if uploaded_before(records[i][7], cutoff))
            if kept:
                rest = tuple(i for i in others if uploaded_before(records[i][7], cutoff))
                specs[version] = (is_yanked, reason, kept, rest, _foreign_before(foreign, cutoff))
                continue
            del specs[version]
            times = [t for i in usable if (t := records[i][7])]
            when = f"uploaded {min(times)[:10]}" if times else "of unknown upload time"
            excluded[version] = Exclusion(
                "newer", f"is {when}, not before {show_cutoff(cutoff)} (`--exclude-newer`)"
            )

    def _summary(
        self, name: NormalizedName, page: PageFiles, allowed: frozenset[str], key: str
    ) -> tuple[list[Any], list[Any]]:
        """Which versions are candidates for the target, from which of the page's files —
        remembered for each read of the page, so a warm lock parses no file name twice."""
        if page.stamp:
            raw = self.client.cache.read("projects", key)
            if raw is not None:
                try:
                    found = marshal.loads(raw)
                    return list(found[0]), list(found[1])
                except (ValueError, EOFError, TypeError, IndexError):
                    pass  # an unreadable entry is a miss
        # the files' names read once, without parsing them into DistFiles: a page lists
        # thousands, a lock uses a few
        by_version: dict[Version, list[tuple[int, str, int | None]]] = {}
        for i, r in enumerate(page.records):
            facts = self._record_facts(name, r[0])
            if facts is not None:
                version, kind, rank = facts
                if r[3] and not _admits(r[3], self.target.python_full):
                    rank = None  # a Requires-Python that excludes the target
                by_version.setdefault(version, []).append((i, kind, rank))
        texts: dict[Version, str] = {}  # the version as the foreign wheels' names spell it
        for text in page.foreign:
            try:
                texts[_version(text)] = text
            except InvalidVersion:
                continue
        candidates: list[Any] = []
        excluded: list[Any] = []
        for version in by_version.keys() | texts.keys():
            text = texts.get(version, "")
            group = by_version.get(version, [])
            usable = [(i, rank) for i, kind, rank in group if kind in allowed and rank is not None]
            if not usable:
                blob = page.foreign.get(text, b"")
                files = [f for i, _, _ in group if (f := page.file(i)) is not None]
                every = files + (decode_foreign(name, blob) if blob else [])
                why = self._why_unusable(name, every, allowed)
                excluded.append((str(version), why.kind, why.reason))
                continue
            usable.sort(key=lambda pair: (pair[1], page.records[pair[0]][0]))
            records = page.records
            is_yanked = all(records[i][4] for i, _ in usable)
            kept = [i for i, _ in usable if is_yanked or not records[i][4]]
            reason = next((records[i][5] for i in kept if records[i][5]), None)
            chosen = set(kept)
            others = tuple(i for i, _, _ in group if i not in chosen)
            candidates.append((str(version), is_yanked, reason, tuple(kept), others, text))
        if page.stamp:
            self.client.cache.write("projects", key, marshal.dumps((candidates, excluded)))
        return candidates, excluded

    def _record_facts(
        self, name: NormalizedName, filename: str
    ) -> tuple[Version, str, int | None] | None:
        """Version, kind and rank for the target (None: not for it) of a file, from its
        name alone; None for a name symres does not install."""
        try:
            if filename.endswith(".whl"):
                parts = filename[:-4].split("-")
                if len(parts) not in (5, 6) or _canonical(parts[0]) != name:
                    return None
                triple = "-".join(parts[-3:])
                if triple not in self._triples:
                    ranks = [self._rank[t] for t in wheel_tags(triple) if t in self._rank]
                    self._triples[triple] = min(ranks) if ranks else None
                return _version(parts[1]), "wheel", self._triples[triple]
            if filename.endswith((".tar.gz", ".zip")):
                project, version = _sdist_name(filename)
                return (version, "sdist", len(self._rank) + 1) if project == name else None
        except (InvalidVersion, InvalidSdistFilename, ValueError):
            return None
        return None

    def _fits(self, f: DistFile) -> bool:
        return (f.kind == "sdist" or any(t in self._rank for t in f.tags)) and self._python_ok(f)

    def _python_ok(self, f: DistFile) -> bool:
        if not f.requires_python:
            return True
        return _admits(f.requires_python, self.target.python_full)

    def _why_unusable(
        self, name: NormalizedName, group: list[DistFile], allowed: frozenset[str]
    ) -> Exclusion:
        on_tags = [f for f in group if f.kind == "sdist" or any(t in self._rank for t in f.tags)]
        if on_tags and not any(self._python_ok(f) for f in on_tags):
            spec = next(f.requires_python for f in on_tags if f.requires_python)
            return Exclusion(
                "python", f"needs Python {spec} (the target is {self.target.python_full})"
            )
        kinds = {f.kind for f in group}
        if "wheel" not in allowed and kinds == {"wheel"}:
            return Exclusion(
                "format", f"has only wheels, and `--no-binary` refuses wheels of `{name}`"
            )
        if "sdist" not in allowed and (kinds == {"sdist"} or not on_tags):
            has = "only an sdist" if kinds == {"sdist"} else "no wheel for this target"
            return Exclusion(
                "format",
                f"has {has}, and `--only-binary` refuses to build `{name}` from source",
            )
        tags = sorted({wheel_tag_text(f.filename) for f in group if f.kind == "wheel"})
        shown = ", ".join(tags[:4]) + (f" and {len(tags) - 4} more" if len(tags) > 4 else "")
        return Exclusion(
            "tags",
            f"has no wheel for {self.target.describe()} (its wheels: {shown}) and no sdist",
        )

    def _file_order(self, f: DistFile) -> tuple[int, str]:
        if f.kind == "sdist":
            return (len(self._rank) + 1, f.filename)
        return (min(self._rank.get(t, len(self._rank)) for t in f.tags), f.filename)


@functools.lru_cache(maxsize=4096)
def _admits(requires_python: str, python: str) -> bool:
    """Whether a Requires-Python admits the target (pages repeat a few of them thousands
    of times); a malformed one admits everything, as pip has it."""
    try:
        return SpecifierSet(requires_python).contains(python, prereleases=True)
    except InvalidSpecifier:
        return True


# (yanked, yanked reason, indices of usable files best first, indices of other files,
# marshalled records of wheels for other targets)
_Spec = tuple[bool, "str | None", tuple[int, ...], tuple[int, ...], bytes]


class _Releases(Mapping[Version, Release]):
    """A project's candidate releases, each built when it is first looked at: a lock
    looks at a few versions of each project, whose pages list hundreds."""

    def __init__(self, name: NormalizedName, page: PageFiles, specs: dict[Version, _Spec]):
        self._name = name
        self._page = page
        self._specs = specs
        self._built: dict[Version, Release] = {}

    def __getitem__(self, version: Version) -> Release:
        found = self._built.get(version)
        if found is None:
            yanked, reason, usable, others, foreign = self._specs[version]
            page = self._page
            files = tuple(f for i in usable if (f := page.file(i)) is not None)
            rest = tuple(f for i in others if (f := page.file(i)) is not None)
            found = Release(
                self._name, version, files, yanked, reason, others=rest, foreign=foreign
            )
            # two threads may build it at once: both get the one stored first
            found = self._built.setdefault(version, found)
        return found

    def __contains__(self, version: object) -> bool:
        return version in self._specs

    def __iter__(self) -> Iterator[Version]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)


def _foreign_before(blob: bytes, cutoff: datetime) -> bytes:
    """The wheels for other targets (hashed, not used) that were uploaded before *cutoff*."""
    if not blob:
        return blob
    items = marshal.loads(blob)
    kept = [
        item
        for item in items
        if uploaded_before(item.get("upload-time") if isinstance(item, dict) else item[7], cutoff)
    ]
    return blob if len(kept) == len(items) else marshal.dumps(kept)


@functools.lru_cache(maxsize=1 << 16)
def _version(text: str) -> Version:
    return Version(text)


@functools.lru_cache(maxsize=1 << 12)
def _canonical(text: str) -> NormalizedName:
    return canonicalize_name(text)


@functools.lru_cache(maxsize=1 << 16)
def _sdist_name(filename: str) -> tuple[NormalizedName, Version]:
    return parse_sdist_filename(filename)
