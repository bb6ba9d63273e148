"""Moving facts in and out of a symbol database: counts per table (``symres db stats``),
a compact copy (``db export``), merging another database in (``db import``), and the
rows of one mined release, carried from a mining worker to the one writer
(``symres db mine``). Merging keeps what is there: the same facts merged twice change
nothing."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from symres.db.schema import SCHEMA_VERSION, TABLES


class _Database(Protocol):
    _conn: sqlite3.Connection
    _lock: threading.RLock
    has_snapshot: bool

    def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...


class Exchange:
    """What :class:`~symres.db.store.SymbolDB` offers for moving its facts."""

    def stats(self: _Database) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        with self._lock:
            for schema in ("main", "snap") if self.has_snapshot else ("main",):
                counts = {
                    t: int(self._conn.execute(f"SELECT COUNT(*) FROM {schema}.{t}").fetchone()[0])
                    for t in TABLES
                }
                counts["releases mined for uses"] = int(
                    self._conn.execute(
                        f"SELECT COUNT(*) FROM {schema}.scans WHERE kind='uses'"
                    ).fetchone()[0]
                )
                out["user" if schema == "main" else "snapshot"] = counts
        return out

    def export(self: _Database, dest: Path) -> None:
        """A compact copy of the user database (``VACUUM INTO``)."""
        if dest.exists():
            dest.unlink()
        with self._lock:
            self._conn.execute("VACUUM main INTO ?", (str(dest),))

    def import_(self: _Database, source: Path) -> dict[str, int]:
        """Merge another symbol database into this one; rows already here win."""
        added: dict[str, int] = {}
        with self._lock:
            self._conn.execute(
                "ATTACH DATABASE ? AS other", (f"{source.resolve().as_uri()}?mode=ro",)
            )
            try:
                with self._write() as db:
                    row = db.execute(
                        "SELECT value FROM other.meta WHERE key='schema_version'"
                    ).fetchone()
                    if row is None or int(row[0]) > SCHEMA_VERSION:
                        raise ValueError(f"{source} is not a symres database this version can read")
                    for table in ("uses", *(t for t in TABLES if t != "uses")):
                        before = db.total_changes
                        if table == "uses":
                            db.execute(
                                "INSERT INTO uses SELECT o.* FROM other.uses o WHERE NOT EXISTS ("
                                "SELECT 1 FROM main.scans s WHERE s.kind='uses' AND s.name=o.name "
                                "AND s.version=o.version AND s.target=o.target)"
                            )
                        else:
                            db.execute(
                                f"INSERT OR IGNORE INTO main.{table} SELECT * FROM other.{table}"
                            )
                        added[table] = db.total_changes - before
            finally:
                self._conn.execute("DETACH DATABASE other")
        return added

    def release_rows(
        self: _Database, name: str, version: str, files_after: int = 0
    ) -> dict[str, list[tuple[Any, ...]]]:
        """Every row this database holds about one release, and the per-file uses added
        after rowid *files_after* (what mining it added to that cache)."""
        out: dict[str, list[tuple[Any, ...]]] = {}
        with self._lock:
            for table in _RELEASE_TABLES:
                out[table] = self._conn.execute(
                    f"SELECT * FROM main.{table} WHERE name=? AND version=?", (name, version)
                ).fetchall()
            out["file_uses"] = self._conn.execute(
                "SELECT content, target, module, data FROM main.file_uses WHERE rowid > ?",
                (files_after,),
            ).fetchall()
        return out

    def last_file_row(self: _Database) -> int:
        with self._lock:
            row = self._conn.execute("SELECT MAX(rowid) FROM main.file_uses").fetchone()
        return int(row[0] or 0)

    def merge_rows(self: _Database, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        """Merge :meth:`release_rows` of another database; rows already here win, and a
        release whose uses are here keeps them (its uses are not added twice)."""
        with self._write() as db:
            scanned: set[tuple[Any, ...]] = set()
            for pin in {(u[0], u[1]) for u in rows.get("uses", ())}:
                scanned.update(
                    db.execute(
                        "SELECT name, version, target FROM main.scans "
                        "WHERE kind='uses' AND name=? AND version=?",
                        pin,
                    ).fetchall()
                )
            fresh = [u for u in rows.get("uses", ()) if tuple(u[:3]) not in scanned]
            for table, items, verb in (
                ("uses", fresh, "INSERT"),
                *((t, rows.get(t, []), "INSERT OR IGNORE") for t in _MERGED),
            ):
                if items:
                    marks = ",".join("?" * len(items[0]))
                    db.executemany(f"{verb} INTO main.{table} VALUES ({marks})", items)


_RELEASE_TABLES = ("scans", "uses", "layouts", "provenance", "verdicts", "exports")
_MERGED = ("scans", "layouts", "provenance", "verdicts", "exports", "file_uses")
