"""The value of a module constant a consumer tests (``if x.NAME >= 2:``), read from the
provider's source: a name every module-level binding of which is the same literal (or
the same test on the target, ``IS_WINDOWS = sys.platform == "win32"``), through
``from .m import NAME`` a few hops. Anything else — a computed value, a name a function
rebinds with ``global``, a module that is open to writes, an extension — is unknown."""

from __future__ import annotations

import ast
import json
from typing import TYPE_CHECKING

from symres.facts import Verdict
from symres.symbols.conditions import evaluate
from symres.symbols.exports import absolute
from symres.symbols.shapes import module_bindings

if TYPE_CHECKING:
    from symres.symbols.release import ReleaseSymbols

_UNSET = object()


def constant_value(release: ReleaseSymbols, module: str, name: str, depth: int = 0) -> Verdict:
    """``present`` with the value as JSON in its reason, or ``unknown`` saying why."""
    table = release.table(module)
    if table is None or table.tree is None or table.kind != "py":
        return Verdict.unknown(f"`{module}` in {release} is not Python source read")
    if table.open not in (None, "module __getattr__"):  # a __getattr__ serves other names
        return Verdict.unknown(f"`{module}` in {release} is open ({table.open})")
    values: list[object] = []
    bindings = module_bindings(table.tree)
    for node in bindings.get(name, []) + bindings.get("*", []):
        if isinstance(node, ast.ImportFrom) and depth < 3:
            alias = next(a for a in node.names if (a.asname or a.name) in (name, "*"))
            source = absolute(module, table.is_package, node.level, node.module)
            if not release.has_module(source):
                return Verdict.unknown(f"`{name}` in `{module}` is imported from `{source}`")
            if alias.name == "*":  # binds NAME only if the other module has it
                star = release.name_verdict(source, name).status
                if star == "missing":
                    continue
                if star == "unknown":
                    return Verdict.unknown(f"`from {source} import *` in `{module}` may bind it")
            found = constant_value(
                release, source, name if alias.name == "*" else alias.name, depth + 1
            )
            if found.status != "present":
                return found
            values.append(json.loads(found.reason))
            continue
        value = _value(node, release)
        if value is _UNSET:
            return Verdict.unknown(f"`{module}.{name}` in {release} is not bound to a literal")
        values.append(value)
    if not values:
        return Verdict.unknown(f"`{module}` in {release} binds no `{name}` at module level")
    if any(v != values[0] for v in values[1:]):
        return Verdict.unknown(f"`{module}.{name}` in {release} is bound to different values")
    try:
        return Verdict.present(json.dumps(values[0]))
    except (TypeError, ValueError):
        return Verdict.unknown(f"`{module}.{name}` in {release} is not a plain literal")


def _value(node: ast.AST, release: ReleaseSymbols) -> object:
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
        return _UNSET
    try:
        return ast.literal_eval(node.value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    on_target = evaluate(node.value, release.facts)
    return _UNSET if on_target is None else on_target
