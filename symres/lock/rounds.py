"""Resolve, check the symbols of the resolution, learn a narrowing from each break, and
resolve again, until no break teaches anything new (at most ``MAX_ROUNDS``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from packaging.utils import NormalizedName
from packaging.version import Version

from symres.errors import NoSolution
from symres.index.config import IndexConfig, redact_url
from symres.index.finder import Finder
from symres.judge.breaks import Break, Narrowing
from symres.judge.judge import find_breaks
from symres.judge.session import SymbolSession
from symres.lock.options import LockOptions, Progress
from symres.resolve.model import Requirement
from symres.resolve.run import Counts, LockedPackage, Resolution, resolve

MAX_ROUNDS = 25


@dataclass(frozen=True)
class Request:
    """What the resolver is asked, the same every round."""

    roots: Sequence[Requirement]
    origins: Mapping[str, Sequence[str]]
    constraints: Mapping[NormalizedName, Sequence[Requirement]]
    constraint_origins: Mapping[NormalizedName, Sequence[str]]
    overrides: Mapping[NormalizedName, Sequence[Requirement]]
    preferred: Mapping[NormalizedName, Version]
    pre: bool


@dataclass
class Rounds:
    """What the rounds ended with."""

    resolution: Resolution
    narrowings: list[Narrowing] = field(default_factory=list)
    breaks: list[Break] = field(default_factory=list)  # found, not acted on
    unknown: int = 0
    counts: Counts = field(default_factory=Counts)
    resolutions: int = 0


def resolve_checked(
    finder: Finder,
    request: Request,
    symbols: SymbolSession | None,
    options: LockOptions,
    progress: Progress,
) -> Rounds:
    learned: dict[tuple[NormalizedName, Version], list[Requirement]] = {}
    always: dict[NormalizedName, list[Requirement]] = {}
    done: Rounds | None = None
    narrowings: list[Narrowing] = []
    counts = Counts()
    for resolutions in range(1, MAX_ROUNDS + 1):
        merged = {
            n: [*request.constraints.get(n, ()), *always.get(n, ())]
            for n in {*request.constraints, *always}
        }
        try:
            resolution = resolve(
                finder,
                request.roots,
                root_origins=request.origins,
                constraints=merged,
                constraint_origins=request.constraint_origins,
                preferred=request.preferred,
                learned=learned,
                on_pin=progress.on_pin,
                pre=request.pre,
                max_rounds=options.max_rounds,
                resolution=options.resolution,
                overrides=request.overrides,
            )
        except NoSolution as err:
            _explain_first_index(err, finder.client.config)
            raise
        for key, value in vars(resolution.counts).items():
            setattr(counts, key, getattr(counts, key) + value)
        done = Rounds(resolution, narrowings, [], 0, counts, resolutions)
        if symbols is None:
            break
        progress.on_event("symbols", f"checking the imports of {len(resolution.packages)} releases")
        done.breaks, done.unknown = symbols.breaks(resolution)
        if options.symbols == "warn":
            break
        enforced = [b for b in done.breaks if b.enforced or options.lazy == "enforce"]
        known = {n.effect for n in narrowings}
        fresh = [n for n in symbols.learn(enforced) if n.effect not in known]
        if not fresh:
            acted = {n.brk for n in narrowings}
            done.breaks = [b for b in done.breaks if b not in acted]  # reported, not acted on
            break
        for n in fresh:
            progress.on_event("narrowed", f"{n.target}{n.specifier}: {n.why}")
            narrowings.append(n)
            use = n.brk.use
            overrule = f"{use.module}:{use.name}" if use.name else use.module
            req = Requirement(n.target, n.specifier, source=n.source, why=n.why, overrule=overrule)
            if n.applies_to is None:
                always.setdefault(n.target, []).append(req)
            else:
                learned.setdefault(n.applies_to, []).append(req)
    assert done is not None
    if symbols is not None and options.symbols == "enforce" and request.preferred:
        done.narrowings += kept_pin_narrowings(
            symbols, finder, done.resolution, request.preferred, narrowings
        )
    return done


def _explain_first_index(err: NoSolution, index: IndexConfig) -> None:
    if index.strategy == "first-index" and len(index.lookup_order) > 1:
        err.details.append(
            "with several indexes the first that has a project serves all of it "
            f"(asked in this order: {', '.join(map(redact_url, index.lookup_order))})"
            "; `--index-strategy unsafe-best-match` merges them, as pip does"
        )


def kept_pin_narrowings(
    symbols: SymbolSession,
    finder: Finder,
    resolution: Resolution,
    preferred: Mapping[NormalizedName, Version],
    known: list[Narrowing],
) -> list[Narrowing]:
    """A pin kept from the existing lock hides why newer releases are refused. Probe the
    newest release each kept pin's requirements allow, so the lock says the same whether
    its pins were kept or chosen afresh."""
    pins = symbols.pins(resolution)
    probe = dict(pins)
    for name, version in pins.items():
        if preferred.get(name) != version:
            continue
        reqs = resolution.requirements.get(name, ())
        newer = [
            v
            for v in (finder.releases(name) or {})
            if v > version and not v.is_prerelease and all(r.allows(v) for r in reqs)
        ]
        if newer:
            probe[name] = max(newer)
    if probe == pins:
        return []
    breaks, _ = find_breaks(
        symbols.oracle, probe, symbols.stdlib, ignore=symbols.ignore, project_uses=symbols.project
    )
    relevant = [
        b
        for b in breaks
        if b.enforced and b.provider is not None and probe[b.provider] != pins[b.provider]
    ]
    effects = {n.effect for n in known}
    return [
        n
        for n in symbols.learn(relevant)
        if n.effect not in effects
        and (n.target not in pins or n.specifier.contains(pins[n.target], prereleases=True))
    ]


def annotate(
    packages: list[LockedPackage], narrowings: list[Narrowing], breaks: list[Break]
) -> list[LockedPackage]:
    """The `# symres:` lines: each narrowing that shaped the final pins, under the package
    it narrowed; each unresolved break (`--symbols warn`) under the importing package."""
    pins = {p.name: p.version for p in packages}
    notes: dict[NormalizedName, list[str]] = {}
    for n in narrowings:
        if n.applies_to is not None and pins.get(n.applies_to[0]) != n.applies_to[1]:
            continue  # learned for a release the final lock does not hold
        notes.setdefault(n.target, []).append(f"{n.specifier} — {n.why}")
    for b in breaks:
        where = b.provider or "the stdlib"
        notes.setdefault(b.consumer, []).append(
            f"warning — {b.describe()}: {b.verdict.reason} ({where})"
        )
    return [
        replace(p, notes=tuple(notes.get(p.name, ()))) if p.name in notes else p for p in packages
    ]
