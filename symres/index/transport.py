"""An httpx transport on the standard library's ``http.client``: the same client API (auth,
redirects, cookies, proxies, timeouts stay httpx's), a third of the CPU a request costs.

A lock reads thousands of small things (pages, ``.metadata`` files, wheel tails by
Range) from many threads; httpcore's pool spends more time in Python per request than
the request takes on a local network, and its shared pool lock makes 16 threads cost
what 30 would (measured in BENCHMARKS.md). Here each connection is plain
``http.client``, kept alive in a pool per origin that a thread borrows from and returns
to. Proxied URLs never come here: httpx sends them through its own proxy transports.

:class:`IndexHTTP` is the client on top: a plain GET skips httpx's models, cookie jar
and redirect loop (half of what a request cost after the transport was this), and
anything that needs them goes through httpx.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import httpx

from symres.index.auth import IndexAuth, basic

CHUNK = 64 * 1024
_Origin = tuple[str, str, int]


class Headers(Protocol):
    """An answer's headers, looked up without regard to case (httpx's or http.client's)."""

    def get(self, name: str, /) -> str | None: ...


def origin_of(url: httpx.URL) -> _Origin:
    return (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))


class StdlibTransport(httpx.BaseTransport):
    """HTTP/1.1 over ``http.client``, connections kept alive per (scheme, host, port)."""

    def __init__(self, ssl_context: ssl.SSLContext, *, max_idle: int = 32) -> None:
        self._ssl = ssl_context
        self._max_idle = max_idle
        self._idle: dict[_Origin, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        origin = origin_of(url)
        if origin[0] not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"the URL has an unsupported scheme: {url.scheme}")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        if not any(k.lower() == "host" for k, _ in headers):
            headers.insert(0, ("Host", url.netloc.decode("ascii")))
        conn, response = self.exchange(
            request.method,
            origin,
            url.raw_path.decode("ascii"),
            headers,
            request.read() or None,
            request.extensions.get("timeout", {}),
        )
        return httpx.Response(
            response.status,
            headers=response.getheaders(),
            stream=_Body(self, origin, conn, response),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": response.reason.encode()},
        )

    def exchange(
        self,
        method: str,
        origin: _Origin,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes | None,
        timeout: dict[str, float | None],
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Send one request on a pooled connection; the response's head is read, its body
        is not (read it through :class:`_Body`, which returns the connection)."""
        while True:
            conn, reused = self._borrow(origin, timeout)
            try:
                conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
                for k, v in headers:
                    conn.putheader(k, v)
                conn.endheaders(body)
                return conn, conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                conn.close()
                if reused and method in ("GET", "HEAD"):  # the server closed a kept-alive
                    # connection before it read this: again on a fresh one
                    continue
                raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__) from None
            except BaseException as exc:
                conn.close()
                raise _httpx_error(exc) from None

    def _borrow(
        self, origin: _Origin, timeout: dict[str, float | None]
    ) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            idle = self._idle.get(origin)
            conn = idle.pop() if idle else None
        if conn is not None:
            if conn.sock is not None:
                conn.sock.settimeout(timeout.get("read"))
            return conn, True
        scheme, host, port = origin
        connect = timeout.get("connect")
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=connect, context=self._ssl)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=connect)
        try:
            conn.connect()
        except BaseException as exc:
            conn.close()
            raise _httpx_error(exc, connecting=True) from None
        assert conn.sock is not None
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sock.settimeout(timeout.get("read"))
        return conn, False

    def _give_back(self, origin: _Origin, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if not self._closed and len(idle) < self._max_idle:
                idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conns = [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
        for conn in conns:
            conn.close()


class _Body(httpx.SyncByteStream):
    """A response body read in chunks; the connection goes back to the pool once the
    body is read to its end (and is closed if the response is closed before that)."""

    def __init__(
        self,
        transport: StdlibTransport,
        origin: _Origin,
        conn: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
    ) -> None:
        self._transport = transport
        self._origin = origin
        self._conn: http.client.HTTPConnection | None = conn
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        try:
            while chunk := self._response.read(CHUNK):
                yield chunk
            if self._response.length:  # the server closed before its Content-Length
                raise http.client.IncompleteRead(b"", self._response.length)
        except BaseException as exc:
            self._drop()
            raise _httpx_error(exc) from None
        if self._conn is not None and not self._response.will_close:
            conn, self._conn = self._conn, None
            self._transport._give_back(self._origin, conn)

    def close(self) -> None:
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._response.close()


def _httpx_error(exc: BaseException, *, connecting: bool = False) -> BaseException:
    """*exc* as the httpx error the client's callers handle (retries catch TransportError)."""
    if isinstance(exc, httpx.HTTPError | KeyboardInterrupt | SystemExit | GeneratorExit):
        return exc
    said = str(exc) or type(exc).__name__
    if isinstance(exc, TimeoutError | socket.timeout):
        return httpx.ConnectTimeout(said) if connecting else httpx.ReadTimeout(said)
    if isinstance(exc, http.client.HTTPException):
        return httpx.RemoteProtocolError(said)
    if isinstance(exc, OSError):
        return httpx.ConnectError(said) if connecting else httpx.ReadError(said)
    return exc


class IndexHTTP(httpx.Client):
    """The client symres reads indexes with: an ``httpx.Client`` whose file GETs take a
    short way to :class:`StdlibTransport` when nothing of httpx's request cycle applies.

    A lock reads thousands of ``.metadata`` files and wheel tails; building httpx's
    request and response models, its cookie exchange (a ``urllib`` request and an email
    message per answer) and its redirect loop cost more CPU than the request itself. The
    short way sends the same headers and the same credentials (from :class:`IndexAuth`)
    and takes the answer as it came, as httpx leaves a 200, 304 or 404. The rest goes
    to httpx, which does it all: a redirect or a 401 (and from then on every request to
    that origin), a cookie in the jar, a proxy (then there is no
    :class:`StdlibTransport`), an encoded body.
    """

    def __init__(self, *, transport: StdlibTransport | None, **kwargs: Any) -> None:
        super().__init__(transport=transport, **kwargs)
        self._plain = transport
        self._not_plain: set[_Origin] = set()
        # the client's headers, less Accept-Encoding: the short way reads bodies as sent
        self._head = [(k, v) for k, v in self.headers.items() if k.lower() != "accept-encoding"]
        self._timeouts = self.timeout.as_dict()

    def send_plain(
        self, url: str, headers: dict[str, str] | None
    ) -> tuple[http.client.HTTPResponse, _Body] | None:
        """The answer to a GET sent the short way, its head read; None where httpx must
        send it (a refused answer is dropped unread)."""
        if self._plain is None or not isinstance(self.auth, IndexAuth) or len(self.cookies.jar):
            return None
        parsed = httpx.URL(url)
        origin = origin_of(parsed)
        if origin in self._not_plain or origin[0] not in ("http", "https"):
            return None
        given = {k.lower() for k in headers} if headers else set()
        send = [("Host", parsed.netloc.decode("ascii"))]
        send += [(k, v) for k, v in self._head if k.lower() not in given]  # as httpx merges
        if headers:
            send += headers.items()
        if "authorization" not in given:
            found = self.auth.credentials(parsed)
            if found is not None:
                send.append(("Authorization", basic(*found)))
        target = parsed.raw_path.decode("ascii")
        conn, response = self._plain.exchange("GET", origin, target, send, None, self._timeouts)
        body = _Body(self._plain, origin, conn, response)
        encoded = response.getheader("content-encoding", "identity").lower() != "identity"
        if (300 <= response.status < 400 and response.status != 304) or (
            response.status == 401 or encoded
        ):
            body.close()
            self._not_plain.add(origin)  # httpx follows, asks the keyring, decodes
            return None
        if response.getheader("set-cookie"):  # kept as httpx keeps it; later: httpx's way
            try:
                self.cookies.extract_cookies(
                    httpx.Response(
                        response.status,
                        headers=response.getheaders(),
                        request=httpx.Request("GET", parsed),
                    )
                )
            except BaseException:
                body.close()
                raise
        return response, body


@contextmanager
def fetch(
    http: httpx.Client, url: str, headers: dict[str, str] | None = None
) -> Iterator[tuple[int, Headers, Iterator[bytes], str]]:
    """GET *url* with *http*: (status, headers, body chunks, final URL), by
    :class:`IndexHTTP`'s short way when it can, else through httpx (redirects followed)."""
    plain = http.send_plain(url, headers) if isinstance(http, IndexHTTP) else None
    if plain is None:
        with http.stream("GET", url, headers=headers) as answer:
            yield answer.status_code, answer.headers, answer.iter_bytes(), str(answer.url)
        return
    response, body = plain
    try:
        yield response.status, response.headers, iter(body), url
    finally:
        body.close()
