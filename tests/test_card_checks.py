"""The card checks and crediting as library functions (SPEC §4, §6): R24's listed fields, R26
撞单 against a plain claim-by-claim reading, the violations catalogue, the 核对 identity, and
the engine's function-size rule.

These call engine/card_checks.py and engine/crediting.py on small frames built here; the
end-to-end behaviour of each rule is in test_violations.py and test_crediting.py.
"""

from __future__ import annotations

import ast
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from settle.engine.card_checks import (
    REJECTION_ORDER,
    VIOLATION_COLUMNS,
    card_violations,
    incomplete_referral,
    mark_conflicts,
    violation_row,
)
from settle.engine.crediting import REASON_ORDER
from settle.load.workspace import Month
from settle.problems import VIOLATIONS

ENGINE = Path(__file__).resolve().parent.parent / "src" / "settle" / "engine"
MAY = Month.parse("2024-05")


def text(values):
    return pd.array(values, dtype="string[pyarrow]")


# --- R24 ---------------------------------------------------------------------------------------------

def test_R24_missing_fields_are_named_in_the_rules_order():
    """R24: 诊所 needs 合作单位, 转诊医生, 联系电话; 工厂 needs 合作单位; 义诊 needs nothing."""
    regs = pd.DataFrame({
        "channel": text(["诊所", "诊所", "工厂", "工厂", "义诊", None]),
        "partner": text(["A", None, None, "B", None, None]),
        "referrer": text([None, "王医生", None, None, None, None]),
        "referrer_phone": text([None, None, "138", None, None, None]),
    })
    required = {"诊所": ("partner", "referrer", "referrer_phone"), "工厂": ("partner",)}
    incomplete_referral(regs, required)
    assert regs["incomplete_referral"].tolist() == [True, True, True, False, False, False]
    assert regs["missing_fields"].tolist() == ["转诊医生、联系电话", "合作单位、联系电话", "合作单位", "", "", ""]


# --- R26 ---------------------------------------------------------------------------------------------

def claims_frame(rows) -> pd.DataFrame:
    """Claims as crediting.resolve_claims returns them: in claim order, with 离职日期."""
    f = pd.DataFrame(rows, columns=["staff_id", "patient_key", "registered_at", "left_on", "is_network"])
    f["staff_id"] = text(f["staff_id"])
    f["patient_key"] = text(f["patient_key"])
    f["registered_at"] = pd.to_datetime(f["registered_at"])
    f["left_on"] = pd.to_datetime(f["left_on"])
    f["is_network"] = f["is_network"].astype(bool)
    f.index = f.index * 10 + 3  # labels that are not positions, as after the rejections
    return f.sort_values("registered_at", kind="stable")


def conflicts_by_reading(claims: pd.DataFrame) -> dict:
    """R26 read claim by claim: a claim conflicts with the earliest earlier claim (not 网络部) of
    the same patient whose registrant had not left before this claim's day, if it is another's."""
    by_patient = defaultdict(list)
    for c in claims.itertuples():
        if not c.is_network:
            by_patient[c.patient_key].append(c)
    out = {}
    for rows in by_patient.values():
        for i, c in enumerate(rows):
            owner = next((e for e in rows[:i]
                          if pd.isna(e.left_on) or c.registered_at.normalize() <= e.left_on), None)
            if owner is not None and owner.staff_id != c.staff_id:
                out[c.Index] = owner.staff_id
    return out


def test_R26_owner_lapses_at_departure_and_network_never_conflicts():
    """P1: S1 (left 05-10) 05-01, S2 05-05 → 撞单 with S1; S3 05-12 → S1 has left, S2 owns:
    撞单 with S2. P2: 网络部 N1 05-01, S4 05-02: no 撞单 (R4). P3: S5 twice: the owner again."""
    claims = mark_conflicts(claims_frame([
        ("S1", "P1", "2024-05-01 09:00", "2024-05-10", False),
        ("S2", "P1", "2024-05-05 09:00", None, False),
        ("S3", "P1", "2024-05-12 09:00", None, False),
        ("N1", "P2", "2024-05-01 09:00", None, True),
        ("S4", "P2", "2024-05-02 09:00", None, False),
        ("S5", "P3", "2024-05-01 09:00", None, False),
        ("S5", "P3", "2024-05-03 09:00", None, False),
    ]))
    got = {(r.staff_id, r.patient_key): r.conflict_with for r in claims.itertuples() if r.conflict}
    assert got == {("S2", "P1"): "S1", ("S3", "P1"): "S2"}


def test_R26_on_the_departure_day_the_leaver_still_owns():
    """S1 leaves 05-10; S2 claims on 05-10 at 15:00: that day S1 is still employed → 撞单."""
    claims = mark_conflicts(claims_frame([
        ("S1", "P1", "2024-05-01 09:00", "2024-05-10", False),
        ("S2", "P1", "2024-05-10 15:00", None, False),
    ]))
    assert claims["conflict_with"].tolist() == [None, "S1"]


@pytest.mark.parametrize("seed", range(40))
def test_R26_columnar_agrees_with_a_claim_by_claim_reading(seed):
    rnd = random.Random(seed)
    rows = []
    for _ in range(rnd.randint(1, 40)):
        day = rnd.randint(1, 28)
        left = None if rnd.random() < 0.6 else f"2024-05-{rnd.randint(1, 28):02d}"
        rows.append((f"S{rnd.randint(1, 5)}", f"P{rnd.randint(1, 6)}", f"2024-05-{day:02d} {rnd.randint(8, 17)}:00",
                     left, rnd.random() < 0.2))
    claims = claims_frame(rows)
    want = conflicts_by_reading(claims)
    got = mark_conflicts(claims.copy())
    assert {i: got.at[i, "conflict_with"] for i in got.index[got["conflict"].to_numpy()]} == want
    assert got.loc[~got["conflict"].to_numpy(), "conflict_with"].isna().all()


