"""Loading a month's inputs into typed, columnar frames (SPEC §3).

Each kind becomes one pandas DataFrame: text as strings, keys as text with leading zeros kept,
money as exact integer fen (`*_fen`, int64), dates as datetime64. Every row keeps its origin in
`_file`, `_sheet`, `_row` (Excel's row number) and, for month folders, `_month`; `_order` sorts
rows by month, file and row — the order R3 and R15 use to break ties.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from settle.load import columns as C
from settle.load.columns import Kind
from settle.load.people import report_people, resolve_people
from settle.load.normalize import (clean_key, lost_zeros, clean_text, parse_bool, parse_datetime, parse_fen, parse_int,
                        parse_percent, present)
from settle.problems import Problems, both, problem, sheet_key, with_letters
from settle.load.readers import RawTable, col_letter, read_file
from settle.load.workspace import INPUT_SUFFIXES, Month, Workspace

BAD_SUFFIX = "__unreadable"


@dataclass
class Inputs:
    month: Month
    staff: pd.DataFrame
    registrations: pd.DataFrame
    billing: pd.DataFrame
    daily: pd.DataFrame
    adjustments: pd.DataFrame
    files: list[tuple[str, str]] = field(default_factory=list)  # (display name, sha256)
    months: list[Month] = field(default_factory=list)
    interdept: object = None  # R42: load.interdept.Slips (MONTH's 科间转诊单 and the slips carried in)
    sources: list[tuple[Path, str, str]] = field(default_factory=list)  # (path, display name, sha256 of the bytes parsed)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (display name, why): SPEC §8.1
    appeals: pd.DataFrame | None = None  # SPEC §12 申诉: filled-in appeal rows of MONTH and earlier months


def changed_sources(sources: list[tuple[Path, str, str]]) -> list[tuple[str, str, str | None]]:
    """(display, digest when parsed, digest now or None when gone) of every input whose bytes
    differ now from the bytes parsed — the re-check just before publishing (SPEC §10)."""
    changed = []
    for path, display, digest in sources:
        try:
            now = sha256(path)
        except OSError:
            now = None
        if now != digest:
            changed.append((display, digest, now))
    return changed


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _series(arr: pa.Array) -> pd.Series:
    return pd.Series(pd.array(arr, dtype="string[pyarrow]") if len(arr) else pd.array([], dtype="string[pyarrow]"))


def parse_table(raw: RawTable, kind: Kind, problems: Problems) -> pd.DataFrame:
    """Turn one RawTable's text into typed columns, reporting every unreadable cell."""
    data: dict[str, object] = {}
    unreadable: dict[str, np.ndarray] = {}  # cells already reported, so `require` stays quiet
    n = len(raw)
    where = dict(file=raw.file, sheet=raw.sheet)
    for f in kind.fields:
        if f.name not in raw.values:
            continue
        text, control = clean_text(raw.values[f.name])
        column = raw.headers[f.name]
        if control.any():
            problems.cells("control_char", column=column, rows=raw.rows[control],
                           values=np.array(text.to_pylist(), dtype=object)[control], **where)
        if f.kind in (C.TEXT, C.KEY):
            if f.kind == C.KEY:
                text, exponent = clean_key(text)
                if exponent.any() and f.long_number_trap:
                    problems.cells("long_number", column=column, rows=raw.rows[exponent],
                                   values=_values(text, exponent), **where)
                if f.name in ("record_no", "card_no"):  # SPEC §8: 病历号/卡号 that lost its zeros
                    lost, example = lost_zeros(text)
                    if lost.any():
                        problems.cells("lost_leading_zeros", column=column, rows=raw.rows[lost],
                                       values=_values(text, lost), example=example, **where)
            if f.choices:
                bad = present(text) & ~pc.fill_null(pc.is_in(text, pa.array(f.choices)), False).to_numpy(
                    zero_copy_only=False)
                if bad.any():
                    problems.cells("bad_choice", column=column, rows=raw.rows[bad], values=_values(text, bad),
                                   choices="、".join(f.choices), **where)
            data[f.name] = _series(text)
        elif f.kind == C.MONEY:
            fen, valid, bad = parse_fen(text)
            unreadable[f.name] = bad
            if bad.any():
                problems.cells("bad_money", column=column, rows=raw.rows[bad], values=_values(text, bad), **where)
            data[f.name + "_fen"] = pd.arrays.IntegerArray(np.where(valid, fen, 0), ~valid)
        elif f.kind in (C.DATE, C.DATETIME):
            stamps, bad, ambiguous = parse_datetime(text, date1904=raw.date1904)
            unreadable[f.name] = bad | ambiguous
            if bad.any():
                problems.cells("bad_date", column=column, rows=raw.rows[bad], values=_values(text, bad), **where)
            if ambiguous.any():
                problems.cells("ambiguous_date", column=column, rows=raw.rows[ambiguous],
                               values=_values(text, ambiguous), **where)
            if f.kind == C.DATE:
                stamps = stamps.astype("datetime64[D]").astype("datetime64[ns]")
            data[f.name] = pd.Series(stamps)
        elif f.kind == C.INT:
            vals, valid, bad = parse_int(text)
            unreadable[f.name] = bad
            if bad.any():
                problems.cells("bad_number", column=column, rows=raw.rows[bad], values=_values(text, bad), **where)
            data[f.name] = pd.array([int(v) if ok else None for v, ok in zip(vals, valid)], dtype="Int64")
        elif f.kind == C.PERCENT:
            vals, valid, bad = parse_percent(text)
            if bad.any():
                problems.cells("bad_percent", column=column, rows=raw.rows[bad], values=_values(text, bad), **where)
            data[f.name] = pd.Series(vals, dtype=object)
        elif f.kind == C.BOOL:
            vals, valid, bad = parse_bool(text)
            if bad.any():
                problems.cells("bad_choice", column=column, rows=raw.rows[bad], values=_values(text, bad),
                               choices="是、否", **where)
            data[f.name] = pd.Series(vals)
    frame = pd.DataFrame(data, index=pd.RangeIndex(n))
    for fname, rows in raw.flagged.items():
        hit = np.isin(raw.rows, list(rows))
        unreadable[fname] = unreadable[fname] | hit if fname in unreadable else hit
    for fname, mask in unreadable.items():
        frame[fname + BAD_SUFFIX] = mask
    frame["src_file"] = raw.file
    frame["src_sheet"] = raw.sheet or ""
    frame["src_row"] = raw.rows.astype(np.int64)
    frame.attrs["headers"] = dict(raw.headers)
    # Where each header stands, so messages say 就诊时间（E列） as the clerk sees it (SPEC §8.1).
    frame.attrs["letters"] = {sheet_key(raw.file, raw.sheet): {raw.headers[f]: col_letter(c) for f, c in raw.cells.items()
                                                      if f in raw.headers}}
    return frame


