"""Which kinds of file a project may be installed from: pip's ``--only-binary`` and
``--no-binary``, with pip's rules for combining them.

Each option takes a comma-separated list of project names, ``:all:`` or ``:none:``;
naming a project in one option removes it from the other; ``:all:`` replaces what the
option held and clears the other option; ``:none:`` empties the option. A project named
explicitly wins over ``:all:``, and ``--only-binary`` wins over ``--no-binary`` at the same
level (``FormatControl.get_allowed_formats`` in pip).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from packaging.utils import canonicalize_name

from symres.errors import InputError

Kind = Literal["wheel", "sdist"]
ALL = ":all:"
NONE = ":none:"


@dataclass
class FormatControl:
    no_binary: set[str] = field(default_factory=set)
    only_binary: set[str] = field(default_factory=set)

    def add(self, option: Literal["--no-binary", "--only-binary"], value: str) -> None:
        """Apply one occurrence of the option, as pip does (``value`` as written)."""
        if not value or value.startswith("-"):
            raise InputError(
                f"`{option}` needs a value", hint="give project names, `:all:` or `:none:`"
            )
        target, other = (
            (self.no_binary, self.only_binary)
            if option == "--no-binary"
            else (self.only_binary, self.no_binary)
        )
        names = [n.strip() for n in value.split(",") if n.strip()]
        while ALL in names:
            other.clear()
            target.clear()
            target.add(ALL)
            del names[: names.index(ALL) + 1]
            if NONE not in names:
                return
        for name in names:
            if name == NONE:
                target.clear()
                continue
            canonical = canonicalize_name(name)
            other.discard(canonical)
            target.add(canonical)

    def allowed(self, project: str) -> frozenset[Kind]:
        name = canonicalize_name(project)
        if name in self.only_binary:
            return frozenset({"wheel"})
        if name in self.no_binary:
            return frozenset({"sdist"})
        if ALL in self.only_binary:
            return frozenset({"wheel"})
        if ALL in self.no_binary:
            return frozenset({"sdist"})
        return frozenset({"wheel", "sdist"})

    def options(self) -> list[str]:
        """The options that recreate this state (for a lock's header)."""
        out = []
        for option, values in (
            ("--no-binary", self.no_binary),
            ("--only-binary", self.only_binary),
        ):
            if values:
                out.append(f"{option}={','.join(sorted(values))}")
        return out
