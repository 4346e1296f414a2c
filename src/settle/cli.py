"""The command line: arguments → settle.api → console → exit code. Nothing else lives here.

Exit codes (SPEC §1, §10): 0 ok · 1 findings or warnings only · 2 bad input or usage (nothing
written) · 3 month closed or another run holds the lock · 130 interrupted (Ctrl-C) · 143
terminated (SIGTERM, SIGHUP).
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import typer

try:  # recent typer carries its own copy of click (and its own Exit and Abort)
    from typer._click.exceptions import UsageError
    ClickExit, ClickAbort = typer.Exit, typer.Abort
except ImportError:  # pragma: no cover - typer on click
    from click.exceptions import Abort as ClickAbort, Exit as ClickExit, UsageError

from settle import __version__, api
from settle.console import (error_console, make_console, print_card_check, print_message,
                            print_problems, progress, report_close, report_run)
from settle.problems import Problems, say

app = typer.Typer(add_completion=True, no_args_is_help=True, rich_markup_mode=None,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="settle — 市场部月度工资结算 / month-end pay settlement.\n\n"
                       "Example:  settle run 2024-05 --workspace 工作目录")

OK, FINDINGS, BAD_INPUT, LOCKED, INTERRUPTED = 0, 1, 2, 3, 130


@dataclass(frozen=True)
class Options:
    workspace: Path
    rules: Path | None
    out: Path | None
    lang: str
    quiet: bool
    json: bool
    debug: bool


WorkspaceOpt = typer.Option(None, "--workspace", "-w", help="工作目录 (default: $SETTLE_WORKSPACE, else the nearest "
                                                            "folder upwards holding settle.yaml or staff.xlsx)")
RulesOpt = typer.Option(None, "--rules", help="规则文件或文件夹 (instead of the workspace's rules/)")
OutOpt = typer.Option(None, "--out", help="输出文件夹 (default: <workspace>/output)")
LangOpt = typer.Option(None, "--lang", help="zh (default) or en")
QuietOpt = typer.Option(None, "--quiet", "-q", help="只输出错误 / only print errors")
JsonOpt = typer.Option(None, "--json", help="在标准输出打印机器可读的结果 / print the result as JSON on stdout")
DebugOpt = typer.Option(None, "--debug", help="显示内部错误的详细信息 / show tracebacks")


def _opts(ctx: typer.Context, workspace=None, rules=None, out=None, lang=None, quiet=None, json_=None,
          debug=None) -> Options:
    """A sub-command's options over the ones given before it (`settle --lang en run …`)."""
    g = ctx.find_root().obj or {}
    from settle.load.perimeter import find_workspace
    ws = find_workspace(workspace or g.get("workspace"))  # SPEC §1: --workspace, $SETTLE_WORKSPACE, upwards
    lang = lang or g.get("lang") or "zh"
    as_json = bool(json_ if json_ is not None else g.get("json"))
    if lang not in ("zh", "en"):
        _usage(say("bad_lang", "zh", value=repr(lang)), "zh", as_json)
    o = Options(Path(ws), rules or g.get("rules"), out or g.get("out"), lang,
                bool(quiet if quiet is not None else g.get("quiet")), as_json,
                bool(debug if debug is not None else g.get("debug")))
    if o.debug:  # the readers' own words (SPEC §8.1: only with --debug)
        from settle.load.quiet import show_debug
        show_debug()
    return o


def _usage(msg: str, lang: str, as_json: bool):
    error_console().print(f"[red]{msg}[/red]")
    if as_json:
        _write_json({"status": "usage_error", "exit_code": BAD_INPUT, "message": msg})
    raise typer.Exit(BAD_INPUT)


