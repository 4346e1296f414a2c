"""Everything settle prints on a terminal: rich tables and summaries, in the run's one language.

The words come from the catalogue (settle.problems: CATALOGUE for problems, MESSAGES for
status lines); this module only lays them out. With --json the tables go to stderr so stdout
stays machine-readable.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from settle.problems import Problems, say

RUN_ROWS = 20          # a large month's run summary shows this many people (`--all` for every row)


def make_console(*, json_mode: bool = False) -> Console:
    return Console(stderr=json_mode, highlight=False, soft_wrap=False,
                   width=None if sys.stdout.isatty() else 160)


def error_console() -> Console:
    return Console(stderr=True, highlight=False)


def _cell(value) -> str:
    """A table cell: empty for missing values (never 'nan', 'None' or '<NA>')."""
    if value is None:
        return ""
    try:
        if value != value:  # NaN, NaT
            return ""
    except TypeError:  # pandas' NA: even NA != NA is NA, whose truth is undefined
        return ""
    return str(value)


def print_problems(con: Console, problems: Problems, lang: str, limit: int = 200) -> None:
    """The clerk's batch of problems, errors first, each with its place (SPEC §8)."""
    if not len(problems):
        return
    t = Table(title=say("problems_title", lang), show_lines=False, expand=False)
    for code in ("col_level", "col_where", "col_value", "col_problem"):
        t.add_column(say(code, lang), overflow="fold")
    items = problems.in_order()  # errors first, then by file, sheet, row
    for p in items[:limit]:
        level = say("level_error" if p.is_error else "level_info" if p.severity == "info" else "level_warning", lang)
        value = "" if p.value is None else repr(p.value) if p.value.strip() != p.value else p.value
        t.add_row(f"[red]{level}[/red]" if p.is_error else f"[yellow]{level}[/yellow]", p.location(lang) or "-",
                  value, p.text(lang))
    con.print(t)
    more = max(0, len(items) - limit) + problems.suppressed   # SPEC §8.1: the counts below include these
    if more > 0:
        con.print(say("more_problems", lang, n=more))
    infos = problems.count("info")
    con.print(say("problem_counts_infos" if infos else "problem_counts", lang, errors=problems.count("error"),
                  warnings=problems.count("warning"), infos=infos))


def print_message(con: Console, code: str, lang: str, *, style: str | None = None, **params) -> None:
    text = say(code, lang, **params)
    con.print(f"[{style}]{text}[/{style}]" if style else text, markup=style is not None)


@contextmanager
def progress(enabled: bool, total: int, lang: str = "zh"):
    """A progress bar on a terminal; silent otherwise. SETTLE_TIMING=1 prints each stage's
    seconds on stderr (for `make bench`). A stage's label is "中文 / English": the run's half shows."""
    if os.environ.get("SETTLE_TIMING"):
        last = [time.perf_counter(), None]

        def timing(label: str):
            now = time.perf_counter()
            if last[1]:
                sys.stderr.write(f"[timing] {last[1]}: {now - last[0]:.2f} s\n")
            last[:] = [now, label]
        yield timing
        timing("")
        return
    if not enabled or not sys.stdout.isatty():
        yield lambda label: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True,
                  console=Console(stderr=True)) as prog:
        task = prog.add_task("", total=total)

        def step(label: str):
            zh, _, en = label.partition(" / ")
            prog.update(task, advance=1, description=zh if lang == "zh" or not en else en)
        yield step


