"""Evaluating `if` tests that depend on the target only: ``sys.version_info``,
``sys.platform``, ``os.name``, ``platform.system()``, six's ``PY2``/``PY3``, and module
constants assigned from them (``py3k = sys.version_info >= (3, 0)``).

Each function returns True, False, or None when the test is not about the target.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_CMP: dict[type[ast.cmpop], Any] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_SYSTEM = {"linux": "Linux", "darwin": "Darwin", "win32": "Windows"}


@dataclass(frozen=True)
class TargetFacts:
    """What conditions may ask about the target."""

    python: tuple[int, int]
    sys_platform: str = "linux"
    os_name: str = "posix"

    @property
    def version_info(self) -> tuple[int, int, int, str, int]:
        return (self.python[0], self.python[1], 0, "final", 0)


_NOT_TARGET = object()


def dotted_parts(node: ast.AST) -> list[str] | None:
    """``a.b.c`` as ["a", "b", "c"]; None for anything but names and attributes."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return list(reversed(parts))
    return None


def _dotted(node: ast.AST) -> str | None:
    parts = dotted_parts(node)
    return ".".join(parts) if parts is not None else None


def _value(node: ast.AST, facts: TargetFacts, consts: Mapping[str, object]) -> Any:
    """The value of a target-only expression, or _NOT_TARGET."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple):
        items = [_value(e, facts, consts) for e in node.elts]
        return _NOT_TARGET if any(i is _NOT_TARGET for i in items) else tuple(items)
    name = _dotted(node)
    if name is not None:
        if name in ("sys.version_info",):
            return facts.version_info
        if name in ("sys.version_info.major",):
            return facts.python[0]
        if name in ("sys.version_info.minor",):
            return facts.python[1]
        if name == "sys.platform":
            return facts.sys_platform
        if name == "os.name":
            return facts.os_name
        if name in ("six.PY2", "PY2"):
            return consts.get(name, facts.python[0] == 2)
        if name in ("six.PY3", "PY3"):
            return consts.get(name, facts.python[0] == 3)
        if name in consts:
            return consts[name]
        return _NOT_TARGET
    if isinstance(node, ast.Subscript):
        base = _value(node.value, facts, consts)
        if not isinstance(base, tuple):
            return _NOT_TARGET
        s = node.slice
        if isinstance(s, ast.Slice):
            lo = _value(s.lower, facts, consts) if s.lower else None
            hi = _value(s.upper, facts, consts) if s.upper else None
            if lo is _NOT_TARGET or hi is _NOT_TARGET:
                return _NOT_TARGET
            return base[lo:hi]
        idx = _value(s, facts, consts)
        return base[idx] if isinstance(idx, int) and -len(base) <= idx < len(base) else _NOT_TARGET
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        fn = _dotted(node.func)
        if fn == "platform.system":
            return _SYSTEM.get(facts.sys_platform, facts.sys_platform)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        base = _value(node.func.value, facts, consts)
        if isinstance(base, str) and node.func.attr == "startswith" and len(node.args) == 1:
            arg = _value(node.args[0], facts, consts)
            if isinstance(arg, (str, tuple)):
                return base.startswith(arg)
    return _NOT_TARGET


def _compare(
    a: ast.AST, op_node: ast.cmpop, b: ast.AST, facts: TargetFacts, consts: Mapping[str, object]
) -> bool | None:
    left, right = _value(a, facts, consts), _value(b, facts, consts)
    if left is _NOT_TARGET or right is _NOT_TARGET:
        return None
    if isinstance(op_node, (ast.In, ast.NotIn)):
        if not isinstance(right, tuple):
            return None
        return (left in right) == isinstance(op_node, ast.In)
    op = _CMP.get(type(op_node))
    if op is None:
        return None
    try:
        return bool(op(left, right))
    except TypeError:
        return None


def constant(node: ast.AST, facts: TargetFacts, consts: Mapping[str, object]) -> object:
    """A module constant worth remembering: a target-only boolean, or ``sys.version_info``
    itself (``py = sys.version_info`` in bottle)."""
    result = evaluate(node, facts, consts)
    if result is not None:
        return result
    value = _value(node, facts, consts)
    return value if isinstance(value, tuple) else None


def evaluate(
    node: ast.AST, facts: TargetFacts, consts: Mapping[str, object] | None = None
) -> bool | None:
    consts = consts or {}
    if isinstance(node, ast.BoolOp):
        values = [evaluate(v, facts, consts) for v in node.values]
        if isinstance(node.op, ast.And):
            if any(v is False for v in values):
                return False
            return True if all(v is True for v in values) else None
        if any(v is True for v in values):
            return True
        return False if all(v is False for v in values) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = evaluate(node.operand, facts, consts)
        return None if inner is None else not inner
    if isinstance(node, ast.Compare):
        # a < b < c is a < b and b < c
        operands = [node.left, *node.comparators]
        results = [
            _compare(operands[i], o, operands[i + 1], facts, consts) for i, o in enumerate(node.ops)
        ]
        if any(r is False for r in results):
            return False
        return True if all(r is True for r in results) else None
    value = _value(node, facts, consts)
    if isinstance(value, bool):
        return value
    return None
