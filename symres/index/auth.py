"""Credentials for the indexes, found where pip finds them: in the index URL
(``user:password@``, or a token as the user name), else in ``~/.netrc`` (``NETRC``); an
index URL with a user name and no password that the index refuses (HTTP 401) gets its
password from the ``keyring`` command (pip's ``keyring-provider``: ``auto``, the default,
and ``subprocess`` ask it when it is on PATH; ``disabled`` never does), asked once per
index and user.

They stay here: every URL symres keeps, caches, writes or shows is without them, and each
request gets the credentials of the index it belongs to as a header: of the indexes on
the same scheme, host and port, the one whose URL shares the longest start with the
request's (its pages, and its files beside them). A URL's own ``user:password@`` (a
direct reference) wins. Never across schemes: what was given for ``https://host`` is not
sent to ``http://host``. A redirect to another host (a file host) carries none (httpx
drops the header across origins).
"""

from __future__ import annotations

import base64
import netrc
import os
import shutil
import subprocess
import threading
import urllib.parse
from collections.abc import Generator, Iterable

import httpx

Origin = tuple[bytes, str, int | None]  # scheme, host, port (None: the scheme's default)


def _origin(url: httpx.URL) -> Origin:
    return (url.raw_scheme, url.host, url.port)


class IndexAuth(httpx.Auth):
    def __init__(self, urls: Iterable[str], keyring: str = "auto") -> None:
        # (the index URL without credentials, its origin, user, password)
        self._indexes: list[tuple[str, Origin, str, str]] = []
        for raw in urls:
            try:
                url = httpx.URL(raw)
            except (httpx.InvalidURL, TypeError):
                continue
            if not url.username:
                continue
            plain = str(url.copy_with(username=None, password=None)).rstrip("/")
            entry = (plain, _origin(url), url.username, url.password or "")
            self._indexes.append(entry)
        self._netrc: netrc.netrc | None | bool = False  # False: not read yet
        self._lock = threading.Lock()
        self._keyring = keyring != "disabled"
        self._asked: dict[tuple[str, str], str] = {}  # (index URL, user) -> password
        self._asking: dict[tuple[str, str], threading.Lock] = {}

    def _from_netrc(self, host: str) -> tuple[str, str] | None:
        with self._lock:
            if self._netrc is False:
                try:
                    self._netrc = netrc.netrc(os.environ.get("NETRC") or None)
                except (OSError, ValueError, netrc.NetrcParseError):  # missing, not UTF-8
                    self._netrc = None
        if not isinstance(self._netrc, netrc.netrc):
            return None
        found = self._netrc.authenticators(host)
        return (found[0], found[2] or "") if found else None

    def _from_keyring(self, index: str, user: str) -> str:
        """The password the ``keyring`` command has for this index (its URL, then its
        host, as pip asks), or "" (no command, no entry, or it did not answer in 10 s)."""
        with self._lock:  # one question per (index, user); other requests do not wait
            if (index, user) in self._asked:
                return self._asked[(index, user)]
            asking = self._asking.setdefault((index, user), threading.Lock())
        with asking:
            if (index, user) in self._asked:  # answered while this thread waited
                return self._asked[(index, user)]
            found = ""
            command = shutil.which("keyring")
            host = urllib.parse.urlsplit(index).netloc.rpartition("@")[2]
            for service in (index, host) if command else ():
                try:
                    done = subprocess.run(
                        [command, "get", service, user],  # type: ignore[list-item]
                        capture_output=True,
                        text=True,
                        errors="replace",  # a keyring that prints bytes is no traceback
                        timeout=10,
                        stdin=subprocess.DEVNULL,
                    )
                except (OSError, subprocess.TimeoutExpired):
                    break
                lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
                if done.returncode == 0 and lines:
                    found = lines[0]
                    break
            self._asked[(index, user)] = found
            return found

    def credentials(self, url: httpx.URL) -> tuple[str, str] | None:
        if url.username:  # the URL's own (a direct reference's)
            return (url.username, url.password or "")
        text = str(url)
        origin = _origin(url)
        same = [e for e in self._indexes if e[1] == origin]
        if same:  # the index sharing the longest path with the request (its page, its files)
            best = max(same, key=lambda e: len(os.path.commonprefix([e[0], text])))
            if not best[3] and (best[0], best[2]) in self._asked:  # the keyring's, known
                return (best[2], self._asked[(best[0], best[2])])
            return (best[2], best[3])
        return self._from_netrc(url.host)

    def _keyring_for(self, url: httpx.URL) -> tuple[str, str] | None:
        """(index URL, user) to ask the keyring for, where the index gave a user name and
        no password (and the URL gives none of its own)."""
        if not self._keyring or url.username:
            return None
        text = str(url)
        same = [e for e in self._indexes if e[1] == _origin(url)]
        if not same:
            return None
        best = max(same, key=lambda e: len(os.path.commonprefix([e[0], text])))
        return None if best[3] else (best[0], best[2])

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if "Authorization" in request.headers:
            yield request
            return
        found = self.credentials(request.url)
        if found is not None:
            _basic(request, *found)
        response = yield request
        # As pip: the keyring is asked only once the index refuses (a user name alone may
        # be a token it accepts, and then it never goes to a command's arguments).
        ask = self._keyring_for(request.url) if response.status_code == 401 else None
        if ask is not None:
            password = self._from_keyring(*ask)  # asked once; later, what it answered
            if password and (found is None or password != found[1]):
                _basic(request, ask[1], password)
                yield request


def basic(user: str, password: str) -> str:
    """The ``Authorization`` header's value for these credentials."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _basic(request: httpx.Request, user: str, password: str) -> None:
    request.headers["Authorization"] = basic(user, password)
