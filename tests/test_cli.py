"""The commands of SPEC §1: exact exit codes, help with an example, init, explain, check-cards."""

import datetime as dt
import json

import openpyxl
import pytest

from builders import bill, person, reg
from conftest import invoke
from settle import __version__

COMMANDS = ["run", "validate", "check-cards", "explain", "close", "init", "verify"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself_with_an_example(command):
    r = invoke(command, "--help")
    assert r.exit_code == 0
    assert "Example" in r.output and "settle " + command.split()[0] in r.output


def test_top_level_help_and_version():
    r = invoke("--help")
    assert r.exit_code == 0 and "Example" in r.output
    for c in COMMANDS:
        assert c in r.output
    r = invoke("--version")
    assert r.exit_code == 0 and r.output.strip() == f"settle {__version__}"


@pytest.fixture
def month(ws):
    ws.staff([person("S001", "王芳"), person("S002", "李娜", role="主管")])
    ws.month("2024-05", regs=[reg(dt.datetime(2024, 5, 2, 9), "王芳", "P1", card="C1")],
             billing=[bill(dt.datetime(2024, 5, 5, 10), 1000, "P1", card="C1"),
                      bill(dt.datetime(2024, 5, 6, 10), 50, "P7", card="NOPE")])
    return ws


def test_options_before_the_subcommand(month):
    r = invoke("--workspace", str(month.root), "--lang", "en", "run", "2024-05")
    assert r.exit_code == 0, r.output
    assert "Outputs:" in r.output and (month.root / "output/2024-05/部门汇总.xlsx").exists()


def test_workspace_from_environment(month, monkeypatch):
    monkeypatch.setenv("SETTLE_WORKSPACE", str(month.root))
    r = invoke("validate", "2024-05")
    assert r.exit_code == 0, r.output


def test_run_json_is_machine_readable(month):
    r = invoke("run", "2024-05", "--workspace", str(month.root), "--json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["status"] == "ok" and data["settlement"]["people"]["S001"]["performance"] == "1000.00"


def test_bad_lang_is_a_usage_error(month):
    r = invoke("validate", "2024-05", "--workspace", str(month.root), "--lang", "fr")
    assert r.exit_code == 2


def test_check_cards_exit_codes_and_workbook(month):
    r = invoke("check-cards", "2024-05", "--workspace", str(month.root))
    assert r.exit_code == 1, r.output
    assert "未登记卡" in r.output
    wb = openpyxl.load_workbook(month.root / "output/2024-05/卡片检查.xlsx")
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[1][0] == "unregistered_card" and rows[1][6] == "NOPE"
    # Without a month: the latest month folder.
    r = invoke("check-cards", "--workspace", str(month.root))
    assert r.exit_code == 1


def test_check_cards_clean_month_exits_0(ws):
    ws.staff([person("S001", "王芳")])
    ws.month("2024-05", regs=[reg(dt.datetime(2024, 5, 2, 9), "王芳", "P1")],
             billing=[bill(dt.datetime(2024, 5, 5, 10), 10, "P1")])
    r = invoke("check-cards", "2024-05", "--workspace", str(ws.root))
    assert r.exit_code == 0, r.output


def test_explain_shows_every_derivation(month):
    r = invoke("explain", "2024-05", "王芳", "--workspace", str(month.root), "--lines")
    assert r.exit_code == 0, r.output
    # base 1500 × min(1, 1000/20000) = 75.00; R33 700 × 1000/50000 = 14.00; R11 3 % × 1000 = 30.00
    for text in ("75.00", "14.00", "30.00", "119.00", "R30", "R33", "R11", "1,000.00 × 3%"):
        assert text in r.output
    assert "收费明细.xlsx › Sheet1 › 第 2 行" in r.output


def test_explain_unknown_person_exits_2(month):
    r = invoke("explain", "2024-05", "无名氏", "--workspace", str(month.root))
    assert r.exit_code == 2 and "没有找到" in r.output


def test_init_creates_a_workspace_and_refuses_twice(tmp_path):
    target = tmp_path / "新工作目录"
    r = invoke("init", str(target))
    assert r.exit_code == 0, r.output
    for p in ("settle.yaml", "rules/default.yaml", "staff.xlsx", "模板/登记表.xlsx", "模板/收费明细.xlsx",
              "模板/日报.xlsx", "模板/调整.xlsx"):
        assert (target / p).exists(), p
    wb = openpyxl.load_workbook(target / "模板/登记表.xlsx")
    ws = wb.active
    assert [c.value for c in ws[1]][:3] == ["登记时间", "业务员", "工号"]
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert any("药店" in f for f in lists) and any("转诊单" in f for f in lists)
    assert ws.freeze_panes == "A2"
    r = invoke("init", str(target))
    assert r.exit_code == 2 and "已经是工作目录" in r.output


def test_init_workspace_validates_once_filled(tmp_path):
    target = tmp_path / "w"
    assert invoke("init", str(target)).exit_code == 0
    (target / "2024-05").mkdir()
    r = invoke("validate", "2024-05", "--workspace", str(target))
    # an empty roster and no billing: reported, not crashed
    assert r.exit_code == 2 and "收费明细" in r.output


def test_run_on_missing_workspace_is_a_clear_error(tmp_path):
    r = invoke("run", "2024-05", "--workspace", str(tmp_path / "nowhere"))
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_close_and_reopen(month):
    root = str(month.root)
    r = invoke("close", "2024-05", "--workspace", root)
    assert r.exit_code == 2 and "尚未结算" in r.output
    assert invoke("run", "2024-05", "--workspace", root).exit_code == 0
    before = {p.name: p.read_bytes() for p in (month.root / "output/2024-05").rglob("*.xlsx")}
    assert invoke("close", "2024-05", "--workspace", root).exit_code == 0
    r = invoke("run", "2024-05", "--workspace", root)
    assert r.exit_code == 3 and "--reopen" in r.output
    after = {p.name: p.read_bytes() for p in (month.root / "output/2024-05").rglob("*.xlsx")}
    assert before == after
    r = invoke("close", "2024-05", "--workspace", root, "--reopen")
    assert r.exit_code == 2 and "--reason" in r.output
    r = invoke("close", "2024-05", "--workspace", root, "--reopen", "--reason", "补录退费")
    assert r.exit_code == 0
    log = (month.root / "output/2024-05/history/close-log.jsonl").read_text(encoding="utf-8")
    assert "补录退费" in log
    assert invoke("run", "2024-05", "--workspace", root).exit_code == 0


def test_check_cards_never_writes_into_a_closed_month(month):
    """SPEC §1/§2: a closed month's outputs stay as they were; the findings are still shown."""
    assert invoke("run", "2024-05", "--workspace", str(month.root)).exit_code == 0
    assert invoke("close", "2024-05", "--workspace", str(month.root)).exit_code == 0
    folder = month.root / "output/2024-05"
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    r = invoke("check-cards", "2024-05", "--workspace", str(month.root))
    assert r.exit_code == 1, r.output
    assert "未登记卡" in r.output and "已关账" in r.output and "不写入" in r.output
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before
    assert not (folder / "卡片检查.xlsx").exists()


def test_check_cards_does_not_race_a_run_in_progress(month, monkeypatch):
    """A settlement in progress (its lock held) is not raced: nothing written, the reason said."""
    import settle.cards as cards
    from settle.output.lock import MonthLock
    monkeypatch.setattr(cards, "CARD_CHECK_WAIT", 0.1)
    with MonthLock(month.root, "2024-05"):
        r = invoke("check-cards", "2024-05", "--workspace", str(month.root), "--lang", "en")
    assert r.exit_code == 1, r.output
    assert "being settled" in r.output and "not written" in r.output
    assert not (month.root / "output/2024-05/卡片检查.xlsx").exists()


def test_check_cards_shows_an_empty_card_as_an_empty_cell(ws):
    """issue 24: an R25 row of a referral slip (no 卡号) showed "<NA>" in the 卡号 column of the
    terminal table; the workbook leaves the cell empty and --json gives null."""
    ws.staff([person("S001", "王芳")])
    ws.month("2024-05", regs=[reg(dt.datetime(2024, 5, 2, 9), "查无此人", "P1")],
             billing=[bill(dt.datetime(2024, 5, 5, 10), 10, "P1")])
    r = invoke("check-cards", "2024-05", "--workspace", str(ws.root))
    assert r.exit_code == 1 and "人员不存在" in r.output
    assert "<NA>" not in r.output and "nan" not in r.output.lower() and "None" not in r.output
    row = next(line for line in r.output.splitlines() if "人员不存在" in line)
    assert [c.strip() for c in row.strip("│ ").split("│")][4] == ""     # 名称 工号 姓名 来源 [卡号] 说明
    wb = openpyxl.load_workbook(ws.root / "output/2024-05/卡片检查.xlsx")
    assert list(wb.active.iter_rows(values_only=True))[1][6] is None
    out = json.loads(invoke("check-cards", "2024-05", "--workspace", str(ws.root), "--json").stdout)
    assert [v["card_no"] for v in out["violations"]] == [None]