def _read_one(path: Path, display: str, kind: Kind, extra_aliases, report: list | None = None
              ) -> tuple[list, list, int, str | None]:
    """Read and parse one file from a private copy of its bytes, and return their SHA-256 too:
    the fingerprint is of the very bytes parsed (SPEC §10), whatever happens to the file later.
    `report` receives how each sheet was read (`settle inspect`: the same path as `run`)."""
    problems = Problems()
    with parsed_copy(path) as (source, digest):
        frames = [parse_table(raw, kind, problems)
                  for raw in read_file(source, display, kind, problems, extra_aliases, report) if raw.values]
    return frames, problems.items, problems.unlisted, digest


@contextmanager
def parsed_copy(path: Path):
    """(the path to parse, the SHA-256 of its bytes): the file is read once into a private
    temporary copy with the same suffix; the readers parse the copy. A file that cannot be read
    is handed on as it is (the reader reports why) with no digest."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        yield path, None
        return
    fd, tmp = tempfile.mkstemp(prefix="settle-in-", suffix=Path(path).suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        digest = hashlib.sha256(data).hexdigest()
        del data
        yield Path(tmp), digest
    finally:
        os.unlink(tmp)


def prefetch(tasks: list[tuple]) -> dict:
    """Read and parse every (path, display, kind, aliases) of a run at once on two forked workers,
    largest file first, so the kinds overlap. Returns the results by (path, kind name), for
    `load_kind(..., prefetched=)` to take; empty when forking does not pay."""
    from settle.load.prefetch import read_parallel, sweep_dead_runs

    sweep_dead_runs()
    results = read_parallel(tasks, _read_one)
    return {(task[0], task[2].name): result for task, result in zip(tasks, results or ())}


def _read_all(paths, kind: Kind, extra_aliases, prefetched: dict | None = None) -> list[tuple]:
    """Each file read and parsed; several large files on two forked workers (the Rust reader
    holds the GIL, so threads would not help). Results keep the files' order."""
    from settle.load.prefetch import read_parallel

    if prefetched is not None and paths and all((p, kind.name) in prefetched for p, _ in paths):
        return [prefetched.pop((p, kind.name)) for p, _ in paths]
    tasks = [(p, d, kind, extra_aliases) for p, d in paths]
    results = read_parallel(tasks, _read_one)
    return results if results is not None else [_read_one(*t) for t in tasks]


