"""`settle serve` (SPEC §13): every action of the page on a copy of samples/, through Flask's
test client — the token, Host and Origin checks, one action per month, the month's lock held by
another run, the downloads kept inside the output folder, an English page without Chinese
(data aside) — and the launchers `settle init` writes, and `python -m settle`."""

from __future__ import annotations

import html.parser
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import SAMPLES, invoke

from settle.serve.actions import ACTIONS, Action
from settle.serve.app import Settings, create_app
from settle.output.launcher import CMD, SH, launchers, write_launchers
from settle.serve.texts import EN, ZH

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from lang_scan import data_values, wrong_language  # noqa: E402

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
MONTH = "2024-05"


class Page:
    """The page of one workspace, driven like the browser drives it (token, Origin, polling)."""

    def __init__(self, root: Path, lang: str = "zh"):
        self.root = root
        self.opened: list[Path] = []
        self.settings = Settings(root, lang, port=PORT, opener=self.opened.append)
        self.app = create_app(self.settings)
        self.client = self.app.test_client()

    def get(self, url: str = "/", headers=None, **params):
        params.setdefault("token", self.settings.token)
        return self.client.get(url, query_string=params, base_url=BASE, headers=headers or {})

    def post(self, url: str, headers=None, **form):
        form.setdefault("token", self.settings.token)
        form.setdefault("workspace", str(self.root))
        return self.client.post(url, data=form, base_url=BASE, headers={"Origin": BASE, **(headers or {})})

    def wait(self, month: str = MONTH):
        deadline = time.monotonic() + 300
        while self.get("/status", workspace=str(self.root), month=month).json["running"]:
            assert time.monotonic() < deadline, "the action did not finish"
            time.sleep(0.05)
        return self.app.config["JOBS"].get(self.root, month)

    def act(self, action: str, month: str = MONTH, **fields):
        r = self.post("/action", action=action, month=month, **fields)
        assert r.status_code == 202, r.json
        return self.wait(month).report

    def html(self, month: str = MONTH) -> str:
        r = self.get("/", workspace=str(self.root), month=month)
        assert r.status_code == 200
        return r.get_data(as_text=True)


def lines(report) -> list[str]:
    return [b.text for b in report.blocks if b.kind == "line"]


def grid(report, title: str):
    return next(b for b in report.blocks if b.kind == "grid" and b.title == title)


def copy_samples(root: Path) -> Path:
    shutil.copytree(SAMPLES, root, ignore=shutil.ignore_patterns("output", ".settle*"))
    return root


@pytest.fixture(scope="module")
def settled(tmp_path_factory):
    """A copy of samples/ settled from the page (the run action), and its report."""
    page = Page(copy_samples(tmp_path_factory.mktemp("serve") / "ws"))
    return page, page.act("run")


# --- the actions ------------------------------------------------------------------------------

def test_validate_lists_each_problem_with_its_place_as_json_does(tmp_path):
    """SPEC §8: the R25 rows, each with file › sheet › row › column; the terminal's catalogue text."""
    page = Page(copy_samples(tmp_path / "ws"))
    report = page.act("validate")
    assert report.code == 2 and report.tone == "error"      # the samples plant two unknown salespeople (R25)
    r25 = [(p["where"], p["value"], p["message"]) for p in report.problems if p["code"] == "unknown_staff"]
    assert r25 == [("2024-05/登记表_2024-05.xlsx › 5月登记 › 第 218 行 › 业务员（B列）", "李小龙",
                    "业务员 \"李小龙\" 在人员名单中不存在或同名多人（R25）"),
                   ("2024-05/登记表_2024-05.xlsx › 5月登记 › 第 313 行 › 业务员（B列）", "陈晓东",
                    "业务员 \"陈晓东\" 在人员名单中不存在或同名多人（R25）")]
    assert report.problems[0]["severity"] == "error"       # errors first, as on the terminal
    assert report.counts.startswith("共 2 个错误")
    text = page.html()
    # the filters offer each level, file and code present, and each row carries them
    assert '<option value="error">错误</option>' in text and "<option>unknown_staff</option>" in text
    assert 'data-severity="error" data-file="2024-05/登记表_2024-05.xlsx" data-code="unknown_staff"' in text
    assert "2024-05/登记表_2024-05.xlsx › 5月登记 › 第 218 行 › 业务员（B列）" in text


