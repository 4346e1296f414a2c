"""Workbooks a clerk can print and hand out (SPEC §7): payslips, 部门汇总, 卡片检查.

Every input value is written as a string cell (never a formula or link); money cells carry the
`#,##0.00` format; headers are frozen; widths fit; print setup is A4, fit to width.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from settle.engine.crediting import REASON_DEPARTED, REASON_ORDER, REASON_OUT_OF_WINDOW, REASON_UNREGISTERED, REASON_WALK_IN
from settle.engine.reconcile import reconciliation  # noqa: F401  (re-exported: cli, result and tests read it here)
from settle.engine.money import U, r2
from settle.engine.model import Payslip, Settlement
from settle.problems import VIOLATION_NAMES
from settle.output.english import data_words, translator, violation_detail, violation_effect
from settle.output.privacy import mask_key, mask_name, mask_names, safe_filename
from settle.output.printing import Page, amp, as_figure, date_blank
from settle.output.words import rmb_figures, words_of
from settle.output.xlsx import DATE, DATETIME, INT, MONEY, NUM, TEXT, Table, frame_of, write_book


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
SUMMARY_COLUMNS = ("基本工资", "补贴", "绩效考核", "提成", "管理奖金", "团队提成", "奖励", "扣款")
EXCLUDED_EN = {"未结算": "not settled", "疗程中": "course in progress", "其他月份结算": "settled in another month"}
COLUMN_EN = {"基本工资": "Base", "补贴": "Allowance", "绩效考核": "Assessment", "提成": "Commission",
             "管理奖金": "Mgmt bonus", "团队提成": "Team commission", "奖励": "Bonus", "扣款": "Deductions"}


def _zh(lang, zh, en):
    return zh if lang == "zh" else en


def _row_words(lang: str) -> tuple[str, str]:
    return ("第 ", " 行") if lang == "zh" else ("row ", "")


def _source(file, sheet, row, lang: str = "zh") -> str:
    parts = [str(p) for p in (file, sheet) if isinstance(p, str) and p]
    if row is not None and not (isinstance(row, float) and np.isnan(row)):
        before, after = _row_words(lang)
        parts.append(f"{before}{int(row)}{after}")
    return " › ".join(parts)


def _sources(frame: pd.DataFrame, lang: str = "zh") -> pd.Series:
    """file › sheet › 第 N 行 for every row, vectorised."""
    file = frame["src_file"].astype(str)
    sheet = frame["src_sheet"].fillna("").astype(str)
    before, after = _row_words(lang)
    row = before + frame["src_row"].astype("int64").astype(str) + after
    return pd.Series(np.where(sheet != "", file + " › " + sheet + " › " + row, file + " › " + row), index=frame.index)


def _masked_keys(s: pd.Series) -> pd.Series:
    s = s.astype("string[pyarrow]")
    return ("****" + s.str.slice(-4)).fillna("").astype(object)


# --- payslips ----------------------------------------------------------------------------------

def payslip_file(slip: Payslip) -> str:
    return safe_filename(slip.staff_id, slip.name) + ".xlsx"


def shares_of(s: Settlement, staff_id: str) -> pd.DataFrame:
    """One person's credited shares (the 业绩明细 rows), found through a one-off group index."""
    index = s.share_index
    if index is None:
        index = s.shares.groupby("staff_id", observed=True).indices if len(s.shares) else {}
        s.share_index = index
    rows = index.get(staff_id)
    return s.shares.iloc[rows] if rows is not None else s.shares.iloc[0:0]


