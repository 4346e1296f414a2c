"""Reading one input file into raw text columns that remember where every value came from.

Workbooks (.xlsx .xlsm .xls .xlsb .ods) are scanned first (settle.load.scan: bombs, entities,
encryption, stray cells, merges, formulas without cached values, numbers >= 10^15) and then
loaded once, whole, by fastexcel (calamine) with every column as text, or by xlrd for the .xls
calamine cannot read (BIFF2-5). Every reader call is guarded (SPEC §8.1): a Rust panic or any
reader error is the catalogue problem `reader_failed` naming the file, and the readers' own
words go to --debug only (settle.load.quiet). CSV files are decoded as UTF-8 (with or without
BOM) or GBK/GB18030. The header row is found among the first 10 rows by matching the kind's
aliases; summary rows (合计…, in any column) and repeated header rows are dropped and counted.
Row numbers are Excel's (1-based, as the clerk sees them) and travel with every value.
"""

from __future__ import annotations

import errno
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from settle.load.columns import Alias, Kind, alias_table, header_key
from settle.load.quiet import DEBUG_LOG, describe, is_panic, quiet
from settle.load.rows import footer_mask, repeated_header_mask, summary_mask
from settle.problems import MESSAGES, Problems, both, problem, say

HEADER_SEARCH_ROWS = 10
_LINE_BREAK = re.compile(r"\s*[\r\n]+\s*")
# SPEC §8.1: a sheet whose name says it summarises (汇总, 统计 …) is not a partial data sheet.
SUMMARY_SHEET_WORDS = ("汇总", "统计", "透视", "合计", "报表", "分析", "summary", "pivot", "total")
SAMPLE_VALUES = 200     # cells per column kept for `settle inspect`'s guesses by content


@dataclass
class RawTable:
    """One sheet's data rows as raw (unparsed) text, per field."""

    file: str                       # display name (relative to the workspace)
    sheet: str | None               # None for CSV
    rows: np.ndarray                # Excel row numbers of the data rows
    values: dict[str, pa.Array]     # field -> raw text
    headers: dict[str, str]         # field -> header text as written
    date1904: bool = False
    cells: dict[str, int] = field(default_factory=dict)          # field -> Excel column number
    flagged: dict[str, set] = field(default_factory=dict)        # field -> Excel rows already reported

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class SheetReport:
    """How one sheet was read, for `settle inspect` (filled by the very code `run` reads with).

    status: read · hidden (a hidden sheet) · no_header · summary_sheet (skipped, SPEC §8.1) ·
    refused (required columns missing or doubled) · failed (the reader could not parse it)."""

    sheet: str | None
    status: str = "no_header"
    header_row: int | None = None             # Excel row number of the header
    header: HeaderMatch | None = None
    columns: list[int] = field(default_factory=list)   # Excel column number of each grid column
    samples: dict[int, list[str]] = field(default_factory=dict)   # grid column -> values below the header
    dropped: dict[str, list[int]] = field(default_factory=dict)   # reason -> Excel rows
    hidden_rows: list[int] = field(default_factory=list)
    lines: int = 0
    pivot: bool = False


def col_letter(n: int) -> str:
    """1-based column number -> Excel letters."""
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def read_file(path: Path, display: str, kind: Kind, problems: Problems,
              extra_aliases: dict[str, list[str]] | None = None,
              report: list[SheetReport] | None = None) -> list[RawTable]:
    """Read every visible sheet of `path` that has a header row for `kind`. `report`, when
    given, receives one SheetReport per sheet (what `settle inspect` shows)."""
    if path.suffix.lower() == ".csv":
        grid = _read_csv(path, display, problems)
        if grid is None:
            return []
        sheets = [(None, grid, None)]
    else:
        sheets = _workbook_sheets(path, display, problems)
        if sheets is None:
            return []
    return _read_sheets(sheets, display, kind, problems, extra_aliases, report)


