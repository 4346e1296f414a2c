"""`settle verify MONTH`: recompute a settled month from its inputs and compare every recorded
figure with what was paid (issue: the month's lifecycle)."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from settle.problems import Problems

MATCH, DIFFERENT, CANNOT = 0, 1, 2


def compare(recorded: dict, fresh: dict) -> list[tuple[str, str, str]]:
    """(what, recorded, recomputed) for every figure that differs."""
    diffs = []
    rp, fp = recorded.get("people", {}), fresh.get("people", {})
    for sid in sorted(set(rp) | set(fp)):
        a, b = rp.get(sid), fp.get(sid)
        if a is None or b is None:
            diffs.append((f"{sid} 工资条", "有" if a else "无", "有" if b else "无"))
            continue
        for key in ("performance", "total"):
            if a[key] != b[key]:
                diffs.append((f"{sid} {key}", a[key], b[key]))
        if a.get("carry_forward") != b.get("carry_forward"):  # R45: what the next month deducts
            diffs.append((f"{sid} 结转 / carried", str((a.get("carry_forward") or {}).get("amount", "")),
                          str((b.get("carry_forward") or {}).get("amount", ""))))
        for col, val in a.get("columns", {}).items():
            if b.get("columns", {}).get(col) != val:
                diffs.append((f"{sid} {col}", val, b.get("columns", {}).get(col)))
    for sid in sorted(set(recorded.get("network", {})) | set(fresh.get("network", {}))):
        a = recorded.get("network", {}).get(sid, {}).get("performance")
        b = fresh.get("network", {}).get(sid, {}).get("performance")
        if a != b:
            diffs.append((f"{sid} 网络部业绩", str(a), str(b)))
    key = lambda v: (v.get("code"), v.get("staff_id"), v.get("file"), v.get("row"), v.get("card_no"))  # noqa: E731
    ra = sorted(map(key, recorded.get("violations", [])), key=str)
    fa = sorted(map(key, fresh.get("violations", [])), key=str)
    if ra != fa:
        diffs.append(("违规清单 / violations", f"{len(ra)} 项", f"{len(fa)} 项"))
    if recorded.get("rebates") != fresh.get("rebates"):
        diffs.append(("返款 / rebates", str(len(recorded.get("rebates", []))), str(len(fresh.get("rebates", [])))))
    return diffs


def verify_month(o, month_text: str, con: Console) -> int:
    import datetime as dt

    from settle.cli import _month, print_problems
    from settle.engine.pipeline import blocking, compute, load
    from settle.output.result import settlement_json

    problems = Problems()
    m = _month(o, month_text, problems)
    loaded = load(o.workspace, m, problems, rules=o.rules, out=o.out, need_inputs=False)
    from settle.output.publish import settled_folder
    target = settled_folder(loaded.ws.out_root, str(m))
    zh = o.lang == "zh"
    try:
        recorded = json.loads((target / "settlement.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        con.print(f"[red]{m} 没有结算记录（{target / 'settlement.json'}）[/red]" if zh else
                  f"[red]{m} has no recorded settlement[/red]")
        return CANNOT
    loaded = load(o.workspace, m, problems, rules=o.rules, out=o.out)
    if blocking(problems) or loaded.policy is None:
        print_problems(con, problems, o.lang)
        return CANNOT
    from settle.engine.pipeline import run_files
    settlement = compute(loaded)
    changed = []
    now = dict(run_files(loaded, settlement))
    for name, digest in recorded.get("inputs", {}).items():
        if now.get(name) != digest:
            changed.append((name, "已修改" if name in now else "已删除"))
    for name in now:
        if name not in recorded.get("inputs", {}):
            changed.append((name, "新增"))
    rules_now = dict(loaded.rules_files)
    for name, digest in recorded.get("rules", {}).get("files", {}).items():
        if rules_now.get(name) != digest:
            changed.append((name, "规则已修改"))
    fresh = settlement_json(settlement, files=run_files(loaded, settlement), rules_files=loaded.rules_files,
                            rules_source=loaded.rules_source, workspace=str(loaded.ws.root), started=dt.datetime.now())
    diffs = compare(recorded, fresh)
    if changed:
        t = Table(title="与结算时不同的文件" if zh else "Files changed since the settlement")
        t.add_column("文件" if zh else "File")
        t.add_column("变化" if zh else "Change")
        for row in changed:
            t.add_row(*row)
        con.print(t)
    if diffs:
        t = Table(title="不一致的数字" if zh else "Figures that differ")
        for h in (("项目", "Item"), ("记录", "Recorded"), ("重新计算", "Recomputed")):
            t.add_column(h[0] if zh else h[1])
        for row in diffs:
            t.add_row(*map(str, row))
        con.print(t)
    if not diffs and not changed:
        con.print(f"{m}：输入未变，所有数字与记录一致 ✓" if zh else f"{m}: inputs unchanged, every figure matches ✓")
        return MATCH
    if not diffs:
        con.print(f"{m}：文件有变化，但所有数字仍与记录一致" if zh else f"{m}: files changed but every figure matches")
        return DIFFERENT
    return DIFFERENT
