"""`make bench`: settle the month users have — 1 000 000 billing lines, 200 000 registrations,
500 staff, about 15 000 introducers — against its I/O floors (SPEC §9, issue 26).

1. Generates the group month once (deterministic; cached by generator hash under --data,
   default bench-data/, or $SETTLE_BENCH_DATA).
2. Times, alternately, in child processes:
   (a) the single-core floor — load every input workbook with fastexcel and write every billing
       line back once, formatted, with rustpy-xlsxwriter;
   (b) the two-core floor — the same in two processes, each loading half the inputs (by size)
       and writing its half of the billing;
   (c) `settle run 2024-05` on the same workspace (SETTLE_TIMING=1: each stage's seconds).
3. Prints the medians, both ratios, the peak memory (the largest single process), each stage's
   time, the number of files written, and the sample month's median of 5 (start to exit).
`--growth` settles 100 000, 500 000 and 1 000 000 lines once each (run time, peak memory).

Usage: python tools/bench.py [--lines N] [--repeat K] [--data DIR] [--growth] [--read-only]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("SETTLE_BENCH_DATA") or ROOT / "bench-data")
PY = sys.executable

FLOOR = r'''
import sys, glob, os
import fastexcel, pyarrow as pa, rustpy_xlsxwriter as rx
ws, out, part, parts = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
paths = [p for p in sorted(glob.glob(os.path.join(ws, "**", "*.xlsx"), recursive=True)) if "/output/" not in p]
groups = [[] for _ in range(parts)]
sizes = [0] * parts
for p in sorted(paths, key=os.path.getsize, reverse=True):   # largest first, to the lighter half
    k = sizes.index(min(sizes))
    groups[k].append(p)
    sizes[k] += os.path.getsize(p)
tables = {}
for path in groups[part]:
    r = fastexcel.read_excel(path)
    for name in r.sheet_names:
        tables[(path, name)] = r.load_sheet(name).to_arrow()
billing = [t for (p, _), t in tables.items() if "收费明细" in os.path.basename(p)]
if billing:
    frame = pa.Table.from_batches([b for t in billing for b in (t.to_batches() if hasattr(t, "to_batches") else [t])])
    frame = frame.to_pandas()
    money = rx.Format().set_num_format("#,##0.00")
    rx.write_worksheet(frame, out, sheet_name="明细", column_formats={"金额": money}, freeze_row=1)
'''

TWO = r'''
import subprocess, sys
floor, ws, out = sys.argv[1], sys.argv[2], sys.argv[3]
procs = [subprocess.Popen([sys.executable, "-c", floor, ws, f"{out}.{k}.xlsx", str(k), "2"]) for k in range(2)]
sys.exit(max(p.wait() for p in procs))
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


def ensure_workspace(lines: int, data: Path) -> Path:
    ws = data / f"group-{lines}"
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


def timed(cmd: list[str], env=None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB, the largest single process) and stderr of one child."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed ({cmd[:3]}…):\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024, err


STAGE = re.compile(r"^\[timing\] (.+?): ([\d.]+) s$", re.M)


def settle_cmd(ws: Path, out: Path) -> list[str]:
    return [PY, "-m", "settle", "run", "2024-05", "--workspace", str(ws), "--out", str(out), "--quiet"]


def sample_month() -> float:
    """The sample month, start to exit, median of 5 (a fresh copy, no earlier outputs)."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        shutil.copytree(ROOT / "samples", ws, ignore=shutil.ignore_patterns("output"))
        for _ in range(5):
            shutil.rmtree(ws / "output", ignore_errors=True)
            t = time.perf_counter()
            subprocess.run([PY, "-m", "settle", "run", "2024-05", "--workspace", str(ws), "--quiet"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def growth(data: Path) -> None:
    print("growth (one run each):")
    for lines in (100_000, 500_000, 1_000_000):
        ws = ensure_workspace(lines, data)
        out = data / "out"
        shutil.rmtree(out, ignore_errors=True)
        wall, peak, _ = timed(settle_cmd(ws, out))
        print(f"  {lines:>9,} lines   settle run {wall:6.1f} s   peak {peak:6.0f} MiB", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", type=Path, default=DATA, help="where the generated months are cached")
    ap.add_argument("--growth", action="store_true", help="100 000, 500 000 and 1 000 000 lines, once each")
    ap.add_argument("--read-only", action="store_true", help="only compare reading the billing with fastexcel's load")
    args = ap.parse_args()
    if args.growth:
        growth(args.data)
        return
    ws = ensure_workspace(args.lines, args.data)
    if args.read_only:
        reads, floors_r = [], []
        for _ in range(args.repeat):
            floors_r.append(timed([PY, "-c", READ_FLOOR, str(ws)]))
            reads.append(timed([PY, "-c", READ_SETTLE, str(ws)]))
        fr, rr = statistics.median(t[0] for t in floors_r), statistics.median(t[0] for t in reads)
        print(f"reading billing: fastexcel {fr:.1f} s, settle {rr:.1f} s, ratio {rr / fr:.2f}")
        return
    out = args.data / "out"
    floor = args.data / "floor"
    one_cmd = [PY, "-c", FLOOR, str(ws), f"{floor}.xlsx", "0", "1"]
    two_cmd = [PY, "-c", TWO, FLOOR, str(ws), str(floor)]
    env = {**os.environ, "SETTLE_TIMING": "1"}
    ones, twos, runs = [], [], []
    for i in range(args.repeat):
        ones.append(timed(one_cmd))
        twos.append(timed(two_cmd))
        shutil.rmtree(out, ignore_errors=True)
        runs.append(timed(settle_cmd(ws, out), env))
        print(f"  round {i + 1}: floor {ones[-1][0]:.1f} s, two-core floor {twos[-1][0]:.1f} s, "
              f"settle run {runs[-1][0]:.1f} s ({runs[-1][1]:.0f} MiB)", flush=True)
    one = statistics.median(t[0] for t in ones)
    two = statistics.median(t[0] for t in twos)
    best = min(runs, key=lambda t: abs(t[0] - statistics.median(r[0] for r in runs)))
    r = best[0]
    files = sum(1 for p in (out / "2024-05").rglob("*") if p.is_file())
    print()
    print(f"lines              {args.lines:,}")
    print(f"settle run         {r:.1f} s (median of {args.repeat})   peak {max(t[1] for t in runs):.0f} MiB (target < 1024)")
    print(f"single-core floor  {one:.1f} s   peak {max(t[1] for t in ones):.0f} MiB   ratio {r / one:.2f}")
    print(f"two-core floor     {two:.1f} s   ratio {r / two:.2f} (target ≤ 1.5)")
    print("stages (the median run):")
    for label, sec in STAGE.findall(best[2]):
        print(f"  {label:<40} {float(sec):6.2f} s")
    print(f"files written      {files:,}")
    print(f"sample month       {sample_month():.2f} s (median of 5, start to exit; target < 1 s)")


if __name__ == "__main__":
    main()
