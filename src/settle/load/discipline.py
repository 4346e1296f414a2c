"""R43 奖惩 rows of 调整: what their cells must hold before any pay is computed.

A 奖惩 row (早餐, 私事/上网, 不正当手段, 举报奖励, 不服从, 晨会缺席) needs its 日期; a 举报奖励 names,
in 参考, the 编号 of a 罚款, 早餐, 私事 or 不正当手段 row of the same month; 编号 is unique in its
month. (不正当手段's 金额 and every row's 批准人 are required by check_adjustments.)
"""

from __future__ import annotations

import pandas as pd

from settle.load import columns as C
from settle.load.inputs import header_of, require
from settle.problems import Problems, problem

FINE_KINDS = ("罚款", "早餐", "私事", "上网", "不正当手段")   # what a 举报奖励 may name (营销卡规定 6)


def _text(v) -> str | None:
    return v if isinstance(v, str) and v else None


def check_discipline_rows(frame: pd.DataFrame, problems: Problems) -> None:
    """R43: 日期 on every 奖惩 row, 参考 on every 举报奖励 naming a fine row of its month, 编号 unique."""
    kind = C.ADJUSTMENTS
    kinds = frame["kind"].astype(object)
    require(frame, kind, "on_date", kinds.isin(C.DISCIPLINE_KINDS).to_numpy(dtype=bool), problems)
    rewards = (kinds == "举报奖励").to_numpy(dtype=bool)
    require(frame, kind, "reference", rewards, problems)
    for month, rows in frame.groupby("src_month", sort=False):
        ids = rows["ref_no"].astype(object).map(_text)
        dup = ids.notna() & ids.duplicated(keep="first")
        for _, r in rows[dup.to_numpy(dtype=bool)].iterrows():
            _add(problems, "duplicate_ref_no", r, header_of(frame, kind, "ref_no"), r["ref_no"])
        fines = set(ids[rows["kind"].astype(object).isin(FINE_KINDS).to_numpy(dtype=bool) & ids.notna()])
        named = rows[(rows["kind"].astype(object) == "举报奖励").to_numpy(dtype=bool)]
        for _, r in named.iterrows():
            ref = _text(r["reference"])
            if ref is not None and ref not in fines:
                _add(problems, "unknown_reference", r, header_of(frame, kind, "reference"), ref)


def _add(problems: Problems, code: str, r, column: str, value) -> None:
    problems.add(problem(code, file=r["src_file"], sheet=r["src_sheet"] or None, row=int(r["src_row"]),
                         column=column, value=value))


def rows_without_rule(frame: pd.DataFrame, policy, month, problems: Problems) -> None:
    """SPEC §10: without `discipline:` in MONTH's rules R43 is off, and a 奖惩 row of MONTH would
    change nobody's pay — an error at its 类型 cell, never a row silently ignored (add the rules'
    discipline block, or remove the row)."""
    if policy is None or policy.discipline is not None or not len(frame):
        return
    off = frame["kind"].astype(object).isin(C.DISCIPLINE_KINDS).to_numpy(dtype=bool) \
        & (frame["src_month"] == str(month)).to_numpy(dtype=bool)
    for _, r in frame[off].iterrows():
        _add(problems, "discipline_off", r, header_of(frame, C.ADJUSTMENTS, "kind"), r["kind"])
