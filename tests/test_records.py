"""A settled month is self-contained (SPEC §10, issue 12): dated rules versions, the month's own
recorded rules, explain from the record, fingerprints of what was parsed, verify of every
published workbook.

The workspace: S1 (30 000.00) and S2 (10 000.00) of 一组, one registration and one settled line
each (builders.monthly). R11 (default.yaml, 全额累进): S2's 10 000.00 is in the 0–20 000 bracket,
3 % → 300.00; the "June" version raises that bracket to 4 % → 400.00.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from builders import Workspace, monthly, team
from conftest import invoke
from settle import api
from settle.engine.pipeline import load
from settle.load.workspace import Month
from settle.problems import Problems
from settle.rules import default_rules_dir, load_version
from settle.verify import verify

MONTH = "2024-05"
DEFAULT = (default_rules_dir() / "default.yaml").read_text(encoding="utf-8")
BRACKET = "{from: 0, to: 20000, rate: 3%}"
assert BRACKET in DEFAULT


def dated(start: str, end: str | None = None, rate: str = "4%") -> str:
    """default.yaml as a dated version whose first R11 bracket pays `rate`."""
    eff = f"effective: {{from: '{start}'" + (f", to: '{end}'" if end else "") + "}\n"
    return eff + DEFAULT.replace(BRACKET, BRACKET.replace("3%", rate))


@pytest.fixture
def book(tmp_path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    ws.staff(team())
    ws.month(MONTH, **monthly(MONTH, 10, {"S1": 30000, "S2": 10000}))
    (ws.root / "rules").mkdir()
    (ws.root / "rules" / "default.yaml").write_text(DEFAULT, encoding="utf-8")
    return ws


def run(ws: Workspace, *extra: str):
    return invoke("run", MONTH, "--workspace", str(ws.root), *extra)


def record(ws: Workspace) -> dict:
    return json.loads((ws.root / "output" / MONTH / "settlement.json").read_text(encoding="utf-8"))


def general(data: dict, sid: str = "S2") -> str:
    return next(l["amount"] for l in data["people"][sid]["lines"] if l["component"] == "general")


# --- versions ---------------------------------------------------------------------------------

def test_the_base_version_governs_months_before_a_dated_version(book):
    """SPEC §10: May keeps the undated base (3 % → 300.00); June uses the dated version (4 %)."""
    (book.root / "rules" / "june.yaml").write_text(dated("2024-06"), encoding="utf-8")
    may = load_version(book.root / "rules", Problems(), month="2024-05")
    june = load_version(book.root / "rules", Problems(), month="2024-06")
    assert may.label == "base" and [f.name for f in may.files] == ["default.yaml"]
    assert june.label == "2024-06…" and [f.name for f in june.files] == ["june.yaml"]
    assert may.policy_sha256 != june.policy_sha256
    r = run(book, "--quiet")
    assert r.exit_code == 0, r.output
    assert general(record(book)) == "300.00"
    assert record(book)["rules"]["version"] == "base"


def test_a_dated_version_in_force_settles_its_month(book):
    """May under a version dated 2024-05…2024-05: 10 000.00 × 4 % = 400.00."""
    (book.root / "rules" / "may.yaml").write_text(dated("2024-05", "2024-05"), encoding="utf-8")
    r = run(book, "--quiet")
    assert r.exit_code == 0, r.output
    data = record(book)
    assert general(data) == "400.00"
    assert data["rules"]["version"] == "2024-05…2024-05"
    assert list(data["rules"]["files"]) == ["rules/may.yaml"]


def test_two_dated_versions_in_force_are_refused_with_files_and_lines(book):
    (book.root / "rules" / "a.yaml").write_text(dated("2024-04"), encoding="utf-8")
    (book.root / "rules" / "b.yaml").write_text("# June's plan\n" + dated("2024-05", "2024-12"), encoding="utf-8")
    problems = Problems()
    assert load_version(book.root / "rules", problems, month=MONTH) is None
    (p,) = problems.errors
    assert p.code == "rules_versions_overlap" and p.file == "a.yaml" and p.row == 1
    assert "a.yaml 第 1 行" in p.text("zh") and "b.yaml 第 2 行" in p.text("zh") and "2024-05" in p.text("en")
    r = run(book)
    assert r.exit_code == 2 and "b.yaml" in r.output
    assert not (book.root / "output" / MONTH).exists()


def test_no_version_in_force_is_an_error(book):
    (book.root / "rules" / "default.yaml").write_text(dated("2024-06"), encoding="utf-8")
    problems = Problems()
    assert load_version(book.root / "rules", problems, month=MONTH) is None
    assert [p.code for p in problems.errors] == ["rules_no_version"]


def test_a_bad_effective_month_names_file_key_and_line(book):
    (book.root / "rules" / "x.yaml").write_text("effective: {from: '2024-13'}\n", encoding="utf-8")
    problems = Problems()
    assert load_version(book.root / "rules", problems, month=MONTH) is None
    (p,) = problems.errors
    assert (p.file, p.row, p.column) == ("x.yaml", 1, "effective.from") and "2024-13" in p.text("en")


def test_rules_option_bypasses_effective(book, tmp_path):
    """--rules names the rules: a file dated 2030 still settles May (4 % → 400.00)."""
    other = tmp_path / "other.yaml"
    other.write_text(dated("2030-01"), encoding="utf-8")
    r = run(book, "--quiet", "--rules", str(other))
    assert r.exit_code == 0, r.output
    assert general(record(book)) == "400.00" and record(book)["rules"]["version"] == "--rules"


# --- the month keeps its rules ----------------------------------------------------------------

def test_the_month_stores_its_rules_byte_for_byte_with_hashes(book):
    import hashlib
    raw = (book.root / "rules" / "default.yaml").read_bytes()
    assert run(book, "--quiet").exit_code == 0
    out = book.root / "output" / MONTH
    assert (out / "规则" / "default.yaml").read_bytes() == raw
    data = record(book)
    assert data["rules"]["files"] == {"rules/default.yaml": hashlib.sha256(raw).hexdigest()}
    assert data["rules"]["stored"] == {"rules/default.yaml": "规则/default.yaml"}
    assert len(data["rules"]["policy_sha256"]) == 64
    info = openpyxl.load_workbook(out / "部门汇总.xlsx", read_only=True).worksheets[-1]
    cells = [r for r in info.iter_rows(values_only=True)]
    assert ("SHA-256 合并后的规则", data["rules"]["policy_sha256"]) in cells
    assert ("SHA-256 rules/default.yaml", hashlib.sha256(raw).hexdigest()) in cells
    line = data["people"]["S2"]["lines"][0]
    assert line["derivation"]["code"] == "base" and line["derivation"]["params"]["days"] == 31


def test_explain_after_a_rules_change_gives_the_settled_figures(book):
    """Settled at 3 % (300.00); the workspace then moves to 4 %: explain still shows 300.00 and
    says it is the settled record; an unsettled month's explain is a 预览."""
    assert run(book, "--quiet").exit_code == 0
    (book.root / "rules" / "default.yaml").write_text(DEFAULT.replace(BRACKET, BRACKET.replace("3%", "4%")),
                                                       encoding="utf-8")
    r = invoke("explain", MONTH, "S2", "--workspace", str(book.root), "--json")
    assert r.exit_code == 0, r.output
    shown = json.loads(r.stdout[r.stdout.index("{"):])
    assert shown["preview"] is False and shown["total"] == record(book)["people"]["S2"]["total"]
    assert next(l["amount"] for l in shown["lines"] if l["name"] == "业绩提成") == "300.00"
    shutil.rmtree(book.root / "output")
    r = invoke("explain", MONTH, "S2", "--workspace", str(book.root))
    assert r.exit_code == 0 and "预览" in r.output and "400.00" in r.output


