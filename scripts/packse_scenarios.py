"""Run packse's single-target resolver scenarios with symres and `uv pip compile`.

    python scripts/packse_scenarios.py [--tools symres,uv] [--only NAME ...] [--timeout 10]
    python scripts/packse_scenarios.py --fetch 0.3.59   # refresh tests/packse/scenarios

Each scenario is built into a local index on 127.0.0.1 (``tests/packse.py``), then each
tool locks its root requirements for its target from an empty cache. A scenario matches
as uv's own scenario tests judge it (exit 0 with the expected pins, or exit 1 when it is
unsatisfiable). Prints a line per mismatch, then ``symres N/M`` and ``uv N/M``, the
scenarios that ran longest, and symres' deliberate policy differences (which never count
as matches).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import packse


def run_tool(
    tool: str, scenario: packse.Scenario, url: str, work: Path, timeout: float
) -> packse.Outcome:
    req = work / f"{tool}.in"
    req.write_text("\n".join(scenario.root) + "\n", encoding="utf-8")
    out = work / f"{tool}.txt"
    # UV_PYTHON_DOWNLOADS: uv would try to download the target's Python for builds
    env = dict(
        os.environ, PIP_CONFIG_FILE=os.devnull, SYMRES_NO_SNAPSHOT="1", UV_PYTHON_DOWNLOADS="never"
    )
    env.pop("PIP_INDEX_URL", None)
    env.pop("PIP_EXTRA_INDEX_URL", None)
    if tool == "symres":
        env["SYMRES_CACHE_DIR"] = str(work / "symres-cache")
        cmd = ["symres", "lock", "-q", "-i", url, *scenario.lock_args(), str(req), "-o", str(out)]
    else:
        cmd = ["uv", "pip", "compile", "-q", "--no-cache", "--index-url", url, "--no-header"]
        cmd += [*scenario.uv_args(), str(req), "-o", str(out)]
    started = time.perf_counter()
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return packse.Outcome(None, {}, time.perf_counter() - started)
    seconds = time.perf_counter() - started
    pins = packse.pins_of(out.read_text(encoding="utf-8")) if out.is_file() else {}
    return packse.Outcome(done.returncode, pins, seconds, done.stderr.strip())


def fetch(version: str) -> None:
    """Replace tests/packse/scenarios with the single-target ones of packse's sdist."""
    from packaging.utils import canonicalize_name

    from symres.cache import Cache
    from symres.index.client import IndexClient, make_http_client
    from symres.index.config import load_index_config

    config = load_index_config()
    with make_http_client(config) as http:
        client = IndexClient(config, http, Cache(None))
        page = client.project_files(canonicalize_name("packse"))
        files = page.files if page else []
        sdist = next(f for f in files if f.filename == f"packse-{version}.tar.gz")
        data = client.get_bytes(sdist.url)
    shutil.rmtree(packse.SCENARIOS, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        for member in tf.getmembers():
            parts = Path(member.name).parts
            if len(parts) > 2 and parts[1] == "scenarios" and member.isfile():
                target = packse.SCENARIOS.joinpath(*parts[2:])
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tf.extractfile(member).read())  # type: ignore[union-attr]
    kept = packse.load()
    names = {s.name for s in kept}
    for path in packse.SCENARIOS.rglob("*"):  # universal (forking) scenarios are not ours
        if path.is_file() and not any(d.get("name") in names for d in packse._read(path)):
            path.unlink()
    print(f"packse {version}: {len(kept)} single-target scenarios in {packse.SCENARIOS}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--tools", default="symres,uv")
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per scenario and tool")
    parser.add_argument("--fetch", metavar="VERSION", help="refresh the scenario files and stop")
    args = parser.parse_args()
    if args.fetch:
        fetch(args.fetch)
        return 0
    tools = [t for t in args.tools.split(",") if t]
    scenarios = [s for s in packse.load() if not args.only or s.name in args.only]
    matched = {t: 0 for t in tools}
    slowest: list[tuple[float, str, str]] = []
    for scenario in scenarios:
        with tempfile.TemporaryDirectory(prefix="packse-") as tmp:
            work = Path(tmp)
            (work / "dists").mkdir()
            with packse.serve(scenario, work / "dists") as server:
                for tool in tools:
                    outcome = run_tool(tool, scenario, server.url, work, args.timeout)
                    slowest.append((outcome.seconds, tool, scenario.name))
                    wrong = packse.judge(scenario, outcome)
                    policy = tool == "symres" and scenario.name in packse.POLICY
                    if wrong is None and not policy:
                        matched[tool] += 1
                        continue
                    why = "policy: " + packse.POLICY[scenario.name] if policy else wrong
                    last = outcome.output.splitlines()[:1]
                    print(
                        f"{tool:7} {scenario.group}/{scenario.name}: {why}"
                        + (f"  [{last[0][:160]}]" if last else "")
                    )
    print()
    for tool in tools:
        print(f"{tool} {matched[tool]}/{len(scenarios)}")
    slowest.sort(reverse=True)
    print("longest:", ", ".join(f"{t} {n} {s:.1f}s" for s, t, n in slowest[:5]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
