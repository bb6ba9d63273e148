"""Modules swapped for a lazy object (``sys.modules[__name__] = _LazyModule(...)``), as
transformers builds every package: read as the closed tables they are, where they are.

Rows: (provider files, consumer source, expected verdicts), on wheels built here."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_symbols import assert_verdicts

# transformers 4.38's `_LazyModule`, cut to what decides which names it serves
LAZY_4_38 = """
import importlib, os
from itertools import chain
from types import ModuleType

class _LazyModule(ModuleType):
    def __init__(self, name, module_file, import_structure, module_spec=None, extra_objects=None):
        super().__init__(name)
        self._modules = set(import_structure.keys())
        self._class_to_module = {}
        for key, values in import_structure.items():
            for value in values:
                self._class_to_module[value] = key
        self.__all__ = list(import_structure.keys()) + list(chain(*import_structure.values()))
        self.__file__ = module_file
        self.__spec__ = module_spec
        self.__path__ = [os.path.dirname(module_file)]
        self._objects = {} if extra_objects is None else extra_objects
        self._name = name
        self._import_structure = import_structure

    def __getattr__(self, name):
        if name in self._objects:
            return self._objects[name]
        if name in self._modules:
            value = self._get_module(name)
        elif name in self._class_to_module.keys():
            module = self._get_module(self._class_to_module[name])
            value = getattr(module, name)
        else:
            raise AttributeError(f"module {self.__name__} has no attribute {name}")
        setattr(self, name, value)
        return value

    def _get_module(self, module_name):
        return importlib.import_module("." + module_name, self.__name__)
"""

# the newer one: a fallback through shortcuts, reached only when a name is found there
LAZY_4_46 = """
import importlib
from types import ModuleType

class _LazyModule(ModuleType):
    def __init__(self, name, module_file, import_structure, module_spec=None,
                 extra_objects=None, explicit_import_shortcut=None):
        super().__init__(name)
        self._object_missing_backend = {}
        self._explicit_import_shortcut = explicit_import_shortcut or {}
        self._modules = set(import_structure.keys())
        self._class_to_module = {v: k for k, vs in import_structure.items() for v in vs}
        self._objects = {} if extra_objects is None else extra_objects

    def __getattr__(self, name: str):
        if name in self._objects:
            return self._objects[name]
        if name in self._object_missing_backend:
            class Placeholder:
                pass
            value = Placeholder
        elif name in self._class_to_module:
            try:
                module = self._get_module(self._class_to_module[name])
                value = getattr(module, name)
            except (ModuleNotFoundError, RuntimeError) as e:
                raise ModuleNotFoundError(f"Could not import module '{name}'") from e
        elif name in self._modules:
            value = self._get_module(name)
        else:
            value = None
            for key, values in self._explicit_import_shortcut.items():
                if name in values:
                    value = self._get_module(key)
            if value is None:
                raise AttributeError(f"module {self.__name__} has no attribute {name}")
        setattr(self, name, value)
        return value

    def _get_module(self, module_name):
        return importlib.import_module("." + module_name, self.__name__)


def define_import_structure(module_path):
    import os
    return {f[:-3]: [] for f in os.listdir(os.path.dirname(module_path))}
"""

# a lazy object that hands every other name to something: it stays open
OPEN_LAZY = """
import importlib
from types import ModuleType

class _LazyModule(ModuleType):
    def __init__(self, name, module_file, import_structure):
        super().__init__(name)
        self._table = import_structure

    def __getattr__(self, name):
        if name in self._table:
            return importlib.import_module("." + self._table[name], self.__name__)
        return importlib.import_module("._fallback", self.__name__)
"""

INTEGRATIONS_4_44 = """
from typing import TYPE_CHECKING
from ..utils import OptionalDependencyNotAvailable, _LazyModule, is_torch_available

_import_structure = {
    "aqlm": ["replace_with_aqlm_linear"],
    "bitsandbytes": [
        "get_keys_to_not_convert",
        "replace_with_bnb_linear",
        {bnb}
    ],
}
try:
    if not is_torch_available():
        raise OptionalDependencyNotAvailable()
except OptionalDependencyNotAvailable:
    pass
else:
    _import_structure["executorch"] = ["convert_and_export_with_cache"]
_import_structure["bitsandbytes"].append("set_module_quantized_tensor_to_device")

if TYPE_CHECKING:
    from .bitsandbytes import get_keys_to_not_convert
else:
    import sys

    sys.modules[__name__] = _LazyModule(
        __name__, globals()["__file__"], _import_structure, module_spec=__spec__
    )
