"""Golden files for the sample month (SPEC §7): `settle run 2024-05` on a copy of samples/, then
the cell values of the 工资条 sheet of three representative payslips and of the 汇总 sheet of
部门汇总.xlsx, compared with tests/golden/2024-05/*.json (one JSON list per sheet row).

    S013 何娟  业务员 with four streams (R8–R11), an R21 fine, an R27 late report and a 扣发 row
    S003 刘洋  主管 of 二组 (management bonus and team commission, R34; an R21 fine)
    S001 李建国 主任 (R30 department-mean base, own streams, R35 department commission)

S013's payslip was checked by hand against its 业绩明细 sheet and SPEC §4–§5 before the golden
files were first written (see the note at the end of this file).

To regenerate after a deliberate change, review the diff this test prints, then run:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_golden.py
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import shutil
from pathlib import Path

import openpyxl
import pytest

from conftest import SAMPLES, invoke

GOLDEN = Path(__file__).resolve().parent / "golden" / "2024-05"
UPDATE = bool(os.environ.get("UPDATE_GOLDEN"))
PEOPLE = ["S013", "S003", "S001"]


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    """Settle a copy of the sample workspace once for the module (samples/ is never written)."""
    root = tmp_path_factory.mktemp("golden") / "工作目录"
    shutil.copytree(SAMPLES, root, ignore=shutil.ignore_patterns("output", ".settle*", "~$*"))
    cli = invoke("run", "2024-05", "--workspace", str(root), "--quiet")
    assert cli.exit_code == 0, cli.output
    return root / "output" / "2024-05"


def _cell(v):
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    return v


def sheet_rows(path: Path, sheet: str) -> list[list]:
    """The sheet's cell values, one list per row; trailing empty cells and rows dropped."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = []
        for r in wb[sheet].iter_rows(values_only=True):
            row = [_cell(v) for v in r]
            while row and row[-1] is None:
                row.pop()
            rows.append(row)
    finally:
        wb.close()
    while rows and not rows[-1]:
        rows.pop()
    return rows


def dump(doc: dict) -> str:
    """Readable JSON: the header keys, then one row per line."""
    out = ["{"]
    for k, v in doc.items():
        if k != "rows":
            out.append(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},")
    out.append('  "rows": [')
    out.append(",\n".join("    " + json.dumps(r, ensure_ascii=False) for r in doc["rows"]))
    out.append("  ]")
    out.append("}")
    return "\n".join(out) + "\n"


def check_golden(name: str, doc: dict) -> None:
    path = GOLDEN / f"{name}.json"
    text = dump(doc)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"golden file written: {path}")
        return
    if not path.exists():
        pytest.fail(f"missing golden file {path}; create it with UPDATE_GOLDEN=1 pytest tests/test_golden.py")
    want = path.read_text(encoding="utf-8")
    if json.loads(want) == json.loads(text):
        return
    diff = "".join(difflib.unified_diff(want.splitlines(keepends=True), text.splitlines(keepends=True),
                                        fromfile=f"golden/{path.parent.name}/{path.name}", tofile="this run", n=1))
    pytest.fail(f"{doc['sheet']} of {doc['file']} differs from its golden file "
                f"(- golden, + this run):\n{diff}\n"
                "If the change is intended, regenerate: UPDATE_GOLDEN=1 pytest tests/test_golden.py", pytrace=False)


def payslip_path(output: Path, sid: str) -> Path:
    found = sorted((output / "工资条").glob(f"{sid}_*.xlsx"))
    assert len(found) == 1, f"payslip of {sid}: {found}"
    return found[0]


@pytest.mark.parametrize("sid", PEOPLE)
def test_payslip_matches_golden(output, sid):
    path = payslip_path(output, sid)
    check_golden(f"payslip_{sid}", {"file": f"工资条/{path.name}", "sheet": "工资条",
                                     "rows": sheet_rows(path, "工资条")})


def test_summary_matches_golden(output):
    check_golden("summary", {"file": "部门汇总.xlsx", "sheet": "汇总",
                             "rows": sheet_rows(output / "部门汇总.xlsx", "汇总")})


@pytest.mark.parametrize("sid", PEOPLE)
def test_payslip_total_ties_to_summary_row(output, sid):
    """The payslip's 应发合计 is the person's 汇总 row (R37: to the fen)."""
    slip = sheet_rows(payslip_path(output, sid), "工资条")
    total = next(r for r in slip if r and r[0] == "应发合计")[4]
    summary = sheet_rows(output / "部门汇总.xlsx", "汇总")
    header = next(r for r in summary if r and r[0] == "工号")
    row = next(r for r in summary if r and r[0] == sid)
    assert row[header.index("应发合计")] == total


# Hand check (before the goldens were first written), S013 何娟, 业务员, regular, 31/31 days.
# From her 业绩明细 (143 lines), with rebates reconstructed exactly (15 % R17 or none) and every
# line's 业绩 re-derived to the fen: 体检 3 650.670, 工伤 5 656.155, 单病种 11 870.860,
# general 51 271.090; P = 72 448.775 (shown 72 448.78).
#   base R30      1500 × min(1, P/20000)            = 1 500.00
#   R33           700 × min(1, P/50000)             =   700.00
#   R8            体外碎石 3 × 60 + 剖宫产 1 × 200      =   380.00
#   R9            5 656.155 × 8 % = 452.4924         =   452.49
#   R10           3 650.67 × 30 %                    = 1 095.20
#   R11           51 271.09 in [50 000, 70 000) → 6 % = 3 076.27
#   R21 −100 (card 001669), R27 −20 (05-28 late), 扣发 −150 (调整 row 6)
#   应发合计 6 933.96 — every figure agreed with the payslip.
