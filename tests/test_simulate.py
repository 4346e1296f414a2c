"""`settle simulate` (SPEC §10, issue 13): a month under other rules, without touching it.

Workspace: S1 (30 000.00) and S2 (10 000.00) of 一组 each month. OTHER raises R11's first
bracket (0–20 000, 全额累进) from 3 % to 4 %: S2's commission 10 000.00 × 3 % = 300.00 becomes
10 000.00 × 4 % = 400.00, a difference of +100.00 in 提成 and in 应发合计.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from builders import Workspace, monthly, team
from conftest import invoke
from settle.load.workspace import Month
from settle.rules import default_rules_dir
from settle.simulate import COMPONENTS, simulate

MONTH = "2024-05"
DEFAULT = (default_rules_dir() / "default.yaml").read_text(encoding="utf-8")
BRACKET = "{from: 0, to: 20000, rate: 3%}"


@pytest.fixture
def book(tmp_path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    ws.staff(team())
    for m in ("2024-03", "2024-04", MONTH):
        ws.month(m, **monthly(m, 10, {"S1": 30000, "S2": 10000}))
    (ws.root / "rules").mkdir()
    (ws.root / "rules" / "default.yaml").write_text(DEFAULT, encoding="utf-8")
    return ws


@pytest.fixture
def other(tmp_path) -> Path:
    p = tmp_path / "four.yaml"
    # effective is ignored by simulate (SPEC §10): a 2030 date changes nothing.
    p.write_text("effective: {from: '2030-01'}\n" + DEFAULT.replace(BRACKET, BRACKET.replace("3%", "4%")),
                 encoding="utf-8")
    return p


def tree(root: Path) -> dict:
    """Every file under root (history and lock files included) with its bytes' hash."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def sim(ws: Workspace, other: Path, *extra: str):
    return invoke("simulate", *extra, "--rules", str(other), "--workspace", str(ws.root))


def test_simulate_leaves_the_settled_month_byte_identical(book, other):
    assert invoke("run", MONTH, "--workspace", str(book.root), "--quiet").exit_code == 0
    assert invoke("run", MONTH, "--workspace", str(book.root), "--quiet").exit_code == 0  # a history entry
    before = tree(book.root / "output" / MONTH)
    assert any(k.startswith("history") for k in before)
    r = sim(book, other, MONTH)
    assert r.exit_code == 0, r.output
    assert tree(book.root / "output" / MONTH) == before
    assert not list((book.root / "output").glob(".staging-*"))
    assert (book.root / "output" / "simulations" / MONTH / "对比_four.xlsx").is_file()
    assert "已结算" in r.output and "+100.00" in r.output


def test_the_workbook_totals_equal_the_two_settlements(book, other, tmp_path):
    """Settled under default, simulated under OTHER: the 合计 row holds both real settlements'
    totals (OTHER's from an actual run of a copy of the workspace)."""
    import shutil
    assert invoke("run", MONTH, "--workspace", str(book.root), "--quiet").exit_code == 0
    settled = json.loads((book.root / "output" / MONTH / "settlement.json").read_text(encoding="utf-8"))
    copy = tmp_path / "copy"
    shutil.copytree(book.root, copy, ignore=shutil.ignore_patterns("output"))
    assert invoke("run", MONTH, "--workspace", str(copy), "--quiet", "--rules", str(other)).exit_code == 0
    real = json.loads((copy / "output" / MONTH / "settlement.json").read_text(encoding="utf-8"))
    assert sim(book, other, MONTH).exit_code == 0
    ws = openpyxl.load_workbook(book.root / "output" / "simulations" / MONTH / "对比_four.xlsx").worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    head, total = rows[0], rows[-1]
    assert total[0] == "合计"
    col = head.index("应发合计 已结算")
    assert Decimal(str(total[col])).quantize(Decimal("0.01")) == Decimal(settled["totals"]["payslips"])
    assert Decimal(str(total[col + 1])).quantize(Decimal("0.01")) == Decimal(real["totals"]["payslips"])
    import zipfile
    with zipfile.ZipFile(book.root / "output" / "simulations" / MONTH / "对比_four.xlsx") as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())
        assert b"<c:barChart>" in z.read("xl/charts/chart1.xml")


def test_component_differences_add_up_to_the_total_difference(book, other):
    """Per person: Σ differences of the pay columns − difference of 扣款 (shown positive) =
    difference of 应发合计. S2: 提成 +100.00 → 应发合计 +100.00."""
    cmp, problems = simulate(book.root, [Month.parse(MONTH)], other)
    assert cmp is not None, problems.items
    (m,) = cmp.months
    assert m.base == "computed"          # not settled: the month under its own version, in memory
    assert not (book.root / "output" / MONTH).exists()
    for p in m.people:
        parts = sum((p.difference(c) for c in COMPONENTS[:-2]), Decimal(0)) - p.difference("扣款")
        assert parts == p.difference("应发合计"), p
    s2 = next(p for p in m.people if p.staff_id == "S2")
    assert (s2.difference("提成"), s2.difference("应发合计")) == (Decimal("100.00"), Decimal("100.00"))


def test_from_to_covers_three_months_with_a_total_sheet(book, other):
    r = sim(book, other, "--from", "2024-03", "--to", MONTH, "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [m["month"] for m in data["months"]] == ["2024-03", "2024-04", MONTH]
    assert all(m["totals"]["difference"] == "100.00" for m in data["months"])
    path = book.root / "output" / "simulations" / f"2024-03_{MONTH}" / "对比_four.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["2024-03", "2024-04", MONTH, "合计"]
    rows = list(wb["合计"].iter_rows(values_only=True))
    col = rows[0].index("应发合计 差额")
    assert rows[-1][col] == pytest.approx(300.00)


def test_json_parses_and_names_an_input_changed_since_the_settlement(book, other):
    assert invoke("run", MONTH, "--workspace", str(book.root), "--quiet").exit_code == 0
    book.month(MONTH, **monthly(MONTH, 10, {"S1": 30000, "S2": 10000}))   # re-written: new bytes
    r = sim(book, other, MONTH, "--json")
    assert r.exit_code == 0, r.output
    (m,) = json.loads(r.stdout)["months"]
    assert m["base"] == "settled" and f"{MONTH}/收费明细.xlsx" in m["changed_inputs"]
    s2 = next(p for p in m["people"] if p["staff_id"] == "S2")
    assert s2["components"]["提成"] == {"settled": "300.00", "simulated": "400.00", "difference": "100.00"}


def test_bad_input_gets_positioned_problems_exit_2_and_nothing_written(book, other):
    bad = book.root / MONTH / "收费明细.xlsx"
    bad.write_bytes(b"not a workbook")
    r = sim(book, other, MONTH)
    assert r.exit_code == 2 and "收费明细.xlsx" in r.output
    assert not (book.root / "output" / "simulations").exists()
    broken = other.with_name("broken.yaml")
    broken.write_text("streams: 3\nname: x\n", encoding="utf-8")
    r = sim(book, broken, "--from", "2024-03", "--to", MONTH)
    assert r.exit_code == 2 and "broken.yaml" in r.output
    r = sim(book, other, "--from", MONTH, "--to", "2024-03")
    assert r.exit_code == 2
    assert not (book.root / "output" / "simulations").exists()
