"""Symbol facts on demand: the database first (user cache, then the shipped snapshot),
then the wheels themselves, with what was mined written back."""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from packaging.utils import NormalizedName
from packaging.version import Version

from symres.db.store import SymbolDB
from symres.errors import InputError
from symres.facts import Use, Verdict
from symres.index.config import strip_auth
from symres.symbols.conditions import TargetFacts
from symres.symbols.constants import constant_value
from symres.symbols.consumer import outside_import_roots, read_uses
from symres.symbols.release import ReleaseSymbols
from symres.symbols.source import ReleaseSource
from symres.symbols.tables import StoredExports, export_tables
from symres.symbols.verdicts import ExportRules

if TYPE_CHECKING:  # the index client (httpx) is imported only where it is used
    from symres.index.finder import Finder
    from symres.symbols.source import Layout
    from symres.target import Target

PREFIX_DEPTH = 3
_HOOKS = ".pth"  # the pseudo-module whose verdict lists what a release's import hooks serve
_CONSTANT = "="  # `=NAME`: the pseudo-symbol whose verdict holds the value of NAME
_T = TypeVar("_T")


# Bumped whenever extraction changes what it finds: facts mined by an older symres are
# then mined again rather than trusted. Uses (what a consumer imports: costly to mine,
# the bulk of the shipped snapshot) and verdicts (what a provider has: a few modules
# read) have a version each, so that a better reading of providers does not throw away
# every consumer's uses. Runtime evidence is kept with the verdicts.
ANALYSIS = 14  # what a consumer imports (uses.py, context.py, …)
EXPORTS_ANALYSIS = 14  # verdicts (exports.py, lazymodule.py, release.py, …)
# (tests/test_analysis_version.py lists the files each reads with, and fails when one
# changes without the version saying whether what is found changed)


def facts_of(target: Target) -> TargetFacts:
    """What the analysis evaluates ``if`` tests with: the target's Python and platform."""
    return TargetFacts(
        python=target.python, sys_platform=target.env["sys_platform"], os_name=target.env["os_name"]
    )


def target_key(facts: TargetFacts, *, verdicts: bool = False) -> str:
    """The key facts are stored under for this target: uses, or ``verdicts``."""
    version = f"e{EXPORTS_ANALYSIS}" if verdicts else f"a{ANALYSIS}"
    return f"{facts.python[0]}.{facts.python[1]}-{facts.sys_platform}-{version}"


NAMESPACE = "/"  # marks a prefix that is a namespace package, shared with other wheels


def prefixes_of(layout: Layout) -> set[str]:
    """The module prefixes a layout claims (to ``PREFIX_DEPTH`` parts); a namespace
    package it only shares is marked (``google/``): it claims that name, not what lies
    beneath it (protobuf's ``google`` says nothing of ``google.cloud``)."""
    out = set()
    for module in layout.modules:
        out.add(".".join(module.split(".")[:PREFIX_DEPTH]))
    for namespace in layout.namespaces:
        if namespace not in out:
            out.add(namespace + NAMESPACE)
    return out


def top_level(prefix: str) -> str:
    return prefix.removesuffix(NAMESPACE).split(".")[0]


def provides(prefixes: Iterable[str], module: str) -> int:
    """How many leading parts of *module* the prefixes claim (0: none)."""
    parts = module.split(".")
    known = prefixes if isinstance(prefixes, (set, frozenset)) else set(prefixes)
    if module + NAMESPACE in known:
        return len(parts)
    for i in range(min(len(parts), PREFIX_DEPTH), 0, -1):
        if ".".join(parts[:i]) in known:
            return i
    return 0


def open_release(
    finder: Finder, name: NormalizedName, version: Version, facts: TargetFacts
) -> ReleaseSymbols:
    """A release's symbols, read from its best wheel for the target (any wheel, else the sdist)."""
    releases = finder.releases(name)
    if releases is None:
        raise InputError(f"no index knows a project named `{name}`", hint="check the spelling")
    release = releases.get(version)
    files = list(release.files) if release else []
    if release is None:
        page = finder.client.project_files(name)
        files = [f for f in (page.everything() if page else []) if f.version == version]
        if not files:
            newest = max(releases) if releases else None
            raise InputError(
                f"`{name}` has no release {version}",
                hint=f"the newest for this target is {newest}" if newest else None,
            )
    wheels = [f for f in files if f.kind == "wheel"]
    chosen = wheels[0] if wheels else files[0]
    return ReleaseSymbols(name, version, ReleaseSource(finder.client, chosen), facts)


