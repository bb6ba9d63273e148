"""Project pages of the simple repository API: PEP 691 JSON and PEP 503 HTML, parsed.

Pure functions: text in, records and :class:`~symres.index.distfile.DistFile` out.
"""

from __future__ import annotations

import functools
import json
import marshal
import urllib.parse
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name

from symres.errors import BadPage
from symres.index.config import redact_url
from symres.index.distfile import DistFile, WheelFilter, make_file

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPES = ("application/vnd.pypi.simple.v1+html", "text/html")
ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"


def _hash_of(fragment: str) -> str | None:
    algo, _, value = fragment.partition("=")
    return value.lower() if algo == "sha256" and value else None


def _metadata_field(value: Any) -> bool | str | None:
    if isinstance(value, dict):
        return value.get("sha256") or True
    return bool(value) if value is not None else None


# One file of a page as the index describes it, before any parsing of its name:
# (filename, url, sha256, requires_python, yanked, yanked_reason, size, upload_time,
# metadata) — plain values, so that a page's records keep in the cache (marshal).
FileRecord = tuple[
    str, str, "str | None", "str | None", bool, "str | None", "int | None", "str | None", Any
]


@dataclass(frozen=True)
class PageFiles:
    """A project page read for one target: the files its wheel filter admits (parsed),
    and the records of wheels for other targets, by version, left unparsed — they are
    needed only for the hashes of the few versions a lock holds."""

    project: NormalizedName
    records: list[FileRecord]  # the files the filter admits, unparsed
    foreign: dict[str, bytes]  # version text (as in file names) -> marshalled records
    stamp: str = ""  # names this read of the page in caches ("" when not to be cached)

    @functools.cached_property
    def parsed(self) -> list[DistFile | None]:
        """One file per record (None for a name symres does not install)."""
        return [self.file(i) for i in range(len(self.records))]

    def file(self, index: int) -> DistFile | None:
        """The file of one record, parsed when first asked for."""
        done = self.__dict__.setdefault("_files", {})
        if index not in done:
            done[index] = from_record(self.project, self.records[index])
        found: DistFile | None = done[index]
        return found

    @property
    def files(self) -> list[DistFile]:
        return [f for f in self.parsed if f is not None]

    def everything(self) -> list[DistFile]:
        blobs = self.foreign.values()
        return [*self.files, *(f for b in blobs for f in decode_foreign(self.project, b))]


def _json_record(f: dict[str, Any], page_url: str) -> FileRecord:
    url = f["url"]
    if not url.startswith(("https://", "http://")):
        url = urllib.parse.urljoin(page_url, url)
    if "#" in url:
        url = url.split("#", 1)[0]
    yanked = f.get("yanked")
    hashes = f.get("hashes")
    meta = f.get("core-metadata")
    if meta is None:
        meta = f.get("dist-info-metadata")
    return (
        f["filename"],
        url,
        hashes.get("sha256") if hashes else None,
        f.get("requires-python") or None,
        bool(yanked),
        yanked if yanked and isinstance(yanked, str) else None,
        f.get("size"),
        f.get("upload-time"),
        _metadata_field(meta) if meta is not None else None,
    )


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


def html_records(body: bytes, page_url: str) -> list[FileRecord]:
    parser = _Anchors()
    parser.feed(body.decode("utf-8", errors="replace"))
    base = urllib.parse.urljoin(page_url, parser.base) if parser.base else page_url
    out: list[FileRecord] = []
    for a in parser.anchors:
        href = a.get("href")
        if not href:
            continue
        url = urllib.parse.urljoin(base, href)
        path, _, fragment = url.partition("#")
        filename = urllib.parse.unquote(path.rsplit("/", 1)[-1])
        meta_attr = a.get("data-core-metadata", a.get("data-dist-info-metadata"))
        metadata: bool | str | None = None
        if meta_attr is not None:
            metadata = _hash_of(meta_attr) or meta_attr != "false"
        yanked = a.get("data-yanked")
        out.append(
            (
                filename,
                path,
                _hash_of(fragment),
                a.get("data-requires-python") or None,
                "data-yanked" in a,
                yanked or None,
                None,
                None,
                metadata,
            )
        )
    return out


