"""Run every row of shared/benchmark/cases.jsonl through `symres compat` and score it.

    python scripts/bench_symbols.py [--cases PATH] [--json]

For a row expecting `missing`, the break is *detected* when compat reports a hard use of
the row's statement as missing. For a row expecting `ok`, a *false missing* is a hard
use of that statement reported missing, and a *false block* is any import-time use of the
pair reported missing (what `lock` would refuse the working pair for). `runtime-only`
rows are for the import tier and are only listed. Unknown verdicts on the row's
statement are counted.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from symres.cli.symbols import parse_pin
from symres.index.session import IndexOptions
from symres.judge.judge import compat
from symres.judge.session import lock_symbols
from symres.target import make_target

CASES = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmark" / "cases.jsonl"


def statement_keys(use: str) -> tuple[set[tuple[str, str | None]], set[str]]:
    """(module, name) pairs named by a row's `use` text, and bare module prefixes."""
    pairs: set[tuple[str, str | None]] = set()
    modules: set[str] = set()
    for m in re.finditer(
        r"from\s+([\w.]+)\s+import\s+([\w\s,]+?)(?:\s+as\s+\w+)?(?:$|[;)`(]|\s{2})", use
    ):
        for name in m.group(2).split(","):
            name = name.strip().split(" as ")[0].strip()
            if name:
                pairs.add((m.group(1), name))
    for m in re.finditer(r"(?<![\w.])import\s+([\w.]+)(?:\s+as\s+(\w+))?", use):
        if not re.search(r"from\s+[\w.]+\s+" + re.escape(m.group(0)), use):
            modules.add(m.group(1))
            alias = m.group(2) or m.group(1)
            for attr in re.findall(re.escape(alias) + r"\.(\w+)", use):
                pairs.add((m.group(1), attr))
    if not pairs and not modules:
        modules |= set(re.findall(r"\b([a-z_][\w]*) imports\b", use)) | set(
            re.findall(r"all (\w+) imports", use)
        )
    return pairs, modules


def matches(use, pairs, modules) -> bool:  # type: ignore[no-untyped-def]
    if (use.module, use.name) in pairs:
        return True
    if any(use.module == m and (use.name is None or not pairs) for m in modules):
        return True
    return any(use.module.split(".")[0] == m for m in modules if not pairs)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.cases.read_text().splitlines() if line.strip()]
    results = []
    started = time.perf_counter()
    for row in rows:
        target = make_target(row["python"], "manylinux_2_28_x86_64")
        pairs, modules = statement_keys(row["use"])
        t0 = time.perf_counter()
        try:
            with lock_symbols(target, IndexOptions(), online=True, lazy="enforce") as (
                oracle,
                stdlib,
            ):
                consumer = parse_pin(row["consumer"])
                report = compat(oracle, consumer, [parse_pin(p) for p in row["pins"]], stdlib)
                fetched = oracle.fetched
        except Exception as exc:  # a row that cannot be read is reported, not fatal
            results.append({"id": row["id"], "expect": row["expect"], "outcome": f"error: {exc}"})
            continue
        relevant = [c for c in report.checked if matches(c.use, pairs, modules)]
        missing = [c for c in relevant if c.breaks]
        unknown = [c for c in relevant if c.verdict is not None and c.verdict.status == "unknown"]
        other_missing = [c for c in report.missing if c not in missing]
        blocks = [c for c in report.missing if c.use.import_time]
        if row["expect"] == "missing":
            outcome = "detected" if missing else "MISSED"
        elif row["expect"] == "ok":
            outcome = "FALSE MISSING" if missing else "ok"
        else:
            outcome = "runtime-only (import tier)"
        results.append(
            {
                "id": row["id"],
                "expect": row["expect"],
                "outcome": outcome,
                "relevant": len(relevant),
                "unknown": len(unknown),
                "other_missing": len(other_missing),
                "blocks": [
                    f"{c.use.module}:{c.use.name} ({c.verdict.reason if c.verdict else ''})"
                    for c in blocks
                ],
                "why": "; ".join(
                    sorted({c.verdict.reason for c in missing + unknown if c.verdict})
                )[:160],
                "seconds": round(time.perf_counter() - t0, 2),
                "fetched": fetched,
            }
        )
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print("| case | expect | outcome | uses checked | unknown | s | reason |")
        print("| --- | --- | --- | ---: | ---: | ---: | --- |")
        for r in results:
            print(
                f"| {r['id']} | {r['expect']} | {r['outcome']} | {r.get('relevant', '')} | "
                f"{r.get('unknown', '')} | {r.get('seconds', '')} | {r.get('why', '')} |"
            )
    breaks = [r for r in results if r["expect"] == "missing"]
    controls = [r for r in results if r["expect"] == "ok"]
    detected = sum(r["outcome"] == "detected" for r in breaks)
    false_missing = sum(r["outcome"] == "FALSE MISSING" for r in controls)
    false_blocks = [r for r in controls if r.get("blocks")]
    for r in false_blocks:
        print(f"false block: {r['id']}: {'; '.join(r['blocks'])[:200]}", file=sys.stderr)
    unknowns = sum(r.get("unknown", 0) for r in results)
    errors = sum(str(r["outcome"]).startswith("error") for r in results)
    print(
        f"\nbreaks detected {detected}/{len(breaks)}, missed {len(breaks) - detected}; "
        f"false missing on controls {false_missing}/{len(controls)}; "
        f"false blocks {len(false_blocks)}/{len(controls)}; unknown verdicts {unknowns}; "
        f"errors {errors}; {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
