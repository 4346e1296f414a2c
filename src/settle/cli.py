"""The command line: arguments → settle.api → settle.console → exit code. Nothing else lives here;
the options every command shares, the fault guard and --json are in settle.cli_support.

Exit codes (SPEC §1, §10): 0 ok · 1 findings or warnings only · 2 bad input or usage (nothing
written) · 3 month closed or another run holds the lock · 130 interrupted (Ctrl-C) · 143
terminated (SIGTERM, SIGHUP).
"""

from __future__ import annotations

import json
import sys
from inspect import Parameter
from pathlib import Path
from typing import Optional

import typer

from settle import __version__, api, console
from settle.cli_support import (BAD_INPUT, CLOSE_EXIT, FINDINGS, OK, RUN_EXIT, Options, command, emit,
                                problems_payload, run_app, shared_parameters, usage, with_signature)
from settle.problems import Problems, say

app = typer.Typer(add_completion=True, no_args_is_help=True, rich_markup_mode=None,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="settle — 市场部月度工资结算 / month-end pay settlement.\n\n"
                       "Example:  settle run 2024-05 --workspace 工作目录")

MONTH = "月份 YYYY-MM"


def _version(value: bool):
    if value:
        typer.echo(f"settle {__version__}")
        raise typer.Exit(OK)


def main_callback(ctx: typer.Context, **given):
    """settle — 市场部月度工资结算 / month-end pay settlement of a hospital marketing department.

    Example:  settle run 2024-05 --workspace 工作目录
    """
    given.pop("version", None)
    ctx.obj = given   # read by each command (cli_support.resolve)


app.callback()(with_signature(main_callback, [
    Parameter("ctx", Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context), *shared_parameters(),
    Parameter("version", Parameter.KEYWORD_ONLY, annotation=bool, default=typer.Option(
        False, "--version", "-V", callback=_version, is_eager=True, help="显示版本 / show the version"))]))


def _failed(o: Options, con, problems: Problems, payload: dict) -> int:
    console.print_problems(con, problems, o.lang)
    return emit(o, {**payload, "status": "error", **problems_payload(problems, o.lang)}, BAD_INPUT)


@command(app)
def run(o: Options, month: str = typer.Argument(..., help=f"{MONTH}, e.g. 2024-05"),
        all_rows: bool = typer.Option(False, "--all", help="列出每个人 / list every person")) -> int:
    """结算一个月：工资条、部门汇总、违规清单 / settle a month: payslips, summary, violations.

    Example:  settle run 2024-05 --workspace 工作目录
    """
    con = console.make_console(json_mode=o.json)
    with console.progress(not (o.quiet or o.json), 5, o.lang) as step:
        outcome = api.settle_month(o.workspace, month, rules=o.rules, out=o.out, lang=o.lang, step=step)
    payload = console.report_run(con, outcome, o.lang, quiet=o.quiet, all_rows=all_rows)
    if outcome.status == "error":
        payload.update(problems_payload(outcome.result.problems, o.lang))
    elif outcome.status == "ok" and o.json:
        payload["settlement"] = json.loads((outcome.target / "settlement.json").read_text(encoding="utf-8"))
    return emit(o, payload, RUN_EXIT[outcome.status])


@command(app)
def validate(o: Options, month: str = typer.Argument(..., help=MONTH)) -> int:
    """检查规则和输入，不计算工资 / check rules and inputs without computing pay.

    Exit 0 clean, 1 warnings only, 2 errors.  Example:  settle validate 2024-05
    """
    con = console.make_console(json_mode=o.json)
    problems = api.validate_month(o.workspace, month, rules=o.rules, out=o.out)
    console.print_problems(con, problems, o.lang)
    code = BAD_INPUT if problems.errors else (FINDINGS if problems.warnings else OK)
    if code == OK and not o.quiet:
        console.print_message(con, "validate_clean", o.lang, month=month)
    return emit(o, {"month": month, **problems_payload(problems, o.lang)}, code)


