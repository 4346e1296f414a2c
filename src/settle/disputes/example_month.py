"""The tiny synthetic month `settle rules doc` settles to compute every worked example (SPEC §12):
the same pipeline as `settle run`, on rows made from the policy itself, so an example can never
drift from what is paid.

July (so R31's 高温补贴 applies), four people: S1 a regular 业务员 with one line per commission
stream (a tiered stream's line lands in its second bracket), a partner's patient (R17 返款), a
contract-worker registration (R14) and a third card for one patient (R21); S2 a 业务员 in
probation (R33 × 试用期考核系数) with one late and one missing daily report (R27) and an
早餐 row (R43); M1 their 主管 (R34); D1 the 主任 (R30, R35).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from settle.rules import schema as P

MONTH = "2024-07"
Y, M = 2024, 7
# The example month's own data, in the document's language (an English document holds no Chinese
# but the policy's own values).
WORDS = {"zh": {"S1": "示例甲", "S2": "示例乙", "M1": "示例丙", "D1": "示例丁", "team": "示例组", "partner": "示例诊所",
                "doctor": "示例医生", "unit": "示例工厂", "p1": "患者甲", "p2": "患者乙", "p3": "患者丙", "p4": "患者丁",
                "dept": "示例科", "company": "示例体检企业", "pharmacy": "示例药店", "p5": "患者戊", "p6": "患者己", "breakfast": "上班时间在外就餐", "reward": "示例奖励", "report": "示例"},
         "en": {"S1": "Alice", "S2": "Bob", "M1": "Carol", "D1": "Dave", "team": "Team A", "partner": "Example Clinic",
                "doctor": "Dr Example", "unit": "Example Works", "p1": "Pat One", "p2": "Pat Two", "p3": "Pat Three",
                "p4": "Pat Four", "dept": "Example Dept", "company": "Example Corp", "pharmacy": "Example Pharmacy",
                "p5": "Pat Five", "p6": "Pat Six", "breakfast": "breakfast out", "reward": "example reward",
                "report": "example"}}


def partner(rebate, lang: str = "zh") -> str | None:
    """The example partner whose 返款 shows `rebate`: the pharmacy's surgery card (R15), the
    company's check-up (R16), the clinic's patient (R17); None when the month has no such row."""
    w = WORDS["zh" if lang == "zh" else "en"]
    if isinstance(rebate, P.SurgeryRebate):
        return w["pharmacy"] if "药店" in rebate.match.channels else None
    channels = rebate.match.channels
    return w["partner"] if "诊所" in channels else w["company"] if "企业体检" in channels else None
STAFF_HEADERS = ["工号", "姓名", "角色", "小组", "入职日期", "转正日期", "离职日期", "基本工资", "试用期考核系数"]
REG_HEADERS = ["登记时间", "业务员", "卡号", "卡类型", "患者姓名", "患者标识", "渠道", "合作单位", "转诊医生", "联系电话",
               "新开发", "人数"]
BILL_HEADERS = ["就诊时间", "结算日期", "结算状态", "病历号", "患者姓名", "患者标识", "卡号", "科室", "项目类别", "金额"]
DAILY_HEADERS = ["业务员", "日期", "提交时间", "拜访数", "内容"]
ADJ_HEADERS = ["工号", "类型", "金额", "事由", "批准人", "日期"]
# Who each example is read from: rule entries name (person, payslip component).
EXAMPLE_PERSON = {"业务员": "S1", "主管": "M1", "主任": "D1"}


def stream_line(s: P.Stream, taken: set[str]) -> tuple[str, Decimal] | None:
    """(项目类别, 金额) of one line that falls into stream `s`, or None when only channels or card
    types select it (no line of the example patient can)."""
    m = s.match
    if m.channels or m.card_types or m.streams:
        return None
    category = m.categories[0] if m.categories else next(c for c in ("门诊", "检验", "其他诊疗") if c not in taken)
    c = s.commission
    if isinstance(c, P.TieredCommission):
        t = c.tiers[1] if len(c.tiers) > 1 else c.tiers[0]
        upper = t.upper if t.upper is not None else t.lower + 10000
        amount = (t.lower + upper) / 2
    elif isinstance(c, P.PerCase):
        category = next((k for k in m.categories if k in c.amounts), category)
        amount = Decimal(5000)
    else:
        amount = Decimal(1000)
    return category, amount


def rows(policy: P.Policy, lang: str = "zh") -> dict[str, list[dict]]:
    """Every input row of the example month, keyed by input kind."""
    w = WORDS["zh" if lang == "zh" else "en"]
    day = lambda d, h=10, mi=0: dt.datetime(Y, M, d, h, mi)  # noqa: E731
    staff = [
        {"工号": "S1", "姓名": w["S1"], "角色": "业务员", "小组": w["team"], "入职日期": dt.date(2023, 1, 2),
         "转正日期": dt.date(2023, 4, 1)},
        {"工号": "S2", "姓名": w["S2"], "角色": "业务员", "小组": w["team"], "入职日期": dt.date(2024, 6, 3),
         "试用期考核系数": 0.8},
        {"工号": "M1", "姓名": w["M1"], "角色": "主管", "小组": w["team"], "入职日期": dt.date(2022, 1, 3),
         "转正日期": dt.date(2022, 4, 1)},
        {"工号": "D1", "姓名": w["D1"], "角色": "主任", "入职日期": dt.date(2020, 1, 2), "转正日期": dt.date(2020, 4, 1)},
    ]
    regs = [{"登记时间": day(1, 8), "业务员": "S1", "患者姓名": w["p1"], "患者标识": "EX0001", "渠道": "其他"},
            {"登记时间": day(1, 8, 5), "业务员": "S2", "患者姓名": w["p2"], "患者标识": "EX0002", "渠道": "其他"},
            {"登记时间": day(1, 8, 10), "业务员": "S1", "患者姓名": w["p3"], "患者标识": "EX0003", "渠道": "诊所",
             "合作单位": w["partner"], "转诊医生": w["doctor"], "联系电话": "13800000000"},
            {"登记时间": day(1, 8, 15), "业务员": "S1", "患者姓名": w["unit"], "患者标识": "EX0009", "渠道": "劳务工",
             "合作单位": w["unit"], "新开发": "否", "人数": 10}]
    # R16 a company's check-up, R15 a pharmacy's surgery card: S2's, so S1's examples stay as they are
    regs += [{"登记时间": day(1, 8, 20), "业务员": "S2", "患者姓名": w["p5"], "患者标识": "EX0005", "渠道": "企业体检",
              "合作单位": w["company"]},
             {"登记时间": day(1, 8, 25), "业务员": "S2", "卡号": "EXS001", "卡类型": "手术卡", "患者姓名": w["p6"],
              "患者标识": "EX0006", "渠道": "药店", "合作单位": w["pharmacy"], "转诊医生": w["doctor"],
              "联系电话": "13900000000"}]
    for n in range(policy.violations.max_cards_per_patient + 1):   # R21: one card more than allowed
        regs.append({"登记时间": day(2, 9, n), "业务员": "S1", "卡号": f"EXC{n:03d}", "卡类型": "医疗卡",
                     "患者姓名": w["p4"], "患者标识": "EX0004", "渠道": "其他"})
    billing, taken, record = [], set(), 900000
    for i, s in enumerate(policy.streams):
        got = stream_line(s, taken)
        if got is None:
            continue
        category, amount = got
        taken.add(category)
        record += 1
        billing.append(_bill(day(3 + i), f"{record:07d}", w["p1"], "EX0001", category, amount, w["dept"]))
    billing.append(_bill(day(12), "0900090", w["p2"], "EX0002", "门诊", Decimal(8000), w["dept"]))
    billing.append(_bill(day(13), "0900091", w["p3"], "EX0003", "门诊", Decimal(2000), w["dept"]))
    billing.append(_bill(day(14), "0900092", w["p5"], "EX0005", "体检", Decimal(1000), w["dept"]))
    surgery = next((c for r in policy.rebates if isinstance(r, P.SurgeryRebate) for c in r.surgery_categories), None)
    if surgery:
        billing.append(_bill(day(15), "0900093", w["p6"], "EX0006", surgery, Decimal(6000), w["dept"]))
    daily = _reports(policy, w["report"])
    adjust = [{"工号": "S2", "类型": "早餐", "事由": w["breakfast"], "批准人": w["D1"], "日期": dt.date(Y, M, 9)},
              {"工号": "S1", "类型": "奖励", "金额": 200, "事由": w["reward"], "批准人": w["D1"]}]
    return {"staff": staff, "regs": regs, "billing": billing, "daily": daily, "adjust": adjust}


def _bill(at: dt.datetime, record: str, name: str, key: str, category: str, amount: Decimal, dept: str) -> dict:
    return {"就诊时间": at, "结算日期": at.date(), "结算状态": "已结算", "病历号": record, "患者姓名": name,
            "患者标识": key, "科室": dept, "项目类别": category, "金额": float(amount)}


def _reports(policy: P.Policy, text: str) -> list[dict]:
    """A report for every working day, on time, except S2's: one late (R27), one missing."""
    out = []
    weekdays = policy.violations.working_weekdays
    working = [d for d in range(1, 32) if dt.date(Y, M, d).isoweekday() in weekdays]
    late, missing = working[2], working[4]
    for sid in ("S1", "S2", "M1"):
        for d in working:
            if sid == "S2" and d == missing:
                continue
            at = dt.datetime(Y, M, d, 18)
            if sid == "S2" and d == late:
                at = dt.datetime(Y, M, d, 18) + dt.timedelta(days=3)
            out.append({"业务员": sid, "日期": dt.date(Y, M, d), "提交时间": at, "拜访数": 5, "内容": text})
    return out


