"""The credited lines a month records (SPEC §12): one row per (credited line, beneficiary),
enough to name the line again (file › sheet › row, 病历号) and to add up each person's stream
业绩 to the micro-fen — what `settle diff` attributes a changed figure to.

They are kept beside settlement.json as `credited.parquet` (a million lines write in a fraction
of a second; as JSON they would cost the run seconds and settlement.json millions of lines), and
settlement.json names that file, its fields and rows under "credited". The patient's name
is masked as in every output; money stays integers (fen, micro-fen). A month settled before
lines were recorded has no "credited": its diff names 业绩 changes without their lines.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from settle.engine.money import U

FILE = "credited.parquet"
FIELDS = ("staff_id", "stream", "side", "share_u", "file", "sheet", "row", "record_no", "patient", "patient_key",
          "date", "category", "amount_fen", "net_u", "card_no")
KEY = ("staff_id", "stream", "side", "record_no", "date", "category", "amount_fen", "card_no")
SCALE = Decimal(U) * U * 100      # share_u × net_u → yuan
MEMORY = "_credited"              # a record read with its lines: the frame, in memory only


def credited_frame(shares: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """Every share of a credited line, in the shares' order (columnar: no per-row Python). Each
    column of the lines is made text once per line and then taken for the shares: no copy of
    the whole lines frame, no fixed-width numpy text (issue 26.3: a 1 M-line month's transients)."""
    from settle.output.privacy import mask_names

    pos = lines.index.get_indexer(shares["line"].to_numpy()) if len(shares) else np.zeros(0, dtype=np.intp)

    def text(values: pd.Series) -> pd.api.extensions.ExtensionArray:
        return values.astype("str").fillna("").array

    def per_share(values) -> pd.api.extensions.ExtensionArray:
        return (values if isinstance(values, pd.api.extensions.ExtensionArray) else text(values)).take(pos)

    keys = text(lines["patient_key"])
    # 患者标识 as settlement.json's violations show it (****last 4): what names a line's finding
    masked_keys = pd.Series(np.where(keys == "", "", "****" + pd.Series(keys).str[-4:].fillna("")), dtype="str").array
    return pd.DataFrame({
        "staff_id": text(shares["staff_id"]), "stream": text(shares["stream"]), "side": text(shares["side"]),
        "share_u": shares["share_u"].to_numpy(dtype=np.int64), "file": per_share(lines["src_file"]),
        "sheet": per_share(lines["src_sheet"]),
        "row": pd.to_numeric(lines["src_row"], errors="coerce").fillna(0).to_numpy(dtype=np.int64)[pos],
        "record_no": per_share(lines["record_no"]), "patient": per_share(mask_names(lines["patient_name"])),
        "patient_key": per_share(masked_keys),
        "date": per_share(pd.to_datetime(lines["settled_on"]).dt.strftime("%Y-%m-%d")),
        "category": per_share(lines["category"]),
        "amount_fen": lines["amount_fen"].to_numpy(dtype=np.int64)[pos], "net_u": shares["net_u"].to_numpy(dtype=np.int64),
        "card_no": per_share(lines["card_no"]),
    }, columns=list(FIELDS))


def credited_meta(shares: pd.DataFrame) -> dict:
    """What settlement.json says of them."""
    return {"file": FILE, "fields": list(FIELDS), "rows": int(len(shares))}


def write_credited(folder: Path, shares: pd.DataFrame, lines: pd.DataFrame) -> None:
    """credited.parquet into the (staging) folder."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(folder) / FILE
    pq.write_table(pa.Table.from_pandas(credited_frame(shares, lines), preserve_index=False), path)


def with_lines(record: dict | None, folder: Path) -> dict | None:
    """A record read from `folder` with its credited lines attached in memory (MEMORY), read
    only when a diff needs them (a rerun that changed nobody's pay never opens them)."""
    if record is None or "credited" not in record:
        return record
    path = Path(folder) / record["credited"].get("file", FILE)
    if not path.is_file():
        return {k: v for k, v in record.items() if k != "credited"}   # lost: its 业绩 named as a whole
    return {**record, MEMORY: lambda: pd.read_parquet(path)}


def read_credited(record: dict) -> pd.DataFrame:
    frame = record.get(MEMORY)
    if callable(frame):
        frame = record[MEMORY] = frame()
        for f in FIELDS:   # a field this version records that an earlier one did not
            if f not in frame:
                frame[f] = ""
    if frame is None:
        return pd.DataFrame({f: pd.Series(dtype=np.int64 if f in ("share_u", "net_u", "amount_fen", "row") else object)
                             for f in FIELDS})
    return frame


def has_lines(record: dict) -> bool:
    return record.get(MEMORY) is not None


def performance_of(share_u, net_u) -> Decimal:
    """A line's exact 业绩 for its beneficiary (R4 share × (金额 − 返款), R6), in yuan."""
    return Decimal(int(share_u)) * Decimal(int(net_u)) / SCALE


def stream_sums(frame: pd.DataFrame) -> dict[tuple[str, str], Decimal]:
    """Σ line 业绩 per (staff_id, stream), grouped by share as the engine sums it (perf_of)."""
    out: dict[tuple[str, str], Decimal] = {}
    if not len(frame):
        return out
    g = frame.groupby(["staff_id", "stream", "share_u"], observed=True)["net_u"].sum()
    for (sid, stream, share_u), net_u in g.items():
        out[(sid, stream)] = out.get((sid, stream), Decimal(0)) + Decimal(int(share_u)) * Decimal(int(net_u)) / SCALE
    return out


def changed_lines(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """The lines that differ between two records, matched by what they are (not where they
    stand: a row inserted above moves nothing): `_merge` left_only (gone), right_only (new), or
    both with another share or 业绩. Columns of each side end in _0 and _1."""
    def keyed(f):
        f = f.copy()
        f["occurrence"] = f.groupby(list(KEY), sort=False).cumcount()
        return f
    before, after = _unmatched(before, after)
    merged = keyed(before).merge(keyed(after), on=[*KEY, "occurrence"], how="outer", suffixes=("_0", "_1"),
                                 indicator=True, sort=False)
    moved = np.array(merged["_merge"] != "both", dtype=bool)
    both = ~moved
    moved[both] = ((merged["share_u_0"].to_numpy()[both] != merged["share_u_1"].to_numpy()[both]) |
                   (merged["net_u_0"].to_numpy()[both] != merged["net_u_1"].to_numpy()[both]))
    return merged[moved]


def _unmatched(before: pd.DataFrame, after: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Only the lines that are not the same on both sides (a rerun changes a few of a million):
    rows hashed by what they are; a line repeated a different number of times keeps them all."""
    if not len(before) or not len(after):
        return before, after
    what = [*KEY, "share_u", "net_u"]
    h0 = pd.util.hash_pandas_object(before[what], index=False).to_numpy()
    h1 = pd.util.hash_pandas_object(after[what], index=False).to_numpy()
    in1 = pd.Series(h0).isin(h1).to_numpy()     # a hash table, not a sort: a million rows in milliseconds
    in0 = pd.Series(h1).isin(h0).to_numpy()
    if int(in1.sum()) != int(in0.sum()):   # multiplicities differ: compare every line
        return before, after
    return before[~in1], after[~in0]
