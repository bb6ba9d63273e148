"""Tests on a provider that decide whether a use runs (issue 13's last gap class): a
provider's module constants compared with literals, and ``importlib.metadata.version``
bound to a name, judged per pinned release like ``version.parse(x.__version__)``.

A test that holds: the use is judged and enforced; one that is false: the use is
inactive; one that cannot be told (a computed constant): the use is reported, never
enforced (it may be dead code)."""

from __future__ import annotations

from pathlib import Path

import pytest

from symres.db.schema import decode_condition, encode_condition
from symres.facts import ProviderCondition
from symres.symbols.conditions import TargetFacts
from symres.symbols.uses import scan_uses
from tests.conftest import Project
from tests.test_gap_classes import APP, check_row, lib
from tests.test_lock_symbols import pins

GUARDED_NEW_API = "import lib\nif lib.API >= 2:\n    from lib import new_api\n"
METADATA = (
    "import importlib.metadata\nfrom packaging import version\n"
    '_v = importlib.metadata.version("lib")\n'
    'if version.parse(_v) >= version.parse("2.0"):\n    from lib import added\n'
    "else:\n    from lib import legacy\n"
)

CONDITION_ROWS = [
    pytest.param(
        lib("API = 2\n"),
        {APP: GUARDED_NEW_API},
        {"lib:new_api": ("missing", "enforced")},
        id="constant-test-holds-use-enforced",
    ),
    pytest.param(
        lib("API = 1\nold_api = 1\n"),
        {APP: GUARDED_NEW_API + "else:\n    from lib import old_api\n"},
        {"lib:new_api": ("inactive", "inactive"), "lib:old_api": ("present", "-")},
        id="constant-test-false-use-inactive-else-judged",
    ),
    pytest.param(
        lib("API = 1\n"),
        {APP: "import lib\nif 2 <= lib.API:\n    from lib import new_api\n"},
        {"lib:new_api": ("inactive", "inactive")},
        id="literal-on-the-left",
    ),
    pytest.param(
        lib(
            "from ._version import VERSION_TUPLE\n",
            **{"lib/_version.py": "VERSION_TUPLE = (1, 4)\n"},
        ),
        {
            APP: "from lib import VERSION_TUPLE\n"
            "if VERSION_TUPLE >= (2, 0):\n    from lib import added\n"
        },
        {"lib:added": ("inactive", "inactive")},
        id="tuple-constant-imported-through-a-submodule",
    ),
    pytest.param(
        lib("cuda: str | None = None\n"),
        {APP: "import lib\nif lib.cuda is not None:\n    from lib import cuda_ops\n"},
        {"lib:cuda_ops": ("inactive", "inactive")},
        id="annotated-constant-is-not-none",
    ),
    pytest.param(
        lib('BACKEND = "cpu"\n'),
        {APP: 'import lib\nif lib.BACKEND in ("cuda", "rocm"):\n    from lib import gpu\n'},
        {"lib:gpu": ("inactive", "inactive")},
        id="string-constant-in-a-tuple",
    ),
    pytest.param(
        lib("HAS_FAST = False\n"),
        {APP: "import lib\nif lib.HAS_FAST:\n    from lib import fast\n"},
        {"lib:fast": ("inactive", "inactive")},
        id="bare-boolean-constant",
    ),
    pytest.param(
        lib('import sys\nIS_WINDOWS = sys.platform == "win32"\n'),
        {APP: "import lib\nif not lib.IS_WINDOWS:\n    pass\nelse:\n    from lib import winapi\n"},
        {"lib:winapi": ("inactive", "inactive")},
        id="constant-that-tests-the-target",
    ),
    pytest.param(
        {"lib==1.5": {"lib/__init__.py": "legacy = 1\n"}},
        {APP: METADATA},
        {"lib:added": ("inactive", "inactive"), "lib:legacy": ("present", "-")},
        id="importlib-metadata-version-bound-to-a-name-old",
    ),
    pytest.param(
        {"lib==2.1": {"lib/__init__.py": "added = 1\n"}},
        {APP: METADATA},
        {"lib:added": ("present", "-"), "lib:legacy": ("inactive", "inactive")},
        id="importlib-metadata-version-bound-to-a-name-new",
    ),
    pytest.param(
        {"lib==1.0": {"lib/__init__.py": "__version__ = '1.0'\n"}},
        {
            APP: "import lib\nfrom packaging.version import Version\n"
            "_LIB_GE_2 = Version(lib.__version__) >= Version('2')\n"
            "if _LIB_GE_2:\n    from lib import added\n"
        },
        {"lib:added": ("inactive", "inactive")},
        id="a-version-test-bound-to-a-name",
    ),
    pytest.param(
        lib("API = 1\n"),
        {
            APP: GUARDED_NEW_API.replace("lib.API >= 2", "lib.API >= 2 and other()")
            + "else:\n    from lib import old_api\n"
        },
        # the `else` of an `and` runs where either part fails: nothing is known of it
        {"lib:new_api": ("inactive", "inactive"), "lib:old_api": ("missing", "later")},
        id="the-else-of-an-and-is-not-the-negated-test",
    ),
    pytest.param(
        lib("API = 1\n"),
        {APP: GUARDED_NEW_API.replace("lib.API >= 2", "is_lib_available() and lib.API >= 2")},
        {"lib:new_api": ("inactive", "inactive")},
        id="an-availability-test-and-a-constant",
    ),
    pytest.param(
        lib("API = 2\nfrom ._impl import *\n", **{"lib/_impl.py": "API = 1\nother = 0\n"}),
        {APP: GUARDED_NEW_API},
        # two values (bindings are not ordered): cannot be told
        {"lib:new_api": ("missing", "later")},
        id="a-star-import-that-rebinds-the-constant",
    ),
    pytest.param(
        lib("API = 2\nfrom ._impl import *\n", **{"lib/_impl.py": "other = 0\n"}),
        {APP: GUARDED_NEW_API},
        {"lib:new_api": ("missing", "enforced")},
        id="a-star-import-that-does-not-bind-it",
    ),
    pytest.param(
        lib("API = 3\n"),
        {
            APP: "import lib\nif lib.API >= 3:\n    from lib import new\n"
            "elif lib.API >= 2:\n    from lib import old\n"
        },
        # an elif runs only where the `if` failed: the outer test is the one kept
        {"lib:new": ("missing", "enforced"), "lib:old": ("inactive", "inactive")},
        id="elif-is-under-two-tests",
    ),
    pytest.param(
        lib("API = 2\nFLAG = True\n"),
        {APP: "import lib\nif lib.API >= 2:\n    if lib.FLAG:\n        from lib import new_api\n"},
        {"lib:new_api": ("missing", "later")},
        id="nested-tests-not-enforced",
    ),
    pytest.param(
        lib("API = 1\nFLAG = True\n"),
        {APP: "import lib\nif lib.API >= 2:\n    if lib.FLAG:\n        from lib import new_api\n"},
        {"lib:new_api": ("inactive", "inactive")},  # the outer test is the one kept
        id="nested-tests-the-outer-one-kept",
    ),
    pytest.param(
        lib("API = 2\n"),
        {
            APP: "import os, lib\nif os.environ.get('X') and lib.API >= 2:\n"
            "    from lib import new_api\n"
        },
        {"lib:new_api": ("missing", "later")},
        id="a-test-that-is-one-part-of-an-and-holds-reported",
    ),
    pytest.param(
        lib("API = 1\nMODE = 'x'\n"),
        {
            APP: "import lib\nif lib.API >= 2 or lib.MODE == 'x':\n    pass\n"
            "else:\n    from lib import new_api\n"
        },
        {"lib:new_api": ("missing", "later")},
        id="the-else-of-an-or-needs-every-part-false",
    ),
    pytest.param(
        lib("FLAG = True\n"),
        {APP: "import lib\nx = hasattr(lib, 'a') and lib.FLAG and lib.a.b\n"},
        {"lib:a": ("inactive", "inactive")},  # the first test of the chain is kept
        id="an-and-chain-keeps-its-first-test",
    ),
    pytest.param(
        lib("API = 1\n"),
        {APP: METADATA.replace('"lib"', '"unpinned"')},
        {"lib:added": ("missing", "later"), "lib:legacy": ("missing", "later")},
        id="a-distribution-not-pinned-cannot-be-told",
    ),
    pytest.param(
        lib("API = 1\n"),
        {
            APP: "import lib\n_NEW = lib.API >= 2\nfor _NEW in [True]:\n    pass\n"
            "if _NEW:\n    from lib import new_api\n"
        },
        {"lib:new_api": ("missing", "later")},  # rebound: an `if` not read (conditional)
        id="a-name-rebound-holds-no-test",
    ),
    pytest.param(
        lib("API = 1\n"),
        {
            APP: "import lib\nclass C:\n    _NEW = lib.API >= 2\n"
            "def f(_NEW=True):\n    if _NEW:\n        from lib import new_api\n"
        },
        {"lib:new_api": ("missing", "later")},
        id="class-attributes-and-locals-hold-no-module-test",
    ),
    pytest.param(
        lib("def compute(): return 3\nAPI = compute()\n"),
        {APP: GUARDED_NEW_API},
        {"lib:new_api": ("missing", "later")},
        id="computed-constant-cannot-be-told-reported-not-enforced",
    ),
    pytest.param(
        lib("API = 2\ndef setup():\n    global API\n    API = 1\n"),
        {APP: GUARDED_NEW_API},
        {"lib:new_api": ("missing", "later")},
        id="constant-a-function-rebinds-cannot-be-told",
    ),
    pytest.param(
        lib("try:\n    API = 2\nexcept ImportError:\n    API = 1\n"),
        {APP: GUARDED_NEW_API},
        {"lib:new_api": ("missing", "later")},
        id="constant-bound-to-different-values-cannot-be-told",
    ),
]


