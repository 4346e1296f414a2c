"""Faults on a clerk's PC and a shared drive (issue 14, SPEC §8 "Nothing is lost", §10 exit codes):
each one a plain catalogue message, nothing half-published, nothing left behind.

Faults are injected by errno (monkeypatched renames, writes, fcntl.flock) or are real where that
is cheap: /dev/full for a full disk, killed subprocesses for workers that must die with the run.
The Windows-only code paths (no fork, msvcrt locks, a file Excel holds open, reserved names,
long paths) are forced here on Linux. tools/faults.py runs the real ones as root.
"""

from __future__ import annotations

import datetime as dt
import errno
import gc
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from builders import Workspace, bill, person, reg
from conftest import invoke


def ask(*args: str, input: str):
    from typer.testing import CliRunner

    from settle.cli import app
    return CliRunner().invoke(app, list(args), input=input)

MONTH = "2024-05"
SRC = str(Path(__file__).resolve().parent.parent / "src")


def build_month(ws: Workspace, people: int = 2) -> Workspace:
    """王芳 earns 1 000 in May (119.00: base 75 + assessment 14 + 3 % commission 30); the others nothing."""
    ws.staff([person("S001", "王芳")] + [person(f"S{i:03d}", f"员工{i}") for i in range(2, people + 1)])
    ws.month(MONTH, regs=[reg(dt.datetime(2024, 5, 2, 9), "王芳", "P1")],
             billing=[bill(dt.datetime(2024, 5, 5, 10), 1000, "P1", record="0000101")])
    return ws


def run(root: Path, *extra: str):
    return invoke("run", MONTH, "--workspace", str(root), *extra)


def out_dir(root: Path) -> Path:
    return root / "output" / MONTH


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(root: Path) -> list[str]:
    out = root / "output"
    return sorted(p.name for p in out.iterdir() if p.name.startswith((".staging-", ".previous-"))) if out.is_dir() else []


def flat(text: str) -> str:
    return "".join(text.splitlines())


def assert_plain(output: str) -> None:
    """A catalogue message: never a traceback, never 'internal error', never a Python warning."""
    for bad in ("Traceback", "内部错误", "Exception ignored", "Warning", "warnings.warn"):
        assert bad not in output, output


@pytest.fixture
def settled(ws) -> Workspace:
    build_month(ws)
    assert run(ws.root).exit_code == 0
    return ws


# --- 1. disk full / quota ------------------------------------------------------------------------

@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_disk_while_writing_is_a_plain_message_and_keeps_the_earlier_outputs(settled, monkeypatch, code):
    import settle.output.render as render
    before = snapshot(out_dir(settled.root))
    real = render.write_payslip

    def full(path, *args, **kw):
        real(path, *args, **kw)
        raise OSError(code, os.strerror(code), str(path))
    monkeypatch.setattr(render, "write_payslip", full)
    r = run(settled.root)
    assert r.exit_code == 2, r.output
    assert "磁盘空间不足" in r.output and str(settled.root / "output") in flat(r.output)
    assert "约需" in r.output                    # a rerun: the outputs it replaces are the space needed
    assert_plain(r.output)
    assert snapshot(out_dir(settled.root)) == before
    assert leftovers(settled.root) == []


def test_a_full_disk_in_a_forked_worker_reaches_the_parent_as_disk_full(monkeypatch):
    from settle.parallel import in_background
    monkeypatch.setenv("SETTLE_WORKERS", "2")

    def job(i):
        if i == 5:
            raise OSError(errno.ENOSPC, "No space left on device", f"/x/{i}")
    with pytest.raises(OSError) as info:
        with in_background(job, list(range(10))):
            pass
    assert info.value.errno == errno.ENOSPC


