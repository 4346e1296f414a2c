"""The launchers `settle init` writes into a workspace beside its templates (SPEC §13): a double-click starts
`settle serve` for that folder, and a window that would close on a failure stays open with a
plain Chinese message until a key is pressed.

- 打开结算.cmd (Windows): `chcp 65001` first, so the UTF-8 lines after it print as Chinese;
  ASCII before it; CRLF line ends (cmd.exe misreads labels in LF-only files). It uses `settle`
  when it is on PATH, else the py launcher (`py -m settle`), else `python -m settle`.
- 打开结算.command (macOS, opens in Terminal) or 打开结算.sh (Linux), executable: the same with
  `settle`, else `python3 -m settle`, and `read` to keep the window.
"""

from __future__ import annotations

import sys
from pathlib import Path

STEM = "打开结算"
FAILED = ("结算页面没有启动，或已异常结束。",
          "请确认本电脑已安装 settle（见 README 的 Windows 安装说明），然后再双击本文件。",
          "如仍不行，请把本窗口的内容截图交给维护人员。")

CMD = "\r\n".join([
    "@echo off",
    "chcp 65001 >nul",
    "rem Starts the settle page for this folder; keeps the window open when it fails.",
    'cd /d "%~dp0"',
    "where settle >nul 2>nul",
    "if errorlevel 1 goto py",
    "settle serve --workspace .",
    "goto done",
    ":py",
    "where py >nul 2>nul",
    "if errorlevel 1 goto python",
    "py -m settle serve --workspace .",
    "goto done",
    ":python",
    "python -m settle serve --workspace .",
    ":done",
    "if errorlevel 1 goto failed",
    "exit /b 0",
    ":failed",
    "echo.",
    *(f"echo {line}" for line in FAILED),
    "pause",
    "exit /b 1",
    "",
])

SH = "\n".join([
    "#!/bin/sh",
    "# Starts the settle page for this folder; keeps the window open when it fails.",
    'cd "$(dirname "$0")" || exit 1',
    "if command -v settle >/dev/null 2>&1; then",
    "  settle serve --workspace .",
    "else",
    "  python3 -m settle serve --workspace .",
    "fi",
    "status=$?",
    'if [ "$status" -ne 0 ]; then',
    "  echo",
    *(f'  echo "{line}"' for line in FAILED),
    "  printf '%s' \"按回车键关闭窗口……\"",
    "  read -r _",
    "fi",
    'exit "$status"',
    "",
])


def launchers(platform: str = sys.platform) -> dict[str, str]:
    """File name → content of the launchers for a workspace used from `platform`: the .cmd
    always (the clerk's PC is Windows, whoever creates the workspace), and the one for this
    computer's own kind elsewhere."""
    found = {f"{STEM}.cmd": CMD}
    if platform == "darwin":
        found[f"{STEM}.command"] = SH
    elif not platform.startswith("win"):
        found[f"{STEM}.sh"] = SH
    return found


def write_launchers(directory: Path, platform: str = sys.platform) -> list[str]:
    """Write the launchers into `directory`; the names written."""
    written = []
    for name, text in launchers(platform).items():
        path = Path(directory) / name
        path.write_bytes(text.encode("utf-8"))   # no BOM: it would break the .cmd's first line
        if not name.endswith(".cmd"):
            path.chmod(0o755)
        written.append(name)
    return written
