"""`symres check`: the lock against its inputs and the known symbol facts, offline."""

from __future__ import annotations

import json

import pytest

from symres.cli import main
from tests.conftest import Project
from tests.test_lock_symbols import web_stack


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["check", *args])
    return code, capsys.readouterr().err


def locked(project: Project, capsys, text: str = "app\n", *args: str) -> None:
    web_stack(project)
    project.write("requirements.in", text)
    code, _, err = project.lock(*args, "requirements.in", capsys=capsys)
    assert code == 0, err


def test_a_fresh_lock_passes(project: Project, capsys) -> None:
    locked(project, capsys)

    code, err = check(capsys)

    assert code == 0, err
    assert "requirements.txt: 2 pins match requirements.in; no known symbol breaks" in err


def test_a_changed_requirement_is_named_with_its_line(project: Project, capsys) -> None:
    locked(project, capsys)
    project.write("requirements.in", "# pinned\napp\nlib>=3\nother\n")

    code, err = check(capsys, "requirements.in")

    assert code == 1
    assert "requirements.txt: requirements.in:3 requires `lib>=3`; the lock pins lib==2.0" in err
    assert "requirements.txt: requirements.in:4 requires `other`; the lock has no other" in err
    assert "2 problems; fix the inputs or run `symres lock requirements.in`" in err


def test_a_pin_nothing_needs_any_more_is_named(project: Project, capsys) -> None:
    project.wheel("extra", "1.0", files={"extra/__init__.py": ""})
    locked(project, capsys, "app\nextra\n")
    project.write("requirements.in", "app\n")

    code, err = check(capsys)

    assert code == 1
    assert "the lock pins extra==1.0 (via -r requirements.in), but nothing the inputs" in err


def test_constraints_and_markers(project: Project, capsys) -> None:
    locked(project, capsys)
    project.write("constraints.txt", "lib<2\n")
    project.write(
        "requirements.in",
        "-c constraints.txt\napp\nnotforthis ; python_version < '3.0'\n",
    )

    code, err = check(capsys)

    assert code == 1
    assert "constraints.txt:1 constrains `lib<2`; the lock pins lib==2.0" in err
    assert "notforthis" not in err


def test_a_known_symbol_break_is_refused_offline(project: Project, capsys) -> None:
    locked(project, capsys)  # mines app's uses and lib's verdicts into the database
    locked(project, capsys, "app\n", "--symbols", "off", "--upgrade")  # lib 3.1, as pip-compile

    code, err = check(capsys)

    assert code == 1
    assert (
        "requirements.txt: app 1.0 imports `quote` from `lib.urls` (app/__init__.py:1); "
        "lib 3.1 has no `quote` in `lib.urls`"
    ) in err


def test_a_release_the_bisection_visited_is_judged_offline(project: Project, capsys) -> None:
    """Locking `app` tried lib 3.1, then bisected over lib's releases down to 2.0; lib 3.0
    was asked only for `quote`, and that is enough to refuse a lock pinning it."""
    locked(project, capsys)
    locked(project, capsys, "app\nlib==3.0\n", "--symbols", "off")

    code, err = check(capsys)

    assert code == 1
    assert "app 1.0 imports `quote` from `lib.urls` (app/__init__.py:1); lib 3.0 has no" in err


def test_offline_says_what_it_could_not_check_and_online_mines_it(project: Project, capsys) -> None:
    locked(project, capsys, "app\n", "--symbols", "off", "--no-cache")  # nothing mined

    code, err = check(capsys)
    assert code == 0
    assert "2 releases with facts missing from the symbol database (app 1.0, lib 3.1)" in err
    assert "`--online` mines them" in err

    code, err = check(capsys, "--online", "--index-url", project.index.url)
    assert code == 1
    assert "app 1.0 imports `quote` from `lib.urls`" in err


