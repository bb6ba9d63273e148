"""Export tables kept in the database answer as the wheel does: for every provider of
the judge's own tables (tests/test_symbols.py, test_gap_classes.py,
test_lazy_modules.py, test_provider_conditions.py), each question a consumer asks, each
name a module binds, and names nobody binds get the same verdict, reason and all, from
the stored tables as from the release read."""

from __future__ import annotations

import itertools
import json
import os
import zlib
from pathlib import Path

import pytest

from symres.db.store import SymbolDB
from symres.symbols.consumer import read_uses
from symres.symbols.tables import StoredExports, compact, export_tables
from tests.builders import elf_extension
from tests.test_gap_classes import GAP_ROWS, SO, STAY_UNKNOWN
from tests.test_lazy_modules import LAZY_ROWS
from tests.test_provider_conditions import CONDITION_ROWS
from tests.test_symbols import EXPORT_ROWS, release


def _providers(row: pytest.param) -> dict[str, dict]:  # type: ignore[valid-type]
    """A row's providers as {name: files} (EXPORT_ROWS and LAZY_ROWS give one `lib`)."""
    first = row.values[0]
    if all(isinstance(v, dict) for v in first.values()):
        return first
    return {"lib": first}


def _consumer(row: pytest.param) -> dict[str, str]:  # type: ignore[valid-type]
    found = next(v for v in row.values[1:] if isinstance(v, (str, dict)))
    return found if isinstance(found, dict) else {"app/__init__.py": found}


ROWS = [
    pytest.param(_providers(r), _consumer(r), id=f"{table}-{r.id}")
    for table, rows in (
        ("export", EXPORT_ROWS),
        ("gap", GAP_ROWS),
        ("unknown", STAY_UNKNOWN),
        ("lazy", LAZY_ROWS),
        ("condition", CONDITION_ROWS),
    )
    for r in rows
]


def questions(lib, app) -> set[tuple[str, str | None]]:
    """What the consumer asks, what each module binds, and names nobody binds."""
    asked: set[tuple[str, str | None]] = {(u.module, u.name) for u in read_uses(app).uses}
    for module in {*lib.layout.modules, *lib.layout.namespaces}:
        asked |= {(module, None), (f"{module}.nope", None), (module, "nope"), (module, "_nope")}
        table = lib.table(module)
        if table is not None:
            asked |= {(module, n) for n in itertools.chain(table.names, table.lazy, table.stars)}
    return asked


def answer(provider, module: str, name: str | None):
    return provider.module_verdict(module) if name is None else provider.name_verdict(module, name)


@pytest.mark.parametrize(("providers", "consumer"), ROWS)
def test_stored_tables_answer_as_the_release_does(tmp_path: Path, providers, consumer) -> None:
    for sub in ("app", *providers, *(f"{p}-stored" for p in providers)):
        (tmp_path / sub).mkdir()
    app = release(tmp_path / "app", "app", "1.0", consumer)
    for spec, files in providers.items():
        name, version = (spec.split("==") + ["1.0"])[:2]
        live = release(tmp_path / spec, name, version, files)
        blob = export_tables(release(tmp_path / f"{spec}-stored", name, version, files))
        assert blob is not None
        stored = StoredExports(str(live), blob)
        asked = questions(live, app)
        want = {q: answer(live, *q) for q in sorted(asked, key=str)}
        assert {q: answer(stored, *q) for q in want} == want
        assert stored.hooks == frozenset(live.hook_strings())


def test_tables_go_through_the_database_and_stay_small(tmp_path: Path) -> None:
    """Stored once per release and target, read back whole; a thousand names cost less
    than their text (each name once, compressed)."""
    files = {f"lib/m{i}.py": "\n".join(f"name_{j} = {j}" for j in range(100)) for i in range(10)}
    files["lib/__init__.py"] = "from .m0 import *\n"
    lib = release(tmp_path, "lib", "1.0", files)
    blob = export_tables(lib)
    assert blob is not None and len(blob) < 2000
    with SymbolDB(tmp_path / "db.sqlite", snapshot=False) as db:
        db.put_exports("lib", "1.0", "3.11-linux-e0", blob)
        back = db.exports("lib", "1.0", "3.11-linux-e0")
        assert db.exports("lib", "1.0", "3.12-linux-e0") is None
    assert back is not None
    stored = StoredExports("lib 1.0", back)
    assert stored.name_verdict("lib", "name_99").status == "present"
    assert stored.name_verdict("lib", "name_100").status == "missing"


def test_a_big_extension_is_stored_by_its_names_not_its_bytes(tmp_path: Path) -> None:
    """A compiled module is mostly machine code: its tables keep the ASCII runs a name
    can lie in (a fraction of the binary) and judge as the binary does; a name beyond
    ASCII is never refused from them. Tables written before the runs were cut (the bytes
    kept whole) are rewritten to the same document, and answer the same."""
    noise = os.urandom(200_000)
    binary = elf_extension(["fast", "slow_path"]) + noise
    files = {"lib/__init__.py": "from ._core import *\n", f"lib/_core.{SO}": binary}
    lib = release(tmp_path, "lib", "1.0", files)
    blob = export_tables(lib)
    assert blob is not None and len(blob) < len(noise) // 4
    stored = StoredExports("lib 1.0", blob)
    assert stored.name_verdict("lib", "slow_path").status == "present"
    assert stored.name_verdict("lib", "not_in_it_anywhere").status == "missing"
    for asked in (stored, lib):  # the same rule, stored and read
        assert asked.name_verdict("lib", "caf\u00e9").status == "unknown"
        assert asked.name_verdict("lib._core", "caf\u00e9").status == "unknown"

    old = json.loads(zlib.decompress(blob))
    runs = next(m[9][1] for m in old["m"] if m[9] is not None)
    fast = next(i for i in runs if old["s"][i] == "fast")
    old["s"][fast] = "\xe9\x85fast\xff"  # as a binary's bytes were kept, read as latin-1
    written = zlib.compress(json.dumps(old, separators=(",", ":")).encode())
    assert StoredExports("old", written).name_verdict("lib", "fast").status == "present"
    assert compact(written) == blob == compact(blob)
