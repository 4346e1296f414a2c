"""The build backend of settle: setuptools' own, after one check (SPEC §13).

A source or folder install (`pip install .`, `pipx install .`, `uv tool install .`) on a Python
settle does not support ends here with a sentence saying which Python to use, instead of a
compiler error from pandas/pyarrow/fastexcel, which publish no 32-bit wheels. pip itself
refuses Pythons older than requires-python. The check and the sentence are settle's own
(src/settle/_python.py and the catalogue's settle/problems_desk.py), loaded by path: the package cannot be imported here.
`settle` repeats the check when it starts.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F401,F403  (build_sdist and the rest, unchanged)

SRC = Path(__file__).resolve().parents[2] / "src" / "settle"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_settle_build_{name}", SRC / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def unsupported_message() -> str | None:
    params = _load("_python").unsupported()
    if params is None:
        return None
    messages = _load("problems_desk").MESSAGES_DESK["python_unsupported"]
    return "\n".join(text.format(**params) for text in messages) + "\n"


def _refuse_unsupported() -> None:
    message = unsupported_message()
    if message:
        sys.stderr.write(message)
        raise SystemExit(1)


def get_requires_for_build_wheel(config_settings=None):
    _refuse_unsupported()
    return _setuptools.get_requires_for_build_wheel(config_settings)


def get_requires_for_build_editable(config_settings=None):
    _refuse_unsupported()
    return _setuptools.get_requires_for_build_editable(config_settings)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    _refuse_unsupported()
    return _setuptools.prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    _refuse_unsupported()
    return _setuptools.prepare_metadata_for_build_editable(metadata_directory, config_settings)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _refuse_unsupported()
    return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    _refuse_unsupported()
    return _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)
