"""pylock.toml (PEP 751), built from ``packaging.pylock`` objects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import tomli_w
from packaging.markers import Marker
from packaging.pylock import (
    Package,
    PackageArchive,
    PackageDirectory,
    PackageSdist,
    PackageVcs,
    PackageWheel,
    Pylock,
)
from packaging.version import Version

from symres import __version__
from symres.index.config import strip_auth
from symres.index.direct import DirectSource, local_path, split_vcs_url
from symres.index.distfile import DistFile
from symres.lock.txt import relative
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


def _direct(pkg: LockedPackage, origin: DirectSource, base: Path) -> Package:
    """A file, folder or checkout the inputs named: PEP 751's archive, directory, vcs."""
    local = origin.url.startswith("file:")
    path = relative(local_path(origin.url), base) if local else None
    if origin.kind == "archive":
        assert origin.file is not None
        archive = PackageArchive(
            url=None if local else strip_auth(origin.url),
            path=path,
            size=origin.file.size,
            hashes=_hashes(origin.file),
        )
        return Package(name=pkg.name, version=pkg.version, archive=archive)
    if origin.kind == "directory":
        assert path is not None
        folder = PackageDirectory(path=path, editable=origin.ref.editable or None)
        return Package(name=pkg.name, version=pkg.version, directory=folder)
    url, rev, subdirectory = split_vcs_url(origin.ref.url)
    assert origin.commit is not None
    repo = relative(local_path(url), base) if url.startswith("file:") else None
    vcs = PackageVcs(
        type="git",
        url=None if repo else strip_auth(url),
        path=repo,
        requested_revision=rev,
        commit_id=origin.commit,
        subdirectory=subdirectory,
    )
    return Package(name=pkg.name, version=pkg.version, vcs=vcs)


def build_pylock(
    packages: Sequence[LockedPackage], target: Target, command: str, base: Path | None = None
) -> Pylock:
    base = base or Path.cwd()
    out = []
    for pkg in packages:
        if pkg.release.origin is not None:
            out.append(_direct(pkg, pkg.release.origin, base))
            continue
        kinds = {f.kind for f in pkg.release.files}  # what the file-kind policy allows
        files = [f for f in pkg.release.hashed if f.kind in kinds]
        wheels = [
            PackageWheel(
                name=f.filename,
                url=strip_auth(f.url),
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
                url=strip_auth(f.url),
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


def render_pylock(
    packages: Sequence[LockedPackage], target: Target, command: str, base: Path | None = None
) -> str:
    return tomli_w.dumps(dict(build_pylock(packages, target, command, base).to_dict()))
