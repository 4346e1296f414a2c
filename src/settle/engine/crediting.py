"""Crediting — which billing line counts for whom (SPEC §4, R1–R7), one function per rule.

Everything here is columnar: registrations and billing lines are joined and grouped, never
looped over. The result is one frame of MONTH's counting lines (R1) with, per line, who is
credited with which share, the owning registration, or the reason nobody is. R6 (业绩 = share ×
(amount − 返款)) is computed from these columns where pay is (engine/pay.py); the card checks
R20–R26 that R7 rejects on are in engine/card_checks.py.

The order of a month: R2 link every line to a patient → R21–R25 flag the registrations → R7
reject (确认例外 lifts R22–R24) → R3 the claims (R26 撞单 among them) → per counting line (R1):
R3 owner, R4 网络部 partner, R5 follow-up window and departure, the reason, R4 shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from settle.engine.card_checks import (
    LIFTABLE,
    REJECTION_ORDER,
    card_violations,
    flag_registrations,
    mark_conflicts,
)
from settle.engine.appeals import finish as finish_appeals, match_appeals
from settle.engine.joins import found, lookup, positions, strings, take_text
from settle.load.workspace import Month
from settle.rules import Policy

# Reasons a counting line credits nobody (R5: 未归属 reports the first that applies).
REASON_UNREGISTERED = "unregistered_card"
REASON_OUT_OF_WINDOW = "out_of_window"
REASON_DEPARTED = "departed"
REASON_WALK_IN = "walk_in"
# The order 未归属 and 核对 list the reasons in: R20, the R7 rejections, 超出复诊期, 已离职, 自然来诊.
REASON_ORDER = (REASON_UNREGISTERED, *REJECTION_ORDER, REASON_OUT_OF_WINDOW, REASON_DEPARTED, REASON_WALK_IN)


@dataclass
class Credit:
    """The crediting of a month."""

    lines: pd.DataFrame            # MONTH's counting lines (R1), one row each, with credit columns
    registrations: pd.DataFrame    # every registration read, with rejection flags
    violations: pd.DataFrame       # R20–R26 rows listed in MONTH
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)  # MONTH's lines that do not count
    report_findings: pd.DataFrame | None = None  # R27 late/missing 日报, set where pay reads the reports
    appeals: object = None         # engine.appeals.AppealOutcome: the 申诉 rows and their decisions (SPEC §12)


def counting_lines(billing: pd.DataFrame, month: Month) -> np.ndarray:
    """R1 Month: MONTH's own export, 已结算, 结算日期 within MONTH (业绩以月末最后一天患者结算完毕为准；
    正在治疗但未结算者不计入本月业绩)."""
    own = (billing["src_month"] == str(month)).to_numpy()
    settled = (billing["status"] == "已结算").fillna(False).to_numpy(dtype=bool)
    on = billing["settled_on"]
    inside = ((on >= pd.Timestamp(month.first_day)) & (on <= pd.Timestamp(month.last_day))).fillna(False) \
        .to_numpy(dtype=bool)
    return own & settled & inside


def link_patients(billing: pd.DataFrame, regs: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """R2 Link: a line with a 卡号 links by card (the card's registration names the patient), else
    by 患者标识. Returns (patient key per line, unregistered-card flag per line: R20)."""
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


# --- R7: rejections first ------------------------------------------------------------------------

def confirm_exceptions(regs: pd.DataFrame, adjustments: pd.DataFrame, month: Month) -> None:
    """R7 确认例外 (由市场部主任申请，经客服主任调查核实后可确认): an adjustment naming a 卡号 (else a
    患者标识) marks `confirmed` the registrations of it registered up to the end of the
    adjustment's month. One step per adjustment (a clerk's handful), each over whole columns."""
    regs["confirmed"] = False
    ex = adjustments[(adjustments["kind"] == "确认例外")] if len(adjustments) else adjustments
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


def reject(regs: pd.DataFrame) -> None:
    """R7 Rejections first: a registration flagged by R21 or R25, or by R22–R24 without 确认例外,
    is `rejected`; `reject_reason` is the first such code in rule order."""
    confirmed = regs["confirmed"].to_numpy()
    rejected = regs["duplicate_card"].to_numpy() | regs["unknown_staff"].to_numpy()
    for code in LIFTABLE:
        rejected |= regs[code].to_numpy() & ~confirmed
    regs["rejected"] = rejected
    reason = pd.Series([None] * len(regs), index=regs.index, dtype=object)
    for code in reversed(REJECTION_ORDER):
        active = regs[code].to_numpy() & (~confirmed if code in LIFTABLE else True)
        reason[active] = code
    regs["reject_reason"] = reason


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


# --- R3 first claim, R4 network overlap ------------------------------------------------------------

def resolve_claims(regs: pd.DataFrame, staff: pd.DataFrame) -> pd.DataFrame:
    """R3 First claim (首发制度) — the claims table: one row per remaining (not rejected) non-劳务工
    registration with a patient, in claim order (登记时间, then row order), with the registrant's
    离职日期 at which the claim lapses."""
    left = staff.set_index("staff_id")["left_on"] if len(staff) else pd.Series(dtype="datetime64[ns]")
    ok = ~regs["rejected"].to_numpy() & ~regs["is_labour"].to_numpy() & regs["patient_key"].notna().to_numpy()
    claims = regs[ok].sort_values(["registered_at", "src_order"])
    claims["left_on"] = claims["staff_id"].map(left)
    return claims


def claim_owner(out: pd.DataFrame, people: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """R3 First claim (首发制度): per line, the owning registration (-1: none) — the patient's
    earliest claim whose registrant is still employed when the line settles (a claim lapses at
    its 离职日期) — and whether every claim has lapsed (the first one then holds, 已离职)."""
    n = len(out)
    owner = np.full(n, -1, dtype=np.int64)
    departed = np.zeros(n, dtype=bool)
    first_claim = people.drop_duplicates("patient_key")
    pos = positions(out["patient"], first_claim["patient_key"])
    has_claim = pos >= 0
    owner[has_claim] = first_claim.index.to_numpy()[pos[has_claim]]
    # Lines of patients whose claims include someone who leaves: resolved by a join (few).
    leavers = people[people["left_on"].notna()]
    if not len(leavers):
        return owner, departed
    sel = found(out["patient"], list(set(leavers["patient_key"]))) & has_claim
    if sel.any():
        sub = out.loc[sel, ["patient", "settled_on"]].reset_index()
        j = sub.merge(people.reset_index()[["index", "patient_key", "left_on", "registered_at", "src_order"]]
                      .rename(columns={"index": "reg"}), left_on="patient", right_on="patient_key")
        active = j["left_on"].isna() | (j["settled_on"] <= j["left_on"])
        act = j[active].sort_values(["registered_at", "src_order"]).drop_duplicates("index")
        chosen = pd.Series(act["reg"].to_numpy(), index=act["index"].to_numpy())
        owner[out.index.get_indexer(chosen.index)] = chosen.to_numpy()
        # No active claim: the first claim holds, but its registrant has left (已离职).
        none_active = np.setdiff1d(sub["index"].to_numpy(), chosen.index.to_numpy())
        departed[out.index.get_indexer(none_active)] = True
    return owner, departed


def network_partner(out: pd.DataFrame, network: pd.DataFrame) -> np.ndarray:
    """R4 Network overlap: per line, the patient's earliest remaining 网络部 registration (-1:
    none), whatever its order against the owner's claim."""
    first_net = network.drop_duplicates("patient_key")
    pos = positions(out["patient"], first_net["patient_key"])
    return np.where(pos >= 0, first_net.index.to_numpy()[np.maximum(pos, 0)] if len(first_net) else -1,
                    -1).astype(np.int64)


