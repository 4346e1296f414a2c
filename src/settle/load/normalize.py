"""Columnar normalisation of cell text into typed values (SPEC §3).

Every function takes a pyarrow string array (the reader hands over every cell as text: calamine
renders numbers in their shortest decimal form and dates as ISO text) and returns typed values
plus a boolean mask of the cells that could not be read. All the work is done by Arrow's
compute kernels; Python only touches the rare cells that need full-width folding, so a million
lines stay cheap.

Money is exact integer fen (分): the decimal text is split into integer and fraction digits and
rounded half-up at the fen, never through a float.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Full-width ASCII (U+FF01–U+FF5E) and the ideographic space fold to their half-width forms.
_FOLD_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD_TABLE[0x3000] = 0x20
_FULLWIDTH_RE = r"[\x{FF01}-\x{FF5E}\x{3000}]"
# C0/C1 control characters other than tab, newline and carriage return, literal or in Excel's
# _xHHHH_ escape form.
_CONTROL_RE = r"[\x{0}-\x{8}\x{B}\x{C}\x{E}-\x{1F}\x{7F}-\x{9F}]|_x[0-9A-Fa-f]{4}_"
_SPECIAL_RE = r"[\x{0}-\x{8}\x{B}\x{C}\x{E}-\x{1F}\x{7F}-\x{9F}\x{FF01}-\x{FF5E}\x{3000}]|_x[0-9A-Fa-f]{4}_"


def fold_text(value: str) -> str:
    """Fold one Python string: full-width to half-width, trimmed."""
    return value.translate(_FOLD_TABLE).strip()


def _as_array(arr) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    return arr


def clean_text(arr) -> tuple[pa.Array, np.ndarray]:
    """Fold, trim, and turn empty cells into nulls. Returns (text, control_char_mask)."""
    arr = _as_array(arr)
    if len(arr) == 0:
        return arr, np.zeros(0, dtype=bool)
    # One pass finds the rare cells that need anything beyond trimming; printable ASCII (dates,
    # money, keys) can hold only the `_x000B_` escape, which a literal search finds faster.
    ascii = pc.all(pc.ascii_is_printable(arr)).as_py() is not False
    if ascii:
        special = pc.any(pc.match_substring(arr, "_x")).as_py() and \
            pc.any(pc.match_substring_regex(arr, _SPECIAL_RE)).as_py()
    else:
        special = pc.any(pc.match_substring_regex(arr, _SPECIAL_RE)).as_py()
    if not special:
        arr = pc.ascii_trim_whitespace(arr) if ascii else pc.utf8_trim_whitespace(arr)
        if pc.min(pc.binary_length(arr)).as_py() == 0:
            arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
        return arr, np.zeros(len(arr), dtype=bool)
    needs_fold = pc.fill_null(pc.match_substring_regex(arr, _FULLWIDTH_RE), False)
    if pc.any(needs_fold).as_py():
        values = arr.to_pylist()
        mask = needs_fold.to_numpy(zero_copy_only=False)
        for i in np.flatnonzero(mask):
            values[i] = values[i].translate(_FOLD_TABLE)
        arr = pa.array(values, type=pa.string())
    arr = pc.utf8_trim_whitespace(arr)
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
    bad = pc.fill_null(pc.match_substring_regex(arr, _CONTROL_RE), False)
    return arr, bad.to_numpy(zero_copy_only=False)


def present(arr: pa.Array) -> np.ndarray:
    return pc.is_valid(arr).to_numpy(zero_copy_only=False)


def clean_key(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Card numbers, record numbers, patient keys, staff ids: text with leading zeros kept.
    A numeric cell read as `123.0` becomes `123`. Returns (keys, exponent_form_mask): an
    exponent form such as `1.10101E+17` is a number Excel has already truncated."""
    if pc.any(pc.match_substring(arr, ".")).as_py():  # literal checks first: rare, and cheap
        arr = pc.replace_substring_regex(arr, r"^(\d+)\.0+$", r"\1")
    if not pc.any(pc.match_substring(arr, "e", ignore_case=True)).as_py():
        return arr, np.zeros(len(arr), dtype=bool)
    long = pc.fill_null(pc.match_substring_regex(arr, r"^\d(\.\d+)?[eE]\+?\d+$"), False)
    return arr, long.to_numpy(zero_copy_only=False)


