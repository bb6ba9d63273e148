"""The one reading of what a release's modules export: whether ``module`` exists and
whether ``module.name`` is bound there, from the modules' export tables. A release read
from its wheel (:class:`~symres.symbols.release.ReleaseSymbols`) and one whose tables
came from the database (:class:`~symres.symbols.tables.StoredExports`) answer with these
same rules."""

from __future__ import annotations

from abc import ABC, abstractmethod

from symres.facts import Verdict
from symres.symbols.exports import ModuleTable
from symres.symbols.extension import Extension
from symres.symbols.getattr import GetattrFacts
from symres.symbols.stdlib import MODULE_ATTRIBUTES


class ExportRules(ABC):
    """What a release must say of its modules for its verdicts to be read."""

    archive_error: str | None = None  # the archive cannot be read: nothing is known

    @abstractmethod
    def has_module(self, module: str) -> bool: ...

    @abstractmethod
    def table(self, module: str) -> ModuleTable | None: ...

    @abstractmethod
    def getattr_facts(self, table: ModuleTable) -> GetattrFacts | None: ...

    @abstractmethod
    def extension(self, module: str) -> Extension: ...

    def module_verdict(self, module: str) -> Verdict:
        if self.archive_error is not None:
            return Verdict.unknown(f"{self} cannot be read ({self.archive_error})")
        if self.has_module(module):
            return Verdict.present(f"{self} has module `{module}`")
        parts = module.split(".")
        for i in range(len(parts) - 1, 0, -1):
            parent = ".".join(parts[:i])
            if not self.has_module(parent):
                continue
            table = self.table(parent)
            child = parts[i]
            if table is None:
                break
            if table.kind == "namespace":  # shared: the rest may be another distribution's
                return Verdict.unknown(
                    f"`{parent}` is a namespace package in {self}; `{module}` is not its"
                )
            if table.open and not self._files_only(table):
                return Verdict.unknown(f"`{parent}` in {self} is open ({table.open})")
            if child in table.names or child in table.lazy:
                return Verdict.unknown(
                    f"`{parent}.{child}` is a name in {self}, maybe a module alias"
                )
            return Verdict.missing(f"{self} has no module `{module}`")
        return Verdict.missing(f"{self} has no module `{module}`")

    def _files_only(self, package: ModuleTable) -> bool:
        """Whether ``import package.sub`` can find only what the files hold: a module
        ``__getattr__`` answers attribute lookups, not imports; a lazy object put in
        ``sys.modules`` that reads as closed and takes its ``__path__`` from the file
        leaves submodules to the files too."""
        if package.open == "module __getattr__":
            return True
        if package.open == "assigns to sys.modules":
            facts = self.getattr_facts(package)
            return facts is not None and facts.fallback == "missing" and "__path__" in facts.served
        return False

    def name_verdict(self, module: str, name: str) -> Verdict:
        found = self.module_verdict(module)
        if found.status != "present":
            return found
        return self._lookup(module, name, frozenset())

    def _lookup(self, module: str, name: str, seen: frozenset[str]) -> Verdict:
        table = self.table(module)
        if table is None:
            return Verdict.unknown(f"`{module}` is not in {self}")
        if name in MODULE_ATTRIBUTES or (name == "__path__" and table.is_package):
            return Verdict.present(f"`{name}` is an attribute every module has")
        facts = self.getattr_facts(table)
        if facts is not None and name in facts.raises and name not in table.names:
            return Verdict.missing(f"`{module}.__getattr__` in {self} raises for `{name}`")
        if name in table.names:
            return Verdict.present(f"bound in `{module}`")
        if self.has_module(f"{module}.{name}"):
            return Verdict.present(f"submodule `{module}.{name}`")
        if facts is not None and name in facts.served:
            return Verdict.present(f"served by `{module}.__getattr__`")
        if name in table.lazy:
            return Verdict.present(f"listed in a lazy table of `{module}`")
        unknown: str | None = None
        for star in table.stars:
            if star in seen:
                continue
            if not self.has_module(star):
                unknown = unknown or f"`from {star} import *` in `{module}` is outside {self}"
                continue
            inner = self._star(star, name, seen | {module})
            if inner.status == "present":
                return Verdict.present(f"via `from {star} import *` in `{module}`")
            if inner.status == "unknown":
                unknown = unknown or inner.reason
        if table.kind == "ext":
            return self._ext_verdict(module, name)
        if table.open:
            if (
                facts is not None
                and facts.fallback == "missing"
                and table.open == "module __getattr__"
            ):
                return Verdict.missing(f"`{module}.__getattr__` in {self} does not serve `{name}`")
            if (
                facts is not None
                and facts.fallback == "missing"
                and table.open == "assigns to sys.modules"
            ):
                return Verdict.missing(
                    f"`{module}` in {self} is a lazy module whose import structure has no `{name}`"
                )
            return Verdict.unknown(f"`{module}` in {self} is open ({table.open})")
        if unknown:
            return Verdict.unknown(unknown)
        return Verdict.missing(f"{self} has no `{name}` in `{module}`")

    def _star(self, module: str, name: str, seen: frozenset[str]) -> Verdict:
        table = self.table(module)
        if table is None:
            return Verdict.unknown(f"`{module}` is not in {self}")
        if table.all is not None:
            if name not in table.all:
                return Verdict.missing(f"`{name}` not in `{module}.__all__`")
            return Verdict.present(f"in `{module}.__all__`")
        if table.kind == "ext":
            ext = self.extension(module)
            if ext.unknown is not None or ext.may_export("__all__"):
                why = ext.unknown or "it may set `__all__`"
                return Verdict.unknown(f"the C extension `{module}` in {self}: {why}")
            if name.startswith("_"):
                return Verdict.missing("private names are not star-exported")
            beyond = ext.unbounded(name)
            if beyond is not None:
                return Verdict.unknown(f"the C extension `{module}` in {self}: {beyond}")
            if ext.may_export(name):
                return Verdict.present(f"named in the C extension `{module}`")
            return Verdict.missing(f"the C extension `{module}` in {self} names no `{name}`")
        if name.startswith("_"):
            return Verdict.missing("private names are not star-exported")
        return self._lookup(module, name, seen)

    def _ext_verdict(self, module: str, name: str) -> Verdict:
        """A name imported from a C extension without a stub: present where its bytes
        name it; otherwise unknown, since the release's own code may set it on the
        extension (a star import of it is bounded: `_star`)."""
        ext = self.extension(module)
        why = ext.unbounded(name)
        if why is None and ext.may_export(name):
            return Verdict.present(f"named in the C extension `{module}`")
        why = why or f"its bytes do not name `{name}`"
        return Verdict.unknown(f"`{module}` in {self} is a C extension: {why}")
