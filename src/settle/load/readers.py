"""Reading one input file into raw text columns that remember where every value came from.

Workbooks are scanned first (settle.load.scan: bombs, encryption, stray cells, merges, formulas
without cached values, long numbers) and then loaded once, whole, by fastexcel with every
column as text; CSV files are decoded as UTF-8 (with or without BOM) or GBK/GB18030. The header
row is found among the first 10 rows by matching the kind's aliases. Row numbers are Excel's
(1-based, as the clerk sees them) and travel with every value.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from settle.load.columns import Kind, alias_index, header_key
from settle.problems import Problems, problem

HEADER_SEARCH_ROWS = 10
SUMMARY_LABELS = ("合计", "总计", "小计")


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
        problems.add(problem("unreadable_file", file=display, reason=f"无法打开 / cannot open: {exc.strerror or exc}"))
        return None
    if not data.strip():
        problems.add(problem("unreadable_file", file=display, reason="空文件 / empty file"))
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
        problems.add(problem("unreadable_file", file=display, reason=str(exc).splitlines()[0][:200]))
        return None
    return [pa.array(frame[c].to_numpy(), type=pa.string()) for c in frame.columns]


def _read_workbook(path: Path, display: str, kind: Kind, problems: Problems,
                   extra_aliases) -> list[RawTable]:
    import fastexcel

    from settle.load.scan import UnreadableWorkbook, scan_workbook

    try:
        scan = scan_workbook(path)
    except UnreadableWorkbook as exc:
        problems.add(problem("unreadable_file", file=display, reason=_unreadable_reason(exc)))
        return []
    except OSError as exc:  # missing, locked by another program, a network drive gone away
        problems.add(problem("unreadable_file", file=display, reason=f"无法打开 / cannot open: {exc.strerror or exc}"))
        return []
    try:
        reader = fastexcel.read_excel(scan.source)
    except Exception as exc:  # calamine's error types vary by format
        problems.add(problem("unreadable_file", file=display, reason=str(exc).splitlines()[0][:200]))
        return []
    tables: list[RawTable] = []
    seen_header = False
    for sheet in scan.sheets:
        if not sheet.visible:
            problems.add(problem("hidden_sheet", file=display, sheet=sheet.name))
            continue
        try:
            loaded = reader.load_sheet(sheet.index, header_row=None, dtypes="string", skip_rows=0,
                                       whitespace_as_null=True)
            batch = loaded.to_arrow()
            absolute = [c.absolute_index for c in loaded.available_columns()]
        except Exception as exc:
            problems.add(problem("unreadable_file", file=display, sheet=sheet.name,
                                 reason=str(exc).splitlines()[0][:200]))
            continue
        if getattr(sheet, "stray_cell", None):
            problems.add(problem("stray_cell", file=display, sheet=sheet.name, cell=sheet.stray_cell))
        grid = [batch.column(i) for i in range(batch.num_columns)]
        table = _table_from_grid(grid, display, sheet.name, kind, problems, extra_aliases,
                                 (sheet, absolute, scan.date1904))
        if table is not None:
            seen_header = True
            tables.append(table)
    if not seen_header and not problems.has_errors_for(display):
        problems.add(problem("no_header", file=display, expected=_expected(kind)))
    return tables


def _unreadable_reason(exc) -> str:
    reasons = {
        "empty": "空文件",
        "not_excel": "文件内容不是 Excel 工作簿",
        "truncated": "文件已损坏或不完整",
        "encrypted": "文件已加密（设置了打开密码），请去掉密码后另存",
        "xml_entities": "文件含有 XML 实体声明，可能是恶意文件，已拒绝",
        "zip_bomb": "文件解压后异常巨大，可能是恶意文件，已拒绝",
        "too_wide": "工作表范围异常巨大",
    }
    code = getattr(exc, "code", "")
    return f"{reasons.get(code, code)} ({getattr(exc, 'detail', '')})"


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
    if not keep.all():
        idx = pa.array(np.flatnonzero(keep))
        values = {f: pc.take(a, idx) for f, a in values.items()}
        rows = rows[keep]
    return RawTable(display, sheet, rows, values, headers,
                    date1904=bool(xlsx_info and xlsx_info[2]), cells=colno, flagged=flagged)


def _content_rows(values: dict[str, pa.Array], n: int, blank_is_null: bool = False) -> np.ndarray:
    """Rows that hold anything in a mapped column and are not 合计/总计/小计 rows.
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
    nonempty = pc.is_valid(first).to_numpy(zero_copy_only=False)
    if not pc.any(pc.match_substring(first, "计")).as_py():  # literal pass first: 合计 rows are rare
        return nonempty
    label = pc.replace_substring_regex(first, r"[\s\x{3000}:：]", "")
    summary = pc.fill_null(pc.is_in(label, pa.array(SUMMARY_LABELS)), False).to_numpy(zero_copy_only=False)
    return nonempty & ~summary


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
