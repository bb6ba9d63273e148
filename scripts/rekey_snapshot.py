"""Carry the shipped snapshot's verdicts over to a new exports analysis
(``EXPORTS_ANALYSIS`` in symres/symbols/oracle.py), dropping those the new analysis may
judge otherwise: the unknown ones, and those of the symbols ``--drop`` names (SQL LIKE
patterns, e.g. ``'\\_\\_%'`` for dunder names). What is dropped is judged again, from the
wheels, when a lock asks. Runtime evidence carries over whole: it is not static reading.

    python scripts/rekey_snapshot.py 13 14 --drop '\\_\\_%' --rejudge
    python scripts/rekey_snapshot.py --uses

``--uses`` mines again, with the current ``ANALYSIS``, the uses of every release whose
uses the snapshot holds (under each target it holds them for), and replaces the old ones,
trimmed as ``build_snapshot.py`` trims them: uses are not carried over, since a new
analysis of consumers finds other uses.

``--rejudge`` reads again, from the index pip is configured with, every release whose
carried-over verdicts say ``missing``, and replaces those verdicts with what the new
analysis says (a wrong ``missing`` blocks a good release: none is carried over unread).
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parent.parent / "data" / "symbols.sqlite"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("old", type=int, nargs="?")
    parser.add_argument("new", type=int, nargs="?")
    parser.add_argument("--uses", action="store_true", help="mine the uses again")
    parser.add_argument("--drop", action="append", default=[], metavar="LIKE")
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT)
    parser.add_argument("--rejudge", action="store_true", help="judge `missing` ones again")
    parser.add_argument(
        "--hooks", action="store_true", help="record every release's .pth hooks (offline check)"
    )
    args = parser.parse_args()
    if args.uses:
        print(f"{_uses(args.snapshot)} releases' uses mined again")
    if args.old is None or args.new is None:
        return 0
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
    changed = _rejudge(db, new) if args.rejudge else 0
    if args.hooks:
        print(f"{_hooks(db, new)} releases' .pth hooks recorded")
    db.execute("VACUUM")
    db.close()
    print(
        f"{kept} verdicts carried to {new[1:]}, {dropped} dropped, {evidence} evidence rows; "
        f"{changed} `missing` verdicts judged otherwise now"
    )
    return 0


def _uses(snapshot: Path) -> int:
    import shutil
    import sys
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    from packaging.utils import canonicalize_name
    from packaging.version import Version

    from symres.db.store import SymbolDB
    from symres.index.config import IndexOptions
    from symres.index.session import open_finder
    from symres.symbols.oracle import SymbolOracle, facts_of
    from symres.target import make_target

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from build_snapshot import trim

    db = sqlite3.connect(snapshot)
    scanned = db.execute("SELECT name, version, target FROM scans WHERE kind = 'uses'").fetchall()
    db.close()
    by_python: dict[str, list[tuple[str, str]]] = {}
    for name, version, target in scanned:
        by_python.setdefault(target.split("-")[0], []).append((name, version))
    with tempfile.TemporaryDirectory(prefix="symres-uses-") as tmp:
        cache = SymbolDB(Path(tmp) / "symbols.sqlite", snapshot=False)
        for python, releases in sorted(by_python.items()):
            target = make_target(python, "manylinux_2_28_x86_64")
            with open_finder(target, IndexOptions()) as finder:
                oracle = SymbolOracle(finder, cache, facts_of(target))

                def mine(pin: tuple[str, str], oracle: SymbolOracle = oracle) -> bool:
                    try:
                        oracle.uses(canonicalize_name(pin[0]), Version(pin[1]))
                        return True
                    except Exception as exc:
                        print(f"{pin[0]} {pin[1]}: not mined ({exc})", flush=True)
                        return False

                with ThreadPoolExecutor(max_workers=4) as pool:
                    done = list(pool.map(mine, sorted(releases)))
                # what failed beside the others (a cancelled download) is tried alone
                again = [pin for pin, ok in zip(sorted(releases), done, strict=True) if not ok]
                if again and not all([mine(pin) for pin in again]):
                    raise SystemExit(
                        "some releases could not be mined: the snapshot is left as it was"
                    )
            print(f"Python {python}: {len(releases)} releases mined", flush=True)
        cache.close()
        merged = Path(tmp) / "merged.sqlite"
        shutil.copy(snapshot, merged)
        db = sqlite3.connect(merged)
        db.execute("ATTACH ? AS mined", (str(Path(tmp) / "symbols.sqlite"),))
        with db:
            db.execute("INSERT OR REPLACE INTO scans SELECT * FROM mined.scans WHERE kind = 'uses'")
            db.execute("INSERT INTO uses SELECT * FROM mined.uses")
        db.execute("DETACH mined")
        db.close()
        inputs = sqlite3.connect(snapshot).execute("SELECT value FROM meta WHERE key='inputs'")
        recorded = inputs.fetchone()
        # the old analysis's uses go, the new ones are trimmed; the size limit as built
        trim(merged, snapshot, recorded[0] if recorded else "", int(25e6))
    return len(scanned)


def _hooks(db: sqlite3.Connection, key: str) -> int:
    """The `.pth` pseudo-verdict (see SymbolOracle.hooks) of every release the snapshot
    knows, under each of its targets: offline, an unread hook leaves a stdlib miss
    unknown."""
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    from symres.index.config import IndexOptions
    from symres.index.session import open_finder
    from symres.symbols.oracle import facts_of, open_release
    from symres.symbols.stdlib import python_versions
    from symres.target import make_target

    # a release's hooks do not depend on the Python: every target offline check may use
    targets = [f"{python}-linux{key}" for python in python_versions()]
    releases = sorted(set(db.execute("SELECT name, version FROM layouts").fetchall()))
    target = make_target("3.11", "manylinux_2_28_x86_64")  # a release's hooks: any wheel's
    with open_finder(target, IndexOptions()) as finder:

        def read(pin: tuple[str, str]) -> tuple[str, str, str | None]:
            try:
                name, version = canonicalize_name(pin[0]), Version(pin[1])
                release = open_release(finder, name, version, facts_of(target))
                return pin[0], pin[1], " ".join(sorted(release.hook_strings()))
            except Exception as exc:
                print(f"{pin[0]} {pin[1]}: not read ({exc})")
                return pin[0], pin[1], None

        found = [read(pin) for pin in releases]  # one at a time: the finder has its own pool
    rows = [
        (name, version, t, ".pth", "", "present", words)
        for name, version, words in found
        if words is not None
        for t in targets
    ]
    with db:
        db.executemany("INSERT OR REPLACE INTO verdicts VALUES (?,?,?,?,?,?,?)", rows)
    return sum(words is not None for _, _, words in found)


def _rejudge(db: sqlite3.Connection, key: str) -> int:
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    from symres.index.config import IndexOptions
    from symres.index.session import open_finder
    from symres.symbols.oracle import facts_of, open_release
    from symres.target import make_target

    rows = db.execute(
        "SELECT name, version, target, module, symbol FROM verdicts "
        "WHERE status = 'missing' AND target LIKE ?",
        (f"%{key}",),
    ).fetchall()
    by_target: dict[str, list[tuple[str, str, str, str]]] = {}
    for name, version, target, module, symbol in rows:
        by_target.setdefault(target, []).append((name, version, module, symbol))
    changed = 0
    for target_key, items in sorted(by_target.items()):
        python = target_key.split("-")[0]
        target = make_target(python, "manylinux_2_28_x86_64")
        with open_finder(target, IndexOptions()) as finder:
            opened = {}
            for name, version, module, symbol in items:
                pin = (canonicalize_name(name), Version(version))
                if pin not in opened:
                    opened[pin] = open_release(finder, *pin, facts_of(target))
                release = opened[pin]
                verdict = (
                    release.module_verdict(module)
                    if symbol in ("", "*")
                    else release.name_verdict(module, symbol)
                )
                if verdict.status != "missing":
                    changed += 1
                    print(f"{name} {version} {module}:{symbol}: now {verdict.status}")
                with db:
                    db.execute(
                        "UPDATE verdicts SET status = ?, reason = ? WHERE name = ? AND "
                        "version = ? AND target = ? AND module = ? AND symbol = ?",
                        (verdict.status, verdict.reason, name, version, target_key, module, symbol),
                    )
    return changed


if __name__ == "__main__":
    raise SystemExit(main())
