"""The per-month lock that keeps two clerks apart (SPEC §8), on a local disk and on a share.

Where the file system has OS locks (flock on Linux/macOS, msvcrt.locking on Windows) the lock
is one: the OS releases it when the process dies, so a killed run never blocks the next, and
`.settle-MONTH.lock.json` beside it names the holder. Where it has none (a share answering
flock with EOPNOTSUPP or ENOSYS — issue 14 — or msvcrt.locking with EINVAL on Windows), the lock is `.settle-MONTH.lock.held`, created
exclusively (O_EXCL, atomic on SMB and NFSv3+) and holding user, host, pid and start time:
a holder on this host whose process is gone is taken over; one from another host older than
`lock_stale_after` (settle.yaml, default 2 h) is reported with its holder, its age and the
command that clears it, `settle unlock MONTH`. No third-party lock library is used, so no
Python warning is ever printed.
"""

from __future__ import annotations

import datetime as dt
import errno
import getpass
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
try:
    import msvcrt
except ImportError:  # everywhere but Windows
    msvcrt = None

STALE_AFTER = 2 * 3600.0  # seconds; settle.yaml lock_stale_after
_BUSY = {errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, getattr(errno, "EDEADLK", errno.EAGAIN)}
# A share without OS locks: EOPNOTSUPP/ENOSYS/ENOLCK from flock; EINVAL from Windows' C runtime
# (msvcrt.locking on a share that has none, issue 28.5).
_NO_OS_LOCK = {errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP), errno.ENOSYS, errno.ENOLCK,
               errno.EINVAL}


def who() -> dict:
    try:
        user = getpass.getuser()
    except Exception:  # getuser raises when no user name can be found (containers, services)
        user = os.environ.get("USERNAME") or os.environ.get("USER") or "unknown"
    return {"user": user, "host": socket.gethostname(), "pid": os.getpid(),
            "since": dt.datetime.now().isoformat(timespec="seconds")}


class LockHeld(Exception):
    """Another run holds the month. `stale` when its holder is on another host and its lock is
    older than the limit: then `settle unlock MONTH` is the way out."""

    def __init__(self, holder: dict, stale: bool = False, age: float | None = None):
        super().__init__(str(holder))
        self.holder = holder
        self.stale = stale
        self.age = age

    def params(self, month: str) -> dict:
        h = self.holder
        return {"month": month, "holder": f"{h.get('user', '?')}@{h.get('host', '?')}",
                "since": h.get("since", "?"), "age": age_text(self.age), "pid": h.get("pid", "?")}


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def _os_lock(fd: int) -> None:
    """Lock `fd` without waiting; OSError(ENOSYS) when this platform has no OS lock at all."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    elif msvcrt is not None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        raise OSError(errno.ENOSYS, "no OS file lock on this platform")


def _os_unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    elif msvcrt is not None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


class _Busy(Exception):
    def __init__(self, held: LockHeld):
        self.held = held


@dataclass
class MonthLock:
    root: Path
    month: str
    timeout: float = 0.0
    stale_after: float = STALE_AFTER
    mode: str | None = field(default=None, init=False)  # "os" or "file" once held

    def __post_init__(self):
        self.root = Path(self.root)
        self.path = self.root / f".settle-{self.month}.lock"
        self.info = self.root / f".settle-{self.month}.lock.json"
        self.held = self.root / f".settle-{self.month}.lock.held"
        self._fd: int | None = None

    def __enter__(self):
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                self._acquire()
                return self
            except _Busy as busy:
                if time.monotonic() >= deadline or busy.held.stale:
                    raise busy.held from None
            time.sleep(0.1)

    def _acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            _os_lock(fd)
        except OSError as exc:
            os.close(fd)
            if exc.errno in _NO_OS_LOCK:
                self._acquire_file()
                return
            if exc.errno in _BUSY:
                raise _Busy(LockHeld(_read(self.info))) from None
            raise OSError(exc.errno, exc.strerror, str(self.path)) from None   # the message names the lock file
        self._fd, self.mode = fd, "os"
        # Whatever the info file said before belonged to a run that is gone (stale): replace it.
        try:
            self.info.write_text(json.dumps(who(), ensure_ascii=False), encoding="utf-8")
        except BaseException:
            self._release_os()
            raise

    def _acquire_file(self, retry: bool = True) -> None:
        try:
            fd = os.open(self.held, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            held = inspect_held(self.held, self.stale_after)
            if held is None and retry:  # its holder is gone: take it over, once
                _take_away(self.held)
                return self._acquire_file(retry=False)
            raise _Busy(held or LockHeld(_read(self.held))) from None
        try:
            os.write(fd, json.dumps(who(), ensure_ascii=False).encode("utf-8"))
        except BaseException:
            os.close(fd)
            self.held.unlink(missing_ok=True)
            raise
        os.close(fd)
        self.mode = "file"

    def __exit__(self, *exc):
        if self.mode == "file":
            self.held.unlink(missing_ok=True)
        elif self.mode == "os":
            self._release_os()
        self.mode = None

    def _release_os(self) -> None:
        try:
            self.info.unlink()
        except OSError:
            pass
        # The lock file itself stays: deleting it after release would let a waiting run lock a
        # file that no longer exists while a third creates and locks a new one.
        try:
            _os_unlock(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None


def inspect_held(path: Path, stale_after: float = STALE_AFTER) -> LockHeld | None:
    """What an exclusive lock file says: None when its holder is on this host and dead (or the
    file vanished); a LockHeld, `stale` when its holder is elsewhere and older than the limit."""
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(holder, dict):
            raise ValueError
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        holder = {}
    age = _age(path, holder)
    if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int):
        return None if not _alive(holder["pid"]) else LockHeld(holder, False, age)
    if not holder:  # created but never written: a run that died at once, or a foreign tool
        return LockHeld(holder, age is not None and age > 10, age)
    return LockHeld(holder, age is not None and age > stale_after, age)


def _age(path: Path, holder: dict) -> float | None:
    try:
        since = dt.datetime.fromisoformat(holder["since"]).timestamp()
    except (KeyError, TypeError, ValueError):
        try:
            since = path.stat().st_mtime
        except OSError:
            return None
    return max(0.0, time.time() - since)


def _alive(pid: int) -> bool:
    from settle.processes import alive   # OpenProcess on Windows, signal 0 elsewhere
    return alive(pid)


def _take_away(path: Path) -> None:
    """Move a dead holder's file aside atomically, so two runs taking over cannot both win."""
    aside = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.stale")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return
    aside.unlink(missing_ok=True)


