"""``symres check``: is the lock still what its inputs ask for, and free of known symbol
breaks? Offline by default (a pre-commit hook must not depend on the network): symbol
facts come from the database and the shipped snapshot; ``online`` mines what they lack.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from packaging.utils import NormalizedName, canonicalize_name

from symres.errors import InputError
from symres.index.config import IndexOptions
from symres.lock.formats import FORMATS, read_lockfile
from symres.lock.inputs import read_inputs
from symres.lock.lockfile import LockedEntry, LockFile
from symres.lock.roots import RootRequirement
from symres.target import Target, make_target


@dataclass(frozen=True)
class CheckOptions:
    sources: tuple[Path, ...] = ()
    lock: Path | None = None
    src: tuple[Path, ...] = ()
    extras: tuple[str, ...] = ()
    online: bool = False
    lazy: Literal["warn", "enforce"] = "warn"
    ignore_symbols: tuple[str, ...] = ()
    python_version: str | None = None
    platform: str | None = None
    index: IndexOptions = IndexOptions()


@dataclass(frozen=True)
class Problem:
    kind: Literal["unsatisfied", "missing", "unneeded", "symbol"]
    package: str
    message: str


@dataclass
class CheckReport:
    lock: Path
    sources: tuple[Path, ...]
    target: Target
    pins: int
    problems: list[Problem] = field(default_factory=list)
    not_known: list[str] = field(default_factory=list)  # releases the database lacks
    unknown_verdicts: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0


def default_sources() -> tuple[Path, ...]:
    """What `check` and `lock` read when given no input: requirements.in, else a
    pyproject.toml with [project] dependencies (in the current folder)."""
    if Path("requirements.in").is_file():
        return (Path("requirements.in"),)
    pyproject = Path("pyproject.toml")
    if pyproject.is_file() and "[project]" in pyproject.read_text(encoding="utf-8"):
        return (pyproject,)
    return ()


def _lock_path(options: CheckOptions) -> Path:
    if options.lock is not None:
        return options.lock
    folder = options.sources[0].parent if options.sources else Path()
    for fmt in FORMATS.values():
        if (folder / fmt.filename).is_file():
            return folder / fmt.filename
    raise InputError(
        f"no lock to check: `{folder / 'requirements.txt'}` does not exist",
        hint="pass `--lock FILE`, or write the lock with `symres lock`",
    )


def check(options: CheckOptions) -> CheckReport:
    path = _lock_path(options)
    lock = read_lockfile(path)
    if lock.unpinned:
        line, text = lock.unpinned[0]
        raise InputError(
            f"{path}:{line}: `{text}` is not pinned",
            hint="check takes a lock (`name==version` lines, as `symres lock` writes)",
        )
    target = make_target(options.python_version or lock.python, options.platform or lock.platform)
    entries = {e.name: e for e in lock.applicable(target.env)}
    report = CheckReport(path, options.sources, target, len(entries))
    if options.sources:
        inputs = read_inputs(list(options.sources), extras=list(options.extras))
        env = {**target.env, "extra": ""}
        roots = [
            r
            for r in inputs.requirements
            if r.requirement.marker is None or r.requirement.marker.evaluate(env)
        ]
        constraints = [
            r
            for r in inputs.constraints
            if r.requirement.marker is None or r.requirement.marker.evaluate(env)
        ]
        report.problems += _satisfaction(lock, entries, roots, constraints)
        report.problems += _unneeded(lock, entries, roots)
    _symbols(entries, target, options, report)
    return report


def _satisfaction(
    lock: LockFile,
    entries: dict[NormalizedName, LockedEntry],
    roots: list[RootRequirement],
    constraints: list[RootRequirement],
) -> list[Problem]:
    out = []
    for root, what in [
        *((r, "requires") for r in roots),
        *((c, "constrains") for c in constraints),
    ]:
        req = root.requirement
        name = canonicalize_name(req.name)
        entry = lock.entries.get(name)
        if entry is None or name not in entries:
            if what == "requires":
                out.append(
                    Problem(
                        "missing", name, f"{root.source} requires `{req}`; the lock has no {name}"
                    )
                )
            continue
        if req.specifier and not req.specifier.contains(entry.version, prereleases=True):
            out.append(
                Problem(
                    "unsatisfied",
                    name,
                    f"{root.source} {what} `{req}`; the lock pins {name}=={entry.version}",
                )
            )
    return out


def _unneeded(
    lock: LockFile, entries: dict[NormalizedName, LockedEntry], roots: list[RootRequirement]
) -> list[Problem]:
    """Pins nothing in the inputs leads to any more, by the lock's own `# via` lines (a
    lock without them, as uv or pylock.toml write it, is not judged on this)."""
    if not any(e.via for e in lock.entries.values()):
        return []
    children: dict[str, list[NormalizedName]] = {}
    for entry in lock.entries.values():
        for parent in entry.via:
            if not parent.startswith("-"):
                children.setdefault(canonicalize_name(parent.split()[0]), []).append(entry.name)
    todo = deque(canonicalize_name(r.requirement.name) for r in roots)
    reached: set[str] = set()
    while todo:
        name = todo.popleft()
        if name in reached:
            continue
        reached.add(name)
        todo.extend(children.get(name, ()))
    out = []
    for name, entry in lock.entries.items():
        if name in entries and name not in reached:
            via = ", ".join(entry.via) or "nothing"
            out.append(
                Problem(
                    "unneeded",
                    name,
                    f"the lock pins {name}=={entry.version} (via {via}), "
                    "but nothing the inputs require needs it any more",
                )
            )
    return out


def _symbols(
    entries: dict[NormalizedName, LockedEntry],
    target: Target,
    options: CheckOptions,
    report: CheckReport,
) -> None:
    from symres.judge.judge import find_breaks
    from symres.judge.project import project_uses, pyproject_ignores
    from symres.judge.session import lock_symbols
    from symres.symbols.oracle import facts_of

    pins = {name: e.version for name, e in entries.items()}
    ignore = frozenset(options.ignore_symbols) | pyproject_ignores(
        options.sources or (report.lock,)
    )
    project = project_uses(list(options.src), facts_of(target)) if options.src else []
    with lock_symbols(target, options.index, online=options.online, lazy=options.lazy) as (
        oracle,
        stdlib,
    ):
        breaks, report.unknown_verdicts = find_breaks(
            oracle, pins, stdlib, ignore=ignore, project_uses=project
        )
        report.not_known = sorted(f"{n} {v}" for n, v in oracle.misses)
    for brk in breaks:
        if brk.enforced or options.lazy == "enforce":
            report.problems.append(
                Problem("symbol", str(brk.consumer), f"{brk.describe()}; {brk.verdict.reason}")
            )
