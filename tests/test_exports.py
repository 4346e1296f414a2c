"""A clerk's own exports (issue 24 points 2–5; SPEC §3, §8.1): headers as people write them,
summary and footer rows, summary sheets, files read or refused, hidden rows, header-only files.

Each test builds the workbook the way the hospital's programs write it; problems are asserted
as compact (file, sheet, row, column, code) tuples.
"""

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from builders import BILL_HEADERS, STAFF_HEADERS, bill, person, reg, team, write_xlsx
from settle.load.inputs import load_inputs
from settle.load.workspace import Month, Workspace as WS
from settle.problems import Problems

MAY = Month(2024, 5)
V = dt.datetime(2024, 5, 5, 10)


def load(root: Path):
    problems = Problems()
    inputs = load_inputs(WS.open(root, problems), MAY, problems)
    return inputs, problems


def keys(problems, *codes):
    return sorted(((p.file, p.sheet, p.row, p.column, p.code) for p in problems if not codes or p.code in codes),
                  key=str)


def billing_sheet(ws_, headers, lines, fields=BILL_HEADERS):
    """`headers` written over the lines' values of `fields` (the builder's names), column by column."""
    ws_.append(headers)
    for line in lines:
        ws_.append([line.get(h) for h in fields])


@pytest.fixture
def month(ws):
    ws.staff(team())
    ws.month("2024-05", regs=[reg(dt.datetime(2024, 5, 1, 9), "S1", "P1")])
    return ws


def save_billing(month, headers, lines, *, extra=None, name="收费明细.xlsx", fields=BILL_HEADERS):
    """One sheet 明细 with `headers` over `lines` (dicts keyed by BILL_HEADERS); `extra(wb)` adds more."""
    wb = openpyxl.Workbook()
    s = wb.active
    s.title = "明细"
    billing_sheet(s, headers, lines, fields)
    if extra:
        extra(wb)
    path = month.root / "2024-05" / name
    wb.save(path)
    return path


# --- 24.2 headers as people write them ------------------------------------------------------------

def test_the_payroll_alias_matches_a_header_with_its_unit(ws, settle):
    """Issue 24's payroll workbook: settle.yaml maps 基本工资 to 岗位工资, the header reads
    岗位工资（元）. The unit is not part of the name (SPEC §3), so 王贵's base is the column's
    6 000.00, not the policy's 1 500.00 (R30)."""
    headers = ["工号", "姓名", "角色", "小组", "入职日期", "岗位工资（元）"]
    write_xlsx(ws.root / "staff.xlsx", headers, [
        {"工号": "S1", "姓名": "王贵", "角色": "业务员", "小组": "一组", "入职日期": dt.date(2023, 1, 1),
         "岗位工资（元）": 6000}])
    ws.people = [person("S1", "王贵")]
    # 业绩 20 000.00 meets R30's quota: base = 6 000.00 × min(1, 20 000 / 20 000) = 6 000.00
    ws.month("2024-05", regs=[reg(dt.datetime(2024, 5, 1, 9), "S1", "P1")], billing=[bill(V, 20000, "P1")])
    (ws.root / "settle.yaml").write_text("aliases:\n  staff:\n    base_salary: [岗位工资]\n", encoding="utf-8")
    r = settle(ws)
    assert r.exit_code == 0, r.output
    assert r.amount("S1", "base") == "6000.00"


def test_whitespace_of_every_kind_width_and_case_are_not_part_of_a_header(month):
    """Line breaks inside a cell, a full-width space, a tab, an NBSP, full-width letters and a
    unit in brackets, for built-in names and a settle.yaml alias alike (实收⏎金额 for 实收金额)."""
    (month.root / "settle.yaml").write_text("aliases:\n  收费明细: {金额: [实收金额]}\n", encoding="utf-8")
    headers = ["就诊\n时间", "结算\u3000日期", "结算\t状态", "病历号 ", "患者\u00a0姓名", "ＰＡＴＩＥＮＴ ＫＥＹ",
               "卡号", "科室", "项目类别", "实收\n金额（元）"]
    save_billing(month, headers, [bill(V, 120.5, "P1")])
    inputs, problems = load(month.root)
    assert keys(problems) == []
    assert inputs.billing["amount_fen"].tolist() == [12050]
    assert inputs.billing["patient_name"].tolist() == ["张三"]


def test_a_bracket_that_is_not_a_unit_stays_part_of_the_name(month):
    """金额(实收) is not 金额 with a unit: the required 金额 is missing (an error), never guessed."""
    save_billing(month, BILL_HEADERS[:-1] + ["金额(实收)"], [bill(V, 1, "P1")])
    _, problems = load(month.root)
    assert keys(problems, "missing_column") == [("2024-05/收费明细.xlsx", "明细", 1, "金额", "missing_column")]


def test_an_alias_that_matches_no_header_is_a_warning_naming_it(month):
    """settle.yaml's 卡号 alias 会员卡号 matches nothing in this export, and 卡号 is not read from
    another column: a warning naming the alias, the file and the headers seen."""
    (month.root / "settle.yaml").write_text("aliases:\n  billing: {card_no: [会员卡号]}\n", encoding="utf-8")
    no_card = [h for h in BILL_HEADERS if h != "卡号"]
    save_billing(month, no_card, [bill(V, 1, "P1")], fields=no_card)
    inputs, problems = load(month.root)
    [p] = [p for p in problems if p.code == "alias_unmatched"]
    assert (p.file, p.value, p.severity) == ("2024-05/收费明细.xlsx", "会员卡号", "warning")
    assert "会员卡号" in p.text() and "就诊时间、结算日期" in p.text() and "卡号" in p.text("en")
    assert not problems.errors and inputs.billing["amount_fen"].tolist() == [100]


def test_an_alias_that_matches_nothing_while_its_field_came_from_another_column_is_an_error(ws, settle):
    """staff.xlsx maps 基本工资 to 岗位薪资 (the header reads 岗位工资): the alias matches nothing,
    and 基本工资 was then taken from the file's own 基本工资 column (1 500.00) — pay would differ
    from what the clerk mapped: an error, nothing written."""
    headers = STAFF_HEADERS + ["岗位工资"]
    write_xlsx(ws.root / "staff.xlsx", headers, [dict(person("S1", "王贵", base=1500), 岗位工资=6000)])
    ws.people = [person("S1", "王贵")]
    ws.month("2024-05")
    (ws.root / "settle.yaml").write_text("aliases:\n  staff:\n    base_salary: [岗位薪资]\n", encoding="utf-8")
    _, problems = load(ws.root)
    [p] = problems.errors
    assert (p.file, p.code, p.value) == ("staff.xlsx", "alias_unmatched_used", "岗位薪资")
    assert "“基本工资”改从“基本工资”列读取" in p.text() and "岗位工资" in p.text()
    assert settle(ws).exit_code == 2