def _read(path: Path) -> dict:
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
        return holder if isinstance(holder, dict) else {}
    except (OSError, ValueError):
        return {}


def current_holder(root: Path, month: str, stale_after: float = STALE_AFTER) -> LockHeld | None:
    """Who holds MONTH now, without taking it; None when nobody does."""
    lock = MonthLock(root, month, stale_after=stale_after)
    if lock.held.exists():
        return inspect_held(lock.held, stale_after)
    try:
        with lock:
            return None
    except LockHeld as held:
        return held


def clear_lock(root: Path, month: str, log: Path, stale_after: float = STALE_AFTER) -> LockHeld | None:
    """`settle unlock MONTH`: remove MONTH's exclusive lock file and log who cleared whose lock.
    Refuses (raises LockHeld, not stale) when the holder is a live process on this host or
    holds an OS lock. Returns the cleared holder, or None when there was no lock."""
    lock = MonthLock(root, month, stale_after=stale_after)
    if not lock.held.exists():
        held = current_holder(root, month, stale_after)
        if held is not None:
            raise held
        return None
    holder = _read(lock.held)
    if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int) \
            and _alive(holder["pid"]):
        raise LockHeld(holder, False, _age(lock.held, holder))
    _take_away(lock.held)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"action": "unlock", "month": month, "holder": holder, **who()},
                            ensure_ascii=False) + "\n")
    return LockHeld(holder, True, _age(lock.held, holder))


def month_log(out_root: Path, root: Path, month: str) -> Path:
    """The month's log (close, reopen, unlock): history/close-log.jsonl of its outputs, or,
    before its first settlement, a log beside the lock."""
    target = Path(out_root) / month
    return target / "history" / "close-log.jsonl" if target.is_dir() else Path(root) / f".settle-{month}.lock.log"


def unlock_month(workspace: Path, month_text: str, out: Path | None, lang: str, yes: bool,
                 confirm, say) -> int:
    """`settle unlock MONTH` (issue 14): show the holder, ask (unless `yes`), clear, log.
    Exit 0 cleared or not locked, 2 bad month, 3 a live run holds it or the clerk said no."""
    from settle.faults import Fault
    from settle.load.workspace import Month, Workspace
    from settle.problems import Problems, problem

    try:
        month = str(Month.parse(month_text))
    except ValueError:
        raise Fault("bad_month", value=month_text) from None
    ws = Workspace.open(Path(workspace), Problems(), out)
    stale_after = ws.config.lock_stale_after
    held = current_holder(ws.root, month, stale_after)
    if held is None and not MonthLock(ws.root, month).held.exists():
        say(problem("lock_none", month=month).text(lang))
        return 0
    if held is not None and not held.stale and not MonthLock(ws.root, month).held.exists():
        say(f"[red]{problem('lock_busy', **held.params(month)).text(lang)}[/red]")
        return 3
    params = (held or LockHeld(_read(MonthLock(ws.root, month).held))).params(month)
    if not yes and not confirm(problem("lock_confirm", **params).text(lang), default=False):
        return 3
    log = month_log(ws.out_root, ws.root, month)
    try:
        cleared = clear_lock(ws.root, month, log, stale_after)
    except LockHeld as live:
        say(f"[red]{problem('lock_live', **live.params(month)).text(lang)}[/red]")
        return 3
    if cleared is not None:
        say(problem("lock_cleared", **{**cleared.params(month), "log": str(log)}).text(lang))
    return 0
