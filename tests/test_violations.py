"""Violations R20–R27 and the performance effects of R28/R29 (SPEC §6), figures by hand.

Conventions (default policy, SPEC §5): staff hired 2023-01-01 are regular in May 2024;
R11 3 % below 20 000; R30 base 1500 × min(1, P/20000); R33 700 × min(1, P/50000).
May 2024: the 1st is a Wednesday; Saturdays 4, 11, 18, 25; Sundays 5, 12, 19, 26.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from conftest import ok, perf
from builders import team, auto_reports, bill, person, reg
from settle.cli import app
from settle.load.workspace import Month

D = dt.datetime
d = dt.date
MAY = Month(2024, 5)








def net(r, sid) -> str:
    return r.data["network"][sid]["performance"]


def codes(r, code):
    return [(v["staff_id"], v["card_no"]) for v in r.violations(code)]


def fine_lines(r, sid, component):
    """Absolute amounts of the payslip lines of one fine component (sign conventions aside)."""
    return [abs(Decimal(l["amount"])) for l in r.person(sid)["lines"] if l["component"] == component]


def col(r, sid, column) -> Decimal:
    """A 汇总 column as a number (an empty column may be written "0" rather than "0.00")."""
    return Decimal(r.column(sid, column))


def adj(sid, kind, amount=None, *, reason="主任决定", approver="张主任", card=None, key=None):
    return {"工号": sid, "类型": kind, "金额": amount, "事由": reason, "批准人": approver, "卡号": card,
            "患者标识": key}


# --------------------------------------------------------------------------------------------------
# R20 未登记卡
# --------------------------------------------------------------------------------------------------

def test_R20_unregistered_card_one_violation_per_line_credits_nobody(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1")],
             billing=[bill(D(2024, 5, 5, 10), 300, "P1", card="X1"),               # row 2: R20
                      bill(D(2024, 5, 6, 10), 200, "P1", card="X1"),               # row 3: R20 again
                      bill(D(2024, 5, 7, 10), 1000, "P1"),                         # row 4: S1's
                      bill(D(2024, 5, 8, 10), 900, "P1", card="X2", status="未结算")])  # not counting: no R20
    r = ok(settle(ws))
    # A registered 患者标识 does not rescue a line whose 卡号 matches no registration.
    assert perf(r, "S1") == "1000.00"
    vs = r.violations("unregistered_card")
    assert sorted(v["row"] for v in vs) == [2, 3]
    assert {v["card_no"] for v in vs} == {"X1"}
    assert all(v["sheet"] == "Sheet1" and str(v["file"]).endswith("收费明细.xlsx") for v in vs)
    rec = r.data["reconciliation"]
    assert rec["uncredited"] == {"unregistered_card": {"count": 2, "fen": 50000}}
    assert rec["credited_fen"] == 100000 and rec["balanced"] is True


# --------------------------------------------------------------------------------------------------
# R21 重复办卡
# --------------------------------------------------------------------------------------------------

def _four_cards_month(ws):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 1, 9), "N1", "P1", card="C1", channel="网络"),   # card 1 (网络部's)
                   reg(D(2024, 5, 2, 9), "无名氏", "P1", card="C2"),                 # card 2 (R25-rejected)
                   reg(D(2024, 5, 3, 9), "S1", "P1", card="C3"),                    # card 3: extra
                   reg(D(2024, 5, 4, 9), "S1", "P1", card="C4")],                   # card 4: extra
             billing=[bill(D(2024, 5, 5, 10), 2000, "P1", card="C1"),
                      bill(D(2024, 5, 6, 10), 1000, "P1", card="C3"),
                      bill(D(2024, 5, 7, 10), 500, "P1", card="C4")])


def test_R21_third_and_later_cards_fined_network_and_rejected_cards_count(ws, settle):
    _four_cards_month(ws)
    r = ok(settle(ws))
    # 网络部's C1 and the R25-rejected C2 are cards 1 and 2: C3, C4 are extra.
    # Fine 2 × 100 = 200 to S1; P = 0 → base 0, R33 0 → total −200.00.
    assert r.column("S1", "扣款") == "200.00"
    assert r.total("S1") == "-200.00"
    assert sorted(codes(r, "duplicate_card")) == [("S1", "C3"), ("S1", "C4")]
    assert perf(r, "S1") == "0.00"
    assert len(r.violations("unknown_staff")) == 1


def test_R21_lines_on_extra_cards_credit_nobody(ws, settle):
    _four_cards_month(ws)
    r = ok(settle(ws))
    # SPEC R21 effect: "lines on extra cards credit nobody". C3 1000 + C4 500 = 1500 uncredited;
    # S1's registrations are removed (R7), so P1 is 网络部's alone: N1 = the C1 line, 2000.
    assert r.data["reconciliation"]["uncredited"] == {"duplicate_card": {"count": 2, "fen": 150000}}
    assert net(r, "N1") == "2000.00"


def _april_three_cards(ws):
    ws.staff(team())
    ws.month("2024-04",
             regs=[reg(D(2024, 4, 1, 9), "S1", "P1", card="C1"), reg(D(2024, 4, 2, 9), "S1", "P1", card="C2"),
                   reg(D(2024, 4, 3, 9), "S1", "P1", card="C3")])
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 3, 9), "S1", "P1", card="C4")],
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1", card="C1"),
                      bill(D(2024, 5, 6, 10), 300, "P1", card="C3")])


def test_R21_fine_in_the_month_the_card_was_registered(ws, settle):
    _april_three_cards(ws)
    april = ok(settle(ws, "2024-04"))
    assert april.column("S1", "扣款") == "100.00"                    # C3, registered in April
    assert codes(april, "duplicate_card") == [("S1", "C3")]
    r = ok(settle(ws))
    assert r.amount("S1", "duplicate_card_fine") == "-100.00"       # C4 only: C3 was April's
    assert codes(r, "duplicate_card") == [("S1", "C4")]
    # April's total (−100.00) is deducted in May as 上月欠款 (R45): 扣款 100 + 100
    assert r.amount("S1", "carried_debt") == april.total("S1") == "-100.00"
    assert r.column("S1", "扣款") == "200.00"


def test_R21_april_extra_card_still_credits_nobody_in_may(ws, settle):
    _april_three_cards(ws)
    r = ok(settle(ws))
    # C1's line (1000) is S1's; the C3 line (300) is on an extra card: nobody's.
    assert perf(r, "S1") == "1000.00"
    assert r.data["reconciliation"]["uncredited"] == {"duplicate_card": {"count": 1, "fen": 30000}}


def test_R21_same_card_registered_twice_is_one_card(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 1, 9), "S1", "P1", card="C1"), reg(D(2024, 5, 2, 9), "S1", "P1", card="C1"),
                   reg(D(2024, 5, 3, 9), "S1", "P1", card="C2")],
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1", card="C2")])
    r = ok(settle(ws))
    # Distinct 卡号: C1, C2 → 2 cards, no extra.
    assert r.violations("duplicate_card") == []
    assert col(r, "S1", "扣款") == 0
    assert perf(r, "S1") == "1000.00"


# --------------------------------------------------------------------------------------------------
# R22 转诊迟报 / R23 老患者
# --------------------------------------------------------------------------------------------------

def test_R22_visit_before_registration_plus_30_minutes_is_late(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 6, 10), "S1", "ID-0001"), reg(D(2024, 5, 6, 10), "S1", "ID-0002")],
             billing=[bill(D(2024, 5, 6, 10, 20), 1000, "ID-0001"),    # 10:20 < 10:30: late
                      bill(D(2024, 5, 6, 10, 30), 2000, "ID-0002")])   # 10:30 is not earlier: fine
    r = ok(settle(ws))
    assert perf(r, "S1") == "2000.00"
    [v] = r.violations("late_registration")
    assert v["staff_id"] == "S1"
    assert v["patient_key"].endswith("0001") and "ID-" not in v["patient_key"]   # last 4 only
    assert r.violations("existing_patient") == []
    assert r.data["reconciliation"]["uncredited"] == {"late_registration": {"count": 1, "fen": 100000}}


def test_R23_visit_on_an_earlier_day_is_existing_patient_not_late(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 6, 9), "S1", "P1")],
             billing=[bill(D(2024, 5, 5, 10), 300, "P1", status="未结算"),   # earlier day, any status
                      bill(D(2024, 5, 6, 8), 200, "P1"),                     # same day before: R23 wins
                      bill(D(2024, 5, 7, 10), 1000, "P1")])
    r = ok(settle(ws))
    assert codes(r, "existing_patient") == [("S1", None)]
    assert r.violations("late_registration") == []
    assert perf(r, "S1") == "0.00"
    assert r.data["reconciliation"]["uncredited"] == {"existing_patient": {"count": 2, "fen": 120000}}


def test_R23_visit_in_april_export(ws, settle):
    ws.staff(team())
    ws.month("2024-04", billing=[bill(D(2024, 4, 20, 10), 500, "P1")])
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 6, 9), "S1", "P1")],
             billing=[bill(D(2024, 5, 10, 10), 1000, "P1")])
    r = ok(settle(ws))
    assert codes(r, "existing_patient") == [("S1", None)]
    assert perf(r, "S1") == "0.00"
    assert r.data["reconciliation"]["uncredited"] == {"existing_patient": {"count": 1, "fen": 100000}}


def test_R23_network_registration_is_checked_too(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 1, 9), "S1", "P2"),
                   reg(D(2024, 5, 6, 9), "N1", "P2", channel="网络")],   # after the 05-05 visit: R23
             billing=[bill(D(2024, 5, 5, 10), 1000, "P2"), bill(D(2024, 5, 7, 10), 2000, "P2")])
    r = ok(settle(ws))
    # N1's registration is removed, so no overlap: S1 100 % of 1000 + 2000.
    assert codes(r, "existing_patient") == [("N1", None)]
    assert perf(r, "S1") == "3000.00"
    assert net(r, "N1") == "0.00"


def test_R22_registration_before_midnight_visit_after_midnight_is_late(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 6, 23, 50), "S1", "P1")],
             billing=[bill(D(2024, 5, 7, 0, 10), 1000, "P1")])   # 00:10 < 00:20, not an earlier day
    r = ok(settle(ws))
    assert codes(r, "late_registration") == [("S1", None)]
    assert r.violations("existing_patient") == []
    assert perf(r, "S1") == "0.00"


# --------------------------------------------------------------------------------------------------
# R24 转诊信息不全
# --------------------------------------------------------------------------------------------------

def test_R24_required_referral_fields_per_channel(ws, settle):
    ws.staff(team())
    at = D(2024, 5, 2, 9)
    ws.month("2024-05",
             regs=[reg(at, "S1", "P1", channel="诊所", partner="康复诊所", phone="139"),          # no 转诊医生
                   reg(at, "S1", "P2", channel="医院", partner="人民医院", referrer="陈医生"),   # no 联系电话
                   reg(at, "S1", "P3", channel="药店", referrer="王药师", phone="138"),          # no 合作单位
                   reg(at, "S1", "P4", channel="工厂", partner="电子厂"),                        # enough for 工厂
                   reg(at, "S1", "P5", channel="企业体检"),                                     # no 合作单位
                   reg(at, "S1", "P6", channel="诊所", partner="社区诊所", referrer="刘医生", phone="137"),
                   reg(at, "S1", "P7", channel="企业体检", partner="某公司")],
             billing=[bill(D(2024, 5, 5, 10), 1000, f"P{i}") for i in range(1, 8)])
    r = ok(settle(ws))
    # Credited: P4 1000 − 15 % = 850; P6 850; P7 1000 (门诊 is not 体检: no R16) → P = 2700 → R11 81.00.
    assert perf(r, "S1") == "2700.00"
    assert r.amount("S1", "general") == "81.00"
    assert len(r.violations("incomplete_referral")) == 4
    assert r.data["reconciliation"]["uncredited"] == {"incomplete_referral": {"count": 4, "fen": 400000}}
    assert {x["partner"]: x["total"] for x in r.data["rebates"]} == {"电子厂": "150.00", "社区诊所": "150.00"}


# --------------------------------------------------------------------------------------------------
# R25 人员不存在
# --------------------------------------------------------------------------------------------------

def test_R25_unknown_salesperson_run_lists_it_validate_exits_2(ws, settle):
    ws.staff(team(person("S3", "王芳")))     # 王芳 now names two people
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "查无此人", "P1"), reg(D(2024, 5, 2, 9), "王芳", "P2")],
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1"), bill(D(2024, 5, 5, 11), 2000, "P2")])
    r = ok(settle(ws))
    vs = r.violations("unknown_staff")
    assert len(vs) == 2 and all(v["staff_id"] is None for v in vs)
    assert sorted(v["row"] for v in vs) == [2, 3]
    assert r.data["reconciliation"]["uncredited"] == {"unknown_staff": {"count": 2, "fen": 300000}}
    assert perf(r, "S1") == "0.00" and perf(r, "S3") == "0.00"
    v = CliRunner().invoke(app, ["validate", "2024-05", "--workspace", str(ws.root), "--quiet"])
    assert v.exit_code == 2, v.output


def test_R25_unknown_staff_row_is_reported_only_as_R25(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             # Unknown salesperson, 诊所 without 转诊医生/联系电话, patient seen the day before.
             regs=[reg(D(2024, 5, 6, 9), "查无此人", "P1", channel="诊所", partner="康复诊所")],
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1")])
    r = ok(settle(ws))
    # SPEC R25: "`run` rejects the row and reports it (only as R25; …)".
    assert len(r.violations("unknown_staff")) == 1
    assert r.violations("incomplete_referral") == []
    assert r.violations("existing_patient") == []
    assert r.data["reconciliation"]["uncredited"] == {"unknown_staff": {"count": 1, "fen": 100000}}


# --------------------------------------------------------------------------------------------------
# R26 撞单
# --------------------------------------------------------------------------------------------------

def test_R26_conflicting_claim_listed_on_later_claim_earns_nothing(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 1, 9), "S1", "P1", card="C1"),    # row 2: first claim
                   reg(D(2024, 5, 2, 9), "S2", "P1")],              # row 3: 撞单
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1"), bill(D(2024, 5, 6, 10), 500, "P1", card="C1")])
    r = ok(settle(ws))
    [v] = r.violations("conflicting_claim")
    assert v["staff_id"] == "S2" and v["row"] == 3
    assert perf(r, "S1") == "1500.00"
    assert perf(r, "S2") == "0.00"
    assert col(r, "S2", "扣款") == 0      # the seed's 50 % penalty only through 扣业绩


# --------------------------------------------------------------------------------------------------
# R27 日报
# --------------------------------------------------------------------------------------------------

def _reports(people, changes=(), extra=()):
    """auto reports with some days' submission times replaced ({date: datetime}) and extra rows."""
    rows = auto_reports(people, MAY)
    changes = dict(changes)
    for row in rows:
        if row["业务员"] == "S1" and row["日期"] in changes:
            row["提交时间"] = changes[row["日期"]]
    return rows + [{"业务员": sid, "日期": day, "提交时间": at, "拜访数": 1, "内容": "补交"} for sid, day, at in extra]


