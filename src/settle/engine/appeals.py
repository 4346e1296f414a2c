"""申诉 (SPEC §12): each finding of R20–R26 has an id a filled-in appeal sheet names it by; a
同意 row with a 批准人 becomes what §3.5 would have the clerk type into 调整.

- R22 转诊迟报, R23 老患者, R24 转诊信息不全 → the 确认例外 of §3.5 for the registration's 卡号
  (else its 患者标识), in the appeal sheet's month: R7 lifts the rejection exactly as a 调整 row
  would (seed 003 五.2: 由市场部主任申请 … 可确认), citing the appeal's file and row.
- R21 重复办卡 → a 补发 of that card's fine (R38, in 奖励), in the month the fine is charged: the
  matching 调整. The extra card's spending stays uncredited (R7: R21 cannot be lifted).
- R20 未登记卡, R25 人员不存在, R26 撞单 → recorded, with a warning saying what the clerk must do
  instead (register the card, correct the roster or the row; 撞单 follows 首发制度, R3): no
  调整 of §3.5 undoes them.
不同意 rows are recorded and change nothing. A finding's id is its code and source place
(file, sheet, row, 卡号): stable between runs of the same inputs, recomputable from the record.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from settle.engine.card_checks import LIFTABLE, REJECTION_ORDER
from settle.load.appeals import APPROVED, PENDING, REJECTED
from settle.load.workspace import Month
from settle.problems import RULE_OF, VIOLATION_NAMES, both, problem

CARD_CODES = ("unregistered_card", *REJECTION_ORDER, "conflicting_claim")   # R20–R26: what can be appealed
# What the clerk does instead when a finding no adjustment can lift is approved.
_TODO = {"unregistered_card": ("请在登记表中补登该卡（R2），下次结算即计入", "register the card in the registrations (R2); the next run credits it"),
         "unknown_staff": ("请更正登记表的业务员或人员名单（R25）", "correct the row's salesperson or the roster (R25)"),
         "conflicting_claim": ("撞单按首发制度处理（R3）；如需补偿，请在调整中录入奖励",
                               "a conflicting claim follows the first-claim rule (R3); enter a bonus adjustment to compensate")}


def _text(v) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    return str(v)


def finding_id(code: str, file, sheet, row, card_no) -> str:
    """R22-0471826509: the rule and 10 digits of a hash of (code, file, sheet, row, 卡号) —
    digits only, so the id reads the same in a Chinese and an English sheet."""
    r = "" if row is None or (not isinstance(row, str) and pd.isna(row)) else str(int(float(row)))
    key = "|".join((code, _text(file), _text(sheet), r, _text(card_no)))
    return f"{RULE_OF[code]}-{int(hashlib.sha1(key.encode('utf-8')).hexdigest(), 16) % 10 ** 10:010d}"


def finding_ids(frame: pd.DataFrame) -> list[str]:
    """The id of every row of a 违规 frame (code, file, sheet, row, card_no); '' for rows that
    cannot be appealed (R27, flags)."""
    return [finding_id(c, f, s, r, k) if c in CARD_CODES else ""
            for c, f, s, r, k in zip(frame["code"], frame["file"], frame["sheet"], frame["row"], frame["card_no"])]


@dataclass
class Decision:
    """One appeal row and what came of it. applied: exception (确认例外) · back_pay (补发) · none
    (approved, nothing to lift) · rejected · pending · missing (no such finding) · repeated."""

    id: str
    status: str                       # approved · rejected · pending
    approved_by: str
    file: str
    sheet: str | None
    row: int
    month: str                        # the month folder the appeal sheet was read from
    code: str | None = None           # the finding's
    staff_id: str | None = None
    finding: dict | None = None       # the finding's file, sheet, row, card_no
    applied: str = "none"
    amount: Decimal | None = None     # the 补发 of an approved R21
    charged_in: str | None = None     # R21: the month the fine is charged in (its card's 登记时间)

    def to_json(self) -> dict:
        return {"id": self.id, "code": self.code, "rule": RULE_OF.get(self.code or "", ""), "staff_id": self.staff_id,
                "decision": self.status, "approved_by": self.approved_by, "applied": self.applied,
                "amount": None if self.amount is None else str(self.amount), "month": self.month,
                "file": self.file, "sheet": self.sheet, "row": self.row, "finding": self.finding}


@dataclass
class AppealOutcome:
    decisions: list[Decision] = field(default_factory=list)
    exceptions: pd.DataFrame = field(default_factory=pd.DataFrame)   # 确认例外 rows for R7
    problems: list = field(default_factory=list)

    def by_finding(self) -> dict[str, Decision]:
        """The decision that counts for each finding id (repeats left out)."""
        return {d.id: d for d in self.decisions if d.applied not in ("repeated", "missing")}


def registration_findings(regs: pd.DataFrame) -> pd.DataFrame:
    """Every R21–R25 finding of every registration read (any month), with its id."""
    parts = []
    for code in REJECTION_ORDER:
        on = regs[code].to_numpy(dtype=bool)
        if code == "duplicate_card":
            on = on & regs["extra_card"].to_numpy(dtype=bool)
        hit = regs[on]
        parts.append(pd.DataFrame({"code": code, "staff_id": hit["staff_id"].astype(object), "file": hit["src_file"],
                                   "sheet": hit["src_sheet"], "row": hit["src_row"],
                                   "card_no": hit["card_no"].astype(object),
                                   "patient_key": hit["patient_key"].astype(object), "reg_month": hit["reg_month"]}))
    found = pd.concat(parts, ignore_index=True)
    found["id"] = finding_ids(found)
    return found


def match_appeals(appeals: pd.DataFrame | None, regs: pd.DataFrame, month: Month) -> AppealOutcome:
    """First half, before R7: each appeal row tied to its registration finding; the approved
    R22–R24 become 确认例外 rows. Rows naming no registration finding wait for `finish`."""
    out = AppealOutcome()
    if appeals is None or not len(appeals):
        return out
    found = registration_findings(regs).drop_duplicates("id").set_index("id")
    exceptions = []
    for a in appeals.itertuples():
        d = Decision(_text(a.finding_id).upper(), a.status, _text(a.approved_by), a.src_file, a.src_sheet or None,
                     int(a.src_row), a.src_month)
        out.decisions.append(d)
        if d.id not in found.index:
            continue
        f = found.loc[d.id]
        _tie(d, f["code"], f["staff_id"], f["file"], f["sheet"], f["row"], f["card_no"])
        d.charged_in = f["reg_month"] if d.code == "duplicate_card" else None
        if d.status == APPROVED and d.code in LIFTABLE:
            card = f["card_no"] if isinstance(f["card_no"], str) else None
            exceptions.append({"kind": "确认例外", "card_no": card, "patient_key": None if card else f["patient_key"],
                               "src_month": d.month, "src_file": d.file, "src_row": d.row, "approved_by": d.approved_by})
    out.exceptions = pd.DataFrame(exceptions)
    return out


def _tie(d: Decision, code, staff_id, file, sheet, row, card_no) -> None:
    d.code = code
    d.staff_id = staff_id if isinstance(staff_id, str) else None
    d.finding = {"file": file, "sheet": _text(sheet) or None, "row": int(row), "card_no": _text(card_no) or None}


def month_findings(credit) -> pd.DataFrame:
    """MONTH's appealable findings (its R20–R26 违规 rows) with their ids and the person whose
    appeal sheet lists each: the registrant; for R20 (a line, no registration) the salesperson
    who owns the line's patient by 患者标识 (R3), when someone does."""
    v = credit.violations
    v = v[v["code"].isin(CARD_CODES).to_numpy()].copy()
    v["id"] = finding_ids(v) if len(v) else []
    v["appellant"] = v["staff_id"].astype(object)
    r20 = (v["code"] == "unregistered_card").to_numpy()
    if r20.any() and len(credit.lines):
        lines = credit.lines[credit.lines["unregistered_card"].to_numpy(dtype=bool)]
        key = pd.MultiIndex.from_arrays([lines["src_file"].astype(str), lines["src_row"].astype("int64")])
        owner = pd.Series(lines["owner_reg"].to_numpy(), index=key)
        owner = owner[~owner.index.duplicated()]
        regs = credit.registrations
        at = owner.reindex(pd.MultiIndex.from_arrays([v.loc[r20, "file"].astype(str),
                                                      v.loc[r20, "row"].astype("int64")])).to_numpy()
        staff = regs["staff_id"].astype(object).reindex(np.where(pd.isna(at), -1, at).astype(np.int64)).to_numpy()
        v.loc[r20, "appellant"] = staff
    return v


