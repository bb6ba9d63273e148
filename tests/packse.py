"""packse's resolver scenarios (the suite uv tests itself with), served on 127.0.0.1.

Each scenario is a fake index (projects, versions, their requirements, Requires-Python,
wheel tags, which files exist, what is yanked), root requirements, resolver options and
the expected outcome. ``tests/packse/scenarios`` holds the single-target scenarios of
packse 0.3.59 as published in its sdist (MIT, ``tests/packse/LICENSE-MIT``);
``scripts/packse_scenarios.py --fetch`` replaces them from the index.

A scenario *matches* as uv's own scenario tests judge it: satisfiable — exit 0 with every
expected package at the expected version; unsatisfiable — exit 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from tests.builders import build_sdist, build_wheel
from tests.index_server import IndexServer

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SCENARIOS = Path(__file__).parent / "packse" / "scenarios"
DEFAULT_PYTHON = "3.12"  # packse's defaults: the interpreter, and every release's
DEFAULT_REQUIRES_PYTHON = ">=3.12"
PLATFORMS = {"x86_64-manylinux2014": "manylinux2014_x86_64"}  # uv's names → wheel tags

# Deliberate policy differences from uv, each with its reason (README: "packse").
_PRE = (
    "a pre-release is allowed when any requirement on the project names one, or when it is "
    "the only release that matches (PEP 440, as pip does; uv opts in only on the user's own "
    "requirements, and never when final releases exist)"
)
_YANKED = (
    "a yanked release is used when a requirement pins it with `==`, as PEP 592 and pip "
    "have it (uv honours only the user's own pins)"
)
POLICY = {
    "python-less-than-current": "an upper bound in Requires-Python is honoured, as pip does "
    "(uv ignores it): a release that says it does not support the target is not locked",
    "package-only-prereleases-in-range": _PRE,
    "transitive-package-only-prereleases-in-range": _PRE,
    "transitive-prerelease-and-stable-dependency": _PRE,
    "transitive-prerelease-and-stable-dependency-many-versions": _PRE,
    "transitive-prerelease-and-stable-dependency-many-versions-holes": _PRE,
    "transitive-yanked-and-unyanked-dependency": _YANKED,
}


@dataclass(frozen=True)
class Scenario:
    name: str
    group: str  # the folder: backtracking, prereleases, …
    data: dict[str, Any] = field(repr=False)

    @property
    def root(self) -> list[str]:
        return list(self.data.get("root", {}).get("requires", []))

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.data.get("resolver_options", {}))

    @property
    def python(self) -> str:
        env = self.data.get("environment", {}).get("python", DEFAULT_PYTHON)
        return str(self.options.get("python") or env)

    @property
    def platform(self) -> str | None:
        plat = self.options.get("python_platform")
        return PLATFORMS[plat] if plat else None

    @property
    def satisfiable(self) -> bool:
        return bool(self.data["expected"]["satisfiable"])

    @property
    def expected(self) -> dict[str, str]:
        packages = self.data["expected"].get("packages", {})
        return {canonicalize_name(k): str(v) for k, v in packages.items()}

    def lock_args(self) -> list[str]:
        """symres' options for this scenario's target and resolver options."""
        args = ["--python-version", self.python]
        if self.platform:
            args += ["--platform", self.platform]
        if self.options.get("prereleases"):
            args.append("--pre")
        if names := self.options.get("no_build"):
            args += ["--only-binary", ",".join(names)]
        if names := self.options.get("no_binary"):
            args += ["--no-binary", ",".join(names)]
        return args

    def uv_args(self) -> list[str]:
        """The same for ``uv pip compile``."""
        args = ["--python-version", self.python]
        if plat := self.options.get("python_platform"):
            args += ["--python-platform", plat]
        if self.options.get("prereleases"):
            args += ["--prerelease", "allow"]
        if names := self.options.get("no_build"):
            args += ["--only-binary", ",".join(names)]
        if names := self.options.get("no_binary"):
            args += ["--no-binary", ",".join(names)]
        return args


def load(folder: Path = SCENARIOS) -> list[Scenario]:
    """Every single-target (non-universal) scenario under *folder*, sorted by name."""
    out = []
    for path in sorted(folder.rglob("*")):
        for data in _read(path):
            if data.get("resolver_options", {}).get("universal"):
                continue
            out.append(Scenario(data["name"], path.parent.name, data))
    return sorted(out, key=lambda s: s.name)


def _read(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".toml":
        return [tomllib.loads(path.read_text(encoding="utf-8"))]
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, list) else [data]
    if path.suffix == ".yaml":
        import yaml  # pre-commit's dependency, in the test extras

        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return data if isinstance(data, list) else [data]
    return []


def publish(scenario: Scenario, server: IndexServer, dists: Path) -> None:
    """Build the scenario's files into *dists* and serve them from *server*."""
    for project, info in scenario.data.get("packages", {}).items():
        for version, meta in info.get("versions", {}).items():
            meta = meta or {}
            kw: dict[str, Any] = {
                "requires": list(meta.get("requires", [])),
                "requires_python": meta.get("requires_python", DEFAULT_REQUIRES_PYTHON),
                "extras": {k: list(v) for k, v in meta.get("extras", {}).items()},
            }
            yanked = bool(meta.get("yanked", False))
            rp = kw["requires_python"]
            if meta.get("wheel", True):
                for tag in meta.get("wheel_tags") or ["py3-none-any"]:
                    wheel = build_wheel(dists, project, str(version), tag=tag, **kw)
                    server.add(wheel, requires_python=rp, yanked=yanked)
            if meta.get("sdist", True):
                sdist = build_sdist(dists, project, str(version), **kw)
                server.add(sdist, requires_python=rp, yanked=yanked)


@dataclass(frozen=True)
class Outcome:
    code: int | None  # None: timed out
    pins: dict[str, str]
    seconds: float
    output: str = ""


def judge(scenario: Scenario, outcome: Outcome) -> str | None:
    """None when the outcome matches what the scenario expects, else what differs."""
    if outcome.code is None:
        return "timed out"
    if not scenario.satisfiable:
        return (
            None if outcome.code == 1 else f"expected no solution (exit 1), got exit {outcome.code}"
        )
    if outcome.code != 0:
        return f"expected a lock, got exit {outcome.code}"
    wrong = {
        name: (want, outcome.pins.get(name))
        for name, want in scenario.expected.items()
        if outcome.pins.get(name) != want
    }
    if wrong:
        return ", ".join(f"{n}: expected {w}, got {g}" for n, (w, g) in sorted(wrong.items()))
    return None


def pins_of(text: str) -> dict[str, str]:
    """``name==version`` lines of a requirements.txt."""
    out = {}
    for line in text.splitlines():
        head = line.split(" ", 1)[0].split(";", 1)[0]
        if "==" in head and not line.startswith((" ", "#", "-")):
            name, _, version = head.partition("==")
            out[canonicalize_name(name)] = version
    return out


@contextmanager
def serve(scenario: Scenario, dists: Path) -> Iterator[IndexServer]:
    server = IndexServer()
    publish(scenario, server, dists)
    server.start()
    try:
        yield server
    finally:
        server.stop()
