"""Writing a small sheet as .xls (xlwt) or .ods (odfpy), the way LibreOffice, WPS or an old HIS
export would hand it over: dates as date cells, numbers as number cells, text as text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path


def write_xls(path: Path, rows: list[list], sheet: str = "Sheet1", hidden: frozenset = frozenset()) -> Path:
    """`hidden`: 0-based rows hidden in Excel."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(sheet)
    stamp = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
    day = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for r, row in enumerate(rows):
        if r in hidden:
            ws.row(r).hidden = True
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, dt.datetime):
                ws.write(r, c, v, stamp)
            elif isinstance(v, dt.date):
                ws.write(r, c, v, day)
            else:
                ws.write(r, c, v)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return path


def write_ods(path: Path, rows: list[list], sheet: str = "Sheet1", hidden: frozenset = frozenset()) -> Path:
    """`hidden`: 0-based rows hidden (table:visibility="collapse")."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name=sheet)
    for r, row in enumerate(rows):
        tr = TableRow(visibility="collapse") if r in hidden else TableRow()
        for v in row:
            if v is None:
                tr.addElement(TableCell())
                continue
            if isinstance(v, dt.datetime):
                cell = TableCell(valuetype="date", datevalue=v.strftime("%Y-%m-%dT%H:%M:%S"))
                text = v.strftime("%Y-%m-%d %H:%M")
            elif isinstance(v, dt.date):
                cell = TableCell(valuetype="date", datevalue=v.isoformat())
                text = v.isoformat()
            elif isinstance(v, (int, float)):
                cell = TableCell(valuetype="float", value=repr(v) if isinstance(v, float) else str(v))
                text = str(v)
            else:
                cell = TableCell(valuetype="string")
                text = str(v)
            cell.addElement(P(text=text))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
