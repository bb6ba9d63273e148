"""The index client: project pages, ``.metadata`` files and wheel members, over httpx.

It takes an ``httpx.Client`` from its caller (tests hand it one for a local
server) and a :class:`~symres.cache.Cache`. ``file://`` indexes, as pip accepts
them, are read from disk.
"""

from __future__ import annotations

import json
import marshal
import ssl
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from packaging.utils import NormalizedName, canonicalize_name

from symres.cache import Cache
from symres.errors import IndexUnreachable, InputError
from symres.index.config import IndexConfig, redact_url, strip_auth
from symres.index.distfile import WheelFilter
from symres.index.findlinks import FindLinks
from symres.index.pages import (
    ACCEPT,
    PageFiles,
    page_files,
    parse_page,
    read_page,
    split_records,
)
from symres.index.remote import RangeFile

if TYPE_CHECKING:  # httpx is imported at the first request: a lock from the cache needs none
    import httpx

    from symres.index.transport import Headers

PAGE_TTL = 600.0  # the index sends no Cache-Control: pages are fresh this many seconds
RETRIES = 3
MIN_RATE = 64 * 1024  # bytes/s: slower than this past the deadline, a request is cut
_T = TypeVar("_T")


@dataclass
class Stats:
    requests: int = 0
    bytes: int = 0
    pages_from_cache: int = 0
    pages_fetched: int = 0

    def add(self, nbytes: int) -> None:
        self.requests += 1
        self.bytes += nbytes


def make_http_client(config: IndexConfig) -> httpx.Client:
    import httpx

    verify: ssl.SSLContext | bool = True
    if config.cert:
        try:
            verify = ssl.create_default_context(cafile=config.cert)
        except (OSError, ssl.SSLError) as exc:
            raise InputError(
                f"cannot use the CA bundle `{config.cert}` ({exc})",
                hint="fix pip's `cert` setting, `PIP_CERT` or `--cert`",
            ) from exc
    from symres.index.auth import IndexAuth
    from symres.index.transport import IndexHTTP, StdlibTransport

    # httpx routes proxied requests only when it makes the transports itself: with a
    # proxy in the environment (as httpx reads it), httpx's own transports carry all
    transport = None
    if not any(urllib.request.getproxies().get(s) for s in ("http", "https", "all")):
        context = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context()
        transport = StdlibTransport(context)
    return IndexHTTP(
        timeout=config.timeout,
        auth=IndexAuth(
            [config.index_url, *config.extra_index_urls, *config.find_links],
            keyring=config.keyring_provider,
        ),
        verify=verify,
        transport=transport,
        follow_redirects=True,
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        headers={"User-Agent": "symres"},
    )


def _file_path(url: str) -> Path:
    return Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))


