"""Which rows a rule's `match:` selects (R8–R18): empty lists match anything."""

from __future__ import annotations

import numpy as np
import pandas as pd

from settle.rules import schema as P


def match_mask(frame: pd.DataFrame, m: P.Match, *, category="category", channel="reg_channel",
               card_type="reg_card_type", stream="stream") -> np.ndarray:
    mask = np.ones(len(frame), dtype=bool)
    if m.categories:
        mask &= frame[category].isin(m.categories).to_numpy(dtype=bool)
    if m.channels:
        mask &= frame[channel].isin(m.channels).to_numpy(dtype=bool)
    if m.card_types and card_type in frame:
        mask &= frame[card_type].isin(m.card_types).to_numpy(dtype=bool)
    if m.streams and stream in frame:
        mask &= frame[stream].isin(m.streams).to_numpy(dtype=bool)
    return mask
