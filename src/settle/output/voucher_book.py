"""R46 返款单.xlsx: every introducer's voucher in one print-ready workbook (issue 26, SPEC §11).

The first sheet, 目录, lists every voucher (合作单位, 转诊医生, 笔数, 金额, 大额, sheet, page).
The vouchers follow on sheets of at most PER_SHEET vouchers and PER_SHEET printed pages (Excel
keeps about 1 000 manual page breaks per sheet); each voucher starts a printed page, and one
longer than a page breaks inside too, so 目录's page numbers are the pages as they print.

The sheets go through the Rust writer a column at a time, so every column keeps one type (money
as numbers, dates as dates): the column headings are the sheet's first row, repeated at the top
of every printed page, and each voucher's block under them reads its title, 月份 / 合作单位 /
介绍人, its lines, 合计, the total in figures and in 人民币大写 and the signature lines. The Rust
writer has no page breaks: `xlsx.add_row_breaks` writes them into its sheets afterwards.

`settle vouchers MONTH --partner NAME` copies one introducer's block out of the published book
into a workbook of its own (voucher_files.py): what was published is the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np

from settle.output.printing import Page, date_blank, signature_line
from settle.output.render import _zh
from settle.output.words import rmb_figures, words_of

BOOK = "返款单.xlsx"
PER_SHEET = 1000                 # vouchers, and printed pages, per sheet (Excel: ~1 000 manual breaks)
# A fixed scale (Excel ignores manual breaks under fit-to-page). At 80 % with 101 characters of
# columns LibreOffice, whose stand-in for Calibri is wider, put 返款 and 经办业务员 on a page of their
# own: every voucher two pages wide, its printed lines without their rebates. At 70 % the 86
# characters below fit A4 portrait with room to spare in either.
SCALE = 70
PAGE_POINTS = 920.0              # sheet points of rows a page holds (A4 at SCALE: 1 048, less the headings)
ROW, TITLE_ROW, SIGN_ROW = 15.0, 20.0, 24.0
TITLE_ROWS = 3                   # title, 月份/合作单位/介绍人, 保密
TAIL_ROWS = 7                    # 合计, blank, 大写, blank, two signature lines, 日期
HEAD_POINTS = TITLE_ROW + 2 * ROW
TAIL_POINTS = 4 * ROW + 3 * SIGN_ROW
REBATE_COL, AMOUNT_COL = 8, 6


def columns(lang: str) -> list[tuple[str, str]]:
    from settle.output.xlsx import DATE, MONEY, TEXT
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    return [(L("序号", "No."), TEXT), (L("病历号", "Record no"), TEXT), (L("患者", "Patient"), TEXT),
            (L("结算日期", "Settled"), DATE), (L("项目类别", "Category"), TEXT), (L("类别", "Portion"), TEXT),
            (L("金额", "Amount"), MONEY), (L("比例", "Rate"), TEXT), (L("返款", "Rebate"), MONEY),
            (L("经办业务员", "Salesperson"), TEXT)]


WIDTHS = [5, 9, 7, 10, 10, 8, 11, 6, 11, 9]


@dataclass
class Sheet:
    number: int                                  # 1-based, among the voucher sheets
    first: int                                   # index of its first voucher in the month's list
    count: int = 0
    rows: int = 0                                # data rows under the headings
    breaks: list[int] = field(default_factory=list)   # 0-based sheet rows that start a printed page


def _pages(n: int) -> list[int]:
    """Rows (relative to the block) where a voucher of n lines starts a new printed page."""
    if HEAD_POINTS + n * ROW + TAIL_POINTS <= PAGE_POINTS:
        return []
    first = int((PAGE_POINTS - HEAD_POINTS) // ROW)
    per = int(PAGE_POINTS // ROW)
    breaks = list(range(TITLE_ROWS + first, TITLE_ROWS + n, per))
    on_last = n - (breaks[-1] - TITLE_ROWS if breaks else 0)
    room = PAGE_POINTS - (0 if breaks else HEAD_POINTS)
    if on_last * ROW + TAIL_POINTS > room:
        breaks.append(TITLE_ROWS + n)      # 合计 and the signatures on a page of their own
    return breaks


def layout(vs: list) -> list[Sheet]:
    """Place every voucher: its sheet, its block's first row and its first printed page (set on
    the Voucher), and each sheet's page breaks."""
    sheets: list[Sheet] = []
    pages = PER_SHEET
    for i, v in enumerate(vs):
        inner = _pages(v.count)
        if not sheets or sheets[-1].count >= PER_SHEET or pages + 1 + len(inner) > PER_SHEET:
            sheets.append(Sheet(len(sheets) + 1, i))
            pages = 0
        sh = sheets[-1]
        top = 1 + sh.rows                   # row 0 holds the headings
        if sh.count:
            sh.breaks.append(top)
        sh.breaks += [top + b for b in inner]
        v.sheet, v.row, v.page = sh.number, top, pages + 1
        pages += 1 + len(inner)
        sh.count += 1
        sh.rows += TITLE_ROWS + v.count + TAIL_ROWS
    return sheets


