"""settle as a library: data in, (result, problems) out. The command line (cli.py) is one face
of these functions; tests and scripts are another.

    result = settle.run_month("工作目录", "2024-05")      # computes, writes nothing
    if result.ok:
        settle.publish(result)                           # payslips, summary, settlement.json

Every function collects problems (SPEC §8) instead of raising; what the caller does with them
(print a table, exit 2) is the caller's business.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

from settle.arguments import as_month, as_path
from settle.problems import Problems, problem, text

Step = Callable[[str], None]

# Output names never depend on --lang: a month written in English is found, verified and kept
# under the same names as one written in Chinese (only the workbooks' contents change).
PAYSLIP_FOLDER = "工资条"
SUMMARY_FILE = "部门汇总.xlsx"


def _no_step(label: str) -> None:
    return None


# --- results ------------------------------------------------------------------------------------

@dataclass
class Result:
    """One month computed in memory: the loaded inputs and rules, the settlement, the problems."""

    month: object                        # settle.load.workspace.Month, or None for a bad month text
    problems: Problems
    loaded: object = None                # settle.engine.pipeline.Loaded
    settlement: object = None            # settle.engine.model Settlement
    started: dt.datetime = field(default_factory=dt.datetime.now)

    @property
    def ok(self) -> bool:
        """True when the month was computed: no blocking input or rules problem."""
        return self.settlement is not None

    def reconciliation(self) -> dict:
        from settle.output.render import reconciliation
        return reconciliation(self.settlement)

    def meta(self, lang: str = "zh") -> dict:
        from settle.engine.pipeline import run_files
        from settle.records import record_meta
        loaded = self.loaded
        return dict(files=run_files(loaded, self.settlement), rules_files=loaded.rules_files,
                    rules_source=loaded.rules_source, workspace=str(loaded.ws.root.resolve()), started=self.started,
                    record=record_meta(loaded, self.settlement, lang))

    def to_json(self, rec: dict | None = None, lang: str = "zh") -> dict:
        """Exactly what settlement.json holds for this month (apart from its time stamp)."""
        from settle.output.result import settlement_json
        return settlement_json(self.settlement, rec=rec or self.reconciliation(), **self.meta(lang))


def run_month(workspace, month, *, rules=None, out=None, step: Step = _no_step) -> Result:
    """Settle MONTH in memory from the workspace's inputs and rules (SPEC §4–§6). Nothing is
    written. `result.ok` is False when a blocking problem stopped it (see result.problems)."""
    from settle.engine.pipeline import blocking, compute, load
    problems = Problems()
    m = as_month(month, problems)
    result = Result(m, problems)
    if m is None:
        return result
    step("读取输入 / reading inputs")
    result.loaded = load(Path(workspace), m, problems, rules=as_path(rules), out=as_path(out))
    if blocking(problems) or result.loaded.policy is None:
        return result
    step("计算 / computing")
    result.settlement = compute(result.loaded)
    return result


def validate_month(workspace, month, *, rules=None, out=None) -> Problems:
    """Check rules and inputs without computing pay (`settle validate`)."""
    from settle.engine.pipeline import load
    problems = Problems()
    m = as_month(month, problems)
    if m is not None:
        load(Path(workspace), m, problems, rules=as_path(rules), out=as_path(out))
    return problems


# --- publishing ---------------------------------------------------------------------------------

@dataclass
class Published:
    target: Path
    history: Path | None
    rec: dict


def write_outputs(folder: Path, result: Result, lang: str = "zh", step: Step = _no_step) -> dict:
    """Everything `run` writes, into `folder` (a staging folder): the month's rules (SPEC §10),
    then the workbooks and settlement.json (output/month.py)."""
    from settle.output.month import write_month
    from settle.records import store_rules
    store_rules(folder, result.loaded, lang)          # SPEC §10: the month keeps its rules
    return write_month(folder, result.settlement, result.loaded, result.meta(lang), lang, step)


class InputsChanged(Exception):
    """An input, rules file or earlier settlement changed between reading and publishing."""

    def __init__(self, problems: Problems):
        super().__init__("inputs changed during the run")
        self.problems = problems


def publish(result: Result, *, lang: str = "zh", step: Step = _no_step, before_publish=None) -> Published:
    """Write the month's outputs into a staging folder and move them into output/MONTH/ in one
    step, keeping the previous outputs under history/ (SPEC §8). The caller holds the lock.
    Just before the move every file the figures rest on is re-hashed (SPEC §10); a change
    raises InputsChanged and nothing is published. `before_publish(loaded)` is a test hook."""
    from settle.output.publish import publish as move_into_place, staged
    from settle.load.prefetch import give_back
    from settle.records import recheck
    ws, month = result.loaded.ws, str(result.month)
    # Every month's billing was needed for visit history only: free it before writing.
    result.loaded.inputs.billing = result.loaded.inputs.billing.iloc[0:0]
    give_back()
    step("写出 / writing")
    with staged(ws.out_root, month) as stage:   # removed on any failure; a full disk is a Fault
        rec = write_outputs(stage, result, lang, step)
        if before_publish is not None:
            before_publish(result.loaded)
        changed = recheck(result.loaded, result.settlement.history_files)
        if changed.errors:
            raise InputsChanged(changed)
        step("发布 / publishing")
        history = move_into_place(stage, ws.out_root, month, lock_root=ws.root)
    return Published(ws.output_dir(result.month), history, rec)


@dataclass
class RunOutcome:
    """What `settle run` did. status: ok · error (bad input, nothing written) · closed · locked ·
    unreplaceable (an output held open)."""

    status: str
    result: Result
    target: Path | None = None
    published: Published | None = None
    previous: dict | None = None         # 工号 → 应发合计 of the outputs this run replaced
    holder: dict | None = None           # who holds the lock / who closed the month
    stale: dict | None = None            # a stale lock's parameters (holder, age, the unlock command)
    notes: list = field(default_factory=list)   # history/ notes (its size, what history_keep pruned)
    path: Path | None = None             # the output file that could not be replaced
    elapsed: float = 0.0
    rules_changed: tuple[str, str] | None = None   # (old, new) rules versions when a rerun's differ
    changes: object = None               # a rerun: disputes.report.MonthDiff against the run it replaced (SPEC §12)


def previous_totals(target: Path) -> dict | None:
    try:
        data = json.loads((target / "settlement.json").read_text(encoding="utf-8"))
        return {sid: Decimal(p["total"]) for sid, p in data.get("people", {}).items()}
    except (OSError, ValueError, KeyError):
        return None


def settle_month(workspace, month, *, rules=None, out=None, lang: str = "zh", step: Step = _no_step,
                 before_publish=None) -> RunOutcome:
    """`settle run`: under the month's lock, compute the month and publish it — or nothing."""
    from settle.load.workspace import Workspace
    from settle.output.lock import LockHeld, MonthLock
    from settle.output.publish import PublishError, is_closed, recover, tend_history
    from settle.records import read_record, rules_change

    t0 = time.perf_counter()
    problems = Problems()
    m = as_month(month, problems)
    result = Result(m, problems)
    if m is None:
        return RunOutcome("error", result)
    ws = Workspace.open(Path(workspace), Problems(), as_path(out))
    target = ws.output_dir(m)
    closed = is_closed(target)
    if closed:
        return RunOutcome("closed", result, target, holder=closed)
    if not ws.root.is_dir():
        problems.add(problem("no_month_folder", folder=str(ws.root)))
        return RunOutcome("error", result, target)
    from settle.load.perimeter import is_workspace
    if not is_workspace(ws.root):  # SPEC §8.1: a run outside a workspace creates nothing there (no lock)
        problems.add(problem("not_a_workspace", folder=str(ws.root.resolve())))
        return RunOutcome("error", result, target)
    try:
        with MonthLock(ws.root, str(m), stale_after=ws.config.lock_stale_after):
            recover(ws.out_root, str(m))
            closed = is_closed(target)  # again, under the lock: a close may have landed meanwhile
            if closed:
                return RunOutcome("closed", result, target, holder=closed)
            result = run_month(workspace, m, rules=rules, out=out, step=step)
            if not result.ok:
                return RunOutcome("error", result, target)
            previous = previous_totals(target)
            rules_changed = rules_change(read_record(target), result.loaded)
            published = publish(result, lang=lang, step=step, before_publish=before_publish)
            notes = tend_history(target, ws.config.history_keep)
    except InputsChanged as changed:
        result.problems.extend(changed.problems)
        return RunOutcome("error", result, target)
    except LockHeld as held:
        return RunOutcome("locked", result, target, holder=held.holder,
                          stale=held.params(str(m)) if held.stale else None)
    except PublishError as exc:
        return RunOutcome("unreplaceable", result, target, path=exc.path)
    return RunOutcome("ok", result, target, published, previous, elapsed=time.perf_counter() - t0,
                      rules_changed=rules_changed, notes=notes, changes=_since_last(published, lang))


