"""Core metadata of a release, read without downloading wheels where possible.

Order: PEP 658/714 ``.metadata`` when the index advertises it; the wheel's
``METADATA`` member through HTTP Range requests; the sdist's ``PKG-INFO`` when it
is static (PEP 643); a PEP 517 metadata build, isolated, as a last resort
(:mod:`symres.index.build`). Results are cached forever by file hash.
"""

from __future__ import annotations

import functools
import hashlib
import io
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from symres.errors import MetadataError
from symres.index import wheelzip
from symres.index.build import BuildFailed, BuildPolicy, build_metadata
from symres.index.client import IndexClient
from symres.index.distfile import DistFile
from symres.index.remote import RangeFile

MAX_METADATA = 8 * 1024 * 1024
OnEvent = Callable[[str, str], None]


def _quiet(kind: str, what: str) -> None:
    return None


@dataclass(frozen=True)
class CoreMetadata:
    name: NormalizedName
    version: Version
    requires_dist: tuple[Requirement, ...]
    requires_python: SpecifierSet | None
    provides_extra: frozenset[NormalizedName]
    skipped: tuple[str, ...] = ()  # Requires-Dist lines that do not parse


def headers(raw: bytes) -> dict[str, list[str]]:
    """The header fields of a METADATA / PKG-INFO file (RFC 822 style, as core metadata
    is written), by lower-cased name: every line up to the first blank one, with folded
    lines joined. Several times faster than the email package on metadata of hundreds
    of ``Requires-Dist`` lines."""
    out: dict[str, list[str]] = {}
    last: list[str] | None = None
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]  # the body is not read
    for line in head.decode("utf-8", "surrogateescape").splitlines():
        if not line:
            break  # the body (a description) starts after the first empty line
        if line[0] in " \t":  # a folded continuation (a line of blanks too, in old files)
            if last:
                last[-1] = f"{last[-1]} {line.strip()}"
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        last = out.setdefault(key.strip().lower(), [])
        last.append(value.strip())
    return out


@functools.lru_cache(maxsize=1 << 15)
def _requirement(line: str) -> Requirement | None:
    """A Requires-Dist line parsed (releases of one project repeat most of theirs)."""
    try:
        return Requirement(line)
    except InvalidRequirement:
        return None


def parse_metadata(raw: bytes, origin: str) -> CoreMetadata:
    """Parse a METADATA / PKG-INFO file. *origin* names it in errors."""
    fields = headers(raw)
    try:
        name = canonicalize_name((fields.get("name") or [""])[0])
        version = Version((fields.get("version") or [""])[0])
    except InvalidVersion as exc:
        raise MetadataError(f"{origin}: invalid metadata ({exc})") from exc
    reqs: list[Requirement] = []
    skipped: list[str] = []
    for line in fields.get("requires-dist", []):
        req = _requirement(line)
        if req is None:
            skipped.append(line)
        else:
            reqs.append(req)
    requires_python = None
    if rp := (fields.get("requires-python") or [""])[0]:
        try:
            requires_python = SpecifierSet(rp)
        except InvalidSpecifier:
            requires_python = None
    extras = frozenset(canonicalize_name(e) for e in fields.get("provides-extra", []))
    return CoreMetadata(name, version, tuple(reqs), requires_python, extras, tuple(skipped))


def _is_static_sdist_metadata(raw: bytes) -> bool:
    fields = headers(raw)
    try:
        if Version((fields.get("metadata-version") or ["0"])[0]) < Version("2.2"):
            return False
    except InvalidVersion:
        return False
    dynamic = {d.lower() for d in fields.get("dynamic", [])}
    return not dynamic & {"requires-dist", "requires-python", "provides-extra"}


