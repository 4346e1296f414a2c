"""返款 to partners (R15–R17), computed on whole credited lines in micro-fen.

R16 percent rebates: first match wins; R15 手术 rebates: a fixed amount per patient with surgery
in MONTH, split between partner and clerk (店员), replacing the percent rebates it names on that
patient's lines; R17 大额返款 reads the per-partner totals.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from settle.engine.matching import match_mask
from settle.engine.money import U, fmt_rate, micro_to_yuan, r2, rate_u
from settle.rules import schema as P


def assign_rebates(lines: pd.DataFrame, policy: P.Policy) -> pd.DataFrame:
    """R15/R16 返款 per credited line: rebate rule, rate (micro units), fixed rebate (micro-fen)
    and partner. Only credited lines carry rebates."""
    n = len(lines)
    credited = lines["credited"].to_numpy(dtype=bool)
    rid = np.full(n, None, dtype=object)
    rate = np.zeros(n, dtype=np.int64)
    fixed = np.zeros(n, dtype=np.int64)
    free = credited.copy()
    for r in policy.rebates:
        if isinstance(r, P.PercentRebate):
            hit = free & match_mask(lines, r.match)
            rid[hit] = r.id
            rate[hit] = rate_u(r.rate)
            free &= ~hit
    for r in policy.rebates:
        if isinstance(r, P.SurgeryRebate):
            _surgery_rebate(lines, r, credited, rid, rate, fixed)
    has_rebate = pd.Series(rid != None, index=lines.index)  # noqa: E711
    partner = lines["reg_partner"].astype("string[pyarrow]").fillna(policy.unnamed_partner).where(has_rebate)
    out = pd.DataFrame({"rebate_id": rid, "rebate_rate_u": rate, "rebate_fixed_u": fixed, "partner": partner},
                       index=lines.index)
    out["rebate_u"] = rate * lines["amount_fen"].to_numpy(dtype=np.int64) + fixed
    return out


def _surgery_rebate(lines: pd.DataFrame, r: P.SurgeryRebate, credited: np.ndarray, rid: np.ndarray,
                    rate: np.ndarray, fixed: np.ndarray) -> None:
    """R15 手术返款: per patient with a net positive surgery category in MONTH, the fixed amount on
    the patient's largest surgery line (first by source order on a tie); the percent rebates it
    replaces are taken off all of the patient's lines. Writes into rid/rate/fixed."""
    eligible = credited & match_mask(lines, P.Match(channels=r.match.channels, card_types=r.match.card_types))
    if not eligible.any():
        return
    sub = lines[eligible]
    surg = sub[sub["category"].isin(r.surgery_categories)]
    net = surg.groupby(["patient", "category"], observed=True)["amount_fen"].sum()
    patients = set(net[net > 0].index.get_level_values(0))
    if not patients:
        return
    of_patient = eligible & lines["patient"].isin(patients).to_numpy(dtype=bool)
    replaced = of_patient & pd.Series(rid).isin(r.replaces).to_numpy(dtype=bool)
    rid[replaced] = None
    rate[replaced] = 0
    cand = lines[of_patient & lines["category"].isin(r.surgery_categories).to_numpy(dtype=bool)]
    cand = cand.sort_values(["amount_fen", "src_order"], ascending=[False, True]).drop_duplicates("patient")
    pos = lines.index.get_indexer(cand.index)
    rid[pos] = r.id
    fixed[pos] = int(r.amount * 100 * U)


REBATE_COLUMNS = ["partner", "portion", "rule", "rebate_id", "record_no", "patient_name", "patient_key", "settled_on",
                  "category", "amount_fen", "rate", "rebate_u", "owner_staff", "network_staff", "src_file",
                  "src_sheet", "src_row", "referrer"]   # referrer: the introducer of R46's voucher
_TRACE = ["record_no", "patient_name", "patient_key", "settled_on", "category", "amount_fen", "owner_staff",
          "network_staff", "src_file", "src_sheet", "src_row"]


def rebate_table(lines: pd.DataFrame, policy: P.Policy) -> pd.DataFrame:
    """The 返款 sheet (R15–R17): one row per rebate line (a R15 rebate is two: partner and clerk)."""
    sub = lines[lines["rebate_id"].notna().to_numpy()]
    rules = {r.id: r for r in policy.rebates}
    rows = []
    pct = sub[sub["rebate_fixed_u"] == 0]
    if len(pct):
        t = pd.DataFrame({"partner": pct["partner"], "portion": "合作单位",
                          "rule": pct["rebate_id"].map(lambda r: rules[r].rule), "rebate_id": pct["rebate_id"],
                          **{c: pct[c] for c in _TRACE}, "rate": _rate_texts(pct["rebate_rate_u"]),
                          "rebate_u": pct["rebate_u"], "referrer": _referrers(pct)})
        rows.append(t)
    fixed = sub[sub["rebate_fixed_u"] > 0]
    for rid, f in fixed.groupby("rebate_id", sort=False, observed=True):
        r = rules[rid]
        for portion, amt in r.split.items():  # one row per portion of each fixed rebate (R15)
            rows.append(pd.DataFrame({"partner": f["partner"], "portion": portion, "rule": r.rule, "rebate_id": r.id,
                                      **{c: f[c] for c in _TRACE}, "rate": f"{amt} 元/人",
                                      "rebate_u": int(amt * 100 * U), "referrer": _referrers(f)}))
    if not rows:
        return pd.DataFrame(columns=REBATE_COLUMNS)
    out = pd.concat(rows, ignore_index=True)[REBATE_COLUMNS]
    return out.sort_values(["partner", "portion", "src_file", "src_row"], kind="stable").reset_index(drop=True)


def _referrers(lines: pd.DataFrame) -> pd.Series:
    """The deciding registration's 转诊医生 (R46), '' when none."""
    if "reg_referrer" not in lines:
        return pd.Series("", index=lines.index, dtype=object)
    return lines["reg_referrer"].astype(object).where(lines["reg_referrer"].notna(), "")


def _rate_texts(rates_u: pd.Series) -> np.ndarray:
    codes, uniques = pd.factorize(rates_u)
    return np.array([fmt_rate(Decimal(int(u)) / U) for u in uniques], dtype=object)[codes]


def rebate_totals(lines: pd.DataFrame) -> pd.DataFrame:
    """R17: per partner, the number of 返款 rows (a R15 rebate is two: partner and clerk) and the
    total, rounded once from the exact sum — the same figures as partner_totals(rebate_table)."""
    sub = lines[lines["rebate_id"].notna().to_numpy()]
    if not len(sub):
        return pd.DataFrame(columns=["partner", "lines", "total"])
    fixed = (sub["rebate_fixed_u"].to_numpy() > 0).astype(np.int64)
    g = pd.DataFrame({"partner": sub["partner"].astype(object).to_numpy(), "rows": 1 + fixed,
                      "u": sub["rebate_u"].to_numpy(dtype=np.int64)}).groupby("partner", sort=True).sum()
    return pd.DataFrame({"partner": g.index.to_numpy(), "lines": g["rows"].to_numpy(),
                         "total": [r2(micro_to_yuan(u)) for u in g["u"]]})


def partner_totals(rebates: pd.DataFrame) -> pd.DataFrame:
    """R17: per partner totals of the 返款 sheet."""
    if not len(rebates):
        return pd.DataFrame(columns=["partner", "lines", "total"])
    g = rebates.groupby("partner", sort=True).agg(lines=("rebate_u", "size"), total_u=("rebate_u", "sum"))
    g["total"] = [r2(micro_to_yuan(u)) for u in g["total_u"]]
    return g.reset_index()[["partner", "lines", "total"]]
