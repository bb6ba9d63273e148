"""The command line. Thin: parse options into one typed object, call the library, render.

Data goes to stdout, messages to stderr. Exit codes: 0 ok, 1 no solution or a
check failed, 2 usage, input or environment error, 3 the gpu tier was skipped (no CUDA
device), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from symres import __version__
from symres.errors import CheckFailed, SymresError
from symres.fsutil import atomic_write


def _console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True, no_color="NO_COLOR" in os.environ)


def _add_target_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--python-version", metavar="X.Y", help="target Python (default: this one)")
    p.add_argument(
        "--platform",
        metavar="TAG",
        help="target wheel platform tag, e.g. manylinux_2_28_x86_64 (default: this machine)",
    )


def _add_index_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-i", "--index-url", help="base URL of the index (default: pip's)")
    p.add_argument("--extra-index-url", action="append", default=[], help="more indexes (repeat)")
    p.add_argument("--cert", help="CA bundle for the index (default: pip's `cert`)")
    p.add_argument("--no-cache", action="store_true", help="read and write no cache")
    p.add_argument("--refresh", action="store_true", help="revalidate cached index pages")


def _add_sources(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "sources",
        nargs="*",
        type=Path,
        metavar="SRC",
        help="requirements.in files or a pyproject.toml (default: requirements.in, else "
        "pyproject.toml, in this folder)",
    )


def _add_symbol_options(p: argparse.ArgumentParser, *, lazy: str) -> None:
    p.add_argument("--lazy", choices=["warn", "enforce"], default="warn", help=lazy)
    p.add_argument(
        "--ignore-symbol",
        action="append",
        default=[],
        metavar="MODULE:NAME",
        help="overrule one symbol check (repeat; also [tool.symres] ignore-symbols)",
    )
    p.add_argument(
        "--src",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help="the project's own code is a consumer too (repeat)",
    )


def _add_verify_options(p: argparse.ArgumentParser, *, for_lock: bool = False) -> None:
    g = p.add_argument_group("verify" if not for_lock else "verify (with --verify)")
    g.add_argument(
        "--tier",
        choices=["import", "gpu"],
        default="import",
        help="import: install and import everything (default); gpu: then load it on a CUDA "
        "device (exit 3 when none is visible)",
    )
    g.add_argument(
        "--device",
        choices=["auto", "cpu"],
        default="auto",
        help="cpu: run the gpu tier's probes unquantized on the CPU, as a smoke test",
    )
    if not for_lock:
        g.add_argument(
            "--python",
            metavar="X.Y|PATH",
            help="the interpreter for the venv (default: the lock's Python, found here)",
        )
    g.add_argument(
        "--installer", choices=["auto", "uv", "pip"], default="auto", help="default: uv if present"
    )
    g.add_argument("--timeout", type=float, metavar="S", help="seconds per check (default 120)")
    g.add_argument(
        "--keep-venv",
        action="store_true",
        help="keep the venv in the cache, keyed by the lock; later runs on the lock reuse it",
    )
    g.add_argument("--fresh", action="store_true", help="rebuild a kept venv")
    if not for_lock:
        _add_symbol_options(
            p,
            lazy="uses in function bodies and unreachable modules: failures warn (default) or fail",
        )


class _FormatOption(argparse.Action):
    """``--only-binary`` / ``--no-binary``: kept in order, as pip applies them."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        formats = [*getattr(namespace, self.dest, []), (option_string, values)]
        setattr(namespace, self.dest, formats)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symres", description="Lock Python dependencies so that the lock imports."
    )
    parser.add_argument("--version", action="version", version=f"symres {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    lock = sub.add_parser("lock", help="resolve requirements into a lock file")
    _add_sources(lock)
    lock.add_argument(
        "-o",
        "--output-file",
        type=Path,
        help="default: requirements.txt (or pylock.toml) beside the first SRC",
    )
    lock.add_argument("--format", choices=["requirements", "pylock"], default="requirements")
    lock.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="NAME",
        help="an optional-dependencies extra of pyproject.toml (repeat)",
    )
    lock.add_argument(
        "--pre", action="store_true", help="allow pre-releases of every project (as pip's --pre)"
    )
    for option, what in (
        ("--only-binary", "install these projects from wheels only, never build them"),
        ("--no-binary", "install these projects from sdists only, never from wheels"),
    ):
        lock.add_argument(
            option,
            action=_FormatOption,
            dest="formats",
            default=[],
            metavar="NAMES",
            help=f"{what}: comma-separated names, `:all:` or `:none:` (repeat; as pip)",
        )
    lock.add_argument("-U", "--upgrade", action="store_true", help="ignore the pins of the output")
    lock.add_argument(
        "-P",
        "--upgrade-package",
        action="append",
        default=[],
        metavar="NAME",
        help="ignore this package's pin (repeat); NAME<2 also constrains it",
    )
    lock.add_argument("--dry-run", action="store_true", help="print the lock, write nothing")
    lock.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the output file is not what lock would write",
    )
    lock.add_argument(
        "--no-emit-index-url",
        action="store_true",
        help="leave --index-url lines out of requirements.txt",
    )
    lock.add_argument("--json", action="store_true", help="print the resolution as JSON")
    lock.add_argument(
        "--symbols",
        choices=["enforce", "warn", "off"],
        default="enforce",
        help="enforce: refuse releases whose imports would fail (default); "
        "warn: resolve on metadata only and report breaks; off: no symbol checks",
    )
    lock.add_argument(
        "--export-overrides",
        type=Path,
        metavar="FILE",
        help="write the learned narrowings as a pip constraints file "
        "(or, for a .toml FILE, as uv constraint-dependencies)",
    )
    _add_symbol_options(
        lock,
        lazy="uses in function bodies and in modules `import` does not reach: "
        "report them (default) or narrow on them too",
    )
    lock.add_argument(
        "--verify",
        action="store_true",
        help="prove the lock in a fresh venv before writing it (see `symres verify`)",
    )
    _add_verify_options(lock, for_lock=True)
    lock.add_argument("-q", "--quiet", action="store_true")
    lock.add_argument("-v", "--verbose", action="store_true")
    _add_target_options(lock)
    _add_index_options(lock)

    compat = sub.add_parser(
        "compat", help="check a release's imports against other pinned releases and the stdlib"
    )
    compat.add_argument(
        "consumer", metavar="CONSUMER==V", help="the release whose imports are checked"
    )
    compat.add_argument("pins", nargs="*", metavar="PIN==V", help="the other releases installed")
    compat.add_argument("--all", action="store_true", help="also list unknown and not-given uses")
    compat.add_argument("--json", action="store_true", help="every fact behind the answer")
    _add_target_options(compat)
    _add_index_options(compat)

    chk = sub.add_parser(
        "check",
        help="is the lock what its inputs ask for, and free of known symbol breaks? (offline)",
    )
    _add_sources(chk)
    chk.add_argument(
        "--lock",
        type=Path,
        metavar="FILE",
        help="the lock (default: requirements.txt, else pylock.toml, beside the first SRC)",
    )
    chk.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="NAME",
        help="an optional-dependencies extra of pyproject.toml (repeat)",
    )
    chk.add_argument(
        "--online",
        action="store_true",
        help="mine what the symbol database lacks from the index (default: offline)",
    )
    _add_symbol_options(chk, lazy="also refuse breaks in function bodies and unreachable modules")
    chk.add_argument("--json", action="store_true", help="print the findings as JSON")
    chk.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    _add_target_options(chk)
    _add_index_options(chk)

    verify = sub.add_parser("verify", help="prove a lock: install it in a venv and import it")
    verify.add_argument("lock", type=Path, metavar="LOCK", help="requirements.txt or pylock.toml")
    _add_verify_options(verify)
    verify.add_argument(
        "--env",
        type=Path,
        metavar="PATH",
        help="check this existing environment (a venv folder or its python); install nothing",
    )
    verify.add_argument(
        "--emit-script",
        type=Path,
        metavar="FILE",
        help="write a stdlib-only script doing the import tier's checks, and stop",
    )
    verify.add_argument("--all", action="store_true", help="list passed checks too")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.add_argument("--report", type=Path, metavar="FILE.md", help="write a Markdown report")
    verify.add_argument("-q", "--quiet", action="store_true")
    _add_index_options(verify)

    why = sub.add_parser("why", help="why the lock holds this version, and not a newer one")
    why.add_argument("package", metavar="NAME")
    why.add_argument(
        "--lock",
        type=Path,
        default=Path("requirements.txt"),
        metavar="FILE",
        help="the lock to read (default: requirements.txt)",
    )
    _add_target_options(why)
    _add_index_options(why)

    db = sub.add_parser("db", help="the symbol database: stats, export, import")
    dsub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    dsub.add_parser("stats", help="what the user database and the shipped snapshot hold")
    exp = dsub.add_parser("export", help="write a compact copy of the user database")
    exp.add_argument("file", type=Path)
    imp = dsub.add_parser("import", help="merge another symres database into the user one")
    imp.add_argument("file", type=Path)

    symbols = sub.add_parser("symbols", help="what a release provides or needs")
    ssub = symbols.add_subparsers(dest="symbols_command", required=True, metavar="WHAT")
    uses = ssub.add_parser("uses", help="what a release imports from other distributions")
    uses.add_argument("release", metavar="NAME==V")
    uses.add_argument("--json", action="store_true")
    _add_target_options(uses)
    _add_index_options(uses)
    exports = ssub.add_parser("exports", help="the symbol table of one module of a release")
    exports.add_argument("release", metavar="NAME==V")
    exports.add_argument("module", metavar="MODULE")
    exports.add_argument("--json", action="store_true")
    _add_target_options(exports)
    _add_index_options(exports)
    return parser


