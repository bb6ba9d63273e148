"""Exports: the symbol table of one provider module, read from its source or stub.

A table lists the names bound at module level (every branch, with target-only
conditions evaluated), the star imports to expand, and whether the module is *open*:
names beyond the static ones may exist (a module ``__getattr__``, a replaced
``sys.modules`` entry, writes to ``globals()``, a C extension without a stub). Common
lazy patterns are read, not given up on: literal tables of names (transformers'
``_import_structure``, lazy_loader's ``submod_attrs``, werkzeug 0.x's module swap,
pydantic's ``_dynamic_imports``), and names imported under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Literal

from symres.symbols.conditions import TargetFacts, _dotted, constant, evaluate
from symres.symbols.shapes import (
    is_globals_call,
    is_module_type,
    is_type_checking,
    names_in_dict,
    strings_of,
    sys_modules_uses,
    writes_through_sys_modules,
)

Kind = Literal["py", "pyi", "ext", "namespace", "unreadable"]


@dataclass(frozen=True)
class ModuleTable:
    module: str
    kind: Kind
    names: frozenset[str] = frozenset()
    all: tuple[str, ...] | None = None
    stars: tuple[str, ...] = ()
    lazy: frozenset[str] = frozenset()
    open: str | None = None  # why names beyond the static ones may exist
    getattr_def: ast.FunctionDef | None = field(default=None, compare=False, repr=False)
    getattr_call: ast.Call | None = field(default=None, compare=False, repr=False)
    # `sys.modules[__name__] = <this call>`, the module's only write to sys.modules
    swap_call: ast.Call | None = field(default=None, compare=False, repr=False)
    all_dynamic: bool = False  # `__all__` is bound to something not read as a literal
    tree: ast.Module | None = field(default=None, compare=False, repr=False)
    is_package: bool = False
    hook_strings: frozenset[str] = frozenset()  # string literals of an import hook

    def public(self) -> frozenset[str]:
        """What ``from module import *`` binds, before star expansion."""
        if self.all is not None:
            return frozenset(self.all)
        return frozenset(n for n in self.names | self.lazy if not n.startswith("_"))


def absolute(module: str, is_package: bool, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


class _Scanner:
    def __init__(
        self, module: str, is_package: bool, facts: TargetFacts, stub: bool = False
    ) -> None:
        self.module = module
        self.stub = stub  # PEP 484: a stub re-exports `import x as x` / `from m import y as y` only
        self.stub_private: set[str] = set()
        self.is_package = is_package
        self.facts = facts
        self.names: set[str] = set()
        self.all: list[str] | None = None
        self.all_dynamic = False
        self.stars: list[str] = []
        self.lazy: set[str] = set()
        self.type_checking: set[str] = set()
        self.opens: list[str] = []
        self.getattr_def: ast.FunctionDef | None = None
        self.getattr_call: ast.Call | None = None  # `__getattr__, ... = attach(...)`
        self.swaps: list[ast.Call | None] = []  # writes to sys.modules: the call, if read
        self.read_setattrs: set[int] = set()  # setattr(sys.modules[__name__], "x", ...) read
        self.global_writers: dict[str, int] = {}  # function -> index of the name parameter
        self.consts: dict[str, object] = {}
        self.hook_strings: set[str] = set()

    def _open(self, reason: str) -> None:
        if reason not in self.opens:
            self.opens.append(reason)

    @property
    def open(self) -> str | None:
        return "; ".join(self.opens) or None

    def body(self, stmts: list[ast.stmt], *, typing_only: bool = False) -> None:
        for stmt in stmts:
            self.stmt(stmt, typing_only)

    def bind(self, name: str, typing_only: bool) -> None:
        (self.type_checking if typing_only else self.names).add(name)

    def stmt(self, node: ast.stmt, typing_only: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.bind(node.name, typing_only)
            if node.name == "__getattr__" and isinstance(node, ast.FunctionDef) and not typing_only:
                self.getattr_def = node
                self._open("module __getattr__")
            self._globals_in_function(node)
        elif isinstance(node, ast.ClassDef):
            self.bind(node.name, typing_only)
            if any(is_module_type(b) for b in node.bases) and not typing_only:
                self._open(f"class {node.name} replaces the module object")
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            self._assign(node, typing_only)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                if self.stub and alias.asname != alias.name:
                    self.stub_private.add(bound)
                else:
                    self.bind(bound, typing_only)
        elif isinstance(node, ast.ImportFrom):
            target = absolute(self.module, self.is_package, node.level, node.module)
            for alias in node.names:
                if alias.name == "*":
                    if not typing_only:
                        self.stars.append(target)
                elif self.stub and alias.asname != alias.name:
                    self.stub_private.add(alias.asname or alias.name)
                else:
                    self.bind(alias.asname or alias.name, typing_only)
        elif isinstance(node, ast.If):
            if is_type_checking(node.test):
                self.body(node.body, typing_only=True)
                self.body(node.orelse, typing_only=typing_only)
                return
            verdict = evaluate(node.test, self.facts, self.consts)
            if verdict is not False:
                self.body(node.body, typing_only=typing_only)
            if verdict is not True:
                self.body(node.orelse, typing_only=typing_only)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            self.body(node.body, typing_only=typing_only)  # type: ignore[attr-defined]
            for handler in node.handlers:  # type: ignore[attr-defined]
                if handler.name:
                    self.bind(handler.name, typing_only)
                self.body(handler.body, typing_only=typing_only)
            self.body(node.orelse, typing_only=typing_only)  # type: ignore[attr-defined]
            self.body(node.finalbody, typing_only=typing_only)  # type: ignore[attr-defined]
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self._targets(node.target, typing_only)
            self.body(node.body, typing_only=typing_only)
            self.body(node.orelse, typing_only=typing_only)
        elif isinstance(node, ast.While):
            self.body(node.body, typing_only=typing_only)
            self.body(node.orelse, typing_only=typing_only)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    self._targets(item.optional_vars, typing_only)
            self.body(node.body, typing_only=typing_only)
        elif isinstance(node, ast.Expr):
            self._expr(node.value)
        elif type(node).__name__ == "Match":
            for case in node.cases:  # type: ignore[attr-defined]
                self.body(case.body, typing_only=typing_only)
        if not typing_only:
            self._scan_openers(node)

    def _assign(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign, typing_only: bool) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        for t in targets:
            self._targets(t, typing_only)
            bound = [t] if isinstance(t, ast.Name) else list(getattr(t, "elts", []))
            if not typing_only and any(
                isinstance(b, ast.Name) and b.id == "__getattr__" for b in bound
            ):
                self._open("module __getattr__")
                if isinstance(value, ast.Call):
                    self.getattr_call = value
            if isinstance(t, ast.Name) and t.id == "__all__" and value is not None:
                items = strings_of(value)
                if isinstance(node, ast.AugAssign):
                    if items is not None and self.all is not None:
                        self.all += items
                    else:
                        self.all_dynamic = True
                elif items is not None:
                    self.all = items
                else:
                    self.all_dynamic = True
            if isinstance(t, ast.Name) and value is not None and isinstance(node, ast.Assign):
                result = constant(value, self.facts, self.consts)
                if result is not None:
                    self.consts[t.id] = result
            if isinstance(t, ast.Subscript) and _dotted(t.value) == "sys.modules":
                self._open("assigns to sys.modules")
                own = isinstance(t.slice, ast.Name) and t.slice.id == "__name__"
                self.swaps.append(value if own and isinstance(value, ast.Call) else None)
            if isinstance(t, ast.Subscript) and is_globals_call(t.value):
                self._open("writes globals()")
        if value is not None and isinstance(value, ast.Dict):
            self.lazy.update(names_in_dict(value))
        if value is not None and isinstance(value, ast.Call):
            self._expr(value)

    def _targets(self, node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.Name):
            self.bind(node.id, typing_only)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for e in node.elts:
                self._targets(e, typing_only)
        elif isinstance(node, ast.Starred):
            self._targets(node.value, typing_only)

    def _expr(self, node: ast.AST) -> None:
        """Calls at module level: ``.extend([...])`` on lazy tables, ``attach(...)``,
        ``globals().update(...)``, and dict literals passed as arguments."""
        if not isinstance(node, ast.Call):
            return
        fn = node.func
        if isinstance(fn, ast.Name) and fn.id == "setattr" and node.args:
            target = node.args[0]  # setattr(sys.modules[__name__], NAME, ...): on itself
            if (
                isinstance(target, ast.Subscript)
                and _dotted(target.value) == "sys.modules"
                and isinstance(target.slice, ast.Name)
                and target.slice.id == "__name__"
            ):
                name = node.args[1] if len(node.args) > 1 else None
                if isinstance(name, ast.Constant) and isinstance(name.value, str):
                    self.names.add(name.value)
                    self.read_setattrs.add(id(node))
                else:
                    self._open("sets attributes on itself")
        if isinstance(fn, ast.Attribute) and fn.attr in ("extend", "append", "update", "add"):
            if is_globals_call(fn.value):
                self._open("writes globals()")
            for arg in node.args:
                items = strings_of(arg)
                if items is not None:
                    self.lazy.update(items)
                elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    self.lazy.add(arg.value)
                elif isinstance(arg, ast.Dict):
                    self.lazy.update(names_in_dict(arg))
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(arg, ast.Dict):
                self.lazy.update(names_in_dict(arg))
            items = strings_of(arg)
            if items is not None and any(k.arg == "submodules" for k in node.keywords):
                self.lazy.update(items)

    def _scan_openers(self, node: ast.stmt) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and _dotted(sub) in (
                "sys.meta_path",
                "sys.path_hooks",
            ):
                self._open("installs an import hook")
            elif (
                isinstance(sub, ast.Constant)
                and isinstance(sub.value, str)
                and sub.value.isidentifier()
            ):
                self.hook_strings.add(sub.value)

    def _globals_in_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        declared: set[str] = set()
        params = [a.arg for a in node.args.args]
        for sub in ast.walk(node):
            if isinstance(sub, ast.Global):
                declared.update(sub.names)
            elif (
                isinstance(sub, ast.Subscript)
                and is_globals_call(sub.value)
                and isinstance(sub.ctx, ast.Store)
            ):
                key = sub.slice
                if isinstance(key, ast.Name) and key.id in params:
                    # globals()[name] = ...: the names are the literal arguments of its calls
                    self.global_writers[node.name] = params.index(key.id)
                else:
                    self._open("writes globals()")
            elif (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Attribute)
                and sub.func.attr == "update"
                and is_globals_call(sub.func.value)
            ):
                self._open("writes globals()")
        self.names.update(declared)


def scan_exports(
    module: str, tree: ast.Module, *, is_package: bool, facts: TargetFacts, kind: Kind = "py"
) -> ModuleTable:
    s = _Scanner(module, is_package, facts, stub=kind == "pyi")
    s.body(tree.body)
    if writes_through_sys_modules(tree, s.read_setattrs):
        s._open("sets attributes through sys.modules")
    if s.global_writers:
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
                index = s.global_writers.get(call.func.id)
                if index is None:
                    continue
                arg = call.args[index] if index < len(call.args) else None
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    s.names.add(arg.value)
                else:
                    s._open("writes globals()")
    if s.stub and s.all is not None:
        s.names |= s.stub_private & set(s.all)
    lazy = set(s.lazy)
    if s.open is not None:
        lazy |= s.type_checking  # what a lazy __getattr__ serves is usually listed there
    else:
        lazy = set()
    if kind == "pyi":
        # A stub describes the module: every name it declares exists (TYPE_CHECKING or not).
        s.names |= s.type_checking
    return ModuleTable(
        module=module,
        kind=kind,
        names=frozenset(s.names),
        all=None if s.all_dynamic or s.all is None else tuple(s.all),
        stars=tuple(dict.fromkeys(s.stars)),
        lazy=frozenset(lazy),
        open=s.open,
        getattr_def=s.getattr_def,
        getattr_call=s.getattr_call,
        # a swap read as closed must be the module's only touch of sys.modules: a later
        # `setattr(sys.modules[__name__], k, v)` adds names no table shows
        swap_call=s.swaps[0] if len(s.swaps) == 1 and sys_modules_uses(tree) == 1 else None,
        all_dynamic=s.all_dynamic,
        tree=tree,
        is_package=is_package,
        hook_strings=frozenset(s.hook_strings)
        if "installs an import hook" in s.opens
        else frozenset(),
    )
