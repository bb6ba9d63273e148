"""How metadata is read: Range reads of the wheel, `.metadata`, full downloads, sdists."""

from __future__ import annotations

import re

import pytest

from tests.builders import build_sdist
from tests.conftest import Project


def pins(text: str) -> dict[str, str]:
    return dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+)", text, flags=re.M))


def test_metadata_comes_from_a_range_read_of_the_wheel_tail(project: Project, capsys) -> None:
    big = project.wheel("big", "1.0", requires=["small"], pad=2_000_000)
    project.wheel("small", "1.0")
    project.write("requirements.in", "big\n")

    code, _, err = project.lock("--symbols", "off", "requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"big": "1.0", "small": "1.0"}
    wheel_requests = project.index.requests(f"/files/{big.name}")
    assert wheel_requests and all(r.status == 206 for r in wheel_requests)
    fetched = sum(r.sent for r in wheel_requests)
    assert fetched < big.stat().st_size / 20  # a few KB of a 2 MB wheel


def test_server_without_range_support_still_works(project: Project, capsys) -> None:
    project.index.ranges = False
    big = project.wheel("big", "1.0", pad=300_000)
    project.write("requirements.in", "big\n")

    code, _, err = project.lock("--symbols", "off", "requirements.in", capsys=capsys)

    assert code == 0, err
    wheel_requests = project.index.requests(f"/files/{big.name}")
    assert [r.status for r in wheel_requests] == [200]  # one full download, nothing more


def test_advertised_metadata_file_is_used_and_the_wheel_never_touched(
    project: Project, capsys
) -> None:
    project.index.metadata = True
    wheel = project.wheel("a", "1.0", requires=["b"])
    project.wheel("b", "1.0")
    project.write("requirements.in", "a\n")

    code, _, err = project.lock("--symbols", "off", "requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"a": "1.0", "b": "1.0"}
    assert project.index.requests(f"/files/{wheel.name}.metadata")
    assert not project.index.requests(f"/files/{wheel.name}")[1:]  # only the .metadata request
    assert all(r.path.endswith(".metadata") for r in project.index.requests("/files/"))


def test_sdist_only_release_with_static_pkg_info(project: Project, capsys) -> None:
    project.sdist("legacy", "1.0", requires=["dep>=2"])
    project.wheel("dep", "2.0")
    project.write("requirements.in", "legacy\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"dep": "2.0", "legacy": "1.0"}


@pytest.mark.slow
def test_sdist_only_release_with_dynamic_metadata_is_built(project: Project, capsys) -> None:
    project.sdist("legacy", "1.0", requires=["dep"], static=False)
    project.wheel("dep", "1.0")
    project.write("requirements.in", "legacy\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"dep": "1.0", "legacy": "1.0"}


@pytest.mark.slow
def test_failing_sdist_build_is_a_clear_error(project: Project, capsys) -> None:
    backend = (
        "def prepare_metadata_for_build_wheel(d, c=None):\n    raise RuntimeError('no compiler')\n"
    )
    project.sdist("broken", "1.0", static=False, backend=backend)
    project.write("requirements.in", "broken==1.0\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 2
    notice, first = err.splitlines()[:2]
    # package code is about to run: said on stderr, terminal or not
    assert notice == (
        "building `broken 1.0` from its sdist to read its metadata "
        "(this runs the package's build backend)"
    )
    assert first.startswith("error: no release of `broken` matching ==1.0 can be used: ")
    # the backend's own last error line, and what the isolated build had installed
    assert "broken-1.0.tar.gz: metadata build failed in `prepare_metadata_for_build_wheel`" in first
    assert "RuntimeError: no compiler" in first
    assert "(build environment: " in first  # what the isolated build had installed
    assert "hint: pin a release of `broken` that ships a wheel for the target" in err


@pytest.mark.slow
def test_a_release_that_cannot_be_built_is_skipped(project: Project, capsys) -> None:
    backend = (
        "def prepare_metadata_for_build_wheel(d, c=None):\n    raise RuntimeError('too old')\n"
    )
    project.wheel("app", "1.0", requires=["dep"])
    project.wheel("dep", "1.0")
    project.sdist("dep", "2.0", static=False, backend=backend)
    project.write("requirements.in", "app\n")

    code, _, err = project.lock("-v", "requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"app": "1.0", "dep": "1.0"}
    assert "skipped dep 2.0: dep-2.0.tar.gz: metadata build failed" in err


def test_second_lock_is_served_from_the_cache(project: Project, capsys) -> None:
    project.wheel("a", "1.0", requires=["b"])
    project.wheel("b", "1.0")
    project.write("requirements.in", "a\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    first = len(project.index.log)

    assert project.lock("--dry-run", "requirements.in", capsys=capsys)[0] == 0
    assert len(project.index.log) == first  # nothing asked of the index

    assert project.lock("--dry-run", "--refresh", "requirements.in", capsys=capsys)[0] == 0
    refreshed = project.index.log[first:]
    assert {r.path for r in refreshed} == {"/simple/a/", "/simple/b/"}  # metadata stays cached

    files_before = len(project.index.requests("/files/"))
    assert (
        project.lock(
            "--dry-run", "--no-cache", "--symbols", "off", "requirements.in", capsys=capsys
        )[0]
        == 0
    )
    assert len(project.index.requests("/files/")) == files_before + 2  # a and b read again


def test_corrupt_cache_entries_are_misses_not_errors(project: Project, capsys, tmp_path) -> None:
    project.wheel("a", "1.0")
    project.write("requirements.in", "a\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    for entry in (tmp_path / "cache").rglob("*"):
        if entry.is_file():
            entry.write_bytes(entry.read_bytes()[: len(entry.read_bytes()) // 3])

    code, _, err = project.lock("--check", "requirements.in", capsys=capsys)

    assert code == 0, err


def test_metadata_headers_read_as_the_email_parser_reads_them() -> None:
    """Old METADATA carries the description as a folded header, blank lines included;
    the fields after it still count, and nothing of the body does."""
    from email.parser import BytesParser
    from email.policy import compat32

    from symres.index.metadata import headers, parse_metadata

    raw = (
        b"Metadata-Version: 1.2\r\nName: Old.Pkg\r\nVersion: 1.0\r\n"
        b"Description: first line\r\n        \r\n        second paragraph\r\n"
        b"Requires-Dist: six (>=1.10)\r\nRequires-Dist: pytz; python_version < '3.9'\r\n"
        b"Requires-Python: >=2.7\r\n\r\nRequires-Dist: not-a-header\r\n"
    )
    ours = headers(raw)
    theirs = BytesParser(policy=compat32).parsebytes(raw, headersonly=True)
    assert ours["requires-dist"] == [str(v) for v in theirs.get_all("Requires-Dist")]
    meta = parse_metadata(raw, "old.pkg-1.0")
    assert meta.name == "old-pkg" and str(meta.requires_python) == ">=2.7"
    assert [str(r) for r in meta.requires_dist] == ["six>=1.10", 'pytz; python_version < "3.9"']


@pytest.mark.slow
def test_an_offline_lock_builds_without_the_index(project: Project, capsys) -> None:
    """`--offline` holds for the isolated build too: its build requirements come from the
    installer's cache or `--find-links`, never from the index."""
    project.wheel("helper", "1.0")  # on the index only
    sdist = build_sdist(project.root, "legacy", "1.0", static=False, build_requires=["helper"])
    project.write("requirements.in", f"legacy @ {sdist.as_uri()}\n")

    code, _, err = project.lock("--offline", "requirements.in", capsys=capsys)

    assert code == 2
    assert "installing its build requirements (helper) failed" in err
    assert "--offline" in err.splitlines()[-1]  # the hint says what to do
    assert project.index.requests() == []  # nothing asked of the index
    code, _, err = project.lock("requirements.in", capsys=capsys)  # online, it builds
    assert code == 0, err
