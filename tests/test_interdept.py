"""R42 科间转诊奖励 (SPEC §11; seed 003, 门诊患者科间转诊的奖励规定): each outcome with a tiny
workspace built here and the arithmetic in a comment. Default rules: reward 50, min_before =
min_after = 100.00, days_before = days_after = 30, inpatient 住院/顺产/剖宫产/结石住院手术/VIP月子套餐.

A slip dated 2024-05-01 has its window end on 05-31 (1 May + 30 days), inside May: it is decided
in May. Later slips whose window runs into June are carried when not yet successful.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import openpyxl
import pytest
from builders import bill, team, write_xlsx
from conftest import invoke, ok

from settle.engine.interdept import CARRIED, REJECTED, REPEAT, SUCCESS, interdept_month
from settle.engine.pipeline import load
from settle.load.workspace import Month
from settle.output.interdept_xlsx import check_interdept_workbook
from settle.problems import Problems
from settle.rules.loader import default_rules_dir

SLIP_HEADERS = ["转诊日期", "病历号", "患者姓名", "转出科室", "首诊医生", "转入科室", "接诊医生"]
MAY = "2024-05"


def slip(day, record, frm="内科", doctor="刘医生", to="普外科", *, receiving=None, name="张三") -> dict:
    return {"转诊日期": day, "病历号": record, "患者姓名": name, "转出科室": frm, "首诊医生": doctor,
            "转入科室": to, "接诊医生": receiving}


def line(day, amount, record, dept, *, hour=9, category="门诊", **kw) -> dict:
    return bill(dt.datetime(day.year, day.month, day.day, hour), amount, f"K-{record}", record=record,
                dept=dept, category=category, **kw)


def month(ws, m: str, billing, slips=(), *, file="科间转诊单.xlsx", headers=SLIP_HEADERS):
    ws.month(m, billing=billing)
    if slips:
        write_xlsx(ws.root / m / file, headers, list(slips))


def decide(ws, m: str = MAY):
    """R42's result for month m through the library (load → match), and the problems."""
    problems = Problems()
    loaded = load(ws.root, Month.parse(m), problems)
    assert not problems.errors, [p.message() for p in problems.errors]
    return interdept_month(loaded.inputs, loaded.policy), problems


def one(result):
    assert len(result.slips) == 1
    return result.slips[0]


D = dt.date


@pytest.fixture
def hospital(ws):
    ws.staff(team())
    return ws


# --- the outcomes ------------------------------------------------------------------------------

def test_success_pays_the_first_doctor(hospital):
    # 内科 120.00 on 05-02 (window 04-03…05-03) and 普外科 150.00 on 05-06 (window 05-03…05-31):
    # 120.00 ≥ 100 and 150.00 ≥ 100 → success, 1 × 50 = 50.00 to 刘医生.
    month(hospital, MAY, [line(D(2024, 5, 2), 120, "R1", "内科"), line(D(2024, 5, 6), 150, "R1", "普外科")],
          [slip(D(2024, 5, 3), "R1")])
    r, _ = decide(hospital)
    s = one(r)
    assert (s.outcome, s.reason, s.amount_fen("out"), s.amount_fen("in"), str(s.reward)) == \
        (SUCCESS, None, 12000, 15000, "50.00")
    assert [(d.name, d.department, d.slips, d.successes, str(d.reward)) for d in r.doctors] == \
        [("刘医生", "内科", 1, 1, "50.00")]
    assert [(ln.side, ln.file, ln.sheet, ln.row) for ln in s.lines] == \
        [("out", "2024-05/收费明细.xlsx", "Sheet1", 2), ("in", "2024-05/收费明细.xlsx", "Sheet1", 3)]


def test_exactly_100_on_both_sides_succeeds(hospital):
    # 100.00 ≥ 100.00 on both sides (消费100元以上 includes 100): success, 50.00.
    month(hospital, MAY, [line(D(2024, 5, 1), "100.00", "R1", "内科"), line(D(2024, 5, 2), "100.00", "R1", "普外科")],
          [slip(D(2024, 5, 1), "R1")])
    s = one(decide(hospital)[0])
    assert (s.outcome, s.amount_fen("out"), s.amount_fen("in"), str(s.reward)) == (SUCCESS, 10000, 10000, "50.00")


