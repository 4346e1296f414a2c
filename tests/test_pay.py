"""Pay (SPEC §5 R30–R41) and the summary's columns (§7), figures worked out by hand.

Every expected figure is computed from the SPEC's words, not from the engine: the arithmetic
is written next to each assertion. May 2024 has 31 days; people are 业务员 of 一组 hired
2023-01-01 (regular) unless a test says otherwise; every daily report is on time unless a test
plants a late or missing one; registrations are made on 1 May 09:00, before the visits.

Regular:  base = 1500 × days/31 × min(1, max(0, P)/20000);  assessment = 700 × min(1, max(0, P)/50000)
Probation: base = 1500 × days/31;                           assessment = 700 × 试用期考核系数
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from builders import monthly, Workspace, bill, person, reg
from conftest import Result, invoke
from test_commissions import REG_AT, apr, may, refund, write_plan_a

PLAN_A_SHIPPED = Path(__file__).resolve().parent.parent / "src" / "settle" / "default_rules" / "examples" / "plan_a.yaml"


def run_month(root: Path, month: str = "2024-05", *extra: str) -> Result:
    return Result(invoke("run", month, "--workspace", str(root), "--quiet", *extra), root, month)


def col(r: Result, sid: str, column: str) -> str:
    """A 汇总 column of settlement.json as a fen string (an empty column may be written "0")."""
    return f"{Decimal(r.column(sid, column)):.2f}"


def adj(sid, kind, amount, reason, approved_by="院长") -> dict:
    return {"工号": sid, "业务员": None, "类型": kind, "金额": amount, "事由": reason, "批准人": approved_by}


def own(sid: str, key: str, amount, *, day: int = 2, category: str = "门诊", at=REG_AT):
    """A registration by `sid` and one settled May line of that patient."""
    return reg(at, sid, key), bill(may(day), amount, key, category=category)


def month_of(pairs) -> dict:
    regs, billing = [], []
    for r_, b_ in pairs:
        regs.append(r_)
        billing.append(b_)
    return {"regs": regs, "billing": billing}


# --- R30 base ---------------------------------------------------------------------------------

def test_R30_base_prorated_joiner_leaver_quota_and_override(ws, settle):
    ws.staff([
        person("J1", "新人甲", hired=dt.date(2024, 5, 13)),                       # probation, 19 days
        person("Q1", "离职甲", left=dt.date(2024, 5, 20)),                         # regular, 20 days
        person("R1", "正式甲"), person("R2", "正式乙"),
        person("B1", "高薪甲", base=1800),                                         # 基本工资 override
        person("J2", "试用乙", hired=dt.date(2024, 3, 15), rating="80%"),          # probation all month
        person("J3", "试用丙", hired=dt.date(2024, 4, 1)),                         # probation, P 5000
    ])
    ws.month("2024-05", **month_of([own("Q1", "K1", 20000, day=10), own("R1", "K2", 5000),
                                    own("R2", "K3", 30000), own("B1", "K4", 10000), own("J3", "K5", 5000)]))
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # J1: 1500 × 19/31 = 919.3548… → 919.35 (probation: no quota); assessment 700 × 100 % → 1619.35
    assert r.amount("J1", "base") == "919.35"
    assert r.total("J1") == "1619.35"
    # Q1 leaves 20 May: 1500 × 20/31 × min(1, 20000/20000) = 967.7419… → 967.74;
    # assessment 700 × 20000/50000 = 280.00 (not prorated); general 4 % × 20000 = 800.00 → 2047.74
    assert r.amount("Q1", "base") == "967.74"
    assert r.total("Q1") == "2047.74"
    # R1: 1500 × 5000/20000 = 375.00; 700 × 0.1 = 70.00; 3 % × 5000 = 150.00 → 595.00
    assert r.amount("R1", "base") == "375.00"
    assert r.total("R1") == "595.00"
    # R2: quota met, min(1, 30000/20000) = 1 → 1500.00; 700 × 0.6 = 420.00; 5 % × 30000 = 1500.00 → 3420.00
    assert r.amount("R2", "base") == "1500.00"
    assert r.total("R2") == "3420.00"
    # B1: 1800 × 10000/20000 = 900.00; 140.00; 300.00 → 1340.00
    assert r.amount("B1", "base") == "900.00"
    assert r.total("B1") == "1340.00"
    # J2 probation, P = 0: 1500.00 (not scaled); 700 × 80 % = 560.00 → 2060.00
    assert r.amount("J2", "base") == "1500.00"
    assert r.total("J2") == "2060.00"
    # J3 probation, P = 5000: still 1500.00 (not 375); 700.00; 150.00 → 2350.00
    assert r.amount("J3", "base") == "1500.00"
    assert r.total("J3") == "2350.00"


def test_R30_default_regular_date_three_calendar_months(ws, settle):
    ws.staff([
        person("E1", "二月一日", hired=dt.date(2024, 2, 1)),     # 转正 2024-05-01 ≤ 1 May: regular
        person("E2", "二月二日", hired=dt.date(2024, 2, 2)),     # 转正 2024-05-02 > 1 May: probation
        person("E3", "一月末", hired=dt.date(2024, 1, 31)),      # 31 Apr does not exist → 30 Apr: regular
        person("E4", "写明转正", hired=dt.date(2024, 2, 1), regular=dt.date(2024, 6, 1)),  # explicit wins
    ])
    ws.month("2024-05")
    r = settle(ws)
    assert r.exit_code == 0, r.output
    assert {s: r.person(s)["regular"] for s in ("E1", "E2", "E3", "E4")} == {
        "E1": True, "E2": False, "E3": True, "E4": False}
    # regular with P = 0: base 1500 × 0 = 0.00, assessment 0.00
    assert (r.amount("E1", "base"), r.total("E1")) == ("0.00", "0.00")
    assert (r.amount("E3", "base"), r.total("E3")) == ("0.00", "0.00")
    # probation: base 1500.00, assessment 700 × 100 % = 700.00 → 2200.00
    assert (r.amount("E2", "base"), r.total("E2")) == ("1500.00", "2200.00")
    assert (r.amount("E4", "base"), r.total("E4")) == ("1500.00", "2200.00")


def test_R30_director_base_mean_of_regular_salespeople_with_payslip(ws, settle):
    ws.staff([
        person("D1", "张主任", role="主任", team=None, base=6000),          # 基本工资 override
        person("S1", "正式甲"), person("S2", "正式乙"),
        person("J1", "试用甲", hired=dt.date(2024, 5, 2)),                  # probation: not in the mean
        person("L1", "李主管", role="主管", team="一组"),                    # not a 业务员: not in the mean
        person("X1", "已离职", left=dt.date(2024, 4, 30)),                   # no payslip in May
    ])
    ws.month("2024-05", **month_of([own("S1", "K1", 10000), own("S2", "K2", 6000),
                                    own("J1", "K3", 50000, day=5, at=may(3, 9)), own("L1", "K4", 40000)]))
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # mean of regular 业务员 with a payslip: (10000 + 6000)/2 = 8000 → 6000 × 8000/20000 = 2400.00
    assert r.amount("D1", "base_director") == "2400.00"
    # department total 10000 + 6000 + 50000 + 40000 = 106000 → 100000 × 1 % + 6000 × 2 % = 1120.00
    assert r.amount("D1", "department_commission") == "1120.00"
    assert r.total("D1") == "3520.00"
    assert col(r, "D1", "基本工资") == "2400.00"
    assert col(r, "D1", "团队提成") == "1120.00"


def test_R30_director_base_is_one_without_regular_salespeople(ws, settle):
    ws.staff([person("D1", "张主任", role="主任", team=None, hired=dt.date(2024, 5, 11)),
              person("J1", "试用甲", hired=dt.date(2024, 4, 1))])
    ws.month("2024-05")
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # no regular 业务员 → ratio 1; hired 11 May: 5000 × 21/31 = 3387.0967… → 3387.10
    assert r.amount("D1", "base_director") == "3387.10"
    # department commission on 0 = 0.00 → total 3387.10
    assert r.total("D1") == "3387.10"


# --- R31 high-temperature allowance ----------------------------------------------------------

@pytest.mark.parametrize("month,days,paid", [("2024-06", 30, False), ("2024-07", 31, True),
                                             ("2024-09", 30, True), ("2024-10", 31, False)])
def test_R31_heat_allowance_july_to_september(ws, settle, month, days, paid):
    y, m = (int(x) for x in month.split("-"))
    ws.staff([person("S1", "正式甲"), person("J1", "新人甲", hired=dt.date(y, m, 11)),
              person("D1", "张主任", role="主任", team=None), person("L1", "李主管", role="主管", team="一组")])
    ws.month(month)
    r = settle(ws, month)
    assert r.exit_code == 0, r.output
    worked = days - 10
    if paid:
        # full month 75.00; joiner 75 × worked/days (July 75 × 21/31 = 50.806… → 50.81; Sept 75 × 20/30 = 50.00)
        expected = {31: "50.81", 30: "50.00"}[days]
        assert r.amount("S1", "heat") == "75.00"
        assert col(r, "S1", "补贴") == "75.00"
        assert r.amount("L1", "heat") == "75.00"          # 主管 too
        assert r.amount("J1", "heat") == expected
        # J1 total: base 1500 × worked/days + 700 + heat
        # July: 1016.129… → 1016.13 + 700 + 50.81 = 1766.94;  Sept: 1000.00 + 700 + 50.00 = 1750.00
        assert r.total("J1") == {31: "1766.94", 30: "1750.00"}[days]
        # S1 regular with P = 0: base 0, assessment 0 → 75.00
        assert r.total("S1") == "75.00"
    else:
        assert r.amount("S1", "heat") is None
        assert col(r, "S1", "补贴") == "0.00"
        assert col(r, "J1", "补贴") == "0.00"
    # the 主任 gets no allowance
    assert r.amount("D1", "heat") is None
    assert col(r, "D1", "补贴") == "0.00"


# --- R33 assessment --------------------------------------------------------------------------

def test_R33_probation_rating_forms_not_prorated(ws, settle):
    hired = dt.date(2024, 4, 1)   # 转正 2024-07-01: probation in May
    ws.staff([person("J1", "百分号", hired=hired, rating="80%"), person("J2", "小数", hired=hired, rating=0.8),
              person("J3", "点数", hired=hired, rating=80), person("J4", "未填", hired=hired),
              person("J5", "月中入职", hired=dt.date(2024, 5, 20), rating=0.8),
              person("J6", "高业绩", hired=hired, rating="50%")])
    ws.month("2024-05", **month_of([own("J6", "K6", 30000)]))
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # 80 %, 0.8 and 80 all mean 80 %: 700 × 0.8 = 560.00; empty → 100 % = 700.00
    assert [r.amount(s, "assessment") for s in ("J1", "J2", "J3", "J4")] == ["560.00", "560.00", "560.00", "700.00"]
    # not prorated by days: joiner of 20 May still 700 × 0.8 = 560.00
    assert r.amount("J5", "assessment") == "560.00"
    # probation ignores performance: 700 × 50 % = 350.00 although P = 30000
    assert r.amount("J6", "assessment") == "350.00"
    assert col(r, "J6", "绩效考核") == "350.00"


def test_R33_regular_assessment_on_50000(ws, settle):
    ws.staff([person("R1", "半"), person("R2", "超额"), person("R3", "负"), person("R4", "离职", left=dt.date(2024, 5, 15)),
              person("R5", "整")])
    ws.month("2024-04", regs=[reg(dt.datetime(2024, 4, 1, 9), "R3", "K3")], billing=[bill(apr(2), 1000, "K3")])
    ws.month("2024-05", regs=[reg(REG_AT, "R1", "K1"), reg(REG_AT, "R2", "K2"), reg(REG_AT, "R4", "K4"),
                              reg(REG_AT, "R5", "K5")],
             billing=[bill(may(2), 25000, "K1"), bill(may(2), 60000, "K2"),
                      refund(apr(2), -1000, "K3", settled=dt.date(2024, 5, 3)),
                      bill(may(2), 25000, "K4"), bill(may(2), 50000, "K5")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # 700 × min(1, max(0, P)/50000)
    assert r.amount("R1", "assessment") == "350.00"     # 25000 → 0.5
    assert r.amount("R2", "assessment") == "700.00"     # 60000 → capped at 1
    assert r.amount("R3", "assessment") == "0.00"       # −1000 → 0
    assert r.amount("R4", "assessment") == "350.00"     # leaver: not prorated
    assert r.amount("R5", "assessment") == "700.00"     # exactly 50000


# --- R34 supervisor --------------------------------------------------------------------------

def test_R34_management_bonus_and_team_commission(ws, settle):
    ws.staff([
        person("L1", "一组长", role="主管", team="一组"),
        person("S1", "甲", team="一组"), person("S2", "乙", team="一组"),
        person("J1", "丙", team="一组", hired=dt.date(2024, 4, 1), rating="10%"),
        person("X1", "走了", team="一组", left=dt.date(2024, 4, 30)),
        person("L2", "二组长", role="主管", team="二组"),
        person("T1", "丁", team="二组"), person("T2", "戊", team="二组"),
        person("L3", "三组长", role="主管", team="三组"),
    ])
    ws.month("2024-04", regs=[reg(dt.datetime(2024, 4, 1, 9), "T1", "KT1")], billing=[bill(apr(2), 1000, "KT1")])
    ws.month("2024-05", regs=[reg(REG_AT, "S1", "K1"), reg(REG_AT, "S2", "K2"), reg(REG_AT, "T2", "KT2")],
             billing=[bill(may(2), 25000, "K1"), bill(may(2), 10000, "K2"),
                      refund(apr(2), -1000, "KT1", settled=dt.date(2024, 5, 3)), bill(may(2), 500, "KT2")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # 一组: S1 700 × 0.5 = 350, S2 700 × 0.2 = 140, J1 in probation 700 × 10 % = 70 → lowest 70.00
    # (the 主管's own assessment, 0.00, is not among the 业务员; X1, gone in April, has no payslip)
    assert r.amount("L1", "management_bonus") == "70.00"
    # team commission 1 % × (25000 + 10000 + 0) = 350.00
    assert r.amount("L1", "team_commission") == "350.00"
    # L1 has P = 0: base 0, assessment 0 → 70 + 350 = 420.00
    assert r.total("L1") == "420.00"
    assert (col(r, "L1", "管理奖金"), col(r, "L1", "团队提成")) == ("70.00", "350.00")
    # 二组: T1 P = −1000 (assessment 0.00), T2 P = 500 (700 × 0.01 = 7.00) → lowest 0.00;
    # team total −500 → 1 % × max(0, −500) = 0.00
    assert r.amount("L2", "management_bonus") == "0.00"
    assert r.amount("L2", "team_commission") == "0.00"
    assert r.total("L2") == "0.00"
    # 三组 has no 业务员: 0 and 0
    assert col(r, "L3", "管理奖金") == "0.00"
    assert col(r, "L3", "团队提成") == "0.00"
    assert r.total("L3") == "0.00"


# --- R35 director ----------------------------------------------------------------------------

@pytest.mark.parametrize("performance,expected", [
    ("100000.00", "1000.00"),       # 100000 × 1 %
    ("123456.78", "1469.14"),       # 1000 + 23456.78 × 2 % = 1469.1356 → 1469.14
    ("250000.00", "4500.00"),       # 1000 + 2000 + 50000 × 3 %
    ("500000.00", "15000.00"),      # 1000 + 2000 + 3000 + 4000 + 5000
    ("650000.00", "27000.00"),      # 15000 + 150000 × 8 %
])
def test_R35_department_commission_marginal(ws, settle, performance, expected):
    ws.staff([person("D1", "张主任", role="主任", team=None), person("S1", "正式甲")])
    ws.month("2024-05", **month_of([own("S1", "K1", float(performance))]))
    r = settle(ws)
    assert r.exit_code == 0, r.output
    assert r.person("S1")["performance"] == performance
    assert r.amount("D1", "department_commission") == expected
    # base: the one regular 业务员's P ≥ 20000 → 5000 × 1 = 5000.00
    assert r.total("D1") == str(Decimal("5000.00") + Decimal(expected))


def test_R35_department_commission_never_negative(ws, settle):
    ws.staff([person("D1", "张主任", role="主任", team=None), person("S1", "正式甲")])
    ws.month("2024-04", regs=[reg(dt.datetime(2024, 4, 1, 9), "S1", "K1")], billing=[bill(apr(2), 3000, "K1")])
    ws.month("2024-05", billing=[refund(apr(2), -3000, "K1", settled=dt.date(2024, 5, 3))])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # department total −3000 → 0.00 (never negative); base: mean −3000 clamped to 0 → 0.00
    assert r.amount("D1", "department_commission") == "0.00"
    assert r.total("D1") == "0.00"


# --- R36 / R18 plan A ------------------------------------------------------------------------

def plan_a_month(ws: Workspace) -> None:
    ws.staff([person("S1", "王芳", team="义诊组"), person("L1", "李组长", role="主管", team="义诊组"),
              person("D1", "张主任", role="主任", team=None)])
    yz = dict(channel="义诊", clinic="义诊组")
    class_at = may(10, 9)
    ws.month("2024-05",
             regs=[reg(REG_AT, "S1", "Q1", **yz), reg(REG_AT, "S1", "Q2", **yz), reg(REG_AT, "S1", "Q3", **yz),
                   reg(REG_AT, "S1", "Q4", **yz), reg(REG_AT, "S1", "G1"),
                   reg(class_at, "S1", "K1", channel="孕妇课"), reg(class_at, "S1", "K2", channel="孕妇课"),
                   reg(class_at, "S1", "K3", channel="孕妇课")],
             billing=[bill(may(2), 10000, "Q1", category="妇科"), bill(may(3), 5000, "Q2", category="顺产"),
                      bill(may(4), 20000, "Q3", category="剖宫产"), bill(may(5), 3000, "Q4", category="门诊"),
                      bill(may(6), 87000, "G1", category="门诊"),
                      # K3 visited on 1 May, before her 孕妇课 registration of 10 May: 老患者 (R23)
                      bill(may(1), 200, "K3", status="未结算")],
             missing={"S1": [dt.date(2024, 5, 6)]}, late={"S1": [dt.date(2024, 5, 7)]})


def _plan_a_expectations(r: Result, base: str) -> None:
    b = Decimal(base)
    # 义诊: 7 % × 10000 + 8 % × 5000 + 9 % × 20000 = 700 + 400 + 1800 = 2900.00
    assert r.amount("S1", "free_clinic") == "2900.00"
    # performance tiers on P = 3000 + 87000 = 90000: 50000 × 5 % + 30000 × 6 % + 10000 × 7 % = 5000.00
    assert r.amount("S1", "general") == "5000.00"
    # 孕妇课: K1, K2 × 10; K3 rejected as 老患者 → 20.00
    assert r.amount("S1", "prenatal_class") == "20.00"
    assert [v["code"] for v in r.violations() if v["code"] == "existing_patient"] == ["existing_patient"]
    # R27: one missing report (50) and one late (20) → 扣款 70.00
    assert col(r, "S1", "扣款") == "70.00"
    # S1 total: base + 2900 + 5000 + 20 − 70
    assert r.total("S1") == str(b + Decimal("7850.00"))
    # the 义诊组 leader: 2 % × 35000 = 700.00
    assert r.amount("L1", "free_clinic_leader") == "700.00"
    assert r.total("L1") == str(b + Decimal("700.00"))
    # 主任: 5000 × min(1, 125000/20000) = 5000.00; department 100000 × 1 % + 25000 × 2 % = 1500.00
    assert r.amount("D1", "department_commission") == "1500.00"
    assert r.total("D1") == "6500.00"
    # the activity fund 1 % × 35000 = 350.00
    assert [f["amount"] for f in r.data["funds"]] == ["350.00"]
    # 提成 column: 义诊 + performance tiers + 孕妇课 = 2900 + 5000 + 20 = 7920.00; leader's 2 % in 团队提成
    assert col(r, "S1", "提成") == "7920.00"
    assert col(r, "L1", "团队提成") == "700.00"


def test_R36_plan_a_written_in_the_test(ws, settle, tmp_path):
    rules = write_plan_a(tmp_path / "plan_a.yaml")     # base 2000 flat (plan A: 月基本工资X元)
    plan_a_month(ws)
    r = settle(ws, "2024-05", "--rules", str(rules))
    assert r.exit_code == 0, r.output
    assert r.amount("S1", "base") == "2000.00"
    _plan_a_expectations(r, "2000.00")


def test_R36_plan_a_shipped_example(ws, settle):
    assert PLAN_A_SHIPPED.exists()
    plan_a_month(ws)
    r = settle(ws, "2024-05", "--rules", str(PLAN_A_SHIPPED))
    assert r.exit_code == 0, r.output
    # the shipped example's base is 1500 flat (no quota): 1500.00
    assert r.amount("S1", "base") == "1500.00"
    _plan_a_expectations(r, "1500.00")


# --- R37 rounding ----------------------------------------------------------------------------

def test_R37_each_line_rounded_half_up_total_is_sum_of_rounded_lines(ws, settle):
    ws.staff([person("S1", "王芳")])
    ws.month("2024-05", regs=[reg(REG_AT, "S1", "K1"), reg(REG_AT, "S1", "K2")],
             billing=[bill(may(2), 1001.50, "K1"), bill(may(3), 100.05, "K2", category="体检")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # P = 1001.50 + 100.05 = 1101.55
    assert r.amount("S1", "base") == "82.62"         # 1500 × 1101.55/20000 = 82.61625 → 82.62
    assert r.amount("S1", "assessment") == "15.42"   # 700 × 1101.55/50000 = 15.4217 → 15.42
    assert r.amount("S1", "general") == "30.05"      # 3 % × 1001.50 = 30.045 → 30.05 half-up (not 30.04)
    assert r.amount("S1", "exam") == "30.02"         # 30 % × 100.05 = 30.015 → 30.02
    # total = 82.62 + 15.42 + 30.05 + 30.02 = 158.11 (the exact sum 158.09795 would round to 158.10)
    assert r.total("S1") == "158.11"


# --- R38 adjustments, R39 net pay ------------------------------------------------------------

def test_R38_adjustments_each_a_line_in_their_columns(ws, settle):
    ws.staff([person("S1", "王芳")])
    ws.month("2024-05", missing={"S1": [dt.date(2024, 5, 6)]},
             adjust=[adj("S1", "奖励", 300, "季度表现好"), adj("S1", "补发", 120.50, "四月漏发"),
                     adj("S1", "罚款", 50, "迟到"), adj("S1", "扣发", 30.25, "借款")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    lines = [l for l in r.person("S1")["lines"] if l["component"] == "adjustment"]
    assert sorted(l["amount"] for l in lines) == sorted(["300.00", "120.50", "-50.00", "-30.25"])
    for l, reason in zip(sorted(lines, key=lambda l: l["amount"]), ["借款", "迟到", "四月漏发", "季度表现好"]):
        text = json.dumps(l, ensure_ascii=False)
        assert reason in text and "院长" in text, l
    # 奖励 = 300 + 120.50 = 420.50; 扣款 = 50 + 30.25 + R27 missing report 50 = 130.25 (positive)
    assert col(r, "S1", "奖励") == "420.50"
    assert col(r, "S1", "扣款") == "130.25"
    # P = 0: base 0, assessment 0 → 420.50 − 130.25 = 290.25
    assert r.total("S1") == "290.25"


def test_R38_adjustment_without_approver_is_an_input_error(ws, settle):
    ws.staff([person("S1", "王芳")])
    ws.month("2024-05", adjust=[adj("S1", "奖励", 300, "季度表现好", approved_by=None)])
    r = settle(ws)
    assert r.exit_code == 2, r.output
    assert not (ws.root / "output" / "2024-05").exists()


def test_R39_negative_total_shown_and_flagged(ws, settle):
    ws.staff([person("S1", "王芳"), person("S2", "李娜")])
    ws.month("2024-05", **month_of([own("S2", "K2", 1000)]), adjust=[adj("S1", "罚款", 500, "损坏设备")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # P = 0: base 0, assessment 0, fine −500 → −500.00, not floored at 0
    assert r.total("S1") == "-500.00"
    assert col(r, "S1", "扣款") == "500.00"
    assert [v["staff_id"] for v in r.violations("negative_pay")] == ["S1"]
    # S2: 75.00 + 14.00 + 30.00 = 119.00 ≥ 0, not flagged
    assert r.total("S2") == "119.00"


# --- R40 who gets a payslip ------------------------------------------------------------------

def test_R40_payslip_for_everyone_employed_one_day_network_none(ws, settle):
    ws.staff([
        person("S1", "无业绩"), person("L1", "李主管", role="主管", team="一组"),
        person("D1", "张主任", role="主任", team=None), person("N1", "网络甲", role="网络部", team=None),
        person("X1", "四月离职", left=dt.date(2024, 4, 30)), person("Y1", "末日入职", hired=dt.date(2024, 5, 31)),
        person("Z1", "首日离职", left=dt.date(2024, 5, 1)), person("F1", "六月入职", hired=dt.date(2024, 6, 1)),
    ])
    ws.month("2024-05")
    r = settle(ws)
    assert r.exit_code == 0, r.output
    assert set(r.data["people"]) == {"S1", "L1", "D1", "Y1", "Z1"}
    assert r.data["network"]["N1"]["performance"] == "0.00"
    # S1, Z1: regular with P = 0 → 0.00; L1: no performance, team lowest 0.00 → 0.00;
    # D1: mean of regular 业务员 with a payslip (S1 0, Z1 0) = 0 → base 0.00, department 0.00
    assert [r.total(s) for s in ("S1", "L1", "D1", "Z1")] == ["0.00", "0.00", "0.00", "0.00"]
    # Y1 works 1 day in probation: 1500 × 1/31 = 48.387… → 48.39; assessment 700.00 → 748.39
    assert r.amount("Y1", "base") == "48.39"
    assert r.total("Y1") == "748.39"


# --- R41 performance warning -----------------------------------------------------------------



def test_R41_performance_warning_over_three_months(ws):
    ws.staff([
        person("W1", "老甲"), person("W2", "老乙"),
        person("W3", "新甲", hired=dt.date(2024, 2, 15)), person("W4", "新乙", hired=dt.date(2024, 2, 15)),
        person("W5", "新丙", hired=dt.date(2024, 3, 10)), person("W6", "老丙"),
        person("L9", "主管", role="主管", team="二组"), person("W7", "新丁", hired=dt.date(2024, 2, 15)),
    ])
    # W1: 5000, 8000, 9000 — below 10000 in each of the last three months → flagged
    # W2: 5000, 20000, 5000 — not every month below → no
    # W3: full months March–May (hired 15 Feb), average (12000 + 5000 + 9000)/3 = 8666.67 < 10000 → flagged in May
    # W4: average (20000 + 5000 + 6000)/3 = 10333.33 → no
    # W5: hired 10 March: partial March 1000 counts as it is; 1000, 2000, 3000 all below → flagged
    # W6: 0, 0, 15000 → no;  L9 is a 主管 with nothing: R41 is for 业务员 only
    # W7 (hired 15 Feb): 5000 × 3 meets both conditions → still one row
    ws.month("2024-03", **monthly("2024-03", 20, {"W1": 5000, "W2": 5000, "W3": 12000, "W4": 20000, "W5": 1000,
                                                    "W7": 5000}))
    ws.month("2024-04", **monthly("2024-04", 10, {"W1": 8000, "W2": 20000, "W3": 5000, "W4": 5000, "W5": 2000,
                                                    "W7": 5000}))
    ws.month("2024-05", **monthly("2024-05", 10, {"W1": 9000, "W2": 5000, "W3": 9000, "W4": 6000, "W5": 3000,
                                                    "W6": 15000, "W7": 5000}))
    for month in ("2024-03", "2024-04"):
        r = run_month(ws.root, month)
        assert r.exit_code == 0, r.output
        # March and April: the months before are unknown (never settled) → no flag yet
        assert r.violations("performance_warning") == []
    r = run_month(ws.root, "2024-05")
    assert r.exit_code == 0, r.output
    assert r.person("W3")["performance"] == "9000.00"
    flagged = sorted(v["staff_id"] for v in r.violations("performance_warning"))
    assert flagged == ["W1", "W3", "W5", "W7"]
    assert any("业绩不达标预警" in f for f in r.person("W1")["flags"]), r.person("W1")["flags"]
    # flags only: pay is unchanged — W1 P = 9000: 675.00 + 126.00 + 270.00 = 1071.00
    assert r.total("W1") == "1071.00"


def test_R41_months_before_hiring_are_not_below_10000(ws):
    # N1 is hired 15 April: not employed in March, partial April 3000, full May 5000. March is a
    # settled (known) month, but N1 had no performance "in" it — she was not there. Her first three
    # full months are May–July (condition 1 is judged in July); condition 2 needs three months of
    # employment. No flag in May. O1, an old hand with 5000 / 3000 / 5000, is the control.
    ws.staff([person("N1", "四月新人", hired=dt.date(2024, 4, 15)), person("O1", "老甲")])
    ws.month("2024-03", **monthly("2024-03", 20, {"O1": 5000}))
    ws.month("2024-04", **monthly("2024-04", 25, {"N1": 3000, "O1": 3000}))
    ws.month("2024-05", **monthly("2024-05", 10, {"N1": 5000, "O1": 5000}))
    for month in ("2024-03", "2024-04"):
        assert run_month(ws.root, month).exit_code == 0
    r = run_month(ws.root, "2024-05")
    assert r.exit_code == 0, r.output
    assert [v["staff_id"] for v in r.violations("performance_warning")] == ["O1"]


def test_R41_unknown_month_means_no_flag(ws):
    ws.staff([person("W1", "老甲")])
    ws.month("2024-03", **monthly("2024-03", 20, {"W1": 5000}))
    ws.month("2024-04", **monthly("2024-04", 10, {"W1": 8000}))
    ws.month("2024-05", **monthly("2024-05", 10, {"W1": 9000}))
    assert run_month(ws.root, "2024-04").exit_code == 0
    r = run_month(ws.root, "2024-05")
    assert r.exit_code == 0, r.output
    assert r.violations("performance_warning") == []          # March never settled: unknown
    assert run_month(ws.root, "2024-03").exit_code == 0
    r = run_month(ws.root, "2024-05")
    assert r.exit_code == 0, r.output
    assert [v["staff_id"] for v in r.violations("performance_warning")] == ["W1"]


# --- §7 the summary (部门汇总.xlsx › 汇总) ------------------------------------------------------

SUMMARY_HEADERS = ["工号", "姓名", "角色", "小组", "业绩", "基本工资", "补贴", "绩效考核", "提成", "管理奖金",
                   "团队提成", "奖励", "扣款", "应发合计"]
PAY_COLUMNS = ["基本工资", "补贴", "绩效考核", "提成", "管理奖金", "团队提成", "奖励", "扣款"]


def summary_sheet(r: Result) -> tuple[dict[str, dict], dict]:
    wb = openpyxl.load_workbook(r.root / "output" / r.month / "部门汇总.xlsx", read_only=True)
    rows = [list(row) for row in wb["汇总"].iter_rows(values_only=True)]
    head = next(i for i, row in enumerate(rows) if row and row[0] == "工号")
    header = rows[head]
    for h in SUMMARY_HEADERS:
        assert h in header, (h, header)
    people, total = {}, None
    for row in rows[head + 1:]:
        if not any(c is not None for c in row):
            continue
        d = dict(zip(header, row))
        if d["工号"] == "合计":
            total = d
        else:
            assert d["工号"] not in people, f"two rows for {d['工号']}"
            people[d["工号"]] = d
    return people, total


def money(v) -> str | None:
    return None if v is None else f"{Decimal(str(v)).quantize(Decimal('0.01'))}"


def test_summary_columns_one_row_per_person_and_total(ws, settle):
    ws.staff([person("S1", "王芳"), person("L1", "李主管", role="主管", team="一组"),
              person("D1", "张主任", role="主任", team=None), person("N1", "网络甲", role="网络部", team=None)])
    ws.month("2024-05", **month_of([own("S1", "K1", 10000), own("L1", "K2", 5000, category="工伤"),
                                    own("N1", "K3", 3000)]),
             missing={"S1": [dt.date(2024, 5, 6)]},
             adjust=[adj("S1", "奖励", 100, "表扬"), adj("S1", "罚款", 20, "迟到")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    expected = {
        # S1: base 1500 × 10000/20000 = 750; 700 × 0.2 = 140; 3 % × 10000 = 300; 奖励 100;
        #     扣款 20 + missing report 50 = 70 → 750 + 140 + 300 + 100 − 70 = 1220.00
        "S1": {"业绩": "10000.00", "基本工资": "750.00", "补贴": "0.00", "绩效考核": "140.00", "提成": "300.00",
               "管理奖金": "0.00", "团队提成": "0.00", "奖励": "100.00", "扣款": "70.00", "应发合计": "1220.00"},
        # L1: P 5000 → base 375, assessment 70; 工伤 8 % × 5000 = 400; lowest team assessment (S1) 140;
        #     team 1 % × 10000 = 100 → 1085.00
        "L1": {"业绩": "5000.00", "基本工资": "375.00", "补贴": "0.00", "绩效考核": "70.00", "提成": "400.00",
               "管理奖金": "140.00", "团队提成": "100.00", "奖励": "0.00", "扣款": "0.00", "应发合计": "1085.00"},
        # D1: 5000 × 10000/20000 = 2500; department 1 % × (10000 + 5000 + 0) = 150 → 2650.00
        "D1": {"业绩": "0.00", "基本工资": "2500.00", "补贴": "0.00", "绩效考核": "0.00", "提成": "0.00",
               "管理奖金": "0.00", "团队提成": "150.00", "奖励": "0.00", "扣款": "0.00", "应发合计": "2650.00"},
    }
    for sid, cols in expected.items():
        assert r.total(sid) == cols["应发合计"]
        for c in PAY_COLUMNS:
            assert col(r, sid, c) == cols[c], (sid, c)
    people, total = summary_sheet(r)
    assert set(people) == {"S1", "L1", "D1", "N1"}
    for sid, cols in expected.items():
        got = {c: money(people[sid][c]) for c in cols}
        assert got == cols, sid
    assert (people["L1"]["角色"], people["L1"]["小组"]) == ("主管", "一组")
    # 网络部: 业绩 3000.00 and empty pay cells
    assert money(people["N1"]["业绩"]) == "3000.00"
    assert all(people["N1"][c] in (None, "") for c in PAY_COLUMNS + ["应发合计"]), people["N1"]
    # 合计: 1220 + 1085 + 2650 = 4955.00 = the sum of payslip totals; columns add up likewise
    assert total is not None
    assert money(total["应发合计"]) == "4955.00"
    assert r.data["totals"]["payslips"] == "4955.00"
    assert sum(Decimal(p["total"]) for p in r.data["people"].values()) == Decimal("4955.00")
    assert {c: money(total[c]) for c in PAY_COLUMNS} == {
        "基本工资": "3625.00", "补贴": "0.00", "绩效考核": "210.00", "提成": "700.00", "管理奖金": "140.00",
        "团队提成": "250.00", "奖励": "100.00", "扣款": "70.00"}


def test_summary_json_columns_are_fen_strings(ws, settle):
    ws.staff([person("S1", "王芳")])
    ws.month("2024-05", **month_of([own("S1", "K1", 10000)]))
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # S1 has no allowance, bonus, management or team lines: those columns are 0.00
    assert {c: r.column("S1", c) for c in PAY_COLUMNS} == {
        "基本工资": "750.00", "补贴": "0.00", "绩效考核": "140.00", "提成": "300.00", "管理奖金": "0.00",
        "团队提成": "0.00", "奖励": "0.00", "扣款": "0.00"}


def test_summary_performance_column_after_R28_and_R29(ws, settle):
    ws.staff([person("S1", "扣业绩"), person("S2", "取消"), person("D1", "张主任", role="主任", team=None)])
    ws.month("2024-05",
             regs=[reg(REG_AT, "S1", "K1"), reg(REG_AT, "S1", "K2"), reg(REG_AT, "S2", "K3")],
             billing=[bill(may(2), 10000, "K1"), bill(may(3), 5000, "K2", category="剖宫产"),
                      bill(may(4), 20000, "K3")],
             adjust=[adj("S1", "扣业绩", 20, "撞单处罚"), {"工号": "S2", "类型": "取消业绩", "事由": "弄虚作假",
                                                         "批准人": "院长"}])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # S1: P = (10000 + 5000) × (1 − 20 %) = 12000; general 3 % × 8000 = 240.00; one case 200 × 0.8 = 160.00;
    # base 1500 × 12000/20000 = 900.00; assessment 700 × 12000/50000 = 168.00 → 1468.00
    assert r.person("S1")["performance"] == "12000.00"
    assert (r.amount("S1", "general"), r.amount("S1", "per_case")) == ("240.00", "160.00")
    assert r.total("S1") == "1468.00"
    # S2: 取消业绩 → P 0 for every purpose: base 0, assessment 0, commission 0 → 0.00
    assert r.person("S2")["performance"] == "0.00"
    assert r.total("S2") == "0.00"
    # D1: mean of regular 业务员 (12000 + 0)/2 = 6000 → 5000 × 0.3 = 1500.00;
    # department 1 % × (12000 + 0) = 120.00 → 1620.00
    assert r.total("D1") == "1620.00"
    people, _ = summary_sheet(r)
    assert {s: money(people[s]["业绩"]) for s in ("S1", "S2", "D1")} == {"S1": "12000.00", "S2": "0.00",
                                                                          "D1": "0.00"}
    assert {s: money(people[s]["应发合计"]) for s in ("S1", "S2", "D1")} == {"S1": "1468.00", "S2": "0.00",
                                                                            "D1": "1620.00"}


def test_summary_deductions_column_R21_fine_and_R27(ws, settle):
    ws.staff([person("S1", "王芳")])
    # three cards for one patient: the third is extra (R21) → fine 100; one late report (R27) → 20
    ws.month("2024-05", regs=[reg(REG_AT, "S1", "P9", card=c) for c in ("C1", "C2", "C3")],
             late={"S1": [dt.date(2024, 5, 7)]})
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # 扣款 = 100 + 20 = 120.00, shown positive and subtracted: P = 0 → total −120.00
    assert col(r, "S1", "扣款") == "120.00"
    assert r.total("S1") == "-120.00"
    people, total = summary_sheet(r)
    assert (money(people["S1"]["扣款"]), money(people["S1"]["应发合计"])) == ("120.00", "-120.00")
    assert money(total["扣款"]) == "120.00"
