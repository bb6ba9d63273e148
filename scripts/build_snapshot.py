"""Build data/symbols.sqlite, the symbol snapshot shipped with symres.

    python scripts/build_snapshot.py [--releases N] [--keep-cache DIR]

1. Locks the benchmark inputs (shared/benchmark/locks: ml-gpu.in for Python 3.10 on
   manylinux_2_28_x86_64, web.in and the traps for this machine's Python) with a fresh
   cache, so every release the resolver visits is mined (uses, layouts, verdicts).
2. With --releases N, also mines the N newest releases of each project of the core stack
   (STACK below) for each target.
3. Copies what the default `lock` consults into the snapshot, trimmed: no per-file
   cache; only reachable import-time uses (`top`, `if-available`); no uses that can never
   be judged (stdlib names present in every Python version, modules nothing provides).

Anyone can rerun it; the result depends on the index on the day it runs.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT.parent / "shared" / "benchmark" / "locks"
OUT = ROOT / "data" / "symbols.sqlite"
STACK = [
    "torch",
    "triton",
    "bitsandbytes",
    "transformers",
    "accelerate",
    "huggingface-hub",
    "sentence-transformers",
    "numpy",
    "scipy",
    "protobuf",
    "flask",
    "werkzeug",
    "jinja2",
    "markupsafe",
    "itsdangerous",
    "click",
    "pydantic",
    "fastapi",
    "starlette",
    "requests",
    "urllib3",
]
TARGETS = [("3.10", "manylinux_2_28_x86_64"), (None, None)]


def lock(src: Path, cache: Path, python: str | None, platform: str | None) -> None:
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
    env = {**__import__("os").environ, "SYMRES_CACHE_DIR": str(cache), "SYMRES_NO_SNAPSHOT": "1"}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    print(f"  {src.name} ({python or 'this Python'}): exit {done.returncode}", file=sys.stderr)


def mine_recent(cache: Path, count: int) -> None:
    import os

    os.environ["SYMRES_CACHE_DIR"] = str(cache)
    from symres.db.store import SymbolDB
    from symres.index.session import IndexOptions, open_finder
    from symres.symbols.oracle import SymbolOracle, facts_of
    from symres.target import make_target

    for python, platform in TARGETS:
        target = make_target(python, platform)
        db = SymbolDB(cache / "symbols.sqlite", snapshot=False)
        with open_finder(target, IndexOptions(cache_dir=cache)) as finder:
            oracle = SymbolOracle(finder, db, facts_of(target))
            for name in STACK:
                releases = sorted(v for v in (finder.releases(name) or {}) if not v.is_prerelease)
                for version in releases[-count:]:
                    try:
                        oracle.uses(name, version)  # type: ignore[arg-type]
                        oracle.prefixes(name, version)  # type: ignore[arg-type]
                    except Exception as exc:
                        print(f"  {name} {version}: {exc}", file=sys.stderr)
        db.close()


def trim(source: Path, dest: Path) -> None:
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
    ):
        db.execute(f"DELETE FROM {table} WHERE target NOT LIKE ?", (f"%-{version}",))
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
    parser.add_argument("--releases", type=int, default=0)
    parser.add_argument("--keep-cache", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="symres-snapshot-") as tmp:
        cache = args.keep_cache or Path(tmp)
        cache.mkdir(parents=True, exist_ok=True)
        print("locking the benchmark inputs", file=sys.stderr)
        lock(LOCKS / "ml-gpu.in", cache, "3.10", "manylinux_2_28_x86_64")
        for src in [LOCKS / "web.in", *sorted((LOCKS / "traps").glob("*.in"))]:
            lock(src, cache, None, None)
        if args.releases:
            print(f"mining the {args.releases} newest releases of the core stack", file=sys.stderr)
            mine_recent(cache, args.releases)
        trim(cache / "symbols.sqlite", OUT)
    size = OUT.stat().st_size
    db = sqlite3.connect(OUT)
    releases = db.execute("SELECT COUNT(*) FROM scans").fetchone()[0]
    uses = db.execute("SELECT COUNT(*) FROM uses").fetchone()[0]
    verdicts = db.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0]
    print(
        f"{OUT.relative_to(ROOT)}: {size / 1e6:.1f} MB, {releases} releases, {uses} uses, "
        f"{verdicts} verdicts"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
