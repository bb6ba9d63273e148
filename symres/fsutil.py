"""Atomic file writes: a kill leaves the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import time
from pathlib import Path

_MADE: set[Path] = set()  # folders this process made or found: no mkdir() per write
STALE_AFTER = 60.0  # seconds: a lock is written in milliseconds


def make_folder(folder: Path) -> None:
    """``mkdir -p``, its error naming *folder* (a file in the way is said as such)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file where a folder must be, here or above
        raise NotADirectoryError(errno.ENOTDIR, "a file is in the way", str(folder)) from None
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(folder)) from None


def atomic_write(path: Path, data: bytes | str, *, durable: bool = True) -> None:
    """Write *data* to *path* through a temporary file in the same folder and a rename.

    ``durable`` also fsyncs before the rename (lock files); caches skip it: a killed
    process still leaves the old entry or the new one.
    """
    payload = data.encode() if isinstance(data, str) else data
    if path.parent not in _MADE:
        make_folder(path.parent)
        _MADE.add(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp"
        )
    except OSError as exc:  # named as the file being written, not its temporary
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        if path.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        _sweep_stale(path)


def _sweep_stale(path: Path) -> None:
    """Temporaries an earlier writer of *path* left when it was killed: named as this
    function names them, their process gone, and older than any write takes (a writer in
    another PID namespace or on another host sharing the folder looks gone, not old)."""
    if os.name == "nt":
        return  # os.kill(pid, 0) is no liveness test there
    ours = re.compile(rf"\.{re.escape(path.name)}\.(\d+)\.[A-Za-z0-9_]{{8}}\.tmp")
    now = time.time()
    with contextlib.suppress(OSError):
        for stale in path.parent.iterdir():
            m = ours.fullmatch(stale.name)
            if m is None or _alive(int(m.group(1))):
                continue
            with contextlib.suppress(OSError):
                if now - stale.stat().st_mtime > STALE_AFTER:
                    stale.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists (another user's), or we cannot tell: keep its file
    return True
