"""The house points downwards: a package imports only from the floors below it (and
from itself), at module level, in a function or for type checking alike."""

from __future__ import annotations

import ast
from pathlib import Path

import symres

ROOT = Path(symres.__file__).parent

# the floor of each package or top-level module; peers (judge and resolve) do not
# import each other
FLOORS = {
    "errors": 0,
    "fsutil": 0,
    "facts": 0,
    "compare": 0,
    "target": 1,
    "cache": 1,
    "db": 2,
    "index": 3,
    "symbols": 4,
    "judge": 5,
    "resolve": 5,
    "lock": 6,
    "verify": 7,
    "progress": 8,
    "cli": 9,
    "__main__": 10,
    "__init__": 0,  # symres itself: the version
}


def _unit(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return parts[0]


def _imports(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        out += [(node.lineno, n.split(".")[1]) for n in names if n.startswith("symres.")]
        out += [(node.lineno, "__init__") for n in names if n == "symres"]
    return out


def test_every_unit_has_a_floor() -> None:
    units = {_unit(p) for p in ROOT.rglob("*.py")}
    assert units <= set(FLOORS), f"give these a floor: {sorted(units - set(FLOORS))}"


def test_no_module_imports_from_a_floor_above_it() -> None:
    upward = []
    for path in sorted(ROOT.rglob("*.py")):
        unit = _unit(path)
        for line, target in _imports(path):
            if target != unit and FLOORS[target] >= FLOORS[unit]:
                upward.append(f"{path.relative_to(ROOT.parent)}:{line} imports symres.{target}")
    assert not upward, "\n".join(upward)


def test_no_relative_imports_hide_an_arrow() -> None:
    relative = [
        f"{p.relative_to(ROOT.parent)}:{n.lineno}"
        for p in ROOT.rglob("*.py")
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(n, ast.ImportFrom) and n.level > 0
    ]
    assert not relative
