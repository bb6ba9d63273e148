"""The import tier, run inside the environment it checks.

Standalone and stdlib-only (Python 3.8+): `symres verify` runs this file with the
venv's interpreter, and `symres verify --emit-script` writes it out with the plan
embedded, for a `RUN python test_imports.py` step in a Dockerfile.

For every locked distribution: is it installed at the locked version, and does each
top-level module in its RECORD import? For every use mined from the lock's code
(`from werkzeug.urls import url_quote`): does it work? Then the probes, if any.

Each check runs in a worker process; a crash, a hang (timeout), `sys.exit` or a stray
print in one check is reported as that check's result, and a new worker carries on
with the next check. Exit status: 0 every check passed, 1 some check failed.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterable
from typing import Any

PLAN: Any = None  # symres:plan

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_SKIP_TOP = {"test", "tests", "testing", "docs", "doc", "examples", "benchmarks", "setup"}
_SKIP_TOP |= {"conftest", "__pycache__"}
STARTUP_TIMEOUT = 120.0


# -- what is installed ---------------------------------------------------------------------


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def top_level_modules(files: Iterable[object]) -> list[str]:
    """The importable top-level names of a distribution's RECORD: `pkg` for
    pkg/__init__.py, `mod` for mod.py or mod.cpython-311-x86_64-linux-gnu.so, and for a
    namespace package the shallowest regular packages or modules under it."""
    modules: set[str] = set()
    packages: set[str] = set()
    for path in files:
        parts = str(path).replace("\\", "/").split("/")
        if parts[0] in ("..", "") or parts[0].endswith((".dist-info", ".data", ".egg-info")):
            continue
        if "__pycache__" in parts:
            continue
        leaf = parts[-1]
        if leaf.endswith(".py"):
            stem = leaf[:-3]
        elif leaf.endswith((".so", ".pyd")):
            stem = leaf.split(".")[0]
            if leaf.count(".") == 1 and stem.startswith("lib"):
                continue  # a shared library shipped in the wheel (libcupti.so), not a module
        else:
            continue
        if stem == "__main__":
            continue  # `python -m` runs it; importing it runs the program (censys: SystemExit)
        dotted = parts[:-1] + ([] if stem == "__init__" else [stem])
        if not dotted or not all(_IDENT.match(p) for p in dotted):
            continue
        name = ".".join(dotted)
        modules.add(name)
        if stem == "__init__":
            packages.add(name)
    out = set()
    for name in modules:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix in packages or i == len(parts):
                out.add(prefix)
                break
    return sorted(n for n in out if n.split(".")[0] not in _SKIP_TOP)


def installed(name: str) -> tuple[str, list[str]] | None:
    """(version, top-level modules) of an installed distribution, or None."""
    from importlib import metadata

    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    files = dist.files or []
    mods = top_level_modules(files)
    if not files:
        text = dist.read_text("top_level.txt") or ""
        mods = sorted(m for m in text.split() if _IDENT.match(m) and m not in _SKIP_TOP)
    return dist.version, mods


def build_checks(plan: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The plan's distributions, uses and probes as a list of checks; the version and
    install checks need no code of the packages, so they are answered here."""
    checks: list[dict[str, Any]] = []
    answered: list[dict[str, Any]] = []
    skip = set(plan.get("skip_modules", []))
    for dist in plan.get("distributions", []):
        found = installed(dist["name"])
        label = "{} {}".format(dist["name"], dist["version"])
        if found is None:
            answered.append(_result(dist, dist["name"], "failed", "not installed"))
            continue
        version, mods = found
        if _canonical(version) != _canonical(dist["version"]):
            detail = "installed {}, the lock pins {}".format(version, dist["version"])
            answered.append(_result(dist, dist["name"], "failed", detail))
        # a module named as the distribution that it does not install (uwsgi's `uwsgi`)
        # exists only inside the program the distribution builds, for its plugins
        own = dist["name"].lower().replace("-", "_").replace(".", "_")
        for module in mods:
            if module in skip or module.split(".")[0] in skip:
                continue
            ref = {"provider": dist["name"], "version": dist["version"], "module": module}
            check = {"kind": "module", "dist": label, "module": module, "enforced": True}
            if own not in mods:
                check["host_module"] = own
            checks.append(dict(check, ref=ref))
    absent = {_canonical(r["dist"]) for r in answered if r["detail"] == "not installed"}
    for use in plan.get("uses", []):
        provider = (use.get("ref") or {}).get("provider") or ""
        if _canonical(provider) in absent:
            answered.append(
                _result(
                    use, _label(dict(use, kind="use")), "skipped", provider + " is not installed"
                )
            )
            continue
        if _IDENT.match(use["module"]) and (
            use.get("name") in (None, "*") or _IDENT.match(use["name"])
        ):
            checks.append(dict(use, kind="use"))
    for probe in plan.get("probes", []):
        checks.append(dict(probe, kind="probe", isolated=True, enforced=True))
    return checks, answered


def _result(
    check: dict[str, Any], what: str, status: str, detail: str = "", **extra: Any
) -> dict[str, Any]:
    out = {
        "dist": check.get("dist", check.get("name", "")),
        "check": what,
        "status": status,
        "detail": detail,
    }
    for key in ("ref", "consumers"):
        if key in check:
            out[key] = check[key]
    out.update(extra)
    return out


