"""Every value form of SPEC §3: money to exact fen, dates, keys, percents, text folding."""

from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, strategies as st

from settle.load.normalize import (clean_key, clean_text, parse_bool, parse_datetime, parse_fen, parse_int,
                              parse_percent)


def fen(*values):
    text, _ = clean_text(pa.array(list(values), type=pa.string()))
    out, valid, bad = parse_fen(text)
    return [int(v) if ok else ("BAD" if b else None) for v, ok, b in zip(out, valid, bad)]


@pytest.mark.parametrize("text,expected", [
    ("1234.5", 123450), ("¥1,234.50", 123450), ("￥1,234.50", 123450), ("1234.5元", 123450),
    ("１２３.００", 12300), ("-300.00", -30000), ("-¥120.00", -12000), ("(12.50)", -1250),
    ("0.285", 29),            # half-up at the fen, from the decimal text (never a float)
    ("0.284999", 28), ("-0.005", -1), (".5", 50), ("0.30000000000000004", 30), ("RMB 88", 8800),
    ("12,3a", "BAD"), ("1e3", "BAD"), ("--5", -500), ("abc", "BAD"),
])
def test_money_forms(text, expected):
    assert fen(text) == [expected]


def test_empty_money_is_null_not_bad():
    assert fen(None, "", "   ") == [None, None, None]


@given(st.integers(min_value=-10**11, max_value=10**11))
def test_money_round_trips_every_fen_value(value):
    text = f"{value / 100:.2f}" if abs(value) < 10**15 else None
    sign = "-" if value < 0 else ""
    text = f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"
    assert fen(text) == [value]


def dates(*values, date1904=False):
    out, bad, amb = parse_datetime(pa.array(list(values), type=pa.string()), date1904=date1904)
    return [("AMBIGUOUS" if a else "BAD" if b else (None if np.isnat(v) else str(v)[:16]))
            for v, b, a in zip(out, bad, amb)]


def test_date_forms():
    assert dates("2024-05-03 08:30:00", "2024/5/3", "2024.05.03", "2024年5月3日", "2024-05-03 08:30",
                 "2024年5月3日 8:30", "20240503") == [
        "2024-05-03T08:30", "2024-05-03T00:00", "2024-05-03T00:00", "2024-05-03T00:00", "2024-05-03T08:30",
        "2024-05-03T08:30", "2024-05-03T00:00"]


def test_excel_serials_in_both_systems():
    assert dates("45413", "45413.5") == ["2024-05-01T00:00", "2024-05-01T12:00"]
    assert dates("43951", date1904=True) == ["2024-05-01T00:00"]


def test_day_first_dates_are_ambiguous_not_guessed():
    assert dates("03/05/2024", "03.05.2024", "3-5-2024") == ["AMBIGUOUS"] * 3


def test_impossible_dates_are_bad():
    assert dates("2024-02-30", "2024-13-01", "tomorrow", "2024-05-03 25:00") == ["BAD"] * 4


def test_keys_keep_leading_zeros_and_drop_numeric_tail():
    keys, exponent = clean_key(pa.array(["000123", "123.0", "123456.00", "1.10101E+17", None]))
    assert keys.to_pylist() == ["000123", "123", "123456", "1.10101E+17", None]
    assert exponent.tolist() == [False, False, False, True, False]


def test_text_folding_trimming_and_control_characters():
    text, control = clean_text(pa.array([" Ｓ００３ ", "王\u3000芳", "", "ok\x0bx", "a_x000B_b", "正常\n换行"]))
    assert text.to_pylist() == ["S003", "王 芳", None, "ok\x0bx", "a_x000B_b", "正常\n换行"]
    assert control.tolist() == [False, False, False, True, True, False]


def test_percent_forms():
    values, ok, bad = parse_percent(pa.array(["80%", "0.8", "80", "100", "１", "x", None]))
    assert values[:4] == [Decimal("0.8")] * 3 + [Decimal("1")]
    assert bad.tolist() == [False, False, False, False, False, True, False]


def test_whole_numbers_and_booleans():
    vals, ok, bad = parse_int(pa.array(["12", "12.0", "1.5", None]))
    assert vals.tolist()[:2] == [12, 12] and bad.tolist() == [False, False, True, False]
    yes, ok, bad = parse_bool(pa.array(["是", "否", "Y", "maybe", None]))
    assert yes.tolist() == [True, False, True, False, False] and bad.tolist() == [False, False, False, True, False]
