"""Who a row names (SPEC §3.5, issue 24.1): 工号 and 业务员 filled must name the same person, in
登记表, 日报 and 调整 alike; a row with neither is 必填项为空, never R25 (R25 names the cell
whose own text matched nobody).

Problems are asserted as compact (file, sheet, row, column, code) tuples.
"""

import datetime as dt

import pytest

from builders import ADJ_HEADERS, REG_HEADERS, bill, person, reg, team, write_xlsx
from conftest import ok
from settle.load.inputs import load_inputs
from settle.load.workspace import Month, Workspace as WS
from settle.problems import Problems

D = dt.datetime
REGS = "2024-05/登记表.xlsx"


def load(root):
    problems = Problems()
    inputs = load_inputs(WS.open(root, problems), Month(2024, 5), problems)
    # these workspaces' 收费明细/日报 hold a header and no lines: that warning is not what is tested
    problems.items = [p for p in problems.items if p.code != "no_data_rows"]
    return inputs, problems


def keys(problems):
    return sorted(((p.file, p.sheet, p.row, p.column, p.code) for p in problems), key=str)


@pytest.fixture
def roster(ws):
    """S1 王芳, S2 李娜 (业务员), N1 网络甲, S3 张伟."""
    ws.staff(team(person("S3", "张伟")))
    return ws


def registrations(ws, rows, billing=(), headers=("工号",)):
    """A month folder whose 登记表 has a 工号 column before the usual ones (A: 工号, C: 业务员)."""
    if not (ws.root / "2024-05").is_dir():
        ws.month("2024-05", regs=[], billing=billing, daily=[])
    write_xlsx(ws.root / "2024-05" / "登记表.xlsx", list(headers) + REG_HEADERS, rows)


def test_R25_a_foreign_staff_id_column_does_not_pay_its_holder(roster, settle):
    """Issue 24: a 登记表 whose 工号 column holds another system's numbers (S3 is 张伟 on our roster)
    beside 业务员 李娜. Before, 工号 won: 张伟 got the 1 000.00 line and 李娜 nothing, exit 0."""
    registrations(roster, [dict(reg(D(2024, 5, 2, 9), "李娜", "P1"), 工号="S3")],
                  billing=[bill(D(2024, 5, 5, 10), 1000, "P1")])
    r = settle(roster)
    assert r.exit_code == 2 and r.data is None
    p, = r.cli.outcome.result.problems.errors
    assert (p.file, p.sheet, p.row, p.column, p.value, p.code) == (REGS, "Sheet1", 2, "工号", "S3", "person_mismatch")
    # both cells, with their letters and values, and who each names
    assert p.text("zh") == ('工号（A列） "S3" 与 业务员（C列） "李娜" 不是同一人（工号 S3 是 张伟；李娜 是 S2 李娜）：'
                            "请改正其中一格（导出的工号列可能是其他系统的编号）")
    assert p.text("en").startswith('工号 (column A) "S3" and 业务员 (column C) "李娜" do not name the same person '
                                    "(S3 is 张伟; 李娜 is S2 李娜)")


def test_both_filled_and_agreeing_name_one_person(roster):
    """工号 S2 with 业务员 李娜 (her name) or S2 (her 工号): no problem, the row is hers."""
    registrations(roster, [dict(reg(D(2024, 5, 2, 9), "李娜", "P1"), 工号="S2"),
                           dict(reg(D(2024, 5, 2, 9), "S2", "P2"), 工号="S2")])
    inputs, problems = load(roster.root)
    assert keys(problems) == [] and inputs.registrations["staff_id"].tolist() == ["S2", "S2"]


def test_a_staff_id_settles_a_name_that_two_people_share(ws):
    """SPEC §3.1: a name matching two people is an error unless 工号 is given."""
    ws.staff([person("S1", "王芳"), person("S2", "王芳")])
    registrations(ws, [dict(reg(D(2024, 5, 2, 9), "王芳", "P1"), 工号="S2")])
    inputs, problems = load(ws.root)
    assert keys(problems) == [] and inputs.registrations["staff_id"].tolist() == ["S2"]


def test_staff_id_off_the_roster_beside_a_known_name_blocks(roster):
    """工号 9001 is nobody, 业务员 李娜 is S2: a blocking error naming both, not R25."""
    registrations(roster, [dict(reg(D(2024, 5, 2, 9), "李娜", "P1"), 工号="9001")])
    inputs, problems = load(roster.root)
    p, = problems
    assert p.key() == (REGS, "Sheet1", 2, "工号", "person_mismatch") and p.is_error
    assert "工号 9001 不在人员名单中；李娜 是 S2 李娜" in p.text("zh")
    assert "9001 is not on the roster; 李娜 is S2 李娜" in p.text("en")
    assert inputs.registrations["staff_id"].isna().all()


