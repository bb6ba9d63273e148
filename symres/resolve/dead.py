"""Releases that can never be part of a solution, learned as the resolver goes.

A release is *dead* when one of its own requirements, together with what holds in every
state of the resolution (the roots' requirements and the constraints on that project),
admits no release that may still be used: no state can pin it. Its death may leave the
releases that depend on it without a way out, and so on up the graph.

What is learned comes from two places: a candidate the resolver rejected (its dependency
clashed with nothing but root requirements and constraints), and the releases whose
metadata has been read, before the resolver tries them. The second is what keeps a deep
chain short: ``p_i k`` needs ``p_{i+1}==k`` and a constraint caps the last project at
10: the first pass down the chain learns that the last project's releases above 10 are
unusable, the releases read ahead of the resolver above it die with them, and the next
pass goes straight to 10 rather than trying every release in between, one per pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from symres.index.release import Exclusion
from symres.resolve.model import Candidate, Conflict, Requirement

# the versions of a project a specifier admits, or None when its page is not read yet
Allowed = Callable[[NormalizedName, SpecifierSet], "frozenset[Version] | None"]


class DeadEnds:
    def __init__(
        self,
        allowed: Allowed,
        roots: Mapping[str, Sequence[Requirement]],
        constraints: Mapping[NormalizedName, Sequence[Requirement]],
        excluded: Mapping[tuple[NormalizedName, Version], Exclusion],
    ) -> None:
        self._allowed = allowed
        self._roots = roots
        self._constraints = constraints
        self._excluded = excluded  # releases that are not candidates at all (read by us)
        # keyed by identifier and version
        self.dead: dict[tuple[str, Version], Exclusion] = {}
        # who requires each project: (candidate, its requirement on the project), once
        # per candidate (its requirements are asked for every time it is pinned)
        self._dependents: dict[NormalizedName, list[tuple[Candidate, Requirement]]] = {}
        self._known: set[tuple[str, Version]] = set()

    def is_dead(self, identifier: str, name: NormalizedName, version: Version) -> bool:
        return (identifier, version) in self.dead or (name, version) in self.dead

    def knows(self, candidate: Candidate) -> bool:
        return (candidate.identifier, candidate.version) in self._known

    def learn(self, candidate: Candidate, requirements: Sequence[Requirement]) -> None:
        """*candidate* has these *requirements*: remember who depends on what, and whether
        one of them already leaves it no way out."""
        key = (candidate.identifier, candidate.version)
        if key in self._known:
            return
        self._known.add(key)
        for req in requirements:
            if req.name != candidate.name:  # (an extra's pin on its own release)
                self._dependents.setdefault(req.name, []).append((candidate, req))
        for req in requirements:
            if req.name != candidate.name:
                self._check(candidate, req)
                if self.is_dead(candidate.identifier, candidate.name, candidate.version):
                    return

    def rejected(self, criterion: Any, candidate: Candidate) -> None:
        """*candidate* was rejected: one of its dependencies clashed (*criterion*, the
        resolver's record of the requirements on that dependency, now without candidates).
        When the clash involves only the candidate's own requirement and what holds in
        every state, the candidate is dead whatever else is pinned."""
        if criterion.incompatibilities:
            return  # the clash depends on what backtracking excluded: not for every state
        infos = list(criterion.information)
        if any(i.parent is not None and i.parent != candidate for i in infos):
            return
        own = next((i.requirement for i in infos if i.parent is not None), None)
        if own is not None:
            self._check(candidate, own)

    def _check(self, candidate: Candidate, req: Requirement) -> None:
        """Mark *candidate* dead if *req* admits no release that may still be used, and
        follow the deaths up through the dependents (a worklist: chains run deep)."""
        work = [(candidate, req)]
        while work:
            cand, r = work.pop()
            if self.is_dead(cand.identifier, cand.name, cand.version) or self._usable(r):
                continue
            why = Conflict("conflict", self._why(r), requirement=r)
            self.dead[(cand.identifier, cand.version)] = why
            for parent, parent_req in self._dependents.get(cand.name, ()):
                if parent_req.identifier == cand.identifier or not cand.extras:
                    work.append((parent, parent_req))

    def _usable(self, req: Requirement) -> bool:
        """Whether *req*, with the requirements that hold in every state, admits a release
        that is neither dead nor excluded (yes while the project's page is not read)."""
        name = req.name
        pools = []
        for r in (req, *self._roots.get(req.identifier, ()), *self._constraints.get(name, ())):
            pool = self._allowed(name, r.specifier)
            if pool is None:
                return True
            pools.append(pool)
        pools.sort(key=len)
        for version in pools[0].intersection(*pools[1:]):
            if not self.is_dead(req.identifier, name, version) and (
                (name, version) not in self._excluded
            ):
                return True
        return False

    def _why(self, req: Requirement) -> str:
        others = [*self._roots.get(req.identifier, ()), *self._constraints.get(req.name, ())]
        clash = f" together with {', '.join(str(r) for r in others)}" if others else ""
        return f"requires {req}, which no usable release of `{req.name}` matches{clash}"
