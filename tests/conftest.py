from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from symres.cli import main
from tests.builders import build_sdist, build_wheel
from tests.index_server import IndexServer

_TEMP: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    """The whole run, and every process it starts, gets a temporary folder of its own, so
    that :func:`no_temporary_folder_left` sees exactly what each test left there."""
    global _TEMP
    _TEMP = Path(tempfile.mkdtemp(prefix="symres-tests-"))
    os.environ["TMPDIR"] = str(_TEMP)
    tempfile.tempdir = None  # read TMPDIR again


def pytest_unconfigure(config: pytest.Config) -> None:
    if _TEMP is not None:
        shutil.rmtree(_TEMP, ignore_errors=True)


def _left_in_temp() -> set[str]:
    assert _TEMP is not None
    return {p.name for p in _TEMP.iterdir() if not p.name.startswith("pytest-of-")}


@pytest.fixture(autouse=True)
def no_temporary_folder_left() -> Iterator[None]:
    """symres, and what it runs (verify's venvs and checks, sdist builds), cleans up."""
    before = _left_in_temp()
    yield
    left = sorted(_left_in_temp() - before)
    for name in left:
        shutil.rmtree(_TEMP / name, ignore_errors=True)  # type: ignore[operator]
    assert not left, f"left in the temporary folder: {', '.join(left)}"


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the machine's pip configuration or the user's cache."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    for var in (
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "PIP_CERT",
        "PIP_FIND_LINKS",
        "PIP_NO_INDEX",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SYMRES_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("SYMRES_NO_SNAPSHOT", "1")  # fake packages; the snapshot has real ones


@pytest.fixture
def index(tmp_path: Path) -> Iterator[IndexServer]:
    server = IndexServer()
    server.start()
    yield server
    server.stop()


@dataclass
class Project:
    """A folder with a requirements.in, locked against the test index."""

    root: Path
    index: IndexServer
    dists: Path

    def wheel(self, name: str, version: str, **kw: object) -> Path:
        rp = kw.pop("index_requires_python", None)
        yanked = bool(kw.pop("yanked", False))
        uploaded = kw.pop("uploaded", None)
        return self.index.add(
            build_wheel(self.dists, name, version, **kw),  # type: ignore[arg-type]
            requires_python=rp,
            yanked=yanked,
            uploaded=uploaded,  # type: ignore[arg-type]
        )

    def sdist(self, name: str, version: str, **kw: object) -> Path:
        return self.index.add(build_sdist(self.dists, name, version, **kw))  # type: ignore[arg-type]

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.write_text(text)
        return path

    def lock(self, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["lock", "--index-url", self.index.url, *args])
        out, err = capsys.readouterr()
        return code, out, err

    def read(self, name: str = "requirements.txt") -> str:
        return (self.root / name).read_text()


@pytest.fixture
def project(tmp_path: Path, index: IndexServer, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    dists = tmp_path / "dists"
    dists.mkdir()
    monkeypatch.chdir(root)
    return Project(root, index, dists)
