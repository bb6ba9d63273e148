"""Requirements on a file, a folder or a git checkout rather than on an index version.

What pip-compile and uv users write: ``-e .``, ``./dist/app-1.0-py3-none-any.whl``,
``app @ https://host/app-1.0.tar.gz``, ``lib @ git+https://host/lib@v1.2``. Each is read
to its core metadata: a wheel's ``METADATA``; an sdist's ``PKG-INFO`` or its backend; a
folder's static ``[project]`` table, or its backend when that table is dynamic (the
backend runs package code; the caller says so); a git URL is cloned and its ref resolved
to a commit, then read as a folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from symres.errors import InputError, MetadataError
from symres.index.build import BuildPolicy, build_tree_metadata
from symres.index.client import IndexClient
from symres.index.config import redact_text
from symres.index.distfile import DistFile, make_file
from symres.index.metadata import CoreMetadata, MetadataFetcher, OnEvent, parse_metadata

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

Kind = Literal["archive", "directory", "vcs"]
GIT_TIMEOUT = 300.0
_VCS_OTHER = ("hg+", "svn+", "bzr+")


@dataclass(frozen=True)
class DirectRef:
    """A requirement as written: *url* absolute (``file:``, ``https:``, ``git+…``)."""

    url: str
    shown: str  # as the user wrote it, for messages
    where: str  # file:line
    origin: str = ""  # the input file, as `# via -r FILE` names it
    editable: bool = False
    name: NormalizedName | None = None  # when the requirement names its project
    extras: frozenset[str] = frozenset()
    marker: Marker | None = None

    @property
    def kind(self) -> Kind:
        if self.url.startswith("git+"):
            return "vcs"
        if self.url.startswith("file:") and local_path(self.url).is_dir():
            return "directory"
        return "archive"


@dataclass(frozen=True)
class DirectSource:
    """What a direct reference was read as: where the lock says it comes from."""

    ref: DirectRef
    kind: Kind
    url: str  # what the lock writes: a VCS URL with its commit
    name: str = ""  # the project, as its metadata names it
    file: DistFile | None = None  # an archive, hashed
    tree: Path | None = field(default=None, compare=False)  # a folder or checkout: its code
    commit: str | None = None

    @property
    def hashable(self) -> bool:
        """pip checks a hash of an archive; of a folder or a checkout it cannot."""
        return self.kind == "archive" and not self.ref.editable


def local_path(url: str) -> Path:
    return Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))


def path_url(path: Path) -> str:
    return path.resolve().as_uri()


class DirectReader:
    """Reads direct references; keeps the git checkouts until :meth:`close`."""

    def __init__(
        self,
        client: IndexClient,
        *,
        python_version: str,
        on_event: OnEvent | None = None,
        policy: BuildPolicy | None = None,
    ) -> None:
        self.client = client
        self.python_version = python_version
        self.fetcher = MetadataFetcher(client, python_version=python_version, policy=policy)
        self.on_event: OnEvent = on_event or (lambda kind, what: None)
        self._temps: list[Path] = []

    def close(self) -> None:
        for temp in self._temps:
            shutil.rmtree(temp, ignore_errors=True)
        self._temps.clear()

    def read(self, ref: DirectRef) -> tuple[CoreMetadata, DirectSource]:
        if ref.url.startswith(_VCS_OTHER):
            raise InputError(
                f"{ref.where}: only git is supported for VCS requirements: {ref.shown}",
                hint="use a git URL, or an archive URL of that revision",
            )
        kind = ref.kind
        if kind == "vcs":
            meta, source = self._vcs(ref)
        elif kind == "directory":
            tree = local_path(ref.url)
            meta = self._tree(tree, ref)
            source = DirectSource(ref, "directory", ref.url, tree=tree)
        else:
            meta, source = self._archive(ref)
        if ref.name is not None and meta.name != ref.name:
            raise InputError(
                f"{ref.where}: `{ref.shown}` is {meta.name} {meta.version}, not `{ref.name}`",
                hint=f"name it `{meta.name} @ …`, or point at {ref.name}'s own files",
            )
        return meta, replace(source, name=meta.name)

    # -- archives -------------------------------------------------------------------------

    def _archive(self, ref: DirectRef) -> tuple[CoreMetadata, DirectSource]:
        url = ref.url.split("#", 1)[0]
        filename = urllib.parse.unquote(url.rstrip("/").rsplit("/", 1)[-1])
        if url.startswith("file:") and not local_path(url).exists():
            what = "folder" if ref.editable else "file or folder"
            raise InputError(f"{ref.where}: no such {what} `{ref.shown}`", hint="check the path")
        if not filename.endswith((".whl", ".tar.gz", ".zip")):
            raise InputError(
                f"{ref.where}: `{ref.shown}` is neither a wheel, an sdist nor a folder",
                hint="point at a .whl, .tar.gz or .zip file, a project folder or a git URL",
            )
        try:
            data = self.client.get_bytes(url)
        except OSError as exc:
            raise InputError(f"{ref.where}: cannot read `{ref.shown}` ({exc})") from None
        digest = hashlib.sha256(data).hexdigest()
        fragment = urllib.parse.parse_qs(ref.url.partition("#")[2])
        if (given := fragment.get("sha256", [None])[0]) and given.lower() != digest:
            raise InputError(
                f"{ref.where}: `{filename}` does not match the sha256 its URL gives "
                f"({given[:12]}…, the file is {digest[:12]}…)",
                hint="the file changed since the URL was written; check where it comes from",
            )
        name = _name_in_filename(filename)
        dist = make_file(name, filename, url, sha256=digest, size=len(data)) if name else None
        if dist is None:
            raise InputError(
                f"{ref.where}: `{filename}` is not a valid wheel or sdist file name",
                hint="name the file as the build backend does (name-version…)",
            )
        meta = self.fetcher.fetch(dist, on_build=self.on_event)
        return meta, DirectSource(ref, "archive", url, file=dist)

    # -- folders and checkouts ------------------------------------------------------------

    def _tree(self, tree: Path, ref: DirectRef) -> CoreMetadata:
        static = static_metadata(tree)
        if static is not None:
            return static
        self.on_event("build-tree", ref.shown)
        raw, _ = build_tree_metadata(
            tree,
            python_version=self.python_version,
            index=self.client.config,
            shown=ref.shown,
            policy=self.fetcher.policy,
        )
        return parse_metadata(raw, ref.shown)

    def _vcs(self, ref: DirectRef) -> tuple[CoreMetadata, DirectSource]:
        url, rev, subdirectory = split_vcs_url(ref.url)
        if "://" not in ref.url.removeprefix("git+"):
            raise InputError(
                f"{ref.where}: `{ref.shown}` is not a URL git+ can name",
                hint="write it as `git+ssh://git@host/owner/repo.git@rev` (scp-like paths are not "
                "URLs)",
            )
        temp = Path(tempfile.mkdtemp(prefix="symres-git-"))
        self._temps.append(temp)
        checkout = temp / "checkout"
        _git(["clone", "--quiet", "--no-checkout", url, str(checkout)], ref)
        # the checkout's own config forgets the credentials: its build backend runs in it
        _git(["-C", str(checkout), "remote", "set-url", "origin", _without_auth(url)], ref)
        _git(["-C", str(checkout), "checkout", "--quiet", rev or "HEAD"], ref)
        commit = _git(["-C", str(checkout), "rev-parse", "HEAD"], ref).strip()
        tree = (checkout / subdirectory).resolve() if subdirectory else checkout
        if not tree.is_dir() or not tree.is_relative_to(checkout.resolve()):
            raise InputError(
                f"{ref.where}: the checkout has no folder `{subdirectory}`",
                hint="check `#subdirectory=` against the repository at that revision",
            )
        meta = self._tree(tree, ref)
        pinned = f"git+{url}@{commit}"
        if subdirectory:
            pinned += f"#subdirectory={subdirectory}"
        return meta, DirectSource(ref, "vcs", pinned, tree=tree, commit=commit)


def split_vcs_url(url: str) -> tuple[str, str | None, str | None]:
    """``git+URL@rev#subdirectory=x`` as (URL, rev, x)."""
    body = url.removeprefix("git+")
    body, _, fragment = body.partition("#")
    subdirectory = urllib.parse.parse_qs(fragment).get("subdirectory", [None])[0]
    scheme, _, rest = body.partition("://")
    path_start = rest.find("/")
    rev = None
    if path_start >= 0 and "@" in rest[path_start:]:
        rest, _, rev = rest.rpartition("@")
    return f"{scheme}://{rest}", rev or None, subdirectory