class MetadataFetcher:
    """Reads core metadata for one :class:`DistFile`, the cheapest way the index allows."""

    def __init__(
        self, client: IndexClient, *, python_version: str, policy: BuildPolicy | None = None
    ) -> None:
        self.client = client
        self.python_version = python_version  # the target's, for sdist builds
        self.policy = policy or BuildPolicy(offline=client.offline)

    def fetch(self, dist: DistFile, *, on_build: OnEvent = _quiet) -> CoreMetadata:
        """*on_build* hears ``("build", what)`` before an sdist's backend runs."""
        key = dist.sha256 or dist.url
        cached = self.client.cache.read("metadata", key)
        if cached is not None:
            try:
                return parse_metadata(cached, dist.filename)
            except MetadataError:
                pass  # unreadable entry: fetch again
        # a build that failed once fails again: don't pay for it twice (wheels build nothing)
        failed = None if dist.kind == "wheel" else self.client.cache.read("metadata-failed", key)
        if failed is not None:
            raise MetadataError(
                failed.decode("utf-8", "replace"),
                hint="pin a version of this project that ships a wheel",
            )
        try:
            raw = (
                self._fetch_wheel(dist)
                if dist.kind == "wheel"
                else self._fetch_sdist(dist, on_build)
            )
        except BuildFailed as exc:
            if exc.lasting:
                self.client.cache.write("metadata-failed", key, exc.message.encode())
            raise
        meta = parse_metadata(raw, dist.filename)
        if meta.name != dist.name or meta.version != dist.version:
            raise MetadataError(
                f"{dist.filename}: its metadata says {meta.name} {meta.version}",
                hint="the index serves a mislabelled file; report it to the index",
            )
        self.client.cache.write("metadata", key, raw)
        return meta

    def _fetch_wheel(self, dist: DistFile) -> bytes:
        if dist.has_metadata:
            raw = self.client.get_bytes(dist.url + ".metadata")
            if dist.metadata_sha256 and hashlib.sha256(raw).hexdigest() != dist.metadata_sha256:
                raise MetadataError(
                    f"{dist.filename}.metadata: hash mismatch", hint="try `--refresh`"
                )
            return raw
        try:
            source = self.client.open_range(dist.url)
            if isinstance(source, RangeFile):
                try:
                    return _metadata_member(source, dist)
                except wheelzip.NotSimple:
                    pass  # zip64 and friends: zipfile reads them
            with zipfile.ZipFile(source) as zf:
                return _read_dist_info_metadata(zf, dist)
        except (
            zipfile.BadZipFile,
            OSError,
            EOFError,
            ValueError,
            zlib.error,
            RuntimeError,  # an encrypted member
            NotImplementedError,  # a compression method zipfile lacks
        ) as exc:
            raise MetadataError(
                f"{dist.filename}: cannot read METADATA ({exc})",
                hint="the wheel is corrupt or the index truncated it; try `--refresh`",
            ) from exc

    def _fetch_sdist(self, dist: DistFile, on_build: OnEvent) -> bytes:
        data = self.client.get_bytes(dist.url)
        if dist.sha256 and hashlib.sha256(data).hexdigest() != dist.sha256:
            raise MetadataError(f"{dist.filename}: hash mismatch", hint="try `--refresh`")
        pkg_info = _sdist_pkg_info(data, dist.filename)
        if pkg_info is not None and _is_static_sdist_metadata(pkg_info):
            return pkg_info
        raw, _ = build_metadata(
            data,
            dist.filename,
            python_version=self.python_version,
            index=self.client.config,
            uploaded=dist.upload_time,
            policy=self.policy,
            announce=lambda: on_build("build", f"{dist.name} {dist.version}"),
        )
        return raw


def _metadata_member(source: RangeFile, dist: DistFile) -> bytes:
    """``METADATA`` found by name in the central directory, without parsing every entry."""
    directory = wheelzip.central_directory(source, source.size)
    found = wheelzip.find_member(directory, b".dist-info/METADATA", depth=1)
    if len(found) != 1:
        raise MetadataError(
            f"{dist.filename}: expected one .dist-info/METADATA, found {len(found)}"
        )
    if found[0][4] > MAX_METADATA:
        raise MetadataError(f"{dist.filename}: METADATA is {found[0][4]} bytes")
    return wheelzip.read_member(source, found[0], MAX_METADATA)


def _read_dist_info_metadata(zf: zipfile.ZipFile, dist: DistFile) -> bytes:
    candidates = [
        info
        for info in zf.infolist()
        if info.filename.count("/") == 1 and info.filename.endswith(".dist-info/METADATA")
    ]
    if len(candidates) != 1:
        raise MetadataError(
            f"{dist.filename}: expected one .dist-info/METADATA, found {len(candidates)}"
        )
    if candidates[0].file_size > MAX_METADATA:
        raise MetadataError(f"{dist.filename}: METADATA is {candidates[0].file_size} bytes")
    return wheelzip.read_bounded(zf, candidates[0], MAX_METADATA)


def _sdist_pkg_info(data: bytes, filename: str) -> bytes | None:
    try:
        if filename.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = [n for n in zf.namelist() if n.count("/") == 1 and n.endswith("/PKG-INFO")]
                return wheelzip.read_bounded(zf, names[0], MAX_METADATA) if names else None
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tf:
            for member in tf.getmembers():
                if (
                    member.name.count("/") == 1
                    and member.name.endswith("/PKG-INFO")
                    and member.isfile()
                ):
                    f = tf.extractfile(member)
                    return f.read(MAX_METADATA) if f else None
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
        raise MetadataError(f"{filename}: unreadable sdist ({exc})") from exc
    return None
