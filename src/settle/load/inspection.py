"""`settle inspect FILE` (SPEC §3.6): how settle reads one workbook, without computing pay.

The file is read by the very functions `run` reads with (inputs._read_one → readers.read_file
→ inputs.parse_table), which fill one SheetReport per sheet on the way: the kind, each sheet
read or skipped and why, the header row, every column with the field it feeds and the name it
matched (built-in or settle.yaml, with the settle.yaml line), columns ignored, required fields
not found with the nearest headers (by folded text and by content) and the settle.yaml lines
that would map them, rows dropped by reason, hidden rows, the first five lines as read (patients
masked as in SPEC §7), the line count and the 金额 total (exact, from integer fen).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml

from settle.load import columns as C
from settle.load.columns import Kind, header_key
from settle.load.normalize import fold_text, parse_datetime, parse_fen
from settle.load.readers import SheetReport, col_letter
from settle.load.workspace import INPUT_SUFFIXES, Config, Month, Workspace, load_config
from settle.problems import Problems, problem, with_letters

FIRST_LINES = 5
MAX_CANDIDATES = 3
_YAML_SPECIAL = re.compile(r"""[:,\[\]{}#&*!|>'"%@`]|^[-?\s]|\s$""")
_DATE_TEXT = re.compile(r"[-/.年:]")


@dataclass
class Column:
    letter: str
    header: str
    index: int = 0                    # the sheet's grid column (where its sample cells are)
    field: str | None = None          # the field it feeds, None when ignored
    matched: str | None = None        # the name it matched, as written in the catalogue or settle.yaml
    source: str | None = None         # "builtin" | "settle.yaml"
    line: int | None = None           # settle.yaml line of that alias


@dataclass
class Candidate:
    letter: str
    header: str
    by: str                           # "name" | "content"
    looks: str | None = None          # dates | money | keys (by content)


@dataclass
class Missing:
    field: str
    display: str
    candidates: list[Candidate] = field(default_factory=list)


@dataclass
class SheetView:
    sheet: str | None
    status: str
    header_row: int | None = None
    columns: list[Column] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    dropped: dict[str, list[int]] = field(default_factory=dict)
    hidden_rows: list[int] = field(default_factory=list)
    lines: int = 0


@dataclass
class Inspection:
    file: str
    kind: Kind | None
    kind_from: str                    # "name" | "option" | "unknown"
    sheets: list[SheetView] = field(default_factory=list)
    first_lines: list[dict] = field(default_factory=list)   # {"sheet", "row", "values": {header: text}}
    lines: int = 0
    amount_total: Decimal | None = None
    problems: Problems = field(default_factory=Problems)
    settle_yaml: str | None = None    # the lines that would map every missing field, ready to paste
    settle_yaml_file: str | None = None
    settle_yaml_under: bool = False   # settle_yaml is one line for the existing `aliases:` block

    @property
    def exit_code(self) -> int:
        """SPEC §1: 0 readable · 1 warnings · 2 unreadable or required fields missing."""
        read = any(s.status == "read" for s in self.sheets)
        if self.problems.errors or not read or self.kind is None:
            return 2
        return 1 if self.problems.warnings else 0


def kind_by_option(text: str) -> Kind | None:
    """--kind 收费明细 / billing / 'billing export' …"""
    t = fold_text(text).casefold()
    for k in C.KINDS.values():
        if t in (k.name, k.display, k.display_en.casefold()):
            return k
    return None


def kind_of(path: Path, config: Config) -> Kind | None:
    """The kind a file's name says (the month folder's patterns; staff.xlsx / 人员名单)."""
    stem = fold_text(path.stem).casefold()
    if stem in ("staff", "人员名单"):
        return C.STAFF
    for name, patterns in config.patterns.items():
        if stem.startswith(tuple(fold_text(p).casefold() for p in patterns)):
            return C.KINDS[name]
    return None


def inspect_file(path: Path, workspace: Path, kind: str | None = None) -> Inspection:
    """Read `path` as `run` would in `workspace` (its settle.yaml aliases apply)."""
    from settle.load.inputs import _read_one, check_read, combine

    path, workspace = Path(path), Path(workspace)
    problems = Problems()
    config = load_config(workspace / "settle.yaml", problems)
    display = _display(path, workspace)
    chosen = kind_by_option(kind) if kind else kind_of(path, config)
    out = Inspection(display, chosen, "option" if kind else "name", problems=problems,
                     settle_yaml_file=_shown_path(workspace / "settle.yaml"))
    if chosen is None:
        out.kind_from = "unknown"
        problems.add(problem("inspect_kind", file=display, value=kind or path.name,
                             kinds="、".join(f"{k.display} ({k.name})" for k in C.KINDS.values())))
        return out
    if path.suffix.lower() not in INPUT_SUFFIXES:
        problems.add(problem("unsupported_file", file=display, suffix=path.suffix or "(无扩展名)",
                             accepted=" ".join(INPUT_SUFFIXES)))
        return out
    aliases = config.aliases.get(chosen.name)
    reports: list[SheetReport] = []
    frames, items, unlisted, _ = _read_one(path, display, chosen, aliases, reports)
    problems.extend(items)
    problems.unlisted.update(unlisted)
    lines = _alias_lines(workspace / "settle.yaml")
    out.sheets = [_sheet_view(r, chosen, lines) for r in reports]
    frame = combine(frames, chosen)
    if len(frame):   # the checks run makes after reading, on the same rows (SPEC §3.6)
        frame["src_month"] = ""
        check_read(frame, chosen, problems, _roster(workspace, chosen, path), _month_of(path))
    letters = {}
    for f in frames:
        letters.update(f.attrs.get("letters", {}))
    problems.items[:] = with_letters(problems.items, letters)
    out.lines = len(frame)
    if "amount_fen" in frame and chosen.field("amount").kind == C.MONEY:
        out.amount_total = Decimal(int(frame["amount_fen"].fillna(0).astype("int64").sum())).scaleb(-2)
    out.first_lines = _first_lines(frames, chosen)
    out.settle_yaml_under = _has_aliases(workspace / "settle.yaml")
    out.settle_yaml = paste_lines(chosen, [m for s in out.sheets for m in s.missing], aliases,
                                  under_aliases=out.settle_yaml_under)
    return out


def _roster(workspace: Path, kind: Kind, path: Path) -> pd.DataFrame | None:
    """The workspace's roster for the kinds naming people, read as run reads it; its own
    problems belong to `settle inspect staff.xlsx`, not to this file's."""
    if kind in (C.STAFF, C.BILLING) or kind.name == "appeals":
        return None
    from settle.load.inputs import load_staff
    quiet = Problems()
    ws = Workspace.open(workspace, quiet)
    if ws.staff_file is None or ws.staff_file.resolve() == path.resolve():
        return None
    return load_staff(ws, quiet)


def _month_of(path: Path):
    """MONTH from the file's folder (2024-05/申诉.xlsx), else None."""
    try:
        return Month.parse(path.parent.name)
    except ValueError:   # not a month folder: the month-bound checks are left out
        return None


def _shown_path(path: Path) -> str:
    """settle.yaml as the clerk would type it from here: relative to the current folder if inside."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return str(path)


def _display(path: Path, workspace: Path) -> str:
    try:
        return path.resolve().relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return path.name


# --- one sheet -------------------------------------------------------------------------------------

def _sheet_view(r: SheetReport, kind: Kind, lines: dict) -> SheetView:
    view = SheetView(r.sheet, r.status, r.header_row, dropped=dict(r.dropped), hidden_rows=list(r.hidden_rows),
                     lines=r.lines)
    head = r.header
    if head is None:
        return view
    feeding = {cs[0]: f for f, cs in head.matched.items()}
    for c, text in enumerate(head.texts):
        if text is None or not str(text).strip():
            continue
        letter = col_letter(r.columns[c]) if c < len(r.columns) else col_letter(c + 1)
        f = feeding.get(c)
        if f is None and any(c in cs for cs in head.matched.values()):
            f = next(name for name, cs in head.matched.items() if c in cs)   # a second column of one field
        alias = head.names.get(f) if f else None
        view.columns.append(Column(letter, str(text), c, f, alias.text if alias else None,
                                   alias.source if alias else None,
                                   lines.get((kind.name, f, alias.text)) if alias and alias.source != "builtin" else None))
    if r.status in ("read", "refused", "summary_sheet"):
        ignored = [(c, col) for c, col in enumerate(view.columns) if col.field is None]
        view.missing = [Missing(f, kind.field(f).display, _nearest(kind.field(f), ignored, r))
                        for f in head.missing(kind)]
    return view


def _nearest(f: C.Field, ignored: list[tuple[int, Column]], r: SheetReport) -> list[Candidate]:
    """The ignored headers nearest to a missing field: by folded text (实收金额 → 金额), then by
    content (a column of dates, of money, of 11–18-character keys)."""
    names = [header_key(a) for a in f.aliases]
    scored = []
    for _, col in ignored:
        key = header_key(col.header)
        score = max((0.9 if n and (n in key or key in n) else difflib.SequenceMatcher(None, n, key).ratio())
                    for n in names)
        if score >= 0.5:
            scored.append((-score, col))
    found = [Candidate(col.letter, col.header, "name") for _, col in sorted(scored, key=lambda x: x[0])]
    want = {C.DATE: "dates", C.DATETIME: "dates", C.MONEY: "money"}.get(f.kind)
    if f.name in ("patient_key", "record_no", "card_no", "staff_id"):
        want = "keys"
    if want:
        for _, col in ignored:
            if any(c.letter == col.letter for c in found):
                continue
            if looks_like(r.samples.get(col.index, [])) == want:
                found.append(Candidate(col.letter, col.header, "content", want))
    return found[:MAX_CANDIDATES]


def looks_like(values: list) -> str | None:
    """What a column's cells are: dates, money, keys (11–18 characters) — or None."""
    texts = [str(v).strip() for v in values if v is not None and str(v).strip()]
    if len(texts) < 1:
        return None
    arr = pa.array(texts, type=pa.string())
    _, bad, ambiguous = parse_datetime(arr)
    if (~bad & ~ambiguous).mean() >= 0.8 and np.mean([bool(_DATE_TEXT.search(t)) for t in texts]) >= 0.8:
        return "dates"
    if np.mean([11 <= len(t) <= 18 and t.replace("-", "").isalnum() for t in texts]) >= 0.8:
        return "keys"
    _, valid, _ = parse_fen(arr)
    if valid.mean() >= 0.8:
        return "money"
    return None


# --- settle.yaml ------------------------------------------------------------------------------------

def _alias_lines(path: Path) -> dict:
    """(kind name, field name, alias) -> its line in settle.yaml (1-based), for what inspect shows."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8-sig"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return {}
    from settle.load.workspace import _KIND_KEYS

    out = {}
    if not isinstance(root, yaml.MappingNode):
        return out
    for k, v in root.value:
        if k.value != "aliases" or not isinstance(v, yaml.MappingNode):
            continue
        for kk, kv in v.value:
            kind = C.KINDS.get(_KIND_KEYS.get(kk.value, kk.value))
            if kind is None or not isinstance(kv, yaml.MappingNode):
                continue
            by_key = {header_key(a): f.name for f in kind.fields for a in f.aliases}
            for fk, fv in kv.value:
                fname = fk.value if fk.value in {f.name for f in kind.fields} else by_key.get(header_key(fk.value))
                items = fv.value if isinstance(fv, yaml.SequenceNode) else [fv]
                for item in items:
                    if isinstance(item, yaml.ScalarNode):
                        out[(kind.name, fname, str(item.value))] = item.start_mark.line + 1
    return out


def _has_aliases(path: Path) -> bool:
    """settle.yaml has a top-level `aliases:` key already (commented-out lines do not count)."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8-sig"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return False
    return isinstance(root, yaml.MappingNode) and any(k.value == "aliases" for k, _ in root.value)


def _yaml_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"' if _YAML_SPECIAL.search(text) else text


def paste_lines(kind: Kind, missing: list[Missing], existing: dict[str, list[str]] | None = None,
                under_aliases: bool = False) -> str | None:
    """The settle.yaml lines that map each missing field to its nearest header, ready to paste:
    aliases:
      收费明细: {金额: [实收金额]}
    When settle.yaml has an `aliases:` block already (`under_aliases`), only the kind's line is
    given — to put under it in place of the kind's present line, whose names it keeps
    (`existing`): a second `aliases:` key would silently replace the first."""
    pairs: dict[str, list[str]] = {f: list(names) for f, names in (existing or {}).items()}
    new = False
    for m in missing:
        if m.candidates and m.field not in (existing or {}):
            pairs.setdefault(m.field, []).append(re.sub(r"\s+", "", m.candidates[0].header))
            new = True
    if not new:
        return None
    items = ", ".join(f"{kind.field(f).display}: [{', '.join(_yaml_text(n) for n in names)}]"
                      for f, names in pairs.items())
    line = f"  {kind.display}: {{{items}}}"
    return line if under_aliases else f"aliases:\n{line}"


# --- the first lines as read ------------------------------------------------------------------------

def _first_lines(frames: list[pd.DataFrame], kind: Kind) -> list[dict]:
    """The first five lines as they will be read (typed values shown as text), patients masked."""
    from settle.output.privacy import mask_key, mask_name   # SPEC §7: the workbooks' masking

    out = []
    for frame in frames:
        headers = frame.attrs.get("headers", {})
        for i in range(min(FIRST_LINES - len(out), len(frame))):
            row = frame.iloc[i]
            values = {}
            for f in kind.fields:
                if f.name not in headers:
                    continue
                text = _shown(row, f)
                if f.name == "patient_name":
                    text = mask_name(text) if text else text
                elif f.name == "patient_key":
                    text = mask_key(text) if text else text
                values[headers[f.name]] = text
            out.append({"sheet": row["src_sheet"] or None, "row": int(row["src_row"]), "values": values})
        if len(out) >= FIRST_LINES:
            break
    return out


def _shown(row, f: C.Field) -> str:
    if f.kind == C.MONEY:
        v = row.get(f.name + "_fen")
        return "" if v is None or pd.isna(v) else f"{Decimal(int(v)) / 100:.2f}"
    v = row.get(f.name)
    if v is None or (not isinstance(v, (list, dict)) and pd.isna(v)):
        return ""
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d") if f.kind == C.DATE or (v.hour, v.minute, v.second) == (0, 0, 0) \
            else v.strftime("%Y-%m-%d %H:%M")
    if f.kind == C.BOOL:
        return "是" if v else "否"
    return str(v)


# --- machine-readable ---------------------------------------------------------------------------------

def to_json(insp: Inspection) -> dict:
    """The same as the terminal view (SPEC §3.6), patients masked; problems are added by the CLI."""
    def rows(listed: list[int]) -> dict:
        return {"count": len(listed), "rows": listed[:100]}

    return {
        "file": insp.file, "kind": insp.kind.name if insp.kind else None,
        "kind_name": insp.kind.display if insp.kind else None, "kind_from": insp.kind_from,
        "sheets": [{
            "sheet": s.sheet, "status": s.status, "header_row": s.header_row, "lines": s.lines,
            "columns": [{"column": c.letter, "header": c.header, "field": c.field,
                         "field_name": insp.kind.field(c.field).display if c.field else None,
                         "matched": c.matched, "source": c.source, "settle_yaml_line": c.line}
                        for c in s.columns if c.field],
            "ignored": [{"column": c.letter, "header": c.header} for c in s.columns if not c.field],
            "missing": [{"field": m.field, "field_name": m.display,
                         "candidates": [{"column": c.letter, "header": c.header, "by": c.by, "looks": c.looks}
                                        for c in m.candidates]} for m in s.missing],
            "dropped": {reason: rows(listed) for reason, listed in s.dropped.items()},
            "hidden_rows": rows(s.hidden_rows),
        } for s in insp.sheets],
        "settle_yaml": insp.settle_yaml, "settle_yaml_under_aliases": insp.settle_yaml_under,
        "first_lines": insp.first_lines,
        "lines": insp.lines,
        "amount_total": None if insp.amount_total is None else f"{insp.amount_total:.2f}",
    }
