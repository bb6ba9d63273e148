"""Which index pip would use, and what a target platform means."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from symres.errors import InputError
from symres.index.config import load_index_config, pip_default_index
from symres.target import make_target


def test_pip_precedence_cli_over_env_over_files(tmp_path: Path) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_text(
        "[global]\nindex-url = http://example.com/files/simple\n"
        "extra-index-url = http://example.com/a/simple\n    http://example.com/b/simple\n"
        "cert = /tmp/ca.pem\nkeyring-provider = disabled\n"
    )
    env = {
        "PIP_CONFIG_FILE": str(conf),
        "HOME": str(tmp_path),
        "XDG_CONFIG_DIRS": str(tmp_path / "none"),
    }
    cfg = load_index_config(env=env)
    assert cfg.urls == (
        "http://example.com/files/simple",
        "http://example.com/a/simple",
        "http://example.com/b/simple",
    )
    assert cfg.cert == "/tmp/ca.pem" and not cfg.index_is_default
    assert cfg.keyring_provider == "disabled"  # pip.conf's, as PIP_KEYRING_PROVIDER's
    cfg = load_index_config(env={**env, "PIP_KEYRING_PROVIDER": "subprocess"})
    assert cfg.keyring_provider == "subprocess"

    cfg = load_index_config(env={**env, "PIP_INDEX_URL": "http://example.com/env/simple/"})
    assert cfg.index_url == "http://example.com/env/simple"

    cfg = load_index_config(
        index_url="http://example.com/cli/simple", env={**env, "PIP_INDEX_URL": "x"}
    )
    assert cfg.index_url == "http://example.com/cli/simple"


def test_devnull_config_falls_back_to_pips_own_default() -> None:
    cfg = load_index_config(env={"PIP_CONFIG_FILE": os.devnull})
    assert cfg.index_is_default
    assert cfg.index_url == pip_default_index().rstrip("/")
    assert cfg.extra_index_urls == ()


def test_manylinux_target_accepts_older_glibc_and_legacy_tags() -> None:
    target = make_target("3.10", "manylinux_2_28_x86_64")
    platforms = {t.platform for t in target.tags}
    assert {
        "manylinux_2_28_x86_64",
        "manylinux_2_17_x86_64",
        "manylinux2014_x86_64",
        "manylinux1_x86_64",
        "any",
    } <= platforms
    assert "manylinux_2_31_x86_64" not in platforms and "linux_x86_64" not in platforms
    assert {t.interpreter for t in target.tags} >= {"cp310", "py3", "py310"}
    assert "cp311" not in {t.interpreter for t in target.tags}
    assert target.env["sys_platform"] == "linux" and target.env["python_full_version"] == "3.10.0"


@pytest.mark.parametrize(
    ("tag", "sys_platform", "machine"),
    [
        ("macosx_11_0_arm64", "darwin", "arm64"),
        ("win_amd64", "win32", "AMD64"),
        ("musllinux_1_2_aarch64", "linux", "aarch64"),
    ],
)
def test_markers_of_other_platforms(tag: str, sys_platform: str, machine: str) -> None:
    env = make_target("3.12", tag).env
    assert (env["sys_platform"], env["platform_machine"]) == (sys_platform, machine)


@pytest.mark.parametrize(
    ("python", "platform"), [("2.7", None), ("three", None), ("3.11", "amiga")]
)
def test_bad_target_is_an_input_error(python: str, platform: str | None) -> None:
    with pytest.raises(InputError):
        make_target(python, platform)


def test_unparsable_file_names_on_an_index_are_skipped() -> None:
    from symres.index.pages import parse_json_page

    body = (
        b'{"files": [{"filename": "x-1.0-py36+-none-any.whl", "url": "x-1.0-py36+-none-any.whl"},'
        b' {"filename": "x-1.0-py3-none-any.whl", "url": "x-1.0-py3-none-any.whl"}]}'
    )
    files = parse_json_page("x", body, "http://127.0.0.1/simple/x/")  # type: ignore[arg-type]
    assert [f.filename for f in files] == ["x-1.0-py3-none-any.whl"]
