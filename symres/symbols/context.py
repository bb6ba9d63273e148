"""The context a use is found in (:class:`_Ctx`), and what in the code sets it.

:mod:`symres.symbols.uses` carries a context down the statements of a module: the
guard (``weaker`` only ever weakens it), the provider condition, the alternatives of a
``try``, what the enclosing availability tests check, and the names that shadow module
names there. What sets it is read here: an ``if TYPE_CHECKING:``, an availability test
(``is_x_available()``, ``find_spec("x")``), a version literal a provider condition
compares with, an ``except`` that catches ImportError (and whether it re-raises), and
the names a function or a class body binds.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace

from symres.facts import Guard, ProviderCondition
from symres.symbols.conditions import dotted_parts

_AVAILABLE = re.compile(r"^_?is_\w+_available$|^find_spec$|^_?is_package_available$")
_IMPORT_ERRORS = {
    "ImportError",
    "ModuleNotFoundError",
    "Exception",
    "BaseException",
    "AttributeError",
}


@dataclass(frozen=True)
class _Ctx:
    guard: Guard = "top"
    condition: ProviderCondition | None = None
    in_function: bool = False
    alternatives: tuple[tuple[str, str | None, int], ...] = ()
    available_for: frozenset[str] = frozenset()  # what the enclosing availability tests check
    shadowed: frozenset[str] = frozenset()  # names the enclosing functions bind locally
    # names the enclosing class body binds: they shadow module names in the class body
    # (``@atexit.setter`` under a property ``atexit``), not in its methods
    class_scope: frozenset[str] = frozenset()

    def tested(self, tested: tuple[ProviderCondition | None, bool]) -> _Ctx:
        """Under a test on a provider (see :mod:`symres.symbols.provider_tests`): the
        uses there carry the condition; they run surely where it holds only if it is the
        whole test and the only test on a provider around them (a use keeps one, the
        outermost), else
        they are ``conditional`` as under any ``if`` not read (inactive where it is
        false, not enforced where it holds)."""
        condition, whole = tested
        if self.condition is not None:  # the outer test is kept: the `if` an `elif` is in
            return self.weaker("conditional")
        ctx = self if whole else self.weaker("conditional")
        return replace(ctx, condition=condition) if condition else ctx

    def weaker(self, guard: Guard) -> _Ctx:
        order = ["top", "conditional", "if-available", "lazy", "optional", "type-checking"]
        return replace(
            self, guard=guard if order.index(guard) > order.index(self.guard) else self.guard
        )


def _local_names(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """The names a function binds in its own scope (parameters, assignments, loop and
    ``with``/``except`` targets, nested defs), not by ``import``, and not declared
    ``global``: inside it, such a name is a local variable even where a module of the
    same name is imported at module level (``code.co_consts`` on a parameter ``code``)."""
    args = fn.args
    names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    names |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    return frozenset(names) | _bound_names(fn.body)


def _bound_names(body: list[ast.stmt]) -> frozenset[str]:
    """The names statements bind in their own scope (assignments, loop and ``with`` /
    ``except`` targets, defs), not by ``import``, and not declared ``global``."""
    names: set[str] = set()
    declared: set[str] = set()
    todo: list[ast.AST] = list(body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue  # its own scope
        if isinstance(
            node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
        ):
            continue
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        todo.extend(ast.iter_child_nodes(node))
    return frozenset(names - declared)


def _version_literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and len(node.args) == 1:
        node = node.args[0]
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.match(r"^\d", node.value)
    ):
        return node.value
    return None


def _availability_subjects(test: ast.AST) -> frozenset[str] | None:
    """What an availability test checks: ``is_triton_available()`` → {"triton"},
    ``find_spec("x")`` → {"x"}; None when the test is not one. A subject with more words
    than a distribution name (``is_torch_flex_attn_available``) checks a feature or a
    version of the provider, not that it is installed."""
    found: set[str] = set()
    for sub in ast.walk(test):
        if isinstance(sub, ast.Call):
            chain = dotted_parts(sub.func)
            if chain and _AVAILABLE.match(chain[-1]):
                m = re.match(r"^_?is_(\w+)_available$", chain[-1])
                if m and m.group(1) != "package":
                    found.add(m.group(1).lower())
                elif (
                    sub.args
                    and isinstance(sub.args[0], ast.Constant)
                    and isinstance(sub.args[0].value, str)
                ):
                    found.add(sub.args[0].value.split(".")[0].lower())
                else:
                    found.add("")
        elif isinstance(sub, ast.Name) and (
            m := re.match(r"^_?(\w+)_(?:available|AVAILABLE)$", sub.id)
        ):
            found.add(m.group(1).lower().removeprefix("is_").removeprefix("has_"))
    return frozenset(found) if found else None


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any((dotted_parts(t) or [""])[-1] in _IMPORT_ERRORS for t in types)


def _reraises(handler: ast.ExceptHandler) -> bool:
    return any(isinstance(s, ast.Raise) for s in handler.body)
