"""Build data/symbols.sqlite, the symbol snapshot shipped with symres.

    python scripts/build_snapshot.py [--top 150] [--since 730d] [--workers N]
        [--scheduler tcp://HOST:8786|local] [--cache DIR]

1. Locks the benchmark inputs (shared/benchmark/locks: ml-gpu.in for Python 3.10 on
   manylinux_2_28_x86_64, web.in and the traps for this machine's Python), so every
   release the resolver visits is mined (uses, layouts, the verdicts asked).
2. `symres db mine`s the pins of those locks (their export tables, for any name), then
   the --top N most-downloaded projects (data/top-projects.txt), their releases uploaded
   --since, for Python 3.10–3.13 on manylinux_2_28_x86_64 (--python-version, --platform),
   on this machine's cores or a Dask cluster.
3. Copies what the default `lock` consults into the snapshot, trimmed: no per-file
   cache; only reachable import-time uses (`top`, `if-available`); no uses that can never
   be judged (stdlib names present in every Python version, modules nothing provides);
   only facts of the analyses this symres reads. The build date and its inputs are
   recorded in its `meta` table (`symres db stats` shows them).

Resumable: the facts are mined into --cache (default: a folder in the user cache), and a
rerun — after a kill, or in another session — mines only what it lacks. Anyone can rerun
it; the result depends on the index on the day it runs.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import platformdirs

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT.parent / "shared" / "benchmark" / "locks"
OUT = ROOT / "data" / "symbols.sqlite"


def lock(src: Path, cache: Path, python: str | None, platform: str | None) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "symres",
        "lock",
        "-q",
        str(src),
        "-o",
        str(cache / f"{src.stem}.txt"),
    ]
    if python:
        cmd += ["--python-version", python, "--platform", str(platform)]
    env = {**os.environ, "SYMRES_CACHE_DIR": str(cache), "SYMRES_NO_SNAPSHOT": "1"}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    print(f"  {src.name} ({python or 'this Python'}): exit {done.returncode}", file=sys.stderr)
    return cache / f"{src.stem}.txt"


def mine(cache: Path, args: argparse.Namespace, what: list[str]) -> int:
    """`symres db mine` into the build's cache, for every target; its exit code."""
    cmd = [sys.executable, "-m", "symres", "db", "mine", *what, "--workers", str(args.workers)]
    for python in args.python_version:
        cmd += ["--python-version", python]
    if args.platform:
        cmd += ["--platform", args.platform]
    if args.scheduler:
        cmd += ["--scheduler", args.scheduler]
    env = {**os.environ, "SYMRES_CACHE_DIR": str(cache), "SYMRES_NO_SNAPSHOT": "1"}
    done = subprocess.run(cmd, env=env)
    return done.returncode


def trim(source: Path, dest: Path, inputs: str) -> None:
    from symres.symbols.stdlib import Stdlib

    always = Stdlib((3, 11))
    dest.unlink(missing_ok=True)
    src = sqlite3.connect(source)
    src.execute("VACUUM INTO ?", (str(dest),))
    src.close()
    db = sqlite3.connect(dest)
    from symres.symbols.oracle import ANALYSIS, EXPORTS_ANALYSIS

    # facts an older symres mined (a reused cache)
    for table, version in (
        ("scans", f"a{ANALYSIS}"),
        ("uses", f"a{ANALYSIS}"),
        ("verdicts", f"e{EXPORTS_ANALYSIS}"),
        ("exports", f"e{EXPORTS_ANALYSIS}"),
    ):
        db.execute(f"DELETE FROM {table} WHERE target NOT LIKE ?", (f"%-{version}",))
    db.execute("DELETE FROM export_docs WHERE digest NOT IN (SELECT digest FROM exports)")
    db.execute("DELETE FROM file_uses")
    db.execute("DELETE FROM evidence")
    # What the default `lock` enforces: reachable uses that run at import. (`--lazy enforce`
    # and `--symbols warn` read the user database only, mining what they need.)
    db.execute("DELETE FROM uses WHERE reachable = 0 OR guard NOT IN ('top', 'if-available')")
    tops = {
        str(p).split(".")[0]
        for (row,) in db.execute("SELECT prefixes FROM layouts")
        for p in __import__("json").loads(row)
    }
    doomed = []
    for rowid, module, symbol in db.execute("SELECT rowid, module, symbol FROM uses"):
        top = module.split(".")[0]
        if top in tops:
            continue
        if always.knows(module) and _stable_in_stdlib(always, module, symbol):
            doomed.append((rowid,))
        elif not always.knows(module):
            doomed.append((rowid,))  # provided by nothing the snapshot knows
    db.executemany("DELETE FROM uses WHERE rowid = ?", doomed)
    built = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    db.executemany(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
        [
            ("analysis", str(ANALYSIS)),
            ("exports_analysis", str(EXPORTS_ANALYSIS)),
            ("built_at", built),
            ("inputs", inputs),
            # the uses are those the default lock enforces only: `db import` leaves them out
            ("trimmed", "1"),
        ],
    )
    db.commit()
    db.execute("VACUUM")
    db.close()


