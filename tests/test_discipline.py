"""R43 奖惩 rows of 调整 and R44 the 7-day leaver (SPEC §11), figures worked out by hand.

May 2024 has 31 days; 1 May is a Wednesday; working days are Monday–Saturday (R27's calendar).
People are regular 业务员 of 一组 hired 2023-01-01 unless a test says otherwise; every daily
report is on time unless a test plants a missing one. With no 业绩, a regular 业务员's pay is 0
(base 1500 × min(1, 0/20000) = 0, assessment 700 × 0/50000 = 0), so a fine shows as itself.
Amounts (seed 003): 早餐 −20 (治理制度 7), 私事/上网 −30 (治理制度 8), 不正当手段 −2 × 金额 (治理制度 2),
举报奖励 50 % of the fine (营销卡规定 6), 不服从 −50 % of the pay before adjustments (营销卡规定 7).
"""

from __future__ import annotations

import datetime as dt
import json

from builders import STAFF_HEADERS, bill, person, reg, write_xlsx
from conftest import invoke
from test_pay import col, run_month

ADJ = ["工号", "类型", "金额", "事由", "批准人", "日期", "编号", "参考"]
STAFF = STAFF_HEADERS + ["离职类型"]


def d(day: int) -> dt.date:
    return dt.date(2024, 5, day)


def row(sid, kind, day=None, amount=None, *, no=None, ref=None, approver="张主任", reason="主任查实"):
    return {"工号": sid, "类型": kind, "金额": amount, "事由": reason, "批准人": approver,
            "日期": d(day) if day else None, "编号": no, "参考": ref}


def month(ws, *, staff, adjust=(), regs=(), billing=(), daily="auto", missing=None, name="2024-05"):
    """Roster with 离职类型, and a month whose 调整 has the R43 columns."""
    write_xlsx(ws.root / "staff.xlsx", STAFF, staff, sheet="人员名单")
    ws.people = staff
    folder = ws.month(name, regs=regs, billing=billing, daily=daily, missing=missing)
    if adjust:
        write_xlsx(folder / "调整.xlsx", ADJ, list(adjust))
    return folder


def own(sid, key, amount, day=2):
    return reg(dt.datetime(2024, 5, 1, 9), sid, key), bill(dt.datetime(2024, 5, day, 10), amount, key)


def lines(r, sid, component):
    return [l for l in r.person(sid)["lines"] if l["component"] == component]


# --- R43 -------------------------------------------------------------------------------------------

def test_R43_three_breakfasts_are_fined_and_raise_the_warning_with_their_dates(ws):
    month(ws, staff=[person("S1", "王芳"), person("S2", "李娜")],
          adjust=[row("S1", "早餐", 6), row("S1", "早餐", 13), row("S1", "早餐", 20),
                  row("S2", "早餐", 7), row("S2", "私事", 8), row("S2", "上网", 9)])
    r = run_month(ws.root)
    assert r.exit_code == 0, r.output
    # S1: 3 × −20 = −60.00, one line per row, in 扣款
    assert [l["amount"] for l in lines(r, "S1", "breakfast")] == ["-20.00", "-20.00", "-20.00"]
    assert lines(r, "S1", "breakfast")[0]["rule"] == "R43 治理制度7"
    assert col(r, "S1", "扣款") == "60.00" and r.total("S1") == "-60.00"
    # S2: 早餐 −20 + 私事 −30 + 上网 −30 = −80.00; 1 早餐 and 2 私事/上网: no warning
    assert [l["amount"] for l in lines(r, "S2", "private_matter")] == ["-30.00", "-30.00"]
    assert r.total("S2") == "-80.00"
    (w,) = r.violations("discipline_warning")
    assert (w["staff_id"], w["rule"], w["detail"]) == ("S1", "R43", "早餐 3 次：05-06、05-13、05-20")
    assert w["effect"] == "辞退预警 / 上报分管领导"
    assert any(f.startswith("辞退预警：早餐 3 次") for f in r.person("S1")["flags"])


def test_R43_improper_means_twice_the_performance_and_the_whistleblower_half_of_it(ws):
    month(ws, staff=[person("S1", "王芳"), person("S2", "李娜")],
          adjust=[row("S1", "不正当手段", 8, 5000, no="F1"), row("S2", "举报奖励", 9, ref="F1"),
                  row("S1", "罚款", 10, "33.33", no="F2"), row("S2", "举报奖励", 10, ref="F2")])
    r = run_month(ws.root)
    assert r.exit_code == 0, r.output
    # S1: −2 × 5000 = −10 000.00 (不正当手段) − 33.33 (罚款, R38) = −10 033.33
    (imp,) = lines(r, "S1", "improper_means")
    assert (imp["amount"], imp["base"], imp["rate"]) == ("-10000.00", "所得业绩 5,000.00", "× 2")
    assert r.total("S1") == "-10033.33"
    # S2 (the reporter): 50 % × 10 000.00 = +5 000.00; 50 % × 33.33 = 16.665 → 16.67 (四舍五入); in 奖励
    assert [l["amount"] for l in lines(r, "S2", "whistleblower_reward")] == ["5000.00", "16.67"]
    assert col(r, "S2", "奖励") == "5016.67" and r.total("S2") == "5016.67"


