"""The Windows surface (SPEC §13, §8; issue 28.5), forced or simulated on Linux.

- any console or pipe encoding prints every message, and a printing error never changes the exit
  code of a month already published (PYTHONIOENCODING=gbk, cp936, ascii; a closed pipe);
- settle.yaml and rules read as UTF-8 (with or without BOM) or GB18030, saying which;
- one replace helper: a brief retry on a sharing violation, its temp file removed, the real file
  held open named;
- the month lock's no-OS-lock fallback on EINVAL (what Windows' C runtime says), a Windows
  liveness test; the deepest history/ path checked against Windows' 260 characters.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLES

MONTH = "2024-05"


# --- a. any console encoding -------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("win") / "ws"
    shutil.copytree(SAMPLES, root, ignore=shutil.ignore_patterns("output", ".settle*"))
    return root


def settle_cli(root: Path, *args: str, encoding: str, **popen):
    """settle in a child process whose stdout and stderr have `encoding` (PYTHONIOENCODING), as
    a .bat writing to a file, a PowerShell pipe or a scheduled task gets on a Chinese PC."""
    env = {**os.environ, "PYTHONIOENCODING": encoding, "COLUMNS": "120"}
    cmd = [sys.executable, "-c", "import sys; from settle.cli import main; main(sys.argv[1:])",
           *args, MONTH, "--workspace", str(root)]
    return subprocess.run(cmd, env=env, capture_output=True, timeout=600, **popen)


def readable(done, encoding: str) -> str:
    """Everything printed decodes in the stream's own encoding (strict) and is no crash."""
    text = (done.stdout + done.stderr).decode(encoding)
    assert "内部错误" not in text and "Traceback" not in text and "UnicodeEncodeError" not in text, text
    return text


def test_gbk_cp936_and_ascii_consoles_print_everything_with_the_utf8_exit_codes(sample):
    """run 0, verify 0, check-cards 1 (the sample month's planted findings) in UTF-8; the same
    codes in GBK, cp936 and ASCII, the characters they lack replaced (› → >, ✓ → √ or OK)."""
    utf8 = {cmd: settle_cli(sample, cmd, encoding="utf-8") for cmd in ("run", "verify", "check-cards")}
    assert {cmd: d.returncode for cmd, d in utf8.items()} == {"run": 0, "verify": 0, "check-cards": 1}
    assert "›" in readable(utf8["run"], "utf-8") and "✓" in readable(utf8["verify"], "utf-8")

    gbk = {cmd: settle_cli(sample, cmd, encoding="gbk") for cmd in ("run", "verify", "check-cards")}
    assert {cmd: d.returncode for cmd, d in gbk.items()} == {c: d.returncode for c, d in utf8.items()}
    run = readable(gbk["run"], "gbk")
    assert "收费明细_下半月.csv > 第 1851 行" in run and "102,376.95" in run and "4,655.37" in run
    assert "平衡 √" in run and "√" in readable(gbk["verify"], "gbk")
    assert "撞单" in readable(gbk["check-cards"], "gbk")

    cp936 = settle_cli(sample, "run", encoding="cp936")
    assert cp936.returncode == 0 and "102,376.95" in readable(cp936, "cp936")
    for cmd, code in (("verify", 0), ("check-cards", 1)):
        done = settle_cli(sample, cmd, encoding="ascii")
        assert done.returncode == code, readable(done, "ascii")
        assert "OK" in readable(done, "ascii") if cmd == "verify" else True


