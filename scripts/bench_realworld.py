"""Lock the public requirements files of scripts/realworld/ with symres and uv, side by side.

    python scripts/bench_realworld.py [--only SLUG ...] [--timeout 600] [--json out.json]
    python scripts/bench_realworld.py --verify results.json   # install + `symres verify` both locks

Every file is locked for one target (Python 3.11, manylinux_2_28_x86_64, as a Docker image
would be), with hashes, against the index pip is configured with (given to both tools
explicitly, so both read the same one). For each file and tool: *cold* from an empty
cache (``--runs N``: the median of N, the tools taking turns to go first), then *warm*
from that cache (symres within its page TTL; uv with ``--offline``, so
that neither asks the index). Tools: symres (symbols on, the default), symres with
``--symbols off``, and ``uv pip compile --generate-hashes``.

Prints one line per run, then: locked counts, timeouts, the median cold and warm ratios
symres/uv over the files both locked, and every file one tool locked and the other did
not, with the first line of the error. ``--verify`` then installs each pair of locks
(``--require-hashes``, in a fresh venv) and runs ``symres verify`` on both.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent / "realworld"
PYTHON, PLATFORM, UV_PLATFORM = "3.11", "manylinux_2_28_x86_64", "x86_64-manylinux_2_28"
TOOLS = ("symres", "symres-off", "uv")


def inputs(only: list[str]) -> list[Path]:
    files = sorted(p for p in HERE.glob("*.txt") if "--" not in p.stem)  # `a--b`: included
    return [p for p in files if not only or p.stem in only]


def index_url() -> str:
    sys.path.insert(0, str(HERE.parent.parent))
    from symres.index.config import load_index_config

    return load_index_config().index_url


def command(tool: str, src: Path, out: Path, cache: Path, warm: bool, index: str) -> list[str]:
    if tool.startswith("symres"):
        cmd = ["symres", "lock", "-q", "-i", index, str(src), "-o", str(out)]
        cmd += ["--python-version", PYTHON, "--platform", PLATFORM]
        return cmd + (["--symbols", "off"] if tool == "symres-off" else [])
    cmd = ["uv", "pip", "compile", "-q", "--generate-hashes", "--index-url", index]
    cmd += ["--cache-dir", str(cache), "--python-version", PYTHON]
    cmd += ["--python-platform", UV_PLATFORM, str(src), "-o", str(out)]
    return cmd + (["--offline"] if warm else [])


def run(tool: str, src: Path, work: Path, warm: bool, index: str, timeout: float) -> dict:
    cache = work / f"cache-{tool}"
    out = work / f"{tool}.txt"
    out.unlink(missing_ok=True)  # no pins to keep from the previous run
    env = dict(os.environ, SYMRES_CACHE_DIR=str(cache), PIP_CONFIG_FILE=os.devnull)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    for var in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS"):
        env.pop(var, None)
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command(tool, src, out, cache, warm, index),
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=src.parent,
        )
        code, err = done.returncode, done.stderr
    except subprocess.TimeoutExpired:
        code, err = None, f"ran past {timeout:.0f}s"
    seconds = time.perf_counter() - started
    pins = (
        sum(1 for line in out.read_text().splitlines() if "==" in line.split("#")[0])
        if out.is_file() and code == 0
        else 0
    )
    lines = [line for line in err.splitlines() if line.strip()]
    first = next(
        (line for line in lines if line.startswith(("error", "  ×", "×"))),
        lines[0] if lines else "",
    )
    return {"code": code, "seconds": round(seconds, 2), "pins": pins, "error": first[:300]}


def lock_all(args: argparse.Namespace) -> dict:
    index = index_url()
    results: dict = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "files": {},
    }
    root = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="symres-realworld-"))
    for src in inputs(args.only):
        work = root / src.stem
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        row = results["files"][src.stem] = {}
        colds: dict[str, list[dict]] = {tool: [] for tool in args.tools}
        for attempt in range(args.runs):
            # each tool goes first in every other run: an index's own caches warm up
            # for whoever asks second
            for tool in args.tools if attempt % 2 == 0 else args.tools[::-1]:
                shutil.rmtree(work / f"cache-{tool}", ignore_errors=True)
                colds[tool].append(run(tool, src, work, False, index, args.timeout))
        for tool in args.tools:
            runs = colds[tool]
            cold = dict(runs[-1], seconds=round(statistics.median(r["seconds"] for r in runs), 2))
            cold["runs"] = [r["seconds"] for r in runs]
            warm = run(tool, src, work, True, index, args.timeout) if cold["code"] == 0 else None
            if cold["code"] == 0:
                shutil.copy(work / f"{tool}.txt", work / f"{tool}.lock.txt")
            row[tool] = {"cold": cold, "warm": warm, "lock": str(work / f"{tool}.lock.txt")}
            shown = f"warm {warm['seconds']:7.2f}s" if warm else cold["error"][:120]
            print(
                f"{src.stem:32} {tool:10} exit {cold['code']!s:4} "
                f"cold {cold['seconds']:7.2f}s  {shown}",
                flush=True,
            )
        shutil.rmtree(work / "cache-symres", ignore_errors=True)  # keep the locks, not GBs of cache
        shutil.rmtree(work / "cache-symres-off", ignore_errors=True)
        shutil.rmtree(work / "cache-uv", ignore_errors=True)
    return results


def summary(results: dict, tools: list[str]) -> None:
    files = results["files"]
    tools = [t for t in tools if all(t in r for r in files.values())]  # those that ran
    print(
        f"\n# {results['date']} · {results['machine']} · {len(files)} files · "
        f"target Python {PYTHON}, {PLATFORM}"
    )
    for tool in tools:
        ok = [f for f, r in files.items() if r[tool]["cold"]["code"] == 0]
        timeouts = [f for f, r in files.items() if r[tool]["cold"]["code"] is None]
        print(f"{tool:10} locked {len(ok)}/{len(files)}, timeouts {len(timeouts)}")
    for tool in (t for t in tools if t != "uv" and "uv" in tools):  # ratios need uv's runs
        both = [
            f
            for f, r in files.items()
            if r[tool]["cold"]["code"] == 0 and r["uv"]["cold"]["code"] == 0
        ]
        if not both:
            continue
        cold = [files[f][tool]["cold"]["seconds"] / files[f]["uv"]["cold"]["seconds"] for f in both]
        warm = [
            files[f][tool]["warm"]["seconds"] / files[f]["uv"]["warm"]["seconds"]
            for f in both
            if files[f][tool]["warm"]
            and files[f]["uv"]["warm"]
            and files[f]["uv"]["warm"]["code"] == 0
        ]
        med = lambda xs: f"{statistics.median(xs):.2f}" if xs else "-"  # noqa: E731
        tool_cold = statistics.median(files[f][tool]["cold"]["seconds"] for f in both)
        uv_cold = statistics.median(files[f]["uv"]["cold"]["seconds"] for f in both)
        print(
            f"{tool}/uv over {len(both)} files both locked: median ratio cold {med(cold)}, "
            f"warm {med(warm)} (median cold {tool_cold:.1f}s vs {uv_cold:.1f}s)"
        )
    print("\n| file | " + " | ".join(f"{t} cold / warm" for t in tools) + " |")
    print("| --- |" + " ---: |" * len(tools))
    for f, r in files.items():
        cells = []
        for t in tools:
            c, w = r[t]["cold"], r[t]["warm"]
            cells.append(
                f"{c['seconds']:.1f} / {w['seconds']:.1f}"
                if c["code"] == 0 and w
                else ("timeout" if c["code"] is None else f"exit {c['code']}")
            )
        print(f"| {f} | " + " | ".join(cells) + " |")
    print()
    for f, r in files.items():
        codes = {t: r[t]["cold"]["code"] for t in tools}
        if len({c == 0 for c in codes.values()}) > 1 or any(c != 0 for c in codes.values()):
            for t in tools:
                if codes[t] != 0:
                    print(f"{f}: {t} exit {codes[t]}: {r[t]['cold']['error']}")


def verify_all(path: Path) -> None:
    """Install both locks of each file with hashes in a fresh venv and verify them."""
    results = json.loads(path.read_text())
    first = next(iter(results["files"].values()), {})
    mine = next((t for t in ("symres", "symres-off") if t in first), "symres")
    for f, r in results["files"].items():
        for tool in (mine, "uv"):
            if tool not in r or r[tool]["cold"]["code"] != 0:
                continue
            lock = Path(r[tool]["lock"])
            started = time.perf_counter()
            done = subprocess.run(
                ["symres", "verify", "-q", "--json", "--python", PYTHON, str(lock)],
                capture_output=True,
                text=True,
                env=dict(os.environ, PIP_CONFIG_FILE=os.devnull),
            )
            try:
                report = json.loads(done.stdout)
                failed = [c for c in report.get("results", []) if c.get("status") == "failed"]
                failed += [
                    {"dist": i["name"], "check": "install", "detail": i["message"]}
                    for i in report.get("install_failures", [])
                ]
            except ValueError:
                report, failed = {}, []
            r[tool]["verify"] = {
                "code": done.returncode,
                "seconds": round(time.perf_counter() - started, 1),
                "failed": [
                    f"{c.get('dist')}: {c.get('check')}: {str(c.get('detail', ''))[:200]}"
                    for c in failed[:5]
                ],
                "error": done.stderr.strip().splitlines()[:2],
            }
            print(
                f"{f:32} {tool:7} verify exit {done.returncode} in {r[tool]['verify']['seconds']}s "
                f"{r[tool]['verify']['failed'][:2]} {r[tool]['verify']['error'][:1]}",
                flush=True,
            )
    path.write_text(json.dumps(results, indent=1))
    files = results["files"]
    both = [f for f, r in files.items() if "verify" in r.get(mine, {}) and "verify" in r["uv"]]
    worse = [
        f
        for f in both
        if files[f]["uv"]["verify"]["code"] == 0 and files[f][mine]["verify"]["code"] != 0
    ]
    print(
        f"\nverified: {mine} passes "
        f"{sum(files[f][mine]['verify']['code'] == 0 for f in both)}/{len(both)}, "
        f"uv {sum(files[f]['uv']['verify']['code'] == 0 for f in both)}/{len(both)}; "
        f"{mine} fails where uv passes: {worse or 'none'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--tools", nargs="*", default=list(TOOLS))
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--runs", type=int, default=1, help="cold runs per file and tool (median)")
    parser.add_argument("--json", type=Path, help="write every run's facts here")
    parser.add_argument("--work", help="keep the locks here (default: a temporary folder)")
    parser.add_argument(
        "--verify", type=Path, metavar="RESULTS", help="verify the locks of a --json file"
    )
    parser.add_argument(
        "--summary", type=Path, metavar="RESULTS", help="print the summary of a --json file"
    )
    args = parser.parse_args()
    if args.verify:
        verify_all(args.verify)
        return 0
    if args.summary:
        summary(json.loads(args.summary.read_text()), args.tools)
        return 0
    results = lock_all(args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    summary(results, args.tools)
    return 0


if __name__ == "__main__":
    sys.exit(main())
