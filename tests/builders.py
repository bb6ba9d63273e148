"""Wheels and sdists built from small dicts of files, in tmp_path (no checked-in binaries)."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from packaging.utils import canonicalize_name


def _metadata(
    name: str,
    version: str,
    requires: Sequence[str],
    requires_python: str | None,
    extras: Mapping[str, Sequence[str]],
    metadata_version: str = "2.1",
    dynamic: Sequence[str] = (),
) -> str:
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Dynamic: {d}" for d in dynamic]
    lines += [f"Requires-Dist: {r}" for r in requires]
    for extra, reqs in extras.items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [
            f'Requires-Dist: {r}; extra == "{extra}"'
            if ";" not in r
            else f'Requires-Dist: {r} and extra == "{extra}"'
            for r in reqs
        ]
    return "\n".join(lines) + "\n\n"


def wheel_name(name: str, version: str, tag: str = "py3-none-any") -> str:
    return f"{canonicalize_name(name).replace('-', '_')}-{version}-{tag}.whl"


def build_wheel(
    directory: Path,
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    requires_python: str | None = None,
    extras: Mapping[str, Sequence[str]] | None = None,
    files: Mapping[str, str | bytes | None] | None = None,
    tag: str = "py3-none-any",
    pad: int = 0,
) -> Path:
    """A valid wheel. ``pad`` adds that many incompressible bytes (to test Range reads);
    a file given as None is left out."""
    dist = canonicalize_name(name).replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    module = dist
    members: dict[str, bytes] = {
        f"{module}/__init__.py": f"__version__ = {version!r}\n".encode(),
    }
    for path, text in (files or {}).items():
        if text is None:  # leave it out (the package's own __init__.py)
            members.pop(path, None)
        else:
            members[path] = text if isinstance(text, bytes) else text.encode()
    if pad:
        members[f"{module}/_blob.bin"] = _random_bytes(pad)
    members[f"{info}/METADATA"] = _metadata(
        name, version, requires, requires_python, extras or {}
    ).encode()
    members[f"{info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: symres-tests\nRoot-Is-Purelib: true\nTag: {tag}\n"
    ).encode()
    record = []
    for path, data in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    members[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    out = directory / wheel_name(name, version, tag)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in members.items():
            zf.writestr(path, data)
    return out


def _random_bytes(n: int) -> bytes:
    out = bytearray()
    seed = b"symres"
    while len(out) < n:
        seed = hashlib.sha256(seed).digest()
        out += seed
    return bytes(out[:n])


BACKEND = """
import os

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = os.path.join(metadata_directory, "{dist}-{version}.dist-info")
    os.makedirs(info)
    with open(os.path.join(info, "METADATA"), "w") as f:
        f.write({metadata!r})
    return "{dist}-{version}.dist-info"

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise RuntimeError("not needed by the tests")
"""


def build_sdist(
    directory: Path,
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    requires_python: str | None = None,
    static: bool = True,
    backend: str | None = None,
    extras: Mapping[str, Sequence[str]] | None = None,
    build_requires: Sequence[str] = (),
) -> Path:
    """An sdist. ``static``: PKG-INFO is Metadata-Version 2.2 with nothing dynamic (PEP 643);
    otherwise metadata needs a build through an in-tree backend with no build requirements
    (so the isolated build works offline) unless ``build_requires`` names some.
    ``backend`` replaces that backend's source."""
    dist = canonicalize_name(name).replace("-", "_")
    top = f"{dist}-{version}"
    metadata = _metadata(
        name,
        version,
        requires,
        requires_python,
        extras or {},
        metadata_version="2.2" if static else "2.1",
    )
    members = {
        f"{top}/PKG-INFO": metadata,
        f"{top}/pyproject.toml": (
            f"[build-system]\nrequires = {list(build_requires)!r}\n".replace("'", '"')
            + 'build-backend = "backend"\nbackend-path = ["."]\n'
        ),
        f"{top}/backend.py": backend
        if backend is not None
        else BACKEND.format(dist=dist, version=version, metadata=metadata),
    }
    out = directory / f"{top}.tar.gz"
    with tarfile.open(out, "w:gz") as tf:
        for path, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o644
            tf.addfile(info, io.BytesIO(data))
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


TREE_BACKEND = """
import base64, hashlib, os, zipfile

NAME, VERSION, METADATA = {dist!r}, {version!r}, {metadata!r}


def _line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{{path}},sha256={{digest}},{{len(data)}}"


def _wheel(wheel_directory, members):
    info = f"{{NAME}}-{{VERSION}}.dist-info"
    members = dict(members)
    members[f"{{info}}/METADATA"] = METADATA.encode()
    wheel = "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    members[f"{{info}}/WHEEL"] = wheel.encode()
    record = [_line(p, d) for p, d in members.items()] + [f"{{info}}/RECORD,,"]
    members[f"{{info}}/RECORD"] = ("\\n".join(record) + "\\n").encode()
    name = f"{{NAME}}-{{VERSION}}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for path, data in members.items():
            zf.writestr(path, data)
    return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    members = {{}}
    for root, _, files in os.walk(NAME):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(root, f)
                with open(path, "rb") as fh:
                    members[path.replace(os.sep, "/")] = fh.read()
    return _wheel(wheel_directory, members)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    here = os.path.abspath(".") + "\\n"
    return _wheel(wheel_directory, {{f"__editable__.{{NAME}}.pth": here.encode()}})
"""


