"""Drive real exports (public hospital, pharmacy, HIS, payroll workbooks) through settle (issue 24).

Each entry of tools/real_exports/manifest.yaml names a file of the corpus folder (never committed;
tools/real_exports/fetch.md says how it was obtained), the kind it plays, the month folder it goes
in, the settle.yaml aliases it needs and the columns a COPY of it gets where the export lacks
settle's required ones. For each entry the driver builds a temporary workspace from samples/,
places the file as the month's only file of its kind (or as staff.xlsx), writes the aliases into
settle.yaml and runs, one at a time:

  settle inspect FILE --kind K --json     (when the command exists: detected)
  the library read (settle.load: the file's lines, the 金额 total as settle parsed it, its problems)
  settle run MONTH --json                 (exit code, every message, reconciliation total)

and prints per file: read or refused, lines read, settle's total against a total the driver
computes ITSELF from the cells (openpyxl / xlrd / csv; integer fen with Decimal, half-up per cell;
summary rows 合计/总计/小计…, footer rows 制表人：/批准：… and rows missing a `data_when` column
excluded by the driver's own simple rule), every message (code and text). A final table closes.

    python tools/real_exports.py /work/corpus-real            # every entry
    python tools/real_exports.py /work/corpus-real --only openhis-drg-1000 --keep /tmp/ws

Not part of `make test`. Runs are children with a timeout and a 4 GB address-space limit
(tools/corpus.py's Child), under `nice`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import yaml

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
MANIFEST = TOOLS / "real_exports" / "manifest.yaml"
SETTLE_SRC = ROOT / "src"  # --settle-src: another checkout's src/ (a branch under review)
STEMS = {"billing": "收费明细", "registrations": "登记表", "daily": "日报", "adjustments": "调整"}
KIND_ZH = {**STEMS, "staff": "staff.xlsx"}
MONEY_FIELD = {"billing": "amount_fen", "staff": "base_salary_fen", "adjustments": "amount_fen"}
SUMMARY = re.compile(r"^(本页|本月|本期|本年|总|全部)?(合计|总计|小计|累计)(金额|数|数量)?[:：]?$")
FOOTER = re.compile(r"^(制表人|制表|制单|打印时间|打印人|打印日期|审核人|审核|复核|经办人|经办|签字|负责人|日期|批准)[:：]")
SPACE = re.compile(r"\s+")

sys.path.insert(0, str(TOOLS))
import corpus as corpus_driver  # noqa: E402  (Child: one forked CLI run, timeout, memory limit)


# --- the driver's own reading of a file (independent of settle) ---------------------------------

def squeeze(v) -> str:
    return SPACE.sub("", unicodedata.normalize("NFKC", str(v))) if v is not None else ""


def read_grid(path: Path) -> dict[str, list[list]]:
    """Every sheet as rows of values: openpyxl (cached values), xlrd (dates as datetime), csv."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        data = path.read_bytes()
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        return {"": [list(r) for r in csv.reader(text.splitlines())]}
    if suffix == ".xls":
        import xlrd
        book = xlrd.open_workbook(str(path))
        out = {}
        for sh in book.sheets():
            rows = []
            for r in range(sh.nrows):
                row = []
                for c in range(sh.ncols):
                    cell = sh.cell(r, c)
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        row.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                    elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        row.append(None)
                    else:
                        row.append(cell.value)
                rows.append(row)
            out[sh.name] = rows
        return out
    import openpyxl
    wb = openpyxl.load_workbook(path, data_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def fen(v) -> int | None:
    """A money cell as integer fen: numbers exactly as stored (repr of the float), text without
    ¥ , 元 and spaces; half-up to 0.01. None when empty; raises ValueError when not money."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, bool):
        raise ValueError(v)
    if isinstance(v, (int, float)):
        d = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    else:
        s = squeeze(v).replace(",", "").replace("¥", "").replace("￥", "").removesuffix("元")
        try:
            d = Decimal(s)
        except InvalidOperation:
            raise ValueError(v) from None
    return int((d * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def classify(entry: dict, grid: dict[str, list[list]]) -> dict:
    """The driver's rows: header, data rows (indexes), summary/footer rows, other rows; the
    independent line count and amount total."""
    sheets = list(grid)
    sheet = entry.get("sheet", sheets[0] if sheets else "")
    rows = grid.get(sheet, [])
    h = int(entry.get("header_row", 1)) - 1
    header = rows[h] if h < len(rows) else []
    cols = {squeeze(v): i for i, v in enumerate(header) if v is not None and squeeze(v)}

    def col(name) -> int:
        if isinstance(name, dict):
            return int(name["column"]) - 1
        return cols[squeeze(name)]

    need = [col(c) for c in entry.get("data_when", [])]
    amount = entry.get("amount")
    acol = col(amount) if amount is not None else None
    data, dropped, other, bad = [], [], [], []
    total = 0
    for i in range(h + 1, len(rows)):
        row = rows[i]
        cells = [squeeze(v) for v in row]
        if not any(cells):
            continue
        if any(SUMMARY.match(c) or FOOTER.match(c) for c in cells if c):
            dropped.append(i)
            continue
        if need and all(n < len(row) and cells[n] for n in need):
            data.append(i)
            if acol is not None:
                try:
                    total += fen(row[acol] if acol < len(row) else None) or 0
                except ValueError:
                    bad.append(i)
        else:
            other.append(i)
    return {"sheet": sheet, "header": h, "cols": cols, "data": data, "dropped": dropped, "other": other,
            "bad": bad, "total_fen": total if acol is not None else None}


# --- the copy with added columns -------------------------------------------------------------

def _added(entry: dict, header: list, row: list) -> list:
    cols = {squeeze(v): i for i, v in enumerate(header) if v is not None}
    out = []
    for _, how in entry.get("add", {}).items():
        if "copy" in how:
            i = cols[squeeze(how["copy"])]
            out.append(row[i] if i < len(row) else None)
        else:
            out.append(how["value"])
    return out


def next_free_column(rows: list[list], h: int, data: set) -> int:
    """The first column right of every non-empty cell of the header and the data rows (not the
    sheet's declared width: a template claiming 263 columns would put the added ones out of reach)."""
    last = 0
    for i in [h, *data]:
        for j, v in enumerate(rows[i]):
            if v is not None and str(v).strip():
                last = max(last, j + 1)
    return last


def prepare(entry: dict, src: Path, tmp: Path, seen: dict) -> tuple[Path, str]:
    """The file as settle gets it: the original bytes, or a copy with `add` columns on the
    driver's data rows (values only). Returns (path, what was done)."""
    if not entry.get("add"):
        return src, "original bytes"
    names = list(entry["add"])
    h, data = seen["header"], set(seen["data"])
    dest = tmp / f"prepared-{entry['id']}{src.suffix.lower()}"
    suffix = src.suffix.lower()
    if suffix == ".csv":
        rows = read_grid(src)[""]
        width = max(len(r) for r in rows)
        for i, r in enumerate(rows):
            r += [None] * (width - len(r))
            r += names if i == h else (_added(entry, rows[h], r) if i in data else [None] * len(names))
        with dest.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerows(rows)
        return dest, f"CSV copy (UTF-8 with BOM) with added columns {', '.join(names)}"
    if suffix == ".xls":
        import xlrd
        import xlwt
        grid = read_grid(src)
        original = xlrd.open_workbook(str(src), formatting_info=True)
        merges = {sh.name: sh.merged_cells for sh in original.sheets()}
        book = xlwt.Workbook(encoding="utf-8")
        datestyle = xlwt.easyxf(num_format_str="yyyy-mm-dd")
        for name, rows in grid.items():
            sh = book.add_sheet(name)
            first = next_free_column(rows, h, data) if name == seen["sheet"] else 0
            for i, r in enumerate(rows):
                extra = []
                if name == seen["sheet"]:
                    extra = names if i == h else (_added(entry, rows[h], r) if i in data else [])
                cells = [(j, v) for j, v in enumerate(r)] + [(first + k, v) for k, v in enumerate(extra)]
                for j, v in cells:
                    if isinstance(v, dt.datetime):
                        sh.write(i, j, v, datestyle)
                    elif v is not None and v != "":
                        sh.write(i, j, v)
            for r1, r2, c1, c2 in merges.get(name, ()):   # merges kept: a two-row header is tied by them
                sh.merge(r1, r2 - 1, c1, c2 - 1)
        book.save(str(dest))
        return dest, f"xls copy rewritten by xlwt (values and merges) with added columns {', '.join(names)}"
    import openpyxl
    wb = openpyxl.load_workbook(src, data_only=True)
    ws = wb[seen["sheet"]]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    first = next_free_column(rows, h, data) + 1
    for k, name in enumerate(names):
        ws.cell(h + 1, first + k, name)
    for i in sorted(data):
        for k, v in enumerate(_added(entry, rows[h], rows[i])):
            ws.cell(i + 1, first + k, v)
    wb.save(dest)
    return dest, f"xlsx copy saved by openpyxl (formulas replaced by their cached values) with added columns {', '.join(names)}"


# --- the workspace ---------------------------------------------------------------------------

def workspace(entry: dict, prepared: Path, tmp: Path) -> tuple[Path, Path]:
    """samples/'s settle.yaml (+ the entry's aliases) and staff.xlsx, a month folder (the samples'
    own 2024-05 files of other kinds when the month is 2024-05, else one walk-in billing line
    for a file of another kind), the file in place."""
    samples = ROOT / "samples"
    ws = tmp / f"ws-{entry['id']}"
    ws.mkdir()
    kind, month = entry["kind"], str(entry["month"])
    config = (samples / "settle.yaml").read_text(encoding="utf-8")
    if entry.get("aliases"):
        config += "\n" + yaml.safe_dump({"aliases": entry["aliases"]}, allow_unicode=True, sort_keys=False)
    (ws / "settle.yaml").write_text(config, encoding="utf-8")
    if (samples / "rules").is_dir():
        shutil.copytree(samples / "rules", ws / "rules")
    mdir = ws / month
    mdir.mkdir()
    if month == "2024-05":
        stem = STEMS.get(kind, "\0")
        for p in (samples / month).iterdir():
            if not p.name.removeprefix("~$").startswith(stem):
                shutil.copy2(p, mdir / p.name)
    elif kind != "billing":
        filler(mdir, month)
    suffix = prepared.suffix.lower()
    if kind == "staff":
        placed = ws / f"staff{suffix}"
    else:
        shutil.copy2(samples / "staff.xlsx", ws / "staff.xlsx")
        placed = mdir / f"{STEMS[kind]}_{entry['id']}{suffix}"
    shutil.copyfile(prepared, placed)
    return ws, placed


FILLER = ("就诊时间,结算日期,结算状态,病历号,患者姓名,患者标识,科室,项目类别,金额\n"
          "{m}-01 09:00,{m}-01,已结算,0000001,散客,000000000000000001,内科,门诊,10.00\n")


def filler(mdir: Path, month: str) -> None:
    """A month without billing is refused (no_input_files): a file of another kind gets one
    walk-in billing line beside it, so that only the file under test decides."""
    (mdir / "收费明细_driver.csv").write_text(FILLER.format(m=month), encoding="utf-8")


# --- settle: the library read (a child process) and the CLI runs ------------------------------

def read_one(ws: str, kind: str, path: str) -> dict:
    """In a child: the file read by settle's library as `run` reads it; lines, total, problems."""
    from settle.load import columns as C
    from settle.load.inputs import check_adjustments, load_kind, load_staff
    from settle.load.workspace import Workspace
    from settle.problems import Problems

    problems = Problems()
    w = Workspace.open(Path(ws), problems)
    if kind == "staff":
        frame = load_staff(w, problems)
    else:
        p = Path(path)
        frame = load_kind([(p, w.display(p))], C.KINDS[kind], problems, w.config.aliases.get(kind))
        if kind == "adjustments":
            frame = check_adjustments(frame, load_staff(w, Problems()), problems)
    col = MONEY_FIELD.get(kind)
    total = int(frame[col].fillna(0).astype("int64").sum()) if col and col in frame else None
    return {"lines": int(len(frame)), "total_fen": total,
            "problems": [pr.to_json() for pr in problems.items], "suppressed": problems.suppressed}


def library_read(ws: Path, kind: str, placed: Path, timeout: float) -> dict:
    try:
        got = subprocess.run([sys.executable, __file__, "--read-one", str(ws), kind, str(placed)],
                             capture_output=True, text=True, timeout=timeout,
                             env={**os.environ, "PYTHONPATH": str(SETTLE_SRC)})
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    if got.returncode != 0:
        return {"error": (got.stderr.strip().splitlines() or ["exit %d" % got.returncode])[-1]}
    return json.loads(got.stdout)


def cli(argv: list[str], timeout: float) -> dict:
    child = corpus_driver.Child(argv, timeout, None)
    while (got := child.poll()) is None:
        time.sleep(0.05)
    code, sig, timed_out, out, err, rss, secs = got
    try:
        data = json.loads(out) if out.strip() else None
    except json.JSONDecodeError:
        data = None
    return {"code": code, "signal": sig, "timeout": timed_out, "json": data, "stdout": out, "stderr": err,
            "traceback": "Traceback" in out + err, "seconds": secs}


def has_inspect(timeout: float) -> bool:
    return cli(["inspect", "--help"], timeout)["code"] == 0


def messages(data) -> list[dict]:
    """Every dict with a code and a message anywhere in a --json answer (problems, perimeter)."""
    found, seen = [], set()

    def walk(x):
        if isinstance(x, dict):
            if "code" in x and "message" in x:
                key = json.dumps(x, sort_keys=True, ensure_ascii=False)
                if key not in seen:
                    seen.add(key)
                    found.append(x)
                return
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(data)
    return found


def where(m: dict) -> str:
    parts = [str(m.get(k)) for k in ("file", "sheet") if m.get(k)]
    if m.get("row") is not None:
        parts.append(f"第 {m['row']} 行")
    if m.get("column"):
        parts.append(str(m["column"]))
    return " › ".join(parts)


def yuan(f) -> str:
    return "-" if f is None else f"{Decimal(f) / 100:,.2f}"


def inspect_figures(data) -> tuple:
    """(lines, total fen) from an inspect --json answer: its top-level `lines` and `amount_total`
    (SPEC §3.6), else the first such keys found deeper."""
    if isinstance(data, dict) and "lines" in data:
        try:
            return data["lines"], fen(data.get("amount_total"))
        except ValueError:
            return data["lines"], None
    lines = total = None
    def walk(x):
        nonlocal lines, total
        if isinstance(x, dict):
            for k, v in x.items():
                if lines is None and k in ("lines", "line_count", "rows_read", "count") and isinstance(v, int):
                    lines = v
                elif total is None and k in ("total_fen", "amount_total_fen", "amount_fen") and isinstance(v, int):
                    total = v
                elif total is None and k in ("total", "amount_total") and isinstance(v, (str, int, float)):
                    try:
                        total = fen(v)
                    except ValueError:
                        pass
                else:
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(data)
    return lines, total


# --- one entry -------------------------------------------------------------------------------

def drive(entry: dict, corpus: Path, tmp: Path, timeout: float, inspect: bool) -> dict:
    src = corpus / entry["file"]
    res = {"id": entry["id"], "file": entry["file"], "kind": entry["kind"], "month": str(entry["month"]),
           "expect": entry.get("expect", "read")}
    if not src.is_file():
        res["missing"] = True
        return res
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    res["sha_ok"] = digest == entry.get("sha256", digest)
    try:
        seen = classify(entry, read_grid(src)) if entry.get("header_row") else None
    except Exception as exc:  # the driver's own reading failed (encrypted, not a workbook …)
        seen, res["own_error"] = None, f"{type(exc).__name__}: {exc}"
    res["own"] = seen
    prepared, how = prepare(entry, src, tmp, seen) if seen else (src, "original bytes")
    res["prepared"] = how
    ws, placed = workspace(entry, prepared, tmp)
    res["placed"] = str(placed.relative_to(ws))
    if inspect:
        args = ["inspect", str(placed), "--json", "--workspace", str(ws)]
        if entry["kind"] != "staff":
            args[2:2] = ["--kind", KIND_ZH[entry["kind"]]]
        res["inspect"] = cli(args, timeout)
    res["library"] = library_read(ws, entry["kind"], placed, timeout)
    res["run"] = cli(["run", str(entry["month"]), "--json", "--workspace", str(ws)], timeout)
    return res


def settle_figures(res: dict) -> tuple:
    """(lines, total fen) as settle read the file: inspect when it ran, else the library read;
    for billing with run exit 0, the run's reconciliation (the month's settled lines) wins."""
    lines = total = None
    ins = res.get("inspect")
    if ins and ins["code"] == 0 and ins["json"] is not None:
        lines, total = inspect_figures(ins["json"])
    lib = res.get("library") or {}
    if lines is None:
        lines = lib.get("lines")
    if total is None:
        total = lib.get("total_fen")
    run = res.get("run") or {}
    rec = ((run.get("json") or {}).get("settlement") or {}).get("reconciliation") or {}
    if res["kind"] == "billing" and run.get("code") == 0 and "total_fen" in rec:
        lines, total = rec.get("total_count", lines), rec["total_fen"]
    return lines, total


def report_entry(res: dict) -> None:
    print(f"\n=== {res['id']}  ({res['file']} as {KIND_ZH[res['kind']]}, month {res['month']})")
    if res.get("missing"):
        print("  file missing from the corpus folder")
        return
    if not res.get("sha_ok", True):
        print("  WARNING: sha256 differs from the manifest")
    print(f"  placed as {res['placed']} — {res['prepared']}")
    own = res.get("own")
    if own:
        print(f"  driver: sheet {own['sheet'] or '(csv)'}, header row {own['header'] + 1}, {len(own['data'])} data rows, "
              f"{len(own['dropped'])} summary/footer rows, {len(own['other'])} other non-empty rows, "
              f"total {yuan(own['total_fen'])}" + (f", {len(own['bad'])} amounts not money" if own["bad"] else ""))
    elif res.get("own_error"):
        print(f"  driver could not read it: {res['own_error']}")
    for label in ("inspect", "run"):
        r = res.get(label)
        if not r:
            continue
        flag = " TRACEBACK" if r["traceback"] else ""
        print(f"  settle {label}: exit {r['code']}{flag} ({r['seconds']:.1f} s)")
        if r["json"] is None and r["stdout"].strip():
            print("    stdout: " + r["stdout"].strip().splitlines()[0][:200])
        if r["traceback"]:
            print("    " + (r["stderr"] or r["stdout"]).strip().splitlines()[-1][:200])
    lib = res.get("library") or {}
    if lib.get("error"):
        print(f"  library read failed: {lib['error']}")
    else:
        print(f"  library read: {lib.get('lines')} lines, total {yuan(lib.get('total_fen'))}, "
              f"{len(lib.get('problems', []))} problems" + (f" (+{lib['suppressed']} unlisted)" if lib.get("suppressed") else ""))
    msgs = messages((res.get("run") or {}).get("json"))
    if not msgs and lib.get("problems"):
        msgs = lib["problems"]
    shown = msgs[:25]
    for m in shown:
        print(f"    [{m.get('severity', '?')}] {m['code']}: {where(m)}: {m['message']}"[:400])
    if len(msgs) > len(shown):
        print(f"    … {len(msgs) - len(shown)} more")


def table(results: list[dict]) -> None:
    print("\n| file | kind | month | exit | lines | settle total | independent total | equal? | messages |")
    print("|---|---|---|---|---|---|---|---|---|")
    for res in results:
        if res.get("missing"):
            print(f"| {res['id']} | {KIND_ZH[res['kind']]} | {res['month']} | missing | | | | | |")
            continue
        lines, total = settle_figures(res)
        own = res.get("own") or {}
        mine = own.get("total_fen")
        code = (res.get("run") or {}).get("code")
        msgs = messages((res.get("run") or {}).get("json")) or (res.get("library") or {}).get("problems", [])
        counts: dict[str, int] = {}
        for m in msgs:
            counts[m["code"]] = counts.get(m["code"], 0) + 1
        equal = "-" if mine is None or total is None else ("yes" if mine == total else "NO")
        own_lines = len(own.get("data", [])) if own else None
        lines_s = f"{lines}" + (f" / {own_lines}" if own_lines is not None else "")
        text = ", ".join(f"{c}×{n}" if n > 1 else c for c, n in sorted(counts.items(), key=lambda kv: -kv[1]))
        print(f"| {res['id']} | {KIND_ZH[res['kind']]} | {res['month']} | {code} | {lines_s} | {yuan(total)} "
              f"| {yuan(mine)} | {equal} | {text[:160]} |")
    print("\nlines: settle's / the driver's data rows. settle total: inspect's when it ran, else the library read "
          "(billing with exit 0: the run's reconciliation of the month's settled lines).")


def extract(entries: list[dict], corpus: Path, mirrors: Path) -> int:
    """Bring each entry's file out of a bare git copy of its repository: MIRRORS/<owner>+<name>/
    (repo, repo/.git or <name>.git), `git show COMMIT:PATH`; the sha256 is checked."""
    corpus.mkdir(parents=True, exist_ok=True)
    bad = 0
    for e in {e["file"]: e for e in entries}.values():
        src = e["source"]
        base = mirrors / src["repo"].replace("/", "+")
        gits = [g for g in (base / "repo" / ".git", base / "repo", base / ".git", base) if (g / "HEAD").is_file()]
        got = subprocess.run(["git", "--git-dir", str(gits[0]), "show", f"{src['commit']}:{src['path']}"],
                             capture_output=True) if gits else None
        if got is None or got.returncode:
            print(f"  {e['file']}: not found ({src['repo']} {src['commit'][:10]} {src['path']})")
            bad += 1
            continue
        ok = hashlib.sha256(got.stdout).hexdigest() == e["sha256"]
        (corpus / e["file"]).write_bytes(got.stdout)
        print(f"  {e['file']}: {len(got.stdout)} bytes{'' if ok else '  SHA256 DIFFERS'}")
        bad += not ok
    return 1 if bad else 0


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--read-one":  # PYTHONPATH names the settle to use
        print(json.dumps(read_one(*sys.argv[2:]), ensure_ascii=False, default=str))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--manifest", type=Path, default=MANIFEST)
    ap.add_argument("--only", default=None, help="comma-separated entry ids")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per settle run")
    ap.add_argument("--keep", type=Path, default=None, help="keep the workspaces under this folder")
    ap.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    ap.add_argument("--extract", type=Path, default=None, metavar="MIRRORS",
                    help="only bring the files out of bare git copies under MIRRORS/<owner>+<name>/")
    ap.add_argument("--settle-src", type=Path, default=None, help="run the settle of this src/ folder")
    args = ap.parse_args()
    global SETTLE_SRC
    SETTLE_SRC = (args.settle_src or SETTLE_SRC).resolve()
    os.nice(10)
    sys.path.insert(0, str(SETTLE_SRC))
    import settle.cli  # noqa: F401  imported once; every forked run starts from it

    entries = yaml.safe_load(args.manifest.read_text(encoding="utf-8"))["entries"]
    if args.only:
        wanted = set(args.only.split(","))
        entries = [e for e in entries if e["id"] in wanted]
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    if args.extract:
        return extract(entries, args.corpus, args.extract)
    tmp = Path(tempfile.mkdtemp(prefix="settle-real-", dir=args.keep))
    inspect = has_inspect(args.timeout)
    print(f"settle: {Path(settle.cli.__file__).parent} (inspect: {'present' if inspect else 'absent, the library read gives lines and totals'})")
    results = []
    try:
        for entry in entries:
            res = drive(entry, args.corpus, tmp, args.timeout, inspect)
            report_entry(res)
            results.append(res)
        table(results)
        if args.json:
            args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
