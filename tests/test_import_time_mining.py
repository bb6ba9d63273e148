"""A default lock reads a release only as far as `import` reaches; the rest is read when
a command needs it (`--lazy enforce`, `db mine`), and replaces the partial facts."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from symres.cli import main
from tests.conftest import Project


def stack(project: Project) -> None:
    project.wheel("lib", "1.0", files={"lib/__init__.py": "ok = 1\ngone = 2\n"})
    project.wheel("lib", "2.0", files={"lib/__init__.py": "ok = 1\n"})
    project.wheel(
        "app",
        "1.0",
        requires=["lib"],
        files={
            "app/__init__.py": "from lib import ok\nfrom app import core\n",
            "app/core.py": "import lib\nlib.ok\n",
            # nothing imports it: a plugin a user loads by hand
            "app/plugins.py": "from lib import gone\n",
        },
    )
    project.write("requirements.in", "app\n")


def scans(tmp_path: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(tmp_path / "cache" / "symbols.sqlite") as db:
        return db.execute("SELECT kind, files FROM scans WHERE name='app'").fetchall()


def app_uses(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "cache" / "symbols.sqlite") as db:
        query = "SELECT consumer_module, symbol FROM uses WHERE name='app' AND symbol NOT NULL"
        return sorted(db.execute(query).fetchall())


def test_a_default_lock_never_opens_what_import_does_not_reach(
    project: Project, capsys, tmp_path: Path
) -> None:
    stack(project)
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err
    assert "lib==2.0" in project.read()
    assert "plugins" not in err  # its break was never looked for
    assert scans(tmp_path) == [("uses-import", 2)]  # __init__ and core, not plugins
    assert app_uses(tmp_path) == [("app", "ok"), ("app.core", "ok")]


def test_lazy_enforce_after_a_default_lock_reads_the_rest(
    project: Project, capsys, tmp_path: Path
) -> None:
    """The import-time facts do not pass for all of them: the unreachable module's use
    is found, and enforced, on the same cache."""
    stack(project)
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    code, _, err = project.lock("requirements.in", "--lazy", "enforce", capsys=capsys)
    assert code == 0, err
    assert "lib==1.0" in project.read()
    assert "app/plugins.py:1" in err
    assert scans(tmp_path) == [("uses", 3)]
    # the complete scan replaced the partial one: no use stored twice
    assert app_uses(tmp_path) == [("app", "ok"), ("app.core", "ok"), ("app.plugins", "gone")]


def test_db_mine_after_a_default_lock_holds_each_use_once(
    project: Project, capsys, tmp_path: Path
) -> None:
    stack(project)
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    capsys.readouterr()
    code = main(["db", "mine", "app==1.0", "--index-url", project.index.url, "--json"])
    assert code == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["mined"] == 1
    assert scans(tmp_path) == [("uses", 3)]
    assert app_uses(tmp_path) == [("app", "ok"), ("app.core", "ok"), ("app.plugins", "gone")]


def test_an_import_time_scan_in_a_team_snapshot_is_used_and_a_complete_one_replaces_it(
    project: Project, capsys, tmp_path: Path, monkeypatch
) -> None:
    """`db import` of a complete database over a user database that read the release
    only as far as import: the complete uses replace the partial ones."""
    stack(project)
    assert project.lock("requirements.in", "--lazy", "enforce", capsys=capsys)[0] == 0
    assert main(["db", "export", str(tmp_path / "whole.sqlite")]) == 0
    (tmp_path / "cache" / "symbols.sqlite").unlink()
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    assert scans(tmp_path) == [("uses-import", 2)]
    assert main(["db", "import", str(tmp_path / "whole.sqlite")]) == 0
    assert scans(tmp_path) == [("uses", 3)]
    assert app_uses(tmp_path) == [("app", "ok"), ("app.core", "ok"), ("app.plugins", "gone")]
