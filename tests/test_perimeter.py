"""The perimeter (SPEC §8.1, issue 11): exit 0 means the month the clerk meant.

One small workspace per point, built in the test: dates outside MONTH, the same file or line
twice, missing kinds, open workbooks, the roster, earlier months judged on their own, messages in
the clerk's words, masked --json, the workspace found upwards, every catalogue entry rendered.
"""

import datetime as dt
import json
import re
import shutil
import string
import time

import numpy as np
import pandas as pd
import pytest

from builders import BILL_HEADERS, REG_HEADERS, bill, person, reg, team, write_xlsx
from conftest import invoke
from settle.engine.pipeline import compute, load
from settle.load.perimeter import duplicate_lines, find_workspace
from settle.load.workspace import Month
from settle.problems import CATALOGUE, Problem, Problems, problem

MAY = Month(2024, 5)
D = dt.datetime


def validate(ws, month=MAY):
    problems = Problems()
    loaded = load(ws.root, month, problems)
    return loaded, problems


def codes(problems, code):
    return [p for p in problems if p.code == code]


# --- 1. dates outside MONTH -----------------------------------------------------------------------

def test_an_export_of_another_month_in_the_month_folder_is_an_error(ws, settle):
    """April's billing export dropped into 2024-05/: all 3 of its dated lines settle in April."""
    ws.staff(team())
    ws.month("2024-05", billing=[bill(D(2024, 4, d, 10), 100, "P1") for d in (3, 4, 5)])
    _, problems = validate(ws)
    [p] = codes(problems, "outside_month_file")
    assert p.is_error and p.file == "2024-05/收费明细.xlsx"
    assert p.text() == "有结算日期的 3 行中 3 行不在 2024-05（2024-04 3 行；2024-05 0 行）：这像是 2024-04 的收费明细，放错了月份文件夹"
    assert p.letter == "B"   # 结算日期 is the second column of the export
    r = settle(ws)
    assert r.exit_code == 2 and r.data is None


def test_a_few_lines_outside_month_are_a_warning_listing_them(ws, settle):
    """4 lines: 2 settle in May, 2 in June (exactly half is not "most"): a warning naming rows 4
    and 5; the June lines do not count (R1), May's 100 + 200 = 300 do."""
    ws.staff(team())
    key = "P1"
    ws.month("2024-05", regs=[reg(D(2024, 5, 1, 9), "S1", key)],
             billing=[bill(D(2024, 5, 3, 10), 100, key), bill(D(2024, 5, 4, 10), 200, key),
                      bill(D(2024, 5, 30, 10), 400, key, settled=dt.date(2024, 6, 2)),
                      bill(D(2024, 5, 31, 10), 800, key, settled=dt.date(2024, 6, 3))])
    _, problems = validate(ws)
    assert not codes(problems, "outside_month_file")
    [p] = codes(problems, "outside_month_rows")
    assert not p.is_error and p.file == "2024-05/收费明细.xlsx" and p.column == "结算日期"
    assert "第 4、5 行" in p.text() and "2 行" in p.text() and "R1" in p.text()
    r = settle(ws)
    assert r.exit_code == 0 and r.person("S1")["performance"] == "300.00"


def test_registrations_outside_month_likewise(ws):
    """3 of 4 registrations of 2024-05/登记表 are dated in April: an error; 1 of 4: a warning."""
    ws.staff(team())
    ws.month("2024-05", regs=[reg(D(2024, 4, 10 + i, 9), "S1", f"P{i}") for i in range(3)]
             + [reg(D(2024, 5, 2, 9), "S1", "P9")])
    _, problems = validate(ws)
    [p] = codes(problems, "outside_month_file")
    assert p.is_error and p.file == "2024-05/登记表.xlsx" and "有登记时间的 4 行中 3 行不在 2024-05（2024-04 3 行；2024-05 1 行）：这像是 2024-04 的登记表" in p.text()
    ws.month("2024-05", regs=[reg(D(2024, 4, 30, 9), "S1", "P0")]
             + [reg(D(2024, 5, 2 + i, 9), "S1", f"P{i + 1}") for i in range(3)])
    _, problems = validate(ws)
    [p] = codes(problems, "outside_month_rows")
    assert not p.is_error and p.file == "2024-05/登记表.xlsx" and "第 2 行" in p.text()
    # One late-entered registration alone (SPEC §6) is a warning, not "another month's 登记表".
    ws.month("2024-05", regs=[reg(D(2024, 4, 30, 17), "S1", "P0")])
    _, problems = validate(ws)
    assert [p.code for p in problems if p.code != "no_data_rows"] == ["outside_month_rows"]   # header-only 收费明细


