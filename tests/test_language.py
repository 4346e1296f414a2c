"""One language per run (issue 18.5): an English run's workbooks hold no Chinese and a Chinese
run's no English, apart from data (names, departments, 项目类别, partners, file and sheet names,
the clerk's reasons, the policy's YAML as written); the engine's texts translate without touching
the data inside them; amounts in words in either language."""

import shutil
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import SAMPLES

from settle import api
from settle.output.english import data_words, english, source, translator, violation_detail
from settle.output.words import rmb_words, rmb_words_en, words_of

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from lang_scan import leftovers  # noqa: E402


@pytest.fixture(scope="module", params=["zh", "en"])
def sample_run(request, tmp_path_factory):
    ws = tmp_path_factory.mktemp(f"lang_{request.param}") / "ws"
    shutil.copytree(SAMPLES, ws, ignore=shutil.ignore_patterns("output"))
    outcome = api.settle_month(ws, "2024-05", lang=request.param)
    assert outcome.status == "ok"
    return ws, request.param


def test_the_sample_month_speaks_one_language(sample_run):
    """Every sheet name, header, footer and cell of every workbook of the sample month."""
    ws, lang = sample_run
    found = leftovers(ws, "2024-05", lang)
    assert not found, {k: list(v)[:5] for k, v in found.items()}


def test_output_names_do_not_depend_on_the_language(sample_run):
    ws, _ = sample_run
    folder = ws / "output" / "2024-05"
    assert {"部门汇总.xlsx", "工资条", "工资条_裁剪版.xlsx", "返款汇总.xlsx", "返款单.xlsx", "settlement.json"} <= \
        {p.name for p in folder.iterdir()}


def test_the_scan_can_fail(sample_run):
    """The check above is not vacuous: scanned for the other language, each run's labels are found
    (a Chinese run holds Chinese labels, an English run English ones)."""
    ws, lang = sample_run
    found = leftovers(ws, "2024-05", "en" if lang == "zh" else "zh")
    texts = {t for counter in found.values() for t in counter}
    assert ("应发合计" if lang == "zh" else "Total pay") in texts


def test_engine_words_translate_and_data_stays():
    """R38: the 事由 "工作时间在网吧上网" is the clerk's text — its 上网 is not the engine's word."""
    text = "调整 2024-05/调整_2024-05.xlsx 第 13 行 2024-05-09：工作时间在网吧上网（批准人 李建国）"
    out = english(text, keep=("工作时间在网吧上网", "李建国"))
    assert out == "adjustment 2024-05/调整_2024-05.xlsx row 13 2024-05-09: 工作时间在网吧上网 (approved by 李建国)"
    # the longest phrase wins over the policy's own name inside it (R34)
    assert translator("en", None)("本组业务员最低绩效考核") == "lowest assessment among the team's salespeople"
    assert translator("zh", None)("本组业务员最低绩效考核") == "本组业务员最低绩效考核"
    assert source("收费明细.xlsx › Sheet1 › 第 7 行", "en") == "收费明细.xlsx › Sheet1 › row 7"
    assert source("收费明细.xlsx › Sheet1 › 第 7 行", "zh") == "收费明细.xlsx › Sheet1 › 第 7 行"


def test_a_derivation_adds_up_in_english_as_in_chinese():
    """The figures and operators of a 计算过程 are left exactly as they are (R30)."""
    zh = "5000 × 31/31 × min(1, max(0, 正式业务员人均业绩 68,724.71/20000))"
    assert english(zh) == "5000 × 31/31 × min(1, max(0, average performance of regular salespeople 68,724.71/20000))"


def test_a_violation_detail_is_read_back_through_its_template():
    from settle.problems import VIOLATIONS
    kind = VIOLATIONS["late_report"]
    detail = "2024-05-06 的日报 2024-05-07 10:00 提交，应在 2024-05-06 24:00 前"
    en = violation_detail("late_report", detail)
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en), en
    assert "2024-05-07 10:00" in en and kind.detail_en is not None


def test_data_words_are_the_roster_and_the_adjustments():
    import pandas as pd

    class S:
        staff = pd.DataFrame({"name": ["李建国"], "role": ["主任"], "leave_type": ["自动离职"]})
        inputs = type("I", (), {"adjustments": pd.DataFrame({"reason": ["工作时间在网吧上网"]}),
                                "files": [("2024-05/调整_2024-05.xlsx", "x")]})()
    words = data_words(S())
    assert "李建国" in words and "工作时间在网吧上网" in words and "2024-05/调整_2024-05.xlsx" in words
    assert "自动离职" not in words   # the engine says it too (R44): translated, not kept


@pytest.mark.parametrize("amount, zh, en", [
    ("0.05", "伍分", "five fen"),
    ("10.00", "壹拾元整", "ten yuan only"),
    ("1000000.01", "壹佰万元零壹分", "one million yuan and one fen"),
    ("-12.50", "负壹拾贰元伍角整", "minus twelve yuan and fifty fen"),
    ("0", "零元整", "zero yuan only"),
    ("35045.79", "叁万伍仟零肆拾伍元柒角玖分", "thirty-five thousand and forty-five yuan and seventy-nine fen"),
])
def test_amounts_in_words(amount, zh, en):
    assert rmb_words(Decimal(amount)) == zh and words_of(Decimal(amount), "zh") == zh
    assert rmb_words_en(Decimal(amount)) == en and words_of(Decimal(amount), "en") == en


