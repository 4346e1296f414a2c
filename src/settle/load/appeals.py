"""申诉 (SPEC §12): filled-in appeal sheets put back in the month folder, read like every input.

Each row names one finding by its 编号 (the id settle printed on the sheet it wrote). What a row
asks for is decided by 主任意见 (同意 / 不同意) and signed by 批准人; a row needs both to count.
Here the rows are only read and checked on their own (what validate can say without computing):
a row with a decision and no approver, or no decision, or a decision that is neither 同意 nor
不同意, is a warning naming it, and takes no effect. Matching rows to findings (and a finding that
no longer exists) is engine/appeals.py's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from settle.load import columns as C
from settle.load.inputs import header_of
from settle.load.normalize import fold_text
from settle.load.workspace import Month
from settle.problems import Problems, problem

APPROVED, REJECTED, PENDING = "approved", "rejected", "pending"
# 主任意见 as written, folded: the sheet's drop-down offers 同意/不同意 (an English sheet: approved/rejected).
_DECISIONS = {"同意": APPROVED, "不同意": REJECTED, "approved": APPROVED, "approve": APPROVED, "agree": APPROVED,
              "agreed": APPROVED, "yes": APPROVED, "rejected": REJECTED, "reject": REJECTED, "disagree": REJECTED,
              "no": REJECTED}


def decision_of(text) -> str | None:
    """同意 → approved, 不同意 → rejected, '' → None; anything else → '?'."""
    if not isinstance(text, str) or not text.strip():
        return None
    return _DECISIONS.get(fold_text(text).strip().lower().replace(" ", ""), "?")


def check_appeals(frame: pd.DataFrame, month: Month, problems: Problems) -> pd.DataFrame:
    """The appeal rows with `status`: approved (同意 and 批准人), rejected (不同意 and 批准人),
    pending (anything else filled in). Rows with nothing filled in (not appealed) are dropped.
    Only MONTH's own rows are warned about: earlier months' were judged when they ran."""
    frame = frame.copy()
    if not len(frame):
        frame["status"] = pd.Series([], dtype=object)
        return frame
    decided = frame["decision"].astype(object).map(decision_of)
    approver = frame["approved_by"].notna().to_numpy()
    written = np.zeros(len(frame), dtype=bool)
    for col in ("reason", "evidence", "decision", "approved_by"):
        written |= frame[col].notna().to_numpy()
    status = np.where(approver & (decided == APPROVED), APPROVED,
                      np.where(approver & (decided == REJECTED), REJECTED, PENDING)).astype(object)
    frame["status"] = status
    own = (frame["src_month"] == str(month)).to_numpy()
    kind = C.APPEALS
    for i in np.flatnonzero(written & own):
        r = frame.iloc[i]
        where = dict(file=r["src_file"], sheet=r["src_sheet"] or None, row=r["src_row"])
        d = decided.iloc[i]
        if d == "?":
            problems.add(problem("appeal_bad_decision", **where, column=header_of(frame, kind, "decision"),
                                 value=r["decision"], id=r["finding_id"] or ""))
        elif d is not None and not approver[i]:
            problems.add(problem("appeal_no_approver", **where, column=header_of(frame, kind, "approved_by"),
                                 id=r["finding_id"] or "", decision=r["decision"]))
        elif d is None:
            problems.add(problem("appeal_undecided", **where, column=header_of(frame, kind, "decision"),
                                 id=r["finding_id"] or ""))
    return frame[written].reset_index(drop=True)
