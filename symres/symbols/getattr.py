"""Reading a module ``__getattr__`` (PEP 562) without running it.

The common shapes are a chain of ``if name == "X": return …`` or ``raise …``, tests of
``name in TABLE`` against literal tables (possibly imported from a sibling module),
``TABLE.get(name)``, and delegation to a helper (pydantic's ``getattr_migration``) that
tests ``f"{module}:{name}"``. The result says which names it serves, which it raises
for (numpy 2's expired aliases, pydantic's moved ``BaseSettings``), and what happens to
every other name: ``missing`` when the function ends in ``raise`` and nothing in it was
opaque, else ``unknown``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from symres.symbols.shapes import names_in_dict

# (module, name) -> the module-level node bound to that name, and the module it is in
Resolver = Callable[[str, str], tuple[ast.AST, str] | None]


@dataclass
class GetattrFacts:
    served: set[str] = field(default_factory=set)
    raises: set[str] = field(default_factory=set)
    fallback: Literal["missing", "unknown"] = "unknown"


def _literal_names(node: ast.AST | None) -> set[str] | None:
    if node is None:
        return None
    if isinstance(node, ast.Dict):
        keys = {
            k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)
        }
        return keys or names_in_dict(node)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        out = {
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        }
        return out if len(out) == len(node.elts) else None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("set", "frozenset", "tuple", "list")
        and node.args
    ):
        return _literal_names(node.args[0])
    return None


_OPAQUE = tuple(
    getattr(ast, n) for n in ("Try", "TryStar", "For", "While", "With", "Match") if hasattr(ast, n)
)


class _Analysis:
    def __init__(self, target_module: str, resolve: Resolver, depth: int = 0) -> None:
        self.target = target_module  # the module whose attributes are asked for
        self.resolve = resolve
        self.depth = depth
        self.facts = GetattrFacts()
        self.opaque = False

    def table(self, node: ast.AST, home: str) -> set[str] | None:
        """Names in a literal table given by an expression (a literal, a name, ``X.keys()``)."""
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "keys"
        ):
            node = node.func.value
        direct = _literal_names(node)
        if direct is not None:
            return direct
        if isinstance(node, ast.Name):
            found = self.resolve(home, node.id)
            if found is not None:
                return _literal_names(found[0])
        return None

    def strip(self, names: set[str], prefixed: bool) -> set[str]:
        if not prefixed:
            return names
        out = set()
        for n in names:
            mod, sep, attr = n.partition(":")
            if sep and mod == self.target:
                out.add(attr)
        return out

    def test_names(
        self, test: ast.AST, params: set[str], prefixed: set[str], home: str
    ) -> set[str] | None:
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
            out: set[str] = set()
            for v in test.values:
                part = self.test_names(v, params, prefixed, home)
                if part is None:
                    return None
                out |= part
            return out
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
            return None
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if isinstance(op, ast.Eq) and isinstance(left, ast.Constant):
            left, right = right, left
        if not isinstance(left, ast.Name) or left.id not in params | prefixed:
            return None
        is_prefixed = left.id in prefixed
        if (
            isinstance(op, ast.Eq)
            and isinstance(right, ast.Constant)
            and isinstance(right.value, str)
        ):
            return self.strip({right.value}, is_prefixed)
        if isinstance(op, ast.In):
            names = self.table(right, home)
            return None if names is None else self.strip(names, is_prefixed)
        return None

    def function(self, fn: ast.FunctionDef, home: str) -> None:
        if not fn.args.args:
            self.opaque = True
            return
        params = {fn.args.args[0].arg}
        self.block(fn.body, params, set(), home, top=True)

    def block(
        self, stmts: list[ast.stmt], params: set[str], prefixed: set[str], home: str, *, top: bool
    ) -> None:
        for stmt in stmts:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            ):
                var, value = stmt.targets[0].id, stmt.value
                if isinstance(value, ast.JoinedStr) and any(
                    isinstance(v, ast.FormattedValue)
                    and isinstance(v.value, ast.Name)
                    and v.value.id in params
                    for v in value.values
                ):
                    prefixed.add(var)
                elif (
                    isinstance(value, ast.Call)
                    and isinstance(value.func, ast.Attribute)
                    and value.func.attr == "get"
                    and value.args
                    and isinstance(value.args[0], ast.Name)
                    and value.args[0].id in params
                ):
                    names = self.table(value.func.value, home)
                    if names is None:
                        self.opaque = True
                    else:
                        self.facts.served |= names
            elif isinstance(stmt, ast.If):
                names = self.test_names(stmt.test, params, prefixed, home)
                if names is None:
                    self.unknown_branch(stmt.body, params, home)
                else:
                    outcome = _outcome(stmt.body)
                    if outcome == "raise":
                        self.facts.raises |= names - self.facts.served
                    elif outcome == "return":
                        self.facts.served |= names
                self.block(stmt.orelse, params, prefixed, home, top=False)
            elif isinstance(stmt, ast.Return):
                if not self.delegate(stmt.value, params, home):
                    self.opaque = True
                return
            elif isinstance(stmt, ast.Raise):
                if top:
                    self.facts.fallback = "missing"
                return
            elif isinstance(stmt, _OPAQUE):
                self.opaque = True
        if top:
            self.opaque = True  # falls off the end: returns None for every name

    def unknown_branch(self, body: list[ast.stmt], params: set[str], home: str) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Return):
                if not self.delegate(stmt.value, params, home):
                    self.opaque = True
                return
            if isinstance(stmt, ast.Raise):
                return
        self.opaque = True

    def delegate(self, value: ast.AST | None, params: set[str], home: str) -> bool:
        """``return helper(name)``: analyse the helper too. False when it cannot be followed."""
        if not (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and any(isinstance(a, ast.Name) and a.id in params for a in value.args)
        ):
            return False
        if self.depth >= 4:
            return False
        found = self.resolve(home, value.func.id)
        if found is None:
            return False
        node, where = found
        fn = self.function_of(node, where)
        if fn is None:
            return False
        inner = _Analysis(self.target, self.resolve, self.depth + 1)
        inner.function(fn[0], fn[1])
        self.facts.served |= inner.facts.served
        self.facts.raises |= inner.facts.raises
        if inner.opaque or inner.facts.fallback != "missing":
            self.opaque = True
        return True

    def function_of(self, node: ast.AST, where: str) -> tuple[ast.FunctionDef, str] | None:
        if isinstance(node, ast.FunctionDef):
            return node, where
        # helper = factory(__name__): the factory returns an inner function
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            found = self.resolve(where, node.func.id)
            if found and isinstance(found[0], ast.FunctionDef):
                factory, home = found[0], found[1]
                inner = {s.name: s for s in factory.body if isinstance(s, ast.FunctionDef)}
                for s in factory.body:
                    if (
                        isinstance(s, ast.Return)
                        and isinstance(s.value, ast.Name)
                        and s.value.id in inner
                    ):
                        return inner[s.value.id], home
        return None


def _outcome(body: list[ast.stmt]) -> Literal["raise", "return", "through"]:
    """How a branch ends: it raises, it returns (or may: nested branches count as serving,
    the side that never claims ``missing`` wrongly), or it falls through to what follows."""
    for stmt in body:
        if isinstance(stmt, ast.Raise):
            return "raise"
        if isinstance(stmt, (ast.Return, ast.If, ast.Try)):
            return "return"
    return "through"


def analyse_getattr(fn: ast.FunctionDef, module: str, resolve: Resolver) -> GetattrFacts:
    analysis = _Analysis(module, resolve)
    analysis.function(fn, module)
    if analysis.opaque:
        analysis.facts.fallback = "unknown"
    return analysis.facts