def deciding_registration(out: pd.DataFrame, regs: pd.DataFrame, owner: np.ndarray, network_reg: np.ndarray) -> None:
    """R3/R4: the registration that decides a line's follow-up window, channel, partner and card
    type — the owner's, else the 网络部 partner's. Adds its columns (reg_*) to the lines, taken
    by position without leaving Arrow."""
    n = len(out)
    out["owner_reg"] = owner
    out["network_reg"] = network_reg
    deciding = np.where(owner >= 0, owner, network_reg)
    out["deciding_reg"] = deciding
    dec = deciding >= 0
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


# --- R5 follow-up window and departure -----------------------------------------------------------

def follow_up_window(out: pd.DataFrame, billing_all: pd.DataFrame, codes_all: np.ndarray, codes: np.ndarray,
                     days: int) -> None:
    """R5 Follow-up window (复诊有效期为2个月): the first visit is the earliest 就诊时间 (any month,
    any status) at or after the deciding registration's 登记时间; a line visited more than `days`
    after that visit's date is `out_of_window` (超出复诊期). Joins on the integer patient codes
    (`codes_all` for every line of `billing_all`, `codes` for the counting lines; -1: none)."""
    n = len(out)
    dec = out["deciding_reg"].to_numpy() >= 0
    out["first_visit"] = pd.NaT
    if dec.any():
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
    window = pd.Timedelta(days=days)
    late = (out["visited_at"].dt.normalize() > out["first_visit"].dt.normalize() + window).fillna(False)
    out["out_of_window"] = late.to_numpy(dtype=bool)


def owner_departure(out: pd.DataFrame, claims: pd.DataFrame, owner: np.ndarray, departed: np.ndarray) -> np.ndarray:
    """R5 已离职: a line settled after its owner's 离职日期 credits the owner nothing (a 网络部 share
    is unaffected). `departed`: R3's lines whose every claim has lapsed."""
    has_owner = owner >= 0
    owner_left = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    if has_owner.any():
        owner_left[has_owner] = claims["left_on"].reindex(owner[has_owner]).to_numpy()
    departed = departed | (has_owner & (out["settled_on"] > owner_left).fillna(False).to_numpy(dtype=bool))
    out["owner_departed"] = departed
    return departed


