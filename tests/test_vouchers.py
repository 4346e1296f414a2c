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
import json
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


def _book(result):
    return openpyxl.load_workbook(result.root / "output" / result.month / "返款单.xlsx", data_only=True)


def _record(result, partner, referrer=""):
    return next(v for v in result.data["vouchers"] if (v["partner"], v["referrer"]) == (partner, referrer))


def _voucher(result, partner, referrer=""):
    """The sheet holding one introducer's voucher and its block's rows (title … 日期)."""
    v = _record(result, partner, referrer)
    ws = _book(result).worksheets[v["sheet"]]
    return ws, [list(r) for r in ws.iter_rows(min_row=v["row"], max_row=v["row"] + 9 + v["lines"], values_only=True)]


def _lines(rows):
    end = next(i for i, r in enumerate(rows) if r[0] in ("合计", "Total"))
    return rows[3:end], rows[end]


def test_one_voucher_per_introducer_each_on_its_own_page_of_one_workbook(two_months):
    """R46: 返款单.xlsx — 目录 first, then every voucher starting a printed page (issue 26)."""
    may, _ = two_months
    folder = may.root / "output/2024-05"
    assert not (folder / "返款单").exists()                         # no folder of one file per introducer
    wb = _book(may)
    assert wb.sheetnames == ["目录", "返款单"]
    index = [r for r in wb["目录"].iter_rows(values_only=True)]
    assert index[0] == ("合作单位", "转诊医生", "笔数", "金额", "大额", "工作表", "页")
    assert [(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in index[1:]] == [
        ("仁爱诊所", "李医生", 1, 50, None, "返款单", 1), ("仁爱诊所", "许医生", 4, 180, None, "返款单", 2),
        ("华强电子", None, 1, 60, None, "返款单", 3), ("合计", "3 张返款单", 6, 290, None, None, None)]
    ws, rows = _voucher(may, "仁爱诊所", "许医生")
    lines, total = _lines(rows)
    # 1000 × 15 % = 150, 200 × 15 % = 30, 100 × 15 % = 15, −100 × 15 % = −15 → 180.00
    assert [(r[1], r[6], r[8]) for r in lines] == [("R-1", 1000, 150), ("R-4", 100, 15), ("R-4", -100, -15),
                                                   ("R-1", 200, 30)]
    assert [r[2] for r in lines] == ["欧**娜", "张*", "张*", "欧**娜"]    # masked patients (欧阳娜娜, 张三)
    assert total[8] == 180 and total[6] == 1200 and total[1] == "4 笔"
    text = "\n".join(str(c) for r in rows for c in r if c is not None)
    assert "人民币壹佰捌拾元整" in text and "¥180.00" in text
    for label in ("经办业务员", "经治医生", "院领导审批", "领款人", "日期"):
        assert label + "：" in text
    assert "许医生" in rows[1][0] and "2024-05" in rows[1][0] and rows[0][0].endswith("合作单位返款单")
    # Printed: A4 portrait at a fixed scale (fit-to-page would override manual breaks) at which
    # the ten columns fit the width, the headings on every page, a manual break before every
    # voucher but the first, pages numbered.
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "portrait" and ws.page_setup.scale == 70
    assert sum(ws.column_dimensions[c].width for c in "ABCDEFGHIJ") < 86 + 10 * 0.72   # 86 characters
    assert not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$1" and ws["A1"].value == "序号"
    starts = sorted(v["row"] for v in may.data["vouchers"])
    assert [b.id for b in ws.row_breaks.brk] == [r - 1 for r in starts[1:]]   # 0-based: the row above which it breaks
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    # 49.9995 rounds half-up to 50.00 on 李医生's voucher; 华强电子 has no 转诊医生
    assert _lines(_voucher(may, "仁爱诊所", "李医生")[1])[1][8] == 50
    assert _lines(_voucher(may, "华强电子")[1])[1][8] == 60


def test_every_voucher_adds_up_and_equals_its_introducer_in_the_finance_workbook(two_months):
    """R46: each voucher's 合计 = the sum of its printed lines = its introducer's total in
    返款汇总.xlsx › 按介绍人 = settlement.json, to the fen."""
    may, _ = two_months
    fin = openpyxl.load_workbook(may.root / "output/2024-05/返款汇总.xlsx", data_only=True)
    by_introducer = {(r[0], r[1] or ""): Decimal(str(r[3])) for r in fin["按介绍人"].iter_rows(min_row=2, values_only=True)
                     if r[0] != "合计"}
    assert len(by_introducer) == len(may.data["vouchers"]) == 3
    for v in may.data["vouchers"]:
        lines, total = _lines(_voucher(may, v["partner"], v["referrer"])[1])
        printed = sum((Decimal(str(r[8])) for r in lines), Decimal(0))
        assert printed == Decimal(str(total[8])) == by_introducer[(v["partner"], v["referrer"])] == Decimal(v["total"])


def test_vouchers_fill_sheets_of_at_most_the_limit(ws, settle, monkeypatch):
    """Excel keeps about 1 000 manual page breaks a sheet: vouchers split over sheets (here 2 a
    sheet), each sheet's pages numbered from 1."""
    from settle.output import voucher_book
    monkeypatch.setattr(voucher_book, "PER_SHEET", 2)
    ws.staff([person("S1", "王芳")])
    regs = [_referral(D(2024, 5, 2, 9), f"P{i}", f"诊所{i}", "许医生") for i in range(3)]
    ws.month("2024-05", regs=regs, billing=[bill(D(2024, 5, 6, 10), 100, f"P{i}") for i in range(3)])
    may = ok(settle(ws, "2024-05"))
    wb = _book(may)
    assert wb.sheetnames == ["目录", "返款单1", "返款单2"]
    assert [(v["sheet"], v["page"]) for v in may.data["vouchers"]] == [(1, 1), (1, 2), (2, 1)]
    assert [r[5:7] for r in wb["目录"].iter_rows(min_row=2, max_row=4, values_only=True)] == \
        [("返款单1", 1), ("返款单1", 2), ("返款单2", 1)]
    assert [b.id for b in wb["返款单1"].row_breaks.brk] == [12]   # the second voucher: 1 + (3 + 1 + 7)
    assert not wb["返款单2"].row_breaks.brk
    assert check_vouchers(may.root / "output/2024-05", may.data) == []


def test_a_voucher_longer_than_a_page_breaks_inside_and_the_pages_count_it():
    """One of 100 lines: the title and 58 lines on its first page ((920 − 50) // 15), the other
    42 on the next (61 would fit) with 合计 and the signatures (42 × 15 + 132 = 762 ≤ 920)."""
    from settle.output.voucher_book import layout
    from settle.output.vouchers import Voucher
    vs = [Voucher("A", "", "A.xlsx", 0, 1, 0, 0), Voucher("B", "", "B.xlsx", 1, 100, 0, 0),
          Voucher("C", "", "C.xlsx", 101, 1, 0, 0)]
    sheets = layout(vs)
    assert [(v.row, v.page) for v in vs] == [(1, 1), (12, 2), (122, 4)]      # 1 + 11, 12 + 110
    assert sheets[0].breaks == [12, 12 + 3 + 58, 122]


def test_a_course_in_treatment_is_on_no_voucher_until_it_settles(two_months):
    may, june = two_months
    _, rows = _voucher(may, "仁爱诊所", "许医生")
    assert "C-1" not in [r[1] for r in _lines(rows)[0]]
    assert [(v["partner"], v["referrer"]) for v in june.data["vouchers"]] == [("仁爱诊所", "许医生")]
    lines, total = _lines(_voucher(june, "仁爱诊所", "许医生")[1])
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


def test_verify_checks_the_book_and_finds_a_changed_total(two_months):
    may, _ = two_months
    folder = may.root / "output/2024-05"
    assert check_vouchers(folder, may.data) == []
    assert check_rebate_summary(folder, may.data) == []
    assert check_payroll(folder, may.data) == []
    assert check_strips(folder, may.data) == []
    path = folder / "返款单.xlsx"
    wb = openpyxl.load_workbook(path)
    v = _record(may, "华强电子")
    wb.worksheets[v["sheet"]].cell(v["row"] + 4, 9).value = 66      # its 合计's 返款 (the line says 60)
    wb.save(path)
    diffs = check_vouchers(folder, may.data)
    assert [(d.recorded, d.found) for d in diffs] == [("60.00", "66.00")]
    path.unlink()
    assert [d.found for d in check_vouchers(folder, may.data)] == ["missing"]


def test_a_month_settled_with_one_file_per_introducer_stays_verifiable(two_months):
    """Months settled before 返款单.xlsx keep 返款单/<合作单位>[_<转诊医生>].xlsx as their record:
    verify checks those files (here made as that version wrote them: the single-voucher layout)."""
    from settle.output.voucher_files import write_voucher_file
    may, _ = two_months
    folder = may.root / "output/2024-05"
    old = []
    for v in may.data["vouchers"]:
        path = write_voucher_file(folder, may.data, v, folder / "返款单")
        path.rename(path.with_name(path.name.removeprefix("返款单_")))
        old.append({"partner": v["partner"], "referrer": v["referrer"], "file": path.name.removeprefix("返款单_"),
                    "lines": v["lines"], "total": v["total"]})
    (folder / "返款单.xlsx").unlink()
    record = dict(may.data, vouchers=old)
    assert check_vouchers(folder, record) == []
    path = folder / "返款单" / "华强电子.xlsx"
    wb = openpyxl.load_workbook(path)
    total_row = next(r for r in wb.worksheets[0].iter_rows() if r[0].value == "合计")
    total_row[8].value = 66
    wb.save(path)
    assert [(d.recorded, d.found) for d in check_vouchers(folder, record)] == [("60.00", "66.00")]
    path.unlink()
    assert [d.found for d in check_vouchers(folder, record)] == ["missing"]


def test_settle_vouchers_writes_one_introducers_voucher_from_the_record(two_months):
    """settle vouchers MONTH --partner NAME: the published block as a file of its own, for sending."""
    from conftest import invoke
    may, _ = two_months
    ws = str(may.root)
    r = invoke("vouchers", "2024-05", "--partner", "仁爱诊所/许医生", "--workspace", ws)
    assert r.exit_code == 0, r.output
    sent = may.root / "output/返款单/2024-05"
    assert [p.name for p in sent.iterdir()] == ["返款单_仁爱诊所_许医生.xlsx"]
    rows = [list(r) for r in openpyxl.load_workbook(sent / "返款单_仁爱诊所_许医生.xlsx").worksheets[0]
            .iter_rows(values_only=True)]
    assert rows[0][0].endswith("合作单位返款单") and "许医生" in rows[1][0] and rows[4][0] == "序号"
    lines, total = rows[5:9], rows[9]
    assert [(x[1], x[8]) for x in lines] == [("R-1", 150), ("R-4", 15), ("R-4", -15), ("R-1", 30)] and total[8] == 180
    assert any("人民币壹佰捌拾元整" in str(x[0]) for x in rows[10:])
    assert invoke("vouchers", "2024-05", "--partner", "仁爱诊所", "--workspace", ws).exit_code == 0
    assert sorted(p.name for p in sent.iterdir()) == ["返款单_仁爱诊所_李医生.xlsx", "返款单_仁爱诊所_许医生.xlsx"]
    listed = invoke("vouchers", "2024-05", "--workspace", ws, "--json")
    assert listed.exit_code == 0 and len(json.loads(listed.stdout)["vouchers"]) == 3
    unknown = invoke("vouchers", "2024-05", "--partner", "仁爱诊", "--workspace", ws)
    assert unknown.exit_code == 2 and "仁爱诊所" in unknown.output          # the close name is suggested
    assert invoke("vouchers", "2024-07", "--partner", "仁爱诊所", "--workspace", ws).exit_code == 2   # not settled
    assert not (may.root / "output/2024-05/返款单").exists()                # the month's record untouched


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