@command(app, "check-cards")
def check_cards(o: Options, month: Optional[str] = typer.Argument(None, help=f"{MONTH} (default: the latest "
                                                                             "month folder)")) -> int:
    """只做卡片和登记检查（R20–R26），月中可用 / card and registration checks only (R20–R26).

    Exit 0 no findings, 1 findings, 2 bad input.  Example:  settle check-cards 2024-05
    """
    con = console.make_console(json_mode=o.json)
    check = api.check_cards(o.workspace, month, rules=o.rules, out=o.out, lang=o.lang)
    if not check.ok:
        return _failed(o, con, check.problems, {"month": str(check.month or month)})
    if not o.quiet:
        if check.problems.warnings:
            console.print_problems(con, check.problems.only("warning"), o.lang)
        console.print_card_check(con, check, o.lang)
    from settle.output.privacy import mask_record
    records = [mask_record(r) for r in json.loads(check.violations.to_json(orient="records", force_ascii=False))]
    appeals = [d.to_json() for d in check.credit.appeals.decisions] if check.credit is not None else []
    return emit(o, {"month": str(check.month), "findings": len(check.violations),
                    "output": None if check.output is None else str(check.output), "violations": records,
                    "appeal_sheets": [str(p) for p in check.appeal_sheets], "appeals": appeals},   # SPEC §12
                FINDINGS if len(check.violations) else OK)


@command(app)
def explain(o: Options, month: str = typer.Argument(..., help=MONTH),
            person: Optional[str] = typer.Argument(None, help="工号或姓名 / staff id or name"),
            lines: bool = typer.Option(False, "--lines", help="同时列出业绩明细 / also list the billing lines"),
            doctor: Optional[str] = typer.Option(None, "--doctor", help="首诊医生：列出其科间转诊单（R42） / a "
                                                 "doctor's inter-department referral slips (R42)")) -> int:
    """逐项解释一个人的工资条 / explain one person's payslip, figure by figure.

    Example:  settle explain 2024-05 S003 --lines      settle explain 2024-05 --doctor 刘医生
    """
    con = console.make_console(json_mode=o.json)
    if doctor is not None:
        d = api.explain_doctor(o.workspace, month, doctor, rules=o.rules, out=o.out)
        if not d.slips:
            return _failed(o, con, d.problems, {"month": month, "doctor": doctor})
        if not o.json:
            console.print_doctor(con, d, o.lang)
        return emit(o, d.to_json(), OK)
    if person is None:
        usage(say("explain_needs_person", o.lang), o.lang, o.json)
    e = api.explain(o.workspace, month, person, rules=o.rules, out=o.out, lang=o.lang)
    ex = e.explained
    if ex is None:
        return _failed(o, con, e.problems, {"month": month, "person": person})
    console.print_explained(con, ex, o.lang)
    if lines:
        console.print_credited_lines(con, ex, e.settlement, e.folder, e.record, o.lang)
    return emit(o, {"month": ex.month, "staff_id": ex.person["staff_id"], "total": ex.total, "preview": ex.preview,
                    "rules_version": ex.version or None, "lines": ex.lines}, OK)


@command(app, options=("workspace", "out", "lang", "quiet", "json_", "debug"))
def close(o: Options, month: str = typer.Argument(..., help=MONTH),
          reopen: bool = typer.Option(False, "--reopen", help="重新打开已关账的月份 / reopen a closed month"),
          reason: Optional[str] = typer.Option(None, "--reason", help="重新打开的原因（必填） / why it is reopened "
                                                                      "(required)")) -> int:
    """关账：已结算的月份不再被覆盖 / mark a settled month final.

    Example:  settle close 2024-05      settle close 2024-05 --reopen --reason "补录退费"
    """
    con = console.make_console(json_mode=o.json)
    c = api.close_month(o.workspace, month, reopen=reopen, reason=reason, out=o.out)
    if c.status == "error":
        return _failed(o, con, c.problems, {"month": month})
    console.report_close(con, c, o.lang)
    return emit(o, {"month": str(c.month), "status": c.status, **c.info}, CLOSE_EXIT[c.status])


@command(app, options=("lang", "json_", "debug"))
def init(o: Options, directory: Path = typer.Argument(Path("."), help="新工作目录 / the new workspace folder")) -> int:
    """新建工作目录：settle.yaml、rules/、staff.xlsx 和空白输入模板 / create a workspace.

    Example:  settle init 市场部工资
    """
    con = console.make_console(json_mode=o.json)
    created, existing = api.init_workspace(directory)
    if existing:
        console.print_message(con, "workspace_exists", o.lang, style="red", folder=directory, files=", ".join(existing))
        return emit(o, {"status": "exists", "existing": existing}, BAD_INPUT)
    console.print_message(con, "workspace_created", o.lang, folder=directory)
    for p in created:
        con.print(f"  {p}", markup=False)
    console.print_message(con, "next_steps", o.lang, folder=directory)
    return emit(o, {"status": "ok", "created": created}, OK)


