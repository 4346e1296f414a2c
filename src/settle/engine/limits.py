"""R12: the one cap (封顶) and floor (保底) of a stream or a pay component's line."""

from __future__ import annotations

from decimal import Decimal

from settle.engine.model import PayLine


def limited(line: PayLine, cap: Decimal | None, floor: Decimal | None) -> PayLine:
    """R12: a line above `cap` pays the cap, one below `floor` pays the floor; the derivation
    says which. (A floor above the cap is refused with the rules, before any row is read.)"""
    if cap is not None and line.exact > cap:
        line = PayLine(line.component, line.name, line.rule, line.column, line.base, line.rate, cap,
                       detail=line.detail + f"，封顶 {cap}")
    if floor is not None and line.exact < floor:
        line = PayLine(line.component, line.name, line.rule, line.column, line.base, line.rate, floor,
                       detail=line.detail + f"，保底 {floor}")
    return line


def limit_errors(owner, path: str) -> list[str]:
    """R12 configuration check: a floor above the cap can never be paid."""
    cap, floor = getattr(owner, "cap", None), getattr(owner, "floor", None)
    if cap is not None and floor is not None and floor > cap:
        return [f"{path}.floor: floor {floor} is above cap {cap}"]
    return []
