"""核对 — the month's arithmetic checks (SPEC §7): MONTH's settled billing (R1) = credited +
uncredited by reason, to the fen; the payslip and rebate totals; the lines that do not count.

Figures only (integer fen, Decimal totals); the 核对 sheet, settlement.json and the terminal
summary present them.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from settle.engine.crediting import REASON_ORDER
from settle.engine.model import Settlement
from settle.engine.money import r2

# MONTH's lines that do not count (R1), by 结算状态: not settled, in a course, settled in another month.
EXCLUDED_STATUSES = (("未结算", "未结算"), ("疗程中", "疗程中"), ("其他月份结算", "已结算"))


def reconciliation(s: Settlement) -> dict:
    """The 核对 figures of a settlement: counts and fen of MONTH's counting lines, credited and
    uncredited by reason (in REASON_ORDER), whether they balance, the payslip and rebate totals
    (R37: rounded once), and MONTH's excluded lines by status."""
    lines = s.credit.lines
    amount = lines["amount_fen"].to_numpy(dtype=np.int64)
    credited = lines["credited"].to_numpy(dtype=bool)
    out = {"total_count": int(len(lines)), "total_fen": int(amount.sum()),
           "credited_count": int(credited.sum()), "credited_fen": int(amount[credited].sum()), "uncredited": {}}
    reasons = lines["reason"].to_numpy(dtype=object)
    for reason in REASON_ORDER:
        m = reasons == reason
        if m.any():
            out["uncredited"][reason] = {"count": int(m.sum()), "fen": int(amount[m].sum())}
    out["uncredited_fen"] = sum(v["fen"] for v in out["uncredited"].values())
    out["balanced"] = out["credited_fen"] + out["uncredited_fen"] == out["total_fen"]
    out["payslip_total"] = str(r2(sum((p.total for p in s.payslips), Decimal(0))))
    totals = s.rebate_totals
    out["rebate_total"] = str(r2(sum(totals["total"], Decimal(0)))) if len(totals) else "0.00"
    interdept = getattr(s, "interdept", None)  # R42: the doctors' referral reward, paid in cash
    if interdept is not None:
        out["interdept_reward"] = str(interdept.total)
        out["interdept_successes"] = interdept.count("success")
    out["excluded"] = excluded_by_status(s.credit.excluded)
    return out


def excluded_by_status(ex) -> dict:
    """MONTH's lines that do not count (R1), {label: {count, fen}} for each status present."""
    out = {}
    if not len(ex):
        return out
    st = ex["status"].astype(object).fillna("")
    for label, status in EXCLUDED_STATUSES:
        m = (st == status).to_numpy(dtype=bool)
        if m.any():
            out[label] = {"count": int(m.sum()), "fen": int(ex["amount_fen"].to_numpy()[m].sum())}
    return out
