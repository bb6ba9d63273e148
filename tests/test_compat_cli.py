"""`symres compat` and `symres symbols` from the command line, against the local index."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from symres.cli import main
from tests.conftest import Project


def run(project: Project, capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([*args, "--index-url", project.index.url])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def web(project: Project) -> Project:
    project.wheel(
        "app",
        "1.0",
        requires=["lib>=1"],
        files={
            "app/__init__.py": "from lib.urls import quote\nfrom lib import Request\n",
        },
    )
    project.wheel(
        "lib",
        "1.0",
        files={
            "lib/__init__.py": "class Request: ...\n",
            "lib/urls.py": "def quote(s): return s\n",
        },
    )
    project.wheel(
        "lib",
        "2.0",
        files={
            "lib/__init__.py": "class Request: ...\n",
            "lib/urls.py": "def unquote(s): return s\n",
        },
    )
    return project


def test_compat_reports_the_break_with_file_and_line(web: Project, capsys) -> None:
    code, out, _ = run(web, capsys, "compat", "app==1.0", "lib==2.0")
    assert code == 1
    assert (
        "missing  from lib.urls import quote  (app/__init__.py:1, top) — lib 2.0 has no `quote`"
        in out
    )

    code, out, _ = run(web, capsys, "compat", "app==1.0", "lib==1.0")
    assert code == 0 and "missing" not in out


def test_compat_json_has_every_fact(web: Project, capsys) -> None:
    code, out, _ = run(web, capsys, "compat", "app==1.0", "lib==2.0", "--json")
    data = json.loads(out)
    assert code == 1 and data["missing"] == 1
    quote = next(c for c in data["checked"] if c["use"]["name"] == "quote")
    assert quote["verdict"] == "missing" and quote["provider"] == "lib 2.0"
    assert quote["use"]["file"] == "app/__init__.py" and quote["use"]["line"] == 1


def test_compat_without_the_provider_lists_it_as_not_given(web: Project, capsys) -> None:
    code, out, _ = run(web, capsys, "compat", "app==1.0", "--all")
    assert code == 0
    assert "no pin   from lib.urls import quote" in out


def test_compat_bad_pin_is_a_usage_error(web: Project, capsys) -> None:
    code, _, err = run(web, capsys, "compat", "app>=1.0")
    assert code == 2 and "error: `app>=1.0` is not a pin" in err
    code, _, err = run(web, capsys, "compat", "app==9.9")
    assert code == 2 and "`app` has no release 9.9" in err


def test_symbols_uses_and_exports(web: Project, capsys) -> None:
    code, out, _ = run(web, capsys, "symbols", "uses", "app==1.0", "--json")
    data = json.loads(out)
    assert code == 0
    assert {(u["module"], u["name"], u["guard"]) for u in data["uses"]} == {
        ("lib.urls", "quote", "top"),
        ("lib", "Request", "top"),
    }

    code, out, _ = run(web, capsys, "symbols", "exports", "lib==2.0", "lib.urls")
    assert code == 0 and "lib 2.0 `lib.urls` (py, closed): 1 names" in out and "unquote" in out


def test_symbols_uses_says_when_it_cuts_a_list(project: Project, capsys) -> None:
    body = "".join(f"from lib.m{i} import f\n" for i in range(8))
    project.wheel("many", "1.0", files={"many/__init__.py": body})
    code, out, _ = run(project, capsys, "symbols", "uses", "many==1.0")
    assert code == 0
    assert "  lib: 8 (top)" in out and "    … and 3 more (`-v` lists every use)" in out
    code, out, _ = run(project, capsys, "symbols", "uses", "many==1.0", "-v")
    assert code == 0 and "from lib.m7 import f" in out and "more" not in out


def test_sdist_only_consumer_is_read_from_the_sdist(project: Project, capsys) -> None:
    project.wheel("lib", "1.0", files={"lib/__init__.py": "x = 1\n"})
    sdist = project.dists / "old_app-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as tf:
        for path, text in {
            "old_app-1.0/PKG-INFO": "Metadata-Version: 2.1\nName: old-app\nVersion: 1.0\n",
            "old_app-1.0/setup.py": "from setuptools import setup\nsetup()\n",
            "old_app-1.0/src/old_app/__init__.py": "from lib import y\n",
        }.items():
            info = tarfile.TarInfo(path)
            info.size = len(text.encode())
            tf.addfile(info, io.BytesIO(text.encode()))
    project.index.add(sdist)

    code, out, _ = run(project, capsys, "compat", "old-app==1.0", "lib==1.0")

    assert code == 1
    assert "from lib import y  (old_app/__init__.py:1, top)" in out


def test_compat_enforces_what_lock_enforces(project: Project, capsys) -> None:
    """A name missing in a function body fails when that function runs, not at import:
    compat reports it and exits 0, as lock keeps such a pin; `--lazy enforce` fails it,
    as it narrows a lock."""
    project.wheel(
        "app",
        "1.0",
        files={"app/__init__.py": "def later():\n    from lib import gone\n"},
    )
    project.wheel("lib", "1.0", files={"lib/__init__.py": "X = 1\n"})

    code, out, _ = run(project, capsys, "compat", "app==1.0", "lib==1.0")
    assert code == 0, out
    assert "later    from lib import gone  (app/__init__.py:2, lazy)" in out
    assert "not enforced" in out

    code, out, _ = run(project, capsys, "compat", "app==1.0", "lib==1.0", "--lazy", "enforce")
    assert code == 1
    assert "missing  from lib import gone" in out