def test_earlier_months_folders_are_not_judged_by_month(ws):
    """April's folder holds April's rows: nothing is outside MONTH there."""
    ws.staff(team())
    ws.month("2024-04", regs=[reg(D(2024, 4, 2, 9), "S1", "P1")], billing=[bill(D(2024, 4, 3, 10), 100, "P1")])
    ws.month("2024-05", billing=[bill(D(2024, 5, 3, 10), 100, "P1")])
    _, problems = validate(ws)
    assert not codes(problems, "outside_month_file") and not codes(problems, "outside_month_rows")


# --- 2. duplicates -------------------------------------------------------------------------------

def test_the_same_file_twice_is_an_error(ws, settle):
    ws.staff(team())
    folder = ws.month("2024-05", billing=[bill(D(2024, 5, 3, 10), 100, "P1")])
    shutil.copy(folder / "收费明细.xlsx", folder / "收费明细 - 副本.xlsx")
    _, problems = validate(ws)
    [p] = codes(problems, "duplicate_file")
    assert p.is_error and p.file == "2024-05/收费明细.xlsx"   # sorted: "收费明细 - 副本" comes first
    assert "2024-05/收费明细 - 副本.xlsx" in p.text()
    assert not codes(problems, "duplicate_line")  # the copy is the error, not its 1 line
    assert settle(ws).exit_code == 2


def test_last_months_export_again_in_this_month_is_the_same_file_twice(ws):
    """April's 收费明细 copied into 2024-05/ under May's name: an error naming April's file (and
    its lines settle in April). Two equal files both in earlier folders were their month's concern."""
    ws.staff(team())
    april = ws.month("2024-04", billing=[bill(D(2024, 4, 3, 10), 100, "P1")])
    shutil.copy(april / "收费明细.xlsx", april / "收费明细 - 副本.xlsx")
    may = ws.month("2024-05", billing=[])
    shutil.copy(april / "收费明细.xlsx", may / "收费明细.xlsx")
    _, problems = validate(ws)
    assert [(p.file, p.is_error) for p in codes(problems, "duplicate_file")] == [("2024-05/收费明细.xlsx", True)]
    assert "2024-04/收费明细 - 副本.xlsx" in codes(problems, "duplicate_file")[0].text()
    assert codes(problems, "outside_month_file")[0].file == "2024-05/收费明细.xlsx"


def test_the_same_line_in_two_files_counts_once_identical_lines_in_one_file_all_count(ws, settle):
    """上半月: lines A, A (identical, both count) and B; 下半月: A again and C.
    S1's performance: A 100 + A 100 + B 200 + C 400 = 800 (下半月's A is dropped)."""
    ws.staff(team())
    folder = ws.month("2024-05", regs=[reg(D(2024, 5, 1, 9), "S1", "P1")], billing=[])
    (folder / "收费明细.xlsx").unlink()
    a = bill(D(2024, 5, 3, 10), 100, "P1", record="R-A")
    write_xlsx(folder / "收费明细_上半月.xlsx", BILL_HEADERS,
               [a, dict(a), bill(D(2024, 5, 4, 10), 200, "P1", record="R-B")])
    write_xlsx(folder / "收费明细_下半月.xlsx", BILL_HEADERS, [dict(a), bill(D(2024, 5, 20, 10), 400, "P1", record="R-C")])
    _, problems = validate(ws)
    [p] = codes(problems, "duplicate_line")
    assert not p.is_error and (p.file, p.row) == ("2024-05/收费明细_下半月.xlsx", 2)
    assert "2024-05/收费明细_上半月.xlsx › Sheet1 › 第 2 行" in p.text() and "R-A" in p.text()
    r = settle(ws)
    assert r.exit_code == 0 and r.person("S1")["performance"] == "800.00"
    assert r.data["perimeter"]["duplicate_lines"] == 1


