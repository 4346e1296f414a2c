"""The catalogue's second table, merged into settle.problems (CATALOGUE and MESSAGES) on import,
so there is still one catalogue looked up by code: who a row names (SPEC §3.5), counts that
agree in number (§8.1), Click's usage errors and the reasons a file cannot be read, each in
Chinese and English. This module imports nothing from settle (problems.py imports it).
"""

from __future__ import annotations

import string

ERROR, WARNING = "error", "warning"


class _Counted(string.Formatter):
    """`{n:one|other}` in a template is the word that agrees with n: "{n} {n:error|errors}" gives
    "1 error", "2 errors" (English counts agree in number; Chinese needs no such field)."""

    def format_field(self, value, format_spec):
        if "|" in format_spec:
            one, other = format_spec.split("|", 1)
            return one if str(value).strip() in ("1", "-1") else other
        return super().format_field(value, format_spec)


_COUNTED = _Counted()


def counted(template: str, **params) -> str:
    """`template.format(**params)`, with the `{n:one|other}` fields agreeing with their counts."""
    return _COUNTED.format(template, **params) if "|" in template else template.format(**params)


def agree(value, format_spec: str) -> str:
    """One field formatted as `counted` formats it."""
    return _COUNTED.format_field(value, format_spec)

# code -> (severity, zh, en): problems, as in problems.CATALOGUE.
PROBLEMS: dict[str, tuple[str, str, str]] = {
    # who a row names (SPEC §3.5, load/people.py): 工号 and 业务员 filled must name one person
    "person_mismatch": (ERROR, "{id_column} \"{staff_id}\" 与 {name_column} \"{name}\" 不是同一人（{id_says}；{name_says}）："
                               "请改正其中一格（导出的工号列可能是其他系统的编号）",
                        "{id_column} \"{staff_id}\" and {name_column} \"{name}\" do not name the same person "
                        "({id_says}; {name_says}): correct one of them (an export's staff id column may hold "
                        "another system's numbers)"),
    # a rule that is off (SPEC §10: a key of R42–R45 absent from the rules): its rows are not ignored
    "discipline_off": (ERROR, "{column} \"{value}\" 是奖惩行（R43），但本月的规则中没有 discipline，该行不会计入任何人的工资："
                              "请在规则中加入 discipline（见 default.yaml），或删除该行",
                       "{column} \"{value}\" is a discipline row (R43), but this month's rules have no discipline: "
                       "it would change nobody's pay. Add discipline to the rules (see default.yaml) or remove the row"),
}

