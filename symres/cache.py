"""The disk cache: content keyed by what never changes (file hashes) or by URL with a TTL.

Entries are written atomically, so a kill mid-write leaves the old entry or the new
one; an unreadable entry is a miss, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import platformdirs

from symres.fsutil import atomic_write


def default_cache_dir() -> Path:
    env = os.environ.get("SYMRES_CACHE_DIR")
    return Path(env) if env else Path(platformdirs.user_cache_dir("symres", appauthor=False))


def symbols_db_path(cache_dir: Path | None = None) -> Path:
    """The user's symbol database, in the cache folder (``--cache-dir``, else the default)."""
    return (cache_dir or default_cache_dir()) / "symbols.sqlite"


class Cache:
    """A folder of small files; ``Cache(None)`` caches nothing (``--no-cache``)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._base = os.path.join(root, "v1") if root is not None else None

    def _path(self, kind: str, key: str) -> str | None:
        if self._base is None:
            return None
        digest = hashlib.sha256(key.encode()).hexdigest()
        return f"{self._base}/{kind}/{digest[:2]}/{digest}"

    def read(self, kind: str, key: str) -> bytes | None:
        path = self._path(kind, key)
        if path is None:
            return None
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError:
            return None

    def read_line(self, kind: str, key: str) -> bytes | None:
        """The first line of an entry, without reading the rest (None: no entry)."""
        path = self._path(kind, key)
        if path is None:
            return None
        try:
            with open(path, "rb") as f:
                line = f.readline()
        except OSError:
            return None
        return line if line.endswith(b"\n") else None

    def write(self, kind: str, key: str, data: bytes) -> None:
        path = self._path(kind, key)
        if path is None:
            return
        with contextlib.suppress(OSError):  # a cache that cannot be written is only slower
            atomic_write(path, data, durable=False)

    def mtime(self, kind: str, key: str) -> float | None:
        path = self._path(kind, key)
        try:
            return os.stat(path).st_mtime if path else None
        except OSError:
            return None