def test_known_staff_id_beside_an_unknown_name_blocks(roster):
    registrations(roster, [dict(reg(D(2024, 5, 2, 9), "查无此人", "P1"), 工号="S1")])
    _, problems = load(roster.root)
    p, = problems
    assert p.key() == (REGS, "Sheet1", 2, "工号", "person_mismatch")
    assert "工号 S1 是 王芳；人员名单中没有 查无此人" in p.text("zh")


def test_neither_cell_on_the_roster_is_R25_on_the_salesperson_cell(roster):
    registrations(roster, [dict(reg(D(2024, 5, 2, 9), "查无此人", "P1"), 工号="9001")])
    _, problems = load(roster.root)
    p, = problems
    assert (p.key(), p.value) == ((REGS, "Sheet1", 2, "业务员", "unknown_staff"), "查无此人")
    assert p.text("zh") == '业务员 "查无此人" 在人员名单中不存在或同名多人（R25）'


def test_R25_only_a_staff_id_names_its_own_cell(roster):
    """Only 工号 filled, and off the roster: R25 on the 工号 cell with the 工号's own value — not
    业务员 "" (the 业务员 cell is empty)."""
    registrations(roster, [dict(reg(D(2024, 5, 2, 9), None, "P1"), 工号="9001"),
                           dict(reg(D(2024, 5, 2, 9), None, "P2"), 工号="S1")])
    inputs, problems = load(roster.root)
    p, = problems
    assert (p.key(), p.value) == ((REGS, "Sheet1", 2, "工号", "unknown_staff"), "9001")
    assert p.text("zh") == '工号 "9001" 在人员名单中不存在或同名多人（R25）'
    assert inputs.registrations["staff_id"].tolist()[1] == "S1"


def test_a_row_naming_nobody_is_a_missing_value_not_R25(roster, settle):
    """登记表 row with 业务员 empty (and no 工号 column): 必填项为空, which blocks the run."""
    roster.month("2024-05", regs=[reg(D(2024, 5, 2, 9), None, "P1")], billing=[bill(D(2024, 5, 5, 10), 10, "P1")])
    _, problems = load(roster.root)
    assert keys(problems) == [(REGS, "Sheet1", 2, "业务员", "missing_value")]
    assert settle(roster).exit_code == 2


def test_daily_reports_and_adjustments_block_on_two_people(roster):
    """日报 and 调整 with both columns: a mismatch blocks in every kind, a 确认例外 row included."""
    roster.month("2024-05", regs=[], billing=[], daily=[])
    write_xlsx(roster.root / "2024-05" / "日报.xlsx", ["工号", "业务员", "日期", "提交时间"],
               [{"工号": "S1", "业务员": "李娜", "日期": dt.date(2024, 5, 2), "提交时间": D(2024, 5, 2, 18)},
                {"工号": "S1", "业务员": "王芳", "日期": dt.date(2024, 5, 3), "提交时间": D(2024, 5, 3, 18)},
                {"工号": None, "业务员": None, "日期": dt.date(2024, 5, 4), "提交时间": D(2024, 5, 4, 18)}])
    adj = {"类型": "奖励", "金额": 100, "事由": "x", "批准人": "院长"}
    write_xlsx(roster.root / "2024-05" / "调整.xlsx", ADJ_HEADERS,
               [{**adj, "工号": "S3", "业务员": "王芳"}, {**adj, "工号": "S3", "业务员": "张伟"},
                {**adj, "类型": "确认例外", "金额": None, "卡号": "C1", "工号": "S1", "业务员": "李娜"},
                {**adj, "类型": "确认例外", "金额": None, "卡号": "C2"}])
    _, problems = load(roster.root)
    assert keys(problems) == [("2024-05/日报.xlsx", "Sheet1", 2, "工号", "person_mismatch"),
                              ("2024-05/日报.xlsx", "Sheet1", 4, "业务员", "missing_value"),
                              ("2024-05/调整.xlsx", "Sheet1", 2, "工号", "person_mismatch"),
                              ("2024-05/调整.xlsx", "Sheet1", 4, "工号", "person_mismatch")]


def test_daily_report_of_a_name_nobody_has_blocks(roster):
    roster.month("2024-05", regs=[], billing=[], daily=[{"业务员": "查无此人", "日期": dt.date(2024, 5, 2),
                                                      "提交时间": D(2024, 5, 2, 18)}])
    _, problems = load(roster.root)
    p, = problems
    assert (p.key(), p.value, p.is_error) == (("2024-05/日报.xlsx", "Sheet1", 2, "业务员", "unknown_person"),
                                              "查无此人", True)


def test_agreeing_columns_settle_as_the_name_alone(roster, settle):
    """The same month with 工号 S2 beside 李娜 settles exactly as with 李娜 alone: 1 000.00 to S2."""
    registrations(roster, [dict(reg(D(2024, 5, 2, 9), "李娜", "P1"), 工号="S2")],
                  billing=[bill(D(2024, 5, 5, 10), 1000, "P1")])
    r = ok(settle(roster))
    assert r.person("S2")["performance"] == "1000.00" and r.person("S3")["performance"] == "0.00"
