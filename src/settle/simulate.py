"""`settle simulate MONTH --rules OTHER` (SPEC §10, issue 13): a month under other rules, per
person, without touching it.

The simulated figures come from the same engine and the month's inputs as `run`; OTHER's
`effective` is ignored. The comparison base is the settled result when the month is settled
(an input changed since the settlement is named), else the month computed in memory under its
own rules version. Nothing under output/MONTH/, its history or its lock is read for writing;
the only file written is output/simulations/<MONTH or A_B>/对比_<name>.xlsx.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from settle.problems import Problems, problem

COMPONENTS = ("基本工资", "补贴", "绩效考核", "提成", "管理奖金", "团队提成", "奖励", "扣款", "应发合计")
ZERO = Decimal("0.00")


@dataclass
class Person:
    staff_id: str
    name: str
    role: str
    settled: dict[str, Decimal]        # component -> amount (扣款 positive, as in 汇总)
    simulated: dict[str, Decimal]

    def difference(self, c: str) -> Decimal:
        return self.simulated.get(c, ZERO) - self.settled.get(c, ZERO)


@dataclass
class MonthComparison:
    month: str
    base: str                          # "settled" | "computed"
    people: list[Person]
    changed_inputs: list[str] = field(default_factory=list)

    def total(self, which: str, c: str = "应发合计") -> Decimal:
        return sum((getattr(p, which).get(c, ZERO) for p in self.people), ZERO)


@dataclass
class Comparison:
    other: str                         # OTHER's file name without suffix
    months: list[MonthComparison]

    def to_json(self) -> dict:
        return {"rules": self.other, "months": [
            {"month": m.month, "base": m.base, "changed_inputs": m.changed_inputs,
             "totals": {"settled": str(m.total("settled")), "simulated": str(m.total("simulated")),
                        "difference": str(m.total("simulated") - m.total("settled"))},
             "people": [{"staff_id": p.staff_id, "name": p.name, "role": p.role,
                         "components": {c: {"settled": str(p.settled.get(c, ZERO)),
                                            "simulated": str(p.simulated.get(c, ZERO)),
                                            "difference": str(p.difference(c))} for c in COMPONENTS}}
                        for p in m.people]} for m in self.months]}


def month_range(start, end) -> list:
    months, m = [], start
    while m <= end:
        months.append(m)
        m = m.shift(1)
    return months


def _figures(slip) -> dict[str, Decimal]:
    out = {c: slip.summary_column(c) for c in COMPONENTS[:-1]}
    out["应发合计"] = slip.total
    return out


def _recorded(person: dict) -> dict[str, Decimal]:
    out = {c: Decimal(person["columns"].get(c, "0")) for c in COMPONENTS[:-1]}
    out["应发合计"] = Decimal(person["total"])
    return out


def compare_month(workspace: Path, month, other, problems: Problems, *, out: Path | None = None
                  ) -> MonthComparison | None:
    """One month: its base (settled, or computed under its own version) and OTHER's figures."""
    from settle.engine.pipeline import blocking, compute, load
    from settle.output.publish import settled_folder
    from settle.records import read_record, recorded_rules

    # A settled month loads under the rules it kept (its base is the record, not today's rules).
    loaded = load(workspace, month, problems, out=out, rules=recorded_rules(workspace, month, out))
    record = read_record(settled_folder(loaded.ws.out_root, str(month)))
    if blocking(problems) or loaded.inputs is None or (record is None and loaded.policy is None):
        return None
    simulated = compute(dataclasses.replace(loaded, policy=other.policy))
    sim = {p.staff_id: p for p in simulated.payslips}
    if record is not None:
        base, kind = {sid: (p["name"], p["role"], _recorded(p)) for sid, p in record["people"].items()}, "settled"
        now = dict(loaded.inputs.files)
        changed = [n for n, d in record.get("inputs", {}).items() if now.get(n) != d]
        changed += [n for n in now if n not in record.get("inputs", {})]
    else:
        own = compute(loaded)
        base, kind, changed = {p.staff_id: (p.name, p.role, _figures(p)) for p in own.payslips}, "computed", []
    people = []
    for sid in sorted(set(base) | set(sim)):
        name, role, figures = base.get(sid) or (sim[sid].name, sim[sid].role, {})
        people.append(Person(sid, name, role, figures, _figures(sim[sid]) if sid in sim else {}))
    return MonthComparison(str(month), kind, people, changed)


