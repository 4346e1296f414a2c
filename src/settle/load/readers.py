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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from settle.load.columns import KEY, Kind, alias_index, header_key
from settle.load.quiet import DEBUG_LOG, describe, is_panic, quiet
from settle.problems import MESSAGES, Problems, both, problem, say

HEADER_SEARCH_ROWS = 10
SUMMARY_LABELS = ("合计", "总计", "小计", "本页合计", "本页小计", "累计")  # SPEC §8.1


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


def col_letter(n: int) -> str:
    """1-based column number -> Excel letters."""
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def read_file(path: Path, display: str, kind: Kind, problems: Problems,
              extra_aliases: dict[str, list[str]] | None = None) -> list[RawTable]:
    """Read every visible sheet of `path` that has a header row for `kind`."""
    if path.suffix.lower() == ".csv":
        grid = _read_csv(path, display, problems)
        if grid is None:
            return []
        table = _table_from_grid(grid, display, None, kind, problems, extra_aliases, None)
        if table is None:
            problems.add(problem("no_header", file=display, expected=_expected(kind)))
            return []
        return [table]
    return _read_workbook(path, display, kind, problems, extra_aliases)


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


def _read_workbook(path: Path, display: str, kind: Kind, problems: Problems,
                   extra_aliases) -> list[RawTable]:
    """.xlsx/.xlsm/.xls/.xlsb/.ods: scanned first, then read by calamine (or xlrd for the .xls
    calamine cannot read). Every reader call is guarded: a Rust panic (pyo3's PanicException is
    a BaseException) or any error is a catalogue problem naming the file (SPEC §8.1)."""
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
        return []
    except OSError as exc:  # missing, locked by another program, a network drive gone away
        problems.add(problem("unreadable_file", file=display, reason=_os_reason(exc)))
        return []
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a reader panic, or a bug in a scanner: name the file
        return _failed(problems, display, None, exc)
    if scan.reader == "xlrd":
        load = _xlrd_loader(path)
    else:
        try:
            with quiet():
                reader = fastexcel.read_excel(scan.source)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # calamine's error types vary by format; panics too
            return _failed(problems, display, None, exc)

        def load(sheet):
            loaded = reader.load_sheet(sheet.index, header_row=None, dtypes="string", skip_rows=0,
                                       whitespace_as_null=True)
            batch = loaded.to_arrow()
            return ([batch.column(i) for i in range(batch.num_columns)],
                    [c.absolute_index for c in loaded.available_columns()])
    tables: list[RawTable] = []
    seen_header = False
    for sheet in scan.sheets:
        if not sheet.visible:
            problems.add(problem("hidden_sheet", file=display, sheet=sheet.name))
            continue
        try:
            with quiet():
                grid, absolute = load(sheet)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            _failed(problems, display, sheet.name, exc)
            continue
        if getattr(sheet, "stray_cell", None):
            problems.add(problem("stray_cell", file=display, sheet=sheet.name, cell=sheet.stray_cell))
        table = _table_from_grid(grid, display, sheet.name, kind, problems, extra_aliases,
                                 (sheet, absolute, scan.date1904))
        if table is not None:
            seen_header = True
            tables.append(table)
    if not seen_header and not problems.has_errors_for(display):
        problems.add(problem("no_header", file=display, expected=_expected(kind)))
    return tables


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


