"""Whether a use's test on its provider (:class:`~symres.facts.ProviderCondition`)
holds for one pinned release: its version, a distribution's version, one of its names,
or the value of one of its module constants. None: it cannot be told."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from symres.compare import OPS, compare
from symres.facts import ProviderCondition
from symres.symbols.oracle import provides

if TYPE_CHECKING:
    from symres.judge.judge import Providers


def holds(
    facts: Providers, cond: ProviderCondition, name: NormalizedName, version: Version
) -> bool | None:
    """Whether *cond* holds where *name* *version* is the release it tests."""
    result: bool
    if cond.kind in ("version", "distribution"):
        try:
            result = OPS[cond.op](version, Version(cond.value))
        except (InvalidVersion, KeyError, TypeError):
            return None
    elif cond.kind == "hasattr":
        verdict = facts.verdict(name, version, cond.module, cond.value)
        if verdict.status == "unknown":
            return None
        result = verdict.status == "present"
    else:
        verdict = facts.constant(name, version, cond.module, cond.name)
        if verdict.status != "present":
            return None
        try:
            result = compare(json.loads(verdict.reason), cond.op, cond.value)
        except (KeyError, TypeError, ValueError):
            return None
    return not result if cond.negate else result


def tests_release(
    facts: Providers, cond: ProviderCondition, name: NormalizedName, version: Version
) -> bool:
    """Whether *cond* is a test on the release *name* *version* (rather than on another
    pin or the stdlib): a distribution's version by its name, the rest by the module."""
    if cond.kind == "distribution":
        return canonicalize_name(cond.module) == name
    return provides(facts.prefixes(name, version), cond.module) > 0
