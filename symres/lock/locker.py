"""The ``lock`` recipe: read inputs, resolve for the target, render the lock file."""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from symres.errors import InputError, NoSolution
from symres.index.client import IndexClient
from symres.index.config import IndexConfig, IndexOptions, redact_url
from symres.index.finder import Finder
from symres.index.findlinks import local_path_of
from symres.index.formats import FormatControl
from symres.index.pages import DistFile
from symres.index.session import open_finder
from symres.index.uploads import parse_cutoff
from symres.judge.breaks import Break, Narrowing
from symres.judge.judge import find_breaks
from symres.judge.session import SymbolOptions, SymbolSession
from symres.lock.direct import direct_roots
from symres.lock.inputs import Inputs, RootRequirement, read_inputs
from symres.lock.lockfile import read_pylock_pins, read_requirements_pins
from symres.lock.txt import Header, relative, render_requirements
from symres.resolve.model import Candidate, Requirement
from symres.resolve.run import Counts, LockedPackage, Resolution, resolve
from symres.target import Target, make_target

if TYPE_CHECKING:
    import httpx

Format = Literal["requirements", "pylock"]


@dataclass(frozen=True)
class LockOptions:
    sources: tuple[Path, ...]
    output: Path | None = None
    format: Format = "requirements"
    python_version: str | None = None
    platform: str | None = None
    extras: tuple[str, ...] = ()
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    index_strategy: str = "first-index"
    offline: bool = False
    emit_find_links: bool = True
    cert: str | None = None
    upgrade: bool = False
    upgrade_packages: tuple[str, ...] = ()
    no_cache: bool = False
    refresh: bool = False
    emit_index_url: bool = True
    cache_dir: Path | None = None
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
        name = "pylock.toml" if self.format == "pylock" else "requirements.txt"
        return self.sources[0].parent / name

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
        if self.index_strategy != "first-index":
            words += ["--index-strategy", self.index_strategy]
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


def _existing_pins(options: LockOptions, output: Path) -> dict[NormalizedName, Version]:
    if options.upgrade or options.to_stdout or not output.is_file():
        return {}
    text = output.read_text(encoding="utf-8", errors="replace")
    pins = read_pylock_pins(text) if output.suffix == ".toml" else read_requirements_pins(text)
    for spec in options.upgrade_packages:
        pins.pop(_upgrade_name(spec), None)
    return pins


def _upgrade_name(spec: str) -> NormalizedName:
    from packaging.requirements import InvalidRequirement  # noqa: PLC0415
    from packaging.requirements import Requirement as PReq  # noqa: PLC0415

    try:
        return canonicalize_name(PReq(spec).name)
    except InvalidRequirement:
        raise InputError(
            f"invalid --upgrade-package {spec!r}", hint="give a project name, e.g. `-P requests`"
        ) from None


def _as_requirements(
    roots: list[RootRequirement], target: Target
) -> tuple[list[Requirement], dict[str, list[str]]]:
    env = {**target.env, "extra": ""}
    reqs: list[Requirement] = []
    origins: dict[str, list[str]] = {}
    for root in roots:
        r = root.requirement
        if r.marker is not None and not r.marker.evaluate(env):
            continue
        req = Requirement(
            canonicalize_name(r.name),
            r.specifier,
            frozenset(canonicalize_name(e) for e in r.extras),
            source=root.source,
        )
        reqs.append(req)
        if root.origin not in origins.setdefault(req.identifier, []):
            origins[req.identifier].append(root.origin)
    return reqs, origins


def _find_links(index: IndexConfig, base: Path) -> tuple[str, ...]:
    """The --find-links lines of the lock: folders relative to it, URLs redacted."""
    out = []
    for location in index.find_links:
        folder = local_path_of(location)
        out.append(relative(folder.resolve(), base, location) if folder else redact_url(location))
    return tuple(out)


