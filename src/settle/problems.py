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
    # the perimeter (SPEC §8.1): plausibility before pay
    "not_a_workspace": (ERROR, "{folder} 及其上级文件夹都不是工作目录（没有 settle.yaml 或 staff.xlsx）：请在工作目录中运行，"
                               "或用 --workspace 指定；未创建任何文件",
                        "neither {folder} nor a folder above it is a workspace (no settle.yaml or staff.xlsx): run "
                        "inside the workspace or give --workspace; nothing was created"),
    "outside_month_file": (ERROR, "{count} / {total} 行的{column}在 {other}，不在 {month}：这像是 {other} 的{kind}，"
                                  "放错了月份文件夹",
                           "{count} of {total} rows have their {column} in {other}, not {month}: this looks like "
                           "{other}'s {kind_en}, put in the wrong month folder"),
    "outside_month_rows": (WARNING, "{count} 行的{column}不在 {month}（第 {rows} 行）：{effect}",
                           "{count} rows have a {column} outside {month} (rows {rows}): {effect_en}"),
    "duplicate_file": (ERROR, "与 {other} 内容完全相同：同一文件放了两次，请删除其中一个",
                       "has exactly the same content as {other}: the same file twice; delete one of them"),
    "duplicate_line": (WARNING, "与 {other} 是同一收费行（病历号 {record}、就诊时间、项目类别、金额 {amount} 都相同），只计一次",
                       "is the same billing line as {other} (病历号 {record}, visit time, category and amount "
                       "{amount} all equal): counted once"),
    "duplicate_lines_more": (WARNING, "另有 {count} 行收费明细与其他文件中的行完全相同，均只计一次",
                             "{count} more billing lines repeat lines of another file: each counted once"),
    "missing_registrations": (WARNING, "月份文件夹 {folder} 中没有登记表（{patterns}）：本月没有新登记，"
                                       "只有以前月份的登记能归属业绩",
                              "no 登记表 in {folder} ({patterns}): no registrations this month, only earlier "
                              "months' registrations can be credited"),
    "missing_daily": (WARNING, "月份文件夹 {folder} 中没有日报（{patterns}）：每个业务员的每个工作日都将按缺交日报罚款（R27）",
                      "no 日报 in {folder} ({patterns}): every salesperson would be fined for every working day "
                      "under R27"),
    "owner_file": (WARNING, "旁边有 {owner}：该文件可能仍在 Excel/WPS 中打开，未保存的修改不会被读取",
                   "{owner} lies beside it: the file may still be open in Excel/WPS and its unsaved edits are "
                   "not read"),
    "departed_with_lines": (WARNING, "{name}（{staff_id}）的离职日期是 {left}，早于 {month}，但本月有 {regs} 条登记、"
                                     "{lines} 行收费明细：业绩 {amount} 计入未归属（R5）",
                            "{name} ({staff_id}) left on {left}, before {month}, but has {regs} registrations and "
                            "{lines} billing lines this month: {amount} of performance goes to 未归属 (R5)"),
    "vanished_from_payslips": (WARNING, "{name}（{staff_id}）{previous} 有工资条，本月没有：{reason}",
                               "{name} ({staff_id}) had a payslip in {previous} but has none this month: {reason_en}"),
}

# Shown after the message of a problem found in an earlier month's rows (SPEC §8.1: MONTH is
# judged on its own).
_ZH_HISTORY = "（{month} 的数据，不影响本月能否结算：{effect}）"
_EN_HISTORY = " ({month}'s data, does not stop this month: {effect})"
_ZH_HISTORY_EFFECT = ("该行不参与本月的计算", "该文件不参与本月的计算")
_EN_HISTORY_EFFECT = ("the row takes no part in this month's figures", "the file takes no part in this month's figures")

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
    letter: str | None = None        # the column's Excel letter, when known (就诊时间（E列）)
    history: str | None = None       # an earlier month whose rows this is about: a warning here

    @property
    def severity(self) -> str:
        return WARNING if self.history else CATALOGUE[self.code][0]

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
            parts.append(f"{self.column}（{self.letter}列）" if self.letter and lang == "zh" else
                         f"{self.column} (column {self.letter})" if self.letter else self.column)
        return " › ".join(parts)

    def text(self, lang: str = "zh") -> str:
        _, zh, en = CATALOGUE[self.code]
        params = dict(self.params)
        params.setdefault("value", "" if self.value is None else self.value)
        params.setdefault("column", self.column or "")  # templates name the column (missing_column…)
        try:
            text = (zh if lang == "zh" else en).format(**params)
        except (KeyError, IndexError, ValueError):  # a template/param mismatch must never crash a report
            # …nor show the clerk a raw code or a parameter dict: the template with its gaps.
            text = _partial(zh if lang == "zh" else en, params)
        if self.history:
            effect = (_ZH_HISTORY_EFFECT if lang == "zh" else _EN_HISTORY_EFFECT)[self.row is None]
            text += (_ZH_HISTORY if lang == "zh" else _EN_HISTORY).format(month=self.history, effect=effect)
        return text

    def message(self, lang: str = "zh") -> str:
        loc = self.location(lang)
        return f"{loc}: {self.text(lang)}" if loc else self.text(lang)

    def to_json(self, lang: str = "zh") -> dict:
        return {
            "code": self.code, "severity": self.severity, "file": self.file, "sheet": self.sheet,
            "row": self.row, "column": self.column, "column_letter": self.letter, "month": self.history,
            "value": self.value, "message": self.text(lang),
        }

    def sort_key(self) -> tuple:
        """Errors first, then by file, sheet, row (SPEC §8.1)."""
        return (not self.is_error, self.file or "", self.sheet or "", -1 if self.row is None else self.row)


def _partial(template: str, params: dict) -> str:
    """`template` with each known parameter filled and each unknown one left out."""
    import string

    out = []
    for literal, name, spec, _conv in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            value = params.get(name, "")
            try:
                out.append(format(value, spec or ""))
            except (TypeError, ValueError):
                out.append(str(value))
    return "".join(out)


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

    def in_order(self) -> list[Problem]:
        """Errors first, then by file, sheet, row: the order the clerk reads them in."""
        return sorted(self.items, key=Problem.sort_key)

    def has_errors(self) -> bool:
        return any(p.is_error for p in self.items)

    def has_errors_for(self, file: str) -> bool:
        return any(p.is_error and p.file == file for p in self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)


def sheet_key(file, sheet) -> str:
    """One sheet of one file as a plain string (frames' attrs travel through Arrow metadata)."""
    return f"{file or ''}\x00{sheet or ''}"


def with_letters(items: list[Problem], letters: dict) -> list[Problem]:
    """`items` with each column's Excel letter filled in where the (file, sheet)'s header row
    says where that column stands: `letters` maps sheet_key(file, sheet) -> {header text: letter}."""
    import dataclasses

    out = []
    for p in items:
        letter = letters.get(sheet_key(p.file, p.sheet), {}).get(p.column) if p.column and not p.letter else None
        out.append(dataclasses.replace(p, letter=letter) if letter else p)
    return out


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
