"""Each trap of shared/benchmark/locks/traps, locked twice — by pip-compile and by symres —
and each lock proven with `symres verify` (a fresh venv, `--require-hashes`, every module
and every mined use imported).

    python scripts/verify_traps.py [--heavy] [TRAP ...]

Expected: pip-compile's lock fails, naming the missing name; symres's lock passes.
Traps whose lock holds torch are skipped unless --heavy (a CUDA torch is gigabytes).
Prints one line per lock; exit 1 when an expectation does not hold.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRAPS = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmark" / "locks" / "traps"


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)  # type: ignore[call-overload]


def lock_with(tool: str, trap: Path, out: Path) -> str | None:
    """Write the lock; None when it worked, else why not."""
    if tool == "symres":
        cmd = [sys.executable, "-m", "symres", "lock", "-q", str(trap), "-o", str(out)]
    else:
        cmd = ["pip-compile", "--quiet", "--generate-hashes", "--no-header", "--strip-extras"]
        cmd += ["--output-file", str(out), str(trap)]
    done = run(cmd)
    return None if done.returncode == 0 else (done.stderr.strip().splitlines() or ["?"])[-1]


def verify(lock: Path) -> tuple[int, list[str], float]:
    started = time.perf_counter()
    done = run([sys.executable, "-m", "symres", "verify", str(lock), "--json"])
    seconds = time.perf_counter() - started
    if not done.stdout.strip():
        return done.returncode, [done.stderr.strip()[-300:]], seconds
    report = json.loads(done.stdout)
    failed = [
        f"{r['dist']}: {r['check']}: {r['detail']}"
        for r in report["results"]
        if r["status"] == "failed"
    ]
    failed += [f"{f['name']}: install: {f['message']}" for f in report["install_failures"]]
    return done.returncode, failed, seconds


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("traps", nargs="*")
    parser.add_argument("--heavy", action="store_true")
    args = parser.parse_args()
    files = [TRAPS / f"{t}.in" for t in args.traps] or sorted(TRAPS.glob("*.in"))
    wrong = 0
    for trap in files:
        for tool, expected in (("pip-compile", 1), ("symres", 0)):
            with tempfile.TemporaryDirectory(prefix="symres-trap-") as tmp:
                lock = Path(tmp) / "requirements.txt"
                problem = lock_with(tool, trap, lock)
                if problem is not None:
                    print(f"{trap.stem} / {tool}: lock failed: {problem}")
                    wrong += 1
                    continue
                pins = dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+)", lock.read_text(), re.M))
                if "torch" in pins and not args.heavy:
                    print(f"{trap.stem} / {tool}: skipped (torch {pins['torch']}; use --heavy)")
                    continue
                code, failed, seconds = verify(lock)
                verdict = "passes" if code == 0 else f"fails (exit {code})"
                print(f"{trap.stem} / {tool}: {verdict} in {seconds:.1f}s")
                for line in failed[:4]:
                    print(f"    {line}")
                wrong += code != expected
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
