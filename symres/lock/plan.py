"""From the inputs to what the resolver is given: root requirements with their origins,
constraints and overrides, the index options the inputs add to the command line's, the
binary/source rules, and the pins of the lock being written again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PReq
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from symres.errors import InputError
from symres.index.config import IndexConfig, IndexOptions, redact_url
from symres.index.findlinks import local_path_of
from symres.index.formats import FormatControl
from symres.lock.formats import read_pins
from symres.lock.inputs import read_inputs
from symres.lock.options import LockOptions
from symres.lock.roots import Inputs, RootRequirement
from symres.lock.txt import relative
from symres.resolve.model import Requirement
from symres.target import Target


def index_options(options: LockOptions, inputs: Inputs) -> IndexOptions:
    """The command line's index options, with what the inputs say (``--index-url`` lines)
    where the command line is silent. An upgrade asks what the index has now, not what
    the cache saw."""
    given = options.index
    refresh: bool | frozenset[str] = given.refresh or options.upgrade
    if not refresh and options.upgrade_packages:
        refresh = frozenset(_upgrade_name(p) for p in options.upgrade_packages)
    return replace(
        given,
        index_url=given.index_url or inputs.index_url,
        extra_index_urls=given.extra_index_urls or tuple(inputs.extra_index_urls),
        find_links=given.find_links or tuple(inputs.find_links),
        no_index=given.no_index or inputs.no_index,
        refresh=refresh,
    )


def format_control(options: LockOptions, inputs: Inputs) -> FormatControl:
    """``--only-binary`` / ``--no-binary``: the command line's, then the inputs' lines."""
    formats = FormatControl()
    for option, value in options.formats:
        formats.add(option, value)  # type: ignore[arg-type]
    for option, value, where in inputs.formats:
        try:
            formats.add(option, value)  # type: ignore[arg-type]
        except InputError as err:
            raise InputError(f"{where}: {err.message}", hint=err.hint) from None
    return formats


def existing_pins(options: LockOptions, output: Path) -> dict[NormalizedName, Version]:
    """The pins of the lock being written again, kept unless an upgrade is asked for."""
    if options.upgrade or options.to_stdout or not output.is_file():
        return {}
    pins = read_pins(output)
    for spec in options.upgrade_packages:
        pins.pop(_upgrade_name(spec), None)
    return pins


def _upgrade_name(spec: str) -> NormalizedName:
    try:
        return canonicalize_name(PReq(spec).name)
    except InvalidRequirement:
        raise InputError(
            f"invalid --upgrade-package {spec!r}", hint="give a project name, e.g. `-P requests`"
        ) from None


def as_requirements(
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


def find_links(index: IndexConfig, base: Path) -> tuple[str, ...]:
    """The --find-links lines of the lock: folders relative to it, URLs redacted."""
    out = []
    for location in index.find_links:
        folder = local_path_of(location)
        out.append(relative(folder.resolve(), base, location) if folder else redact_url(location))
    return tuple(out)


def overrides(options: LockOptions, target: Target) -> dict[NormalizedName, list[Requirement]]:
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
    reqs, _ = as_requirements(read.requirements, target)
    out: dict[NormalizedName, list[Requirement]] = {}
    for req in reqs:
        out.setdefault(req.name, []).append(replace(req, extras=frozenset()))
    return out


def constraints(
    inputs: Inputs, options: LockOptions, target: Target
) -> tuple[dict[NormalizedName, list[Requirement]], dict[NormalizedName, list[str]]]:
    reqs, origins = as_requirements(inputs.constraints, target)
    by_name: dict[NormalizedName, list[Requirement]] = {}
    by_name_origin: dict[NormalizedName, list[str]] = {}
    for req in reqs:
        by_name.setdefault(req.name, []).append(replace(req, extras=frozenset()))
        by_name_origin[req.name] = origins[req.identifier]
    for spec in options.upgrade_packages:
        parsed = PReq(spec)
        if parsed.specifier:
            name = canonicalize_name(parsed.name)
            by_name.setdefault(name, []).append(
                Requirement(name, parsed.specifier, source="--upgrade-package")
            )
    return by_name, by_name_origin
