"""The engine's pay names in one place, for callers that import them from here. The code lives in
modules named after what they own: model, money, streams, components, limits, rebates, reports,
adjustments, flags, settle_month."""

from settle.engine.model import PayLine, Payslip, Settlement
from settle.engine.money import U, fmt_money, fmt_rate, r2, yuan
from settle.engine.rebates import partner_totals, rebate_table, rebate_totals
from settle.engine.settle_month import settle_month

__all__ = ["PayLine", "Payslip", "Settlement", "U", "fmt_money", "fmt_rate", "r2", "yuan", "partner_totals",
           "rebate_table", "rebate_totals", "settle_month"]
