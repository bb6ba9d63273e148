"""`symres lock` end to end against the local index: what a pip-compile user sees."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from packaging.pylock import Pylock
from packaging.utils import canonicalize_name

from tests.builders import sha256
from tests.conftest import Project
from tests.generated import deep_index

if True:  # Python 3.10 has no tomllib
    try:
        import tomllib
    except ImportError:  # pragma: no cover
        import tomli as tomllib  # type: ignore[no-redef]


def pins(text: str) -> dict[str, str]:
    return dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+)", text, flags=re.M))


def test_locks_newest_matching_versions_with_hashes_and_via(project: Project, capsys) -> None:
    app = project.wheel("app", "1.0", requires=["lib>=1,<3", "util"])
    project.wheel("lib", "1.0")
    lib2 = project.wheel("lib", "2.0", requires=["util>=2"])
    project.wheel("lib", "3.0")
    util = project.wheel("util", "2.5")
    project.write("requirements.in", "app\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 0, err
    text = project.read()
    assert pins(text) == {"app": "1.0", "lib": "2.0", "util": "2.5"}
    assert "#    symres lock requirements.in" in text
    assert f"app==1.0 \\\n    --hash=sha256:{sha256(app)}\n    # via -r requirements.in\n" in text
    assert f"lib==2.0 \\\n    --hash=sha256:{sha256(lib2)}\n    # via app\n" in text
    assert (
        f"util==2.5 \\\n    --hash=sha256:{sha256(util)}\n    # via\n    #   app\n    #   lib\n"
        in text
    )
    assert "Locked 3 packages" in err


def test_markers_and_wheels_follow_the_target(project: Project, capsys) -> None:
    project.wheel(
        "app",
        "1.0",
        requires=[
            'winonly; sys_platform == "win32"',
            'old; python_version < "3.11"',
        ],
    )
    project.wheel("winonly", "1.0")
    project.wheel("old", "1.0")
    native_linux = project.wheel("native", "1.0", tag="cp310-cp310-manylinux_2_17_x86_64")
    native_win = project.wheel("native", "1.0", tag="cp310-cp310-win_amd64")
    native_312 = project.wheel("native", "1.0", tag="cp312-cp312-win_amd64")
    project.wheel("native", "2.0", tag="cp310-cp310-macosx_11_0_arm64")  # no wheel for the targets
    project.write("requirements.in", "app\nnative\n")

    code, _, err = project.lock(
        "--python-version",
        "3.10",
        "--platform",
        "win_amd64",
        "-o",
        "win.txt",
        "requirements.in",
        capsys=capsys,
    )
    assert code == 0, err
    win = project.read("win.txt")
    assert pins(win) == {"app": "1.0", "native": "1.0", "old": "1.0", "winonly": "1.0"}
    # every file of the locked version is hashed, as pip-compile and uv write them: an
    # installer elsewhere may pick another wheel; none of the release not locked
    native = win.split("native==1.0")[1].split("# via")[0]
    assert all(sha256(w) in native for w in (native_win, native_linux, native_312))
    assert "for Python 3.10 on win_amd64" in win

    code, _, err = project.lock(
        "--python-version",
        "3.12",
        "--platform",
        "manylinux_2_28_x86_64",
        "-o",
        "linux312.txt",
        "requirements.in",
        capsys=capsys,
    )
    assert code == 1  # native has no cp312 wheel for linux and no sdist
    assert "no release of `native`" in err
    assert (
        "native 2.0 has no wheel for Python 3.12 on manylinux_2_28_x86_64 "
        "(its wheels: cp310-cp310-macosx_11_0_arm64) and no sdist" in err
    )

    project.write("requirements.in", "app\n")
    code, _, err = project.lock(
        "--python-version",
        "3.12",
        "--platform",
        "manylinux_2_28_x86_64",
        "-o",
        "linux312.txt",
        "requirements.in",
        capsys=capsys,
    )
    assert code == 0, err
    assert pins(project.read("linux312.txt")) == {"app": "1.0"}


def test_requires_python_of_the_target_picks_an_older_release(project: Project, capsys) -> None:
    project.wheel("lib", "1.0", index_requires_python=">=3.8")
    project.wheel("lib", "2.0", index_requires_python=">=3.12")
    project.wheel("other", "1.0")
    project.wheel("other", "2.0", requires_python=">=3.12")  # only the METADATA says so
    project.write("requirements.in", "lib\nother\n")

    code, _, err = project.lock("--python-version", "3.10", "requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"lib": "1.0", "other": "1.0"}


def test_yanked_and_prereleases_only_when_asked(project: Project, capsys) -> None:
    project.wheel("lib", "1.0")
    project.wheel("lib", "1.1", yanked=True)
    project.wheel("lib", "2.0b1")
    project.write("requirements.in", "lib\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    assert pins(project.read()) == {"lib": "1.0"}

    project.write("requirements.in", "lib==1.1\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    assert pins(project.read()) == {"lib": "1.1"}

    project.write("requirements.in", "lib>=2.0b1\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    assert pins(project.read()) == {"lib": "2.0b1"}


def test_extras_pull_in_their_dependencies(project: Project, capsys) -> None:
    project.wheel("server", "1.0", extras={"fast": ["speedups>=2"]})
    project.wheel("speedups", "2.1")
    project.write("requirements.in", "server[fast]\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 0, err
    text = project.read()
    assert pins(text) == {"server": "1.0", "speedups": "2.1"}
    assert "speedups==2.1" in text and "# via server" in text
    assert "server[" not in text  # extras are stripped: the file doubles as a constraints file


def test_existing_pins_are_kept_until_upgrade(project: Project, capsys) -> None:
    project.wheel("a", "1.0")
    project.wheel("b", "1.0")
    project.write("requirements.in", "a\nb\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    project.wheel("a", "2.0")
    project.wheel("b", "2.0")

    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    assert pins(project.read()) == {"a": "1.0", "b": "1.0"}

    assert project.lock("-P", "b", "requirements.in", capsys=capsys)[0] == 0
    assert pins(project.read()) == {"a": "1.0", "b": "2.0"}

    assert project.lock("--upgrade", "requirements.in", capsys=capsys)[0] == 0
    assert pins(project.read()) == {"a": "2.0", "b": "2.0"}


def test_requirements_file_syntax(project: Project, capsys, monkeypatch) -> None:
    for v in ("1.0", "2.0", "3.0"):
        project.wheel("a", v)
        project.wheel("b", v)
    project.wheel("c", "1.0")
    project.write("base.in", "# shared\nb  # trailing comment\n")
    project.write("constraints.txt", "a<3\nnotrequired==1\n")
    monkeypatch.setenv("C_VERSION", "1.0")
    project.write(
        "requirements.in",
        "-r base.in\n-c constraints.txt\na \\\n  >=1.0\nc==${C_VERSION}\n"
        "skipped==9; python_version < '3'\n",
    )

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 0, err
    text = project.read()
    assert pins(text) == {"a": "2.0", "b": "3.0", "c": "1.0"}
    assert "a==2.0 \\" in text and "#   -c constraints.txt\n    #   -r requirements.in" in text
    assert "# via -r base.in" in text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("a>=>1", "requirements.in:2: `>=>` is not a version operator: a>=>1"),
        ("flask>==2.0", "requirements.in:2: `>==` is not a version operator: flask>==2.0"),
        ("-e ./src", "requirements.in:2: no such folder `./src`"),
        ("./a-1.0.tar.gz", "requirements.in:2: no such file or folder `./a-1.0.tar.gz`"),
        ("-e ./a-1.0.tar.gz", "requirements.in:2: `-e` takes a project folder or a VCS URL"),
        ("hg+https://127.0.0.1:9/a", "requirements.in:2: only git is supported"),
        ("--use-feature fast-deps", "requirements.in:2: unsupported option `--use-feature`"),
        ("-r missing.in", "requirements.in:2: no such file `missing.in`"),
    ],
)
def test_bad_input_is_one_line_naming_file_and_line(
    project: Project, capsys, line, expected
) -> None:
    project.wheel("a", "1.0")
    project.write("requirements.in", f"a\n{line}\n")

    code, out, err = project.lock("requirements.in", capsys=capsys)

    assert code == 2
    assert err.splitlines()[0].startswith(f"error: {expected}")
    assert "hint:" in err or "missing" in line
    assert not (project.root / "requirements.txt").exists()


def test_pyproject_dependencies_and_extras(project: Project, capsys) -> None:
    project.wheel("a", "1.0")
    project.wheel("docs-tool", "1.0")
    project.write(
        "pyproject.toml",
        """