def line_reasons(out: pd.DataFrame, regs: pd.DataFrame, owner: np.ndarray, network_reg: np.ndarray,
                 departed: np.ndarray) -> np.ndarray:
    """R5's order of reasons a line credits nobody: R20 未登记卡, the R7 rejection (of the card, or
    of the patient with no remaining claim), 超出复诊期, 已离职; a line with no claim at all is
    自然来诊. Adds `reason` and `credited`; returns `credited`."""
    n = len(out)
    has_owner, has_network = owner >= 0, network_reg >= 0
    patient_rejection, card_rejection = _rejections(out, regs)
    reason = np.full(n, None, dtype=object)
    no_claim = ~has_owner & ~has_network
    reason[departed & ~has_network & ~no_claim] = REASON_DEPARTED
    reason[out["out_of_window"].to_numpy(dtype=bool) & ~no_claim] = REASON_OUT_OF_WINDOW
    reason[no_claim] = np.where(pd.isna(patient_rejection[no_claim]), REASON_WALK_IN, patient_rejection[no_claim])
    on_rejected_card = ~pd.isna(card_rejection)
    reason[on_rejected_card] = card_rejection[on_rejected_card]
    reason[out["unregistered_card"].to_numpy(dtype=bool)] = REASON_UNREGISTERED
    out["reason"] = reason
    credited = reason == None  # noqa: E711
    out["credited"] = credited
    return credited


def beneficiaries(out: pd.DataFrame, regs: pd.DataFrame, owner: np.ndarray, network_reg: np.ndarray,
                  departed: np.ndarray, credited: np.ndarray) -> None:
    """R4 网络部重叠业绩各50%: who is credited with a line — the owner (unless departed) and the
    网络部 partner; `overlap` marks the lines both share (50/50), else one side has 100 %."""
    has_owner, has_network = owner >= 0, network_reg >= 0
    staff_ids = np.append(regs["staff_id"].to_numpy(dtype=object), None)  # the last slot: nobody

    def staff_of(labels, on):
        at = regs.index.get_indexer(labels)
        return staff_ids[np.where(on & (at >= 0), at, len(staff_ids) - 1)]

    out["owner_staff"] = staff_of(owner, credited & has_owner & ~departed)
    out["network_staff"] = staff_of(network_reg, credited & has_network)
    out["overlap"] = has_owner & has_network


def credit_lines(lines: pd.DataFrame, patient: pd.Series, regs: pd.DataFrame, claims: pd.DataFrame,
                 billing_all: pd.DataFrame, codes_all: np.ndarray, codes: np.ndarray, policy: Policy) -> pd.DataFrame:
    """R3–R5 per counting line: the owner, the network partner, the shares and the reason. Adds
    columns to `lines` (the caller's own copy of MONTH's counting lines). `codes_all` numbers
    the patient of every line of `billing_all`, `codes` those of `lines` alike (-1: none)."""
    out = lines
    out["patient"] = patient.array
    people = claims[~claims["is_network"]]
    owner, departed = claim_owner(out, people)
    network_reg = network_partner(out, claims[claims["is_network"]])
    deciding_registration(out, regs, owner, network_reg)
    follow_up_window(out, billing_all, codes_all, codes, policy.crediting.follow_up_days)
    departed = owner_departure(out, claims, owner, departed)
    credited = line_reasons(out, regs, owner, network_reg, departed)
    beneficiaries(out, regs, owner, network_reg, departed, credited)
    return out


def credit_month(inputs, policy: Policy) -> Credit:
    """Run R1–R7 and detect R20–R26 for `inputs.month`."""
    month = inputs.month
    billing = inputs.billing
    regs = inputs.registrations.reset_index(drop=True)
    regs = regs[regs["registered_at"].notna()]
    patient_all, unregistered_all = link_patients(billing, regs)
    codes_all, uniques = pd.factorize(patient_all)  # patients numbered once, for the joins on them
    regs = flag_registrations(regs, billing, codes_all, uniques, inputs.staff, policy)
    appeals = match_appeals(getattr(inputs, "appeals", None), regs, month)   # SPEC §12: 同意 → 确认例外
    confirm_exceptions(regs, pd.concat([inputs.adjustments, appeals.exceptions]) if len(appeals.exceptions)
                       else inputs.adjustments, month)
    reject(regs)
    claims = mark_conflicts(resolve_claims(regs, inputs.staff))
    counting = counting_lines(billing, month)
    lines = billing[counting]   # a frame of its own (pandas 3 copy-on-write): no second full copy
    lines["unregistered_card"] = unregistered_all[counting].to_numpy()
    credited = credit_lines(lines, patient_all[counting], regs, claims, billing, codes_all, codes_all[counting], policy)
    excluded = billing[(billing["src_month"] == str(month)).to_numpy() & ~counting]
    violations = card_violations(credited, regs, claims, month)
    credit = Credit(credited, regs.assign(conflict=claims["conflict"].reindex(regs.index).fillna(False),
                                          conflict_with=claims["conflict_with"].reindex(regs.index)),
                    violations, excluded, appeals=appeals)
    finish_appeals(appeals, credit, month, policy.violations.duplicate_card_fine)
    return credit
