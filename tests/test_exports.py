"""A clerk's own exports (issue 24 points 2–5; SPEC §3, §8.1): headers as people write them,
summary and footer rows, summary sheets, files read or refused, hidden rows, header-only files.

Each test builds the workbook the way the hospital's programs write it; problems are asserted
as compact (file, sheet, row, column, code) tuples.
"""

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from builders import load_month, BILL_HEADERS, STAFF_HEADERS, bill, person, reg, team, write_xlsx
from settle.load.workspace import Month

MAY = Month(2024, 5)
V = dt.datetime(2024, 5, 5, 10)


def load(root: Path):
    return load_month(root, MAY)


def keys(problems, *codes):
    return sorted(((p.file, p.sheet, p.row, p.column, p.code) for p in problems if not codes or p.code in codes),
                  key=str)


def billing_sheet(ws_, headers, lines, fields=BILL_HEADERS):
    """`headers` written over the lines' values of `fields` (the builder's names), column by column."""
    ws_.append(headers)
    for line in lines:
        ws_.append([line.get(h) for h in fields])


@pytest.fixture
def month(ws):
    ws.staff(team())
    ws.month("2024-05", regs=[reg(dt.datetime(2024, 5, 1, 9), "S1", "P1")])
    return ws


def save_billing(month, headers, lines, *, extra=None, name="收费明细.xlsx", fields=BILL_HEADERS):
    """One sheet 明细 with `headers` over `lines` (dicts keyed by BILL_HEADERS); `extra(wb)` adds more."""
    wb = openpyxl.Workbook()
    s = wb.active
    s.title = "明细"
    billing_sheet(s, headers, lines, fields)
    if extra:
        extra(wb)
    path = month.root / "2024-05" / name
    wb.save(path)
    return path


# --- 24.2 headers as people write them ------------------------------------------------------------

def test_the_payroll_alias_matches_a_header_with_its_unit(ws, settle):
    """Issue 24's payroll workbook: settle.yaml maps 基本工资 to 岗位工资, the header reads
    岗位工资（元）. The unit is not part of the name (SPEC §3), so 王贵's base is the column's
    6 000.00, not the policy's 1 500.00 (R30)."""
    headers = ["工号", "姓名", "角色", "小组", "入职日期", "岗位工资（元）"]
    write_xlsx(ws.root / "staff.xlsx", headers, [
        {"工号": "S1", "姓名": "王贵", "角色": "业务员", "小组": "一组", "入职日期": dt.date(2023, 1, 1),
         "岗位工资（元）": 6000}])
    ws.people = [person("S1", "王贵")]
    # 业绩 20 000.00 meets R30's quota: base = 6 000.00 × min(1, 20 000 / 20 000) = 6 000.00
    ws.month("2024-05", regs=[reg(dt.datetime(2024, 5, 1, 9), "S1", "P1")], billing=[bill(V, 20000, "P1")])
    (ws.root / "settle.yaml").write_text("aliases:\n  staff:\n    base_salary: [岗位工资]\n", encoding="utf-8")
    r = settle(ws)
    assert r.exit_code == 0, r.output
    assert r.amount("S1", "base") == "6000.00"


def test_whitespace_of_every_kind_width_and_case_are_not_part_of_a_header(month):
    """Line breaks inside a cell, a full-width space, a tab, an NBSP, full-width letters and a
    unit in brackets, for built-in names and a settle.yaml alias alike (实收⏎金额 for 实收金额)."""
    (month.root / "settle.yaml").write_text("aliases:\n  收费明细: {金额: [实收金额]}\n", encoding="utf-8")
    headers = ["就诊\n时间", "结算\u3000日期", "结算\t状态", "病历号 ", "患者\u00a0姓名", "ＰＡＴＩＥＮＴ ＫＥＹ",
               "卡号", "科室", "项目类别", "实收\n金额（元）"]
    save_billing(month, headers, [bill(V, 120.5, "P1")])
    inputs, problems = load(month.root)
    assert keys(problems) == []
    assert inputs.billing["amount_fen"].tolist() == [12050]
    assert inputs.billing["patient_name"].tolist() == ["张三"]