def _index_options(args: argparse.Namespace) -> Any:
    from symres.index.config import IndexOptions  # noqa: PLC0415

    return IndexOptions(
        index_url=args.index_url,
        extra_index_urls=tuple(args.extra_index_url),
        cert=args.cert,
        no_cache=args.no_cache,
        refresh=args.refresh,
    )


def _sources(args: argparse.Namespace, *, required: bool) -> tuple[Path, ...]:
    from symres.lock.check import default_sources  # noqa: PLC0415

    if args.sources:
        return tuple(args.sources)
    found = default_sources()
    if not found and required:
        raise SymresError(
            "nothing to lock: no requirements.in or pyproject.toml here",
            hint="name the input, e.g. `symres lock requirements.in`",
        )
    return found


def _check(args: argparse.Namespace, console: Console) -> int:
    from symres.lock.check import CheckOptions, check  # noqa: PLC0415

    sources = _sources(args, required=False)
    report = check(
        CheckOptions(
            sources=sources,
            lock=args.lock,
            src=tuple(args.src),
            extras=tuple(args.extra),
            online=args.online,
            lazy=args.lazy,
            ignore_symbols=tuple(args.ignore_symbol),
            python_version=args.python_version,
            platform=args.platform,
            index=_index_options(args),
        )
    )
    if args.json:
        print(
            json.dumps(
                {
                    "lock": str(report.lock),
                    "sources": [str(s) for s in report.sources],
                    "target": report.target.describe(),
                    "pins": report.pins,
                    "ok": not report.problems,
                    "problems": [
                        {"kind": p.kind, "package": p.package, "message": p.message}
                        for p in report.problems
                    ],
                    "not_in_database": report.not_known,
                    "unknown_verdicts": report.unknown_verdicts,
                },
                indent=2,
            )
        )
        return report.exit_code
    for problem in report.problems:
        console.print(f"{report.lock}: {problem.message}", markup=False)
    inputs = ", ".join(str(s) for s in report.sources) or "no inputs"
    if report.problems:
        console.print(
            f"{report.lock}: {_plural(len(report.problems), 'problem')}; fix the inputs or run "
            f"`symres lock {' '.join(str(s) for s in report.sources)}`".rstrip(),
            markup=False,
        )
    elif not args.quiet:
        console.print(
            f"{report.lock}: {report.pins} pins match {inputs}; no known symbol breaks "
            f"({report.target.describe()})",
            markup=False,
        )
    if report.not_known and not args.quiet:
        shown = ", ".join(report.not_known[:5]) + (" …" if len(report.not_known) > 5 else "")
        console.print(
            f"{_plural(len(report.not_known), 'release')} with facts missing from the symbol "
            f"database ({shown}): not all of their imports and names were checked; "
            "`--online` mines them",
            markup=False,
        )
    return report.exit_code


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _lock(args: argparse.Namespace, console: Console) -> int:
    from symres.lock.locker import LockOptions, Progress, lock  # noqa: PLC0415
    from symres.progress import LockProgress  # noqa: PLC0415

    args.sources = list(_sources(args, required=True))

    options = LockOptions(
        sources=tuple(args.sources),
        output=args.output_file,
        format=args.format,
        python_version=args.python_version,
        platform=args.platform,
        extras=tuple(args.extra),
        index_url=args.index_url,
        extra_index_urls=tuple(args.extra_index_url),
        cert=args.cert,
        upgrade=args.upgrade,
        upgrade_packages=tuple(args.upgrade_package),
        no_cache=args.no_cache,
        refresh=args.refresh,
        emit_index_url=not args.no_emit_index_url,
        symbols=args.symbols,
        lazy=args.lazy,
        ignore_symbols=tuple(args.ignore_symbol),
        src=tuple(args.src),
        pre=args.pre,
        formats=tuple(args.formats),
    )
    started = time.perf_counter()
    show = console.is_terminal and not args.quiet
    with LockProgress(console, show=show, quiet=args.quiet, verbose=args.verbose) as progress:
        result = lock(options, progress=Progress(on_pin=progress.on_pin(), on_event=progress.event))
    elapsed = time.perf_counter() - started
    output = result.output
    n = len(result.resolution.packages)
    if not args.quiet:
        for note in _narrowing_lines(result):
            console.print(note, markup=False)
        shown = result.breaks if (args.symbols == "warn" or args.verbose) else []
        for brk in shown:
            console.print(f"warning: {brk.describe()}: {brk.verdict.reason}", markup=False)
        if len(result.breaks) > len(shown):
            console.print(
                f"{len(result.breaks)} lazy or unreachable uses lack their name in the lock "
                "(not enforced; `-v` lists them, `--lazy enforce` narrows on them)",
                markup=False,
            )
    if args.export_overrides is not None:
        from symres.lock.overrides import render_overrides  # noqa: PLC0415

        atomic_write(args.export_overrides, render_overrides(result, args.export_overrides))
    if args.verbose:
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
    if args.verify:
        _verify_lock(args, result, console)
    if args.check:
        current = output.read_text(encoding="utf-8") if output.is_file() else None
        if current != result.text:
            raise CheckFailed(
                f"`{output}` is not what `symres lock` would write",
                hint=f"run `{options.command()}`",
            )
        if not args.quiet:
            console.print(f"`{output}` is up to date ({n} packages)")
    elif args.dry_run:
        if not args.json:
            sys.stdout.write(result.text)
    else:
        atomic_write(output, result.text)
        if not args.quiet:
            console.print(
                f"Locked {n} packages for {result.target.describe()} in {elapsed:.2f}s → `{output}`"
            )
    if args.json:
        print(json.dumps(_lock_json(result, written=not (args.check or args.dry_run)), indent=2))
    return 0


