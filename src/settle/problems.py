"""The catalogue of problems settle reports, and the collector that gathers them.

Every problem has a stable code, a severity, a place (file › sheet › row › column), the bad
value and a message template in Chinese and English. Problems are collected, never raised one
at a time: the clerk fixes a whole batch of input mistakes in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

ERROR = "error"
WARNING = "warning"

# code -> (severity, zh template, en template). Templates use str.format with the problem's
# params plus {value}.
CATALOGUE: dict[str, tuple[str, str, str]] = {
    # files and sheets
    "no_input_files": (ERROR, "月份文件夹 {folder} 中没有找到{kind}文件（{patterns}）",
                       "no {kind} file found in {folder} ({patterns})"),
    "no_month_folder": (ERROR, "没有找到月份文件夹 {folder}", "month folder {folder} not found"),
    "no_staff_file": (ERROR, "没有找到人员名单 staff.xlsx（工作目录 {folder}）",
                      "roster staff.xlsx not found in workspace {folder}"),
    "unreadable_file": (ERROR, "不是可读取的 Excel 文件：{reason}", "not a readable Excel file: {reason}"),
    "unreadable_csv": (ERROR, "CSV 文件无法按 UTF-8 或 GBK 解码", "CSV file is neither UTF-8 nor GBK"),
    "no_header": (ERROR, "前 10 行中没有找到表头（应包含：{expected}）",
                  "no header row among the first 10 rows (expected columns: {expected})"),
    "hidden_sheet": (WARNING, "隐藏的工作表已跳过", "hidden sheet skipped"),
    "stray_cell": (WARNING, "表格远处有多余的单元格（{cell}），已忽略",
                   "a stray cell far outside the table ({cell}) was ignored"),
    "missing_column": (ERROR, "缺少必需的列“{column}”（可用列名：{aliases}）",
                       "required column '{column}' is missing (accepted names: {aliases})"),
    "duplicate_column": (ERROR, "两列都对应“{field}”：{columns}，请删除或改名其中一列",
                         "two columns both match '{field}': {columns}; remove or rename one"),
    "uncached_formula": (ERROR, "公式没有计算结果，请在 Excel 或 WPS 中打开并保存该文件后重试",
                         "formula has no cached value: open and save the file in Excel or WPS, then retry"),
    "merged_cell": (ERROR, "“{column}”列不能使用合并单元格（{range}）",
                    "merged cells are not allowed in column '{column}' ({range})"),
    # cell values
    "missing_value": (ERROR, "必填项为空", "required value is empty"),
    "bad_money": (ERROR, "\"{value}\" 不是金额", "\"{value}\" is not an amount of money"),
    "bad_date": (ERROR, "\"{value}\" 不是日期（应为 2024-05-03 或 2024/5/3 等）",
                 "\"{value}\" is not a date (expected e.g. 2024-05-03 or 2024/5/3)"),
    "ambiguous_date": (ERROR, "\"{value}\" 日期不明确：请使用年在前的格式，如 2024-05-03",
                       "\"{value}\" is ambiguous: write the year first, e.g. 2024-05-03"),
    "bad_number": (ERROR, "\"{value}\" 不是整数", "\"{value}\" is not a whole number"),
    "bad_percent": (ERROR, "\"{value}\" 不是百分比（如 80%、0.8 或 80）",
                    "\"{value}\" is not a percentage (e.g. 80%, 0.8 or 80)"),
    "bad_choice": (ERROR, "\"{value}\" 不是有效值（可选：{choices}）",
                   "\"{value}\" is not allowed (choose from: {choices})"),
    "long_number": (ERROR, "\"{value}\" 是超过 15 位的数字，Excel 已丢失末尾数字：请把该列设为文本并重新录入",
                    "\"{value}\" is a number with more than 15 digits, Excel has lost its last digits: "
                    "format the column as text and enter it again"),
    "control_char": (ERROR, "含有不可见的控制字符", "contains invisible control characters"),
    # references between inputs
    "duplicate_staff_id": (ERROR, "工号 \"{value}\" 重复", "staff id \"{value}\" appears twice"),
    "unknown_person": (ERROR, "\"{value}\" 在人员名单中不存在", "\"{value}\" is not on the roster"),
    "ambiguous_person": (ERROR, "\"{value}\" 在人员名单中有多人同名，请填写工号",
                         "\"{value}\" matches several people on the roster: give the staff id"),
    "unknown_staff": (ERROR, "业务员 \"{value}\" 在人员名单中不存在或同名多人（R25）",
                      "salesperson \"{value}\" is not on the roster or is ambiguous (R25)"),
    "missing_team": (ERROR, "{role}必须填写小组", "a {role} needs a team"),
    "missing_approver": (ERROR, "调整没有批准人（R38）", "adjustment has no approver (R38)"),
    "bad_date_order": (ERROR, "{detail}", "{detail}"),
    # rules
    "rules_invalid": (ERROR, "{detail}", "{detail}"),
    "rules_missing": (ERROR, "没有找到规则文件：{detail}", "no rules file found: {detail}"),
    "bad_config": (ERROR, "{detail}", "{detail}"),
    "bad_month": (ERROR, "\"{value}\" 不是月份，应为 YYYY-MM，如 2024-05", "\"{value}\" is not a month, expected YYYY-MM like 2024-05"),
    # faults of the machine, the disk or the share (issue 14): each names the path and what to do
    "disk_full": (ERROR, "磁盘空间不足：{folder}{need}。请清理磁盘或换一个输出文件夹（--out）后重新运行；原有输出未改动。",
                  "not enough disk space: {folder}{need}. Free some space or choose another output folder "
                  "(--out) and run again; the previous outputs are untouched."),
    "disk_need": (ERROR, "（剩余 {free}，约需 {needed}）", " ({free} free, about {needed} needed)"),
    "disk_free": (ERROR, "（剩余 {free}）", " ({free} free)"),
    "read_only": (ERROR, "无法写入 {path}：所在磁盘或共享文件夹是只读的。请换到可写的位置（或用 --out 指定输出文件夹）后重新运行。",
                  "cannot write {path}: the disk or shared folder is read-only. Use a writable location "
                  "(or --out for the outputs) and run again."),
    "permission_denied": (ERROR, "没有权限写入 {path}。请让管理员授予写权限，或换到有权限的文件夹后重新运行。",
                          "permission denied: {path}. Ask for write access or use a folder you may write to, "
                          "then run again."),
    "not_a_folder": (ERROR, "{path} 应该是文件夹，但它是一个文件。请把它改名或移走后重新运行。",
                     "{path} should be a folder but is a file. Rename or move it away, then run again."),
    "path_too_long": (ERROR, "路径太长：{path}。请把工作目录移到更短的路径下（如 D:\\工资）后重新运行。",
                      "path too long: {path}. Move the workspace to a shorter path (e.g. D:\\pay) and run again."),
    "file_in_use": (ERROR, "无法替换 {path}：文件正在被其他程序（如 Excel/WPS）使用。请关闭后重新运行；原有输出未改动。",
                    "cannot replace {path}: another program (Excel/WPS) is using it. Close it and run again; "
                    "the previous outputs are untouched."),
    "io_error": (ERROR, "读写 {path} 失败：{detail}。请检查磁盘或网络连接后重新运行。",
                 "reading or writing {path} failed: {detail}. Check the disk or the network and run again."),
    "interrupted": (ERROR, "已中断。临时文件已清理，输出文件夹完整（仍是上次或本次的全部结果）。",
                    "interrupted. Temporary files were removed; the output folder is whole (all of the previous "
                    "or all of this run's results)."),
    "lock_busy": (ERROR, "{month} 正在由 {holder} 结算（自 {since} 起），请稍后再试。",
                  "{month} is being settled by {holder} since {since}; try again later."),
    "lock_stale": (ERROR, "{month} 被 {holder} 于 {since} 锁定，已有 {age}，该运行可能已中断。确认无人在结算后，运行：settle unlock {month}",
                   "{month} was locked by {holder} at {since}, {age} ago; that run has probably died. If nobody is "
                   "settling it, run: settle unlock {month}"),
    "lock_live": (ERROR, "{month} 正在由本机进程 {pid} 结算，不能解锁。", "{month} is being settled by process {pid} on this "
                  "computer: not unlocked."),
    "lock_cleared": (ERROR, "已解除 {month} 的锁（原持有者 {holder}，自 {since}），已记录在 {log}。",
                     "{month} unlocked (held by {holder} since {since}); logged in {log}."),
    "lock_none": (ERROR, "{month} 没有被锁定。", "{month} is not locked."),
    "lock_confirm": (ERROR, "{month} 被 {holder} 于 {since} 锁定（已有 {age}）。确认对方没有在结算并解除锁定？",
                     "{month} is locked by {holder} since {since} ({age}). Is nobody settling it — remove the lock?"),
    "history_size": (WARNING, "{folder} 中已保存 {runs} 次早先的结果，共 {size}（settle.yaml 的 history_keep: N 可只保留最近 N 次）",
                     "{folder} holds {runs} earlier runs, {size} (settle.yaml history_keep: N keeps only the last N)"),
    "history_pruned": (WARNING, "按 history_keep: {keep} 删除了较早的结果：{removed}",
                       "removed earlier runs beyond history_keep: {keep}: {removed}"),
}

_ZH_ROW = "第 {row} 行"
_EN_ROW = "row {row}"


@dataclass(frozen=True)
class Problem:
    """One input, rules or configuration problem with its place."""

    code: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    @property
    def severity(self) -> str:
        return CATALOGUE[self.code][0]

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def key(self) -> tuple:
        """Compact tuple used by tests: (file, sheet, row, column, code)."""
        return (self.file, self.sheet, self.row, self.column, self.code)

    def location(self, lang: str = "zh") -> str:
        parts = [p for p in (self.file, self.sheet) if p]
        if self.row is not None:
            parts.append((_ZH_ROW if lang == "zh" else _EN_ROW).format(row=self.row))
        if self.column:
            parts.append(self.column)
        return " › ".join(parts)

    def text(self, lang: str = "zh") -> str:
        _, zh, en = CATALOGUE[self.code]
        params = dict(self.params)
        params.setdefault("value", "" if self.value is None else self.value)
        try:
            return (zh if lang == "zh" else en).format(**params)
        except (KeyError, IndexError):  # a template/param mismatch must never crash a report
            return f"{self.code} {params}"

    def message(self, lang: str = "zh") -> str:
        loc = self.location(lang)
        return f"{loc}: {self.text(lang)}" if loc else self.text(lang)

    def to_json(self, lang: str = "zh") -> dict:
        return {
            "code": self.code, "severity": self.severity, "file": self.file, "sheet": self.sheet,
            "row": self.row, "column": self.column, "value": self.value, "message": self.text(lang),
        }


def problem(code: str, *, file=None, sheet=None, row=None, column=None, value=None, **params) -> Problem:
    if code not in CATALOGUE:
        raise KeyError(f"unknown problem code {code!r}")
    return Problem(code, file, sheet, None if row is None else int(row), column,
                   None if value is None else str(value),
                   tuple(sorted((k, str(v)) for k, v in params.items())))


@dataclass
class Problems:
    """An ordered collection of problems with a per-(file, column, code) cap so that one broken
    column of a million-line export does not bury everything else."""

    items: list[Problem] = field(default_factory=list)
    suppressed: int = 0
    per_column_cap: int = 50

    def add(self, p: Problem) -> None:
        self.items.append(p)

    def extend(self, ps: Iterable[Problem]) -> None:
        for p in ps:
            self.add(p)

    def cells(self, code: str, *, file: str, sheet: str | None, column: str | None,
              rows: Iterable[int], values: Iterable, **params) -> None:
        """Add one problem per bad cell, keeping at most `per_column_cap` of them."""
        n = 0
        for row, value in zip(rows, values):
            if n < self.per_column_cap:
                self.add(problem(code, file=file, sheet=sheet, row=row, column=column,
                                 value=_show(value), **params))
            else:
                self.suppressed += 1
            n += 1

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if not p.is_error]

    def has_errors(self) -> bool:
        return any(p.is_error for p in self.items)

    def has_errors_for(self, file: str) -> bool:
        return any(p.is_error and p.file == file for p in self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)


def _show(value) -> str | None:
    if value is None:
        return None
    try:
        import math
        if isinstance(value, float) and math.isnan(value):
            return None
    except TypeError:
        pass
    return str(value)
