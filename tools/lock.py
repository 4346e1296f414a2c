"""`make lock`: write constraints.txt, the exact versions the tests ran with (SPEC §13, issue 28.3).

Run by `make lock` with the Python of a fresh venv into which `pip install -e '.[dev]'` has just
installed the newest releases. The versions are that venv's `pip freeze`; packages that only
another platform needs (colorama on Windows for typer, tzdata for pandas …) are installed into it
first, so they are pinned too. The file is grouped: what `pip install settle-month` brings, then
what `[dev]` adds; tools/wheels_check.py reads both groups.

    python tools/lock.py constraints.txt
"""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

DIST = "settle-month"
PYTHONS = ("3.11", "3.12", "3.13", "3.14")
PLATFORMS = {  # the marker variables a platform sets
    "windows": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt", "platform_machine": "AMD64"},
    "macos": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix", "platform_machine": "arm64"},
    "linux": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "platform_machine": "x86_64"},
}


def environments():
    for platform in PLATFORMS.values():
        for py in PYTHONS:
            yield {**default_environment(), **platform, "python_version": py, "python_full_version": py + ".0"}


def closure(root: str, extras: tuple[str, ...], env: dict, missing: set) -> set[str]:
    """Every distribution `root[extras]` needs in `env` (names canonical); `missing` collects the
    ones not installed here."""
    seen: set[str] = set()
    todo = [(root, extras)]
    while todo:
        name, wanted = todo.pop()
        key = canonicalize_name(name)
        if key in seen and not wanted:
            continue
        seen.add(key)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            missing.add(key)
            continue
        for text in requires:
            req = Requirement(text)
            if req.marker is None or any(req.marker.evaluate({**env, "extra": e}) for e in ("", *wanted)):
                todo.append((req.name, tuple(req.extras)))
    seen.discard(canonicalize_name(root))
    return seen


def groups() -> tuple[set[str], set[str], set[str]]:
    missing: set[str] = set()
    runtime, full = set(), set()
    for env in environments():
        runtime |= closure(DIST, (), env, missing)
        full |= closure(DIST, ("dev",), env, missing)
    return runtime, full - runtime, missing


def main(out: str) -> int:
    for _ in range(5):  # install what only another platform needs, until nothing is missing
        runtime, dev, missing = groups()
        if not missing:
            break
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *sorted(missing)], check=True)
    frozen = {}
    for line in subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], check=True,
                               capture_output=True, text=True).stdout.splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            frozen[canonicalize_name(name)] = (name, version.strip())
    lines = ["# The versions settle's tests ran with (SPEC §13). Written by `make lock` (tools/lock.py) from a",
             f"# fresh venv's pip freeze on Python {sys.version.split()[0]}; used by make install/test/demo and the",
             "# README's install lines: pip install -c constraints.txt -e '.[dev]'. Do not edit by hand.",
             "# tools/wheels_check.py checks that each has wheels for Windows, macOS and Linux.",
             "", "# runtime: what `pip install settle-month` brings"]
    lines += [f"{frozen[k][0]}=={frozen[k][1]}" for k in sorted(runtime) if k in frozen]
    lines += ["", "# dev only: what `[dev]` adds (tests, profiler, test fixtures)"]
    lines += [f"{frozen[k][0]}=={frozen[k][1]}" for k in sorted(dev) if k in frozen]
    Path(out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{out}: {len(runtime)} runtime + {len(dev)} dev pins")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "constraints.txt"))
