"""settle diff (SPEC §12, issue 27): the causes of each person's changed 应发合计 add up to the
difference to the fen — whatever was edited between the two results — and each kind of edit is
named as the cause it is (the billing line by file › sheet › row and 病历号, the bracket crossed,
the rules' keys, the days employed, the adjustment row).

Both results are month records (settlement.json as `run` records it), computed in memory from a
tiny workspace before and after the edits (`settle.api.run_month(...).to_json()`).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from builders import ADJ_HEADERS, Workspace, bill, person, reg, write_xlsx
from settle import api
from settle.disputes.lines import MEMORY, credited_frame

MAY = "2024-05"
DEFAULT_RULES = Path(__file__).resolve().parent.parent / "src" / "settle" / "default_rules" / "default.yaml"
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if os.environ.get("PROPERTY_SHRINK") else [])


def roster(left=None) -> list[dict]:
    """S1, S2 regular 业务员 of 一组 (S2 may leave), M1 its 主管, D1 the 主任."""
    return [person("S1", "王芳", regular=dt.date(2023, 3, 1)), person("S2", "李娜", regular=dt.date(2023, 3, 1), left=left),
            person("M1", "张伟", role="主管", regular=dt.date(2023, 3, 1)),
            person("D1", "李建国", role="主任", team=None, regular=dt.date(2023, 3, 1))]


def base_month() -> dict:
    """Registrations of P1–P3 (S1, S1, S2) and their May lines; W1 is a walk-in (nobody's)."""
    regs = [reg(dt.datetime(2024, 5, 1, 8), "S1", "P1", name="赵一"), reg(dt.datetime(2024, 5, 1, 8, 5), "S1", "P2",
                                                                          name="钱二"),
            reg(dt.datetime(2024, 5, 1, 8, 10), "S2", "P3", name="孙三")]
    billing = [bill(dt.datetime(2024, 5, 3, 10), 9000, "P1", record="0000101", name="赵一"),
               bill(dt.datetime(2024, 5, 4, 10), 1000, "P2", record="0000102", name="钱二", category="体检"),
               bill(dt.datetime(2024, 5, 5, 10), 6000, "P3", record="0000103", name="孙三"),
               bill(dt.datetime(2024, 5, 6, 10), 800, "W1", record="0000104", name="周四")]
    return {"regs": regs, "billing": billing, "adjust": [], "left": None, "rules": None}


def record(root: Path, m: dict) -> dict:
    """The month's settlement.json, as `run` would record it, computed in memory."""
    if root.exists():
        shutil.rmtree(root)
    ws = Workspace(root).staff(roster(m["left"]))
    ws.month(MAY, regs=m["regs"], billing=m["billing"], adjust=m["adjust"])
    rules = None
    if m["rules"] is not None:
        rules = root / "other.yaml"
        rules.write_text(yaml.safe_dump(m["rules"], allow_unicode=True), encoding="utf-8")
    result = api.run_month(root, MAY, rules=rules)
    assert result.ok, [p.text("en") for p in result.problems.errors]
    s = result.settlement   # the record and its credited.parquet, as `run` writes them, in memory
    return {**result.to_json(), MEMORY: credited_frame(s.shares, s.credit.lines)}


def diff(tmp: Path, before: dict, after: dict, person=None):
    return api.diff_records(record(tmp / "a", before), record(tmp / "b", after), month=MAY, before_label="a",
                            after_label="b", person=person)


def default_rules() -> dict:
    return yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))


def person_diff(cmp, sid):
    return next(p for p in cmp.people if p.staff_id == sid)


def kinds(p) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for c in p.causes:
        out[c.kind] = out.get(c.kind, Decimal(0)) + c.amount
    return out


# --- the property ---------------------------------------------------------------------------------

EDIT = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(["P1", "P2", "P3", "W1"]), st.integers(1, 4000_00),
              st.sampled_from(["门诊", "体检", "工伤", "住院"])),
    st.tuples(st.just("remove"), st.integers(0, 3)),
    st.tuples(st.just("refund"), st.integers(0, 3), st.integers(1, 100)),
    st.tuples(st.just("register"), st.sampled_from(["S1", "S2"])),
    st.tuples(st.just("adjust"), st.sampled_from(["S1", "S2", "M1"]), st.sampled_from(["奖励", "罚款", "扣业绩"]),
              st.integers(1, 500)),
    st.tuples(st.just("tier"), st.integers(0, 7), st.integers(1, 120)),
    st.tuples(st.just("leave"), st.integers(1, 31)),
)


