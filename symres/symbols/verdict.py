"""Verdicts: is a used name ``present``, ``missing`` or ``unknown`` in a provider?

``missing`` is claimed only when the module is fully known: a wrong ``missing`` blocks
a good release for every user, so anything open, unreadable or beyond static reading
is ``unknown`` and left to the import tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
