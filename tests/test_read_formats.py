"""Every input file read or refused by name (SPEC §2, §8, §8.1; issue 10).

1. summary rows (合计 总计 小计 本页合计 本页小计 累计) in any column, and repeated header rows,
   are dropped and counted, never an error;
2. .ods and .xlsb are read with .xlsx's safety guarantees; files that match no kind are named;
3. .xls (and .ods) are as strict as .xlsx: numbers >= 10^15 and lost leading zeros in key columns;
   BIFF2-5 read through xlrd or refused as 旧版 Excel;
4. no exception escapes: a reader panic is a catalogue problem naming the file, exit 2; third-party
   chatter never reaches the terminal.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import struct
import warnings
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from builders import load_month, BILL_HEADERS, bill, person, reg
from conftest import SAMPLES, invoke
from formats import write_ods, write_xls
from settle.load.scan import UnreadableWorkbook, scan_workbook
from settle.load.workspace import Month
from settle.problems import Problems

MAY = Month(2024, 5)
V = dt.datetime(2024, 5, 5, 10)


def load(root: Path):
    return load_month(root, MAY)


def codes(problems, severity=None):
    return sorted((p.file, p.sheet, p.row, p.column, p.code) for p in problems
                  if severity is None or p.severity == severity)


def billing_rows(lines: list[dict], *, extra_first: list | None = None) -> list[list]:
    """A billing export as rows of cells; `extra_first`: values of an unmapped 序号 column."""
    head = (["序号"] if extra_first is not None else []) + BILL_HEADERS
    rows = [head]
    for i, line in enumerate(lines):
        rows.append(([extra_first[i]] if extra_first is not None else []) + [line.get(h) for h in BILL_HEADERS])
    return rows


def save_xlsx(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return path


@pytest.fixture
def month(ws):
    """A workspace whose 2024-05 billing file is replaced by each test."""
    ws.staff([person("S001", "王芳")])
    folder = ws.month("2024-05", regs=[reg(dt.datetime(2024, 5, 2, 9), "王芳", "P1")],
                      billing=[bill(V, 100, "P1")])
    (folder / "收费明细.xlsx").unlink()
    return ws


# -- 1. summary rows anywhere, repeated headers ---------------------------------------------

def test_summary_rows_in_an_unmapped_column_are_dropped_and_counted(month):
    """HIS exports label 合计 in the 序号 column: each such row (keys empty) is dropped and counted
    as one info, never 必填项为空. 100 + 50 + 25 = 175.00 yuan are the three real lines."""
    lines = [bill(V, 100, "P1"), bill(V, 50, "P1"), {"金额": 150}, bill(V, 25, "P1"),
             {"金额": 25}, {"金额": 175}, {"金额": 175}]
    labels = [1, 2, "本页 合计：", 3, "本页小计", "累计", "总　计"]  # spaces, full-width space, colon
    save_xlsx(month.root / "2024-05" / "收费明细.xlsx", billing_rows(lines, extra_first=labels))
    inputs, problems = load(month.root)
    assert not problems.errors and not problems.warnings, codes(problems)
    assert inputs.billing["amount_fen"].tolist() == [10000, 5000, 2500]
    info = [p for p in problems if p.code == "summary_rows"]
    assert len(info) == 1 and dict(info[0].params)["count"] == "4"
    assert info[0].text() == "跳过 4 个合计行（第 4、6、7、8 行）"


def test_summary_label_in_a_mapped_column_whatever_the_keys_hold(month):
    """SPEC §8.1 (issue 24.3): the label alone makes a summary row, in any column — 合计 in 科室
    with empty keys, and 小计 in 项目类别 beside a filled 患者标识 (the row's other cells may hold
    anything, key columns included). Only the 100.00 line is data."""
    lines = [bill(V, 100, "P1"), {"科室": "合计", "金额": 100}, bill(V, 7, "P1", category="小计")]
    save_xlsx(month.root / "2024-05" / "收费明细.xlsx", billing_rows(lines))
    inputs, problems = load(month.root)
    assert [p.code for p in problems] == ["summary_rows"]
    assert inputs.billing["amount_fen"].tolist() == [10000]


def test_repeated_header_rows_are_dropped_and_counted(month):
    """A paged export repeats its header every page: rows 3 and 5 are headers, not data."""
    rows = billing_rows([bill(V, 100, "P1")])
    rows += [BILL_HEADERS, [bill(V, 30, "P1")[h] for h in BILL_HEADERS], list(BILL_HEADERS)]
    save_xlsx(month.root / "2024-05" / "收费明细.xlsx", rows)
    inputs, problems = load(month.root)
    assert codes(problems) == [("2024-05/收费明细.xlsx", "Sheet", None, None, "repeated_header")]
    assert inputs.billing["amount_fen"].tolist() == [10000, 3000]
    assert "第 3、5 行" in problems.items[0].text()


def test_validate_shows_summary_rows_as_info_and_exits_0(month):
    rows = billing_rows([bill(V, 100, "P1"), {"金额": 100}], extra_first=[1, "合计"])
    save_xlsx(month.root / "2024-05" / "收费明细.xlsx", rows)
    r = invoke("validate", "2024-05", "--workspace", str(month.root))
    assert r.exit_code == 0, r.output
    assert "提示" in r.output and "跳过 1 个合计行（第 3 行）" in r.output


# -- 2. .ods and .xlsb read; look-alikes named -----------------------------------------------

def test_ods_half_month_is_read_next_to_the_xlsx(month):
    """The first half saved by LibreOffice/WPS as .ods is read: 100 + 40.50 = 140.50 yuan."""
    folder = month.root / "2024-05"
    save_xlsx(folder / "收费明细_下半月.xlsx", billing_rows([bill(V, 100, "P1")]))
    write_ods(folder / "收费明细_上半月.ods", billing_rows([bill(V, 40.5, "P1", record="0001234")]))
    inputs, problems = load(month.root)
    assert codes(problems) == []
    assert sorted(inputs.billing["amount_fen"].tolist()) == [4050, 10000]
    ods = inputs.billing[inputs.billing["src_file"] == "2024-05/收费明细_上半月.ods"].iloc[0]
    assert ods["record_no"] == "0001234" and ods["visited_at"] == V and ods["src_row"] == 2
    assert ("2024-05/收费明细_上半月.ods", inputs.files[-1][1]) in inputs.files or any(
        f == "2024-05/收费明细_上半月.ods" for f, _ in inputs.files)


def _ods_with(tmp_path: Path, content: bytes, *, compress=zipfile.ZIP_DEFLATED) -> Path:
    p = tmp_path / "x.ods"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest/>')
        z.writestr("content.xml", content, compress)
    return p


def test_ods_with_an_entity_declaration_is_refused(tmp_path):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0">'
            b'&b;</office:document-content>')
    with pytest.raises(UnreadableWorkbook) as e:
        scan_workbook(_ods_with(tmp_path, bomb))
    assert e.value.code == "xml_entities"


def test_ods_zip_bomb_is_refused_before_inflating(tmp_path):
    # 64 MB of zeros deflate to ~64 KB: 1000:1, over 10 MB: refused from the zip directory alone
    with pytest.raises(UnreadableWorkbook) as e:
        scan_workbook(_ods_with(tmp_path, b"<a>" + b"0" * (64 << 20) + b"</a>"))
    assert e.value.code == "zip_bomb"


def test_ods_sheet_over_the_cell_budget_is_refused(tmp_path):
    t = ('<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
         'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
         'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
         '<table:table table:name="S"><table:table-row table:number-rows-repeated="1000000">'
         '<table:table-cell table:number-columns-repeated="16000" office:value-type="float" office:value="1">'
         '<text:p>1</text:p></table:table-cell></table:table-row></table:table>'
         '</office:spreadsheet></office:body></office:document-content>')
    with pytest.raises(UnreadableWorkbook) as e:
        scan_workbook(_ods_with(tmp_path, t.encode()))
    assert e.value.code == "too_wide"


def _xlsb(path: Path, cells: list[tuple[int, int, object]]) -> Path:
    """A minimal .xlsb (BIFF12 records, MS-XLSB) with one sheet 'S': numbers as BrtCellReal,
    text as BrtCellSt. calamine reads it like Excel's own."""
    def rec(rtype: int, body: bytes = b"") -> bytes:
        head = bytes([rtype]) if rtype < 0x80 else bytes([(rtype & 0x7F) | 0x80, rtype >> 7])
        size, n = b"", len(body)
        while True:
            b = n & 0x7F
            n >>= 7
            size += bytes([b | (0x80 if n else 0)])
            if not n:
                break
        return head + size + body

    def wide(s: str) -> bytes:
        return struct.pack("<I", len(s)) + s.encode("utf-16-le")

    last_r, last_c = max(c[0] for c in cells), max(c[1] for c in cells)
    sheet = rec(129) + rec(148, struct.pack("<IIII", 0, last_r, 0, last_c)) + rec(145)  # +BrtWsDim
    for r in sorted({c[0] for c in cells}):
        sheet += rec(0, struct.pack("<IIHBBBI", r, 0, 0x12C, 0, 0, 0, 0))  # BrtRowHdr
        for _, col, v in sorted(c for c in cells if c[0] == r):
            cell = struct.pack("<I", col) + b"\x00\x00\x00\x00"
            sheet += rec(5, cell + struct.pack("<d", v)) if isinstance(v, (int, float)) else rec(6, cell + wide(v))
    sheet += rec(146) + rec(130)  # BrtEndSheetData, BrtEndSheet
    book = (rec(131) + rec(143) + rec(156, struct.pack("<II", 0, 1) + wide("rId1") + wide("S"))
            + rec(144) + rec(132))
    ct = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
          'content-types"><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.'
          'main"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Override PartName="/xl/worksheets/sheet1.bin" ContentType="application/vnd.ms-excel.worksheet"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>')
    wrels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
             '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
             'relationships/worksheet" Target="worksheets/sheet1.bin"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", ct)
        z.writestr("_rels/.rels", rels)
        z.writestr("xl/workbook.bin", book)
        z.writestr("xl/_rels/workbook.bin.rels", wrels)
        z.writestr("xl/worksheets/sheet1.bin", sheet)
    return path


