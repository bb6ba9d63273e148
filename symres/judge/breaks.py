"""What the judge finds: each use judged (:class:`Judged`), the breaks among them
(:class:`Break`) and what a lock learns from one (:class:`Narrowing`)."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from symres.facts import Use, Verdict

PROJECT = NormalizedName("<src>")  # the project's own code (``--src``), as a consumer


@dataclass(frozen=True)
class Judged:
    """One use of a pinned consumer, judged against the pins and the stdlib.

    ``verdict`` is None where no pin provides the module (nor the stdlib): not the
    judge's to say. ``inactive`` says why the use never runs here (a test on its provider
    that is false, an ``except ImportError:`` fallback whose ``try`` succeeds)."""

    consumer: NormalizedName
    use: Use
    provider: NormalizedName | None  # None: the stdlib (or no pin, with no verdict)
    verdict: Verdict | None
    via: str = ""  # "werkzeug 3.0.0", "stdlib 3.12", "an import hook of setuptools 69.0.3"
    inactive: str | None = None
    # why the use's test on its provider cannot be told here: the use may be dead code,
    # so a break of it is reported, not enforced
    undecided: str | None = None

    @property
    def breaks(self) -> bool:
        """A hard use its provider lacks, that runs."""
        return (
            self.inactive is None
            and self.verdict is not None
            and self.verdict.status == "missing"
            and self.use.hard
        )

    @property
    def enforced(self) -> bool:
        """A break that fails the consumer's import: what every command enforces by
        default (function bodies and unreachable modules: reported; ``--lazy enforce``)."""
        return self.breaks and self.use.import_time and self.undecided is None

    @property
    def status(self) -> str:
        if self.inactive is not None:
            return "inactive"
        return self.verdict.status if self.verdict is not None else "provider not given"


@dataclass(frozen=True)
class Break:
    consumer: NormalizedName
    consumer_version: Version
    use: Use
    provider: NormalizedName | None  # None: the stdlib
    provider_version: Version | None
    verdict: Verdict
    undecided: str | None = None  # see Judged.undecided

    @property
    def enforced(self) -> bool:
        """Import-time uses narrow the lock; lazy and unreachable ones are reported, and
        those under a test on a provider that cannot be told."""
        return self.use.import_time and self.undecided is None

    @property
    def consumer_label(self) -> str:
        return (
            "your code" if self.consumer == PROJECT else f"{self.consumer} {self.consumer_version}"
        )

    def describe(self) -> str:
        what = (
            f"`{self.use.name}` from `{self.use.module}`"
            if self.use.name not in (None, "*")
            else (f"module `{self.use.module}`")
        )
        labels: list[str] = [] if self.use.guard == "top" else [self.use.guard]
        if not self.use.reachable:
            labels.append("unreachable")
        if self.undecided:
            labels.append(self.undecided)
        label = f", {', '.join(labels)}" if labels else ""
        return f"{self.consumer_label} imports {what} ({self.use.where}{label})"


@dataclass(frozen=True)
class Narrowing:
    """A learned constraint: *target* is limited to *specifier* because of *brk*.
    ``applies_to`` is the consumer release it depends on (None: always)."""

    target: NormalizedName
    specifier: SpecifierSet
    why: str
    brk: Break
    applies_to: tuple[NormalizedName, Version] | None

    @property
    def source(self) -> str:
        return self.brk.consumer_label

    @property
    def effect(self) -> tuple[object, ...]:
        return (self.target, str(self.specifier), self.applies_to)
