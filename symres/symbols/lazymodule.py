"""Lazy module objects, read without running them.

Two shapes serve a module's names from tables instead of bindings:

- ``__getattr__, __dir__, __all__ = attach(__name__, submodules, submod_attrs)``
  (lazy_loader, and the copy huggingface_hub ships);
- ``sys.modules[__name__] = LazyModule(__name__, __file__, import_structure, ...)``: the
  module replaced by an instance of a class whose ``__getattr__`` returns only for names
  it finds in a table (``name in self._objects``…) and raises for the rest (transformers'
  ``_LazyModule``). Such an object's attributes are what its class and ``__init__`` bind
  and the names in the arguments it was built from: a literal import structure with its
  literal updates, ``[n for n in dir(mod) if …]`` over a module of the release, and a
  structure computed from the package's own file (transformers'
  ``define_import_structure(__file__)``), which is the ``__all__`` of the modules below
  it. Anything else in the arguments, or a ``__getattr__`` with a path that returns
  without such a test, leaves the module open.

The arguments are read by :mod:`symres.symbols.lazyargs`.
"""

from __future__ import annotations

import ast

from symres.symbols.exports import ModuleTable
from symres.symbols.getattr import GetattrFacts, Resolver
from symres.symbols.lazyargs import Below, Tables, _Arguments, _root
from symres.symbols.shapes import names_in_dict

# every module object has these, whatever its class binds
MODULE_ATTRS = frozenset(
    {"__name__", "__doc__", "__dict__", "__loader__", "__package__", "__spec__", "__class__"}
)


def attached(call: ast.Call, module: str, definition: Resolver) -> GetattrFacts:
    """``attach(__name__, submodules, submod_attrs)`` serves the listed submodules and
    attributes and raises AttributeError for anything else."""
    facts = GetattrFacts()
    args: list[ast.AST] = list(call.args[1:3])
    keywords = {k.arg: k.value for k in call.keywords}
    for i, key in enumerate(("submodules", "submod_attrs")):
        if key in keywords:
            while len(args) <= i:
                args.append(ast.Constant(None))
            args[i] = keywords[key]
    understood = True
    for arg in args:
        if isinstance(arg, ast.Name):
            found = definition(module, arg.id)
            arg = found[0] if found else arg
        if isinstance(arg, ast.Constant) and arg.value is None:
            continue
        if isinstance(arg, ast.Dict):
            facts.served |= names_in_dict(arg)
        elif isinstance(arg, (ast.List, ast.Tuple, ast.Set)):
            facts.served |= {
                e.value
                for e in arg.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            }
        else:
            understood = False
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    if understood and name.endswith("attach"):
        facts.fallback = "missing"
    return facts


def swapped(table: ModuleTable, definition: Resolver, tables: Tables, below: Below) -> GetattrFacts:
    """What the object ``sys.modules[__name__]`` is replaced with serves; ``fallback`` is
    "missing" only when it is read as closed (see the module docstring)."""
    facts = GetattrFacts()
    call = table.swap_call
    if call is None or table.tree is None or not isinstance(call.func, ast.Name):
        return facts
    chain = _class_chain(call.func.id, table.module, definition)
    if chain is None:
        return facts
    method = next((m for cls in chain if (m := _method(cls, "__getattr__"))), None)
    if method is None or not closed_getattr(method):
        return facts
    reader = _Arguments(table, definition, tables, below)
    served = set(MODULE_ATTRS)
    for cls in chain:
        served |= _class_names(cls)
    for arg in [*call.args, *(k.value for k in call.keywords)]:
        names = reader.names(arg)
        if names is None:
            return facts
        served |= names
    facts.served = served
    facts.fallback = "missing"
    return facts


def _class_chain(name: str, module: str, definition: Resolver) -> list[ast.ClassDef] | None:
    """The class *name* and its bases defined in the release, up to ``ModuleType``; None
    if a base is neither."""
    found = definition(module, name)
    if found is None or not isinstance(found[0], ast.ClassDef):
        return None
    cls, home = found[0], found[1]
    chain: list[ast.ClassDef] = [cls]
    for base in cls.bases:
        dotted = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
        if dotted == "ModuleType":
            continue
        if not isinstance(base, ast.Name) or len(chain) > 4:
            return None
        inner = _class_chain(base.id, home, definition)
        if inner is None:
            return None
        chain += inner
    return chain


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    return next((s for s in cls.body if isinstance(s, ast.FunctionDef) and s.name == name), None)


def _class_names(cls: ast.ClassDef) -> set[str]:
    """Names the class body binds and attributes its methods set on ``self``."""
    out: set[str] = set()
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            out |= {t.id for t in targets if isinstance(t, ast.Name)}
    for node in ast.walk(cls):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
        ):
            out.add(node.attr)
    return out