def _write_json(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")


def _emit(o: Options, payload: dict, code: int) -> int:
    """--json: every command prints one object, errors included, with its exit code."""
    if o.json:
        _write_json({**payload, "exit_code": code})
    return code


def _problems_json(problems: Problems, lang: str) -> list:
    from settle.output.privacy import mask_problem
    return [mask_problem(p.to_json(lang)) for p in problems.in_order()]


def _version(value: bool):
    if value:
        typer.echo(f"settle {__version__}")
        raise typer.Exit(OK)


@app.callback()
def main_callback(
        ctx: typer.Context,
        workspace: Optional[Path] = WorkspaceOpt, rules: Optional[Path] = RulesOpt, out: Optional[Path] = OutOpt,
        lang: Optional[str] = LangOpt, quiet: Optional[bool] = QuietOpt, json_: Optional[bool] = JsonOpt,
        debug: Optional[bool] = DebugOpt,
        version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True,
                                     help="显示版本 / show the version")):
    """settle — 市场部月度工资结算 / month-end pay settlement of a hospital marketing department.

    Example:  settle run 2024-05 --workspace 工作目录
    """
    ctx.obj = dict(workspace=workspace, rules=rules, out=out, lang=lang, quiet=quiet, json=json_, debug=debug)


@contextmanager
def _guard(o: Options):
    """No traceback ever reaches the user (SPEC §8); --debug shows it. Signals, a full disk and
    the other faults of a clerk's PC or a share are plain catalogue messages (settle.faults)."""
    from settle.faults import Fault, Interrupted, from_os_error, install_signal_handlers, interrupt_exit_code

    restore = install_signal_handlers()
    try:
        yield
    except (typer.Exit, ClickExit, SystemExit):
        raise
    except (KeyboardInterrupt, Interrupted) as exc:
        error_console().print(f"[red]{Fault('interrupted').text(o.lang)}[/red]")
        raise typer.Exit(_emit(o, {"status": "interrupted"}, interrupt_exit_code(exc)))
    except BaseException as exc:  # the last line of defence (a reader's PanicException is a BaseException)
        fault = exc if isinstance(exc, Fault) else from_os_error(exc) if isinstance(exc, Exception) else None
        if fault is not None and not o.debug:
            error_console().print(f"[red]{fault.text(o.lang)}[/red]")
            raise typer.Exit(_emit(o, {"status": "error", "error": fault.code}, fault.exit_code))
        if o.debug:
            raise
        error_console().print(f"[red]{say('internal_error', o.lang, kind=type(exc).__name__, detail=exc)}[/red]")
        raise typer.Exit(_emit(o, {"status": "internal_error", "error": type(exc).__name__}, BAD_INPUT))
    finally:
        restore()


def _bad_month_or_problems(o: Options, con, problems: Problems, payload: dict) -> int:
    print_problems(con, problems, o.lang)
    return _emit(o, {**payload, "status": "error", "problems": _problems_json(problems, o.lang)}, BAD_INPUT)


# --- commands -----------------------------------------------------------------------------------

@app.command()
def run(ctx: typer.Context, month: str = typer.Argument(..., help="月份 YYYY-MM, e.g. 2024-05"),
        all_rows: bool = typer.Option(False, "--all", help="列出每个人 / list every person"),
        workspace: Optional[Path] = WorkspaceOpt, rules: Optional[Path] = RulesOpt, out: Optional[Path] = OutOpt,
        lang: Optional[str] = LangOpt, quiet: Optional[bool] = QuietOpt, json_: Optional[bool] = JsonOpt,
        debug: Optional[bool] = DebugOpt):
    """结算一个月：工资条、部门汇总、违规清单 / settle a month: payslips, summary, violations.

    Example:  settle run 2024-05 --workspace 工作目录
    """
    o = _opts(ctx, workspace, rules, out, lang, quiet, json_, debug)
    with _guard(o):
        raise typer.Exit(_run(o, month, all_rows))


RUN_EXIT = {"ok": OK, "error": BAD_INPUT, "unreplaceable": BAD_INPUT, "closed": LOCKED, "locked": LOCKED}


def _run(o: Options, month: str, all_rows: bool) -> int:
    con = make_console(json_mode=o.json)
    with progress(not (o.quiet or o.json), 5) as step:
        outcome = api.settle_month(o.workspace, month, rules=o.rules, out=o.out, lang=o.lang, step=step)
    payload = report_run(con, outcome, o.lang, quiet=o.quiet, all_rows=all_rows)
    if outcome.status == "error":
        payload["problems"] = _problems_json(outcome.result.problems, o.lang)
    elif outcome.status == "ok" and o.json:
        payload["settlement"] = json.loads((outcome.target / "settlement.json").read_text(encoding="utf-8"))
    return _emit(o, payload, RUN_EXIT[outcome.status])


