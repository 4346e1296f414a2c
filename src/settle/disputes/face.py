"""The library face of disputes (SPEC §12): `settle diff` and `settle rules doc` as functions —
data in, (result, problems) out — re-exported by settle.api."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from settle.arguments import as_month, as_path
from settle.cards import CARD_CHECK_WAIT, latest_month
from settle.problems import Problems, problem, say


def month_record(folder: Path) -> dict | None:
    """A month's settlement.json with its credited lines (credited.parquet) attached."""
    from settle.disputes.lines import with_lines
    from settle.records import read_record
    return with_lines(read_record(folder), folder)


@dataclass
class Written:
    """What `settle diff` or `settle rules doc` made: its result (a MonthDiff or a PolicyDoc; None
    on bad input), the problems, and the workbook written (差异说明 or 提成方案说明)."""

    result: object = None
    problems: Problems = field(default_factory=Problems)
    path: Path | None = None

    @property
    def comparison(self):
        return self.result

    @property
    def doc(self):
        return self.result


Diff = RulesDocument = Written


def diff_records(before: dict, after: dict, *, month: str, before_label: str, after_label: str,
                 person: str | None = None):
    """Two month records (settlement.json) compared: a MonthDiff whose causes add up, per person,
    to the difference of 应发合计 to the fen."""
    from settle.disputes.attribute import diff_people
    from settle.disputes.diff import rules_changes
    from settle.disputes.lines import has_lines
    from settle.disputes.report import MonthDiff
    return MonthDiff(month, before_label, after_label, diff_people(before, after, person),
                     rules_changes(before, after), has_lines(before) and has_lines(after),
                     after.get("rules", {}).get("policy"))


def _named_run(target: Path, name: str, month: str, problems: Problems):
    """(record, folder) of a run kept in target/history/ by its stamp, or of a folder or
    settlement.json given by path; (None, None) with a problem when there is none."""
    from settle.output.publish import history_runs
    runs = history_runs(target)
    chosen = next((r for r in runs if r.name == str(name)), Path(name))
    folder = chosen if chosen.is_dir() else chosen.parent if chosen.is_file() else None
    record = month_record(folder) if folder is not None else None
    if record is None:
        problems.add(problem("diff_unknown_run", month=month, run=str(name), runs=", ".join(r.name for r in runs) or "—"))
        return None, None
    return record, folder


def diff_month(workspace, month, *, against=None, run=None, other_month=None, person=None, out=None,
               lang: str = "zh", write: bool = True) -> Diff:
    """`settle diff MONTH [--against RUN] [--run RUN | --month OTHER] [PERSON]`: MONTH's published
    result (or `run`, one kept in history/) against the run it replaced (the latest in history/),
    a named run (`against`: its time stamp, or a folder or settlement.json), or another month's
    result. Writes output/MONTH/差异说明.xlsx (not part of the record) under the month's lock
    unless `write` is False."""
    from settle.load.workspace import Workspace
    from settle.output.publish import history_runs, settled_folder

    problems = Problems()
    m = as_month(month, problems)
    if m is None:
        return Diff(problems=problems)
    ws = Workspace.open(Path(workspace), Problems(), as_path(out))
    target = ws.output_dir(m)
    if run is not None:
        after, folder = _named_run(target, run, str(m), problems)
        if after is None:
            return Diff(problems=problems)
        after_label = say("diff.run", lang, stamp=folder.name)
    else:
        after = month_record(settled_folder(ws.out_root, str(m)))
        if after is None:
            problems.add(problem("diff_not_settled", month=str(m)))
            return Diff(problems=problems)
        after_label = say("diff.published", lang)
    if other_month is not None:
        o = as_month(other_month, problems)
        if o is None:
            return Diff(problems=problems)
        before = month_record(settled_folder(ws.out_root, str(o)))
        if before is None:
            problems.add(problem("diff_not_settled", month=str(o)))
            return Diff(problems=problems)
        before_label, after_label = str(o), str(m)
    else:
        if against is None:   # the run the compared one replaced
            names = [r.name for r in history_runs(target)]
            at = names.index(folder.name) if run is not None and folder.name in names else len(names)
            against = names[at - 1] if at > 0 else None
        if against is None:
            problems.add(problem("diff_no_earlier_run", month=str(m)))
            return Diff(problems=problems)
        before, folder = _named_run(target, against, str(m), problems)
        if before is None:
            return Diff(problems=problems)
        before_label = say("diff.run", lang, stamp=folder.name)
    cmp = diff_records(before, after, month=str(m), before_label=before_label, after_label=after_label,
                       person=person)
    path = _write_diff(ws, m, cmp, lang) if write else None
    return Diff(cmp, problems, path)


def _write_diff(ws, month, cmp, lang: str) -> Path | None:
    """差异说明.xlsx beside the month's outputs, under its lock (never while a run publishes)."""
    from settle.disputes.report import FILE, write_workbook
    from settle.output.lock import LockHeld, MonthLock
    target = ws.output_dir(month)
    try:
        with MonthLock(ws.root, str(month), timeout=CARD_CHECK_WAIT):
            return write_workbook(target / FILE, cmp, lang)
    except (LockHeld, OSError):
        return None


# --- rules doc (SPEC §12) -----------------------------------------------------------------------

def rules_doc(workspace, *, month=None, against=None, rules=None, out=None, lang: str = "zh",
              write: bool = True) -> RulesDocument:
    """`settle rules doc [--month MONTH] [--against OTHER]`: the policy in force as 提成方案说明.xlsx.
    The version: `--rules` when given; else a settled MONTH's recorded rules, or the workspace's
    version in force for MONTH (without MONTH: for the latest month folder). The file goes to
    output/MONTH/ with a month (beside its outputs, not part of the record), else to output/."""
    from settle.disputes.policy_doc import FILE, policy_doc, write_workbook
    from settle.engine.pipeline import rules_location
    from settle.load.workspace import Workspace
    from settle.output.month import page_of
    from settle.records import read_record, recorded_rules
    from settle.rules import load_version
    problems = Problems()
    m = as_month(month, problems) if month is not None else None
    if month is not None and m is None:
        return RulesDocument(problems=problems)
    ws = Workspace.open(Path(workspace), Problems(), as_path(out))
    kept = recorded_rules(Path(workspace), m, as_path(out)) if m is not None and rules is None else None
    if rules is not None or kept is not None:
        version = load_version(Path(rules or kept), problems, source=str(rules or kept))
    else:
        path, source = rules_location(ws, None)
        at = m or latest_month(workspace, out)
        version = load_version(path, problems, month=None if at is None else str(at), source=source)
    other = load_version(Path(against), problems) if against is not None else None
    if version is None or (against is not None and other is None):
        return RulesDocument(problems=problems)
    doc, found = policy_doc(version, lang, other, None if against is None else Path(against).stem)
    if kept is not None:   # a settled month: the version its record names
        doc.label = (read_record(ws.output_dir(m)) or {}).get("rules", {}).get("version", doc.label)
    problems.extend(found)
    path = None
    if write:
        target = ws.output_dir(m) if m is not None else ws.out_root
        target.mkdir(parents=True, exist_ok=True)
        path = write_workbook(target / FILE, doc, lang, page_of(ws, lang))
    return RulesDocument(doc, problems, path)
