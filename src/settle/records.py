"""A settled month is self-contained (SPEC §10): it keeps its rules, byte for byte, with their
hashes and the merged policy's hash; the fingerprints of its inputs are re-checked just before
publishing; `explain` of a settled month reads its record and never recomputes.

Library functions: data in, data (and Problems) out. The command line renders them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from settle.load.inputs import changed_sources, sha256
from settle.problems import Problems, problem

# Names never depend on the language of the run (issue 18.5): one folder name in every record.
_RULES = "规则"
RULES_FOLDER = {"zh": _RULES, "en": _RULES}
SUMMARY_FILE = {"zh": "部门汇总.xlsx", "en": "部门汇总.xlsx"}
PAYSLIP_FOLDER = {"zh": "工资条", "en": "工资条"}


def record_meta(loaded, settlement, lang: str) -> dict:
    """What settlement.json and 运行信息 add about the rules version and the published files."""
    from settle.output.render import payslip_file

    v = loaded.version
    folder = RULES_FOLDER[lang]
    return {
        "rules": {"version": v.label, "policy_sha256": v.policy_sha256, "folder": folder,
                  "stored": {name: f"{folder}/{f.name}" for (name, _), f in zip(loaded.rules_files, v.files)}},
        "files": {"summary": SUMMARY_FILE[lang],
                  "payslips": {p.staff_id: f"{PAYSLIP_FOLDER[lang]}/{payslip_file(p)}" for p in settlement.payslips}},
        "lang": lang,
    }


def store_rules(stage: Path, loaded, lang: str) -> None:
    """Every rules source file of the run's version, byte for byte (the bytes parsed), into the
    staging folder's 规则/ (SPEC §10: the month keeps its rules)."""
    folder = stage / RULES_FOLDER[lang]
    folder.mkdir(exist_ok=True)
    for f in loaded.version.files:
        (folder / f.name).write_bytes(f.data)


def recheck(loaded, history: list[tuple[str, str]] = ()) -> Problems:
    """Just before publishing: every input, rules file and earlier settlement.json that R41 read
    (`history`: (name under the workspace, SHA-256)) re-hashed; a file whose bytes differ from
    those parsed is an error naming it (SPEC §10 fingerprints)."""
    problems = Problems()
    sources = list(loaded.inputs.sources if loaded.inputs else [])
    sources += [(loaded.ws.out_root.parent / name, name, digest) for name, digest in history]
    for display, before, after in changed_sources(sources):
        problems.add(problem("input_changed", file=display, before=before[:12], after=(after or "—")[:12]))
    for name, f in zip((n for n, _ in loaded.rules_files), loaded.version.files if loaded.version else ()):
        try:
            now = sha256(f.path)
        except OSError:
            now = None
        if now != f.sha256:
            problems.add(problem("input_changed", file=name, before=f.sha256[:12], after=(now or "—")[:12]))
    return problems


