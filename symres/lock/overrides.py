"""`--export-overrides`: what symres learned, in a form other tools read."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import tomli_w

if TYPE_CHECKING:
    from symres.judge.breaks import Narrowing
    from symres.lock.options import LockResult


def active_narrowings(result: LockResult) -> list[Narrowing]:
    """The narrowings that shaped the final lock (not those learned for releases it left)."""
    pins = {p.name: p.version for p in result.resolution.packages}
    return [
        n
        for n in result.narrowings
        if n.applies_to is None or pins.get(n.applies_to[0]) == n.applies_to[1]
    ]


def render_overrides(result: LockResult, path: Path) -> str:
    """A pip constraints file (for ``-c``, pip-compile and uv alike), or, for a ``.toml``
    path, ``[tool.uv] constraint-dependencies``; each line with its reason where the
    format has comments."""
    narrowings = active_narrowings(result)
    if path.suffix == ".toml":
        return tomli_w.dumps(
            {
                "tool": {
                    "uv": {
                        "constraint-dependencies": [f"{n.target}{n.specifier}" for n in narrowings]
                    }
                }
            }
        )
    lines = ["# Learned by symres: the releases excluded here fail at import.", ""]
    lines += [f"{n.target}{n.specifier}  # {n.why}" for n in narrowings]
    return "\n".join(lines) + "\n"
