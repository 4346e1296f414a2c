"""Writing many workbooks on both cores (SPEC §9): payslips are independent files."""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
from contextlib import contextmanager
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


@contextmanager
def in_background(fn: Callable, items: Sequence, *, min_parallel: int = 8):
    """Call fn(item) for every item in forked workers (they share the settlement without
    pickling it) while the body of the `with` runs in this process; wait for them at the end.
    Small batches, one core or no fork: the items are done in-process after the body."""
    global _JOB, _ITEMS
    n = workers()
    if len(items) < min_parallel or n < 2 or "fork" not in mp.get_all_start_methods():
        yield
        for item in items:
            fn(item)
        return
    _JOB, _ITEMS = fn, items
    # Move every existing object out of the collector's reach: otherwise each child's first
    # collection writes to the header of every object of the parent's heap and copies it.
    gc.freeze()
    try:
        ctx = mp.get_context("fork")
        with ctx.Pool(n) as pool:
            result = pool.map_async(_work, range(len(items)), chunksize=2)
            yield
            result.get()  # re-raises a worker's exception here
    finally:
        _JOB, _ITEMS = None, None
        gc.unfreeze()
