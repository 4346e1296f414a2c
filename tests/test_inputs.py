"""Reading the four input kinds as a clerk's messy exports really look (SPEC §3, §8).

Problems are asserted as compact (file, sheet, row, column, code) tuples.
"""

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from builders import load_month, BILL_HEADERS, REG_HEADERS, STAFF_HEADERS, Formula, bill, person, reg, write_xlsx
from conftest import invoke
from settle.problems import Problems
from settle.load.workspace import Month

MAY = Month(2024, 5)


def load(root: Path):
    return load_month(root, MAY)


def keys(problems, code=None):
    return sorted(((p.file, p.sheet, p.row, p.column, p.code) for p in problems if code is None or p.code == code),
                  key=str)


@pytest.fixture
def base(ws):
    ws.staff([person("S001", "王芳"), person("S002", "李娜", role="主管")])
    ws.month("2024-05", regs=[reg(dt.datetime(2024, 5, 2, 9), "王芳", "P1")],
             billing=[bill(dt.datetime(2024, 5, 5, 10), 100, "P1")])
    return ws


def test_clean_month_reads_without_problems(base):
    inputs, problems = load(base.root)
    assert keys(problems) == []
    assert len(inputs.billing) == 1 and inputs.billing["amount_fen"].tolist() == [10000]
    assert inputs.registrations["staff_id"].tolist() == ["S001"]
    row = inputs.billing.iloc[0]
    assert (row["src_file"], row["src_sheet"], row["src_row"]) == ("2024-05/收费明细.xlsx", "Sheet1", 2)


def test_messy_billing_export(base):
    """Title row, 合计 row, empty row, text money, full-width digits, text dates, leading zeros,
    numeric card numbers, English headers."""
    wb = openpyxl.Workbook()
    s = wb.active
    s.title = "明细"
    s.append(["2024年5月收费明细（上半月）"])
    s.append([])
    s.append(["visited_at", "settled on", "STATUS", "Record No", "patient_name", "patient key", "card_no",
              "department", "category", "Amount"])
    s.append([dt.datetime(2024, 5, 5, 10), "2024/5/5", "已结算", "0012345", "张三", "P1", 123456.0, "内科", "门诊",
              "¥1,234.50"])
    s.append([])
    s.append(["2024-05-06 08:30", "2024年5月6日", " 已结算 ", "0012346", "张三", "P1", "000123", "内科", "门诊",
              "１２３.００"])
    s.append(["2024.05.07", "2024.05.07", "已结算", "0012347", "张三", "P1", None, "内科", "门诊", "-¥120.00"])
    s.append(["合计", None, None, None, None, None, None, None, None, 1237.5])
    (base.root / "2024-05" / "收费明细.xlsx").unlink()
    wb.save(base.root / "2024-05" / "billing_week1.xlsx")
    inputs, problems = load(base.root)
    # the 合计 row is dropped and counted (SPEC §8.1), an info: never an error or a warning
    assert keys(problems) == [("2024-05/billing_week1.xlsx", "明细", None, None, "summary_rows")]
    assert not problems.errors and not problems.warnings
    b = inputs.billing
    assert b["amount_fen"].tolist() == [123450, 12300, -12000]
    assert b["src_row"].tolist() == [4, 6, 7]
    assert b["card_no"].tolist()[:2] == ["123456", "000123"]
    assert b["record_no"].tolist()[0] == "0012345"
    assert str(b["visited_at"].iloc[1]) == "2024-05-06 08:30:00"
    assert str(b["settled_on"].iloc[0]) == "2024-05-05 00:00:00"


def test_several_files_and_a_gbk_csv_are_concatenated(base):
    folder = base.root / "2024-05"
    csv = ",".join(BILL_HEADERS) + "\n" + "2024-05-20 10:15,2024-05-20,已结算,0099,李四,P2,,外科,住院,2000.5\n"
    (folder / "收费明细_下半月.csv").write_bytes(csv.encode("gbk"))
    (folder / "~$收费明细.xlsx").write_bytes(b"lock")
    (folder / ".hidden_收费明细.xlsx").write_bytes(b"junk")
    inputs, problems = load(base.root)
    assert keys(problems) == []
    b = inputs.billing
    assert b["amount_fen"].tolist() == [10000, 200050]
    assert b["src_file"].tolist() == ["2024-05/收费明细.xlsx", "2024-05/收费明细_下半月.csv"]
    assert b["patient_name"].tolist()[1] == "李四"


