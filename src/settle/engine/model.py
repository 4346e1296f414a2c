"""What a settled month is made of: payslip lines, payslips and the settlement (SPEC §5, §7).
Every field is declared here; nothing is hung on these objects at run time."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from settle.engine.crediting import Credit
from settle.engine.money import ZERO, r2
from settle.engine.rebates import rebate_table
from settle.load.workspace import Month
from settle.rules import schema as P


@dataclass
class PayLine:
    """One payslip line: a figure with its rule, base and rate (R37: rounded once)."""

    component: str          # component or stream id
    name: str               # 名称
    rule: str               # 依据/规则
    column: str             # 汇总 column (SPEC §7)
    base: str               # 基数
    rate: str               # 比例或单价
    exact: Decimal          # before rounding
    detail: str = ""        # derivation
    amount: Decimal = field(init=False)

    def __post_init__(self):
        self.amount = r2(self.exact)


@dataclass
class Payslip:
    """R40: one 业务员, 主管 or 主任 employed on at least one day of MONTH."""

    staff_id: str
    name: str
    role: str
    team: str
    employed_days: int
    regular: bool
    performance: Decimal                 # month performance after R28/R29 (exact)
    stream_performance: dict[str, Decimal]
    lines: list[PayLine] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    unpaid_reason: str = ""                  # R44: why every line is 0.00 (a leaver within 7 days)
    carry_forward: Decimal | None = None     # R45: the negative 应发合计 carried to MONTH+1 as 上月欠款

    @property
    def total(self) -> Decimal:
        """R39 应发合计: the sum of the rounded lines."""
        return r2(sum((l.amount for l in self.lines), ZERO))

    def column_total(self, column: str) -> Decimal:
        return r2(sum((l.amount for l in self.lines if l.column == column), ZERO))

    def summary_column(self, column: str) -> Decimal:
        """The 汇总 figure: 扣款 is shown as a positive amount (SPEC §7)."""
        total = self.column_total(column)
        return (-total if total else total.copy_abs()) if column == "扣款" else total


@dataclass
class Settlement:
    """A settled month: its payslips and everything the outputs are written from."""

    month: Month
    policy: P.Policy
    credit: Credit
    shares: pd.DataFrame           # one row per (credited line, beneficiary)
    payslips: list[Payslip]
    network: dict[str, Decimal]    # 网络部 staff_id -> performance
    rebate_totals: pd.DataFrame    # per partner: lines, total (R17 大额返款 reads it)
    violations: pd.DataFrame
    funds: list[tuple[str, str, Decimal, Decimal, Decimal]]  # (id, name, base, rate, amount)
    staff: pd.DataFrame
    inputs: object = None
    # The earlier months' settlement.json that R41 read: (display name, SHA-256).
    history_files: list[tuple[str, str]] = field(default_factory=list)
    perimeter: object = None             # SPEC §8.1: load.perimeter.Perimeter, the plausibility findings
    interdept: object = None             # R42 科间转诊奖励: engine.interdept.InterdeptResult, or None when off
    # R45 欠款未收回: debts of people with no payslip to deduct them from (staff_id, name, month, amount).
    unrecovered: list[tuple[str, str, str, Decimal]] = field(default_factory=list)
    # Built when first needed, by the worker that writes the outputs (not on the serial path):
    rebate_rows: pd.DataFrame | None = field(default=None, repr=False)   # the 返款 sheet
    details: tuple | None = field(default=None, repr=False)              # 业绩明细 table, bounds, sums
    violation_index: dict | None = field(default=None, repr=False)       # staff_id -> rows of 违规
    violation_sheet: tuple | None = field(default=None, repr=False)      # (lang, every 违规 row as printed)
    kept_words: tuple | None = field(default=None, repr=False)           # an English run's data words
    share_index: dict | None = field(default=None, repr=False)           # staff_id -> rows of shares
    voucher_list: list | None = field(default=None, repr=False)          # output.vouchers.Voucher, sorted
    voucher_rows: object = field(default=None, repr=False)               # their lines (Arrow table)

    @property
    def rebates(self) -> pd.DataFrame:
        """The 返款 sheet's rows (one per rebate line, R15–R17)."""
        if self.rebate_rows is None:
            self.rebate_rows = rebate_table(self.credit.lines, self.policy)
        return self.rebate_rows
