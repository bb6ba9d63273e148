"""The sha256 of every file a lock lists: the index's where it gives one, else the
file's own (downloaded once, cached)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from symres.index.client import IndexClient
from symres.index.distfile import DistFile
from symres.resolve.run import LockedPackage


def ensure_hashes(
    client: IndexClient,
    packages: list[LockedPackage],
    on_event: Callable[[str, str], None] = lambda kind, what: None,
) -> list[LockedPackage]:
    """Fill in sha256 for files the index lists without one (downloads them, cached)."""
    missing = [f for p in packages for f in p.release.hashed if not f.sha256]
    if not missing:
        return packages

    def digest(f: DistFile) -> tuple[str, str]:
        cached = client.cache.read("sha256", f.url)
        if cached:
            return f.url, cached.decode()
        on_event("hash", f.filename)
        value = hashlib.sha256(client.get_bytes(f.url)).hexdigest()
        client.cache.write("sha256", f.url, value.encode())
        return f.url, value

    with ThreadPoolExecutor(max_workers=8) as pool:
        hashes = dict(pool.map(digest, missing))

    def fill(files: tuple[DistFile, ...]) -> tuple[DistFile, ...]:
        return tuple(replace(f, sha256=f.sha256 or hashes[f.url]) for f in files)

    out = []
    for p in packages:
        rest = p.release.hashed[len(p.release.files) :]
        release = replace(p.release, files=fill(p.release.files), others=fill(rest), foreign=b"")
        out.append(replace(p, release=release))
    return out
