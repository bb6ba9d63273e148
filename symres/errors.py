"""Errors that carry data and a hint; only the CLI renders them.

Exit codes: 0 ok, 1 a check or resolution failed, 2 usage, input or environment.
"""

from __future__ import annotations


class SymresError(Exception):
    """A failure a user can act on: one line of message, one line of hint."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details: list[str] = []  # indented lines under the message (conflict chains)


class InputError(SymresError):
    """A requirements file, pyproject.toml or option that symres cannot use."""


class IndexUnreachable(SymresError):
    """The package index did not answer after retries."""


class BadPage(IndexUnreachable):
    """An index answered with something that is not a project page (never cached)."""


class MetadataError(SymresError):
    """The metadata of a release could not be read or built."""


class NoSolution(SymresError):
    """The requirements cannot all be satisfied together."""

    exit_code = 1


class CheckFailed(SymresError):
    """`--check`: the file on disk is not what symres would write."""

    exit_code = 1
