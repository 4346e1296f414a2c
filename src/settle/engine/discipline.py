"""R43 奖惩 rows of 调整 (seed 003 市场部治理制度 and 营销卡的使用治理规定) as a registry by 类型.

早餐 and 私事/上网 cost a fixed fine each, 不正当手段 a multiple of the 业绩 so obtained, 举报奖励
pays the reporter a share of the named fine, 不服从 takes a share of the month's pay before
adjustments, 晨会缺席 is only counted. Repeats raise 辞退预警 (discipline_warning). Every amount
lives in the rules' `discipline:`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

import pandas as pd

from settle.engine.card_checks import violation_row
from settle.engine.model import PayLine, Payslip
from settle.engine.money import ZERO, fmt_money, fmt_rate, r2, yuan
from settle.engine.workdays import next_working_day
from settle.rules import schema as P

# What 不服从 takes its share of: R30, R31, R33, stream commissions, R34, R35 and R18 leader lines.
PAY_COLUMNS = ("基本工资", "补贴", "绩效考核", "提成", "管理奖金", "团队提成")


@dataclass(frozen=True)
class Row:
    """One 奖惩 row of MONTH's 调整 with what its line needs."""

    a: object                  # the adjustments frame's row (itertuples)
    slip: Payslip
    policy: P.Policy
    fines: dict[str, Decimal]  # 编号 -> the rounded fine of that row (for 举报奖励)

    @property
    def day(self) -> str:
        return f"{self.a.on_date:%Y-%m-%d}" if pd.notna(self.a.on_date) else ""

    def line(self, component: str, clause: str, column: str, base: str, rate: str, exact: Decimal) -> PayLine:
        reason = self.a.reason if isinstance(self.a.reason, str) else ""
        return PayLine(component, self.a.kind, f"R43 {clause}", column, base, rate, exact,
                       detail=f"调整 {self.a.src_file} 第 {self.a.src_row} 行 {self.day}：{reason}"
                              f"（批准人 {self.a.approved_by}）")


def fine_of(a, policy: P.Policy) -> Decimal | None:
    """The rounded fine of a 罚款, 早餐, 私事/上网 or 不正当手段 row (what 举报奖励 takes its share of)."""
    d = policy.discipline
    amount = yuan(a.amount_fen) if pd.notna(a.amount_fen) else ZERO
    return {"罚款": amount, "早餐": d.breakfast_fine, "私事": d.private_fine, "上网": d.private_fine,
            "不正当手段": d.improper_means_multiplier * amount}.get(a.kind)


def breakfast(r: Row) -> PayLine:
    """R43 早餐 (治理制度 7): 上班时间在外就餐者扣20元."""
    fine = r.policy.discipline.breakfast_fine
    return r.line("breakfast", "治理制度7", "扣款", r.day, f"{fine} 元/次", -fine)


def private_matter(r: Row) -> PayLine:
    """R43 私事/上网 (治理制度 8): 工作时间在外做与工作无关的事，发现一次扣30元."""
    fine = r.policy.discipline.private_fine
    return r.line("private_matter", "治理制度8", "扣款", r.day, f"{fine} 元/次", -fine)


def improper_means(r: Row) -> PayLine:
    """R43 不正当手段 (治理制度 2): 处以所得业绩的2倍罚款 — 金额 is the 业绩 so obtained."""
    k, got = r.policy.discipline.improper_means_multiplier, yuan(r.a.amount_fen)
    return r.line("improper_means", "治理制度2", "扣款", f"所得业绩 {fmt_money(got)}", f"× {k}", -k * got)


def whistleblower(r: Row) -> PayLine:
    """R43 举报奖励 (营销卡规定 6): 对于举报者，予以罚金的50%奖励 — of the rounded fine named in 参考."""
    share, fine = r.policy.discipline.whistleblower_share, r.fines[r.a.reference]
    return r.line("whistleblower_reward", "营销卡规定6", "奖励", f"编号 {r.a.reference} 罚金 {fmt_money(fine)}",
                  fmt_rate(share), share * fine)


