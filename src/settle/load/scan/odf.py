"""The other zip workbooks calamine reads: OpenDocument (.ods, LibreOffice/WPS) and binary Excel
(.xlsb). Both get the guarantees .xlsx gets (SPEC §2, §8.1): the zip is refused before anything
is inflated when a member is encrypted or a bomb (zipio.open_zip), every XML member is refused
when it declares a DTD or entities, and the cells are walked once, streaming, to learn the
extent (refused as 'too_wide' over the cell budget, since calamine allocates rows x columns),
the merged ranges and the numbers >= 10^15 that Excel's 15 digits have already cut (SPEC §8:
the trap applies in every format). Neither format is rewritten: a sheet too large is refused.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from xml.parsers import expat

from settle.load.scan.model import MAX_ROWS, SheetScan, UnreadableWorkbook, WorkbookScan, _fmt_size
from settle.load.scan.zipio import _Member, check_xml_members

_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_NUMERIC = ("float", "currency", "percentage")


class _OdsTables:
    """expat handlers over content.xml: per table its extent of cells holding a value (repeats
    counted as calamine counts them), merged ranges and long numbers."""

    def __init__(self, max_columns: int):
        self.max_columns = max_columns
        self.tables: list[dict] = []
        self.row = 0          # rows before the current one (1-based row = self.row + 1)
        self.col = 0
        self.row_rep = 1
        self.cell: tuple[int, int, int] | None = None   # (row, col, repeat) of an open cell
        self.cell_has_value = False
        self.depth = 0        # nested tables (calamine reads the outer table only)

    def start(self, name: str, attrs: dict) -> None:
        ns, _, local = name.rpartition(" ")
        if ns != _TABLE_NS:
            if ns == _TEXT_NS and local == "p" and self.cell is not None:
                self.cell_has_value = True
            return
        if local == "table":
            self.depth += 1
            if self.depth == 1:
                self.tables.append(dict(name=attrs.get(f"{_TABLE_NS} name", f"Sheet{len(self.tables) + 1}"),
                                        max_row=0, max_col=0, merged=[], longs=[], hidden=[]))
                self.row = 0
        elif self.depth != 1:
            return
        elif local == "table-row":
            self.col = 0
            self.row_rep = _int(attrs.get(f"{_TABLE_NS} number-rows-repeated"), 1)
            if attrs.get(f"{_TABLE_NS} visibility") in ("collapse", "filter"):   # hidden in the program
                self.tables[-1]["hidden"].append((self.row + 1, self.row_rep))
        elif local in ("table-cell", "covered-table-cell"):
            rep = _int(attrs.get(f"{_TABLE_NS} number-columns-repeated"), 1)
            r, c = self.row + 1, self.col + 1
            self.cell = (r, c, rep)
            vtype = attrs.get(f"{_OFFICE_NS} value-type")
            self.cell_has_value = vtype is not None
            t = self.tables[-1]
            if vtype in _NUMERIC:
                raw = attrs.get(f"{_OFFICE_NS} value", "")
                try:
                    big = abs(float(raw)) >= 1e15
                except ValueError:
                    big = False
                if big and len(t["longs"]) < 10_000:
                    t["longs"].extend((r + k, c + j, raw) for k in range(min(self.row_rep, 100))
                                      for j in range(min(rep, 100)))
            rs = _int(attrs.get(f"{_TABLE_NS} number-rows-spanned"), 1)
            cs = _int(attrs.get(f"{_TABLE_NS} number-columns-spanned"), 1)
            if (rs > 1 or cs > 1) and len(t["merged"]) < 100_000:
                t["merged"].append((r, c, r + rs - 1, c + cs - 1))

    def end(self, name: str) -> None:
        ns, _, local = name.rpartition(" ")
        if ns != _TABLE_NS:
            return
        if local == "table":
            self.depth -= 1
        elif self.depth != 1:
            return
        elif local == "table-row":
            self.row += self.row_rep
        elif local in ("table-cell", "covered-table-cell") and self.cell is not None:
            r, c, rep = self.cell
            if self.cell_has_value:
                t = self.tables[-1]
                t["max_row"] = max(t["max_row"], r + self.row_rep - 1)
                t["max_col"] = max(t["max_col"], c + rep - 1)
            self.col += rep
            self.cell = None


def _int(text: str | None, default: int) -> int:
    try:
        return max(1, int(text)) if text is not None else default
    except ValueError:
        return default


def _refuse_dtd(*_):
    raise UnreadableWorkbook("xml_entities", "content.xml contains a DOCTYPE/ENTITY declaration "
                             "(XML entity expansion or external entity), refused")


def scan_ods(path: Path, infos: list[zipfile.ZipInfo], by_lower: dict, max_columns: int,
             max_cells: int) -> WorkbookScan:
    """An OpenDocument spreadsheet: zip and XML checks, then one streaming pass over content.xml."""
    check_xml_members(path, infos)
    walker = _OdsTables(max_columns)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    parser.StartElementHandler = walker.start
    parser.EndElementHandler = walker.end
    try:
        for piece in _Member(path, by_lower["content.xml"]).chunks(threaded=True):
            parser.Parse(piece, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise UnreadableWorkbook("truncated", f"content.xml is not well-formed XML ({str(exc)[:100]})") from None
    sheets = []
    for i, t in enumerate(walker.tables):
        _check_extent(t["name"], t["max_row"], t["max_col"], max_cells)
        sheets.append(SheetScan(name=t["name"], index=i, visible=True, merged=tuple(t["merged"]),
                                uncached_formulas=(), long_numbers=tuple(sorted(set(t["longs"]))),
                                max_row=t["max_row"], max_col=t["max_col"],
                                hidden_rows=tuple(r for first, rep in t["hidden"]
                                                  for r in range(first, min(first + rep, t["max_row"] + 1)))))
    return WorkbookScan(path=path, kind="ods", sheets=tuple(_with_visibility(path, sheets)),
                        date1904=False, source=path)


def _check_extent(name: str, rows: int, cols: int, max_cells: int) -> None:
    if rows > MAX_ROWS or rows * max(cols, 1) > max_cells:
        raise UnreadableWorkbook("too_wide", f"sheet '{name}' holds values up to row {rows:,} and column "
                                 f"{cols:,}: over the reader's cell budget ({_fmt_size(rows * cols * 32)})")


def _with_visibility(path: Path, sheets: list[SheetScan]) -> list[SheetScan]:
    """calamine knows which sheets are hidden (it reads the styles); ask it, without loading cells."""
    from dataclasses import replace

    from settle.load.scan.ole import _calamine_sheets

    info, why = _calamine_sheets(path)
    if info is None:
        raise UnreadableWorkbook("truncated", f"the workbook cannot be read ({(why or '')[:120]})")
    out = []
    names = list(info)
    for i, name in enumerate(names):
        base = next((s for s in sheets if s.name == name), None)
        state = (info[name] or ("visible", 0, 0))[0]
        if base is None:
            base = SheetScan(name=name, index=i, visible=True, merged=(), uncached_formulas=(),
                             long_numbers=(), max_row=0, max_col=0)
        out.append(replace(base, index=i, visible=state == "visible", state=state))
    return out


# --------------------------------------------------------------------------------------------
# .xlsb: BIFF12 records (MS-XLSB 2.1.4): a varint type, a varint size, the payload

_BRT_ROW_HDR, _BRT_CELL_RK, _BRT_CELL_REAL = 0, 2, 5
_BRT_WS_DIM = 148
_BRT_MERGE_CELL = 176
_BRT_BUNDLE_SH = 156


def _records(data: bytes):
    pos, n = 0, len(data)
    while pos < n:
        rtype = data[pos] & 0x7F
        if data[pos] & 0x80:
            if pos + 1 >= n:
                return
            rtype |= (data[pos + 1] & 0x7F) << 7
            pos += 1
        pos += 1
        size = shift = 0
        for _ in range(4):
            if pos >= n:
                return
            b = data[pos]
            pos += 1
            size |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        yield rtype, data[pos:pos + size]
        pos += size


def _rk(v: int) -> float:
    num = (v >> 2)
    if v & 2:
        num = num - (1 << 30) if num & (1 << 29) else num
        val = float(num)
    else:
        val = struct.unpack("<d", struct.pack("<Q", (v & 0xFFFFFFFC) << 32))[0]
    return val / 100 if v & 1 else val


def _xlsb_sheet(data: bytes) -> tuple[int, int, list, list, tuple[int, int]]:
    """(max_row, max_col, long numbers, merged ranges, declared extent) of one sheet's records
    (1-based). calamine sizes its grid from the declared BrtWsDim, so that is checked too."""
    row, max_row, max_col = 0, 0, 0
    longs, merged = [], []
    declared = (0, 0)
    for rtype, body in _records(data):
        if rtype == _BRT_WS_DIM and len(body) >= 16:
            r1, r2, c1, c2 = struct.unpack_from("<IIII", body)
            declared = (r2 + 1, c2 + 1)
        elif rtype == _BRT_ROW_HDR and len(body) >= 4:
            row = struct.unpack_from("<I", body)[0] + 1
        elif rtype in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11) and len(body) >= 8:  # BrtCell*
            col = struct.unpack_from("<I", body)[0] + 1
            if rtype != 1:  # BrtCellBlank holds no value
                max_row, max_col = max(max_row, row), max(max_col, col)
            if rtype == _BRT_CELL_REAL and len(body) >= 16:
                v = struct.unpack_from("<d", body, 8)[0]
            elif rtype == _BRT_CELL_RK and len(body) >= 12:
                v = _rk(struct.unpack_from("<I", body, 8)[0])
            else:
                continue
            if abs(v) >= 1e15 and v == v and len(longs) < 10_000:
                longs.append((row, col, str(int(v)) if v == int(v) and abs(v) < 1e20 else repr(v)))
        elif rtype == _BRT_MERGE_CELL and len(body) >= 16:
            r1, r2, c1, c2 = struct.unpack_from("<IIII", body)
            merged.append((r1 + 1, c1 + 1, r2 + 1, c2 + 1))
    return max_row, max_col, longs, merged, declared


def _wide_string(body: bytes, pos: int) -> tuple[str, int]:
    n = struct.unpack_from("<I", body, pos)[0]
    pos += 4
    return body[pos:pos + 2 * n].decode("utf-16-le", "replace"), pos + 2 * n


def scan_xlsb(path: Path, infos: list[zipfile.ZipInfo], by_lower: dict, max_cells: int) -> WorkbookScan:
    """A binary workbook: zip and XML checks, then each sheet's records walked once."""
    import posixpath
    import re

    check_xml_members(path, infos)
    wb = _Member(path, by_lower["xl/workbook.bin"]).read(64 * 1024 * 1024)
    rels_info = by_lower.get("xl/_rels/workbook.bin.rels")
    rels = {}
    if rels_info is not None:
        text = _Member(path, rels_info).read(64 * 1024 * 1024).decode("utf-8", "replace")
        for m in re.finditer(r"<(?:\w+:)?Relationship\b([^>]*)>", text):
            rid = re.search(r"\bId\s*=\s*[\"']([^\"']*)", m.group(1))
            tgt = re.search(r"\bTarget\s*=\s*[\"']([^\"']*)", m.group(1))
            if rid and tgt:
                rels[rid.group(1)] = tgt.group(1)
    found: dict[str, SheetScan] = {}
    try:
        for rtype, body in _records(wb):
            if rtype != _BRT_BUNDLE_SH or len(body) < 12:
                continue
            rid, pos = _wide_string(body, 8)
            name, _ = _wide_string(body, pos)
            target = rels.get(rid, "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            info = by_lower.get(part.lower())
            if info is None:
                continue
            mr, mc, longs, merged, declared = _xlsb_sheet(_Member(path, info).read(2 * 1024 ** 3))
            _check_extent(name, max(mr, declared[0]), max(mc, declared[1]), max_cells)
            found[name] = SheetScan(name=name, index=0, visible=True, merged=tuple(merged),
                                    uncached_formulas=(), long_numbers=tuple(sorted(longs)),
                                    max_row=mr, max_col=mc)
    except struct.error:
        raise UnreadableWorkbook("truncated", "xl/workbook.bin or a sheet is cut short") from None
    return WorkbookScan(path=path, kind="xlsb", sheets=tuple(_with_visibility(path, list(found.values()))),
                        date1904=False, source=path)
