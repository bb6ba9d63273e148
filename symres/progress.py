"""What a long ``lock`` is doing, on a terminal: the phase and the thing it is on.

Part of the command line (it renders). The library reports events ``(kind, what)``:

- ``page`` (a project's index page read), ``metadata`` (a release's metadata being read),
  ``build`` (an sdist's build backend about to run: package code), ``pinned``;
- ``symbols`` (the symbol check starts), ``mine`` (a release's uses being read from its
  wheel), ``narrowed`` (a narrowing learned), ``hash`` (a file downloaded to hash it).

The line reads like ``Resolving: 12 pinned, 40 projects · reading the metadata of numpy
2.1.0``; a phase change is drawn at once, other updates at most ten times a second. An
sdist build is also said on stderr as a line of its own, terminal or not.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner

PHASES = {
    "page": "Resolving",
    "metadata": "Resolving",
    "pinned": "Resolving",
    "build": "Building",
    "build-tree": "Building",
    "direct": "Resolving",
    "symbols": "Checking symbols",
    "mine": "Checking symbols",
    "narrowed": "Checking symbols",
    "hash": "Hashing",
}
DOING = {
    "page": "reading the index page of {}",
    "metadata": "reading the metadata of {}",
    "pinned": "pinned {}",
    "build": "running the build backend of {} for its metadata",
    "build-tree": "running the build backend of {} for its metadata",
    "direct": "reading {}",
    "symbols": "{}",
    "mine": "mining the uses of {}",
    "narrowed": "narrowed {}",
    "hash": "downloading {} to hash it",
}


class LockProgress:
    """A context manager; :meth:`event` is safe to call from the finder's threads."""

    def __init__(self, console: Console, *, show: bool, quiet: bool, verbose: bool) -> None:
        self.console = console
        self.quiet = quiet
        self.verbose = verbose
        self.counts: dict[str, int] = {}
        self.phase = "Resolving"
        self.doing = "starting"
        self._lock = threading.Lock()
        self._last = 0.0
        self._spinner = Spinner("dots", text="Resolving…")
        self._live = (
            Live(
                self._spinner,
                console=console,
                transient=True,
                refresh_per_second=10,
                auto_refresh=True,
            )
            if show
            else None
        )

    def __enter__(self) -> LockProgress:
        if self._live is not None:
            self._live.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.__exit__(kind, exc, tb)

    def event(self, kind: str, what: str) -> None:
        with self._lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if kind == "build" and not self.quiet:
                self.console.print(
                    f"building `{what}` from its sdist to read its metadata "
                    "(this runs the package's build backend)",
                    markup=False,
                )
            if kind == "build-tree" and not self.quiet:
                self.console.print(
                    f"building `{what}` to read its metadata (this runs its build backend)",
                    markup=False,
                )
            if kind == "narrowed" and self.verbose:
                self.console.print(f"learned {what}", markup=False)
            phase = PHASES.get(kind, self.phase)
            changed = phase != self.phase
            self.phase = phase
            self.doing = DOING.get(kind, "{}").format(what)
            now = time.monotonic()
            if self._live is not None and (changed or now - self._last > 0.1):
                self._last = now
                self._spinner.update(text=self.text())
                self._live.refresh()

    def text(self) -> str:
        c = self.counts
        if self.phase == "Resolving":
            head = f"Resolving: {c.get('pinned', 0)} pinned, {c.get('page', 0)} projects"
        elif self.phase == "Checking symbols":
            head = f"Checking symbols: {c.get('mine', 0)} releases mined"
        else:
            head = self.phase
        return f"{head} · {self.doing}"

    def on_pin(self) -> Callable[[object], None]:
        return lambda candidate: self.event("pinned", str(candidate))
