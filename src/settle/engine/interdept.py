"""R42 科间转诊奖励 — the doctors' inter-department referral reward (SPEC §11; seed 003,
门诊患者科间转诊的奖励规定: 转诊成功1例奖励50元, 患者在本专业消费100元以上, 转其他科室再次消费100元以上).

A slip (科间转诊单) names a patient by 病历号, the department that referred (转出科室, its
首诊医生) and the department that received (转入科室). It succeeds when the patient has at least
`min_before` of counting billing in 转出科室 with 就诊时间 date d in [转诊日期 − days_before, 转诊日期]
and at least `min_after` in 转入科室 with d in [转诊日期, min(end of MONTH, 转诊日期 + days_after)].
A line counts when it counts under R1 in its own month's export; `inpatient_categories` never
count. One line may serve several slips. The billing is touched once, columnar (an `isin` on
病历号 over up to a million lines); everything after works on the few lines of the slips' patients.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from settle.load.workspace import Month
from settle.output.privacy import mask_name
from settle.rules.schema import InterdeptReferral

SUCCESS, REJECTED, REPEAT, CARRIED = "success", "rejected", "repeat", "carried"
# Rejection reasons in the order SPEC §11 checks them; the first that applies is shown.
REASON_ORDER = ("no_billing", "repeat", "inpatient", "short_before", "short_after")
OUTCOME_NAMES = {SUCCESS: ("成功", "success"), REJECTED: ("未成功", "rejected"), REPEAT: ("重复", "repeat"),
                 CARRIED: ("结转下月", "carried to next month")}
CENT = Decimal("0.01")


def reason_text(code: str | None, rules: InterdeptReferral, lang: str = "zh") -> str:
    """The reason as the seed and SPEC §11 name it (转出科室不足100 with the rules' number)."""
    if code is None:
        return ""
    lo, hi = _num(rules.min_before), _num(rules.min_after)
    names = {"no_billing": ("病历号无消费记录", "no billing for this record number"),
             "repeat": ("重复转诊单", "repeated slip"),
             "inpatient": ("住院", "inpatient lines only"),
             "short_before": (f"转出科室不足{lo}", f"referring department under {lo}"),
             "short_after": (f"转入科室不足{hi}", f"receiving department under {hi}")}
    return names[code][0 if lang == "zh" else 1]


def _num(d: Decimal) -> str:
    return f"{d.normalize():f}"


def fold_department(text) -> str:
    """科室 are free text: matched after folding (already half-width and trimmed at load),
    case and inner spaces ignored."""
    return "" if text is None or (isinstance(text, float) and np.isnan(text)) else \
        str(text).lower().replace(" ", "")


@dataclass(frozen=True)
class LineRef:
    """One billing line a slip rests on, with its place (file › sheet › row)."""

    side: str            # "out" (转出科室) | "in" (转入科室)
    month: str           # the export's month
    file: str
    sheet: str
    row: int
    visited: str         # 就诊时间, ISO
    department: str
    category: str
    amount_fen: int
    inpatient: bool      # never counts (inpatient_categories)

    @property
    def source(self) -> str:
        return " › ".join([p for p in (self.file, self.sheet) if p] + [f"第 {self.row} 行"])


@dataclass
class SlipResult:
    """One 科间转诊单 and what MONTH decided about it."""

    id: str                         # "<month>/<file>/<sheet>/<row>": stable across months
    month: str                      # the month of its 转诊日期
    referred_on: dt.date
    record_no: str
    patient_name: str               # masked (SPEC §7)
    from_department: str
    first_doctor: str
    to_department: str
    receiving_doctor: str
    file: str
    sheet: str
    row: int
    window_end: dt.date             # 转诊日期 + days_after: carried until then
    carried_in: bool = False        # carried over from the previous month
    has_billing: bool = False
    lines: list[LineRef] = field(default_factory=list)
    outcome: str = ""
    reason: str | None = None       # why not (yet) successful: a code of REASON_ORDER
    repeat_of: str | None = None
    reward: Decimal = Decimal("0.00")

    def side(self, side: str) -> list[LineRef]:
        return [ln for ln in self.lines if ln.side == side]

    def amount_fen(self, side: str) -> int:
        """The side's counting outpatient amount, in fen (inpatient lines never count)."""
        return sum(ln.amount_fen for ln in self.side(side) if not ln.inpatient)

    def inpatient_only(self, side: str) -> bool:
        lines = self.side(side)
        return bool(lines) and all(ln.inpatient for ln in lines)

    @property
    def source(self) -> str:
        return " › ".join([p for p in (self.file, self.sheet) if p] + [f"第 {self.row} 行"])

    @property
    def triple(self) -> tuple[str, str, str]:
        """The seed's 计转诊成功1人: one referral per (病历号, 转出科室, 转入科室)."""
        return (self.record_no, fold_department(self.from_department), fold_department(self.to_department))

    @property
    def order(self) -> tuple:
        return (self.referred_on, self.month, self.file, self.sheet, self.row)

    def to_json(self) -> dict:
        d = asdict(self)
        d["referred_on"] = self.referred_on.isoformat()
        d["window_end"] = self.window_end.isoformat()
        d["reward"] = str(self.reward)
        d["out_fen"], d["in_fen"] = self.amount_fen("out"), self.amount_fen("in")
        return d

    @classmethod
    def from_json(cls, d: dict, rules: InterdeptReferral) -> SlipResult:
        """A slip the previous month recorded (its lines and amounts are kept: they add up)."""
        referred = dt.date.fromisoformat(d["referred_on"])
        return cls(id=d["id"], month=d["month"], referred_on=referred, record_no=d["record_no"],
                   patient_name=d["patient_name"], from_department=d["from_department"],
                   first_doctor=d["first_doctor"], to_department=d["to_department"],
                   receiving_doctor=d.get("receiving_doctor") or "", file=d["file"], sheet=d.get("sheet") or "",
                   row=int(d["row"]), window_end=referred + dt.timedelta(days=rules.days_after),
                   carried_in=True, has_billing=bool(d.get("has_billing")),
                   lines=[LineRef(**ln) for ln in d.get("lines", [])])


@dataclass
class DoctorTotal:
    """One 首诊医生's month: slips considered (own and carried in), successes, reward."""

    name: str
    department: str
    slips: int = 0
    carried_in: int = 0
    successes: int = 0
    reward: Decimal = Decimal(0)


@dataclass
class InterdeptResult:
    month: Month
    rules: InterdeptReferral
    slips: list[SlipResult]
    files: dict[str, str] = field(default_factory=dict)   # earlier settlement.json read -> SHA-256

    @property
    def doctors(self) -> list[DoctorTotal]:
        by: dict[tuple, DoctorTotal] = {}
        for s in sorted(self.slips, key=lambda s: s.order):
            key = (s.first_doctor, fold_department(s.from_department))
            d = by.setdefault(key, DoctorTotal(s.first_doctor, s.from_department))
            d.slips += 1
            d.carried_in += int(s.carried_in)
            if s.outcome == SUCCESS:
                d.successes += 1
        for d in by.values():
            d.reward = (self.rules.reward * d.successes).quantize(CENT)  # R37: one rounding per line
        return sorted(by.values(), key=lambda d: (d.department, d.name))

    @property
    def total(self) -> Decimal:
        return sum((d.reward for d in self.doctors), Decimal("0.00"))

    def count(self, outcome: str) -> int:
        return sum(1 for s in self.slips if s.outcome == outcome)

    def to_json(self) -> dict:
        return {"rules": self.rules.model_dump(mode="json"), "total": str(self.total), "successes": self.count(SUCCESS), "rejected": self.count(REJECTED),
                "repeats": self.count(REPEAT), "carried": self.count(CARRIED),
                "doctors": [{**asdict(d), "reward": str(d.reward)} for d in self.doctors],
                "slips": [s.to_json() for s in sorted(self.slips, key=lambda s: s.order)]}

    @classmethod
    def from_json(cls, month: Month, d: dict) -> InterdeptResult:
        """A settled month's recorded R42 result, as it was decided (explain on a settled month)."""
        rules = InterdeptReferral.model_validate(d["rules"])
        slips = []
        for item in d.get("slips", []):
            s = SlipResult.from_json(item, rules)
            s.carried_in = bool(item.get("carried_in"))
            s.outcome, s.reason, s.repeat_of = item["outcome"], item.get("reason"), item.get("repeat_of")
            s.reward = Decimal(item.get("reward") or 0)
            slips.append(s)
        return cls(month, rules, slips)

    def for_doctor(self, name: str) -> list[SlipResult]:
        """`settle explain MONTH --doctor NAME`: the doctor's slips, each with its deciding lines."""
        return sorted((s for s in self.slips if s.first_doctor == name), key=lambda s: s.order)


# --- the matching --------------------------------------------------------------------------------

def interdept_month(inputs, policy) -> InterdeptResult | None:
    """R42 for `inputs.month`, or None when the rules have no `interdept_referral` (off)."""
    rules = policy.interdept_referral
    if rules is None:
        return None
    month = inputs.month
    source = inputs.interdept
    slips = slips_of(source.frame, month, rules) if source is not None else []
    slips += [SlipResult.from_json(d, rules) for d in (source.carried if source is not None else [])]
    prior = [SlipResult.from_json(d, rules) for d in (source.prior if source is not None else [])]
    lines, billed = candidate_lines(inputs.billing, {s.record_no for s in slips}, rules)
    groups = lines.groupby("record_no", sort=False).indices if len(lines) else {}
    for s in slips:
        gather(s, lines, groups.get(s.record_no), month, rules)
        s.has_billing = s.has_billing or s.record_no in billed
    mark_repeats(slips, prior)
    for s in slips:
        decide(s, month, rules)
    return InterdeptResult(month, rules, slips, dict(source.files) if source is not None else {})


def slips_of(frame: pd.DataFrame, month: Month, rules: InterdeptReferral) -> list[SlipResult]:
    """MONTH's slips as objects (a handful: the row loop is over slips, never over billing)."""
    out = []
    text = lambda v: "" if v is None or pd.isna(v) else str(v)
    for r in frame.itertuples(index=False):
        if pd.isna(r.referred_on) or pd.isna(r.record_no):
            continue
        referred = pd.Timestamp(r.referred_on).date()
        sheet = text(r.src_sheet)
        out.append(SlipResult(
            id=f"{month}/{r.src_file}/{sheet}/{int(r.src_row)}", month=str(month), referred_on=referred,
            record_no=str(r.record_no), patient_name=mask_name(text(r.patient_name)),
            from_department=text(r.from_department), first_doctor=text(r.first_doctor),
            to_department=text(r.to_department), receiving_doctor=text(r.receiving_doctor),
            file=str(r.src_file), sheet=sheet, row=int(r.src_row),
            window_end=referred + dt.timedelta(days=rules.days_after)))
    return out


def own_month_counting(billing: pd.DataFrame) -> np.ndarray:
    """R1 applied to every export in its own month: 已结算 with 结算日期 inside the export's month
    (so a line repeated in a later export never counts twice)."""
    settled = (billing["status"] == "已结算").fillna(False).to_numpy(dtype=bool)
    on = billing["settled_on"]
    src = billing["src_month"].astype(object).to_numpy()
    inside = np.zeros(len(billing), dtype=bool)
    for m in pd.unique(src):
        month = Month.parse(m)
        own = src == m
        inside[own] = ((on[own] >= pd.Timestamp(month.first_day)) &
                       (on[own] <= pd.Timestamp(month.last_day))).fillna(False).to_numpy(dtype=bool)
    return settled & inside


def candidate_lines(billing: pd.DataFrame, records: set[str], rules: InterdeptReferral
                    ) -> tuple[pd.DataFrame, set[str]]:
    """The counting lines of the slips' patients, and the 病历号 with any billing at all (any
    status, any export read): one columnar pass over the billing."""
    if not records or billing is None or not len(billing):
        return pd.DataFrame(columns=["record_no"]), set()
    sub = billing[billing["record_no"].isin(list(records)).to_numpy(dtype=bool)]
    billed = set(sub["record_no"].dropna().astype(str))
    sub = sub[own_month_counting(sub) & sub["visited_at"].notna().to_numpy(dtype=bool)]
    lines = pd.DataFrame({
        "record_no": sub["record_no"].astype(str).to_numpy(),
        "dept_key": [fold_department(d) for d in sub["department"].astype(object)],
        "day": sub["visited_at"].dt.normalize().to_numpy(),
        "visited_at": sub["visited_at"].to_numpy(),
        "department": sub["department"].astype(object).to_numpy(),
        "category": sub["category"].astype(object).to_numpy(),
        "inpatient": sub["category"].isin(rules.inpatient_categories).to_numpy(dtype=bool),
        "amount_fen": sub["amount_fen"].to_numpy(dtype=np.int64),
        "src_month": sub["src_month"].astype(str).to_numpy(),
        "src_file": sub["src_file"].astype(str).to_numpy(),
        "src_sheet": sub["src_sheet"].fillna("").astype(str).to_numpy(),
        "src_row": sub["src_row"].to_numpy(dtype=np.int64)})
    return lines, billed


def gather(s: SlipResult, lines: pd.DataFrame, positions, month: Month, rules: InterdeptReferral) -> None:
    """Add the lines of the slip's two windows. A carried slip already holds what earlier exports
    gave; only MONTH's export adds to it (its amounts add up across months)."""
    if positions is None:
        return
    rows = lines.iloc[positions]
    if s.carried_in:
        rows = rows[rows["src_month"] == str(month)]
    ref = pd.Timestamp(s.referred_on)
    end = pd.Timestamp(min(month.last_day, s.window_end))
    windows = (("out", s.from_department, ref - pd.Timedelta(days=rules.days_before), ref),
               ("in", s.to_department, ref, end))
    for side, dept, lo, hi in windows:
        hit = rows[(rows["dept_key"] == fold_department(dept)) & (rows["day"] >= lo) & (rows["day"] <= hi)]
        for r in hit.itertuples(index=False):
            s.lines.append(LineRef(side, r.src_month, r.src_file, r.src_sheet, int(r.src_row),
                                   pd.Timestamp(r.visited_at).isoformat(sep=" ", timespec="minutes"),
                                   str(r.department), str(r.category), int(r.amount_fen), bool(r.inpatient)))


def mark_repeats(slips: list[SlipResult], prior: list[SlipResult]) -> None:
    """Slips with the same 病历号, 转出科室 and 转入科室 count once: the earliest by date, file,
    row (a slip that succeeded last month included); the others are repeats of it."""
    first: dict[tuple, str] = {p.triple: p.id for p in prior}
    for s in sorted(slips, key=lambda s: s.order):
        if s.triple in first:
            s.repeat_of = first[s.triple]
        else:
            first[s.triple] = s.id


def decide(s: SlipResult, month: Month, rules: InterdeptReferral) -> None:
    """Success, or the first failing reason in SPEC §11's order; a slip whose window runs past
    MONTH is carried instead of rejected (repeats never are)."""
    ok = s.amount_fen("out") >= _fen(rules.min_before) and s.amount_fen("in") >= _fen(rules.min_after)
    if not s.has_billing:
        s.reason = "no_billing"
    elif s.repeat_of is not None:
        s.reason = "repeat"
    elif ok:
        s.outcome, s.reward = SUCCESS, rules.reward.quantize(CENT)
        return
    elif s.inpatient_only("out") or s.inpatient_only("in"):
        s.reason = "inpatient"
    elif s.amount_fen("out") < _fen(rules.min_before):
        s.reason = "short_before"
    else:
        s.reason = "short_after"
    if s.repeat_of is not None:
        s.outcome = REPEAT
    else:
        s.outcome = CARRIED if s.window_end > month.last_day else REJECTED


def _fen(yuan: Decimal) -> int:
    """Thresholds in fen, compared with the integer fen of the billing (exact)."""
    return int((yuan * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def explain_doctor(loaded, name: str) -> tuple[InterdeptResult | None, list[SlipResult], bool]:
    """`settle explain MONTH --doctor NAME`: (the month's R42 result, the doctor's slips, whether
    it is the recorded result of a settled month — otherwise a preview computed now). The
    result is None when the rules have R42 off and the month recorded none."""
    import json

    from settle.output.publish import settled_folder

    path = settled_folder(loaded.ws.out_root, str(loaded.month)) / "settlement.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8")).get("interdept")
    except (OSError, ValueError, AttributeError):
        record = None
    if isinstance(record, dict) and isinstance(record.get("rules"), dict):
        result, recorded = InterdeptResult.from_json(loaded.month, record), True
    else:
        result, recorded = interdept_month(loaded.inputs, loaded.policy), False
    return result, (result.for_doctor(name) if result is not None else []), recorded
