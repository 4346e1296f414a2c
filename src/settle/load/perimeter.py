"""The perimeter (SPEC §8.1): exit 0 means the month the clerk meant.

Plausibility checks between reading the inputs and computing pay, each turning a clerk's usual
mistake into a catalogue problem with its numbers:

- dates: billing lines (by 结算日期, the date R1 uses) and registrations (by 登记时间) of MONTH's
  folder that lie outside MONTH — an error when more than half of a file's dated rows do (the
  file belongs to another month), a warning listing them when a few do;
- the same file twice (identical content) is an error; the same billing line (病历号, 就诊时间,
  项目类别, 金额) in two different files of MONTH counts once, with a warning naming both places
  (identical lines within one file all count) — found on whole columns, never row by row;
- a month folder without 登记表 or 日报 (warning; without 日报 every salesperson is fined, R27);
- an Excel/WPS owner file (`~$name.xlsx`, `.~lock.name#`) beside an input (warning);
- problems in earlier months' rows, read for history only, are warnings attributed to their
  month: MONTH is judged on its own;
- after crediting: people who left before MONTH but registered or are owed lines in MONTH (R5,
  their 业绩 goes to 未归属), and people on last month's payslips with none this month.

`check_inputs` and `check_roster` return a `Perimeter`: the findings with their numbers, which
the terminal summary and settlement.json both show.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from settle.load import columns as C
from settle.load.workspace import Month, Workspace
from settle.problems import ERROR, Problem, Problems, both, problem, say, unlisted_severity, with_letters

# A 登记表 of one or two rows dated before MONTH may well be late entries, which SPEC §6 expects
# (listed in the month they are first seen): it takes 3 dated rows to call a 登记表 another month's.
MIN_LATE_ENTRY_FILE = 3
MAX_LISTED_ROWS = 20      # rows named in one "outside MONTH" warning
MAX_DUPLICATE_LINES = 50  # duplicate billing lines named one by one; the rest are counted
MAX_LISTED_MONTHS = 6     # months named with their counts in one "file of another month" error
_MONTH_DIR = re.compile(r"^(\d{4}-\d{2})/")


@dataclass
class Perimeter:
    """The perimeter's findings (also added to the run's problems) and their numbers."""

    findings: list[Problem] = field(default_factory=list)
    duplicate_lines: int = 0          # billing lines dropped because another file holds them
    departed: list[dict] = field(default_factory=list)   # people who left before MONTH, with lines
    vanished: list[dict] = field(default_factory=list)   # on last month's payslips, none now

    def to_json(self, lang: str = "zh") -> dict:
        return {"findings": [p.to_json(lang) for p in self.findings], "duplicate_lines": self.duplicate_lines,
                "departed": self.departed, "vanished": self.vanished}


# --- the workspace, found as git finds its repository (SPEC §1) ----------------------------------

def is_workspace(folder: Path) -> bool:
    folder = Path(folder)
    if (folder / "settle.yaml").is_file():
        return True
    return any((folder / f"{stem}{suffix}").is_file() for stem in ("staff", "人员名单")
               for suffix in (".xlsx", ".xlsm", ".xls", ".csv"))


def find_workspace(explicit: str | Path | None = None, env: dict | None = None, cwd: Path | None = None) -> Path:
    """`--workspace`, else `$SETTLE_WORKSPACE`, else the nearest folder upwards from the current
    one holding settle.yaml or staff.xlsx, else the current folder."""
    if explicit:
        return Path(explicit)
    env = os.environ if env is None else env
    if env.get("SETTLE_WORKSPACE"):
        return Path(env["SETTLE_WORKSPACE"])
    here = Path(cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if is_workspace(folder):
            return folder
    return Path(cwd) if cwd else Path(".")


# --- before pay ------------------------------------------------------------------------------------

def check_inputs(ws: Workspace, month: Month, inputs, problems: Problems) -> Perimeter:
    """Every plausibility check on what was read. Duplicate billing lines are removed from
    `inputs.billing`; every finding is also added to `problems`."""
    judge_on_its_own(problems, month)
    found = Perimeter()
    if ws.month_dir(month).is_dir():
        found.findings += missing_kinds(ws, month)
        found.findings += owner_files(ws, month)
    with_rows = set()
    for frame in (inputs.registrations, inputs.billing, inputs.daily, inputs.adjustments):
        with_rows.update(frame["src_file"].unique() if len(frame) else ())
    copies = duplicate_files([(n, h) for n, h in inputs.files if n in with_rows], month)
    found.findings += copies
    found.findings += outside_month(inputs.billing, month, C.BILLING, "settled_on")
    found.findings += outside_month(inputs.registrations, month, C.REGISTRATIONS, "registered_at")
    skip = {p.file for p in copies}
    keep, dup_findings, dropped = duplicate_lines(inputs.billing, month, skip)
    if dropped:
        attrs = dict(inputs.billing.attrs)
        inputs.billing = inputs.billing[keep].reset_index(drop=True)
        inputs.billing.attrs.update(attrs)
    found.findings += dup_findings
    found.duplicate_lines = dropped
    letters = {}
    for frame in (inputs.registrations, inputs.billing):
        letters.update(frame.attrs.get("letters", {}))
    found.findings = with_letters(found.findings, letters)
    problems.extend(found.findings)
    return found


def judge_on_its_own(problems: Problems, month: Month) -> None:
    """Errors in earlier months' files (read for history) become warnings of their month; their
    month's own run is where they stop a settlement."""
    for i, p in enumerate(problems.items):
        m = _MONTH_DIR.match(p.file or "")
        if m and m.group(1) < str(month) and p.is_error:
            problems.items[i] = dataclasses.replace(p, history=m.group(1))
    for key, n in list(problems.unlisted.items()):   # the cells counted past the cap likewise
        m = _MONTH_DIR.match(key[1] or "")
        if m and m.group(1) < str(month) and unlisted_severity(key) == ERROR:
            del problems.unlisted[key]
            problems.unlisted[key[:4] + (m.group(1),)] += n


