"""Workbooks a clerk can print and hand out (SPEC §7): payslips, 部门汇总, 卡片检查.

Every input value is written as a string cell (never a formula or link); money cells carry the
`#,##0.00` format; headers are frozen; widths fit; print setup is A4, fit to width.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import xlsxwriter

from .crediting import REASON_DEPARTED, REASON_OUT_OF_WINDOW, REASON_UNREGISTERED, REASON_WALK_IN, VIOLATION_NAMES
from .pay import U, Payslip, Settlement, micro_to_yuan, partner_totals, r2
from .privacy import mask_key, mask_keys, mask_name, mask_names, safe_filename

TEXT, MONEY, INT, DATE, DATETIME, RATE = "text", "money", "int", "date", "datetime", "rate"

REASON_NAMES = {
    REASON_WALK_IN: ("自然来诊", "walk-in"),
    REASON_UNREGISTERED: ("未登记卡（R20）", "unregistered card (R20)"),
    "duplicate_card": ("重复办卡（R21）", "duplicate card (R21)"),
    "late_registration": ("转诊迟报（R22）", "late registration (R22)"),
    "existing_patient": ("老患者（R23）", "existing patient (R23)"),
    "incomplete_referral": ("转诊信息不全（R24）", "incomplete referral (R24)"),
    "unknown_staff": ("人员不存在（R25）", "unknown staff (R25)"),
    REASON_OUT_OF_WINDOW: ("超出复诊期（R5）", "beyond follow-up window (R5)"),
    REASON_DEPARTED: ("已离职（R5）", "departed (R5)"),
}
REASON_ORDER = (REASON_UNREGISTERED, "duplicate_card", "late_registration", "existing_patient",
                "incomplete_referral", "unknown_staff", REASON_OUT_OF_WINDOW, REASON_DEPARTED, REASON_WALK_IN)
SUMMARY_COLUMNS = ("基本工资", "补贴", "绩效考核", "提成", "管理奖金", "团队提成", "奖励", "扣款")
COLUMN_EN = {"基本工资": "Base", "补贴": "Allowance", "绩效考核": "Assessment", "提成": "Commission",
             "管理奖金": "Mgmt bonus", "团队提成": "Team commission", "奖励": "Bonus", "扣款": "Deductions"}


def _w(text) -> int:
    """Display width of a cell's text: CJK characters count double."""
    s = str(text)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