@pytest.mark.parametrize(("providers", "consumer", "expected"), CONDITION_ROWS)
def test_provider_conditions(tmp_path: Path, providers, consumer, expected) -> None:
    check_row(tmp_path, providers, consumer, "3.11", expected)


def _conditions(source: str) -> dict[str, str | None]:
    import ast

    found = scan_uses(
        "app", "app.py", ast.parse(source), is_package=False, facts=TargetFacts((3, 11))
    )
    return {
        f"{u.module}:{u.name}": u.condition.describe() if u.condition else u.guard
        for u in found.uses
        if u.name
    }


def test_what_the_consumer_side_reads_as_a_test_on_a_provider() -> None:
    got = _conditions(
        "import lib\nimport importlib_metadata as md\n"
        "if lib.MODE == 'fast' or lib.LEVEL > 3:\n    from lib import either\n"
        "else:\n    from lib import neither\n"
        "from packaging import version\n"
        "if version.parse(md.version('other')) < version.parse('2'):\n    from other import old\n"
        "if md.version('other') < '2':\n    from other import plain\n"
        "x = lib.helper() if lib.FLAG else lib.fallback()\n"
    )
    assert got == {
        "lib:either": "conditional",  # `or`: either may hold
        "lib:neither": "not (lib.MODE == 'fast')",
        "other:old": 'importlib.metadata.version("other") < 2',
        "other:plain": "conditional",  # two strings: "1.9" < "1.10" is False
        "packaging:version": "top",
        "lib:helper": "lib.FLAG",
        "lib:fallback": "not (lib.FLAG)",
        "lib:MODE": "top",
        "lib:LEVEL": "not (lib.MODE == 'fast')",  # read only where the first part failed
        "lib:FLAG": "top",
        "importlib_metadata:version": "top",
    }


