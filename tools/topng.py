"""Look at a workbook as a clerk would (issue 18): workbook → PDF (LibreOffice headless) → PNG
pages (poppler's pdftoppm).

    python tools/topng.py OUTPUT_DIR WORKBOOK.xlsx [WORKBOOK.xlsx …] [--dpi 70]

Writes OUTPUT_DIR/<name>.pdf and OUTPUT_DIR/<name>-<page>.png for every page. Needs
`soffice` (Debian: libreoffice-calc, fonts-noto-cjk for the Chinese) and `pdftoppm`
(poppler-utils); it is a tool for looking, not a test dependency.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def to_pdf(book: Path, out: Path) -> Path:
    """LibreOffice prints every sheet with its own page setup into one PDF."""
    with tempfile.TemporaryDirectory() as profile:  # a private profile: runs never clash
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(out), str(book)], check=True, capture_output=True, timeout=300)
    return out / (book.stem + ".pdf")


def to_png(pdf: Path, dpi: int) -> list[Path]:
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(prefix)], check=True, timeout=300)
    return sorted(pdf.parent.glob(prefix.name + "-*.png"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("books", type=Path, nargs="+")
    ap.add_argument("--dpi", type=int, default=70)
    a = ap.parse_args(argv)
    for tool in ("soffice", "pdftoppm"):
        if shutil.which(tool) is None:
            print(f"{tool} not found: apt-get install libreoffice-calc fonts-noto-cjk poppler-utils", file=sys.stderr)
            return 2
    a.out.mkdir(parents=True, exist_ok=True)
    for book in a.books:
        pdf = to_pdf(book, a.out)
        for png in to_png(pdf, a.dpi):
            print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