def test_explain_in_english_of_a_month_settled_in_chinese(book):
    assert run(book, "--quiet").exit_code == 0
    r = invoke("explain", MONTH, "S2", "--workspace", str(book.root), "--lang", "en")
    assert r.exit_code == 0, r.output
    assert "settled (" in r.output and "rules version base" in r.output
    assert "performance 10,000.00, tiered rate 3% = 300.00" in r.output
    r = invoke("explain", MONTH, "S9", "--workspace", str(book.root), "--lang", "en")
    assert r.exit_code == 2 and "no payslip for S9" in r.output


def test_a_rerun_under_a_new_version_names_both_and_marks_the_change(book):
    assert run(book, "--quiet").exit_code == 0
    old = record(book)["rules"]["policy_sha256"][:12]
    (book.root / "rules" / "may.yaml").write_text(dated("2024-05"), encoding="utf-8")
    r = run(book)
    assert r.exit_code == 0, r.output
    new = record(book)["rules"]["policy_sha256"][:12]
    assert f"规则版本已变：base ({old}) → 2024-05… ({new})" in r.output
    assert "（规则变更）" in r.output     # S2's row of the old → new column: 300 → 400 because of the rules


# --- fingerprints -----------------------------------------------------------------------------

def test_an_input_replaced_during_the_run_fails_it_and_publishes_nothing(book, capsys):
    billing = book.root / MONTH / "收费明细.xlsx"

    def replace(loaded):
        billing.write_bytes(billing.read_bytes() + b"\0")

    outcome = api.settle_month(book.root, MONTH, before_publish=replace)
    assert outcome.status == "error"
    (p,) = [p for p in outcome.result.problems if p.code == "input_changed"]
    assert p.file == f"{MONTH}/收费明细.xlsx"
    assert not (book.root / "output" / MONTH).exists()
    assert not list((book.root / "output").glob(".staging-*"))