@app.command()
def validate(ctx: typer.Context, month: str = typer.Argument(..., help="月份 YYYY-MM"),
             workspace: Optional[Path] = WorkspaceOpt, rules: Optional[Path] = RulesOpt, out: Optional[Path] = OutOpt,
             lang: Optional[str] = LangOpt, quiet: Optional[bool] = QuietOpt, json_: Optional[bool] = JsonOpt,
             debug: Optional[bool] = DebugOpt):
    """检查规则和输入，不计算工资 / check rules and inputs without computing pay.

    Exit 0 clean, 1 warnings only, 2 errors.  Example:  settle validate 2024-05
    """
    o = _opts(ctx, workspace, rules, out, lang, quiet, json_, debug)
    with _guard(o):
        con = make_console(json_mode=o.json)
        problems = api.validate_month(o.workspace, month, rules=o.rules, out=o.out)
        print_problems(con, problems, o.lang)
        code = BAD_INPUT if problems.errors else (FINDINGS if problems.warnings else OK)
        if code == OK and not o.quiet:
            print_message(con, "validate_clean", o.lang, month=month)
        raise typer.Exit(_emit(o, {"month": month, "errors": len(problems.errors), "warnings": len(problems.warnings),
                                   "problems": _problems_json(problems, o.lang)}, code))


@app.command("check-cards")
def check_cards(ctx: typer.Context, month: Optional[str] = typer.Argument(None, help="月份 YYYY-MM (default: the latest month folder)"),
                workspace: Optional[Path] = WorkspaceOpt, rules: Optional[Path] = RulesOpt,
                out: Optional[Path] = OutOpt, lang: Optional[str] = LangOpt, quiet: Optional[bool] = QuietOpt,
                json_: Optional[bool] = JsonOpt, debug: Optional[bool] = DebugOpt):
    """只做卡片和登记检查（R20–R26），月中可用 / card and registration checks only (R20–R26).

    Exit 0 no findings, 1 findings, 2 bad input.  Example:  settle check-cards 2024-05
    """
    o = _opts(ctx, workspace, rules, out, lang, quiet, json_, debug)
    with _guard(o):
        con = make_console(json_mode=o.json)
        check = api.check_cards(o.workspace, month, rules=o.rules, out=o.out, lang=o.lang)
        if not check.ok:
            raise typer.Exit(_bad_month_or_problems(o, con, check.problems, {"month": str(check.month or month)}))
        if not o.quiet:
            if check.problems.warnings:
                print_problems(con, Problems(check.problems.warnings), o.lang)
            print_card_check(con, check, o.lang)
        from settle.output.privacy import mask_record
        records = [mask_record(r) for r in json.loads(check.violations.to_json(orient="records", force_ascii=False))]
        code = FINDINGS if len(check.violations) else OK
        raise typer.Exit(_emit(o, {"month": str(check.month), "findings": len(check.violations),
                                   "output": None if check.output is None else str(check.output),
                                   "violations": records}, code))


@app.command()
def explain(ctx: typer.Context, month: str = typer.Argument(..., help="月份 YYYY-MM"),
            person: Optional[str] = typer.Argument(None, help="工号或姓名 / staff id or name"),
            lines: bool = typer.Option(False, "--lines", help="同时列出业绩明细 / also list the billing lines"),
            doctor: Optional[str] = typer.Option(None, "--doctor", help="首诊医生：列出其科间转诊单（R42） / a "
                                                 "doctor's inter-department referral slips (R42)"),
            workspace: Optional[Path] = WorkspaceOpt, rules: Optional[Path] = RulesOpt, out: Optional[Path] = OutOpt,
            lang: Optional[str] = LangOpt, quiet: Optional[bool] = QuietOpt, json_: Optional[bool] = JsonOpt,
            debug: Optional[bool] = DebugOpt):
    """逐项解释一个人的工资条 / explain one person's payslip, figure by figure.

    Example:  settle explain 2024-05 S003 --lines      settle explain 2024-05 --doctor 刘医生
    """
    o = _opts(ctx, workspace, rules, out, lang, quiet, json_, debug)
    with _guard(o):
        con = make_console(json_mode=o.json)
        if doctor is not None:
            from settle.output.interdept_console import explain_doctor_command
            raise typer.Exit(explain_doctor_command(o, month, doctor, con))
        if person is None:
            _usage(say("explain_needs_person", o.lang), o.lang, o.json)
        e = api.explain(o.workspace, month, person, rules=o.rules, out=o.out, lang=o.lang)
        ex = e.explained
        if ex is None:
            raise typer.Exit(_bad_month_or_problems(o, con, e.problems, {"month": month, "person": person}))
        from settle.records_view import print_credited_lines, print_explained
        print_explained(con, ex, o.lang)
        if lines:
            print_credited_lines(con, ex, e.settlement, e.folder, e.record, o.lang)
        raise typer.Exit(_emit(o, {"month": ex.month, "staff_id": ex.person["staff_id"], "total": ex.total,
                                   "preview": ex.preview, "rules_version": ex.version or None, "lines": ex.lines}, OK))


