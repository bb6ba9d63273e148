"""``symres verify``: prove a lock by running it.

The import tier installs the lock into a venv and runs :mod:`symres.verify.runner` there:
every top-level module of every locked distribution, and every hard use symres mined for
the locked set. The gpu-load tier then runs probes for what the lock holds. Results flow
back into the symbol database as evidence.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from packaging.utils import NormalizedName
from packaging.version import Version

from symres.errors import SymresError
from symres.index.config import (
    IndexOptions,
    load_index_config,
    redact_url,
    strip_auth,
    without_credentials,
)
from symres.index.pythons import Installer, choose_installer, find_interpreter
from symres.lock.lockfile import LockFile, read_lockfile
from symres.target import make_target
from symres.verify import runner
from symres.verify.env import (
    Environment,
    InstallFailure,
    existing_environment,
    install,
    mark_ready,
    verify_environment,
)
from symres.verify.probes import DEVICE_CHECK, VerifySettings, read_settings, select

# Exit status of `symres verify` (besides 0 passed, 1 failed, 2 usage or environment).
EXIT_SKIPPED = 3

Event = Callable[[str], None]


@dataclass(frozen=True)
class VerifyOptions:
    lock: Path
    tier: Literal["import", "gpu"] = "import"
    env: Path | None = None
    python: str | None = None
    installer: str = "auto"
    keep_venv: bool = False
    fresh: bool = False
    timeout: float | None = None
    device: Literal["auto", "cpu"] = "auto"
    lazy: Literal["warn", "enforce"] = "warn"
    src: tuple[Path, ...] = ()
    ignore_symbols: tuple[str, ...] = ()
    settings: Path | None = None  # pyproject.toml with [tool.symres.verify]
    index: IndexOptions = IndexOptions()


@dataclass
class GpuTier:
    status: Literal["passed", "failed", "skipped"]
    reason: str
    device: str  # "cuda", "cpu" (smoke) or "" when skipped
    results: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class VerifyReport:
    lock: Path
    python: str
    environment: Environment | None
    installer: str | None
    install_failures: list[InstallFailure]
    results: list[dict[str, Any]]
    notes: list[str]
    seconds: float
    gpu: GpuTier | None = None
    evidence: int = 0

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["status"] == "failed"] + [
            r for r in (self.gpu.results if self.gpu else []) if r["status"] == "failed"
        ]

    def count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.results)

    @property
    def exit_code(self) -> int:
        if self.failed or self.install_failures or (self.gpu and self.gpu.status == "failed"):
            return 1
        if self.gpu is not None and self.gpu.status == "skipped":
            return EXIT_SKIPPED
        return 0


def _python_path(options: VerifyOptions) -> str | None:
    """``--python PATH`` (an interpreter), as opposed to ``--python X.Y``."""
    value = options.python
    return value if value and ("/" in value or "\\" in value) else None


def lock_python(lock: LockFile, options: VerifyOptions) -> str:
    """The Python the lock is for: ``--python X.Y``, the header's, else this interpreter's."""
    if options.python and _python_path(options) is None:
        return options.python
    if lock.python:
        return lock.python
    return make_target().python_version


def build_plan(
    lock: LockFile,
    python: str,
    options: VerifyOptions,
    settings: VerifySettings,
    *,
    on_event: Event = lambda s: None,
) -> tuple[dict[str, Any], list[str]]:
    """What the runner checks: the locked distributions, the mined uses, the probes of
    the import tier. Uses come from the symbol database, mined where it lacks them."""
    target = make_target(python)
    entries = lock.applicable(target.env)
    notes: list[str] = []
    if lock.unpinned:
        line, text = lock.unpinned[0]
        raise SymresError(
            f"{lock.path}:{line}: `{text}` is not pinned",
            hint="verify takes a lock (`name==version` lines, as `symres lock` writes)",
        )
    plan: dict[str, Any] = {
        "distributions": [{"name": e.name, "version": str(e.version)} for e in entries],
        "uses": [],
        "probes": [p.plan("probe") for p in settings.probes if p.tier == "import"],
        "skip_modules": list(settings.skip_modules),
        "timeout": options.timeout or settings.timeout or 120,
    }
    if lock.index_url and not options.index.index_url:  # the index the lock was made from
        index = replace(
            options.index,
            index_url=lock.index_url,
            extra_index_urls=options.index.extra_index_urls or tuple(lock.extra_index_urls),
        )
        options = replace(options, index=index)
    try:
        pins = {e.name: e.version for e in entries}
        plan["uses"] = _use_checks(pins, target, options, on_event, notes)
    except SymresError as err:
        notes.append(f"uses not checked: {err.message}")
    return plan, notes


def _use_checks(
    pins: dict[NormalizedName, Version],
    target: Any,
    options: VerifyOptions,
    on_event: Event,
    notes: list[str],
) -> list[dict[str, Any]]:
    from symres.resolve.symbolic import (  # noqa: PLC0415
        judge_lock,
        lock_symbols,
        project_uses,
        pyproject_ignores,
    )
    from symres.symbols.compat import facts_of  # noqa: PLC0415

    # the same uses whatever the database holds: those `lock` enforces, or with
    # --lazy enforce every hard use (mined where the snapshot lacks them)
    with lock_symbols(target, options.index, online=True, lazy=options.lazy) as (oracle, stdlib):
        finder = oracle.finder
        assert finder is not None
        unknown = sorted(n for n in pins if pins[n] not in (finder.releases(n) or {}))
        if unknown:  # a local build (torch 2.4.0+cpu), another index: its uses stay unread
            on_event(f"not on the index: {', '.join(unknown)}")
            notes.append(
                "uses not read for releases the index does not have: "
                + ", ".join(f"{n} {pins[n]}" for n in unknown)
            )
            pins = {n: v for n, v in pins.items() if n not in unknown}
        project = project_uses(list(options.src), facts_of(target)) if options.src else []
        all_pins, judged, fallback_is_dead = judge_lock(
            oracle,
            pins,
            stdlib,
            ignore=frozenset(options.ignore_symbols) | pyproject_ignores((options.lock,)),
            project_uses=project,
            on_progress=lambda what: on_event(f"reading the uses of {what}"),
        )
        live = [j for j in judged if not (j.use.alternatives and fallback_is_dead(j))]
    grouped: dict[tuple[str, str | None, str | None, str], dict[str, Any]] = {}
    for item in live:
        provider = item.provider
        cond = item.use.condition
        when = (
            {"module": cond.module, "hasattr": cond.value, "negate": cond.negate}
            if cond is not None and cond.kind == "hasattr"
            else None
        )
        key = (item.use.module, item.use.name, provider, json.dumps(when))
        consumer = (
            "your code" if item.consumer not in pins else f"{item.consumer} {pins[item.consumer]}"
        )
        check = grouped.setdefault(
            key,
            {
                "module": item.use.module,
                "name": item.use.name,
                "enforced": False,
                "static": item.verdict.status,
                "consumers": [],
                "when": when,
                "ref": {
                    "provider": provider,
                    "version": str(all_pins[provider]) if provider else None,
                    "module": item.use.module,
                    "name": item.use.name,
                },
            },
        )
        check["enforced"] |= item.use.import_time or options.lazy == "enforce"
        if len(check["consumers"]) < 3:
            check["consumers"].append(f"{consumer} ({item.use.where})")
    out = []
    for check in grouped.values():
        check["dist"] = check["consumers"][0].split(" (")[0]
        out.append(check)
    return out


def _run_runner(
    env: Environment, plan: dict[str, Any], on_event: Event, *, device: str | None = None
) -> dict[str, Any]:
    """Run the runner in *env* and return its report. The runner contains every check;
    this only fails if the environment's interpreter cannot run it at all."""
    work = Path(tempfile.mkdtemp(prefix="symres-verify-"))
    try:
        script = work / "symres_verify_runner.py"
        shutil.copyfile(runner.__file__, script)
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


