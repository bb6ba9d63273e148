"""What the judge needs, built in one place: the symbol database (the user's, then the
shipped snapshot), the oracle over it, the target's stdlib table, and what the user
overruled. ``compat`` and ``symbols`` open releases through it, ``lock`` checks each
resolution with a :class:`SymbolSession`, ``check`` and ``verify`` with
:func:`lock_symbols`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from packaging.utils import NormalizedName
from packaging.version import Version

from symres.cache import symbols_db_path
from symres.db.store import SymbolDB
from symres.judge.breaks import PROJECT, Break, Narrowing
from symres.judge.judge import find_breaks
from symres.judge.narrow import narrow
from symres.judge.project import project_uses, pyproject_ignores
from symres.symbols.oracle import SymbolOracle, facts_of
from symres.symbols.stdlib import Stdlib
from symres.target import Target

if TYPE_CHECKING:  # the index client (httpx) is imported only where it is used
    from symres.index.config import IndexOptions
    from symres.index.finder import Finder
    from symres.index.release import Release

Lazy = Literal["enforce", "warn"]


def symbol_db(index: IndexOptions) -> SymbolDB:
    """The user's symbol database under the cache (in memory with ``--no-cache``), with
    the shipped snapshot behind it."""
    return SymbolDB(None if index.no_cache else symbols_db_path(index.cache_dir))


@dataclass(frozen=True)
class SymbolOptions:
    """What ``lock`` asks of the judge."""

    symbols: Literal["enforce", "warn", "off"] = "enforce"
    lazy: Lazy = "warn"
    ignore_symbols: tuple[str, ...] = ()
    src: tuple[Path, ...] = ()


class _Pinned(Protocol):
    @property
    def name(self) -> NormalizedName: ...

    @property
    def version(self) -> Version: ...

    @property
    def release(self) -> Release: ...


class _Resolution(Protocol):
    @property
    def packages(self) -> Sequence[_Pinned]: ...


class SymbolSession:
    """What ``lock`` needs to check symbols: the database, the oracle, the stdlib table,
    what the user overruled, and the project's own uses."""

    def __init__(
        self,
        finder: Finder,
        index: IndexOptions,
        options: SymbolOptions,
        sources: Sequence[Path] = (),
    ) -> None:
        facts = facts_of(finder.target)
        self.db = symbol_db(index)
        self.finder = finder
        # lazy and unreachable uses matter under --lazy enforce and --symbols warn; the
        # snapshot keeps only import-time ones
        complete = options.lazy == "enforce" or options.symbols == "warn"
        self.oracle = SymbolOracle(finder, self.db, facts, complete_uses=complete)
        self.stdlib = Stdlib(finder.target.python)
        self.ignore = frozenset(options.ignore_symbols) | pyproject_ignores(sources)
        self.project = project_uses(list(options.src), facts) if options.src else []

    @staticmethod
    def pins(resolution: _Resolution) -> dict[NormalizedName, Version]:
        """The pins whose files are read for symbols: a folder or a git checkout the inputs
        name is read as the project's own code instead (``--src``)."""
        return {
            p.name: p.version
            for p in resolution.packages
            if p.release.origin is None or p.release.origin.tree is None
        }

    def breaks(self, resolution: _Resolution) -> tuple[list[Break], int]:
        pins = self.pins(resolution)
        return find_breaks(
            self.oracle, pins, self.stdlib, ignore=self.ignore, project_uses=self.project
        )

    def learn(self, breaks: Sequence[Break]) -> list[Narrowing]:
        """One narrowing per distinct effect; several uses with the same effect are told
        as the first one and a count."""
        grouped: dict[tuple[object, ...], list[Narrowing]] = {}
        for brk in breaks:
            versions = list(self.finder.releases(brk.provider) or {}) if brk.provider else []
            consumer_versions = (
                list(self.finder.releases(brk.consumer) or {})
                if (brk.provider is None and brk.consumer != PROJECT)
                else []
            )
            n = narrow(self.oracle, brk, versions, consumer_versions)
            if n is None:
                continue
            grouped.setdefault(n.effect, []).append(n)
        out = []
        for group in grouped.values():
            first = group[0]
            if len(group) > 1:
                first = replace(first, why=f"{first.why} (and {len(group) - 1} more like it)")
            out.append(first)
        return out

    def close(self) -> None:
        self.db.close()


@contextmanager
def lock_symbols(
    target: Target, index: IndexOptions, *, online: bool, lazy: Lazy
) -> Iterator[tuple[SymbolOracle, Stdlib]]:
    """The symbol facts for checking a set of pins (``compat``, ``check``, ``verify``): the
    user database and the snapshot, and the index when *online*. ``lazy="warn"`` reads
    only the uses ``lock`` enforces by default; ``"enforce"`` every use (the snapshot
    lacks the lazy ones)."""
    db = symbol_db(index)
    try:
        if online:
            from symres.index.session import open_finder

            finder_cm: AbstractContextManager[Finder | None] = open_finder(target, index)
        else:
            finder_cm = nullcontext(None)
        with finder_cm as finder:
            oracle = SymbolOracle(
                finder,
                db,
                facts_of(target),
                complete_uses=lazy == "enforce",
                import_time_only=lazy == "warn",
            )
            yield oracle, Stdlib(target.python)
    finally:
        db.close()
