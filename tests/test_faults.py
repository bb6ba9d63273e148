"""A misbehaving index on 127.0.0.1: each fault ends in one line naming the URL, exit 2,
no traceback, and nothing cached that would break the next run against a good index."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.conftest import Project
from tests.test_lock import pins

JSON = "application/vnd.pypi.simple.v1+json"


@pytest.mark.parametrize(
    ("body", "ctype", "said"),
    [
        (b'{"files": [', JSON, "(JSON: JSONDecodeError"),
        (b'["not", "a", "page"]', JSON, "(JSON: TypeError: expected an object"),
        (b'{"files": [{"url": "x"}]}', JSON, "(JSON: TypeError: a file entry"),
        (b"Service temporarily replaced by a cat", "text/html", "(HTML: ValueError: no HTML"),
        (b"[" * 100_000 + b"]" * 100_000, JSON, "(JSON: RecursionError"),
    ],
    ids=["invalid-json", "json-list", "file-without-name", "not-html", "json-100k-deep"],
)
def test_a_page_that_does_not_parse_is_one_line_and_never_cached(
    project: Project, capsys, body: bytes, ctype: str, said: str
) -> None:
    project.wheel("a", "1.0")
    project.write("requirements.in", "a\n")
    project.index.page_override = (body, ctype)
    code, out, err = project.lock("requirements.in", capsys=capsys)
    assert code == 2
    assert err.startswith(f"error: `{project.index.url}/a/` is not a project page {said}")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 3  # error, blank, hint
    project.index.page_override = None  # the index is good again: no --refresh needed
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err
    assert pins(project.read()) == {"a": "1.0"}


def test_a_redirect_loop_is_one_line(project: Project, capsys) -> None:
    project.wheel("a", "1.0")
    project.write("requirements.in", "a\n")
    project.index.redirect_loop = True
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 2
    assert f"error: `{project.index.url}/a/` cannot be read (TooManyRedirects" in err
    assert "Traceback" not in err


def test_a_killed_writers_temporary_is_swept_a_live_ones_is_not(project: Project, capsys) -> None:
    import os

    project.wheel("a", "1.0")
    project.write("requirements.in", "a\n")
    dead = project.root / ".requirements.txt.999999999.abcd1234.tmp"  # no such process
    young = project.root / ".requirements.txt.999999998.abcd1234.tmp"  # gone, but just now
    live = project.root / f".requirements.txt.{os.getppid()}.abcd1234.tmp"  # pytest's parent
    other = project.root / ".requirements.txt.5.999999999.abcd1234.tmp"  # another file's
    for path in (dead, young, live, other):
        path.write_text("a temporary")
    for path in (dead, live, other):
        os.utime(path, (1e9, 1e9))
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err
    assert not dead.exists()
    assert young.exists() and live.exists() and other.exists()


def test_a_corrupt_deflate_stream_in_a_consumer_is_no_traceback(project: Project, capsys) -> None:
    import struct
    import zipfile

    body = "from lib import thing\n" + "x = 1\n" * 400  # long enough to be deflated
    wheel = project.wheel("app", "1.0", requires=["lib"], files={"app/__init__.py": body})
    project.wheel("lib", "1.0", files={"lib/__init__.py": "thing = 1\n"})
    data = bytearray(wheel.read_bytes())
    with zipfile.ZipFile(wheel) as zf:
        info = zf.getinfo("app/__init__.py")
    assert info.compress_type == zipfile.ZIP_DEFLATED
    nlen, xlen = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + nlen + xlen
    data[start : start + 8] = b"\xff" * 8  # an invalid deflate block
    wheel.write_bytes(bytes(data))
    project.write("requirements.in", "app\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert "Traceback" not in err and "zlib" not in err.split("\n")[0]
    assert code == 0, err
    assert pins(project.read()) == {"app": "1.0", "lib": "1.0"}


def test_a_member_that_lies_about_its_size_is_unreadable_not_inflated(
    project: Project, capsys
) -> None:
    """The figure (RSS on a 1.2 GiB bomb) is scripts/bench_bomb.py's; this is the outcome."""
    from tests.builders import lying_wheel

    project.index.add(lying_wheel(project.dists, "bomb", "1.0", inflates_to=64 << 20))
    project.write("requirements.in", "bomb\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err
    assert pins(project.read()) == {"bomb": "1.0"}
    assert "Traceback" not in err
    capsys.readouterr()
    from symres.cli import main

    assert main(["symbols", "uses", "bomb==1.0", "--index-url", project.index.url]) == 0
    assert "(1 unreadable)" in capsys.readouterr().out


def test_a_corrupt_newest_wheel_is_a_warning_and_strict_makes_it_an_error(
    project: Project, capsys
) -> None:
    project.wheel("a", "1.0")
    broken = project.wheel("a", "2.0")
    broken.write_bytes(broken.read_bytes()[:40])  # a truncated upload
    project.write("requirements.in", "a\n")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err
    assert pins(project.read()) == {"a": "1.0"}
    assert "warning: a 2.0 is unusable — a-2.0-py3-none-any.whl: cannot read METADATA" in err
    assert "a 1.0 is locked instead" in err
    (project.root / "requirements.txt").unlink()
    code, _, err = project.lock("--strict", "-U", "requirements.in", capsys=capsys)
    assert code == 1 and "1 newer release(s) could not be read: a 2.0 is unusable" in err
    assert not (project.root / "requirements.txt").exists()


def _rezip(path, keep=lambda name: True, extra=()) -> None:
    with zipfile.ZipFile(path) as zf:
        members = [(n, zf.read(n)) for n in zf.namelist() if keep(n)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in [*members, *extra]:
            zf.writestr(name, data)


def _no_metadata(path) -> None:
    _rezip(path, keep=lambda n: not n.endswith("/METADATA"))


def _two_metadata(path) -> None:
    _rezip(path, extra=[("b-1.0.dist-info/METADATA", b"Name: b\nVersion: 1.0\n")])


def _corrupt_directory(path) -> None:
    data = bytearray(path.read_bytes())
    at = data.rindex(b"PK\x01\x02")  # the last central directory entry
    data[at : at + 30] = b"\xff" * 30
    path.write_bytes(bytes(data))


def _huge_metadata(path) -> None:  # the directory says METADATA is 300 MiB
    data = bytearray(path.read_bytes())
    at = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02"))
    while not data[at + 46 : at + 46 + 200].split(b"PK")[0].endswith(b"/METADATA"):
        at = data.index(b"PK\x01\x02", at + 4)
    data[at + 24 : at + 28] = (300 * 2**20).to_bytes(4, "little")
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (_no_metadata, "expected one .dist-info/METADATA, found 0"),
        (_two_metadata, "expected one .dist-info/METADATA, found 2"),
        (_corrupt_directory, "cannot read METADATA"),
        (_huge_metadata, "METADATA is 314572800 bytes"),
        ("range_lie", "the server answered a range request with the wrong bytes"),
    ],
    ids=["no-metadata", "two-metadata", "corrupt-directory", "huge-metadata", "content-range"],
)
def test_unreadable_metadata_of_a_pin_leads_with_the_file_and_why(
    project: Project, capsys, fault, said: str
) -> None:
    wheel = project.wheel("a", "1.0")
    if fault == "range_lie":
        project.index.range_lie = 100  # every Content-Range says 100 bytes later than sent
    else:
        fault(wheel)
    project.write("requirements.in", "a==1.0\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 2, err
    first = err.splitlines()[0]
    assert first.startswith(
        "error: no release of `a` matching ==1.0 can be used: a 1.0 is unusable — "
        "a-1.0-py3-none-any.whl: "
    ), first
    assert said in first and "Traceback" not in err and "--ignore-symbol" not in err
    project.index.range_lie = 0
    project.wheel("a", "1.0")  # a good upload replaces it: nothing bad was cached
    (project.root / "requirements.txt").unlink(missing_ok=True)
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 0, err


@pytest.mark.parametrize("kind", ["tar.gz", "zip"])
def test_an_sdist_member_outside_its_folder_is_refused(project: Project, capsys, kind: str) -> None:
    import io
    import tarfile

    from tests.builders import build_sdist

    built = build_sdist(project.root, "evil", "1.0", static=False)
    with tarfile.open(built) as tf:
        members = [(m.name, tf.extractfile(m).read()) for m in tf if m.isfile()]  # type: ignore[union-attr]
    members.append(("evil-1.0/../../escaped.py", b"x = 1\n"))
    out = project.dists / f"evil-1.0.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(out, "w") as zf:
            for name, data in members:
                zf.writestr(name, data)
    else:
        with tarfile.open(out, "w:gz") as tf:
            for name, data in members:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    project.index.add(out)
    project.write("requirements.in", "evil==1.0\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 2, err
    error = next(line for line in err.splitlines() if line.startswith("error: "))
    assert error.startswith("error: no release of `evil` matching ==1.0 can be used: ")
    assert f"evil-1.0.{kind}" in error and "Traceback" not in err
    assert "from its sdist" not in err  # refused before any package code could run
    import tempfile  # the build's folder is under it: `../../` would land here

    assert not list(Path(tempfile.gettempdir()).rglob("escaped.py"))  # nothing written


def _grep_tree(folder, needle: str) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def _lock_pylock(index_url: str, capsys) -> tuple[int, str, str]:
    """`symres lock -i INDEX_URL --format pylock` of the project's requirements.in."""
    from symres.cli import main

    capsys.readouterr()
    code = main(
        ["lock", "-i", index_url, "--format", "pylock", "-o", "pylock.toml", "requirements.in"]
    )
    out, err = capsys.readouterr()
    return code, out, err


def test_index_credentials_authenticate_and_are_kept_nowhere(
    project: Project, capsys, tmp_path
) -> None:
    import os

    project.wheel("a", "1.0", requires=["b"])
    project.wheel("b", "1.0")
    project.index.auth = ("user", "s3cret")
    project.write("requirements.in", "a\n")
    secret = project.index.url.replace("http://", "http://user:s3cret@")
    code, out, err = _lock_pylock(secret, capsys)
    from symres.cli import main

    assert code == 0, err
    assert "s3cret" not in out + err
    assert not _grep_tree(project.root, "s3cret")  # the lock
    assert not _grep_tree(tmp_path / "cache", "s3cret")  # every cache file
    # the same credentials from ~/.netrc, for an index URL that has none
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login user password s3cret\n")
    os.chmod(netrc, 0o600)
    os.environ["NETRC"] = str(netrc)
    try:
        code = main(
            ["lock", "--no-cache", "-i", project.index.url, "-o", "again.txt", "requirements.in"]
        )
    finally:
        del os.environ["NETRC"]
    assert code == 0, capsys.readouterr().err
    assert pins(project.read("again.txt")) == {"a": "1.0", "b": "1.0"}
    project.index.auth = ("user", "other")
    code = main(["lock", "--no-cache", "-i", project.index.url, "-o", "x.txt", "requirements.in"])
    err = capsys.readouterr().err
    assert code == 2 and "answered HTTP 401" in err and "s3cret" not in err


@pytest.mark.parametrize("provider", ["auto", "subprocess", "disabled"])
def test_a_password_from_the_keyring_command_authenticates_and_is_kept_nowhere(
    project: Project, capsys, tmp_path, monkeypatch, provider: str
) -> None:
    """An index URL with a user name and no password: as pip, the `keyring` command is
    asked for it (by the index URL, then its host), unless `keyring-provider` says not."""
    import os

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    asked = tmp_path / "asked"
    fake = bin_dir / "keyring"
    fake.write_text(
        f'#!/bin/sh\necho "$@" >> {asked}\n'
        '[ "$1" = get ] && [ "$2" = 127.0.0.1:'
        + str(project.index.httpd.server_address[1])
        + " ] && "
        '[ "$3" = user ] && echo s3cret && exit 0\nexit 1\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PIP_KEYRING_PROVIDER", provider)
    project.wheel("a", "1.0")
    project.index.auth = ("user", "s3cret")
    project.write("requirements.in", "a\n")
    code, out, err = _lock_pylock(project.index.url.replace("http://", "http://user@"), capsys)

    if provider == "disabled":
        assert code == 2 and "HTTP 401" in err and not asked.exists()
        return
    assert code == 0, err
    assert "s3cret" not in out + err
    assert not _grep_tree(project.root, "s3cret") and not _grep_tree(tmp_path / "cache", "s3cret")
    # asked by the URL first, then by the host, once for the whole lock
    assert asked.read_text().splitlines() == [
        f"get {project.index.url} user",
        f"get 127.0.0.1:{project.index.httpd.server_address[1]} user",
    ]


def _fake_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: bytes) -> None:
    """A `keyring` command on PATH that runs *script* (sh)."""
    import os

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "keyring").write_bytes(b"#!/bin/sh\n" + script)
    (bin_dir / "keyring").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def test_a_user_name_the_index_accepts_alone_never_goes_to_the_keyring(
    project: Project, capsys, tmp_path, monkeypatch
) -> None:
    """A token given as the user name: the index takes it, so the keyring command (whose
    arguments any local user can read) is never run with it."""
    asked = tmp_path / "asked"
    _fake_keyring(tmp_path, monkeypatch, f'echo "$@" >> {asked}\nexit 1\n'.encode())
    project.wheel("a", "1.0")
    project.index.auth = ("t0ken", "")
    project.write("requirements.in", "a\n")
    code, out, err = _lock_pylock(project.index.url.replace("http://", "http://t0ken@"), capsys)
    assert code == 0, err
    assert not asked.exists() and "t0ken" not in out + err


def test_a_keyring_that_prints_bytes_is_no_traceback(
    project: Project, capsys, tmp_path, monkeypatch
) -> None:
    _fake_keyring(tmp_path, monkeypatch, b"printf '\\377\\n'\n")
    project.wheel("a", "1.0")
    project.index.auth = ("user", "s3cret")
    project.write("requirements.in", "a\n")
    code, _, err = _lock_pylock(project.index.url.replace("http://", "http://user@"), capsys)
    assert code == 2 and "answered HTTP 401" in err and "Traceback" not in err


def test_an_index_url_from_variables_is_written_as_written(
    project: Project, capsys, tmp_path, monkeypatch
) -> None:
    """`${VAR}` in a requirements file's index URL (pip expands it): the lock keeps the
    reference, which pip expands again at install time; the secret is in no file."""
    project.wheel("a", "1.0")
    project.index.auth = ("user", "s3cret")
    monkeypatch.setenv("INDEX_USER", "user")
    monkeypatch.setenv("INDEX_PASSWORD", "s3cret")
    url = project.index.url.replace("http://", "http://${INDEX_USER}:${INDEX_PASSWORD}@")
    project.write("requirements.in", f"--index-url {url}\na\n")
    capsys.readouterr()
    from symres.cli import main

    code = main(["lock", "--emit-index-url", "requirements.in"])  # authenticates: expanded
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"--index-url {url}\n" in project.read()
    assert "s3cret" not in out + err and not _grep_tree(project.root, "s3cret")
    assert not _grep_tree(tmp_path / "cache", "s3cret")


def test_a_public_index_cannot_shadow_a_private_project(project: Project, capsys) -> None:
    """Dependency confusion: `corp-lib` on the private (extra) index, a higher version of
    the same name on the default one. The first index that has it serves all of it."""
    from symres.cli import main
    from tests.builders import build_wheel
    from tests.index_server import IndexServer

    private = IndexServer()
    private.add(build_wheel(project.dists, "corp-lib", "1.0", requires=["util"]))
    private.start()
    try:
        (project.dists / "public").mkdir()
        project.index.add(build_wheel(project.dists / "public", "corp-lib", "99.0"))
        project.wheel("util", "1.0")  # only on the default index: still found there
        project.write("requirements.in", "corp-lib\n")
        capsys.readouterr()
        args = ["lock", "-i", project.index.url, "--extra-index-url", private.url]
        assert main([*args, "requirements.in"]) == 0, capsys.readouterr().err
        assert pins(project.read()) == {"corp-lib": "1.0", "util": "1.0"}
        assert main([*args, "--index-strategy", "unsafe-best-match", "-U", "requirements.in"]) == 0
        assert pins(project.read()) == {"corp-lib": "99.0"}  # pip's way: the best of all
        assert "--index-strategy unsafe-best-match" in project.read()
        project.write("requirements.in", "corp-lib>=2\n")  # only the public index has it
        assert main([*args, "requirements.in"]) == 1
        err = capsys.readouterr().err
        assert "the first that has a project serves all of it" in err
        assert "`--index-strategy unsafe-best-match` merges them" in err
    finally:
        private.stop()


def test_a_server_that_trickles_is_cut_at_the_deadline(
    project: Project, capsys, monkeypatch
) -> None:
    project.wheel("a", "1.0")
    project.write("requirements.in", "a\n")
    project.index.trickle = 0.05  # 20 bytes/s: each read is quick, the whole never comes
    monkeypatch.setenv("PIP_DEFAULT_TIMEOUT", "0.25")  # the deadline is 4x: 1 s
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 2
    assert f"`{project.index.url}/a/` sent " in err and "too slow (the deadline is 1s" in err
    assert "PIP_DEFAULT_TIMEOUT" in err and "Traceback" not in err


def test_verify_installs_with_the_credentials_the_lock_hides(tmp_path) -> None:
    """The install step gets them (from the user's configuration); the checks get none."""
    from symres.index.config import IndexOptions
    from symres.verify.tier import _install_text

    lock = tmp_path / "requirements.txt"
    lock.write_text("--index-url http://user:****@127.0.0.1:9/simple\n\na==1.0\n")
    from symres.lock.formats import read_lockfile

    parsed = read_lockfile(lock)
    given = IndexOptions(index_url="http://user:pw@127.0.0.1:9/simple")
    assert _install_text(parsed, given).startswith(
        "--index-url http://user:pw@127.0.0.1:9/simple\n"
    )
    other = IndexOptions(index_url="http://127.0.0.1:8/simple")
    assert _install_text(parsed, other).startswith("--index-url http://127.0.0.1:9/simple\n")


def test_credentials_go_to_their_own_index_only() -> None:
    import httpx

    from symres.index.auth import IndexAuth

    auth = IndexAuth(
        [
            "https://u:p@host:443/simple",
            "https://a:A@127.0.0.1:8443/api/projects/1/pypi/simple",
            "https://b:B@127.0.0.1:8443/api/projects/2/pypi/simple",
        ]
    )

    def creds(url: str) -> tuple[str, str] | None:
        return auth.credentials(httpx.URL(url))

    assert creds("https://host/simple/x/") == ("u", "p")  # :443 is https' own port
    assert creds("https://host/files/x.whl") == ("u", "p")  # its files, beside its pages
    assert creds("http://host/simple/x/") is None  # never in clear text
    assert creds("https://127.0.0.1:8443/api/projects/2/pypi/simple/x/") == ("b", "B")
    assert creds("https://127.0.0.1:8443/api/projects/1/pypi/files/x.whl") == ("a", "A")
    assert creds("https://z:Z@elsewhere/x.whl") == ("z", "Z")  # a direct URL's own


def test_a_slow_keyring_holds_up_only_the_index_it_was_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A keyring answering for one index (a prompt, a locked vault) does not stop the
    requests to the others."""
    import os
    import threading

    from symres.index.auth import IndexAuth

    release = tmp_path / "release"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "keyring"
    fake.write_text(
        "#!/bin/sh\n"
        f'[ "$3" = slow ] && while [ ! -e {release} ]; do sleep 0.05; done\n'
        "echo pw-for-$3\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    slow, fast = "https://127.0.0.1:1/simple", "https://127.0.0.1:2/simple"
    auth = IndexAuth([slow.replace("//", "//slow@"), fast.replace("//", "//fast@")])
    answers: dict[str, str] = {}

    def ask(index: str, user: str) -> None:
        answers[user] = auth._from_keyring(index, user)

    waiting = threading.Thread(target=ask, args=(slow, "slow"), daemon=True)
    waiting.start()
    try:
        other = threading.Thread(target=ask, args=(fast, "fast"), daemon=True)
        other.start()
        other.join(timeout=8)  # the slow one's keyring would give up after 10 s
        assert answers.get("fast") == "pw-for-fast"
        assert waiting.is_alive()
    finally:
        release.touch()
        waiting.join(timeout=10)
    assert answers["slow"] == "pw-for-slow"


def test_an_empty_page_is_a_project_without_files(project: Project, capsys) -> None:
    project.wheel("a", "1.0")
    project.write("requirements.in", "a\n")
    project.index.page_override = (b"", "text/html")
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 1 and "not a project page" not in err


def test_a_lock_or_cache_that_cannot_be_written_is_one_line(
    project: Project, capsys, monkeypatch
) -> None:
    project.wheel("a", "1.0")
    project.write("requirements.in", "a\n")
    (project.root / "a-file").write_text("")  # a folder cannot be made under a file

    code, _, err = project.lock("requirements.in", "-o", "a-file/requirements.txt", capsys=capsys)
    assert code == 2
    assert err.startswith("error: cannot use `a-file`: a file is in the way")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 3  # error, blank, hint

    monkeypatch.setenv("SYMRES_CACHE_DIR", str(project.root / "a-file" / "cache"))
    code, _, err = project.lock("requirements.in", capsys=capsys)
    assert code == 2
    assert "error: cannot use `" in err and "a-file/cache" in err and "Traceback" not in err
    assert not (project.root / "requirements.txt").exists()  # nothing half-written


def test_a_second_lock_into_a_relative_folder_after_a_chdir(
    project: Project, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One process (a bot, a test) locking two projects into `locks/`: the folder made for
    the first is not taken for the second's."""
    project.wheel("app", "1.0")
    project.write("requirements.in", "app\n")
    code, _, err = project.lock("-o", "locks/a.txt", "requirements.in", capsys=capsys)
    assert code == 0, err
    other = project.root / "other"
    other.mkdir()
    (other / "requirements.in").write_text("app\n", encoding="utf-8")
    monkeypatch.chdir(other)
    code, _, err = project.lock("-o", "locks/a.txt", "requirements.in", capsys=capsys)
    assert code == 0, err
    assert (other / "locks" / "a.txt").is_file()


def test_a_pylock_read_back_by_pep_751s_rules(tmp_path: Path) -> None:
    """pylock.toml is read with packaging.pylock: the project itself as a directory
    without a version (as uv writes it) is skipped; a lock PEP 751 rejects is named."""
    from symres.errors import InputError
    from symres.lock.formats import read_lockfile

    good = tmp_path / "pylock.toml"
    good.write_text(
        'lock-version = "1.0"\ncreated-by = "uv"\n'
        '[[packages]]\nname = "me"\ndirectory = { path = "." }\n'
        '[[packages]]\nname = "lib"\nversion = "2.0"\n'
        '[[packages.wheels]]\nname = "lib-2.0-py3-none-any.whl"\n'
        'url = "http://127.0.0.1/lib-2.0-py3-none-any.whl"\nhashes = { sha256 = "ab" }\n',
        encoding="utf-8",
    )
    lock = read_lockfile(good)
    assert {n: str(e.version) for n, e in lock.entries.items()} == {"lib": "2.0"}
    assert lock.entries["lib"].hashes == ["sha256:ab"]

    bad = tmp_path / "pylock.bad.toml"
    bad.write_text('[[packages]]\nname = "lib"\nversion = "2.0"\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_lockfile(bad)
    assert caught.value.message.startswith(f"{bad}: not a PEP 751 lock (")
