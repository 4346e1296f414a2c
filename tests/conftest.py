"""Shared fixtures: build a tiny workspace, settle a month, read what it wrote."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

from builders import Workspace  # noqa: E402
from settle.cli import app  # noqa: E402

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


class Result:
    """What `settle run` printed and wrote."""

    def __init__(self, cli, root: Path, month: str):
        self.cli = cli
        self.exit_code = cli.exit_code
        self.output = cli.output
        self.root = root
        self.month = month
        path = root / "output" / month / "settlement.json"
        self.data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def person(self, sid: str) -> dict:
        return self.data["people"][sid]

    def total(self, sid: str) -> str:
        return self.person(sid)["total"]

    def column(self, sid: str, column: str) -> str:
        return self.person(sid)["columns"][column]

    def line(self, sid: str, component: str) -> dict | None:
        for l in self.person(sid)["lines"]:
            if l["component"] == component:
                return l
        return None

    def amount(self, sid: str, component: str) -> str | None:
        l = self.line(sid, component)
        return None if l is None else l["amount"]

    def violations(self, code: str | None = None) -> list[dict]:
        return [v for v in self.data["violations"] if code is None or v["code"] == code]

    def uncredited(self) -> dict:
        return self.data["reconciliation"]["uncredited"]


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path / "ws")


class LibraryRun:
    """What the library's settle_month returned, shaped like a CLI run: exit code, the problems
    as the clerk would read them, and the recorded settlement."""

    EXIT = {"ok": 0, "error": 2, "unreplaceable": 2, "closed": 3, "locked": 3}

    def __init__(self, outcome, lang: str):
        from rich.console import Console
        from settle.console import print_message, print_problems
        self.exit_code = self.EXIT[outcome.status]
        con = Console(record=True, width=200, file=open(os.devnull, "w"))
        print_problems(con, outcome.result.problems, lang)
        if outcome.status == "error" and outcome.result.month is not None:
            print_message(con, "errors_nothing_written", lang)
        self.output = con.export_text()
        self.outcome = outcome


@pytest.fixture
def settle():
    """settle(ws, '2024-05', *extra_args) -> Result (asserts nothing; check .exit_code).
    Settles through the library (settle.api.settle_month), as a script would."""
    from settle import api

    def run(workspace: Workspace, month: str = "2024-05", *extra: str) -> Result:
        args = dict(zip(extra[::2], extra[1::2]))
        if len(extra) % 2 or set(args) - {"--rules", "--lang"}:
            cli = invoke("run", month, "--workspace", str(workspace.root), "--quiet", *extra)
            return Result(cli, workspace.root, month)
        lang = args.get("--lang", "zh")
        outcome = api.settle_month(workspace.root, month, rules=args.get("--rules"), lang=lang)
        return Result(LibraryRun(outcome, lang), workspace.root, month)
    return run


def ok(r: Result) -> Result:
    """The run succeeded and wrote its settlement."""
    assert r.exit_code == 0, r.output
    assert r.data is not None
    return r


def perf(r: Result, sid: str) -> str:
    return r.person(sid)["performance"]
