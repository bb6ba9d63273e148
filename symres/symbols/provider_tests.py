"""The tests a consumer's code makes on its providers, read as a
:class:`~symres.facts.ProviderCondition` that travels with the uses it guards and is
judged per pinned release:

- ``version.parse(x.__version__) >= "2"``, ``Version(x.__version__)``, ``x.__version__``;
- ``importlib.metadata.version("pkg") >= "2"`` (also through ``importlib_metadata`` and
  ``packaging.version.parse``);
- ``hasattr(x, "name")``;
- ``x.NAME >= 2``, ``x.NAME == "a"``, ``x.NAME in ("a", "b")``, ``x.NAME is None``, and a
  bare ``if x.NAME:``: a constant of the provider's module, against a literal;
- a module-level name bound to any of these (``_TORCH_GE_2 = version.parse(torch.__version__)
  >= version.parse("2.0")``, ``_v = importlib.metadata.version("torch")``), then tested.

A branch runs only where its test holds: ``a and x.NAME`` needs ``x.NAME`` (the first
provider test of an ``and``), its ``else`` needs nothing known; ``not`` and ``or`` turn
these around. A test that is only part of the branch's (``a and x.NAME``) can make its
uses inactive, never enforced. Anything else is not a provider test.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import replace

from symres.facts import ProviderCondition
from symres.symbols.conditions import dotted_parts
from symres.symbols.context import _version_literal

_OPS: dict[type[ast.cmpop], str] = {
    ast.GtE: ">=",
    ast.Gt: ">",
    ast.LtE: "<=",
    ast.Lt: "<",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}
_FLIPPED = {">=": "<=", ">": "<", "<=": ">=", "<": ">", "==": "==", "!=": "!="}
_ORDERED = frozenset(_FLIPPED)  # the comparisons a version takes
_METADATA_VERSION = frozenset({"importlib.metadata.version", "importlib_metadata.version"})


# What a test tells of a branch: a test on a provider that holds wherever the branch
# runs (None: none known), and whether it is the whole test (the branch runs wherever
# it holds) or one part of it (`a and x.API >= 2`).
Tested = tuple[ProviderCondition | None, bool]
NOTHING: Tested = (None, False)


class ProviderTests:
    """Reads provider tests in one module. *aliases* is the module's live map of local
    names to the modules (or module attributes) they are bound to; *once*, the names
    the module binds once, by a plain assignment: only those may hold a test."""

    def __init__(self, aliases: Mapping[str, str], once: frozenset[str]) -> None:
        self.aliases = aliases
        self.once = once
        # module-level names holding a test: what it tells where true, and where false
        self.named: dict[str, tuple[Tested, Tested]] = {}
        # names holding a version: (kind, subject, parsed: not a plain string)
        self.versions: dict[str, tuple[str, str, bool]] = {}

    def bind(self, name: str, value: ast.AST) -> None:
        """A module-level ``name = value``."""
        if name not in self.once:
            return
        subject = self.version_subject(value)
        if subject is not None:
            self.versions[name] = subject
            return
        found = (self.condition(value, bare=False), self.negation(value, bare=False))
        if found != (NOTHING, NOTHING):
            self.named[name] = found

    def condition(self, test: ast.AST, *, bare: bool = True) -> Tested:
        """What *test* tells of the branch that runs where it is true; *bare*: a lone
        ``x.NAME`` is a test (an ``if``'s, not an assignment's value)."""
        if isinstance(test, ast.BoolOp):
            if isinstance(test.op, ast.Or):
                return NOTHING
            parts = (self.condition(v, bare=bare)[0] for v in test.values)
            return next(filter(None, parts), None), False
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self.negation(test.operand, bare=bare)
        if isinstance(test, ast.Name) and test.id in self.named:
            return self.named[test.id][0]
        found = self._leaf(test, bare)
        return (found, True) if found else NOTHING

    def negation(self, test: ast.AST, *, bare: bool = True) -> Tested:
        """What *test* tells of the branch that runs where it is false (an ``else``)."""
        if isinstance(test, ast.BoolOp):
            if isinstance(test.op, ast.And):
                return NOTHING
            parts = (self.negation(v, bare=bare)[0] for v in test.values)
            return next(filter(None, parts), None), False
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self.condition(test.operand, bare=bare)
        if isinstance(test, ast.Name) and test.id in self.named:
            return self.named[test.id][1]
        found = self._leaf(test, bare)
        return (replace(found, negate=not found.negate), True) if found else NOTHING

    def _leaf(self, test: ast.AST, bare: bool) -> ProviderCondition | None:
        if isinstance(test, ast.Call) and isinstance(test.func, ast.Name):
            if test.func.id == "hasattr" and len(test.args) == 2:
                attr = test.args[1]
                module = self.module_of(test.args[0])
                if module and isinstance(attr, ast.Constant) and isinstance(attr.value, str):
                    return ProviderCondition(module, "hasattr", value=attr.value)
            return None
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            return self._compare(test.left, _OPS.get(type(test.ops[0])), test.comparators[0])
        if bare and isinstance(test, (ast.Attribute, ast.Name)):
            found = self.constant_of(test)
            if found is not None:
                return ProviderCondition(found[0], "constant", "truthy", name=found[1])
        return None

    def _compare(self, left: ast.AST, op: str | None, right: ast.AST) -> ProviderCondition | None:
        if op is None:
            return None
        if op in _FLIPPED and _literal(left) is not None and _literal(right) is None:
            left, right, op = right, left, _FLIPPED[op]  # `(2, 0) <= x.VERSION`
        subject = self.version_subject(left)
        if subject is not None:
            kind, module, parsed = subject
            value = _version_literal(right)
            # a version as a plain string compares as a string ("1.9" >= "1.10"): not read
            if op not in _ORDERED or value is None or not parsed:
                return None
            return ProviderCondition(module, kind, op, value)  # type: ignore[arg-type]
        found = self.constant_of(left)
        literal = _literal(right)
        if found is None or literal is None:
            return None
        if op in ("is", "is not") and json.loads(literal) not in (None, True, False):
            return None
        if op in ("in", "not in") and not isinstance(json.loads(literal), list):
            return None
        return ProviderCondition(found[0], "constant", op, literal, name=found[1])

    def version_subject(self, node: ast.AST) -> tuple[str, str, bool] | None:
        """What *node* is the version of: ``("version", module, …)`` for
        ``x.__version__``, ``("distribution", name, …)`` for
        ``importlib.metadata.version("name")``, through names bound to one; and whether it
        is parsed (``version.parse(…)``, ``Version(…)``), not compared as a plain string."""
        parsed = False
        for _ in range(3):
            if isinstance(node, ast.Name) and node.id in self.versions:
                kind, subject, was_parsed = self.versions[node.id]
                return kind, subject, parsed or was_parsed
            chain = dotted_parts(node)
            if chain and chain[-1] == "__version__" and len(chain) >= 2:
                module = self.module_of_chain(chain[:-1])
                return ("version", module, parsed) if module else None
            if not (isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords):
                return None
            func = self.module_of(node.func)
            arg = node.args[0]
            if func in _METADATA_VERSION:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    return ("distribution", arg.value, parsed)
                return None
            node, parsed = arg, True
        return None

    def constant_of(self, node: ast.AST) -> tuple[str, str] | None:
        """``(module, NAME)`` for ``x.NAME`` on an imported module ``x``, or a ``NAME``
        imported from one."""
        chain = dotted_parts(node)
        if not chain or chain[-1].startswith("__"):
            return None
        if len(chain) == 1:
            target = self.aliases.get(chain[0])
            if target is None or "." not in target:
                return None
            owner, _, name = target.rpartition(".")
            return owner, name
        module = self.module_of_chain(chain[:-1])
        return (module, chain[-1]) if module else None

    def module_of(self, node: ast.AST) -> str | None:
        chain = dotted_parts(node)
        return self.module_of_chain(chain) if chain else None

    def module_of_chain(self, chain: list[str]) -> str | None:
        base = self.aliases.get(chain[0])
        if base is None:
            return None
        return ".".join([base, *chain[1:]])


def _literal(node: ast.AST) -> str | None:
    """A literal (number, string, None, bool, tuple or list of them) as JSON."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    try:
        return json.dumps(value)
    except (TypeError, ValueError):  # bytes, sets, complex numbers
        return None
