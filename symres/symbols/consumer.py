"""A release as a consumer: every use in every module it ships, with whether importing
the distribution reaches that module (from its top-level packages, its entry points and
its ``.pth`` lines; a wheel's own tests are not import roots)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from symres.facts import Use
from symres.symbols.parse import parse
from symres.symbols.release import ReleaseSymbols
from symres.symbols.source import Layout, ModuleFiles, UnreadableMember
from symres.symbols.uses import scan_uses

if TYPE_CHECKING:
    from symres.db.store import SymbolDB


def read_uses(
    release: ReleaseSymbols,
    cache: SymbolDB | None = None,
    target: str = "",
    *,
    import_time: bool = False,
) -> ConsumerUses:
    """Every use in every module of this release, with reachability. With a *cache*,
    module files already scanned in another release (same content hash, from RECORD)
    are not read again. *import_time*: only the modules ``import <top-level>`` and the
    entry points reach are read, wave by wave along the release's own imports (the uses a
    default lock enforces; transformers' lazy modules are then never opened)."""
    result = ConsumerUses()
    if release.archive_error is not None:
        result.unreadable[release.source.filename] = release.archive_error
        return result
    layout = release.layout
    loads: dict[str, set[str]] = {}
    hashes = release.source.record_hashes() if cache is not None else {}
    entry_points = entry_point_modules(release)
    hits: dict[str, tuple[list[Use], set[str]]] = {}
    unread = 0
    for module, files in layout.modules.items():
        digest = hashes.get(files.py) if files.py is not None else None
        hit = cache.file_uses(digest, target, module) if cache is not None and digest else None
        if hit is not None:
            hits[module] = hit
        elif files.py is not None:
            unread += 1
    # the whole wheel, when most of it is unread: one request, and its hash checked (what
    # Range reads cannot), however little of it import then reaches
    whole = unread > max(64, len(layout.modules) // 4)
    if whole:
        try:
            release.source.fetch_whole()
        except UnreadableMember as exc:  # not the file its index advertised
            release.archive_error = str(exc)
            return ConsumerUses(unreadable={release.source.filename: str(exc)})
    wave = sorted(_roots(layout, entry_points) if import_time else layout.modules)
    own = layout.top_levels
    seen = set(wave)
    while wave:
        todo: list[tuple[str, ModuleFiles, str]] = []
        for module in wave:
            files = layout.modules[module]
            member = files.py
            if member is None:
                continue  # a stub (.pyi) never runs: its imports are for type checkers
            result.files += 1
            if module in hits:
                result.uses.extend(hits[module][0])
                loads[module] = hits[module][1]
                result.from_cache += 1
                continue
            todo.append((module, files, member))
        if whole:  # a wheel too big to download whole: its members' ranges, coalesced
            with contextlib.suppress(OSError):  # a shortcut: else each member is read alone
                release.source.prefetch([member for _, _, member in todo])
        for module, files, member in todo:
            _scan(release, module, files, member, result, loads, cache, target, hashes)
        if not import_time:
            break
        wave = sorted({n for m in wave for n in _next(layout, own, loads.get(m, set()))} - seen)
        seen.update(wave)
    reachable = _reachable(layout, loads, entry_points)
    result.uses = outside_import_roots(
        [
            u if u.consumer_module in reachable else _unreachable(u)
            for u in result.uses
            if u.module.split(".")[0] not in own
        ]
    )
    result.reachable_modules = len(reachable)
    return result


def _scan(
    release: ReleaseSymbols,
    module: str,
    files: ModuleFiles,
    member: str,
    result: ConsumerUses,
    loads: dict[str, set[str]],
    cache: SymbolDB | None,
    target: str,
    hashes: dict[str, str],
) -> None:
    """Read and scan one module file into *result* (what it imports at load into *loads*)."""
    try:
        data = release.source.read(member)
    except UnreadableMember as exc:
        result.unreadable[member] = str(exc)
        return
    result.bytes += len(data)
    tree = parse(data, member)
    if isinstance(tree, str):
        result.unreadable[member] = tree
        return
    found = scan_uses(module, _display(member), tree, is_package=files.package, facts=release.facts)
    result.uses.extend(found.uses)
    loads[module] = found.imports_at_load
    # keyed by the bytes read, not by what RECORD claims: a wheel that lies in
    # its RECORD must not lend its uses to another release's honest file
    if cache is not None and hashes.get(member) == _record_digest(data):
        cache.put_file_uses(hashes[member], target, module, found.uses, found.imports_at_load)


def entry_point_modules(release: ReleaseSymbols) -> set[str]:
    """Modules named by the wheel's entry_points.txt (``cli = pkg.cli:main``)."""
    member = next(
        (
            n
            for n in release.source.names()
            if n.count("/") == 1 and n.endswith(".dist-info/entry_points.txt")
        ),
        None,
    )
    if member is None:
        return set()
    try:
        text = release.source.read(member).decode("utf-8", "replace")
    except UnreadableMember:
        return set()
    out = set()
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("[", "#", ";")):
            target = line.split("=", 1)[1].strip().split(":")[0].split("[")[0].strip()
            if target:
                out.add(target)
    return out


