"""Card and registration checks (SPEC §6, R20–R26): what `check-cards` lists mid-month and what
R7 then rejects.

The checks flag every registration read (MONTH's and every earlier month's: a card registered
in April is still the patient's second card in May) and say in which month each violation is
listed: the month of its source row, or the later month whose export first reveals it.
Everything is columnar; the listing builds its rows column by column.
"""

from __future__ import annotations

from string import Formatter

import numpy as np
import pandas as pd

from settle.engine.joins import positions
from settle.load.workspace import Month
from settle.problems import EXCEPTION_CONFIRMED, VIOLATIONS
from settle.rules.schema import Policy

# The rejection codes R21–R25, in the order a line shows the first that is in force (R7).
REJECTION_ORDER = ("duplicate_card", "late_registration", "existing_patient", "incomplete_referral",
                   "unknown_staff")
# The rejections a 确认例外 adjustment can lift (R7: R22–R24; R21 and R25 cannot be lifted).
LIFTABLE = ("late_registration", "existing_patient", "incomplete_referral")
VIOLATION_COLUMNS = ("code", "rule", "name", "staff_id", "file", "sheet", "row", "card_no", "patient_key",
                     "record_no", "partner", "amount", "detail", "effect")
_EMPTY = {"staff_id": None, "file": None, "sheet": None, "row": None, "card_no": None, "patient_key": None,
          "record_no": None, "partner": None, "amount": None, "detail": "", "effect": ""}
# The names 转诊信息不全 (R24) lists for the empty fields.
_REFERRAL_FIELDS = {"partner": "合作单位", "referrer": "转诊医生", "referrer_phone": "联系电话"}


def violation_row(code, *, staff_id=None, file=None, sheet=None, row=None, effect="", detail="",
                  card_no=None, patient_key=None, record_no=None, partner=None, amount=None) -> dict:
    """One row of 违规 (SPEC §6: R17, R20–R29, R39, R41), its rule and Chinese name from
    problems.VIOLATIONS."""
    kind = VIOLATIONS[code]
    return {"code": code, "rule": kind.rule, "name": kind.zh, "staff_id": staff_id,
            "file": file, "sheet": sheet, "row": row, "card_no": card_no, "patient_key": patient_key,
            "record_no": record_no, "partner": partner, "amount": amount, "detail": detail, "effect": effect}


# --- flags on registrations ----------------------------------------------------------------------