def finish(out: AppealOutcome, credit, month: Month, fine: Decimal) -> None:
    """Second half, once MONTH's 违规 are known: R20/R26 rows tied; each row's outcome; the
    warnings for MONTH's own rows (a finding that no longer exists, an approval with nothing to
    lift, a repeat)."""
    if not out.decisions:
        return
    mine = month_findings(credit).drop_duplicates("id").set_index("id")
    claims = credit.registrations[credit.registrations["conflict"].to_numpy(dtype=bool)]
    r26 = pd.DataFrame({"code": "conflicting_claim", "staff_id": claims["staff_id"].astype(object),
                        "file": claims["src_file"], "sheet": claims["src_sheet"], "row": claims["src_row"],
                        "card_no": claims["card_no"].astype(object)})
    r26["id"] = finding_ids(r26) if len(r26) else []
    r26 = r26.drop_duplicates("id").set_index("id")
    seen: dict[str, Decision] = {}
    for d in out.decisions:
        own = d.month == str(month)
        if d.code is None:
            for table, who in ((mine, "appellant"), (r26, "staff_id")):
                if d.id in table.index:
                    f = table.loc[d.id]
                    _tie(d, f["code"], f[who], f["file"], f["sheet"], f["row"], f["card_no"])
                    break
        where = dict(file=d.file, sheet=d.sheet, row=d.row)
        if d.code is None:
            d.applied = "missing"
            if own:
                out.problems.append(problem("appeal_unknown_finding", **where, value=d.id, month=str(month)))
            continue
        if d.id in seen:
            d.applied = "repeated"
            if own:
                first = seen[d.id]
                out.problems.append(problem("appeal_repeated", **where, id=d.id,
                                            other=f"{first.file} › {first.row}"))
            continue
        seen[d.id] = d
        d.applied = {REJECTED: "rejected", PENDING: "pending"}.get(d.status, "none")
        if d.status != APPROVED:
            continue
        if d.code in LIFTABLE:
            d.applied = "exception"
        elif d.code == "duplicate_card":
            if d.charged_in == str(month):      # the fine is charged in MONTH: its 补发 is paid here
                d.applied, d.amount = "back_pay", fine
        elif own:
            zh, en = VIOLATION_NAMES[d.code]
            todo = _TODO[d.code]
            out.problems.append(problem("appeal_no_effect", **where, id=d.id, rule=RULE_OF[d.code],
                                        name=both(zh, en), todo=both(*todo)))