@dataclass
class ConsumerUses:
    uses: list[Use] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    unreadable: dict[str, str] = field(default_factory=dict)
    reachable_modules: int = 0
    from_cache: int = 0


def _record_digest(data: bytes) -> str:
    """A file's hash as RECORD writes it (urlsafe base64 of its sha256, unpadded)."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


TEST_ROOTS = frozenset({"test", "tests", "testing", "conftest"})


def outside_import_roots(uses: list[Use]) -> list[Use]:
    """*uses* with those of the top-level modules a wheel ships for its own tests
    (``tests``, ``test_*.py``) marked unreachable: using the distribution imports none
    of them. (Facts mined before this rule keep them reachable; it applies on reading.)"""
    return [_unreachable(u) if u.reachable and _is_test(u.consumer_module) else u for u in uses]


def _is_test(module: str) -> bool:
    """A module of the wheel's own tests (``tests``, ``test_x``): never an import root."""
    top = module.split(".")[0]
    return top in TEST_ROOTS or top.startswith("test_")


def _unreachable(use: Use) -> Use:
    from dataclasses import replace

    return replace(use, reachable=False)


def _display(member: str) -> str:
    import re

    return re.sub(r"^[^/]+\.data/(?:purelib|platlib)/", "", member)


def _roots(layout: Layout, entry_points: set[str]) -> set[str]:
    """Where importing the distribution starts: its top-level modules, and the modules
    (with their packages) its entry points name (a console script, a plugin)."""
    # a namespace package has no module of its own: its packages are where import starts
    start = {
        m
        for m in layout.modules
        if ("." not in m or m.rpartition(".")[0] in layout.namespaces) and not _is_test(m)
    }
    for module in entry_points:
        parts = module.split(".")
        start |= {
            ".".join(parts[: i + 1])
            for i in range(len(parts))
            if ".".join(parts[: i + 1]) in layout.modules
        }
    return start


def _next(layout: Layout, own: set[str], imported: set[str]) -> set[str]:
    """The release's own modules (its top levels: *own*) that importing *imported* runs
    (``a.b.c``: a, a.b, a.b.c)."""
    out: set[str] = set()
    for target in imported:
        if target.split(".")[0] not in own:
            continue
        parts = target.split(".")
        out |= {
            ".".join(parts[:i])
            for i in range(1, len(parts) + 1)
            if ".".join(parts[:i]) in layout.modules
        }
    return out


def _reachable(layout: Layout, loads: dict[str, set[str]], entry_points: set[str]) -> set[str]:
    """Modules that ``import <top-level>`` or an entry point executes, following the
    release's own imports."""
    seen: set[str] = set()
    own = layout.top_levels
    stack = list(_roots(layout, entry_points))
    while stack:
        module = stack.pop()
        if module in seen:
            continue
        seen.add(module)
        stack += [m for m in _next(layout, own, loads.get(module, set())) if m not in seen]
    return seen
