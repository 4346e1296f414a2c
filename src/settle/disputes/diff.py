"""`settle diff` (SPEC §12): why a person's 应发合计 differs between two results, in causes that
add up to the difference to the fen.

Both sides are month records (settlement.json): the published result and an earlier run kept in
history/, or two months. Nothing is recomputed from today's inputs, so a diff of a settled
month never drifts from what was paid.

The decomposition is exact by construction, per payslip line (component):
- a stream commission on 业绩 (percent, tiers): each changed credited line contributes
  Δ业绩 × the rate in force before (the linear part); a rules change is the new policy's amount
  minus the old one's on the new 业绩; what is left of the old policy's amount is the bracket
  crossed (全额累进: the rate change applied to the base) — its own named cause;
- a figure driven by a sum of 业绩 (base pay's completion, assessment, team and department
  commissions): its change shared out over the changed lines behind that sum, in proportion;
- base pay and allowances prorated by days: the days employed first;
- adjustment, discipline, fine and carried-debt lines: the row itself;
- whatever rounding to the fen leaves (R37) is a cause of its own, never hidden in another.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from settle.disputes.lines import changed_lines, has_lines, performance_of, read_credited, stream_sums
from settle.engine.money import fmt_money
from settle.rules import schema as P

ZERO = Decimal(0)
CENT = Decimal("0.01")
CARD_CODES = ("duplicate_card", "late_registration", "existing_patient", "incomplete_referral", "unknown_staff",
              "claim_conflict", "unregistered_card")


def r2(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Cause:
    """One reason a payslip line moved. `kind` names its text in problems.MESSAGES (diff.kind.*)."""

    kind: str
    component: str               # the payslip line's component id
    line: str                    # its 名称
    amount: Decimal              # to the fen
    params: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple:
        """The same cause on several lines (a billing line moves 提成 and 基本工资) is one cause."""
        p = self.params
        return (self.kind, p.get("file", ""), p.get("sheet", ""), p.get("row", ""), p.get("record_no", ""),
                p.get("detail", ""), p.get("code", ""), p.get("staff_id", ""), p.get("keys", ""),
                "" if self.kind not in ("rounding", "other", "bracket", "rules", "days") else self.component)

    def to_json(self) -> dict:
        return {"kind": self.kind, "component": self.component, "line": self.line, "amount": str(self.amount),
                **{k: (str(v) if isinstance(v, Decimal) else v) for k, v in self.params.items()}}


@dataclass
class LineChange:
    component: str
    name: str
    before: Decimal
    after: Decimal

    @property
    def difference(self) -> Decimal:
        return self.after - self.before


@dataclass
class PersonDiff:
    staff_id: str
    name: str
    role: str
    before: Decimal | None       # None: no payslip on that side
    after: Decimal | None
    lines: list[LineChange]
    causes: list[Cause]

    @property
    def difference(self) -> Decimal:
        return (self.after or ZERO) - (self.before or ZERO)

    def grouped(self) -> list[tuple[Cause, list[str]]]:
        """Causes summed over the payslip lines they moved, largest first: (cause, line names)."""
        acc: dict[tuple, tuple[Cause, list[str]]] = {}
        for c in self.causes:
            if c.key in acc:
                head, names = acc[c.key]
                head.amount += c.amount
                if c.line not in names:
                    names.append(c.line)
            else:
                acc[c.key] = (Cause(c.kind, c.component, c.line, c.amount, dict(c.params)), [c.line])
        return sorted((v for v in acc.values() if v[0].amount), key=lambda v: (-abs(v[0].amount), v[0].key))

    def to_json(self) -> dict:
        return {"staff_id": self.staff_id, "name": self.name, "role": self.role,
                "before": None if self.before is None else str(self.before),
                "after": None if self.after is None else str(self.after), "difference": str(self.difference),
                "lines": [{"component": l.component, "name": l.name, "before": str(l.before), "after": str(l.after),
                           "difference": str(l.difference)} for l in self.lines],
                "causes": [c.to_json() for c in self.causes]}


# --- the two policies ---------------------------------------------------------------------------

def policy_of(record: dict) -> P.Policy | None:
    try:
        return P.Policy.model_validate(record["rules"]["policy"])
    except (KeyError, ValueError, TypeError):
        return None


def _flatten(value, path: str, out: dict) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "id" in v for v in value):
        for v in value:
            _flatten(v, f"{path}[{v['id']}]", out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, v in enumerate(value):
            _flatten(v, f"{path}[{i}]", out)
    else:
        out[path] = value


def rules_changes(before: dict, after: dict) -> list[tuple[str, object, object]]:
    """Every key of the merged policy that differs: (key path, before, after)."""
    a, b = {}, {}
    _flatten(before.get("rules", {}).get("policy", {}), "", a)
    _flatten(after.get("rules", {}).get("policy", {}), "", b)
    return [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def _config_keys(changes, kind: str, ident: str) -> list[str]:
    """The changed keys of one stream or component (`streams[general].commission.tiers[1].rate`)."""
    prefix = f"{kind}[{ident}]"
    return [k for k, _, _ in changes if k.startswith(prefix + ".") or k == prefix]


# --- what moved 业绩: changed credited lines and R28/R29 factors ---------------------------------

@dataclass
class Driver:
    """A change in a sum of 业绩: its cause and its weight (Δ业绩 in yuan, after R28/R29)."""

    kind: str
    weight: Decimal
    params: dict


def _findings(record: dict) -> dict[tuple, set]:
    """(staff_id, 病历号 or 卡号) → the card findings (R21–R25) not lifted by a 确认例外."""
    from settle.problems import EXCEPTION_CONFIRMED
    out: dict[tuple, set] = defaultdict(set)
    for v in record.get("violations", []):
        if v.get("code") in CARD_CODES and EXCEPTION_CONFIRMED[0] not in str(v.get("effect") or ""):
            for ref in (v.get("record_no"), v.get("card_no"), v.get("patient_key")):
                if ref:
                    out[(v.get("staff_id"), ref)].add((v["code"], v.get("rule", "")))
    return out


def _line_kind(row, gone: bool, new: bool, before_f: dict, after_f: dict) -> tuple[str, dict]:
    """What happened to one changed line, and where it stands (file › sheet › row, 病历号)."""
    side = "_0" if gone else "_1"
    pick = lambda f: row[f + side] if f + side in row else row[f]  # noqa: E731
    refs = [(row["staff_id"], ref) for ref in (row["record_no"], row["card_no"], pick("patient_key")) if ref]
    then = set().union(*(before_f.get(r, set()) for r in refs))
    now = set().union(*(after_f.get(r, set()) for r in refs))
    params = {"file": pick("file"), "sheet": pick("sheet"), "row": int(pick("row")), "record_no": row["record_no"],
              "patient": pick("patient"), "category": row["category"], "date": row["date"],
              "amount_line": f"{Decimal(int(row['amount_fen'])) / 100:,.2f}"}
    if new and then - now:
        code, rule = sorted(then - now)[0]
        return "reg_confirmed", {**params, "code": code, "rule": rule}
    if gone and now - then:
        code, rule = sorted(now - then)[0]
        return "reg_rejected", {**params, "code": code, "rule": rule}
    refund = int(row["amount_fen"]) < 0
    if new:
        return ("refund_added" if refund else "line_added"), params
    if gone:
        return ("refund_removed" if refund else "line_removed"), params
    return "share_changed", {**params, "share_before": str(Decimal(int(row["share_u_0"])) / 10**6),
                             "share_after": str(Decimal(int(row["share_u_1"])) / 10**6)}


def _factor(person: dict | None, sums: dict, sid: str) -> Decimal:
    """The R28/R29 multiplier, read back from the record: 业绩 = factor × Σ line 业绩."""
    if not person:
        return Decimal(1)
    total = sum((v for (who, _), v in sums.items() if who == sid), ZERO)
    if not total:
        return Decimal(1)
    return sum((Decimal(v) for v in person.get("stream_performance", {}).values()), ZERO) / total


def stream_drivers(before: dict, after: dict) -> dict[tuple[str, str], list[Driver]]:
    """(staff_id, stream) → the drivers of its 业绩 change: each changed credited line at the old
    factor, then the factor's own change (扣业绩/取消业绩 rows, R28/R29) on the new lines."""
    if not (has_lines(before) and has_lines(after)):   # a month settled before lines were recorded
        return {}
    old, new = read_credited(before), read_credited(after)
    sums0, sums1 = stream_sums(old), stream_sums(new)
    bp, ap = before.get("people", {}), after.get("people", {})
    people = set(bp) | set(ap) | {sid for sid, _ in sums0} | {sid for sid, _ in sums1}
    factors = {sid: (_factor(bp.get(sid), sums0, sid), _factor(ap.get(sid), sums1, sid)) for sid in people}
    before_f, after_f = _findings(before), _findings(after)
    out: dict[tuple[str, str], list[Driver]] = defaultdict(list)
    for row in changed_lines(old, new).to_dict("records"):
        gone, added = row["_merge"] == "left_only", row["_merge"] == "right_only"
        c0 = ZERO if added else performance_of(row["share_u_0"], row["net_u_0"])
        c1 = ZERO if gone else performance_of(row["share_u_1"], row["net_u_1"])
        if c1 != c0:
            kind, params = _line_kind(row, gone, added, before_f, after_f)
            sid = row["staff_id"]
            out[(sid, row["stream"])].append(Driver(kind, factors[sid][0] * (c1 - c0), params))
    for sid, (f0, f1) in factors.items():
        if f1 == f0:
            continue
        flags = [f for f in (ap.get(sid) or bp.get(sid) or {}).get("flags", []) if "业绩" in f]
        for (who, stream), base in sums1.items():
            if who == sid:
                out[(sid, stream)].append(Driver("factor", (f1 - f0) * base,
                                                 {"detail": "；".join(flags), "factor_before": str(f0),
                                                  "factor_after": str(f1)}))
    return out


