"""``symres verify``: prove a lock by running it.

The import tier installs the lock into a venv and runs :mod:`symres.verify.runner` there:
every top-level module of every locked distribution, and every hard use symres mined for
the locked set. The gpu-load tier then runs probes for what the lock holds. Results flow
back into the symbol database as evidence.
"""

from __future__ import annotations

import json
import re
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from packaging.utils import NormalizedName
from packaging.version import Version

from symres.cache import default_cache_dir
from symres.errors import SymresError
from symres.facts import ProviderCondition
from symres.index.config import (
    IndexOptions,
    load_index_config,
    redact_url,
    strip_auth,
)
from symres.index.pythons import Installer, choose_installer, find_interpreter
from symres.lock.formats import REQUIREMENTS, format_of, read_lockfile
from symres.lock.lockfile import LockFile
from symres.target import Target, make_target
from symres.verify import runner
from symres.verify.child import Event, run_checks
from symres.verify.env import (
    Environment,
    InstallFailure,
    existing_environment,
    install,
    mark_ready,
    verify_environment,
)
from symres.verify.evidence import forget_mismatched, record_evidence
from symres.verify.gpu import GpuTier, gpu_tier
from symres.verify.probes import VerifySettings, read_settings

# Exit status of `symres verify` (besides 0 passed, 1 failed, 2 usage or environment).
EXIT_SKIPPED = 3


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
    target: Target,
    options: VerifyOptions,
    on_event: Event,
    notes: list[str],
) -> list[dict[str, Any]]:
    from symres.judge.judge import judge
    from symres.judge.project import project_uses, pyproject_ignores
    from symres.judge.session import lock_symbols
    from symres.symbols.oracle import facts_of

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
        judged = judge(
            oracle,
            pins,
            stdlib,
            ignore=frozenset(options.ignore_symbols) | pyproject_ignores((options.lock,)),
            project_uses=project,
            on_progress=lambda what: on_event(f"reading the uses of {what}"),
        )
        live = [j for j in judged if j.inactive is None and j.verdict is not None]
    grouped: dict[tuple[str, str | None, str | None, str], dict[str, Any]] = {}
    for item in live:
        assert item.verdict is not None
        provider = item.provider
        when = _when(item.use.condition)
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
                    "version": str(pins[provider]) if provider else None,
                    "module": item.use.module,
                    "name": item.use.name,
                },
            },
        )
        check["enforced"] |= (
            item.use.import_time and item.undecided is None
        ) or options.lazy == "enforce"
        if len(check["consumers"]) < 3:
            check["consumers"].append(f"{consumer} ({item.use.where})")
    out = []
    for check in grouped.values():
        check["dist"] = check["consumers"][0].split(" (")[0]
        out.append(check)
    return out


def _when(cond: ProviderCondition | None) -> dict[str, Any] | None:
    """A use's test on a provider, for the worker to make before the check (a version
    test is settled by the pins already): the check runs only where it holds."""
    if cond is None or cond.kind not in ("hasattr", "constant"):
        return None
    when: dict[str, Any] = {"module": cond.module, "negate": cond.negate, "test": cond.describe()}
    if cond.kind == "hasattr":
        when["hasattr"] = cond.value
    else:
        when.update(constant=cond.name, op=cond.op, value=cond.value)
    return when


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
        cache_dir = (
            None if options.index.no_cache else (options.index.cache_dir or default_cache_dir())
        )
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
            if not options.index.no_cache:
                notes += forget_mismatched(failures, options.index.cache_dir)
        elif options.env is None:
            notes.append(f"reused the venv kept at `{env.root}`")
        report = run_checks(env, plan, on_event)
        results = report["results"]
        gpu = None
        if options.tier == "gpu":
            timeout = options.timeout or settings.timeout or 600
            gpu = gpu_tier(env, lock, options.device, timeout, settings, on_event)
    evidence = 0 if options.index.no_cache else record_evidence(report, options.index.cache_dir)
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


def _install_text(lock: LockFile, index: IndexOptions) -> str:
    """What the installer reads. The lock names its indexes with the password hidden
    (`user:****@`): the install step gets the credentials the user's configuration has for
    that index, or none (pip and uv then try .netrc and keyrings)."""
    text = (
        lock.requirements_text()
        if format_of(lock.path) is not REQUIREMENTS
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


def emit_script(
    options: VerifyOptions, dest: Path, *, on_event: Event = lambda s: None
) -> tuple[int, int]:
    """Write the runner with the lock's plan embedded; returns (distributions, uses)."""
    from symres.fsutil import atomic_write

    lock = read_lockfile(options.lock)
    python = lock_python(lock, options)
    plan, _ = build_plan(lock, python, options, _settings(options), on_event=on_event)
    source = runner.script()
    marker = "PLAN: Any = None  # symres:plan"
    embedded = f"PLAN: Any = json.loads({json.dumps(json.dumps(plan, sort_keys=True))})"
    header = (
        f"#!/usr/bin/env python3\n# Written by `symres verify --emit-script` for "
        f"`{options.lock.name}`: run it with the environment's Python.\n"
    )
    atomic_write(dest, header + source.replace(marker, embedded))
    dest.chmod(0o755)
    return len(plan["distributions"]), len(plan["uses"])
