"""Property tests (Hypothesis) over random small months: the 核对 identities (SPEC §7, R37),
invariance under row order and under splitting the billing export (§2, §4), and rounding (R37).

Each example is one small workspace — a roster with a 主任, a 主管, 1–3 业务员 and a 网络部,
April and May registrations (cards, channels, partners, 劳务工, 义诊, unknown names), April and
May billing (statuses, refunds, every stream's 项目类别, unregistered cards, walk-ins), May daily
reports with late/missing days and random adjustments — generated as plain rows, written once
with openpyxl, then settled in-process with `pipeline.load` + `compute` (no output files).

Ties are avoided on purpose, since the SPEC breaks them by file/row order: every 登记时间 is
distinct and every billing amount is distinct (R15 picks the largest surgery line).

`PROPERTY_EXAMPLES=50 pytest tests/test_properties.py` runs more examples than the default;
`PROPERTY_SHRINK=1` lets Hypothesis shrink a failure to a minimal month (slow: minutes).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from builders import (ADJ_HEADERS, BILL_HEADERS, DAILY_HEADERS, REG_HEADERS, STAFF_HEADERS, auto_reports, person,
                      write_xlsx)
from settle.engine.money import U
from settle.engine.model import PayLine
from settle.engine.pipeline import blocking, compute, load
from settle.problems import Problems
from settle.output.render import REASON_ORDER, SUMMARY_COLUMNS, reconciliation, summary_rows, write_summary
from settle.output.result import settlement_json
from settle.load.workspace import Month

MAY = Month.parse("2024-05")
CENT = Decimal("0.01")
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "0")) or None
# Each example writes and settles a workspace (~0.5 s), so shrinking a failure takes minutes:
# it is off unless PROPERTY_SHRINK=1 (then Hypothesis prints a minimal example).
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if os.environ.get("PROPERTY_SHRINK") else [])


def examples(n: int):
    return settings(max_examples=EXAMPLES or n, deadline=None, phases=PHASES,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- the generated month ---------------------------------------------------------------------------

DAY0 = dt.date(2024, 4, 1)
KEYS = {f"1390000000{i}": name for i, name in enumerate(["张三", "李四", "王五", "赵六", "欧阳娜娜"], start=1)}
WALK_IN = {"13911112222": "路人乙"}
CARDS = ["C001", "C002", "C003", "C004", "C005"]
PARTNERS = ["康宁诊所", "大参林药房", "人民医院", "华强电子", "富士康工厂"]
CHANNELS = ["药店", "诊所", "医院", "工厂", "企业体检", "劳务工", "义诊", "孕妇课", "网络", "其他"]
CATEGORIES = ["门诊", "住院", "妇科", "顺产", "剖宫产", "VIP月子套餐", "产后康复套餐", "体外碎石", "结石住院手术",
              "工伤", "健康证", "体检"]
SALES = [("S01", "王芳", "一组"), ("S02", "赵敏", "二组"), ("S03", "钱多", "一组")]


@dataclass
class MonthData:
    staff: list[dict]
    regs_apr: list[dict]
    regs_may: list[dict]
    bill_apr: list[dict]
    bill_may: list[dict]
    daily: list[dict]
    adjust: list[dict] = field(default_factory=list)

    def counting_fen(self) -> tuple[int, int]:
        """R1 worked out from the generated rows: (count, fen) of May's 已结算 lines settled in May."""
        rows = [b for b in self.bill_may
                if b["结算状态"] == "已结算" and b["结算日期"] and MAY.first_day <= b["结算日期"] <= MAY.last_day]
        return len(rows), sum(b["_fen"] for b in rows)


def _at(day: int, slot: int) -> dt.datetime:
    """Day offset from 1 April, slot of 10 minutes from 08:00."""
    return dt.datetime.combine(DAY0 + dt.timedelta(days=day), dt.time(8, 0)) + dt.timedelta(minutes=10 * slot)