def read_record(folder: Path) -> dict | None:
    """The settlement.json of a settled month's folder, or None."""
    try:
        return json.loads((Path(folder) / "settlement.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def recorded_rules(workspace: Path, month, out: Path | None = None) -> Path | None:
    """The folder of rules a settled month stored (SPEC §10: check-cards, explain and verify of
    a settled month use them), or None when the month is not settled or kept none."""
    from settle.load.workspace import Workspace
    from settle.output.publish import settled_folder

    folder = settled_folder(Workspace.open(workspace, Problems(), out).out_root, str(month))
    record = read_record(folder)
    rules = (record or {}).get("rules", {})
    stored = folder / rules.get("folder", "") if rules.get("stored") else None
    return stored if stored is not None and stored.is_dir() else None


def recorded_version(record: dict | None) -> tuple[str, str] | None:
    """(version label, merged policy hash) a record was settled under."""
    if not record:
        return None
    rules = record.get("rules", {})
    policy = rules.get("policy")
    digest = rules.get("policy_sha256")
    if digest is None and policy is not None:   # settled before versions were recorded
        import hashlib
        digest = hashlib.sha256(json.dumps(policy, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    return rules.get("version", "base"), digest or ""


def rules_change(record: dict | None, loaded) -> tuple[str, str] | None:
    """(old, new) names of the rules versions when a rerun's version differs from the recorded
    one (by label or by the merged policy's hash), else None."""
    old = recorded_version(record)
    if old is None or loaded.version is None:
        return None
    new = (loaded.version.label, loaded.version.policy_sha256)
    if old[1] == new[1]:
        return None
    name = lambda v: f"{v[0]} ({v[1][:12]})"  # noqa: E731
    return name(old), name(new)


# --- explain ----------------------------------------------------------------------------------

@dataclass
class Explained:
    """One person's payslip as explain shows it: from the record, or a preview."""

    month: str
    preview: bool
    person: dict                       # staff_id, name, role, team, employed_days, month_days, regular, performance
    streams: list[tuple[str, str]]     # (stream name, performance)
    lines: list[dict]                  # name, rule, base, rate, amount, derivation (rendered)
    total: str
    flags: list[str] = field(default_factory=list)
    settled_at: str = ""
    version: str = ""
    appeals: list[tuple[str, str, str, str]] = field(default_factory=list)  # SPEC §12: rule, 名称, 来源, 申诉结果


def find_person(people: dict, person: str) -> tuple[str | None, Problems]:
    """The staff id of `person` (a staff id or a name) among a record's people."""
    problems = Problems()
    if person in people:
        return person, problems
    named = [sid for sid, p in people.items() if p.get("name") == person]
    if len(named) == 1:
        return named[0], problems
    if named:
        candidates = " · ".join(f"{sid} {people[sid].get('name', '')} ({people[sid].get('role', '')})" for sid in named)
        problems.add(problem("ambiguous_payslip", person=person, n=len(named), candidates=candidates))
    else:
        problems.add(problem("unknown_payslip", person=person))
    return None, problems


def explain_recorded(record: dict, person: str, lang: str) -> tuple[Explained | None, Problems]:
    """A settled month's payslip reproduced from settlement.json (never recomputed)."""
    from settle.output.derivation import render, units

    people = record.get("people", {})
    sid, problems = find_person(people, person)
    if sid is None:
        return None, problems
    from settle.output.english import translator
    tr = translator(lang, record.get("rules", {}).get("policy"))
    p = people[sid]
    policy = record.get("rules", {}).get("policy") or {}
    names = {s.get("id"): tr(s.get("name")) for s in policy.get("streams", []) + policy.get("registration_streams", [])}
    month = record.get("month", "")
    from settle.load.workspace import Month
    info = dict(staff_id=sid, name=p["name"], role=p["role"], team=p.get("team") or "",
                employed_days=p["employed_days"], month_days=Month.parse(month).days, regular=p["regular"],
                performance=p["performance"])
    lines = [dict(name=tr(l["name"]), rule=tr(l["rule"]), base=units(l["base"], lang), rate=units(l["rate"], lang),
                  amount=l["amount"], derivation=render(dict(l, name=tr(l["name"]), rule=tr(l["rule"])), lang)) for l in p["lines"]]
    version = (record.get("rules", {}).get("version") or "base")
    return Explained(month, False, info, [(names.get(k, k), v) for k, v in p.get("stream_performance", {}).items()],
                     lines, p["total"], [tr(f) for f in p.get("flags", [])], record.get("generated_at", ""),
                     version, person_appeals(record.get("violations", []), record.get("appeals") or [], sid, lang)), \
        problems


def person_appeals(violations: list[dict], appeals: list[dict], sid: str, lang: str) -> list[tuple]:
    """The person's R20–R26 findings with their appeal result (SPEC §12), from record-shaped
    dicts: (rule, 名称, 来源, 申诉结果). A finding on someone's appeal sheet without being theirs in
    违规 (R20 tied by 患者标识) is listed through its appeal."""
    from settle.engine.appeals import CARD_CODES, Decision, appeal_result, finding_id
    from settle.output.render import _source
    from settle.problems import RULE_OF, VIOLATION_NAMES

    decided = {a["id"]: a for a in appeals if a.get("applied") not in ("repeated", "missing")}
    out, shown = [], set()

    def row(code, file, sheet, at, fid):
        a = decided.get(fid)
        d = Decision(fid, a["decision"], a.get("approved_by") or "", "", None, 0, "") if a else None
        shown.add(fid)
        return (RULE_OF[code], VIOLATION_NAMES[code][lang != "zh"], _source(file, sheet, at, lang), appeal_result(d, lang))

    for v in violations:
        if v.get("code") in CARD_CODES and v.get("staff_id") == sid:
            out.append(row(v["code"], v.get("file"), v.get("sheet"), v.get("row"),
                           finding_id(v["code"], v.get("file"), v.get("sheet"), v.get("row"), v.get("card_no"))))
    for fid, a in decided.items():
        if a.get("staff_id") == sid and fid not in shown and a.get("code") and a.get("finding"):
            f = a["finding"]
            out.append(row(a["code"], f.get("file"), f.get("sheet"), f.get("row"), fid))
    return out


def explain_preview(settlement, person: str, lang: str = "zh") -> tuple[Explained | None, Problems]:
    """An unsettled month's payslip computed now: a preview (SPEC §10, labelled 预览)."""
    from settle.engine.money import r2
    from settle.output.english import data_words, translator

    people = {p.staff_id: {"name": p.name, "role": p.role} for p in settlement.payslips}
    sid, problems = find_person(people, person)
    if sid is None:
        return None, problems
    slip = next(p for p in settlement.payslips if p.staff_id == sid)
    info = dict(staff_id=sid, name=slip.name, role=slip.role, team=slip.team or "",
                employed_days=slip.employed_days, month_days=settlement.month.days, regular=slip.regular,
                performance=str(r2(slip.performance)))
    tr = translator(lang, settlement.policy, data_words(settlement) if lang != "zh" else ())
    streams = [(tr(settlement.policy.stream(k).name), str(r2(v))) for k, v in slip.stream_performance.items()]
    lines = [dict(name=tr(l.name), rule=tr(l.rule), base=tr(l.base), rate=tr(l.rate), amount=str(l.amount),
                  derivation=tr(l.detail)) for l in slip.lines]
    from settle.output.result import appeal_records, settlement_violations
    return Explained(str(settlement.month), True, info, streams, lines, str(slip.total),
                     [tr(f) for f in slip.flags],
                     appeals=person_appeals(settlement_violations(settlement), appeal_records(settlement), sid,
                                            lang)), problems


def money(text: str) -> str:
    """'1234.5' → '1,234.50' for display, rounded half-up as R37 rounds (format's own .2f is
    half-even: an exact 12,417.745 must show 12,417.75, as the payslip line does)."""
    return f"{Decimal(str(text).replace(',', '')).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"
