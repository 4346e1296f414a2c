"""Counts that are true (SPEC §8.1, issue 24.6) and agree in number in English (issue 25.3):
"另有 N 个问题未列出" and "共 M 个错误" count the same problems, listed and unlisted; --json
carries every problem kept and the count of each code past the per-column cap."""

import datetime as dt
import io
import json

from rich.console import Console

from builders import BILL_HEADERS, bill, reg, team, write_xlsx
from conftest import invoke
from settle.console import print_problems
from settle.problems import Problems, problem, say

D = dt.datetime


def month_with_bad_cells(ws, bad_money=120, bad_dates=3):
    """A billing export whose 金额 is text in `bad_money` lines and whose 就诊时间 is not a date
    in `bad_dates` others: one problem per cell, the first 50 of a column kept (the cap)."""
    ws.staff(team())
    lines = [bill(D(2024, 5, 3, 10), "12,3a", "P1") for _ in range(bad_money)]
    lines += [dict(bill(D(2024, 5, 3, 10), 10, "P1"), 就诊时间="昨天") for _ in range(bad_dates)]
    ws.month("2024-05", regs=[reg(D(2024, 5, 1, 9), "S1", "P1")], billing=[])
    write_xlsx(ws.root / "2024-05" / "收费明细.xlsx", BILL_HEADERS, lines)


def shown(problems, lang="zh", limit=200) -> list[str]:
    con = Console(record=True, width=300, file=io.StringIO())
    print_problems(con, problems, lang, limit)
    lines = con.export_text().rstrip("\n").splitlines()
    return [line for line in lines[-2:] if not line.startswith(("└", "│"))]


def test_unlisted_problems_are_counted_in_the_total(ws):
    """120 bad 金额 cells: 50 listed, 70 counted; 3 bad dates listed. 50 + 70 + 3 = 123 errors:
    the last two lines say 70 are not listed and 123 in all (before: "共 53 个错误")."""
    month_with_bad_cells(ws)
    v = invoke("validate", "2024-05", "--workspace", str(ws.root), "--json")
    assert v.exit_code == 2
    out = json.loads(v.stdout)
    assert (out["errors"], out["warnings"], len(out["problems"])) == (123, 0, 53)
    assert out["unlisted"] == [{"code": "bad_money", "severity": "error", "file": "2024-05/收费明细.xlsx",
                                "sheet": "Sheet1", "column": "金额", "month": None, "count": 70}]
    assert out["unlisted_note"] == "另有 70 个问题未单独列出，按代码计数见 unlisted"
    assert "… 另有 70 个问题未列出" in v.stderr and "共 123 个错误，0 个警告" in v.stderr


def test_the_terminal_limit_and_the_cap_add_up():
    """10 rows shown of 53 kept, 70 counted past the cap: 43 + 70 = 113 not listed, 123 errors."""
    problems = Problems()
    problems.cells("bad_money", file="f.xlsx", sheet="S", column="金额", rows=range(2, 122), values=["x"] * 120)
    problems.cells("bad_date", file="f.xlsx", sheet="S", column="就诊时间", rows=range(2, 5), values=["y"] * 3)
    assert shown(problems, limit=10) == ["… 另有 113 个问题未列出", "共 123 个错误，0 个警告"]
    assert shown(problems, "en", limit=10) == ["… and 113 more problems not listed", "123 errors, 0 warnings"]


def test_notes_are_counted_when_listed():
    problems = Problems([problem("summary_rows", file="f.xlsx", count=1, rows="9")])
    assert shown(problems) == ["共 0 个错误，0 个警告，1 个提示"]


def test_earlier_months_unlisted_cells_are_warnings_of_their_month(ws):
    """SPEC §8.1: MONTH is judged on its own — April's 120 bad cells, listed or counted, are warnings."""
    month_with_bad_cells(ws)
    (ws.root / "2024-05").rename(ws.root / "2024-04")
    ws.month("2024-05", regs=[], billing=[bill(D(2024, 5, 3, 10), 10, "P1")])
    out = json.loads(invoke("validate", "2024-05", "--workspace", str(ws.root), "--json").stdout)
    assert out["errors"] == 0 and out["warnings"] >= 123
    assert [(u["severity"], u["month"], u["count"]) for u in out["unlisted"]] == [("warning", "2024-04", 70)]


def test_english_counts_agree_in_number():
    """issue 25.3: "1 error" not "1 errors", wherever a count is printed in English."""
    assert say("problem_counts", "en", errors=1, warnings=1) == "1 error, 1 warning"
    assert say("problem_counts", "en", errors=2, warnings=0) == "2 errors, 0 warnings"
    assert say("more_problems", "en", n=1) == "… and 1 more problem not listed"
    assert say("verify.differs", "en", month="2024-05", n=1) == "2024-05: 1 difference"
    assert say("card_check_written", "en", n=1, path="x") == "1 finding; written to x"
    assert problem("outside_month_rows", file="f", column="结算日期", count=1, month="2024-05", rows="4",
                   effect_en="they do not count").text("en") == \
        "1 row has a 结算日期 outside 2024-05 (row 4): they do not count"
    assert say("problem_counts", "zh", errors=1, warnings=2) == "共 1 个错误，2 个警告"