def _values(arr: pa.Array, mask: np.ndarray) -> list:
    return pc.take(arr, pa.array(np.flatnonzero(mask))).to_pylist()


def empty_frame(kind: Kind) -> pd.DataFrame:
    cols = {}
    for f in kind.fields:
        if f.kind == C.MONEY:
            cols[f.name + "_fen"] = pd.Series([], dtype="Int64")
        elif f.kind in (C.DATE, C.DATETIME):
            cols[f.name] = pd.Series([], dtype="datetime64[ns]")
        elif f.kind == C.INT:
            cols[f.name] = pd.Series([], dtype="Int64")
        elif f.kind == C.BOOL:
            cols[f.name] = pd.Series([], dtype=bool)
        elif f.kind == C.PERCENT:
            cols[f.name] = pd.Series([], dtype=object)
        else:
            cols[f.name] = pd.Series([], dtype="string[pyarrow]")
    frame = pd.DataFrame(cols)
    frame["src_file"] = pd.Series([], dtype=object)
    frame["src_sheet"] = pd.Series([], dtype=object)
    frame["src_row"] = pd.Series([], dtype="int64")
    return frame


def load_kind(paths: list[tuple[Path, str]], kind: Kind, problems: Problems,
              extra_aliases=None, month: Month | None = None, digests: dict | None = None,
              prefetched: dict | None = None) -> pd.DataFrame:
    """Read and concatenate every file of one kind; missing optional columns become empty.
    `digests` receives each path's SHA-256 of the bytes parsed."""
    frames = []
    for (path, _), (got, items, unlisted, digest) in zip(paths, _read_all(paths, kind, extra_aliases, prefetched)):
        if digests is not None and digest is not None:
            digests[Path(path)] = digest
        frames.extend(got)
        problems.extend(items)
        problems.unlisted.update(unlisted)
    frame = combine(frames, kind)
    frame["src_month"] = str(month) if month else ""
    return frame


def combine(frames: list[pd.DataFrame], kind: Kind) -> pd.DataFrame:
    """One kind's sheets as one frame, every column of the kind present (missing optional
    columns empty), the sheets' headers and column letters kept."""
    template = empty_frame(kind)
    if not frames:
        frame = template
    else:
        frame = pd.concat(frames, ignore_index=True)
        headers, letters = {}, {}
        for f in frames:
            headers.update(f.attrs.get("headers", {}))
            letters.update(f.attrs.get("letters", {}))
        for col in template.columns:
            if col not in frame.columns:
                frame[col] = pd.Series([None] * len(frame), dtype=template[col].dtype) \
                    if template[col].dtype != bool else False
        frame.attrs["headers"] = headers
        frame.attrs["letters"] = letters
    return frame


def header_of(frame: pd.DataFrame, kind: Kind, fname: str) -> str:
    return frame.attrs.get("headers", {}).get(fname, kind.field(fname).display)


def require(frame: pd.DataFrame, kind: Kind, fname: str, mask, problems: Problems, code="missing_value"):
    """Report the rows of `mask` (bool array) whose `fname` is empty."""
    col = frame[fname] if fname in frame.columns else frame[fname + "_fen"]
    empty = np.asarray(col.isna()) & np.asarray(mask, dtype=bool)
    if fname + BAD_SUFFIX in frame.columns:
        empty &= ~frame[fname + BAD_SUFFIX].fillna(False).to_numpy(dtype=bool)
    for file, sub in frame[empty].groupby("src_file", sort=False):
        problems.cells(code, file=file, sheet=sub["src_sheet"].iloc[0] or None,
                       column=header_of(frame, kind, fname), rows=sub["src_row"].tolist(),
                       values=[None] * len(sub))
    return empty


# --- roster ----------------------------------------------------------------------------------