def _label(check: dict[str, Any]) -> str:
    if check["kind"] == "module":
        return "import {}".format(check["module"])
    if check["kind"] == "use":
        if check.get("name") in (None, "*"):
            return "import {}".format(check["module"])
        return "from {} import {}".format(check["module"], check["name"])
    return "probe {}".format(check["name"])


# -- the worker: runs checks in order, one JSON line per event on its own channel -------------


_INSTALLED_PATH = re.compile(r"[^\s'\"(]*[/\\](?:site|dist)-packages[/\\]")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    if not text:
        return type(exc).__name__
    return "{}: {}".format(type(exc).__name__, _INSTALLED_PATH.sub("", text[0]))


def _where(tb: Any) -> str:
    here = os.path.abspath(__file__)
    frames = [
        f
        for f in traceback.extract_tb(tb)
        if not f.filename.startswith("<")
        and "importlib" not in f.filename.replace("\\", "/").split("/")[-2:-1]
        and os.path.abspath(f.filename) != here
    ]
    if not frames:
        return ""
    f = frames[-1]
    path = f.filename.replace("\\", "/")
    for marker in ("site-packages/", "dist-packages/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{f.lineno}"


def run_check(check: dict[str, Any], device: str) -> dict[str, Any]:
    kind = check["kind"]
    evidence: str | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if kind == "probe":
                scope: dict[str, Any] = {"__name__": "__symres_probe__", "DEVICE": device}
                scope["QUANTIZE"] = device == "cuda"
                exec(compile(check["code"], "<probe {}>".format(check["name"]), "exec"), scope)
                detail = str(scope.get("RESULT", ""))
            elif not _branch_taken(check.get("when")):
                when = check["when"]
                test = "hasattr({}, {!r})".format(when["module"], when["hasattr"])
                test = "not " + test if when.get("negate") else test
                return _result(check, _label(check), "skipped", f"not run here: {test} is false")
            else:
                module = importlib.import_module(check["module"])
                evidence = "present"
                name = check.get("name")
                detail = ""  # a module or a use has nothing to report but its status
                if kind == "use" and name not in (None, "*"):
                    evidence = None
                    try:
                        if check["module"] == "__future__":  # to the compiler, a future
                            # statement: a name that is no feature is a SyntaxError
                            getattr(module, name)
                        else:
                            exec("from {} import {}".format(check["module"], name), {})
                        evidence = "present"
                    except BaseException:
                        if not _is_submodule(module, check["module"], name):
                            evidence = "missing"
                        raise
        except BaseException as exc:  # SystemExit and KeyboardInterrupt from imports too
            if (
                isinstance(exc, ModuleNotFoundError)
                and kind != "probe"
                and exc.name == check["module"]
            ):
                evidence = "missing"
            status = "failed" if check.get("enforced", True) else "warning"
            if isinstance(exc, ModuleNotFoundError) and exc.name == check.get("host_module"):
                status = "warning"  # runs inside the distribution's own program only
            where = _where(exc.__traceback__)
            extra = {"where": where} if where else {}
            return _result(
                check, _label(check), status, _first_line(exc), evidence=evidence, **extra
            )
    found: list[str] = []
    for w in caught:
        line = "{}: {}".format(w.category.__name__, str(w.message).strip().split("\n")[0])
        if line not in found:
            found.append(line)
    return _result(check, _label(check), "passed", detail, evidence=evidence, warnings=found[:5])


def _branch_taken(when: dict[str, Any] | None) -> bool:
    """A use under `if hasattr(mod, "x"):` runs only where the test holds."""
    if not when:
        return True
    try:
        held = hasattr(importlib.import_module(when["module"]), when["hasattr"])
    except Exception:
        return True  # the use's own check will say what is wrong
    return held != bool(when.get("negate"))


def _is_submodule(module: object, parent: str, name: str) -> bool:
    try:
        if not hasattr(module, "__path__"):
            return False
        return importlib.util.find_spec(f"{parent}.{name}") is not None
    except BaseException:
        return False


def worker(plan_path: str, start: int, device: str) -> int:
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # stray prints, from Python or C, go to the log, not the channel
    sys.stdout = sys.stderr
    import faulthandler

    faulthandler.enable()  # a crash leaves "Fatal Python error: …" in the log
    with open(plan_path) as f:
        checks = json.load(f)
    for i in range(start, len(checks)):
        if i > start and checks[i].get("isolated"):
            break  # probes run alone in a fresh process
        channel.write(json.dumps({"start": i}) + "\n")
        started = time.monotonic()
        result = run_check(checks[i], device)
        result["seconds"] = round(time.monotonic() - started, 3)
        channel.write(json.dumps({"done": i, "result": result}) + "\n")
        if checks[i].get("isolated"):
            break
    channel.flush()
    os._exit(0)  # threads or atexit hooks started by imports cannot hold the worker
    return 0  # not reached


# -- the parent: one worker at a time, restarted after a crash or a timeout -------------------


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
        for i, redo in zip(again, redone, strict=True):
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
