"""Which rows of a sheet are not data (SPEC §8.1): summary rows anywhere, header rows repeated
mid-sheet, footer rows under the last data row, empty rows.

A summary row is recognised by ONE cell in any column, mapped or not, whose text without
spaces and a trailing colon is an optional 本页/本月/本期/本年/总/全部, then 合计/总计/小计/累计,
then an optional 金额/数/数量. The row's other cells may hold anything — totals, and counts
like "20 笔" or "共 20 条" in key columns — the label alone decides. A footer row lies below
the last data row and holds only labels such as 制表人：…, 打印时间：… or 批准：…, or, in its mapped
columns, only such labels and filling instructions (填表说明, 1、…, 注：…, "红色为必填项").
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SUMMARY_RE = r"^(?:本页|本月|本期|本年|总|全部)?(?:合计|总计|小计|累计|合計|總計|小計|累計)(?:金额|数|数量|金額|數|數量)?$"
_SPACES_COLON = r"[\s\x{3000}\x{a0}]|[:：]$"
FOOTER_LABELS = ("制表人", "制表", "制单", "打印时间", "打印人", "打印日期", "审核人", "审核", "复核",
                 "经办人", "经办", "签字", "负责人", "日期",
                 # read2 (the payroll and HIS exports of the real-world corpus)
                 "批准人", "批准", "审批人", "审批", "编制单位", "填报单位", "所属月份", "备注", "说明", "注")
_FOOTER = re.compile(r"^\s*(?:" + "|".join(FOOTER_LABELS) + r")\s*[:：]")
# Filling instructions a template leaves under its data: a numbered item ("1、…", "2. …"), a
# 填表说明/填写说明 heading, or text telling how to fill a column (必填, 必须, 填写 …).
_INSTRUCTION = re.compile(r"^\s*(?:\d{1,2}\s*[、．]|\d{1,2}\.\s*\D|(?:填表|填写|填报)说明)"
                          r"|必填|必须|填写|请填|不填|格式|例如|比如")
FOOTER_SCAN_LIMIT = 2000   # rows looked at upwards from the bottom of a sheet

# Why a row below the header is not a line: the reasons `settle inspect` counts (and title rows,
# above the header).
REASONS = ("title", "summary", "footer", "repeated_header", "empty")


def summary_mask(grid: list[pa.Array], start: int) -> np.ndarray:
    """Rows (from `start`) holding a summary label in any column."""
    n = len(grid[0]) - start if grid else 0
    summary = np.zeros(max(n, 0), dtype=bool)
    for col in grid:
        a = col.slice(start)
        if a.null_count == len(a) or not pc.any(pc.match_substring_regex(a, "[计計]")).as_py():
            continue  # literal pass first: summary rows are rare
        label = pc.replace_substring_regex(pc.utf8_trim_whitespace(a), _SPACES_COLON, "")
        hit = pc.match_substring_regex(label, SUMMARY_RE)
        summary |= pc.fill_null(hit, False).to_numpy(zero_copy_only=False)
    return summary


def repeated_header_mask(values: dict[str, pa.Array], headers: dict[str, str], n: int) -> np.ndarray:
    """Rows that repeat the header row, cell for cell, in at least two mapped columns."""
    hits = np.zeros(n, dtype=np.int64)
    for fname, a in values.items():
        if a.null_count < len(a):
            same = pc.equal(pc.utf8_trim_whitespace(a), str(headers[fname]).strip())
            hits += pc.fill_null(same, False).to_numpy(zero_copy_only=False)
    return hits >= min(2, len(values))


def _is_footer_text(v) -> bool:
    return bool(_FOOTER.match(str(v)) or _INSTRUCTION.search(str(v)))


def footer_mask(grid: list[pa.Array], start: int, not_data: np.ndarray,
                mapped: list[pa.Array] | None = None) -> np.ndarray:
    """Rows below the last data row that are not lines: rows whose non-empty cells (any column)
    are all footer labels (制表人：…), and instruction rows — every non-empty cell of a MAPPED
    column (`mapped`, aligned with the rows) is a footer label or filling-instruction text, the
    unmapped columns holding anything (a template's lists of choices beside its notes).
    `not_data`: rows already known not to be lines (empty, summary, repeated header) — they may
    stand between the data and the footer."""
    n = len(not_data)
    footer = np.zeros(n, dtype=bool)
    for i in range(n - 1, max(n - 1 - FOOTER_SCAN_LIMIT, -1), -1):
        cells = [v for v in (col[start + i].as_py() for col in grid) if v is not None and str(v).strip()]
        own = [v for v in (col[i].as_py() for col in mapped or ()) if v is not None and str(v).strip()]
        if cells and all(_FOOTER.match(str(v)) for v in cells):
            footer[i] = True
        elif own and all(_is_footer_text(v) for v in own):
            footer[i] = True
        elif not (not_data[i] or not cells):
            break   # the last data row
    return footer