def test_xlsb_is_scanned_and_read(tmp_path):
    p = _xlsb(tmp_path / "b.xlsb", [(0, 0, "病历号"), (0, 1, "金额"), (1, 0, "0001"), (1, 1, 12.5),
                                    (2, 0, "0002"), (2, 1, 1234567890123456789.0)])
    s = scan_workbook(p)
    assert s.kind == "xlsb" and [x.name for x in s.sheets] == ["S"]
    assert (s.sheets[0].max_row, s.sheets[0].max_col) == (3, 2)
    assert s.sheets[0].long_numbers == ((3, 2, "1234567890123456768"),)


def test_xlsb_billing_is_read_with_the_long_number_trap(month):
    """An .xlsb billing whose 患者标识 is a number of 19 digits: the 15-digit trap applies."""
    rows = billing_rows([bill(V, 100, "P1"), bill(V, 20, 1234567890123456789)])
    cells = []
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if isinstance(v, dt.datetime):
                v = v.strftime("%Y-%m-%d %H:%M")
            elif isinstance(v, dt.date):
                v = v.isoformat()
            if v is not None:
                cells.append((r, c, v))
    _xlsb(month.root / "2024-05" / "收费明细.xlsb", cells)
    inputs, problems = load(month.root)
    assert codes(problems, "error") == [("2024-05/收费明细.xlsb", "S", 3, "患者标识", "long_number")]


