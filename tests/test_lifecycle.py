"""A month's lifecycle (SPEC §1 `close`, §7 settlement.json / 运行信息, §8 "Nothing is lost"):
reruns keep history, a closed month stays closed, two clerks never overwrite each other, a run
killed at any moment leaves complete outputs, a file held open in Excel stops the run before
anything moves, R41 reads earlier months' settlement.json, `verify` recomputes, and every run
records who, when, with which inputs and rules.

Subprocess tests use real processes (`python -m settle run …`, or a tiny child script that
kills itself at a chosen step) on tiny workspaces, so the file stays fast.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import openpyxl
import pytest
import yaml

from builders import monthly, BILL_HEADERS, Workspace, bill, person, reg, write_xlsx
from conftest import Result, invoke
from settle import __version__

MONTH = "2024-05"
SUMMARY_SHEETS = ["汇总", "关注", "图表", "趋势", "违规", "未归属", "核对", "运行信息"]  # 返款: R46
PAYSLIP_SHEETS = ["工资条", "业绩明细", "违规"]
STAMP = re.compile(r"\d{8}-\d{6}(-\d+)?")      # history/<YYYYMMDD-HHMMSS>[-n]
SUBPROCESS_TIMEOUT = 60


# --- helpers ---------------------------------------------------------------------------------------

def out_dir(root: Path, month: str = MONTH) -> Path:
    return root / "output" / month


def flat(text: str) -> str:
    """Console output with rich's line wrapping undone (long paths wrap at 160 columns)."""
    return "".join(text.splitlines())


def snapshot(folder: Path, *, skip_history: bool = False) -> dict[str, bytes]:
    """Every file under folder, by relative path, as bytes."""
    snap = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if skip_history and rel.parts[0] == "history":
            continue
        if p.is_file():
            snap[rel.as_posix()] = p.read_bytes()
    return snap


def history_entries(folder: Path) -> list[Path]:
    h = folder / "history"
    return sorted(p for p in h.iterdir() if p.is_dir()) if h.is_dir() else []


def leftovers(root: Path) -> list[str]:
    out = root / "output"
    return sorted(p.name for p in out.iterdir() if p.name.startswith((".staging-", ".previous-"))) if out.is_dir() else []


def assert_complete(folder: Path, month: str = MONTH) -> dict:
    """A complete output folder: settlement.json parses, the summary and every payslip named in it
    open with openpyxl and have their sheets."""
    assert folder.is_dir(), f"{folder} is missing"
    data = json.loads((folder / "settlement.json").read_text(encoding="utf-8"))
    assert data["month"] == month
    wb = openpyxl.load_workbook(folder / "部门汇总.xlsx")
    assert wb.sheetnames == SUMMARY_SHEETS
    slips = sorted((folder / "工资条").iterdir())
    assert sorted(p.name.split("_")[0] for p in slips) == sorted(data["people"])
    for p in slips:
        assert p.suffix == ".xlsx"
        assert openpyxl.load_workbook(p).sheetnames == PAYSLIP_SHEETS, p
    return data


def run(root: Path, month: str = MONTH, *extra: str):
    return invoke("run", month, "--workspace", str(root), *extra)


def total(root: Path, sid: str, month: str = MONTH) -> str:
    data = json.loads((out_dir(root, month) / "settlement.json").read_text(encoding="utf-8"))
    return data["people"][sid]["total"]


def build_month(ws: Workspace) -> Workspace:
    """王芳 earns 1 000 in May (119.00: base 75 + assessment 14 + 3 % commission 30); 李娜 nothing."""
    ws.staff([person("S001", "王芳"), person("S002", "李娜")])
    ws.month(MONTH, regs=[reg(dt.datetime(2024, 5, 2, 9), "王芳", "P1")],
             billing=[bill(dt.datetime(2024, 5, 5, 10), 1000, "P1", record="0000101")])
    return ws


def add_refund(root: Path) -> None:
    """A late refund of 400: 王芳 119.00 → 71.40 (45 + 8.40 + 18)."""
    write_xlsx(root / MONTH / "收费明细.xlsx", BILL_HEADERS,
               [bill(dt.datetime(2024, 5, 5, 10), 1000, "P1", record="0000101"),
                bill(dt.datetime(2024, 5, 6, 10), -400, "P1", record="0000102")])


@pytest.fixture(scope="module")
def settled_once(tmp_path_factory) -> Path:
    """A template workspace: build_month settled once. Tests copy it (`_copy`)."""
    ws = build_month(Workspace(tmp_path_factory.mktemp("once") / "ws"))
    assert run(ws.root).exit_code == 0
    return ws.root


