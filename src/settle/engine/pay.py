"""From credited lines to payslips (SPEC §5: R6, R8–R18, R21, R27–R41).

Per-line work is columnar and in integers: amounts in fen, rebates in micro-fen (1e-6 fen, so
a 15 % rebate of any amount is exact). Per-person figures are exact Decimals built from group
sums; each payslip line is rounded once, half-up, to the fen (R37).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from settle.rules import policy as P
from settle.engine.crediting import Credit, violation_row
from settle.load.workspace import Month

U = 10**6                 # micro-fen per fen
CENT = Decimal("0.01")
ZERO = Decimal(0)
ONE = Decimal(1)


def r2(x: Decimal) -> Decimal:
    """R37: round once, half-up (四舍五入), to the fen."""
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


def yuan(fen) -> Decimal:
    return Decimal(int(fen)) / 100


def micro_to_yuan(u) -> Decimal:
    return Decimal(int(u)) / (100 * U)


def rate_u(rate: Decimal) -> int:
    v = rate * U
    if v != v.to_integral_value():
        raise ValueError(f"rate {rate} has more than 6 decimal places")
    return int(v)


def fmt_money(d: Decimal) -> str:
    return f"{r2(d):,}"


def fmt_rate(d: Decimal) -> str:
    return P._pct(d)


@dataclass
class PayLine:
    """One payslip line: a figure with its rule, base and rate (R37: rounded once)."""

    component: str          # component or stream id
    name: str               # 名称
    rule: str               # 依据/规则
    column: str             # 汇总 column (SPEC §7)
    base: str               # 基数
    rate: str               # 比例或单价
    exact: Decimal          # before rounding
    detail: str = ""        # derivation
    amount: Decimal = field(init=False)

    def __post_init__(self):
        self.amount = r2(self.exact)


@dataclass
class Payslip:
    staff_id: str
    name: str
    role: str
    team: str
    employed_days: int
    regular: bool
    performance: Decimal                 # month performance after R28/R29 (exact)
    stream_performance: dict[str, Decimal]
    lines: list[PayLine] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return r2(sum((l.amount for l in self.lines), ZERO))

    def column_total(self, column: str) -> Decimal:
        return r2(sum((l.amount for l in self.lines if l.column == column), ZERO))

    def summary_column(self, column: str) -> Decimal:
        """The 汇总 figure: 扣款 is shown as a positive amount (SPEC §7)."""
        total = self.column_total(column)
        return (-total if total else total.copy_abs()) if column == "扣款" else total


@dataclass
class Settlement:
    month: Month
    policy: P.Policy
    credit: Credit
    shares: pd.DataFrame           # one row per (credited line, beneficiary)
    payslips: list[Payslip]
    network: dict[str, Decimal]    # 网络部 staff_id -> performance
    rebate_totals: pd.DataFrame    # per partner: lines, total (R17 大额返款 reads it)
    violations: pd.DataFrame
    funds: list[tuple[str, str, Decimal, Decimal, Decimal]]  # (id, name, base, rate, amount)
    staff: pd.DataFrame
    inputs: object = None

    @property
    def rebates(self) -> pd.DataFrame:
        """The 返款 sheet's rows (one per rebate line), built when first needed — by the worker
        that writes the summary, not on the serial path."""
        if getattr(self, "_rebates", None) is None:
            self._rebates = rebate_table(self.credit.lines, self.policy)
        return self._rebates


# --- streams and rebates on lines ----------------------------------------------------------------

def _match(frame: pd.DataFrame, m: P.Match, *, category="category", channel="reg_channel",
           card_type="reg_card_type", stream="stream") -> np.ndarray:
    mask = np.ones(len(frame), dtype=bool)
    if m.categories:
        mask &= frame[category].isin(m.categories).to_numpy(dtype=bool)
    if m.channels:
        mask &= frame[channel].isin(m.channels).to_numpy(dtype=bool)
    if m.card_types and card_type in frame:
        mask &= frame[card_type].isin(m.card_types).to_numpy(dtype=bool)
    if m.streams and stream in frame:
        mask &= frame[stream].isin(m.streams).to_numpy(dtype=bool)
    return mask


def assign_streams(lines: pd.DataFrame, policy: P.Policy) -> np.ndarray:
    stream = np.full(len(lines), None, dtype=object)
    free = np.ones(len(lines), dtype=bool)
    for s in policy.streams:
        hit = free & _match(lines, s.match)
        stream[hit] = s.id
        free &= ~hit
    return stream


def assign_rebates(lines: pd.DataFrame, policy: P.Policy) -> pd.DataFrame:
    """Per credited line: rebate rule, rate (micro units), fixed rebate (micro-fen) and partner.
    Only credited lines carry rebates (R15–R17)."""
    n = len(lines)
    credited = lines["credited"].to_numpy(dtype=bool)
    rid = np.full(n, None, dtype=object)
    rate = np.zeros(n, dtype=np.int64)
    fixed = np.zeros(n, dtype=np.int64)
    free = credited.copy()
    for r in policy.rebates:
        if isinstance(r, P.PercentRebate):
            hit = free & _match(lines, r.match)
            rid[hit] = r.id
            rate[hit] = rate_u(r.rate)
            free &= ~hit
    surgery_split = np.full(n, None, dtype=object)
    for r in policy.rebates:
        if not isinstance(r, P.SurgeryRebate):
            continue
        eligible = credited & _match(lines, P.Match(channels=r.match.channels, card_types=r.match.card_types))
        if not eligible.any():
            continue
        sub = lines[eligible]
        surg = sub[sub["category"].isin(r.surgery_categories)]
        net = surg.groupby(["patient", "category"], observed=True)["amount_fen"].sum()
        patients = set(net[net > 0].index.get_level_values(0))
        if not patients:
            continue
        of_patient = eligible & lines["patient"].isin(patients).to_numpy(dtype=bool)
        replaced = of_patient & pd.Series(rid).isin(r.replaces).to_numpy(dtype=bool)
        rid[replaced] = None
        rate[replaced] = 0
        cand = lines[of_patient & lines["category"].isin(r.surgery_categories).to_numpy(dtype=bool)]
        cand = cand.sort_values(["amount_fen", "src_order"], ascending=[False, True]).drop_duplicates("patient")
        pos = lines.index.get_indexer(cand.index)
        rid[pos] = r.id
        fixed[pos] = int(r.amount * 100 * U)
        for p in pos:
            surgery_split[p] = r.id
    has_rebate = pd.Series(rid != None, index=lines.index)  # noqa: E711
    partner = lines["reg_partner"].astype("string[pyarrow]").fillna(policy.unnamed_partner).where(has_rebate)
    out = pd.DataFrame({"rebate_id": rid, "rebate_rate_u": rate, "rebate_fixed_u": fixed, "partner": partner},
                       index=lines.index)
    out["rebate_u"] = rate * lines["amount_fen"].to_numpy(dtype=np.int64) + fixed
    return out


SHARE_COLUMNS = ("stream", "patient", "category", "amount_fen", "rebate_u", "reg_clinic_team", "settled_on",
                 "src_order")


def build_shares(lines: pd.DataFrame, policy: P.Policy) -> pd.DataFrame:
    """One row per (credited line, beneficiary): owner and/or network side with its share.
    `line` points back into `lines`; only the columns the pay rules group on are carried."""
    share_u = rate_u(policy.crediting.network_share)
    cred = lines["credited"].to_numpy(dtype=bool)
    overlap = lines["overlap"].to_numpy(dtype=bool)
    owner = lines["owner_staff"].to_numpy(dtype=object)
    network = lines["network_staff"].to_numpy(dtype=object)
    own = cred & ~pd.isna(owner)
    net = cred & ~pd.isna(network)
    pos = np.concatenate([np.flatnonzero(own), np.flatnonzero(net)])
    shares = pd.DataFrame({
        "line": lines.index.to_numpy()[pos],
        "staff_id": np.concatenate([owner[own], network[net]]).astype(object),
        "share_u": np.concatenate([np.where(overlap[own], share_u, U), np.where(overlap[net], U - share_u, U)]
                                  ).astype(np.int64),
        "side": np.array(["owner"] * int(own.sum()) + ["network"] * int(net.sum()), dtype=object),
    })
    for col in SHARE_COLUMNS:
        shares[col] = lines[col].to_numpy()[pos] if len(pos) else lines[col].iloc[0:0].to_numpy()
    # Performance of the share: share × (amount − rebate), amount in micro-fen.
    shares["net_u"] = shares["amount_fen"].to_numpy(dtype=np.int64) * U - shares["rebate_u"].to_numpy(dtype=np.int64)
    return shares


def _perf_of(group_sums: pd.DataFrame) -> Decimal:
    """Σ share × net over groups of equal share: exact Decimal yuan."""
    total = ZERO
    for share_u, net_u in zip(group_sums["share_u"], group_sums["net_u"]):
        total += Decimal(int(share_u)) * Decimal(int(net_u))
    return total / (Decimal(U) * U * 100)


# --- month calendar ------------------------------------------------------------------------------

def employed_days(hired, left, month: Month) -> int:
    start = max(pd.Timestamp(month.first_day), hired) if pd.notna(hired) else pd.Timestamp(month.first_day)
    end = min(pd.Timestamp(month.last_day), left) if pd.notna(left) else pd.Timestamp(month.last_day)
    return max(0, (end - start).days + 1)


def working_days(month: Month, policy: P.Policy, holidays=()) -> list[dt.date]:
    hol = set(policy.violations.holidays) | set(holidays)
    days = [month.first_day + dt.timedelta(days=i) for i in range(month.days)]
    return [d for d in days if d.isoweekday() in policy.violations.working_weekdays and d not in hol]


def next_working_day(d: dt.date, policy: P.Policy, holidays=()) -> dt.date:
    hol = set(policy.violations.holidays) | set(holidays)
    n = d + dt.timedelta(days=1)
    while n.isoweekday() not in policy.violations.working_weekdays or n in hol:
        n += dt.timedelta(days=1)
    return n


def report_findings(daily: pd.DataFrame, staff: pd.DataFrame, month: Month, policy: P.Policy,
                    holidays=()) -> pd.DataFrame:
    """R27: per 业务员/主管 and working day while employed, the earliest report of that day
    must be in by `report_due` of the next working day. Returns one row per late/missing day."""
    h, m = (int(x) for x in policy.violations.report_due.split(":"))
    days = working_days(month, policy, holidays)
    people = staff[staff["role"].isin(["业务员", "主管"])]
    rows = []
    d = daily[daily["staff_id"].notna() & daily["report_date"].notna() & daily["submitted_at"].notna()]
    first = d.groupby(["staff_id", "report_date"], observed=True)["submitted_at"].min()
    first_map = {(sid, pd.Timestamp(day).date()): ts for (sid, day), ts in first.items()}
    src = d.sort_values("submitted_at").drop_duplicates(["staff_id", "report_date"])
    src_map = {(r.staff_id, pd.Timestamp(r.report_date).date()): (r.src_file, r.src_sheet, r.src_row)
               for r in src.itertuples()}
    for p in people.itertuples():
        for day in days:
            ts_day = pd.Timestamp(day)
            if pd.notna(p.hired_on) and ts_day < p.hired_on:
                continue
            if pd.notna(p.left_on) and ts_day > p.left_on:
                continue
            due = dt.datetime.combine(next_working_day(day, policy, holidays), dt.time(h, m))
            got = first_map.get((p.staff_id, day))
            if got is None:
                rows.append({"staff_id": p.staff_id, "day": day, "code": "missing_report", "due": due,
                             "submitted_at": None, "file": None, "sheet": None, "row": None})
            elif pd.Timestamp(got) > pd.Timestamp(due):
                f, s, r = src_map[(p.staff_id, day)]
                rows.append({"staff_id": p.staff_id, "day": day, "code": "late_report", "due": due,
                             "submitted_at": pd.Timestamp(got), "file": f, "sheet": s, "row": r})
    return pd.DataFrame(rows, columns=["staff_id", "day", "code", "due", "submitted_at", "file", "sheet", "row"])


# --- the month -----------------------------------------------------------------------------------

def settle_month(inputs, credit: Credit, policy: P.Policy, holidays=(), history=None) -> Settlement:
    month = inputs.month
    staff = inputs.staff
    lines = credit.lines
    lines["stream"] = assign_streams(lines, policy)
    rebates = assign_rebates(lines, policy)
    for c in rebates.columns:
        lines[c] = rebates[c]
    shares = build_shares(lines, policy)

    adj = inputs.adjustments
    adj_m = adj[adj["src_month"] == str(month)] if len(adj) else adj
    deduct = {}
    cancelled = set()
    for a in adj_m.itertuples():
        if not isinstance(a.staff_id, str):
            continue
        if a.kind == "扣业绩" and a.percent is not None:
            deduct[a.staff_id] = min(ONE, deduct.get(a.staff_id, ZERO) + a.percent)
        elif a.kind == "取消业绩":
            cancelled.add(a.staff_id)

    def factor(sid) -> Decimal:
        if sid in cancelled:
            return ZERO
        return ONE - deduct.get(sid, ZERO)

    # Exact stream performance per person: group sums per (staff, stream, share).
    perf: dict[str, dict[str, Decimal]] = {}
    if len(shares):
        g = shares.groupby(["staff_id", "stream", "share_u"], observed=True, as_index=False)["net_u"].sum()
        for (sid, stream), grp in g.groupby(["staff_id", "stream"], observed=True):
            perf.setdefault(sid, {})[stream] = _perf_of(grp)

    stream_lines = _stream_commissions(shares, perf, policy, factor)
    reg_lines = _registration_commissions(credit.registrations, policy, month, factor)

    roles = staff.set_index("staff_id")["role"].to_dict()
    network = {}
    for sid, streams in perf.items():
        if roles.get(sid) == policy.crediting.network_role:
            network[sid] = sum(streams.values(), ZERO) * factor(sid)
    for sid in staff.loc[staff["role"] == policy.crediting.network_role, "staff_id"]:
        network.setdefault(sid, ZERO)

    # Payslip holders (R40).
    holders = []
    for s in staff.itertuples():
        if s.role not in ("业务员", "主管", "主任"):
            continue
        days = employed_days(s.hired_on, s.left_on, month)
        if days <= 0:
            continue
        sp = {k: v * factor(s.staff_id) for k, v in perf.get(s.staff_id, {}).items()}
        regular = pd.notna(s.regular_on) and s.regular_on <= pd.Timestamp(month.first_day)
        holders.append(Payslip(s.staff_id, s.name, s.role, s.team if isinstance(s.team, str) else "", days,
                               bool(regular), sum(sp.values(), ZERO), sp))
    by_id = {p.staff_id: p for p in holders}
    staff_by_id = staff.set_index("staff_id")

    # Components in policy order; stream commissions right after the per-person ones (R13).
    fines = _fines(credit, inputs, staff, month, policy, holidays)
    ctx = _Context(month, policy, by_id, staff_by_id, shares, stream_lines, reg_lines)
    placed_streams = False
    for comp in policy.pay:
        if isinstance(comp, (P.ManagementBonus, P.TeamCommission, P.DepartmentCommission,
                             P.StreamLeaderCommission)) and not placed_streams:
            _add_streams(ctx)
            placed_streams = True
        _apply_component(comp, ctx)
    if not placed_streams:
        _add_streams(ctx)
    for sid, lines_ in fines.items():
        if sid in by_id:
            by_id[sid].lines.extend(lines_)
    for a in adj_m.itertuples():
        if isinstance(a.staff_id, str) and a.staff_id in by_id and a.kind in ("奖励", "罚款", "补发", "扣发"):
            amt = yuan(a.amount_fen) if pd.notna(a.amount_fen) else ZERO
            sign = ONE if a.kind in ("奖励", "补发") else -ONE
            reason = a.reason if isinstance(a.reason, str) else ""
            by_id[a.staff_id].lines.append(PayLine(
                "adjustment", a.kind, "R38", "奖励" if sign > 0 else "扣款", reason,
                f"批准人 {a.approved_by}", sign * amt,
                detail=f"调整 {a.src_file} 第 {a.src_row} 行：{reason}（批准人 {a.approved_by}）"))
        elif isinstance(a.staff_id, str) and a.staff_id in by_id and a.kind in ("扣业绩", "取消业绩"):
            by_id[a.staff_id].flags.append(f"{a.kind}{'' if a.kind == '取消业绩' else ' ' + fmt_rate(a.percent or ZERO)}"
                                           f"（{a.reason if isinstance(a.reason, str) else ''}，批准人 {a.approved_by}）")

    totals = rebate_totals(lines)
    violations = _month_violations(credit, inputs, staff, month, policy, holidays, by_id, totals, history)
    funds = []
    for f in policy.funds:
        base = sum((v.get(f.stream, ZERO) for v in perf.values()), ZERO)
        funds.append((f.id, f.name, base, f.rate, r2(base * f.rate)))
    return Settlement(month, policy, credit, shares, holders, network, totals, violations, funds, staff,
                      inputs)


@dataclass
class _Context:
    month: Month
    policy: P.Policy
    by_id: dict
    staff: pd.DataFrame
    shares: pd.DataFrame
    stream_lines: dict
    reg_lines: dict


def _add_streams(ctx: _Context) -> None:
    order = [s.id for s in ctx.policy.streams] + [s.id for s in ctx.policy.registration_streams]
    for sid, slip in ctx.by_id.items():
        got = {**ctx.stream_lines.get(sid, {}), **ctx.reg_lines.get(sid, {})}
        for stream_id in order:
            if stream_id in got:
                slip.lines.append(got[stream_id])


def _stream_commissions(shares: pd.DataFrame, perf, policy: P.Policy, factor) -> dict[str, dict[str, PayLine]]:
    out: dict[str, dict[str, PayLine]] = {}
    # One grouping each, over all people: per-case counts and per-category performance.
    per_case = [s.id for s in policy.streams if isinstance(s.commission, P.PerCase)]
    by_category = [s.id for s in policy.streams if isinstance(s.commission, P.PercentByCategory)]
    cases: dict[tuple, dict] = {}
    if per_case and len(shares):
        sub = shares[shares["stream"].isin(per_case).to_numpy(dtype=bool)]
        net = sub.groupby(["staff_id", "stream", "patient", "category", "share_u"], observed=True)["amount_fen"].sum()
        sign = np.sign(net.to_numpy())
        counted = pd.Series(sign, index=net.index).groupby(level=["staff_id", "stream", "category", "share_u"],
                                                           observed=True).sum()
        for (sid, stream, cat, share_u), n in counted.items():
            if n:
                cases.setdefault((sid, stream), {})[(cat, int(share_u))] = int(n)
    cat_perf: dict[tuple, dict] = {}
    if by_category and len(shares):
        sub = shares[shares["stream"].isin(by_category).to_numpy(dtype=bool)]
        g = sub.groupby(["staff_id", "stream", "category", "share_u"], observed=True)["net_u"].sum()
        for (sid, stream, cat, share_u), net_u in g.items():
            cat_perf.setdefault((sid, stream), {}).setdefault(cat, []).append((int(share_u), int(net_u)))
    for s in policy.streams:
        c = s.commission
        for sid, streams in perf.items():
            if s.id not in streams:
                continue
            f = factor(sid)
            p = streams[s.id] * f
            adj = "" if f == ONE else f"（已按扣业绩系数 {fmt_rate(f)} 调整）"
            if isinstance(c, P.Percent):
                line = PayLine(s.id, s.name, s.rule, "提成", fmt_money(p), fmt_rate(c.rate), p * c.rate,
                               detail=f"{s.name}业绩 {fmt_money(p)} × {fmt_rate(c.rate)}{adj}")
            elif isinstance(c, P.TieredCommission):
                amount, how = c.table().apply(p)
                line = PayLine(s.id, s.name, s.rule, "提成", fmt_money(p),
                               how if c.mode == "whole" else "超额累进", amount,
                               detail=(f"全额累进：{fmt_money(p)} × {how}" if c.mode == "whole" and p > 0
                                       else f"超额累进：{how}" if p > 0 else f"业绩 {fmt_money(p)} ≤ 0，不提成") + adj)
            elif isinstance(c, P.PercentByCategory):
                total, parts = ZERO, []
                for cat, pairs in sorted(cat_perf.get((sid, s.id), {}).items()):
                    cp = _perf_of(pd.DataFrame(pairs, columns=["share_u", "net_u"])) * f
                    rate = c.rates.get(cat, ZERO)
                    total += cp * rate
                    parts.append(f"{cat} {fmt_money(cp)}×{fmt_rate(rate)}")
                line = PayLine(s.id, s.name, s.rule, "提成", fmt_money(p), "按项目类别", total,
                               detail="；".join(parts) + adj)
            elif isinstance(c, P.PerCase):
                total, counts = ZERO, {}
                for (cat, share_u), n in cases.get((sid, s.id), {}).items():
                    share = Decimal(share_u) / U
                    total += n * c.amounts.get(cat, ZERO) * share
                    counts[(cat, share)] = counts.get((cat, share), 0) + n
                total *= f
                parts = [f"{cat} {n}例×{c.amounts.get(cat, ZERO)}" + ("" if share == ONE else f"×{fmt_rate(share)}")
                         for (cat, share), n in sorted(counts.items(), key=lambda kv: (str(kv[0][0]), kv[0][1]))]
                n_cases = sum(counts.values())
                line = PayLine(s.id, s.name, s.rule, "提成", f"{n_cases} 例", "按例", total,
                               detail="；".join(parts) + adj if parts else "无病例" + adj)
            else:  # pragma: no cover - the schema admits no other type
                continue
            if s.cap is not None and line.exact > s.cap:
                line = PayLine(line.component, line.name, line.rule, line.column, line.base, line.rate, s.cap,
                               detail=line.detail + f"，封顶 {s.cap}")
            if s.floor is not None and line.exact < s.floor:
                line = PayLine(line.component, line.name, line.rule, line.column, line.base, line.rate, s.floor,
                               detail=line.detail + f"，保底 {s.floor}")
            out.setdefault(sid, {})[s.id] = line
    return out


def _registration_commissions(regs: pd.DataFrame, policy: P.Policy, month: Month, factor):
    out: dict[str, dict[str, PayLine]] = {}
    in_month = (regs["reg_month"] == str(month)).to_numpy()
    for s in policy.registration_streams:
        hit = in_month & _match(regs, s.match, channel="channel", card_type="card_type", category="channel")
        hit &= ~regs["unknown_staff"].to_numpy(dtype=bool)
        for code in s.exclude_violations:
            if code in regs:
                lifted = regs["confirmed"].to_numpy(dtype=bool) if code in ("late_registration", "existing_patient",
                                                                            "incomplete_referral") else False
                hit &= ~(regs[code].to_numpy(dtype=bool) & ~lifted)
        sub = regs[hit]
        c = s.commission
        for sid, grp in sub.groupby("staff_id", observed=True):
            f = factor(sid)
            if isinstance(c, P.PerHead):
                heads = grp["headcount"].fillna(0).astype(int)
                new = grp["new_unit"].fillna(False).astype(bool)
                n_new, n_old = int(heads[new].sum()), int(heads[~new].sum())
                new_amt = c.new_unit_amount if c.new_unit_amount is not None else c.amount
                total = (n_old * c.amount + n_new * new_amt) * f
                detail = f"原有单位 {n_old} 人×{c.amount} + 新开发单位 {n_new} 人×{new_amt}"
                base = f"{n_old + n_new} 人"
                rate = f"{c.amount}/{new_amt} 元每人"
            else:
                n = len(grp)
                total = n * c.amount * f
                detail = f"{n} 个登记×{c.amount}"
                base = f"{n} 个"
                rate = f"{c.amount} 元每个"
            if f != ONE:
                detail += f"（已按扣业绩系数 {fmt_rate(f)} 调整）"
            out.setdefault(sid, {})[s.id] = PayLine(s.id, s.name, s.rule, "提成", base, rate, total, detail=detail)
    return out


def _apply_component(comp, ctx: _Context) -> None:
    month, by_id = ctx.month, ctx.by_id
    for sid, slip in by_id.items():
        if slip.role not in comp.roles:
            continue
        st = ctx.staff.loc[sid]
        line = None
        if isinstance(comp, P.BasePay):
            amount = comp.amount
            src = ""
            if pd.notna(st["base_salary_fen"]):
                amount = yuan(st["base_salary_fen"])
                src = "（人员名单基本工资）"
            days_factor = Decimal(slip.employed_days) / month.days if comp.prorate else ONE
            quota_factor, qtext = ONE, ""
            if comp.quota is not None and comp.quota_on == "own" and slip.regular:
                quota_factor = min(ONE, max(ZERO, slip.performance) / comp.quota)
                qtext = f" × 完成率 min(1, {fmt_money(max(ZERO, slip.performance))}/{comp.quota})"
            elif comp.quota is not None and comp.quota_on == "department_mean_regular":
                regs_ = [p for p in by_id.values() if p.role == "业务员" and p.regular]
                if regs_:
                    mean = sum((p.performance for p in regs_), ZERO) / len(regs_)
                    quota_factor = min(ONE, max(ZERO, mean / comp.quota))
                    qtext = f" × min(1, max(0, 正式业务员人均业绩 {fmt_money(mean)}/{comp.quota}))"
                else:
                    qtext = " × 1（无正式业务员）"
            exact = amount * days_factor * quota_factor
            line = PayLine(comp.id, comp.name, comp.rule, "基本工资", f"{amount}{src}",
                           f"{slip.employed_days}/{month.days} 天", exact,
                           detail=f"{amount} × {slip.employed_days}/{month.days}{qtext}")
        elif isinstance(comp, P.Allowance):
            if month.month not in comp.months:
                continue
            days_factor = Decimal(slip.employed_days) / month.days if comp.prorate else ONE
            line = PayLine(comp.id, comp.name, comp.rule, "补贴", str(comp.amount),
                           f"{slip.employed_days}/{month.days} 天", comp.amount * days_factor,
                           detail=f"{comp.amount} × {slip.employed_days}/{month.days}")
        elif isinstance(comp, P.Assessment):
            if slip.regular:
                ratio = min(ONE, max(ZERO, slip.performance) / comp.quota)
                line = PayLine(comp.id, comp.name, comp.rule, "绩效考核", str(comp.amount),
                               f"完成率 {fmt_rate(ratio)}" if ratio == ratio.quantize(Decimal("0.0001")) else "完成率",
                               comp.amount * ratio,
                               detail=f"{comp.amount} × min(1, {fmt_money(max(ZERO, slip.performance))}/{comp.quota})")
            else:
                rating = st["probation_rating"] if st["probation_rating"] is not None and not (
                    isinstance(st["probation_rating"], float) and np.isnan(st["probation_rating"])) else ONE
                line = PayLine(comp.id, comp.name, comp.rule, "绩效考核", str(comp.amount),
                               f"试用期考核系数 {fmt_rate(rating)}", comp.amount * rating,
                               detail=f"试用期：{comp.amount} × {fmt_rate(rating)}")
        elif isinstance(comp, P.ManagementBonus):
            members = _team_members(slip, by_id)
            values = [(l.amount, m.name) for m in members for l in m.lines if l.component == comp.assessment]
            low = min(values) if values else (ZERO, "")
            line = PayLine(comp.id, comp.name, comp.rule, "管理奖金", "本组业务员最低绩效考核", "",
                           low[0], detail=(f"本组最低：{low[1]} {low[0]}" if values else "本组无业务员"))
        elif isinstance(comp, P.TeamCommission):
            members = _team_members(slip, by_id)
            total = sum((m.performance for m in members), ZERO)
            base = max(ZERO, total)
            line = PayLine(comp.id, comp.name, comp.rule, "团队提成", fmt_money(base), fmt_rate(comp.rate),
                           base * comp.rate, detail=f"本组业务员业绩合计 {fmt_money(total)} × {fmt_rate(comp.rate)}")
        elif isinstance(comp, P.DepartmentCommission):
            total = sum((p.performance for p in by_id.values() if p.role in comp.of_roles), ZERO)
            amount, how = comp.table().apply(total)
            if comp.floor is not None:
                amount = max(amount, comp.floor)
            if comp.cap is not None:
                amount = min(amount, comp.cap)
            line = PayLine(comp.id, comp.name, comp.rule, "团队提成", fmt_money(total),
                           "超额累进" if comp.mode == "marginal" else how, amount,
                           detail=f"部门总业绩 {fmt_money(total)}：{how}")
        elif isinstance(comp, P.StreamLeaderCommission):
            if not slip.team:
                continue
            sh = ctx.shares
            # The team's own 义诊 performance: the owner side of the lines (a 网络部 half is not theirs).
            mine = sh[(sh["stream"] == comp.stream) & (sh["reg_clinic_team"] == slip.team) & (sh["side"] == "owner")]
            base = _perf_of(mine.groupby("share_u", as_index=False)["net_u"].sum()) if len(mine) else ZERO
            if base == 0 and not len(mine):
                continue
            line = PayLine(comp.id, comp.name, comp.rule, "团队提成", fmt_money(base), fmt_rate(comp.rate),
                           base * comp.rate, detail=f"{slip.team} 小组{comp.stream}业绩 {fmt_money(base)} × {fmt_rate(comp.rate)}")
        if line is None:
            continue
        if comp.cap is not None and line.exact > comp.cap and not isinstance(comp, P.DepartmentCommission):
            line = PayLine(line.component, line.name, line.rule, line.column, line.base, line.rate, comp.cap,
                           detail=line.detail + f"，封顶 {comp.cap}")
        if comp.floor is not None and line.exact < comp.floor and not isinstance(comp, P.DepartmentCommission):
            line = PayLine(line.component, line.name, line.rule, line.column, line.base, line.rate, comp.floor,
                           detail=line.detail + f"，保底 {comp.floor}")
        slip.lines.append(line)


def _team_members(slip: Payslip, by_id) -> list[Payslip]:
    return [p for p in by_id.values() if p.role == "业务员" and p.team and p.team == slip.team]


def _fines(credit: Credit, inputs, staff, month: Month, policy: P.Policy, holidays) -> dict[str, list[PayLine]]:
    out: dict[str, list[PayLine]] = {}
    regs = credit.registrations
    extra = regs[regs["extra_card"].to_numpy(dtype=bool) & (regs["reg_month"] == str(month)).to_numpy()]
    for sid, grp in extra.groupby("staff_id", observed=True):
        n = len(grp)
        fine = policy.violations.duplicate_card_fine
        out.setdefault(sid, []).append(PayLine(
            "duplicate_card_fine", "重复办卡罚款", "R21", "扣款", f"{n} 张", f"{fine} 元/张", -n * fine,
            detail="多办卡号：" + "、".join(str(c) for c in grp["card_no"])))
    findings = report_findings(inputs.daily, staff, month, policy, holidays)
    for sid, grp in findings.groupby("staff_id"):
        for code, name, fine in (("late_report", "日报迟交", policy.violations.late_report_fine),
                                 ("missing_report", "日报缺失", policy.violations.missing_report_fine)):
            days = grp[grp["code"] == code]
            if len(days):
                out.setdefault(sid, []).append(PayLine(
                    code, name, "R27", "扣款", f"{len(days)} 次", f"{fine} 元/次", -len(days) * fine,
                    detail="日期：" + "、".join(d.strftime("%m-%d") for d in days["day"])))
    credit.report_findings = findings
    return out


def rebate_table(lines: pd.DataFrame, policy: P.Policy) -> pd.DataFrame:
    """The 返款 sheet: one row per rebate line (a R15 rebate is two: partner and clerk)."""
    cols = ["partner", "portion", "rule", "rebate_id", "record_no", "patient_name", "patient_key", "settled_on",
            "category", "amount_fen", "rate", "rebate_u", "owner_staff", "network_staff", "src_file", "src_sheet", "src_row",
            "referrer"]  # referrer: the introducer of R46's voucher
    has = lines["rebate_id"].notna().to_numpy()
    sub = lines[has]
    rules = {r.id: r for r in policy.rebates}
    rows = []
    pct = sub[sub["rebate_fixed_u"] == 0]
    if len(pct):
        t = pd.DataFrame({
            "partner": pct["partner"], "portion": "合作单位",
            "rule": pct["rebate_id"].map(lambda r: rules[r].rule), "rebate_id": pct["rebate_id"],
            "record_no": pct["record_no"], "patient_name": pct["patient_name"], "patient_key": pct["patient_key"],
            "settled_on": pct["settled_on"], "category": pct["category"], "amount_fen": pct["amount_fen"],
            "rate": _rate_texts(pct["rebate_rate_u"]),
            "rebate_u": pct["rebate_u"], "owner_staff": pct["owner_staff"], "network_staff": pct["network_staff"],
            "src_file": pct["src_file"], "src_sheet": pct["src_sheet"], "src_row": pct["src_row"],
            "referrer": _referrers(pct)})
        rows.append(t)
    fixed = sub[sub["rebate_fixed_u"] > 0]
    for rid, f in fixed.groupby("rebate_id", sort=False, observed=True):
        r = rules[rid]
        for portion, amt in r.split.items():  # one row per portion of each fixed rebate (R15)
            rows.append(pd.DataFrame({
                "partner": f["partner"], "portion": portion, "rule": r.rule, "rebate_id": r.id,
                "record_no": f["record_no"], "patient_name": f["patient_name"], "patient_key": f["patient_key"],
                "settled_on": f["settled_on"], "category": f["category"], "amount_fen": f["amount_fen"],
                "rate": f"{amt} 元/人", "rebate_u": int(amt * 100 * U), "owner_staff": f["owner_staff"],
                "network_staff": f["network_staff"], "src_file": f["src_file"], "src_sheet": f["src_sheet"],
                "src_row": f["src_row"], "referrer": _referrers(f)}))
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.concat(rows, ignore_index=True)[cols]
    return out.sort_values(["partner", "portion", "src_file", "src_row"], kind="stable").reset_index(drop=True)


def _referrers(lines: pd.DataFrame) -> pd.Series:
    """The deciding registration's 转诊医生 (R46), '' when none or when crediting predates it."""
    if "reg_referrer" not in lines:
        return pd.Series("", index=lines.index, dtype=object)
    return lines["reg_referrer"].astype(object).where(lines["reg_referrer"].notna(), "")