def _overrides(options: LockOptions, target: Target) -> dict[NormalizedName, list[Requirement]]:
    """``--overrides FILE``: requirements that replace every requirement on their project."""
    if not options.override_files:
        return {}
    read = read_inputs(list(options.override_files))
    if read.direct:
        ref = read.direct[0]
        raise InputError(
            f"{ref.where}: an override names a version range, not a file: {ref.shown}",
            hint="list the file or URL in the requirements instead",
        )
    reqs, _ = _as_requirements(read.requirements, target)
    out: dict[NormalizedName, list[Requirement]] = {}
    for req in reqs:
        out.setdefault(req.name, []).append(replace(req, extras=frozenset()))
    return out


def _constraints(
    inputs: Inputs, options: LockOptions, target: Target
) -> tuple[dict[NormalizedName, list[Requirement]], dict[NormalizedName, list[str]]]:
    reqs, origins = _as_requirements(inputs.constraints, target)
    by_name: dict[NormalizedName, list[Requirement]] = {}
    by_name_origin: dict[NormalizedName, list[str]] = {}
    for req in reqs:
        by_name.setdefault(req.name, []).append(replace(req, extras=frozenset()))
        by_name_origin[req.name] = origins[req.identifier]
    from packaging.requirements import Requirement as PReq  # noqa: PLC0415

    for spec in options.upgrade_packages:
        parsed = PReq(spec)
        if parsed.specifier:
            name = canonicalize_name(parsed.name)
            by_name.setdefault(name, []).append(
                Requirement(name, parsed.specifier, source="--upgrade-package")
            )
    return by_name, by_name_origin


def ensure_hashes(
    client: IndexClient,
    packages: list[LockedPackage],
    on_event: Callable[[str, str], None] = lambda kind, what: None,
) -> list[LockedPackage]:
    """Fill in sha256 for files the index lists without one (downloads them, cached)."""
    missing = [f for p in packages for f in p.release.hashed if not f.sha256]
    if not missing:
        return packages

    def digest(f: DistFile) -> tuple[str, str]:
        cached = client.cache.read("sha256", f.url)
        if cached:
            return f.url, cached.decode()
        on_event("hash", f.filename)
        value = hashlib.sha256(client.get_bytes(f.url)).hexdigest()
        client.cache.write("sha256", f.url, value.encode())
        return f.url, value

    with ThreadPoolExecutor(max_workers=8) as pool:
        hashes = dict(pool.map(digest, missing))

    def fill(files: tuple[DistFile, ...]) -> tuple[DistFile, ...]:
        return tuple(replace(f, sha256=f.sha256 or hashes[f.url]) for f in files)

    out = []
    for p in packages:
        rest = p.release.hashed[len(p.release.files) :]
        release = replace(p.release, files=fill(p.release.files), others=fill(rest), foreign=b"")
        out.append(replace(p, release=release))
    return out


