"""`settle inspect FILE` (SPEC §3.6, issue 24.8): how settle reads one workbook, computing nothing.

The workbook is a hospital export as a clerk gets it: a title row, its own headers (实收金额,
身份证号码, 状态), a 合计 row, a footer, a hidden row and a 汇总 sheet. Inspect must show what
`run` reads: the same lines, the same total.
"""

import datetime as dt
import json

import openpyxl
import pytest

from builders import team
from conftest import invoke
from settle import api
from settle.load.inspection import looks_like, paste_lines, to_json

HEADERS = ["就诊日期", "结算时间", "状态", "住院号", "姓名", "身份证号码", "科室", "项目类别", "实收\n金额（元）", "备注"]


def hospital_export(path, n=7):
    """n lines of 100.00 + 0.50 × i: 100.00 … 103.00, total 100 × 7 + 0.5 × (0+…+6) = 710.50."""
    wb = openpyxl.Workbook()
    s = wb.active
    s.title = "明细"
    s.append(["2024年5月收费明细"])
    s.append(HEADERS)
    for i in range(n):
        s.append([dt.datetime(2024, 5, 1 + i, 9), dt.date(2024, 5, 1 + i), "已结算", f"00{1000 + i}",
                  "欧阳娜娜" if i % 2 else "张三", f"44010119900101{1000 + i}", "内科", "门诊", 100 + i * 0.5, None])
    s.append(["合计", None, None, f"{n} 笔", None, None, None, None, 710.5, None])
    s.append(["制表人：张会计", None, None, None, "打印时间：2024-06-01"])
    s.row_dimensions[5].hidden = True
    t = wb.create_sheet("汇总")
    t.append(["科室", "项目类别", "金额"])
    t.append(["内科", "门诊", 710.5])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


@pytest.fixture
def export(ws):
    ws.staff(team())
    return hospital_export(ws.root / "2024-05" / "收费明细.xlsx")


def test_missing_fields_come_with_their_nearest_headers_and_the_lines_to_paste(ws, export):
    """实收⏎金额（元）, 状态 and 身份证号码 are not built-in names: 金额, 结算状态 and 患者标识 are
    missing, each with its nearest header (by name; 身份证号码 also by content), and the lines
    that would map them — which, once pasted, make the file read."""
    insp = api.inspect_file(export, ws.root)
    assert insp.kind.name == "billing" and insp.kind_from == "name" and insp.exit_code == 2
    sheet = insp.sheets[0]
    assert (sheet.sheet, sheet.status, sheet.header_row) == ("明细", "refused", 2)
    near = {m.display: [(c.letter, c.header, c.by) for c in m.candidates] for m in sheet.missing}
    assert near["金额"][0] == ("I", "实收\n金额（元）", "name")
    assert near["结算状态"][0] == ("C", "状态", "name")
    assert near["患者标识"][0] == ("F", "身份证号码", "name")
    assert insp.settle_yaml == "aliases:\n  收费明细: {结算状态: [状态], 患者标识: [身份证号码], 金额: [实收金额（元）]}"
    (ws.root / "settle.yaml").write_text(insp.settle_yaml + "\n", encoding="utf-8")
    again = api.inspect_file(export, ws.root)
    assert again.exit_code == 1 and not again.problems.errors   # warnings: the hidden row, the 汇总 sheet
    assert [(c.letter, c.field, c.source, c.line) for c in again.sheets[0].columns if c.source == "settle.yaml"] == [
        ("C", "status", "settle.yaml", 2), ("F", "patient_key", "settle.yaml", 2), ("I", "amount", "settle.yaml", 2)]


def test_inspect_shows_what_run_reads(ws, export, settle):
    """Once mapped: 7 lines, 710.50 (exact); title, 合计 and footer rows dropped by reason; row 5
    hidden yet read; 汇总 skipped as a summary sheet; the first five lines masked (SPEC §7); and
    `run` settles the very same 710.50 as the month's billing."""
    (ws.root / "settle.yaml").write_text("aliases:\n  billing: {amount: [实收金额], status: [状态], "
                                         "patient_key: [身份证号码]}\n", encoding="utf-8")
    insp = api.inspect_file(export, ws.root)
    assert (insp.lines, str(insp.amount_total)) == (7, "710.50")
    detail, summary = insp.sheets
    assert detail.dropped == {"title": [1], "summary": [10], "footer": [11]}
    assert detail.hidden_rows == [5] and summary.status == "summary_sheet"
    assert [c.header for c in detail.columns if c.field is None] == ["备注"]
    first = insp.first_lines
    assert len(first) == 5 and first[1]["row"] == 4
    assert first[1]["values"]["姓名"] == "欧**娜" and first[1]["values"]["身份证号码"] == "****1001"
    assert first[1]["values"]["实收金额（元）"] == "100.50" and first[1]["values"]["就诊日期"] == "2024-05-02 09:00"
    ws.month("2024-05")
    hospital_export(export)     # ws.month wrote a blank billing file over it
    r = settle(ws)
    assert r.exit_code == 0, r.output
    rec = r.data["reconciliation"]
    assert (rec["total_count"], rec["total_fen"]) == (7, 71050)


