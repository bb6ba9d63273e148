"""The names a lazy object's constructor arguments hold, read without running them.

``LazyModule(__name__, __file__, import_structure, extra_objects=...)``
(:mod:`symres.symbols.lazymodule`): each argument is a dunder or a flag (no names), a
literal table grown at module level by literal updates only, ``[n for n in dir(mod) if
…]`` over a module of the release, or a structure computed from the package's own file
(the literal ``__all__`` of every module below it). Anything else is not read (None),
and the object stays open.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from symres.symbols.exports import ModuleTable, absolute
from symres.symbols.getattr import Resolver

Tables = Callable[[str], ModuleTable | None]
Below = Callable[[str], list[str]]  # the modules below a package (any depth)


class _Arguments:
    """Names a lazy object's constructor arguments hold; None for one not read."""

    def __init__(
        self, table: ModuleTable, definition: Resolver, tables: Tables, below: Below
    ) -> None:
        self.table = table
        self.definition = definition
        self.tables = tables
        self.below = below
        assert table.tree is not None
        self.tree = table.tree
        self.files = _file_names(table.tree)

    def names(self, node: ast.AST) -> set[str] | None:
        if self._is_file(node) or _is_dunder(node) or isinstance(node, ast.Constant):
            return set()  # __name__, __file__, __spec__, a literal flag
        if isinstance(node, ast.Name):
            return self._built(node.id)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if any(self._is_file(a) for a in node.args) and self._own(node.func.id):
                return self._all_below()
            return None
        return self.value(node)

    def value(self, node: ast.AST) -> set[str] | None:
        """The strings of a literal table: keys, list items, nested tables."""
        if isinstance(node, ast.Constant):
            return {node.value} if isinstance(node.value, str) else set()
        if isinstance(node, ast.Dict):
            out: set[str] = set()
            for k, v in zip(node.keys, node.values, strict=True):
                if k is not None and (key := self.value(k)) is not None:
                    out |= {part for name in key for part in name.split(".")}
                if k is None:
                    return None  # {**other}
                inner = self._object(v)
                if inner is None:
                    return None
                out |= inner
            return out
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            out = set()
            for e in node.elts:
                inner = self.value(e)
                if inner is None:
                    return None
                out |= inner
            return out
        if isinstance(node, ast.ListComp):
            return self._dir_of(node)
        return None

    def _object(self, node: ast.AST) -> set[str] | None:
        """A value in a table: its names if it is a table, none if it is an object
        (``extra_objects={"__version__": __version__}``)."""
        if isinstance(node, ast.Name):
            return self._built(node.id)
        return self.value(node)  # an attribute or a call: not read, so not closed

    def _dir_of(self, node: ast.ListComp) -> set[str] | None:
        """``[n for n in dir(mod) if not n.startswith("_")]``: the public names of *mod*."""
        gen = node.generators[0] if len(node.generators) == 1 else None
        it = gen.iter if gen else None
        if not (
            isinstance(it, ast.Call)
            and isinstance(it.func, ast.Name)
            and it.func.id == "dir"
            and len(it.args) == 1
            and isinstance(it.args[0], ast.Name)
        ):
            return None
        module = self._imported_module(it.args[0].id)
        inner = self.tables(module) if module else None
        if inner is None or inner.open or inner.stars:
            return None
        return {n for n in inner.names if not n.startswith("_")}

    def _imported_module(self, name: str) -> str | None:
        """The module of the release a module-level ``from . import mod`` binds to *name*."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom):
                base = absolute(self.table.module, self.table.is_package, node.level, node.module)
                for alias in node.names:
                    if (alias.asname or alias.name) == name and self.tables(f"{base}.{alias.name}"):
                        return f"{base}.{alias.name}"
        return None

    def _built(self, var: str) -> set[str] | None:
        """A table bound at module level and grown there by literal updates only."""
        out: set[str] = set()
        bound = False
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                if any(isinstance(n, ast.Name) and n.id == var for n in ast.walk(node)):
                    return None  # changed (or read) where this does not follow
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id == var:
                        inner = self.value(node.value)
                        if inner is None:
                            return None
                        out |= inner
                        bound = True
                    elif _root(target) == var:
                        inner = self.value(node.value)
                        key = (
                            self.value(target.slice) if isinstance(target, ast.Subscript) else None
                        )
                        if inner is None or key is None:
                            return None
                        out |= inner | {p for k in key for p in k.split(".")}
            elif isinstance(node, ast.AugAssign) and _root(node.target) == var:
                inner = self.value(node.value)
                if inner is None:
                    return None
                out |= inner
            elif (
                isinstance(node, ast.Call)
                and node is not self.table.swap_call
                and any(isinstance(a, ast.Name) and a.id == var for a in node.args)
            ):
                return None  # handed to a function that may change it
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and _root(node.func.value) == var
            ):
                if node.func.attr not in ("append", "extend", "update", "add", "setdefault"):
                    return None
                for arg in node.args:
                    inner = self.value(arg)
                    if inner is None:
                        return None
                    out |= {p for k in inner for p in k.split(".")}
        return out if bound else None

    def _is_file(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id == "__file__" or node.id in self.files
        return _is_file_expr(node)

    def _own(self, function: str) -> bool:
        found = self.definition(self.table.module, function)
        return found is not None and isinstance(found[0], ast.FunctionDef)

    def _all_below(self) -> set[str] | None:
        """The names of a structure read from the package's files: every module's
        literal ``__all__`` and the modules (a module without one: not read)."""
        if not self.table.is_package:
            return None
        prefix = self.table.module + "."
        out: set[str] = set()
        for module in self.below(self.table.module):
            out |= set(module[len(prefix) :].split("."))
            inner = self.tables(module)
            if inner is None or inner.all is None:  # no literal __all__: not read
                return None
            out |= set(inner.all)
        return out


def _root(node: ast.AST) -> str | None:
    """``x`` of ``x[k]``, ``x[k][j]``, ``x.attr``, ``x[k].extend``."""
    while isinstance(node, (ast.Subscript, ast.Attribute, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_dunder(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id in ("__name__", "__spec__", "__package__")


def _is_file_expr(node: ast.AST) -> bool:
    """``globals()["__file__"]``."""
    return (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "globals"
        and isinstance(node.slice, ast.Constant)
        and node.slice.value == "__file__"
    )


def _file_names(tree: ast.Module) -> set[str]:
    """Module-level names bound to the module's own file (``_file = globals()["__file__"]``)."""
    out = set()
    for node in tree.body:
        if isinstance(node, ast.If):
            for inner in node.body + node.orelse:
                out |= _file_names(ast.Module(body=[inner], type_ignores=[]))
        elif isinstance(node, ast.Assign) and (
            _is_file_expr(node.value)
            or (isinstance(node.value, ast.Name) and node.value.id == "__file__")
        ):
            out |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return out
