"""The finder does the provider's IO: releases of a project for the target, and their metadata.

It fetches ahead: when the provider learns of a dependency, :meth:`Finder.prefetch`
starts reading that project's page, and then the metadata of its newest usable
release, on a thread pool, so a lock of forty projects does not wait on forty round
trips in a row.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from symres.index.client import IndexClient
from symres.index.metadata import CoreMetadata, MetadataFetcher
from symres.index.pages import DistFile, platform_filter
from symres.resolve.model import Release
from symres.target import Target


class Finder:
    def __init__(self, client: IndexClient, target: Target, *, workers: int = 16) -> None:
        self.client = client
        self.target = target
        self.fetcher = MetadataFetcher(client)
        self._rank = target.tag_rank()
        self._wheel_filter = platform_filter(frozenset(t.platform for t in target.tags))
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="symres-fetch")
        self._lock = threading.Lock()
        self._releases: dict[NormalizedName, Future[dict[Version, Release] | None]] = {}
        self._metadata: dict[tuple[NormalizedName, Version], Future[CoreMetadata]] = {}
        self.on_event: Callable[[str, str], None] = lambda kind, what: None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- releases -------------------------------------------------------------------------

    def _releases_future(self, name: NormalizedName) -> Future[dict[Version, Release] | None]:
        with self._lock:
            fut = self._releases.get(name)
            if fut is None:
                fut = self._pool.submit(self._load_releases, name)
                self._releases[name] = fut
            return fut

    def releases(self, name: NormalizedName) -> dict[Version, Release] | None:
        """Usable releases of *name* for the target, or None when no index knows it."""
        return self._releases_future(name).result()

    def _load_releases(self, name: NormalizedName) -> dict[Version, Release] | None:
        files = self.client.project_files(name, self._wheel_filter)
        self.on_event("page", name)
        if files is None:
            return None
        by_version: dict[Version, list[DistFile]] = {}
        for f in files:
            if not self._usable(f):
                continue
            by_version.setdefault(f.version, []).append(f)
        out = {}
        for version, group in by_version.items():
            group.sort(key=self._file_order)
            yanked = all(f.yanked for f in group)
            kept = tuple(f for f in group if yanked or not f.yanked)
            out[version] = Release(name, version, kept, yanked=yanked)
        return out

    def _usable(self, f: DistFile) -> bool:
        if f.kind == "wheel" and not any(t in self._rank for t in f.tags):
            return False
        if f.requires_python:
            try:
                spec = SpecifierSet(f.requires_python)
            except InvalidSpecifier:
                return True  # pip ignores a malformed Requires-Python too
            if not spec.contains(self.target.python_full, prereleases=True):
                return False
        return True

    def _file_order(self, f: DistFile) -> tuple[int, str]:
        if f.kind == "sdist":
            return (len(self._rank) + 1, f.filename)
        return (min(self._rank.get(t, len(self._rank)) for t in f.tags), f.filename)

    # -- metadata -------------------------------------------------------------------------

    def metadata(self, release: Release) -> CoreMetadata:
        return self._metadata_future(release).result()

    def _metadata_future(self, release: Release) -> Future[CoreMetadata]:
        key = (release.name, release.version)
        with self._lock:
            fut = self._metadata.get(key)
            if fut is None:
                fut = self._pool.submit(self._load_metadata, release)
                self._metadata[key] = fut
            return fut

    def _load_metadata(self, release: Release) -> CoreMetadata:
        # Metadata is the same for every file of a release; the best wheel is the cheapest.
        source = release.wheels[0] if release.wheels else release.files[0]
        meta = self.fetcher.fetch(source)
        self.on_event("metadata", f"{release.name} {release.version}")
        return meta

    # -- fetching ahead -------------------------------------------------------------------

    def prefetch(self, wants: Iterable[tuple[NormalizedName, SpecifierSet]]) -> None:
        """Start reading pages, then the newest matching release's metadata, in the background."""
        for name, specifier in wants:
            fut = self._releases_future(name)
            fut.add_done_callback(functools.partial(self._prefetch_best, specifier=specifier))

    def _prefetch_best(
        self, fut: Future[dict[Version, Release] | None], specifier: SpecifierSet
    ) -> None:
        if fut.cancelled() or fut.exception() is not None:
            return
        releases = fut.result()
        if not releases:
            return
        for version in sorted(specifier.filter(releases), reverse=True)[:1]:
            try:
                self._metadata_future(releases[version])
            except RuntimeError:  # pool shut down
                return
