"""The finder does the provider's IO: releases of a project for the target, and their metadata.

It fetches ahead: when the provider learns of a dependency, :meth:`Finder.prefetch`
starts reading that project's page, and then the metadata of its newest usable
release, on a thread pool, so a lock of forty projects does not wait on forty round
trips in a row. When the resolver backtracks through a project's releases,
:meth:`Finder.prefetch_metadata` reads the next few releases' metadata at once.

Which releases of a project are candidates for the target, :mod:`symres.index.candidates`
reads from its page; the finder schedules the reads and keeps what they found.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import TypeVar

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from symres.errors import MetadataError
from symres.index.build import BuildPolicy
from symres.index.candidates import Candidates, Project
from symres.index.client import IndexClient
from symres.index.direct import DirectSource
from symres.index.distfile import DistFile, wheel_tag_text
from symres.index.formats import FormatControl
from symres.index.metadata import CoreMetadata, MetadataFetcher
from symres.index.release import Release
from symres.target import Target

AHEAD_DEPTH = 6  # levels of the dependency tree read ahead of the resolver
_K = TypeVar("_K")
_V = TypeVar("_V")


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
        self._candidates = Candidates(client, target, self.formats, exclude_newer)
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
        return self._candidates.project(name)

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
