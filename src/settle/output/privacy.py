"""Patient privacy and safe file names (SPEC §7, §8)."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

_BIDI_ZW = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_FORBIDDEN = re.compile(r'[/\\:*?"<>|]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def mask_name(name) -> str:
    """张三 → 张*, 王小明 → 王*明, 欧阳娜娜 → 欧**娜."""
    if not isinstance(name, str) or not name:
        return ""
    n = len(name)
    if n == 1:
        return "*"
    if n == 2:
        return name[0] + "*"
    return name[0] + "*" * (n - 2) + name[-1]


def mask_key(key) -> str:
    """患者标识: only the last 4 characters are shown."""
    if not isinstance(key, str) or not key:
        return ""
    return "****" + key[-4:] if len(key) > 4 else "****" + key[-1:]


def mask_names(s: pd.Series) -> pd.Series:
    values = s.astype(object).to_numpy()
    uniq, inv = np.unique(np.where(pd.isna(values), "", values).astype(str), return_inverse=True)
    masked = np.array([mask_name(u) for u in uniq], dtype=object)
    return pd.Series(masked[inv], index=s.index)


def safe_filename(staff_id: str, name: str, limit: int = 80) -> str:
    """`<工号>_<姓名>` safe on Windows and Linux: no separators, reserved names, control or bidi
    characters, trailing dots or spaces; NFC; bounded length. The 工号 keeps people apart."""
    def clean(text: str) -> str:
        text = unicodedata.normalize("NFC", str(text or ""))
        text = _BIDI_ZW.sub("", text)
        text = _CONTROL.sub("", text)
        text = _FORBIDDEN.sub("", text)
        return text.strip().strip(".").strip()

    sid = clean(staff_id) or "unknown"
    nm = clean(name)
    stem = f"{sid}_{nm}" if nm else sid
    stem = stem[:limit].rstrip(" .")
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    if stem in ("", ".", ".."):
        stem = "_"
    return stem


# Fields of machine-readable output (--json) that hold a patient's name or identifier, masked
# exactly as the workbooks mask them (SPEC §7, §8.1).
_NAME_FIELDS = ("patient_name", "患者姓名")
_KEY_FIELDS = ("patient_key", "患者标识", "身份证号", "手机号", "证件号")


def mask_violation_records(records: list[dict]) -> list[dict]:
    """Violation rows for --json: patient names and keys masked."""
    out = []
    for r in records:
        r = dict(r)
        for k in _NAME_FIELDS:
            if r.get(k):
                r[k] = mask_name(r[k])
        for k in _KEY_FIELDS:
            if r.get(k):
                r[k] = mask_key(str(r[k]))
        out.append(r)
    return out


def mask_problem_json(item: dict) -> dict:
    """A problem for --json: a bad value in a patient name or key column is masked, and so is
    the message that quotes it."""
    column = str(item.get("column") or "")
    value = item.get("value")
    if not value:
        return item
    if any(f in column for f in _KEY_FIELDS + ("patient_key",)):
        masked = mask_key(str(value))
    elif any(f in column for f in _NAME_FIELDS):
        masked = mask_name(str(value))
    else:
        return item
    item = dict(item, value=masked)
    if item.get("message"):
        item["message"] = str(item["message"]).replace(str(value), masked)
    return item
# --- JSON output (SPEC §8.1: --json masks patients as the workbooks do) ---------------------------

def _patient_field(header) -> str | None:
    """'patient_name' / 'patient_key' when a header text names a patient column, else None."""
    from settle.load.columns import BILLING, REGISTRATIONS, alias_index, header_key

    if not isinstance(header, str) or not header:
        return None
    key = header_key(header)
    for kind in (BILLING, REGISTRATIONS):
        name = alias_index(kind).get(key)
        if name in ("patient_name", "patient_key"):
            return name
    return None


def mask_problem(item: dict) -> dict:
    """A problem's JSON with its value masked when it is a patient's name or identifier."""
    field = _patient_field(item.get("column"))
    if field and item.get("value"):
        item = dict(item)
        masked = mask_name(item["value"]) if field == "patient_name" else mask_key(item["value"])
        item["message"] = str(item.get("message", "")).replace(item["value"], masked)
        item["value"] = masked
    return item


def mask_record(item: dict) -> dict:
    """A violation or line as JSON: patient names and 患者标识 masked as in the workbooks."""
    out = dict(item)
    for k, v in item.items():
        if not isinstance(v, str) or not v:
            continue
        if k in ("patient_key", "患者标识"):
            out[k] = mask_key(v)
        elif k in ("patient_name", "患者姓名"):
            out[k] = mask_name(v)
    for k in ("detail", "effect"):
        if isinstance(out.get(k), str):
            for raw, f in (("patient_key", mask_key), ("patient_name", mask_name)):
                if isinstance(item.get(raw), str) and len(item[raw]) > 1:
                    out[k] = out[k].replace(item[raw], f(item[raw]))
    return out
