"""What the runner checks: each locked distribution (installed at its version? each
top-level module of its RECORD), the plan's uses and its probes, as a list of checks;
and the result a check comes to.

The version and install checks need no code of the packages: they are answered here,
in the parent, and the rest go to the workers (:mod:`symres.verify.runner.worker`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_SKIP_TOP = {"test", "tests", "testing", "docs", "doc", "examples", "benchmarks", "setup"}
_SKIP_TOP |= {"conftest", "__pycache__"}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def top_level_modules(files: Iterable[object]) -> list[str]:
    """The importable top-level names of a distribution's RECORD: `pkg` for
    pkg/__init__.py, `mod` for mod.py or mod.cpython-311-x86_64-linux-gnu.so, and for a
    namespace package the shallowest regular packages or modules under it."""
    modules: set[str] = set()
    packages: set[str] = set()
    for path in files:
        parts = str(path).replace("\\", "/").split("/")
        if parts[0] in ("..", "") or parts[0].endswith((".dist-info", ".data", ".egg-info")):
            continue
        if "__pycache__" in parts:
            continue
        leaf = parts[-1]
        if leaf.endswith(".py"):
            stem = leaf[:-3]
        elif leaf.endswith((".so", ".pyd")):
            stem = leaf.split(".")[0]
            if leaf.count(".") == 1 and stem.startswith("lib"):
                continue  # a shared library shipped in the wheel (libcupti.so), not a module
        else:
            continue
        if stem == "__main__":
            continue  # `python -m` runs it; importing it runs the program (censys: SystemExit)
        dotted = parts[:-1] + ([] if stem == "__init__" else [stem])
        if not dotted or not all(_IDENT.match(p) for p in dotted):
            continue
        name = ".".join(dotted)
        modules.add(name)
        if stem == "__init__":
            packages.add(name)
    out = set()
    for name in modules:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix in packages or i == len(parts):
                out.add(prefix)
                break
    return sorted(n for n in out if n.split(".")[0] not in _SKIP_TOP)


def installed(name: str) -> tuple[str, list[str]] | None:
    """(version, top-level modules) of an installed distribution, or None."""
    from importlib import metadata

    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    files = dist.files or []
    mods = top_level_modules(files)
    if not files:
        text = dist.read_text("top_level.txt") or ""
        mods = sorted(m for m in text.split() if _IDENT.match(m) and m not in _SKIP_TOP)
    return dist.version, mods


def build_checks(plan: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The plan's distributions, uses and probes as a list of checks; the version and
    install checks need no code of the packages, so they are answered here."""
    checks: list[dict[str, Any]] = []
    answered: list[dict[str, Any]] = []
    skip = set(plan.get("skip_modules", []))
    for dist in plan.get("distributions", []):
        found = installed(dist["name"])
        label = "{} {}".format(dist["name"], dist["version"])
        if found is None:
            answered.append(_result(dist, dist["name"], "failed", "not installed"))
            continue
        version, mods = found
        if _canonical(version) != _canonical(dist["version"]):
            detail = "installed {}, the lock pins {}".format(version, dist["version"])
            answered.append(_result(dist, dist["name"], "failed", detail))
        # a module named as the distribution that it does not install (uwsgi's `uwsgi`)
        # exists only inside the program the distribution builds, for its plugins
        own = dist["name"].lower().replace("-", "_").replace(".", "_")
        for module in mods:
            if module in skip or module.split(".")[0] in skip:
                continue
            ref = {"provider": dist["name"], "version": dist["version"], "module": module}
            check = {"kind": "module", "dist": label, "module": module, "enforced": True}
            if own not in mods:
                check["host_module"] = own
            checks.append(dict(check, ref=ref))
    absent = {_canonical(r["dist"]) for r in answered if r["detail"] == "not installed"}
    for use in plan.get("uses", []):
        provider = (use.get("ref") or {}).get("provider") or ""
        if _canonical(provider) in absent:
            answered.append(
                _result(
                    use, _label(dict(use, kind="use")), "skipped", provider + " is not installed"
                )
            )
            continue
        if _IDENT.match(use["module"]) and (
            use.get("name") in (None, "*") or _IDENT.match(use["name"])
        ):
            checks.append(dict(use, kind="use"))
    for probe in plan.get("probes", []):
        checks.append(dict(probe, kind="probe", isolated=True, enforced=True))
    return checks, answered


def _result(
    check: dict[str, Any], what: str, status: str, detail: str = "", **extra: Any
) -> dict[str, Any]:
    out = {
        "dist": check.get("dist", check.get("name", "")),
        "check": what,
        "status": status,
        "detail": detail,
    }
    for key in ("ref", "consumers"):
        if key in check:
            out[key] = check[key]
    out.update(extra)
    return out


def _label(check: dict[str, Any]) -> str:
    if check["kind"] == "module":
        return "import {}".format(check["module"])
    if check["kind"] == "use":
        if check.get("name") in (None, "*"):
            return "import {}".format(check["module"])
        return "from {} import {}".format(check["module"], check["name"])
    return "probe {}".format(check["name"])
