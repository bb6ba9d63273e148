"""What ``verify`` teaches the symbol database: runtime answers about names, and files
that were not the bytes their facts were read from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from symres.cache import symbols_db_path
from symres.target import make_target
from symres.verify.env import InstallFailure


def forget_mismatched(failures: list[InstallFailure], cache_dir: Path | None) -> list[str]:
    """A file the installer refused for its hash is not the one the lock was read from:
    the symbol facts mined for that release (from Range reads, which cannot check a
    hash) may be about other bytes. They are dropped, to be read again."""
    from symres.db.store import SymbolDB

    bad = [f for f in failures if f.hash_mismatch]
    if not bad:
        return []
    with SymbolDB(symbols_db_path(cache_dir)) as db:
        for f in bad:
            db.forget(f.name, f.version)
    return [
        f"dropped the symbol facts of {f.name} {f.version}: its file is not the one the "
        "lock's hashes name (the next lock reads it again)"
        for f in bad
    ]


def record_evidence(report: dict[str, Any], cache_dir: Path | None) -> int:
    """Runtime results into the symbol database: a module that imports, a name that a
    module has or lacks. Only clean answers count; a crash or an unrelated error is no
    evidence about the name."""
    from symres.db.store import SymbolDB
    from symres.symbols.oracle import facts_of, target_key

    rows = [
        r
        for r in report["results"]
        if r.get("evidence") in ("present", "missing") and (r.get("ref") or {}).get("provider")
    ]
    if not rows:
        return 0
    key = target_key(facts_of(make_target(report["environment"]["python"])), verdicts=True)
    with SymbolDB(symbols_db_path(cache_dir)) as db:
        for r in rows:
            ref = r["ref"]
            db.put_evidence(
                ref["provider"],
                ref["version"],
                key,
                ref["module"],
                ref.get("name"),
                r["evidence"],
                r["detail"] or f"{r['check']} works",
            )
    return len(rows)