def test_R43_insubordination_takes_half_the_pay_before_adjustments_once(ws):
    s1, b1 = own("S1", "K1", 20000), own("B1", "K2", 10000)
    month(ws, staff=[person("B1", "张伟", role="主管"), person("S1", "王芳")],
          regs=[s1[0], b1[0]], billing=[s1[1], b1[1]],
          adjust=[row("B1", "奖励", 15, 100), row("B1", "不服从", 16), row("B1", "不服从", 17)])
    r = run_month(ws.root)
    assert r.exit_code == 0, r.output
    # B1 before adjustments: base 1500 × min(1, 10000/20000) = 750.00; assessment 700 × 10000/50000 = 140.00;
    # 提成 3 % × 10000 = 300.00; 管理奖金 = S1's assessment 700 × 20000/50000 = 280.00;
    # 团队提成 1 % × 20000 = 200.00 → 1 670.00. The 奖励 100 is not in the base.
    # 不服从 twice, applied once: −50 % × 1 670.00 = −835.00
    (ins,) = lines(r, "B1", "insubordination")
    assert (ins["amount"], ins["base"], ins["rate"]) == ("-835.00", "当月工资和奖金 1,670.00", "50%")
    # total 1 670.00 + 100.00 − 835.00 = 935.00
    assert r.total("B1") == "935.00"


def test_R43_morning_meeting_absences_on_consecutive_working_days_across_a_weekend(ws):
    month(ws, staff=[person("S1", "王芳"), person("S2", "李娜")],
          adjust=[row("S1", "晨会缺席", 11), row("S1", "晨会缺席", 13),     # Sat 11, Mon 13: consecutive
                  row("S2", "晨会缺席", 14), row("S2", "晨会缺席", 16)])    # Tue 14, Thu 16: not
    r = run_month(ws.root)
    assert r.exit_code == 0, r.output
    # counted, no money: both totals stay 0.00
    assert r.total("S1") == "0.00" and r.total("S2") == "0.00"
    (w,) = r.violations("discipline_warning")
    assert (w["staff_id"], w["detail"]) == ("S1", "连续 2 个工作日晨会缺席：05-11、05-13")


def test_R43_bad_rows_are_positioned_errors_and_nothing_is_written(ws):
    month(ws, staff=[person("S1", "王芳"), person("S2", "李娜")],
          adjust=[row("S1", "早餐"),                                   # row 2: no 日期
                  row("S1", "不正当手段", 8, no="F1"),                   # row 3: no 金额
                  row("S2", "举报奖励", 9, ref="F9"),                    # row 4: 参考 names no row
                  row("S2", "举报奖励", 9, ref="F1", approver=None),     # row 5: no 批准人
                  row("S1", "罚款", 9, 10, no="F1")])                   # row 6: 编号 F1 again
    cli = invoke("run", "2024-05", "--workspace", str(ws.root), "--json")
    assert cli.exit_code == 2, cli.output
    got = sorted((p["file"], p["row"], p["column"], p["code"])
                 for p in json.loads(cli.output[cli.output.index("{"):])["problems"]
                 if p["code"] != "no_data_rows")   # the header-only 收费明细 is named (SPEC §8.1)
    assert got == [("2024-05/调整.xlsx", 2, "日期", "missing_value"),
                   ("2024-05/调整.xlsx", 3, "金额", "missing_value"),
                   ("2024-05/调整.xlsx", 4, "参考", "unknown_reference"),
                   ("2024-05/调整.xlsx", 5, "批准人", "missing_approver"),
                   ("2024-05/调整.xlsx", 6, "编号", "duplicate_ref_no")]
    assert not (ws.root / "output" / "2024-05").exists()


# --- R44 -------------------------------------------------------------------------------------------

