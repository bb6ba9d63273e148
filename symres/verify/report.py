"""How a verify report reads: a table for a person, JSON for a machine, Markdown for a
pull request. The same rows in each: distribution, check, status, first line of the error."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from symres.verify.tier import VerifyReport

_ORDER = {"failed": 0, "warning": 1, "skipped": 2, "passed": 3}


def rows(
    report: VerifyReport, *, everything: bool = False, collapse: bool = True
) -> list[tuple[str, str, str, str]]:
    """(distribution, check, status, detail), failures first; without *everything* only
    the failures; with *collapse*, a third row with the same error is folded into a count."""
    out = [
        (f"{f.name} {f.version}".strip(), "install", "failed", f.message)
        for f in report.install_failures
    ]
    results = [*report.results, *(report.gpu.results if report.gpu else [])]
    shown = [r for r in results if everything or r["status"] == "failed"]
    shown.sort(key=lambda r: _ORDER.get(r["status"], 9))
    seen: dict[tuple[str, str], int] = {}
    folded: dict[tuple[str, str], int] = {}
    for r in shown:
        same = (r["status"], r["detail"])
        seen[same] = seen.get(same, 0) + 1
        if collapse and seen[same] > 2 and r["status"] != "passed":
            folded[same] = folded.get(same, 0) + 1
            continue
        detail = r["detail"]
        if r.get("where"):
            detail += f" ({r['where']})"
        if r["status"] != "passed" and r.get("consumers"):
            detail += f"; used at {r['consumers'][0].split(' (', 1)[-1].rstrip(')')}"
        if r.get("warnings") and r["status"] == "passed":
            detail = "; ".join(r["warnings"]) if not detail else f"{detail}; {r['warnings'][0]}"
            out.append((r["dist"], r["check"], "passed, warned", detail))
            continue
        out.append((r["dist"], r["check"], r["status"], detail))
    for (status, detail), n in folded.items():
        out.append(("", f"{n} more checks", status, f"the same error: {detail}"))
    return out


def summary(report: VerifyReport) -> list[str]:
    modules = sum(r["check"].startswith("import ") and "consumers" not in r for r in report.results)
    uses = sum("consumers" in r for r in report.results)
    failed = len(report.failed) - (
        len([r for r in report.gpu.results if r["status"] == "failed"]) if report.gpu else 0
    )
    verdict = "failed" if (failed or report.install_failures) else "passed"
    env = report.environment
    where = "a fresh venv" if env is None or (env.created and not env.kept) else f"`{env.root}`"
    by = f" by {report.installer}" if report.installer and env is not None and env.created else ""
    parts = [
        f"{report.lock}: import tier {verdict}: {len(report.results)} checks "
        f"({modules} modules, {uses} uses), {report.count('passed')} passed, {failed} failed, "
        f"{report.count('warning')} warnings",
    ]
    if skipped := report.count("skipped"):
        parts[0] += f", {skipped} skipped"
    if report.count("warning") and not report.failed:
        parts[0] += " (lazy or unreachable uses that fail here; `--all` lists them)"
    if report.install_failures:
        parts.append(f"{len(report.install_failures)} packages could not be installed")
    lines = ["; ".join(parts) + f"; Python {report.python} in {where}{by}, {report.seconds:.1f}s"]
    if report.gpu is not None:
        lines.append(f"gpu-load tier {report.gpu.status}: {report.gpu.reason}")
    lines += report.notes
    return lines


def print_report(report: VerifyReport, console: Console, *, everything: bool = False) -> None:
    table_rows = rows(report, everything=everything)
    if table_rows and console.is_terminal:
        table = Table("distribution", "check", "status", "detail", box=None, pad_edge=False)
        for dist, check, status, detail in table_rows:
            style = "red" if status == "failed" else "yellow" if status != "passed" else ""
            table.add_row(dist, check, f"[{style}]{status}[/]" if style else status, detail)
        console.print(table)
    else:
        for dist, check, status, detail in table_rows:
            console.print(f"{status.upper():8} {dist}: {check}: {detail}", markup=False)
    for line in summary(report):
        console.print(line, markup=False)


def to_json(report: VerifyReport) -> dict[str, Any]:
    env = report.environment
    return {
        "lock": str(report.lock),
        "passed": report.exit_code == 0,
        "exit_code": report.exit_code,
        "python": report.python,
        "environment": None
        if env is None
        else {
            "path": str(env.root),
            "python": str(env.python),
            "created": env.created,
            "kept": env.kept,
        },
        "installer": report.installer,
        "install_failures": [
            {"name": f.name, "version": f.version, "message": f.message}
            for f in report.install_failures
        ],
        "results": report.results,
        "gpu": None
        if report.gpu is None
        else {
            "status": report.gpu.status,
            "reason": report.gpu.reason,
            "device": report.gpu.device,
            "results": report.gpu.results,
        },
        "evidence_recorded": report.evidence,
        "notes": report.notes,
        "seconds": round(report.seconds, 3),
    }


def to_markdown(report: VerifyReport) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [f"# symres verify: `{report.lock}`", ""]
    lines += [f"- {line}" for line in summary(report)]
    lines += ["", "| distribution | check | status | detail |", "|---|---|---|---|"]
    for dist, check, status, detail in rows(report, everything=True, collapse=False):
        lines.append(f"| {cell(dist)} | `{cell(check)}` | {status} | {cell(detail)} |")
    return "\n".join(lines) + "\n"
