"""The judge: every use of a set of pinned consumers (and of the project's own code)
against the pinned release that provides its module, or the target's stdlib.

One rule for every command:

- the provider of a module is the pin (other than the consumer) with the longest claim
  on it; a module whose top-level name another pin claims but none provides is not
  judged (``google.cloud`` beside protobuf's ``google.protobuf``);
- a module no pin claims is judged by the stdlib of the target; one the stdlib lacks may
  still be served by an import hook a pin starts from a ``.pth`` file (setuptools'
  ``distutils``);
- a test on the provider (``version.parse(x.__version__) >= …``, ``hasattr(x, "y")``)
  that is false for the pinned release makes the use inactive, as does a false test on
  the stdlib, and an ``except ImportError:`` fallback whose ``try`` imports succeed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Protocol

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from symres.facts import Use, Verdict
from symres.judge.breaks import PROJECT, Break, Judged
from symres.judge.conditions import holds
from symres.symbols.oracle import provides, top_level
from symres.symbols.stdlib import Stdlib


class Providers(Protocol):
    """What the judge asks of pinned releases (:class:`~symres.symbols.oracle.SymbolOracle`:
    the symbol database first, then the wheels)."""

    def prefixes(self, name: NormalizedName, version: Version) -> list[str]: ...

    def uses(self, name: NormalizedName, version: Version) -> list[Use]: ...

    def verdict(
        self, name: NormalizedName, version: Version, module: str, symbol: str | None
    ) -> Verdict: ...

    def constant(
        self, name: NormalizedName, version: Version, module: str, attr: str
    ) -> Verdict: ...

    def hooks(self, name: NormalizedName, version: Version) -> frozenset[str] | None: ...


def is_ignored(use: Use, ignore: Collection[str]) -> bool:
    """``--ignore-symbol module:name`` (or ``module``, ``module:*``) lifts a use."""
    return (
        f"{use.module}:{use.name}" in ignore or use.module in ignore or f"{use.module}:*" in ignore
    )


class _Judge:
    def __init__(
        self, facts: Providers, pins: Mapping[NormalizedName, Version], stdlib: Stdlib
    ) -> None:
        self.facts, self.pins, self.stdlib = facts, pins, stdlib
        names = [n for n in pins if n != PROJECT]
        with ThreadPoolExecutor(max_workers=8) as pool:
            found = dict(
                zip(names, pool.map(lambda n: facts.prefixes(n, pins[n]), names), strict=True)
            )
        self.prefixes = {name: frozenset(p) for name, p in found.items()}
        self.by_top: dict[str, list[NormalizedName]] = {}
        for name, prefixes in found.items():
            for prefix in prefixes:
                owners = self.by_top.setdefault(top_level(prefix), [])
                if name not in owners:  # one entry per distribution, however many prefixes
                    owners.append(name)
        self._ranked: dict[str, list[tuple[int, NormalizedName]]] = {}
        self._chosen: dict[tuple[NormalizedName, str], tuple[NormalizedName | None, bool]] = {}
        self._hooks: dict[str, NormalizedName] | None = None
        self._hooks_unknown: list[NormalizedName] = []  # pins whose hooks are not known
        self._cache: dict[tuple[object, ...], Judged] = {}

    def provider_of(
        self, consumer: NormalizedName, module: str
    ) -> tuple[NormalizedName | None, bool]:
        """The pin providing *module* (None: none, or the stdlib's, which comes first on
        ``sys.path``), and whether any pin other than the consumer claims its top-level
        name. Claims tied at ``PREFIX_DEPTH`` go to a pin that has the module."""
        key = (consumer, module)
        found = self._chosen.get(key)
        if found is not None:
            return found
        top = module.split(".")[0]
        if self.stdlib.knows(module) and self.stdlib.module(top).status == "present":
            found = (None, False)  # a backport on the index (asyncio 3.4.3) is shadowed
        else:
            ranked = self._ranked.get(module)
            if ranked is None:  # the claimants of the module, the longest claim first
                owners = self.by_top.get(top, ())
                scored = [(provides(self.prefixes[n], module), i, n) for i, n in enumerate(owners)]
                scored.sort(key=lambda t: (-t[0], t[1]))
                ranked = self._ranked[module] = [(score, n) for score, _, n in scored]
            others = [(sc, n) for sc, n in ranked if n != consumer]
            if not others or not others[0][0]:
                found = (None, bool(others))
            else:
                tied = [n for sc, n in others if sc == others[0][0]]
                best = tied[0]
                if len(tied) > 1:
                    best = next((n for n in tied if self._has(n, module)), best)
                found = (best, True)
        self._chosen[key] = found
        return found

    def _has(self, name: NormalizedName, module: str) -> bool:
        return self.facts.verdict(name, self.pins[name], module, None).status == "present"

    def hook_of(self, module: str) -> NormalizedName | None:
        """The pin whose ``.pth`` import hook serves *module*'s top-level name."""
        if self._hooks is None:
            names = sorted(self.prefixes)
            with ThreadPoolExecutor(max_workers=8) as pool:
                words = list(pool.map(lambda n: self.facts.hooks(n, self.pins[n]), names))
            self._hooks = {}
            self._hooks_unknown = [n for n, w in zip(names, words, strict=True) if w is None]
            for name, served in zip(names, words, strict=True):
                for word in sorted(served or ()):
                    self._hooks.setdefault(word, name)
        return self._hooks.get(module.split(".")[0])

    def judge(self, consumer: NormalizedName, use: Use) -> Judged:
        key = (consumer, use.module, use.name, use.condition, use.alternatives)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._judge(consumer, use)
        return found if found.use is use else replace(found, use=use)

    def _judge(self, consumer: NormalizedName, use: Use) -> Judged:
        held, tested = self.condition(consumer, use)
        if held is False:
            assert use.condition is not None
            why = f"{use.condition.describe()} is false for {tested}"
            return Judged(consumer, use, None, None, tested, why)
        provider, claimed = self.provider_of(consumer, use.module)
        if provider is None:
            judged = self._by_stdlib(consumer, use, claimed)
        else:
            version = self.pins[provider]
            verdict = self.facts.verdict(provider, version, use.module, use.name)
            judged = Judged(consumer, use, provider, verdict, f"{provider} {version}")
        if use.alternatives and self.fallback_is_dead(consumer, use):
            why = "its `try` imports succeed, so this fallback never runs"
            return replace(judged, inactive=why)
        if held is None:
            assert use.condition is not None
            why = f"{use.condition.describe()} cannot be told for {tested}"
            return replace(judged, undecided=why)
        return judged

    def _by_stdlib(self, consumer: NormalizedName, use: Use, claimed: bool) -> Judged:
        if claimed or not self.stdlib.knows(use.module):
            return Judged(consumer, use, None, None)
        via = f"stdlib {self.stdlib.python}"
        verdict = (
            self.stdlib.module(use.module)
            if use.name in (None, "*")
            else self.stdlib.name(use.module, use.name)
        )
        hook = self.hook_of(use.module) if verdict.status == "missing" else None
        if hook is not None:
            label = f"{hook} {self.pins[hook]}"
            present = Verdict.present(f"served by an import hook of {label} (.pth)")
            return Judged(consumer, use, hook, present, f"an import hook of {label}")
        if verdict.status == "missing" and self._hooks_unknown:
            unread = ", ".join(f"{n} {self.pins[n]}" for n in self._hooks_unknown[:3])
            why = f"{verdict.reason}, unless a .pth hook serves it ({unread}: not read offline)"
            return Judged(consumer, use, None, Verdict.unknown(why), via)
        return Judged(consumer, use, None, verdict, via)

    def condition(self, consumer: NormalizedName, use: Use) -> tuple[bool | None, str]:
        """Whether the use's test on a provider holds for that provider as pinned (or as
        the consumer's own module, or the stdlib, has it); None: it cannot be told. And
        what was tested."""
        cond = use.condition
        if cond is None:
            return True, ""
        if cond.kind == "distribution":
            owner: NormalizedName | None = canonicalize_name(cond.module)
            if owner not in self.pins:
                return None, f"{cond.module} (not pinned)"
        else:
            owner, _ = self.provider_of(consumer, cond.module)
            if owner is None and provides(self.prefixes.get(consumer, ()), cond.module):
                owner = consumer  # `mypkg.__version__` in mypkg
        if owner is None:
            return self.stdlib.condition(use), f"stdlib {self.stdlib.python}"
        version = self.pins[owner]
        return holds(self.facts, cond, owner, version), f"{owner} {version}"

    def fallback_is_dead(self, consumer: NormalizedName, use: Use) -> bool:
        """An ``except ImportError:`` import runs only if, at every level, one of the
        ``try`` imports failed."""
        levels: dict[int, bool] = {}
        own = self.prefixes.get(consumer, frozenset())
        for module, name, level in use.alternatives:
            if provides(own, module) and self.provider_of(consumer, module)[0] is None:
                # the consumer's own module (`from ._speedups import x`)
                own_verdict = self.facts.verdict(consumer, self.pins[consumer], module, name)
                ok = own_verdict.status == "present"
            else:
                alt = self.judge(
                    consumer,
                    replace(use, module=module, name=name, alternatives=(), condition=None),
                )
                ok = (
                    alt.inactive is None
                    and alt.verdict is not None
                    and alt.verdict.status == "present"
                )
            levels[level] = levels.get(level, True) and ok
        return any(levels.values())