def _verify_options(args: argparse.Namespace, lock: Path, **overrides: Any) -> Any:
    from symres.verify.tier import VerifyOptions  # noqa: PLC0415

    values = {
        "lock": lock,
        "tier": args.tier,
        "python": getattr(args, "python", None),
        "installer": args.installer,
        "keep_venv": args.keep_venv,
        "fresh": args.fresh,
        "timeout": args.timeout,
        "device": args.device,
        "lazy": getattr(args, "lazy", "warn"),
        "ignore_symbols": tuple(getattr(args, "ignore_symbol", ())),
        "src": tuple(getattr(args, "src", ())),
        "index": _index_options(args),
        **overrides,
    }
    return VerifyOptions(**values)


def _run_verify(options: Any, console: Console, *, quiet: bool) -> Any:
    from symres.verify.tier import verify  # noqa: PLC0415

    show = console.is_terminal and not quiet
    with console.status("Verifying…", spinner="dots") if show else _null() as status:

        def on_event(what: str) -> None:
            if status is not None:
                status.update(f"Verifying… {what}")

        return verify(options, on_event=on_event)


def _verify(args: argparse.Namespace, console: Console) -> int:
    from symres.verify import report as render  # noqa: PLC0415
    from symres.verify.tier import emit_script  # noqa: PLC0415

    options = _verify_options(args, args.lock, env=args.env)
    if args.emit_script is not None:
        dists, uses = emit_script(options, args.emit_script)
        if not args.quiet:
            console.print(
                f"wrote `{args.emit_script}`: {dists} distributions, {uses} uses to check; "
                f"run it with the environment's Python (`python {args.emit_script.name}`)",
                markup=False,
            )
        return 0
    result = _run_verify(options, console, quiet=args.quiet)
    if args.report is not None:
        atomic_write(args.report, render.to_markdown(result))
    if args.json:
        print(json.dumps(render.to_json(result), indent=2))
    elif not args.quiet or result.exit_code:
        render.print_report(result, Console(highlight=False, soft_wrap=True), everything=args.all)
    return int(result.exit_code)