def _copy(template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(template, root)
    return root


def spawn(args: list[str], **kw) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", **kw)


def settle_cmd(root: Path, month: str = MONTH, *extra: str) -> list[str]:
    return [sys.executable, "-m", "settle", "run", month, "--workspace", str(root), *extra]


# --- 1. rerun of an open month ---------------------------------------------------------------------

def test_rerun_keeps_previous_outputs_in_history_and_prints_the_changes(settled_once, tmp_path):
    root = _copy(settled_once, tmp_path)
    out = out_dir(root)
    first = snapshot(out)
    assert "history" not in {Path(k).parts[0] for k in first}

    add_refund(root)
    r = run(root)
    assert r.exit_code == 0, r.output
    text = flat(r.output)
    assert "上次 → 本次" in text
    assert "119.00 → 71.40" in text                   # 王芳's 应发合计, old → new
    s002 = [line for line in r.output.splitlines() if "S002" in line]
    assert len(s002) == 1 and "→" not in s002[0]       # unchanged: no arrow
    entries = history_entries(out)
    assert len(entries) == 1
    assert STAMP.fullmatch(entries[0].name), entries[0].name
    assert entries[0].name in text                     # "上次的输出已保存到 …/history/<stamp>"
    assert snapshot(entries[0]) == first               # the previous outputs, byte for byte
    assert total(root, "S001") == "71.40"
    second = snapshot(out, skip_history=True)

    r = run(root)                                   # third run, same inputs
    assert r.exit_code == 0, r.output
    assert r.output.count("→") == 1                    # only the header: nothing changed
    entries = history_entries(out)
    assert len(entries) == 2
    assert all(STAMP.fullmatch(e.name) for e in entries)
    assert snapshot(entries[0]) == first and snapshot(entries[1]) == second
    assert not any((e / "history").exists() for e in entries)   # history is never nested
    assert_complete(out)
    for p in (root / "output").rglob("*"):
        assert ":" not in p.name, p                   # the folder must open on Windows
    assert leftovers(root) == []


# --- 2. close ---------------------------------------------------------------------------------------

def test_close_refuses_runs_until_reopened_with_a_reason(settled_once, tmp_path):
    root = _copy(settled_once, tmp_path)
    out = out_dir(root)
    r = invoke("close", MONTH, "--workspace", str(root))
    assert r.exit_code == 0, r.output
    assert (out / "closed.json").exists()
    before = snapshot(out)

    add_refund(root)                                # a run now would change the figures
    r = run(root)
    assert r.exit_code == 3, r.output
    assert f"settle close {MONTH} --reopen --reason" in flat(r.output)
    assert snapshot(out) == before                     # byte-identical
    assert leftovers(root) == []
    assert invoke("close", MONTH, "--workspace", str(root)).exit_code == 0   # closing twice is harmless
    assert snapshot(out) == before

    r = invoke("close", MONTH, "--workspace", str(root), "--reopen")
    assert r.exit_code == 2, r.output
    assert "--reason" in r.output
    assert snapshot(out) == before                     # still closed
    assert run(root).exit_code == 3

    r = invoke("close", MONTH, "--workspace", str(root), "--reopen", "--reason", "补录退费")
    assert r.exit_code == 0, r.output
    log_path = out / "history" / "close-log.jsonl"
    log = [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines()]
    assert [e["action"] for e in log] == ["close", "reopen"]
    assert log[1]["reason"] == "补录退费"
    assert log[1]["user"] == getpass.getuser() and log[1]["host"] == socket.gethostname()
    assert not (out / "closed.json").exists()

    r = run(root)
    assert r.exit_code == 0, r.output
    assert total(root, "S001") == "71.40"
    assert [json.loads(line)["action"] for line in log_path.read_text(encoding="utf-8").splitlines()] == \
        ["close", "reopen"]                            # the log survives the rerun
    entries = history_entries(out)
    assert len(entries) == 1
    assert json.loads((entries[0] / "settlement.json").read_text(encoding="utf-8"))["people"]["S001"]["total"] \
        == "119.00"


def test_a_close_that_lands_before_the_run_takes_the_lock_is_respected(settled_once, tmp_path, monkeypatch):
    import settle.output.publish as P
    from settle.api import close_month

    root = _copy(settled_once, tmp_path)
    out = out_dir(root)
    add_refund(root)
    real = P.is_closed

    closed_by_the_other_clerk = []

    def racing(target):
        state = real(target)                           # open…
        if not closed_by_the_other_clerk:              # (close itself calls is_closed too)
            closed_by_the_other_clerk.append(None)
            # …and the other clerk's `settle close` completes right now, before this run locks the month
            status = close_month(root, MONTH).status
            closed_by_the_other_clerk[0] = (0 if status == "closed" else status, (out / "closed.json").exists())
        return state

    monkeypatch.setattr(P, "is_closed", racing)
    before = snapshot(out)
    r = run(root)
    monkeypatch.undo()
    assert closed_by_the_other_clerk == [(0, True)]    # the simulated close did happen
    assert r.exit_code == 3, r.output
    assert (out / "closed.json").exists()              # the month is still closed…
    after = snapshot(out, skip_history=True)
    after.pop("closed.json")
    assert after == before                             # …and its outputs untouched


# --- 3. corrections after close ---------------------------------------------------------------------

def test_a_refund_after_close_counts_in_the_next_month(ws):
    ws.staff([person("S001", "王芳")])
    ws.month("2024-05", regs=[reg(dt.datetime(2024, 5, 2, 9), "王芳", "P1")],
             billing=[bill(dt.datetime(2024, 5, 5, 10), 1000, "P1", record="0000101")])
    assert run(ws.root, "2024-05").exit_code == 0
    assert invoke("close", "2024-05", "--workspace", str(ws.root)).exit_code == 0
    may = snapshot(out_dir(ws.root, "2024-05"))
    # June's export: the refund of May's visit, settled 3 June, and a new visit.
    ws.month("2024-06", billing=[
        bill(dt.datetime(2024, 5, 5, 10), -400, "P1", settled=dt.date(2024, 6, 3), record="0000102"),
        bill(dt.datetime(2024, 6, 10, 10), 2000, "P1", record="0000103")])
    r = run(ws.root, "2024-06")
    assert r.exit_code == 0, r.output
    june = Result(r, ws.root, "2024-06")
    # R1: the refund counts in June: 2000 − 400 = 1600 → base 1500 × 1600/20000 = 120.00,
    # assessment 700 × 1600/50000 = 22.40, commission 3 % × 1600 = 48.00 → 190.40
    assert june.person("S001")["performance"] == "1600.00"
    assert june.amount("S001", "general") == "48.00"
    assert june.total("S001") == "190.40"
    assert june.data["reconciliation"]["total_fen"] == 160000
    assert june.data["reconciliation"]["credited_fen"] == 160000
    # May is untouched and still closed.
    assert snapshot(out_dir(ws.root, "2024-05")) == may
    assert total(ws.root, "S001", "2024-05") == "119.00"
    assert run(ws.root, "2024-05").exit_code == 3
    assert snapshot(out_dir(ws.root, "2024-05")) == may


# --- 4. two clerks at once ---------------------------------------------------------------------------

# Runs `settle` in a child process whose `publish` waits (holding the month lock) until the test
# creates a "go" file.
SLOW_PUBLISH = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import settle.output.publish as P
    go = Path(sys.argv[1])
    real = P.publish
    def slow(*args, **kw):
        print("PUBLISHING", flush=True)
        deadline = time.time() + 60
        while not go.exists() and time.time() < deadline:
            time.sleep(0.01)
        return real(*args, **kw)
    P.publish = slow
    sys.argv = ["settle"] + sys.argv[2:]
    from settle.cli import main
    main()
""")


# `settle` with everything imported up front, started once the test creates a "go" file.
RUN_ON_GO = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import settle.cli, settle.engine.pipeline
    go = Path(sys.argv[1])
    deadline = time.time() + 60
    while not go.exists() and time.time() < deadline:
        time.sleep(0.01)
    sys.argv = ["settle"] + sys.argv[2:]
    settle.cli.main()
""")


