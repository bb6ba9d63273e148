"""Build data/stdlib.json.xz: the standard library's modules and names for Python 3.8-3.14.

    python scripts/build_stdlib_table.py

Source: typeshed's stdlib stubs and its VERSIONS file, as vendored by mypy. typeshed
drops the branches of Python versions it no longer supports, so each Python version is
read from the newest mypy whose typeshed still covers it (see TYPESHEDS). Stubs are read
with symres' own export scanner, with `sys.version_info` evaluated for each version.
"""

from __future__ import annotations

import json
import lzma
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from symres.symbols.conditions import TargetFacts  # noqa: E402
from symres.symbols.exports import scan_exports  # noqa: E402
from symres.symbols.parse import parse  # noqa: E402

VERSIONS = [(3, 8), (3, 9), (3, 10), (3, 11), (3, 12), (3, 13), (3, 14)]
# mypy release -> the Python versions read from its typeshed (its oldest supported and up)
TYPESHEDS = {"1.14.1": [(3, 8), (3, 9)], "1.19.0": [(3, 10), (3, 11), (3, 12), (3, 13), (3, 14)]}
OUT = ROOT / "data" / "stdlib.json.xz"


def typeshed(version: str, work: Path) -> dict[str, bytes]:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--python-version",
            "3.12",
            "--platform",
            "manylinux_2_17_x86_64",
            "-d",
            str(work),
            f"mypy=={version}",
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(work.glob(f"mypy-{version}-*.whl"))
    files = {}
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if name.startswith("mypy/typeshed/stdlib/"):
                files[name[len("mypy/typeshed/stdlib/") :]] = zf.read(name)
    return files


def module_ranges(versions_file: str) -> dict[str, tuple[tuple[int, int], tuple[int, int] | None]]:
    out = {}
    for line in versions_file.splitlines():
        line = line.split("#")[0].strip()
        if m := re.match(r"^([\w.]+):\s*(\d+)\.(\d+)-(?:(\d+)\.(\d+))?$", line):
            lo = (int(m.group(2)), int(m.group(3)))
            hi = (int(m.group(4)), int(m.group(5))) if m.group(4) else None
            out[m.group(1)] = (lo, hi)
    return out


def available(module: str, py: tuple[int, int], ranges: dict) -> bool:
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        key = ".".join(parts[:i])
        if key in ranges:
            lo, hi = ranges[key]
            return lo <= py and (hi is None or py <= hi)
    return False


def tables_for(files: dict[str, bytes], py: tuple[int, int]) -> dict[str, set[str]]:
    ranges = module_ranges(files["VERSIONS"].decode())
    facts = TargetFacts(python=py)
    raw = {}
    for path, data in files.items():
        if not path.endswith(".pyi"):
            continue
        is_package = path.endswith("/__init__.pyi")
        module = path[: -len("/__init__.pyi")] if is_package else path[: -len(".pyi")]
        module = module.replace("/", ".")
        if not available(module, py, ranges):
            continue
        tree = parse(data, path)
        if isinstance(tree, str):
            continue
        raw[module] = scan_exports(module, tree, is_package=is_package, facts=facts, kind="pyi")
    out: dict[str, set[str]] = {}

    def names(module: str, seen: frozenset[str] = frozenset()) -> set[str]:
        table = raw[module]
        result = set(table.names)
        for star in table.stars:
            if star in raw and star not in seen:
                star_table = raw[star]
                public = (
                    set(star_table.all)
                    if star_table.all is not None
                    else {n for n in names(star, seen | {module}) if not n.startswith("_")}
                )
                result |= public
        return result

    for module in raw:
        result = names(module)
        result |= {m.rsplit(".", 1)[1] for m in raw if m.rpartition(".")[0] == module}
        out[module] = result
    return out


def main() -> None:
    index = [f"{a}.{b}" for a, b in VERSIONS]
    merged: dict[str, dict[str, list[int]]] = {}
    present: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mypy_version, pys in TYPESHEDS.items():
            files = typeshed(mypy_version, Path(tmp))
            for py in pys:
                i = VERSIONS.index(py)
                for module, names in tables_for(files, py).items():
                    present.setdefault(module, []).append(i)
                    table = merged.setdefault(module, {})
                    for name in names:
                        table.setdefault(name, []).append(i)

    def spans(indices: list[int]) -> str:
        indices = sorted(set(indices))
        return ",".join(str(i) for i in indices) if len(indices) != len(VERSIONS) else ""

    data = {
        "versions": index,
        "source": {k: [f"{a}.{b}" for a, b in v] for k, v in TYPESHEDS.items()},
        "modules": {
            m: {"in": spans(present[m]), "names": {n: spans(v) for n, v in sorted(t.items())}}
            for m, t in sorted(merged.items())
        },
    }
    OUT.parent.mkdir(exist_ok=True)
    raw = json.dumps(data, separators=(",", ":")).encode()
    OUT.write_bytes(lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME))
    print(
        f"{OUT.relative_to(ROOT)}: {len(merged)} modules, {len(raw)} bytes raw, "
        f"{OUT.stat().st_size} compressed"
    )


if __name__ == "__main__":
    main()
