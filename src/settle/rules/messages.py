"""The rules loader's messages in both languages (issue 18.5: one language per run).

The schema's validators, the components' own configuration checks and the cross-references
write their messages in English, after a key path ("tiers[2]: overlaps …"); pydantic's own
errors arrive as a type with its context. `pair()` gives each message its Chinese as well, and
the loader hands both to the problem (settle.problems.both), so a zh run reads

    rules.yaml › 第 47 行 › streams[3].commission.tiers[2]: 与上一档重叠（from 25000 < 30000）

and an en run the English. A message not in the table keeps its English in both runs.
"""

from __future__ import annotations

import re

# Bodies of our own messages (the key path is split off first), English → Chinese.
_OURS: tuple[tuple[str, str], ...] = (
    (r"expected a number", "应为数字"),
    (r"'(.*)' is not a number", r"'\1' 不是数字"),
    (r"rate (\S+) is above 1: write it as a percentage like '(.*)'", r"比例 \1 大于 1：请写成百分数，如 '\2'"),
    (r"a rate cannot be negative", "比例不能为负"),
    (r"at least one tier is needed", "至少需要一档"),
    (r"the first tier must start at 0, not (.*)", r"第一档必须从 0 开始，而不是 \1"),
    (r"only the last tier may be open-ended \(no 'to'\)", "只有最后一档可以不写上限（to）"),
    (r"'to' \((.*)\) must be above 'from' \((.*)\)", r"上限 to（\1）必须大于下限 from（\2）"),
    (r"'to' must be above 'from'", "上限 to 必须大于下限 from"),
    (r"tiers are not sorted \(from (.*) comes after from (.*)\)", r"档位未按顺序排列（from \1 在 from \2 之后）"),
    (r"overlaps the previous tier \(from (.*) < (.*)\)", r"与上一档重叠（from \1 < \2）"),
    (r"gap between (.*) and (.*)", r"\1 与 \2 之间有空档"),
    (r"'(.*)' is not a time like 08:00", r"'\1' 不是 08:00 这样的时间"),
    (r"cannot be negative \((.*)\)", r"不能为负（\1）"),
    (r"duplicate stream id '(.*)'", r"业绩类别 id '\1' 重复"),
    (r"unknown stream '(.*)' \(known: (.*)\)", r"未知的业绩类别 '\1'（已有：\2）"),
    (r"unknown rebate '(.*)'", r"未知的返款 '\1'"),
    (r"unknown component '(.*)'", r"未知的工资项 '\1'"),
    (r"duplicate component id '(.*)'", r"工资项 id '\1' 重复"),
    (r"'(.*)' is not a month like 2024-06", r"'\1' 不是 2024-06 这样的月份"),
    (r"(.*) comes before from (.*)", r"\1 早于起始月 \2"),
    (r"must be above 0, not (.*)", r"必须大于 0，而不是 \1"),
    (r"'(.*)' is not an assessment component", r"'\1' 不是绩效考核工资项"),
    (r"floor (.*) is above cap (.*)", r"保底 \1 高于封顶 \2"),
)

# pydantic's error types → Chinese from the error's context; the English is pydantic's own message
# except for the four the loader always worded itself.
_PYDANTIC_EN = {
    "extra_forbidden": "unknown key '{key}'",
    "missing": "required key missing",
    "literal_error": "invalid value {input!r}: {msg}",
    "union_tag_invalid": "unknown type {input!r}: {msg}",
}
_PYDANTIC_ZH = {
    "extra_forbidden": "未知的键 '{key}'",
    "missing": "缺少必需的键",
    "literal_error": "取值无效 {input!r}：应为 {expected}",
    "union_tag_invalid": "未知的类型 {input!r}：应为 {expected_tags}",
    "int_parsing": "应为整数，而不是 {input!r}",
    "int_type": "应为整数，而不是 {input!r}",
    "int_from_float": "应为整数，而不是 {input!r}",
    "float_parsing": "应为数字，而不是 {input!r}",
    "decimal_parsing": "应为数字，而不是 {input!r}",
    "bool_parsing": "应为 true 或 false，而不是 {input!r}",
    "bool_type": "应为 true 或 false，而不是 {input!r}",
    "string_type": "应为文字，而不是 {input!r}",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "dict_type": "应为键值表",
    "model_type": "应为键值表",
    "model_attributes_type": "应为键值表",
    "greater_than": "应大于 {gt}，而不是 {input!r}",
    "greater_than_equal": "应不小于 {ge}，而不是 {input!r}",
    "less_than": "应小于 {lt}，而不是 {input!r}",
    "less_than_equal": "应不大于 {le}，而不是 {input!r}",
}


def zh(message: str) -> str:
    """The Chinese of one of our messages (its body, after the key path); else the message."""
    for pattern, chinese in _OURS:
        if re.fullmatch(pattern, message):
            return re.sub(f"^{pattern}$", chinese, message)
    return message


def pydantic_pair(err: dict, key: str) -> tuple[str, str] | None:
    """(zh, en) of a pydantic error by its type, or None for a validator's own message."""
    kind = err.get("type", "")
    if kind not in _PYDANTIC_ZH:
        return None
    ctx = dict(err.get("ctx") or {})
    params = {"key": key, "input": err.get("input"), "msg": err.get("msg", ""), **ctx}
    zh_params = {**params, **{k: str(v).replace("' or '", "' 或 '") for k, v in ctx.items()
                              if k in ("expected", "expected_tags")}}
    try:
        return (_PYDANTIC_ZH[kind].format(**zh_params),
                _PYDANTIC_EN[kind].format(**params) if kind in _PYDANTIC_EN else params["msg"])
    except (KeyError, IndexError, ValueError):
        return None