def test_utf8_bom_csv(base):
    csv = ",".join(BILL_HEADERS) + "\n" + "2024-05-20 10:15,2024-05-20,已结算,0099,李四,P2,,外科,住院,5\n"
    (base.root / "2024-05" / "收费明细_2.csv").write_bytes(b"\xef\xbb\xbf" + csv.encode("utf-8"))
    inputs, problems = load(base.root)
    assert keys(problems) == [] and inputs.billing["amount_fen"].tolist() == [10000, 500]


def test_bad_cells_are_collected_with_their_place(base):
    write_xlsx(base.root / "2024-05" / "收费明细.xlsx", BILL_HEADERS, [
        bill(dt.datetime(2024, 5, 5, 10), "12,3a", "P1"),
        bill("03/05/2024", 10, "P1", settled=dt.date(2024, 5, 3)),
        bill(dt.datetime(2024, 5, 5, 10), 10, "P1", status="已付款"),
        bill(dt.datetime(2024, 5, 5, 10), 10, None),
        bill("昨天", 10, "P1", settled=dt.date(2024, 5, 3)),
    ])
    _, problems = load(base.root)
    f = "2024-05/收费明细.xlsx"
    assert keys(problems) == [
        (f, "Sheet1", 2, "金额", "bad_money"),
        (f, "Sheet1", 3, "就诊时间", "ambiguous_date"),
        (f, "Sheet1", 4, "结算状态", "bad_choice"),
        (f, "Sheet1", 5, "患者标识", "missing_value"),
        (f, "Sheet1", 6, "就诊时间", "bad_date"),
    ]
    msg = [p for p in problems if p.code == "bad_money"][0].message("zh")
    assert msg == '2024-05/收费明细.xlsx › Sheet1 › 第 2 行 › 金额（J列）: "12,3a" 不是金额'


def test_missing_and_duplicate_columns(base):
    headers = [h for h in BILL_HEADERS if h != "科室"] + ["amount"]
    write_xlsx(base.root / "2024-05" / "收费明细.xlsx", headers, [bill(dt.datetime(2024, 5, 5), 1, "P1")])
    _, problems = load(base.root)
    got = keys(problems)
    assert ("2024-05/收费明细.xlsx", "Sheet1", 1, "科室", "missing_column") in got
    assert ("2024-05/收费明细.xlsx", "Sheet1", 1, None, "duplicate_column") in got


def test_header_aliases_from_settle_yaml(base):
    (base.root / "settle.yaml").write_text("aliases:\n  billing:\n    amount: [实收金额]\n", encoding="utf-8")
    headers = [("实收金额" if h == "金额" else h) for h in BILL_HEADERS]
    rows = [{("实收金额" if k == "金额" else k): v for k, v in bill(dt.datetime(2024, 5, 5), 7, "P1").items()}]
    write_xlsx(base.root / "2024-05" / "收费明细.xlsx", headers, rows)
    inputs, problems = load(base.root)
    assert keys(problems) == [] and inputs.billing["amount_fen"].tolist() == [700]


def test_unknown_settle_yaml_key_is_reported(base):
    (base.root / "settle.yaml").write_text("outptu: x\n", encoding="utf-8")
    _, problems = load(base.root)
    assert [(p.file, p.column, p.code) for p in problems] == [("settle.yaml", "outptu", "bad_config")]


def test_control_characters_in_text_cells(base):
    write_xlsx(base.root / "2024-05" / "收费明细.xlsx", BILL_HEADERS,
               [bill(dt.datetime(2024, 5, 5), 1, "P1", name="张_x000B_三")])
    _, problems = load(base.root)
    assert keys(problems) == [("2024-05/收费明细.xlsx", "Sheet1", 2, "患者姓名", "control_char")]


