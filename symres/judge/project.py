"""The project's own code as a consumer (``--src``), and what its pyproject.toml
overrules (``[tool.symres] ignore-symbols``)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from symres.errors import InputError
from symres.facts import Use
from symres.symbols.conditions import TargetFacts
from symres.symbols.parse import parse
from symres.symbols.uses import scan_uses

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def project_uses(directories: Sequence[Path], facts: TargetFacts) -> list[Use]:
    """Uses of the project's own code (``--src``): every .py under each folder, with the
    folder as the import root; imports of its own modules are not uses."""
    found: list[Use] = []
    own: set[str] = set()
    for root in directories:
        if not root.is_dir():
            raise InputError(
                f"`--src {root}` is not a folder", hint="point it at your package's root"
            )
        files = sorted(p for p in root.rglob("*.py") if not _outside_code(p.relative_to(root)))
        own |= {f.relative_to(root).parts[0].removesuffix(".py") for f in files}
        for path in files:
            rel = path.relative_to(root)
            parts = list(rel.with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            module = ".".join(parts[:-1] if is_package else parts)
            tree = parse(path.read_bytes(), str(path))
            if isinstance(tree, str):
                continue
            found += scan_uses(
                module or rel.stem, str(path), tree, is_package=is_package, facts=facts
            ).uses
    return [u for u in found if u.module.split(".")[0] not in own]


_NOT_CODE = frozenset({"site-packages", "node_modules", "__pycache__"})


def _outside_code(relative: Path) -> bool:
    """A file of a virtual environment, a hidden folder or a cache inside the project."""
    return any(part.startswith(".") or part in _NOT_CODE for part in relative.parts[:-1])


def pyproject_ignores(sources: Sequence[Path]) -> frozenset[str]:
    """``[tool.symres] ignore-symbols = ["module:name", ...]`` of the pyproject.toml beside
    the first input (or the one locked)."""
    if not sources:
        return frozenset()
    path = (
        sources[0] if sources[0].name == "pyproject.toml" else sources[0].parent / "pyproject.toml"
    )
    if not path.is_file():
        return frozenset()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return frozenset()
    tool = data.get("tool")
    table = tool.get("symres") if isinstance(tool, dict) else None
    value = table.get("ignore-symbols", []) if isinstance(table, dict) else []
    return frozenset(str(v) for v in value) if isinstance(value, list) else frozenset()
