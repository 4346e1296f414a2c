"""Pre-flight scan of an input workbook, before any reader touches it.

fastexcel (calamine, Rust) aborts the whole process when a sheet's cell extent does not fit in
memory (it allocates rows x columns x 32 bytes: one stray cell at XFD1048576 asks for 512 GiB),
and openpyxl pads read-only rows to the declared <dimension>. So every workbook is first
scanned here, cheaply, and either refused with an `UnreadableWorkbook` (a code and a short
English detail), or described by a `WorkbookScan`: its sheets (visibility, merged ranges,
formula cells without a cached value, numbers that lost digits, real extent) and the `source`
to hand to fastexcel: the path itself, or the bytes of a sanitised copy with the far-away
cells and the bogus <dimension> removed.

How the scan stays cheap on a 1 000 000-row sheet (500 MB of XML): the member is inflated in a
background thread (zlib releases the GIL) in 16 MiB chunks cut at a `</row>` boundary, and
each chunk is tested with ONE regular expression run by RE2 (pyarrow.compute, also outside the
GIL) that matches anything that needs a closer look: a cell beyond the extent seen so far, a
formula, a long number, a cell written in an unusual form (no `r`, other prefix, quotes...),
a comment/CDATA/DOCTYPE, the end of sheetData. A chunk with no match is done. A chunk with a
match is examined with Python's `re` for that category only. A sheet whose cells are not in
the canonical `<c r="A1" ...>` form is scanned with expat instead (slower, exact, mirrors
calamine's rules: local names, position counting for cells without `r`).

The package, by what each module owns:
  model      the refusal, the results, limits and cell-reference helpers
  patterns   regexes over cell references and the RE2 chunk test
  zipio      streaming inflater, XML prolog (entity) check, zip writer for the sanitised copy
  canonical  the fast scanners (regex for `<c r=...>`, numpy for cells without `r`)
  expat      the exact fallback scanner
  plan       which scanner a sheet needs; where stray cells are cut
  ooxml      .xlsx/.xlsm workbooks
  odf        .ods and .xlsb (zip, XML and extent checks; calamine reads them as they are)
  ole        .xls and encrypted OOXML (OLE compound files); what a non-workbook file is
"""

from __future__ import annotations

from pathlib import Path

from settle.load import quiet as _quiet  # the readers' loggers are silenced before any read
from settle.load.scan.model import (
    MAX_CELLS, MAX_COLS, MAX_ROWS, SheetScan, UnreadableWorkbook, WorkbookScan, _col_number, _OLE_MAGIC,
    _ZIP_MAGIC, col_letters)
from settle.load.scan.patterns import _digits_range, _letters_range
from settle.load.scan.ole import _describe_non_excel, _scan_ole, _scan_xls
from settle.load.scan.ooxml import _scan_ooxml

# the BOF record that opens a BIFF2, BIFF3, BIFF4 (and BIFF5/8) stream
_BIFF_BOF = (b"\x09\x00", b"\x09\x02", b"\x09\x04", b"\x09\x08")

__all__ = [
    "UnreadableWorkbook",
    "SheetScan",
    "WorkbookScan",
    "scan_workbook",
    "col_letters",
    "MAX_ROWS",
    "MAX_COLS",
]
# re-exported for tests: _col_number, _letters_range, _digits_range
_TEST_HELPERS = (_col_number, _letters_range, _digits_range, _quiet)


def scan_workbook(path: Path, *, max_columns: int = 256, max_cells: int = MAX_CELLS) -> WorkbookScan:
    """Scan `path` before any reader sees it: refuse it (UnreadableWorkbook) or describe it.

    Cells holding a value beyond column `max_columns` or row 1 048 576, and a sparse tail far
    beyond the data when the extent would exceed `max_cells` (or is absurdly sparse), are
    dropped from a sanitised in-memory copy (`source` is then bytes) together with a bogus
    <dimension>; the returned SheetScan says how many and where."""
    path = Path(path)
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        f.seek(0)
        head = f.read(8192)
        if size == 0:
            raise UnreadableWorkbook("empty", "the file is empty (0 bytes)")
        if head.startswith(_ZIP_MAGIC):
            return _scan_ooxml(path, size, max_columns, max_cells)
        if head.startswith(_OLE_MAGIC):
            return _scan_ole(path, f, size)
        if head[:2] in _BIFF_BOF and head[2:4] in (b"\x04\x00", b"\x06\x00", b"\x08\x00", b"\x10\x00"):
            return _scan_xls(path, raw_biff=True)  # BIFF2-4: a bare record stream, no OLE container
        if not head.strip(b" \t\r\n\x00"):
            raise UnreadableWorkbook("empty", f"the file holds only {size} blank byte(s)")
        raise UnreadableWorkbook("not_excel", _describe_non_excel(head))
