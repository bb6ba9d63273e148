"""How fast `symres check` answers on a big lock, beside the tools a hook would otherwise
re-run to see whether a lock is fresh (uv pip compile, pip-compile), all warm.

    python scripts/bench_check.py [INPUT] [--runs N] [--no-pip-compile]

INPUT defaults to shared/benchmark/locks/large.in, locked first by symres for this
machine. Prints the pin count, each tool's median seconds, and the ratios to symres.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOCKS = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmark" / "locks"


def timed(cmd: list[str], runs: int) -> tuple[float, subprocess.CompletedProcess[str]]:
    times = []
    done = None
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
    assert done is not None
    return statistics.median(times), done


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("input", nargs="?", type=Path, default=LOCKS / "large.in")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-pip-compile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="symres-bench-check-") as tmp:
        lock = Path(tmp) / "requirements.txt"
        symres = [sys.executable, "-m", "symres"]
        done = subprocess.run(
            [*symres, "lock", "-q", str(args.input), "-o", str(lock)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            print(f"lock failed: {done.stderr.strip()}")
            return 1
        check = [*symres, "check", str(args.input), "--lock", str(lock)]
        subprocess.run(check, capture_output=True)  # warm the OS caches
        seconds, done = timed([*check, "--json"], args.runs)
        report = json.loads(done.stdout)
        print(
            f"{args.input.name}: {report['pins']} pins, {len(report['problems'])} problems, "
            f"{len(report['not_in_database'])} releases not in the database "
            f"({report['target']})"
        )
        rows = [("symres check (offline)", seconds)]
        online, _ = timed([*check, "--online"], args.runs)
        rows.append(("symres check --online", online))
        uv = ["uv", "pip", "compile", "--quiet", "--generate-hashes", str(args.input)]
        subprocess.run([*uv, "-o", str(Path(tmp) / "uv.txt")], capture_output=True)
        uv_seconds, _ = timed([*uv, "-o", str(Path(tmp) / "uv.txt")], args.runs)
        rows.append(("uv pip compile (re-lock)", uv_seconds))
        if not args.no_pip_compile:
            pc = ["pip-compile", "--quiet", "--generate-hashes", "--dry-run", str(args.input)]
            subprocess.run(pc, capture_output=True)
            pc_seconds, _ = timed(pc, 1)
            rows.append(("pip-compile --dry-run (re-lock)", pc_seconds))
    for name, value in rows:
        print(f"  {name:34} {value:7.2f}s  {value / seconds:6.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