def test_conditions_stored_before_constants_existed_still_read() -> None:
    old = '{"module": "x", "kind": "version", "op": ">=", "value": "2", "negate": false}'
    assert decode_condition(old) == ProviderCondition("x", "version", ">=", "2")
    new = ProviderCondition("x", "constant", "==", '"a"', name="MODE")
    assert decode_condition(encode_condition(new)) == new


def test_lock_narrows_past_releases_whose_own_test_makes_the_use_dead(
    project: Project, capsys
) -> None:
    """lib 1.0 lacks `new_api` but its API constant makes the import dead; lib 2.0 lacks
    it where it runs. A narrowing blind to the test would see every release lacking the
    name, give up and lock 2.0."""
    project.wheel("app", "1.0", requires=["lib<3"], files={"app/__init__.py": GUARDED_NEW_API})
    project.wheel("lib", "1.0", files={"lib/__init__.py": "API = 1\n"})
    project.wheel("lib", "2.0", files={"lib/__init__.py": "API = 2\n"})
    project.write("requirements.in", "app\n")

    code, _, err = project.lock("requirements.in", capsys=capsys)

    assert code == 0, err
    assert pins(project.read()) == {"app": "1.0", "lib": "1.0"}
    assert "# symres: <2.0 — app 1.0 imports `new_api` from `lib`" in project.read()


@pytest.mark.slow
def test_verify_makes_the_test_on_a_constant_before_the_check(project: Project, capsys) -> None:
    """A constant the static reading cannot tell (computed): the lock does not enforce
    the use under it, and the import tier makes the test in the environment, skipping
    the check where it is false instead of reporting a failure of dead code."""
    from tests.test_verify import by_check, verify_json

    guarded = 'import lib\nif lib.MODE == "a":\n    from lib import a_only\n'
    project.wheel("app", "1.0", requires=["lib"], files={"app/__init__.py": guarded})
    project.wheel("lib", "1.0", files={"lib/__init__.py": 'MODE = "b".upper()\n'})
    project.write("requirements.in", "app\n")
    assert project.lock("requirements.in", capsys=capsys)[0] == 0

    code, report = verify_json(capsys, "requirements.txt")

    assert code == 0, report
    check = by_check(report)["from lib import a_only"]
    assert (check["status"], check["detail"]) == (
        "skipped",
        "not run here: lib.MODE == 'a' is false",
    )


def test_compat_says_why_a_use_under_a_test_it_cannot_tell_is_not_enforced(
    project: Project, capsys
) -> None:
    from tests.test_compat_cli import run

    project.wheel("app", "1.0", files={"app/__init__.py": GUARDED_NEW_API})
    project.wheel("lib", "1.0", files={"lib/__init__.py": "API = len('ab')\n"})
    project.wheel("lib", "2.0", files={"lib/__init__.py": "API = 2\n"})

    code, out, _ = run(project, capsys, "compat", "app==1.0", "lib==1.0")
    assert code == 0
    assert (
        "later    from lib import new_api  (app/__init__.py:3, top) — lib 1.0 has no `new_api` "
        "in `lib` (lib.API >= 2 cannot be told for lib 1.0: not enforced; `--lazy enforce`)"
    ) in out

    code, out, _ = run(project, capsys, "compat", "app==1.0", "lib==2.0")
    assert code == 1
    assert "missing  from lib import new_api  (app/__init__.py:3, top)" in out