# -- is a __getattr__ closed? ---------------------------------------------------------------


def closed_getattr(fn: ast.FunctionDef) -> bool:
    """Whether every way out of *fn* other than an exception passed a test of the name
    asked for against a table (``name in self._modules``, ``name == "x"``)."""
    if len(fn.args.args) < 2:
        return False
    paths = _Paths(fn.args.args[1].arg)
    for node in ast.walk(fn):
        if isinstance(node, (ast.For, ast.comprehension)) and _root(node.iter) == "self":
            paths.loop_tables |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        for target in _stored(node):
            paths.rebound.add(target)
    falls, guarded = paths.block(fn.body, guarded=False)
    return paths.ok and (not falls or guarded)


class _Paths:
    def __init__(self, param: str) -> None:
        self.param = param
        self.ok = True
        # names set to None on an unguarded path and to something else only under a test:
        # after `if value is None: raise`, the path has passed a test
        self.sentinels: set[str] = set()
        self.loop_tables: set[str] = set()  # `for key, values in self._table.items()`
        self.rebound: set[str] = set()  # bound otherwise than by a plain `x = …`

    def block(self, stmts: list[ast.stmt], *, guarded: bool) -> tuple[bool, bool]:
        """(whether the block can fall through, whether it has passed a test then)."""
        for stmt in stmts:
            falls, guarded = self.stmt(stmt, guarded)
            if not falls:
                return False, guarded
        return True, guarded

    def stmt(self, stmt: ast.stmt, guarded: bool) -> tuple[bool, bool]:
        if isinstance(stmt, ast.Return):
            self.ok = self.ok and guarded
            return False, guarded
        if isinstance(stmt, ast.Raise):
            return False, guarded
        if isinstance(stmt, ast.If):
            inside, outside = self.test(stmt.test)
            body = self.block(stmt.body, guarded=guarded or inside)
            orelse = self.block(stmt.orelse, guarded=guarded or outside)
            falling = [g for f, g in (body, orelse) if f]
            return (bool(falling), all(falling)) if falling else (False, guarded)
        if isinstance(stmt, ast.Try):
            parts = [self.block(stmt.body + stmt.orelse, guarded=guarded)]
            parts += [self.block(h.body, guarded=guarded) for h in stmt.handlers]
            falling = [g for f, g in parts if f]
            if stmt.finalbody:
                self.block(stmt.finalbody, guarded=guarded)
            return (bool(falling), all(falling)) if falling else (False, guarded)
        if isinstance(stmt, (ast.For, ast.While, ast.With)):
            self.block(stmt.body, guarded=guarded)
            self.block(getattr(stmt, "orelse", []), guarded=guarded)
            return True, guarded
        if isinstance(stmt, ast.Assign) and not guarded:
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    none = isinstance(stmt.value, ast.Constant) and stmt.value.value is None
                    if none and target.id not in self.rebound:
                        self.sentinels.add(target.id)
                    else:
                        self.sentinels.discard(target.id)
        elif type(stmt).__name__ in ("Match", "AsyncWith", "AsyncFor", "TryStar"):
            self.ok = False
        return True, guarded

    def test(self, test: ast.expr) -> tuple[bool, bool]:
        """(true means the name passed a test, false means it did)."""
        if isinstance(test, ast.BoolOp):
            parts = [self.test(v) for v in test.values]
            if isinstance(test.op, ast.And):
                return any(p[0] for p in parts), all(p[1] for p in parts)
            return all(p[0] for p in parts), any(p[1] for p in parts)
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inside, outside = self.test(test.operand)
            return outside, inside
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
            return False, False
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if isinstance(left, ast.Name) and left.id in self.sentinels and _is_none(right):
            if isinstance(op, ast.Is):
                return False, True
            if isinstance(op, ast.IsNot):
                return True, False
        if not (isinstance(left, ast.Name) and left.id == self.param):
            return False, False
        # only the object's own tables count: what a test against a module-level table
        # or a literal (`name == "x"`) lets through is not among the served names
        own = _root(right) == "self" or (
            isinstance(right, ast.Name) and right.id in self.loop_tables
        )
        if isinstance(op, ast.In) and own:
            return True, False
        if isinstance(op, ast.NotIn) and own:
            return False, True
        return False, False


def _stored(node: ast.AST) -> list[str]:
    """Names *node* binds otherwise than as the target of a plain assignment."""
    targets: list[ast.AST] = []
    if isinstance(node, (ast.For, ast.comprehension, ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    elif isinstance(node, ast.withitem) and node.optional_vars is not None:
        targets = [node.optional_vars]
    elif isinstance(node, ast.NamedExpr):
        targets = [node.target]
    elif isinstance(node, ast.ExceptHandler) and node.name:
        return [node.name]
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None
