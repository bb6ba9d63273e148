"""`symres db mine`: many releases mined by worker processes, merged by one writer,
against the local test index; resumable, and the same database whatever the workers."""

from __future__ import annotations

import json
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from symres.cli import main
from symres.symbols import mining
from tests.conftest import Project


def stack(project: Project) -> None:
    for version in ("1.0", "2.0", "3.0"):
        project.wheel(
            "app",
            version,
            requires=["lib"],
            files={"app/__init__.py": f"from lib import v{version[0]}\nimport json\n"},
        )
        project.wheel("lib", version, files={"lib/__init__.py": f"v{version[0]} = 1\n"})


def mine(project: Project, capsys, *args: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["db", "mine", *args, "--index-url", project.index.url, "--json"])
    out, err = capsys.readouterr()
    assert out.strip(), err
    return code, json.loads(out)


def facts(cache: Path) -> dict[str, list[tuple]]:
    """What the user database holds, its timestamps aside."""
    db = sqlite3.connect(cache / "symbols.sqlite")
    out = {
        "scans": sorted(r[:7] for r in db.execute("SELECT * FROM scans")),
        "uses": sorted(db.execute("SELECT * FROM uses")),
        "layouts": sorted(db.execute("SELECT * FROM layouts")),
        "file_uses": sorted(db.execute("SELECT * FROM file_uses")),
        "provenance": sorted(r[:5] for r in db.execute("SELECT * FROM provenance")),
    }
    db.close()
    return out