def payslip_table(s: Settlement, slip: Payslip, lang: str, page: Page | None = None) -> Table:
    """The printed payslip (issue 18): A4 portrait; a title block with the hospital and department
    (settle.yaml), month, name, 工号, role and team; one line per component with 基数 and 比例 as
    numbers and its 计算过程 wrapped inside the page; 应发合计 in figures and in 人民币大写; a
    签收 line and date; the page header names the month and person, the footer numbers the pages."""
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    tr = translator(lang, s.policy, kept_words(s) if lang != "zh" else ())
    page = page or Page()
    status = L("正式", "regular") if slip.regular else L("试用期", "probation")
    gap, colon = L("　　", "    "), L("：", ": ")
    title = [f"{page.org} {L('工资条', 'payslip')}".strip(),
             f"{L('月份', 'Month')}{colon}{s.month}{gap}{L('姓名', 'Name')}{colon}{slip.name}{gap}"
             f"{L('工号', 'Staff id')}{colon}{slip.staff_id}",
             f"{L('角色', 'Role')}{colon}{slip.role}{gap}{L('小组', 'Team')}{colon}{slip.team or '-'}{gap}"
             f"{L('在职天数', 'Days employed')}{colon}{slip.employed_days}/{s.month.days}{gap}"
             f"{L('状态', 'Status')}{colon}{status}",
             f"{L('本月业绩', 'Performance')}{colon}{r2(slip.performance):,}{gap}{L('应发合计', 'Total pay')}{colon}"
             f"{slip.total:,} {L('元', 'yuan')}"] + [tr(f) for f in slip.flags]
    cols = [(L("名称", "Item"), TEXT), (L("依据/规则", "Rule"), TEXT), (L("基数", "Base"), NUM),
            (L("比例或单价", "Rate or unit"), NUM), (L("金额", "Amount"), MONEY), (L("计算过程", "Derivation"), TEXT)]
    rows = [(tr(l.name), tr(l.rule), as_figure(tr(l.base)), as_figure(tr(l.rate)), l.amount, tr(l.detail))
            for l in slip.lines]
    total = (L("应发合计", "Total"), "R39", None, None, slip.total,
             L("各行四舍五入到分后相加（R37）", "sum of the rounded lines (R37)"))
    below = [(f"{L('应发合计（大写）', 'Total in words (RMB)')}{colon}{L('人民币', '')}{words_of(slip.total, lang)}{gap}"
              f"{L('（小写）', '(figures)')}{colon}{rmb_figures(slip.total)}", "bold"), ("", "plain"),
             (f"{L('签收', 'Received by')}{colon}____________________{gap}{L('日期', 'Date')}{colon}"
              f"{date_blank(lang)}", "sign")]
    return Table(L("工资条", "Payslip"), cols, frame_of(rows, cols), title=title, total=total, below=below,
                 widths={0: 14, 1: 8, 2: 13, 3: 13, 4: 13, 5: 44} if lang == "zh" else
                 {0: 17, 1: 10, 2: 14, 3: 16, 4: 13, 5: 40}, wrap=(0, 1, 2, 3, 5), grid=True,
                 header=page.header(f"{s.month} {L('工资条', 'payslip')}", f"{slip.name} ({slip.staff_id})"
                                    if lang != "zh" else f"{slip.name}（{slip.staff_id}）"),
                 lang=lang)


def detail_columns(lang):
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    return [(L("病历号", "Record no"), TEXT), (L("患者姓名", "Patient"), TEXT), (L("患者标识", "Patient key"), TEXT),
            (L("就诊时间", "Visited"), DATETIME), (L("结算日期", "Settled"), DATE), (L("科室", "Department"), TEXT),
            (L("项目类别", "Category"), TEXT), (L("金额", "Amount"), MONEY), (L("计入比例", "Share"), TEXT),
            (L("返款", "Rebate"), MONEY), (L("业绩", "Performance"), MONEY), (L("业绩类别", "Stream"), TEXT),
            (L("规则", "Rule"), TEXT), (L("来源", "Source"), TEXT)]


def _arrow(series: pd.Series):
    import pyarrow as pa
    return pa.array(series, from_pandas=True)


