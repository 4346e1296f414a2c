"""The sample workspace: exactly its planted input problems and violations (samples/planted.json)."""

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import SAMPLES, invoke

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def planted():
    return json.loads((SAMPLES / "planted.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def settled(tmp_path_factory):
    ws = tmp_path_factory.mktemp("samples") / "ws"
    shutil.copytree(SAMPLES, ws, ignore=shutil.ignore_patterns("output"))
    r = invoke("run", "2024-05", "--workspace", str(ws), "--quiet")
    assert r.exit_code == 0, r.output
    return ws, json.loads((ws / "output/2024-05/settlement.json").read_text(encoding="utf-8"))


def test_validate_reports_exactly_the_planted_input_problems(planted):
    r = invoke("validate", "2024-05", "--workspace", str(SAMPLES), "--json")
    assert r.exit_code == 2
    listed = json.loads(r.stdout)["problems"]
    got = sorted((p["code"], p["file"], p["sheet"], p["row"]) for p in listed if p["severity"] != "info")
    # infos are counts, not problems: the billing export's 合计 row (SPEC §8.1)
    assert [(p["code"], p["file"]) for p in listed if p["severity"] == "info"] == [
        ("summary_rows", "2024-05/收费明细_上半月.xlsx")]
    want = sorted((p.get("code") or ("hidden_sheet" if p["kind"] == "hidden_sheet" else "unknown_staff"),
                   p["file"], p["sheet"], p.get("row")) for p in planted["input_problems"])
    assert got == want


def test_a_clean_copy_validates(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "tools/gen_workspace.py"), str(tmp_path / "clean"), "--clean"],
                   check=True, capture_output=True)
    r = invoke("validate", "2024-05", "--workspace", str(tmp_path / "clean"))
    assert r.exit_code == 0, r.output


def test_run_finds_every_planted_violation(settled, planted):
    _, data = settled
    got = Counter(v["code"] for v in data["violations"])
    for code, n in planted["counts"].items():
        assert got[code] == n, code
    where = {(v["code"], v["file"], v["row"]) for v in data["violations"]}
    for v in planted["violations"]:
        if v.get("row") is not None:
            assert (v["code"], v["file"], v["row"]) in where, v
    flags = {(v["code"], v.get("partner") or v.get("staff_id")) for v in data["violations"]}
    assert ("large_rebate", "康宁诊所") in flags and ("negative_pay", "S012") in flags
    assert data["people"]["S012"]["total"] == "-100.00"


def test_sample_month_ties_out(settled):
    _, data = settled
    rec = data["reconciliation"]
    assert rec["balanced"] and rec["credited_fen"] + rec["uncredited_fen"] == rec["total_fen"]
    total = sum(float(p["total"]) for p in data["people"].values())
    assert f"{total:.2f}" == data["totals"]["payslips"]


def test_partner_totals_from_lines_equal_the_rebate_sheet():
    """R17 大额返款 reads per-partner totals grouped from the lines; the 返款 sheet lists rows.
    Both must give the same partners, row counts and rounded totals."""
    from settle.engine.rebates import partner_totals, rebate_table, rebate_totals
    from settle.engine.pipeline import compute, load
    from settle.problems import Problems
    from settle.load.workspace import Month

    s = compute(load(SAMPLES, Month(2024, 5), Problems()))
    cheap = rebate_totals(s.credit.lines).reset_index(drop=True)
    full = partner_totals(rebate_table(s.credit.lines, s.policy)).reset_index(drop=True)
    assert len(cheap) > 5
    assert cheap.astype(str).values.tolist() == full.astype(str).values.tolist()


def test_run_names_the_planted_perimeter_cases(tmp_path, planted):
    """SPEC §8.1 in the samples: the owner file and the repeated lines are warnings, and `run`
    names 钱进, who left a month early, with the 业绩 her patient's lines send to 未归属."""
    assert "departed_before_may" in planted["situations"], "samples/ are stale: regenerate them (make samples)"
    ws = tmp_path / "ws"
    shutil.copytree(SAMPLES, ws, ignore=shutil.ignore_patterns("output"))
    r = invoke("run", "2024-05", "--workspace", str(ws))
    assert r.exit_code == 0, r.output
    gone = planted["situations"]["departed_before_may"]
    assert f"{gone['name']}（{gone['staff_id']}）的离职日期是 {gone['left_on']}" in r.output
    data = json.loads((ws / "output/2024-05/settlement.json").read_text(encoding="utf-8"))
    found = Counter(f["code"] for f in data["perimeter"]["findings"])
    assert found == {"owner_file": 1, "duplicate_line": 3, "departed_with_lines": 1}
    assert data["perimeter"]["duplicate_lines"] == 3
    assert data["reconciliation"]["balanced"]
