"""``symres compat``: a consumer release's uses checked against an environment made of
other pinned releases plus the target's standard library."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from symres.errors import InputError
from symres.facts import Use, Verdict
from symres.symbols.conditions import TargetFacts
from symres.symbols.release import ConsumerUses, ReleaseSymbols
from symres.symbols.source import ReleaseSource
from symres.symbols.stdlib import Stdlib
from symres.target import Target

if TYPE_CHECKING:
    from symres.index.finder import Finder

OPS: dict[str, Callable[[Version, Version], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True)
class Checked:
    use: Use
    provider: str | None  # "werkzeug 3.0.0", "stdlib 3.12", or None: no pin provides it
    verdict: Verdict | None

    @property
    def breaks(self) -> bool:
        return self.verdict is not None and self.verdict.status == "missing" and self.use.hard

    @property
    def enforced(self) -> bool:
        """A break that fails the consumer's import, as ``lock`` enforces by default
        (function bodies and unreachable modules: reported, enforced by ``--lazy
        enforce``)."""
        return self.breaks and self.use.import_time


@dataclass
class CompatReport:
    consumer: str
    pins: list[str]
    python: str
    checked: list[Checked] = field(default_factory=list)
    inactive: list[tuple[Use, str]] = field(default_factory=list)
    uses: ConsumerUses | None = None

    @property
    def missing(self) -> list[Checked]:
        return [c for c in self.checked if c.breaks]

    @property
    def unknown(self) -> list[Checked]:
        return [c for c in self.checked if c.verdict is not None and c.verdict.status == "unknown"]

    @property
    def not_given(self) -> list[Checked]:
        return [c for c in self.checked if c.provider is None]


def parse_pin(text: str) -> tuple[NormalizedName, Version]:
    try:
        req = Requirement(text)
        specs = list(req.specifier)
        if len(specs) != 1 or specs[0].operator not in ("==", "==="):
            raise InvalidRequirement("not a pin")
        return canonicalize_name(req.name), Version(specs[0].version)
    except (InvalidRequirement, InvalidVersion):
        raise InputError(
            f"`{text}` is not a pin", hint="write NAME==VERSION, e.g. `flask==2.2.2`"
        ) from None


def facts_of(target: Target) -> TargetFacts:
    return TargetFacts(
        python=target.python, sys_platform=target.env["sys_platform"], os_name=target.env["os_name"]
    )


def open_release(
    finder: Finder, name: NormalizedName, version: Version, facts: TargetFacts
) -> ReleaseSymbols:
    """A release's symbols, read from its best wheel for the target (any wheel, else the sdist)."""
    releases = finder.releases(name)
    if releases is None:
        raise InputError(f"no index knows a project named `{name}`", hint="check the spelling")
    release = releases.get(version)
    files = list(release.files) if release else []
    if release is None:
        page = finder.client.project_files(name)
        files = [f for f in (page.everything() if page else []) if f.version == version]
        if not files:
            newest = max(releases) if releases else None
            raise InputError(
                f"`{name}` has no release {version}",
                hint=f"the newest for this target is {newest}" if newest else None,
            )
    wheels = [f for f in files if f.kind == "wheel"]
    chosen = wheels[0] if wheels else files[0]
    return ReleaseSymbols(name, version, ReleaseSource(finder.client, chosen), facts)


def _condition_holds(use: Use, provider: ReleaseSymbols) -> bool | None:
    cond = use.condition
    if cond is None:
        return True
    if cond.kind == "version":
        try:
            result = OPS[cond.op](provider.version, Version(cond.value))
        except (InvalidVersion, KeyError):
            return None
    else:
        verdict = provider.name_verdict(cond.module, cond.value)
        if verdict.status == "unknown":
            return None
        result = verdict.status == "present"
    return not result if cond.negate else result


def _fallback_is_dead(use: Use, providers: Sequence[ReleaseSymbols], stdlib: Stdlib) -> bool:
    levels: dict[int, bool] = {}
    for module, name, level in use.alternatives:
        levels.setdefault(level, True)
        best = max(providers, key=lambda p: p.layout.provides(module), default=None)
        if best is not None and best.layout.provides(module):
            verdict = (
                best.module_verdict(module)
                if name in (None, "*")
                else best.name_verdict(module, name)
            )
        elif stdlib.knows(module):
            verdict = stdlib.module(module) if name in (None, "*") else stdlib.name(module, name)
        else:
            levels[level] = False
            continue
        levels[level] = levels[level] and verdict.status == "present"
    return any(levels.values())


def check(
    consumer: ReleaseSymbols,
    providers: Sequence[ReleaseSymbols],
    stdlib: Stdlib,
    uses: ConsumerUses | None = None,
) -> CompatReport:
    uses = uses or consumer.uses()
    report = CompatReport(str(consumer), [str(p) for p in providers], stdlib.python, uses=uses)
    hooks: dict[str, ReleaseSymbols] = {}
    for p in providers:
        for word in p.hook_strings():
            hooks.setdefault(word, p)
    for use in uses.uses:
        if use.guard == "type-checking":
            continue
        best = max(providers, key=lambda p: p.layout.provides(use.module), default=None)
        provider = best if best is not None and best.layout.provides(use.module) else None
        if provider is None:
            top = use.module.split(".")[0]
            if top in hooks:
                report.checked.append(
                    Checked(
                        use,
                        str(hooks[top]),
                        Verdict.present(f"served by an import hook of {hooks[top]} (.pth)"),
                    )
                )
            elif stdlib.knows(use.module) and stdlib.condition(use) is False:
                report.inactive.append((use, "its test on the stdlib is false for this Python"))
            elif stdlib.knows(use.module) and _fallback_is_dead(use, providers, stdlib):
                report.inactive.append(
                    (use, "its `try` imports succeed, so this fallback never runs")
                )
            elif stdlib.knows(use.module):
                verdict = (
                    stdlib.module(use.module)
                    if use.name in (None, "*")
                    else stdlib.name(use.module, use.name)
                )
                report.checked.append(Checked(use, f"stdlib {stdlib.python}", verdict))
            else:
                report.checked.append(Checked(use, None, None))
            continue
        holds = _condition_holds(use, provider)
        if holds is False:
            report.inactive.append(
                (
                    use,
                    f"{use.condition.describe() if use.condition else ''} is false for {provider}",
                )
            )
            continue
        if use.name in (None, "*"):
            verdict = provider.module_verdict(use.module)
        else:
            verdict = provider.name_verdict(use.module, use.name)
        if verdict.status == "missing" and _fallback_is_dead(use, providers, stdlib):
            report.inactive.append((use, "its `try` imports succeed, so this fallback never runs"))
            continue
        report.checked.append(Checked(use, str(provider), verdict))
    return report
