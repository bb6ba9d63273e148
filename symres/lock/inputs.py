"""Reading what to lock: requirements.in as pip reads it, or pyproject.toml.

Supported in requirements files: comments, line continuations, ``${VAR}``,
``-r``/``--requirement``, ``-c``/``--constraint``, ``-i``/``--index-url``,
``--extra-index-url``, ``-f``/``--find-links``, ``--no-index``, ``--pre``,
``--only-binary``, ``--no-binary``, markers, extras and specifiers; and direct
references (:mod:`symres.index.direct`): ``-e PATH``, ``name @ URL``, a path or URL to
a wheel, an sdist or a project folder, ``git+URL@rev``. As pip reads them, paths to
files and folders are relative to the current folder; ``-r``, ``-c`` and ``-f`` to the
file that names them. Anything else (other pip options) is an error naming the file
and line: a silent skip would lock something other than what was asked.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from symres.errors import InputError
from symres.index.config import redact_url
from symres.index.direct import DirectRef, path_url

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_COMMENT = re.compile(r"(^|\s+)#.*$")
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")


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


def _logical_lines(text: str, written: dict[str, str] | None = None) -> list[tuple[int, str]]:
    """Join continuations, strip comments, expand ``${VAR}``; keep each first line number.
    *written* gets each word that had a ``${VAR}`` in it, by what it expanded to (an index
    URL is written to the lock as the user wrote it: the secret stays in the variable)."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for number, raw in enumerate([*text.splitlines(), ""], start=1):
        if not buf:
            start = number
        if raw.endswith("\\") and not _COMMENT.search(raw):
            buf.append(raw[:-1])
            continue
        buf.append(raw)
        line = _COMMENT.sub("", "".join(buf)).strip()
        buf = []
        if line:
            words = line.split()
            expanded = [
                _ENV_VAR.sub(lambda m: os.environ.get(m.group(1), m.group(0)), w) for w in words
            ]
            if written is not None:
                written.update((e, w) for w, e in zip(words, expanded, strict=True) if e != w)
            out.append((start, " ".join(expanded)))
    return out


def _display(path: Path, base: Path) -> str:
    """*path* as the user gave it (an absolute path stays absolute, as pip-compile
    writes it in `# via -r`), or as an include's folder makes it."""
    return str(path)


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
    shown = _display(path, base)
    try:
        data = tomllib.loads(_read_text(path, "--group"))
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
            req = _parse_requirement(str(item), where)
            if req.url:
                _add_direct(
                    inputs, str(item), where, Path.cwd(), origin=shown, constraint=False, req=req
                )
            else:
                inputs.requirements.append(RootRequirement(req, where, shown))

    expand(group, ())


def _read_text(path: Path, origin: str | None = None) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        where = f"{origin}: " if origin else ""
        raise InputError(f"{where}no such file `{path}`", hint="check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read `{path}` ({exc.__class__.__name__}: {exc})") from exc


def _read_requirements(
    path: Path,
    inputs: Inputs,
    base: Path,
    *,
    constraint: bool,
    seen: set[Path],
    origin: str | None = None,
) -> None:
    resolved = path.resolve()
    if resolved in seen:
        return
    seen.add(resolved)
    text = _read_text(path, origin)
    shown = _display(path, base)
    for number, line in _logical_lines(text, inputs.written):
        where = f"{shown}:{number}"
        if line.startswith("-"):
            _option(line, where, path, inputs, base, constraint=constraint, seen=seen)
            continue
        if _looks_direct(line) and not _named(line):
            _add_direct(inputs, line, where, Path.cwd(), origin=shown, constraint=constraint)
            continue
        req = _parse_requirement(line, where)
        if req.url:
            _add_direct(
                inputs, line, where, Path.cwd(), origin=shown, constraint=constraint, req=req
            )
            continue
        target = inputs.constraints if constraint else inputs.requirements
        target.append(RootRequirement(req, where, shown))


_DIRECT_PREFIXES = (".", "/", "~", "file:", "git+", "hg+", "svn+", "bzr+", "http://", "https://")


