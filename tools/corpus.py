"""Drive real-world spreadsheets through `settle validate` and `settle run` (issue 10, SPEC §8.1).

Each file of a corpus folder (public spreadsheet libraries' test files: .xlsx .xlsm .xls .xlsb
.ods .csv; never committed) is placed into a temporary workspace built from samples/ as the
month's only billing file, then as the only registrations file, then as the only daily-report
file, and `settle validate 2024-05` and `settle run 2024-05` are run on each: 6 runs per file.
Every run is a child process (forked from a parent that has imported settle once, so a run
costs its own work only) with a wall-clock timeout and a 4 GB address-space limit. The table:
exit-code classes, tracebacks, deaths by signal, timeouts, anything on stderr, peak memory, and
the runs of `run` that exited 0 with a foreign file (a foreign file accepted with exit 0 and no
word about it is a failure).

    python tools/corpus.py /work/corpus-cache --limit 300 --timeout 60 --jobs 1 > corpus-report.txt

Not part of `make test`: it takes minutes to hours depending on the corpus.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv")
ROLES = {"billing": "收费明细", "registrations": "登记表", "daily": "日报"}
MONTH = "2024-05"


@dataclass
class Outcome:
    file: Path
    role: str
    command: str
    code: int | None          # exit code; None when killed
    signal: int | None
    timeout: bool
    traceback: bool
    stderr: str
    stdout: str
    rss_mb: float
    seconds: float

    @property
    def klass(self) -> str:
        if self.timeout:
            return "timeout"
        if self.signal is not None:
            return f"signal {signal.Signals(self.signal).name}"
        return f"exit {self.code}"


def base_workspace(tmp: Path) -> Path:
    """samples/ without earlier months or outputs: staff, settle.yaml, rules and MONTH's files."""
    base = tmp / "base"
    base.mkdir()
    src = ROOT / "samples"
    for p in src.iterdir():
        if p.is_file():
            shutil.copy2(p, base / p.name)
        elif p.name == "rules":
            shutil.copytree(p, base / p.name)
    shutil.copytree(src / MONTH, base / MONTH)
    return base


def workspace_for(base: Path, tmp: Path, corpus_file: Path, role: str) -> Path:
    ws = Path(tempfile.mkdtemp(dir=tmp, prefix="ws-"))
    for p in base.iterdir():
        if p.is_file():
            os.link(p, ws / p.name)
        elif p.is_dir() and p.name != MONTH:
            shutil.copytree(p, ws / p.name)
    month = ws / MONTH
    month.mkdir()
    stem = ROLES[role]
    for p in (base / MONTH).iterdir():
        if not p.name.startswith(stem):
            os.link(p, month / p.name)
    suffix = corpus_file.suffix.lower()
    shutil.copyfile(corpus_file, month / f"{stem}_语料{suffix}")
    return ws


class Child:
    """One forked run of settle's CLI: started at once, reaped by poll()."""

    def __init__(self, argv: list[str], timeout: float, meta):
        self.meta = meta
        self.out = tempfile.TemporaryFile()
        self.err = tempfile.TemporaryFile()
        self.t0 = time.perf_counter()
        self.deadline = time.monotonic() + timeout
        self.pid = os.fork()
        if self.pid == 0:
            _child(argv, self.out, self.err)

    def poll(self) -> tuple | None:
        """None while running; else (code, signal, timed_out, stdout, stderr, rss MB, seconds)."""
        wpid, status, usage = os.wait4(self.pid, os.WNOHANG)
        timed_out = False
        if not wpid:
            if time.monotonic() <= self.deadline:
                return None
            timed_out = True
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            wpid, status, usage = os.wait4(self.pid, 0)
        secs = time.perf_counter() - self.t0
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) and not timed_out else None
        texts = []
        for f in (self.out, self.err):
            f.seek(0)
            texts.append(f.read().decode("utf-8", "replace"))
            f.close()
        return code, sig, timed_out, texts[0], texts[1], usage.ru_maxrss / 1024, secs


def _child(argv: list[str], out, err) -> None:
    """In the forked child: its own session (killable as a group), 4 GB of address space,
    stdout/stderr to files, then settle's CLI; never returns."""
    try:
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), encoding="utf-8", line_buffering=True)
        sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", closefd=False), encoding="utf-8", line_buffering=True)
        sys.argv = ["settle", *argv]
        from settle.cli import main
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    except BaseException:
        import traceback
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(70)


