"""One pipeline of stages: load → validate → credit → compute. Each stage takes data and
collects problems; the CLI only parses arguments, calls these, renders and sets exit codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from settle.engine.crediting import credit_month
from settle.engine.history import History
from settle.load.inputs import Inputs, load_inputs, sha256
from settle.load.perimeter import Perimeter, check_inputs, check_roster
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
    perimeter: Perimeter | None = None    # SPEC §8.1: the plausibility findings and their numbers
    problems: Problems | None = None


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
    policy = load_policy(path, problems)
    files = []
    if path.is_dir():
        for p in sorted(path.glob("*.y*ml")):
            files.append((f"rules/{p.name}", sha256(p)))
    elif path.exists():
        files.append((path.name if source != "default" else f"(内置) {path.name}", sha256(path)))
    loaded = Loaded(ws, month, policy, source, files, problems=problems)
    if need_inputs:
        loaded.inputs = load_inputs(ws, month, problems)
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
    found = loaded.perimeter if loaded.perimeter is not None else Perimeter()
    roster = check_roster(s, history, loaded.month, found)
    if loaded.problems is not None:
        loaded.problems.extend(roster)  # `run` prints them with the month's other warnings
    s.perimeter = found
    s.history_files = sorted(history.files.items())
    return s


def run_files(loaded: Loaded, s: Settlement) -> list[tuple[str, str]]:
    """Every file a run's figures rest on, with its SHA-256: the inputs and the earlier months'
    settlement.json that R41 read."""
    return list(loaded.inputs.files) + list(getattr(s, "history_files", []))
