"""The library face: settle.run_month computes without writing; its to_json() is what
settlement.json holds; the CLI is a thin face over it (usage errors and --json included)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import settle
from builders import bill, person, reg


def small(ws):
    ws.staff([person("S001", "王芳")])
    ws.month("2024-05", regs=[reg("2024-05-01 09:00", "S001", "K1")],
             billing=[bill("2024-05-02 10:00", 1000, "K1")])
    return ws


def test_run_month_writes_nothing_and_its_json_is_what_run_records(ws, settle):
    small(ws)
    result = settle_lib = settle_module_run(ws)
    assert result.ok and not (ws.root / "output").exists()
    r = settle(ws)                                   # publishes through the library
    recorded = dict(r.data)
    mine = settle_lib.to_json()
    for d in (recorded, mine):
        d.pop("generated_at")
        d["workspace"] = None
    assert mine == recorded
    # 3 % × 1 000.00 = 30.00 (R11), shown on the general stream's line
    assert recorded["people"]["S001"]["columns"]["提成"] == "30.00"


def settle_module_run(ws):
    return settle.run_month(ws.root, "2024-05")


def test_run_month_collects_problems_instead_of_raising(ws):
    small(ws)
    bad = settle.run_month(ws.root, "2024-13")
    assert not bad.ok and [p.code for p in bad.problems] == ["bad_month"]
    assert not settle.run_month(ws.root / "nowhere", "2024-05").ok


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "settle", *args], capture_output=True, text=True, cwd=cwd)


def test_usage_errors_speak_the_runs_language_and_json():
    zh = _cli("run")
    assert zh.returncode == 2 and "用法错误" in zh.stderr and "Traceback" not in zh.stderr
    en = _cli("run", "--lang", "en", "--json")
    assert en.returncode == 2 and "usage error" in en.stderr
    payload = json.loads(en.stdout)
    assert payload["status"] == "usage_error" and payload["exit_code"] == 2


@pytest.mark.parametrize("args, code", [
    (["validate", "2024-05"], 0), (["check-cards", "2024-05"], 0), (["explain", "2024-05", "S001"], 0),
    (["explain", "2024-05", "nobody"], 2), (["close", "2024-05"], 2), (["run", "2024-99"], 2),
    (["verify", "2024-05"], 2),
])
def test_every_command_prints_one_json_object_with_its_exit_code(ws, args, code):
    small(ws)
    from typer.testing import CliRunner
    from settle.cli import app
    r = CliRunner().invoke(app, [*args, "--workspace", str(ws.root), "--json"])
    assert r.exit_code == code, r.output
    payload = json.loads(r.stdout)
    assert payload["exit_code"] == code


def test_explain_of_an_ambiguous_name_lists_the_candidates(ws):
    ws.staff([person("S001", "王芳"), person("S002", "王芳", team="二组")])
    ws.month("2024-05")
    from typer.testing import CliRunner
    from settle.cli import app
    r = CliRunner().invoke(app, ["explain", "2024-05", "王芳", "--workspace", str(ws.root)])
    assert r.exit_code == 2
    assert "S001" in r.output and "S002" in r.output and "请用工号" in r.output


def test_lang_never_changes_output_file_names(ws, settle):
    """A month settled in Chinese and rerun in English keeps the same file names: history holds
    the Chinese run's files under the same names, nothing is renamed."""
    small(ws)
    zh = settle(ws)
    out = ws.root / "output" / "2024-05"
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if "history" not in p.parts)
    en = settle(ws, "2024-05", "--lang", "en")
    assert zh.exit_code == en.exit_code == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if "history" not in p.parts) == names
    assert "部门汇总.xlsx" in names and any(n.startswith("工资条/S001_") for n in names)
