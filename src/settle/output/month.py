"""Everything `run` writes into output/MONTH/ (SPEC §7, R46, R47, issue 18), into a staging
folder: payslips, 部门汇总, vouchers and 返款汇总 on the worker processes, then the strips, the
payroll import and settlement.json here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from settle.output.printing import Page


def page_of(ws, lang: str = "zh") -> Page:
    """settle.yaml's `hospital:` and `department:` for the printed pages (the department, when not
    given, in the run's language)."""
    cfg = ws.config
    default = "市场部" if lang == "zh" else "Marketing"
    return Page(hospital=getattr(cfg, "hospital", ""), department=getattr(cfg, "department", None) or default)


@dataclass
class MonthBooks:
    """What the workers that write the month's workbooks share (pickled once per worker when
    they are spawned, issue 28.4); each work item names a book or a payslip by its index."""

    folder: Path
    settlement: object
    info: list
    lang: str
    page: Page
    history: object


def write_item(books: MonthBooks, item: tuple[str, int]) -> None:
    """One work item: the voucher book, the summary, 返款汇总 or payslip number i. The
    summary and 返款汇总 are jobs for the workers too, so exactly two processes write."""
    from settle.output.render import payslip_file, write_payslip, write_summary
    from settle.output.voucher_book import BOOK, write_voucher_book
    from settle.output.vouchers import SUMMARY_FILE, write_rebate_summary

    kind, i = item
    s, folder, lang, page = books.settlement, books.folder, books.lang, books.page
    if kind == "summary":
        write_summary(folder / "部门汇总.xlsx", s, books.info, lang, page, books.history)
    elif kind == "rebates":
        write_rebate_summary(folder / SUMMARY_FILE, s, lang, page)
    elif kind == "vouchers":
        write_voucher_book(folder / BOOK, s, lang, page)
    else:
        slip = s.payslips[i]
        write_payslip(folder / "工资条" / payslip_file(slip), s, slip, lang, page)


def write_month(folder: Path, settlement, loaded, meta: dict, lang: str, step=lambda label: None) -> dict:
    """`meta`: what settlement.json and 运行信息 record besides the figures (files, rules, record)."""
    from settle.disputes.lines import write_credited
    from settle.output.director import read_history
    from settle.output.interdept_xlsx import write_interdept
    from settle.output.payroll import write_payroll
    from settle.output.render import prepare_details, reconciliation
    from settle.output.result import run_info, settlement_json
    from settle.output.strips import FILE as STRIPS_FILE, write_strips
    from settle.output.vouchers import vouchers
    from settle.parallel import in_background

    ws = loaded.ws
    page = page_of(ws, lang)
    (folder / "工资条").mkdir()          # names never depend on --lang (issue 18.5)
    step("业绩明细 / detail rows")
    prepare_details(settlement, lang)
    vouchers(settlement)  # before the workers start: they share the grouping
    history = read_history(ws.out_root, settlement.month, ws.config.attention_share, ws.config.attention_change)
    step("工资条与汇总 / payslips and summary")
    books = MonthBooks(folder, settlement, run_info(settlement, **meta, lang=lang), lang, page, history)
    items = [("vouchers", 0), ("summary", 0), ("rebates", 0), *(("slip", i) for i in range(len(settlement.payslips)))]
    with in_background(write_item, items, state=books):   # this process writes the rest meanwhile
        write_strips(folder / STRIPS_FILE, settlement, lang, page)
        write_payroll(folder, settlement, lang, page)
        write_interdept(folder, settlement.interdept, lang)  # R42 科间转诊奖励.xlsx
        write_month_appeals(folder, settlement, lang, page)  # SPEC §12 申诉/<工号>_<姓名>.xlsx
        rec = reconciliation(settlement)
        data = settlement_json(settlement, rec=rec, **meta)
        write_credited(folder, settlement.shares, settlement.credit.lines)  # SPEC §12: what settle diff names
        (folder / "settlement.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return rec


def write_month_appeals(folder: Path, settlement, lang: str, page: Page) -> list[Path]:
    """申诉/: one appeal sheet per person with R20–R26 findings this month (SPEC §12)."""
    from settle.engine.appeals import month_findings
    from settle.output.appeals import APPEAL_FOLDER, write_appeal_sheets

    names = settlement.staff.set_index("staff_id")["name"].to_dict()
    return write_appeal_sheets(folder / APPEAL_FOLDER, month_findings(settlement.credit), names, settlement.month,
                               settlement.policy.violations.duplicate_card_fine, lang, page)