def test_files_matching_no_kind_are_named_and_listed(month):
    folder = month.root / "2024-05"
    save_xlsx(folder / "收费明细.xlsx", billing_rows([bill(V, 100, "P1")]))
    (folder / "说明.docx").write_bytes(b"PK\x03\x04")
    (folder / "5月汇总.xlsx").write_bytes(b"")
    (folder / "收费明细_补充.numbers").write_bytes(b"x")
    (folder / "~$收费明细.xlsx").write_bytes(b"x")    # Excel's owner file: not an input, not listed
    inputs, problems = load(month.root)
    assert codes(problems) == [("2024-05/5月汇总.xlsx", None, None, None, "unmatched_file"),
                               ("2024-05/收费明细_补充.numbers", None, None, None, "unsupported_file"),
                               ("2024-05/说明.docx", None, None, None, "unmatched_file")]
    assert inputs.skipped == [("2024-05/5月汇总.xlsx", "unmatched"), ("2024-05/收费明细_补充.numbers", "unsupported"),
                              ("2024-05/说明.docx", "unmatched")]


def test_run_prints_what_it_skipped(month):
    folder = month.root / "2024-05"
    save_xlsx(folder / "收费明细.xlsx", billing_rows([bill(V, 100, "P1")]))
    (folder / "说明.txt").write_text("notes", encoding="utf-8")
    r = invoke("run", "2024-05", "--workspace", str(month.root))
    assert r.exit_code == 0, r.output
    assert "未读取的文件：2024-05/说明.txt" in r.output