[project]
name = "mine"
version = "0"
dependencies = ["a"]
[project.optional-dependencies]
docs = ["docs-tool"]
""",
    )
    assert project.lock("pyproject.toml", capsys=capsys)[0] == 0
    assert pins(project.read()) == {"a": "1.0"}

    assert project.lock("pyproject.toml", "--extra", "docs", capsys=capsys)[0] == 0
    assert pins(project.read()) == {"a": "1.0", "docs-tool": "1.0"}

    code, _, err = project.lock("pyproject.toml", "--extra", "nope", capsys=capsys)
    assert code == 2 and "no extra `nope` (known: docs)" in err


def test_conflict_explains_each_chain_and_keeps_the_old_lock(project: Project, capsys) -> None:
    project.wheel("web", "1.0", requires=["core>=2"])
    project.wheel("core", "1.0")
    project.wheel("core", "2.0")
    project.write("requirements.in", "web==1.0\ncore<2\n")
    (project.root / "requirements.txt").write_text("old lock\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 1
    assert "error: no version of `core` satisfies the requirements" in err
    assert "requirements.in:1: web==1.0 → web 1.0 requires core>=2" in err
    assert "requirements.in:2: core<2" in err
    assert "hint:" in err
    assert project.read() == "old lock\n"


def test_nothing_matches_and_unknown_project(project: Project, capsys) -> None:
    project.wheel("a", "1.0")
    project.write("requirements.in", "a>=5\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 1
    assert "no release of `a` matches >=5 (newest on the index: 1.0)" in err

    project.write("requirements.in", "nosuchthing\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 1  # no solution, as pip and uv answer it
    assert "error: no index knows a project named `nosuchthing`" in err


def test_dry_run_and_check(project: Project, capsys) -> None:
    project.wheel("a", "1.0")
    project.write("requirements.in", "a\n")

    code, out, _ = project.lock("--dry-run", "requirements.in", capsys=capsys)
    assert code == 0 and "a==1.0" in out
    assert not (project.root / "requirements.txt").exists()

    code, _, err = project.lock("--check", "requirements.in", capsys=capsys)
    assert code == 1 and "is not what `symres lock` would write" in err

    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    assert project.lock("--check", "requirements.in", capsys=capsys)[0] == 0

    project.write("requirements.in", "a\nb\n")
    project.wheel("b", "1.0")
    code, _, err = project.lock("--check", "requirements.in", capsys=capsys)
    assert code == 1 and "hint: run `symres lock requirements.in`" in err


def test_pylock_output_is_valid_pep751(project: Project, capsys) -> None:
    wheel = project.wheel("a", "1.0", requires=["b"])
    project.wheel("b", "1.0")
    sdist = project.sdist("b", "1.0")
    project.write("requirements.in", "a\n")

    code, _, err = project.lock("--format", "pylock", "requirements.in", capsys=capsys)

    assert code == 0, err
    data = tomllib.loads(project.read("pylock.toml"))
    lock = Pylock.from_dict(data)
    by_name = {p.name: p for p in lock.packages}
    assert set(by_name) == {"a", "b"}
    assert by_name["a"].wheels[0].hashes == {"sha256": sha256(wheel)}
    assert by_name["b"].sdist.hashes == {"sha256": sha256(sdist)}
    assert by_name["a"].wheels[0].url.startswith(project.index.url.rsplit("/", 1)[0])


def test_json_gives_the_same_facts(project: Project, capsys) -> None:
    project.wheel("a", "1.0", requires=["b"])
    project.wheel("b", "1.0")
    project.write("requirements.in", "a\n")

    code, out, _ = project.lock("--json", "--dry-run", "requirements.in", capsys=capsys)

    data = json.loads(out)
    assert code == 0
    assert [(p["name"], p["version"], p["via"]) for p in data["packages"]] == [
        ("a", "1.0", ["-r requirements.in"]),
        ("b", "1.0", ["a"]),
    ]
    assert data["written"] is False
    assert data["packages"][0]["files"][0]["sha256"]


def test_unreachable_index_names_the_url(project: Project, capsys) -> None:
    project.write("requirements.in", "a\n")
    capsys.readouterr()
    from symres.cli import main

    code = main(["lock", "--index-url", "http://127.0.0.1:9/simple", "requirements.in"])
    err = capsys.readouterr().err
    assert code == 2
    assert "error: `http://127.0.0.1:9/simple/a/` did not answer after 3 tries" in err


def test_html_only_index(project: Project, capsys) -> None:
    project.index.json = False
    project.wheel("a", "1.0", requires=["b"])
    project.wheel("b", "1.0", index_requires_python=">=3.99")
    project.wheel("b", "0.9")
    project.write("requirements.in", "a\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"a": "1.0", "b": "0.9"}
    assert all("json" not in (r.path) for r in project.index.log)


def test_index_from_pip_configuration(
    project: Project, capsys, monkeypatch, tmp_path: Path
) -> None:
    project.wheel("a", "1.0")
    project.write("requirements.in", "a\n")
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nindex-url = {project.index.url}\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    from symres.cli import main

    capsys.readouterr()
    assert main(["lock", "requirements.in"]) == 0
    text = project.read()
    assert pins(text) == {"a": "1.0"}
    assert "--index-url" not in text  # only indexes given explicitly are written into the lock


@pytest.mark.parametrize("op", ["==", ">="])
def test_deep_backtracking_stays_linear(project: Project, capsys, op: str) -> None:
    """Release k of p_i needs p_{i+1}{op}k; a constraint on the last project forces every
    project down to its middle release. With `>=` every project has several candidates on
    each way down: without learning which releases can never work, the resolver tries
    every combination above the conflict (it did not finish for 30 projects)."""
    root, constraint = deep_index(project.index, project.dists, projects=25, versions=20, op=op)
    project.write("constraints.txt", constraint + "\n")
    project.write("requirements.in", f"{root}\n-c constraints.txt\n")

    code, out, err = project.lock("--json", "--symbols", "off", "requirements.in", capsys=capsys)

    assert code == 0, err
    assert set(pins(project.read()).values()) == {"10.0"}
    stats = json.loads(out)["stats"]
    # the way down is walked at most once per release of p0 above the answer (11 x 25
    # pins); fewer when the releases read ahead are learned dead before they are tried
    assert stats["resolver_rounds"] <= 11 * 25 + 25, stats


def test_releases_read_ahead_die_with_the_one_they_need() -> None:
    """What the releases read ahead require is learned before the resolver tries them: a
    constraint caps the last project of a chain at 10, so every release above 10 of every
    project in the chain dies at once, from the bottom up, 300 levels deep (no recursion)."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    from symres.resolve.dead import DeadEnds
    from symres.resolve.model import Candidate, Requirement

    names = [canonicalize_name(f"p{i}") for i in range(300)]
    releases = {n: frozenset(Version(f"{k}.0") for k in range(1, 21)) for n in names}

    def allowed(name, spec: SpecifierSet):
        return frozenset(spec.filter(releases[name])) if name in releases else None

    cap = {names[-1]: [Requirement(names[-1], SpecifierSet("<=10.0"), source="-c c.txt")]}
    dead = DeadEnds(allowed, {}, cap, {})
    for i, name in enumerate(names[:-1]):  # read top-down, as a resolver walks the chain
        for k in range(11, 21):
            need = Requirement(names[i + 1], SpecifierSet(f"=={k}.0"), source=f"{name} {k}.0")
            dead.learn(Candidate(name, Version(f"{k}.0")), [need])

    assert all(dead.is_dead(n, n, Version(f"{k}.0")) for n in names[:-1] for k in range(11, 21))
    assert not dead.is_dead("p0", names[0], Version("10.0"))
    why = dead.dead[("p298", Version("20.0"))].reason
    assert why == (
        "requires p299==20.0, which no usable release of `p299` matches together with p299<=10.0"
    )