def judge(
    facts: Providers,
    pins: Mapping[NormalizedName, Version],
    stdlib: Stdlib,
    *,
    consumers: Sequence[NormalizedName] | None = None,
    project_uses: Sequence[Use] = (),
    ignore: Collection[str] = frozenset(),
    soft: bool = False,
    on_progress: Callable[[str], None] = lambda s: None,
) -> list[Judged]:
    """Every use of every consumer (all pins unless *consumers* names some, then the
    project's own code) with its verdict. Only hard uses unless *soft*; never those under
    ``if TYPE_CHECKING:``, nor those *ignore* lifts."""
    court = _Judge(facts, pins, stdlib)
    names = sorted(pins) if consumers is None else list(consumers)
    with ThreadPoolExecutor(max_workers=8) as pool:
        uses = dict(zip(names, pool.map(lambda n: facts.uses(n, pins[n]), names), strict=True))
    if project_uses:
        uses[PROJECT] = list(project_uses)
        names.append(PROJECT)
    out: list[Judged] = []
    for consumer in names:
        on_progress("your code" if consumer == PROJECT else f"{consumer} {pins[consumer]}")
        for use in uses[consumer]:
            if use.guard == "type-checking" or not (use.hard or soft) or is_ignored(use, ignore):
                continue
            out.append(court.judge(consumer, use))
    return out


