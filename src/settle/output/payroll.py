"""The hand-off to HR payroll (R47): 工资导入.csv (UTF-8 with BOM, so Excel and WPS open it
without garbling) and the same rows as 工资导入.xlsx.

Commission is wage income: 个税 and 社保 are withheld by the hospital's HR payroll, which also
pays the bank. settle hands over the gross figures only — one row per paid person: 工号, 姓名,
角色, 小组, one column per 汇总 pay column, 应发合计 — each equal to 汇总 to the fen; a negative
total is written as it is (R39; R45 carries it to next month).
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from settle.engine.model import Settlement
from settle.output.checks import Difference, money, sheet_rows, unreadable
from settle.output.printing import Page
from settle.output.render import COLUMN_EN, SUMMARY_COLUMNS, _zh
from settle.output.xlsx import MONEY, TEXT, Table, frame_of, write_book

CSV_FILE = "工资导入.csv"
XLSX_FILE = "工资导入.xlsx"


def payroll_columns(lang: str) -> list[tuple[str, str]]:
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    return ([(L("工号", "Staff id"), TEXT), (L("姓名", "Name"), TEXT), (L("角色", "Role"), TEXT), (L("小组", "Team"), TEXT)]
            + [(L(c, COLUMN_EN[c]), MONEY) for c in SUMMARY_COLUMNS] + [(L("应发合计", "Total pay"), MONEY)])


def payroll_rows(s: Settlement) -> list[tuple]:
    """One row per payslip, in 汇总's order; amounts as Decimal to the fen."""
    return [(p.staff_id, p.name, p.role, p.team or "", *[p.summary_column(c) for c in SUMMARY_COLUMNS], p.total)
            for p in s.payslips]


def write_payroll_csv(path: Path, s: Settlement, lang: str = "zh") -> None:
    """UTF-8 with BOM, CRLF line ends (what Excel and WPS expect on Windows); amounts as plain
    decimals with two places (no thousands separator, so HR's import reads them as numbers)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([h for h, _ in payroll_columns(lang)])
    for row in payroll_rows(s):
        w.writerow([_csv_text(v) if i < 4 else f"{v:.2f}" for i, v in enumerate(row)])
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))


def _csv_text(v) -> str:
    """Text as text: a value Excel would run as a formula gets a leading apostrophe (SPEC §8)."""
    text = str(v)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_payroll_xlsx(path: Path, s: Settlement, lang: str = "zh", page: Page | None = None) -> None:
    page = page or Page()
    cols = payroll_columns(lang)
    title = _zh(lang, "工资导入（应发，供人事工资系统代扣个税、社保并发放）", "payroll import (gross, for HR payroll)")
    write_book(path, [Table(_zh(lang, "工资导入", "Payroll import"), cols, frame_of(payroll_rows(s), cols),
                            landscape=True, header=page.header(f"{s.month} {title}"), lang=lang)])


def write_payroll(folder: Path, s: Settlement, lang: str = "zh", page: Page | None = None) -> None:
    write_payroll_csv(folder / CSV_FILE, s, lang)
    write_payroll_xlsx(folder / XLSX_FILE, s, lang, page)


# --- verify ----------------------------------------------------------------------------------------

def _expected(settlement: dict) -> dict[str, list[Decimal]]:
    return {sid: [Decimal(p["columns"][c]) for c in SUMMARY_COLUMNS] + [Decimal(p["total"])]
            for sid, p in settlement.get("people", {}).items()}


def _compare(where: str, rows: list[tuple], want: dict[str, list[Decimal]]) -> list[Difference]:
    out, seen = [], set()
    n = len(SUMMARY_COLUMNS) + 1
    for i, r in enumerate(rows, start=2):
        sid = str(r[0]).lstrip("'") if r and r[0] is not None else ""
        if not sid:
            continue
        seen.add(sid)
        if sid not in want:
            out.append(Difference(f"{where} › {i}", "no payslip", sid))
            continue
        got = [money(v) for v in r[4:4 + n]]
        for j, (a, b) in enumerate(zip(want[sid], got)):
            if a != b:
                out.append(Difference(f"{where} › {sid} › {j + 5}", str(a), str(b)))
    for sid in sorted(set(want) - seen):
        out.append(Difference(where, sid, "missing"))
    return out


def check_payroll(folder: Path, settlement: dict) -> list[Difference]:
    """工资导入.csv (with its BOM) and 工资导入.xlsx hold one row per paid person whose amounts
    equal settlement.json's 汇总 columns and 应发合计 to the fen."""
    folder = Path(folder)
    want = _expected(settlement)
    out: list[Difference] = []
    path = folder / CSV_FILE
    if not path.exists():
        out.append(Difference(CSV_FILE, "present", "missing"))
    else:
        data = path.read_bytes()
        if not data.startswith(b"\xef\xbb\xbf"):
            out.append(Difference(CSV_FILE, "UTF-8 BOM", "no BOM"))
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        out += _compare(CSV_FILE, [tuple(r) for r in rows[1:]], want)
    path = folder / XLSX_FILE
    if not path.exists():
        out.append(Difference(XLSX_FILE, "present", "missing"))
    else:
        try:
            _, rows = sheet_rows(path)
        except Exception as exc:
            return out + [unreadable(path, exc)]
        out += _compare(XLSX_FILE, rows[1:], want)
    return out
