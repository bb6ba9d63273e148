"""One table per class of gap the judge once had (issue 13), and one of the shapes that
must stay ``unknown``: (providers' files, the consumer's files, the target Python,
expected verdicts), on wheels built here and judged by the one judge. The lazy modules
have their own tables (tests/test_lazy_modules.py).

An expected verdict is keyed ``module:name`` (``module:None`` for ``import module``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from symres.judge.judge import compat
from symres.symbols.opened import Opened
from symres.symbols.stdlib import Stdlib
from tests.builders import elf_extension
from tests.test_symbols import release

SO = "cpython-311-x86_64-linux-gnu.so"


def judged(
    tmp: Path,
    providers: dict[str, dict[str, str | bytes]],
    consumer: dict[str, str],
    python: str = "3.11",
) -> dict[str, tuple[str, str]]:
    """`module:name` -> (verdict, how the judge takes it: enforced, later, inactive…)."""
    tmp.mkdir(parents=True, exist_ok=True)
    app = release(tmp, "app", "1.0", consumer, python)  # type: ignore[arg-type]
    libs = [
        release(tmp, *(name.split("==") + ["1.0"])[:2], files, python)  # type: ignore[arg-type]
        for name, files in providers.items()
    ]
    major, minor = (int(x) for x in python.split("."))
    report = compat(
        Opened([app, *libs]),
        (app.name, Version("1.0")),
        [(lib.name, lib.version) for lib in libs],
        Stdlib((major, minor)),
    )
    out = {}
    for j in report.judged:
        how = (
            "inactive" if j.inactive else "enforced" if j.enforced else "later" if j.breaks else "-"
        )
        out[f"{j.use.module}:{j.use.name}"] = (j.status, how)
    return out


def check_row(tmp: Path, providers, consumer, python, expected) -> None:
    got = judged(tmp, providers, consumer, python)
    want = {
        k: v if isinstance(v, tuple) else (v, got.get(k, ("", ""))[1]) for k, v in expected.items()
    }
    assert {k: got.get(k) for k in expected} == want


def lib(source: str, **more: str | bytes) -> dict[str, dict[str, str | bytes]]:
    return {"lib": {"lib/__init__.py": source, **more}}


APP = "app/__init__.py"

GAP_ROWS = [
    # -- a C extension's names, bounded by its bytes ---------------------------------------
    pytest.param(
        lib("from ._speedups import *\n", **{f"lib/_speedups.{SO}": elf_extension(["fast"])}),
        {APP: "from lib import fast, gone\n"},
        "3.11",
        {"lib:fast": "present", "lib:gone": "missing"},
        id="extension-star-import-bounded-by-its-names",
    ),
    pytest.param(
        lib("", **{f"lib/_speedups.{SO}": elf_extension(["fast"], needed=["libc.so.6"])}),
        {APP: "from lib._speedups import fast, gone\n"},
        "3.11",
        # imported directly, a name its bytes lack may still be set on it by the
        # release's own code: unknown (a star import of it is bounded, above)
        {"lib._speedups:fast": "present", "lib._speedups:gone": "unknown"},
        id="extension-imported-directly-present-by-its-bytes",
    ),
    pytest.param(
        lib(
            "",
            **{
                f"lib/core.{SO}": elf_extension(["kept"], cython="3.1"),
                "lib/core.py": "def kept(): pass\n",
            },
        ),
        {APP: "from lib.core import kept, dropped\n"},
        "3.11",
        {"lib.core:kept": "present", "lib.core:dropped": "missing"},
        id="cython-compiled-from-the-py-beside-it-compressed-names",
    ),
    pytest.param(
        lib(
            "from .errors import *\n",
            **{
                f"lib/errors.{SO}": elf_extension(["Kept", "Private", "__all__"], cython="0.29"),
                "lib/errors.py": "__all__ = ['Kept']\nclass Kept: pass\nclass Private: pass\n",
            },
        ),
        {APP: "from lib import Kept, Private\n"},
        "3.11",
        {"lib:Kept": "present", "lib:Private": "missing"},
        id="star-import-of-a-cython-module-follows-its-sources-all",
    ),
    pytest.param(
        lib(
            "",
            **{
                f"lib/core.{SO}": elf_extension([], cython="3.1"),
                "lib/core.py": "from lib.base import *\n",
                "lib/base.py": "def thing(): pass\n",
            },
        ),
        {APP: "from lib.core import thing, other\n"},
        "3.11",
        {"lib.core:thing": "present", "lib.core:other": "missing"},
        id="compiled-module-read-as-its-source-star-imports-and-all",
    ),
    # -- a submodule of an open package is a file or nothing ------------------------------
    pytest.param(
        lib("def __getattr__(name):\n    return name\n", **{"lib/sub.py": ""}),
        {APP: "import lib.sub\nimport lib.gone\n"},
        "3.11",
        {"lib.sub:None": "present", "lib.gone:None": "missing"},
        id="submodule-of-a-package-with-getattr",
    ),
    pytest.param(
        lib("", **{f"lib/_core.{SO}": elf_extension(["x"]), "lib/sub.py": ""}),
        {APP: "import lib._core\nimport lib.gone\n"},
        "3.11",
        {"lib._core:None": "present", "lib.gone:None": "missing"},
        id="submodule-beside-an-extension",
    ),
    pytest.param(
        lib("import sys\nsetattr(sys.modules[__name__], 'dyn', 1)\n"),
        {APP: "from lib import dyn, gone\n"},
        "3.11",
        {"lib:dyn": "present", "lib:gone": "missing"},
        id="a-literal-name-set-on-the-module-object",
    ),
    # -- module dunders -------------------------------------------------------------------
    pytest.param(
        lib("x = 1\n", **{"lib/m.py": "y = 2\n"}),
        {
            APP: "from lib import __file__, __name__, __path__, __spec__, __version__\n"
            "from lib.m import __doc__, __path__, __all__\n"
        },
        "3.11",
        {
            "lib:__file__": "present",
            "lib:__name__": "present",
            "lib:__path__": "present",  # a package's
            "lib:__spec__": "present",
            "lib:__version__": "missing",  # only where the source binds it
            "lib.m:__doc__": "present",
            "lib.m:__path__": "missing",  # a module is no package
            "lib.m:__all__": "missing",
        },
        id="module-dunders",
    ),
    pytest.param(
        {},
        {APP: "from json import __file__, __name__\n"},
        "3.12",
        {"json:__file__": "present", "json:__name__": "present"},
        id="stdlib-module-dunders",
    ),
    # -- import roots: a wheel's own tests import nothing of it ---------------------------
    pytest.param(
        lib("kept = 1\n"),
        {
            APP: "from lib import kept\n",
            "tests/test_app.py": "from lib import gone\n",
            "conftest.py": "from lib import gone2\n",
        },
        "3.11",
        {
            "lib:kept": "present",
            "lib:gone": ("missing", "later"),
            "lib:gone2": ("missing", "later"),
        },
        id="tests-and-conftest-are-not-import-roots",
    ),
    # -- namespace packages are shared ----------------------------------------------------
    pytest.param(
        {"proto": {"google/protobuf/__init__.py": "X = 1\n"}},
        {APP: "import google.cloud\nfrom google.protobuf import X, gone\n"},
        "3.11",
        {
            "google.cloud:None": "provider not given",
            "google.protobuf:X": "present",
            "google.protobuf:gone": "missing",
        },
        id="namespace-package-claims-only-its-own-parts",
    ),
    # -- .pth import hooks ----------------------------------------------------------------
    pytest.param(
        {
            "hack": {
                "_hack/__init__.py": "class F:\n    def spec_for_distutils(self): ...\n",
                "hack-precedence.pth": "import os; x = 1; x and __import__('_hack').add(); \n",
            }
        },
        {APP: "from distutils.version import StrictVersion\n"},
        "3.12",
        {"distutils.version:StrictVersion": ("present", "-")},
        id="pth-hook-serves-a-removed-stdlib-module",
    ),
    pytest.param(
        {},
        {APP: "from distutils.version import StrictVersion\n"},
        "3.12",
        {"distutils.version:StrictVersion": ("missing", "enforced")},
        id="without-the-hook-the-stdlib-lacks-it",
    ),
    # -- one policy: import time enforced, function bodies later --------------------------
    pytest.param(
        lib("kept = 1\n"),
        {APP: "from lib import gone\ndef f():\n    from lib import later_gone\n"},
        "3.11",
        {"lib:gone": ("missing", "enforced"), "lib:later_gone": ("missing", "later")},
        id="import-time-enforced-function-bodies-later",
    ),
    pytest.param(
        lib("kept = 1\n"),
        {APP: "try:\n    from lib import kept\nexcept ImportError:\n    from lib import old\n"},
        "3.11",
        {"lib:kept": "present", "lib:old": ("inactive", "inactive")},
        id="a-fallback-whose-try-succeeds-never-runs",
    ),
    # -- a test on another module is judged by that module ------------------------------
    pytest.param(
        {
            "np==2.0": {"np/__init__.py": "__version__ = '2.0'\n"},
            "sp": {"sp/__init__.py": "new = 1\n"},
        },
        {
            APP: "import np\nfrom packaging import version\n"
            "if version.parse(np.__version__) >= version.parse('2.0'):\n    from sp import new\n"
            "else:\n    from sp import old\n"
        },
        "3.11",
        {"sp:new": "present", "sp:old": ("inactive", "inactive")},
        id="a-version-test-on-another-pin",
    ),
    pytest.param(
        {"te": {"te/__init__.py": "x = 1\n"}},
        {
            APP: "import typing\nif hasattr(typing, 'override'):\n    from typing import override\n"
            "else:\n    from te import override\n"
        },
        "3.12",
        {"typing:override": "present", "te:override": ("inactive", "inactive")},
        id="a-hasattr-test-on-the-stdlib",
    ),
    pytest.param(
        {},
        {
            APP: "try:\n    from app._speedups import reload\nexcept ImportError:\n"
            "    from imp import reload\n",
            "app/_speedups.py": "def reload(): pass\n",
        },
        "3.12",
        {"imp:reload": ("inactive", "inactive")},
        id="a-fallback-for-the-consumers-own-module",
    ),
    # -- who provides a module ------------------------------------------------------------
    pytest.param(
        {"asyncio": {"asyncio/__init__.py": "x = 1\n"}},
        {APP: "from asyncio import TaskGroup\n"},
        "3.11",
        {"asyncio:TaskGroup": "present"},
        id="a-backport-is-shadowed-by-the-stdlib",
    ),
    pytest.param(
        {"typing-extensions": {"typing_extensions.py": "TypedDict = 1\n"}},
        {APP: "from typing_extensions import NotRequired, TypedDict\n"},
        "3.11",
        {"typing_extensions:NotRequired": "missing", "typing_extensions:TypedDict": "present"},
        id="typeshed-stubs-typing-extensions-python-does-not-ship-it",
    ),
    pytest.param(
        {
            "host": {
                "host/__init__.py": "",
                "host/plugins/__init__.py": "",
                "host/plugins/core/__init__.py": "",
            },
            "plugin": {"host/plugins/core/extra/mod.py": "def foo(): pass\n"},
        },
        {APP: "from host.plugins.core.extra.mod import foo, bar\n"},
        "3.11",
        {
            "host.plugins.core.extra.mod:foo": "present",
            "host.plugins.core.extra.mod:bar": "missing",
        },
        id="claims-tied-at-depth-three-go-to-the-pin-that-has-it",
    ),
    # -- verify's own checks: what is not a module use ------------------------------------
    pytest.param(
        {},
        {
            APP: "from __future__ import annotations\nimport atexit\n"
            "class F:\n    @property\n    def atexit(self): ...\n    @atexit.setter\n"
            "    def atexit(self, v): ...\n"
        },
        "3.11",
        {"__future__:annotations": "present", "atexit:None": "present"},
        id="a-decorator-on-a-local-name-is-not-a-module-use",
    ),
]


@pytest.mark.parametrize(("providers", "consumer", "python", "expected"), GAP_ROWS)
def test_gap_classes(tmp_path: Path, providers, consumer, python, expected) -> None:
    check_row(tmp_path, providers, consumer, python, expected)


def test_a_decorator_on_a_local_name_makes_no_attribute_use(tmp_path: Path) -> None:
    got = judged(
        tmp_path,
        {},
        {
            APP: "import atexit\nclass F:\n    @property\n    def atexit(self): ...\n"
            "    @atexit.setter\n    def atexit(self, v): ...\n"
        },
    )
    assert "atexit:setter" not in got


STAY_UNKNOWN = [
    pytest.param(
        {
            "torch": {
                "torch/__init__.py": "from torch._C import *\n",
                f"torch/_C.{SO}": elf_extension(["init"], needed=["libtorch_python.so"]),
                "torch/lib/libtorch_python.so": "",
            }
        },
        {APP: "from torch import gone\nfrom torch._C import also_gone\n"},
        {"torch:gone": "unknown", "torch._C:also_gone": "unknown"},
        id="an-extension-that-links-a-library-of-its-wheel",
    ),
    pytest.param(
        lib("from ._mac import *\n", **{f"lib/_mac.{SO}": b"\xcf\xfa\xed\xfe" + b"\0" * 64}),
        {APP: "from lib import gone\n"},
        {"lib:gone": "unknown"},
        id="a-binary-whose-links-cannot-be-read",
    ),
    pytest.param(
        lib("", **{f"lib/core.{SO}": elf_extension(["x"], cython="3.1")[:-400] + b"\0" * 400}),
        {APP: "from lib.core import gone\n"},
        {"lib.core:gone": "unknown"},
        id="cython-names-compressed-past-reading",
    ),
    pytest.param(
        lib("import sys\nfor _n in ('a', 'b'):\n    globals()['make_' + _n] = _n\n"),
        {APP: "from lib import make_a\n"},
        {"lib:make_a": "unknown"},
        id="names-built-at-run-time-in-globals",
    ),
    pytest.param(
        lib("import sys\nfor _n in NAMES:\n    setattr(sys.modules[__name__], _n, 1)\n"),
        {APP: "from lib import dyn\n"},
        {"lib:dyn": "unknown"},
        id="names-set-on-the-module-object",
    ),
    pytest.param(
        lib("def __getattr__(name):\n    return name\n"),
        {APP: "from lib import anything\n"},
        {"lib:anything": "unknown"},
        id="a-getattr-that-serves-every-name",
    ),
    pytest.param(
        lib("import sys\n_this = sys.modules[__name__]\nsetattr(_this, 'dyn', 1)\n"),
        {APP: "from lib import dyn\n"},
        {"lib:dyn": "unknown"},
        id="names-set-through-an-alias-of-the-module",
    ),
    pytest.param(
        lib("import sys\ndef _init():\n    setattr(sys.modules[__name__], 'dyn', 1)\n_init()\n"),
        {APP: "from lib import dyn\n"},
        {"lib:dyn": "unknown"},
        id="names-set-on-the-module-from-a-function",
    ),
    pytest.param(
        lib(
            "",
            **{
                f"lib/core.{SO}": elf_extension([]),
                "lib/core.py": "def __getattr__(name):\n    return name\n",
            },
        ),
        {APP: "from lib.core import anything\n"},
        {"lib.core:anything": "unknown"},
        id="a-compiled-module-whose-source-has-getattr",
    ),
]


@pytest.mark.parametrize(("providers", "consumer", "expected"), STAY_UNKNOWN)
def test_shapes_that_stay_unknown(tmp_path: Path, providers, consumer, expected) -> None:
    check_row(tmp_path, providers, consumer, "3.11", expected)
