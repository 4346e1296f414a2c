"""What earlier months left behind: their settlement.json (R41 performance warnings)."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pandas as pd

from settle.load.workspace import Month, Workspace


class History:
    """Performance per person of earlier settled months, read from output/MONTH/settlement.json."""

    def __init__(self, ws: Workspace, staff: pd.DataFrame):
        self.ws = ws
        self.staff = staff.set_index("staff_id") if len(staff) else staff
        self._cache: dict[Month, dict | None] = {}
        self.files: dict[str, str] = {}  # display name -> SHA-256 of every settlement.json read

    def settlement(self, month: Month) -> dict | None:
        if month not in self._cache:
            from settle.output.publish import settled_folder
            path = settled_folder(self.ws.out_root, str(month)) / "settlement.json"
            try:
                raw = path.read_bytes()
                self._cache[month] = json.loads(raw.decode("utf-8"))
                # R41 read it: the run records which earlier result it stood on (运行信息, verify).
                self.files[f"{self.ws.out_root.name}/{month}/settlement.json"] = hashlib.sha256(raw).hexdigest()
            except (OSError, ValueError):
                self._cache[month] = None
        return self._cache[month]

    def performance(self, month: Month, staff_id: str) -> Decimal | None:
        data = self.settlement(month)
        if not data:
            return None
        person = data.get("people", {}).get(staff_id)
        if person is None:
            # Not on that month's payslips: before hiring or after leaving it says nothing of
            # their performance; otherwise (employed, no payslip line) it was 0.
            return Decimal(0) if self.employed_in(staff_id, month) else None
        return Decimal(person["performance_exact"])

    def employed_in(self, staff_id: str, month: Month) -> bool:
        s = self.staff.loc[staff_id]
        hired, left = s["hired_on"], s["left_on"]
        return ((pd.isna(hired) or hired <= pd.Timestamp(month.last_day))
                and (pd.isna(left) or left >= pd.Timestamp(month.first_day)))

    def full_month(self, staff_id: str, month: Month) -> bool:
        s = self.staff.loc[staff_id]
        hired, left = s["hired_on"], s["left_on"]
        return (pd.notna(hired) and hired <= pd.Timestamp(month.first_day)
                and (pd.isna(left) or left >= pd.Timestamp(month.last_day)))

    def warnings(self, by_id: dict, month: Month, policy) -> dict[str, list[str]]:
        """R41 for every 业务员 with a payslip in MONTH: the conditions met."""
        limit = policy.violations.performance_warning
        out: dict[str, list[str]] = {}
        for sid, slip in by_id.items():
            if slip.role != "业务员":
                continue
            conditions = []
            # (a) the first three full months, judged in the third.
            if self.full_month(sid, month):
                hired = self.staff.loc[sid, "hired_on"]
                first = Month.of(hired.date()) if hired.day == 1 else Month.of(hired.date()).shift(1)
                fulls = []
                m = first
                while m <= month and len(fulls) < 3:
                    if self.full_month(sid, m):
                        fulls.append(m)
                    m = m.shift(1)
                if len(fulls) == 3 and fulls[-1] == month:
                    perfs = [self.performance(m, sid) for m in fulls[:2]] + [slip.performance]
                    if all(p is not None for p in perfs):
                        avg = sum(perfs, Decimal(0)) / 3
                        if avg < limit:
                            conditions.append(f"前三个完整月（{fulls[0]}～{fulls[-1]}）平均业绩 "
                                              f"{avg.quantize(Decimal('0.01'))} 低于 {limit}")
            # (b) MONTH and the two before each below the limit.
            perfs = [self.performance(month.shift(-2), sid), self.performance(month.shift(-1), sid),
                     slip.performance]
            if all(p is not None for p in perfs) and all(p < limit for p in perfs):
                conditions.append(f"连续三个月（{month.shift(-2)}～{month}）业绩均低于 {limit}")
            if conditions:
                out[sid] = conditions
        return out
