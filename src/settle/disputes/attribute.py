"""Each payslip line's change split into causes (SPEC §12): see settle.disputes.diff for the method."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from decimal import Decimal

from settle.disputes.diff import (ZERO, Cause, Driver, LineChange, PersonDiff, performance_drivers, policy_of,
                                  rules_changes, settle_fen, shared_out, stream_drivers)
from settle.engine.discipline import PAY_COLUMNS
from settle.engine.money import fmt_money
from settle.rules import schema as P

FINES = {"duplicate_card_fine": "R21", "late_report": "R27", "missing_report": "R27"}
OWN_PERFORMANCE = (P.BasePay, P.Assessment)
PRORATED = (P.BasePay, P.Allowance)


@dataclass
class Sides:
    """Both records, their policies and what moved 业绩, shared by every line's attribution."""

    before: dict
    after: dict
    policies: tuple
    changes: list

    @classmethod
    def of(cls, before: dict, after: dict) -> "Sides":
        return cls(before, after, (policy_of(before), policy_of(after)), rules_changes(before, after))

    @cached_property
    def drivers(self) -> dict:
        """What moved 业绩, computed once and only when someone's pay differs."""
        return stream_drivers(self.before, self.after)

    def person(self, side: int, sid: str) -> dict | None:
        return (self.before, self.after)[side].get("people", {}).get(sid)

    def find(self, side: int, ident: str):
        pol = self.policies[side]
        if pol is None:
            return None
        for item in (*pol.streams, *pol.registration_streams, *pol.pay):
            if item.id == ident:
                return item
        return None

    def keys(self, ident: str) -> list[str]:
        from settle.disputes.diff import _config_keys
        return _config_keys(self.changes, "streams", ident) + _config_keys(self.changes, "pay", ident) + \
            _config_keys(self.changes, "registration_streams", ident)

    def own_drivers(self, sid: str) -> list[Driver]:
        p0, p1 = self.person(0, sid), self.person(1, sid)
        streams = set((p0 or {}).get("stream_performance", {})) | set((p1 or {}).get("stream_performance", {}))
        streams |= {s for (who, s) in self.drivers if who == sid}
        return [d for s in sorted(streams) for d in performance_drivers(self.drivers, sid, s, p0, p1)]

    def members(self, sid: str, comp) -> list[str]:
        """Whose 业绩 a team or department figure sums (R34, R35, R30 of the 主任), on either side."""
        me = self.person(1, sid) or self.person(0, sid) or {}
        out = set()
        for people in (self.before.get("people", {}), self.after.get("people", {})):
            for other, p in people.items():
                if isinstance(comp, P.TeamCommission) and p.get("role") == "业务员" and me.get("team") and \
                        p.get("team") == me.get("team"):
                    out.add(other)
                elif isinstance(comp, P.DepartmentCommission) and p.get("role") in comp.of_roles:
                    out.add(other)
                elif isinstance(comp, P.BasePay) and comp.quota_on == "department_mean_regular" and \
                        p.get("role") == "业务员":
                    out.add(other)
        return sorted(out)

    def group_drivers(self, members: list[str]) -> list[Driver]:
        out = []
        for m in members:
            name = (self.person(1, m) or self.person(0, m) or {}).get("name", "")
            for d in self.own_drivers(m):
                out.append(Driver(d.kind, d.weight, {**d.params, "staff_id": m, "name": name}))
        return out


def _rate_at(comm, x: Decimal) -> tuple[int, Decimal]:
    """(bracket index, the rate one more yuan of 业绩 earns) at 业绩 x before the change."""
    if isinstance(comm, P.Percent):
        return 0, comm.rate
    if x < 0:
        return -1, ZERO
    for i, t in enumerate(comm.tiers):
        if x >= t.lower and (t.upper is None or x < t.upper):
            return i, t.rate
    return len(comm.tiers) - 1, comm.tiers[-1].rate


def _amount(comm, x: Decimal) -> Decimal:
    return x * comm.rate if isinstance(comm, P.Percent) else comm.table().apply(x)[0]


EXACT = (P.Percent, P.TieredCommission)


def _residual(parts: list[Cause], delta: Decimal, limited: bool) -> str:
    """What the rounded parts leave is rounding (at most half a fen per part), else a cap or floor
    (R12) when the line has one, else unexplained."""
    gap = abs(delta - sum((c.amount for c in parts), ZERO))
    if gap <= Decimal("0.005") * (len(parts) + 2):
        return "rounding"
    return "limit" if limited else "other"


