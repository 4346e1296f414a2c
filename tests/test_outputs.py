"""What `run` writes (SPEC §7, §8): masked patients, no formulas from input values, safe file
names, finished-looking workbooks, reruns keep history."""

import datetime as dt
import json
import zipfile

import openpyxl
import pytest

from builders import bill, person, reg
from conftest import invoke
from settle.output.privacy import mask_key, mask_name, safe_filename


@pytest.mark.parametrize("name,masked", [("张三", "张*"), ("欧阳娜娜", "欧**娜"), ("王小明", "王*明"), ("李", "*"), ("", "")])
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_mask_key_keeps_last_four():
    assert mask_key("11010119900101123X") == "****123X"


@pytest.mark.parametrize("sid,name,expected", [
    ("S001", "王芳", "S001_王芳"),
    ("S002", "../../etc/passwd", "S002_etcpasswd"),
    ("S003", 'a/b\\c:d*e?f"g<h>i|j', "S003_abcdefghij"),
    ("CON", "", "_CON"),
    ("S004", "名字. ", "S004_名字"),
    ("S005", "王\u202e芳\u200b", "S005_王芳"),
    ("S006", "e\u0301", "S006_\u00e9"),
])
def test_safe_filenames(sid, name, expected):
    assert safe_filename(sid, name) == expected


@pytest.fixture
def hostile(ws):
    """Names and values that try to become formulas or escape the folder."""
    ws.staff([person("S001", "=HYPERLINK(\"http://x\",\"点我\")"), person("S002", "../evil"),
              person("S003", "王芳"), person("S004", "王芳")])
    ws.month("2024-05",
             regs=[reg(dt.datetime(2024, 5, 2, 9), "S003", "P1", card="C1", name="欧阳娜娜"),
                   reg(dt.datetime(2024, 5, 2, 9), "S001", "P2", name="+1", channel="诊所",
                       partner="@SUM(A1)", referrer="-cmd", phone="139")],
             billing=[bill(dt.datetime(2024, 5, 5, 10), 1000, "P1", card="C1", name="欧阳娜娜", dept="=1+1"),
                      bill(dt.datetime(2024, 5, 5, 11), 2000, "P2", name="+1")])
    return ws


def test_no_input_value_becomes_a_formula(hostile, settle):
    r = settle(hostile)
    assert r.exit_code == 0, r.output
    out = hostile.root / "output/2024-05"
    for path in out.rglob("*.xlsx"):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/"):
                    assert b"<f>" not in z.read(name), (path, name)
        wb = openpyxl.load_workbook(path)
        for ws in wb:
            for row in ws.iter_rows():
                for c in row:
                    assert c.data_type != "f"
    names = sorted(p.name for p in (out / "工资条").iterdir())
    assert names == ['S001_=HYPERLINK(httpx,点我).xlsx', "S002_evil.xlsx", "S003_王芳.xlsx", "S004_王芳.xlsx"]


def test_patients_are_masked_everywhere(hostile, settle):
    settle(hostile)
    out = hostile.root / "output/2024-05"
    texts = []
    for path in out.rglob("*.xlsx"):
        wb = openpyxl.load_workbook(path)
        for ws in wb:
            for row in ws.iter_rows(values_only=True):
                texts += [str(v) for v in row if v is not None]
    texts.append((out / "settlement.json").read_text(encoding="utf-8"))
    blob = "\n".join(texts)
    assert "欧阳娜娜" not in blob and "欧**娜" in blob
    assert "P1" not in [t for t in texts]  # the key is never shown whole


