"""Facts mined by an older analysis are mined again only if its version is bumped
(symres.symbols.oracle). A change to the code that finds them must say whether it
changes what is found: bump the version, or record the new digest under the same one."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

from symres.symbols import oracle

SYMRES = Path(oracle.__file__).parent.parent

# what each version reads with (both read sources the same way)
SHARED = tuple(
    f"symbols/{n}" for n in ("conditions.py", "parse.py", "shapes.py", "source.py", "stdlib.py")
)
SOURCES = {
    # uses, and whether importing the distribution reaches the module that has them
    "ANALYSIS": (
        "facts.py",
        *(
            f"symbols/{n}"
            for n in ("uses.py", "context.py", "provider_tests.py", "consumer.py", "release.py")
        ),
        *SHARED,
    ),
    "EXPORTS_ANALYSIS": (
        "facts.py",
        *(
            f"symbols/{n}"
            for n in (
                "exports.py",
                "constants.py",
                "extension.py",
                "getattr.py",
                "lazymodule.py",
                "lazyargs.py",
                "release.py",
                "verdicts.py",
                "tables.py",
            )
        ),
        *SHARED,
    ),
}

# the version each was last reviewed at, and the digest of its code (comments and
# docstrings aside) then: a change updates the digest, and bumps the version when it
# changes what is found
RECORDED = {
    "ANALYSIS": (14, "448be8a14b6885e2"),
    "EXPORTS_ANALYSIS": (14, "7c12f7f18fe820f2"),
}


def _digest(files: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for name in files:
        tree = ast.parse((SYMRES / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (
                isinstance(body, list)
                and body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                body[0] = ast.Pass()  # a docstring
        h.update(name.encode() + b"\0" + _canonical(tree).encode() + b"\0")
    return h.hexdigest()[:16]


def _canonical(node: object) -> str:
    """``ast.dump`` without the fields a newer Python adds empty (``type_params=[]``)."""
    if isinstance(node, list):
        return "[" + ",".join(_canonical(n) for n in node) + "]"
    if not isinstance(node, ast.AST):
        return repr(node)
    fields = [
        f"{f}={_canonical(v)}"
        for f in node._fields
        if (v := getattr(node, f, None)) is not None and v != [] and f != "kind"
    ]
    return f"{type(node).__name__}({','.join(fields)})"


def test_a_change_to_the_analysis_says_whether_it_changes_what_is_found() -> None:
    for constant, files in SOURCES.items():
        version = getattr(oracle, constant)
        digest = _digest(files)
        assert (version, digest) == RECORDED[constant], (
            f"the code behind {constant} changed (digest {digest}): bump {constant} in "
            f"symres/symbols/oracle.py if it finds other facts; either way, record "
            f"({version}, {digest!r}) in this test"
        )
