"""``symres why NAME``: why the lock holds this version, and why not a newer one.

Reads the lock (its pins, ``# via`` and ``# symres:`` lines), then asks the index what is
newer and the locked parents' metadata what they allow, so each refused release gets
its reasons: a declared range, or a symbol narrowing with the file and line behind it.
"""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from symres.lock.lockfile import LockedEntry
from symres.resolve.finder import Finder


def explain(
    entry: LockedEntry, entries: dict[NormalizedName, LockedEntry], finder: Finder, limit: int = 12
) -> list[str]:
    lines = [f"{entry.name} {entry.version}"]
    for parent in entry.via:
        lines.append(f"  via {parent}")
    for spec, why in entry.notes:
        lines.append(f"  symres: {spec} — {why}")
    releases = finder.releases(entry.name) or {}
    newer = sorted((v for v in releases if v > entry.version and not v.is_prerelease), reverse=True)
    if not newer:
        lines.append("  it is the newest release for this target")
        return lines
    declared: list[tuple[str, SpecifierSet]] = []
    for parent in entry.via:
        parent_entry = (
            entries.get(canonicalize_name(parent)) if not parent.startswith("-") else None
        )
        if parent_entry is None:
            continue
        release = (finder.releases(parent_entry.name) or {}).get(parent_entry.version)
        if release is None:
            continue
        for req in finder.metadata(release).requires_dist:
            if canonicalize_name(req.name) == entry.name and req.specifier:
                declared.append(
                    (
                        f"{parent_entry.name} {parent_entry.version} requires "
                        f"{entry.name}{req.specifier}",
                        req.specifier,
                    )
                )
    notes = []
    for spec, why in entry.notes:
        try:
            notes.append((f"symres {spec}: {why}", SpecifierSet(spec)))
        except InvalidSpecifier:
            continue
    lines.append("  newer releases:")
    groups: list[tuple[list[Version], str]] = []
    for version in newer[:limit]:
        reasons = [
            text
            for text, spec in [*declared, *notes]
            if not spec.contains(version, prereleases=True)
        ]
        reason = (
            "; ".join(reasons) or "allowed; the existing pin was kept (use `--upgrade-package`)"
        )
        if groups and groups[-1][1] == reason:
            groups[-1][0].append(version)
        else:
            groups.append(([version], reason))
    for versions, reason in groups:
        span = str(versions[0]) if len(versions) == 1 else f"{versions[-1]} … {versions[0]}"
        lines.append(f"    {span}: {reason}")
    if len(newer) > limit:
        lines.append(f"    ({len(newer) - limit} older ones not shown)")
    return lines
