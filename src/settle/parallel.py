"""Writing many workbooks on both cores (SPEC §9): payslips are independent files."""

from __future__ import annotations

import multiprocessing as mp
import os
from typing import Callable, Sequence

_JOB: Callable | None = None
_ITEMS: Sequence | None = None


def _work(i: int) -> None:
    _JOB(_ITEMS[i])


def workers() -> int:
    """Both cores by default; SETTLE_WORKERS=1 writes in-process (for profiling)."""
    try:
        return max(1, int(os.environ["SETTLE_WORKERS"]))
    except (KeyError, ValueError):
        return max(1, min(2, os.cpu_count() or 1))


def map_payslips(fn: Callable, items: Sequence, *, min_parallel: int = 40) -> None:
    """Call fn(item) for every item; forked workers share the settlement without pickling it."""
    global _JOB, _ITEMS
    n = workers()
    if len(items) < min_parallel or n < 2 or "fork" not in mp.get_all_start_methods():
        for item in items:
            fn(item)
        return
    _JOB, _ITEMS = fn, items
    try:
        ctx = mp.get_context("fork")
        with ctx.Pool(n) as pool:
            # Interleave so both workers get a mix of large and small payslips.
            for _ in pool.imap_unordered(_work, range(len(items)), chunksize=4):
                pass
    finally:
        _JOB, _ITEMS = None, None