def test_R27_late_and_missing_reports_one_line_each_kind(ws, settle):
    ws.staff(team(person("L1", "刘强", role="主管", team="一组")))
    # 05-06 handed in 05-08 09:00 (due 05-07 08:00): late. 05-01 (no default holidays) and 05-07 missing.
    # The 主管 needs reports too: L1 misses Saturday 05-04.
    ws.month("2024-05", late={"S1": [d(2024, 5, 6)]},
             missing={"S1": [d(2024, 5, 1), d(2024, 5, 7)], "L1": [d(2024, 5, 4)]})
    r = ok(settle(ws))
    assert fine_lines(r, "S1", "late_report") == [Decimal("20.00")]
    assert fine_lines(r, "S1", "missing_report") == [Decimal("100.00")]     # 2 × 50, one line
    assert r.column("S1", "扣款") == "120.00"
    assert r.total("S1") == "-120.00"
    assert len(r.violations("late_report")) == 1
    assert sorted(v["staff_id"] for v in r.violations("missing_report")) == ["L1", "S1", "S1"]
    assert r.column("L1", "扣款") == "50.00"
    assert col(r, "S2", "扣款") == 0


def test_R27_saturday_report_due_monday_0800(ws, settle):
    people = team()
    ws.staff(people)
    ws.month("2024-05", daily=_reports(people, {
        d(2024, 5, 4): D(2024, 5, 6, 7, 59),     # Sat → Mon 08:00: on time
        d(2024, 5, 11): D(2024, 5, 13, 8, 1),    # Sat → Mon 08:00: late
        d(2024, 5, 13): D(2024, 5, 14, 8, 0),    # Mon → Tue 08:00 exactly: on time
        d(2024, 5, 10): D(2024, 5, 11, 7, 30),   # Fri → Sat 08:00: on time
    }))
    r = ok(settle(ws))
    assert fine_lines(r, "S1", "late_report") == [Decimal("20.00")]
    assert r.column("S1", "扣款") == "20.00"
    assert r.violations("missing_report") == []
    assert [v["staff_id"] for v in r.violations("late_report")] == ["S1"]