def _since_last(published: Published, lang: str):
    """SPEC §12: a rerun's changes against the run it replaced (now the latest in history/)."""
    from settle.disputes.face import month_record
    if published.history is None:
        return None
    before, after = month_record(published.history), month_record(published.target)
    if before is None or after is None:
        return None
    try:
        return diff_records(before, after, month=after.get("month", ""), before_label=published.history.name,
                            after_label=text("diff.published", lang))
    except Exception:  # noqa: BLE001 — the month is published: its summary line must not undo that
        return None


# --- check-cards: settle.cards (R20–R26 and the appeal sheets, SPEC §12) -------------------------

from settle.cards import CARD_CHECK_FILE, CardCheck, check_cards, latest_month  # noqa: E402,F401


# --- explain ------------------------------------------------------------------------------------

@dataclass
class Explanation:
    """One person's payslip with every figure's derivation (`settle explain`): a settled month's
    reproduced from its settlement.json (never recomputed with today's rules), an unsettled
    month's computed as a preview (SPEC §10)."""

    explained: object = None             # settle.records.Explained, or None
    problems: Problems = field(default_factory=Problems)
    settlement: object = None            # the preview's settlement (None for a settled month)
    folder: Path | None = None
    record: dict | None = None


def explain(workspace, month, person: str, *, rules=None, out=None, lang: str = "zh") -> Explanation:
    from settle.load.workspace import Workspace
    from settle.output.publish import settled_folder
    from settle.records import explain_preview, explain_recorded, read_record
    problems = Problems()
    m = as_month(month, problems)
    if m is None:
        return Explanation(problems=problems)
    folder = settled_folder(Workspace.open(Path(workspace), Problems(), as_path(out)).out_root, str(m))
    record = read_record(folder)
    if record is not None:
        ex, problems = explain_recorded(record, person, lang)
        return Explanation(ex, problems, None, folder, record)
    result = run_month(workspace, m, rules=rules, out=out)
    if not result.ok:
        return Explanation(problems=result.problems)
    ex, problems = explain_preview(result.settlement, person, lang)
    return Explanation(ex, problems, result.settlement, folder, None)