def print_run_summary(con: Console, outcome, lang: str, *, all_rows: bool = False) -> None:
    """The per-person table, violations, 核对 and where the outputs went."""
    from settle.engine.money import r2
    s, rec, previous = outcome.result.settlement, outcome.published.rec, outcome.previous
    why = ""
    if outcome.rules_changed is not None:
        old, new = outcome.rules_changed
        con.print(f"[yellow]{say('rules.changed', lang, old=old, new=new)}[/yellow]")
        why = f"（{say('rules.changed_row', lang)}）"
    t = Table(title=say("run_title", lang, month=s.month))
    heads = (("工号", "Staff id"), ("姓名", "Name"), ("角色", "Role"), ("业绩", "Performance"), ("应发合计", "Total pay"))
    for zh, en in heads:
        t.add_column(zh if lang == "zh" else en, justify="right" if zh in ("业绩", "应发合计") else "left")
    if previous is not None:
        t.add_column(say("previous_to_now", lang), justify="right")
    slips = s.payslips if all_rows or len(s.payslips) <= RUN_ROWS else s.payslips[:RUN_ROWS]
    for p in slips:
        row = [p.staff_id, p.name, p.role, f"{r2(p.performance):,}", f"{p.total:,}"]
        if previous is not None:
            old = previous.get(p.staff_id)
            row.append(say("new_person", lang) if old is None else
                       ("" if old == p.total else f"{old:,} → {p.total:,}{why}"))
        t.add_row(*row)
    total = sum((p.total for p in s.payslips), Decimal(0))
    t.add_row(say("total_row", lang), "", "", "", f"{total:,}", *([""] if previous is not None else []))
    con.print(t)
    if len(slips) < len(s.payslips):
        con.print(say("rows_shown", lang, n=len(s.payslips), shown=len(slips)))
    v = s.violations
    if len(v):
        from settle.problems import VIOLATION_NAMES
        counts = v.groupby("code").size()
        items = ("，" if lang == "zh" else ", ").join(f"{VIOLATION_NAMES[code][0 if lang == 'zh' else 1]} {n}" for code, n in counts.items())
        con.print(say("violations_line", lang, items=items))
    verdict = say("balanced" if rec["balanced"] else "not_balanced", lang)
    con.print(say("check_line", lang, total=f"{rec['total_fen'] / 100:,.2f}", credited=f"{rec['credited_fen'] / 100:,.2f}",
                  uncredited=f"{rec['uncredited_fen'] / 100:,.2f}", verdict=verdict))
    if outcome.published.history is not None:
        con.print(say("history_kept", lang, path=outcome.published.history))
    print_since_last(con, outcome.changes, lang)
    con.print(say("outputs_at", lang, path=outcome.target, seconds=f"{outcome.elapsed:.1f}"))


def print_card_check(con: Console, check, lang: str) -> None:
    """check-cards: Chinese labels, no 'nan', the long columns wrapped so a row fits 80 columns."""
    from settle.output.render import violation_columns, violation_rows
    t = Table(title=say("card_check_title", lang, month=check.month))
    cols = violation_columns(lang)
    keep = (1, 3, 4, 5, 6, 9, 11)      # 名称, 工号, 姓名, 来源, 卡号, 说明, 申诉结果 — the code stays in --json
    for i in keep:
        long = i in (5, 9)
        t.add_column(cols[i][0], overflow="fold", no_wrap=not long, ratio=2 if long else None)
    appeals = check.credit.appeals.by_finding() if check.credit is not None else {}
    for row in violation_rows(check.violations, check.names, lang, appeals):
        t.add_row(*[_cell(row[i]) for i in keep])
    con.print(t)
    n = len(check.violations)
    if check.not_written:
        code, params = check.not_written
        con.print(say("card_check_not_written", lang, n=n, why=say(code, lang, **params)))
    else:
        con.print(say("card_check_written", lang, n=n, path=check.output))
        if check.appeal_sheets:   # SPEC §12
            con.print(say("appeal_sheets_written", lang, n=len(check.appeal_sheets),
                          path=check.appeal_sheets[0].parent))


