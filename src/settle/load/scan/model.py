"""What a scan finds, and the limits it enforces: the refusal (`UnreadableWorkbook`), the
per-sheet and per-workbook results, the per-sheet working record `_SheetData`, and small
cell-reference helpers shared by every scanner."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


MAX_ROWS = 1_048_576            # Excel's grid
MAX_COLS = 16_384               # XFD
BOMB_RATIO = 100                # a member inflating more than 100:1 ...
BOMB_MEMBER_BYTES = 10 * 1024 * 1024   # ... to over 10 MB is a bomb
BOMB_TOTAL_BYTES = 2 * 1024 ** 3        # all members together over 2 GB is a bomb
CHUNK = 16 * 1024 * 1024        # inflate granularity
RAW_READ = 2 * 1024 * 1024      # compressed bytes read at a time
SMALL_PART_LIMIT = 64 * 1024 * 1024    # workbook.xml / rels larger than this are refused
MAX_CELLS = 64_000_000          # rows x columns handed to calamine (x 32 B = 2 GB)
MAX_EXAMPLES = 20               # stray cells listed (all are counted)
ROW_GAP = 1000                  # empty rows that separate a stray tail from the data
COL_GAP = 16                    # empty columns that separate stray columns from the data
SPARSE_BYTES_PER_ROW = 10       # fewer XML bytes than this per row: the extent is suspect

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_BINARY_EXT = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".emf", ".wmf", ".tif", ".tiff",
               ".bin", ".wdp", ".svgz", ".ico", ".mp3", ".wav", ".avi", ".mp4", ".ttf",
               ".odttf", ".fntdata", ".xlsx", ".xlsm", ".xls", ".docx", ".pptx", ".doc")
_RELS_NS = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
            "http://purl.oclc.org/ooxml/officeDocument/relationships")

class UnreadableWorkbook(Exception):
    """The file is not a readable Excel file.

    .code is one of: 'empty', 'not_excel' (e.g. HTML or text named .xls/.xlsx), 'truncated'
    (broken zip), 'encrypted' (password-protected OOXML: an OLE compound file holding
    EncryptedPackage; or an encrypted .xls / zip member), 'xml_entities' (a DTD / entity
    declaration in an XML part: XML bomb or external entity), 'zip_bomb' (a member that
    inflates more than 100:1 to over 10 MB, or all members together over 2 GB), 'too_wide'
    (a sheet whose extent cannot be brought under the cell budget by dropping stray cells).
    .detail is a short English explanation (member name, ratio, sizes...)."""

    CODES = ("empty", "not_excel", "truncated", "encrypted", "xml_entities", "zip_bomb",
             "too_wide", "old_excel")

    def __init__(self, code: str, detail: str):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class SheetScan:
    """What the reader needs to know about one sheet (rows and columns 1-based, as in Excel).

    The extent (max_row, max_col) is that of the cells holding a value, which is what calamine
    allocates for (empty styled cells do not count), after stray cells were dropped. For
    .xls it is fastexcel's height/width. Merged ranges are clipped to the extent (rows and
    columns beyond it do not exist in what fastexcel returns).

    Stray cells: cells holding a value beyond column `max_columns` or row 1 048 576, or a
    sparse tail far beyond the data when the extent is absurd, are dropped from `source`;
    `stray_count` says how many, `stray_cells` lists up to 20, `stray_cell` names the first
    ("XFD1048576") for the warning. `dimension` is the declared <dimension ref>, never used."""

    name: str
    index: int                 # position in the workbook (what fastexcel's load_sheet(idx) takes)
    visible: bool              # False for state="hidden" or "veryHidden"
    merged: tuple[tuple[int, int, int, int], ...]        # (min_row, min_col, max_row, max_col)
    uncached_formulas: tuple[tuple[int, int], ...]       # (row, col): a <f> cell with no cached <v>
    long_numbers: tuple[tuple[int, int, str], ...]       # (row, col, raw <v>): >= 1e15 or > 15 digits
    max_row: int
    max_col: int               # largest column actually holding a value (not <dimension>)
    stray_cells: tuple[tuple[int, int], ...] = ()
    stray_count: int = 0
    stray_cell: str | None = None
    dimension: str | None = None
    sanitised: bool = False    # this sheet was rewritten in `source`
    state: str = "visible"     # 'visible', 'hidden' or 'veryHidden'
    hidden_rows: tuple[int, ...] = ()   # rows hidden in Excel (AutoFilter or by hand), ascending
    pivot: bool = False        # the sheet holds a pivot table (xl/pivotTables referenced by it)


@dataclass(frozen=True)
class WorkbookScan:
    path: Path
    kind: str                   # 'xlsx' (also .xlsm), 'xls', 'ods' or 'xlsb'
    sheets: tuple[SheetScan, ...]
    date1904: bool
    source: Path | bytes        # what to give fastexcel.read_excel()
    notes: tuple[str, ...] = ()  # English diagnostics (what was sanitised and why)
    reader: str = "calamine"    # 'xlrd' for an .xls calamine cannot read (BIFF2-5, some damage)


# --------------------------------------------------------------------------------------------
# small helpers


def col_letters(n: int) -> str:
    """1-based column number -> Excel letters (1 -> A, 16384 -> XFD)."""
    s = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _col_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters.upper() if isinstance(letters, str) else letters.upper().decode("latin-1"):
        n = n * 26 + (ord(ch) - 64)
    return n


_REF_RE = re.compile(r"\$?([A-Za-z]{1,7})\$?([0-9]{1,12})")


def _parse_ref(ref: str) -> tuple[int, int] | None:
    """'B7' -> (7, 2); None when it is not a cell reference (calamine would refuse it)."""
    m = _REF_RE.fullmatch(ref.strip())
    if not m:
        return None
    row = int(m.group(2))
    if row < 1:
        return None
    return row, _col_number(m.group(1))


def _ref_text(row: int, col: int) -> str:
    return f"{col_letters(col)}{row}"


def _fmt_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


# --------------------------------------------------------------------------------------------
# per-sheet results


@dataclass
class _SheetData:
    part: str
    mode: str = "fast"                       # 'fast' (regex) or 'slow' (expat)
    prefix: str = ""
    max_row: int = 0                         # extent of in-grid cells holding a value
    max_col: int = 0
    merged: list = field(default_factory=list)
    uncached: list = field(default_factory=list)
    long_numbers: list = field(default_factory=list)
    dimension: str | None = None
    hard_count: int = 0                      # cells with a value beyond max_columns / MAX_ROWS
    hard_examples: list = field(default_factory=list)
    xml_bytes: int = 0
    row_counts: Counter | None = None        # only from the slow scanner / distribution pass
    col_counts: Counter | None = None
    utf16: bool = False
    hidden_rows: list = field(default_factory=list)   # <row hidden="1">: rows hidden in Excel


def _is_long_number(raw: str) -> bool:
    """More than 15 significant digits (Excel keeps 15), or an exponent form >= 1e15."""
    s = raw.strip()
    try:
        v = float(s)
    except ValueError:
        return False
    if v != v or v in (float("inf"), float("-inf")):
        return False
    if abs(v) >= 1e15:
        return True
    # more than 15 significant digits in a number written without a fraction
    mant = s.lstrip("+-").split("e")[0].split("E")[0]
    if "." not in mant and "e" not in s.lower():
        return len(mant.lstrip("0")) > 15
    return False


_T_ATTR = re.compile(rb"""\st\s*=\s*["']([^"']*)["']""")
_V_TEXT = re.compile(rb"<(?:[^\s<>/:=\"'!?]+:)?v(?:\s[^>]*)?>([^<]*)<")
_HAS_IS = re.compile(rb"<(?:[^\s<>/:=\"'!?]+:)?is[\s>]")
_HAS_V = re.compile(rb"<(?:[^\s<>/:=\"'!?]+:)?v[\s/>]")


def _cell_has_value(seg: bytes) -> bool:
    """seg: a whole <c ...>...</c>. True when calamine would read a non-empty value."""
    if _HAS_IS.search(seg):
        return True
    m = _V_TEXT.search(seg)
    return bool(m and m.group(1))


def _formula_cached(seg: bytes, ttype: bytes | None) -> bool:
    m = _V_TEXT.search(seg)
    if m and m.group(1):
        return True
    if ttype in (b"str", b"inlineStr") and (_HAS_V.search(seg) or _HAS_IS.search(seg)):
        return True  # a formula whose cached result is the empty string
    return False


