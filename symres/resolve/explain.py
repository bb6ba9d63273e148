"""Explaining why no solution exists: the real cause in one line, then the chains.

When no release of a project can be used, the message names why for the releases the
requirements allow — a Requires-Python that excludes the target, a yanked release, no
file for the target's tags, a file-kind policy, unreadable metadata (a failed sdist
build), a pre-release, or a symbol break — with a hint for that cause. When releases
exist but the requirements on a project clash, each clashing requirement is shown with
the chain that brought it in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.utils import NormalizedName
from packaging.version import Version

from symres.errors import NoSolution
from symres.index.release import Exclusion
from symres.resolve.model import Conflict, Requirement
from symres.resolve.provider import Provider

HINTS = {
    "python": "lock for a `--python-version` those releases support, or allow older releases "
    "of `{name}`",
    "yanked": "a yanked release is used only when pinned with `==`; pin it, or allow another "
    "release of `{name}`",
    "tags": "lock for a target those files support (`--platform`, `--python-version`), or "
    "allow another release of `{name}`",
    "format": "let `{name}` be installed from the files it has (`--only-binary`, `--no-binary`)",
    "prerelease": "allow pre-releases with `--pre`, or name one in the specifier (`{name}>=X.YbN`)",
    "symbols": "allow another release of `{name}`, or overrule the check with "
    "`--ignore-symbol {overrule}`",
    "metadata": "pin a release of `{name}` that ships a wheel for the target, or fix its build",
    "conflict": "relax one of those requirements, or allow other releases of `{name}`",
    "newer": "move `--exclude-newer` later, or allow an older release of `{name}`",
    "invalid": "allow another release of `{name}`: pip and uv refuse this metadata too",
}


def _step(req: Requirement) -> str:
    text = f"{req.source} requires {req}" if " " in req.source else f"{req.source}: {req}"
    return f"{text} (symres: {req.why})" if req.why else text


def _chain(req: Requirement, introduced_by: Mapping[NormalizedName, Requirement]) -> list[str]:
    """From a root line down to *req*, e.g. ``requirements.in:1: flask==2.2.2``, then
    ``flask 2.2.2 requires werkzeug>=2.2.2``."""
    steps = [_step(req)]
    seen = set()
    source = req.source
    while " " in source and len(steps) < 8:
        parent_name = NormalizedName(source.split(" ", 1)[0])
        if parent_name in seen or parent_name not in introduced_by:
            break
        seen.add(parent_name)
        parent = introduced_by[parent_name]
        steps.append(_step(parent))
        source = parent.source
    return list(reversed(steps))


def why_not(
    provider: Provider, name: NormalizedName, reqs: Sequence[Requirement]
) -> list[tuple[Version, Exclusion]]:
    """For each version on the index that *reqs* allow, newest first, why it is not a
    candidate; empty when none of them is excluded for a reason of its own."""
    project = provider.finder.project(name)
    if project is None:
        return []
    constraints = list(provider.constraints.get(name, ()))
    declared = [r for r in reqs if r.why is None]
    exact = frozenset().union(*(r.exact for r in declared))
    every = sorted({*project.releases, *project.excluded}, reverse=True)
    allowed = [v for v in every if all(r.allows(v) for r in declared)]
    wants_pre = provider.pre or any(r.specifier.prereleases for r in declared)
    has_final = any(not v.is_prerelease for v in allowed if v in project.releases)
    out: list[tuple[Version, Exclusion]] = []
    for v in allowed:
        release = project.releases.get(v)
        if release is None:
            out.append((v, project.excluded[v]))
            continue
        if release.yanked and v not in exact:
            why = f" ({release.yanked_reason})" if release.yanked_reason else ""
            out.append((v, Exclusion("yanked", f"is yanked{why}")))
            continue
        if v.is_prerelease and not wants_pre and has_final:
            out.append((v, Exclusion("prerelease", "is a pre-release")))
            continue
        refused = [r for r in (*constraints, *reqs) if r.why and not r.allows(v)]
        if refused:
            why = f"is refused by symres: {refused[0].why}"
            out.append((v, Exclusion("symbols", why, refused[0].overrule)))
            continue
        if any(not r.allows(v) for r in constraints):
            return []  # a constraint file's range: a clash the chains show
        found = provider.excluded.get((name, v)) or provider.dead_ends.dead.get((name, v))
        if found is None:
            return []  # a usable release: the clash is between requirements, not here
        out.append((v, found))
    return out


@dataclass(frozen=True)
class _Cause:
    """A requirement as resolvelib's causes carry it (its parent is not needed here)."""

    requirement: Requirement
    parent: None = None


