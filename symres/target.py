"""The target environment of a lock: Python version and platform, with its markers and tags.

A lock is for one target, which may differ from the machine running symres.
"""

from __future__ import annotations

import platform as _platform
import re
import sys
from dataclasses import dataclass, field

from packaging import tags
from packaging.markers import default_environment
from packaging.tags import Tag

from symres.errors import InputError

_MANYLINUX = re.compile(r"^manylinux_(\d+)_(\d+)_(\w+)$")
_LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_MUSLLINUX = re.compile(r"^musllinux_(\d+)_(\d+)_(\w+)$")
_MACOS = re.compile(r"^macosx_(\d+)_(\d+)_(\w+)$")
_WINDOWS = {"win_amd64": "AMD64", "win32": "x86", "win_arm64": "ARM64"}
# the machines Linux wheels are built for (PEP 600's and auditwheel's architectures)
_LINUX_ARCHES = frozenset(
    {"x86_64", "i686", "aarch64", "armv7l", "armv6l", "ppc64le", "ppc64", "s390x", "riscv64"}
    | {"loongarch64"}
)


@dataclass(frozen=True)
class Target:
    """What the lock is for. ``platform`` is a wheel platform tag, or None for this machine."""

    python: tuple[int, int]
    python_full: str
    platform: str | None
    tags: tuple[Tag, ...]
    env: dict[str, str] = field(hash=False, compare=False)

    @property
    def python_version(self) -> str:
        return f"{self.python[0]}.{self.python[1]}"

    def describe(self) -> str:
        where = self.platform or f"{self.env['sys_platform']} {self.env['platform_machine']}"
        return f"Python {self.python_version} on {where}"

    def tag_rank(self) -> dict[Tag, int]:
        return {t: i for i, t in enumerate(self.tags)}


def parse_python_version(text: str) -> tuple[tuple[int, int], str]:
    m = re.fullmatch(r"(\d+)\.(\d+)(?:\.(\d+))?", text.strip())
    if not m or int(m.group(1)) != 3:
        raise InputError(
            f"invalid --python-version {text!r}", hint="give a version such as `3.10` or `3.12.4`"
        )
    major, minor = int(m.group(1)), int(m.group(2))
    return (major, minor), f"{major}.{minor}.{m.group(3) or 0}"


def _platforms(tag: str) -> tuple[list[str], dict[str, str]]:
    """Expand one platform tag into every tag a pip on that platform accepts, plus markers."""
    if m := _MANYLINUX.match(tag):
        major, minor, arch = int(m.group(1)), int(m.group(2)), m.group(3)
        lowest = 5 if arch in ("x86_64", "i686") else 17
        out: list[str] = []
        for glibc_minor in range(minor, lowest - 1, -1):
            out.append(f"manylinux_{major}_{glibc_minor}_{arch}")
            for legacy, (lmaj, lmin) in _LEGACY_MANYLINUX.items():
                if (lmaj, lmin) == (major, glibc_minor):
                    out.append(f"{legacy}_{arch}")
        return out, _linux_env(arch)
    for legacy, (lmaj, lmin) in _LEGACY_MANYLINUX.items():
        if tag.startswith(legacy + "_"):
            return _platforms(f"manylinux_{lmaj}_{lmin}_{tag[len(legacy) + 1 :]}")
    if m := _MUSLLINUX.match(tag):
        major, minor, arch = int(m.group(1)), int(m.group(2)), m.group(3)
        return [f"musllinux_{major}_{n}_{arch}" for n in range(minor, -1, -1)], _linux_env(arch)
    if tag.startswith("linux_"):
        return [tag], _linux_env(tag[len("linux_") :])
    if m := _MACOS.match(tag):
        version, arch = (int(m.group(1)), int(m.group(2))), m.group(3)
        machine = "arm64" if arch in ("arm64", "universal2") else arch
        env = {
            "sys_platform": "darwin",
            "platform_system": "Darwin",
            "os_name": "posix",
            "platform_machine": machine,
        }
        return list(tags.mac_platforms(version, arch)), env
    if tag in _WINDOWS:
        env = {
            "sys_platform": "win32",
            "platform_system": "Windows",
            "os_name": "nt",
            "platform_machine": _WINDOWS[tag],
        }
        return [tag], env
    raise InputError(
        f"unknown --platform {tag!r}",
        hint="give a wheel platform tag such as `manylinux_2_28_x86_64`, "
        "`musllinux_1_2_aarch64`, `macosx_11_0_arm64` or `win_amd64`",
    )


