"""`symres verify`, and the verify step of `symres lock --verify`."""

from __future__ import annotations

import argparse
import json
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from symres.cli.options import index_options
from symres.fsutil import atomic_write

if TYPE_CHECKING:
    from symres.verify.tier import VerifyOptions, VerifyReport


def verify_options(args: argparse.Namespace, lock: Path, **overrides: Any) -> VerifyOptions:
    from symres.verify.tier import VerifyOptions

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
        "index": index_options(args),
        **overrides,
    }
    return VerifyOptions(**values)


def run_verify(options: VerifyOptions, console: Console, *, quiet: bool) -> VerifyReport:
    from symres.verify.tier import verify

    show = console.is_terminal and not quiet
    with console.status("Verifying…", spinner="dots") if show else nullcontext() as status:

        def on_event(what: str) -> None:
            if status is not None:
                status.update(f"Verifying… {what}")

        return verify(options, on_event=on_event)


def run_verify_command(args: argparse.Namespace, console: Console) -> int:
    from symres.verify import report as render
    from symres.verify.tier import emit_script

    options = verify_options(args, args.lock, env=args.env)
    if args.emit_script is not None:
        dists, uses = emit_script(options, args.emit_script)
        if not args.quiet:
            console.print(
                f"wrote `{args.emit_script}`: {dists} distributions, {uses} uses to check; "
                f"run it with the environment's Python (`python {args.emit_script.name}`)",
                markup=False,
            )
        return 0
    result = run_verify(options, console, quiet=args.quiet)
    if args.report is not None:
        atomic_write(args.report, render.to_markdown(result))
    if args.json:
        print(json.dumps(render.to_json(result), indent=2))
    elif not args.quiet or result.exit_code:
        render.print_report(result, Console(highlight=False, soft_wrap=True), everything=args.all)
    return int(result.exit_code)