def report_run(con: Console, outcome, lang: str, *, quiet: bool = False, all_rows: bool = False) -> dict:
    """Say what `settle run` did; returns the --json payload (without the settlement)."""
    m = str(outcome.result.month)
    status, h = outcome.status, outcome.holder or {}
    if status == "error":
        print_problems(con, outcome.result.problems, lang)
        if outcome.result.month is not None:
            print_message(con, "errors_nothing_written", lang, style="red")
        return {"month": m, "status": "error"}
    if status == "closed":
        who = f"{h.get('closed_by', '')} {h.get('closed_at', '')}".strip()
        print_message(con, "month_closed", lang, style="red", month=m, who=who)
        return {"month": m, "status": "closed"}
    if status == "locked" and outcome.stale:
        from settle.problems import problem
        con.print(f"[red]{problem('lock_stale', **outcome.stale).text(lang)}[/red]")
        return {"month": m, "status": "locked", "holder": h, "stale": True}
    if status == "locked":
        print_message(con, "month_locked", lang, style="red", month=m, user=h.get("user"), host=h.get("host"),
                      since=h.get("since"))
        return {"month": m, "status": "locked", "holder": h}
    if status == "unreplaceable":
        print_message(con, "unreplaceable", lang, style="red", path=outcome.path)
        return {"month": m, "status": "error", "locked_file": str(outcome.path)}
    problems = outcome.result.problems
    if not quiet:
        if problems.warnings:
            print_problems(con, problems.only("warning"), lang)
        print_run_summary(con, outcome, lang, all_rows=all_rows)
        skipped = outcome.result.loaded.inputs.skipped
        if skipped:  # SPEC §8.1: what was not read, by name
            from settle.problems import problem
            con.print(problem("skipped_files", files="、".join(f for f, _ in skipped)).text(lang))
        for note in outcome.notes:
            con.print(f"[yellow]{note.text(lang)}[/yellow]")
    payload = {"month": m, "status": "ok", "output": str(outcome.target)}
    if outcome.rules_changed is not None:
        payload["rules_changed"] = dict(zip(("old", "new"), outcome.rules_changed))
    return payload


_CLOSE_TEXT = {"closed": "closed_now", "already_closed": "already_closed", "reopened": "reopened",
               "not_closed": "not_closed", "not_settled": "not_settled", "needs_reason": "needs_reason",
               "locked": "month_in_use"}


def report_close(con: Console, c, lang: str) -> None:
    info = c.info
    if c.status == "stale_lock":
        from settle.problems import problem
        con.print(f"[red]{problem('lock_stale', **info).text(lang)}[/red]")
        return
    params = {"when": info.get("closed_at"), "reason": info.get("reason"), "user": info.get("user"),
              "host": info.get("host"), "since": info.get("since")}
    failed = c.status in ("not_settled", "needs_reason", "locked")
    print_message(con, _CLOSE_TEXT[c.status], lang, style="red" if failed else None, month=c.month, **params)


# --- explain, simulate, verify (SPEC §10) ---------------------------------------------------------

def print_explained(con: Console, ex, lang: str) -> None:
    """One person's payslip from a record or a preview, every line with its rule and derivation."""
    from settle.records import money
    p = ex.person
    label = say("explain.preview", lang) if ex.preview else say("explain.settled", lang, at=ex.settled_at,
                                                                  version=ex.version)
    sep = "，" if lang == "zh" else ", "
    team = sep + p["team"] if p["team"] else ""
    con.print(f"[bold]{p['name']} ({p['staff_id']}{sep}{p['role']}{team}) {ex.month} — {label}[/bold]")
    con.print(say("employed_line", lang, days=p["employed_days"], month_days=p["month_days"],
                  status=say("regular" if p["regular"] else "probation", lang), performance=money(p["performance"])))
    for name, v in ex.streams:
        con.print(f"  {name}: {money(v)}")
    t = Table(title=say("explain.title_preview" if ex.preview else "explain.title", lang))
    for code in ("col_item", "col_rule", "col_base", "col_rate", "col_amount", "col_derivation"):
        t.add_column(say(code, lang), justify="right" if code == "col_amount" else "left", overflow="fold")
    for line in ex.lines:
        t.add_row(line["name"], line["rule"], line["base"], line["rate"], money(line["amount"]), line["derivation"])
    t.add_row(say("total_pay", lang), "R39", "", "", f"[bold]{money(ex.total)}[/bold]", "")
    con.print(t)
    for f in ex.flags:
        con.print(f"[yellow]{f}[/yellow]")
    if ex.appeals:   # SPEC §12: each finding of the person, appealed or not, and the decision
        at = Table(title=say("explain.appeals", lang))
        for head in say("explain.appeal_columns", lang).split("|"):
            at.add_column(head, overflow="fold")
        for r in ex.appeals:
            at.add_row(*r)
        con.print(at)


def cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return f"{v:%Y-%m-%d}" if v.time() == dt.time(0) else f"{v:%Y-%m-%d %H:%M}"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"{v:,.2f}"
    return str(v)


def print_credited_lines(con: Console, ex, s, folder: Path, record, lang: str) -> None:
    """业绩明细: computed for a preview; for a settled month, the rows of the published payslip."""
    lt = Table(title=say("credited_lines", lang))
    if s is not None:
        from settle.output.render import detail_columns, detail_rows, shares_of
        d = detail_rows(s, shares_of(s, ex.person["staff_id"]), lang)
        keep = (0, 1, 4, 6, 7, 8, 9, 10, 11, 13)   # the rest of 业绩明细 is in the payslip workbook
        cols = detail_columns(lang)
        for i in keep:
            lt.add_column(cols[i][0], overflow="fold")
        for r in d.itertuples(index=False):
            lt.add_row(*[cell_text(r[i]) for i in keep])
    else:
        from settle.output.audit import read_sheet
        rel = (record.get("files") or {}).get("payslips", {}).get(ex.person["staff_id"])
        rows = read_sheet(folder / rel, 1) if rel else []
        for h in (rows[0] if rows else []):
            lt.add_column(str(h or ""), overflow="fold")
        for r in rows[1:]:
            lt.add_row(*[cell_text(v) for v in r])
    con.print(lt)


def print_comparison(con: Console, cmp, path: Path, lang: str) -> None:
    """simulate: per person 应发合计 settled → simulated and the difference, department totals."""
    for m in cmp.months:
        t = Table(title=say("simulate.title", lang, month=m.month, base=say(f"simulate.{m.base}", lang),
                            other=cmp.other))
        for i, h in enumerate(say("simulate.columns", lang).split("|")):
            t.add_column(h, justify="right" if i >= 2 else "left")
        for p in m.people:
            t.add_row(p.staff_id, p.name, f"{p.settled.get('应发合计', 0):,}", f"{p.simulated.get('应发合计', 0):,}",
                      f"{p.difference('应发合计'):+,}")
        a, b = m.total("settled"), m.total("simulated")
        t.add_row(say("simulate.total", lang), "", f"{a:,}", f"{b:,}", f"{b - a:+,}")
        con.print(t)
        con.print(say("simulate.base_settled" if m.base == "settled" else "simulate.base_computed", lang))
        for f in m.changed_inputs:
            con.print(f"[yellow]{say('simulate.input_changed', lang, file=f)}[/yellow]")
    con.print(say("simulate.written", lang, path=path))


DIFF_CAUSES = 8         # causes shown per person by `settle diff` (`--all` for every one)


def print_diff(con: Console, cmp, path, lang: str, *, all_rows: bool = False) -> None:
    """diff: per person before → after and the causes that add up to the difference (SPEC §12)."""
    from rich.markup import escape

    from settle.disputes.report import describe
    title = say("diff.title", lang, month=cmp.month, before=cmp.before_label, after=cmp.after_label)
    if not cmp.people:
        con.print(say("diff.none", lang, month=cmp.month, before=cmp.before_label, after=cmp.after_label))
        return
    t = Table(title=title, show_lines=True)
    for i, h in enumerate(say("diff.columns", lang).split("|")):
        t.add_column(h, justify="right" if i == 3 else "left", overflow="fold", ratio=4 if i == 2 else None)
    none = say("diff.no_payslip", lang)
    for p in cmp.people:
        t.add_row(p.staff_id, p.name, say("diff.person_row", lang, before=none if p.before is None else f"{p.before:,}",
                                          after=none if p.after is None else f"{p.after:,}",
                                          difference=f"{p.difference:+,}"), f"{p.difference:+,}", style="bold")
        grouped = p.grouped()
        shown = grouped if all_rows else grouped[:DIFF_CAUSES]
        for c, names in shown:
            t.add_row("", "", escape(describe(c, lang, cmp.policy)), f"{c.amount:+,}")
        if len(shown) < len(grouped):
            rest = sum((c.amount for c, _ in grouped[len(shown):]), Decimal(0))
            t.add_row("", "", say("diff.more", lang, n=len(grouped) - len(shown)), f"{rest:+,}")
    con.print(t)
    con.print(say("diff.people", lang, n=len(cmp.people), total=f"{cmp.total:+,}"))
    if cmp.rules_keys:
        con.print(say("diff.rules_keys", lang, keys=", ".join(k for k, _, _ in cmp.rules_keys)), markup=False)
    if not cmp.lines_recorded:
        con.print(f"[yellow]{say('diff.no_lines', lang)}[/yellow]")
    if path is not None:
        con.print(say("diff.written", lang, path=path))


