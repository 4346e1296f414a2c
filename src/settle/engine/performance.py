"""业绩 per person: shares of credited lines (R4 网络部 overlap) and the month's performance
after 扣业绩 / 取消业绩 (R28, R29)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from settle.engine.money import ONE, U, ZERO, perf_of, rate_u
from settle.rules import schema as P

SHARE_COLUMNS = ("stream", "patient", "category", "amount_fen", "rebate_u", "reg_clinic_team", "settled_on",
                 "src_order")


def build_shares(lines: pd.DataFrame, policy: P.Policy) -> pd.DataFrame:
    """R4: one row per (credited line, beneficiary) — owner and/or 网络部 side with its share.
    `line` points back into `lines`; only the columns the pay rules group on are carried."""
    share_u = rate_u(policy.crediting.network_share)
    cred = lines["credited"].to_numpy(dtype=bool)
    overlap = lines["overlap"].to_numpy(dtype=bool)
    owner = lines["owner_staff"].to_numpy(dtype=object)
    network = lines["network_staff"].to_numpy(dtype=object)
    own = cred & ~pd.isna(owner)
    net = cred & ~pd.isna(network)
    pos = np.concatenate([np.flatnonzero(own), np.flatnonzero(net)])
    shares = pd.DataFrame({
        "line": lines.index.to_numpy()[pos],
        "staff_id": np.concatenate([owner[own], network[net]]).astype(object),
        "share_u": np.concatenate([np.where(overlap[own], share_u, U), np.where(overlap[net], U - share_u, U)]
                                  ).astype(np.int64),
        "side": np.array(["owner"] * int(own.sum()) + ["network"] * int(net.sum()), dtype=object),
    })
    for col in SHARE_COLUMNS:
        shares[col] = lines[col].to_numpy()[pos] if len(pos) else lines[col].iloc[0:0].to_numpy()
    # Performance of the share: share × (amount − rebate), amount in micro-fen.
    shares["net_u"] = shares["amount_fen"].to_numpy(dtype=np.int64) * U - shares["rebate_u"].to_numpy(dtype=np.int64)
    return shares


@dataclass(frozen=True)
class Factors:
    """R28 扣业绩 (percent deductions, adding up to at most 100 %) and R29 取消业绩, per person."""

    deduct: dict[str, Decimal] = field(default_factory=dict)
    cancelled: frozenset[str] = frozenset()

    def __call__(self, sid) -> Decimal:
        """The multiplier of the person's 业绩 and of every per-case/per-head amount."""
        if sid in self.cancelled:
            return ZERO
        return ONE - self.deduct.get(sid, ZERO)


def performance_factors(adjustments: pd.DataFrame) -> Factors:
    """R28/R29 from MONTH's 调整 rows."""
    deduct: dict[str, Decimal] = {}
    cancelled = set()
    for a in adjustments.itertuples():
        if not isinstance(a.staff_id, str):
            continue
        if a.kind == "扣业绩" and a.percent is not None:
            deduct[a.staff_id] = min(ONE, deduct.get(a.staff_id, ZERO) + a.percent)
        elif a.kind == "取消业绩":
            cancelled.add(a.staff_id)
    return Factors(deduct, frozenset(cancelled))


def stream_performance(shares: pd.DataFrame) -> dict[str, dict[str, Decimal]]:
    """Exact 业绩 per person and stream (before R28/R29): group sums per (staff, stream, share)."""
    perf: dict[str, dict[str, Decimal]] = {}
    if len(shares):
        g = shares.groupby(["staff_id", "stream", "share_u"], observed=True, as_index=False)["net_u"].sum()
        for (sid, stream), grp in g.groupby(["staff_id", "stream"], observed=True):
            perf.setdefault(sid, {})[stream] = perf_of(grp)
    return perf


def network_performance(perf: dict, staff: pd.DataFrame, policy: P.Policy, factor: Factors) -> dict[str, Decimal]:
    """R4/R40: 网络部 appears in the summary with its 业绩 (after R28/R29) and no pay."""
    role = policy.crediting.network_role
    roles = staff.set_index("staff_id")["role"].to_dict()
    network = {sid: sum(streams.values(), ZERO) * factor(sid) for sid, streams in perf.items()
               if roles.get(sid) == role}
    for sid in staff.loc[staff["role"] == role, "staff_id"]:
        network.setdefault(sid, ZERO)
    return network
