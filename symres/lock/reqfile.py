"""Requirements files (requirements.in) as pip reads them.

Supported: comments, line continuations, ``${VAR}``, ``-r``/``--requirement``,
``-c``/``--constraint``, ``-i``/``--index-url``, ``--extra-index-url``,
``-f``/``--find-links``, ``--no-index``, ``--pre``, ``--only-binary``, ``--no-binary``,
markers, extras and specifiers, ``--hash`` after a requirement (a hashed lock read back:
its hashes are not the new lock's); and direct references (:mod:`symres.index.direct`):
``-e PATH``, ``name @ URL``, a path or URL to a wheel, an sdist or a project folder,
``git+URL@rev``. As pip reads them, paths to files and folders are relative to the
current folder; ``-r``, ``-c`` and ``-f`` to the file that names them. Anything else
(other pip options) is an error naming the file and line: a silent skip would lock
something other than what was asked.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from symres.errors import InputError
from symres.lock.roots import (
    Inputs,
    RootRequirement,
    add_direct,
    display,
    parse_requirement,
    read_text,
)

_COMMENT = re.compile(r"(^|\s+)#.*$")
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")


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
    text = read_text(path, origin)
    shown = display(path, base)
    for number, line in _logical_lines(text, inputs.written):
        where = f"{shown}:{number}"
        if line.startswith("-"):
            _option(line, where, path, inputs, base, constraint=constraint, seen=seen)
            continue
        line = _requirement_alone(line, where)
        if _looks_direct(line) and not _named(line):
            add_direct(inputs, line, where, Path.cwd(), origin=shown, constraint=constraint)
            continue
        req = parse_requirement(line, where)
        if req.url:
            add_direct(
                inputs, line, where, Path.cwd(), origin=shown, constraint=constraint, req=req
            )
            continue
        target = inputs.constraints if constraint else inputs.requirements
        target.append(RootRequirement(req, where, shown))


# a hashed lock read back as input: `name==1.0 --hash=sha256:… --hash=…` (the hashes are
# the lock's to write, from what the index serves, as pip-compile does)
_HASHES = re.compile(r"(?:\s+--hash(?:=|\s+)\S+)+\s*$")
_BUILD_OPTIONS = ("--config-settings", "--global-option", "-C")


def _requirement_alone(line: str, where: str) -> str:
    """The requirement, without the `--hash` options pip allows after it; a build option
    there (`--config-settings`, `-C`, `--global-option`) is refused, not skipped."""
    line = _HASHES.sub("", line)
    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    for word in words[1:]:
        if word.startswith(_BUILD_OPTIONS):
            option = word.split("=", 1)[0] if word.startswith("--") else "-C"
            raise InputError(
                f"{where}: `{option}` after a requirement is not supported: {line}",
                hint="drop it (an sdist is built with its backend's defaults) or give a wheel",
            )
    return line


_DIRECT_PREFIXES = (".", "/", "~", "file:", "git+", "hg+", "svn+", "bzr+", "http://", "https://")


_ARCHIVES = (".whl", ".tar.gz", ".zip")


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
        shown = display(path, base)
        add_direct(
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