def test_the_projects_own_code(project: Project, capsys) -> None:
    locked(project, capsys)
    src = project.root / "src" / "mine"
    src.mkdir(parents=True)
    (src / "__init__.py").write_text("from lib.urls import unquote\n")

    code, err = check(capsys, "--src", "src")  # nobody asked lib 2.0 for `unquote` yet
    assert code == 0
    assert "1 release with facts missing from the symbol database (lib 2.0)" in err

    code, err = check(capsys, "--src", "src", "--online", "--index-url", project.index.url)
    assert code == 1
    assert "your code imports `unquote` from `lib.urls` (src/mine/__init__.py:1)" in err

    code, err = check(capsys, "--src", "src")  # now the database knows
    assert code == 1


def test_json_and_pylock(project: Project, capsys) -> None:
    locked(project, capsys, "app\n", "--format", "pylock")

    capsys.readouterr()
    code = main(["check", "--json"])
    report = json.loads(capsys.readouterr().out)

    assert code == 0
    assert report["lock"] == "pylock.toml" and report["ok"] is True and report["pins"] == 2


def test_no_lock_is_a_usage_error(project: Project, capsys) -> None:
    project.write("requirements.in", "app\n")

    code, err = check(capsys)

    assert code == 2
    assert "error: no lock to check: `requirements.txt` does not exist" in err
    assert "hint: pass `--lock FILE`, or write the lock with `symres lock`" in err


def test_lock_reads_requirements_in_by_default(project: Project, capsys) -> None:
    locked(project, capsys)
    first = project.read()

    capsys.readouterr()
    assert main(["lock", "-q", "--index-url", project.index.url]) == 0

    assert project.read() == first
    assert "#    symres lock requirements.in\n" in first


def test_the_shipped_snapshot_refuses_the_classic_trap_offline(
    tmp_path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No index, an empty user database: the snapshot alone knows that flask 2.2.2
    imports url_quote and that werkzeug 3.0.0 lacks it."""
    monkeypatch.delenv("SYMRES_NO_SNAPSHOT")
    lock = tmp_path / "requirements.txt"
    lock.write_text(
        "flask==2.2.2\nwerkzeug==3.0.0\njinja2==3.1.6\nmarkupsafe==3.0.3\n"
        "itsdangerous==2.2.0\nclick==8.1.8\n"
    )

    code, err = check(
        capsys,
        "--lock",
        str(lock),
        "--python-version",
        "3.11",
        "--platform",
        "manylinux_2_28_x86_64",
    )

    assert code == 1
    assert (
        "flask 2.2.2 imports `url_quote` from `werkzeug.urls` (flask/app.py:30); "
        "werkzeug 3.0.0 has no `url_quote` in `werkzeug.urls`"
    ) in err


@pytest.mark.parametrize("hooks_known", [True, False], ids=["hooks-known", "hooks-not-read"])
def test_a_stdlib_miss_offline_waits_for_the_pins_pth_hooks(
    project: Project, capsys, tmp_path, hooks_known: bool
) -> None:
    """A module the stdlib dropped (distutils, 3.12) may be served by a pin's `.pth`
    hook: offline, with the pins' hooks unread, `check` cannot call it missing."""
    import os
    import sqlite3

    project.wheel("hack", "1.0", files={"_hack/__init__.py": ""})
    project.wheel(
        "old", "2.0", requires=["hack"], files={"old/__init__.py": "import distutils.version\n"}
    )
    project.write("requirements.in", "old\n")
    code, _, err = project.lock(
        "--python-version", "3.12", "--symbols", "warn", "requirements.in", capsys=capsys
    )
    assert code == 0, err  # mined online: uses and the pins' hooks (none)
    if not hooks_known:  # as a database that holds the uses but not the hooks
        db = sqlite3.connect(os.path.join(os.environ["SYMRES_CACHE_DIR"], "symbols.sqlite"))
        with db:
            db.execute("DELETE FROM verdicts WHERE module = '.pth'")
        db.close()

    code, err = check(capsys)

    if hooks_known:
        assert code == 1, err
        assert "`distutils.version` is not in the Python 3.12 stdlib" in err
    else:
        assert code == 0, err
        assert "not in the Python 3.12 stdlib" not in err