def test_the_recorded_hash_is_of_the_bytes_parsed(book, monkeypatch):
    """A file swapped right after it was read: the record keeps the hash of what was parsed."""
    import hashlib

    import settle.load.inputs as I
    billing = book.root / MONTH / "收费明细.xlsx"
    parsed = hashlib.sha256(billing.read_bytes()).hexdigest()
    real = I.parsed_copy

    from contextlib import contextmanager

    @contextmanager
    def swapped(path):
        with real(path) as got:
            if Path(path) == billing:
                billing.write_bytes(billing.read_bytes() + b"\0")
            yield got

    monkeypatch.setattr(I, "parsed_copy", swapped)
    problems = Problems()
    loaded = load(book.root, Month.parse(MONTH), problems)
    assert dict(loaded.inputs.files)[f"{MONTH}/收费明细.xlsx"] == parsed


# --- verify -----------------------------------------------------------------------------------

@pytest.fixture
def settled(book) -> Workspace:
    assert run(book, "--quiet").exit_code == 0
    report, problems = verify(book.root, Month.parse(MONTH))
    assert report is not None and report.ok, (report, problems.items)
    return book


def places(ws) -> list[tuple]:
    report, _ = verify(ws.root, Month.parse(MONTH))
    return [(d.place(), d.person, d.recorded, d.found, d.what) for d in report.files + report.workbooks]


def edit(path: Path, sheet: int, ref: str, value) -> None:
    wb = openpyxl.load_workbook(path)
    wb.worksheets[sheet][ref] = value
    wb.save(path)


def test_verify_finds_a_changed_payslip_cell(settled):
    slip = settled.root / "output" / MONTH / "工资条" / "S2_李娜.xlsx"
    rows = list(openpyxl.load_workbook(slip).worksheets[0].iter_rows(values_only=True))
    r = next(i for i, row in enumerate(rows) if row[0] == "业绩提成") + 1
    edit(slip, 0, f"E{r}", 1300)
    assert places(settled) == [(f"工资条/S2_李娜.xlsx › 工资条 › E{r}", "李娜", "300.00", "1,300.00", "verify.value")]
    cli = invoke("verify", MONTH, "--workspace", str(settled.root))
    assert cli.exit_code == 1 and f"E{r}" in cli.output and "1,300.00" in cli.output