def _verify_lock(args: argparse.Namespace, result: Any, console: Console) -> None:
    """`lock --verify`: prove the new lock in a venv before it is written."""
    import tempfile  # noqa: PLC0415

    from symres.verify import report as render  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="symres-lock-") as tmp:
        candidate = Path(tmp) / result.output.name
        candidate.write_text(result.text, encoding="utf-8")
        options = _verify_options(
            args, candidate, python=result.target.python_version, settings=_settings_for(args)
        )
        verified = _run_verify(options, console, quiet=args.quiet)
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


def _why(args: argparse.Namespace, console: Console) -> int:
    from packaging.utils import canonicalize_name  # noqa: PLC0415

    from symres.lock.lockfile import read_lockfile  # noqa: PLC0415
    from symres.lock.why import explain  # noqa: PLC0415
    from symres.session import open_finder  # noqa: PLC0415
    from symres.target import make_target  # noqa: PLC0415

    entries = read_lockfile(args.lock).entries
    name = canonicalize_name(args.package)
    if name not in entries:
        raise SymresError(
            f"`{args.package}` is not in `{args.lock}`",
            hint="name a package the lock pins, or pass `--lock FILE`",
        )
    with open_finder(
        make_target(args.python_version, args.platform), _index_options(args)
    ) as finder:
        for line in explain(entries[name], entries, finder):
            print(line)
    return 0


