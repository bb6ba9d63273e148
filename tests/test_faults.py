"""A misbehaving index on 127.0.0.1: each fault ends in one line naming the URL, exit 2,
no traceback, and nothing cached that would break the next run against a good index."""

from __future__ import annotations

import pytest

from tests.conftest import Project
from tests.test_lock import pins

JSON = "application/vnd.pypi.simple.v1+json"


@pytest.mark.parametrize(
    ("body", "ctype", "said"),
    [
        (b'{"files": [', JSON, "(JSON: JSONDecodeError"),
        (b'["not", "a", "page"]', JSON, "(JSON: TypeError: expected an object"),
        (b'{"files": [{"url": "x"}]}', JSON, "(JSON: TypeError: a file entry"),
        (b"Service temporarily replaced by a cat", "text/html", "(HTML: ValueError: no HTML"),
    ],
    ids=["invalid-json", "json-list", "file-without-name", "not-html"],
)
def test_a_page_that_does_not_parse_is_one_line_and_never_cached(
    project: Project, capsys, body: bytes, ctype: str, said: str
) -> None:
    project.wheel("a", "1.0")
    project.write("requirements.in", "a\n")
    project.index.page_override = (body, ctype)
    code, out, err = project.lock("requirements.in", capsys=capsys)
    assert code == 2
    assert err.startswith(f"error: `{project.index.url}/a/` is not a project page {said}")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 3  # error, blank, hint
    project.index.page_override = None  # the index is good again: no --refresh needed
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err
    assert pins(project.read()) == {"a": "1.0"}


def test_a_redirect_loop_is_one_line(project: Project, capsys) -> None:
    project.wheel("a", "1.0")
    project.write("requirements.in", "a\n")
    project.index.redirect_loop = True
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 2
    assert f"error: `{project.index.url}/a/` cannot be read (TooManyRedirects" in err
    assert "Traceback" not in err