@pytest.mark.parametrize("fast", [False, True])
def test_the_workbook_writers_fail_cleanly_on_a_real_full_device(capfd, fast):
    """/dev/full answers every write with ENOSPC: one OSError, and nothing printed later by a
    ZipFile or Workbook closed by the garbage collector (or by the Rust writer's drop)."""
    import pandas as pd

    from settle.output.xlsx import MONEY, TEXT, Table, write_book
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    frame = pd.DataFrame({"a": [f"行{i}" for i in range(200)], "b": [1.5 * i for i in range(200)]})
    with pytest.raises(OSError) as info:
        write_book(Path("/dev/full"), [Table(name="s", columns=[("a", TEXT), ("b", MONEY)], frame=frame)], fast=fast)
    assert info.value.errno == errno.ENOSPC
    gc.collect()
    err = capfd.readouterr().err
    assert "Exception ignored" not in err and "ZipWriter" not in err, err


# --- 2. check, then publish, or roll back ----------------------------------------------------------

def test_an_unwritable_history_folder_is_found_before_anything_moves(settled, monkeypatch):
    assert run(settled.root).exit_code == 0                      # history/ exists now
    before = snapshot(out_dir(settled.root))
    history = out_dir(settled.root) / "history"
    real_open = Path.open

    def open_(self, mode="r", *a, **kw):
        if self.parent == history and "x" in mode:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, mode, *a, **kw)
    monkeypatch.setattr(Path, "open", open_)
    r = run(settled.root)
    assert r.exit_code == 2, r.output
    assert "没有权限" in r.output and str(history) in flat(r.output)
    assert_plain(r.output)
    assert snapshot(out_dir(settled.root)) == before and leftovers(settled.root) == []
    monkeypatch.undo()
    assert run(settled.root).exit_code == 0                      # nothing left to trip the next run


@pytest.mark.parametrize("failing", ["stage", "archive"])
def test_a_failure_in_the_middle_of_publishing_restores_the_previous_outputs_at_once(settled, monkeypatch, failing):
    """publish renames target → .previous, stage → target, .previous → history/<stamp>: a failure
    of the second or third rename puts the previous outputs back before the run ends."""
    assert run(settled.root).exit_code == 0
    before = snapshot(out_dir(settled.root))
    real = Path.rename

    def rename(self, target):
        target = Path(target)
        if (failing == "stage" and self.name.startswith(".staging-") and target.name == MONTH) or \
                (failing == "archive" and self.name.startswith(".previous-") and target.parent.name == "history"):
            raise OSError(errno.EIO, "Input/output error", str(self))
        return real(self, target)
    monkeypatch.setattr(Path, "rename", rename)
    r = run(settled.root)
    assert r.exit_code == 2, r.output
    assert_plain(r.output)
    assert snapshot(out_dir(settled.root)) == before
    assert leftovers(settled.root) == []


# --- 3. workers die with the run ---------------------------------------------------------------

KILLED_WRITER = textwrap.dedent("""
    import os, sys, time
    from settle.parallel import in_background
    pids = sys.argv[1]

    def job(i):
        with open(pids, "a") as fh:
            fh.write(f"{os.getpid()}\\n")
        time.sleep(60)
    with in_background(job, list(range(10))):
        time.sleep(1.0)
        os.kill(os.getpid(), int(sys.argv[2]))
        time.sleep(60)
""")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie not yet reaped by init counts as dead
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_dead(pids, seconds=10.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_forked_writers_do_not_outlive_a_killed_run(tmp_path, sig):
    pids = tmp_path / "pids"
    env = {**os.environ, "PYTHONPATH": SRC, "SETTLE_WORKERS": "2"}
    p = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(pids), str(int(sig))], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == -sig
    workers = [int(x) for x in pids.read_text().split()]
    assert len(workers) == 2
    assert _wait_dead(workers) == []
    assert "Traceback" not in p.stderr, p.stderr


KILLED_READER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from settle.load import prefetch
    prefetch.PARALLEL_BYTES = 0

    def slow(path, display, kind, aliases):
        with open(sys.argv[1], "a") as fh:
            fh.write(f"{os.getpid()}\\n")
        time.sleep(60)

    def die():
        time.sleep(1.5)
        os.kill(os.getpid(), 9)
    import threading
    threading.Thread(target=die, daemon=True).start()
    files = [Path(sys.argv[2]), Path(sys.argv[3])]
    prefetch.read_parallel([(f, f.name, None, None) for f in files], slow)
