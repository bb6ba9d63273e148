"""When no lock exists, the first line names the real cause and the hint says what to do."""

from __future__ import annotations

from tests.conftest import Project


def first_line(err: str) -> str:
    return next(line for line in err.splitlines() if line.startswith("error: "))


def hint(err: str) -> str:
    return next(line for line in err.splitlines() if line.startswith("hint: "))


def test_requires_python_names_the_release_and_the_target(project: Project, capsys) -> None:
    project.wheel("flask", "1.0.2", requires_python="<3.10")  # in METADATA only
    project.wheel("flask", "3.1.3", index_requires_python=">=3.12")  # on the index only
    project.write("requirements.in", "flask==1.0.2\n")

    code, _, err = project.lock("--python-version", "3.11", "requirements.in", capsys=capsys)

    assert code == 1
    assert first_line(err) == (
        "error: no release of `flask` matching ==1.0.2 can be used: "
        "flask 1.0.2 needs Python <3.10 (the target is 3.11.0)"
    )
    assert "requirements.in:1: flask==1.0.2" in err
    assert "`--python-version`" in hint(err)


def test_newest_on_the_index_counts_releases_the_target_cannot_use(
    project: Project, capsys
) -> None:
    project.wheel("a", "1.0")
    project.wheel("a", "9.0", index_requires_python=">=3.30")
    project.write("requirements.in", "a==5.0\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 1
    assert first_line(err) == "error: no release of `a` matches ==5.0 (newest on the index: 9.0)"


def test_a_yanked_release_is_named_with_its_reason(project: Project, capsys) -> None:
    project.wheel("app", "1.0", requires=["lib>=2"])
    project.wheel("lib", "1.0")
    project.wheel("lib", "2.0", yanked=True)
    project.write("requirements.in", "app\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 1
    assert first_line(err) == (
        "error: no release of `lib` matching >=2 can be used: lib 2.0 is yanked"
    )
    assert "requirements.in:1: app → app 1.0 requires lib>=2" in err
    assert "pinned with `==`" in hint(err)


def test_a_release_without_a_file_for_the_target_says_which_tags_exist(
    project: Project, capsys
) -> None:
    project.wheel("native", "1.0", tag="cp312-cp312-macosx_11_0_arm64")
    project.wheel("native", "1.0", tag="cp312-cp312-win_amd64")
    project.write("requirements.in", "native\n")

    code, _, err = project.lock(
        "--python-version",
        "3.12",
        "--platform",
        "manylinux_2_28_x86_64",
        "requirements.in",
        capsys=capsys,
    )

    assert code == 1
    assert first_line(err) == (
        "error: no release of `native` matching any version can be used: native 1.0 has no "
        "wheel for Python 3.12 on manylinux_2_28_x86_64 (its wheels: "
        "cp312-cp312-macosx_11_0_arm64, cp312-cp312-win_amd64) and no sdist"
    )
    assert "`--platform`" in hint(err)


def test_only_binary_and_no_binary_say_what_they_refused(project: Project, capsys) -> None:
    project.sdist("src-only", "1.0")
    project.wheel("wheel-only", "1.0")
    project.write("requirements.in", "src-only\n")
    code, _, err = project.lock("--only-binary", ":all:", "requirements.in", capsys=capsys)
    assert code == 1
    assert "src-only 1.0 has only an sdist, and `--only-binary` refuses to build" in err

    project.write("requirements.in", "--no-binary wheel-only\nwheel-only\n")  # in the file
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 1
    assert "wheel-only 1.0 has only wheels, and `--no-binary` refuses wheels of" in err


def test_a_pre_release_says_how_to_allow_it(project: Project, capsys) -> None:
    project.wheel("a", "1.0")
    project.wheel("a", "1.6", requires_python=">=3.30")  # the final in range: unusable
    project.wheel("a", "2.0b1")
    project.write("requirements.in", "a>=1.5\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 1, err
    assert first_line(err) == (
        "error: no release of `a` matching >=1.5 can be used: a 2.0b1 is a pre-release"
    )
    assert "  a 1.6 needs Python >=3.30" in err
    assert "`--pre`" in hint(err)

    code, _, err = project.lock("--pre", "requirements.in", capsys=capsys)
    assert code == 0, err
    assert "a==2.0b1" in project.read()


def test_a_symbol_break_is_named_at_default_verbosity(project: Project, capsys) -> None:
    body = "from collections import MutableMapping\n"
    project.wheel("flask", "1.0.2", files={"flask/__init__.py": body})
    project.write("requirements.in", "flask==1.0.2\n")

    code, _, err = project.lock("--python-version", "3.11", "requirements.in", capsys=capsys)

    assert code == 1
    line = first_line(err)
    assert line.startswith(
        "error: no release of `flask` matching ==1.0.2 can be used: flask 1.0.2 is refused by "
        "symres: flask 1.0.2 imports `MutableMapping` from `collections` (flask/__init__.py:1)"
    ), line
    assert "is not in Python 3.11" in line
    assert hint(err) == (
        "hint: allow another release of `flask`, or overrule the check with "
        "`--ignore-symbol collections:MutableMapping`"
    )


def test_pre_in_a_requirements_file_allows_pre_releases(project: Project, capsys) -> None:
    project.wheel("a", "1.0")
    project.wheel("a", "2.0b1")
    project.write("requirements.in", "--pre\na\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 0, err
    assert "a==2.0b1" in project.read()
    project.write("requirements.in", "a\n")
    code, _, err = project.lock("-U", "requirements.in", capsys=capsys)
    assert code == 0, err
    assert "a==1.0" in project.read()


def test_a_release_with_metadata_that_does_not_parse_is_not_locked(
    project: Project, capsys
) -> None:
    """pandas 0.18.1 declares `pytz (>=2011k)`, not a PEP 440 version: pip and uv refuse the
    release; locking it without the line would drop a dependency silently."""
    project.wheel("pandas", "0.18.1", requires=["pytz (>=2011k)"])
    project.wheel("pandas", "0.17.0", requires=["pytz"])
    project.wheel("pytz", "2024.1")
    project.write("requirements.in", "pandas\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err
    assert "pandas==0.17.0" in project.read() and "pytz==2024.1" in project.read()

    project.write("requirements.in", "pandas==0.18.1\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 1
    assert first_line(err) == (
        "error: no release of `pandas` matching ==0.18.1 can be used: pandas 0.18.1 has "
        "invalid metadata: `Requires-Dist: pytz (>=2011k)` does not parse"
    )