def test_referring_side_under_100_is_rejected(hospital):
    # 内科 99.99 < 100 → 转出科室不足100 (转入 150 is enough); window ends 05-31: rejected, no reward.
    month(hospital, MAY, [line(D(2024, 5, 1), "99.99", "R1", "内科"), line(D(2024, 5, 3), 150, "R1", "普外科")],
          [slip(D(2024, 5, 1), "R1")])
    r, _ = decide(hospital)
    s = one(r)
    assert (s.outcome, s.reason, s.amount_fen("out"), str(r.total)) == (REJECTED, "short_before", 9999, "0.00")


def test_only_inpatient_lines_are_rejected_as_inpatient(hospital):
    # 内科 500.00 is 住院 (inpatient: never counts) → 转出 outpatient amount 0 and only inpatient
    # lines there: reason 住院, ahead of 转出科室不足100.
    month(hospital, MAY, [line(D(2024, 5, 1), 500, "R1", "内科", category="住院"),
                          line(D(2024, 5, 10), 200, "R1", "普外科")],
          [slip(D(2024, 5, 1), "R1")])
    s = one(decide(hospital)[0])
    assert (s.outcome, s.reason, s.amount_fen("out"), s.amount_fen("in")) == (REJECTED, "inpatient", 0, 20000)
    assert [ln.inpatient for ln in s.side("out")] == [True]


def test_record_without_billing_is_rejected(hospital):
    # 病历号 R9 appears in no export at all → 病历号无消费记录.
    month(hospital, MAY, [line(D(2024, 5, 2), 300, "R1", "内科")], [slip(D(2024, 5, 1), "R9")])
    s = one(decide(hospital)[0])
    assert (s.outcome, s.reason) == (REJECTED, "no_billing")


def test_repeat_slip_counts_once(hospital):
    # Two slips for R1 内科 → 普外科 (05-03 and 05-08): the earliest succeeds, the other is a
    # repeat of it (计转诊成功1人): 1 × 50 = 50.00, not 100.00.
    month(hospital, MAY, [line(D(2024, 5, 2), 200, "R1", "内科"), line(D(2024, 5, 9), 200, "R1", "普外科")],
          [slip(D(2024, 5, 8), "R1", doctor="陈医生"), slip(D(2024, 5, 3), "R1")])
    r, _ = decide(hospital)
    first, second = sorted(r.slips, key=lambda s: s.referred_on)
    assert (first.outcome, first.first_doctor) == (SUCCESS, "刘医生")
    assert (second.outcome, second.reason, second.repeat_of) == (REPEAT, "repeat", first.id)
    assert str(r.total) == "50.00"


def test_one_line_serves_several_slips(hospital):
    # One 普外科 150.00 line on 05-06 is the 转入 side of two referrals (内科 → 普外科 and
    # 妇科 → 普外科): both succeed, 2 × 50 = 100.00.
    month(hospital, MAY, [line(D(2024, 5, 2), 120, "R1", "内科"), line(D(2024, 5, 2), 130, "R1", "妇科"),
                          line(D(2024, 5, 6), 150, "R1", "普外科")],
          [slip(D(2024, 5, 3), "R1"), slip(D(2024, 5, 3), "R1", frm="妇科", doctor="周医生")])
    r, _ = decide(hospital)
    assert [s.outcome for s in r.slips] == [SUCCESS, SUCCESS]
    assert str(r.total) == "100.00"


def test_departments_match_after_folding(hospital):
    # The billing writes "Surgery Clinic", the slip "surgeryclinic" and a full-width "ＥＮＴ":
    # matched after folding (half-width, case and spaces ignored).
    month(hospital, MAY, [line(D(2024, 5, 2), 120, "R1", "ENT"), line(D(2024, 5, 6), 150, "R1", "Surgery Clinic")],
          [slip(D(2024, 5, 3), "R1", frm="ＥＮＴ", to="surgeryclinic")])
    assert one(decide(hospital)[0]).outcome == SUCCESS


