"""What every command of the command line shares, so that cli.py holds only the commands.

- `Options`: the global options (`--workspace --rules --out --lang --quiet --json --debug`),
  given before the command (`settle --lang en run …`) or after it (`settle run … --lang en`).
- `command(app, …)`: registers a command whose body reads `o: Options` and returns an exit
  code; the shared options are added to its signature here, once, instead of in every command.
- `guard(o)`: no traceback ever reaches the user (SPEC §8); signals, a full disk and the other
  faults of a clerk's PC or a share end in one catalogue message (settle.faults).
- `emit(o, payload, code)`: with --json every command prints one object, errors included.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, get_type_hints

import typer

try:  # recent typer carries its own copy of click (and its own Exit and Abort)
    from typer._click.exceptions import BadParameter, MissingParameter, NoSuchOption, UsageError
    ClickExit, ClickAbort = typer.Exit, typer.Abort
except ImportError:  # pragma: no cover - typer on click
    from click.exceptions import (Abort as ClickAbort, BadParameter, Exit as ClickExit, MissingParameter,
                                  NoSuchOption, UsageError)

from settle.console import error_console
from settle.problems import Problems, say

OK, FINDINGS, BAD_INPUT, LOCKED, INTERRUPTED = 0, 1, 2, 3, 130
# The exit code of each outcome of `run` and `close` (the command line's, and the page's tones)
RUN_EXIT = {"ok": OK, "error": BAD_INPUT, "unreplaceable": BAD_INPUT, "closed": LOCKED, "locked": LOCKED}
CLOSE_EXIT = {"stale_lock": LOCKED, "closed": OK, "already_closed": OK, "reopened": OK, "not_closed": OK,
              "not_settled": BAD_INPUT, "needs_reason": BAD_INPUT, "locked": LOCKED}

__all__ = ["Options", "command", "emit", "usage", "problems_json", "problems_payload", "run_app", "UsageError",
           "OK", "FINDINGS", "BAD_INPUT", "LOCKED", "INTERRUPTED"]


@dataclass(frozen=True)
class Options:
    workspace: Path
    rules: Path | None
    out: Path | None
    lang: str
    quiet: bool
    json: bool
    debug: bool


# name → (type, typer declaration); the same declarations serve the root callback and each command
SHARED = {
    "workspace": (Optional[Path], lambda: typer.Option(
        None, "--workspace", "-w", help="工作目录 (default: $SETTLE_WORKSPACE, else the nearest folder upwards "
                                        "holding settle.yaml or staff.xlsx)")),
    "rules": (Optional[Path], lambda: typer.Option(None, "--rules", help="规则文件或文件夹 (instead of the "
                                                                         "workspace's rules/)")),
    "out": (Optional[Path], lambda: typer.Option(None, "--out", help="输出文件夹 (default: <workspace>/output)")),
    "lang": (Optional[str], lambda: typer.Option(None, "--lang", help="zh (default) or en")),
    "quiet": (Optional[bool], lambda: typer.Option(None, "--quiet", "-q", help="只输出错误 / only print errors")),
    "json_": (Optional[bool], lambda: typer.Option(None, "--json", help="在标准输出打印机器可读的结果 / print the "
                                                                         "result as JSON on stdout")),
    "debug": (Optional[bool], lambda: typer.Option(None, "--debug", help="显示内部错误的详细信息 / show tracebacks")),
}
ALL = tuple(SHARED)


def shared_parameters(names=ALL) -> list[inspect.Parameter]:
    return [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=SHARED[n][1](), annotation=SHARED[n][0])
            for n in names]


def with_signature(func, params: list[inspect.Parameter]):
    """Give `func` the signature typer reads its parameters from."""
    func.__signature__ = inspect.Signature(params)
    func.__annotations__ = {p.name: p.annotation for p in params}
    return func


def resolve(ctx: typer.Context, given: dict) -> Options:
    """A command's options over the ones given before it (`settle --lang en run …`)."""
    g = ctx.find_root().obj or {}
    pick = lambda name: given.get(name) if given.get(name) is not None else g.get(name)  # noqa: E731
    from settle.load.perimeter import find_workspace
    lang, as_json = pick("lang") or "zh", bool(pick("json_"))
    if lang not in ("zh", "en"):
        usage(say("bad_lang", "zh", value=repr(lang)), "zh", as_json)
    o = Options(Path(find_workspace(pick("workspace"))),  # SPEC §1: --workspace, $SETTLE_WORKSPACE, upwards
                pick("rules"), pick("out"), lang, bool(pick("quiet")), as_json, bool(pick("debug")))
    if o.debug:  # the readers' own words (SPEC §8.1: only with --debug)
        from settle.load.quiet import show_debug
        show_debug()
    return o


