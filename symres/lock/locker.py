"""The ``lock`` recipe: read the inputs, resolve for the target with the symbols checked,
hash the files, render the lock in its format."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from symres.index.config import IndexOptions, redact_url
from symres.index.session import open_finder
from symres.index.uploads import parse_cutoff
from symres.judge.session import SymbolOptions, SymbolSession
from symres.lock import plan
from symres.lock.direct import DirectRoots, direct_roots
from symres.lock.formats import FORMATS, Rendering
from symres.lock.hashes import ensure_hashes
from symres.lock.inputs import read_inputs
from symres.lock.options import LockOptions, LockResult, Progress
from symres.lock.roots import Inputs
from symres.lock.rounds import Request, Rounds, annotate, resolve_checked
from symres.lock.txt import Header
from symres.resolve.run import Resolution
from symres.target import Target, make_target

if TYPE_CHECKING:
    import httpx

    from symres.index.client import IndexClient
    from symres.index.finder import Finder

__all__ = ["LockOptions", "LockResult", "Progress", "lock"]


def lock(
    options: LockOptions, *, progress: Progress | None = None, http: httpx.Client | None = None
) -> LockResult:
    progress = progress or Progress()
    target = make_target(options.python_version, options.platform)
    inputs = read_inputs(
        list(options.sources),
        extras=list(options.extras),
        all_extras=options.all_extras,
        constraints=list(options.constraint_files),
        groups=list(options.groups),
    )
    index_options = plan.index_options(options, inputs)
    cutoff = parse_cutoff(options.exclude_newer) if options.exclude_newer else None
    formats = plan.format_control(options, inputs)
    with (
        open_finder(target, index_options, http, formats=formats, exclude_newer=cutoff) as finder,
        direct_roots(inputs.direct, finder, target, progress.on_event) as direct,
    ):
        finder.on_event = progress.on_event
        request = _request(options, inputs, direct, target)
        symbols = _symbols(options, finder, index_options, direct)
        try:
            rounds = resolve_checked(finder, request, symbols, options, progress)
        finally:
            if symbols is not None:
                symbols.close()
        packages = ensure_hashes(
            finder.client, list(rounds.resolution.packages), on_event=progress.on_event
        )
        # Breaks left standing are annotated only when asked for (`--symbols warn`); under
        # enforce they are the lazy or unreachable ones, reported on stderr and in --json.
        shown = rounds.breaks if options.symbols == "warn" else []
        resolution = Resolution(
            tuple(annotate(packages, rounds.narrowings, shown)),
            rounds.resolution.dropped,
            counts=rounds.counts,
            skipped_newer=rounds.resolution.skipped_newer,
        )
    text = _render(options, inputs, resolution, target, finder.client)
    stats = _stats(finder.client, rounds, symbols)
    return LockResult(
        text,
        resolution,
        target,
        options.output_path(),
        finder.client.config,
        stats,
        rounds.narrowings,
        rounds.breaks,
        rounds.unknown,
    )


def _request(options: LockOptions, inputs: Inputs, direct: DirectRoots, target: Target) -> Request:
    roots, origins = plan.as_requirements(inputs.requirements, target)
    roots += direct.roots
    for identifier, named in direct.origins.items():
        origins.setdefault(identifier, []).extend(named)
    constraints, constraint_origins = plan.constraints(inputs, options, target)
    return Request(
        roots,
        origins,
        constraints,
        constraint_origins,
        plan.overrides(options, target),
        plan.existing_pins(options, options.output_path()),
        options.pre or inputs.pre,
    )


def _symbols(
    options: LockOptions, finder: Finder, index: IndexOptions, direct: DirectRoots
) -> SymbolSession | None:
    if options.symbols == "off":
        return None
    wanted = SymbolOptions(
        options.symbols, options.lazy, options.ignore_symbols, (*options.src, *direct.code)
    )
    return SymbolSession(finder, index, wanted, options.sources)


def _render(
    options: LockOptions,
    inputs: Inputs,
    resolution: Resolution,
    target: Target,
    client: IndexClient,
) -> str:
    hidden = {canonicalize_name(n) for n in options.no_emit}
    emitted = [p for p in resolution.packages if p.name not in hidden]
    base = Path.cwd() if options.to_stdout else options.output_path().parent.resolve()
    index = client.config
    explicit = options.index.index_url or inputs.index_url
    extras = options.index.extra_index_urls or tuple(inputs.extra_index_urls)
    header = Header(
        command=options.custom_command or options.command(),
        target=target.describe(),
        index_url=redact_url(inputs.written.get(explicit, explicit))
        if explicit and options.emit_index_url
        else None,
        extra_index_urls=tuple(redact_url(inputs.written.get(u, u)) for u in extras)
        if options.emit_index_url
        else (),
        comment=options.header,
        find_links=plan.find_links(index, base) if options.emit_find_links else (),
        no_index=index.no_index and options.emit_find_links,
    )
    style = options.annotation_style if options.annotate else None
    return FORMATS[options.format].render(Rendering(emitted, target, header, base, style))


def _stats(client: IndexClient, rounds: Rounds, symbols: SymbolSession | None) -> dict[str, int]:
    oracle = symbols.oracle if symbols is not None else None
    return {
        "requests": client.stats.requests,
        "bytes": client.stats.bytes,
        "pages_fetched": client.stats.pages_fetched,
        "pages_from_cache": client.stats.pages_from_cache,
        "resolutions": rounds.resolutions,
        "resolver_rounds": rounds.counts.rounds,
        "backtracks": rounds.counts.backtracks,
        "rejected_candidates": rounds.counts.rejected,
        "releases_mined": oracle.mined_uses if oracle else 0,
        "verdicts_computed": oracle.mined_verdicts if oracle else 0,
    }
