"""Lock each trap of shared/benchmark/locks/traps with symres, install the lock in a fresh
venv with `pip install --require-hashes`, and import the trap's package.

    python scripts/verify_traps.py [--heavy] [TRAP ...]

Traps whose lock holds torch are skipped unless --heavy (a CUDA torch is gigabytes).
Prints one line per trap: the narrowing symres made and whether the import worked.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

TRAPS = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmark" / "locks" / "traps"


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)  # type: ignore[call-overload]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("traps", nargs="*")
    parser.add_argument("--heavy", action="store_true")
    args = parser.parse_args()
    files = [TRAPS / f"{t}.in" for t in args.traps] or sorted(TRAPS.glob("*.in"))
    failures = 0
    for trap in files:
        with tempfile.TemporaryDirectory(prefix="symres-trap-") as tmp:
            lock = Path(tmp) / "requirements.txt"
            done = run([sys.executable, "-m", "symres", "lock", "-q", str(trap), "-o", str(lock)])
            if done.returncode != 0:
                print(f"{trap.stem}: lock failed: {done.stderr.strip()[:300]}")
                failures += 1
                continue
            text = lock.read_text()
            notes = re.findall(r"# symres: (\S+) — (.*)", text)
            pins = dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+)", text, re.M))
            summary = "; ".join(
                f"{n} {s}" for s, n in [(s, w.split(" imports")[0]) for s, w in notes]
            )
            if "torch" in pins and not args.heavy:
                print(
                    f"{trap.stem}: locked ({summary or 'no narrowing'}); install skipped: torch "
                    f"{pins['torch']} is gigabytes (use --heavy)"
                )
                continue
            env = Path(tmp) / "venv"
            venv.create(env, with_pip=True)
            python = str(env / "bin" / "python")
            install = run(
                [
                    python,
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    "--require-hashes",
                    "-r",
                    str(lock),
                ],
                # the lock is the whole truth: no machine-wide pip constraints or indexes
                env={**{k: v for k, v in os.environ.items() if k != "PIP_FIND_LINKS"},
                     "PIP_CONFIG_FILE": os.devnull},
            )
            if install.returncode != 0:
                print(f"{trap.stem}: install failed: {install.stderr.strip()[-300:]}")
                failures += 1
                continue
            top = next(
                line.split("==")[0]
                for line in trap.read_text().splitlines()
                if line and not line.startswith("#")
            )
            module = {"bump-my-version": "bumpversion.config"}.get(top, top.replace("-", "_"))
            imported = run([python, "-c", f"import {module}"], timeout=300)
            status = (
                "imports"
                if imported.returncode == 0
                else ("FAILS: " + (imported.stderr.strip().splitlines() or ["?"])[-1])
            )
            print(f"{trap.stem}: {summary or 'no narrowing'}; {status}")
            failures += imported.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