def test_duplicate_lines_are_found_on_whole_columns():
    """300 000 lines over two files, every 10th line of the second repeating one of the first:
    15 000 dropped, found in well under a second per 100 000 lines (no per-row loop)."""
    n = 150_000
    rec = np.array([f"R{i:07d}" for i in range(n)], dtype=object)
    visited = pd.Timestamp("2024-05-01") + pd.to_timedelta(np.arange(n) % 1000, unit="min")
    second = rec.copy()
    second[np.arange(n) % 10 != 0] = [f"X{i:07d}" for i in range(n) if i % 10 != 0]
    frame = pd.DataFrame({
        "record_no": pd.array(np.concatenate([rec, second]), dtype="string[pyarrow]"),
        "visited_at": np.concatenate([visited, visited]),
        "category": pd.array(["门诊"] * (2 * n), dtype="string[pyarrow]"),
        "amount_fen": np.tile(np.arange(n) % 5000, 2).astype("int64"),
        "src_file": ["a.xlsx"] * n + ["b.xlsx"] * n, "src_sheet": "Sheet1",
        "src_row": np.tile(np.arange(2, n + 2), 2), "src_month": "2024-05"})
    t0 = time.perf_counter()
    keep, found, dropped = duplicate_lines(frame, MAY, set())
    elapsed = time.perf_counter() - t0
    assert dropped == n // 10 and not keep[n::10].any() and keep[:n].all()
    assert len(found) == 51 and found[-1].code == "duplicate_lines_more"
    assert elapsed < 6, elapsed


# --- 3. missing kinds ----------------------------------------------------------------------------

def test_a_month_without_registrations_or_daily_reports_says_so(ws):
    ws.staff(team())
    folder = ws.month("2024-05", billing=[bill(D(2024, 5, 3, 10), 100, "P1")])
    (folder / "登记表.xlsx").unlink()
    (folder / "日报.xlsx").unlink()
    _, problems = validate(ws)
    [r] = codes(problems, "missing_registrations")
    [d] = codes(problems, "missing_daily")
    assert not r.is_error and not d.is_error
    assert "R27" in d.text() and "R27" in d.text("en") and "每个业务员" in d.text()


# --- 4. open workbooks ---------------------------------------------------------------------------

def test_an_owner_file_beside_an_input_is_a_warning_naming_it(ws):
    ws.staff(team())
    folder = ws.month("2024-05", billing=[bill(D(2024, 5, 3, 10), 100, "P1")])
    (folder / "~$收费明细.xlsx").write_bytes(b"owner")
    (folder / ".~lock.日报.xlsx#").write_text("owner")
    (folder / "~$别的文件.xlsx").write_bytes(b"owner")    # stands for no input: nothing to say
    (ws.root / "~$aff.xlsx").write_bytes(b"owner")          # Excel drops a long name's first two characters
    _, problems = validate(ws)
    found = sorted((p.file, p.params) for p in codes(problems, "owner_file"))
    assert [f for f, _ in found] == ["2024-05/收费明细.xlsx", "2024-05/日报.xlsx", "staff.xlsx"]
    p = codes(problems, "owner_file")[0]
    assert not p.is_error and "未保存的修改不会被读取" in p.text() and "unsaved edits" in p.text("en")


# --- 5. the roster -------------------------------------------------------------------------------

def test_a_person_who_left_before_month_but_has_lines_is_named_with_the_performance_lost(ws):
    """S2 left on 2024-04-20 (a month early); her patient P2 (registered in April) settles 1 500
    and 500 in May: 2 lines, 2 000.00 to 未归属 (R5); her May registration of P3 counts too."""
    ws.staff([person("S1", "王芳"), person("S2", "李娜", left=dt.date(2024, 4, 20))])
    ws.month("2024-04", regs=[reg(D(2024, 4, 2, 9), "S2", "P2")], billing=[])
    ws.month("2024-05", regs=[reg(D(2024, 5, 2, 9), "S2", "P3")],
             billing=[bill(D(2024, 5, 3, 10), 1500, "P2"), bill(D(2024, 5, 4, 10), 500, "P2")])
    r = invoke("run", "2024-05", "--workspace", str(ws.root))
    assert r.exit_code == 0, r.output
    assert "李娜（S2）" in r.output and "2024-04-20" in r.output and "2,000.00" in r.output
    data = json.loads((ws.root / "output/2024-05/settlement.json").read_text(encoding="utf-8"))
    [f] = [f for f in data["perimeter"]["findings"] if f["code"] == "departed_with_lines"]
    assert "1 条登记" in f["message"] and "2 行收费明细" in f["message"] and "2,000.00" in f["message"]
    assert f["column"] == "离职日期" and f["column_letter"] == "G"
    [gone] = data["perimeter"]["departed"]
    assert (gone["staff_id"], gone["registrations"], gone["lines"], gone["performance"]) == ("S2", 1, 2, "2000.00")
    assert data["reconciliation"]["uncredited"]["departed"] == {"count": 2, "fen": 200000}