def _read_sheets(sheets, display: str, kind: Kind, problems: Problems, extra_aliases,
                 report: list[SheetReport] | None) -> list[RawTable]:
    """Each sheet's header found first, so that a partial sheet beside a full data sheet can be
    judged (SPEC §8.1: a summary sheet is skipped with a warning, any other is an error)."""
    found = []
    for name, grid, info in sheets:
        rep = SheetReport(name)
        if report is not None:
            report.append(rep)
        if grid is None:
            rep.status = info   # hidden | failed
            continue
        head = find_header(grid, kind, extra_aliases, info[0].merged if info else (), info[1] if info else None)
        if head is not None:
            _report_two_rows(grid, head, kind, extra_aliases, info, display, name, problems)
        rep.columns = list(info[1]) if info else list(range(len(grid)))
        rep.columns = [c + 1 for c in rep.columns]
        rep.pivot = bool(info and getattr(info[0], "pivot", False))
        if head is not None:
            rep.header_row, rep.header = head.row + 1, head
            if report is not None:   # inspect's guesses by content
                rep.samples = {c: [v for v in col.slice(head.row + 1, SAMPLE_VALUES).to_pylist() if v is not None]
                               for c, col in enumerate(grid)}
        found.append((name, grid, info, head, rep))
    full = any(h is not None and not h.missing(kind) for _, _, _, h, _ in found)
    tables: list[RawTable] = []
    for name, grid, info, head, rep in found:
        if head is None:
            continue
        if full and head.missing(kind) and _summary_sheet(name, info):
            rep.status = "summary_sheet"
            missing = [kind.field(f).display for f in head.missing(kind)]
            problems.add(problem("summary_sheet", file=display, sheet=name,
                                 missing=both("、".join(missing), ", ".join(missing))))
            continue
        rep.status = "read"
        table = _table_from_grid(grid, display, name, kind, problems, info, head, rep)
        tables.append(table)
        rep.lines = len(table)
        if info and table.values:
            _report_hidden(info[0], table, display, name, problems, rep)
    heads = [h for _, _, _, h, _ in found if h is not None]
    if not heads and not problems.has_errors_for(display):
        problems.add(problem("no_header", file=display, expected=_expected(kind)))
    elif heads and not problems.has_errors_for(display) and not any(len(t) for t in tables):
        problems.add(problem("no_data_rows", file=display, kind=kind.display))
    if heads:
        _check_aliases(heads, kind, extra_aliases, display, problems)
    return [t for t in tables if t.values]


def _report_two_rows(grid, head: HeaderMatch, kind: Kind, extra_aliases, info, display, sheet, problems) -> None:
    """A two-row header is said (which columns the lower row names); a known name under a
    one-row header is a warning naming its cell — never silence (SPEC §3)."""
    absolute = info[1] if info else None
    if head.parents:
        cols = [f"{col_letter((absolute[c] if absolute is not None else c) + 1)}“{head.texts[c]}”"
                for c in sorted(head.parents)]
        problems.add(problem("header_two_rows", file=display, sheet=sheet, rows=f"{head.top + 1}、{head.row + 1}",
                             columns="、".join(cols)))
    for cell, text, fdisplay in header_below(grid, head, kind, extra_aliases, absolute):
        problems.add(problem("header_below", file=display, sheet=sheet, row=head.row + 2, cell=cell,
                             value=text, field=fdisplay))


def _summary_sheet(name: str | None, info) -> bool:
    folded = (name or "").casefold()
    return any(w in folded for w in SUMMARY_SHEET_WORDS) or bool(info and getattr(info[0], "pivot", False))


def _report_hidden(scan, table: RawTable, display: str, sheet: str | None, problems: Problems,
                   rep: SheetReport) -> None:
    """SPEC §8.1: rows hidden in Excel (AutoFilter or by hand) are data; the clerk is told."""
    hidden = getattr(scan, "hidden_rows", ())
    if not hidden:
        return
    rows = np.intersect1d(table.rows, np.asarray(hidden, dtype=np.int64))
    if len(rows):
        rep.hidden_rows = [int(r) for r in rows]
        listed = "、".join(str(int(r)) for r in rows[:20]) + ("…" if len(rows) > 20 else "")
        problems.add(problem("hidden_rows", file=display, sheet=sheet, count=len(rows), rows=listed))


def _check_aliases(heads: list[HeaderMatch], kind: Kind, extra_aliases, display: str, problems: Problems) -> None:
    """SPEC §3: a settle.yaml alias that matches no header of this file is a warning naming the
    alias, the file and the headers seen — an error when its field was taken from another
    column, for pay would then differ from what the clerk mapped."""
    if not extra_aliases:
        return
    seen = {header_key(t) for h in heads for t in h.texts if t is not None}
    shown = "、".join(dict.fromkeys(str(t).replace("\n", "⏎") for h in heads for t in h.texts if t is not None))
    for fname, names in extra_aliases.items():
        if fname not in {f.name for f in kind.fields}:
            continue
        for alias in names:
            if header_key(alias) in seen:
                continue
            used = next((h for h in heads if fname in h.matched), None)
            if used is not None and used.names[fname].source != "builtin":
                continue   # read through another of the clerk's own names for it: as mapped
            if used is not None:
                c = used.matched[fname][0]
                problems.add(problem("alias_unmatched_used", file=display, value=alias,
                                     field=kind.field(fname).display, used=str(used.texts[c]), headers=shown))
            else:
                problems.add(problem("alias_unmatched", file=display, value=alias,
                                     field=kind.field(fname).display, headers=shown))


