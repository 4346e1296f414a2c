"""Rebates in confidence (R46, SPEC §7/§11): one printable voucher per introducer (all of them
in 返款单.xlsx, voucher_book.py) and the finance workbook 返款汇总.xlsx; 部门汇总 keeps only the
rebate total (in 核对).

An introducer is the 合作单位 with its 转诊医生 when the owning registration names one (seed 003:
一次性与介绍人本人结算). Only lines counting under R1 are on a voucher — a course still 疗程中 is
paid in the month it settles — because the rebates are computed on MONTH's counting lines only.
A voucher's total is the sum of its printed (rounded) lines, so it adds up on paper; 返款明细
keeps each partner's total rounded once from the exact sum (R17 and settlement.json read it).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from settle.engine.money import U, r2
from settle.engine.model import Settlement
from settle.output.checks import Difference, cell, money, sheet_rows, unreadable
from settle.output.english import english_arrow
from settle.output.printing import Page
from settle.output.privacy import safe_filename
from settle.output.render import _arrow, _masked_keys_arrow, _masked_names_arrow, _round_div, _sources_arrow, _zh
from settle.output.words import rmb_words, rmb_words_en
from settle.output.xlsx import DATE, INT, MONEY, SMALL_ROWS, TEXT, Table, frame_of, write_book

VOUCHER_DIR = "返款单"           # months settled before 返款单.xlsx: one file per introducer (still verified)
SUMMARY_FILE = "返款汇总.xlsx"
VOUCHER_TITLE_LINES = 3          # the voucher's header row is row 5 (0-based 4)
VOUCHER_REBATE_COL = 8           # 返款


@dataclass
class Voucher:
    partner: str
    referrer: str
    file: str                    # <合作单位>[_<转诊医生>].xlsx, safe and never shared (settle vouchers: 返款单_<file>)
    start: int                   # its rows in the month's voucher table (see `vouchers`)
    count: int
    amount_fen: int              # sum of 金额
    total_fen: int               # sum of the rounded lines
    sheet: int = 0               # where 返款单.xlsx prints it (voucher_book.layout): sheet number,
    row: int = 0                 # the 0-based row its block starts on,
    page: int = 0                # and its first printed page in that sheet

    @property
    def total(self) -> Decimal:
        return (Decimal(self.total_fen) / 100).quantize(Decimal("0.01"))

    @property
    def amount(self) -> Decimal:
        return (Decimal(self.amount_fen) / 100).quantize(Decimal("0.01"))


def vouchers(s: Settlement) -> list[Voucher]:
    """One voucher per introducer (合作单位, 转诊医生), sorted by both, each one's lines by
    结算日期 and source order; file names are safe as the payslips' are (SPEC §8) and never
    shared (a clash gets _2, _3…). The rows of every voucher are built in one vectorised pass
    (a group month has hundreds of introducers) and each voucher slices them."""
    if s.voucher_list is not None:
        return s.voucher_list
    rb = s.rebates
    out: list[Voucher] = []
    s.voucher_rows = None
    if len(rb):
        ref = rb["referrer"].astype(object).where(rb["referrer"].notna(), "") if "referrer" in rb else \
            pd.Series("", index=rb.index, dtype=object)
        keys = pd.DataFrame({"p": rb["partner"].astype(object).to_numpy(), "r": ref.to_numpy(),
                             "d": rb["settled_on"].to_numpy(), "f": rb["src_file"].astype(object).to_numpy(),
                             "n": rb["src_row"].to_numpy()})
        order = keys.sort_values(["p", "r", "d", "f", "n"], kind="stable").index.to_numpy()
        g = rb[list(_VOUCHER_FIELDS)].iloc[order].reset_index(drop=True)   # only what a voucher prints (issue 26.3)
        partner, referrer = keys["p"].to_numpy()[order], keys["r"].to_numpy()[order]
        change = np.r_[True, (partner[1:] != partner[:-1]) | (referrer[1:] != referrer[:-1])]
        starts = np.flatnonzero(change)
        counts = np.diff(np.r_[starts, len(g)])
        fen = _round_div(g["rebate_u"].to_numpy(dtype=np.int64), U)
        totals = np.add.reduceat(fen, starts)
        amounts = np.add.reduceat(g["amount_fen"].to_numpy(dtype=np.int64), starts)
        s.voucher_rows = _voucher_arrow(s, g, fen, np.arange(len(g)) - np.repeat(starts, counts) + 1)
        used: set[str] = set()
        for a, n, amount, total in zip(starts.tolist(), counts.tolist(), amounts.tolist(), totals.tolist()):
            p, r = str(partner[a]), str(referrer[a])
            stem = safe_filename(p, r)
            name, k = stem, 1
            while name.casefold() in used:
                k += 1
                name = f"{stem}_{k}"
            used.add(name.casefold())
            out.append(Voucher(p, r, name + ".xlsx", a, n, int(amount), int(total)))
    s.voucher_list = out
    return out


_VOUCHER_FIELDS = ("rebate_u", "amount_fen", "owner_staff", "network_staff", "record_no", "patient_name", "settled_on",
                   "category", "portion", "rate")


def _voucher_arrow(s: Settlement, g: pd.DataFrame, fen: np.ndarray, seq: np.ndarray):
    """Every voucher line of the month as one Arrow table, columns in voucher order."""
    import pyarrow as pa

    names = s.staff.set_index("staff_id")["name"].to_dict()
    who = g["owner_staff"].where(g["owner_staff"].notna(), g["network_staff"]).astype(object).to_numpy()
    codes, uniq = pd.factorize(who)
    who_names = pa.array([names.get(w, "") for w in uniq] + [""], type=pa.string()).take(
        pa.array(np.where(codes < 0, len(uniq), codes)))
    text = lambda col: pa.array(g[col].astype("string[pyarrow]"), type=pa.string(), from_pandas=True)  # noqa: E731
    return pa.table({
        "seq": pa.array(seq.astype(str), type=pa.string()), "record_no": text("record_no"),
        "patient": _masked_names_arrow(text("patient_name")),
        "settled_on": pa.array(g["settled_on"].to_numpy(dtype="datetime64[ns]")),
        "category": text("category"), "portion": text("portion"),
        "amount": pa.array(g["amount_fen"].to_numpy(dtype=np.int64) / 100), "rate": text("rate"),
        "rebate": pa.array(fen / 100), "who": who_names})


def introducer_table(s: Settlement, lang: str, page: Page | None = None) -> Table:
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    page = page or Page()
    vs = vouchers(s)
    cols = [(L("合作单位", "Partner"), TEXT), (L("介绍人（转诊医生）", "Introducer"), TEXT), (L("笔数", "Lines"), INT),
            (L("返款合计", "Rebate total"), MONEY), (L("返款单", "Voucher"), TEXT)]
    from settle.output.voucher_book import layout, sheet_name
    sheets = layout(vs)
    at = lambda v: f"{sheet_name(v.sheet, len(sheets), lang)} › {L('第 ', 'page ')}{v.page}{L(' 页', '')}"  # noqa: E731
    rows = [(v.partner, v.referrer or None, v.count, v.total, at(v)) for v in vs]
    total = (L("合计", "Total"), L(f"{len(vs)} 张返款单", f"{len(vs)} vouchers"), sum(v.count for v in vs),
             sum((v.total for v in vs), Decimal(0)), None)
    return Table(L("按介绍人", "By introducer"), cols, frame_of(rows, cols), total=total,
                 header=page.header(f"{s.month} {L('返款汇总（保密）', 'rebates (confidential)')}"), lang=lang)


def rebate_lines_table(s: Settlement, lang: str) -> Table:
    """返款明细: every 返款 row grouped by partner with its 小计 (moved from 部门汇总, R46)."""
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    rb = s.rebates
    cols = [(L("合作单位", "Partner"), TEXT), (L("类别", "Portion"), TEXT), (L("规则", "Rule"), TEXT),
            (L("病历号", "Record no"), TEXT), (L("患者姓名", "Patient"), TEXT), (L("患者标识", "Patient key"), TEXT),
            (L("结算日期", "Settled"), DATE), (L("项目类别", "Category"), TEXT), (L("金额", "Amount"), MONEY),
            (L("比例", "Rate"), TEXT), (L("返款", "Rebate"), MONEY), (L("业务员", "Salesperson"), TEXT),
            (L("来源", "Source"), TEXT)]
    names = s.staff.set_index("staff_id")["name"].to_dict()
    totals = s.rebate_totals
    grand = r2(sum(totals["total"], Decimal(0))) if len(totals) else Decimal("0.00")
    if len(rb):
        frame = _rebate_arrow(rb, totals, names, [h for h, _ in cols], L("小计", "subtotal"), lang)
        if len(rb) <= SMALL_ROWS:
            frame = frame.to_pandas()
    else:
        frame = frame_of([], cols)
    total = [L("合计", "Total"), None, None, None, None, None, None, None, None, None, grand, None, None]
    return Table(L("返款明细", "Rebate lines"), cols, frame, total=total, landscape=True,
                 header=f"&C{s.month} {L('返款（按合作单位，每家合计按精确值四舍五入）', 'rebates by partner')}",
                 lang=lang)


def _rebate_arrow(rb: pd.DataFrame, totals: pd.DataFrame, names: dict, headers: list, subtotal: str,
                  lang: str = "zh"):
    """The 返款 rows as one Arrow table: each partner's lines, then its 小计 row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    who = rb["owner_staff"].where(rb["owner_staff"].notna(), rb["network_staff"]).astype(object).to_numpy()
    wcodes, wuniq = pd.factorize(who)
    who_text = pa.array([f"{w} {names.get(w, '')}" for w in wuniq] + [""], type=pa.string()).take(
        pa.array(np.where(wcodes < 0, len(wuniq), wcodes)))
    text = lambda col: pc.cast(_arrow(rb[col].astype("string[pyarrow]")), pa.string())  # noqa: E731
    partners = list(totals["partner"])
    order = {p: i for i, p in enumerate(partners)}
    key = rb["partner"].astype(object).map(order).to_numpy(dtype=np.int64) * 2
    lines = pa.table({
        headers[0]: text("partner"), headers[1]: text("portion") if lang == "zh" else english_arrow(text("portion")),
        headers[2]: text("rule"),
        headers[3]: text("record_no"), headers[4]: _masked_names_arrow(text("patient_name")),
        headers[5]: _masked_keys_arrow(text("patient_key")),
        headers[6]: pa.array(rb["settled_on"].to_numpy(dtype="datetime64[ns]")),
        headers[7]: text("category"), headers[8]: pa.array(rb["amount_fen"].to_numpy(dtype=np.int64) / 100),
        headers[9]: text("rate") if lang == "zh" else english_arrow(text("rate")), headers[10]: pa.array(_round_div(rb["rebate_u"].to_numpy(dtype=np.int64), U) / 100),
        headers[11]: who_text,
        headers[12]: _sources_arrow(pc.cast(_arrow(rb["src_file"].astype(str)), pa.string()),
                                    pc.cast(_arrow(rb["src_sheet"].fillna("").astype(str)), pa.string()),
                                    pa.array(rb["src_row"].to_numpy(dtype=np.int64)), lang),
        "_k": pa.array(key)})
    k = len(partners)
    subs = {h: pa.nulls(k, type=lines.schema.field(h).type) for h in headers}
    subs[headers[0]] = pa.array([f"{p} {subtotal}" for p in partners], type=pa.string())
    subs[headers[10]] = pa.array([float(t) for t in totals["total"]], type=pa.float64())
    subs["_k"] = pa.array(np.arange(k, dtype=np.int64) * 2 + 1)
    both = pa.concat_tables([lines, pa.table(subs, schema=lines.schema)])
    return both.take(pc.sort_indices(both["_k"])).drop_columns(["_k"])  # Arrow's sort is stable