def read_page(
    body: bytes, content_type: str, page_url: str, wheels: WheelFilter
) -> tuple[list[FileRecord], dict[str, list[Any]]]:
    """The records of the files *wheels* admits, and the wheels for other targets by the
    version in their file name, as the page gives them (JSON objects, made absolute, or
    HTML records): nothing is built for them until a lock needs their hashes."""
    try:
        return _read_page(body, content_type, page_url, wheels)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        kind = "JSON" if content_type.split(";")[0].strip() in _JSON_TYPES else "HTML"
        raise BadPage(
            f"`{redact_url(page_url)}` is not a project page ({kind}: "
            f"{type(exc).__name__}: {str(exc)[:120]})",
            hint="the index answered with something else; check the URL (`--index-url`)",
        ) from None


_JSON_TYPES = (JSON_TYPE, "application/vnd.pypi.simple.latest+json", "application/json")


def _read_page(
    body: bytes, content_type: str, page_url: str, wheels: WheelFilter
) -> tuple[list[FileRecord], dict[str, list[Any]]]:
    if not body.strip():
        return [], {}  # a project with no files
    if content_type.split(";")[0].strip() not in _JSON_TYPES:
        if b"<" not in body[:4096]:  # not HTML at all (PEP 503 pages are HTML5 documents)
            raise ValueError("no HTML markup")
        return split_records(html_records(body, page_url), wheels)
    kept: list[FileRecord] = []
    foreign: dict[str, list[Any]] = {}
    page = json.loads(body)
    if not isinstance(page, dict) or not isinstance(page.get("files", []), list):
        raise TypeError("expected an object with a list of files")
    for f in page.get("files", ()):
        if not isinstance(f, dict) or not isinstance(f.get("filename"), str):
            raise TypeError(f"a file entry is not an object with a filename: {str(f)[:60]}")
        filename = f["filename"]
        if filename.endswith(".whl") and not wheels(filename):
            parts = filename.split("-", 2)
            if len(parts) == 3:
                if not f["url"].startswith(("https://", "http://")):
                    f["url"] = urllib.parse.urljoin(page_url, f["url"])
                foreign.setdefault(parts[1], []).append(f)
            continue
        kept.append(_json_record(f, page_url))
    return kept, foreign


def from_record(
    project: NormalizedName, r: FileRecord, *, foreign: bool = False
) -> DistFile | None:
    filename, url, sha, rp, yanked, reason, size, uploaded, metadata = r
    return make_file(
        project,
        filename,
        url,
        sha256=sha,
        requires_python=rp,
        yanked=yanked,
        size=size,
        upload_time=uploaded,
        metadata=metadata,
        yanked_reason=reason,
        foreign=foreign,
    )


def split_records(
    found: list[FileRecord], wheels: WheelFilter
) -> tuple[list[FileRecord], dict[str, list[Any]]]:
    """The records the filter admits, and the others by the version in their file name."""
    kept: list[FileRecord] = []
    foreign: dict[str, list[FileRecord]] = {}
    for r in found:
        filename = r[0]
        if filename.endswith(".whl") and not wheels(filename):
            parts = filename.split("-", 2)
            if len(parts) == 3:
                foreign.setdefault(parts[1], []).append(r)
            continue
        kept.append(r)
    return kept, foreign


def page_files(
    project: NormalizedName, kept: list[FileRecord], foreign: dict[str, bytes], stamp: str = ""
) -> PageFiles:
    return PageFiles(project, kept, foreign, stamp)


def decode_foreign(project: NormalizedName, blob: bytes) -> list[DistFile]:
    out = []
    for item in marshal.loads(blob):
        r = _json_record(item, "") if isinstance(item, dict) else tuple(item)
        f = from_record(project, r, foreign=True)
        if f is not None:
            out.append(f)
    return out


def parse_page(
    project: str,
    body: bytes,
    content_type: str,
    page_url: str,
    wheels: WheelFilter | None = None,
) -> PageFiles:
    name = canonicalize_name(project)
    kept, foreign = read_page(body, content_type, page_url, wheels or WheelFilter())
    return page_files(name, kept, {v: marshal.dumps(rs) for v, rs in foreign.items()})


def parse_json_page(project: NormalizedName, body: bytes, page_url: str) -> list[DistFile]:
    """Every file of a PEP 691 page (tests and tools; the client reads pages by target)."""
    return parse_page(project, body, JSON_TYPE, page_url).files