def registrants(regs: pd.DataFrame, staff: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """A copy of the registrations with the registrant's role (网络部 or not), the 劳务工 rows
    (R14: they name a unit, not a patient), and the month each row is first seen (SPEC §6: a
    registration entered late, in a later month's folder, is listed there); every R21–R25 flag
    starts False, listed in that month."""
    regs = regs.copy(deep=False)   # copy-on-write (pandas 3): the columns are copied only when written
    role = staff.set_index("staff_id")["role"] if len(staff) else pd.Series(dtype=object)
    regs["role"] = regs["staff_id"].map(role).astype(object)
    regs["is_network"] = (regs["role"] == policy.crediting.network_role).to_numpy()
    regs["is_labour"] = (regs["channel"] == "劳务工").fillna(False).to_numpy(dtype=bool)
    reg_month = regs["registered_at"].dt.strftime("%Y-%m").astype(object)
    regs["reg_month"] = reg_month
    folder = regs["src_month"].astype(str).to_numpy()
    listed = pd.Series(np.where(folder > reg_month.astype(str).to_numpy(), folder, reg_month.astype(str).to_numpy()),
                       index=regs.index, dtype=object)
    regs["listed_month"] = listed
    for code in REJECTION_ORDER:
        regs[code] = False
        regs[code + "_listed_in"] = listed  # the month the violation is listed in
    return regs


def unknown_staff(regs: pd.DataFrame) -> np.ndarray:
    """R25 人员不存在: the row's 业务员 names nobody (or two people) on the roster."""
    return (regs["_person_status"] != "ok").to_numpy()


def _visit_firsts(billing: pd.DataFrame, codes: np.ndarray) -> pd.DataFrame:
    """Earliest visit per (patient code, export month): what each month's export reveals."""
    months, month_names = pd.factorize(billing["src_month"].astype(object))
    at = billing["visited_at"].to_numpy(dtype="datetime64[ns]")
    keep = (codes >= 0) & ~np.isnat(at)
    v = pd.DataFrame({"p": codes[keep], "m": months[keep], "visited_at": at[keep]})
    g = v.groupby(["p", "m"], sort=False, as_index=False)["visited_at"].min()
    return pd.DataFrame({"patient": g["p"].to_numpy(),
                         "src_month": np.asarray(month_names, dtype=object)[g["m"].to_numpy()],
                         "visited_at": g["visited_at"].to_numpy()})


def late_or_existing(regs: pd.DataFrame, billing: pd.DataFrame, codes: np.ndarray, uniques, minutes: int) -> None:
    """R22 转诊迟报 (先就诊后汇报的不予确认) and R23 老患者 (转诊前已经在本院就诊的不予确认): the
    patient's visits (any month, any status) earlier than 登记时间 + `minutes`; one on an earlier
    calendar day makes it 老患者, which takes precedence. Each is listed in the first export month
    that reveals it. `codes, uniques`: the pd.factorize of each billing line's patient (R2)."""
    patientful = regs["patient_key"].notna().to_numpy() & ~regs["is_labour"].to_numpy(dtype=bool)
    firsts = _visit_firsts(billing, codes)
    if not (len(firsts) and patientful.any()):
        return
    r = regs.loc[patientful, ["patient_key", "registered_at"]].reset_index()
    r["patient"] = positions(r["patient_key"], pd.Series(uniques))  # the same codes; -1: never billed
    r = r[r["patient"].to_numpy() >= 0]
    j = r.merge(firsts, on="patient", how="inner")
    limit = j["registered_at"] + pd.Timedelta(minutes=minutes)
    reg_day = j["registered_at"].dt.normalize()
    j["existing"] = j["visited_at"] < reg_day
    j["late"] = (j["visited_at"] < limit) & ~j["existing"]
    listed = regs["listed_month"]
    # Overall flags (any month) and the first export month revealing each.
    for code, col in (("existing_patient", "existing"), ("late_registration", "late")):
        hit = j[j[col]]
        if len(hit):
            first = hit.groupby("index")["src_month"].min()
            regs.loc[first.index, code] = True
            revealed = first.astype(str).to_numpy()
            own = listed.loc[first.index].astype(str).to_numpy()
            regs.loc[first.index, code + "_listed_in"] = np.where(revealed > own, revealed, own)
    both = regs["existing_patient"].to_numpy() & regs["late_registration"].to_numpy()
    regs.loc[both, "late_registration"] = False  # 老患者 takes precedence over 迟报


def incomplete_referral(regs: pd.DataFrame, required: dict[str, tuple[str, ...]]) -> None:
    """R24 转诊信息不全: a row of a channel in `required` (诊所/医院/药店: 合作单位, 转诊医生,
    联系电话; 工厂/企业体检: 合作单位) with one of that channel's fields empty. `missing_fields`
    names them, in the rules' order, joined by 、."""
    n = len(regs)
    incomplete = np.zeros(n, dtype=bool)
    text = np.full(n, "", dtype=object)
    for channel, fields in required.items():
        on = (regs["channel"] == channel).fillna(False).to_numpy(dtype=bool)
        missing = np.zeros(n, dtype=bool)
        for f in fields:
            empty = on & regs[f].isna().to_numpy()
            missing |= empty
            name = _REFERRAL_FIELDS.get(f, f)
            text[empty] = np.where(text[empty] == "", name, text[empty] + "、" + name)
        incomplete |= missing
    regs["incomplete_referral"] = incomplete
    regs["missing_fields"] = np.where(incomplete, text, "").astype(object)


def duplicate_cards(regs: pd.DataFrame, max_cards: int) -> None:
    """R21 重复办卡 (一人一次最多办理两张医疗卡): distinct 卡号 per 患者标识 over every registration
    read; those after the first `max_cards` by 登记时间 are extra. Every row on an extra card is
    rejected (多发的卡的消费额度不计入业绩); `extra_card` marks the row the fine is charged on,
    once per extra card."""
    regs["extra_card"] = False
    cards = regs[regs["card_no"].notna() & regs["patient_key"].notna()]
    if not len(cards):
        return
    first_of_card = cards.sort_values(["registered_at", "src_order"]).drop_duplicates(["patient_key", "card_no"])
    first_of_card = first_of_card.assign(rank=first_of_card.groupby("patient_key").cumcount() + 1)
    extra = first_of_card[first_of_card["rank"] > max_cards]
    if len(extra):
        key = pd.MultiIndex.from_frame(extra[["patient_key", "card_no"]])
        on_extra = pd.MultiIndex.from_frame(regs[["patient_key", "card_no"]].astype(object)).isin(key)
        regs["duplicate_card"] = on_extra
        regs.loc[extra.index, "extra_card"] = True


def flag_registrations(regs: pd.DataFrame, billing: pd.DataFrame, codes: np.ndarray, uniques, staff: pd.DataFrame,
                       policy: Policy) -> pd.DataFrame:
    """R21–R25 on every registration read (a copy). An unknown salesperson's row (R25) is
    reported only as R25 — its card still counts for the other rows' R21 above."""
    regs = registrants(regs, staff, policy)
    regs["unknown_staff"] = unknown_staff(regs)
    late_or_existing(regs, billing, codes, uniques, policy.crediting.report_before_visit_minutes)
    incomplete_referral(regs, policy.violations.incomplete_referral)
    duplicate_cards(regs, policy.violations.max_cards_per_patient)
    unknown = regs["unknown_staff"].to_numpy(dtype=bool)
    for code in ("duplicate_card", "late_registration", "existing_patient", "incomplete_referral", "extra_card"):
        regs.loc[unknown, code] = False
    return regs


def mark_conflicts(claims: pd.DataFrame) -> pd.DataFrame:
    """R26 撞单 (首发制度): a claim on a patient by someone other than the owner when it is made —
    the earliest earlier claim (R3 order) whose registrant has not left before its 登记时间. 网络部
    claims never conflict (R4). Adds `conflict` and `conflict_with` (the owner's 工号) to the
    claims table of crediting.resolve_claims, which is ordered by 登记时间 and row."""
    claims["conflict"] = False
    claims["conflict_with"] = None
    people = claims[~claims["is_network"]]
    multi = people[people.duplicated("patient_key", keep=False)]
    if not len(multi):
        return claims
    patient = pd.factorize(multi["patient_key"])[0]
    m = pd.DataFrame({"label": multi.index.to_numpy(), "p": patient,
                      "staff": multi["staff_id"].to_numpy(dtype=object),
                      "day": multi["registered_at"].dt.normalize().to_numpy(dtype="datetime64[ns]"),
                      "left": pd.to_datetime(multi["left_on"]).to_numpy(dtype="datetime64[ns]")})
    m["rank"] = m.groupby("p", sort=False).cumcount().to_numpy()
    pairs = m.merge(m[["p", "rank", "staff", "left"]], on="p", suffixes=("", "_e"))
    left = pairs["left_e"].to_numpy(dtype="datetime64[ns]")
    earlier = pairs["rank_e"].to_numpy() < pairs["rank"].to_numpy()
    active = np.isnat(left) | (pairs["day"].to_numpy(dtype="datetime64[ns]") <= left)
    owner = pairs[earlier & active].sort_values(["label", "rank_e"]).drop_duplicates("label")
    hit = owner[owner["staff_e"].to_numpy(dtype=object) != owner["staff"].to_numpy(dtype=object)]
    labels = hit["label"].to_numpy()
    claims.loc[labels, "conflict"] = True
    claims.loc[labels, "conflict_with"] = hit["staff_e"].to_numpy(dtype=object)
    return claims


# --- the listing -----------------------------------------------------------------------------------

def _texts(template: str, n: int, **values) -> np.ndarray:
    """`template` filled per row from columns, as str.format would fill it row by row."""
    out = np.full(n, "", dtype=object)
    for literal, name, _, _ in Formatter().parse(template):
        out = out + literal
        if name is not None:
            out = out + np.asarray(values[name], dtype=object).astype(str).astype(object)
    return out


def _block(code: str, n: int, **columns) -> dict[str, np.ndarray]:
    """The violation rows of one code, column by column (a scalar fills the column)."""
    kind = VIOLATIONS[code]
    fixed = {"code": code, "rule": kind.rule, "name": kind.zh}
    out = {}
    for c in VIOLATION_COLUMNS:
        v = fixed[c] if c in fixed else columns.get(c, _EMPTY[c])
        out[c] = v if isinstance(v, np.ndarray) else np.full(n, v, dtype=object)
    return out


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy(dtype=object)


def _text_or_none(frame: pd.DataFrame, name: str, empty=None) -> np.ndarray:
    """The column's text, `empty` where a cell holds none."""
    return np.where(frame[name].notna().to_numpy(dtype=bool), _col(frame, name), empty).astype(object)


def unregistered_cards(lines: pd.DataFrame) -> dict[str, np.ndarray]:
    """R20 未登记卡 (来院的营销卡不知出处的，不记录业绩): one row per counting line whose 卡号
    matches no registration."""
    on = lines[lines["unregistered_card"].to_numpy(dtype=bool)]
    kind = VIOLATIONS["unregistered_card"]
    return _block("unregistered_card", len(on), file=_col(on, "src_file"), sheet=_col(on, "src_sheet"),
                  row=_col(on, "src_row"), card_no=_col(on, "card_no"), patient_key=_col(on, "patient_key"),
                  record_no=_col(on, "record_no"), effect=kind.effect_zh,
                  detail=_texts(kind.detail_zh, len(on), card_no=_col(on, "card_no")))


def registration_rows(regs: pd.DataFrame, code: str, month: Month) -> dict[str, np.ndarray]:
    """The R21–R25 rows of `code` listed in MONTH; a lifted R22–R24 shows 已确认例外 (R7)."""
    hit = regs[regs[code].to_numpy(dtype=bool) & (regs[code + "_listed_in"] == str(month)).to_numpy()]
    if code == "duplicate_card":
        hit = hit[hit["extra_card"].to_numpy(dtype=bool)]  # one row per extra card
    kind, n = VIOLATIONS[code], len(hit)
    effect = np.full(n, kind.effect_zh, dtype=object)
    if code in LIFTABLE:
        effect[hit["confirmed"].to_numpy(dtype=bool)] = EXCEPTION_CONFIRMED[0]
    fill = {"incomplete_referral": {"fields": _col(hit, "missing_fields")},
            "duplicate_card": {"card_no": _col(hit, "card_no")},
            "unknown_staff": {"salesperson": _text_or_none(hit, "salesperson", "")}}
    detail = _texts(kind.detail_zh, n, **fill.get(code, {}))
    return _block(code, n, staff_id=_text_or_none(hit, "staff_id"), file=_col(hit, "src_file"),
                  sheet=_col(hit, "src_sheet"), row=_col(hit, "src_row"), card_no=_col(hit, "card_no"),
                  patient_key=_col(hit, "patient_key"), detail=detail, effect=effect)


def conflict_rows(claims: pd.DataFrame, month: Month) -> dict[str, np.ndarray]:
    """R26 撞单 rows listed in MONTH: the later claims (the later claim's 登记时间 decides)."""
    hit = claims[claims["conflict"].to_numpy(dtype=bool) & (claims["listed_month"] == str(month)).to_numpy()]
    kind = VIOLATIONS["conflicting_claim"]
    return _block("conflicting_claim", len(hit), staff_id=_col(hit, "staff_id"), file=_col(hit, "src_file"),
                  sheet=_col(hit, "src_sheet"), row=_col(hit, "src_row"), card_no=_col(hit, "card_no"),
                  patient_key=_col(hit, "patient_key"), effect=kind.effect_zh,
                  detail=_texts(kind.detail_zh, len(hit), owner=_col(hit, "conflict_with")))


def card_violations(lines: pd.DataFrame, regs: pd.DataFrame, claims: pd.DataFrame, month: Month) -> pd.DataFrame:
    """R20–R26 rows that belong to MONTH (SPEC §6: the month of the source row, or of first
    detection), in the order R20, R21–R25, R26."""
    blocks = [unregistered_cards(lines)] + [registration_rows(regs, code, month) for code in REJECTION_ORDER] \
        + [conflict_rows(claims, month)]
    columns = [np.concatenate([b[c] for b in blocks]) for c in VIOLATION_COLUMNS]
    # Built from row tuples, so each column's type is inferred as for a list of row dicts.
    return pd.DataFrame(list(zip(*columns)), columns=list(VIOLATION_COLUMNS))