def _stable_in_stdlib(stdlib, module: str, symbol: str | None) -> bool:  # type: ignore[no-untyped-def]
    entry = stdlib.modules.get(module)
    if entry is None or entry["in"] != "":
        return False
    return symbol in (None, "*") or entry["names"].get(symbol, "x") == ""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=150)
    parser.add_argument(
        "--since", default="730d", help="releases uploaded since (default: 2 years)"
    )
    parser.add_argument("--python-version", action="append", help="default: 3.10, 3.11, 3.12, 3.13")
    parser.add_argument("--platform", default="manylinux_2_28_x86_64")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--scheduler", help="a Dask scheduler's address, or `local`")
    default_cache = Path(platformdirs.user_cache_dir("symres")) / "snapshot-build"
    parser.add_argument("--cache", type=Path, default=default_cache)
    parser.add_argument(
        "--trim-only",
        action="store_true",
        help="write the snapshot from what --cache holds now (a build stopped part way)",
    )
    args = parser.parse_args()
    args.python_version = args.python_version or ["3.10", "3.11", "3.12", "3.13"]
    started = time.perf_counter()
    cache = args.cache
    cache.mkdir(parents=True, exist_ok=True)
    print(f"building in {cache} (resumable)", file=sys.stderr)
    if args.trim_only:
        return finish(cache, args, started, partial=True)
    print("locking the benchmark inputs", file=sys.stderr)
    locks = [lock(LOCKS / "ml-gpu.in", cache, "3.10", "manylinux_2_28_x86_64")]
    for src in [LOCKS / "web.in", *sorted((LOCKS / "traps").glob("*.in"))]:
        locks.append(lock(src, cache, None, None))
    print("export tables of the locked pins", file=sys.stderr)
    targets = argparse.Namespace(**{**vars(args), "python_version": ["3.10"]})
    here = argparse.Namespace(**{**vars(args), "python_version": [_this_python()]})
    here.platform = None
    steps = [(targets, [a for f in locks[:1] if f.is_file() for a in ("-r", str(f))])]
    steps.append((here, [a for f in locks[1:] if f.is_file() for a in ("-r", str(f))]))
    if args.top:
        steps.append((args, ["--top", str(args.top), "--since", args.since]))
    for how, what in steps:
        if not what:
            continue  # a lock that failed (said above) gives nothing to mine
        if what[0] == "--top":
            print(f"the top {args.top} projects, releases since {args.since}", file=sys.stderr)
        code = mine(cache, how, what)
        if code >= 2:  # not a release that failed (1: said, the rest kept) but the run
            print(f"db mine {' '.join(what)}: exit {code}; stopping", file=sys.stderr)
            return code
    return finish(cache, args, started, partial=False)


def finish(cache: Path, args: argparse.Namespace, started: float, partial: bool) -> int:
    """Trim the build's cache into data/symbols.sqlite and say what it holds."""
    inputs = (
        f"benchmark locks; top {args.top} since {args.since}"
        f"{' (part of: mined newest first, stopped before the end)' if partial else ''}; "
        f"Python {', '.join(args.python_version)} on {args.platform}"
    )
    trim(cache / "symbols.sqlite", OUT, inputs)
    size = OUT.stat().st_size
    db = sqlite3.connect(OUT)
    releases = db.execute("SELECT COUNT(DISTINCT name || version) FROM scans").fetchone()[0]
    pairs = db.execute("SELECT COUNT(*) FROM scans WHERE kind='uses'").fetchone()[0]
    tables = db.execute("SELECT COUNT(*) FROM exports").fetchone()[0]
    uses = db.execute("SELECT COUNT(*) FROM uses").fetchone()[0]
    db.close()
    print(
        f"{OUT.relative_to(ROOT)}: {size / 1e6:.1f} MB, {releases} releases, {pairs} (release, "
        f"target) pairs with uses, {tables} with export tables, {uses} uses; "
        f"{time.perf_counter() - started:.0f} s"
    )
    return 0


def _this_python() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


if __name__ == "__main__":
    raise SystemExit(main())
