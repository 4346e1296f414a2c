"""Generate the sample workspace of ``settle`` (and the hospital-group benchmark month).

Regenerate the committed sample with::

    python tools/gen_workspace.py samples              # the sample hospital, planted problems included
    python tools/gen_workspace.py /tmp/ws --clean      # the same, minus the planted *input problems*
    python tools/gen_workspace.py /tmp/bench --scale group [--lines N] [--staff N]

Everything is drawn from fixed seeds, so the same command always writes the same cell values
(the small sample's workbooks are even byte-identical: xlsxwriter pins the zip timestamps and
we pin the document's created time).

The sample hospital (``samples/``, SPEC §2)::

    settle.yaml                       locale only; everything else is the default
    staff.xlsx                        人员名单: 15 people (1 主任, 2 主管, 10 业务员, 2 网络部)
    2024-03/ 登记表, 收费明细          history: patients whose May visits fall outside the
                                      60-day follow-up window (R5)
    2024-04/ 登记表, 收费明细          history month: April registrations and visits, the walk-in
                                      visits that make two May registrations 老患者 (R23)
    2024-05/ 登记表_2024-05.xlsx      the month: ~360 registrations (+ hidden sheet 旧数据)
             收费明细_上半月.xlsx      ~1 100 lines settled (or, if open, visited) 1–15 May, with
                                      a title row, a blank row, a 合计 row and the messy forms
             收费明细_下半月.csv       ~1 800 lines of 16–31 May, GBK-encoded
             日报_2024-05.xlsx         daily reports, English headers (aliases)
             调整_2024-05.xlsx         manual adjustments
    PLANTED.md, planted.json          every planted violation with file, sheet and Excel row

The planted violations are not only tagged where they are made: an independent audit
(:func:`audit_violations`) re-derives R20–R27 from the generated records with the SPEC §6
definitions and the script refuses to write a workspace where the two disagree, so the sample
holds exactly the violations listed in ``planted.json`` and no accidental ones.

``--scale group`` writes a plain, clean hospital-group month for the benchmark (SPEC §9) with
numpy/pandas columns and the Rust writer ``rustpy_xlsxwriter``; no per-row Python loops::

    settle.yaml, staff.xlsx           500 people: 1 主任, 40 主管 (第01组…), 455 业务员, 4 网络部
    2024-05/ 登记表_2024-05.xlsx      200 000 registrations (lines / 5), one patient each
             收费明细_第1周…第4周.xlsx 1 000 000 lines, 60 % of registered patients, refunds,
                                      未结算/疗程中; 就诊时间 ≥ 登记时间 + 1 h
             日报_2024-05.xlsx         every working day of every 业务员/主管, a few late/missing
             调整_2024-05.xlsx         a few rows
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import rustpy_xlsxwriter
import xlsxwriter

SEED = 20240501
GROUP_LINES = 1_000_000
GROUP_STAFF = 500
MONTH = "2024-05"
MAY_FIRST = date(2024, 5, 1)
MAY_LAST = date(2024, 5, 31)
HALF_MONTH_LAST = date(2024, 5, 15)        # 上半月 = settled (or, if open, visited) by the 15th
WORKBOOK_CREATED = datetime(2024, 6, 1, 9, 0)  # pinned so the workbooks are byte-identical

LATE_REGISTRATION_MARGIN = timedelta(minutes=30)   # SPEC §6: report ≥ 30 min before the visit
SAFE_FIRST_VISIT_DELAY = timedelta(minutes=60)     # ordinary patients come ≥ 1 h after 登记时间
FOLLOW_UP_DAYS = 60                                # R5 复诊有效期
LARGE_REBATE = 5000_00                              # R17 大额返款, in fen
OTHER_PARTNER_CEILING = 4000_00                     # every other partner stays well below it
REPORT_DEADLINE = dtime(8, 0)                       # R27: by 08:00 of the next working day
LATE_REPORT_FINE, MISSING_REPORT_FINE = 20, 50      # R27, yuan (default policy)
EXTRA_CARD_FINE = 100                               # R21, yuan per extra card

# --- column headers (SPEC §3) -------------------------------------------------------------
STAFF_HEADERS = ["工号", "姓名", "角色", "小组", "入职日期", "转正日期", "离职日期", "基本工资",
                 "试用期考核系数", "离职类型"]
REGISTRATION_HEADERS = ["登记时间", "业务员", "卡号", "卡类型", "患者姓名", "患者标识", "渠道",
                        "合作单位", "转诊医生", "联系电话", "区域", "新开发", "人数", "义诊小组"]
BILLING_HEADERS = ["就诊时间", "结算日期", "结算状态", "病历号", "患者姓名", "患者标识", "卡号",
                   "科室", "项目类别", "金额"]
REPORT_HEADERS_EN = ["salesperson", "report_date", "submitted_at", "visits", "content"]
REPORT_HEADERS = ["业务员", "日期", "提交时间", "拜访数", "内容"]
ADJUSTMENT_HEADERS = ["工号", "业务员", "类型", "金额", "事由", "批准人", "卡号", "患者标识", "日期", "编号",
                      "参考"]

SETTLED, UNSETTLED, IN_COURSE = "已结算", "未结算", "疗程中"

# --- the hospital's vocabulary --------------------------------------------------------------
REFERRAL_CHANNELS = ("药店", "诊所", "医院")          # need 合作单位, 转诊医生, 联系电话 (R24)
UNIT_CHANNELS = ("工厂", "企业体检")                  # need 合作单位 (R24)
REBATE_RATE = {"药店": 15, "诊所": 15, "医院": 15, "工厂": 15}  # R17, percent
ENTERPRISE_EXAM_RATE = 40                                       # R16, percent of 体检 lines
PHARMACY_SURGERY_REBATE = 100_00                                # R15, fen per patient
SURGERY_CATEGORIES = ("剖宫产", "结石住院手术")
PER_CASE_CATEGORIES = ("顺产", "剖宫产", "VIP月子套餐", "产后康复套餐", "体外碎石", "结石住院手术")
EXAM_CATEGORIES = ("健康证", "体检")
FEMALE_ONLY = ("妇科", "顺产", "剖宫产", "VIP月子套餐", "产后康复套餐")
FEE_LINES = {"门诊": (1, 2, 2, 3, 3, 4), "妇科": (1, 2, 2, 3), "住院": (1, 2)}  # lines per visit
INPATIENT_STAY_DAYS = {"住院": (2, 10), "顺产": (2, 3), "剖宫产": (4, 7), "结石住院手术": (4, 8)}
STAY_CATEGORIES = ("住院", "顺产", "剖宫产", "结石住院手术", "VIP月子套餐")
COURSE_CATEGORIES = ("产后康复套餐", "体外碎石")       # sometimes still 疗程中 at month end

AMOUNT_RANGE = {  # yuan, per billing line
    "门诊": (50, 800), "妇科": (120, 1500), "体检": (200, 1500), "健康证": (60, 150),
    "工伤": (300, 5000), "住院": (2000, 20000), "顺产": (3000, 5000), "剖宫产": (6000, 9000),
    "VIP月子套餐": (18000, 38000), "产后康复套餐": (2000, 6800), "体外碎石": (800, 2400),
    "结石住院手术": (8000, 16000),
}
DEPARTMENTS = {
    "门诊": ("内科", "外科", "儿科", "皮肤科", "口腔科", "中医科", "耳鼻喉科"), "妇科": ("妇科",),
    "体检": ("体检中心",), "健康证": ("体检中心",), "工伤": ("骨科", "外科"),
    "住院": ("内科病区", "外科病区", "骨科病区", "妇科病区"), "顺产": ("产科",), "剖宫产": ("产科",),
    "VIP月子套餐": ("月子中心",), "产后康复套餐": ("产后康复中心",), "体外碎石": ("泌尿外科",),
    "结石住院手术": ("泌尿外科病区",),
}
CATEGORY_WEIGHTS = {  # per registration channel (a patient's likely mix of visits)
    "default": {"门诊": 58, "妇科": 15, "体检": 4, "住院": 3.5, "健康证": 3, "工伤": 2,
                "产后康复套餐": 1.2, "体外碎石": 1.2, "顺产": 0.8, "剖宫产": 0.8, "VIP月子套餐": 0.3,
                "结石住院手术": 0.3},
    "工厂": {"门诊": 45, "工伤": 22, "健康证": 18, "住院": 5, "体检": 5},
    "企业体检": {"体检": 60, "门诊": 30, "妇科": 10},
    "孕妇课": {"妇科": 40, "门诊": 22, "顺产": 10, "剖宫产": 8, "VIP月子套餐": 6, "产后康复套餐": 10},
    "义诊": {"门诊": 55, "妇科": 30, "顺产": 4, "剖宫产": 4, "体检": 5},
}
WALK_IN_WEIGHTS = {"门诊": 60, "妇科": 14, "体检": 8, "健康证": 7, "住院": 4, "工伤": 3,
                   "顺产": 1, "剖宫产": 1, "产后康复套餐": 1, "体外碎石": 1}

SURNAMES = ("王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 "
            "邓 曹 彭 曾 肖 田 董 袁 潘 蔡 蒋 余 杜 叶 程 苏 魏 吕 丁 沈 任 姚 卢 钟 姜 崔 谭 陆 "
            "范 汪 廖 石 金 韦 贾 夏 付 方 邹 熊 白 孟 秦 邱 侯 江 尹 薛 段 雷 龙 黎 史 陶 贺 毛 "
            "郝 顾 龚 邵 万 覃 武 钱 戴 严 莫 孔 向 常 汤 康 易 乔 赖 文").split()
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "慕容")
FEMALE_GIVEN = tuple("芳娜敏静丽艳娟霞秀玲燕红梅莉婷雪琳倩颖洁慧萍晶琴云璐佳欣悦彤怡诗雨雅婉梦思晓楠丹")
MALE_GIVEN = tuple("伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林峰建国志文博成东海亮")
ID_AREAS = ("440309", "440306", "440307", "440304", "430524", "360731", "452131", "511321",
            "411527", "421381", "441581", "350583")
MOBILE_PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "152", "158", "159", "186",
                   "187", "188", "177", "199", "133", "189")
AREAS = ("龙华", "民治", "大浪", "观澜", "福城", "观湖")

# R17's 大额返款: this clinic refers many inpatients in May.
LARGE_REBATE_PARTNER = "康宁诊所"
PARTNERS = {
    "药店": ("老百姓大药房（民治店）", "海王星辰（龙华店）", "大参林（观澜店）", "一致药店（大浪店）",
             "益丰大药房（福城店）", "万泽医药（龙胜店）", "中联大药房（清湖店）", "健民大药房（观湖店）",
             "国大药房（上塘店）", "百佳惠药店（樟坑径店）", "好德福药店（松和店）"),
    "诊所": ("仁爱诊所", "福民诊所", "华康门诊部", "济民诊所", "同德诊所", "德仁堂中医诊所", "惠民诊所",
             "安康诊所", "博爱诊所", "正康诊所", "益民诊所", "新华门诊部"),
    "医院": ("观澜社区健康服务中心", "大浪社康中心", "民治街道卫生院", "龙胜社区健康服务中心",
             "福城康复医院", "上塘社区健康服务中心", "清湖社区健康服务中心"),
    "工厂": ("富士康科技（龙华园区）", "鸿桥五金制品厂", "联兴电子厂", "恒达塑胶厂", "华盛制衣厂",
             "金源包装厂", "宝龙精密模具厂", "永丰纸品厂", "德昌电机厂"),
    "企业体检": ("华强电子有限公司", "宏达物流有限公司", "中通快递龙华分拨中心", "创新科技股份有限公司",
                 "美嘉食品有限公司"),
}
LABOUR_UNITS_EXISTING = ("龙华人力资源派遣公司", "鑫达劳务服务部", "众信劳务派遣有限公司",
                         "永盛人力资源公司")
LABOUR_UNITS_NEW = ("新城建筑劳务公司", "恒通劳务派遣公司")
UNKNOWN_SALESPEOPLE = ("李小龙", "陈晓东")   # R25: not on the roster
REPORT_CONTENT = ("拜访{p}，发放宣传册", "走访{p}，沟通转诊流程", "到{p}回访转诊患者", "在{p}开展健康讲座",
                  "电话回访本周登记患者", "整理登记资料，跟进住院患者", "社区义诊宣传，登记潜在客户",
                  "与{p}对账，送达转诊单")


# =============================================================================================
# The roster
# =============================================================================================

@dataclass
class Staff:
    staff_id: str
    name: str
    role: str
    team: str | None
    hired_on: date
    regular_on: date | None = None
    left_on: date | None = None
    base_salary: int | None = None
    probation_rating: float | None = None
    weight: float = 1.0
    leave_type: str | None = None     # 离职类型 (R44): 自动离职 | 辞退 | empty               # how many registrations they bring in May (relative)

    def employed_on(self, day: date) -> bool:
        return self.hired_on <= day and (self.left_on is None or day <= self.left_on)

    @property
    def files_reports(self) -> bool:   # R27 applies to 业务员 and 主管
        return self.role in ("业务员", "主管")


def build_roster() -> list[Staff]:
    """人员名单 of the sample hospital: every special case the pay rules care about."""
    def regular(hired: date) -> date:   # 3 calendar months after hire (explicit on most rows)
        return date(hired.year + (hired.month + 2) // 12, (hired.month + 2) % 12 + 1, hired.day)

    rows = [
        ("S001", "李建国", "主任", None, date(2018, 3, 1), 0.15),
        ("S002", "张伟", "主管", "一组", date(2019, 6, 10), 0.4),
        ("S003", "刘洋", "主管", "二组", date(2020, 2, 17), 0.4),
        ("S004", "王芳", "业务员", "一组", date(2021, 4, 6), 1.2),    # 王芳 twice: named by 工号
        ("S005", "王芳", "业务员", "二组", date(2022, 9, 1), 1.0),
        ("S006", "陈静", "业务员", "一组", date(2024, 3, 4), 0.7),    # in probation, no rating
        ("S007", "赵敏", "业务员", "二组", date(2024, 5, 13), 0.5),   # hired mid-May, rating 80 %
        ("S008", "孙丽", "业务员", "一组", date(2023, 2, 20), 0.8),   # left 2024-05-20
        ("S009", "周杰", "业务员", "一组", date(2020, 11, 2), 1.3),   # 基本工资 override
        ("S010", "吴磊", "业务员", "二组", date(2021, 7, 19), 1.0),
        ("S011", "郑爽", "业务员", "二组", date(2022, 3, 14), 1.1),
        ("S012", "冯涛", "业务员", "一组", date(2023, 8, 7), 0.35),
        ("S013", "何娟", "业务员", "二组", date(2022, 12, 5), 0.9),
        ("S014", "黄晓明", "网络部", None, date(2021, 5, 10), 0.8),
        ("S015", "林小雨", "网络部", None, date(2023, 4, 3), 0.6),
    ]
    roster = [Staff(sid, name, role, team, hired, regular(hired), weight=w)
              for sid, name, role, team, hired, w in rows]
    by_id = {s.staff_id: s for s in roster}
    by_id["S006"].regular_on = date(2024, 6, 4)
    by_id["S007"].regular_on = None            # default: 2024-08-13 (SPEC §3.1)
    by_id["S007"].probation_rating = 0.8
    by_id["S008"].left_on = date(2024, 5, 20)
    by_id["S009"].base_salary = 1800
    return roster


def roster_label(staff: Staff, roster: list[Staff]) -> str:
    """How the other workbooks name a person: the 工号 when the name is not unique (SPEC §3.1)."""
    same_name = [s for s in roster if s.name == staff.name]
    return staff.staff_id if len(same_name) > 1 else staff.name


# =============================================================================================
# Patients
# =============================================================================================

@dataclass(eq=False)
class Patient:
    key: str            # 患者标识: 18-character ID or 11-digit mobile number, always text
    name: str
    female: bool
    record_no: str      # 病历号, 7 digits with leading zeros


def id_check_digit(first17: str) -> str:
    """GB 11643 check character (ISO 7064 MOD 11-2); 'X' stands for 10."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights))
    return "10X98765432"[total % 11]