def _expected(kind: Kind) -> str:
    return "、".join(f.display for f in kind.fields if f.required)


def _read_csv(path: Path, display: str, problems: Problems) -> list[pa.Array] | None:
    import pandas as pd

    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.add(problem("unreadable_file", file=display, reason=_os_reason(exc)))
        return None
    if not data.strip():
        problems.add(problem("unreadable_file", file=display, reason=_reason("unreadable.empty")))
        return None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        problems.add(problem("unreadable_csv", file=display))
        return None
    try:
        frame = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                            skip_blank_lines=False, engine="c")
    except Exception as exc:  # pandas raises many parser error types for broken CSV
        DEBUG_LOG.debug("%s: %s", display, describe(exc))
        problems.add(problem("unreadable_file", file=display, reason=_reason("unreadable.csv")))
        return None
    return [pa.array(frame[c].to_numpy(), type=pa.string()) for c in frame.columns]


def _workbook_sheets(path: Path, display: str, problems: Problems):
    """.xlsx/.xlsm/.xls/.xlsb/.ods: scanned first, then read by calamine (or xlrd for the .xls
    calamine cannot read). Every reader call is guarded: a Rust panic (pyo3's PanicException is
    a BaseException) or any error is a catalogue problem naming the file (SPEC §8.1).
    Returns [(sheet name, grid or None, (scan, absolute columns, date1904) or why not)], or
    None when the file cannot be read at all."""
    import fastexcel

    from settle.load.scan import UnreadableWorkbook, scan_workbook

    try:
        with quiet():
            scan = scan_workbook(path)
    except UnreadableWorkbook as exc:
        if exc.code == "old_excel":
            problems.add(problem("old_excel", file=display))
        else:
            problems.add(problem("unreadable_file", file=display, reason=_unreadable_reason(exc)))
        return None
    except OSError as exc:  # missing, locked by another program, a network drive gone away
        problems.add(problem("unreadable_file", file=display, reason=_os_reason(exc)))
        return None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a reader panic, or a bug in a scanner: name the file
        return _failed(problems, display, None, exc) or None
    if scan.reader == "xlrd":
        load = _xlrd_loader(path)
    else:
        try:
            with quiet():
                reader = fastexcel.read_excel(scan.source)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # calamine's error types vary by format; panics too
            return _failed(problems, display, None, exc) or None

        def load(sheet):
            loaded = reader.load_sheet(sheet.index, header_row=None, dtypes="string", skip_rows=0,
                                       whitespace_as_null=True)
            batch = loaded.to_arrow()
            return ([batch.column(i) for i in range(batch.num_columns)],
                    [c.absolute_index for c in loaded.available_columns()])
    sheets = []
    for sheet in scan.sheets:
        if not sheet.visible:
            problems.add(problem("hidden_sheet", file=display, sheet=sheet.name))
            sheets.append((sheet.name, None, "hidden"))
            continue
        try:
            with quiet():
                grid, absolute = load(sheet)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            _failed(problems, display, sheet.name, exc)
            sheets.append((sheet.name, None, "failed"))
            continue
        if getattr(sheet, "stray_cell", None):
            problems.add(problem("stray_cell", file=display, sheet=sheet.name, cell=sheet.stray_cell))
        sheets.append((sheet.name, grid, (sheet, absolute, scan.date1904)))
    return sheets


def _failed(problems: Problems, display: str, sheet: str | None, exc: BaseException) -> list:
    """One catalogue problem for a reader failure; the reader's own words only under --debug."""
    DEBUG_LOG.debug("%s%s: %s%s", display, f" › {sheet}" if sheet else "",
                    "panic " if is_panic(exc) else "", describe(exc))
    problems.add(problem("reader_failed", file=display, sheet=sheet))
    return []


