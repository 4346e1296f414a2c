"""What `verify` compares in the workbooks R46 and R47 add (SPEC §10: file › sheet › cell and
both values). Each `check_<x>(folder, settlement) -> list[Difference]` reads one output of
`output/MONTH/` back and compares it with the recorded settlement.json (a dict); an empty list
means it matches. Sheets are found by position, not by a language's name."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple


class Difference(NamedTuple):
    where: str      # file › sheet › cell
    recorded: str   # what settlement.json says
    found: str      # what the workbook holds


def money(value) -> Decimal | None:
    """A cell's amount to the fen (None for an empty or non-numeric cell)."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value).replace(",", "")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def sheet_rows(path: Path, index: int = 0) -> tuple[str, list[tuple]]:
    """(sheet name, rows of values) of the index-th sheet, read-only."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[index]
        return ws.title, [tuple(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def cell(row: int, col: int) -> str:
    """Excel's A1 name of a 0-based (row, col)."""
    from xlsxwriter.utility import xl_rowcol_to_cell
    return xl_rowcol_to_cell(row, col)


def header_index(rows: list[tuple], first: str) -> int | None:
    """The row whose first cell is `first` (the table's header), or None."""
    for i, r in enumerate(rows):
        if r and r[0] == first:
            return i
    return None


def unreadable(path: Path, exc: Exception) -> Difference:
    return Difference(str(path.name), "", f"unreadable: {exc}")
