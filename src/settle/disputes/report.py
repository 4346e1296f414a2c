"""A month's diff as words, `--json` and 差异说明.xlsx (SPEC §12). The workbook sits beside the
month's outputs and is not part of its record (verify ignores it)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from settle.disputes.diff import ZERO, Cause, PersonDiff
from settle.problems import say

FILE = "差异说明.xlsx"
_ADJ = re.compile(r"^调整 (\S+) 第 (\d+) 行")


@dataclass
class MonthDiff:
    """Two results compared: `before` → `after`, labelled (a run's time stamp, or a month)."""

    month: str
    before_label: str
    after_label: str
    people: list[PersonDiff]
    rules_keys: list[tuple[str, object, object]] = field(default_factory=list)
    lines_recorded: bool = True          # both records hold their credited lines
    policy: dict | None = None           # the after side's policy (names for an English text)

    @property
    def total(self) -> Decimal:
        return sum((p.difference for p in self.people), ZERO)

    def to_json(self, lang: str = "zh") -> dict:
        return {"month": self.month, "before": self.before_label, "after": self.after_label,
                "people_changed": len(self.people), "total": str(self.total),
                "lines_recorded": self.lines_recorded,
                "rules_changed": [{"key": k, "before": _plain(a), "after": _plain(b)} for k, a, b in self.rules_keys],
                "people": [{**p.to_json(), "summary": [
                    {"kind": c.kind, "amount": str(c.amount), "lines": names, "text": describe(c, lang, self.policy)}
                    for c, names in p.grouped()]} for p in self.people]}


def _plain(v):
    return v if isinstance(v, (str, int, float, bool, type(None))) else str(v)


def where(params: dict, lang: str) -> str:
    if not params.get("file"):
        return ""
    row = say("diff.row", lang, row=params["row"])
    return " › ".join(str(x) for x in (params["file"], params.get("sheet") or "", row) if x != "")


def describe(c: Cause, lang: str = "zh", policy: dict | None = None) -> str:
    """The cause in one sentence of the run's language (data — files, 病历号, names — as written)."""
    from settle.output.english import translator
    from settle.problems import VIOLATION_NAMES
    tr = translator(lang, policy)
    p = dict(c.params)
    p.setdefault("detail", "")
    p["where"] = where(p, lang)
    p["line"] = tr(c.line)
    if c.kind in ("reg_confirmed", "reg_rejected"):
        p["code_name"] = VIOLATION_NAMES.get(p.get("code", ""), ("", ""))[0 if lang == "zh" else 1]
    if c.kind in ("adjustment", "carried", "fine", "registrations", "other"):
        m = _ADJ.match(p["detail"])
        p["detail"] = (say("diff.adjustment_row", lang, file=m.group(1), row=m.group(2)) if m
                       else tr(p["detail"]))
    text = say(f"diff.kind.{c.kind}", lang, **{k: ("" if v is None else v) for k, v in p.items()})
    if p.get("staff_id") and c.kind not in ("factor",) and p.get("name"):
        text = say("diff.of_person", lang, name=p["name"], sid=p["staff_id"], text=text)
    return text


def write_workbook(path: Path, md: MonthDiff, lang: str = "zh") -> Path:
    """差异说明: 汇总 (a row per person: before, after, difference), 原因 (each person's causes
    summed over the lines they moved — they add up to the difference), 明细 (per payslip line and
    cause), 规则变更 (the policy's keys that changed). Printable on A4, fit to width."""
    import xlsxwriter

    from settle.output.printing import footer
    L = (lambda zh, en: zh) if lang == "zh" else (lambda zh, en: en)  # noqa: E731
    tmp = path.with_name(f".{path.name}.tmp")
    wb = xlsxwriter.Workbook(str(tmp))
    head = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "border": 1})
    money = wb.add_format({"num_format": "#,##0.00", "valign": "top"})
    bold = wb.add_format({"num_format": "#,##0.00", "bold": True, "top": 1})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    title = say("diff.title", lang, month=md.month, before=md.before_label, after=md.after_label)

    def sheet(name: str, heads: list[str], widths: list[int], rows: list[list], money_cols: set[int], total_col=None):
        ws = wb.add_worksheet(name)
        ws.write(0, 0, title, wb.add_format({"bold": True, "font_size": 13}))
        ws.write_row(2, 0, heads, head)
        ws.freeze_panes(3, 0)
        for i, w in enumerate(widths):
            ws.set_column(i, i, w, wrap if w >= 30 else None)
        for r, row in enumerate(rows, start=3):
            for c, v in enumerate(row):
                if c in money_cols and isinstance(v, Decimal):
                    ws.write_number(r, c, float(v), money)
                elif v is not None:
                    ws.write(r, c, v, wrap if widths[c] >= 30 else None)
        if total_col is not None:
            last = len(rows) + 3
            ws.write(last, 0, L("合计", "Total"), bold)
            ws.write_number(last, total_col, float(sum((r[total_col] for r in rows if isinstance(r[total_col], Decimal)),
                                                       ZERO)), bold)
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(2)
        ws.set_header(f'&C&"-,Bold" {title[:200].replace("&", "&&")}')
        ws.set_footer(footer(lang))
        return ws

    people = [[p.staff_id, p.name, p.role, p.before, p.after, p.difference] for p in md.people]
    for row in people:
        row[3] = row[3] if row[3] is not None else L("无工资条", "no payslip")
        row[4] = row[4] if row[4] is not None else L("无工资条", "no payslip")
    sheet(L("汇总", "Summary"), [L("工号", "Staff id"), L("姓名", "Name"), L("角色", "Role"), md.before_label,
                                md.after_label, L("差额", "Difference")], [9, 10, 8, 14, 14, 14], people, {3, 4, 5}, 5)
    causes, lines = [], []
    for p in md.people:
        for c, names in p.grouped():
            causes.append([p.staff_id, p.name, describe(c, lang, md.policy),
                           "、".join(names) if lang == "zh" else ", ".join(_tr(names, lang, md.policy)),
                           c.params.get("record_no", ""), c.amount])
        for c in p.causes:
            lines.append([p.staff_id, p.name, _tr([c.line], lang, md.policy)[0], describe(c, lang, md.policy), c.amount])
    sheet(L("原因", "Causes"), [L("工号", "Staff id"), L("姓名", "Name"), L("原因", "Cause"), L("影响项目", "Lines moved"),
                               L("病历号", "病历号"), L("金额", "Amount")], [9, 10, 60, 24, 12, 13], causes, {5}, 5)
    sheet(L("明细", "Detail"), [L("工号", "Staff id"), L("姓名", "Name"), L("工资条项目", "Payslip line"),
                               L("原因", "Cause"), L("金额", "Amount")], [9, 10, 16, 70, 13], lines, {4}, 4)
    keys = [[k, str(_plain(a)), str(_plain(b))] for k, a, b in md.rules_keys] or \
        [[L("（规则未变）", "(rules unchanged)"), "", ""]]
    sheet(L("规则变更", "Rules changed"), [L("规则键", "Key"), md.before_label, md.after_label], [50, 30, 30], keys, set())
    wb.close()
    os.replace(tmp, path)
    return path


def _tr(names: list[str], lang: str, policy) -> list[str]:
    from settle.output.english import translator
    tr = translator(lang, policy)
    return [tr(n) for n in names]