class SymbolOracle:
    """Without a *finder* the oracle is offline: what the database lacks is not mined but
    answered as unknown (no uses, no layout, an unknown verdict) and listed in ``misses``."""

    def __init__(
        self,
        finder: Finder | None,
        db: SymbolDB,
        facts: TargetFacts,
        *,
        complete_uses: bool = False,
        import_time_only: bool = False,
    ) -> None:
        """*import_time_only*: load only the uses ``lock`` enforces by default (a quick
        ``check``); the others are not even read."""
        self.complete_uses = complete_uses
        self.import_time_only = import_time_only
        self.misses: set[tuple[str, Version]] = set()
        self.finder = finder
        self.db = db
        self.facts = facts
        self.target = target_key(facts)
        self.verdict_target = target_key(facts, verdicts=True)
        self._releases: dict[tuple[str, Version], ReleaseSymbols] = {}
        self._verdicts: dict[tuple[str, Version], dict[tuple[str, str], Verdict]] = {}
        self._uses: dict[tuple[str, Version], list[Use]] = {}  # for the rounds of one lock
        self._tables: dict[tuple[str, Version], StoredExports | None] = {}
        self._trusted: set[tuple[str, Version]] = set()
        self._lock = threading.Lock()
        self.mined_uses = 0
        self.mined_verdicts = 0

    def release(self, name: NormalizedName, version: Version) -> ReleaseSymbols:
        key = (name, version)
        with self._lock:
            found = self._releases.get(key)
        if found is None:
            assert self.finder is not None, "an offline oracle reads the database only"
            opened = open_release(self.finder, name, version, self.facts)
            with self._lock:
                found = self._releases.setdefault(key, opened)
            if found is opened:
                self._record(name, version, opened)
        return found

    def _record(self, name: NormalizedName, version: Version, opened: ReleaseSymbols) -> None:
        """What opening a release tells the database: the file its facts come from, and
        its layout; an archive that cannot be read leaves nothing (and drops what was)."""
        if opened.archive_error is not None:
            self._forget_facts(name, version)
            return
        dist = opened.source.dist
        if dist is not None:
            origin = urllib.parse.urlsplit(strip_auth(dist.url))
            where = f"{origin.scheme}://{origin.netloc}"
            self.db.put_provenance(name, str(version), dist.filename, dist.sha256, where)
        if self.db.layout(name, str(version)) is None:
            # its layout costs nothing more now, and lets an offline `check` place
            # the verdicts asked of this release (the bisection's neighbours)
            self.db.put_layout(name, str(version), prefixes_of(opened.layout))

    def uses(self, name: NormalizedName, version: Version) -> list[Use]:
        key = (name, version)
        with self._lock:
            known = self._uses.get(key)
        if known is not None:
            return known
        found = self._load_uses(name, version)
        with self._lock:
            self._uses[key] = found
        return found

    def _trust(self, name: NormalizedName, version: Version) -> None:
        """Facts this database mined from a file the index in use does not serve (another
        index's, a mirror's: the same name and version, other bytes) are dropped, once per
        release, before any is read: they are mined again from this index's file."""
        key = (name, version)
        if self.finder is None or key in self._trusted:
            return
        self._trusted.add(key)
        recorded = self.db.provenance(name, str(version))
        if recorded is None or recorded[1] is None:
            return
        releases = self.finder.releases(name)
        release = releases.get(version) if releases else None
        served = {f.sha256 for f in release.hashed if f.sha256} if release else set()
        if served and recorded[1] not in served:
            self._forget_facts(name, version)

    def _load_uses(self, name: NormalizedName, version: Version) -> list[Use]:
        self._trust(name, version)
        cached = self.db.uses(
            name,
            str(version),
            self.target,
            complete=self.complete_uses,
            import_time_only=self.import_time_only,
        )
        if cached is not None:
            return self._as_asked(outside_import_roots(cached))
        if self.finder is None:
            return self._miss(name, version, [])
        self.finder.on_event("mine", f"{name} {version}")
        release = self.release(name, version)
        # a default lock enforces what import runs: the modules it never reaches are not read
        partial = not self.complete_uses
        mined = read_uses(release, cache=self.db, target=self.target, import_time=partial)
        if release.archive_error is not None:  # unreadable, or not the advertised file
            self._forget_facts(name, version)
            return []
        kept = [u for u in mined.uses if u.guard != "type-checking"]  # never runs: not stored
        self.db.put_layout(name, str(version), prefixes_of(release.layout))
        self.db.put_uses(
            name,
            str(version),
            self.target,
            kept,
            filename=release.source.filename,
            files=mined.files,
            unreadable=len(mined.unreadable),
            import_time=partial,
        )
        self.mined_uses += 1
        return self._as_asked(kept)

    def _as_asked(self, uses: list[Use]) -> list[Use]:
        """*uses* as this oracle reads them: without complete uses, those of the modules
        import never reaches are left out — whether or not a complete scan stored them."""
        if self.import_time_only:
            return [u for u in uses if u.import_time]
        return uses if self.complete_uses else [u for u in uses if u.reachable]

    def prefixes(self, name: NormalizedName, version: Version) -> list[str]:
        self._trust(name, version)
        cached = self.db.layout(name, str(version))
        if cached is not None:
            return cached
        if self.finder is None:
            return self._miss(name, version, [])
        release = self.release(name, version)
        prefixes = sorted(prefixes_of(release.layout))
        if release.archive_error is None:
            self.db.put_layout(name, str(version), prefixes)
        return prefixes

    def verdict(
        self, name: NormalizedName, version: Version, module: str, symbol: str | None
    ) -> Verdict:
        def read(release: ExportRules) -> Verdict:
            self.mined_verdicts += 1
            if symbol in (None, "*"):
                return release.module_verdict(module)
            return release.name_verdict(module, symbol)

        return self._answer(name, version, module, symbol or "", read)

    def constant(self, name: NormalizedName, version: Version, module: str, attr: str) -> Verdict:
        """The value of a module constant of the release (``present``, the value as JSON
        its reason), kept with the verdicts as the pseudo-symbol ``=attr``."""
        return self._answer(
            name,
            version,
            module,
            _CONSTANT + attr,
            lambda r: constant_value(r, module, attr),  # type: ignore[arg-type]
        )

    def _stored(self, name: NormalizedName, version: Version) -> StoredExports | None:
        """The release's stored export tables (read once), which answer any name."""
        key = (name, version)
        with self._lock:
            if key in self._tables:
                return self._tables[key]
        blob = self.db.exports(name, str(version), self.verdict_target)
        stored = StoredExports(f"{name} {version}", blob) if blob is not None else None
        with self._lock:
            return self._tables.setdefault(key, stored)

    def store_tables(self, name: NormalizedName, version: Version) -> bool:
        """Read every module of the release and keep its export tables (``db mine``);
        False when its archive cannot be read."""
        if self.db.exports(name, str(version), self.verdict_target) is not None:
            return True
        blob = export_tables(self.release(name, version))
        if blob is None:
            return False
        self.db.put_exports(name, str(version), self.verdict_target, blob)
        return True

    def _answer(
        self,
        name: NormalizedName,
        version: Version,
        module: str,
        symbol: str,
        read: Callable[[ExportRules], Verdict],
    ) -> Verdict:
        """A verdict from the database, else *read* from the release and kept."""
        found = self._known(name, version).get((module, symbol))
        if found is not None:
            return found
        stored = self._stored(name, version)
        if stored is not None and not symbol.startswith(_CONSTANT):
            verdict = read(stored)
            with self._lock:
                self._verdicts.setdefault((name, version), {})[(module, symbol)] = verdict
            return verdict
        if self.finder is None:
            unknown = Verdict.unknown("not in the symbol database (offline)")
            return self._miss(name, version, unknown)
        release = self.release(name, version)
        verdict = read(release)
        self._learn(name, version, release, module, symbol or None, verdict)
        return verdict

    def _known(self, name: NormalizedName, version: Version) -> dict[tuple[str, str], Verdict]:
        """The verdicts the database holds for a release (read once)."""
        key = (name, version)
        with self._lock:
            known = self._verdicts.get(key)
        if known is None:
            self._trust(name, version)
            known = self.db.verdicts_of(name, str(version), self.verdict_target)
            with self._lock:
                known = self._verdicts.setdefault(key, known)
        return known

    def _learn(
        self,
        name: NormalizedName,
        version: Version,
        release: ReleaseSymbols,
        module: str,
        symbol: str | None,
        verdict: Verdict,
    ) -> None:
        if release.archive_error is None:  # an unreadable archive teaches nothing
            self.db.put_verdicts(
                name, str(version), self.verdict_target, [(module, symbol, verdict)]
            )
        with self._lock:
            self._verdicts.setdefault((name, version), {})[(module, symbol or "")] = verdict

    def hooks(self, name: NormalizedName, version: Version) -> frozenset[str] | None:
        """The top-level names an import hook of the release serves, started from a
        ``.pth`` file (setuptools' ``distutils``); None when not known (offline). Kept
        with the verdicts, as the verdict on the pseudo-module ``.pth`` (no module has
        that name): present, the names its reason."""
        verdict = self._known(name, version).get((_HOOKS, ""))
        stored = self._stored(name, version) if verdict is None else None
        if stored is not None:
            return stored.hooks
        if verdict is None:
            if self.finder is None:
                return self._miss(name, version, None)
            release = self.release(name, version)
            verdict = Verdict.present(" ".join(sorted(release.hook_strings())))
            self._learn(name, version, release, _HOOKS, None, verdict)
        return frozenset(verdict.reason.split())

    def _forget_facts(self, name: NormalizedName, version: Version) -> None:
        """Drop a release's facts from the database and what this oracle read of them
        (the opened wheel stays: it is what says the facts are gone)."""
        self.db.forget(name, str(version))
        key = (name, version)
        with self._lock:
            for held in (self._uses, self._verdicts, self._tables):
                held.pop(key, None)

    def forget_release(self, name: NormalizedName, version: Version) -> None:
        """Let go of what this oracle holds of a release (its wheel's bytes among it)."""
        key = (name, version)
        with self._lock:
            for held in (self._releases, self._uses, self._verdicts, self._tables):
                held.pop(key, None)

    @property
    def fetched(self) -> int:
        """Bytes read from the index for the releases opened."""
        with self._lock:
            return sum(r.source.fetched for r in self._releases.values())

    def _miss(self, name: str, version: Version, answer: _T) -> _T:
        with self._lock:
            self.misses.add((name, version))
        return answer