def test_a_person_on_last_months_payslips_without_one_now_is_listed_with_the_reason(ws):
    ws.staff([person("S1", "王芳"), person("S2", "李娜")])
    ws.month("2024-04")
    assert invoke("run", "2024-04", "--workspace", str(ws.root), "--quiet").exit_code == 0
    ws.staff([person("S1", "王芳"), person("S2", "李娜", left=dt.date(2024, 4, 30))])
    ws.month("2024-05")
    r = invoke("run", "2024-05", "--workspace", str(ws.root))
    assert r.exit_code == 0, r.output
    assert "李娜（S2）2024-04 有工资条，本月没有：离职日期 2024-04-30 早于本月" in r.output
    data = json.loads((ws.root / "output/2024-05/settlement.json").read_text(encoding="utf-8"))
    assert [f["code"] for f in data["perimeter"]["findings"]] == ["vanished_from_payslips"]
    assert data["perimeter"]["vanished"] == [{"staff_id": "S2", "name": "李娜", "previous": "2024-04",
                                              "reason": "离职日期 2024-04-30 早于本月",
                                              "reason_en": "left on 2024-04-30, before this month"}]


# --- 6. each month judged on its own -------------------------------------------------------------

def test_problems_in_earlier_months_rows_are_warnings_of_their_month(ws, settle):
    """April: an unknown salesperson (R25) and an amount that is no amount; May is clean."""
    ws.staff(team())
    ws.month("2024-04", regs=[reg(D(2024, 4, 2, 9), "陈晓东", "P1")],
             billing=[bill(D(2024, 4, 3, 10), "12,3a", "P1")])
    ws.month("2024-05", regs=[reg(D(2024, 5, 2, 9), "S1", "P2")], billing=[bill(D(2024, 5, 3, 10), 100, "P2")])
    _, problems = validate(ws)
    assert not problems.errors
    found = {p.code: p for p in problems.warnings}
    assert found["unknown_staff"].history == "2024-04" and found["bad_money"].history == "2024-04"
    assert "2024-04 的数据" in found["bad_money"].text() and "该行不参与本月的计算" in found["bad_money"].text()
    assert "2024-04's data" in found["bad_money"].text("en")
    r = invoke("validate", "2024-05", "--workspace", str(ws.root))
    assert r.exit_code == 1, r.output
    assert ok_run(settle(ws)).person("S1")["performance"] == "100.00"
    # …while the same problems in May's own rows still stop May.
    ws.month("2024-05", regs=[reg(D(2024, 5, 2, 9), "陈晓东", "P2")], billing=[bill(D(2024, 5, 3, 10), "12,3a", "P2")])
    _, problems = validate(ws)
    assert sorted(p.code for p in problems.errors) == ["bad_money", "unknown_staff"]


def ok_run(r):
    assert r.exit_code == 0, r.output
    return r


# --- 7. the clerk's words ------------------------------------------------------------------------

INTERNAL = re.compile(r"\b(visited_at|settled_on|record_no|patient_name|patient_key|department|category|"
                      r"amount|amount_fen|status|card_no|registered_at|salesperson|channel)\b")


