"""The page's actions run in background threads, one at a time per month (the month's lock,
taken by settle.api as on the command line, keeps other processes and other clerks apart).

A `Job` keeps the steps its action reported (the api's `step` callback), and at its end a
`Report`: the exit code the command line would give, what the terminal's view printed, and the
problems as --json carries them (masked) with their places.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from settle.cli_support import BAD_INPUT, problems_json
from settle.problems import Problems, say
from settle.serve.actions import Action, Work
from settle.serve.capture import PageConsole

PAGE_PROBLEMS = 1000   # problems listed on the page (the rest are counted)
TONES = {0: "ok", 1: "warn", 2: "error", 3: "locked"}


@dataclass
class Report:
    action: str
    code: int
    blocks: list
    problems: list[dict]                 # problems_json (masked) + where + level
    counts: str = ""                     # "共 N 个错误，M 个警告"
    more: str = ""                       # "… 另有 N 个问题未列出"

    @property
    def tone(self) -> str:
        return TONES.get(self.code, "error")


def problem_rows(problems: Problems, lang: str) -> tuple[list[dict], str]:
    """The problems as the page lists them, errors first, and the line counting those not listed."""
    items = problems.in_order()
    shown = items[:PAGE_PROBLEMS]
    levels = {"error": "level_error", "warning": "level_warning", "info": "level_info"}
    rows = [dict(j, where=p.location(lang) or "-", level=say(levels[p.severity], lang))
            for p, j in zip(shown, problems_json(Problems(shown), lang))]
    more = len(items) - len(shown) + problems.suppressed
    return rows, (say("more_problems", lang, n=more) if more > 0 else "")


def failure_text(exc: BaseException, lang: str) -> str:
    """What the terminal's guard would say about an exception (a fault of the disk, or a bug)."""
    from settle.faults import Fault, from_os_error
    fault = exc if isinstance(exc, Fault) else from_os_error(exc) if isinstance(exc, Exception) else None
    return fault.text(lang) if fault is not None else say("internal_error", lang, kind=type(exc).__name__, detail=exc)


@dataclass
class Job:
    action: Action
    work: Work
    debug: bool = False
    started: float = field(default_factory=time.time)
    finished: float | None = None
    steps: list[str] = field(default_factory=list)
    report: Report | None = None

    @property
    def running(self) -> bool:
        return self.finished is None

    def step(self, label: str) -> None:
        zh, _, en = label.partition(" / ")
        self.steps.append(zh if self.work.lang == "zh" or not en else en)

    def run(self) -> None:
        lang = self.work.lang
        con = PageConsole(lang)
        self.work.step = self.step
        try:
            code, problems = self.action.body(self.work, con)
        except BaseException as exc:  # the page's last line of defence, as cli_support.guard is the terminal's
            if self.debug:
                traceback.print_exc()
            code, problems = BAD_INPUT, Problems()
            con.print(f"[red]{failure_text(exc, lang)}[/red]", markup=True)
        try:
            rows, more = problem_rows(problems, lang)
            counts = say("problem_counts", lang, errors=len(problems.errors), warnings=len(problems.warnings))
            self.report = Report(self.action.name, code, con.blocks, rows, counts if len(problems) else "", more)
        finally:
            self.finished = time.time()


class Jobs:
    """The latest job of each month of each workspace; at most one running per month."""

    def __init__(self, debug: bool = False):
        self._lock = threading.Lock()
        self._jobs: dict[tuple[str, str], Job] = {}
        self.debug = debug

    @staticmethod
    def key(workspace: Path, month: str) -> tuple[str, str]:
        return str(Path(workspace).resolve()), month

    def get(self, workspace: Path, month: str) -> Job | None:
        with self._lock:
            return self._jobs.get(self.key(workspace, month))

    def start(self, action: Action, work: Work) -> tuple[Job, bool]:
        """(the job, True) when started; (the running job, False) when the month is busy."""
        key = self.key(work.workspace, work.month)
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.running:
                return job, False
            job = self._jobs[key] = Job(action, work, self.debug)
        threading.Thread(target=job.run, name=f"settle-{action.name}-{work.month}", daemon=True).start()
        return job, True

    def running(self) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if j.running]
