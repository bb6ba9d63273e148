"""Exports, uses and verdicts, one row per mechanism: (provider files, consumer files,
expected verdicts), on wheels built in the test."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from symres.judge import judge
from symres.judge.judge import CompatReport
from symres.symbols.conditions import TargetFacts
from symres.symbols.consumer import read_uses
from symres.symbols.opened import Opened
from symres.symbols.release import ReleaseSymbols
from symres.symbols.source import ReleaseSource
from symres.symbols.stdlib import Stdlib
from tests.builders import build_wheel


def release(
    tmp: Path, name: str, version: str, files: dict[str, str], python: str = "3.11"
) -> ReleaseSymbols:
    path = build_wheel(tmp, name, version, files=files)
    major, minor = (int(x) for x in python.split("."))
    return ReleaseSymbols(
        canonicalize_name(name),
        Version(version),
        ReleaseSource(None, path=path),
        TargetFacts(python=(major, minor)),
    )


def compat(
    tmp: Path,
    consumer: dict[str, str],
    providers: dict[str, dict[str, str]],
    python: str = "3.11",
    versions: dict[str, str] | None = None,
) -> CompatReport:
    major, minor = (int(x) for x in python.split("."))
    tmp.mkdir(parents=True, exist_ok=True)
    cons = release(tmp, "app", "1.0", consumer, python)
    provs = [
        release(tmp, n, (versions or {}).get(n, "1.0"), f, python) for n, f in providers.items()
    ]
    return judge.compat(
        Opened([cons, *provs]),
        (cons.name, cons.version),
        [(p.name, p.version) for p in provs],
        Stdlib((major, minor)),
    )


def verdicts(report: CompatReport) -> dict[str, str]:
    """`statement` -> verdict (or `not given`), for uses of the consumer."""
    out = {}
    for c in report.checked:
        out[f"{c.use.module}:{c.use.name}"] = c.verdict.status if c.verdict else "not given"
    return out


# (provider files, consumer source of app/__init__.py, expected {module:name: verdict})
EXPORT_ROWS = [
    pytest.param(
        {"lib/__init__.py": "def kept(): pass\n"},
        "from lib import kept, gone\n",
        {"lib:kept": "present", "lib:gone": "missing"},
        id="plain-defs",
    ),
    pytest.param(
        {"lib/__init__.py": "", "lib/sub.py": "X = 1\n"},
        "from lib import sub\nfrom lib.sub import X\nimport lib.nope\n",
        {"lib:sub": "present", "lib.sub:X": "present", "lib.nope:None": "missing"},
        id="submodules",
    ),
    pytest.param(
        {
            "lib/__init__.py": "from ._impl import helper as public\n",
            "lib/_impl.py": "def helper(): pass\n",
        },
        "from lib import public\n",
        {"lib:public": "present"},
        id="re-export",
    ),
    pytest.param(
        {
            "lib/__init__.py": "from .a import *\nfrom .b import *\n",
            "lib/a.py": "__all__ = ['listed']\ndef listed(): pass\ndef unlisted(): pass\n",
            "lib/b.py": "def public(): pass\ndef _private(): pass\n",
        },
        "from lib import listed, unlisted, public, _private\n",
        {
            "lib:listed": "present",
            "lib:unlisted": "missing",
            "lib:public": "present",
            "lib:_private": "missing",
        },
        id="star-imports-honour-__all__",
    ),
    pytest.param(
        {
            "lib/__init__.py": "import sys\nif sys.version_info >= (3, 12):\n    def new(): pass\n"
            "else:\n    def old(): pass\n"
        },
        "from lib import new, old\n",
        {"lib:new": "missing", "lib:old": "present"},
        id="version-branches-for-the-target",
    ),
    pytest.param(
        {
            "lib/__init__.py": "try:\n    from ._speedups import fast\nexcept ImportError:\n"
            "    from ._native import fast\n",
            "lib/_native.py": "def fast(): pass\n",
        },
        "from lib import fast\n",
        {"lib:fast": "present"},
        id="try-except-both-branches-bind",
    ),
    pytest.param(
        {
            "lib/__init__.py": "from ._C import *\n",
            "lib/_C.cpython-311-x86_64-linux-gnu.so": "",
            "lib/_C.pyi": "class device: ...\n",
        },
        "from lib import device, other\n",
        {"lib:device": "present", "lib:other": "missing"},
        id="c-extension-with-stub",
    ),
    pytest.param(
        {"lib/__init__.py": "from ._C import *\n", "lib/_C.cpython-311-x86_64-linux-gnu.so": ""},
        "from lib import device\n",
        {"lib:device": "unknown"},
        id="c-extension-without-stub",
    ),
    pytest.param(
        {
            "lib/__init__.py": "def __getattr__(name):\n    if name == 'Old':\n        return 1\n"
            "    raise AttributeError(name)\n"
        },
        "from lib import Old, Never\n",
        {"lib:Old": "present", "lib:Never": "missing"},
        id="getattr-chain-ending-in-raise",
    ),
    pytest.param(
        {
            "lib/__init__.py": "from ._expired import EXPIRED\ndef __getattr__(attr):\n"
            "    if attr in EXPIRED:\n        raise AttributeError(EXPIRED[attr])\n"
            "    return object()\n",
            "lib/_expired.py": "EXPIRED = {'float_': 'use float64'}\n",
        },
        "import lib as np\nX = np.float_\nY = np.anything\n",
        {"lib:float_": "missing", "lib:anything": "unknown"},
        id="getattr-raises-for-expired",
    ),
    pytest.param(
        {
            "lib/__init__.py": "from ._migration import getattr_migration\n"
            "_dynamic = {'Model': '.main'}\n"
            "def __getattr__(attr_name):\n    found = _dynamic.get(attr_name)\n"
            "    if found is None:\n        return _migrate(attr_name)\n"
            "    return found\n_migrate = getattr_migration(__name__)\n",
            "lib/_migration.py": "def getattr_migration(module):\n    def wrapper(name):\n"
            "        path = f'{module}:{name}'\n"
            "        if path == 'lib:Settings':\n            raise ImportError('moved')\n"
            "        raise AttributeError(name)\n    return wrapper\n",
        },
        "from lib import Model, Settings\n",
        {"lib:Model": "present", "lib:Settings": "missing"},
        id="getattr-delegating-to-a-migration-helper",
    ),
    pytest.param(
        {
            "lib/__init__.py": "import sys\nfrom typing import TYPE_CHECKING\n"
            "_import_structure = {'models': ['Listed']}\n"
            "_import_structure['models'].extend(['Added'])\n"
            "if TYPE_CHECKING:\n    from .models import Hinted\nelse:\n"
            "    sys.modules[__name__] = _LazyModule(__name__, _import_structure)\n",
            "lib/models.py": "",
        },
        "from lib import Listed, Added, Hinted, Other\n",
        {
            "lib:Listed": "present",
            "lib:Added": "present",
            "lib:Hinted": "present",
            "lib:Other": "unknown",
        },
        id="transformers-lazy-module",
    ),
    pytest.param(
        {
            "lib/__init__.py": "_SUBMOD_ATTRS = {'api': ['Client']}\n"
            "__getattr__, __dir__, __all__ = _attach(__name__, submodules=[], "
            "submod_attrs=_SUBMOD_ATTRS)\n"
        },
        "from lib import Client, Removed\n",
        {"lib:Client": "present", "lib:Removed": "missing"},
        id="lazy-attach",
    ),
    pytest.param(
        {
            "lib/__init__.py": "from types import ModuleType\nclass _Lazy(ModuleType):\n"
            "    def __getattr__(self, item): ...\n"
            "_Lazy(__name__, {'lib.utils': ['cached_property']})\n"
        },
        "from lib import cached_property, other\n",
        {"lib:cached_property": "present", "lib:other": "unknown"},
        id="module-object-swap",
    ),
    pytest.param(
        {
            "lib/__init__.py": "import typing\n__all__ = []\ndef _define(name):\n"
            "    if hasattr(typing, name):\n        globals()[name] = getattr(typing, name)\n"
            "_define('Protocol')\n"
        },
        "from lib import Protocol, Nope\n",
        {"lib:Protocol": "present", "lib:Nope": "missing"},
        id="globals-writer-with-literal-names",
    ),
    pytest.param(
        {"google/protobuf/__init__.py": "X = 1\n"},  # a namespace package: `google`
        "import google.cloud\nfrom google.protobuf import gone\nimport google.protobuf.nope\n",
        {
            "google.cloud:None": "not given",  # another distribution's part of `google`
            "google.protobuf:gone": "missing",
            "google.protobuf.nope:None": "missing",
        },
        id="a-namespace-package-is-shared",
    ),
    pytest.param(
        {"lib/__init__.py": "print 'python 2'\n"},
        "from lib import thing\n",
        {"lib:thing": "unknown"},
        id="unreadable-source-is-unknown",
    ),
]


def assert_verdicts(
    tmp: Path, provider: dict[str, str], consumer: str, expected: dict[str, str]
) -> None:
    """One table row: *consumer* as app/__init__.py against the provider `lib`."""
    report = compat(tmp, {"app/__init__.py": consumer}, {"lib": provider})
    got = verdicts(report)
    assert {k: got.get(k) for k in expected} == expected


@pytest.mark.parametrize(("provider", "consumer", "expected"), EXPORT_ROWS)
def test_export_verdicts(tmp_path: Path, provider, consumer, expected) -> None:
    assert_verdicts(tmp_path, provider, consumer, expected)


GUARD_ROWS = [
    pytest.param("from lib import gone\n", "top", True, id="top"),
    pytest.param("def f():\n    from lib import gone\n", "lazy", True, id="function-body"),
    pytest.param(
        "try:\n    from lib import gone\nexcept ImportError:\n    gone = None\n",
        "optional",
        False,
        id="try-with-fallback",
    ),
    pytest.param(
        "try:\n    from lib import gone\nexcept ImportError:\n    raise\n",
        "top",
        True,
        id="try-that-reraises",
    ),
    pytest.param(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from lib import gone\n",
        None,
        False,
        id="type-checking",
    ),
    pytest.param(
        "def is_lib_available(): ...\nif is_lib_available():\n    from lib import gone\n",
        "if-available",
        True,
        id="availability-check",
    ),
    pytest.param(
        "import sys\nif sys.version_info < (3, 0):\n    from lib import gone\n",
        None,
        False,
        id="dead-version-branch",
    ),
    pytest.param(
        "import sys\npy = sys.version_info\npy3k = py >= (3, 0, 0)\nif py3k:\n    pass\n"
        "else:\n    from lib import gone\n",
        None,
        False,
        id="version-constant",
    ),
    pytest.param(
        "import lib\ndef f(lib):\n    return lib.gone\n", None, False, id="parameter-shadows-module"
    ),
    pytest.param(
        "import sys, lib\ndef f(s=(0 if sys.platform != 'win32' else lib.gone)): ...\n",
        None,
        False,
        id="dead-arm-of-a-target-test",
    ),
    pytest.param(
        "import sys, lib\nx = sys.platform == 'win32' and lib.gone\n",
        None,
        False,
        id="short-circuited-by-a-target-test",
    ),
    pytest.param(
        "import sys, lib\nx = lib.gone if sys.platform == 'linux' else None\n",
        "top",
        True,
        id="live-arm-of-a-target-test",
    ),
    pytest.param(
        "import lib\ndef f():\n    lib = object()\n    return lib.gone\n",
        None,
        False,
        id="assignment-shadows-module",
    ),
    pytest.param(
        "import lib\ndef f():\n    global lib\n    lib = lib\n    return lib.gone\n",
        "lazy",
        True,
        id="global-is-the-module",
    ),
    pytest.param(
        "import lib\ndef f(x):\n    def g():\n        return lib.gone\n    return g\n",
        "lazy",
        True,
        id="nested-function-sees-the-module",
    ),
]


@pytest.mark.parametrize(("consumer", "guard", "breaks"), GUARD_ROWS)
def test_guards(tmp_path: Path, consumer: str, guard: str | None, breaks: bool) -> None:
    report = compat(
        tmp_path, {"app/__init__.py": consumer}, {"lib": {"lib/__init__.py": "kept = 1\n"}}
    )
    uses = [c for c in report.checked if c.use.name == "gone"]
    assert [c.use.guard for c in uses] == ([guard] if guard else [])
    assert bool(report.missing) is breaks


def test_provider_version_guard_is_evaluated_per_release(tmp_path: Path) -> None:
    consumer = {
        "app/__init__.py": "import lib\nfrom packaging import version\n"
        "if version.parse(lib.__version__) >= version.parse('2.0'):\n    from lib import new_api\n"
    }
    old = compat(
        tmp_path / "old",
        consumer,
        {"lib": {"lib/__init__.py": "kept = 1\n"}},
        versions={"lib": "1.5"},
    )
    assert not old.missing and [j.use.name for j in old.inactive] == ["new_api"]
    new = compat(
        tmp_path / "new",
        consumer,
        {"lib": {"lib/__init__.py": "kept = 1\n"}},
        versions={"lib": "2.1"},
    )
    assert [c.use.name for c in new.missing] == ["new_api"]


def test_a_module_imported_under_an_unknown_if_is_not_surely_reached(tmp_path: Path) -> None:
    """psutil imports _pswindows only `if WINDOWS:` (a constant from another module): its
    uses are reported, not enforced, elsewhere."""
    report = compat(
        tmp_path,
        {
            "app/__init__.py": "from app._common import WINDOWS\n"
            "if WINDOWS:\n    from app import _win\nelse:\n    from app import _posix\n",
            "app/_common.py": "import os\nWINDOWS = os.name == 'nt'\n",
            "app/_win.py": "from lib import win_only\n",
            "app/_posix.py": "from lib import posix_only\n",
        },
        {"lib": {"lib/__init__.py": ""}},
    )
    surely = {c.use.name: c.use.import_time for c in report.checked if c.via == "lib 1.0"}
    assert surely == {"win_only": False, "posix_only": False}


def test_reachability_follows_the_consumers_own_imports(tmp_path: Path) -> None:
    report = compat(
        tmp_path,
        {
            "app/__init__.py": "from . import core\n",
            "app/core.py": "from lib import a\n",
            "app/testing.py": "from lib import b\n",
        },
        {"lib": {"lib/__init__.py": ""}},
    )
    reach = {c.use.name: c.use.reachable for c in report.checked}
    assert reach == {"a": True, "b": False}
    assert {c.use.where for c in report.missing} == {"app/core.py:1", "app/testing.py:1"}


@pytest.mark.parametrize(
    ("python", "source", "expected"),
    [
        (
            "3.10",
            "from collections import OrderedDict, MutableMapping\n",
            {"collections:OrderedDict": "present", "collections:MutableMapping": "missing"},
        ),
        (
            "3.9",
            "from collections import MutableMapping\n",
            {"collections:MutableMapping": "present"},
        ),
        (
            "3.12",
            "from distutils.version import StrictVersion\n",
            {"distutils.version:StrictVersion": "missing"},
        ),
        (
            "3.11",
            "from distutils.version import StrictVersion\n",
            {"distutils.version:StrictVersion": "present"},
        ),
        (
            "3.12",
            "import json\nfrom json import not_documented\n",
            {"json:None": "present", "json:not_documented": "unknown"},
        ),
    ],
)
def test_stdlib_of_the_target_python(
    tmp_path: Path, python: str, source: str, expected: dict[str, str]
) -> None:
    report = compat(tmp_path, {"app/__init__.py": source}, {}, python=python)
    got = verdicts(report)
    assert {k: got.get(k) for k in expected} == expected


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("import _hack\n", id="one-statement"),
        pytest.param(  # setuptools' distutils-precedence.pth, as it ships
            "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, "
            "'local') == 'local'; enabled and __import__('_hack').add_shim(); \n",
            id="setuptools-line",
        ),
    ],
)
def test_a_pth_import_hook_provides_a_removed_stdlib_module(tmp_path: Path, line: str) -> None:
    hook = {
        "_hack/__init__.py": "import sys\nclass Finder:\n    def spec_for_distutils(self): ...\n"
        "sys.meta_path.insert(0, Finder())\n",
        "hack-precedence.pth": line,
    }
    report = compat(
        tmp_path,
        {"app/__init__.py": "from distutils.version import StrictVersion\n"},
        {"hack": hook},
        python="3.12",
    )
    assert not report.missing
    assert [c.verdict.status for c in report.checked if c.verdict] == ["present"]


def test_uses_of_undeclared_providers_are_not_given(tmp_path: Path) -> None:
    report = compat(tmp_path, {"app/__init__.py": "import somewhere_else\n"}, {})
    assert verdicts(report) == {"somewhere_else:None": "not given"}
    assert not report.missing


def opened(path: Path) -> ReleaseSymbols:
    """A wheel written (or tampered with) by the test, read for Python 3.11."""
    name, version = path.name.split("-")[:2]
    return ReleaseSymbols(
        canonicalize_name(name),
        Version(version),
        ReleaseSource(None, path=path),
        TargetFacts(python=(3, 11)),
    )


def test_hostile_archives_are_contained(tmp_path: Path) -> None:
    path = build_wheel(tmp_path, "lib", "1.0", files={"lib/__init__.py": "from .big import x\n"})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("lib/big.py", "x = 1\n" + "#" * 50_000_000)  # a bomb: 50 MB of comment
        zf.writestr("lib/latin.py", "# -*- coding: latin-1 -*-\nname = '\xe9'\n".encode("latin-1"))
        zf.writestr("lib/deep.py", "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
    lib = opened(path)
    assert lib.name_verdict("lib.big", "x").status == "unknown"
    assert lib.name_verdict("lib.latin", "name").status == "present"
    assert lib.name_verdict("lib.deep", "x").status == "unknown"
    assert set(lib.unreadable) == {"lib/big.py", "lib/deep.py"}


def test_hostile_members_are_read_or_counted_never_run(tmp_path: Path) -> None:
    """A wheel of 60,000 members with a symlink, a duplicate name, bytes that are not
    UTF-8, 100,000-deep nesting and a 10^6-term expression: each is read or counted as
    unreadable, the healthy members still give their names, and no member runs."""
    marker = tmp_path / "ran"
    payload = f"open({str(marker)!r}, 'w').write('ran')\nvalue = 1\n"
    path = build_wheel(tmp_path, "lib", "1.0", files={"lib/__init__.py": "from .ok import good\n"})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("lib/ok.py", "good = 1\n")
        zf.writestr("lib/payload.py", payload)  # read, never executed
        for i in range(60_000):
            zf.writestr(f"lib/many/m{i}.py", "")
        link = zipfile.ZipInfo("lib/link.py")
        link.external_attr = 0o120777 << 16  # a symlink: its text is the target path
        zf.writestr(link, "../../../etc/passwd")
        zf.writestr("lib/twice.py", "first = 1\n")
        with pytest.warns(UserWarning, match="Duplicate name"):  # the last one counts
            zf.writestr("lib/twice.py", "second = 2\n")
        # not UTF-8 and no coding line: read with the bad bytes replaced (names are ASCII)
        zf.writestr("lib/bytes.py", b"name = '\xff\xfe'\n")
        zf.writestr("lib/nested.py", "x = " + "[" * 100_000 + "]" * 100_000 + "\n")
        zf.writestr("lib/terms.py", "x = " + "+".join(["1"] * 1_000_000) + "\n")
    lib = opened(path)

    assert lib.name_verdict("lib.ok", "good").status == "present"
    assert lib.name_verdict("lib.payload", "value").status == "present"
    assert lib.name_verdict("lib.twice", "second").status == "present"
    assert lib.name_verdict("lib.many.m59999", "anything").status == "missing"
    assert lib.name_verdict("lib.bytes", "name").status == "present"
    for module in ("lib.link", "lib.nested", "lib.terms"):
        assert lib.name_verdict(module, "x").status == "unknown", module
    assert {"lib/link.py", "lib/nested.py", "lib/terms.py"} <= set(lib.unreadable)
    uses = read_uses(lib)
    assert uses.files == 60_008  # every member once, the duplicate too
    assert sorted(uses.unreadable) == ["lib/link.py", "lib/nested.py", "lib/terms.py"]
    assert not marker.exists()  # static reading: no member ever ran


def test_a_record_that_lies_lends_its_uses_to_no_other_release(tmp_path: Path) -> None:
    """Uses are shared across releases by the hash of a module file; a wheel whose RECORD
    claims another file's hash for its own must not plant its uses under that hash."""
    from symres.db.store import SymbolDB

    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    honest = build_wheel(tmp_path / "1", "lib", "1.0", files={"lib/util.py": "import requests\n"})
    hostile = build_wheel(tmp_path / "2", "lib", "2.0", files={"lib/util.py": "import evil\n"})
    with zipfile.ZipFile(honest) as zf:
        claim = next(
            line
            for line in zf.read("lib-1.0.dist-info/RECORD").decode().splitlines()
            if line.startswith("lib/util.py,")
        )
    with zipfile.ZipFile(hostile) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    record = members["lib-2.0.dist-info/RECORD"].decode().splitlines()
    record = [claim if line.startswith("lib/util.py,") else line for line in record]
    members["lib-2.0.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(hostile, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    db = SymbolDB(None, snapshot=False)

    assert "evil" in {u.module for u in read_uses(opened(hostile), cache=db, target="t").uses}
    assert {u.module for u in read_uses(opened(honest), cache=db, target="t").uses} == {"requests"}


def test_consumer_files_that_do_not_parse_are_counted(tmp_path: Path) -> None:
    cons = release(
        tmp_path, "app", "1.0", {"app/__init__.py": "import lib\n", "app/py2.py": "print 'x'\n"}
    )
    uses = read_uses(cons)
    assert uses.files == 2 and list(uses.unreadable) == ["app/py2.py"]
    assert [u.module for u in uses.uses] == ["lib"]


def test_nested_fallbacks_are_dead_when_one_level_succeeds(tmp_path: Path) -> None:
    source = (
        "try:\n    from collections.abc import Mapping\nexcept ImportError:\n    try:\n"
        "        from UserDict import DictMixin\n    except ImportError:\n"
        "        from collections import Mapping\n"
    )
    report = compat(tmp_path, {"app/__init__.py": source}, {}, python="3.10")
    assert not report.missing
    assert any(
        j.use.name == "Mapping" and "fallback" in (j.inactive or "") for j in report.inactive
    )


def test_a_name_bound_by_a_fallback_import_keeps_its_primary_module(tmp_path: Path) -> None:
    """pip 21.2.4: `try: import threading / except ImportError: import dummy_threading as
    threading`, then `threading.local()` at module level — a use of `threading`, not of
    `dummy_threading` (gone from 3.9's stdlib), which would refuse every such release."""
    source = (
        "try:\n    import threading\nexcept ImportError:\n"
        "    import dummy_threading as threading\n\n_log_state = threading.local()\n"
    )
    report = compat(tmp_path, {"app/__init__.py": source}, {}, python="3.11")
    assert not report.missing
    assert verdicts(report).get("threading:local") == "present"


def test_a_class_attribute_shadows_a_module_of_the_same_name(tmp_path: Path) -> None:
    """urllib3 1.26's weakref_finalize: `import atexit`, then in a class a property
    `atexit` and `@atexit.setter` — the property's setter, not a use of `atexit.setter`
    (which `symres verify` checked, and failed, on every Python); a method's body still
    sees the module."""
    source = (
        "import atexit\n"
        "class F:\n"
        "    @property\n"
        "    def atexit(self): return 1\n"
        "    @atexit.setter\n"
        "    def atexit(self, value): pass\n"
        "    def run(self):\n"
        "        atexit.unregister_all_now()\n"
    )
    report = compat(tmp_path, {"app/__init__.py": source}, {}, python="3.11")
    asked = verdicts(report)
    assert "atexit:setter" not in asked
    assert "atexit:unregister_all_now" in asked


@pytest.mark.parametrize(
    ("test", "guard"),
    [
        ("is_lib_available()", "if-available"),
        ("importlib.util.find_spec('lib') is not None", "if-available"),
        ("is_lib_flex_attn_available()", "conditional"),
    ],
)
def test_availability_checks_of_a_feature_are_not_installation_checks(
    tmp_path: Path, test: str, guard: str
) -> None:
    source = f"import importlib.util\nif {test}:\n    from lib import gone\n"
    report = compat(tmp_path, {"app/__init__.py": source}, {"lib": {"lib/__init__.py": "x = 1\n"}})
    assert [c.use.guard for c in report.checked if c.use.name == "gone"] == [guard]


def test_short_circuit_hasattr_guards_what_follows(tmp_path: Path) -> None:
    source = (
        "import sys\nFREE = hasattr(sys, '_is_gil_enabled') and not sys._is_gil_enabled()\n"
        "X = sys._is_gil_enabled if hasattr(sys, '_is_gil_enabled') else None\n"
    )
    report = compat(tmp_path, {"app/__init__.py": source}, {}, python="3.11")
    assert not report.missing
    assert {j.use.name for j in report.inactive} == {"_is_gil_enabled"}


def test_a_stubs_imports_are_not_uses(tmp_path: Path) -> None:
    """`_ext.pyi` beside a C extension describes it for type checkers; it never runs."""
    report = compat(
        tmp_path,
        {"app/__init__.py": "from lib import kept\n", "app/_ext.pyi": "from lib import gone\n"},
        {"lib": {"lib/__init__.py": "kept = 1\n"}},
    )
    assert [c.use.name for c in report.checked] == ["kept"]
