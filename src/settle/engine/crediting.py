"""Crediting — which billing line counts for whom (SPEC §4, R1–R7) and the card checks (R20–R26).

Everything here is columnar: registrations and billing lines are joined and grouped, never
looped over. The result is one frame of MONTH's counting lines (R1) with, per line, who is
credited with which share, the owning registration, or the reason nobody is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from settle.rules.policy import Policy
from settle.load.workspace import Month

# Reasons a counting line credits nobody, in the order 未归属 reports the first that applies (R5).
REASON_UNREGISTERED = "unregistered_card"
REASON_OUT_OF_WINDOW = "out_of_window"
REASON_DEPARTED = "departed"
REASON_WALK_IN = "walk_in"
REJECTION_ORDER = ("duplicate_card", "late_registration", "existing_patient", "incomplete_referral",
                   "unknown_staff")
LIFTABLE = ("late_registration", "existing_patient", "incomplete_referral")



@dataclass
class Credit:
    """The crediting of a month."""

    lines: pd.DataFrame            # MONTH's counting lines (R1), one row each, with credit columns
    registrations: pd.DataFrame    # every registration read, with rejection flags
    violations: pd.DataFrame       # R20–R26 rows listed in MONTH
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)  # MONTH's lines that do not count


def _ts(d) -> pd.Timestamp:
    return pd.Timestamp(d)


def strings(values):
    """Text values as an Arrow large_string array without a detour through Python objects when
    they already are Arrow strings (pandas' string[pyarrow])."""
    import pyarrow as pa

    if isinstance(values, (pd.Series, pd.Index)) and isinstance(values.dtype, pd.StringDtype) \
            and values.dtype.storage == "pyarrow":
        arr = pa.array(values.array)
    else:
        obj = np.asarray(values, dtype=object)
        arr = pa.array(np.where(pd.isna(obj), None, obj) if len(obj) else obj, type=pa.large_string(), from_pandas=True)
    return arr if arr.type == pa.large_string() else arr.cast(pa.large_string())


def positions(keys, index) -> np.ndarray:
    """Position of each key in `index` (its first occurrence), -1 where absent: a hash join in
    Arrow's C++ over the keys' own Arrow strings."""
    import pyarrow.compute as pc

    if not len(index) or not len(keys):
        return np.full(len(keys), -1, dtype=np.int64)
    pos = pc.index_in(strings(keys), value_set=strings(pd.Index(index).astype(str) if not isinstance(index, pd.Series)
                                                         else index))
    return pc.fill_null(pos, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def lookup(keys: pd.Series, index, values) -> np.ndarray:
    """values[position of each key in index] (object array, None where absent)."""
    pos = positions(keys, index)
    out = np.full(len(keys), None, dtype=object)
    hit = pos >= 0
    if hit.any():
        out[hit] = np.asarray(values, dtype=object)[pos[hit]]
    return out


def found(keys: pd.Series, index) -> np.ndarray:
    """keys.isin(index) through Arrow."""
    import pyarrow.compute as pc

    if not len(index) or not len(keys):
        return np.zeros(len(keys), dtype=bool)
    return pc.fill_null(pc.is_in(strings(keys), value_set=strings(pd.Index(index).astype(str))),
                        False).to_numpy(zero_copy_only=False)


def take_text(values: pd.Series, pos: np.ndarray) -> pd.Series:
    """values[pos] as string[pyarrow] (null where pos < 0), staying in Arrow."""
    import pyarrow as pa

    src = strings(values)
    if not len(src):
        return pd.Series(pd.array([None] * len(pos), dtype="string[pyarrow]"))
    idx = pa.array(np.maximum(pos, 0), mask=pos < 0, type=pa.int64())
    return pd.Series(pd.arrays.ArrowStringArray(src.take(idx)))


def link_patients(billing: pd.DataFrame, regs: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """R2: a line with a 卡号 links by card (the card's registration names the patient), else by
    患者标识. Returns (patient key per line, unregistered-card flag per line)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    carded = regs[regs["card_no"].notna()].sort_values(["registered_at", "src_order"])
    card_patient = carded.drop_duplicates("card_no")
    has_card = billing["card_no"].notna().to_numpy()
    via_card = take_text(card_patient["patient_key"], positions(billing["card_no"], card_patient["card_no"]))
    unregistered = has_card & via_card.isna().to_numpy()
    linked = has_card & ~unregistered
    patient = pc.if_else(pa.array(linked), strings(via_card), strings(billing["patient_key"]))
    patient = pd.Series(pd.arrays.ArrowStringArray(patient), index=billing.index)
    return patient, pd.Series(unregistered, index=billing.index)


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


def flag_registrations(regs: pd.DataFrame, billing: pd.DataFrame, codes: np.ndarray, uniques, staff: pd.DataFrame,
                       adjustments: pd.DataFrame, policy: Policy, month: Month) -> pd.DataFrame:
    """R21–R25 on every registration read; 确认例外 lifts R22–R24 (R7). `codes, uniques`: the
    pd.factorize of each billing line's patient (R2)."""
    regs = regs.copy()
    n = len(regs)
    minutes = policy.crediting.report_before_visit_minutes
    role = staff.set_index("staff_id")["role"] if len(staff) else pd.Series(dtype=object)
    regs["role"] = regs["staff_id"].map(role).astype(object)
    regs["is_network"] = (regs["role"] == policy.crediting.network_role).to_numpy()
    labour = (regs["channel"] == "劳务工").fillna(False).to_numpy(dtype=bool)
    regs["is_labour"] = labour
    reg_month = regs["registered_at"].dt.strftime("%Y-%m").astype(object)
    regs["reg_month"] = reg_month
    # A registration entered late (in a later month's folder) is first seen there (SPEC §6).
    folder = regs["src_month"].astype(str).to_numpy()
    listed = pd.Series(np.where(folder > reg_month.astype(str).to_numpy(), folder, reg_month.astype(str).to_numpy()),
                       index=regs.index, dtype=object)
    regs["listed_month"] = listed
    for code in REJECTION_ORDER:
        regs[code] = False
        regs[code + "_listed_in"] = listed  # the month the violation is listed in
    patientful = regs["patient_key"].notna().to_numpy() & ~labour

    # R25 人员不存在: the row names nobody (or two people) on the roster.
    regs["unknown_staff"] = (regs["_person_status"] != "ok").to_numpy()

    # R22/R23: visits earlier than 登记时间 + 30 min; one on an earlier calendar day → 老患者.
    firsts = _visit_firsts(billing, codes)
    if len(firsts) and patientful.any():
        r = regs.loc[patientful, ["patient_key", "registered_at"]].reset_index()
        r["patient"] = positions(r["patient_key"], pd.Series(uniques))  # the same codes; -1: never billed
        r = r[r["patient"].to_numpy() >= 0]
        j = r.merge(firsts, on="patient", how="inner")
        limit = j["registered_at"] + pd.Timedelta(minutes=minutes)
        reg_day = j["registered_at"].dt.normalize()
        j["existing"] = j["visited_at"] < reg_day
        j["late"] = (j["visited_at"] < limit) & ~j["existing"]
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

    # R24 转诊信息不全.
    incomplete = np.zeros(n, dtype=bool)
    for channel, fields in policy.violations.incomplete_referral.items():
        on = (regs["channel"] == channel).fillna(False).to_numpy(dtype=bool)
        missing = np.zeros(n, dtype=bool)
        for f in fields:
            missing |= regs[f].isna().to_numpy()
        incomplete |= on & missing
    regs["incomplete_referral"] = incomplete
    regs["missing_fields"] = ""
    if incomplete.any():
        names = {"partner": "合作单位", "referrer": "转诊医生", "referrer_phone": "联系电话"}
        for i in np.flatnonzero(incomplete):
            fields = policy.violations.incomplete_referral.get(regs["channel"].iat[i], ())
            regs.iat[i, regs.columns.get_loc("missing_fields")] = "、".join(
                names[f] for f in fields if pd.isna(regs[f].iat[i]))

    # R21 重复办卡: distinct 卡号 per 患者标识; the 3rd and later by 登记时间 are extra.
    regs["extra_card"] = False
    cards = regs[regs["card_no"].notna() & regs["patient_key"].notna()]
    if len(cards):
        first_of_card = cards.sort_values(["registered_at", "src_order"]).drop_duplicates(["patient_key", "card_no"])
        first_of_card = first_of_card.assign(rank=first_of_card.groupby("patient_key").cumcount() + 1)
        extra = first_of_card[first_of_card["rank"] > policy.violations.max_cards_per_patient]
        if len(extra):
            key = pd.MultiIndex.from_frame(extra[["patient_key", "card_no"]])
            on_extra = pd.MultiIndex.from_frame(regs[["patient_key", "card_no"]].astype(object)).isin(key)
            regs["duplicate_card"] = on_extra
            regs.loc[extra.index, "extra_card"] = True  # the fine is charged once per extra card

    # An unknown salesperson's row is rejected and reported only as R25 (its card still counted
    # for R21 above).
    unknown = regs["unknown_staff"].to_numpy(dtype=bool)
    for code in ("duplicate_card", "late_registration", "existing_patient", "incomplete_referral", "extra_card"):
        regs.loc[unknown, code] = False

    # 确认例外 lifts R22–R24 for registrations up to the end of the adjustment's month.
    regs["confirmed"] = False
    ex = adjustments[(adjustments["kind"] == "确认例外")] if len(adjustments) else adjustments
    if len(ex):
        for _, a in ex.iterrows():
            end = Month.parse(a["src_month"]).last_day if a["src_month"] else month.last_day
            limit = pd.Timestamp(end) + pd.Timedelta(days=1)
            hit = regs["registered_at"] < limit
            if isinstance(a["card_no"], str):
                hit &= regs["card_no"] == a["card_no"]
            elif isinstance(a["patient_key"], str):
                hit &= regs["patient_key"] == a["patient_key"]
            else:
                continue
            regs.loc[hit.fillna(False).to_numpy(dtype=bool), "confirmed"] = True
    confirmed = regs["confirmed"].to_numpy()
    rejected = regs["duplicate_card"].to_numpy() | regs["unknown_staff"].to_numpy()
    for code in LIFTABLE:
        rejected |= regs[code].to_numpy() & ~confirmed
    regs["rejected"] = rejected
    # The rejection reason a line shows: the first in rule order that is in force.
    reason = pd.Series([None] * n, index=regs.index, dtype=object)
    for code in reversed(REJECTION_ORDER):
        active = regs[code].to_numpy() & (~confirmed if code in LIFTABLE else True)
        reason[active] = code
    regs["reject_reason"] = reason
    return regs

def resolve_claims(regs: pd.DataFrame, staff: pd.DataFrame, policy: Policy, month: Month) -> pd.DataFrame:
    """R3 first claim and R26 撞单 over the remaining registrations. Returns the claims table:
    one row per remaining non-labour registration with a patient, ranked per patient."""
    left = staff.set_index("staff_id")["left_on"] if len(staff) else pd.Series(dtype="datetime64[ns]")
    ok = ~regs["rejected"].to_numpy() & ~regs["is_labour"].to_numpy() & regs["patient_key"].notna().to_numpy()
    claims = regs[ok].sort_values(["registered_at", "src_order"]).copy()
    claims["left_on"] = claims["staff_id"].map(left)
    claims["conflict"] = False
    claims["conflict_with"] = None
    people = claims[~claims["is_network"]]
    # 撞单: a claim by someone else while an earlier claim's registrant is still employed.
    multi = people[people.duplicated("patient_key", keep=False)]
    for _, group in multi.groupby("patient_key", sort=False):
        rows = list(group.itertuples())
        for i, c in enumerate(rows):
            # The owner when this claim is made: the earliest earlier claim still employed then.
            owner = next((e for e in rows[:i]
                          if pd.isna(e.left_on) or c.registered_at.normalize() <= e.left_on), None)
            if owner is not None and owner.staff_id != c.staff_id:
                claims.at[c.Index, "conflict"] = True
                claims.at[c.Index, "conflict_with"] = owner.staff_id
    return claims


def credit_lines(lines: pd.DataFrame, patient: pd.Series, regs: pd.DataFrame, claims: pd.DataFrame,
                 billing_all: pd.DataFrame, codes_all: np.ndarray, codes: np.ndarray, policy: Policy) -> pd.DataFrame:
    """Decide, per counting line, the owner, the network partner, the shares and the reason.
    Adds columns to `lines` (the caller's own copy of MONTH's counting lines). `codes_all` numbers
    the patient of every line of `billing_all`, `codes` those of `lines` alike (-1: none)."""
    out = lines
    out["patient"] = patient.array
    n = len(out)

    people = claims[~claims["is_network"]]
    network = claims[claims["is_network"]]
    # Owner: the earliest claim whose registrant is still employed when the line settles (R3).
    owner = np.full(n, -1, dtype=np.int64)
    departed = np.zeros(n, dtype=bool)
    first_claim = people.drop_duplicates("patient_key")
    pos = positions(out["patient"], first_claim["patient_key"])
    has_claim = pos >= 0
    owner[has_claim] = first_claim.index.to_numpy()[pos[has_claim]]
    settled = out["settled_on"]
    # Lines of patients whose claims include someone who leaves: resolve line by line (few).
    leavers = people[people["left_on"].notna()]
    if len(leavers):
        complex_patients = set(leavers["patient_key"])
        sel = found(out["patient"], list(complex_patients)) & has_claim
        if sel.any():
            sub = out.loc[sel, ["patient", "settled_on"]].reset_index()
            j = sub.merge(people.reset_index()[["index", "patient_key", "left_on", "registered_at", "src_order"]]
                          .rename(columns={"index": "reg"}), left_on="patient", right_on="patient_key")
            active = j["left_on"].isna() | (j["settled_on"] <= j["left_on"])
            act = j[active].sort_values(["registered_at", "src_order"]).drop_duplicates("index")
            chosen = pd.Series(act["reg"].to_numpy(), index=act["index"].to_numpy())
            pos = out.index.get_indexer(chosen.index)
            owner[pos] = chosen.to_numpy()
            # No active claim: the first claim holds, but its registrant has left (已离职).
            none_active = np.setdiff1d(sub["index"].to_numpy(), chosen.index.to_numpy())
            departed[out.index.get_indexer(none_active)] = True
    # The network partner: the patient's earliest remaining 网络部 registration (R4).
    first_net = network.drop_duplicates("patient_key")
    pos = positions(out["patient"], first_net["patient_key"])
    network_reg = np.where(pos >= 0, first_net.index.to_numpy()[np.maximum(pos, 0)] if len(first_net) else -1,
                           -1).astype(np.int64)

    out["owner_reg"] = owner
    out["network_reg"] = network_reg
    has_owner = owner >= 0
    # The registration that decides the follow-up window, channel, partner: owner, else network.
    deciding = np.where(has_owner, owner, network_reg)
    out["deciding_reg"] = deciding
    dec = deciding >= 0
    # The deciding registration's columns, taken by position (-1: none) without leaving Arrow.
    where = np.where(dec, regs.index.get_indexer(np.where(dec, deciding, regs.index[0] if len(regs) else 0)), -1)
    for col in ("channel", "partner", "card_type", "clinic_team", "referrer"):  # referrer: R46's vouchers
        src = regs[col].astype("string[pyarrow]").array
        out["reg_" + col] = pd.Series(src.take(where, allow_fill=True), index=out.index) if len(regs) else \
            pd.Series([None] * n, index=out.index, dtype="string[pyarrow]")
    confirmed = regs["confirmed"].to_numpy(dtype=bool)
    out["reg_confirmed"] = np.where(dec, confirmed[np.maximum(where, 0)] if len(regs) else False, False)
    at = regs["registered_at"].to_numpy(dtype="datetime64[ns]")
    nat = np.datetime64("NaT", "ns")
    out["reg_at"] = pd.Series(np.where(dec, at[np.maximum(where, 0)] if len(regs) else nat, nat), index=out.index)

    # R5 follow-up window: first visit at or after the deciding registration's time (all months).
    out["first_visit"] = pd.NaT
    if dec.any():
        # On integer patient codes: the same joins as on the keys, without hashing strings.
        reg_at = out["reg_at"].to_numpy(dtype="datetime64[ns]")
        mine = pd.DataFrame({"patient": codes[dec], "reg_at": reg_at[dec]})
        pairs = mine.drop_duplicates()
        visited = billing_all["visited_at"].to_numpy(dtype="datetime64[ns]")
        wanted = np.zeros(int(codes_all.max()) + 2, dtype=bool)
        wanted[pairs["patient"].to_numpy()] = True  # a code of -1 marks the spare last slot
        keep = (codes_all >= 0) & ~np.isnat(visited) & wanted[codes_all]
        visits = pd.DataFrame({"patient": codes_all[keep], "visited_at": visited[keep]})
        pairs = pairs.sort_values("reg_at")
        visits = visits.sort_values("visited_at")
        fv = pd.merge_asof(pairs, visits, left_on="reg_at", right_on="visited_at", by="patient",
                           direction="forward")
        fv = fv.rename(columns={"visited_at": "first_visit"})
        m = mine.merge(fv, on=["patient", "reg_at"], how="left")
        first = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        first[dec] = m["first_visit"].to_numpy(dtype="datetime64[ns]")
        out["first_visit"] = first
    window = pd.Timedelta(days=policy.crediting.follow_up_days)
    late = (out["visited_at"].dt.normalize() > out["first_visit"].dt.normalize() + window).fillna(False)
    out["out_of_window"] = late.to_numpy(dtype=bool)

    # Departure of the owner: lines settled after 离职日期 credit the owner nothing (R5).
    owner_left = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    if has_owner.any():
        lefts = claims["left_on"]
        owner_left[has_owner] = lefts.reindex(owner[has_owner]).to_numpy()
    departed |= (has_owner & (settled > owner_left).fillna(False).to_numpy(dtype=bool))
    out["owner_departed"] = departed

    # Reason a line is not (fully) credited: the first of R20, the R7 rejection, 超出复诊期, 已离职.
    patient_rejection, card_rejection = _rejections(out, regs)
    reason = np.full(n, None, dtype=object)
    unreg = out["unregistered_card"].to_numpy(dtype=bool)
    no_claim = ~has_owner & ~(network_reg >= 0)
    reason[departed & ~(network_reg >= 0) & ~no_claim] = REASON_DEPARTED
    reason[out["out_of_window"].to_numpy(dtype=bool) & ~no_claim] = REASON_OUT_OF_WINDOW
    reason[no_claim] = np.where(pd.isna(patient_rejection[no_claim]), REASON_WALK_IN, patient_rejection[no_claim])
    on_rejected_card = ~pd.isna(card_rejection)
    reason[on_rejected_card] = card_rejection[on_rejected_card]
    reason[unreg] = REASON_UNREGISTERED
    out["reason"] = reason
    credited = reason == None  # noqa: E711
    out["credited"] = credited

    # Who is credited; shares (R4) follow from `overlap`: 50/50, or 100 % to the one side.
    staff_ids = np.append(regs["staff_id"].to_numpy(dtype=object), None)  # the last slot: nobody
    def staff_of(labels, on):  # noqa: E306
        at = regs.index.get_indexer(labels)
        return staff_ids[np.where(on & (at >= 0), at, len(staff_ids) - 1)]
    out["owner_staff"] = staff_of(owner, credited & has_owner & ~departed)
    out["network_staff"] = staff_of(network_reg, credited & (network_reg >= 0))
    overlap = has_owner & (network_reg >= 0)
    out["overlap"] = overlap
    return out


def _rejections(out: pd.DataFrame, regs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """R7 per line: (the patient's rejection reason, for lines with no remaining claim;
    the card's rejection reason, when every registration of the line's 卡号 is rejected)."""
    n = len(out)
    none = np.full(n, None, dtype=object)
    rejected = regs[regs["rejected"].to_numpy(dtype=bool)]
    if not len(rejected):
        return none, none.copy()
    rank = {c: i for i, c in enumerate(REJECTION_ORDER)}
    rej = rejected.assign(r=rejected["reject_reason"].map(rank)).sort_values(["r", "registered_at", "src_order"])
    by_patient = rej[rej["patient_key"].notna()].drop_duplicates("patient_key").set_index("patient_key")[
        "reject_reason"]
    carded = regs[regs["card_no"].notna()]
    all_rejected = carded.groupby("card_no", observed=True)["rejected"].all()
    dead_cards = all_rejected[all_rejected].index
    by_card = rej[rej["card_no"].isin(dead_cards)].drop_duplicates("card_no").set_index("card_no")["reject_reason"]
    pat = lookup(out["patient"], by_patient.index, by_patient.to_numpy(dtype=object))
    card = lookup(out["card_no"], by_card.index, by_card.to_numpy(dtype=object))
    return (np.where(pd.isna(pat), None, pat).astype(object), np.where(pd.isna(card), None, card).astype(object))


def counting_lines(billing: pd.DataFrame, month: Month) -> np.ndarray:
    """R1: MONTH's own export, 已结算, 结算日期 within MONTH."""
    own = (billing["src_month"] == str(month)).to_numpy()
    settled = (billing["status"] == "已结算").fillna(False).to_numpy(dtype=bool)
    on = billing["settled_on"]
    inside = ((on >= _ts(month.first_day)) & (on <= _ts(month.last_day))).fillna(False).to_numpy(dtype=bool)
    return own & settled & inside


def credit_month(inputs, policy: Policy) -> Credit:
    """Run R1–R7 and detect R20–R26 for `inputs.month`."""
    month = inputs.month
    billing = inputs.billing
    regs = inputs.registrations.reset_index(drop=True)
    regs = regs[regs["registered_at"].notna()]
    patient_all, unregistered_all = link_patients(billing, regs)
    codes_all, uniques = pd.factorize(patient_all)  # patients numbered once, for the joins on them
    regs = flag_registrations(regs, billing, codes_all, uniques, inputs.staff, inputs.adjustments, policy, month)
    claims = resolve_claims(regs, inputs.staff, policy, month)
    counting = counting_lines(billing, month)
    lines = billing[counting].copy()
    lines["unregistered_card"] = unregistered_all[counting].to_numpy()
    credited = credit_lines(lines, patient_all[counting], regs, claims, billing, codes_all, codes_all[counting], policy)
    excluded = billing[(billing["src_month"] == str(month)).to_numpy() & ~counting]
    violations = card_violations(credited, regs, claims, month)
    return Credit(credited, regs.assign(conflict=claims["conflict"].reindex(regs.index).fillna(False),
                                        conflict_with=claims["conflict_with"].reindex(regs.index)),
                  violations, excluded)


VIOLATION_NAMES = {
    "unregistered_card": ("未登记卡", "unregistered card"),
    "duplicate_card": ("重复办卡", "duplicate card"),
    "late_registration": ("转诊迟报", "late registration"),
    "existing_patient": ("老患者", "existing patient"),
    "incomplete_referral": ("转诊信息不全", "incomplete referral"),
    "unknown_staff": ("人员不存在", "unknown staff"),
    "conflicting_claim": ("撞单", "conflicting claim"),
    "late_report": ("日报迟交", "late report"),
    "missing_report": ("日报缺失", "missing report"),
    "performance_warning": ("业绩不达标预警", "performance warning"),
    "negative_pay": ("负数工资", "negative pay"),
    "large_rebate": ("大额返款", "large rebate"),
}

RULE_OF = {"unregistered_card": "R20", "duplicate_card": "R21", "late_registration": "R22",
           "existing_patient": "R23", "incomplete_referral": "R24", "unknown_staff": "R25",
           "conflicting_claim": "R26", "late_report": "R27", "missing_report": "R27",
           "performance_warning": "R41", "negative_pay": "R39", "large_rebate": "R17"}


def violation_row(code, *, staff_id=None, file=None, sheet=None, row=None, effect="", detail="",
                  card_no=None, patient_key=None, record_no=None, partner=None, amount=None) -> dict:
    return {"code": code, "rule": RULE_OF.get(code, ""), "name": VIOLATION_NAMES[code][0], "staff_id": staff_id,
            "file": file, "sheet": sheet, "row": row, "card_no": card_no, "patient_key": patient_key,
            "record_no": record_no, "partner": partner, "amount": amount, "detail": detail, "effect": effect}


def card_violations(lines: pd.DataFrame, regs: pd.DataFrame, claims: pd.DataFrame, month: Month) -> pd.DataFrame:
    """R20–R26 rows that belong to MONTH (SPEC §6: the month of the source row, or of first
    detection)."""
    rows = []
    m = str(month)
    for _, l in lines[lines["unregistered_card"].to_numpy(dtype=bool)].iterrows():
        rows.append(violation_row("unregistered_card", file=l["src_file"], sheet=l["src_sheet"], row=l["src_row"],
                                  card_no=l["card_no"], patient_key=l["patient_key"], record_no=l["record_no"],
                                  detail=f"卡号 {l['card_no']} 无登记", effect="不计业绩"))
    effects = {
        "duplicate_card": "罚款，多办卡消费不计业绩",
        "late_registration": "登记不予确认",
        "existing_patient": "登记不予确认",
        "incomplete_referral": "登记不予确认",
        "unknown_staff": "登记无效",
    }
    for code in REJECTION_ORDER:
        hit = regs[regs[code].to_numpy(dtype=bool) & (regs[code + "_listed_in"] == m).to_numpy()]
        if code == "duplicate_card":
            hit = hit[hit["extra_card"].to_numpy(dtype=bool)]
        for _, r in hit.iterrows():
            effect = effects[code]
            if code in LIFTABLE and r["confirmed"]:
                effect = "已确认例外"
            detail = ""
            if code == "incomplete_referral":
                detail = f"缺少{r['missing_fields']}"
            elif code == "duplicate_card":
                detail = f"患者第 3 张及以上的卡 {r['card_no']}"
            elif code == "unknown_staff":
                detail = f"业务员 {r['salesperson'] if isinstance(r['salesperson'], str) else ''}"
            rows.append(violation_row(code, staff_id=r["staff_id"] if isinstance(r["staff_id"], str) else None,
                                      file=r["src_file"], sheet=r["src_sheet"], row=r["src_row"], card_no=r["card_no"],
                                      patient_key=r["patient_key"], detail=detail, effect=effect))
    conflicts = claims[claims["conflict"].to_numpy(dtype=bool) & (claims["listed_month"] == m).to_numpy()]
    for _, r in conflicts.iterrows():
        rows.append(violation_row("conflicting_claim", staff_id=r["staff_id"], file=r["src_file"], sheet=r["src_sheet"],
                                  row=r["src_row"], card_no=r["card_no"], patient_key=r["patient_key"],
                                  detail=f"患者已由 {r['conflict_with']} 先登记", effect="后登记者不计业绩"))
    return pd.DataFrame(rows, columns=list(violation_row("unregistered_card").keys()))
