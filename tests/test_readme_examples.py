"""Every command example in README.md runs in a test and behaves as written.

`COVERED` maps each example the README shows (parsed from it by `readme_examples`) to the
tests that run it, here or elsewhere in tests/; a new example without an entry fails
`test_every_readme_example_has_a_test`, and so does an entry for an example the README
no longer shows. Examples on made-up packages run offline against the index on
127.0.0.1; those that name real packages are `network` tests, with test_network.py's
conventions (its `real_index` fixture, its `LOCK` flags).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from symres.cli import main
from tests import test_network
from tests.builders import build_wheel, sha256
from tests.conftest import Project
from tests.index_server import IndexServer
from tests.test_lock import pins
from tests.test_lock_symbols import web_stack
from tests.wheelhouse import symres_wheelhouse

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CHECKOUT = Path(__file__).resolve().parent.parent
README = CHECKOUT / "README.md"

real_index = test_network.real_index  # the fixture: skips when the real index is unreachable
LOCK = test_network.LOCK


# -- the examples the README shows, and the tests that run them ------------------------------

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
PROSE_COMMANDS = ("symres ", "pip ", "pip-compile ", "pip-sync", "python -m ", "pre-commit ")


def readme_examples(text: str) -> set[str]:
    """Each line of a ```sh block (its `# or …` comment is an example too), each `$ `
    line of any block, each `RUN` of a ```dockerfile block, each hook `id` of a ```yaml
    block (as `hook ID`), and each code span in the prose that is a command line (not a
    bare `symres SUBCOMMAND`) or hook `args:`."""
    found: set[str] = set()
    for lang, body in FENCE.findall(text):
        for line in body.splitlines():
            if lang == "sh":
                command, _, comment = line.partition(" #")
                if comment.strip().startswith("or "):
                    found.add(comment.strip()[len("or ") :])
                found.add(command.strip())
            elif line.startswith("$ "):
                found.add(line.split(" #", 1)[0].strip())
            elif lang == "dockerfile" and line.startswith("RUN "):
                found.add(line[len("RUN ") :].strip())
            elif lang == "yaml" and line.strip().startswith("- id: "):
                found.add("hook " + line.split("- id: ", 1)[1].split("#", 1)[0].strip())
    for match in re.finditer(r"(`+)(.+?)\1", FENCE.sub("", text), re.S):
        span = " ".join(match.group(2).split())
        if span.startswith("args: ") or (
            span.startswith(PROSE_COMMANDS) and not re.fullmatch(r"symres [a-z]+", span)
        ):
            found.add(span)
    found.discard("")
    return found


# example → the tests that run it: `test_…` here, or `tests/FILE.py::test_…`
COVERED: dict[str, tuple[str, ...]] = {
    # ## Two commands
    "python -m pip install . && symres lock examples/web/requirements.in": (
        "test_install_symres_and_lock_the_example",
        "test_lock_the_example_against_the_real_index",
    ),
    "python -m pip install -e '.[test]' && python -m pytest": (
        "test_the_test_command_and_markers",
    ),
    "python -m pytest -m slow": ("test_the_test_command_and_markers",),
    "python -m pytest -m network": ("test_the_test_command_and_markers",),
    # ## `symres lock`
    "symres lock requirements.in": (
        "tests/test_lock.py::test_locks_newest_matching_versions_with_hashes_and_via",
    ),
    "symres lock requirements.in -o locks/py310.txt --python-version 3.10 "
    "--platform manylinux_2_28_x86_64": ("test_lock_for_another_target_into_a_folder",),
    "symres lock requirements.in --format pylock": (
        "tests/test_lock.py::test_pylock_output_is_valid_pep751",
    ),
    "symres lock pyproject.toml --extra docs": (
        "tests/test_lock.py::test_pyproject_dependencies_and_extras",
    ),
    "symres why NAME [--lock FILE]": (
        "tests/test_dropin.py::test_why_explains_a_release_held_back_by_another_pin",
        "tests/test_lock_symbols.py::test_why_names_the_narrowing_and_the_refused_releases",
    ),
    "symres db stats": ("tests/test_lock_symbols.py::test_db_export_import_and_stats",),
    "symres db import FILE": (
        "tests/test_lock_symbols.py::test_db_export_import_and_stats",
        "tests/test_lock_symbols.py::test_db_import_checks_the_file_and_refuses_it_whole",
    ),
    "symres db export FILE [--inputs TEXT]": (
        "tests/test_lock_symbols.py::test_db_import_checks_the_file_and_refuses_it_whole",
    ),
    "pip install 'symres[dask]'": (
        "tests/test_db_mine.py::test_a_dask_local_cluster_builds_the_database_a_local_run_builds",
    ),
    "dask scheduler &": ("tests/test_db_mine.py::test_an_unreachable_scheduler_is_one_line",),
    "dask worker tcp://HOST:8786 --nworkers 8 --nthreads 1": (
        "tests/test_db_mine.py::test_a_dask_local_cluster_builds_the_database_a_local_run_builds",
    ),
    "symres db mine --top 150 --since 730d --scheduler tcp://HOST:8786": (
        "tests/test_db_mine.py::test_a_dask_local_cluster_builds_the_database_a_local_run_builds",
        "tests/test_db_mine.py::test_the_top_projects_list_is_read",
        "tests/test_db_mine.py::test_since_mines_the_releases_uploaded_from_that_date",
    ),
    "symres db mine": (
        "tests/test_db_mine.py::test_processes_and_threads_build_the_same_database",
    ),
    "symres db mine -r requirements.txt --python-version 3.10 --python-version 3.11": (
        "tests/test_db_mine.py::test_a_locks_pins_and_a_requirements_files_names",
        "tests/test_db_mine.py::test_two_targets_are_mined_each",
    ),
    "symres db mine --top 150 --releases 3 --platform manylinux_2_28_x86_64": (
        "tests/test_db_mine.py::test_the_top_projects_list_is_read",
    ),
    "pip install --require-hashes -r": (
        "tests/test_install.py::test_pip_installs_the_lock_with_hashes_and_it_imports",
    ),
    "pip-sync": ("tests/test_install.py::test_pip_sync_installs_the_lock",),
    # ## Coming from pip-compile or uv
    "pip-compile --generate-hashes -o requirements.txt requirements.in": (
        "test_a_pip_compile_command_line_runs_unchanged",
    ),
    "symres lock --generate-hashes -o requirements.txt requirements.in": (
        "test_a_pip_compile_command_line_runs_unchanged",
    ),
    # ### Editable, path, URL and git requirements
    "pip install --no-deps -e ./lib": (
        "tests/test_direct.py::test_editable_project_folder",
        "tests/test_direct.py::test_pip_installs_every_kind_by_the_documented_policy",
    ),
    "pip install --no-deps 'lib @ git+https://host/lib@<commit>'": (
        "tests/test_direct.py::test_git_url_is_locked_at_its_commit",
        "tests/test_direct.py::test_pip_installs_every_kind_by_the_documented_policy",
    ),
    "pip install --require-hashes -r requirements.txt": (
        "tests/test_install.py::test_pip_installs_the_lock_with_hashes_and_it_imports",
        "tests/test_direct.py::test_pip_installs_every_kind_by_the_documented_policy",
    ),
    "pip-sync requirements.txt": ("tests/test_install.py::test_pip_sync_installs_the_lock",),
    # ## `symres compat` and `symres symbols`
    "symres compat flask==2.2.2 werkzeug==3.0.0": ("test_compat_flask_and_werkzeug_3",),
    "symres compat jinja2==2.11.3 markupsafe==2.0.1": ("test_compat_jinja2_and_markupsafe_2_0",),
    "symres compat redis==3.5.3 --python-version 3.12": (
        "tests/test_network.py::test_the_readme_distutils_example",
    ),
    "symres compat redis==3.5.3 setuptools==69.0.3 --python-version 3.12": (
        "tests/test_network.py::test_the_readme_distutils_example",
    ),
    "symres symbols uses bitsandbytes==0.43.1": ("test_symbols_uses_bitsandbytes",),
    "symres symbols exports werkzeug==3.0.0 werkzeug.urls": ("test_symbols_exports_werkzeug_urls",),
    "symres symbols exports transformers==4.44.2 transformers.integrations": (
        "tests/test_network.py::test_transformers_lazy_integrations_are_closed_tables",
    ),
    # ## `symres check` and the pre-commit hooks
    "symres check": ("tests/test_check.py::test_a_fresh_lock_passes",),
    "symres check requirements.in --lock locks/prod.txt --src src": (
        "test_check_with_inputs_a_lock_and_src",
    ),
    "symres check --online": (
        "tests/test_check.py::test_offline_says_what_it_could_not_check_and_online_mines_it",
    ),
    "hook symres-check": (
        "test_the_hooks_the_readme_adds",
        "tests/test_precommit.py::test_hooks_pass_a_good_lock",
    ),
    "hook symres-lock": (
        "test_the_hooks_the_readme_adds",
        "tests/test_precommit.py::test_hooks_refuse_a_lock_with_a_symbol_break",
    ),
    "args: [requirements/prod.in, --lock, requirements/prod.txt]": (
        "test_check_hook_args_name_other_files",
    ),
    "args: [requirements/prod.in, -o, requirements/prod.txt]": (
        "test_lock_hook_args_name_other_files",
    ),
    "$ pre-commit run --all-files": (
        "tests/test_precommit.py::test_hooks_refuse_a_lock_with_a_symbol_break",
        "test_the_check_hook_prints_what_the_readme_shows",
    ),
    # ## `symres verify`
    "symres verify requirements.txt": (
        "tests/test_verify.py::test_a_lock_with_a_removed_name_fails_naming_it",
        "tests/test_verify.py::test_the_lock_symres_writes_passes",
    ),
    "symres verify requirements.txt --tier gpu": (
        "tests/test_verify.py::test_gpu_tier_without_a_device_is_skipped_not_passed",
    ),
    "symres verify requirements.txt --env /opt/venv": (
        "tests/test_verify.py::test_kept_venv_is_reused_and_env_checks_it_as_it_is",
    ),
    "symres verify requirements.txt --emit-script test_imports.py": (
        "tests/test_verify.py::test_emitted_script_is_standalone_and_checks_the_environment_it_runs_in",
    ),
    "symres lock requirements.in --verify": (
        "tests/test_verify.py::test_lock_verify_writes_only_a_lock_that_passes",
    ),
    "$ symres verify requirements.txt": (
        "tests/test_network.py::test_verify_flask_2_2_2_with_werkzeug",
    ),
    "pip install --require-hashes -r requirements.txt && python test_imports.py": (
        "test_the_dockerfile_line_runs_the_emitted_script",
    ),
}


def test_every_readme_example_has_a_test() -> None:
    shown = readme_examples(README.read_text())
    assert sorted(shown - set(COVERED)) == [], "README examples without a test"
    assert sorted(set(COVERED) - shown) == [], "entries for examples the README no longer shows"
    for example, tests in COVERED.items():
        for test in tests:
            file, _, name = test.rpartition("::")
            if file:
                source = (CHECKOUT / file).read_text()
                assert re.search(rf"^def {name}\(", source, re.M), f"{example}: no {test}"
            else:
                assert callable(globals().get(test)) and test.startswith("test_"), example


def test_the_parser_finds_each_kind_of_example() -> None:
    text = (
        "Run `symres lock` or `symres why NAME\n[--lock FILE]`; ``a `x` b`` `pip-sync`.\n"
        "```sh\nsymres check   # offline\npip install -r x  # or pip-sync x\n```\n"
        "```\n$ pre-commit run   # output\nnot a command\n```\n"
        "```yaml\n  hooks:\n    - id: one   # why\n```\n"
        "```dockerfile\nCOPY a ./\nRUN make && ./a\n```\n"
        "Give `args: [x, --lock, y]`, or `python -m pytest -m slow`; not `pytest.ini`.\n"
    )
    assert readme_examples(text) == {
        "symres why NAME [--lock FILE]",
        "pip-sync",
        "symres check",
        "pip install -r x",
        "pip-sync x",
        "$ pre-commit run",
        "hook one",
        "make && ./a",
        "args: [x, --lock, y]",
        "python -m pytest -m slow",
    }


def readme_block(first: str) -> list[str]:
    """The lines of the README's fenced block that starts with *first*."""
    for _lang, body in FENCE.findall(README.read_text()):
        if body.startswith(first):
            return body.splitlines()
    raise AssertionError(f"README has no block starting with {first!r}")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`symres ARGS`, as the command line runs it (a usage error is exit 2)."""
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def on_path(env_dir: Path) -> dict[str, str]:
    """The environment of a shell whose `python`, `pip` and `symres` are those of *env_dir*."""
    env = dict(os.environ)
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    env.pop("PYTHONHOME", None)
    env["VIRTUAL_ENV"] = str(env_dir)
    return env


# -- ## Two commands ------------------------------------------------------------------------------


@pytest.mark.slow
def test_install_symres_and_lock_the_example(tmp_path: Path) -> None:
    """The README's first line, as a shell runs it, in a copy of this checkout: pip installs
    symres from the local index (its dependencies repacked from this environment) and
    `symres lock` uses the index pip is configured with (here `PIP_INDEX_URL`)."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    server = IndexServer()
    for path in symres_wheelhouse(wheels):
        server.add(path)
    for name, version, requires in [
        ("flask", "2.0", ["werkzeug>=3"]),
        ("werkzeug", "3.0", []),
        ("requests", "2.0", ["urllib3<3"]),
        ("urllib3", "2.0", []),
        ("pydantic", "2.0", ["pydantic-core==2.0"]),
        ("pydantic-core", "2.0", []),
    ]:
        server.add(build_wheel(wheels, name, version, requires=requires))
    server.start()
    try:
        source = tmp_path / "checkout"
        for folder in ("symres", "data", "examples"):
            shutil.copytree(
                CHECKOUT / folder,
                source / folder,
                ignore=shutil.ignore_patterns("__pycache__", "requirements.txt", "*.egg-info"),
            )
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(CHECKOUT / name, source / name)
        env_dir = tmp_path / "venv"
        venv.create(env_dir, with_pip=True)
        env = on_path(env_dir) | {"PIP_INDEX_URL": server.url}

        done = subprocess.run(
            ["sh", "-c", "python -m pip install . && symres lock examples/web/requirements.in"],
            cwd=source,
            env=env,
            capture_output=True,
            text=True,
            timeout=540,
        )
    finally:
        server.stop()

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (env_dir / "bin" / "symres").is_file()
    text = (source / "examples" / "web" / "requirements.txt").read_text()
    assert pins(text) == {
        "flask": "2.0",
        "werkzeug": "3.0",
        "requests": "2.0",
        "urllib3": "2.0",
        "pydantic": "2.0",
        "pydantic-core": "2.0",
    }
    assert "    # via -r examples/web/requirements.in\n" in text
    assert text.count("--hash=sha256:") == 6
    assert "--index-url" not in text  # pip's configuration is not written into the lock