def missing_kinds(ws: Workspace, month: Month) -> list[Problem]:
    out = []
    for kind, code in (("registrations", "missing_registrations"), ("daily", "missing_daily")):
        if not ws.files(month, kind):
            out.append(problem(code, folder=str(month), patterns="、".join(ws.config.patterns[kind])))
    return out


def _owner_targets(owner: str) -> tuple[str, ...] | None:
    """The input names an owner file may stand for: Excel/WPS `~$name` (Excel drops the first
    two characters of a long name), LibreOffice/WPS `.~lock.name#`."""
    if owner.startswith("~$") and len(owner) > 2:
        return (owner[2:],)
    if owner.startswith(".~lock.") and owner.endswith("#"):
        return (owner[len(".~lock."):-1],)
    return None


def owner_files(ws: Workspace, month: Month) -> list[Problem]:
    """An owner file beside an input: the input may be open with unsaved edits (SPEC §2)."""
    inputs = [p for k in C.MONTH_KINDS for p in ws.files(month, k)]
    if ws.staff_file is not None:
        inputs.append(ws.staff_file)
    out = []
    for folder in sorted({p.parent for p in inputs}):
        for owner in sorted(q.name for q in folder.iterdir() if q.is_file()):
            tails = _owner_targets(owner)
            if not tails:
                continue
            for p in inputs:
                if p.parent == folder and (p.name in tails or (owner.startswith("~$") and p.name[2:] in tails)):
                    out.append(problem("owner_file", file=ws.display(p), owner=owner))
    return out


def duplicate_files(files: list[tuple[str, str]], month: Month) -> list[Problem]:
    """Identical content under two names (SPEC §8.1): an error when a copy is in MONTH's folder
    (the other may be an earlier month's: April's export again in May). Copies that are both in
    earlier folders were their own month's concern."""
    first: dict[str, str] = {}
    out = []
    for name, digest in files:
        m = _MONTH_DIR.match(name)
        if not m:
            continue
        if digest in first and m.group(1) == str(month):
            out.append(problem("duplicate_file", file=name, other=first[digest]))
        first.setdefault(digest, name)
    return out


