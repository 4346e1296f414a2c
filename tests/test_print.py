"""Workbooks a clerk prints (issue 18 points 1–4), read back: print settings, the payslip's title
block and 大写, the 工资条 strips, 汇总's 上月 column and head count, 关注, native charts.

The workspace has two months. S1 and S2 are regular 业务员 of 一组, N1 is 网络部.
    April: S1 10 000.00, S2 10 000.00, N1 5 000.00 of 业绩
    May:   S1 40 000.00, S2 10 000.00, N1 5 000.00
S2's pay is the same both months; S1's (R30 1500 × min(1, P/20000) + R33 700 × min(1, P/50000)
+ R11 whole-amount rate × P):
    April 750.00 + 140.00 + 300.00 (3 %) = 1 190.00
    May  1500.00 + 560.00 + 2 000.00 (5 %) = 4 060.00, a change of +2 870.00 (+241 %)
settle.yaml raises the share threshold to 95 % so only the change puts S1 on the 关注 list.
"""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest
from builders import monthly, person
from conftest import ok

HOSPITAL = "龙华妇产医院"


@pytest.fixture
def months(ws, settle):
    ws.staff([person("S1", "王芳"), person("S2", "李娜"), person("N1", "网络甲", role="网络部", team=None)])
    (ws.root / "settle.yaml").write_text(
        f"hospital: {HOSPITAL}\ndepartment: 市场部\nattention: {{share: 95%, change: 50%}}\n", encoding="utf-8")
    ws.month("2024-04", **monthly("2024-04", 20, {"S1": 10000, "S2": 10000, "N1": 5000}))
    ws.month("2024-05", **monthly("2024-05", 20, {"S1": 40000, "S2": 10000, "N1": 5000}))
    april = ok(settle(ws, "2024-04"))
    may = ok(settle(ws, "2024-05"))
    assert (april.total("S1"), may.total("S1"), april.total("S2"), may.total("S2")) == \
        ("1190.00", "4060.00", "1190.00", "1190.00")
    return april, may


def _out(r, name):
    return r.root / "output" / r.month / name


def _printed(ws, orientation):
    """A4, the orientation asked, fitted to one page wide, page numbers in the footer."""
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == orientation
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text


def test_payslip_prints_with_title_block_figures_words_and_signature(months):
    _, may = months
    wb = openpyxl.load_workbook(_out(may, "工资条/S1_王芳.xlsx"))
    ws = wb["工资条"]
    _printed(ws, "portrait")
    assert HOSPITAL in ws.oddHeader.left.text and "2024-05 工资条" in ws.oddHeader.center.text
    assert "王芳（S1）" in ws.oddHeader.right.text
    assert ws["A1"].value == f"{HOSPITAL} 市场部 工资条"
    assert "姓名：王芳" in ws["A2"].value and "工号：S1" in ws["A2"].value and "2024-05" in ws["A2"].value
    assert "角色：业务员" in ws["A3"].value and "小组：一组" in ws["A3"].value
    head = next(r for r in range(1, 12) if ws.cell(r, 1).value == "名称")
    assert ws.print_title_rows == f"${head}:${head}"
    rows = {ws.cell(r, 1).value: r for r in range(head + 1, ws.max_row + 1)}
    base, general = rows["基本工资"], rows["业绩提成"]
    # 基数 and 比例 are numbers with number formats, not text
    assert ws.cell(base, 3).value == 1500 and ws.cell(base, 3).number_format == "#,##0.00"
    assert ws.cell(general, 3).value == 40000 and ws.cell(general, 4).value == pytest.approx(0.05)
    assert ws.cell(general, 4).number_format == "0%"
    assert ws.cell(base, 6).alignment.wrap_text                       # 计算过程 wraps inside the page
    assert "min(1, 40,000.00/20000)" in ws.cell(base, 6).value         # the cap shows: 1500 × 31/31 × 1
    assert ws.column_dimensions["F"].width <= 50
    below = [ws.cell(r, 1).value for r in range(rows["应发合计"] + 1, ws.max_row + 1) if ws.cell(r, 1).value]
    assert below[0] == "应发合计（大写）：人民币肆仟零陆拾元整　　（小写）：¥4,060.00"
    assert below[1].startswith("签收：") and "日期：" in below[1]


def test_derivations_add_up_as_printed(months):
    """Every 计算过程 of a base line names the clamp: min(1, …) for R30 and R33."""
    april, _ = months
    lines = {l["component"]: l for l in april.person("S1")["lines"]}
    assert lines["base"]["detail"] == "1500 × 30/30 × 完成率 min(1, 10,000.00/20000)"
    assert lines["base"]["amount"] == "750.00"                  # 1500 × 1 × 0.5
    assert lines["assessment"]["detail"] == "700 × min(1, 10,000.00/50000)" and lines["assessment"]["amount"] == "140.00"


def test_strips_one_header_and_row_per_person_with_a_cutting_row(months):
    _, may = months
    wb = openpyxl.load_workbook(_out(may, "工资条_裁剪版.xlsx"))
    assert len(wb.worksheets) == 1
    ws = wb.worksheets[0]
    _printed(ws, "landscape")
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    summary = [list(r) for r in openpyxl.load_workbook(_out(may, "部门汇总.xlsx"))["汇总"].iter_rows(values_only=True)]
    header = summary[0][:14]                                    # 汇总's columns up to 应发合计 (no 上月)
    assert rows[2] == header and rows[5] == header              # a header per strip
    assert rows[3][:2] == ["S1", "王芳"] and rows[3][-1] == 4060
    assert rows[6][:2] == ["S2", "李娜"] and rows[6][-1] == 1190
    assert all(v is None for v in rows[4]) and ws.row_dimensions[5].height < 15   # the cutting row
    assert rows[3] == summary[1][:14] and rows[6] == summary[2][:14]
    assert sum(r == header for r in rows) == 2                  # two strips: 网络部 has none


