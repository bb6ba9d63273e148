"""What ``symres lock`` is asked (:class:`LockOptions`) and what it answers
(:class:`LockResult`)."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from symres.index.config import IndexConfig, IndexOptions
from symres.judge.breaks import Break, Narrowing
from symres.lock.formats import FORMATS
from symres.resolve.model import Candidate
from symres.resolve.run import Resolution
from symres.target import Target


@dataclass(frozen=True)
class LockOptions:
    sources: tuple[Path, ...]
    output: Path | None = None
    format: str = "requirements"  # a name in FORMATS
    python_version: str | None = None
    platform: str | None = None
    extras: tuple[str, ...] = ()
    index: IndexOptions = IndexOptions()  # the command line's; the inputs may add to it
    emit_find_links: bool = True
    upgrade: bool = False
    upgrade_packages: tuple[str, ...] = ()
    emit_index_url: bool = True
    symbols: Literal["enforce", "warn", "off"] = "enforce"
    lazy: Literal["enforce", "warn"] = "warn"
    ignore_symbols: tuple[str, ...] = ()
    src: tuple[Path, ...] = ()
    pre: bool = False
    formats: tuple[tuple[str, str], ...] = ()  # --only-binary / --no-binary, in order
    constraint_files: tuple[Path, ...] = ()  # -c FILE on the command line
    all_extras: bool = False
    max_rounds: int = 200_000
    resolution: Literal["highest", "lowest", "lowest-direct"] = "highest"
    to_stdout: bool = False  # `-o -`: no file to write, none whose pins to keep
    header: bool = True
    annotate: bool = True
    annotation_style: Literal["split", "line"] = "split"
    custom_command: str | None = None  # what the header says regenerates the lock
    no_emit: tuple[str, ...] = ()  # resolved, left out of the lock
    exclude_newer: str | None = None  # as given: a date, a timestamp or a cooldown (7d)
    groups: tuple[str, ...] = ()  # PEP 735 dependency groups: NAME or PATH:NAME
    override_files: tuple[Path, ...] = ()  # uv's --overrides

    def output_path(self) -> Path:
        if self.to_stdout:
            return Path("-")
        if self.output is not None:
            return self.output
        return self.sources[0].parent / FORMATS[self.format].filename

    def command(self) -> str:
        """The command line recorded in the lock's header (only what shapes the result)."""
        words = ["symres", "lock"]
        if self.format != "requirements":
            words += ["--format", self.format]
        if self.python_version:
            words += ["--python-version", self.python_version]
        if self.platform:
            words += ["--platform", self.platform]
        for extra in self.extras:
            words += ["--extra", extra]
        if self.all_extras:
            words.append("--all-extras")
        for group in self.groups:
            words += ["--group", group]
        for path in self.constraint_files:
            words += ["-c", str(path)]
        for path in self.override_files:
            words += ["--overrides", str(path)]
        for name in self.no_emit:
            words += ["--no-emit-package", name]
        if not self.annotate:
            words.append("--no-annotate")
        elif self.annotation_style != "split":
            words += ["--annotation-style", self.annotation_style]
        if self.resolution != "highest":
            words += ["--resolution", self.resolution]
        if self.index.strategy != "first-index":
            words += ["--index-strategy", self.index.strategy]
        if self.exclude_newer:
            words += ["--exclude-newer", self.exclude_newer]
        if self.pre:
            words.append("--pre")
        words += [f"{option}={value}" for option, value in self.formats]
        if self.to_stdout:
            words.append("--output-file=-")
        elif self.output is not None:
            words += [f"--output-file={self.output}"]
        words += [str(s) for s in self.sources]
        return shlex.join(words)


@dataclass
class LockResult:
    text: str
    resolution: Resolution
    target: Target
    output: Path
    index: IndexConfig
    stats: dict[str, int] = field(default_factory=dict)
    narrowings: list[Narrowing] = field(default_factory=list)
    breaks: list[Break] = field(default_factory=list)  # --symbols warn: found, not acted on
    unknown: int = 0


@dataclass
class Progress:
    """Callbacks the CLI uses to show what is going on."""

    on_pin: Callable[[Candidate], None] = lambda c: None
    on_event: Callable[[str, str], None] = lambda kind, what: None