_ARCHIVES = (".whl", ".tar.gz", ".zip")
_EXTRAS = re.compile(r"^(?P<target>.*?)\[(?P<extras>[A-Za-z0-9_.,\s-]*)\]$")


def _looks_direct(line: str) -> bool:
    """A path or URL written without a name (``./dist/x.whl``, ``git+https://…``,
    ``app-1.0-py3-none-any.whl``: pip reads a name ending as an archive as a file)."""
    head = line.split(";", 1)[0].split(" --", 1)[0].strip()
    return head.startswith(_DIRECT_PREFIXES) or head.endswith(_ARCHIVES)


def _named(line: str) -> bool:
    try:
        req = Requirement(line)
    except InvalidRequirement:
        return False
    return bool(req.url) or not req.name.endswith(_ARCHIVES)


def _add_direct(
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


def _option(
    line: str,
    where: str,
    path: Path,
    inputs: Inputs,
    base: Path,
    *,
    constraint: bool,
    seen: set[Path],
) -> None:
    try:
        parts = shlex.split(line)
    except ValueError:
        parts = line.split()
    opt, *rest = parts
    value: str | None = None
    if "=" in opt and opt.startswith("--"):
        opt, value = opt.split("=", 1)
    elif len(opt) > 2 and opt[:2] in ("-r", "-c", "-i", "-e", "-f") and not opt.startswith("--"):
        opt, value = opt[:2], opt[2:]
    elif rest:
        value = rest[0]
    if opt in ("-e", "--editable") and value is not None:
        if value.startswith(("http://", "https://")) or value.split(";")[0].endswith(_ARCHIVES):
            raise InputError(
                f"{where}: `-e` takes a project folder or a VCS URL, not an archive: {line}",
                hint="drop the `-e`: an archive is installed as it is",
            )
        # the rest of the line: `-e ./pkg[dev] ; python_version < "3.12"`
        rest_of_line = line.split(value, 1)[1] if value in line else ""
        shown = _display(path, base)
        _add_direct(
            inputs,
            value + rest_of_line,
            where,
            Path.cwd(),
            origin=shown,
            constraint=constraint,
            editable=True,
        )
        return
    if opt == "--pre":
        inputs.pre = True
        return
    if opt == "--no-index":
        inputs.no_index = True
        return
    if value is None:
        raise InputError(f"{where}: `{opt}` needs a value: {line}")
    if opt in ("-r", "--requirement", "-c", "--constraint"):
        child = (path.parent / value) if not Path(value).is_absolute() else Path(value)
        is_constraint = constraint or opt in ("-c", "--constraint")
        _read_requirements(child, inputs, base, constraint=is_constraint, seen=seen, origin=where)
    elif opt in ("-i", "--index-url"):
        inputs.index_url = value
    elif opt == "--extra-index-url":
        inputs.extra_index_urls.append(value)
    elif opt in ("-f", "--find-links"):
        # as pip: a path is relative to this file when it exists there
        local = value.removeprefix("file:") if not value.startswith("file:/") else value
        beside = path.parent / local
        inputs.find_links.append(str(beside) if "://" not in local and beside.exists() else value)
    elif opt in ("--only-binary", "--no-binary"):
        inputs.formats.append((opt, value, where))
    else:
        raise InputError(
            f"{where}: unsupported option `{opt}`: {line}",
            hint="symres reads requirements, -r, -c, -e, -i/--index-url, --extra-index-url, "
            "-f/--find-links, --no-index, --pre, --only-binary and --no-binary",
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


def _parse_requirement(line: str, where: str) -> Requirement:
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


def _read_pyproject(
    path: Path, extras: list[str], inputs: Inputs, base: Path, *, all_extras: bool = False
) -> None:
    shown = _display(path, base)
    try:
        data = tomllib.loads(_read_text(path))
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
        req = _parse_requirement(line, where)
        if req.url:
            _add_direct(inputs, line, where, Path.cwd(), origin=via, constraint=False, req=req)
        else:
            inputs.requirements.append(RootRequirement(req, where, via))
