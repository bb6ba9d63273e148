"""Explaining why no solution exists: one readable chain per clashing requirement."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from packaging.utils import NormalizedName

from symres.errors import NoSolution
from symres.resolve.model import PYTHON, Requirement


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


def no_solution(
    causes: Collection[Any],
    introduced_by: Mapping[NormalizedName, Requirement],
    python_version: str,
    newest: Mapping[str, str | None],
) -> NoSolution:
    """Build the error for resolvelib's ``ResolutionImpossible.causes``."""
    by_project: dict[str, list[Requirement]] = {}
    for info in causes:
        by_project.setdefault(info.requirement.name, []).append(info.requirement)
    details: list[str] = []
    names = sorted(by_project)
    for name in names:
        reqs = list(dict.fromkeys(by_project[name]))
        if name == PYTHON:
            details.append(f"the target is Python {python_version}, but:")
        elif len(reqs) == 1:
            latest = newest.get(name)
            shown = (
                f" (newest on the index: {latest})"
                if latest
                else " (none on the index for this target)"
            )
            details.append(
                f"no release of `{name}` matches {reqs[0].specifier or 'any version'}{shown}:"
            )
        else:
            details.append(f"no release of `{name}` satisfies all of:")
        for req in reqs:
            details.append("  " + " → ".join(_chain(req, introduced_by)))
    first = names[0] if len(names) == 1 else ", ".join(f"`{n}`" for n in names)
    message = (
        f"no version of `{first}` satisfies the requirements"
        if len(names) == 1
        else f"the requirements on {first} cannot all be satisfied"
    )
    hint = "relax one of the requirements above, or pin the package that brings it in"
    if PYTHON in by_project:
        hint = "lock for another `--python-version`, or pin releases that support this one"
        if any(r.why for r in by_project[PYTHON]):
            hint = "the releases above cannot be built here; pin releases that ship wheels"
    if any(r.why for reqs in by_project.values() for r in reqs):
        hint = (
            "a symbol constraint closed the last way out: allow another release of the "
            "importing package, or overrule one with `--ignore-symbol MODULE:NAME`"
        )
    err = NoSolution(message, hint=hint)
    err.details = details
    return err
