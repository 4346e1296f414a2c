"""One way to move an output into place (SPEC §8 "Nothing is lost", §13; issue 28.5 c).

Every output written beside its target and then renamed over it — the month's folder by
publish, 卡片检查.xlsx, simulate's 对比 workbook — goes through `replace`:
- a sharing violation (Windows: winerror 32/33, or 5 on a file held open) is retried briefly,
  since an antivirus scan or the search indexer holds a new file for a moment;
- when it persists, `HeldOpen` names the real file held open — the target workbook, the file a
  folder holds (Excel's ~$ owner file beside it tells which), never a temp file or a folder
  when a file can be named — and says to close it in Excel;
- a temp file (`temp=True`) is removed on every failure.
Elsewhere (Linux, macOS) a PermissionError is what it says and is not retried.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from settle.faults import Fault

SHARING = (32, 33, 5)     # ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION, ERROR_ACCESS_DENIED
ATTEMPTS = 6
DELAY = 0.1               # seconds, growing: 0.1 + 0.2 + … + 0.5 = 1.5 s in all


class HeldOpen(Fault):
    """The replace failed because another program holds `path` open."""

    def __init__(self, path: Path):
        super().__init__("file_in_use", path=str(path))
        self.path = Path(path)


def sharing_violation(exc: BaseException) -> bool:
    return isinstance(exc, PermissionError) and getattr(exc, "winerror", None) in SHARING


def replace(src: Path, dst: Path, *, temp: bool = False) -> None:
    """os.replace(src, dst), retried on a sharing violation; HeldOpen when it persists. With
    `temp`, src is removed whenever the replace fails."""
    try:
        for attempt in attempts(src, dst):
            with attempt:
                os.replace(src, dst)
    except BaseException:
        if temp:
            _remove(Path(src))
        raise


def attempts(src: Path, dst: Path):
    """The tries of one move of src to dst, for a caller that moves by itself (publish renames
    folders with Path.rename):

        for attempt in attempts(src, dst):
            with attempt:
                src.rename(dst)

    A sharing violation ends a try quietly and the next one starts after a pause; after the
    last, HeldOpen names the file held open. Anything else is raised at once."""
    for n in range(ATTEMPTS):
        attempt = _Attempt(Path(src), Path(dst), last=n + 1 == ATTEMPTS)
        yield attempt
        if attempt.done:
            return
        time.sleep(DELAY * (n + 1))


class _Attempt:
    def __init__(self, src: Path, dst: Path, last: bool):
        self.src, self.dst, self.last, self.done = src, dst, last, False

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None:
            self.done = True
            return False
        if not sharing_violation(exc) or (exc.winerror == 5 and not _in_use_shape(self.src, self.dst)):
            return False
        if self.last:
            raise HeldOpen(held_file(self.src, self.dst, exc)) from None
        return True


def _in_use_shape(src: Path, dst: Path) -> bool:
    """Access denied (winerror 5) means "held open" only for what can be held: a file replaced
    over an existing one, or a folder moved; a new file in a folder without rights is a
    permission problem."""
    return dst.is_file() or src.is_dir()


def held_file(src: Path, dst: Path, exc: OSError | None = None) -> Path:
    """The file another program holds open, for a failed replace of src over dst: dst when it is
    a file; else the file the error names; else, in the folders moved, the file an Excel owner
    file (~$name) belongs to, or one that cannot be opened for writing; else the folder."""
    if dst.is_file():
        return dst
    named = [Path(p) for p in (getattr(exc, "filename", None), getattr(exc, "filename2", None)) if p]
    for p in named:
        if p.is_file() and p != src:
            return p
    folders = [f for f in (src, dst) if f.is_dir()]
    files = [q for f in folders for q in sorted(f.rglob("*")) if q.is_file()]
    for q in files:
        if q.name.startswith("~$") and q.with_name(q.name[2:]).is_file():
            return q.with_name(q.name[2:])
    for q in files:
        try:
            with open(q, "r+b"):
                pass
        except PermissionError:
            return q
        except OSError:
            continue
    return folders[0] if folders else dst


def _remove(path: Path) -> None:
    try:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass
