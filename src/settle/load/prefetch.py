"""Reading a run's input files on two workers (SPEC §9), with no state outside the call: forked,
or spawned where there is no fork (issue 28.4: the task and `read_one` are module-level).

The workers hand their frames back through Arrow files in a temporary folder (in /dev/shm when
it has room): pickling a million strings through the pool's pipe costs more than a copy into
shared memory and back. The folder is named after the run's process id, is removed on every
exit path the run survives (an exception, Ctrl-C, SIGTERM), and a folder whose run is dead
(kill -9, power loss) is swept at the next start (issue 14). Workers die with the run
(`parallel.die_with_parent`).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow as pa

PARALLEL_BYTES = 8 * 1024 * 1024   # inputs of one kind larger than this are read on both cores
PREFIX = "settle-read-"
_OWNED = re.compile(rf"^{PREFIX}(\d+)-")


def lean_arrow_pool() -> None:
    """Arrow's buffers (every string column, pandas' string[pyarrow] included) from jemalloc,
    returning freed pages to the system at once: the default mimalloc keeps what a stage freed,
    so the peak was the sum of the stages' transients (issue 26.3: 644 → 546 MiB for a 200 000-line
    month). Where pyarrow is built without jemalloc (Windows), or ARROW_DEFAULT_MEMORY_POOL
    names a pool (a profiler's `system`), that pool stays."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    try:
        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:   # ArrowNotImplementedError included
        return
    pa.set_memory_pool(pool)


def give_back() -> None:
    """Collect garbage and hand the C heap's freed pages back to the system (glibc's
    malloc_trim; nothing elsewhere), so the writing stage does not start on top of what the
    computation freed (issue 26.3)."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def read_task(args):
    """In a worker: read one file with `read_one` and ship its frames through `ship_dir`."""
    ship_dir, read_one, *task = args
    frames, items, suppressed, digest = read_one(*task)
    shipped = []
    for i, frame in enumerate(frames):
        if ship_dir is None or any(frame[c].dtype == object for c in frame.columns):
            shipped.append(frame)  # small tables (roster, adjustments) with Decimal columns
            continue
        target = Path(ship_dir) / f"{os.getpid()}-{id(frame)}-{i}.arrow"
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            with pa.OSFile(str(target), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
        except OSError:  # a full /dev/shm (a container's 64 MB) or temp folder: through the pipe
            target.unlink(missing_ok=True)
            shipped.append(frame)
            continue
        shipped.append((str(target), dict(frame.attrs)))
    return shipped, items, suppressed, digest


def unship(result):
    """In the parent: the frames of one `read_task` result, read back from shared memory."""
    shipped, items, suppressed, digest = result
    frames = []
    for item in shipped:
        if isinstance(item, pd.DataFrame):
            frames.append(item)
            continue
        path, attrs = item
        with pa.OSFile(path, "rb") as source:
            table = pa.ipc.open_file(source).read_all()
        os.unlink(path)
        frame = table.to_pandas()
        frame.attrs.update(attrs)
        frames.append(frame)
    return frames, items, suppressed, digest


def read_parallel(tasks: list[tuple], read_one: Callable) -> list | None:
    """`read_one(*task)` for every task (in their order), computed on two forked workers that
    take the largest files first: the longest file starts at once, so the cores finish together.
    None when forking does not pay (one file, little data, one core, no fork)."""
    import multiprocessing as mp

    from settle.parallel import die_with_parent, start_method, workers

    sizes = [(t[0].stat().st_size if t[0].exists() else 0) for t in tasks]
    method = start_method()
    if len(tasks) < 2 or sum(sizes) < PARALLEL_BYTES or workers() < 2 or method is None:
        return None
    order = sorted(range(len(tasks)), key=lambda i: -sizes[i])
    results: list = [None] * len(tasks)
    with tempfile.TemporaryDirectory(prefix=f"{PREFIX}{os.getpid()}-", dir=ship_folder(sum(sizes))) as ship_dir:
        with mp.get_context(method).Pool(2, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            jobs = [(ship_dir, read_one, *tasks[i]) for i in order]
            for i, result in zip(order, pool.imap(read_task, jobs, chunksize=1)):
                results[i] = unship(result)
    return results


def ship_folder(input_bytes: int) -> str | None:
    """/dev/shm when it exists, is writable and has room for the parsed frames (text inflates
    several times); else None (the temp folder)."""
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    if shm and shutil.disk_usage(shm).free < 4 * input_bytes + (256 << 20):
        return None
    return shm


def sweep_dead_runs(folders: tuple[str | None, ...] = ("/dev/shm", None), *, older_than: float = 3600) -> list[Path]:
    """Remove the hand-over folders of runs that are gone: named after a process id that no
    longer exists, or (an older name without one) untouched for an hour. Returns what was removed."""
    removed = []
    for folder in folders:
        base = Path(folder or tempfile.gettempdir())
        try:
            candidates = list(base.glob(f"{PREFIX}*"))
        except OSError:
            continue
        for path in candidates:
            m = _OWNED.match(path.name)
            try:
                dead = (not _alive(int(m.group(1)))) if m else time.time() - path.stat().st_mtime > older_than
            except OSError:
                continue
            if dead and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    except OSError:
        return True
    return True
