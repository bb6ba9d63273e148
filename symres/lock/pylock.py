"""pylock.toml (PEP 751), built from ``packaging.pylock`` objects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import tomli_w
from packaging.markers import Marker
from packaging.pylock import Package, PackageSdist, PackageWheel, Pylock
from packaging.version import Version

from symres import __version__
from symres.index.pages import DistFile
from symres.resolve.run import LockedPackage
from symres.target import Target


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _hashes(f: DistFile) -> dict[str, str]:
    return {"sha256": f.sha256} if f.sha256 else {}


def target_marker(target: Target) -> Marker:
    env = target.env
    return Marker(
        f'python_version == "{target.python_version}" and sys_platform == "{env["sys_platform"]}"'
        f' and platform_machine == "{env["platform_machine"]}"'
    )


def build_pylock(packages: Sequence[LockedPackage], target: Target, command: str) -> Pylock:
    out = []
    for pkg in packages:
        kinds = {f.kind for f in pkg.release.files}  # what the file-kind policy allows
        files = [f for f in pkg.release.hashed if f.kind in kinds]
        wheels = [
            PackageWheel(
                name=f.filename,
                url=f.url,
                size=f.size,
                upload_time=_time(f.upload_time),
                hashes=_hashes(f),
            )
            for f in files
            if f.kind == "wheel"
        ]
        sdists = [f for f in files if f.kind == "sdist"]
        sdist = None
        if sdists:
            f = sdists[0]
            sdist = PackageSdist(
                name=f.filename,
                url=f.url,
                size=f.size,
                upload_time=_time(f.upload_time),
                hashes=_hashes(f),
            )
        tool = {"symres": {"narrowed": list(pkg.notes)}} if pkg.notes else None
        out.append(
            Package(
                name=pkg.name, version=pkg.version, wheels=wheels or None, sdist=sdist, tool=tool
            )
        )
    lock = Pylock(
        lock_version=Version("1.0"),
        environments=[target_marker(target)],
        created_by="symres",
        packages=out,
        tool={"symres": {"version": __version__, "command": command, "target": target.describe()}},
    )
    lock.validate()
    return lock


def render_pylock(packages: Sequence[LockedPackage], target: Target, command: str) -> str:
    return tomli_w.dumps(dict(build_pylock(packages, target, command).to_dict()))