"""

UTILS = {
    "lib/utils/__init__.py": "from .import_utils import _LazyModule, define_import_structure\n"
    "class OptionalDependencyNotAvailable(BaseException): pass\n"
    "def is_torch_available(): return False\n",
}


def _integrations(bnb: str, lazy: str = LAZY_4_38) -> dict[str, str]:
    return {
        "lib/__init__.py": "",
        "lib/utils/import_utils.py": lazy,
        **UTILS,
        "lib/integrations/__init__.py": INTEGRATIONS_4_44.replace("{bnb}", bnb),
        "lib/integrations/aqlm.py": "def replace_with_aqlm_linear(): pass\n",
        "lib/integrations/bitsandbytes.py": "def get_keys_to_not_convert(): pass\n",
    }


DEFINED_4_46 = """
from typing import TYPE_CHECKING
from ..utils import _LazyModule
from ..utils.import_utils import define_import_structure

if TYPE_CHECKING:
    from .bitsandbytes import *
else:
    import sys

    _file = globals()["__file__"]
    sys.modules[__name__] = _LazyModule(
        __name__, _file, define_import_structure(_file), module_spec=__spec__
    )
"""

USE = "from lib.integrations import validate_bnb_backend_availability, replace_with_aqlm_linear\n"

LAZY_ROWS = [
    pytest.param(
        _integrations(""),
        USE,
        {
            "lib.integrations:validate_bnb_backend_availability": "missing",
            "lib.integrations:replace_with_aqlm_linear": "present",
        },
        id="literal-structure-lacks-the-name",
    ),
    pytest.param(
        _integrations('"validate_bnb_backend_availability",'),
        USE,
        {
            "lib.integrations:validate_bnb_backend_availability": "present",
            "lib.integrations:replace_with_aqlm_linear": "present",
        },
        id="literal-structure-has-the-name",
    ),
    pytest.param(
        _integrations("", LAZY_4_46),
        "from lib.integrations import validate_bnb_backend_availability, aqlm\n"
        "from lib.integrations import convert_and_export_with_cache\n"
        "from lib.integrations import set_module_quantized_tensor_to_device\n",
        {
            "lib.integrations:validate_bnb_backend_availability": "missing",
            "lib.integrations:aqlm": "present",  # a submodule (a key of the structure)
            "lib.integrations:convert_and_export_with_cache": "present",  # under a guard
            "lib.integrations:set_module_quantized_tensor_to_device": "present",  # appended
        },
        id="newer-lazy-class-with-a-shortcut-fallback",
    ),
    pytest.param(
        {
            **_integrations("", LAZY_4_46),
            "lib/integrations/__init__.py": DEFINED_4_46,
            "lib/integrations/bitsandbytes.py": "__all__ = ['validate_bnb_backend_availability']\n"
            "def validate_bnb_backend_availability(): pass\ndef helper(): pass\n",
            "lib/integrations/aqlm.py": "__all__ = []\n",
        },
        "from lib.integrations import validate_bnb_backend_availability, helper, gone\n",
        {
            "lib.integrations:validate_bnb_backend_availability": "present",
            "lib.integrations:helper": "missing",  # not in its module's __all__
            "lib.integrations:gone": "missing",
        },
        id="structure-defined-from-the-package-files",
    ),
    pytest.param(
        {**_integrations("", OPEN_LAZY)},
        USE,
        {
            "lib.integrations:validate_bnb_backend_availability": "unknown",
            "lib.integrations:replace_with_aqlm_linear": "present",
        },
        id="a-getattr-that-falls-back-stays-open",
    ),
    pytest.param(
        {
            **_integrations(""),
            "lib/integrations/__init__.py": INTEGRATIONS_4_44.replace("{bnb}", "")
            + "\ndef _grow(table):\n    table['x'] = NAMES\n_grow(_import_structure)\n",
        },
        USE,
        {"lib.integrations:validate_bnb_backend_availability": "unknown"},
        id="a-structure-changed-by-a-function-stays-open",
    ),
    pytest.param(
        {
            **_integrations(""),
            "lib/integrations/__init__.py": "import sys\nfrom ..utils import _LazyModule\n"
            "sys.modules[__name__] = _LazyModule(__name__, __file__, compute())\n",
        },
        USE,
        {"lib.integrations:validate_bnb_backend_availability": "unknown"},
        id="a-structure-built-at-run-time-stays-open",
    ),
    pytest.param(
        {
            **_integrations(""),
            "lib/integrations/__init__.py": "import sys\nfrom ..utils import _LazyModule\n"
            "from . import dummy_objects\n"
            "_s = {'aqlm': ['replace_with_aqlm_linear']}\n"
            "_s['dummy_objects'] = [n for n in dir(dummy_objects) if not n.startswith('_')]\n"
            "sys.modules[__name__] = _LazyModule(__name__, __file__, _s, "
            "extra_objects={'__version__': '1.0'})\n",
            "lib/integrations/dummy_objects.py": "class BnbDummy: pass\n",
        },
        "from lib.integrations import BnbDummy, __version__, validate_bnb_backend_availability\n",
        {
            "lib.integrations:BnbDummy": "present",
            "lib.integrations:__version__": "present",
            "lib.integrations:validate_bnb_backend_availability": "missing",
        },
        id="dir-of-a-dummy-module-and-extra-objects",
    ),
]


LAZY_ROWS += [
    pytest.param(
        _integrations(""),
        "import lib.integrations.gone\nimport lib.integrations.aqlm\n",
        {"lib.integrations.gone:None": "missing", "lib.integrations.aqlm:None": "present"},
        id="a-submodule-of-a-closed-lazy-package-is-a-file",
    ),
    pytest.param(
        _integrations("", OPEN_LAZY),
        "import lib.integrations.gone\n",
        {"lib.integrations.gone:None": "unknown"},  # no __path__ from its file: anything goes
        id="a-submodule-of-an-open-lazy-package",
    ),
    pytest.param(
        {"lib/__init__.py": "def __getattr__(name):\n    return name\n", "lib/sub.py": ""},
        "import lib.gone\nimport lib.sub\nfrom lib import anything\n",
        {"lib.gone:None": "missing", "lib.sub:None": "present", "lib:anything": "unknown"},
        id="a-module-getattr-serves-names-not-imports",
    ),
]


def _swap_with(extra: str, getattr_head: str = "") -> dict[str, str]:
    """The integrations package with *extra* source after its swap, and *getattr_head*
    put first in the lazy class's __getattr__."""
    files = _integrations("")
    files["lib/integrations/__init__.py"] += extra
    if getattr_head:
        files["lib/utils/import_utils.py"] = LAZY_4_38.replace(
            "    def __getattr__(self, name):\n",
            "    def __getattr__(self, name):\n" + getattr_head,
        )
    return files


