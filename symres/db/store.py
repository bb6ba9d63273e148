"""The symbol database.

One SQLite file in the user cache (WAL, several symres processes at once), consulted
before the network, with the shipped snapshot (``data/symbols.sqlite``) attached
read-only behind it. Each release's facts are written in one transaction, after they
were read completely: a crash or a half-read wheel loses that write, nothing else.

Tables: ``scans`` (which release was mined for what target), ``uses`` (what a consumer
release needs), ``file_uses`` (uses per module file, deduplicated by content hash across
releases), ``layouts`` (the modules a release provides, for module → distribution),
``verdicts`` (is module:name present in a provider release, as asked), ``exports`` (a
provider release's whole export tables, which answer any such question), ``evidence`` (runtime
results from the import tier, which settle ``unknown`` verdicts).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from symres.db.exchange import Exchange
from symres.db.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    decode_alternatives,
    decode_condition,
    encode_condition,
    snapshot_path,
)
from symres.db.tables import ExportTables
from symres.facts import Use, Verdict
from symres.fsutil import make_folder

_RELEASE_FACTS = ("scans", "uses", "layouts", "verdicts", "evidence", "provenance", "exports")


class SymbolDB(Exchange, ExportTables):
    """Thread-safe; every method is one short transaction."""

    def __init__(self, path: Path | None, *, snapshot: Path | None | bool = True) -> None:
        self.path = path
        if path is not None:
            make_folder(path.parent)
        try:
            self._open(path)
        except sqlite3.DatabaseError:
            if path is None:
                raise
            # Damaged from outside (a truncated copy, a full disk): keep it aside, start anew.
            self._conn.close()
            stamp = time.strftime("%Y%m%d%H%M%S")
            for suffix in ("", "-wal", "-shm"):
                damaged = Path(f"{path}{suffix}")
                if damaged.exists():
                    damaged.rename(f"{path}{suffix}.damaged-{stamp}")
            self._open(path)
        snap = snapshot_path() if snapshot is True else (snapshot or None)
        self.has_snapshot = False
        if snap is not None and (path is None or snap.resolve() != path.resolve()):
            self._conn.execute(
                "ATTACH DATABASE ? AS snap", (f"{snap.resolve().as_uri()}?mode=ro&immutable=1",)
            )
            self.has_snapshot = True

    def _open(self, path: Path | None) -> None:
        self._conn = sqlite3.connect(
            path.resolve().as_uri() if path is not None else ":memory:",
            uri=True,
            timeout=30,
            check_same_thread=False,
            isolation_level=None,
        )
        self._lock = threading.RLock()
        self._conn.execute("PRAGMA busy_timeout = 30000")
        if path is not None:
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._migrate()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> SymbolDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _migrate(self) -> None:
        try:  # the usual case: already current, and a read costs no write transaction
            row = self._conn.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
            if row and int(row[0]) == SCHEMA_VERSION:
                return
        except sqlite3.OperationalError:
            pass  # no meta table yet
        with self._write() as db:
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            current = int(row[0]) if row else 0
            if current > SCHEMA_VERSION:
                raise RuntimeError(
                    f"symbol database {self.path} has schema {current}, newer than "
                    f"this symres ({SCHEMA_VERSION})"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version].split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )

    def _query(self, sql: str, args: tuple[object, ...]) -> list[tuple[object, ...]]:
        """Run against the user database, then the snapshot when the user one has nothing."""
        with self._lock:
            rows = self._conn.execute(sql.format(db="main"), args).fetchall()
            if not rows and self.has_snapshot:
                rows = self._conn.execute(sql.format(db="snap"), args).fetchall()
        return rows

    # -- uses ------------------------------------------------------------------------------

    def scanned(self, kind: str, name: str, version: str, target: str) -> bool:
        return bool(
            self._query(
                "SELECT 1 FROM {db}.scans WHERE kind=? AND name=? AND version=? AND target=?",
                (kind, name, version, target),
            )
        )

    def uses(
        self,
        name: str,
        version: str,
        target: str,
        *,
        complete: bool = False,
        import_time_only: bool = False,
    ) -> list[Use] | None:
        """A release's uses; *complete*: all of them, which the snapshot does not hold (it
        keeps only the reachable import-time ones), nor a scan of the modules import
        reaches alone (``uses-import``); *import_time_only*: only those."""
        if complete:
            if not self._has_main("uses", name, version, target):
                return None
            db = "main"
        elif self._has_main("uses", name, version, target) or self._has_main(
            "uses-import", name, version, target
        ):
            db = "main"
        elif self.scanned("uses", name, version, target) or self.scanned(
            "uses-import", name, version, target
        ):
            db = "snap"
        else:
            return None
        with self._lock:
            rows = self._conn.execute(
                f"SELECT module, symbol, guard, file, line, consumer_module, condition, reachable, "
                f"alternatives FROM {db}.uses WHERE name=? AND version=? AND target=?"
                + (
                    " AND reachable=1 AND guard IN ('top', 'if-available')"
                    if import_time_only
                    else ""
                ),
                (name, version, target),
            ).fetchall()
        return [
            Use(m, s, g, f, ln, cm, decode_condition(c), bool(r), decode_alternatives(a))
            for m, s, g, f, ln, cm, c, r, a in rows
        ]

    def _has_main(self, kind: str, name: str, version: str, target: str) -> bool:
        with self._lock:
            return (
                self._conn.execute(
                    "SELECT 1 FROM main.scans WHERE kind=? AND name=? AND version=? AND target=?",
                    (kind, name, version, target),
                ).fetchone()
                is not None
            )

    def put_uses(
        self,
        name: str,
        version: str,
        target: str,
        uses: Iterable[Use],
        *,
        filename: str,
        files: int,
        unreadable: int,
        import_time: bool = False,
    ) -> None:
        """*import_time*: the uses of the modules import reaches alone (a ``uses-import``
        scan, which a later complete one replaces)."""
        rows = [
            (
                name,
                version,
                target,
                u.module,
                u.name,
                u.guard,
                u.file,
                u.line,
                u.consumer_module,
                encode_condition(u.condition),
                int(u.reachable),
                json.dumps(u.alternatives) if u.alternatives else None,
            )
            for u in uses
        ]
        with self._write() as db:
            db.execute(
                "DELETE FROM uses WHERE name=? AND version=? AND target=?", (name, version, target)
            )
            db.executemany("INSERT INTO uses VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            db.execute(
                "DELETE FROM scans WHERE kind IN ('uses', 'uses-import') AND name=? AND "
                "version=? AND target=?",
                (name, version, target),
            )
            db.execute(
                "INSERT INTO scans VALUES (?,?,?,?,?,?,?,?)",
                (
                    "uses-import" if import_time else "uses",
                    *(name, version, target, filename, files, unreadable, time.time()),
                ),
            )

    def file_uses(
        self, content: str, target: str, module: str
    ) -> tuple[list[Use], set[str]] | None:
        rows = self._query(
            "SELECT data FROM {db}.file_uses WHERE content=? AND target=? AND module=?",
            (content, target, module),
        )
        if not rows:
            return None
        data = json.loads(str(rows[0][0]))
        uses = [
            Use(
                **{
                    **u,
                    "condition": decode_condition(u["condition"]),
                    "alternatives": decode_alternatives(u.get("alternatives")),
                }
            )
            for u in data["uses"]
        ]
        return uses, set(data["loads"])

    def put_file_uses(
        self, content: str, target: str, module: str, uses: list[Use], loads: set[str]
    ) -> None:
        data = json.dumps(
            {
                "uses": [{**asdict(u), "condition": encode_condition(u.condition)} for u in uses],
                "loads": sorted(loads),
            }
        )
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO file_uses VALUES (?,?,?,?)", (content, target, module, data)
            )

    # -- provider side ---------------------------------------------------------------------

    def layout(self, name: str, version: str) -> list[str] | None:
        rows = self._query(
            "SELECT prefixes FROM {db}.layouts WHERE name=? AND version=?", (name, version)
        )
        return list(json.loads(str(rows[0][0]))) if rows else None

    # -- provenance ------------------------------------------------------------------------

    def put_provenance(
        self, name: str, version: str, filename: str, sha256: str | None, origin: str
    ) -> None:
        """The file (and index) this release's facts are read from; the first one stays."""
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO provenance VALUES (?,?,?,?,?,?)",
                (name, version, filename, sha256, origin, time.time()),
            )

    def provenance(self, name: str, version: str) -> tuple[str, str | None, str] | None:
        """(filename, sha256, origin) of the file this database read the release from;
        None for facts it did not mine (the shipped snapshot's, or none)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT filename, sha256, origin FROM main.provenance WHERE name=? AND version=?",
                (name, version),
            ).fetchone()
        return (str(row[0]), row[1], str(row[2])) if row else None

    def forget(self, name: str, version: str) -> None:
        """Drop every fact this database mined from the release (a file that turned out
        not to be the one its index advertised, or one another index does not serve)."""
        with self._write() as db:
            for table in _RELEASE_FACTS:  # its export documents may be another's too
                db.execute(f"DELETE FROM {table} WHERE name=? AND version=?", (name, version))

    def put_layout(self, name: str, version: str, prefixes: Iterable[str]) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO layouts VALUES (?,?,?)",
                (name, version, json.dumps(sorted(prefixes))),
            )

    def verdicts_of(self, name: str, version: str, target: str) -> dict[tuple[str, str], Verdict]:
        """Every known verdict for one provider release (one query; evidence wins)."""
        out: dict[tuple[str, str], Verdict] = {}
        for table in ("verdicts", "evidence"):
            col = "reason" if table == "verdicts" else "detail"
            for schema in ("snap", "main") if self.has_snapshot else ("main",):
                with self._lock:
                    rows = self._conn.execute(
                        f"SELECT module, symbol, status, {col} FROM {schema}.{table} "
                        "WHERE name=? AND version=? AND target=?",
                        (name, version, target),
                    ).fetchall()
                for module, symbol, status, reason in rows:
                    prefix = "import tier: " if table == "evidence" else ""
                    out[(module, symbol)] = Verdict(status, prefix + str(reason))
        return out

    def verdict(
        self, name: str, version: str, target: str, module: str, symbol: str | None
    ) -> Verdict | None:
        key = (name, version, target, module, symbol or "")
        rows = self._query(
            "SELECT status, detail FROM {db}.evidence WHERE name=? AND version=? AND target=? "
            "AND module=? AND symbol=?",
            key,
        )
        if rows:
            return Verdict(str(rows[0][0]), f"import tier: {rows[0][1]}")  # type: ignore[arg-type]
        rows = self._query(
            "SELECT status, reason FROM {db}.verdicts WHERE name=? AND version=? AND target=? "
            "AND module=? AND symbol=?",
            key,
        )
        return Verdict(str(rows[0][0]), str(rows[0][1])) if rows else None  # type: ignore[arg-type]

    def put_verdicts(
        self,
        name: str,
        version: str,
        target: str,
        verdicts: Iterable[tuple[str, str | None, Verdict]],
    ) -> None:
        rows = [(name, version, target, m, s or "", v.status, v.reason) for m, s, v in verdicts]
        with self._write() as db:
            db.executemany("INSERT OR REPLACE INTO verdicts VALUES (?,?,?,?,?,?,?)", rows)

    def put_evidence(
        self,
        name: str,
        version: str,
        target: str,
        module: str,
        symbol: str | None,
        status: str,
        detail: str,
    ) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO evidence VALUES (?,?,?,?,?,?,?,?)",
                (name, version, target, module, symbol or "", status, detail, time.time()),
            )

    # -- maintenance -----------------------------------------------------------------------