def test_R27_several_reports_for_one_day_the_earliest_counts(ws, settle):
    people = team()
    ws.staff(people)
    ws.month("2024-05", daily=_reports(
        people,
        {d(2024, 5, 7): D(2024, 5, 9, 9, 0)},                        # only late reports for 05-07
        extra=[("S1", d(2024, 5, 6), D(2024, 5, 8, 9, 0)),            # a late copy of an on-time 05-06
               ("S1", d(2024, 5, 7), D(2024, 5, 10, 9, 0))]))         # a second late one for 05-07
    r = ok(settle(ws))
    # 05-06: earliest is 05-06 18:00 → on time. 05-07: earliest 05-09 09:00 → one late report.
    assert fine_lines(r, "S1", "late_report") == [Decimal("20.00")]
    assert len(r.violations("late_report")) == 1
    assert r.violations("missing_report") == []


def test_R27_sundays_days_outside_employment_and_director_ignored(ws, settle):
    people = [person("S1", "王芳"), person("S2", "李娜", hired=d(2024, 5, 15)),
              person("S3", "赵敏", left=d(2024, 5, 10)), person("D1", "张伟", role="主任", team=None)]
    ws.staff(people)
    # auto reports: every Mon–Sat while employed, none for the 主任. Extra late rows for a
    # Sunday, for a day before S2 was hired and after S3 left: all ignored.
    ws.month("2024-05", daily=_reports(people, extra=[("S1", d(2024, 5, 5), D(2024, 5, 20, 9)),
                                                      ("S2", d(2024, 5, 13), D(2024, 5, 20, 9)),
                                                      ("S3", d(2024, 5, 13), D(2024, 5, 20, 9))]))
    r = ok(settle(ws))
    assert r.violations("late_report") == [] and r.violations("missing_report") == []
    for sid in ("S1", "S2", "S3", "D1"):
        assert col(r, sid, "扣款") == 0


