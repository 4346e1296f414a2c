"""Each payslip line's derivation as a catalogue code with its parameters (SPEC §10), so a
settled month's payslip is rendered from settlement.json in the language asked for, without
the rules of today.

The code names the kind of rule that produced the line (R8–R11, R14, R18, R21, R27, R30–R35,
R38); the parameters are the line's own figures. Chinese renders the engine's derivation text
as recorded; English renders the code's template from the same parameters.
"""

from __future__ import annotations

from settle.rules.schema import Policy

# code -> (zh kind, en template). Templates use the parameters of `derivation()`.
CODES: dict[str, tuple[str, str]] = {
    "percent": ("按比例提成", "{name}: performance {base} × {rate} = {amount}"),
    "tiers": ("累进提成", "{name}: performance {base}, tiered rate {rate} = {amount}"),
    "percent_by_category": ("按项目类别提成", "{name}: performance {base}, rate by category = {amount}"),
    "per_case": ("按例提成", "{name}: {base} at a fixed amount per case = {amount}"),
    "per_head": ("按人数提成", "{name}: {base} × {rate} per head = {amount}"),
    "per_registration": ("按登记提成", "{name}: {base} × {rate} per registration = {amount}"),
    "base": ("基本工资", "{name}: {base} × employed days {days}/{month_days} (and quota) = {amount}"),
    "allowance": ("补贴", "{name}: {base} × employed days {days}/{month_days} = {amount}"),
    "assessment": ("绩效考核", "{name}: {base} × assessment ({rate}) = {amount}"),
    "lowest_team_assessment": ("管理奖金", "{name}: the lowest assessment in the team = {amount}"),
    "team_percent": ("团队提成", "{name}: team performance {base} × {rate} = {amount}"),
    "department_tiers": ("部门提成", "{name}: department performance {base} on the tiers ({rate}) = {amount}"),
    "stream_team_percent": ("小组提成", "{name}: the team's stream performance {base} × {rate} = {amount}"),
    "adjustment": ("调整", "adjustment {name} ({rule}): {base}, {rate}: {amount}"),
    "duplicate_card_fine": ("重复办卡罚款", "duplicate cards (R21): {base} × {rate} = {amount}"),
    "late_report": ("日报迟交", "late daily reports (R27): {base} × {rate} = {amount}"),
    "missing_report": ("日报缺失", "missing daily reports (R27): {base} × {rate} = {amount}"),
    "line": ("工资条行", "{name} ({rule}): base {base}, rate {rate} = {amount}"),
}


def line_code(component: str, policy: Policy | None) -> str:
    """The catalogue code of a line: its stream's commission type, its pay component's type, or
    the line's own kind (adjustments and fines)."""
    if policy is not None:
        for s in policy.streams + policy.registration_streams:
            if s.id == component:
                return s.commission.type
        for c in policy.pay:
            if c.id == component:
                return c.type
    return component if component in ("adjustment", "duplicate_card_fine", "late_report", "missing_report") \
        else "line"


def derivation(line, policy: Policy | None, *, days: int, month_days: int) -> dict:
    """{"code", "params"} of one payslip line (a PayLine), for settlement.json."""
    return {"code": line_code(line.component, policy),
            "params": {"name": line.name, "rule": line.rule, "base": line.base, "rate": line.rate,
                       "amount": f"{line.amount:,}", "days": days, "month_days": month_days,
                       "detail": line.detail}}


def units(text: str, lang: str) -> str:
    """A recorded 基数 or 比例或单价 in `lang` (the record holds the Chinese the engine wrote)."""
    if lang == "zh" or not text:
        return text
    from settle.output.english import english
    return english(text)


def render(recorded: dict, lang: str) -> str:
    """The derivation text of a recorded line in `lang` (zh: the engine's text as recorded)."""
    d = recorded.get("derivation") or {}
    params = dict(d.get("params") or {})
    if lang == "zh":
        return params.get("detail") or recorded.get("detail", "")
    template = CODES.get(d.get("code", "line"), CODES["line"])[1]
    for key in ("name", "rule"):   # as the run's language shows them (records.explain_recorded)
        params[key] = recorded.get(key, params.get(key, ""))
    params["base"], params["rate"] = units(params.get("base", ""), lang), units(params.get("rate", ""), lang)
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return recorded.get("detail", "")