def test_cli_inspect_json_is_the_same_view_masked(ws, export):
    r = invoke("inspect", str(export), "--workspace", str(ws.root), "--json")
    assert r.exit_code == 2
    data = json.loads(r.stdout)
    # 3 columns missing in 明细 and 6 in 汇总: with no full data sheet beside it, 汇总 is not skipped
    assert data["kind"] == "billing" and data["lines"] == 0 and data["errors"] == 3 + 6
    [detail, _] = data["sheets"]
    assert {m["field"] for m in detail["missing"]} == {"status", "patient_key", "amount"}
    assert detail["ignored"][0] == {"column": "C", "header": "状态"}
    assert "欧阳娜娜" not in r.stdout and "440101199001011001" not in r.stdout
    (ws.root / "settle.yaml").write_text(data["settle_yaml"] + "\n", encoding="utf-8")
    r = invoke("inspect", str(export), "--workspace", str(ws.root), "--json")
    data = json.loads(r.stdout)
    assert r.exit_code == 1 and (data["lines"], data["amount_total"]) == (7, "710.50")
    assert data["sheets"][0]["dropped"]["summary"] == {"count": 1, "rows": [10]}
    assert "欧阳娜娜" not in r.stdout and "440101199001011001" not in r.stdout


def test_cli_inspect_table_in_both_languages(ws, export):
    (ws.root / "settle.yaml").write_text("aliases:\n  billing: {amount: [实收金额], status: [状态], "
                                         "patient_key: [身份证号码]}\n", encoding="utf-8")
    zh = invoke("inspect", str(export), "--workspace", str(ws.root))
    assert zh.exit_code == 1
    assert "按收费明细读取（由文件名判断）" in zh.output and "共 7 行，金额合计 710.50" in zh.output
    assert "跳过的行：标题行 1 行（第 1 行）、合计行 1 行（第 10 行）、表尾行 1 行（第 11 行）" in zh.output
    assert "实收金额（settle.yaml 第 2 行）" in zh.output and "欧**娜" in zh.output and "欧阳娜娜" not in zh.output
    en = invoke("inspect", str(export), "--workspace", str(ws.root), "--lang", "en")
    assert "read as billing (from the file name)" in en.output and "7 lines, amount total 710.50" in en.output
    assert "Rows skipped: title 1 (rows 1), summary 1 (rows 10), footer 1 (rows 11)" in en.output


def test_kind_by_option_and_an_unknown_name(ws, tmp_path):
    """导出.xlsx says nothing of its kind: an error naming the kinds, unless --kind says it."""
    path = hospital_export(tmp_path / "导出.xlsx")
    assert api.inspect_file(path, ws.root).exit_code == 2
    [p] = api.inspect_file(path, ws.root).problems.errors
    assert p.code == "inspect_kind" and "收费明细 (billing)" in p.text()
    insp = api.inspect_file(path, ws.root, kind="收费明细")
    assert insp.kind.name == "billing" and insp.kind_from == "option"
    assert api.inspect_file(path, ws.root, kind="billing").kind.name == "billing"


def test_a_format_no_reader_handles_is_refused_by_inspect_too(ws):
    path = ws.root / "2024-05" / "收费明细.et"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    r = invoke("inspect", str(path), "--workspace", str(ws.root), "--json")
    assert r.exit_code == 2
    [p] = json.loads(r.stdout)["problems"]
    assert p["code"] == "unsupported_file" and "另存为 .xlsx" in p["message"]


