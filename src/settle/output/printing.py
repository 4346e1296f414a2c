"""What a printed page carries (issue 18): the title block's names, page headers and footers,
the signature lines, and figures as numbers with their display format."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from settle.output.xlsx import Num

COUNT_UNITS = {"张", "次", "人", "例", "天", "笔", "场", "card(s)", "time(s)", "head(s)", "case(s)", "days"}
_FIGURE = re.compile(r"^\s*(-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?)\s*(%|[^\d\s,./].*)?\s*$")


@dataclass(frozen=True)
class Page:
    """The names a printed page carries: settle.yaml's `hospital:` and `department:`."""

    hospital: str = ""
    department: str = "市场部"

    @property
    def org(self) -> str:
        return f"{self.hospital} {self.department}".strip()

    def header(self, centre: str, right: str = "") -> str:
        """An Excel page header: organisation left, what the page is centred, `right` right."""
        # The space after &13 ends the size code: "&132024-05" would ask for a 132 024-point font.
        parts = [f"&L{amp(self.org)}" if self.org else "", f'&C&"-,Bold"&13 {amp(centre)}',
                 f"&R{amp(right)}" if right else ""]
        return "".join(parts)[:250]


def amp(text: str) -> str:
    """Text inside an Excel page header: a literal & is written &&."""
    return str(text).replace("&", "&&")


FOOTER = "&C第 &P 页，共 &N 页"
FOOTER_EN = "&CPage &P of &N"


def footer(lang: str) -> str:
    return FOOTER if lang == "zh" else FOOTER_EN


def as_figure(text):
    """基数 or 比例 text → a Num when it is one figure with at most a unit, else the text itself:
    "1500" → 1,500.00; "3%" → 3%; "2 张" → 2 张; "20 元/次" → 20 元/次; "31/31 天" stays text."""
    if not isinstance(text, str):
        return text
    m = _FIGURE.match(text)
    if not m:
        return text
    number, decimals, unit = m.group(1), m.group(2) or "", (m.group(3) or "").strip()
    value = Decimal(number.replace(",", ""))
    if unit == "%":
        fmt = "0" + ("." + "0" * len(decimals) if decimals else "") + "%"
        return Num(float(value / 100), fmt, text)
    if unit and ('"' in unit or "\\" in unit or len(unit) > 20):
        return text
    if unit.split(" ")[0] in COUNT_UNITS and not decimals:
        fmt = "#,##0"
    else:
        fmt = "#,##0.00"
    if unit:
        fmt += f' "{unit if unit.startswith("（") else " " + unit}"'
    return Num(float(value), fmt, text)


def signature_line(labels: list[str], blank: str = "________________", lang: str = "zh") -> str:
    gap, colon = ("　　", "：") if lang == "zh" else ("    ", ": ")
    return gap.join(f"{label}{colon}{blank}" for label in labels)


DATE_BLANK = "______年____月____日"
DATE_BLANK_EN = "____-____-____"


def date_blank(lang: str) -> str:
    return DATE_BLANK if lang == "zh" else DATE_BLANK_EN