@app.command()
def close(ctx: typer.Context, month: str = typer.Argument(..., help="月份 YYYY-MM"),
          reopen: bool = typer.Option(False, "--reopen", help="重新打开已关账的月份 / reopen a closed month"),
          reason: Optional[str] = typer.Option(None, "--reason", help="重新打开的原因（必填） / why it is reopened (required)"),
          workspace: Optional[Path] = WorkspaceOpt, out: Optional[Path] = OutOpt, lang: Optional[str] = LangOpt,
          quiet: Optional[bool] = QuietOpt, json_: Optional[bool] = JsonOpt, debug: Optional[bool] = DebugOpt):
    """关账：已结算的月份不再被覆盖 / mark a settled month final.

    Example:  settle close 2024-05      settle close 2024-05 --reopen --reason "补录退费"
    """
    o = _opts(ctx, workspace, None, out, lang, quiet, json_, debug)
    with _guard(o):
        con = make_console(json_mode=o.json)
        c = api.close_month(o.workspace, month, reopen=reopen, reason=reason, out=o.out)
        if c.status == "error":
            raise typer.Exit(_bad_month_or_problems(o, con, c.problems, {"month": month}))
        report_close(con, c, o.lang)
        raise typer.Exit(_emit(o, {"month": str(c.month), "status": c.status, **c.info}, CLOSE_EXIT[c.status]))


CLOSE_EXIT = {"stale_lock": LOCKED, "closed": OK, "already_closed": OK, "reopened": OK, "not_closed": OK, "not_settled": BAD_INPUT,
              "needs_reason": BAD_INPUT, "locked": LOCKED}


@app.command()
def init(ctx: typer.Context, directory: Path = typer.Argument(Path("."), help="新工作目录 / the new workspace folder"),
         lang: Optional[str] = LangOpt, json_: Optional[bool] = JsonOpt, debug: Optional[bool] = DebugOpt):
    """新建工作目录：settle.yaml、rules/、staff.xlsx 和空白输入模板 / create a workspace.

    Example:  settle init 市场部工资
    """
    o = _opts(ctx, directory, None, None, lang, None, json_, debug)
    with _guard(o):
        con = make_console(json_mode=o.json)
        created, existing = api.init_workspace(directory)
        if existing:
            print_message(con, "workspace_exists", o.lang, style="red", folder=directory, files=", ".join(existing))
            raise typer.Exit(_emit(o, {"status": "exists", "existing": existing}, BAD_INPUT))
        print_message(con, "workspace_created", o.lang, folder=directory)
        for p in created:
            con.print(f"  {p}", markup=False)
        print_message(con, "next_steps", o.lang, folder=directory)
        raise typer.Exit(_emit(o, {"status": "ok", "created": created}, OK))


