"""The terminal's views, on the page: console.py's functions print into a `PageConsole`, which
keeps what they printed — each line of text and each rich Table — as plain data for the page's
template. So the page says exactly what the terminal says, from the same catalogue, and a new
console view needs nothing here."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.errors import MarkupError
from rich.table import Table
from rich.text import Text

from settle.problems import say

_TOTAL_LABELS = ("total_row", "simulate.total", "total_pay")


@dataclass
class Line:
    text: str
    tone: str = ""                       # "" · "warn" · "error" (the terminal's yellow and red)
    kind: str = "line"


@dataclass
class Grid:
    title: str
    headers: list[str]
    numeric: list[bool]                  # right-justified columns (amounts)
    rows: list[list[str]]
    totals: set[int] = field(default_factory=set)   # indexes of 合计 rows
    kind: str = "grid"


def _styled(value, markup: bool = True) -> Text:
    if isinstance(value, Text):
        return value
    if value is None:
        return Text("")
    if isinstance(value, str) and markup:
        try:
            return Text.from_markup(value)
        except MarkupError:
            return Text(value)
    return Text(str(value))


def _tone(text: Text) -> str:
    styles = " ".join(str(s.style) for s in text.spans) + " " + str(text.style)
    return "error" if "red" in styles else "warn" if "yellow" in styles else ""


class PageConsole:
    """Stands in for rich's Console where console.py's views print."""

    def __init__(self, lang: str = "zh"):
        self.lang = lang
        self.blocks: list[Line | Grid] = []

    def print(self, *objects, markup: bool | None = None, style=None, **_ignored) -> None:
        for obj in objects:
            if isinstance(obj, Table):
                self.blocks.append(self._grid(obj))
            else:
                text = _styled(obj, markup is not False)
                tone = _tone(text) or ("error" if style and "red" in str(style) else "")
                for part in text.plain.splitlines() or [""]:
                    self.blocks.append(Line(part, tone))

    def _grid(self, t: Table) -> Grid:
        columns = [list(c.cells) for c in t.columns]
        rows = [[_styled(col[i]).plain for col in columns] for i in range(t.row_count)]
        labels = {say(code, self.lang) for code in _TOTAL_LABELS}
        return Grid(_styled(t.title).plain if t.title else "", [_styled(c.header).plain for c in t.columns],
                    [c.justify == "right" for c in t.columns], rows,
                    {i for i, r in enumerate(rows) if r and r[0] in labels})