def apply(m: dict, edits) -> tuple[dict, set[str]]:
    """The month after `edits`, and the cause kinds those edits may produce."""
    m = {**m, "regs": list(m["regs"]), "billing": list(m["billing"]), "adjust": list(m["adjust"])}
    may = {"rounding", "bracket", "line_added", "line_removed", "refund_added", "refund_removed", "team_lowest",
           "insubordination"}
    for i, e in enumerate(edits):
        if e[0] == "add":
            key = e[1]
            m["billing"].append(bill(dt.datetime(2024, 5, 10 + i, 11), Decimal(e[2]) / 100, key, category=e[3],
                                     record=f"00002{i:02d}", name="赵一"))
        elif e[0] == "remove" and m["billing"]:
            m["billing"].pop(e[1] % len(m["billing"]))
        elif e[0] == "refund" and m["billing"]:
            line = m["billing"][e[1] % len(m["billing"])]
            refund = {**line, "金额": -round(Decimal(str(line["金额"])) * e[2] / 100, 2),
                      "结算日期": dt.date(2024, 5, 20 + i % 8)}
            m["billing"].append(refund)
        elif e[0] == "register":
            m["regs"].append(reg(dt.datetime(2024, 5, 1, 7, 30 + i), e[1], "W1", name="周四"))
        elif e[0] == "adjust":
            row = {"工号": e[1], "类型": e[2], "事由": "测试", "批准人": "主任"}
            row["金额"] = f"{e[3] % 100}%" if e[2] == "扣业绩" else e[3]
            m["adjust"].append(row)
            may |= {"adjustment", "factor"}
        elif e[0] == "tier":
            rules = m["rules"] or default_rules()
            general = next(s for s in rules["streams"] if s["id"] == "general")
            general["commission"]["tiers"][e[1]]["rate"] = f"{e[2] / 10}%"
            m["rules"] = rules
            may.add("rules")
        elif e[0] == "leave":
            m["left"] = dt.date(2024, 5, e[1])
            may.add("days")
    return m, may


@settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "0")) or 12, deadline=None, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(EDIT, min_size=1, max_size=4))
def test_causes_add_up_to_each_difference_to_the_fen(edits):
    """SPEC §12: any set of input edits (billing lines added, removed or refunded, a walk-in
    registered, 调整 rows, a tier rate, a 离职日期) → for every person the causes sum exactly to
    the 应发合计 difference, each cause is in fen, rounding (R37) stays at most half a fen per
    cause, and no cause is of a kind the edits cannot produce."""
    with tempfile.TemporaryDirectory() as tmp:
        after, may = apply(base_month(), edits)
        cmp = diff(Path(tmp), base_month(), after)
        for p in cmp.people:
            total = sum((c.amount for c in p.causes), Decimal(0))
            assert total == p.difference, (p.staff_id, total, p.difference, [c.to_json() for c in p.causes])
            assert all(c.amount == c.amount.quantize(Decimal("0.01")) and c.amount for c in p.causes)
            for line in p.lines:   # per payslip line too: the line's causes are its own difference
                assert sum((c.amount for c in p.causes if c.component == line.component), Decimal(0)) == \
                    sum((l.difference for l in p.lines if l.component == line.component), Decimal(0))
            got = set(kinds(p))
            assert got <= may | {"reg_confirmed", "reg_rejected", "share_changed"}, (got - may, edits)
            rounding = kinds(p).get("rounding", Decimal(0))
            assert abs(rounding) <= Decimal("0.01") * len(p.causes), (p.staff_id, rounding)


# --- one test per cause kind ----------------------------------------------------------------------

