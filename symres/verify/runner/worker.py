"""A check run, in a worker process: the worker runs checks in order and writes one
JSON line per event on its own channel (stdout, which stray prints no longer reach).

A check's failure is its result: the exception's first line, the file and line of the
package that raised it, and whether the name it wanted is missing; a warning raised on
the way is kept with a check that passed.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import sys
import time
import traceback
import warnings
from typing import Any

from symres.compare import compare
from symres.verify.runner.checks import _label, _result

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
                test = check["when"]["test"]
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
    """A use under `if hasattr(mod, "x"):` or `if mod.NAME >= 2:` runs only where the
    test holds."""
    if not when:
        return True
    try:
        module = importlib.import_module(when["module"])
        if "hasattr" in when:
            held = hasattr(module, when["hasattr"])
        else:
            held = compare(getattr(module, when["constant"]), when["op"], when["value"])
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