def test_a_second_run_of_the_same_month_gets_exit_3_naming_the_holder(ws, tmp_path):
    build_month(ws)
    go_a, go_b = tmp_path / "go-a", tmp_path / "go-b"
    args = ["run", MONTH, "--workspace", str(ws.root)]
    a = spawn([sys.executable, "-c", SLOW_PUBLISH, str(go_a), *args, "--quiet"])
    b = spawn([sys.executable, "-c", RUN_ON_GO, str(go_b), *args, "--json"])
    try:
        line = a.stdout.readline()                     # A holds the month lock and is about to publish
        assert line.strip() == "PUBLISHING", (line, a.stderr.read() if a.poll() is not None else "")
        holder = json.loads((ws.root / f".settle-{MONTH}.lock.json").read_text(encoding="utf-8"))
        assert holder["pid"] == a.pid
        go_b.touch()                                   # B: a plain `settle run` of the same month
        stdout, stderr = b.communicate(timeout=SUBPROCESS_TIMEOUT)
        assert b.returncode == 3, (stdout, stderr)
        message = flat(stderr)
        assert f"{getpass.getuser()}@{socket.gethostname()}" in message
        assert holder["since"] in message
        payload = json.loads(stdout)
        assert payload["status"] == "locked" and payload["holder"]["pid"] == a.pid
        assert not out_dir(ws.root).exists()          # the refused run wrote nothing
    finally:
        go_a.touch()
        go_b.touch()
        a.wait(timeout=SUBPROCESS_TIMEOUT)
        b.wait(timeout=SUBPROCESS_TIMEOUT)
    assert a.returncode == 0, a.stderr.read()
    data = assert_complete(out_dir(ws.root))           # A's outputs are complete
    assert data["people"]["S001"]["total"] == "119.00"
    assert history_entries(out_dir(ws.root)) == []
    assert leftovers(ws.root) == []
    assert not (ws.root / f".settle-{MONTH}.lock.json").exists()


