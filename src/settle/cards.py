"""`settle check-cards` (R20–R26), what the clerk runs mid-month: the findings, 卡片检查.xlsx and
the appeal sheets 申诉/ (SPEC §12), written under the month's lock and never into a closed month."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from settle.arguments import as_month, as_path
from settle.problems import Problems, problem

CARD_CHECK_FILE = "卡片检查.xlsx"

CARD_CHECK_WAIT = 60.0  # seconds check-cards waits for a running settlement of the month


@dataclass
class CardCheck:
    """R20–R26 findings of a month (`settle check-cards`)."""

    month: object
    problems: Problems
    violations: object = None            # DataFrame
    names: dict = field(default_factory=dict)
    output: Path | None = None           # the 卡片检查.xlsx written, or None
    credit: object = None                # engine.crediting.Credit (its appeals: SPEC §12)
    appeal_sheets: list = field(default_factory=list)   # the 申诉/<工号>_<姓名>.xlsx written
    not_written: tuple[str, dict] | None = None   # (message code, params) when nothing was written

    @property
    def ok(self) -> bool:
        return self.violations is not None


def latest_month(workspace, out=None):
    from settle.load.workspace import Month, Workspace
    months = Workspace.open(Path(workspace), Problems(), as_path(out)).months_upto(Month(9999, 12))
    return months[-1] if months else None


def check_cards(workspace, month=None, *, rules=None, out=None, lang: str = "zh", write: bool = True) -> CardCheck:
    """Only the card and registration checks (R20–R26); writes 卡片检查.xlsx unless `write` is
    False, under the month's lock and never into a closed month."""
    from settle.engine.crediting import credit_month
    from settle.engine.pipeline import blocking, load
    problems = Problems()
    if month is None:
        month = latest_month(workspace, out)
        if month is None:
            problems.add(problem("no_month_folder", folder=str(Path(workspace) / "YYYY-MM")))
            return CardCheck(None, problems)
    m = as_month(month, problems)
    if m is None:
        return CardCheck(None, problems)
    from settle.records import recorded_rules
    if rules is None:
        rules = recorded_rules(Path(workspace), m, as_path(out))   # a settled month's own rules (SPEC §10)
    loaded = load(Path(workspace), m, problems, rules=as_path(rules), out=as_path(out))
    if blocking(problems) or loaded.policy is None:
        return CardCheck(m, problems)
    credit = credit_month(loaded.inputs, loaded.policy)
    problems.extend(credit.appeals.problems)   # SPEC §12: appeal rows that took no effect
    check = CardCheck(m, problems, credit.violations, loaded.inputs.staff.set_index("staff_id")["name"].to_dict(),
                      credit=credit)
    if write:
        target = loaded.ws.output_dir(m)
        final = target / CARD_CHECK_FILE
        check.not_written = _write_card_check(loaded.ws, m, target, final, check, lang, loaded.policy)
        check.output = None if check.not_written else final
    return check


def _write_card_check(ws, month, target: Path, final: Path, check: CardCheck, lang, policy) -> tuple[str, dict] | None:
    """Write 卡片检查.xlsx and the appeal sheets 申诉/ (SPEC §12) under the month's lock (never
    while a run publishes) and never into a closed month. Returns why nothing was written (a
    message code and its parameters), or None."""
    from settle.output.lock import LockHeld, MonthLock
    from settle.output.publish import is_closed, recover
    from settle.output.render import write_card_check

    try:
        with MonthLock(ws.root, str(month), timeout=CARD_CHECK_WAIT):
            recover(ws.out_root, str(month))
            closed = is_closed(target)
            if closed:
                return "card_check_closed", dict(month=month, who=closed.get("closed_by", ""),
                                                 when=closed.get("closed_at", ""))
            target.mkdir(parents=True, exist_ok=True)
            tmp = target / f".{final.name}.tmp"
            from settle.replace import HeldOpen, replace
            try:
                write_card_check(tmp, check.violations, check.names, lang, check.credit.appeals.by_finding())
                replace(tmp, final, temp=True)  # retried briefly while Excel or a scanner holds it
                check.appeal_sheets = _write_appeal_sheets(ws, target, check, lang, policy)
            except (OSError, HeldOpen):
                return "card_check_unwritable", dict(path=final)
            finally:
                tmp.unlink(missing_ok=True)
    except LockHeld as held:
        h = held.holder
        return "card_check_locked", dict(month=month, user=h.get("user"), host=h.get("host"), file=final.name)
    return None


def _write_appeal_sheets(ws, target: Path, check: CardCheck, lang, policy) -> list[Path]:
    """申诉/ as check-cards sees the month: each sheet written beside, then moved into place."""
    from settle.engine.appeals import month_findings
    from settle.output.appeals import APPEAL_FOLDER, write_appeal_sheets
    from settle.output.month import page_of
    from settle.replace import replace

    stage = target / f".{APPEAL_FOLDER}.tmp"
    shutil.rmtree(stage, ignore_errors=True)
    try:
        made = write_appeal_sheets(stage, month_findings(check.credit), check.names, check.month,
                                   policy.violations.duplicate_card_fine, lang, page_of(ws, lang))
        folder = target / APPEAL_FOLDER
        folder.mkdir(exist_ok=True)
        for p in made:
            replace(p, folder / p.name, temp=True)   # retried while a scanner holds it
        return [folder / p.name for p in made]
    finally:
        shutil.rmtree(stage, ignore_errors=True)


