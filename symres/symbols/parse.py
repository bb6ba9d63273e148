"""Turning source bytes into an AST without ever failing: anything unreadable (Python 2,
syntax errors, undecodable bytes, absurd nesting or size) becomes a reason string."""

from __future__ import annotations

import ast
import io
import threading
import tokenize
import warnings

MAX_SOURCE = 8 * 1024 * 1024
# One parse at a time: CPython before 3.11.9 tracks the AST builder's recursion depth in
# shared state and raises SystemError ("AST constructor recursion depth mismatch") when
# threads parse at once; `catch_warnings` is process-wide too. Parsing holds the GIL
# anyway, so the threads lose nothing: they overlap the network reads around it.
_PARSING = threading.Lock()


def decode(data: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return data.decode("utf-8", errors="replace")


def parse(data: bytes, filename: str) -> ast.Module | str:
    """The module's AST, or why it could not be read."""
    if len(data) > MAX_SOURCE:
        return f"{len(data)} bytes: too large"
    text = decode(data)
    try:
        with _PARSING, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes in old code
            return ast.parse(text, filename=filename)
    except SyntaxError as exc:
        return f"syntax error at line {exc.lineno}"
    except (ValueError, RecursionError, MemoryError, SystemError) as exc:
        return f"unparsable ({exc.__class__.__name__})"
