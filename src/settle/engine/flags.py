"""The month's 违规 besides crediting's (R20–R26): R21 fines on payslips, R27 rows, R17 大额返款,
R41 业绩不达标预警 and R39 负数工资."""

from __future__ import annotations

import pandas as pd

from settle.engine.card_checks import violation_row
from settle.engine.crediting import Credit
from settle.engine.model import PayLine, Payslip
from settle.engine.reports import report_violations
from settle.load.workspace import Month
from settle.rules import schema as P


def duplicate_card_fines(credit: Credit, month: Month, policy: P.Policy) -> dict[str, list[PayLine]]:
    """R21 重复办卡 扣款: the fine per extra card, to its registrant, in the month it was registered."""
    out: dict[str, list[PayLine]] = {}
    regs = credit.registrations
    extra = regs[regs["extra_card"].to_numpy(dtype=bool) & (regs["reg_month"] == str(month)).to_numpy()]
    fine = policy.violations.duplicate_card_fine
    for sid, grp in extra.groupby("staff_id", observed=True):
        n = len(grp)
        out.setdefault(sid, []).append(PayLine(
            "duplicate_card_fine", "重复办卡罚款", "R21", "扣款", f"{n} 张", f"{fine} 元/张", -n * fine,
            detail="多办卡号：" + "、".join(str(c) for c in grp["card_no"])))
    return out


def large_rebates(totals: pd.DataFrame, policy: P.Policy) -> list[dict]:
    """R17 大额返款: a partner whose month's 返款 reaches the threshold is paid by finance in person."""
    if policy.large_rebate_threshold is None:
        return []
    return [violation_row("large_rebate", partner=t.partner, amount=str(t.total),
                          detail=f"{t.partner} 本月返款合计 {t.total}", effect="财务当面支付")
            for t in totals.itertuples() if t.total >= policy.large_rebate_threshold]


def performance_warnings(history, by_id: dict[str, Payslip], month: Month, policy: P.Policy) -> list[dict]:
    """R41 业绩不达标预警: a flag for the director (listed and on the payslip), not an action."""
    rows = []
    if history is not None:
        for sid, conditions in history.warnings(by_id, month, policy).items():
            rows.append(violation_row("performance_warning", staff_id=sid, detail="；".join(conditions),
                                      effect="提醒主任，不影响工资"))
            by_id[sid].flags.append("业绩不达标预警：" + "；".join(conditions))
    return rows


def negative_pay(by_id: dict[str, Payslip]) -> list[dict]:
    """R39 负数工资: a negative 应发合计 is shown as is and flagged, never floored."""
    rows = []
    for slip in by_id.values():
        if slip.total < 0:
            rows.append(violation_row("negative_pay", staff_id=slip.staff_id, amount=str(slip.total),
                                      detail=f"应发合计 {slip.total}", effect="按实际金额列示，未做保底"))
            slip.flags.append("负数工资")
    return rows


def month_violations(credit: Credit, findings: pd.DataFrame, policy: P.Policy, totals: pd.DataFrame,
                     flagged: list[dict]) -> pd.DataFrame:
    """Every row of MONTH's 违规, in the order they are listed: crediting's (R20–R26), R27, R17,
    then the flags raised on payslips."""
    rows = credit.violations.to_dict("records") + report_violations(findings, policy)
    rows += large_rebates(totals, policy) + flagged
    return pd.DataFrame(rows, columns=list(violation_row("unregistered_card").keys()))