def test_referring_line_from_last_months_export(hospital):
    # April's export: 内科 300.00 visited and settled 04-25 (counts under R1 in April) and 内科
    # 400.00 visited 04-26 but settled 05-03 (it does not count in its own, April, export).
    # May's slip of 05-02 looks back to 04-02: 转出 = 300.00 (not 700.00); 普外科 150.00 → success.
    month(hospital, "2024-04", [line(D(2024, 4, 25), 300, "R1", "内科"),
                                line(D(2024, 4, 26), 400, "R1", "内科", settled=D(2024, 5, 3))])
    month(hospital, MAY, [line(D(2024, 5, 5), 150, "R1", "普外科")], [slip(D(2024, 5, 2), "R1")])
    s = one(decide(hospital)[0])
    assert (s.outcome, s.amount_fen("out"), [ln.month for ln in s.side("out")]) == (SUCCESS, 30000, ["2024-04"])


def test_lines_outside_the_windows_or_unsettled_do_not_count(hospital):
    # 内科 500 on 03-31 is 31 days before 05-01 (window starts 04-01); 普外科 200 is 未结算;
    # 普外科 80 on 05-20 counts: 转出 0 → 转出科室不足100 (amounts 0 and 80.00).
    month(hospital, "2024-03", [line(D(2024, 3, 31), 500, "R1", "内科")])
    month(hospital, MAY, [line(D(2024, 5, 10), 200, "R1", "普外科", status="未结算"),
                          line(D(2024, 5, 20), 80, "R1", "普外科")], [slip(D(2024, 5, 1), "R1")])
    s = one(decide(hospital)[0])
    assert (s.outcome, s.reason, s.amount_fen("out"), s.amount_fen("in")) == (REJECTED, "short_before", 0, 8000)


def test_receiving_side_short_this_month_succeeds_next_month(hospital, settle):
    # Slip A of 05-20: 内科 200 on 05-18; 普外科 60 on 05-25 → May: 60 < 100, window open until
    # 06-19 → carried (no reward in May). June's export adds 普外科 50 on 06-10: 60 + 50 = 110 ≥ 100
    # → success in June, 50.00 to 刘医生.
    # Slip B of 05-25 (R2): 内科 150, 普外科 90 on 05-26; June's 普外科 30 on 06-25 is after its
    # window end 06-24 → June: still 90 < 100 and the window is over → rejected 转入科室不足100.
    may = [line(D(2024, 5, 18), 200, "R1", "内科"), line(D(2024, 5, 25), 60, "R1", "普外科"),
           line(D(2024, 5, 24), 150, "R2", "内科"), line(D(2024, 5, 26), 90, "R2", "普外科")]
    month(hospital, MAY, may, [slip(D(2024, 5, 20), "R1"), slip(D(2024, 5, 25), "R2", doctor="周医生")])
    r = ok(settle(hospital, MAY))
    rec = r.data["interdept"]
    assert (rec["total"], rec["carried"]) == ("0.00", 2)
    assert [(s["outcome"], s["reason"], s["in_fen"]) for s in rec["slips"]] == \
        [(CARRIED, "short_after", 6000), (CARRIED, "short_after", 9000)]
    month(hospital, "2024-06", [line(D(2024, 6, 10), 50, "R1", "普外科"), line(D(2024, 6, 25), 30, "R2", "普外科")])
    r = ok(settle(hospital, "2024-06"))
    rec = r.data["interdept"]
    a, b = rec["slips"]
    assert (a["outcome"], a["out_fen"], a["in_fen"], a["reward"], a["carried_in"]) == (SUCCESS, 20000, 11000, "50.00", True)
    assert [ln["month"] for ln in a["lines"]] == ["2024-05", "2024-05", "2024-06"]
    assert (b["outcome"], b["reason"], b["in_fen"]) == (REJECTED, "short_after", 9000)
    assert rec["total"] == "50.00" and rec["doctors"][0]["carried_in"] == 1
    assert r.data["reconciliation"]["interdept_reward"] == "50.00"
    assert "output/2024-05/settlement.json" in r.data["inputs"]  # the record June stood on is hashed
    # explain on the settled June reads the recorded result: 60.00 + 50.00 = 110.00 ≥ 100
    shown = invoke("explain", "2024-06", "--doctor", "刘医生", "--workspace", str(hospital.root))
    assert shown.exit_code == 0 and "已结算" in shown.output and "110.00 ≥ 100" in shown.output
    assert "上月结转" in shown.output


