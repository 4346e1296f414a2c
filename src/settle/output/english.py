"""The English of the engine's Chinese texts, for a `--lang en` run (issue 18: one language per
run): workbooks, explain and verify's reading of an English month.

The engine writes its derivations, fines and violation details in Chinese — settlement.json
records them as written, so a settled month reads the same forever. An English run renders the
same texts through this module. First the data is held out (data_words: the roster's names,
roles and teams, every text of the 调整 rows, file names), so a clerk's 事由 is never "translated";
then the policy's own names (`name_en` in the YAML) and the engine's words below are replaced
together, longest first, so a phrase that holds a name is read whole; violation details are read
back through their catalogue template (settle.problems.VIOLATIONS). Figures and operators are
left exactly as they are, so an English derivation adds up as printed, like the Chinese one.
What stays Chinese is data: people, departments, 项目类别, partners, file names, the clerk's words.
"""

from __future__ import annotations

import re

import pandas as pd

from settle.problems import VIOLATIONS

CJK = re.compile(r"[\u3400-\u9fff]")

# The engine's words (settle.engine.*) and the adjustment kinds of the seed (003 治理制度).
# Longest first is applied automatically; a phrase ends where its meaning does.
PHRASES: tuple[tuple[str, str], ...] = (
    # base pay, assessment, allowance (R30–R35)
    ("正式业务员人均业绩", "average performance of regular salespeople"), ("人员名单基本工资", "roster base pay"),
    ("试用期考核系数", "probation assessment factor"), ("试用期", "probation"), ("完成率", "completion"),
    ("不予结算", "not paid"), ("原 ", "was "),
    # commissions (R8–R14, R18, R19)
    ("全额累进", "whole-amount tiers"), ("超额累进", "marginal tiers"), ("部门总业绩", "department performance"),
    ("本组业务员业绩合计", "team salespeople's performance"), ("本组业务员最低绩效考核",
                                                          "lowest assessment among the team's salespeople"),
    ("本组最低", "team's lowest"), ("原有单位", "existing units"), ("新开发单位", "new units"),
    ("已按扣业绩系数", "adjusted by the performance factor"), (" 调整）", ")"), (" 前", ""), ("不提成", "no commission"),
    ("元每人", " yuan/head"), ("按项目类别", "by category"), ("按例", "per case"), ("业绩≤0", "performance ≤ 0"),
    # fines, adjustments, reports (R21, R27, R38, R43–R45)
    ("多办卡号", "extra cards"), ("日期", "dates"), ("调整 ", "adjustment "), ("批准人", "approved by"),
    ("当月工资和奖金", "the month's pay and bonus"), ("所得业绩", "performance gained"), ("编号", "case"),
    ("罚金", "fine"), ("的日报", " daily report"), ("提交，应在", "submitted, due by"), ("没有日报", "no daily report"),
    ("连续", "consecutive"), ("个工作日晨会缺席", " working days absent from the morning meeting"),
    ("早餐", "breakfast"), ("私事/上网", "private errands/internet"), ("私事", "private errand"),
    ("上网", "internet"), ("晨会缺席", "morning meeting missed"), ("不服从", "insubordination"),
    ("不正当手段", "improper means"), ("举报奖励", "whistle-blower reward"), ("奖励", "reward"), ("罚款", "fine"),
    ("补发", "back pay"), ("扣发", "withheld"), ("确认例外", "exception confirmed"),
    ("上月欠款", "last month's debt"), ("结转下月", "carried to next month"), ("欠款", "debt"),
    # violation effects (R17, R27, R39, R41, R43)
    ("本月返款合计", "rebates this month"), ("财务当面支付", "paid by finance in person"),
    ("提醒主任，不影响工资", "for the director; pay unchanged"), ("应发合计", "total pay"),
    ("按实际金额列示，未做保底", "shown as is, no floor"), ("辞退预警 / 上报分管领导",
                                                          "dismissal warning / report to the supervisor"),
    ("辞退预警", "dismissal warning"), ("业绩不达标预警", "performance warning"), ("负数工资", "negative pay"),
    ("已确认例外", "exception confirmed"), ("不计业绩", "not credited"), ("登记无效", "registration void"),
    ("登记不予确认", "registration not accepted"), ("扣 ", "deduct "),
    # R21, R27, R33/R34, R44, R45 and the limits (the names of the fines and the flags)
    ("重复办卡", "duplicate card "), ("日报迟交", "late daily report"), ("日报缺失", "missing daily report"),
    ("治理制度", "governance rules "), ("营销卡规定", "card rules "), ("封顶", "capped at"), ("保底", "floor"),
    ("本组无业务员", "no salesperson in the team"), ("无病例", "no cases"), ("元每个", " yuan each"), (" 个", ""),
    ("小组", " team "), ("取消业绩", "performance cancelled"), ("欠款未收回", "debt not recovered"),
    ("已离职", "has left"), ("入职", "hired"), ("自动离职", "left of their own accord"), ("扣业绩", "performance reduced by"), ("离职", "left"), ("结转至", "carried to"),
    ("下月以上月欠款扣回", "deducted next month as last month's debt"), ("新业务员在", "a new salesperson leaving within "),
    ("天内自动离职的不与结算工资", " days of their own accord is not paid"),
    # fields of a registration (R24)
    ("合作单位", "partner"), ("店员", "pharmacy clerk"), ("药店", "pharmacy"), ("联系电话", "phone"), ("转诊医生", "referring doctor"), ("渠道", "channel"),
    # units
    ("元/张", " yuan/card"), ("元/次", " yuan/time"), ("元/人", " yuan/head"),
    ("例×", " case(s) × "), (" 例", " case(s)"), ("例", " case(s)"), (" 天", " days"), (" 张", " card(s)"),
    (" 次", " time(s)"), (" 人×", " head(s) × "), (" 人", " head(s)"), ("次：", " times: "), (" 元", " yuan"),
    ("业绩", " performance"), ("第 ", "row "), (" 行", ""),
    # appeals (SPEC §12): an approved R21 appeal's 补发 line
    ("申诉同意：撤销重复办卡罚款", "appeal approved: duplicate card fine cancelled"), ("申诉 ", "appeal "),
    ("卡号 ", "card "),
)
PUNCTUATION = (("：", ": "), ("；", "; "), ("，", ", "), ("、", ", "), ("（", " ("), ("）", ")"), ("　", "  "))