def _rate_texts(rate_u: pd.Series) -> np.ndarray:
    codes, uniques = pd.factorize(rate_u)
    return np.array([fmt_rate(Decimal(int(u)) / U) for u in uniques], dtype=object)[codes]


def rebate_totals(lines: pd.DataFrame) -> pd.DataFrame:
    """Per partner: the number of 返款 rows (a R15 rebate is two: partner and clerk) and the
    total, rounded once from the exact sum — the same figures as partner_totals(rebate_table)."""
    sub = lines[lines["rebate_id"].notna().to_numpy()]
    if not len(sub):
        return pd.DataFrame(columns=["partner", "lines", "total"])
    fixed = (sub["rebate_fixed_u"].to_numpy() > 0).astype(np.int64)
    g = pd.DataFrame({"partner": sub["partner"].astype(object).to_numpy(), "rows": 1 + fixed,
                      "u": sub["rebate_u"].to_numpy(dtype=np.int64)}).groupby("partner", sort=True).sum()
    return pd.DataFrame({"partner": g.index.to_numpy(), "lines": g["rows"].to_numpy(),
                         "total": [r2(micro_to_yuan(u)) for u in g["u"]]})


def partner_totals(rebates: pd.DataFrame) -> pd.DataFrame:
    if not len(rebates):
        return pd.DataFrame(columns=["partner", "lines", "total"])
    g = rebates.groupby("partner", sort=True).agg(lines=("rebate_u", "size"), total_u=("rebate_u", "sum"))
    g["total"] = [r2(micro_to_yuan(u)) for u in g["total_u"]]
    return g.reset_index()[["partner", "lines", "total"]]


