"""The wheel holds every subpackage and the shipped data (a missing one breaks `pip install .`)."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def test_every_subpackage_and_the_data_are_listed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "symres").rglob("__init__.py")
    }
    assert on_disk | {"symres.data"} == set(config["packages"])
    assert config["package-dir"]["symres.data"] == "data"
    assert (ROOT / "data" / "stdlib.json.xz").is_file()
