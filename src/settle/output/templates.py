"""`settle init`: a new workspace with the default rules, a roster and empty input templates
whose headers, widths and drop-down lists help the clerk fill them in correctly."""

from __future__ import annotations

import shutil
from pathlib import Path

import xlsxwriter

from settle.load import columns as C
from settle.rules.loader import default_rules_dir

SETTLE_YAML = """\
# settle 工作目录设置（可选）/ workspace settings (optional)
# 输出文件夹 / output folder
output: output
# 节假日（日报不需提交）/ holidays (no daily report due), e.g.:
# holidays: [2024-05-01, 2024-05-02]
holidays: []
# 自定义列名 / extra header names for your hospital's exports, e.g.:
# aliases:
#   billing:
#     amount: [实收金额]
# 自定义文件名 / extra file-name patterns, e.g.:
# patterns:
#   billing: [HIS导出]
"""

CHOICES = {"role": C.ROLES, "status": C.STATUSES, "channel": C.CHANNELS, "card_type": C.CARD_TYPES,
           "kind": C.ADJUSTMENT_KINDS, "new_unit": ("是", "否")}
WIDTHS = {C.DATETIME: 18, C.DATE: 12, C.MONEY: 12, C.KEY: 20}


def write_template(path: Path, kind: C.Kind) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(kind.display)
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text = wb.add_format({"num_format": "@"})
    money = wb.add_format({"num_format": "#,##0.00"})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    fields = kind.fields
    for c, f in enumerate(fields):
        ws.write_string(0, c, f.display, head)
        fmt = {C.KEY: text, C.TEXT: text, C.MONEY: money, C.DATE: date, C.DATETIME: stamp}.get(f.kind)
        ws.set_column(c, c, max(WIDTHS.get(f.kind, 10), 2 * len(f.display) + 2), fmt)
        choices = CHOICES.get(f.name) if f.name != "kind" or kind.name == "adjustments" else None
        if f.choices or choices:
            ws.data_validation(1, c, 5000, c, {"validate": "list", "source": list(f.choices or choices),
                                               "error_title": f.display,
                                               "error_message": "请从下拉列表中选择 / choose from the list"})
    ws.freeze_panes(1, 0)
    wb.close()


def create_workspace(directory: Path) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    created = []
    (directory / "settle.yaml").write_text(SETTLE_YAML, encoding="utf-8")
    created.append("settle.yaml")
    rules = directory / "rules"
    rules.mkdir()
    shutil.copy(default_rules_dir() / "default.yaml", rules / "default.yaml")
    created.append("rules/default.yaml")
    write_template(directory / "staff.xlsx", C.STAFF)
    created.append("staff.xlsx")
    tdir = directory / "模板"
    tdir.mkdir()
    for kind in (C.REGISTRATIONS, C.BILLING, C.DAILY, C.ADJUSTMENTS, C.INTERDEPT):  # 科间转诊单: R42
        name = f"{kind.display}.xlsx"
        write_template(tdir / name, kind)
        created.append(f"模板/{name}")
    return created
