"""One introducer's voucher as a file of its own, and `verify` of 返款单.xlsx (R46, issue 26).

`settle vouchers MONTH --partner NAME` reads the voucher's block out of the month's published
返款单.xlsx (the record: the same figures, words and masking as printed) and writes it as
`返款单_<合作单位>[_<转诊医生>].xlsx`, laid out as a single voucher (title above the headings),
into output/返款单/MONTH/; a month settled before the book copies its file from 返款单/.

`check_voucher_book` compares the book with settlement.json: 目录's rows, and in each voucher's
block the number of lines, the 合计, the sum of the printed lines and the 大写.
"""

from __future__ import annotations

import os
import shutil
import unicodedata
from decimal import Decimal
from pathlib import Path

from settle.output.checks import Difference, cell, money
from settle.output.voucher_book import BOOK, REBATE_COL, TAIL_ROWS, TITLE_ROWS, WIDTHS, columns
from settle.output.words import rmb_words, rmb_words_en

SEND_DIR = "返款单"              # output/返款单/MONTH/: the files `settle vouchers` writes for sending


def _rows(path: Path) -> list[tuple[str, list[tuple]]]:
    """Every sheet of the book as (name, rows of values); fastexcel reads it (calamine), every
    cell as text — a money cell "180" or "49.99" reads back to the fen through checks.money."""
    import fastexcel

    reader = fastexcel.read_excel(str(path))
    out = []
    for name in reader.sheet_names:
        sheet = reader.load_sheet(name, header_row=None, dtypes="string").to_arrow()
        cols = [sheet.column(i).to_pylist() for i in range(sheet.num_columns)]
        out.append((name, list(zip(*cols)) if cols else []))
    return out


def _norm(value) -> str:
    return unicodedata.normalize("NFC", "" if value is None else str(value)).strip()


def check_voucher_book(folder: Path, settlement: dict) -> list[Difference]:
    """返款单.xlsx against the record: every voucher listed in 目录 where the record puts it,
    its block's lines, 合计 = the sum of its printed lines = the recorded total, its 大写."""
    path = Path(folder) / BOOK
    recorded = settlement.get("vouchers", [])
    if not path.exists():
        return [Difference(BOOK, "present", "missing")]
    try:
        sheets = _rows(path)
    except Exception as exc:  # noqa: BLE001 - a damaged workbook is a difference, not a crash
        return [Difference(BOOK, "", f"unreadable: {exc}")]
    out: list[Difference] = []
    index_name, index = sheets[0]
    body = index[1:1 + len(recorded)]
    for i, v in enumerate(recorded):
        r = body[i] if i < len(body) else (None,) * 7
        got = (_norm(r[0]), _norm(r[1]), _int(r[2]), money(r[3]), _int(r[6]))
        want = (v["partner"], v["referrer"], v["lines"], Decimal(v["total"]), v["page"])
        if got != want:
            show = lambda t: " ".join("" if x is None else str(x) for x in t)  # noqa: E731
            out.append(Difference(f"{BOOK} › {index_name} › {cell(i + 1, 0)}", show(want), show(got)))
    if len(index) - 2 != len(recorded):     # headings and 合计 besides the vouchers
        out.append(Difference(f"{BOOK} › {index_name}", str(len(recorded)), str(max(0, len(index) - 2))))
    for v in recorded:
        out += _check_block(sheets, v)
    return out