def test_the_lock_file_is_not_removed_from_under_the_next_holder(tmp_path):
    """Releasing keeps the lock file, so a run waiting on it and a newcomer lock the same file:
    after A releases and B takes the month, C is refused."""
    from settle.output.lock import LockHeld, MonthLock

    a, b, c = (MonthLock(tmp_path, MONTH) for _ in range(3))
    a.__enter__()
    a.__exit__(None, None, None)
    assert a.path.exists()
    b.__enter__()
    try:
        with pytest.raises(LockHeld):
            c.__enter__()
    finally:
        b.__exit__(None, None, None)


# --- 5. a stale lock --------------------------------------------------------------------------------

def test_stale_lock_files_left_behind_do_not_block(ws):
    build_month(ws)
    (ws.root / f".settle-{MONTH}.lock").write_text("", encoding="utf-8")
    (ws.root / f".settle-{MONTH}.lock.json").write_text(
        json.dumps({"user": "ghost", "host": "old-pc", "pid": 999999, "since": "2024-06-01T09:00:00"}),
        encoding="utf-8")
    r = run(ws.root)
    assert r.exit_code == 0, r.output
    assert "ghost" not in r.output
    assert_complete(out_dir(ws.root))
    assert not (ws.root / f".settle-{MONTH}.lock.json").exists()


HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from settle.output.lock import MonthLock
    with MonthLock(Path(sys.argv[1]), sys.argv[2]):
        print("HELD", flush=True)
        time.sleep(60)
""")


def test_a_lock_held_by_a_killed_process_does_not_block(ws):
    build_month(ws)
    child = spawn([sys.executable, "-c", HOLD_LOCK, str(ws.root), MONTH])
    try:
        assert child.stdout.readline().strip() == "HELD"
        r = run(ws.root)                               # the lock is live: refused
        assert r.exit_code == 3 and socket.gethostname() in r.output, r.output
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=SUBPROCESS_TIMEOUT)
    info = ws.root / f".settle-{MONTH}.lock.json"
    assert info.exists() and json.loads(info.read_text(encoding="utf-8"))["pid"] == child.pid   # left behind
    r = run(ws.root)
    assert r.exit_code == 0, r.output
    assert_complete(out_dir(ws.root))
    assert not info.exists()


# --- 6. killed during publication -------------------------------------------------------------------

@pytest.fixture(scope="module")
def settled_twice(settled_once, tmp_path_factory):
    """A template: May settled twice (so output/2024-05 has one history entry), then a refund that
    changes the figures; `new` holds the complete outputs of the changed month (a staged run)."""
    base = tmp_path_factory.mktemp("settled")
    root = _copy(settled_once, base)
    run1 = snapshot(out_dir(root))
    assert run(root).exit_code == 0
    run2 = snapshot(out_dir(root), skip_history=True)
    add_refund(root)
    new_out = base / "new"
    assert run(root, MONTH, "--out", str(new_out)).exit_code == 0
    new = snapshot(new_out / MONTH)
    return {"ws": root, "new": new_out / MONTH, "run1": run1, "run2": run2, "new_snap": new}


# A child that publishes a complete staged folder and dies (os._exit, no cleanup) right after the
# k-th rename that `publish` makes: 1 target → .previous, 2 staging → target, 3 old history →
# new history, 4 .previous → history/<stamp>.
KILL_AFTER_RENAME = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    import settle.output.publish as P
    stage, out_root, month, k = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    done = [0]
    real = Path.rename
    def rename(self, target):
        result = real(self, target)
        if sys._getframe(1).f_globals.get("__name__") == "settle.output.publish":
            done[0] += 1
            if done[0] == k:
                os._exit(9)
        return result
    Path.rename = rename
    P.publish(stage, out_root, month)
    os._exit(0)
""")


def _kill_publish(template: dict, tmp_path: Path, k: int) -> Path:
    root = _copy(template["ws"], tmp_path)
    stage = root / "output" / f".staging-{MONTH}-0badc0de"
    shutil.copytree(template["new"], stage)
    p = subprocess.run([sys.executable, "-c", KILL_AFTER_RENAME, str(stage), str(root / "output"), MONTH, str(k)],
                       capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT)
    assert p.returncode == 9, p.stderr
    return root


@pytest.mark.parametrize("k", [1, 2, 3])
def test_a_kill_during_publication_leaves_old_or_new_outputs_in_place(settled_twice, tmp_path, k):
    from settle.output.publish import settled_folder

    root = _kill_publish(settled_twice, tmp_path, k)
    # Killed between the two renames, the previous outputs are whole in .previous-MONTH, where
    # close, verify and later months (R41) read them until the next run completes the swap.
    target = settled_folder(out_dir(root).parent, MONTH)
    assert target.is_dir(), f"output/{MONTH} missing; output/ holds {sorted(p.name for p in target.parent.iterdir())}"
    assert_complete(target)
    assert snapshot(target, skip_history=True) in (settled_twice["run2"], settled_twice["new_snap"])