def lost_zeros(keys: pa.Array) -> tuple[np.ndarray, str | None]:
    """SPEC §8: in a column whose values carry leading zeros (病历号 "0012345"), a value of
    digits without them and shorter than those ("12345") was stored as a number, and Excel
    dropped the zeros. Returns (mask, an example with zeros). The width is the most common
    length of the zero-led values."""
    n = len(keys)
    none = np.zeros(n, dtype=bool)
    if n == 0 or not pc.any(pc.fill_null(pc.starts_with(keys, "0"), False)).as_py():
        return none, None
    led = pc.fill_null(pc.match_substring_regex(keys, r"^0\d+$"), False).to_numpy(zero_copy_only=False)
    if not led.any():
        return none, None
    lengths = pc.utf8_length(keys).to_numpy(zero_copy_only=False)
    width = np.bincount(lengths[led].astype(np.int64)).argmax()
    digits = pc.fill_null(pc.match_substring_regex(keys, r"^[1-9]\d*$"), False).to_numpy(zero_copy_only=False)
    mask = digits & (np.nan_to_num(lengths, nan=0) < width)
    example = keys[int(np.flatnonzero(led & (lengths == width))[0])].as_py()
    return mask, example


_MONEY_STRIP_RE = r"[¥￥,\s]|元$|^RMB|^CNY"
_MONEY_RE = r"^(?P<sign>[+-]?)(?P<int>\d*)(?:\.(?P<frac>\d*))?$"