def stream_causes(sides: Sides, sid: str, ch: LineChange) -> list[Cause]:
    """A commission on the person's 业绩 in one stream (R8–R11): lines × the old rate, the rules'
    change, the bracket crossed."""
    s0, s1 = sides.find(0, ch.component), sides.find(1, ch.component)
    p0, p1 = sides.person(0, sid), sides.person(1, sid)
    drivers = performance_drivers(sides.drivers, sid, ch.component, p0, p1)
    delta = ch.difference
    c0, c1 = getattr(s0, "commission", None), getattr(s1, "commission", None)
    c0, c1 = c0 or c1, c1 or c0
    keys = sides.keys(ch.component)
    if not (isinstance(c0, EXACT) and isinstance(c1, EXACT)):
        return _proportional(sides, ch, drivers, keys, ZERO)
    x0 = Decimal((p0 or {}).get("stream_performance", {}).get(ch.component, "0"))
    x1 = Decimal((p1 or {}).get("stream_performance", {}).get(ch.component, "0"))
    b0, r0 = _rate_at(c0, x0)
    parts = [Cause(d.kind, ch.component, ch.name, r0 * d.weight, dict(d.params)) for d in drivers]
    if keys:
        parts.append(Cause("rules", ch.component, ch.name, _amount(c1, x1) - _amount(c0, x1), {"keys": ", ".join(keys)}))
    b1, r1 = _rate_at(c0, x1)
    crossed = b0 != b1
    if crossed:
        bracket = _amount(c0, x1) - _amount(c0, x0) - sum((r0 * d.weight for d in drivers), ZERO)
        parts.append(Cause("bracket", ch.component, ch.name, bracket,
                           {"rate_before": P._pct(r0), "rate_after": P._pct(r1), "base": fmt_money(x1)}))
    limited = any(getattr(s, "cap", None) is not None or getattr(s, "floor", None) is not None for s in (s0, s1))
    kind = "bracket" if crossed else _residual(parts, delta, limited)
    return settle_fen(parts, delta, ch.component, ch.name, kind)


def _proportional(sides: Sides, ch: LineChange, drivers: list[Driver], keys: list[str], days_part: Decimal,
                  days: dict | None = None) -> list[Cause]:
    """Days first, then a rules change takes what is left when the component's keys changed
    (with the 业绩 change, which a rules change makes inseparable here), else the drivers share it."""
    parts = [Cause("days", ch.component, ch.name, days_part, days or {})] if days_part else []
    rest = ch.difference - days_part
    if rest and keys:
        parts.append(Cause("rules", ch.component, ch.name, rest, {"keys": ", ".join(keys)}))
    elif rest:
        parts += shared_out(rest, drivers, ch.component, ch.name)
    return settle_fen(parts, ch.difference, ch.component, ch.name)


def component_causes(sides: Sides, sid: str, ch: LineChange, comp) -> list[Cause]:
    """R30–R35: days employed, rules, then the 业绩 behind the figure (own, team or department)."""
    p0, p1 = sides.person(0, sid) or {}, sides.person(1, sid) or {}
    d0, d1 = int(p0.get("employed_days") or 0), int(p1.get("employed_days") or 0)
    days_part, days = ZERO, {"days_before": d0, "days_after": d1}
    if isinstance(comp, PRORATED) and comp.prorate and d0 != d1:
        days_part = ch.difference if not (d0 and d1) else ch.before * Decimal(d1) / Decimal(d0) - ch.before
    members = sides.members(sid, comp)
    if isinstance(comp, OWN_PERFORMANCE) and not members:
        drivers = sides.own_drivers(sid)
    elif isinstance(comp, P.ManagementBonus):
        return settle_fen([Cause("team_lowest", ch.component, ch.name, ch.difference, {})], ch.difference,
                          ch.component, ch.name)
    else:
        drivers = sides.group_drivers(members)
    return _proportional(sides, ch, drivers, sides.keys(ch.component), days_part, days)


