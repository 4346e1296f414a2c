"""Real faults on this machine (issue 14): needs root (tmpfs, bind mounts, chattr); not part of make test.

Cases, one row each (expected, observed, pass):
  - a tiny tmpfs as the output folder: the first run does not fit; a rerun that does not fit
    beside the earlier outputs;
  - kill -9 at 20 points over a large group month (reading, computing, writing, publishing):
    no worker survives, the outputs are the old or the new ones, whole; the next start sweeps
    the dead runs' /dev/shm hand-over folders;
  - SIGTERM while reading and while writing, SIGINT, SIGHUP;
  - a read-only bind mount of the workspace; an immutable history/ (chattr +i); a file where
    output/MONTH belongs.

Usage: sudo python tools/faults.py [--lines 120000] [--points 20] [--keep]
(The default month has 120 000 billing lines: its inputs pass the 8 MiB at which reading forks.)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MONTH = "2024-05"
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "SETTLE_WORKERS": "2"}
ROWS: list[tuple[str, str, str, bool]] = []


def row(case: str, expected: str, observed: str, ok: bool) -> None:
    ROWS.append((case, expected, observed, ok))
    print(f"{'PASS' if ok else 'FAIL'}  {case}: {observed}", flush=True)


def settle(ws: Path, *extra: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([PY, "-m", "settle", "run", MONTH, "--workspace", str(ws), *extra], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                            start_new_session=True, **kw)


def finish(p: subprocess.Popen, timeout: float = 900) -> tuple[int, str]:
    out, err = p.communicate(timeout=timeout)
    return p.returncode, " ".join((out + err).split())


def survivors(sid: int, wait: float = 5.0) -> list[int]:
    """Processes still in the run's session (its forked workers), after `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        left = []
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(stat[3]) == sid and stat[0] != "Z":  # field 6: session id
                    left.append(int(d.name))
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def shm_of(pid: int) -> list[Path]:
    return [p for base in ("/dev/shm", tempfile.gettempdir()) for p in Path(base).glob(f"settle-read-{pid}-*")]


def whole(ws: Path) -> str:
    """'new', 'old' or what is wrong: the published folder (or, after a kill between the two
    renames, .previous-MONTH) holds a settlement.json that parses."""
    for folder in (ws / "output" / MONTH, ws / "output" / f".previous-{MONTH}"):
        try:
            json.loads((folder / "settlement.json").read_text(encoding="utf-8"))
            return "whole"
        except (OSError, ValueError):
            continue
    return "no whole outputs"


def mount_tmpfs(path: Path, size: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)


def umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], check=False)


def tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def plain(text: str) -> bool:
    return not any(bad in text for bad in ("Traceback", "内部错误", "Exception ignored", "Warning"))


# --- cases -------------------------------------------------------------------------------------

def disk_full(base: Path, sample: Path) -> None:
    ws = base / "disk"
    shutil.copytree(sample, ws)
    shutil.rmtree(ws / "output", ignore_errors=True)
    tiny = base / "tiny"
    mount_tmpfs(tiny, 64 * 1024)
    try:
        code, text = finish(settle(ws, "--out", str(tiny)))
        left = sorted(p.name for p in tiny.iterdir())
        row("tmpfs 64 KB, first run", "exit 2, 磁盘空间不足, nothing left", f"exit {code}, left {left or 'nothing'}",
            code == 2 and "磁盘空间不足" in text and not left and plain(text))
    finally:
        umount(tiny)
    code, text = finish(settle(ws, "--out", str(base / "measure")))
    size = tree_bytes(base / "measure" / MONTH)
    mount_tmpfs(tiny, int(size * 1.5))
    try:
        finish(settle(ws, "--out", str(tiny)))
        before = {p.relative_to(tiny): p.read_bytes() for p in (tiny / MONTH).rglob("*") if p.is_file()}
        code, text = finish(settle(ws, "--out", str(tiny)))
        after = {p.relative_to(tiny): p.read_bytes() for p in (tiny / MONTH).rglob("*") if p.is_file()}
        stray = [p.name for p in tiny.iterdir() if p.name.startswith(".")]
        row("tmpfs 1.5x one output, rerun", "exit 2, 磁盘空间不足 with space needed, earlier outputs byte-identical",
            f"exit {code}, {'约需' in text and 'needed shown' or 'no size'}, "
            f"{'identical' if before == after else 'CHANGED'}, stray {stray or 'none'}",
            code == 2 and "磁盘空间不足" in text and before == after and not stray and plain(text))
    finally:
        umount(tiny)