def test_run_shows_the_result_table_progress_and_outputs(settled):
    """The per-person table and totals of the terminal's run summary (R39), the api's steps."""
    page, report = settled
    assert report.code == 0, lines(report)
    t = grid(report, "2024-05 结算结果")
    assert t.headers == ["工号", "姓名", "角色", "业绩", "应发合计"]
    assert ["S002", "张伟", "主管", "66,051.21", "4,655.37"] in t.rows
    assert t.rows[-1] == ["合计", "", "", "", "102,376.95"] and t.totals == {len(t.rows) - 1}
    assert t.numeric == [False, False, False, True, True]
    assert any(line.startswith("核对：本月结算 ") and line.endswith("平衡 ✓") for line in lines(report))
    job = page.app.config["JOBS"].get(page.root, MONTH)
    assert job.steps == ["读取输入", "计算", "写出", "业绩明细", "工资条与汇总", "发布"]
    text = page.html()
    assert "102,376.95" in text and "结算：" in text and "已结算" in text
    assert "部门汇总.xlsx" in text and "工资条（16 个文件）" in text


def test_outputs_download_from_the_output_folder_only(settled):
    page, _ = settled
    r = page.get("/file", workspace=str(page.root), path="2024-05/部门汇总.xlsx")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    assert r.data == (page.root / "output/2024-05/部门汇总.xlsx").read_bytes()
    for outside in ("../staff.xlsx", str(page.root / "staff.xlsx"), "/etc/passwd", "2024-05/../../settle.yaml"):
        assert page.get("/file", workspace=str(page.root), path=outside).status_code == 404, outside


def test_a_month_that_is_not_a_month_lists_nothing(settled):
    """`month=../..` must not list a folder outside the output folder."""
    page, _ = settled
    text = page.html("../..")
    assert "\"../..\" 不是月份，应为 YYYY-MM" in text.replace("&#34;", '"') and "settle.yaml" not in text
    elsewhere = page.root.parent / "notes"                      # not a workspace, with an output/ folder
    (elsewhere / "output").mkdir(parents=True, exist_ok=True)
    (elsewhere / "output" / "private.txt").write_text("x", encoding="utf-8")
    assert page.get("/file", workspace=str(elsewhere), path="private.txt").status_code == 404


def test_open_calls_the_computers_opener_inside_the_output_folder_only(settled):
    page, _ = settled
    r = page.post("/open", path="2024-05")
    assert r.status_code == 200 and r.json["message"] == "已打开 2024-05"
    r = page.post("/open", path="2024-05/工资条/S007_赵敏.xlsx")
    assert r.status_code == 200
    assert page.opened == [page.root / "output/2024-05", page.root / "output/2024-05/工资条/S007_赵敏.xlsx"]
    assert page.post("/open", path="../staff.xlsx").status_code == 404
    assert page.opened[-1].name == "S007_赵敏.xlsx"


def test_check_cards_lists_the_R20_R26_findings(settled):
    page, _ = settled
    report = page.act("check_cards")
    assert report.code == 1                                  # findings (the planted ones)
    t = grid(report, "2024-05 卡片检查")
    assert t.headers == ["名称", "工号", "姓名", "来源", "卡号", "说明", "申诉结果"]   # SPEC §12: each finding's appeal
    assert {row[0] for row in t.rows} >= {"未登记卡", "重复办卡", "撞单", "人员不存在"}
    assert any(line.startswith(f"共 {len(t.rows)} 项；") for line in lines(report))


