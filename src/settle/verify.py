"""`settle verify MONTH` (SPEC §10): everything a settled month published, checked.

The inputs and the recorded rules are re-hashed (a changed file is named); the month is
recomputed from its inputs under its *recorded* rules and compared with settlement.json; every
workbook in output/MONTH/ is compared with settlement.json (output/audit.py). `verify()` is the
library function; `verify_month()` renders it for the command line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from settle.output.audit import Difference, audit_workbooks
from settle.problems import Problems, problem, text

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
                diffs.append((f"{sid} {a.get('name', '')} {key}", a[key], b[key]))
        if a.get("carry_forward") != b.get("carry_forward"):  # R45: what the next month deducts
            diffs.append((f"{sid} 结转 / carried", str((a.get("carry_forward") or {}).get("amount", "")),
                          str((b.get("carry_forward") or {}).get("amount", ""))))
        for col, val in a.get("columns", {}).items():
            if b.get("columns", {}).get(col) != val:
                diffs.append((f"{sid} {a.get('name', '')} {col}", val, b.get("columns", {}).get(col)))
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


@dataclass
class VerifyReport:
    month: str
    files: list[Difference] = field(default_factory=list)        # inputs and recorded rules changed
    figures: list[tuple[str, str, str]] = field(default_factory=list)   # settlement.json vs recomputed
    workbooks: list[Difference] = field(default_factory=list)    # published workbooks vs settlement.json

    @property
    def ok(self) -> bool:
        return not (self.files or self.figures or self.workbooks)


def recorded_rules_changes(folder: Path, record: dict) -> list[Difference]:
    """Each stored rules file whose bytes no longer have the recorded hash (or is gone)."""
    from settle.load.inputs import sha256

    rules = record.get("rules", {})
    out = []
    for name, rel in (rules.get("stored") or {}).items():
        want = rules.get("files", {}).get(name)
        try:
            now = sha256(folder / rel)
        except OSError:
            out.append(Difference(rel, recorded=(want or "")[:12], found="", what="verify.file_missing"))
            continue
        if now != want:
            out.append(Difference(rel, recorded=(want or "")[:12], found=now[:12], what="verify.file_changed"))
    return out


def verify(workspace: Path, month, *, out: Path | None = None, rules: Path | None = None
           ) -> tuple[VerifyReport | None, Problems]:
    """Verify a settled month. Problems (and no report) when it cannot be verified."""
    from settle.engine.pipeline import blocking, compute, load, run_files
    from settle.load.workspace import Workspace
    from settle.output.publish import settled_folder
    from settle.output.result import settlement_json
    from settle.records import read_record

    problems = Problems()
    ws = Workspace.open(workspace, Problems(), out)
    folder = settled_folder(ws.out_root, str(month))
    record = read_record(folder)
    if record is None:
        problems.add(problem("no_settlement", month=str(month), path=str(folder / "settlement.json")))
        return None, problems
    report = VerifyReport(str(month))
    report.files += recorded_rules_changes(folder, record)
    report.workbooks = audit_workbooks(folder, record)
    if report.files:   # the recorded rules were altered: nothing to recompute with
        return report, problems
    stored = folder / record.get("rules", {}).get("folder", "")
    use = stored if record.get("rules", {}).get("stored") and stored.is_dir() else rules
    loaded = load(workspace, month, problems, rules=use, out=out)
    if blocking(problems) or loaded.policy is None:
        return None, problems
    settlement = compute(loaded)
    now = dict(run_files(loaded, settlement))
    for name, digest in record.get("inputs", {}).items():
        if now.get(name) != digest:
            report.files.append(Difference(name, recorded=digest[:12], found=(now.get(name) or "")[:12],
                                           what="verify.file_changed" if name in now else "verify.file_missing"))
    for name in now:
        if name not in record.get("inputs", {}):
            report.files.append(Difference(name, found=now[name][:12], what="verify.file_extra"))
    fresh = settlement_json(settlement, files=run_files(loaded, settlement), rules_files=loaded.rules_files,
                            rules_source=loaded.rules_source, workspace=str(loaded.ws.root), started=dt.datetime.now())
    report.figures = compare(record, fresh)
    return report, problems


def verify_month(o, month_text: str, con: Console) -> int:
    """The command line's `verify`: render the report; exit 0 all agree, 1 differences, 2 cannot."""
    from settle.console import print_problems
    from settle.engine.pipeline import parse_month

    problems = Problems()
    m = parse_month(month_text, problems)
    report = None
    if m is not None:
        report, problems = verify(o.workspace, m, out=o.out, rules=o.rules)
    if report is None:
        print_problems(con, problems, o.lang)
        return CANNOT
    render_report(con, report, o.lang)
    return MATCH if report.ok else DIFFERENT


def render_report(con: Console, report: VerifyReport, lang: str) -> None:
    zh = lang == "zh"
    diffs = report.files + report.workbooks
    if diffs:
        t = Table(title="与记录不一致" if zh else "Differences from the record")
        for h in (("位置", "Where"), ("人员", "Person"), ("记录", "Recorded"), ("现在", "Found"), ("说明", "What")):
            t.add_column(h[0] if zh else h[1], overflow="fold")
        for d in diffs:
            t.add_row(d.place(), d.person, d.recorded, d.found, text(d.what, lang))
        con.print(t)
    if report.figures:
        t = Table(title="重新计算后不同的数字" if zh else "Figures that differ when recomputed")
        for h in (("项目", "Item"), ("记录", "Recorded"), ("重新计算", "Recomputed")):
            t.add_column(h[0] if zh else h[1])
        for row in report.figures:
            t.add_row(*map(str, row))
        con.print(t)
    n = len(diffs) + len(report.figures)
    con.print(text("verify.ok", lang, month=report.month) if report.ok else
              text("verify.differs", lang, month=report.month, n=n))
