"""Moving facts in and out of a symbol database: counts per table (``symres db stats``),
a compact copy (``db export``), merging another database in (``db import``), and the
rows of one mined release, carried from a mining worker to the one writer
(``symres db mine``). Merging keeps what is there: the same facts merged twice change
nothing."""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from symres.db.schema import SCHEMA_VERSION, TABLES


class Connected(Protocol):
    """What the mixins of :class:`~symres.db.store.SymbolDB` use of it."""

    _conn: sqlite3.Connection
    _lock: threading.RLock
    has_snapshot: bool

    def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...


class Exchange:
    """What :class:`~symres.db.store.SymbolDB` offers for moving its facts."""

    def stats(self: Connected, uses_key: str, tables_key: str) -> dict[str, dict[str, Any]]:
        """Coverage per database (user, snapshot): projects, releases, the (release,
        target) pairs mined for uses under *uses_key* (``a13``: the analysis this symres
        reads) and holding export tables under *tables_key*, facts of older analyses
        (read by nobody), row counts, and what the file records of its making."""
        out: dict[str, dict[str, Any]] = {}
        with self._lock:
            for schema in ("main", "snap") if self.has_snapshot else ("main",):
                have = {
                    r[0] for r in self._conn.execute(f"SELECT name FROM {schema}.sqlite_master")
                }
                rows = {
                    t: int(self._conn.execute(f"SELECT COUNT(*) FROM {schema}.{t}").fetchone()[0])
                    if t in have
                    else 0
                    for t in TABLES
                }
                pairs: dict[str, dict[str, set[tuple[str, str]]]] = {}
                stale = 0
                queries = [
                    (
                        "uses",
                        f"SELECT name, version, target FROM {schema}.scans "
                        "WHERE kind IN ('uses', 'uses-import')",
                        uses_key,
                    )
                ]
                if "exports" in have:
                    queries.append(
                        (
                            "tables",
                            f"SELECT name, version, target FROM {schema}.exports",
                            tables_key,
                        )
                    )
                for what, sql, key in queries:
                    for name, version, target in self._conn.execute(sql):
                        place, _, analysis = str(target).rpartition("-")
                        if analysis != key:
                            stale += 1
                            continue
                        pairs.setdefault(place, {"uses": set(), "tables": set()})[what].add(
                            (name, version)
                        )
                releases = set().union(*(p["uses"] | p["tables"] for p in pairs.values()))
                meta = {
                    str(k): str(v)
                    for k, v in self._conn.execute(f"SELECT key, value FROM {schema}.meta")
                }
                out["user" if schema == "main" else "snapshot"] = {
                    "projects": len({n for n, _ in releases}),
                    "releases": len(releases),
                    "targets": {
                        t: {"uses": len(p["uses"]), "tables": len(p["tables"])}
                        for t, p in sorted(pairs.items())
                    },
                    "stale": stale,
                    "rows": rows,
                    "meta": meta,
                }
        return out

    def export(self: Connected, dest: Path, meta: dict[str, str]) -> None:
        """A compact copy of the user database (``VACUUM INTO``), with *meta* (the
        analyses its facts were mined with, when and from what) recorded in it. Written
        beside *dest* and moved into place: a failed export leaves *dest* as it was.
        OSError or sqlite3.DatabaseError when *dest* cannot be written."""
        if not dest.parent.is_dir():
            raise FileNotFoundError(f"no folder `{dest.parent}`")
        partial = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
        partial.unlink(missing_ok=True)
        try:
            with self._lock:
                self._conn.execute("VACUUM main INTO ?", (str(partial),))
            copy = sqlite3.connect(partial)
            try:
                with copy:
                    copy.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
            finally:
                copy.close()
            os.replace(partial, dest)
        finally:
            partial.unlink(missing_ok=True)

    def import_(
        self: Connected, source: Path, expect: dict[str, str]
    ) -> tuple[dict[str, int], bool]:
        """Merge another symbol database into this one; rows already here win. The file is
        checked first — readable, intact, this schema, the analyses in *expect* — and a
        file that fails is refused whole (ValueError): nothing is merged. Returns the rows
        added per table, and whether the file was a trimmed snapshot (uses left out)."""
        added: dict[str, int] = {}
        trimmed = False
        with self._lock:
            self._conn.execute(
                "ATTACH DATABASE ? AS other", (f"{source.resolve().as_uri()}?mode=ro",)
            )
            try:
                trimmed = _check_importable(self._conn, source, expect)
                with self._write() as db:
                    for table in ("uses", *(t for t in TABLES if t != "uses")):
                        before = db.total_changes
                        if trimmed and table in ("uses", "file_uses"):
                            added[table] = 0  # partial: read as complete, they hide uses
                            continue
                        if trimmed and table == "scans":
                            db.execute(
                                "INSERT OR IGNORE INTO main.scans "
                                "SELECT * FROM other.scans "
                                "WHERE kind NOT IN ('uses', 'uses-import')"
                            )
                        elif table == "uses":
                            _drop_superseded(db)
                            db.execute(
                                "INSERT INTO uses SELECT o.* FROM other.uses o WHERE NOT EXISTS ("
                                "SELECT 1 FROM main.scans s WHERE s.kind IN ('uses', "
                                "'uses-import') AND s.name=o.name AND s.version=o.version "
                                "AND s.target=o.target)"
                            )
                        elif table == "scans":  # not a partial scan beside a complete one
                            db.execute(
                                "INSERT OR IGNORE INTO main.scans SELECT * FROM other.scans o "
                                "WHERE o.kind != 'uses-import' OR NOT EXISTS (SELECT 1 FROM "
                                "main.scans s WHERE s.kind='uses' AND s.name=o.name AND "
                                "s.version=o.version AND s.target=o.target)"
                            )
                        else:
                            db.execute(
                                f"INSERT OR IGNORE INTO main.{table} SELECT * FROM other.{table}"
                            )
                        added[table] = db.total_changes - before
            finally:
                self._conn.execute("DETACH DATABASE other")
        return added, trimmed

    def release_rows(
        self: Connected, name: str, version: str, files_after: int = 0
    ) -> dict[str, list[tuple[Any, ...]]]:
        """Every row this database holds about one release, and the per-file uses added
        after rowid *files_after* (what mining it added to that cache)."""
        out: dict[str, list[tuple[Any, ...]]] = {}
        with self._lock:
            for table in _RELEASE_TABLES:
                out[table] = self._conn.execute(
                    f"SELECT * FROM main.{table} WHERE name=? AND version=?", (name, version)
                ).fetchall()
            out["export_docs"] = self._conn.execute(
                "SELECT DISTINCT d.* FROM main.export_docs d JOIN main.exports e "
                "ON d.digest = e.digest WHERE e.name=? AND e.version=?",
                (name, version),
            ).fetchall()
            out["file_uses"] = self._conn.execute(
                "SELECT content, target, module, data FROM main.file_uses WHERE rowid > ?",
                (files_after,),
            ).fetchall()
        return out

    def last_file_row(self: Connected) -> int:
        with self._lock:
            row = self._conn.execute("SELECT MAX(rowid) FROM main.file_uses").fetchone()
        return int(row[0] or 0)

    def merge_rows(self: Connected, rows: dict[str, list[tuple[Any, ...]]]) -> None:
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
            for scan in rows.get("scans", ()):  # a complete scan replaces an import-time one
                if scan[0] == "uses" and tuple(scan[1:4]) not in scanned:
                    _drop_partial(db, *scan[1:4])
            fresh = [u for u in rows.get("uses", ()) if tuple(u[:3]) not in scanned]
            for table, items, verb in (
                ("uses", fresh, "INSERT"),
                *((t, rows.get(t, []), "INSERT OR IGNORE") for t in _MERGED),
            ):
                if items:
                    marks = ",".join("?" * len(items[0]))
                    db.executemany(f"{verb} INTO main.{table} VALUES ({marks})", items)


