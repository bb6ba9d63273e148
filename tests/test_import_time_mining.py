"""A default lock reads a release only as far as `import` reaches; the rest is read when
a command needs it (`--lazy enforce`, `db mine`), and replaces the partial facts."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from symres.cli import main
from symres.symbols.consumer import read_uses
from tests.conftest import Project
from tests.test_symbols import release


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
    assert "may not run at import" not in err  # its break was never looked for
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
    # a default lock reads as much as before, whatever the cache holds: the same report
    code, _, err = project.lock("requirements.in", "--upgrade", capsys=capsys)
    assert code == 0, err
    assert "lib==2.0" in project.read()
    assert "may not run at import" not in err, err


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
    project: Project, capsys, tmp_path: Path
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


SHAPES = {
    "pkg/__init__.py": "from . import core\nfrom .sub import deep as d\nimport other\n",
    "pkg/core.py": "import pkg.sub.leaf as leaf\nfrom other import a\n",
    "pkg/sub/__init__.py": "",
    "pkg/sub/deep.py": "from ..core import leaf\nfrom other import b\n",
    "pkg/sub/leaf.py": "try:\n    from other import c\nexcept ImportError:\n    c = None\n",
    "pkg/lazy.py": "def f():\n    from other import never\n",
    "pkg/cli.py": "from other import cli_only\n",  # an entry point
    "pkg/unused.py": "from other import nobody\n",
    "tests/test_pkg.py": "from other import fixture\n",  # the wheel's own tests
}


def _facts(uses) -> set[tuple]:  # type: ignore[no-untyped-def]
    return {(u.consumer_module, u.module, u.name, u.guard, u.line, u.reachable) for u in uses}


def test_both_reads_find_the_same_facts_for_what_import_reaches(tmp_path: Path) -> None:
    files = {
        **SHAPES,
        "pkg-1.0.dist-info/entry_points.txt": "[console_scripts]\nx = pkg.cli:main\n",
    }
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    whole = read_uses(release(tmp_path / "a", "pkg", "1.0", files))
    partial = read_uses(release(tmp_path / "b", "pkg", "1.0", files), import_time=True)
    reached = {u for u in _facts(whole.uses) if u[-1]}
    assert _facts(partial.uses) == reached
    names = {u[2] for u in reached}
    assert names == {"a", "b", "c", "cli_only", None}  # `import other` has no name
    assert partial.files == 6  # every module but lazy.py's, unused.py's and the tests'
    assert whole.files == 9


def test_a_namespace_distribution_is_read_from_its_packages(tmp_path: Path) -> None:
    """google-cloud-*, azure-*: no top-level module, their packages are where import starts."""
    files = {
        "ns/plugin/__init__.py": "from ns.plugin import impl\n",
        "ns/plugin/impl.py": "from other import needed\n",
        "ns_plugin/__init__.py": None,  # the builder's own
    }
    uses = read_uses(release(tmp_path, "ns-plugin", "1.0", files), import_time=True).uses
    assert [(u.name, u.reachable) for u in uses] == [("needed", True)]


def test_importing_a_partial_scan_over_a_complete_one_keeps_every_use(
    project: Project, capsys, tmp_path: Path
) -> None:
    stack(project)
    cache = tmp_path / "cache" / "symbols.sqlite"
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    assert main(["db", "export", str(tmp_path / "partial.sqlite")]) == 0
    cache.unlink()
    assert project.lock("requirements.in", "--lazy", "enforce", capsys=capsys)[0] == 0
    assert main(["db", "export", str(tmp_path / "whole.sqlite")]) == 0
    for other in ("partial", "whole", "partial"):
        assert main(["db", "import", str(tmp_path / f"{other}.sqlite")]) == 0
        assert scans(tmp_path) == [("uses", 3)]
        assert app_uses(tmp_path) == [("app", "ok"), ("app.core", "ok"), ("app.plugins", "gone")]
