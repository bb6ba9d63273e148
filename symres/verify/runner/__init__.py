"""The import tier, run inside the environment it checks.

Standalone and stdlib-only (Python 3.8+): `symres verify` runs this script with the
venv's interpreter, and `symres verify --emit-script` writes it out with the plan
embedded, for a `RUN python test_imports.py` step in a Dockerfile.

For every locked distribution: is it installed at the locked version, and does each
top-level module in its RECORD import? For every use mined from the lock's code
(`from werkzeug.urls import url_quote`): does it work? Then the probes, if any.

Each check runs in a worker process; a crash, a hang (timeout), `sys.exit` or a stray
print in one check is reported as that check's result, and a new worker carries on
with the next check. Exit status: 0 every check passed, 1 some check failed.

The script is written in parts, joined by :func:`symres.verify.runner.script`:
``symres.compare`` (how a test on a constant compares, shared with the judge),
``checks`` (what there is to check), ``worker`` (a check run, in a worker process) and
``parent`` (the workers, the report, the command line). A part imports what it uses of
the parts before it from ``symres``; the join drops those imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

# in the order of the script, relative to the symres package
PARTS = (
    "compare.py",
    "verify/runner/checks.py",
    "verify/runner/worker.py",
    "verify/runner/parent.py",
)


def script() -> str:
    """The runner as the one file an environment's Python runs: this docstring, one
    ``from __future__ import annotations``, then the parts in order, each without its
    own ``__future__`` and ``symres`` imports."""
    here = Path(__file__).parent
    package = here.parent.parent
    doc = ast.get_docstring(ast.parse((here / "__init__.py").read_text(encoding="utf-8")))
    out = [f'"""{doc}\n"""\n\nfrom __future__ import annotations\n']
    for name in PARTS:
        source = (package / name).read_text(encoding="utf-8")
        lines = source.splitlines(keepends=True)
        for node in reversed(ast.parse(source).body):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
                "__future__",
                "symres",
            ):
                del lines[node.lineno - 1 : node.end_lineno]
        out.append("".join(lines))
    return "\n\n".join(out)
