"""`make bench`: settle a 1 000 000-line hospital-group month against its I/O floor (SPEC §9).

1. Generates the group month once (deterministic; cached in bench-data/ by generator hash).
2. Times, alternately and several times each, in child processes:
   (a) the floor — load every input workbook with fastexcel and write every billing line back
       once, formatted, with rustpy-xlsxwriter;
   (b) `settle run 2024-05` on the same workspace.
3. Prints the medians, the ratio and each one's peak resident memory.

Usage: python tools/bench.py [--lines N] [--repeat K]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"
PY = sys.executable

FLOOR = r'''
import sys, glob, os
import fastexcel, pyarrow as pa, rustpy_xlsxwriter as rx
ws = sys.argv[1]; out = sys.argv[2]
tables = {}
for path in sorted(glob.glob(os.path.join(ws, "**", "*.xlsx"), recursive=True)):
    if "/output/" in path:
        continue
    r = fastexcel.read_excel(path)
    for name in r.sheet_names:
        tables[(path, name)] = r.load_sheet(name).to_arrow()
billing = [t for (p, _), t in tables.items() if "收费明细" in os.path.basename(p)]
frame = pa.Table.from_batches([b for t in billing for b in (t.to_batches() if hasattr(t, "to_batches") else [t])])
df = frame.to_pandas()
money = rx.Format().set_num_format("#,##0.00")
rx.write_worksheet(df, out, sheet_name="明细", column_formats={"金额": money}, freeze_row=1)
'''


READ_FLOOR = r'''
import sys, glob, os, fastexcel
for path in sorted(glob.glob(os.path.join(sys.argv[1], "2024-05", "收费明细*.xlsx"))):
    r = fastexcel.read_excel(path)
    for name in r.sheet_names:
        r.load_sheet(name).to_arrow()
'''

READ_SETTLE = r'''
import sys
from pathlib import Path
from settle.load.columns import BILLING
from settle.load.inputs import check_billing, load_kind
from settle.problems import Problems
from settle.load.workspace import Month, Workspace
ws = Workspace.open(Path(sys.argv[1]), Problems())
problems = Problems()
paths = [(p, ws.display(p)) for p in ws.files(Month(2024, 5), "billing")]
frame = load_kind(paths, BILLING, problems, month=Month(2024, 5))
check_billing(frame, problems)
assert not problems.has_errors(), [p.message() for p in problems.errors[:5]]
'''


def generator_hash(lines: int) -> str:
    h = hashlib.sha256((ROOT / "tools" / "gen_workspace.py").read_bytes())
    h.update(str(lines).encode())
    return h.hexdigest()[:16]


def ensure_workspace(lines: int) -> Path:
    ws = DATA / f"group-{lines}"
    stamp = ws / ".generated"
    want = generator_hash(lines)
    if stamp.exists() and stamp.read_text() == want:
        return ws
    shutil.rmtree(ws, ignore_errors=True)
    print(f"generating a {lines:,}-line group month in {ws} …", flush=True)
    t = time.perf_counter()
    subprocess.run([PY, str(ROOT / "tools" / "gen_workspace.py"), str(ws), "--scale", "group", "--lines", str(lines)],
                   check=True)
    stamp.write_text(want)
    print(f"  generated in {time.perf_counter() - t:.1f} s", flush=True)
    return ws


def timed(cmd: list[str], env=None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed ({cmd[:3]}…):\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--read-only", action="store_true", help="only compare reading the billing with fastexcel's load")
    args = ap.parse_args()
    ws = ensure_workspace(args.lines)
    reads, floors_r = [], []
    for _ in range(args.repeat):
        floors_r.append(timed([PY, "-c", READ_FLOOR, str(ws)]))
        reads.append(timed([PY, "-c", READ_SETTLE, str(ws)]))
    fr, rr = statistics.median(t for t, _ in floors_r), statistics.median(t for t, _ in reads)
    print(f"reading billing: fastexcel {fr:.1f} s ({max(m for _, m in floors_r):.0f} MiB), settle {rr:.1f} s "
          f"({max(m for _, m in reads):.0f} MiB), ratio {rr / fr:.2f} (target ≤ 1.3)", flush=True)
    if args.read_only:
        return
    out = DATA / "out"
    floor_cmd = [PY, "-c", FLOOR, str(ws), str(DATA / "floor.xlsx")]
    settle_cmd = [PY, "-m", "settle", "run", "2024-05", "--workspace", str(ws), "--out", str(out), "--quiet"]
    floors, runs = [], []
    for i in range(args.repeat):
        floors.append(timed(floor_cmd))
        shutil.rmtree(out, ignore_errors=True)
        runs.append(timed(settle_cmd))
        print(f"  round {i + 1}: floor {floors[-1][0]:.1f} s ({floors[-1][1]:.0f} MiB), "
              f"settle run {runs[-1][0]:.1f} s ({runs[-1][1]:.0f} MiB)", flush=True)
    f = statistics.median(t for t, _ in floors)
    r = statistics.median(t for t, _ in runs)
    fm = max(m for _, m in floors)
    rm = max(m for _, m in runs)
    print()
    print(f"lines            {args.lines:,}")
    print(f"floor median     {f:.1f} s   peak {fm:.0f} MiB")
    print(f"settle median    {r:.1f} s   peak {rm:.0f} MiB")
    print(f"ratio            {r / f:.2f}   (target ≤ 2.0)")
    print(f"peak memory      {rm / 1024:.2f} GiB (target < 2 GiB)")


if __name__ == "__main__":
    main()
