"""人民币大写: an amount in words as a voucher or payslip prints it (R46, issue 18).

The rules are the People's Bank's 《支付结算办法》 (正确填写票据和结算凭证的基本规定):
- an amount that ends at 元 or 角 ends with 整; one with 分 does not (壹拾贰元伍角整, 壹元贰角叁分);
- a zero inside the figures is written 零, several zeros in a row once (壹万零伍元整);
- 角 zero and 分 not: 元 is followed by 零 (贰拾元零伍分);
- below one yuan no 元 is written (伍分, 伍角整); nothing at all is 零元整.

cn2an's rmb mode was tried and left out: it drops the 整 after 角 (壹佰元壹角), which the rules
require. A negative amount (R39's negative pay) is written 负… as the figures show it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("", "拾", "佰", "仟")
GROUPS = ("", "万", "亿", "万亿")


def _group(g: int) -> str:
    """0 < g < 10000 → 壹仟零伍 etc.: leading and trailing zeros dropped, inner zeros once."""
    digits = [(g // 10 ** p) % 10 for p in (3, 2, 1, 0)]
    out, zero = "", False
    for d, place in zip(digits, reversed(PLACES)):
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += DIGITS[d] + place
    return out


def integer_words(n: int) -> str:
    """A non-negative whole number in capitals: 1005000 → 壹佰万伍仟."""
    if n == 0:
        return "零"
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    if len(groups) > len(GROUPS):
        raise ValueError("amount too large for 人民币大写")
    out, gap = "", False
    for i in reversed(range(len(groups))):
        g = groups[i]
        if g == 0:
            gap = bool(out)
            continue
        if out and (gap or g < 1000):
            out += "零"
        out += _group(g) + GROUPS[i]
        gap = False
    return out


def rmb_words(amount) -> str:
    """人民币大写 of an amount in yuan (Decimal, int or a numeric string), rounded half-up to the
    fen first: 0.05 → 伍分, 10.00 → 壹拾元整, 1000000.01 → 壹佰万元零壹分, -12.50 → 负壹拾贰元伍角整."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "负" if value < 0 else ""
    fen_total = int(abs(value) * 100)
    yuan, jiao, fen = fen_total // 100, (fen_total // 10) % 10, fen_total % 10
    if fen_total == 0:
        return "零元整"
    head = integer_words(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        return sign + head + "整"
    if fen == 0:
        return sign + head + DIGITS[jiao] + "角整"
    if jiao == 0:
        return sign + head + ("零" if yuan else "") + DIGITS[fen] + "分"
    return sign + head + DIGITS[jiao] + "角" + DIGITS[fen] + "分"


_ENGLISH = None


def english_number(n: int) -> str:
    """A whole number in English words, as num2words wrote them before (issue 28: it pulled docopt,
    which has no wheel): 1005 → one thousand and five, 1234567 → one million, two hundred and
    thirty-four thousand, five hundred and sixty-seven."""
    global _ENGLISH
    if _ENGLISH is None:
        import inflect
        _ENGLISH = inflect.engine()
    return _ENGLISH.number_to_words(n, andword="and", zero="zero", comma=",")


def rmb_words_en(amount) -> str:
    """The amount in English words for an English run: 0.05 → five fen; 10.00 → ten yuan only;
    1000000.01 → one million yuan and one fen; -12.50 → minus twelve yuan and fifty fen."""

    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    fen_total = int(abs(value) * 100)
    yuan, fen = divmod(fen_total, 100)
    if fen_total == 0:
        return "zero yuan only"
    parts = ([f"{english_number(yuan)} yuan"] if yuan else []) + ([f"{english_number(fen)} fen"] if fen else [])
    text = " and ".join(parts) + (" only" if not fen else "")
    return ("minus " if value < 0 else "") + text


def words_of(amount, lang: str) -> str:
    """人民币大写 in a Chinese run, English words in an English one."""
    return rmb_words(amount) if lang == "zh" else rmb_words_en(amount)


def rmb_figures(amount) -> str:
    """The amount in figures as a voucher writes it: ¥1,234.56, -¥100.00."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{'-' if value < 0 else ''}¥{abs(value):,}"