@st.composite
def staff_rows(draw) -> list[dict]:
    hired = st.sampled_from([dt.date(2023, 1, 1), dt.date(2023, 1, 1), dt.date(2024, 3, 20), dt.date(2024, 5, 13)])
    left = st.sampled_from([None, None, None, dt.date(2024, 5, 20), dt.date(2024, 4, 25)])
    rating = st.sampled_from([None, None, "80%", 0.9])
    base = st.sampled_from([None, None, None, 1800])
    def dates():
        h, l_ = draw(hired), draw(left)
        return {"hired": h, "left": l_ if l_ is None or l_ >= h else None}

    rows = [person("D01", "张主任", role="主任", team=None,
                   hired=draw(st.sampled_from([dt.date(2023, 1, 1), dt.date(2024, 5, 6)]))),
            person("M01", "李主管", role="主管", team="一组", base=draw(base), **dates()),
            person("N01", "网络甲", role="网络部", team=None)]
    for sid, name, team in SALES[:draw(st.integers(1, 3))]:
        rows.append(person(sid, name, team=draw(st.sampled_from([team, "一组", "二组"])), rating=draw(rating),
                           base=draw(base), **dates()))
    return rows


@st.composite
def registration(draw, who: list[str]) -> dict:
    day, slot = draw(st.integers(0, 60)), draw(st.integers(0, 60))
    channel = draw(st.sampled_from(CHANNELS))
    row = {h: None for h in REG_HEADERS}
    row.update({"_t": (day, slot), "登记时间": _at(day, slot), "业务员": draw(st.sampled_from(who)), "渠道": channel})
    if channel == "劳务工":
        row.update({"合作单位": draw(st.sampled_from(["龙华劳务", "恒通派遣"])),
                    "新开发": draw(st.sampled_from(["是", "否"])), "人数": draw(st.integers(1, 30))})
        return row
    key = draw(st.sampled_from(sorted(KEYS)))
    card = draw(st.sampled_from([None, None, *CARDS]))
    row.update({"患者标识": key, "患者姓名": KEYS[key], "卡号": card,
                "卡类型": draw(st.sampled_from(["医疗卡", "手术卡", "VIP健康卡"])) if card else
                draw(st.sampled_from([None, "转诊单"]))})
    if channel in ("药店", "诊所", "医院", "工厂", "企业体检"):
        row.update({"合作单位": draw(st.sampled_from(PARTNERS)), "转诊医生": "刘医生", "联系电话": "13800000000"})
        if draw(st.integers(0, 4)) == 0:  # R24: one field left empty
            row[draw(st.sampled_from(["合作单位", "转诊医生", "联系电话"]))] = None
    if channel == "义诊":
        row["义诊小组"] = "一组"
    return row


@st.composite
def billing_line(draw) -> dict:
    """A line of April's or May's export; `_export` says which."""
    export = draw(st.sampled_from(["2024-05", "2024-05", "2024-05", "2024-04"]))
    day = draw(st.integers(0, 29) if export == "2024-04" else st.integers(19, 60))
    visited = _at(day, draw(st.integers(0, 60)))
    status = draw(st.sampled_from(["已结算"] * 5 + ["未结算", "疗程中"]))
    settled = visited.date() + dt.timedelta(days=draw(st.sampled_from([0, 0, 0, 1, 3, 8]))) \
        if status == "已结算" else None
    keys = {**KEYS, **WALK_IN}
    key = draw(st.sampled_from(sorted(keys)))
    fen = draw(st.integers(1, 800_000))
    if draw(st.integers(0, 5)) == 0:
        fen = -draw(st.integers(1, 60_000))  # a refund
    return {"_export": export, "_fen": fen, "就诊时间": visited, "结算日期": settled, "结算状态": status,
            "病历号": None, "患者姓名": keys[key], "患者标识": key,
            "卡号": draw(st.sampled_from([None, None, None, *CARDS, "X999"])),
            "科室": draw(st.sampled_from(["内科", "外科", "妇科"])), "项目类别": draw(st.sampled_from(CATEGORIES)),
            "金额": fen / 100}


