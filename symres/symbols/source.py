"""The files of a release, read lazily: a wheel on an index through Range requests (the
zip directory once, then only the members asked for), a local wheel, or an sdist.

Members are cached by (file hash, member); the member list by file hash. Hostile
archives are contained: members over a size limit, or compressed beyond a sane ratio,
are reported unreadable, never inflated.
"""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import re
import tarfile
import threading
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from symres.index.distfile import DistFile
from symres.index.wheelzip import read_bounded

if TYPE_CHECKING:
    from symres.index.client import IndexClient

MAX_MEMBER = 8 * 1024 * 1024
MAX_RATIO = 200
WHOLE_WHEEL = 48 * 1024 * 1024  # smaller wheels are fetched whole when most members are wanted
_DATA = re.compile(r"^[^/]+\.data/(?:purelib|platlib)/")
_EXT = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\.[^/]*)?\.(?:so|pyd)$")


class UnreadableMember(Exception):
    """A member that is missing, too large, bomb-like or corrupt: counted, never fatal."""


def _checked(data: bytes, dist: DistFile) -> bytes:
    """A whole file as downloaded, if its hash is the one its index advertised."""
    if dist.sha256 and hashlib.sha256(data).hexdigest() != dist.sha256:
        raise UnreadableMember(
            f"{dist.filename}: its sha256 is not the one its index advertised "
            f"({dist.sha256[:12]}…); nothing is read from it"
        )
    return data


@dataclass
class ModuleFiles:
    py: str | None = None
    pyi: str | None = None
    ext: str | None = None  # the extension's member (`.so`, `.pyd`)
    package: bool = False


@dataclass
class Layout:
    """Modules of a release, from its file names alone."""

    modules: dict[str, ModuleFiles] = field(default_factory=dict)
    namespaces: set[str] = field(default_factory=set)
    pth_imports: list[str] = field(default_factory=list)
    pth_files: list[str] = field(default_factory=list)

    @property
    def top_levels(self) -> set[str]:
        return {m.split(".")[0] for m in self.modules} | {n.split(".")[0] for n in self.namespaces}

    def provides(self, module: str) -> int:
        """Length of the longest prefix of *module* this release has (0: none). A
        namespace package counts only as itself: other distributions share it
        (protobuf has `google.protobuf`, not `google.cloud`)."""
        parts = module.split(".")
        for i in range(len(parts), 0, -1):
            prefix = ".".join(parts[:i])
            if prefix in self.modules or (prefix in self.namespaces and i == len(parts)):
                return i
        return 0


def layout_of(paths: list[str]) -> Layout:
    layout = Layout()
    for raw in paths:
        path = _DATA.sub("", raw)
        if ".dist-info/" in path or path.endswith("/"):
            continue
        if "/" not in path and path.endswith(".pth"):
            layout.pth_files.append(raw)
            continue
        directory, _, base = path.rpartition("/")
        if base.endswith((".py", ".pyi")):
            stem = base.rsplit(".", 1)[0]
            if not stem.isidentifier() and stem != "__init__":
                continue
            pkg = directory.replace("/", ".")
            is_init = stem == "__init__"
            module = pkg if is_init else (f"{pkg}.{stem}" if pkg else stem)
            if not module or not all(p.isidentifier() for p in module.split(".")):
                continue
            files = layout.modules.setdefault(module, ModuleFiles())
            if base.endswith(".py"):
                files.py = raw
            else:
                files.pyi = raw
            files.package = files.package or is_init
        elif m := _EXT.match(base):
            pkg = directory.replace("/", ".")
            module = f"{pkg}.{m.group('name')}" if pkg else m.group("name")
            if all(p.isidentifier() for p in module.split(".")):
                files = layout.modules.setdefault(module, ModuleFiles())
                files.ext = files.ext or raw
    for module in list(layout.modules):
        parts = module.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if parent not in layout.modules:
                layout.namespaces.add(parent)
    return layout


