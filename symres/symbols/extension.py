"""What a compiled extension module can export, read from its bytes (never loaded).

Every name an extension defines is written in it: a method table's names, the
``PyModule_Add*`` names and Cython's string constants are C strings. A name whose bytes
appear nowhere in the file, nor in the zlib streams it carries (Cython 3.1 and later
compress their string constants), is one the extension cannot export. That bound holds
only for a self-contained ELF extension: one that links a library of its own wheel
(torch's thin ``_C`` over ``libtorch_python``) may have its names defined there, and a
binary symres cannot read the links of (Mach-O, PE) is not bounded.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Collection
from dataclasses import dataclass

_ELF = b"\x7fELF"
_SHT_DYNAMIC = 6
_DT_NEEDED = 1
_CYTHON_ABI = re.compile(rb"_cython_(\d+)_(\d+)")
_ZLIB_HEADER = re.compile(rb"\x78[\x01\x5e\x9c\xda]")
_MAX_STREAMS = 4000  # zlib headers tried in one binary (most are chance bytes)


@dataclass(frozen=True)
class Extension:
    """*unknown*: why the extension's names cannot be bounded (None: they can)."""

    unknown: str | None
    text: bytes = b""  # where names are looked for: the binary, then its zlib streams

    def may_export(self, name: str) -> bool:
        return self.unknown is not None or name.encode() in self.text

    def unbounded(self, name: str) -> str | None:
        """Why the bytes cannot tell whether *name* is exported (None: they can). A name
        beyond ASCII is never told: stored tables keep a binary's ASCII runs only."""
        if self.unknown is not None:
            return self.unknown
        return None if name.isascii() else f"`{name}` is not ASCII"


def read_extension(data: bytes, wheel_files: Collection[str]) -> Extension:
    """*wheel_files*: the wheel's member names (a library it links is looked up there)."""
    if not data.startswith(_ELF):
        return Extension("not an ELF binary: its links cannot be read")
    try:
        needed = _needed(data)
    except (struct.error, IndexError, ValueError):
        return Extension("its ELF headers cannot be read")
    if needed is None:
        return Extension("it has no dynamic section: its links cannot be read")
    shipped = {path.rpartition("/")[2]: path for path in wheel_files}
    for lib in needed:
        path = shipped.get(lib)
        # a library auditwheel vendored (`pkg.libs/`) is a C dependency, not a Python one
        if path is not None and ".libs/" not in path:
            return Extension(f"it links `{path}`, which may define its names")
    text = data
    abi = _CYTHON_ABI.search(data)
    if abi is not None and (int(abi.group(1)), int(abi.group(2))) >= (3, 1):
        streams = _zlib_streams(data)
        if not streams:
            return Extension("Cython compressed its names in a form symres cannot read")
        text = data + b"\0" + b"\0".join(streams)
    return Extension(None, text)


def _needed(data: bytes) -> list[str] | None:
    """The DT_NEEDED entries of an ELF file, from its section headers (None: none)."""
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    if is64:
        (shoff,) = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x3A)
    else:
        (shoff,) = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x2E)
    sections = []
    for i in range(shnum):
        base = shoff + i * shentsize
        if is64:
            (kind,) = struct.unpack_from(end + "I", data, base + 4)
            offset, size = struct.unpack_from(end + "QQ", data, base + 0x18)
            (link,) = struct.unpack_from(end + "I", data, base + 0x28)
        else:
            (kind,) = struct.unpack_from(end + "I", data, base + 4)
            offset, size, link = struct.unpack_from(end + "III", data, base + 0x10)
        sections.append((kind, offset, size, link))
    dynamic = next((s for s in sections if s[0] == _SHT_DYNAMIC), None)
    if dynamic is None:
        return None
    _, offset, size, link = dynamic
    strtab = sections[link][1]
    entry = 16 if is64 else 8
    out = []
    for pos in range(offset, offset + size, entry):
        tag, value = struct.unpack_from(end + ("qQ" if is64 else "iI"), data, pos)
        if tag == 0:
            break
        if tag == _DT_NEEDED:
            stop = data.index(b"\0", strtab + value)
            out.append(data[strtab + value : stop].decode("utf-8", "replace"))
    return out


def _zlib_streams(data: bytes) -> list[bytes]:
    out = []
    for i, match in enumerate(_ZLIB_HEADER.finditer(data)):
        if i >= _MAX_STREAMS:
            break
        inflater = zlib.decompressobj()
        try:
            found = inflater.decompress(data[match.start() : match.start() + (1 << 22)], 1 << 24)
        except zlib.error:
            continue
        if inflater.eof and found:
            out.append(found)
    return out