@dataclass
class DoctorExplanation:
    """One doctor's 科间转诊单 of a month (`settle explain MONTH --doctor NAME`, R42)."""

    month: object = None
    doctor: str = ""
    result: object = None                # engine.interdept.InterdeptResult
    slips: list = field(default_factory=list)
    recorded: bool = False               # the settled month's record, else a preview computed now
    problems: Problems = field(default_factory=Problems)

    def to_json(self) -> dict:
        return {"month": str(self.month), "doctor": self.doctor, "recorded": self.recorded,
                "slips": [s.to_json() for s in self.slips]}


def explain_doctor(workspace, month, doctor: str, *, rules=None, out=None) -> DoctorExplanation:
    from settle.engine.interdept import explain_doctor as doctor_slips
    from settle.engine.pipeline import blocking, load
    problems = Problems()
    m = as_month(month, problems)
    if m is None:
        return DoctorExplanation(problems=problems)
    loaded = load(workspace, m, problems, rules=rules, out=out)
    if blocking(problems) or loaded.policy is None:
        return DoctorExplanation(m, doctor, problems=problems)
    result, slips, recorded = doctor_slips(loaded, doctor)
    if not slips:
        return DoctorExplanation(m, doctor, problems=Problems([problem("unknown_doctor", value=doctor,
                                                                       month=str(m))]))
    return DoctorExplanation(m, doctor, result, slips, recorded, problems)