def print_since_last(con: Console, cmp, lang: str, top: int = 3) -> None:
    """A rerun's summary line: how many people changed against the run it replaced, and the
    largest changes with their largest cause (SPEC §12)."""
    from settle.disputes.report import describe
    if cmp is None or not cmp.people:
        return
    con.print(say("diff.since_last", lang, n=len(cmp.people), total=f"{cmp.total:+,}"))
    for p in sorted(cmp.people, key=lambda p: (-abs(p.difference), p.staff_id))[:top]:
        grouped = p.grouped()
        cause = describe(grouped[0][0], lang, cmp.policy) if grouped else ""
        con.print(say("diff.since_last_item", lang, name=p.name, sid=p.staff_id, difference=f"{p.difference:+,}",
                      cause=cause), markup=False)


def print_policy_doc(con: Console, doc, path, lang: str) -> None:
    """rules doc: one row per rule — R-number, name, where it is declared, its example's amount
    (under both versions with --against) — then where the document went."""
    title = say("doc.title", lang, name=doc.name, label=doc.label)
    if doc.other:
        title += "  " + say("doc.against", lang, other=doc.other)
    t = Table(title=title)
    heads = say("doc.columns", lang).split("|")
    for i in (0, 1, 3, 5):
        t.add_column(heads[i], justify="right" if i == 5 else "left")
    if doc.other:
        t.add_column(say("doc.column_other", lang, other=doc.other), justify="right")
    for e in doc.entries:
        src = say("doc.source", lang, file=e.source[0], line=e.source[1]) if e.source[1] else e.source[0]
        row = [e.rule, e.title, src, "—" if e.example is None else f"{e.example.amount:,}"]
        if doc.other:
            row.append("—" if e.other is None else f"{e.other.amount:,}")
        t.add_row(*row)
    con.print(t)
    if doc.other:
        con.print(say("doc.changes_title", lang, name=doc.name, other=doc.other) + f"：{len(doc.changes)}"
                  if lang == "zh" else say("doc.changes_title", lang, name=doc.name, other=doc.other) +
                  f": {len(doc.changes)}", markup=False)
    if path is not None:
        con.print(say("doc.written", lang, path=path))


def print_vouchers(con: Console, vf, lang: str, limit: int = 100) -> None:
    """settle vouchers: the files written, or the month's vouchers as 返款单.xlsx's 目录 lists them."""
    if vf.written:
        for path in vf.written:
            con.print(say("vouchers.written", lang, path=path), markup=False)
        return
    total = sum((Decimal(v["total"]) for v in vf.vouchers), Decimal("0.00"))
    t = Table(title=say("vouchers.title", lang, month=vf.month, n=len(vf.vouchers), total=f"{total:,}"))
    for i, h in enumerate(say("vouchers.columns", lang).split("|")):
        t.add_column(h, justify="right" if i in (2, 3, 6) else "left")
    from settle.output.voucher_book import sheet_name
    sheets = max((v.get("sheet", 0) for v in vf.vouchers), default=0)
    for v in vf.vouchers[:limit]:
        where = sheet_name(v["sheet"], sheets, lang) if "sheet" in v else v.get("file", "")   # old form: its file
        t.add_row(v["partner"], v["referrer"], str(v["lines"]), f"{Decimal(v['total']):,}",
                  say("vouchers.large", lang) if v.get("large") else "", where, str(v.get("page", "")))
    con.print(t)
    if len(vf.vouchers) > limit:
        con.print(say("vouchers.more", lang, n=len(vf.vouchers) - limit))
    con.print(say("vouchers.hint", lang, month=vf.month), markup=False)


