"""Atomic file writes: a kill leaves the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import re
import time
from pathlib import Path

_MADE: set[str] = set()  # folders this process made or found: no mkdir() per write
_SERIAL = itertools.count()  # temporaries' names (next() on it is atomic under the GIL)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
STALE_AFTER = 60.0  # seconds: a lock is written in milliseconds


def make_folder(folder: Path) -> None:
    """``mkdir -p``, its error naming *folder* (a file in the way is said as such)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file where a folder must be, here or above
        raise NotADirectoryError(errno.ENOTDIR, "a file is in the way", str(folder)) from None
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(folder)) from None


def atomic_write(path: Path | str, data: bytes | str, *, durable: bool = True) -> None:
    """Write *data* to *path* through a temporary file in the same folder and a rename.

    ``durable`` (a user's file: a lock, a report) also fsyncs before the rename and keeps
    the mode of the file it replaces; caches skip both: a killed process still leaves the
    old entry or the new one. A new file gets the mode ``open()`` gives (0o666 less the
    umask). Five system calls for a cache entry: a lock reads thousands of them.
    """
    payload = data.encode() if isinstance(data, str) else data
    target = os.fspath(path)
    folder, name = os.path.split(target)
    folder = folder or "."
    made = os.path.abspath(folder)  # after a chdir, the same name is another folder
    if made not in _MADE:
        make_folder(Path(folder))
        _MADE.add(made)
    while True:  # the name _sweep_stale knows: .NAME.PID.<8 characters>.tmp
        tmp = os.path.join(folder, f".{name}.{os.getpid()}.{next(_SERIAL) % 16**8:08x}.tmp")
        try:
            fd = os.open(tmp, _CREATE, 0o666)
            break
        except FileExistsError:  # (a writer on another host with this PID)
            continue
        except OSError as exc:  # named as the file being written, not its temporary
            raise OSError(exc.errno, exc.strerror, target) from None
    try:
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        if durable:
            with contextlib.suppress(OSError):
                os.chmod(tmp, os.stat(target).st_mode & 0o777)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        _sweep_stale(Path(target))


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
