"""settle rules doc (SPEC §12, issue 27): every worked example of 提成方案说明 equals what
`settle run` pays for the same rows — the example month is built as a workspace and settled
through the api, its settlement.json read back — and --against shows the keys and both figures."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from settle import api
from settle.disputes.example_month import MONTH, write_workspace
from settle.problems import Problems
from settle.rules import load_version

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "src" / "settle" / "default_rules" / "default.yaml"
PLAN_A = ROOT / "src" / "settle" / "default_rules" / "examples" / "plan_a.yaml"


def settled_example(tmp: Path, rules: Path, lang: str = "zh") -> dict:
    """The example month as a workspace of its own, settled by `settle run` (published)."""
    policy = load_version(DEFAULT, Problems()).policy     # the rows come from the documented version
    root = write_workspace(tmp / "example", policy, lang)
    (root / "rules").mkdir()
    shutil.copy(rules, root / "rules" / rules.name)
    outcome = api.settle_month(root, MONTH, lang=lang)
    assert outcome.status == "ok", [p.text("en") for p in outcome.result.problems.errors]
    return json.loads((root / "output" / MONTH / "settlement.json").read_text(encoding="utf-8"))


def paid(record: dict, reads) -> Decimal | None:
    """What the record pays where an example reads: payslip lines (工号, component) or a partner's 返款."""
    total, found = Decimal(0), False
    for who, what in reads:
        if who == "partner":
            for r in record["rebates"]:
                if r["partner"] == what:
                    total, found = total + Decimal(r["total"]), True
            continue
        for line in record["people"].get(who, {}).get("lines", []):
            if line["component"] == what:
                total, found = total + Decimal(line["amount"]), True
    return total if found else None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_worked_example_is_what_run_pays(tmp_path, lang):
    """Each rule's example (R8–R11, R14, R17, R21, R27, R30–R35, R38, R43 …) equals the settled
    example month's own line. Spot figures: R11 全额累进 on 25 000 (the middle of 20 000–30 000)
    + 诊所 2 000 − 15 % 返款 (R17, 300.00) = 26 700 × 4 % = 1 068.00; R33 probation 700 × 0.8 =
    560.00 is S2's, S1's is 700 × 33 700/50 000 = 471.80; R21 one card beyond 2: −100.00."""
    doc = api.rules_doc(tmp_path, rules=DEFAULT, lang=lang, write=False).doc
    record = settled_example(tmp_path, DEFAULT, lang)
    with_example = [e for e in doc.entries if e.example is not None]
    assert len(with_example) >= 17
    for e in doc.entries:
        assert paid(record, e.reads) == (None if e.example is None else e.example.amount), (e.rule, e.title)
    by_key = {e.key: e.example.amount for e in with_example}
    assert (by_key["streams[general]"], by_key["pay[assessment]"], by_key["rebates[referral]"]) == \
        (Decimal("1068.00"), Decimal("471.80"), Decimal("300.00"))
    r21 = next(e for e in doc.entries if e.rule == "R21")
    assert (r21.example.amount, r21.source) == (Decimal("-100.00"), ("default.yaml", 185))


def test_against_shows_the_keys_and_both_figures(tmp_path):
    """--against plan_a: each rule lists its changed keys; the other figure is what `run` pays for
    the same rows under plan_a (R11's tiers differ, R17's 15 % does not)."""
    doc = api.rules_doc(tmp_path, rules=DEFAULT, against=PLAN_A, write=False).doc
    theirs = settled_example(tmp_path, PLAN_A)
    for e in doc.entries:
        assert paid(theirs, e.reads) == (None if e.other is None else e.other.amount), (e.rule, e.title)
    general = next(e for e in doc.entries if e.key == "streams[general]")
    assert general.changes and all(k.startswith("streams[general]") for k, _, _ in general.changes)
    assert general.example.amount != general.other.amount
    assert doc.other == "plan_a" and len(doc.changes) >= len(general.changes)


def test_the_document_is_written_for_the_month(tmp_path):
    """With --month the document goes beside the month's outputs (output/MONTH/, not part of the
    record); without, into output/. A4 landscape, fit to one page wide."""
    import openpyxl

    from builders import Workspace, person
    ws = Workspace(tmp_path / "ws").staff([person("S1", "王芳")])
    ws.month("2024-05")
    d = api.rules_doc(ws.root, month="2024-05")
    assert d.path == ws.root / "output" / "2024-05" / "提成方案说明.xlsx"
    sheet = openpyxl.load_workbook(d.path).active
    assert (sheet.title, sheet.page_setup.paperSize, sheet.page_setup.orientation) == ("方案说明", 9, "landscape")
    assert api.rules_doc(ws.root).path == ws.root / "output" / "提成方案说明.xlsx"