@st.composite
def adjustment(draw, ids: list[str]) -> dict:
    kind = draw(st.sampled_from(["奖励", "罚款", "补发", "扣发", "扣业绩", "取消业绩", "确认例外", "确认例外"]))
    row = {h: None for h in ADJ_HEADERS}
    row.update({"类型": kind, "事由": f"事由{draw(st.integers(1, 9))}", "批准人": "院长"})
    if kind == "确认例外":
        if draw(st.booleans()):
            row["卡号"] = draw(st.sampled_from(CARDS))
        else:
            row["患者标识"] = draw(st.sampled_from(sorted(KEYS)))
        return row
    row["工号"] = draw(st.sampled_from(ids))
    if kind == "扣业绩":
        row["金额"] = draw(st.sampled_from([10, 20, "30%", 0.5]))
    elif kind != "取消业绩":
        row["金额"] = draw(st.integers(1, 100_000)) / 100
    return row


@st.composite
def months(draw) -> MonthData:
    staff = draw(staff_rows())
    ids = [p["工号"] for p in staff]
    # Registrants named by 工号 or by name; 路人甲 is on nobody's roster (R25).
    who = ids + [p["姓名"] for p in staff] + ["路人甲"]
    regs = draw(st.lists(registration(who), max_size=9, unique_by=lambda r: r["_t"]))
    lines = draw(st.lists(billing_line(), min_size=1, max_size=14, unique_by=lambda b: b["_fen"]))
    for i, b in enumerate(lines):
        b["病历号"] = f"{i + 1:07d}"
    workers = [p for p in staff if p["角色"] in ("业务员", "主管")]
    days = [MAY.first_day + dt.timedelta(days=i) for i in range(MAY.days)]
    days = [d for d in days if d.isoweekday() != 7]
    late = {p["工号"]: draw(st.lists(st.sampled_from(days), max_size=2, unique=True)) for p in workers}
    missing = {p["工号"]: draw(st.lists(st.sampled_from(days), max_size=2, unique=True)) for p in workers}
    daily = auto_reports(staff, MAY, late=late, missing=missing)
    # A second, later report for some days: the earliest counts (R27).
    for r in draw(st.lists(st.sampled_from(daily), max_size=3, unique_by=lambda r: (r["业务员"], r["日期"])) if daily
                  else st.just([])):
        daily.append({**r, "提交时间": r["提交时间"] + dt.timedelta(days=2, hours=1), "内容": "补交"})
    payees = [p["工号"] for p in staff if p["角色"] != "网络部"]
    adjust = draw(st.lists(adjustment(payees), max_size=4))
    return MonthData(staff=staff,
                     regs_apr=[r for r in regs if r["登记时间"].month == 4],
                     regs_may=[r for r in regs if r["登记时间"].month == 5],
                     bill_apr=[b for b in lines if b["_export"] == "2024-04"],
                     bill_may=[b for b in lines if b["_export"] == "2024-05"],
                     daily=daily, adjust=adjust)


# --- writing and settling ------------------------------------------------------------------------

MONEY_TEXT = {"plain": "{:.2f}", "sign": "￥{:,.2f}", "suffix": "{:.2f}元"}  # GBK has the full-width ￥ only


def _csv_bytes(rows: list[dict], money_text: str) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(BILL_HEADERS)
    for r in rows:
        cells = []
        for h in BILL_HEADERS:
            v = r.get(h)
            if v is None:
                cells.append("")
            elif h == "金额":
                y = Decimal(r["_fen"]) / 100
                cells.append(MONEY_TEXT[money_text].format(y))
            elif isinstance(v, dt.datetime):
                cells.append(v.strftime("%Y-%m-%d %H:%M"))
            elif isinstance(v, dt.date):
                cells.append(v.strftime("%Y/%m/%d"))
            else:
                cells.append(str(v))
        w.writerow(cells)
    return out.getvalue().encode("gbk")


