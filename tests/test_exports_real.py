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