# The words the workbook checkers put in a difference's recorded/found columns, in Chinese.
VERIFY_WORDS = {"present": "存在", "missing": "缺失", "no payslip": "无工资条", "strip": "有裁剪条",
                "not in the settlement": "结算记录中没有", "大写 missing": "缺少大写"}
VERIFY_PATTERNS = ((re.compile(r"^lines add up to (.+)$"), r"各行合计 \1"), (re.compile(r"^(\d+) lines(.*)$"), r"\1 行\2"))


def verify_word(text, lang: str) -> str:
    """A checker's word in the run's language (the checkers write them in English)."""
    if lang != "zh" or not isinstance(text, str):
        return text
    if text in VERIFY_WORDS:
        return VERIFY_WORDS[text]
    for pattern, zh in VERIFY_PATTERNS:
        if pattern.match(text):
            return pattern.sub(zh, text)
    return text


def print_verify(con: Console, report, lang: str) -> None:
    """verify: the files and workbooks that differ from the record, and the recomputed figures."""
    diffs = report.files + report.workbooks
    if diffs:
        t = Table(title=say("verify.title_files", lang))
        for h in say("verify.columns_files", lang).split("|"):
            t.add_column(h, overflow="fold")
        for d in diffs:
            t.add_row(d.place(), d.person, verify_word(d.recorded, lang), verify_word(d.found, lang), say(d.what, lang))
        con.print(t)
    if report.figures:
        t = Table(title=say("verify.title_figures", lang))
        for h in say("verify.columns_figures", lang).split("|"):
            t.add_column(h, overflow="fold")
        for row in report.figures:
            t.add_row(*[v.text(lang) if hasattr(v, "text") else str(v) for v in row])
        con.print(t)
    n = len(diffs) + len(report.figures)
    con.print(say("verify.ok", lang, month=report.month) if report.ok else
              say("verify.differs", lang, month=report.month, n=n))


def print_doctor(con: Console, d, lang: str) -> None:
    """explain --doctor (R42): each referral slip, the amounts that decided it and its lines."""
    from settle.engine.interdept import OUTCOME_NAMES, _num, reason_text
    from settle.output.english import source
    idx, rules = (0 if lang == "zh" else 1), d.result.rules
    reward = sum((s.reward for s in d.slips), Decimal("0.00"))
    label = say("doctor.recorded" if d.recorded else "doctor.preview", lang)
    con.print(f"[bold]{say('doctor.title', lang, doctor=d.doctor, month=d.month, label=label)}: {reward:,}[/bold]")
    for s in d.slips:
        carried = say("doctor.carried", lang) if s.carried_in else ""
        con.print(f"{s.referred_on:%Y-%m-%d} {s.record_no} {s.patient_name} {s.from_department} → {s.to_department}"
                  f"{carried}: [bold]{OUTCOME_NAMES[s.outcome][idx]}[/bold] {reason_text(s.reason, rules, lang)} "
                  f"{say('doctor.reward', lang)} {s.reward:,}  ({source(s.source, lang)})")
        out, inn = Decimal(s.amount_fen("out")) / 100, Decimal(s.amount_fen("in")) / 100
        con.print("  " + say("doctor.amounts", lang, out=f"{out:,.2f}", out_cmp="≥" if out >= rules.min_before else "<",
                             min_out=_num(rules.min_before), inn=f"{inn:,.2f}",
                             in_cmp="≥" if inn >= rules.min_after else "<", min_in=_num(rules.min_after)))
        if not s.lines:
            continue
        t = Table()
        for h in say("doctor.columns", lang).split("|"):
            t.add_column(h, overflow="fold")
        for ln in s.lines:
            t.add_row(say("doctor.side_out" if ln.side == "out" else "doctor.side_in", lang), ln.visited,
                      ln.department, ln.category, f"{Decimal(ln.amount_fen) / 100:,.2f}",
                      say("doctor.inpatient" if ln.inpatient else "doctor.counts", lang), source(ln.source, lang))
        con.print(t)


