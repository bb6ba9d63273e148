"""What the inputs name (:class:`Inputs`, :class:`RootRequirement`), and one requirement
as an input writes it, parsed: by name (PEP 508), or a direct reference to a file, a
folder or a URL (:class:`~symres.index.direct.DirectRef`).

Shared by the readers of requirements files (:mod:`symres.lock.reqfile`) and of
pyproject.toml (:mod:`symres.lock.inputs`); an input that is not a requirement is an
:class:`~symres.errors.InputError` naming where it stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from symres.errors import InputError
from symres.index.config import redact_url
from symres.index.direct import DirectRef, path_url


@dataclass(frozen=True)
class RootRequirement:
    requirement: Requirement
    source: str  # "path:line" or "pyproject.toml"
    # how `# via` names the input: a requirements file (written `-r FILE`), or a project
    # and its pyproject.toml (`myapp (pyproject.toml)`, written as it is)
    origin: str


@dataclass
class Inputs:
    requirements: list[RootRequirement] = field(default_factory=list)
    constraints: list[RootRequirement] = field(default_factory=list)
    index_url: str | None = None
    extra_index_urls: list[str] = field(default_factory=list)
    written: dict[str, str] = field(default_factory=dict)  # expanded word → with its ${VAR}
    direct: list[DirectRef] = field(default_factory=list)  # files, folders, git checkouts
    find_links: list[str] = field(default_factory=list)
    no_index: bool = False
    pre: bool = False
    # ``--only-binary`` / ``--no-binary`` lines, in file order: (option, value, where)
    formats: list[tuple[str, str, str]] = field(default_factory=list)


def display(path: Path, base: Path) -> str:
    """*path* as the user gave it (an absolute path stays absolute, as pip-compile
    writes it in `# via -r`), or as an include's folder makes it."""
    return str(path)


def read_text(path: Path, origin: str | None = None) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        where = f"{origin}: " if origin else ""
        raise InputError(f"{where}no such file `{path}`", hint="check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read `{path}` ({exc.__class__.__name__}: {exc})") from exc


_EXTRAS = re.compile(r"^(?P<target>.*?)\[(?P<extras>[A-Za-z0-9_.,\s-]*)\]$")


def add_direct(
    inputs: Inputs,
    line: str,
    where: str,
    folder: Path,
    *,
    origin: str,
    constraint: bool,
    editable: bool = False,
    req: Requirement | None = None,
) -> None:
    if constraint:
        raise InputError(
            f"{where}: a constraint names a version range, not a file: {line}",
            hint="list the file or URL in the requirements, not in a constraints file",
        )
    marker = req.marker if req is not None else None
    extras = frozenset(canonicalize_name(e) for e in req.extras) if req else frozenset()
    if req is None:
        head, sep, tail = line.partition(";")
        # per-requirement options (`--hash=…`): the lock hashes what it reads itself
        line = head.split(" --", 1)[0].strip()
        if sep:
            try:
                marker = Requirement(f"x; {tail.strip()}").marker
            except InvalidRequirement as exc:
                raise InputError(f"{where}: invalid marker `{tail.strip()}` ({exc})") from None
        if (m := _EXTRAS.match(line)) and "://" not in line:  # `./pkg[dev]`, as pip reads it
            line = m.group("target")
            extras = frozenset(canonicalize_name(e) for e in m.group("extras").split(",") if e)
    target = req.url if req is not None and req.url else line
    assert target is not None
    if "://" in target or target.startswith(("git+", "hg+", "svn+", "bzr+")):
        url = target
    elif target.startswith("file:"):
        url = path_url(folder / target.removeprefix("file:"))
    else:
        url = path_url(folder / Path(target).expanduser())
    inputs.direct.append(
        DirectRef(
            url=url,
            shown=redact_url(line if req is None else str(req.url)),  # for messages and files
            where=where,
            origin=origin,
            editable=editable,
            name=canonicalize_name(req.name) if req is not None else None,
            extras=extras,
            marker=marker,
        )
    )


_OPERATORS = frozenset({"==", "!=", "<=", ">=", "<", ">", "~=", "==="})
_OPERATOR_RUN = re.compile(r"[<>=!~]+")


def _bad_operator(line: str) -> str | None:
    """The first run of comparison characters in the specifier that is not an operator."""
    spec = line.split(";", 1)[0]
    for m in _OPERATOR_RUN.finditer(spec):
        if m.group() not in _OPERATORS:
            return m.group()
    return None


def parse_requirement(line: str, where: str) -> Requirement:
    try:
        req = Requirement(line)
    except InvalidRequirement as exc:
        if (op := _bad_operator(line)) is not None:
            raise InputError(
                f"{where}: `{op}` is not a version operator: {line}",
                hint="use one of `==`, `!=`, `>=`, `<=`, `>`, `<`, `~=`, `===` (e.g. `flask>=2.0`)",
            ) from None
        looks_like_url = (
            "://" in line or line.startswith((".", "/")) or line.endswith((".whl", ".tar.gz"))
        )
        hint = (
            "write a URL as `name @ URL`, a path as `./path` (relative to this file)"
            if looks_like_url
            else "write `name`, `name>=1.2`, `name[extra]==1.2` or `name; python_version < '3.12'`"
        )
        raise InputError(f"{where}: not a requirement: {line} ({exc})", hint=hint) from None
    return req
