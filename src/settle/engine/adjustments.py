"""调整 rows on payslips (R38; R28/R29 are flags here, their effect is in performance.py)."""

from __future__ import annotations

import pandas as pd

from settle.engine.model import PayLine, Payslip
from settle.engine.money import ONE, ZERO, fmt_rate, yuan

MONEY_KINDS = {"奖励": ONE, "补发": ONE, "罚款": -ONE, "扣发": -ONE}


def month_adjustments(adjustments: pd.DataFrame, month) -> pd.DataFrame:
    """The 调整 rows of MONTH's own workbook."""
    return adjustments[adjustments["src_month"] == str(month)] if len(adjustments) else adjustments


def _reason(a) -> str:
    return a.reason if isinstance(a.reason, str) else ""


def adjustment_lines(adj: pd.DataFrame, by_id: dict[str, Payslip]) -> None:
    """R38: 奖励/补发 (+, in 奖励) and 罚款/扣发 (−, in 扣款), each its own line with 事由 and 批准人;
    扣业绩 (R28) and 取消业绩 (R29) are flagged on the payslip."""
    for a in adj.itertuples():
        if not (isinstance(a.staff_id, str) and a.staff_id in by_id):
            continue
        slip = by_id[a.staff_id]
        if a.kind in MONEY_KINDS:
            amt = yuan(a.amount_fen) if pd.notna(a.amount_fen) else ZERO
            sign = MONEY_KINDS[a.kind]
            slip.lines.append(PayLine(
                "adjustment", a.kind, "R38", "奖励" if sign > 0 else "扣款", _reason(a),
                f"批准人 {a.approved_by}", sign * amt,
                detail=f"调整 {a.src_file} 第 {a.src_row} 行：{_reason(a)}（批准人 {a.approved_by}）"))
        elif a.kind in ("扣业绩", "取消业绩"):
            slip.flags.append(f"{a.kind}{'' if a.kind == '取消业绩' else ' ' + fmt_rate(a.percent or ZERO)}"
                              f"（{_reason(a)}，批准人 {a.approved_by}）")
