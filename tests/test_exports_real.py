"""Misreads the real-world corpus found (tools/real_exports/RESULTS.md; SPEC §3, §3.6, §8.1):
text dates with a weekday, footer and filling-instruction rows, two-row headers under a merged
parent, and `settle inspect` reporting what `run` reports.

Each test builds the workbook the way the export writes it; problems are compact tuples.
"""

import datetime as dt

import openpyxl
import pytest

from builders import BILL_HEADERS, bill
from test_exports import keys, load, month, save_billing  # noqa: F401  (month is a fixture)

V = dt.datetime(2024, 5, 5, 10)       # 2024-05-05 is a Sunday


# --- 1. text dates with a trailing weekday (SPEC §3) -------------------------------------------------

@pytest.mark.parametrize("text,want", [
    ("2024-05-05 星期日", dt.datetime(2024, 5, 5)),
    ("2024/5/5 周日", dt.datetime(2024, 5, 5)),
    ("2024-05-06 星期一 08:30", dt.datetime(2024, 5, 6, 8, 30)),
    ("2024-05-06 08:30:15 周一", dt.datetime(2024, 5, 6, 8, 30, 15)),
    ("2024年5月5日（星期天）", dt.datetime(2024, 5, 5)),
])
def test_a_text_date_with_its_weekday_is_the_date(month, text, want):
    """The pharmacy export writes 购药时间 as "2018-01-01 星期五": read as the date (and time)."""
    save_billing(month, BILL_HEADERS, [{**bill(V, 100, "P1"), "就诊时间": text}])
    inputs, problems = load(month.root)
    assert keys(problems, "bad_date") == []
    assert inputs.billing["visited_at"].tolist() == [want]


def test_a_weekday_the_date_does_not_fall_on_is_a_bad_date(month):
    """2024-05-05 is a Sunday, not a Friday: which of the two is wrong cannot be told — a bad
    date naming the value (the corpus's 朝阳医院 file: 2018 dates with 2016's weekdays)."""
    save_billing(month, BILL_HEADERS, [{**bill(V, 100, "P1"), "就诊时间": "2024-05-05 星期五"}])
    _, problems = load(month.root)
    assert keys(problems, "bad_date") == [("2024-05/收费明细.xlsx", "明细", 2, "就诊时间", "bad_date")]
    assert next(p for p in problems if p.code == "bad_date").value == "2024-05-05 星期五"


# --- 2. footer and filling-instruction rows (SPEC §8.1) ----------------------------------------------

@pytest.mark.parametrize("label", ["批准：", "批准人：王", "审批：", "审批人:李", "编制单位： 某某医院",
                                   "填报单位：某某医院", "所属月份：5月", "注：金额含税", "备注：无", "说明：见附件"])
def test_payroll_footer_labels_under_the_data_are_footer_rows(month, label):
    """工资表.xls ends with 批准：… 制表：…; each label with a colon, below the last line, is a
    footer row: dropped and counted, 100.00 the only line."""
    def extra(wb):
        wb["明细"].append([])
        wb["明细"].append([label, None, None, None, None, None, "制表：张"])
    save_billing(month, BILL_HEADERS, [bill(V, 100, "P1")], extra=extra)
    inputs, problems = load(month.root)
    assert keys(problems) == [("2024-05/收费明细.xlsx", "明细", None, None, "footer_rows")]
    assert inputs.billing["amount_fen"].tolist() == [10000]