@pytest.mark.parametrize("k", [1, 2, 3])
def test_a_rerun_after_a_kill_during_publication_recovers_everything(settled_twice, tmp_path, k):
    root = _kill_publish(settled_twice, tmp_path, k)
    r = run(root)
    assert r.exit_code == 0, r.output
    out = out_dir(root)
    assert_complete(out)
    assert total(root, "S001") == "71.40"
    assert leftovers(root) == []
    entries = [snapshot(e) for e in history_entries(out)]
    assert settled_twice["run1"] in entries and settled_twice["run2"] in entries   # nothing is lost
    for e in history_entries(out):
        assert_complete(e)
        assert not (e / "history").exists()


def test_a_half_written_staging_folder_is_never_published_and_is_cleaned_up(settled_twice, tmp_path):
    root = _copy(settled_twice["ws"], tmp_path)
    stage = root / "output" / f".staging-{MONTH}-deadbeef"
    (stage / "工资条").mkdir(parents=True)
    (stage / "部门汇总.xlsx").write_bytes(settled_twice["run2"]["部门汇总.xlsx"][:300])   # truncated
    assert snapshot(out_dir(root), skip_history=True) == settled_twice["run2"]          # untouched
    r = run(root)
    assert r.exit_code == 0, r.output
    assert_complete(out_dir(root))
    assert leftovers(root) == []
    assert settled_twice["run2"] in [snapshot(e) for e in history_entries(out_dir(root))]


# One real SIGKILL while the run writes (the child-script tests above hit each rename exactly).
@pytest.mark.parametrize("delay", [0.05])
def test_sigkill_of_a_real_run_never_leaves_a_half_folder(settled_twice, tmp_path, delay):
    root = _copy(settled_twice["ws"], tmp_path)
    proc = spawn(settle_cmd(root, MONTH, "--quiet"))
    try:
        while proc.poll() is None and not any((root / "output").glob(f".staging-{MONTH}-*")):
            time.sleep(0.001)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=SUBPROCESS_TIMEOUT)
    assert proc.returncode in (0, -signal.SIGKILL), proc.stderr.read()
    target, prev = out_dir(root), root / "output" / f".previous-{MONTH}"
    if target.exists():
        data = assert_complete(target)                 # never a half folder
        assert data["people"]["S001"]["total"] in ("119.00", "71.40")
        if data["people"]["S001"]["total"] == "119.00":
            assert snapshot(target, skip_history=True) == settled_twice["run2"]
    else:                                              # the window of the xfail above
        assert_complete(prev)
    r = run(root)
    assert r.exit_code == 0, r.output
    assert_complete(out_dir(root))
    assert total(root, "S001") == "71.40"
    assert leftovers(root) == []
    entries = [snapshot(e) for e in history_entries(out_dir(root))]
    assert settled_twice["run1"] in entries and settled_twice["run2"] in entries


# --- 7. a locked target ----------------------------------------------------------------------------

@pytest.mark.parametrize("lock_file,named", [("~$部门汇总.xlsx", "部门汇总.xlsx"),
                                             ("工资条/~$S001_王芳.xlsx", "S001_王芳.xlsx")])
def test_an_output_open_in_excel_stops_the_run_before_anything_moves(settled_once, tmp_path, lock_file, named):
    root = _copy(settled_once, tmp_path)
    out = out_dir(root)
    (out / lock_file).write_bytes(b"\x06root    ")       # what Excel leaves beside an open workbook
    add_refund(root)
    before = snapshot(out)
    r = run(root)
    assert r.exit_code == 2, r.output
    text = flat(r.output)
    assert named in text and "关闭" in text            # names the file; close it and run again
    assert "Traceback" not in r.output
    assert snapshot(out) == before                     # nothing moved
    assert not (out / "history").exists()
    assert leftovers(root) == []
    (out / lock_file).unlink()                         # Excel closed: the run goes through
    r = run(root)
    assert r.exit_code == 0, r.output
    assert total(root, "S001") == "71.40"


def _locked_payslip_case(template: Path, tmp_path: Path):
    root = _copy(template, tmp_path)
    out = out_dir(root)
    add_refund(root)
    return root, out, out / "工资条" / "S001_王芳.xlsx"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root ignores file permissions: see the monkeypatched variant below")
def test_a_read_only_payslip_stops_the_run(settled_once, tmp_path):
    root, out, victim = _locked_payslip_case(settled_once, tmp_path)
    victim.chmod(0o444)
    try:
        before = snapshot(out)
        r = run(root)
        assert r.exit_code == 2, r.output
        assert "S001_王芳.xlsx" in flat(r.output)
        assert snapshot(out) == before and not (out / "history").exists()
    finally:
        victim.chmod(0o644)