def _xlrd_loader(path: Path):
    """Cells of an .xls that calamine cannot read (BIFF2-BIFF5, some damaged files), as the same
    text columns calamine would give: numbers as Excel shows integers, dates as ISO text."""
    import xlrd

    with quiet():
        book = xlrd.open_workbook(str(path), formatting_info=True, logfile=io.StringIO())

    def text(ty, v):
        if ty in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
            return None
        if ty == xlrd.XL_CELL_NUMBER:
            return str(int(v)) if v == int(v) and abs(v) < 1e20 else repr(v)
        if ty == xlrd.XL_CELL_DATE:
            try:
                return xlrd.xldate_as_datetime(v, book.datemode).isoformat(" ")
            except (ValueError, OverflowError, xlrd.XLDateError):
                return repr(v)
        if ty == xlrd.XL_CELL_BOOLEAN:
            return "true" if v else "false"
        s = str(v)
        return s if s.strip() else None

    def load(sheet):
        sh = book.sheet_by_index(sheet.index)
        cols = [pa.array([text(ty, v) for ty, v in zip(sh.col_types(c), sh.col_values(c))], type=pa.string())
                for c in range(sh.ncols)]
        return cols, list(range(sh.ncols))
    return load


def _unreadable_reason(exc) -> str:
    """Why a workbook cannot be read, as a catalogue text in both languages (problem text picks
    the run's one); the scanner's English detail only under --debug."""
    code = getattr(exc, "code", "")
    DEBUG_LOG.debug("unreadable (%s): %s", code, getattr(exc, "detail", ""))
    return _reason(f"unreadable.{code}" if f"unreadable.{code}" in MESSAGES else "unreadable.not_excel")


def _os_reason(exc: OSError) -> str:
    """A file the system would not open, in the catalogue's words (the system's own, in its own
    language, only under --debug)."""
    DEBUG_LOG.debug("cannot open: %s", exc)
    known = {errno.ENOENT: "unreadable.missing", errno.EACCES: "unreadable.denied", errno.EPERM: "unreadable.denied",
             errno.EBUSY: "unreadable.busy"}
    return _reason(known.get(exc.errno, "unreadable.cannot_open"))


def _reason(code: str) -> str:
    return both(say(code, "zh"), say(code, "en"))


@dataclass
class HeaderMatch:
    """The header row found in a sheet: which column feeds which field, through which name."""

    row: int                                  # 0-based grid row
    matched: dict[str, list[int]]             # field -> grid columns whose header names it
    names: dict[str, Alias]                   # field -> the name its (first) column matched
    texts: list[str | None]                   # the header row's cells, as written
    # a two-row header (SPEC §3): grid column -> the merged parent cell's text above it; `row` is
    # then the lower row, `top` the upper one
    parents: dict[int, str] = field(default_factory=dict)
    top: int | None = None

    def missing(self, kind: Kind) -> list[str]:
        return [f.name for f in kind.fields if f.required and f.name not in self.matched]


def find_header(grid: list[pa.Array], kind: Kind, extra_aliases, merged=(), absolute=None) -> HeaderMatch | None:
    """The row among the first 10 matching the most of `kind`'s names (at least two). A header
    row with horizontally merged cells over texts in the row below (应发工资 over 基本工资,
    岗位工资 …) is a two-row header: the columns under a merge take the lower row's texts, and
    the data starts after the lower row. `merged`: the sheet's merges (Excel rows/columns,
    inclusive); `absolute`: the Excel column (0-based) of each grid column."""
    if not grid:
        return None
    table = alias_table(kind, extra_aliases)
    best: HeaderMatch | None = None
    for r in range(min(HEADER_SEARCH_ROWS, len(grid[0]))):
        texts = [col[r].as_py() for col in grid]
        cand = _match(table, r, texts)
        two = _two_row(grid, r, texts, merged, absolute)
        if two is not None:
            lower = _match(table, r + 1, two[0], parents=two[1], top=r)
            if len(lower.matched) >= len(cand.matched) and set(cand.matched) <= set(lower.matched):
                cand = lower
        if len(cand.matched) > (len(best.matched) if best else 1):
            best = cand
    return best


def _match(table, r: int, texts: list, **more) -> HeaderMatch:
    matched: dict[str, list[int]] = {}
    names: dict[str, Alias] = {}
    for c, v in enumerate(texts):
        alias = table.get(header_key(v)) if v is not None else None
        if alias:
            matched.setdefault(alias.field, []).append(c)
            names.setdefault(alias.field, alias)
    return HeaderMatch(r, matched, names, texts, **more)


