"""Terminal views of the month records (SPEC §10): explain from a record or a preview, and the
simulate comparison. Rendering only: the data come from settle.records and settle.simulate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console
from rich.table import Table


def print_explained(con: Console, ex, lang: str) -> None:
    from settle.problems import text
    from settle.records import money
    zh = lang == "zh"
    p = ex.person
    label = text("explain.preview", lang) if ex.preview else text("explain.settled", lang, at=ex.settled_at,
                                                                    version=ex.version)
    con.print(f"[bold]{p['name']}（{p['staff_id']}，{p['role']}{'，' + p['team'] if p['team'] else ''}）{ex.month}"
              f" — {label}[/bold]")
    con.print(f"{'在职' if zh else 'employed'} {p['employed_days']}/{p['month_days']} {'天' if zh else 'days'}，"
              f"{('正式' if p['regular'] else '试用期') if zh else ('regular' if p['regular'] else 'probation')}，"
              f"{'本月业绩' if zh else 'performance'} {money(p['performance'])}")
    for name, v in ex.streams:
        con.print(f"  {name}: {money(v)}")
    t = Table(title=("预览 " if ex.preview else "") + ("工资条" if zh else "Payslip"))
    for h in (("名称", "Item"), ("规则", "Rule"), ("基数", "Base"), ("比例或单价", "Rate"), ("金额", "Amount"),
              ("计算过程", "Derivation")):
        t.add_column(h[0] if zh else h[1], justify="right" if h[0] == "金额" else "left", overflow="fold")
    for line in ex.lines:
        t.add_row(line["name"], line["rule"], line["base"], line["rate"], money(line["amount"]), line["derivation"])
    t.add_row("应发合计" if zh else "Total", "R39", "", "", f"[bold]{money(ex.total)}[/bold]", "")
    con.print(t)
    for f in ex.flags:
        con.print(f"[yellow]{f}[/yellow]")


def cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return f"{v:%Y-%m-%d}" if v.time() == dt.time(0) else f"{v:%Y-%m-%d %H:%M}"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"{v:,.2f}"
    return str(v)


def print_credited_lines(con: Console, ex, s, folder: Path, record, lang: str) -> None:
    """业绩明细: computed for a preview; for a settled month, the rows of the published payslip."""
    zh = lang == "zh"
    lt = Table(title="业绩明细" if zh else "Credited lines")
    if s is not None:
        from settle.output.render import detail_rows, shares_of
        d = detail_rows(s, shares_of(s, ex.person["staff_id"]))
        for h in ("病历号", "患者", "结算日期", "项目类别", "金额", "比例", "返款", "业绩", "类别", "来源"):
            lt.add_column(h, overflow="fold")
        for r in d.itertuples():
            lt.add_row(str(r.record_no), r.patient_name, f"{r.settled_on:%Y-%m-%d}", str(r.category),
                       f"{r.amount:,.2f}", r.share, f"{r.rebate:,.2f}", f"{r.performance:,.2f}", str(r.stream), r.source)
    else:
        from settle.output.audit import read_sheet
        rel = (record.get("files") or {}).get("payslips", {}).get(ex.person["staff_id"])
        rows = read_sheet(folder / rel, 1) if rel else []
        for h in (rows[0] if rows else []):
            lt.add_column(str(h or ""), overflow="fold")
        for r in rows[1:]:
            lt.add_row(*[cell_text(v) for v in r])
    con.print(lt)


def print_comparison(con: Console, cmp, path: Path, lang: str) -> None:
    """simulate: per person 应发合计 settled → simulated and the difference, department totals."""
    from settle.problems import text
    for m in cmp.months:
        t = Table(title=text("simulate.title", lang, month=m.month, base=text(f"simulate.{m.base}", lang),
                             other=cmp.other))
        for i, h in enumerate(text("simulate.columns", lang).split("|")):
            t.add_column(h, justify="right" if i >= 2 else "left")
        for p in m.people:
            t.add_row(p.staff_id, p.name, f"{p.settled.get('应发合计', 0):,}", f"{p.simulated.get('应发合计', 0):,}",
                      f"{p.difference('应发合计'):+,}")
        a, b = m.total("settled"), m.total("simulated")
        t.add_row(text("simulate.total", lang), "", f"{a:,}", f"{b:,}", f"{b - a:+,}")
        con.print(t)
        con.print(text("simulate.base_settled" if m.base == "settled" else "simulate.base_computed", lang))
        for f in m.changed_inputs:
            con.print(f"[yellow]{text('simulate.input_changed', lang, file=f)}[/yellow]")
    con.print(text("simulate.written", lang, path=path))