def test_a_payslip_that_cannot_be_opened_for_writing_stops_the_run(settled_once, tmp_path, monkeypatch):
    # The tests run as root, where chmod 0o444 does not stop a write; a read-only or locked file
    # is simulated by making settle.output.publish's `open` raise PermissionError on that one file.
    import builtins

    import settle.output.publish as P

    root, out, victim = _locked_payslip_case(settled_once, tmp_path)
    real_open = builtins.open

    def guarded_open(file, mode="r", *args, **kw):
        if Path(file) == victim and any(c in mode for c in "wa+"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, mode, *args, **kw)

    monkeypatch.setattr(P, "open", guarded_open, raising=False)
    before = snapshot(out)
    r = run(root)
    assert r.exit_code == 2, r.output
    text = flat(r.output)
    assert "S001_王芳.xlsx" in text and "只读" in text
    assert "Traceback" not in r.output
    assert snapshot(out) == before
    assert not (out / "history").exists()
    assert leftovers(root) == []


# --- 8. R41 over three months ------------------------------------------------------------------------



def _sheet_text(path: Path, sheet: str) -> str:
    wb = openpyxl.load_workbook(path)
    return "\n".join(str(v) for row in wb[sheet].iter_rows(values_only=True) for v in row if v is not None)


def test_R41_warning_reads_the_two_months_before_from_their_settlement(ws):
    # W1: 5000, 8000, 9000 — below 10 000 in March, April and May → flagged in May, once April is known.
    # W2: 5000, 15000, 5000 — April above → never flagged.
    ws.staff([person("W1", "老甲"), person("W2", "老乙")])
    ws.month("2024-03", **monthly("2024-03", 20, {"W1": 5000, "W2": 5000}))
    ws.month("2024-04", **monthly("2024-04", 10, {"W1": 8000, "W2": 15000}))
    ws.month("2024-05", **monthly("2024-05", 10, {"W1": 9000, "W2": 5000}))
    assert run(ws.root, "2024-03").exit_code == 0
    # April has inputs but was never settled: no output/2024-04/settlement.json → unknown → no flag.
    r = run(ws.root, "2024-05")
    assert r.exit_code == 0, r.output
    assert not (out_dir(ws.root, "2024-04") / "settlement.json").exists()
    may = Result(r, ws.root, "2024-05")
    assert may.violations("performance_warning") == []
    assert "业绩不达标预警" not in _sheet_text(out_dir(ws.root) / "工资条" / "W1_老甲.xlsx", "工资条")

    assert run(ws.root, "2024-04").exit_code == 0
    r = run(ws.root, "2024-05")
    assert r.exit_code == 0, r.output
    may = Result(r, ws.root, "2024-05")
    warnings = may.violations("performance_warning")
    assert [v["staff_id"] for v in warnings] == ["W1"]
    assert "连续三个月" in warnings[0]["detail"] and "2024-03" in warnings[0]["detail"] \
        and "10000" in warnings[0]["detail"]
    assert any("业绩不达标预警" in f for f in may.person("W1")["flags"])
    assert may.person("W2")["flags"] == []
    assert may.total("W1") == "1071.00"                # a flag, not an action: 675 + 126 + 270
    slip = out_dir(ws.root) / "工资条" / "W1_老甲.xlsx"
    shown = _sheet_text(slip, "工资条")
    assert "业绩不达标预警" in shown and "连续三个月" in shown
    assert "performance_warning" in _sheet_text(slip, "违规") or "业绩不达标预警" in _sheet_text(slip, "违规")
    assert "业绩不达标预警" not in _sheet_text(out_dir(ws.root) / "工资条" / "W2_老乙.xlsx", "工资条")
    summary = _sheet_text(out_dir(ws.root) / "部门汇总.xlsx", "违规")
    assert "业绩不达标预警" in summary or "performance_warning" in summary


# --- 9. verify ----------------------------------------------------------------------------------------

def test_verify_an_unchanged_month_exits_0(settled_once, tmp_path):
    root = _copy(settled_once, tmp_path)
    before = snapshot(out_dir(root))
    r = invoke("verify", MONTH, "--workspace", str(root))
    assert r.exit_code == 0, r.output
    assert "一致" in r.output
    assert snapshot(out_dir(root)) == before        # verify writes nothing