def test_filling_instructions_under_a_template_are_footer_rows(month):
    """bdModel_zy.xlsx: under the data, rows of instructions in the mapped columns ("红色为⏎必填项",
    "1、金额为实收", 填表说明, "组类：…才填写。") beside lists of choices in unmapped columns
    (小学, 初中 …): footer rows, not lines; 100.00 + 20.00 are the lines."""
    def extra(wb):
        s = wb["明细"]
        s.cell(1, 11, "学历")
        s.append([])
        s.append(["红色为\n必填项", None, None, "病历号必须是\n文本格式", None, None, None, None, None, None, "小学"])
        s.append([None] * 10 + ["初中"])
        s.append(["填表说明", None, None, None, None, None, None, None, None, None, "高中"])
        s.append(["1、金额为实收金额", None, None, None, None, None, None, None, None, "2. 单位：元"])
        s.append(["组类：在性别确定不了的情况下才填写。", None, None, None, None, None, None, None, None, None, "大学"])
    save_billing(month, BILL_HEADERS, [bill(V, 100, "P1"), bill(V, 20, "P1")], extra=extra)
    inputs, problems = load(month.root)
    assert keys(problems) == [("2024-05/收费明细.xlsx", "明细", None, None, "footer_rows")]
    assert inputs.billing["amount_fen"].tolist() == [10000, 2000]


def test_an_instruction_above_a_line_is_data(month):
    """Instruction text is a footer only below the last line: "注：…" in 就诊时间 with a line
    under it stays a bad date, and a name is never instruction text."""
    save_billing(month, BILL_HEADERS, [{"就诊时间": "注：必填"}, bill(V, 100, "P1"),
                                       {"就诊时间": "1、张三", "金额": 5}])
    _, problems = load(month.root)
    assert keys(problems, "bad_date") == [("2024-05/收费明细.xlsx", "明细", 2, "就诊时间", "bad_date"),
                                          ("2024-05/收费明细.xlsx", "明细", 4, "就诊时间", "bad_date")]


# --- 4. inspect reports what run reports (SPEC §3.6) -------------------------------------------------

def _file_keys(problems, display):
    return sorted(((p.row, p.column, p.code) for p in problems if p.file == display), key=str)


def test_inspect_reports_the_rosters_required_values_as_run_does(ws):
    """工资表.xls as staff.xlsx: run refuses it with 必填项为空 (角色, 入职日期 empty) and a duplicate
    工号; inspect exited 0 with no error. Now both report the same problems of staff.xlsx."""
    from builders import STAFF_HEADERS, person, reg, write_xlsx
    from settle import api
    write_xlsx(ws.root / "staff.xlsx", STAFF_HEADERS, [
        person("S1", "王芳"), {**person("S2", "李娜"), "角色": None}, {**person("S3", "张伟"), "入职日期": None},
        person("S1", "王芳二")])
    ws.month("2024-05", regs=[reg(dt.datetime(2024, 5, 1, 9), "S1", "P1")], billing=[bill(V, 100, "P1")])
    _, run_problems = load(ws.root)
    insp = api.inspect_file(ws.root / "staff.xlsx", ws.root)
    want = [(3, "角色", "missing_value"), (4, "入职日期", "missing_value"), (5, "工号", "duplicate_staff_id")]
    assert _file_keys(run_problems, "staff.xlsx") == want
    assert _file_keys(insp.problems, "staff.xlsx") == want and insp.exit_code == 2


def test_inspect_reports_a_registrations_required_values_and_people_as_run_does(ws):
    """登记表: an empty 渠道 (必填项为空), an empty 业务员 and a 业务员 not on the roster (R25):
    inspect lists what run lists for the file, resolving people against the workspace roster."""
    from builders import REG_HEADERS, reg, team, write_xlsx
    from settle import api
    ws.staff(team())
    ws.month("2024-05", regs=[], billing=[bill(V, 100, "P1")])
    path = ws.root / "2024-05" / "登记表.xlsx"
    at = dt.datetime(2024, 5, 1, 9)
    write_xlsx(path, REG_HEADERS, [reg(at, "王芳", "P1"), {**reg(at, "王芳", "P2"), "渠道": None},
                                   reg(at, None, "P3"), reg(at, "赵六", "P4")])
    _, run_problems = load(ws.root)
    insp = api.inspect_file(path, ws.root)
    ran = _file_keys(run_problems, "2024-05/登记表.xlsx")
    assert ran == [(3, "渠道", "missing_value"), (4, "业务员", "missing_value"), (5, "业务员", "unknown_staff")]
    assert _file_keys(insp.problems, "2024-05/登记表.xlsx") == ran and insp.exit_code == 2


