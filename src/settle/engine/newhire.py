"""R44 (seed 003 七.5): 新业务员在7天内自动离职的不与结算工资 — a new hire who leaves on their own
within 7 days is not paid for the month(s) they worked. This amends R40."""

from __future__ import annotations

import pandas as pd

from settle.engine.model import PayLine, Payslip
from settle.engine.money import ZERO
from settle.rules import schema as P

LEFT_ON_THEIR_OWN = ("", "自动离职")   # 离职类型 empty or 自动离职; 辞退 is paid as R40 says


def leaves_within_days(person, policy: P.Policy) -> bool:
    """R44: a role of the rule whose 离职日期 is within `within_days` (both days counted) of 入职日期,
    and whose 离职类型 is empty or 自动离职."""
    rule = policy.new_hire_leaver
    if rule is None or person.role not in rule.roles or pd.isna(person.left_on) or pd.isna(person.hired_on):
        return False
    kind = person.leave_type if isinstance(person.leave_type, str) else ""
    return kind in LEFT_ON_THEIR_OWN and (person.left_on - person.hired_on).days + 1 <= rule.within_days


def unpaid_reason(person, policy: P.Policy) -> str:
    """The reason printed on the payslip, or "" when R44 does not apply."""
    if not leaves_within_days(person, policy):
        return ""
    days = (person.left_on - person.hired_on).days + 1
    return (f"入职 {person.hired_on:%Y-%m-%d}、离职 {person.left_on:%Y-%m-%d}（{days} 天，"
            f"{person.leave_type if isinstance(person.leave_type, str) else '自动离职'}）："
            f"新业务员在{policy.new_hire_leaver.within_days}天内自动离职的不与结算工资（R44）")


def zero_unpaid(by_id: dict[str, Payslip]) -> None:
    """R44: every line of such a payslip — adjustments, R21 and R27 included — becomes 0.00, with
    the reason; their 业绩 still counts for R34's team and R35's department totals."""
    for slip in by_id.values():
        if slip.unpaid_reason:
            slip.lines = [PayLine(l.component, l.name, l.rule, l.column, l.base, l.rate, ZERO,
                                  detail=f"{l.detail}；不予结算（原 {l.amount}，R44）") for l in slip.lines]
            slip.flags.append(slip.unpaid_reason)


def spans_closed_month(person, month, policy: P.Policy) -> bool:
    """R44: such a hire began in the month before MONTH (zeroed in both months)."""
    return leaves_within_days(person, policy) and person.hired_on < pd.Timestamp(month.first_day) \
        and person.left_on >= pd.Timestamp(month.first_day)
