"""One resolution, from root requirements to locked packages with their `# via`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from packaging.utils import NormalizedName
from packaging.version import Version
from resolvelib import BaseReporter, ResolutionImpossible, ResolutionTooDeep
from resolvelib.resolvers.resolution import Resolution as _Rounds
from resolvelib.resolvers.resolution import _build_result

from symres.errors import NoSolution
from symres.index.finder import Finder
from symres.index.release import Release
from symres.resolve.explain import no_solution
from symres.resolve.model import Candidate, Requirement
from symres.resolve.provider import Provider, split_identifier


@dataclass(frozen=True)
class LockedPackage:
    name: NormalizedName
    version: Version
    release: Release
    via: tuple[str, ...]  # parent project names, and `-r FILE` / `-c FILE` for roots
    notes: tuple[str, ...] = ()  # why symbols narrowed it (`# symres:` lines)


@dataclass
class Counts:
    """What the resolver did (resolvelib's reporter events): a measure of backtracking."""

    rounds: int = 0
    pins: int = 0
    rejected: int = 0  # candidates whose dependencies clashed with what was pinned
    backtracks: int = 0  # conflicts that sent the resolver back


@dataclass(frozen=True)
class Resolution:
    packages: tuple[LockedPackage, ...]
    dropped: tuple[str, ...] = ()
    # every requirement the final resolution placed on each project (for what-ifs)
    requirements: dict[NormalizedName, tuple[Requirement, ...]] = field(
        default_factory=dict, compare=False
    )
    counts: Counts = field(default_factory=Counts, compare=False)
    # releases newer than a pin that were skipped because their files or metadata could
    # not be read: what a corrupt or truncated upload silently costs, unless said
    skipped_newer: tuple[str, ...] = ()


class _Reporter(BaseReporter):  # type: ignore[type-arg]
    def __init__(self, provider: Provider, on_pin: Callable[[Candidate], None]) -> None:
        self.provider = provider
        self.on_pin = on_pin
        self.counts = Counts()

    def starting_round(self, index: int) -> None:
        self.counts.rounds += 1

    def pinning(self, candidate: Candidate) -> None:
        self.counts.pins += 1
        self.on_pin(candidate)

    def rejecting_candidate(self, criterion: Any, candidate: Candidate) -> None:
        self.counts.rejected += 1
        self.provider.rejected(criterion, candidate)

    def resolving_conflicts(self, causes: Any) -> None:
        self.counts.backtracks += 1


class _MemoRounds(_Rounds):  # type: ignore[type-arg]
    """resolvelib's resolution, with its every-round question "does the pin of each
    project still satisfy that project's requirements?" answered once per (criterion,
    pin). resolvelib asks it of every project on every round (a 300-deep chain: 981,000
    times over 3,300 rounds, half the lock's CPU); its criteria are immutable and the
    provider's answer depends only on the requirement and the candidate, so the answer
    for the same pair of objects cannot change."""

    def __init__(self, provider: Provider, reporter: BaseReporter) -> None:  # type: ignore[type-arg]
        super().__init__(provider, reporter)
        # by id(criterion): (criterion, pin, answer); the criterion kept, so its id stays its
        self._pin_checks: dict[int, tuple[Any, Any, bool]] = {}

    def _is_current_pin_satisfying(self, name: Any, criterion: Any) -> bool:
        pin = self._states[-1].mapping.get(name)
        if pin is None:
            return False
        seen = self._pin_checks.get(id(criterion))
        if seen is not None and seen[0] is criterion and seen[1] is pin:
            return seen[2]
        ok: bool = super()._is_current_pin_satisfying(name, criterion)
        self._pin_checks[id(criterion)] = (criterion, pin, ok)
        return ok


def resolve(
    finder: Finder,
    roots: Sequence[Requirement],
    *,
    root_origins: Mapping[str, Sequence[str]],
    constraints: Mapping[NormalizedName, Sequence[Requirement]] | None = None,
    constraint_origins: Mapping[NormalizedName, Sequence[str]] | None = None,
    preferred: Mapping[NormalizedName, Version] | None = None,
    learned: Mapping[tuple[NormalizedName, Version], Sequence[Requirement]] | None = None,
    on_pin: Callable[[Candidate], None] = lambda c: None,
    pre: bool = False,
    max_rounds: int = 200_000,
    resolution: str = "highest",
    overrides: Mapping[NormalizedName, Sequence[Requirement]] | None = None,
) -> Resolution:
    """Resolve *roots* for the finder's target. ``root_origins`` maps an identifier to the
    input files that asked for it (for ``# via -r FILE``)."""
    provider = Provider(
        finder,
        roots=roots,
        constraints=constraints,
        preferred=preferred,
        learned=learned,
        pre=pre,
        resolution=resolution,
        overrides=overrides,
    )
    roots = [provider.overridden(r) for r in roots]
    for root in roots:
        provider.introduced_by.setdefault(root.name, root)
    finder.prefetch((r.name, r.specifier) for r in roots)
    reporter = _Reporter(provider, on_pin)
    try:
        result = _build_result(_MemoRounds(provider, reporter).resolve(roots, max_rounds))
    except ResolutionImpossible as exc:
        raise no_solution(exc.causes, provider) from None
    except ResolutionTooDeep:
        raise NoSolution(
            f"gave up after {max_rounds} resolution rounds",
            hint="pin the packages with the widest ranges to help the resolver",
        ) from None

    via: dict[NormalizedName, set[str]] = {}
    for identifier in result.mapping:
        name, _ = split_identifier(identifier)
        parents = via.setdefault(name, set())
        for parent in result.graph.iter_parents(identifier):
            if parent is None:
                parents.update(
                    o if o.endswith(")") else f"-r {o}" for o in root_origins.get(identifier, ())
                )
                continue
            parent_name, _ = split_identifier(parent)
            if parent_name != name:
                parents.add(parent_name)
        parents.update(f"-c {o}" for o in (constraint_origins or {}).get(name, ()))

    packages = []
    for candidate in result.mapping.values():
        if candidate.extras or candidate.release is None:
            continue
        packages.append(
            LockedPackage(
                candidate.name,
                candidate.version,
                candidate.release,
                tuple(sorted(via.get(candidate.name, ()), key=_via_order)),
            )
        )
    packages.sort(key=lambda p: p.name)
    requirements: dict[NormalizedName, tuple[Requirement, ...]] = {}
    for identifier, criterion in result.criteria.items():
        name, _ = split_identifier(identifier)
        reqs = tuple(info.requirement for info in criterion.information)
        requirements[name] = requirements.get(name, ()) + reqs
    pins = {p.name: p.version for p in packages}
    skipped = tuple(
        f"{name} {version} {why.reason}; {name} {pins[name]} is locked instead"
        for (name, version), why in sorted(provider.excluded.items())
        if why.kind in ("metadata", "invalid") and name in pins and version > pins[name]
    )
    return Resolution(
        tuple(packages), tuple(provider.dropped), requirements, reporter.counts, skipped
    )


def _via_order(item: str) -> tuple[int, str]:
    return (0 if item.startswith("-") else 1, item)