def _two_row(grid, r: int, texts: list, merged, absolute) -> tuple[list, dict[int, str]] | None:
    """Row r's texts with, under each merge of row r alone spanning columns, row r + 1's texts;
    and {grid column: the merge's text}. None when row r has no such merge over texts."""
    if not merged or r + 1 >= len(grid[0]):
        return None
    pos = {a + 1: c for c, a in enumerate(absolute if absolute is not None else range(len(grid)))}
    combined, parents = list(texts), {}
    for (r1, c1, r2, c2) in merged:
        if r1 != r + 1 or r2 != r + 1 or c2 <= c1 or pos.get(c1) is None:
            continue
        parent = texts[pos[c1]]
        for ec in range(c1, c2 + 1):
            c = pos.get(ec)
            v = grid[c][r + 1].as_py() if c is not None else None
            if v is not None and str(v).strip():
                combined[c] = v
                parents[c] = "" if parent is None else str(parent)
    return (combined, parents) if parents else None


def header_below(grid: list[pa.Array], head: HeaderMatch, kind: Kind, extra_aliases, absolute) -> list[tuple]:
    """Known names in the row right under a one-row header, of fields the header did not find
    (a two-row header without a merge to tie it): [(cell, text, field)]."""
    if head.parents or head.row + 1 >= len(grid[0]):
        return []
    table = alias_table(kind, extra_aliases)
    out = []
    for c, col in enumerate(grid):
        v = col[head.row + 1].as_py()
        alias = table.get(header_key(v)) if v is not None else None
        if alias and alias.field not in head.matched:
            excel_col = (absolute[c] if absolute is not None else c) + 1
            out.append((f"{col_letter(excel_col)}{head.row + 2}", str(v), kind.field(alias.field).display))
    return out


def _table_from_grid(grid: list[pa.Array], display: str, sheet: str | None, kind: Kind,
                     problems: Problems, xlsx_info, head: HeaderMatch,
                     report: SheetReport | None = None) -> RawTable:
    """Map columns to fields, apply merges and cell traps, drop empty, summary, footer and
    repeated header rows. `grid` is a list of whole-sheet columns where row i is Excel row i + 1."""
    nrows = len(grid[0])
    best_row, best_map = head.row, head.matched
    absolute = xlsx_info[1] if xlsx_info else list(range(len(grid)))
    raw_headers = {f: str(head.texts[cs[0]]) for f, cs in best_map.items()}
    # as messages name the column: a line break inside the header cell is not shown
    headers = {f: _LINE_BREAK.sub("", h).strip() for f, h in raw_headers.items()}
    ok = True
    for fname, cs in best_map.items():
        if len(cs) > 1:
            names = "、".join(f"{col_letter(absolute[c] + 1)}列“{head.texts[c]}”" for c in cs)
            problems.add(problem("duplicate_column", file=display, sheet=sheet, row=best_row + 1,
                                 field=kind.field(fname).display, columns=names))
            ok = False
    for fname in head.missing(kind):
        f = kind.field(fname)
        problems.add(problem("missing_column", file=display, sheet=sheet, row=best_row + 1,
                             column=f.display, aliases="、".join(f.aliases)))
        ok = False
    if not ok:
        if report is not None:
            report.status = "refused"
        return RawTable(display, sheet, np.zeros(0, dtype=np.int64), {}, headers)

    start = best_row + 1
    rows = np.arange(start + 1, nrows + 1, dtype=np.int64)  # Excel row numbers
    values = {f: grid[cs[0]].slice(start) for f, cs in best_map.items()}
    colno = {f: absolute[cs[0]] + 1 for f, cs in best_map.items()}

    if xlsx_info:
        values = _apply_merges(values, colno, xlsx_info[0].merged, start, kind, display, sheet, headers, problems)
    content = _content_rows(values, len(rows), blank_is_null=xlsx_info is not None)
    keep, dropped = _drop_rows(grid, start, values, content, rows, raw_headers)
    flagged: dict[str, set] = {}
    if xlsx_info:   # cell traps in the lines only: a 合计 row's =SUM() without a cached value is no line
        sheet_scan = xlsx_info[0]
        labelled = {r for reason in ("summary", "repeated_header", "footer") for r in dropped.get(reason, ())}
        by_col = {c: f for f, c in colno.items()}
        for (r, c) in sheet_scan.uncached_formulas:
            if r > start and r not in labelled and c in by_col:
                flagged.setdefault(by_col[c], set()).add(r)
                problems.add(problem("uncached_formula", file=display, sheet=sheet, row=r,
                                     column=headers[by_col[c]]))
        for (r, c, raw) in sheet_scan.long_numbers:
            f = by_col.get(c)
            if r > start and r not in labelled and f and kind.field(f).long_number_trap:
                flagged.setdefault(f, set()).add(r)
                problems.add(problem("long_number", file=display, sheet=sheet, row=r,
                                     column=headers[f], value=raw))
    for code, reason in (("summary_rows", "summary"), ("repeated_header", "repeated_header"),
                         ("footer_rows", "footer")):
        listed = dropped.get(reason, [])
        if listed:
            problems.add(problem(code, file=display, sheet=sheet, count=len(listed),
                                 rows="、".join(map(str, listed[:20])) + ("…" if len(listed) > 20 else "")))
    if report is not None:
        title = [r + 1 for r in range(best_row if head.top is None else head.top) if any(col[r].as_py() not in (None, "") for col in grid)]
        report.dropped = {**({"title": title} if title else {}), **dropped}
    if not keep.all():
        idx = pa.array(np.flatnonzero(keep))
        values = {f: pc.take(a, idx) for f, a in values.items()}
        rows = rows[keep]
    return RawTable(display, sheet, rows, values, headers,
                    date1904=bool(xlsx_info and xlsx_info[2]), cells=colno, flagged=flagged)


