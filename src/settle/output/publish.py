"""Nothing is lost (SPEC §8): outputs are staged beside their target and moved into place only
when complete; a rerun keeps the previous outputs under history/<YYYYMMDD-HHMMSS>/; a closed
month is never overwritten; a per-month lock keeps two clerks apart."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

from settle.faults import Fault, disk_full, from_os_error, human, tree_size

CLOSED_MARK = "closed.json"
HISTORY = "history"
CLOSE_LOG = "close-log.jsonl"
WINDOWS_MAX_PATH = 259  # characters of a full path Windows Explorer and Excel can open
HISTORY_RUNS_NOTE = 20
HISTORY_BYTES_NOTE = 500 << 20


class PublishError(Exception):
    """A target cannot be replaced (open in Excel, read-only): nothing was moved."""

    def __init__(self, code: str, path: Path, detail: str = ""):
        super().__init__(f"{code}: {path} {detail}")
        self.code = code
        self.path = path
        self.detail = detail


def is_closed(target: Path) -> dict | None:
    mark = target / CLOSED_MARK
    if mark.exists():
        try:
            return json.loads(mark.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"closed": True}
    return None


@contextmanager
def staged(out_root: Path, month: str):
    """A staging folder for MONTH's outputs, removed on every failure (an exception, Ctrl-C,
    SIGTERM). A full disk becomes "磁盘空间不足：<output folder>" with the free space and, for a
    rerun, the size of the outputs it replaces as the space needed (issue 14)."""
    stage = new_stage(out_root, month)
    try:
        yield stage
    except BaseException as exc:
        shutil.rmtree(stage, ignore_errors=True)
        fault = from_os_error(exc, out_root) if isinstance(exc, Exception) else None
        if fault is not None and fault.code == "disk_full":
            previous = out_root / month
            needed = tree_size(previous) - tree_size(previous / HISTORY) if previous.is_dir() else None
            raise disk_full(out_root, needed) from None
        raise


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


def check_writable(stage: Path, out_root: Path, month: str, lock_root: Path | None = None,
                   *, windows: bool | None = None) -> None:
    """Before the first rename (issue 14): every folder the publication touches — output/,
    output/MONTH, its history/ and the lock's folder — is a folder and takes a new file, and
    (on Windows) no published path is longer than Windows can open. Raises a Fault naming the
    path; nothing has been moved."""
    target = out_root / month
    for folder in (out_root, target, target / HISTORY, lock_root):
        if folder is None or not os.path.lexists(folder):
            continue
        if not folder.is_dir():
            raise Fault("not_a_folder", path=str(folder))
        _probe(folder)
    if windows if windows is not None else on_windows():
        check_path_lengths(stage, target)


def on_windows() -> bool:
    """Whether Windows' path limit applies (a test forces it)."""
    return os.name == "nt"


HISTORY_STAMP = "20240601-093000-99"  # the longest name a history/ folder gets (`_archive`)


def check_path_lengths(stage: Path, target: Path) -> None:
    """Windows (and Excel) open no path longer than 259 characters, on a drive letter or a UNC
    share alike (issue 28.5 e). The deepest path a publication writes is under history/:
    target/history/<stamp>/工资条/<longest name>, for the previous outputs now and for these at
    the next rerun; the longest is checked before anything moves."""
    base = target.absolute()
    relative = [f.relative_to(stage) for f in stage.rglob("*")]
    if target.is_dir():
        relative += [f.relative_to(target) for f in target.rglob("*") if f.relative_to(target).parts[0] != HISTORY]
    for rel in sorted(relative, key=lambda r: len(str(r)), reverse=True)[:1]:
        for full in (base / HISTORY / HISTORY_STAMP / rel, base / rel):
            if len(str(full)) > WINDOWS_MAX_PATH:
                raise Fault("windows_path_too_long", path=str(full), length=len(str(full)))