@pytest.mark.parametrize("values, looks", [
    (["2024-05-01 09:00:00", "2024/5/2", "2024年5月3日"], "dates"),
    (["12.50", "¥1,234.00", "7"], "money"),
    (["440101199001011000", "13900001234", "44010119900101100X"], "keys"),
    (["内科", "外科"], None),
])
def test_columns_are_recognised_by_content(values, looks):
    """What `inspect` proposes for a missing 就诊时间 / 金额 / 患者标识 when no header is near."""
    assert looks_like(values) == looks


def test_paste_lines_quote_what_yaml_would_misread():
    from settle.load.columns import BILLING
    from settle.load.inspection import Candidate, Missing
    text = paste_lines(BILLING, [Missing("amount", "金额", [Candidate("I", "金额: 实收", "name")])])
    assert text == 'aliases:\n  收费明细: {金额: ["金额:实收"]}'
    import yaml
    assert yaml.safe_load(text) == {"aliases": {"收费明细": {"金额": ["金额:实收"]}}}


def test_the_readme_export_reads_as_the_readme_shows(tmp_path):
    """README "你医院的导出文件": the committed export, mapped by the three pasted names: 7 lines,
    710.50, the 合计 and 制表人 rows skipped, row 5 hidden, exit 1 (warnings)."""
    from pathlib import Path
    import shutil
    root = tmp_path / "我的医院"
    (root / "2024-05").mkdir(parents=True)
    data = Path(__file__).parent / "data" / "收费明细_HIS导出.xlsx"
    shutil.copy(data, root / "2024-05")
    first = api.inspect_file(root / "2024-05" / data.name, root)
    assert first.exit_code == 2
    (root / "settle.yaml").write_text(first.settle_yaml + "\n", encoding="utf-8")
    assert first.settle_yaml.endswith("{结算状态: [状态], 患者标识: [身份证号码], 金额: [实收金额（元）]}")
    insp = api.inspect_file(root / "2024-05" / data.name, root)
    assert (insp.exit_code, insp.lines, str(insp.amount_total)) == (1, 7, "710.50")
    assert insp.sheets[0].dropped == {"title": [1], "summary": [10], "footer": [11]} and insp.sheets[0].hidden_rows == [5]


def test_a_csv_export_is_inspected_like_a_workbook(ws):
    """GBK CSV, no title row, a 合计 row with "1 笔" in 病历号: one line of 12.50."""
    path = ws.root / "2024-05" / "收费明细_b.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(("就诊时间,结算日期,结算状态,病历号,患者姓名,患者标识,科室,项目类别,金额\n"
                      "2024-05-01 09:00,2024-05-01,已结算,001,张三,P0001,内科,门诊,12.5\n"
                      "合计,,,1 笔,,,,,12.5\n").encode("gbk"))
    insp = api.inspect_file(path, ws.root)
    assert (insp.exit_code, insp.lines, str(insp.amount_total)) == (0, 1, "12.50")
    [sheet] = insp.sheets
    assert (sheet.sheet, sheet.status, sheet.dropped) == (None, "read", {"summary": [3]})
    assert to_json(insp)["first_lines"][0]["values"]["患者姓名"] == "张*"


def test_a_second_mapping_goes_under_the_existing_aliases_block(ws, export):
    """settle.yaml maps 金额 already: the suggestion is the 收费明细 line alone, keeping 实收金额,
    for a second `aliases:` key would silently replace the first."""
    (ws.root / "settle.yaml").write_text("aliases:\n  收费明细: {金额: [实收金额]}\n", encoding="utf-8")
    insp = api.inspect_file(export, ws.root)
    assert insp.settle_yaml == "  收费明细: {金额: [实收金额], 结算状态: [状态], 患者标识: [身份证号码]}"
    text = (ws.root / "settle.yaml").read_text(encoding="utf-8").replace("  收费明细: {金额: [实收金额]}\n",
                                                                          insp.settle_yaml + "\n")
    (ws.root / "settle.yaml").write_text(text, encoding="utf-8")
    assert api.inspect_file(export, ws.root).exit_code == 1


def test_the_english_words_of_reading_and_inspect_hold_no_chinese():
    """--lang en complete: the templates added for issue 24 are English but for the data they
    are filled with (header names, file and sheet names)."""
    import re
    from settle.inspect_words import INSPECT_WORDS, READING_PROBLEMS
    cjk = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]")
    english = [en for _, _, en in READING_PROBLEMS.values()] + [en for _, en in INSPECT_WORDS.values()]
    assert len(english) > 40 and [t for t in english if cjk.search(t)] == []