def _settings(options: VerifyOptions) -> VerifySettings:
    path = options.settings or options.lock.resolve().parent / "pyproject.toml"
    if not path.is_file() and options.settings is None:
        path = Path.cwd() / "pyproject.toml"
    return read_settings(path)


def verify(options: VerifyOptions, *, on_event: Event = lambda s: None) -> VerifyReport:
    started = time.perf_counter()
    lock = read_lockfile(options.lock)
    settings = _settings(options)
    installer: Installer | None = None
    failures: list[InstallFailure] = []
    env_cm: AbstractContextManager[Environment]
    if options.env is not None:
        existing = existing_environment(options.env)
        env_cm, python = nullcontext(existing), existing.version
    else:
        python = lock_python(lock, options)
        interpreter = find_interpreter(
            python, _python_path(options), why=f", and the lock is for Python {python}"
        )
        installer = choose_installer(options.installer)
        cache_dir = None if options.index.no_cache else _cache_dir(options)
        env_cm = verify_environment(
            requirements=lock.requirements_text(),
            interpreter=interpreter,
            version=python,
            installer=installer,
            cache_dir=cache_dir,
            keep=options.keep_venv,
            fresh=options.fresh,
        )
    on_event("reading the lock's uses")
    plan, notes = build_plan(lock, python, options, settings, on_event=on_event)
    with env_cm as env:
        if env.created:
            on_event(f"installing {len(lock.entries)} packages with {installer}")
            index = None
            if not lock.index_url:
                index = load_index_config(
                    index_url=options.index.index_url,
                    extra_index_urls=options.index.extra_index_urls,
                    cert=options.index.cert,
                )
            assert installer is not None
            failures = install(
                env,
                _install_text(lock, options.index),
                list(lock.entries.values()),
                index,
                installer,
            )
            if not failures:
                mark_ready(env)
            notes += forget_mismatched(failures, options)
        elif options.env is None:
            notes.append(f"reused the venv kept at `{env.root}`")
        report = _run_runner(env, plan, on_event)
        results = report["results"]
        gpu = _gpu_tier(env, lock, options, settings, on_event) if options.tier == "gpu" else None
    evidence = 0 if options.index.no_cache else record_evidence(report, options)
    return VerifyReport(
        lock=options.lock,
        python=report["environment"]["python"],
        environment=env,
        installer=installer,
        install_failures=failures,
        results=results,
        notes=notes,
        seconds=time.perf_counter() - started,
        gpu=gpu,
        evidence=evidence,
    )


