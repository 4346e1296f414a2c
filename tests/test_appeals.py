"""申诉 (SPEC §12, §3.5): findings → appeal sheet → filled in → the next run applies the decision.

The month: S1 and S2 (regular 业务员 of 一组, no 主管) each register a patient ten minutes before
the visit — R22 转诊迟报 (must be reported ≥ 30 min before) — and S2 gives one patient a third
card (R21: 100 fine). Every line is 其他 channel (no rebate), so 业绩 = the amount.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl

from builders import bill, reg, team
from conftest import ok

MAY = "2024-05"


def month(ws, *, s1_at=dt.datetime(2024, 5, 10, 10, 0)):
    ws.staff(team())
    regs = [reg(s1_at, "S1", "P10001", card="C1"),                                    # R22 (visit 10:10)
            reg(dt.datetime(2024, 5, 11, 10, 0), "S2", "P10002", card="C2"),          # R22 (visit 10:10)
            reg(dt.datetime(2024, 5, 2, 9, 0), "S2", "P10003", card="C3"),
            reg(dt.datetime(2024, 5, 3, 9, 0), "S2", "P10003", card="C4"),
            reg(dt.datetime(2024, 5, 4, 9, 0), "S2", "P10003", card="C5")]            # R21: the 3rd card
    billing = [bill(dt.datetime(2024, 5, 10, 10, 10), 1000, "P10001", card="C1"),
               bill(dt.datetime(2024, 5, 11, 10, 10), 2000, "P10002", card="C2"),
               bill(dt.datetime(2024, 5, 20, 10, 0), 500, "P10003", card="C3")]
    ws.month(MAY, regs=regs, billing=billing)


def sheet_rows(path: Path) -> tuple[int, list[list]]:
    """(header row number, every row's values) of an appeal sheet."""
    wb = openpyxl.load_workbook(path)
    rows = [list(r) for r in wb.active.iter_rows(values_only=True)]
    head = next(i for i, r in enumerate(rows) if r[0] in ("编号", "Finding id"))
    return head + 1, rows


def fill(src: Path, dst: Path, decisions: dict[str, tuple]) -> None:
    """What the salesperson and the director do: write 申诉理由, 主任意见 and 批准人 on the rows
    of the given rules (R22: (reason, decision, approver)), save under a 申诉 name."""
    head, rows = sheet_rows(src)
    wb = openpyxl.load_workbook(src)
    ws = wb.active
    for i, r in enumerate(rows[head:], start=head + 1):
        if r[3] in decisions:
            reason, decision, approver = decisions[r[3]]
            ws.cell(i, 11).value, ws.cell(i, 13).value, ws.cell(i, 14).value = reason, decision, approver
    wb.save(dst)


def out(ws) -> Path:
    return ws.root / "output" / MAY


def test_run_writes_one_protected_appeal_sheet_per_salesperson_with_findings(ws, settle):
    """SPEC §12: 申诉/<工号>_<姓名>.xlsx, one row per finding, the entry columns empty, the
    decision a drop-down, the sheet protected, A4 landscape."""
    month(ws)
    ok(settle(ws))
    folder = out(ws) / "申诉"
    assert sorted(p.name for p in folder.iterdir()) == ["S1_王芳.xlsx", "S2_李娜.xlsx"]
    head, rows = sheet_rows(folder / "S2_李娜.xlsx")
    assert rows[head - 1] == ["编号", "工号", "姓名", "规则", "名称", "卡号", "患者标识", "来源", "说明", "对工资的影响",
                              "申诉理由", "证据", "主任意见", "批准人"]
    body = [r for r in rows[head:] if r[1] == "S2"]
    assert [(r[3], r[4], r[5], r[6], r[9], r[10:14]) for r in body] == [
        ("R21", "重复办卡", "C5", "****0003", "罚款 100.00 元；该卡消费不计业绩", [None] * 4),
        ("R22", "转诊迟报", "C2", "****0002", "该登记不计业绩", [None] * 4)]
    assert body[1][7] == f"{MAY}/登记表.xlsx › Sheet1 › 第 3 行"
    sheet = openpyxl.load_workbook(folder / "S2_李娜.xlsx").active
    assert sheet.protection.sheet and sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "landscape"
    lists = [v for v in sheet.data_validations.dataValidation if v.type == "list"]
    assert [(v.formula1, str(v.sqref)) for v in lists] == [('"同意,不同意"', f"M{head + 1}:M{head + 2}")]
    assert not sheet.cell(head + 1, 11).protection.locked and sheet.cell(head + 1, 1).protection.locked


def test_appeal_round_trip_credits_the_card(ws, settle):
    """R22 appealed, 同意 with 批准人 → the 确认例外 of §3.5 for card C1 (R7 lifts the rejection):
    S1's 1 000.00 line is credited. Before: 业绩 0.00. After: 业绩 1 000.00, 提成 3 % × 1 000 =
    30.00 (R11), base 1 500 × 1 000 / 20 000 = 75.00 (R30), 绩效 700 × 1 000 / 50 000 = 14.00 (R33)."""
    month(ws)
    before = ok(settle(ws))
    assert before.person("S1")["performance"] == "0.00"
    fill(out(ws) / "申诉" / "S1_王芳.xlsx", ws.root / MAY / "申诉_S1.xlsx", {"R22": ("持转诊医生单据", "同意", "主任")})
    after = ok(settle(ws))
    assert (after.person("S1")["performance"], after.column("S1", "提成"), after.column("S1", "基本工资"),
            after.column("S1", "绩效考核")) == ("1000.00", "30.00", "75.00", "14.00")
    (appeal,) = after.data["appeals"]
    assert (appeal["code"], appeal["staff_id"], appeal["decision"], appeal["approved_by"], appeal["applied"],
            appeal["file"], appeal["row"]) == ("late_registration", "S1", "approved", "主任", "exception",
                                               f"{MAY}/申诉_S1.xlsx", 6)
    assert appeal["finding"] == {"file": f"{MAY}/登记表.xlsx", "sheet": "Sheet1", "row": 2, "card_no": "C1"}
    (r22,) = [v for v in after.violations("late_registration") if v["staff_id"] == "S1"]
    assert r22["effect"] == "已确认例外"        # the violation stays listed (R7)
    slip = openpyxl.load_workbook(out(ws) / "工资条" / "S1_王芳.xlsx")["违规"]
    rows = list(slip.iter_rows(values_only=True))
    assert rows[0][-1] == "申诉结果" and rows[1][0] == "late_registration" and rows[1][-1] == "同意 — 批准人 主任"
    from settle import verify
    report, _ = verify(ws.root, MAY)
    assert report.ok, report


def test_disagreed_appeal_is_recorded_and_changes_nothing(ws, settle):
    """不同意 with 批准人: recorded (decision rejected); S2's 2 000.00 on C2 stays uncredited (R22):
    业绩 500.00 is C3's line, the patient's first card."""
    month(ws)
    ok(settle(ws))
    fill(out(ws) / "申诉" / "S2_李娜.xlsx", ws.root / MAY / "申诉_S2.xlsx", {"R22": ("患者先挂号", "不同意", "主任")})
    r = ok(settle(ws))
    assert r.person("S2")["performance"] == "500.00"   # C3's line only (P10003's first card); C2's 2 000.00 stays out
    assert [(a["code"], a["decision"], a["applied"]) for a in r.data["appeals"]] == [
        ("late_registration", "rejected", "rejected")]
    rows = list(openpyxl.load_workbook(out(ws) / "工资条" / "S2_李娜.xlsx")["违规"].iter_rows(values_only=True))
    # 37.50 + 7.00 + 15.00 − 100.00 < 0: R39's flag, which no appeal concerns (empty 申诉结果)
    assert {(row[0], row[-1]) for row in rows[1:]} == {("duplicate_card", "未申诉"), ("negative_pay", ""),
                                                       ("late_registration", "不同意 — 批准人 主任")}


def test_an_appeal_without_approver_is_a_warning_and_not_applied(ws, settle):
    """主任意见 同意 but no 批准人: a warning naming file › sheet › row › 批准人; nothing applied."""
    month(ws)
    ok(settle(ws))
    fill(out(ws) / "申诉" / "S1_王芳.xlsx", ws.root / MAY / "申诉_S1.xlsx", {"R22": ("持转诊医生单据", "同意", None)})
    r = ok(settle(ws))
    assert r.person("S1")["performance"] == "0.00"
    warnings = [p.key() for p in r.cli.outcome.result.problems.warnings if p.code.startswith("appeal")]
    assert warnings == [(f"{MAY}/申诉_S1.xlsx", "申诉", 6, "批准人", "appeal_no_approver")]
    assert [(a["decision"], a["applied"]) for a in r.data["appeals"]] == [("pending", "pending")]


def test_an_appeal_for_a_finding_that_no_longer_exists_is_a_warning(ws, settle):
    """The clerk corrects 登记时间 (reported an hour before the visit): R22 is gone, the appeal
    row names nothing — a warning naming it; the registration is credited on its own."""
    month(ws)
    ok(settle(ws))
    fill(out(ws) / "申诉" / "S1_王芳.xlsx", ws.root / MAY / "申诉_S1.xlsx", {"R22": ("补登", "同意", "主任")})
    saved = ws.root / MAY / "申诉_S1.xlsx"
    keep = saved.read_bytes()
    shutil.rmtree(ws.root / MAY)
    month(ws, s1_at=dt.datetime(2024, 5, 10, 9, 0))
    saved.write_bytes(keep)
    r = ok(settle(ws))
    assert r.person("S1")["performance"] == "1000.00"
    (w,) = [p for p in r.cli.outcome.result.problems.warnings if p.code.startswith("appeal")]
    assert (w.code, w.file, w.sheet, w.row) == ("appeal_unknown_finding", f"{MAY}/申诉_S1.xlsx", "申诉", 6)
    assert [a["applied"] for a in r.data["appeals"]] == ["missing"]


def test_an_approved_R21_appeal_is_a_back_pay_of_the_fine(ws, settle):
    """R21 cannot be lifted (R7): 同意 becomes the matching 调整, a 补发 of the card's 100.00 fine
    (in 奖励); the extra card's spending stays uncredited. S2: 扣款 100.00, 奖励 100.00."""
    month(ws)
    ok(settle(ws))
    fill(out(ws) / "申诉" / "S2_李娜.xlsx", ws.root / MAY / "申诉_S2.xlsx", {"R21": ("旧卡遗失补办", "同意", "主任")})
    r = ok(settle(ws))
    assert (r.column("S2", "扣款"), r.column("S2", "奖励")) == ("100.00", "100.00")
    line = [l for l in r.person("S2")["lines"] if l["name"] == "补发"][0]
    assert line["detail"] == f"申诉 {MAY}/申诉_S2.xlsx 第 6 行：申诉同意：撤销重复办卡罚款（卡号 C5）（批准人 主任）"
    assert [(a["applied"], a["amount"]) for a in r.data["appeals"]] == [("back_pay", "100")]


def test_english_appeal_sheet_has_english_headers_and_reads_back(ws, settle):
    """--lang en: the sheet's headers and drop-down are English; an English sheet filled in
    (approved) is read back like a Chinese one."""
    month(ws)
    ok(settle(ws, MAY, "--lang", "en"))
    path = out(ws) / "申诉" / "S1_王芳.xlsx"
    head, rows = sheet_rows(path)
    assert rows[head - 1] == ["Finding id", "Staff id", "Name", "Rule", "Violation", "Card", "Patient key", "Source",
                              "Detail", "Effect on pay", "Reason for appeal", "Evidence", "Director's decision",
                              "Approved by"]
    assert rows[head][4] == "late registration" and rows[head][9] == "the registration is not credited"
    fill(path, ws.root / MAY / "appeal_S1.xlsx", {"R22": ("referral slip", "approved", "主任")})
    r = ok(settle(ws, MAY, "--lang", "en"))
    assert r.person("S1")["performance"] == "1000.00"


def test_check_cards_writes_the_appeal_sheets_outside_the_record(ws):
    """check-cards writes 申诉/ beside 卡片检查.xlsx (not part of a settled month's record)."""
    from settle import check_cards
    month(ws)
    check = check_cards(ws.root, MAY)
    assert sorted(p.name for p in check.appeal_sheets) == ["S1_王芳.xlsx", "S2_李娜.xlsx"]
    assert not (out(ws) / "settlement.json").exists()