class ReleaseSource:
    """Member names and contents of one distribution file."""

    def __init__(
        self, client: IndexClient | None, dist: DistFile | None = None, path: Path | None = None
    ) -> None:
        self.client = client
        self.dist = dist
        self.path = path
        self.key = (dist.sha256 or dist.url) if dist else str(path)
        self.filename = dist.filename if dist else (path.name if path else "?")
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, bytes] | None = None  # sdists, and wheels fetched whole
        self._names: list[str] | None = None
        self._lock = threading.Lock()
        self.bytes_fetched = 0
        self.size = dist.size if dist and dist.size else None
        self.is_sdist = self.filename.endswith((".tar.gz", ".zip")) and not self.filename.endswith(
            ".whl"
        )

    def _cache_read(self, kind: str, key: str) -> bytes | None:
        return self.client.cache.read(kind, key) if self.client else None

    def _cache_write(self, kind: str, key: str, data: bytes) -> None:
        if self.client:
            self.client.cache.write(kind, key, data)

    # -- opening -----------------------------------------------------------------------

    def _open_zip(self) -> zipfile.ZipFile:
        if self._zip is None:
            if self.path is not None:
                self._zip = zipfile.ZipFile(self.path)
            else:
                assert self.client is not None and self.dist is not None
                source = self.client.open_range(self.dist.url)
                self._zip = zipfile.ZipFile(source)
                if not isinstance(source, Path):
                    self.size = source.size
                    self._range = source
        return self._zip

    def _load_sdist(self) -> dict[str, bytes]:
        if self._members is None:
            if self.path is not None:
                data = self.path.read_bytes()
            else:
                assert self.client is not None and self.dist is not None
                data = self.client.get_bytes(self.dist.url)
                self.bytes_fetched += len(data)
                data = _checked(data, self.dist)
            self._members = _sdist_members(data, self.filename)
        return self._members

    def fetch_whole(self) -> None:
        """Download a wheel in one request (when most of its members will be read)."""
        if self.is_sdist or self._members is not None or self.path is not None:
            return
        if self.size is not None and self.size > WHOLE_WHEEL:
            return
        assert self.client is not None and self.dist is not None
        data = self.client.get_bytes(self.dist.url)
        self.bytes_fetched += len(data)
        data = _checked(data, self.dist)  # what the Range reads could not check
        members: dict[str, bytes] = {}
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for info in zf.infolist():
                    if _sane(info) and info.filename.endswith((".py", ".pyi", ".pth")):
                        try:
                            members[info.filename] = read_bounded(zf, info, MAX_MEMBER)
                        except _UNREADABLE:
                            continue  # read alone later, and counted as unreadable then
        except (zipfile.BadZipFile, OSError, EOFError):
            return  # not a zip after all: each member is read (and refused) alone
        self._members = members

    def prefetch(self, members: list[str], *, gap: int = 256 * 1024) -> None:
        """Fetch the byte ranges of *members* in as few requests as possible (a wheel too
        big to download whole: torch's .py files are 1% of its 779 MB)."""
        if self.is_sdist or self._members is not None or self.path is not None:
            return
        zf = self._open_zip()
        rng = getattr(self, "_range", None)
        if rng is None:
            return
        infos = []
        for member in members:
            try:
                info = zf.getinfo(member)
            except KeyError:
                continue
            if _sane(info):
                infos.append(info)
        infos.sort(key=lambda i: i.header_offset)
        spans: list[list[int]] = []
        for info in infos:
            start = info.header_offset
            end = (
                start
                + 30
                + len(info.filename.encode())
                + len(info.extra)
                + 1024
                + info.compress_size
            )
            if spans and start - spans[-1][1] <= gap:
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([start, end])
        with self._lock:
            for start, end in spans:
                rng.prefetch(start, end)

    def record_hashes(self) -> dict[str, str]:
        """File path -> content hash, from the wheel's RECORD (no member read)."""
        if self.is_sdist:
            return {}
        record = next(
            (n for n in self.names() if n.count("/") == 1 and n.endswith(".dist-info/RECORD")), None
        )
        if record is None:
            return {}
        try:
            text = self.read(record).decode("utf-8", "replace")
        except UnreadableMember:
            return {}
        out = {}
        for line in text.splitlines():
            parts = line.rsplit(",", 2)
            if len(parts) == 3 and parts[1].startswith("sha256="):
                out[parts[0]] = parts[1][len("sha256=") :]
        return out

    # -- reading -----------------------------------------------------------------------

    def names(self) -> list[str]:
        with self._lock:
            if self._names is None:
                cached = self._cache_read("names", self.key)
                if cached is not None:
                    try:
                        self._names = list(json.loads(cached))
                    except ValueError:
                        self._names = None
                if self._names is None:
                    try:
                        if self.is_sdist:
                            self._names = sorted(self._load_sdist())
                        else:
                            self._names = self._open_zip().namelist()
                    except _UNREADABLE as exc:  # a corrupt directory: the whole archive
                        raise UnreadableMember(
                            f"{self.filename}: unreadable archive ({exc})"
                        ) from exc
                    self._cache_write("names", self.key, json.dumps(self._names).encode())
            return self._names

    def read(self, member: str) -> bytes:
        cached = self._cache_read("member", f"{self.key}:{member}")
        if cached is not None:
            return cached
        with self._lock:
            if self.is_sdist:
                data = self._load_sdist().get(member)
                if data is None:
                    raise UnreadableMember(f"{member}: not in {self.filename}")
            elif self._members is not None and member in self._members:
                data = self._members[member]
            else:
                zf = self._open_zip()
                try:
                    info = zf.getinfo(member)
                except KeyError:
                    raise UnreadableMember(f"{member}: not in {self.filename}") from None
                if not _sane(info):
                    raise UnreadableMember(f"{member}: {info.file_size} bytes, refused")
                try:
                    data = read_bounded(zf, info, MAX_MEMBER)
                except _UNREADABLE as exc:
                    raise UnreadableMember(f"{member}: {exc}") from exc
        self._cache_write("member", f"{self.key}:{member}", data)
        return data

    @property
    def fetched(self) -> int:
        rng = getattr(self, "_range", None)
        return self.bytes_fetched + (rng.bytes_fetched if rng is not None else 0)


