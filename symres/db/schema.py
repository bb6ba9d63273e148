"""The symbol database's schema: its tables, the migrations from one version to the
next, how facts are encoded in its columns, and where the shipped snapshot is."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from importlib import resources
from pathlib import Path

from symres.facts import ProviderCondition

SCHEMA_VERSION = 5
TABLES = (
    "scans",
    "uses",
    "file_uses",
    "layouts",
    "verdicts",
    "evidence",
    "exports",
    "export_docs",
)

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE scans (
        kind TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, target TEXT NOT NULL,
        filename TEXT, files INTEGER, unreadable INTEGER, scanned_at REAL,
        PRIMARY KEY (kind, name, version, target));
    CREATE TABLE uses (
        name TEXT NOT NULL, version TEXT NOT NULL, target TEXT NOT NULL,
        module TEXT NOT NULL, symbol TEXT, guard TEXT NOT NULL, file TEXT, line INTEGER,
        consumer_module TEXT, condition TEXT, reachable INTEGER);
    CREATE INDEX uses_release ON uses (name, version, target);
    CREATE TABLE file_uses (
        content TEXT NOT NULL, target TEXT NOT NULL, module TEXT NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (content, target, module));
    CREATE TABLE layouts (
        name TEXT NOT NULL, version TEXT NOT NULL, prefixes TEXT NOT NULL,
        PRIMARY KEY (name, version));
    CREATE TABLE verdicts (
        name TEXT NOT NULL, version TEXT NOT NULL, target TEXT NOT NULL,
        module TEXT NOT NULL, symbol TEXT NOT NULL, status TEXT NOT NULL, reason TEXT,
        PRIMARY KEY (name, version, target, module, symbol));
    CREATE TABLE evidence (
        name TEXT NOT NULL, version TEXT NOT NULL, target TEXT NOT NULL,
        module TEXT NOT NULL, symbol TEXT NOT NULL, status TEXT NOT NULL, detail TEXT,
        recorded_at REAL, PRIMARY KEY (name, version, target, module, symbol));
    """,
    # 2: imports in `except ImportError:` handlers know what they stand in for
    2: """
    ALTER TABLE uses ADD COLUMN alternatives TEXT;
    DELETE FROM file_uses;
    DELETE FROM uses;
    DELETE FROM scans WHERE kind = 'uses';
    """,
    # 3: which file (by hash) and which index each release's facts were read from
    3: """
    CREATE TABLE provenance (
        name TEXT NOT NULL, version TEXT NOT NULL, filename TEXT, sha256 TEXT, origin TEXT,
        recorded_at REAL, PRIMARY KEY (name, version));
    """,
    # 4: whole export tables per release and target (symbols/tables.py), so that any
    # name is judged offline; and what a snapshot was built from (`meta`)
    4: """
    CREATE TABLE exports (
        name TEXT NOT NULL, version TEXT NOT NULL, target TEXT NOT NULL, data BLOB NOT NULL,
        PRIMARY KEY (name, version, target));
    """,
    # 5: each export-tables document once, by its digest: the targets of a pure-Python
    # wheel, and the releases whose exports did not change, share one (those of schema 4
    # are mined again when asked)
    5: """
    DROP TABLE exports;
    CREATE TABLE exports (
        name TEXT NOT NULL, version TEXT NOT NULL, target TEXT NOT NULL, digest TEXT NOT NULL,
        PRIMARY KEY (name, version, target));
    CREATE TABLE export_docs (digest TEXT PRIMARY KEY, data BLOB NOT NULL);
    """,
}


def snapshot_path() -> Path | None:
    """The shipped snapshot; ``SYMRES_SNAPSHOT=FILE`` names another, ``SYMRES_NO_SNAPSHOT=1``
    leaves it out (to rebuild it, and in tests)."""
    if os.environ.get("SYMRES_NO_SNAPSHOT"):
        return None
    if os.environ.get("SYMRES_SNAPSHOT"):
        return Path(os.environ["SYMRES_SNAPSHOT"])
    try:
        path = Path(str(resources.files("symres.data").joinpath("symbols.sqlite")))
    except (ModuleNotFoundError, TypeError):
        return None
    return path if path.is_file() else None


def encode_condition(c: ProviderCondition | None) -> str | None:
    return json.dumps(asdict(c)) if c else None


def decode_condition(text: str | None) -> ProviderCondition | None:
    return ProviderCondition(**json.loads(text)) if text else None


def decode_alternatives(value: object) -> tuple[tuple[str, str | None, int], ...]:
    items = json.loads(value) if isinstance(value, str) else (value or [])
    return tuple((str(m), n, int(level)) for m, n, level in items)  # type: ignore[union-attr]