def test_a_bracket_that_is_not_a_unit_stays_part_of_the_name(month):
    """金额(实收) is not 金额 with a unit: the required 金额 is missing (an error), never guessed."""
    save_billing(month, BILL_HEADERS[:-1] + ["金额(实收)"], [bill(V, 1, "P1")])
    _, problems = load(month.root)
    assert keys(problems, "missing_column") == [("2024-05/收费明细.xlsx", "明细", 1, "金额", "missing_column")]


def test_an_alias_that_matches_no_header_is_a_warning_naming_it(month):
    """settle.yaml's 卡号 alias 会员卡号 matches nothing in this export, and 卡号 is not read from
    another column: a warning naming the alias, the file and the headers seen."""
    (month.root / "settle.yaml").write_text("aliases:\n  billing: {card_no: [会员卡号]}\n", encoding="utf-8")
    no_card = [h for h in BILL_HEADERS if h != "卡号"]
    save_billing(month, no_card, [bill(V, 1, "P1")], fields=no_card)
    inputs, problems = load(month.root)
    [p] = [p for p in problems if p.code == "alias_unmatched"]
    assert (p.file, p.value, p.severity) == ("2024-05/收费明细.xlsx", "会员卡号", "warning")
    assert "会员卡号" in p.text() and "就诊时间、结算日期" in p.text() and "卡号" in p.text("en")
    assert not problems.errors and inputs.billing["amount_fen"].tolist() == [100]


def test_an_alias_that_matches_nothing_while_its_field_came_from_another_column_is_an_error(ws, settle):
    """staff.xlsx maps 基本工资 to 岗位薪资 (the header reads 岗位工资): the alias matches nothing,
    and 基本工资 was then taken from the file's own 基本工资 column (1 500.00) — pay would differ
    from what the clerk mapped: an error, nothing written."""
    headers = STAFF_HEADERS + ["岗位工资"]
    write_xlsx(ws.root / "staff.xlsx", headers, [dict(person("S1", "王贵", base=1500), 岗位工资=6000)])
    ws.people = [person("S1", "王贵")]
    ws.month("2024-05")
    (ws.root / "settle.yaml").write_text("aliases:\n  staff:\n    base_salary: [岗位薪资]\n", encoding="utf-8")
    _, problems = load(ws.root)
    [p] = problems.errors
    assert (p.file, p.code, p.value) == ("staff.xlsx", "alias_unmatched_used", "岗位薪资")
    assert "“基本工资”改从“基本工资”列读取" in p.text() and "岗位工资" in p.text()
    assert settle(ws).exit_code == 2


# --- 24.3 summary and footer rows (SPEC §8.1) -------------------------------------------------------

def test_a_bottom_total_with_a_count_in_a_key_column_is_a_summary_row(month):
    """Issue 24's regression: 合计 in 就诊时间, "20 笔" in 病历号 and the total in 金额. The label
    alone decides (the key columns may hold counts): the row is dropped and counted, not read as
    a date. (It was refused since 4eb0655 required a summary row's key columns to be empty.)"""
    lines = [bill(V, 100, "P1"), bill(V, 50, "P1"),
             {"就诊时间": "合计", "病历号": "20 笔", "患者标识": "共 20 条", "卡号": "20人次", "金额": 150}]
    save_billing(month, BILL_HEADERS, lines)
    inputs, problems = load(month.root)
    assert keys(problems) == [("2024-05/收费明细.xlsx", "明细", None, None, "summary_rows")]
    assert inputs.billing["amount_fen"].tolist() == [10000, 5000]


@pytest.mark.parametrize("label", ["总合计", "本月合计", "合计金额", "本页小计：", "总计 ", "全部 累计", "本年合计数量",
                                   "小计:"])