def test_people_in_daily_reports_must_exist(base):
    write_xlsx(base.root / "2024-05" / "日报.xlsx", ["业务员", "日期", "提交时间"],
               [{"业务员": "无名氏", "日期": dt.date(2024, 5, 2), "提交时间": dt.datetime(2024, 5, 2, 18)}])
    _, problems = load(base.root)
    assert keys(problems) == [("2024-05/日报.xlsx", "Sheet1", 2, "业务员", "unknown_person")]


def test_same_name_twice_needs_a_staff_id(ws):
    ws.staff([person("S001", "王芳"), person("S002", "王芳")])
    ws.month("2024-05", regs=[reg(dt.datetime(2024, 5, 2, 9), "王芳", "P1"),
                              reg(dt.datetime(2024, 5, 2, 9), "S002", "P2")],
             billing=[], daily=[])
    write_xlsx(ws.root / "2024-05" / "调整.xlsx", ["业务员", "类型", "金额", "事由", "批准人"],
               [{"业务员": "王芳", "类型": "奖励", "金额": 100, "事由": "x", "批准人": "院长"}])
    inputs, problems = load(ws.root)
    assert keys(problems, "unknown_staff") + keys(problems, "ambiguous_person") == [
        ("2024-05/登记表.xlsx", "Sheet1", 2, "业务员", "unknown_staff"),
        ("2024-05/调整.xlsx", "Sheet1", 2, "业务员", "ambiguous_person")]
    assert inputs.registrations["staff_id"].tolist()[1] == "S002"


def test_adjustment_without_approver(base):
    write_xlsx(base.root / "2024-05" / "调整.xlsx", ["工号", "类型", "金额", "事由", "批准人"],
               [{"工号": "S001", "类型": "罚款", "金额": "¥50", "事由": "迟到"}])
    inputs, problems = load(base.root)
    assert keys(problems) == [("2024-05/调整.xlsx", "Sheet1", 2, "批准人", "missing_approver")]
    assert inputs.adjustments["amount_fen"].tolist() == [5000]


def test_staff_defaults_and_checks(ws):
    ws.staff([person("S001", "王芳", hired=dt.date(2024, 1, 31)), person("S001", "李娜"),
              person("S003", "赵敏", team=None)])
    ws.month("2024-05", billing=[bill(dt.datetime(2024, 5, 5), 1, "P1")], daily=[])
    inputs, problems = load(ws.root)
    # the header-only 登记表 and 日报 are named (SPEC §8.1), the roster's two errors placed
    assert keys(problems) == [("2024-05/日报.xlsx", None, None, None, "no_data_rows"),
                              ("2024-05/登记表.xlsx", None, None, None, "no_data_rows"),
                              ("staff.xlsx", "人员名单", 3, "工号", "duplicate_staff_id"),
                              ("staff.xlsx", "人员名单", 4, "小组", "missing_team")]
    # 转正日期 defaults to three calendar months later, clamped to the month's last day.
    assert str(inputs.staff["regular_on"].iloc[0].date()) == "2024-04-30"


def test_validate_exit_codes(base, tmp_path):
    r = invoke("validate", "2024-05", "--workspace", str(base.root))
    assert r.exit_code == 0, r.output
    write_xlsx(base.root / "2024-05" / "收费明细.xlsx", BILL_HEADERS, [bill(dt.datetime(2024, 5, 5), "x", "P1")])
    r = invoke("validate", "2024-05", "--workspace", str(base.root))
    assert r.exit_code == 2 and "不是金额" in r.output
    r = invoke("validate", "2024-13", "--workspace", str(base.root))
    assert r.exit_code == 2 and "不是月份" in r.output


def test_hidden_sheet_is_a_warning_and_exit_1(base):
    path = base.root / "2024-05" / "登记表.xlsx"
    wb = openpyxl.load_workbook(path)
    old = wb.create_sheet("旧数据")
    old.append(REG_HEADERS)
    old.sheet_state = "hidden"
    wb.save(path)
    r = invoke("validate", "2024-05", "--workspace", str(base.root))
    assert r.exit_code == 1, r.output
    _, problems = load(base.root)
    assert keys(problems) == [("2024-05/登记表.xlsx", "旧数据", None, None, "hidden_sheet")]