def sheet_name(number: int, sheets: int, lang: str) -> str:
    base = _zh(lang, "返款单", "Vouchers")
    return base if sheets == 1 else f"{base}{number}"


def index_name(lang: str) -> str:
    return _zh(lang, "目录", "Index")


def block_texts(s, v, lang: str, page: Page) -> dict[str, str]:
    """The words of one voucher's block (its lines come from the month's voucher table)."""
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    gap, colon = L("　　", "    "), L("：", ": ")
    return {
        "title": f"{page.org} {L('合作单位返款单', 'rebate voucher')}".strip(),
        "who": f"{L('月份', 'Month')}{colon}{s.month}{gap}{L('合作单位', 'Partner')}{colon}{v.partner}{gap}"
               f"{L('介绍人（转诊医生）', 'Introducer')}{colon}{v.referrer or '—'}",
        "note": L("保密：一次性与介绍人本人结算（R46）；仅列本月已结算的疗程（R1）。",
                  "Confidential: settled once with the introducer in person (R46); only courses settled this month (R1)."),
        "total": L("合计", "Total"), "count": L(f"{v.count} 笔", f"{v.count} lines"),
        "words": f"{L('返款合计（大写）', 'Total in words (RMB)')}{colon}{L('人民币', '')}{words_of(v.total, lang)}{gap}"
                 f"{L('（小写）', '(figures)')}{colon}{rmb_figures(v.total)}",
        "sign1": signature_line([L("经办业务员", "Salesperson"), L("经治医生", "Treating doctor")], lang=lang),
        "sign2": signature_line([L("院领导审批", "Approved (hospital)"), L("领款人", "Received by")], lang=lang),
        "date": f"{L('日期', 'Date')}{colon}{date_blank(lang)}",
    }


# Where each text sits in a block: (key, row offset from the block's top or -k from its end, column).
PLACES = [("title", 0, 0), ("who", 1, 0), ("note", 2, 0), ("total", -7, 0), ("count", -7, 1),
          ("words", -5, 0), ("sign1", -3, 0), ("sign2", -2, 0), ("date", -1, 0)]


def _column(n_rows: int, line_pos: np.ndarray, lines, extra_pos: list, extra):
    """One sheet column: the voucher lines at their rows, the block texts (or totals) at theirs,
    nulls elsewhere — one Arrow take, no per-cell Python."""
    import pyarrow as pa

    idx = np.full(n_rows, -1, dtype=np.int64)
    idx[line_pos] = np.arange(len(line_pos))
    parts = [lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines]
    if len(extra_pos):
        idx[np.asarray(extra_pos, dtype=np.int64)] = len(line_pos) + np.arange(len(extra_pos))
        parts.append(pa.array(extra, type=parts[0].type))
    values = pa.concat_arrays(parts) if len(parts) > 1 else parts[0]
    return values.take(pa.array(idx, mask=idx < 0))


