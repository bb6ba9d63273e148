"""``symres why NAME``: why the lock holds this version, and why not a newer one.

Reads the lock (its pins, ``# via`` and ``# symres:`` lines), then asks the index what is
newer and the locked parents' metadata what they allow, so each refused release gets
its reasons: a declared range, or a symbol narrowing with the file and line behind it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from symres.errors import InputError
from symres.resolve.finder import Finder

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
_NOTE = re.compile(r"^\s+# symres: (\S+) — (.*)$")


@dataclass
class LockedEntry:
    name: NormalizedName
    version: Version
    via: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (specifier, why)


def read_lock(path: Path) -> dict[NormalizedName, LockedEntry]:
    """Pins, via and symres notes of a requirements.txt written by symres or pip-compile."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot read the lock `{path}` ({exc.strerror})",
            hint="pass the lock file with `--lock FILE`",
        ) from None
    entries: dict[NormalizedName, LockedEntry] = {}
    current: LockedEntry | None = None
    in_via = False
    for line in text.splitlines():
        if m := _PIN.match(line):
            try:
                current = LockedEntry(
                    canonicalize_name(m.group(1)), Version(m.group(2).rstrip("\\ "))
                )
            except InvalidVersion:
                current = None
                continue
            entries[current.name] = current
            in_via = False
        elif current is None:
            continue
        elif n := _NOTE.match(line):
            current.notes.append((n.group(1), n.group(2)))
            in_via = False
        elif line.strip().startswith("# via"):
            rest = line.strip()[len("# via") :].strip()
            if rest:
                current.via.append(rest)
            in_via = not rest
        elif in_via and line.strip().startswith("#   "):
            current.via.append(line.strip()[4:].strip())
    return entries


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