def _drop_rows(grid, start, values, content, rows, headers):
    """SPEC §8.1 (settle.load.rows): summary rows (a label in ANY column, whatever the other
    cells hold), header rows repeated mid-sheet and footer rows under the data are dropped and
    counted. Returns (rows kept, {reason: Excel rows dropped})."""
    n = len(content)
    if n == 0:
        return content, {}
    summary = summary_mask(grid, start)          # a label in an unmapped column counts too
    repeated = repeated_header_mask(values, headers, n) & content & ~summary
    footer = footer_mask(grid, start, ~content | summary | repeated, list(values.values())) & ~summary
    dropped = {"summary": summary, "repeated_header": repeated, "footer": footer,
               "empty": ~content & ~footer & ~summary}
    keep = content & ~summary & ~repeated & ~footer
    return keep, {reason: [int(r) for r in rows[mask]] for reason, mask in dropped.items() if mask.any()}


def _content_rows(values: dict[str, pa.Array], n: int, blank_is_null: bool = False) -> np.ndarray:
    """Rows that hold anything in a mapped column (summary rows: _drop_summaries).
    `blank_is_null`: the reader already turned whitespace-only cells into nulls (fastexcel)."""
    if n == 0:
        return np.zeros(0, dtype=bool)
    first = None
    for a in values.values():  # dict order is the sheet's column order (header scan order)
        if not blank_is_null and a.null_count < len(a) and pc.any(pc.match_substring_regex(a, r"^\s*$")).as_py():
            # blank-but-not-null cells (CSV, or a sheet read without whitespace_as_null)
            a = pc.if_else(pc.match_substring_regex(a, r"^\s*$"), pa.scalar(None, pa.string()), a)
        first = a if first is None else pc.coalesce(first, a)
        if first.null_count == 0:
            break  # every row has a value by now: later columns change neither test
    return pc.is_valid(first).to_numpy(zero_copy_only=False)


def _apply_merges(values, colno, merged, start, kind: Kind, display, sheet, headers, problems):
    if not merged:
        return values
    by_col = {c: f for f, c in colno.items()}
    filled = {}
    for (r1, c1, r2, c2) in merged:
        if r2 <= start:  # entirely within the title/header area
            continue
        for c in range(c1, c2 + 1):
            fname = by_col.get(c)
            if fname is None:
                continue
            fdef = kind.field(fname)
            rng = f"{col_letter(c1)}{r1}:{col_letter(c2)}{r2}"
            if fdef.merge_forbidden:
                problems.add(problem("merged_cell", file=display, sheet=sheet, row=max(r1, start + 1),
                                     column=headers[fname], range=rng))
            if (fdef.merge_fill or fdef.merge_forbidden) and r2 > r1:  # forbidden: reported once, not as blanks
                col = filled.setdefault(fname, values[fname].to_pylist())
                top = col[r1 - 1 - start] if r1 > start else None
                for r in range(max(r1 + 1, start + 1), r2 + 1):
                    col[r - 1 - start] = top
    for fname, col in filled.items():
        values[fname] = pa.array(col, type=pa.string())
    return values