def test_a_closed_pipe_does_not_change_the_exit_code_of_a_published_month(sample):
    """`settle run … | findstr 合计` whose reader went away: the month is published, exit 0."""
    before = (sample / "output" / MONTH / "settlement.json").stat().st_mtime_ns \
        if (sample / "output" / MONTH / "settlement.json").exists() else 0
    env = {**os.environ, "PYTHONIOENCODING": "gbk"}
    child = subprocess.Popen([sys.executable, "-c", "import sys; from settle.cli import main; main(sys.argv[1:])",
                              "run", MONTH, "--workspace", str(sample)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()                       # the reader is gone before anything is printed
    err = child.stderr.read().decode("gbk")
    assert child.wait(timeout=600) == 0, err
    assert (sample / "output" / MONTH / "settlement.json").stat().st_mtime_ns > before
    assert "Traceback" not in err and "内部错误" not in err


@pytest.mark.parametrize("char, encoding, printed", [
    ("›", "gbk", ">"), ("✓", "gbk", "√"), ("✓", "ascii", "OK"), ("✗", "gbk", "×"), ("✗", "ascii", "x"),
    ("…", "ascii", "..."), ("¥", "gbk", "￥"), ("┃", "ascii", "|"), ("━", "ascii", "-"), ("╇", "ascii", "+"),
    ("Ａ", "ascii", "A"), ("𠮷", "gbk", "??"), ("王", "ascii", "??"),
])
def test_a_character_the_encoding_lacks_is_printed_as_the_nearest_it_has(char, encoding, printed):
    from settle.streams import ERRORS, nearest
    assert nearest(char, encoding) == printed
    assert f"1{char}2".encode(encoding, ERRORS) == f"1{printed}2".encode(encoding)


def test_only_what_the_encoding_lacks_is_replaced():
    from settle.streams import ERRORS
    assert "王芳 › 第 3 行 ✓ …".encode("gbk", ERRORS).decode("gbk") == "王芳 > 第 3 行 √ …"


def test_a_stream_that_fails_is_silenced_not_raised():
    from settle.streams import GuardedStream

    class Gone(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")
    stream = GuardedStream(Gone())
    assert stream.write("结算结果\n") == 5 and stream.broken
    stream.write("more")
    stream.flush()
    ok = GuardedStream(io.StringIO())
    ok.write("平衡 ✓")
    assert ok.getvalue() == "平衡 ✓" and not ok.broken


# --- b. settle.yaml and rules as Notepad saves them ----------------------------------------------

def _codes(problems) -> list[tuple]:
    return [(p.code, p.severity, p.file) for p in problems.in_order()]


@pytest.mark.parametrize("encoding, said", [("utf-8", None), ("utf-8-sig", None), ("gb18030", "GB18030"),
                                            ("gbk", "GB18030"), ("utf-16", "UTF-16")])
def test_settle_yaml_reads_as_utf8_with_or_without_bom_or_gb18030_saying_which(tmp_path, encoding, said):
    from settle.load.workspace import load_config
    from settle.problems import Problems
    path = tmp_path / "settle.yaml"
    path.write_bytes("hospital: 仁和医院\ndepartment: 市场部\n".encode(encoding))
    problems = Problems()
    config = load_config(path, problems)
    assert (config.hospital, config.department) == ("仁和医院", "市场部")
    assert _codes(problems) == ([("config_encoding", "info", "settle.yaml")] if said else [])
    if said:
        assert problems.in_order()[0].text("zh").startswith(f"按 {said} 编码读取")


def test_a_rules_file_saved_as_ansi_is_read_and_named(tmp_path):
    from settle.problems import Problems
    from settle.rules import default_rules_dir, load_version
    text = (default_rules_dir() / "default.yaml").read_text(encoding="utf-8")
    (tmp_path / "default.yaml").write_bytes(text.encode("gb18030"))
    problems = Problems()
    version = load_version(tmp_path / "default.yaml", problems)
    reference = load_version(default_rules_dir() / "default.yaml", Problems())
    assert version is not None and version.policy == reference.policy   # the same policy, 中文 names included
    assert _codes(problems) == [("config_encoding", "info", "default.yaml")]


def test_undecodable_settings_and_rules_are_errors_naming_the_file(tmp_path):
    from settle.load.workspace import load_config
    from settle.problems import Problems
    from settle.rules import load_version
    (tmp_path / "settle.yaml").write_bytes(b"hospital: \x80\x80\n")
    (tmp_path / "rules.yaml").write_bytes(b"name: \xff\xff\n")
    problems = Problems()
    load_config(tmp_path / "settle.yaml", problems)
    assert load_version(tmp_path / "rules.yaml", problems) is None
    assert _codes(problems) == [("config_undecodable", "error", "rules.yaml"),
                                ("config_undecodable", "error", "settle.yaml")]
    assert "另存为 UTF-8" in problems.in_order()[0].text("zh") and "Notepad" in problems.in_order()[0].text("en")


# --- c. one replace helper ----------------------------------------------------------------------

def sharing_violation(src, dst, winerror: int = 32):
    exc = PermissionError(13, "The process cannot access the file because it is being used by another process",
                          str(src), winerror, str(dst))
    exc.winerror = winerror   # set on every platform (OSError only keeps it on Windows)
    return exc


@pytest.fixture
def flaky_replace(monkeypatch):
    """os.replace failing with a sharing violation for the first `times[dst]` calls on dst."""
    import settle.replace
    monkeypatch.setattr(settle.replace, "DELAY", 0.001)
    real, times, calls = os.replace, {}, []

    def replace(src, dst):
        calls.append(Path(dst))
        key = Path(dst)
        if times.get(key, 0) > 0:
            times[key] -= 1
            raise sharing_violation(src, dst, times.get(("winerror", key), 32))
        return real(src, dst)
    monkeypatch.setattr(settle.replace.os, "replace", replace)
    return times, calls


def test_a_brief_sharing_violation_is_retried_and_the_file_replaced(tmp_path, flaky_replace):
    """An antivirus scan holding the new file three times: the fourth try replaces it."""
    from settle.replace import replace
    times, calls = flaky_replace
    tmp, final = tmp_path / ".卡片检查.xlsx.tmp", tmp_path / "卡片检查.xlsx"
    tmp.write_bytes(b"new")
    final.write_bytes(b"old")
    times[final] = 3
    replace(tmp, final, temp=True)
    assert final.read_bytes() == b"new" and not tmp.exists() and calls == [final] * 4


@pytest.mark.parametrize("winerror", [32, 33, 5])
def test_a_file_held_open_is_named_and_the_temp_file_removed(tmp_path, flaky_replace, winerror):
    from settle.replace import HeldOpen, replace
    times, calls = flaky_replace
    tmp, final = tmp_path / ".对比_plan_a.xlsx.tmp", tmp_path / "对比_plan_a.xlsx"
    tmp.write_bytes(b"new")
    final.write_bytes(b"old")
    times[final], times[("winerror", final)] = 99, winerror
    with pytest.raises(HeldOpen) as held:
        replace(tmp, final, temp=True)
    assert held.value.path == final and final.read_bytes() == b"old" and not tmp.exists()
    assert len(calls) == 6       # tried for 0.1 + 0.2 + … + 0.5 s with the real delay
    assert held.value.text("zh") == (f"无法替换 {final}：文件正在被其他程序（如 Excel/WPS）使用。请关闭 Excel/WPS 中的这个文件"
                                     "后重试；原有输出未改动。")


def test_access_denied_on_a_new_file_is_a_permission_problem_not_excel(tmp_path, flaky_replace):
    from settle.replace import replace
    times, _ = flaky_replace
    tmp, final = tmp_path / ".x.tmp", tmp_path / "x.xlsx"
    tmp.write_bytes(b"new")
    times[final], times[("winerror", final)] = 99, 5
    with pytest.raises(PermissionError):
        replace(tmp, final, temp=True)
    assert not tmp.exists()


def test_a_folder_that_cannot_move_names_the_workbook_excel_holds(tmp_path):
    """Excel keeps ~$部门汇总.xlsx beside the workbook it has open: that workbook is named, not the folder."""
    from settle.replace import held_file
    month = tmp_path / "2024-05"
    (month / "工资条").mkdir(parents=True)
    for name in ("部门汇总.xlsx", "工资条/S001_王芳.xlsx", "工资条/~$S001_王芳.xlsx"):
        (month / name).write_bytes(b"x")
    assert held_file(month, tmp_path / ".previous-2024-05") == month / "工资条" / "S001_王芳.xlsx"
    (month / "工资条" / "~$S001_王芳.xlsx").unlink()
    assert held_file(month, tmp_path / ".previous-2024-05") == month      # nothing else to name


def test_simulate_with_its_comparison_open_in_excel_says_to_close_it(tmp_path, flaky_replace):
    """Replacing 对比_….xlsx open in Excel is access denied (winerror 5) on Windows: the clerk
    reads "close it in Excel", never "ask an administrator", and no temp file is left."""
    from builders import Workspace, monthly, team
    from conftest import invoke
    from settle.rules import default_rules_dir
    times, _ = flaky_replace
    ws = Workspace(tmp_path / "ws")
    ws.staff(team())
    ws.month(MONTH, **monthly(MONTH, 10, {"S1": 30000, "S2": 10000}))
    other = default_rules_dir() / "default.yaml"
    args = ("simulate", MONTH, "--rules", str(other), "--workspace", str(ws.root))
    assert invoke(*args).exit_code == 0
    book = ws.root / "output" / "simulations" / MONTH / "对比_default.xlsx"
    times[book], times[("winerror", book)] = 99, 5
    r = invoke(*args)
    text = " ".join(r.output.split())
    assert r.exit_code == 2, r.output
    assert "对比_default.xlsx" in text and "关闭 Excel/WPS 中的这个文件" in text and "管理员" not in text
    assert sorted(p.name for p in book.parent.iterdir()) == ["对比_default.xlsx"]


# --- d. the month lock on a Windows share without OS locks -----------------------------------------

class FakeKernel32:
    """kernel32 as OpenProcess/GetExitCodeProcess/CloseHandle answer for `processes`:
    pid → exit code (259 STILL_ACTIVE while it runs), or "denied" (another user's process)."""

    def __init__(self, processes: dict):
        self.processes, self.error, self.closed = processes, 0, []

    def OpenProcess(self, access, inherit, pid):
        state = self.processes.get(pid)
        if state is None or state == "denied":
            self.error = 87 if state is None else 5   # ERROR_INVALID_PARAMETER: no such process
            return 0
        return 1000 + pid

    def GetExitCodeProcess(self, handle, ref):
        ref._obj.value = self.processes[handle - 1000]
        return 1

    def CloseHandle(self, handle):
        self.closed.append(handle)


def test_the_windows_liveness_test_reads_the_exit_code():
    from settle.processes import alive_windows
    k = FakeKernel32({4242: 259, 4343: 0, 4444: "denied"})
    assert alive_windows(4242, k, lambda: k.error) is True          # STILL_ACTIVE
    assert alive_windows(4343, k, lambda: k.error) is False         # exited with 0
    assert alive_windows(4444, k, lambda: k.error) is True          # exists, another user's
    assert alive_windows(4545, k, lambda: k.error) is False         # no such process
    assert k.closed == [5242, 5343]


@pytest.fixture
def windows_share(monkeypatch):
    """Windows forced: no fcntl, msvcrt.locking answering EINVAL (a share without locks), the
    liveness test through a fake kernel32 (this process alive)."""
    import errno
    import settle.output.lock as lock
    import settle.processes as processes

    class NoLocks:
        LK_NBLCK, LK_UNLCK = 2, 0

        @staticmethod
        def locking(fd, mode, n):
            raise OSError(errno.EINVAL, "Invalid argument")
    kernel32 = FakeKernel32({})
    monkeypatch.setattr(lock, "fcntl", None)
    monkeypatch.setattr(lock, "msvcrt", NoLocks)
    monkeypatch.setattr(processes, "WINDOWS", True)
    real = processes.alive_windows
    monkeypatch.setattr(processes, "alive_windows", lambda pid: real(pid, kernel32, lambda: kernel32.error))
    return kernel32


def test_einval_from_windows_falls_back_to_the_held_file(tmp_path, windows_share):
    import json
    import socket
    from settle.output.lock import LockHeld, MonthLock
    with MonthLock(tmp_path, MONTH) as first:
        assert first.mode == "file"
        holder = json.loads(first.held.read_text(encoding="utf-8"))
        assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
        with pytest.raises(LockHeld):
            MonthLock(tmp_path, MONTH).__enter__()
    assert not first.held.exists()


def test_a_dead_runs_held_file_is_taken_over_a_live_ones_is_not_windows_liveness(tmp_path, windows_share):
    import json
    import socket
    from settle.output.lock import LockHeld, MonthLock
    held = tmp_path / f".settle-{MONTH}.lock.held"
    held.write_text(json.dumps({"user": "lihua", "host": socket.gethostname(), "pid": 7777,
                                "since": "2024-06-01T09:00:00"}), encoding="utf-8")
    windows_share.processes[7777] = 259                         # still running: refused
    with pytest.raises(LockHeld) as info:
        MonthLock(tmp_path, MONTH).__enter__()
    assert info.value.holder["user"] == "lihua" and not info.value.stale
    windows_share.processes[7777] = 1                           # exited: taken over
    with MonthLock(tmp_path, MONTH) as lock:
        assert json.loads(lock.held.read_text(encoding="utf-8"))["pid"] == os.getpid()


def test_another_lock_error_names_the_lock_file(tmp_path, monkeypatch):
    import errno
    import settle.output.lock as lock
    from settle.faults import from_os_error

    class Broken:
        LK_NBLCK, LK_UNLCK = 2, 0

        @staticmethod
        def locking(fd, mode, n):
            raise OSError(errno.EIO, "Input/output error")
    monkeypatch.setattr(lock, "fcntl", None)
    monkeypatch.setattr(lock, "msvcrt", Broken)
    with pytest.raises(OSError) as info:
        lock.MonthLock(tmp_path, MONTH).__enter__()
    text = from_os_error(info.value).text("zh")
    assert str(tmp_path / f".settle-{MONTH}.lock") in text and "读写  失败" not in text


# --- e. long paths ------------------------------------------------------------------------------

def test_the_deepest_history_path_is_checked_before_publishing(tmp_path, monkeypatch):
    """A workspace so deep that output/2024-05/工资条/S001_王芳.xlsx still opens on Windows but
    its copy at the next rerun, history/<stamp>/工资条/S001_王芳.xlsx (19 + 8 characters more),
    would not: refused before anything moves, naming that path and what to do."""
    import datetime as dt
    import settle.output.publish as publish
    from builders import Workspace, bill, person, reg
    from conftest import invoke
    monkeypatch.setattr(publish, "on_windows", lambda: True)
    tail = len("/output/2024-05/工资条/S001_王芳.xlsx")
    deep = tmp_path / ("d" * (publish.WINDOWS_MAX_PATH - len(str(tmp_path)) - tail - 12))
    ws = Workspace(deep)
    assert len(str(deep)) + tail < publish.WINDOWS_MAX_PATH < len(str(deep)) + tail + len("/history/") + 18
    ws.staff([person("S001", "王芳")])
    ws.month(MONTH, regs=[reg(dt.datetime(2024, 5, 2, 9), "王芳", "P1")],
             billing=[bill(dt.datetime(2024, 5, 5, 10), 1000, "P1", record="0000101")])
    r = invoke("run", MONTH, "--workspace", str(ws.root))
    text = "".join(r.output.split())
    assert r.exit_code == 2, r.output
    assert "路径太长" in text and "/history/20240601-093000-99/" in text and "启用Windows长路径支持" in text
    assert not (ws.root / "output" / MONTH).exists()
    assert [p.name for p in (ws.root / "output").iterdir()] == []                   # no staging left
    monkeypatch.setattr(publish, "on_windows", lambda: False)
    assert invoke("run", MONTH, "--workspace", str(ws.root)).exit_code == 0


def test_a_unc_path_is_measured_whole(tmp_path):
    """A share's (UNC) path counts every character, like a drive letter's path."""
    from settle.faults import Fault
    from settle.output.publish import check_path_lengths
    from pathlib import PureWindowsPath
    stage = tmp_path / "stage"
    (stage / "工资条").mkdir(parents=True)
    (stage / "工资条" / "S001_王芳.xlsx").write_bytes(b"")
    share = PureWindowsPath(r"\\finance-nas\工资") / ("市场部" * 70) / "output" / MONTH
    assert len(str(share)) > 200
    with pytest.raises(Fault) as info:
        check_path_lengths(stage, Path(str(share).replace("\\", "/")))
    assert info.value.code == "windows_path_too_long" and "finance-nas" in info.value.text()


def test_no_name_a_run_writes_holds_a_colon(sample):
    """Windows opens no file or folder whose name holds ':' (history stamps included)."""
    from settle.api import settle_month
    while not (sample / "output" / MONTH / "history").is_dir():   # settled twice (the console test did)
        assert settle_month(sample, MONTH).status == "ok"
    names = [p.name for p in (sample / "output").rglob("*")]
    assert names and not [n for n in names if ":" in n]
    assert any(p.parent.name == "history" for p in (sample / "output").rglob("*"))
