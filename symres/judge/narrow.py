"""What a lock learns from a break: the provider narrowed to the releases that have the
name, or the consumer's releases that make the same import excluded.

The contiguous run of releases lacking the name around the locked one is found by
galloping then bisection on each side (a name is usually removed once, or added once):
a few verdicts, not one per release.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from symres.judge.breaks import PROJECT, Break, Narrowing
from symres.judge.conditions import holds, tests_release
from symres.judge.judge import Providers


def _exclude_consumer(facts: Providers, brk: Break, versions: Sequence[Version]) -> Narrowing:
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
            for u in facts.uses(brk.consumer, ordered[i])
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
    facts: Providers,
    brk: Break,
    versions: Sequence[Version],
    consumer_versions: Sequence[Version] = (),
) -> Narrowing | None:
    """What to learn from one break. *versions*: the provider's releases for the target.
    None when no release of the provider has the name: a use nothing ever satisfied is
    a dead path more often than a real need, so it is reported, not enforced."""
    project = brk.consumer == PROJECT
    if brk.provider is None or brk.provider_version is None:
        return _exclude_consumer(facts, brk, consumer_versions)
    # Bisect over final releases (and the locked one): a boundary at a pre-release would
    # make the narrowing itself admit pre-releases (`<2.0b3` does, `<2.0` does not).
    ordered = sorted(v for v in versions if not v.is_prerelease or v == brk.provider_version)
    k = ordered.index(brk.provider_version)
    provider = brk.provider

    cond = brk.use.condition
    tested = cond is not None and tests_release(facts, cond, provider, brk.provider_version)

    def missing(i: int) -> bool:
        # a release whose own test (`x.__version__ >= …`, `x.NAME == …`) makes the use
        # dead, or cannot be told, is not blocked by it
        if cond is not None and tested and holds(facts, cond, provider, ordered[i]) is not True:
            return False
        return facts.verdict(provider, ordered[i], brk.use.module, brk.use.name).status == "missing"

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