def test_summary_looks_finished(hostile, settle):
    settle(hostile)
    wb = openpyxl.load_workbook(hostile.root / "output/2024-05/部门汇总.xlsx")
    assert wb.sheetnames == ["汇总", "关注", "图表", "趋势", "违规", "未归属", "核对", "运行信息"]  # 返款: R46
    ws = wb["汇总"]
    header = [c.value for c in ws[1]]
    assert header[:5] == ["工号", "姓名", "角色", "小组", "业绩"] and header[-1] == "应发合计"
    assert ws.freeze_panes == "A2"
    assert ws.page_setup.paperSize == 9 and ws.sheet_properties.pageSetUpPr.fitToPage
    money = ws.cell(row=2, column=5)
    assert money.number_format == "#,##0.00"
    last = ws.max_row
    assert ws.cell(row=last, column=1).value == "合计" and ws.cell(row=last, column=14).font.bold


def test_rerun_keeps_history_and_lists_changes(month_ws):
    root = str(month_ws.root)
    assert invoke("run", "2024-05", "--workspace", root).exit_code == 0
    # a late refund arrives: rerun
    from builders import BILL_HEADERS, write_xlsx
    rows = [bill(dt.datetime(2024, 5, 5, 10), 1000, "P1"), bill(dt.datetime(2024, 5, 6, 10), -400, "P1")]
    write_xlsx(month_ws.root / "2024-05/收费明细.xlsx", BILL_HEADERS, rows)
    r = invoke("run", "2024-05", "--workspace", root)
    assert r.exit_code == 0, r.output
    assert "119.00 → 71.40" in r.output  # 75 + 14 + 30 → 1500×600/20000 + 700×600/50000 + 3 %×600 = 45 + 8.40 + 18
    history = list((month_ws.root / "output/2024-05/history").iterdir())
    assert len(history) == 1 and ":" not in history[0].name
    old = json.loads((history[0] / "settlement.json").read_text(encoding="utf-8"))
    assert old["people"]["S001"]["total"] == "119.00"


def test_same_inputs_same_cells(month_ws):
    root = str(month_ws.root)
    assert invoke("run", "2024-05", "--workspace", root).exit_code == 0
    first = _cells(month_ws.root / "output/2024-05")
    assert invoke("run", "2024-05", "--workspace", root).exit_code == 0
    assert _cells(month_ws.root / "output/2024-05") == first


def _cells(folder):
    out = {}
    for path in sorted(folder.glob("*.xlsx")) + sorted((folder / "工资条").glob("*.xlsx")):
        wb = openpyxl.load_workbook(path)
        for ws in wb:
            if ws.title == "运行信息":
                continue
            out[(path.name, ws.title)] = [tuple(r) for r in ws.iter_rows(values_only=True)]
    return out


@pytest.fixture
def month_ws(ws):
    ws.staff([person("S001", "王芳")])
    ws.month("2024-05", regs=[reg(dt.datetime(2024, 5, 2, 9), "王芳", "P1")],
             billing=[bill(dt.datetime(2024, 5, 5, 10), 1000, "P1")])
    return ws


def test_summary_sheets_read_as_tables_with_pandas(month_ws, settle):
    """Any program can read 汇总 and the other sheets: the header is the first row."""
    import pandas as pd

    assert settle(month_ws).exit_code == 0
    path = month_ws.root / "output/2024-05/部门汇总.xlsx"
    summary = pd.read_excel(path, sheet_name="汇总", dtype=str)
    assert list(summary.columns[:5]) == ["工号", "姓名", "角色", "小组", "业绩"]
    row = summary[summary["工号"] == "S001"].iloc[0]
    assert float(row["应发合计"]) == 119.0 and summary.iloc[-1]["工号"] == "合计"
    for sheet in ("关注", "图表", "趋势", "违规", "未归属", "核对"):
        assert not pd.read_excel(path, sheet_name=sheet).columns.str.startswith("Unnamed").all()
    detail = pd.read_excel(next((month_ws.root / "output/2024-05/工资条").glob("S001_*.xlsx")), sheet_name="业绩明细")
    assert list(detail.columns[:2]) == ["病历号", "患者姓名"] and detail.iloc[0]["金额"] == 1000
