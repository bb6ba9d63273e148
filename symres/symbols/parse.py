"""Turning source bytes into an AST without ever failing: anything unreadable (Python 2,
syntax errors, undecodable bytes, absurd nesting or size) becomes a reason string."""

from __future__ import annotations

import ast
import io
import tokenize
import warnings

MAX_SOURCE = 8 * 1024 * 1024


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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes in old code
            return ast.parse(text, filename=filename)
    except SyntaxError as exc:
        return f"syntax error at line {exc.lineno}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"unparsable ({exc.__class__.__name__})"