@pytest.mark.network
def test_lock_the_example_against_the_real_index(
    real_index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    (tmp_path / "examples" / "web").mkdir(parents=True)
    shutil.copy(CHECKOUT / "examples/web/requirements.in", tmp_path / "examples/web")
    monkeypatch.chdir(tmp_path)

    code, _, err = run(capsys, *LOCK, "examples/web/requirements.in")

    assert code == 0, err
    text = (tmp_path / "examples/web/requirements.txt").read_text()
    locked = pins(text)
    for name in ("flask", "werkzeug", "requests", "urllib3", "pydantic", "pydantic-core"):
        assert name in locked, name
    assert "    # via -r examples/web/requirements.in\n" in text and "--hash=sha256:" in text


def test_the_test_command_and_markers() -> None:
    """`pip install -e '.[test]' && python -m pytest` runs the fast suite (CI, `.ci/run`,
    runs it as written); what that takes is checked here: the `test` extra holds the tools
    the tests run, and a plain `pytest` leaves out the `slow` and `network` tests, which
    `-m slow` and `-m network` select."""
    config = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())
    extra = {
        re.split(r"[<>=!~ ;\[]", r, maxsplit=1)[0]
        for r in config["project"]["optional-dependencies"]["test"]
    }
    assert {"pytest", "pip-tools", "pre-commit"} <= extra
    pytest_config = config["tool"]["pytest"]["ini_options"]
    assert "-m 'not network and not slow'" in pytest_config["addopts"]
    assert "--strict-markers" in pytest_config["addopts"]
    assert {m.split(":", 1)[0] for m in pytest_config["markers"]} >= {"slow", "network"}
    ci = (CHECKOUT / ".ci" / "run").read_text()
    for line in (
        "python -m pip install -q -e '.[test]'",
        "python -m pytest\n",
        "python -m pytest -q -m slow",
        "python -m pytest -q -m network",
    ):
        assert line in ci, line