class Book:
    """A thin wrapper over xlsxwriter with the house style."""

    def __init__(self, path: Path, lang: str = "zh"):
        self.lang = lang
        self.wb = xlsxwriter.Workbook(str(path), {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
            "constant_memory": False, "default_date_format": "yyyy-mm-dd"})
        self.wb.set_properties({"title": "settle", "author": "settle", "created": dt.datetime(2000, 1, 1)})
        f = self.wb.add_format
        self.f_head = f({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
        self.f_text = f({})
        self.f_money = f({"num_format": "#,##0.00"})
        self.f_int = f({"num_format": "0"})
        self.f_date = f({"num_format": "yyyy-mm-dd"})
        self.f_dt = f({"num_format": "yyyy-mm-dd hh:mm"})
        self.f_bold = f({"bold": True})
        self.f_bold_money = f({"bold": True, "num_format": "#,##0.00", "top": 1})
        self.f_bold_text = f({"bold": True, "top": 1})
        self.f_title = f({"bold": True, "font_size": 14})
        self.f_warn = f({"font_color": "#C00000", "bold": True})

    def fmt(self, kind):
        return {MONEY: self.f_money, INT: self.f_int, DATE: self.f_date, DATETIME: self.f_dt}.get(kind, self.f_text)

    def sheet(self, name: str):
        ws = self.wb.add_worksheet(name[:31])
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.hide_gridlines(0)
        return ws

    def write_value(self, ws, r, c, value, kind, fmt=None):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
            ws.write_blank(r, c, None, fmt or self.fmt(kind))
            return
        try:
            if pd.isna(value):
                ws.write_blank(r, c, None, fmt or self.fmt(kind))
                return
        except (TypeError, ValueError):
            pass
        if kind == MONEY:
            ws.write_number(r, c, float(value), fmt or self.f_money)
        elif kind == INT:
            ws.write_number(r, c, int(value), fmt or self.f_int)
        elif kind in (DATE, DATETIME):
            ts = pd.Timestamp(value).to_pydatetime()
            ws.write_datetime(r, c, ts, fmt or self.fmt(kind))
        else:
            ws.write_string(r, c, str(value), fmt or self.f_text)

    def table(self, name: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence], *,
              total: Sequence | None = None, start_row: int = 0, ws=None, landscape=False, notes=()):
        """Write a header row and rows; freeze the header; fit widths; optional bold total row."""
        ws = ws or self.sheet(name)
        if landscape:
            ws.set_landscape()
        r0 = start_row
        for i, note in enumerate(notes):
            ws.write_string(r0 + i, 0, note, self.f_bold if i == 0 else self.f_text)
        r0 += len(notes) + (1 if notes else 0)
        widths = [_w(h) + 2 for h, _ in columns]
        for c, (h, _) in enumerate(columns):
            ws.write_string(r0, c, h, self.f_head)
        r = r0 + 1
        for row in rows:
            for c, (value, (_, kind)) in enumerate(zip(row, columns)):
                self.write_value(ws, r, c, value, kind)
                if r - r0 < 400:
                    widths[c] = max(widths[c], min(60, _w(_display(value, kind)) + 2))
            r += 1
        if total is not None:
            for c, (value, (_, kind)) in enumerate(zip(total, columns)):
                if value is None:
                    ws.write_blank(r, c, None, self.f_bold_text)
                else:
                    self.write_value(ws, r, c, value, kind, self.f_bold_money if kind == MONEY else self.f_bold_text)
            r += 1
        for c, wdt in enumerate(widths):
            ws.set_column(c, c, max(6, wdt))
        ws.freeze_panes(r0 + 1, 0)
        if r > r0 + 1:
            ws.autofilter(r0, 0, r - 1 - (1 if total is not None else 0), len(columns) - 1)
        ws.repeat_rows(r0)
        return ws, r

    def close(self):
        self.wb.close()


def _display(value, kind) -> str:
    if value is None:
        return ""
    if kind == MONEY:
        try:
            return f"{float(value):,.2f}"
        except (TypeError, ValueError):
            return str(value)
    if kind == DATE:
        return "2024-05-31"
    if kind == DATETIME:
        return "2024-05-31 08:30"
    return str(value)


def _zh(lang, zh, en):
    return zh if lang == "zh" else en


def _source(file, sheet, row) -> str:
    parts = [str(p) for p in (file, sheet) if isinstance(p, str) and p]
    if row is not None and not (isinstance(row, float) and np.isnan(row)):
        parts.append(f"第 {int(row)} 行")
    return " › ".join(parts)


# --- payslips ----------------------------------------------------------------------------------

def payslip_file(slip: Payslip) -> str:
    return safe_filename(slip.staff_id, slip.name) + ".xlsx"


def shares_of(s: Settlement, staff_id: str) -> pd.DataFrame:
    """One person's credited shares (the 业绩明细 rows), found through a one-off group index."""
    index = getattr(s, "_share_index", None)
    if index is None:
        index = s.shares.groupby("staff_id", observed=True).indices if len(s.shares) else {}
        s._share_index = index
    rows = index.get(staff_id)
    return s.shares.iloc[rows] if rows is not None else s.shares.iloc[0:0]


def write_payslip(path: Path, s: Settlement, slip: Payslip, lang: str = "zh") -> None:
    b = Book(path, lang)
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    ws = b.sheet(L("工资条", "Payslip"))
    ws.write_string(0, 0, f"{s.month} {L('工资条', 'payslip')}", b.f_title)
    head = [(L("姓名", "Name"), slip.name), (L("工号", "Staff id"), slip.staff_id), (L("角色", "Role"), slip.role),
            (L("小组", "Team"), slip.team), (L("月份", "Month"), str(s.month)),
            (L("在职天数", "Days employed"), f"{slip.employed_days}/{s.month.days}"),
            (L("状态", "Status"), L("正式", "regular") if slip.regular else L("试用期", "probation")),
            (L("本月业绩", "Performance"), r2(slip.performance))]
    for i, (k, v) in enumerate(head):
        ws.write_string(1 + i // 4, (i % 4) * 2, k, b.f_bold)
        b.write_value(ws, 1 + i // 4, (i % 4) * 2 + 1, v, MONEY if isinstance(v, Decimal) else TEXT)
    cols = [(L("名称", "Item"), TEXT), (L("依据/规则", "Rule"), TEXT), (L("基数", "Base"), TEXT),
            (L("比例或单价", "Rate or unit"), TEXT), (L("金额", "Amount"), MONEY), (L("计算过程", "Derivation"), TEXT)]
    rows = [(l.name, l.rule, l.base, l.rate, l.amount, l.detail) for l in slip.lines]
    ws, r = b.table("", cols, rows, total=(L("应发合计", "Total"), "R39", None, None, slip.total,
                                         L("各行四舍五入到分后相加（R37）", "sum of the rounded lines (R37)")),
                    start_row=4, ws=ws)
    ws.set_column(0, 0, 16)
    ws.set_column(5, 5, 70)
    ws.freeze_panes(5, 0)
    for i, flag in enumerate(slip.flags):
        ws.write_string(r + 1 + i, 0, flag, b.f_warn)
    _detail_sheet(b, s, slip, lang)
    v = s.violations
    mine = v[v["staff_id"] == slip.staff_id]
    _violation_sheet(b, mine, lang, {slip.staff_id: slip.name})
    b.close()


def detail_columns(lang):
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    return [(L("病历号", "Record no"), TEXT), (L("患者姓名", "Patient"), TEXT), (L("患者标识", "Patient key"), TEXT),
            (L("就诊时间", "Visited"), DATETIME), (L("结算日期", "Settled"), DATE), (L("科室", "Department"), TEXT),
            (L("项目类别", "Category"), TEXT), (L("金额", "Amount"), MONEY), (L("计入比例", "Share"), TEXT),
            (L("返款", "Rebate"), MONEY), (L("业绩", "Performance"), MONEY), (L("业绩类别", "Stream"), TEXT),
            (L("规则", "Rule"), TEXT), (L("来源", "Source"), TEXT)]


def detail_rows(s: Settlement, mine: pd.DataFrame) -> pd.DataFrame:
    """The 业绩明细 columns for a set of share rows; money as yuan with 2 decimals (exact from
    integer micro-fen, rounded half-up for display)."""
    names = {st.id: st.name for st in s.policy.streams}
    rules = {st.id: st.rule for st in s.policy.streams}
    share = mine["share_u"].to_numpy(dtype=np.int64)
    rebate_u = mine["rebate_u"].to_numpy(dtype=np.int64)
    perf_u = (mine["net_u"].to_numpy(dtype=object) * share) // U  # micro-fen, exact for 50 % of integers
    rebate_fen = _round_div(rebate_u, U)
    perf_fen = _round_div(np.asarray(perf_u, dtype=np.int64), U)
    out = pd.DataFrame({
        "record_no": mine["record_no"].astype(object),
        "patient_name": mask_names(mine["patient_name"]),
        "patient_key": mask_keys(mine["patient_key"]),
        "visited_at": mine["visited_at"], "settled_on": mine["settled_on"],
        "department": mine["department"].astype(object), "category": mine["category"].astype(object),
        "amount": mine["amount_fen"].to_numpy() / 100,
        "share": np.where(share == U, "100%", pd.Series(share / U * 100).map(lambda x: f"{x:g}%")),
        "rebate": rebate_fen / 100, "performance": perf_fen / 100,
        "stream": mine["stream"].map(names).astype(object),
        "rule": mine["stream"].map(rules).astype(object),
        "source": [f"{f} › {sh} › 第 {r} 行" if sh else f"{f} › 第 {r} 行"
                   for f, sh, r in zip(mine["src_file"], mine["src_sheet"], mine["src_row"])],
    })
    return out


def _round_div(x: np.ndarray, d: int) -> np.ndarray:
    """Integer division rounded half-up (away from zero)."""
    x = np.asarray(x, dtype=np.int64)
    q = (np.abs(x) + d // 2) // d
    return np.where(x < 0, -q, q)


def _detail_sheet(b: Book, s: Settlement, slip: Payslip, lang: str) -> None:
    mine = shares_of(s, slip.staff_id)
    mine = mine.sort_values(["stream", "settled_on", "src_order"]) if len(mine) else mine
    cols = detail_columns(lang)
    frame = detail_rows(s, mine) if len(mine) else pd.DataFrame(columns=range(len(cols)))
    rows = frame.itertuples(index=False, name=None)
    total = [_zh(lang, "合计", "Total"), None, None, None, None, None, None,
             float(frame["amount"].sum()) if len(frame) else 0.0, None,
             float(frame["rebate"].sum()) if len(frame) else 0.0, r2(slip.performance), None, None,
             _zh(lang, "业绩合计为精确值四舍五入；扣业绩/取消业绩另计", "total is the exact sum rounded; R28/R29 applied on the payslip")]
    b.table(_zh(lang, "业绩明细", "Detail"), cols, rows, total=total, landscape=True)


def violation_columns(lang):
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    return [(L("代码", "Code"), TEXT), (L("名称", "Name"), TEXT), (L("规则", "Rule"), TEXT), (L("工号", "Staff id"), TEXT),
            (L("姓名", "Name"), TEXT), (L("来源", "Source"), TEXT), (L("卡号", "Card"), TEXT),
            (L("患者标识", "Patient key"), TEXT), (L("合作单位", "Partner"), TEXT), (L("说明", "Detail"), TEXT),
            (L("处理", "Effect"), TEXT)]


def violation_rows(v: pd.DataFrame, names: dict, lang: str):
    for r in v.itertuples():
        yield (r.code, VIOLATION_NAMES[r.code][0 if lang == "zh" else 1], r.rule, r.staff_id,
               names.get(r.staff_id, "") if isinstance(r.staff_id, str) else "",
               _source(r.file, r.sheet, r.row), r.card_no, mask_key(r.patient_key), r.partner, r.detail, r.effect)


def _violation_sheet(b: Book, v: pd.DataFrame, lang: str, names: dict | None = None):
    b.table(_zh(lang, "违规", "Violations"), violation_columns(lang),
            violation_rows(v, names or {}, lang), landscape=True)


# --- department summary --------------------------------------------------------------------------

def summary_rows(s: Settlement) -> list[dict]:
    rows = []
    for slip in s.payslips:
        row = {"staff_id": slip.staff_id, "name": slip.name, "role": slip.role, "team": slip.team,
               "performance": r2(slip.performance)}
        for c in SUMMARY_COLUMNS:
            row[c] = slip.summary_column(c)
        row["total"] = slip.total
        rows.append(row)
    staff = s.staff.set_index("staff_id")
    for sid, perf in sorted(s.network.items()):
        st = staff.loc[sid]
        rows.append({"staff_id": sid, "name": st["name"], "role": st["role"],
                     "team": st["team"] if isinstance(st["team"], str) else "", "performance": r2(perf),
                     **{c: None for c in SUMMARY_COLUMNS}, "total": None})
    return rows


def reconciliation(s: Settlement) -> dict:
    lines = s.credit.lines
    amount = lines["amount_fen"].to_numpy(dtype=np.int64)
    credited = lines["credited"].to_numpy(dtype=bool)
    out = {"total_count": int(len(lines)), "total_fen": int(amount.sum()),
           "credited_count": int(credited.sum()), "credited_fen": int(amount[credited].sum()), "uncredited": {}}
    reasons = lines["reason"].to_numpy(dtype=object)
    for reason in REASON_ORDER:
        m = reasons == reason
        if m.any():
            out["uncredited"][reason] = {"count": int(m.sum()), "fen": int(amount[m].sum())}
    out["uncredited_fen"] = sum(v["fen"] for v in out["uncredited"].values())
    out["balanced"] = out["credited_fen"] + out["uncredited_fen"] == out["total_fen"]
    out["payslip_total"] = str(sum((p.total for p in s.payslips), Decimal(0)))
    out["rebate_total"] = str(sum((r2(micro_to_yuan(u)) for u in
                                   s.rebates.groupby("partner")["rebate_u"].sum()), Decimal(0))
                              if len(s.rebates) else Decimal(0))
    ex = s.credit.excluded
    out["excluded"] = {}
    if len(ex):
        st = ex["status"].astype(object).fillna("")
        for label, mask in (("未结算", st == "未结算"), ("疗程中", st == "疗程中"),
                            ("其他月份结算", st == "已结算")):
            m = mask.to_numpy(dtype=bool)
            if m.any():
                out["excluded"][label] = {"count": int(m.sum()), "fen": int(ex["amount_fen"].to_numpy()[m].sum())}
    return out


def write_summary(path: Path, s: Settlement, run_info: list[tuple[str, str]], lang: str = "zh") -> dict:
    b = Book(path, lang)
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    rows = summary_rows(s)
    cols = [(L("工号", "Staff id"), TEXT), (L("姓名", "Name"), TEXT), (L("角色", "Role"), TEXT), (L("小组", "Team"), TEXT),
            (L("业绩", "Performance"), MONEY)] + [(L(c, COLUMN_EN[c]), MONEY) for c in SUMMARY_COLUMNS] + \
           [(L("应发合计", "Total pay"), MONEY)]
    data = [(r["staff_id"], r["name"], r["role"], r["team"], r["performance"], *[r[c] for c in SUMMARY_COLUMNS],
             r["total"]) for r in rows]
    paid = [r for r in rows if r["total"] is not None]
    total = (L("合计", "Total"), f"{len(paid)} 人", None, None, sum((r["performance"] for r in rows), Decimal(0)),
             *[sum((r[c] for r in paid), Decimal(0)) for c in SUMMARY_COLUMNS],
             sum((r["total"] for r in paid), Decimal(0)))
    b.table(L("汇总", "Summary"), cols, data, total=total, landscape=True,
            notes=(f"{s.month} {L('市场部工资汇总', 'marketing department pay summary')}",
                   L("扣款以正数列示并从应发合计中减去；网络部只计业绩不发工资。",
                     "Deductions are shown positive and subtracted; 网络部 has performance and no pay.")))
    # 返款
    rb = s.rebates
    rcols = [(L("合作单位", "Partner"), TEXT), (L("类别", "Portion"), TEXT), (L("规则", "Rule"), TEXT),
             (L("病历号", "Record no"), TEXT), (L("患者姓名", "Patient"), TEXT), (L("患者标识", "Patient key"), TEXT),
             (L("结算日期", "Settled"), DATE), (L("项目类别", "Category"), TEXT), (L("金额", "Amount"), MONEY),
             (L("比例", "Rate"), TEXT), (L("返款", "Rebate"), MONEY), (L("业务员", "Salesperson"), TEXT),
             (L("来源", "Source"), TEXT)]
    names = s.staff.set_index("staff_id")["name"].to_dict()

    def rebate_rows():
        for partner, grp in rb.groupby("partner", sort=True):
            for r in grp.itertuples():
                who = r.owner_staff if isinstance(r.owner_staff, str) else r.network_staff
                yield (r.partner, r.portion, r.rule, r.record_no, mask_name(r.patient_name), mask_key(r.patient_key),
                       r.settled_on, r.category, r.amount_fen / 100, r.rate, r2(micro_to_yuan(r.rebate_u)),
                       f"{who} {names.get(who, '')}" if isinstance(who, str) else "", _source(r.src_file, r.src_sheet, r.src_row))
            yield (f"{partner} {L('小计', 'subtotal')}", None, None, None, None, None, None, None, None, None,
                   r2(micro_to_yuan(grp["rebate_u"].sum())), None, None)
    totals = partner_totals(rb)
    b.table(L("返款", "Rebates"), rcols, rebate_rows(), landscape=True,
            total=(L("合计", "Total"), None, None, None, None, None, None, None, None, None,
                   sum(totals["total"], Decimal(0)) if len(totals) else Decimal(0), None, None))
    # 违规
    b.table(L("违规", "Violations"), violation_columns(lang), violation_rows(s.violations, names, lang), landscape=True)
    # 未归属
    _unattributed_sheet(b, s, lang)
    # 核对
    rec = reconciliation(s)
    _reconciliation_sheet(b, s, rec, rows, lang)
    # 运行信息
    ws = b.sheet(L("运行信息", "Run info"))
    b.table("", [(L("项目", "Item"), TEXT), (L("内容", "Value"), TEXT)], run_info, ws=ws)
    ws.set_column(1, 1, 90)
    b.close()
    return rec


def _unattributed_sheet(b: Book, s: Settlement, lang: str) -> None:
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    lines = s.credit.lines
    un = lines[~lines["credited"].to_numpy(dtype=bool)]
    walk = un[un["reason"] == REASON_WALK_IN]
    listed = un[un["reason"] != REASON_WALK_IN]
    ws = b.sheet(L("未归属", "Unattributed"))
    ws.set_landscape()
    ws.write_string(0, 0, L("未归属的本月结算账单：逐行列出（自然来诊按科室和项目类别汇总）",
                            "Settled lines credited to nobody, listed (walk-ins summarised by department and category)"),
                    b.f_bold)
    cols = [(L("原因", "Reason"), TEXT), (L("病历号", "Record no"), TEXT), (L("患者姓名", "Patient"), TEXT),
            (L("患者标识", "Patient key"), TEXT), (L("卡号", "Card"), TEXT), (L("就诊时间", "Visited"), DATETIME),
            (L("结算日期", "Settled"), DATE), (L("科室", "Department"), TEXT), (L("项目类别", "Category"), TEXT),
            (L("金额", "Amount"), MONEY), (L("来源", "Source"), TEXT)]
    order = {r: i for i, r in enumerate(REASON_ORDER)}
    listed = listed.assign(_k=listed["reason"].map(order)).sort_values(["_k", "src_order"])
    rows = ((REASON_NAMES[r.reason][0 if lang == "zh" else 1], r.record_no, mask_name(r.patient_name),
             mask_key(r.patient_key), r.card_no, r.visited_at, r.settled_on, r.department, r.category,
             r.amount_fen / 100, _source(r.src_file, r.src_sheet, r.src_row)) for r in listed.itertuples())
    _, r = b.table("", cols, rows, ws=ws, start_row=1,
                   total=(L("合计", "Total"), f"{len(listed)} 行", None, None, None, None, None, None, None,
                          Decimal(int(listed["amount_fen"].sum())) / 100, None))
    g = walk.groupby(["department", "category"], observed=True)["amount_fen"].agg(["size", "sum"]).reset_index()
    wcols = [(L("自然来诊：科室", "Walk-ins: department"), TEXT), (L("项目类别", "Category"), TEXT),
             (L("行数", "Lines"), INT), (L("金额", "Amount"), MONEY)]
    wrows = ((x.department, x.category, int(x.size), x.sum / 100) for x in g.itertuples())
    b.table("", wcols, wrows, ws=ws, start_row=r + 2,
            total=(L("合计", "Total"), None, int(len(walk)), Decimal(int(walk["amount_fen"].sum())) / 100))
    ws.freeze_panes(3, 0)


def _reconciliation_sheet(b: Book, s: Settlement, rec: dict, rows: list[dict], lang: str) -> None:
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    yuan = lambda fen: Decimal(int(fen)) / 100  # noqa: E731
    data = [(L("本月结算账单（R1：已结算且结算日期在本月）", "Settled billing of the month (R1)"), rec["total_count"],
             yuan(rec["total_fen"]), ""),
            (L("  已归属", "  credited"), rec["credited_count"], yuan(rec["credited_fen"]), "")]
    for reason, v in rec["uncredited"].items():
        data.append((f"  {L('未归属', 'uncredited')}：{REASON_NAMES[reason][0 if lang == 'zh' else 1]}", v["count"],
                     yuan(v["fen"]), ""))
    ok = rec["balanced"]
    data.append((L("核对：已归属 + 未归属 = 本月结算账单", "check: credited + uncredited = settled billing"),
                 None, yuan(rec["credited_fen"] + rec["uncredited_fen"]),
                 L("平衡 ✓", "balanced ✓") if ok else L("不平衡 ✗", "NOT balanced ✗")))
    for label, v in rec["excluded"].items():
        data.append((f"{L('不计入本月', 'not counted this month')}：{label}", v["count"], yuan(v["fen"]), ""))
    payslip_total = sum((p.total for p in s.payslips), Decimal(0))
    summary_total = sum((r["total"] for r in rows if r["total"] is not None), Decimal(0))
    data.append((L("工资条应发合计之和", "sum of payslip totals"), len(s.payslips), payslip_total, ""))
    data.append((L("汇总表应发合计", "summary total"), None, summary_total,
                 L("一致 ✓", "equal ✓") if payslip_total == summary_total else L("不一致 ✗", "differs ✗")))
    for c in SUMMARY_COLUMNS:
        data.append((f"{L('汇总列', 'summary column')} {c}", None,
                     sum((r[c] for r in rows if r[c] is not None), Decimal(0)), ""))
    data.append((L("返款合计（各合作单位四舍五入后相加）", "rebates total (per partner, rounded)"), len(s.rebates),
                 Decimal(rec["rebate_total"]), ""))
    for fid, name, base, rate, amount in s.funds:
        data.append((f"{name}（{L('基数', 'base')} {r2(base)} × {rate * 100:g}%）", None, amount, ""))
    b.table(L("核对", "Reconciliation"), [(L("项目", "Item"), TEXT), (L("行数/人数", "Count"), INT),
                                           (L("金额", "Amount"), MONEY), (L("结果", "Result"), TEXT)], data)


# --- card check ----------------------------------------------------------------------------------

def write_card_check(path: Path, violations: pd.DataFrame, names: dict, lang: str = "zh") -> None:
    b = Book(path, lang)
    b.table(_zh(lang, "卡片检查", "Card check"), violation_columns(lang), violation_rows(violations, names, lang),
            landscape=True)
    b.close()
