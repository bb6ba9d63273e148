"""The argument parser of every command."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from symres import __version__
from symres.cli.lock_args import add_lock_parser
from symres.cli.mine import add_mine_parser
from symres.cli.options import (
    add_index_options,
    add_sources,
    add_symbol_options,
    add_target_options,
    add_verify_options,
    repeated,
)


class _Parser(argparse.ArgumentParser):
    """A usage error is one line and a pointer to --help, not the whole usage text."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\nhint: see `{self.prog} --help`\n")


def lock_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The `lock` subcommand's parser, to look its options up."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser = action.choices["lock"]
            return found
    raise LookupError("no lock command")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="symres",
        description="Lock Python dependencies so that the lock imports.",
        allow_abbrev=False,  # `--index URL` must never be taken for another option
    )
    parser.add_argument("--version", action="version", version=f"symres {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add_lock_parser(sub)

    compat = sub.add_parser(
        "compat",
        allow_abbrev=False,
        help="check a release's imports against other pinned releases and the stdlib",
    )
    compat.add_argument(
        "consumer", metavar="CONSUMER==V", help="the release whose imports are checked"
    )
    compat.add_argument("pins", nargs="*", metavar="PIN==V", help="the other releases installed")
    compat.add_argument("--all", action="store_true", help="also list unknown and not-given uses")
    compat.add_argument("--json", action="store_true", help="every fact behind the answer")
    compat.add_argument(
        "--lazy",
        choices=["warn", "enforce"],
        default="warn",
        help="warn (default, as lock): a missing name in a function body or an unreachable "
        "module is reported, exit 0; enforce: it fails too",
    )
    add_target_options(compat)
    add_index_options(compat)

    chk = sub.add_parser(
        "check",
        allow_abbrev=False,
        help="is the lock what its inputs ask for, and free of known symbol breaks? (offline)",
    )
    add_sources(chk)
    chk.add_argument(
        "--lock",
        type=Path,
        metavar="FILE",
        help="the lock (default: requirements.txt, else pylock.toml, beside the first SRC)",
    )
    repeated(
        chk,
        "--extra",
        metavar="NAME",
        help="an optional-dependencies extra of pyproject.toml (repeat)",
    )
    chk.add_argument(
        "--online",
        action="store_true",
        help="mine what the symbol database lacks from the index (default: offline)",
    )
    add_symbol_options(chk, lazy="also refuse breaks in function bodies and unreachable modules")
    chk.add_argument("--json", action="store_true", help="print the findings as JSON")
    chk.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    add_target_options(chk)
    add_index_options(chk)

    verify = sub.add_parser(
        "verify", allow_abbrev=False, help="prove a lock: install it in a venv and import it"
    )
    verify.add_argument("lock", type=Path, metavar="LOCK", help="requirements.txt or pylock.toml")
    add_verify_options(verify)
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
    add_index_options(verify)

    why = sub.add_parser(
        "why", allow_abbrev=False, help="why the lock holds this version, and not a newer one"
    )
    why.add_argument("package", metavar="NAME")
    why.add_argument(
        "--lock",
        type=Path,
        default=Path("requirements.txt"),
        metavar="FILE",
        help="the lock to read (default: requirements.txt)",
    )
    why.add_argument("--json", action="store_true", help="the same facts as JSON")
    add_target_options(why)
    add_index_options(why)

    db = sub.add_parser(
        "db", allow_abbrev=False, help="the symbol database: stats, export, import, mine"
    )
    dsub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    stats = dsub.add_parser(
        "stats", allow_abbrev=False, help="what the user database and the shipped snapshot hold"
    )
    stats.add_argument("--json", action="store_true", help="the same counts as JSON")
    exp = dsub.add_parser(
        "export", allow_abbrev=False, help="write a compact copy of the user database"
    )
    exp.add_argument("file", type=Path)
    exp.add_argument(
        "--inputs",
        metavar="TEXT",
        help="what the facts were mined from, recorded in the copy (`db stats` shows it)",
    )
    imp = dsub.add_parser(
        "import",
        allow_abbrev=False,
        help="merge another symres database (a team's snapshot) into the user one, checked first",
    )
    imp.add_argument("file", type=Path)
    add_index_options(add_mine_parser(dsub))

    symbols = sub.add_parser("symbols", allow_abbrev=False, help="what a release provides or needs")
    ssub = symbols.add_subparsers(dest="symbols_command", required=True, metavar="WHAT")
    uses = ssub.add_parser(
        "uses", allow_abbrev=False, help="what a release imports from other distributions"
    )
    uses.add_argument("release", metavar="NAME==V")
    uses.add_argument("--json", action="store_true")
    uses.add_argument("-v", "--verbose", action="store_true", help="list every use")
    add_target_options(uses)
    add_index_options(uses)
    exports = ssub.add_parser(
        "exports", allow_abbrev=False, help="the symbol table of one module of a release"
    )
    exports.add_argument("release", metavar="NAME==V")
    exports.add_argument("module", metavar="MODULE")
    exports.add_argument("--json", action="store_true")
    add_target_options(exports)
    add_index_options(exports)
    return parser
