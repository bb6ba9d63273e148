"""Carry the shipped snapshot's verdicts over to a new exports analysis
(``EXPORTS_ANALYSIS`` in symres/symbols/oracle.py), dropping those the new analysis may
judge otherwise: the unknown ones, and those of the symbols ``--drop`` names (SQL LIKE
patterns, e.g. ``'\\_\\_%'`` for dunder names). What is dropped is judged again, from the
wheels, when a lock asks. Runtime evidence carries over whole: it is not static reading.

    python scripts/rekey_snapshot.py 13 14 --drop '\\_\\_%'
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parent.parent / "data" / "symbols.sqlite"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("old", type=int)
    parser.add_argument("new", type=int)
    parser.add_argument("--drop", action="append", default=[], metavar="LIKE")
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT)
    args = parser.parse_args()
    old, new = f"-e{args.old}", f"-e{args.new}"
    db = sqlite3.connect(args.snapshot)
    with db:
        dropped = db.execute(
            "DELETE FROM verdicts WHERE target LIKE ? AND (status = 'unknown'"
            + "".join(" OR symbol LIKE ? ESCAPE '\\'" for _ in args.drop)
            + ")",
            (f"%{old}", *args.drop),
        ).rowcount
        kept = db.execute(
            "UPDATE verdicts SET target = replace(target, ?, ?) WHERE target LIKE ?",
            (old, new, f"%{old}"),
        ).rowcount
        evidence = db.execute(
            "UPDATE evidence SET target = replace(target, ?, ?) WHERE target LIKE ?",
            (old, new, f"%{old}"),
        ).rowcount
    db.execute("VACUUM")
    db.close()
    print(f"{kept} verdicts carried to {new[1:]}, {dropped} dropped, {evidence} evidence rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