POLICY_LISTS = ("streams", "registration_streams", "pay", "rebates", "funds")


def policy_names(policy) -> dict[str, str]:
    """The policy's Chinese names → their `name_en` (streams, components, rebates, funds), from a
    loaded Policy or from the policy a settlement.json recorded."""
    if policy is None:
        return {}
    recorded = isinstance(policy, dict)
    field = (lambda x, k: x.get(k)) if recorded else getattr   # noqa: E731
    items = [x for key in POLICY_LISTS for x in (policy.get(key) if recorded else getattr(policy, key, ())) or ()]
    return {field(x, "name"): field(x, "name_en") for x in items if field(x, "name_en")}


def data_words(s) -> tuple[str, ...]:
    """The texts of a settlement that are data and stay as written, longest first: the roster's
    names, roles, teams and leave types, every text of the 调整 rows (事由, 批准人 …) and the
    input file names — except words the engine says itself (自动离职, 罚款 …)."""
    frames = [s.staff]
    words: set[str] = set()
    if s.inputs is not None:
        frames.append(s.inputs.adjustments)
        if getattr(s.inputs, "appeals", None) is not None:   # SPEC §12: the appeal rows' 批准人 are data too
            frames.append(s.inputs.appeals)
        words.update(name for name, _ in s.inputs.files)
    for frame in frames:
        for col in frame.columns:
            dtype = frame[col].dtype
            if dtype == object or isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype):
                words.update(v for v in frame[col].dropna().astype(str).unique() if CJK.search(v))
    engine = "\n".join(zh for zh, _ in PHRASES)
    return tuple(sorted((w for w in words if w not in engine), key=len, reverse=True))


def translator(lang: str, policy=None, keep: tuple[str, ...] = ()):
    """The run's text function: the identity in a zh run; in en, `english` with the policy's names
    (a Policy, or the policy dict a settlement.json recorded), leaving `keep` (data_words) as written."""
    if lang == "zh":
        return lambda text: text
    table = _table(policy_names(policy))
    return lambda text: english(text, table=table, keep=keep)


_ROW = re.compile(r"第 (\d+) 行")


def source(text, lang: str):
    """A recorded place "file › sheet › 第 N 行" in the run's language (the file and sheet are data)."""
    return _ROW.sub(r"row \1", text) if lang != "zh" and isinstance(text, str) else text


def _table(names: dict) -> tuple[tuple[str, str], ...]:
    """The policy's names and the engine's words in one list, longest first: a phrase that holds
    a name (本组业务员最低绩效考核) is read whole before the name (绩效考核) is."""
    return tuple(sorted({**dict(PHRASES), **names}.items(), key=lambda p: -len(p[0])))


ENGINE_WORDS = _table({})


def english(text, *, table=ENGINE_WORDS, keep: tuple[str, ...] = ()) -> str:
    """`text` with the policy's names and the engine's words (`table`) in English; `keep` as is."""
    if not isinstance(text, str) or not CJK.search(text):
        return text
    held: list[str] = []
    for word in keep:                       # data first: a 事由 "工作时间在网吧上网" keeps its 上网
        if word in text:
            text = text.replace(word, f"\x00{len(held)}\x00")
            held.append(word)
    for zh, en in table:
        if zh in text:
            text = text.replace(zh, en)
    for zh, en in PUNCTUATION:
        text = text.replace(zh, en)
    text = re.sub(r"(?<=\S) {2,}(?=\S)", " ", text).strip()
    return re.sub(r"\x00(\d+)\x00", lambda m: held[int(m.group(1))], text)


def english_arrow(column):
    """An Arrow text column with each distinct value through `english` (合作单位, 30 元/人 …)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    enc = pc.dictionary_encode(column)
    enc = enc.combine_chunks() if isinstance(enc, pa.ChunkedArray) else enc
    words = pa.array([english(x) for x in enc.dictionary.to_pylist()], type=pa.string())
    return words.take(enc.indices)


def _template(zh: str) -> str:
    """A violation kind's zh template as a pattern (re keeps the compiled ones: no state here)."""
    parts = re.split(r"(\{\w+\})", zh)
    return "".join(f"(?P<{p[1:-1]}>.+?)" if p.startswith("{") else re.escape(p) for p in parts) + "$"


def violation_detail(code: str, detail) -> str:
    """A violation's detail in English: its kind's template read backwards, else the words."""
    kind = VIOLATIONS.get(code)
    if isinstance(detail, str) and kind is not None and kind.detail_zh and kind.detail_en:
        m = re.match(_template(kind.detail_zh), detail)
        if m:
            return kind.detail_en.format(**{k: english(v) for k, v in m.groupdict().items()})
    return english(detail)


def violation_effect(code: str, effect) -> str:
    kind = VIOLATIONS.get(code)
    if kind is not None and effect == kind.effect_zh and kind.effect_en:
        return kind.effect_en
    return english(effect)