class PatientFactory:
    """Makes patients with unique keys and record numbers (registered and walk-in alike)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.keys: set[str] = set()
        self.record_nos: set[str] = set()

    def name(self, female: bool) -> str:
        rng = self.rng
        surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.04 else rng.choice(SURNAMES)
        given = FEMALE_GIVEN if female else MALE_GIVEN
        n_given = 2 if (len(surname) == 2 or rng.random() < 0.7) else 1
        return surname + "".join(rng.choice(given) for _ in range(n_given))

    def _id_number(self, female: bool) -> str:
        rng = self.rng
        born = date(1958, 1, 1) + timedelta(days=rng.randrange(0, 365 * 48))
        seq = rng.randrange(0, 500) * 2 + (0 if female else 1)   # 17th digit: odd = male
        first17 = f"{rng.choice(ID_AREAS)}{born:%Y%m%d}{seq:03d}"
        return first17 + id_check_digit(first17)

    def _mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def new(self, female: bool | None = None) -> Patient:
        if female is None:
            female = self.rng.random() < 0.62     # the hospital's mix leans to 妇产
        while True:
            key = self._id_number(female) if self.rng.random() < 0.75 else self._mobile()
            if key not in self.keys:
                break
        while True:
            record_no = f"{self.rng.randrange(1000, 99999):07d}"
            if record_no not in self.record_nos:
                break
        self.keys.add(key)
        self.record_nos.add(record_no)
        return Patient(key, self.name(female), female, record_no)


# =============================================================================================
# Records (what ends up in the workbooks)
# =============================================================================================

@dataclass
class Place:
    """Where a record was written: as Excel shows it (row 1 = first row, header included)."""
    file: str
    sheet: str | None
    row: int


@dataclass(eq=False)
class Registration:
    registered_at: datetime
    staff: Staff | None            # None: the 业务员 text matches nobody (R25)
    salesperson: str               # the text written in 业务员
    channel: str
    card_type: str | None = None
    card_no: str | None = None
    patient: Patient | None = None
    partner: str | None = None
    referrer: str | None = None
    referrer_phone: str | None = None
    area: str | None = None
    new_unit: str | None = None    # 劳务工 rows only
    headcount: int | None = None
    clinic_team: str | None = None
    planted: list[str] = field(default_factory=list)   # codes this row is meant to trigger
    input_problem: bool = False
    blank_fields: tuple[str, ...] = ()   # R24: fields left empty on purpose
    text_time: str | None = None   # write 登记时间 as this text instead of an Excel date
    place: Place | None = None

    @property
    def is_labour(self) -> bool:
        return self.channel == "劳务工"


@dataclass(eq=False)
class Line:
    """One billing line (收费明细); appears in the export of every month it is visible in."""
    visited_at: datetime
    settled_on: date | None        # None: still open at the end of May
    open_status: str               # 未结算 or 疗程中 while not settled
    patient: Patient
    card_no: str | None            # the marketing card presented, as text
    department: str
    category: str
    amount_fen: int
    refund: bool = False           # a refund line exists only from its settlement on
    planted: list[str] = field(default_factory=list)
    places: dict[str, Place] = field(default_factory=dict)   # month -> where written

    def status_in(self, month_start: date, month_end: date) -> str | None:
        """The 结算状态 this line shows in the export of the month, or None when absent."""
        if self.settled_on is not None and month_start <= self.settled_on <= month_end:
            return SETTLED
        if self.refund:
            return None
        visited = self.visited_at.date()
        if month_start <= visited <= month_end:
            if self.settled_on is None or self.settled_on > month_end:
                return self.open_status
        return None


@dataclass(eq=False)
class Report:
    staff: Staff
    salesperson: str               # as written
    report_date: date
    submitted_at: datetime
    visits: int
    content: str
    text_date: str | None = None
    place: Place | None = None


@dataclass
class Adjustment:
    staff: Staff
    staff_id_text: str | None
    name_text: str | None
    kind: str
    amount: object                 # number, text or None (ignored for 确认例外/取消业绩)
    reason: str
    approved_by: str
    card_no: str | None = None
    patient_key: str | None = None
    on_date: date | None = None    # R43: 日期 of a 奖惩 row
    ref_no: str | None = None      # R43: 编号
    reference: str | None = None   # R43: 参考 (the 编号 a 举报奖励 names)
    place: Place | None = None


def month_bounds(month: str) -> tuple[date, date]:
    year, mon = int(month[:4]), int(month[5:])
    first = date(year, mon, 1)
    nxt = date(year + mon // 12, mon % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def working_days(first: date, last: date) -> list[date]:
    """Monday–Saturday (SPEC R27; the default rules list no holidays)."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)
            if (first + timedelta(days=i)).weekday() != 6]


def next_working_day(day: date) -> date:
    day += timedelta(days=1)
    return day + timedelta(days=1) if day.weekday() == 6 else day


def at(day: date, hhmm: str) -> datetime:
    hh, mm = hhmm.split(":")
    return datetime.combine(day, dtime(int(hh), int(mm)))


# =============================================================================================
# The sample hospital
# =============================================================================================

