"""The parent: runs the plan's checks in workers, one worker at a time, each restarted
after a crash or a timeout; then the report, and the runner's command line.

``PLAN`` is the plan ``symres verify --emit-script`` embeds in the script; without one,
``--plan FILE`` names it.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from symres.verify.runner.checks import _label, _result, build_checks
from symres.verify.runner.worker import worker

PLAN: Any = None  # symres:plan
STARTUP_TIMEOUT = 120.0


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except (ValueError, AttributeError):
        return f"signal {-code}"


def _log_reason(log_path: str, code: int | None) -> str:
    try:
        with open(log_path, errors="replace") as f:
            lines = [line.strip() for line in f if line.strip()]
    except OSError:
        lines = []
    fatal = [line for line in lines if line.startswith("Fatal Python error")]
    if code is not None and code < 0:
        head = f"crashed ({_signal_name(code)})"
    else:
        head = f"the process exited (code {code}) during the check"
    return head + (": " + fatal[0] if fatal else "")


def run_checks(
    checks: list[dict[str, Any]],
    *,
    timeout: float,
    device: str = "cpu",
    on_event: Callable[[int, int, str], None] | None = None,
    env: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Run the checks, several to a worker. A check that fails in a worker after others
    is run again alone, in a fresh one, and only a failure that holds there is reported:
    one import can break the next (on 3.11, importing pip turns setuptools' distutils
    shim off, and ``import setuptools`` then fails), which no program of the lock need do.
    """
    results = _run_workers(checks, timeout=timeout, device=device, on_event=on_event, env=env)
    again = [
        i
        for i, r in enumerate(results)
        if r is not None
        and r["status"] == "failed"
        and not checks[i].get("isolated")
        and not r["detail"].startswith("timed out")
    ]
    if again:
        alone = [dict(checks[i], isolated=True) for i in again]
        redone = _run_workers(alone, timeout=timeout, device=device, env=env)
        for k, i in enumerate(again):  # (no zip(strict=): this runs on Python 3.8)
            redo = redone[k]
            if redo is not None and redo["status"] != "failed":
                results[i] = redo
    return [r for r in results if r is not None]


def _run_workers(
    checks: list[dict[str, Any]],
    *,
    timeout: float,
    device: str,
    env: dict[str, str] | None,
    on_event: Callable[[int, int, str], None] | None = None,
) -> list[dict[str, Any] | None]:
    """Each check's result (None where none came back), the workers started one after
    another, each going on from where the last one stopped."""
    work = tempfile.mkdtemp(prefix="symres-verify-")
    try:
        plan_path = os.path.join(work, "checks.json")
        with open(plan_path, "w") as f:
            json.dump(checks, f)
        results: list[dict[str, Any] | None] = [None] * len(checks)
        # as the parent: no PYTHONPATH, no user site
        isolated = ["-I"] if sys.flags.isolated else []
        i = 0
        spawned = 0
        while i < len(checks):
            spawned += 1
            log_path = os.path.join(work, f"worker-{spawned}.log")
            with open(log_path, "wb") as log:
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        *isolated,
                        os.path.abspath(__file__),
                        "--worker",
                        plan_path,
                        str(i),
                        device,
                    ],
                    stdout=subprocess.PIPE,
                    stderr=log,
                    stdin=subprocess.DEVNULL,
                    env=env,
                    cwd=work,
                )
            lines: queue.Queue[bytes | None] = queue.Queue()

            def pump(stream: Any = proc.stdout, lines: queue.Queue[bytes | None] = lines) -> None:
                for raw in stream:
                    lines.put(raw)
                lines.put(None)

            threading.Thread(target=pump, daemon=True).start()
            current: int | None = None
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while True:
                try:
                    raw = lines.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    proc.kill()
                    proc.wait()
                    if current is None:
                        raise RuntimeError(  # noqa: B904 -- not caused by the empty queue
                            f"the worker did not start within {STARTUP_TIMEOUT:.0f}s"
                        )
                    limit = checks[current].get("timeout", timeout)
                    status = "failed" if checks[current].get("enforced", True) else "warning"
                    results[current] = _result(
                        checks[current],
                        _label(checks[current]),
                        status,
                        f"timed out after {limit}s",
                    )
                    i = current + 1
                    break
                if raw is None:
                    code = proc.wait()
                    if current is not None and results[current] is None:
                        check = checks[current]
                        status = "failed" if check.get("enforced", True) else "warning"
                        results[current] = _result(
                            check, _label(check), status, _log_reason(log_path, code)
                        )
                        i = current + 1
                    elif current is None:
                        reason = _log_reason(log_path, code)
                        raise RuntimeError("the worker failed to start: " + reason)
                    else:
                        i = current + 1
                    break
                message = json.loads(raw)
                if "start" in message:
                    current = message["start"]
                    deadline = time.monotonic() + checks[current].get("timeout", timeout)
                    if on_event:
                        on_event(current, len(checks), _label(checks[current]))
                else:
                    results[message["done"]] = message["result"]
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the workers' logs: read above, as they ended


def run_plan(
    plan: dict[str, Any],
    *,
    timeout: float | None = None,
    device: str | None = None,
    on_event: Callable[[int, int, str], None] | None = None,
) -> dict[str, Any]:
    timeout = timeout or plan.get("timeout", 120)
    device = device or plan.get("device", "cpu")
    env = dict(os.environ)
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"})
    checks, answered = build_checks(plan)
    results = run_checks(checks, timeout=timeout, device=device, on_event=on_event, env=env)
    info = {
        "python": "{}.{}".format(*sys.version_info[:2]),
        "sys_platform": sys.platform,
        "executable": sys.executable,
    }
    return {"environment": info, "results": answered + results}


def _print_human(report: dict[str, Any]) -> int:
    results = report["results"]
    bad = [r for r in results if r["status"] != "passed"]
    for r in bad:
        where = " ({})".format(r["where"]) if r.get("where") else ""
        print(
            "{:8} {}: {}: {}{}".format(
                r["status"].upper(), r["dist"], r["check"], r["detail"], where
            )
        )
    failed = sum(r["status"] == "failed" for r in results)
    print(
        "{} checks: {} passed, {} failed, {} warnings".format(
            len(results),
            sum(r["status"] == "passed" for r in results),
            failed,
            sum(r["status"] == "warning" for r in results),
        )
    )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Check that this environment imports what its lock promises."
    )
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--plan", help="a plan written by symres (default: the embedded one)")
    parser.add_argument("--results", help="write the results as JSON to this file")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--events", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, help="seconds each check may take")
    parser.add_argument("--device", choices=["cpu", "cuda"], help="where the probes run")
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker[0], int(args.worker[1]), args.worker[2])
    if args.plan:
        with open(args.plan) as f:
            plan = json.load(f)
    elif PLAN is not None:
        plan = PLAN
    else:
        parser.error("no plan: give --plan FILE")

    def event(i: int, n: int, label: str) -> None:
        if args.events:
            sys.stdout.write(json.dumps({"check": i, "of": n, "label": label}) + "\n")
            sys.stdout.flush()

    report = run_plan(plan, timeout=args.timeout, device=args.device, on_event=event)
    if args.results:
        tmp = args.results + ".tmp"
        with open(tmp, "w") as f:
            json.dump(report, f)
        os.replace(tmp, args.results)
    if args.json:
        print(json.dumps(report, indent=2))
        return 1 if any(r["status"] == "failed" for r in report["results"]) else 0
    if args.events:
        return 0
    return _print_human(report)


if __name__ == "__main__":
    sys.exit(main())