def test_explain_a_person_chosen_from_the_roster(settled):
    """S007 赵敏: 19/31 days, probation (R30, R33); 应发合计 2,264.64 as recorded."""
    page, _ = settled
    assert '<option value="S007">S007 赵敏（业务员）</option>' in page.html()
    report = page.act("explain", person="S007")
    assert report.code == 0
    t = grid(report, "工资条")
    assert t.rows[-1][0] == "应发合计" and t.rows[-1][4] == "2,264.64"
    assert ["基本工资", "R30", "1500", "19/31 天", "919.35", "1500 × 19/31"] in t.rows
    bad = page.act("explain", person="S999")
    assert bad.code == 2 and [p["message"] for p in bad.problems] == ["没有找到 S999 的工资条"]


def test_simulate_with_a_shipped_example(settled):
    page, _ = settled
    report = page.act("simulate", rules="example:plan_a.yaml")
    assert report.code == 0, lines(report)
    t = grid(report, "2024-05 方案对比：已结算 → plan_a")
    assert t.headers == ["工号", "姓名", "已结算", "模拟", "差额"]
    assert t.rows[-1][0] == "合计" and t.rows[-1][2] == "102,376.95"
    assert (page.root / "output/simulations/2024-05/对比_plan_a.xlsx").is_file()
    assert "对比_plan_a.xlsx" in page.html()
    # a rules file that is not among the choices is refused before anything runs
    r = page.post("/action", action="simulate", month=MONTH, rules="/etc/passwd")
    assert r.status_code == 400 and r.json["message"] == "“方案”不是可选的值"


def test_verify_a_settled_month(settled):
    page, _ = settled
    report = page.act("verify")
    assert report.code == 0 and lines(report) == ["2024-05：输入、规则、settlement.json 和所有工作簿与记录一致 ✓"]


def test_close_then_run_is_refused_then_reopen_with_a_reason(settled):
    page, _ = settled
    assert 'id="do-close"' in page.html() and 'id="do-reopen"' not in page.html()
    assert page.act("close").code == 0
    text = page.html()
    assert "已关账" in text and 'id="do-reopen"' in text and 'id="do-close"' not in text
    refused = page.act("run")
    assert refused.code == 3 and "已关账" in lines(refused)[0] and refused.tone == "locked"
    r = page.post("/action", action="reopen", month=MONTH)
    assert r.status_code == 400 and r.json["message"] == "请先填写“原因”"
    reopened = page.act("reopen", reason="补录退费")
    assert reopened.code == 0 and lines(reopened) == ["2024-05 已重新打开：补录退费"]


def test_a_run_while_another_holds_the_months_lock_says_who(settled):
    """SPEC §8: the second clerk is told who holds the month; nothing is written."""
    from settle.output.lock import MonthLock, who
    page, _ = settled
    before = (page.root / "output/2024-05/settlement.json").stat().st_mtime_ns
    with MonthLock(page.root, MONTH):
        report = page.act("run")
        closing = page.act("close")
    me = who()
    assert report.code == 3 and report.tone == "locked"
    assert lines(report)[0].startswith(f"2024-05 正在由 {me['user']}@{me['host']} 结算（自 ")
    assert closing.code == 3 and lines(closing)[0].startswith(f"2024-05 正在由 {me['user']}@{me['host']} 使用")
    assert (page.root / "output/2024-05/settlement.json").stat().st_mtime_ns == before
    assert f"正在由 {me['user']}@{me['host']} 使用" in page.html()     # the page shows the last one