def lock(
    options: LockOptions, *, progress: Progress | None = None, http: httpx.Client | None = None
) -> LockResult:
    progress = progress or Progress()
    target = make_target(options.python_version, options.platform)
    cutoff = parse_cutoff(options.exclude_newer) if options.exclude_newer else None
    inputs = read_inputs(
        list(options.sources),
        extras=list(options.extras),
        all_extras=options.all_extras,
        constraints=list(options.constraint_files),
        groups=list(options.groups),
    )
    # Asking for an upgrade is asking for what the index has now, not what the cache saw.
    refresh: bool | frozenset[str] = options.refresh or options.upgrade
    if not refresh and options.upgrade_packages:
        refresh = frozenset(_upgrade_name(p) for p in options.upgrade_packages)
    index_options = IndexOptions(
        index_url=options.index_url or inputs.index_url,
        extra_index_urls=options.extra_index_urls or tuple(inputs.extra_index_urls),
        find_links=options.find_links or tuple(inputs.find_links),
        no_index=options.no_index or inputs.no_index,
        strategy=options.index_strategy,
        offline=options.offline,
        cert=options.cert,
        no_cache=options.no_cache,
        refresh=refresh,
        cache_dir=options.cache_dir,
    )
    formats = FormatControl()
    for option, value in options.formats:
        formats.add(option, value)  # type: ignore[arg-type]
    for option, value, where in inputs.formats:
        try:
            formats.add(option, value)  # type: ignore[arg-type]
        except InputError as err:
            raise InputError(f"{where}: {err.message}", hint=err.hint) from None
    with (
        open_finder(target, index_options, http, formats=formats, exclude_newer=cutoff) as finder,
        direct_roots(inputs.direct, finder, target, progress.on_event) as direct,
    ):
        finder.on_event = progress.on_event
        client = finder.client
        index = client.config
        roots, origins = _as_requirements(inputs.requirements, target)
        roots += direct.roots
        for identifier, named in direct.origins.items():
            origins.setdefault(identifier, []).extend(named)
        constraints, constraint_origins = _constraints(inputs, options, target)
        overrides = _overrides(options, target)
        output = options.output_path()
        preferred = _existing_pins(options, output)
        symbols = (
            SymbolSession(
                finder,
                index_options,
                SymbolOptions(
                    options.symbols,
                    options.lazy,
                    options.ignore_symbols,
                    (*options.src, *direct.code),
                ),
                options.sources,
            )
            if options.symbols != "off"
            else None
        )
        mined = (0, 0)
        learned: dict[tuple[NormalizedName, Version], list[Requirement]] = {}
        always: dict[NormalizedName, list[Requirement]] = {}
        narrowings: list[Narrowing] = []
        breaks: list[Break] = []
        unknown = 0
        counts, resolutions = Counts(), 0
        for _ in range(MAX_ROUNDS):
            merged = {
                n: [*constraints.get(n, ()), *always.get(n, ())] for n in {*constraints, *always}
            }
            try:
                resolution = resolve(
                    finder,
                    roots,
                    root_origins=origins,
                    constraints=merged,
                    constraint_origins=constraint_origins,
                    preferred=preferred,
                    learned=learned,
                    on_pin=progress.on_pin,
                    pre=options.pre or inputs.pre,
                    max_rounds=options.max_rounds,
                    resolution=options.resolution,
                    overrides=overrides,
                )
            except NoSolution as err:
                if index.strategy == "first-index" and len(index.lookup_order) > 1:
                    err.details.append(
                        "with several indexes the first that has a project serves all of it "
                        f"(asked in this order: {', '.join(map(redact_url, index.lookup_order))})"
                        "; `--index-strategy unsafe-best-match` merges them, as pip does"
                    )
                raise
            resolutions += 1
            for key, value in vars(resolution.counts).items():
                setattr(counts, key, getattr(counts, key) + value)
            if symbols is None:
                break
            progress.on_event(
                "symbols", f"checking the imports of {len(resolution.packages)} releases"
            )
            breaks, unknown = symbols.breaks(resolution)
            if options.symbols == "warn":
                break
            enforced = [b for b in breaks if b.enforced or options.lazy == "enforce"]
            known = {n.effect for n in narrowings}
            fresh = [n for n in symbols.learn(enforced) if n.effect not in known]
            if not fresh:
                acted = {n.brk for n in narrowings}
                breaks = [b for b in breaks if b not in acted]  # reported, not acted on
                break
            for n in fresh:
                progress.on_event("narrowed", f"{n.target}{n.specifier}: {n.why}")
                narrowings.append(n)
                use = n.brk.use
                overrule = f"{use.module}:{use.name}" if use.name else use.module
                req = Requirement(
                    n.target, n.specifier, source=n.source, why=n.why, overrule=overrule
                )
                if n.applies_to is None:
                    always.setdefault(n.target, []).append(req)
                else:
                    learned.setdefault(n.applies_to, []).append(req)
        if symbols is not None and options.symbols == "enforce" and preferred:
            narrowings += _kept_pin_narrowings(symbols, finder, resolution, preferred, narrowings)
        if symbols is not None:
            mined = (symbols.oracle.mined_uses, symbols.oracle.mined_verdicts)
            symbols.close()
        packages = ensure_hashes(client, list(resolution.packages), on_event=progress.on_event)
        # Breaks left standing are annotated only when asked for (`--symbols warn`); under
        # enforce they are the lazy or unreachable ones, reported on stderr and in --json.
        packages = _annotate(packages, narrowings, breaks if options.symbols == "warn" else [])
        resolution = Resolution(
            tuple(packages),
            resolution.dropped,
            counts=counts,
            skipped_newer=resolution.skipped_newer,
        )
    command = options.custom_command or options.command()
    hidden = {canonicalize_name(n) for n in options.no_emit}
    emitted = [p for p in resolution.packages if p.name not in hidden]
    if options.format == "pylock":
        from symres.lock.pylock import render_pylock  # noqa: PLC0415  (packaging.pylock, tomli-w)

        base = Path.cwd() if options.to_stdout else output.parent.resolve()
        text = render_pylock(emitted, target, command, base)
    else:
        base = Path.cwd() if options.to_stdout else output.parent.resolve()
        explicit_index = options.index_url or inputs.index_url
        extras = options.extra_index_urls or tuple(inputs.extra_index_urls)
        header = Header(
            command=command,
            target=target.describe(),
            index_url=redact_url(inputs.written.get(explicit_index, explicit_index))
            if explicit_index and options.emit_index_url
            else None,
            extra_index_urls=tuple(redact_url(inputs.written.get(u, u)) for u in extras)
            if options.emit_index_url
            else (),
            comment=options.header,
            find_links=_find_links(index, base) if options.emit_find_links else (),
            no_index=index.no_index and options.emit_find_links,
        )
        style = options.annotation_style if options.annotate else None
        text = render_requirements(emitted, header, annotation=style)
    stats = {
        "requests": client.stats.requests,
        "bytes": client.stats.bytes,
        "pages_fetched": client.stats.pages_fetched,
        "pages_from_cache": client.stats.pages_from_cache,
        "resolutions": resolutions,
        "resolver_rounds": counts.rounds,
        "backtracks": counts.backtracks,
        "rejected_candidates": counts.rejected,
        "releases_mined": mined[0],
        "verdicts_computed": mined[1],
    }
    return LockResult(text, resolution, target, output, index, stats, narrowings, breaks, unknown)


