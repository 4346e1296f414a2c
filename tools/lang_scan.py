"""List the texts of a run's workbooks that are in the other language, data values aside.

    python tools/lang_scan.py WORKSPACE MONTH --lang en    # Chinese left in an English run
    python tools/lang_scan.py WORKSPACE MONTH --lang zh    # English words left in a Chinese run

Data is whatever the inputs hold (names, departments, 项目类别, partners, file and sheet names,
the clerk's reasons) and the policy's own values: a text counts only when something is left after
those are taken out. tests/test_language.py runs the same check on the sample month.
"""
from __future__ import annotations

import argparse
import collections
import re
import sys
from pathlib import Path

import fastexcel
import unicodedata
import yaml
import openpyxl

CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]")
LATIN_WORD = re.compile(r"(?<![A-Za-z])[A-Za-z]{3,}(?![A-Za-z])")
ALLOWED_LATIN = {"SHA", "settle", "RMB", "yaml", "xlsx", "xls", "csv", "json", "min", "max", "VIP", "attention", "rules"}
IDENTIFIER = re.compile(r"^\s*[a-z0-9_.-]+\s*$")


def data_values(workspace: Path) -> list[str]:
    """Every text cell of the workspace's inputs, and every file and sheet name: the data."""
    out: set[str] = set()
    for p in workspace.rglob("*"):
        if "output" in p.parts or not p.is_file():
            continue
        out.add(p.name)
        out.update(p.parts)
        if p.suffix.lower() in (".xlsx", ".xls", ".ods", ".xlsb", ".xlsm"):
            try:
                book = fastexcel.read_excel(str(p))
                for name in book.sheet_names:
                    out.add(name)
                    frame = book.load_sheet(name, header_row=None, dtypes="string").to_pandas()
                    out.update(str(v) for v in frame.to_numpy().ravel() if isinstance(v, str))
            except Exception:  # the samples plant broken and hostile files on purpose
                continue
    config = workspace / "settle.yaml"
    if config.exists():
        out.update(str(v) for v in (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).values()
                   if isinstance(v, str))
    out.update(unicodedata.normalize("NFKC", v) for v in list(out))  # 全角 brackets as settle reads them
    return sorted({v.strip() for v in out if v and len(v.strip()) > 1}, key=len, reverse=True)


MASKED = re.compile(r"[\u3400-\u9fff]\*+[\u3400-\u9fff]?")   # 张*, 欧**娜: masked patient names


def texts(folder: Path):
    """(workbook, sheet, text) of every sheet name, page header/footer and text cell."""
    for p in sorted(folder.rglob("*.xlsx")):
        wb = openpyxl.load_workbook(p)
        for ws in wb.worksheets:
            yield p, ws.title, ws.title
            for hf in (ws.oddHeader, ws.oddFooter):
                for part in (hf.left, hf.center, hf.right):
                    if part.text:
                        yield p, ws.title, part.text
            for row in ws.iter_rows():
                if row and row[0].value in ("规则参数", "policy parameters"):
                    break       # 运行信息 ends with the policy's YAML as written: data
                for c in row:
                    if isinstance(c.value, str):
                        yield p, ws.title, c.value


def _without(text: str, data: list[str]) -> str:
    for d in data:
        if d in text:
            text = text.replace(d, " ")
    return text


def wrong_language(text: str, lang: str, data: list[str]) -> bool:
    """Chinese left in an English text, or English words in a Chinese one, data taken out."""
    if lang == "en":
        return bool(CJK.search(text)) and bool(CJK.search(MASKED.sub(" ", _without(text, data))))
    if IDENTIFIER.match(text) or not LATIN_WORD.search(text):
        return False
    rest = _without(text, data)
    if IDENTIFIER.match(rest) or rest.startswith(("/", "SHA-256")) or "@" in rest:
        return False    # violation codes, hashes, folders, user@host, rules version names: identifiers
    return any(w not in ALLOWED_LATIN for w in LATIN_WORD.findall(rest))


def leftovers(workspace: Path, month: str, lang: str) -> dict:
    """{(workbook or folder, sheet): Counter(text)} of the texts in the wrong language."""
    folder = workspace / "output" / month
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*")} | {p.name for p in folder.rglob("*")}
    data = data_values(workspace) + sorted(names, key=len, reverse=True)   # output names: one in every language
    found: dict = collections.defaultdict(collections.Counter)
    for path, sheet, text in texts(folder):
        if wrong_language(text, lang, data):
            found[(path.relative_to(folder).parts[0], sheet)][text[:100]] += 1
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workspace", type=Path)
    ap.add_argument("month")
    ap.add_argument("--lang", choices=("zh", "en"), default="en")
    ap.add_argument("--top", type=int, default=12)
    a = ap.parse_args()
    found = leftovers(a.workspace, a.month, a.lang)
    for key, c in found.items():
        print("==", *key, len(c))
        for text, n in c.most_common(a.top):
            print("   ", n, text)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
