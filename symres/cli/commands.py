"""`symres check`, `symres why` and `symres db`."""

from __future__ import annotations

import argparse
import json
import sqlite3
import time
from typing import Any

from rich.console import Console

from symres.cli.options import index_options, plural, sources_of
from symres.errors import SymresError


def run_check(args: argparse.Namespace, console: Console) -> int:
    from symres.lock.check import CheckOptions, check

    sources = sources_of(args, required=False)
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
            index=index_options(args),
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
            f"{report.lock}: {plural(len(report.problems), 'problem')}; fix the inputs or run "
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
            f"{plural(len(report.not_known), 'release')} with facts missing from the symbol "
            f"database ({shown}): not all of their imports and names were checked; "
            "`--online` mines them",
            markup=False,
        )
    return report.exit_code


def run_why(args: argparse.Namespace, console: Console) -> int:
    from packaging.utils import canonicalize_name

    from symres.index.session import open_finder
    from symres.lock.formats import read_lockfile
    from symres.lock.why import explain, explain_facts
    from symres.target import make_target

    lock = read_lockfile(args.lock)
    entries = lock.entries
    name = canonicalize_name(args.package)
    if name not in entries:
        raise SymresError(
            f"`{args.package}` is not in `{args.lock}`",
            hint="name a package the lock pins, or pass `--lock FILE`",
        )
    # the lock's own target unless told otherwise: its header says which it was made for
    target = make_target(args.python_version or lock.python, args.platform or lock.platform)
    with open_finder(target, index_options(args)) as finder:
        if args.json:
            print(json.dumps(explain_facts(entries[name], entries, finder), indent=2))
            return 0
        for line in explain(entries[name], entries, finder):
            print(line)
    return 0


def _coverage_lines(where: str, facts: dict[str, Any]) -> list[str]:
    """What a database covers, for a person: one line, then one per target."""
    meta = facts["meta"]
    made = f" (built {meta['built_at']}" if "built_at" in meta else ""
    if made and "inputs" in meta:
        made += f" from {meta['inputs']}"
    lines = [
        f"  {where}{made + ')' if made else ''}: {facts['projects']} projects, "
        f"{facts['releases']} releases"
        + (f", {facts['stale']} facts of older analyses (unused)" if facts["stale"] else "")
    ]
    for target, n in facts["targets"].items():
        lines.append(f"    {target}: uses of {n['uses']} releases, export tables of {n['tables']}")
    return lines


def run_db(args: argparse.Namespace, console: Console) -> int:
    from symres.cache import symbols_db_path
    from symres.db.store import SymbolDB

    if args.db_command == "mine":
        from symres.cli.mine import run_mine
        from symres.cli.options import index_options

        return run_mine(args, index_options(args), console)
    from symres.symbols.oracle import ANALYSIS, EXPORTS_ANALYSIS

    analyses = {"analysis": str(ANALYSIS), "exports_analysis": str(EXPORTS_ANALYSIS)}
    path = symbols_db_path()
    db = SymbolDB(path)
    try:
        if args.db_command == "stats":
            stats = db.stats(f"a{ANALYSIS}", f"e{EXPORTS_ANALYSIS}")
            if args.json:
                print(json.dumps({"user_database": str(path), **stats}, indent=2))
            else:
                print(f"user database: {path}")
                for where, facts in stats.items():
                    for line in _coverage_lines(where, facts):
                        print(line)
        elif args.db_command == "export":
            meta = {**analyses, "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            if args.inputs:
                meta["inputs"] = args.inputs
            try:
                db.export(args.file, meta)
            except (OSError, sqlite3.DatabaseError) as exc:
                raise SymresError(
                    f"cannot write `{args.file}`: {exc}",
                    hint="give a path in a folder you can write to",
                ) from None
            console.print(f"exported `{path}` → `{args.file}`", markup=False)
        else:
            if not args.file.is_file():
                raise SymresError(
                    f"no such file `{args.file}`", hint="give a file from `symres db export`"
                )
            try:
                added, trimmed = db.import_(args.file, analyses)
            except (ValueError, sqlite3.DatabaseError) as exc:
                raise SymresError(
                    f"`{args.file}` cannot be imported: {exc}",
                    hint="give a file written by `symres db export`",
                ) from None
            console.print(
                "imported: " + ", ".join(f"{k} {v}" for k, v in added.items()), markup=False
            )
            if trimmed:
                console.print(
                    "its uses were left out: a trimmed snapshot holds the import-time ones "
                    "only (use it whole with SYMRES_SNAPSHOT=FILE)",
                    markup=False,
                )
    finally:
        db.close()
    return 0