def write_workspace(root: Path, policy: P.Policy, lang: str = "zh") -> Path:
    """The example month as a workspace folder (its rules come from the caller: --rules)."""
    import xlsxwriter

    data = rows(policy, lang)
    root.mkdir(parents=True, exist_ok=True)
    (root / "settle.yaml").write_text("", encoding="utf-8")
    folder = root / MONTH
    folder.mkdir(exist_ok=True)
    for path, headers, items in ((root / "staff.xlsx", STAFF_HEADERS, data["staff"]),
                                 (folder / "登记表.xlsx", REG_HEADERS, data["regs"]),
                                 (folder / "收费明细.xlsx", BILL_HEADERS, data["billing"]),
                                 (folder / "日报.xlsx", DAILY_HEADERS, data["daily"]),
                                 (folder / "调整.xlsx", ADJ_HEADERS, data["adjust"])):
        wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                             "strings_to_numbers": False})
        ws = wb.add_worksheet("Sheet1")
        stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        date = wb.add_format({"num_format": "yyyy-mm-dd"})
        ws.write_row(0, 0, headers)
        for r, item in enumerate(items, start=1):
            for c, h in enumerate(headers):
                v = item.get(h)
                if isinstance(v, dt.datetime):
                    ws.write_datetime(r, c, v, stamp)
                elif isinstance(v, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), date)
                elif isinstance(v, (int, float)):
                    ws.write_number(r, c, v)
                elif v is not None:
                    ws.write_string(r, c, str(v))
        wb.close()
    return root
