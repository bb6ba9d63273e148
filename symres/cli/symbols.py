"""What ``symres compat`` and ``symres symbols`` print: short for people, ``--json`` for
machines (the same facts)."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version
from rich.console import Console

from symres.errors import InputError
from symres.facts import Use
from symres.index.config import IndexOptions
from symres.index.session import open_finder
from symres.judge.breaks import Judged
from symres.judge.judge import compat
from symres.judge.session import lock_symbols, symbol_db
from symres.symbols.consumer import read_uses
from symres.symbols.oracle import facts_of, open_release, target_key
from symres.target import make_target

USES_SHOWN = 5  # uses listed per top-level module, unless -v


def _use_json(use: Use) -> dict[str, Any]:
    out = asdict(use)
    out["statement"] = use.statement()
    out["condition"] = use.condition.describe() if use.condition else None
    return out


def parse_pin(text: str) -> tuple[NormalizedName, Version]:
    try:
        req = Requirement(text)
        specs = list(req.specifier)
        if len(specs) != 1 or specs[0].operator not in ("==", "==="):
            raise InvalidRequirement("not a pin")
        return canonicalize_name(req.name), Version(specs[0].version)
    except (InvalidRequirement, InvalidVersion):
        raise InputError(
            f"`{text}` is not a pin", hint="write NAME==VERSION, e.g. `flask==2.2.2`"
        ) from None


def _checked_json(c: Judged) -> dict[str, Any]:
    return {
        "use": _use_json(c.use),
        "provider": c.via or None,
        "verdict": c.verdict.status if c.verdict else "provider not given",
        "reason": c.verdict.reason if c.verdict else None,
        "undecided": c.undecided,
    }


def _line(c: Judged) -> str:
    use = c.use
    reach = "" if use.reachable else ", unreachable from the top-level import"
    reason = c.verdict.reason if c.verdict else "no pin provides it"
    return f"{use.statement()}  ({use.where}, {use.guard}{reach}) — {reason}"


def run_compat(args: argparse.Namespace, index: IndexOptions, console: Console) -> int:
    target = make_target(args.python_version, args.platform)
    started = time.perf_counter()
    consumer, *others = [parse_pin(args.consumer), *(parse_pin(p) for p in args.pins)]
    with lock_symbols(target, index, online=True, lazy="enforce") as (oracle, stdlib):
        for name, version in [consumer, *others]:  # a pin the index lacks: said first
            oracle.release(name, version)
        report = compat(oracle, consumer, others, stdlib)
        fetched = oracle.fetched
    elapsed = time.perf_counter() - started
    enforce = getattr(args, "lazy", "warn") == "enforce"
    failing = [c for c in report.missing if c.enforced or enforce]
    later = [c for c in report.missing if c not in failing]
    if args.json:
        print(
            json.dumps(
                {
                    "consumer": report.consumer,
                    "pins": report.pins,
                    "python": report.python,
                    "target": target.describe(),
                    "missing": len(report.missing),
                    "enforced": len(failing),
                    "checked": [_checked_json(c) for c in report.checked],
                    "inactive": [
                        {"use": _use_json(j.use), "why": j.inactive} for j in report.inactive
                    ],
                    "bytes_fetched": fetched,
                },
                indent=2,
            )
        )
        return 1 if failing else 0
    env = ", ".join(report.pins) or "no other pins"
    counts: dict[str, int] = {}
    for c in report.checked:
        key = c.verdict.status if c.verdict else "provider not given"
        counts[key] = counts.get(key, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    print(f"{report.consumer} with {env} on {target.describe()}: {summary or 'no uses'}")
    for c in failing:
        print(f"missing  {_line(c)}")
    for c in later:  # as lock: reported, not enforced
        why = c.undecided or "runs after import"
        print(f"later    {_line(c)} ({why}: not enforced; `--lazy enforce`)")
    soft = [
        c for c in report.checked if c.verdict and c.verdict.status == "missing" and not c.breaks
    ]
    for c in soft:
        print(f"degraded {_line(c)}")
    if args.all:
        for c in report.unknown:
            print(f"unknown  {_line(c)}")
        for c in report.not_given:
            print(f"no pin   {_line(c)}")
    elif report.unknown:
        print(f"({len(report.unknown)} unknown: the import tier settles them; `--all` lists them)")
    console.print(f"checked in {elapsed:.2f}s, {fetched / 1e6:.2f} MB fetched", markup=False)
    return 1 if failing else 0


def run_uses(args: argparse.Namespace, index: IndexOptions, console: Console) -> int:
    target = make_target(args.python_version, args.platform)
    name, version = parse_pin(args.release)
    started = time.perf_counter()
    facts = facts_of(target)
    db = symbol_db(index)
    with open_finder(target, index) as finder:
        release = open_release(finder, name, version, facts)
        uses = read_uses(release, cache=db, target=target_key(facts))
    db.close()
    elapsed = time.perf_counter() - started
    if args.json:
        print(
            json.dumps(
                {
                    "release": str(release),
                    "target": target.describe(),
                    "files": uses.files,
                    "unreadable": uses.unreadable,
                    "uses": [_use_json(u) for u in uses.uses],
                    "seconds": round(elapsed, 3),
                },
                indent=2,
            )
        )
        return 0
    by_top: dict[str, list[Use]] = {}
    for u in uses.uses:
        by_top.setdefault(u.module.split(".")[0], []).append(u)
    print(
        f"{release}: {len(uses.uses)} uses of {len(by_top)} top-level modules "
        f"in {uses.files} files ({len(uses.unreadable)} unreadable)"
    )
    for top, items in sorted(by_top.items()):
        guards = sorted({u.guard for u in items})
        print(f"  {top}: {len(items)} ({', '.join(guards)})")
        shown = items if args.verbose else items[:USES_SHOWN]
        for u in shown:
            print(f"    {u.statement()}  {u.where}  {u.guard}")
        if len(shown) < len(items):
            print(f"    … and {len(items) - len(shown)} more (`-v` lists every use)")
    console.print(
        f"read in {elapsed:.2f}s ({uses.files / max(elapsed, 1e-9):.0f} files/s; "
        f"{uses.from_cache} files known by content hash), "
        f"{release.source.fetched / 1e6:.2f} MB fetched",
        markup=False,
    )
    return 0


def run_exports(args: argparse.Namespace, index: IndexOptions, console: Console) -> int:
    target = make_target(args.python_version, args.platform)
    name, version = parse_pin(args.release)
    with open_finder(target, index) as finder:
        release = open_release(finder, name, version, facts_of(target))
        verdict = release.module_verdict(args.module)
        table = release.table(args.module) if verdict.status == "present" else None
        getattr_facts = release.getattr_facts(table) if table else None
    if table is None:
        print(f"{release}: {verdict.reason}")
        return 1 if verdict.status == "missing" else 0
    data = {
        "release": str(release),
        "module": args.module,
        "kind": table.kind,
        "open": table.open,
        "names": sorted(table.names),
        "all": list(table.all) if table.all is not None else None,
        "stars": list(table.stars),
        "lazy": sorted(table.lazy),
        "getattr": None
        if getattr_facts is None
        else {
            "served": sorted(getattr_facts.served),
            "raises": sorted(getattr_facts.raises),
            "other names": getattr_facts.fallback,
        },
    }
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    state = f"open ({table.open})" if table.open else "closed"
    print(f"{release} `{args.module}` ({table.kind}, {state}): {len(table.names)} names")
    print("  " + " ".join(sorted(table.names)))
    if table.stars:
        print(f"  star imports: {', '.join(table.stars)}")
    if table.lazy:
        print(f"  lazy: {len(table.lazy)} names, e.g. {', '.join(sorted(table.lazy)[:8])}")
    if getattr_facts is not None:
        print(
            f"  __getattr__ serves {len(getattr_facts.served)}, raises for "
            f"{len(getattr_facts.raises)}, other names: {getattr_facts.fallback}"
        )
    return 0