def test_summary_prints_title_month_pages_and_a_true_head_count(months):
    april, may = months
    ws = openpyxl.load_workbook(_out(may, "部门汇总.xlsx"))["汇总"]
    _printed(ws, "landscape")
    assert "2024-05 工资汇总" in ws.oddHeader.center.text and HOSPITAL in ws.oddHeader.left.text
    assert ws.print_title_rows == "$1:$1"
    total = [c.value for c in ws[ws.max_row]]
    assert total[:2] == ["合计", "2 人＋网络部 1 人"]
    # April was not preceded by a settled month: no 上月 column
    head = [c.value for c in openpyxl.load_workbook(_out(april, "部门汇总.xlsx"))["汇总"][1]]
    assert head[-1] == "应发合计"


def test_summary_has_last_month_beside_this_one(months):
    _, may = months
    ws = openpyxl.load_workbook(_out(may, "部门汇总.xlsx"))["汇总"]
    head = [c.value for c in ws[1]]
    assert head[-3:] == ["应发合计", "上月应发合计", "变化"]
    assert "上月 = 2024-04" in ws.oddHeader.right.text
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["S1"][-3:] == (4060, 1190, 2870)                # 4060.00 − 1190.00
    assert rows["S2"][-3:] == (1190, 1190, 0)
    assert rows["N1"][-3:] == (None, None, None)                # 网络部: no pay
    assert rows["合计"][-3:] == (5250, 2380, 2870)


def test_attention_lists_who_changed_more_than_the_threshold(months):
    _, may = months
    rows = list(openpyxl.load_workbook(_out(may, "部门汇总.xlsx"))["关注"].iter_rows(values_only=True))
    assert rows[0][:4] == ("工号", "姓名", "角色", "应发合计")
    assert [r[0] for r in rows[1:]] == ["S1", None, "关注：占部门应发合计 > 95%，或应发合计较上月变化 > ±50%"
                                        "（settle.yaml attention: 可改）"]   # S2 unchanged; 95 % share: nobody
    assert rows[1][5:7] == (1190, 2870) and "+241.2%" in rows[1][7]   # 2870 / 1190


def _chart_refs(path):
    with zipfile.ZipFile(path) as z:
        charts = sorted(n for n in z.namelist() if re.match(r"xl/charts/chart\d+\.xml", n))
        return [(re.findall(r"<c:(barChart|lineChart)>", x := z.read(n).decode()), re.findall(r"<c:f>([^<]+)</c:f>", x))
                for n in charts]


def test_summary_charts_are_native_with_the_right_ranges(months):
    _, may = months
    charts = _chart_refs(_out(may, "部门汇总.xlsx"))
    assert len(charts) == 3
    (kinds1, refs1), (kinds2, refs2), (kinds3, refs3) = charts
    assert kinds1 == ["barChart"] and "图表!$B$2:$B$3" in refs1 and "图表!$A$2:$A$3" in refs1   # 应发合计 by person
    assert kinds2 == ["barChart", "lineChart"]                                                # 业绩 against the quota
    assert "图表!$C$2:$C$3" in refs2 and "图表!$D$2:$D$3" in refs2
    assert kinds3 == ["lineChart"] and "趋势!$B$2:$B$3" in refs3 and "趋势!$C$2:$C$3" in refs3  # April and May
    wb = openpyxl.load_workbook(_out(may, "部门汇总.xlsx"))
    data = list(wb["图表"].iter_rows(values_only=True))
    assert data[1:] == [("王芳（S1）", 4060, 40000, 20000), ("李娜（S2）", 1190, 10000, 20000)]
    trend = list(wb["趋势"].iter_rows(values_only=True))
    assert trend[1:] == [("2024-04", 25000, 2380), ("2024-05", 55000, 5250)]


def test_settings_reject_a_bad_threshold(ws, settle):
    ws.staff([person("S1", "王芳")])
    (ws.root / "settle.yaml").write_text("attention: {share: lots}\n", encoding="utf-8")
    ws.month("2024-05", **monthly("2024-05", 20, {"S1": 1000}))
    r = settle(ws, "2024-05")
    assert r.exit_code == 2 and "attention.share" in r.output


def test_a_large_month_keeps_the_rust_writer_with_print_settings(tmp_path):
    """A hospital-group month writes with the Rust writer: page header/footer and the notes under
    the payslip (大写, 签收) are still there, as rows."""
    from decimal import Decimal

    from settle.output.xlsx import MONEY, TEXT, Table, _write_rust, frame_of

    cols = [("名称", TEXT), ("金额", MONEY)]
    t = Table("工资条", cols, frame_of([("基本工资", Decimal("1500.00"))], cols), title=["标题"],
              total=("应发合计", Decimal("1500.00")), below=[("人民币壹仟伍佰元整", "bold"), ("签收：", "sign")],
              header="&C2024-05 工资条")
    path = tmp_path / "x.xlsx"
    _write_rust(path, [t])
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert "2024-05 工资条" in ws.oddHeader.center.text and "&P" in ws.oddFooter.center.text
    values = [r[0] for r in ws.iter_rows(values_only=True)]
    assert values[-2:] == ["人民币壹仟伍佰元整", "签收："]
