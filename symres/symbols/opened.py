"""The judge's questions answered from releases already opened (local wheels, no
database): what :class:`~symres.symbols.oracle.SymbolOracle` does once it has read a
release."""

from __future__ import annotations

from collections.abc import Iterable

from packaging.utils import NormalizedName
from packaging.version import Version

from symres.facts import Use, Verdict
from symres.symbols.constants import constant_value
from symres.symbols.consumer import read_uses
from symres.symbols.oracle import prefixes_of
from symres.symbols.release import ReleaseSymbols


class Opened:
    """The judge's questions answered from releases already opened (local wheels, no
    database): what :class:`SymbolOracle` does once it has read a release."""

    def __init__(self, releases: Iterable[ReleaseSymbols]) -> None:
        self._by_pin = {(r.name, r.version): r for r in releases}

    def prefixes(self, name: NormalizedName, version: Version) -> list[str]:
        return sorted(prefixes_of(self._by_pin[(name, version)].layout))

    def uses(self, name: NormalizedName, version: Version) -> list[Use]:
        return read_uses(self._by_pin[(name, version)]).uses

    def verdict(
        self, name: NormalizedName, version: Version, module: str, symbol: str | None
    ) -> Verdict:
        release = self._by_pin[(name, version)]
        if symbol in (None, "*"):
            return release.module_verdict(module)
        return release.name_verdict(module, symbol)

    def constant(self, name: NormalizedName, version: Version, module: str, attr: str) -> Verdict:
        return constant_value(self._by_pin[(name, version)], module, attr)

    def hooks(self, name: NormalizedName, version: Version) -> frozenset[str]:
        return frozenset(self._by_pin[(name, version)].hook_strings())
