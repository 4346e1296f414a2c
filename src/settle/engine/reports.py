"""R27 日报: each working day's report is due by `report_due` of the next working day; a late
one (日报迟交) and a missing one (日报缺失) each cost a fine."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from settle.engine.card_checks import violation_row
from settle.engine.model import PayLine
from settle.engine.workdays import next_working_day, working_days
from settle.load.workspace import Month
from settle.rules import schema as P

FINDING_COLUMNS = ["staff_id", "day", "code", "due", "submitted_at", "file", "sheet", "row"]


def report_findings(daily: pd.DataFrame, staff: pd.DataFrame, month: Month, policy: P.Policy,
                    holidays=()) -> pd.DataFrame:
    """R27 日报: per 业务员/主管 and working day while employed, the earliest report of that day
    must be in by `report_due` of the next working day. Returns one row per late/missing day."""
    h, m = (int(x) for x in policy.violations.report_due.split(":"))
    days = working_days(month, policy, holidays)
    people = staff[staff["role"].isin(["业务员", "主管"])]
    d = daily[daily["staff_id"].notna() & daily["report_date"].notna() & daily["submitted_at"].notna()]
    first = d.groupby(["staff_id", "report_date"], observed=True)["submitted_at"].min()
    first_map = {(sid, pd.Timestamp(day).date()): ts for (sid, day), ts in first.items()}
    src = d.sort_values("submitted_at").drop_duplicates(["staff_id", "report_date"])
    src_map = {(r.staff_id, pd.Timestamp(r.report_date).date()): (r.src_file, r.src_sheet, r.src_row)
               for r in src.itertuples()}
    rows = []
    for p in people.itertuples():
        for day in days:
            ts_day = pd.Timestamp(day)
            if (pd.notna(p.hired_on) and ts_day < p.hired_on) or (pd.notna(p.left_on) and ts_day > p.left_on):
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
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def report_fines(findings: pd.DataFrame, policy: P.Policy) -> dict[str, list[PayLine]]:
    """R27 扣款: one payslip line per kind — 日报迟交 × late fine, 日报缺失 × missing fine."""
    out: dict[str, list[PayLine]] = {}
    for sid, grp in findings.groupby("staff_id"):
        for code, name, fine in (("late_report", "日报迟交", policy.violations.late_report_fine),
                                 ("missing_report", "日报缺失", policy.violations.missing_report_fine)):
            days = grp[grp["code"] == code]
            if len(days):
                out.setdefault(sid, []).append(PayLine(
                    code, name, "R27", "扣款", f"{len(days)} 次", f"{fine} 元/次", -len(days) * fine,
                    detail="日期：" + "、".join(d.strftime("%m-%d") for d in days["day"])))
    return out


def report_violations(findings: pd.DataFrame, policy: P.Policy) -> list[dict]:
    """R27's rows of 违规: one per late or missing day."""
    rows = []
    for r in findings.itertuples():
        if r.code == "late_report":
            rows.append(violation_row("late_report", staff_id=r.staff_id, file=r.file, sheet=r.sheet, row=r.row,
                                      detail=f"{r.day:%Y-%m-%d} 的日报 {r.submitted_at:%Y-%m-%d %H:%M} 提交，应在 "
                                             f"{r.due:%Y-%m-%d %H:%M} 前",
                                      effect=f"扣 {policy.violations.late_report_fine} 元"))
        else:
            rows.append(violation_row("missing_report", staff_id=r.staff_id,
                                      detail=f"{r.day:%Y-%m-%d} 没有日报",
                                      effect=f"扣 {policy.violations.missing_report_fine} 元"))
    return rows
