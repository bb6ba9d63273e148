"""Moving facts in and out of a symbol database: counts per table (``symres db stats``),
a compact copy (``db export``), and merging another database in (``db import``)."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

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
