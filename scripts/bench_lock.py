"""Lock the benchmark inputs with symres, `uv pip compile` and pip-compile, side by side.

    python scripts/bench_lock.py [--runs 3] [--pip-compile-runs 1] [--inputs web.in ml-gpu.in]

Every tool writes hashes (`--generate-hashes` for the others). *cold* runs start from an
empty cache folder each time; *warm* runs follow one untimed run with the same cache
(uv with ``--offline``: this index sends no Cache-Control, and uv would revalidate every
page, while symres' pages are fresh for 10 minutes; so neither asks the index).
Prints medians and the ratios symres/uv and symres/pip-compile measured in this run, and
checks that every pin of symres' lock satisfies every declared requirement for the target.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

LOCKS = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmark" / "locks"
TARGETS = {  # input -> (python, platform tag, uv's --python-platform)
    "ml-gpu.in": ("3.10", "manylinux_2_28_x86_64", "x86_64-manylinux_2_28"),
}


def command(
    tool: str, src: Path, out: Path, cache: Path, warm: bool = False
) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    target = TARGETS.get(src.name)
    if tool == "symres":
        env["SYMRES_CACHE_DIR"] = str(cache)
        cmd = ["symres", "lock", "-q", str(src), "-o", str(out)]
        if target:
            cmd += ["--python-version", target[0], "--platform", target[1]]
        out.unlink(missing_ok=True)  # no pins to keep from the previous run
    elif tool == "symres-off":
        env["SYMRES_CACHE_DIR"] = str(cache)
        cmd = ["symres", "lock", "-q", "--symbols", "off", str(src), "-o", str(out)]
        if target:
            cmd += ["--python-version", target[0], "--platform", target[1]]
        out.unlink(missing_ok=True)
    elif tool == "uv":
        cmd = [
            "uv",
            "pip",
            "compile",
            "-q",
            "--generate-hashes",
            "--cache-dir",
            str(cache),
            str(src),
            "-o",
            str(out),
        ]
        if target:
            cmd += ["--python-version", target[0], "--python-platform", target[2]]
        if warm:  # from its cache, as symres within its page TTL: neither asks the index
            cmd.append("--offline")
        out.unlink(missing_ok=True)
    else:
        env["PIP_CACHE_DIR"] = str(cache)
        cmd = [
            "pip-compile",
            "-q",
            "--generate-hashes",
            "--cache-dir",
            str(cache),
            "--rebuild",
            str(src),
            "-o",
            str(out),
        ]
        out.unlink(missing_ok=True)
    return cmd, env


def timed(tool: str, src: Path, out: Path, cache: Path, warm: bool = False) -> float:
    cmd, env = command(tool, src, out, cache, warm)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{tool} failed on {src.name}:\n{proc.stderr[-2000:]}")
    return elapsed


def measure(tool: str, src: Path, runs: int, work: Path) -> tuple[float, float]:
    cold = []
    for i in range(runs):
        cache = work / f"{tool}-{src.stem}-cold-{i}"
        cold.append(timed(tool, src, work / f"{tool}-{src.stem}.txt", cache))
        shutil.rmtree(cache, ignore_errors=True)
    cache = work / f"{tool}-{src.stem}-warm"
    timed(tool, src, work / f"{tool}-{src.stem}.txt", cache)
    warm = [timed(tool, src, work / f"{tool}-{src.stem}.txt", cache, True) for _ in range(runs)]
    return statistics.median(cold), statistics.median(warm)


def check_lock(lock: Path, src: Path) -> str:
    """Every declared requirement of every locked release holds for the lock's pins."""
    from symres.cache import Cache, default_cache_dir
    from symres.index.client import IndexClient, make_http_client
    from symres.index.config import load_index_config
    from symres.index.finder import Finder
    from symres.target import make_target

    target_args = TARGETS.get(src.name)
    target = make_target(*(target_args[:2] if target_args else (None, None)))
    pins = {
        canonicalize_name(n): Version(v)
        for n, v in re.findall(r"^([a-z0-9._-]+)==(\S+)", lock.read_text(), re.M)
    }
    config = load_index_config()
    finder = Finder(
        IndexClient(config, make_http_client(config), Cache(default_cache_dir())), target
    )
    problems = []
    env = {**target.env, "extra": ""}
    try:
        for name, version in pins.items():
            meta = finder.metadata(finder.releases(name)[version])  # type: ignore[index]
            for req in meta.requires_dist:
                if req.marker is not None and not req.marker.evaluate(env):
                    continue
                dep = canonicalize_name(req.name)
                if dep not in pins:
                    problems.append(f"{name} {version} needs {req}: not locked")
                elif not req.specifier.contains(pins[dep], prereleases=True):
                    problems.append(f"{name} {version} needs {req}: locked {pins[dep]}")
    finally:
        finder.close()
    return "ok" if not problems else f"{len(problems)} problems: {problems[:3]}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pip-compile-runs", type=int, default=1)
    parser.add_argument("--inputs", nargs="*", default=["web.in", "ml-gpu.in", "large.in"])
    parser.add_argument("--tools", nargs="*", default=["symres", "symres-off", "uv", "pip-compile"])
    args = parser.parse_args()
    print(
        f"# {time.strftime('%Y-%m-%d')} · {platform.machine()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · runs={args.runs} "
        f"(pip-compile {args.pip_compile_runs})"
    )
    versions = {
        t: subprocess.run(
            [t.split("-off")[0], "--version"], capture_output=True, text=True
        ).stdout.strip()
        for t in args.tools
    }
    print("# " + " · ".join(versions.values()))
    rows = []
    with tempfile.TemporaryDirectory(prefix="symres-bench-") as tmp:
        work = Path(tmp)
        for name in args.inputs:
            src = LOCKS / name
            results = {}
            for tool in args.tools:
                runs = args.pip_compile_runs if tool == "pip-compile" else args.runs
                results[tool] = measure(tool, src, runs, work)
                print(
                    f"  {name:10} {tool:12} "
                    f"cold {results[tool][0]:7.2f}s  warm {results[tool][1]:7.2f}s",
                    file=sys.stderr,
                )
            valid = check_lock(work / f"symres-{src.stem}.txt", src) if "symres" in results else "-"
            rows.append((name, results, valid))
    print()
    print("| input | tool | cold (s) | warm (s) | symres÷tool cold | symres÷tool warm |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, results, _ in rows:
        for tool, (cold, warm) in results.items():
            ratio = ("", "")
            if tool != "symres" and "symres" in results:
                s_cold, s_warm = results["symres"]
                ratio = (f"{s_cold / cold:.2f}×", f"{s_warm / warm:.2f}×")
            print(f"| {name} | {tool} | {cold:.2f} | {warm:.2f} | {ratio[0]} | {ratio[1]} |")
    print()
    for name, _, valid in rows:
        print(f"symres lock of {name} satisfies every declared requirement: {valid}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
