"""What the director reads first (issue 18 points 3–4): last month beside this one (上月), who
stands out (关注), and native charts — 应发合计 by person, 业绩 against the quota, and the
department's monthly 业绩 and pay over the last 12 settled months.

History is read only from the settled months' settlement.json under the workspace's output
folder (SPEC §7: the history later months read); an unsettled or unreadable month is skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from settle.engine.model import Settlement
from settle.engine.money import r2
from settle.output.printing import Page
from settle.output.xlsx import MONEY, TEXT, Table, frame_of

TREND_MONTHS = 12


@dataclass
class History:
    """Earlier settled months, as settlement.json recorded them."""

    previous: dict[str, Decimal] | None = None        # last month's 应发合计 by 工号 (None: not settled)
    previous_month: str = ""
    months: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)  # (month, 业绩, 应发合计), oldest first
    share: Decimal = Decimal("0.30")
    change: Decimal = Decimal("0.50")


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_history(out_root: Path, month, share: Decimal = Decimal("0.30"), change: Decimal = Decimal("0.50")) -> History:
    """The settled months before `month` (a Month) in `out_root`: the previous one's totals and
    up to 11 earlier ones' department figures for the trend."""
    from settle.output.publish import settled_folder

    h = History(share=share, change=change)
    for k in range(TREND_MONTHS - 1, 0, -1):
        m = month.shift(-k)
        data = _read(settled_folder(Path(out_root), str(m)) / "settlement.json")
        if not data or "people" not in data:
            continue
        try:
            people = data["people"]
            perf = sum((Decimal(p["performance"]) for p in people.values()), Decimal(0)) + \
                sum((Decimal(v["performance"]) for v in data.get("network", {}).values()), Decimal(0))
            pay = sum((Decimal(p["total"]) for p in people.values()), Decimal(0))
            h.months.append((str(m), perf, pay))
            if k == 1:
                h.previous = {sid: Decimal(p["total"]) for sid, p in people.items()}
                h.previous_month = str(m)
        except (KeyError, TypeError, ArithmeticError):
            continue
    return h


def department_figures(s: Settlement) -> tuple[Decimal, Decimal]:
    """This month's 业绩 (payslips and 网络部, rounded per person as 汇总 shows) and pay."""
    perf = sum((r2(p.performance) for p in s.payslips), Decimal(0)) + sum((r2(v) for v in s.network.values()), Decimal(0))
    return perf, sum((p.total for p in s.payslips), Decimal(0))


def change_of(now: Decimal, before: Decimal | None) -> Decimal | None:
    return None if before is None else now - before


def attention_rows(s: Settlement, h: History, lang: str = "zh") -> list[tuple]:
    """关注: anyone above `share` of the department's pay, or whose pay changed by more than
    `change` (relative to last month's, by absolute value) since last month."""
    _, pay = department_figures(s)
    out = []
    for p in s.payslips:
        reasons = []
        part = p.total / pay if pay > 0 else None
        if part is not None and part > h.share:
            reasons.append(f"占部门应发 {part:.1%}（> {h.share:.0%}）" if lang == "zh"
                           else f"{part:.1%} of the department's pay (> {h.share:.0%})")
        before = h.previous.get(p.staff_id) if h.previous is not None else None
        delta = change_of(p.total, before)
        rel = None
        if before is not None and before != 0:
            rel = delta / abs(before)
            if abs(rel) > h.change:
                reasons.append(f"较上月 {rel:+.1%}（超过 ±{h.change:.0%}）" if lang == "zh"
                               else f"{rel:+.1%} since last month (more than ±{h.change:.0%})")
        elif before is not None and delta != 0:
            reasons.append("上月为 0" if lang == "zh" else "last month was 0")
        if reasons:
            out.append((p.staff_id, p.name, p.role, p.total, float(part) if part is not None else None,
                        before, delta, ("；" if lang == "zh" else "; ").join(reasons)))
    return out


