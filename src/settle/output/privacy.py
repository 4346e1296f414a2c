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