# --------------------------------------------------------------------------------------------------
# R28 扣业绩 / R29 取消业绩
# --------------------------------------------------------------------------------------------------

def test_R28_deduction_scales_stream_performance_and_per_case_amounts(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1"), reg(D(2024, 5, 2, 9), "S1", "P2"),
                   reg(D(2024, 5, 2, 9), "S1", "P3"),
                   reg(D(2024, 5, 3, 9), "S1", None, channel="劳务工", partner="某工厂", heads=10, new="是")],
             billing=[bill(D(2024, 5, 5, 10), 10000, "P1"),
                      bill(D(2024, 5, 6, 10), 8000, "P2", category="剖宫产"),
                      bill(D(2024, 5, 7, 10), 1000, "P3", category="工伤")],
             adjust=[adj("S1", "扣业绩", "10%"), adj("S1", "扣业绩", 15)])   # 10 % + 15 % = 25 %
    r = ok(settle(ws))
    # factor 0.75: P = 19000 × 0.75 = 14250; general 7500 × 3 % = 225; per case 200 × 0.75 = 150;
    # 工伤 750 × 8 % = 60; 劳务工 10 × 2 × 0.75 = 15; base 1500 × 14250/20000 = 1068.75;
    # R33 700 × 14250/50000 = 199.50 → total 1718.25.
    assert perf(r, "S1") == "14250.00"
    assert r.amount("S1", "general") == "225.00"
    assert r.amount("S1", "per_case") == "150.00"
    assert r.amount("S1", "injury") == "60.00"
    assert r.amount("S1", "labour") == "15.00"
    assert r.amount("S1", "base") == "1068.75"
    assert r.amount("S1", "assessment") == "199.50"
    assert r.total("S1") == "1718.25"


