"""Writing workbooks: one description of a sheet, two writers.

A `Table` says what a sheet holds (title lines, a header, rows as a DataFrame, a 合计 row) and
how it reads (money/date columns, widths, landscape). Small workbooks — a hospital month —
are written cell by cell with xlsxwriter for the finished look (bold totals, borders).
Large ones — a hospital group's 业绩明细 — go through the Rust writer (rustpy-xlsxwriter),
which writes a million rows in seconds; there the title lines are merged and bold and carry
the totals. Both write the same cell values, every input string as text (never a formula or
link), money as `#,##0.00`, a frozen header, A4 fit to width.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

TEXT, MONEY, INT, DATE, DATETIME = "text", "money", "int", "date", "datetime"
NUM = "num"               # a figure with its own number format (a Num), e.g. 基数 1,500.00 or 比例 3%
FAST_ROWS = 3000          # above this many data rows in a workbook, use the Rust writer
LARGE_MONTH = 20000       # a month with more credited shares than this writes every workbook fast
MONEY_FORMAT = "#,##0.00"


@dataclass(frozen=True)
class Num:
    """A number cell with its display format (issue 18: 基数 and rates as numbers); `text` is
    what a writer that cannot format cell by cell (the Rust one) shows instead."""

    value: float
    fmt: str
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Table:
    name: str
    columns: Sequence[tuple[str, str]]           # (header, kind)
    frame: pd.DataFrame                          # one column per header, in order
    title: Sequence[str] = ()                    # lines above the header; the first is bold
    total: Sequence | None = None                # a final 合计 row, aligned to the columns
    below: Sequence[str] = ()                    # notes under the table (flags)
    widths: dict[int, float] = field(default_factory=dict)
    landscape: bool = False
    header: str = ""                             # printed page header (Excel &-codes)
    footer: str | None = None                    # printed page footer; None: page numbers in `lang`
    wrap: tuple[int, ...] = ()                   # columns whose text wraps (row heights follow)
    charts: Sequence[dict] = ()                  # native charts over this sheet's rows (see charts.py)
    grid: bool = False                           # thin borders around the data cells (printed forms)
    lang: str = "zh"                             # the run's language (the default footer's words)
    finish: object = None                        # styled writer only: f(workbook, sheet, header row, last data row)

    def __post_init__(self) -> None:
        if self.footer is None:
            from settle.output.printing import footer   # printing builds on this module's Num
            self.footer = footer(self.lang)

    @property
    def header_row(self) -> int:
        return len(self.title) + (1 if self.title else 0)


def frame_of(rows: Sequence[Sequence], columns: Sequence[tuple[str, str]]) -> pd.DataFrame:
    headers = [h for h, _ in columns]
    if not rows:
        return pd.DataFrame({h: pd.Series([], dtype=object) for h in headers})
    values = np.empty((len(rows), len(headers)), dtype=object)  # one object block: cheap to build
    for i, r in enumerate(rows):
        values[i, :] = list(r)
    return pd.DataFrame(values, columns=headers)


def _width(text) -> int:
    s = str(text)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _pandas(frame) -> pd.DataFrame:
    """A Table's rows as pandas (an Arrow table is converted; small sheets only)."""
    if isinstance(frame, pd.DataFrame):
        return frame
    return frame.to_pandas()


def _fixed_widths(t: Table) -> list[float]:
    """Widths from the header and the column kind only (large sheets: no sampling)."""
    base = {MONEY: 14.0, DATE: 12.0, DATETIME: 17.0, INT: 8.0, TEXT: 16.0, NUM: 14.0}
    return [t.widths.get(i, max(base[k], _width(h) + 2.0)) for i, (h, k) in enumerate(t.columns)]


def _fit_widths(t: Table) -> list[float]:
    if not isinstance(t.frame, pd.DataFrame):
        return _fixed_widths(t)
    widths = []
    sample = _values(t.frame)[:60]       # no DataFrame.head: it copies every block of the frame
    for i, (h, kind) in enumerate(t.columns):
        if i in t.widths:
            widths.append(t.widths[i])
            continue
        w = _width(h) + 2
        if kind == MONEY:
            w = max(w, 14)
        elif kind == DATE:
            w = max(w, 12)
        elif kind == DATETIME:
            w = max(w, 17)
        elif len(sample):
            w = max(w, max((_width(v) for v in sample[:, i] if isinstance(v, str)), default=0) + 2)
        widths.append(float(min(60, w)))
    return widths


