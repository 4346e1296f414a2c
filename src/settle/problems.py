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
INFO = "info"          # counted and shown by validate; never changes an exit code

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
    "reader_failed": (ERROR, "文件已损坏，读取程序无法解析", "the file is damaged: the reader cannot parse it"),
    "old_excel": (ERROR, "旧版 Excel 格式，请另存为 .xlsx", "old Excel format: save it as .xlsx"),
    "unmatched_file": (WARNING, "月份文件夹中的文件不属于任何输入类别（{patterns}），未读取",
                       "this file in the month folder matches no input kind ({patterns}) and was not read"),
    "unsupported_file": (WARNING, "文件名像输入文件，但格式 {suffix} 无法读取（可用：{accepted}），未读取",
                         "named like an input file, but {suffix} cannot be read (accepted: {accepted}); not read"),
    "skipped_files": (INFO, "未读取的文件：{files}", "files not read: {files}"),
    "summary_rows": (INFO, "跳过 {count} 个合计行（第 {rows} 行）", "{count} summary row(s) skipped (rows {rows})"),
    "repeated_header": (INFO, "跳过 {count} 个重复的表头行（第 {rows} 行）",
                        "{count} repeated header row(s) skipped (rows {rows})"),
    "lost_leading_zeros": (ERROR, "\"{value}\" 没有前导零，而本列其他值有（如 \"{example}\"）：该单元格很可能存成了数字，"
                                  "请把该列设为文本并重新录入",
                           "\"{value}\" has no leading zeros while the column's other values do (e.g. \"{example}\"): "
                           "it was most likely stored as a number; format the column as text and enter it again"),
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
        return [p for p in self.items if p.severity == WARNING]

    @property
    def infos(self) -> list[Problem]:
        """Counted facts (summary rows skipped...): shown by validate, never an exit code."""
        return [p for p in self.items if p.severity == INFO]

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