class SampleHospital:
    """Builds March–May of the sample hospital: registrations, visits, reports, adjustments.

    Ordinary patients come to their first visit at least an hour after 登记时间 and keep coming
    within the follow-up window; every irregularity is made by one of the ``plant_*`` methods,
    which tag the records they make with the violation codes they are meant to trigger.
    """

    def __init__(self, seed: int = SEED):
        self.rng = random.Random(seed)
        self.roster = build_roster()
        self.staff = {s.staff_id: s for s in self.roster}
        self.patients = PatientFactory(self.rng)
        self.registrations: list[Registration] = []
        self.lines: list[Line] = []
        self.reports: list[Report] = []
        self.adjustments: list[Adjustment] = []
        self.missing_reports: list[tuple[Staff, date]] = []
        self.pending_partners: list[Registration] = []
        self.notes: dict[str, object] = {}          # facts for PLANTED.md
        self._card_serial = {"医疗卡": 1030, "手术卡": 306011, "VIP健康卡": 880101}
        self.referrers = self._referrer_book()

    # -- small helpers ------------------------------------------------------------------------
    def label(self, staff: Staff) -> str:
        return roster_label(staff, self.roster)

    def new_card(self, card_type: str) -> str:
        """Card numbers are text; 医疗卡 numbers carry leading zeros (000123-style)."""
        self._card_serial[card_type] += self.rng.randrange(1, 4)
        return f"{self._card_serial[card_type]:06d}"

    def _referrer_book(self) -> dict[str, list[tuple[str, str]]]:
        """Each referring partner has one or two contact doctors/pharmacists with a phone."""
        book = {}
        for channel in REFERRAL_CHANNELS:
            for partner in PARTNERS[channel] + ((LARGE_REBATE_PARTNER,) if channel == "诊所" else ()):
                book[partner] = [(self.patients.name(self.rng.random() < 0.5),
                                  self.patients._mobile()) for _ in range(self.rng.randint(1, 2))]
        return book

    def random_time(self, day: date, start: str = "08:00", end: str = "17:30") -> datetime:
        lo, hi = at(day, start), at(day, end)
        minutes = int((hi - lo).total_seconds() // 60)
        return lo + timedelta(minutes=self.rng.randrange(minutes + 1))

    def register(self, staff: Staff | None, when: datetime, channel: str, card_type: str | None,
                 patient: Patient | None, **extra) -> Registration:
        card = extra.pop("card_no", None)
        if card is None and card_type not in (None, "转诊单"):
            card = self.new_card(card_type)
        reg = Registration(
            registered_at=when, staff=staff,
            salesperson=extra.pop("salesperson", None) or self.label(staff),
            channel=channel, card_type=card_type, card_no=card, patient=patient,
            area=extra.pop("area", None) or self.rng.choice(AREAS), **extra)
        if channel == "义诊" and reg.clinic_team is None and staff is not None:
            reg.clinic_team = staff.team or "一组"
        self.registrations.append(reg)
        return reg

    def fill_referral(self, reg: Registration, partner: str | None = None) -> None:
        """合作单位/转诊医生/联系电话 as a careful salesperson fills them in (R24-complete)."""
        if reg.channel in REFERRAL_CHANNELS:
            reg.partner = partner or reg.partner
            if reg.partner is not None:
                reg.referrer, reg.referrer_phone = self.rng.choice(self.referrers[reg.partner])
        elif reg.channel in UNIT_CHANNELS:
            reg.partner = partner or reg.partner

    # -- billing lines --------------------------------------------------------------------------
    def amount(self, category: str) -> int:
        lo, hi = AMOUNT_RANGE[category]
        return self.rng.randrange(lo * 100, hi * 100 + 1, 10)    # whole jiao, like a real HIS

    def add_episode(self, patient: Patient, visited_at: datetime, category: str,
                    card_no: str | None, *, amount_fen: int | None = None,
                    settled_on: date | None | str = "auto", open_status: str = UNSETTLED,
                    n_lines: int | None = None) -> list[Line]:
        """One visit (挂号/入院) of one category: one or more billing lines at the same time."""
        rng = self.rng
        if settled_on == "auto":
            settled_on, open_status = self._settlement(category, visited_at.date())
        if n_lines is None:   # an outpatient visit is charged as several fee lines
            n_lines = rng.choice(FEE_LINES.get(category, (1,)))
        department = rng.choice(DEPARTMENTS[category])
        made = []
        for fen in self.split(amount_fen if amount_fen is not None else self.amount(category),
                              n_lines):
            made.append(Line(visited_at, settled_on, open_status, patient,
                             card_no if rng.random() < 0.92 else None, department, category, fen))
        self.lines.extend(made)
        return made

    def split(self, total_fen: int, parts: int) -> list[int]:
        """A visit's total split into fee lines (挂号, 检查, 药费…), each in whole jiao."""
        weights = [self.rng.random() + 0.3 for _ in range(parts)]
        shares = [total_fen * w / sum(weights) // 10 * 10 for w in weights[:-1]]
        return [int(x) for x in shares] + [total_fen - int(sum(shares))]

    def _settlement(self, category: str, visited: date) -> tuple[date | None, str]:
        rng = self.rng
        if category in INPATIENT_STAY_DAYS:
            lo, hi = INPATIENT_STAY_DAYS[category]
            out = visited + timedelta(days=rng.randint(lo, hi))
            return (out if out <= MAY_LAST else None), UNSETTLED
        if category in COURSE_CATEGORIES and rng.random() < 0.5:
            return None, IN_COURSE
        if rng.random() < 0.015:
            return None, UNSETTLED          # 欠费: an outpatient line left open
        return visited, UNSETTLED

    def category_for(self, profile: str, patient: Patient, done: set[str]) -> str:
        """A visit's 项目类别: at most one stay (住院, delivery, surgery, 月子) per patient."""
        weights = CATEGORY_WEIGHTS.get(profile) or CATEGORY_WEIGHTS["default"]
        had_stay = any(c in STAY_CATEGORIES for c in done)
        options = [(c, w) for c, w in weights.items()
                   if (patient.female or c not in FEMALE_ONLY)
                   and not (c in PER_CASE_CATEGORIES and c in done)
                   and not (had_stay and c in STAY_CATEGORIES)
                   and not (c == "VIP月子套餐" and profile in REFERRAL_CHANNELS + UNIT_CHANNELS)]
        cats, ws = zip(*options)
        return self.rng.choices(cats, ws)[0]

    def first_visit_time(self, registered_at: datetime) -> datetime:
        """At least an hour after 登记时间, in opening hours (never a late registration)."""
        rng = self.rng
        earliest = registered_at + SAFE_FIRST_VISIT_DELAY
        if rng.random() < 0.35 and earliest.time() <= dtime(17, 0):
            return earliest + timedelta(minutes=rng.randrange(0, 181))
        day = registered_at.date() + timedelta(days=rng.choice((1, 1, 2, 2, 3, 4, 5, 7, 9, 12)))
        return self.random_time(day)

    def simulate_patient(self, reg: Registration, until: date = MAY_LAST, *,
                         first_visit: datetime | None = None, max_episodes: int = 9,
                         window_days: int = 50, cards: list[str] | None = None) -> list[Line]:
        """The visits of a registered patient from the first one on, inside the window."""
        patient, rng = reg.patient, self.rng
        visit = first_visit or self.first_visit_time(reg.registered_at)
        last_day = min(until, visit.date() + timedelta(days=window_days))
        profile = reg.channel
        cards = cards or [reg.card_no]
        done: set[str] = set()
        made: list[Line] = []
        n_episodes = 1 + min(max_episodes - 1, int(rng.expovariate(0.25)))
        for _ in range(n_episodes):
            if visit.date() > last_day:
                break
            category = self.category_for(profile, patient, done)
            done.add(category)
            made += self.add_episode(patient, visit, category, rng.choice(cards))
            visit = self.random_time(visit.date() + timedelta(days=rng.randint(1, 10)))
        return made

    def walk_in(self, day: date) -> list[Line]:
        """自然来诊: a patient nobody registered, one visit of one or two episodes."""
        patient = self.patients.new()
        when = self.random_time(day)
        lines = []
        for _ in range(self.rng.choice((1, 1, 1, 2))):
            options = [(c, w) for c, w in WALK_IN_WEIGHTS.items()
                       if patient.female or c not in FEMALE_ONLY]
            cats, ws = zip(*options)
            lines += self.add_episode(patient, when, self.rng.choices(cats, ws)[0], None)
        return lines

    # -- ordinary registrations -----------------------------------------------------------------
    def channel_for(self, staff: Staff) -> tuple[str, str]:
        """(渠道, 卡类型) of an ordinary registration by this person."""
        rng = self.rng
        if staff.role == "网络部":
            return "网络", rng.choice(("医疗卡", "医疗卡", "转诊单"))
        channel = rng.choices(("药店", "诊所", "医院", "工厂", "企业体检", "义诊", "孕妇课", "其他"),
                              (20, 20, 8, 10, 5, 10, 9, 12))[0]
        card_type = {
            "药店": "医疗卡", "工厂": "医疗卡", "企业体检": "医疗卡", "义诊": "医疗卡",
            "诊所": rng.choice(("转诊单", "医疗卡")), "医院": rng.choice(("转诊单", "医疗卡")),
            "孕妇课": rng.choice(("医疗卡", "VIP健康卡")), "其他": rng.choice(("医疗卡", "VIP健康卡")),
        }[channel]
        return channel, card_type

    def ordinary_registration(self, staff: Staff, when: datetime, until: date) -> Registration:
        channel, card_type = self.channel_for(staff)
        patient = self.patients.new(True if channel == "孕妇课" else None)
        reg = self.register(staff, when, channel, card_type, patient)
        self.simulate_patient(reg, until)
        self.attach_partner(reg)         # after the visits: partners are balanced on them (R17)
        return reg

    def registration_days(self, staff: Staff, first: date, last: date, count: int) -> list[datetime]:
        days = [d for d in working_days(first, last) if staff.employed_on(d)]
        if not days:
            return []
        return sorted(self.random_time(self.rng.choice(days), "08:00", "19:30") for _ in range(count))

    def history_month(self, month: str, regs_per_weight: int, walk_ins_per_day: float) -> None:
        first, last = month_bounds(month)
        for staff in self.roster:
            if not staff.employed_on(last) and not staff.employed_on(first):
                continue
            count = max(1, round(staff.weight * regs_per_weight * self.rng.uniform(0.7, 1.3)))
            for when in self.registration_days(staff, first, last, count):
                self.ordinary_registration(staff, when, MAY_LAST)
        for day in working_days(first, last):
            for _ in range(self._poisson(walk_ins_per_day)):
                self.walk_in(day)

    def may_registrations(self) -> None:
        for staff in self.roster:
            count = max(2, round(staff.weight * 28 * self.rng.uniform(0.85, 1.15)))
            for when in self.registration_days(staff, MAY_FIRST, MAY_LAST, count):
                self.ordinary_registration(staff, when, MAY_LAST)

    def may_walk_ins(self, per_day: float) -> None:
        for day in (MAY_FIRST + timedelta(days=i) for i in range(31)):
            rate = per_day * (0.45 if day.weekday() == 6 else 1.0)
            for _ in range(self._poisson(rate)):
                self.walk_in(day)

    def _poisson(self, lam: float) -> int:
        # Knuth's method: fine for the small rates used here
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    # -- labour-worker rows (R14) ---------------------------------------------------------------
    def labour_rows(self, month: str, units: list[tuple[str, str]]) -> None:
        """劳务工 rows name a unit and a headcount, no patient (R14)."""
        first, last = month_bounds(month)
        salespeople = [s for s in self.roster if s.role == "业务员" and s.employed_on(first)
                       and s.employed_on(last)]
        for unit, is_new in units:
            staff = self.rng.choice(salespeople)
            self.register(staff, self.random_time(self.rng.choice(working_days(first, last))),
                          "劳务工", None, None, partner=unit, new_unit=is_new,
                          headcount=self.rng.randint(8, 60))

    def attach_partner(self, reg: Registration, partner: str | None = None) -> None:
        """Give a referral/unit registration its 合作单位 now, or once all visits are known."""
        if reg.channel not in REFERRAL_CHANNELS + UNIT_CHANNELS:
            return
        if partner is None:
            self.pending_partners.append(reg)
        else:
            self.fill_referral(reg, partner)

    def assign_partners(self) -> None:
        """Balance the partners' May rebates so that only ``LARGE_REBATE_PARTNER`` is large.

        Largest registration first, each to the partner of its channel with the smallest
        rebate so far (an upper bound, see :func:`rebate_upper_bound`); then the planted R24
        rows lose the field they are meant to miss.
        """
        load: dict[str, int] = defaultdict(int)
        value = {id(r): rebate_upper_bound(r, self.lines_of(r.patient))
                 for r in self.pending_partners}
        for reg in sorted(self.pending_partners, key=lambda r: (-value[id(r)], r.registered_at)):
            partner = min(PARTNERS[reg.channel], key=lambda p: (load[p], p))
            load[partner] += value[id(reg)]
            self.fill_referral(reg, partner)
        for reg in self.pending_partners:
            for blank in reg.blank_fields:
                setattr(reg, blank, None)
        self.pending_partners = []

    def lines_of(self, patient: Patient | None) -> list[Line]:
        return [ln for ln in self.lines if ln.patient is patient] if patient else []


# --- the planted situations (SPEC §6) ----------------------------------------------------------

def plant_march_history(h: SampleHospital) -> None:
    """March patients: their May visits fall beyond the 60-day follow-up window (R5).

    The first visit is one to three days after 登记时间, so day 61 after it is still in May.
    One patient comes back exactly on day 60 (still inside: 'more than 60 days' is out).
    """
    plan = [("S004", 4), ("S009", 6), ("S011", 8), ("S005", 11), ("S010", 13), ("S002", 18),
            ("S013", 20), ("S009", 22), ("S012", 15)]
    window_cases = []
    for i, (staff_id, day) in enumerate(plan):
        staff = h.staff[staff_id]
        when = h.random_time(date(2024, 3, day), "09:00", "16:00")
        channel, card_type = h.channel_for(staff)
        reg = h.register(staff, when, channel, card_type,
                         h.patients.new(True if channel == "孕妇课" else None))
        first = h.random_time(when.date() + timedelta(days=h.rng.randint(1, 3)))
        h.simulate_patient(reg, date(2024, 4, 30), first_visit=first, max_episodes=4,
                           window_days=40)
        if i % 3 == 2:
            h.attach_partner(reg)
            continue                     # an ordinary March patient who does not come back
        back = 60 if i == 0 else 61 + h.rng.randint(0, 8)
        day_back = min(first.date() + timedelta(days=back), date(2024, 5, 28))
        category = "门诊" if reg.patient.female is False else "妇科"
        lines = h.add_episode(reg.patient, h.random_time(day_back), category, reg.card_no,
                              settled_on=day_back)
        h.attach_partner(reg)
        window_cases.append({"staff_id": staff_id, "patient_key": reg.patient.key,
                             "first_visit": first.date().isoformat(),
                             "back_on": day_back.isoformat(),
                             "days_after_first": (day_back - first.date()).days,
                             "lines": len(lines)})
    h.notes["follow_up_window"] = window_cases
    for day in working_days(date(2024, 3, 1), date(2024, 3, 31)):
        for _ in range(h._poisson(1.5)):
            h.walk_in(day)


def plant_existing_patients(h: SampleHospital) -> None:
    """R23 老患者: patients who visited on an earlier day, then were registered in May."""
    cases = [("S012", date(2024, 4, 18), "2024-05-06 11:00", "诊所"),
             ("S004", date(2024, 4, 25), "2024-05-16 09:30", "其他"),
             ("S009", date(2024, 5, 3), "2024-05-10 14:00", "医院")]
    for staff_id, earlier, registered, channel in cases:
        patient = h.patients.new()
        h.add_episode(patient, h.random_time(earlier), "门诊", None, settled_on=earlier)
        when = datetime.fromisoformat(registered)
        reg = h.register(h.staff[staff_id], when, channel, "医疗卡", patient)
        reg.planted.append("existing_patient")
        h.simulate_patient(reg)
        h.attach_partner(reg)


def plant_late_registrations(h: SampleHospital) -> list[Registration]:
    """R22 转诊迟报: the visit is earlier than 登记时间 + 30 min on the same day."""
    cases = [("S010", "2024-05-08 10:00", "09:50", "诊所"),     # lifted by 确认例外 (by 卡号)
             ("S011", "2024-05-14 10:00", "10:20", "其他"),     # visit 20 min after: still late
             ("S005", "2024-05-22 15:30", "14:10", "医院")]
    made = []
    for staff_id, registered, visit_hhmm, channel in cases:
        when = datetime.fromisoformat(registered)
        reg = h.register(h.staff[staff_id], when, channel, "医疗卡", h.patients.new())
        reg.planted.append("late_registration")
        h.add_episode(reg.patient, at(when.date(), visit_hhmm), "门诊", reg.card_no,
                      settled_on=when.date())
        h.simulate_patient(reg, first_visit=h.random_time(when.date() + timedelta(days=3)))
        h.attach_partner(reg)
        made.append(reg)
    return made


def plant_incomplete_referrals(h: SampleHospital) -> None:
    """R24 转诊信息不全: one field missing each time."""
    cases = [("S009", "2024-05-07 09:20", "诊所", "referrer"),
             ("S005", "2024-05-13 14:45", "医院", "referrer_phone"),
             ("S002", "2024-05-17 10:10", "药店", "partner"),
             ("S013", "2024-05-21 16:30", "工厂", "partner")]
    for staff_id, registered, channel, missing in cases:
        reg = h.register(h.staff[staff_id], datetime.fromisoformat(registered), channel,
                         "医疗卡", h.patients.new())
        reg.planted.append("incomplete_referral")
        reg.blank_fields = (missing,)
        h.simulate_patient(reg)
        h.attach_partner(reg)


def plant_unknown_staff(h: SampleHospital) -> None:
    """R25 人员不存在 (an INPUT PROBLEM, left out with --clean): 业务员 not on the roster.

    The rows are 转诊单 (no card) and their patients' lines carry no card, so that without
    these rows the patients are plain walk-ins (no R20 in the clean workspace).
    """
    for name, registered in zip(UNKNOWN_SALESPEOPLE, ("2024-05-18 10:30", "2024-05-27 09:40")):
        reg = h.register(None, datetime.fromisoformat(registered), "其他", "转诊单",
                         h.patients.new(), salesperson=name)
        reg.planted.append("unknown_staff")
        reg.input_problem = True
        for line in h.simulate_patient(reg):
            line.card_no = None


def plant_duplicate_cards(h: SampleHospital) -> None:
    """R21 重复办卡: one patient holds 3 cards, another 4 (same salesperson each time)."""
    cases = [("S013", ["2024-05-09 09:00", "2024-05-09 14:00", "2024-05-10 10:00"],
              ["医疗卡", "VIP健康卡", "医疗卡"], date(2024, 5, 11)),
             ("S003", ["2024-05-15 09:00", "2024-05-15 11:00", "2024-05-16 09:30",
                       "2024-05-16 16:00"], ["医疗卡", "医疗卡", "VIP健康卡", "医疗卡"],
              date(2024, 5, 17))]
    for staff_id, times, card_types, first_day in cases:
        patient = h.patients.new()
        regs = [h.register(h.staff[staff_id], datetime.fromisoformat(t), "其他", ct, patient)
                for t, ct in zip(times, card_types)]
        for extra in regs[2:]:
            extra.planted.append("duplicate_card")
        cards = [r.card_no for r in regs]
        h.simulate_patient(regs[0], first_visit=h.random_time(first_day), cards=cards)
        for extra in regs[2:]:        # a visit on every extra card: those lines credit nobody
            line, = h.add_episode(patient, h.random_time(first_day + timedelta(days=4)), "门诊",
                                  extra.card_no, n_lines=1)
            line.card_no = extra.card_no              # add_episode may drop the card (8 %)


def plant_conflicting_claims(h: SampleHospital) -> None:
    """R26 撞单: a second salesperson registers an already-claimed patient before any visit."""
    cases = [(("S004", "2024-05-06 09:10", "诊所", "医疗卡"),
              ("S010", "2024-05-07 16:00", "药店", "转诊单"), date(2024, 5, 9)),
             (("S011", "2024-05-20 10:00", "其他", "医疗卡"),
              ("S013", "2024-05-21 11:00", "义诊", "医疗卡"), date(2024, 5, 23))]
    losers = []
    for (sid1, t1, ch1, ct1), (sid2, t2, ch2, ct2), first_day in cases:
        patient = h.patients.new()
        owner = h.register(h.staff[sid1], datetime.fromisoformat(t1), ch1, ct1, patient)
        later = h.register(h.staff[sid2], datetime.fromisoformat(t2), ch2, ct2, patient)
        later.planted.append("conflicting_claim")
        cards = [c for c in (owner.card_no, later.card_no) if c]
        h.simulate_patient(owner, first_visit=h.random_time(first_day), cards=cards)
        h.attach_partner(owner)
        h.attach_partner(later)
        losers.append((later, patient))
    h.notes["conflict_losers"] = losers


def plant_network_overlaps(h: SampleHospital) -> None:
    """R4 网络部重叠 (not a violation): a patient registered by a 业务员 and by 网络部.

    The second case is 孙丽's (left 2024-05-20): after her 离职日期 the 网络部 half still counts.
    """
    cases = [(("S009", "2024-05-12 10:00", "诊所", "转诊单"),
              ("S014", "2024-05-12 15:00", "网络", "医疗卡"), date(2024, 5, 13)),
             (("S008", "2024-05-10 09:40", "其他", "医疗卡"),
              ("S015", "2024-05-10 16:20", "网络", "转诊单"), date(2024, 5, 11)),
             (("S015", "2024-05-24 09:00", "网络", "转诊单"),        # 网络部 first, 业务员 later
              ("S011", "2024-05-24 13:00", "其他", "医疗卡"), date(2024, 5, 25))]
    overlaps = []
    for (sid1, t1, ch1, ct1), (sid2, t2, ch2, ct2), first_day in cases:
        patient = h.patients.new()
        first = h.register(h.staff[sid1], datetime.fromisoformat(t1), ch1, ct1, patient)
        second = h.register(h.staff[sid2], datetime.fromisoformat(t2), ch2, ct2, patient)
        cards = [c for c in (first.card_no, second.card_no) if c]
        h.simulate_patient(first, first_visit=h.random_time(first_day), cards=cards)
        if sid1 == "S008":            # make sure some lines settle after her 离职日期
            h.add_episode(patient, h.random_time(date(2024, 5, 24)), "门诊", cards[0],
                          settled_on=date(2024, 5, 24))
        h.attach_partner(first)
        h.attach_partner(second)
        overlaps.append({"patient_key": patient.key, "staff_ids": [sid1, sid2]})
    h.notes["network_overlaps"] = overlaps


def plant_two_cards(h: SampleHospital) -> None:
    """Edge case, not a violation: one patient, two cards (R21 starts at the third)."""
    patient = h.patients.new(female=True)
    regs = [h.register(h.staff["S005"], datetime.fromisoformat(t), "孕妇课", ct, patient)
            for t, ct in (("2024-05-02 09:30", "医疗卡"), ("2024-05-03 10:00", "VIP健康卡"))]
    h.simulate_patient(regs[0], first_visit=h.random_time(date(2024, 5, 4)),
                       cards=[r.card_no for r in regs])
    h.notes["two_cards"] = {"patient_key": patient.key, "cards": [r.card_no for r in regs]}


def plant_pharmacy_surgery(h: SampleHospital) -> None:
    """R15: 药店 手术卡 patients; two with a surgery in May, one without (R17 applies)."""
    cases = [("S005", "2024-05-03 11:20", "剖宫产", date(2024, 5, 12), 5),
             ("S009", "2024-05-02 15:05", "结石住院手术", date(2024, 5, 8), 6),
             ("S011", "2024-05-06 10:40", None, None, 0)]
    found = []
    for staff_id, registered, surgery, admitted, stay in cases:
        patient = h.patients.new(female=(surgery == "剖宫产") or None)
        reg = h.register(h.staff[staff_id], datetime.fromisoformat(registered), "药店", "手术卡",
                         patient)
        first = h.random_time(reg.registered_at.date() + timedelta(days=2))
        h.add_episode(patient, first, "门诊", reg.card_no, settled_on=first.date())
        if surgery:
            h.add_episode(patient, h.random_time(admitted), surgery, reg.card_no,
                          settled_on=admitted + timedelta(days=stay))
        h.attach_partner(reg)
        found.append((reg, surgery))
    h.notes["pharmacy_surgery"] = found


def plant_enterprise_exams(h: SampleHospital) -> None:
    """R16: 企业体检 registrations whose patients have 体检 lines in May."""
    exams = []
    for i, registered in enumerate(("2024-05-06 09:00", "2024-05-06 09:20", "2024-05-06 09:40")):
        reg = h.register(h.staff["S006"], datetime.fromisoformat(registered), "企业体检", "医疗卡",
                         h.patients.new())
        h.add_episode(reg.patient, h.random_time(date(2024, 5, 8)), "体检", reg.card_no,
                      settled_on=date(2024, 5, 8))
        h.attach_partner(reg, PARTNERS["企业体检"][0])
        exams.append({"card_no": reg.card_no, "patient_key": reg.patient.key})
    h.notes["enterprise_exams"] = {"partner": PARTNERS["企业体检"][0], "staff_id": "S006",
                                   "registrations": exams}


def plant_large_rebate_partner(h: SampleHospital) -> None:
    """R17 大额返款: 康宁诊所 refers seven inpatients in May (15 % of their lines ≥ 5 000)."""
    plan = [("S002", "2024-05-02 09:15"), ("S004", "2024-05-03 14:30"), ("S009", "2024-05-06 10:05"),
            ("S002", "2024-05-08 11:40"), ("S004", "2024-05-09 16:10"), ("S009", "2024-05-13 09:50"),
            ("S010", "2024-05-14 15:25")]
    for staff_id, registered in plan:
        when = datetime.fromisoformat(registered)
        reg = h.register(h.staff[staff_id], when, "诊所", h.rng.choice(("转诊单", "医疗卡")),
                         h.patients.new())
        h.fill_referral(reg, LARGE_REBATE_PARTNER)
        admitted = h.random_time(when.date() + timedelta(days=1))
        h.add_episode(reg.patient, admitted, "住院", reg.card_no,
                      amount_fen=h.rng.randrange(6000_00, 12000_00, 10),
                      settled_on=admitted.date() + timedelta(days=h.rng.randint(3, 8)))
        h.simulate_patient(reg, first_visit=h.random_time(admitted.date() + timedelta(days=12)),
                           max_episodes=2)


def plant_departed_inpatient(h: SampleHospital) -> None:
    """孙丽 (left 2024-05-20) registers an inpatient who is discharged after she left."""
    reg = h.register(h.staff["S008"], datetime.fromisoformat("2024-05-16 10:20"), "其他", "医疗卡",
                     h.patients.new())
    h.add_episode(reg.patient, at(date(2024, 5, 18), "09:30"), "住院", reg.card_no,
                  settled_on=date(2024, 5, 24))


def plant_unregistered_cards(h: SampleHospital) -> None:
    """R20 未登记卡: walk-ins presenting marketing cards nobody registered."""
    for i, day in enumerate((date(2024, 5, 7), date(2024, 5, 12), date(2024, 5, 24))):
        card = f"{9901 + i:06d}"
        patient = h.patients.new()
        line, = h.add_episode(patient, h.random_time(day), "门诊", card, settled_on=day,
                              n_lines=1)
        line.card_no = card                           # add_episode may drop the card (8 %)
        line.planted.append("unregistered_card")


def plant_april_carry_overs(h: SampleHospital) -> None:
    """April visits that settle in May: a discharge, two refunds (one as text ``-¥120.00``)."""
    clean_april = [r for r in h.registrations
                   if r.registered_at.month == 4 and r.registered_at.day <= 20 and r.staff
                   and r.staff.role == "业务员" and r.staff.staff_id not in ("S008", "S012")
                   and r.channel in ("其他", "义诊", "孕妇课") and not r.planted]
    discharge, refund_a, refund_b = clean_april[0], clean_april[3], clean_april[6]
    admitted = at(date(2024, 4, 28), "10:40")
    h.add_episode(discharge.patient, admitted, "住院", discharge.card_no,
                  settled_on=date(2024, 5, 4), n_lines=1)
    refunds = []
    for reg, category, fen, settled in ((refund_a, "住院", -300_00, date(2024, 5, 6)),
                                        (refund_b, "门诊", -120_00, date(2024, 5, 9))):
        original = h.add_episode(reg.patient, h.random_time(date(2024, 4, 23)), category,
                                 reg.card_no, settled_on=date(2024, 4, 23) if category == "门诊"
                                 else date(2024, 4, 27), n_lines=1)[0]
        refund = Line(original.visited_at, settled, UNSETTLED, reg.patient, reg.card_no,
                      original.department, category, fen, refund=True)
        h.lines.append(refund)
        refunds.append(refund)
    h.notes["carry_overs"] = {"discharge_patient": discharge.patient.key, "refunds": refunds}


def plant_labour_rows(h: SampleHospital) -> None:
    """劳务工 (R14): April binds three units; May adds rows for existing and new units."""
    h.labour_rows("2024-04", [(LABOUR_UNITS_EXISTING[0], "是"), (LABOUR_UNITS_EXISTING[1], "否"),
                              (LABOUR_UNITS_EXISTING[2], "否")])
    h.labour_rows("2024-05", [(LABOUR_UNITS_EXISTING[0], "否"), (LABOUR_UNITS_EXISTING[1], "否"),
                              (LABOUR_UNITS_EXISTING[3], "否"), (LABOUR_UNITS_NEW[0], "是"),
                              (LABOUR_UNITS_NEW[1], "是")])


# --- R42 科间转诊单: one slip per outcome of SPEC §11 --------------------------------------------

INTERDEPT_HEADERS = ["转诊日期", "病历号", "患者姓名", "转出科室", "首诊医生", "转入科室", "接诊医生"]
NO_BILLING_RECORD = "0100001"          # a 病历号 no export holds (generated ones are below 0100000)


def plant_interdept_slips(h: SampleHospital) -> None:
    """R42: walk-in outpatients referred between departments, one slip per outcome (default
    rules: 50 per success; ≥ 100.00 before in 转出科室 within 30 days, ≥ 100.00 after in 转入科室
    within 30 days and May). Made last, with their own random numbers, so nothing else moves.

    Each case is (outcome, reason, 转诊日期, 转出科室, 首诊医生, 转入科室, 接诊医生, lines), a line
    being (visited day, department, category, fen, settled day)."""
    rng = random.Random(SEED + 42)
    factory = PatientFactory(rng)
    factory.keys, factory.record_nos = h.patients.keys, h.patients.record_nos
    cases = [
        ("success", None, date(2024, 5, 7), "内科", "刘德明", "普外科", "孙建华",
         [(date(2024, 5, 6), "内科", "门诊", 180_00, None), (date(2024, 5, 9), "普外科", "门诊", 260_00, None)]),
        ("success", None, date(2024, 5, 10), "妇科", "周雅琴", "肛肠科", None,   # exactly 100.00 twice
         [(date(2024, 5, 10), "妇科", "门诊", 100_00, None), (date(2024, 5, 14), "肛肠科", "门诊", 100_00, None)]),
        ("rejected", "转出科室不足100", date(2024, 5, 1), "口腔科", "钱志强", "普外科", None,
         [(date(2024, 5, 1), "口腔科", "门诊", 80_00, None), (date(2024, 5, 4), "普外科", "门诊", 150_00, None)]),
        ("carried", "转入科室不足100", date(2024, 5, 25), "内科", "刘德明", "中医科", None,
         [(date(2024, 5, 24), "内科", "门诊", 200_00, None), (date(2024, 5, 27), "中医科", "门诊", 60_00, None)]),
        ("rejected", "住院", date(2024, 5, 1), "内科", "吴国栋", "普外科", None,
         [(date(2024, 5, 1), "内科", "住院", 1500_00, date(2024, 5, 5)),
          (date(2024, 5, 3), "普外科", "门诊", 300_00, None)]),
        ("rejected", "病历号无消费记录", date(2024, 5, 1), "耳鼻喉科", "郑海燕", "普外科", None, []),
        ("success", None, date(2024, 5, 3), "疼痛科", "冯立新", "泌尿外科", None,   # 转出 in April's export
         [(date(2024, 4, 22), "疼痛科", "门诊", 240_00, None), (date(2024, 5, 5), "泌尿外科", "门诊", 350_00, None)]),
    ]
    slips = []
    for outcome, reason, day, frm, doctor, to, receiving, lines in cases:
        patient = factory.new()
        record = NO_BILLING_RECORD if not lines else patient.record_no
        for visited, dept, category, fen, settled in lines:
            line = Line(at(visited, f"{rng.randint(8, 16):02d}:{rng.choice((0, 15, 30, 45)):02d}"),
                        settled or visited, UNSETTLED, patient, None, dept, category, fen)
            line.interdept = True   # kept plain: no messy forms, not a violation
            h.lines.append(line)
        slips.append({"outcome": outcome, "reason": reason, "referred_on": day, "record_no": record,
                      "patient": patient, "from": frm, "doctor": doctor, "to": to, "receiving": receiving,
                      "lines": lines})
    first = slips[0]   # a second slip for the first referral: counted once (重复转诊单)
    slips.append({**first, "outcome": "repeat", "reason": "重复转诊单", "referred_on": date(2024, 5, 8),
                  "doctor": "刘德明"})
    h.notes["interdept"] = slips


# --- daily reports (R27) and adjustments (R28, R29, R38) --------------------------------------

MISSING_REPORTS = {("S012", date(2024, 5, 9)), ("S012", date(2024, 5, 23)),
                   ("S010", date(2024, 5, 17))}
LATE_REPORTS = {("S011", date(2024, 5, 7)): "2024-05-08 09:15",
                ("S006", date(2024, 5, 11)): "2024-05-13 08:40",    # Saturday → Monday 08:40
                ("S013", date(2024, 5, 28)): "2024-05-29 10:30"}
ON_TIME_EDGE_REPORTS = {("S009", date(2024, 5, 20)): "2024-05-21 07:45",   # before 08:00
                        ("S005", date(2024, 5, 18)): "2024-05-19 21:00"}   # Sat → on Sunday
DUPLICATE_REPORT = (("S004", date(2024, 5, 15)), "2024-05-16 09:30")        # 2nd, later copy
SUNDAY_REPORT = ("S002", date(2024, 5, 12), "2024-05-12 20:10")             # ignored by R27


def make_daily_reports(h: SampleHospital) -> None:
    """One report per working day of every 业务员 and 主管 while employed (SPEC R27)."""
    partners = [p for ps in PARTNERS.values() for p in ps]

    def report(staff: Staff, day: date, submitted: datetime) -> Report:
        content = h.rng.choice(REPORT_CONTENT).format(p=h.rng.choice(partners))
        made = Report(staff, h.label(staff), day, submitted, h.rng.randint(2, 9), content)
        h.reports.append(made)
        return made

    for staff in (s for s in h.roster if s.files_reports):
        for day in working_days(MAY_FIRST, MAY_LAST):
            if not staff.employed_on(day):
                continue
            key = (staff.staff_id, day)
            if key in MISSING_REPORTS:
                h.missing_reports.append((staff, day))
                continue
            submitted = h.random_time(day, "18:00", "22:00")
            if key in LATE_REPORTS:
                submitted = datetime.fromisoformat(LATE_REPORTS[key])
            elif key in ON_TIME_EDGE_REPORTS:
                submitted = datetime.fromisoformat(ON_TIME_EDGE_REPORTS[key])
            report(staff, day, submitted)
    (sid, day), second = DUPLICATE_REPORT
    report(h.staff[sid], day, datetime.fromisoformat(second))
    sid, day, submitted = SUNDAY_REPORT
    report(h.staff[sid], day, datetime.fromisoformat(submitted))
    h.reports.sort(key=lambda r: (r.report_date, r.staff.staff_id, r.submitted_at))
    # messy but valid forms: a full-width 工号, a name with spaces, report dates as text
    s005 = [r for r in h.reports if r.staff.staff_id == "S005"]
    s005[3].salesperson = "Ｓ００５"
    s009 = [r for r in h.reports if r.staff.staff_id == "S009"]
    s009[5].salesperson = " 周杰 "
    for r, form in zip((s009[7], s005[9]), ("{d.year}/{d.month}/{d.day}", "{d.year}年{d.month}月{d.day}日")):
        r.text_date = form.format(d=r.report_date)


def make_adjustments(h: SampleHospital, late_regs: list[Registration]) -> None:
    """调整_2024-05: one row of every 类型 (SPEC §3.5); every row has a 批准人."""
    loser, conflict_patient = h.notes["conflict_losers"][0]
    lifted = late_regs[0]
    s = h.staff
    rows = [
        Adjustment(s["S009"], "S009", "周杰", "奖励", 500, "5月转诊量第一名", "院长"),
        Adjustment(s["S005"], "S005", "王芳", "奖励", 300, "组织孕妇课三场", "李建国"),
        Adjustment(s["S011"], "Ｓ０１１", "郑爽", "罚款", 200, "私自向患者承诺返现", "院长"),
        Adjustment(s["S006"], "S006", "陈静", "补发", 350, "4月提成漏算补发", "李建国"),
        Adjustment(s["S013"], "S013", "何娟", "扣发", 150, "借支款扣回", "李建国"),
        Adjustment(loser.staff, loser.staff.staff_id, loser.staff.name, "扣业绩", 20,
                   f"撞单（患者尾号{conflict_patient.key[-4:]}），扣当月业绩20%", "院长"),
        Adjustment(lifted.staff, lifted.staff.staff_id, lifted.staff.name, "确认例外", None,
                   "患者先挂号候诊，业务员当日补登记，经核实确属诊所转诊", "院长",
                   card_no=lifted.card_no),
        Adjustment(s["S012"], "S012", "冯涛", "取消业绩", None, "登记老患者冒充新转诊，取消当月业绩",
                   "院长"),
    ]
    h.adjustments = rows + discipline_rows(h)
    h.notes["lifted_registration"] = lifted


def discipline_rows(h: SampleHospital) -> list[Adjustment]:
    """R43 奖惩 rows (seed 003 市场部治理制度, 营销卡的使用治理规定), each with its 日期."""
    s = h.staff

    def row(sid, kind, day, reason, amount=None, ref_no=None, reference=None):
        return Adjustment(s[sid], sid, s[sid].name, kind, amount, reason, "李建国", on_date=date(2024, 5, day),
                          ref_no=ref_no, reference=reference)

    return [
        row("S010", "早餐", 6, "上班时间在外就餐"), row("S010", "早餐", 13, "上班时间在外就餐"),
        row("S010", "早餐", 20, "上班时间在外就餐"),                      # 3 × −20, 辞退预警
        row("S006", "上网", 9, "工作时间在网吧上网"),                      # −30
        row("S011", "不正当手段", 15, "冒用同事渠道登记患者", 5000, ref_no="J1"),  # −2 × 5000
        row("S009", "举报奖励", 16, "举报 S011 冒用渠道，经查属实", reference="J1"),  # +50 % × 10000
        row("S002", "不服从", 21, "拒不执行区域分配"),                      # −50 % of pay before adjustments
        row("S013", "晨会缺席", 11, "未请假"), row("S013", "晨会缺席", 13, "未请假"),  # Sat + Mon: 辞退预警
    ]


# R44: three May hires who leave — on their own within 7 days (unpaid), dismissed on day 3 (paid),
# on their own on day 8 (paid). Weight 0 and reports without randomness: nothing else moves.
NEW_HIRE_LEAVERS = (("S016", "钱多多", date(2024, 5, 10), date(2024, 5, 15), None),
                    ("S017", "孙悟", date(2024, 5, 10), date(2024, 5, 12), "辞退"),
                    ("S018", "李想", date(2024, 5, 10), date(2024, 5, 17), "自动离职"))


def plant_new_hire_leavers(h: SampleHospital) -> None:
    """R44 新业务员在7天内自动离职的不与结算工资: the roster rows and their (on-time) daily reports."""
    for sid, name, hired, left, kind in NEW_HIRE_LEAVERS:
        staff = Staff(sid, name, "业务员", "二组", hired, None, left, weight=0.0, leave_type=kind)
        h.roster.append(staff)
        h.staff[sid] = staff
        for day in working_days(hired, left):
            h.reports.append(Report(staff, sid, day, datetime.combine(day, dtime(18, 30)), 3, "新人跟岗拜访药店"))
    h.reports.sort(key=lambda r: (r.report_date, r.staff.staff_id, r.submitted_at))


def build_sample(seed: int = SEED) -> tuple[SampleHospital, list[Registration]]:
    """The whole sample hospital, March to May, planted situations included."""
    h = SampleHospital(seed)
    plant_march_history(h)
    h.history_month("2024-04", regs_per_weight=9, walk_ins_per_day=11)
    plant_labour_rows(h)
    plant_april_carry_overs(h)
    h.may_registrations()
    h.may_walk_ins(per_day=16)
    plant_existing_patients(h)
    late_regs = plant_late_registrations(h)
    plant_incomplete_referrals(h)
    plant_unknown_staff(h)
    plant_duplicate_cards(h)
    plant_conflicting_claims(h)
    plant_network_overlaps(h)
    plant_two_cards(h)
    plant_pharmacy_surgery(h)
    plant_enterprise_exams(h)
    plant_large_rebate_partner(h)
    plant_departed_inpatient(h)
    plant_unregistered_cards(h)
    h.assign_partners()
    make_daily_reports(h)
    make_adjustments(h, late_regs)
    plant_new_hire_leavers(h)
    plant_departed_a_month_early(h)     # last: the random stream of everything above is unchanged
    h.registrations.sort(key=lambda r: r.registered_at)
    plant_interdept_slips(h)
    return h, late_regs


DEPARTED_EARLY = "S019"
OWNER_FILE = "~$收费明细_上半月.xlsx"   # Excel's owner file of an open workbook (SPEC §8.1)
DUPLICATED_LINES = 3                   # first-half lines the second-half export repeats


def plant_departed_a_month_early(h: SampleHospital) -> None:
    """SPEC §8.1 (issue 11): 钱进, a 业务员 whose 离职日期 (2024-04-26) lies before May. Her
    April patient is discharged on 2024-05-31: the lines credit nobody (R5, 已离职) and `run`
    names her with the 业绩 sent to 未归属. Not a violation and not an input problem."""
    s = Staff(DEPARTED_EARLY, "钱进", "业务员", "一组", date(2023, 3, 1), date(2023, 6, 1), weight=0)
    s.left_on = date(2024, 4, 26)
    h.roster.append(s)
    h.staff[s.staff_id] = s
    reg = h.register(s, datetime.fromisoformat("2024-04-22 10:00"), "其他", "医疗卡", h.patients.new())
    h.add_episode(reg.patient, at(date(2024, 5, 27), "09:00"), "住院", reg.card_no, amount_fen=8_640_00,
                  settled_on=date(2024, 5, 31), n_lines=2)
    h.notes["departed_early"] = {"staff_id": s.staff_id, "name": s.name, "left_on": s.left_on.isoformat(),
                                 "registration": f"{reg.registered_at:%Y-%m-%d %H:%M}",
                                 "patient_key": reg.patient.key, "may_lines": 2, "amount_yuan": yuan(8_640_00)}


# =============================================================================================
# Independent audit: R20–R27 re-derived from the records (SPEC §6)
# =============================================================================================

def may_settled(line: Line) -> bool:
    """R1: the line counts in May."""
    return line.status_in(MAY_FIRST, MAY_LAST) == SETTLED


def rebate_upper_bound(reg: Registration, lines: list[Line]) -> int:
    """The most a partner could be owed in May through this registration (fen; R15–R17)."""
    settled = [ln for ln in lines if may_settled(ln) and ln.amount_fen > 0]
    if reg.channel == "药店" and reg.card_type == "手术卡" and any(
            ln.category in SURGERY_CATEGORIES for ln in settled):
        return PHARMACY_SURGERY_REBATE
    if reg.channel == "企业体检":
        return sum(ln.amount_fen * ENTERPRISE_EXAM_RATE // 100 for ln in settled
                   if ln.category in EXAM_CATEGORIES)
    rate = REBATE_RATE.get(reg.channel, 0)
    return sum(ln.amount_fen * rate // 100 for ln in settled)


@dataclass
class Finding:
    code: str
    rule: str
    staff: Staff | None
    record: object = None              # Registration, Line or Report
    day: date | None = None            # R27 missing: the day without a report
    salesperson: str | None = None
    owner: Registration | None = None  # R26: the earlier claim that owns the patient


def visible_lines(h: SampleHospital) -> list[Line]:
    """Billing lines of every export read for May (March, April, May)."""
    months = [month_bounds(m) for m in ("2024-03", "2024-04", MONTH)]
    return [ln for ln in h.lines if any(ln.status_in(a, b) for a, b in months)]


def audit_violations(h: SampleHospital, registrations: list[Registration]) -> list[Finding]:
    """R20–R27 as SPEC §6 defines them, computed from scratch over the generated records.

    Registrations of every month are checked (an accidental April violation would be as wrong
    as a May one); the planted ones are all in May.
    """
    findings: list[Finding] = []
    lines = visible_lines(h)
    visits = defaultdict(list)
    for ln in lines:
        visits[ln.patient.key].append(ln.visited_at)

    # R25 unknown staff
    for r in registrations:
        if r.staff is None:
            findings.append(Finding("unknown_staff", "R25", None, r, salesperson=r.salesperson))
    # R21 duplicate cards: the 3rd and later distinct 卡号 of one 患者标识
    first_seen: dict[str, dict[str, datetime]] = defaultdict(dict)
    for r in registrations:
        if r.card_no and r.patient:
            cards = first_seen[r.patient.key]
            cards[r.card_no] = min(cards.get(r.card_no, r.registered_at), r.registered_at)
    extra_cards = {card for cards in first_seen.values()
                   for card in sorted(cards, key=cards.get)[2:]}
    rejected: set[int] = set()
    for r in registrations:
        if r.card_no in extra_cards:
            rejected.add(id(r))
            findings.append(Finding("duplicate_card", "R21", r.staff, r))
    # R22/R23 late or existing, R24 incomplete
    lifted_cards = {a.card_no for a in h.adjustments if a.kind == "确认例外" and a.card_no}
    for r in registrations:
        if r.is_labour or r.staff is None:
            continue
        early = [v for v in visits[r.patient.key] if v < r.registered_at + LATE_REGISTRATION_MARGIN]
        code = None
        if any(v.date() < r.registered_at.date() for v in early):
            code = ("existing_patient", "R23")
        elif early:
            code = ("late_registration", "R22")
        elif (r.channel in REFERRAL_CHANNELS and not (r.partner and r.referrer and r.referrer_phone)
              or r.channel in UNIT_CHANNELS and not r.partner):
            code = ("incomplete_referral", "R24")
        if code:
            if r.card_no not in lifted_cards:
                rejected.add(id(r))
            findings.append(Finding(*code, r.staff, r))
    # R26 conflicting claims among the remaining registrations (网络部 aside)
    claims = defaultdict(list)
    for r in registrations:
        if r.patient and r.staff and r.staff.role != "网络部" and id(r) not in rejected:
            claims[r.patient.key].append(r)
    for regs in claims.values():
        owner = regs[0]                  # registrations are sorted by 登记时间
        for r in regs[1:]:
            if r.staff is not owner.staff:
                findings.append(Finding("conflicting_claim", "R26", r.staff, r, owner=owner))
    # R20 unregistered cards on lines counting in May
    registered_cards = {r.card_no for r in registrations if r.card_no}
    for ln in visible_lines(h):
        if ln.card_no and ln.card_no not in registered_cards:
            findings.append(Finding("unregistered_card", "R20", None, ln))
    # R27 daily reports
    by_day = defaultdict(list)
    for rep in h.reports:
        by_day[(rep.staff.staff_id, rep.report_date)].append(rep)
    for staff in (s for s in h.roster if s.files_reports):
        for day in working_days(MAY_FIRST, MAY_LAST):
            if not staff.employed_on(day):
                continue
            reps = sorted(by_day.get((staff.staff_id, day), []), key=lambda r: r.submitted_at)
            if not reps:
                findings.append(Finding("missing_report", "R27", staff, day=day))
            elif reps[0].submitted_at > datetime.combine(next_working_day(day), REPORT_DEADLINE):
                findings.append(Finding("late_report", "R27", staff, reps[0], day=day))
    return findings


def check_consistency(h: SampleHospital, registrations: list[Registration],
                      findings: list[Finding]) -> None:
    """Refuse to write a workspace whose violations differ from the planted ones."""
    planted = {(code, id(rec)) for rec in registrations + h.lines for code in rec.planted
               if not (code == "unknown_staff" and rec not in registrations)}
    planted |= {("missing_report", id(s), d) for s, d in h.missing_reports}
    planted |= {("late_report", id(h.staff[sid]), day) for sid, day in LATE_REPORTS}
    found = set()
    for f in findings:
        if f.code == "missing_report":
            found.add((f.code, id(f.staff), f.day))
        elif f.code == "late_report":
            found.add((f.code, id(f.staff), f.day))
        else:
            found.add((f.code, id(f.record)))
    if planted != found:
        def show(items):
            return sorted(str(i[0]) for i in items)
        raise SystemExit(f"generator bug: accidental violations {show(found - planted)}, "
                         f"planted but not found {show(planted - found)}")
    # every visit of a registered patient is after the registration (except the planted ones)
    for ln in h.lines:
        assert ln.settled_on is None or ln.settled_on >= ln.visited_at.date(), ln
    # R17: exactly one partner reaches the 大额返款 threshold
    totals = partner_rebates(h, registrations)
    large = [p for p, fen in totals.items() if fen >= OTHER_PARTNER_CEILING]
    if large != [LARGE_REBATE_PARTNER] or totals[LARGE_REBATE_PARTNER] < LARGE_REBATE + 500_00:
        raise SystemExit(f"generator bug: partner rebates out of plan: {dict(totals)}")


def partner_rebates(h: SampleHospital, registrations: list[Registration]) -> dict[str, int]:
    """Upper bound of each partner's May rebates (exact for the clean large-rebate partner)."""
    totals: dict[str, int] = defaultdict(int)
    for r in registrations:
        if r.partner and r.patient:
            totals[r.partner] += rebate_upper_bound(r, h.lines_of(r.patient))
    return totals


# =============================================================================================
# Writing the sample workbooks
# =============================================================================================

class Money(float):
    """A 金额 cell: a number shown with two decimals."""


class Percent(float):
    """A cell formatted as a percentage (0.8 shows as 80%)."""


class Plain(float):
    """A plain number in General format (e.g. a 卡号 typed into Excel as a number)."""


@dataclass
class SheetSpec:
    name: str
    rows: list[list]
    widths: tuple[float, ...] = ()
    hidden: bool = False


def write_xlsx(path: Path, sheets: list[SheetSpec]) -> None:
    """Write typed cells exactly: text stays text (never a number, formula or link)."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    wb.set_properties({"created": WORKBOOK_CREATED, "author": "settle sample generator"})
    formats = {
        "datetime": wb.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
        "money": wb.add_format({"num_format": "0.00"}),
        "percent": wb.add_format({"num_format": "0%"}),
        "header": wb.add_format({"bold": True}),
    }
    for spec in sheets:
        ws = wb.add_worksheet(spec.name)
        for r, row in enumerate(spec.rows):
            for c, value in enumerate(row):
                _write_cell(ws, r, c, value, formats)
        for c, width in enumerate(spec.widths):
            ws.set_column(c, c, width)
        if spec.hidden:
            ws.hide()
    wb.close()


def _write_cell(ws, r: int, c: int, value, formats) -> None:
    if value is None:
        return
    if isinstance(value, datetime):
        ws.write_datetime(r, c, value, formats["datetime"])
    elif isinstance(value, date):
        ws.write_datetime(r, c, datetime.combine(value, dtime()), formats["date"])
    elif isinstance(value, Money):
        ws.write_number(r, c, float(value), formats["money"])
    elif isinstance(value, Percent):
        ws.write_number(r, c, float(value), formats["percent"])
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value)
    else:
        ws.write_string(r, c, str(value))


FULL_WIDTH = str.maketrans("0123456789S", "０１２３４５６７８９Ｓ")


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


@dataclass
class Forms:
    """The messy-but-valid spellings planted in the workbooks (SPEC §3), by record."""
    cells: dict[tuple[int, str], str] = field(default_factory=dict)   # (id(record), column) -> form

    def of(self, record, column: str) -> str | None:
        return self.cells.get((id(record), column))

    def pick(self, rng: random.Random, records: list, column: str, forms: list[str]) -> None:
        free = [r for r in records if (id(r), column) not in self.cells]
        for record, form in zip(rng.sample(free, len(forms)), forms):
            self.cells[(id(record), column)] = form


def text_datetime(value: datetime, form: str) -> str:
    if form == "slash":
        return f"{value.year}/{value.month}/{value.day} {value:%H:%M}"
    return f"{value:%Y-%m-%d %H:%M}"


def text_date(value: date, form: str) -> str:
    return {"dash": f"{value:%Y-%m-%d}", "slash": f"{value.year}/{value.month}/{value.day}",
            "dot": f"{value:%Y.%m.%d}", "cn": f"{value.year}年{value.month}月{value.day}日"}[form]


def amount_cell(fen: int, form: str | None):
    if form == "yen":
        return f"¥{fen / 100:,.2f}"
    if form == "yuan":
        return yuan(fen).rstrip("0").rstrip(".") + "元"
    if form == "fullwidth":
        return yuan(fen).translate(FULL_WIDTH)
    if form == "neg_yen":
        return f"-¥{abs(fen) // 100}.{abs(fen) % 100:02d}"
    return Money(fen / 100)


class WorkspaceWriter:
    """Lays the records out in files and remembers where each one went (Excel rows)."""

    def __init__(self, h: SampleHospital, root: Path, clean: bool):
        self.h, self.root, self.clean = h, root, clean
        self.forms = Forms()
        self.form_places: list[dict] = []
        self.rng = random.Random(SEED + 7)       # only chooses which cells get messy forms

    @property
    def registrations(self) -> list[Registration]:
        return [r for r in self.h.registrations if not (self.clean and r.input_problem)]

    def write_all(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for month in ("2024-03", "2024-04", MONTH):
            folder = self.root / month
            folder.mkdir(exist_ok=True)
            for stale in folder.iterdir():
                if stale.is_file() and stale.name.startswith(("登记表", "收费明细", "日报", "调整", "科间转诊")):
                    stale.unlink()
        (self.root / "settle.yaml").write_text(SETTLE_YAML, encoding="utf-8")
        self.write_staff()
        for month in ("2024-03", "2024-04"):
            self.write_registrations(month)
            self.write_history_billing(month)
        self.write_registrations(MONTH)
        self.write_may_billing()
        self.write_reports()
        self.write_adjustments()
        self.write_interdept()
        owner = self.root / MONTH / OWNER_FILE
        owner.unlink(missing_ok=True)
        if not self.clean:
            # INPUT PROBLEM (SPEC §8.1): Excel's owner file of an export still open on someone's desk
            owner.write_bytes(b"\x06clerk" + b" " * 47 + b"\x06\x00c\x00l\x00e\x00r\x00k\x00" + b" " * 100)

    # -- staff ---------------------------------------------------------------------------------
    def write_staff(self) -> None:
        rows = [STAFF_HEADERS]
        for s in self.h.roster:
            rows.append([s.staff_id, s.name, s.role, s.team, s.hired_on, s.regular_on, s.left_on,
                         s.base_salary, Percent(s.probation_rating) if s.probation_rating else None, s.leave_type])
        write_xlsx(self.root / "staff.xlsx",
                   [SheetSpec("人员名单", rows, (8, 10, 8, 8, 12, 12, 12, 10, 14, 10))])

    # -- registrations -------------------------------------------------------------------------
    def write_registrations(self, month: str) -> None:
        first, last = month_bounds(month)
        regs = [r for r in self.registrations if first <= r.registered_at.date() <= last]
        if month == MONTH:
            self._plant_registration_forms(regs)
        file = f"{month}/登记表_{month}.xlsx"
        sheet = f"{int(month[5:])}月登记"
        rows = [REGISTRATION_HEADERS]
        for r in regs:
            r.place = Place(file, sheet, len(rows) + 1)
            rows.append(self.registration_row(r))
        sheets = [SheetSpec(sheet, rows, (17, 8, 9, 10, 9, 20, 8, 22, 9, 13, 6, 6, 5, 8))]
        if month == MONTH and not self.clean:
            # INPUT PROBLEM: a hidden sheet with a stale copy of some rows (must be skipped)
            sheets.append(SheetSpec("旧数据", rows[:1] + rows[40:46], hidden=True))
        write_xlsx(self.root / file, sheets)

    def _plant_registration_forms(self, regs: list[Registration]) -> None:
        plain = [r for r in regs if not r.planted and r.staff and not r.is_labour]
        self.forms.pick(self.rng, plain, "登记时间", ["dash", "dash", "slash", "slash"])
        s009 = [r for r in plain if r.staff.staff_id == "S009"]
        s003 = [r for r in plain if r.staff.staff_id == "S003"]
        for r in s009[2:4]:
            r.salesperson = " 周杰 "
        s003[1].salesperson = "Ｓ００３"
        half_width = next(r for r in plain if r.partner and "（" in r.partner)
        self.forms.cells[(id(half_width), "合作单位")] = "half_width"
        self.forms.pick(self.rng, [r for r in plain if r.patient], "患者姓名", ["spaces"])

    def registration_row(self, r: Registration) -> list:
        form = self.forms.of(r, "登记时间")
        when = text_datetime(r.registered_at, form) if form else r.registered_at
        partner = r.partner
        if partner and self.forms.of(r, "合作单位") == "half_width":
            partner = partner.replace("（", "(").replace("）", ")")
        name = r.patient.name if r.patient else None
        if name and self.forms.of(r, "患者姓名") == "spaces":
            name = f" {name} "
        for column, value in (("登记时间", when), ("合作单位", partner), ("患者姓名", name)):
            if self.forms.of(r, column) and r.place:
                self.form_places.append({**vars(r.place), "column": column,
                                         "form": self.forms.of(r, column), "written": value})
        if r.staff and r.salesperson != self.h.label(r.staff):
            self.form_places.append({**vars(r.place), "column": "业务员", "form":
                                     "full_width" if "Ｓ" in r.salesperson else "spaces",
                                     "written": r.salesperson})
        return [when, r.salesperson, r.card_no, r.card_type, name,
                r.patient.key if r.patient else None, r.channel, partner, r.referrer,
                r.referrer_phone, r.area, r.new_unit, r.headcount, r.clinic_team]

    # -- billing -------------------------------------------------------------------------------
    def month_lines(self, month: str) -> list[tuple[Line, str]]:
        first, last = month_bounds(month)
        shown = [(ln, ln.status_in(first, last)) for ln in self.h.lines]
        shown = [(ln, st) for ln, st in shown if st]

        def export_day(item):
            ln, st = item
            return ln.settled_on if st == SETTLED else ln.visited_at.date()
        return sorted(shown, key=lambda it: (export_day(it), it[0].visited_at,
                                             it[0].patient.record_no, it[0].category))

    def billing_row(self, ln: Line, status: str) -> list:
        settled = ln.settled_on if status == SETTLED else None
        visited_form = self.forms.of(ln, "就诊时间")
        settled_form = self.forms.of(ln, "结算日期")
        card_form = self.forms.of(ln, "卡号")
        card = ln.card_no
        if card and card_form == "numeric":
            card = Plain(int(card))
        elif card and card_form == "full_width":
            card = card.translate(FULL_WIDTH)
        name = f" {ln.patient.name} " if self.forms.of(ln, "患者姓名") == "spaces" else ln.patient.name
        return [text_datetime(ln.visited_at, visited_form) if visited_form else ln.visited_at,
                text_date(settled, settled_form) if (settled and settled_form) else settled,
                status, ln.patient.record_no, name, ln.patient.key, card, ln.department,
                ln.category, amount_cell(ln.amount_fen, self.forms.of(ln, "金额"))]

    def write_history_billing(self, month: str) -> None:
        file = f"{month}/收费明细_{month}.xlsx"
        rows = [BILLING_HEADERS]
        for ln, status in self.month_lines(month):
            ln.places[month] = Place(file, "Sheet1", len(rows) + 1)
            rows.append(self.billing_row(ln, status))
        write_xlsx(self.root / file, [SheetSpec("Sheet1", rows, BILLING_WIDTHS)])

    def write_may_billing(self) -> None:
        lines = self.month_lines(MONTH)
        first_half = [(ln, st) for ln, st in lines
                      if (ln.settled_on if st == SETTLED else ln.visited_at.date()) <= HALF_MONTH_LAST]
        second_half = [it for it in lines if it not in first_half]
        self._plant_billing_forms(first_half)
        self.write_first_half(first_half)
        self.first_half = first_half
        self.write_second_half_csv(second_half)

    def _plant_billing_forms(self, items: list[tuple[Line, str]]) -> None:
        refund_text = self.h.notes["carry_overs"]["refunds"][1]
        self.forms.cells[(id(refund_text), "金额")] = "neg_yen"
        plain = [ln for ln, _ in items if not ln.planted and not ln.refund and not getattr(ln, "interdept", False)]
        big = [ln for ln in plain if ln.amount_fen >= 1000_00]
        small = [ln for ln in plain if ln.amount_fen < 1000_00]
        self.forms.pick(self.rng, big, "金额", ["yen", "yen", "yen"])
        self.forms.pick(self.rng, plain, "金额", ["yuan", "yuan", "yuan"])
        self.forms.pick(self.rng, small, "金额", ["fullwidth", "fullwidth"])
        self.forms.pick(self.rng, plain, "就诊时间", ["dash", "dash", "slash", "slash"])
        settled = [ln for ln, st in items if st == SETTLED and not ln.planted]
        self.forms.pick(self.rng, settled, "结算日期", ["dash", "slash", "dot", "cn"])
        numeric = [ln for ln in plain if ln.card_no and not ln.card_no.startswith("0")]
        self.forms.pick(self.rng, numeric, "卡号", ["numeric", "numeric", "numeric"])
        self.forms.pick(self.rng, [ln for ln in plain if ln.card_no], "卡号", ["full_width"])
        self.forms.pick(self.rng, plain, "患者姓名", ["spaces", "spaces"])

    def write_first_half(self, items: list[tuple[Line, str]]) -> None:
        """收费明细_上半月.xlsx: a title row, a blank row mid-sheet and a 合计 row at the end."""
        file, sheet = f"{MONTH}/收费明细_上半月.xlsx", "Sheet1"
        rows: list[list] = [["2024年5月收费明细（上半月）"], BILLING_HEADERS]
        blank_after = len(items) // 2
        for i, (ln, status) in enumerate(items):
            if i == blank_after:
                rows.append([])
                self.form_places.append({"file": file, "sheet": sheet, "row": len(rows),
                                         "column": None, "form": "blank_row", "written": None})
            ln.places[MONTH] = Place(file, sheet, len(rows) + 1)
            rows.append(self.billing_row(ln, status))
            for column in BILLING_HEADERS:
                form = self.forms.of(ln, column)
                if form:
                    written = rows[-1][BILLING_HEADERS.index(column)]
                    self.form_places.append({**vars(ln.places[MONTH]), "column": column,
                                             "form": form, "written": written})
        total = sum(ln.amount_fen for ln, _ in items)
        rows.append(["合计"] + [None] * 8 + [Money(total / 100)])
        self.form_places.append({"file": file, "sheet": sheet, "row": 1, "column": None,
                                 "form": "title_row", "written": rows[0][0]})
        self.form_places.append({"file": file, "sheet": sheet, "row": len(rows), "column": None,
                                 "form": "total_row", "written": total / 100})
        write_xlsx(self.root / file, [SheetSpec(sheet, rows, BILLING_WIDTHS)])

    def write_second_half_csv(self, items: list[tuple[Line, str]]) -> None:
        """收费明细_下半月.csv, GBK like a Chinese Windows export: everything is text. Unless clean,
        the export overlaps the first half: its last lines repeat the first half's last settled
        lines (SPEC §8.1: the same line in two files counts once, with a warning)."""
        file = f"{MONTH}/收费明细_下半月.csv"
        self.duplicated_lines = []
        repeat = [] if self.clean else [(ln, st) for ln, st in self.first_half if st == SETTLED][-DUPLICATED_LINES:]
        with open(self.root / file, "w", encoding="gbk", newline="") as fh:
            out = csv.writer(fh, lineterminator="\r\n")
            out.writerow(BILLING_HEADERS)
            for n, (ln, status) in enumerate(items + repeat, start=2):
                if n - 2 < len(items):
                    ln.places[MONTH] = Place(file, None, n)
                else:   # INPUT PROBLEM: a line of 收费明细_上半月.xlsx exported again
                    self.duplicated_lines.append({"file": file, "sheet": None, "row": n,
                                                  "first": vars(ln.places[MONTH]), "record_no": ln.patient.record_no})
                settled = ln.settled_on if status == SETTLED else None
                out.writerow([f"{ln.visited_at:%Y-%m-%d %H:%M}",
                              f"{settled:%Y-%m-%d}" if settled else "", status,
                              ln.patient.record_no, ln.patient.name, ln.patient.key,
                              ln.card_no or "", ln.department, ln.category, yuan(ln.amount_fen)])

    # -- daily reports and adjustments ---------------------------------------------------------
    def write_reports(self) -> None:
        file, sheet = f"{MONTH}/日报_{MONTH}.xlsx", "日报"
        rows = [REPORT_HEADERS_EN]
        for rep in self.h.reports:
            rep.place = Place(file, sheet, len(rows) + 1)
            rows.append([rep.salesperson, rep.text_date or rep.report_date, rep.submitted_at,
                         rep.visits, rep.content])
            if rep.text_date or rep.salesperson != self.h.label(rep.staff):
                self.form_places.append({**vars(rep.place), "column": "report_date" if
                                         rep.text_date else "salesperson", "form": "text",
                                         "written": rep.text_date or rep.salesperson})
        write_xlsx(self.root / file, [SheetSpec(sheet, rows, (12, 12, 17, 8, 34))])

    def write_adjustments(self) -> None:
        file, sheet = f"{MONTH}/调整_{MONTH}.xlsx", "调整"
        rows = [ADJUSTMENT_HEADERS]
        for a in self.h.adjustments:
            a.place = Place(file, sheet, len(rows) + 1)
            rows.append([a.staff_id_text, a.name_text, a.kind, a.amount, a.reason, a.approved_by,
                         a.card_no, a.patient_key, a.on_date, a.ref_no, a.reference])
        write_xlsx(self.root / file, [SheetSpec(sheet, rows, (8, 8, 9, 7, 44, 8, 9, 20, 12, 6, 6))])


    def write_interdept(self) -> None:
        """科间转诊单_2024-05.xlsx (R42): the slips the 客服部 collected, in date order."""
        file, sheet = f"{MONTH}/科间转诊单_{MONTH}.xlsx", "转诊单"
        rows = [INTERDEPT_HEADERS]
        for slip in sorted(self.h.notes["interdept"], key=lambda x: x["referred_on"]):
            slip["place"] = Place(file, sheet, len(rows) + 1)
            rows.append([slip["referred_on"], slip["record_no"], slip["patient"].name, slip["from"],
                         slip["doctor"], slip["to"], slip["receiving"]])
        write_xlsx(self.root / file, [SheetSpec(sheet, rows, (12, 10, 9, 10, 9, 10, 9))])


BILLING_WIDTHS = (17, 12, 8, 9, 9, 20, 9, 12, 13, 11)
SETTLE_YAML = """\
# settle 工作目录配置（示例医院）。未写的键取默认值：文件名模式、输出目录、节假日等。
locale: zh
"""


# =============================================================================================
# PLANTED.md and planted.json
# =============================================================================================

VIOLATION_NAMES = {
    "unregistered_card": "未登记卡", "duplicate_card": "重复办卡", "late_registration": "转诊迟报",
    "existing_patient": "老患者", "incomplete_referral": "转诊信息不全", "unknown_staff": "人员不存在",
    "conflicting_claim": "撞单", "late_report": "日报迟交", "missing_report": "日报缺失",
}


def finding_entry(f: Finding, h: SampleHospital) -> dict:
    rec = f.record
    entry = {"code": f.code, "rule": f.rule, "name": VIOLATION_NAMES[f.code],
             "staff_id": f.staff.staff_id if f.staff else None,
             "salesperson": f.salesperson, "file": None, "sheet": None, "row": None,
             "card_no": None, "patient_key": None, "date": None}
    if isinstance(rec, Registration):
        entry.update(vars(rec.place), card_no=rec.card_no, patient_key=rec.patient.key,
                     date=rec.registered_at.strftime("%Y-%m-%d %H:%M"))
        if f.owner is not None:
            entry["owner"] = {"staff_id": f.owner.staff.staff_id, **vars(f.owner.place),
                              "card_no": f.owner.card_no}
        if f.code in ("late_registration", "existing_patient", "incomplete_referral"):
            lifted = h.notes["lifted_registration"] is rec
            entry["effect"] = "已确认例外" if lifted else "rejected"
    elif isinstance(rec, Line):
        entry.update(vars(rec.places[MONTH]), card_no=rec.card_no, patient_key=rec.patient.key,
                     date=rec.settled_on.isoformat())
    elif isinstance(rec, Report):
        entry.update(vars(rec.place), date=f.day.isoformat(),
                     submitted_at=rec.submitted_at.strftime("%Y-%m-%d %H:%M"))
    else:
        entry["date"] = f.day.isoformat()
    return entry


def describe_situations(h: SampleHospital, registrations: list[Registration]) -> dict:
    """Facts about the planted non-violation situations, for tests and for PLANTED.md."""
    may = [ln for ln in h.lines if ln.status_in(MAY_FIRST, MAY_LAST)]
    settled = [ln for ln in may if may_settled(ln)]
    registered_keys = {r.patient.key for r in registrations if r.patient}
    linked = [ln for ln in may if ln.patient.key in registered_keys
              or (ln.card_no and any(ln.card_no == r.card_no for r in registrations))]
    window = []
    for case in h.notes["follow_up_window"]:
        first = date.fromisoformat(case["first_visit"])
        beyond = [ln for ln in settled if ln.patient.key == case["patient_key"]
                  and (ln.visited_at.date() - first).days > FOLLOW_UP_DAYS]
        window.append({**case, "may_lines_beyond_window": len(beyond)})
    s008 = h.staff["S008"]
    owned_by_s008 = {r.patient.key for r in registrations if r.staff is s008 and r.patient}
    after_leaving = [ln for ln in settled if ln.patient.key in owned_by_s008
                     and ln.settled_on > s008.left_on]
    carry = h.notes["carry_overs"]
    labour = [r for r in registrations if r.is_labour and r.registered_at.date() >= MAY_FIRST]
    may_regs = [r for r in registrations if r.registered_at.date() >= MAY_FIRST]
    return {
        "may_billing_lines": len(may),
        "may_settled_lines": len(settled),
        "may_unsettled_lines": sum(1 for ln in may if ln.status_in(MAY_FIRST, MAY_LAST) == UNSETTLED),
        "may_in_course_lines": sum(1 for ln in may if ln.status_in(MAY_FIRST, MAY_LAST) == IN_COURSE),
        "may_lines_of_registered_patients": len(linked),
        "may_registrations": len(may_regs),
        "follow_up_window": window,
        "departed": {"staff_id": "S008", "left_on": s008.left_on.isoformat(),
                     "may_lines_settled_after_leaving": len(after_leaving),
                     "amount_yuan": yuan(sum(ln.amount_fen for ln in after_leaving))},
        "departed_before_may": h.notes["departed_early"],
        "refunds": [{**vars(ln.places[MONTH]), "amount": yuan(ln.amount_fen),
                     "visited_at": f"{ln.visited_at:%Y-%m-%d %H:%M}",
                     "settled_on": ln.settled_on.isoformat(), "patient_key": ln.patient.key}
                    for ln in carry["refunds"]],
        "april_visit_settled_in_may": carry["discharge_patient"],
        "network_overlaps": h.notes["network_overlaps"],
        "two_cards_not_a_violation": h.notes["two_cards"],
        "pharmacy_surgery_R15": [{**vars(r.place), "staff_id": r.staff.staff_id,
                                  "card_no": r.card_no, "patient_key": r.patient.key,
                                  "partner": r.partner, "surgery": surgery}
                                 for r, surgery in h.notes["pharmacy_surgery"]],
        "enterprise_exam_R16": h.notes["enterprise_exams"],
        "labour_rows_R14": [{**vars(r.place), "staff_id": r.staff.staff_id, "unit": r.partner,
                             "new_unit": r.new_unit, "headcount": r.headcount} for r in labour],
        "free_clinic_registrations": sum(1 for r in may_regs if r.channel == "义诊"),
        "prenatal_class_registrations": sum(1 for r in may_regs if r.channel == "孕妇课"),
        "network_registrations": sum(1 for r in may_regs if r.channel == "网络"),
    }


def planted_document(h: SampleHospital, writer: WorkspaceWriter, findings: list[Finding],
                     clean: bool) -> dict:
    registrations = writer.registrations
    violations = [finding_entry(f, h) for f in findings]
    violations.sort(key=lambda v: (v["rule"], v["file"] or "", v["row"] or 0, v["date"] or ""))
    counts: dict[str, int] = defaultdict(int)
    for v in violations:
        counts[v["code"]] += 1
    totals = partner_rebates(h, registrations)
    input_problems = [] if clean else [
        {"kind": "hidden_sheet", "file": f"{MONTH}/登记表_{MONTH}.xlsx", "sheet": "旧数据",
         "severity": "warning", "note": "a hidden copy of 6 rows; must be skipped with a warning"},
        *({"kind": "unknown_staff", **vars(r.place), "salesperson": r.salesperson,
           "severity": "error (validate) / R25 (run)"}
          for r in registrations if r.input_problem),
        {"kind": "owner_file", "code": "owner_file", "file": f"{MONTH}/收费明细_上半月.xlsx", "sheet": None,
         "owner": OWNER_FILE, "severity": "warning",
         "note": f"{OWNER_FILE} lies beside it: the workbook may be open, unsaved edits are not read"},
        *({"kind": "duplicate_line", "code": "duplicate_line", **d, "severity": "warning",
           "note": f"repeats {d['first']['file']} › {d['first']['sheet']} › {d['first']['row']}: counted once"}
          for d in writer.duplicated_lines)]
    return {
        "about": "Planted content of the sample workspace; generated by tools/gen_workspace.py",
        "command": "python tools/gen_workspace.py samples" + (" --clean" if clean else ""),
        "seed": SEED, "clean": clean, "month": MONTH,
        "violations": violations,
        "counts": dict(sorted(counts.items())),
        "fines_R21_yuan": {sid: EXTRA_CARD_FINE * n for sid, n in sorted(_count_by(
            v["staff_id"] for v in violations if v["code"] == "duplicate_card").items())},
        "flags": [{"code": "large_rebate", "rule": "R17", "name": "大额返款",
                   "partner": LARGE_REBATE_PARTNER,
                   "total_yuan_approx": yuan(totals[LARGE_REBATE_PARTNER]),
                   "note": "the only partner ≥ 5 000; every other partner stays below 4 000 "
                           "even counting all its patients' May lines"},
                  *expected_negative_pay(h, violations)],
        "input_problems": input_problems,
        "adjustments": [{**vars(a.place), "staff_id": a.staff.staff_id, "type": a.kind,
                         "amount": a.amount, "approved_by": a.approved_by, "card_no": a.card_no,
                         "patient_key": a.patient_key, "reason": a.reason, "date": a.on_date,
                         "ref_no": a.ref_no, "reference": a.reference}
                        for a in h.adjustments],
        "new_hire_leavers_R44": [{"staff_id": sid, "name": name, "hired_on": hired, "left_on": left,
                                  "leave_type": kind, "paid": not (kind in (None, "自动离职")
                                                                   and (left - hired).days + 1 <= 7)}
                                 for sid, name, hired, left, kind in NEW_HIRE_LEAVERS],
        "situations": describe_situations(h, registrations),
        "interdept_R42": interdept_entries(h),
        "messy_forms": writer.form_places,
    }


def interdept_entries(h: SampleHospital) -> list[dict]:
    """The planted 科间转诊单 (R42) with the outcome the default rules must give each."""
    out = []
    for slip in sorted(h.notes["interdept"], key=lambda x: x["place"].row):
        out.append({**vars(slip["place"]), "referred_on": slip["referred_on"], "record_no": slip["record_no"],
                    "doctor": slip["doctor"], "from": slip["from"], "to": slip["to"], "outcome": slip["outcome"],
                    "reason": slip["reason"], "reward": "50.00" if slip["outcome"] == "success" else "0.00",
                    "lines": [f"{v} {d} {c} {yuan(f)}" for v, d, c, f, _ in slip["lines"]]})
    return out


def expected_negative_pay(h: SampleHospital, violations: list[dict]) -> list[dict]:
    """R39 负数工资: 取消业绩 (R29) leaves a regular, full-month person with no base (R30 × 0 /
    20 000), no assessment (R33) and no commission, so fines and deductions make pay negative."""
    flags = []
    for cancel in (a for a in h.adjustments if a.kind == "取消业绩"):
        staff = cancel.staff
        assert staff.regular_on <= MAY_FIRST and staff.employed_on(MAY_FIRST) \
            and staff.employed_on(MAY_LAST), "the derivation below assumes a regular full month"
        mine = [v for v in violations if v["staff_id"] == staff.staff_id]
        parts = {
            "late_report": -LATE_REPORT_FINE * sum(v["code"] == "late_report" for v in mine),
            "missing_report": -MISSING_REPORT_FINE * sum(v["code"] == "missing_report" for v in mine),
            "duplicate_card": -EXTRA_CARD_FINE * sum(v["code"] == "duplicate_card" for v in mine),
            **{a.kind: (1 if a.kind in ("奖励", "补发") else -1) * a.amount for a in h.adjustments
               if a.staff is staff and a.kind in ("奖励", "补发", "罚款", "扣发")},
        }
        total = sum(parts.values())
        if total < 0:
            flags.append({"code": "negative_pay", "rule": "R39", "name": "负数工资",
                          "staff_id": staff.staff_id, "total_yuan": f"{total}.00",
                          "note": "取消业绩: base, assessment and commissions are 0; "
                                  + ", ".join(f"{k} {v}" for k, v in parts.items() if v)})
    return flags


def _count_by(items) -> dict:
    out: dict = defaultdict(int)
    for item in items:
        out[item] += 1
    return out


def planted_markdown(doc: dict) -> str:
    """A human-readable PLANTED.md from the same document."""
    out = ["# 示例工作目录里埋下的问题 (planted content of the sample workspace)", "",
           f"Generated by `{doc['command']}` (seed {doc['seed']}); "
           "`planted.json` holds the same facts for tests. Row numbers are Excel rows "
           "(1 = the first row of the sheet, header included; in a CSV, the line number).", "",
           "## Violations in 2024-05 (SPEC §6)", "",
           "| rule | code | 名称 | 工号 | file › sheet › row | 卡号 | 患者标识 | when | note |",
           "|---|---|---|---|---|---|---|---|---|"]
    for v in doc["violations"]:
        where = f"{v['file']} › {v['sheet'] or '-'} › {v['row']}" if v["file"] else "—"
        note = v.get("effect", "") if v.get("effect") == "已确认例外" else (
            f"patient owned by {v['owner']['staff_id']} (row {v['owner']['row']})" if v.get("owner") else (
            f"submitted {v['submitted_at']}" if v.get("submitted_at") else (
                f"业务员 “{v['salesperson']}”" if v["salesperson"] else "")))
        out.append(f"| {v['rule']} | {v['code']} | {v['name']} | {v['staff_id'] or '—'} | {where} "
                   f"| {v['card_no'] or ''} | {v['patient_key'] or ''} | {v['date'] or ''} | {note} |")
    out += ["", "Counts: " + ", ".join(f"{k} {n}" for k, n in doc["counts"].items()) + ".", "",
            "R21 fines (100 per extra card): " + ", ".join(
                f"{k} {n} 元" for k, n in doc["fines_R21_yuan"].items()) + ".", "",
            "## Flags", ""]
    for f in doc["flags"]:
        if f["code"] == "large_rebate":
            out.append(f"- {f['rule']} {f['code']} {f['name']}: {f['partner']}, about "
                       f"{f['total_yuan_approx']} 元 — {f['note']}.")
        else:
            out.append(f"- {f['rule']} {f['code']} {f['name']}: {f['staff_id']}, 应发合计 "
                       f"{f['total_yuan']} 元 — {f['note']}.")
    out += ["", "## Input problems (left out with `--clean`)", ""]
    if not doc["input_problems"]:
        out.append("None: this is the clean variant.")
    for p in doc["input_problems"]:
        if p["kind"] == "unknown_staff":
            out.append(f"- {p['kind']}: {p['file']} › {p['sheet']} › {p['row']} (业务员 “{p['salesperson']}”)")
        else:
            out.append(f"- {p['kind']}: {p['file']} › {p['sheet'] or '-'}" + (f" › {p['row']}" if p.get("row") else "")
                       + f" — {p['note']}")
    out += ["", "## Adjustments (调整_2024-05.xlsx)", "",
            "| row | 工号 | 类型 | 金额 | 批准人 | 卡号 | 日期 | 编号 | 参考 | 事由 |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for a in doc["adjustments"]:
        out.append(f"| {a['row']} | {a['staff_id']} | {a['type']} | {a['amount'] if a['amount'] is not None else ''} "
                   f"| {a['approved_by']} | {a['card_no'] or ''} | {a['date'] or ''} | {a['ref_no'] or ''} "
                   f"| {a['reference'] or ''} | {a['reason']} |")
    out += ["", "## Discipline, 7-day leavers and carried debts (R43–R45, SPEC §11)", "",
            "- R43 早餐 S010 on 05-06, 05-13, 05-20: 3 × −20.00 and discipline_warning 辞退预警 listing the dates.",
            "- R43 上网 (= 私事) S006: −30.00. 不正当手段 S011 金额 5 000 (编号 J1): −10 000.00; "
            "举报奖励 S009 参考 J1: +5 000.00 (50 % of the fine, in 奖励).",
            "- R43 不服从 S002 (主管): −50 % of R30 + R33 + 提成 + R34 (the 奖励/扣款 rows are not in the base).",
            "- R43 晨会缺席 S013 on Saturday 05-11 and Monday 05-13: consecutive working days → "
            "discipline_warning; no money.",
            "- R44 " + "; ".join(
                f"{n['staff_id']} {n['name']} {n['hired_on']}–{n['left_on']} {n['leave_type'] or '(离职类型 empty)'}: "
                + ("paid as R40 says" if n["paid"] else "every line 0.00 (not paid)")
                for n in doc["new_hire_leavers_R44"]) + ".",
            "- R45 S012's negative total (R39) is recorded as 结转至 2024-06 in settlement.json; 2024-04 has "
            "inputs but no settlement, so `run 2024-05` warns that nothing was carried from it."]
    s = doc["situations"]
    out += ["", "## Other situations (not violations)", "",
            f"- May export: {s['may_billing_lines']} lines, {s['may_settled_lines']} settled, "
            f"{s['may_unsettled_lines']} 未结算, {s['may_in_course_lines']} 疗程中; "
            f"{s['may_lines_of_registered_patients']} belong to registered patients; "
            f"{s['may_registrations']} registrations in May "
            f"({s['free_clinic_registrations']} 义诊, {s['prenatal_class_registrations']} 孕妇课, "
            f"{s['network_registrations']} 网络).",
            "- R5 follow-up window: March patients who come back in May (2024-03 folder): " + "; ".join(
                f"{c['patient_key']} first visit {c['first_visit']}, back {c['back_on']} "
                f"(day {c['days_after_first']}, {c['may_lines_beyond_window']} May lines beyond)"
                for c in s["follow_up_window"]) + ". Day 60 is still inside the window.",
            f"- 已离职: {s['departed']['staff_id']} left {s['departed']['left_on']}; "
            f"{s['departed']['may_lines_settled_after_leaving']} May lines of her patients settle "
            f"after that ({s['departed']['amount_yuan']} 元) and credit nobody (a 网络部 share "
            "still counts).",
            f"- 离职日期 before May (SPEC §8.1): {s['departed_before_may']['name']} "
            f"({s['departed_before_may']['staff_id']}) left {s['departed_before_may']['left_on']}; her patient "
            f"registered {s['departed_before_may']['registration']} is discharged on 2024-05-31: "
            f"{s['departed_before_may']['may_lines']} lines, {s['departed_before_may']['amount_yuan']} 元 "
            "to 未归属 (R5); `run` names her with that 业绩 (warning departed_with_lines).",
            "- Refunds settled in May for April visits: " + "; ".join(
                f"{r['file']} row {r['row']}: {r['amount']} (visit {r['visited_at']})"
                for r in s["refunds"]) + " — the first is a number, the second the text `-¥120.00`.",
            f"- An April inpatient ({s['april_visit_settled_in_may']}) is 未结算 in the April export "
            "and 已结算 in May's (counts once, in May).",
            "- 网络部 overlaps (50/50, R4): " + "; ".join(
                f"{o['patient_key']} by {' + '.join(o['staff_ids'])}" for o in s["network_overlaps"]) + ".",
            f"- Two cards for one patient is not R21: {s['two_cards_not_a_violation']['patient_key']} "
            f"holds {', '.join(s['two_cards_not_a_violation']['cards'])}.",
            "- R15 药店 手术卡: " + "; ".join(
                f"{c['staff_id']} card {c['card_no']} ({c['partner']}) "
                f"{c['surgery'] or 'no surgery in May: R17 applies'}" for c in s["pharmacy_surgery_R15"]) + ".",
            f"- R16 企业体检: {s['enterprise_exam_R16']['partner']}, "
            f"{len(s['enterprise_exam_R16']['registrations'])} registrations by "
            f"{s['enterprise_exam_R16']['staff_id']} with 体检 lines.",
            "- R14 劳务工 rows in May: " + "; ".join(
                f"row {r['row']} {r['staff_id']} {r['unit']} 新开发={r['new_unit']} 人数={r['headcount']}"
                for r in s["labour_rows_R14"]) + ".",
            "- R27 edge cases that are NOT violations: S009's report for 2024-05-20 handed in "
            "2024-05-21 07:45 (before 08:00); S005's Saturday 2024-05-18 report handed in on Sunday; "
            "S004 has two reports for 2024-05-15 (the earliest, on time, counts); S002 files a "
            "report for Sunday 2024-05-12 (ignored).",
            "", f"## 科间转诊单 (R42, {MONTH}/科间转诊单_{MONTH}.xlsx)", "",
            "Walk-in outpatients; default rules (50 per success, ≥ 100.00 on both sides, 30-day windows). "
            "Total reward " + f"{50 * sum(e['outcome'] == 'success' for e in doc['interdept_R42'])}.00 元.", "",
            "| row | 转诊日期 | 病历号 | 首诊医生 | 转出 → 转入 | outcome | reason | lines |",
            "|---|---|---|---|---|---|---|---|",
            *(f"| {e['row']} | {e['referred_on']} | {e['record_no']} | {e['doctor']} | {e['from']} → {e['to']} "
              f"| {e['outcome']} | {e['reason'] or ''} | {'; '.join(e['lines']) or '—'} |"
              for e in doc["interdept_R42"]),
            "", "## Messy but valid forms (must read correctly)", "",
            "| file › sheet › row | column | form | written |", "|---|---|---|---|"]
    for m in doc["messy_forms"]:
        written = "" if m["written"] is None else f"`\"{m['written']}\"`" if isinstance(
            m["written"], str) else f"`{m['written']}` (a number)"
        out.append(f"| {m['file']} › {m['sheet'] or '-'} › {m['row']} | {m['column'] or ''} "
                   f"| {m['form']} | {written} |")
    out += ["", "Also: every 卡号, 病历号 and 患者标识 is text (leading zeros kept); the CSV is GBK; "
            "日报 uses English headers (aliases); 王芳 is two people, so every other workbook names "
            "them S004/S005.", ""]
    return "\n".join(out)


def json_default(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(type(value))


def write_sample(root: Path, clean: bool) -> dict:
    h, _ = build_sample()
    writer = WorkspaceWriter(h, root, clean)
    findings = audit_violations(h, writer.registrations)
    check_consistency(h, writer.registrations, findings)
    writer.write_all()
    doc = planted_document(h, writer, findings, clean)
    from gen_appeals import appeals_markdown, plant_appeals   # SPEC §12: the filled-in appeal sheets
    plant_appeals(root, doc, clean)
    (root / "planted.json").write_text(
        json.dumps(doc, ensure_ascii=False, indent=1, default=json_default) + "\n", encoding="utf-8")
    (root / "PLANTED.md").write_text(planted_markdown(doc) + "\n".join(appeals_markdown(doc)) + "\n",
                                     encoding="utf-8")
    return doc


# =============================================================================================
# The hospital-group benchmark month (SPEC §9): columns, numpy, the Rust writer
# =============================================================================================

GROUP_TEAMS = 40
GROUP_LINKED_SHARE = 0.6          # billing lines of registered patients (by 卡号 or 患者标识)
GROUP_WALK_IN_VISITS = 2.5        # billing lines per walk-in patient, on average
GROUP_CHANNELS = {"药店": 18, "诊所": 18, "医院": 8, "工厂": 10, "企业体检": 5, "劳务工": 1,
                  "义诊": 10, "孕妇课": 8, "其他": 22}
GROUP_CATEGORIES = {"门诊": 52, "妇科": 14, "体检": 7, "健康证": 5, "住院": 6, "工伤": 3,
                    "顺产": 2, "剖宫产": 2, "VIP月子套餐": 0.5, "产后康复套餐": 2, "体外碎石": 1.5,
                    "结石住院手术": 1}
GROUP_REFUND_SHARE = 0.004
GROUP_OPEN_SHARE = {UNSETTLED: 0.015, IN_COURSE: 0.3}   # 疗程中: share of course categories
GROUP_REPORT_MISSING = 0.003
GROUP_REPORT_LATE = 0.005
GROUP_WEEKS = ((1, 7), (8, 14), (15, 21), (22, 31))      # 收费明细 split into weekly files
GROUP_REGS_PER_PARTNER = {"药店": 90, "诊所": 90, "医院": 120, "工厂": 60, "企业体检": 120}  # else 400
GROUP_TWO_DOCTORS = 0.6           # share of referring partners with a second contact doctor
MINUTES_PER_DAY = 24 * 60


def _pick(rng, options: dict, size: int) -> np.ndarray:
    """Indices into ``list(options)`` drawn with the dict's weights."""
    weights = np.array(list(options.values()), dtype=float)
    return rng.choice(len(options), size=size, p=weights / weights.sum())


def _group_names(rng, female: np.ndarray) -> np.ndarray:
    """Chinese names (2–4 characters, a few compound surnames), vectorised."""
    n = len(female)
    surnames = np.array(SURNAMES + list(COMPOUND_SURNAMES))
    weights = np.r_[np.full(len(SURNAMES), 0.96 / len(SURNAMES)),
                    np.full(len(COMPOUND_SURNAMES), 0.04 / len(COMPOUND_SURNAMES))]
    surname = surnames[rng.choice(len(surnames), size=n, p=weights)]
    fem, mal = np.array(FEMALE_GIVEN), np.array(MALE_GIVEN)
    first = np.where(female, fem[rng.integers(0, len(fem), n)], mal[rng.integers(0, len(mal), n)])
    second = np.where(female, fem[rng.integers(0, len(fem), n)], mal[rng.integers(0, len(mal), n)])
    second = np.where(rng.random(n) < 0.7, second, "")
    return (pd.Series(surname) + pd.Series(first) + pd.Series(second)).to_numpy()


def _group_patient_keys(rng, n: int, female: np.ndarray) -> np.ndarray:
    """Unique 患者标识: 18-character IDs with a valid check character, or 11-digit mobiles."""
    # unique numbers per patient, spread over the whole space by affine bijections (the
    # multipliers are coprime with the moduli), so birth dates and mobiles look random
    u = rng.permutation(n).astype(np.int64)
    id_space = len(ID_AREAS) * 17000 * 500                   # area × birth day × sequence
    if n > min(id_space, 10**8):
        raise SystemExit(f"too many patients for unique keys: {n:,}")
    v = (u * 48271 + 1234567) % id_space
    area = np.array([int(a) for a in ID_AREAS], dtype=np.int64)[v % len(ID_AREAS)]
    born = (np.datetime64("1958-01-01") + ((v // len(ID_AREAS)) % 17000)).astype("datetime64[D]")
    yyyymmdd = pd.to_datetime(born).strftime("%Y%m%d").astype(np.int64).to_numpy()
    seq = (v // (len(ID_AREAS) * 17000)) % 500 * 2 + np.where(female, 0, 1)   # odd = male
    first17 = area * 10**11 + yyyymmdd * 10**3 + seq
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((first17 // 10 ** (16 - i)) % 10 * w for i, w in enumerate(weights))
    check = np.array(list("10X98765432"))[total % 11]
    ids = pd.Series(first17).astype(str) + pd.Series(check)
    prefixes = np.array([int(p) for p in MOBILE_PREFIXES], dtype=np.int64)
    subscriber = (u * 48271 + 7654321) % 10**8
    mobiles = pd.Series(prefixes[rng.integers(0, len(prefixes), n)] * 10**8 + subscriber).astype(str)
    return np.where(rng.random(n) < 0.3, mobiles, ids)


def group_roster(rng, n_staff: int) -> pd.DataFrame:
    """1 主任, 主管 heading the teams of their own name, 业务员 spread over them, 网络部."""
    n_sup = GROUP_TEAMS if n_staff == GROUP_STAFF else max(1, round(n_staff * 0.08))
    n_net = max(1, round(n_staff * 0.008))
    n_sales = n_staff - 1 - n_sup - n_net
    if n_sales < 1:
        raise SystemExit("--staff is too small for a group (needs at least 4 people)")
    roles = np.array(["主任"] + ["主管"] * n_sup + ["业务员"] * n_sales + ["网络部"] * n_net)
    teams = np.array([f"第{i + 1:02d}组" for i in range(n_sup)])
    team = np.full(n_staff, None, dtype=object)
    team[1:1 + n_sup] = teams
    team[1 + n_sup:1 + n_sup + n_sales] = teams[np.arange(n_sales) % n_sup]
    hired = np.datetime64("2015-01-05") + rng.integers(0, 3300, n_staff)       # up to Jan 2024
    probation = rng.random(n_staff) < 0.04
    hired = np.where(probation, np.datetime64("2024-03-01") + rng.integers(0, 28, n_staff), hired)
    hired = pd.to_datetime(hired.astype("datetime64[D]"))
    rating = np.where(probation & (rng.random(n_staff) < 0.6),
                      rng.choice([0.8, 0.9, 1.0], n_staff), np.nan)
    width = max(4, len(str(n_staff)))
    return pd.DataFrame({
        "工号": [f"S{i + 1:0{width}d}" for i in range(n_staff)],
        "姓名": _group_names(rng, rng.random(n_staff) < 0.55),
        "角色": roles, "小组": team, "入职日期": hired,
        "转正日期": hired + pd.DateOffset(months=3),
        "离职日期": pd.Series(pd.NaT, index=range(n_staff), dtype="datetime64[s]"),
        "基本工资": np.where(rng.random(n_staff) < 0.02, 1800.0, np.nan),
        "试用期考核系数": rating,
    })


def _group_partners(channel: str, n: int) -> np.ndarray:
    """Partner names per channel: district + brand + kind (a few thousand, no loops over rows)."""
    brands = ("仁爱 康宁 福民 华康 济民 同德 惠民 安康 博爱 正康 益民 新华 百姓 海王 大参林 一致 益丰 "
              "万泽 中联 健民 国大 宏达 鸿桥 联兴 恒达 华盛 金源 宝龙 永丰 德昌 华强 创新 美嘉").split()
    kinds = {"药店": "大药房", "诊所": "诊所", "医院": "社区健康服务中心", "工厂": "电子厂",
             "企业体检": "有限公司", "劳务工": "劳务派遣公司"}[channel]
    districts = ("龙华", "民治", "大浪", "观澜", "福城", "观湖", "龙胜", "清湖", "上塘", "松和",
                 "樟坑径", "油松", "景龙", "新牛", "三联", "富康")
    names = [f"{d}{b}{kinds}" + (f"（{k + 1}号店）" if k else "")
             for k in range(1 + n // (len(districts) * len(brands))) for d in districts for b in brands]
    return np.array(names[:n])


def group_registrations(rng, staff: pd.DataFrame, n_reg: int) -> pd.DataFrame:
    """登记表 of the month; one distinct patient per registration (labour rows have none)."""
    role = staff["角色"].to_numpy()
    weight = pd.Series(role).map({"主任": 0.2, "主管": 0.5, "业务员": 1.0, "网络部": 8.0}).to_numpy()
    who = rng.choice(len(staff), size=n_reg, p=weight / weight.sum())
    channels = np.array(list(GROUP_CHANNELS))
    channel = channels[_pick(rng, GROUP_CHANNELS, n_reg)]
    channel = np.where(role[who] == "网络部", "网络", channel)
    labour = channel == "劳务工"
    # 登记时间: 1–28 May (more early in the month, so visits spread evenly), 08:00–18:00
    reg_day = np.floor(28 * rng.random(n_reg) ** 1.4).astype(np.int64)
    minute = reg_day * MINUTES_PER_DAY + 8 * 60 + rng.integers(0, 601, n_reg)
    registered = np.datetime64("2024-05-01T00:00") + minute.astype("timedelta64[m]")
    order = np.argsort(registered, kind="stable")
    who, channel, labour, registered = who[order], channel[order], labour[order], registered[order]
    # 卡类型 and unique 卡号 (8 digits, leading zeros kept as text)
    r = rng.random(n_reg)
    card_type = np.full(n_reg, "医疗卡", dtype=object)
    card_type[np.isin(channel, ["诊所", "医院", "网络"]) & (r < 0.3)] = "转诊单"
    card_type[(channel == "药店") & (r < 0.08)] = "手术卡"
    card_type[np.isin(channel, ["孕妇课", "其他"]) & (r < 0.25)] = "VIP健康卡"
    card_type[labour] = None
    has_card = ~labour & (card_type != "转诊单")
    serial = 100000 + np.cumsum(rng.integers(1, 4, n_reg))
    card_no = np.where(has_card, pd.Series(serial).astype(str).str.zfill(8), None)
    # 合作单位 and its contact for referral and unit channels; the unit for 劳务工
    partner = np.full(n_reg, None, dtype=object)
    referrer = np.full(n_reg, None, dtype=object)
    phone = np.full(n_reg, None, dtype=object)
    # About 15 000 introducers in a 200 000-registration month (issue 26): every pharmacy, clinic
    # and hospital with one or two referring doctors, every factory and company on its own.
    for ch in REFERRAL_CHANNELS + UNIT_CHANNELS + ("劳务工",):
        rows = np.flatnonzero(channel == ch)
        per = GROUP_REGS_PER_PARTNER.get(ch, 400)
        pool = _group_partners(ch, max(50, n_reg // per))
        pick = rng.integers(0, len(pool), len(rows))
        partner[rows] = pool[pick]
        if ch in REFERRAL_CHANNELS:     # contacts always filled (no R24)
            # doctor 0 of every partner, doctor 1 of GROUP_TWO_DOCTORS of them
            contacts = _group_names(np.random.default_rng(SEED + len(ch)), np.ones(2 * len(pool), bool))
            numbers = pd.Series(13800000000 + np.arange(2 * len(pool)) * 7919 % 10**8).astype(str).to_numpy()
            two = np.random.default_rng(SEED + 2 * len(ch)).random(len(pool)) < GROUP_TWO_DOCTORS
            doctor = pick * 2 + (two[pick] & (rng.random(len(rows)) < 0.5))
            referrer[rows] = contacts[doctor]
            phone[rows] = numbers[doctor]
    new_unit = np.where(labour, np.where(rng.random(n_reg) < 0.3, "是", "否"), None)
    headcount = np.where(labour, rng.integers(5, 81, n_reg), np.nan)
    team = staff["小组"].to_numpy()[who]
    clinic_team = np.where(channel == "义诊", team, None)
    return pd.DataFrame({
        "登记时间": registered.astype("datetime64[s]"), "业务员": staff["工号"].to_numpy()[who],
        "卡号": card_no, "卡类型": card_type, "渠道": channel, "合作单位": partner,
        "转诊医生": referrer, "联系电话": phone,
        "区域": np.array(AREAS)[rng.integers(0, len(AREAS), n_reg)],
        "新开发": new_unit, "人数": headcount, "义诊小组": clinic_team,
    })


def group_billing(rng, regs: pd.DataFrame, n_lines: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """收费明细 lines of May (visits after 登记时间 + 1 h) and the patients' key columns."""
    patient_reg = np.flatnonzero(regs["渠道"].to_numpy() != "劳务工")
    n_linked = int(n_lines * GROUP_LINKED_SHARE)
    n_walk_lines = n_lines - n_linked
    n_walk = max(1, int(n_walk_lines / GROUP_WALK_IN_VISITS))
    n_patients = len(patient_reg) + n_walk
    female = rng.random(n_patients) < 0.62
    patients = pd.DataFrame({
        "患者姓名": _group_names(rng, female),
        "患者标识": _group_patient_keys(rng, n_patients, female),
        "病历号": pd.Series(rng.permutation(n_patients) + 10000).astype(str).str.zfill(7).to_numpy(),
    })
    regs.loc[patient_reg, "患者姓名"] = patients["患者姓名"].to_numpy()[:len(patient_reg)]
    regs.loc[patient_reg, "患者标识"] = patients["患者标识"].to_numpy()[:len(patient_reg)]

    # who and when: linked lines after their registration, walk-ins any day
    linked_patient = rng.integers(0, len(patient_reg), n_linked)
    reg_row = patient_reg[linked_patient]
    reg_minute = ((regs["登记时间"].to_numpy()[reg_row] - np.datetime64("2024-05-01T00:00"))
                  .astype("timedelta64[m]").astype(np.int64))
    reg_day, reg_tod = reg_minute // MINUTES_PER_DAY, reg_minute % MINUTES_PER_DAY
    day = reg_day + np.floor(rng.random(n_linked) ** 1.6 * (31 - reg_day)).astype(np.int64)
    tod = 8 * 60 + rng.integers(0, 571, n_linked)
    tod = np.where(day == reg_day, np.maximum(tod, reg_tod + 60 + rng.integers(0, 120, n_linked)), tod)
    walk_patient = len(patient_reg) + rng.integers(0, n_walk, n_walk_lines)
    patient = np.r_[linked_patient, walk_patient]
    day = np.r_[day, rng.integers(0, 31, n_walk_lines)]
    tod = np.r_[tod, 8 * 60 + rng.integers(0, 571, n_walk_lines)]
    card = np.r_[np.where(rng.random(n_linked) < 0.85, regs["卡号"].to_numpy()[reg_row], None),
                 np.full(n_walk_lines, None, dtype=object)]

    # what: 项目类别 (female-only ones to women), 科室, 金额
    categories = np.array(list(GROUP_CATEGORIES))
    code = _pick(rng, GROUP_CATEGORIES, n_lines)                 # index into categories
    female_only = np.isin(categories, FEMALE_ONLY)
    code = np.where(~female[patient] & female_only[code], list(GROUP_CATEGORIES).index("门诊"), code)
    category = categories[code]
    lo = np.array([AMOUNT_RANGE[c][0] for c in categories])[code]
    hi = np.array([AMOUNT_RANGE[c][1] for c in categories])[code]
    fen = np.round((lo + rng.random(n_lines) * (hi - lo)) * 10).astype(np.int64) * 10
    refund = rng.random(n_lines) < GROUP_REFUND_SHARE
    fen = np.where(refund, -(fen * rng.uniform(0.1, 0.5, n_lines) // 10 * 10 + 10), fen)
    department = np.empty(n_lines, dtype=object)
    stay = np.zeros(n_lines, dtype=np.int64)          # days to discharge (0: settled same day)
    for i, c in enumerate(categories):                # a loop over 12 categories, not rows
        rows = np.flatnonzero(code == i)
        names = np.array(DEPARTMENTS[c])
        department[rows] = names[rng.integers(0, len(names), len(rows))]
        if c in INPATIENT_STAY_DAYS:
            a, b = INPATIENT_STAY_DAYS[c]
            stay[rows] = rng.integers(a, b + 1, len(rows))

    # when settled: stays at discharge, courses sometimes 疗程中, a few left open
    settled_day = day + stay
    status = np.full(n_lines, SETTLED, dtype=object)
    status[settled_day > 30] = UNSETTLED
    status[rng.random(n_lines) < GROUP_OPEN_SHARE[UNSETTLED]] = UNSETTLED
    status[np.isin(category, COURSE_CATEGORIES)
           & (rng.random(n_lines) < GROUP_OPEN_SHARE[IN_COURSE])] = IN_COURSE
    status[refund] = SETTLED
    visited = (np.datetime64("2024-05-01T00:00")
               + (day * MINUTES_PER_DAY + tod).astype("timedelta64[m]")).astype("datetime64[s]")
    settled_on = np.where(status == SETTLED,
                          np.datetime64("2024-05-01") + np.minimum(settled_day, 30),
                          np.datetime64("NaT")).astype("datetime64[s]")
    lines = pd.DataFrame({
        "就诊时间": visited, "结算日期": settled_on, "结算状态": status,
        "病历号": patients["病历号"].to_numpy()[patient],
        "患者姓名": patients["患者姓名"].to_numpy()[patient],
        "患者标识": patients["患者标识"].to_numpy()[patient],
        "卡号": card, "科室": department, "项目类别": category, "金额": fen / 100,
    })
    return lines.sort_values("就诊时间", kind="stable", ignore_index=True), patients


def group_reports(rng, staff: pd.DataFrame) -> pd.DataFrame:
    """日报: every working day of every 业务员 and 主管, a few late and missing (R27)."""
    who = np.flatnonzero(staff["角色"].isin(["业务员", "主管"]).to_numpy())
    days = np.array(working_days(MAY_FIRST, MAY_LAST), dtype="datetime64[D]")
    person, day = np.repeat(who, len(days)), np.tile(days, len(who))
    keep = rng.random(len(person)) >= GROUP_REPORT_MISSING
    person, day = person[keep], day[keep]
    submitted = (day + np.timedelta64(18 * 60, "m")
                 + rng.integers(0, 241, len(day)).astype("timedelta64[m]"))
    # a late one comes two days later, 09:00–11:00: after 08:00 of the next working day even
    # for a Saturday (whose next working day is the Monday)
    late = rng.random(len(day)) < GROUP_REPORT_LATE
    late_at = ((day + 2).astype("datetime64[m]") + np.timedelta64(9 * 60, "m")
               + rng.integers(0, 121, len(day)).astype("timedelta64[m]"))
    submitted = np.where(late, late_at, submitted)
    content = np.array(["拜访合作单位，发放宣传册", "回访转诊患者", "社区健康讲座", "整理登记资料"])
    return pd.DataFrame(dict(zip(REPORT_HEADERS, (
        staff["工号"].to_numpy()[person], day.astype("datetime64[s]"),
        submitted.astype("datetime64[s]"), rng.integers(2, 10, len(day)),
        content[rng.integers(0, len(content), len(day))]))))


def group_adjustments(staff: pd.DataFrame) -> pd.DataFrame:
    sales = staff.loc[staff["角色"] == "业务员", ["工号", "姓名"]].head(6).to_numpy()
    kinds = [("奖励", 500, "月度转诊量前十"), ("罚款", 200, "违反登记制度"), ("补发", 300, "上月提成漏算"),
             ("扣发", 150, "借支扣回"), ("扣业绩", 20, "撞单扣当月业绩20%"), ("奖励", 800, "新开发合作单位")]
    return pd.DataFrame([{"工号": sid, "业务员": name, "类型": k, "金额": float(a), "事由": why,
                          "批准人": "院长", "卡号": None, "患者标识": None}
                         for (sid, name), (k, a, why) in zip(sales, kinds)])


def _write_frame(frame: pd.DataFrame, path: Path, sheet: str, date_columns=()) -> None:
    date_format = rustpy_xlsxwriter.Format().set_num_format("yyyy-mm-dd")
    rustpy_xlsxwriter.write_worksheet(
        frame, str(path), sheet_name=sheet, datetime_format="yyyy-mm-dd hh:mm",
        column_formats={c: date_format for c in date_columns} or None, freeze_row=1,
        bold_headers=True)


def write_group(root: Path, n_lines: int, n_staff: int) -> str:
    """The benchmark month: 500 staff, 200 000 registrations, 1 000 000 billing lines."""
    rng = np.random.default_rng(SEED)
    month_dir = root / MONTH
    month_dir.mkdir(parents=True, exist_ok=True)
    for stale in month_dir.iterdir():
        if stale.is_file() and stale.name.startswith(("登记表", "收费明细", "日报", "调整")):
            stale.unlink()
    (root / "settle.yaml").write_text(SETTLE_YAML, encoding="utf-8")
    staff = group_roster(rng, n_staff)
    regs = group_registrations(rng, staff, max(1, n_lines // 5))
    lines, patients = group_billing(rng, regs, n_lines)
    regs = regs[REGISTRATION_HEADERS]
    reports = group_reports(rng, staff)

    _write_frame(staff, root / "staff.xlsx", "人员名单", ("入职日期", "转正日期", "离职日期"))
    _write_frame(regs, month_dir / f"登记表_{MONTH}.xlsx", "登记表")
    visit_day = lines["就诊时间"].dt.day.to_numpy()
    jobs = []
    for week, (a, b) in enumerate(GROUP_WEEKS, start=1):
        part = lines[(visit_day >= a) & (visit_day <= b)]
        jobs.append((part, month_dir / f"收费明细_第{week}周.xlsx"))
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        list(pool.map(lambda job: _write_frame(job[0], job[1], "Sheet1", ("结算日期",)), jobs))
    _write_frame(reports, month_dir / f"日报_{MONTH}.xlsx", "日报", ("日期",))
    _write_frame(group_adjustments(staff), month_dir / f"调整_{MONTH}.xlsx", "调整")
    size = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    linked = lines["患者标识"].isin(regs["患者标识"].dropna()).mean()
    return (f"wrote {root}: {len(staff)} staff, {len(regs):,} registrations, {len(lines):,} billing "
            f"lines in {len(jobs)} weekly files ({linked:.0%} of registered patients'), "
            f"{len(reports):,} daily reports; {size / 2**20:.1f} MiB")

# =============================================================================================
# Command line
# =============================================================================================

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="gen_workspace.py", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  python tools/gen_workspace.py samples\n"
               "  python tools/gen_workspace.py /tmp/ws --clean\n"
               "  python tools/gen_workspace.py /tmp/bench --scale group --lines 20000")
    parser.add_argument("directory", type=Path, help="workspace folder to write (created if needed)")
    parser.add_argument("--clean", action="store_true",
                        help="sample: leave out the planted input problems (hidden sheet, "
                             "unknown staff); the group scale is always clean")
    parser.add_argument("--scale", choices=("sample", "group"), default="sample",
                        help="sample: the 15-person hospital; group: the benchmark month")
    parser.add_argument("--lines", type=int, default=GROUP_LINES,
                        help=f"group scale: billing lines (default {GROUP_LINES:,})")
    parser.add_argument("--staff", type=int, default=GROUP_STAFF,
                        help=f"group scale: people on the roster (default {GROUP_STAFF})")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.scale == "group":
        summary = write_group(args.directory, args.lines, args.staff)
        print(summary)
    else:
        doc = write_sample(args.directory, args.clean)
        counts = ", ".join(f"{k} {n}" for k, n in doc["counts"].items())
        print(f"wrote {args.directory} ({'clean' if args.clean else 'with input problems'}): "
              f"{doc['situations']['may_billing_lines']} May billing lines; {counts}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
