"""R45 negative pay carried forward (SPEC §11), figures worked out by hand.

People are regular 业务员 hired 2023-01-01 with no 业绩 unless a test says otherwise, so their pay
before adjustments is 0 (base 1500 × min(1, 0/20000) = 0, assessment 700 × 0/50000 = 0) and a 罚款
makes the total negative. Every daily report is on time.
"""

from __future__ import annotations

import datetime as dt
import json

import openpyxl

from builders import ADJ_HEADERS, person, write_xlsx
from conftest import invoke
from test_pay import col, run_month


def fine(sid, amount, kind="罚款"):
    return {"工号": sid, "类型": kind, "金额": amount, "事由": "主任决定", "批准人": "张主任"}


def months(ws, staff, adjust: dict):
    ws.staff(staff)
    for m in ("2024-05", "2024-06", "2024-07"):
        ws.month(m, adjust=adjust.get(m, ()))


def test_R45_a_debt_is_carried_carried_on_while_negative_and_a_leaver_is_unrecovered(ws):
    months(ws, [person("S1", "王芳"), person("S2", "李娜", left=dt.date(2024, 5, 20))],
           {"2024-05": [fine("S1", 500), fine("S2", 100)], "2024-06": [fine("S1", 200, "奖励")]})
    may = run_month(ws.root, "2024-05")
    assert may.exit_code == 0, may.output
    # May: S1 0 − 500 = −500.00, recorded as carried to June
    assert may.total("S1") == "-500.00"
    assert may.person("S1")["carry_forward"] == {"to": "2024-06", "amount": "-500.00"}
    # S2 left on 20 May with −100.00: not carried, listed as 欠款未收回 (settlement.json and 部门汇总)
    assert "carry_forward" not in may.person("S2")
    assert may.data["unrecovered"] == [{"staff_id": "S2", "name": "李娜", "month": "2024-05", "amount": "-100.00"}]
    book = openpyxl.load_workbook(ws.root / "output" / "2024-05" / "部门汇总.xlsx", read_only=True)
    sheet = [r for r in book["欠款未收回"].iter_rows(values_only=True)]
    assert sheet[1][:3] == ("S2", "李娜", "2024-05") and float(sheet[1][3]) == -100.0
    june = run_month(ws.root, "2024-06")
    assert june.exit_code == 0, june.output
    # June: 上月欠款 −500.00 (in 扣款, naming May) + 奖励 200.00 = −300.00, still negative: carried on
    debt = june.line("S1", "carried_debt")
    assert (debt["name"], debt["amount"], debt["base"]) == ("上月欠款", "-500.00", "2024-05 应发合计")
    assert col(june, "S1", "扣款") == "500.00" and col(june, "S1", "奖励") == "200.00"
    assert june.total("S1") == "-300.00"
    assert june.person("S1")["carry_forward"] == {"to": "2024-07", "amount": "-300.00"}
    july = run_month(ws.root, "2024-07")
    # July: 上月欠款 −300.00 + 高温补贴 (R31, July) 75 × 31/31 = 75.00 → −225.00
    assert july.amount("S1", "carried_debt") == "-300.00" and july.total("S1") == "-225.00"


def test_R45_nothing_carried_and_said_when_the_previous_month_has_no_settlement(ws):
    months(ws, [person("S1", "王芳")], {"2024-05": [fine("S1", 500)]})
    cli = invoke("run", "2024-06", "--workspace", str(ws.root))
    assert cli.exit_code == 0, cli.output
    assert "2024-05 有输入但没有结算记录" in cli.output and "未结转其负数工资（R45）" in cli.output
    data = json.loads((ws.root / "output" / "2024-06" / "settlement.json").read_text(encoding="utf-8"))
    assert [l["component"] for l in data["people"]["S1"]["lines"] if l["component"] == "carried_debt"] == []
    assert data["people"]["S1"]["total"] == "0.00"


def test_R45_a_rerun_of_the_earlier_month_changes_the_carry_and_verify_names_it(ws):
    months(ws, [person("S1", "王芳")], {"2024-05": [fine("S1", 500)]})
    assert run_month(ws.root, "2024-05").exit_code == 0
    june = run_month(ws.root, "2024-06")
    assert june.total("S1") == "-500.00"                    # 0 + 上月欠款 −500.00
    # May's 罚款 is corrected to 300 and May is settled again: May now carries −300.00
    write_xlsx(ws.root / "2024-05" / "调整.xlsx", ADJ_HEADERS, [fine("S1", 300)])
    assert run_month(ws.root, "2024-05").exit_code == 0
    v = invoke("verify", "2024-06", "--workspace", str(ws.root))
    assert v.exit_code == 1, v.output
    assert "output/2024-05/settlement.json" in v.output     # the earlier result it stood on changed
    assert "S1 王芳 应发合计" in v.output and "-500.00" in v.output and "-300.00" in v.output
