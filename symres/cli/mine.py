"""``symres db mine``: fill the user's symbol database ahead of the locks that will ask
it — the releases of some projects, the pins of a lock, for one or more targets — in a
pool of worker processes, with one writer."""

from __future__ import annotations

import argparse
import json
import time
from importlib import resources
from itertools import zip_longest
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from symres.db.store import SymbolDB
from symres.errors import InputError
from symres.index.config import IndexOptions
from symres.index.uploads import parse_cutoff
from symres.judge.session import symbol_db
from symres.symbols.mining import (
    Mined,
    MineTask,
    default_workers,
    executor,
    releases_to_mine,
    run_tasks,
)
from symres.target import make_target

TOP = "top-projects.txt"  # the most-downloaded projects, most first (data/)


def add_mine_parser(dsub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    mine: argparse.ArgumentParser = dsub.add_parser(
        "mine",
        allow_abbrev=False,
        help="mine the uses of many releases into the user database, in parallel",
    )
    mine.add_argument("projects", nargs="*", metavar="PROJECT", help="a name, or NAME==VERSION")
    mine.add_argument(
        "-r",
        "--requirements",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="the projects a requirements file names (a lock: its pins); repeat",
    )
    mine.add_argument("--top", type=int, metavar="N", help="the N most-downloaded projects")
    mine.add_argument(
        "--releases",
        metavar="N|SPEC",
        help="which releases of each project: the N newest (default 1; with --since, all), "
        "or a specifier such as '>=2.0'",
    )
    mine.add_argument(
        "--since",
        metavar="DATE",
        help="only releases uploaded since DATE (2024-12-01, or a span back: 730d); a "
        "release whose files the index gives no upload time is left out",
    )
    mine.add_argument(
        "--python-version",
        action="append",
        default=[],
        metavar="X.Y",
        help="a target Python (repeat; default: this one)",
    )
    mine.add_argument("--platform", metavar="TAG", help="the target wheel platform tag")
    mine.add_argument(
        "--workers", type=int, metavar="N", help="worker processes (default: one per core)"
    )
    mine.add_argument(
        "--pool",
        choices=("processes", "threads"),
        default="processes",
        help="what the workers are (threads: to compare)",
    )
    mine.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="mine on a Dask cluster: its scheduler (tcp://HOST:8786), or `local` to start "
        "a LocalCluster of --workers processes (needs symres[dask])",
    )
    mine.add_argument("--json", action="store_true", help="the summary as JSON")
    return mine


def _releases(text: str) -> SpecifierSet | int:
    if text.isdigit():
        return int(text)
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        raise InputError(
            f"--releases {text!r} is neither a count nor a specifier",
            hint="write a number (the newest N) or a specifier such as '>=2.0'",
        ) from None


def _wanted(
    args: argparse.Namespace,
) -> tuple[list[tuple[str, SpecifierSet]], list[tuple[str, str]]]:
    """(name, the releases its requirement allows) and pins, from every input."""
    from symres.lock.inputs import read_inputs
    from symres.lock.roots import parse_requirement

    lines = [(p, "the command line") for p in args.projects]
    if args.top:
        listed = resources.files("symres.data").joinpath(TOP).read_text(encoding="utf-8")
        top = [line for line in listed.splitlines() if line and not line.startswith("#")]
        lines += [(n, TOP) for n in top[: args.top]]
    requirements = [parse_requirement(line, where) for line, where in lines]
    if args.requirements:
        requirements += [r.requirement for r in read_inputs(list(args.requirements)).requirements]
    names, pins = [], []
    for req in requirements:
        specs = list(req.specifier)
        if len(specs) == 1 and specs[0].operator in ("==", "==="):
            pins.append((str(canonicalize_name(req.name)), specs[0].version))
        else:
            names.append((str(canonicalize_name(req.name)), req.specifier))
    if not names and not pins:
        raise InputError("nothing to mine", hint="name projects, or give -r FILE or --top N")
    return names, pins


def run_mine(args: argparse.Namespace, index: IndexOptions, console: Console) -> int:
    from symres.index.session import open_finder
    from symres.symbols.mining import check_scheduler

    if args.scheduler is not None:
        check_scheduler(args.scheduler)
    releases = _releases(args.releases or ("0" if args.since else "1"))
    since = parse_cutoff(args.since, option="--since") if args.since else None
    names, pins = _wanted(args)
    started = time.perf_counter()
    db = symbol_db(index)
    per_target: list[list[MineTask]] = []
    held, unknown = 0, set()
    try:
        for python in args.python_version or [None]:
            with open_finder(make_target(python, args.platform), index) as finder:
                found, had, missing = releases_to_mine(
                    finder, db, names, pins, releases, index, since
                )
            per_target.append(found)
            held += had
            unknown.update(missing)
        # a release's targets side by side: its wheel is read once, then from the cache
        tasks = [t for group in zip_longest(*per_target) for t in group if t]
        done = _run(tasks, db, args, console)
    finally:
        db.close()
    return _report(args, done, held, sorted(unknown), time.perf_counter() - started, console)


def _run(
    tasks: list[MineTask], db: SymbolDB, args: argparse.Namespace, console: Console
) -> list[Mined]:

    from symres.symbols.mining import default_workers

    workers = args.workers or default_workers()
    done: list[Mined] = []
    columns = (
        TextColumn("Mining"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[last]}"),
    )
    show = console.is_terminal and not args.json
    with Progress(*columns, console=console, disable=not show, transient=True) as bar:
        job = bar.add_task("mine", total=len(tasks), rate="", last="")
        started = time.perf_counter()

        def tick(m: Mined) -> None:
            rate = len(done) / max(time.perf_counter() - started, 1e-9)
            label = f"{m.task.name} {m.task.version}"
            bar.update(job, advance=1, rate=f"{rate:.2f} releases/s", last=label)

        with executor(args.pool, workers, args.scheduler) as workers_pool:
            for mined in run_tasks(tasks, db, workers_pool):
                done.append(mined)
                tick(mined)
    return done


def _pool_name(args: argparse.Namespace) -> str:
    if args.scheduler is None:
        return str(args.pool)
    return (
        "Dask LocalCluster processes" if args.scheduler == "local" else f"Dask at {args.scheduler}"
    )


def _report(
    args: argparse.Namespace,
    done: list[Mined],
    held: int,
    unknown: list[str],
    seconds: float,
    console: Console,
) -> int:

    failed = [m for m in done if m.error is not None]
    mined = [m for m in done if m.error is None]
    files = sum(m.files for m in mined)
    summary = {
        "mined": len(mined),
        "already_held": held,
        "failed": [
            {
                "name": m.task.name,
                "version": m.task.version,
                "python": m.task.python,
                "error": m.error,
            }
            for m in failed
        ],
        "unknown_projects": unknown,
        "files": files,
        "seconds": round(seconds, 2),
        "releases_per_second": round(len(mined) / seconds, 3) if seconds else None,
        "workers": args.workers or default_workers(),
        "pool": _pool_name(args),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"mined {len(mined)} releases ({files} files) in {seconds:.1f} s, "
            f"{summary['releases_per_second']} releases/s with {summary['workers']} "
            f"{_pool_name(args)}; {held} already in the database"
        )
        for m in failed:
            print(f"failed   {m.task.name} {m.task.version} (Python {m.task.python}): {m.error}")
        for name in unknown:
            print(f"unknown  {name}: no index knows it")
    return 1 if failed or unknown else 0