def kills(base: Path, big: Path, points: int) -> None:
    ws = base / "kill"
    shutil.copytree(big, ws)
    t = time.perf_counter()
    code, text = finish(settle(ws))
    duration = time.perf_counter() - t
    print(f"full run of the large month: {duration:.1f} s (exit {code})", flush=True)
    shm_left = []
    for i in range(1, points + 1):
        at = duration * i / (points + 1)
        p = settle(ws)
        time.sleep(at)
        workers = survivors(p.pid, 0)
        os.kill(p.pid, signal.SIGKILL)
        p.communicate()
        left = survivors(p.pid)
        state = whole(ws)
        shm = shm_of(p.pid)  # a kill -9 cannot clean up: the next start sweeps it (checked below)
        shm_left += shm
        busy = f"{len(workers) - 1} workers" if p.pid in workers else "run had ended"
        row(f"kill -9 at {at:5.1f} s ({busy})", "no process left, outputs whole",
            f"{len(left)} left, outputs {state}{', shm folder left' if shm else ''}", not left and state == "whole")
    shm = shm_left
    code, text = finish(settle(ws))
    swept = [q for q in shm if q.exists()]
    row("next start after the kills", "exit 0, dead runs' /dev/shm folders swept, no staging left",
        f"exit {code}, {len(shm)} shm folder(s) left by the kills, {len(swept)} after, "
        f"staging {sorted(q.name for q in (ws / 'output').iterdir() if q.name.startswith('.')) or 'none'}",
        code == 0 and not swept and not any(q.name.startswith(".") for q in (ws / "output").iterdir()))
    for label, frac, sig, want in (("SIGTERM while reading", 0.15, signal.SIGTERM, 143),
                                    ("SIGTERM while writing", 0.8, signal.SIGTERM, 143)):
        p = settle(ws)
        time.sleep(duration * frac)
        os.kill(p.pid, sig)
        code, text = finish(p)
        left = survivors(p.pid)
        state = whole(ws)
        shm = shm_of(p.pid)
        row(label, f"exit {want}, 已中断, no process/shm/staging left",
            f"exit {code}, {'已中断' if '已中断' in text else 'no message'}, {len(left)} left, shm {len(shm)}, "
            f"outputs {state}", code == want and "已中断" in text and not left and not shm and state == "whole"
            and plain(text))


def signals(base: Path, sample: Path) -> None:
    ws = base / "signals"
    shutil.copytree(sample, ws)
    t = time.perf_counter()
    finish(settle(ws))
    duration = time.perf_counter() - t
    for sig, want in ((signal.SIGINT, 130), (signal.SIGHUP, 143)):
        p = settle(ws)
        time.sleep(duration * 0.5)
        os.kill(p.pid, sig)
        code, text = finish(p)
        row(f"{signal.Signals(sig).name} mid-run", f"exit {want}, 已中断",
            f"exit {code}, {'已中断' if '已中断' in text else text[-80:]}",
            code in (want, 0) and ("已中断" in text or code == 0) and plain(text) and not survivors(p.pid))


def read_only(base: Path, sample: Path) -> None:
    ws = base / "ro-src"
    shutil.copytree(sample, ws)
    ro = base / "ro"
    ro.mkdir()
    subprocess.run(["mount", "--bind", str(ws), str(ro)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(ro)], check=True)
        code, text = finish(settle(ro))
        row("read-only bind mount", "exit 2, 只读, names the path", f"exit {code}, {text[:90]}",
            code == 2 and "只读" in text and str(ro) in text and plain(text))
    finally:
        umount(ro)


def immutable_history(base: Path, sample: Path) -> None:
    ws = base / "immutable"
    shutil.copytree(sample, ws)
    finish(settle(ws))
    finish(settle(ws))
    history = ws / "output" / MONTH / "history"
    before = {p.relative_to(ws): p.read_bytes() for p in (ws / "output").rglob("*") if p.is_file()}
    subprocess.run(["chattr", "+i", str(history)], check=True)
    try:
        code, text = finish(settle(ws))
    finally:
        subprocess.run(["chattr", "-i", str(history)], check=True)
    after = {p.relative_to(ws): p.read_bytes() for p in (ws / "output").rglob("*") if p.is_file()}
    row("immutable history/ (chattr +i)", "exit 2, 没有权限 naming history/, outputs identical",
        f"exit {code}, {text[:70]}, {'identical' if before == after else 'CHANGED'}",
        code == 2 and str(history) in text and before == after and plain(text))
    code, text = finish(settle(ws))
    row("the run after chattr -i", "exit 0", f"exit {code}", code == 0)


def file_as_folder(base: Path, sample: Path) -> None:
    ws = base / "file"
    shutil.copytree(sample, ws)
    shutil.rmtree(ws / "output", ignore_errors=True)
    (ws / "output").mkdir()
    (ws / "output" / MONTH).write_text("x")
    code, text = finish(settle(ws))
    row("output/2024-05 is a file", "exit 2, 应该是文件夹", f"exit {code}, {text[:70]}",
        code == 2 and "应该是文件夹" in text and plain(text))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=120_000)
    ap.add_argument("--points", type=int, default=20)
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("tools/faults.py needs root (tmpfs, bind mounts, chattr)")
    base = Path(tempfile.mkdtemp(prefix="settle-faults-"))
    try:
        sample = base / "sample"
        subprocess.run([PY, str(ROOT / "tools" / "gen_workspace.py"), str(sample)], env=ENV, check=True,
                       stdout=subprocess.DEVNULL)
        big = base / "big"
        subprocess.run([PY, str(ROOT / "tools" / "gen_workspace.py"), str(big), "--scale", "group",
                        "--lines", str(args.lines)], env=ENV, check=True, stdout=subprocess.DEVNULL)
        for case in (disk_full, read_only, immutable_history, file_as_folder, signals):
            case(base, sample)
        kills(base, big, args.points)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    width = max(len(r[0]) for r in ROWS)
    print(f"\n| {'case':<{width}} | expected | observed | pass |\n|---|---|---|---|")
    for case, expected, observed, ok in ROWS:
        print(f"| {case:<{width}} | {expected} | {observed} | {'✓' if ok else '✗'} |")
    print(f"\n{sum(r[3] for r in ROWS)}/{len(ROWS)} pass")
    sys.exit(0 if all(r[3] for r in ROWS) else 1)


if __name__ == "__main__":
    main()