def print_inspection(con: Console, insp, lang: str) -> None:
    """`settle inspect` (SPEC §3.6): the kind, each sheet, its columns, what is missing and the
    settle.yaml lines that would map it, rows skipped, hidden rows, the first lines, the total."""
    kind = (insp.kind.display if lang == "zh" else insp.kind.display_en) if insp.kind else ""
    if insp.kind is not None:
        how = say("inspect.from_option" if insp.kind_from == "option" else "inspect.from_name", lang)
        con.print(say("inspect.title", lang, file=insp.file, kind=kind, how=how), markup=False)
    sep = "、" if lang == "zh" else ", "
    for s in insp.sheets:
        status = say(f"inspect.status_{s.status}", lang, row=s.header_row, lines=s.lines)
        con.print(say("inspect.sheet", lang, sheet=s.sheet or "-", status=status), markup=False)
        if s.columns:
            t = Table(show_lines=False, expand=False)
            for name in say("inspect.columns", lang).split("|"):
                t.add_column(name, overflow="fold")
            for c in s.columns:
                field = insp.kind.field(c.field).display if c.field else say("inspect.ignored", lang)
                source = "" if not c.field else say("inspect.builtin", lang) if c.source == "builtin" else \
                    say("inspect.yaml_line", lang, line=c.line) if c.line else say("inspect.yaml", lang)
                t.add_row(c.letter, _one_line(c.header), field,
                          f"{c.matched}（{source}）" if lang == "zh" and c.field else
                          f"{c.matched} ({source})" if c.field else "")
            con.print(t)
        if s.missing and s.status != "summary_sheet":   # a skipped summary sheet lacks them by nature
            t = Table(title=say("inspect.missing", lang), expand=False)
            for name in say("inspect.missing_columns", lang).split("|"):
                t.add_column(name, overflow="fold")
            for m in s.missing:
                near = sep.join(f"{c.letter} {_one_line(c.header)}（{say('inspect.by_' + (c.looks or 'name'), lang)}）"
                                if lang == "zh" else f"{c.letter} {_one_line(c.header)} ({say('inspect.by_' + (c.looks or 'name'), lang)})"
                                for c in m.candidates) or say("inspect.no_candidate", lang)
                t.add_row(m.display, near)
            con.print(t)
        if s.dropped:
            items = sep.join(say("inspect.dropped_item", lang, reason=say(f"inspect.reason_{r}", lang), count=len(rows),
                                 rows=_rows_text(rows, lang)) for r, rows in s.dropped.items())
            con.print(say("inspect.dropped", lang, items=items), markup=False)
        if s.hidden_rows:
            con.print(say("inspect.hidden", lang, count=len(s.hidden_rows), rows=_rows_text(s.hidden_rows, lang)),
                      markup=False)
    if insp.settle_yaml:
        con.print(say("inspect.paste_under" if insp.settle_yaml_under else "inspect.paste", lang,
                      file=insp.settle_yaml_file, kind=insp.kind.display), markup=False)
        con.print(insp.settle_yaml, markup=False, highlight=False)
    if insp.first_lines:
        t = Table(title=say("inspect.first_lines", lang, n=len(insp.first_lines)), expand=False)
        headers = list(insp.first_lines[0]["values"])
        t.add_column(say("inspect.row", lang))
        for h in headers:
            t.add_column(_one_line(h), overflow="fold")
        for line in insp.first_lines:
            t.add_row(str(line["row"]), *[_cell(line["values"].get(h)) for h in headers])
        con.print(t)
    if insp.kind is not None:
        if insp.amount_total is not None:
            con.print(say("inspect.total", lang, lines=insp.lines, total=f"{insp.amount_total:,.2f}"), markup=False)
        else:
            con.print(say("inspect.count", lang, lines=insp.lines), markup=False)
    print_problems(con, insp.problems, lang)


def _rows_text(rows: list[int], lang: str, limit: int = 10) -> str:
    return ("、" if lang == "zh" else ", ").join(map(str, rows[:limit])) + ("…" if len(rows) > limit else "")


def _one_line(header: str) -> str:
    """A header written over two lines in its cell (学历职称⏎津贴), on one."""
    return re.sub(r"\s*[\r\n]+\s*", "⏎", header)