def insubordination(r: Row) -> PayLine | None:
    """R43 不服从 (营销卡规定 7): 扣当事人当月工资和奖金的50% — of the positive pay before
    adjustments (R30, R31, R33, 提成, R34, R35, R18 leader), once a month however many rows."""
    if any(l.component == "insubordination" for l in r.slip.lines):
        return None
    share = r.policy.discipline.insubordination_share
    base = max(ZERO, sum((l.amount for l in r.slip.lines if l.column in PAY_COLUMNS), ZERO))
    return r.line("insubordination", "营销卡规定7", "扣款", f"当月工资和奖金 {fmt_money(base)}", fmt_rate(share),
                  -share * base)


def meeting_absence(r: Row) -> PayLine | None:
    """R43 晨会缺席 (治理制度 4): counted, no money (two in a row raise 辞退预警)."""
    return None


DISCIPLINE: dict[str, Callable[[Row], PayLine | None]] = {
    "早餐": breakfast, "私事": private_matter, "上网": private_matter, "不正当手段": improper_means,
    "举报奖励": whistleblower, "不服从": insubordination, "晨会缺席": meeting_absence,
}


def discipline_lines(adj: pd.DataFrame, by_id: dict[str, Payslip], policy: P.Policy) -> None:
    """R43: each 奖惩 row of MONTH its payslip line (fines in 扣款, 举报奖励 in 奖励). Without
    `discipline:` in the rules R43 is off (its rows were refused as they loaded)."""
    if policy.discipline is None:
        return
    fines = {a.ref_no: r2(fine_of(a, policy)) for a in adj.itertuples()
             if isinstance(a.ref_no, str) and fine_of(a, policy) is not None}
    for a in adj.itertuples():
        if a.kind in DISCIPLINE and isinstance(a.staff_id, str) and a.staff_id in by_id:
            line = DISCIPLINE[a.kind](Row(a, by_id[a.staff_id], policy, fines))
            if line is not None:
                by_id[a.staff_id].lines.append(line)


def _consecutive(days: list[dt.date], n: int, policy: P.Policy, holidays) -> list[dt.date] | None:
    """The first run of n absences on consecutive working days (R27's calendar), if any."""
    run: list[dt.date] = []
    for d in sorted(set(days)):
        run = run + [d] if run and next_working_day(run[-1], policy, holidays) == d else [d]
        if len(run) >= n:
            return run
    return None


def discipline_warnings(adj: pd.DataFrame, by_id: dict[str, Payslip], policy: P.Policy, holidays=()) -> list[dict]:
    """R43 辞退预警 / 上报分管领导 (discipline_warning): 3 or more 早餐, or 私事/上网, rows in the month
    (连续3次给予辞退), or 晨会缺席 on consecutive working days (连续两次晨会不到者). Lists the dates."""
    d, rows = policy.discipline, []
    if d is None:
        return rows
    sub = adj[adj["kind"].astype(object).isin(("早餐", "私事", "上网", "晨会缺席")).to_numpy(dtype=bool)
              & adj["on_date"].notna().to_numpy()]
    for sid, grp in sub.groupby("staff_id", sort=True):
        found = []
        for label, kinds in (("早餐", ("早餐",)), ("私事/上网", ("私事", "上网"))):
            days = sorted(pd.Timestamp(x).date() for x in grp.loc[grp["kind"].isin(kinds), "on_date"])
            if len(days) >= d.warning_repeats:
                found.append(f"{label} {len(days)} 次：" + "、".join(f"{x:%m-%d}" for x in days))
        meet = [pd.Timestamp(x).date() for x in grp.loc[grp["kind"] == "晨会缺席", "on_date"]]
        run = _consecutive(meet, d.meeting_absences, policy, holidays)
        if run:
            found.append(f"连续 {len(run)} 个工作日晨会缺席：" + "、".join(f"{x:%m-%d}" for x in run))
        if found:
            last = grp.iloc[-1]
            rows.append(violation_row("discipline_warning", staff_id=sid, file=last["src_file"],
                                      sheet=last["src_sheet"] or None, row=int(last["src_row"]),
                                      detail="；".join(found), effect="辞退预警 / 上报分管领导"))
            if sid in by_id:
                by_id[sid].flags.append("辞退预警：" + "；".join(found))
    return rows
