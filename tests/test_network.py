"""A small lock against the configured real index. Run with `pytest -m network`.

Skipped, not failed, when the index cannot be reached: these tests check symres,
not the network.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from symres.cli import main
from symres.index.config import load_index_config

pytestmark = pytest.mark.network
# pip's merge of every configured index: a machine's pip.conf may list partial local
# mirrors as extra indexes (this one does), which first-index would ask first
LOCK = ["lock", "--index-strategy", "unsafe-best-match"]


@pytest.fixture
def real_index(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("PIP_CONFIG_FILE")  # use the machine's pip configuration
    config = load_index_config(env={k: v for k, v in os.environ.items() if k != "PIP_CONFIG_FILE"})
    try:
        httpx.get(config.index_url + "/idna/", timeout=10, follow_redirects=True).raise_for_status()
    except httpx.HTTPError as exc:
        pytest.skip(f"index unreachable: {exc}")
    return config.index_url


def test_lock_a_small_real_set(real_index: str, tmp_path: Path, capsys) -> None:
    req = tmp_path / "requirements.in"
    req.write_text("requests<3\nidna\n")

    code = main(
        [*LOCK, str(req), "--python-version", "3.10", "--platform", "manylinux_2_28_x86_64"]
    )

    err = capsys.readouterr().err
    assert code == 0, err
    text = (tmp_path / "requirements.txt").read_text()
    for name in ("requests==", "idna==", "urllib3==", "certifi==", "charset-normalizer=="):
        assert name in text
    assert "--hash=sha256:" in text


def test_exclude_newer_reads_the_real_index_upload_times(
    real_index: str, tmp_path: Path, capsys
) -> None:
    """requests 2.22.0 came out in May 2019, 2.23.0 in February 2020."""
    req = tmp_path / "requirements.in"
    req.write_text("requests\n")
    code = main([*LOCK, "-q", "--symbols", "off", "--exclude-newer", "2020-01-01", str(req)])
    assert code == 0, capsys.readouterr().err
    assert "requests==2.22.0" in (tmp_path / "requirements.txt").read_text()


@pytest.mark.parametrize(("werkzeug", "passes"), [("3.0.0", False), ("2.3.8", True)])
def test_verify_flask_2_2_2_with_werkzeug(
    real_index: str, tmp_path: Path, capsys, werkzeug: str, passes: bool
) -> None:
    """Flask 2.2.2 imports url_quote from werkzeug.urls; Werkzeug 3.0.0 removed it."""
    req = tmp_path / "requirements.in"
    req.write_text(f"flask==2.2.2\nwerkzeug=={werkzeug}\n")
    lock = tmp_path / "requirements.txt"
    assert main([*LOCK, "-q", "--symbols", "off", str(req), "-o", str(lock)]) == 0
    capsys.readouterr()

    code = main(["verify", "--index-strategy", "unsafe-best-match", str(lock)])

    out = capsys.readouterr().out
    if passes:
        assert code == 0, out
        assert "import tier passed" in out
    else:
        assert code == 1
        assert "cannot import name 'url_quote' from 'werkzeug.urls'" in out
        assert "flask 2.2.2: from werkzeug.urls import url_quote" in out


@pytest.mark.parametrize(
    ("pin", "python", "platform"),
    [
        # no wheel for the target; gevent's own build needs Cython alphas the index no
        # longer has, pyproj's needs the PROJ library: their wheels' METADATA is read
        ("gevent==20.9.0", "3.8", "macosx_11_0_arm64"),
        ("pyproj==3.3.1", "3.11", "manylinux_2_28_x86_64"),
    ],
)
def test_sdist_only_releases_lock_from_their_wheels_metadata(
    real_index: str, tmp_path: Path, capsys, pin: str, python: str, platform: str
) -> None:
    req = tmp_path / "requirements.in"
    req.write_text(pin + "\n")

    code = main(
        [*LOCK, "--symbols", "off", str(req), "--python-version", python, "--platform", platform]
    )

    err = capsys.readouterr().err
    assert code == 0, err
    assert "build backend" not in err  # no package code ran
    text = (tmp_path / "requirements.txt").read_text()
    name, version = pin.split("==")
    block = text.split(f"{name}=={version} \\")[1].split("# via")[0]
    assert ".tar.gz" not in block and block.count("--hash=sha256:") > 5  # every file hashed


def test_a_lock_for_manylinux_2_28_installs_where_pip_picks_a_newer_wheel(
    real_index: str, tmp_path: Path, capsys
) -> None:
    """Hashes cover every file of a locked release: on a newer glibc the installer picks
    a manylinux_2_34 wheel the target's tags do not list, and its hash is in the lock."""
    req = tmp_path / "requirements.in"
    req.write_text("cryptography==50.0.2\ndebugpy==1.8.22\n")
    lock = tmp_path / "requirements.txt"
    code = main(
        [
            *LOCK,
            "-q",
            "--symbols",
            "off",
            str(req),
            "-o",
            str(lock),
            "--python-version",
            f"{sys.version_info[0]}.{sys.version_info[1]}",
            "--platform",
            "manylinux_2_28_x86_64",
        ]
    )
    assert code == 0, capsys.readouterr().err
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--require-hashes",
            "--target",
            str(tmp_path / "site"),
            "-r",
            str(lock),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_transformers_lazy_integrations_are_closed_tables(real_index: str, capsys) -> None:
    """The break symres was started for: `validate_bnb_backend_availability` exists in
    `transformers.integrations` only from 4.45.0; the module is a `_LazyModule` that
    serves its import structure and nothing else."""
    import json

    served = {}
    for version in ("4.44.2", "4.45.0"):
        args = ["symbols", "exports", f"transformers=={version}", "transformers.integrations"]
        code = main([*args, "--json", "--python-version", "3.10", *LOCK[1:]])
        out, err = capsys.readouterr()
        assert code == 0, err
        facts = json.loads(out)["getattr"]
        assert facts["other names"] == "missing", facts
        served[version] = set(facts["served"])
    assert "validate_bnb_backend_availability" not in served["4.44.2"]
    assert "validate_bnb_backend_availability" in served["4.45.0"]
    assert "replace_with_bnb_linear" in served["4.44.2"] & served["4.45.0"]


def test_the_readme_distutils_example(real_index: str, capsys) -> None:
    """README: redis 3.5.3 imports `distutils`, gone from 3.12; setuptools' `.pth` shim
    (a one-line program, not a plain `import`) serves it again."""
    alone = main(["compat", "redis==3.5.3", "--python-version", "3.12", *LOCK[1:]])
    err = capsys.readouterr().err
    assert alone == 1, err
    shimmed = main(
        ["compat", "redis==3.5.3", "setuptools==69.0.3", "--python-version", "3.12", *LOCK[1:]]
    )
    assert shimmed == 0, capsys.readouterr().err
