"""Money: Decimal from the cell onwards, one rounding per payslip line (R37 四舍五入).

Per-line work is in integers: amounts in fen, rebates and shares in micro units (1e-6), so a
15 % rebate or a 50 % share of any amount is exact. Per-person figures are exact Decimals built
from group sums.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from settle.rules import schema as P

U = 10**6                 # micro units per unit (micro-fen per fen; a share of 1 is U)
CENT = Decimal("0.01")
ZERO = Decimal(0)
ONE = Decimal(1)


def r2(x: Decimal) -> Decimal:
    """R37: round once, half-up (四舍五入), to the fen."""
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


def yuan(fen) -> Decimal:
    """Integer fen (a money column) → exact yuan."""
    return Decimal(int(fen)) / 100


def micro_to_yuan(u) -> Decimal:
    """Micro-fen → exact yuan."""
    return Decimal(int(u)) / (100 * U)


def rate_u(rate: Decimal) -> int:
    """A rate in micro units; a rate finer than 1e-6 would not be exact and is refused."""
    v = rate * U
    if v != v.to_integral_value():
        raise ValueError(f"rate {rate} has more than 6 decimal places")
    return int(v)


def perf_of(group_sums: pd.DataFrame) -> Decimal:
    """业绩 of share groups: Σ share × net (micro × micro-fen) over groups of equal share, exact yuan."""
    total = ZERO
    for share_u, net_u in zip(group_sums["share_u"], group_sums["net_u"]):
        total += Decimal(int(share_u)) * Decimal(int(net_u))
    return total / (Decimal(U) * U * 100)


def fmt_money(d: Decimal) -> str:
    return f"{r2(d):,}"


def fmt_rate(d: Decimal) -> str:
    return P._pct(d)
