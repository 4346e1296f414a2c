"""Crediting rules R1–R7 (SPEC §4), every expected figure worked out by hand from the SPEC.

Conventions of these tiny months (default policy, SPEC §5):
- staff hired 2023-01-01 are regular in May 2024 (转正 = 2023-04-01);
- general stream R11: P < 20 000 → 3 % of P;  per case R8: 剖宫产 200;
- R30 base 1500 × min(1, P/20000), R33 700 × min(1, P/50000) for a regular 业务员;
- every daily report is handed in on time (builders.auto_reports), so R27 adds nothing.
Amounts in the comments are yuan; reconciliation figures are fen.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conftest import ok, perf
from builders import team, bill, person, reg

D = dt.datetime








def exact(r, sid) -> Decimal:
    return Decimal(r.person(sid)["performance_exact"])


def net(r, sid) -> str:
    return r.data["network"][sid]["performance"]


def codes(r, code):
    return [(v["staff_id"], v["card_no"]) for v in r.violations(code)]


def confirm(*, card=None, key=None, sid="S1", approver="张主任"):
    return {"工号": sid, "类型": "确认例外", "金额": None, "事由": "主任确认", "批准人": approver, "卡号": card,
            "患者标识": key}


# --------------------------------------------------------------------------------------------------
# R1 Month
# --------------------------------------------------------------------------------------------------

def test_R1_unsettled_and_in_course_lines_never_count(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1")],
             billing=[bill(D(2024, 5, 6, 10), 1000, "P1"),
                      bill(D(2024, 5, 7, 10), 500, "P1", status="未结算"),
                      bill(D(2024, 5, 8, 10), 700, "P1", status="疗程中")])
    r = ok(settle(ws))
    # Only the 已结算 line counts: P = 1000 → R11 3 % = 30.00; base 1500 × 1000/20000 = 75.00;
    # R33 700 × 1000/50000 = 14.00 → total 119.00.
    assert perf(r, "S1") == "1000.00"
    assert r.amount("S1", "general") == "30.00"
    assert r.total("S1") == "119.00"
    rec = r.data["reconciliation"]
    assert rec["total_fen"] == 100000 and rec["credited_fen"] == 100000 and rec["uncredited"] == {}


def test_R1_line_settled_next_month_does_not_count(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1")],
             billing=[bill(D(2024, 5, 6, 10), 1000, "P1"),
                      # 已结算 but 结算日期 in June: not in MONTH.
                      bill(D(2024, 5, 30, 10), 4000, "P1", settled=dt.date(2024, 6, 2)),
                      # 结算日期 in April (a leftover of April's export): not in MONTH either.
                      bill(D(2024, 5, 2, 10), 600, "P1", settled=dt.date(2024, 4, 28)),
                      # Two walk-in lines of May keep the export mostly May's (SPEC §8.1: 2 of 5
                      # outside is a warning, most of a file outside would be an error).
                      bill(D(2024, 5, 7, 10), 1, "P9"), bill(D(2024, 5, 8, 10), 1, "P9")])
    r = ok(settle(ws))
    assert perf(r, "S1") == "1000.00"          # 1000 only
    assert r.amount("S1", "general") == "30.00"
    assert r.data["reconciliation"]["total_fen"] == 100000 + 2 * 100   # and the walk-ins' 1 + 1
    [warned] = [f for f in r.data["perimeter"]["findings"] if f["code"] == "outside_month_rows"]
    assert warned["message"].startswith("2 行的结算日期不在 2024-05（第 3、4 行）")


def test_R1_refund_for_april_visit_claws_back_general_stream(ws, settle):
    ws.staff(team())
    ws.month("2024-04",
             regs=[reg(D(2024, 4, 1, 9), "S1", "P1")],
             billing=[bill(D(2024, 4, 10, 10), 5000, "P1")])
    ws.month("2024-05",
             billing=[bill(D(2024, 4, 10, 10), -2000, "P1", settled=dt.date(2024, 5, 5)),  # refund of the April visit
                      bill(D(2024, 5, 6, 10), 3000, "P1")])
    r = ok(settle(ws))
    # May counts only May's export: 3000 − 2000 = 1000 (the April 5000 was April's).
    # Window: first visit 04-10, 05-06 is day 26. R11: 3 % × 1000 = 30.00.
    assert perf(r, "S1") == "1000.00"
    assert r.amount("S1", "general") == "30.00"
    rec = r.data["reconciliation"]
    assert rec["total_fen"] == 100000 and rec["credited_fen"] == 100000 and rec["balanced"] is True


def test_R1_refund_for_april_case_reverses_one_case(ws, settle):
    ws.staff(team())
    ws.month("2024-04",
             regs=[reg(D(2024, 4, 1, 9), "S1", "P2")],
             billing=[bill(D(2024, 4, 15, 10), 8000, "P2", category="剖宫产", settled=dt.date(2024, 4, 20))])
    ws.month("2024-05",
             billing=[bill(D(2024, 4, 15, 10), -8000, "P2", category="剖宫产", settled=dt.date(2024, 5, 3))])
    r = ok(settle(ws))
    # R8: net credited amount of (P2, 剖宫产) in May = −8000 < 0 → −1 case × 200 = −200.00.
    # Performance −8000; base and R33 use max(0, P) = 0.
    assert r.amount("S1", "per_case") == "-200.00"
    assert perf(r, "S1") == "-8000.00"
    assert r.amount("S1", "base") == "0.00"
    assert r.total("S1") == "-200.00"


def test_R1_april_export_line_settled_in_may_not_counted_in_may(ws, settle):
    ws.staff(team())
    ws.month("2024-04",
             regs=[reg(D(2024, 4, 1, 9), "S1", "P1")],
             # In April's export, settled 2 May: it counts nowhere until May's export lists it.
             billing=[bill(D(2024, 4, 28, 10), 6000, "P1", settled=dt.date(2024, 5, 2))])
    ws.month("2024-05", billing=[bill(D(2024, 5, 6, 10), 1000, "P1")])
    r = ok(settle(ws))
    assert perf(r, "S1") == "1000.00"
    assert r.data["reconciliation"]["total_fen"] == 100000


def test_R1_reconciliation_ties_out(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1")],
             billing=[bill(D(2024, 5, 6, 10), 1000, "P1"),              # credited
                      bill(D(2024, 5, 6, 11), 500, "P9"),               # walk-in
                      bill(D(2024, 5, 7, 11), 300, "P8", card="X1"),    # R20
                      bill(D(2024, 5, 8, 11), 900, "P1", status="未结算")])  # not counting
    r = ok(settle(ws))
    rec = r.data["reconciliation"]
    # total = 1000 + 500 + 300 = 1800.00 = credited 1000 + walk_in 500 + unregistered_card 300.
    assert rec["total_fen"] == 180000
    assert rec["credited_fen"] == 100000
    assert rec["uncredited"] == {"unregistered_card": {"count": 1, "fen": 30000},
                                 "walk_in": {"count": 1, "fen": 50000}}
    assert rec["balanced"] is True


# --------------------------------------------------------------------------------------------------
# R2 Link
# --------------------------------------------------------------------------------------------------

def test_R2_card_links_to_the_patient_its_registration_names(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 1, 9), "S2", "PX"),               # S2 claims PX (no card)
                   reg(D(2024, 5, 2, 9), "S1", "P1", card="C1")],   # card C1 names P1
             # The line shows card C1 with 患者标识 PX: the card wins, the line is P1's → S1.
             billing=[bill(D(2024, 5, 5, 10), 1000, "PX", card="C1")])
    r = ok(settle(ws))
    assert perf(r, "S1") == "1000.00"
    assert perf(r, "S2") == "0.00"
    assert r.violations("conflicting_claim") == []


def test_R2_links_by_patient_key_without_card(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1", card="C1")],
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1")])   # no card on the line: by 患者标识
    r = ok(settle(ws))
    assert perf(r, "S1") == "1000.00"
    assert r.amount("S1", "general") == "30.00"


def test_R2_walk_in_credits_nobody(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1")],
             billing=[bill(D(2024, 5, 5, 10), 1234.56, "P9")])
    r = ok(settle(ws))
    assert perf(r, "S1") == "0.00"
    rec = r.data["reconciliation"]
    assert rec["credited_fen"] == 0
    assert rec["uncredited"] == {"walk_in": {"count": 1, "fen": 123456}}
    assert rec["balanced"] is True


# --------------------------------------------------------------------------------------------------
# R3 First claim
# --------------------------------------------------------------------------------------------------

def test_R3_april_registration_owns_may_lines(ws, settle):
    ws.staff(team())
    ws.month("2024-04", regs=[reg(D(2024, 4, 10, 9), "S1", "P1")])
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S2", "P1")],
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1")])
    r = ok(settle(ws))
    # S1's April claim is first; S2's May claim is 撞单 (listed in May, the later claim's month).
    assert perf(r, "S1") == "1000.00"
    assert perf(r, "S2") == "0.00"
    assert codes(r, "conflicting_claim") == [("S2", None)]


def test_R3_tie_broken_by_row_order(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S2", "P1"),     # row 2: first
                   reg(D(2024, 5, 2, 9), "S1", "P1")],    # row 3: same 登记时间, later row
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1")])
    r = ok(settle(ws))
    assert perf(r, "S2") == "1000.00"
    assert perf(r, "S1") == "0.00"
    assert codes(r, "conflicting_claim") == [("S1", None)]


def test_R3_claim_lapses_at_departure(ws, settle):
    ws.staff([person("S1", "王芳", left=dt.date(2024, 5, 15)), person("S2", "李娜"),
              person("N1", "网络甲", role="网络部", team=None)])
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1"),
                   reg(D(2024, 5, 3, 9), "S2", "P1")],   # while S1 is employed: 撞单
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1"),                                  # settled 05-05 → S1
                      bill(D(2024, 5, 20, 10), 2000, "P1")])                                # after 05-15 → S2
    r = ok(settle(ws))
    # "for lines settled after it, the earliest remaining claim of a person still employed owns
    # the patient": S2's claim (first visit at/after 05-03 09:00 is 05-05; 05-20 is day 15).
    assert perf(r, "S1") == "1000.00"
    assert perf(r, "S2") == "2000.00"
    assert codes(r, "conflicting_claim") == [("S2", None)]
    assert r.data["reconciliation"]["credited_fen"] == 300000


def test_R3_claim_registered_after_owner_left_is_not_conflict(ws, settle):
    ws.staff([person("S1", "王芳", left=dt.date(2024, 5, 10)), person("S2", "李娜")])
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1"),
                   reg(D(2024, 5, 12, 9), "S2", "P1")],   # after S1's 离职日期 05-10
             billing=[bill(D(2024, 5, 15, 10), 1000, "P1")])
    r = ok(settle(ws))
    # Line settled 05-15 > 05-10: S1's claim lapsed, S2 owns; no 撞单.
    assert perf(r, "S2") == "1000.00"
    assert perf(r, "S1") == "0.00"
    assert r.violations("conflicting_claim") == []
    assert r.data["reconciliation"]["uncredited"] == {}


def test_R3_rejected_earlier_claim_does_not_block_later_one(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 1, 9), "S1", "P1", channel="诊所", partner="康复诊所"),   # R24: no 医生/电话
                   reg(D(2024, 5, 2, 9), "S2", "P1")],
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1")])
    r = ok(settle(ws))
    # S1's registration is removed (R7) before R3: S2's is the earliest remaining claim.
    assert perf(r, "S2") == "1000.00"
    assert perf(r, "S1") == "0.00"
    assert r.violations("conflicting_claim") == []
    assert codes(r, "incomplete_referral") == [("S1", None)]


# --------------------------------------------------------------------------------------------------
# R4 Network overlap
# --------------------------------------------------------------------------------------------------

def test_R4_network_overlap_half_each_regardless_of_order(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 1, 9), "N1", "P1", channel="网络"),   # network first
                   reg(D(2024, 5, 2, 9), "S1", "P1"),
                   reg(D(2024, 5, 1, 9), "S1", "P2"),                   # salesperson first
                   reg(D(2024, 5, 2, 9), "N1", "P2", channel="网络")],
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1"),
                      bill(D(2024, 5, 6, 10), 3000, "P2")])
    r = ok(settle(ws))
    # Each side 50 %: S1 = 500 + 1500 = 2000 → R11 60.00; N1 = 2000.
    assert perf(r, "S1") == "2000.00"
    assert r.amount("S1", "general") == "60.00"
    assert net(r, "N1") == "2000.00"
    assert r.violations("conflicting_claim") == []


def test_R4_odd_fen_split_keeps_the_half_fen(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 1, 9), "S1", "P1"), reg(D(2024, 5, 1, 10), "N1", "P1", channel="网络")],
             billing=[bill(D(2024, 5, 5, 10), 100.01, "P1")])
    r = ok(settle(ws))
    # 100.01 × 50 % = 50.005 exactly; shown rounded half-up (R37) 50.01.
    assert exact(r, "S1") == Decimal("50.005")
    assert perf(r, "S1") == "50.01"
    assert net(r, "N1") == "50.01"
    # base 1500 × 50.005/20000 = 3.750375 → 3.75; R11 3 % × 50.005 = 1.50015 → 1.50.
    assert r.amount("S1", "base") == "3.75"
    assert r.amount("S1", "general") == "1.50"


def test_R4_two_odd_halves_add_up_exactly(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 1, 9), "S1", "P1"), reg(D(2024, 5, 1, 10), "N1", "P1", channel="网络"),
                   reg(D(2024, 5, 1, 9), "S1", "P2"), reg(D(2024, 5, 1, 10), "N1", "P2", channel="网络")],
             billing=[bill(D(2024, 5, 5, 10), 100.01, "P1"), bill(D(2024, 5, 5, 11), 100.01, "P2")])
    r = ok(settle(ws))
    # 50.005 + 50.005 = 100.01 (rounding each half first would give 100.02).
    assert exact(r, "S1") == Decimal("100.01")
    assert perf(r, "S1") == "100.01"
    assert net(r, "N1") == "100.01"


def test_R4_network_alone_gets_everything(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 1, 9), "N1", "P1", channel="网络")],
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1")])
    r = ok(settle(ws))
    assert net(r, "N1") == "1000.00"
    assert perf(r, "S1") == "0.00"
    assert r.data["reconciliation"]["credited_fen"] == 100000


def test_R4_rebate_on_the_whole_line(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 1, 9), "N1", "P1", channel="网络"),
                   reg(D(2024, 5, 2, 9), "S1", "P1", channel="诊所", partner="康复诊所", referrer="刘医生",
                       phone="13900000000")],
             billing=[bill(D(2024, 5, 5, 10), 2000, "P1")])
    r = ok(settle(ws))
    # Owner S1's 诊所: R17 15 % × 2000 = 300 on the whole line; each side 50 % × (2000 − 300) = 850.
    assert r.data["rebates"] == [{"partner": "康复诊所", "lines": 1, "total": "300.00"}]
    assert perf(r, "S1") == "850.00"
    assert net(r, "N1") == "850.00"


# --------------------------------------------------------------------------------------------------
# R5 Follow-up window and departure
# --------------------------------------------------------------------------------------------------

def test_R5_line_beyond_60_days_credits_nobody(ws, settle):
    ws.staff(team())
    ws.month("2024-03",
             regs=[reg(D(2024, 3, 1, 9), "S1", "P1")],
             billing=[bill(D(2024, 3, 10, 10), 800, "P1")])
    ws.month("2024-04")
    ws.month("2024-05",
             # First visit 03-10; 03-10 + 60 days = 05-09 (21 + 30 + 9).
             billing=[bill(D(2024, 5, 9, 10), 1000, "P1"),     # day 60: counts
                      bill(D(2024, 5, 10, 10), 2000, "P1")])   # day 61: 超出复诊期
    r = ok(settle(ws))
    assert perf(r, "S1") == "1000.00"
    rec = r.data["reconciliation"]
    assert rec["credited_fen"] == 100000
    assert rec["uncredited"] == {"out_of_window": {"count": 1, "fen": 200000}}


def test_R5_first_visit_may_be_an_unsettled_line(ws, settle):
    ws.staff(team())
    ws.month("2024-03",
             regs=[reg(D(2024, 3, 1, 9), "S1", "P1")],
             billing=[bill(D(2024, 3, 10, 10), 800, "P1", status="疗程中")])   # a visit all the same
    ws.month("2024-04", billing=[bill(D(2024, 4, 1, 10), 500, "P1")])
    ws.month("2024-05",
             billing=[bill(D(2024, 5, 9, 10), 1000, "P1"),     # day 60 from 03-10
                      bill(D(2024, 5, 10, 10), 2000, "P1")])   # day 61
    r = ok(settle(ws))
    assert perf(r, "S1") == "1000.00"
    assert r.data["reconciliation"]["uncredited"] == {"out_of_window": {"count": 1, "fen": 200000}}


def test_R5_window_starts_at_first_visit_after_registration(ws, settle):
    ws.staff(team())
    ws.month("2024-03",
             regs=[reg(D(2024, 3, 20, 9), "S1", "P1")],
             # 03-01 is before the registration (R23, confirmed below); the first visit at or
             # after 登记时间 is 03-25, so the window runs to 05-24 (6 + 30 + 24 = 60).
             billing=[bill(D(2024, 3, 1, 10), 300, "P1"), bill(D(2024, 3, 25, 10), 400, "P1")],
             adjust=[confirm(key="P1")])
    ws.month("2024-04")
    ws.month("2024-05",
             billing=[bill(D(2024, 5, 20, 10), 1000, "P1"),    # day 56 from 03-25 (day 80 from 03-01)
                      bill(D(2024, 5, 25, 10), 2000, "P1")])   # day 61 from 03-25
    r = ok(settle(ws))
    assert perf(r, "S1") == "1000.00"
    assert r.data["reconciliation"]["uncredited"] == {"out_of_window": {"count": 1, "fen": 200000}}
    # The R23 of a March registration, detectable in March, is not listed again in May.
    assert r.violations("existing_patient") == []


def test_R5_departed_owner_credits_nobody_but_network_share_counts(ws, settle):
    ws.staff([person("S1", "王芳", left=dt.date(2024, 5, 15)), person("S2", "李娜"),
              person("N1", "网络甲", role="网络部", team=None)])
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1"),
                   reg(D(2024, 5, 2, 9), "S1", "P2"), reg(D(2024, 5, 2, 10), "N1", "P2", channel="网络")],
             billing=[bill(D(2024, 5, 10, 10), 500, "P1"),     # settled before leaving: S1
                      bill(D(2024, 5, 15, 10), 700, "P1"),     # settled on 离职日期: still S1
                      bill(D(2024, 5, 20, 10), 1000, "P1"),    # after: 已离职, nobody
                      bill(D(2024, 5, 20, 11), 3000, "P2")])   # after, overlap: N1 keeps 50 %
    r = ok(settle(ws))
    # S1: 500 + 700 = 1200. N1: 50 % × 3000 = 1500; S1's half of it is nobody's.
    assert perf(r, "S1") == "1200.00"
    assert net(r, "N1") == "1500.00"
    rec = r.data["reconciliation"]
    # The P2 line counts as credited in 核对: 500 + 700 + 3000 = 4200.00.
    assert rec["total_fen"] == 520000
    assert rec["credited_fen"] == 420000
    assert rec["uncredited"] == {"departed": {"count": 1, "fen": 100000}}
    assert rec["balanced"] is True


def test_R5_departed_owner_rebate_on_whole_line(ws, settle):
    ws.staff([person("S1", "王芳", left=dt.date(2024, 5, 15)), person("N1", "网络甲", role="网络部", team=None)])
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P2", channel="药店", partner="大药房", referrer="x", phone="1"),
                   reg(D(2024, 5, 2, 10), "N1", "P2", channel="网络")],
             billing=[bill(D(2024, 5, 20, 11), 2000, "P2")])
    r = ok(settle(ws))
    # Rebate on the whole line 15 % × 2000 = 300; N1: 50 % × (2000 − 300) = 850.
    assert r.data["rebates"] == [{"partner": "大药房", "lines": 1, "total": "300.00"}]
    assert net(r, "N1") == "850.00"
    assert perf(r, "S1") == "0.00"


def test_R5_reason_order_out_of_window_before_departed(ws, settle):
    ws.staff([person("S1", "王芳", left=dt.date(2024, 5, 5))])
    ws.month("2024-03",
             regs=[reg(D(2024, 3, 1, 9), "S1", "P1")],
             billing=[bill(D(2024, 3, 10, 10), 800, "P1")])
    ws.month("2024-04")
    ws.month("2024-05",
             billing=[bill(D(2024, 5, 3, 10), 1000, "P1"),     # day 54, before leaving: S1
                      bill(D(2024, 5, 20, 10), 2000, "P1")])   # day 71 and after 离职日期
    r = ok(settle(ws))
    assert perf(r, "S1") == "1000.00"
    assert r.data["reconciliation"]["uncredited"] == {"out_of_window": {"count": 1, "fen": 200000}}


# --------------------------------------------------------------------------------------------------
# R6 Performance
# --------------------------------------------------------------------------------------------------

def test_R6_performance_is_share_times_amount_minus_rebate(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1", channel="药店", partner="大药房", referrer="王药师",
                       phone="138"),
                   reg(D(2024, 5, 2, 9), "S1", "P2", channel="企业体检", partner="某公司")],
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1"),                    # R17 15 % = 150 → 850
                      bill(D(2024, 5, 6, 10), 500, "P2", category="体检")])   # R16 40 % = 200 → 300
    r = ok(settle(ws))
    # general 850 × 3 % = 25.50; exam 300 × 30 % = 90.00; P = 1150.
    # base 1500 × 1150/20000 = 86.25; R33 700 × 1150/50000 = 16.10 → total 217.85.
    assert perf(r, "S1") == "1150.00"
    assert r.amount("S1", "general") == "25.50"
    assert r.amount("S1", "exam") == "90.00"
    assert r.total("S1") == "217.85"
    assert r.data["rebates"] == [{"partner": "大药房", "lines": 1, "total": "150.00"},
                                 {"partner": "某公司", "lines": 1, "total": "200.00"}]


# --------------------------------------------------------------------------------------------------
# R7 Rejections first, 确认例外
# --------------------------------------------------------------------------------------------------

def test_R7_rejected_registration_credits_nobody_with_its_reason(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1", channel="诊所", partner="康复诊所")],   # no 医生, 电话
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1")])
    r = ok(settle(ws))
    assert perf(r, "S1") == "0.00"
    assert r.data["reconciliation"]["uncredited"] == {"incomplete_referral": {"count": 1, "fen": 100000}}
    assert r.data["rebates"] == []        # an unconfirmed referral earns its partner nothing
    assert codes(r, "incomplete_referral") == [("S1", None)]


def test_R7_confirmed_exception_lifts_R24_and_stays_listed(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1", channel="诊所", partner="康复诊所")],
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1")],
             adjust=[confirm(key="P1")])
    r = ok(settle(ws))
    # Confirmed: 诊所 rebate 15 % × 1000 = 150 → P = 850 → R11 25.50.
    assert perf(r, "S1") == "850.00"
    assert r.amount("S1", "general") == "25.50"
    assert r.data["rebates"] == [{"partner": "康复诊所", "lines": 1, "total": "150.00"}]
    [v] = r.violations("incomplete_referral")
    assert v["staff_id"] == "S1" and v["effect"] == "已确认例外"
    assert r.data["reconciliation"]["uncredited"] == {}


def test_R7_confirmed_exception_lifts_R22_by_card_and_R23_by_key(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 6, 10), "S1", "P1", card="C1"),     # visit 10:10 < 10:30: R22
                   reg(D(2024, 5, 6, 10), "S1", "P2")],               # visit 05-03: R23
             billing=[bill(D(2024, 5, 6, 10, 10), 1000, "P1", card="C1"),
                      bill(D(2024, 5, 3, 10), 500, "P2", status="未结算"),
                      bill(D(2024, 5, 7, 10), 2000, "P2")],
             adjust=[confirm(card="C1"), confirm(key="P2")])
    r = ok(settle(ws))
    assert perf(r, "S1") == "3000.00"
    assert [v["effect"] for v in r.violations("late_registration")] == ["已确认例外"]
    assert [v["effect"] for v in r.violations("existing_patient")] == ["已确认例外"]


def test_R7_exception_cannot_lift_R21(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 1, 9), "S1", "P1", card="C1"), reg(D(2024, 5, 2, 9), "S1", "P1", card="C2"),
                   reg(D(2024, 5, 3, 9), "S1", "P1", card="C3")],
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1", card="C3"), bill(D(2024, 5, 5, 11), 400, "P1", card="C1")],
             adjust=[confirm(card="C3")])
    r = ok(settle(ws))
    # The 确认例外 does not touch R21: still listed (not 已确认例外), still fined 100.
    [v] = r.violations("duplicate_card")
    assert v["card_no"] == "C3" and v["effect"] != "已确认例外"
    assert r.column("S1", "扣款") == "100.00"
    # C3 is the 3rd card: its line stays nobody's; only the C1 line (400) is S1's.
    assert r.data["reconciliation"]["uncredited"] == {"duplicate_card": {"count": 1, "fen": 100000}}
    assert perf(r, "S1") == "400.00"


def test_R7_exception_cannot_lift_R25(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "查无此人", "P1")],
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1")],
             adjust=[confirm(key="P1")])
    r = ok(settle(ws))
    assert r.data["reconciliation"]["uncredited"] == {"unknown_staff": {"count": 1, "fen": 100000}}
    assert len(r.violations("unknown_staff")) == 1


def test_R7_exception_in_earlier_month_applies(ws, settle):
    ws.staff(team())
    ws.month("2024-04",
             regs=[reg(D(2024, 4, 20, 9), "S1", "P1", card="C1")],
             billing=[bill(D(2024, 4, 20, 9, 10), 300, "P1", card="C1")],   # 09:10 < 09:30: R22
             adjust=[confirm(card="C1")])
    ws.month("2024-05", billing=[bill(D(2024, 5, 5, 10), 1000, "P1", card="C1")])
    r = ok(settle(ws))
    assert perf(r, "S1") == "1000.00"
    assert r.data["reconciliation"]["uncredited"] == {}
    # Listed in April (its 登记时间, detectable there), not again in May.
    assert r.violations("late_registration") == []


def test_R7_exception_does_not_cover_a_registration_after_its_month(ws, settle):
    ws.staff(team())
    ws.month("2024-04", adjust=[confirm(key="P1")])
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 10, 9), "S1", "P1")],
             billing=[bill(D(2024, 5, 10, 9, 5), 1000, "P1")])   # 09:05 < 09:30: R22
    r = ok(settle(ws))
    # The April 确认例外 covers registrations up to 04-30 only.
    assert perf(r, "S1") == "0.00"
    assert r.data["reconciliation"]["uncredited"] == {"late_registration": {"count": 1, "fen": 100000}}
    [v] = r.violations("late_registration")
    assert v["effect"] != "已确认例外"


def test_R3_tie_across_months_the_earlier_month_folder_wins(ws, settle):
    ws.staff(team())
    ws.month("2024-04", regs=[reg(D(2024, 4, 30, 9), "S1", "P1")])
    # A row dated 04-30 09:00 entered late in May's 登记表: same 登记时间, later month folder.
    ws.month("2024-05",
             regs=[reg(D(2024, 4, 30, 9), "S2", "P1")],
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1")])
    r = ok(settle(ws))
    assert perf(r, "S1") == "1000.00"
    assert perf(r, "S2") == "0.00"


def test_R3_conflicting_claims_both_in_april_not_listed_in_may(ws, settle):
    ws.staff(team())
    ws.month("2024-04", regs=[reg(D(2024, 4, 10, 9), "S1", "P1"), reg(D(2024, 4, 11, 9), "S2", "P1")])
    ws.month("2024-05", billing=[bill(D(2024, 5, 5, 10), 1000, "P1")])
    april = ok(settle(ws, "2024-04"))
    assert codes(april, "conflicting_claim") == [("S2", None)]
    r = ok(settle(ws))
    assert r.violations("conflicting_claim") == []
    assert perf(r, "S1") == "1000.00" and perf(r, "S2") == "0.00"


def test_R3_departed_owner_lapses_to_next_claim_with_network_half(ws, settle):
    ws.staff([person("S1", "王芳", left=dt.date(2024, 5, 15)), person("S2", "李娜"),
              person("N1", "网络甲", role="网络部", team=None)])
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1"), reg(D(2024, 5, 3, 9), "N1", "P1", channel="网络"),
                   reg(D(2024, 5, 16, 9), "S2", "P1")],   # after S1 left: not a 撞单
             billing=[bill(D(2024, 5, 20, 10), 2000, "P1", status="未结算", settled=None),
                      bill(D(2024, 5, 21, 10), 3000, "P1")])
    r = ok(settle(ws))
    # S2 registered 05-16, before any visit (05-20 is a visit of any status): no R22/R23.
    # The line settled 05-21 > 05-15: S1's claim lapsed, S2 owns; overlap with N1 → 3000 × 50 % = 1500 each.
    assert perf(r, "S2") == "1500.00"
    assert net(r, "N1") == "1500.00"
    assert perf(r, "S1") == "0.00"
    assert r.violations("conflicting_claim") == []


def test_R5_network_only_patient_has_a_window_too(ws, settle):
    ws.staff(team())
    ws.month("2024-03",
             regs=[reg(D(2024, 3, 1, 9), "N1", "P1", channel="网络")],
             billing=[bill(D(2024, 3, 10, 10), 800, "P1")])
    ws.month("2024-04")
    ws.month("2024-05", billing=[bill(D(2024, 5, 9, 10), 1000, "P1"), bill(D(2024, 5, 10, 10), 2000, "P1")])
    r = ok(settle(ws))
    assert net(r, "N1") == "1000.00"
    assert r.data["reconciliation"]["uncredited"] == {"out_of_window": {"count": 1, "fen": 200000}}


def test_R5_reason_order_R20_before_rejection(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 2, 9), "S1", "P1", channel="诊所")],        # R24
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1", card="X9"),         # R20 and R24: R20 shown
                      bill(D(2024, 5, 5, 11), 300, "P1")])                    # R24
    r = ok(settle(ws))
    assert r.data["reconciliation"]["uncredited"] == {"unregistered_card": {"count": 1, "fen": 100000},
                                                      "incomplete_referral": {"count": 1, "fen": 30000}}


def test_R2_R3_lines_on_the_later_claims_card_go_to_the_owner(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 1, 9), "S1", "P1"),
                   reg(D(2024, 5, 2, 9), "S2", "P1", card="C2")],   # 撞单, but not rejected
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1", card="C2")])
    r = ok(settle(ws))
    # R2: the card links the line to P1; R3: P1 is S1's.
    assert perf(r, "S1") == "1000.00"
    assert perf(r, "S2") == "0.00"
    assert codes(r, "conflicting_claim") == [("S2", "C2")]


def test_R7_line_on_a_rejected_registrations_card_credits_nobody(ws, settle):
    ws.staff(team())
    ws.month("2024-05",
             regs=[reg(D(2024, 5, 1, 9), "S1", "P1"),
                   reg(D(2024, 5, 2, 9), "S2", "P1", card="C2", channel="诊所", partner="康复诊所")],   # R24
             billing=[bill(D(2024, 5, 5, 10), 1000, "P1", card="C2"),    # links (R2) to the rejected card
                      bill(D(2024, 5, 6, 10), 500, "P1")])               # links by 患者标识: S1's
    r = ok(settle(ws))
    # R7: "Registrations rejected by R21–R25 are removed: their lines credit nobody and carry the reason."
    assert codes(r, "incomplete_referral") == [("S2", "C2")]
    assert r.violations("conflicting_claim") == []
    assert r.data["reconciliation"]["uncredited"] == {"incomplete_referral": {"count": 1, "fen": 100000}}
    assert perf(r, "S1") == "500.00"