def sheet_table(s, vs: list, sh: Sheet, lang: str, page: Page):
    """The Arrow table of one voucher sheet (data rows; the headings are its column names)."""
    import pyarrow as pa

    from settle.output.english import english_arrow

    cols = columns(lang)
    mine = vs[sh.first:sh.first + sh.count]
    lo, hi = mine[0].start, mine[-1].start + mine[-1].count
    lines = s.voucher_rows.slice(lo, hi - lo)
    counts = np.array([v.count for v in mine], dtype=np.int64)
    tops = np.array([v.row - 1 for v in mine], dtype=np.int64)         # data rows (row 0: headings)
    offsets = np.cumsum(counts) - counts
    line_pos = np.repeat(tops + TITLE_ROWS - offsets, counts) + np.arange(len(lines))
    texts: dict[int, tuple[list, list]] = {0: ([], []), 1: ([], [])}
    amounts: tuple[list, list] = ([], [])
    totals: tuple[list, list] = ([], [])
    for v, top in zip(mine, tops.tolist()):
        words = block_texts(s, v, lang, page)
        end = top + TITLE_ROWS + v.count + TAIL_ROWS
        for key, at, col in PLACES:
            texts[col][0].append(top + at if at >= 0 else end + at)
            texts[col][1].append(words[key])
        amounts[0].append(end - 7)
        amounts[1].append(float(v.amount))
        totals[0].append(end - 7)
        totals[1].append(float(v.total))
    arrays = []
    for i, name in enumerate(lines.column_names):
        col = lines.column(name)
        if lang != "zh" and name in ("portion", "rate"):
            col = english_arrow(col)
        extra = texts.get(i) or (amounts if i == AMOUNT_COL else totals if i == REBATE_COL else ([], []))
        arrays.append(_column(sh.rows, line_pos, col, *extra))
    return pa.Table.from_arrays(arrays, names=[h for h, _ in cols]), line_pos


def index_table(s, vs: list, sheets: list[Sheet], lang: str):
    """目录: one row per voucher, then 合计."""
    import pyarrow as pa

    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    large = large_partners(s)
    names = [sheet_name(v.sheet, len(sheets), lang) for v in vs]
    yes = L("是", "yes")
    total = sum((v.total for v in vs), Decimal(0))
    cols = index_columns(lang)
    data = [[v.partner for v in vs] + [L("合计", "Total")],
            [v.referrer or None for v in vs] + [L(f"{len(vs)} 张返款单", f"{len(vs)} vouchers")],
            [v.count for v in vs] + [sum(v.count for v in vs)], [float(v.total) for v in vs] + [float(total)],
            [yes if v.partner in large else None for v in vs] + [None], names + [None],
            [v.page for v in vs] + [None]]
    types = [pa.string(), pa.string(), pa.int64(), pa.float64(), pa.string(), pa.string(), pa.int64()]
    return pa.Table.from_arrays([pa.array(d, type=t) for d, t in zip(data, types)], names=[h for h, _ in cols])


def index_columns(lang: str) -> list[tuple[str, str]]:
    from settle.output.xlsx import INT, MONEY, TEXT
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    return [(L("合作单位", "Partner"), TEXT), (L("转诊医生", "Introducer"), TEXT), (L("笔数", "Lines"), INT),
            (L("金额", "Amount"), MONEY), (L("大额", "Large"), TEXT), (L("工作表", "Sheet"), TEXT),
            (L("页", "Page"), INT)]


def large_partners(s) -> set[str]:
    """R17: the partners whose month total reaches 大额返款."""
    threshold = s.policy.large_rebate_threshold
    totals = s.rebate_totals
    if threshold is None or not len(totals):
        return set()
    return {t.partner for t in totals.itertuples() if t.total >= threshold}


