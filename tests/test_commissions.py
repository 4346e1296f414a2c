"""Commission streams and partner rebates (SPEC §4 R6, §5 R8–R18), figures worked out by hand.

Every expected figure is computed from the SPEC's words, not from the engine: the arithmetic
is written next to each assertion. Unless a test says otherwise the people are regular
业务员 of 一组 (hired 2023-01-01, so 转正 long before May 2024), every daily report is on time
(no R27 deduction), May 2024 has 31 days and the registrations are made on 1 May 09:00, well
before the visits (no R22/R23).

Regular staff's other lines follow from their month performance P (R30, R33):
base = 1500 × min(1, max(0, P)/20000), assessment = 700 × min(1, max(0, P)/50000).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import openpyxl
import pytest
import yaml

from builders import Workspace, bill, person, reg
from conftest import Result, invoke

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "src" / "settle" / "default_rules" / "default.yaml"
REG_AT = dt.datetime(2024, 5, 1, 9, 0)
APR_REG_AT = dt.datetime(2024, 4, 1, 9, 0)


def may(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2024, 5, day, hour)


def apr(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2024, 4, day, hour)


def refund(visited: dt.datetime, amount, key, *, settled: dt.date, **kw) -> dict:
    """A refund line of an earlier visit, settled in `settled`'s month (R1)."""
    return bill(visited, amount, key, settled=settled, **kw)


def run_month(root: Path, month: str = "2024-05", *extra: str) -> Result:
    """`settle run MONTH` for fixtures wider than one test (the `settle` fixture is per test)."""
    return Result(invoke("run", month, "--workspace", str(root), "--quiet", *extra), root, month)


def default_rules() -> dict:
    return yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))


