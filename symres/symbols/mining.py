"""Mining many releases at once (``symres db mine``): each release's uses, layout and
provenance read by a worker — a process of a local pool, a thread, or a Dask worker — and
merged into the user database by the one writer that sent the work.

A task is one release for one target: its uses, and the export tables of every module
(what any question about its names is answered from). It carries what the worker needs to reach the
index (the worker opens its own finder, once per process, and reads wheels by Range as a
lock does). The worker mines into a database of its own, in memory and kept for the
life of the process (so files two releases share are read once there), and returns the
rows of that release: :meth:`~symres.db.exchange.Exchange.merge_rows` keeps what the
writer already has, so a task run twice changes nothing, and a killed run loses only
the releases in flight.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import zip_longest
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from symres.db.store import SymbolDB
from symres.errors import InputError
from symres.index.config import IndexOptions, redact_text
from symres.index.distfile import DistFile
from symres.index.finder import Finder
from symres.index.session import open_finder
from symres.index.uploads import uploaded_before
from symres.symbols.oracle import SymbolOracle, facts_of, target_key
from symres.target import make_target


@dataclass(frozen=True)
class MineTask:
    name: str
    version: str
    python: str
    platform: str | None
    index: IndexOptions


@dataclass
class Mined:
    task: MineTask
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    files: int = 0  # module files read
    seconds: float = 0.0
    error: str | None = None


# -- the worker's side ---------------------------------------------------------------------

_LOCAL = threading.local()  # per worker thread (a process's pool has one)
_STACK = ExitStack()  # the finders' clients, closed when the process ends


def _oracle(task: MineTask) -> SymbolOracle:
    """The worker's oracle for the task's target and index, over its own database."""
    if not hasattr(_LOCAL, "oracles"):
        _LOCAL.db = SymbolDB(None, snapshot=False)
        _LOCAL.oracles = {}
    key = (task.python, task.platform, task.index)
    found: SymbolOracle | None = _LOCAL.oracles.get(key)
    if found is None:
        target = make_target(task.python, task.platform)
        finder = _STACK.enter_context(open_finder(target, task.index))
        found = _LOCAL.oracles[key] = SymbolOracle(
            finder, _LOCAL.db, facts_of(target), complete_uses=True
        )
    return found


def mine(task: MineTask) -> Mined:
    """Mine one release for one target (in a worker); its rows for the writer."""
    started = time.perf_counter()
    name = canonicalize_name(task.name)
    try:
        oracle = _oracle(task)
        before = oracle.db.last_file_row()
        oracle.uses(name, Version(task.version))
        oracle.store_tables(name, Version(task.version))
        rows = oracle.db.release_rows(name, task.version, before)
        # what the writer now has leaves the worker, which mines thousands of releases
        oracle.forget_release(name, Version(task.version))
        oracle.db.forget(name, task.version)
    except Exception as exc:  # the task's failure is its result; the others go on
        why = redact_text(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return Mined(task, seconds=time.perf_counter() - started, error=why)
    if not rows["scans"]:  # an archive that could not be read leaves no facts
        return Mined(task, seconds=time.perf_counter() - started, error="its file is unreadable")
    files = int(rows["scans"][0][5] or 0)
    return Mined(task, rows, files, time.perf_counter() - started)


# -- the writer's side ---------------------------------------------------------------------


def releases_to_mine(
    finder: Finder,
    db: SymbolDB,
    names: Sequence[tuple[str, SpecifierSet]],
    pins: Iterable[tuple[str, str]],
    releases: SpecifierSet | int,
    index: IndexOptions,
    since: datetime | None = None,
) -> tuple[list[MineTask], int, list[str]]:
    """The tasks for the finder's target: every pin, and for each name the releases its
    requirement allows (uploaded *since*, when given), then *releases* picks among them (a
    specifier, or the N newest; 0: all), less what the database already holds. Returns
    the tasks, how many are held already, and the names no index knows. The newest
    release of every name comes first, then the second newest of each, and so on: a run
    stopped early has covered what is installed most. Within each round the biggest
    release goes first, so that no long task is left running alone at the end."""
    target = finder.target
    key = target_key(facts_of(target))
    tables = target_key(facts_of(target), verdicts=True)
    wanted: list[tuple[str, str]] = list(pins)
    unknown: list[str] = []
    newest_first: list[list[tuple[str, str, int]]] = []
    for name, allowed in names:
        found = finder.releases(canonicalize_name(name))
        if not found:
            unknown.append(name)
            continue
        ordered = sorted(
            v
            for v in found
            if not v.is_prerelease
            and not found[v].yanked
            and v in allowed
            and (since is None or _uploaded_since(found[v].files, since))
        )
        if isinstance(releases, int):
            chosen = ordered[-releases:] if releases else ordered
        else:
            chosen = [v for v in ordered if v in releases]
        newest_first.append(
            [
                (str(canonicalize_name(name)), str(v), _weight(found[v].files))
                for v in reversed(chosen)
            ]
        )
    for rank in zip_longest(*newest_first):
        # the biggest first within a round: the pool's last tasks are then short ones
        pending = sorted((t for t in rank if t), key=lambda t: -t[2])
        wanted += [(name, version) for name, version, _ in pending]
    tasks, held = [], 0
    for name, version in dict.fromkeys(wanted):
        if db.scanned("uses", name, version, key) and db.exports(name, version, tables):
            held += 1
        else:
            python = target.python_version
            tasks.append(MineTask(name, version, python, target.platform, index))
    return tasks, held, unknown


def _weight(files: Iterable[DistFile]) -> int:
    """How much work a release is likely to be: the size of its biggest file."""
    return max((f.size or 0 for f in files), default=0)


def _uploaded_since(files: Iterable[DistFile], since: datetime) -> bool:
    """Whether the release's first file reached the index at *since* or later."""
    times = [f.upload_time for f in files if f.upload_time]
    return bool(times) and not uploaded_before(min(times), since)


