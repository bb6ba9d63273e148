"""Symbol constraints for the resolver: check a resolution's uses against its own pins,
and turn each break into a narrowing with its reason.

For a pinned consumer, a hard use that its provider's locked release lacks narrows the
provider to the releases that have it: the contiguous run of releases lacking the name
around the locked one is found by bisection on each side (a name is usually removed
once, or added once) and excluded. When no release of the provider has it, or the
stdlib of the target lacks it, the consumer's release itself is excluded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from symres.errors import InputError
from symres.facts import Use, Verdict
from symres.symbols.conditions import TargetFacts
from symres.symbols.oracle import SymbolOracle, provides
from symres.symbols.stdlib import Stdlib

if TYPE_CHECKING:  # the index client (httpx) is imported only where it is used
    from symres.index.config import IndexOptions
    from symres.index.finder import Finder
    from symres.target import Target


@dataclass(frozen=True)
class Break:
    consumer: NormalizedName
    consumer_version: Version
    use: Use
    provider: NormalizedName | None  # None: the stdlib
    provider_version: Version | None
    verdict: Verdict

    @property
    def enforced(self) -> bool:
        """Import-time uses narrow the lock; lazy and unreachable ones are reported."""
        return self.use.import_time

    @property
    def consumer_label(self) -> str:
        return (
            "your code" if self.consumer == PROJECT else f"{self.consumer} {self.consumer_version}"
        )

    def describe(self) -> str:
        what = (
            f"`{self.use.name}` from `{self.use.module}`"
            if self.use.name not in (None, "*")
            else (f"module `{self.use.module}`")
        )
        labels: list[str] = [] if self.use.guard == "top" else [self.use.guard]
        if not self.use.reachable:
            labels.append("unreachable")
        label = f", {', '.join(labels)}" if labels else ""
        return f"{self.consumer_label} imports {what} ({self.use.where}{label})"


@dataclass(frozen=True)
class Narrowing:
    """A learned constraint: *target* is limited to *specifier* because of *brk*.
    ``applies_to`` is the consumer release it depends on (None: always)."""

    target: NormalizedName
    specifier: SpecifierSet
    why: str
    brk: Break
    applies_to: tuple[NormalizedName, Version] | None

    @property
    def source(self) -> str:
        return self.brk.consumer_label

    @property
    def effect(self) -> tuple[object, ...]:
        return (self.target, str(self.specifier), self.applies_to)


def _is_ignored(use: Use, ignore: frozenset[str]) -> bool:
    return (
        f"{use.module}:{use.name}" in ignore or use.module in ignore or f"{use.module}:*" in ignore
    )


PROJECT = NormalizedName("<src>")


@dataclass(frozen=True)
class Judged:
    """One hard use of a locked consumer, judged against the lock."""

    consumer: NormalizedName
    use: Use
    provider: NormalizedName | None  # None: the stdlib
    verdict: Verdict


def judge_lock(
    oracle: SymbolOracle,
    pins: Mapping[NormalizedName, Version],
    stdlib: Stdlib,
    *,
    ignore: frozenset[str] = frozenset(),
    project_uses: Sequence[Use] = (),
    on_progress: Callable[[str], None] = lambda s: None,
) -> tuple[Mapping[NormalizedName, Version], list[Judged], Callable[[Judged], bool]]:
    """Every hard use of every pinned release (and of the project's own code) whose module
    the lock or the stdlib provides, with its verdict. Returns the pins (the project
    added), the judged uses, and a test telling whether a use is a dead fallback (an
    ``except ImportError:`` import whose ``try`` succeeds in this lock)."""
    names = sorted(pins)
    with ThreadPoolExecutor(max_workers=8) as pool:
        prefixes = dict(
            zip(names, pool.map(lambda n: oracle.prefixes(n, pins[n]), names), strict=True)
        )
        uses = dict(zip(names, pool.map(lambda n: oracle.uses(n, pins[n]), names), strict=True))
    if project_uses:
        uses[PROJECT] = list(project_uses)
        pins = {**pins, PROJECT: Version("0")}
        names.append(PROJECT)
    by_top: dict[str, list[NormalizedName]] = {}
    for name, found in prefixes.items():
        for prefix in found:
            owners = by_top.setdefault(prefix.split(".")[0], [])
            if name not in owners:  # one entry per distribution, however many prefixes
                owners.append(name)

    prefix_sets = {name: frozenset(found) for name, found in prefixes.items()}
    ranked_cache: dict[str, list[tuple[int, NormalizedName]]] = {}
    owner_cache: dict[tuple[NormalizedName, str], tuple[NormalizedName | None, bool]] = {}

    def provider_of(consumer: NormalizedName, module: str) -> tuple[NormalizedName | None, bool]:
        """The locked distribution providing *module* (None: none), and whether any
        locked distribution other than the consumer claims its top-level name."""
        known = owner_cache.get((consumer, module))
        if known is not None:
            return known
        ranked = ranked_cache.get(module)
        if ranked is None:  # the claimants of the module, the longest claim first
            owners = by_top.get(module.split(".")[0], ())
            scored = [(provides(prefix_sets[n], module), i, n) for i, n in enumerate(owners)]
            scored.sort(key=lambda t: (-t[0], t[1]))
            ranked = ranked_cache[module] = [(score, n) for score, _, n in scored]
        score, best = next(((sc, n) for sc, n in ranked if n != consumer), (0, None))
        found = owner_cache[(consumer, module)] = ((best if score else None), best is not None)
        return found

    judged_cache: dict[tuple[object, ...], tuple[NormalizedName | None, Verdict] | None] = {}

    def judge(consumer: NormalizedName, use: Use) -> tuple[NormalizedName | None, Verdict] | None:
        key = (consumer, use.module, use.name, use.condition)
        if key not in judged_cache:
            judged_cache[key] = _judge(consumer, use)
        return judged_cache[key]

    def _judge(consumer: NormalizedName, use: Use) -> tuple[NormalizedName | None, Verdict] | None:
        """The verdict on one use in this lock; None when the lock does not provide its
        module (not ours to judge) or a test on the provider switches it off."""
        provider, owned = provider_of(consumer, use.module)
        if provider is None:
            if owned or not stdlib.knows(use.module) or stdlib.condition(use) is False:
                return None
            if use.name in (None, "*"):
                return None, stdlib.module(use.module)
            return None, stdlib.name(use.module, use.name)
        if use.condition is not None and _condition(oracle, use, provider, pins[provider]) is False:
            return None
        return provider, oracle.verdict(provider, pins[provider], use.module, use.name)

    def fallback_is_dead(item: Judged) -> bool:
        """An `except ImportError:` import runs only if its `try` failed."""
        levels: dict[int, bool] = {}
        for module, name, level in item.use.alternatives:
            alt = judge(
                item.consumer,
                replace(item.use, module=module, name=name, alternatives=(), condition=None),
            )
            ok = alt is not None and alt[1].status == "present"
            levels[level] = levels.get(level, True) and ok
        return any(levels.values())

    out: list[Judged] = []
    for consumer in names:
        on_progress(f"{consumer} {pins[consumer]}")
        for use in uses[consumer]:
            if not use.hard or _is_ignored(use, ignore):
                continue
            judged = judge(consumer, use)
            if judged is not None:
                out.append(Judged(consumer, use, *judged))
    return pins, out, fallback_is_dead


def find_breaks(
    oracle: SymbolOracle,
    pins: Mapping[NormalizedName, Version],
    stdlib: Stdlib,
    *,
    ignore: frozenset[str] = frozenset(),
    project_uses: Sequence[Use] = (),
    on_progress: Callable[[str], None] = lambda s: None,
) -> tuple[list[Break], int]:
    """Every hard use of every pinned release (and of the project's own code) that its
    locked provider, or the stdlib, lacks. Returns the breaks and the count of unknowns."""
    pins, judged, fallback_is_dead = judge_lock(
        oracle, pins, stdlib, ignore=ignore, project_uses=project_uses, on_progress=on_progress
    )
    breaks: list[Break] = []
    unknown = 0
    for item in judged:
        if item.verdict.status == "missing" and not fallback_is_dead(item):
            breaks.append(
                Break(
                    item.consumer,
                    pins[item.consumer],
                    item.use,
                    item.provider,
                    pins[item.provider] if item.provider else None,
                    item.verdict,
                )
            )
        elif item.verdict.status == "unknown":
            unknown += 1
    return breaks, unknown


def _condition(
    oracle: SymbolOracle, use: Use, provider: NormalizedName, version: Version
) -> bool | None:
    from symres.symbols.compat import OPS as ops  # noqa: PLC0415

    cond = use.condition
    assert cond is not None
    if cond.kind == "version":
        try:
            result = ops[cond.op](version, Version(cond.value))
        except Exception:  # noqa: BLE001  (an odd literal: treat the condition as unknown)
            return None
    else:
        verdict = oracle.verdict(provider, version, cond.module, cond.value)
        if verdict.status == "unknown":
            return None
        result = verdict.status == "present"
    return not result if cond.negate else result


def _exclude_consumer(oracle: SymbolOracle, brk: Break, versions: Sequence[Version]) -> Narrowing:
    """The stdlib of the target lacks what the consumer imports: exclude the run of the
    consumer's releases that make the same import (bisected, like a provider's), not one
    release per round."""
    reason = f"{brk.describe()}: {brk.verdict.reason}"
    ordered = sorted(v for v in versions if not v.is_prerelease or v == brk.consumer_version)
    if brk.consumer == PROJECT or brk.consumer_version not in ordered:
        return Narrowing(brk.consumer, SpecifierSet(f"!={brk.consumer_version}"), reason, brk, None)
    k = ordered.index(brk.consumer_version)

    def same_import(i: int) -> bool:
        return any(
            u.module == brk.use.module
            and u.name == brk.use.name
            and u.import_time
            and not u.alternatives
            for u in oracle.uses(brk.consumer, ordered[i])
        )

    lo = _edge(same_import, k, -1, 0)
    hi = _edge(same_import, k, +1, len(ordered) - 1)
    if lo == 0 and hi == len(ordered) - 1:
        spec = SpecifierSet(",".join(f"!={v}" for v in ordered))
    elif hi == len(ordered) - 1:
        spec = SpecifierSet(f"<{ordered[lo]}")
    elif lo == 0:
        spec = SpecifierSet(f">={ordered[hi + 1]}")
    else:
        spec = SpecifierSet(",".join(f"!={v}" for v in ordered[lo : hi + 1]))
    span = str(ordered[lo]) if lo == hi else f"{ordered[lo]} to {ordered[hi]}"
    return Narrowing(brk.consumer, spec, f"{reason}; so do {brk.consumer} {span}", brk, None)


def narrow(
    oracle: SymbolOracle,
    brk: Break,
    versions: Sequence[Version],
    consumer_versions: Sequence[Version] = (),
) -> Narrowing | None:
    """What to learn from one break. *versions*: the provider's releases for the target.
    None when no release of the provider has the name: a use nothing ever satisfied is
    a dead path more often than a real need, so it is reported, not enforced."""
    project = brk.consumer == PROJECT
    if brk.provider is None or brk.provider_version is None:
        return _exclude_consumer(oracle, brk, consumer_versions)
    # Bisect over final releases (and the locked one): a boundary at a pre-release would
    # make the narrowing itself admit pre-releases (`<2.0b3` does, `<2.0` does not).
    ordered = sorted(v for v in versions if not v.is_prerelease or v == brk.provider_version)
    k = ordered.index(brk.provider_version)
    provider = brk.provider

    def missing(i: int) -> bool:
        return (
            oracle.verdict(provider, ordered[i], brk.use.module, brk.use.name).status == "missing"
        )

    lo = _edge(missing, k, -1, 0)  # oldest release of the missing run
    hi = _edge(missing, k, +1, len(ordered) - 1)  # newest release of the missing run
    if lo == 0 and hi == len(ordered) - 1:
        return None
    if hi == len(ordered) - 1:
        spec = SpecifierSet(f"<{ordered[lo]}")
        since = f"{brk.provider} {ordered[lo]} and later lack it"
    elif lo == 0:
        spec = SpecifierSet(f">={ordered[hi + 1]}")
        since = f"{brk.provider} before {ordered[hi + 1]} lacks it"
    else:
        spec = SpecifierSet(",".join(f"!={v}" for v in ordered[lo : hi + 1]))
        since = f"{brk.provider} {ordered[lo]} to {ordered[hi]} lack it"
    return Narrowing(
        brk.provider,
        spec,
        f"{brk.describe()}; {since}",
        brk,
        None if project else (brk.consumer, brk.consumer_version),
    )


def _edge(missing: Callable[[int], bool], k: int, step: int, stop: int) -> int:
    """The farthest index from *k* (towards *stop*) whose run of ``missing`` is unbroken,
    by galloping then bisection (a few verdicts, not one per release)."""
    if k == stop:
        return k
    good = k  # known missing
    jump = 1
    while True:
        probe = k + step * jump
        if (step < 0 and probe <= stop) or (step > 0 and probe >= stop):
            probe = stop
        if not missing(probe):
            bad = probe
            break
        good = probe
        if probe == stop:
            return stop
        jump *= 2
    while abs(bad - good) > 1:
        mid = (good + bad) // 2
        if missing(mid):
            good = mid
        else:
            bad = mid
    return good


def describe_narrowings(narrowings: Iterable[Narrowing]) -> list[str]:
    return [f"{n.target}{n.specifier}: {n.why}" for n in narrowings]


def project_uses(directories: Sequence[Path], facts: TargetFacts) -> list[Use]:
    """Uses of the project's own code (``--src``): every .py under each folder, with the
    folder as the import root; imports of its own modules are not uses."""
    from symres.symbols.parse import parse  # noqa: PLC0415
    from symres.symbols.uses import scan_uses  # noqa: PLC0415

    found: list[Use] = []
    own: set[str] = set()
    for root in directories:
        if not root.is_dir():
            raise InputError(
                f"`--src {root}` is not a folder", hint="point it at your package's root"
            )
        files = sorted(p for p in root.rglob("*.py") if not _outside_code(p.relative_to(root)))
        own |= {f.relative_to(root).parts[0].removesuffix(".py") for f in files}
        for path in files:
            rel = path.relative_to(root)
            parts = list(rel.with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            module = ".".join(parts[:-1] if is_package else parts)
            tree = parse(path.read_bytes(), str(path))
            if isinstance(tree, str):
                continue
            found += scan_uses(
                module or rel.stem, str(path), tree, is_package=is_package, facts=facts
            ).uses
    return [u for u in found if u.module.split(".")[0] not in own]


_NOT_CODE = frozenset({"site-packages", "node_modules", "__pycache__"})


def _outside_code(relative: Path) -> bool:
    """A file of a virtual environment, a hidden folder or a cache inside the project."""
    return any(part.startswith(".") or part in _NOT_CODE for part in relative.parts[:-1])


class SymbolSession:
    """What ``lock`` needs to check symbols: the database, the oracle, the stdlib table,
    what the user overruled, and the project's own uses."""

    def __init__(self, finder: Finder, options: Any) -> None:
        from symres.cache import symbols_db_path  # noqa: PLC0415
        from symres.db.store import SymbolDB  # noqa: PLC0415
        from symres.symbols.compat import facts_of  # noqa: PLC0415

        facts = facts_of(finder.target)
        self.db = SymbolDB(None if options.no_cache else symbols_db_path(options.cache_dir))
        self.finder = finder
        # lazy and unreachable uses matter under --lazy enforce and --symbols warn; the
        # snapshot keeps only import-time ones
        complete = options.lazy == "enforce" or options.symbols == "warn"
        self.oracle = SymbolOracle(finder, self.db, facts, complete_uses=complete)
        self.stdlib = Stdlib(finder.target.python)
        self.ignore = frozenset(options.ignore_symbols) | pyproject_ignores(options.sources)
        self.project = project_uses(list(options.src), facts) if options.src else []

    @staticmethod
    def pins(resolution: Any) -> dict[NormalizedName, Version]:
        """The pins whose files are read for symbols: a folder or a git checkout the inputs
        name is read as the project's own code instead (``--src``)."""
        return {
            p.name: p.version
            for p in resolution.packages
            if p.release.origin is None or p.release.origin.tree is None
        }

    def breaks(self, resolution: Any) -> tuple[list[Break], int]:
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
            grouped.setdefault((n.target, str(n.specifier), n.applies_to), []).append(n)
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
    target: Target, index: IndexOptions, *, online: bool, lazy: str
) -> Iterator[tuple[SymbolOracle, Stdlib]]:
    """The symbol facts for checking a lock (``check``, ``verify``): the user database and
    the snapshot, and the index when *online*. ``lazy="warn"`` reads only the uses ``lock``
    enforces by default; ``"enforce"`` every hard use (the snapshot lacks the lazy ones)."""
    from symres.cache import symbols_db_path  # noqa: PLC0415
    from symres.db.store import SymbolDB  # noqa: PLC0415
    from symres.symbols.compat import facts_of  # noqa: PLC0415

    db = SymbolDB(None if index.no_cache else symbols_db_path(index.cache_dir))
    try:
        if online:
            from symres.index.session import open_finder  # noqa: PLC0415  (httpx: only when online)

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


def pyproject_ignores(sources: Sequence[Path]) -> frozenset[str]:
    """``[tool.symres] ignore-symbols = ["module:name", ...]`` of the pyproject.toml beside
    the first input (or the one locked)."""
    import sys  # noqa: PLC0415

    if sys.version_info >= (3, 11):
        import tomllib  # noqa: PLC0415
    else:  # pragma: no cover
        import tomli as tomllib  # noqa: PLC0415
    if not sources:
        return frozenset()
    path = (
        sources[0] if sources[0].name == "pyproject.toml" else sources[0].parent / "pyproject.toml"
    )
    if not path.is_file():
        return frozenset()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return frozenset()
    tool = data.get("tool")
    table = tool.get("symres") if isinstance(tool, dict) else None
    value = table.get("ignore-symbols", []) if isinstance(table, dict) else []
    return frozenset(str(v) for v in value) if isinstance(value, list) else frozenset()
