"""The finder does the provider's IO: releases of a project for the target, and their metadata.

It fetches ahead: when the provider learns of a dependency, :meth:`Finder.prefetch`
starts reading that project's page, and then the metadata of its newest usable
release, on a thread pool, so a lock of forty projects does not wait on forty round
trips in a row. When the resolver backtracks through a project's releases,
:meth:`Finder.prefetch_metadata` reads the next few releases' metadata at once.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
)
from packaging.version import InvalidVersion, Version

from symres.errors import MetadataError
from symres.index.build import BuildPolicy
from symres.index.client import IndexClient
from symres.index.direct import DirectSource
from symres.index.formats import FormatControl
from symres.index.metadata import CoreMetadata, MetadataFetcher
from symres.index.pages import (
    DistFile,
    PageFiles,
    decode_foreign,
    target_filter,
    wheel_tag_text,
    wheel_tags,
)
from symres.index.release import Exclusion, Release
from symres.index.uploads import show_cutoff, uploaded_before
from symres.target import Target

AHEAD_DEPTH = 6  # levels of the dependency tree read ahead of the resolver
_K = TypeVar("_K")
_V = TypeVar("_V")


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


class Finder:
    def __init__(
        self,
        client: IndexClient,
        target: Target,
        *,
        formats: FormatControl | None = None,
        exclude_newer: datetime | None = None,
        workers: int = 16,
    ) -> None:
        self.client = client
        self.target = target
        self.formats = formats or FormatControl()
        self.exclude_newer = exclude_newer  # files uploaded at or after it are not used
        cutoff = exclude_newer.strftime("%Y-%m-%dT%H:%M:%SZ") if exclude_newer else None
        self.fetcher = MetadataFetcher(
            client,
            python_version=target.python_version,
            policy=BuildPolicy(offline=client.offline, exclude_newer=cutoff),
        )
        self._rank = target.tag_rank()
        self._triples: dict[str, int | None] = {}
        tags = "\n".join(str(t) for t in target.tags)
        digest = hashlib.sha256(f"{target.python_full}\n{tags}".encode()).hexdigest()[:16]
        self._target_key = f"{target.python_full}-{digest}-v3"
        self._wheel_filter = target_filter(target.tags)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="symres-fetch")
        self._lock = threading.Lock()
        self._projects: dict[NormalizedName, Future[Project | None]] = {}
        self._metadata: dict[tuple[NormalizedName, Version], Future[CoreMetadata]] = {}
        self._wanted: set[tuple[NormalizedName, str]] = set()  # (project, specifier) fetched ahead
        self._read: list[tuple[Release, CoreMetadata]] = []  # metadata read, in that order
        self.on_event: Callable[[str, str], None] = lambda kind, what: None

    def close(self) -> None:
        # reads fetched ahead and not started are dropped; those under way finish first, so
        # that none uses the HTTP client after its owner closed it
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- projects -------------------------------------------------------------------------

    def _project_future(self, name: NormalizedName) -> Future[Project | None]:
        with self._lock:
            fut = self._projects.get(name)
            if fut is None:
                fut = self._pool.submit(self._load_project, name)
                self._projects[name] = fut
            return fut

    def project(self, name: NormalizedName) -> Project | None:
        """*name* as the index lists it for the target, or None when no index knows it."""
        return _demand(self._lock, self._projects, name, self._load_project)

    def releases(self, name: NormalizedName) -> Mapping[Version, Release] | None:
        """Candidate releases of *name* for the target, or None when no index knows it."""
        project = self.project(name)
        return None if project is None else project.releases

    def _load_project(self, name: NormalizedName) -> Project | None:
        self.on_event("page", name)
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

    def add_direct(self, meta: CoreMetadata, source: DirectSource) -> Release:
        """A project the inputs name by file, folder or git URL: its one release, with
        the metadata read from it, replaces whatever an index lists."""
        files = (source.file,) if source.file is not None else ()
        release = Release(meta.name, meta.version, files, origin=source)
        project: Future[Project | None] = Future()
        project.set_result(Project(meta.name, {meta.version: release}))
        metadata: Future[CoreMetadata] = Future()
        metadata.set_result(meta)
        with self._lock:
            self._projects[meta.name] = project
            self._metadata[(meta.name, meta.version)] = metadata
        return release

    # -- metadata -------------------------------------------------------------------------

    def metadata(self, release: Release) -> CoreMetadata:
        key = (release.name, release.version)
        return _demand(self._lock, self._metadata, key, lambda _: self._load_metadata(release))

    def read_since(self, start: int) -> list[tuple[Release, CoreMetadata]]:
        """The releases whose metadata has been read, with it, from the *start*-th read on
        (in the order they were read: a caller keeps its place and asks for what is new)."""
        with self._lock:
            return self._read[start:]

    def page_read(self, name: NormalizedName) -> bool:
        """Whether *name*'s page has been read (none is read here)."""
        return _done(self._projects.get(name)) is not None

    def _metadata_future(self, release: Release) -> Future[CoreMetadata]:
        key = (release.name, release.version)
        with self._lock:
            fut = self._metadata.get(key)
            if fut is None:
                fut = self._pool.submit(self._load_metadata, release)
                self._metadata[key] = fut
            return fut

    def _load_metadata(self, release: Release) -> CoreMetadata:
        # Metadata is the same for every file of a release (as uv and pip assume): the
        # best file for the target is the cheapest; when that is an sdist, a wheel built
        # for another target gives it without running the sdist's build backend.
        self.on_event("metadata", f"{release.name} {release.version}")
        meta = self._fetch_metadata(release)
        with self._lock:
            self._read.append((release, meta))
        return meta

    def _fetch_metadata(self, release: Release) -> CoreMetadata:
        best = release.files[0]
        if best.kind == "sdist":
            for wheel in self._foreign_wheels(release):
                try:
                    return self.fetcher.fetch(wheel)
                except MetadataError:
                    break  # a broken wheel: the sdist is the authority
        return self.fetcher.fetch(best, on_build=self.on_event)

    def _foreign_wheels(self, release: Release) -> list[DistFile]:
        """Wheels of the release for other targets, those for the target's Python first."""
        py = f"{self.target.python[0]}{self.target.python[1]}"
        wheels = [f for f in release.hashed[len(release.files) :] if f.kind == "wheel"]
        wheels = [f for f in wheels if not f.yanked]
        return sorted(wheels, key=lambda f: (py not in wheel_tag_text(f.filename), f.filename))

    def prefetch_metadata(self, releases: Iterable[Release]) -> None:
        """Start reading these releases' metadata in the background."""
        for release in releases:
            try:
                self._metadata_future(release)
            except RuntimeError:  # pool shut down
                return

    # -- fetching ahead -------------------------------------------------------------------

    def prefetch(
        self, wants: Iterable[tuple[NormalizedName, SpecifierSet]], depth: int = AHEAD_DEPTH
    ) -> None:
        """Start reading pages, then the newest matching release's metadata, then the same
        for that release's own dependencies, in the background: the dependency tree the
        resolver is likely to walk is read in parallel before it gets there, *depth* levels
        down (a way down a deep chain that backtracking abandons is not read to its end)."""
        if depth <= 0:
            return
        for name, specifier in wants:
            key = (name, str(specifier))
            with self._lock:
                if key in self._wanted:
                    continue
                self._wanted.add(key)
            try:
                fut = self._project_future(name)
            except RuntimeError:  # pool shut down
                return
            best = functools.partial(self._prefetch_best, specifier=specifier, depth=depth)
            self._then(fut, best)

    def _then(self, fut: Future[_V], callback: Callable[[Future[_V]], None]) -> None:
        """*callback* once *fut* is done. A future already done would run it here and now,
        and a tree read ahead from the cache would recurse as deep as its chains go (300
        projects: a RecursionError per chain); its callback goes to the pool instead."""
        if not fut.done():
            fut.add_done_callback(callback)
            return
        try:
            self._pool.submit(callback, fut)
        except RuntimeError:  # pool shut down
            return

    def _prefetch_best(
        self, fut: Future[Project | None], specifier: SpecifierSet, depth: int
    ) -> None:
        if fut.cancelled() or fut.exception() is not None:
            return
        project = fut.result()
        if not project or not project.releases:
            return
        releases = project.releases
        wanted = [v for v in specifier.filter(releases) if v not in project.yanked]
        if not wanted:
            return
        try:
            meta = self._metadata_future(releases[max(wanted)])
        except RuntimeError:  # pool shut down
            return
        self._then(meta, functools.partial(self._prefetch_dependencies, depth=depth))

    def _prefetch_dependencies(self, fut: Future[CoreMetadata], depth: int) -> None:
        if fut.cancelled() or fut.exception() is not None:
            return
        meta = fut.result()
        rp = meta.requires_python
        if rp is not None and not rp.contains(self.target.python_full, prereleases=True):
            return
        env = {**self.target.env, "extra": ""}
        self.prefetch(
            (
                (canonicalize_name(r.name), r.specifier)
                for r in meta.requires_dist
                if not r.url and (r.marker is None or r.marker.evaluate(env))
            ),
            depth - 1,
        )


def _done(fut: Future[_V] | None) -> _V | None:
    if fut is None or not fut.done() or fut.cancelled() or fut.exception() is not None:
        return None
    return fut.result()


def _demand(
    lock: threading.Lock, futures: dict[_K, Future[_V]], key: _K, load: Callable[[_K], _V]
) -> _V:
    """The value for *key*, now. A read still waiting in the pool's queue (behind reads
    fetched ahead, which may never be needed) is taken out of it and done in this thread."""
    with lock:
        fut = futures.get(key)
        mine = fut is None or fut.cancel()  # cancel() succeeds only for a read not started
        if mine:
            fut = futures[key] = Future()
    assert fut is not None
    if mine:
        try:
            fut.set_result(load(key))
        except BaseException as exc:
            fut.set_exception(exc)
    return fut.result()


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
