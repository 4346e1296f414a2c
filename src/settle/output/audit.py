"""`verify`'s checks of the published workbooks against settlement.json (SPEC §10).

Each checker is a small function `(folder, record, books) -> list[Difference]` over one
workbook (or one sheet of it); `CHECKS` lists them, so a new output (返款汇总.xlsx, 工资导入,
科间转诊奖励.xlsx) adds its own checker here. Sheets are found by what they hold, never by a
language's name: the payslip sheet by its R39 total row, 汇总 by the recorded staff ids in its
first column, 返款 by its R15–R17 rows, 违规 by the recorded violation codes, 核对 by its first
row holding the month's settled billing. Files that `check-cards` writes are not part of the
record and are never looked at.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable


SUMMARY_COLUMNS = ("基本工资", "补贴", "绩效考核", "提成", "管理奖金", "团队提成", "奖励", "扣款")


@dataclass(frozen=True)
class Difference:
    """One published figure that differs from the record: file › sheet › cell, both values."""

    file: str
    sheet: str = ""
    cell: str = ""
    recorded: str = ""
    found: str = ""
    person: str = ""
    what: str = "verify.value"          # a problems.TEXTS code

    def place(self) -> str:
        return " › ".join(p for p in (self.file, self.sheet, self.cell) if p)


class Books:
    """The workbooks of a month's folder, each opened once, as lists of rows of values."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._cache: dict[Path, list[tuple[str, list[tuple]]] | None] = {}

    def sheets(self, rel: str) -> list[tuple[str, list[tuple]]] | None:
        path = self.folder / rel
        if path not in self._cache:
            self._cache[path] = read_book(path)
        return self._cache[path]


def read_book(path: Path) -> list[tuple[str, list[tuple]]] | None:
    """[(sheet name, rows of values)] of a workbook, or None when it is missing or unreadable."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # missing, damaged or not a workbook: reported as a missing file
        return None
    try:
        return [(ws.title, list(ws.iter_rows(values_only=True))) for ws in wb.worksheets]
    finally:
        wb.close()


def read_sheet(path: Path, index: int) -> list[tuple]:
    book = read_book(path)
    return book[index][1] if book and index < len(book) else []


from settle.output.checks import money as dec  # noqa: E402  (a cell or figure as Decimal to the fen)


def cell(row: int, col: int) -> str:
    """A1 reference of 0-based (row, col)."""
    from settle.load.readers import col_letter   # (pandas: verify imports this module at start-up)
    return f"{col_letter(col + 1)}{row + 1}"


def _same(a, b) -> bool:
    da, db = dec(a), dec(b)
    if da is not None or db is not None:
        return da == db
    return (a or "") == (b or "")


def _show(v) -> str:
    d = dec(v)
    return f"{d:,}" if d is not None else ("" if v is None else str(v))


# --- payslips ---------------------------------------------------------------------------------

def check_payslip_files(folder: Path, record: dict, books: Books) -> list[Difference]:
    """A payslip file missing, or one in the payslip folder that the record does not hold."""
    out = []
    slips = record.get("files", {}).get("payslips", {})
    people = record.get("people", {})
    for sid, rel in slips.items():
        if not (folder / rel).is_file():
            out.append(Difference(rel, recorded=rel, found="", person=people.get(sid, {}).get("name", sid),
                                  what="verify.file_missing"))
    expected = {Path(rel) for rel in slips.values()}
    for parent in {Path(rel).parent for rel in slips.values()}:
        for f in sorted((folder / parent).glob("*")):
            if f.is_file() and Path(parent, f.name) not in expected and not f.name.startswith("."):
                out.append(Difference(str(Path(parent, f.name)), recorded="", found=f.name, what="verify.file_extra"))
    return out


def check_payslips(folder: Path, record: dict, books: Books) -> list[Difference]:
    """Each payslip's lines (name, amount) and its total against the record."""
    out = []
    from settle.output.english import translator
    # a name as the recorded run's language printed it (through the recorded policy's name_en)
    shown = translator(record.get("lang", "zh"), record.get("rules", {}).get("policy"))
    for sid, rel in record.get("files", {}).get("payslips", {}).items():
        person = record["people"].get(sid, {})
        sheets = books.sheets(rel)
        if sheets is None:
            continue  # check_payslip_files names it
        found = _payslip_sheet(sheets)
        if found is None:
            out.append(Difference(rel, recorded="R39", found="", person=person.get("name", sid)))
            continue
        name, rows, header, total = found
        lines = rows[header + 1:total]
        recorded = [dict(line, name=shown(line.get("name"))) for line in person.get("lines", [])]
        for i in range(max(len(lines), len(recorded))):
            r = header + 1 + i
            got = lines[i] if i < len(lines) else (None,) * 6
            want = recorded[i] if i < len(recorded) else {}
            for col, key in ((0, "name"), (4, "amount")):
                if not _same(want.get(key), got[col] if col < len(got) else None):
                    out.append(Difference(rel, name, cell(r, col), _show(want.get(key)), _show(got[col]),
                                          person.get("name", sid)))
        if not _same(person.get("total"), rows[total][4]):
            out.append(Difference(rel, name, cell(total, 4), _show(person.get("total")), _show(rows[total][4]),
                                  person.get("name", sid)))
    return out


