"""The resolver on generated indexes served from 127.0.0.1, symres beside `uv pip compile`.

    python scripts/bench_resolver.py [--tools symres,uv] [--repeat 3] [--cases NAME ...]

Cases (``tests/generated.py`` builds them):

- ``deep-eq``: 300 projects x 20 versions; release k of p_i needs p_{i+1}==k; root ``p0``
  and the constraint ``p299<=10``: every project must come down to its 10th release.
- ``deep-ge``: the same with p_{i+1}>=k (several candidates on every level).
- ``wide-N``: one release with N ``Requires-Dist`` lines on N projects of one release.
- ``extras-2000``: one release with 2,000 ``Requires-Dist`` lines, behind 100 extras, on
  40 projects; the root asks for none of the extras (a meta-package's METADATA).

Every run is cold (an empty cache), ``--symbols off`` for symres (this is the resolver's
measure; symbols are not in play on generated packages). The server hashes its files and
builds its pages before the first run, as a real index has them ready (else the first tool
pays for the fixture's 6,000 hashes). With ``--repeat N`` the tools take turns N times and
the median is shown beside the fastest: on a shared machine a single run can be 3x off.
Prints wall time, the index server's request count per run, and symres' resolver counts
(rounds, backtracks, rejections).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.builders import build_wheel
from tests.generated import deep_index, wide_release
from tests.index_server import IndexServer


def extras_release(server: IndexServer, dists: Path, lines: int = 2000) -> str:
    for i in range(40):
        server.add(build_wheel(dists, f"dep{i}", "1.0"))
    requires = [f'dep{i % 40}>={1 + i % 3}.0; extra == "x{i % 100}"' for i in range(lines)]
    requires += ["dep0", "dep1>=1.0"]
    server.add(build_wheel(dists, "meta", "1.0", requires=requires))
    return "meta"


def build(case: str, server: IndexServer, dists: Path) -> tuple[str, str | None]:
    if case.startswith("deep-"):
        root, constraint = deep_index(
            server, dists, projects=300, versions=20, op="==" if case == "deep-eq" else ">="
        )
        return root, constraint
    if case.startswith("wide-"):
        return wide_release(server, dists, lines=int(case.split("-")[1])), None
    return extras_release(server, dists), None


def run(tool: str, work: Path, url: str, timeout: float) -> dict:
    req, con = work / "requirements.in", work / "constraints.txt"
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, SYMRES_NO_SNAPSHOT="1")
    cache = work / f"cache-{tool}"
    shutil.rmtree(cache, ignore_errors=True)  # every run cold, and with no earlier
    (work / f"{tool}.txt").unlink(missing_ok=True)  # output: both keep the pins of one
    env["SYMRES_CACHE_DIR"] = str(cache)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    if tool == "symres":
        cmd = ["symres", "lock", "-q", "--json", "--symbols", "off", "-i", url, str(req)]
        cmd += ["-o", str(work / "symres.txt")]
    else:
        cmd = ["uv", "pip", "compile", "-q", "--no-cache", "--index-url", url, str(req)]
        cmd += ["-o", str(work / "uv.txt")] + (["-c", str(con)] if con.is_file() else [])
    started = time.perf_counter()
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"seconds": None}
    out = {"seconds": round(time.perf_counter() - started, 2), "code": done.returncode}
    if tool == "symres" and done.returncode == 0:
        out.update(json.loads(done.stdout)["stats"])
    elif done.returncode:
        out["error"] = done.stderr.strip().splitlines()[:1]
    return out


def summary(results: list[dict]) -> str:
    """`median s (fastest s)`, the requests of one run, and symres' resolver counts."""
    times = sorted(r["seconds"] for r in results if r["seconds"] is not None)
    if not times:
        return "timeout"
    shown = f"{statistics.median(times):7.2f}s"
    if len(results) > 1:
        shown += f" (fastest {times[0]:.2f}s of {len(results)})"
    last = results[-1]
    extra = ""
    if "resolver_rounds" in last:
        extra = (
            f" rounds {last['resolver_rounds']}, backtracks {last['backtracks']},"
            f" rejected {last['rejected_candidates']}"
        )
    if "error" in last:
        extra = f" {last['error']}"
    return f"{shown} {last['requests']:6} requests{extra}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--tools", default="symres,uv")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument(
        "--cases",
        nargs="*",
        default=["deep-eq", "deep-ge", "wide-500", "wide-1000", "wide-2000", "extras-2000"],
    )
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    tools = args.tools.split(",")
    print(f"# {time.strftime('%Y-%m-%d')} · {os.cpu_count()} cores · cold, symres --symbols off")
    for case in args.cases:
        with tempfile.TemporaryDirectory(prefix="symres-gen-") as tmp:
            work = Path(tmp)
            (work / "dists").mkdir()
            server = IndexServer()
            root, constraint = build(case, server, work / "dists")
            (work / "requirements.in").write_text(
                root + "\n" + ("-c constraints.txt\n" if constraint else "")
            )
            if constraint:
                (work / "constraints.txt").write_text(constraint + "\n")
            server.warm()
            server.start()
            try:
                runs: dict[str, list[dict]] = {tool: [] for tool in tools}
                for _ in range(args.repeat):
                    for tool in tools:
                        before = len(server.log)
                        result = run(tool, work, server.url, args.timeout)
                        result["requests"] = len(server.log) - before
                        runs[tool].append(result)
                for tool in tools:
                    print(f"{case:12} {tool:7} {summary(runs[tool])}", flush=True)
            finally:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