# num2words' own words for these numbers (issue 28.3 replaced it by inflect: docopt, which it pulled,
# has no wheel). inflect gave the same words as num2words for every whole number 0 … 200 000 and
# for 20 000 random ones below 10^12 when it was swapped in.
@pytest.mark.parametrize("n, words", [
    (0, 'zero'), (1, 'one'), (13, 'thirteen'), (20, 'twenty'), (21, 'twenty-one'), (100, 'one hundred'),
    (101, 'one hundred and one'), (110, 'one hundred and ten'), (999, 'nine hundred and ninety-nine'),
    (1000, 'one thousand'), (1001, 'one thousand and one'), (1010, 'one thousand and ten'),
    (1100, 'one thousand, one hundred'), (10000, 'ten thousand'), (35045, 'thirty-five thousand and forty-five'),
    (100000, 'one hundred thousand'), (100001, 'one hundred thousand and one'), (1000001, 'one million and one'),
    (1234567, 'one million, two hundred and thirty-four thousand, five hundred and sixty-seven'),
    (1000000000, 'one billion'),
    (999999999999, 'nine hundred and ninety-nine billion, nine hundred and ninety-nine million, nine hundred '
                   'and ninety-nine thousand, nine hundred and ninety-nine'),
])
def test_english_numbers_are_the_words_num2words_wrote(n, words):
    from settle.output.words import english_number
    assert english_number(n) == words


def test_a_month_written_in_english_verifies_and_explains_in_english(sample_run):
    """verify reads an English month's payslip names through the recorded policy's name_en; explain
    shows the names, rules, units and flags in English (the derivation adds up: R39)."""
    ws, lang = sample_run
    report, problems = api.verify(ws, "2024-05")
    assert report is not None and report.ok, (report.files, report.figures, report.workbooks[:5])
    ex = api.explain(ws, "2024-05", "S011", lang=lang)
    names = [line["name"] for line in ex.explained.lines]
    if lang == "en":
        assert names[:2] == ["base pay", "assessment"] and "late daily report" in names
        rule = next(line["rule"] for line in ex.explained.lines if line["name"] == "improper means")
        assert rule == "R43 governance rules 2"
        assert any(f.startswith("carried to 2024-06: -4160.03") for f in ex.explained.flags)
    else:
        assert names[:2] == ["基本工资", "绩效考核"] and "日报迟交" in names


def test_a_preview_explains_in_english(tmp_path):
    ws = tmp_path / "ws"
    shutil.copytree(SAMPLES, ws, ignore=shutil.ignore_patterns("output"))
    ex = api.explain(ws, "2024-05", "S002", lang="en")
    assert ex.explained.preview
    lines = {line["name"]: line for line in ex.explained.lines}
    assert lines["base pay"]["derivation"].startswith("1500 × 31/31 × completion min(1, 66,051.21/20000)")
    assert lines["management bonus"]["base"] == "lowest assessment among the team's salespeople"


def test_verify_names_a_missing_voucher_in_the_runs_language(sample_run, tmp_path):
    """The workbook checkers' words (present, missing, N lines …) print in Chinese in a zh run."""
    from rich.console import Console

    from settle.console import print_verify
    src, lang = sample_run
    ws = tmp_path / "ws"
    shutil.copytree(src, ws)
    voucher = ws / "output/2024-05/返款单.xlsx"
    voucher.unlink()
    report, _ = api.verify(ws, "2024-05")
    assert not report.ok
    con = Console(record=True, width=200)
    print_verify(con, report, lang)
    text = con.export_text()
    assert voucher.name in text
    if lang == "zh":
        assert "缺失" in text and "missing" not in text and " lines" not in text
    else:
        assert "missing" in text


@pytest.mark.parametrize("change, zh, en", [
    # a tier that overlaps (R11's tiers), an unknown key, a wrong type, a validator's own message
    (("        - {from: 20000, to: 30000, rate: 4%}", "        - {from: 15000, to: 30000, rate: 4%}"),
     "与上一档重叠", "overlaps the previous tier"),
    (("    rate: 40%\n", "    rate: 40%\n    bogus: 1\n"), "未知的键 'bogus'", "unknown key 'bogus'"),
    (("    rate: 40%\n", "    rate: 400\n"), "比例 400 大于 1：请写成百分数", "rate 400 is above 1: write it as a percentage"),
    (("large_rebate_threshold: 5000", "large_rebate_threshold: [1]"), "应为数字", "expected a number"),
])
def test_rules_errors_speak_the_runs_language(tmp_path, change, zh, en):
    """One language per run covers the rules loader: schema, validators and pydantic's own errors."""
    from settle.problems import Problems
    from settle.rules.loader import load_policy
    text = (Path(__file__).resolve().parent.parent / "rules/default.yaml").read_text(encoding="utf-8")
    assert change[0] in text
    (tmp_path / "rules.yaml").write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    problems = Problems()
    assert load_policy(tmp_path / "rules.yaml", problems) is None
    zh_texts, en_texts = [p.text("zh") for p in problems], [p.text("en") for p in problems]
    assert any(zh in t for t in zh_texts), zh_texts
    assert any(en in t for t in en_texts), en_texts
    assert not any(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in en_texts), en_texts
    assert not any(" / " in t for t in zh_texts + en_texts)