def test_verify_after_an_input_changed_lists_the_file_and_the_figures(settled_once, tmp_path):
    root = _copy(settled_once, tmp_path)
    before = snapshot(out_dir(root))
    # The clerk edits an amount in 收费明细 after settling: 1000 → 600.
    write_xlsx(root / MONTH / "收费明细.xlsx", BILL_HEADERS,
               [bill(dt.datetime(2024, 5, 5, 10), 600, "P1", record="0000101")])
    r = invoke("verify", MONTH, "--workspace", str(root))
    assert r.exit_code == 1, r.output
    text = flat(r.output)
    assert f"{MONTH}/收费明细.xlsx" in text and "已修改" in text
    assert "登记表.xlsx" not in text                    # only the changed file is listed
    rows = [line for line in r.output.splitlines() if "S001" in line]
    assert any("应发合计" in line and "119.00" in line and "71.40" in line for line in rows), r.output
    assert any("1000.00" in line and "600.00" in line for line in rows), r.output
    assert "S002" not in text                          # 李娜's figures did not change
    assert snapshot(out_dir(root)) == before


def test_verify_without_a_settlement_exits_2(ws):
    build_month(ws)
    r = invoke("verify", MONTH, "--workspace", str(ws.root))
    assert r.exit_code == 2, r.output
    assert "没有结算记录" in r.output
    assert not (ws.root / "output").exists()


# --- 10. the same inputs give the same figures --------------------------------------------------------

def _cells(folder: Path) -> dict:
    out = {}
    for path in sorted(folder.glob("*.xlsx")) + sorted((folder / "工资条").glob("*.xlsx")):
        wb = openpyxl.load_workbook(path)
        for sheet in wb:
            if sheet.title == "运行信息":
                continue
            out[(path.relative_to(folder).as_posix(), sheet.title)] = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    return out


VOLATILE = ("generated_at", "workspace", "user", "host")


def test_the_same_month_twice_gives_identical_cells(ws, tmp_path):
    ws.staff([person("S001", "王芳"), person("S002", "李娜"), person("L1", "张主管", role="主管"),
              person("N1", "网络甲", role="网络部"), person("D1", "刘主任", role="主任")])
    ws.month(MONTH, late={"S001": [dt.date(2024, 5, 6)]}, missing={"S002": [dt.date(2024, 5, 7)]},
             regs=[reg(dt.datetime(2024, 5, 2, 9), "S001", "P1", card="C1", name="欧阳娜娜"),
                   reg(dt.datetime(2024, 5, 2, 9), "S002", "P2", channel="诊所", partner="康宁诊所",
                       referrer="李医生", phone="13900000000", name="王小明"),
                   reg(dt.datetime(2024, 5, 3, 9), "S002", "P1", name="欧阳娜娜"),          # 撞单
                   reg(dt.datetime(2024, 5, 2, 9), "N1", "P3", name="赵六"),
                   reg(dt.datetime(2024, 5, 3, 9), "S001", "P3", name="赵六")],             # 50 / 50
             billing=[bill(dt.datetime(2024, 5, 5, 10), 1000, "P1", card="C1", name="欧阳娜娜"),
                      bill(dt.datetime(2024, 5, 6, 10), 3000, "P2", category="顺产", name="王小明"),
                      bill(dt.datetime(2024, 5, 7, 10), 2000, "P3", name="赵六"),
                      bill(dt.datetime(2024, 5, 8, 10), 50, "P7", card="NOPE", name="无名"),   # R20
                      bill(dt.datetime(2024, 5, 9, 10), 300, "P9", name="路人"),               # walk-in
                      bill(dt.datetime(2024, 5, 10, 10), -100, "P1", card="C1", name="欧阳娜娜")],
             adjust=[{"工号": "S001", "类型": "奖励", "金额": 88, "事由": "表扬", "批准人": "刘主任"}])
    # Two copies, settled by two processes with different hash seeds (set/dict order must not matter).
    roots = [tmp_path / "a", tmp_path / "b"]
    for root in roots:
        shutil.copytree(ws.root, root)
    procs = [spawn(settle_cmd(root, MONTH, "--quiet"), env={**os.environ, "PYTHONHASHSEED": seed})
             for root, seed in zip(roots, ("1", "2"))]
    for p in procs:
        assert p.wait(timeout=SUBPROCESS_TIMEOUT) == 0, p.communicate()
    a, b = (out_dir(root) for root in roots)
    data = [json.loads((o / "settlement.json").read_text(encoding="utf-8")) for o in (a, b)]
    assert data[0]["violations"] and data[0]["rebates"]          # the month exercises every sheet
    assert _cells(a) == _cells(b)
    for d in data:
        for key in VOLATILE:
            d.pop(key)
    assert data[0] == data[1]


# --- 11. 运行信息 and settlement.json record the run ------------------------------------------------

