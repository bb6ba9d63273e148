"""pip-tools' ``[tool.pip-tools]`` settings (``.pip-tools.toml`` or ``pyproject.toml`` in
the current folder), read as flags before the command line's own: the command line wins.

Keys are pip-compile's long option names (``generate-hashes = true``,
``extra-index-url = ["…"]``, ``annotation-style = "line"``); ``false`` is the option's
``--no-`` form where it has one. A key symres lock does not know is an error naming the
file, never silently skipped. ``--no-config`` ignores the settings; ``--config FILE`` reads
another file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from symres.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FILES = (".pip-tools.toml", "pyproject.toml")


def _config_file(argv: list[str]) -> Path | None:
    if "--no-config" in argv:
        return None
    for i, word in enumerate(argv):
        if word == "--config" and i + 1 < len(argv):
            return Path(argv[i + 1])
        if word.startswith("--config="):
            return Path(word.partition("=")[2])
    return next((Path(f) for f in FILES if Path(f).is_file()), None)


def settings_flags(argv: list[str], lock: argparse.ArgumentParser) -> list[str]:
    """The flags ``[tool.pip-tools]`` stands for, to put before *argv* (a lock's arguments)."""
    path = _config_file(argv)
    if path is None:
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"--config: no such file `{path}`", hint="check the path") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(
            f"{path}: cannot read its [tool.pip-tools] settings ({exc})",
            hint="fix the file, or pass `--no-config`",
        ) from None
    tool = data.get("tool")
    table = tool.get("pip-tools") if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        return []
    known = lock._option_string_actions
    flags: list[str] = []
    for key, value in table.items():
        option = "--" + str(key).replace("_", "-")
        where = f"{path} [tool.pip-tools] {key}"
        if isinstance(value, bool):
            negated = "--no-" + option[2:]
            if value and option in known:
                flags.append(option)
            elif not value and negated in known:
                flags.append(negated)
            elif not value and option in known:
                continue  # false is the flag's default
            else:
                raise InputError(
                    f"{where}: `{option}` is not an option of symres lock",
                    hint="remove the key, or see the README's table of pip-compile options",
                )
            continue
        if option not in known:
            raise InputError(
                f"{where}: `{option}` is not an option of symres lock",
                hint="remove the key, or see the README's table of pip-compile options",
            )
        if known[option].nargs == 0:  # an on/off flag given something else than true/false
            raise InputError(f"{where}: `{option}` is on or off: write `true` or `false`")
        for item in value if isinstance(value, list) else [value]:
            flags += [option, str(item)]
    return flags
