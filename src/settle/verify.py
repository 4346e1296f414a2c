"""`settle verify MONTH` (SPEC §10): everything a settled month published, checked.

The inputs and the recorded rules are re-hashed (a changed file is named); the month is
recomputed from its inputs under its *recorded* rules and compared with settlement.json; every
workbook in output/MONTH/ is compared with settlement.json (output/audit.py). `verify()` is the
library function; settle.console.print_verify renders it for the command line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from settle.output.audit import Difference, audit_workbooks
from settle.problems import Problems, problem, say

@dataclass(frozen=True)
class Item:
    """A verify text in the catalogue (settle.problems.MESSAGES), rendered in the run's language."""

    code: str
    params: tuple = ()

    def text(self, lang: str = "zh") -> str:
        return say(self.code, lang, **dict(self.params))

    def __str__(self) -> str:
        return self.text("zh")


def _item(code: str, **params) -> Item:
    return Item(code, tuple(params.items()))


_FIELDS = {"performance": "verify.performance", "total": "verify.total"}


def compare(recorded: dict, fresh: dict) -> list[tuple]:
    """(what, recorded, recomputed) for every figure that differs; `what` is an Item."""
    diffs = []
    rp, fp = recorded.get("people", {}), fresh.get("people", {})
    for sid in sorted(set(rp) | set(fp)):
        a, b = rp.get(sid), fp.get(sid)
        if a is None or b is None:
            diffs.append((_item("verify.payslip", sid=sid), _item("verify.present" if a else "verify.absent"),
                          _item("verify.present" if b else "verify.absent")))
            continue
        name = a.get("name", "")
        for key in ("performance", "total"):
            if a[key] != b[key]:
                diffs.append((_item(_FIELDS[key], sid=sid, name=name), a[key], b[key]))
        if a.get("carry_forward") != b.get("carry_forward"):  # R45: what the next month deducts
            diffs.append((_item("verify.carried", sid=sid, name=name),
                          str((a.get("carry_forward") or {}).get("amount", "")),
                          str((b.get("carry_forward") or {}).get("amount", ""))))
        for col, val in a.get("columns", {}).items():
            if b.get("columns", {}).get(col) != val:
                diffs.append((_item("verify.column", sid=sid, name=name, column=col), val,
                              b.get("columns", {}).get(col)))
    for sid in sorted(set(recorded.get("network", {})) | set(fresh.get("network", {}))):
        a = recorded.get("network", {}).get(sid, {}).get("performance")
        b = fresh.get("network", {}).get(sid, {}).get("performance")
        if a != b:
            diffs.append((_item("verify.network", sid=sid), str(a), str(b)))
    key = lambda v: (v.get("code"), v.get("staff_id"), v.get("file"), v.get("row"), v.get("card_no"))  # noqa: E731
    ra = sorted(map(key, recorded.get("violations", [])), key=str)
    fa = sorted(map(key, fresh.get("violations", [])), key=str)
    if ra != fa:
        diffs.append((_item("verify.violations"), _item("verify.n_items", n=len(ra)), _item("verify.n_items", n=len(fa))))
    appeal = lambda a: (a.get("id"), a.get("decision"), a.get("approved_by"), a.get("applied"), a.get("amount"),  # noqa: E731
                        a.get("file"), a.get("row"))
    ra, fa = sorted(map(appeal, recorded.get("appeals") or []), key=str), sorted(map(appeal, fresh.get("appeals") or []), key=str)
    if ra != fa:   # SPEC §12: the appeal decisions the month rests on
        diffs.append((_item("verify.appeals"), _item("verify.n_items", n=len(ra)), _item("verify.n_items", n=len(fa))))
    if recorded.get("rebates") != fresh.get("rebates"):
        diffs.append((_item("verify.rebates"), _item("verify.n_items", n=len(recorded.get("rebates", []))),
                      _item("verify.n_items", n=len(fresh.get("rebates", [])))))
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

    from settle.engine.pipeline import parse_month
    from settle.load.workspace import Month

    problems = Problems()
    month = month if isinstance(month, Month) else parse_month(str(month), problems)
    if month is None:
        return None, problems
    ws = Workspace.open(Path(workspace), Problems(), out)
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
