"""settle.load.scan: hostile and broken workbooks are refused before any reader sees them; stray
cells far away are dropped from a sanitised copy that fastexcel reads correctly (checked in a
subprocess with a memory limit, so a regression cannot take pytest down with it)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from settle.load import scan as safety
from settle.load.scan import canonical, patterns, plan, zipio
from settle.load.scan import SheetScan, UnreadableWorkbook, WorkbookScan, scan_workbook

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


# ------------------------------------------------------------------------------------------
# builders


def sheet_xml(rows: str, *, dimension: str | None = None, tail: str = "", head: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet {NS} {RNS}>{head}{dim}<sheetData>{rows}</sheetData>{tail}</worksheet>')


def make_xlsx(path: Path, sheets: list[tuple[str, str, str]], *, shared: str | None = None,
              workbook_pr: str = "", prolog: str = "", extra: dict[str, bytes] | None = None) -> Path:
    """sheets: (name, worksheet xml, state). A minimal but complete SpreadsheetML package."""
    ct = ['<?xml version="1.0" encoding="UTF-8"?>',
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">',
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>',
          '<Default Extension="xml" ContentType="application/xml"/>',
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
          'officedocument.spreadsheetml.sheet.main+xml"/>']
    rels = ['<?xml version="1.0" encoding="UTF-8"?>',
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">']
    wb_sheets = []
    for i, (name, _, state) in enumerate(sheets, 1):
        ct.append(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                  'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
        rels.append(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/'
                    f'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>')
        st = f' state="{state}"' if state != "visible" else ""
        wb_sheets.append(f'<sheet name="{name}" sheetId="{i}"{st} r:id="rId{i}"/>')
    if shared is not None:
        ct.append('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                  'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
        rels.append('<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/'
                    '2006/relationships/sharedStrings" Target="sharedStrings.xml"/>')
    ct.append("</Types>")
    rels.append("</Relationships>")
    workbook = (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<workbook {NS} {RNS}>{workbook_pr}'
                f'<sheets>{"".join(wb_sheets)}</sheets></workbook>')
    root_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                 'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
                 '//schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
                 'Target="xl/workbook.xml"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "".join(ct))
        z.writestr("_rels/.rels", root_rels)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", "".join(rels))
        for i, (_, xml, _) in enumerate(sheets, 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", xml)
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", shared)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def data_rows(n: int, cols: int = 3, start: int = 1) -> str:
    out = []
    for r in range(start, start + n):
        cells = "".join(f'<c r="{safety.col_letters(c)}{r}"><v>{r * 10 + c}</v></c>' for c in range(1, cols + 1))
        out.append(f'<row r="{r}">{cells}</row>')
    return "".join(out)


def refused(path: Path) -> UnreadableWorkbook:
    with pytest.raises(UnreadableWorkbook) as info:
        scan_workbook(path)
    assert info.value.code in UnreadableWorkbook.CODES
    return info.value


def run_fastexcel_isolated(source: Path | bytes, tmp_path: Path, mem_mb: int = 3072) -> dict:
    """Load every sheet of `source` with fastexcel in a child process limited to mem_mb of
    address space; returns {"ok": bool, "sheets": {name: [[row values]...]}} or the failure."""
    if isinstance(source, bytes):
        src = tmp_path / "sanitised.xlsx"
        src.write_bytes(source)
    else:
        src = source
    code = textwrap.dedent("""
        import json, resource, sys
        limit = int(sys.argv[2]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        import fastexcel
        r = fastexcel.read_excel(sys.argv[1])
        out = {}
        for i, name in enumerate(r.sheet_names):
            b = r.load_sheet(i, header_row=None, dtypes="string").to_arrow()
            out[name] = [[b.column(c)[k].as_py() for c in range(b.num_columns)] for k in range(b.num_rows)]
        print(json.dumps(out))
    """)
    proc = subprocess.run([sys.executable, "-c", code, str(src), str(mem_mb)], capture_output=True,
                          text=True, timeout=120)
    if proc.returncode != 0:
        return {"ok": False, "returncode": proc.returncode, "stderr": proc.stderr[:4000]}
    return {"ok": True, "sheets": json.loads(proc.stdout)}


# ------------------------------------------------------------------------------------------
# refusals


def test_empty_file(tmp_path):
    p = tmp_path / "a.xlsx"
    p.write_bytes(b"")
    assert refused(p).code == "empty"


def test_html_named_xls(tmp_path):
    p = tmp_path / "收费明细.xls"
    p.write_text("<html><head><meta charset='utf-8'></head><body><table><tr><td>金额</td></tr>"
                 "</table></body></html>", encoding="utf-8")
    e = refused(p)
    assert e.code == "not_excel"
    assert "HTML" in e.detail


def test_csv_and_text_named_xlsx(tmp_path):
    p = tmp_path / "a.xlsx"
    p.write_text("工号,姓名,金额\n001,张三,100\n", encoding="utf-8")
    e = refused(p)
    assert e.code == "not_excel" and "CSV" in e.detail
    p.write_text("just some notes\nnothing else\n", encoding="utf-8")
    e = refused(p)
    assert e.code == "not_excel" and "text" in e.detail


def test_zip_without_workbook_is_not_excel(tmp_path):
    p = tmp_path / "a.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("hello.txt", "hi")
    e = refused(p)
    assert e.code == "not_excel" and "xl/workbook.xml" in e.detail


def test_truncated_zip(tmp_path):
    good = make_xlsx(tmp_path / "good.xlsx", [("S", sheet_xml(data_rows(200)), "visible")])
    data = good.read_bytes()
    p = tmp_path / "cut.xlsx"
    p.write_bytes(data[: len(data) // 2])
    assert refused(p).code == "truncated"


def test_corrupt_member_fails_crc_or_inflate(tmp_path):
    good = make_xlsx(tmp_path / "good.xlsx", [("S", sheet_xml(data_rows(2000)), "visible")])
    z = zipfile.ZipFile(good)
    info = z.getinfo("xl/worksheets/sheet1.xml")
    z.close()
    data = bytearray(good.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + 200
    for k in range(start, start + 64):
        data[k] ^= 0x5A
    p = tmp_path / "corrupt.xlsx"
    p.write_bytes(bytes(data))
    e = refused(p)
    assert e.code == "truncated"
    assert "sheet1.xml" in e.detail


def test_stored_member_with_bad_crc(tmp_path):
    p = tmp_path / "a.xlsx"
    make_xlsx(p, [("S", sheet_xml(data_rows(50)), "visible")])
    q = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(p) as src, zipfile.ZipFile(q, "w", zipfile.ZIP_STORED) as out:
        for i in src.infolist():
            out.writestr(i.filename, src.read(i.filename))
    assert scan_workbook(q).sheets[0].max_row == 50      # stored members are fine
    data = bytearray(q.read_bytes())
    k = data.find(b'<c r="B7"><v>72</v>')
    data[k + 14] = ord("9")                               # 72 -> 92: same size, bad CRC
    q.write_bytes(bytes(data))
    e = refused(q)
    assert e.code == "truncated" and "CRC" in e.detail


def _cfb(stream_names: list[str]) -> bytes:
    """A minimal OLE compound file whose directory holds the given (empty) streams."""
    free, end, fatsect = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 0x28, 0, 1, 1, 0, 4096, end, 0, end, 0)
    difat = [0] + [free] * 108
    struct.pack_into("<109I", header, 0x4C, *difat)
    fat = struct.pack("<128I", fatsect, end, *([free] * 126))

    def entry(name: str, typ: int, child: int = free, right: int = free) -> bytes:
        e = bytearray(128)
        raw = name.encode("utf-16-le") + b"\x00\x00"
        e[: len(raw)] = raw
        struct.pack_into("<HBB", e, 0x40, len(raw), typ, 1)
        struct.pack_into("<III", e, 0x44, free, right, child)
        struct.pack_into("<IQ", e, 0x74, end, 0)
        return bytes(e)

    entries = [entry("Root Entry", 5, child=1)]
    for k, n in enumerate(stream_names):
        entries.append(entry(n, 2, right=(k + 2) if k + 1 < len(stream_names) else free))
    while len(entries) < 4:
        entries.append(bytes(128))
    return bytes(header) + fat + b"".join(entries[:4])


def test_encrypted_ooxml_in_ole_container(tmp_path):
    p = tmp_path / "locked.xlsx"
    p.write_bytes(_cfb(["EncryptionInfo", "EncryptedPackage"]))
    e = refused(p)
    assert e.code == "encrypted"
    assert "EncryptedPackage" in e.detail


def test_ole_without_workbook_stream_is_not_excel(tmp_path):
    p = tmp_path / "memo.xls"
    p.write_bytes(_cfb(["WordDocument"]))
    e = refused(p)
    assert e.code == "not_excel" and "Word" in e.detail


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
"""


def test_billion_laughs_in_shared_strings(tmp_path):
    sst = BILLION_LAUGHS + f'<sst {NS} count="1" uniqueCount="1"><si><t>&lol4;</t></si></sst>'
    p = make_xlsx(tmp_path / "a.xlsx", [("S", sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'),
                                         "visible")], shared=sst)
    e = refused(p)
    assert e.code == "xml_entities"
    assert "sharedStrings.xml" in e.detail


def test_billion_laughs_in_sheet(tmp_path):
    xml = BILLION_LAUGHS + (f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol4;'
                            '</t></is></c></row></sheetData></worksheet>')
    p = make_xlsx(tmp_path / "a.xlsx", [("S", xml, "visible")])
    e = refused(p)
    assert e.code == "xml_entities"
    assert "sheet1.xml" in e.detail


def test_external_entity_in_workbook(tmp_path):
    p = make_xlsx(tmp_path / "a.xlsx", [("S", sheet_xml(data_rows(2)), "visible")],
                  prolog='<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
    e = refused(p)
    assert e.code == "xml_entities"
    assert "workbook.xml" in e.detail


def test_doctype_inside_sheet_data_is_refused(tmp_path):
    # not in the prolog: hidden after the first rows (the slow scanner sees it)
    rows = data_rows(3) + '<!DOCTYPE x [<!ENTITY a "b">]>' + data_rows(2, start=4)
    p = make_xlsx(tmp_path / "a.xlsx", [("S", sheet_xml(rows), "visible")])
    assert refused(p).code == "xml_entities"


def test_zip_bomb_member_ratio(tmp_path):
    # 11 MB of one byte deflates ~1000:1: a cheap stand-in for a real bomb
    p = make_xlsx(tmp_path / "bomb.xlsx", [("S", sheet_xml(data_rows(2)), "visible")],
                  extra={"xl/media/pad.xml": b"<a>" + b"A" * (11 * 1024 * 1024) + b"</a>"})
    e = refused(p)
    assert e.code == "zip_bomb"
    assert "pad.xml" in e.detail and ":1" in e.detail


def _zip_with_declared_sizes(path: Path, members: list[tuple[str, bytes, int, int]]) -> Path:
    """A zip whose central directory declares (compress_size, file_size) as given, whatever
    the data holds: the scan must decide from the declarations, before inflating."""
    out = bytearray()
    central = bytearray()
    for name, data, csize, usize in members:
        off = len(out)
        nb = name.encode()
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, 0, len(data), len(data), len(nb), 0)
        out += nb + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0x21, 0, csize, usize,
                               len(nb), 0, 0, 0, 0, 0, off) + nb
    cd = len(out)
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), cd, 0)
    path.write_bytes(bytes(out))
    return path