def _linux_env(arch: str) -> dict[str, str]:
    if arch not in _LINUX_ARCHES:
        raise InputError(
            f"unknown --platform machine {arch!r}",
            hint=f"Linux wheels are built for {', '.join(sorted(_LINUX_ARCHES))}",
        )
    return {
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "platform_machine": arch,
    }


def make_target(python_version: str | None = None, platform: str | None = None) -> Target:
    """The target for ``--python-version`` / ``--platform``; None for either means this machine."""
    if python_version is None:
        py = (sys.version_info[0], sys.version_info[1])
        full = _platform.python_version()
    else:
        py, full = parse_python_version(python_version)
    env: dict[str, str] = {str(k): str(v) for k, v in default_environment().items()}
    env.update(
        python_version=f"{py[0]}.{py[1]}",
        python_full_version=full,
        implementation_name="cpython",
        implementation_version=full,
        platform_python_implementation="CPython",
    )
    if platform is None:
        platforms = list(tags.platform_tags())
    else:
        platforms, platform_env = _platforms(platform)
        env.update(platform_env, platform_release="", platform_version="")
    interpreter = f"cp{py[0]}{py[1]}"
    if python_version is None and platform is None:
        all_tags = tuple(tags.sys_tags())
    else:
        all_tags = (
            *tags.cpython_tags(py, platforms=platforms),
            *tags.compatible_tags(py, interpreter, platforms),
        )
    return Target(python=py, python_full=full, platform=platform, tags=all_tags, env=env)


_UV_ALIASES = {
    "linux": "x86_64-unknown-linux-gnu",
    "macos": "aarch64-apple-darwin",
    "windows": "x86_64-pc-windows-msvc",
}
_UV_TRIPLES = {
    "x86_64-unknown-linux-gnu": "manylinux_2_28_x86_64",
    "aarch64-unknown-linux-gnu": "manylinux_2_28_aarch64",
    "x86_64-unknown-linux-musl": "musllinux_1_2_x86_64",
    "aarch64-unknown-linux-musl": "musllinux_1_2_aarch64",
    "aarch64-apple-darwin": "macosx_13_0_arm64",
    "x86_64-apple-darwin": "macosx_13_0_x86_64",
    "x86_64-pc-windows-msvc": "win_amd64",
    "aarch64-pc-windows-msvc": "win_arm64",
    "i686-pc-windows-msvc": "win32",
}
_UV_MANYLINUX = re.compile(r"^(x86_64|aarch64)-manylinux(2014|_2_\d+)$")


def platform_from_uv(value: str) -> str:
    """The wheel platform tag for uv's ``--python-platform`` value, as uv reads it
    (``linux`` is ``x86_64-manylinux_2_28``; macOS 13.0 is the minimum, as uv's default)."""
    triple = _UV_ALIASES.get(value, value)
    if triple in _UV_TRIPLES:
        return _UV_TRIPLES[triple]
    if m := _UV_MANYLINUX.match(triple):
        arch, glibc = m.groups()
        return f"manylinux_2_17_{arch}" if glibc == "2014" else f"manylinux{glibc}_{arch}"
    raise InputError(
        f"unknown --python-platform {value!r}",
        hint="give one of uv's values (linux, macos, windows, x86_64-manylinux_2_28, …), "
        "or a wheel platform tag with --platform",
    )
