"""Tiny workspaces built inside tests: a roster, a month's registrations, billing, reports.

Rows are dicts keyed by the Chinese headers of SPEC §3. By default every 业务员/主管 hands in
every daily report on time, so a rule test sees only the figures it is about.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from settle.load.workspace import Month

STAFF_HEADERS = ["工号", "姓名", "角色", "小组", "入职日期", "转正日期", "离职日期", "基本工资", "试用期考核系数"]
REG_HEADERS = ["登记时间", "业务员", "卡号", "卡类型", "患者姓名", "患者标识", "渠道", "合作单位", "转诊医生", "联系电话",
               "区域", "新开发", "人数", "义诊小组"]
BILL_HEADERS = ["就诊时间", "结算日期", "结算状态", "病历号", "患者姓名", "患者标识", "卡号", "科室", "项目类别", "金额"]
DAILY_HEADERS = ["业务员", "日期", "提交时间", "拜访数", "内容"]
ADJ_HEADERS = ["工号", "业务员", "类型", "金额", "事由", "批准人", "卡号", "患者标识"]


class Formula(str):
    """A cell value written as a real formula (without a cached value, as openpyxl writes it)."""


def write_xlsx(path: Path, headers: list[str], rows: list[dict], *, sheet: str = "Sheet1",
               title: str | None = None) -> Path:
    """Write rows; a string starting with '=' is written as TEXT unless it is a Formula."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h) for h in headers])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("=") and not isinstance(
                    r.get(headers[cell.column - 1]), Formula):
                cell.data_type = "s"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def person(sid, name, role="业务员", team="一组", hired=dt.date(2023, 1, 1), regular=None, left=None, base=None,
           rating=None) -> dict:
    return {"工号": sid, "姓名": name, "角色": role, "小组": team if role in ("业务员", "主管") else None,
            "入职日期": hired, "转正日期": regular, "离职日期": left, "基本工资": base, "试用期考核系数": rating}


def reg(at, who, key, *, card=None, card_type="医疗卡", name="张三", channel="其他", partner=None, referrer=None,
        phone=None, new=None, heads=None, clinic=None) -> dict:
    return {"登记时间": at, "业务员": who, "卡号": card, "卡类型": card_type if card or card_type == "转诊单" else None,
            "患者姓名": name, "患者标识": key, "渠道": channel, "合作单位": partner, "转诊医生": referrer,
            "联系电话": phone, "新开发": new, "人数": heads, "义诊小组": clinic}


_record = [1000]


def bill(visited, amount, key, *, category="门诊", settled=None, status="已结算", card=None, name="张三",
         dept="内科", record=None) -> dict:
    if record is None:
        _record[0] += 1
        record = f"{_record[0]:07d}"
    if settled is None and status == "已结算":
        settled = visited.date() if isinstance(visited, dt.datetime) else visited
    return {"就诊时间": visited, "结算日期": settled, "结算状态": status, "病历号": record, "患者姓名": name,
            "患者标识": key, "卡号": card, "科室": dept, "项目类别": category, "金额": amount}


class Workspace:
    """Build a workspace folder: ws.staff([...]); ws.month('2024-05', regs=[...], billing=[...])."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.people: list[dict] = []

    def staff(self, people: list[dict]) -> "Workspace":
        self.people = people
        write_xlsx(self.root / "staff.xlsx", STAFF_HEADERS, people, sheet="人员名单")
        return self

    def month(self, month: str, *, regs=(), billing=(), daily="auto", adjust=(), late=None, missing=None) -> Path:
        folder = self.root / month
        folder.mkdir(parents=True, exist_ok=True)
        write_xlsx(folder / "登记表.xlsx", REG_HEADERS, list(regs))
        write_xlsx(folder / "收费明细.xlsx", BILL_HEADERS, list(billing))
        if daily == "auto":
            daily = auto_reports(self.people, Month.parse(month), late=late or {}, missing=missing or {})
        write_xlsx(folder / "日报.xlsx", DAILY_HEADERS, list(daily))
        if adjust:
            write_xlsx(folder / "调整.xlsx", ADJ_HEADERS, list(adjust))
        return folder


def auto_reports(people: list[dict], month: Month, *, late=None, missing=None) -> list[dict]:
    """A report for every Monday–Saturday while employed, handed in at 18:00 the same day.
    `late`/`missing`: {工号: [day, …]} to plant R27 cases."""
    late, missing = late or {}, missing or {}
    rows = []
    for p in people:
        if p["角色"] not in ("业务员", "主管"):
            continue
        for i in range(month.days):
            d = month.first_day + dt.timedelta(days=i)
            if d.isoweekday() == 7:
                continue
            if d < p["入职日期"] or (p.get("离职日期") and d > p["离职日期"]):
                continue
            if d in missing.get(p["工号"], ()):
                continue
            at = dt.datetime.combine(d, dt.time(18, 0))
            if d in late.get(p["工号"], ()):
                at = dt.datetime.combine(d + dt.timedelta(days=2), dt.time(9, 0))
            rows.append({"业务员": p["工号"], "日期": d, "提交时间": at, "拜访数": 5, "内容": "拜访诊所"})
    return rows


def team(*extra) -> list[dict]:
    """S1, S2: regular 业务员 of 一组; N1: 网络部."""
    return [person("S1", "王芳"), person("S2", "李娜"), person("N1", "网络甲", role="网络部", team=None), *extra]


def monthly(month: str, day: int, amounts: dict[str, float]) -> dict:
    """One registration (day − 5) and one settled line (day) per 工号 in `amounts`."""
    y, m = (int(x) for x in month.split("-"))
    regs, billing = [], []
    for sid, amount in amounts.items():
        key = f"{sid}-{month}"
        regs.append(reg(dt.datetime(y, m, day - 5, 9), sid, key))
        billing.append(bill(dt.datetime(y, m, day, 10), amount, key))
    return {"regs": regs, "billing": billing}


def load_month(root: Path, month: Month = Month(2024, 5)):
    """(inputs, problems) of a workspace's month, read as `run` reads it, computing nothing."""
    from settle.load.inputs import load_inputs
    from settle.load.workspace import Workspace as WS
    from settle.problems import Problems
    problems = Problems()
    inputs = load_inputs(WS.open(root, problems), month, problems)
    return inputs, problems
