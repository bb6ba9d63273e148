"""Requirements on a folder, a file or a git URL (`-e .`, `./dist/x.whl`, `app @ URL`,
`lib @ git+file://…@v1`): locked from their own metadata, written as pip installs them,
and round-tripped through `lock --check`."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

from tests.builders import build_wheel, sha256, source_tree
from tests.conftest import Project
from tests.test_lock import pins

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _wheels(project: Project) -> Path:
    folder = project.root / "wheels"
    folder.mkdir(exist_ok=True)
    return folder


def _check(project: Project, capsys, *args: str) -> None:
    code, _, err = project.lock("--check", *args, "requirements.in", capsys=capsys)
    assert code == 0, err


def _git(*args: str, cwd: Path) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@localhost",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@localhost",
        "HOME": str(cwd),
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _repository(path: Path, version: str = "1.0") -> str:
    """A git repository of project `gitlib` with tag v1; returns the tagged commit."""
    source_tree(path, "gitlib", version, requires=["util"])
    _git("init", "-q", cwd=path)
    _git("add", ".", cwd=path)
    _git("commit", "-qm", "one", cwd=path)
    _git("tag", "v1", cwd=path)
    return _git("rev-parse", "HEAD", cwd=path)


def test_editable_project_folder(project: Project, capsys) -> None:
    project.wheel("lib", "1.0")
    project.wheel("lib", "2.0")
    source_tree(project.root / "myapp", "myapp", "0.1", requires=["lib<2"])
    project.write("requirements.in", "-e ./myapp\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err
    text = project.read()
    assert pins(text) == {"lib": "1.0"}
    assert "#    pip install --no-deps -e ./myapp\n" in text
    assert "lib==1.0 \\" in text and "    # via myapp\n" in text
    assert "running" not in err  # a static [project] table: no build backend ran
    _check(project, capsys)


def test_a_dynamic_project_is_read_by_its_backend(project: Project, capsys) -> None:
    project.wheel("lib", "1.0")
    source_tree(project.root, "myapp", "0.1", requires=["lib"], dynamic=True)
    project.write("requirements.in", "-e .\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err
    assert pins(project.read()) == {"lib": "1.0"}
    assert "building `.` to read its metadata (this runs its build backend)" in err


@needs_git
def test_git_url_is_locked_at_its_commit(project: Project, capsys, tmp_path: Path) -> None:
    project.wheel("util", "1.0")
    repo = tmp_path / "repo"
    commit = _repository(repo)
    project.write("requirements.in", f"gitlib @ git+{repo.as_uri()}@v1\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err
    text = project.read()
    local = repo.as_uri().replace("file:///", "file://localhost/")
    assert f"pip install --no-deps 'gitlib @ git+{local}@{commit}'" in text
    assert pins(text) == {"util": "1.0"} and "# via gitlib" in text
    _check(project, capsys)
    project.write("requirements.in", f"gitlib @ git+{repo.as_uri()}@no-such-tag\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 2 and "requirements.in:1: git could not fetch" in err


def test_direct_wheel_url_on_the_index_is_hashed(project: Project, capsys) -> None:
    wheel = project.wheel("app", "1.0", requires=["util"])
    project.wheel("util", "1.0")
    url = f"{project.index.url.removesuffix('/simple')}/files/{wheel.name}"
    project.write("requirements.in", f"app @ {url}\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err
    text = project.read()
    assert (
        f"app @ {url} \\\n    --hash=sha256:{sha256(wheel)}\n    # via -r requirements.in" in text
    )
    assert pins(text) == {"util": "1.0"}
    _check(project, capsys)


def test_local_wheel_path_is_written_as_given(project: Project, capsys) -> None:
    """As pip and uv read them: from the current folder, wherever the file naming them is."""
    project.wheel("util", "1.0")
    wheel = build_wheel(_wheels(project), "app", "1.0", requires=["util"])
    project.write("requirements.in", "./wheels/app-1.0-py3-none-any.whl\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err
    text = project.read()
    assert f"./wheels/app-1.0-py3-none-any.whl \\\n    --hash=sha256:{sha256(wheel)}" in text
    _check(project, capsys)
    (project.root / "requirements").mkdir()
    project.write("requirements/dev.in", "./wheels/app-1.0-py3-none-any.whl[extra]\n")
    code, _, err = project.lock("-o", "requirements/dev.txt", "requirements/dev.in", capsys=capsys)
    assert code == 0, err
    assert "./wheels/app-1.0-py3-none-any.whl \\" in project.read("requirements/dev.txt")
    assert "# via -r requirements/dev.in" in project.read("requirements/dev.txt")


def test_pylock_names_archives_folders_and_checkouts(
    project: Project, capsys, tmp_path: Path
) -> None:
    project.wheel("util", "1.0")
    wheel = build_wheel(_wheels(project), "local", "1.0", requires=["util"])
    source_tree(project.root / "myapp", "myapp", "0.1")
    lines = "-e ./myapp\n./wheels/local-1.0-py3-none-any.whl\n"
    if shutil.which("git"):
        commit = _repository(tmp_path / "repo")
        lines += f"gitlib @ git+{(tmp_path / 'repo').as_uri()}@v1\n"
    project.write("requirements.in", lines)
    code, _, err = project.lock(
        "--format", "pylock", "-o", "pylock.toml", "requirements.in", capsys=capsys
    )
    assert code == 0, err
    text = project.read("pylock.toml")
    assert '[packages.archive]\npath = "./wheels/local-1.0-py3-none-any.whl"' in text
    assert f'sha256 = "{sha256(wheel)}"' in text
    assert '[packages.directory]\npath = "./myapp"\neditable = true' in text
    if shutil.which("git"):
        assert f'requested-revision = "v1"\ncommit-id = "{commit}"' in text
    code, _, err = project.lock(
        "--check", "--format", "pylock", "-o", "pylock.toml", "requirements.in", capsys=capsys
    )
    assert code == 0, err


def test_a_named_file_of_another_project_is_refused(project: Project, capsys) -> None:
    build_wheel(_wheels(project), "app", "1.0")
    project.write("requirements.in", "other @ file:./wheels/app-1.0-py3-none-any.whl\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 2
    assert "requirements.in:1: `file:./wheels/app-1.0-py3-none-any.whl` is app 1.0" in err
    project.write("requirements.in", "./wheels/missing-1.0-py3-none-any.whl\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 2 and "requirements.in:1: no such file or folder" in err


def test_a_wheel_for_another_target_is_refused(project: Project, capsys) -> None:
    build_wheel(_wheels(project), "native", "1.0", tag="cp313-cp313-win_amd64")
    project.write("requirements.in", "./wheels/native-1.0-cp313-cp313-win_amd64.whl\n")
    code, _, err = project.lock("--python-version", "3.11", "requirements.in", capsys=capsys)
    assert code == 2
    assert "requirements.in:1: `native-1.0-cp313-cp313-win_amd64.whl` is not for Python 3.11" in err
    project.write(
        "requirements.in",
        "./wheels/native-1.0-cp313-cp313-win_amd64.whl; sys_platform == 'win32'\n",
    )
    code, _, err = project.lock("--python-version", "3.11", "requirements.in", capsys=capsys)
    assert code == 0, err


def test_other_requirements_on_a_direct_project_must_admit_its_version(
    project: Project, capsys
) -> None:
    build_wheel(_wheels(project), "util", "1.0")
    project.wheel("util", "2.0")
    project.wheel("app", "1.0", requires=["util>=2"])
    project.write("requirements.in", "app\n./wheels/util-1.0-py3-none-any.whl\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 1 and "util" in err


@pytest.mark.slow
@needs_git
def test_pip_installs_every_kind_by_the_documented_policy(
    project: Project, capsys, tmp_path: Path
) -> None:
    """`pip install --require-hashes -r requirements.txt`, then each command the lock's
    header lists (`pip install --no-deps …`), with real pip and no network."""
    files = {"util/__init__.py": "VALUE = 1\n"}
    project.wheel("util", "1.0", files=files)
    served = project.wheel("served", "1.0", files={"served/__init__.py": ""})
    build_wheel(_wheels(project), "local", "1.0", files={"local/__init__.py": ""})
    linked = project.root / "linked"
    linked.mkdir()
    build_wheel(linked, "linkedlib", "1.0", files={"linkedlib/__init__.py": ""})
    repo = tmp_path / "repo"
    _repository(repo)
    source_tree(
        project.root / "myapp",
        "myapp",
        "0.1",
        requires=["util"],
        files={"myapp/__init__.py": "from util import VALUE\n"},
    )
    url = f"{project.index.url.removesuffix('/simple')}/files/{served.name}"
    project.write(
        "requirements.in",
        f"-e ./myapp\nserved @ {url}\n./wheels/local-1.0-py3-none-any.whl\n"
        f"gitlib @ git+{repo.as_uri()}@v1\n-f ./linked\nlinkedlib\n",
    )
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err
    text = project.read()
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    quiet = ["--no-input", "--disable-pip-version-check", "--isolated", "-q"]

    def pip(*args: str) -> None:
        done = subprocess.run(
            [python, "-m", "pip", "install", *quiet, "--index-url", project.index.url, *args],
            cwd=project.root,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr

    pip("--require-hashes", "-r", "requirements.txt")
    after = [line[len("#    pip install ") :] for line in text.splitlines()]
    after = [a for a in after if a.startswith("--no-deps")]
    assert len(after) == 2
    for line in after:
        pip(*shlex.split(line))
    done = subprocess.run(
        [python, "-c", "import myapp, served, local, gitlib, linkedlib; print(myapp.VALUE)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.stdout.strip() == "1", done.stderr
    _check(project, capsys)


@pytest.mark.parametrize(
    ("line", "url_end", "editable", "extras", "marker"),
    [
        ("-e ./pkg[dev]", "/pkg", True, {"dev"}, None),
        ('-e ./pkg ; python_version < "3.0"', "/pkg", True, set(), 'python_version < "3.0"'),
        ("app-1.0-py3-none-any.whl", "/app-1.0-py3-none-any.whl", False, set(), None),
        ("./x-1.0.tar.gz --hash=sha256:abc", "/x-1.0.tar.gz", False, set(), None),
        (
            "lib @ file:./wheels/lib-1.0-py3-none-any.whl",
            "/wheels/lib-1.0-py3-none-any.whl",
            False,
            set(),
            None,
        ),
    ],
)
def test_direct_lines_are_read_as_pip_reads_them(
    tmp_path: Path, monkeypatch, line, url_end, editable, extras, marker
) -> None:
    from symres.lock.inputs import read_inputs

    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.in").write_text(line + "\n")
    inputs = read_inputs([Path("requirements.in")])
    assert not inputs.requirements
    (ref,) = inputs.direct
    assert ref.url == (tmp_path.resolve().as_uri() + url_end)  # from the current folder
    assert (ref.editable, set(ref.extras)) == (editable, extras)
    assert (str(ref.marker) if ref.marker else None) == marker


def test_credentials_in_a_direct_url_are_never_shown(project: Project, capsys) -> None:
    base = project.index.url.removesuffix("/simple").replace("http://", "http://user:SECRET@")
    project.write("requirements.in", f"app @ {base}/files/app-1.0.tar.gz\n")
    code, out, err = project.lock("requirements.in", capsys=capsys)
    assert code == 2 and "answered HTTP 404" in err
    assert "SECRET" not in out + err and "user:****@" in err
    token = project.index.url.removesuffix("/simple").replace("http://", "http://TOKEN123@")
    wheel = project.wheel("app", "1.0")
    project.write("requirements.in", f"app @ {token}/files/{wheel.name}\n")
    code, out, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err
    assert "TOKEN123" not in out + err + project.read()
    assert (
        f"app @ {project.index.url.removesuffix('/simple')}/files/{wheel.name} \\" in project.read()
    )


def test_a_build_backend_runs_without_credentials(
    project: Project, capsys, tmp_path: Path, monkeypatch
) -> None:
    import json

    seen = tmp_path / "backend-env.json"
    project.wheel("lib", "1.0")
    source_tree(project.root, "myapp", "0.1", requires=["lib"], dynamic=True)
    backend = (project.root / "backend.py").read_text()
    (project.root / "backend.py").write_text(
        f"import json, os\njson.dump(dict(os.environ), open({str(seen)!r}, 'w'))\n" + backend
    )
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "https://user:SECRET1@127.0.0.1:9/simple")
    monkeypatch.setenv("MY_SERVICE_TOKEN", "SECRET2")
    monkeypatch.setenv("HARMLESS", "kept")
    project.write("requirements.in", "-e .\n")
    code, _, err = project.lock(
        "--extra-index-url", project.index.url, "requirements.in", capsys=capsys
    )
    assert code == 0, err
    env = json.loads(seen.read_text())
    assert env["HARMLESS"] == "kept"
    assert "SECRET1" not in json.dumps(env) and "SECRET2" not in json.dumps(env)


def test_a_url_hash_that_does_not_match_the_file_is_refused(project: Project, capsys) -> None:
    wheel = build_wheel(_wheels(project), "app", "1.0")
    project.write("requirements.in", f"app @ {wheel.as_uri()}#sha256={'0' * 64}\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 2 and "does not match the sha256 its URL gives" in err
    project.write("requirements.in", f"app @ {wheel.as_uri()}#sha256={sha256(wheel)}\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0


@needs_git
def test_git_urls_git_cannot_take_are_refused(project: Project, capsys, tmp_path: Path) -> None:
    project.write("requirements.in", "lib @ git+git@127.0.0.1:o/r.git@v1\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 2 and "is not a URL git+ can name" in err and "git+ssh://" in err
    project.wheel("util", "1.0")
    repo = tmp_path / "repo"
    _repository(repo)
    for sub in ("missing", "../.."):
        project.write("requirements.in", f"gitlib @ git+{repo.as_uri()}@v1#subdirectory={sub}\n")
        code, _, err = project.lock("requirements.in", capsys=capsys)
        assert code == 2 and f"the checkout has no folder `{sub}`" in err, sub


def test_find_links_travel_with_the_lock_to_installers(tmp_path: Path, monkeypatch) -> None:
    """verify and sdist builds install from where the lock says, not from an index."""
    from symres.index.config import IndexConfig
    from symres.index.pythons import index_args
    from symres.lock.lockfile import parse_requirements_lock

    (tmp_path / "wheels").mkdir()
    monkeypatch.chdir(tmp_path)
    lock = parse_requirements_lock(
        "--no-index\n--find-links ./wheels\nlib==1.0 \\\n    --hash=sha256:00\n",
        tmp_path / "requirements.txt",
    )
    folder = str((tmp_path / "wheels").resolve())
    assert lock.no_index and lock.find_links == [folder]
    assert f"--no-index\n--find-links {folder}\nlib==1.0" in lock.requirements_text()
    config = IndexConfig("http://127.0.0.1:9/simple", ("http://x/simple",), find_links=(folder,))
    assert index_args(config, "pip") == [
        "--index-url",
        "http://127.0.0.1:9/simple",
        "--extra-index-url",
        "http://x/simple",
        "--find-links",
        folder,
    ]
    offline = IndexConfig("http://127.0.0.1:9/simple", find_links=(folder,), no_index=True)
    assert index_args(offline, "uv") == ["--no-index", "--find-links", folder]
