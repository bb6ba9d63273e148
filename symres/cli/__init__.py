"""The command line. Thin: parse options into one typed object, call the library, render.

Data goes to stdout, messages to stderr. Exit codes: 0 ok, 1 no solution or a
check failed, 2 usage, input or environment error, 3 the gpu tier was skipped (no CUDA
device), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from rich.console import Console

from symres.cli.commands import run_check, run_db, run_why
from symres.cli.lock import run_lock
from symres.cli.options import index_options
from symres.cli.parser import build_parser, lock_parser
from symres.cli.pip_tools import settings_flags
from symres.cli.verify import run_verify_command
from symres.errors import SymresError


def _console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True, no_color="NO_COLOR" in os.environ)


def render_error(console: Console, err: SymresError) -> None:
    console.print(f"error: {err.message}", markup=False)
    for line in err.details:
        console.print(f"  {line}", markup=False)
    if err.hint:
        console.print("")
        console.print(f"hint: {err.hint}", markup=False)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    console = _console()
    if argv[:1] == ["lock"]:
        try:
            argv = ["lock", *settings_flags(argv[1:], lock_parser(parser)), *argv[1:]]
        except SymresError as err:
            render_error(console, err)
            return err.exit_code
    args = parser.parse_args(argv)
    try:
        if args.command == "lock":
            return run_lock(args, console)
        if args.command == "compat":
            from symres.cli.symbols import run_compat

            return run_compat(args, index_options(args), console)
        if args.command == "check":
            return run_check(args, console)
        if args.command == "verify":
            return run_verify_command(args, console)
        if args.command == "why":
            return run_why(args, console)
        if args.command == "db":
            return run_db(args, console)
        if args.command == "symbols":
            from symres.cli.symbols import run_exports, run_uses

            run = run_uses if args.symbols_command == "uses" else run_exports
            return run(args, index_options(args), console)
        parser.error(f"unknown command {args.command}")
    except SymresError as err:
        return _failed(console, args, err)
    except BrokenPipeError:  # `symres … | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return 0
    except OSError as exc:  # a file symres writes or reads: the lock, the cache, a venv
        return _failed(console, args, _os_error(exc))
    except KeyboardInterrupt:
        console.print("error: interrupted; no file was changed")
        return 130
    return 0


def _failed(console: Console, args: argparse.Namespace, err: SymresError) -> int:
    render_error(console, err)
    if getattr(args, "json", False):  # a machine reading stdout gets the same facts
        failure = {"message": err.message, "hint": err.hint, "exit_code": err.exit_code}
        print(json.dumps({"ok": False, "error": {**failure, "details": list(err.details)}}))
    return err.exit_code


def _os_error(exc: OSError) -> SymresError:
    """A file that cannot be written or read, as one line: which file, and why."""
    where = exc.filename or "a file"
    why = exc.strerror or type(exc).__name__
    if exc.filename2:
        where = f"{where}` → `{exc.filename2}"
    return SymresError(
        f"cannot use `{where}`: {why}",
        hint="check that its folder exists and is writable "
        "(the lock: `-o`; the cache: `--cache-dir` or SYMRES_CACHE_DIR)",
    )
