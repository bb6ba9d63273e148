"""An httpx transport on the standard library's ``http.client``: the same client API (auth,
redirects, cookies, proxies, timeouts stay httpx's), a third of the CPU a request costs.

A lock reads thousands of small things (pages, ``.metadata`` files, wheel tails by
Range) from many threads; httpcore's pool spends more time in Python per request than
the request takes on a local network, and its shared pool lock makes 16 threads cost
what 30 would (measured in BENCHMARKS.md). Here each connection is plain
``http.client``, kept alive in a pool per origin that a thread borrows from and returns
to. Proxied URLs never come here: httpx sends them through its own proxy transports.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from collections.abc import Iterator

import httpx

CHUNK = 64 * 1024
_Origin = tuple[str, str, int]


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
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        if origin[0] not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"the URL has an unsupported scheme: {url.scheme}")
        timeout = request.extensions.get("timeout", {})
        target = url.raw_path.decode("ascii")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        if not any(k.lower() == "host" for k, _ in headers):
            headers.insert(0, ("Host", url.netloc.decode("ascii")))
        body = request.read() or None
        while True:
            conn, reused = self._borrow(origin, timeout)
            try:
                conn.putrequest(request.method, target, skip_host=True, skip_accept_encoding=True)
                for k, v in headers:
                    conn.putheader(k, v)
                conn.endheaders(body)
                response = conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                conn.close()
                if reused and request.method in ("GET", "HEAD"):  # the server closed a
                    # kept-alive connection before it read this: again on a fresh one
                    continue
                raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__) from None
            except BaseException as exc:
                conn.close()
                raise _httpx_error(exc) from None
            break
        return httpx.Response(
            response.status,
            headers=response.getheaders(),
            stream=_Body(self, origin, conn, response),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": response.reason.encode()},
        )

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