# code -> (zh, en): texts, as in problems.MESSAGES.
TEXTS: dict[str, tuple[str, str]] = {
    # the halves of person_mismatch
    "people.id_holder": ("工号 {staff_id} 是 {holder}", "{staff_id} is {holder}"),
    "people.id_unknown": ("工号 {staff_id} 不在人员名单中", "{staff_id} is not on the roster"),
    "people.name_is": ("{name} 是 {match} {holder}", "{name} is {match} {holder}"),
    "people.name_unknown": ("人员名单中没有 {name}", "{name} is not on the roster"),
    "people.name_ambiguous": ("人员名单中有多人名为 {name}", "several people on the roster are named {name}"),
    # the problem list's last line when notes (提示) were listed too: every count includes the unlisted
    "problem_counts_infos": ("共 {errors} 个错误，{warnings} 个警告，{infos} 个提示",
                             "{errors} {errors:error|errors}, {warnings} {warnings:warning|warnings}, "
                             "{infos} {infos:note|notes}"),
    "unlisted_problems": ("另有 {n} 个问题未单独列出，按代码计数见 unlisted",
                          "{n} more {n:problem was|problems were} not listed one by one: see unlisted for their count "
                          "by code"),
    # why a workbook cannot be read (load/readers.py; the scanner's detail only under --debug)
    "unreadable.empty": ("空文件", "the file is empty"),
    "unreadable.not_excel": ("文件内容不是 Excel 工作簿：如果它是表格，请在 Excel 或 WPS 中打开并另存为 .xlsx",
                             "the file's content is not an Excel workbook: if it is a spreadsheet, open it in Excel or WPS "
                             "and save it as .xlsx"),
    "unreadable.truncated": ("文件已损坏或不完整：请重新导出或重新复制", "the file is damaged or incomplete: export or copy it again"),
    "unreadable.encrypted": ("文件已加密（设置了打开密码），请去掉密码后另存",
                             "the file is encrypted (it has an opening password): remove the password and save it again"),
    "unreadable.xml_entities": ("文件含有 XML 实体声明，可能是恶意文件，已拒绝",
                                "the file holds XML entity declarations, which may be malicious: refused"),
    "unreadable.zip_bomb": ("文件解压后异常巨大，可能是恶意文件，已拒绝",
                            "the file inflates to an abnormal size, which may be malicious: refused"),
    "unreadable.too_wide": ("工作表范围异常巨大", "a sheet's extent is abnormally large"),
    "unreadable.csv": ("CSV 格式有误（如引号不成对），无法解析", "the CSV cannot be parsed (e.g. an unmatched quote)"),
    "unreadable.missing": ("无法打开：文件不存在", "cannot open: the file does not exist"),
    "unreadable.denied": ("无法打开：没有读取权限", "cannot open: permission denied"),
    "unreadable.busy": ("无法打开：文件正被其他程序占用", "cannot open: another program is using the file"),
    "unreadable.cannot_open": ("无法打开该文件", "the file cannot be opened"),
    # Click/typer usage errors (cli_support.usage_detail), inside usage_error's 用法错误：…
    "usage.missing_argument": ("缺少参数 {name}", "missing argument {name}"),
    "usage.missing_option": ("缺少选项 {name}", "missing option {name}"),
    "usage.no_option": ("没有选项 {name}{suggest}", "no such option: {name}{suggest}"),
    "usage.did_you_mean": ("（是否是：{options}）", " (did you mean: {options})"),
    "usage.bad_value": ("{name} 的值无效", "invalid value for {name}"),
    "usage.extra_arguments": ("多余的参数：{args}", "unexpected extra {n:argument|arguments}: {args}"),
    "usage.no_command": ("没有命令 {name}", "no such command: {name}"),
    "usage.missing_command": ("缺少命令", "missing command"),
    "usage.option_takes_no_value": ("选项 {name} 不带值", "option {name} takes no value"),
    "usage.option_needs_value": ("选项 {name} 需要一个值", "option {name} needs a value"),
    "usage.unknown": ("命令行无法解析", "{detail}"),
    # a file of another month, or of many (SPEC §8.1, load/perimeter.py): counts by month, largest first
    "outside.month_count": ("{month} {count} 行", "{month}: {count}"),
    "outside.more_months": ("另有 {n} 个月共 {count} 行", "{n} more {n:month|months}: {count}"),
    "outside.one_month": ("这像是 {other} 的{kind}，放错了月份文件夹",
                          "this looks like {other}'s {kind_en}, put in the wrong month folder"),
    "outside.many_months": ("这些行分布在 {n} 个月，像是多个月份的{kind}（如全年导出）：请只放入 {month} 的行",
                            "the rows lie in {n} months, like several months' {kind_en} (a whole year's export): "
                            "put only {month}'s rows in the folder"),
}


def partial(template: str, params: dict) -> str:
    """`template` with each known parameter filled and each unknown one left out (a template and
    its parameters that do not match must never crash a report, nor show a raw code)."""
    out = []
    for literal, name, spec, _conv in _COUNTED.parse(template):
        out.append(literal)
        if name is not None:
            value = params.get(name, "")
            try:
                out.append(agree(value, spec or ""))
            except (TypeError, ValueError):
                out.append(str(value))
    return "".join(out)
