"""The sample month's filled-in appeal sheets (SPEC §12), planted by tools/gen_workspace.py.

settle's own check-cards finds the month's R20–R26 findings on the generated workspace and its
own writer writes the appeal sheets (so the 编号 are the ones a run reads back), here with the
entry columns filled in as the salesperson and the director would, saved in the month folder as
申诉_<工号>_<姓名>.xlsx:

    S004 王芳  R23 老患者 (card 001645)      同意, 批准人 李建国 → 确认例外: the card is credited
    S009 周杰  R23 老患者 (card 001647)      不同意, 批准人 李建国 → recorded, nothing changes
    S009 周杰  R24 转诊信息不全 (card 001658) 同意, no 批准人 → a warning (left out with --clean)

The before/after of the figures this changes is computed by settling the month without and
with the sheets (settle.run_month, in memory) and written into PLANTED.md with each changed
payslip line's derivation.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

MONTH = "2024-05"
APPROVER = "李建国"
# (工号, card, rule, 申诉理由, 证据, 主任意见, 批准人, planted as an input problem)
PLANTED = (
    ("S004", "001645", "R23", "患者此前只在本院体检，本次为诊所首次转诊", "转诊单 No.0516（诊所盖章）", "同意", APPROVER, False),
    ("S009", "001647", "R23", "患者4月来院为陪同家属", "无", "不同意", APPROVER, False),
    ("S009", "001658", "R24", "转诊医生姓名已补充：刘医生", "诊所电话记录", "同意", None, True),
)


def plant_appeals(root: Path, doc: dict, clean: bool) -> None:
    """Write the filled appeal sheets into root/2024-05/ and describe them in `doc` (planted.json):
    doc["appeals"], for the row without 批准人 an entry of doc["input_problems"], and
    doc["appeal_effect"]: every figure the approved appeal changes."""
    import settle
    from settle.engine.appeals import month_findings
    from settle.load.workspace import Workspace
    from settle.output.appeals import appeal_file, write_appeal_sheets
    from settle.output.month import page_of
    from settle.problems import Problems

    before = settle.run_month(root, MONTH).settlement      # the month as it settles without the sheets
    findings = month_findings(before.credit)
    names = before.staff.set_index("staff_id")["name"].to_dict()
    rows = [p for p in PLANTED if not (clean and p[7])]
    filled, planted = {}, []
    for sid, card, rule, reason, evidence, decision, approver, problem in rows:
        (f,) = findings[(findings["appellant"] == sid).to_numpy() & (findings["card_no"] == card).to_numpy()
                        & (findings["rule"] == rule).to_numpy()].itertuples()
        filled[f.id] = (reason, evidence, decision, approver)
        planted.append({"id": f.id, "staff_id": sid, "rule": rule, "code": f.code, "card_no": card,
                        "finding": f"{f.file} › {f.sheet} › {f.row}", "decision": decision, "approved_by": approver,
                        "problem": problem})
    people = sorted({p["staff_id"] for p in planted})
    mine = findings[findings["appellant"].isin(people).to_numpy()]
    with tempfile.TemporaryDirectory() as tmp:
        made = write_appeal_sheets(Path(tmp), mine, names, MONTH, before.policy.violations.duplicate_card_fine,
                                   "zh", page_of(Workspace.open(root, Problems())), filled)
        for path in made:
            dest = root / MONTH / f"申诉_{path.name}"
            shutil.move(str(path), dest)
            at = _rows_of(dest)
            for p in planted:
                if appeal_file(p["staff_id"], names[p["staff_id"]]) == path.name:
                    p["file"], p["sheet"], p["row"] = f"{MONTH}/{dest.name}", "申诉", at[p["id"]]
    doc["appeals"] = planted
    for p in planted:
        if p["problem"]:
            doc["input_problems"].append({"kind": "appeal_no_approver", "code": "appeal_no_approver", "file": p["file"],
                                          "sheet": "申诉", "row": p["row"], "column": "批准人",
                                          "note": f"{p['rule']} {p['id']} 同意 but no 批准人: a warning, not applied"})
    after = settle.run_month(root, MONTH).settlement
    doc["appeal_effect"] = before_after(before, after)
    lines = after.credit.lines
    for p in planted:
        if p["decision"] == "同意" and p["approved_by"]:
            # the lines the confirmed registration now owns: by its 卡号 or its patient's 患者标识 (R2)
            mine = lines[lines["reg_confirmed"].to_numpy(dtype=bool) & (lines["owner_staff"] == p["staff_id"]).to_numpy()]
            p["credited_lines"] = {"count": int(len(mine)), "amount": f"{mine['amount_fen'].sum() / 100:,.2f}",
                                   "categories": sorted(set(mine["category"].astype(str)))}


def _rows_of(path: Path) -> dict[str, int]:
    """finding id → Excel row of a written appeal sheet."""
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {r[0].value: r[0].row for r in wb.active.iter_rows() if r and isinstance(r[0].value, str)
                and r[0].value[:1] == "R" and "-" in r[0].value}
    finally:
        wb.close()


def before_after(before, after) -> list[dict]:
    """Every payslip whose figures the appeals change, line by line (settled in memory without
    the appeal sheets and with them)."""
    from settle.engine.money import r2

    old = {p.staff_id: p for p in before.payslips}
    changed = []
    for p in after.payslips:
        q = old[p.staff_id]
        lines = []
        for a, b in zip(q.lines, p.lines):
            if a.amount != b.amount:
                lines.append({"name": b.name, "rule": b.rule, "before": str(a.amount), "after": str(b.amount),
                              "before_detail": a.detail, "after_detail": b.detail})
        if lines or q.total != p.total or q.performance != p.performance:
            changed.append({"staff_id": p.staff_id, "name": p.name, "role": p.role,
                            "performance": [f"{r2(q.performance):,}", f"{r2(p.performance):,}"],
                            "total": [f"{q.total:,}", f"{p.total:,}"], "lines": lines})
    return changed


def appeals_markdown(doc: dict) -> list[str]:
    """PLANTED.md's section on the appeal sheets and the figures they change."""
    if not doc.get("appeals"):
        return []
    out = ["", "## Appeals (申诉_*.xlsx, SPEC §12)", "",
           "Written by settle's own appeal-sheet writer (tools/gen_appeals.py) and filled in:", "",
           "| file › sheet › row | 编号 | 工号 | finding | 主任意见 | 批准人 | outcome |", "|---|---|---|---|---|---|---|"]
    outcome = {("同意", True): "确认例外 (R7): the card is credited", ("不同意", True): "recorded; nothing changes",
               ("同意", False): "warning appeal_no_approver; not applied"}
    for p in doc["appeals"]:
        out.append(f"| {p['file']} › {p['sheet']} › {p['row']} | {p['id']} | {p['staff_id']} | {p['rule']} "
                   f"{p['finding']} ({p['card_no']}) | {p['decision']} | {p['approved_by'] or '—'} "
                   f"| {outcome[(p['decision'], bool(p['approved_by']))]} |")
    for p in doc["appeals"]:
        if p.get("credited_lines"):
            c = p["credited_lines"]
            out += ["", f"The 确认例外 credits the {c['count']} May lines of card {p['card_no']}'s patient ({'、'.join(c['categories'])}), "
                    f"{c['amount']} in all, to {p['staff_id']} (其他 channel: no rebate, so 业绩 = the amount, R6)."]
    out += ["", "What the approved appeal changes (settled without the sheets → with them; each changed "
            "payslip line with the engine's own derivation):", ""]
    for c in doc.get("appeal_effect", []):
        out.append(f"- {c['staff_id']} {c['name']} ({c['role']}): 业绩 {c['performance'][0]} → {c['performance'][1]}; "
                   f"应发合计 {c['total'][0]} → {c['total'][1]}")
        for line in c["lines"]:
            out.append(f"  - {line['name']} ({line['rule']}): {line['before']} → {line['after']} — "
                       f"before: {line['before_detail'] or '-'}; after: {line['after_detail'] or '-'}")
    return out
