"""工资条_裁剪版.xlsx (issue 18 point 2): the classic 工资条 printed on one sheet and cut into
strips — for each person a header row and their row with 汇总's columns, a blank cutting row
between; landscape A4 fitted to the page width, page breaks only between strips."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from settle.engine.model import Settlement
from settle.output.payroll import payroll_columns
from settle.output.printing import Page, footer
from settle.output.render import SUMMARY_COLUMNS, _zh, summary_rows
from settle.output.xlsx import MONEY_FORMAT, _width

FILE = "工资条_裁剪版.xlsx"
STRIPS_PER_PAGE = 12
ROWS_PER_STRIP = 3          # header, the person's row, the cutting row


def strip_columns(lang: str) -> list[tuple[str, str]]:
    """汇总's columns: 工号, 姓名, 角色, 小组, 业绩, the pay columns, 应发合计."""
    cols = payroll_columns(lang)
    return cols[:4] + [(_zh(lang, "业绩", "Performance"), "money")] + cols[4:]


def write_strips(path: Path, s: Settlement, lang: str = "zh", page: Page | None = None) -> int:
    """Write the strips; returns the number of people (the paid ones, as in 工资导入)."""
    import xlsxwriter

    page = page or Page()
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    cols = strip_columns(lang)
    rows = [r for r in summary_rows(s) if r["total"] is not None]
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    wb.set_properties({"title": "settle", "author": "settle", "created": dt.datetime(2000, 1, 1)})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center", "valign": "vcenter"})
    text = wb.add_format({"border": 1, "align": "center", "valign": "vcenter"})
    money = wb.add_format({"border": 1, "num_format": MONEY_FORMAT, "valign": "vcenter"})
    total = wb.add_format({"border": 1, "num_format": MONEY_FORMAT, "bold": True, "valign": "vcenter"})
    cut = wb.add_format({"bottom": 4, "bottom_color": "#808080"})  # dashed line to cut along
    title = wb.add_format({"bold": True, "font_size": 14})
    ws = wb.add_worksheet(L("工资条", "Strips"))
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.7)
    ws.center_horizontally()
    ws.set_header(page.header(f"{s.month} {L('工资条（裁剪版）', 'payslip strips')}"))
    ws.set_footer(footer(lang))
    ws.write_string(0, 0, f"{page.org} {s.month} {L('工资条（沿虚线裁开）', 'payslip strips (cut along the dashes)')}"
                    .strip(), title)
    ws.set_row(1, 8, cut)
    r, breaks = 2, []
    for i, row in enumerate(rows):
        values = [row["staff_id"], row["name"], row["role"], row["team"], row["performance"],
                  *[row[c] for c in SUMMARY_COLUMNS], row["total"]]
        for c, (h, _) in enumerate(cols):
            ws.write_string(r, c, h, head)
        for c, ((_, kind), v) in enumerate(zip(cols, values)):
            if kind == "money":
                ws.write_number(r + 1, c, float(v), total if c == len(cols) - 1 else money)
            else:
                ws.write_string(r + 1, c, str(v or ""), text)
        ws.set_row(r, 20)
        ws.set_row(r + 1, 22)
        ws.set_row(r + 2, 14, cut)
        r += ROWS_PER_STRIP
        if (i + 1) % STRIPS_PER_PAGE == 0 and i + 1 < len(rows):
            breaks.append(r)
    if breaks:
        ws.set_h_pagebreaks(breaks)
    keys = ("staff_id", "name", "role", "team")
    for c, (h, kind) in enumerate(cols):
        if kind == "money":
            ws.set_column(c, c, 13)
        else:
            ws.set_column(c, c, max(6, _width(h), *(_width(x[keys[c]] or "") for x in rows)) + 2)
    wb.close()
    return len(rows)


def check_strips(folder: Path, settlement: dict):
    """Each paid person's strip: a header row then their row, whose last cell is their 应发合计."""
    from decimal import Decimal

    from settle.output.checks import Difference, money, sheet_rows, unreadable

    path = Path(folder) / FILE
    if not path.exists():
        return [Difference(FILE, "present", "missing")]
    try:
        sheet, rows = sheet_rows(path)
    except Exception as exc:
        return [unreadable(path, exc)]
    people = settlement.get("people", {})
    found = {}
    for i in range(2, len(rows) - 1, ROWS_PER_STRIP):
        person = rows[i + 1]
        if person and person[0] is not None:
            found[str(person[0])] = money(person[-1] if person[-1] is not None else
                                          [v for v in person if v is not None][-1])
    out = []
    for sid, p in people.items():
        if found.get(sid) != Decimal(p["total"]):
            out.append(Difference(f"{FILE} › {sheet} › {sid}", p["total"], str(found.get(sid))))
    for sid in sorted(set(found) - set(people)):
        out.append(Difference(f"{FILE} › {sheet} › {sid}", "no payslip", "strip"))
    return out