def write_voucher_book(path: Path, s, lang: str = "zh", page: Page | None = None) -> None:
    """返款单.xlsx: 目录, then the voucher sheets (see the module's docstring)."""
    import rustpy_xlsxwriter as rx

    from settle.output.vouchers import vouchers
    from settle.output.xlsx import MONEY_FORMAT, add_row_breaks, rust_errors

    page = page or Page()
    vs = vouchers(s)
    sheets = layout(vs)
    money = rx.Format().set_num_format(MONEY_FORMAT)
    head = rx.Format().set_bold().set_background_color("#DDEBF7").set_border("thin")
    title = rx.Format().set_bold().set_font_size(13)   # left: centred across an empty row LibreOffice clipped it at the page edge
    bold = rx.Format().set_bold()
    words = rx.Format().set_bold().set_font_size(12)
    sign = rx.Format().set_font_size(12)
    grid = rx.Format().set_border("thin").set_border_color("#808080")
    total = rx.Format().set_bold().set_border_top("thin")
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    from settle.output.printing import footer
    header = page.header(f"{s.month} {L('返款单', 'rebate voucher')}", L("保密", "confidential"))
    index = index_name(lang)
    icols = index_columns(lang)
    entries = [(index, index_table(s, vs, sheets, lang))]
    formats = {index: {icols[3][0]: money}}
    widths = {index: [28, 12, 8, 14, 6, 12, 6]}
    pages = {index: {"paper_size": 9, "fit_to_pages": (1, 0), "repeat_rows": 0, "center_horizontally": True,
                     "header": page.header(f"{s.month} {L('返款单目录', 'vouchers: index')}", L("保密", "confidential")),
                     "footer": footer(lang)}}
    row_formats, heights, breaks = {index: {len(vs) + 1: total}}, {}, {}
    cols = columns(lang)
    for sh in sheets:
        name = sheet_name(sh.number, len(sheets), lang)
        table, line_pos = sheet_table(s, vs, sh, lang, page)
        entries.append((name, table))
        formats[name] = {cols[AMOUNT_COL][0]: money, cols[REBATE_COL][0]: money}
        widths[name] = WIDTHS
        pages[name] = {"paper_size": 9, "scale": SCALE, "repeat_rows": 0, "center_horizontally": True,
                       "margins": {"left": 0.5, "right": 0.5, "top": 0.75, "bottom": 0.75, "header": 0.3,
                                   "footer": 0.3}, "header": header, "footer": footer(lang)}
        rf = dict.fromkeys((line_pos + 1).tolist(), grid)
        hs = {}
        for v in vs[sh.first:sh.first + sh.count]:
            end = v.row + TITLE_ROWS + v.count + TAIL_ROWS
            rf.update({v.row: title, v.row + 1: bold, end - 7: total, end - 5: words, end - 3: sign, end - 2: sign,
                       end - 1: sign})
            hs.update({v.row: TITLE_ROW, end - 3: SIGN_ROW, end - 2: SIGN_ROW, end - 1: SIGN_ROW})
        row_formats[name], heights[name] = rf, hs
        breaks[len(entries)] = sh.breaks
    import io
    buffer = io.BytesIO()
    with rust_errors(path):
        rx.write_worksheets(entries, buffer, freeze_panes={"general": {"row": 1, "col": 0}}, column_formats=formats,
                            column_widths=widths, page_setup=pages, header_format={n: head for n, _ in entries},
                            row_formats=row_formats, row_heights=heights, datetime_format="yyyy-mm-dd")
        add_row_breaks(buffer, path, breaks)


def book_records(s) -> list[dict]:
    """settlement.json's "vouchers" for the book: where each voucher is, its lines and total."""
    from settle.output.vouchers import vouchers
    vs = vouchers(s)
    layout(vs)
    large = large_partners(s)
    return [{"partner": v.partner, "referrer": v.referrer, "lines": v.count, "total": str(v.total),
             "large": v.partner in large, "sheet": v.sheet, "row": v.row + 1, "page": v.page} for v in vs]