def command(app: typer.Typer, name: str | None = None, options=ALL):
    """`@command(app)` over `def run(o: Options, month: str = typer.Argument(…)) -> int`: the
    command's own parameters, then the shared `options`; the body runs under `guard`."""
    def register(body):
        hints = get_type_hints(body)
        own = [p.replace(annotation=hints.get(p.name, p.annotation))
               for p in inspect.signature(body).parameters.values() if p.name != "o"]
        ctx = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)

        @functools.wraps(body)
        def cmd(ctx: typer.Context, **kw):
            o = resolve(ctx, {n: kw.pop(n) for n in options})
            with guard(o):
                code = body(o, **kw)
            raise typer.Exit(code)

        return app.command(name)(with_signature(cmd, [ctx, *own, *shared_parameters(options)]))
    return register


def write_json(payload: dict) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")


def emit(o: Options, payload: dict, code: int) -> int:
    """--json: every command prints one object, errors included, with its exit code."""
    if o.json:
        write_json({**payload, "exit_code": code})
    return code


def usage(msg: str, lang: str, as_json: bool):
    error_console().print(f"[red]{msg}[/red]")
    if as_json:
        write_json({"status": "usage_error", "exit_code": BAD_INPUT, "message": msg})
    raise typer.Exit(BAD_INPUT)


def problems_json(problems: Problems, lang: str) -> list:
    from settle.output.privacy import mask_problem
    return [mask_problem(p.to_json(lang)) for p in problems.in_order()]


def problems_payload(problems: Problems, lang: str) -> dict:
    """--json's problems (SPEC §8.1): every problem kept, the totals listed and unlisted, and past
    the per-column cap the count of each code by file, sheet and column, saying so."""
    from settle.problems import unlisted_severity
    out = {"problems": problems_json(problems, lang), "errors": problems.count("error"),
           "warnings": problems.count("warning")}
    if problems.unlisted:
        out["unlisted"] = [{"code": k[0], "severity": unlisted_severity(k), "file": k[1], "sheet": k[2],
                            "column": k[3], "month": k[4], "count": n} for k, n in problems.unlisted.items()]
        out["unlisted_note"] = say("unlisted_problems", lang, n=problems.suppressed)
    return out


@contextmanager
def guard(o: Options):
    from settle.faults import Fault, Interrupted, from_os_error, install_signal_handlers, interrupt_exit_code

    restore = install_signal_handlers()
    try:
        yield
    except (typer.Exit, ClickExit, SystemExit):
        raise
    except (KeyboardInterrupt, Interrupted) as exc:
        error_console().print(f"[red]{Fault('interrupted').text(o.lang)}[/red]")
        raise typer.Exit(emit(o, {"status": "interrupted"}, interrupt_exit_code(exc)))
    except BaseException as exc:  # the last line of defence (a reader's PanicException is a BaseException)
        fault = exc if isinstance(exc, Fault) else from_os_error(exc) if isinstance(exc, Exception) else None
        if fault is not None and not o.debug:
            error_console().print(f"[red]{fault.text(o.lang)}[/red]")
            raise typer.Exit(emit(o, {"status": "error", "error": fault.code}, fault.exit_code))
        if o.debug:
            raise
        error_console().print(f"[red]{say('internal_error', o.lang, kind=type(exc).__name__, detail=exc)}[/red]")
        raise typer.Exit(emit(o, {"status": "internal_error", "error": type(exc).__name__}, BAD_INPUT))
    finally:
        restore()


