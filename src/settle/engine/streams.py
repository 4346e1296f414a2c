"""提成 — commission streams as a registry by commission type (R8–R14, R18, plan A's 孕妇课).

A stream of credited lines (R8–R11, R18) pays on the person's 业绩 in it; a registration stream
(R14 劳务工, 孕妇课) pays per registration of MONTH. Each commission type has one function with
one signature (tests/test_commissions.py checks that every type the schema admits is registered).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

import numpy as np
import pandas as pd

from settle.engine.limits import limited
from settle.engine.matching import match_mask
from settle.engine.model import PayLine
from settle.engine.money import ONE, U, ZERO, fmt_money, fmt_rate, perf_of
from settle.engine.performance import Factors
from settle.load.workspace import Month
from settle.rules import schema as P


def assign_streams(lines: pd.DataFrame, policy: P.Policy) -> np.ndarray:
    """R13: each credited line's stream, the first whose `match:` selects it."""
    stream = np.full(len(lines), None, dtype=object)
    free = np.ones(len(lines), dtype=bool)
    for s in policy.streams:
        hit = free & match_mask(lines, s.match)
        stream[hit] = s.id
        free &= ~hit
    return stream


@dataclass(frozen=True)
class StreamPay:
    """What a stream's commission is computed from, for one person."""

    stream: P.Stream
    staff_id: str
    performance: Decimal       # the person's 业绩 in the stream, after R28/R29
    factor: Decimal            # the R28/R29 multiplier
    groups: dict               # the commission type's own grouping over all people (prepare)

    @property
    def note(self) -> str:
        return "" if self.factor == ONE else f"（已按扣业绩系数 {fmt_rate(self.factor)} 调整）"


def _no_groups(shares: pd.DataFrame, ids: list[str]) -> dict:
    return {}


def _percent(p: StreamPay) -> PayLine:
    """R8/R9 提成: rate × the stream's 业绩."""
    s, c = p.stream, p.stream.commission
    return PayLine(s.id, s.name, s.rule, "提成", fmt_money(p.performance), fmt_rate(c.rate), p.performance * c.rate,
                   detail=f"{s.name}业绩 {fmt_money(p.performance)} × {fmt_rate(c.rate)}{p.note}")


def _tiers(p: StreamPay) -> PayLine:
    """R10/R36 提成 on brackets of 业绩: 全额累进 (whole) or 超额累进 (marginal)."""
    s, c, perf = p.stream, p.stream.commission, p.performance
    amount, how = c.table().apply(perf)
    detail = (f"全额累进：{fmt_money(perf)} × {how}" if c.mode == "whole" and perf > 0
              else f"超额累进：{how}" if perf > 0 else f"业绩 {fmt_money(perf)} ≤ 0，不提成")
    return PayLine(s.id, s.name, s.rule, "提成", fmt_money(perf), how if c.mode == "whole" else "超额累进", amount,
                   detail=detail + p.note)


def _category_groups(shares: pd.DataFrame, ids: list[str]) -> dict:
    out: dict[tuple, dict] = {}
    sub = shares[shares["stream"].isin(ids).to_numpy(dtype=bool)]
    g = sub.groupby(["staff_id", "stream", "category", "share_u"], observed=True)["net_u"].sum()
    for (sid, stream, cat, share_u), net_u in g.items():
        out.setdefault((sid, stream), {}).setdefault(cat, []).append((int(share_u), int(net_u)))
    return out


def _percent_by_category(p: StreamPay) -> PayLine:
    """R18 义诊 提成: a rate per 项目类别 of the stream's 业绩 (妇科 7 %, 顺产 8 %, 剖宫产 9 %)."""
    s, c = p.stream, p.stream.commission
    total, parts = ZERO, []
    for cat, pairs in sorted(p.groups.get((p.staff_id, s.id), {}).items()):
        cp = perf_of(pd.DataFrame(pairs, columns=["share_u", "net_u"])) * p.factor
        rate = c.rates.get(cat, ZERO)
        total += cp * rate
        parts.append(f"{cat} {fmt_money(cp)}×{fmt_rate(rate)}")
    return PayLine(s.id, s.name, s.rule, "提成", fmt_money(p.performance), "按项目类别", total,
                   detail="；".join(parts) + p.note)


def _case_groups(shares: pd.DataFrame, ids: list[str]) -> dict:
    """Cases per (person, stream): a patient's net positive 项目类别 is one case, a net refund −1."""
    out: dict[tuple, dict] = {}
    sub = shares[shares["stream"].isin(ids).to_numpy(dtype=bool)]
    net = sub.groupby(["staff_id", "stream", "patient", "category", "share_u"], observed=True)["amount_fen"].sum()
    sign = np.sign(net.to_numpy())
    counted = pd.Series(sign, index=net.index).groupby(level=["staff_id", "stream", "category", "share_u"],
                                                       observed=True).sum()
    for (sid, stream, cat, share_u), n in counted.items():
        if n:
            out.setdefault((sid, stream), {})[(cat, int(share_u))] = int(n)
    return out


