"""`symres lock`'s options: its own, and the command lines pip-compile and `uv pip compile`
users already have. Every option of theirs that symres knows is one of three kinds
(README, "Coming from pip-compile or uv"): the same meaning; accepted with no effect, for
a reason (:data:`NO_EFFECT`); or refused with a hint (:data:`REFUSED`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from symres.cli.options import (
    Collect,
    FormatOption,
    add_index_options,
    add_sources,
    add_symbol_options,
    add_target_options,
    add_verify_options,
    repeated,
)
from symres.lock.formats import FORMATS, REQUIREMENTS

# option -> (takes a value, why it changes nothing in symres)
NO_EFFECT: dict[str, tuple[bool, str]] = {
    "--generate-hashes": (False, "symres always writes a hash for every file of each pin"),
    "--reuse-hashes": (False, "hashes come from the index (or the file, once) for every lock"),
    "--no-reuse-hashes": (False, "hashes come from the index (or the file, once) for every lock"),
    "--allow-unsafe": (False, "symres pins pip, setuptools and wheel like any other package"),
    "--strip-extras": (False, "symres never writes extras on pins"),
    "--emit-trusted-host": (False, "symres writes no --trusted-host lines"),
    "--no-emit-trusted-host": (False, "symres writes no --trusted-host lines"),
    "--build-isolation": (False, "sdist metadata builds are always isolated"),
    "--no-strip-markers": (False, "a lock is for one target: its pins carry no markers"),
    "--trusted-host": (
        True,
        "http:// indexes are read without it; TLS is always verified (give a CA with --cert)",
    ),
    "--allow-insecure-host": (
        True,
        "http:// indexes are read without it; TLS is always verified (give a CA with --cert)",
    ),
}

# option -> (takes a value, what to do instead)
REFUSED: dict[str, tuple[bool, str]] = {
    "--universal": (
        False,
        "symres locks for one target; lock once per target with --python-version/--platform",
    ),
    "--no-build-isolation": (False, "symres builds sdist metadata in isolation only"),
    "--no-deps": (False, "a lock of the roots alone does not import; list what you need"),
    "--pip-args": (True, "pass index options (-i, --extra-index-url, --cert) directly"),
    "--client-cert": (True, "client certificates are not supported; use an index URL token"),
    "--no-strip-extras": (False, "symres never writes extras on pins"),
    "--emit-options": (False, "symres writes index options unless --no-emit-index-url"),
    "--no-emit-options": (False, "use --no-emit-index-url"),
    "--unsafe-package": (True, "use --no-emit-package NAME"),
    "--only-build-deps": (False, "symres locks runtime dependencies only"),
    "--all-build-deps": (False, "symres locks runtime dependencies only"),
    "--build-deps-for": (True, "symres locks runtime dependencies only"),
    "--torch-backend": (True, "name the PyTorch index with --extra-index-url"),
}

# option -> (the one value that is what symres does, what to do instead of the others)
ONE_VALUE: dict[str, tuple[str, str]] = {
    "--resolver": ("backtracking", "symres' resolver always backtracks; leave --resolver out"),
}


class _Noted(Collect):
    """A pip-compile / uv flag recorded under ``const`` (``no_effect``: said under -v;
    ``refused``: refused with its hint before anything runs)."""

    def item(self, option: str, values: Any) -> tuple[str, object]:
        return self.const, option


class _OneValue(Collect):
    """An option of which one value is what symres does (``--resolver backtracking``) and
    the others are not."""

    def item(self, option: str, values: Any) -> tuple[str, object]:
        key = "no_effect" if values == ONE_VALUE[option][0] else "refused"
        return key, f"{option}={values}"


def refusal_hint(option: str) -> str:
    """What to do instead of *option* (``--pip-args`` or ``--resolver=legacy``)."""
    name = option.split("=", 1)[0]
    return ONE_VALUE[name][1] if name in ONE_VALUE else REFUSED[name][1]


def no_effect_reason(option: str) -> str:
    name = option.split("=", 1)[0]
    return (
        f"it is what symres does ({ONE_VALUE[name][0]})"
        if name in ONE_VALUE
        else NO_EFFECT[name][1]
    )


def add_lock_parser(sub: Any) -> argparse.ArgumentParser:
    lock: argparse.ArgumentParser = sub.add_parser(
        "lock", help="resolve requirements into a lock file", allow_abbrev=False
    )
    lock.set_defaults(no_effect=[], refused=[])
    add_sources(lock)
    out = lock.add_argument_group("output")
    out.add_argument(
        "-o",
        "--output-file",
        type=Path,
        help="default: requirements.txt (or pylock.toml) beside the first SRC; `-` for stdout",
    )
    out.add_argument("--format", choices=list(FORMATS), default=REQUIREMENTS.name)
    out.add_argument(
        "-n", "--dry-run", action="store_true", help="print the lock to stdout, write nothing"
    )
    out.add_argument(
        "--check",
        action="store_true",
        help="exit 1 (and show the difference) if the output file is not what lock would write",
    )
    out.add_argument(
        "--no-emit-index-url",
        dest="emit_index_url",
        action="store_false",
        help="leave --index-url lines out of requirements.txt",
    )
    out.add_argument("--emit-index-url", dest="emit_index_url", action="store_true")
    out.add_argument(
        "--no-emit-find-links",
        dest="emit_find_links",
        action="store_false",
        help="leave --find-links and --no-index lines out of requirements.txt",
    )
    out.add_argument("--emit-find-links", dest="emit_find_links", action="store_true")
    out.add_argument(
        "--no-header", dest="header", action="store_false", help="write no comment header"
    )
    out.add_argument("--header", dest="header", action="store_true", help=argparse.SUPPRESS)
    out.add_argument(
        "--no-annotate", dest="annotate", action="store_false", help="write no `# via` comments"
    )
    out.add_argument("--annotate", dest="annotate", action="store_true", help=argparse.SUPPRESS)
    out.add_argument(
        "--annotation-style",
        choices=["split", "line"],
        default="split",
        help="`# via` one source a line (split, default) or all on one line",
    )
    out.add_argument(
        "--custom-compile-command",
        metavar="COMMAND",
        help="the command the header says regenerates the lock (default: this one)",
    )
    repeated(
        out,
        "--no-emit-package",
        metavar="NAME",
        help="resolve NAME but leave it out of the lock (repeat)",
    )
    out.add_argument("--json", action="store_true", help="print the resolution as JSON")
    out.add_argument(
        "--export-overrides",
        type=Path,
        metavar="FILE",
        help="write the learned narrowings as a pip constraints file "
        "(or, for a .toml FILE, as uv constraint-dependencies)",
    )

    what = lock.add_argument_group("what to resolve")
    repeated(
        what,
        "--extra",
        metavar="NAME",
        help="an optional-dependencies extra of pyproject.toml (repeat)",
    )
    what.add_argument("--all-extras", action="store_true", help="every optional-dependencies extra")
    repeated(
        what,
        "--overrides",
        "--override",
        type=Path,
        metavar="FILE",
        help="requirements that replace every requirement on their projects (as uv)",
    )
    repeated(
        what,
        "--group",
        metavar="[PATH:]NAME",
        help="a PEP 735 dependency group of pyproject.toml (repeat)",
    )
    what.add_argument(
        "-c",
        "--constraint",
        "--constraints",
        dest="constraints",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="a constraints file (repeat; as `-c FILE` in a requirements file)",
    )
    what.add_argument(
        "--pre", action="store_true", help="allow pre-releases of every project (as pip's --pre)"
    )
    what.add_argument(
        "--prerelease",
        choices=["allow", "if-necessary-or-explicit"],
        help="uv's spelling: allow = --pre; if-necessary-or-explicit is the default",
    )
    for option, why in (
        ("--only-binary", "install these projects from wheels only, never build them"),
        ("--no-binary", "install these projects from sdists only, never from wheels"),
    ):
        what.add_argument(
            option,
            action=FormatOption,
            dest="formats",
            default=[],
            metavar="NAMES",
            help=f"{why}: comma-separated names, `:all:` or `:none:` (repeat; as pip)",
        )
    what.add_argument(
        "--no-build",
        action="store_true",
        help="never build an sdist (uv's spelling of --only-binary :all:)",
    )
    what.add_argument("-U", "--upgrade", action="store_true", help="ignore the pins of the output")
    repeated(
        what,
        "-P",
        "--upgrade-package",
        metavar="NAME",
        help="ignore this package's pin (repeat); NAME<2 also constrains it",
    )
    what.add_argument(
        "--resolution",
        choices=["highest", "lowest", "lowest-direct"],
        default="highest",
        help="newest releases (default), the lowest the ranges allow, or the lowest for "
        "the direct requirements only (as uv)",
    )
    what.add_argument(
        "--exclude-newer",
        metavar="WHEN",
        help="use only files the index says were uploaded before WHEN: a date "
        "(2024-05-01, midnight UTC), a timestamp, or a cooldown back from now (7d, 1 week)",
    )
    what.add_argument(
        "--max-rounds",
        type=int,
        default=200_000,
        metavar="N",
        help="give up after N resolution rounds (default 200000)",
    )
    what.add_argument(
        "--symbols",
        choices=["enforce", "warn", "off"],
        default="enforce",
        help="enforce: refuse releases whose imports would fail (default); "
        "warn: resolve on metadata only and report breaks; off: no symbol checks",
    )
    add_symbol_options(
        lock,
        lazy="uses in function bodies and in modules `import` does not reach: "
        "report them (default) or narrow on them too",
    )
    lock.add_argument(
        "--verify",
        action="store_true",
        help="prove the lock in a fresh venv before writing it (see `symres verify`)",
    )
    add_verify_options(lock, for_lock=True)
    lock.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 1, nothing written) when a release newer than a pin is skipped "
        "because its file or metadata cannot be read",
    )
    lock.add_argument("-q", "--quiet", action="store_true")
    lock.add_argument("-v", "--verbose", action="store_true")
    add_target_options(lock)
    lock.add_argument(
        "--python-platform",
        metavar="TRIPLE",
        help="uv's spelling of the target platform, e.g. x86_64-manylinux_2_28, linux, macos",
    )
    add_index_options(lock)
    lock.add_argument("--default-index", dest="index_url", help="uv's spelling of --index-url")
    lock.add_argument(
        "--index",
        dest="extra_index_url",
        action="append",
        default=[],
        help="uv's spelling of --extra-index-url (repeat)",
    )
    lock.add_argument(
        "--cache-dir", type=Path, metavar="DIR", help="the cache folder (default: symres')"
    )
    lock.add_argument(
        "--rebuild", dest="refresh", action="store_true", help="pip-compile's --refresh"
    )
    lock.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="read [tool.pip-tools] settings from FILE (default: ./.pip-tools.toml, "
        "./pyproject.toml)",
    )
    lock.add_argument("--no-config", action="store_true", help="ignore [tool.pip-tools] settings")
    lock.add_argument(
        "--offline",
        action="store_true",
        help="read only the cache, however old (as uv); what it lacks is an error",
    )

    compat = lock.add_argument_group(
        "accepted from pip-compile and uv command lines, with no effect (see the README)"
    )
    for option, (takes_value, _) in NO_EFFECT.items():
        compat.add_argument(
            option,
            action=_Noted,
            const="no_effect",
            nargs=1 if takes_value else 0,
            dest=f"no_effect_{option.lstrip('-').replace('-', '_')}",
            help=argparse.SUPPRESS,
        )
    for option in ONE_VALUE:
        compat.add_argument(option, action=_OneValue, metavar="VALUE", help=argparse.SUPPRESS)
    for option, (takes_value, _) in REFUSED.items():
        compat.add_argument(
            option,
            action=_Noted,
            const="refused",
            nargs=1 if takes_value else 0,
            dest=f"refused_{option.lstrip('-').replace('-', '_')}",
            help=argparse.SUPPRESS,
        )
    return lock
