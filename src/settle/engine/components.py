"""Pay components as a registry by type (R30–R35, R18 leader): each type has a check of its own
configuration, run when the rules are loaded (before any row is read), and one function that
makes a payslip its line."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

import numpy as np
import pandas as pd

from settle.engine.limits import limit_errors, limited
from settle.engine.model import PayLine, Payslip
from settle.engine.money import ONE, ZERO, fmt_money, fmt_rate, perf_of, yuan
from settle.load.workspace import Month
from settle.rules import schema as P


@dataclass
class PayContext:
    """What a component reads besides the payslip: the month, every payslip, the roster."""

    month: Month
    policy: P.Policy
    by_id: dict[str, Payslip]
    staff: pd.DataFrame            # indexed by staff_id
    shares: pd.DataFrame

    def team_members(self, slip: Payslip) -> list[Payslip]:
        """R34: the 业务员 of the supervisor's team with a payslip in MONTH."""
        return [p for p in self.by_id.values() if p.role == "业务员" and p.team and p.team == slip.team]


def _days(slip: Payslip, month: Month, prorate: bool) -> Decimal:
    return Decimal(slip.employed_days) / month.days if prorate else ONE


def _quota_factor(comp: P.BasePay, slip: Payslip, ctx: PayContext) -> tuple[Decimal, str]:
    """R30 达不到要求按完成的比例发放: own completion, or the director's mean of regular 业务员."""
    if comp.quota is not None and comp.quota_on == "own" and slip.regular:
        return (min(ONE, max(ZERO, slip.performance) / comp.quota),
                f" × 完成率 min(1, {fmt_money(max(ZERO, slip.performance))}/{comp.quota})")
    if comp.quota is not None and comp.quota_on == "department_mean_regular":
        regs_ = [p for p in ctx.by_id.values() if p.role == "业务员" and p.regular]
        if not regs_:
            return ONE, " × 1（无正式业务员）"
        mean = sum((p.performance for p in regs_), ZERO) / len(regs_)
        return min(ONE, max(ZERO, mean / comp.quota)), f" × min(1, max(0, 正式业务员人均业绩 {fmt_money(mean)}/{comp.quota}))"
    return ONE, ""


def base_pay(comp: P.BasePay, slip: Payslip, ctx: PayContext) -> PayLine | None:
    """R30 基本工资: amount (or the roster's 基本工资) × employed days / days × quota factor."""
    st, month = ctx.staff.loc[slip.staff_id], ctx.month
    amount, src = comp.amount, ""
    if pd.notna(st["base_salary_fen"]):
        amount, src = yuan(st["base_salary_fen"]), "（人员名单基本工资）"
    quota_factor, qtext = _quota_factor(comp, slip, ctx)
    return PayLine(comp.id, comp.name, comp.rule, "基本工资", f"{amount}{src}",
                   f"{slip.employed_days}/{month.days} 天", amount * _days(slip, month, comp.prorate) * quota_factor,
                   detail=f"{amount} × {slip.employed_days}/{month.days}{qtext}")


def allowance(comp: P.Allowance, slip: Payslip, ctx: PayContext) -> PayLine | None:
    """R31 补贴 (高温补贴): amount × employed days / days, in the listed months only."""
    month = ctx.month
    if month.month not in comp.months:
        return None
    return PayLine(comp.id, comp.name, comp.rule, "补贴", str(comp.amount), f"{slip.employed_days}/{month.days} 天",
                   comp.amount * _days(slip, month, comp.prorate),
                   detail=f"{comp.amount} × {slip.employed_days}/{month.days}")


def assessment(comp: P.Assessment, slip: Payslip, ctx: PayContext) -> PayLine | None:
    """R33 绩效考核: regular amount × min(1, max(0, 业绩)/quota); in probation amount × 试用期考核系数."""
    if slip.regular:
        ratio = min(ONE, max(ZERO, slip.performance) / comp.quota)
        return PayLine(comp.id, comp.name, comp.rule, "绩效考核", str(comp.amount),
                       f"完成率 {fmt_rate(ratio)}" if ratio == ratio.quantize(Decimal("0.0001")) else "完成率",
                       comp.amount * ratio,
                       detail=f"{comp.amount} × min(1, {fmt_money(max(ZERO, slip.performance))}/{comp.quota})")
    raw = ctx.staff.loc[slip.staff_id]["probation_rating"]
    rating = raw if raw is not None and not (isinstance(raw, float) and np.isnan(raw)) else ONE
    return PayLine(comp.id, comp.name, comp.rule, "绩效考核", str(comp.amount), f"试用期考核系数 {fmt_rate(rating)}",
                   comp.amount * rating, detail=f"试用期：{comp.amount} × {fmt_rate(rating)}")