def _int(value):
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _check_block(sheets, v: dict) -> list[Difference]:
    if v["sheet"] >= len(sheets):
        return [Difference(f"{BOOK} › {v['sheet']}", f"{v['partner']} {v['referrer']}", "missing")]
    name, rows = sheets[v["sheet"]]
    top, n = v["row"] - 1, int(v["lines"])
    where = f"{BOOK} › {name} › {cell(top, 0)}"
    block = rows[top:top + TITLE_ROWS + n + TAIL_ROWS]
    if len(block) < TITLE_ROWS + n + TAIL_ROWS or v["partner"] not in _norm(block[1][0]):
        return [Difference(where, f"{v['partner']} {v['referrer']}", "missing")]
    lines = block[TITLE_ROWS:TITLE_ROWS + n]
    total_row = block[TITLE_ROWS + n]
    if any(r[0] is None for r in lines) or total_row[0] is None or total_row[1] is None:
        return [Difference(where, f"{n} lines", str(sum(1 for r in lines if r[0] is not None)))]
    out = []
    total = Decimal(v["total"])
    found = money(total_row[REBATE_COL])
    if found != total:
        out.append(Difference(f"{BOOK} › {name} › {cell(top + TITLE_ROWS + n, REBATE_COL)}", v["total"], str(found)))
    lines_sum = sum((money(r[REBATE_COL]) or Decimal(0) for r in lines), Decimal(0))
    if lines_sum != total:
        out.append(Difference(where, v["total"], f"lines add up to {lines_sum}"))
    words = _norm(block[TITLE_ROWS + n + 2][0])
    if rmb_words(total) not in words and rmb_words_en(total) not in words:
        out.append(Difference(where, rmb_words(total), "大写 missing"))
    return out


# --- one voucher as a file of its own -------------------------------------------------------------

def matching(recorded: list[dict], name: str) -> list[dict]:
    """The recorded vouchers NAME names: a 合作单位 (each of its introducers), 合作单位/转诊医生,
    合作单位_转诊医生 or a voucher's file name."""
    want = _norm(name).removesuffix(".xlsx").removeprefix("返款单_")
    out = []
    for v in recorded:
        p, r = v["partner"], v["referrer"]
        forms = {p, f"{p}/{r}", f"{p}_{r}", f"{p} {r}", (v.get("file") or "").removesuffix(".xlsx")}
        if want in {_norm(f) for f in forms if f}:
            out.append(v)
    return out


def send_name(v: dict) -> str:
    from settle.output.privacy import safe_filename
    return f"返款单_{safe_filename(v['partner'], v['referrer'])}.xlsx"


def write_voucher_file(folder: Path, record: dict, v: dict, target: Path) -> Path:
    """Write voucher `v` of the month recorded in `folder` to `target`/返款单_….xlsx."""
    target.mkdir(parents=True, exist_ok=True)
    path = target / send_name(v)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if "file" in v:      # settled before the book: its own file is the record
            shutil.copyfile(Path(folder) / "返款单" / v["file"], tmp)
        else:
            _write_block(Path(folder) / BOOK, record, v, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _write_block(book: Path, record: dict, v: dict, path: Path) -> None:
    import openpyxl

    from settle.output.printing import Page
    from settle.output.xlsx import Table, frame_of, write_book

    lang = record.get("lang", "zh")
    wb = openpyxl.load_workbook(book, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[v["sheet"]]
        heads = next(ws.iter_rows(min_row=1, max_row=1, values_only=True))
        n = int(v["lines"])
        block = list(ws.iter_rows(min_row=v["row"], max_row=v["row"] + TITLE_ROWS + n + TAIL_ROWS - 1,
                                  values_only=True))
    finally:
        wb.close()
    cols = [(h, kind) for h, (_, kind) in zip(heads, columns(lang))]
    title = [str(block[i][0]) for i in range(TITLE_ROWS)]
    tail = block[TITLE_ROWS + n:]
    below = [(tail[2][0], "bold"), ("", "plain"), (tail[4][0], "sign"), (tail[5][0], "sign"), (tail[6][0], "sign")]
    suffix = " 合作单位返款单" if lang == "zh" else " rebate voucher"
    org = title[0][:-len(suffix)] if title[0].endswith(suffix) else ""
    word = "返款单" if lang == "zh" else "rebate voucher"
    table = Table("返款单" if lang == "zh" else "Voucher", cols,
                  frame_of([list(r) for r in block[TITLE_ROWS:TITLE_ROWS + n]], cols), title=title,
                  total=list(tail[0]), below=below, widths=dict(enumerate(WIDTHS)), grid=True,
                  header=Page(org, "").header(f"{record['month']} {word}", "保密" if lang == "zh" else "confidential"),
                  lang=lang)
    write_book(path, [table], fast=False)