def test_R28_two_rows_add_up_capped_at_100_percent(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1"), reg(D(2024, 5, 2, 9), "S2", "P2")],
             billing=[bill(D(2024, 5, 5, 10), 10000, "P1"), bill(D(2024, 5, 5, 10), 4000, "P2")],
             adjust=[adj("S1", "扣业绩", "60%"), adj("S1", "扣业绩", 0.7)])   # 130 % → capped at 100 %
    r = ok(settle(ws))
    assert perf(r, "S1") == "0.00"           # not −3000
    assert r.column("S1", "提成") == "0.00"
    assert r.total("S1") == "0.00"
    # S2 untouched: 4000 → base 300, R33 56, R11 120 → 476.00.
    assert perf(r, "S2") == "4000.00"
    assert r.total("S2") == "476.00"


def test_R29_cancel_zeroes_performance_and_commissions_for_every_purpose(ws, settle):
    ws.staff([person("D1", "张伟", role="主任", team=None), person("L1", "刘强", role="主管", team="一组"),
              person("S1", "王芳"), person("S2", "李娜")])
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1"), reg(D(2024, 5, 2, 9), "S1", "P2"),
                   reg(D(2024, 5, 2, 9), "S2", "P3")],
             billing=[bill(D(2024, 5, 5, 10), 10000, "P1"),
                      bill(D(2024, 5, 6, 10), 8000, "P2", category="剖宫产"),
                      bill(D(2024, 5, 7, 10), 5000, "P3")],
             adjust=[adj("S1", "取消业绩")])
    r = ok(settle(ws))
    # S1: performance 0, no commission, base 1500 × 0 = 0, R33 0 → 0.00.
    assert perf(r, "S1") == "0.00"
    assert r.column("S1", "提成") == "0.00"
    assert r.total("S1") == "0.00"
    # S2: P 5000 → base 375, R33 70, R11 150 → 595.00.
    assert r.total("S2") == "595.00"
    # L1 主管: own P 0 → base 0, R33 0; 管理奖金 = lowest team R33 = S1's 0.00;
    # 团队提成 1 % × (0 + 5000) = 50.00 → 50.00.
    assert r.amount("L1", "management_bonus") == "0.00"
    assert r.amount("L1", "team_commission") == "50.00"
    assert r.total("L1") == "50.00"
    # D1 主任: 5000 × mean(0, 5000)/20000 = 625.00; 1 % × 5000 = 50.00 → 675.00.
    assert r.amount("D1", "base_director") == "625.00"
    assert r.amount("D1", "department_commission") == "50.00"
    assert r.total("D1") == "675.00"