def test_zip_bomb_total_size(tmp_path):
    # each member 90:1 (under the per-member ratio) but 2.25 GB together
    members = [(f"xl/part{i}.xml", b"<a/>", 10_000_000, 900_000_000) for i in range(3)]
    members.append(("xl/workbook.xml", b"<workbook/>", 11, 11))
    p = _zip_with_declared_sizes(tmp_path / "big.xlsx", members)
    e = refused(p)
    assert e.code == "zip_bomb"
    assert "together" in e.detail


def test_member_inflating_beyond_its_declared_size(tmp_path):
    good = make_xlsx(tmp_path / "good.xlsx", [("S", sheet_xml(data_rows(3000)), "visible")])
    z = zipfile.ZipFile(good)
    info = z.getinfo("xl/worksheets/sheet1.xml")
    z.close()
    data = bytearray(good.read_bytes())
    # shrink the declared uncompressed size in the central directory entry
    pos = 0
    while True:
        pos = data.find(b"PK\x01\x02", pos)
        assert pos >= 0
        nlen = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46: pos + 46 + nlen] == info.filename.encode():
            struct.pack_into("<I", data, pos + 24, 1000)
            break
        pos += 4
    p = tmp_path / "liar.xlsx"
    p.write_bytes(bytes(data))
    e = refused(p)
    assert e.code == "zip_bomb"
    assert "declared size" in e.detail