def test_messages_name_columns_as_the_workbook_shows_them(ws):
    """Every billing column broken: each problem says the header text and its letter."""
    ws.staff(team())
    ws.month("2024-05", billing=[
        {"就诊时间": "03/05/2024", "结算日期": "x", "结算状态": "已结算", "病历号": None, "患者姓名": None,
         "患者标识": None, "科室": None, "项目类别": None, "金额": "12,3a"}])
    _, problems = validate(ws)
    assert len(problems.errors) >= 7
    for p in problems:
        assert not INTERNAL.search(p.message("zh")), p.message("zh")
        assert not re.search(r"[a-z]+_[a-z]+", p.message("en")), p.message("en")
    where = {p.column: p.location() for p in problems if p.file and "收费明细" in p.file}
    assert where["就诊时间"].endswith("就诊时间（A列）") and where["金额"].endswith("金额（J列）")
    assert where["病历号"].endswith("病历号（D列）")
    assert [p for p in problems if p.column == "金额"][0].location("en").endswith("金额 (column J)")


def test_problems_are_listed_by_file_sheet_row(ws):
    """Errors first, then by file, sheet, row — whatever order they were found in."""
    ws.staff(team())
    ws.month("2024-05", regs=[reg(D(2024, 5, 2, 9), "nobody", "P1"), reg(D(2024, 5, 2, 9), "S1", "P2"),
                              reg(D(2024, 5, 2, 9), "nobody", "P3")],
             billing=[bill(D(2024, 5, 3, 10), "x", "P1"), bill(D(2024, 5, 3, 10), 1, "P2", dept=None)])
    _, problems = validate(ws)
    got = [(p.file, p.row) for p in problems.in_order() if p.is_error]
    assert got == [("2024-05/收费明细.xlsx", 2), ("2024-05/收费明细.xlsx", 3),
                   ("2024-05/登记表.xlsx", 2), ("2024-05/登记表.xlsx", 4)]
    r = invoke("validate", "2024-05", "--workspace", str(ws.root), "--json")
    listed = [(p["file"], p["row"]) for p in json.loads(r.stdout)["problems"] if p["severity"] == "error"]
    assert listed == got


# --- 8. --json masks patients ------------------------------------------------------------------

def test_json_of_every_command_masks_patient_names_and_identifiers(ws):
    """A patient 欧阳娜娜 with ID 110101199001011234 on an unregistered card (R20), and a 患者标识
    typed as a 16-digit number in a second file (a long_number problem with the value)."""
    ws.staff(team())
    key, name = "110101199001011234", "欧阳娜娜"
    ws.month("2024-05", regs=[reg(D(2024, 5, 2, 9), "S1", key, name=name, card="C1")],
             billing=[bill(D(2024, 5, 3, 10), 100, key, name=name, card="C1"),
                      bill(D(2024, 5, 4, 10), 100, key, name=name, card="NOPE")])
    root = str(ws.root)
    outs = [invoke("run", "2024-05", "-w", root, "--json"), invoke("check-cards", "2024-05", "-w", root, "--json"),
            invoke("explain", "2024-05", "S1", "--lines", "-w", root, "--json"),
            invoke("validate", "2024-05", "-w", root, "--json")]
    for r in outs:
        json.loads(r.stdout)
        assert key not in r.stdout and name not in r.stdout, r.stdout
    cards = json.loads(outs[1].stdout)
    assert [v["patient_key"] for v in cards["violations"] if v["code"] == "unregistered_card"] == ["****1234"]
    # A problem's value in a patient column is masked too.
    from settle.output.privacy import mask_problem
    p = problem("long_number", file="f.xlsx", sheet="S", row=2, column="患者标识", value=key)
    assert mask_problem(p.to_json())["value"] == "****1234" and key not in json.dumps(mask_problem(p.to_json()))
    p = problem("control_char", file="f.xlsx", sheet="S", row=2, column="姓名", value=name)
    assert mask_problem(p.to_json())["value"] == "欧**娜"


# --- 9. the workspace, found upwards -------------------------------------------------------------

def test_the_workspace_is_found_upwards_from_a_month_folder(ws, monkeypatch, tmp_path):
    ws.staff(team())
    folder = ws.month("2024-05", billing=[bill(D(2024, 5, 3, 10), 100, "P1")])
    (folder / "sub").mkdir()
    assert find_workspace(None, {}, folder / "sub") == ws.root.resolve()
    assert find_workspace(None, {"SETTLE_WORKSPACE": "/elsewhere"}, folder) == Path_("/elsewhere")
    assert find_workspace("given", {"SETTLE_WORKSPACE": "/elsewhere"}, folder) == Path_("given")
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    assert find_workspace(None, {}, lonely) == lonely
    monkeypatch.delenv("SETTLE_WORKSPACE", raising=False)
    monkeypatch.chdir(folder)
    r = invoke("run", "2024-05", "--quiet")
    assert r.exit_code == 0, r.output
    assert (ws.root / "output/2024-05/settlement.json").exists() and not (folder / "output").exists()