# -- ## `symres lock` -----------------------------------------------------------------------------


def test_lock_for_another_target_into_a_folder(project: Project, capsys) -> None:
    project.wheel("app", "1.0", requires=["native", 'old; python_version < "3.11"'])
    project.wheel("old", "1.0")
    linux = project.wheel("native", "1.0", tag="cp310-cp310-manylinux_2_17_x86_64")
    windows = project.wheel("native", "1.0", tag="cp310-cp310-win_amd64")
    project.wheel("native", "2.0", tag="cp311-cp311-manylinux_2_28_x86_64")  # not for 3.10
    project.write("requirements.in", "app\n")

    code, _, err = run(
        capsys,
        "lock",
        "--index-url",
        project.index.url,
        *shlex.split(
            "requirements.in -o locks/py310.txt --python-version 3.10 "
            "--platform manylinux_2_28_x86_64"
        ),
    )

    assert code == 0, err
    text = project.read("locks/py310.txt")
    assert pins(text) == {"app": "1.0", "native": "1.0", "old": "1.0"}
    assert text.splitlines()[1].endswith(" for Python 3.10 on manylinux_2_28_x86_64")
    native = text.split("native==1.0 \\\n")[1].split("# via")[0]
    assert sha256(linux) in native and sha256(windows) in native  # every file of the release
    assert not (project.root / "requirements.txt").exists()
    assert "→ `locks/py310.txt`" in err


