"""Options shared by several commands, and small helpers of the command line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from symres.errors import InputError, SymresError

if TYPE_CHECKING:
    from symres.index.config import IndexOptions


def python_version(text: str) -> str:
    """A --python-version the stdlib table covers: outside it, no import could be judged."""
    from symres.symbols.stdlib import python_versions
    from symres.target import parse_python_version

    try:
        (major, minor), _ = parse_python_version(text)
    except InputError as err:
        raise argparse.ArgumentTypeError(err.message) from None
    known = python_versions()
    if f"{major}.{minor}" not in known:
        raise argparse.ArgumentTypeError(
            f"Python {major}.{minor} is outside the Pythons symres knows ({known[0]} to "
            f"{known[-1]}); lock for one of them"
        )
    return text


def add_target_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--python-version",
        type=python_version,
        metavar="X.Y",
        help="target Python (default: this one)",
    )
    p.add_argument(
        "--platform",
        metavar="TAG",
        help="target wheel platform tag, e.g. manylinux_2_28_x86_64 (default: this machine)",
    )


def repeated(p: argparse._ActionsContainer, *flags: str, **kwargs: Any) -> None:
    """An option given any number of times, its values collected in order (none: [])."""
    p.add_argument(*flags, action="append", default=[], **kwargs)


def add_index_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-i", "--index-url", help="base URL of the index (default: pip's)")
    p.add_argument("--extra-index-url", action="append", default=[], help="more indexes (repeat)")
    p.add_argument("--cert", help="CA bundle for the index (default: pip's `cert`)")
    repeated(
        p,
        "-f",
        "--find-links",
        metavar="PATH_OR_URL",
        help="a folder of wheels and sdists, or a page of links to them (repeat)",
    )
    p.add_argument("--no-index", action="store_true", help="read only the --find-links locations")
    p.add_argument(
        "--index-strategy",
        choices=["first-index", "unsafe-best-match"],
        default="first-index",
        help="first-index (default, as uv): the first index that has a project serves all "
        "of it, extra indexes before the default one; unsafe-best-match: the best file of "
        "every index (pip's way, open to dependency confusion)",
    )
    p.add_argument("--no-cache", action="store_true", help="read and write no cache")
    p.add_argument("--refresh", action="store_true", help="revalidate cached index pages")


def add_sources(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "sources",
        nargs="*",
        type=Path,
        metavar="SRC",
        help="requirements.in files or a pyproject.toml (default: requirements.in, else "
        "pyproject.toml, in this folder)",
    )


def add_symbol_options(p: argparse.ArgumentParser, *, lazy: str) -> None:
    p.add_argument("--lazy", choices=["warn", "enforce"], default="warn", help=lazy)
    repeated(
        p,
        "--ignore-symbol",
        metavar="MODULE:NAME",
        help="overrule one symbol check (repeat; also [tool.symres] ignore-symbols)",
    )
    repeated(
        p,
        "--src",
        type=Path,
        metavar="DIR",
        help="the project's own code is a consumer too (repeat)",
    )


def add_verify_options(p: argparse.ArgumentParser, *, for_lock: bool = False) -> None:
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
        add_symbol_options(
            p,
            lazy="uses in function bodies and unreachable modules: failures warn (default) or fail",
        )


class Collect(argparse.Action):
    """An option whose uses are collected in order in a list: ``item`` says what each
    adds, and under which attribute (default: the option's own)."""

    def item(self, option: str, values: Any) -> tuple[str, object]:
        return self.dest, (option, values)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        assert option_string is not None
        key, value = self.item(option_string, values)
        setattr(namespace, key, [*getattr(namespace, key, []), value])


class FormatOption(Collect):
    """``--only-binary`` / ``--no-binary``: kept in order, as pip applies them."""


def index_options(args: argparse.Namespace) -> IndexOptions:
    from symres.index import config

    return config.IndexOptions(
        index_url=args.index_url,
        extra_index_urls=tuple(args.extra_index_url),
        cert=args.cert,
        find_links=tuple(args.find_links),
        no_index=args.no_index,
        strategy=args.index_strategy,
        no_cache=args.no_cache,
        refresh=args.refresh,
    )


def sources_of(args: argparse.Namespace, *, required: bool) -> tuple[Path, ...]:
    from symres.lock.check import default_sources

    if args.sources:
        return tuple(args.sources)
    found = default_sources()
    if not found and required:
        raise SymresError(
            "nothing to lock: no requirements.in or pyproject.toml here",
            hint="name the input, e.g. `symres lock requirements.in`",
        )
    return found


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
