"""The standard library as a provider, per Python version (data/stdlib.json.xz, built by
scripts/build_stdlib_table.py from typeshed).

Stubs may leave out undocumented names, so the stdlib claims ``missing`` only for a
module or name it knows exists in *another* Python version (removed, or not yet added);
anything else it does not list is ``unknown``.
"""

from __future__ import annotations

import functools
import json
import lzma
from importlib import resources

from symres.facts import Verdict

# typeshed's stdlib folder also stubs what type checkers need that Python does not ship
NOT_STDLIB = frozenset({"typing_extensions", "_typeshed"})


@functools.lru_cache(maxsize=1)
def _data() -> dict[str, object]:
    raw = resources.files("symres.data").joinpath("stdlib.json.xz").read_bytes()
    data: dict[str, object] = json.loads(lzma.decompress(raw))
    modules: dict[str, object] = data["modules"]  # type: ignore[assignment]
    data["modules"] = {m: v for m, v in modules.items() if m.split(".")[0] not in NOT_STDLIB}
    return data


@functools.lru_cache(maxsize=1)
def _top_levels() -> frozenset[str]:
    modules: dict[str, object] = _data()["modules"]  # type: ignore[assignment]
    return frozenset(m.split(".")[0] for m in modules)


def python_versions() -> list[str]:
    """The Python versions the table covers, oldest first."""
    versions: list[str] = _data()["versions"]  # type: ignore[assignment]
    return list(versions)


def _versions(span: str, all_versions: list[str]) -> list[str]:
    return list(all_versions) if span == "" else [all_versions[int(i)] for i in span.split(",")]


# What every module has, whatever its source binds (a package has `__path__` too); any
# other dunder, `__version__` or `__all__`, exists only where the source binds it.
MODULE_ATTRIBUTES = frozenset(
    {"__name__", "__doc__", "__package__", "__loader__", "__spec__", "__file__"}
    | {"__builtins__", "__dict__", "__class__"}
)


class Stdlib:
    def __init__(self, python: tuple[int, int]) -> None:
        data = _data()
        self.versions: list[str] = data["versions"]  # type: ignore[assignment]
        self.modules: dict[str, dict[str, object]] = data["modules"]  # type: ignore[assignment]
        self.python = f"{python[0]}.{python[1]}"
        self.covered = self.python in self.versions

    def top_levels(self) -> frozenset[str]:
        return _top_levels()

    def knows(self, module: str) -> bool:
        return module.split(".")[0] in _top_levels()

    def _in(self, span: str) -> bool:
        return self.python in _versions(span, self.versions)

    def module(self, module: str) -> Verdict:
        entry = self.modules.get(module)
        if entry is None:
            parent = module.rpartition(".")[0]
            if parent and parent in self.modules and not self._in(str(self.modules[parent]["in"])):
                return self.module(parent)
            return Verdict.unknown(f"`{module}` is not in typeshed's stdlib")
        if not self.covered:
            return Verdict.unknown(f"no stdlib table for Python {self.python}")
        if self._in(str(entry["in"])):
            return Verdict.present(f"stdlib {self.python}")
        where = ", ".join(_versions(str(entry["in"]), self.versions))
        return Verdict.missing(
            f"`{module}` is not in the Python {self.python} stdlib (it is in {where})"
        )

    def condition(self, use: object) -> bool | None:
        """Whether a use's provider test (``hasattr(typing, "TypeIs")``) holds on the
        target's stdlib; None when it is not about the stdlib or cannot be told."""
        cond = getattr(use, "condition", None)
        if cond is None:
            return True
        if cond.kind != "hasattr" or not self.knows(cond.module):
            return None
        status = self.name(cond.module, cond.value).status
        if status == "unknown":
            return None
        return bool((status == "present") != cond.negate)

    def name(self, module: str, name: str) -> Verdict:
        found = self.module(module)
        if found.status != "present":
            return found
        entry = self.modules[module]
        names: dict[str, str] = entry["names"]  # type: ignore[assignment]
        if name in MODULE_ATTRIBUTES:
            return Verdict.present(f"`{name}` is an attribute every module has")
        if name in names:
            if self._in(names[name]):
                return Verdict.present(f"stdlib {self.python}")
            where = ", ".join(_versions(names[name], self.versions))
            return Verdict.missing(
                f"`{module}.{name}` is not in Python {self.python} (it is in {where})"
            )
        if f"{module}.{name}" in self.modules:
            return self.module(f"{module}.{name}")
        return Verdict.unknown(f"typeshed does not list `{module}.{name}`")