def outside_month(frame: pd.DataFrame, month: Month, kind: C.Kind, fname: str) -> list[Problem]:
    """Rows of MONTH's own files dated outside MONTH, per file: most of them → error, a few →
    a warning listing them. A 登记表 needs MIN_LATE_ENTRY_FILE dated rows for the error."""
    if not len(frame) or fname not in frame:
        return []
    own = (frame["src_month"] == str(month)).to_numpy(dtype=bool)
    dates = frame[fname].to_numpy(dtype="datetime64[ns]")
    dated = own & ~np.isnat(dates)
    start, end = np.datetime64(month.first_day, "ns"), np.datetime64(month.shift(1).first_day, "ns")
    outside = dated & ((dates < start) | (dates >= end))
    if not outside.any():
        return []
    sub = pd.DataFrame({"file": frame["src_file"].to_numpy(dtype=object), "dated": dated, "outside": outside})
    counts = sub.groupby("file", sort=False)[["dated", "outside"]].sum()
    out = []
    headers = frame.attrs.get("headers", {})
    column = headers.get(fname, kind.field(fname).display)
    for file, row in counts[counts["outside"] > 0].iterrows():
        mine = outside & (sub["file"] == file).to_numpy()
        n, total = int(row["outside"]), int(row["dated"])
        sheets = frame["src_sheet"].to_numpy(dtype=object)[mine]
        if 2 * n > total and (kind is C.BILLING or total >= MIN_LATE_ENTRY_FILE):
            out.append(problem("outside_month_file", file=file, sheet=sheets[0] or None, column=column, count=n,
                               total=total, inside=total - n, month=str(month),
                               **months_outside(dates[mine], month, kind, spans=total > n)))
            continue
        rows = frame["src_row"].to_numpy()[mine]
        listed = "、".join(str(int(r)) for r in rows[:MAX_LISTED_ROWS]) + ("…" if n > MAX_LISTED_ROWS else "")
        effect = ("这些行不计入本月（R1）", "they do not count in this month (R1)") if kind is C.BILLING else \
            ("请核对登记时间", "check their registration times")
        out.append(problem("outside_month_rows", file=file, sheet=sheets[0] or None, column=column, count=n,
                           month=str(month), rows=listed, effect=effect[0], effect_en=effect[1]))
    return out


def months_outside(dates: np.ndarray, month: Month, kind: C.Kind, spans: bool) -> dict:
    """The months the lines outside MONTH lie in, largest first with their counts (SPEC §8.1:
    counts count what the message says), and what the file then looks like: another month's
    file (all of them in one month), or a file of several months (a whole year's export).
    `spans`: MONTH has lines too."""
    months = pd.Series(dates).dt.strftime("%Y-%m").value_counts()
    months = months.sort_index().sort_values(ascending=False, kind="stable")   # ties: the earlier month first
    shown = months.iloc[:MAX_LISTED_MONTHS]
    rest = months.iloc[MAX_LISTED_MONTHS:]
    listed = {lang: [say("outside.month_count", lang, month=m, count=int(c)) for m, c in shown.items()]
              for lang in ("zh", "en")}
    if len(rest):
        for lang in listed:
            listed[lang].append(say("outside.more_months", lang, n=len(rest), count=int(rest.sum())))
    verdict = ("outside.one_month", dict(other=months.index[0])) if len(months) == 1 else \
        ("outside.many_months", dict(n=len(months) + (1 if spans else 0)))
    params = dict(month=str(month), kind=kind.display, kind_en=kind.display_en, **verdict[1])
    return {"months": both("、".join(listed["zh"]), ", ".join(listed["en"])), "other": months.index[0],
            "verdict": both(say(verdict[0], "zh", **params), say(verdict[0], "en", **params))}


