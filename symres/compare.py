"""How a test on a provider's constant compares (``x.NAME >= 2``, ``x.NAME is None``):
one implementation for the judge, on the value read from the provider's source, and for
the import tier, on the value the installed module has (this module is joined into the
runner script, so it stays stdlib-only and Python 3.8-compatible)."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from typing import Any

OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
    "is": operator.is_,
    "is not": operator.is_not,
}


def compare(value: Any, op: str, literal: str) -> bool:
    """``value op literal``, *literal* as JSON (tuples are JSON lists, so are the
    tuples in *value*); ``truthy`` tests the value alone. Raises KeyError, TypeError or
    ValueError where Python would not compare them."""
    value = _plain(value)
    if op == "truthy":
        return bool(value)
    return bool(OPS[op](value, json.loads(literal)))


def _plain(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value