def _masked_names_arrow(arr):
    """张三 → 张*, computed once per distinct name."""
    import pyarrow as pa
    import pyarrow.compute as pc
    enc = pc.dictionary_encode(arr).combine_chunks() if isinstance(arr, pa.ChunkedArray) else pc.dictionary_encode(arr)
    masked = pa.array([mask_name(v) for v in enc.dictionary.to_pylist()], type=pa.string())
    return pc.fill_null(masked.take(enc.indices), "")


def _masked_keys_arrow(arr):
    import pyarrow.compute as pc
    return pc.fill_null(pc.binary_join_element_wise("****", pc.utf8_slice_codeunits(arr, -4), ""), "")


def _sources_arrow(file, sheet, row, lang: str = "zh"):
    import pyarrow as pa
    import pyarrow.compute as pc
    before, after = _row_words(lang)
    row_text = pc.binary_join_element_wise(before, pc.cast(row, pa.string()), after, "")
    sheet = pc.fill_null(sheet, "")
    with_sheet = pc.binary_join_element_wise(file, sheet, row_text, " › ")
    without = pc.binary_join_element_wise(file, row_text, " › ")
    return pc.if_else(pc.equal(sheet, ""), without, with_sheet)


def detail_arrow(s: Settlement, mine: pd.DataFrame, lang: str = "zh"):
    """The 业绩明细 columns for share rows, as an Arrow table; money as yuan with 2 decimals
    (exact from integer micro-fen, rounded half-up for display)."""
    import pyarrow as pa

    lines = s.credit.lines
    pos = pa.array(lines.index.get_indexer(mine["line"].to_numpy()), type=pa.int64())

    def take(name):
        return _arrow(lines[name]).take(pos)

    share = mine["share_u"].to_numpy(dtype=np.int64)
    rebate_fen = _round_div(mine["rebate_u"].to_numpy(dtype=np.int64), U)
    perf_fen = _round_div_share(mine["net_u"].to_numpy(dtype=np.int64), share)
    codes, uniques = pd.factorize(share)
    share_text = pa.array([f"{u * 100 / U:g}%" for u in uniques], type=pa.string()).take(pa.array(codes)) \
        if len(share) else pa.array([], type=pa.string())
    names = {st.id: (st.name if lang == "zh" else st.name_en or st.name) for st in s.policy.streams}
    rules = {st.id: st.rule for st in s.policy.streams}
    scodes, suniq = pd.factorize(mine["stream"].astype(object))
    stream = pa.array([names.get(u, u) for u in suniq], type=pa.string()).take(pa.array(scodes)) if len(mine) \
        else pa.array([], type=pa.string())
    rule = pa.array([rules.get(u, "") for u in suniq], type=pa.string()).take(pa.array(scodes)) if len(mine) \
        else pa.array([], type=pa.string())
    file = pa.array(lines["src_file"].astype(str), type=pa.string()).take(pos)
    sheet = pa.array(lines["src_sheet"].fillna("").astype(str), type=pa.string()).take(pos)
    row = pa.array(lines["src_row"].to_numpy(dtype=np.int64)).take(pos)
    return pa.table({
        "record_no": take("record_no").cast(pa.string()),
        "patient_name": _masked_names_arrow(take("patient_name").cast(pa.string())),
        "patient_key": _masked_keys_arrow(take("patient_key").cast(pa.string())),
        "visited_at": pa.array(lines["visited_at"].to_numpy(dtype="datetime64[ns]")).take(pos),
        "settled_on": pa.array(lines["settled_on"].to_numpy(dtype="datetime64[ns]")).take(pos),
        "department": take("department").cast(pa.string()), "category": take("category").cast(pa.string()),
        "amount": pa.array(mine["amount_fen"].to_numpy(dtype=np.int64) / 100),
        "share": share_text, "rebate": pa.array(rebate_fen / 100), "performance": pa.array(perf_fen / 100),
        "stream": stream, "rule": rule, "source": _sources_arrow(file, sheet, row, lang),
    })