def line_causes(sides: Sides, sid: str, ch: LineChange, details: tuple[str, str]) -> list[Cause]:
    """One payslip line's change → causes adding up to it to the fen."""
    delta = ch.difference
    if not delta:
        return []
    detail = details[1] or details[0]
    if "R44" in details[0] + details[1]:   # a leaver within 7 days: every line 0.00
        return [Cause("unpaid", ch.component, ch.name, delta, {"rule": "R44"})]
    comp = sides.find(1, ch.component) or sides.find(0, ch.component)
    if isinstance(comp, P.Stream):
        return stream_causes(sides, sid, ch)
    if isinstance(comp, P.RegistrationStream):
        return [Cause("registrations", ch.component, ch.name, delta, {"rule": comp.rule, "detail": detail})]
    if comp is not None and not isinstance(comp, (P.Stream, P.RegistrationStream)):
        return component_causes(sides, sid, ch, comp)
    if ch.component == "carried_debt":
        return [Cause("carried", ch.component, ch.name, delta, {"rule": "R45", "detail": detail})]
    if ch.component in FINES:
        return [Cause("fine", ch.component, ch.name, delta, {"rule": FINES[ch.component], "detail": detail})]
    if detail.startswith("调整 ") or ch.component == "adjustment":
        return [Cause("adjustment", ch.component, ch.name, delta, {"detail": detail})]
    return [Cause("other", ch.component, ch.name, delta, {"detail": detail})]


def _paired(lines0: list[dict], lines1: list[dict]) -> list[tuple[dict | None, dict | None]]:
    """Payslip lines of both sides paired: a component once on each side by its id, several (调整
    rows, fines) by their text; the rest stand alone (added or removed)."""
    def groups(lines):
        g: dict[str, list[dict]] = {}
        for l in lines:
            g.setdefault(l["component"], []).append(l)
        return g
    g0, g1 = groups(lines0), groups(lines1)
    out = []
    for comp in list(dict.fromkeys([*g0, *g1])):
        a, b = g0.get(comp, []), g1.get(comp, [])
        if len(a) <= 1 and len(b) <= 1:
            out.append((a[0] if a else None, b[0] if b else None))
            continue
        rest = list(b)
        for l in a:
            twin = next((x for x in rest if (x["name"], x["detail"]) == (l["name"], l["detail"])), None)
            if twin is not None:
                rest.remove(twin)
            out.append((l, twin))
        out += [(None, x) for x in rest]
    return out


def person_diff(sides: Sides, sid: str) -> PersonDiff:
    p0, p1 = sides.person(0, sid), sides.person(1, sid)
    head = p1 or p0
    changes, causes, follows = [], [], []
    columns: dict[str, str] = {}
    for l0, l1 in _paired((p0 or {}).get("lines", []), (p1 or {}).get("lines", [])):
        line = l1 or l0
        columns[line["component"]] = line.get("column", "")
        ch = LineChange(line["component"], line["name"], Decimal(l0["amount"]) if l0 else ZERO,
                        Decimal(l1["amount"]) if l1 else ZERO)
        if not ch.difference:
            continue
        changes.append(ch)
        if ch.component == "insubordination" and l0 and l1:
            follows.append(ch)
        else:
            causes += line_causes(sides, sid, ch, ((l0 or {}).get("detail", ""), (l1 or {}).get("detail", "")))
    for ch in follows:   # R43 不服从 takes a share of the pay lines: their causes move it too
        keys = [k for k, _, _ in sides.changes if k == "discipline.insubordination_share"]
        pay = [Driver(c.kind, c.amount, c.params) for c in causes if columns.get(c.component) in PAY_COLUMNS]
        parts = [Cause("rules", ch.component, ch.name, ch.difference, {"keys": ", ".join(keys)})] if keys else \
            shared_out(ch.difference, pay, ch.component, ch.name)
        causes += settle_fen(parts, ch.difference, ch.component, ch.name)
    return PersonDiff(sid, head.get("name", ""), head.get("role", ""), Decimal(p0["total"]) if p0 else None,
                      Decimal(p1["total"]) if p1 else None, changes, causes)


def diff_people(before: dict, after: dict, person: str | None = None) -> list[PersonDiff]:
    """Every person whose 应发合计 differs (or who has a payslip on one side only)."""
    sides = Sides.of(before, after)
    out = []
    ids = sorted(set(before.get("people", {})) | set(after.get("people", {})))
    for sid in ids:
        p0, p1 = sides.person(0, sid), sides.person(1, sid)
        if person and person not in (sid, (p1 or p0).get("name")):
            continue
        if p0 and p1 and p0["total"] == p1["total"]:
            continue
        out.append(person_diff(sides, sid))
    return out