def source_tree(
    directory: Path,
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    files: Mapping[str, str] | None = None,
    dynamic: bool = False,
) -> Path:
    """A project folder pip can build and install offline (an in-tree backend with no build
    requirements, editable too). Its ``[project]`` table is static unless *dynamic*."""
    dist = canonicalize_name(name).replace("-", "_")
    directory.mkdir(parents=True, exist_ok=True)
    deps = ", ".join(f'"{r}"' for r in requires)
    table = (
        f'name = "{name}"\nversion = "{version}"\ndynamic = ["dependencies"]\n'
        if dynamic
        else f'name = "{name}"\nversion = "{version}"\ndependencies = [{deps}]\n'
    )
    (directory / "pyproject.toml").write_text(
        f"[project]\n{table}\n"
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
    )
    metadata = _metadata(name, version, requires, None, {})
    (directory / "backend.py").write_text(
        TREE_BACKEND.format(dist=dist, version=version, metadata=metadata)
    )
    for path, text in (files or {f"{dist}/__init__.py": ""}).items():
        (directory / path).parent.mkdir(parents=True, exist_ok=True)
        (directory / path).write_text(text)
    return directory


def lying_wheel(
    directory: Path, name: str, version: str, *, inflates_to: int, claims: int = 1000
) -> Path:
    """A wheel whose ``<name>/__init__.py`` says (in both headers) it is *claims* bytes
    and inflates to *inflates_to* zero bytes: a zip bomb that lies about its size."""
    import struct
    import zlib

    dist = canonicalize_name(name).replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    plain = {
        f"{info}/METADATA": _metadata(name, version, (), None, {}).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/RECORD": b"",
    }
    entries: list[tuple[str, bytes, int, int]] = []  # name, compressed, crc, claimed size
    for member, data in plain.items():
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        entries.append((member, c.compress(data) + c.flush(), zlib.crc32(data), len(data)))
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk, parts, left = b"\0" * (1 << 20), [], inflates_to
    while left > 0:
        parts.append(c.compress(chunk[: min(left, len(chunk))]))
        left -= len(chunk)
    parts.append(c.flush())
    entries.append((f"{dist}/__init__.py", b"".join(parts), 0, claims))
    out, central = bytearray(), bytearray()
    for member, comp, crc, size in entries:
        raw = member.encode()
        offset = len(out)
        out += (
            struct.pack(
                "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(comp), size, len(raw), 0
            )
            + raw
            + comp
        )
        central += (
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(comp),
                size,
                len(raw),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + raw
        )
    end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(out), 0
    )
    path = directory / wheel_name(name, version)
    path.write_bytes(bytes(out + central + end))
    return path


def elf_extension(
    names: Sequence[str], *, needed: Sequence[str] = (), cython: str | None = None
) -> bytes:
    """The bytes of a 64-bit ELF extension module as a compiler leaves them: its
    DT_NEEDED libraries in `.dynamic`, the names it defines as C strings in `.rodata`.
    *cython* ("3.1"): built by that Cython, whose later releases compress the names
    (a zlib stream) and keep only the ABI module's name plain."""
    import struct
    import zlib

    dynstr = b"\0"
    offsets = []
    for lib in needed:
        offsets.append(len(dynstr))
        dynstr += lib.encode() + b"\0"
    dynamic = b"".join(struct.pack("<qQ", 1, off) for off in offsets) + struct.pack("<qQ", 0, 0)
    strings = b"\0".join(n.encode() for n in names) + b"\0"
    if cython is not None:
        abi = f"_cython_{cython.replace('.', '_')}".encode() + b"\0"
        strings = abi + (zlib.compress(strings) if cython >= "3.1" else strings)
    body = [dynstr, dynamic, strings]
    start = 64
    placed = []
    for blob in body:
        placed.append((start, len(blob)))
        start += len(blob)
    shoff = start
    header = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header += struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, 0, shoff, 0, 64, 56, 0, 64, 4, 0)

    def section(kind: int, where: tuple[int, int], link: int = 0) -> bytes:
        return struct.pack("<IIQQQQIIQQ", 0, kind, 0, 0, where[0], where[1], link, 0, 1, 0)

    sections = bytes(64) + section(3, placed[0]) + section(6, placed[1], link=1)
    sections += section(1, placed[2])
    return header + b"".join(body) + sections