def load_staff(ws: Workspace, problems: Problems, digests: dict | None = None,
               prefetched: dict | None = None) -> pd.DataFrame:
    path = ws.staff_file
    if path is None:
        problems.add(problem("no_staff_file", folder=str(ws.root.resolve())))
        return _finish_staff(empty_frame(C.STAFF))
    frame = load_kind([(path, ws.display(path))], C.STAFF, problems, ws.config.aliases.get("staff"),
                      digests=digests, prefetched=prefetched)
    return check_staff(frame, problems)


def check_staff(frame: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    """The roster's required values, teams, duplicate 工号 and dates in order (SPEC §3.1)."""
    for fname in ("staff_id", "name", "role", "hired_on"):
        require(frame, C.STAFF, fname, np.ones(len(frame), bool), problems)
    needs_team = frame["role"].isin(["业务员", "主管"]).to_numpy(dtype=bool) & frame["team"].isna().to_numpy()
    for _, r in frame[needs_team].iterrows():
        problems.add(problem("missing_team", file=r["src_file"], sheet=r["src_sheet"] or None, row=r["src_row"],
                             column=header_of(frame, C.STAFF, "team"), role=r["role"]))
    dup = frame["staff_id"].notna() & frame["staff_id"].duplicated(keep="first")
    for _, r in frame[dup].iterrows():
        problems.add(problem("duplicate_staff_id", file=r["src_file"], sheet=r["src_sheet"] or None, row=r["src_row"],
                             column=header_of(frame, C.STAFF, "staff_id"), value=r["staff_id"]))
    bad_order = frame["left_on"].notna() & frame["hired_on"].notna() & (frame["left_on"] < frame["hired_on"])
    for _, r in frame[bad_order].iterrows():
        problems.add(problem("bad_date_order", file=r["src_file"], sheet=r["src_sheet"] or None, row=r["src_row"],
                             column=header_of(frame, C.STAFF, "left_on"),
                             detail=both("离职日期早于入职日期", "left before being hired")))
    return _finish_staff(frame[~dup].reset_index(drop=True))


def default_regular_on(hired: pd.Timestamp) -> pd.Timestamp:
    """Three calendar months after 入职日期, the month's last day if it is shorter (SPEC §3.1)."""
    if pd.isna(hired):
        return pd.NaT
    return hired + pd.DateOffset(months=3)  # DateOffset clamps to the month's last day


def _finish_staff(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy(deep=False)
    frame["regular_on"] = [r if pd.notna(r) else default_regular_on(h)
                           for r, h in zip(frame["regular_on"], frame["hired_on"])]
    frame["regular_on"] = pd.to_datetime(frame["regular_on"])
    return frame


# --- month kinds -----------------------------------------------------------------------------

def _month_paths(ws: Workspace, month: Month, kind: str) -> list[tuple[Path, str]]:
    return [(p, ws.display(p)) for p in ws.files(month, kind)]


def load_month_kind(ws: Workspace, months: list[Month], kind_name: str, problems: Problems,
                    digests: dict | None = None, prefetched: dict | None = None) -> pd.DataFrame:
    kind = C.KINDS[kind_name]
    frames = []
    for m in months:
        paths = _month_paths(ws, m, kind_name)
        if paths:
            frames.append(load_kind(paths, kind, problems, ws.config.aliases.get(kind_name), m, digests, prefetched))
    if not frames:
        frame = empty_frame(kind)
        frame["src_month"] = pd.Series([], dtype=object)
    else:
        headers, letters = {}, {}
        for f in frames:
            headers.update(f.attrs.get("headers", {}))
            letters.update(f.attrs.get("letters", {}))
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        frame.attrs["headers"] = headers
        frame.attrs["letters"] = letters
    # File order is the order files were listed; rows keep their sheet order.
    frame["src_order"] = np.arange(len(frame), dtype=np.int64)
    return frame


def check_billing(frame: pd.DataFrame, problems: Problems) -> None:
    kind = C.BILLING
    everywhere = np.ones(len(frame), dtype=bool)
    for fname in ("visited_at", "status", "record_no", "patient_name", "patient_key", "department", "category"):
        require(frame, kind, fname, everywhere, problems)
    require(frame, kind, "amount", everywhere, problems)
    settled = (frame["status"] == "已结算").fillna(False).to_numpy(dtype=bool)
    require(frame, kind, "settled_on", settled, problems)
    # Past the checks a missing amount has been reported; computing needs plain integers.
    frame["amount_fen"] = frame["amount_fen"].fillna(0).astype("int64")


def check_registrations(frame: pd.DataFrame, staff: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    kind = C.REGISTRATIONS
    everywhere = np.ones(len(frame), dtype=bool)
    require(frame, kind, "registered_at", everywhere, problems)
    require(frame, kind, "channel", everywhere, problems)
    labour = (frame["channel"] == "劳务工").fillna(False).to_numpy(dtype=bool)
    require(frame, kind, "patient_name", ~labour, problems)
    require(frame, kind, "patient_key", ~labour, problems)
    require(frame, kind, "headcount", labour, problems)
    sid, status, named = resolve_people(frame, staff)
    report_people(frame, kind, named, problems)   # R25 only rejects the row; 必填项为空 and a mismatch block
    frame = frame.copy(deep=False)   # copy-on-write: only the new columns are new
    frame["staff_id"] = sid
    frame["_person_status"] = status.to_numpy()
    return frame


def check_daily(frame: pd.DataFrame, staff: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    kind = C.DAILY
    everywhere = np.ones(len(frame), dtype=bool)
    require(frame, kind, "report_date", everywhere, problems)
    require(frame, kind, "submitted_at", everywhere, problems)
    sid, _, named = resolve_people(frame, staff)
    report_people(frame, kind, named, problems)
    frame = frame.copy(deep=False)
    frame["staff_id"] = sid
    return frame


MONEY_ADJUSTMENTS = ("奖励", "罚款", "补发", "扣发", "不正当手段")   # 不正当手段: 金额 is the 业绩 so obtained (R43)


def check_adjustments(frame: pd.DataFrame, staff: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    """Adjustments: 金额 is money for 奖励/罚款/补发/扣发 and a percentage for 扣业绩."""
    kind = C.ADJUSTMENTS
    frame = frame.copy(deep=False)
    everywhere = np.ones(len(frame), dtype=bool)
    require(frame, kind, "kind", everywhere, problems)
    require(frame, kind, "approved_by", everywhere, problems, code="missing_approver")
    sid, _, named = resolve_people(frame, staff)
    kinds = frame["kind"].astype(object)
    exception = (kinds == "确认例外").to_numpy(dtype=bool)
    # A 确认例外 names a registration, not necessarily a person (two people named still block).
    report_people(frame, kind, named, problems, skip=exception)
    frame["staff_id"] = sid
    money_rows = kinds.isin(MONEY_ADJUSTMENTS).to_numpy(dtype=bool)
    pct_rows = (kinds == "扣业绩").to_numpy(dtype=bool)
    require(frame, kind, "amount", money_rows | pct_rows, problems)
    amount = frame["amount"].astype(object) if "amount" in frame else pd.Series([None] * len(frame), dtype=object)
    text = pa.array([None if pd.isna(v) else str(v) for v in amount], type=pa.string())
    fen, valid, bad_money = parse_fen(text)
    pct, pvalid, bad_pct = parse_percent(text)
    column = header_of(frame, kind, "amount")
    for code, mask in (("bad_money", bad_money & money_rows), ("bad_percent", bad_pct & pct_rows)):
        for _, r in frame[mask].iterrows():
            problems.add(problem(code, file=r["src_file"], sheet=r["src_sheet"] or None, row=r["src_row"],
                                 column=column, value=r["amount"]))
    frame["amount_fen"] = pd.array([abs(int(v)) if ok and m else None
                                    for v, ok, m in zip(fen, valid, money_rows)], dtype="Int64")
    frame["percent"] = pd.Series([p if ok and m else None for p, ok, m in zip(pct, pvalid, pct_rows)],
                                 dtype=object)
    no_target = exception & frame["card_no"].isna().to_numpy() & frame["patient_key"].isna().to_numpy()
    for _, r in frame[no_target].iterrows():
        problems.add(problem("missing_value", file=r["src_file"], sheet=r["src_sheet"] or None, row=r["src_row"],
                             column=header_of(frame, kind, "card_no")))
    from settle.load.discipline import check_discipline_rows  # it builds on require/header_of above
    check_discipline_rows(frame, problems)
    return frame


def check_read(frame: pd.DataFrame, kind: Kind, problems: Problems, staff: pd.DataFrame | None = None,
               month: Month | None = None) -> pd.DataFrame:
    """The checks `run` makes on one kind's rows after reading them (`settle inspect` calls this,
    SPEC §3.6: it reports every problem run reports when reading the file). `staff`: the roster
    for the kinds naming people; `month`: MONTH for 申诉 (skipped without it)."""
    if kind is C.STAFF:
        return check_staff(frame, problems)
    if kind is C.BILLING:
        check_billing(frame, problems)
        return frame
    checks = {C.REGISTRATIONS: check_registrations, C.DAILY: check_daily, C.ADJUSTMENTS: check_adjustments}
    if kind in checks:
        return checks[kind](frame, staff if staff is not None else _finish_staff(empty_frame(C.STAFF)), problems)
    if kind.name == "appeals" and month is not None:
        from settle.load.appeals import check_appeals
        return check_appeals(frame, month, problems)
    return frame


def load_inputs(ws: Workspace, month: Month, problems: Problems, *, need_billing=True) -> Inputs:
    """Everything `run` needs: the roster, MONTH's and earlier months' registrations, billing
    and adjustments, MONTH's daily reports."""
    months = ws.months_upto(month)
    history = [m for m in months if m <= month]
    tasks = []
    for m in history:
        for k in C.MONTH_KINDS:
            if k in C.CURRENT_ONLY_KINDS and m != month:
                continue
            tasks += [(p, ws.display(p), C.KINDS[k], ws.config.aliases.get(k)) for p in ws.files(m, k)]
    return _load_inputs(ws, month, problems, need_billing, prefetch(tasks))


def _load_inputs(ws: Workspace, month: Month, problems: Problems, need_billing: bool,
                 prefetched: dict | None = None) -> Inputs:
    digests: dict[Path, str] = {}   # path -> SHA-256 of the bytes parsed
    staff = load_staff(ws, problems, digests, prefetched)
    if not ws.month_dir(month).is_dir():
        problems.add(problem("no_month_folder", folder=str(ws.month_dir(month))))
    months = ws.months_upto(month)
    history = [m for m in months if m <= month]
    registrations = check_registrations(load_month_kind(ws, history, "registrations", problems, digests, prefetched), staff, problems)
    billing = load_month_kind(ws, history, "billing", problems, digests, prefetched)
    check_billing(billing, problems)
    if need_billing and ws.month_dir(month).is_dir() and not ws.files(month, "billing"):
        problems.add(problem("no_input_files", folder=str(month), kind="收费明细",
                             patterns="、".join(ws.config.patterns["billing"])))
    daily = load_month_kind(ws, [month] if month in months else [], "daily", problems, digests, prefetched)
    daily = check_daily(daily, staff, problems)
    adjustments = check_adjustments(load_month_kind(ws, history, "adjustments", problems, digests, prefetched), staff, problems)
    from settle.load.interdept import load_interdept
    interdept = load_interdept(ws, month, problems)
    from settle.load.appeals import check_appeals  # SPEC §12: like 调整, MONTH's and earlier months' sheets
    appeals = check_appeals(load_month_kind(ws, history, "appeals", problems, digests, prefetched), month, problems)
    letters = {}
    for frame in (staff, registrations, billing, daily, adjustments, appeals):
        letters.update(frame.attrs.get("letters", {}))
    problems.items[:] = with_letters(problems.items, letters)
    sources = []
    for p in ([ws.staff_file] if ws.staff_file else []):
        sources.append((p, ws.display(p), digests.get(p) or sha256(p)))
    for m in history:
        for k in C.MONTH_KINDS:
            if k in C.CURRENT_ONLY_KINDS and m != month:
                continue
            for p in ws.files(m, k):
                sources.append((p, ws.display(p), digests.get(p) or sha256(p)))
    files = [(display, digest) for _, display, digest in sources]
    skipped = report_skipped(ws, month, problems)
    return Inputs(month, staff, registrations, billing, daily, adjustments, files, history, interdept, sources,
                  skipped, appeals)


def report_skipped(ws: Workspace, month: Month, problems: Problems) -> list[tuple[str, str]]:
    """SPEC §8.1: nothing in MONTH's folder is skipped without a word. Returns (display, why)."""
    out = []
    patterns = "；".join(f"{C.KINDS[k].display}: {'、'.join(ws.config.patterns.get(k, ()))}" for k in C.MONTH_KINDS)
    for p, why in ws.skipped(month):
        shown = ws.display(p)
        if why == "unsupported":
            problems.add(problem("unsupported_file", file=shown, suffix=p.suffix or "(无扩展名)",
                                 accepted=" ".join(INPUT_SUFFIXES)))
        else:
            problems.add(problem("unmatched_file", file=shown, patterns=patterns))
        out.append((shown, why))
    return out