def _per_case(p: StreamPay) -> PayLine:
    """R11 提成 per case (工伤, 体检 …): amount per 项目类别 × cases × share."""
    s, c = p.stream, p.stream.commission
    total, counts = ZERO, {}
    for (cat, share_u), n in p.groups.get((p.staff_id, s.id), {}).items():
        share = Decimal(share_u) / U
        total += n * c.amounts.get(cat, ZERO) * share
        counts[(cat, share)] = counts.get((cat, share), 0) + n
    total *= p.factor
    parts = [f"{cat} {n}例×{c.amounts.get(cat, ZERO)}" + ("" if share == ONE else f"×{fmt_rate(share)}")
             for (cat, share), n in sorted(counts.items(), key=lambda kv: (str(kv[0][0]), kv[0][1]))]
    return PayLine(s.id, s.name, s.rule, "提成", f"{sum(counts.values())} 例", "按例", total,
                   detail="；".join(parts) + p.note if parts else "无病例" + p.note)


# commission type -> (grouping over all people, once; the line of one person)
STREAM_KINDS: dict[type, tuple[Callable, Callable[[StreamPay], PayLine]]] = {
    P.Percent: (_no_groups, _percent),
    P.TieredCommission: (_no_groups, _tiers),
    P.PercentByCategory: (_category_groups, _percent_by_category),
    P.PerCase: (_case_groups, _per_case),
}


def stream_commissions(shares: pd.DataFrame, perf: dict, policy: P.Policy,
                       factor: Factors) -> dict[str, dict[str, PayLine]]:
    """R8–R11, R18 提成 per person and stream, each capped/floored by its stream (R12)."""
    groups: dict[type, dict] = {}
    for kind, (prepare, _) in STREAM_KINDS.items():
        ids = [s.id for s in policy.streams if type(s.commission) is kind]
        groups[kind] = prepare(shares, ids) if ids and len(shares) else {}
    out: dict[str, dict[str, PayLine]] = {}
    for s in policy.streams:
        kind = type(s.commission)
        for sid, streams in perf.items():
            if s.id in streams:
                f = factor(sid)
                line = STREAM_KINDS[kind][1](StreamPay(s, sid, streams[s.id] * f, f, groups[kind]))
                out.setdefault(sid, {})[s.id] = limited(line, s.cap, s.floor)
    return out


def _per_head(s: P.RegistrationStream, grp: pd.DataFrame, f: Decimal) -> PayLine:
    """R14 劳务工 提成 per 人数 bound: existing units at `amount`, 新开发 units at `new_unit_amount`."""
    c = s.commission
    heads = grp["headcount"].fillna(0).astype(int)
    new = grp["new_unit"].fillna(False).astype(bool)
    n_new, n_old = int(heads[new].sum()), int(heads[~new].sum())
    new_amt = c.new_unit_amount if c.new_unit_amount is not None else c.amount
    return PayLine(s.id, s.name, s.rule, "提成", f"{n_old + n_new} 人", f"{c.amount}/{new_amt} 元每人",
                   (n_old * c.amount + n_new * new_amt) * f,
                   detail=f"原有单位 {n_old} 人×{c.amount} + 新开发单位 {n_new} 人×{new_amt}")


def _per_registration(s: P.RegistrationStream, grp: pd.DataFrame, f: Decimal) -> PayLine:
    """R36 plan A 孕妇课: an amount per registration of MONTH."""
    c, n = s.commission, len(grp)
    return PayLine(s.id, s.name, s.rule, "提成", f"{n} 个", f"{c.amount} 元每个", n * c.amount * f,
                   detail=f"{n} 个登记×{c.amount}")


REGISTRATION_KINDS: dict[type, Callable[[P.RegistrationStream, pd.DataFrame, Decimal], PayLine]] = {
    P.PerHead: _per_head,
    P.PerRegistration: _per_registration,
}


def _paid_registrations(regs: pd.DataFrame, s: P.RegistrationStream, month: Month) -> pd.DataFrame:
    """The stream's registrations of MONTH: by a known person, not rejected for its excluded codes
    (a 确认例外 lifts R22–R24)."""
    hit = (regs["reg_month"] == str(month)).to_numpy() & match_mask(regs, s.match, channel="channel",
                                                                    card_type="card_type", category="channel")
    hit &= ~regs["unknown_staff"].to_numpy(dtype=bool)
    for code in s.exclude_violations:
        if code in regs:
            lifted = regs["confirmed"].to_numpy(dtype=bool) if code in ("late_registration", "existing_patient",
                                                                        "incomplete_referral") else False
            hit &= ~(regs[code].to_numpy(dtype=bool) & ~lifted)
    return regs[hit]


def registration_commissions(regs: pd.DataFrame, policy: P.Policy, month: Month,
                             factor: Factors) -> dict[str, dict[str, PayLine]]:
    """R14/R36 提成 per registration stream and person, × the R28/R29 multiplier."""
    out: dict[str, dict[str, PayLine]] = {}
    for s in policy.registration_streams:
        for sid, grp in _paid_registrations(regs, s, month).groupby("staff_id", observed=True):
            f = factor(sid)
            line = REGISTRATION_KINDS[type(s.commission)](s, grp, f)
            if f != ONE:
                line.detail += f"（已按扣业绩系数 {fmt_rate(f)} 调整）"
            out.setdefault(sid, {})[s.id] = line
    return out


def stream_order(policy: P.Policy) -> list[str]:
    """R13: the payslip order of stream lines — the policy's streams, then its registration streams."""
    return [s.id for s in policy.streams] + [s.id for s in policy.registration_streams]
