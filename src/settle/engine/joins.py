"""Columnar joins on text keys, in Arrow's C++: the crediting's building blocks (SPEC §9).

A month may hold a million billing lines; each helper works on whole columns and never loops
over rows in Python.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def strings(values):
    """Text values as an Arrow large_string array without a detour through Python objects when
    they already are Arrow strings (pandas' string[pyarrow])."""
    import pyarrow as pa

    if isinstance(values, (pd.Series, pd.Index)) and isinstance(values.dtype, pd.StringDtype) \
            and values.dtype.storage == "pyarrow":
        arr = pa.array(values.array)
    else:
        obj = np.asarray(values, dtype=object)
        arr = pa.array(np.where(pd.isna(obj), None, obj) if len(obj) else obj, type=pa.large_string(), from_pandas=True)
    return arr if arr.type == pa.large_string() else arr.cast(pa.large_string())


def positions(keys, index) -> np.ndarray:
    """Position of each key in `index` (its first occurrence), -1 where absent: a hash join in
    Arrow's C++ over the keys' own Arrow strings."""
    import pyarrow.compute as pc

    if not len(index) or not len(keys):
        return np.full(len(keys), -1, dtype=np.int64)
    pos = pc.index_in(strings(keys), value_set=strings(pd.Index(index).astype(str) if not isinstance(index, pd.Series)
                                                         else index))
    return pc.fill_null(pos, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def lookup(keys: pd.Series, index, values) -> np.ndarray:
    """values[position of each key in index] (object array, None where absent)."""
    pos = positions(keys, index)
    out = np.full(len(keys), None, dtype=object)
    hit = pos >= 0
    if hit.any():
        out[hit] = np.asarray(values, dtype=object)[pos[hit]]
    return out


def found(keys: pd.Series, index) -> np.ndarray:
    """keys.isin(index) through Arrow."""
    import pyarrow.compute as pc

    if not len(index) or not len(keys):
        return np.zeros(len(keys), dtype=bool)
    return pc.fill_null(pc.is_in(strings(keys), value_set=strings(pd.Index(index).astype(str))),
                        False).to_numpy(zero_copy_only=False)


def take_text(values: pd.Series, pos: np.ndarray) -> pd.Series:
    """values[pos] as string[pyarrow] (null where pos < 0), staying in Arrow."""
    import pyarrow as pa

    src = strings(values)
    if not len(src):
        return pd.Series(pd.array([None] * len(pos), dtype="string[pyarrow]"))
    idx = pa.array(np.maximum(pos, 0), mask=pos < 0, type=pa.int64())
    return pd.Series(pd.arrays.ArrowStringArray(src.take(idx)))
