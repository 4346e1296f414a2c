"""The catalogue's entries of the clerk's desk (issue 28.3, 28.5): the Python settle needs,
settle.yaml and rules saved by Notepad, paths too long for Windows. Part of the one catalogue:
settle.problems merges them into CATALOGUE and MESSAGES (kept here so that problems.py stays
short); every code has its zh and en template like the others.
"""

ERROR, INFO = "error", "info"

CATALOGUE_DESK: dict[str, tuple[str, str, str]] = {
    "config_encoding": (INFO, "按 {encoding} 编码读取（不是 UTF-8，如记事本的 ANSI）；内容照常使用。建议另存为 UTF-8",
                        "read as {encoding} (not UTF-8, e.g. Notepad's ANSI); used as it is. Saving it as UTF-8 "
                        "is better"),
    "windows_path_too_long": (ERROR, "路径太长（Windows 和 Excel 最多打开 260 个字符的路径）：{path}（{length} 个字符）。"
                                     "请把工作目录移到更短的路径下（如 D:\\工资），或请管理员启用 Windows 长路径支持，"
                                     "然后重新运行；原有输出未改动。",
                              "path too long (Windows and Excel open paths of at most 260 characters): {path} "
                              "({length} characters). Move the workspace to a shorter path (e.g. D:\\pay), or have "
                              "Windows long paths enabled, and run again; the previous outputs are untouched."),
    "config_undecodable": (ERROR, "无法读取：既不是 UTF-8 也不是 GB18030（GBK）编码的文本（{detail}）。请用记事本打开并"
                                  "另存为 UTF-8 编码后重新运行",
                           "cannot be read: the text is neither UTF-8 nor GB18030 (GBK) ({detail}). Open it in "
                           "Notepad, save it as UTF-8 and run again"),
}

MESSAGES_DESK: dict[str, tuple[str, str]] = {
    "python_unsupported": ("settle 需要 64 位的 Python {oldest} 或更新版本（当前：Python {version}，{bits} 位）。"
                           "请从 https://www.python.org/downloads/ 安装 64 位的 Python 3.12"
                           "（Windows installer (64-bit)），再用 py -3.12 重新安装 settle。",
                           "settle needs a 64-bit Python {oldest} or newer (this is Python {version}, {bits}-bit). "
                           "Install the 64-bit Python 3.12 from https://www.python.org/downloads/ (Windows "
                           "installer (64-bit)) and install settle again with py -3.12."),
}