def test_added_line_is_named_by_its_place_and_record_number(tmp_path):
    """A billing line added for S1's patient P1 (1 000.00 门诊): S1's 业绩 10 000 (9 000 门诊 + 1 000
    体检) → 11 000. 业绩提成 (R11, 3 % tier): +30.00; 基本工资 (R30) 1500 × 11000/20000 − 1500 ×
    10000/20000 = +75.00; 绩效考核 (R33) 700 × 1000/50000 = +14.00 — one cause of +119.00, the line."""
    after = base_month()
    after["billing"].append(bill(dt.datetime(2024, 5, 9, 10), 1000, "P1", record="0000199", name="赵一"))
    p = person_diff(diff(tmp_path, base_month(), after, "S1"), "S1")
    (cause, names), = p.grouped()
    assert (p.difference, cause.kind, cause.amount) == (Decimal("119.00"), "line_added", Decimal("119.00"))
    assert (cause.params["file"], cause.params["sheet"], cause.params["row"], cause.params["record_no"],
            cause.params["patient"]) == ("2024-05/收费明细.xlsx", "Sheet1", 6, "0000199", "赵*")
    assert set(names) == {"业绩提成", "基本工资", "绩效考核"}


def test_team_and_department_follow_the_members_line(tmp_path):
    """R34/R35/R30: the same +1 000.00 line moves M1's 团队提成 (1 % of the team's 业绩: +10.00) and
    D1's 部门提成 (1 % up to 100 000, 超额累进: +10.00) and 基本工资 (5000 × the regular 业务员's mean
    业绩 / 20000: the mean rises by 500, +125.00) — each attributed to S1's line."""
    after = base_month()
    after["billing"].append(bill(dt.datetime(2024, 5, 9, 10), 1000, "P1", record="0000199", name="赵一"))
    cmp = diff(tmp_path, base_month(), after)
    for sid, amount in (("M1", "10.00"), ("D1", "135.00")):
        (cause, _), = person_diff(cmp, sid).grouped()
        assert (cause.kind, cause.amount, cause.params["staff_id"], cause.params["row"]) == \
            ("line_added", Decimal(amount), "S1", 6)


def test_bracket_crossed_is_its_own_cause(tmp_path):
    """R11 全额累进: S1 9 000 + 11 500 → 20 500 crosses 20 000 (3 % → 4 %). 业绩提成 270.00 → 820.00:
    the line at the old rate 11 500 × 3 % = 345.00, the bracket 20 500 × (4 % − 3 %) = 205.00."""
    after = base_month()
    after["billing"].append(bill(dt.datetime(2024, 5, 9, 10), 11500, "P1", record="0000199", name="赵一"))
    p = person_diff(diff(tmp_path, base_month(), after, "S1"), "S1")
    general = {c.kind: c.amount for c in p.causes if c.component == "general"}
    assert general == {"line_added": Decimal("345.00"), "bracket": Decimal("205.00")}
    bracket = next(c for c in p.causes if c.kind == "bracket")
    assert (bracket.params["rate_before"], bracket.params["rate_after"]) == ("3%", "4%")


def test_rules_change_names_the_keys(tmp_path):
    """A rules version with the first tier at 3.5 %: S1's 业绩提成 9 000 × 0.5 % = +45.00, S2's
    6 000 × 0.5 % = +30.00, each a rules cause naming streams[general].commission.tiers[0].rate."""
    after = base_month()
    rules = default_rules()
    next(s for s in rules["streams"] if s["id"] == "general")["commission"]["tiers"][0]["rate"] = "3.5%"
    after["rules"] = rules
    cmp = diff(tmp_path, base_month(), after)
    for sid, amount in (("S1", "45.00"), ("S2", "30.00")):
        (cause, _), = person_diff(cmp, sid).grouped()
        assert (cause.kind, cause.amount, cause.params["keys"]) == \
            ("rules", Decimal(amount), "streams[general].commission.tiers[0].rate")
    assert [k for k, _, _ in cmp.rules_keys] == ["streams[general].commission.tiers[0].rate"]


def test_days_employed(tmp_path):
    """R30 prorated: S2 leaves on 2024-05-15 (15 of 31 days). 基本工资 1500 × 6000/20000 = 450.00
    → 450 × 15/31 = 217.74: −232.26, the days employed 31 → 15; nothing else of S2's changes
    (the 业绩 stays credited: the line is of 05-05)."""
    after = {**base_month(), "left": dt.date(2024, 5, 15)}
    p = person_diff(diff(tmp_path, base_month(), after, "S2"), "S2")
    days = [c for c in p.causes if c.kind == "days"]
    assert [(c.component, c.amount, c.params["days_before"], c.params["days_after"]) for c in days] == \
        [("base", Decimal("-232.26"), 31, 15)]
    assert sum((c.amount for c in p.causes), Decimal(0)) == p.difference


