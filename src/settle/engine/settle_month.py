"""From credited lines to payslips: the month in one function (SPEC §5: R6, R8–R18, R21, R27–R41).

Each stage lives in a module named after what it owns: streams (提成), rebates (返款),
performance (业绩, R28/R29), components (R30–R35), limits (R12), reports (R27), adjustments
(R38), discipline (R43), newhire (R44), carry (R45), flags (违规). Each payslip line is rounded once, half-up, to the fen (R37).
"""

from __future__ import annotations

import pandas as pd

from settle.engine.adjustments import adjustment_lines, month_adjustments
from settle.engine.appeals import back_pay_lines
from settle.engine.carry import carry_in, carry_out
from settle.engine.components import TEAM_KINDS, PayContext, apply_component
from settle.engine.crediting import Credit
from settle.engine.discipline import discipline_lines, discipline_warnings
from settle.engine.flags import duplicate_card_fines, month_violations, negative_pay, performance_warnings
from settle.engine.model import Payslip, Settlement
from settle.engine.newhire import unpaid_reason, zero_unpaid
from settle.engine.money import ZERO, r2
from settle.engine.performance import (Factors, build_shares, network_performance, performance_factors,
                                       stream_performance)
from settle.engine.rebates import assign_rebates, rebate_totals
from settle.engine.reports import report_findings, report_fines
from settle.engine.streams import assign_streams, registration_commissions, stream_commissions, stream_order
from settle.engine.workdays import employed_days
from settle.load.workspace import Month
from settle.rules import schema as P


def payslip_holders(staff: pd.DataFrame, perf: dict, factor: Factors, month: Month, policy: P.Policy) -> list[Payslip]:
    """R40: a payslip for every 业务员, 主管 and 主任 employed on at least one day of MONTH (R44 marks
    the new hires who left within 7 days: their lines will be 0.00)."""
    holders = []
    for s in staff.itertuples():
        days = employed_days(s.hired_on, s.left_on, month) if s.role in ("业务员", "主管", "主任") else 0
        if days <= 0:
            continue
        sp = {k: v * factor(s.staff_id) for k, v in perf.get(s.staff_id, {}).items()}
        regular = pd.notna(s.regular_on) and s.regular_on <= pd.Timestamp(month.first_day)
        holders.append(Payslip(s.staff_id, s.name, s.role, s.team if isinstance(s.team, str) else "", days,
                               bool(regular), sum(sp.values(), ZERO), sp, unpaid_reason=unpaid_reason(s, policy)))
    return holders


def _pay_lines(ctx: PayContext, stream_lines: dict, credit: Credit, factor: Factors) -> None:
    """R13: components in policy order, the stream commissions right after the per-person ones."""
    regs = registration_commissions(credit.registrations, ctx.policy, ctx.month, factor)
    placed = False
    for comp in ctx.policy.pay:
        if isinstance(comp, TEAM_KINDS) and not placed:
            _add_streams(ctx, stream_lines, regs)
            placed = True
        apply_component(comp, ctx)
    if not placed:
        _add_streams(ctx, stream_lines, regs)


def _add_streams(ctx: PayContext, stream_lines: dict, reg_lines: dict) -> None:
    order = stream_order(ctx.policy)
    for sid, slip in ctx.by_id.items():
        got = {**stream_lines.get(sid, {}), **reg_lines.get(sid, {})}
        slip.lines.extend(got[s] for s in order if s in got)


def settle_month(inputs, credit: Credit, policy: P.Policy, holidays=(), history=None) -> Settlement:
    """The month: streams and 返款 on lines, 业绩 per person, payslips, fines, 调整, 违规."""
    month, staff, lines = inputs.month, inputs.staff, credit.lines
    lines["stream"] = assign_streams(lines, policy)
    rebates = assign_rebates(lines, policy)
    for c in rebates.columns:
        lines[c] = rebates[c]
    shares = build_shares(lines, policy)
    adj = month_adjustments(inputs.adjustments, month)
    factor = performance_factors(adj)
    perf = stream_performance(shares)
    holders = payslip_holders(staff, perf, factor, month, policy)
    by_id = {p.staff_id: p for p in holders}
    ctx = PayContext(month, policy, by_id, staff.set_index("staff_id"), shares)
    _pay_lines(ctx, stream_commissions(shares, perf, policy, factor), credit, factor)
    findings = report_findings(inputs.daily, staff, month, policy, holidays)
    for fines in (duplicate_card_fines(credit, month, policy), report_fines(findings, policy)):
        for sid, fine_lines in fines.items():
            if sid in by_id:
                by_id[sid].lines.extend(fine_lines)
    back_pay_lines(credit.appeals, by_id)   # SPEC §12: an approved R21 appeal cancels its fine
    unrecovered, flagged = _after_pay(ctx, adj, staff, history, holidays)
    totals = rebate_totals(lines)
    violations = month_violations(credit, findings, policy, totals, flagged)
    funds = []
    for f in policy.funds:  # R18 activity fund: summary only, nobody's pay
        base = sum((v.get(f.stream, ZERO) for v in perf.values()), ZERO)
        funds.append((f.id, f.name, base, f.rate, r2(base * f.rate)))
    network = network_performance(perf, staff, policy, factor)
    return Settlement(month, policy, credit, shares, holders, network, totals, violations, funds, staff, inputs,
                      unrecovered=unrecovered)


def _after_pay(ctx: PayContext, adj: pd.DataFrame, staff: pd.DataFrame, history, holidays) -> tuple[list, list]:
    """调整 (R38, R43), 上月欠款 (R45), R44's zeroing, then the flags raised on payslips (R41, R43,
    R39) and what R45 carries out. Returns (欠款未收回, flagged 违规 rows)."""
    month, policy, by_id = ctx.month, ctx.policy, ctx.by_id
    adjustment_lines(adj, by_id)
    discipline_lines(adj, by_id, policy)
    unrecovered = carry_in(history, month, by_id, staff.set_index("staff_id")["name"].to_dict())
    zero_unpaid(by_id)
    flagged = performance_warnings(history, by_id, month, policy) + discipline_warnings(adj, by_id, policy, holidays)
    flagged += negative_pay(by_id)
    return unrecovered + carry_out(by_id, month, policy, staff), flagged
