"""The two workbook writers (styled xlsxwriter, fast Rust) write the same cell values."""

import datetime as dt
import zipfile
from decimal import Decimal

import openpyxl
import pandas as pd

from settle.output.xlsx import DATE, DATETIME, INT, MONEY, TEXT, Table, frame_of, write_book


def table():
    cols = [("名称", TEXT), ("金额", MONEY), ("日期", DATE), ("时间", DATETIME), ("行数", INT)]
    rows = [("=HYPERLINK(\"http://x\",\"y\")", Decimal("1.50"), dt.date(2024, 5, 1), dt.datetime(2024, 5, 1, 8, 30), 3),
            ("+1", Decimal("-2.05"), None, None, None), ("@x", None, dt.date(2024, 5, 3), None, 0),
            ("http://evil.example", Decimal("1234567.89"), None, dt.datetime(2024, 5, 4), 1)]
    return Table("明细", cols, frame_of(rows, cols), title=["标题", "说明"],
                 total=("合计", Decimal("1234567.34"), None, None, 4), landscape=True)


def cells(path):
    wb = openpyxl.load_workbook(path)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb}, wb


def test_both_writers_write_the_same_values(tmp_path):
    write_book(tmp_path / "styled.xlsx", [table()], fast=False)
    write_book(tmp_path / "fast.xlsx", [table()], fast=True)
    styled, wb1 = cells(tmp_path / "styled.xlsx")
    fast, wb2 = cells(tmp_path / "fast.xlsx")
    assert styled == fast
    rows = styled["明细"]
    assert rows[0][0] == "标题" and rows[3][0] == "名称"
    assert rows[4] == ('=HYPERLINK("http://x","y")', 1.5, dt.datetime(2024, 5, 1), dt.datetime(2024, 5, 1, 8, 30), 3)
    assert rows[-1] == ("合计", 1234567.34, None, None, 4)
    for wb in (wb1, wb2):
        ws = wb["明细"]
        assert ws.freeze_panes == "A5"
        assert ws["B5"].number_format == "#,##0.00"
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    for name in ("styled.xlsx", "fast.xlsx"):
        with zipfile.ZipFile(tmp_path / name) as z:
            sheet = z.read("xl/worksheets/sheet1.xml")
            assert b"<f>" not in sheet and b"hyperlink" not in sheet.lower().replace(b"=hyperlink", b"")