def test_reading_ahead_from_reads_already_done_stays_shallow(project: Project, caplog) -> None:
    """Once every page and metadata of a 400-deep chain has been read, reading ahead
    from its root ran each follow-up in place, 400 levels down: a RecursionError in a
    future's callback, logged to stderr. It stops a few levels down and off this stack."""
    import logging

    from packaging.specifiers import SpecifierSet

    from symres.index.config import IndexOptions
    from symres.index.session import open_finder
    from symres.target import make_target

    deep_index(project.index, project.dists, projects=400, versions=1)
    options = IndexOptions(index_url=project.index.url, cache_dir=project.root / "cache")
    caplog.set_level(logging.ERROR, logger="concurrent.futures")
    with open_finder(make_target(), options) as finder:
        for i in range(400):  # read as the resolver reads: on demand, in this thread
            releases = finder.releases(canonicalize_name(f"p{i}"))
            assert releases
            finder.metadata(next(iter(releases.values())))
        before = len(project.index.log)
        finder.prefetch([(canonicalize_name("p0"), SpecifierSet())])
    assert not [r for r in caplog.records if "callback" in r.getMessage()], caplog.text[:300]
    assert len(project.index.log) == before  # everything was read already


def test_a_pre_release_between_two_finals_does_not_stop_the_read_ahead(
    project: Project, capsys
) -> None:
    """When a project's best candidate steps down one release (12 → 11), the next
    releases' metadata is read at once, ahead of the resolver; a release learned dead in
    between means the step was a jump, and nothing is read ahead. A pre-release in
    between (never offered) is no such jump: it used to switch the read-ahead off for
    every project that publishes release candidates."""
    for k in range(1, 13):
        project.wheel("b", f"{k}.0")
        project.wheel("b", f"{k}.1rc1")
    project.wheel("c", "1.0", requires=["b<12"])
    project.write("requirements.in", "b\nc\n")

    code, _, err = project.lock("--symbols", "off", "requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"b": "11.0", "c": "1.0"}
    read = {r.path.rsplit("/", 1)[-1] for r in project.index.log if r.path.endswith(".whl")}
    # the lock may end before the last of the eight read-ahead requests is sent
    ahead = {f"b-{k}.0-py3-none-any.whl" for k in range(3, 11)}
    assert len(ahead & read) >= 4, sorted(read)