def _cache_dir(options: VerifyOptions) -> Path:
    from symres.cache import default_cache_dir  # noqa: PLC0415

    return options.index.cache_dir or default_cache_dir()


def _install_text(lock: LockFile, index: IndexOptions) -> str:
    """What the installer reads. The lock names its indexes with the password hidden
    (`user:****@`): the install step gets the credentials the user's configuration has for
    that index, or none (pip and uv then try .netrc and keyrings)."""
    text = (
        lock.requirements_text()
        if lock.path.suffix == ".toml"
        else lock.path.read_text(encoding="utf-8-sig")
    )
    if "****@" not in text:
        return text
    config = load_index_config(
        index_url=index.index_url, extra_index_urls=index.extra_index_urls, cert=index.cert
    )
    urls = (config.index_url, *config.extra_index_urls, *config.find_links)
    known = {redact_url(u).rstrip("/"): u for u in urls}

    def restored(m: re.Match[str]) -> str:
        found = known.get(m.group(0).rstrip("/"))
        return (
            found + ("/" if m.group(0).endswith("/") else "") if found else strip_auth(m.group(0))
        )

    return _REDACTED.sub(restored, text)


_REDACTED = re.compile(r"\S+://[^\s/@]*:?\*\*\*\*@\S+")


def _gpu_tier(
    env: Environment,
    lock: LockFile,
    options: VerifyOptions,
    settings: VerifySettings,
    on_event: Event,
) -> GpuTier:
    locked: set[str] = set(lock.entries)
    probes = [*select(locked), *(p for p in settings.probes if p.tier == "gpu")]
    if not probes:
        return GpuTier(
            "skipped",
            "nothing to probe: the lock holds none of torch, bitsandbytes, transformers, "
            "and [tool.symres.verify] has no gpu probes",
            "",
        )
    if options.device == "cpu":
        device = "cpu"
    else:
        on_event("looking for a CUDA device")
        found = _cuda_device(env, locked, on_event)
        if found is not None:
            return GpuTier("skipped", f"no CUDA device ({found})", "")
        device = "cuda"
    on_event(f"running {len(probes)} probes on {device}")

    def probe_label(probe: Any) -> str:
        named = [n for n in probe.needs if n in lock.entries]
        return f"{named[-1]} {lock.entries[named[-1]].version}" if named else probe.name

    plan: dict[str, Any] = {
        "probes": [p.plan(probe_label(p)) for p in probes],
        "device": device,
        "timeout": options.timeout or settings.timeout or 600,
    }
    results = _run_runner(env, plan, on_event, device=device)["results"]
    failed = [r for r in results if r["status"] == "failed"]
    label = "on CUDA" if device == "cuda" else "cpu smoke test, unquantized"
    status: Literal["passed", "failed"] = "failed" if failed else "passed"
    return GpuTier(
        status, f"{len(results) - len(failed)}/{len(results)} probes {label}", device, results
    )