# --------------------------------------------------------------------------------------------------
# §6 The month a violation is listed in
# --------------------------------------------------------------------------------------------------

def test_violation_month_R22_detected_only_in_later_export_is_listed_there(ws, settle):
    ws.staff(team())
    ws.month("2024-04", regs=[reg(D(2024, 4, 30, 9), "S1", "P1")])
    # The 04-30 09:10 visit first appears in May's export (settled 05-02).
    ws.month("2024-05", billing=[bill(D(2024, 4, 30, 9, 10), 1000, "P1", settled=d(2024, 5, 2))])
    april = ok(settle(ws, "2024-04"))
    assert april.violations("late_registration") == []
    r = ok(settle(ws))
    assert codes(r, "late_registration") == [("S1", None)]
    assert r.data["reconciliation"]["uncredited"] == {"late_registration": {"count": 1, "fen": 100000}}


def test_violation_month_R22_detectable_in_april_not_listed_again_in_may(ws, settle):
    ws.staff(team())
    ws.month("2024-04",
             regs=[reg(D(2024, 4, 20, 9), "S1", "P1")],
             billing=[bill(D(2024, 4, 20, 9, 10), 300, "P1")])
    ws.month("2024-05", billing=[bill(D(2024, 5, 5, 10), 1000, "P1")])
    april = ok(settle(ws, "2024-04"))
    assert codes(april, "late_registration") == [("S1", None)]
    r = ok(settle(ws))
    assert r.violations("late_registration") == []
    # The April rejection still credits nobody in May.
    assert perf(r, "S1") == "0.00"
    assert r.data["reconciliation"]["uncredited"] == {"late_registration": {"count": 1, "fen": 100000}}


