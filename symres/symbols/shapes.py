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


OPAQUE = ast.Pass()  # a binding whose value is not read: `NAME += 1`, `a, NAME = …`, `del NAME`


def module_bindings(tree: ast.Module) -> dict[str, list[ast.AST]]:
    """Every binding of each name in the module's own scope (``if``, ``try``, ``with``,
    loops and ``match`` included): the ``Assign``/``AnnAssign`` of that name alone, an
    ``ImportFrom`` (a star import for every name it may bind: under ``"*"``), or
    :data:`OPAQUE` for the rest — an ``import``, a tuple target, ``+=``, ``del``, a
    walrus, a ``case`` capture, a def or class of that name, a function that declares it
    ``global``, ``setattr(sys.modules[__name__], "NAME", …)``."""
    out: dict[str, list[ast.AST]] = {}

    def opaque(name: str) -> None:
        out.setdefault(name, []).append(OPAQUE)

    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            opaque(node.name)
            for sub in ast.walk(node):
                if isinstance(sub, ast.Global):
                    for name in sub.names:
                        opaque(name)
                elif isinstance(sub, ast.NamedExpr) and isinstance(sub.target, ast.Name):
                    opaque(sub.target.id)  # in a default or a decorator: the module's
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                opaque(alias.asname or alias.name.split(".")[0])
            continue
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                out.setdefault(alias.asname or alias.name, []).append(node)
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name):
                out.setdefault(targets[0].id, []).append(node)
                if node.value is not None:
                    todo.append(ast.Expr(node.value))  # a walrus in the value
                continue
        inner: list[ast.AST] = []
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            for item in getattr(node, field, None) or ():
                if isinstance(item, ast.stmt):
                    inner.append(item)
                else:  # an `except` handler, a `case`
                    for sub in [item, *ast.walk(getattr(item, "pattern", ast.Pass()))]:
                        bound = getattr(sub, "name", None)  # `except E as NAME`, `case NAME`
                        if isinstance(bound, str):
                            opaque(bound)
                    inner += item.body
        nested = {id(n) for n in inner}
        for child in ast.iter_child_nodes(node):
            if id(child) in nested or isinstance(child, (ast.excepthandler, ast.match_case)):
                continue
            for sub in ast.walk(child):
                if isinstance(sub, ast.Name) and not isinstance(sub.ctx, ast.Load):
                    opaque(sub.id)
                elif isinstance(sub, ast.Call) and _sets_module_attribute(sub):
                    opaque(sub.args[1].value)  # type: ignore[attr-defined]
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Delete)):
            continue  # its targets and value were walked above
        todo += inner
    return out


def _sets_module_attribute(call: ast.Call) -> bool:
    """``setattr(<anything>, "NAME", …)`` (the module through ``sys.modules``, an alias)."""
    return (
        isinstance(call.func, ast.Name)
        and call.func.id == "setattr"
        and len(call.args) == 3
        and isinstance(call.args[1], ast.Constant)
        and isinstance(call.args[1].value, str)
    )