def test_verify_finds_a_changed_summary_cell(settled):
    edit(settled.root / "output" / MONTH / "部门汇总.xlsx", 0, "E2", 1)
    (got,) = places(settled)
    assert got[0] == "部门汇总.xlsx › 汇总 › E2" and got[1] == "王芳" and got[2] == "30,000.00" and got[3] == "1.00"


def test_verify_finds_a_deleted_and_an_extra_payslip(settled):
    folder = settled.root / "output" / MONTH / "工资条"
    (folder / "S1_王芳.xlsx").rename(folder / "S7_某某.xlsx")
    got = places(settled)
    assert ("工资条/S1_王芳.xlsx", "王芳", "工资条/S1_王芳.xlsx", "", "verify.file_missing") in got
    assert ("工资条/S7_某某.xlsx", "", "", "S7_某某.xlsx", "verify.file_extra") in got
    assert invoke("verify", MONTH, "--workspace", str(settled.root)).exit_code == 1


def test_verify_finds_a_changed_recorded_rules_file(settled):
    stored = settled.root / "output" / MONTH / "规则" / "default.yaml"
    stored.write_text(stored.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    (got,) = places(settled)
    assert got[0] == "规则/default.yaml" and got[4] == "verify.file_changed"


def test_verify_ignores_the_card_check_file_and_a_later_rules_change(settled):
    """卡片检查.xlsx is not part of the record; the workspace's rules moving on is not a
    difference either: verify recomputes under the month's recorded rules."""
    assert invoke("check-cards", MONTH, "--workspace", str(settled.root)).exit_code in (0, 1)
    (settled.root / "rules" / "default.yaml").write_text(DEFAULT.replace(BRACKET, BRACKET.replace("3%", "5%")),
                                                         encoding="utf-8")
    report, _ = verify(settled.root, Month.parse(MONTH))
    assert report.ok, report


def test_verify_names_a_changed_input(settled):
    billing = settled.root / MONTH / "收费明细.xlsx"
    edit(billing, 0, "A50", None)   # re-saved: same cells, new bytes
    report, _ = verify(settled.root, Month.parse(MONTH))
    assert [d.file for d in report.files] == [f"{MONTH}/收费明细.xlsx"]
    assert report.files[0].what == "verify.file_changed"


def test_unquoted_effective_months_and_init_writes_undated_rules(book, tmp_path):
    """`effective: {from: 2024-06, to: 2024-12}` as a clerk types it; `settle init` writes the
    base version only, so any month (past ones too) settles under it."""
    (book.root / "rules" / "june.yaml").write_text(
        "effective: {from: 2024-06, to: 2024-12}\n" + DEFAULT.replace(BRACKET, BRACKET.replace("3%", "4%")),
        encoding="utf-8")
    assert load_version(book.root / "rules", Problems(), month="2024-12").label == "2024-06…2024-12"
    assert load_version(book.root / "rules", Problems(), month="2025-01").label == "base"
    target = tmp_path / "new"
    assert invoke("init", str(target)).exit_code == 0
    for month in ("2019-01", "2024-05"):
        v = load_version(target / "rules", Problems(), month=month)
        assert v.label == "base" and all(f.effective is None for f in v.files)


def test_validate_refuses_two_versions_in_force(book):
    (book.root / "rules" / "a.yaml").write_text(dated("2024-01"), encoding="utf-8")
    (book.root / "rules" / "b.yaml").write_text(dated("2024-05", "2024-05"), encoding="utf-8")
    r = invoke("validate", MONTH, "--workspace", str(book.root))
    assert r.exit_code == 2 and "a.yaml" in r.output and "b.yaml" in r.output
    assert load_version(book.root / "rules", Problems(), month="2024-04").label == "2024-01…"  # only a.yaml


def test_check_cards_on_a_settled_month_uses_its_recorded_rules(book):
    """The workspace's rules broken after the settlement: check-cards of the settled month still
    runs (on the rules kept in 规则/); without a record it reports the broken file."""
    assert run(book, "--quiet").exit_code == 0
    (book.root / "rules" / "default.yaml").write_text("streams: [\n", encoding="utf-8")
    r = invoke("check-cards", MONTH, "--workspace", str(book.root))
    assert r.exit_code in (0, 1), r.output
    shutil.rmtree(book.root / "output")
    r = invoke("check-cards", MONTH, "--workspace", str(book.root))
    assert r.exit_code == 2 and "default.yaml" in r.output


def test_explain_lines_of_a_settled_month_come_from_its_payslip(book):
    assert run(book, "--quiet").exit_code == 0
    r = invoke("explain", MONTH, "S2", "--lines", "--workspace", str(book.root))
    assert r.exit_code == 0, r.output
    assert "业绩明细" in r.output and "收费明" in r.output and "****4-05" in r.output and "2024-05-10" in r.output


def test_verify_finds_sheets_by_content_in_an_english_month(book):
    assert run(book, "--quiet", "--lang", "en").exit_code == 0
    report, _ = verify(book.root, Month.parse(MONTH))
    assert report.ok, report
    edit(book.root / "output" / MONTH / "部门汇总.xlsx", 0, "N3", 5)
    (got,) = places(book)
    assert got[0] == "部门汇总.xlsx › Summary › N3" and got[1] == "李娜" and got[3] == "5.00"


def test_an_earlier_settlement_changed_during_the_run_fails_it(book, capsys):
    """R41 reads April's settlement.json; rewritten between read and publish, May's run stops."""
    book.month("2024-04", **monthly("2024-04", 10, {"S1": 30000, "S2": 10000}))
    assert invoke("run", "2024-04", "--workspace", str(book.root), "--quiet").exit_code == 0
    april = book.root / "output" / "2024-04" / "settlement.json"

    def touch(loaded):
        april.write_bytes(april.read_bytes() + b"\n")

    outcome = api.settle_month(book.root, MONTH, before_publish=touch)
    assert outcome.status == "error" and not (book.root / "output" / MONTH).exists()
    (p,) = [p for p in outcome.result.problems if p.code == "input_changed"]
    assert p.file == "output/2024-04/settlement.json"


def test_verify_checks_rebates_violations_and_reconciliation_of_the_sample_month(tmp_path):
    """The sample month (samples/, every violation planted) settles and verifies clean; then the
    返款 total, one 违规 row and the 核对 credited amount are altered: each is named."""
    from conftest import SAMPLES
    root = tmp_path / "samples"
    shutil.copytree(SAMPLES, root, ignore=shutil.ignore_patterns("output"))
    assert invoke("run", MONTH, "--workspace", str(root), "--quiet").exit_code == 0
    report, _ = verify(root, Month.parse(MONTH))
    assert report.ok, report
    summary = root / "output" / MONTH / "部门汇总.xlsx"
    wb = openpyxl.load_workbook(summary)
    violations, rec = wb["违规"], wb["核对"]   # 返款 lives in 返款汇总.xlsx now (R46): test_vouchers checks it
    code = violations.cell(2, 1).value
    violations.delete_rows(2)
    rec["C3"] = 1.0
    wb.save(summary)
    report, _ = verify(root, Month.parse(MONTH))
    got = {d.place(): (d.recorded, d.found) for d in report.workbooks}
    n = sum(1 for v in json.loads((root / "output" / MONTH / "settlement.json").read_text("utf-8"))["violations"]
            if v["code"] == code)
    assert got[f"部门汇总.xlsx › 违规 › A:A {code}"] == (str(n), str(n - 1))
    assert got["部门汇总.xlsx › 核对 › C3"][1] == "1.00"
    assert len(report.workbooks) == 2


def test_recorded_figures_display_half_up_as_R37_rounds():
    """explain of a settled month printed a stream's exact 业绩 12,417.745 as 12,417.74 (format's .2f
    rounds half-even) above a payslip line showing 12,417.75: one figure, two values."""
    from settle.records import money
    assert [money("12417.745"), money("0.125"), money("-0.005"), money("2,264.64")] == \
        ["12,417.75", "0.13", "-0.01", "2,264.64"]
