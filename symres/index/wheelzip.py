"""The one member a resolver needs from a wheel, found without parsing the whole zip.

A wheel's central directory lists every member (torch: tens of thousands), and
``zipfile`` builds an object for each. Reading ``<name>.dist-info/METADATA`` needs one
entry: it is found by its name in the directory's bytes, then that member alone is read
and inflated, within a limit on the bytes actually inflated. Zips this reader does not
handle (zip64, encryption, other methods) raise :class:`NotSimple`, and the caller uses
``zipfile``.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from typing import Protocol

EOCD = b"PK\x05\x06"
ZIP64_LOCATOR = b"PK\x06\x07"
CENTRAL = b"PK\x01\x02"
LOCAL = b"PK\x03\x04"


class Seekable(Protocol):
    size: int

    def seek(self, offset: int, whence: int = 0, /) -> int: ...

    def read(self, n: int = -1, /) -> bytes | None: ...


class NotSimple(Exception):
    """A zip this reader does not handle (zip64, encryption, an odd method): use zipfile."""


def read_at(f: Seekable, start: int, n: int) -> bytes:
    f.seek(start)
    data = f.read(n) or b""
    if len(data) != n:
        raise EOFError(f"wanted {n} bytes at {start}, got {len(data)}")
    return data


def central_directory(f: Seekable, size: int) -> bytes:
    tail_len = min(size, 64 * 1024)  # what a RangeFile fetched first
    tail = read_at(f, size - tail_len, tail_len)
    at = tail.rfind(EOCD)
    if at < 0 or len(tail) - at < 22:
        raise NotSimple("no end of central directory")
    (_, _, _, _, _, cd_size, cd_offset, _) = struct.unpack("<4sHHHHIIH", tail[at : at + 22])
    if cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF or tail.rfind(ZIP64_LOCATOR, 0, at) >= 0:
        raise NotSimple("zip64")
    directory = read_at(f, cd_offset, cd_size)
    _check_entries(directory)
    return directory


def _check_entries(directory: bytes) -> None:
    """Walk the directory entry by entry, as zipfile (and so pip) will: a corrupt entry
    makes the wheel uninstallable, whichever member a resolver needs."""
    at = n = 0
    while at < len(directory):
        n += 1
        if directory[at : at + 4] != CENTRAL or len(directory) < at + 46:
            raise zipfile.BadZipFile(f"corrupt central directory (at its entry {n})")
        nlen, xlen, clen = struct.unpack("<HHH", directory[at + 28 : at + 34])
        at += 46 + nlen + xlen + clen


Entry = tuple[str, int, int, int, int, int]  # name, method, crc, compressed, size, offset


def find_member(directory: bytes, suffix: bytes, *, depth: int) -> list[Entry]:
    """Entries whose name ends with *suffix* and has *depth* slashes."""
    out = []
    start = 0
    while (hit := directory.find(suffix, start)) >= 0:
        start = hit + 1
        head = directory.rfind(CENTRAL, max(0, hit - 46 - 1024), hit)
        if head < 0 or len(directory) < head + 46:
            continue
        fields = struct.unpack("<4sHHHHHHIIIHHHHHII", directory[head : head + 46])
        flags, method, crc = fields[3], fields[4], fields[7]
        csize, usize, nlen = fields[8], fields[9], fields[10]
        offset = fields[16]
        raw = directory[head + 46 : head + 46 + nlen]
        if head + 46 + nlen != hit + len(suffix):
            continue  # the suffix is inside another entry's name or extra field
        if flags & 1:
            raise NotSimple("encrypted")
        if 0xFFFFFFFF in (csize, usize, offset):
            raise NotSimple("zip64 entry")
        name = raw.decode("utf-8" if flags & 0x800 else "cp437")
        if name.count("/") == depth:
            out.append((name, method, crc, csize, usize, offset))
    return out


def read_member(f: Seekable, entry: Entry, limit: int) -> bytes:
    name, method, crc, csize, usize, offset = entry
    if usize > limit:
        raise ValueError(f"{name} is {usize} bytes")
    header = read_at(f, offset, 30)
    if header[:4] != LOCAL:
        raise NotSimple("bad local header")
    nlen, xlen = struct.unpack("<HH", header[26:30])
    data = read_at(f, offset + 30 + nlen + xlen, csize)
    if method == 0:
        out = data
    elif method == 8:
        inflater = zlib.decompressobj(-15)
        out = inflater.decompress(data, limit + 1)
        if len(out) > limit or inflater.unconsumed_tail:
            raise ValueError(f"{name} inflates past {limit} bytes")
    else:
        raise NotSimple(f"compression method {method}")
    if len(out) != usize:
        raise ValueError(f"{name}: {len(out)} bytes, its directory says {usize}")
    if zlib.crc32(out) != crc:
        raise ValueError(f"{name}: bad CRC")
    return out


def read_bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo | str, limit: int) -> bytes:
    """A member's bytes, inflating at most *limit* + 1 of them whatever its headers say
    (``ZipFile.read`` inflates a whole compressed member in one call: a member that claims
    1,000 bytes may inflate to gigabytes). Past *limit*, or not its size: ValueError."""
    with zf.open(info) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        name = info if isinstance(info, str) else info.filename
        raise ValueError(f"{name} inflates past {limit} bytes")
    return data