def test_summary_labels_as_exports_write_them(month, label):
    """本页/本月/本期/本年/总/全部 + 合计/总计/小计/累计 + 金额/数/数量, spaces and a trailing colon
    removed, in an unmapped column (备注) or a mapped one (科室)."""
    def extra(wb):
        s = wb["明细"]
        s.cell(1, 11, "备注")
        s.append([None] * 10 + [label])                      # row 3: label in the unmapped 备注
        s.append([None, None, None, None, None, None, None, label, None, 100])   # row 4: in 科室
    save_billing(month, BILL_HEADERS, [bill(V, 100, "P1")], extra=extra)
    inputs, problems = load(month.root)
    [p] = keys(problems)
    assert p[-1] == "summary_rows" and "第 3、4 行" in next(iter(problems)).text()
    assert inputs.billing["amount_fen"].tolist() == [10000]


def test_words_that_only_contain_a_label_are_data(month):
    """合计科 or 小计划 is not a label (the whole cell must be one): the line is read."""
    save_billing(month, BILL_HEADERS, [bill(V, 100, "P1", dept="合计科"), bill(V, 7, "P1", category="小计划")])
    inputs, problems = load(month.root)
    assert keys(problems) == [] and inputs.billing["amount_fen"].tolist() == [10000, 700]


def test_footer_rows_below_the_data_are_dropped_and_counted(month):
    """制表人：…, 打印时间：… (full- or half-width colon), 审核: under the data, beside a 合计 row and
    an empty row: dropped and counted; 100.00 + 20.00 are the lines."""
    def extra(wb):
        s = wb["明细"]
        s.append(["合计", None, None, None, None, None, None, None, None, 120])
        s.append([])
        s.append(["制表人：张会计", None, None, None, None, "打印时间：2024-06-01 09:00"])
        s.append([None, "审核:", None, None, None, None, None, None, None, "经办人：李"])
        s.append(["日期：2024-06-01"])
    save_billing(month, BILL_HEADERS, [bill(V, 100, "P1"), bill(V, 20, "P1")], extra=extra)
    inputs, problems = load(month.root)
    assert keys(problems) == [("2024-05/收费明细.xlsx", "明细", None, None, "footer_rows"),
                              ("2024-05/收费明细.xlsx", "明细", None, None, "summary_rows")]
    footer = next(p for p in problems if p.code == "footer_rows")
    assert footer.text() == "跳过 3 个表尾行（制表人、打印时间等，第 6、7、8 行）"
    assert inputs.billing["amount_fen"].tolist() == [10000, 2000]


def test_a_footer_label_above_a_data_row_is_not_a_footer(month):
    """日期：… in 就诊时间 with lines below it is no footer: it stays a bad date (an error)."""
    save_billing(month, BILL_HEADERS, [{"就诊时间": "日期：2024-05-01"}, bill(V, 100, "P1")])
    _, problems = load(month.root)
    assert ("2024-05/收费明细.xlsx", "明细", 2, "就诊时间", "bad_date") in keys(problems)


def test_repeated_header_rows_mid_sheet_are_dropped_and_counted(month):
    def extra(wb):
        wb["明细"].append(BILL_HEADERS)
        wb["明细"].append([bill(V, 5, "P1").get(h) for h in BILL_HEADERS])
    save_billing(month, BILL_HEADERS, [bill(V, 100, "P1")], extra=extra)
    inputs, problems = load(month.root)
    assert keys(problems) == [("2024-05/收费明细.xlsx", "明细", None, None, "repeated_header")]
    assert inputs.billing["amount_fen"].tolist() == [10000, 500]


# --- 24.4 summary sheets ------------------------------------------------------------------------------

def _summary(name):
    def extra(wb):
        s = wb.create_sheet(name)
        s.append(["科室", "项目类别", "金额"])
        s.append(["内科", "门诊", 100])
    return extra


