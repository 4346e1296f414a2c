"""Compatibility: the policy moved to settle.rules.schema (models) and settle.rules.loader
(files, lines, versions). Import from `settle.rules` instead; this alias goes once no branch uses it."""

from settle.rules.loader import *  # noqa: F401,F403
from settle.rules.loader import default_rules_dir, load_policy  # noqa: F401
from settle.rules.schema import *  # noqa: F401,F403
from settle.rules.schema import _fmt, _pct  # noqa: F401  (engine/pay.py uses P._pct)
