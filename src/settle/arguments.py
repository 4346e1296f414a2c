"""The library's arguments as its callers give them: a month as text or Month, a path as text,
Path or None. Shared by the api-layer modules (api, cards, disputes) so none reaches into
another's private helpers."""

from __future__ import annotations

from pathlib import Path

from settle.problems import Problems


def as_month(month, problems: Problems):
    """MONTH as a Month, or None with the problem collected (not YYYY-MM, implausible)."""
    from settle.load.workspace import Month
    if isinstance(month, Month):
        return month
    from settle.engine.pipeline import parse_month
    return parse_month(str(month), problems)


def as_path(p) -> Path | None:
    return None if p is None else Path(p)