def _check_importable(conn: sqlite3.Connection, source: Path, expect: dict[str, str]) -> bool:
    """Refuse (ValueError) what cannot be merged whole: a damaged file, another schema,
    facts of analyses this symres does not read. True for a trimmed snapshot (its uses
    are the import-time ones only, and stay out of the merge)."""
    if conn.execute("PRAGMA other.quick_check").fetchone()[0] != "ok":
        raise ValueError("the file is damaged (its integrity check fails)")
    try:
        meta = dict(conn.execute("SELECT key, value FROM other.meta").fetchall())
    except sqlite3.DatabaseError:
        raise ValueError("it is not a symres database") from None
    schema = int(meta.get("schema_version", 0))
    if schema != SCHEMA_VERSION:
        raise ValueError(
            f"it has schema {schema}, this symres reads schema {SCHEMA_VERSION}; "
            "export it again with this version"
        )
    for key, want in expect.items():
        if key in meta and meta[key] != want:
            raise ValueError(
                f"its facts were mined with {key} {meta[key]}, this symres reads {want}; "
                "mine them again (`symres db mine`)"
            )
    return meta.get("trimmed") == "1"


_RELEASE_TABLES = ("scans", "uses", "layouts", "provenance", "verdicts", "exports")
_MERGED = ("scans", "layouts", "provenance", "verdicts", "export_docs", "exports", "file_uses")


def _drop_partial(db: sqlite3.Connection, name: str, version: str, target: str) -> None:
    """Forget an import-time scan (``uses-import``) and its uses: a complete one came."""
    key = (name, version, target)
    gone = db.execute(
        "DELETE FROM main.scans WHERE kind='uses-import' AND name=? AND version=? AND target=?",
        key,
    ).rowcount
    whole = db.execute(
        "SELECT 1 FROM main.scans WHERE kind='uses' AND name=? AND version=? AND target=?", key
    ).fetchone()
    if gone and whole is None:  # the uses here are the partial scan's alone
        db.execute("DELETE FROM main.uses WHERE name=? AND version=? AND target=?", key)


def _drop_superseded(db: sqlite3.Connection) -> None:
    """Before an import: the import-time scans here that the other file holds whole."""
    for key in db.execute(
        "SELECT s.name, s.version, s.target FROM main.scans s JOIN other.scans o ON "
        "o.kind='uses' AND o.name=s.name AND o.version=s.version AND o.target=s.target "
        "WHERE s.kind='uses-import'"
    ).fetchall():
        _drop_partial(db, *key)
