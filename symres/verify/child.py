"""Run :mod:`symres.verify.runner` in an environment: the one place package code runs
for ``verify``, isolated (``-I``), without credentials in its environment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from symres.errors import SymresError
from symres.index.config import without_credentials
from symres.verify import runner
from symres.verify.env import Environment

Event = Callable[[str], None]


def run_checks(
    env: Environment, plan: dict[str, Any], on_event: Event, *, device: str | None = None
) -> dict[str, Any]:
    """Run the runner in *env* and return its report. The runner contains every check;
    this only fails if the environment's interpreter cannot run it at all."""
    work = Path(tempfile.mkdtemp(prefix="symres-verify-"))
    try:
        script = work / "symres_verify_runner.py"
        script.write_text(runner.script(), encoding="utf-8")
        (work / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        results = work / "results.json"
        cmd = [str(env.python), "-I", str(script), "--plan", str(work / "plan.json")]
        cmd += ["--results", str(results), "--events"]
        if device:
            cmd += ["--device", device]
        with subprocess.Popen(
            cmd,
            env=without_credentials(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=work,
        ) as proc:
            assert proc.stdout is not None
            try:
                for line in proc.stdout:
                    try:
                        event = json.loads(line)
                    except ValueError:
                        continue
                    on_event(f"checking {event['check'] + 1}/{event['of']}: {event['label']}")
                stderr = proc.stderr.read() if proc.stderr else ""
                code = proc.wait()
            except BaseException:
                proc.kill()
                raise
        if code != 0 or not results.is_file():
            last = stderr.strip().splitlines()[-1:] or [f"exit {code}"]
            raise SymresError(
                f"the checks could not run in `{env.python}`: {last[0]}",
                hint="the environment's Python must be 3.8 or newer",
            )
        report: dict[str, Any] = json.loads(results.read_text(encoding="utf-8"))
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)