# shapes a review found read as closed where Python serves more: they stay unknown
UNKNOWN = {"lib.integrations:Extra": "unknown"}
LAZY_ROWS += [
    pytest.param(
        _swap_with("", "        if name == 'Extra':\n            return 1\n"),
        "from lib.integrations import Extra\n",
        UNKNOWN,
        id="a-literal-name-test-serves-that-name",
    ),
    pytest.param(
        _swap_with("", "        if name in _ALIASES:\n            return _ALIASES[name]\n"),
        "from lib.integrations import Extra\n",
        UNKNOWN,
        id="a-module-level-table-in-getattr",
    ),
    pytest.param(
        _swap_with("\n    setattr(sys.modules[__name__], 'Extra', 1)\n"),
        "from lib.integrations import Extra\n",
        {"lib.integrations:Extra": "present"},  # set on the object that serves the module
        id="names-set-on-the-swapped-module",
    ),
    pytest.param(
        _swap_with("\n_import_structure['more'] = sorted(NAMES)\n"),
        "from lib.integrations import Extra\n",
        UNKNOWN,
        id="a-structure-value-not-read",
    ),
]


@pytest.mark.parametrize(("provider", "consumer", "expected"), LAZY_ROWS)
def test_lazy_module_verdicts(tmp_path: Path, provider, consumer, expected) -> None:
    assert_verdicts(tmp_path, provider, consumer, expected)


def test_the_story_lock_narrows_and_check_names_the_line(project, capsys) -> None:
    """A team's import test uses a name transformers added to its lazy `integrations`
    in 4.45; their requirements allow 4.38 and up. `lock --src` picks a release that has
    it (or says none in range does); `check --src` on an older lock names the line."""
    from tests.test_check import check
    from tests.test_lock import pins

    for version, bnb in (
        ("4.38.0", ""),
        ("4.44.2", ""),
        ("4.45.0", '"validate_bnb_backend_availability",'),
    ):
        files = _integrations(bnb)
        project.wheel("lib", version, files=files)
    src = project.root / "src"
    src.mkdir()
    (src / "test_imports.py").write_text(
        "import os\nfrom lib.integrations import validate_bnb_backend_availability\n"
    )

    project.write("requirements.in", "lib>=4.38,<4.45\n")
    code, _, err = project.lock("--src", "src", "requirements.in", capsys=capsys)
    assert code == 1
    line = err.strip().splitlines()[0]
    assert "your code imports `validate_bnb_backend_availability` from `lib.integrations`" in line
    assert "src/test_imports.py:2" in line and "lib before 4.45.0 lacks it" in line

    project.write("requirements.in", "lib>=4.38\n")
    code, _, err = project.lock("--src", "src", "requirements.in", capsys=capsys)
    assert code == 0, err
    assert pins(project.read()) == {"lib": "4.45.0"}

    project.write("requirements.in", "lib==4.44.2\n")
    code, _, err = project.lock("--symbols", "off", "requirements.in", capsys=capsys)
    assert code == 0, err
    code, err = check(capsys, "--src", "src", "--online", "--index-url", project.index.url)
    assert code == 1
    assert "(src/test_imports.py:2)" in err
    assert (
        "is a lazy module whose import structure has no `validate_bnb_backend_availability`" in err
    )