def attention_table(s: Settlement, h: History, lang: str, page: Page) -> Table:
    zh = lang == "zh"
    cols = [("工号" if zh else "Staff id", TEXT), ("姓名" if zh else "Name", TEXT), ("角色" if zh else "Role", TEXT),
            ("应发合计" if zh else "Total pay", MONEY), ("占部门应发" if zh else "Share of pay", "num"),
            ("上月应发合计" if zh else "Last month", MONEY), ("变化" if zh else "Change", MONEY),
            ("原因" if zh else "Why", TEXT)]
    from settle.output.xlsx import Num
    rows = [(*r[:4], Num(r[4], "0.0%", f"{r[4]:.1%}") if r[4] is not None else None, *r[5:]) for r in attention_rows(s, h, lang)]
    note = (f"关注：占部门应发合计 > {h.share:.0%}，或应发合计较上月变化 > ±{h.change:.0%}（settle.yaml attention: 可改）"
            if zh else f"attention: above {h.share:.0%} of the department's pay, or changed by more than "
                       f"{h.change:.0%} since last month (settle.yaml attention:)")
    # The rule goes under the list: the header row stays row 1, as on every sheet a program reads.
    return Table("关注" if zh else "Attention", cols, frame_of(rows, cols), widths={7: 48}, wrap=(7,),
                 below=[(note, "plain")], landscape=True,
                 header=page.header(f"{s.month} {'关注' if zh else 'attention'}"), lang=lang)


def chart_table(s: Settlement, lang: str, page: Page) -> Table:
    """图表: per paid person 应发合计 and 业绩 with the quota line, and the charts over them."""
    zh = lang == "zh"
    quota = quota_of(s)
    cols = [("姓名" if zh else "Name", TEXT), ("应发合计" if zh else "Total pay", MONEY),
            ("业绩" if zh else "Performance", MONEY), (f"业绩定额 {quota:,.0f}" if zh else f"quota {quota:,.0f}", MONEY)]
    rows = [(f"{p.name}（{p.staff_id}）" if zh else f"{p.name} ({p.staff_id})", p.total, r2(p.performance), quota)
            for p in s.payslips]
    charts = [{"type": "bar", "title": ("应发合计（按人）" if zh else "Total pay by person"), "categories": 0,
               "series": [1]},
              {"type": "column", "title": ("业绩与定额" if zh else "Performance against the quota"), "categories": 0,
               "series": [2], "lines": [3]}]
    return Table("图表" if zh else "Charts", cols, frame_of(rows, cols), charts=charts, landscape=True,
                 header=page.header(f"{s.month} {'图表' if zh else 'charts'}"), lang=lang)


def trend_table(s: Settlement, h: History, lang: str, page: Page) -> Table:
    """趋势: the department's 业绩 and 应发合计 by settled month, this one last (up to 12)."""
    zh = lang == "zh"
    perf, pay = department_figures(s)
    cols = [("月份" if zh else "Month", TEXT), ("部门业绩" if zh else "Performance", MONEY),
            ("应发合计" if zh else "Total pay", MONEY)]
    rows = [*h.months, (str(s.month), perf, pay)]
    charts = [{"type": "line", "title": ("近 12 个已结算月份：业绩与应发合计" if zh else
                                         "Last 12 settled months: performance and pay"),
               "categories": 0, "series": [1, 2]}]
    return Table("趋势" if zh else "Trend", cols, frame_of(rows, cols), charts=charts, landscape=True,
                 header=page.header(f"{s.month} {'趋势' if zh else 'trend'}"), lang=lang)


def quota_of(s: Settlement) -> Decimal:
    """R30's quota (20 000 in the shipped rules): the first base component's own quota."""
    from settle.rules import schema as P

    for comp in s.policy.pay:
        if isinstance(comp, P.BasePay) and comp.quota is not None and comp.quota_on == "own":
            return Decimal(comp.quota)
    for comp in s.policy.pay:
        if isinstance(comp, P.BasePay) and comp.quota is not None:
            return Decimal(comp.quota)
    return Decimal(20000)