def write_rules(path: Path, rules: dict) -> Path:
    path.write_text(yaml.safe_dump(rules, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def stream(rules: dict, sid: str) -> dict:
    return next(s for s in rules["streams"] if s["id"] == sid)


def rebate_rows(r: Result) -> list[dict]:
    """返款汇总.xlsx's 返款明细 sheet as dicts keyed by header (the header row is the one with
    合作单位); R46 moved the rebate lines out of 部门汇总."""
    wb = openpyxl.load_workbook(r.root / "output" / r.month / "返款汇总.xlsx", read_only=True)
    rows = [list(row) for row in wb["返款明细"].iter_rows(values_only=True)]
    head = next(i for i, row in enumerate(rows) if "合作单位" in row and "返款" in row)
    header = rows[head]
    out = []
    for row in rows[head + 1:]:
        if row[0] in (None, "合计"):
            continue
        out.append(dict(zip(header, row)))
    return out


def partner_totals(r: Result) -> dict[str, str]:
    return {p["partner"]: p["total"] for p in r.data["rebates"]}


# --- R8 per case -------------------------------------------------------------------------------

def test_R8_per_case_amounts_per_patient_and_category(ws, settle):
    ws.staff([person("S1", "王芳")])
    ws.month("2024-05",
             regs=[reg(REG_AT, "S1", k, name="患者" + k) for k in ("P1", "P2", "P3", "P5")],
             billing=[
                 # P1 剖宫产 5000 + 3000 = 8000 > 0: one case (not two lines = two cases) → 200
                 bill(may(2), 5000, "P1", category="剖宫产"),
                 bill(may(3), 3000, "P1", category="剖宫产"),
                 # P1 顺产 is another (patient, 项目类别): one more case → 100
                 bill(may(4), 1000, "P1", category="顺产"),
                 # P2 剖宫产 6000 → 200
                 bill(may(5), 6000, "P2", category="剖宫产"),
                 # P3 剖宫产 4000 − 4000 = 0: no case → 0
                 bill(may(6), 4000, "P3", category="剖宫产"),
                 refund(may(6), -4000, "P3", category="剖宫产", settled=dt.date(2024, 5, 7)),
                 # P5: one case each of the four other per-case categories → 300 + 200 + 60 + 500
                 bill(may(7), 10000, "P5", category="VIP月子套餐"),
                 bill(may(8), 3000, "P5", category="产后康复套餐"),
                 bill(may(9), 2000, "P5", category="体外碎石"),
                 bill(may(10), 9000, "P5", category="结石住院手术"),
             ])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # per_case = 200 + 100 + 200 + 0 + (300 + 200 + 60 + 500) = 1560.00
    assert r.amount("S1", "per_case") == "1560.00"
    assert r.column("S1", "提成") == "1560.00"
    # P = 8000 + 1000 + 6000 + 0 + 10000 + 3000 + 2000 + 9000 = 39000
    assert r.person("S1")["performance"] == "39000.00"
    # base 1500 × min(1, 39000/20000) = 1500.00; assessment 700 × 39000/50000 = 546.00
    # total 1500 + 546 + 1560 = 3606.00
    assert r.amount("S1", "base") == "1500.00"
    assert r.amount("S1", "assessment") == "546.00"
    assert r.total("S1") == "3606.00"


def test_R8_refund_in_may_reverses_an_april_case(ws, settle):
    ws.staff([person("S1", "王芳")])
    ws.month("2024-04", regs=[reg(APR_REG_AT, "S1", "P1")],
             billing=[bill(apr(3), 8000, "P1", category="剖宫产")])
    # The April 剖宫产 is refunded in full, settled in May: May's net for (P1, 剖宫产) is −8000 < 0.
    ws.month("2024-05", billing=[refund(apr(3), -8000, "P1", category="剖宫产", settled=dt.date(2024, 5, 6))])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # a net < 0 reverses one case: −1 × 200 = −200.00
    assert r.amount("S1", "per_case") == "-200.00"
    # P = −8000 → base 1500 × max(0, P)/20000 = 0, assessment 0; total −200.00
    assert r.amount("S1", "base") == "0.00"
    assert r.total("S1") == "-200.00"


def test_R8_network_overlap_half_a_case(ws, settle):
    ws.staff([person("S1", "王芳"), person("N1", "网络甲", role="网络部", team=None)])
    ws.month("2024-05",
             regs=[reg(dt.datetime(2024, 5, 1, 8), "N1", "P1"), reg(REG_AT, "S1", "P1")],
             billing=[bill(may(3), 8000, "P1", category="剖宫产")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # R4: 50 % each; R8: 200 per case × share 0.5 = 100.00
    assert r.amount("S1", "per_case") == "100.00"
    # performance 0.5 × 8000 = 4000 each side
    assert r.person("S1")["performance"] == "4000.00"
    assert r.data["network"]["N1"]["performance"] == "4000.00"
    # base 1500 × 4000/20000 = 300.00; assessment 700 × 4000/50000 = 56.00; total 456.00
    assert r.total("S1") == "456.00"


# --- R9 工伤 8 %, R10 体检 30 % ------------------------------------------------------------------

def test_R9_injury_8_percent(ws, settle):
    ws.staff([person("S1", "王芳")])
    ws.month("2024-05", regs=[reg(REG_AT, "S1", "P1")],
             billing=[bill(may(2), 10000, "P1", category="工伤"), bill(may(9), 2500, "P1", category="工伤")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # 8 % × (10000 + 2500) = 1000.00
    assert r.amount("S1", "injury") == "1000.00"
    # base 1500 × 12500/20000 = 937.50; assessment 700 × 12500/50000 = 175.00; total 2112.50
    assert r.total("S1") == "2112.50"


def test_R9_injury_clawback_when_refunds_outweigh(ws, settle):
    ws.staff([person("S1", "王芳")])
    ws.month("2024-04", regs=[reg(APR_REG_AT, "S1", "P1")], billing=[bill(apr(2), 3000, "P1", category="工伤")])
    ws.month("2024-05", billing=[refund(apr(2), -3000, "P1", category="工伤", settled=dt.date(2024, 5, 5)),
                                 bill(may(3), 1000, "P1", category="工伤")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # stream performance −3000 + 1000 = −2000 → 8 % × −2000 = −160.00 (a clawback)
    assert r.amount("S1", "injury") == "-160.00"
    # base and assessment 0 (P < 0): total −160.00
    assert r.total("S1") == "-160.00"


def test_R10_exam_30_percent_health_certificate_and_checkup(ws, settle):
    ws.staff([person("S1", "王芳")])
    ws.month("2024-05", regs=[reg(REG_AT, "S1", "P1"), reg(REG_AT, "S1", "P2")],
             billing=[bill(may(2), 2000, "P1", category="体检"), bill(may(3), 500, "P2", category="健康证")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # 30 % × (2000 + 500) = 750.00
    assert r.amount("S1", "exam") == "750.00"
    # base 1500 × 2500/20000 = 187.50; assessment 700 × 2500/50000 = 35.00; total 972.50
    assert r.total("S1") == "972.50"


def test_R10_exam_clawback_negative(ws, settle):
    ws.staff([person("S1", "王芳")])
    ws.month("2024-04", regs=[reg(APR_REG_AT, "S1", "P1")], billing=[bill(apr(2), 1500, "P1", category="体检")])
    ws.month("2024-05", billing=[refund(apr(2), -1500, "P1", category="体检", settled=dt.date(2024, 5, 4)),
                                 bill(may(6), 500, "P1", category="健康证")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # 30 % × (−1500 + 500) = −300.00
    assert r.amount("S1", "exam") == "-300.00"
    assert r.total("S1") == "-300.00"


# --- R11 whole-amount brackets ------------------------------------------------------------------

# (staff id, general-stream performance P, expected commission, arithmetic)
BRACKETS = [
    ("B01", "19999.99", "600.00"),      # 3 % × 19999.99 = 599.9997 → 600.00
    ("B02", "20000.00", "800.00"),      # 4 % × 20000 (the whole amount, not the slice above)
    ("B03", "29999.99", "1200.00"),     # 4 % × 29999.99 = 1199.9996 → 1200.00
    ("B04", "30000.00", "1500.00"),     # 5 % × 30000
    ("B05", "49999.99", "2500.00"),     # 5 % × 49999.99 = 2499.9995 → 2500.00
    ("B06", "50000.00", "3000.00"),     # 6 % × 50000
    ("B07", "69999.99", "4200.00"),     # 6 % × 69999.99 = 4199.9994 → 4200.00
    ("B08", "70000.00", "4900.00"),     # 7 % × 70000
    ("B09", "99999.99", "7000.00"),     # 7 % × 99999.99 = 6999.9993 → 7000.00
    ("B10", "100000.00", "8000.00"),    # 8 % × 100000
    ("B11", "149999.99", "12000.00"),   # 8 % × 149999.99 = 11999.9992 → 12000.00
    ("B12", "150000.00", "13500.00"),   # 9 % × 150000
    ("B13", "199999.99", "18000.00"),   # 9 % × 199999.99 = 17999.9991 → 18000.00
    ("B14", "200000.00", "20000.00"),   # 10 % × 200000 (≥ 200 000 is 10 %)
    ("B15", "250000.00", "25000.00"),   # 10 % cap rate × 250000
]


@pytest.fixture(scope="module")
def brackets(tmp_path_factory) -> Result:
    """One month, one person per bracket edge, plus P ≤ 0 and an exact P of 19 999.995."""
    ws = Workspace(tmp_path_factory.mktemp("brackets") / "ws")
    ws.staff([person(sid, "员工" + sid) for sid, _, _ in BRACKETS]
             + [person("Z1", "负业绩"), person("H1", "半份"), person("N1", "网络甲", role="网络部", team=None)])
    ws.month("2024-04", regs=[reg(APR_REG_AT, "Z1", "KZ")], billing=[bill(apr(2), 1000, "KZ")])
    regs = [reg(REG_AT, sid, "K" + sid) for sid, _, _ in BRACKETS]
    billing = [bill(may(2), float(p), "K" + sid) for sid, p, _ in BRACKETS]
    # Z1: the April 门诊 1000 refunded in May → P = −1000
    billing.append(refund(apr(2), -1000, "KZ", settled=dt.date(2024, 5, 3)))
    # H1 shares a patient with 网络部 (R4 50 %): P = 0.5 × 39999.99 = 19999.995 exactly
    regs += [reg(dt.datetime(2024, 5, 1, 8), "N1", "KH"), reg(REG_AT, "H1", "KH")]
    billing.append(bill(may(4), 39999.99, "KH"))
    ws.month("2024-05", regs=regs, billing=billing)
    r = run_month(ws.root)
    assert r.exit_code == 0, r.output
    return r


@pytest.mark.parametrize("sid,perf,expected", BRACKETS, ids=[p for _, p, _ in BRACKETS])
def test_R11_bracket_edges(brackets, sid, perf, expected):
    assert brackets.person(sid)["performance"] == perf
    assert brackets.amount(sid, "general") == expected


def test_R11_bracket_edge_20000(brackets):
    # 19 999.99 is still 3 % (599.9997 → 600.00); 20 000.00 pays 4 % of all of it: 800.00
    assert brackets.amount("B01", "general") == "600.00"
    assert brackets.amount("B02", "general") == "800.00"
    # B02 total: base 1500 × 20000/20000 = 1500.00; assessment 700 × 20000/50000 = 280.00 → 2580.00
    assert brackets.total("B02") == "2580.00"


def test_R11_non_positive_performance_pays_nothing(brackets):
    # P = −1000 ≤ 0 → 0 (no negative general commission); base, assessment 0 → total 0.00
    assert brackets.person("Z1")["performance"] == "-1000.00"
    assert brackets.amount("Z1", "general") in ("0.00", None)
    assert brackets.column("Z1", "提成") == "0.00"
    assert brackets.total("Z1") == "0.00"


def test_R11_bracket_chosen_on_exact_performance(brackets):
    # P = 19999.995 (shown rounded as 20000.00) is below 20 000 → 3 %: 599.99985 → 600.00, not 800.00
    assert brackets.person("H1")["performance"] == "20000.00"
    assert brackets.amount("H1", "general") == "600.00"


# --- R12 engine ---------------------------------------------------------------------------------

def test_R12_marginal_tiers(ws, settle, tmp_path):
    rules = default_rules()
    stream(rules, "general")["commission"] = {
        "type": "tiers", "mode": "marginal",
        "tiers": [{"from": 0, "to": 20000, "rate": "3%"}, {"from": 20000, "to": 30000, "rate": "4%"},
                  {"from": 30000, "rate": "5%"}]}
    path = write_rules(tmp_path / "marginal.yaml", rules)
    ws.staff([person("S1", "王芳")])
    ws.month("2024-05", regs=[reg(REG_AT, "S1", "P1")], billing=[bill(may(2), 35000, "P1")])
    r = settle(ws, "2024-05", "--rules", str(path))
    assert r.exit_code == 0, r.output
    # 20000 × 3 % + 10000 × 4 % + 5000 × 5 % = 600 + 400 + 250 = 1250.00 (whole would be 1750)
    assert r.amount("S1", "general") == "1250.00"


def test_R12_caps_and_floors(ws, settle, tmp_path):
    rules = default_rules()
    stream(rules, "general")["cap"] = 1000
    stream(rules, "injury")["floor"] = 50
    pay = {c["id"]: c for c in rules["pay"]}
    pay["department_commission"]["cap"] = 300
    pay["assessment"]["floor"] = 100
    path = write_rules(tmp_path / "capped.yaml", rules)
    ws.staff([person("S1", "王芳"), person("S2", "李娜"), person("D1", "张主任", role="主任", team=None)])
    ws.month("2024-05", regs=[reg(REG_AT, "S1", "P1"), reg(REG_AT, "S2", "P2")],
             billing=[bill(may(2), 40000, "P1"), bill(may(3), 100, "P2", category="工伤")])
    r = settle(ws, "2024-05", "--rules", str(path))
    assert r.exit_code == 0, r.output
    # S1: 5 % × 40000 = 2000 > cap 1000 → 1000.00
    assert r.amount("S1", "general") == "1000.00"
    # S2: 8 % × 100 = 8 < floor 50 → 50.00
    assert r.amount("S2", "injury") == "50.00"
    # pay components too: S2 assessment 700 × 100/50000 = 1.40 < floor 100 → 100.00;
    # S1's 700 × 40000/50000 = 560.00 is above the floor
    assert r.amount("S2", "assessment") == "100.00"
    assert r.amount("S1", "assessment") == "560.00"
    # department 1 % × (40000 + 100) = 401 > cap 300 → 300.00
    assert r.amount("D1", "department_commission") == "300.00"


def test_R12_first_match_wins(ws, settle, tmp_path):
    rules = default_rules()
    general = stream(rules, "general")
    rules["streams"] = [general] + [s for s in rules["streams"] if s is not general]
    path = write_rules(tmp_path / "general_first.yaml", rules)
    ws.staff([person("S1", "王芳")])
    ws.month("2024-05", regs=[reg(REG_AT, "S1", "P1")], billing=[bill(may(2), 8000, "P1", category="剖宫产")])
    r = settle(ws, "2024-05", "--rules", str(path))
    assert r.exit_code == 0, r.output
    # the catch-all stream listed first takes the 剖宫产 line: 3 % × 8000 = 240.00, no per-case line
    assert r.amount("S1", "general") == "240.00"
    assert r.amount("S1", "per_case") is None


def _bad_rules(tmp_path: Path, old: str, new: str, name: str) -> tuple[Path, str]:
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    bad = text.replace(old, new)
    path = tmp_path / name
    path.write_text(bad, encoding="utf-8")
    return path, bad


def _line_of(text: str, fragment: str) -> int:
    lines = text.splitlines()
    hits = [i + 1 for i, l in enumerate(lines) if fragment in l]
    assert len(hits) == 1, fragment
    return hits[0]


def _refused(ws, tmp_path, path: Path) -> list[dict]:
    """validate and run both exit 2 on the rules; run writes nothing. Returns validate's problems."""
    ws.staff([person("S1", "王芳")])
    ws.month("2024-05", regs=[reg(REG_AT, "S1", "P1")], billing=[bill(may(2), 100, "P1")])
    v = invoke("validate", "2024-05", "--workspace", str(ws.root), "--rules", str(path), "--json")
    assert v.exit_code == 2, v.output
    problems = json.loads(v.stdout)["problems"]
    r = invoke("run", "2024-05", "--workspace", str(ws.root), "--rules", str(path))
    assert r.exit_code == 2, r.output
    assert not (ws.root / "output" / "2024-05").exists()
    assert path.name in r.output
    return [p for p in problems if p["severity"] == "error"]


def _names(p: dict, *fragments: str) -> bool:
    return all(f in _all_text(p) for f in fragments)


@pytest.mark.parametrize("case", ["overlapping", "gapped", "unsorted"])
def test_R12_bad_tiers_refused_naming_file_key_path_and_line(ws, tmp_path, case):
    # default.yaml: streams[3] is general; its tiers[2] is {from: 30000, to: 50000, rate: 5%}
    if case == "overlapping":   # tiers[2] starts below tiers[1]'s end
        old, new = "- {from: 30000, to: 50000, rate: 5%}", "- {from: 25000, to: 50000, rate: 5%}"
        fragment, index = "from: 25000", 2
    elif case == "gapped":      # tiers[2] starts above tiers[1]'s end
        old, new = "- {from: 30000, to: 50000, rate: 5%}", "- {from: 31000, to: 50000, rate: 5%}"
        fragment, index = "from: 31000", 2
    else:                       # tiers[1] and tiers[2] swapped: 0–2万, 3–5万, 2–3万 …
        old = ("- {from: 20000, to: 30000, rate: 4%}\n        - {from: 30000, to: 50000, rate: 5%}")
        new = ("- {from: 30000, to: 50000, rate: 5%}\n        - {from: 20000, to: 30000, rate: 4%}")
        fragment, index = None, None
    path, text = _bad_rules(tmp_path, old, new, f"{case}.yaml")
    errors = _refused(ws, tmp_path, path)
    assert errors, "no error reported"
    p = errors[0]
    assert p["file"] == path.name
    if index is None:  # unsorted: either swapped tier may be the one named, with its own line
        found = re.search(r"streams\[3\]\.commission\.tiers\[(\d)\]", _all_text(p))
        assert found and found.group(1) in ("1", "2"), p
        index = int(found.group(1))
        fragment = {1: "- {from: 30000, to: 50000", 2: "- {from: 20000, to: 30000"}[index]
    assert _names(p, f"streams[3].commission.tiers[{index}]"), p
    assert p["row"] == _line_of(text, fragment), p


def _all_text(p: dict) -> str:
    return " ".join(str(p.get(k) or "") for k in ("file", "column", "message"))


def test_R12_unknown_key_refused(ws, tmp_path):
    # streams[1] is injury; an unknown key under its commission
    path, text = _bad_rules(tmp_path, "      type: percent\n      rate: 8%",
                            "      type: percent\n      rate: 8%\n      bonus_rate: 2%", "unknown_key.yaml")
    errors = _refused(ws, tmp_path, path)
    p = errors[0]
    assert p["file"] == path.name
    assert _names(p, "streams[1].commission.bonus_rate"), p
    assert p["row"] == _line_of(text, "bonus_rate"), p


def test_R12_wrong_type_refused(ws, tmp_path):
    # streams[1] (injury) rate is not a rate
    path, text = _bad_rules(tmp_path, "      type: percent\n      rate: 8%", "      type: percent\n      rate: lots",
                            "wrong_type.yaml")
    errors = _refused(ws, tmp_path, path)
    p = errors[0]
    assert p["file"] == path.name
    assert _names(p, "streams[1].commission.rate"), p
    assert p["row"] == _line_of(text, "rate: lots"), p


def test_R12_unknown_stream_refused(ws, tmp_path):
    # rebates[1] (enterprise_exam) matches stream 'exam'; name a stream that does not exist
    path, text = _bad_rules(tmp_path, "      streams: [exam]", "      streams: [examz]", "unknown_stream.yaml")
    errors = _refused(ws, tmp_path, path)
    p = errors[0]
    assert p["file"] == path.name
    assert _names(p, "rebates[1].match.streams", "examz"), p
    assert p["row"] == _line_of(text, "streams: [examz]"), p


# --- R13 supervisors and directors earn streams -------------------------------------------------

def test_R13_supervisor_and_director_earn_their_own_streams(ws, settle):
    ws.staff([person("L1", "李主管", role="主管", team="一组"), person("D1", "张主任", role="主任", team=None)])
    ws.month("2024-05", regs=[reg(REG_AT, "L1", "P1"), reg(REG_AT, "D1", "P2"), reg(REG_AT, "D1", "P3")],
             billing=[bill(may(2), 10000, "P1"), bill(may(3), 8000, "P2", category="剖宫产"),
                      bill(may(4), 1000, "P3", category="工伤")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # 主管: 3 % × 10000 = 300.00; base 1500 × 10000/20000 = 750.00; assessment 700 × 0.2 = 140.00;
    # no 业务员 in 一组: management bonus 0, team commission 1 % × 0 = 0 → 1190.00
    assert r.amount("L1", "general") == "300.00"
    assert r.total("L1") == "1190.00"
    # 主任: one 剖宫产 case 200.00, 工伤 8 % × 1000 = 80.00; base 5000 × 1 (no regular 业务员);
    # department 1 % × (10000 + 9000) = 190.00 → 5000 + 200 + 80 + 190 = 5470.00
    assert r.amount("D1", "per_case") == "200.00"
    assert r.amount("D1", "injury") == "80.00"
    assert r.total("D1") == "5470.00"


# --- R14 劳务工 per head ------------------------------------------------------------------------

def labour(at, who, heads, new, partner="甲工厂"):
    return reg(at, who, None, name=None, channel="劳务工", partner=partner, new=new, heads=heads, card_type=None)


def test_R14_labour_headcount(ws, settle):
    ws.staff([person("S1", "王芳")])
    # April's binding is not paid in May (only registrations dated in MONTH)
    ws.month("2024-04", regs=[labour(dt.datetime(2024, 4, 20, 9), "S1", 100, "否")])
    ws.month("2024-05", regs=[labour(may(2, 9), "S1", 10, "否"), labour(may(3, 9), "S1", 5, "是", "乙工厂"),
                              labour(may(4, 9), "S1", 3, "是", "丙工厂")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # 10 × 1 + (5 + 3) × 2 = 26.00
    assert r.amount("S1", "labour") == "26.00"
    assert r.column("S1", "提成") == "26.00"
    # per-head pay is not performance: P = 0 → base 0, assessment 0; total 26.00
    assert r.person("S1")["performance"] == "0.00"
    assert r.total("S1") == "26.00"


# --- R15–R17 rebates, R6 performance ------------------------------------------------------------

def pharmacy(at, who, key, card, partner, card_type="手术卡"):
    return reg(at, who, key, card=card, card_type=card_type, channel="药店", partner=partner,
               referrer="店员小李", phone="13800000000")


def test_R15_pharmacy_surgery_card_replaces_R17(ws, settle):
    ws.staff([person("S1", "王芳"), person("S2", "李娜"), person("S3", "赵敏")])
    ws.month("2024-05",
             regs=[pharmacy(REG_AT, "S1", "P1", "C1", "大药房"), pharmacy(REG_AT, "S2", "P2", "C2", "二药房"),
                   pharmacy(REG_AT, "S3", "P3", "C3", "三药房")],
             billing=[bill(may(2), 2000, "P1", card="C1", category="剖宫产", record="R-small"),
                      bill(may(3), 8000, "P1", card="C1", category="剖宫产", record="R-large"),
                      bill(may(4), 1000, "P1", card="C1", category="门诊", record="R-clinic"),
                      bill(may(5), 2000, "P2", card="C2", category="门诊", record="R-nosurg"),
                      # P3: two equal largest surgery lines → the first in file order carries the 100
                      bill(may(6), 6000, "P3", card="C3", category="结石住院手术", record="T-first"),
                      bill(may(7), 6000, "P3", card="C3", category="结石住院手术", record="T-second")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # P1 has surgery: 100 on the largest surgery line (8000), no 15 % on any of P1's lines.
    # per_case performance 2000 + (8000 − 100) = 9900; general 1000 → P = 10900
    assert r.person("S1")["performance"] == "10900.00"
    assert r.amount("S1", "per_case") == "200.00"           # one 剖宫产 case
    assert r.amount("S1", "general") == "30.00"             # 3 % × 1000
    # base 1500 × 10900/20000 = 817.50; assessment 700 × 10900/50000 = 152.60
    # total 817.50 + 152.60 + 200 + 30 = 1200.10
    assert r.total("S1") == "1200.10"
    assert partner_totals(r)["大药房"] == "100.00"
    rows = [x for x in rebate_rows(r) if x["合作单位"] == "大药房"]
    assert sorted((x["病历号"], float(x["返款"])) for x in rows) == [("R-large", 30.0), ("R-large", 70.0)]
    # P2 has no surgery in May: R17 15 % × 2000 = 300 → performance 1700, general 3 % = 51.00;
    # base 1500 × 1700/20000 = 127.50; assessment 700 × 1700/50000 = 23.80 → 202.30
    assert partner_totals(r)["二药房"] == "300.00"
    assert r.person("S2")["performance"] == "1700.00"
    assert r.amount("S2", "general") == "51.00"
    assert r.total("S2") == "202.30"
    # P3: 100 on T-first; performance 6000 − 100 + 6000 = 11900; one 结石住院手术 case 500.00
    rows = [x for x in rebate_rows(r) if x["合作单位"] == "三药房"]
    assert sorted((x["病历号"], float(x["返款"])) for x in rows) == [("T-first", 30.0), ("T-first", 70.0)]
    assert r.person("S3")["performance"] == "11900.00"
    assert r.amount("S3", "per_case") == "500.00"


def test_R16_enterprise_exam_40_percent(ws, settle):
    ws.staff([person("S1", "王芳")])
    ws.month("2024-05", regs=[reg(REG_AT, "S1", "P1", channel="企业体检", partner="某企业")],
             billing=[bill(may(2), 1000, "P1", category="体检"), bill(may(3), 500, "P1", category="健康证"),
                      bill(may(4), 2000, "P1", category="门诊")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # exam lines: 40 % × 1500 = 600 rebate → exam performance 900 → 30 % = 270.00
    # the 门诊 line is not in stream 体检 and 企业体检 is not an R17 channel: no rebate → 3 % × 2000 = 60.00
    assert partner_totals(r) == {"某企业": "600.00"}
    assert r.amount("S1", "exam") == "270.00"
    assert r.amount("S1", "general") == "60.00"
    # P = 2900: base 1500 × 2900/20000 = 217.50; assessment 700 × 2900/50000 = 40.60
    # total 217.50 + 40.60 + 270 + 60 = 588.10
    assert r.person("S1")["performance"] == "2900.00"
    assert r.total("S1") == "588.10"


def test_R17_referral_partners_15_percent_reduce_performance(ws, settle):
    ws.staff([person("S1", "王芳")])
    ws.month("2024-05",
             regs=[reg(REG_AT, "S1", "P1", channel="诊所", partner="康复诊所", referrer="刘医生", phone="139"),
                   reg(REG_AT, "S1", "P2", channel="医院", partner="人民医院", referrer="陈医生", phone="137"),
                   reg(REG_AT, "S1", "P3", channel="工厂", partner="甲工厂")],
             billing=[bill(may(2), 2000, "P1"), bill(may(3), 2000, "P2"), bill(may(4), 2000, "P3")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # 15 % × 2000 = 300 per partner
    assert partner_totals(r) == {"康复诊所": "300.00", "人民医院": "300.00", "甲工厂": "300.00"}
    # R6: 业绩 = 3 × (2000 − 300) = 5100 → general 3 % = 153.00
    assert r.person("S1")["performance"] == "5100.00"
    assert r.amount("S1", "general") == "153.00"
    # base 1500 × 5100/20000 = 382.50; assessment 700 × 5100/50000 = 71.40 → 606.90
    assert r.total("S1") == "606.90"
    assert r.violations("large_rebate") == []


def test_R17_confirmed_registration_without_partner_owes_under_unnamed(ws, settle):
    ws.staff([person("S1", "王芳")])
    # a 诊所 referral without 合作单位 is R24 (rejected) until a 确认例外 confirms it
    ws.month("2024-05", regs=[reg(REG_AT, "S1", "P1", channel="诊所", referrer="刘医生", phone="139")],
             billing=[bill(may(2), 2000, "P1")],
             adjust=[{"工号": "S1", "类型": "确认例外", "患者标识": "P1", "事由": "主任核实", "批准人": "主任"}])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # 15 % × 2000 = 300 owed under 未填合作单位; performance 1700 → 3 % = 51.00
    assert partner_totals(r) == {"未填合作单位": "300.00"}
    assert r.person("S1")["performance"] == "1700.00"
    assert r.amount("S1", "general") == "51.00"


def test_R6_performance_is_share_times_amount_minus_whole_line_rebate(ws, settle):
    ws.staff([person("S1", "王芳"), person("N1", "网络甲", role="网络部", team=None)])
    ws.month("2024-05",
             regs=[reg(dt.datetime(2024, 5, 1, 8), "N1", "P1"),
                   reg(REG_AT, "S1", "P1", channel="诊所", partner="康复诊所", referrer="刘医生", phone="139")],
             billing=[bill(may(2), 10000, "P1")])
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # the rebate is on the whole line: 15 % × 10000 = 1500; each side 0.5 × (10000 − 1500) = 4250
    assert partner_totals(r) == {"康复诊所": "1500.00"}
    assert r.person("S1")["performance"] == "4250.00"
    assert r.data["network"]["N1"]["performance"] == "4250.00"
    assert r.amount("S1", "general") == "127.50"            # 3 % × 4250


def test_R17_large_rebate_one_row_per_partner(ws, settle):
    ws.staff([person("S1", "王芳"), person("S2", "李娜")])
    ws.month("2024-05",
             regs=[pharmacy(REG_AT, "S1", "Q1", "C1", "大药房X", card_type="医疗卡"),
                   pharmacy(REG_AT, "S1", "Q2", "C2", "大药房X"),
                   reg(REG_AT, "S2", "Q3", channel="企业体检", partner="甲企业"),
                   reg(REG_AT, "S2", "Q4", channel="企业体检", partner="乙企业"),
                   reg(REG_AT, "S2", "Q5", channel="诊所", partner="康复诊所", referrer="刘医生", phone="139"),
                   # one partner written half-width and full-width: folded to "AB诊所"
                   reg(REG_AT, "S2", "Q6", channel="诊所", partner="AB诊所", referrer="周医生", phone="135"),
                   reg(REG_AT, "S2", "Q7", channel="诊所", partner="ＡＢ诊所", referrer="周医生", phone="135")],
             billing=[bill(may(2), 32800, "Q1", card="C1"),                     # R17 15 % = 4920
                      bill(may(3), 5000, "Q2", card="C2", category="剖宫产"),   # R15 70 + 30 = 100
                      bill(may(4), 12500, "Q3", category="体检"),               # R16 40 % = 5000.00
                      bill(may(5), 12499.98, "Q4", category="体检"),            # R16 40 % = 4999.992
                      bill(may(6), 40000, "Q5"),                                # R17 15 % = 6000
                      bill(may(7), 20000, "Q6"), bill(may(8), 20000, "Q7")])    # 3000 + 3000 (one partner)
    r = settle(ws)
    assert r.exit_code == 0, r.output
    # 大药房X: 4920 + 70 + 30 = 5020.00 ≥ 5000 (without its 店员 30 it would be 4990: the 店员
    # portion counts); 甲企业 exactly 5000.00 ≥ 5000; 乙企业 4999.99 < 5000; 康复诊所 6000.00
    # AB诊所: 15 % × (20000 + 20000) = 6000.00 under one folded name
    assert partner_totals(r) == {"大药房X": "5020.00", "甲企业": "5000.00", "乙企业": "4999.99",
                                 "康复诊所": "6000.00", "AB诊所": "6000.00"}
    large = r.violations("large_rebate")
    assert sorted((v["partner"], v["amount"]) for v in large) == sorted([
        ("大药房X", "5020.00"), ("康复诊所", "6000.00"), ("甲企业", "5000.00"), ("AB诊所", "6000.00")])
    assert all(v["staff_id"] is None for v in large)


# --- R18 义诊 (plan A) ----------------------------------------------------------------------------

def plan_a_rules() -> dict:
    """Plan A (SPEC R36, seed 003 plan 三): the default file's crediting, R17 and violations;
    义诊 stream, marginal 5/6/7 % on performance, 孕妇课 10 per registration, base configurable
    (here a flat 2000 with no quota), director as R35, the 义诊 leader's 2 % and the 1 % fund."""
    d = default_rules()
    director = next(c for c in d["pay"] if c["id"] == "base_director")
    department = next(c for c in d["pay"] if c["id"] == "department_commission")
    return {
        "name": "方案A", "version": 1, "description": "业绩超额累进 5%/6%/7%；义诊；孕妇课",
        "crediting": d["crediting"],
        "streams": [
            {"id": "free_clinic", "name": "义诊提成", "rule": "R18",
             "match": {"channels": ["义诊"], "categories": ["妇科", "顺产", "剖宫产"]},
             "commission": {"type": "percent_by_category", "rates": {"妇科": "7%", "顺产": "8%", "剖宫产": "9%"}}},
            {"id": "general", "name": "业绩提成", "rule": "R36", "match": {},
             "commission": {"type": "tiers", "mode": "marginal",
                            "tiers": [{"from": 0, "to": 50000, "rate": "5%"},
                                      {"from": 50000, "to": 80000, "rate": "6%"},
                                      {"from": 80000, "rate": "7%"}]}},
        ],
        "registration_streams": [
            {"id": "prenatal_class", "name": "孕妇课", "rule": "R36", "match": {"channels": ["孕妇课"]},
             "commission": {"type": "per_registration", "amount": 10},
             "exclude_violations": ["existing_patient"]},
        ],
        # partner rebates as R17 (plan A: 实际业绩=总营业额-返款); no 体检 stream, so no R16
        "rebates": [r for r in d["rebates"] if r["id"] == "referral"],
        "large_rebate_threshold": d["large_rebate_threshold"],
        "pay": [
            {"id": "base", "name": "基本工资", "rule": "R36", "type": "base", "roles": ["业务员", "主管"],
             "amount": 2000, "prorate": True},
            director,
            {"id": "free_clinic_leader", "name": "义诊组长提成", "rule": "R18", "type": "stream_team_percent",
             "roles": ["主管"], "stream": "free_clinic", "rate": "2%"},
            department,
        ],
        "funds": [{"id": "free_clinic_fund", "name": "义诊组活动基金", "rule": "R18", "stream": "free_clinic",
                   "rate": "1%"}],
        "violations": d["violations"],
    }


def write_plan_a(path: Path) -> Path:
    return write_rules(path, plan_a_rules())


def test_R18_free_clinic_stream_leader_and_fund(ws, settle, tmp_path):
    rules = write_plan_a(tmp_path / "plan_a.yaml")
    ws.staff([person("S1", "王芳", team="义诊组"), person("L1", "李组长", role="主管", team="义诊组")])
    yz = dict(channel="义诊", clinic="义诊组")
    ws.month("2024-05",
             regs=[reg(REG_AT, "S1", "Q1", **yz), reg(REG_AT, "S1", "Q2", **yz), reg(REG_AT, "S1", "Q3", **yz),
                   reg(REG_AT, "S1", "Q4", **yz)],
             billing=[bill(may(2), 10000, "Q1", category="妇科"), bill(may(3), 5000, "Q2", category="顺产"),
                      bill(may(4), 20000, "Q3", category="剖宫产"), bill(may(5), 3000, "Q4", category="门诊")])
    r = settle(ws, "2024-05", "--rules", str(rules))
    assert r.exit_code == 0, r.output
    # 义诊: 7 % × 10000 + 8 % × 5000 + 9 % × 20000 = 700 + 400 + 1800 = 2900.00
    assert r.amount("S1", "free_clinic") == "2900.00"
    # the 义诊 门诊 line is no 义诊 category: plan A's performance tiers, 5 % × 3000 = 150.00
    assert r.amount("S1", "general") == "150.00"
    # the 义诊组 leader (主管 of 小组 义诊组): 2 % × 35000 = 700.00, in 团队提成
    assert r.amount("L1", "free_clinic_leader") == "700.00"
    assert r.column("L1", "团队提成") == "700.00"
    # the activity fund 1 % × 35000 = 350.00, nobody's pay
    assert [(f["id"], f["amount"]) for f in r.data["funds"]] == [("free_clinic_fund", "350.00")]
    # S1: base 2000 + 2900 + 150 = 5050.00; L1: 2000 + 700 = 2700.00
    assert r.total("S1") == "5050.00"
    assert r.total("L1") == "2700.00"


def test_R12_every_rules_problem_listed(ws, tmp_path):
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    bad = text.replace("- {from: 30000, to: 50000, rate: 5%}", "- {from: 25000, to: 50000, rate: 5%}") \
              .replace("      streams: [exam]", "      streams: [examz]")
    path = tmp_path / "two_mistakes.yaml"
    path.write_text(bad, encoding="utf-8")
    errors = _refused(ws, tmp_path, path)
    assert any(_names(p, "streams[3].commission.tiers[2]") for p in errors), errors
    assert any(_names(p, "examz") for p in errors), errors


def test_R18_leader_2_percent_of_the_teams_share_only(ws, settle, tmp_path):
    rules = write_plan_a(tmp_path / "plan_a.yaml")
    ws.staff([person("S1", "王芳", team="义诊组"), person("L1", "李组长", role="主管", team="义诊组"),
              person("N1", "网络甲", role="网络部", team=None)])
    ws.month("2024-05",
             regs=[reg(dt.datetime(2024, 5, 1, 8), "N1", "Q1"), reg(REG_AT, "S1", "Q1", channel="义诊", clinic="义诊组")],
             billing=[bill(may(2), 10000, "Q1", category="妇科")])
    r = settle(ws, "2024-05", "--rules", str(rules))
    assert r.exit_code == 0, r.output
    # R4: S1's 义诊 performance is 0.5 × 10000 = 5000 → 7 % = 350.00
    assert r.amount("S1", "free_clinic") == "350.00"
    # the team's 义诊 performance is S1's half (网络部's half is 网络部's performance):
    # 2 % × 5000 = 100.00
    assert r.amount("L1", "free_clinic_leader") == "100.00"