def _probe(folder: Path) -> None:
    probe = folder / f".settle-probe-{uuid.uuid4().hex[:8]}"
    try:
        probe.open("x").close()
        probe.unlink()
    except OSError as exc:  # name the folder, not the probe
        named = OSError(exc.errno, exc.strerror, str(folder))
        raise (from_os_error(named, folder) or Fault("permission_denied", path=str(folder))) from None


def publish(stage: Path, out_root: Path, month: str, stamp: str | None = None, *,
            lock_root: Path | None = None) -> Path | None:
    """Move a complete staged folder into place. The previous outputs (if any) end up under
    target/history/<stamp>/. Everything is checked first (`check_writable`,
    `check_replaceable`); each step is a rename, a failure in the middle restores the previous
    outputs at once, and a kill at any point leaves either the old or the new outputs, which
    `recover` completes at the next start. Returns the history folder used."""
    target = out_root / month
    prev = out_root / f".previous-{month}"
    check_writable(stage, out_root, month, lock_root)
    if not target.exists():
        _rename(stage, target)
        return None
    check_replaceable(target)
    _rename(target, prev)
    try:
        _rename(stage, target)
    except BaseException:
        _rename(prev, target)
        raise
    try:
        return _archive(prev, target, stamp)
    except BaseException:
        _roll_back(prev, target, stage)
        raise


def _rename(src: Path, dst: Path) -> None:
    """A rename whose failure is a clear message: on Windows a file held open in Excel makes
    the folder's rename fail with a sharing violation (winerror 32); settle.replace retries it
    briefly and names the file held open, not the folder."""
    from settle.replace import HeldOpen, attempts
    try:
        for attempt in attempts(src, dst):
            with attempt:
                src.rename(dst)
    except HeldOpen as held:
        raise PublishError("locked", held.path) from None


def _roll_back(prev: Path, target: Path, stage: Path) -> None:
    """Undo a publication whose archiving failed: the new outputs back to the stage, the old
    ones (with the history they brought) back in place. Whatever cannot be undone now is left
    as `recover` finishes it (prev beside target)."""
    try:
        moved = target / HISTORY
        if moved.exists() and not (prev / HISTORY).exists():
            if any(moved.iterdir()):
                moved.rename(prev / HISTORY)
            else:
                moved.rmdir()
        target.rename(stage)
        prev.rename(target)
    except OSError:
        pass


def history_runs(target: Path) -> list[Path]:
    """The earlier runs kept under target/history/, oldest first."""
    history = target / HISTORY
    if not history.is_dir():
        return []

    def order(p: Path):  # 20240601-093000, then 20240601-093000-2 …
        parts = p.name.split("-") + ["", ""]
        return parts[0], parts[1], int(parts[2]) if parts[2].isdigit() else 1
    return sorted((p for p in history.iterdir() if p.is_dir()), key=order)


def tend_history(target: Path, keep: int | None, closed: bool = False) -> list:
    """history/ does not grow unseen (issue 14, SPEC §8): nothing is pruned by default; with
    settle.yaml `history_keep: N` an open month keeps its last N earlier runs, the older ones
    removed oldest first and named; a closed month's history is never pruned. Past 20 runs or
    500 MB the run says how many runs and how much space history/ holds. Returns the notes."""
    from settle.problems import problem

    notes = []
    runs = history_runs(target)
    if keep is not None and not closed and len(runs) > keep:
        removed = runs[:len(runs) - keep]
        for p in removed:
            shutil.rmtree(p, ignore_errors=True)
        notes.append(problem("history_pruned", keep=keep, removed="、".join(p.name for p in removed)))
        runs = runs[len(removed):]
    size = tree_size(target / HISTORY) if runs else 0
    if len(runs) > HISTORY_RUNS_NOTE or size > HISTORY_BYTES_NOTE:
        notes.append(problem("history_size", folder=str(target / HISTORY), runs=len(runs), size=human(size)))
    return notes


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
