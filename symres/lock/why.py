"""``symres why NAME``: why the lock holds this version, and why not a newer one.

Reads the lock (its pins, ``# via`` and ``# symres:`` lines), then asks the index what is
newer and the locked parents' metadata what they allow, so each refused release gets
its reasons: a declared range, a symbol narrowing with the file and line behind it, or
what the newer release itself needs that the lock's other pins rule out (a dependency
pinned outside its range, a ``Requires-Python`` that excludes the target).
"""

from __future__ import annotations

from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

from symres.errors import MetadataError
from symres.index.finder import Finder
from symres.index.release import Release
from symres.lock.lockfile import LockedEntry

KEPT = "allowed; the existing pin was kept (use `--upgrade-package`)"


def explain_facts(
    entry: LockedEntry, entries: dict[NormalizedName, LockedEntry], finder: Finder, limit: int = 12
) -> dict[str, Any]:
    """What ``why`` says, as data: the pin, its parents and narrowings, and the newer
    releases grouped by the reason they are not the pin."""
    facts: dict[str, Any] = {
        "package": entry.name,
        "version": str(entry.version),
        "via": list(entry.via),
        "narrowed": [{"specifier": s, "why": w} for s, w in entry.notes],
        "newer": [],
        "newer_not_shown": 0,
    }
    releases = finder.releases(entry.name) or {}
    newer = sorted((v for v in releases if v > entry.version and not v.is_prerelease), reverse=True)
    limits = _declared(entry, entries, finder) + _narrowed(entry)
    groups: list[dict[str, Any]] = facts["newer"]
    for version in newer[:limit]:
        reasons = [text for text, spec in limits if not spec.contains(version, prereleases=True)]
        reasons = reasons or _held_back(entry.name, releases[version], entries, finder)
        reason = "; ".join(reasons) or KEPT
        if groups and groups[-1]["reason"] == reason:
            groups[-1]["versions"].append(str(version))
        else:
            groups.append({"versions": [str(version)], "reason": reason})
    facts["newer_not_shown"] = max(0, len(newer) - limit)
    return facts


def explain(
    entry: LockedEntry, entries: dict[NormalizedName, LockedEntry], finder: Finder, limit: int = 12
) -> list[str]:
    facts = explain_facts(entry, entries, finder, limit)
    lines = [f"{entry.name} {entry.version}"]
    lines += [f"  via {parent}" for parent in facts["via"]]
    lines += [f"  symres: {n['specifier']} — {n['why']}" for n in facts["narrowed"]]
    if not facts["newer"]:
        lines.append("  it is the newest release for this target")
        return lines
    lines.append("  newer releases:")
    for group in facts["newer"]:
        versions = group["versions"]
        span = versions[0] if len(versions) == 1 else f"{versions[-1]} … {versions[0]}"
        lines.append(f"    {span}: {group['reason']}")
    if facts["newer_not_shown"]:
        lines.append(f"    ({facts['newer_not_shown']} older ones not shown)")
    return lines


def _declared(
    entry: LockedEntry, entries: dict[NormalizedName, LockedEntry], finder: Finder
) -> list[tuple[str, SpecifierSet]]:
    """The ranges the locked parents declare on the package."""
    out = []
    for parent in entry.via:
        parent_entry = None if parent.startswith("-") else entries.get(canonicalize_name(parent))
        if parent_entry is None:
            continue
        release = (finder.releases(parent_entry.name) or {}).get(parent_entry.version)
        if release is None:
            continue
        for req in finder.metadata(release).requires_dist:
            if canonicalize_name(req.name) == entry.name and req.specifier:
                text = f"{parent_entry.name} {parent_entry.version} requires {entry.name}"
                out.append((f"{text}{req.specifier}", req.specifier))
    return out


def _narrowed(entry: LockedEntry) -> list[tuple[str, SpecifierSet]]:
    out = []
    for spec, why in entry.notes:
        try:
            out.append((f"symres {spec}: {why}", SpecifierSet(spec)))
        except InvalidSpecifier:
            continue
    return out


def _held_back(
    name: NormalizedName,
    release: Release,
    entries: dict[NormalizedName, LockedEntry],
    finder: Finder,
) -> list[str]:
    """Why a release every declared range allows is not the pin: what it needs that the
    lock's other pins (or the target) rule out. A release with only an sdist is not
    built for this (that runs its code): it is said so."""
    if not release.wheels and not any(f.has_metadata for f in release.files):
        return ["not checked: only an sdist, whose metadata needs a build"]
    try:
        meta = finder.metadata(release)
    except MetadataError as err:
        return [f"its metadata cannot be read ({err.message})"]
    target = finder.target
    rp = meta.requires_python
    if rp is not None and not rp.contains(target.python_full, prereleases=True):
        return [f"needs Python {rp} (the target is {target.python_full})"]
    env = {**target.env, "extra": ""}
    out = []
    for req in meta.requires_dist:
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        dep = entries.get(canonicalize_name(req.name))
        if dep is None or dep.name == name or not req.specifier:
            continue
        if not req.specifier.contains(dep.version, prereleases=True):
            via = f" (via {', '.join(dep.via)})" if dep.via else ""
            out.append(
                f"needs {dep.name}{req.specifier}, and the lock pins {dep.name} {dep.version}{via}"
            )
    return out