# --- the catalogue and the listing -------------------------------------------------------------------

def test_violation_kinds_carry_the_rule_and_name_of_SPEC_section_6():
    spec = {"unregistered_card": ("R20", "未登记卡"), "duplicate_card": ("R21", "重复办卡"),
            "late_registration": ("R22", "转诊迟报"), "existing_patient": ("R23", "老患者"),
            "incomplete_referral": ("R24", "转诊信息不全"), "unknown_staff": ("R25", "人员不存在"),
            "conflicting_claim": ("R26", "撞单"), "late_report": ("R27", "日报迟交"),
            "missing_report": ("R27", "日报缺失"), "performance_warning": ("R41", "业绩不达标预警"),
            "negative_pay": ("R39", "负数工资"), "large_rebate": ("R17", "大额返款"),
            "discipline_warning": ("R43", "辞退预警")}  # SPEC §11 R43
    assert {code: (k.rule, k.zh) for code, k in VIOLATIONS.items()} == spec
    assert all(k.en for k in VIOLATIONS.values())
    # Every card check the listing emits has its effect in both languages.
    for code in ("unregistered_card", *REJECTION_ORDER, "conflicting_claim"):
        assert VIOLATIONS[code].effect_zh and VIOLATIONS[code].effect_en, code
    assert list(violation_row("negative_pay", amount="-1.00")) == list(VIOLATION_COLUMNS)


def test_unregistered_cards_are_listed_column_by_column_as_row_by_row():
    """R20: two counting lines on cards nobody registered; the listing's columns, built as whole
    columns, hold what one violation_row per line would."""
    lines = pd.DataFrame({"unregistered_card": [True, False, True], "src_file": ["b.xlsx"] * 3,
                          "src_sheet": ["Sheet1"] * 3, "src_row": [2, 3, 4],
                          "card_no": text(["C9", None, "C8"]), "patient_key": text(["P1", "P2", None]),
                          "record_no": text(["001", "002", "003"])})
    flags = {c: bool for c in (*REJECTION_ORDER, "extra_card", "confirmed", "conflict")}
    texts = ("staff_id", "salesperson", "card_no", "patient_key", "src_file", "src_sheet", "src_row", "missing_fields",
             "listed_month", "conflict_with", *(c + "_listed_in" for c in REJECTION_ORDER))
    regs = pd.DataFrame({**{c: pd.Series(dtype=t) for c, t in flags.items()},
                         **{c: pd.Series(dtype=object) for c in texts}})  # no registration flagged
    claims = regs
    got = card_violations(lines, regs, claims, MAY)
    want = pd.DataFrame([violation_row("unregistered_card", file="b.xlsx", sheet="Sheet1", row=r, card_no=c,
                                       patient_key=p, record_no=n, detail=f"卡号 {c} 无登记", effect="不计业绩")
                         for r, c, p, n in ((2, "C9", "P1", "001"), (4, "C8", pd.NA, "003"))],
                        columns=list(VIOLATION_COLUMNS))
    pd.testing.assert_frame_equal(got, want)


def test_reasons_order_is_R20_the_R7_rejections_then_R5_then_walk_in():
    assert REASON_ORDER == ("unregistered_card", "duplicate_card", "late_registration", "existing_patient",
                            "incomplete_referral", "unknown_staff", "out_of_window", "departed", "walk_in")


# --- the engine's shape ----------------------------------------------------------------------------

# Modules of engine/ held to the rule now; engine/pay.py joins them once it is split (issue 9).
SIZED = ("crediting.py", "card_checks.py", "reconcile.py", "joins.py", "history.py", "pipeline.py")


@pytest.mark.parametrize("module", SIZED)
def test_no_engine_function_over_60_lines(module):
    tree = ast.parse((ENGINE / module).read_text(encoding="utf-8"))
    long = [(n.name, n.end_lineno - n.lineno + 1) for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > 60]
    assert long == []


def test_rule_functions_cite_their_rule():
    """Each public function of crediting and card_checks names the rule it implements."""
    import re
    for module in ("crediting.py", "card_checks.py"):
        tree = ast.parse((ENGINE / module).read_text(encoding="utf-8"))
        for n in tree.body:
            if isinstance(n, ast.FunctionDef) and not n.name.startswith("_") and n.name not in ("credit_month",):
                doc = ast.get_docstring(n) or ""
                assert re.search(r"\bR\d+\b", doc), f"{module}:{n.name}"


def test_reconciliation_balances_by_reason():
    """核对: 3 lines of 100.00, 50.00 (credited) and 25.00 (自然来诊) → 175.00 = 150.00 + 25.00."""
    from types import SimpleNamespace

    from settle.engine.reconcile import reconciliation

    lines = pd.DataFrame({"amount_fen": np.array([10000, 5000, 2500]), "credited": [True, True, False],
                          "reason": np.array([None, None, "walk_in"], dtype=object)})
    excluded = pd.DataFrame({"status": ["疗程中", "已结算"], "amount_fen": [700, 300]})
    s = SimpleNamespace(credit=SimpleNamespace(lines=lines, excluded=excluded), payslips=[],
                        rebate_totals=pd.DataFrame(columns=["partner", "lines", "total"]))
    rec = reconciliation(s)
    assert (rec["total_fen"], rec["credited_fen"], rec["uncredited_fen"], rec["balanced"]) == (17500, 15000, 2500, True)
    assert rec["uncredited"] == {"walk_in": {"count": 1, "fen": 2500}}
    assert rec["excluded"] == {"疗程中": {"count": 1, "fen": 700}, "其他月份结算": {"count": 1, "fen": 300}}