def test_too_wide_when_nothing_can_be_dropped(tmp_path):
    p = make_xlsx(tmp_path / "a.xlsx", [("S", sheet_xml(data_rows(40, cols=5)), "visible")])
    with pytest.raises(UnreadableWorkbook) as info:
        scan_workbook(p, max_cells=100)
    assert info.value.code == "too_wide"
    assert "E40" in info.value.detail


# ------------------------------------------------------------------------------------------
# a legitimate workbook


def _legit(tmp_path: Path) -> Path:
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>患者标识</t></is></c><c r="B1" t="s"><v>0</v></c>'
        '<c r="C1" t="inlineStr"><is><t>金额</t></is></c></row>'
        # an 18-digit ID stored as a number: raw integer form and Excel's exponent form
        '<row r="2"><c r="A2"><v>110101199001011234</v></c><c r="B2" t="s"><v>1</v></c>'
        '<c r="C2" t="n"><v>12.5</v></c></row>'
        '<row r="3"><c r="A3" s="1"><v>1.10101199001011E+17</v></c><c r="B3" t="s"><v>1</v></c>'
        # a formula with no cached value, and one with
        '<c r="C3"><f>C2*2</f></c></row>'
        '<row r="4"><c r="A4" t="str"><f>"x"&amp;"y"</f><v>1234567890123456789</v></c>'
        '<c r="B4"><f t="shared" ref="B4:B5" si="0">C2+1</f><v>13.5</v></c>'
        '<c r="C4"><f>SUM(C2:C3)</f><v></v></c></row>'
        '<row r="5"><c r="A5"><v>123456789012345</v></c>'
        '<c r="B5"><f t="shared" si="0"/></c><c r="C5"><v>0.30000000000000004</v></c></row>'
        '<row r="6"><c r="D6"/><c r="E6" s="2"></c></row>'
    )
    merges = '<mergeCells count="2"><mergeCell ref="A7:B9"/><mergeCell ref="B2:B3"/></mergeCells>'
    sst = (f'<?xml version="1.0" encoding="UTF-8"?><sst {NS} count="2" uniqueCount="2">'
           '<si><t>姓名</t></si><si><t>张三</t></si></sst>')
    return make_xlsx(tmp_path / "legit.xlsx", [
        ("明细", sheet_xml(rows, dimension="A1:E6", tail=merges), "visible"),
        ("备注", sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'), "hidden"),
        ("系统", sheet_xml(""), "veryHidden"),
    ], shared=sst, workbook_pr='<workbookPr date1904="1"/>')


def _check_legit(scan: WorkbookScan, path: Path) -> None:
    assert scan.kind == "xlsx"
    assert scan.date1904 is True
    assert scan.source == path
    assert [(s.name, s.index, s.visible) for s in scan.sheets] == [
        ("明细", 0, True), ("备注", 1, False), ("系统", 2, False)]
    s = scan.sheets[0]
    assert s.merged == ((2, 2, 3, 2),)          # A7:B9 lies below every value: clipped away
    assert s.uncached_formulas == ((3, 3), (4, 3), (5, 2))
    assert s.long_numbers == ((2, 1, "110101199001011234"), (3, 1, "1.10101199001011E+17"))
    assert (s.max_row, s.max_col) == (5, 3)
    assert s.stray_count == 0 and s.stray_cell is None and not s.sanitised
    assert s.dimension == "A1:E6"
    assert scan.sheets[1].state == "hidden" and scan.sheets[2].state == "veryHidden"
    assert (scan.sheets[2].max_row, scan.sheets[2].max_col) == (0, 0)


def test_legitimate_workbook(tmp_path):
    p = _legit(tmp_path)
    _check_legit(scan_workbook(p), p)


def test_same_result_without_re2(tmp_path, monkeypatch):
    monkeypatch.setattr(patterns, "_HAVE_RE2", False)
    p = _legit(tmp_path)
    _check_legit(scan_workbook(p), p)


def test_same_result_on_the_slow_path(tmp_path, monkeypatch):
    # a comment inside sheetData sends the sheet to the expat scanner
    calls = []
    real = plan._scan_sheet_slow
    monkeypatch.setattr(plan, "_scan_sheet_slow", lambda *a: calls.append(a[2].part) or real(*a))
    p = _legit(tmp_path)
    src = zipfile.ZipFile(p)
    q = tmp_path / "slow.xlsx"
    with zipfile.ZipFile(q, "w", zipfile.ZIP_DEFLATED) as out:
        for i in src.infolist():
            data = src.read(i.filename)
            if i.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<row r="2">', b'<!-- hi --><row r="2">')
            out.writestr(i.filename, data)
    _check_legit(scan_workbook(q), q)
    assert calls == ["xl/worksheets/sheet1.xml"]


def test_openpyxl_workbook(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "登记表"
    ws.append(["卡号", "金额", "合计"])
    ws.append([110101199001011234, 1.5, "=B2*2"])
    ws.merge_cells("A3:A5")
    ws["A3"] = "x"
    ws["B5"] = 1
    wb.create_sheet("隐藏").sheet_state = "hidden"
    p = tmp_path / "o.xlsx"
    wb.save(p)
    scan = scan_workbook(p)
    s = scan.sheets[0]
    assert s.uncached_formulas == ((2, 3),)   # openpyxl writes <f>..</f><v/>: never cached
    assert [x[:2] for x in s.long_numbers] == [(2, 1)]
    assert s.merged == ((3, 1, 5, 1),)
    assert (s.max_row, s.max_col) == (5, 3)
    assert [sh.visible for sh in scan.sheets] == [True, False]
    assert scan.date1904 is False


def test_chunk_seams_do_not_change_the_result(tmp_path, monkeypatch):
    """Rows, formulas and long numbers straddling the inflate chunks are seen once."""
    rows = []
    for r in range(1, 1501):
        cells = f'<c r="A{r}"><v>{r}</v></c><c r="B{r}" t="inlineStr"><is><t>name {r}</t></is></c>'
        if r % 97 == 0:
            cells += f'<c r="C{r}"><f>A{r}*2</f></c>'
        if r % 89 == 0:
            cells += f'<c r="D{r}"><v>6222021234567890{r:03d}</v></c>'
        rows.append(f'<row r="{r}">{cells}</row>')
    merges = "<mergeCells>" + "".join(f'<mergeCell ref="A{r}:B{r + 1}"/>' for r in range(1, 1400, 50)) + "</mergeCells>"
    p = make_xlsx(tmp_path / "a.xlsx", [("S", sheet_xml("".join(rows), tail=merges), "visible")])
    big = scan_workbook(p).sheets[0]
    monkeypatch.setattr(zipio, "CHUNK", 1000)  # the inflate granularity
    monkeypatch.setattr(plan, "CHUNK", 1000)
    small = scan_workbook(p).sheets[0]
    assert small == big
    assert big.uncached_formulas == tuple((r, 3) for r in range(97, 1501, 97))
    assert [x[:2] for x in big.long_numbers] == [(r, 4) for r in range(89, 1501, 89)]
    assert (big.max_row, big.max_col) == (1500, 4)
    assert len(big.merged) == 28
    assert big.merged[0] == (1, 1, 2, 2) and big.merged[-1] == (1351, 1, 1352, 2)


def test_cells_without_r_and_prefixed_elements(tmp_path):
    # some writers (.NET OpenXML SDK) omit r and use an x: prefix: calamine counts positions
    rows = "".join(f'<x:row><x:c><x:v>{r}</x:v></x:c><x:c t="inlineStr"><x:is><x:t>n</x:t></x:is></x:c>'
                   f'<x:c><x:f>A1</x:f></x:c></x:row>' for r in range(1, 6))
    xml = (f'<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/'
           f'spreadsheetml/2006/main"><x:sheetData>{rows}</x:sheetData></x:worksheet>')
    p = make_xlsx(tmp_path / "a.xlsx", [("S", xml, "visible")])
    s = scan_workbook(p).sheets[0]
    assert (s.max_row, s.max_col) == (5, 2)
    assert s.uncached_formulas == tuple((r, 3) for r in range(1, 6))


def _rless_sheet() -> str:
    rows = []
    for r in range(1, 41):
        cells = f'<c><v>{r}</v></c><c s="1"/><c t="inlineStr"><is><t>n{r}</t></is></c>'
        if r % 7 == 0:
            cells += "<c><f>A1*2</f></c>"              # uncached, column 4
        if r % 9 == 0:
            cells += "<c/><c><v>1.10101199001011E+17</v></c>"  # long number, column 5 or 6
        tag = f'<row r="{r + 10}">' if r > 30 else ("<row>" if r % 2 else f'<row r="{r}">')
        rows.append(tag + cells + "</row>")
    return "".join(rows)


@pytest.mark.parametrize("scanner", ["positional", "expat"])
def test_cells_without_r(tmp_path, monkeypatch, scanner):
    slow = []
    real = plan._scan_sheet_slow
    monkeypatch.setattr(plan, "_scan_sheet_slow", lambda *a: slow.append(1) or real(*a))
    if scanner == "expat":
        def refuse(self, *a, **k):
            raise canonical._NotCanonical()
        monkeypatch.setattr(canonical._PositionalScanner, "feed", refuse)
    p = make_xlsx(tmp_path / "a.xlsx", [("S", sheet_xml(_rless_sheet(),
                                                           tail='<mergeCells><mergeCell ref="A2:A3"/></mergeCells>'),
                                         "visible")])
    s = scan_workbook(p).sheets[0]
    # rows 1-30 are numbered 1..30 (r given or counted), rows 31-40 say r = 41..50
    assert (s.max_row, s.max_col) == (50, 5)
    assert s.uncached_formulas == tuple((r if r <= 30 else r + 10, 4) for r in range(7, 41, 7))
    assert s.long_numbers == tuple(((r if r <= 30 else r + 10), 5 if r % 7 else 6, "1.10101199001011E+17")
                                   for r in range(9, 41, 9))
    assert s.merged == ((2, 1, 3, 1),)
    assert len(slow) == (1 if scanner == "expat" else 0)
    res = run_fastexcel_isolated(p, tmp_path)
    assert res["ok"] and len(res["sheets"]["S"]) == 50


def test_rless_row_beyond_max_columns(tmp_path):
    cells = "".join("<c/>" for _ in range(299)) + "<c><v>7</v></c>"
    rows = "<row><c><v>1</v></c></row>" * 3 + f"<row>{cells}</row>"
    p = make_xlsx(tmp_path / "a.xlsx", [("S", sheet_xml(rows), "visible")])
    scan = scan_workbook(p)
    s = scan.sheets[0]
    assert s.sanitised and s.stray_count == 1 and s.stray_cells == ((4, 300),)
    assert (s.max_row, s.max_col) == (3, 1)
    res = run_fastexcel_isolated(scan.source, tmp_path)
    assert res["ok"] and res["sheets"]["S"] == [["1"], ["1"], ["1"]]


def test_long_row_without_r_is_a_stray_beyond_max_columns(tmp_path):
    cells = "".join("<c/>" for _ in range(299)) + "<c><v>7</v></c>"
    rows = data_rows(3) + f'<row r="4">{cells}</row>'
    p = make_xlsx(tmp_path / "a.xlsx", [("S", sheet_xml(rows), "visible")])
    scan = scan_workbook(p)
    s = scan.sheets[0]
    assert s.sanitised and s.stray_count == 1 and s.stray_cells == ((4, 300),)
    assert (s.max_row, s.max_col) == (3, 3)
    assert isinstance(scan.source, bytes)


# ------------------------------------------------------------------------------------------
# stray cells and absurd dimensions


def test_stray_cell_at_xfd1048576_would_abort_fastexcel(tmp_path):
    """The hazard itself, measured: calamine allocates rows x cols x 32 B (512 GiB here) and
    the allocation failure aborts the process. Run in a child so pytest survives."""
    rows = data_rows(5) + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    p = make_xlsx(tmp_path / "stray.xlsx", [("S", sheet_xml(rows), "visible")])
    res = run_fastexcel_isolated(p, tmp_path, mem_mb=2048)
    assert not res["ok"], "fastexcel no longer aborts on XFD1048576: the guard may be relaxed"
    assert "memory allocation of 549755813888 bytes failed" in res["stderr"], res  # 1048576 x 16384 x 32 B


def test_stray_cell_and_claimed_dimension_are_sanitised(tmp_path):
    rows = (data_rows(5) + '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>oops</t></is></c></row>')
    p = make_xlsx(tmp_path / "stray.xlsx", [
        ("明细", sheet_xml(rows, dimension="A1:XFD1048576",
                         tail='<mergeCells><mergeCell ref="A1:XFD1"/></mergeCells>'), "visible"),
        ("ok", sheet_xml(data_rows(2)), "visible"),
    ])
    scan = scan_workbook(p)
    s = scan.sheets[0]
    assert s.sanitised is True
    assert s.stray_count == 1 and s.stray_cells == ((1048576, 16384),) and s.stray_cell == "XFD1048576"
    assert (s.max_row, s.max_col) == (5, 3)
    assert s.dimension == "A1:XFD1048576"
    assert s.merged == ((1, 1, 1, 3),)
    assert scan.sheets[1].sanitised is False
    assert isinstance(scan.source, bytes)
    assert any("XFD1048576" in n for n in scan.notes)
    # the copy has neither the cell nor the dimension, and is a valid zip
    with zipfile.ZipFile(__import__("io").BytesIO(scan.source)) as z:
        assert z.testzip() is None
        xml = z.read("xl/worksheets/sheet1.xml")
        assert b"XFD1048576" not in xml and b"<dimension" not in xml
        assert z.read("xl/worksheets/sheet2.xml") == zipfile.ZipFile(p).read("xl/worksheets/sheet2.xml")
    # and fastexcel reads it, under a memory limit, with the right values
    res = run_fastexcel_isolated(scan.source, tmp_path)
    assert res["ok"], res
    assert res["sheets"]["明细"] == [[str(r * 10 + c) for c in (1, 2, 3)] for r in range(1, 6)]
    assert res["sheets"]["ok"] == [["11", "12", "13"], ["21", "22", "23"]]
    # a second scan of the sanitised copy finds nothing left to fix
    again = tmp_path / "again.xlsx"
    again.write_bytes(scan.source)
    s2 = scan_workbook(again).sheets[0]
    assert not s2.sanitised and (s2.max_row, s2.max_col) == (5, 3)


@pytest.mark.parametrize("row,stray", [
    ('<row r="1048576"><c r="xfd1048576"><v>1</v></c></row>', (1048576, 16384)),   # lower case
    ('<row r="4"><c r="XFd4"><v>1</v></c></row>', (4, 16384)),                    # mixed case
    ('<row r="4"><c r="A99999999999"><v>1</v></c></row>', (99999999999, 1)),      # past u32
    ('<row r="4"><c r="AAAAAAA4"><v>1</v></c></row>', (4, 321272407)),            # past XFD
    ('<row r="9"><y:c xmlns:y="urn:x" r="XFD9"><y:v>1</y:v></y:c></row>', (9, 16384)),  # prefix
    ('<row r="4"><c t="n" s="0" r="XFD4"><v>1</v></c></row>', (4, 16384)),       # r not first
    ('<row r="4"><c r = \'XFD4\'><v>1</v></c></row>', (4, 16384)),              # quotes, blanks
])
def test_stray_cell_in_unusual_spellings(tmp_path, row, stray):
    p = make_xlsx(tmp_path / "a.xlsx", [("S", sheet_xml(data_rows(3) + row), "visible")])
    scan = scan_workbook(p)
    s = scan.sheets[0]
    assert s.stray_cells == (stray,) and (s.max_row, s.max_col) == (3, 3)
    res = run_fastexcel_isolated(scan.source, tmp_path)
    assert res["ok"] and len(res["sheets"]["S"]) == 3, res


def test_cells_in_comments_are_not_cells(tmp_path):
    rows = data_rows(3) + '<!-- <row r="9"><c r="XFD9"><v>1</v></c></row> -->'
    scan = scan_workbook(make_xlsx(tmp_path / "a.xlsx", [("S", sheet_xml(rows), "visible")]))
    assert not scan.sheets[0].sanitised and (scan.sheets[0].max_row, scan.sheets[0].max_col) == (3, 3)


def test_dimension_claiming_the_whole_grid(tmp_path):
    p = make_xlsx(tmp_path / "dim.xlsx", [("S", sheet_xml(data_rows(4), dimension="A1:XFD1048576"), "visible")])
    scan = scan_workbook(p)
    s = scan.sheets[0]
    assert s.sanitised and s.stray_count == 0 and s.dimension == "A1:XFD1048576"
    res = run_fastexcel_isolated(scan.source, tmp_path)
    assert res["ok"], res
    assert res["sheets"]["S"] == [[str(r * 10 + c) for c in (1, 2, 3)] for r in range(1, 5)]
    # openpyxl (read-only pads to the dimension) reads the copy without padding
    import io

    import openpyxl
    ws = openpyxl.load_workbook(io.BytesIO(scan.source), read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 4 and all(len(r) == 3 for r in rows)


def test_cell_beyond_max_columns_in_the_first_row(tmp_path):
    rows = data_rows(3).replace('</row>', '<c r="JA1"><v>9</v></c></row>', 1)
    p = make_xlsx(tmp_path / "a.xlsx", [("S", sheet_xml(rows), "visible")])
    s = scan_workbook(p).sheets[0]
    assert s.stray_cells == ((1, safety._col_number("JA")),) and (s.max_row, s.max_col) == (3, 3)
    s = scan_workbook(p, max_columns=300).sheets[0]
    assert not s.sanitised and s.max_col == safety._col_number("JA")


def test_sparse_tail_far_below_the_data(tmp_path):
    rows = data_rows(10) + '<row r="900000"><c r="A900000"><v>1</v></c></row>'
    p = make_xlsx(tmp_path / "a.xlsx", [("S", sheet_xml(rows), "visible")])
    s = scan_workbook(p).sheets[0]
    assert s.stray_cells == ((900000, 1),) and (s.max_row, s.max_col) == (10, 3)


def test_empty_styled_cells_far_away_are_harmless(tmp_path):
    rows = data_rows(3) + '<row r="1048576"><c r="XFD1048576" s="3"/></row>'
    p = make_xlsx(tmp_path / "a.xlsx", [("S", sheet_xml(rows), "visible")])
    scan = scan_workbook(p)
    assert scan.source == p and not scan.sheets[0].sanitised
    assert (scan.sheets[0].max_row, scan.sheets[0].max_col) == (3, 3)


# ------------------------------------------------------------------------------------------
# legacy .xls


def test_xls_written_by_xlwt(tmp_path):
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("人员名单")
    ws.write(0, 0, "工号")
    ws.write(0, 1, "姓名")
    ws.write(1, 0, "001")
    ws.write_merge(2, 4, 0, 1, "合并")
    hidden = wb.add_sheet("旧数据")
    hidden.visibility = 1
    hidden.write(0, 0, 1)
    wb.dates_1904 = True
    p = tmp_path / "staff.xls"
    wb.save(str(p))
    scan = scan_workbook(p)
    assert scan.kind == "xls" and scan.source == p and scan.date1904 is True
    assert [(s.name, s.index, s.visible) for s in scan.sheets] == [("人员名单", 0, True), ("旧数据", 1, False)]
    assert scan.sheets[0].merged == ((3, 1, 5, 2),)
    assert scan.sheets[0].uncached_formulas == () and scan.sheets[0].long_numbers == ()


def test_xlsx_renamed_xls_is_scanned_as_xlsx(tmp_path):
    p = make_xlsx(tmp_path / "a.xls", [("S", sheet_xml(data_rows(2)), "visible")])
    assert scan_workbook(p).kind == "xlsx"


# ------------------------------------------------------------------------------------------
# the regex builders behind the fast path


@pytest.mark.parametrize("lo,hi", [(1, 1), (1, 26), (5, 30), (26, 27), (27, 702), (256, 16384),
                                   (700, 800), (11, None), (703, None)])
def test_letters_range_regex(lo, hi):
    import re as _re
    rx = _re.compile(patterns._letters_range(lo, hi) + "$")
    for n in list(range(1, 1000)) + [16383, 16384, 16385, 20000]:
        want = n >= lo and (hi is None or n <= hi)
        assert bool(rx.match(safety.col_letters(n))) == want, (lo, hi, n)


@pytest.mark.parametrize("lo,hi", [(1, 9), (1, 1048576), (7, 123), (99, 100), (56425, None),
                                   (1048577, None), (10, 10)])
def test_digits_range_regex(lo, hi):
    import re as _re
    rx = _re.compile(patterns._digits_range(lo, hi) + "$")
    probe = list(range(1, 2000)) + [56424, 56425, 99999, 100000, 1048576, 1048577, 9999999, 10 ** 8]
    for n in probe:
        want = n >= lo and (hi is None or n <= hi)
        assert bool(rx.match(str(n))) == want, (lo, hi, n)


def test_api_shape():
    fields = {f.name for f in SheetScan.__dataclass_fields__.values()}
    assert {"name", "index", "visible", "merged", "uncached_formulas", "long_numbers", "max_row",
            "max_col"} <= fields
    e = UnreadableWorkbook("zip_bomb", "x")
    assert e.code == "zip_bomb" and e.detail == "x" and "zip_bomb" in str(e)
    assert os.path.basename(safety.__file__) in ("scan.py", "__init__.py")