# what reading a member of a hostile archive can raise: a bad zip, a short read, a size
# that lies, a corrupt deflate stream, an encrypted member, a compression method zipfile lacks
_UNREADABLE = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    ValueError,
    zlib.error,
    RuntimeError,
    NotImplementedError,
)


def _sane(info: zipfile.ZipInfo) -> bool:
    if info.file_size > MAX_MEMBER:
        return False
    return not (
        info.compress_size
        and info.file_size / info.compress_size > MAX_RATIO
        and info.file_size > 1024 * 1024
    )


def _sdist_members(data: bytes, filename: str) -> dict[str, bytes]:
    """Python files of an sdist, renamed to where they would sit in a wheel."""
    raw: dict[str, bytes] = {}
    try:
        if filename.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for info in zf.infolist():
                    if info.filename.endswith((".py", ".pyi")) and _sane(info):
                        raw[info.filename] = read_bounded(zf, info, MAX_MEMBER)
        else:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tf:
                for member in tf:
                    if (
                        member.isfile()
                        and member.name.endswith((".py", ".pyi"))
                        and member.size <= MAX_MEMBER
                    ):
                        f = tf.extractfile(member)
                        if f is not None:
                            raw[member.name] = f.read()
    except (tarfile.TarError, *_UNREADABLE) as exc:
        raise UnreadableMember(f"{filename}: unreadable archive ({exc})") from exc
    out: dict[str, bytes] = {}
    for name, content in raw.items():
        parts = name.split("/")[1:]  # drop the top folder
        if parts and parts[0] == "src":
            parts = parts[1:]
        if (
            not parts
            or parts[0] in ("tests", "test", "docs", "examples", "benchmarks")
            or parts == ["setup.py"]
        ):
            continue
        out[posixpath.join(*parts)] = content
    # keep only packages reachable from the root (an __init__.py at each level) and top modules
    keep: dict[str, bytes] = {}
    for path, content in out.items():
        dirs = path.split("/")[:-1]
        if all(posixpath.join(*dirs[: i + 1], "__init__.py") in out for i in range(len(dirs))):
            keep[path] = content
    return keep
