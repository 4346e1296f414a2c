"""The tested dependency set and the Pythons settle runs on (SPEC §13, issue 28.3).

- constraints.txt pins every dependency pyproject.toml declares (what `make install`, `make
  test`, `make demo` and the README's install lines use);
- an unsupported Python (32-bit, or older than 3.11) is refused with a sentence saying which
  Python to use: by the build backend (a folder install) and when settle starts (exit 2);
- tools/wheels_check.py reads wheel tags right (no network here: file lists made in the test).
"""

from __future__ import annotations

import importlib.util
import os
import struct
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
SRC = str(ROOT / "src")


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_constraints_pin_every_declared_dependency_and_nothing_from_num2words():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wheels = _module(ROOT / "tools" / "wheels_check.py", "wheels_check")
    pinned = {canonicalize_name(n): (v, g) for n, v, g in wheels.pins(ROOT / "constraints.txt")}
    for text in project["dependencies"]:
        req = Requirement(text)
        assert canonicalize_name(req.name) in pinned, req.name
        version, group = pinned[canonicalize_name(req.name)]
        assert group == "runtime" and req.specifier.contains(version), (req, version)
    for text in project["optional-dependencies"]["dev"]:
        assert canonicalize_name(Requirement(text).name) in pinned, text
    assert "num2words" not in pinned and "docopt" not in pinned   # docopt has no wheel at all
    assert project["requires-python"] == ">=3.11" and project["name"] != "settle"   # "settle" is taken on PyPI


def test_the_makefile_installs_the_pinned_set():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'" in makefile and "CONSTRAINTS := constraints.txt" in makefile


def test_wheels_check_reads_tags_per_platform_and_python():
    """rustpy-xlsxwriter 0.8.0 as published: macOS arm64 wheels from cp311 on (none for 3.10,
    the reason for the 3.11 floor); a win32 wheel is no win_amd64 one; abi3 and py3 wheels count
    for every Python."""
    wheels = _module(ROOT / "tools" / "wheels_check.py", "wheels_check")
    arm = wheels.PLATFORMS["macos_arm64"][0]
    files = [f"rustpy_xlsxwriter-0.8.0-cp{v}-cp{v}-macosx_11_0_arm64.whl" for v in (311, 312, 313)]
    assert wheels.wheel_pythons(files, arm) == [(3, 11), (3, 12), (3, 13)]
    assert wheels.cell(wheels.wheel_pythons(files, arm)) == "no 3.14"
    assert wheels.wheel_pythons(["x-1-cp312-cp312-win32.whl"], ["win_amd64"]) == []
    assert wheels.cell([]) == "NONE"
    assert wheels.wheel_pythons(["x-1-cp311-abi3-win_amd64.whl"], ["win_amd64"]) == list(wheels.PYTHONS)
    assert wheels.wheel_pythons(["x-1-py3-none-any.whl", "x-1.tar.gz"], arm) == list(wheels.PYTHONS)
    glibc = wheels.PLATFORMS["linux_x86_64"][0]
    assert wheels.wheel_pythons(["x-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"], glibc) == [(3, 11)]
    assert wheels.wheel_pythons(["x-1-cp311-cp311-manylinux_2_34_x86_64.whl"], glibc) == []   # newer than glibc 2.28


def test_the_build_backend_refuses_a_32_bit_python_with_a_sentence(monkeypatch, tmp_path, capsys):
    """A folder install on 32-bit Windows Python stops at metadata time (before pip looks for
    pandas' missing 32-bit wheel and tries a compiler), saying which Python to install."""
    pytest.importorskip("setuptools")   # what pip's build environment has (a 3.12+ venv has none of its own)
    backend = _module(ROOT / "tools" / "backend" / "settle_build.py", "settle_build")
    assert backend.unsupported_message() is None
    monkeypatch.setattr(struct, "calcsize", lambda fmt: 4)
    for hook in (backend.prepare_metadata_for_build_wheel, backend.prepare_metadata_for_build_editable,
                 backend.build_wheel, backend.build_editable):
        with pytest.raises(SystemExit) as done:
            hook(str(tmp_path))
        assert done.value.code == 1
    err = capsys.readouterr().err
    assert "64 位的 Python 3.11" in err and "32 位" in err and "64-bit Python 3.11 or newer" in err
    assert "python.org" in err and not list(tmp_path.iterdir())


@pytest.mark.skipif(not Path("/root/.pyenv/versions/3.10.13/bin/python").exists(), reason="no Python 3.10 here")
def test_the_build_backend_refuses_python_3_10_for_real(tmp_path):
    """The backend run by a real Python 3.10 (as pip would in its build environment)."""
    code = ("import sys; sys.path.insert(0, 'tools/backend'); import settle_build; "
            f"settle_build.prepare_metadata_for_build_wheel({str(tmp_path)!r})")
    done = subprocess.run(["/root/.pyenv/versions/3.10.13/bin/python", "-c", code], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "当前：Python 3.10.13，64 位" in done.stderr and "64-bit Python 3.11 or newer" in done.stderr


def test_settle_refuses_a_32_bit_python_when_it_starts():
    """The same sentence when settle starts on a 32-bit Python, exit 2, no traceback."""
    code = "import struct; struct.calcsize = lambda fmt: 4; import settle.cli"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": SRC})
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "settle 需要 64 位的 Python 3.11 或更新版本（当前：Python" in done.stderr and "32 位" in done.stderr
    assert "settle needs a 64-bit Python 3.11 or newer" in done.stderr


def test_the_runtime_check_accepts_this_python_and_names_an_old_one():
    from settle._python import unsupported
    assert unsupported() is None
    assert unsupported((3, 10, 13), 8) == {"oldest": "3.11", "version": "3.10.13", "bits": 64}
    assert unsupported((3, 12, 1), 4)["bits"] == 32


def test_the_build_backend_ships_in_the_sdist():
    """backend-path must be in the source distribution, or a build from it fails."""
    assert "include tools/backend/settle_build.py" in (ROOT / "MANIFEST.in").read_text(encoding="utf-8")
