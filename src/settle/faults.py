"""Faults of the machine, the disk or the share, each a plain catalogue message (issue 14).

A full disk, a read-only share, a path that is a file where a folder is expected, a denied
permission, a path too long for Windows: each becomes a `Fault` naming the path and saying what
to do, exit 2 — "内部错误" stays reserved for bugs. SIGINT, SIGTERM and SIGHUP become an
`Interrupted` exception in the main thread, so every `finally` and `except BaseException` on
the way out runs (staging removed, workers ended, lock released); the command then says
"已中断" and exits 130 (SIGINT) or 143 (SIGTERM, SIGHUP) — SPEC §10.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
from pathlib import Path

from settle.problems import problem

EXIT_BAD_INPUT = 2
EXIT_SIGINT = 130
EXIT_SIGTERM = 143

DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_CODES = {
    errno.EROFS: "read_only",
    errno.EACCES: "permission_denied",
    errno.EPERM: "permission_denied",
    errno.ENOTDIR: "not_a_folder",
    errno.ENAMETOOLONG: "path_too_long",
    errno.EBUSY: "file_in_use",
}
_WINERRORS = {32: "file_in_use", 33: "file_in_use", 206: "path_too_long", 5: "permission_denied"}


class Fault(Exception):
    """A catalogued fault; `text(lang)` is what the clerk reads."""

    def __init__(self, code: str, exit_code: int = EXIT_BAD_INPUT, clause: tuple[str, dict] | None = None,
                 **params):
        super().__init__(f"{code}: {params}")
        self.code = code
        self.exit_code = exit_code
        self.params = params
        self.clause = clause  # an optional catalogued clause rendered into {need}

    def text(self, lang: str = "zh") -> str:
        params = dict(self.params)
        if self.code == "disk_full":
            params["need"] = problem(self.clause[0], **self.clause[1]).text(lang) if self.clause else ""
        return problem(self.code, **params).text(lang)


class Interrupted(BaseException):
    """SIGTERM or SIGHUP arrived (SIGINT stays KeyboardInterrupt); like KeyboardInterrupt it
    is not an Exception, so nothing catches it on the way out by mistake."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def interrupt_exit_code(exc: BaseException) -> int | None:
    """130 for Ctrl-C, 143 for SIGTERM/SIGHUP, None for anything else."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_SIGINT
    if isinstance(exc, Interrupted):
        return EXIT_SIGTERM
    return None


def _raise_interrupted(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one clean-up, not one per repeated signal
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    raise Interrupted(signum)


def install_signal_handlers():
    """SIGTERM and SIGHUP raise `Interrupted`, SIGINT raises KeyboardInterrupt, in the main
    thread; elsewhere (a thread, an embedding program) nothing is changed. Returns a function
    that puts the previous handlers back."""
    sigs = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    try:
        previous = {s: signal.getsignal(s) for s in sigs}
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for s in sigs[1:]:
            signal.signal(s, _raise_interrupted)
    except ValueError:  # not the main thread
        return lambda: None

    def restore() -> None:
        for s, handler in previous.items():
            try:
                signal.signal(s, handler if handler is not None else signal.SIG_DFL)
            except (ValueError, TypeError):
                pass
    return restore


def from_os_error(exc: BaseException, folder: Path | None = None, needed: int | None = None) -> Fault | None:
    """The catalogued fault for an OSError anywhere in `exc`'s chain (a writer's FileCreateError
    wraps one), or None when it is not one the clerk can act on."""
    err = _os_error(exc)
    if err is None:
        return None
    path = err.filename or folder or ""
    if err.errno in DISK_FULL:
        return disk_full(Path(folder or _existing_parent(path) or "."), needed)
    code = _WINERRORS.get(getattr(err, "winerror", None) or 0) or _CODES.get(err.errno or 0)
    if code is None and isinstance(err, FileExistsError) and Path(path).is_file():
        code = "not_a_folder"  # mkdir over a file
    if code == "permission_denied" and _read_only(path):
        code = "read_only"
    if code is None:
        if isinstance(err, (FileNotFoundError, IsADirectoryError)):
            return None
        return Fault("io_error", path=path, detail=err.strerror or str(err))
    return Fault(code, path=path)


def disk_full(folder: Path, needed: int | None = None) -> Fault:
    """"磁盘空间不足：<folder>", with the free space and the space needed when known."""
    free = _free(folder)
    if free is not None and needed:
        clause = ("disk_need", {"free": human(free), "needed": human(needed)})
    elif free is not None:
        clause = ("disk_free", {"free": human(free)})
    else:
        clause = None
    return Fault("disk_full", folder=str(folder), clause=clause)


def _os_error(exc: BaseException, depth: int = 0) -> OSError | None:
    if isinstance(exc, OSError) and exc.errno is not None:
        return exc
    if depth > 8:
        return None
    for inner in (*[a for a in getattr(exc, "args", ()) if isinstance(a, BaseException)],
                  exc.__cause__, exc.__context__):
        if isinstance(inner, BaseException):
            found = _os_error(inner, depth + 1)
            if found is not None:
                return found
    return None


def _existing_parent(path) -> Path | None:
    if not path:
        return None
    p = Path(path)
    for candidate in (p, *p.parents):
        try:
            if candidate.is_dir():
                return candidate
        except OSError:
            continue
    return None


def _read_only(path) -> bool:
    folder = _existing_parent(path)
    if folder is None:
        return False
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def _free(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(_existing_parent(folder) or folder).free
    except OSError:
        return None


def human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def tree_size(folder: Path) -> int:
    total = 0
    for p in Path(folder).rglob("*"):
        try:
            if p.is_file():
                total += p.stat().st_size
        except OSError:
            continue
    return total
