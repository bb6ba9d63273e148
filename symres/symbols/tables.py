"""A release's export tables as the database keeps them: every module's table (its
names, ``__all__``, star imports, lazy names, why it is open), what its module
``__getattr__`` or lazy object serves, and the names a C extension's bytes hold — what
:class:`~symres.symbols.verdicts.ExportRules` reads a verdict from, so that any name of
a stored release is judged without its wheel.

Stored compactly: one zlib-compressed JSON document per release and target, every
string in it once (``s``) and referred to by its index."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from symres.symbols.exports import Kind, ModuleTable
from symres.symbols.extension import Extension
from symres.symbols.getattr import GetattrFacts
from symres.symbols.release import ReleaseSymbols
from symres.symbols.verdicts import ExportRules

FORMAT = 1
# An ASCII name is in an extension's bytes exactly when it lies within one run of these
# (less any leading digits: no name starts with one): the runs stand for the bytes. A name
# beyond ASCII is never bounded (Extension.may_export), so a binary's other bytes — most of
# a big one — are not kept.
_RUN = re.compile(rb"[0-9]*([A-Za-z_][0-9A-Za-z_]*)")
_RELOAD_EVERY = 256  # modules read before the release's parsed trees are let go


class _Strings:
    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        return self.index.setdefault(text, len(self.index))

    def many(self, texts: Iterable[str]) -> list[int]:
        return sorted(self(t) for t in sorted(texts))  # sorted: the same bytes every run


def export_tables(release: ReleaseSymbols) -> bytes | None:
    """The release's tables, encoded; None when its archive cannot be read."""
    if release.archive_error is not None:
        return None
    s = _Strings()
    modules: list[list[Any]] = []
    hooks = [s(h) for h in sorted(release.hook_strings())]
    everything = sorted({*release.layout.modules, *release.layout.namespaces})
    for done, module in enumerate(everything, 1):
        table = release.table(module)
        if table is None:
            continue
        facts = release.getattr_facts(table)
        ext = release.extension(module) if table.kind == "ext" else None
        modules.append(
            [
                s(module),
                table.kind,
                int(table.is_package),
                s.many(table.names),
                None if table.all is None else [s(n) for n in table.all],
                [s(n) for n in table.stars],
                s.many(table.lazy),
                None if table.open is None else s(table.open),
                None
                if facts is None
                else [s.many(facts.served), s.many(facts.raises), facts.fallback],
                None
                if ext is None
                else [
                    None if ext.unknown is None else s(ext.unknown),
                    s.many(_runs(ext.text)),
                ],
            ]
        )
        if done % _RELOAD_EVERY == 0:
            release.let_go()  # parsed trees are large; what they taught is kept
    return _encode({"f": FORMAT, "s": list(s.index), "m": modules, "h": hooks})


def _runs(text: bytes) -> set[str]:
    return {r.decode("ascii") for r in _RUN.findall(text)}


def _encode(document: dict[str, Any]) -> bytes:
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode(), 9)


def compact(blob: bytes) -> bytes:
    """*blob* as :func:`export_tables` writes it now: a document written before extension
    runs were cut to ASCII (the same verdicts, a fraction of the bytes) is rewritten."""
    document = json.loads(zlib.decompress(blob))
    old = document["s"]
    s = _Strings()

    def one(i: int | None) -> int | None:
        return None if i is None else s(old[i])

    def listed(ids: list[int] | None) -> list[int] | None:  # in order
        return None if ids is None else [s(old[i]) for i in ids]

    def many(ids: list[int]) -> list[int]:  # a set
        return s.many(old[i] for i in ids)

    hooks = many(document["h"])  # interned in export_tables' order: a fixed point
    modules = []
    for module, kind, package, names, all_, stars, lazy, open_, facts, ext in document["m"]:
        row = [one(module), kind, package, many(names), listed(all_), listed(stars), many(lazy)]
        row.append(one(open_))
        row.append(None if facts is None else [many(facts[0]), many(facts[1]), facts[2]])
        if ext is not None:
            unknown = one(ext[0])
            ext = [unknown, s.many(_runs(b"\n".join(old[i].encode("latin-1") for i in ext[1])))]
        row.append(ext)
        modules.append(row)
    return _encode({"f": document["f"], "s": list(s.index), "m": modules, "h": hooks})


@dataclass
class _Stored:
    table: ModuleTable
    getattr: GetattrFacts | None
    extension: Extension | None


class StoredExports(ExportRules):
    """A release judged from its stored tables (no wheel is read)."""

    def __init__(self, label: str, blob: bytes) -> None:
        self.label = label
        document = json.loads(zlib.decompress(blob))
        if document.get("f") != FORMAT:
            raise ValueError(f"export tables of {label}: format {document.get('f')}")
        s = document["s"]
        self.hooks = frozenset(s[i] for i in document["h"])
        self._modules: dict[str, _Stored] = {}
        for module, kind, package, names, all_, stars, lazy, open_, facts, ext in document["m"]:
            kind_: Kind = kind
            table = ModuleTable(
                s[module],
                kind_,
                names=frozenset(s[i] for i in names),
                all=None if all_ is None else tuple(s[i] for i in all_),
                stars=tuple(s[i] for i in stars),
                lazy=frozenset(s[i] for i in lazy),
                open=None if open_ is None else s[open_],
                is_package=bool(package),
            )
            served = None
            if facts is not None:
                served = GetattrFacts({s[i] for i in facts[0]}, {s[i] for i in facts[1]}, facts[2])
            extension = None
            if ext is not None:
                runs = b"\n".join(s[i].encode("latin-1") for i in ext[1])
                extension = Extension(None if ext[0] is None else s[ext[0]], runs)
            self._modules[s[module]] = _Stored(table, served, extension)

    def __str__(self) -> str:
        return self.label

    def has_module(self, module: str) -> bool:
        return module in self._modules

    def table(self, module: str) -> ModuleTable | None:
        found = self._modules.get(module)
        return found.table if found else None

    def getattr_facts(self, table: ModuleTable) -> GetattrFacts | None:
        return self._modules[table.module].getattr

    def extension(self, module: str) -> Extension:
        found = self._modules[module].extension
        assert found is not None, f"{module} is not a C extension"
        return found
