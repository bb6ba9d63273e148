"""The resolvelib provider: policy only. Everything that needs IO is asked of the finder.

Candidates are offered lazily, newest first: a release is a candidate only once its
metadata is read and admits the target Python, so the resolver never backtracks over
``Requires-Python`` — a release that excludes the target, or whose metadata cannot be
read, is simply not offered (:attr:`Provider.excluded` keeps the reason for messages).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from packaging.requirements import Requirement as PackagingRequirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version
from resolvelib import AbstractProvider

from symres.errors import MetadataError, NoSolution
from symres.index.finder import Finder
from symres.index.metadata import CoreMetadata
from symres.index.release import Exclusion, Release
from symres.resolve.dead import DeadEnds
from symres.resolve.model import Candidate, Requirement, identifier_of

Preference = tuple[bool, bool, bool, str]
AHEAD = 8  # releases whose metadata is read at once when backtracking through a project


def split_identifier(identifier: str) -> tuple[NormalizedName, frozenset[str]]:
    name, _, rest = identifier.partition("[")
    extras = frozenset(e for e in rest.rstrip("]").split(",") if e)
    return NormalizedName(name), extras


class Provider(AbstractProvider):  # type: ignore[type-arg]
    """Newest first (oldest first with *resolution* ``lowest``, or for the roots with
    ``lowest-direct``), a kept pin before anything else; pre-releases as PEP 440 has them
    (when a specifier names one, or when nothing else matches) or for every project.

    *constraints* narrow a project without requiring it (``-c`` files, learned
    constraints); *preferred* are the pins of the existing lock to keep; *pre* allows
    pre-releases of every project (``--pre``).
    """

    def __init__(
        self,
        finder: Finder,
        *,
        roots: Iterable[Requirement] = (),
        constraints: Mapping[NormalizedName, Sequence[Requirement]] | None = None,
        preferred: Mapping[NormalizedName, Version] | None = None,
        learned: Mapping[tuple[NormalizedName, Version], Sequence[Requirement]] | None = None,
        pre: bool = False,
        resolution: str = "highest",
        overrides: Mapping[NormalizedName, Sequence[Requirement]] | None = None,
    ) -> None:
        self.finder = finder
        # uv's --overrides: each replaces every requirement on its project, roots' too
        self.overrides = dict(overrides or {})
        self.resolution = resolution  # highest | lowest | lowest-direct (uv's --resolution)
        self.env = finder.target.env
        roots = list(roots)
        self.root_names = frozenset(r.name for r in roots)
        self.constraints = dict(constraints or {})
        self.preferred = dict(preferred or {})
        self.pre = pre
        # Symbol constraints: requirements a consumer release has beyond its metadata.
        self.learned = dict(learned or {})
        # For explanations: the first requirement that brought each project in, and why
        # releases were not offered once their metadata was read.
        self.introduced_by: dict[NormalizedName, Requirement] = {}
        self.excluded: dict[tuple[NormalizedName, Version], Exclusion] = {}
        self.roots: dict[str, list[Requirement]] = {}
        for root in roots:
            self.roots.setdefault(root.identifier, []).append(root)
        # candidates that can never be part of a solution, by identifier and version
        self.dead_ends = DeadEnds(
            self._allowed_if_read, self.roots, self.constraints, self.excluded
        )
        self.dropped: list[str] = []  # dependencies symres cannot follow (direct URLs)
        self._allowed: dict[tuple[NormalizedName, SpecifierSet], frozenset[Version]] = {}
        self._releases: dict[NormalizedName, Mapping[Version, Release]] = {}
        self._tops: dict[NormalizedName, Version] = {}  # the best candidate last offered
        self._read_upto = 0  # how many of the finder's metadata reads have been learned from
        # is_satisfied_by runs for every pin at every round: its answer by requirement
        self._satisfying: dict[int, tuple[Requirement, frozenset[Version]]] = {}

    def identify(self, requirement_or_candidate: Requirement | Candidate) -> str:
        return requirement_or_candidate.identifier

    # -- which project next ---------------------------------------------------------------

    def narrow_requirement_selection(
        self,
        identifiers: Iterable[str],
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[Any]],
        backtrack_causes: Sequence[Any],
    ) -> Iterable[str]:
        """The one identifier :meth:`get_preference` would pick, found in one pass (the
        resolver otherwise asks for a preference of every unpinned project every round)."""
        causes = _cause_names(backtrack_causes)
        best = min(identifiers, key=lambda i: self._preference(i, information, causes))
        return [best]

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[Any]],
        backtrack_causes: Sequence[Any],
    ) -> Preference:
        return self._preference(identifier, information, _cause_names(backtrack_causes))

    def _preference(
        self, identifier: str, information: Mapping[str, Iterator[Any]], causes: frozenset[str]
    ) -> Preference:
        # pip's order, which keeps the classic traps (boto3 / botocore / aiobotocore) short:
        # what a conflict is about first, then pins, then upper-bounded ranges.
        pinned = upper = False
        for info in information[identifier]:
            req = info.requirement
            pinned = pinned or bool(req.exact)
            upper = upper or req.upper_bounded
        return (identifier not in causes, not pinned, not upper, identifier)

    # -- candidates -----------------------------------------------------------------------

    def yanked(self, name: NormalizedName) -> frozenset[Version]:
        project = self.finder.project(name)
        return project.yanked if project else frozenset()

    def releases(self, name: NormalizedName) -> Mapping[Version, Release]:
        found = self._releases.get(name)
        if found is None:
            found = self.finder.releases(name) or {}
            self._releases[name] = found
        return found

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Requirement]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> Callable[[], Iterator[Candidate]]:
        name, extras = split_identifier(identifier)
        reqs = list(requirements[identifier])
        if self.finder.releases(name) is None:
            if name in self.root_names:
                raise NoSolution(
                    f"no index knows a project named `{name}`",
                    hint="check the spelling, or the index (`--index-url`, `PIP_INDEX_URL`)",
                )
            return lambda: iter(())
        releases = self.releases(name)
        reqs += self.constraints.get(name, ())
        bad = {c.version for c in incompatibilities[identifier]}
        exact = frozenset().union(*(r.exact for r in reqs))
        allowed = sorted((self.allowed_versions(name, r.specifier) for r in reqs), key=len)
        pool = allowed[0].intersection(*allowed[1:]) if allowed else frozenset(releases)
        yanked = self.yanked(name)
        versions = [v for v in pool if v not in yanked or v in exact]
        if not self.pre and not any(r.specifier.prereleases for r in reqs):
            finals = [v for v in versions if not v.is_prerelease]
            versions = finals or versions  # pre-releases when nothing else matches (pip)
        lowest = self.resolution == "lowest" or (
            self.resolution == "lowest-direct" and name in self.root_names
        )
        self._learn_read()
        versions = sorted(
            (v for v in versions if v not in bad and not self._is_dead(identifier, name, v)),
            reverse=not lowest,
        )
        keep = self.preferred.get(name)
        if keep is not None and keep in versions:
            versions.remove(keep)
            versions.insert(0, keep)
        if versions:
            self._pushed_down(name, versions[0], releases)
        return lambda: self._viable(name, versions, releases, extras)

    def _pushed_down(
        self, name: NormalizedName, top: Version, releases: Mapping[Version, Release]
    ) -> None:
        """A project whose best candidate steps down release by release is being
        backtracked through (its dependents are trying older releases): read the metadata
        of the next releases now, in parallel, rather than one round trip per round
        later. A best candidate that jumped over releases learned dead has no such need:
        what was learned did the walking, and the release it landed on may well do. (A
        pre-release or a yanked release in between was never offered: no jump, and it is
        not read ahead.)"""
        previous = self._tops.get(name)
        self._tops[name] = top
        if previous is None or top >= previous:
            return
        if any(top < v < previous and self._is_dead(name, name, v) for v in releases):
            return
        # the next releases below, whatever today's requirements admit (a dependent's
        # older release will ask for them: p_i k needs p_{i+1}==k), but not those never
        # offered
        yanked = self.yanked(name)
        pre = self.pre or top.is_prerelease
        below = [
            v for v in releases if v < top and v not in yanked and (pre or not v.is_prerelease)
        ]
        self.finder.prefetch_metadata(releases[v] for v in sorted(below, reverse=True)[:AHEAD])

    def _viable(
        self,
        name: NormalizedName,
        versions: list[Version],
        releases: Mapping[Version, Release],
        extras: frozenset[str],
    ) -> Iterator[Candidate]:
        """The candidates among *versions* (newest first) whose metadata admits the target."""
        identifier = identifier_of(name, extras)
        for i, version in enumerate(versions):
            if i:  # the resolver wants more than the first: it is backtracking here
                self.finder.prefetch_metadata(releases[v] for v in versions[i : i + AHEAD])
            if self._is_dead(identifier, name, version):
                continue  # learned while this list was being tried
            release = releases[version]
            if self.exclusion(release) is None:
                yield Candidate(name, version, extras, release)

    def _is_dead(self, identifier: str, name: NormalizedName, version: Version) -> bool:
        return self.dead_ends.is_dead(identifier, name, version)

    def rejected(self, criterion: Any, candidate: Candidate) -> None:
        """*candidate* was rejected: one of its dependencies clashed (*criterion*)."""
        self.dead_ends.rejected(criterion, candidate)

    def _learn_read(self) -> None:
        """What the releases read since the last call require (of every project, not only
        the one being tried, and any release, not only those the requirements admit now),
        learned before they are tried: a release with no way out is never offered, and
        its dependents read ahead die with it at once (:mod:`symres.resolve.dead`)."""
        read = self.finder.read_since(self._read_upto)
        self._read_upto += len(read)
        for release, meta in read:
            candidate = Candidate(release.name, release.version, frozenset(), release)
            if self.dead_ends.knows(candidate):
                continue
            if self.releases(release.name).get(release.version) is not release:
                continue  # (a project an input names by file replaced what the index has)
            if meta.skipped or self.exclusion(release) is not None:
                continue
            self.dead_ends.learn(candidate, self._dependencies(candidate, meta)[0])

    def exclusion(self, release: Release) -> Exclusion | None:
        """Why the release is not a candidate once its metadata is read, or None."""
        key = (release.name, release.version)
        if key in self.excluded:
            return self.excluded[key]
        try:
            meta = self.finder.metadata(release)
        except MetadataError as err:
            # An old sdist that no longer builds: not a candidate, as if it did not exist.
            self.excluded[key] = Exclusion("metadata", f"is unusable — {err.message}")
            self.dropped.append(f"skipped {release.name} {release.version}: {err.message}")
            return self.excluded[key]
        if meta.skipped:  # as pip and uv: a release whose metadata does not parse is unusable
            self.excluded[key] = Exclusion(
                "invalid",
                f"has invalid metadata: `Requires-Dist: {meta.skipped[0]}` does not parse",
            )
            self.dropped.append(f"skipped {release.name} {release.version}: invalid metadata")
            return self.excluded[key]
        rp = meta.requires_python
        if rp is not None and not rp.contains(self.finder.target.python_full, prereleases=True):
            self.excluded[key] = Exclusion(
                "python", f"needs Python {rp} (the target is {self.finder.target.python_full})"
            )
            return self.excluded[key]
        return None

    def _allowed_if_read(
        self, name: NormalizedName, specifier: SpecifierSet
    ) -> frozenset[Version] | None:
        if name not in self._releases and not self.finder.page_read(name):
            return None  # not worth waiting for: what is learned here is an optimisation
        return self.allowed_versions(name, specifier)

    def allowed_versions(self, name: NormalizedName, specifier: SpecifierSet) -> frozenset[Version]:
        key = (name, specifier)
        found = self._allowed.get(key)
        if found is None:
            found = frozenset(specifier.filter(self.releases(name), prereleases=True))
            self._allowed[key] = found
        return found

    def is_satisfied_by(self, requirement: Requirement, candidate: Candidate) -> bool:
        found = self._satisfying.get(id(requirement))
        if found is None:  # the requirement is kept in the value: its id is not reused
            allowed = self.allowed_versions(candidate.name, requirement.specifier)
            found = self._satisfying[id(requirement)] = (requirement, allowed)
        return candidate.version in found[1]

    # -- dependencies ---------------------------------------------------------------------

    def get_dependencies(self, candidate: Candidate) -> list[Requirement]:
        assert candidate.release is not None
        meta = self.finder.metadata(candidate.release)  # read when it was offered
        deps, urls = self._dependencies(candidate, meta)
        for r in urls:
            self.dropped.append(f"{candidate} depends on `{r.name} @ {r.url}`, not followed")
        for dep in deps:
            self.introduced_by.setdefault(dep.name, dep)
        self.dead_ends.learn(candidate, deps)
        self.finder.prefetch((d.name, d.specifier) for d in deps)
        return deps

    def _dependencies(
        self, candidate: Candidate, meta: CoreMetadata
    ) -> tuple[list[Requirement], list[PackagingRequirement]]:
        """The candidate's requirements in the target's environment (its extras' with
        them), learned and overridden ones included; and those on direct URLs, which
        are not followed."""
        source = f"{candidate.name} {candidate.version}"
        base_env = {**self.env, "extra": ""}
        deps: list[Requirement] = []
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
        urls = [r for r in wanted if r.url]
        deps += (
            Requirement(
                canonicalize_name(r.name),
                r.specifier,
                frozenset(canonicalize_name(e) for e in r.extras),
                source=source,
            )
            for r in wanted
            if not r.url
        )
        if not candidate.extras:
            deps += self.learned.get((candidate.name, candidate.version), ())
        # (an extra's own release pin stays: `a[x]` is `a` of the same version)
        return [d if d.name == candidate.name else self.overridden(d) for d in deps], urls

    def overridden(self, req: Requirement) -> Requirement:
        """*req*, its range replaced by the overrides on its project (all of them hold)."""
        found = self.overrides.get(req.name)
        if not found:
            return req
        spec = SpecifierSet(",".join(str(o.specifier) for o in found if o.specifier))
        where = ", ".join(o.source for o in found)
        return Requirement(
            req.name,
            spec,
            req.extras,
            source=req.source,
            why=f"its own range `{req.specifier or 'any'}` overridden by {where}",
        )


def _cause_names(backtrack_causes: Sequence[Any]) -> frozenset[str]:
    return frozenset(c.requirement.identifier for c in backtrack_causes) | {
        c.parent.identifier for c in backtrack_causes if c.parent is not None
    }
