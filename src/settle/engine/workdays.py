"""The month's calendar: employed days (R30, R40) and working days (R27, R43 晨会)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from settle.load.workspace import Month
from settle.rules import schema as P


def employed_days(hired, left, month: Month) -> int:
    """R30/R40: calendar days of MONTH between 入职日期 and 离职日期, inclusive."""
    start = max(pd.Timestamp(month.first_day), hired) if pd.notna(hired) else pd.Timestamp(month.first_day)
    end = min(pd.Timestamp(month.last_day), left) if pd.notna(left) else pd.Timestamp(month.last_day)
    return max(0, (end - start).days + 1)


def working_days(month: Month, policy: P.Policy, holidays=()) -> list[dt.date]:
    """R27: MONTH's working days — the rules' working weekdays, less their and the workspace's holidays."""
    hol = set(policy.violations.holidays) | set(holidays)
    days = [month.first_day + dt.timedelta(days=i) for i in range(month.days)]
    return [d for d in days if d.isoweekday() in policy.violations.working_weekdays and d not in hol]


def next_working_day(d: dt.date, policy: P.Policy, holidays=()) -> dt.date:
    """R27: the working day after `d`."""
    hol = set(policy.violations.holidays) | set(holidays)
    n = d + dt.timedelta(days=1)
    while n.isoweekday() not in policy.violations.working_weekdays or n in hol:
        n += dt.timedelta(days=1)
    return n
