"""The symbols of one release: its modules' export tables (provider side) and its uses
(consumer side), read lazily from a :class:`ReleaseSource`."""

from __future__ import annotations

import ast
import threading

from packaging.utils import NormalizedName
from packaging.version import Version

from symres.facts import Verdict
from symres.symbols.conditions import TargetFacts
from symres.symbols.exports import ModuleTable, absolute, scan_exports
from symres.symbols.extension import Extension, read_extension
from symres.symbols.getattr import GetattrFacts, analyse_getattr
from symres.symbols.lazymodule import attached, swapped
from symres.symbols.parse import parse
from symres.symbols.source import Layout, ReleaseSource, UnreadableMember, layout_of
from symres.symbols.stdlib import MODULE_ATTRIBUTES


class ReleaseSymbols:
    def __init__(
        self, name: NormalizedName, version: Version, source: ReleaseSource, facts: TargetFacts
    ) -> None:
        self.name = name
        self.version = version
        self.source = source
        self.facts = facts
        self._tables: dict[str, ModuleTable | None] = {}
        self._getattr: dict[str, GetattrFacts] = {}
        self._extensions: dict[str, Extension] = {}
        self.unreadable: dict[str, str] = {}
        # the archive itself cannot be listed: nothing about it is known, nothing missing
        self.archive_error: str | None = None
        try:
            names = source.names()
        except UnreadableMember as exc:
            names, self.archive_error = [], str(exc)
            self.unreadable[source.filename] = str(exc)
        self.layout: Layout = layout_of(names)
        self._lock = threading.RLock()

    def __str__(self) -> str:
        return f"{self.name} {self.version}"

    # -- tables ----------------------------------------------------------------------------

    def table(self, module: str) -> ModuleTable | None:
        with self._lock:
            if module not in self._tables:
                self._tables[module] = self._load(module)
            return self._tables[module]

    def _load(self, module: str) -> ModuleTable | None:
        files = self.layout.modules.get(module)
        if files is None:
            if module in self.layout.namespaces:
                return ModuleTable(module, "namespace", open="namespace package", is_package=True)
            return None
        # A stub describes a C extension (or a .pyi-only module); an extension with a .py
        # beside it is compiled from that source (Cython, mypyc) and read as it; else the
        # runtime module is the .py.
        member = files.pyi if files.ext and files.pyi else files.py or files.pyi
        kind = "py" if member == files.py else "pyi"
        if member is None:
            return ModuleTable(
                module, "ext", open="C extension without a stub", is_package=files.package
            )
        try:
            data = self.source.read(member)
        except UnreadableMember as exc:
            self.unreadable[member] = str(exc)
            return ModuleTable(
                module, "unreadable", open=f"unreadable: {exc}", is_package=files.package
            )
        tree = parse(data, member)
        if isinstance(tree, str):
            self.unreadable[member] = tree
            return ModuleTable(
                module, "unreadable", open=f"{member}: {tree}", is_package=files.package
            )
        return scan_exports(module, tree, is_package=files.package, facts=self.facts, kind=kind)  # type: ignore[arg-type]

    def has_module(self, module: str) -> bool:
        return module in self.layout.modules or module in self.layout.namespaces

    def definition(self, module: str, name: str, depth: int = 0) -> tuple[ast.AST, str] | None:
        """The module-level node bound to *name* in *module* (through imports, a few hops)."""
        table = self.table(module)
        if table is None or table.tree is None or depth > 3:
            return None
        found: tuple[ast.AST, str] | None = None
        for node in _module_level(table.tree.body):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
                found = (node, module)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets
            ):
                found = (node.value, module)
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if (alias.asname or alias.name) == name:
                        source = absolute(module, table.is_package, node.level, node.module)
                        if self.has_module(source):
                            hop = self.definition(source, alias.name, depth + 1)
                            if hop is not None:
                                found = hop
        return found

    def getattr_facts(self, table: ModuleTable) -> GetattrFacts | None:
        """What a module ``__getattr__``, ``attach()`` or the lazy object the module is
        swapped for serves (None: the module has none of them)."""
        if table.getattr_def is None and table.getattr_call is None and table.swap_call is None:
            return None
        with self._lock:
            if table.module not in self._getattr:
                if table.getattr_def is not None:
                    facts = analyse_getattr(table.getattr_def, table.module, self.definition)
                elif table.getattr_call is not None:
                    facts = attached(table.getattr_call, table.module, self.definition)
                else:
                    facts = swapped(table, self.definition, self.table, self._below)
                self._getattr[table.module] = facts
            return self._getattr[table.module]

    def _below(self, package: str) -> list[str]:
        prefix = package + "."
        return sorted(m for m in self.layout.modules if m.startswith(prefix))

    # -- verdicts --------------------------------------------------------------------------

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
            if ext.may_export(name):
                return Verdict.present(f"named in the C extension `{module}`")
            return Verdict.missing(f"the C extension `{module}` in {self} names no `{name}`")
        if name.startswith("_"):
            return Verdict.missing("private names are not star-exported")
        return self._lookup(module, name, seen)

    def extension(self, module: str) -> Extension:
        """What the C extension of *module* can export (read once)."""
        with self._lock:
            found = self._extensions.get(module)
            if found is None:
                member = self.layout.modules[module].ext
                assert member is not None
                try:
                    data = self.source.read(member)
                except UnreadableMember as exc:
                    found = Extension(f"unreadable: {exc}")
                else:
                    found = read_extension(data, self.source.names())
                self._extensions[module] = found
            return found

    def _ext_verdict(self, module: str, name: str) -> Verdict:
        """A name imported from a C extension without a stub: present where its bytes
        name it; otherwise unknown, since the release's own code may set it on the
        extension (a star import of it is bounded: `_star`)."""
        ext = self.extension(module)
        if ext.unknown is None and ext.may_export(name):
            return Verdict.present(f"named in the C extension `{module}`")
        why = ext.unknown or f"its bytes do not name `{name}`"
        return Verdict.unknown(f"`{module}` in {self} is a C extension: {why}")

    def hook_strings(self) -> set[str]:
        """Names mentioned by import hooks that .pth files start (setuptools' distutils)."""
        out: set[str] = set()
        for pth in self.layout.pth_files:
            try:
                text = self.source.read(pth).decode("utf-8", "replace")
            except UnreadableMember:
                continue
            for line in text.splitlines():
                for mod in pth_imports(line):
                    table = self.table(mod)
                    if table is None:
                        continue
                    out |= table.hook_strings
                    for node in ast.walk(table.tree) if table.tree else ():
                        if isinstance(node, ast.FunctionDef) and node.name.startswith("spec_for_"):
                            out.add(node.name[len("spec_for_") :])
        return out


def pth_imports(line: str) -> list[str]:
    """The modules a ``.pth`` line imports. Python runs a line that starts with
    ``import`` as code, all of it: setuptools' is ``import os; …;
    enabled and __import__('_distutils_hack').add_shim()``."""
    if not line.startswith(("import ", "import\t")):
        return []
    try:
        tree = ast.parse(line)
    except (SyntaxError, ValueError):
        return []
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "__import__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            out.append(node.args[0].value)
    return out


def _module_level(stmts: list[ast.stmt]) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for stmt in stmts:
        out.append(stmt)
        if isinstance(stmt, ast.If):
            out += _module_level(stmt.body) + _module_level(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            out += _module_level(stmt.body) + _module_level(stmt.orelse)
            for h in stmt.handlers:
                out += _module_level(h.body)
    return out
