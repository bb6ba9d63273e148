"""Reading what to lock: requirements files (:mod:`symres.lock.reqfile`), or
pyproject.toml: its [project] dependencies, with extras, and PEP 735 dependency groups.
"""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.utils import canonicalize_name

from symres.errors import InputError
from symres.lock import roots
from symres.lock.reqfile import _read_requirements
from symres.lock.roots import Inputs, RootRequirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def read_inputs(
    paths: list[Path],
    *,
    extras: list[str] | None = None,
    all_extras: bool = False,
    constraints: list[Path] | None = None,
    groups: list[str] | None = None,
) -> Inputs:
    """*constraints*: ``-c FILE`` of the command line, read as the files' own ``-c`` lines;
    *groups*: PEP 735 dependency groups, ``NAME`` (of the pyproject.toml among *paths*, or
    the one in the current folder) or ``PATH:NAME``."""
    inputs = Inputs()
    base = Path.cwd()
    seen: set[Path] = set()
    for path in paths:
        if path.name == "pyproject.toml":
            _read_pyproject(path, extras or [], inputs, base, all_extras=all_extras)
        else:
            if extras or all_extras:
                option = "--extra" if extras else "--all-extras"
                raise InputError(
                    f"`{option}` applies to pyproject.toml, not `{path}`",
                    hint="list the extra in the requirements file, e.g. `name[extra]`",
                )
            _read_requirements(path, inputs, base, constraint=False, seen=seen)
    for path in constraints or ():
        _read_requirements(path, inputs, base, constraint=True, seen=seen, origin="--constraint")
    for group in groups or ():
        file, sep, name = group.rpartition(":")
        pyproject = (
            Path(file)
            if sep
            else next((p for p in paths if p.name == "pyproject.toml"), Path("pyproject.toml"))
        )
        _read_group(pyproject, name, inputs, base)
    return inputs


def _read_group(path: Path, group: str, inputs: Inputs, base: Path) -> None:
    """A PEP 735 dependency group, with the groups it includes."""
    shown = roots.display(path, base)
    try:
        data = tomllib.loads(roots.read_text(path, "--group"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{shown}: invalid TOML ({exc})") from None
    table = data.get("dependency-groups")
    if not isinstance(table, dict):
        raise InputError(f"{shown}: no [dependency-groups] table", hint="PEP 735 defines it")
    groups = {canonicalize_name(k): v for k, v in table.items()}

    def expand(name: str, trail: tuple[str, ...]) -> None:
        key = canonicalize_name(name)
        if key in trail:
            cycle = " → ".join((*trail, key))
            raise InputError(f"{shown}: dependency groups include each other ({cycle})")
        if key not in groups:
            known = ", ".join(sorted(groups)) or "none"
            raise InputError(f"{shown}: no dependency group `{name}` (known: {known})")
        for item in groups[key]:
            if isinstance(item, dict) and "include-group" in item:
                expand(str(item["include-group"]), (*trail, key))
                continue
            where = f"{shown} [dependency-groups.{key}]"
            req = roots.parse_requirement(str(item), where)
            if req.url:
                roots.add_direct(
                    inputs, str(item), where, Path.cwd(), origin=shown, constraint=False, req=req
                )
            else:
                inputs.requirements.append(RootRequirement(req, where, shown))

    expand(group, ())


def _read_pyproject(
    path: Path, extras: list[str], inputs: Inputs, base: Path, *, all_extras: bool = False
) -> None:
    shown = roots.display(path, base)
    try:
        data = tomllib.loads(roots.read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{shown}: invalid TOML ({exc})") from None
    project = data.get("project")
    if not isinstance(project, dict):
        raise InputError(f"{shown}: no [project] table", hint="symres reads [project] dependencies")
    if "dependencies" in project.get("dynamic", []):
        raise InputError(
            f"{shown}: [project] dependencies are dynamic",
            hint="list them in [project] dependencies, or lock a requirements.in",
        )
    optional = {
        canonicalize_name(k): v for k, v in project.get("optional-dependencies", {}).items()
    }
    lines = [(f"{shown} [project.dependencies]", d) for d in project.get("dependencies", [])]
    if all_extras:
        extras = sorted(optional)
    for extra in extras:
        key = canonicalize_name(extra)
        if key not in optional:
            known = ", ".join(sorted(optional)) or "none"
            raise InputError(f"{shown}: no extra `{extra}` (known: {known})")
        lines += [(f"{shown} [project.optional-dependencies.{key}]", d) for d in optional[key]]
    # pip-compile's `# via myapp (pyproject.toml)`
    via = f"{project['name']} ({shown})" if isinstance(project.get("name"), str) else shown
    for where, line in lines:
        req = roots.parse_requirement(line, where)
        if req.url:
            roots.add_direct(inputs, line, where, Path.cwd(), origin=via, constraint=False, req=req)
        else:
            inputs.requirements.append(RootRequirement(req, where, via))
