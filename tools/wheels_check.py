"""Does every pinned dependency have a wheel for each platform and Python settle supports?
(SPEC §13, issue 28.3: an offline wheelhouse or `--only-binary=:all:` install must not need a
compiler, and 32-bit/old Pythons are refused elsewhere.)

    python tools/wheels_check.py [constraints.txt] [--json]

Reads the pins of constraints.txt (its runtime and dev groups, see tools/lock.py), asks PyPI's
JSON API for each release's files (or, where the API cannot be reached, `pip download
--only-binary=:all: --platform … --python-version …`) and prints one row per pin: for Windows
(win_amd64), macOS (x86_64, arm64; macOS 13) and Linux (manylinux x86_64, aarch64; glibc 2.28)
the Pythons 3.11 … 3.14 that have a wheel. Exit 1 when a runtime pin lacks one anywhere; a dev
pin without wheels (odfpy is published as source only: pure Python, built by pip on any
platform) is listed but only the runtime set is what the clerk installs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from packaging.tags import compatible_tags, cpython_tags, mac_platforms
from packaging.utils import canonicalize_name, parse_wheel_filename

PYTHONS = ((3, 11), (3, 12), (3, 13), (3, 14))
GLIBC = 28
PLATFORMS = {  # column → (the platform tags an installer accepts, pip download's --platform)
    "win_amd64": (["win_amd64"], "win_amd64"),
    "macos_x86_64": (list(mac_platforms((13, 0), "x86_64")), "macosx_13_0_x86_64"),
    "macos_arm64": (list(mac_platforms((13, 0), "arm64")), "macosx_13_0_arm64"),
    "linux_x86_64": ([f"manylinux_2_{v}_x86_64" for v in range(GLIBC, 4, -1)]
                     + ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"],
                     f"manylinux_2_{GLIBC}_x86_64"),
    "linux_aarch64": ([f"manylinux_2_{v}_aarch64" for v in range(GLIBC, 16, -1)] + ["manylinux2014_aarch64"],
                      f"manylinux_2_{GLIBC}_aarch64"),
}


def pins(path: Path) -> list[tuple[str, str, str]]:
    """(name, version, group) for each `name==version` line; group is runtime or dev."""
    out, group = [], "runtime"
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("# dev"):
            group = "dev"
        if "==" in line and not line.startswith("#"):
            name, version = line.split(";")[0].split("==", 1)
            out.append((name.strip(), version.strip(), group))
    return out


def supported_tags(platforms: list[str], py: tuple[int, int]) -> set:
    return set(cpython_tags(py, platforms=platforms)) | set(compatible_tags(py, f"cp{py[0]}{py[1]}", platforms))


def release_files(name: str, version: str) -> list[str] | None:
    """The file names of a release on PyPI, or None when the JSON API cannot be reached."""
    for url in (f"https://pypi.org/pypi/{name}/{version}/json", f"https://pypi.org/pypi/{name}/json"):
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                data = json.load(response)
        except urllib.error.HTTPError:
            continue
        except (urllib.error.URLError, OSError, ValueError):
            return None
        files = data.get("urls") if url.endswith(f"/{version}/json") else data.get("releases", {}).get(version)
        if files is not None:
            return [f["filename"] for f in files if not f.get("yanked")]
    return None


def wheel_pythons(files: list[str], platforms: list[str]) -> list[tuple[int, int]]:
    """The supported Pythons one of `files` installs on, as wheels."""
    tags = set()
    for f in files:
        if f.endswith(".whl"):
            try:
                tags |= set(parse_wheel_filename(f)[3])
            except ValueError:
                continue
    return [py for py in PYTHONS if tags & supported_tags(platforms, py)]


def pip_pythons(name: str, version: str, platform: str) -> list[tuple[int, int]]:
    """The fallback: ask pip for a wheel, one Python at a time."""
    found = []
    for py in PYTHONS:
        with tempfile.TemporaryDirectory() as tmp:
            done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                                   "--only-binary=:all:", "--platform", platform, "--python-version",
                                   f"{py[0]}.{py[1]}", "--implementation", "cp", "-d", tmp, f"{name}=={version}"],
                                  capture_output=True)
            if done.returncode == 0:
                found.append(py)
    return found


def cell(found: list[tuple[int, int]]) -> str:
    if len(found) == len(PYTHONS):
        return "ok"
    missing = [f"{a}.{b}" for a, b in PYTHONS if (a, b) not in found]
    return "NONE" if not found else "no " + ",".join(missing)


def check(path: Path) -> tuple[list[dict], bool]:
    rows, gap = [], False
    for name, version, group in pins(path):
        files = release_files(canonicalize_name(name), version)
        row = {"package": f"{name}=={version}", "group": group,
               "source": "PyPI JSON" if files is not None else "pip download"}
        for column, (platforms, pip_platform) in PLATFORMS.items():
            found = wheel_pythons(files, platforms) if files is not None else pip_pythons(name, version, pip_platform)
            row[column] = cell(found)
            if row[column] != "ok":
                gap = gap or group == "runtime"
        if files is not None and not any(f.endswith(".whl") for f in files):
            row["note"] = "source only" + (" (dev only: pure Python, pip builds it)" if group == "dev" else "")
        rows.append(row)
    return rows, gap


def table(rows: list[dict]) -> str:
    heads = ["package", "group", *PLATFORMS, "note"]
    widths = {h: max(len(h), *(len(str(r.get(h, ""))) for r in rows)) for h in heads}
    line = lambda r: "  ".join(str(r.get(h, "")).ljust(widths[h]) for h in heads).rstrip()  # noqa: E731
    return "\n".join([line({h: h for h in heads}), line({h: "-" * widths[h] for h in heads}), *map(line, rows)])


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    path = Path(args[0] if args else Path(__file__).resolve().parent.parent / "constraints.txt")
    rows, gap = check(path)
    if "--json" in argv:
        print(json.dumps({"rows": rows, "gap": gap}, indent=2))
    else:
        pys = ", ".join(f"{a}.{b}" for a, b in PYTHONS)
        print(f"Wheels of every pin in {path.name} for CPython {pys} (ok = all of them; macOS 13+, glibc 2.{GLIBC}+)")
        print(table(rows))
        print("GAP: a runtime pin has no wheel for a supported platform and Python" if gap else
              "every runtime pin has a wheel for every supported platform and Python")
    return 1 if gap else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