@command(app)
def verify(o: Options, month: str = typer.Argument(..., help=MONTH)) -> int:
    """重新计算已结算的月份并与记录比对 / recompute a settled month and compare every figure.

    Exit 0 all match, 1 differences, 2 cannot verify.  Example:  settle verify 2024-05
    """
    con = console.make_console(json_mode=o.json)
    report, problems = api.verify(o.workspace, month, out=o.out, rules=o.rules)
    if report is None:
        console.print_problems(con, problems, o.lang)
        return emit(o, {"month": month, "status": "cannot_verify", **problems_payload(problems, o.lang)}, BAD_INPUT)
    console.print_verify(con, report, o.lang)
    return emit(o, {"month": month, "status": "match" if report.ok else "different"}, OK if report.ok else FINDINGS)


@command(app)
def simulate(o: Options, month: Optional[str] = typer.Argument(None, help=f"{MONTH} (or --from/--to)"),
             start: Optional[str] = typer.Option(None, "--from", help="第一个月 / first month"),
             end: Optional[str] = typer.Option(None, "--to", help="最后一个月 / last month")) -> int:
    """按其他规则模拟一个月，不改动已结算的输出 / a month under other rules, without touching it.

    Example:  settle simulate 2024-05 --rules rules/examples/plan_a.yaml
    """
    con = console.make_console(json_mode=o.json)
    if o.rules is None:
        usage(say("simulate_needs_rules", o.lang), o.lang, o.json)
    sim = api.simulate(o.workspace, month, rules=o.rules, start=start, end=end, out=o.out)
    if sim.comparison is None:
        return _failed(o, con, sim.problems, {"month": month})
    if not o.quiet:
        console.print_comparison(con, sim.comparison, sim.path, o.lang)
    return emit(o, {"status": "ok", "output": str(sim.path), **sim.comparison.to_json()}, OK)


@command(app)
def diff(o: Options, month: str = typer.Argument(..., help=MONTH),
         person: Optional[str] = typer.Argument(None, help="只看一个人：工号或姓名 / one person: staff id or name"),
         against: Optional[str] = typer.Option(None, "--against", help="与 history/ 中的某次结果比较（时间戳或文件夹）/ "
                                               "compare with a run kept in history/ (its stamp or folder)"),
         run: Optional[str] = typer.Option(None, "--run", help="以 history/ 中的某次结果代替已发布结果 / a run kept "
                                           "in history/ instead of the published result"),
         other: Optional[str] = typer.Option(None, "--month", help="与另一个月比较 / compare with another month"),
         all_rows: bool = typer.Option(False, "--all", help="列出每个原因 / list every cause")) -> int:
    """为什么变了：逐人说明应发合计的差额，各项原因合计到分 / why a figure changed, cause by cause.

    Example:  settle diff 2024-05      settle diff 2024-05 S004 --month 2024-04
    """
    con = console.make_console(json_mode=o.json)
    d = api.diff_month(o.workspace, month, against=against, run=run, other_month=other, person=person, out=o.out,
                       lang=o.lang)
    if d.comparison is None:
        return _failed(o, con, d.problems, {"month": month})
    if not o.quiet:
        console.print_diff(con, d.comparison, d.path, o.lang, all_rows=all_rows)
    return emit(o, {"status": "ok", "output": None if d.path is None else str(d.path),
                    **d.comparison.to_json(o.lang)}, OK)


rules_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                        help="规则：提成方案说明 / the rules: the policy as a document.")
app.add_typer(rules_app, name="rules")


@command(rules_app, "doc")
def rules_doc(o: Options, month: Optional[str] = typer.Option(None, "--month", help=f"{MONTH}：该月的规则版本 / the "
                                                                                   "version in force for MONTH"),
              against: Optional[Path] = typer.Option(None, "--against", help="对比另一个规则文件或文件夹 / compare with "
                                                                             "another rules file or folder")) -> int:
    """提成方案说明：每条规则的中文说明、来源行和由程序算出的示例 / the policy in force as a document.

    Example:  settle rules doc --month 2024-05      settle rules doc --against rules/examples/plan_a.yaml
    """
    con = console.make_console(json_mode=o.json)
    d = api.rules_doc(o.workspace, month=month, against=against, rules=o.rules, out=o.out, lang=o.lang)
    if d.doc is None:
        return _failed(o, con, d.problems, {"month": month})
    if not o.quiet:
        console.print_policy_doc(con, d.doc, d.path, o.lang)
    return emit(o, {"status": "ok", "output": None if d.path is None else str(d.path), **d.doc.to_json()}, OK)