class IndexClient:
    """Everything symres reads from package indexes. Safe to call from several threads."""

    def __init__(
        self,
        config: IndexConfig,
        http: httpx.Client | Callable[[], httpx.Client],
        cache: Cache,
        *,
        refresh: bool | frozenset[str] = False,
        page_ttl: float = PAGE_TTL,
        offline: bool = False,
    ) -> None:
        """*refresh*: revalidate every cached page (True) or those of these projects."""
        self.config = config
        # a factory is called at the first request: a lock served from the cache makes
        # no client (and loads no CA bundle)
        self._http: httpx.Client | None = None
        self._make_http: Callable[[], httpx.Client] | None = None
        if callable(http) and not hasattr(http, "get"):  # a factory, not a client
            self._make_http = http
        else:
            self._http = http  # type: ignore[assignment]
        self.cache = cache
        self.refresh = refresh
        self.page_ttl = page_ttl
        self.offline = offline  # only what the cache holds, however old
        self.deadline = 4 * config.timeout  # seconds a request may take below MIN_RATE
        self.stats = Stats()
        self._lock = threading.Lock()
        self.find_links = FindLinks(config.find_links, self.get_bytes)

    def http(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                assert self._make_http is not None
                self._http = self._make_http()
            return self._http

    def close(self) -> None:
        """Close the HTTP client this index client made (not one it was given)."""
        if self._make_http is not None and self._http is not None:
            self._http.close()

    # -- HTTP with retries ---------------------------------------------------------------

    def _retry(self, url: str, call: Callable[[], _T]) -> _T:
        import httpx

        last: Exception | None = None
        for attempt in range(RETRIES):
            try:
                return call()
            except httpx.ConnectError as exc:
                if "CERTIFICATE_VERIFY_FAILED" in str(exc):  # fails the same way every time
                    raise IndexUnreachable(
                        f"`{redact_url(url)}` has a certificate this machine does not trust "
                        f"({str(exc)[:160]})",
                        hint="give the index's CA bundle with `--cert`, `PIP_CERT` or "
                        "pip.conf's `cert`",
                    ) from None
                last = exc
            except httpx.TransportError as exc:
                last = exc
            except _ServerError as exc:
                last = exc
            except httpx.RequestError as exc:  # a redirect loop, a bad encoding: no retry
                said = str(exc) or type(exc).__name__
                raise IndexUnreachable(
                    f"`{redact_url(url)}` cannot be read ({type(exc).__name__}: {said[:160]})",
                    hint="check the index URL (`--index-url`, `PIP_INDEX_URL`, pip.conf)",
                ) from None
            time.sleep(0.2 * (2**attempt))
        reason = str(last) or last.__class__.__name__ if last else "no answer"
        raise IndexUnreachable(
            f"`{redact_url(url)}` did not answer after {RETRIES} tries ({reason})",
            hint="check the network and the index URL (`--index-url`, `PIP_INDEX_URL`, pip.conf)",
        )

    def _get(self, url: str, headers: dict[str, str] | None = None) -> Answer:
        if self.offline:
            raise IndexUnreachable(
                f"`{redact_url(url)}` is not in the cache, and `--offline` reads nothing else",
                hint="lock once online (or without --offline) to fill the cache",
            )
        from symres.index.transport import fetch

        def call() -> Answer:
            started = time.monotonic()
            with fetch(self.http(), url, headers) as (status, head, body, final):
                if status >= 500 or status == 429:
                    raise _ServerError(f"HTTP {status}")
                chunks = []
                got = 0
                for chunk in body:
                    chunks.append(chunk)
                    got += len(chunk)
                    elapsed = time.monotonic() - started
                    if elapsed > self.deadline and got < elapsed * MIN_RATE:
                        raise IndexUnreachable(
                            f"`{redact_url(url)}` sent {got} bytes in {elapsed:.0f}s: too slow "
                            f"(the deadline is {self.deadline:.0f}s below "
                            f"{MIN_RATE // 1024} KiB/s)",
                            hint="raise pip's `timeout` (PIP_DEFAULT_TIMEOUT), or check the index",
                        )
                answer = Answer(status, head, b"".join(chunks), final)
            with self._lock:
                self.stats.add(got)
            return answer

        return self._retry(url, call)

    def get_bytes(self, url: str) -> bytes:
        """A whole file (``.metadata``, an sdist)."""
        if url.startswith("file:"):
            return _file_path(url).read_bytes()
        response = self._get(url)
        if response.status_code != 200:
            raise IndexUnreachable(
                f"`{redact_url(url)}` answered HTTP {response.status_code}",
                hint="the index lists a file it does not serve; try `--refresh`",
            )
        return response.content

    def open_range(self, url: str) -> RangeFile | Path:
        """A seekable view of a remote file (a local path for ``file://``)."""
        if url.startswith("file:"):
            return _file_path(url)

        def fetch(start: int | None, end: int) -> tuple[int, str | None, bytes]:
            spec = f"bytes=-{end}" if start is None else f"bytes={start}-{end}"
            response = self._get(url, headers={"Range": spec})
            if response.status_code not in (200, 206):
                raise IndexUnreachable(
                    f"`{redact_url(url)}` answered HTTP {response.status_code}",
                    hint="the index lists a file it does not serve; try `--refresh`",
                )
            return response.status_code, response.headers.get("content-range"), response.content

        return RangeFile(fetch)

    # -- project pages -------------------------------------------------------------------

    def project_files(self, project: str, wheels: WheelFilter | None = None) -> PageFiles | None:
        """Every file of *project* across the configured indexes; None if no index knows it.

        *wheels* keeps wheels for other targets unparsed (:class:`PageFiles`)."""
        name = canonicalize_name(project)
        wheels = wheels or WheelFilter()
        found: list[PageFiles] = []
        for base in self.config.lookup_order:
            # no credentials in what is cached or kept: the client's auth adds them
            page = self._page(strip_auth(base), name, wheels)
            if page is not None:
                found.append(page)
                if self.config.strategy == "first-index":
                    break  # the first index that has the project serves all of it
        if self.config.find_links and (linked := self.find_links.records(name)):
            linked_kept, grouped = split_records(linked, wheels)
            blobs = {v: marshal.dumps(rs) for v, rs in grouped.items()}
            found.append(page_files(name, linked_kept, blobs))
        if not found:
            return None
        if len(found) == 1:
            return found[0]
        seen: set[str] = set()  # the first index listing a file name wins, as before
        kept = []
        for page in found:
            kept += [r for r in page.records if r[0] not in seen]
            seen.update(r[0] for r in page.records)
        foreign: dict[str, bytes] = {}
        for page in found:
            for version, blob in page.foreign.items():
                foreign.setdefault(version, blob)
        stamps = [page.stamp for page in found]
        return PageFiles(name, kept, foreign, "\0".join(stamps) if all(stamps) else "")

    def _page(self, base: str, name: NormalizedName, wheels: WheelFilter) -> PageFiles | None:
        url = f"{base}/{name}/"
        if url.startswith("file:"):
            path = _file_path(url)
            index = path / "index.html"
            if not index.is_file():
                return None
            return parse_page(name, index.read_bytes(), "text/html", index.as_uri(), wheels)
        cached = self._cached_page(url)
        headers = {"Accept": ACCEPT}
        if cached is not None:
            meta, body = cached
            stale = self.refresh is True or (self.refresh and name in self.refresh)
            fresh = time.time() - meta["fetched"] < self.page_ttl
            if self.offline or (not stale and fresh):
                with self._lock:
                    self.stats.pages_from_cache += 1
                return self._parsed(name, meta, body, wheels)
            if meta.get("etag"):
                headers["If-None-Match"] = meta["etag"]
            if meta.get("last_modified"):
                headers["If-Modified-Since"] = meta["last_modified"]
        response = self._get(url, headers=headers)
        with self._lock:
            self.stats.pages_fetched += 1
        if response.status_code == 304 and cached is not None:
            meta, body = cached
            meta["fetched"] = time.time()
            self._store_page(url, meta, body.read())
            return self._parsed(name, meta, body, wheels)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise IndexUnreachable(
                f"`{redact_url(url)}` answered HTTP {response.status_code}",
                hint="check the index URL and its credentials",
            )
        meta = {
            "url": str(response.url),
            "fetched": time.time(),
            "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
            "content_type": response.headers.get("content-type") or "text/html",
        }
        parsed = self._parsed(name, meta, _Body(response.content), wheels)  # raises BadPage
        self._store_page(url, meta, response.content)  # only a page that parsed is kept
        return parsed

    def _parsed(
        self, name: NormalizedName, meta: dict[str, Any], body: _Body, wheels: WheelFilter
    ) -> PageFiles:
        """The page read for this target: from the cache of pages already read for a
        target with this filter (no JSON to decode), else parsed and remembered."""
        key = f"{meta['url']}\0{meta['fetched']}\0{wheels.key}"
        raw = self.cache.read("pages-read", key)
        if raw is not None:
            try:
                kept, foreign = marshal.loads(raw)
                return page_files(name, [tuple(r) for r in kept], foreign, key)
            except (ValueError, EOFError, TypeError):
                pass  # an unreadable entry is a miss
        kept, grouped = read_page(body.read(), meta["content_type"], meta["url"], wheels)
        foreign = {v: marshal.dumps(rs) for v, rs in grouped.items()}
        self.cache.write("pages-read", key, marshal.dumps((kept, foreign)))
        return page_files(name, kept, foreign, key if self.cache.root else "")

    def _cached_page(self, url: str) -> tuple[dict[str, Any], _Body] | None:
        """The cached page's facts (its first line) and, read only when needed, its body."""
        head = self.cache.read_line("pages", url)
        if head is None:
            return None
        try:
            meta = json.loads(head)
        except ValueError:
            return None
        if not isinstance(meta, dict) or "fetched" not in meta:
            return None
        return meta, _Body(None, lambda: self._page_body(url))

    def _page_body(self, url: str) -> bytes:
        raw = self.cache.read("pages", url) or b""
        return raw.partition(b"\n")[2]

    def _store_page(self, url: str, meta: dict[str, Any], body: bytes) -> None:
        self.cache.write("pages", url, json.dumps(meta).encode() + b"\n" + body)


@dataclass
class Answer:
    """An index's answer, read to its end."""

    status_code: int
    headers: Headers
    content: bytes
    url: str  # where it came from, after redirects


class _Body:
    """A page body, in memory or read from the cache when first needed."""

    def __init__(self, data: bytes | None, load: Callable[[], bytes] | None = None) -> None:
        self._data = data
        self._load = load

    def read(self) -> bytes:
        if self._data is None:
            self._data = self._load() if self._load else b""
        return self._data


class _ServerError(Exception):
    """A 5xx or 429 answer: worth another try."""