def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_info_records_version_user_host_time_hashes_and_policy(ws):
    ws.staff([person("S001", "王芳")])
    ws.month("2024-04", regs=[reg(dt.datetime(2024, 4, 2, 9), "王芳", "P0")],
             billing=[bill(dt.datetime(2024, 4, 5, 10), 500, "P0")])
    ws.month(MONTH, regs=[reg(dt.datetime(2024, 5, 2, 9), "王芳", "P1")],
             billing=[bill(dt.datetime(2024, 5, 5, 10), 1000, "P1")],
             adjust=[{"工号": "S001", "类型": "奖励", "金额": 10, "事由": "表扬", "批准人": "刘主任"}])
    # The workspace's own rules, with two parameters changed from the shipped default.
    rules = ws.root / "rules" / "default.yaml"
    rules.parent.mkdir()
    text = (Path(__file__).resolve().parent.parent / "src/settle/default_rules/default.yaml").read_text(encoding="utf-8")
    text = text.replace("    amount: 1500\n", "    amount: 1600\n", 1)
    text = text.replace("performance_warning: 10000", "performance_warning: 12345", 1)
    rules.write_text(text, encoding="utf-8")

    t0 = dt.datetime.now().replace(microsecond=0)
    r = run(ws.root, MONTH, "--quiet")
    t1 = dt.datetime.now()
    assert r.exit_code == 0, r.output
    res = Result(r, ws.root, MONTH)
    data = res.data
    assert res.amount("S001", "base") == "80.00"       # 1600 × 1000/20000: the parameters were used

    # settlement.json
    user, host = getpass.getuser(), socket.gethostname()
    assert data["tool"] == "settle" and data["version"] == __version__
    assert data["user"] == user and data["host"] == host
    generated = dt.datetime.fromisoformat(data["generated_at"])
    assert t0 <= generated <= t1
    read = ["staff.xlsx", "2024-04/登记表.xlsx", "2024-04/收费明细.xlsx",
            f"{MONTH}/登记表.xlsx", f"{MONTH}/收费明细.xlsx", f"{MONTH}/日报.xlsx", f"{MONTH}/调整.xlsx"]
    for name in read:
        assert data["inputs"].get(name) == _sha(ws.root / name), name
    for name, digest in data["inputs"].items():
        assert digest == _sha(ws.root / name), name
    assert data["rules"]["source"] == "workspace"
    assert data["rules"]["files"] == {"rules/default.yaml": _sha(rules)}
    policy = data["rules"]["policy"]
    assert str(policy["violations"]["performance_warning"]) == "12345"
    base = [p for p in policy["pay"] if p["id"] == "base"][0]
    assert str(base["amount"]) == "1600"

    # 运行信息
    wb = openpyxl.load_workbook(out_dir(ws.root) / "部门汇总.xlsx")
    rows = [tuple(r) for r in wb["运行信息"].iter_rows(values_only=True)]
    info = {k: v for k, v in rows if k}
    assert info["工具"] == f"settle {__version__}"
    assert info["操作人"] == f"{user}@{host}"
    assert info["运行时间"] == data["generated_at"]
    for name in list(data["inputs"]) + ["rules/default.yaml"]:
        assert info[f"SHA-256 {name}"] == _sha(ws.root / name), name
    assert set(read) <= {k[len("SHA-256 "):] for k in info if k.startswith("SHA-256 ")}
    keys = [k for k, _ in rows]
    params = "\n".join(v for k, v in rows[keys.index("规则参数") + 1:] if not k and v)
    dumped = yaml.safe_load(params)
    assert str(dumped["violations"]["performance_warning"]) == "12345"
    assert str([p for p in dumped["pay"] if p["id"] == "base"][0]["amount"]) == "1600"
    assert dumped == policy                            # the sheet and the JSON record the same parameters


def test_R41_records_and_verifies_the_earlier_settlements_it_read(ws):
    """The earlier months' settlement.json files R41 stood on are hashed like inputs (运行信息,
    settlement.json) and `verify` names one that changed since."""
    import hashlib
    ws.staff([person("W1", "老甲")])
    for m, day, amount in (("2024-03", 20, 5000), ("2024-04", 10, 8000), ("2024-05", 10, 9000)):
        ws.month(m, **monthly(m, day, {"W1": amount}))
    for m in ("2024-03", "2024-04", "2024-05"):
        assert run(ws.root, m).exit_code == 0
    april = out_dir(ws.root, "2024-04") / "settlement.json"
    may = json.loads((out_dir(ws.root, "2024-05") / "settlement.json").read_text(encoding="utf-8"))
    assert may["inputs"]["output/2024-04/settlement.json"] == hashlib.sha256(april.read_bytes()).hexdigest()
    assert "output/2024-03/settlement.json" in may["inputs"]
    assert "output/2024-04/settlement.json" in _sheet_text(out_dir(ws.root, "2024-05") / "部门汇总.xlsx", "运行信息")
    assert invoke("verify", "2024-05", "--workspace", str(ws.root)).exit_code == 0
    april.write_text(april.read_text(encoding="utf-8").replace("\n", "\r\n"), encoding="utf-8")  # same figures
    r = invoke("verify", "2024-05", "--workspace", str(ws.root))
    assert r.exit_code == 1 and "output/2024-04/settlement.json" in r.output, r.output
