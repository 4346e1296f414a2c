"""`settle explain MONTH --doctor NAME` (R42): one doctor's 科间转诊单, each with the billing lines
and the amounts that decided it. The figures come from `engine.interdept.explain_doctor`; this
module only prints them (rich) or emits them as JSON."""

from __future__ import annotations

import json
import sys
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from settle.engine.interdept import (
    OUTCOME_NAMES,
    SlipResult,
    _num,
    explain_doctor,
    reason_text,
)
from settle.problems import Problems, problem

OK, BAD_INPUT = 0, 2


def explain_doctor_command(o, month_text: str, doctor: str, con: Console) -> int:
    from settle.console import print_problems
    from settle.engine.pipeline import blocking, load, parse_month

    problems = Problems()
    m = parse_month(month_text, problems)
    if m is None:
        print_problems(con, problems, o.lang)
        return BAD_INPUT
    loaded = load(o.workspace, m, problems, rules=o.rules, out=o.out)
    if blocking(problems) or loaded.policy is None:
        print_problems(con, problems, o.lang)
        return BAD_INPUT
    result, slips, recorded = explain_doctor(loaded, doctor)
    if not slips:
        problems.add(problem("unknown_doctor", value=doctor, month=str(m)))
        print_problems(con, Problems([p for p in problems if p.code == "unknown_doctor"]), o.lang)
        return BAD_INPUT
    L = (lambda zh, en: zh) if o.lang == "zh" else (lambda zh, en: en)
    if o.json:
        sys.stdout.write(json.dumps({"month": str(m), "doctor": doctor, "recorded": recorded,
                                     "slips": [s.to_json() for s in slips]}, ensure_ascii=False, indent=2) + "\n")
        return OK
    label = L("已结算", "settled") if recorded else L("预览", "preview")
    reward = sum((s.reward for s in slips), Decimal("0.00"))
    con.print(f"[bold]{doctor} {m} {L('科间转诊奖励', 'referral reward')}（{label}）：{reward:,}[/bold]")
    for s in slips:
        _print_slip(con, s, result, o.lang, L)
    return OK


def _print_slip(con: Console, s: SlipResult, result, lang: str, L) -> None:
    idx = 0 if lang == "zh" else 1
    rules = result.rules
    why = reason_text(s.reason, rules, lang)
    carried = L("（上月结转）", " (carried in)") if s.carried_in else ""
    con.print(f"{s.referred_on:%Y-%m-%d} {s.record_no} {s.patient_name} {s.from_department} → {s.to_department}"
              f"{carried}：[bold]{OUTCOME_NAMES[s.outcome][idx]}[/bold] {why} {L('奖励', 'reward')} {s.reward:,}"
              f"  ({s.source})")
    out, inn = Decimal(s.amount_fen("out")) / 100, Decimal(s.amount_fen("in")) / 100
    con.print(f"  {L('转出科室', 'before')} {out:,.2f} {'≥' if out >= rules.min_before else '<'} "
              f"{_num(rules.min_before)}；{L('转入科室', 'after')} {inn:,.2f} "
              f"{'≥' if inn >= rules.min_after else '<'} {_num(rules.min_after)}")
    if not s.lines:
        return
    t = Table()
    for h in (L("方向", "Side"), L("就诊时间", "Visited"), L("科室", "Department"), L("项目类别", "Category"),
              L("金额", "Amount"), L("计入", "Counts"), L("来源", "Source")):
        t.add_column(h, overflow="fold")
    for ln in s.lines:
        t.add_row(L("转出", "before") if ln.side == "out" else L("转入", "after"), ln.visited, ln.department,
                  ln.category, f"{Decimal(ln.amount_fen) / 100:,.2f}", L("否（住院类）", "no (inpatient)") if ln.inpatient
                  else L("是", "yes"), ln.source)
    con.print(t)
