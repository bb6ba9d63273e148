"""The symbols of one release: its modules' export tables (provider side) and its uses
(consumer side), read lazily from a :class:`ReleaseSource`."""

from __future__ import annotations

import ast
import threading

from packaging.utils import NormalizedName
from packaging.version import Version

from symres.symbols.conditions import TargetFacts
from symres.symbols.exports import ModuleTable, absolute, scan_exports
from symres.symbols.extension import Extension, read_extension
from symres.symbols.getattr import GetattrFacts, analyse_getattr
from symres.symbols.lazymodule import attached, swapped
from symres.symbols.parse import parse
from symres.symbols.source import Layout, ReleaseSource, UnreadableMember, layout_of
from symres.symbols.verdicts import ExportRules


class ReleaseSymbols(ExportRules):
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

    def let_go(self) -> None:
        """Forget the modules read so far (their parsed trees are large); a module asked
        again is read again. What was learnt from them (``__getattr__`` facts, C
        extensions) is kept."""
        with self._lock:
            self._tables.clear()

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