def argv_lang(argv: list[str]) -> tuple[str, bool]:
    """The language and --json of a command line that click could not parse."""
    lang = "zh"
    for i, a in enumerate(argv):
        if a == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif a.startswith("--lang="):
            lang = a.split("=", 1)[1]
    return ("en" if lang == "en" else "zh"), "--json" in argv


# Click's usage errors carry their words only in English text: what each says is read once,
# here, and said again from the catalogue (usage.* in settle.wording) in the run's language.
_CLICK_SAYS = (("usage.extra_arguments", re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((?P<args>.*)\)$", re.S)),
               ("usage.no_command", re.compile(r"No such command '(?P<name>.*)'\.$", re.S)),
               ("usage.missing_command", re.compile(r"Missing command\.$")),
               ("usage.option_takes_no_value", re.compile(r"Option '(?P<name>.*)' does not take a value\.$")),
               ("usage.option_needs_value", re.compile(r"Option '(?P<name>.*)' requires (?P<n>an|\d+) arguments?\.$")))


def usage_detail(exc: UsageError, lang: str) -> str:
    """What a Click/typer usage error says, in `lang` (issue 25.3: never English in a Chinese run)."""
    try:
        return _usage_detail(exc, lang)
    except Exception:  # a Click of another shape: its own words, never a traceback
        return say("usage.unknown", lang, detail=exc.format_message())


def _hint(exc: UsageError) -> str:
    """The parameter a usage error is about, as Click names it ('month', '--rules')."""
    if getattr(exc, "param_hint", None):
        return exc.param_hint if isinstance(exc.param_hint, str) else " / ".join(exc.param_hint)
    param = getattr(exc, "param", None)
    if param is None:
        return ""
    try:
        return param.get_error_hint()
    except TypeError:   # click's own signature: get_error_hint(ctx)
        return param.get_error_hint(exc.ctx)


def _usage_detail(exc: UsageError, lang: str) -> str:
    if isinstance(exc, MissingParameter):
        kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else "parameter")
        return say("usage.missing_option" if kind == "option" else "usage.missing_argument", lang, name=_hint(exc))
    if isinstance(exc, NoSuchOption):
        suggest = say("usage.did_you_mean", lang, options=", ".join(sorted(exc.possibilities))) \
            if exc.possibilities else ""
        return say("usage.no_option", lang, name=exc.option_name, suggest=suggest)
    if isinstance(exc, BadParameter):
        return say("usage.bad_value", lang, name=_hint(exc))
    for code, pattern in _CLICK_SAYS:
        m = pattern.match(exc.message)
        if m:
            found = m.groupdict()
            if "args" in found:
                found["n"] = len(found["args"].split())
            return say(code, lang, **found)
    return say("usage.unknown", lang, detail=exc.format_message())


def run_app(app: typer.Typer, argv: list[str]) -> int:
    """Run the typer app; usage errors in the run's language (and as JSON with --json)."""
    try:
        rc = app(args=argv or ["--help"], prog_name="settle", standalone_mode=False)
    except UsageError as exc:
        lang, as_json = argv_lang(argv)
        try:
            usage(say("usage_error", lang, detail=usage_detail(exc, lang)), lang, as_json)
        except typer.Exit as done:
            return done.exit_code
    except (ClickExit, typer.Exit) as done:
        return done.exit_code
    except (ClickAbort, typer.Abort):
        error_console().print(say("interrupted", argv_lang(argv)[0]))
        return INTERRUPTED
    return rc if isinstance(rc, int) else OK