# -- 3. .xls as strict as .xlsx ---------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["xls", "ods", "xlsx"])
def test_a_number_of_18_digits_in_a_key_column_is_an_error_in_every_format(month, fmt):
    """患者标识 440306199608229514 typed as a number: Excel kept 15 digits (4.40306199608230E+17)."""
    rows = billing_rows([bill(V, 100, "P1"), bill(V, 20, 440306199608229514)])
    path = month.root / "2024-05" / f"收费明细.{fmt}"
    {"xls": write_xls, "ods": write_ods, "xlsx": save_xlsx}[fmt](path, rows)
    _, problems = load(month.root)
    err = [p for p in problems.errors]
    assert [(p.file, p.row, p.column, p.code) for p in err] == [
        (f"2024-05/收费明细.{fmt}", 3, "患者标识", "long_number")]


@pytest.mark.parametrize("fmt", ["xls", "xlsx"])
def test_a_record_number_that_lost_its_leading_zeros_is_an_error(month, fmt):
    rows = billing_rows([bill(V, 100, "P1", record="0012345"), bill(V, 20, "P1", record=12346),
                         bill(V, 30, "P1", record="1012347")])
    path = month.root / "2024-05" / f"收费明细.{fmt}"
    (write_xls if fmt == "xls" else save_xlsx)(path, rows)
    _, problems = load(month.root)
    assert [(p.row, p.column, p.code, p.value) for p in problems.errors] == [
        (3, "病历号", "lost_leading_zeros", "12346")]
    assert '如 "0012345"' in problems.errors[0].text()


def _biff2(path: Path, cells: list[tuple[int, int, object]]) -> Path:
    """A BIFF2 worksheet (Excel 2.x): a bare record stream, no OLE container."""
    out = struct.pack("<HHHH", 0x0009, 4, 0x0002, 0x0010)  # BOF
    for r, c, v in cells:
        if isinstance(v, str):
            b = v.encode("latin-1")
            out += struct.pack("<HHHH3sB", 0x0004, 8 + len(b), r, c, b"\0\0\0", len(b)) + b  # LABEL
        else:
            out += struct.pack("<HHHH3sd", 0x0003, 15, r, c, b"\0\0\0", float(v))  # NUMBER
    path.write_bytes(out + struct.pack("<HH", 0x000A, 0))  # EOF
    return path


def test_old_biff2_xls_is_read_through_xlrd(tmp_path):
    p = _biff2(tmp_path / "old.xls", [(0, 0, "amount"), (1, 0, 12.5), (2, 0, 1234567890123456789)])
    s = scan_workbook(p)
    assert (s.kind, s.reader) == ("xls", "xlrd")
    assert s.sheets[0].long_numbers == ((3, 1, "1234567890123456768"),)


def test_old_xls_nobody_can_read_is_refused_as_old_excel(month):
    (month.root / "2024-05" / "收费明细.xls").write_bytes(struct.pack("<HHHH", 0x0009, 4, 0x0002, 0x0010) + b"\xff" * 40)
    save_xlsx(month.root / "2024-05" / "收费明细_2.xlsx", billing_rows([bill(V, 100, "P1")]))
    _, problems = load(month.root)
    assert [(p.file, p.code, p.text()) for p in problems.errors] == [
        ("2024-05/收费明细.xls", "old_excel", "旧版 Excel 格式，请另存为 .xlsx")]


# -- 4. no exception escapes; third-party chatter stays off the terminal ----------------------

class PanicException(BaseException):
    """What pyo3 raises when Rust code panics: a BaseException, not an Exception."""


def test_a_reader_panic_is_a_problem_naming_the_file_and_run_exits_2(month, monkeypatch, capfd):
    import fastexcel

    save_xlsx(month.root / "2024-05" / "收费明细.xlsx", billing_rows([bill(V, 100, "P1")]))

    def panic(*a, **k):
        os.write(2, b"thread '<unnamed>' panicked at calamine/src/xls.rs: index out of bounds\n")
        raise PanicException("index out of bounds: the len is 3 but the index is 7")
    monkeypatch.setattr(fastexcel, "read_excel", panic)
    _, problems = load(month.root)
    assert ("2024-05/收费明细.xlsx", None, None, None, "reader_failed") in codes(problems)
    r = invoke("run", "2024-05", "--workspace", str(month.root))
    assert r.exit_code == 2
    assert "收费明细.xlsx" in r.output and "文件已损坏，读取程序无法解析" in r.output
    assert "Traceback" not in r.output and "panicked" not in r.output
    assert not (month.root / "output" / "2024-05").exists()
    assert "panicked" not in capfd.readouterr().err


