"""One pipeline of stages: load → validate → credit → compute. Each stage takes data and
collects problems; the CLI only parses arguments, calls these, renders and sets exit codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from settle.engine.components import check_policy
from settle.engine.crediting import credit_month
from settle.engine.history import History
from settle.load.inputs import Inputs, load_inputs, sha256
from settle.engine.pay import Settlement, settle_month
from settle.rules.policy import Policy, default_rules_dir, load_policy
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
    problems: Problems = field(default_factory=Problems)  # the run's collector: compute adds its warnings


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
    ws = Workspace.open(root, problems, out)
    path, source = rules_location(ws, rules)
    policy = load_policy(path, problems, checks=check_policy)
    files = []
    if path.is_dir():
        for p in sorted(path.glob("*.y*ml")):
            files.append((f"rules/{p.name}", sha256(p)))
    elif path.exists():
        files.append((path.name if source != "default" else f"(内置) {path.name}", sha256(path)))
    loaded = Loaded(ws, month, policy, source, files, problems=problems)
    if need_inputs:
        loaded.inputs = load_inputs(ws, month, problems)
    return loaded


def blocking(problems: Problems) -> list:
    """Errors that stop a run. An unknown salesperson in 登记表 (R25) only rejects the row."""
    return [p for p in problems.errors if p.code != "unknown_staff"]


def compute(loaded: Loaded) -> Settlement:
    inputs = loaded.inputs
    credit = credit_month(inputs, loaded.policy)
    history = History(loaded.ws, inputs.staff)
    s = settle_month(inputs, credit, loaded.policy, holidays=loaded.ws.config.holidays, history=history)
    s.history_files = sorted(history.files.items())
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
    return list(loaded.inputs.files) + list(s.history_files)
