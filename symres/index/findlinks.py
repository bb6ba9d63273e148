"""pip's ``--find-links``: a folder of files, or an HTML page of links to them, searched
beside the indexes (a flat list of every project's files, not a page a project)."""

from __future__ import annotations

import threading
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    parse_sdist_filename,
    parse_wheel_filename,
)

from symres.errors import InputError
from symres.index.pages import FileRecord, html_records


def _project(filename: str) -> NormalizedName | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[0]
        if filename.endswith((".tar.gz", ".zip")):
            return parse_sdist_filename(filename)[0]
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


class FindLinks:
    """Every location's files by project, each location read once (thread-safe)."""

    def __init__(self, locations: tuple[str, ...], get: Callable[[str], bytes]) -> None:
        self.locations = locations
        self._get = get
        self._lock = threading.Lock()
        self._by_project: dict[NormalizedName, list[FileRecord]] | None = None

    def records(self, name: NormalizedName) -> list[FileRecord]:
        with self._lock:
            if self._by_project is None:
                self._by_project = {}
                for location in self.locations:
                    for r in self._read(location):
                        project = _project(r[0])
                        if project is not None:
                            self._by_project.setdefault(project, []).append(r)
            return list(self._by_project.get(name, ()))

    def _read(self, location: str) -> list[FileRecord]:
        folder = local_path_of(location)
        if folder is not None:
            if not folder.is_dir():
                if folder.is_file() and folder.suffix in (".html", ".htm"):
                    return html_records(folder.read_bytes(), folder.as_uri())
                raise InputError(
                    f"`--find-links {location}`: no such folder",
                    hint="give a folder of wheels and sdists, or a URL of a page of links",
                )
            return [_file_record(p) for p in sorted(folder.iterdir()) if p.is_file()]
        return html_records(self._get(location), location)


def _file_record(path: Path) -> FileRecord:
    size = path.stat().st_size
    return (path.name, path.resolve().as_uri(), None, None, False, None, size, None, None)


def local_path_of(location: str) -> Path | None:
    """The folder or file a location names, or None for a URL to fetch."""
    scheme = urllib.parse.urlsplit(location).scheme
    if scheme in ("http", "https"):
        return None
    if scheme == "file":
        return Path(urllib.request.url2pathname(urllib.parse.urlsplit(location).path))
    return Path(location).expanduser()