def write_workspace(root: Path, data: MonthData, *, rng=None, split: tuple | None = None) -> Path:
    """Write the month's inputs. `rng` shuffles the rows of every input; `split=(cut, kind,
    money_text)` writes May's billing as 收费明细_1.xlsx (rows before `cut`) and 收费明细_2.xlsx
    (with a title row) or a GBK 收费明细_2.csv."""
    def order(rows):
        rows = list(rows)
        if rng is not None:
            rng.shuffle(rows)
        return rows

    root.mkdir(parents=True)
    write_xlsx(root / "staff.xlsx", STAFF_HEADERS, order(data.staff), sheet="人员名单")
    apr, may = root / "2024-04", root / "2024-05"
    write_xlsx(apr / "登记表.xlsx", REG_HEADERS, order(data.regs_apr))
    write_xlsx(apr / "收费明细.xlsx", BILL_HEADERS, order(data.bill_apr))
    write_xlsx(may / "登记表.xlsx", REG_HEADERS, order(data.regs_may))
    bill = order(data.bill_may)
    if split is None:
        write_xlsx(may / "收费明细.xlsx", BILL_HEADERS, bill)
    else:
        cut, kind, money_text = split
        write_xlsx(may / "收费明细_1.xlsx", BILL_HEADERS, bill[:cut])
        if kind == "csv":
            (may / "收费明细_2.csv").write_bytes(_csv_bytes(bill[cut:], money_text))
        else:
            write_xlsx(may / "收费明细_2.xlsx", BILL_HEADERS, bill[cut:], title="2024年5月收费明细（下半月）")
    write_xlsx(may / "日报.xlsx", DAILY_HEADERS, order(data.daily), sheet="日报")
    if data.adjust:
        write_xlsx(may / "调整.xlsx", ADJ_HEADERS, order(data.adjust))
    return root


def settle_month(root: Path):
    problems = Problems()
    loaded = load(root, MAY, problems)
    # The generated May export may hold mostly April/June-settled lines: SPEC §8.1 stops such a
    # run as "another month's export", but the figures' properties hold all the same.
    errors = [p.message() for p in blocking(problems) if p.code != "outside_month_file"]
    assert not errors and loaded.policy is not None, errors
    return compute(loaded)


def figures(s, *, drop=("row",)) -> dict:
    """Every figure of settlement.json that must not depend on row order or file layout.
    A payslip's lines and flags compare as multisets (adjustment rows keep file order) and
    without their derivation text (which cites source rows); violations as a multiset without
    the fields in `drop`."""
    data = settlement_json(s, files=[], rules_files=[], rules_source="default", workspace="",
                           started=dt.datetime(2024, 6, 1))
    keys = ("component", "name", "rule", "column", "base", "rate", "amount", "exact")
    people = {}
    for sid, p in data["people"].items():
        people[sid] = {**{k: v for k, v in p.items() if k not in ("lines", "flags")},
                       "lines": sorted(tuple(str(l[k]) for k in keys) for l in p["lines"]),
                       "flags": sorted(p["flags"])}
    violations = Counter(tuple(sorted((k, str(v)) for k, v in v_.items() if k not in drop))
                         for v_ in data["violations"])
    return {"people": people, "network": data["network"], "violations": violations, "rebates": data["rebates"],
            "totals": data["totals"], "reconciliation": data["reconciliation"], "funds": data["funds"]}


def _money(v) -> Decimal:
    return Decimal(repr(v)).quantize(CENT) if v is not None else Decimal(0)


# --- 1. the 核对 identities -------------------------------------------------------------------------