def appeal_result(d: Decision | None, lang: str = "zh") -> str:
    """The 违规 sheet's 申诉结果: 同意 — 批准人 X / 不同意 — 批准人 X / 待批 / 未申诉."""
    if d is None:
        return "未申诉" if lang == "zh" else "not appealed"
    if d.status == APPROVED:
        return f"同意 — 批准人 {d.approved_by}" if lang == "zh" else f"approved — by {d.approved_by}"
    if d.status == REJECTED:
        return f"不同意 — 批准人 {d.approved_by}" if lang == "zh" else f"rejected — by {d.approved_by}"
    return "已申诉，待批" if lang == "zh" else "appealed, not decided"


def back_pay_lines(out: AppealOutcome | None, by_id: dict) -> None:
    """R21 同意: a 补发 of the card's fine (R38, in 奖励), one line per approved appeal row, citing it."""
    from settle.engine.model import PayLine

    for d in (out.decisions if out is not None else ()):
        if d.applied != "back_pay" or d.staff_id not in by_id:
            continue
        card = (d.finding or {}).get("card_no") or ""
        reason = f"申诉同意：撤销重复办卡罚款（卡号 {card}）"
        by_id[d.staff_id].lines.append(PayLine(
            "adjustment", "补发", "R38", "奖励", reason, f"批准人 {d.approved_by}", d.amount,
            detail=f"申诉 {d.file} 第 {d.row} 行：{reason}（批准人 {d.approved_by}）"))