def test_R44_seven_day_leaver_vs_dismissal_on_day_3_vs_leaver_on_day_8(ws):
    h1, s3 = own("H1", "K1", 10000, day=12), own("S3", "K3", 25000)
    staff = [person("B1", "张伟", role="主管", team="二组"),
             {**person("H1", "新人甲", team="二组", hired=d(10), left=d(15), rating="10%"), "离职类型": None},
             person("S3", "老员工", team="二组"),
             {**person("H2", "新人乙", team="三组", hired=d(10), left=d(12)), "离职类型": "辞退"},
             {**person("H3", "新人丙", team="三组", hired=d(10), left=d(17)), "离职类型": "自动离职"}]
    month(ws, staff=staff, regs=[h1[0], s3[0]], billing=[h1[1], s3[1]], missing={"H1": [d(13)]},
          adjust=[row("H1", "奖励", 14, 100)])
    r = run_month(ws.root)
    assert r.exit_code == 0, r.output
    # H1 worked 10–15 May (6 days ≤ 7), 离职类型 empty: every line 0.00 — base, assessment, 提成 3 % × 10000,
    # the R27 missing report (−50) and the 奖励 (+100) included — with the reason.
    h1_lines = r.person("H1")["lines"]
    assert {l["component"] for l in h1_lines} >= {"base", "assessment", "general", "missing_report", "adjustment"}
    assert all(l["amount"] == "0.00" for l in h1_lines) and r.total("H1") == "0.00"
    assert any("7天内自动离职" in f for f in r.person("H1")["flags"])
    # …but H1's 业绩 still counts for 二组: 团队提成 1 % × (10000 + 25000) = 350.00, and H1's assessment
    # (700 × 10 % = 70) is left out of the 管理奖金: S3's 700 × 25000/50000 = 350.00, not 70.00.
    assert r.amount("B1", "team_commission") == "350.00"
    assert r.amount("B1", "management_bonus") == "350.00"
    # H2 辞退 on day 3 is paid as R40 says: 1500 × 3/31 = 145.161… → 145.16; probation 700 × 100 % → 845.16
    assert r.total("H2") == "845.16"
    # H3 left on day 8 (10–17 May): paid: 1500 × 8/31 = 387.096… → 387.10; + 700 → 1 087.10
    assert r.total("H3") == "1087.10"


def test_R43_R44_init_templates_have_the_new_columns_and_every_type_in_the_drop_down(tmp_path):
    import openpyxl

    target = tmp_path / "w"
    assert invoke("init", str(target)).exit_code == 0
    sheet = openpyxl.load_workbook(target / "模板" / "调整.xlsx").active
    headers = [c.value for c in sheet[1]]
    assert headers[-3:] == ["日期", "编号", "参考"]
    kinds = [dv.formula1 for dv in sheet.data_validations.dataValidation if "奖励" in dv.formula1]
    assert kinds == ['"奖励,罚款,补发,扣发,扣业绩,确认例外,取消业绩,早餐,私事,上网,不正当手段,举报奖励,不服从,晨会缺席"']
    roster = openpyxl.load_workbook(target / "staff.xlsx").active
    assert [c.value for c in roster[1]][-1] == "离职类型"
    assert any(dv.formula1 == '"自动离职,辞退"' for dv in roster.data_validations.dataValidation)


def test_R43_R44_plan_a_needs_no_code_of_its_own(ws):
    from test_pay import PLAN_A_SHIPPED

    month(ws, staff=[person("S1", "王芳"),
                     {**person("H1", "新人甲", hired=d(10), left=d(15)), "离职类型": "自动离职"},
                     {**person("H3", "新人丙", hired=d(10), left=d(17)), "离职类型": None}],
          adjust=[row("S1", "早餐", 6), row("S1", "不服从", 7)])
    r = run_month(ws.root, "2024-05", "--rules", str(PLAN_A_SHIPPED))
    assert r.exit_code == 0, r.output
    # plan A: base 1500 × 31/31 = 1 500.00 (no quota); 早餐 −20.00; 不服从 −50 % × 1 500.00 = −750.00 → 730.00
    assert r.amount("S1", "breakfast") == "-20.00" and r.amount("S1", "insubordination") == "-750.00"
    assert r.total("S1") == "730.00"
    # H1 (10–15 May, 6 days, 自动离职): 1500 × 6/31 = 290.32 → 0.00; H3 (8 days): 1500 × 8/31 = 387.10
    assert r.total("H1") == "0.00" and r.total("H3") == "387.10"


def test_R44_a_hire_spanning_two_months_is_zeroed_in_both_and_a_closed_month_is_named(ws):
    staff = [person("S1", "王芳"),
             {**person("H1", "新人甲", hired=dt.date(2024, 4, 28), left=d(2)), "离职类型": None}]
    write_xlsx(ws.root / "staff.xlsx", STAFF, staff, sheet="人员名单")
    ws.people = staff
    ws.month("2024-04")
    ws.month("2024-05")
    april = run_month(ws.root, "2024-04")
    # 28 April – 2 May: 5 days. April: 1500 × 3/30 = 150.00 and 700 (probation) → every line 0.00
    assert april.exit_code == 0, april.output
    assert april.total("H1") == "0.00" and all(l["amount"] == "0.00" for l in april.person("H1")["lines"])
    assert invoke("close", "2024-04", "--workspace", str(ws.root)).exit_code == 0
    cli = invoke("run", "2024-05", "--workspace", str(ws.root))
    assert cli.exit_code == 0, cli.output
    assert "H1 新人甲 入职 7 天内自动离职，跨越已关账的 2024-04" in cli.output
    may = json.loads((ws.root / "output" / "2024-05" / "settlement.json").read_text(encoding="utf-8"))
    assert may["people"]["H1"]["total"] == "0.00"