def management_bonus(comp: P.ManagementBonus, slip: Payslip, ctx: PayContext) -> PayLine | None:
    """R34 管理奖金: the lowest 绩效考核 among the team's 业务员 with a payslip (0 when none); R44's
    leavers within 7 days are left out."""
    # R44: a leaver within 7 days is not among them (their assessment is never paid).
    values = [(l.amount, m.name) for m in ctx.team_members(slip) if not m.unpaid_reason
              for l in m.lines if l.component == comp.assessment]
    low = min(values) if values else (ZERO, "")
    return PayLine(comp.id, comp.name, comp.rule, "管理奖金", "本组业务员最低绩效考核", "", low[0],
                   detail=(f"本组最低：{low[1]} {low[0]}" if values else "本组无业务员"))


def team_commission(comp: P.TeamCommission, slip: Payslip, ctx: PayContext) -> PayLine | None:
    """R34 团队提成: rate × max(0, Σ 业绩 of the team's 业务员 with a payslip)."""
    total = sum((m.performance for m in ctx.team_members(slip)), ZERO)
    base = max(ZERO, total)
    return PayLine(comp.id, comp.name, comp.rule, "团队提成", fmt_money(base), fmt_rate(comp.rate),
                   base * comp.rate, detail=f"本组业务员业绩合计 {fmt_money(total)} × {fmt_rate(comp.rate)}")


def department_commission(comp: P.DepartmentCommission, slip: Payslip, ctx: PayContext) -> PayLine | None:
    """R35 主任 团队提成: tiers (超额累进) on the department's total 业绩; never negative."""
    total = sum((p.performance for p in ctx.by_id.values() if p.role in comp.of_roles), ZERO)
    amount, how = comp.table().apply(total)
    return PayLine(comp.id, comp.name, comp.rule, "团队提成", fmt_money(total),
                   "超额累进" if comp.mode == "marginal" else how, amount, detail=f"部门总业绩 {fmt_money(total)}：{how}")


def stream_leader(comp: P.StreamLeaderCommission, slip: Payslip, ctx: PayContext) -> PayLine | None:
    """R18 义诊小组 leader: rate × the team's own 义诊 业绩 (the owner side; a 网络部 half is not theirs)."""
    if not slip.team:
        return None
    sh = ctx.shares
    mine = sh[(sh["stream"] == comp.stream) & (sh["reg_clinic_team"] == slip.team) & (sh["side"] == "owner")]
    if not len(mine):
        return None
    base = perf_of(mine.groupby("share_u", as_index=False)["net_u"].sum())
    return PayLine(comp.id, comp.name, comp.rule, "团队提成", fmt_money(base), fmt_rate(comp.rate), base * comp.rate,
                   detail=f"{slip.team} 小组{comp.stream}业绩 {fmt_money(base)} × {fmt_rate(comp.rate)}")


def _positive(field_name: str) -> Callable[[object, str, P.Policy], list[str]]:
    def check(comp, path: str, policy: P.Policy) -> list[str]:
        value = getattr(comp, field_name)
        return [f"{path}.{field_name}: must be above 0, not {value}"] if value is not None and value <= 0 else []
    return check


def _no_check(comp, path: str, policy: P.Policy) -> list[str]:
    return []


def _assessment_named(comp: P.ManagementBonus, path: str, policy: P.Policy) -> list[str]:
    """R34: the bonus copies an assessment (R33) component's line."""
    kinds = {c.id: type(c) for c in policy.pay}
    if kinds.get(comp.assessment, P.Assessment) is not P.Assessment:
        return [f"{path}.assessment: '{comp.assessment}' is not an assessment component"]
    return []


# component type -> (check of its own configuration, the line of one payslip)
COMPONENT_KINDS: dict[type, tuple[Callable, Callable]] = {
    P.BasePay: (_positive("quota"), base_pay),
    P.Allowance: (_no_check, allowance),
    P.Assessment: (_positive("quota"), assessment),
    P.ManagementBonus: (_assessment_named, management_bonus),
    P.TeamCommission: (_no_check, team_commission),
    P.DepartmentCommission: (_no_check, department_commission),
    P.StreamLeaderCommission: (_no_check, stream_leader),
}
TEAM_KINDS = (P.ManagementBonus, P.TeamCommission, P.DepartmentCommission, P.StreamLeaderCommission)


def check_policy(policy: P.Policy) -> list[str]:
    """Every component's and stream's check of its own configuration (R12 limits included), each
    message starting with its key path; run as the rules load, before any row is read."""
    errors: list[str] = []
    for i, comp in enumerate(policy.pay):
        path = f"pay[{i}]"
        errors += COMPONENT_KINDS[type(comp)][0](comp, path, policy) + limit_errors(comp, path)
    for i, s in enumerate(policy.streams):
        errors += limit_errors(s, f"streams[{i}]")
    return errors


def apply_component(comp, ctx: PayContext) -> None:
    """Add the component's line (capped/floored, R12) to each payslip of its roles."""
    make = COMPONENT_KINDS[type(comp)][1]
    for slip in ctx.by_id.values():
        if slip.role in comp.roles:
            line = make(comp, slip, ctx)
            if line is not None:
                slip.lines.append(limited(line, comp.cap, comp.floor))