def test_a_sheet_load_panic_names_the_file_and_sheet(month, monkeypatch):
    import fastexcel

    save_xlsx(month.root / "2024-05" / "收费明细.xlsx", billing_rows([bill(V, 100, "P1")]))
    real = fastexcel.read_excel

    class Reader:
        def __init__(self, src):
            self.inner = real(src)

        def load_sheet(self, *a, **k):
            raise PanicException("attempt to subtract with overflow")
    monkeypatch.setattr(fastexcel, "read_excel", Reader)
    _, problems = load(month.root)
    assert [(p.file, p.sheet, p.code) for p in problems.errors if p.file.startswith("2024-05/收费")] == [
        ("2024-05/收费明细.xlsx", "Sheet", "reader_failed")]


def test_the_cli_last_resort_catches_base_exceptions(month, monkeypatch):
    import settle.engine.pipeline as pipeline

    def boom(*a, **k):
        raise PanicException("unexpected")
    monkeypatch.setattr(pipeline, "load", boom)
    r = invoke("validate", "2024-05", "--workspace", str(month.root))
    assert r.exit_code == 2 and "内部错误" in r.output and "Traceback" not in r.output


def test_reader_chatter_is_kept_off_the_terminal_and_shown_with_debug(capfd):
    from settle.load.quiet import DEBUG_LOG, quiet

    seen = []
    handler = logging.Handler()
    handler.emit = lambda rec: seen.append(rec.getMessage())
    DEBUG_LOG.addHandler(handler)
    old = DEBUG_LOG.level
    DEBUG_LOG.setLevel(logging.DEBUG)
    try:
        with quiet():
            os.write(2, b"calamine error: Xlsx error: 'chartsheet' not a valid worksheet\n")
            logging.getLogger("fastexcel.types.dtype").warning("Could not determine dtype for column 1")
            warnings.warn("Workbook contains no default style, apply openpyxl's default")
    finally:
        DEBUG_LOG.removeHandler(handler)
        DEBUG_LOG.setLevel(old)
    err = capfd.readouterr().err
    assert err == ""
    assert any("chartsheet" in s for s in seen)  # the original words, for --debug


# -- round trip: the sample month's billing re-saved in every format --------------------------

def _copy_sheet_rows(path: Path) -> list[list]:
    wb = openpyxl.load_workbook(path)
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


@pytest.mark.parametrize("fmt", ["xls", "xlsx", "ods"])
def test_sample_billing_resaved_settles_to_the_same_figures(tmp_path, fmt):
    """samples' 2024-05: Σ payslips 110,114.38, 本月结算 1,562,313.30, whatever format the first
    half of the billing was saved in (SPEC §8.1: never exit 0 with other figures)."""
    from settle.engine.pipeline import blocking, compute, load as pload
    from settle.output.render import reconciliation

    ws = tmp_path / "ws"
    shutil.copytree(SAMPLES, ws, ignore=shutil.ignore_patterns("output"))
    src = ws / "2024-05" / "收费明细_上半月.xlsx"
    rows = _copy_sheet_rows(src)
    src.unlink()
    dest = ws / "2024-05" / f"收费明细_上半月.{fmt}"
    {"xls": write_xls, "ods": write_ods, "xlsx": save_xlsx}[fmt](dest, rows)
    problems = Problems()
    loaded = pload(ws, MAY, problems)
    assert not blocking(problems), [p.message() for p in blocking(problems)][:5]
    s = compute(loaded)
    rec = reconciliation(s)
    # the sample month with R42–R45, §8.1 and the appeals (§12) planted: 102,303.49 before the approved
    # appeal, + 35.61 (S004) + 35.62 (S001 R35) + 2.23 (S002 R34 net of R43 不服从) = 102,376.95
    assert sum((p.total for p in s.payslips), Decimal(0)) == Decimal("102376.95")
    assert rec["total_fen"] == 157423330 and rec["balanced"]
