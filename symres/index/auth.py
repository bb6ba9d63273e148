"""Credentials for the indexes, found where pip finds them: in the index URL
(``user:password@``, or a token as the user name), else in ``~/.netrc`` (``NETRC``).

They stay here: every URL symres keeps, caches, writes or shows is without them, and each
request gets the credentials of its host as a header. A redirect to another host (a file
host) carries none (httpx drops the header across origins).
"""

from __future__ import annotations

import base64
import netrc
import os
import threading
import urllib.parse
from collections.abc import Generator, Iterable

import httpx


def _host(netloc_host: str | None, port: int | None) -> str:
    return f"{netloc_host or ''}:{port}" if port else (netloc_host or "")


class IndexAuth(httpx.Auth):
    def __init__(self, urls: Iterable[str]) -> None:
        self._by_host: dict[str, tuple[str, str]] = {}
        for url in urls:
            parts = urllib.parse.urlsplit(url)
            if parts.username is not None:
                user = urllib.parse.unquote(parts.username)
                password = urllib.parse.unquote(parts.password or "")
                self._by_host.setdefault(_host(parts.hostname, parts.port), (user, password))
        self._netrc: netrc.netrc | None | bool = False  # False: not read yet
        self._lock = threading.Lock()

    def _from_netrc(self, host: str) -> tuple[str, str] | None:
        with self._lock:
            if self._netrc is False:
                try:
                    self._netrc = netrc.netrc(os.environ.get("NETRC") or None)
                except (OSError, netrc.NetrcParseError):
                    self._netrc = None
        if not isinstance(self._netrc, netrc.netrc):
            return None
        found = self._netrc.authenticators(host)
        return (found[0], found[2] or "") if found else None

    def credentials(self, url: httpx.URL) -> tuple[str, str] | None:
        with_port = _host(url.host, url.port)
        return self._by_host.get(with_port) or self._from_netrc(url.host)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if "Authorization" not in request.headers:
            found = self.credentials(request.url)
            if found is not None:
                token = base64.b64encode(f"{found[0]}:{found[1]}".encode()).decode()
                request.headers["Authorization"] = f"Basic {token}"
        yield request