# --- 3. two-row headers under a merged parent (SPEC §3) ----------------------------------------------

PAYROLL = [  # 工资表.xls: row 1 title, rows 2–3 the header (应发工资 merged over C2:E2), rows 4–5 people
    ["工资发放表"],
    ["工号", "姓名", "应发工资", None, None, "角色", "小组", "入职日期"],
    [None, None, "基本工资", "岗位工资", "小计", None, None, None],
    ["S1", "王芳", 3500, 500, 4000, "业务员", "一组", "2023-01-01"],
    ["S2", "李娜", 6000, 0, 6000, "业务员", "一组", "2023-01-01"],
]


def _payroll_xlsx(path, merge=True):
    wb = openpyxl.Workbook()
    s = wb.active
    s.title = "工资表"
    for r in PAYROLL:
        s.append(r)
    if merge:
        s.merge_cells("C2:E2")
        for col in "ABFGH":
            s.merge_cells(f"{col}2:{col}3")
    wb.save(path)


def _payroll_xls(path):
    import xlwt
    wb = xlwt.Workbook(encoding="utf-8")
    s = wb.add_sheet("工资表")
    for i, r in enumerate(PAYROLL):
        for j, v in enumerate(r):
            if v is not None:
                s.write(i, j, v)
    s.merge(1, 1, 2, 4)                      # C2:E2
    for j in (0, 1, 5, 6, 7):
        s.merge(1, 2, j, j)
    wb.save(str(path))


@pytest.mark.parametrize("suffix,write", [(".xlsx", _payroll_xlsx), (".xls", _payroll_xls)])
def test_columns_under_a_merged_header_take_the_lower_rows_names(ws, suffix, write):
    """基本工资 stands on row 3 under 应发工资 (merged C2:E2): it is the column's header, the data
    starts on row 4, and the two-row header is said. Base pay 3 500.00 + 6 000.00 = 9 500.00
    (was 0.00: the column was never read, and nobody told)."""
    from settle import api
    write(ws.root / f"staff{suffix}")
    ws.month("2024-05", regs=[], billing=[bill(V, 100, "P1")])
    inputs, problems = load(ws.root)
    assert keys(problems, "header_two_rows", "missing_value", "header_below") == [
        (f"staff{suffix}", "工资表", None, None, "header_two_rows")]
    assert inputs.staff["base_salary_fen"].tolist() == [350000, 600000]
    insp = api.inspect_file(ws.root / f"staff{suffix}", ws.root)
    sheet = insp.sheets[0]
    assert (sheet.status, sheet.header_row, insp.lines, insp.exit_code) == ("read", 3, 2, 0)
    assert [(c.letter, c.header, c.field) for c in sheet.columns][:4] == [
        ("A", "工号", "staff_id"), ("B", "姓名", "name"), ("C", "基本工资", "base_salary"), ("D", "岗位工资", None)]
    assert "C“基本工资”" in next(p for p in insp.problems if p.code == "header_two_rows").text()


def test_a_known_name_under_a_header_without_a_merge_is_a_warning_naming_the_cell(ws):
    """The same sheet with its merges lost (saved by a program that drops them): the header is
    row 2, and 基本工资 in C3 is a warning naming the cell — never silence."""
    _payroll_xlsx(ws.root / "staff.xlsx", merge=False)
    ws.month("2024-05", regs=[], billing=[bill(V, 100, "P1")])
    _, problems = load(ws.root)
    [p] = [p for p in problems if p.code == "header_below"]
    assert (p.file, p.sheet, p.row, p.value) == ("staff.xlsx", "工资表", 3, "基本工资")
    assert "C3“基本工资”" in p.text()
