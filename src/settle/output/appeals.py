"""申诉单 (SPEC §12): one printable appeal sheet per salesperson with findings (R20–R26),
`申诉/<工号>_<姓名>.xlsx`, written by `check-cards` and by `run`.

One row per finding: its 编号 (the id a filled-in sheet is matched back by), the rule and 名称,
card, masked patient, source file › sheet › row, the effect on pay; then the columns the
salesperson and the director fill in: 申诉理由, 证据, 主任意见 (a drop-down 同意/不同意) and
批准人. The sheet is protected without a password: only those four columns take input, so the
编号 and 工号 a run reads back cannot be changed by accident. A4 landscape, fit to width.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd

from settle.load.columns import APPEAL_DECISIONS
from settle.output.english import violation_detail
from settle.output.printing import Page, date_blank, signature_line
from settle.output.privacy import mask_key, safe_filename
from settle.output.xlsx import TEXT, Table, frame_of, write_book
from settle.problems import VIOLATION_NAMES

APPEAL_FOLDER = "申诉"        # names never depend on --lang
ENTRY = (10, 11, 12, 13)      # 申诉理由, 证据, 主任意见, 批准人: the only cells that take input
DECISION_EN = ("approved", "rejected")


def _zh(lang, zh, en):
    return zh if lang == "zh" else en


def appeal_columns(lang: str) -> list[tuple[str, str]]:
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    heads = [L("编号", "Finding id"), L("工号", "Staff id"), L("姓名", "Name"), L("规则", "Rule"), L("名称", "Violation"),
             L("卡号", "Card"), L("患者标识", "Patient key"), L("来源", "Source"), L("说明", "Detail"),
             L("对工资的影响", "Effect on pay"), L("申诉理由", "Reason for appeal"), L("证据", "Evidence"),
             L("主任意见", "Director's decision"), L("批准人", "Approved by")]
    return [(h, TEXT) for h in heads]


def effect_on_pay(code: str, effect: str, fine: Decimal, lang: str = "zh") -> str:
    """What the finding does to pay, in words a salesperson reads."""
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    if effect == "已确认例外":
        return L("已确认例外，照常计业绩", "exception confirmed: credited as usual")
    return {
        "unregistered_card": L("该行消费不计业绩", "the line is not credited"),
        "duplicate_card": L(f"罚款 {fine:,.2f} 元；该卡消费不计业绩", f"fine {fine:,.2f} yuan; the card's spending "
                                                                   "is not credited"),
        "late_registration": L("该登记不计业绩", "the registration is not credited"),
        "existing_patient": L("该登记不计业绩", "the registration is not credited"),
        "incomplete_referral": L("该登记不计业绩", "the registration is not credited"),
        "unknown_staff": L("该登记无效，不计业绩", "the registration is void"),
        "conflicting_claim": L("后登记者不计业绩", "the later claim is not credited"),
    }[code]


def _source(file, sheet, row, lang) -> str:
    from settle.output.render import _source as source
    return source(file, sheet, row, lang)


def appeal_rows(findings: pd.DataFrame, sid: str, name: str, fine: Decimal, lang: str) -> list[tuple]:
    idx = 0 if lang == "zh" else 1
    return [(f.id, sid, name, f.rule, VIOLATION_NAMES[f.code][idx], f.card_no if isinstance(f.card_no, str) else "",
             mask_key(f.patient_key), _source(f.file, f.sheet, f.row, lang),
             f.detail if lang == "zh" else violation_detail(f.code, f.detail),
             effect_on_pay(f.code, f.effect, fine, lang), None, None, None, None)
            for f in findings.itertuples()]


def appeal_table(month, sid: str, name: str, rows: list[tuple], lang: str = "zh", page: Page | None = None) -> Table:
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    page = page or Page()
    gap, colon = L("　　", "    "), L("：", ": ")
    cols = appeal_columns(lang)
    title = [f"{page.org} {L('申诉单', 'appeal sheet')}".strip(),
             f"{L('月份', 'Month')}{colon}{month}{gap}{L('姓名', 'Name')}{colon}{name}{gap}{L('工号', 'Staff id')}{colon}{sid}",
             L("每行一项违规。业务员填写申诉理由和证据；主任在“主任意见”中选择 同意 或 不同意，并填写批准人。"
               "编号、工号列受保护，请勿修改。填好后以“申诉”开头的文件名（如 申诉_" + sid + ".xlsx）放入月份文件夹，下次结算时生效。",
               "One finding per row. The salesperson writes the reason and evidence; the director chooses approved "
               "or rejected under Director's decision and signs under Approved by. Do not change the finding id "
               "and staff id columns (protected). Put the filled sheet into the month folder under a name starting "
               "with appeal (e.g. appeal_" + sid + ".xlsx): the next run applies it.")]
    below = [(signature_line([L("业务员签字", "Salesperson"), L("主任签字", "Director")], lang=lang) + gap +
              f"{L('日期', 'Date')}{colon}{date_blank(lang)}", "sign")]
    frame = frame_of(rows, cols)
    choices = list(APPEAL_DECISIONS if lang == "zh" else DECISION_EN)

    def finish(wb, ws, r0, last):
        entry = wb.add_format({"locked": False, "text_wrap": True, "valign": "top", "border": 1,
                               "border_color": "#808080", "bg_color": "#FFF9E6"})
        marked = wb.add_format({"bold": True, "bg_color": "#D9D9D9", "border": 1, "text_wrap": True, "valign": "vcenter"})
        for c in (0, 1):
            ws.write_string(r0, c, cols[c][0], marked)   # the columns a filled sheet is matched back by
        for i in range(len(frame)):
            for c in ENTRY:
                v = frame.iat[i, c]
                if isinstance(v, str) and v:
                    ws.write_string(r0 + 1 + i, c, v, entry)
                else:
                    ws.write_blank(r0 + 1 + i, c, None, entry)
        if last > r0:
            ws.data_validation(r0 + 1, 12, last, 12, {
                "validate": "list", "source": choices,
                "error_title": L("主任意见", "Director's decision"),
                "error_message": L("请选择 同意 或 不同意", "choose approved or rejected")})
        ws.protect("", {"format_columns": True, "format_rows": True, "autofilter": True, "sort": False})

    return Table(L("申诉", "Appeals"), cols, frame, title=title, below=below, landscape=True, grid=True,
                 widths={0: 16, 1: 8, 2: 8, 3: 6, 4: 12, 5: 9, 6: 11, 7: 30, 8: 18, 9: 18, 10: 26, 11: 16, 12: 10, 13: 10},
                 wrap=(7, 8, 9, 10, 11), lang=lang, finish=finish,
                 header=page.header(f"{month} {L('申诉单', 'appeal sheet')}",
                                    f"{name}（{sid}）" if lang == "zh" else f"{name} ({sid})"))


def appeal_file(sid: str, name: str) -> str:
    return safe_filename(sid, name) + ".xlsx"


def write_appeal_sheets(folder: Path, findings: pd.DataFrame, names: dict, month, fine: Decimal, lang: str = "zh",
                        page: Page | None = None, filled: dict | None = None) -> list[Path]:
    """One workbook per person with findings (engine.appeals.month_findings: `appellant` names
    whose sheet lists each). Findings with nobody to appeal them (an R20 line whose patient no one
    owns, an R25 row) stay in 违规 and 卡片检查 only. `filled` (finding id → (reason, evidence,
    decision, approver)) pre-fills the entry columns: the sample workspace's decided appeal."""
    written = []
    if not len(findings):
        return written
    folder.mkdir(parents=True, exist_ok=True)
    people = findings[findings["appellant"].map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)]
    for sid, mine in people.groupby("appellant", sort=True):
        name = names.get(sid, "")
        rows = appeal_rows(mine, sid, name, fine, lang)
        if filled:
            rows = [r[:10] + tuple(filled.get(r[0], (None,) * 4)) for r in rows]
        path = folder / appeal_file(sid, name)
        write_book(path, [appeal_table(month, sid, name, rows, lang, page)], fast=False)
        written.append(path)
    return written