def _payslip_sheet(sheets):
    """(sheet name, rows, header row index, total row index) of the sheet holding the R39 row."""
    for name, rows in sheets:
        total = next((i for i, r in enumerate(rows) if len(r) > 4 and r[1] == "R39"), None)
        if total is None:
            continue
        header = next((i for i, r in enumerate(rows) if len(r) >= 6 and all(isinstance(v, str) for v in r[:6])),
                      None)
        if header is not None and header < total:
            return name, rows, header, total
    return None


# --- the summary ------------------------------------------------------------------------------

def _summary(record: dict) -> str:
    return record.get("files", {}).get("summary", "部门汇总.xlsx")


def check_summary_people(folder: Path, record: dict, books: Books) -> list[Difference]:
    """汇总: per person 业绩, every pay column and 应发合计; the 合计 row's 应发合计."""
    rel = _summary(record)
    sheets = books.sheets(rel)
    if sheets is None:
        return [Difference(rel, recorded=rel, what="verify.file_missing")]
    people = record.get("people", {})
    network = record.get("network", {})
    sheet = next(((n, rows) for n, rows in sheets
                  if rows and len(rows[0]) >= 14 and people
                  and set(people) <= {r[0] for r in rows[1:] if r}), None)
    if sheet is None:
        return [Difference(rel, recorded="汇总", found="", what="verify.file_missing")]
    name, rows = sheet
    out = []
    seen = set()
    for i, row in enumerate(rows[1:-1], start=1):
        sid = row[0]
        if sid in people:
            p = people[sid]
            want = [(4, p["performance"])] + [(5 + k, p["columns"].get(c)) for k, c in enumerate(SUMMARY_COLUMNS)] \
                + [(13, p["total"])]
        elif sid in network:
            want = [(4, network[sid]["performance"])]
        else:
            out.append(Difference(rel, name, cell(i, 0), "", str(sid), what="verify.file_extra"))
            continue
        seen.add(sid)
        who = (people.get(sid) or {}).get("name") or (row[1] if len(row) > 1 else "") or sid
        for col, value in want:
            if not _same(value, row[col]):
                out.append(Difference(rel, name, cell(i, col), _show(value), _show(row[col]), who))
    for sid in sorted((set(people) | set(network)) - seen):
        out.append(Difference(rel, name, "", sid, "", (people.get(sid) or {}).get("name", sid),
                              what="verify.file_missing"))
    last = len(rows) - 1
    if not _same(record.get("totals", {}).get("payslips"), rows[last][13]):
        out.append(Difference(rel, name, cell(last, 13), _show(record["totals"]["payslips"]), _show(rows[last][13])))
    return out


def check_rebates(folder: Path, record: dict, books: Books) -> list[Difference]:
    """返款: the sheet's total (its last row) against the recorded rebate total."""
    rel = _summary(record)
    for name, rows in books.sheets(rel) or []:
        if len(rows) > 1 and len(rows[0]) > 10 and any(len(r) > 2 and r[2] in ("R15", "R16", "R17") for r in rows[1:]):
            want = record.get("reconciliation", {}).get("rebate_total")
            got = rows[-1][10]
            return [] if _same(want, got) else [Difference(rel, name, cell(len(rows) - 1, 10), _show(want), _show(got))]
    return []