def test_slips_not_carried_when_last_month_is_unsettled(hospital):
    # April has slips but no settlement.json: nothing is carried into May, and the run says so.
    month(hospital, "2024-04", [line(D(2024, 4, 25), 300, "R1", "内科")], [slip(D(2024, 4, 25), "R1")])
    month(hospital, MAY, [line(D(2024, 5, 5), 150, "R1", "普外科")])
    r, problems = decide(hospital)
    assert r.slips == []
    # (the month helper's header-only 登记表 are named too: SPEC §8.1)
    assert [(p.code, p.is_error) for p in problems if p.code != "no_data_rows"] == [("interdept_not_carried", False)]


# --- bad input ---------------------------------------------------------------------------------

def test_malformed_slips_are_positioned_errors_and_nothing_is_written(hospital, settle):
    rows = [slip("2024-13-45", "R1"),                 # row 2: not a date
            slip(D(2024, 5, 3), "R1", doctor=None),   # row 3: 首诊医生 empty
            slip(D(2024, 4, 30), "R1")]               # row 4: 转诊日期 outside 2024-05
    month(hospital, MAY, [line(D(2024, 5, 2), 120, "R1", "内科")], rows)
    problems = Problems()
    load(hospital.root, Month.parse(MAY), problems)
    f = "2024-05/科间转诊单.xlsx"
    assert sorted(p.key() for p in problems.errors) == sorted([
        (f, "Sheet1", 2, "转诊日期", "bad_date"), (f, "Sheet1", 3, "首诊医生", "missing_value"),
        (f, "Sheet1", 4, "转诊日期", "interdept_outside_month")])
    r = settle(hospital, MAY)
    assert r.exit_code == 2
    assert not (hospital.root / "output" / MAY).exists()


def test_english_headers_and_file_name(hospital):
    headers = ["referral date", "record no", "patient name", "from department", "first doctor", "to department"]
    rows = [dict(zip(headers, [D(2024, 5, 3), "R1", "张三", "内科", "刘医生", "普外科"]))]
    month(hospital, MAY, [line(D(2024, 5, 2), 120, "R1", "内科"), line(D(2024, 5, 6), 150, "R1", "普外科")],
          rows, file="interdept-may.xlsx", headers=headers)
    assert one(decide(hospital)[0]).outcome == SUCCESS


def test_rules_without_the_block_turn_r42_off(hospital, settle, tmp_path):
    text = (default_rules_dir() / "default.yaml").read_text(encoding="utf-8")
    rules = tmp_path / "off.yaml"
    rules.write_text(text.split("# R42 科间转诊奖励")[0], encoding="utf-8")
    month(hospital, MAY, [line(D(2024, 5, 2), 120, "R1", "内科"), line(D(2024, 5, 6), 150, "R1", "普外科")],
          [slip(D(2024, 5, 3), "R1")])
    r = ok(settle(hospital, MAY, "--rules", str(rules)))
    assert r.data["interdept"] is None and "interdept_reward" not in r.data["reconciliation"]
    assert not (hospital.root / "output" / MAY / "科间转诊奖励.xlsx").exists()
    problems = Problems()
    load(hospital.root, Month.parse(MAY), problems, rules=rules)
    assert [p.code for p in problems if p.code != "no_data_rows"] == ["interdept_off"]   # header-only 登记表: §8.1


