"""A provider release's whole export tables in the database: one compressed document
per release and target (written by symbols/tables.py), which answers any question about
its names. Documents are kept once by digest (``export_docs``); ``exports`` says which
one each release and target has — a pure-Python wheel's targets, and the releases whose
exports did not change, share one."""

from __future__ import annotations

import hashlib
import sqlite3

from symres.db.exchange import Connected


def doc_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


class ExportTables:
    def put_exports(self: Connected, name: str, version: str, target: str, data: bytes) -> None:
        digest = doc_digest(data)
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO export_docs VALUES (?,?)", (digest, data))
            db.execute(
                "INSERT OR REPLACE INTO exports VALUES (?,?,?,?)", (name, version, target, digest)
            )

    def exports(self: Connected, name: str, version: str, target: str) -> bytes | None:
        """The release's stored export tables (symbols/tables.py), user database first."""
        for schema in ("main", "snap") if self.has_snapshot else ("main",):
            with self._lock:
                try:
                    row = self._conn.execute(
                        f"SELECT d.data FROM {schema}.exports e JOIN {schema}.export_docs d "
                        "ON d.digest = e.digest WHERE e.name=? AND e.version=? AND e.target=?",
                        (name, version, target),
                    ).fetchone()
                except sqlite3.OperationalError:  # a snapshot older than these tables
                    row = None
            if row is not None:
                return bytes(row[0])
        return None
