"""settle — month-end settlement of a hospital marketing department's pay from spreadsheets.

The library face (the command line is another):

    import settle
    result = settle.run_month("工作目录", "2024-05")   # computes; writes nothing
    result.ok, result.problems, result.to_json()
    settle.publish(result)                            # payslips, summary, settlement.json
"""

__version__ = "0.1.0"

from settle._python import refuse_unsupported_python  # noqa: E402  (64-bit Python 3.11+: SPEC §13)

refuse_unsupported_python()

from settle.api import (  # noqa: E402
    Result, check_cards, close_month, explain, init_workspace, publish, run_month, settle_month, validate_month,
)
from settle.api import inspect_file  # noqa: E402  (SPEC §3.6: how one workbook is read)
from settle.verify import verify  # noqa: E402

__all__ = ["Result", "run_month", "validate_month", "check_cards", "explain", "verify", "publish", "settle_month",
           "close_month", "init_workspace", "inspect_file", "__version__"]