def find_breaks(
    facts: Providers,
    pins: Mapping[NormalizedName, Version],
    stdlib: Stdlib,
    *,
    ignore: Collection[str] = frozenset(),
    project_uses: Sequence[Use] = (),
    on_progress: Callable[[str], None] = lambda s: None,
) -> tuple[list[Break], int]:
    """Every hard use of every pinned release (and of the project's own code) that its
    locked provider, or the stdlib, lacks. Returns the breaks and the count of unknowns."""
    judged = judge(
        facts, pins, stdlib, ignore=ignore, project_uses=project_uses, on_progress=on_progress
    )
    breaks = [
        Break(
            j.consumer,
            pins.get(j.consumer, Version("0")),
            j.use,
            j.provider,
            pins[j.provider] if j.provider else None,
            j.verdict,
            j.undecided,
        )
        for j in judged
        if j.breaks and j.verdict is not None
    ]
    unknown = sum(1 for j in judged if j.status == "unknown")
    return breaks, unknown


@dataclass
class CompatReport:
    """``symres compat``: one consumer's uses, soft ones too, against the other pins."""

    consumer: str
    pins: list[str]
    python: str
    judged: list[Judged]

    @property
    def checked(self) -> list[Judged]:
        return [j for j in self.judged if j.inactive is None]

    @property
    def inactive(self) -> list[Judged]:
        return [j for j in self.judged if j.inactive is not None]

    @property
    def missing(self) -> list[Judged]:
        return [j for j in self.judged if j.breaks]

    @property
    def unknown(self) -> list[Judged]:
        return [j for j in self.judged if j.status == "unknown"]

    @property
    def not_given(self) -> list[Judged]:
        return [j for j in self.checked if j.verdict is None]


def compat(
    facts: Providers,
    consumer: tuple[NormalizedName, Version],
    others: Sequence[tuple[NormalizedName, Version]],
    stdlib: Stdlib,
) -> CompatReport:
    """A consumer release's uses against an environment made of the *others* plus the
    target's stdlib."""
    pins = {consumer[0]: consumer[1], **dict(others)}
    judged = judge(facts, pins, stdlib, consumers=[consumer[0]], soft=True)
    return CompatReport(
        f"{consumer[0]} {consumer[1]}",
        [f"{n} {v}" for n, v in others],
        stdlib.python,
        judged,
    )
