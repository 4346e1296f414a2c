"""R42 科间转诊单: MONTH's inter-department referral slips, checked like every input, and the slips
the previous month carried over (seed 003, 门诊患者科间转诊的奖励规定).

Carried slips are read from the previous month's recorded settlement.json, not recomputed from
its inputs: SPEC §10 says earlier months contribute only their recorded results ("carried R42
slips"), so a month settles under its own rules version, and an April export edited after
April was settled cannot silently change what April decided.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from settle.load import columns as C
from settle.load.inputs import header_of, load_month_kind, require
from settle.load.workspace import Month, Workspace
from settle.problems import Problems, problem

REQUIRED = ("referred_on", "record_no", "patient_name", "from_department", "first_doctor", "to_department")


@dataclass
class Slips:
    """What R42 needs besides the billing: MONTH's slips and the previous month's record."""

    frame: pd.DataFrame                                   # MONTH's 科间转诊单 rows (checked)
    carried: list[dict] = field(default_factory=list)     # slips the previous month carried over
    prior: list[dict] = field(default_factory=list)       # the previous month's successful slips
    files: dict[str, str] = field(default_factory=dict)   # settlement.json read -> SHA-256


def check_slips(frame: pd.DataFrame, month: Month, problems: Problems) -> pd.DataFrame:
    """Every required cell filled; 转诊日期 inside MONTH (a slip of another month belongs in that
    month's folder). Each failure is a positioned input error."""
    everywhere = np.ones(len(frame), dtype=bool)
    for fname in REQUIRED:
        require(frame, C.INTERDEPT, fname, everywhere, problems)
    on = frame["referred_on"]
    first, last = pd.Timestamp(month.first_day), pd.Timestamp(month.last_day)
    outside = (on.notna() & ((on < first) | (on > last))).to_numpy(dtype=bool)
    column = header_of(frame, C.INTERDEPT, "referred_on")
    for _, r in frame[outside].iterrows():
        problems.add(problem("interdept_outside_month", file=r["src_file"], sheet=r["src_sheet"] or None,
                             row=r["src_row"], column=column, value=f"{r['referred_on']:%Y-%m-%d}",
                             month=str(month)))
    return frame


def load_interdept(ws: Workspace, month: Month, problems: Problems) -> Slips:
    months = [month] if ws.month_dir(month).is_dir() else []
    frame = check_slips(load_month_kind(ws, months, "interdept", problems), month, problems)
    slips = Slips(frame)
    _read_previous(ws, month, slips, problems)
    return slips


def _read_previous(ws: Workspace, month: Month, slips: Slips, problems: Problems) -> None:
    """The previous month's recorded R42 slips: those it carried over and those that succeeded
    (a later slip for the same referral is a repeat of it)."""
    from settle.output.publish import settled_folder

    prev = month.shift(-1)
    path = settled_folder(ws.out_root, str(prev)) / "settlement.json"
    try:
        raw = path.read_bytes()
        data = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError):
        if ws.files(prev, "interdept"):
            problems.add(problem("interdept_not_carried", folder=str(prev), month=str(month)))
        return
    record = data.get("interdept") if isinstance(data, dict) else None
    if not isinstance(record, dict):
        return
    slips.files[f"{ws.out_root.name}/{prev}/settlement.json"] = hashlib.sha256(raw).hexdigest()
    for item in record.get("slips", []):
        if not _readable(item):
            problems.add(problem("interdept_bad_record", file=f"{ws.out_root.name}/{prev}/settlement.json",
                                 value=str(item.get("id") if isinstance(item, dict) else item)[:80]))
        elif item.get("outcome") == "carried":
            slips.carried.append(item)
        elif item.get("outcome") == "success":
            slips.prior.append(item)


RECORD_KEYS = ("id", "month", "referred_on", "record_no", "patient_name", "from_department", "first_doctor",
               "to_department", "file", "row", "lines")


def _readable(item) -> bool:
    """A recorded slip as `SlipResult.from_json` needs it (settlement.json may have been edited)."""
    if not isinstance(item, dict) or any(k not in item for k in RECORD_KEYS):
        return False
    try:
        dt.date.fromisoformat(str(item["referred_on"]))
        int(item["row"])
        return all(isinstance(ln, dict) and set(ln) == LINE_KEYS for ln in item["lines"])
    except (TypeError, ValueError):
        return False


LINE_KEYS = {"side", "month", "file", "sheet", "row", "visited", "department", "category", "amount_fen", "inpatient"}
