"""A real package index on 127.0.0.1 for the tests: PEP 691 JSON and PEP 503 HTML pages,
files with Range support that can be switched off, and PEP 658 `.metadata` that can be
switched on. It logs every request so tests can assert what was fetched."""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import html
import json
import re
import socket
import ssl
import threading
import time
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


@dataclass
class Logged:
    path: str
    range: str | None
    status: int
    sent: int
    authorized: bool = False  # the request carried an Authorization header


@dataclass
class ServedFile:
    path: Path
    requires_python: str | None = None
    yanked: bool = False
    uploaded: str | None = None  # PEP 700 `upload-time`, served on JSON pages

    @functools.cached_property
    def data(self) -> bytes:
        return self.path.read_bytes()

    @functools.cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@functools.cache
def _project_of(filename: str) -> str:
    if filename.endswith(".whl"):
        return parse_wheel_filename(filename)[0]
    return parse_sdist_filename(filename)[0]


@dataclass
class IndexServer:
    json: bool = True
    html: bool = True
    ranges: bool = True
    metadata: bool = False
    status_override: int | None = None
    delay: float = 0.0  # seconds before each answer (a slow index)
    page_override: tuple[bytes, str] | None = None  # (body, content type) of every page
    redirect_loop: bool = False  # every page redirects to itself
    auth: tuple[str, str] | None = None  # (user, password) every request must send
    trickle: float = 0.0  # seconds between the bytes of a page (a server that stalls)
    range_lie: int = 0  # bytes added to the start a Content-Range reports (a broken proxy)
    tls: ssl.SSLContext | None = None  # serve HTTPS with this server-side context
    hang_up: bool = False  # close each connection after one answer, saying nothing of it
    files_at: str | None = None  # files redirect there (a file host: "http://host:port")
    cookie: str | None = None  # pages set this cookie ("name=value"); files need it back
    encode_files: bool = False  # files come gzip-encoded, whatever the client accepts
    connections: int = 0  # connections accepted
    files: dict[str, ServedFile] = field(default_factory=dict)
    log: list[Logged] = field(default_factory=list)
    # filenames by project and each project's JSON page: a 6,000-file index answers a
    # page without scanning every file, and a benchmark measures the client, not this
    _by_project: dict[str, dict[str, None]] = field(default_factory=dict, repr=False)
    _json_pages: dict[tuple[str, bool], bytes] = field(default_factory=dict, repr=False)

    def add(
        self,
        path: Path,
        *,
        requires_python: str | None = None,
        yanked: bool = False,
        uploaded: str | None = None,
    ) -> Path:
        self.files[path.name] = ServedFile(path, requires_python, yanked, uploaded)
        project = _project_of(path.name)
        self._by_project.setdefault(project, {})[path.name] = None
        for metadata in (False, True):
            self._json_pages.pop((project, metadata), None)
        return path

    def project(self, name: str) -> list[ServedFile]:
        names = self._by_project.get(canonicalize_name(name), {})
        return [self.files[n] for n in names]

    def warm(self) -> None:
        """Read and hash every file and build every JSON page now, as a real index has them
        ready: a benchmark's first client then does not pay for this server's own work."""
        for f in self.files.values():
            f.sha256  # noqa: B018  (a cached property: computed once, here)
        if self.json:
            for name in self._by_project:
                self._json_page(name)

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real indexes serve

            def setup(self) -> None:
                super().setup()  # headers and body go out in two writes: no Nagle delay
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                server.connections += 1

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server._handle(self)
                if server.hang_up:  # as a server whose keep-alive timeout has passed
                    self.close_connection = True

            def do_HEAD(self) -> None:
                server._handle(self)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # clients that hang up early (a cancelled prefetch) are not errors

        self.httpd = Server(("127.0.0.1", 0), Handler)
        if self.tls is not None:
            self.httpd.socket = self.tls.wrap_socket(self.httpd.socket, server_side=True)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}/simple"

    def requests(self, prefix: str = "") -> list[Logged]:
        return [r for r in self.log if r.path.startswith(prefix)]

    # -- request handling ----------------------------------------------------------------

    def _send(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        ctype: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        if self.encode_files and body and h.path.startswith("/files/"):
            body = gzip.compress(body)
            headers = {**(headers or {}), "Content-Encoding": "gzip"}
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        # logged before the answer goes out: a client that counts requests right after
        # its last answer must see it (keep-alive leaves no later moment)
        authorized = h.headers.get("Authorization") is not None
        self.log.append(Logged(h.path, h.headers.get("Range"), status, len(body), authorized))
        h.end_headers()
        if h.command != "HEAD" and self.trickle and h.path.startswith("/simple/"):
            for i in range(len(body)):
                try:
                    h.wfile.write(body[i : i + 1])
                    h.wfile.flush()
                except OSError:
                    return  # the client gave up
                time.sleep(self.trickle)
        elif h.command != "HEAD":
            h.wfile.write(body)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        if self.delay:
            time.sleep(self.delay)
        if self.status_override is not None:
            return self._send(h, self.status_override, b"", "text/plain")
        if self.auth is not None:
            token = base64.b64encode(":".join(self.auth).encode()).decode()
            if h.headers.get("Authorization") != f"Basic {token}":
                return self._send(h, 401, b"", "text/plain", {"WWW-Authenticate": "Basic"})
        if self.files_at and h.path.startswith("/files/"):
            return self._send(h, 302, b"", "text/plain", {"Location": self.files_at + h.path})
        cookies = h.headers.get("Cookie") or ""
        if self.cookie and h.path.startswith("/files/") and self.cookie not in cookies:
            return self._send(h, 403, b"", "text/plain")
        if m := re.fullmatch(r"/simple/([^/]+)/", h.path):
            if self.redirect_loop:
                return self._send(h, 302, b"", "text/plain", {"Location": h.path})
            if self.page_override is not None:
                return self._send(h, 200, *self.page_override)
            return self._page(h, m.group(1))
        if m := re.fullmatch(r"/files/(.+)\.metadata", h.path):
            f = self.files.get(m.group(1))
            if f is None or not self.metadata:
                return self._send(h, 404, b"", "text/plain")
            with zipfile.ZipFile(f.path) as zf:
                name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
                return self._send(h, 200, zf.read(name), "application/octet-stream")
        if m := re.fullmatch(r"/files/(.+)", h.path):
            f = self.files.get(m.group(1))
            if f is None:
                return self._send(h, 404, b"", "text/plain")
            return self._file(h, f.data)
        return self._send(h, 404, b"", "text/plain")

    def _file(self, h: BaseHTTPRequestHandler, data: bytes) -> None:
        spec = h.headers.get("Range")
        if not (self.ranges and spec and spec.startswith("bytes=")):
            ranges = {"Accept-Ranges": "bytes"} if self.ranges else {}
            return self._send(h, 200, data, "application/octet-stream", ranges)
        first, _, last = spec[len("bytes=") :].partition("-")
        size = len(data)
        if first == "":
            start, end = max(0, size - int(last)), size - 1
        else:
            start, end = int(first), min(size - 1, int(last) if last else size - 1)
        body = data[start : end + 1]
        self._send(
            h,
            206,
            body,
            "application/octet-stream",
            {"Content-Range": f"bytes {start + self.range_lie}-{end}/{size}"},
        )

    def _page(self, h: BaseHTTPRequestHandler, project: str) -> None:
        files = self.project(project)
        if not files:
            return self._send(h, 404, b"", "text/plain")
        accept = h.headers.get("Accept", "")
        given = {"Set-Cookie": f"{self.cookie}; Path=/"} if self.cookie else {}
        if self.json and (JSON_TYPE in accept or not self.html):
            page = self._json_page(canonicalize_name(project))
            return self._send(h, 200, page, JSON_TYPE, given)
        anchors = []
        for f in files:
            attrs = f'href="../../files/{f.path.name}#sha256={f.sha256}"'
            if f.requires_python:
                escaped = html.escape(f.requires_python)
                attrs += f' data-requires-python="{escaped}"'
            if f.yanked:
                attrs += ' data-yanked=""'
            if self.metadata and f.path.name.endswith(".whl"):
                attrs += ' data-core-metadata="true"'
            anchors.append(f"<a {attrs}>{f.path.name}</a>")
        body = ("<!DOCTYPE html><html><body>\n" + "\n".join(anchors) + "\n</body></html>").encode()
        return self._send(h, 200, body, "text/html", given)

    def _json_page(self, name: str) -> bytes:
        body = self._json_pages.get((name, self.metadata))
        if body is None:
            page = {
                "meta": {"api-version": "1.1"},
                "name": name,
                "files": [self._json_file(f) for f in self.project(name)],
            }
            body = self._json_pages[(name, self.metadata)] = json.dumps(page).encode()
        return body

    def _json_file(self, f: ServedFile) -> dict[str, object]:
        out: dict[str, object] = {
            "filename": f.path.name,
            "url": f"../../files/{f.path.name}",
            "hashes": {"sha256": f.sha256},
            "requires-python": f.requires_python,
            "yanked": f.yanked,
            "size": f.path.stat().st_size,
        }
        if f.uploaded:
            out["upload-time"] = f.uploaded
        if self.metadata and f.path.name.endswith(".whl"):
            with zipfile.ZipFile(f.path) as zf:
                name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
                out["core-metadata"] = {"sha256": hashlib.sha256(zf.read(name)).hexdigest()}
        return out