def test_a_run_outside_any_workspace_creates_nothing_there(tmp_path, monkeypatch):
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    monkeypatch.delenv("SETTLE_WORKSPACE", raising=False)
    monkeypatch.chdir(lonely)
    for args in (("run", "2024-05"), ("validate", "2024-05"), ("check-cards", "2024-05")):
        r = invoke(*args)
        assert r.exit_code == 2, r.output
        assert list(lonely.iterdir()) == [], (args, list(lonely.iterdir()))
    assert "不是工作目录" in invoke("run", "2024-05").output


def Path_(p):
    from pathlib import Path
    return Path(p)


# --- 10. every catalogue message renders -----------------------------------------------------------

def test_every_catalogue_entry_renders_its_template_in_both_languages():
    for code, (_, zh, en) in CATALOGUE.items():
        names = {f for t in (zh, en) for _, f, _, _ in string.Formatter().parse(t) if f}
        p = problem(code, file="2024-05/收费明细.xlsx", sheet="Sheet1", row=3, column="金额", value="12,3a",
                    **{n: f"样例{n}" for n in names if n not in ("value", "column")})
        for lang in ("zh", "en"):
            text = p.message(lang)
            assert code not in text and "{" not in text and "}" not in text and "'" + "value" not in text, (code, text)
            assert text.strip()


def test_a_template_missing_its_parameters_never_shows_a_raw_code_or_dict():
    """missing_column used to print "missing_column {'aliases': …, 'value': ''}"."""
    p = Problem("missing_column", "f.xlsx", "Sheet1", 1, "科室", None, (("aliases", "科室、department"),))
    assert p.text() == "缺少必需的列“科室”（可用列名：科室、department）"
    bare = Problem("outside_month_file", "f.xlsx")
    for lang in ("zh", "en"):
        assert "{" not in bare.text(lang) and "outside_month_file" not in bare.text(lang)


def test_a_year_export_says_which_months_its_lines_lie_in(ws):
    """SPEC §8.1 (issue 24.6): counts count what the message says. A billing export of several
    months in May's folder: 9 of its 10 dated lines lie outside May — 4 in 2024-01, 3 in 2024-03,
    2 in 2024-02 (largest first) — and 1 in May. It used to say "9 / 10 行的结算日期在 2024-01"."""
    ws.staff(team())
    days = [(1, 3), (1, 4), (1, 5), (1, 6), (3, 3), (3, 4), (3, 5), (2, 3), (2, 4), (5, 3)]
    ws.month("2024-05", billing=[bill(D(2024, m, d, 10), 100, "P1") for m, d in days])
    _, problems = validate(ws)
    [p] = codes(problems, "outside_month_file")
    assert p.text("zh") == ("有结算日期的 10 行中 9 行不在 2024-05（2024-01 4 行、2024-03 3 行、2024-02 2 行；2024-05 1 行）："
                            "这些行分布在 4 个月，像是多个月份的收费明细（如全年导出）：请只放入 2024-05 的行")
    assert p.text("en") == ("9 of the 10 rows with a 结算日期 lie outside 2024-05 (2024-01: 4, 2024-03: 3, 2024-02: 2; "
                            "2024-05: 1): the rows lie in 4 months, like several months' billing (a whole year's "
                            "export): put only 2024-05's rows in the folder")


def test_months_past_the_sixth_are_counted_together(ws):
    """Eight other months, one line each: six named, "另有 2 个月共 2 行"; no May line."""
    ws.staff(team())
    ws.month("2024-05", billing=[bill(D(2023, m, 3, 10), 100, "P1") for m in range(1, 9)])
    _, problems = validate(ws)
    [p] = codes(problems, "outside_month_file")
    assert "（2023-01 1 行、2023-02 1 行、2023-03 1 行、2023-04 1 行、2023-05 1 行、2023-06 1 行、另有 2 个月共 2 行；" \
           "2024-05 0 行）：这些行分布在 8 个月" in p.text("zh")