def test_R21_extra_cards_ranked_by_registration_time_not_row_order(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 3, 9), "S1", "P1", card="C3"),     # row 2, but the 3rd by 登记时间
                   reg(D(2024, 5, 1, 9), "S2", "P7", card="C1"),
                   reg(D(2024, 5, 1, 9), "S1", "P1", card="C1b"),
                   reg(D(2024, 5, 2, 9), "S1", "P1", card="C2")])
    r = ok(settle(ws))
    assert codes(r, "duplicate_card") == [("S1", "C3")]
    assert r.column("S1", "扣款") == "100.00"


def test_R24_blank_text_counts_as_empty(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1", channel="诊所", partner="康复诊所", referrer="  ", phone="139"),
                   reg(D(2024, 5, 2, 9), "S1", "P2", channel="药店", partner="\u3000", referrer="王", phone="138")],
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1"), bill(D(2024, 5, 5, 11), 1000, "P2")])
    r = ok(settle(ws))
    # Text is trimmed (full-width space folded first): an all-space 转诊医生 / 合作单位 is empty.
    assert len(r.violations("incomplete_referral")) == 2
    assert perf(r, "S1") == "0.00"
    assert r.data["rebates"] == []


def test_R26_owner_registering_again_is_not_a_conflict(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 1, 9), "S1", "P1"),                 # owner
                   reg(D(2024, 5, 2, 9), "S2", "P1"),                 # 撞单
                   reg(D(2024, 5, 3, 9), "S1", "P1", card="C1")],     # the owner issues a card: no 撞单
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1", card="C1")])
    r = ok(settle(ws))
    assert perf(r, "S1") == "1000.00"
    assert perf(r, "S2") == "0.00"
    assert codes(r, "conflicting_claim") == [("S2", None)]


def test_R28_R29_adjustments_of_an_earlier_month_do_not_apply(ws, settle):
    ws.staff(team())
    ws.month("2024-04", adjust=[adj("S1", "扣业绩", "50%"), adj("S2", "取消业绩")])
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1"), reg(D(2024, 5, 2, 9), "S2", "P2")],
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1"), bill(D(2024, 5, 5, 10), 2000, "P2")])
    r = ok(settle(ws))
    # 扣业绩/取消业绩 act on the month performance of their own month only.
    assert perf(r, "S1") == "1000.00"
    assert perf(r, "S2") == "2000.00"


def test_violation_month_late_entered_registration_listed_where_first_seen(ws, settle):
    ws.staff(team())
    ws.month("2024-04", billing=[])
    # A referral dated 04-30 typed into May's 登记表 without 转诊医生/联系电话: April's run could
    # not see it (later folders are never read), so it is first detectable — and listed — in May.
    ws.month("2024-05",
             regs=[reg(D(2024, 4, 30, 17), "S1", "P1", channel="诊所", partner="康复诊所")],
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1")])
    april = ok(settle(ws, "2024-04"))
    assert april.violations("incomplete_referral") == []
    r = ok(settle(ws))
    assert r.data["reconciliation"]["uncredited"] == {"incomplete_referral": {"count": 1, "fen": 100000}}
    assert perf(r, "S1") == "0.00"
    assert codes(r, "incomplete_referral") == [("S1", None)]
