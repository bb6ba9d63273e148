"""Wheels of symres' own dependencies, repacked from this environment, so that a tool that
installs symres (pre-commit) can do it from the local test index, offline.

Every dependency symres has is pure Python; a repacked wheel holds the installed files
listed in RECORD (no scripts, no bytecode) and a fresh WHEEL and RECORD.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

_SKIP_INFO = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json", "WHEEL"}


def closure(names: list[str]) -> list[metadata.Distribution]:
    """The installed distributions *names* need, themselves included (no extras)."""
    seen: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[name] = dist
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return list(seen.values())


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def repack(dist: metadata.Distribution, dest: Path) -> Path:
    files = [f for f in dist.files or [] if f.parts[0] != ".." and "__pycache__" not in f.parts]
    info = next(f.parts[0] for f in files if f.parts[0].endswith(".dist-info"))
    path = dest / f"{info[: -len('.dist-info')]}-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as whl:
        for f in files:
            if f.parts[0] == info and f.parts[-1] in _SKIP_INFO:
                continue
            data = Path(dist.locate_file(f)).read_bytes()
            name = "/".join(f.parts)
            whl.writestr(name, data)
            record.append(f"{name},sha256={_digest(data)},{len(data)}")
        wheel = b"Wheel-Version: 1.0\nGenerator: symres-tests\nRoot-Is-Purelib: true\n"
        wheel += b"Tag: py3-none-any\n"
        whl.writestr(f"{info}/WHEEL", wheel)
        record.append(f"{info}/WHEEL,sha256={_digest(wheel)},{len(wheel)}")
        record.append(f"{info}/RECORD,,")
        whl.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


def symres_wheelhouse(dest: Path) -> list[Path]:
    """Wheels for installing symres from its source: its dependencies and the build
    backend (setuptools, and wheel for setuptools older than 70.1)."""
    needs = [Requirement(r).name for r in metadata.requires("symres") or [] if "extra" not in r]
    dists = closure([*needs, "setuptools", "wheel"])
    return [repack(d, dest) for d in dists]
