"""pip-compile's and `uv pip compile`'s command lines, as migrating users bring them: one
test per row of the README's table ("Coming from pip-compile or uv")."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from symres.cli import main
from symres.cli.lock_args import NO_EFFECT, ONE_VALUE, REFUSED
from tests.builders import build_wheel, sha256
from tests.conftest import Project
from tests.test_lock import pins

README = Path(__file__).resolve().parent.parent / "README.md"


def _without_command(text: str) -> str:
    return re.sub(r"^#    symres lock .*$", "", text, flags=re.MULTILINE)


@pytest.fixture
def app(project: Project) -> Project:
    project.wheel("app", "1.0", requires=["lib>=1", "util"])
    project.wheel("lib", "1.0", requires=["util"])
    project.wheel("lib", "2.0", requires=["util"])
    project.wheel("util", "1.0")
    project.write("requirements.in", "app\n")
    return project


# -- options of pip-compile and uv with the same meaning in symres ---------------------------


def test_no_option_is_taken_by_a_prefix_of_it(app: Project, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["lock", "--index-u", app.index.url, "requirements.in"])
    assert exc.value.code == 2
    assert "unrecognized arguments: --index-u" in capsys.readouterr().err
    assert not (app.root / "requirements.txt").exists()


def test_output_dash_writes_the_lock_to_stdout(app: Project, capsys) -> None:
    code, out, err = app.lock("-o", "-", "requirements.in", capsys=capsys)
    assert code == 0, err
    assert pins(out) == {"app": "1.0", "lib": "2.0", "util": "1.0"}
    assert "#    symres lock --output-file=- requirements.in" in out
    assert not (app.root / "-").exists() and not (app.root / "requirements.txt").exists()


def test_dry_run_short_flag(app: Project, capsys) -> None:
    code, out, _ = app.lock("-n", "requirements.in", capsys=capsys)
    assert code == 0 and "app==1.0" in out
    assert not (app.root / "requirements.txt").exists()


def test_no_header_starts_with_the_index_then_the_pins(app: Project, capsys) -> None:
    assert app.lock("--no-header", "requirements.in", capsys=capsys)[0] == 0
    text = app.read()
    assert not text.startswith("#")
    assert text.startswith(f"--index-url {app.index.url}\n\napp==1.0 \\\n")

    assert app.lock("--no-header", "--no-emit-index-url", "requirements.in", capsys=capsys)[0] == 0
    assert app.read().startswith("app==1.0 \\\n")


def test_header_has_no_blank_line_when_no_index_is_written(app: Project, capsys) -> None:
    assert app.lock("--no-emit-index-url", "requirements.in", capsys=capsys)[0] == 0
    assert "#    symres lock requirements.in\n#\napp==1.0 \\\n" in app.read()


def test_annotation_options(app: Project, capsys) -> None:
    assert app.lock("--no-annotate", "requirements.in", capsys=capsys)[0] == 0
    assert "# via" not in app.read()
    assert pins(app.read()) == {"app": "1.0", "lib": "2.0", "util": "1.0"}

    assert app.lock("--annotation-style", "line", "requirements.in", capsys=capsys)[0] == 0
    text = app.read()
    assert "\n    # via app, lib\n" in text
    assert "\n    # via -r requirements.in\n" in text
    assert "    #   " not in text


def test_custom_compile_command_is_the_header_command(app: Project, capsys) -> None:
    code, _, err = app.lock(
        "--custom-compile-command", "make requirements.txt", "requirements.in", capsys=capsys
    )
    assert code == 0, err
    assert "#    make requirements.txt\n" in app.read()
    assert app.lock("--check", "requirements.in", capsys=capsys)[0] == 0


def test_no_emit_package_resolves_it_and_leaves_it_out(app: Project, capsys) -> None:
    assert app.lock("--no-emit-package", "util", "requirements.in", capsys=capsys)[0] == 0
    assert pins(app.read()) == {"app": "1.0", "lib": "2.0"}
    assert "--no-emit-package util" in app.read()


def test_constraint_file_on_the_command_line(app: Project, capsys) -> None:
    app.write("constraints.txt", "lib<2\n")
    for flag in ("-c", "--constraint", "--constraints"):
        assert app.lock(flag, "constraints.txt", "requirements.in", capsys=capsys)[0] == 0
        text = app.read()
        assert pins(text)["lib"] == "1.0"
        assert "    # via\n    #   -c constraints.txt\n    #   app\n" in text
    code, _, err = app.lock("-c", "missing.txt", "requirements.in", capsys=capsys)
    assert code == 2 and "no such file `missing.txt`" in err


def test_all_extras_of_a_pyproject(project: Project, capsys) -> None:
    project.wheel("base", "1.0")
    project.wheel("docs-tool", "1.0")
    project.wheel("test-tool", "1.0")
    project.write(
        "pyproject.toml",
        '[project]\nname = "me"\nversion = "0"\ndependencies = ["base"]\n'
        '[project.optional-dependencies]\ndocs = ["docs-tool"]\ntest = ["test-tool"]\n',
    )
    assert project.lock("--all-extras", "pyproject.toml", capsys=capsys)[0] == 0
    assert set(pins(project.read())) == {"base", "docs-tool", "test-tool"}
    project.write("requirements.in", "base\n")
    code, _, err = project.lock("--all-extras", "requirements.in", capsys=capsys)
    assert code == 2 and "`--all-extras` applies to pyproject.toml" in err


def test_python_platform_as_uv_spells_it(project: Project, capsys) -> None:
    project.wheel("native", "1.0", tag="cp311-cp311-manylinux_2_28_x86_64")
    project.wheel("native", "2.0", tag="cp311-cp311-manylinux_2_34_x86_64")
    project.write("requirements.in", "native\n")
    for value in ("x86_64-manylinux_2_28", "linux", "x86_64-unknown-linux-gnu"):
        args = ("--python-version", "3.11", "--python-platform", value, "requirements.in")
        code, _, err = project.lock(*args, capsys=capsys)
        assert code == 0, err
        assert pins(project.read()) == {"native": "1.0"}
    code, _, err = project.lock(
        "--python-platform",
        "x86_64-manylinux_2_34",
        "-U",
        "--python-version",
        "3.11",
        "requirements.in",
        capsys=capsys,
    )
    assert code == 0 and pins(project.read()) == {"native": "2.0"}
    code, _, err = project.lock("--python-platform", "amiga", "requirements.in", capsys=capsys)
    assert code == 2 and "unknown --python-platform 'amiga'" in err


def test_uv_index_spellings(app: Project, capsys) -> None:
    capsys.readouterr()
    code = main(["lock", "--default-index", app.index.url, "requirements.in"])
    assert code == 0, capsys.readouterr().err
    assert f"--index-url {app.index.url}" in app.read()
    other = "http://127.0.0.1:9/simple"  # nothing listens there: an index symres must try
    code = main(["lock", "--default-index", app.index.url, "--index", other, "requirements.in"])
    assert code == 2
    assert "127.0.0.1:9" in capsys.readouterr().err


def test_cache_dir(app: Project, capsys, tmp_path: Path) -> None:
    cache = tmp_path / "elsewhere"
    assert app.lock("--cache-dir", str(cache), "requirements.in", capsys=capsys)[0] == 0
    assert any(cache.rglob("*")), "the cache went elsewhere"


def test_rebuild_revalidates_pages_as_refresh(app: Project, capsys) -> None:
    assert app.lock("requirements.in", capsys=capsys)[0] == 0
    before = len(app.index.requests("/simple/"))
    assert app.lock("-U", "requirements.in", capsys=capsys)[0] == 0  # -U also revalidates
    assert app.lock("--rebuild", "requirements.in", capsys=capsys)[0] == 0
    assert len(app.index.requests("/simple/")) > before + 3


def test_no_build_refuses_sdists(project: Project, capsys) -> None:
    project.sdist("source-only", "1.0")
    project.write("requirements.in", "source-only\n")
    code, _, err = project.lock("--no-build", "requirements.in", capsys=capsys)
    assert code == 1
    assert "refuses to build `source-only` from source" in err


def test_prerelease_allow_is_pre(project: Project, capsys) -> None:
    project.wheel("a", "1.0")
    project.wheel("a", "2.0b1")
    project.write("requirements.in", "a\n")
    assert project.lock("--prerelease", "allow", "requirements.in", capsys=capsys)[0] == 0
    assert pins(project.read()) == {"a": "2.0b1"}
    code = project.lock(
        "--prerelease", "if-necessary-or-explicit", "-U", "requirements.in", capsys=capsys
    )[0]
    assert code == 0 and pins(project.read()) == {"a": "1.0"}


def test_resolution_lowest_and_lowest_direct(project: Project, capsys) -> None:
    project.wheel("app", "1.0", requires=["lib>=1.5"])
    project.wheel("app", "2.0", requires=["lib>=1.5"])
    for v in ("1.0", "1.5", "2.0"):
        project.wheel("lib", v)
    project.write("requirements.in", "app>=1.0\n")
    assert project.lock("--resolution", "lowest", "requirements.in", capsys=capsys)[0] == 0
    assert pins(project.read()) == {"app": "1.0", "lib": "1.5"}
    assert "--resolution lowest" in project.read()
    code = project.lock("--resolution", "lowest-direct", "-U", "requirements.in", capsys=capsys)[0]
    assert code == 0 and pins(project.read()) == {"app": "1.0", "lib": "2.0"}
    code = project.lock("--resolution", "highest", "-U", "requirements.in", capsys=capsys)[0]
    assert code == 0 and pins(project.read()) == {"app": "2.0", "lib": "2.0"}


def test_exclude_newer_holds_back_what_was_uploaded_after_the_date(
    project: Project, capsys
) -> None:
    project.wheel("app", "1.0", requires=["lib"], uploaded="2024-01-10T08:00:00.000000Z")
    project.wheel("app", "2.0", requires=["lib>=2"], uploaded="2024-03-01T08:00:00Z")
    project.wheel("lib", "1.0", uploaded="2024-01-01T00:00:00Z")
    project.wheel("lib", "2.0", uploaded="2024-02-20T00:00:00Z")
    project.wheel("lib", "3.0")  # the index gives no upload time: age unknown
    project.write("requirements.in", "app\n")
    code, _, err = project.lock("--exclude-newer", "2024-02-01", "requirements.in", capsys=capsys)
    assert code == 0, err
    assert pins(project.read()) == {"app": "1.0", "lib": "1.0"}
    assert "#    symres lock --exclude-newer 2024-02-01 requirements.in" in project.read()
    code, _, err = project.lock(
        "--exclude-newer", "2024-02-25T00:00:00Z", "-U", "requirements.in", capsys=capsys
    )
    assert code == 0 and pins(project.read()) == {"app": "1.0", "lib": "2.0"}
    project.write("requirements.in", "app>=2\n")
    code, _, err = project.lock(
        "--exclude-newer", "2024-02-01", "-U", "requirements.in", capsys=capsys
    )
    assert code == 1
    assert "app 2.0 is uploaded 2024-03-01, not before 2024-02-01T00:00:00Z" in err


def test_exclude_newer_hashes_no_file_uploaded_after_the_cutoff(project: Project, capsys) -> None:
    from tests.builders import build_sdist

    old, new = "2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z"
    kept = project.wheel("lib", "1.0", uploaded=old)
    project.wheel("lib", "1.0", tag="py3-none-macosx_11_0_arm64", uploaded=new)
    project.index.add(build_sdist(project.dists, "lib", "1.0"), uploaded=new)
    project.write("requirements.in", "lib\n")
    code, _, err = project.lock(
        "--exclude-newer",
        "2024-03-01",
        "--platform",
        "manylinux_2_28_x86_64",
        "requirements.in",
        capsys=capsys,
    )
    assert code == 0, err
    hashes = re.findall(r"--hash=sha256:([0-9a-f]+)", project.read())
    assert hashes == [sha256(kept)]
    code, _, err = project.lock(
        "--platform", "manylinux_2_28_x86_64", "-o", "all.txt", "requirements.in", capsys=capsys
    )
    assert len(re.findall(r"--hash=sha256:", project.read("all.txt"))) == 3


def test_a_cooldown_holds_back_releases_younger_than_the_span(project: Project, capsys) -> None:
    from datetime import datetime, timedelta, timezone

    def ago(days: int) -> str:
        return (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    project.wheel("lib", "1.0", uploaded=ago(30))
    project.wheel("lib", "1.1", uploaded=ago(8))
    project.wheel("lib", "1.2", uploaded=ago(2))
    project.write("requirements.in", "lib\n")
    for span, expected in (("7d", "1.1"), ("1 week", "1.1"), ("P10D", "1.0"), ("1d", "1.2")):
        code, _, err = project.lock("--exclude-newer", span, "-U", "requirements.in", capsys=capsys)
        assert code == 0, err
        assert pins(project.read()) == {"lib": expected}, span
    code, _, err = project.lock("--exclude-newer", "soon", "requirements.in", capsys=capsys)
    assert code == 2 and "`--exclude-newer soon` is neither a date" in err


def test_group_reads_pep_735_dependency_groups(project: Project, capsys) -> None:
    project.wheel("lib", "1.0")
    project.wheel("pytest", "8.0")
    project.wheel("cov", "1.0")
    project.write(
        "pyproject.toml",
        '[project]\nname = "myapp"\nversion = "1"\ndependencies = ["lib"]\n'
        '[dependency-groups]\ntest = ["pytest", {include-group = "cov"}]\ncov = ["cov"]\n'
        'loop = [{include-group = "loop"}]\n',
    )
    code, _, err = project.lock("--group", "test", "pyproject.toml", capsys=capsys)
    assert code == 0, err
    assert pins(project.read()) == {"lib": "1.0", "pytest": "8.0", "cov": "1.0"}
    assert "--group test" in project.read()
    assert "lib==1.0 \\\n    --hash" in project.read()
    assert "    # via myapp (pyproject.toml)\n" in project.read()  # as pip-compile and uv write it
    project.write("requirements.in", "lib\n")
    code, _, err = project.lock(
        "--group", "pyproject.toml:cov", "-o", "dev.txt", "requirements.in", capsys=capsys
    )
    assert code == 0 and pins(project.read("dev.txt")) == {"lib": "1.0", "cov": "1.0"}
    code, _, err = project.lock("--group", "loop", "pyproject.toml", capsys=capsys)
    assert code == 2 and "dependency groups include each other (loop → loop)" in err
    code, _, err = project.lock("--group", "docs", "pyproject.toml", capsys=capsys)
    assert code == 2 and "no dependency group `docs` (known: cov, loop, test)" in err


def test_overrides_replace_every_requirement_on_a_project(project: Project, capsys) -> None:
    project.wheel("app", "1.0", requires=["lib<2"])
    project.wheel("lib", "1.0")
    project.wheel("lib", "2.0")
    project.write("requirements.in", "app\nlib<1.5\n")
    project.write("overrides.txt", "lib==2.0\n")
    code, _, err = project.lock("--overrides", "overrides.txt", "requirements.in", capsys=capsys)
    assert code == 0, err
    assert pins(project.read()) == {"app": "1.0", "lib": "2.0"}
    assert "--overrides overrides.txt" in project.read()


def test_a_lock_whose_every_root_marker_is_false_is_empty(project: Project, capsys) -> None:
    project.wheel("a", "1.0")
    project.write("requirements.in", "a; python_version < '3'\n")
    code, out, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err
    assert pins(project.read()) == {}
    assert project.read().startswith("#\n# This file is autogenerated by symres")


def test_targets_outside_what_symres_knows_are_refused(app: Project, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        app.lock("--python-version", "3.7", "requirements.in", capsys=capsys)
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert "Python 3.7 is outside the Pythons symres knows (3.8 to 3.14)" in err
    assert len(err.strip().splitlines()) == 2  # the error and a pointer to --help
    code, _, err = app.lock("--platform", "linux_armv7", "requirements.in", capsys=capsys)
    assert code == 2 and "unknown --platform machine 'armv7'" in err and "armv7l" in err
    assert not (app.root / "requirements.txt").exists()


def test_a_pylock_name_pep_751_does_not_allow_is_refused(app: Project, capsys) -> None:
    code, _, err = app.lock(
        "--format", "pylock", "-o", "pylock-310.toml", "requirements.in", capsys=capsys
    )
    assert code == 2 and "`pylock-310.toml` is not a name PEP 751 allows" in err
    code, _, err = app.lock(
        "--format", "pylock", "-o", "pylock.py310.toml", "requirements.in", capsys=capsys
    )
    assert code == 0, err


def test_find_links_folders_serve_files_beside_the_index(project: Project, capsys) -> None:
    project.wheel("app", "1.0", requires=["local"])
    folder = project.root / "wheels"
    folder.mkdir()
    wheel = build_wheel(folder, "local", "1.0")
    build_wheel(folder, "unrelated", "1.0")
    project.write("requirements.in", "app\n")
    code, _, err = project.lock("-f", "wheels", "requirements.in", capsys=capsys)
    assert code == 0, err
    text = project.read()
    assert pins(text) == {"app": "1.0", "local": "1.0"}
    assert "--find-links ./wheels\n" in text and f"--hash=sha256:{sha256(wheel)}" in text
    code, _, err = project.lock(
        "--no-emit-find-links", "-f", "wheels", "requirements.in", capsys=capsys
    )
    assert code == 0 and "--find-links" not in project.read()
    # a requirements file's own -f (relative to it) and --no-index: only the folder is read
    project.write("requirements.in", "--no-index\n-f ./wheels\nlocal\n")
    project.index.log.clear()
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err
    assert "--no-index\n--find-links ./wheels\n" in project.read()
    assert not project.index.requests("/simple/local/")
    project.write("requirements.in", "--no-index\n-f ./wheels\napp\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 1 and "no index knows a project named `app`" in err


def test_why_explains_a_release_held_back_by_another_pin(project: Project, capsys) -> None:
    project.wheel("app", "1.0", requires=["c<2"])
    project.wheel("b", "1.0")
    project.wheel("b", "2.0", requires=["c>=2"])
    project.wheel("b", "3.0", requires=["c>=2"], requires_python=">=3.99")
    project.wheel("c", "1.0")
    project.wheel("c", "2.0")
    project.write("requirements.in", "app\nb\n")
    code, _, err = project.lock("-o", "fresh.txt", "requirements.in", capsys=capsys)
    assert code == 0 and pins(project.read("fresh.txt")) == {"app": "1.0", "b": "1.0", "c": "1.0"}
    capsys.readouterr()
    args = ["why", "b", "--lock", "fresh.txt", "--index-url", project.index.url]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "    2.0: needs c>=2, and the lock pins c 1.0 (via app)" in out
    assert "    3.0: needs Python >=3.99" in out
    assert "existing pin was kept" not in out
    assert main([*args, "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["package"] == "b" and facts["version"] == "1.0"
    assert facts["newer"][-1] == {
        "versions": ["2.0"],
        "reason": "needs c>=2, and the lock pins c 1.0 (via app)",
    }


def test_db_stats_json(project: Project, capsys) -> None:
    capsys.readouterr()
    assert main(["db", "stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["user_database"].endswith("symbols.sqlite")
    assert stats["user"]["releases"] == 0 and "rows" in stats["user"]


def test_paths_are_shown_as_given(app: Project, capsys) -> None:
    given = str(app.root / "requirements.in")
    code, _, err = app.lock(given, capsys=capsys)
    assert code == 0, err
    assert f"    # via -r {given}\n" in app.read()
    (app.root / "sub").mkdir()
    app.write("sub/requirements.in", "-r base.in\n")
    app.write("sub/base.in", "app\n")
    code, _, err = app.lock("sub/requirements.in", capsys=capsys)
    assert code == 0, err
    assert "    # via -r sub/base.in\n" in app.read("sub/requirements.txt")
    assert "`sub/requirements.txt`" in err


def test_offline_reads_only_the_cache(app: Project, capsys) -> None:
    assert app.lock("requirements.in", capsys=capsys)[0] == 0
    online = app.read()
    app.index.log.clear()
    code, _, err = app.lock("--offline", "-U", "-o", "again.txt", "requirements.in", capsys=capsys)
    assert code == 0, err
    assert _without_command(app.read("again.txt")) == _without_command(online)
    assert app.index.log == []  # nothing was asked of the index
    app.write("requirements.in", "app\nnever-fetched\n")
    code, _, err = app.lock("--offline", "requirements.in", capsys=capsys)
    assert code == 2
    assert "/simple/never-fetched/` is not in the cache, and `--offline` reads nothing" in err


def test_pip_tools_settings_in_pyproject_are_honoured(app: Project, capsys) -> None:
    app.write(
        "pyproject.toml",
        '[tool.pip-tools]\ngenerate-hashes = true\nheader = false\nannotation_style = "line"\n'
        'no-emit-package = ["lib"]\n',
    )
    assert app.lock("requirements.in", capsys=capsys)[0] == 0
    text = app.read()
    assert text.startswith("--index-url") and pins(text) == {"app": "1.0", "util": "1.0"}
    assert "    # via app, lib\n" in text  # --annotation-style line
    # the command line wins; --no-config ignores the settings
    assert app.lock("--header", "requirements.in", capsys=capsys)[0] == 0
    assert app.read().startswith("#\n# This file is autogenerated")
    assert app.lock("--no-config", "requirements.in", capsys=capsys)[0] == 0
    assert "lib==2.0" in app.read() and "    #   lib\n" in app.read()  # split style again
    app.write("pyproject.toml", "[tool.pip-tools]\ngenerate-hashes = 'yes'\n")
    code, _, err = app.lock("requirements.in", capsys=capsys)
    assert code == 2 and "`--generate-hashes` is on or off: write `true` or `false`" in err
    app.write("pyproject.toml", "tool = 1\n")
    assert app.lock("requirements.in", capsys=capsys)[0] == 0
    app.write("pyproject.toml", "[tool.pip-tools\n")
    code, _, err = app.lock("requirements.in", capsys=capsys)
    assert code == 2 and "pass `--no-config`" in err
    assert app.lock("--no-config", "requirements.in", capsys=capsys)[0] == 0
    app.write("pyproject.toml", "[tool.pip-tools]\nsomething-else = 1\n")
    code, _, err = app.lock("requirements.in", capsys=capsys)
    assert code == 2
    assert (
        "pyproject.toml [tool.pip-tools] something-else: `--something-else` is not an option" in err
    )


def test_index_credentials_reach_no_lock_and_no_output(app: Project, capsys) -> None:
    secret = app.index.url.replace("http://", "http://user:s3cret@")
    capsys.readouterr()
    code = main(
        [
            "lock",
            "-i",
            secret,
            "--format",
            "pylock",
            "-o",
            "pylock.toml",
            "--json",
            "requirements.in",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "s3cret" not in out + err + app.read("pylock.toml")
    assert 'url = "http://127.0.0.1:' in app.read("pylock.toml")


def test_max_rounds(app: Project, capsys) -> None:
    code, _, err = app.lock("--max-rounds", "1", "requirements.in", capsys=capsys)
    assert code == 1 and "gave up after 1 resolution rounds" in err


def test_check_compares_the_lock_not_the_command_line(app: Project, capsys) -> None:
    assert app.lock("requirements.in", capsys=capsys)[0] == 0
    code, _, err = app.lock("--check", "-o", "requirements.txt", "requirements.in", capsys=capsys)
    assert code == 0, err
    app.wheel("util", "2.0")
    code, _, err = app.lock("--check", "--refresh", "-P", "util", "requirements.in", capsys=capsys)
    assert code == 1
    assert "-util==1.0 \\" in err and "+util==2.0 \\" in err
    assert "requirements.txt (now)" in err and "requirements.txt (symres lock)" in err


def test_json_failure_is_a_json_object(app: Project, capsys) -> None:
    app.write("requirements.in", "no-such-project\n")
    code, out, err = app.lock("--json", "requirements.in", capsys=capsys)
    assert code == 1
    failure = json.loads(out)
    assert failure["ok"] is False and failure["error"]["exit_code"] == 1
    assert "no-such-project" in failure["error"]["message"]
    assert "error:" in err


# -- accepted with no effect, refused with a hint ------------------------------------------


@pytest.mark.parametrize(
    "flag",
    [
        *([o, "x"] if NO_EFFECT[o][0] else [o] for o in NO_EFFECT),
        *([o, v] for o, (v, _) in ONE_VALUE.items()),
    ],
    ids=lambda f: " ".join(f),
)
def test_flags_with_no_effect_leave_the_lock_unchanged(app: Project, capsys, flag) -> None:
    assert app.lock("requirements.in", capsys=capsys)[0] == 0
    plain = app.read()
    code, _, err = app.lock("-v", *flag, "requirements.in", capsys=capsys)
    assert code == 0, err
    assert _without_command(app.read()) == _without_command(plain)
    assert f"note: `{flag[0]}" in err and "has no effect" in err


@pytest.mark.parametrize(
    "flag",
    [
        *([o, "x"] if REFUSED[o][0] else [o] for o in REFUSED),
        *([o, "other"] for o in ONE_VALUE),
    ],
    ids=lambda f: " ".join(f),
)
def test_flags_symres_does_not_do_are_refused_with_a_hint(app: Project, capsys, flag) -> None:
    code, out, err = app.lock(*flag, "requirements.in", capsys=capsys)
    assert code == 2
    assert f"error: `{flag[0]}" in err and "is not supported by symres lock" in err
    assert "hint: " in err
    assert not (app.root / "requirements.txt").exists()


def test_the_readme_table_has_a_row_for_every_option() -> None:
    table = README.read_text()
    start = table.index("## Coming from pip-compile or uv")
    section = table[start : table.index("\n## ", start + 10)]
    for option in [*NO_EFFECT, *REFUSED, *ONE_VALUE]:
        assert f"`{option}" in section, option


def test_a_hashed_lock_is_read_back_as_input_and_by_db_mine(app: Project, capsys) -> None:
    """A --generate-hashes lock (continuation lines, `--hash=` after each pin) is a valid
    requirements file: as input, as `-c` and to `db mine -r` (its hashes are not reused)."""
    code, _, err = app.lock("requirements.in", "--generate-hashes", capsys=capsys)
    assert code == 0, err
    assert "--hash=sha256:" in app.read()
    app.write("again.in", app.read())
    code, _, err = app.lock("again.in", "-o", "again.txt", capsys=capsys)
    assert code == 0, err
    assert pins(app.read("again.txt")) == pins(app.read())
    app.write("bounded.in", "app\n-c requirements.txt\n")
    code, _, err = app.lock("bounded.in", "-o", "bounded.txt", capsys=capsys)
    assert code == 0, err
    assert pins(app.read("bounded.txt")) == pins(app.read())
    capsys.readouterr()
    code = main(["db", "mine", "-r", "requirements.txt", "--index-url", app.index.url, "--json"])
    assert code == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["mined"] == 3  # app, lib, util


@pytest.mark.parametrize("option", ["--config-settings=editable_mode=compat", "-Cfoo=bar"])
def test_a_build_option_after_a_requirement_is_refused_with_its_line(
    app: Project, capsys, option: str
) -> None:
    app.write("requirements.in", f"app\nlib>=1 {option}\n")
    code, _, err = app.lock("requirements.in", capsys=capsys)
    assert code == 2
    assert "requirements.in:2:" in err and "after a requirement is not supported" in err
    assert "Traceback" not in err
