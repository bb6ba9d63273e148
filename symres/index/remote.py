"""Files on an index read in pieces: a seekable file object over HTTP Range requests.

``zipfile.ZipFile`` on a :class:`RangeFile` reads a wheel's directory from the tail
and then one member, so reading ``METADATA`` (or one module) costs two or three
small requests, not the whole wheel. When a server ignores ``Range`` the first
answer carries the whole file and everything is served from it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")

# (start, end) inclusive -> (status, content-range header or None, body)
Fetch = Callable[[int | None, int], tuple[int, str | None, bytes]]


class RangeFile(io.RawIOBase):
    """A read-only, seekable view of a remote file, fetched in ranges and kept in memory."""

    def __init__(self, fetch: Fetch, *, tail: int = 64 * 1024, min_chunk: int = 16 * 1024) -> None:
        super().__init__()
        self._fetch = fetch
        self._min_chunk = min_chunk
        self._chunks: list[tuple[int, bytes]] = []
        self._pos = 0
        self.bytes_fetched = 0
        self.requests = 0
        self.full_download = False
        status, content_range, body = self._get(None, tail)
        if status == 206 and content_range and (m := _CONTENT_RANGE.match(content_range)):
            self.size = int(m.group(3))
            self._chunks.append((int(m.group(1)), body))
        else:  # the server sent the whole file
            self.size = len(body)
            self.full_download = True
            self._chunks.append((0, body))

    def _get(self, start: int | None, end: int) -> tuple[int, str | None, bytes]:
        self.requests += 1
        status, content_range, body = self._fetch(start, end)
        self.bytes_fetched += len(body)
        return status, content_range, body

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.size - self._pos)
        if n <= 0:
            return 0
        data = self._read_range(self._pos, self._pos + n)
        buffer[:n] = data
        self._pos += n
        return n

    def prefetch(self, start: int, end: int) -> None:
        """Fetch [start, end) in one request, for reads that will follow."""
        end = min(end, self.size)
        if start >= end or any(s <= start and end <= s + len(c) for s, c in self._chunks):
            return
        self._read_range(start, end)

    def _read_range(self, start: int, end: int) -> bytes:
        for chunk_start, chunk in self._chunks:
            if chunk_start <= start and end <= chunk_start + len(chunk):
                return chunk[start - chunk_start : end - chunk_start]
        fetch_end = min(self.size, max(end, start + self._min_chunk))
        status, content_range, body = self._get(start, fetch_end - 1)
        if status == 206 and content_range and (m := _CONTENT_RANGE.match(content_range)):
            got_start = int(m.group(1))
        elif status == 200 and len(body) == self.size:
            got_start = 0
        else:
            raise OSError(f"unexpected answer to a range request (HTTP {status})")
        self._chunks.append((got_start, body))
        if not (got_start <= start and end <= got_start + len(body)):
            raise OSError("the server answered a range request with the wrong bytes")
        return body[start - got_start : end - got_start]