def pool(kind: str, workers: int) -> Executor:
    """Processes (the default: mining parses Python, which holds the GIL) or threads."""
    if kind == "threads":
        return ThreadPoolExecutor(max_workers=workers)
    # spawned, not forked: the writer may hold threads (its HTTP pool, a progress bar)
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


@contextmanager
def executor(kind: str, workers: int, scheduler: str | None = None) -> Iterator[Executor]:
    """The workers the tasks go to: a local pool of *kind*, or with *scheduler* a Dask
    cluster (``tcp://HOST:8786``, or ``local`` for a ``LocalCluster`` of *workers*
    processes) — the same tasks through Dask's ``concurrent.futures`` executor."""
    if scheduler is None:
        with pool(kind, workers) as local:
            yield local
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError(
            "--scheduler needs Dask", hint="install it: pip install 'symres[dask]'"
        ) from None
    with ExitStack() as stack:
        if scheduler == "local":
            import dask

            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="symres-dask-"))
            stack.enter_context(dask.config.set({"temporary-directory": scratch}))
            cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            stack.enter_context(cluster)
            client = stack.enter_context(Client(cluster))  # type: ignore[no-untyped-call]
        else:  # how long to try: Dask's own `distributed.comm.timeouts.connect`
            check_scheduler(scheduler)
            try:
                client = stack.enter_context(Client(scheduler))  # type: ignore[no-untyped-call]
            except (OSError, ValueError, TypeError) as exc:
                raise InputError(
                    f"no Dask scheduler answers at {scheduler} ({exc})",
                    hint="start one (`dask scheduler`, `dask worker ADDRESS`) or check the address",
                ) from None
        yield client.get_executor(pure=False)


def check_scheduler(scheduler: str) -> None:
    """A one-line error for an address Dask cannot read (before any work is listed)."""
    if scheduler == "local":
        return
    try:
        from distributed.comm.addressing import parse_address, parse_host_port
    except ImportError:
        return  # executor() says what to install
    try:
        scheme, location = parse_address(scheduler)
        if scheme in ("tcp", "tls", "ws", "wss"):
            parse_host_port(location)  # a port is needed: Dask has no default for it here
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"--scheduler {scheduler}: not a Dask address ({exc})",
            hint="give tcp://HOST:PORT (a running `dask scheduler`) or local",
        ) from None


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def run_tasks(
    tasks: Sequence[MineTask],
    db: SymbolDB,
    executor: Executor,
    on_done: Callable[[Mined], None] = lambda m: None,
) -> Iterator[Mined]:
    """Send every task to *executor* and merge each result as it comes (the writer)."""
    futures = {executor.submit(mine, t): t for t in tasks}
    for future in as_completed(futures):
        try:
            done = future.result()
        except Exception as exc:  # the worker died (killed, out of memory) or was cancelled
            done = Mined(futures[future], error=f"worker lost: {type(exc).__name__}: {exc}")
        if done.error is None:
            db.merge_rows(done.rows)
        on_done(done)
        yield done
