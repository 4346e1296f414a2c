"""The command line: parse arguments, call the pipeline, render, set the exit code.

Exit codes (SPEC §1): 0 ok · 1 findings or warnings only · 2 bad input or usage (nothing
written) · 3 month closed or another run holds the lock.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from settle import __version__
from settle.problems import Problems, problem

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="settle — 市场部月度工资结算 / month-end pay settlement.\n\n"
                       "Example:  settle run 2024-05 --workspace 工作目录")

OK, FINDINGS, BAD_INPUT, LOCKED = 0, 1, 2, 3


@dataclass
class Options:
    workspace: Path
    rules: Path | None
    out: Path | None
    lang: str
    quiet: bool
    json: bool
    debug: bool


_GLOBAL: dict = {}

WorkspaceOpt = typer.Option(None, "--workspace", "-w", help="工作目录 (default: $SETTLE_WORKSPACE or the current folder)")
RulesOpt = typer.Option(None, "--rules", help="规则文件或文件夹 (instead of the workspace's rules/)")
OutOpt = typer.Option(None, "--out", help="输出文件夹 (default: <workspace>/output)")
LangOpt = typer.Option(None, "--lang", help="zh (default) or en")
QuietOpt = typer.Option(None, "--quiet", "-q", help="只输出错误 / only print errors")
JsonOpt = typer.Option(None, "--json", help="在标准输出打印机器可读的结果 / print the result as JSON on stdout")
DebugOpt = typer.Option(None, "--debug", help="显示内部错误的详细信息 / show tracebacks")


def _opts(workspace=None, rules=None, out=None, lang=None, quiet=None, json_=None, debug=None) -> Options:
    g = _GLOBAL
    ws = workspace or g.get("workspace") or os.environ.get("SETTLE_WORKSPACE") or "."
    lang = lang or g.get("lang")
    if lang is None:
        lang = "zh"
    if lang not in ("zh", "en"):
        _usage(f"--lang 只能是 zh 或 en / --lang must be zh or en, not {lang!r}")
    return Options(Path(ws), rules or g.get("rules"), out or g.get("out"), lang,
                   bool(quiet if quiet is not None else g.get("quiet")),
                   bool(json_ if json_ is not None else g.get("json")),
                   bool(debug if debug is not None else g.get("debug")))


def _usage(msg: str):
    Console(stderr=True).print(f"[red]{msg}[/red]")
    raise typer.Exit(BAD_INPUT)


def _console(o: Options) -> Console:
    # With --json the human-readable text goes to stderr so stdout stays machine-readable.
    return Console(stderr=o.json, highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 160)


def _version(value: bool):
    if value:
        typer.echo(f"settle {__version__}")
        raise typer.Exit(OK)


@app.callback()
def main_callback(
        workspace: Optional[Path] = WorkspaceOpt, rules: Optional[Path] = RulesOpt, out: Optional[Path] = OutOpt,
        lang: Optional[str] = LangOpt, quiet: Optional[bool] = QuietOpt, json_: Optional[bool] = JsonOpt,
        debug: Optional[bool] = DebugOpt,
        version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="显示版本 / show the version")):
    """settle — 市场部月度工资结算 / month-end pay settlement of a hospital marketing department.

    Example:  settle run 2024-05 --workspace 工作目录
    """
    _GLOBAL.clear()
    _GLOBAL.update(workspace=workspace, rules=rules, out=out, lang=lang, quiet=quiet, json=json_, debug=debug)


# --- rendering helpers ------------------------------------------------------------------------

def print_problems(con: Console, problems: Problems, lang: str, limit: int = 200) -> None:
    if not len(problems):
        return
    t = Table(title="输入问题" if lang == "zh" else "Problems", show_lines=False, expand=False)
    t.add_column("级别" if lang == "zh" else "Level")
    t.add_column("位置" if lang == "zh" else "Where", overflow="fold")
    t.add_column("值" if lang == "zh" else "Value", overflow="fold")
    t.add_column("问题" if lang == "zh" else "Problem", overflow="fold")
    items = sorted(problems.items, key=lambda p: (not p.is_error,))
    for p in items[:limit]:
        level = ("错误" if lang == "zh" else "error") if p.is_error else ("警告" if lang == "zh" else "warning")
        t.add_row(f"[red]{level}[/red]" if p.is_error else f"[yellow]{level}[/yellow]", p.location(lang) or "-",
                  "" if p.value is None else repr(p.value) if p.value.strip() != p.value else p.value, p.text(lang))
    con.print(t)
    more = len(items) - limit + problems.suppressed
    if more > 0:
        con.print(f"… 另有 {more} 个问题未列出" if lang == "zh" else f"… and {more} more problems not listed")
    ne, nw = len(problems.errors), len(problems.warnings)
    con.print(f"共 {ne} 个错误，{nw} 个警告" if lang == "zh" else f"{ne} errors, {nw} warnings")


def _emit_json(o: Options, payload: dict) -> None:
    if o.json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")


def _problems_json(problems: Problems, lang: str) -> list:
    return [p.to_json(lang) for p in problems]


@contextmanager
def _guard(o: Options):
    """No traceback ever reaches the user (SPEC §8); --debug shows it."""
    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        Console(stderr=True).print("已中断 / interrupted")
        raise typer.Exit(BAD_INPUT)
    except Exception as exc:  # the last line of defence: report, never crash with a traceback
        if o.debug:
            raise
        con = Console(stderr=True)
        con.print(f"[red]内部错误 / internal error: {type(exc).__name__}: {exc}[/red]")
        con.print("请用 --debug 重新运行并把输出交给维护人员 / rerun with --debug and send the output to the maintainer")
        raise typer.Exit(BAD_INPUT)


@contextmanager
def _progress(o: Options, total: int):
    """A progress bar on a terminal; silent otherwise. SETTLE_TIMING=1 prints each stage's
    seconds on stderr (for `make bench`)."""
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
    if o.quiet or o.json or not sys.stdout.isatty():
        yield lambda label: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True) as prog:
        task = prog.add_task("", total=total)

        def step(label: str):
            prog.update(task, advance=1, description=label)
        yield step


def _month(o: Options, text: str, problems: Problems):
    from settle.engine.pipeline import parse_month
    m = parse_month(text, problems)
    if m is None:
        print_problems(_console(o), problems, o.lang)
        raise typer.Exit(BAD_INPUT)
    return m


# --- commands -----------------------------------------------------------------------------------

@app.command()
def run(month: str = typer.Argument(..., help="月份 YYYY-MM, e.g. 2024-05"),
        workspace: Optional[Path] = WorkspaceOpt, rules: Optional[Path] = RulesOpt, out: Optional[Path] = OutOpt,
        lang: Optional[str] = LangOpt, quiet: Optional[bool] = QuietOpt, json_: Optional[bool] = JsonOpt,
        debug: Optional[bool] = DebugOpt):
    """结算一个月：工资条、部门汇总、违规清单 / settle a month: payslips, summary, violations.

    Example:  settle run 2024-05 --workspace 工作目录
    """
    o = _opts(workspace, rules, out, lang, quiet, json_, debug)
    with _guard(o):
        raise typer.Exit(_run(o, month))


def _run(o: Options, month_text: str) -> int:
    from settle.engine.pipeline import blocking, compute, load
    from settle.output.publish import LockHeld, MonthLock, PublishError, is_closed, new_stage, publish, recover
    from settle.load.workspace import Workspace

    con = _console(o)
    problems = Problems()
    month = _month(o, month_text, problems)
    started = dt.datetime.now()
    t0 = time.perf_counter()
    ws = Workspace.open(o.workspace, Problems(), o.out)
    target = ws.output_dir(month)
    closed = is_closed(target)
    if closed:
        return _refuse_closed(o, con, month, closed)
    if not ws.root.is_dir():
        problems.add(problem("no_month_folder", folder=str(ws.root)))
        print_problems(con, problems, o.lang)
        return BAD_INPUT
    try:
        with MonthLock(ws.root, str(month)):
            recover(ws.out_root, str(month))
            closed = is_closed(target)  # again, under the lock: a close may have landed meanwhile
            if closed:
                return _refuse_closed(o, con, month, closed)
            with _progress(o, 5) as step:
                step("读取输入 / reading inputs")
                loaded = load(o.workspace, month, problems, rules=o.rules, out=o.out)
                if blocking(problems) or loaded.policy is None:
                    print_problems(con, problems, o.lang)
                    con.print("[red]有错误，未生成任何输出。请修改后重新运行。[/red]" if o.lang == "zh" else
                              "[red]Errors found: nothing was written. Fix them and run again.[/red]")
                    _emit_json(o, {"month": str(month), "status": "error", "problems": _problems_json(problems, o.lang)})
                    return BAD_INPUT
                step("计算 / computing")
                settlement = compute(loaded)
                # Every month's billing was needed for visit history only: free it before writing.
                loaded.inputs.billing = loaded.inputs.billing.iloc[0:0]
                import gc
                gc.collect()
                step("写出 / writing")
                previous = _previous_totals(target)
                stage = new_stage(ws.out_root, str(month))
                try:
                    rec = write_outputs(stage, settlement, loaded, started, o.lang, step)
                    step("发布 / publishing")
                    history = publish(stage, ws.out_root, str(month))
                except BaseException:
                    shutil.rmtree(stage, ignore_errors=True)
                    raise
    except LockHeld as held:
        h = held.holder
        con.print(f"[red]{month} 正在由 {h.get('user')}@{h.get('host')} 结算（自 {h.get('since')} 起），请稍后再试。[/red]"
                  if o.lang == "zh" else
                  f"[red]{month} is being settled by {h.get('user')}@{h.get('host')} since {h.get('since')}.[/red]")
        _emit_json(o, {"month": str(month), "status": "locked", "holder": h})
        return LOCKED
    except PublishError as exc:
        con.print(f"[red]无法替换 {exc.path}：文件可能正在 Excel/WPS 中打开或为只读。请关闭后重新运行；原有输出未改动。[/red]"
                  if o.lang == "zh" else
                  f"[red]Cannot replace {exc.path}: it is open in Excel/WPS or read-only. Close it and run again; "
                  f"the previous outputs are untouched.[/red]")
        _emit_json(o, {"month": str(month), "status": "error", "locked_file": str(exc.path)})
        return BAD_INPUT
    elapsed = time.perf_counter() - t0
    if problems.warnings and not o.quiet:
        print_problems(con, Problems(problems.warnings), o.lang)
    if not o.quiet:
        _print_run_summary(con, settlement, rec, target, elapsed, o.lang, previous, history)
    _emit_json(o, {"month": str(month), "status": "ok", "output": str(target),
                   "settlement": json.loads((target / "settlement.json").read_text(encoding="utf-8"))})
    return OK


def _refuse_closed(o: Options, con: Console, month, closed: dict) -> int:
    """A closed month is never overwritten (exit 3), and the message says how to reopen it."""
    who_when = f"{closed.get('closed_by', '')} {closed.get('closed_at', '')}".strip()
    con.print(f"[red]{month} 已关账（{who_when}），不能重新结算。如需更正，请先运行：settle close {month} --reopen "
              f"--reason \"原因\"[/red]" if o.lang == "zh" else
              f"[red]{month} is closed ({who_when}); reopen it first: settle close {month} --reopen --reason \"why\"[/red]")
    _emit_json(o, {"month": str(month), "status": "closed"})
    return LOCKED


def write_outputs(folder: Path, settlement, loaded, started, lang: str, step=lambda label: None) -> dict:
    """Everything `run` writes, into `folder` (a staging folder): see output/month.py."""
    from settle.output.month import write_month
    return write_month(folder, settlement, loaded, started, lang, step)


def _previous_totals(target: Path) -> dict | None:
    try:
        data = json.loads((target / "settlement.json").read_text(encoding="utf-8"))
        return {sid: Decimal(p["total"]) for sid, p in data.get("people", {}).items()}
    except (OSError, ValueError, KeyError):
        return None


def _print_run_summary(con: Console, s, rec: dict, target: Path, elapsed: float, lang: str, previous, history):
    zh = lang == "zh"
    t = Table(title=f"{s.month} {'结算结果' if zh else 'settlement'}")
    for h in (("工号", "Staff id"), ("姓名", "Name"), ("角色", "Role"), ("业绩", "Performance"), ("应发合计", "Total pay")):
        t.add_column(h[0] if zh else h[1], justify="right" if h[0] in ("业绩", "应发合计") else "left")
    if previous is not None:
        t.add_column("上次 → 本次" if zh else "Previous → now", justify="right")
    from settle.engine.pay import r2
    for p in s.payslips:
        row = [p.staff_id, p.name, p.role, f"{r2(p.performance):,}", f"{p.total:,}"]
        if previous is not None:
            old = previous.get(p.staff_id)
            row.append("新" if old is None else ("" if old == p.total else f"{old:,} → {p.total:,}"))
        t.add_row(*row)
    total = sum((p.total for p in s.payslips), Decimal(0))
    t.add_row("合计" if zh else "Total", "", "", "", f"{total:,}", *([""] if previous is not None else []))
    con.print(t)
    v = s.violations
    if len(v):
        counts = v.groupby(["code", "name"]).size().reset_index(name="n")
        con.print(("违规：" if zh else "Violations: ") + "，".join(f"{r.name} {r.n}" for r in counts.itertuples()))
    bal = "平衡 ✓" if rec["balanced"] else "不平衡 ✗"
    con.print(f"核对：本月结算 {rec['total_fen'] / 100:,.2f} = 已归属 {rec['credited_fen'] / 100:,.2f} + 未归属 "
              f"{rec['uncredited_fen'] / 100:,.2f} {bal}" if zh else
              f"Check: settled {rec['total_fen'] / 100:,.2f} = credited {rec['credited_fen'] / 100:,.2f} + uncredited "
              f"{rec['uncredited_fen'] / 100:,.2f} {'balanced' if rec['balanced'] else 'NOT balanced'}")
    if history is not None:
        con.print(f"上次的输出已保存到 {history}" if zh else f"Previous outputs kept in {history}")
    con.print(f"输出：{target}（{elapsed:.1f} 秒）" if zh else f"Outputs: {target} ({elapsed:.1f} s)")


@app.command()
def validate(month: str = typer.Argument(..., help="月份 YYYY-MM"),
             workspace: Optional[Path] = WorkspaceOpt, rules: Optional[Path] = RulesOpt, out: Optional[Path] = OutOpt,
             lang: Optional[str] = LangOpt, quiet: Optional[bool] = QuietOpt, json_: Optional[bool] = JsonOpt,
             debug: Optional[bool] = DebugOpt):
    """检查规则和输入，不计算工资 / check rules and inputs without computing pay.

    Exit 0 clean, 1 warnings only, 2 errors.  Example:  settle validate 2024-05
    """
    o = _opts(workspace, rules, out, lang, quiet, json_, debug)
    with _guard(o):
        from settle.engine.pipeline import load
        problems = Problems()
        m = _month(o, month, problems)
        load(o.workspace, m, problems, rules=o.rules, out=o.out)
        con = _console(o)
        print_problems(con, problems, o.lang)
        code = BAD_INPUT if problems.errors else (FINDINGS if problems.warnings else OK)
        if code == OK and not o.quiet:
            con.print(f"{m}：规则和输入检查通过" if o.lang == "zh" else f"{m}: rules and inputs are clean")
        _emit_json(o, {"month": str(m), "errors": len(problems.errors), "warnings": len(problems.warnings),
                       "problems": _problems_json(problems, o.lang)})
        raise typer.Exit(code)


@app.command("check-cards")
def check_cards(month: Optional[str] = typer.Argument(None, help="月份 YYYY-MM (default: the latest month folder)"),
                workspace: Optional[Path] = WorkspaceOpt, rules: Optional[Path] = RulesOpt,
                out: Optional[Path] = OutOpt, lang: Optional[str] = LangOpt, quiet: Optional[bool] = QuietOpt,
                json_: Optional[bool] = JsonOpt, debug: Optional[bool] = DebugOpt):
    """只做卡片和登记检查（R20–R26），月中可用 / card and registration checks only (R20–R26).

    Exit 0 no findings, 1 findings, 2 bad input.  Example:  settle check-cards 2024-05
    """
    o = _opts(workspace, rules, out, lang, quiet, json_, debug)
    with _guard(o):
        raise typer.Exit(_check_cards(o, month))


def _check_cards(o: Options, month_text: str | None) -> int:
    from settle.engine.crediting import credit_month
    from settle.engine.pipeline import blocking, load
    from settle.output.render import violation_columns, violation_rows
    from settle.load.workspace import Month, Workspace

    con = _console(o)
    problems = Problems()
    if month_text is None:
        months = Workspace.open(o.workspace, Problems(), o.out).months_upto(Month(9999, 12))
        if not months:
            problems.add(problem("no_month_folder", folder=str(o.workspace / "YYYY-MM")))
            print_problems(con, problems, o.lang)
            return BAD_INPUT
        month_text = str(months[-1])
    m = _month(o, month_text, problems)
    loaded = load(o.workspace, m, problems, rules=o.rules, out=o.out)
    if blocking(problems) or loaded.policy is None:
        print_problems(con, problems, o.lang)
        return BAD_INPUT
    credit = credit_month(loaded.inputs, loaded.policy)
    v = credit.violations
    names = loaded.inputs.staff.set_index("staff_id")["name"].to_dict()
    target = loaded.ws.output_dir(m)
    final = target / ("卡片检查.xlsx" if o.lang == "zh" else "card-check.xlsx")
    not_written = _write_card_check(loaded.ws, m, target, final, v, names, o.lang)
    if not o.quiet:
        if problems.warnings:
            print_problems(con, Problems(problems.warnings), o.lang)
        t = Table(title=f"{m} {'卡片检查' if o.lang == 'zh' else 'card check'}")
        cols = violation_columns(o.lang)
        keep = [0, 1, 3, 4, 5, 6, 9]
        for i in keep:
            t.add_column(cols[i][0], overflow="fold")
        for row in violation_rows(v, names, o.lang):
            t.add_row(*[("" if row[i] is None else str(row[i])) for i in keep])
        con.print(t)
        if not_written:
            con.print(f"共 {len(v)} 项；{not_written[0]}" if o.lang == "zh" else f"{len(v)} findings; {not_written[1]}")
        else:
            con.print(f"共 {len(v)} 项；已写入 {final}" if o.lang == "zh" else f"{len(v)} findings; written to {final}")
    _emit_json(o, {"month": str(m), "findings": len(v), "output": None if not_written else str(final),
                   "violations": json.loads(v.to_json(orient="records", force_ascii=False))})
    return FINDINGS if len(v) else OK


CARD_CHECK_WAIT = 60.0  # seconds check-cards waits for a running settlement of the month


def _write_card_check(ws, month, target: Path, final: Path, v, names, lang) -> tuple[str, str] | None:
    """Write 卡片检查.xlsx under the month's lock (never while a run publishes) and never into a
    closed month. Returns why nothing was written (zh, en), or None."""
    from settle.output.publish import LockHeld, MonthLock, is_closed, recover
    from settle.output.render import write_card_check

    try:
        with MonthLock(ws.root, str(month), timeout=CARD_CHECK_WAIT):
            recover(ws.out_root, str(month))
            closed = is_closed(target)
            if closed:
                return (f"{month} 已关账（{closed.get('closed_by', '')} {closed.get('closed_at', '')}），"
                        f"检查结果只显示、不写入已关账的输出文件夹",
                        f"{month} is closed: the findings are shown, not written into its outputs")
            target.mkdir(parents=True, exist_ok=True)
            tmp = target / f".{final.name}.tmp"
            try:
                write_card_check(tmp, v, names, lang)
                os.replace(tmp, final)
            except OSError:
                return (f"无法写入 {final}：文件可能正在 Excel/WPS 中打开或为只读，请关闭后重新运行",
                        f"cannot write {final}: it is open in Excel/WPS or read-only; close it and run again")
            finally:
                tmp.unlink(missing_ok=True)
    except LockHeld as held:
        h = held.holder
        return (f"{month} 正在由 {h.get('user')}@{h.get('host')} 结算，未写入 {final.name}，请稍后再试",
                f"{month} is being settled by {h.get('user')}@{h.get('host')}: {final.name} not written; try again")
    return None


@app.command()
def explain(month: str = typer.Argument(..., help="月份 YYYY-MM"),
            person: str = typer.Argument(..., help="工号或姓名 / staff id or name"),
            lines: bool = typer.Option(False, "--lines", help="同时列出业绩明细 / also list the billing lines"),
            workspace: Optional[Path] = WorkspaceOpt, rules: Optional[Path] = RulesOpt, out: Optional[Path] = OutOpt,
            lang: Optional[str] = LangOpt, quiet: Optional[bool] = QuietOpt, json_: Optional[bool] = JsonOpt,
            debug: Optional[bool] = DebugOpt):
    """逐项解释一个人的工资条 / explain one person's payslip, figure by figure.

    Example:  settle explain 2024-05 S003 --lines
    """
    o = _opts(workspace, rules, out, lang, quiet, json_, debug)
    with _guard(o):
        raise typer.Exit(_explain(o, month, person, lines))


def _explain(o: Options, month_text: str, person: str, with_lines: bool) -> int:
    from settle.engine.pay import r2
    from settle.engine.pipeline import blocking, compute, load
    from settle.output.render import detail_rows, shares_of

    con = _console(o)
    problems = Problems()
    m = _month(o, month_text, problems)
    loaded = load(o.workspace, m, problems, rules=o.rules, out=o.out)
    if blocking(problems) or loaded.policy is None:
        print_problems(con, problems, o.lang)
        return BAD_INPUT
    s = compute(loaded)
    matches = [p for p in s.payslips if p.staff_id == person] or [p for p in s.payslips if p.name == person]
    if len(matches) != 1:
        msg = (f"没有找到 {person} 的工资条" if not matches else f"{person} 有 {len(matches)} 人同名，请用工号") \
            if o.lang == "zh" else (f"no payslip for {person}" if not matches else f"{person} is ambiguous: use the staff id")
        con.print(f"[red]{msg}[/red]")
        return BAD_INPUT
    slip = matches[0]
    zh = o.lang == "zh"
    con.print(f"[bold]{slip.name}（{slip.staff_id}，{slip.role}{'，' + slip.team if slip.team else ''}）{m}[/bold]")
    con.print(f"{'在职' if zh else 'employed'} {slip.employed_days}/{m.days} {'天' if zh else 'days'}，"
              f"{('正式' if slip.regular else '试用期') if zh else ('regular' if slip.regular else 'probation')}，"
              f"{'本月业绩' if zh else 'performance'} {r2(slip.performance):,}")
    for sid, v in slip.stream_performance.items():
        con.print(f"  {loaded.policy.stream(sid).name}: {r2(v):,}")
    t = Table()
    for h in (("名称", "Item"), ("规则", "Rule"), ("基数", "Base"), ("比例或单价", "Rate"), ("金额", "Amount"),
              ("计算过程", "Derivation")):
        t.add_column(h[0] if zh else h[1], justify="right" if h[0] == "金额" else "left", overflow="fold")
    for l in slip.lines:
        t.add_row(l.name, l.rule, l.base, l.rate, f"{l.amount:,}", l.detail)
    t.add_row("应发合计" if zh else "Total", "R39", "", "", f"[bold]{slip.total:,}[/bold]", "")
    con.print(t)
    for f in slip.flags:
        con.print(f"[yellow]{f}[/yellow]")
    if with_lines:
        d = detail_rows(s, shares_of(s, slip.staff_id))
        lt = Table(title="业绩明细" if zh else "Credited lines")
        for h in ("病历号", "患者", "结算日期", "项目类别", "金额", "比例", "返款", "业绩", "类别", "来源"):
            lt.add_column(h, overflow="fold")
        for r in d.itertuples():
            lt.add_row(str(r.record_no), r.patient_name, f"{r.settled_on:%Y-%m-%d}", str(r.category),
                       f"{r.amount:,.2f}", r.share, f"{r.rebate:,.2f}", f"{r.performance:,.2f}", str(r.stream), r.source)
        con.print(lt)
    _emit_json(o, {"month": str(m), "staff_id": slip.staff_id, "total": str(slip.total),
                   "lines": [{"name": l.name, "rule": l.rule, "base": l.base, "rate": l.rate, "amount": str(l.amount),
                              "detail": l.detail} for l in slip.lines]})
    return OK


@app.command()
def close(month: str = typer.Argument(..., help="月份 YYYY-MM"),
          reopen: bool = typer.Option(False, "--reopen", help="重新打开已关账的月份 / reopen a closed month"),
          reason: Optional[str] = typer.Option(None, "--reason", help="重新打开的原因（必填） / why it is reopened (required)"),
          workspace: Optional[Path] = WorkspaceOpt, out: Optional[Path] = OutOpt, lang: Optional[str] = LangOpt,
          quiet: Optional[bool] = QuietOpt, json_: Optional[bool] = JsonOpt, debug: Optional[bool] = DebugOpt):
    """关账：已结算的月份不再被覆盖 / mark a settled month final.

    Example:  settle close 2024-05      settle close 2024-05 --reopen --reason "补录退费"
    """
    o = _opts(workspace, None, out, lang, quiet, json_, debug)
    with _guard(o):
        raise typer.Exit(_close(o, month, reopen, reason))


def _close(o: Options, month_text: str, reopen: bool, reason: str | None) -> int:
    from settle.output.publish import CLOSED_MARK, HISTORY, LockHeld, MonthLock, is_closed, who
    from settle.load.workspace import Workspace

    con = _console(o)
    problems = Problems()
    m = _month(o, month_text, problems)
    ws = Workspace.open(o.workspace, Problems(), o.out)
    target = ws.output_dir(m)
    zh = o.lang == "zh"
    from settle.output.publish import recover, settled_folder
    if not (settled_folder(ws.out_root, str(m)) / "settlement.json").exists():
        con.print(f"[red]{m} 尚未结算，不能关账。请先运行 settle run {m}[/red]" if zh else
                  f"[red]{m} has not been settled yet: run settle run {m} first[/red]")
        return BAD_INPUT
    try:
        with MonthLock(ws.root, str(m)):
            recover(ws.out_root, str(m))
            closed = is_closed(target)
            log = target / HISTORY / "close-log.jsonl"
            if reopen:
                if not closed:
                    con.print(f"{m} 未关账" if zh else f"{m} is not closed")
                    return OK
                if not reason or not reason.strip():
                    con.print("[red]重新打开必须用 --reason 说明原因[/red]" if zh else "[red]--reopen needs --reason[/red]")
                    return BAD_INPUT
                log.parent.mkdir(exist_ok=True)
                with open(log, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps({"action": "reopen", "reason": reason, **who(), "closed": closed},
                                        ensure_ascii=False) + "\n")
                (target / CLOSED_MARK).unlink()
                con.print(f"{m} 已重新打开：{reason}" if zh else f"{m} reopened: {reason}")
                return OK
            if closed:
                con.print(f"{m} 已于 {closed.get('closed_at')} 关账" if zh else f"{m} was closed at {closed.get('closed_at')}")
                return OK
            info = who()
            mark = {"closed_at": dt.datetime.now().isoformat(timespec="seconds"),
                    "closed_by": f"{info['user']}@{info['host']}"}
            (target / CLOSED_MARK).write_text(json.dumps(mark, ensure_ascii=False), encoding="utf-8")
            log.parent.mkdir(exist_ok=True)
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"action": "close", **mark}, ensure_ascii=False) + "\n")
            con.print(f"{m} 已关账" if zh else f"{m} closed")
            return OK
    except LockHeld as held:
        h = held.holder
        con.print(f"[red]{m} 正在由 {h.get('user')}@{h.get('host')} 使用（自 {h.get('since')}）[/red]")
        return LOCKED


@app.command()
def init(directory: Path = typer.Argument(Path("."), help="新工作目录 / the new workspace folder"),
         lang: Optional[str] = LangOpt, debug: Optional[bool] = DebugOpt):
    """新建工作目录：settle.yaml、rules/、staff.xlsx 和空白输入模板 / create a workspace.

    Example:  settle init 市场部工资
    """
    o = _opts(directory, None, None, lang, None, None, debug)
    with _guard(o):
        from settle.output.templates import create_workspace
        con = _console(o)
        existing = [p for p in ("settle.yaml", "rules", "staff.xlsx") if (directory / p).exists()]
        if existing:
            con.print(f"[red]{directory} 已经是工作目录（已有 {', '.join(existing)}），未做任何改动[/red]"
                      if o.lang == "zh" else f"[red]{directory} already holds a workspace ({', '.join(existing)})[/red]")
            raise typer.Exit(BAD_INPUT)
        created = create_workspace(directory)
        con.print(("已创建工作目录 " if o.lang == "zh" else "Created workspace ") + str(directory))
        for p in created:
            con.print(f"  {p}")
        raise typer.Exit(OK)


@app.command()
def verify(month: str = typer.Argument(..., help="月份 YYYY-MM"),
           workspace: Optional[Path] = WorkspaceOpt, rules: Optional[Path] = RulesOpt, out: Optional[Path] = OutOpt,
           lang: Optional[str] = LangOpt, quiet: Optional[bool] = QuietOpt, json_: Optional[bool] = JsonOpt,
           debug: Optional[bool] = DebugOpt):
    """重新计算已结算的月份并与记录比对 / recompute a settled month and compare every figure.

    Exit 0 all match, 1 differences, 2 cannot verify.  Example:  settle verify 2024-05
    """
    o = _opts(workspace, rules, out, lang, quiet, json_, debug)
    with _guard(o):
        from settle.verify import verify_month
        raise typer.Exit(verify_month(o, month, _console(o)))


def main():
    app(prog_name="settle")