def _values(frame: pd.DataFrame) -> np.ndarray:
    """A small frame's cells as one object array (free for frame_of's single object block)."""
    return frame.to_numpy(dtype=object) if len(frame) else np.empty((0, frame.shape[1]), dtype=object)


def _cell_value(v, kind):
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if kind == MONEY:
        return float(v)
    if kind == INT:
        return int(v)
    if kind == NUM:
        return v if isinstance(v, (Num, int, float)) else str(v)
    if kind in (DATE, DATETIME):
        try:
            return pd.Timestamp(v).to_pydatetime()
        except (TypeError, ValueError):
            return None
    if isinstance(v, Decimal):
        return str(v)
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def write_book(path: Path, tables: Sequence[Table], *, fast: bool | None = None) -> None:
    rows = sum(len(t.frame) if isinstance(t.frame, pd.DataFrame) else t.frame.num_rows for t in tables)
    if fast is None:
        fast = rows > FAST_ROWS
    (_write_rust if fast else _write_styled)(path, tables)


# --- the styled writer (xlsxwriter) ------------------------------------------------------------

def _write_styled(path: Path, tables: Sequence[Table]) -> None:
    """Built in memory, then written with one explicit open and close: a full disk is one clean
    OSError, never a ZipFile or Workbook left for the garbage collector to close (and print
    "Exception ignored" from) — issue 14."""
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "strings_to_urls": False,
                                      "strings_to_numbers": False, "in_memory": True})
    try:
        _fill_styled(wb, tables)
        wb.close()
    finally:
        wb.fileclosed = True  # never closed again by Workbook.__del__
    with open(path, "wb") as fh:
        fh.write(buffer.getbuffer())


def _fill_styled(wb, tables: Sequence[Table]) -> None:
    wb.set_properties({"title": "settle", "author": "settle", "created": dt.datetime(2000, 1, 1)})
    styles = _Styles(wb)
    for t in tables:
        _styled_sheet(wb, styles, t)


