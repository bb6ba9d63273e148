"""How much of the real-world locks the shipped snapshot covers, per (release, target).

    python scripts/snapshot_coverage.py RESULTS.json [--snapshot data/symbols.sqlite]
        [--tool symres] [--top 150]

RESULTS is what `scripts/bench_realworld.py --json` wrote (each file's locks). A pin is
covered when the snapshot holds both its uses (what it imports, for the lock's target:
Python 3.11 on Linux) and its export tables (what it provides): a cold lock then reads
no wheel of it. Prints one line per file, then the share over all files and over the
files whose own requirements are all among the --top N most-downloaded projects
(data/top-projects.txt, the list the snapshot is built from).
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from symres.symbols.oracle import facts_of, target_key  # noqa: E402
from symres.target import make_target  # noqa: E402

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Path) -> set[tuple[str, str]]:
    return {(canonical(n), v) for n, v in PIN.findall(lock.read_text())}


def asked(src: Path) -> set[str]:
    """The projects a requirements file names itself (not what they pull in)."""
    out = set()
    for line in src.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-") and (m := re.match(r"[A-Za-z0-9][\w.-]*", line)):
            out.add(canonical(m.group(0)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("results", type=Path)
    parser.add_argument("--snapshot", type=Path, default=ROOT / "data" / "symbols.sqlite")
    parser.add_argument("--tool", default="symres", help="whose locks (symres, uv)")
    parser.add_argument("--top", type=int, default=150)
    args = parser.parse_args()
    facts = facts_of(make_target("3.11", "manylinux_2_28_x86_64"))
    uses_key, tables_key = target_key(facts), target_key(facts, verdicts=True)
    db = sqlite3.connect(f"{args.snapshot.resolve().as_uri()}?mode=ro", uri=True)
    with_uses = set(
        db.execute(
            "SELECT name, version FROM scans WHERE kind IN ('uses', 'uses-import') AND target=?",
            (uses_key,),
        )
    )
    with_tables = set(db.execute("SELECT name, version FROM exports WHERE target=?", (tables_key,)))
    db.close()
    listed = (ROOT / "data" / "top-projects.txt").read_text().splitlines()
    top = {canonical(n) for n in [x for x in listed if x and not x.startswith("#")][: args.top]}
    results = json.loads(args.results.read_text())
    totals = {"all": [0, 0], "top": [0, 0]}
    print(f"| file | pins | covered | share | its requirements all in the top {args.top} |")
    print("|---|---:|---:|---:|---|")
    for name, row in sorted(results["files"].items()):
        lock = Path(row.get(args.tool, {}).get("lock", ""))
        if not lock.is_file():
            continue
        found = pins(lock)
        covered = sum(1 for p in found if p in with_uses and p in with_tables)
        in_top = all(n in top for n in asked(ROOT / "scripts" / "realworld" / f"{name}.txt"))
        for group in ("all", "top") if in_top else ("all",):
            totals[group][0] += covered
            totals[group][1] += len(found)
        share = covered / len(found) if found else 0.0
        print(f"| {name} | {len(found)} | {covered} | {share:.0%} | {'yes' if in_top else 'no'} |")
    for group, (covered, total) in totals.items():
        what = "every file" if group == "all" else f"files all in the top {args.top}"
        share = f"{covered / total:.1%}" if total else "n/a (no such file)"
        print(f"\n{what}: {covered} of {total} (release, target) pairs covered, {share}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