MAX_ROUNDS = 25


def _kept_pin_narrowings(
    symbols: SymbolSession,
    finder: Finder,
    resolution: Resolution,
    preferred: dict[NormalizedName, Version],
    known: list[Narrowing],
) -> list[Narrowing]:
    """A pin kept from the existing lock hides why newer releases are refused. Probe the
    newest release each kept pin's requirements allow, so the lock says the same whether
    its pins were kept or chosen afresh."""
    pins = symbols.pins(resolution)
    probe = dict(pins)
    for name, version in pins.items():
        if preferred.get(name) != version:
            continue
        reqs = resolution.requirements.get(name, ())
        newer = [
            v
            for v in (finder.releases(name) or {})
            if v > version and not v.is_prerelease and all(r.allows(v) for r in reqs)
        ]
        if newer:
            probe[name] = max(newer)
    if probe == pins:
        return []
    breaks, _ = find_breaks(
        symbols.oracle, probe, symbols.stdlib, ignore=symbols.ignore, project_uses=symbols.project
    )
    relevant = [
        b
        for b in breaks
        if b.enforced and b.provider is not None and probe[b.provider] != pins[b.provider]
    ]
    effects = {n.effect for n in known}
    return [
        n
        for n in symbols.learn(relevant)
        if n.effect not in effects
        and (n.target not in pins or n.specifier.contains(pins[n.target], prereleases=True))
    ]


def _annotate(
    packages: list[LockedPackage], narrowings: list[Narrowing], breaks: list[Break]
) -> list[LockedPackage]:
    """The `# symres:` lines: each narrowing that shaped the final pins, under the package
    it narrowed; each unresolved break (`--symbols warn`) under the importing package."""
    pins = {p.name: p.version for p in packages}
    notes: dict[NormalizedName, list[str]] = {}
    for n in narrowings:
        if n.applies_to is not None and pins.get(n.applies_to[0]) != n.applies_to[1]:
            continue  # learned for a release the final lock does not hold
        notes.setdefault(n.target, []).append(f"{n.specifier} — {n.why}")
    for b in breaks:
        where = b.provider or "the stdlib"
        notes.setdefault(b.consumer, []).append(
            f"warning — {b.describe()}: {b.verdict.reason} ({where})"
        )
    return [
        replace(p, notes=tuple(notes.get(p.name, ()))) if p.name in notes else p for p in packages
    ]
