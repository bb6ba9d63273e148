"""`symres verify`: install a lock in a venv and run it, with every check contained.

The locks come from the local test index; the venvs are real (uv when present, else
venv + pip), so these tests take seconds, not milliseconds.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from symres.cli import main
from symres.verify.runner.checks import top_level_modules
from tests.conftest import Project


def verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["verify", *args])
    out, err = capsys.readouterr()
    return code, out, err


def verify_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code, out, err = verify(capsys, *args, "--json")
    assert out.strip(), err
    return code, json.loads(out)


def by_check(report: dict) -> dict[str, dict]:
    return {r["check"]: r for r in report["results"]}


def web_stack(project: Project) -> None:
    """app 1.0 imports lib.urls.quote, which lib 3.0 removed; app declares lib>=1."""
    project.wheel(
        "app", "1.0", requires=["lib>=1"], files={"app/__init__.py": "from lib.urls import quote\n"}
    )
    for version, body in [("2.0", "def quote(s): return s\n"), ("3.0", "def unquote(s): ...\n")]:
        project.wheel("lib", version, files={"lib/__init__.py": "", "lib/urls.py": body})


@pytest.mark.slow
def test_a_lock_with_a_removed_name_fails_naming_it(project: Project, capsys) -> None:
    web_stack(project)
    project.write("requirements.in", "app\n")
    code, _, err = project.lock("--symbols", "off", "requirements.in", capsys=capsys)
    assert code == 0, err  # what pip-compile would lock: lib 3.0

    code, out, err = verify(capsys, "requirements.txt")

    assert code == 1, err
    assert (
        "FAILED   app 1.0: import app: ImportError: cannot import name 'quote' from 'lib.urls'"
    ) in out
    assert "from lib.urls import quote" in out and "used at app/__init__.py:1" in out
    assert "import tier failed" in out


@pytest.mark.slow
def test_the_lock_symres_writes_passes(project: Project, capsys) -> None:
    web_stack(project)
    project.write("requirements.in", "app\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0

    code, report = verify_json(capsys, "requirements.txt")

    assert code == 0, report
    checks = by_check(report)
    assert checks["import app"]["status"] == "passed"
    assert checks["import lib"]["status"] == "passed"
    assert checks["from lib.urls import quote"]["status"] == "passed"
    assert report["passed"] is True and report["exit_code"] == 0


@pytest.mark.slow
def test_crash_hang_exit_and_print_are_contained(project: Project, capsys) -> None:
    project.wheel(
        "crashes", "1.0", files={"crashes/__init__.py": "import ctypes\nctypes.string_at(0)\n"}
    )
    project.wheel("hangs", "1.0", files={"hangs/__init__.py": "import time\ntime.sleep(600)\n"})
    project.wheel("exits", "1.0", files={"exits/__init__.py": "import sys\nsys.exit(3)\n"})
    project.wheel(
        "noisy",
        "1.0",
        files={"noisy/__init__.py": "import os\nprint('{\"done\": 0}')\nos.write(1, b'raw\\n')\n"},
    )
    project.wheel("fine", "1.0", files={"fine/__init__.py": "X = 1\n"})
    project.write("requirements.in", "crashes\nhangs\nexits\nnoisy\nfine\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0

    code, report = verify_json(capsys, "requirements.txt", "--timeout", "3")

    assert code == 1
    checks = by_check(report)
    assert checks["import crashes"]["status"] == "failed"
    assert checks["import crashes"]["detail"].startswith("crashed (SIGSEGV)")
    assert checks["import hangs"]["detail"] == "timed out after 3.0s"
    assert checks["import exits"]["detail"] == "SystemExit: 3"
    assert checks["import noisy"]["status"] == "passed"
    assert checks["import fine"]["status"] == "passed"


@pytest.mark.slow
def test_a_failure_caused_by_an_earlier_check_is_not_reported(project: Project, capsys) -> None:
    """`breaker` spoils `victim` for whatever runs after it in the same interpreter (as
    pip's import does to setuptools on 3.11); `victim` imports in a fresh one."""
    project.wheel(
        "breaker",
        "1.0",
        files={"breaker/__init__.py": "import sys\nsys.modules['victim'] = None\n"},
    )
    project.wheel("victim", "1.0", files={"victim/__init__.py": "X = 1\n"})
    project.wheel("broken", "1.0", files={"broken/__init__.py": "raise ImportError('no')\n"})
    project.write("requirements.in", "breaker\nvictim\nbroken\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0

    code, report = verify_json(capsys, "requirements.txt")

    checks = by_check(report)
    assert checks["import breaker"]["status"] == "passed"
    assert checks["import victim"]["status"] == "passed", checks["import victim"]
    assert checks["import broken"]["status"] == "failed"
    assert code == 1


@pytest.mark.slow
def test_a_plugin_of_the_distributions_own_program_warns(project: Project, capsys) -> None:
    """uwsgi installs `uwsgidecorators`, which imports `uwsgi`: a module that exists only
    inside the uwsgi server the distribution builds. A missing module of another name
    is still a failure."""
    plugins = {"hostprog_plugins.py": "import hostprog\n", "hostprog/__init__.py": None}
    project.wheel("hostprog", "1.0", files=plugins)
    project.wheel("needy", "1.0", files={"needy/__init__.py": "import not_in_the_lock\n"})
    project.write("requirements.in", "hostprog\nneedy\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0

    code, report = verify_json(capsys, "requirements.txt")

    checks = by_check(report)
    assert checks["import hostprog_plugins"]["status"] == "warning"
    assert checks["import needy"]["status"] == "failed"
    assert code == 1


@pytest.mark.slow
def test_a_getattr_that_raises_importerror_is_a_failure(project: Project, capsys) -> None:
    """pydantic 2 serves moved names through a module __getattr__ that raises an
    ImportError subclass; `hasattr` itself raises."""
    project.wheel(
        "settingslib",
        "2.0",
        files={
            "settingslib/__init__.py": "class MovedError(ImportError): pass\n"
            "def __getattr__(name):\n"
            "    if name == 'BaseSettings':\n"
            "        raise MovedError('`BaseSettings` has been moved to another package')\n"
            "    raise AttributeError(name)\n"
        },
    )
    project.wheel(
        "tool",
        "1.0",
        requires=["settingslib"],
        files={"tool/__init__.py": "", "tool/config.py": "from settingslib import BaseSettings\n"},
    )
    project.write("requirements.in", "tool\n")
    assert project.lock("--symbols", "off", "requirements.in", capsys=capsys)[0] == 0

    code, report = verify_json(capsys, "requirements.txt", "--lazy", "enforce")

    assert code == 1
    check = by_check(report)["from settingslib import BaseSettings"]
    assert check["status"] == "failed"
    assert check["detail"] == "MovedError: `BaseSettings` has been moved to another package"
    assert check["consumers"] == ["tool 1.0 (tool/config.py:1)"]


@pytest.mark.slow
def test_a_package_that_cannot_be_installed_is_named(project: Project, capsys) -> None:
    project.wheel("good", "1.0", files={"good/__init__.py": ""})
    project.wheel("bad", "1.0", files={"bad/__init__.py": ""})
    project.write("requirements.in", "good\nbad\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    text = project.read()
    digest = re.search(r"bad==1.0 \\\n    --hash=sha256:(\w+)", text)
    assert digest is not None
    project.write("requirements.txt", text.replace(digest.group(1), "0" * 64))

    code, report = verify_json(capsys, "requirements.txt")

    assert code == 1
    assert [f["name"] for f in report["install_failures"]] == ["bad"]
    checks = by_check(report)
    assert checks["import good"]["status"] == "passed"
    assert checks["bad"]["detail"] == "not installed"


@pytest.mark.slow
def test_a_file_that_fails_its_hash_at_install_leaves_no_symbol_facts(
    project: Project, capsys, tmp_path
) -> None:
    """The lock's facts about lib came from Range reads of the file the index advertised,
    which cannot check its hash; the install downloads every byte and refuses them. What
    was mined for lib 1.0 is dropped from the database, and the report says so."""
    import sqlite3

    from tests.builders import build_wheel

    project.wheel("app", "1.0", requires=["lib"], files={"app/__init__.py": "from lib import x\n"})
    lib = project.wheel("lib", "1.0", files={"lib/__init__.py": "x = 1\n"})
    project.write("requirements.in", "app\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    db = tmp_path / "cache" / "symbols.sqlite"

    def facts() -> int:
        with sqlite3.connect(db) as conn:
            rows = conn.execute("SELECT count(*) FROM provenance WHERE name = 'lib'").fetchone()
        return int(rows[0])

    assert facts() == 1
    served = project.index.files[lib.name]
    served.sha256  # noqa: B018  (the page keeps advertising the bytes locked)
    (tmp_path / "other").mkdir()
    other = build_wheel(tmp_path / "other", "lib", "1.0", files={"lib/__init__.py": "y = 1\n"})
    served.__dict__["data"] = other.read_bytes()

    code, report = verify_json(capsys, "requirements.txt")

    assert code == 1
    assert [(f["name"], f["version"]) for f in report["install_failures"]] == [("lib", "1.0")]
    assert any(n.startswith("dropped the symbol facts of lib 1.0") for n in report["notes"])
    assert facts() == 0


@pytest.mark.slow
def test_kept_venv_is_reused_and_env_checks_it_as_it_is(project: Project, capsys) -> None:
    web_stack(project)
    project.write("requirements.in", "app\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0

    code, first = verify_json(capsys, "requirements.txt", "--keep-venv")
    assert code == 0
    venv = Path(first["environment"]["path"])
    assert first["environment"]["created"] and venv.is_dir()

    code, second = verify_json(capsys, "requirements.txt")
    assert code == 0
    assert second["environment"]["path"] == str(venv) and not second["environment"]["created"]
    assert any("reused the venv" in n for n in second["notes"])

    # the environment drifts from the lock: --env reports it without installing anything
    subprocess.run(
        ["uv", "pip", "uninstall", "--python", str(venv / "bin" / "python"), "lib"],
        check=True,
        capture_output=True,
    ) if _has_uv() else subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "uninstall", "-y", "lib"],
        check=True,
        capture_output=True,
    )
    code, drifted = verify_json(capsys, "requirements.txt", "--env", str(venv))
    assert code == 1
    assert by_check(drifted)["lib"]["detail"] == "not installed"
    assert by_check(drifted)["from lib.urls import quote"]["status"] == "skipped"


def _has_uv() -> bool:
    import shutil

    return shutil.which("uv") is not None


@pytest.mark.slow
def test_pip_installer(project: Project, capsys) -> None:
    project.wheel("fine", "1.0", files={"fine/__init__.py": "X = 1\n"})
    project.write("requirements.in", "fine\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0

    code, report = verify_json(capsys, "requirements.txt", "--installer", "pip")

    assert code == 0, report
    assert report["installer"] == "pip"
    assert by_check(report)["import fine"]["status"] == "passed"


@pytest.mark.slow
def test_emitted_script_is_standalone_and_checks_the_environment_it_runs_in(
    project: Project, capsys, tmp_path: Path
) -> None:
    web_stack(project)
    project.write("requirements.in", "app\n")
    assert project.lock("--symbols", "off", "requirements.in", capsys=capsys)[0] == 0
    code, report = verify_json(capsys, "requirements.txt", "--keep-venv")
    python = Path(report["environment"]["python"])

    code, _, err = verify(capsys, "requirements.txt", "--emit-script", "test_imports.py")

    assert code == 0, err
    assert "2 distributions, 1 uses" in err
    script = project.root / "test_imports.py"
    # run by the venv's interpreter, isolated: the venv has no symres, only the stdlib
    done = subprocess.run(
        [str(python), "-I", str(script)], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 1, done.stderr
    assert "FAILED   app 1.0: import app: ImportError: cannot import name 'quote'" in done.stdout
    assert "FAILED   app 1.0: from lib.urls import quote:" in done.stdout


@pytest.mark.slow
def test_runtime_evidence_settles_an_unknown_verdict(project: Project, capsys) -> None:
    """A module whose names symres cannot read (a dynamic __getattr__) is `unknown`
    statically; after verify, the database knows."""
    project.wheel(
        "dyn",
        "1.0",
        files={"dyn/__init__.py": "def __getattr__(name):\n    return name.upper()\n"},
    )
    project.wheel(
        "user", "1.0", requires=["dyn"], files={"user/__init__.py": "from dyn import thing\n"}
    )
    project.write("requirements.in", "user\n")

    def unknown() -> int:
        code, out, err = project.lock("--dry-run", "--json", "requirements.in", capsys=capsys)
        assert code == 0, err
        return int(json.loads(out)["unknown_verdicts"])

    assert unknown() == 1
    assert project.lock("requirements.in", capsys=capsys)[0] == 0
    code, report = verify_json(capsys, "requirements.txt")

    assert code == 0
    assert report["evidence_recorded"] >= 2
    assert unknown() == 0


def test_unpinned_lock_is_refused_with_its_line(project: Project, capsys) -> None:
    project.write("requirements.txt", "fine==1.0\nlib>=2\n")

    code, _, err = verify(capsys, "requirements.txt")

    assert code == 2
    assert "error: requirements.txt:2: `lib>=2` is not pinned" in err


def test_missing_interpreter_is_named(project: Project, capsys) -> None:
    project.wheel("fine", "1.0", files={"fine/__init__.py": ""})
    project.write("requirements.in", "fine\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0

    code, _, err = verify(capsys, "requirements.txt", "--python", "3.99")

    assert code == 2
    assert "error: no Python 3.99 interpreter found here" in err
    assert "--python PATH" in err


@pytest.mark.slow
def test_markdown_report(project: Project, capsys) -> None:
    web_stack(project)
    project.write("requirements.in", "app\n")
    assert project.lock("--symbols", "off", "requirements.in", capsys=capsys)[0] == 0

    code, _, _ = verify(capsys, "requirements.txt", "--report", "verify.md", "-q")

    assert code == 1
    text = (project.root / "verify.md").read_text()
    assert text.startswith("# symres verify: `requirements.txt`")
    assert "| app 1.0 | `from lib.urls import quote` | failed | ImportError:" in text
    assert "| lib 3.0 | `import lib` | passed |" in text


@pytest.mark.slow
def test_lock_verify_writes_only_a_lock_that_passes(project: Project, capsys) -> None:
    project.wheel("app", "1.0", files={"app/__init__.py": "import ctypes\nctypes.string_at(0)\n"})
    project.write("requirements.in", "app\n")

    code, _, err = project.lock("--verify", "requirements.in", capsys=capsys)

    assert code == 1
    assert "crashed (SIGSEGV)" in err
    assert "the new lock failed verification; `requirements.txt` was not written" in err
    assert not (project.root / "requirements.txt").exists()

    project.wheel("app", "2.0", files={"app/__init__.py": "X = 1\n"})
    code, _, err = project.lock("--verify", "--refresh", "requirements.in", capsys=capsys)
    assert code == 0, err
    assert "app==2.0" in project.read()
    assert "import tier passed" in err


# -- the gpu-load tier's plumbing, on a machine without a CUDA device ----------------------------


def fake_torch(project: Project) -> None:
    project.wheel(
        "torch",
        "9.0",
        files={
            "torch/__init__.py": "__version__ = '9.0'\n"
            "class cuda:\n"
            "    @staticmethod\n"
            "    def is_available():\n"
            "        return False\n"
        },
    )


@pytest.mark.slow
def test_gpu_tier_without_a_device_is_skipped_not_passed(project: Project, capsys) -> None:
    fake_torch(project)
    project.write("requirements.in", "torch\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0

    code, out, _ = verify(capsys, "requirements.txt", "--tier", "gpu")

    assert code == 3
    assert "gpu-load tier skipped: no CUDA device (torch: RuntimeError: no CUDA device" in out
    assert "passed: 0" not in out


@pytest.mark.slow
def test_user_probes_run_in_the_gpu_tier_on_cpu(project: Project, capsys) -> None:
    project.wheel("mylib", "1.0", files={"mylib/__init__.py": "def smoke(device): return device\n"})
    project.write("requirements.in", "mylib\n")
    project.write(
        "pyproject.toml",
        "[tool.symres.verify]\n"
        "probes = [\n"
        '  { name = "smoke", code = "import mylib\\nRESULT = mylib.smoke(DEVICE)" },\n'
        '  { name = "broken", code = "import mylib\\nmylib.nothing()" },\n'
        '  { name = "on-import", tier = "import", code = "import mylib" },\n'
        "]\n",
    )
    assert project.lock("requirements.in", capsys=capsys)[0] == 0

    code, report = verify_json(capsys, "requirements.txt", "--tier", "gpu", "--device", "cpu")

    assert code == 1
    assert by_check(report)["probe on-import"]["status"] == "passed"
    gpu = {r["check"]: r for r in report["gpu"]["results"]}
    assert report["gpu"]["device"] == "cpu"
    assert report["gpu"]["reason"] == "1/2 probes cpu smoke test, unquantized"
    assert gpu["probe smoke"]["status"] == "passed" and gpu["probe smoke"]["detail"] == "cpu"
    assert gpu["probe broken"]["detail"].startswith("AttributeError:")


def test_the_summary_counts_skipped_checks() -> None:
    from symres.verify.report import summary
    from symres.verify.tier import VerifyReport

    results = [
        {"status": "passed", "check": "import a", "dist": "a"},
        {"status": "skipped", "check": "import b", "dist": "b", "detail": "not run here"},
        {"status": "skipped", "check": "import c", "dist": "c", "detail": "not run here"},
    ]
    report = VerifyReport(Path("requirements.txt"), "3.11", None, None, [], results, [], 1.0)
    assert (
        "3 checks (3 modules, 0 uses), 1 passed, 0 failed, 0 warnings, 2 skipped"
        in (summary(report)[0])
    )


def test_built_in_probes_follow_what_the_lock_holds() -> None:
    from symres.verify.probes import select

    assert [p.name for p in select({"torch"})] == ["torch-bf16-matmul"]
    assert [p.name for p in select({"torch", "bitsandbytes", "transformers", "accelerate"})] == [
        "torch-bf16-matmul",
        "bitsandbytes-4bit-linear",
        "transformers-tiny-model",
    ]
    assert select({"flask"}) == []
    quantized = select({"torch", "transformers", "bitsandbytes"})[-1].code
    assert quantized.startswith("HAS_BITSANDBYTES = True")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["six.py", "six-1.16.0.dist-info/RECORD"], ["six"]),
        (["pkg/__init__.py", "pkg/sub/x.py", "pkg/_c.cpython-311-x86_64-linux-gnu.so"], ["pkg"]),
        (["google/protobuf/__init__.py", "google/protobuf/message.py"], ["google.protobuf"]),
        (["_cffi_backend.cpython-311-x86_64-linux-gnu.so"], ["_cffi_backend"]),
        (["tests/__init__.py", "lib/__init__.py", "../../bin/tool", "x.pth"], ["lib"]),
        (["my-dir/mod.py", "pkg/__pycache__/a.cpython-311.pyc"], []),
        (["nvidia/cu13/lib/libcupti.so", "nvidia/cu13/lib/libnvperf.so.12"], []),
        (["_speedups.so", "fast.abi3.so"], ["_speedups", "fast"]),
        # a namespace package's `__main__` runs a program when imported (censys 2.2)
        (["censys/__main__.py", "censys/common/__init__.py"], ["censys.common"]),
    ],
)
def test_top_level_modules_from_record(files: list[str], expected: list[str]) -> None:
    assert top_level_modules(files) == expected


def test_runner_runs_on_the_oldest_python_it_claims(tmp_path: Path) -> None:
    """A lock may be for Python 3.8: the runner must run there, stdlib only."""
    from symres.errors import SymresError
    from symres.index.pythons import find_interpreter
    from symres.verify.runner import script

    try:
        python = find_interpreter("3.8")
    except SymresError:
        pytest.skip("no Python 3.8 interpreter on this machine")
    (tmp_path / "loud.py").write_text("print('stray')\nX = 1\n")
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"uses": [{"module": "loud", "name": "X", "dist": "loud 1"}]}))
    runner = tmp_path / "runner.py"
    runner.write_text(script(), encoding="utf-8")
    done = subprocess.run(
        [str(python), str(runner), "--plan", str(plan), "--json"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["environment"]["python"] == "3.8"


@pytest.mark.slow
def test_a_pylock_lock_verifies(project: Project, capsys) -> None:
    web_stack(project)
    project.write("requirements.in", "app\n")
    assert project.lock("--format", "pylock", "requirements.in", capsys=capsys)[0] == 0

    code, report = verify_json(capsys, "pylock.toml", "--index-url", project.index.url)

    assert code == 0, report
    assert by_check(report)["from lib.urls import quote"]["status"] == "passed"
    assert {r["dist"] for r in report["results"]} >= {"app 1.0", "lib 2.0"}


def test_only_the_installer_saying_so_makes_a_hash_mismatch() -> None:
    """pip and uv say a file failed its hash on stderr; a build that prints the words
    on stdout (a test suite's log, a package's banner) would otherwise drop facts."""
    import subprocess

    from symres.verify.env import _mismatch

    def done(stdout: str, stderr: str) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess([], 1, stdout, stderr)

    pip = "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE."
    assert _mismatch(done("", pip))
    assert _mismatch(done("", "  × Failed to download `lib==1.0`\n  ╰─▶ Hash mismatch for"))
    assert not _mismatch(done("checking: hash mismatch handling ... ok\n", "ERROR: failed"))


@pytest.mark.parametrize(
    ("module", "name", "status"),
    [
        ("__future__", "all_feature_names", "passed"),  # an attribute, not a feature
        ("__future__", "annotations", "passed"),
        ("__future__", "no_such_feature", "failed"),
        ("json", "loads", "passed"),
        ("json", "no_such_name", "failed"),
    ],
)
def test_a_use_is_checked_as_python_resolves_it(module: str, name: str, status: str) -> None:
    """`from __future__ import X` is a compiler directive: a use of `__future__`'s
    attributes (`__future__.all_feature_names`) is checked as the attribute it is."""
    from symres.verify.runner.worker import run_check

    check = {"kind": "use", "module": module, "name": name, "dist": "app 1.0", "enforced": True}
    result = run_check(check, "cpu")
    assert result["status"] == status, result