def _table_from_grid(grid: list[pa.Array], display: str, sheet: str | None, kind: Kind,
                     problems: Problems, extra_aliases, xlsx_info) -> RawTable | None:
    """Find the header, map columns to fields, apply merges and cell traps, drop empty and
    summary rows. `grid` is a list of whole-sheet columns where row i is Excel row i + 1."""
    if not grid:
        return None
    index = alias_index(kind, extra_aliases)
    nrows = len(grid[0])
    head = min(HEADER_SEARCH_ROWS, nrows)
    best_row, best_map = None, {}
    for r in range(head):
        matched: dict[str, list[int]] = {}
        for c, col in enumerate(grid):
            v = col[r].as_py()
            if v is None:
                continue
            fname = index.get(header_key(v))
            if fname:
                matched.setdefault(fname, []).append(c)
        if len(matched) > len(best_map):
            best_row, best_map = r, matched
    if best_row is None or len(best_map) < 2:
        return None

    absolute = xlsx_info[1] if xlsx_info else list(range(len(grid)))
    headers = {f: str(grid[cs[0]][best_row].as_py()) for f, cs in best_map.items()}
    ok = True
    for fname, cs in best_map.items():
        if len(cs) > 1:
            names = "、".join(f"{col_letter(absolute[c] + 1)}列“{grid[c][best_row].as_py()}”" for c in cs)
            problems.add(problem("duplicate_column", file=display, sheet=sheet, row=best_row + 1,
                                 field=kind.field(fname).display, columns=names))
            ok = False
    for f in kind.fields:
        if f.required and f.name not in best_map:
            problems.add(problem("missing_column", file=display, sheet=sheet, row=best_row + 1,
                                 column=f.display, aliases="、".join(f.aliases)))
            ok = False
    if not ok:
        return RawTable(display, sheet, np.zeros(0, dtype=np.int64), {}, headers)

    start = best_row + 1
    rows = np.arange(start + 1, nrows + 1, dtype=np.int64)  # Excel row numbers
    values = {f: grid[cs[0]].slice(start) for f, cs in best_map.items()}
    colno = {f: absolute[cs[0]] + 1 for f, cs in best_map.items()}

    flagged: dict[str, set] = {}
    if xlsx_info:
        sheet_scan = xlsx_info[0]
        values = _apply_merges(values, colno, sheet_scan.merged, start, kind, display, sheet, headers, problems)
        by_col = {c: f for f, c in colno.items()}
        for (r, c) in sheet_scan.uncached_formulas:
            if r > start and c in by_col:
                flagged.setdefault(by_col[c], set()).add(r)
                problems.add(problem("uncached_formula", file=display, sheet=sheet, row=r,
                                     column=headers[by_col[c]]))
        for (r, c, raw) in sheet_scan.long_numbers:
            f = by_col.get(c)
            if r > start and f and kind.field(f).long_number_trap:
                flagged.setdefault(f, set()).add(r)
                problems.add(problem("long_number", file=display, sheet=sheet, row=r,
                                     column=headers[f], value=raw))

    keep = _content_rows(values, len(rows), blank_is_null=xlsx_info is not None)
    keep = _drop_summaries(grid, start, values, keep, rows, kind, headers, display, sheet, problems)
    if not keep.all():
        idx = pa.array(np.flatnonzero(keep))
        values = {f: pc.take(a, idx) for f, a in values.items()}
        rows = rows[keep]
    return RawTable(display, sheet, rows, values, headers,
                    date1904=bool(xlsx_info and xlsx_info[2]), cells=colno, flagged=flagged)


def _drop_summaries(grid, start, values, keep, rows, kind: Kind, headers, display, sheet, problems) -> np.ndarray:
    """SPEC §8.1: a row whose label (合计, 总计, 小计, 本页合计, 本页小计, 累计, spaces and colons
    removed) stands in ANY column, mapped or not, and whose key fields are empty is a summary
    row: dropped and counted. A header row repeated mid-sheet (paged exports) likewise."""
    n = len(keep)
    if n == 0:
        return keep
    summary = np.zeros(n, dtype=bool)
    for col in grid:
        a = col.slice(start)
        if a.null_count == len(a) or not pc.any(pc.match_substring_regex(a, "[计計]")).as_py():
            continue  # literal pass first: 合计 rows are rare
        label = pc.replace_substring_regex(a, r"[\s\x{3000}:：]", "")
        summary |= pc.fill_null(pc.is_in(label, pa.array(SUMMARY_LABELS)), False).to_numpy(zero_copy_only=False)
    keys = [f.name for f in kind.fields if f.kind == KEY and f.name in values]
    if summary.any() and keys:
        empty = np.ones(n, dtype=bool)
        for f in keys:
            a = pc.utf8_trim_whitespace(values[f])
            empty &= ~pc.fill_null(pc.greater(pc.utf8_length(a), 0), False).to_numpy(zero_copy_only=False)
        summary &= empty
    hits = np.zeros(n, dtype=np.int64)
    for fname, a in values.items():  # the header row again, cell for cell
        if a.null_count < len(a):
            same = pc.equal(pc.utf8_trim_whitespace(a), str(headers[fname]).strip())
            hits += pc.fill_null(same, False).to_numpy(zero_copy_only=False)
    repeated = hits >= min(2, len(values))
    for code, mask in (("summary_rows", summary & keep), ("repeated_header", repeated & keep & ~summary)):
        if mask.any():
            listed = [int(r) for r in rows[mask][:20]]
            problems.add(problem(code, file=display, sheet=sheet, count=int(mask.sum()),
                                 rows="、".join(map(str, listed)) + ("…" if mask.sum() > 20 else "")))
    return keep & ~summary & ~repeated


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
