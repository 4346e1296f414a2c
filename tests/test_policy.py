"""R12: the rules loader refuses broken policies with file, key path and line."""

from decimal import Decimal
from pathlib import Path

import pytest

from settle.rules import Tier, Tiers, default_rules_dir, load_policy
from settle.problems import Problems

DEFAULT = (default_rules_dir() / "default.yaml").read_text(encoding="utf-8")


def load_text(tmp_path, text):
    p = tmp_path / "rules.yaml"
    p.write_text(text, encoding="utf-8")
    problems = Problems()
    return load_policy(p, problems), [(x.file, x.row, x.column, x.text("en")) for x in problems]


def test_default_and_plan_a_load():
    for name in ("default.yaml", "examples/plan_a.yaml"):
        problems = Problems()
        assert load_policy(default_rules_dir() / name, problems) is not None, [p.message() for p in problems]


def line_of(text, needle):
    return next(i for i, l in enumerate(text.splitlines(), 1) if needle in l)


def test_overlapping_tiers_name_file_key_and_line(tmp_path):
    text = DEFAULT.replace("- {from: 30000, to: 50000, rate: 5%}", "- {from: 25000, to: 50000, rate: 5%}")
    policy, problems = load_text(tmp_path, text)
    assert policy is None
    (file, row, column, msg), = problems
    assert file == "rules.yaml" and column == "streams[3].commission.tiers[2]"
    assert "overlaps" in msg
    assert row == line_of(text, "from: 25000")


def test_gap_between_tiers(tmp_path):
    text = DEFAULT.replace("- {from: 30000, to: 50000, rate: 5%}", "- {from: 31000, to: 50000, rate: 5%}")
    policy, problems = load_text(tmp_path, text)
    assert policy is None and "gap" in problems[0][3]


def test_unknown_key_and_wrong_type(tmp_path):
    text = DEFAULT.replace("  follow_up_days: 60", "  follow_up_days: sixty\n  follow_up_dayz: 60")
    policy, problems = load_text(tmp_path, text)
    assert policy is None
    got = {(c, r) for _, r, c, _ in problems}
    assert ("crediting.follow_up_days", line_of(text, "follow_up_days: sixty")) in got
    assert ("crediting.follow_up_dayz", line_of(text, "follow_up_dayz")) in got


def test_unknown_stream_reference(tmp_path):
    text = DEFAULT.replace("streams: [exam]", "streams: [examz]")
    policy, problems = load_text(tmp_path, text)
    assert policy is None and "unknown stream 'examz'" in problems[0][3]


def test_unknown_commission_type(tmp_path):
    text = DEFAULT.replace("type: per_case", "type: per_kase", 1)
    policy, problems = load_text(tmp_path, text)
    assert policy is None and problems[0][2] == "streams[0].commission"


def test_yaml_syntax_error_has_a_line(tmp_path):
    policy, problems = load_text(tmp_path, "name: x\nstreams: [\n")
    assert policy is None and problems[0][1] is not None


def test_rate_above_one_without_percent_sign_is_refused(tmp_path):
    policy, problems = load_text(tmp_path, DEFAULT.replace("rate: 8%", "rate: 8"))
    assert policy is None and "percentage" in problems[0][3]


@pytest.mark.parametrize("base,expected", [
    ("19999.99", "599.9997"), ("20000", "800.00"), ("29999.99", "1199.9996"), ("200000", "20000.0"),
    ("0", "0"), ("-5", "0")])
def test_whole_brackets_edges(base, expected):
    policy = load_policy(default_rules_dir() / "default.yaml", Problems())
    amount, _ = policy.streams[3].commission.table().apply(Decimal(base))
    assert amount == Decimal(expected)


@pytest.mark.parametrize("base,expected", [("100000", "1000"), ("500000", "15000"), ("650000", "27000"),
                                           ("-1", "0")])
def test_marginal_department_tiers(base, expected):
    policy = load_policy(default_rules_dir() / "default.yaml", Problems())
    dept = [c for c in policy.pay if c.id == "department_commission"][0]
    amount, _ = dept.table().apply(Decimal(base))
    assert amount == Decimal(expected)


def test_tiers_must_start_at_zero():
    with pytest.raises(ValueError, match="start at 0"):
        Tiers(mode="whole", tiers=(Tier(**{"from": 10, "rate": "1%"}),))
