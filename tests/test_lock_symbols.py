"""`symres lock` with symbol constraints: the traps pip-compile and uv fall into, in small."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from symres.cache import symbols_db_path
from symres.cli import main
from symres.db.schema import TABLES
from tests.conftest import Project


def pins(text: str) -> dict[str, str]:
    return dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+)", text, flags=re.M))


def web_stack(project: Project) -> None:
    """app 1.0 declares lib>=1 and imports lib.urls.quote, which lib 3.0 removed."""
    project.wheel(
        "app", "1.0", requires=["lib>=1"], files={"app/__init__.py": "from lib.urls import quote\n"}
    )
    for version, body in [
        ("1.0", "def quote(s): return s\n"),
        ("2.0", "def quote(s): return s\n"),
        ("3.0", "def unquote(s): return s\n"),
        ("3.1", "def unquote(s): return s\n"),
    ]:
        project.wheel("lib", version, files={"lib/__init__.py": "", "lib/urls.py": body})


def test_lock_refuses_the_release_that_lacks_an_imported_name(project: Project, capsys) -> None:
    web_stack(project)
    project.write("requirements.in", "app\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 0, err
    text = project.read()
    assert pins(text) == {"app": "1.0", "lib": "2.0"}
    assert (
        "    # symres: <3.0 — app 1.0 imports `quote` from `lib.urls` (app/__init__.py:1); "
        "lib 3.0 and later lack it\n"
    ) in text
    assert "narrowed lib<3.0: app 1.0 imports `quote`" in err


def test_warn_and_off_resolve_on_metadata_only(project: Project, capsys) -> None:
    web_stack(project)
    project.write("requirements.in", "app\n")

    code, _, err = project.lock("--symbols", "warn", "requirements.in", capsys=capsys)
    assert code == 0
    assert pins(project.read())["lib"] == "3.1"
    assert "warning: app 1.0 imports `quote` from `lib.urls` (app/__init__.py:1)" in err
    assert "# symres: warning — app 1.0 imports `quote`" in project.read()

    code, _, err = project.lock("--symbols", "off", "--upgrade", "requirements.in", capsys=capsys)
    assert code == 0 and pins(project.read())["lib"] == "3.1" and "warning" not in err


def test_ignore_symbol_overrules_one_check(project: Project, capsys) -> None:
    web_stack(project)
    project.write("requirements.in", "app\n")
    assert (
        project.lock("--ignore-symbol", "lib.urls:quote", "requirements.in", capsys=capsys)[0] == 0
    )
    assert pins(project.read())["lib"] == "3.1"

    project.write("pyproject.toml", '[tool.symres]\nignore-symbols = ["lib.urls:quote"]\n')
    assert project.lock("--upgrade", "requirements.in", capsys=capsys)[0] == 0
    assert pins(project.read())["lib"] == "3.1"


def test_a_symbol_that_only_newer_releases_have_raises_the_floor(project: Project, capsys) -> None:
    project.wheel(
        "app", "1.0", requires=["lib"], files={"app/__init__.py": "from lib import new\n"}
    )
    project.wheel("lib", "1.0", files={"lib/__init__.py": "old = 1\n"})
    project.wheel("lib", "2.0", files={"lib/__init__.py": "old = 1\nnew = 2\n"})
    project.write("requirements.in", "app\nlib<=2\n")
    project.write("constraints.txt", "")
    (project.root / "requirements.txt").write_text("app==1.0\nlib==1.0\n")  # an old pin to keep

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"app": "1.0", "lib": "2.0"}
    assert (
        "# symres: >=2.0 — app 1.0 imports `new` from `lib` (app/__init__.py:1); "
        "lib before 2.0 lacks it" in project.read()
    )


def test_unsatisfiable_because_of_symbols_explains_itself(project: Project, capsys) -> None:
    web_stack(project)
    project.write("requirements.in", "app\nlib>=3\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 1
    assert "no version of `lib` satisfies the requirements" in err
    assert (
        "(symres: app 1.0 imports `quote` from `lib.urls` (app/__init__.py:1); "
        "lib 3.0 and later lack it)" in err
    )
    assert "requirements.in:2: lib>=3" in err
    assert "--ignore-symbol" in err


def test_stdlib_break_excludes_the_consumer_release(project: Project, capsys) -> None:
    project.wheel("old", "1.0", files={"old/__init__.py": "import sys\n"})
    project.wheel(
        "old", "2.0", files={"old/__init__.py": "from distutils.version import StrictVersion\n"}
    )
    project.write("requirements.in", "old\n")

    code, _, err = project.lock("--python-version", "3.12", "requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"old": "1.0"}
    assert "`distutils.version` is not in the Python 3.12 stdlib" in project.read()


@pytest.mark.parametrize("with_hook", [True, False], ids=["with-the-hook", "without"])
def test_a_pth_import_hook_serves_a_removed_stdlib_module_in_lock_too(
    project: Project, capsys, with_hook: bool
) -> None:
    """One rule in every command: a module the stdlib dropped, served by an import hook
    a locked release starts from its `.pth` file (setuptools' distutils), is present."""
    hook = {
        "_hack/__init__.py": "import sys\nclass Finder:\n    def spec_for_distutils(self): ...\n"
        "sys.meta_path.insert(0, Finder())\n",
        "hack-precedence.pth": "import os; enabled = True; enabled and "
        "__import__('_hack').add_shim(); \n",
    }
    project.wheel("hack", "1.0", files=hook if with_hook else {"_hack/__init__.py": ""})
    project.wheel("old", "1.0", files={"old/__init__.py": "import sys\n"})
    project.wheel(
        "old",
        "2.0",
        requires=["hack"],
        files={"old/__init__.py": "from distutils.version import StrictVersion\n"},
    )
    project.write("requirements.in", "old\n")

    code, _, err = project.lock("--python-version", "3.12", "requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read())["old"] == ("2.0" if with_hook else "1.0")


def test_a_handler_for_another_error_does_not_refuse_the_release(project: Project, capsys) -> None:
    """cffi 1.16.0: `try: callable / except NameError: from collections import Callable`
    runs only on a Python without `callable`: cffi locks on 3.11, the use is reported."""
    body = "try:\n    callable\nexcept NameError:\n    from collections import Callable\n"
    project.wheel("cffi", "1.16.0", files={"cffi/__init__.py": body})
    project.write("requirements.in", "cffi==1.16.0\n")

    code, out, err = project.lock(
        "--json", "--python-version", "3.11", "requirements.in", capsys=capsys
    )

    assert code == 0, err
    assert pins(project.read()) == {"cffi": "1.16.0"}
    assert [b["use"] for b in json.loads(out)["breaks"]] == ["from collections import Callable"]


def test_a_module_imported_under_a_caught_import_error_cannot_refuse(
    project: Project, capsys
) -> None:
    """pip 21.2.4's vendored requests imports urllib3's pyopenssl support in a `try` whose
    `except ImportError: pass` goes on; that module's `from cryptography... import
    _Certificate` (gone in cryptography 39) cannot fail `import pip`."""
    files = {
        "app/__init__.py": "try:\n    from app import extra\nexcept ImportError:\n    pass\n",
        "app/extra.py": "from lib.x509 import _Certificate\n",
    }
    project.wheel("app", "1.0", requires=["lib"], files=files)
    project.wheel("lib", "38.0", files={"lib/__init__.py": "", "lib/x509.py": "_Certificate = 1\n"})
    project.wheel("lib", "41.0", files={"lib/__init__.py": "", "lib/x509.py": "X = 1\n"})
    project.write("requirements.in", "app\nlib>=41\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"app": "1.0", "lib": "41.0"}


def test_src_makes_the_project_a_consumer(project: Project, capsys) -> None:
    web_stack(project)
    (project.root / "src" / "mine").mkdir(parents=True)
    (project.root / "src" / "mine" / "__init__.py").write_text("from lib.urls import quote\n")
    project.write("requirements.in", "lib\n")

    code, _, err = project.lock("--src", "src", "requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"lib": "2.0"}
    assert "your code imports `quote` from `lib.urls`" in project.read()


def test_an_editable_project_is_a_consumer_like_src(project: Project, capsys) -> None:
    from tests.builders import source_tree

    web_stack(project)
    source_tree(
        project.root / "myapp",
        "myapp",
        "0.1",
        requires=["lib"],
        files={
            "src/myapp/__init__.py": "from lib.urls import quote\n",
            ".venv/x.py": "import nope\n",
        },
    )
    project.write("requirements.in", "-e ./myapp\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"lib": "2.0"}
    assert "your code imports `quote` from `lib.urls`" in project.read()


def test_export_overrides_and_json(project: Project, capsys) -> None:
    web_stack(project)
    project.write("requirements.in", "app\n")

    code, out, _ = project.lock(
        "--json", "--export-overrides", "constraints.txt", "requirements.in", capsys=capsys
    )

    assert code == 0
    assert "lib<3.0  # app 1.0 imports `quote` from `lib.urls`" in project.read("constraints.txt")
    data = json.loads(out)
    assert data["narrowings"][0] | {"why": None} == {
        "package": "lib",
        "specifier": "<3.0",
        "why": None,
        "consumer": "app 1.0",
        "file": "app/__init__.py",
        "line": 1,
        "module": "lib.urls",
        "name": "quote",
    }

    assert project.lock("--export-overrides", "uv.toml", "requirements.in", capsys=capsys)[0] == 0
    assert 'constraint-dependencies = [\n    "lib<3.0",\n]' in project.read("uv.toml")


def test_why_names_the_narrowing_and_the_refused_releases(project: Project, capsys) -> None:
    web_stack(project)
    project.write("requirements.in", "app\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0

    capsys.readouterr()
    code = main(["why", "lib", "--index-url", project.index.url])
    out = capsys.readouterr().out

    assert code == 0
    assert out.splitlines()[:3] == [
        "lib 2.0",
        "  via app",
        "  symres: <3.0 — app 1.0 imports `quote` from `lib.urls` (app/__init__.py:1); "
        "lib 3.0 and later lack it",
    ]
    assert "    3.0 … 3.1: symres <3.0: app 1.0 imports `quote`" in out


def test_second_lock_answers_symbols_from_the_database(project: Project, capsys) -> None:
    web_stack(project)
    project.write("requirements.in", "app\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    before = len(project.index.log)

    assert project.lock("--upgrade", "--check", "requirements.in", capsys=capsys)[0] == 0

    assert [r.path for r in project.index.log[before:]] == ["/simple/app/", "/simple/lib/"]


def test_db_export_import_and_stats(project: Project, capsys, tmp_path) -> None:
    web_stack(project)
    project.write("requirements.in", "app\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    capsys.readouterr()
    assert main(["db", "export", str(tmp_path / "copy.sqlite")]) == 0
    assert main(["db", "stats"]) == 0
    stats = capsys.readouterr().out
    # app 1.0, lib 3.1 (first round), lib 2.0; a lock asks names, it stores no tables
    assert "  user: 2 projects, 3 releases\n" in stats
    assert "    3.11-linux: uses of 3 releases, export tables of 0\n" in stats

    assert main(["db", "import", str(tmp_path / "copy.sqlite")]) == 0
    assert "imported: uses 0" in capsys.readouterr().err


def _refused(capsys, path: Path) -> str:
    db = sqlite3.connect(symbols_db_path())
    before = [db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES]
    assert main(["db", "import", str(path)]) == 2
    assert [db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES] == before
    db.close()
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "Traceback" not in err, err
    return err.splitlines()[0]


def test_db_import_checks_the_file_and_refuses_it_whole(project: Project, capsys, tmp_path) -> None:
    """A team's snapshot is merged only when it is intact, of this schema and of the
    analyses this symres reads; otherwise nothing of it is merged."""
    web_stack(project)
    project.write("requirements.in", "app\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    good = tmp_path / "team.sqlite"
    assert main(["db", "export", str(good), "--inputs", "requirements.in of the team"]) == 0
    assert main(["db", "stats", "--json"]) == 0  # the user database is the one exported
    capsys.readouterr()

    (tmp_path / "junk.sqlite").write_text("not a database")
    assert "cannot be imported" in _refused(capsys, tmp_path / "junk.sqlite")

    for key, value, says in (
        ("exports_analysis", "1", "mined with exports_analysis 1, this symres reads"),
        ("schema_version", "3", "it has schema 3, this symres reads schema"),
    ):
        other = tmp_path / f"{key}.sqlite"
        shutil.copy(good, other)
        with sqlite3.connect(other) as db:
            db.execute("INSERT INTO verdicts VALUES ('x','1','t','m','s','present','')")
            db.execute("UPDATE meta SET value=? WHERE key=?", (value, key))
        assert says in _refused(capsys, other)

    damaged = tmp_path / "damaged.sqlite"
    data = bytearray(good.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = b"\xff" * 4096
    damaged.write_bytes(bytes(data))
    assert "cannot be imported" in _refused(capsys, damaged)

    monkeypatch_cache = tmp_path / "other-cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SYMRES_CACHE_DIR", str(monkeypatch_cache))
        assert main(["db", "import", str(good)]) == 0
        capsys.readouterr()
        assert main(["db", "stats", "--json"]) == 0
        stats = json.loads(capsys.readouterr().out)
    assert stats["user"]["releases"] == 3
    assert stats["user"]["targets"]["3.11-linux"]["uses"] == 3

    with pytest.MonkeyPatch.context() as mp:  # shipped as a snapshot, it says what it is
        mp.delenv("SYMRES_NO_SNAPSHOT")
        mp.setenv("SYMRES_SNAPSHOT", str(good))
        assert main(["db", "stats"]) == 0
    shown = capsys.readouterr().out
    assert re.search(r"  snapshot \(built 20\d\d-.*Z from requirements.in of the team\)", shown)
    assert "  snapshot (built" in shown and ": 2 projects, 3 releases\n" in shown


def test_a_snapshot_answers_without_reading_wheel_source(
    project: Project, capsys, monkeypatch, tmp_path
) -> None:
    web_stack(project)
    project.write("requirements.in", "app\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    assert main(["db", "export", str(tmp_path / "snapshot.sqlite")]) == 0

    monkeypatch.setenv("SYMRES_CACHE_DIR", str(tmp_path / "fresh-cache"))
    monkeypatch.delenv("SYMRES_NO_SNAPSHOT")
    monkeypatch.setenv("SYMRES_SNAPSHOT", str(tmp_path / "snapshot.sqlite"))
    code, _, err = project.lock("-v", "--upgrade", "requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"app": "1.0", "lib": "2.0"}
    assert "symbols: 0 releases mined, 0 verdicts computed" in err


def test_facts_mined_from_another_indexs_file_are_not_trusted(project: Project, capsys) -> None:
    """A mirror serves lib 1.0 with other bytes (here: without `thing`). What symres read
    from that file is not used when the index in use serves lib 1.0 as another file: it
    is read again from this index's (the same name and version is not the same file)."""
    from tests.builders import build_wheel
    from tests.index_server import IndexServer

    uses = {"app/__init__.py": "from lib import thing\n"}
    app = project.wheel("app", "1.0", requires=["lib"], files=uses)
    old = project.wheel("lib", "0.9", files={"lib/__init__.py": "thing = 1\n"})
    project.wheel("lib", "1.0", files={"lib/__init__.py": "thing = 1\n"})
    mirror_dists = project.root.parent / "mirror"
    mirror_dists.mkdir()
    mirror = IndexServer()
    for wheel in (app, old, build_wheel(mirror_dists, "lib", "1.0", files={"lib/__init__.py": ""})):
        mirror.add(wheel)
    mirror.start()
    project.write("requirements.in", "app\n")
    try:
        capsys.readouterr()
        code = main(["lock", "-i", mirror.url, "-o", "mirror.txt", "requirements.in"])
        assert code == 0, capsys.readouterr().err
        assert pins(project.read("mirror.txt"))["lib"] == "0.9"  # the mirror's 1.0 lacks it
    finally:
        mirror.stop()

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"app": "1.0", "lib": "1.0"}  # this index's 1.0 has it


@pytest.mark.parametrize("honest", [True, False])
def test_a_whole_download_that_is_not_the_advertised_file_leaves_no_facts(
    project: Project, capsys, tmp_path, honest: bool
) -> None:
    """Range reads cannot check a file's hash; a whole download (a wheel most of whose
    modules are read) can: when it is not the file its index advertised, nothing mined
    from it stays in the symbol database."""
    import sqlite3

    modules = {f"app/m{i}.py": "import os\n" for i in range(80)}
    modules["app/__init__.py"] = "".join(f"from app import m{i}\n" for i in range(80))
    wheel = project.wheel("app", "1.0", files=modules)
    if not honest:
        project.index.files[wheel.name].__dict__["sha256"] = "0" * 64
    project.write("requirements.in", "app\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 0, err
    db = sqlite3.connect(tmp_path / "cache" / "symbols.sqlite")
    scans = db.execute("SELECT count(*) FROM scans WHERE name = 'app'").fetchone()[0]
    assert (scans > 0) == honest


@pytest.mark.parametrize("shipped", ["tests/test_app.py", "test_app.py", "tests/__init__.py"])
def test_a_wheels_own_tests_are_not_import_roots(project: Project, capsys, shipped) -> None:
    """A top-level module a wheel ships for its own tests is not imported by anyone who
    uses the distribution: its uses are reported, not enforced."""
    project.wheel("lib", "1.0", files={"lib/__init__.py": "def kept(): pass\ndef gone(): pass\n"})
    project.wheel("lib", "2.0", files={"lib/__init__.py": "def kept(): pass\n"})
    files = {"app/__init__.py": "from lib import kept\n", shipped: "from lib import gone\n"}
    project.wheel("app", "1.0", requires=["lib"], files=files)
    project.write("requirements.in", "app\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"app": "1.0", "lib": "2.0"}, "not held back for a test"


def test_a_shared_namespace_package_does_not_make_its_other_parts_missing(
    project: Project, capsys
) -> None:
    """protobuf ships `google/protobuf/`, not `google/cloud/`: `import google.cloud` in
    a release is another distribution's business, and no reason to hold it back."""
    project.wheel("proto", "1.0", files={"google/protobuf/__init__.py": "X = 1\n"})
    for version, code in (("1.0", "import google.protobuf\n"), ("2.0", "import google.cloud\n")):
        project.wheel("app", version, requires=["proto"], files={"app/__init__.py": code})
    project.write("requirements.in", "app\n")

    code, _, err = project.lock("-v", "requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"app": "2.0", "proto": "1.0"}
    assert "google.cloud" not in err + project.read(), "no warning, no annotation"


def test_a_trimmed_snapshot_gives_its_tables_and_keeps_its_partial_uses_out(
    project: Project, capsys, tmp_path
) -> None:
    """build_snapshot keeps the uses a default lock enforces only; merged as if complete,
    they would hide the lazy uses `--lazy enforce` reads, so `db import` leaves them out."""
    web_stack(project)
    project.write("requirements.in", "app\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    trimmed = tmp_path / "trimmed.sqlite"
    assert main(["db", "export", str(trimmed)]) == 0
    with sqlite3.connect(trimmed) as db:
        db.execute("INSERT INTO meta VALUES ('trimmed', '1')")
        layouts = db.execute("SELECT COUNT(*) FROM layouts").fetchone()[0]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SYMRES_CACHE_DIR", str(tmp_path / "other-cache"))
        assert main(["db", "import", str(trimmed)]) == 0
        said = capsys.readouterr().err
        assert "imported: uses 0" in said and "its uses were left out" in said
        assert main(["db", "stats", "--json"]) == 0
        stats = json.loads(capsys.readouterr().out)
        with sqlite3.connect(symbols_db_path()) as db:
            assert db.execute("SELECT COUNT(*) FROM layouts").fetchone()[0] == layouts > 0
    assert stats["user"]["targets"].get("3.11-linux", {"uses": 0})["uses"] == 0


def test_db_export_to_a_folder_that_is_not_there_is_one_line(project: Project, capsys, tmp_path):
    assert main(["db", "stats"]) == 0
    capsys.readouterr()
    assert main(["db", "export", str(tmp_path / "nowhere" / "x.sqlite")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nowhere" in err and "Traceback" not in err, err