def _cuda_device(env: Environment, locked: set[str], on_event: Event) -> str | None:
    """None when a CUDA device is visible; else why not."""
    if "torch" in locked:
        plan = {"probes": [DEVICE_CHECK.plan("torch")], "timeout": 120}
        result = _run_runner(env, plan, on_event, device="cuda")["results"][0]
        if result["status"] == "passed":
            return None
        said = "; ".join(result.get("warnings", [])) or result["detail"]
        return f"torch: {said}"
    try:
        done = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "nvidia-smi is not available"
    if done.returncode == 0 and "GPU" in done.stdout:
        return None
    return "nvidia-smi lists no GPU"


def forget_mismatched(failures: list[InstallFailure], options: VerifyOptions) -> list[str]:
    """A file the installer refused for its hash is not the one the lock was read from:
    the symbol facts mined for that release (from Range reads, which cannot check a
    hash) may be about other bytes. They are dropped, to be read again."""
    from symres.db.store import SymbolDB  # noqa: PLC0415

    bad = [f for f in failures if f.hash_mismatch]
    if not bad or options.index.no_cache:
        return []
    db = SymbolDB(_cache_dir(options) / "symbols.sqlite")
    try:
        for f in bad:
            db.forget(f.name, f.version)
    finally:
        db.close()
    return [
        f"dropped the symbol facts of {f.name} {f.version}: its file is not the one the "
        "lock's hashes name (the next lock reads it again)"
        for f in bad
    ]


def record_evidence(report: dict[str, Any], options: VerifyOptions) -> int:
    """Runtime results into the symbol database: a module that imports, a name that a
    module has or lacks. Only clean answers count; a crash or an unrelated error is no
    evidence about the name."""
    from symres.db.store import SymbolDB  # noqa: PLC0415
    from symres.symbols.compat import facts_of  # noqa: PLC0415
    from symres.symbols.oracle import target_key  # noqa: PLC0415

    rows = [
        r
        for r in report["results"]
        if r.get("evidence") in ("present", "missing") and (r.get("ref") or {}).get("provider")
    ]
    if not rows:
        return 0
    key = target_key(facts_of(make_target(report["environment"]["python"])))
    db = SymbolDB(_cache_dir(options) / "symbols.sqlite")
    try:
        for r in rows:
            ref = r["ref"]
            db.put_evidence(
                ref["provider"],
                ref["version"],
                key,
                ref["module"],
                ref.get("name"),
                r["evidence"],
                r["detail"] or f"{r['check']} works",
            )
    finally:
        db.close()
    return len(rows)


def emit_script(
    options: VerifyOptions, dest: Path, *, on_event: Event = lambda s: None
) -> tuple[int, int]:
    """Write the runner with the lock's plan embedded; returns (distributions, uses)."""
    from symres.fsutil import atomic_write  # noqa: PLC0415

    lock = read_lockfile(options.lock)
    python = lock_python(lock, options)
    plan, _ = build_plan(lock, python, options, _settings(options), on_event=on_event)
    source = Path(runner.__file__).read_text(encoding="utf-8")
    marker = "PLAN: Any = None  # symres:plan"
    embedded = f"PLAN: Any = json.loads({json.dumps(json.dumps(plan, sort_keys=True))})"
    header = (
        f"#!/usr/bin/env python3\n# Written by `symres verify --emit-script` for "
        f"`{options.lock.name}`: run it with the environment's Python.\n"
    )
    atomic_write(dest, header + source.replace(marker, embedded))
    dest.chmod(0o755)
    return len(plan["distributions"]), len(plan["uses"])