""")


def test_forked_readers_die_with_a_killed_run_and_their_shared_memory_is_swept_next_time(tmp_path):
    from settle.load.prefetch import PREFIX, sweep_dead_runs
    pids = tmp_path / "pids"
    files = [tmp_path / "a.xlsx", tmp_path / "b.xlsx"]
    for f in files:
        f.write_bytes(b"x" * 100)
    env = {**os.environ, "PYTHONPATH": SRC, "SETTLE_WORKERS": "2"}
    p = subprocess.Popen([sys.executable, "-c", KILLED_READER, str(pids), *map(str, files)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err = p.communicate(timeout=60)
    assert p.returncode == -9
    assert _wait_dead([int(x) for x in pids.read_text().split()]) == []
    assert "Traceback" not in err, err
    left = [q for q in Path("/dev/shm").glob(f"{PREFIX}{p.pid}-*")] if Path("/dev/shm").is_dir() else []
    left += list(Path(os.environ.get("TMPDIR", "/tmp")).glob(f"{PREFIX}{p.pid}-*"))
    assert left, "a kill -9 leaves the hand-over folder: the next start sweeps it"
    sweep_dead_runs()
    assert not any(q.exists() for q in left)


def test_a_live_runs_hand_over_folder_is_not_swept(tmp_path):
    from settle.load.prefetch import PREFIX, sweep_dead_runs
    mine = tmp_path / f"{PREFIX}{os.getpid()}-abc"
    mine.mkdir()
    dead = tmp_path / f"{PREFIX}999999999-abc"
    dead.mkdir()
    sweep_dead_runs((str(tmp_path),))
    assert mine.exists() and not dead.exists()


# --- 4. signals --------------------------------------------------------------------------------------

SLOW_RUN = textwrap.dedent("""
    import os, sys, time
    import settle.output.render as render
    pids = sys.argv[1]

    def slow(path, *a, **kw):
        with open(pids, "a") as fh:
            fh.write(f"{os.getpid()}\\n")
        time.sleep(30)
    render.write_payslip = slow
    sys.argv = ["settle", "run", "2024-05", "--workspace", sys.argv[2]]
    from settle.cli import main
    main()