@pytest.mark.parametrize("name", ["汇总", "5月统计", "Summary", "数据透视表", "科室合计", "月报表", "收入分析", "TOTAL"])
def test_a_summary_sheet_beside_the_detail_is_skipped_with_a_warning(month, name):
    """A sheet of 科室, 项目类别, 金额 named like a summary, beside a full 明细: skipped, named."""
    save_billing(month, BILL_HEADERS, [bill(V, 100, "P1")], extra=_summary(name))
    inputs, problems = load(month.root)
    assert keys(problems) == [("2024-05/收费明细.xlsx", name, None, None, "summary_sheet")]
    [p] = problems
    assert p.severity == "warning" and "就诊时间" in p.text()
    assert inputs.billing["amount_fen"].tolist() == [10000]


def test_a_partial_sheet_not_named_as_a_summary_stays_an_error(month):
    """Sheet2 holds 3 of the 9 required columns and says nothing of summing up: an error per
    missing column, naming the sheet."""
    save_billing(month, BILL_HEADERS, [bill(V, 100, "P1")], extra=_summary("Sheet2"))
    _, problems = load(month.root)
    missing = keys(problems, "missing_column")
    assert len(missing) == 6 and {m[1] for m in missing} == {"Sheet2"}   # 9 required − 3 present
    assert ("2024-05/收费明细.xlsx", "Sheet2", 1, "就诊时间", "missing_column") in missing


def test_a_summary_sheet_without_a_full_sheet_beside_it_is_an_error(month):
    """Only 汇总 (no detail sheet): nothing to skip it for — its missing columns are errors."""
    wb = openpyxl.Workbook()
    _summary("汇总")(wb)
    wb.remove(wb.active)
    wb.save(month.root / "2024-05" / "收费明细.xlsx")
    _, problems = load(month.root)
    assert len(keys(problems, "missing_column")) == 6


def _add_pivot(path: Path, sheet_part="xl/worksheets/sheet2.xml"):
    """Mark the sheet as holding a pivot table: its relationships reference xl/pivotTables (the
    pivot parts themselves are not read; the reference is what settle checks)."""
    folder, _, base = sheet_part.rpartition("/")
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/pivotTable" Target="../pivotTables/pivotTable1.xml"/>'
            '</Relationships>')
    with zipfile.ZipFile(path, "a") as z:
        z.writestr(f"{folder}/_rels/{base}.rels", rels)


def test_a_sheet_holding_a_pivot_table_is_a_summary_sheet_whatever_its_name(month):
    path = save_billing(month, BILL_HEADERS, [bill(V, 100, "P1")], extra=_summary("Sheet2"))
    _add_pivot(path)
    inputs, problems = load(month.root)
    assert keys(problems) == [("2024-05/收费明细.xlsx", "Sheet2", None, None, "summary_sheet")]
    assert inputs.billing["amount_fen"].tolist() == [10000]


# --- 24.5 read or refused ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["收费明细.et", "收费明细.ett", "收费明细.wps", "billing.numbers"])
def test_a_file_named_like_an_input_in_a_format_no_reader_handles_is_an_error(month, settle, name):
    """A WPS .et workbook beside (or instead of) the export: refused by name, 另存为 .xlsx, exit 2."""
    (month.root / "2024-05" / name).write_bytes(b"\xd0\xcf\x11\xe0 WPS")
    _, problems = load(month.root)
    [p] = problems.errors
    assert (p.file, p.code) == (f"2024-05/{name}", "unsupported_file")
    assert "另存为 .xlsx" in p.text() and "save it as .xlsx" in p.text("en")
    r = settle(month)
    assert r.exit_code == 2 and r.data is None


def test_an_xlsx_that_is_not_a_zip_says_how_to_save_it(month):
    (month.root / "2024-05" / "收费明细.xlsx").write_text("<html><table></table></html>", encoding="utf-8")
    _, problems = load(month.root)
    [p] = problems.errors
    assert p.code == "unreadable_file" and "另存为 .xlsx" in p.text()
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in p.text("en")), p.text("en")