def test_run_with_bad_input_writes_nothing(base):
    write_xlsx(base.root / "2024-05" / "收费明细.xlsx", BILL_HEADERS, [bill(dt.datetime(2024, 5, 5), "x", "P1")])
    before = sorted(p.relative_to(base.root) for p in base.root.rglob("*"))
    r = invoke("run", "2024-05", "--workspace", str(base.root))
    assert r.exit_code == 2
    assert "未生成任何输出" in r.output
    # The run lock file (empty; kept so two runs always lock the same file) is all it may leave.
    after = sorted(p.relative_to(base.root) for p in base.root.rglob("*") if not p.name.startswith(".settle-"))
    assert after == before
    assert not (base.root / "output").exists()


def test_english_messages(base):
    write_xlsx(base.root / "2024-05" / "收费明细.xlsx", BILL_HEADERS, [bill(dt.datetime(2024, 5, 5), "x", "P1")])
    r = invoke("validate", "2024-05", "--workspace", str(base.root), "--lang", "en")
    assert r.exit_code == 2 and "is not an amount of money" in r.output


def test_xls_files_are_read(base):
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    sheet = book.add_sheet("S")
    for c, h in enumerate(BILL_HEADERS):
        sheet.write(0, c, h)
    row = ["2024-05-20 10:15", "2024-05-20", "已结算", "0099", "李四", "P2", "", "外科", "住院", 88.8]
    for c, v in enumerate(row):
        sheet.write(1, c, v)
    book.save(str(base.root / "2024-05" / "收费明细_old.xls"))
    inputs, problems = load(base.root)
    assert keys(problems) == [] and inputs.billing["amount_fen"].tolist() == [10000, 8880]


def test_html_named_xls_is_not_excel(base):
    (base.root / "2024-05" / "收费明细_x.xls").write_text("<html><table><tr><td>1</td></tr></table></html>")
    _, problems = load(base.root)
    assert keys(problems) == [("2024-05/收费明细_x.xls", None, None, None, "unreadable_file")]