@command(app, options=("workspace", "out", "lang", "quiet", "json_", "debug"))
def vouchers(o: Options, month: str = typer.Argument(..., help=MONTH),
             partner: Optional[str] = typer.Option(None, "--partner", help="合作单位（或 合作单位/转诊医生）：写出其返款单"
                                                   " / write this introducer's voucher as its own file")) -> int:
    """列出已结算月份的返款单，或写出一张单独的返款单（R46） / list a settled month's vouchers or write one.

    Exit 0 ok, 2 month not settled or no such partner.  Example:  settle vouchers 2024-05 --partner 仁爱诊所
    """
    con = console.make_console(json_mode=o.json)
    vf = api.voucher_files(o.workspace, month, partner=partner, out=o.out)
    if vf.problems.errors:
        return _failed(o, con, vf.problems, {"month": month})
    if not o.quiet:
        console.print_vouchers(con, vf, o.lang)
    return emit(o, {"month": str(vf.month), "vouchers": vf.vouchers, "written": [str(p) for p in vf.written]}, OK)


@command(app, options=("workspace", "out", "lang", "debug"))
def unlock(o: Options, month: str = typer.Argument(..., help=MONTH),
           yes: bool = typer.Option(False, "--yes", "-y", help="不再询问 / do not ask for confirmation")) -> int:
    """解除中断的运行留下的锁（共享盘）/ clear the lock a dead run left on a shared drive.

    Exit 0 unlocked or not locked, 3 a live run holds it.  Example:  settle unlock 2024-05
    """
    from settle.output.lock import unlock_month
    return unlock_month(o.workspace, month, o.out, o.lang, yes, typer.confirm, console.make_console().print)


@command(app, options=("workspace", "lang", "quiet", "json_", "debug"))
def inspect(o: Options, file: Path = typer.Argument(..., help="一个输入工作簿 / one input workbook"),
            kind: Optional[str] = typer.Option(None, "--kind", help="输入类别，如 收费明细、登记表 / the input kind "
                                               "(billing, registrations …; default: from the file name)")) -> int:
    """查看 settle 如何读取一个工作簿，不计算工资 / show how settle reads one workbook, computing nothing.

    Exit 0 readable, 1 warnings, 2 unreadable or required columns missing.
    Example:  settle inspect 2024-05/收费明细.xlsx      settle inspect 导出.xlsx --kind 收费明细
    """
    from settle.load.inspection import to_json
    con = console.make_console(json_mode=o.json)
    insp = api.inspect_file(file, o.workspace, kind=kind)
    if not o.quiet or insp.problems.errors:
        console.print_inspection(con, insp, o.lang)
    return emit(o, {**to_json(insp), **problems_payload(insp.problems, o.lang)}, insp.exit_code)


@command(app, options=("workspace", "rules", "out", "lang", "debug"))
def serve(o: Options, port: Optional[int] = typer.Option(None, "--port", help="端口（默认：任一空闲端口） / port "
                                                                             "(default: any free one)"),
          no_browser: bool = typer.Option(False, "--no-browser", help="不打开浏览器 / do not open a browser")) -> int:
    """本机网页：检查、结算、卡片检查、解释、模拟、关账、核验 / a local page for the month's work.

    Listens on 127.0.0.1 only; the address it prints carries a one-time token.
    Example:  settle serve      settle serve --port 8765 --no-browser
    """
    from settle.serve import serve as serve_page
    con = console.make_console()
    return serve_page(o.workspace, lang=o.lang, rules=o.rules, out=o.out, port=port, browser=not no_browser,
                      debug=o.debug, echo=lambda text: con.print(text, markup=False, soft_wrap=True))


def main(argv: list[str] | None = None):
    from settle.streams import guard_streams
    guard_streams()  # any console or pipe encoding prints every message (issue 28.5)
    args = list(sys.argv[1:] if argv is None else argv)
    if not args and sys.stdin.isatty() and sys.stdout.isatty():   # a double-click: ask, run, wait (SPEC §13)
        from settle.serve.desk import desk
        sys.exit(desk(lambda given: run_app(app, given)))
    sys.exit(run_app(app, args))