def simulate(workspace: Path, months: list, other_path: Path, *, out: Path | None = None
             ) -> tuple[Comparison | None, Problems]:
    """Every month of `months` under the rules at `other_path` (its `effective` ignored)."""
    from settle.rules import load_version

    problems = Problems()
    other = load_version(Path(other_path), problems)
    if other is None:
        return None, problems
    result = []
    for m in months:
        got = compare_month(Path(workspace), m, other, problems, out=out)
        if got is None:
            return None, problems
        result.append(got)
    return Comparison(Path(other_path).stem, result), problems


def comparison_path(out_root: Path, months: list, other: str) -> Path:
    folder = str(months[0]) if len(months) == 1 else f"{months[0]}_{months[-1]}"
    return Path(out_root) / "simulations" / folder / f"对比_{other}.xlsx"


def write_comparison(path: Path, cmp: Comparison) -> Path:
    """One sheet per month (a row per person: each component settled / simulated / difference, a
    合计 row, a bar chart of the 应发合计 difference by person) and, for several months, 合计."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        _write_workbook(xlsxwriter.Workbook(str(tmp)), cmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    from settle.replace import replace
    replace(tmp, path, temp=True)  # open in Excel: "close 对比_….xlsx", the temp file removed (issue 28.5)
    return path


def _write_workbook(wb, cmp: Comparison) -> None:
    fmt = {"head": wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "border": 1}),
           "money": wb.add_format({"num_format": "#,##0.00"}),
           "total": wb.add_format({"num_format": "#,##0.00", "bold": True, "top": 1}),
           "bold": wb.add_format({"bold": True, "top": 1})}
    for m in cmp.months:
        _sheet(wb, fmt, m.month, m.people, COMPONENTS)
    if len(cmp.months) > 1:
        merged: dict[str, Person] = {}
        for m in cmp.months:
            for p in m.people:
                acc = merged.setdefault(p.staff_id, Person(p.staff_id, p.name, p.role, {}, {}))
                for c in COMPONENTS:
                    acc.settled[c] = acc.settled.get(c, ZERO) + p.settled.get(c, ZERO)
                    acc.simulated[c] = acc.simulated.get(c, ZERO) + p.simulated.get(c, ZERO)
        _sheet(wb, fmt, "合计", [merged[k] for k in sorted(merged)], COMPONENTS)
    wb.close()


def _sheet(wb, fmt, name: str, people: list[Person], components) -> None:
    ws = wb.add_worksheet(name)
    heads = ["工号", "姓名", "角色"]
    for c in components:
        heads += [f"{c} 已结算", f"{c} 模拟", f"{c} 差额"]
    ws.write_row(0, 0, heads, fmt["head"])
    ws.freeze_panes(1, 3)
    ws.set_column(0, 2, 9)
    ws.set_column(3, len(heads) - 1, 12, fmt["money"])
    for i, p in enumerate(people, start=1):
        ws.write_row(i, 0, [p.staff_id, p.name, p.role])
        for k, c in enumerate(components):
            for j, v in enumerate((p.settled.get(c, ZERO), p.simulated.get(c, ZERO), p.difference(c))):
                ws.write_number(i, 3 + 3 * k + j, float(v), fmt["money"])
    last = len(people) + 1
    ws.write(last, 0, "合计", fmt["bold"])
    for k, c in enumerate(components):
        for j, which in enumerate(("settled", "simulated", None)):
            total = sum(((p.difference(c) if which is None else getattr(p, which).get(c, ZERO)) for p in people),
                        ZERO)
            ws.write_number(last, 3 + 3 * k + j, float(total), fmt["total"])
    diff_col = 3 + 3 * (len(components) - 1) + 2
    chart = wb.add_chart({"type": "bar"})
    chart.add_series({"name": "应发合计 差额", "categories": [name, 1, 1, len(people), 1],
                      "values": [name, 1, diff_col, len(people), diff_col]})
    chart.set_title({"name": f"{name} 应发合计差额（模拟 − 已结算）"})
    chart.set_legend({"none": True})
    chart.set_size({"width": 640, "height": 24 * max(len(people), 8)})
    ws.insert_chart(last + 2, 1, chart)


def usage_problem(start, end) -> Problems:
    problems = Problems()
    problems.add(problem("bad_range", start=str(start), end=str(end)))
    return problems
