"""Which index to use: the one pip is configured with, defaulting to pip's own default.

Order of precedence, as pip applies it: command-line options, then ``PIP_*``
environment variables, then configuration files (``PIP_CONFIG_FILE``, site,
user, global; ``PIP_CONFIG_FILE=/dev/null`` disables the files).
"""

from __future__ import annotations

import configparser
import os
import re
import sys
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from symres.errors import InputError

_SECTIONS = ("global", "install")


@dataclass(frozen=True)
class IndexConfig:
    index_url: str
    extra_index_urls: tuple[str, ...] = ()
    cert: str | None = None
    index_is_default: bool = False
    find_links: tuple[str, ...] = ()  # folders or pages of links, beside the indexes
    no_index: bool = False  # only the find-links locations
    # first-index: the first index (extras, then the default) that has a project serves
    # all of it, as uv; unsafe-best-match: every index's files merged, as pip
    strategy: str = "first-index"
    timeout: float = 30.0  # seconds a read may wait (pip's `timeout`, PIP_DEFAULT_TIMEOUT)
    keyring_provider: str = "auto"  # pip's `keyring-provider`: disabled, or ask `keyring`

    @property
    def urls(self) -> tuple[str, ...]:
        return () if self.no_index else (self.index_url, *self.extra_index_urls)

    @property
    def lookup_order(self) -> tuple[str, ...]:
        """The indexes in the order a project is looked for: under first-index the extra
        indexes come before the default one (uv's order: the private index wins)."""
        if self.no_index or self.strategy != "first-index":
            return self.urls
        return (*self.extra_index_urls, self.index_url)


@dataclass(frozen=True)
class IndexOptions:
    """What the command line says about reaching the index (None: pip's configuration)."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    cert: str | None = None
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    strategy: str = "first-index"
    offline: bool = False  # read only the cache
    no_cache: bool = False
    refresh: bool | frozenset[str] = False
    cache_dir: Path | None = None


def pip_default_index() -> str:
    """pip's own default index, read from the installed pip rather than written here."""
    try:
        from pip._internal.models.index import PyPI
    except Exception as exc:  # pip missing or reorganised
        raise InputError(
            "no package index is configured and pip's default could not be read",
            hint="set `PIP_INDEX_URL` or pass `--index-url`",
        ) from exc
    return str(PyPI.simple_url)


def _config_files(env: Mapping[str, str]) -> list[Path] | None:
    """pip's configuration files, lowest priority first; None when disabled."""
    explicit = env.get("PIP_CONFIG_FILE")
    if explicit == os.devnull:
        return None
    xdg_dirs = env.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep)
    files = [Path(d) / "pip" / "pip.conf" for d in reversed(xdg_dirs) if d]
    files.append(Path("/etc/pip.conf"))
    home = Path(env.get("HOME", str(Path.home())))
    xdg_home = Path(env.get("XDG_CONFIG_HOME", str(home / ".config")))
    if not (explicit and Path(explicit).exists()):
        files += [home / ".pip" / "pip.conf", xdg_home / "pip" / "pip.conf"]
        if sys.platform == "darwin":
            files.append(home / "Library" / "Application Support" / "pip" / "pip.conf")
        if sys.platform == "win32" and "APPDATA" in env:
            files.append(Path(env["APPDATA"]) / "pip" / "pip.ini")
    files.append(Path(sys.prefix) / ("pip.ini" if sys.platform == "win32" else "pip.conf"))
    if explicit:
        files.append(Path(explicit))
    return files


def _from_files(files: Sequence[Path]) -> dict[str, str]:
    values: dict[str, str] = {}
    for path in files:
        if not path.is_file():
            continue
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise InputError(
                f"{path}: unreadable pip configuration ({exc.__class__.__name__})",
                hint="fix the file, or set `PIP_CONFIG_FILE=/dev/null` to ignore pip's files",
            ) from exc
        for section in _SECTIONS:
            if parser.has_section(section):
                for key in _KEYS:
                    if parser.has_option(section, key):
                        values[key] = parser.get(section, key)
    return values


# pip's settings symres reads, from its files and as PIP_* variables alike
_KEYS = (
    "index-url",
    "extra-index-url",
    "cert",
    "find-links",
    "no-index",
    "timeout",
    "keyring-provider",
)