""")


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 143)])
def test_a_signal_cleans_up_says_interrupted_and_exits_with_its_code(tmp_path, sig, code):
    ws = build_month(Workspace(tmp_path / "ws"), people=9)            # 9 payslips + summary: forked writers
    pids = tmp_path / "pids"
    env = {**os.environ, "PYTHONPATH": SRC, "SETTLE_WORKERS": "2"}
    p = subprocess.Popen([sys.executable, "-c", SLOW_RUN, str(pids), str(ws.root)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (pids.exists() and len(pids.read_text().split()) >= 2):
        time.sleep(0.1)
    p.send_signal(sig)
    out, err = p.communicate(timeout=60)
    assert p.returncode == code, err
    assert "已中断" in err and "Traceback" not in err + out, err
    assert _wait_dead([int(x) for x in pids.read_text().split()]) == []
    assert leftovers(ws.root) == [] and not out_dir(ws.root).exists()
    assert not (ws.root / f".settle-{MONTH}.lock.json").exists()


# --- 5. locks on shared drives -------------------------------------------------------------------

@pytest.fixture(params=[errno.EOPNOTSUPP, errno.ENOSYS])
def no_flock(request, monkeypatch):
    import settle.output.lock as lock

    def flock(fd, op):
        raise OSError(request.param, os.strerror(request.param))
    monkeypatch.setattr(lock.fcntl, "flock", flock)
    return request.param


def _held(root: Path, **holder) -> Path:
    path = root / f".settle-{MONTH}.lock.held"
    path.write_text(json.dumps(holder), encoding="utf-8")
    return path


def test_without_flock_a_run_uses_an_exclusive_lock_file_and_prints_no_warning(ws, no_flock, recwarn):
    build_month(ws)
    r = run(ws.root)
    assert r.exit_code == 0, r.output
    assert_plain(r.output)
    assert not recwarn.list
    assert not (ws.root / f".settle-{MONTH}.lock.held").exists()


def test_without_flock_a_second_run_is_refused_while_the_first_holds_the_month(ws, no_flock):
    from settle.output.lock import LockHeld, MonthLock
    build_month(ws)
    with MonthLock(ws.root, MONTH) as first:
        assert first.mode == "file"
        holder = json.loads(first.held.read_text(encoding="utf-8"))
        assert set(holder) == {"user", "host", "pid", "since"}
        with pytest.raises(LockHeld):
            MonthLock(ws.root, MONTH).__enter__()
        r = run(ws.root)
    assert r.exit_code == 3 and "正在由" in r.output, r.output


def test_without_flock_a_dead_holder_on_this_host_is_taken_over(ws, no_flock):
    build_month(ws)
    _held(ws.root, user="ghost", host=socket.gethostname(), pid=999999999, since="2024-06-01T09:00:00")
    r = run(ws.root)
    assert r.exit_code == 0, r.output
    assert not (ws.root / f".settle-{MONTH}.lock.held").exists()


def test_another_hosts_old_lock_names_holder_age_and_the_unlock_command(ws, no_flock):
    build_month(ws)
    since = (dt.datetime.now() - dt.timedelta(hours=3)).isoformat(timespec="seconds")
    _held(ws.root, user="lihua", host="finance-pc2", pid=4242, since=since)
    r = run(ws.root)
    assert r.exit_code == 3, r.output
    text = flat(r.output)
    assert "lihua@finance-pc2" in text and "3 h 0 min" in text and f"settle unlock {MONTH}" in text
    assert_plain(r.output)


def test_another_hosts_recent_lock_is_a_run_in_progress(ws, no_flock):
    build_month(ws)
    (ws.root / "settle.yaml").write_text("lock_stale_after: 4h\n", encoding="utf-8")
    since = (dt.datetime.now() - dt.timedelta(hours=3)).isoformat(timespec="seconds")
    _held(ws.root, user="lihua", host="finance-pc2", pid=4242, since=since)
    r = run(ws.root)
    assert r.exit_code == 3 and "正在由 lihua@finance-pc2" in flat(r.output) and "unlock" not in r.output


def test_unlock_asks_clears_and_logs(ws, no_flock):
    build_month(ws)
    since = (dt.datetime.now() - dt.timedelta(hours=5)).isoformat(timespec="seconds")
    held = _held(ws.root, user="lihua", host="finance-pc2", pid=4242, since=since)
    r = ask("unlock", MONTH, "--workspace", str(ws.root), input="n\n")
    assert r.exit_code == 3 and held.exists() and "lihua@finance-pc2" in r.output
    r = ask("unlock", MONTH, "--workspace", str(ws.root), input="y\n")
    assert r.exit_code == 0 and not held.exists(), r.output
    log = ws.root / f".settle-{MONTH}.lock.log"
    entry = json.loads(log.read_text(encoding="utf-8").splitlines()[-1])
    assert entry["action"] == "unlock" and entry["holder"]["user"] == "lihua"
    assert run(ws.root).exit_code == 0
    _held(ws.root, user="lihua", host="finance-pc2", pid=4242, since=since)
    r = invoke("unlock", MONTH, "--workspace", str(ws.root), "--yes")
    assert r.exit_code == 0, r.output
    log = out_dir(ws.root) / "history" / "close-log.jsonl"                # settled now: the month's log
    assert json.loads(log.read_text(encoding="utf-8").splitlines()[-1])["action"] == "unlock"


def test_unlock_refuses_a_live_run_on_this_host(ws, no_flock):
    build_month(ws)
    held = _held(ws.root, user="me", host=socket.gethostname(), pid=os.getpid(),
                 since=dt.datetime.now().isoformat(timespec="seconds"))
    r = invoke("unlock", MONTH, "--workspace", str(ws.root), "--yes")
    assert r.exit_code == 3 and held.exists(), r.output


def test_the_windows_lock_path_msvcrt_and_no_os_lock_at_all(tmp_path, monkeypatch):
    """Forced on Linux: no fcntl; msvcrt.locking keeps two runs apart; with neither, the
    exclusive lock file does."""
    import settle.output.lock as lock
    held_fds: dict = {}

    class FakeMsvcrt:
        LK_NBLCK, LK_UNLCK = 2, 0

        @staticmethod
        def locking(fd, mode, n):
            key = os.fstat(fd).st_ino
            if mode == FakeMsvcrt.LK_UNLCK:
                held_fds.pop(key, None)
            elif key in held_fds:
                raise OSError(errno.EDEADLK, "Resource deadlock avoided")
            else:
                held_fds[key] = fd
    monkeypatch.setattr(lock, "fcntl", None)
    monkeypatch.setattr(lock, "msvcrt", FakeMsvcrt)
    with lock.MonthLock(tmp_path, MONTH) as a:
        assert a.mode == "os"
        with pytest.raises(lock.LockHeld):
            lock.MonthLock(tmp_path, MONTH).__enter__()
    monkeypatch.setattr(lock, "msvcrt", None)
    with lock.MonthLock(tmp_path, MONTH) as b:
        assert b.mode == "file"
        with pytest.raises(lock.LockHeld):
            lock.MonthLock(tmp_path, MONTH).__enter__()
    assert not b.held.exists()


# --- 6. plain messages ---------------------------------------------------------------------------

def test_a_file_where_the_month_output_folder_belongs(ws):
    build_month(ws)
    (ws.root / "output").mkdir()
    out_dir(ws.root).write_text("not a folder", encoding="utf-8")
    r = run(ws.root)
    assert r.exit_code == 2, r.output
    assert "应该是文件夹" in r.output and str(out_dir(ws.root)) in flat(r.output)
    assert_plain(r.output)
    assert out_dir(ws.root).read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize("code,words", [(errno.EROFS, "只读"), (errno.EACCES, "没有权限"),
                                        (errno.ENAMETOOLONG, "路径太长")])
def test_a_workspace_that_cannot_be_written_names_the_path_and_what_to_do(ws, monkeypatch, code, words):
    import settle.output.lock as lock
    build_month(ws)
    real = os.open

    def open_(path, flags, *a, **kw):
        if str(path).endswith(".lock"):
            raise OSError(code, os.strerror(code), str(path))
        return real(path, flags, *a, **kw)
    monkeypatch.setattr(lock.os, "open", open_)
    r = run(ws.root)
    assert r.exit_code == 2, r.output
    assert words in r.output and str(ws.root) in flat(r.output)
    assert_plain(r.output)
    assert not (ws.root / "output").exists()


def test_an_os_fault_in_close_and_check_cards_is_plain_too(settled, monkeypatch):
    import settle.output.lock as lock
    real = os.open

    def open_(path, flags, *a, **kw):
        if str(path).endswith(".lock"):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real(path, flags, *a, **kw)
    monkeypatch.setattr(lock.os, "open", open_)
    for args in (("close", MONTH), ("check-cards", MONTH)):
        r = invoke(*args, "--workspace", str(settled.root))
        assert r.exit_code == 2 and "只读" in r.output, r.output
        assert_plain(r.output)


# --- 7. Windows paths forced on Linux --------------------------------------------------------------

def test_without_fork_the_payslips_are_written_by_spawned_workers_or_in_process(ws, monkeypatch):
    """Windows has no fork: the writers are spawned (issue 28.4); with no way to start a worker
    at all, everything is written in-process."""
    import settle.parallel as parallel
    build_month(ws, people=9)
    monkeypatch.setenv("SETTLE_WORKERS", "2")
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    real, asked = parallel.mp.get_context, []
    monkeypatch.setattr(parallel.mp, "get_context", lambda m=None: asked.append(m) or real(m))
    r = run(ws.root)
    assert r.exit_code == 0, r.output
    assert asked == ["spawn"] and len(list((out_dir(ws.root) / "工资条").iterdir())) == 9
    monkeypatch.setattr(parallel, "start_method", lambda: None)
    monkeypatch.setattr(parallel.mp, "get_context", lambda *a: pytest.fail("a worker without a way to start one"))
    r = run(ws.root)
    assert r.exit_code == 0, r.output
    assert len(list((out_dir(ws.root) / "工资条").iterdir())) == 9


def test_a_file_excel_holds_open_on_windows_stops_the_publication(settled, monkeypatch):
    """On Windows a folder holding a file open in Excel cannot be renamed (sharing violation,
    winerror 32): a clear message, the previous outputs untouched."""
    assert run(settled.root).exit_code == 0
    before = snapshot(out_dir(settled.root))
    real = Path.rename

    def rename(self, target):
        if self == out_dir(settled.root):
            exc = PermissionError(errno.EACCES, "The process cannot access the file", str(self / "部门汇总.xlsx"))
            exc.winerror = 32
            raise exc
        return real(self, target)
    monkeypatch.setattr(Path, "rename", rename)
    r = run(settled.root)
    assert r.exit_code == 2, r.output
    assert "Excel" in r.output and "部门汇总.xlsx" in flat(r.output)
    assert snapshot(out_dir(settled.root)) == before and leftovers(settled.root) == []


@pytest.mark.parametrize("sid,name,expected", [("CON", "", "_CON"), ("NUL", "", "_NUL"), ("COM1", "", "_COM1"),
                                               ("S1", "王芳.", "S1_王芳"), ("S2", "李娜. .", "S2_李娜"),
                                               ("PRN.", "", "_PRN")])
def test_reserved_names_and_trailing_dots_make_windows_safe_file_names(sid, name, expected):
    from settle.output.privacy import safe_filename
    assert safe_filename(sid, name) == expected


def test_a_staff_member_named_with_trailing_dots_gets_a_payslip_windows_can_open(ws):
    ws.staff([person("S001", "王芳.")])
    ws.month(MONTH, regs=[reg(dt.datetime(2024, 5, 2, 9), "王芳.", "P1")],
             billing=[bill(dt.datetime(2024, 5, 5, 10), 1000, "P1", record="0000101")])
    r = run(ws.root)
    assert r.exit_code == 0, r.output
    assert [p.name for p in (out_dir(ws.root) / "工资条").iterdir()] == ["S001_王芳.xlsx"]


def test_a_path_too_long_for_windows_is_refused_before_anything_moves(tmp_path):
    from settle.faults import Fault
    from settle.output.publish import check_writable
    stage = tmp_path / "output" / ".staging-x"
    deep = stage / "工资条" / ("长" * 60) / ("长" * 60) / ("长" * 60)
    deep.mkdir(parents=True)
    (deep / "S001_王芳.xlsx").write_bytes(b"")
    with pytest.raises(Fault) as info:
        check_writable(stage, tmp_path / "output", MONTH, windows=True)
    assert info.value.code == "windows_path_too_long" and "长" in info.value.text()
    check_writable(stage, tmp_path / "output", MONTH, windows=False)


# --- 8. history/ that does not grow unseen -----------------------------------------------------

def test_history_keep_prunes_an_open_months_oldest_reruns_and_says_which(settled):
    (settled.root / "settle.yaml").write_text("history_keep: 2\n", encoding="utf-8")
    names = []
    for _ in range(4):
        r = run(settled.root)
        assert r.exit_code == 0, r.output
        names = sorted(p.name for p in (out_dir(settled.root) / "history").iterdir() if p.is_dir())
        time.sleep(1.05)                                           # distinct stamps
    assert len(names) == 2
    assert "history_keep: 2" in r.output and "删除了较早的结果" in r.output


def test_by_default_nothing_is_pruned_and_a_long_history_is_reported(settled, monkeypatch):
    import settle.output.publish as publish
    monkeypatch.setattr(publish, "HISTORY_RUNS_NOTE", 2)
    for _ in range(3):
        r = run(settled.root)
        assert r.exit_code == 0
    runs = [p for p in (out_dir(settled.root) / "history").iterdir() if p.is_dir()]
    assert len(runs) == 3
    assert "已保存 3 次早先的结果" in flat(r.output)


def test_a_closed_months_history_is_never_pruned(settled):
    from settle.output.publish import tend_history
    for _ in range(2):
        assert run(settled.root).exit_code == 0
    notes = tend_history(out_dir(settled.root), keep=0, closed=True)
    assert len([p for p in (out_dir(settled.root) / "history").iterdir() if p.is_dir()]) == 2
    assert not notes