def duplicate_lines(billing: pd.DataFrame, month: Month, skip: set) -> tuple[np.ndarray, list[Problem], int]:
    """The same line (病历号, 就诊时间, 项目类别, 金额) in two files of MONTH counts once: the
    lines of the first file holding it stay (all of them), the other files' copies go. Returns
    (rows to keep, warnings, lines dropped). Columnar: keys are numbered column by column."""
    keep = np.ones(len(billing), dtype=bool)
    own = (billing["src_month"] == str(month)).to_numpy(dtype=bool) if len(billing) else keep
    if len(skip):
        own = own & ~billing["src_file"].isin(list(skip)).to_numpy(dtype=bool)
    at = np.flatnonzero(own)
    if len(at) < 2:
        return keep, [], 0
    # Only the key and place columns: a million-line month is not copied whole.
    sub = billing[["record_no", "visited_at", "category", "amount_fen", "src_file", "src_sheet", "src_row"]].iloc[at]
    files, file_names = pd.factorize(sub["src_file"])
    if len(file_names) < 2:
        return keep, [], 0
    code = np.zeros(len(sub), dtype=np.int64)
    for col in ("record_no", "visited_at", "category", "amount_fen"):
        c, size = _numbered(sub[col])
        code, _ = pd.factorize(code * (size + 1) + c)
    _, first = np.unique(code, return_index=True)     # first occurrence of each line (file order)
    first_file = np.empty(code.max() + 1, dtype=np.int64)
    first_file[code[first]] = files[first]
    first_row = np.empty(code.max() + 1, dtype=np.int64)
    first_row[code[first]] = first
    dup = files != first_file[code]
    if not dup.any():
        return keep, [], 0
    keep[at[dup]] = False
    found = []
    src_file, src_sheet = sub["src_file"].to_numpy(dtype=object), sub["src_sheet"].to_numpy(dtype=object)
    src_row = sub["src_row"].to_numpy()
    for i in np.flatnonzero(dup)[:MAX_DUPLICATE_LINES]:
        j = first_row[code[i]]
        other = " › ".join(str(x) for x in (src_file[j], src_sheet[j] or None) if x)
        amount = sub["amount_fen"].iloc[i]
        found.append(problem("duplicate_line", file=src_file[i], sheet=src_sheet[i] or None, row=int(src_row[i]),
                             other=other, other_row=int(src_row[j]), record=sub["record_no"].iloc[i],
                             amount="" if pd.isna(amount) else f"{Decimal(int(amount)) / 100:,.2f}"))
    if int(dup.sum()) > MAX_DUPLICATE_LINES:
        found.append(problem("duplicate_lines_more", count=int(dup.sum()) - MAX_DUPLICATE_LINES))
    return keep, found, int(dup.sum())