def check_identities(s, data: MonthData, folder: Path) -> None:
    rec = reconciliation(s)
    # R1 total settled billing, worked out from the generated rows.
    assert (rec["total_count"], rec["total_fen"]) == data.counting_fen()
    lines = s.credit.lines
    credited = lines["credited"].to_numpy(dtype=bool)
    reasons = lines["reason"].to_numpy(dtype=object)
    assert all(pd.isna(r) for r in reasons[credited])  # None or NaN: no reason
    assert set(reasons[~credited]) <= set(REASON_ORDER), set(reasons[~credited])
    # credited + Σ uncredited by reason = total, to the fen (and in line counts).
    assert rec["credited_fen"] + sum(v["fen"] for v in rec["uncredited"].values()) == rec["total_fen"]
    assert rec["credited_count"] + sum(v["count"] for v in rec["uncredited"].values()) == rec["total_count"]
    assert rec["balanced"]

    rows = summary_rows(s)
    slips = {p.staff_id: p for p in s.payslips}
    for p in s.payslips:
        # A payslip's total is the sum of its rounded lines; every line goes to one 汇总 column.
        assert p.total == sum((l.amount for l in p.lines), Decimal(0)), p.staff_id
        for l in p.lines:
            assert l.column in SUMMARY_COLUMNS, (p.staff_id, l.component, l.column)
    for row in rows:
        p = slips.get(row["staff_id"])
        if p is None:  # 网络部: 业绩 only
            assert row["total"] is None and all(row[c] is None for c in SUMMARY_COLUMNS)
            assert row["performance"] == s.network[row["staff_id"]].quantize(CENT, ROUND_HALF_UP)
            continue
        for c in SUMMARY_COLUMNS:
            expected = sum((l.amount for l in p.lines if l.column == c), Decimal(0))
            assert row[c] == (-expected if c == "扣款" else expected), (p.staff_id, c)
        assert row["total"] == p.total
        assert sum(row[c] for c in SUMMARY_COLUMNS if c != "扣款") - row["扣款"] == row["total"]
    # R4/R5: a credited line is shared out whole (100 %), except that a departed owner's half of
    # a 网络部 overlap is nobody's.
    sh = s.shares
    if len(sh):
        per_line = sh.groupby("line")["share_u"].sum()
        cred = lines[credited]
        assert set(per_line.index) == set(cred.index)
        half = (cred["owner_staff"].isna() & cred["overlap"].astype(bool)).reindex(per_line.index)
        assert ((per_line == U) | (half & (per_line == U // 2))).all(), per_line.to_dict()
    else:
        assert not credited.any()
    payslip_sum = sum((p.total for p in s.payslips), Decimal(0))
    assert sum((r["total"] for r in rows if r["total"] is not None), Decimal(0)) == payslip_sum
    assert Decimal(rec["payslip_total"]) == payslip_sum

    # The written 汇总 sheet: its rows are the figures above, its 合计 row is Σ rows per column.
    path = folder / "部门汇总.xlsx"
    write_summary(path, s, [], "zh")
    wb = openpyxl.load_workbook(path, read_only=True)
    grid = [list(r) for r in wb["汇总"].iter_rows(values_only=True)]
    head = next(i for i, r in enumerate(grid) if r[0] == "工号")
    header = grid[head]
    body = [r for r in grid[head + 1:] if r[0] is not None]
    total_row = body.pop()
    assert total_row[0] == "合计"
    assert [r[0] for r in body] == [r["staff_id"] for r in rows]
    money_cols = ["业绩", *SUMMARY_COLUMNS, "应发合计"]
    for name in money_cols:
        c = header.index(name)
        column = [_money(r[c]) for r in body]
        assert sum(column, Decimal(0)) == _money(total_row[c]), name
    for r, row in zip(body, rows):
        assert _money(r[header.index("应发合计")]) == (row["total"] or 0)
        assert _money(r[header.index("业绩")]) == row["performance"]
    assert _money(total_row[header.index("应发合计")]) == payslip_sum
    check = {r[0]: r for r in wb["核对"].iter_rows(values_only=True)}
    assert check["核对：已归属 + 未归属 = 本月结算账单"][3] == "平衡 ✓"
    assert check["汇总表应发合计"][3] == "一致 ✓"
    wb.close()


# --- 4. rounding (R37) -------------------------------------------------------------------------------

def half_up_fen(x: Fraction) -> int:
    """四舍五入 to the fen, worked out on exact fractions: halves go away from zero."""
    n = abs(x) * 100
    fen = int(n) + (1 if n - int(n) >= Fraction(1, 2) else 0)
    return fen if x >= 0 else -fen


def check_rounding(s) -> None:
    for p in s.payslips:
        assert isinstance(p.performance, Decimal) and not isinstance(p.performance, float)
        assert all(isinstance(v, Decimal) for v in p.stream_performance.values())
        for l in p.lines:
            assert type(l.exact) is Decimal, (p.staff_id, l.component, type(l.exact))
            assert type(l.amount) is Decimal, (p.staff_id, l.component, type(l.amount))
            assert l.amount.as_tuple().exponent == -2, (p.staff_id, l.component, l.amount)
            assert l.amount == l.exact.quantize(CENT, rounding=ROUND_HALF_UP)
            assert int(l.amount * 100) == half_up_fen(Fraction(l.exact)), (p.staff_id, l.component, l.exact)


@examples(12)
@given(data=months())
def test_reconciliation_identities_and_rounding(data):
    with tempfile.TemporaryDirectory() as tmp:
        root = write_workspace(Path(tmp) / "ws", data)
        s = settle_month(root)
        note(f"{len(s.payslips)} payslips, {len(s.credit.lines)} counting lines")
        check_identities(s, data, Path(tmp))
        check_rounding(s)


# --- 2. row order ------------------------------------------------------------------------------------

@examples(10)
@given(data=months(), rng=st.randoms(use_true_random=False))
def test_shuffling_input_rows_changes_no_figure(data, rng):
    with tempfile.TemporaryDirectory() as tmp:
        a = figures(settle_month(write_workspace(Path(tmp) / "a", data)))
        b = figures(settle_month(write_workspace(Path(tmp) / "b", data, rng=rng)))
    for part in a:
        assert a[part] == b[part], part


# --- 3. splitting the billing export -----------------------------------------------------------------

@examples(10)
@given(data=months(), cut=st.integers(0, 14), kind=st.sampled_from(["xlsx", "csv"]),
       money_text=st.sampled_from(sorted(MONEY_TEXT)))
def test_splitting_billing_into_two_files_changes_no_figure(data, cut, kind, money_text):
    cut = min(cut, len(data.bill_may))
    drop = ("file", "sheet", "row")
    with tempfile.TemporaryDirectory() as tmp:
        a = figures(settle_month(write_workspace(Path(tmp) / "a", data)), drop=drop)
        b = figures(settle_month(write_workspace(Path(tmp) / "b", data, split=(cut, kind, money_text))), drop=drop)
    for part in a:
        assert a[part] == b[part], part


# --- 4. rounding of a single payslip line (no workbook) ----------------------------------------------

exact_values = st.builds(lambda n, k: Decimal(n).scaleb(-k), st.integers(-10**12, 10**12), st.integers(0, 8))
halves = st.builds(lambda n: Decimal(2 * n + 1).scaleb(-3), st.integers(-10**9, 10**9))  # x.xx5 exactly


@settings(max_examples=300, deadline=None)
@given(exact=st.one_of(exact_values, halves))
def test_payslip_line_is_rounded_half_up_to_the_fen(exact):
    line = PayLine("x", "名称", "R37", "提成", "", "", exact)
    assert type(line.amount) is Decimal
    assert line.amount.as_tuple().exponent == -2
    assert int(line.amount * 100) == half_up_fen(Fraction(exact))
    assert line.amount == exact.quantize(CENT, rounding=ROUND_HALF_UP)


def test_half_up_examples():
    """The four cases a clerk checks by hand: 0.005 → 0.01, 2.675 → 2.68 (2.67 in float),
    −0.005 → −0.01 (away from zero), 1.0049 → 1.00."""
    assert [PayLine("x", "", "", "提成", "", "", Decimal(v)).amount for v in ("0.005", "2.675", "-0.005", "1.0049")] \
        == [Decimal("0.01"), Decimal("2.68"), Decimal("-0.01"), Decimal("1.00")]
