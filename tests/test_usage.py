"""Click/typer usage errors in the run's one language (issue 25.3): a Chinese run said
"用法错误：Missing argument 'month'." and "No such option"; every usage error is now a catalogue
text (usage.* in settle.wording), in Chinese by default and in English with --lang en, exit 2."""

import json

import pytest

from settle.cli import app
from settle.cli_support import run_app

CASES = [
    (["run"], "用法错误：缺少参数 'month'（settle --help 查看用法）",
     "usage error: missing argument 'month' (see settle --help)"),
    (["run", "2024-05", "--nope"], "用法错误：没有选项 --nope（settle --help 查看用法）",
     "usage error: no such option: --nope (see settle --help)"),
    (["run", "2024-05", "x", "y"], "用法错误：多余的参数：x y（settle --help 查看用法）",
     "usage error: unexpected extra arguments: x y (see settle --help)"),
    (["run", "2024-05", "x"], "用法错误：多余的参数：x（settle --help 查看用法）",
     "usage error: unexpected extra argument: x (see settle --help)"),
    (["nocmd"], "用法错误：没有命令 nocmd（settle --help 查看用法）",
     "usage error: no such command: nocmd (see settle --help)"),
    (["run", "2024-05", "--rules"], "用法错误：选项 --rules 需要一个值（settle --help 查看用法）",
     "usage error: option --rules needs a value (see settle --help)"),
    (["run", "2024-05", "--all=yes"], "用法错误：选项 --all 不带值（settle --help 查看用法）",
     "usage error: option --all takes no value (see settle --help)"),
]


def said(capsys, argv):
    rc = run_app(app, argv)
    return rc, " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize("argv, zh, en", CASES)
def test_usage_errors_in_one_language(capsys, argv, zh, en):
    assert said(capsys, argv) == (2, " ".join(zh.split()))
    flag = ["--lang", "en"] if argv[0] != "nocmd" else []
    if flag:   # --lang after the command, as a clerk types it (a misspelt command takes no options)
        assert said(capsys, argv[:1] + flag + argv[1:]) == (2, " ".join(en.split()))


def test_a_misspelt_option_is_offered_its_neighbours(capsys):
    rc, text = said(capsys, ["run", "2024-05", "--al", "--lang", "en"])
    assert rc == 2 and text.startswith("usage error: no such option: --al (did you mean: --all")
    rc, text = said(capsys, ["run", "2024-05", "--al"])
    assert rc == 2 and text.startswith("用法错误：没有选项 --al（是否是：--all")


def test_a_usage_error_with_json_is_one_object(capsys):
    rc = run_app(app, ["validate", "2024-05", "x", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 2 and out == {"status": "usage_error", "exit_code": 2,
                               "message": "用法错误：多余的参数：x（settle --help 查看用法）"}
