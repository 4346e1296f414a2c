"""Writing many workbooks on both cores (SPEC §9): payslips are independent files.

Workers are forked where the system can (they share the settlement without pickling it), else
spawned (Windows, issue 28.4; SETTLE_START_METHOD=spawn forces it): then the work is a
module-level function, the shared `state` is pickled once per worker and each item is small.
They never outlive the run (issue 14): each one asks the kernel to kill it when its parent dies
(Linux PR_SET_PDEATHSIG), or watches its parent from a thread elsewhere; it ignores the
terminal's Ctrl-C and hang-up (the parent decides and ends them), and its stderr goes nowhere,
so no worker traceback ever reaches the terminal — a worker's exception travels to the parent
and is raised there.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import pickle
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Callable, Sequence

PR_SET_PDEATHSIG = 1


def workers() -> int:
    """Both cores by default; SETTLE_WORKERS=1 writes in-process (for profiling)."""
    try:
        return max(1, int(os.environ["SETTLE_WORKERS"]))
    except (KeyError, ValueError):
        return max(1, min(2, os.cpu_count() or 1))


def can_fork() -> bool:
    """False on Windows (and wherever `fork` is missing): everything then runs in-process.
    Tests force this path on Linux by patching this function."""
    return "fork" in mp.get_all_start_methods()


def start_method() -> str | None:
    """How workers start: "fork" where the system has it, else "spawn"; SETTLE_START_METHOD
    (fork, spawn) forces one. None: no way to start a worker, everything runs in-process."""
    methods = mp.get_all_start_methods()
    forced = os.environ.get("SETTLE_START_METHOD", "")
    if forced:
        return forced if forced in methods else None
    if can_fork():
        return "fork"
    return "spawn" if "spawn" in methods else None


def die_with_parent(parent: int) -> None:
    """In a worker: end when `parent` ends, however it ends (kill -9 included)."""
    for sig in (signal.SIGINT, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, signal.SIG_IGN)  # Ctrl-C and a closed terminal reach the parent, who ends us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler: end quietly
    if not _parent_death_signal():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    if not os.environ.get("SETTLE_WORKER_STDERR"):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)


def _parent_death_signal() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int, interval: float = 0.5) -> None:
    """The portable fallback: a forked child is re-parented when its parent dies."""
    import time

    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)


class WorkerFailed(Exception):
    """A worker died without saying why (killed from outside)."""


_NO_STATE = object()


@contextmanager
def in_background(fn: Callable, items: Sequence, *, state=_NO_STATE, min_parallel: int = 8):
    """Call fn(item) — fn(state, item) when `state` is given — for every item in workers while the
    body of the `with` runs in this process; wait for them at the end and raise the first worker
    exception here. Small batches, one core or no way to start a worker: the items are done
    in-process after the body. However the body or the wait ends (an exception, a signal), the
    workers are ended before this returns. Under spawn, fn must be a module-level function and
    `state` picklable (closures work under fork only)."""
    n = workers()
    method = start_method()
    if len(items) < min_parallel or n < 2 or method is None:
        yield
        for item in items:
            _call(fn, state, item)
        return
    ctx = mp.get_context(method)
    next_item = ctx.Value("l", 0)
    errors = ctx.SimpleQueue()
    # Move every existing object out of the collector's reach: otherwise each child's first
    # collection writes to the header of every object of the parent's heap and copies it.
    gc.freeze()
    # The sentinel does not survive pickling (spawn): workers are told whether there is a state.
    has_state = state is not _NO_STATE
    procs = [ctx.Process(target=_serve, args=(fn, has_state, state if has_state else None, items, next_item, errors,
                                              os.getpid()), daemon=True)
             for _ in range(n)]
    try:
        for p in procs:
            p.start()
        yield
        for p in procs:
            p.join()
        if any(p.exitcode for p in procs):
            raise _worker_error(errors, procs)
    finally:
        _end(procs)
        errors.close()
        gc.unfreeze()


def _call(fn: Callable, state, item) -> None:
    if state is _NO_STATE:
        fn(item)
    else:
        fn(state, item)


def _serve(fn: Callable, has_state: bool, state, items: Sequence, next_item, errors, parent: int) -> None:
    state = state if has_state else _NO_STATE
    die_with_parent(parent)
    try:
        while True:
            with next_item.get_lock():
                i = next_item.value
                next_item.value = i + 1
            if i >= len(items):
                break
            _call(fn, state, items[i])
    except BaseException as exc:  # report to the parent, stop the other worker, never print
        with next_item.get_lock():
            next_item.value = len(items)
        errors.put(_portable(exc))
        os._exit(1)
    os._exit(0)


def _portable(exc: BaseException) -> bytes:
    """The exception as the parent can rebuild it: the first OSError in its chain (a writer's
    FileCreateError wraps the disk-full error), else the exception, else its text."""
    exc = next((e for e in _chain(exc) if isinstance(e, OSError)), exc)
    try:
        return pickle.dumps(exc)
    except Exception:  # noqa: BLE001 - unpicklable exception classes travel as text
        return pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))


def _chain(exc: BaseException, depth: int = 0):
    yield exc
    if depth > 8:
        return
    for inner in (*[a for a in getattr(exc, "args", ()) if isinstance(a, BaseException)],
                  exc.__cause__, exc.__context__):
        if isinstance(inner, BaseException):
            yield from _chain(inner, depth + 1)


def _worker_error(errors, procs) -> BaseException:
    if not errors.empty():
        try:
            return pickle.loads(errors.get())
        except Exception as exc:  # noqa: BLE001 - an unreadable report is still a failure
            return WorkerFailed(str(exc))
    codes = ", ".join(str(p.exitcode) for p in procs)
    return WorkerFailed(f"a worker ended with exit code {codes}")


def _end(procs) -> None:
    for p in procs:
        if p.pid is not None and p.exitcode is None:
            p.terminate()
    for p in procs:
        if p.pid is not None:
            p.join(timeout=5)
            if p.exitcode is None:
                p.kill()
                p.join()