def detail_rows(s: Settlement, mine: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The 业绩明细 rows as a DataFrame (for `explain`)."""
    frame = detail_arrow(s, mine, lang).to_pandas()
    frame.index = mine.index
    return frame


def _round_div(x: np.ndarray, d: int) -> np.ndarray:
    """Integer division rounded half-up (away from zero)."""
    x = np.asarray(x, dtype=np.int64)
    q = (np.abs(x) + d // 2) // d
    return np.where(x < 0, -q, q)


def _round_div_share(net_u: np.ndarray, share_u: np.ndarray) -> np.ndarray:
    """fen = round(share × net), with share and net in micro units, exactly."""
    whole = share_u == U
    out = _round_div(net_u, U)
    if (~whole).any():
        # net_u × share_u / U² in Python integers for the shared (overlap) lines only.
        idx = np.flatnonzero(~whole)
        vals = []
        for n, sh in zip(net_u[idx].tolist(), share_u[idx].tolist()):
            num = n * sh
            q, r = divmod(abs(num), U * U)
            q += 1 if 2 * r >= U * U else 0
            vals.append(q if num >= 0 else -q)
        out[idx] = vals
    return out


def prepare_details(s: Settlement, lang: str = "zh") -> None:
    """Build every person's 业绩明细 rows in one vectorised pass (before the writers fork), in
    payslip order — by person, stream, 结算日期, source order — as one Arrow table that each
    payslip slices without copying."""
    sh = s.shares
    if not len(sh):
        s.details = (None, {}, {})
        return
    ordered = sh.sort_values(["staff_id", "stream", "settled_on", "src_order"], kind="stable")
    table = detail_arrow(s, ordered, lang)
    staff = ordered["staff_id"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, staff[1:] != staff[:-1]])
    ends = np.r_[starts[1:], len(staff)]
    # Each person's 合计 of 金额 and of the rounded per-line 返款 (integer fen), summed per run.
    amount = np.add.reduceat(ordered["amount_fen"].to_numpy(dtype=np.int64), starts)
    rebate = np.add.reduceat(_round_div(ordered["rebate_u"].to_numpy(dtype=np.int64), U), starts)
    violations_of(s, "")  # build the per-person violation index once, before the writers fork
    if lang != "zh":
        kept_words(s)
    if len(s.violations):  # and every 违规 row as a payslip prints it: each payslip takes its rows
        names = s.staff.set_index("staff_id")["name"].to_dict()
        s.violation_sheet = (lang, frame_of(list(violation_rows(s.violations, names, lang, month_appeals(s))),
                                            violation_columns(lang)))
    s.details = (table, {staff[a]: (a, b - a) for a, b in zip(starts, ends)},
                  {staff[a]: (int(x), int(y)) for a, x, y in zip(starts, amount, rebate)})


def detail_table(s: Settlement, slip: Payslip, lang: str) -> Table:
    cols = detail_columns(lang)
    if s.details is None:
        prepare_details(s, lang)
    table, bounds, sums = s.details
    where = bounds.get(slip.staff_id)
    if where is None:
        frame = frame_of([], cols)
    else:
        frame = table.slice(*where).rename_columns([h for h, _ in cols])
    amount_fen, rebate_fen = sums.get(slip.staff_id, (0, 0))
    amount = r2(Decimal(amount_fen) / 100)
    rebate = r2(Decimal(rebate_fen) / 100)
    perf = r2(sum(slip.stream_performance.values(), Decimal(0)))
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    total = [L("合计", "Total"), None, None, None, None, None, None, amount, None, rebate, perf, None, None, None]
    # The header stays in row 1 (readable by any program); the 合计 row carries the totals.
    return Table(L("业绩明细", "Detail"), cols, frame, total=total, landscape=True,
                 header=f"&C{amp(slip.name)}{L('（', ' (')}{slip.staff_id}{L('）', ') ')}{s.month} "
                        f"{L('业绩明细', 'credited lines')}", lang=lang)


def violation_columns(lang):
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    return [(L("代码", "Code"), TEXT), (L("名称", "Name"), TEXT), (L("规则", "Rule"), TEXT), (L("工号", "Staff id"), TEXT),
            (L("姓名", "Name"), TEXT), (L("来源", "Source"), TEXT), (L("卡号", "Card"), TEXT),
            (L("患者标识", "Patient key"), TEXT), (L("合作单位", "Partner"), TEXT), (L("说明", "Detail"), TEXT),
            (L("处理", "Effect"), TEXT), (L("申诉结果", "Appeal"), TEXT)]


def violation_rows(v: pd.DataFrame, names: dict, lang: str, appeals: dict | None = None):
    """违规 rows; 申诉结果 (SPEC §12) says for each R20–R26 finding whether it was appealed and how
    it was decided (`appeals`: finding id → engine.appeals.Decision)."""
    from settle.engine.appeals import appeal_result, finding_ids
    ids = finding_ids(v) if len(v) else []
    for r, fid in zip(v.itertuples(), ids):
        yield (r.code, VIOLATION_NAMES[r.code][0 if lang == "zh" else 1], r.rule, r.staff_id,
               names.get(r.staff_id, "") if isinstance(r.staff_id, str) else "",
               _source(r.file, r.sheet, r.row, lang), r.card_no, mask_key(r.patient_key), r.partner,
               r.detail if lang == "zh" else violation_detail(r.code, r.detail),
               r.effect if lang == "zh" else violation_effect(r.code, r.effect),
               appeal_result((appeals or {}).get(fid), lang) if fid else "")


def month_appeals(s: Settlement) -> dict:
    """The month's appeal decisions by finding id (SPEC §12)."""
    out = getattr(s.credit, "appeals", None)
    return out.by_finding() if out is not None else {}


def violation_table(v: pd.DataFrame, names: dict, lang: str, name: str | None = None,
                    appeals: dict | None = None) -> Table:
    cols = violation_columns(lang)
    return Table(name or _zh(lang, "违规", "Violations"), cols,
                 frame_of(list(violation_rows(v, names, lang, appeals)), cols), landscape=True, lang=lang)


def large_month(s: Settlement) -> bool | None:
    """A hospital-group month writes every workbook with the Rust writer; a hospital month lets
    each workbook's size decide (None)."""
    from settle.output.xlsx import LARGE_MONTH
    return True if len(s.shares) > LARGE_MONTH else None


def kept_words(s: Settlement) -> tuple[str, ...]:
    """The month's data words an English run keeps as written (english.data_words), found once."""
    if s.kept_words is None:
        s.kept_words = data_words(s)
    return s.kept_words


def violations_of(s: Settlement, staff_id: str) -> pd.DataFrame:
    index = s.violation_index
    if index is None:
        v = s.violations
        index = v.groupby("staff_id", dropna=True).indices if len(v) else {}
        s.violation_index = index
    rows = index.get(staff_id)
    return s.violations.iloc[rows] if rows is not None else s.violations.iloc[0:0]


def person_violations(s: Settlement, slip: Payslip, lang: str) -> Table:
    """The payslip's 违规 sheet: its rows of the month's prepared 违规 rows (prepare_details)."""
    prepared = s.violation_sheet
    if prepared is None or prepared[0] != lang:
        return violation_table(violations_of(s, slip.staff_id), {slip.staff_id: slip.name}, lang,
                               appeals=month_appeals(s))
    violations_of(s, "")
    rows = s.violation_index.get(slip.staff_id)
    frame = (prepared[1].iloc[rows] if rows is not None else prepared[1].iloc[0:0]).reset_index(drop=True)
    return Table(_zh(lang, "违规", "Violations"), violation_columns(lang), frame, landscape=True, lang=lang)


def write_payslip(path: Path, s: Settlement, slip: Payslip, lang: str = "zh", page: Page | None = None) -> None:
    tables = [payslip_table(s, slip, lang, page), detail_table(s, slip, lang), person_violations(s, slip, lang)]
    write_book(path, tables, fast=large_month(s))


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


def summary_table(s: Settlement, rows: list[dict], lang: str, page: Page | None = None,
                  previous: dict | None = None, previous_month: str = "") -> Table:
    """汇总: one row per person and a 合计 row counting the paid people and 网络部 apart; with
    last month settled, 上月应发合计 and 变化 beside 应发合计 (issue 18). The page header carries
    the title and month on every printed page; the header row stays row 1 (a table any program
    reads)."""
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    page = page or Page()
    cols = [(L("工号", "Staff id"), TEXT), (L("姓名", "Name"), TEXT), (L("角色", "Role"), TEXT), (L("小组", "Team"), TEXT),
            (L("业绩", "Performance"), MONEY)] + [(L(c, COLUMN_EN[c]), MONEY) for c in SUMMARY_COLUMNS] + \
           [(L("应发合计", "Total pay"), MONEY)]
    if previous is not None:
        cols += [(L("上月应发合计", "Last month"), MONEY), (L("变化", "Change"), MONEY)]
    data = []
    for r in rows:
        row = (r["staff_id"], r["name"], r["role"], r["team"], r["performance"], *[r[c] for c in SUMMARY_COLUMNS],
               r["total"])
        if previous is not None:
            before = previous.get(r["staff_id"])
            row += (before, None if r["total"] is None or before is None else r["total"] - before)
        data.append(row)
    paid = [r for r in rows if r["total"] is not None]
    network = len(rows) - len(paid)
    count = L(f"{len(paid)} 人", f"{len(paid)} paid") + (L(f"＋网络部 {network} 人", f" + {network} network") if network else "")
    total = (L("合计", "Total"), count, None, None,
             sum((r["performance"] for r in rows), Decimal(0)),
             *[sum((r[c] for r in paid), Decimal(0)) for c in SUMMARY_COLUMNS],
             sum((r["total"] for r in paid), Decimal(0)))
    if previous is not None:
        before = sum(previous.values(), Decimal(0))
        total += (before, total[-1] - before)
    return Table(L("汇总", "Summary"), cols, frame_of(data, cols), total=total, landscape=True,
                 header=page.header(f"{s.month} {L('工资汇总', 'pay summary')}",
                                    L(f"上月 = {previous_month}；", f"last month = {previous_month}; ") * bool(previous)
                                    + L("扣款以正数列示", "deductions shown positive")),
                 lang=lang)


def unattributed_table(s: Settlement, lang: str) -> Table:
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    lines = s.credit.lines
    un = lines[~lines["credited"].to_numpy(dtype=bool)]
    walk = un[(un["reason"] == REASON_WALK_IN).to_numpy()]
    listed = un[(un["reason"] != REASON_WALK_IN).to_numpy()]
    order = {r: i for i, r in enumerate(REASON_ORDER)}
    listed = listed.assign(_k=listed["reason"].map(order)).sort_values(["_k", "src_order"])
    cols = [(L("原因", "Reason"), TEXT), (L("病历号", "Record no"), TEXT), (L("患者姓名", "Patient"), TEXT),
            (L("患者标识", "Patient key"), TEXT), (L("卡号", "Card"), TEXT), (L("就诊时间", "Visited"), DATETIME),
            (L("结算日期", "Settled"), DATE), (L("科室", "Department"), TEXT), (L("项目类别", "Category"), TEXT),
            (L("行数", "Lines"), INT), (L("金额", "Amount"), MONEY), (L("来源", "Source"), TEXT)]
    idx = 0 if lang == "zh" else 1
    part1 = pd.DataFrame({
        0: listed["reason"].map(lambda r: REASON_NAMES[r][idx]).astype(object),
        1: listed["record_no"].astype(object), 2: mask_names(listed["patient_name"]).to_numpy(),
        3: _masked_keys(listed["patient_key"]).to_numpy(), 4: listed["card_no"].astype(object),
        5: listed["visited_at"], 6: listed["settled_on"], 7: listed["department"].astype(object),
        8: listed["category"].astype(object), 9: 1, 10: listed["amount_fen"].to_numpy() / 100,
        11: _sources(listed, lang).to_numpy() if len(listed) else []})
    g = walk.groupby(["department", "category"], observed=True)["amount_fen"].agg(["size", "sum"]).reset_index()
    part2 = pd.DataFrame({0: REASON_NAMES[REASON_WALK_IN][idx] + L("（按科室、项目类别汇总）", " (by department and category)"),
                          1: None, 2: None, 3: None, 4: None, 5: pd.NaT, 6: pd.NaT,
                          7: g["department"].astype(object), 8: g["category"].astype(object),
                          9: g["size"].astype(int), 10: g["sum"].to_numpy() / 100, 11: None})
    frame = pd.concat([part1, part2], ignore_index=True) if len(part2) else part1
    frame.columns = [h for h, _ in cols]
    total_fen = int(un["amount_fen"].sum())
    total = [L("合计", "Total"), None, None, None, None, None, None, None, None, int(len(un)),
             Decimal(total_fen) / 100, None]
    return Table(L("未归属", "Unattributed"), cols, frame, total=total, landscape=True,
                 header=f"&C{s.month} {L('未归属的本月结算账单', 'settled lines credited to nobody')}",
                 lang=lang)


def reconciliation_table(s: Settlement, rec: dict, rows: list[dict], lang: str) -> Table:
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    yuan = lambda fen: Decimal(int(fen)) / 100  # noqa: E731
    idx = 0 if lang == "zh" else 1
    data = [(L("本月结算账单（R1：已结算且结算日期在本月）", "Settled billing of the month (R1)"), rec["total_count"],
             yuan(rec["total_fen"]), ""),
            (L("  已归属", "  credited"), rec["credited_count"], yuan(rec["credited_fen"]), "")]
    for reason, v in rec["uncredited"].items():
        data.append((f"  {L('未归属：', 'uncredited: ')}{REASON_NAMES[reason][idx]}", v["count"], yuan(v["fen"]), ""))
    data.append((L("核对：已归属 + 未归属 = 本月结算账单", "check: credited + uncredited = settled billing"),
                 None, yuan(rec["credited_fen"] + rec["uncredited_fen"]),
                 L("平衡 ✓", "balanced ✓") if rec["balanced"] else L("不平衡 ✗", "NOT balanced ✗")))
    for label, v in rec["excluded"].items():
        data.append((f"{L('不计入本月：', 'not counted this month: ')}{L(label, EXCLUDED_EN.get(label, label))}",
                     v["count"], yuan(v["fen"]), ""))
    payslip_total = r2(sum((p.total for p in s.payslips), Decimal(0)))
    summary_total = r2(sum((r["total"] for r in rows if r["total"] is not None), Decimal(0)))
    data.append((L("工资条应发合计之和", "sum of payslip totals"), len(s.payslips), payslip_total, ""))
    data.append((L("汇总表应发合计", "summary total"), None, summary_total,
                 L("一致 ✓", "equal ✓") if payslip_total == summary_total else L("不一致 ✗", "differs ✗")))
    for c in SUMMARY_COLUMNS:
        data.append((f"{L('汇总列', 'summary column')} {L(c, COLUMN_EN[c])}", None,
                     sum((r[c] for r in rows if r[c] is not None), Decimal(0)), ""))
    data.append((L("返款合计（各合作单位四舍五入后相加）", "rebates total (per partner, rounded)"), int(s.rebate_totals["lines"].sum()) if len(s.rebate_totals) else 0,
                 Decimal(rec["rebate_total"]), ""))
    tr = translator(lang, s.policy)
    for _, name, base, rate, amount in s.funds:
        data.append((f"{tr(name)}{L('（', ' (')}{L('基数', 'base')} {r2(base)} × {rate * 100:g}%{L('）', ')')}",
                     None, amount, ""))
    if "interdept_reward" in rec:
        data.append((L("科间转诊奖励（R42，医生，不在工资条内）", "inter-department referral reward (R42, doctors, "
                       "not on payslips)"), rec["interdept_successes"], Decimal(rec["interdept_reward"]), ""))
    data.append((L("说明：汇总表扣款以正数列示并从应发合计中减去；网络部只计业绩不发工资。",
                   "Note: the summary shows deductions as positive figures and subtracts them from the total; "
                   "the network department has performance and no pay."),
                 None, None, ""))
    cols = [(L("项目", "Item"), TEXT), (L("行数/人数", "Count"), INT), (L("金额", "Amount"), MONEY),
            (L("结果", "Result"), TEXT)]
    return Table(L("核对", "Reconciliation"), cols, frame_of(data, cols), widths={0: 48},
                 header=f"&C{s.month} {L('核对', 'reconciliation')}", lang=lang)


def write_summary(path: Path, s: Settlement, run_info: list[tuple[str, str]], lang: str = "zh",
                  page: Page | None = None, history=None) -> dict:
    """部门汇总.xlsx: 汇总, 关注, 图表, 趋势, 违规, 未归属, 核对, 运行信息. Rebate detail is not
    here any more (R46: 返款汇总.xlsx and the vouchers); 核对 keeps the rebate total."""
    from settle.output.director import History, attention_table, chart_table, trend_table

    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    page = page or Page()
    history = history or History()
    rows = summary_rows(s)
    rec = reconciliation(s)
    names = s.staff.set_index("staff_id")["name"].to_dict()
    info_cols = [(L("项目", "Item"), TEXT), (L("内容", "Value"), TEXT)]
    violations = violation_table(s.violations, names, lang, appeals=month_appeals(s))
    violations.header = f"&C{s.month} {L('违规', 'violations')}"
    tables = [summary_table(s, rows, lang, page, history.previous, history.previous_month),
              attention_table(s, history, lang, page), chart_table(s, lang, page), trend_table(s, history, lang, page),
              violations, unattributed_table(s, lang), reconciliation_table(s, rec, rows, lang),
              Table(L("运行信息", "Run info"), info_cols, frame_of(run_info, info_cols), widths={0: 36, 1: 100},
                    header=f"&C{s.month} {L('运行信息', 'run info')}", lang=lang)]
    if s.unrecovered:
        tables.insert(1, unrecovered_table(s, lang))
    write_book(path, tables, fast=large_month(s))
    return rec


def unrecovered_table(s: Settlement, lang: str) -> Table:
    """R45 欠款未收回: negative totals of people who left, and carried debts that found no payslip."""
    L = lambda zh, en: _zh(lang, zh, en)  # noqa: E731
    cols = [(L("工号", "Staff id"), TEXT), (L("姓名", "Name"), TEXT), (L("月份", "Month"), TEXT),
            (L("欠款", "Debt"), MONEY)]
    total = (L("合计", "Total"), None, None, sum((d[3] for d in s.unrecovered), Decimal(0)))
    return Table(L("欠款未收回", "Unrecovered debts"), cols, frame_of([tuple(d) for d in s.unrecovered], cols),
                 total=total, lang=lang)


# --- card check ----------------------------------------------------------------------------------

def write_card_check(path: Path, violations: pd.DataFrame, names: dict, lang: str = "zh",
                     appeals: dict | None = None) -> None:
    write_book(path, [violation_table(violations, names, lang, _zh(lang, "卡片检查", "Card check"), appeals)])
