"""`output/MONTH/科间转诊奖励.xlsx` (R42, SPEC §11): what the 客服部 pays each doctor in cash at
month end, and why — printable like the payslips (A4 fit to width, header row repeated on every
page, money as #,##0.00).

Sheets: 医生汇总 (per 首诊医生: 科室, slips, successes, reward, with a 合计), 转诊单明细 (every slip
with both amounts and its outcome), 依据账单 (the billing lines each slip rests on, file › sheet
› row), 未成功 (rejected, repeated and carried slips with their reason).

`check_interdept_workbook` is for `verify`: it reads the workbook back and names every cell that
differs from settlement.json.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from settle.engine.interdept import (
    CARRIED,
    OUTCOME_NAMES,
    REJECTED,
    REPEAT,
    SUCCESS,
    InterdeptResult,
    reason_text,
)
from settle.output.english import source
from settle.output.xlsx import (
    DATE,
    DATETIME,
    INT,
    MONEY,
    TEXT,
    Table,
    frame_of,
    write_book,
)

# One name whatever the language (outputs are found by the same names, issue 18.5).
FILE_NAMES = {"zh": "科间转诊奖励.xlsx", "en": "科间转诊奖励.xlsx"}
DOCTOR_HEADERS = {"zh": ("首诊医生", "科室", "转诊单数", "其中上月结转", "成功", "奖励"),
                  "en": ("Doctor", "Department", "Slips", "Carried in", "Successes", "Reward")}


def _L(lang):
    return lambda zh, en: zh if lang == "zh" else en


def _yuan(fen: int) -> Decimal:
    return Decimal(int(fen)) / 100


def doctor_table(r: InterdeptResult, lang: str) -> Table:
    L = _L(lang)
    h = DOCTOR_HEADERS[lang]
    cols = [(h[0], TEXT), (h[1], TEXT), (h[2], INT), (h[3], INT), (h[4], INT), (h[5], MONEY)]
    doctors = r.doctors
    rows = [(d.name, d.department, d.slips, d.carried_in, d.successes, d.reward) for d in doctors]
    total = (L("合计", "Total"), L(f"{len(doctors)} 人", f"{len(doctors)} doctors"),
             sum(d.slips for d in doctors), sum(d.carried_in for d in doctors),
             sum(d.successes for d in doctors), r.total)
    return Table(L("医生汇总", "Doctors"), cols, frame_of(rows, cols), total=total, lang=lang)


def slip_table(r: InterdeptResult, lang: str) -> Table:
    L = _L(lang)
    idx = 0 if lang == "zh" else 1
    cols = [(L("转诊日期", "Referred"), DATE), (L("病历号", "Record no"), TEXT), (L("患者姓名", "Patient"), TEXT),
            (L("转出科室", "From"), TEXT), (L("首诊医生", "Doctor"), TEXT), (L("转入科室", "To"), TEXT),
            (L("接诊医生", "Receiving doctor"), TEXT), (L("转出科室金额", "Amount before"), MONEY),
            (L("转入科室金额", "Amount after"), MONEY), (L("结果", "Outcome"), TEXT), (L("原因", "Reason"), TEXT),
            (L("奖励", "Reward"), MONEY), (L("上月结转", "Carried in"), TEXT), (L("来源", "Source"), TEXT)]
    rows = []
    for s in sorted(r.slips, key=lambda s: s.order):
        rows.append((s.referred_on, s.record_no, s.patient_name, s.from_department, s.first_doctor,
                     s.to_department, s.receiving_doctor, _yuan(s.amount_fen("out")), _yuan(s.amount_fen("in")),
                     OUTCOME_NAMES[s.outcome][idx], _reason(s, r, lang), s.reward,
                     L("是", "yes") if s.carried_in else "", source(s.source, lang)))
    total = (L("合计", "Total"), L(f"{len(rows)} 张", f"{len(rows)} slips"), None, None, None, None, None, None,
             None, L(f"成功 {r.count(SUCCESS)}", f"{r.count(SUCCESS)} successes"), None, r.total, None, None)
    return Table(L("转诊单明细", "Slips"), cols, frame_of(rows, cols), total=total, landscape=True, lang=lang)


def _reason(s, r: InterdeptResult, lang: str) -> str:
    text = reason_text(s.reason, r.rules, lang)
    if s.repeat_of:
        first = source(next((o.source for o in r.slips if o.id == s.repeat_of), s.repeat_of), lang)  # else last month's
        text += (f"（同 {first}）" if lang == "zh" else f" (same as {first})")
    if s.outcome == CARRIED:
        text = (f"截至 {s.window_end:%Y-%m-%d} 仍可成功；目前：{text}" if lang == "zh" else
                f"open until {s.window_end:%Y-%m-%d}; so far: {text}")
    return text


def lines_table(r: InterdeptResult, lang: str) -> Table:
    L = _L(lang)
    cols = [(L("病历号", "Record no"), TEXT), (L("首诊医生", "Doctor"), TEXT), (L("转诊日期", "Referred"), DATE),
            (L("方向", "Side"), TEXT), (L("就诊时间", "Visited"), DATETIME), (L("科室", "Department"), TEXT),
            (L("项目类别", "Category"), TEXT), (L("金额", "Amount"), MONEY), (L("计入", "Counts"), TEXT),
            (L("账单来源", "Billing line"), TEXT), (L("转诊单来源", "Slip"), TEXT)]
    rows = []
    for s in sorted(r.slips, key=lambda s: s.order):
        for ln in s.lines:
            rows.append((s.record_no, s.first_doctor, s.referred_on,
                         L("转出", "before") if ln.side == "out" else L("转入", "after"), ln.visited,
                         ln.department, ln.category, _yuan(ln.amount_fen),
                         L("否（住院类）", "no (inpatient)") if ln.inpatient else L("是", "yes"),
                         source(ln.source, lang), source(s.source, lang)))
    return Table(L("依据账单", "Billing lines"), cols, frame_of(rows, cols), landscape=True, lang=lang)


def open_table(r: InterdeptResult, lang: str) -> Table:
    L = _L(lang)
    idx = 0 if lang == "zh" else 1
    cols = [(L("结果", "Outcome"), TEXT), (L("原因", "Reason"), TEXT), (L("转诊日期", "Referred"), DATE),
            (L("病历号", "Record no"), TEXT), (L("首诊医生", "Doctor"), TEXT), (L("转出科室", "From"), TEXT),
            (L("转入科室", "To"), TEXT), (L("转出科室金额", "Amount before"), MONEY),
            (L("转入科室金额", "Amount after"), MONEY), (L("来源", "Source"), TEXT)]
    order = {REJECTED: 0, REPEAT: 1, CARRIED: 2}
    rows = [(OUTCOME_NAMES[s.outcome][idx], _reason(s, r, lang), s.referred_on, s.record_no, s.first_doctor,
             s.from_department, s.to_department, _yuan(s.amount_fen("out")), _yuan(s.amount_fen("in")), source(s.source, lang))
            for s in sorted((s for s in r.slips if s.outcome != SUCCESS), key=lambda s: (order[s.outcome], s.order))]
    return Table(L("未成功", "Not successful"), cols, frame_of(rows, cols), landscape=True, lang=lang)


def write_interdept(folder: Path, r: InterdeptResult | None, lang: str = "zh") -> Path | None:
    """Write the workbook into `folder` (the run's staging folder); nothing when R42 is off."""
    if r is None:
        return None
    path = folder / FILE_NAMES[lang]
    write_book(path, [doctor_table(r, lang), slip_table(r, lang), lines_table(r, lang), open_table(r, lang)],
               fast=False)
    return path


# --- verify ----------------------------------------------------------------------------------------

def check_interdept_workbook(folder: Path, settlement: dict) -> list[tuple[str, str, str]]:
    """Differences between `folder`'s 科间转诊奖励 workbook and settlement.json's "interdept" record,
    as (file › sheet › cell, recorded, found). The doctors' sheet is found by what it holds (its
    header row), not by its name, so a workbook written in either language is checked."""
    import openpyxl

    record = settlement.get("interdept")
    present = [folder / n for n in FILE_NAMES.values() if (folder / n).exists()]
    if record is None:
        return [(p.name, "无 / none", "有 / present") for p in present]
    if not present:
        return [(FILE_NAMES["zh"], "有 / present", "无 / missing")]
    path = present[0]
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        found = _doctor_rows(wb)
    finally:
        wb.close()
    if found is None:
        return [(f"{path.name}", "医生汇总 / doctors sheet", "无 / missing")]
    sheet, rows = found
    want = {(d["name"], d["department"]): d for d in record.get("doctors", [])}
    diffs = []
    for (name, dept), (cell, reward) in rows.items():
        if (name, dept) == ("__total__", ""):
            if reward != Decimal(record["total"]):
                diffs.append((f"{path.name} › {sheet} › {cell}", record["total"], str(reward)))
            continue
        d = want.pop((name, dept), None)
        if d is None:
            diffs.append((f"{path.name} › {sheet} › {cell}", "无 / none", f"{name} {reward}"))
        elif Decimal(d["reward"]) != reward:
            diffs.append((f"{path.name} › {sheet} › {cell}", d["reward"], str(reward)))
    for (name, dept), d in want.items():
        diffs.append((f"{path.name} › {sheet}", f"{name} {dept} {d['reward']}", "无 / missing"))
    return diffs


def _doctor_rows(wb):
    """(sheet name, {(doctor, 科室): (reward cell, reward)}) of the sheet whose header is a
    doctors' header, the 合计 row under the key ("__total__", "")."""
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        if not rows or tuple(rows[0][:6]) not in (DOCTOR_HEADERS["zh"], DOCTOR_HEADERS["en"]):
            continue
        out = {}
        for i, row in enumerate(rows[1:], start=2):
            name, dept, reward = row[0], row[1], row[5]
            if name is None:
                continue
            amount = Decimal(str(reward if reward is not None else 0)).quantize(Decimal("0.01"))
            key = ("__total__", "") if name in ("合计", "Total") else (str(name), str(dept or ""))
            out[key] = (f"F{i}", amount)
        return ws.title, out
    return None
