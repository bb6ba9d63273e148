"""Mining throughput: `symres db mine` with worker processes against worker threads, on
the same releases, in one run.

    python scripts/bench_mining.py [--top 40] [--releases 1] [--workers N] [--python 3.11]

The releases are the newest of the most-downloaded projects (data/top-projects.txt).
A first run, discarded, fills the HTTP cache (pages, wheel members), so that the runs
measured read the same bytes from disk and differ only in how the work is spread; each
measured run starts from an empty symbol database. Prints a Markdown table and the
ratio processes / threads.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(cache: Path, args: argparse.Namespace, pool: str) -> dict:
    (cache / "symbols.sqlite").unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        (cache / f"symbols.sqlite{suffix}").unlink(missing_ok=True)
    cmd = [
        sys.executable, "-m", "symres", "db", "mine", "--top", str(args.top),
        "--releases", args.releases, "--pool", pool, "--workers", str(args.workers),
        "--python-version", args.python, "--json",
    ]  # fmt: skip
    env = {**os.environ, "SYMRES_CACHE_DIR": str(cache), "SYMRES_NO_SNAPSHOT": "1"}
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if not done.stdout.strip():
        raise SystemExit(f"{pool}: no summary ({done.stderr.strip()[-300:]})")
    report = json.loads(done.stdout)
    report["wall"] = wall
    return report


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--releases", default="1")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--python", default=f"{sys.version_info[0]}.{sys.version_info[1]}")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="symres-bench-mining-") as tmp:
        cache = Path(tmp)
        print("warming the HTTP cache …", file=sys.stderr)
        run(cache, args, "threads")
        results = {pool: run(cache, args, pool) for pool in ("threads", "processes")}
    print(f"| pool ({args.workers} workers) | releases | files | failed | seconds | releases/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for pool, r in results.items():
        rate = r["mined"] / r["wall"]
        failed = len(r["failed"]) + len(r["unknown_projects"])
        print(f"| {pool} | {r['mined']} | {r['files']} | {failed} | {r['wall']:.1f} | {rate:.2f} |")
    ratio = results["threads"]["wall"] / results["processes"]["wall"]
    print(f"\nprocesses are {ratio:.2f}x the throughput of threads")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