def test_processes_and_threads_build_the_same_database(
    project: Project, capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack(project)
    built = {}
    for kind in ("processes", "threads"):
        cache = tmp_path / f"cache-{kind}"
        monkeypatch.setenv("SYMRES_CACHE_DIR", str(cache))
        code, report = mine(
            project, capsys, "app", "lib", "--releases", "3", "--workers", "2", "--pool", kind
        )
        assert code == 0, report
        assert (report["mined"], report["already_held"], report["failed"]) == (6, 0, [])
        built[kind] = facts(cache)
    assert built["processes"] == built["threads"]
    uses = {(r[0], r[1], r[3], r[4]) for r in built["processes"]["uses"]}
    assert ("app", "2.0", "lib", "v2") in uses
    assert len(built["processes"]["scans"]) == 6


@pytest.mark.dask
def test_a_dask_local_cluster_builds_the_database_a_local_run_builds(
    project: Project, capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same tasks sent to a real LocalCluster (2 worker processes) instead of the
    local pool: the client is the one writer, and the database is the same."""
    pytest.importorskip("distributed")
    stack(project)
    built = {}
    for how in (("--workers", "2"), ("--workers", "2", "--scheduler", "local")):
        cache = tmp_path / f"cache-{len(how)}"
        monkeypatch.setenv("SYMRES_CACHE_DIR", str(cache))
        code, report = mine(project, capsys, "app", "lib", "--releases", "3", *how)
        assert code == 0, report
        assert (report["mined"], report["failed"]) == (6, [])
        built[report["pool"]] = facts(cache) | {"exports": _exports(cache)}
    assert list(built) == ["processes", "Dask LocalCluster processes"]
    assert built["processes"] == built["Dask LocalCluster processes"]
    assert len(built["processes"]["exports"]) == 6


def test_an_unreachable_scheduler_is_one_line(project: Project, capsys) -> None:
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    stack(project)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        url = project.index.url
        code = main(["db", "mine", "app", "--index-url", url, "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2
    assert "error: no Dask scheduler answers at tcp://127.0.0.1:9" in err
    assert "Traceback" not in err


def _exports(cache: Path) -> list[tuple]:
    db = sqlite3.connect(cache / "symbols.sqlite")
    rows = sorted(db.execute("SELECT * FROM exports"))
    db.close()
    return rows


def test_a_second_run_goes_on_from_where_the_first_stopped(project: Project, capsys) -> None:
    stack(project)
    code, first = mine(project, capsys, "app", "--releases", "1")
    assert (code, first["mined"]) == (0, 1)

    code, again = mine(project, capsys, "app", "lib", "--releases", "2", "--workers", "2")

    assert code == 0
    assert (again["mined"], again["already_held"]) == (3, 1)


def test_merging_the_same_release_twice_changes_nothing(project: Project, capsys, tmp_path) -> None:
    from symres.db.store import SymbolDB
    from symres.index.config import IndexOptions
    from symres.symbols.mining import MineTask
    from symres.symbols.mining import mine as mine_one
    from symres.target import make_target

    stack(project)
    python = make_target(None, None).python_version
    done = mine_one(MineTask("app", "1.0", python, None, IndexOptions(index_url=project.index.url)))
    assert done.error is None, done.error
    db = SymbolDB(tmp_path / "cache" / "symbols.sqlite", snapshot=False)
    db.merge_rows(done.rows)
    once = facts(tmp_path / "cache")
    db.merge_rows(done.rows)
    db.close()
    assert facts(tmp_path / "cache") == once
    assert [(r[3], r[4]) for r in once["uses"]] == [("json", None), ("lib", "v1")]


def test_a_locks_pins_and_a_requirements_files_names(project: Project, capsys) -> None:
    stack(project)
    project.write("requirements.txt", "app==2.0\nlib==1.0\n")
    project.write("requirements.in", "lib<3\n")

    code, report = mine(project, capsys, "-r", "requirements.txt", "-r", "requirements.in")

    assert code == 0, report
    # the pins, and the newest lib the requirement allows (2.0)
    assert report["mined"] == 3


def test_what_cannot_be_mined_is_named_and_the_rest_is_kept(project: Project, capsys) -> None:
    stack(project)

    code, report = mine(project, capsys, "app", "nosuchproject", "lib==9.9")

    assert code == 1
    assert report["unknown_projects"] == ["nosuchproject"]
    assert [(f["name"], f["version"]) for f in report["failed"]] == [("lib", "9.9")]
    assert "no release 9.9" in report["failed"][0]["error"]
    assert report["mined"] == 1


def test_the_summary_for_a_person_is_one_line_per_fact(project: Project, capsys) -> None:
    stack(project)
    capsys.readouterr()
    code = main(["db", "mine", "app", "--index-url", project.index.url, "--workers", "1"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert out.startswith("mined 1 releases (1 files) in ")
    assert "with 1 processes; 0 already in the database" in out


def test_a_bad_releases_option_is_one_line(project: Project, capsys) -> None:
    capsys.readouterr()
    code = main(["db", "mine", "app", "--releases", "newest", "--index-url", project.index.url])
    _, err = capsys.readouterr()
    assert code == 2
    assert "--releases 'newest' is neither a count nor a specifier" in err
    assert "Traceback" not in err


def test_two_targets_are_mined_each(project: Project, capsys, tmp_path: Path) -> None:
    stack(project)

    code, report = mine(
        project, capsys, "lib==1.0", "--python-version", "3.10", "--python-version", "3.11"
    )

    assert (code, report["mined"]) == (0, 2)
    targets = sorted(r[3] for r in facts(tmp_path / "cache")["scans"])
    assert [t.split("-")[0] for t in targets] == ["3.10", "3.11"]
    # a pure-Python wheel's exports are the same for both: one document, kept once
    tables = _exports(tmp_path / "cache")
    assert len(tables) == 2 and tables[0][3] == tables[1][3]
    with sqlite3.connect(tmp_path / "cache" / "symbols.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM export_docs").fetchone()[0] == 1


def test_releases_whose_exports_did_not_change_share_one_document(
    project: Project, capsys, tmp_path: Path
) -> None:
    for version, body in (("1.0", "a = 1\n"), ("1.1", "a = 2\n"), ("2.0", "b = 1\n")):
        project.wheel("lib", version, files={"lib/__init__.py": body})
    code, report = mine(project, capsys, "lib", "--releases", "3")
    assert (code, report["mined"]) == (0, 3)
    digests = {r[1]: r[3] for r in _exports(tmp_path / "cache")}
    assert digests["1.0"] == digests["1.1"] != digests["2.0"]


def test_the_top_projects_list_is_read(project: Project, capsys) -> None:
    from importlib import resources

    listed = resources.files("symres.data").joinpath("top-projects.txt").read_text()
    names = [n for n in listed.splitlines() if n and not n.startswith("#")]
    assert len(names) >= 150 and len(set(names)) == len(names)

    code, report = mine(project, capsys, "--top", "3", "--platform", "manylinux_2_28_x86_64")

    assert code == 1  # the test index has none of them
    assert report["unknown_projects"] == sorted(names[:3])


def test_a_mined_database_judges_names_nobody_asked_offline(
    project: Project, capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A team mines its stack into a database and ships it as the snapshot; a fresh
    machine (empty user cache, no index) checks code importing names no lock asked."""
    from tests.test_check import check
    from tests.test_lock_symbols import web_stack

    web_stack(project)
    code, report = mine(project, capsys, "app", "lib", "--releases", "4")
    assert code == 0 and report["mined"] == 5, report
    snapshot = tmp_path / "team.sqlite"
    code = main(["db", "export", str(snapshot)])
    assert code == 0
    monkeypatch.setenv("SYMRES_CACHE_DIR", str(tmp_path / "fresh"))
    monkeypatch.delenv("SYMRES_NO_SNAPSHOT")
    monkeypatch.setenv("SYMRES_SNAPSHOT", str(snapshot))
    project.write("requirements.txt", "app==1.0\nlib==3.1\n")
    src = project.root / "src" / "mine"
    src.mkdir(parents=True)
    (src / "__init__.py").write_text("from lib.urls import unquote, nothing\nimport lib.gone\n")

    code, err = check(capsys, "--lock", "requirements.txt", "--src", "src")

    assert code == 1, err
    assert "your code imports `nothing` from `lib.urls` (src/mine/__init__.py:1)" in err
    assert "lib 3.1 has no module `lib.gone`" in err
    assert "app 1.0 imports `quote` from `lib.urls`" in err
    assert "`unquote`" not in err
    assert "missing from the symbol database" not in err


def test_since_mines_the_releases_uploaded_from_that_date(project: Project, capsys) -> None:
    for version, day in (("1.0", "2023-01-05"), ("2.0", "2024-06-01"), ("3.0", "2025-02-01")):
        project.wheel(
            "lib", version, files={"lib/__init__.py": "x = 1\n"}, uploaded=f"{day}T00:00:00Z"
        )
    project.wheel("undated", "1.0", files={"undated/__init__.py": ""})

    code, report = mine(project, capsys, "lib", "undated", "--since", "2024-01-01")

    assert (code, report["mined"], report["failed"]) == (0, 2, [])
    code, again = mine(project, capsys, "lib", "--since", "2024-01-01", "--releases", "1")
    assert (code, again["mined"], again["already_held"]) == (0, 0, 1)
    capsys.readouterr()
    assert main(["db", "mine", "lib", "--since", "last week"]) == 2
    assert "`--since last week` is neither a date" in capsys.readouterr().err


@pytest.mark.parametrize("address", ["foo", "tcp://127.0.0.1", "tls://127.0.0.1", "tcp://h:port"])
def test_a_malformed_scheduler_address_is_one_line(project: Project, capsys, address: str) -> None:
    pytest.importorskip("distributed")
    stack(project)
    code = main(["db", "mine", "app", "--index-url", project.index.url, "--scheduler", address])
    err = capsys.readouterr().err
    assert code == 2
    assert f"error: --scheduler {address}: not a Dask address" in err
    assert "Traceback" not in err


class _Dying(ThreadPoolExecutor):
    """A pool whose workers die under every task, as a killed process pool's do."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        future: Future = Future()
        future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
        return future


def test_a_lost_worker_fails_its_releases_and_not_the_run(
    project: Project, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack(project)
    monkeypatch.setattr(mining, "pool", lambda kind, workers: _Dying(max_workers=1))
    code, report = mine(project, capsys, "app", "lib")
    assert code == 1
    assert report["mined"] == 0
    assert sorted(f["name"] for f in report["failed"]) == ["app", "lib"]
    assert all("worker lost: BrokenProcessPool" in f["error"] for f in report["failed"])


def test_facts_the_database_drops_are_dropped_from_what_the_oracle_read(
    project: Project, capsys, tmp_path: Path
) -> None:
    """An oracle that read a release's stored tables and then learns its facts are bad
    (another file behind the name, an unreadable archive) answers from them no more."""
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    from symres.cache import symbols_db_path
    from symres.db.store import SymbolDB
    from symres.symbols.oracle import SymbolOracle, facts_of
    from symres.target import make_target

    stack(project)
    assert mine(project, capsys, "lib", "--releases", "1")[0] == 0
    db = SymbolDB(symbols_db_path(), snapshot=False)
    oracle = SymbolOracle(None, db, facts_of(make_target("3.11", None)))
    lib, v3 = canonicalize_name("lib"), Version("3.0")
    assert oracle.verdict(lib, v3, "lib", "v3").status == "present"
    assert oracle.verdict(lib, v3, "lib", "v9").status == "missing"
    oracle._forget_facts(lib, v3)
    assert oracle.verdict(lib, v3, "lib", "v9").status == "unknown"
    db.close()


def test_the_newest_release_of_every_project_is_mined_first(
    project: Project, capsys, tmp_path: Path
) -> None:
    """A build stopped early (or a budget spent) has covered what is installed most."""
    stack(project)
    args = ("app", "lib", "--releases", "3", "--workers", "1", "--pool", "threads")
    assert mine(project, capsys, *args)[0] == 0
    with sqlite3.connect(tmp_path / "cache" / "symbols.sqlite") as db:
        order = [r for r in db.execute("SELECT name, version FROM scans ORDER BY scanned_at")]
    assert order == [(n, v) for v in ("3.0", "2.0", "1.0") for n in ("app", "lib")]


def test_the_biggest_release_of_a_round_goes_first(
    project: Project, capsys, tmp_path: Path
) -> None:
    """No long release is left running alone at the end of a pool's work."""
    stack(project)
    noise = "".join(f"n{i} = {i * 7919 % 104729}\n" for i in range(3000))
    for version in ("1.0", "2.0"):
        project.wheel("big", version, files={"big/__init__.py": noise})
    args = ("lib", "big", "--releases", "2", "--workers", "1", "--pool", "threads")
    assert mine(project, capsys, *args)[0] == 0
    with sqlite3.connect(tmp_path / "cache" / "symbols.sqlite") as db:
        order = [r for r in db.execute("SELECT name, version FROM scans ORDER BY scanned_at")]
    assert order == [("big", "2.0"), ("lib", "3.0"), ("big", "1.0"), ("lib", "2.0")]