# -- ## Coming from pip-compile or uv -------------------------------------------------------------


def test_a_pip_compile_command_line_runs_unchanged(project: Project, capsys, tmp_path) -> None:
    """`pip-compile --generate-hashes -o requirements.txt requirements.in` becomes `symres
    lock` with the same arguments; both lock the same pins with the same hashes."""
    project.wheel("app", "1.0", requires=["lib>=1"])
    project.wheel("lib", "1.0")
    project.wheel("lib", "2.0")
    project.sdist("lib", "2.0")
    project.write("requirements.in", "app\n")
    args = shlex.split("--generate-hashes -o requirements.txt requirements.in")
    pip_compile = Path(sys.executable).parent / "pip-compile"
    assert pip_compile.is_file(), "pip-tools is a test extra: `pip install -e '.[test]'`"
    compiled = subprocess.run(
        [str(pip_compile), "-q", "--cache-dir", str(tmp_path / "pip-tools"), *args],
        env=os.environ | {"PIP_INDEX_URL": project.index.url},
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert compiled.returncode == 0, compiled.stderr
    theirs = project.read()

    code, _, err = run(capsys, "lock", "--index-url", project.index.url, *args)

    assert code == 0, err
    ours = project.read()
    assert pins(ours) == pins(theirs) == {"app": "1.0", "lib": "2.0"}

    def hashes(text: str) -> set[str]:
        return set(re.findall(r"--hash=sha256:([0-9a-f]{64})", text))

    assert hashes(ours) == hashes(theirs) and len(hashes(ours)) == 3


# -- ## `symres compat` and `symres symbols` (the real packages they name) ------------------------


@pytest.mark.network
def test_compat_flask_and_werkzeug_3(real_index: str, capsys) -> None:
    """`# exit 1: url_quote missing, flask/app.py:30`"""
    code, out, err = run(capsys, "compat", "flask==2.2.2", "werkzeug==3.0.0", *LOCK[1:])
    assert code == 1, err
    assert "missing  from werkzeug.urls import url_quote  (flask/app.py:30, top)" in out


@pytest.mark.network
def test_compat_jinja2_and_markupsafe_2_0(real_index: str, capsys) -> None:
    """`# exit 0 (soft_unicode comes from a C extension)`: markupsafe 2.0.1 still has it."""
    code, out, err = run(capsys, "compat", "jinja2==2.11.3", "markupsafe==2.0.1", *LOCK[1:])
    assert code == 0, out + err
    assert "missing  " not in out
    code, out, err = run(
        capsys, "compat", "jinja2==2.11.3", "markupsafe==2.0.1", "--json", *LOCK[1:]
    )
    soft = [c for c in json.loads(out)["checked"] if c["use"]["name"] == "soft_unicode"]
    assert soft and {c["verdict"] for c in soft} <= {"present", "unknown"}, soft


@pytest.mark.network
def test_symbols_uses_bitsandbytes(real_index: str, capsys) -> None:
    """`# what it needs, from whom, under which guard`"""
    code, out, err = run(capsys, "symbols", "uses", "bitsandbytes==0.43.1", *LOCK[1:])
    assert code == 0, err
    assert re.search(r"^  torch: \d+ \(.*top", out, re.M), out
    assert re.search(r"^    from torch\S* import \S+  bitsandbytes/\S+:\d+  \w", out, re.M), out


@pytest.mark.network
def test_symbols_exports_werkzeug_urls(real_index: str, capsys) -> None:
    """`# what a module provides, open or closed`"""
    code, out, err = run(
        capsys, "symbols", "exports", "werkzeug==3.0.0", "werkzeug.urls", *LOCK[1:]
    )
    assert code == 0, err
    head, names = out.splitlines()[:2]
    assert re.fullmatch(
        r"werkzeug 3\.0\.0 `werkzeug\.urls` \(py, (closed|open \(.+\))\): \d+ names", head
    )
    assert "iri_to_uri" in names.split() and "url_quote" not in names.split()


# -- the README's lock excerpt and error message, for the real releases they name ------------------


@pytest.mark.network
def test_the_lock_refuses_werkzeug_3_for_flask_2_2_2(
    real_index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """The lock excerpt under **Symbols**: werkzeug narrowed to <3.0.0, said under its pin."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.in").write_text("flask==2.2.2\n")

    code, _, err = run(capsys, *LOCK, "--python-version", "3.11", "requirements.in")

    assert code == 0, err
    text = (tmp_path / "requirements.txt").read_text()
    excerpt = readme_block("werkzeug==2.3.8 \\")
    lines = text.splitlines()
    start = lines.index(excerpt[0])
    end = next((i for i in range(start + 1, len(lines)) if not lines[i][:1].isspace()), None)
    # the README shows one `--hash=sha256:…` line for the release's files
    assert [line for line in lines[start:end] if "--hash=sha256:" not in line] == [
        line for line in excerpt if "--hash=sha256:" not in line
    ]


@pytest.mark.network
def test_the_flask_1_0_2_message(
    real_index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """**Messages**: the cause, the chain of requirements, the hint."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.in").write_text("flask==1.0.2\n")

    code, _, err = run(capsys, *LOCK, "--python-version", "3.11", "requirements.in")

    assert code == 1
    shown = readme_block("error: no release of `flask` matching ==1.0.2")
    assert [line for line in err.splitlines() if line.strip()] == [
        line for line in shown if line.strip()
    ]


# -- ## `symres check` and the pre-commit hooks ---------------------------------------------------


def test_check_with_inputs_a_lock_and_src(project: Project, capsys) -> None:
    """`symres check requirements.in --lock locks/prod.txt --src src`: the lock named, the
    project's own imports checked against it."""
    project.wheel("util", "1.0", files={"util/__init__.py": "gone = 1\n"})
    project.wheel("util", "2.0", files={"util/__init__.py": "other = 1\n"})
    project.write("requirements.in", "util\n")
    (project.root / "src" / "mine").mkdir(parents=True)
    project.write("src/mine/__init__.py", "from util import gone\n")
    # an absolute -o: symres remembers the relative folders it made, whatever the cwd
    lock = (
        "lock",
        "-q",
        "--index-url",
        project.index.url,
        "-o",
        str(project.root / "locks/prod.txt"),
    )
    code, _, err = run(capsys, *lock, "--src", "src", "requirements.in")  # mines util's facts
    assert code == 0 and pins(project.read("locks/prod.txt")) == {"util": "1.0"}, err
    example = shlex.split("check requirements.in --lock locks/prod.txt --src src")

    code, _, err = run(capsys, *example)
    assert code == 0, err
    assert "locks/prod.txt: 1 pins match requirements.in; no known symbol breaks" in err

    code, _, err = run(capsys, *lock, "--symbols", "off", "-U", "requirements.in")  # util 2.0
    assert code == 0 and pins(project.read("locks/prod.txt")) == {"util": "2.0"}, err
    code, _, err = run(capsys, *example)
    assert code == 1
    assert (
        "locks/prod.txt: your code imports `gone` from `util` (src/mine/__init__.py:1); "
        "util 2.0 has no `gone` in `util`"
    ) in err
    code, _, err = run(capsys, *example[:-2])  # without --src: nothing of the project's
    assert code == 0, err


def test_the_hooks_the_readme_adds() -> None:
    """The hook ids of the README's .pre-commit-config.yaml, and what it says of them:
    `symres check` / `symres lock` on the default files, with `pass_filenames: false`,
    when requirements.in or requirements.txt change (or pylock.toml, pyproject.toml for
    symres-check); symres-check never goes online."""
    yaml = pytest.importorskip("yaml")
    hooks = {h["id"]: h for h in yaml.safe_load((CHECKOUT / ".pre-commit-hooks.yaml").read_text())}
    ids = [
        line.split("- id: ")[1].split()[0] for line in readme_block("- repo: ") if "- id: " in line
    ]
    assert ids == ["symres-check", "symres-lock"] and set(ids) <= set(hooks)
    assert hooks["symres-check"]["entry"] == "symres check"
    assert hooks["symres-lock"]["entry"] == "symres lock"
    for hook in hooks.values():
        assert hook["pass_filenames"] is False and "args" not in hook
    both = ["requirements.in", "requirements.txt"]
    check_only = ["pylock.toml", "pyproject.toml"]
    for name in both + check_only + ["setup.py", "requirements.in.bak"]:
        runs = {i for i, h in hooks.items() if re.search(h["files"], name)}
        expected = set(ids) if name in both else {"symres-check"} if name in check_only else set()
        assert runs == expected, name


PROD_TXT = "requirements/prod.txt"


def _lock_prod(project: Project, capsys, *args: str) -> tuple[int, str, str]:
    """`symres lock requirements/prod.in ARGS` of the web stack's app."""
    web_stack(project)
    (project.root / "requirements").mkdir()
    project.write("requirements/prod.in", "app\n")
    return run(capsys, "lock", "--index-url", project.index.url, "requirements/prod.in", *args)


def test_check_hook_args_name_other_files(project: Project, capsys) -> None:
    """symres-check with `args: [requirements/prod.in, --lock, requirements/prod.txt]`."""
    code, _, err = _lock_prod(project, capsys, "-q", "-o", str(project.root / PROD_TXT))
    assert code == 0, err
    hook = ["check", "requirements/prod.in", "--lock", "requirements/prod.txt"]

    code, _, err = run(capsys, *hook)
    assert code == 0, err
    assert "requirements/prod.txt: 2 pins match requirements/prod.in" in err

    project.write("requirements/prod.in", "app\nlib>=3\n")
    code, _, err = run(capsys, *hook)
    assert code == 1
    assert "requirements/prod.in:2 requires `lib>=3`; the lock pins lib==2.0" in err


def test_lock_hook_args_name_other_files(project: Project, capsys) -> None:
    """symres-lock with `args: [requirements/prod.in, -o, requirements/prod.txt]`."""
    code, _, err = _lock_prod(project, capsys, "-o", PROD_TXT)
    assert code == 0, err
    assert pins(project.read("requirements/prod.txt")) == {"app": "1.0", "lib": "2.0"}


def _pip_compiles_trap(project: Project, capsys, monkeypatch: pytest.MonkeyPatch) -> str:
    """A lock pinning flask 2.2.2 with werkzeug 3.0.0, as pip-compile writes it; `symres
    check` (the hook's entry) on it, with only the shipped snapshot's facts. Its stderr."""
    project.wheel(
        "flask",
        "2.2.2",
        requires=["werkzeug>=2.2.2"],
        files={"flask/__init__.py": "from werkzeug.urls import url_quote\n"},
    )
    project.wheel("werkzeug", "3.0.0", files={"werkzeug/__init__.py": "", "werkzeug/urls.py": ""})
    project.write("requirements.in", "flask==2.2.2\n")
    code, _, err = run(
        capsys,
        *("lock", "-q", "--index-url", project.index.url, "--symbols", "off"),
        *("--python-version", "3.11", "--platform", "manylinux_2_28_x86_64"),
    )
    assert code == 0 and pins(project.read())["werkzeug"] == "3.0.0", err
    monkeypatch.delenv("SYMRES_NO_SNAPSHOT")  # the snapshot knows the real flask 2.2.2

    code, out, err = run(capsys, "check")

    assert code == 1 and out == ""
    return err


def _readme_hook_output() -> list[str]:
    shown = readme_block("$ pre-commit run --all-files")
    assert shown[3] == "- exit code: 1" and shown[4] == ""
    return shown[5:]


def test_the_check_hook_prints_what_the_readme_shows(project: Project, capsys, monkeypatch) -> None:
    """The `pre-commit run --all-files` example: exit 1 and the README's lines, exactly
    (pre-commit itself: tests/test_precommit.py)."""
    err = _pip_compiles_trap(project, capsys, monkeypatch)
    assert err.splitlines() == _readme_hook_output()


# -- ## `symres verify` ---------------------------------------------------------------------------


@pytest.mark.slow
def test_the_dockerfile_line_runs_the_emitted_script(project: Project, capsys, tmp_path) -> None:
    """`RUN pip install --require-hashes -r requirements.txt && python test_imports.py` in
    the folder the lock and `--emit-script test_imports.py` were copied to: 0 for a lock
    that imports, 1 naming the failure for one that does not."""
    web_stack(project)  # app imports lib.urls.quote, which lib 3.0 removed
    project.write("requirements.in", "app\n")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    env = on_path(env_dir) | {"PIP_INDEX_URL": project.index.url}
    line = "pip install --require-hashes -r requirements.txt && python test_imports.py"

    def emit_and_run() -> subprocess.CompletedProcess[str]:
        (project.root / "test_imports.py").unlink(missing_ok=True)
        code, _, err = run(capsys, "verify", "requirements.txt", "--emit-script", "test_imports.py")
        assert code == 0, err
        return subprocess.run(
            ["sh", "-c", line],
            cwd=project.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    code, _, err = project.lock("requirements.in", capsys=capsys)  # lib 2.0
    assert code == 0, err
    good = emit_and_run()
    assert good.returncode == 0, good.stdout + good.stderr
    assert "FAILED" not in good.stdout

    code, _, err = project.lock("--symbols", "off", "-U", "requirements.in", capsys=capsys)
    assert code == 0 and pins(project.read())["lib"] == "3.1", err  # what pip-compile locks
    bad = emit_and_run()
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "FAILED   app 1.0: from lib.urls import quote:" in bad.stdout


# -- "With no input named, `symres lock` and `symres check` read `requirements.in`, else
# `pyproject.toml`" ----------------------------------------------------------------------------


def test_no_input_named_reads_requirements_in_else_pyproject(project: Project, capsys) -> None:
    project.wheel("a", "1.0")
    project.wheel("b", "1.0")
    project.write(
        "pyproject.toml", '[project]\nname = "mine"\nversion = "0"\ndependencies = ["a"]\n'
    )

    code, _, err = run(capsys, "lock", "-q", "--index-url", project.index.url)
    assert code == 0, err
    assert pins(project.read()) == {"a": "1.0"}
    assert "#    symres lock pyproject.toml\n" in project.read()
    code, _, err = run(capsys, "check")
    assert code == 0 and "requirements.txt: 1 pins match pyproject.toml" in err

    project.write("requirements.in", "b\n")
    code, _, err = run(capsys, "lock", "-q", "--index-url", project.index.url)
    assert code == 0, err
    assert pins(project.read()) == {"b": "1.0"}
    code, _, err = run(capsys, "check")
    assert code == 0 and "requirements.txt: 1 pins match requirements.in" in err