def _month_violations(credit: Credit, inputs, staff, month, policy: P.Policy, holidays, by_id, totals,
                      history) -> pd.DataFrame:
    rows = credit.violations.to_dict("records")
    f = credit.report_findings
    for r in f.itertuples():
        if r.code == "late_report":
            rows.append(violation_row("late_report", staff_id=r.staff_id, file=r.file, sheet=r.sheet, row=r.row,
                                      detail=f"{r.day:%Y-%m-%d} 的日报 {r.submitted_at:%Y-%m-%d %H:%M} 提交，应在 "
                                             f"{r.due:%Y-%m-%d %H:%M} 前",
                                      effect=f"扣 {policy.violations.late_report_fine} 元"))
        else:
            rows.append(violation_row("missing_report", staff_id=r.staff_id,
                                      detail=f"{r.day:%Y-%m-%d} 没有日报",
                                      effect=f"扣 {policy.violations.missing_report_fine} 元"))
    if policy.large_rebate_threshold is not None:

        for t in totals.itertuples():
            if t.total >= policy.large_rebate_threshold:
                rows.append(violation_row("large_rebate", partner=t.partner, amount=str(t.total),
                                          detail=f"{t.partner} 本月返款合计 {t.total}",
                                          effect="财务当面支付"))
    if history is not None:
        for sid, conditions in history.warnings(by_id, month, policy).items():
            rows.append(violation_row("performance_warning", staff_id=sid, detail="；".join(conditions),
                                      effect="提醒主任，不影响工资"))
            by_id[sid].flags.append("业绩不达标预警：" + "；".join(conditions))
    for slip in by_id.values():
        if slip.total < 0:
            rows.append(violation_row("negative_pay", staff_id=slip.staff_id, amount=str(slip.total),
                                      detail=f"应发合计 {slip.total}", effect="按实际金额列示，未做保底"))
            slip.flags.append("负数工资")
    return pd.DataFrame(rows, columns=list(violation_row("unregistered_card").keys()))
