"""A provider release's whole export tables in the database (``exports``): one
compressed document per release and target (written by symbols/tables.py), which
answers any question about its names."""

from __future__ import annotations

import sqlite3

from symres.db.exchange import Connected


class ExportTables:
    def put_exports(self: Connected, name: str, version: str, target: str, data: bytes) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO exports VALUES (?,?,?,?)", (name, version, target, data)
            )

    def exports(self: Connected, name: str, version: str, target: str) -> bytes | None:
        """The release's stored export tables (symbols/tables.py), user database first."""
        for schema in ("main", "snap") if self.has_snapshot else ("main",):
            with self._lock:
                try:
                    row = self._conn.execute(
                        f"SELECT data FROM {schema}.exports "
                        "WHERE name=? AND version=? AND target=?",
                        (name, version, target),
                    ).fetchone()
                except sqlite3.OperationalError:  # a snapshot older than export tables
                    row = None
            if row is not None:
                return bytes(row[0])
        return None
