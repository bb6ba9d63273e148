"""Reading a lock back: requirements.txt as pip-compile, uv or symres write it, or
pylock.toml. One parser for every command that takes a lock (verify, check, why)."""

from __future__ import annotations

import difflib
import re
import sys
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import InvalidMarker, Marker
from packaging.pylock import Pylock, PylockUnsupportedVersionError, PylockValidationError
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from symres.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*(?P<version>[^\s;\\#]+)"
    r"\s*(?:;\s*(?P<marker>[^#]*?))?\s*$"
)
_HASH = re.compile(r"\s*--hash[=\s](?P<algo>\w+):(?P<digest>[0-9a-fA-F]+)")
_NOTE = re.compile(r"^# symres: (\S+) — (.*)$")
_PYTHON = re.compile(r"(?:with|for) Python (\d+\.\d+)(?: on ([a-z0-9_]+_[a-z0-9_]+)\s*$)?")


@dataclass
class LockedEntry:
    name: NormalizedName
    version: Version
    line: int = 0
    hashes: list[str] = field(default_factory=list)  # "sha256:…"
    marker: Marker | None = None
    via: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (specifier, why)
    url: str | None = None  # an archive the lock names by URL or path (absolute here)

    def requirement_line(self) -> str:
        marker = f" ; {self.marker}" if self.marker is not None else ""
        hashes = "".join(f" --hash={h}" for h in self.hashes)
        if self.url is not None:
            return f"{self.name} @ {self.url}{marker}{hashes}"
        return f"{self.name}=={self.version}{marker}{hashes}"


@dataclass
class LockFile:
    path: Path
    entries: dict[NormalizedName, LockedEntry]
    python: str | None = None  # "3.11", when the header or requires-python says
    platform: str | None = None  # a wheel platform tag, when a symres header names one
    index_url: str | None = None
    extra_index_urls: list[str] = field(default_factory=list)
    find_links: list[str] = field(default_factory=list)  # absolute: the lock is read anywhere
    no_index: bool = False
    unpinned: list[tuple[int, str]] = field(default_factory=list)  # (line, text)

    def applicable(self, env: dict[str, str]) -> list[LockedEntry]:
        """The entries whose marker holds in *env* (a marker environment)."""
        return [e for e in self.entries.values() if e.marker is None or e.marker.evaluate(env)]

    def requirements_text(self) -> str:
        """The lock as requirements.txt lines pip installs with ``--require-hashes``."""
        lines = []
        if self.index_url:
            lines.append(f"--index-url {self.index_url}")
        lines += [f"--extra-index-url {u}" for u in self.extra_index_urls]
        lines += ["--no-index"] if self.no_index else []
        lines += [f"--find-links {u}" for u in self.find_links]
        lines += [e.requirement_line() for e in self.entries.values()]
        return "\n".join(lines) + "\n"


def _logical(text: str) -> list[tuple[int, str]]:
    """Continuation lines joined; each with the number of its first physical line."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buf:
            start = number
        stripped = raw.rstrip()
        if stripped.endswith("\\") and not stripped.lstrip().startswith("#"):
            buf.append(stripped[:-1])
            continue
        buf.append(raw)
        out.append((start, " ".join(buf)))
        buf = []
    if buf:
        out.append((start, " ".join(buf)))
    return out


def parse_requirements_lock(text: str, path: Path = Path("requirements.txt")) -> LockFile:
    lock = LockFile(path, {})
    current: LockedEntry | None = None
    in_via = False
    for number, line in _logical(text):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            comment = stripped
            if lock.python is None and (m := _PYTHON.search(comment)) and number < 10:
                lock.python, lock.platform = m.group(1), m.group(2)
            if current is None:
                continue
            if n := _NOTE.match(comment):
                current.notes.append((n.group(1), n.group(2)))
                in_via = False
            elif comment.startswith("# via"):
                rest = comment[len("# via") :].strip()
                if rest:
                    current.via.append(rest)
                in_via = not rest
            elif in_via and comment.startswith("#   "):
                current.via.append(comment[4:].strip())
            continue
        in_via = False
        current = None
        if stripped.startswith("-"):
            option, _, value = stripped.replace("=", " ", 1).partition(" ")
            if option in ("-i", "--index-url"):
                lock.index_url = value.strip()
            elif option == "--extra-index-url":
                lock.extra_index_urls.append(value.strip())
            elif option == "--no-index":
                lock.no_index = True
            elif option in ("-f", "--find-links"):
                lock.find_links.append(_location(value.strip(), path.parent))
            continue
        body = _HASH.sub("", stripped.split(" #")[0]).strip()
        hashes = [f"{h.group('algo')}:{h.group('digest')}" for h in _HASH.finditer(stripped)]
        m = _PIN.match(body)
        if m is None:
            current = _archive_entry(body, number, hashes)
            if current is None:
                lock.unpinned.append((number, body))
            else:
                lock.entries[current.name] = current
            continue
        try:
            version = Version(m.group("version"))
            marker = Marker(m.group("marker")) if m.group("marker") else None
        except (InvalidVersion, InvalidMarker):
            lock.unpinned.append((number, body))
            continue
        current = LockedEntry(
            canonicalize_name(m.group("name")),
            version,
            line=number,
            hashes=hashes,
            marker=marker,
        )
        lock.entries[current.name] = current
    return lock


def _location(value: str, folder: Path) -> str:
    """A --find-links value made absolute, as pip reads it: beside the lock when there."""
    if "://" in value or Path(value).is_absolute():
        return value
    beside = folder / value
    return str((beside if beside.exists() else Path.cwd() / value).resolve())


def _archive_entry(body: str, number: int, hashes: list[str]) -> LockedEntry | None:
    """A hashed archive line (``name @ URL``, ``./wheels/x.whl``), its name and version
    read from the file name; None for anything else (a folder, a VCS URL, no hash)."""
    name, sep, url = body.partition(" @ ")
    if not sep:
        name, url = "", body
    url = url.split(";", 1)[0].strip()
    if not hashes or url.startswith(("git+", "-e")):
        return None
    if "://" not in url:  # a path, from the current folder as pip reads it
        url = (Path.cwd() / url.removeprefix("file:")).resolve().as_uri()
    filename = urllib.parse.unquote(url.rsplit("/", 1)[-1])
    try:
        if filename.endswith(".whl"):
            project, version, _, _ = parse_wheel_filename(filename)
        else:
            project, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    if name and canonicalize_name(name) != project:
        return None
    return LockedEntry(project, version, line=number, hashes=hashes, url=url)


def parse_pylock(text: str, path: Path = Path("pylock.toml")) -> LockFile:
    """pylock.toml read with ``packaging.pylock``, the library that writes it (PEP 751's
    rules checked as they are written)."""
    try:
        pylock = Pylock.from_dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML ({exc})") from None
    except (PylockValidationError, PylockUnsupportedVersionError) as exc:
        raise InputError(
            f"{path}: not a PEP 751 lock ({exc})", hint="write it again with `symres lock`"
        ) from None
    lock = LockFile(path, {})
    if m := re.search(r"(\d+\.\d+)", str(pylock.requires_python or "")):
        lock.python = m.group(1)
    for marker in pylock.environments or []:
        if m := re.search(r'python_version\s*==\s*"(\d+\.\d+)"', str(marker)):
            lock.python = m.group(1)
    for i, pkg in enumerate(pylock.packages, start=1):
        if pkg.directory is not None or pkg.vcs is not None:
            continue  # installed after the lock (no hash to check), as in requirements.txt
        if pkg.version is None:
            raise InputError(f"{path}: packages[{i}]: `{pkg.name}` has no version: not a pin")
        archive = pkg.archive
        url = None
        if archive is not None:
            url = archive.url or (
                (path.parent / archive.path).resolve().as_uri() if archive.path else None
            )
        files = [*(pkg.wheels or ()), pkg.sdist, archive]
        hashes = sorted(
            {f"{algo}:{digest}" for f in files if f for algo, digest in f.hashes.items()}
        )
        tool = (pkg.tool or {}).get("symres", {})
        notes = [(n.partition(" — ")[0], n.partition(" — ")[2]) for n in tool.get("narrowed", [])]
        name = canonicalize_name(pkg.name)
        lock.entries[name] = LockedEntry(
            name, pkg.version, line=i, hashes=hashes, marker=pkg.marker, notes=notes, url=url
        )
    return lock


# the header's command line (requirements.txt), the [tool.symres] command (pylock.toml)
_COMMAND_LINES = re.compile(
    r"(?<=^# by the following command:\n#\n)#    .*$|^command = .*$", re.MULTILINE
)
_DIFF_LINES = 40


def lock_difference(current: str | None, new: str, name: str) -> list[str]:
    """How *current* (None: no file) differs from *new*, as a unified diff of at most
    40 lines; [] when they are the same lock. The command line recorded in the header is
    not compared: the same lock written by another command line is still up to date."""
    if current is None:
        return [f"`{name}` does not exist"]
    if _COMMAND_LINES.sub("", current) == _COMMAND_LINES.sub("", new):
        return []
    diff = list(
        difflib.unified_diff(
            current.splitlines(),
            new.splitlines(),
            fromfile=f"{name} (now)",
            tofile=f"{name} (symres lock)",
            lineterm="",
        )
    )
    if len(diff) > _DIFF_LINES:
        diff = [*diff[:_DIFF_LINES], f"… and {len(diff) - _DIFF_LINES} more lines of difference"]
    return diff