def _summary(name: NormalizedName, reasons: list[tuple[Version, Exclusion]]) -> list[str]:
    """One line per run of releases with the same reason, newest first (three at most)."""
    groups: list[tuple[list[Version], Exclusion]] = []
    for version, exclusion in reasons:
        if groups and groups[-1][1] == exclusion:
            groups[-1][0].append(version)
        else:
            groups.append(([version], exclusion))
    lines = []
    for versions, exclusion in groups[:3]:
        span = (
            f"{name} {versions[0]}"
            if len(versions) == 1
            else f"{name} {versions[-1]} … {versions[0]} ({len(versions)} releases)"
        )
        lines.append(f"{span} {exclusion.reason}")
    if len(groups) > 3:
        lines.append(f"… and {sum(len(g[0]) for g in groups[3:])} older releases")
    return lines


def no_solution(causes: Collection[Any], provider: Provider, depth: int = 0) -> NoSolution:
    """Build the error for resolvelib's ``ResolutionImpossible.causes``."""
    by_project: dict[NormalizedName, list[Requirement]] = {}
    for info in causes:
        by_project.setdefault(info.requirement.name, []).append(info.requirement)
    names = sorted(by_project)
    for name in names:  # a project none of whose allowed releases can be used
        reqs = list(dict.fromkeys(by_project[name]))
        declared = [r for r in reqs if r.why is None] or reqs
        reasons = why_not(provider, name, declared)
        if not reasons:
            continue
        why = reasons[0][1]
        clash = why.requirement if isinstance(why, Conflict) else None
        if clash is not None and depth < 50 and all(e.kind == "conflict" for _, e in reasons):
            # every release was learned dead before it was tried: the clash is on what the
            # newest of them requires; explain that, as if the resolver had tried it
            roots = provider.roots.get(clash.identifier, ())
            deeper = [_Cause(clash), *(_Cause(r) for r in roots)]
            return no_solution(deeper, provider, depth + 1)
        lines = _summary(name, reasons)
        spec = ", ".join(str(r.specifier) for r in declared if r.specifier) or "any version"
        err = NoSolution(
            f"no release of `{name}` matching {spec} can be used: {lines[0]}",
            hint=HINTS[reasons[0][1].kind].format(
                name=name, overrule=reasons[0][1].overrule or "MODULE:NAME"
            ),
        )
        chains = ["  " + " → ".join(_chain(r, provider.introduced_by)) for r in reqs]
        err.details = [*lines[1:], *chains]
        if reasons[0][1].kind == "metadata":
            err.exit_code = 2  # the environment failed (a build), not the requirements
        return err
    details: list[str] = []
    single = None
    for name in names:
        reqs = list(dict.fromkeys(by_project[name]))
        if len(reqs) == 1:
            project = provider.finder.project(name)
            newest = project.newest if project else None
            shown = f" (newest on the index: {newest})" if newest else " (none on the index)"
            single = f"no release of `{name}` matches {reqs[0].specifier or 'any version'}{shown}"
            if project is None:
                single = f"no index knows a project named `{name}`"
            details.append(f"{single}:")
        else:
            details.append(f"no release of `{name}` satisfies all of:")
        for req in reqs:
            details.append("  " + " → ".join(_chain(req, provider.introduced_by)))
        for con in provider.constraints.get(name, ()):
            if con.why is None:
                details.append(f"  {con.source}: constraint {con}")
    first = names[0] if len(names) == 1 else ", ".join(f"`{n}`" for n in names)
    message = (
        f"no version of `{first}` satisfies the requirements"
        if len(names) == 1
        else f"the requirements on {first} cannot all be satisfied"
    )
    if single is not None and len(details) == 2:  # one requirement on one project: say it
        message, details = single, details[1:]
    hint = "relax one of the requirements above, or pin the package that brings it in"
    if single is not None and len(details) == 1:
        hint = "relax the requirement, or lock against an index that has it (`--index-url`)"
    if any(r.why for reqs in by_project.values() for r in reqs):
        hint = (
            "a symbol constraint closed the last way out: allow another release of the "
            "importing package, or overrule one with `--ignore-symbol MODULE:NAME`"
        )
    err = NoSolution(message, hint=hint)
    err.details = details
    return err