def test_truncated_workbook(base):
    data = (base.root / "2024-05" / "收费明细.xlsx").read_bytes()
    (base.root / "2024-05" / "收费明细.xlsx").write_bytes(data[: len(data) // 2])
    _, problems = load(base.root)
    assert keys(problems) == [("2024-05/收费明细.xlsx", None, None, None, "unreadable_file")]


def test_long_number_in_a_key_column(base):
    rows = [bill(dt.datetime(2024, 5, 5), 1, 110101199001011234)]
    write_xlsx(base.root / "2024-05" / "收费明细.xlsx", BILL_HEADERS, rows)
    _, problems = load(base.root)
    assert keys(problems) == [("2024-05/收费明细.xlsx", "Sheet1", 2, "患者标识", "long_number")]


def test_formula_without_cached_value(base):
    path = base.root / "2024-05" / "收费明细.xlsx"
    write_xlsx(path, BILL_HEADERS, [bill(dt.datetime(2024, 5, 5), Formula("=1+1"), "P1")])
    _, problems = load(base.root)
    assert keys(problems) == [("2024-05/收费明细.xlsx", "Sheet1", 2, "金额", "uncached_formula")]


def test_merged_cells_fill_down_or_are_refused(base):
    path = base.root / "2024-05" / "收费明细.xlsx"
    rows = [bill(dt.datetime(2024, 5, 5, 10), 100, "P1", record="R1"),
            bill(dt.datetime(2024, 5, 5, 10), 50, None, record=None)]
    write_xlsx(path, BILL_HEADERS, rows)
    wb = openpyxl.load_workbook(path)
    s = wb.active
    for col in ("A", "B", "C", "D", "E", "F", "H"):
        s.merge_cells(f"{col}2:{col}3")
    wb.save(path)
    inputs, problems = load(base.root)
    assert keys(problems) == []
    assert inputs.billing["record_no"].tolist() == ["R1", "R1"]
    assert inputs.billing["patient_key"].tolist() == ["P1", "P1"]
    s.merge_cells("J2:J3")
    wb.save(path)
    _, problems = load(base.root)
    assert keys(problems) == [("2024-05/收费明细.xlsx", "Sheet1", 2, "金额", "merged_cell")]


def test_stray_cell_far_away_is_ignored(base):
    path = base.root / "2024-05" / "收费明细.xlsx"
    wb = openpyxl.load_workbook(path)
    wb.active["XFD1048576"] = "x"
    wb.save(path)
    inputs, problems = load(base.root)
    assert [p.code for p in problems.errors] == []
    assert inputs.billing["amount_fen"].tolist() == [10000]


def test_xml_bomb_is_refused(base):
    path = base.root / "2024-05" / "收费明细.xlsx"
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol2;</t></si></sst>')
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/sharedStrings.xml", bomb)
    _, problems = load(base.root)
    assert [p.code for p in problems] == ["unreadable_file"]


# --- reading on two workers (SPEC §9): the same frames as reading in-process ---------------------

def _billing_files(folder: Path, n_files: int = 3) -> list[tuple[Path, str]]:
    paths = []
    for i in range(n_files):
        rows = [bill(dt.datetime(2024, 5, 1 + i, 9, j), 100 + j + 0.5 * i, f"1390000{i:02d}{j:02d}",
                     card=f"C{i}{j:03d}" if j % 2 else None, name="欧阳娜娜") for j in range(20 + 7 * i)]
        if i == 1:
            rows.append({"就诊时间": "合计", "金额": 9999})
        p = write_xlsx(folder / f"收费明细_{i}.xlsx", BILL_HEADERS, rows)
        paths.append((p, p.name))
    return paths


def test_parallel_read_gives_the_frames_of_a_serial_read(tmp_path, monkeypatch):
    import pandas as pd

    import settle.load.inputs as I
    import settle.load.prefetch as prefetch
    from settle.load.columns import BILLING
    paths = _billing_files(tmp_path)
    monkeypatch.setenv("SETTLE_WORKERS", "1")
    serial = I.load_kind(paths, BILLING, Problems())
    monkeypatch.setenv("SETTLE_WORKERS", "2")
    monkeypatch.setattr(prefetch, "PARALLEL_BYTES", 0)  # small files: force the two forked workers
    parallel = I.load_kind(paths, BILLING, Problems())
    assert len(serial) == 20 + 27 + 34
    pd.testing.assert_frame_equal(parallel, serial)
    assert parallel.attrs["headers"] == serial.attrs["headers"]
    assert not any(Path("/dev/shm").glob("settle-read-*"))  # the shared-memory hand-over is cleaned up


def test_a_full_shared_memory_folder_falls_back_to_the_pipe(tmp_path, monkeypatch):
    import pandas as pd

    import settle.load.inputs as I
    from settle.load.columns import BILLING
    from settle.load.prefetch import read_task, unship
    (path, display), = _billing_files(tmp_path, 1)
    ship_dir = str(tmp_path / "no-such-folder")  # every write fails
    shipped, items, _, _ = read_task((ship_dir, I._read_one, path, display, BILLING, None))
    assert isinstance(shipped[0], pd.DataFrame) and len(shipped[0]) == 20 and not items
    frames, _, _, _ = unship((shipped, items, 0, None))
    assert frames[0] is shipped[0]


def test_a_truncated_workbook_says_why_in_one_language(base):
    """issue 24: it said "文件已损坏或不完整 (the zip structure is broken (File is not a zip file))"."""
    data = (base.root / "2024-05" / "收费明细.xlsx").read_bytes()
    (base.root / "2024-05" / "收费明细.xlsx").write_bytes(data[: len(data) // 2])
    _, problems = load(base.root)
    p, = problems
    assert p.text("zh") == "不是可读取的 Excel 文件：文件已损坏或不完整：请重新导出或重新复制"
    assert p.text("en") == "not a readable Excel file: the file is damaged or incomplete: export or copy it again"
