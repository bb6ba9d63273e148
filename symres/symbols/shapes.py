"""Shapes of Python source the analysis recognises, whichever side reads them: an
``if TYPE_CHECKING:`` test, a literal list of names or a lazy table of them, a write to
``globals()``, writes to a module through ``sys.modules``, a ``ModuleType`` subclass."""

from __future__ import annotations

import ast

from symres.symbols.conditions import _dotted


def is_type_checking(test: ast.AST) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def strings_of(node: ast.AST) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        out = [
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
        return out if len(out) == len(node.elts) else None
    return None


def names_in_dict(node: ast.Dict) -> set[str]:
    """Names a literal lazy table serves: list-of-strings values, else identifier keys."""
    out: set[str] = set()
    values = [strings_of(v) for v in node.values]
    if values and all(v is not None for v in values):
        for v in values:
            out.update(v or ())
        return out
    for k in node.keys:
        if isinstance(k, ast.Constant) and isinstance(k.value, str) and k.value.isidentifier():
            out.add(k.value)
    return out


def is_globals_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("globals", "vars")
        and not (node.func.id == "vars" and node.args)
    )


def writes_through_sys_modules(tree: ast.Module, read: set[int]) -> bool:
    """Whether the module sets attributes on itself through ``sys.modules[__name__]`` in
    a way not read as names: a ``setattr`` in a function or with a computed name, an
    alias (``this = sys.modules[__name__]``), ``sys.modules[__name__].x = ...``."""

    def itself(node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Subscript)
            and _dotted(node.value) == "sys.modules"
            and isinstance(node.slice, ast.Name)
            and node.slice.id == "__name__"
        )

    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("setattr", "delattr")
            and node.args
            and itself(node.args[0])
            and id(node) not in read
        ):
            return True
        if isinstance(node, ast.Assign) and (
            itself(node.value)
            or any(isinstance(t, ast.Attribute) and itself(t.value) for t in node.targets)
        ):
            return True
    return False


def sys_modules_uses(tree: ast.Module) -> int:
    return sum(isinstance(n, ast.Attribute) and _dotted(n) == "sys.modules" for n in ast.walk(tree))


def is_module_type(node: ast.AST) -> bool:
    name = _dotted(node)
    return name is not None and name.split(".")[-1] == "ModuleType"