def test_R43_R44_R45_rules_are_validated_like_the_rest(tmp_path):
    from settle.problems import Problems
    from settle.rules.loader import default_rules_dir, load_policy

    text = (default_rules_dir() / "default.yaml").read_text(encoding="utf-8")
    bad = (text.replace("improper_means_multiplier: 2 ", "improper_means_multiplier: 0 ")
               .replace("whistleblower_share: 50%", "whistleblower_share: 150%")
               .replace("carry_negative_pay: true", "carry_negative_pay: maybe")
               .replace("  within_days: 7 ", "  within_day: 7 "))
    path = tmp_path / "rules.yaml"
    path.write_text(bad, encoding="utf-8")
    problems = Problems()
    assert load_policy(path, problems) is None
    line = {key: next(i for i, l in enumerate(bad.splitlines(), 1) if l.strip().startswith(key))
            for key in ("improper_means_multiplier", "whistleblower_share", "carry_negative_pay", "within_day")}
    got = sorted((p.row, p.column) for p in problems)
    assert got == sorted([(line["improper_means_multiplier"], "discipline.improper_means_multiplier"),
                          (line["whistleblower_share"], "discipline.whistleblower_share"),
                          (line["within_day"], "new_hire_leaver.within_day"),
                          (line["carry_negative_pay"], "carry_negative_pay")])


def _without_R42_to_R45(tmp_path):
    """default.yaml as a version written before R42–R45: their blocks and keys removed."""
    import re

    from settle.rules.loader import default_rules_dir

    text = (default_rules_dir() / "default.yaml").read_text(encoding="utf-8")
    for key in ("interdept_referral", "discipline", "new_hire_leaver"):
        text, n = re.subn(rf"^{key}:\n(?:[ #].*\n|\n)*", "", text, flags=re.M)
        assert n == 1, key
    text, n = re.subn(r"^carry_negative_pay: true.*\n", "", text, flags=re.M)
    assert n == 1 and "discipline" not in text and "carry_negative_pay" not in text
    path = tmp_path / "before_R42.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_R43_R44_R45_absent_keys_mean_off(ws, tmp_path):
    """SPEC §10: keys of R42–R47 absent from a rules file mean the feature is off, so a version
    written before them keeps its figures. H1 hired 10 May, left 15 May (6 days, 自动离职) is paid as
    R40 says: 1500 × 6/31 = 290.322… → 290.32, probation assessment 700 × 100 % → 990.32 (under the
    shipped rules R44 makes it 0.00). S1's 罚款 500 makes −500.00, not carried to June (R45 off)."""
    rules = _without_R42_to_R45(tmp_path)
    staff = [person("S1", "王芳"), {**person("H1", "新人甲", hired=d(10), left=d(15)), "离职类型": "自动离职"}]
    month(ws, staff=staff, adjust=[row("S1", "罚款", 6, 500)])
    r = run_month(ws.root, "2024-05", "--rules", str(rules))
    assert r.exit_code == 0, r.output
    assert r.total("H1") == "990.32" and not any("7天内自动离职" in f for f in r.person("H1")["flags"])
    assert r.total("S1") == "-500.00" and "carry_forward" not in r.person("S1")
    shipped = run_month(ws.root, "2024-05")
    assert shipped.total("H1") == "0.00" and shipped.person("S1")["carry_forward"]["amount"] == "-500.00"


def test_R43_off_a_discipline_row_is_an_error_not_ignored(ws, tmp_path):
    """With R43 off, an 早餐 row of MONTH would change nobody's pay: a positioned error at its 类型
    cell, exit 2, nothing written — never −20.00 silently dropped."""
    rules = _without_R42_to_R45(tmp_path)
    month(ws, staff=[person("S1", "王芳")], adjust=[row("S1", "奖励", 6, 100), row("S1", "早餐", 7)])
    r = run_month(ws.root, "2024-05", "--rules", str(rules))
    assert r.exit_code == 2 and r.data is None
    v = invoke("validate", "2024-05", "--workspace", str(ws.root), "--rules", str(rules), "--json")
    (p,) = [p for p in json.loads(v.stdout)["problems"] if p["code"] != "no_data_rows"]
    assert (p["file"], p["row"], p["column"], p["code"], p["value"]) == ("2024-05/调整.xlsx", 3, "类型", "discipline_off", "早餐")
    assert p["message"].startswith('类型 "早餐" 是奖惩行（R43），但本月的规则中没有 discipline')