def performance_drivers(drivers, sid: str, stream: str, before: dict | None, after: dict | None) -> list[Driver]:
    """A stream's drivers, completed by what the record cannot attribute to a line (a month
    settled before its lines were recorded): `performance` with the rest of the change."""
    got = list(drivers.get((sid, stream), []))
    x0 = Decimal((before or {}).get("stream_performance", {}).get(stream, "0"))
    x1 = Decimal((after or {}).get("stream_performance", {}).get(stream, "0"))
    rest = x1 - x0 - sum((d.weight for d in got), ZERO)
    if rest:
        got.append(Driver("performance", rest, {"stream": stream, "detail": f"{fmt_money(x0)} → {fmt_money(x1)}"}))
    return got


# --- exact allocation -------------------------------------------------------------------------

def settle_fen(parts: list[Cause], total: Decimal, component: str, line: str, residual_kind: str = "rounding",
               residual_params: dict | None = None) -> list[Cause]:
    """Round every part to the fen and put what is left of `total` (R37's rounding, a cap) into
    one named residual cause, so the parts add up to `total` exactly."""
    out = []
    for c in parts:
        c.amount = r2(c.amount)
        if c.amount:
            out.append(c)
    rest = total - sum((c.amount for c in out), ZERO)
    if rest:
        merged = next((c for c in out if c.kind == residual_kind and residual_kind != "rounding"), None)
        if merged is not None:
            merged.amount += rest
        else:
            out.append(Cause(residual_kind, component, line, rest, residual_params or {}))
    return [c for c in out if c.amount]


def shared_out(amount: Decimal, drivers: list[Driver], component: str, line: str) -> list[Cause]:
    """`amount` over the drivers in proportion to their weights (exact before rounding)."""
    weight = sum((d.weight for d in drivers), ZERO)
    if not weight:
        kind = "insubordination" if component == "insubordination" else "other"
        return [Cause(kind, component, line, amount, {})] if amount else []
    return [Cause(d.kind, component, line, amount * d.weight / weight, dict(d.params)) for d in drivers if d.weight]
