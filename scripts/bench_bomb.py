"""Peak memory of `symres lock` on a wheel whose member lies about its size.

    python scripts/bench_bomb.py [--inflates-to-mib 1228]

The member's zip headers say 1,000 bytes; it inflates to --inflates-to-mib MiB of zeros
(1.2 GiB by default, from a 1.2 MB wheel). Serves it from a local index, locks it with
symbols on (the member is read for its imports), and prints the child's peak RSS and
wall time. The limit the hardening issue sets is 300 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.builders import lying_wheel
from tests.index_server import IndexServer


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--inflates-to-mib", type=int, default=1228)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="symres-bomb-") as tmp:
        work = Path(tmp)
        wheel = lying_wheel(work, "bomb", "1.0", inflates_to=args.inflates_to_mib << 20)
        server = IndexServer()
        server.add(wheel)
        server.start()
        (work / "requirements.in").write_text("bomb\n")
        env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, SYMRES_NO_SNAPSHOT="1")
        env["SYMRES_CACHE_DIR"] = str(work / "cache")
        cmd = [sys.executable, "-m", "symres", "lock", "-q", "-i", server.url]
        cmd += [str(work / "requirements.in"), "-o", str(work / "out.txt")]
        started = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        server.stop()
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB → MiB
        size = wheel.stat().st_size / 1e6
    print(
        f"wheel {size:.1f} MB, member inflates to {args.inflates_to_mib} MiB, claims 1000 B: "
        f"exit {done.returncode}, peak RSS {peak:.0f} MiB, {wall:.1f} s"
    )
    if done.returncode:
        print(done.stderr.strip().splitlines()[-1:])
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