def write_rebate_summary(path: Path, s: Settlement, lang: str = "zh", page: Page | None = None) -> None:
    """返款汇总.xlsx (finance): the introducers' totals, then every line by partner."""
    from settle.output.render import large_month
    write_book(path, [introducer_table(s, lang, page), rebate_lines_table(s, lang)], fast=large_month(s))


def voucher_records(s: Settlement) -> list[dict]:
    """settlement.json's "vouchers": where each one is in 返款单.xlsx, its lines and its total."""
    from settle.output.voucher_book import book_records
    return book_records(s)


# --- verify ----------------------------------------------------------------------------------------

def check_vouchers(folder: Path, settlement: dict) -> list[Difference]:
    """返款单.xlsx against the record, or — a month settled before it (one file per introducer
    in 返款单/, issue 26) — those files."""
    if (Path(folder) / VOUCHER_DIR).is_dir() or any("file" in v for v in settlement.get("vouchers", [])):
        return check_voucher_files(folder, settlement)
    from settle.output.voucher_files import check_voucher_book
    return check_voucher_book(folder, settlement)


def check_voucher_files(folder: Path, settlement: dict) -> list[Difference]:
    """The old form: every recorded voucher exists with its number of lines and its total
    (figures and 大写); no voucher file is there that the settlement does not name."""
    out: list[Difference] = []
    recorded = settlement.get("vouchers", [])
    target = Path(folder) / VOUCHER_DIR
    present = {p.name for p in target.glob("*.xlsx")} if target.exists() else set()
    for v in recorded:
        where = f"{VOUCHER_DIR}/{v['file']}"
        if v["file"] not in present:
            out.append(Difference(where, f"{v['lines']} lines, {v['total']}", "missing"))
            continue
        try:
            sheet, rows = sheet_rows(target / v["file"])
        except Exception as exc:  # a damaged workbook is a difference, not a crash
            out.append(unreadable(target / v["file"], exc))
            continue
        head = VOUCHER_TITLE_LINES + 1
        n = int(v["lines"])
        data = rows[head + 1: head + 1 + n]
        total_row = head + 1 + n
        if len(data) != n or any(r[0] is None for r in data):
            out.append(Difference(f"{where} › {sheet}", f"{n} lines", f"{sum(1 for r in data if r[0] is not None)}"))
            continue
        found = money(rows[total_row][VOUCHER_REBATE_COL]) if total_row < len(rows) else None
        if found != Decimal(v["total"]):
            out.append(Difference(f"{where} › {sheet} › {cell(total_row, VOUCHER_REBATE_COL)}", v["total"], str(found)))
        lines_sum = sum((money(r[VOUCHER_REBATE_COL]) or Decimal(0) for r in data), Decimal(0))
        if lines_sum != Decimal(v["total"]):
            out.append(Difference(f"{where} › {sheet} › {VOUCHER_REBATE_COL}", v["total"], f"lines add up to {lines_sum}"))
        words = rmb_words(v["total"])   # either language may have written the voucher
        if not any(isinstance(r[0], str) and (words in r[0] or rmb_words_en(v["total"]) in r[0])
                   for r in rows[total_row + 1:]):
            out.append(Difference(f"{where} › {sheet}", words, "大写 missing"))
    for name in sorted(present - {v["file"] for v in recorded}):
        out.append(Difference(f"{VOUCHER_DIR}/{name}", "not in the settlement", "present"))
    return out