def check_violations(folder: Path, record: dict, books: Books) -> list[Difference]:
    """违规: the number of rows of each violation code against the record."""
    from collections import Counter

    rel = _summary(record)
    want = Counter(v.get("code") for v in record.get("violations", []))
    if not want:
        return []
    for name, rows in books.sheets(rel) or []:
        codes = Counter(r[0] for r in rows[1:] if r)
        if codes and set(codes) & set(want) and all(isinstance(c, str) for c in codes):
            return [Difference(rel, name, f"A:A {code}", str(want[code]), str(codes.get(code, 0)))
                    for code in sorted(set(want) | set(codes)) if want[code] != codes.get(code, 0)]
    return []


def check_reconciliation(folder: Path, record: dict, books: Books) -> list[Difference]:
    """核对: settled billing, credited, each uncredited reason, the payslip total and the rebate
    total against settlement.json's reconciliation."""
    rel = _summary(record)
    rec = record.get("reconciliation") or {}
    if not rec:
        return []
    fen = lambda n: Decimal(int(n)) / 100  # noqa: E731
    want = [(1, rec["total_count"], fen(rec["total_fen"])), (2, rec["credited_count"], fen(rec["credited_fen"]))]
    k = len(rec.get("uncredited", {}))
    for j, v in enumerate(rec.get("uncredited", {}).values()):
        want.append((3 + j, v["count"], fen(v["fen"])))
    paid = 3 + k + 1 + len(rec.get("excluded", {}))
    want.append((paid, len(record.get("people", {})), Decimal(rec["payslip_total"])))
    want.append((paid + 2 + len(SUMMARY_COLUMNS), None, Decimal(rec["rebate_total"])))
    for name, rows in books.sheets(rel) or []:
        if len(rows) > 2 and len(rows[0]) == 4 and rows[1][1] == rec["total_count"]:
            out = []
            for r, count, amount in want:
                row = rows[r] if r < len(rows) else (None,) * 4
                if count is not None and row[1] != count:
                    out.append(Difference(rel, name, cell(r, 1), str(count), _show(row[1])))
                if not _same(amount, row[2]):
                    out.append(Difference(rel, name, cell(r, 2), _show(amount), _show(row[2])))
            return out
    return [Difference(rel, recorded=str(rec.get("total_count")), found="", what="verify.file_missing")]


Checker = Callable[[Path, dict, Books], list[Difference]]


def _by_place(fn) -> Checker:
    """A checker of the form (folder, settlement.json) -> [(where, recorded, found)], as the
    workbooks of R42, R46, R47 and the strips provide them."""
    def check(folder: Path, record: dict, books: Books) -> list[Difference]:
        out = []
        for d in fn(folder, record):
            where, recorded, found = d[0], d[1], d[2]
            parts = [p.strip() for p in str(where).split("›")]
            out.append(Difference(parts[0], parts[1] if len(parts) > 1 else "", " › ".join(parts[2:]),
                                  str(recorded), str(found)))
        return out
    check.__name__ = getattr(fn, "__name__", "check")
    return check


def _more_checks() -> list[Checker]:
    from settle.output.interdept_xlsx import check_interdept_workbook
    from settle.output.payroll import check_payroll
    from settle.output.strips import check_strips
    from settle.output.vouchers import check_rebate_summary, check_vouchers
    return [_by_place(f) for f in (check_vouchers, check_rebate_summary, check_payroll, check_strips,
                                   check_interdept_workbook)]


# 返款 moved out of 部门汇总 (R46): its totals are checked in 返款汇总.xlsx by check_rebate_summary.
CHECKS: list[Checker] = [check_payslip_files, check_payslips, check_summary_people, check_violations,
                         check_reconciliation]


def audit_workbooks(folder: Path, record: dict, checks: list[Checker] | None = None) -> list[Difference]:
    """Every difference between the workbooks published in `folder` and `record`."""
    books = Books(Path(folder))
    out: list[Difference] = []
    for check in checks or (CHECKS + _more_checks()):
        out.extend(check(Path(folder), record, books))
    return out
