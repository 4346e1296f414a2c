"""R46 rebate vouchers and 返款汇总, R47 the payroll import, and 人民币大写 (issue 17).

The workspace: S1 registers four referral patients in May.
    P1 仁爱诊所 / 许医生, 诊所 (R17 15 %): 1000.00 settled 05-06 → 150.00; 200.00 settled 05-20 → 30.00;
       a 5000.00 course still 疗程中 in May, settled 06-03 in June's export → 750.00 in June
    P2 仁爱诊所 / 李医生: 333.33 → 15 % = 49.9995 → 50.00 (another introducer, another voucher)
    P3 华强电子, 工厂 (no 转诊医生): 400.00 → 60.00
    P4 仁爱诊所 / 许医生 again: 100.00 refunded −100.00 in May → +15.00 and −15.00
So May's vouchers: 仁爱诊所_许医生 = 150 + 30 + 15 − 15 = 180.00 (4 lines), 仁爱诊所_李医生 = 50.00,
华强电子 = 60.00; June's: 仁爱诊所_许医生 = 750.00 (the course that settled).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from builders import bill, person, reg
from conftest import ok

from settle.output.checks import Difference
from settle.output.payroll import check_payroll
from settle.output.strips import check_strips
from settle.output.vouchers import check_rebate_summary, check_vouchers
from settle.output.words import rmb_figures, rmb_words

D = dt.datetime


def _referral(at, key, partner, referrer, channel="诊所"):
    return reg(at, "S1", key, channel=channel, partner=partner, referrer=referrer,
               phone="13800000000" if referrer else None, name="欧阳娜娜")


@pytest.fixture
def two_months(ws, settle):
    ws.staff([person("S1", "王芳"), person("S2", "李娜")])
    regs = [_referral(D(2024, 5, 2, 9), "P1", "仁爱诊所", "许医生"),
            _referral(D(2024, 5, 2, 9), "P2", "仁爱诊所", "李医生"),
            _referral(D(2024, 5, 2, 9), "P3", "华强电子", None, channel="工厂"),
            _referral(D(2024, 5, 2, 9), "P4", "仁爱诊所", "许医生")]
    course = bill(D(2024, 5, 10, 10), 5000, "P1", status="疗程中", settled=None, record="C-1", name="欧阳娜娜")
    billing = [bill(D(2024, 5, 6, 10), 1000, "P1", record="R-1", name="欧阳娜娜"),
               bill(D(2024, 5, 20, 10), 200, "P1", record="R-1", name="欧阳娜娜"),
               bill(D(2024, 5, 7, 10), 333.33, "P2", record="R-2"),
               bill(D(2024, 5, 8, 10), 400, "P3", record="R-3"),
               bill(D(2024, 5, 9, 10), 100, "P4", record="R-4"),
               bill(D(2024, 5, 9, 11), -100, "P4", record="R-4"),
               course]
    # S2 owes more than they earn: a 罚款 of 3000.00 makes a negative total (R39), kept as it is.
    adjust = [{"工号": "S2", "类型": "罚款", "金额": 3000, "事由": "违规", "批准人": "主任"}]
    ws.month("2024-05", regs=regs, billing=billing, adjust=adjust)
    may = ok(settle(ws, "2024-05"))
    settled = dict(course, 结算状态="已结算", 结算日期=dt.date(2024, 6, 3))
    ws.month("2024-06", regs=[], billing=[settled])
    june = ok(settle(ws, "2024-06"))
    return may, june


def _voucher(result, name):
    path = result.root / "output" / result.month / "返款单" / name
    ws = openpyxl.load_workbook(path, data_only=True).worksheets[0]
    return ws, [list(r) for r in ws.iter_rows(values_only=True)]


def _lines(rows):
    head = next(i for i, r in enumerate(rows) if r[0] == "序号")
    end = next(i for i, r in enumerate(rows) if r[0] == "合计")
    return rows[head + 1:end], rows[end]


def test_one_voucher_per_introducer_with_its_lines_and_total(two_months):
    may, _ = two_months
    folder = may.root / "output/2024-05/返款单"
    assert sorted(p.name for p in folder.iterdir()) == ["仁爱诊所_李医生.xlsx", "仁爱诊所_许医生.xlsx", "华强电子.xlsx"]
    ws, rows = _voucher(may, "仁爱诊所_许医生.xlsx")
    lines, total = _lines(rows)
    # 1000 × 15 % = 150, 200 × 15 % = 30, 100 × 15 % = 15, −100 × 15 % = −15 → 180.00
    assert [(r[1], r[6], r[8]) for r in lines] == [("R-1", 1000, 150), ("R-4", 100, 15), ("R-4", -100, -15),
                                                   ("R-1", 200, 30)]
    assert [r[2] for r in lines] == ["欧**娜", "张*", "张*", "欧**娜"]    # masked patients (欧阳娜娜, 张三)
    assert total[8] == 180 and total[6] == 1200
    text = "\n".join(str(c) for r in rows for c in r if c is not None)
    assert "人民币壹佰捌拾元整" in text and "¥180.00" in text
    for label in ("经办业务员", "经治医生", "院领导审批", "领款人", "日期"):
        assert label + "：" in text
    assert "许医生" in text and "2024-05" in text
    # A4 portrait, fitted to the width, the page numbered
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage          # 1 page wide (Excel's default 1 is left out)
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    # 49.9995 rounds half-up to 50.00 on 李医生's voucher; 华强电子 has no 转诊医生 in its name
    assert _lines(_voucher(may, "仁爱诊所_李医生.xlsx")[1])[1][8] == 50
    assert _lines(_voucher(may, "华强电子.xlsx")[1])[1][8] == 60


def test_a_course_in_treatment_is_on_no_voucher_until_it_settles(two_months):
    may, june = two_months
    _, rows = _voucher(may, "仁爱诊所_许医生.xlsx")
    assert "C-1" not in [r[1] for r in _lines(rows)[0]]
    assert [v["file"] for v in june.data["vouchers"]] == ["仁爱诊所_许医生.xlsx"]
    lines, total = _lines(_voucher(june, "仁爱诊所_许医生.xlsx")[1])
    assert [(r[1], r[6], r[8]) for r in lines] == [("C-1", 5000, 750)] and total[8] == 750   # 5000 × 15 %


def test_department_summary_holds_no_partner_line_and_finance_gets_them(two_months):
    may, _ = two_months
    wb = openpyxl.load_workbook(may.root / "output/2024-05/部门汇总.xlsx", data_only=True)
    assert "返款" not in wb.sheetnames
    cells = [str(c) for ws in wb.worksheets if ws.title != "运行信息" for r in ws.iter_rows(values_only=True)
             for c in r if c is not None]
    assert not any(p in c for c in cells for p in ("仁爱诊所", "华强电子", "许医生", "R-1"))
    rec = [r for r in wb["核对"].iter_rows(values_only=True) if r[0] and str(r[0]).startswith("返款合计")]
    assert rec and rec[0][2] == 290     # 180 + 50 + 60: the total stays in 核对
    fin = openpyxl.load_workbook(may.root / "output/2024-05/返款汇总.xlsx", data_only=True)
    assert fin.sheetnames == ["按介绍人", "返款明细"]
    rows = [r for r in fin["按介绍人"].iter_rows(values_only=True)]
    assert [(r[0], r[1], r[2], r[3]) for r in rows[1:4]] == [("仁爱诊所", "李医生", 1, 50), ("仁爱诊所", "许医生", 4, 180),
                                                           ("华强电子", None, 1, 60)]


def test_verify_checks_find_the_vouchers_right_and_a_changed_total(two_months):
    may, _ = two_months
    folder = may.root / "output/2024-05"
    assert check_vouchers(folder, may.data) == []
    assert check_rebate_summary(folder, may.data) == []
    assert check_payroll(folder, may.data) == []
    assert check_strips(folder, may.data) == []
    path = folder / "返款单" / "华强电子.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    total_row = next(r for r in ws.iter_rows() if r[0].value == "合计")
    total_row[8].value = 66
    wb.save(path)
    diffs = check_vouchers(folder, may.data)
    assert diffs and isinstance(diffs[0], Difference) and diffs[0].recorded == "60.00" and diffs[0].found == "66.00"
    path.unlink()
    assert [d.found for d in check_vouchers(folder, may.data)] == ["missing"]


def test_payroll_import_has_its_bom_and_equals_the_summary(two_months):
    may, _ = two_months
    folder = may.root / "output/2024-05"
    raw = (folder / "工资导入.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    summary = [r for r in openpyxl.load_workbook(folder / "部门汇总.xlsx", data_only=True)["汇总"]
               .iter_rows(values_only=True)]
    head = list(summary[0])
    assert rows[0] == head[:4] + head[5:]             # 工号 姓名 角色 小组, the pay columns, 应发合计 (no 业绩)
    paid = {r[0]: r for r in summary[1:] if r[0] != "合计" and r[-1] is not None}
    assert sorted(r[0] for r in rows[1:]) == sorted(paid)
    for r in rows[1:]:
        want = paid[r[0]]
        assert r[1:4] == [want[1], want[2], want[3] or ""]
        assert [Decimal(x) for x in r[4:]] == [Decimal(str(v)).quantize(Decimal("0.01")) for v in want[5:]]
    s2 = next(r for r in rows if r[0] == "S2")
    assert s2[-1] == "-3000.00" and s2[-2] == "3000.00"    # 扣款 positive, 应发合计 negative as it is (R39)
    xl = [r for r in openpyxl.load_workbook(folder / "工资导入.xlsx", data_only=True).worksheets[0]
          .iter_rows(values_only=True)]
    assert [list(map(str, r[:4])) for r in xl[1:]] == [[str(x) for x in r[:4]] for r in rows[1:]]
    assert [r[-1] for r in xl[1:]] == [float(r[-1]) for r in rows[1:]]
    # A changed figure is a difference the verify check names
    (folder / "工资导入.csv").write_bytes(raw.replace(b"-3000.00", b"-2999.99"))
    assert [(d.recorded, d.found) for d in check_payroll(folder, may.data)] == [("-3000.00", "-2999.99")]


@pytest.mark.parametrize("amount, words", [
    ("0.05", "伍分"),
    ("10.00", "壹拾元整"),
    ("1000000.01", "壹佰万元零壹分"),
    ("-12.50", "负壹拾贰元伍角整"),          # 到角为止写整
    ("0", "零元整"),
    ("0.50", "伍角整"),
    ("1.23", "壹元贰角叁分"),
    ("20.05", "贰拾元零伍分"),               # 角位是0而分位不是0：元后写零
    ("1010.00", "壹仟零壹拾元整"),
    ("10005.60", "壹万零伍元陆角整"),
    ("101000", "壹拾万壹仟元整"),
    ("100000001", "壹亿零壹元整"),
    ("29847.82", "贰万玖仟捌佰肆拾柒元捌角贰分"),
    ("-3000", "负叁仟元整"),
    ("0.005", "壹分"),                      # rounded half-up to the fen first
])
def test_rmb_words(amount, words):
    assert rmb_words(amount) == words


def test_rmb_figures_put_the_sign_before_the_yuan_sign():
    assert (rmb_figures("1234.5"), rmb_figures("-100"), rmb_figures("0")) == ("¥1,234.50", "-¥100.00", "¥0.00")
