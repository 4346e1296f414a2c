"""`settle` with no arguments on a console (a double-click on settle.exe, a launcher): ask for
the month, settle it as `settle run MONTH` would, and wait for Enter at the end so the window
does not vanish before the clerk has read it (SPEC §13). `w` starts the page instead."""

from __future__ import annotations

import datetime as dt
from typing import Callable

from settle.serve.texts import page_text

WEB = ("w", "web", "网页")


def last_month(today: dt.date | None = None) -> str:
    first = (today or dt.date.today()).replace(day=1)
    return f"{first - dt.timedelta(days=1):%Y-%m}"


def desk(run_cli: Callable[[list[str]], int], *, ask: Callable[[str], str] = input, echo=print,
         today: dt.date | None = None, lang: str = "zh") -> int:
    """Ask, run `settle run MONTH` (or `settle serve`) through `run_cli`, wait for Enter; the exit code."""
    from settle.load.perimeter import find_workspace
    from settle.load.workspace import Month
    from settle.problems import say

    default = last_month(today)
    echo(page_text("desk_workspace", lang, folder=find_workspace(None).resolve()))
    try:
        while True:
            answer = ask(page_text("desk_ask", lang, default=default)).strip()
            if answer.lower() in WEB:
                code = run_cli(["serve"])
                break
            try:
                month = str(Month.parse(answer or default))
            except ValueError:
                echo(page_text("desk_bad", lang, value=answer, default=default))
                continue
            code = run_cli(["run", month])
            break
        ask(page_text("desk_enter", lang))
    except (EOFError, KeyboardInterrupt):
        echo(say("interrupted", lang))
        return 130
    return code