def load_index_config(
    *,
    index_url: str | None = None,
    extra_index_urls: Sequence[str] = (),
    cert: str | None = None,
    find_links: Sequence[str] = (),
    no_index: bool = False,
    strategy: str = "first-index",
    env: Mapping[str, str] | None = None,
) -> IndexConfig:
    """Merge command-line values over pip's environment variables and configuration files."""
    env = os.environ if env is None else env
    files = _config_files(env)
    values = _from_files(files) if files is not None else {}
    for key in _KEYS:
        var = "PIP_" + key.upper().replace("-", "_")
        if env.get(var):
            values[key] = env[var]
    if index_url is not None:
        values["index-url"] = index_url
    if extra_index_urls:
        values["extra-index-url"] = " ".join(extra_index_urls)
    if cert is not None:
        values["cert"] = cert
    if find_links:
        values["find-links"] = " ".join(find_links)
    configured = values.get("index-url", "").strip()
    default = not configured
    primary = pip_default_index() if default else configured
    extras = tuple(u for u in values.get("extra-index-url", "").split() if u)
    return IndexConfig(
        index_url=primary.rstrip("/"),
        extra_index_urls=tuple(u.rstrip("/") for u in extras),
        cert=values.get("cert") or None,
        index_is_default=default,
        find_links=tuple(values.get("find-links", "").split()),
        no_index=no_index or _true(values.get("no-index", "")),
        strategy=strategy,
        timeout=_timeout(env.get("PIP_DEFAULT_TIMEOUT") or values.get("timeout")),
        keyring_provider=_keyring_provider(values.get("keyring-provider")),
    )


def _keyring_provider(value: str | None) -> str:
    provider = (value or "auto").strip().lower()
    if provider not in ("auto", "disabled", "import", "subprocess"):
        raise InputError(
            f"pip's `keyring-provider` is `{value}`",
            hint="use auto, disabled, import or subprocess (PIP_KEYRING_PROVIDER, pip.conf)",
        )
    return provider


def _timeout(value: str | None) -> float:
    if not value:
        return 30.0
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= 3600:  # nan, inf and nonsense alike
        raise InputError(
            f"pip's `timeout` is `{value}`, not a number of seconds up to 3600",
            hint="fix PIP_DEFAULT_TIMEOUT or pip.conf's `timeout` (pip's default is 15)",
        )
    return seconds


def _true(value: str) -> bool:
    """pip's reading of a boolean setting (`no-index = yes`, `PIP_NO_INDEX=1`)."""
    return value.strip().lower() in ("1", "yes", "true", "on")


_ENV_REF = re.compile(r"\$\{[A-Z0-9_]+\}")


def redact_url(url: str) -> str:
    """*url* with its password hidden and its user name kept, as pip shows it
    (``https://user:****@host/simple``); a user name alone is a token, hidden too
    (``https://****@host/repo``), except over ssh, where it is a login (``git@host``) and
    the key is the secret."""
    parts = urllib.parse.urlsplit(url)
    if _ENV_REF.fullmatch(parts.password or parts.username or ""):
        return url  # `${TOKEN}`: a reference the installer expands, not the secret
    if parts.password is None:
        if not parts.username or parts.scheme.endswith("ssh"):
            return url
        host = parts.netloc.rpartition("@")[2]
        return urllib.parse.urlunsplit(parts._replace(netloc=f"****@{host}"))
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    if parts.port is not None:
        host += f":{parts.port}"
    user = urllib.parse.quote(urllib.parse.unquote(parts.username or ""), safe="")
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:****@{host}"))


_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"`<>]+")


def redact_text(text: str) -> str:
    """Every URL in *text* (a tool's error line) redacted as :func:`redact_url` does."""
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)


_SECRET_NAMES = re.compile(r"TOKEN|PASSWORD|PASSWD|SECRET|CREDENTIAL|API_KEY|AUTH", re.I)
_AUTH_IN_URL = re.compile(r"://[^/\s@]+@")


def without_credentials(env: Mapping[str, str]) -> dict[str, str]:
    """*env* for a process that runs package code (a build backend, the verify checks):
    no index URL with credentials, no variable named like a token or password."""
    return {
        k: v
        for k, v in env.items()
        if not _SECRET_NAMES.search(k)
        and not _AUTH_IN_URL.search(v)
        and not k.startswith(("PIP_INDEX", "PIP_EXTRA_INDEX", "UV_INDEX", "UV_EXTRA_INDEX"))
    }


def strip_auth(url: str) -> str:
    """*url* without its user name and password: what a lock names a file by, for an
    installer that brings its own credentials (netrc, keyring), as uv's locks do."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