def test_adjustment_row_and_refund(tmp_path):
    """A 奖励 row of 200.00 for S1 (R38) and a 300.00 refund of P3's line (S2, 6 000 → 5 700:
    业绩提成 −9.00, 基本工资 −22.50, 绩效考核 −4.20 = −35.70)."""
    after = base_month()
    after["adjust"].append({"工号": "S1", "类型": "奖励", "金额": 200, "事由": "表彰", "批准人": "主任"})
    after["billing"].append({**after["billing"][2], "金额": -300, "结算日期": dt.date(2024, 5, 20)})
    cmp = diff(tmp_path, base_month(), after)
    (s1, _), = person_diff(cmp, "S1").grouped()
    (s2, _), = person_diff(cmp, "S2").grouped()
    assert (s1.kind, s1.amount) == ("adjustment", Decimal("200.00"))
    assert (s2.kind, s2.amount, s2.params["record_no"]) == ("refund_added", Decimal("-35.70"), "0000103")


def test_a_registration_credits_a_walk_in(tmp_path):
    """W1's 800.00 was nobody's; S2 registers W1 before the visit: S2's 业绩 +800 — 业绩提成 +24.00,
    基本工资 +60.00, 绩效考核 +11.20 = +95.20, the line now credited."""
    after = base_month()
    after["regs"].append(reg(dt.datetime(2024, 5, 2, 9), "S2", "W1", name="周四"))
    (cause, _), = person_diff(diff(tmp_path, base_month(), after, "S2"), "S2").grouped()
    assert (cause.kind, cause.amount, cause.params["record_no"]) == ("line_added", Decimal("95.20"), "0000104")


def test_diff_command_writes_beside_the_outputs_and_verify_ignores_it(tmp_path):
    """`settle diff` after a rerun: the published result against history/, 差异说明.xlsx in
    output/MONTH/, verify still exit 0; the rerun's summary names the change."""
    from typer.testing import CliRunner

    from settle.cli import app
    ws = Workspace(tmp_path / "ws").staff(roster())
    m = base_month()
    ws.month(MAY, regs=m["regs"], billing=m["billing"])
    assert api.settle_month(ws.root, MAY).status == "ok"
    write_xlsx(ws.root / MAY / "调整.xlsx", ADJ_HEADERS, [{"工号": "S1", "类型": "奖励", "金额": 1250, "事由": "表彰",
                                                          "批准人": "主任"}])
    runner = CliRunner()
    rerun = runner.invoke(app, ["run", MAY, "--workspace", str(ws.root)])
    assert rerun.exit_code == 0, rerun.output
    assert "与上次结算相比：1 人变化，合计 +1,250.00" in rerun.output
    assert "王芳（S1）+1,250.00：调整行 2024-05/调整.xlsx 第 2 行" in rerun.output
    got = runner.invoke(app, ["diff", MAY, "--workspace", str(ws.root)])
    assert got.exit_code == 0, got.output
    assert "1 人变化，合计 +1,250.00" in got.output and "调整行 2024-05/调整.xlsx 第 2 行" in got.output
    assert (ws.root / "output" / MAY / "差异说明.xlsx").is_file()
    assert runner.invoke(app, ["verify", MAY, "--workspace", str(ws.root)]).exit_code == 0
    en = runner.invoke(app, ["diff", MAY, "--workspace", str(ws.root), "--lang", "en", "--json", "--quiet"])
    assert en.exit_code == 0 and '"total": "1250.00"' in en.output and "adjustment row 2024-05/调整.xlsx row 2" in en.output


def test_nothing_to_compare(tmp_path):
    """A month settled once has no earlier run: a positioned error, exit 2, nothing written."""
    ws = Workspace(tmp_path / "ws").staff(roster())
    m = base_month()
    ws.month(MAY, regs=m["regs"], billing=m["billing"])
    assert api.settle_month(ws.root, MAY).status == "ok"
    d = api.diff_month(ws.root, MAY)
    assert [p.code for p in d.problems] == ["diff_no_earlier_run"] and d.comparison is None
    assert not (ws.root / "output" / MAY / "差异说明.xlsx").exists()