@pytest.mark.parametrize("edit, key, message", [
    ("reward: 50 ", "interdept_referral.reward", "cannot be negative"),
    ("days_after: 30 ", "interdept_referral.days_after", "greater than or equal to 0"),
    ("min_after: 100 ", "interdept_referral.bonus", "unknown key"),
])
def test_rules_schema_names_file_key_and_line(tmp_path, edit, key, message):
    from settle.rules.loader import load_policy
    text = (default_rules_dir() / "default.yaml").read_text(encoding="utf-8")
    replacement = {"reward: 50 ": "reward: -50 ", "days_after: 30 ": "days_after: -1 ",
                   "min_after: 100 ": "min_after: 100\n  bonus: 5 "}[edit]
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(edit, replacement, 1), encoding="utf-8")
    problems = Problems()
    assert load_policy(path, problems) is None
    (p,) = problems.errors
    lines = path.read_text(encoding="utf-8").splitlines()
    assert (p.file, p.column) == ("bad.yaml", key)
    assert key.split(".")[-1] + ":" in lines[p.row - 1] and message in p.text("en")


# --- outputs -----------------------------------------------------------------------------------

def test_workbook_summary_and_verify_check(hospital, settle):
    # 刘医生: R1 succeeds (120/150); R2 rejected 转出科室不足100 (50 < 100) → 1 success, 50.00.
    month(hospital, MAY, [line(D(2024, 5, 1), 120, "R1", "内科"), line(D(2024, 5, 6), 150, "R1", "普外科"),
                          line(D(2024, 5, 1), 50, "R2", "内科"), line(D(2024, 5, 6), 150, "R2", "普外科")],
          [slip(D(2024, 5, 1), "R1"), slip(D(2024, 5, 1), "R2")])
    r = ok(settle(hospital, MAY))
    folder = hospital.root / "output" / MAY
    wb = openpyxl.load_workbook(folder / "科间转诊奖励.xlsx")
    assert wb.sheetnames == ["医生汇总", "转诊单明细", "依据账单", "未成功"]
    doctors = [row for row in wb["医生汇总"].iter_rows(values_only=True)]
    assert doctors == [("首诊医生", "科室", "转诊单数", "其中上月结转", "成功", "奖励"),
                       ("刘医生", "内科", 2, 0, 1, 50), ("合计", "1 人", 2, 0, 1, 50)]
    ws = wb["医生汇总"]
    assert ws.print_title_rows == "$1:$1" and ws.page_setup.paperSize == 9 and ws["F2"].number_format == "#,##0.00"
    sources = [row[9] for row in wb["依据账单"].iter_rows(min_row=2, values_only=True)]
    assert sources[0] == "2024-05/收费明细.xlsx › Sheet1 › 第 2 行"
    rejected = list(wb["未成功"].iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[1], row[3]) for row in rejected] == [("未成功", "转出科室不足100", "R2")]
    summary = openpyxl.load_workbook(folder / "部门汇总.xlsx")["核对"]
    assert ("科间转诊奖励（R42，医生，不在工资条内）", 1, 50) in [row[:3] for row in summary.iter_rows(values_only=True)]
    assert check_interdept_workbook(folder, r.data) == []
    ws["F2"] = 100
    wb.save(folder / "科间转诊奖励.xlsx")
    assert check_interdept_workbook(folder, r.data) == [("科间转诊奖励.xlsx › 医生汇总 › F2", "50.00", "100.00")]


def test_explain_doctor_lists_the_deciding_lines(hospital):
    month(hospital, MAY, [line(D(2024, 5, 2), 120, "R1", "内科"), line(D(2024, 5, 6), 150, "R1", "普外科")],
          [slip(D(2024, 5, 3), "R1")])
    out = invoke("explain", MAY, "--doctor", "刘医生", "--workspace", str(hospital.root))
    assert out.exit_code == 0, out.output
    assert "预览" in out.output and "120.00 ≥ 100" in out.output and "收费明细.xlsx › Sheet1 › 第 3 行" in out.output
    data = json.loads(invoke("explain", MAY, "--doctor", "刘医生", "--json", "--workspace",
                             str(hospital.root)).output)
    assert [(s["outcome"], s["out_fen"], s["in_fen"]) for s in data["slips"]] == [(SUCCESS, 12000, 15000)]
    missing = invoke("explain", MAY, "--doctor", "王医生", "--workspace", str(hospital.root))
    assert missing.exit_code == 2 and "王医生" in missing.output