def _without_auth(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.username is None or parts.scheme.endswith("ssh"):
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _git(args: list[str], ref: DirectRef) -> str:
    # no prompt for credentials: a lock must not hang on a terminal it may not have
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(
            ["git", *args],
            capture_output=True,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise InputError(
            f"{ref.where}: `{ref.shown}` needs git, which is not installed",
            hint="install git, or use an archive URL of that revision",
        ) from None
    except subprocess.TimeoutExpired:
        raise InputError(f"{ref.where}: git ran past {GIT_TIMEOUT:.0f}s on `{ref.shown}`") from None
    if done.returncode != 0:
        said = next(
            (line for line in reversed(done.stderr.splitlines()) if line.strip()),
            f"exit {done.returncode}",
        )
        raise InputError(
            f"{ref.where}: git could not fetch `{ref.shown}`: {redact_text(said.strip())}",
            hint="check the URL and the revision after `@`",
        )
    return done.stdout


def _name_in_filename(filename: str) -> NormalizedName | None:
    stem = filename.split("-", 1)[0] if "-" in filename else ""
    return canonicalize_name(stem) if stem else None


def static_metadata(tree: Path) -> CoreMetadata | None:
    """A folder's metadata from its ``[project]`` table, when nothing the resolver reads
    is dynamic (PEP 621): no code runs. None when the backend must say."""
    path = tree / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
        return None  # the backend reports it, with its own words
    project = data.get("project")
    if not isinstance(project, dict) or "name" not in project or "version" not in project:
        return None
    dynamic = set(project.get("dynamic", []))
    if dynamic & {"dependencies", "optional-dependencies", "requires-python", "version"}:
        return None
    try:
        version = Version(str(project["version"]))
        reqs = [Requirement(d) for d in project.get("dependencies", [])]
        extras = set()
        for extra, lines in (project.get("optional-dependencies") or {}).items():
            key = canonicalize_name(extra)
            extras.add(key)
            for line in lines:
                req = Requirement(line)
                marker = f"({req.marker}) and " if req.marker else ""
                req.marker = Requirement(f"x; {marker}extra == '{key}'").marker
                reqs.append(req)
        rp = project.get("requires-python")
        requires_python = SpecifierSet(rp) if rp else None
    except (InvalidRequirement, InvalidVersion, InvalidSpecifier, TypeError) as exc:
        raise MetadataError(f"{path}: invalid [project] table ({exc})") from None
    return CoreMetadata(
        canonicalize_name(str(project["name"])),
        version,
        tuple(reqs),
        requires_python,
        frozenset(extras),
    )