class _Styles:
    """The styled writer's formats, made once per workbook (a Num's format on first use)."""

    def __init__(self, wb):
        f = self.add = wb.add_format
        self.head = f({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
        self.cell = {MONEY: f({"num_format": MONEY_FORMAT, "valign": "top"}), INT: f({"num_format": "0", "valign": "top"}),
                     DATE: f({"num_format": "yyyy-mm-dd", "valign": "top"}),
                     DATETIME: f({"num_format": "yyyy-mm-dd hh:mm", "valign": "top"}),
                     TEXT: f({"valign": "top"}), NUM: f({"valign": "top"})}
        self.wrapped = f({"text_wrap": True, "valign": "top"})
        self.bold = {MONEY: f({"bold": True, "num_format": MONEY_FORMAT, "top": 1}), INT: f({"bold": True, "top": 1}),
                     DATE: f({"bold": True, "top": 1}), DATETIME: f({"bold": True, "top": 1}),
                     TEXT: f({"bold": True, "top": 1}), NUM: f({"bold": True, "top": 1})}
        self.title = f({"bold": True, "font_size": 15, "align": "center", "valign": "vcenter"})
        self.subtitle = f({"bold": True, "font_size": 12})
        self.note = f({})
        self.below = {"plain": f({}), "bold": f({"bold": True, "font_size": 12}),
                      "warn": f({"bold": True, "font_color": "#C00000"}), "sign": f({"font_size": 12})}
        self._num: dict[str, object] = {}
        self.grid = f({"border": 1, "border_color": "#808080"})

    def num(self, fmt: str):
        if fmt not in self._num:
            self._num[fmt] = self.add({"num_format": fmt, "valign": "top"})
        return self._num[fmt]


def _below(line) -> tuple[str, str]:
    return (line, "warn") if isinstance(line, str) else (line[0], line[1])


def _styled_sheet(wb, st: _Styles, t: Table) -> None:
    ws = wb.add_worksheet(t.name[:31])
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
    ws.center_horizontally()
    if t.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    if t.header:
        ws.set_header(t.header)
    if t.footer:
        ws.set_footer(t.footer)
    last_col = max(0, len(t.columns) - 1)
    for i, line in enumerate(t.title):
        if i == 0 and last_col > 0:
            ws.merge_range(0, 0, 0, last_col, line, st.title)
            ws.set_row(0, 24)
        else:
            ws.write_string(i, 0, line, st.subtitle if i == 1 and len(t.title) > 2 else st.note)
    r0 = t.header_row
    kinds = [k for _, k in t.columns]
    for c, (h, _) in enumerate(t.columns):
        ws.write_string(r0, c, h, st.head)
    widths = _fit_widths(t)
    frame = _pandas(t.frame)
    values = frame.to_numpy(dtype=object) if len(frame) else np.empty((0, len(kinds)), dtype=object)
    r = r0 + 1
    for row in values:
        lines = 1
        for c, (v, kind) in enumerate(zip(row, kinds)):
            v = _cell_value(v, kind)
            if c in t.wrap and isinstance(v, str):
                ws.write_string(r, c, v, st.wrapped)
                lines = max(lines, _wrapped_lines(v, widths[c]))
            elif isinstance(v, Num):
                ws.write_number(r, c, v.value, st.num(v.fmt))
            else:
                _put(ws, r, c, v, kind, st.cell[kind])
        if lines > 1:
            ws.set_row(r, 15 * lines)
        r += 1
    last_data = r - 1
    if t.total is not None:
        for c, (v, kind) in enumerate(zip(t.total, kinds)):
            _put(ws, r, c, _cell_value(v, kind), kind, st.bold[kind], blank=True)
        r += 1
    for i, line in enumerate(t.below):
        text, style = _below(line)
        if text:
            ws.write_string(r + 1 + i, 0, text, st.below[style])
        if style == "sign":
            ws.set_row(r + 1 + i, 30)
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    if t.grid and last_data > r0:
        ws.conditional_format(r0 + 1, 0, last_data, len(kinds) - 1,
                              {"type": "formula", "criteria": "=TRUE", "format": st.grid})
    ws.freeze_panes(r0 + 1, 0)
    if last_data > r0 and not t.below:
        ws.autofilter(r0, 0, last_data, len(kinds) - 1)
    ws.repeat_rows(r0)
    if t.charts:
        from settle.output.charts import add_styled_charts
        add_styled_charts(wb, ws, t, r0, last_data)
    if t.finish is not None:   # a form's extras: drop-downs, unlocked entry cells, protection (申诉)
        t.finish(wb, ws, r0, last_data)


def _wrapped_lines(text: str, width: float) -> int:
    """How many printed lines a wrapped cell takes (CJK characters count twice)."""
    # A CJK character prints about two Latin widths; wrapping at spaces and punctuation loses some.
    cjk = any("\u3400" <= ch <= "\u9fff" for ch in text)
    per_line = max(1, int(width * (1.0 if cjk else 0.9)))
    return sum(max(1, -(-_width(part) // per_line)) for part in text.split("\n"))


def _put(ws, r, c, v, kind, fmt, blank=False):
    if v is None:
        ws.write_blank(r, c, None, fmt)
    elif kind in (MONEY, INT) and isinstance(v, (int, float)):
        ws.write_number(r, c, v, fmt)
    elif kind in (DATE, DATETIME) and isinstance(v, dt.datetime):
        ws.write_datetime(r, c, v, fmt)
    else:
        ws.write_string(r, c, str(v), fmt)


# --- the fast writer (rustpy-xlsxwriter) --------------------------------------------------------

def _arrow_column(col: pd.Series, kind: str, extra=None, with_extra=False):
    """One column as an Arrow array typed for the Rust writer; `extra` is appended (the 合计)."""
    import pyarrow as pa

    if kind in (MONEY, INT):
        if col.dtype == object:
            values = pd.to_numeric(pd.Series([None if v is None else float(v) for v in col], dtype=object),
                                   errors="coerce").to_numpy(dtype="float64")
        else:
            values = pd.to_numeric(col, errors="coerce").to_numpy(dtype="float64")
        if with_extra:
            values = np.append(values, np.nan if extra is None else float(extra))
        arr = pa.array(values, from_pandas=True)
        return arr.cast(pa.int64()) if kind == INT and not np.isnan(values).any() else arr
    if kind in (DATE, DATETIME):
        values = pd.to_datetime(col, errors="coerce").to_numpy(dtype="datetime64[ns]")
        if with_extra:
            values = np.append(values, np.datetime64("NaT") if extra is None else np.datetime64(pd.Timestamp(extra)))
        return pa.array(values, from_pandas=True)
    if isinstance(col.dtype, pd.StringDtype) or str(col.dtype).startswith("string"):
        arr = pa.array(col.astype("string[pyarrow]"), type=pa.string(), from_pandas=True)
    else:
        values = col.to_numpy(dtype=object)
        mask = pd.isna(values)
        if mask.any():
            values = np.where(mask, None, values)
        arr = pa.array([v if v is None or isinstance(v, str) else str(v) for v in values] if len(values) and
                       not all(isinstance(v, str) for v in values[:50]) else values, type=pa.string(), from_pandas=True)
    if with_extra:
        arr = pa.concat_arrays([arr, pa.array([None if extra is None else str(extra)], type=pa.string())])
    return arr


def _small_column(values: list, kind: str):
    """A few hundred Python values as an Arrow array typed for the Rust writer (no pandas)."""
    import pyarrow as pa

    cells = [_cell_value(v, kind) for v in values]
    if kind == MONEY:
        return pa.array(cells, type=pa.float64())
    if kind == INT:
        return pa.array(cells, type=pa.int64())
    if kind in (DATE, DATETIME):
        return pa.array(cells, type=pa.timestamp("us"))
    return pa.array([None if c is None else str(c) for c in cells], type=pa.string())


SMALL_ROWS = 5000


def _rust_table(t: Table):
    import pyarrow as pa

    if not isinstance(t.frame, pd.DataFrame):
        return _rust_from_arrow(t)
    with_total = t.total is not None
    if len(t.frame) <= SMALL_ROWS:  # a payslip's lines, its violations, the summary: cell by cell
        rows = _values(t.frame).tolist()
        if with_total:
            rows.append(list(t.total))
        columns = list(zip(*rows)) if rows else [() for _ in t.columns]
        return pa.Table.from_arrays([_small_column(list(col), kind) for col, (_, kind) in zip(columns, t.columns)],
                                    names=[h for h, _ in t.columns])
    arrays = [_arrow_column(t.frame.iloc[:, i], kind, t.total[i] if with_total else None, with_total)
              for i, (_, kind) in enumerate(t.columns)]
    return pa.Table.from_arrays(arrays, names=[h for h, _ in t.columns])


def _rust_from_arrow(t: Table):
    """An Arrow-table sheet: its columns already have the writer's types; append the 合计 row."""
    import pyarrow as pa

    table = t.frame.rename_columns([h for h, _ in t.columns])
    if t.total is None:
        return table
    row = {}
    for (h, kind), v, col in zip(t.columns, t.total, table.schema):
        if v is None:
            row[h] = pa.array([None], type=col.type)
        elif kind in (MONEY, INT) and pa.types.is_floating(col.type):
            row[h] = pa.array([float(v)], type=col.type)
        elif kind in (DATE, DATETIME):
            row[h] = pa.array([pd.Timestamp(v).to_datetime64()], type=col.type)
        else:
            row[h] = pa.array([v if isinstance(v, (int, float)) and not pa.types.is_string(col.type) else str(v)],
                              type=col.type)
    return pa.concat_tables([table, pa.table(row, schema=table.schema)])


def _write_rust(path: Path, tables: Sequence[Table]) -> None:
    import rustpy_xlsxwriter as rx

    money = rx.Format().set_num_format(MONEY_FORMAT)
    date = rx.Format().set_num_format("yyyy-mm-dd")
    stamp = rx.Format().set_num_format("yyyy-mm-dd hh:mm")
    title = rx.Format().set_bold().set_font_size(13)
    bold = rx.Format().set_bold()
    head = rx.Format().set_bold().set_background_color("#DDEBF7").set_border("thin")
    entries, formats, widths, merges, header_rows, freeze, pages, headers = [], {}, {}, {}, {}, {}, {}, {}
    charts, heights = {}, {}
    wrap = rx.Format().set_text_wrap()
    for t in tables:
        name = t.name[:31]
        entries.append((name, _with_below(_rust_table(t), t)))
        if t.charts:
            from settle.output.charts import rust_charts
            charts[name] = rust_charts(t)
        formats[name] = {h: {MONEY: money, DATE: date, DATETIME: stamp}[k] for h, k in t.columns
                         if k in (MONEY, DATE, DATETIME)}
        widths[name] = _fit_widths(t)
        if t.wrap and isinstance(t.frame, pd.DataFrame) and len(t.frame) <= SMALL_ROWS:
            heights[name] = _rust_wrap(t, widths[name], formats[name], wrap)
        last = max(1, len(t.columns) - 1)
        merges[name] = [(i, 0, i, last, line, title if i == 0 else bold) for i, line in enumerate(t.title)]
        header_rows[name] = t.header_row
        freeze[name] = {"row": t.header_row + 1, "col": 0}
        pages[name] = {"paper_size": 9, "fit_to_pages": (1, 0), "landscape": bool(t.landscape),
                       "repeat_rows": t.header_row, "center_horizontally": True,
                       **({"header": t.header} if t.header else {}), **({"footer": t.footer} if t.footer else {})}
        headers[name] = head
    with _rust_errors(path):
        rx.write_worksheets(entries, str(path), freeze_panes=freeze, column_formats=formats, column_widths=widths,
                            merge_ranges=merges, header_row=header_rows, page_setup=pages, header_format=headers,
                            datetime_format="yyyy-mm-dd hh:mm", **({"charts": charts} if charts else {}),
                            **({"row_heights": heights} if heights else {}))


def _rust_wrap(t: Table, widths: list[float], formats: dict, wrap) -> dict[int, float]:
    """Wrapped columns of a small sheet (a payslip's 计算过程): a wrapping column format and the
    row heights their lines need."""
    heights = {}
    values = _values(t.frame)
    for c in t.wrap:
        formats[t.columns[c][0]] = wrap
        for i, v in enumerate(values[:, c]):
            if isinstance(v, str):
                lines = _wrapped_lines(v, widths[c])
                if lines > 1:
                    heights[t.header_row + 1 + i] = max(heights.get(t.header_row + 1 + i, 0), 15.0 * lines)
    return heights


def _with_below(table, t: Table):
    """The Rust writer cannot place cells below its table: the notes under it (大写, 签收) become
    rows of their own, text in the first column, after a blank row."""
    import pyarrow as pa

    if not t.below or not len(table.schema) or not pa.types.is_string(table.schema.field(0).type):
        return table
    lines = [""] + [_below(line)[0] for line in t.below]
    extra = {f.name: (pa.array(lines, type=f.type) if i == 0 else pa.nulls(len(lines), type=f.type))
             for i, f in enumerate(table.schema)}
    return pa.concat_tables([table, pa.table(extra, schema=table.schema)])


_OS_ERROR = re.compile(r"\(os error (\d+)\)")


@contextmanager
def _rust_errors(path: Path):
    """The Rust writer reports a full disk as an OSError without errno and prints its own
    "ZipWriter::drop: failed to finalize archive" on stderr: keep that line off the terminal
    and give the error its errno, so the clerk reads "磁盘空间不足" (issue 14)."""
    import os
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        failed = False
        try:
            yield
        except OSError as exc:
            failed = True
            m = _OS_ERROR.search(str(exc))
            if exc.errno is None and m:
                raise OSError(int(m.group(1)), os.strerror(int(m.group(1))), str(path)) from None
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            if not failed:
                captured.seek(0)
                text = captured.read()
                if text:
                    os.write(2, text)


rust_errors = _rust_errors


def add_row_breaks(book, path: Path, breaks: dict[int, list[int]]) -> None:
    """Copy the workbook `book` (a BytesIO the Rust writer filled) to `path` with manual page
    breaks before the given 0-based rows of its sheets (1-based positions). The Rust writer has
    no page breaks, so each such sheet's part is streamed once through zlib, the <rowBreaks>
    element going right after its <headerFooter> (the place the schema gives it)."""
    import zipfile

    marker = b"</headerFooter>"
    book.seek(0)
    with zipfile.ZipFile(book) as zin, open(path, "wb") as fh, \
            zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info in zin.infolist():
            number = _sheet_number(info.filename)
            rows = breaks.get(number) if number else None
            if not rows:
                zout.writestr(info, zin.read(info), compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
                continue
            brk = "".join(f'<brk id="{r}" max="16383" man="1"/>' for r in rows)
            extra = f'<rowBreaks count="{len(rows)}" manualBreakCount="{len(rows)}">{brk}</rowBreaks>'.encode()
            with zin.open(info) as src, zout.open(info.filename, "w") as dst:
                _insert_after(src, dst, marker, extra)


def _sheet_number(name: str) -> int | None:
    m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", name)
    return int(m.group(1)) if m else None


def _insert_after(src, dst, marker: bytes, extra: bytes, chunk: int = 1 << 20) -> None:
    """Stream src to dst, writing `extra` after the first `marker` (which must be there)."""
    pending, done = b"", False
    while True:
        block = src.read(chunk)
        if not block:
            break
        buf = pending + block
        if not done:
            at = buf.find(marker)
            if at >= 0:
                at += len(marker)
                dst.write(buf[:at] + extra)
                buf, done = buf[at:], True
        keep = 0 if done else len(marker) - 1
        dst.write(buf[:len(buf) - keep])
        pending = buf[len(buf) - keep:]
    dst.write(pending)
    if not done:
        raise ValueError(f"no {marker!r} in a sheet: its page breaks have no place")
