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
   only facts of the analyses this symres reads; export documents an older build wrote
   rewritten compactly. Then cut to --max-mb (25): the locks' pins first, then each top
   project's newest release by rank, then its next newest, while they fit. The build date
   and its inputs are recorded in its `meta` table (`symres db stats` shows them).

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


def trim(source: Path, dest: Path, inputs: str, budget: int) -> None:
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
    _compact_documents(db)
    db.commit()
    db.execute("VACUUM")
    order, pinned = _priority(db, source.parent)
    _fit(db, dest, budget, order, pinned)
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


def _compact_documents(db: sqlite3.Connection) -> None:
    """Export tables a build cache kept in an older form, rewritten (the same verdicts)."""
    from symres.db.tables import doc_digest
    from symres.symbols.tables import compact

    for digest, data in db.execute("SELECT digest, data FROM export_docs").fetchall():
        new = compact(bytes(data))
        if new == data:
            continue
        fresh = doc_digest(new)
        db.execute("INSERT OR IGNORE INTO export_docs VALUES (?, ?)", (fresh, new))
        db.execute("UPDATE exports SET digest=? WHERE digest=?", (fresh, digest))
        db.execute("DELETE FROM export_docs WHERE digest=?", (digest,))


def _priority(db: sqlite3.Connection, cache: Path) -> tuple[list[tuple[str, str]], int]:
    """The releases, what a user meets first first: the benchmark locks' pins, then each
    top project's newest release by rank, then each one's next newest, and so on."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    pinned = set()
    for lock_file in cache.glob("*.txt"):  # the locks build() wrote there
        for line in lock_file.read_text(encoding="utf-8").splitlines():
            text = line.split(" #")[0].split(" \\")[0].strip()
            if not text or text.startswith(("#", "-")):
                continue
            try:
                req = Requirement(text)
            except InvalidRequirement:
                continue
            exact = [s.version for s in req.specifier if s.operator == "=="]
            if exact:
                pinned.add((canonicalize_name(req.name), exact[0]))
    top = [
        canonicalize_name(line.strip())
        for line in (ROOT / "data" / "top-projects.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    rank = {name: i for i, name in enumerate(top)}
    versions: dict[str, list[str]] = {}
    releases = " UNION ".join(f"SELECT name, version FROM {t}" for t in _RELEASE_TABLES)
    for name, version in db.execute(releases):
        versions.setdefault(name, []).append(version)

    def newest_first(v: str) -> tuple[int, Version | str]:
        try:
            return (1, Version(v))
        except InvalidVersion:
            return (0, v)  # last

    keyed = []
    for name, found in versions.items():
        for age, version in enumerate(sorted(found, key=newest_first, reverse=True)):
            first = (name, version) in pinned
            keyed.append(((not first, age, rank.get(name, len(rank))), (name, version)))
    return [release for _, release in sorted(keyed)], sum(1 for k, _ in keyed if not k[0])


_RELEASE_TABLES = ("scans", "uses", "layouts", "verdicts", "provenance", "exports")


def _fit(
    db: sqlite3.Connection, dest: Path, budget: int, order: list[tuple[str, str]], pinned: int
) -> None:
    """Keep the first *pinned* releases of *order* (the locks' pins), then those after
    them that fit in *budget* bytes, in order; drop the rest.
    A release costs its export documents (each once) and its uses (the rest of the file,
    shared by row); an estimate, so the cut is tried again smaller until the file fits."""
    aim = budget * 0.97
    while (size := dest.stat().st_size) > budget:
        docs = dict(db.execute("SELECT digest, LENGTH(data) FROM export_docs").fetchall())
        rows = {
            (name, version): n
            for name, version, n in db.execute(
                "SELECT name, version, COUNT(*) FROM uses GROUP BY name, version"
            )
        }
        per_row = (size - sum(docs.values())) / max(1, sum(rows.values()))
        owned: dict[tuple[str, str], set[str]] = {}
        for name, version, digest in db.execute("SELECT name, version, digest FROM exports"):
            owned.setdefault((name, version), set()).add(digest)
        spent, counted, kept, dropped = 0.0, set(), [], []
        for i, release in enumerate(order):
            cost = rows.get(release, 0) * per_row
            cost += sum(docs.get(d, 0) for d in owned.get(release, set()) - counted)
            if i >= pinned and spent + cost > aim:
                dropped.append(release)
            else:
                spent += cost
                counted |= owned.get(release, set())
                kept.append(release)
        if not dropped:
            raise SystemExit(f"{dest}: {size / 1e6:.1f} MB: the locks' pins alone do not fit")
        for table in _RELEASE_TABLES:
            db.executemany(f"DELETE FROM {table} WHERE name=? AND version=?", dropped)
        db.execute("DELETE FROM export_docs WHERE digest NOT IN (SELECT digest FROM exports)")
        db.commit()
        db.execute("VACUUM")
        order, aim = kept, aim * 0.95
        print(f"  kept {len(kept)} releases, dropped {len(dropped)}", file=sys.stderr)


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
        "--max-mb",
        type=float,
        default=25.0,
        help="the snapshot's size limit (default 25): what a user meets first is kept",
    )
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
        f"Python {', '.join(args.python_version)} on {args.platform}; "
        f"cut to {args.max_mb:g} MB: the locks' pins, then each project's newest releases by rank"
    )
    trim(cache / "symbols.sqlite", OUT, inputs, int(args.max_mb * 1e6))
    size = OUT.stat().st_size
    db = sqlite3.connect(OUT)
    releases = db.execute("SELECT COUNT(DISTINCT name || version) FROM scans").fetchone()[0]
    pairs = db.execute(
        "SELECT COUNT(DISTINCT name || ' ' || version || ' ' || target) FROM scans"
    ).fetchone()[0]
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