def _db(args: argparse.Namespace, console: Console) -> int:
    from symres.cache import default_cache_dir  # noqa: PLC0415
    from symres.db.store import SymbolDB  # noqa: PLC0415

    path = default_cache_dir() / "symbols.sqlite"
    db = SymbolDB(path)
    try:
        if args.db_command == "stats":
            print(f"user database: {path}")
            for where, counts in db.stats().items():
                print(f"  {where}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        elif args.db_command == "export":
            db.export(args.file)
            console.print(f"exported `{path}` → `{args.file}`", markup=False)
        else:
            if not args.file.is_file():
                raise SymresError(
                    f"no such file `{args.file}`", hint="give a file from `symres db export`"
                )
            try:
                added = db.import_(args.file)
            except (ValueError, sqlite3.DatabaseError) as exc:
                raise SymresError(
                    f"`{args.file}` cannot be imported: {exc}",
                    hint="give a file written by `symres db export`",
                ) from None
            console.print(
                "imported: " + ", ".join(f"{k} {v}" for k, v in added.items()), markup=False
            )
    finally:
        db.close()
    return 0


def _narrowing_lines(result: Any) -> list[str]:
    pins = {p.name: p.version for p in result.resolution.packages}
    out = []
    for narrowing in result.narrowings:
        if (
            narrowing.applies_to is None
            or pins.get(narrowing.applies_to[0]) == narrowing.applies_to[1]
        ):
            out.append(f"narrowed {narrowing.target}{narrowing.specifier}: {narrowing.why}")
    return out


def _lock_json(result: Any, *, written: bool) -> dict[str, Any]:
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
                    {"filename": f.filename, "url": f.url, "sha256": f.sha256}
                    for f in p.release.files
                ],
            }
            for p in result.resolution.packages
        ],
        "dropped": list(result.resolution.dropped),
        "stats": result.stats,
    }


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def render_error(console: Console, err: SymresError) -> None:
    console.print(f"error: {err.message}", markup=False)
    for line in err.details:
        console.print(f"  {line}", markup=False)
    if err.hint:
        console.print("")
        console.print(f"hint: {err.hint}", markup=False)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console = _console()
    try:
        if args.command == "lock":
            return _lock(args, console)
        if args.command == "compat":
            from symres.symbols.report import run_compat  # noqa: PLC0415

            return run_compat(args, _index_options(args), console)
        if args.command == "check":
            return _check(args, console)
        if args.command == "verify":
            return _verify(args, console)
        if args.command == "why":
            return _why(args, console)
        if args.command == "db":
            return _db(args, console)
        if args.command == "symbols":
            from symres.symbols.report import run_exports, run_uses  # noqa: PLC0415

            run = run_uses if args.symbols_command == "uses" else run_exports
            return run(args, _index_options(args), console)
        parser.error(f"unknown command {args.command}")
    except SymresError as err:
        render_error(console, err)
        return err.exit_code
    except BrokenPipeError:  # `symres … | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        console.print("error: interrupted; no file was changed")
        return 130
    return 0