def verify(workspace, month, *, out=None, rules=None):
    """`settle verify`: (VerifyReport, Problems); the report is None when the month cannot be
    verified (not settled, bad month). See settle.verify."""
    from settle.verify import verify as verify_record
    return verify_record(Path(workspace), month, out=as_path(out), rules=as_path(rules))


# --- simulate -----------------------------------------------------------------------------------

@dataclass
class Simulation:
    comparison: object = None            # settle.simulate.Comparison, or None on bad input
    problems: Problems = field(default_factory=Problems)
    path: Path | None = None             # output/simulations/…/对比_<name>.xlsx


def simulate(workspace, month=None, *, rules, start=None, end=None, out=None, write: bool = True) -> Simulation:
    """MONTH (or --from/--to) under other rules (`settle simulate`, SPEC §10): compared with the
    settled result, or with the month computed under its own version; output/MONTH untouched."""
    from settle.load.workspace import Workspace
    from settle.simulate import comparison_path, month_range, simulate as run_simulation, usage_problem, \
        write_comparison
    problems = Problems()
    first = as_month(start or month or "", problems)
    last = as_month(end or month or start or "", problems)
    if first is None or last is None:
        return Simulation(problems=problems)
    if last < first:
        return Simulation(problems=usage_problem(first, last))
    months = month_range(first, last)
    cmp, problems = run_simulation(Path(workspace), months, Path(rules), out=as_path(out))
    if cmp is None:
        return Simulation(problems=problems)
    path = None
    if write:
        out_root = Workspace.open(Path(workspace), Problems(), as_path(out)).out_root
        path = write_comparison(comparison_path(out_root, months, cmp.other), cmp)
    return Simulation(cmp, problems, path)


# --- vouchers (R46, issue 26) --------------------------------------------------------------------

@dataclass
class VoucherFiles:
    month: object
    problems: Problems = field(default_factory=Problems)
    vouchers: list = field(default_factory=list)   # the month's recorded vouchers (settlement.json)
    written: list = field(default_factory=list)    # the files written for sending


def voucher_files(workspace, month, *, partner: str | None = None, out=None) -> VoucherFiles:
    """`settle vouchers MONTH [--partner NAME]`: a settled month's vouchers; with NAME, that
    introducer's voucher (each of a 合作单位's introducers) copied from the published 返款单.xlsx
    into output/返款单/MONTH/返款单_<合作单位>[_<转诊医生>].xlsx. The month folder is not touched."""
    import difflib

    from settle.load.workspace import Workspace
    from settle.output.publish import settled_folder
    from settle.output.voucher_files import SEND_DIR, matching, write_voucher_file
    from settle.records import read_record
    problems = Problems()
    m = as_month(month, problems)
    if m is None:
        return VoucherFiles(None, problems)
    out_root = Workspace.open(Path(workspace), Problems(), as_path(out)).out_root
    folder = settled_folder(out_root, str(m))
    record = read_record(folder)
    if record is None:
        problems.add(problem("no_settlement", month=str(m), path=str(folder / "settlement.json")))
        return VoucherFiles(m, problems)
    result = VoucherFiles(m, problems, record.get("vouchers", []))
    if partner is None:
        return result
    found = matching(result.vouchers, partner)
    if not found:
        close = difflib.get_close_matches(partner, sorted({v["partner"] for v in result.vouchers}), n=3)
        problems.add(problem("unknown_voucher", value=partner, month=str(m), n=len(result.vouchers),
                             close=", ".join(close) or "—"))
        return result
    result.vouchers = found
    result.written = [write_voucher_file(folder, record, v, out_root / SEND_DIR / str(m)) for v in found]
    return result


