"""`symres lock`: options into :class:`LockOptions`, the lock, what is printed."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from symres.cli.lock_args import no_effect_reason, refusal_hint
from symres.cli.options import index_options, sources_of
from symres.cli.verify import run_verify, verify_options
from symres.errors import CheckFailed, InputError
from symres.fsutil import atomic_write
from symres.index.config import redact_url
from symres.lock.formats import FORMATS, REQUIREMENTS, format_of
from symres.lock.lockfile import lock_difference

if TYPE_CHECKING:
    from symres.lock.options import LockOptions, LockResult


def lock_options(args: argparse.Namespace) -> LockOptions:
    """The command line as :class:`LockOptions`; a refused pip-compile / uv flag stops here."""
    from symres.lock.locker import LockOptions
    from symres.target import platform_from_uv

    if args.refused:
        option = args.refused[0]
        raise InputError(f"`{option}` is not supported by symres lock", hint=refusal_hint(option))
    platform = args.platform
    if args.python_platform is not None:
        if platform is not None:
            raise InputError(
                "`--platform` and `--python-platform` both name the target platform",
                hint="give one of them",
            )
        platform = platform_from_uv(args.python_platform)
    to_stdout = args.output_file is not None and str(args.output_file) == "-"
    if to_stdout and args.check:
        raise InputError("`--check` needs a lock file, not `-o -`", hint="name the lock with -o")
    output = None if to_stdout else args.output_file
    chosen = FORMATS[args.format]
    if output is not None and args.format == REQUIREMENTS.name:
        chosen = format_of(output)  # `-o pylock.toml` asks for pylock, as uv reads it
    if output is not None:
        chosen.check_name(output)
    formats = list(args.formats)
    if args.no_build:
        formats.append(("--only-binary", ":all:"))
    return LockOptions(
        sources=tuple(args.sources),
        output=None if to_stdout else args.output_file,
        to_stdout=to_stdout,
        format=chosen.name,
        python_version=args.python_version,
        platform=platform,
        extras=tuple(args.extra),
        all_extras=args.all_extras,
        constraint_files=tuple(args.constraints),
        index=replace(index_options(args), offline=args.offline, cache_dir=args.cache_dir),
        emit_find_links=args.emit_find_links,
        upgrade=args.upgrade,
        upgrade_packages=tuple(args.upgrade_package),
        emit_index_url=args.emit_index_url,
        header=args.header,
        annotate=args.annotate,
        annotation_style=args.annotation_style,
        custom_command=args.custom_compile_command,
        no_emit=tuple(args.no_emit_package),
        symbols=args.symbols,
        lazy=args.lazy,
        ignore_symbols=tuple(args.ignore_symbol),
        src=tuple(args.src),
        pre=args.pre or args.prerelease == "allow",
        formats=tuple(formats),
        max_rounds=args.max_rounds,
        resolution=args.resolution,
        exclude_newer=args.exclude_newer,
        groups=tuple(args.group),
        override_files=tuple(args.overrides),
    )


def run_lock(args: argparse.Namespace, console: Console) -> int:
    """`symres lock`: resolve, say what shaped the lock, prove it if asked, then write it
    (or compare it, or print it)."""
    from symres.lock.locker import Progress, lock
    from symres.progress import LockProgress

    args.sources = list(sources_of(args, required=True))
    options = lock_options(args)
    if args.verbose:
        for option in args.no_effect:
            console.print(f"note: `{option}` has no effect: {no_effect_reason(option)}")
    started = time.perf_counter()
    show = console.is_terminal and not args.quiet
    with LockProgress(console, show=show, quiet=args.quiet, verbose=args.verbose) as progress:
        result = lock(options, progress=Progress(on_pin=progress.on_pin(), on_event=progress.event))
    elapsed = time.perf_counter() - started
    _refuse_skipped(args, result)
    if not args.quiet:
        _tell(args, result, console)
    if args.export_overrides is not None:
        from symres.lock.overrides import render_overrides

        atomic_write(args.export_overrides, render_overrides(result, args.export_overrides))
    if args.verbose:
        _tell_stats(result, console)
    if args.verify:
        _verify_lock(args, result, console)
    written = _deliver(args, options, result, elapsed, console)
    if args.json:
        print(json.dumps(_lock_json(result, written=written), indent=2))
    return 0


def _refuse_skipped(args: argparse.Namespace, result: LockResult) -> None:
    skipped = result.resolution.skipped_newer
    if skipped and args.strict:
        raise CheckFailed(
            f"{len(skipped)} newer release(s) could not be read: {skipped[0]}",
            hint="fix or yank the broken file, or drop `--strict` to lock what can be read",
        )


def _tell(args: argparse.Namespace, result: LockResult, console: Console) -> None:
    """What a person reads: newer releases skipped, the narrowings, breaks left standing."""
    for line in result.resolution.skipped_newer:
        console.print(f"warning: {line}", markup=False)
    for note in _narrowing_lines(result):
        console.print(note, markup=False)
    shown = result.breaks if (args.symbols == "warn" or args.verbose) else []
    for brk in shown:
        console.print(f"warning: {brk.describe()}: {brk.verdict.reason}", markup=False)
    if len(result.breaks) > len(shown):
        console.print(
            f"{len(result.breaks)} uses that may not run at import (lazy, unreachable, under a "
            "test symres cannot tell) lack their name in the lock (not enforced; `-v` lists "
            "them, `--lazy enforce` narrows on them)",
            markup=False,
        )


def _tell_stats(result: LockResult, console: Console) -> None:
    for line in result.resolution.dropped:
        console.print(f"warning: {line}")
    s = result.stats
    console.print(
        f"{s['requests']} requests, {s['bytes'] / 1e6:.2f} MB, "
        f"{s['pages_from_cache']} pages from cache, {s['pages_fetched']} fetched; "
        f"resolver: {s['resolver_rounds']} rounds, {s['backtracks']} backtracks, "
        f"{s['rejected_candidates']} candidates rejected; "
        f"symbols: {s['releases_mined']} releases mined, {s['verdicts_computed']} verdicts "
        "computed (the rest from the database)"
    )


def _deliver(
    args: argparse.Namespace,
    options: LockOptions,
    result: LockResult,
    elapsed: float,
    console: Console,
) -> bool:
    """`--check`: compare with the file; `--dry-run` or `-o -`: print; else write it.
    Whether the lock was written."""
    output = result.output
    n = len(result.resolution.packages)
    if args.check:
        current = output.read_text(encoding="utf-8") if output.is_file() else None
        diff = lock_difference(current, result.text, str(output))
        if diff:
            for line in diff:
                console.print(line, markup=False)
            raise CheckFailed(
                f"`{output}` is not what `symres lock` would write",
                hint=f"run `{options.command()}`",
            )
        if not args.quiet:
            console.print(f"`{output}` is up to date ({n} packages)")
        return False
    if args.dry_run or options.to_stdout:
        if not args.json:
            sys.stdout.write(result.text)
            sys.stdout.flush()
        return False
    atomic_write(output, result.text)
    if not args.quiet:
        console.print(
            f"Locked {n} packages for {result.target.describe()} in {elapsed:.2f}s → `{output}`"
        )
    return True


def _verify_lock(args: argparse.Namespace, result: LockResult, console: Console) -> None:
    """`lock --verify`: prove the new lock in a venv before it is written."""
    import tempfile

    from symres.verify import report as render

    with tempfile.TemporaryDirectory(prefix="symres-lock-") as tmp:
        candidate = Path(tmp) / result.output.name
        candidate.write_text(result.text, encoding="utf-8")
        options = verify_options(
            args, candidate, python=result.target.python_version, settings=_settings_for(args)
        )
        verified = run_verify(options, console, quiet=args.quiet)
        if verified.exit_code == 1:
            render.print_report(verified, console)
            raise CheckFailed(
                f"the new lock failed verification; `{result.output}` was not written",
                hint="see the failed checks above; `symres verify` reruns them on a lock file",
            )
        if not args.quiet:
            for line in render.summary(verified):
                console.print(line.replace(str(candidate), "the new lock"), markup=False)


def _settings_for(args: argparse.Namespace) -> Path | None:
    first = Path(args.sources[0])
    if first.name == "pyproject.toml":
        return first
    beside = first.parent / "pyproject.toml"
    return beside if beside.is_file() else None


def _narrowing_lines(result: LockResult) -> list[str]:
    pins = {p.name: p.version for p in result.resolution.packages}
    out = []
    for narrowing in result.narrowings:
        if (
            narrowing.applies_to is None
            or pins.get(narrowing.applies_to[0]) == narrowing.applies_to[1]
        ):
            out.append(f"narrowed {narrowing.target}{narrowing.specifier}: {narrowing.why}")
    return out


def _lock_json(result: LockResult, *, written: bool) -> dict[str, Any]:
    return {
        "narrowings": [
            {
                "package": n.target,
                "specifier": str(n.specifier),
                "why": n.why,
                "consumer": n.brk.consumer_label,
                "file": n.brk.use.file,
                "line": n.brk.use.line,
                "module": n.brk.use.module,
                "name": n.brk.use.name,
            }
            for n in result.narrowings
        ],
        "breaks": [
            {
                "consumer": b.consumer_label,
                "use": b.use.statement(),
                "where": b.use.where,
                "provider": f"{b.provider} {b.provider_version}" if b.provider else "stdlib",
                "reason": b.verdict.reason,
            }
            for b in result.breaks
        ],
        "unknown_verdicts": result.unknown,
        "target": {
            "python_version": result.target.python_version,
            "platform": result.target.platform,
            "description": result.target.describe(),
        },
        "output": str(result.output),
        "written": written,
        "packages": [
            {
                "name": p.name,
                "version": str(p.version),
                "via": list(p.via),
                "symres": list(p.notes),
                "files": [
                    {"filename": f.filename, "url": redact_url(f.url), "sha256": f.sha256}
                    for f in p.release.files
                ],
            }
            for p in result.resolution.packages
        ],
        "dropped": list(result.resolution.dropped),
        "stats": result.stats,
    }