def test_init_writes_the_slip_template(tmp_path):
    assert invoke("init", str(tmp_path / "new")).exit_code == 0
    wb = openpyxl.load_workbook(tmp_path / "new" / "模板" / "科间转诊单.xlsx")
    assert [c.value for c in wb.active[1]] == SLIP_HEADERS
    shutil.rmtree(tmp_path / "new")


def test_sample_workspace_slips_come_out_as_planted(tmp_path):
    # tools/gen_workspace.py plants one 科间转诊单 per outcome (samples/PLANTED.md, 科间转诊单):
    # generated afresh here so the test does not depend on the committed sample binaries.
    import subprocess
    import sys
    from pathlib import Path
    tool = Path(__file__).resolve().parent.parent / "tools" / "gen_workspace.py"
    root = tmp_path / "samples"
    subprocess.run([sys.executable, str(tool), str(root), "--clean"], check=True, capture_output=True)
    planted = json.loads((root / "planted.json").read_text(encoding="utf-8"))["interdept_R42"]
    assert invoke("run", MAY, "--workspace", str(root), "--quiet").exit_code == 0
    data = json.loads((root / "output" / MAY / "settlement.json").read_text(encoding="utf-8"))["interdept"]
    got = {s["row"]: (s["outcome"], s["reward"]) for s in data["slips"]}
    assert got == {e["row"]: (e["outcome"], e["reward"]) for e in planted}
    # success 50 × 3 (one of them exactly 100.00 on both sides, one resting on April's export)
    assert sorted(e["outcome"] for e in planted) == sorted(
        [SUCCESS, SUCCESS, SUCCESS, REJECTED, REJECTED, REJECTED, REPEAT, CARRIED])
    assert data["total"] == "150.00"


def test_english_workbook_and_a_missing_one_is_a_difference(hospital, settle):
    month(hospital, MAY, [line(D(2024, 5, 2), 120, "R1", "内科"), line(D(2024, 5, 6), 150, "R1", "普外科")],
          [slip(D(2024, 5, 3), "R1")])
    r = ok(settle(hospital, MAY, "--lang", "en"))
    folder = hospital.root / "output" / MAY
    wb = openpyxl.load_workbook(folder / "科间转诊奖励.xlsx")
    assert wb.sheetnames == ["Doctors", "Slips", "Billing lines", "Not successful"]
    assert list(wb["Doctors"].iter_rows(values_only=True))[1] == ("刘医生", "内科", 1, 0, 1, 50)
    assert check_interdept_workbook(folder, r.data) == []   # found by its header, not its sheet name
    (folder / "科间转诊奖励.xlsx").unlink()
    assert check_interdept_workbook(folder, r.data) == [("科间转诊奖励.xlsx", "有 / present", "无 / missing")]


def test_an_edited_record_of_last_month_is_a_warning_not_a_crash(hospital, settle):
    # May carries R1 (普外科 60 < 100 until 06-19); someone edits May's settlement.json by hand.
    month(hospital, MAY, [line(D(2024, 5, 18), 200, "R1", "内科"), line(D(2024, 5, 25), 60, "R1", "普外科")],
          [slip(D(2024, 5, 20), "R1")])
    ok(settle(hospital, MAY))
    path = hospital.root / "output" / MAY / "settlement.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["interdept"]["slips"][0]["referred_on"]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    month(hospital, "2024-06", [line(D(2024, 6, 10), 50, "R1", "普外科")])
    r, problems = decide(hospital, "2024-06")
    assert r.slips == [] and [(p.code, p.file) for p in problems if p.code != "no_data_rows"] == [
        ("interdept_bad_record", "output/2024-05/settlement.json")]