def parse_fen(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Money text → integer fen, rounded half-up (away from zero) at the fen.

    Returns (fen int64, valid mask, bad mask): null cells are neither valid nor bad."""
    n = len(arr)
    if n == 0:
        z = np.zeros(0, dtype=bool)
        return np.zeros(0, dtype=np.int64), z, z
    if pc.all(pc.match_substring_regex(arr, r"^[+-]?\d{1,13}(\.\d*)?$")).as_py():
        s = arr  # the usual export: plain numbers, nothing to strip
    else:
        s = pc.replace_substring_regex(arr, _MONEY_STRIP_RE, "")
        s = pc.replace_substring_regex(s, r"^\((.*)\)$", r"-\1")  # accounting negative (123.45)
        s = pc.replace_substring_regex(s, r"^-+\s*", "-")
    has = present(arr)
    ok = pc.fill_null(pc.match_substring_regex(s, r"^[+-]?(\d{1,13}(\.\d*)?|\.\d+)$"), False)
    ok = ok.to_numpy(zero_copy_only=False)
    s = pc.if_else(pa.array(ok), s, pa.scalar("0", pa.string()))
    parts = pc.extract_regex(s, _MONEY_RE)
    sign = pc.struct_field(parts, "sign")
    ipart = pc.struct_field(parts, "int")
    frac = pc.fill_null(pc.struct_field(parts, "frac"), "")
    ipart = pc.if_else(pc.equal(ipart, ""), pa.scalar("0"), ipart)
    frac3 = pc.utf8_slice_codeunits(pc.utf8_rpad(frac, 3, "0"), 0, 3)
    cents = pc.cast(pc.utf8_slice_codeunits(frac3, 0, 2), pa.int64())
    third = pc.cast(pc.utf8_slice_codeunits(frac3, 2, 3), pa.int64())
    fen = (pc.cast(ipart, pa.int64()).to_numpy() * 100 + cents.to_numpy()
           + (third.to_numpy() >= 5).astype(np.int64))
    neg = pc.equal(sign, "-").to_numpy(zero_copy_only=False)
    fen = np.where(neg, -fen, fen)
    fen = np.where(ok, fen, 0)
    return fen.astype(np.int64), ok & has, has & ~ok


# A trailing weekday (星期五, 周五, 礼拜五, optionally in brackets), before or after the time: the
# form pharmacy and HIS exports write ("2018-01-01 星期五"). It is checked against the date.
_WEEKDAY = r"(?:\s*[(（]?\s*(?:星期|周|礼拜)(?P<{}>[一二三四五六日天七])\s*[)）]?)?"
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_DATE_RE = (r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
            + _WEEKDAY.format("w1")
            + r"(?:(?:\s+|T)(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})\s*分?(?:\s*[:：]\s*(?P<S>\d{1,2})(?:\.\d+)?)?)?"
            + _WEEKDAY.format("w2") + "$")
_DAY_FIRST_RE = r"^\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2,4}(\s|$)"
_SERIAL_RE = r"^\d{1,6}(\.\d+)?$"
_COMPACT_RE = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"


def parse_datetime(arr: pa.Array, *, date1904: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dates and times from ISO text (what calamine gives for date cells), the text forms of
    SPEC §3 (`2024/5/3`, `2024.05.03`, `2024年5月3日`, optional `08:30`) and Excel serial numbers.

    Returns (datetime64[ns] array with NaT for nulls/bad, bad mask, ambiguous mask)."""
    n = len(arr)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if n == 0:
        z = np.zeros(0, dtype=bool)
        return out, z, z
    has = present(arr)
    # Fast path: the ISO text calamine writes for date cells. The rest goes through the regexes.
    iso = pc.strptime(arr, format="%Y-%m-%d %H:%M:%S", unit="ns", error_is_null=True)
    iso_ok = pc.is_valid(iso).to_numpy(zero_copy_only=False)
    if iso_ok.all():
        return iso.to_numpy(zero_copy_only=False).astype("datetime64[ns]"), np.zeros(n, dtype=bool), \
            np.zeros(n, dtype=bool)
    if iso_ok.any():
        out[iso_ok] = iso.to_numpy(zero_copy_only=False).astype("datetime64[ns]")[iso_ok]
        rest = np.flatnonzero(~iso_ok)
        sub_out, sub_bad, sub_amb = parse_datetime(pc.take(arr, pa.array(rest)), date1904=date1904) \
            if len(rest) < n else (None, None, None)
        bad = np.zeros(n, dtype=bool)
        amb = np.zeros(n, dtype=bool)
        out[rest] = sub_out
        bad[rest] = sub_bad
        amb[rest] = sub_amb
        return out, bad, amb
    ymd = pc.fill_null(pc.match_substring_regex(arr, _DATE_RE), False).to_numpy(zero_copy_only=False)
    serial = pc.fill_null(pc.match_substring_regex(arr, _SERIAL_RE), False).to_numpy(zero_copy_only=False)
    compact = pc.fill_null(pc.match_substring_regex(arr, _COMPACT_RE), False).to_numpy(zero_copy_only=False)
    serial &= ~compact
    ambiguous = pc.fill_null(pc.match_substring_regex(arr, _DAY_FIRST_RE), False).to_numpy(zero_copy_only=False)
    bad = has & ~(ymd | serial | compact)
    ambiguous &= bad

    if ymd.any():
        idx = np.flatnonzero(ymd)
        sub = pc.take(arr, pa.array(idx))
        parts = pc.extract_regex(sub, _DATE_RE)
        cols = {}
        for name, key in (("year", "y"), ("month", "m"), ("day", "d"), ("hour", "H"), ("minute", "M"), ("second", "S")):
            f = pc.struct_field(parts, key)
            f = pc.if_else(pc.equal(f, ""), pa.scalar(None, pa.string()), f)
            cols[name] = pc.fill_null(pc.cast(f, pa.int64()), 0).to_numpy()
        ok = ((cols["month"] >= 1) & (cols["month"] <= 12) & (cols["day"] >= 1) & (cols["day"] <= 31)
              & (cols["hour"] <= 23) & (cols["minute"] <= 59) & (cols["second"] <= 59))
        frame = pd.DataFrame({k: np.where(ok, v, 1 if k in ("month", "day") else (2000 if k == "year" else 0))
                              for k, v in cols.items()})
        stamps = pd.to_datetime(frame, errors="coerce").to_numpy(dtype="datetime64[ns]")
        good = ok & ~np.isnat(stamps) & _weekday_agrees(parts, stamps)
        out[idx[good]] = stamps[good]
        bad[idx[~good]] = True
    if compact.any():
        idx = np.flatnonzero(compact)
        stamps = pd.to_datetime(pd.Series(pc.take(arr, pa.array(idx)).to_pylist()), format="%Y%m%d",
                                errors="coerce").to_numpy(dtype="datetime64[ns]")
        good = ~np.isnat(stamps)
        out[idx[good]] = stamps[good]
        bad[idx[~good]] = True
    if serial.any():
        idx = np.flatnonzero(serial)
        days = pc.cast(pc.take(arr, pa.array(idx)), pa.float64()).to_numpy()
        epoch = np.datetime64("1904-01-01") if date1904 else np.datetime64("1899-12-30")
        seconds = np.round(days * 86400.0).astype(np.int64)
        good = (days >= 1) & (days < 2958466)  # 1900-01-01 … 9999-12-31
        stamps = epoch.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
        out[idx[good]] = stamps[good].astype("datetime64[ns]")
        bad[idx[~good]] = True
    return out, bad & ~ambiguous, ambiguous


def _weekday_agrees(parts: pa.Array, stamps: np.ndarray) -> np.ndarray:
    """False where the text names a weekday the date does not fall on ("2018-01-01 星期五":
    a Monday) — which of the two is wrong cannot be told, so the value is a bad date."""
    agree = np.ones(len(stamps), dtype=bool)
    for key in ("w1", "w2"):
        named = pc.struct_field(parts, key).to_pylist()
        if not any(named):
            continue
        days = pd.DatetimeIndex(stamps).day_of_week.to_numpy()
        want = np.array([_WEEKDAYS.get(w, -1) if w else -1 for w in named])
        agree &= (want < 0) | (want == days)
    return agree


def parse_int(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whole numbers (人数, 拜访数). Returns (int64 with 0 for nulls, valid, bad)."""
    has = present(arr)
    ok = pc.fill_null(pc.match_substring_regex(arr, r"^[+-]?\d{1,15}(\.0*)?$"), False).to_numpy(zero_copy_only=False)
    s = pc.replace_substring_regex(arr, r"\.0*$", "")
    s = pc.if_else(pa.array(ok), s, pa.scalar("0"))
    vals = pc.cast(s, pa.int64()).to_numpy()
    return np.where(ok, vals, 0), ok, has & ~ok


def parse_percent(arr: pa.Array) -> tuple[list, np.ndarray, np.ndarray]:
    """Percentages: `80%`, 0.8, or 80 (a bare number above 1 is percent points). Returns a list
    of Decimal fractions (None for nulls) — percent columns are small (staff, adjustments)."""
    from decimal import Decimal, InvalidOperation

    values = arr.to_pylist()
    out: list = []
    ok = np.zeros(len(values), dtype=bool)
    bad = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values):
        if v is None:
            out.append(None)
            continue
        text = v.replace(" ", "")
        try:
            if text.endswith("%") or text.endswith("％"):
                d = Decimal(text[:-1]) / 100
            else:
                d = Decimal(text)
                if d > 1:
                    d = d / 100
            if not d.is_finite() or d < 0:
                raise InvalidOperation
            out.append(d)
            ok[i] = True
        except (InvalidOperation, ValueError):
            out.append(None)
            bad[i] = True
    return out, ok, bad


def parse_bool(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """是/否 (also yes/no, y/n, true/false, 1/0, √/×). Returns (bool, valid, bad)."""
    low = pc.utf8_lower(arr)
    yes = pc.fill_null(pc.is_in(low, pa.array(["是", "yes", "y", "true", "1", "√", "新", "新开发"])), False)
    no = pc.fill_null(pc.is_in(low, pa.array(["否", "no", "n", "false", "0", "×", "x", "原有"])), False)
    yes = yes.to_numpy(zero_copy_only=False)
    no = no.to_numpy(zero_copy_only=False)
    has = present(arr)
    return yes, yes | no, has & ~(yes | no)