# --- close / reopen -----------------------------------------------------------------------------

@dataclass
class CloseOutcome:
    """status: closed · already_closed · reopened · not_closed · not_settled · needs_reason · locked."""

    status: str
    month: object
    info: dict = field(default_factory=dict)
    problems: Problems = field(default_factory=Problems)


def close_month(workspace, month, *, reopen: bool = False, reason: str | None = None, out=None) -> CloseOutcome:
    """Mark a settled month final (`settle close`), or reopen it with a reason; both logged."""
    from settle.load.workspace import Workspace
    from settle.output.lock import LockHeld, MonthLock, who
    from settle.output.publish import CLOSED_MARK, HISTORY, is_closed, recover, settled_folder

    problems = Problems()
    m = as_month(month, problems)
    if m is None:
        return CloseOutcome("error", None, problems=problems)
    ws = Workspace.open(Path(workspace), Problems(), as_path(out))
    target = ws.output_dir(m)
    if not (settled_folder(ws.out_root, str(m)) / "settlement.json").exists():
        return CloseOutcome("not_settled", m)
    try:
        with MonthLock(ws.root, str(m), stale_after=ws.config.lock_stale_after):
            recover(ws.out_root, str(m))
            closed = is_closed(target)
            log = target / HISTORY / "close-log.jsonl"
            if reopen:
                if not closed:
                    return CloseOutcome("not_closed", m)
                if not reason or not reason.strip():
                    return CloseOutcome("needs_reason", m)
                _log(log, {"action": "reopen", "reason": reason, **who(), "closed": closed})
                (target / CLOSED_MARK).unlink()
                return CloseOutcome("reopened", m, {"reason": reason})
            if closed:
                return CloseOutcome("already_closed", m, closed)
            info = who()
            mark = {"closed_at": dt.datetime.now().isoformat(timespec="seconds"),
                    "closed_by": f"{info['user']}@{info['host']}"}
            (target / CLOSED_MARK).write_text(json.dumps(mark, ensure_ascii=False), encoding="utf-8")
            _log(log, {"action": "close", **mark})
            return CloseOutcome("closed", m, mark)
    except LockHeld as held:
        if held.stale:
            return CloseOutcome("stale_lock", m, held.params(str(m)))
        return CloseOutcome("locked", m, held.holder)


def inspect_file(path, workspace=None, *, kind: str | None = None):
    """SPEC §3.6: how settle reads one workbook (settle.load.inspection), without computing pay.
    The workspace whose settle.yaml applies: `workspace` when the file lies in it, else the
    nearest one upwards from the file, else `workspace`."""
    from settle.load.inspection import inspect_file as inspect_one
    from settle.load.perimeter import find_workspace, is_workspace

    path = Path(path)
    root = Path(workspace) if workspace is not None else None
    inside = root is not None and is_workspace(root) and path.resolve().is_relative_to(root.resolve())
    if not inside:
        folder = path.resolve().parent
        found = find_workspace(env={}, cwd=folder)
        # no workspace anywhere: the folder above a month folder (YYYY-MM) is where settle.yaml goes
        root = found if is_workspace(found) else (
            root or (folder.parent if len(folder.name) == 7 and folder.name[4] == "-" else folder))
    return inspect_one(path, root, kind)


def _log(log: Path, entry: dict) -> None:
    log.parent.mkdir(exist_ok=True)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


def init_workspace(directory) -> tuple[list[str], list[str]]:
    """Create a workspace (`settle init`). Returns (created, existing): nothing is created when
    the folder already holds a workspace."""
    from settle.output.templates import create_workspace
    directory = Path(directory)
    existing = [p for p in ("settle.yaml", "rules", "staff.xlsx") if (directory / p).exists()]
    if existing:
        return [], existing
    from settle.output.launcher import write_launchers
    return create_workspace(directory) + write_launchers(directory), []   # SPEC §13: start by double-click


# --- diff and rules doc (SPEC §12): settle.disputes.face ---------------------------------------

from settle.disputes.face import Diff, RulesDocument, diff_month, diff_records, rules_doc  # noqa: E402,F401
