"""Print `name==lower-bound` for each dependency symres declares, for the lowest-versions CI run."""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]
# the core, and the extras a user installs (the test extra is the harness, not declared use)
extras = [
    line
    for name, lines in project["optional-dependencies"].items()
    if name != "test"
    for line in lines
]
for line in project["dependencies"] + extras:
    req = Requirement(line)
    if req.marker is not None and not req.marker.evaluate():
        continue
    lower = [s.version for s in req.specifier if s.operator == ">="]
    if lower:
        print(f"{req.name}=={lower[0]}")
