"""The input workbooks' columns (SPEC §3): field names, Chinese and English aliases, value kinds.

A field's first alias is its display name (the header written into templates and shown in
messages). `settle.yaml` may add aliases per field (`aliases: {billing: {amount: [实收金额]}}`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from settle.load.normalize import fold_text

# Value kinds understood by the reader.
TEXT, KEY, MONEY, DATETIME, DATE, INT, PERCENT, BOOL = (
    "text", "key", "money", "datetime", "date", "int", "percent", "bool")

ROLES = ("业务员", "主管", "主任", "网络部")
STATUSES = ("已结算", "未结算", "疗程中")
CHANNELS = ("药店", "诊所", "医院", "工厂", "企业体检", "劳务工", "义诊", "孕妇课", "网络", "其他")
CARD_TYPES = ("医疗卡", "手术卡", "VIP健康卡", "转诊单")
# R43 奖惩 types (早餐 … 晨会缺席) need 日期; 上网 is 私事 under another name.
DISCIPLINE_KINDS = ("早餐", "私事", "上网", "不正当手段", "举报奖励", "不服从", "晨会缺席")
ADJUSTMENT_KINDS = ("奖励", "罚款", "补发", "扣发", "扣业绩", "确认例外", "取消业绩") + DISCIPLINE_KINDS
LEAVE_TYPES = ("自动离职", "辞退")


@dataclass(frozen=True)
class Field:
    name: str                      # canonical field name used in code
    aliases: tuple[str, ...]       # header texts; the first is the display name
    kind: str = TEXT
    required: bool = False         # the column must exist (cells may still be conditional)
    choices: tuple[str, ...] = ()  # allowed values, when the set is closed
    merge_fill: bool = False       # merged cells fill down (SPEC §8); a merge elsewhere is ignored
    merge_forbidden: bool = False  # a merge over this column is an error
    long_number_trap: bool = False  # >15 significant digits is an error (Excel truncated it)

    @property
    def display(self) -> str:
        return self.aliases[0]


@dataclass(frozen=True)
class Kind:
    name: str                      # staff | registrations | billing | daily | adjustments
    display: str                   # 人员名单 | 登记表 | …
    display_en: str
    fields: tuple[Field, ...]
    patterns: tuple[str, ...] = ()  # file-name stems in the month folder
    person_columns: tuple[str, ...] = field(default=())

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _f(name, *aliases, **kw) -> Field:
    return Field(name, tuple(aliases), **kw)


STAFF = Kind("staff", "人员名单", "roster", (
    _f("staff_id", "工号", "staff_id", "员工编号", "staff id", kind=KEY, required=True),
    _f("name", "姓名", "name", required=True),
    _f("role", "角色", "role", "岗位", kind=TEXT, required=True, choices=ROLES),
    _f("team", "小组", "team", "组别"),
    _f("hired_on", "入职日期", "hired_on", "hired on", kind=DATE, required=True),
    _f("regular_on", "转正日期", "regular_on", "regular on", kind=DATE),
    _f("left_on", "离职日期", "left_on", "left on", kind=DATE),
    _f("base_salary", "基本工资", "base_salary", "base salary", kind=MONEY),
    _f("probation_rating", "试用期考核系数", "probation_rating", "probation rating", kind=PERCENT),
    _f("leave_type", "离职类型", "leave_type", "leave type", choices=LEAVE_TYPES),   # R44
))

REGISTRATIONS = Kind("registrations", "登记表", "registrations", (
    _f("registered_at", "登记时间", "registered_at", "registered at", kind=DATETIME, required=True),
    _f("salesperson", "业务员", "salesperson"),
    _f("staff_id", "工号", "staff_id", kind=KEY),
    _f("card_no", "卡号", "card_no", "card no", kind=KEY, long_number_trap=True, merge_forbidden=True),
    _f("card_type", "卡类型", "card_type", "card type", choices=CARD_TYPES),
    _f("patient_name", "患者姓名", "patient_name", "patient name"),
    _f("patient_key", "患者标识", "patient_key", "身份证号", "手机号", "证件号", "patient key",
       kind=KEY, long_number_trap=True),
    _f("channel", "渠道", "channel", required=True, choices=CHANNELS),
    _f("partner", "合作单位", "partner"),
    _f("referrer", "转诊医生", "referrer"),
    _f("referrer_phone", "联系电话", "referrer_phone", "referrer phone", "电话", kind=KEY, long_number_trap=True),
    _f("area", "区域", "area"),
    _f("new_unit", "新开发", "new_unit", "new unit", kind=BOOL),
    _f("headcount", "人数", "headcount", kind=INT),
    _f("clinic_team", "义诊小组", "clinic_team", "clinic team"),
), patterns=("登记表", "registration"), person_columns=("salesperson", "staff_id"))

BILLING = Kind("billing", "收费明细", "billing", (
    _f("visited_at", "就诊时间", "visited_at", "visited at", "就诊日期", kind=DATETIME, required=True, merge_fill=True),
    _f("settled_on", "结算日期", "settled_on", "settled on", "结算时间", kind=DATE, required=True, merge_fill=True),
    _f("status", "结算状态", "status", required=True, choices=STATUSES, merge_fill=True),
    _f("record_no", "病历号", "record_no", "record no", "住院号", kind=KEY, required=True,
       merge_fill=True, long_number_trap=True),
    _f("patient_name", "患者姓名", "patient_name", "patient name", "姓名", required=True, merge_fill=True),
    _f("patient_key", "患者标识", "patient_key", "身份证号", "手机号", "证件号", "patient key",
       kind=KEY, required=True, merge_fill=True, long_number_trap=True),
    _f("card_no", "卡号", "card_no", "card no", kind=KEY, merge_forbidden=True, long_number_trap=True),
    _f("department", "科室", "department", required=True, merge_fill=True),
    _f("category", "项目类别", "category", required=True),
    _f("amount", "金额", "amount", kind=MONEY, required=True, merge_forbidden=True),
), patterns=("收费明细", "结算", "billing"))

DAILY = Kind("daily", "日报", "daily reports", (
    _f("salesperson", "业务员", "salesperson"),
    _f("staff_id", "工号", "staff_id", kind=KEY),
    _f("report_date", "日期", "report_date", "report date", kind=DATE, required=True),
    _f("submitted_at", "提交时间", "submitted_at", "submitted at", kind=DATETIME, required=True),
    _f("visits", "拜访数", "visits", kind=INT),
    _f("content", "内容", "content"),
), patterns=("日报", "daily"), person_columns=("salesperson", "staff_id"))

ADJUSTMENTS = Kind("adjustments", "调整", "adjustments", (
    _f("staff_id", "工号", "staff_id", kind=KEY),
    _f("salesperson", "业务员", "salesperson"),
    _f("kind", "类型", "kind", "type", required=True, choices=ADJUSTMENT_KINDS),
    _f("amount", "金额", "amount"),  # money or percent depending on 类型: parsed by inputs.py
    _f("reason", "事由", "reason"),
    _f("approved_by", "批准人", "approved_by", "approved by"),
    _f("card_no", "卡号", "card_no", "card no", kind=KEY, long_number_trap=True),
    _f("patient_key", "患者标识", "patient_key", "身份证号", "手机号", "证件号", "patient key",
       kind=KEY, long_number_trap=True),
    _f("on_date", "日期", "date", "on_date", kind=DATE),   # R43: required for the 奖惩 types
    _f("ref_no", "编号", "ref_no", "ref no", "id", kind=KEY),      # R43: a row id, unique in the month
    _f("reference", "参考", "reference", "ref", kind=KEY),       # R43: the 编号 a 举报奖励 names
), patterns=("调整", "adjust"), person_columns=("salesperson", "staff_id"))

# R42 科间转诊单: the doctors' inter-department referral slips the 客服部 collects (optional kind).
INTERDEPT = Kind("interdept", "科间转诊单", "inter-department referrals", (
    _f("referred_on", "转诊日期", "referred_on", "referred on", "referral date", kind=DATE, required=True),
    _f("record_no", "病历号", "record_no", "record no", kind=KEY, required=True, long_number_trap=True),
    _f("patient_name", "患者姓名", "patient_name", "patient name", "姓名", required=True),
    _f("from_department", "转出科室", "from_department", "from department", "首诊科室", required=True),
    _f("first_doctor", "首诊医生", "first_doctor", "first doctor", "referring doctor", "转诊医生", required=True),
    _f("to_department", "转入科室", "to_department", "to department", "接诊科室", required=True),
    _f("receiving_doctor", "接诊医生", "receiving_doctor", "receiving doctor"),
), patterns=("科间转诊", "interdept"))

# SPEC §12 申诉: an appeal sheet settle wrote (output/MONTH/申诉/), filled in and put back in the
# month folder. 编号 ties each row to its finding; 主任意见 and 批准人 decide it.
APPEAL_DECISIONS = ("同意", "不同意")
APPEALS = Kind("appeals", "申诉", "appeals", (
    _f("finding_id", "编号", "finding_id", "finding id", "申诉编号", kind=KEY, required=True),
    _f("staff_id", "工号", "staff_id", "staff id", kind=KEY),
    _f("reason", "申诉理由", "reason", "reason for appeal"),
    _f("evidence", "证据", "evidence"),
    _f("decision", "主任意见", "decision", "director's decision"),
    _f("approved_by", "批准人", "approved_by", "approved by"),
), patterns=("申诉", "appeal"))

KINDS: dict[str, Kind] = {k.name: k for k in (STAFF, REGISTRATIONS, BILLING, DAILY, ADJUSTMENTS, INTERDEPT, APPEALS)}
MONTH_KINDS = ("registrations", "billing", "daily", "adjustments", "interdept", "appeals")
# Kinds read from MONTH's folder only (earlier months contribute their recorded results).
CURRENT_ONLY_KINDS = ("daily", "interdept")


# Whitespace of every kind (line breaks inside a cell, tabs, NBSP, full-width and zero-width
# spaces) and a trailing unit in brackets are not part of a column's name (SPEC §3).
_HEADER_SPACE = re.compile(r"[\s\u00a0\u3000\u200b-\u200d\u2060\ufeff_]+")
_HEADER_UNIT = re.compile(r"[(\[【〔](?:元|万元|角|分|%|‰|天|日|月|年|周|次|人|人次|个|笔|条|张|件|份|岁|小时|分钟|"
                          r"rmb|cny|yuan|¥|￥|[a-z]{1,3})[)\]】〕]$")


def header_key(text: str) -> str:
    """How a header cell is compared with aliases (SPEC §3): full-width folded, case-folded,
    without any whitespace or '_', without a required-marker '*' and a trailing unit in
    brackets: `学历职称⏎津贴` → 学历职称津贴, `岗位工资（元）` → 岗位工资, `Amount (CNY)` → amount."""
    key = _HEADER_SPACE.sub("", fold_text(str(text)).casefold()).strip("*")
    return _HEADER_UNIT.sub("", key).strip("*")


@dataclass(frozen=True)
class Alias:
    """One name a field is known by: the text as written, and where it comes from."""

    field: str
    text: str
    source: str          # "builtin" or "settle.yaml"


def alias_table(kind: Kind, extra: dict[str, list[str]] | None = None) -> dict[str, Alias]:
    """header_key(name) -> the Alias it stands for: the built-in names first, then the
    workspace's settle.yaml aliases (a built-in name keeps its field)."""
    table: dict[str, Alias] = {}
    for f in kind.fields:
        for a in f.aliases:
            table.setdefault(header_key(a), Alias(f.name, a, "builtin"))
    for f in kind.fields:
        for a in (extra or {}).get(f.name, ()):
            table.setdefault(header_key(a), Alias(f.name, a, "settle.yaml"))
    return table


def alias_index(kind: Kind, extra: dict[str, list[str]] | None = None) -> dict[str, str]:
    """header_key(alias) -> field name, including the workspace's extra aliases."""
    return {k: a.field for k, a in alias_table(kind, extra).items()}
