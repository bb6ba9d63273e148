"""The resolvelib provider: policy only. Everything that needs IO is asked of the finder."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from packaging.requirements import Requirement as PackagingRequirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version
from resolvelib import AbstractProvider

from symres.errors import InputError, MetadataError
from symres.resolve.finder import Finder
from symres.resolve.model import PYTHON, Candidate, Requirement

Preference = tuple[bool, bool, bool, bool, str]


def split_identifier(identifier: str) -> tuple[NormalizedName, frozenset[str]]:
    name, _, rest = identifier.partition("[")
    extras = frozenset(e for e in rest.rstrip("]").split(",") if e)
    return NormalizedName(name), extras


class Provider(AbstractProvider):  # type: ignore[type-arg]
    """Newest first, a kept pin before anything else, pre-releases only when asked for.

    *constraints* narrow a project without requiring it (``-c`` files, learned
    constraints); *preferred* are the pins of the existing lock to keep.
    """

    def __init__(
        self,
        finder: Finder,
        *,
        root_names: Iterable[NormalizedName] = (),
        constraints: Mapping[NormalizedName, Sequence[Requirement]] | None = None,
        preferred: Mapping[NormalizedName, Version] | None = None,
        learned: Mapping[tuple[NormalizedName, Version], Sequence[Requirement]] | None = None,
    ) -> None:
        self.finder = finder
        self.env = finder.target.env
        self.root_names = frozenset(root_names)
        self.root_pins: dict[NormalizedName, set[Version]] = {}
        self.constraints = dict(constraints or {})
        self.preferred = dict(preferred or {})
        # Symbol constraints: requirements a consumer release has beyond its metadata.
        self.learned = dict(learned or {})
        self.python = Candidate(NormalizedName(PYTHON), Version(finder.target.python_full))
        # For explanations: the first requirement that brought each project in.
        self.introduced_by: dict[NormalizedName, Requirement] = {}
        self.dropped: list[str] = []  # dependencies symres cannot follow (direct URLs)
        # find_matches runs again at every step; a specifier's versions are computed once.
        self._allowed: dict[tuple[NormalizedName, SpecifierSet], frozenset[Version]] = {}

    def identify(self, requirement_or_candidate: Requirement | Candidate) -> str:
        return requirement_or_candidate.identifier

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[Any]],
        backtrack_causes: Sequence[Any],
    ) -> Preference:
        infos = list(information[identifier])
        pinned = any(
            spec.operator in ("==", "===") and "*" not in spec.version
            for info in infos
            for spec in info.requirement.specifier
        )
        upper_bounded = any(
            spec.operator in ("<", "<=", "~=") or (spec.operator == "==" and "*" in spec.version)
            for info in infos
            for spec in info.requirement.specifier
        )
        causes = {c.requirement.identifier for c in backtrack_causes} | {
            c.parent.identifier for c in backtrack_causes if c.parent is not None
        }
        # pip's order, which keeps the classic traps (boto3 / botocore / aiobotocore) short:
        # what a conflict is about first, then pins, then upper-bounded ranges.
        return (
            identifier != PYTHON,
            identifier not in causes,
            not pinned,
            not upper_bounded,
            identifier,
        )

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Requirement]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> list[Candidate]:
        reqs = list(requirements[identifier])
        if identifier == PYTHON:
            ok = all(r.allows(self.python.version) for r in reqs)
            return [self.python] if ok else []
        name, extras = split_identifier(identifier)
        releases = self.finder.releases(name)
        if releases is None:
            if name in self.root_names:
                raise InputError(
                    f"no index knows a project named `{name}`",
                    hint="check the spelling, or the index (`--index-url`, `PIP_INDEX_URL`)",
                )
            return []
        reqs += self.constraints.get(name, ())
        bad = {c.version for c in incompatibilities[identifier]}
        exact = {
            Version(spec.version)
            for r in reqs
            for spec in r.specifier
            if spec.operator in ("==", "===") and "*" not in spec.version
        }
        allowed = sorted(
            (self._allowed_versions(name, r.specifier, releases) for r in reqs), key=len
        )
        pool = allowed[0].intersection(*allowed[1:]) if allowed else frozenset(releases)
        versions = [v for v in pool if v not in bad and (not releases[v].yanked or v in exact)]
        if not any(r.specifier.prereleases for r in reqs):
            finals = [v for v in versions if not v.is_prerelease]
            versions = finals or versions
        versions.sort(reverse=True)
        keep = self.preferred.get(name)
        if keep is not None and keep in versions:
            versions.remove(keep)
            versions.insert(0, keep)
        return [Candidate(name, v, extras, releases[v]) for v in versions]

    def _allowed_versions(
        self, name: NormalizedName, specifier: SpecifierSet, releases: Mapping[Version, object]
    ) -> frozenset[Version]:
        key = (name, specifier)
        found = self._allowed.get(key)
        if found is None:
            found = frozenset(specifier.filter(releases, prereleases=True))
            self._allowed[key] = found
        return found

    def is_satisfied_by(self, requirement: Requirement, candidate: Candidate) -> bool:
        if candidate.release is None:  # the target Python
            return requirement.allows(candidate.version)
        releases = self.finder.releases(candidate.name) or {}
        return candidate.version in self._allowed_versions(
            candidate.name, requirement.specifier, releases
        )

    def get_dependencies(self, candidate: Candidate) -> list[Requirement]:
        if candidate.name == PYTHON or candidate.release is None:
            return []
        source = f"{candidate.name} {candidate.version}"
        try:
            meta = self.finder.metadata(candidate.release)
        except MetadataError as err:
            if (
                candidate.name in self.root_names
                and len(self.root_pins.get(candidate.name, ())) == 1
            ):
                raise  # the user asked for exactly this release
            # An old sdist that no longer builds: skip the release, as if it did not exist.
            self.dropped.append(f"skipped {source}: {err.message}")
            return [
                Requirement(
                    NormalizedName(PYTHON),
                    SpecifierSet("<0"),
                    source=source,
                    why=f"its metadata cannot be read ({err.message})",
                )
            ]
        deps: list[Requirement] = []
        if meta.requires_python is not None:
            deps.append(Requirement(NormalizedName(PYTHON), meta.requires_python, source=source))
        base_env = {**self.env, "extra": ""}
        if candidate.extras:
            deps.append(
                Requirement(candidate.name, SpecifierSet(f"=={candidate.version}"), source=source)
            )
            extra_envs = [{**self.env, "extra": e} for e in sorted(candidate.extras)]
            wanted = [
                r
                for r in meta.requires_dist
                if r.marker is not None
                and any(r.marker.evaluate(env) for env in extra_envs)
                and not r.marker.evaluate(base_env)
            ]
        else:
            wanted = [
                r for r in meta.requires_dist if r.marker is None or r.marker.evaluate(base_env)
            ]
        for r in wanted:
            dep = self._requirement(r, source)
            if dep is not None:
                deps.append(dep)
                self.introduced_by.setdefault(dep.name, dep)
        if not candidate.extras:
            deps += self.learned.get((candidate.name, candidate.version), ())
        self.finder.prefetch((d.name, d.specifier) for d in deps if d.name != PYTHON)
        return deps

    def _requirement(self, r: PackagingRequirement, source: str) -> Requirement | None:
        if r.url:
            self.dropped.append(f"{source} depends on `{r.name} @ {r.url}`, not followed")
            return None
        return Requirement(
            canonicalize_name(r.name),
            r.specifier,
            frozenset(canonicalize_name(e) for e in r.extras),
            source=source,
        )
