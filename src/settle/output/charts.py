"""Native Excel charts for the director (issue 18 point 4): they print and stay live.

A chart is described once on its `Table` (`charts=[{...}]`) by column indices, and each writer
turns it into its own kind: xlsxwriter's add_chart for a hospital month, the Rust writer's
`charts=` option for a large one. A spec holds
    type        "bar" (horizontal), "column" or "line"
    title       the chart title
    categories  the column of the labels (姓名, 月份)
    series      the columns plotted in `type`
    lines       columns overlaid as lines (the 20 000 quota against 业绩); the Rust writer
                plots them as further series of the same type
    anchor      (row, col) of the top-left corner, or None: to the right of the table
Series cover the sheet's data rows only (no 合计 row: chart sheets have none).
"""

from __future__ import annotations


def _size(t, spec) -> tuple[int, int]:
    n = len(t.frame) if hasattr(t.frame, "__len__") else t.frame.num_rows
    if spec["type"] == "bar":
        return 720, max(320, 60 + 20 * n)
    return 720, 360


def add_styled_charts(wb, ws, t, header_row: int, last_data: int) -> None:
    if last_data <= header_row:
        return
    sheet = ws.get_name()
    first = header_row + 1
    anchor_row = header_row
    for spec in t.charts:
        chart = wb.add_chart({"type": spec["type"]})
        cat = spec["categories"]
        for col in spec["series"]:
            chart.add_series({"name": [sheet, header_row, col], "categories": [sheet, first, cat, last_data, cat],
                              "values": [sheet, first, col, last_data, col],
                              **({"marker": {"type": "circle"}} if spec["type"] == "line" else {})})
        if spec.get("lines"):
            over = wb.add_chart({"type": "line"})
            for col in spec["lines"]:
                over.add_series({"name": [sheet, header_row, col], "categories": [sheet, first, cat, last_data, cat],
                                 "values": [sheet, first, col, last_data, col],
                                 "line": {"color": "#C00000", "dash_type": "dash", "width": 1.5}})
            chart.combine(over)
        chart.set_title({"name": spec["title"], "name_font": {"size": 12}})
        chart.set_legend({"position": "bottom"})
        width, height = _size(t, spec)
        chart.set_size({"width": width, "height": height})
        if spec["type"] == "bar":
            chart.set_y_axis({"reverse": True})  # first person on top, as in the table
        row, col = spec.get("anchor") or (anchor_row, len(t.columns) + 1)
        ws.insert_chart(row, col, chart)
        anchor_row = row + height // 20 + 2


def rust_charts(t) -> list[dict]:
    headers = [h for h, _ in t.columns]
    out, row = [], t.header_row
    for spec in t.charts:
        width, height = _size(t, spec)
        out.append({"type": spec["type"], "title": spec["title"], "categories": headers[spec["categories"]],
                    "series": [headers[c] for c in (*spec["series"], *spec.get("lines", ()))],
                    "row": row, "col": len(headers) + 1, "width": width, "height": height})
        row += height // 20 + 2
    return out
