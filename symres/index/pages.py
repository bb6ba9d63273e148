"""Project pages of the simple repository API: PEP 691 JSON and PEP 503 HTML, parsed.

Pure functions: text in, :class:`DistFile` out.
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Literal

from packaging.tags import Tag, parse_tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
)
from packaging.version import InvalidVersion, Version

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPES = ("application/vnd.pypi.simple.v1+html", "text/html")
ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"


@dataclass(frozen=True, slots=True)
class DistFile:
    """One file of a release on an index."""

    filename: str
    url: str
    name: NormalizedName
    version: Version
    kind: Literal["wheel", "sdist"]
    tags: frozenset[Tag]
    sha256: str | None
    requires_python: str | None
    yanked: bool
    size: int | None = None
    yanked_reason: str | None = None
    upload_time: str | None = None
    metadata_sha256: str | None = None
    has_metadata: bool = False  # PEP 658/714: `<url>.metadata` is served


def _hash_of(fragment: str) -> str | None:
    algo, _, value = fragment.partition("=")
    return value.lower() if algo == "sha256" and value else None


@functools.lru_cache(maxsize=1 << 16)
def _version(text: str) -> Version:
    return Version(text)


_TAG = re.compile(r"^[A-Za-z0-9_.]+-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+$")


@functools.lru_cache(maxsize=1 << 13)
def _tags(text: str) -> frozenset[Tag]:
    if not _TAG.match(text):  # e.g. "py36+": newer packaging raises, older accepted it
        raise ValueError(f"invalid wheel tag {text!r}")
    return parse_tag(text)


def _parse_wheel(filename: str) -> tuple[NormalizedName, Version, frozenset[Tag]]:
    """``parse_wheel_filename``, memoised: index pages repeat versions and tags thousands
    of times (one project page can list 15,000 wheels)."""
    parts = filename[:-4].split("-")
    if len(parts) not in (5, 6):
        raise InvalidWheelFilename(filename)
    try:
        version = _version(parts[1])
    except InvalidVersion as exc:
        raise InvalidWheelFilename(filename) from exc
    return canonicalize_name(parts[0]), version, _tags("-".join(parts[-3:]))


def make_file(
    project: NormalizedName,
    filename: str,
    url: str,
    *,
    sha256: str | None,
    requires_python: str | None = None,
    yanked: bool = False,
    size: int | None = None,
    upload_time: str | None = None,
    metadata: bool | str | None = None,
    yanked_reason: str | None = None,
    foreign: bool = False,
) -> DistFile | None:
    """A :class:`DistFile`, or None for files symres does not install (eggs, exes, bad names).

    A *foreign* wheel (one the platform filter says is for another target) keeps no tags:
    it is listed for its hash only, and its tags are not parsed (pages list thousands)."""
    try:
        if foreign:
            name, version, tagset = _parse_foreign(filename)
            kind: Literal["wheel", "sdist"] = "wheel"
        elif filename.endswith(".whl"):
            name, version, tagset = _parse_wheel(filename)
            kind = "wheel"
        elif filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
            tagset = frozenset()
            kind = "sdist"
        else:
            return None
    except (InvalidWheelFilename, InvalidSdistFilename, ValueError):  # InvalidTag, bad versions
        return None
    if name != project:
        return None
    metadata_sha = metadata.lower() if isinstance(metadata, str) else None
    return DistFile(
        filename=filename,
        url=url,
        name=name,
        version=version,
        kind=kind,
        tags=frozenset(tagset),
        sha256=sha256,
        requires_python=requires_python or None,
        yanked=yanked,
        size=size,
        upload_time=upload_time,
        metadata_sha256=metadata_sha,
        has_metadata=bool(metadata),
        yanked_reason=yanked_reason,
    )


def _parse_foreign(filename: str) -> tuple[NormalizedName, Version, frozenset[Tag]]:
    parts = filename[:-4].split("-")
    if len(parts) not in (5, 6):
        raise InvalidWheelFilename(filename)
    try:
        return canonicalize_name(parts[0]), _version(parts[1]), frozenset()
    except InvalidVersion as exc:
        raise InvalidWheelFilename(filename) from exc


def wheel_tag_text(filename: str) -> str:
    """The compressed tag triple of a wheel file name (``cp312-cp312-manylinux_2_28_x86_64``)."""
    return "-".join(filename[:-4].split("-")[-3:])


def _metadata_field(value: Any) -> bool | str | None:
    if isinstance(value, dict):
        return value.get("sha256") or True
    return bool(value) if value is not None else None


WheelFilter = Callable[[str], bool]


def platform_filter(platforms: frozenset[str]) -> WheelFilter:
    """A cheap test on a wheel's file name: does any of its platform tags fit?"""

    def accept(filename: str) -> bool:
        plat = filename[:-4].rsplit("-", 1)[-1]
        return any(p in platforms for p in plat.split("."))

    return accept


def _accept_all(filename: str) -> bool:
    return True


def parse_json_page(
    project: NormalizedName, body: bytes, page_url: str, wheels: WheelFilter = _accept_all
) -> list[DistFile]:
    data = json.loads(body)
    out = []
    for f in data.get("files", []):
        filename = f["filename"]
        foreign = filename.endswith(".whl") and not wheels(filename)
        url = f["url"]
        if not url.startswith(("https://", "http://")):
            url = urllib.parse.urljoin(page_url, url)
        meta = f.get("core-metadata", f.get("dist-info-metadata"))
        yanked = f.get("yanked")
        dist = make_file(
            project,
            filename,
            url.split("#", 1)[0],
            sha256=(f.get("hashes") or {}).get("sha256"),
            requires_python=f.get("requires-python"),
            yanked=bool(yanked),
            size=f.get("size"),
            upload_time=f.get("upload-time"),
            metadata=_metadata_field(meta),
            yanked_reason=yanked if isinstance(yanked, str) and yanked else None,
            foreign=foreign,
        )
        if dist is not None:
            out.append(dist)
    return out


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[dict[str, str | None]] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))
        elif tag == "base" and self.base is None:
            self.base = dict(attrs).get("href")


def parse_html_page(
    project: NormalizedName, body: bytes, page_url: str, wheels: WheelFilter = _accept_all
) -> list[DistFile]:
    parser = _Anchors()
    parser.feed(body.decode("utf-8", errors="replace"))
    base = urllib.parse.urljoin(page_url, parser.base) if parser.base else page_url
    out = []
    for a in parser.anchors:
        href = a.get("href")
        if not href:
            continue
        url = urllib.parse.urljoin(base, href)
        path, _, fragment = url.partition("#")
        filename = urllib.parse.unquote(path.rsplit("/", 1)[-1])
        foreign = filename.endswith(".whl") and not wheels(filename)
        meta_attr = a.get("data-core-metadata", a.get("data-dist-info-metadata"))
        metadata: bool | str | None = None
        if meta_attr is not None:
            metadata = _hash_of(meta_attr) or meta_attr != "false"
        dist = make_file(
            project,
            filename,
            path,
            sha256=_hash_of(fragment),
            requires_python=a.get("data-requires-python"),
            yanked="data-yanked" in a,
            metadata=metadata,
            yanked_reason=a.get("data-yanked") or None,
            foreign=foreign,
        )
        if dist is not None:
            out.append(dist)
    return out


def parse_page(
    project: str, body: bytes, content_type: str, page_url: str, wheels: WheelFilter = _accept_all
) -> list[DistFile]:
    name = canonicalize_name(project)
    if content_type.split(";")[0].strip() == JSON_TYPE:
        return parse_json_page(name, body, page_url, wheels)
    return parse_html_page(name, body, page_url, wheels)
