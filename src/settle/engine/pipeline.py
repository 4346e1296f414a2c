"""One pipeline of stages: load → validate → credit → compute. Each stage takes data and
collects problems; the CLI only parses arguments, calls these, renders and sets exit codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from settle.engine.crediting import credit_month
from settle.engine.history import History
from settle.engine.interdept import interdept_month
from settle.load.discipline import rows_without_rule
from settle.load.inputs import Inputs, load_inputs
from settle.load.prefetch import lean_arrow_pool
from settle.load.perimeter import Perimeter, check_inputs, check_roster
from settle.engine.model import Settlement
from settle.engine.settle_month import settle_month
from settle.rules import Policy, RulesVersion, default_rules_dir, load_version
from settle.problems import Problems, problem
from settle.load.workspace import Month, Workspace


@dataclass
class Loaded:
    ws: Workspace
    month: Month
    policy: Policy | None
    rules_source: str                     # "workspace" | "default" | a path
    rules_files: list[tuple[str, str]] = field(default_factory=list)
    inputs: Inputs | None = None
    version: RulesVersion | None = None   # the rules version in force (SPEC §10) and its source files
    # The earlier months' settlement.json that R41 read while computing, (display name, SHA-256).
    history_files: list[tuple[str, str]] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)  # the run's collector: compute adds its warnings
    perimeter: Perimeter | None = None    # SPEC §8.1: the plausibility findings and their numbers


def parse_month(text: str, problems: Problems) -> Month | None:
    try:
        return Month.parse(text)
    except ValueError:
        problems.add(problem("bad_month", value=text))
        return None


def rules_location(ws: Workspace, rules: Path | None) -> tuple[Path, str]:
    if rules is not None:
        return Path(rules), str(rules)
    own = ws.root / "rules"
    if own.is_dir() and (any(own.glob("*.yaml")) or any(own.glob("*.yml"))):
        return own, "workspace"
    return default_rules_dir() / "default.yaml", "default"


def load(root: Path, month: Month, problems: Problems, *, rules: Path | None = None, out: Path | None = None,
         need_inputs: bool = True) -> Loaded:
    """Rules and inputs of MONTH. The workspace's rules give MONTH's version (SPEC §10: the
    dated version in force, else the base); `--rules` bypasses `effective`."""
    ws = Workspace.open(root, problems, out)
    path, source = rules_location(ws, rules)
    version = load_version(path, problems, month=None if rules is not None else str(month), source=source)
    prefix = {"workspace": "rules/", "default": "(内置) "}.get(source, "")
    files = [(prefix + f.name, f.sha256) for f in version.files] if version else []
    loaded = Loaded(ws, month, version.policy if version else None, source, files, version=version,
                    problems=problems)
    if need_inputs:
        lean_arrow_pool()
        loaded.inputs = load_inputs(ws, month, problems)
        slips = loaded.inputs.interdept
        if loaded.policy is not None and loaded.policy.interdept_referral is None and slips is not None and len(slips.frame):
            problems.add(problem("interdept_off"))  # R42: read and checked, but nothing to pay
        rows_without_rule(loaded.inputs.adjustments, loaded.policy, month, problems)   # R43 off (SPEC §10)
        loaded.perimeter = check_inputs(ws, month, loaded.inputs, problems)
    return loaded


def blocking(problems: Problems) -> list:
    """Errors that stop a run. An unknown salesperson in 登记表 (R25) only rejects the row."""
    return [p for p in problems.errors if p.code != "unknown_staff"]


def compute(loaded: Loaded) -> Settlement:
    inputs = loaded.inputs
    credit = credit_month(inputs, loaded.policy)
    history = History(loaded.ws, inputs.staff)
    s = settle_month(inputs, credit, loaded.policy, holidays=loaded.ws.config.holidays, history=history)
    s.interdept = interdept_month(inputs, loaded.policy)  # R42, before the billing is freed
    loaded.problems.extend(credit.appeals.problems)        # SPEC §12: appeal rows that took no effect
    found = loaded.perimeter if loaded.perimeter is not None else Perimeter()
    loaded.problems.extend(check_roster(s, history, loaded.month, found))  # `run` prints them with the rest
    s.perimeter = found
    s.history_files = sorted({**history.files, **(s.interdept.files if s.interdept else {})}.items())
    loaded.history_files = s.history_files
    earlier_month_warnings(loaded, history)
    return s


def earlier_month_warnings(loaded: Loaded, history: History) -> None:
    """What the month before MONTH leaves unsaid: R45 when it has inputs but no settlement (nothing
    was carried from it), R44 when a hire who left within 7 days began in it and it is closed."""
    from settle.engine.newhire import spans_closed_month
    from settle.output.publish import is_closed

    ws, month = loaded.ws, loaded.month
    prev = month.shift(-1)
    has_inputs = any(ws.files(prev, kind) for kind in ("registrations", "billing", "daily", "adjustments")) \
        if ws.month_dir(prev).is_dir() else False
    if loaded.policy.carry_negative_pay and has_inputs and history.settlement(prev) is None:
        loaded.problems.add(problem("no_carry_settlement", previous=str(prev), month=str(month)))
    if is_closed(ws.output_dir(prev)):
        for p in loaded.inputs.staff.itertuples():
            if spans_closed_month(p, month, loaded.policy):
                loaded.problems.add(problem("new_hire_closed_month", staff_id=p.staff_id, name=p.name,
                                            previous=str(prev), days=loaded.policy.new_hire_leaver.within_days))


def run_files(loaded: Loaded, s: Settlement) -> list[tuple[str, str]]:
    """Every file a run's figures rest on, with its SHA-256: the inputs and the earlier months'
    settlement.json that R41 read."""
    return list(loaded.inputs.files) + list(loaded.history_files)
