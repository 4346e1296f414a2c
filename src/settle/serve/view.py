"""What the page shows of a workspace and month, read fresh on each visit: the month folders,
the month's state (settled, closed), the roster to explain from, the rules to simulate with,
and the files of its output folder — the only files the page serves or opens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from settle.problems import Problems, problem
from settle.serve.texts import page_text

_ROSTER_CACHE: dict[tuple[str, int], list[tuple[str, str]]] = {}


def open_workspace(root: Path, out: Path | None = None):
    from settle.load.workspace import Workspace
    return Workspace.open(Path(root), Problems(), out)


def month_names(ws) -> list[str]:
    """The month folders of the workspace and the months with outputs, newest first."""
    from settle.load.workspace import Month
    names = {str(m) for m in ws.months_upto(Month(9999, 12))}
    if ws.out_root.is_dir():
        for p in ws.out_root.iterdir():
            try:
                if p.is_dir():
                    names.add(str(Month.parse(p.name)))
            except ValueError:
                pass
    return sorted(names, reverse=True)


def month_state(ws, month: str, lang: str) -> tuple[str, bool]:
    """(what the month is — settled when, closed by whom — and whether it is closed)."""
    from settle.output.publish import is_closed, settled_folder
    closed = is_closed(ws.out_root / month)
    if closed:
        return page_text("state_closed", lang, who=closed.get("closed_by", ""), when=closed.get("closed_at", "")), True
    record = settled_folder(ws.out_root, month) / "settlement.json"
    if record.is_file():
        when = dt.datetime.fromtimestamp(record.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        return page_text("state_settled", lang, when=when), False
    return page_text("state_not_settled", lang), False


def roster(ws, lang: str) -> list[tuple[str, str]]:
    """(工号, label) of everyone on staff.xlsx, for explain's choice; cached while the file is unchanged."""
    path = ws.staff_file
    if path is None:
        return []
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    if key not in _ROSTER_CACHE:
        from settle.load.inputs import load_staff
        staff = load_staff(ws, Problems())
        _ROSTER_CACHE[key] = [(str(r.staff_id), str(r.name), str(r.role)) for r in staff.itertuples()
                              if isinstance(r.staff_id, str)]
    left, right = ("（", "）") if lang == "zh" else (" (", ")")
    return [(sid, f"{sid} {name}{left}{role}{right}") for sid, name, role in _ROSTER_CACHE[key]]


def rules_choices(root: Path, lang: str) -> list[tuple[str, str, Path]]:
    """(id, label, path) of the rules files simulate may use: the workspace's rules/ and the
    shipped examples."""
    from settle.rules.loader import default_rules_dir
    out = []
    folder = Path(root) / "rules"
    if folder.is_dir():
        for p in sorted(q for q in folder.rglob("*") if q.suffix in (".yaml", ".yml") and q.is_file()):
            rel = p.relative_to(root).as_posix()
            out.append((f"ws:{rel}", rel, p))
    for p in sorted((default_rules_dir() / "examples").glob("*.yaml")):
        out.append((f"example:{p.name}", page_text("rules_example", lang, name=p.name), p))
    return out


@dataclass
class Outputs:
    """Paths relative to the output folder (what /file and /open take), each with its label."""

    month_folder: str | None = None                            # when the month has outputs
    files: list[tuple[str, str]] = field(default_factory=list)  # the month's own files
    folders: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)   # 工资条/, 返款单/ …
    simulations: list[tuple[str, str]] = field(default_factory=list)


def _visible(p: Path) -> bool:
    from settle.output.publish import CLOSED_MARK
    return not p.name.startswith((".", "~$")) and p.name != CLOSED_MARK   # the month's state says it


def _listed(root: Path, folder: Path, paths) -> list[tuple[str, str]]:
    return [(p.relative_to(root).as_posix(), p.relative_to(folder).as_posix()) for p in paths
            if p.is_file() and _visible(p)]


def outputs(ws, month: str) -> Outputs:
    """The month's published files (history/ left out), workbooks first, and its simulations."""
    root, found = ws.out_root, Outputs()
    target = root / month
    if target.is_dir():
        found.month_folder = target.relative_to(root).as_posix()
        entries = sorted(target.iterdir(), key=lambda q: (q.suffix != ".xlsx", q.name))
        found.files = _listed(root, target, entries)
        found.folders = [(p.name, _listed(root, p, sorted(p.rglob("*")))) for p in entries
                         if p.is_dir() and _visible(p) and p.name != "history"]
    sims = root / "simulations" / month
    if sims.is_dir():
        found.simulations = _listed(root, sims, sorted(sims.iterdir()))
    return found


def in_output(ws, rel: str) -> Path | None:
    """`rel` inside the workspace's output folder, or None when it would lead anywhere else."""
    base = ws.out_root.resolve()
    try:
        path = (base / rel).resolve()
    except (OSError, ValueError):
        return None
    return path if (path == base or base in path.parents) and path.exists() else None


def not_a_workspace(root: Path, lang: str) -> str | None:
    from settle.load.perimeter import is_workspace
    if is_workspace(root):
        return None
    return problem("not_a_workspace", folder=str(Path(root).resolve())).text(lang)


def not_a_month(month: str, lang: str) -> str | None:
    """The catalogue's words for a month that is not YYYY-MM (and could name a folder elsewhere)."""
    from settle.load.workspace import Month
    try:
        Month.parse(month)
    except ValueError:
        return problem("bad_month", value=month).text(lang)
    return None
