"""Generated indexes that stress the resolver: deep backtracking and wide metadata.

Used by the tests (small sizes) and by ``scripts/bench_resolver.py`` (the sizes of the
issue: 300 projects x 20 versions; 2,000 ``Requires-Dist`` lines).
"""

from __future__ import annotations

from pathlib import Path

from tests.builders import build_wheel
from tests.index_server import IndexServer


def deep_index(
    server: IndexServer, dists: Path, *, projects: int, versions: int, op: str = "=="
) -> list[str]:
    """``p0 … p{n-1}``, each in *versions* releases; release k of ``p_i`` needs exactly
    release k of ``p_{i+1}``. Returns the root requirement and the constraint: ``p0`` and
    ``p{n-1}<=versions/2`` — satisfiable only with every project at its middle release,
    which a resolver reaches only by backtracking from the newest ``p0`` down. With
    ``op=">="`` each release needs its own release *or newer* of the next project, so
    every project has several candidates to try on each way down."""
    for i in range(projects):
        for k in range(1, versions + 1):
            requires = [f"p{i + 1}{op}{k}.0"] if i + 1 < projects else []
            server.add(build_wheel(dists, f"p{i}", f"{k}.0", requires=requires))
    return ["p0", f"p{projects - 1}<={versions // 2}.0"]


def wide_release(server: IndexServer, dists: Path, *, lines: int) -> str:
    """``wide 1.0`` with *lines* ``Requires-Dist`` lines, each on a project of one release."""
    for i in range(lines):
        server.add(build_wheel(dists, f"dep{i}", "1.0"))
    requires = [f"dep{i}>=1.0" for i in range(lines)]
    server.add(build_wheel(dists, "wide", "1.0", requires=requires))
    return "wide"
