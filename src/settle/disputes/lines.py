"""The credited lines a month records in settlement.json (SPEC §12): one row per (credited line,
beneficiary), enough to name the line again (file › sheet › row, 病历号) and to add up each
person's stream 业绩 to the micro-fen — what `settle diff` attributes a changed figure to.

Recorded columnar (`fields` once, then plain rows) so a large month's record stays small; the
patient's name is masked as in every output; money stays integers (fen, micro-fen).
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from settle.engine.money import U

FIELDS = ("staff_id", "stream", "side", "share_u", "file", "sheet", "row", "record_no", "patient", "date",
          "category", "amount_fen", "net_u", "card_no")
SCALE = Decimal(U) * U * 100      # share_u × net_u → yuan


def credited_record(shares: pd.DataFrame, lines: pd.DataFrame) -> dict:
    """settlement.json's "credited": every share of a credited line, in the shares' order."""
    from settle.output.privacy import mask_names

    if not len(shares):
        return {"fields": list(FIELDS), "rows": []}
    at = lines.index.get_indexer(shares["line"].to_numpy())
    src = lines.iloc[at]

    def text(col):
        values = src[col].to_numpy(dtype=object)
        return [v if isinstance(v, str) else "" for v in values]

    dates = pd.to_datetime(src["settled_on"]).dt.strftime("%Y-%m-%d").fillna("").tolist()
    rows = src["src_row"].to_numpy()
    columns = [
        shares["staff_id"].astype(str).tolist(), [str(s) if isinstance(s, str) else "" for s in shares["stream"]],
        shares["side"].astype(str).tolist(), shares["share_u"].astype(np.int64).tolist(),
        text("src_file"), text("src_sheet"), [int(r) if pd.notna(r) else 0 for r in rows], text("record_no"),
        mask_names(src["patient_name"]).tolist(), dates, text("category"),
        src["amount_fen"].astype(np.int64).tolist(), shares["net_u"].astype(np.int64).tolist(), text("card_no"),
    ]
    return {"fields": list(FIELDS), "rows": [list(r) for r in zip(*columns)]}


def read_credited(record: dict) -> list[dict]:
    """The recorded credited lines as dicts; a month settled before they were recorded has none
    (its diff then names changed figures without their lines)."""
    data = record.get("credited") or {}
    fields = data.get("fields", [])
    return [dict(zip(fields, r)) for r in data.get("rows", [])]


def performance_of(row: dict) -> Decimal:
    """The line's exact 业绩 for its beneficiary (R4 share × (金额 − 返款), R6), in yuan."""
    return Decimal(int(row["share_u"])) * Decimal(int(row["net_u"])) / SCALE
