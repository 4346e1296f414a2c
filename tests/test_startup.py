"""Start-up (SPEC §9, issue 26.4): `settle --help`, `--version` and usage errors answer without
importing pandas or pyarrow (they are what makes a start slow); `import settle` alone neither."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
sys.argv = ["settle", *json.loads(sys.argv[1])]
from settle.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "heavy": sorted(m for m in ("pandas", "pyarrow", "numpy") if m in sys.modules)}),
      file=sys.stderr)
"""


@pytest.mark.parametrize("args, code", [(["--help"], 0), (["--version"], 0), (["run", "--help"], 0),
                                        (["run"], 2), (["bogus"], 2), (["--lang", "en", "vouchers"], 2)])
def test_help_version_and_usage_errors_import_neither_pandas_nor_pyarrow(args, code):
    p = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True, timeout=60)
    seen = json.loads(p.stderr.strip().splitlines()[-1])
    assert seen == {"code": code, "heavy": []}, p.stderr


def test_importing_the_library_loads_its_heavy_parts_only_when_used():
    p = subprocess.run([sys.executable, "-c", "import sys, settle; a = 'pandas' in sys.modules; settle.run_month; "
                        "print(a, 'pandas' in sys.modules or 'settle.api' in sys.modules)"],
                       capture_output=True, text=True, timeout=60)
    assert p.stdout.split() == ["False", "True"], p.stderr
