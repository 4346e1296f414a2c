"""What the page can do: one `Action` per button, each a settle.api call whose outcome is
printed by the terminal's own view (settle.console) into a PageConsole.

The list is data: a new action (`settle diff`, when settle.api has it) is one entry in
ACTIONS — its page texts `action.NAME` and `hint.NAME` are in settle/serve/texts.py.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from settle import api, console
from settle.cli_support import BAD_INPUT, CLOSE_EXIT, FINDINGS, OK, RUN_EXIT
from settle.problems import Problems


@dataclass
class Work:
    """One action's input: the month of a workspace, the server's options, the form's fields."""

    workspace: Path
    month: str
    lang: str = "zh"
    rules: Path | None = None            # `settle serve --rules`: the rules of every action but simulate
    out: Path | None = None
    form: dict = field(default_factory=dict)
    step: Callable[[str], None] = lambda label: None


Body = Callable[[Work, object], tuple[int, Problems]]   # (exit code as the CLI's, problems)


@dataclass(frozen=True)
class Action:
    name: str
    body: Body
    fields: tuple[str, ...] = ()         # form fields it reads: person · rules · reason · lines
    required: tuple[str, ...] = ()
    steps: int = 0                       # step() calls it makes (the progress bar), 0 when unknown
    when: str = ""                       # shown for every month, or only an "open" or a "closed" one


def _quiet(outcome):
    """The outcome without its problems: the page lists them in its own filterable table."""
    return dataclasses.replace(outcome, result=dataclasses.replace(outcome.result, problems=Problems()))


def validate(w: Work, con) -> tuple[int, Problems]:
    problems = api.validate_month(w.workspace, w.month, rules=w.rules, out=w.out)
    code = BAD_INPUT if problems.errors else (FINDINGS if problems.warnings else OK)
    if code == OK:
        console.print_message(con, "validate_clean", w.lang, month=w.month)
    return code, problems


def run(w: Work, con) -> tuple[int, Problems]:
    outcome = api.settle_month(w.workspace, w.month, rules=w.rules, out=w.out, lang=w.lang, step=w.step)
    console.report_run(con, _quiet(outcome), w.lang, all_rows=True)
    return RUN_EXIT[outcome.status], outcome.result.problems


def check_cards(w: Work, con) -> tuple[int, Problems]:
    check = api.check_cards(w.workspace, w.month, rules=w.rules, out=w.out, lang=w.lang)
    if not check.ok:
        return BAD_INPUT, check.problems
    console.print_card_check(con, check, w.lang)
    return (FINDINGS if len(check.violations) else OK), check.problems


def explain(w: Work, con) -> tuple[int, Problems]:
    e = api.explain(w.workspace, w.month, w.form["person"], rules=w.rules, out=w.out, lang=w.lang)
    if e.explained is None:
        return BAD_INPUT, e.problems
    console.print_explained(con, e.explained, w.lang)
    if w.form.get("lines"):
        console.print_credited_lines(con, e.explained, e.settlement, e.folder, e.record, w.lang)
    return OK, e.problems


def simulate(w: Work, con) -> tuple[int, Problems]:
    sim = api.simulate(w.workspace, w.month, rules=w.form["rules"], out=w.out)
    if sim.comparison is None:
        return BAD_INPUT, sim.problems
    console.print_comparison(con, sim.comparison, sim.path, w.lang)
    return OK, sim.problems


def verify(w: Work, con) -> tuple[int, Problems]:
    report, problems = api.verify(w.workspace, w.month, out=w.out, rules=w.rules)
    if report is None:
        return BAD_INPUT, problems
    console.print_verify(con, report, w.lang)
    return (OK if report.ok else FINDINGS), problems


def close(w: Work, con, reopen: bool = False) -> tuple[int, Problems]:
    c = api.close_month(w.workspace, w.month, reopen=reopen, reason=w.form.get("reason"), out=w.out)
    if c.status == "error":
        return BAD_INPUT, c.problems
    console.report_close(con, c, w.lang)
    return CLOSE_EXIT[c.status], c.problems


def reopen(w: Work, con) -> tuple[int, Problems]:
    return close(w, con, reopen=True)


def diff(w: Work, con) -> tuple[int, Problems]:
    """`settle diff MONTH [PERSON]` (SPEC §12): the published result against the run it replaced."""
    d = api.diff_month(w.workspace, w.month, person=w.form.get("person") or None, out=w.out, lang=w.lang)
    if d.comparison is None:
        return BAD_INPUT, d.problems
    console.print_diff(con, d.comparison, d.path, w.lang, all_rows=True)
    return OK, d.problems


ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("validate", validate),
    Action("run", run, steps=6),   # 读取输入 · 计算 · 写出 · 业绩明细 · 工资条与汇总 · 发布
    Action("check_cards", check_cards),
    Action("explain", explain, fields=("person", "lines"), required=("person",)),
    Action("simulate", simulate, fields=("rules",), required=("rules",)),
    Action("verify", verify),
    Action("close", close, when="open"),
    Action("reopen", reopen, fields=("reason",), required=("reason",), when="closed"),
)}
if hasattr(api, "diff_month"):   # where settle.api has `settle diff` (SPEC §12)
    ACTIONS["diff"] = Action("diff", diff, fields=("person",))