def _numbered(values: pd.Series) -> tuple[np.ndarray, int]:
    """Each value's number (empty cells share one) and how many there are; text is numbered
    by Arrow's hash table, which is faster than pandas' on a million strings."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(values.array)
        encoded = pc.dictionary_encode(arr, null_encoding="encode")
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), len(encoded.dictionary)
    codes, uniq = pd.factorize(values, use_na_sentinel=False)
    return codes.astype(np.int64), len(uniq)


# --- after crediting ------------------------------------------------------------------------------

def check_roster(settlement, history, month: Month, found: Perimeter) -> list[Problem]:
    """R5 and the roster: people who left before MONTH yet registered or are owed lines in MONTH
    (their 业绩 goes to 未归属), and people on last month's payslips with none this month. Their
    numbers go into `found.departed` / `found.vanished`; the warnings are returned (and added to
    `found.findings`)."""
    found.departed = departed_with_lines(settlement, month)
    found.vanished = vanished(settlement, history, month)
    letters = settlement.staff.attrs.get("letters", {})
    made = []
    for d in found.departed:
        made.append(problem("departed_with_lines", file=d["file"], sheet=d["sheet"], row=d["row"], column=d["column"],
                            name=d["name"], staff_id=d["staff_id"], left=d["left_on"], month=str(month),
                            regs=d["registrations"], lines=d["lines"], amount=f"{Decimal(d['performance']).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"))
    for v in found.vanished:
        made.append(problem("vanished_from_payslips", name=v["name"], staff_id=v["staff_id"], previous=v["previous"],
                            reason=v["reason"], reason_en=v["reason_en"]))
    made = with_letters(made, letters)
    found.findings += made
    return made


def departed_with_lines(s, month: Month) -> list[dict]:
    """Per person who left before MONTH: MONTH's registrations and the counting lines their
    registrations own that credit nobody because they left (R5), with those lines' sum."""
    staff = s.staff
    start = pd.Timestamp(month.first_day)
    gone = staff[staff["left_on"].notna() & (staff["left_on"] < start)]
    if not len(gone):
        return []
    regs = s.credit.registrations
    mine = regs[(regs["src_month"] == str(month)).to_numpy(dtype=bool)] if len(regs) else regs
    reg_count = mine["staff_id"].value_counts() if len(mine) else pd.Series(dtype="int64")
    lines = s.credit.lines
    owed = pd.DataFrame(columns=["size", "sum"])
    if len(lines) and "owner_reg" in lines:
        lost = lines[(lines["reason"] == "departed").to_numpy(dtype=bool) & (lines["owner_reg"] >= 0).to_numpy()]
        who = regs["staff_id"].reindex(lost["owner_reg"].to_numpy()).to_numpy(dtype=object)
        owed = pd.DataFrame({"sid": who, "fen": lost["amount_fen"].to_numpy()}).groupby("sid")["fen"].agg(["size", "sum"])
    out = []
    column = staff.attrs.get("headers", {}).get("left_on", C.STAFF.field("left_on").display)
    for p in gone.itertuples():
        n_regs = int(reg_count.get(p.staff_id, 0))
        n_lines, fen = (int(owed.loc[p.staff_id, "size"]), int(owed.loc[p.staff_id, "sum"])) \
            if p.staff_id in owed.index else (0, 0)
        if n_regs or n_lines:
            out.append({"staff_id": p.staff_id, "name": p.name, "left_on": f"{p.left_on:%Y-%m-%d}",
                        "registrations": n_regs, "lines": n_lines, "performance": str(Decimal(fen).scaleb(-2)),
                        "file": p.src_file, "sheet": p.src_sheet or None, "row": int(p.src_row), "column": column})
    return out


def vanished(s, history, month: Month) -> list[dict]:
    """Everyone on the previous month's payslips (its settlement.json) without one now, and why."""
    previous = month.shift(-1)
    data = history.settlement(previous) if history is not None else None
    if not data:
        return []
    now = {p.staff_id for p in s.payslips}
    staff = s.staff.set_index("staff_id") if len(s.staff) else s.staff
    out = []
    for sid, before in sorted(data.get("people", {}).items()):
        if sid not in now:
            zh, en = _why_no_payslip(staff, sid, month)
            out.append({"staff_id": sid, "name": before.get("name", ""), "previous": str(previous),
                        "reason": zh, "reason_en": en})
    return out


def _why_no_payslip(staff: pd.DataFrame, sid: str, month: Month) -> tuple[str, str]:
    if sid not in getattr(staff, "index", ()):
        return "已不在人员名单中", "no longer on the roster"
    s = staff.loc[sid]
    if pd.notna(s["left_on"]) and s["left_on"] < pd.Timestamp(month.first_day):
        return f"离职日期 {s['left_on']:%Y-%m-%d} 早于本月", f"left on {s['left_on']:%Y-%m-%d}, before this month"
    if pd.notna(s["hired_on"]) and s["hired_on"] > pd.Timestamp(month.last_day):
        return f"入职日期 {s['hired_on']:%Y-%m-%d} 晚于本月", f"hired on {s['hired_on']:%Y-%m-%d}, after this month"
    if s["role"] not in ("业务员", "主管", "主任"):
        return f"角色现为 {s['role']}，没有工资条", f"the role is now {s['role']}, which has no payslip"
    return "原因不明，请核对人员名单", "no reason found: check the roster"