@app.command()
def verify(ctx: typer.Context, month: str = typer.Argument(..., help="月份 YYYY-MM"),
           workspace: Optional[Path] = WorkspaceOpt, rules: Optional[Path] = RulesOpt, out: Optional[Path] = OutOpt,
           lang: Optional[str] = LangOpt, quiet: Optional[bool] = QuietOpt, json_: Optional[bool] = JsonOpt,
           debug: Optional[bool] = DebugOpt):
    """重新计算已结算的月份并与记录比对 / recompute a settled month and compare every figure.

    Exit 0 all match, 1 differences, 2 cannot verify.  Example:  settle verify 2024-05
    """
    o = _opts(ctx, workspace, rules, out, lang, quiet, json_, debug)
    with _guard(o):
        from settle.verify import verify_month
        code = verify_month(o, month, make_console(json_mode=o.json))
        raise typer.Exit(_emit(o, {"month": month, "status": ("match", "different", "cannot_verify")[code]}, code))


@app.command()
def simulate(ctx: typer.Context, month: Optional[str] = typer.Argument(None, help="月份 YYYY-MM (or --from/--to)"),
             start: Optional[str] = typer.Option(None, "--from", help="第一个月 / first month"),
             end: Optional[str] = typer.Option(None, "--to", help="最后一个月 / last month"),
             workspace: Optional[Path] = WorkspaceOpt, rules: Optional[Path] = RulesOpt, out: Optional[Path] = OutOpt,
             lang: Optional[str] = LangOpt, quiet: Optional[bool] = QuietOpt, json_: Optional[bool] = JsonOpt,
             debug: Optional[bool] = DebugOpt):
    """按其他规则模拟一个月，不改动已结算的输出 / a month under other rules, without touching it.

    Example:  settle simulate 2024-05 --rules rules/examples/plan_a.yaml
    """
    o = _opts(ctx, workspace, rules, out, lang, quiet, json_, debug)
    with _guard(o):
        con = make_console(json_mode=o.json)
        if o.rules is None:
            _usage(say("simulate_needs_rules", o.lang), o.lang, o.json)
        sim = api.simulate(o.workspace, month, rules=o.rules, start=start, end=end, out=o.out)
        if sim.comparison is None:
            raise typer.Exit(_bad_month_or_problems(o, con, sim.problems, {"month": month}))
        if not o.quiet:
            from settle.records_view import print_comparison
            print_comparison(con, sim.comparison, sim.path, o.lang)
        raise typer.Exit(_emit(o, {"status": "ok", "output": str(sim.path), **sim.comparison.to_json()}, OK))


@app.command()
def unlock(ctx: typer.Context, month: str = typer.Argument(..., help="月份 YYYY-MM"),
           yes: bool = typer.Option(False, "--yes", "-y", help="不再询问 / do not ask for confirmation"),
           workspace: Optional[Path] = WorkspaceOpt, out: Optional[Path] = OutOpt, lang: Optional[str] = LangOpt,
           debug: Optional[bool] = DebugOpt):
    """解除中断的运行留下的锁（共享盘）/ clear the lock a dead run left on a shared drive.

    Exit 0 unlocked or not locked, 3 a live run holds it.  Example:  settle unlock 2024-05
    """
    o = _opts(ctx, workspace, None, out, lang, None, None, debug)
    with _guard(o):
        from settle.output.lock import unlock_month
        con = make_console()
        raise typer.Exit(unlock_month(o.workspace, month, o.out, o.lang, yes, typer.confirm, con.print))


def _argv_lang(argv: list[str]) -> tuple[str, bool]:
    """The language and --json of a command line that click could not parse."""
    lang = "zh"
    for i, a in enumerate(argv):
        if a == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif a.startswith("--lang="):
            lang = a.split("=", 1)[1]
    return ("en" if lang == "en" else "zh"), "--json" in argv


def main(argv: list[str] | None = None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        argv = ["--help"]
    try:
        rc = app(args=argv, prog_name="settle", standalone_mode=False)
    except UsageError as exc:
        lang, as_json = _argv_lang(argv)
        try:
            _usage(say("usage_error", lang, detail=exc.format_message()), lang, as_json)
        except typer.Exit as done:
            sys.exit(done.exit_code)
    except (ClickExit, typer.Exit) as done:
        sys.exit(done.exit_code)
    except (ClickAbort, typer.Abort):
        error_console().print(say("interrupted", _argv_lang(argv)[0]))
        sys.exit(INTERRUPTED)
    sys.exit(rc if isinstance(rc, int) else OK)