def pick(corpus: Path, limit: int | None, seed: int) -> list[Path]:
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    if limit and len(files) > limit:
        by_ext = defaultdict(list)
        for p in files:
            by_ext[p.suffix.lower()].append(p)
        rnd = random.Random(seed)
        chosen = []
        share = max(1, limit // len(by_ext))
        for ext, group in sorted(by_ext.items()):  # every format represented, then fill up
            rnd.shuffle(group)
            chosen += group[:share]
        rest = [p for p in files if p not in set(chosen)]
        rnd.shuffle(rest)
        files = sorted(chosen + rest[:max(0, limit - len(chosen))])
    return files


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--limit", type=int, default=None, help="at most this many files (every format kept)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per run")
    ap.add_argument("--roles", default=",".join(ROLES), help="billing,registrations,daily")
    ap.add_argument("--commands", default="validate,run")
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=1, help="workspaces at a time (each runs validate and run)")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    import settle.cli  # imported once here; every child starts from it
    del settle

    files = pick(args.corpus, args.limit, args.seed)
    roles = args.roles.split(",")
    commands = args.commands.split(",")
    outcomes: list[Outcome] = []
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="settle-corpus-") as tmpdir:
        tmp = Path(tmpdir)
        base = base_workspace(tmp)
        total = len(files) * len(roles) * len(commands)
        jobs = [(f, role) for f in files for role in roles]
        running: list[Child] = []
        pending_ws: dict[Path, int] = {}
        while jobs or running:
            while jobs and len(running) < args.jobs * len(commands):
                f, role = jobs.pop(0)
                ws = workspace_for(base, tmp, f, role)
                pending_ws[ws] = len(commands)
                for cmd in commands:  # validate and run never write the same thing: run together
                    running.append(Child([cmd, MONTH, "--workspace", str(ws)], args.timeout, (f, role, cmd, ws)))
            time.sleep(0.02)
            for child in list(running):
                got = child.poll()
                if got is None:
                    continue
                running.remove(child)
                code, sig, to, so, se, rss, secs = got
                f, role, cmd, ws = child.meta
                outcomes.append(Outcome(f, role, cmd, code, sig, to, "Traceback" in so + se, se, so, rss, secs))
                pending_ws[ws] -= 1
                if not pending_ws[ws]:
                    shutil.rmtree(ws, ignore_errors=True)
                    del pending_ws[ws]
                if len(outcomes) % 60 == 0 or len(outcomes) == total:
                    print(f"[{len(outcomes)}/{total}] {time.perf_counter() - t_start:.0f} s", file=sys.stderr, flush=True)
    report(outcomes, args.corpus, len(files), time.perf_counter() - t_start)
    bad = [o for o in outcomes if o.traceback or o.signal is not None or o.timeout]
    return 1 if bad or silent_accepts(outcomes) else 0


def silent_accepts(outcomes: list[Outcome]) -> list[Outcome]:
    """`run` exited 0 with a foreign file and said nothing about it."""
    return [o for o in outcomes if o.command == "run" and o.code == 0 and "语料" not in o.stdout]


def report(outcomes: list[Outcome], corpus: Path, nfiles: int, seconds: float) -> None:
    def rel(p: Path) -> str:
        try:
            return str(p.relative_to(corpus))
        except ValueError:
            return str(p)

    exts = Counter(o.file.suffix.lower() for o in outcomes if o.role == outcomes[0].role and o.command == outcomes[0].command)
    print(f"\ncorpus {corpus}: {nfiles} files ({', '.join(f'{n} {e}' for e, n in sorted(exts.items()))}), "
          f"{len(outcomes)} runs in {seconds / 60:.1f} min\n")
    classes = sorted({o.klass for o in outcomes})
    head = f"{'command':<9}{'role':<14}" + "".join(f"{c:>16}" for c in classes) + f"{'traceback':>11}{'stderr':>8}{'max MB':>8}"
    print(head)
    print("-" * len(head))
    for cmd in sorted({o.command for o in outcomes}, reverse=True):
        for role in ROLES:
            group = [o for o in outcomes if o.command == cmd and o.role == role]
            if not group:
                continue
            c = Counter(o.klass for o in group)
            print(f"{cmd:<9}{role:<14}" + "".join(f"{c.get(k, 0):>16}" for k in classes)
                  + f"{sum(o.traceback for o in group):>11}{sum(bool(o.stderr.strip()) for o in group):>8}"
                  + f"{max(o.rss_mb for o in group):>8.0f}")
    total = Counter(o.klass for o in outcomes)
    print("-" * len(head))
    print(f"{'all':<23}" + "".join(f"{total.get(k, 0):>16}" for k in classes)
          + f"{sum(o.traceback for o in outcomes):>11}{sum(bool(o.stderr.strip()) for o in outcomes):>8}"
          + f"{max(o.rss_mb for o in outcomes):>8.0f}")
    worst = max(outcomes, key=lambda o: o.rss_mb)
    slowest = max(outcomes, key=lambda o: o.seconds)
    print(f"\npeak memory {worst.rss_mb:.0f} MB ({worst.command} {worst.role} {rel(worst.file)}); "
          f"slowest {slowest.seconds:.1f} s ({slowest.command} {slowest.role} {rel(slowest.file)})")
    print(f"tracebacks {sum(o.traceback for o in outcomes)}, signals {sum(o.signal is not None for o in outcomes)}, "
          f"timeouts {sum(o.timeout for o in outcomes)}, stderr output {sum(bool(o.stderr.strip()) for o in outcomes)}")

    def listing(title: str, items: list[Outcome], show) -> None:
        print(f"\n{title}: {len(items)}")
        for o in items[:40]:
            print(f"  {o.command:<9}{o.role:<14}{rel(o.file)}  {show(o)}")
        if len(items) > 40:
            print(f"  … {len(items) - 40} more")

    listing("tracebacks", [o for o in outcomes if o.traceback], lambda o: (o.stderr or o.stdout).strip().splitlines()[-1][:120])
    listing("signals", [o for o in outcomes if o.signal is not None], lambda o: o.klass)
    listing("timeouts", [o for o in outcomes if o.timeout], lambda o: f"> {o.seconds:.0f} s")
    listing("stderr output", [o for o in outcomes if o.stderr.strip() and not o.traceback],
            lambda o: o.stderr.strip().splitlines()[0][:120])
    ok_runs = [o for o in outcomes if o.command == "run" and o.code == 0]
    listing("`run` exited 0 (the foreign file's figures were used)", ok_runs,
            lambda o: "named in the output" if "语料" in o.stdout else "NOT NAMED: silent accept")
    print(f"\nsilent accepts (run exit 0, file never named): {len(silent_accepts(outcomes))}")


if __name__ == "__main__":
    sys.exit(main())
