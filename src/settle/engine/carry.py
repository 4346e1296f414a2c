"""R45: a negative 应发合计 is carried forward — recorded in its own month as 结转至 MONTH+1 and
deducted as 上月欠款 on the next month's payslip; still negative, it carries on. A person who
left with a debt, or whose debt finds no payslip, is listed as 欠款未收回."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from settle.engine.model import PayLine, Payslip
from settle.load.workspace import Month
from settle.rules import schema as P


def carry_in(history, month: Month, by_id: dict[str, Payslip], names: dict) -> list[tuple]:
    """R45 上月欠款: what MONTH−1's settlement.json carried to MONTH, each a 扣款 line naming the
    month. Returns the debts that found no payslip (欠款未收回)."""
    prev = month.shift(-1)
    data = history.settlement(prev) if history is not None else None
    unrecovered = []
    for sid, person in (data or {}).get("people", {}).items():
        carried = person.get("carry_forward")
        if not carried or carried.get("to") != str(month):
            continue
        amount = Decimal(carried["amount"])
        if sid in by_id:
            by_id[sid].lines.append(PayLine("carried_debt", "上月欠款", "R45", "扣款", f"{prev} 应发合计", "",
                                            amount, detail=f"{prev} 应发合计 {amount} 结转至 {month}"))
        else:
            unrecovered.append((sid, names.get(sid, person.get("name", "")), str(prev), amount))
    return unrecovered


def carry_out(by_id: dict[str, Payslip], month: Month, policy: P.Policy, staff: pd.DataFrame) -> list[tuple]:
    """R45 结转至 MONTH+1: a negative total of someone still employed after MONTH is carried (when the
    policy says so); one who left by MONTH's end is listed as 欠款未收回 instead."""
    if not policy.carry_negative_pay:
        return []
    left = staff.set_index("staff_id")["left_on"].to_dict()
    unrecovered = []
    for sid, slip in by_id.items():
        if slip.total >= 0:
            continue
        gone = pd.notna(left.get(sid)) and left[sid] <= pd.Timestamp(month.last_day)
        if gone:
            unrecovered.append((sid, slip.name, str(month), slip.total))
            slip.flags.append(f"欠款未收回 {slip.total}（已离职，R45）")
        else:
            slip.carry_forward = slip.total
            slip.flags.append(f"结转至 {month.shift(1)}：{slip.total}（下月以上月欠款扣回，R45）")
    return unrecovered