def test_one_action_at_a_time_per_month(settled, monkeypatch):
    page, _ = settled
    release = threading.Event()

    def slow(w, con):
        release.wait(30)
        return 0, __import__("settle.problems").problems.Problems()

    monkeypatch.setitem(ACTIONS, "validate", Action("validate", slow))
    assert page.post("/action", action="validate", month=MONTH).status_code == 202
    r = page.post("/action", action="run", month=MONTH)
    assert r.status_code == 409 and r.json["running"] is True
    assert r.json["message"].startswith("2024-05 正在进行“检查输入”")
    assert page.get("/status", workspace=str(page.root), month=MONTH).json["text"] == "正在进行：检查输入"
    assert 'data-running="1"' in page.html()
    release.set()
    assert page.wait().report.code == 0


def test_an_action_that_fails_says_so_without_a_traceback(settled, monkeypatch):
    page, _ = settled

    def broken(w, con):
        raise RuntimeError("boom")

    monkeypatch.setitem(ACTIONS, "verify", Action("verify", broken))
    report = page.act("verify")
    assert report.code == 2 and lines(report)[0] == "内部错误：RuntimeError: boom"
    assert "Traceback" not in page.html()


# --- who may ask ------------------------------------------------------------------------------

def test_requests_without_the_token_are_refused(settled):
    page, _ = settled
    for path in ("/", "/status", "/file", "/static/page.js"):
        assert page.client.get(path, base_url=BASE).status_code == 403, path
        assert page.get(path, token="guess").status_code == 403, path
    r = page.post("/action", action="run", month=MONTH, token="")
    assert r.status_code == 403 and "链接无效" in r.get_data(as_text=True)
    assert page.get("/static/page.js").status_code == 200


def test_other_hosts_are_refused(settled):
    """DNS rebinding: a page of another site that resolves to 127.0.0.1 still sends its own Host."""
    page, _ = settled
    for host in ("evil.example", f"evil.example:{PORT}", "127.0.0.1:9999", f"0.0.0.0:{PORT}"):
        r = page.client.get("/", query_string={"token": page.settings.token}, base_url=f"http://{host}")
        assert r.status_code == 403 and "不被接受" in r.get_data(as_text=True), host
    ok = page.client.get("/", query_string={"token": page.settings.token}, base_url=f"http://localhost:{PORT}")
    assert ok.status_code == 200


