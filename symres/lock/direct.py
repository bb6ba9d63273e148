"""Direct references of the inputs (files, folders, git URLs) as roots of the resolution:
each read to its metadata and offered as the only release of its project."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import SpecifierSet

from symres.errors import InputError
from symres.index.direct import DirectReader, DirectRef, DirectSource
from symres.index.finder import Finder
from symres.resolve.model import Requirement
from symres.target import Target


@dataclass
class DirectRoots:
    roots: list[Requirement] = field(default_factory=list)
    origins: dict[str, list[str]] = field(default_factory=dict)
    sources: list[DirectSource] = field(default_factory=list)

    @property
    def code(self) -> list[Path]:
        """The import roots of the folders and checkouts: their code is a consumer, like
        ``--src`` (a ``src/`` layout's folder when there is one)."""
        out = []
        for source in self.sources:
            if source.tree is not None:
                src = source.tree / "src"
                out.append(src if src.is_dir() else source.tree)
        return out


@contextmanager
def direct_roots(
    refs: Sequence[DirectRef],
    finder: Finder,
    target: Target,
    on_event: Callable[[str, str], None],
) -> Iterator[DirectRoots]:
    """The roots *refs* add; git checkouts are kept until the context ends (their code is
    read for symbols after the resolution)."""
    out = DirectRoots()
    env = {**target.env, "extra": ""}
    ranks = target.tag_rank()
    reader = DirectReader(
        finder.client,
        python_version=target.python_version,
        on_event=on_event,
        policy=finder.fetcher.policy,
    )
    try:
        for ref in refs:
            if ref.marker is not None and not ref.marker.evaluate(env):
                continue
            on_event("direct", ref.shown)
            meta, source = reader.read(ref)
            wheel = source.file if source.file is not None and source.file.kind == "wheel" else None
            if wheel is not None and not any(t in ranks for t in wheel.tags):
                raise InputError(
                    f"{ref.where}: `{wheel.filename}` is not for {target.describe()}",
                    hint="give the wheel built for the target, or add a marker that skips it",
                )
            finder.add_direct(meta, source)
            out.sources.append(source)
            req = Requirement(meta.name, SpecifierSet(), ref.extras, source=ref.where)
            out.roots.append(req)
            origins = out.origins.setdefault(req.identifier, [])
            if ref.origin not in origins:
                origins.append(ref.origin)
        yield out
    finally:
        reader.close()
