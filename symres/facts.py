"""The facts symres stores and judges by: a consumer's *uses* (what it imports, under
which guard and which test on its provider) and a provider's *verdicts* (is a used name
present, missing or unknown). Below the database and the analysis alike: both import
these, neither imports the other for them.

``missing`` is claimed only when the module is fully known: a wrong ``missing`` blocks
a good release for every user, so anything open, unreadable or beyond static reading
is ``unknown`` and left to the import tier.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

Guard = Literal["top", "conditional", "if-available", "lazy", "optional", "type-checking"]
HARD: frozenset[str] = frozenset({"top", "conditional", "if-available", "lazy"})


@dataclass(frozen=True)
class ProviderCondition:
    """A test on a provider that decides whether a use runs, judged per pinned release:

    - ``version``: ``version.parse(x.__version__) >= "2"`` (*module* is ``x``);
    - ``distribution``: ``importlib.metadata.version("pkg") >= "2"`` (*module* is the
      distribution's name);
    - ``hasattr``: ``hasattr(x, "y")`` (*value* is ``y``);
    - ``constant``: ``x.NAME >= 2``, ``x.NAME == "a"``, ``x.NAME is None``, ``if x.NAME:``
      (*name* is ``NAME``; *value* the literal as JSON; *op* ``truthy`` for a bare test).
    """

    module: str
    kind: Literal["version", "distribution", "hasattr", "constant"]
    op: str = ">="
    value: str = ""
    negate: bool = False
    name: str = ""

    def describe(self) -> str:
        if self.kind == "version":
            text = f"{self.module}.__version__ {self.op} {self.value}"
        elif self.kind == "distribution":
            text = f'importlib.metadata.version("{self.module}") {self.op} {self.value}'
        elif self.kind == "hasattr":
            text = f"hasattr({self.module}, {self.value!r})"
        elif self.op == "truthy":
            text = f"{self.module}.{self.name}"
        else:
            text = f"{self.module}.{self.name} {self.op} {json.loads(self.value)!r}"
        return f"not ({text})" if self.negate else text


@dataclass(frozen=True)
class Use:
    module: str
    name: str | None
    guard: Guard
    file: str
    line: int
    consumer_module: str
    condition: ProviderCondition | None = None
    reachable: bool = True
    # In an `except ImportError:` handler: the imports of the `try` it stands in for, with
    # the nesting level of that `try`. The handler runs only if, at every level, one of
    # them failed: one level whose imports all succeed makes it dead code.
    alternatives: tuple[tuple[str, str | None, int], ...] = ()

    @property
    def import_time(self) -> bool:
        """Surely runs when ``import <top-level>`` runs (and the provider is installed):
        what ``lock`` enforces by default. Uses under an ``if`` symres cannot evaluate are
        hard but reported rather than enforced: such branches are often dead elsewhere
        (torch's ``if is_fbcode(): from triton.fb.build import …``)."""
        return self.guard in ("top", "if-available") and self.reachable

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def hard(self) -> bool:
        return self.guard in HARD

    def statement(self) -> str:
        return f"from {self.module} import {self.name}" if self.name else f"import {self.module}"


Status = Literal["present", "missing", "unknown"]


@dataclass(frozen=True)
class Verdict:
    status: Status
    reason: str

    @staticmethod
    def present(reason: str) -> Verdict:
        return Verdict("present", reason)

    @staticmethod
    def missing(reason: str) -> Verdict:
        return Verdict("missing", reason)

    @staticmethod
    def unknown(reason: str) -> Verdict:
        return Verdict("unknown", reason)
