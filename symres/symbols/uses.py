"""Uses: what a consumer module needs from other distributions, and under which guard.

Sources of uses: ``import a.b``, ``from a.b import c``, ``from a import *``,
``importlib.import_module("a.b")``, and attribute chains on a bound module name
(``import numpy as np; np.float_``). Each carries its guard (see DESIGN.md):

- ``top``: runs when the module is imported — a hard constraint;
- ``conditional``: under an ``if`` symres cannot evaluate — still hard;
- ``if-available``: under ``if is_x_available():``/``find_spec`` (or its ``else``) —
  hard when the provider is installed;
- ``lazy``: inside a function body — a constraint by default, labelled;
- ``optional``: in a ``try`` whose ``except ImportError`` has a fallback — not a constraint;
- ``type-checking``: under ``if TYPE_CHECKING:`` — never runs, ignored.

``if`` tests on the target (``sys.version_info``, ``sys.platform``) are evaluated and
the dead branch dropped; tests on the provider (``version.parse(x.__version__) >= …``,
``hasattr(x.y, "z")``) travel with the use and are evaluated per candidate release.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace

from symres.facts import Use
from symres.symbols.conditions import TargetFacts, constant, dotted_parts, evaluate
from symres.symbols.context import (
    _availability_subjects,
    _bound_names,
    _catches_import_error,
    _Ctx,
    _local_names,
    _reraises,
)
from symres.symbols.exports import absolute
from symres.symbols.provider_tests import ProviderTests
from symres.symbols.shapes import is_type_checking, module_bindings


@dataclass
class ModuleUses:
    uses: list[Use] = field(default_factory=list)
    imports_at_load: set[str] = field(
        default_factory=set
    )  # absolute modules imported at import time


class _Collector:
    def __init__(
        self,
        module: str,
        filename: str,
        is_package: bool,
        facts: TargetFacts,
        once: frozenset[str] = frozenset(),
    ) -> None:
        self.module = module
        self.filename = filename
        self.is_package = is_package
        self.facts = facts
        self.out = ModuleUses()
        self.aliases: dict[str, str] = {}  # local name -> module it is bound to
        self.imported: set[str] = set()  # modules known imported (for a.b.c chains)
        self.consts: dict[str, object] = {}
        self.tests = ProviderTests(self.aliases, once)
        self.seen: set[tuple[str, str | None, str, str | None]] = set()

    def add(self, module: str, name: str | None, node: ast.AST, ctx: _Ctx) -> None:
        if not module:
            return
        guard = ctx.guard
        if guard == "if-available" and module.split(".")[0].lower() not in ctx.available_for:
            guard = "conditional"  # a feature or version test, not "is it installed"
        key = (module, name, guard, ctx.condition.describe() if ctx.condition else None)
        if key in self.seen:
            return
        self.seen.add(key)
        self.out.uses.append(
            Use(
                module,
                name,
                guard,
                self.filename,
                getattr(node, "lineno", 0),
                self.module,
                ctx.condition,
                alternatives=ctx.alternatives,
            )
        )

    def body(self, stmts: list[ast.stmt], ctx: _Ctx) -> None:
        for stmt in stmts:
            self.stmt(stmt, ctx)

    def loaded(self, module: str, ctx: _Ctx) -> None:
        """Imports that surely run with the module and whose failure fails it: a module
        the release imports only under an ``if`` symres cannot evaluate (``if WINDOWS:
        from . import _pswindows``) is not reached for sure, and one imported in a ``try``
        whose ``except ImportError`` goes on (pip 21's vendored requests importing
        urllib3's pyopenssl support) cannot fail the import, nor one imported under a
        test on a provider (``if WINDOWS:`` from another module): their own uses are
        reported, not enforced."""
        if ctx.guard in ("top", "if-available") and ctx.condition is None:
            self.out.imports_at_load.add(module)

    def stmt(self, node: ast.stmt, ctx: _Ctx) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.add(alias.name, None, node, ctx)
                self.loaded(alias.name, ctx)
                parts = alias.name.split(".")
                self.imported.update(".".join(parts[: i + 1]) for i in range(len(parts)))
                if alias.asname:
                    self.aliases[alias.asname] = alias.name
                else:
                    self.aliases[parts[0]] = parts[0]
            return
        if isinstance(node, ast.ImportFrom):
            target = absolute(self.module, self.is_package, node.level, node.module)
            for alias in node.names:
                if node.level == 0:
                    self.add(target, None if alias.name == "*" else alias.name, node, ctx)
                if alias.name != "*":
                    self.loaded(f"{target}.{alias.name}", ctx)
                    self.aliases.setdefault(alias.asname or alias.name, f"{target}.{alias.name}")
            self.loaded(target, ctx)
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in node.decorator_list:
                self.expr(d, ctx)
            for default in [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]:
                self.expr(default, ctx)
            local = ctx.shadowed | _local_names(node)
            inner = replace(
                ctx.weaker("lazy"), in_function=True, shadowed=local, class_scope=frozenset()
            )
            self.body(node.body, inner)
            return
        if isinstance(node, ast.ClassDef):
            for b in [*node.bases, *node.decorator_list, *(k.value for k in node.keywords)]:
                self.expr(b, ctx)
            self.body(node.body, replace(ctx, class_scope=_bound_names(node.body)))
            return
        if isinstance(node, ast.If):
            self.if_(node, ctx)
            return
        if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            protected = any(_catches_import_error(h) and not _reraises(h) for h in node.handlers)  # type: ignore[attr-defined]
            before = len(self.out.uses)
            aliases_before = dict(self.aliases)
            self.body(node.body, ctx.weaker("optional") if protected else ctx)  # type: ignore[attr-defined]
            # a name the `try` binds keeps that binding after the handlers: the fallback
            # (`except ImportError: import dummy_threading as threading`) runs only when
            # the `try` failed, so `threading.local()` below is a use of `threading`
            primary = {k: v for k, v in self.aliases.items() if aliases_before.get(k) != v}
            level = 1 + max((a[2] for a in ctx.alternatives), default=-1)
            tried = tuple(
                (u.module, u.name, level)
                for u in self.out.uses[before:]
                if not u.alternatives or u.alternatives == ctx.alternatives
            )
            for h in node.handlers:  # type: ignore[attr-defined]
                if tried and _catches_import_error(h):
                    handler_ctx = replace(ctx, alternatives=ctx.alternatives + tried)
                else:  # runs only when the `try` raised: not surely (cffi's `except NameError:`)
                    handler_ctx = ctx.weaker("conditional")
                self.body(h.body, handler_ctx)
                if _catches_import_error(h):
                    self.aliases.update(primary)
            self.body(node.orelse, ctx)  # type: ignore[attr-defined]
            self.body(node.finalbody, ctx)  # type: ignore[attr-defined]
            return
        module_level = not ctx.in_function and not ctx.class_scope
        if isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.expr(node.value, ctx)
                if isinstance(node.target, ast.Name) and module_level:
                    self.tests.bind(node.target.id, node.value)
            return
        if isinstance(node, ast.Assign) and not ctx.in_function:
            result = constant(node.value, self.facts, self.consts)
            for t in node.targets:
                if isinstance(t, ast.Name):
                    if result is not None:
                        self.consts[t.id] = result
                    if module_level:
                        self.tests.bind(t.id, node.value)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt):
                continue
            if isinstance(child, ast.expr):
                self.expr(child, ctx)
        for field_name in ("body", "orelse", "finalbody"):
            sub = getattr(node, field_name, None)
            if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt):
                self.body(sub, ctx)
        if type(node).__name__ == "Match":
            for case in node.cases:  # type: ignore[attr-defined]
                self.body(case.body, ctx)

    def if_(self, node: ast.If, ctx: _Ctx) -> None:
        test = node.test
        if is_type_checking(test):
            self.body(node.body, ctx.weaker("type-checking"))
            self.body(node.orelse, ctx)
            return
        verdict = evaluate(test, self.facts, self.consts)
        if verdict is True:
            self.body(node.body, ctx)
            return
        if verdict is False:
            self.body(node.orelse, ctx)
            return
        self.expr(test, ctx)
        subjects = _availability_subjects(test)
        if subjects is not None:
            body_ctx = else_ctx = replace(
                ctx.weaker("if-available"), available_for=ctx.available_for | subjects
            )
            # `if is_x_available() and x.API >= 2:`: the body needs the provider test too
            condition, _ = self.tests.condition(test)
            if condition is not None and not self.local(test, ctx):
                body_ctx = body_ctx.tested((condition, _only_availability_besides(test)))
        else:
            body_ctx, else_ctx = self.branches(test, ctx)
        self.body(node.body, body_ctx)
        self.body(node.orelse, else_ctx)

    def branches(self, test: ast.AST, ctx: _Ctx) -> tuple[_Ctx, _Ctx]:
        """The contexts of an ``if``'s body and ``else``: what test on a provider holds
        there, or ``conditional`` when none is known."""
        if self.local(test, ctx):
            return ctx.weaker("conditional"), ctx.weaker("conditional")
        return ctx.tested(self.tests.condition(test)), ctx.tested(self.tests.negation(test))

    def local(self, test: ast.AST, ctx: _Ctx) -> bool:
        """Whether *test* names a local variable (of a function, a class body): no
        module-level name or module it may look like."""
        hidden = ctx.shadowed | ctx.class_scope
        return bool(hidden) and any(
            isinstance(n, ast.Name) and n.id in hidden for n in ast.walk(test)
        )

    def expr(self, node: ast.AST, ctx: _Ctx) -> None:
        # `hasattr(sys, "x") and sys.x()`, `a.b if hasattr(a, "b") else c`: the test guards
        # what it short-circuits, as an `if` would.
        if isinstance(node, ast.BoolOp):
            # `sys.platform == "win32" and signal.CTRL_C_EVENT`: a test on the target that
            # settles the expression stops it, as it does at run time
            settles = isinstance(node.op, ast.Or)
            inner = ctx
            for value in node.values:
                self.expr(value, inner)
                if evaluate(value, self.facts, self.consts) is settles:
                    return
                # what runs after `a and` needs a's test to hold, after `a or`, to fail
                test = self.tests.negation if settles else self.tests.condition
                tested = test(value)
                if tested[0] is not None and not self.local(value, ctx):
                    inner = inner.tested(tested)
            return
        if isinstance(node, ast.IfExp):
            verdict = evaluate(node.test, self.facts, self.consts)
            if verdict is not None:  # `a if sys.platform != "win32" else signal.CTRL_C_EVENT`
                self.expr(node.body if verdict else node.orelse, ctx)
                return
            self.expr(node.test, ctx)
            if self.local(node.test, ctx):
                self.expr(node.body, ctx)
                self.expr(node.orelse, ctx)
                return
            condition, negation = self.tests.condition(node.test), self.tests.negation(node.test)
            self.expr(node.body, ctx.tested(condition) if condition[0] else ctx)
            self.expr(node.orelse, ctx.tested(negation) if negation[0] else ctx)
            return
        guarded = [
            n for n in ast.walk(node) if isinstance(n, (ast.BoolOp, ast.IfExp)) and n is not node
        ]
        if guarded:
            skip: set[int] = set()
            for n in guarded:
                if id(n) in skip:
                    continue
                for inner_node in ast.walk(n):
                    skip.add(id(inner_node))
                self.expr(n, ctx)
            for sub in ast.walk(node):
                if id(sub) not in skip:
                    self._leaf(sub, ctx)
            return
        for sub in ast.walk(node):
            self._leaf(sub, ctx)

    def _leaf(self, sub: ast.AST, ctx: _Ctx) -> None:
        if isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Load):
            self.attribute(sub, ctx)
        elif isinstance(sub, ast.Call):
            fn = dotted_parts(sub.func)
            if (
                fn
                and fn[-1] == "import_module"
                and sub.args
                and isinstance(sub.args[0], ast.Constant)
            ):
                target = sub.args[0].value
                if isinstance(target, str) and not target.startswith("."):
                    self.add(target, None, sub, ctx)

    def attribute(self, node: ast.Attribute, ctx: _Ctx) -> None:
        chain = dotted_parts(node)
        if not chain or chain[0] not in self.aliases:
            return  # not a module
        if chain[0] in ctx.shadowed or chain[0] in ctx.class_scope:
            return  # a local variable or class attribute of the same name
        module = self.aliases[chain[0]]
        if module not in self.imported:
            return  # a name imported from a module, not a module itself
        rest = chain[1:]
        while rest and f"{module}.{rest[0]}" in self.imported:
            module = f"{module}.{rest[0]}"
            rest = rest[1:]
        if rest and not rest[0].startswith("__"):
            self.add(module, rest[0], node, ctx)


def scan_uses(
    module: str, filename: str, tree: ast.Module, *, is_package: bool, facts: TargetFacts
) -> ModuleUses:
    once = frozenset(
        name
        for name, bound in module_bindings(tree).items()
        if len(bound) == 1 and isinstance(bound[0], (ast.Assign, ast.AnnAssign))
    )
    collector = _Collector(module, filename, is_package, facts, once)
    collector.body(tree.body, _Ctx())
    return collector.out


def _only_availability_besides(test: ast.AST) -> bool:
    """``is_x_available() and x.API >= 2``: the provider test is the whole of the test
    but for availability tests (what the ``if-available`` guard stands for)."""
    if not isinstance(test, ast.BoolOp) or not isinstance(test.op, ast.And):
        return False
    others = [v for v in test.values if _availability_subjects(v) is None]
    return len(others) == 1