def test_cross_site_posts_are_refused(settled):
    page, _ = settled
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "http://127.0.0.1:9999"}, {"Origin": "null"},
                    {"Origin": "", "Referer": "http://evil.example/form"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-site"}):
        r = page.post("/action", headers=headers, action="close", month=MONTH)
        assert r.status_code == 403, headers
        assert page.post("/open", headers=headers, path="2024-05").status_code == 403
    assert not (page.root / "output/2024-05/closed.json").exists() and page.opened[-1:] != [page.root / "output/2024-05"]


# --- one language -----------------------------------------------------------------------------

class _Texts(html.parser.HTMLParser):
    """The visible texts of a page, and the attributes a person reads (title, placeholder, label)."""

    def __init__(self):
        super().__init__()
        self.found, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")
        self.found += [v for k, v in attrs if k in ("title", "placeholder", "aria-label") and v]

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.found.append(data.strip())


def test_the_english_page_has_no_chinese_but_data(tmp_path):
    root = copy_samples(tmp_path / "ws")
    page = Page(root, "en")
    pages = [page.html()]
    for action, fields in (("run", {}), ("check_cards", {}), ("explain", {"person": "S007", "lines": "1"}),
                           ("simulate", {"rules": "example:plan_a.yaml"}), ("verify", {}), ("close", {}),
                           ("reopen", {"reason": "re-run"})):
        assert page.act(action, **fields).code in (0, 1), action
        pages.append(page.html())
    folder = root / "output"
    data = sorted(set(data_values(root)) | {p.name for p in folder.rglob("*")} | {
        p.relative_to(folder).as_posix() for p in folder.rglob("*")} | {
        p.relative_to(folder / MONTH).as_posix() for p in (folder / MONTH).rglob("*")}, key=len, reverse=True)
    texts = [t for text in pages for t in _parse(text)]
    wrong = sorted({t for t in texts if wrong_language(t, "en", data)})
    assert not wrong, wrong[:20]
    assert "Total pay" in " ".join(texts) and "Run" in texts       # the scan reads the page
    zh = [t for t in _parse(Page(root).html()) if wrong_language(t, "en", data)]
    assert "结算" in zh                                               # …and can fail


def _parse(text: str) -> list[str]:
    p = _Texts()
    p.feed(text)
    return p.found


def test_both_dictionaries_have_the_same_texts_and_english_has_no_chinese():
    assert ZH.keys() == EN.keys()
    assert not [k for k, v in EN.items() if any("\u3400" <= ch <= "\u9fff" or "\uff01" <= ch <= "\uff5e" for ch in v)]
    assert {f"action.{name}" for name in ACTIONS} <= ZH.keys() and {f"hint.{name}" for name in ACTIONS} <= ZH.keys()


# --- starting without a terminal --------------------------------------------------------------

def test_init_writes_the_launchers(tmp_path):
    target = tmp_path / "新工作目录"
    r = invoke("init", str(target))
    assert r.exit_code == 0, r.output
    assert "打开结算.cmd" in r.output
    cmd = (target / "打开结算.cmd").read_bytes()
    assert cmd == CMD.encode("utf-8") and not cmd.startswith(b"\xef\xbb\xbf")   # a BOM would break @echo off
    if sys.platform != "win32":
        sh = target / ("打开结算.command" if sys.platform == "darwin" else "打开结算.sh")
        assert sh.read_text(encoding="utf-8") == SH and os.access(sh, os.X_OK)


def test_the_windows_launcher_starts_the_page_and_stays_open_on_failure():
    lines_ = CMD.split("\r\n")
    assert lines_[:2] == ["@echo off", "chcp 65001 >nul"] and "\n" not in CMD.replace("\r\n", "")
    assert all(line.isascii() for line in lines_[:lines_.index(":failed")])   # before chcp takes effect: ASCII
    assert 'cd /d "%~dp0"' in lines_                                           # its own folder
    assert "settle serve --workspace ." in lines_ and "py -m settle serve --workspace ." in lines_
    failed = lines_[lines_.index(":failed"):]
    assert "pause" in failed and any("结算页面没有启动" in line for line in failed)
    assert lines_.index("if errorlevel 1 goto failed") < lines_.index(":failed")


def test_the_unix_launcher_starts_the_page_and_waits_on_failure(tmp_path):
    assert SH.startswith("#!/bin/sh\n") and 'cd "$(dirname "$0")"' in SH
    assert "settle serve --workspace ." in SH and "python3 -m settle serve --workspace ." in SH
    assert "read -r _" in SH and "结算页面没有启动" in SH
    assert set(launchers("darwin")) == {"打开结算.cmd", "打开结算.command"}
    assert set(launchers("linux")) == {"打开结算.cmd", "打开结算.sh"}
    assert set(launchers("win32")) == {"打开结算.cmd"}
    # run for real, with no settle anywhere on PATH: the message, then it waits for Enter
    write_launchers(tmp_path, "linux")
    done = subprocess.run(["/bin/sh", str(tmp_path / "打开结算.sh")], input="\n", capture_output=True, text=True,
                          env={"PATH": "/nonexistent"}, timeout=30)
    assert done.returncode != 0 and "结算页面没有启动" in done.stdout and "按回车键关闭窗口" in done.stdout


def test_python_m_settle_runs_the_command_line():
    done = subprocess.run([sys.executable, "-m", "settle", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == f"settle {__import__('settle').__version__}"


def test_no_arguments_on_a_console_asks_for_the_month_and_waits(tmp_path, monkeypatch):
    """A double-click: Enter takes last month; the run's exit code; Enter again closes the window."""
    import datetime as dt
    from settle.serve.desk import desk
    monkeypatch.chdir(copy_samples(tmp_path / "ws"))
    monkeypatch.delenv("SETTLE_WORKSPACE", raising=False)
    asked, ran, said = [], [], []
    answers = iter(["2024-5", "", ""])

    def ask(prompt):
        asked.append(prompt)
        return next(answers)

    code = desk(lambda args: ran.append(args) or 0, ask=ask, echo=said.append, today=dt.date(2024, 6, 15))
    assert code == 0 and ran == [["run", "2024-05"]]
    assert asked == ["要结算的月份（直接回车 = 2024-05；输入 w 打开结算页面）："] * 2 + ["按回车键关闭窗口……"]
    assert said[1] == "\"2024-5\" 不是月份，应为 YYYY-MM，如 2024-05"
    ran.clear()
    answers = iter(["w", ""])
    assert desk(lambda args: ran.append(args) or 0, ask=ask, echo=said.append) == 0 and ran == [["serve"]]


def test_no_arguments_without_a_console_prints_help_as_before():
    done = subprocess.run([sys.executable, "-m", "settle"], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0 and "Usage" in done.stdout and "serve" in done.stdout


def test_diff_is_offered_exactly_when_the_api_has_it(settled):
    """The action list is data: `settle diff` (SPEC §12) appears once settle.api has diff_month."""
    from settle import api
    page, _ = settled
    if not hasattr(api, "diff_month"):
        assert "diff" not in ACTIONS and 'id="do-diff"' not in page.html()
        return
    assert 'id="do-diff"' in page.html()
    assert page.act("run").code == 0                     # a rerun: history/ holds the run it replaced
    report = page.act("diff")
    assert report.code == 0, [b.text for b in report.blocks if b.kind == "line"]


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_no_arguments_in_a_terminal_window_settles_the_month_asked_for(tmp_path):
    """The real thing, in a pseudo-terminal: `settle` alone asks, settles 2024-05, waits for Enter."""
    import pty
    import select
    ws = copy_samples(tmp_path / "ws")
    main, child = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "SETTLE_WORKSPACE"}
    proc = subprocess.Popen([sys.executable, "-m", "settle"], cwd=ws, stdin=child, stdout=child, stderr=child,
                            env={**env, "COLUMNS": "200"})
    os.close(child)
    seen, answered, deadline = b"", [], time.monotonic() + 240
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(main, 65536)
                except OSError:
                    break
            text = seen.decode("utf-8", "replace")
            for prompt, answer in (("输入 w 打开结算页面", b"2024-05\n"), ("按回车键关闭窗口", b"\n")):
                if prompt in text and prompt not in answered:
                    answered.append(prompt)
                    os.write(main, answer)
        assert proc.wait(30) == 0, seen.decode("utf-8", "replace")[-2000:]
    finally:
        proc.kill()
        os.close(main)
    text = seen.decode("utf-8", "replace")
    assert f"工作目录：{ws.resolve()}" in text and "102,376.95" in text and "按回车键关闭窗口" in text
    assert (ws / "output/2024-05/settlement.json").is_file()


def test_ctrl_c_stops_the_server_with_a_message(tmp_path):
    import re
    import signal
    ws = copy_samples(tmp_path / "ws")
    proc = subprocess.Popen([sys.executable, "-m", "settle", "serve", "--no-browser", "--workspace", str(ws)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8")
    try:
        first = proc.stdout.readline()
        assert re.match(r"结算页面已打开：http://127\.0\.0\.1:\d+/\?token=[\w-]{32}$", first.strip()), first
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=30)[0]
    finally:
        proc.kill()
    assert proc.returncode == 0 and rest.strip().endswith("结算页面已停止。") and "Traceback" not in rest


def test_a_port_in_use_is_a_sentence_not_a_traceback():
    import socket
    from settle.serve import serve
    said = []
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code = serve(SAMPLES, port=port, browser=False, echo=said.append)
    assert code == 2 and said == [f"无法使用端口 {port}：它已被其他程序占用或不允许使用。请换一个端口（--port），或不指定端口。"]
