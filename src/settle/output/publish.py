"""Nothing is lost (SPEC §8): outputs are staged beside their target and moved into place only
when complete; a rerun keeps the previous outputs under history/<YYYYMMDD-HHMMSS>/; a closed
month is never overwritten; a per-month lock keeps two clerks apart."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import shutil
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

CLOSED_MARK = "closed.json"
HISTORY = "history"


class PublishError(Exception):
    """A target cannot be replaced (open in Excel, read-only): nothing was moved."""

    def __init__(self, code: str, path: Path, detail: str = ""):
        super().__init__(f"{code}: {path} {detail}")
        self.code = code
        self.path = path
        self.detail = detail


class LockHeld(Exception):
    def __init__(self, holder: dict):
        super().__init__(str(holder))
        self.holder = holder


def who() -> dict:
    try:
        user = getpass.getuser()
    except Exception:  # getuser raises when no user name can be found (containers, services)
        user = os.environ.get("USERNAME") or os.environ.get("USER") or "unknown"
    return {"user": user, "host": socket.gethostname(), "pid": os.getpid(),
            "since": dt.datetime.now().isoformat(timespec="seconds")}


@dataclass
class MonthLock:
    """An OS-level lock (released by the OS if the process dies, so a killed run leaves no stale
    lock in force) plus a small info file naming the holder."""

    root: Path
    month: str
    timeout: float = 0.0

    def __post_init__(self):
        self.path = self.root / f".settle-{self.month}.lock"
        self.info = self.root / f".settle-{self.month}.lock.json"
        self._lock = FileLock(str(self.path), timeout=self.timeout)

    def __enter__(self):
        try:
            self._lock.acquire()
        except Timeout:
            try:
                holder = json.loads(self.info.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                holder = {"user": "?", "host": "?", "since": "?"}
            raise LockHeld(holder) from None
        # Whatever the info file said before belonged to a run that is gone (stale): replace it.
        self.info.write_text(json.dumps(who(), ensure_ascii=False), encoding="utf-8")
        return self

    def __exit__(self, *exc):
        try:
            self.info.unlink()
        except OSError:
            pass
        # The lock file itself stays: deleting it after release would let a waiting run lock a
        # file that no longer exists while a third creates and locks a new one.
        self._lock.release()


def is_closed(target: Path) -> dict | None:
    mark = target / CLOSED_MARK
    if mark.exists():
        try:
            return json.loads(mark.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"closed": True}
    return None


def new_stage(out_root: Path, month: str) -> Path:
    out_root.mkdir(parents=True, exist_ok=True)
    stage = out_root / f".staging-{month}-{uuid.uuid4().hex[:8]}"
    stage.mkdir()
    return stage


def settled_folder(out_root: Path, month: str) -> Path:
    """Where MONTH's published outputs are, even if a publication was interrupted between its
    two renames (then the previous outputs are still whole in .previous-MONTH)."""
    target = out_root / month
    prev = out_root / f".previous-{month}"
    if not (target / "settlement.json").exists() and (prev / "settlement.json").exists():
        return prev
    return target


def recover(out_root: Path, month: str) -> None:
    """Finish or roll back a publication that was interrupted (see `publish`)."""
    target = out_root / month
    prev = out_root / f".previous-{month}"
    if prev.exists():
        if target.exists():
            _archive(prev, target)
        else:
            prev.rename(target)
    for stale in out_root.glob(f".staging-{month}-*"):
        shutil.rmtree(stale, ignore_errors=True)


def check_replaceable(target: Path) -> None:
    """Find a file that cannot be replaced before anything is moved."""
    if not target.exists():
        return
    for p in target.iterdir():
        if p.name == HISTORY:
            continue
        files = [p] if p.is_file() else [q for q in p.rglob("*") if q.is_file()]
        for f in files:
            if f.name.startswith("~$"):
                original = f.with_name(f.name[2:])
                raise PublishError("open_in_excel", original if original.exists() else f)
            try:
                with open(f, "r+b"):
                    pass
            except PermissionError:
                raise PublishError("locked", f) from None
            except OSError:
                continue


def publish(stage: Path, out_root: Path, month: str, stamp: str | None = None) -> Path | None:
    """Move a complete staged folder into place. The previous outputs (if any) end up under
    target/history/<stamp>/. Each step is a rename, so a kill at any point leaves either the old
    or the new outputs, and `recover` completes the step. Returns the history folder used."""
    target = out_root / month
    prev = out_root / f".previous-{month}"
    if not target.exists():
        stage.rename(target)
        return None
    check_replaceable(target)
    target.rename(prev)
    stage.rename(target)
    return _archive(prev, target, stamp)


def _archive(prev: Path, target: Path, stamp: str | None = None) -> Path:
    stamp = stamp or dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    history = target / HISTORY
    old_history = prev / HISTORY
    if old_history.exists() and not history.exists():
        old_history.rename(history)
    history.mkdir(exist_ok=True)
    dest = history / stamp
    n = 1
    while dest.exists():
        n += 1
        dest = history / f"{stamp}-{n}"
    if old_history.exists():  # both had history: merge the old entries in
        for entry in old_history.iterdir():
            if not (history / entry.name).exists():
                entry.rename(history / entry.name)
        shutil.rmtree(old_history, ignore_errors=True)
    prev.rename(dest)
    return dest