def test_a_month_recorded_before_its_lines_still_adds_up(tmp_path):
    """Old months stay readable: a record without "credited" (settled before SPEC §12) names the
    业绩 change as a whole — S1's +1 000.00 line is +119.00 of 业绩 (no line to name) — still
    adding up to the fen, and the diff says the lines were not recorded."""
    after = base_month()
    after["billing"].append(bill(dt.datetime(2024, 5, 9, 10), 1000, "P1", record="0000199", name="赵一"))
    old = record(tmp_path / "a", base_month())
    del old["credited"], old[MEMORY]
    cmp = api.diff_records(old, record(tmp_path / "b", after), month=MAY, before_label="a", after_label="b")
    p = person_diff(cmp, "S1")
    assert not cmp.lines_recorded
    assert kinds(p) == {"performance": Decimal("119.00")} and p.difference == Decimal("119.00")


def test_a_registration_confirmed_or_rejected_names_its_rule(tmp_path):
    """R23 老患者: S2 registers W1 after W1's visit of 05-06, so the registration is not credited;
    a 确认例外 row (§3.5) credits it: S2 +95.20 (800 × 3 % + 1500 × 800/20000 + 700 × 800/50000),
    named as the registration now credited with its R-code — and the other way round rejected."""
    flagged = base_month()
    flagged["regs"].append(reg(dt.datetime(2024, 5, 7, 9), "S2", "W1", name="周四"))
    confirmed = {**flagged, "adjust": [{"工号": "S2", "类型": "确认例外", "患者标识": "W1", "事由": "主任确认",
                                        "批准人": "主任"}]}
    (cause, _), = person_diff(diff(tmp_path, flagged, confirmed, "S2"), "S2").grouped()
    assert (cause.kind, cause.amount, cause.params["code"], cause.params["rule"], cause.params["record_no"]) == \
        ("reg_confirmed", Decimal("95.20"), "existing_patient", "R23", "0000104")
    (cause, _), = person_diff(diff(tmp_path, confirmed, flagged, "S2"), "S2").grouped()
    assert (cause.kind, cause.amount, cause.params["rule"]) == ("reg_rejected", Decimal("-95.20"), "R23")


def test_carried_debt(tmp_path):
    """R45: April's S1 ends at −(fine) and carries it to May as 上月欠款. April is rerun with a
    smaller fine: May's rerun deducts less — the cause is the carried debt, naming April."""
    ws = Workspace(tmp_path / "ws").staff(roster())
    m = base_month()
    for fine in (20000, 19000):
        ws.month("2024-04", adjust=[{"工号": "S1", "类型": "罚款", "金额": fine, "事由": "测试", "批准人": "主任"}])
        ws.month(MAY, regs=m["regs"], billing=m["billing"])
        assert api.settle_month(ws.root, "2024-04").status == "ok"
        assert api.settle_month(ws.root, MAY).status == "ok"
    p = person_diff(api.diff_month(ws.root, MAY, write=False).comparison, "S1")
    (cause, _), = p.grouped()
    assert (cause.kind, cause.amount, cause.params["rule"], p.difference) == \
        ("carried", Decimal("1000.00"), "R45", Decimal("1000.00"))


def test_two_named_runs(tmp_path):
    """SPEC §12 "or two named runs": --run names the later side in history/, the earlier side is
    the run it replaced (or --against); an unknown name lists the runs kept."""
    ws = Workspace(tmp_path / "ws").staff(roster())
    m = base_month()
    ws.month(MAY, regs=m["regs"], billing=m["billing"])
    assert api.settle_month(ws.root, MAY).status == "ok"
    ws.month(MAY, regs=m["regs"], billing=m["billing"], adjust=[{"工号": "S2", "类型": "奖励", "金额": 300,
                                                                 "事由": "表彰", "批准人": "主任"}])
    assert api.settle_month(ws.root, MAY).status == "ok"
    assert api.settle_month(ws.root, MAY).status == "ok"          # the same again: history holds 2 runs
    first, second = sorted(p.name for p in (ws.root / "output" / MAY / "history").iterdir())
    d = api.diff_month(ws.root, MAY, run=second, write=False)
    assert [(p.staff_id, p.difference) for p in d.comparison.people] == [("S2", Decimal("300.00"))]
    assert api.diff_month(ws.root, MAY, run=second, against=second, write=False).comparison.people == []
    bad = api.diff_month(ws.root, MAY, run="nope", write=False)
    assert [p.code for p in bad.problems] == ["diff_unknown_run"] and first in bad.problems.items[0].text("zh")
