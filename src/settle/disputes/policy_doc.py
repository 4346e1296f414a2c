"""`settle rules doc` (SPEC §12): the policy in force as a document — every rule in plain words
with its R-number, the rules file and line it comes from, tiers as tables, and a worked example
computed by the engine on the example month (disputes.example_month), never typed by hand.
With another version (`--against`) each rule shows its changed keys and the example's figure
under both."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from settle.problems import Problems, say
from settle.rules import RulesVersion
from settle.rules import schema as P

FILE = "提成方案说明.xlsx"


@dataclass
class Example:
    """A figure of the example month: whose payslip line (or partner's 返款) and the engine's words."""

    who: str
    detail: str
    amount: Decimal


@dataclass
class Entry:
    rule: str
    title: str
    text: str
    source: tuple[str, int | None]            # rules file and line
    key: str                                  # the policy key it is ("streams[general]")
    table: tuple[list[str], list[list]] | None = None
    example: Example | None = None
    reads: tuple = ()                         # (staff_id, component) or ("partner", name): where the example is
    other: Example | None = None              # --against: the example under the other version
    changes: list[tuple[str, object, object]] = field(default_factory=list)


@dataclass
class PolicyDoc:
    name: str
    label: str                                # the version (base, 2024-06…) and its files
    entries: list[Entry]
    other: str | None = None                  # --against: the other version's name
    changes: list[tuple[str, object, object]] = field(default_factory=list)

    def to_json(self) -> dict:
        def ex(e):
            return None if e is None else {"who": e.who, "detail": e.detail, "amount": str(e.amount)}
        return {"policy": self.name, "version": self.label, "against": self.other,
                "rules": [{"rule": e.rule, "title": e.title, "text": e.text, "file": e.source[0], "line": e.source[1],
                           "key": e.key, "table": None if e.table is None else {"columns": e.table[0], "rows": [
                               [str(v) for v in r] for r in e.table[1]]},
                           "example": ex(e.example), "example_against": ex(e.other),
                           "changes": [{"key": k, "before": str(a), "after": str(b)} for k, a, b in e.changes]}
                          for e in self.entries],
                "changes": [{"key": k, "before": str(a), "after": str(b)} for k, a, b in self.changes]}


def source_line(version: RulesVersion, section: str, ident: str | None = None, key: str | None = None
                ) -> tuple[str, int | None]:
    """The file and line a rule is declared at (the loader's line map, as its errors use): a
    section, one of its keys, or the item of a list with that id."""
    for f in version.files:
        data = f.parsed if isinstance(f.parsed, dict) else {}
        if ident is None:
            for path in ((section, key), (section,)) if key else ((section,),):
                if path in f.lines:
                    return f.name, f.lines[path]
            continue
        for i, item in enumerate(data.get(section) or []):
            if isinstance(item, dict) and item.get("id") == ident:
                return f.name, f.lines.get((section, i))
    return (version.files[0].name if version.files else ""), None


def _join(items, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(str(i) for i in items)


def _pct(r) -> str:
    return P._pct(Decimal(r))


def _tiers(tiers, lang) -> tuple[list[str], list[list]]:
    heads = say("doc.tier_columns", lang).split("|")
    return heads, [[f"{t.lower:,}", "" if t.upper is None else f"{t.upper:,}", _pct(t.rate)] for t in tiers]


def _stream_entry(version, s: P.Stream, lang: str) -> Entry:
    c, name = s.commission, _name(s, lang)
    what = _join(s.match.categories, lang) if s.match.categories else say("doc.other_categories", lang)
    table = None
    if isinstance(c, P.Percent):
        text = say("doc.stream_percent", lang, name=name, what=what, rate=_pct(c.rate))
    elif isinstance(c, P.TieredCommission):
        text = say(f"doc.stream_tiers_{c.mode}", lang, name=name, what=what)
        table = _tiers(c.tiers, lang)
    elif isinstance(c, P.PerCase):
        text = say("doc.stream_per_case", lang, name=name, what=what)
        table = (say("doc.case_columns", lang).split("|"), [[k, f"{v:,}"] for k, v in c.amounts.items()])
    else:
        text = say("doc.stream_by_category", lang, name=name, what=what)
        table = (say("doc.category_columns", lang).split("|"), [[k, _pct(v)] for k, v in c.rates.items()])
    if s.cap is not None or s.floor is not None:
        text += say("doc.limits", lang, cap="—" if s.cap is None else f"{s.cap:,}",
                    floor="—" if s.floor is None else f"{s.floor:,}")
    return Entry(s.rule, name, text, source_line(version, "streams", s.id), f"streams[{s.id}]", table,
                 reads=(("S1", s.id),))


def _pay_entry(version, c, lang: str) -> Entry:
    name, roles = _name(c, lang), _join(c.roles if lang == "zh" else [_role(r) for r in c.roles], lang)
    table, who = None, "S1" if "业务员" in c.roles else ("M1" if "主管" in c.roles else "D1")
    if isinstance(c, P.BasePay):
        text = say("doc.base", lang, name=name, roles=roles, amount=f"{c.amount:,}",
                   quota="" if c.quota is None else say(f"doc.quota_{c.quota_on}", lang, quota=f"{c.quota:,}"))
    elif isinstance(c, P.Allowance):
        text = say("doc.allowance", lang, name=name, roles=roles, amount=f"{c.amount:,}",
                   months=_join(c.months, lang))
    elif isinstance(c, P.Assessment):
        text = say("doc.assessment", lang, name=name, roles=roles, amount=f"{c.amount:,}", quota=f"{c.quota:,}")
    elif isinstance(c, P.ManagementBonus):
        text = say("doc.management_bonus", lang, name=name, roles=roles)
    elif isinstance(c, P.TeamCommission):
        text = say("doc.team_percent", lang, name=name, roles=roles, rate=_pct(c.rate))
    elif isinstance(c, P.DepartmentCommission):
        text = say(f"doc.department_{c.mode}", lang, name=name, roles=roles)
        table = _tiers(c.tiers, lang)
    else:
        text = say("doc.stream_leader", lang, name=name, roles=roles, stream=c.stream, rate=_pct(c.rate))
    return Entry(c.rule, name, text, source_line(version, "pay", c.id), f"pay[{c.id}]", table, reads=((who, c.id),))


def _name(item, lang: str) -> str:
    return item.name if lang == "zh" else (item.name_en or item.name)


def _role(role: str) -> str:
    return {"业务员": "salesperson", "主管": "supervisor", "主任": "director"}.get(role, role)


def entries(version: RulesVersion, lang: str = "zh") -> list[Entry]:
    """Every rule of the version in force, in the order the policy declares them."""
    pol, out = version.policy, []
    cr = pol.crediting
    out.append(Entry("R4 R5 R22", say("doc.crediting_title", lang), say("doc.crediting", lang,
                     share=_pct(cr.network_share), role=cr.network_role, days=cr.follow_up_days, minutes=cr.report_before_visit_minutes),
                     source_line(version, "crediting"), "crediting"))
    out += [_stream_entry(version, s, lang) for s in pol.streams]
    for s in pol.registration_streams:
        c = s.commission
        text = (say("doc.per_head", lang, name=_name(s, lang), amount=f"{c.amount:,}",
                    new=f"{(c.new_unit_amount if c.new_unit_amount is not None else c.amount):,}")
                if isinstance(c, P.PerHead) else say("doc.per_registration", lang, name=_name(s, lang),
                                                      amount=f"{c.amount:,}"))
        out.append(Entry(s.rule, _name(s, lang), text, source_line(version, "registration_streams", s.id),
                         f"registration_streams[{s.id}]", reads=(("S1", s.id),)))
    for r in pol.rebates:
        channels = _join(r.match.channels, lang)
        if isinstance(r, P.PercentRebate):
            text = say("doc.rebate_percent", lang, name=_name(r, lang), channels=channels, rate=_pct(r.rate))
        else:
            text = say("doc.rebate_surgery", lang, name=_name(r, lang), channels=channels,
                       split=_join([f"{k} {v:,}" for k, v in r.split.items()], lang))
        from settle.disputes.example_month import partner
        who = partner(r, lang)
        out.append(Entry(r.rule, _name(r, lang), text, source_line(version, "rebates", r.id), f"rebates[{r.id}]",
                         reads=(("partner", who),) if who else ()))
    out += [_pay_entry(version, c, lang) for c in pol.pay]
    v = pol.violations
    out.append(Entry("R21", say("doc.r21_title", lang), say("doc.r21", lang, n=v.max_cards_per_patient,
                                                           fine=f"{v.duplicate_card_fine:,}"),
                     source_line(version, "violations", key="max_cards_per_patient"), "violations",
                     reads=(("S1", "duplicate_card_fine"),)))
    out.append(Entry("R27", say("doc.r27_title", lang), say("doc.r27", lang, due=v.report_due,
                                                           late=f"{v.late_report_fine:,}",
                                                           missing=f"{v.missing_report_fine:,}"),
                     source_line(version, "violations", key="late_report_fine"), "violations",
                     reads=(("S2", "late_report"), ("S2", "missing_report"))))
    out.append(Entry("R41", say("doc.r41_title", lang), say("doc.r41", lang, amount=f"{v.performance_warning:,}"),
                     source_line(version, "violations", key="performance_warning"), "violations.performance_warning"))
    out.append(Entry("R38", say("doc.r38_title", lang), say("doc.r38", lang), ("", None), "adjustments",
                     reads=(("S1", "adjustment"),)))
    if pol.discipline is not None:
        d = pol.discipline
        out.append(Entry("R43", say("doc.r43_title", lang), say("doc.r43", lang, breakfast=f"{d.breakfast_fine:,}",
                         private=f"{d.private_fine:,}", k=f"{d.improper_means_multiplier:,}",
                         reporter=_pct(d.whistleblower_share), insub=_pct(d.insubordination_share),
                         n=d.warning_repeats), source_line(version, "discipline"), "discipline",
                         reads=(("S2", "breakfast"),)))
    if pol.new_hire_leaver is not None:
        out.append(Entry("R44", say("doc.r44_title", lang), say("doc.r44", lang, days=pol.new_hire_leaver.within_days),
                         source_line(version, "new_hire_leaver"), "new_hire_leaver"))
    if pol.carry_negative_pay:
        out.append(Entry("R45", say("doc.r45_title", lang), say("doc.r45", lang),
                         source_line(version, "carry_negative_pay"), "carry_negative_pay"))
    if pol.interdept_referral is not None:
        i = pol.interdept_referral
        out.append(Entry("R42", say("doc.r42_title", lang), say("doc.r42", lang, reward=f"{i.reward:,}",
                         before=f"{i.min_before:,}", after=f"{i.min_after:,}", days=i.days_after),
                         source_line(version, "interdept_referral"), "interdept_referral"))
    return out


# --- the worked examples -------------------------------------------------------------------------

def example_settlement(version: RulesVersion, policy=None, lang: str = "zh"):
    """The example month settled in memory by the same pipeline as `run`, under `version`. The
    month's rows come from `policy` (the document's own version, so both sides of --against
    settle the same rows)."""
    from settle import api
    from settle.disputes.example_month import MONTH, write_workspace
    with tempfile.TemporaryDirectory(prefix="settle-doc-") as tmp:
        root = write_workspace(Path(tmp) / "ws", policy or version.policy, lang)
        rules = Path(tmp) / "rules"
        rules.mkdir()
        for i, f in enumerate(version.files):   # the version's own bytes; `effective` ignored (--rules)
            (rules / f"{i:02d}_{Path(f.name).name}").write_bytes(f.data)
        result = api.run_month(root, MONTH, rules=rules)
        return result.settlement, result.problems


def examples(entries_: list[Entry], settlement, lang: str, policy) -> list[Example | None]:
    from settle.output.english import translator
    tr = translator(lang, policy)
    if settlement is None:
        return [None] * len(entries_)
    slips = {p.staff_id: p for p in settlement.payslips}
    rebates = {t.partner: t.total for t in settlement.rebate_totals.itertuples()}
    out = []
    for e in entries_:
        found = []
        for who, what in e.reads:
            if who == "partner" and what in rebates:
                found.append(Example(what, say("doc.rebate_example", lang, partner=what), Decimal(rebates[what])))
            elif who in slips:
                for line in slips[who].lines:
                    if line.component == what:
                        found.append(Example(f"{slips[who].name}（{who}）" if lang == "zh" else f"{slips[who].name} ({who})",
                                             tr(line.detail), line.amount))
        joined = ("；" if lang == "zh" else "; ").join(x.detail for x in found)
        out.append(None if not found else Example(found[0].who, joined, sum((x.amount for x in found), Decimal(0))))
    return out


def policy_doc(version: RulesVersion, lang: str = "zh", other: RulesVersion | None = None,
               other_name: str | None = None) -> tuple[PolicyDoc, Problems]:
    from settle.disputes.diff import rules_changes
    import json
    found = entries(version, lang)
    settlement, problems = example_settlement(version, lang=lang)
    for e, ex in zip(found, examples(found, settlement, lang, version.policy)):
        e.example = ex
    doc = PolicyDoc(_name(version.policy, lang), version.label, found)
    if other is not None:
        theirs, more = example_settlement(other, policy=version.policy, lang=lang)
        problems.extend(more)
        for e, ex in zip(found, examples(found, theirs, lang, other.policy)):
            e.other = ex
        dump = lambda v: {"rules": {"policy": json.loads(v.policy.model_dump_json(by_alias=True))}}  # noqa: E731
        doc.changes = rules_changes(dump(version), dump(other))
        for e in found:
            e.changes = [c for c in doc.changes if c[0] == e.key or c[0].startswith(e.key + ".")
                         or c[0].startswith(e.key + "[")]
        doc.other = other_name or _name(other.policy, lang)
    return doc, problems


def write_workbook(path: Path, doc: PolicyDoc, lang: str = "zh", page=None) -> Path:
    """提成方案说明.xlsx: 方案说明 (each rule: R-number, name, words, file and line, the worked
    example and its amount — under both versions with --against — and its table below it; the
    signature lines at the end) and, with --against, 规则变更 key by key. A4 landscape, fit to width."""
    import os

    import xlsxwriter

    from settle.output.printing import Page, date_blank, footer, signature_line
    page = page or Page()
    tmp = path.with_name(f".{path.name}.tmp")
    wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
    f = {"title": wb.add_format({"bold": True, "font_size": 14}), "note": wb.add_format({"italic": True, "text_wrap": True}),
         "head": wb.add_format({"bold": True, "border": 1, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7"}),
         "wrap": wb.add_format({"text_wrap": True, "valign": "top", "top": 1}),
         "money": wb.add_format({"num_format": "#,##0.00", "valign": "top", "top": 1}),
         "sub": wb.add_format({"font_color": "#404040", "valign": "top"}),
         "subhead": wb.add_format({"bold": True, "font_color": "#404040", "bottom": 1})}
    title = say("doc.title", lang, name=doc.name, label=doc.label)
    if doc.other:
        title += "  " + say("doc.against", lang, other=doc.other)
    ws = wb.add_worksheet("方案说明" if lang == "zh" else "Policy")
    heads = say("doc.columns", lang).split("|") + ([say("doc.column_other", lang, other=doc.other)] if doc.other else [])
    widths = [9, 14, 52, 18, 48, 13, 13]
    for i, w in enumerate(widths[:len(heads)]):
        ws.set_column(i, i, w)
    ws.write(0, 0, title, f["title"])
    from settle.disputes.example_month import WORDS
    ws.merge_range(1, 0, 1, len(heads) - 1, say("doc.example_note", lang, **WORDS["zh" if lang == "zh" else "en"]),
                   f["note"])
    ws.set_row(1, 32)
    ws.write_row(3, 0, heads, f["head"])
    r = 4
    for e in doc.entries:
        src = say("doc.source", lang, file=e.source[0], line=e.source[1]) if e.source[1] else e.source[0]
        ex = e.example
        shown = f"{ex.who}{'：' if lang == 'zh' else ': '}{ex.detail}" if ex else say("doc.no_example", lang)
        ws.write_row(r, 0, [e.rule, e.title, e.text, src, shown], f["wrap"])
        ws.write(r, 5, float(ex.amount) if ex else "", f["money"])
        if doc.other:
            ws.write(r, 6, float(e.other.amount) if e.other else "", f["money"])
        r += 1
        if e.table is not None:
            columns, rows = e.table
            ws.write_row(r, 2, columns, f["subhead"])
            r += 1
            for row in rows:
                ws.write_row(r, 2, row, f["sub"])
                r += 1
    r += 2
    labels = say("doc.signatures", lang).split("|")
    ws.write(r, 0, signature_line(labels[:2], lang=lang) + ("　　" if lang == "zh" else "    ") +
             f"{labels[2]}{'：' if lang == 'zh' else ': '}{date_blank(lang)}")
    ws.freeze_panes(4, 0)
    ws.repeat_rows(3)
    for sheet in (ws,):
        sheet.set_paper(9)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.set_header(page.header(title[:120]))
        sheet.set_footer(footer(lang))
    if doc.other:
        ch = wb.add_worksheet("规则变更" if lang == "zh" else "Changes")
        ch.write(0, 0, say("doc.changes_title", lang, name=doc.name, other=doc.other), f["title"])
        ch.write_row(2, 0, say("doc.changes_columns", lang, name=doc.name, other=doc.other).split("|"), f["head"])
        ch.set_column(0, 0, 56)
        ch.set_column(1, 2, 36)
        rows = [[k, "" if a is None else str(a), "" if b is None else str(b)] for k, a, b in doc.changes] or \
            [[say("doc.no_changes", lang), "", ""]]
        for i, row in enumerate(rows, start=3):
            ch.write_row(i, 0, row)
        ch.set_paper(9)
        ch.set_landscape()
        ch.fit_to_pages(1, 0)
        ch.repeat_rows(2)
        ch.set_footer(footer(lang))
    wb.close()
    os.replace(tmp, path)
    return path