def check_rebate_summary(folder: Path, settlement: dict) -> list[Difference]:
    """返款汇总.xlsx: sheet 1 lists every voucher with its total; sheet 2's partner 小计 rows
    equal settlement.json's per-partner totals (R15–R17)."""
    path = Path(folder) / SUMMARY_FILE
    if not path.exists():
        return [Difference(SUMMARY_FILE, "present", "missing")]
    try:
        sheet, rows = sheet_rows(path, 0)
        sheet2, rows2 = sheet_rows(path, 1)
    except Exception as exc:
        return [unreadable(path, exc)]
    out = []
    recorded = settlement.get("vouchers", [])
    body = rows[1:1 + len(recorded)]
    for i, v in enumerate(recorded):
        r = body[i] if i < len(body) else (None,) * 5
        got = (r[0], r[1] or "", money(r[3]))
        want = (v["partner"], v["referrer"], Decimal(v["total"]))
        if got != want:
            out.append(Difference(f"{SUMMARY_FILE} › {sheet} › {cell(i + 1, 0)}", str(want), str(got)))
    subtotals = [money(r[10]) for r in rows2[1:] if r and r[1] is None and r[3] is None and money(r[10]) is not None]
    want = [Decimal(p["total"]) for p in settlement.get("rebates", [])]
    if subtotals[:len(want)] != want:
        out.append(Difference(f"{SUMMARY_FILE} › {sheet2}", ", ".join(map(str, want)),
                              ", ".join(map(str, subtotals[:len(want)]))))
    return out
