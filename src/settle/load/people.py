"""Who a row names (SPEC §3.5): the 工号 and 业务员 cells of 登记表, 日报 and 调整.

- both filled: they must name the same person — the 工号 on the roster and the 业务员 text that
  工号 itself or its holder's name. When they name different people, or one of them names
  nobody while the other names someone, the row is a blocking input error naming both cells
  (an export's 工号 column may hold another system's numbers; a silent choice would pay the
  wrong person). When neither names anyone, the 业务员 text is what is reported;
- only 工号: it names the person (or nobody);
- only 业务员: matched as a 工号, then as a name unique on the roster;
- neither: 必填项为空 (missing_value), never R25.

Statuses: ok · unknown · ambiguous (two people of that name) · missing · mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from settle.load.columns import Kind
from settle.problems import Problems, both, problem, say, sheet_key

# What an unresolved row is reported as, per kind: in 登记表 R25 only rejects the row; in 日报 and
# 调整 pay would silently change, so the row blocks the run.
UNRESOLVED = {"registrations": {"unknown": "unknown_staff", "ambiguous": "unknown_staff"}}
BLOCKING = {"unknown": "unknown_person", "ambiguous": "ambiguous_person"}


@dataclass(frozen=True)
class Named:
    staff_id: str | None
    status: str
    match: str | None = None      # mismatch: the 工号 the 业务员 text names, if any
    match_status: str = ""        # mismatch: how the 业务员 text resolved (ok | unknown | ambiguous)
    holder: str | None = None     # mismatch: the roster name of the row's 工号, if it is on the roster
    match_holder: str | None = None  # mismatch: the roster name of `match`


class Roster:
    def __init__(self, staff: pd.DataFrame):
        self.ids = set(staff["staff_id"].dropna())
        self.names = staff.groupby("name")["staff_id"].agg(list).to_dict() if len(staff) else {}
        named = staff[staff["name"].notna()] if len(staff) else staff
        self.name_of = dict(zip(named["staff_id"], named["name"])) if len(named) else {}

    def by_text(self, text: str) -> tuple[str | None, str]:
        """业务员 text: a 工号, else a name unique on the roster."""
        if text in self.ids:
            return text, "ok"
        matches = self.names.get(text, [])
        if len(matches) == 1:
            return matches[0], "ok"
        return None, "ambiguous" if matches else "unknown"

    def named(self, staff_id: str | None, text: str | None) -> Named:
        if staff_id and text:
            if staff_id in self.ids and (text == staff_id or staff_id in self.names.get(text, ())):
                return Named(staff_id, "ok")
            match, status = self.by_text(text)
            if staff_id not in self.ids and match is None:
                return Named(None, status)          # neither names anyone: the 业务员 text is reported
            return Named(None, "mismatch", match, status, self.name_of.get(staff_id), self.name_of.get(match))
        if staff_id:
            return Named(staff_id, "ok") if staff_id in self.ids else Named(None, "unknown")
        if text:
            return Named(*self.by_text(text))
        return Named(None, "missing")


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.full(len(frame), None, dtype=object)
    col = frame[name].astype(object)
    return np.where(col.notna().to_numpy(dtype=bool), col.to_numpy(dtype=object), None)


def resolve_people(frame: pd.DataFrame, staff: pd.DataFrame) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """(staff_id or NA, status, and each row's Named) for every row of `frame` (SPEC §3.5)."""
    roster = Roster(staff)
    sid, who = _column(frame, "staff_id"), _column(frame, "salesperson")
    pairs = pd.MultiIndex.from_arrays([pd.Series(sid, dtype=object).fillna(""), pd.Series(who, dtype=object).fillna("")])
    codes, uniques = pd.factorize(pairs)
    found = np.empty(len(uniques), dtype=object)
    found[:] = [roster.named(a or None, b or None) for a, b in uniques]
    named = found[codes]      # one Named per row, shared by the rows of one (工号, 业务员) pair
    ids = np.array([n.staff_id for n in found], dtype=object)[codes] if len(found) else np.array([], dtype=object)
    status = np.array([n.status for n in found], dtype=object)[codes] if len(found) else np.array([], dtype=object)
    return (pd.Series(ids, index=frame.index, dtype="string[pyarrow]"),
            pd.Series(status, index=frame.index, dtype=object), named)


def _header(frame: pd.DataFrame, kind: Kind, fname: str) -> str:
    return frame.attrs.get("headers", {}).get(fname, kind.field(fname).display)


def _shown(frame: pd.DataFrame, kind: Kind, fname: str, file, sheet) -> str:
    """A column as the clerk sees it, with its letter when known: 工号（A列） / 工号 (column A)."""
    header = _header(frame, kind, fname)
    letter = frame.attrs.get("letters", {}).get(sheet_key(file, sheet), {}).get(header)
    return both(f"{header}（{letter}列）", f"{header} (column {letter})") if letter else header


def _both_says(code: str, **params) -> str:
    return both(say(code, "zh", **params), say(code, "en", **params))


def report_people(frame: pd.DataFrame, kind: Kind, named: np.ndarray, problems: Problems,
                  skip: np.ndarray | None = None) -> None:
    """Every row that names nobody, two people, or two different people. `skip`: rows whose
    unresolved person is no problem (a 确认例外 names a registration); a mismatch is reported
    on every row."""
    codes = UNRESOLVED.get(kind.name, BLOCKING)
    headers = frame.attrs.get("headers", {})
    sid, who = _column(frame, "staff_id"), _column(frame, "salesperson")
    files, sheets, rows = (frame[c].to_numpy(dtype=object) for c in ("src_file", "src_sheet", "src_row"))
    for i in np.flatnonzero(np.fromiter((n.status != "ok" for n in named), dtype=bool, count=len(named))):
        n = named[i]
        if n.status != "mismatch" and skip is not None and skip[i]:
            continue
        where = dict(file=files[i], sheet=sheets[i] or None, row=rows[i])
        if n.status == "mismatch":
            id_says = (_both_says("people.id_holder", staff_id=sid[i], holder=n.holder) if n.holder is not None
                       else _both_says("people.id_unknown", staff_id=sid[i]))
            name_says = (_both_says("people.name_is", name=who[i], match=n.match, holder=n.match_holder)
                         if n.match else _both_says(f"people.name_{n.match_status}", name=who[i]))
            problems.add(problem("person_mismatch", **where, column=_header(frame, kind, "staff_id"), value=sid[i],
                                 id_column=_shown(frame, kind, "staff_id", where["file"], where["sheet"]),
                                 name_column=_shown(frame, kind, "salesperson", where["file"], where["sheet"]),
                                 staff_id=sid[i], name=who[i], id_says=id_says, name_says=name_says))
            continue
        if n.status == "missing":   # 必填项为空, on 业务员 unless only a 工号 column is there
            fname = "staff_id" if "salesperson" not in headers and "staff_id" in headers else "salesperson"
            problems.add(problem("missing_value", **where, column=_header(frame, kind, fname)))
            continue
        fname = "salesperson" if who[i] is not None else "staff_id"   # the cell whose own text named nobody
        problems.add(problem(codes[n.status], **where, column=_header(frame, kind, fname),
                             value=who[i] if fname == "salesperson" else sid[i]))