def test_rows_hidden_in_excel_are_read_and_counted_with_a_warning(month):
    """Rows 3 and 4 hidden by an AutoFilter: data all the same (100 + 20 + 3), one warning
    saying how many rows of which sheet are hidden."""
    def extra(wb):
        s = wb["明细"]
        s.auto_filter.ref = "A1:J4"
        s.row_dimensions[3].hidden = True
        s.row_dimensions[4].hidden = True
    save_billing(month, BILL_HEADERS, [bill(V, 100, "P1"), bill(V, 20, "P1"), bill(V, 3, "P1")], extra=extra)
    inputs, problems = load(month.root)
    assert keys(problems) == [("2024-05/收费明细.xlsx", "明细", None, None, "hidden_rows")]
    [p] = problems
    assert p.severity == "warning" and p.text() == "2 行在 Excel 中被隐藏（筛选或手动隐藏；第 3、4 行）：照常读取并计入"
    assert inputs.billing["amount_fen"].tolist() == [10000, 2000, 300]


def test_a_header_only_file_is_a_warning_naming_it(month, settle):
    """收费明细.xlsx with its header and no lines settles 0.00 — but says so."""
    save_billing(month, BILL_HEADERS, [])
    _, problems = load(month.root)
    assert keys(problems) == [("2024-05/收费明细.xlsx", None, None, None, "no_data_rows")]
    assert "收费明细" in next(iter(problems)).text()
    assert settle(month).exit_code == 0


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_hidden_rows_of_xls_and_ods_are_counted_too(month, fmt):
    """What .xls (the row's hidden flag) and .ods (table:visibility="collapse") say: row 3 of 4."""
    from formats import write_ods, write_xls

    lines = [bill(V, 100, "P1"), bill(V, 20, "P1"), bill(V, 3, "P1")]
    rows = [BILL_HEADERS] + [[line.get(h) for h in BILL_HEADERS] for line in lines]
    (month.root / "2024-05" / "收费明细.xlsx").unlink()
    (write_xls if fmt == "xls" else write_ods)(month.root / "2024-05" / f"收费明细.{fmt}", rows,
                                               hidden=frozenset({2}))
    inputs, problems = load(month.root)
    assert keys(problems) == [(f"2024-05/收费明细.{fmt}", "Sheet1", None, None, "hidden_rows")]
    assert dict(next(iter(problems)).params)["rows"] == "3"
    assert inputs.billing["amount_fen"].tolist() == [10000, 2000, 300]


@pytest.mark.parametrize("rewrite", [
    pytest.param(lambda xml: xml.replace("<sheetData>", "<sheetData><!-- HIS -->"), id="expat"),
    pytest.param(lambda xml: __import__("re").sub(r'<c r="[A-Z]+[0-9]+"', "<c", xml), id="positional"),
])
def test_hidden_rows_are_found_by_every_sheet_scanner(month, rewrite):
    """Sheet XML a comment sends to the exact (expat) scanner, or cells without `r` to the
    positional one: row 3's hidden="1" is found all the same."""
    def extra(wb):
        wb["明细"].row_dimensions[3].hidden = True
    lines = [bill(V, 100, "P1", card="C1"), bill(V, 20, "P1", card="C2")]   # every cell filled: no gaps
    path = save_billing(month, BILL_HEADERS, lines, extra=extra)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = rewrite(parts["xl/worksheets/sheet1.xml"].decode()).encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    inputs, problems = load(month.root)
    assert keys(problems) == [("2024-05/收费明细.xlsx", "明细", None, None, "hidden_rows")]
    assert inputs.billing["amount_fen"].tolist() == [10000, 2000]


def test_alternative_aliases_of_one_field_are_not_a_problem(month):
    """amount: [实收金额, 结算金额] — weekly exports say one or the other: the file read through
    实收金额 is as mapped, so 结算金额 matching nothing here is no error, nor a warning."""
    (month.root / "settle.yaml").write_text("aliases:\n  billing: {amount: [实收金额, 结算金额]}\n", encoding="utf-8")
    save_billing(month, BILL_HEADERS[:-1] + ["实收金额"], [bill(V, 3, "P1")])
    inputs, problems = load(month.root)
    assert keys(problems) == [] and inputs.billing["amount_fen"].tolist() == [300]
