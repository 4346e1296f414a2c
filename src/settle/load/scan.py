"""Pre-flight scan of an input workbook, before any reader touches it.

fastexcel (calamine, Rust) aborts the whole process when a sheet's cell extent does not fit in
memory (it allocates rows x columns x 32 bytes: one stray cell at XFD1048576 asks for 512 GiB),
and openpyxl pads read-only rows to the declared <dimension>. So every workbook is first
scanned here, cheaply, and either refused with an `UnreadableWorkbook` (a code and a short
English detail), or described by a `WorkbookScan`: its sheets (visibility, merged ranges,
formula cells without a cached value, numbers that lost digits, real extent) and the `source`
to hand to fastexcel: the path itself, or the bytes of a sanitised copy with the far-away
cells and the bogus <dimension> removed.

How the scan stays cheap on a 1 000 000-row sheet (500 MB of XML): the member is inflated in a
background thread (zlib releases the GIL) in 16 MiB chunks cut at a `</row>` boundary, and
each chunk is tested with ONE regular expression run by RE2 (pyarrow.compute, also outside the
GIL) that matches anything that needs a closer look: a cell beyond the extent seen so far, a
formula, a long number, a cell written in an unusual form (no `r`, other prefix, quotes...),
a comment/CDATA/DOCTYPE, the end of sheetData. A chunk with no match is done. A chunk with a
match is examined with Python's `re` for that category only. A sheet whose cells are not in
the canonical `<c r="A1" ...>` form is scanned with expat instead (slower, exact, mirrors
calamine's rules: local names, position counting for cells without `r`).
"""

from __future__ import annotations

import codecs
import queue
from contextlib import closing
import re
import struct
import threading
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from xml.parsers import expat

__all__ = [
    "UnreadableWorkbook",
    "SheetScan",
    "WorkbookScan",
    "scan_workbook",
    "col_letters",
    "MAX_ROWS",
    "MAX_COLS",
]

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
             "too_wide")

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


@dataclass(frozen=True)
class WorkbookScan:
    path: Path
    kind: str                   # 'xlsx' (also .xlsm) or 'xls'
    sheets: tuple[SheetScan, ...]
    date1904: bool
    source: Path | bytes        # what to give fastexcel.read_excel()
    notes: tuple[str, ...] = ()  # English diagnostics (what was sanitised and why)


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
# regular expressions for ranges of cell references (usable by RE2 and by Python's re)


def _eq_len_range(lo: str, hi: str, first: str, last: str) -> str:
    """Regex matching every string s of len(lo) with lo <= s <= hi over the alphabet
    first..last (contiguous in ASCII)."""
    if lo == hi:
        return re.escape(lo)
    if len(lo) == 1:
        return f"[{lo}-{hi}]" if lo != hi else lo
    if lo[0] == hi[0]:
        return re.escape(lo[0]) + "(?:" + _eq_len_range(lo[1:], hi[1:], first, last) + ")"
    n = len(lo) - 1
    parts = [re.escape(lo[0]) + "(?:" + _eq_len_range(lo[1:], last * n, first, last) + ")"]
    a, b = chr(ord(lo[0]) + 1), chr(ord(hi[0]) - 1)
    if a <= b:
        parts.append(f"[{a}-{b}][{first}-{last}]{{{n}}}")
    parts.append(re.escape(hi[0]) + "(?:" + _eq_len_range(first * n, hi[1:], first, last) + ")")
    return "(?:" + "|".join(parts) + ")"


def _letters_range(lo: int, hi: int | None) -> str:
    """Regex for column letters of columns lo..hi (hi None: no upper bound). lo >= 1."""
    lo_s = col_letters(lo)
    unbounded = f"[A-Z]{{{len(lo_s) + 1},}}"
    return _by_length(lo_s, None if hi is None else col_letters(hi), lambda k: "A" * k, "A", "Z", unbounded)


def _digits_range(lo: int, hi: int | None) -> str:
    """Regex for decimal numbers lo..hi without leading zeros (hi None: unbounded). lo >= 1."""
    lo_s = str(lo)
    unbounded = f"[1-9][0-9]{{{len(lo_s)},}}"
    return _by_length(lo_s, None if hi is None else str(hi), lambda k: "1" + "0" * (k - 1), "0", "9", unbounded)


def _by_length(lo_s: str, hi_s: str | None, smallest, first: str, last: str, unbounded: str) -> str:
    """Regex for the strings lo_s..hi_s of a positional alphabet first..last, one equal-length
    range per length (`smallest(k)`: the least string of length k); hi_s None: every longer one
    too (`unbounded`). Equal-length strings compare as their values, so `a <= b` orders them."""
    alts = []
    if hi_s is None:
        alts.append(unbounded)
        hi_s = last * len(lo_s)
    for k in range(len(lo_s), len(hi_s) + 1):
        a = lo_s if k == len(lo_s) else smallest(k)
        b = hi_s if k == len(hi_s) else last * k
        if a <= b:
            alts.append(_eq_len_range(a, b, first, last))
    return "(?:" + "|".join(alts) + ")" if alts else _NEVER


_ANY_PREFIX = r"(?:[^\s<>/:=\"'!?]+:)?"
_NEVER = r"[^\x00-\xff]"  # matches nothing, in RE2 (Latin-1) and in re


def _other_prefix(prefix: str) -> str:
    """Regex for an element-name prefix (without ':') different from `prefix`."""
    nonname = r"[^\s<>/:=\"'!?]"
    if not prefix:
        return nonname + "+"
    k = len(prefix)
    alts = [nonname + f"{{{k + 1},}}"]
    if k > 1:
        alts.append(nonname + f"{{1,{k - 1}}}")
    for i, ch in enumerate(prefix):
        alts.append(re.escape(prefix[:i]) + f"[^\\s<>/:=\"'!?{re.escape(ch)}]" + nonname + f"{{{k - i - 1}}}")
    return "(?:" + "|".join(alts) + ")"


class _Patterns:
    """The byte patterns for one sheet prefix ('' or e.g. 'x:')."""

    def __init__(self, prefix: str, max_columns: int):
        self.prefix = prefix
        self.max_columns = max_columns
        p = re.escape(prefix)
        self.p = p
        self.cell_open = b"<" + prefix.encode() + b'c r="'
        self.cell_close = b"</" + prefix.encode() + b"c>"
        self.row_close = b"</" + prefix.encode() + b"row>"
        self.sd_close = b"</" + prefix.encode() + b"sheetData>"
        pref_name = prefix[:-1]
        # Anything that makes a cell's position or presence differ from what the fast path
        # reads: a cell whose first attribute is not r="<upper-case letters>...", a cell with
        # another prefix (calamine matches local names), comments, CDATA, DTDs, PIs. Rows do
        # not matter: every canonical cell carries its own reference.
        other = [f"<{_other_prefix(pref_name)}:c[\\s/>]"]
        if prefix:
            other.append(r"<c[\s/>]")
        self.noncanon = "|".join([
            f"<{p}c(?:[\\t\\n\\r/>]| (?:[^r]|r[^=]|r=[^\"]|r=\"[A-Z]*[^A-Z0-9]))",
            *other,
            r"<[!?]",
        ])
        self.formula = _ANY_PREFIX.join([r"<", r"f[\s/>]"])
        self.longv = r"<" + _ANY_PREFIX + r"v>\s*[-+]?(?:[0-9]{16}|[0-9][0-9.]*[eE])"
        self.tail = f"</{p}sheetData>|<" + _ANY_PREFIX + r"mergeCell[\s/>]"
        self.sd_end = f"</{p}sheetData>"
        ends = '"(?:[^>]*[^/>])?>'  # the start tag of a cell that is not self-closing
        self.hard = (f"<{p}c r=\"(?:{_letters_range(max_columns + 1, None)}[0-9]+"
                     f"|[A-Z]+{_digits_range(MAX_ROWS + 1, None)}){ends}")
        self.re_formula = re.compile(self.formula.encode())
        self.re_longv = re.compile(self.longv.encode())
        self.re_tail = re.compile(self.tail.encode())
        self.re_hard = re.compile(self.hard.encode())
        self.re_noncanon = re.compile(self.noncanon.encode())
        self.re_merge = re.compile((r"<" + _ANY_PREFIX + r"mergeCell\s[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']").encode())
        # a cell start tag without any r attribute (Python re only: look-ahead)
        self.re_cell_no_r = re.compile((f"<{p}c(?=[\\s/>])(?![^>]*\\sr\\s*=)[^>]*>").encode())
        self.re_ref = re.compile((f"<{p}c r=\"([A-Z]+)([0-9]+)\"(?:[^>]*[^/>])?>").encode())

    def ext(self, m: int, n: int) -> str:
        """A cell that is not self-closing, beyond column m or row n (hard strays included)."""
        return (f"<{self.p}c r=\"(?:{_letters_range(m + 1, None)}[0-9]+|[A-Z]+{_digits_range(n + 1, None)})\""
                "(?:[^>]*[^/>])?>")

    def ext_in_grid(self, m: int, n: int) -> str:
        """Like ext(), limited to columns <= max_columns and rows <= 1 048 576."""
        mc = self.max_columns
        alts = []
        if m < mc:
            alts.append(f"{_letters_range(m + 1, mc)}{_digits_range(1, MAX_ROWS)}")
        if n < MAX_ROWS:
            alts.append(f"{_letters_range(1, mc)}{_digits_range(n + 1, MAX_ROWS)}")
        if not alts:
            return _NEVER
        return f"<{self.p}c r=\"(?:" + "|".join(alts) + ')"(?:[^>]*[^/>])?>'

    def drop(self, r_keep: int, c_keep: int) -> re.Pattern:
        """Any cell (empty or not) beyond row r_keep or column c_keep."""
        s = (f"<{self.p}c r=\"(?:{_letters_range(c_keep + 1, None)}[0-9]+"
             f"|[A-Z]+{_digits_range(r_keep + 1, None)})\"")
        return re.compile(s.encode())

    def drop_row(self, r_keep: int) -> re.Pattern:
        return re.compile((f"<{self.p}row r=\"{_digits_range(r_keep + 1, None)}\"").encode())


# --------------------------------------------------------------------------------------------
# RE2 (pyarrow) "is there anything in this chunk?" test, with a Python fallback

try:  # pragma: no cover - exercised implicitly
    import pyarrow as _pa
    import pyarrow.compute as _pc

    _pc.find_substring_regex(_pa.array([b"ab"], _pa.binary()), pattern="b")
    _HAVE_RE2 = True
except Exception:  # pragma: no cover
    _HAVE_RE2 = False

_py_cache: dict[str, re.Pattern] = {}


def _first_match(chunk: bytes, pattern: str, start: int = 0, end: int | None = None) -> int:
    """Offset of the first match of `pattern` in chunk[start:end], or -1 (no copy is made).
    RE2 runs without the GIL, so it overlaps the inflating thread."""
    if end is None:
        end = len(chunk)
    if start >= end:
        return -1
    if _HAVE_RE2:
        arr = _pa.Array.from_buffers(_pa.binary(), 1, [None, _pa.py_buffer(struct.pack("<ii", start, end)),
                                                        _pa.py_buffer(chunk)])
        r = _pc.find_substring_regex(arr, pattern=pattern)[0].as_py()
        return r + start if r >= 0 else -1
    rx = _py_cache.get(pattern)
    if rx is None:
        if len(_py_cache) > 256:
            _py_cache.clear()
        rx = _py_cache[pattern] = re.compile(pattern.encode("latin-1"))
    m = rx.search(chunk, start, end)
    return m.start() if m else -1


# --------------------------------------------------------------------------------------------
# reading zip members

try:  # python-isal (ISA-L igzip) inflates ~1.5-2x faster than zlib, same API; optional
    from isal import isal_zlib as _inflate_mod  # type: ignore
except Exception:  # pragma: no cover - depends on the environment
    _inflate_mod = zlib
_crc32 = getattr(_inflate_mod, "crc32", zlib.crc32)


class _Member:
    """Streams one zip member's inflated bytes (in a background thread if asked), checking the
    declared size (more is a bomb, less or a bad CRC is a broken file)."""

    def __init__(self, path: Path, info: zipfile.ZipInfo):
        self.path = path
        self.info = info

    def chunks(self, threaded: bool = False, limit: int | None = None,
               piece: int | None = None) -> Iterator[bytes]:
        piece = piece or CHUNK
        if not threaded:
            yield from self._produce(limit, piece)
            return
        q: queue.Queue = queue.Queue(maxsize=2)
        stop = threading.Event()

        def put(item) -> bool:
            while not stop.is_set():
                try:
                    q.put(item, timeout=0.2)
                    return True
                except queue.Full:
                    continue
            return False  # the consumer went away

        def work():
            try:
                for out in self._produce(limit, piece, check_crc=False):
                    if not put(out):
                        return
                put(None)
            except BaseException as exc:  # handed to the consumer
                put(exc)

        t = threading.Thread(target=work, name="settle-inflate", daemon=True)
        t.start()
        crc = 0  # computed here, so that it overlaps the inflating thread
        try:
            while True:
                item = q.get()
                if item is None:
                    if limit is None and crc != self.info.CRC:
                        raise UnreadableWorkbook("truncated", f"zip member {self.info.filename} "
                                                 "fails its CRC check")
                    return
                if isinstance(item, BaseException):
                    raise item
                crc = _crc32(item, crc)
                yield item
        finally:
            stop.set()
            try:
                while True:
                    q.get_nowait()
            except queue.Empty:
                pass

    def _produce(self, limit: int | None, piece: int, check_crc: bool = True) -> Iterator[bytes]:
        info = self.info
        name = info.filename
        if info.flag_bits & 0x1:
            raise UnreadableWorkbook("encrypted", f"zip member {name} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnreadableWorkbook("not_excel", f"zip member {name} uses compression method "
                                     f"{info.compress_type}, which Excel never writes")
        with open(self.path, "rb") as fp:
            fp.seek(info.header_offset)
            head = fp.read(30)
            if len(head) < 30 or head[:4] != _ZIP_MAGIC:
                raise UnreadableWorkbook("truncated", f"zip member {name}: local header missing")
            nlen, xlen = struct.unpack("<HH", head[26:30])
            fp.seek(info.header_offset + 30 + nlen + xlen)
            left = info.compress_size
            declared = info.file_size
            produced = 0
            crc = 0
            if info.compress_type == zipfile.ZIP_STORED:
                while left > 0:
                    raw = fp.read(min(piece, left))
                    if not raw:
                        raise UnreadableWorkbook("truncated", f"zip member {name} is cut short")
                    left -= len(raw)
                    produced += len(raw)
                    if check_crc:
                        crc = _crc32(raw, crc)
                    yield raw
                    if limit is not None and produced >= limit:
                        return
            else:
                d = _inflate_mod.decompressobj(-15)
                while True:
                    if d.unconsumed_tail:
                        data = d.unconsumed_tail
                    elif left > 0:
                        data = fp.read(min(RAW_READ, piece, left))
                        if not data:
                            raise UnreadableWorkbook("truncated", f"zip member {name} is cut short")
                        left -= len(data)
                    else:
                        data = b""  # drain what the inflater still holds
                    try:
                        out = d.decompress(data, piece)
                        if not data and not out and not d.eof:
                            out = d.flush()
                            if not out:
                                raise UnreadableWorkbook("truncated", f"zip member {name}: deflate "
                                                         "stream is incomplete")
                    except (zlib.error, getattr(_inflate_mod, "error", zlib.error)) as exc:
                        raise UnreadableWorkbook("truncated", f"zip member {name} does not inflate ({exc})") from None
                    if out:
                        produced += len(out)
                        if produced > declared:
                            raise UnreadableWorkbook(
                                "zip_bomb", f"zip member {name} inflates beyond its declared size "
                                f"{_fmt_size(declared)}")
                        if check_crc:
                            crc = _crc32(out, crc)
                        yield out
                        if limit is not None and produced >= limit:
                            return
                    if d.eof and not d.unconsumed_tail:
                        break
            if produced != declared:
                raise UnreadableWorkbook("truncated", f"zip member {name} holds {produced} bytes, "
                                         f"{declared} declared")
            if check_crc and crc != info.CRC:
                raise UnreadableWorkbook("truncated", f"zip member {name} fails its CRC check")

    def read(self, limit: int) -> bytes:
        if self.info.file_size > limit:
            raise UnreadableWorkbook("not_excel", f"{self.info.filename} is {_fmt_size(self.info.file_size)}, "
                                     f"far larger than any real workbook part")
        return b"".join(self.chunks())


# --------------------------------------------------------------------------------------------
# XML prolog check (DOCTYPE / ENTITY before the root element)

_PROLOG_DONE = object()


def _xml_encoding(head: bytes) -> str | None:
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    if head[:4] in (b"<\x00?\x00", b"<\x00\x00\x00"):
        return "utf-16-le"
    if head[:4] in (b"\x00<\x00?", b"\x00\x00\x00<"):
        return "utf-16-be"
    return None


def _prolog_verdict(text: str) -> object | str | None:
    """_PROLOG_DONE when the root element starts cleanly, a reason string when a DOCTYPE or
    ENTITY is declared first, None when more text is needed."""
    i = 0
    n = len(text)
    if text.startswith("\ufeff"):
        i = 1
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            return None
        if text[i] != "<":
            return _PROLOG_DONE  # text before the root: malformed, the parser will say so
        if text.startswith("<?", i):
            j = text.find("?>", i + 2)
            if j < 0:
                return None
            i = j + 2
        elif text.startswith("<!--", i):
            j = text.find("-->", i + 4)
            if j < 0:
                return None
            i = j + 3
        elif text.startswith("<!", i):
            if n - i < 9:
                return None  # too little text yet to name the declaration
            word = text[i + 2:i + 9].upper()
            if word.startswith("DOCTYPE"):
                return "a DOCTYPE declaration"
            if word.startswith("ENTITY"):
                return "an ENTITY declaration"
            return "a '<!' declaration before the root element"
        else:
            return _PROLOG_DONE


def _check_prolog(member: _Member, head_limit: int = 4 * 1024 * 1024) -> bytes:
    """Refuse a part whose prolog declares a DTD or entities; returns the bytes read."""
    got = b""
    for piece in member.chunks(limit=head_limit, piece=65536):
        got += piece
        verdict = _prolog_text_verdict(got)
        if verdict is _PROLOG_DONE:
            return got
        if isinstance(verdict, str):
            raise UnreadableWorkbook("xml_entities", f"{member.info.filename} contains {verdict} "
                                     "(XML entity expansion or external entity), refused")
        if len(got) >= head_limit:
            raise UnreadableWorkbook("not_excel", f"{member.info.filename}: no root element in its "
                                     f"first {_fmt_size(head_limit)}")
    verdict = _prolog_text_verdict(got, final=True)
    if isinstance(verdict, str):
        raise UnreadableWorkbook("xml_entities", f"{member.info.filename} contains {verdict} "
                                 "(XML entity expansion or external entity), refused")
    return got


def _prolog_text_verdict(data: bytes, final: bool = False):
    enc = _xml_encoding(data[:4])
    if enc:
        text = codecs.getincrementaldecoder(enc)(errors="replace").decode(data, final)
    else:
        text = data.decode("latin-1")
    v = _prolog_verdict(text)
    if v is None and final:
        return _PROLOG_DONE
    return v


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
_NON_VALUE_T = {b"s", b"str", b"inlineStr", b"e", b"b", b"d", b"is"}


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


# --------------------------------------------------------------------------------------------
# the fast (regex) sheet scanner


class _NotCanonical(Exception):
    """This sheet must be scanned another way: positionally (cells without `r`) when
    `positional` is true, else by the expat scanner."""

    def __init__(self, positional: bool = False):
        super().__init__()
        self.positional = positional


_SD_OPEN = re.compile(rb"<([^\s<>/:=\"'!?]+:)?sheetData(?:\s[^>]*)?(/?)>")
_DIM = re.compile(rb"<([^\s<>/:=\"'!?]+:)?dimension\s[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"'][^>]*>")


def _split_head(data: bytes) -> tuple[int, str | None, bool] | None:
    """Locate the <sheetData> start tag: (offset after it, prefix, self_closing)."""
    m = _SD_OPEN.search(data)
    if not m:
        return None
    pref = (m.group(1) or b"").decode("latin-1")
    return m.end(), pref, bool(m.group(2))


class _FastScanner:
    """Scans canonical sheet XML (every cell `<c r="A1" ...>`, rows ascending) chunk by chunk.

    Each chunk is searched by RE2 for the first "interesting" thing: a cell beyond the extent
    seen so far, a non-canonical construct, a formula, a long number, the end of sheetData.
    In a plain data chunk there is none and the chunk costs one RE2 pass."""

    HARD_WALK = 64   # values outside the grid handled one by one before bulk counting

    def __init__(self, sd: _SheetData, pats: _Patterns):
        self.sd = sd
        self.pats = pats
        self.m = 0      # max column of in-grid cells with a value
        self.n = 0      # max row of in-grid cells with a value
        self.in_data = True

    def _cell_at(self, data: bytes, start: int, hi: int) -> tuple | None:
        """The canonical cell starting at `start`: (row, col, end, segment, t)."""
        pats = self.pats
        r0 = start + len(pats.cell_open)
        q = data.find(b'"', r0, hi)
        if q < 0:
            return None
        ref = data[r0:q]
        te = data.find(b">", q, hi)
        if te < 0:
            return None
        if data[te - 1] == 47:  # '/>'
            end = te + 1
        else:
            ce = data.find(pats.cell_close, te, hi)
            end = hi if ce < 0 else ce + len(pats.cell_close)
        seg = data[start:end]
        i = 0
        while i < len(ref) and 65 <= ref[i] <= 90:
            i += 1
        try:
            row = int(ref[i:])
        except ValueError:
            return None
        t = _T_ATTR.search(data, start, te + 1)
        return row, _col_number(ref[:i]), end, seg, (t.group(1) if t else None)

    def _last_value_row(self, data: bytes, lo: int, hi: int) -> int:
        """Row of the last in-grid cell holding a value (rows ascend in canonical sheets)."""
        pats = self.pats
        pos = hi
        for _ in range(64):
            ce = data.rfind(pats.cell_close, lo, pos)
            if ce < 0:
                return 0
            cs = data.rfind(pats.cell_open, lo, ce)
            if cs < 0:
                return 0
            cell = self._cell_at(data, cs, hi)
            if cell and _cell_has_value(cell[3]) and cell[0] <= MAX_ROWS and cell[1] <= pats.max_columns:
                return cell[0]
            pos = cs
        return 0

    def feed(self, data: bytes, lo: int = 0, hi: int | None = None) -> None:
        """data[lo:hi]: sheet XML ending at a </row> boundary (or the end of the part)."""
        if hi is None:
            hi = len(data)
        if lo >= hi:
            return
        pats = self.pats
        sd = self.sd
        if not self.in_data:
            self._tail(data[lo:hi])
            return
        nc = self._last_value_row(data, lo, hi)
        m, n = self.m, max(self.n, nc)
        want_f = want_v = True
        hard_bulk = False
        pos = lo
        while True:
            alts = [pats.noncanon, pats.ext_in_grid(m, n) if hard_bulk else pats.ext(m, n), pats.sd_end]
            if want_f:
                alts.append(pats.formula)
            if want_v:
                alts.append(pats.longv)
            p = _first_match(data, "|".join(alts), pos, hi)
            if p < 0:
                break
            if pats.re_noncanon.match(data, p):
                if data.startswith((b"<!DOCTYPE", b"<!ENTITY"), p):
                    raise UnreadableWorkbook("xml_entities", f"{sd.part} contains a DOCTYPE/ENTITY "
                                             "declaration inside sheetData, refused")
                raise _NotCanonical(positional=bool(pats.re_cell_no_r.match(data, p)))
            if data.startswith(pats.cell_open, p):
                cell = self._cell_at(data, p, hi)
                pos = p + 1
                if cell is None or not _cell_has_value(cell[3]):
                    continue
                if cell[1] > pats.max_columns or cell[0] > MAX_ROWS:
                    sd.hard_count += 1
                    if len(sd.hard_examples) < MAX_EXAMPLES:
                        sd.hard_examples.append((cell[0], cell[1]))
                    if sd.hard_count >= self.HARD_WALK and not hard_bulk:
                        # many: count the rest of this chunk in bulk, walk in-grid cells only
                        hard_bulk = True
                        sd.hard_count += len(pats.re_hard.findall(data, pos, hi))
                    continue
                m = max(m, cell[1])
                n = max(n, cell[0])
                continue
            if pats.re_tail.match(data, p):
                if data.startswith(pats.sd_close, p):
                    # nothing interesting before p was left: it would have matched first
                    self.in_data = False
                    self._tail(data[p:hi])
                    break
                pos = p + 1
                continue
            if want_f and pats.re_formula.match(data, p):
                self._formulas(data, p, hi)
                want_f = False
                pos = p
                continue
            if want_v and pats.re_longv.match(data, p):
                self._long_numbers(data, p, hi)
                want_v = False
                pos = p
                continue
            pos = p + 1  # pragma: no cover - a match no handler claims
        self.m, self.n = m, n

    def _formulas(self, data: bytes, lo: int, hi: int) -> None:
        pats = self.pats
        end = data.find(pats.sd_close, lo, hi)
        if end >= 0:
            hi = end
        for mt in pats.re_formula.finditer(data, lo, hi):
            cs = data.rfind(pats.cell_open, 0, mt.start())
            if cs < 0:
                continue
            cell = self._cell_at(data, cs, hi)
            if cell and not _formula_cached(cell[3], cell[4]):
                self.sd.uncached.append((cell[0], cell[1]))

    def _long_numbers(self, data: bytes, lo: int, hi: int) -> None:
        pats = self.pats
        end = data.find(pats.sd_close, lo, hi)
        if end >= 0:
            hi = end
        for mt in pats.re_longv.finditer(data, lo, hi):
            cs = data.rfind(pats.cell_open, 0, mt.start())
            if cs < 0:
                continue
            cell = self._cell_at(data, cs, hi)
            if not cell or (cell[4] is not None and cell[4] != b"n"):
                continue
            vm = _V_TEXT.search(cell[3])
            if vm:
                raw = vm.group(1).decode("latin-1").strip()
                if _is_long_number(raw):
                    self.sd.long_numbers.append((cell[0], cell[1], raw))

    def _tail(self, data: bytes) -> None:
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise UnreadableWorkbook("xml_entities", f"{self.sd.part} contains a DOCTYPE/ENTITY declaration")
        if b"mergeCell" in data:
            for mt in self.pats.re_merge.finditer(data):
                self.sd.merged.append(mt.group(1).decode("latin-1"))


class _PositionalScanner:
    """Scans sheet XML whose cells carry no `r` (some .NET / streaming writers): calamine then
    places a cell by counting, row by row (`<row r>` or +1 per `</row>`, +1 column per `<c>`).
    Vectorised with numpy over each chunk (complete rows), so a 1 000 000-row sheet costs
    about as much as an RE2 pass. Anything else unusual (a cell with `r`, another prefix,
    comments, self-closing rows) sends the sheet to the expat scanner."""

    def __init__(self, sd: _SheetData, pats: _Patterns):
        import numpy as np

        self.np = np
        self.sd = sd
        self.pats = pats
        self.m = 0
        self.n = 0
        self.in_data = True
        self.next_row = 1                       # calamine's row_index + 1 after the last </row>
        sd.row_counts = Counter()
        sd.col_counts = Counter()
        p = pats.p
        other = [f"<{_other_prefix(pats.prefix[:-1])}:(?:c|row|v|f|is)[\\s/>]"]
        if pats.prefix:
            other.append(r"<(?:c|row|v|f|is)[\s/>]")
        self.bad = "|".join([
            f"<{p}c\\s(?:[^>]*\\s)?r\\s*=",          # a cell with a reference after all
            f"<{p}row(?:\\s[^>]*)?/>",              # a self-closing row
            f"</{p}row\\s",                          # an end tag with blanks
            *other,
            r"<[!?]",
        ])
        self.re_row_tag = re.compile((f"<{p}row(?=[\\s>])[^>]*>").encode())
        self.re_row_r = re.compile(rb"""\sr\s*=\s*["']([0-9]+)["']""")
        self.re_row_quick = re.compile((f"<{p}row r=\"([0-9]{{1,15}})\"").encode())

    def _marks(self, arr, lt, name: bytes, delims: bytes):
        """Positions in lt (of '<') followed by `name` and one of `delims`."""
        np = self.np
        mask = np.ones(len(lt), dtype=bool)
        for k, ch in enumerate(name):
            mask &= np.take(arr, lt + 1 + k, mode='clip') == ch
            if not mask.any():
                return lt[:0]
        nxt = np.take(arr, lt + 1 + len(name), mode='clip')
        dm = np.zeros(len(lt), dtype=bool)
        for ch in delims:
            dm |= nxt == ch
        return lt[mask & dm]

    def feed(self, data: bytes, lo: int = 0, hi: int | None = None) -> None:
        np = self.np
        if hi is None:
            hi = len(data)
        if lo >= hi:
            return
        pats = self.pats
        sd = self.sd
        if not self.in_data:
            self._tail(data[lo:hi])
            return
        if _first_match(data, self.bad, lo, hi) >= 0:
            raise _NotCanonical()
        end = data.find(pats.sd_close, lo, hi)
        stop = hi if end < 0 else end
        arr = np.frombuffer(data, dtype=np.uint8, count=stop - lo, offset=lo)
        if len(arr) == 0:
            self._finish(data, end, hi)
            return
        lt = np.flatnonzero(arr == 60)
        pb = pats.prefix.encode()
        ws = b" \t\r\n"
        if pb:
            cells = self._marks(arr, lt, pb + b"c", ws + b"/>")
            row_ends = self._marks(arr, lt, b"/" + pb + b"row", b">")
            vs = self._marks(arr, lt, pb + b"v", b">")
            iss = self._marks(arr, lt, pb + b"is", ws + b">")
            fs = self._marks(arr, lt, pb + b"f", ws + b"/>")
        else:
            # one gather per following byte, shared by every tag we look for
            b1 = np.take(arr, lt + 1, mode='clip')
            keep = (b1 == 99) | (b1 == 47) | (b1 == 118) | (b1 == 105) | (b1 == 102)  # c / v i f
            lt, b1 = lt[keep], b1[keep]
            b2 = np.take(arr, lt + 2, mode='clip')
            b3 = np.take(arr, lt + 3, mode='clip')
            delim2 = (b2 == 32) | (b2 == 62) | (b2 == 47) | (b2 == 9) | (b2 == 10) | (b2 == 13)
            cells = lt[(b1 == 99) & delim2]
            vs = lt[(b1 == 118) & (b2 == 62)]
            fs = lt[(b1 == 102) & delim2]
            iss = lt[(b1 == 105) & (b2 == 115) & ((b3 == 62) | (b3 == 32))]
            ro = (b1 == 47) & (b2 == 114) & (b3 == 111)
            lr = lt[ro]
            row_ends = lr[(np.take(arr, lr + 4, mode='clip') == 119) & (np.take(arr, lr + 5, mode='clip') == 62)]
        # row numbers, in order
        tags = self.re_row_tag.findall(data, lo, stop)
        if len(tags) != len(row_ends):
            raise _NotCanonical()  # rows not closed within the chunk: let expat judge
        nums = np.empty(len(tags) + 1, dtype=np.int64)
        nxt = self.next_row
        quick = self.re_row_quick.findall(data, lo, stop)
        if len(quick) == len(tags):
            # every row says r="N" first: no per-row Python work
            if tags:
                nums[:-1] = np.array(quick).astype(np.int64)
                nxt = int(nums[-2]) + 1
        else:
            for k, tag in enumerate(tags):
                mr = self.re_row_r.search(tag)
                if mr:
                    nxt = int(mr.group(1))
                nums[k] = nxt
                nxt += 1
        nums[len(tags)] = nxt                  # cells after the last </row> (none, normally)
        self.next_row = nxt
        if len(cells):
            seg = np.searchsorted(row_ends, cells)             # row of each cell
            first = np.searchsorted(cells, np.concatenate(([-1], row_ends)))
            ordinal = np.arange(len(cells)) - first[seg] + 1    # 1-based column
            has_val = np.zeros(len(cells), dtype=bool)
            if len(vs):
                # a <v> with text (the byte after '<v>' is not '<')
                after = np.take(arr, vs + 3 + len(pb), mode='clip')
                vs = vs[after != 60]
                idx = np.searchsorted(cells, vs, side="right") - 1
                has_val[idx[idx >= 0]] = True
            if len(iss):
                idx = np.searchsorted(cells, iss, side="right") - 1
                has_val[idx[idx >= 0]] = True
            vc = np.flatnonzero(has_val)
            rows_v = nums[seg[vc]]
            cols_v = ordinal[vc]
            ok = (cols_v <= pats.max_columns) & (rows_v <= MAX_ROWS)
            if not ok.all():
                bad_r, bad_c = rows_v[~ok], cols_v[~ok]
                sd.hard_count += len(bad_r)
                for r, c in zip(bad_r[:MAX_EXAMPLES].tolist(), bad_c[:MAX_EXAMPLES].tolist()):
                    if len(sd.hard_examples) < MAX_EXAMPLES:
                        sd.hard_examples.append((r, c))
                rows_v, cols_v = rows_v[ok], cols_v[ok]
            if len(rows_v):
                self.n = max(self.n, int(rows_v.max()))
                self.m = max(self.m, int(cols_v.max()))
                if len(rows_v) > 1 and bool((rows_v[1:] >= rows_v[:-1]).all()):
                    starts = np.flatnonzero(np.concatenate(([True], rows_v[1:] != rows_v[:-1])))
                    ur, uc = rows_v[starts], np.diff(np.append(starts, len(rows_v)))
                else:
                    ur, uc = np.unique(rows_v, return_counts=True)
                sd.row_counts.update(dict(zip(ur.tolist(), uc.tolist())))
                bc = np.bincount(cols_v)
                nz = np.flatnonzero(bc)
                sd.col_counts.update(dict(zip(nz.tolist(), bc[nz].tolist())))
            if len(fs):
                idx = np.unique(np.searchsorted(cells, fs, side="right") - 1)
                for i in idx[idx >= 0].tolist():
                    if has_val[i]:
                        continue
                    cs = lo + int(cells[i])
                    ce = lo + int(cells[i + 1]) if i + 1 < len(cells) else stop
                    seg_b = data[cs:ce]
                    t = _T_ATTR.search(seg_b, 0, seg_b.find(b">") + 1)
                    if not _formula_cached(seg_b, t.group(1) if t else None):
                        sd.uncached.append((int(nums[seg[i]]), int(ordinal[i])))
            if _first_match(data, pats.longv, lo, stop) >= 0:
                for mt in pats.re_longv.finditer(data, lo, stop):
                    i = int(np.searchsorted(cells, mt.start() - lo, side="right")) - 1
                    if i < 0:
                        continue
                    cs = lo + int(cells[i])
                    tag = data[cs:data.find(b">", cs) + 1]
                    t = _T_ATTR.search(tag)
                    if t and t.group(1) != b"n":
                        continue
                    vm = _V_TEXT.search(data, mt.start(), stop)
                    raw = vm.group(1).decode("latin-1").strip() if vm else ""
                    if _is_long_number(raw):
                        sd.long_numbers.append((int(nums[seg[i]]), int(ordinal[i]), raw))
        self._finish(data, end, hi)

    def _finish(self, data: bytes, end: int, hi: int) -> None:
        if end >= 0:
            self.in_data = False
            self._tail(data[end:hi])

    def _tail(self, data: bytes) -> None:
        _FastScanner._tail(self, data)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# the slow (expat) sheet scanner: exact, mirrors calamine's reading rules


_TAG_AT = re.compile(rb"""<[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>""")


class _ExpatScanner:
    """Scans a whole sheet part with expat (no namespace processing: calamine matches local
    names). With `drop` = (r_keep, c_keep) it also records the byte spans of cells and rows
    beyond them and of the <dimension> element, for the sanitised copy."""

    def __init__(self, sd: _SheetData, max_columns: int, drop: tuple[int, int] | None = None,
                 utf16: bool = False):
        self.sd = sd
        self.max_columns = max_columns
        self.drop = drop
        self.spans: list[tuple[int, int]] = []
        self.dropped_values: list[tuple[int, int]] = []
        self.dropped_count = 0
        self.dim_span: tuple[int, int] | None = None
        self._dim_start: int | None = None
        self.utf16 = utf16
        self.p = expat.ParserCreate(encoding=None if utf16 else "iso-8859-1")
        self.p.buffer_text = True
        self.p.ordered_attributes = False
        self.p.StartElementHandler = self._start
        self.p.EndElementHandler = self._end
        self.p.CharacterDataHandler = self._text
        self.p.StartDoctypeDeclHandler = self._doctype
        self.p.EntityDeclHandler = self._entity
        try:
            self.p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        except Exception:  # pragma: no cover
            pass
        self.in_sd = False
        self.sd_done = False
        self.row_next = 1
        self.col_next = 1
        # open cell: [row, col, t, has_f, vtext(list)|None, has_is, start_byte, ref_ok]
        self.cell: list | None = None
        self.in_v = False
        self.row_drop_start: int | None = None
        self.m = 0
        self.n = 0
        sd.row_counts = Counter()
        sd.col_counts = Counter()
        self._data = b""
        self._base = 0

    # -- DTDs are refused outright
    def _doctype(self, *a):
        raise UnreadableWorkbook("xml_entities", f"{self.sd.part} contains a DOCTYPE declaration")

    def _entity(self, *a):
        raise UnreadableWorkbook("xml_entities", f"{self.sd.part} contains an ENTITY declaration")

    def _tag_end(self, idx: int) -> int:
        """Absolute offset just past the tag starting at absolute offset idx."""
        i = idx - self._base
        if self.utf16:
            gt = ">".encode("utf-16-le") if self._data[:2] != b"\xfe\xff" else ">".encode("utf-16-be")
            j = self._data.find(gt, i)
            return idx + (j + 2 - i if j >= 0 else 2)
        m = _TAG_AT.match(self._data, i)
        if m:
            return idx + (m.end() - i)
        j = self._data.find(b">", i)
        return idx + (j + 1 - i if j >= 0 else 1)

    def _start(self, name, attrs):
        local = name.rpartition(":")[2]
        if not self.in_sd:
            if local == "sheetData" and not self.sd_done:
                self.in_sd = True
            elif local == "dimension" and self.sd.dimension is None and not self.sd_done:
                self.sd.dimension = attrs.get("ref", "")
                self._dim_start = self.p.CurrentByteIndex
            elif local == "mergeCell" and "ref" in attrs:
                self.sd.merged.append(attrs["ref"])
            return
        cell = self.cell
        if cell is not None:
            if local == "f":
                cell[3] = True
            elif local == "v":
                self.in_v = True
                if cell[4] is None:
                    cell[4] = []
            elif local == "is":
                cell[5] = True
            return
        if local == "row":
            r = attrs.get("r")
            if r is not None:
                try:
                    self.row_next = int(r)
                except ValueError:
                    pass
            self.col_next = 1
            if self.drop and self.row_next > self.drop[0]:
                self.row_drop_start = self.p.CurrentByteIndex
        elif local == "c":
            ref = attrs.get("r")
            if ref is not None:
                pos = _parse_ref(ref)
                if pos is not None:
                    self.col_next = pos[1]
            else:
                pos = (self.row_next, self.col_next)
            self.cell = [pos[0] if pos else 0, pos[1] if pos else 0, attrs.get("t"), False, None,
                         False, self.p.CurrentByteIndex, pos is not None]

    def _text(self, data):
        if self.in_v and self.cell is not None:
            self.cell[4].append(data)

    def _end(self, name):
        local = name.rpartition(":")[2]
        if not self.in_sd:
            if local == "dimension" and self._dim_start is not None and self.dim_span is None:
                if self.drop:
                    self.dim_span = (self._dim_start, self._tag_end(self.p.CurrentByteIndex))
            return
        cell = self.cell
        if cell is not None:
            if local == "v":
                self.in_v = False
            elif local == "c":
                self._finish_cell(cell)
                self.cell = None
                self.in_v = False
                self.col_next += 1
            return
        if local == "row":
            if self.row_drop_start is not None:
                self.spans.append((self.row_drop_start, self._tag_end(self.p.CurrentByteIndex)))
                self.row_drop_start = None
            self.row_next += 1
            self.col_next = 1
        elif local == "sheetData":
            self.in_sd = False
            self.sd_done = True

    def _finish_cell(self, cell) -> None:
        sd = self.sd
        row, col, ttype, has_f, vtext, has_is, start, ok = cell
        v = "".join(vtext) if vtext else ""
        has_value = has_is or (bool(v) and ttype not in ("inlineStr", "is"))
        if self.drop and ok and (row > self.drop[0] or col > self.drop[1]):
            if self.row_drop_start is None:
                self.spans.append((start, self._tag_end(self.p.CurrentByteIndex)))
            if has_value:
                self.dropped_count += 1
                if len(self.dropped_values) < MAX_EXAMPLES:
                    self.dropped_values.append((row, col))
            return
        if not ok:
            return  # a reference calamine cannot parse: it refuses the sheet, nothing to size
        if has_f:
            cached = bool(v) or has_is or (ttype in ("str", "inlineStr") and vtext is not None)
            if not cached:
                sd.uncached.append((row, col))
        if len(v) >= 16 and ttype in (None, "n") and _is_long_number(v):
            sd.long_numbers.append((row, col, v.strip()))
        if has_value:
            if col > self.max_columns or row > MAX_ROWS:
                sd.hard_count += 1
                if len(sd.hard_examples) < MAX_EXAMPLES:
                    sd.hard_examples.append((row, col))
            else:
                sd.row_counts[row] += 1
                sd.col_counts[col] += 1
                if col > self.m:
                    self.m = col
                if row > self.n:
                    self.n = row

    def run(self, chunks: Iterator[bytes]) -> None:
        try:
            with closing(chunks):
                self._run(chunks)
        except expat.ExpatError as exc:
            raise UnreadableWorkbook("not_excel", f"{self.sd.part} is not well-formed XML "
                                     f"({expat.ErrorString(exc.code)}, line {exc.lineno})") from None

    def _run(self, chunks: Iterator[bytes]) -> None:
        for piece in chunks:
            self.sd.xml_bytes += len(piece)
            if self.drop:
                self._data += piece
            self.p.Parse(piece, False)
            if self.drop:
                self._trim()
        self.p.Parse(b"", True)

    def _trim(self) -> None:
        keep_from = len(self._data) - 65536
        marks = []
        if self.cell is not None:
            marks.append(self.cell[6])
        if self.row_drop_start is not None:
            marks.append(self.row_drop_start)
        if self._dim_start is not None and self.dim_span is None:
            marks.append(self._dim_start)
        if marks:
            keep_from = min(keep_from, min(marks) - self._base)
        if keep_from > 0:
            self._data = self._data[keep_from:]
            self._base += keep_from


def _scan_sheet_slow(path: Path, info: zipfile.ZipInfo, sd: _SheetData, max_columns: int) -> _ExpatScanner:
    _reset(sd)
    sd.mode = "slow"
    sc = _ExpatScanner(sd, max_columns, utf16=sd.utf16)
    sc.run(_Member(path, info).chunks(threaded=True))
    sd.max_row, sd.max_col = sc.n, sc.m
    return sc


def _scan_sheet(path: Path, info: zipfile.ZipInfo, part: str, max_columns: int) -> _SheetData:
    sd = _SheetData(part=part)
    try:
        return _scan_sheet_streaming(path, info, sd, max_columns, positional=False)
    except _NotCanonical as exc:
        if exc.positional:
            _reset(sd)
            try:
                return _scan_sheet_streaming(path, info, sd, max_columns, positional=True)
            except _NotCanonical:
                pass
    _scan_sheet_slow(path, info, sd, max_columns)
    return sd


def _reset(sd: _SheetData) -> None:
    sd.merged.clear()
    sd.uncached.clear()
    sd.long_numbers.clear()
    sd.hard_count = 0
    sd.hard_examples.clear()
    sd.xml_bytes = 0
    sd.dimension = None
    sd.row_counts = sd.col_counts = None
    sd.max_row = sd.max_col = 0


def _scan_sheet_streaming(path: Path, info: zipfile.ZipInfo, sd: _SheetData, max_columns: int,
                          positional: bool) -> _SheetData:
    """The fast (regex) or positional (numpy) scan, cut at </row> boundaries."""
    part = sd.part
    member = _Member(path, info)
    chunks = member.chunks(threaded=True)
    head = b""
    fast = None
    carry = b""
    try:
        # prolog and head (everything up to <sheetData>)
        for piece in chunks:
            sd.xml_bytes += len(piece)
            head += piece
            if _xml_encoding(head[:4]):
                sd.utf16 = True
                raise _NotCanonical()
            verdict = _prolog_text_verdict(head[:1 << 20])
            if verdict is None and len(head) > 1 << 20:
                raise _NotCanonical()  # a prolog over 1 MB: let expat judge it
            if isinstance(verdict, str):
                raise UnreadableWorkbook("xml_entities", f"{part} contains {verdict} (XML entity "
                                         "expansion or external entity), refused")
            split = _split_head(head) if verdict is _PROLOG_DONE else None
            if split is None:
                if len(head) > 4 * CHUNK:
                    raise _NotCanonical()
                continue
            off, pref, selfclosing = split
            dm = _DIM.search(head, 0, off)
            if dm:
                sd.dimension = dm.group(2).decode("latin-1")
            if b"<!DOCTYPE" in head[:off] or b"<!ENTITY" in head[:off]:
                raise UnreadableWorkbook("xml_entities", f"{part} contains a DOCTYPE/ENTITY declaration")
            sd.prefix = pref
            pats = _Patterns(pref, max_columns)
            fast = _PositionalScanner(sd, pats) if positional else _FastScanner(sd, pats)
            sd.mode = "positional" if positional else "fast"
            if selfclosing:
                fast.in_data = False
            carry = head[off:]
            head = head[:off]
            break
        if fast is None:
            # no sheetData at all (chart sheet, or an empty part)
            for mt in re.finditer(rb"<(?:[^\s<>/:=\"'!?]+:)?mergeCell\s[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']", head):
                sd.merged.append(mt.group(1).decode("latin-1"))
            return sd
        pats = fast.pats
        rc = pats.row_close
        for piece in chunks:
            sd.xml_bytes += len(piece)
            if not fast.in_data:
                data = carry + piece
                cut = data.rfind(b">") + 1
                fast.feed(data, 0, cut)
                carry = data[cut:]
                continue
            lo = 0
            if carry:
                # the seam: the row that straddles the previous piece and this one
                j = piece.find(rc)
                if j < 0:
                    carry += piece
                    if carry.find(pats.sd_close) >= 0:
                        fast.feed(carry)
                        carry = b""
                    elif len(carry) > 4 * CHUNK:
                        raise _NotCanonical()  # a row larger than 64 MB
                    continue
                lo = j + len(rc)
                fast.feed(carry + piece[:lo])
                carry = b""
                if not fast.in_data:
                    carry = piece[lo:]
                    continue
            last = piece.rfind(rc, lo)
            if last < 0:
                carry = piece[lo:]
                continue
            hi = last + len(rc)
            fast.feed(piece, lo, hi)  # no copy of the 16 MB piece
            carry = piece[hi:]
        if carry:
            fast.feed(carry)
        sd.max_row, sd.max_col = fast.n, fast.m
        return sd
    finally:
        chunks.close()


# --------------------------------------------------------------------------------------------
# deciding what to drop


def _distribution(path: Path, info: zipfile.ZipInfo, sd: _SheetData, max_columns: int) -> None:
    """Per-row / per-column counts of in-grid cells (fast sheets; the slow scanner has them)."""
    if sd.row_counts is not None:
        return
    pats = _Patterns(sd.prefix, max_columns)
    rows: Counter = Counter()
    cols: Counter = Counter()
    carry = b""
    with closing(_Member(path, info).chunks(threaded=True)) as chunks:
        for piece in chunks:
            data = carry + piece
            cut = data.rfind(b">")
            block, carry = data[:cut + 1], data[cut + 1:]
            refs = pats.re_ref.findall(block)
            if refs:
                cols.update(letters for letters, _ in refs)
                rows.update(digits for _, digits in refs)
    sd.row_counts = Counter()
    sd.col_counts = Counter()
    for k, v in rows.items():
        r = int(k)
        if r <= MAX_ROWS:
            sd.row_counts[r] += v
    for k, v in cols.items():
        c = _col_number(k)
        if c <= max_columns:
            sd.col_counts[c] += v


def _tail_cut(counts: Counter, gap: int) -> tuple[int, int]:
    """Largest kept index and the number of cells beyond it: the data ends at the first gap
    of more than `gap` empty lines after which at most max(100, 0.1 %) of the cells remain."""
    if not counts:
        return 0, 0
    keys = sorted(counts)
    total = sum(counts.values())
    tail_max = max(100, total // 1000)
    suffix = 0
    best = keys[-1], 0
    # walk from the end: suffix = cells after keys[i]
    for i in range(len(keys) - 1, 0, -1):
        suffix += counts[keys[i]]
        if suffix > tail_max:
            break
        if keys[i] - keys[i - 1] > gap:
            best = keys[i - 1], suffix
    return best


def _plan(sd: _SheetData, max_columns: int, max_cells: int, sheet_name: str) -> tuple[int, int]:
    """(r_keep, c_keep): cells beyond are dropped. Raises too_wide if nothing fits."""
    r_keep, dropped_r = _tail_cut(sd.row_counts, ROW_GAP)
    c_keep, dropped_c = _tail_cut(sd.col_counts, COL_GAP)
    if r_keep * c_keep > max_cells:
        raise UnreadableWorkbook(
            "too_wide", f"sheet '{sheet_name}' holds values over {col_letters(c_keep)}{r_keep} "
            f"({r_keep} rows x {c_keep} columns = {r_keep * c_keep:,} cells, over the "
            f"{max_cells:,}-cell limit)")
    return r_keep, c_keep


# --------------------------------------------------------------------------------------------
# writing the sanitised copy


class _ZipOut:
    """Minimal zip writer: copies members' compressed bytes as they are, or deflates new data."""

    def __init__(self):
        self.buf = bytearray()
        self.central = bytearray()
        self.count = 0

    def _entry(self, name: bytes, method: int, crc: int, csize: int, usize: int, data_parts):
        if csize >= 0xFFFFFFFF or usize >= 0xFFFFFFFF or len(self.buf) >= 0xFFFFFFFF:
            raise UnreadableWorkbook("too_wide", "sanitised copy would exceed 4 GB")
        offset = len(self.buf)
        self.buf += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, method, 0, 0x21,
                                crc, csize, usize, len(name), 0) + name
        for part in data_parts:
            self.buf += part
        self.central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, method, 0, 0x21,
                                    crc, csize, usize, len(name), 0, 0, 0, 0, 0, offset) + name
        self.count += 1

    def copy_raw(self, path: Path, info: zipfile.ZipInfo) -> None:
        with open(path, "rb") as fp:
            fp.seek(info.header_offset)
            head = fp.read(30)
            nlen, xlen = struct.unpack("<HH", head[26:30])
            fp.seek(info.header_offset + 30 + nlen + xlen)
            data = fp.read(info.compress_size)
        self._entry(info.filename.encode("utf-8"), info.compress_type, info.CRC, info.compress_size,
                    info.file_size, [data])

    def write_stream(self, name: str, pieces: Iterator[bytes]) -> None:
        comp = zlib.compressobj(1, zlib.DEFLATED, -15)
        crc = 0
        usize = 0
        out = []
        for p in pieces:
            if not p:
                continue
            crc = _crc32(p, crc)
            usize += len(p)
            c = comp.compress(p)
            if c:
                out.append(c)
        out.append(comp.flush())
        csize = sum(len(c) for c in out)
        self._entry(name.encode("utf-8"), zipfile.ZIP_DEFLATED, crc, csize, usize, out)

    def finish(self) -> bytes:
        cd_offset = len(self.buf)
        self.buf += self.central
        self.buf += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, self.count, self.count,
                                len(self.central), cd_offset, 0)
        return bytes(self.buf)


def _spans_fast(path: Path, info: zipfile.ZipInfo, sd: _SheetData, max_columns: int,
                r_keep: int, c_keep: int) -> tuple[list, int, list]:
    """Byte spans to cut from a canonical sheet: the <dimension>, cells beyond r_keep/c_keep,
    rows beyond r_keep."""
    pats = _Patterns(sd.prefix, max_columns)
    rx_cell = pats.drop(r_keep, c_keep)
    rx_row = pats.drop_row(r_keep)
    spans = []
    dropped = 0
    examples = []
    base = 0
    carry = b""
    head_done = False
    chunks = _Member(path, info).chunks(threaded=True)
    for piece in chunks:
        data = carry + piece
        if not head_done:
            split = _split_head(data)
            if split is None:
                carry = data
                continue
            head_done = True
            dm = _DIM.search(data, 0, split[0])
            if dm:
                spans.append((base + dm.start(), base + dm.end()))
                if not dm.group(0).endswith(b"/>"):
                    close = data.find(b">", data.find(b"dimension>", dm.end()))
                    if close > 0:
                        spans[-1] = (base + dm.start(), base + close + 1)
        cut = data.rfind(pats.row_close)
        if cut < 0:
            cut = data.rfind(b">")
        else:
            cut += len(pats.row_close) - 1
        block = data[:cut + 1]
        for mt in rx_row.finditer(block):
            te = block.find(b">", mt.end())
            if block[te - 1:te + 1] == b"/>":
                e = te + 1
            else:
                ce = block.find(pats.row_close, te)
                e = (ce + len(pats.row_close)) if ce >= 0 else len(block)
            spans.append((base + mt.start(), base + e))
        for mt in rx_cell.finditer(block):
            te = block.find(b">", mt.end())
            if block[te - 1:te + 1] == b"/>":
                e = te + 1
            else:
                ce = block.find(pats.cell_close, te)
                e = (ce + len(pats.cell_close)) if ce >= 0 else len(block)
            seg = block[mt.start():e]
            if _cell_has_value(seg):
                dropped += 1
                if len(examples) < MAX_EXAMPLES:
                    ref = seg[len(pats.cell_open):seg.find(b'"', len(pats.cell_open))].decode("latin-1")
                    pos = _parse_ref(ref)
                    if pos:
                        examples.append(pos)
            spans.append((base + mt.start(), base + e))
        carry = data[cut + 1:]
        base += cut + 1
    chunks.close()
    return spans, dropped, examples


def _merge_spans(spans: list) -> list:
    out = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _cut_stream_simple(chunks: Iterator[bytes], spans: list) -> Iterator[bytes]:
    """Yield the stream without the byte ranges in spans (sorted, merged)."""
    spans = _merge_spans(spans)
    pos = 0
    i = 0
    for piece in chunks:
        end = pos + len(piece)
        parts = []
        cur = pos
        while cur < end:
            while i < len(spans) and spans[i][1] <= cur:
                i += 1
            if i >= len(spans) or spans[i][0] >= end:
                parts.append(piece[cur - pos:])
                cur = end
                break
            s, e = spans[i]
            if s > cur:
                parts.append(piece[cur - pos:s - pos])
            cur = min(e, end)
        pos = end
        if parts:
            yield b"".join(parts)


# --------------------------------------------------------------------------------------------
# OLE compound files (.xls, encrypted OOXML)


def _ole_entries(f, size: int) -> list[tuple[str, int]] | None:
    """Names and types of the directory entries of a compound file, or None if broken."""
    try:
        f.seek(0)
        hdr = f.read(512)
        if len(hdr) < 512:
            return None
        shift = struct.unpack_from("<H", hdr, 0x1E)[0]
        if shift not in (9, 12):
            return None
        ssz = 1 << shift
        n_fat = struct.unpack_from("<I", hdr, 0x2C)[0]
        first_dir = struct.unpack_from("<I", hdr, 0x30)[0]
        first_difat, n_difat = struct.unpack_from("<II", hdr, 0x44)
        difat = list(struct.unpack_from("<109I", hdr, 0x4C))
        nsec = max(0, (size - ssz) // ssz + 1)

        def sector(i):
            f.seek(ssz + i * ssz)
            return f.read(ssz)

        nxt = first_difat
        seen = 0
        while nxt < 0xFFFFFFFA and seen < n_difat and seen < nsec:
            s = sector(nxt)
            vals = struct.unpack(f"<{ssz // 4}I", s)
            difat.extend(vals[:-1])
            nxt = vals[-1]
            seen += 1
        fat_secs = [x for x in difat if x < 0xFFFFFFFA][:n_fat]
        fat = []
        for fs in fat_secs:
            if fs > nsec:
                return None
            s = sector(fs)
            fat.extend(struct.unpack(f"<{len(s) // 4}I", s))
        entries = []
        cur = first_dir
        hops = 0
        while cur < 0xFFFFFFFA and hops <= len(fat) and hops < 100000:
            s = sector(cur)
            for k in range(0, len(s) - 127, 128):
                e = s[k:k + 128]
                nl = struct.unpack_from("<H", e, 0x40)[0]
                typ = e[0x42]
                if typ == 0 or nl < 2 or nl > 64:
                    continue
                name = e[:nl - 2].decode("utf-16-le", "replace")
                entries.append((name, typ))
            if cur >= len(fat):
                break
            cur = fat[cur]
            hops += 1
        return entries
    except (struct.error, OSError, IndexError, ValueError):
        return None


def _scan_ole(path: Path, f, size: int) -> WorkbookScan:
    entries = _ole_entries(f, size)
    names = {n for n, _ in entries} if entries else set()
    if entries is None:
        import mmap
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            if mm.find("EncryptedPackage".encode("utf-16-le")) >= 0:
                raise UnreadableWorkbook("encrypted", "password-protected workbook (an OLE file "
                                         "holding EncryptedPackage)")
        raise UnreadableWorkbook("truncated", "broken OLE compound file (directory unreadable)")
    if "EncryptedPackage" in names:
        raise UnreadableWorkbook("encrypted", "password-protected workbook (an OLE compound file "
                                 "holding EncryptedPackage and EncryptionInfo)")
    if not ({"Workbook", "Book", "WORKBOOK", "BOOK"} & names):
        what = ("a Word document" if "WordDocument" in names else
                "a PowerPoint file" if "PowerPoint Document" in names else
                "an OLE compound file without a Workbook stream")
        raise UnreadableWorkbook("not_excel", f"{what}, not an Excel workbook")
    return _scan_xls(path)


def _scan_xls(path: Path) -> WorkbookScan:
    date1904 = False
    merged_by_name: dict[str, list] = {}
    vis_by_name: dict[str, int] = {}
    try:
        import xlrd  # optional: merged cells, 1904 flag, encryption
    except ImportError:  # pragma: no cover
        xlrd = None
    if xlrd is not None:
        try:
            book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True,
                                      logfile=_NullLog())
        except Exception as exc:  # xlrd raises XLRDError, struct/IndexError on broken files
            msg = str(exc)
            if "encrypt" in msg.lower():
                raise UnreadableWorkbook("encrypted", "password-protected .xls workbook") from None
            raise UnreadableWorkbook("truncated", f".xls workbook cannot be parsed ({msg[:120]})") from None
        try:
            date1904 = bool(book.datemode)
            for i, name in enumerate(book.sheet_names()):
                try:
                    sh = book.sheet_by_index(i)
                    vis_by_name[name] = sh.visibility
                    merged_by_name[name] = [(rlo + 1, clo + 1, rhi, chi) for rlo, rhi, clo, chi in sh.merged_cells]
                    book.unload_sheet(i)
                except Exception:
                    merged_by_name[name] = []
        finally:
            book.release_resources()
    import fastexcel
    try:
        reader = fastexcel.read_excel(path)
        names = reader.sheet_names
    except Exception as exc:  # calamine's error types vary
        raise UnreadableWorkbook("truncated", f".xls workbook cannot be read ({str(exc)[:120]})") from None
    sheets = []
    for i, name in enumerate(names):
        height = width = 0
        state = {0: "visible", 1: "hidden", 2: "veryHidden"}.get(vis_by_name.get(name, 0), "hidden")
        try:
            loaded = reader.load_sheet(i, header_row=None, n_rows=1)
            state = {"veryhidden": "veryHidden"}.get(loaded.visible, loaded.visible)
            height, width = loaded.total_height, loaded.width
        except Exception:  # an unreadable sheet: the reader will report it when it loads it
            pass
        sheets.append(SheetScan(name=name, index=i, visible=state == "visible",
                                merged=tuple(merged_by_name.get(name, ())), uncached_formulas=(),
                                long_numbers=(), max_row=height, max_col=width, state=state))
    return WorkbookScan(path=path, kind="xls", sheets=tuple(sheets), date1904=date1904, source=path)


class _NullLog:
    def write(self, *_):
        pass


# --------------------------------------------------------------------------------------------
# sniffing what a non-Excel file is


def _describe_non_excel(head: bytes) -> str:
    h = head
    if h.startswith(b"PK\x05\x06"):
        return "an empty zip archive"
    if h.startswith(b"\x1f\x8b"):
        return "a gzip archive"
    if h.startswith(b"Rar!"):
        return "a RAR archive"
    if h.startswith(b"7z\xbc\xaf"):
        return "a 7-Zip archive"
    if h.startswith(b"%PDF"):
        return "a PDF document"
    if h[:4] in (b"\x89PNG", b"GIF8") or h[:3] == b"\xff\xd8\xff":
        return "an image"
    enc = _xml_encoding(h[:4])
    if enc:
        text = h.decode(enc, "replace")
    elif h.startswith(b"\xef\xbb\xbf"):
        text = h[3:].decode("utf-8", "replace")
    else:
        try:
            text = h.decode("utf-8")
        except UnicodeDecodeError:
            text = h.decode("gb18030", "replace")
    t = text.lstrip("\ufeff \t\r\n").lower()
    if t.startswith("{\\rtf"):
        return "an RTF document"
    if t.startswith("mime-version") or "content-type: multipart" in t[:2000]:
        return "a MIME web archive (.mht), as some systems export 'Excel' files"
    if t.startswith("<?xml") and ("urn:schemas-microsoft-com:office:spreadsheet" in t or "mso-application" in t):
        return "an Excel 2003 XML spreadsheet (open it in Excel and save as .xlsx)"
    if any(tag in t[:4096] for tag in ("<html", "<!doctype html", "<table", "<head", "<body", "<meta")):
        return "an HTML page (a web export named like an Excel file; open it in Excel and save as .xlsx)"
    if t.startswith("<?xml") or t.startswith("<"):
        return "an XML or markup file, not an Excel workbook"
    printable = sum(1 for ch in text[:4096] if ch.isprintable() or ch in "\r\n\t")
    if text and printable / max(1, len(text[:4096])) > 0.95:
        first = t.split("\n", 1)[0]
        if "," in first or "\t" in first or ";" in first:
            return "a CSV / delimited text file named like an Excel file"
        if not t.strip():
            return "a text file holding only blanks"
        return "a plain text file"
    return f"an unknown binary format (starts with {head[:8].hex(' ')})"


# --------------------------------------------------------------------------------------------
# OOXML workbook


def _parse_small_xml(member: _Member, what: str):
    from defusedxml import ElementTree as DET
    from defusedxml.common import DefusedXmlException

    data = member.read(SMALL_PART_LIMIT)
    try:
        return DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise UnreadableWorkbook("xml_entities", f"{member.info.filename} contains a DTD/entity "
                                 f"declaration ({type(exc).__name__}), refused") from None
    except Exception as exc:  # xml.etree.ElementTree.ParseError
        raise UnreadableWorkbook("not_excel", f"{what} {member.info.filename} is not well-formed XML "
                                 f"({str(exc)[:100]})") from None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2].rpartition(":")[2]


def _scan_ooxml(path: Path, size: int, max_columns: int, max_cells: int) -> WorkbookScan:
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error, OSError) as exc:
        raise UnreadableWorkbook("truncated", f"the zip structure is broken ({str(exc)[:120]})") from None
    with zf:
        # bombs, before inflating anything
        total = 0
        for i in infos:
            if i.flag_bits & 0x1:
                raise UnreadableWorkbook("encrypted", f"zip member {i.filename} is encrypted")
            if i.file_size > BOMB_MEMBER_BYTES and i.file_size > BOMB_RATIO * max(1, i.compress_size):
                ratio = i.file_size / max(1, i.compress_size)
                raise UnreadableWorkbook("zip_bomb", f"zip member {i.filename} inflates {ratio:,.0f}:1 "
                                         f"({_fmt_size(i.compress_size)} -> {_fmt_size(i.file_size)})")
            total += i.file_size
        if total > BOMB_TOTAL_BYTES:
            raise UnreadableWorkbook("zip_bomb", f"the members inflate to {_fmt_size(total)} "
                                     f"together (limit {_fmt_size(BOMB_TOTAL_BYTES)})")
        by_lower: dict[str, zipfile.ZipInfo] = {}
        for i in infos:
            by_lower.setdefault(i.filename.lower(), i)
        wb_info = by_lower.get("xl/workbook.xml")
        if wb_info is None:
            names = set(by_lower)
            if "xl/workbook.bin" in names:
                what = "a binary workbook (.xlsb), which is not supported: save it as .xlsx"
            elif "content.xml" in names and "mimetype" in names:
                what = "an OpenDocument file (.ods), not an Excel workbook: save it as .xlsx"
            elif "word/document.xml" in names:
                what = "a Word document"
            elif "ppt/presentation.xml" in names:
                what = "a PowerPoint file"
            else:
                what = "a zip archive without xl/workbook.xml"
            raise UnreadableWorkbook("not_excel", what)

        # every XML part: no DTD / entity declarations in its prolog
        for i in infos:
            if i.is_dir() or i.file_size == 0 or i.filename.lower().endswith(_BINARY_EXT):
                continue
            _check_prolog(_Member(path, i))

        wb = _parse_small_xml(_Member(path, wb_info), "workbook")
        rels: dict[str, str] = {}
        rel_info = by_lower.get("xl/_rels/workbook.xml.rels")
        if rel_info is not None:
            for el in _parse_small_xml(_Member(path, rel_info), "relationships").iter():
                if _local(el.tag) == "Relationship" and el.get("Id") is not None:
                    rels[el.get("Id")] = el.get("Target", "")
        date1904 = False
        sheet_defs = []
        for el in wb.iter():
            tag = _local(el.tag)
            if tag == "workbookPr":
                date1904 = (el.get("date1904") or "").strip().lower() in ("1", "true")
            elif tag == "sheet":
                rid = None
                for k, v in el.attrib.items():
                    if k.startswith("{") and k[1:].split("}")[0] in _RELS_NS and _local(k) == "id":
                        rid = v
                sheet_defs.append((el.get("name", ""), el.get("state") or "visible", rid))

        notes: list[str] = []
        results: list[tuple[str, str, str | None, zipfile.ZipInfo | None, _SheetData | None]] = []
        for name, state, rid in sheet_defs:
            target = rels.get(rid or "", "")
            if target.startswith("/xl/"):
                part = target[1:]
            elif target.startswith("xl/"):
                part = target
            elif target.startswith("/"):
                part = target[1:]
            else:
                part = f"xl/{target}" if target else ""
            info = by_lower.get(part.lower()) if part else None
            sd = _scan_sheet(path, info, info.filename, max_columns) if info is not None else None
            results.append((name, state, part, info, sd))

        # decide what to drop
        plans: dict[int, tuple[int, int]] = {}
        for idx, (name, state, part, info, sd) in enumerate(results):
            if sd is None:
                continue
            area = sd.max_row * sd.max_col
            sparse = (sd.max_row > 10 * ROW_GAP and sd.xml_bytes < sd.max_row * SPARSE_BYTES_PER_ROW)
            if area > max_cells or sparse:
                if sd.mode == "fast":
                    _distribution(path, info, sd, max_columns)
                plans[idx] = _plan(sd, max_columns, max_cells, name)
            elif sd.hard_count or _dimension_bad(sd.dimension, sd.max_row, sd.max_col, max_columns):
                plans[idx] = (MAX_ROWS, max_columns)  # drop only what lies outside the grid

        sheets: list[SheetScan] = []
        source: Path | bytes = path
        dropped_info: dict[int, tuple[int, list]] = {}
        if plans:
            out = _ZipOut()
            replaced: dict[str, list] = {}
            for idx, (r_keep, c_keep) in plans.items():
                name, state, part, info, sd = results[idx]
                r_keep = max(r_keep, 1)
                c_keep = max(c_keep, 1)
                plans[idx] = (r_keep, c_keep)
                if sd.mode == "fast":
                    spans, dropped, examples = _spans_fast(path, info, sd, max_columns, r_keep, c_keep)
                    if sd.row_counts is not None:
                        sd.max_row = _max_key(sd.row_counts, r_keep)
                        sd.max_col = _max_key(sd.col_counts, c_keep)
                    else:
                        sd.max_row, sd.max_col = min(sd.max_row, r_keep), min(sd.max_col, c_keep)
                else:
                    tmp = _SheetData(part=sd.part, utf16=sd.utf16)
                    sc = _ExpatScanner(tmp, max_columns, drop=(r_keep, c_keep), utf16=sd.utf16)
                    sc.run(_Member(path, info).chunks(threaded=True))
                    spans = list(sc.spans)
                    if sc.dim_span is not None:
                        spans.append(sc.dim_span)
                    dropped, examples = sc.dropped_count, sc.dropped_values
                    sd.max_row, sd.max_col = _kept_extent(tmp, r_keep, c_keep)
                replaced[info.filename] = spans
                dropped_info[idx] = (dropped, examples)
                what = []
                if dropped:
                    what.append(f"{dropped} stray cell(s) beyond {col_letters(c_keep)}{r_keep} dropped"
                                + (f" (e.g. {_ref_text(*examples[0])})" if examples else ""))
                if sd.dimension:
                    what.append(f"declared dimension {sd.dimension} removed")
                notes.append(f"sheet '{name}' ({info.filename}): " + "; ".join(what or ["rewritten"]))
            for i in infos:
                if i.is_dir():
                    continue
                if i.filename in replaced:
                    out.write_stream(i.filename, _cut_stream_simple(
                        _Member(path, i).chunks(threaded=True), replaced[i.filename]))
                else:
                    out.copy_raw(path, i)
            source = out.finish()

        for idx, (name, state, part, info, sd) in enumerate(results):
            if sd is None:
                sheets.append(SheetScan(name=name, index=idx, visible=state == "visible", merged=(),
                                        uncached_formulas=(), long_numbers=(), max_row=0, max_col=0,
                                        state=state))
                continue
            mr, mc = sd.max_row, sd.max_col
            kr, kc = plans.get(idx, (MAX_ROWS, MAX_COLS))
            merged = []
            for ref in sd.merged:
                parts = ref.split(":")
                a = _parse_ref(parts[0]) if parts else None
                b = _parse_ref(parts[-1]) if parts else None
                if not a or not b:
                    continue
                r1, c1 = min(a[0], b[0]), min(a[1], b[1])
                r2, c2 = max(a[0], b[0]), max(a[1], b[1])
                if r1 > mr or c1 > mc:
                    continue  # wholly outside the cells that hold values
                merged.append((r1, c1, min(r2, mr), min(c2, mc)))
            dropped, examples = dropped_info.get(idx, (0, []))
            sheets.append(SheetScan(
                name=name, index=idx, visible=state == "visible", merged=tuple(merged),
                uncached_formulas=tuple(sorted(x for x in sd.uncached if x[0] <= kr and x[1] <= kc)),
                long_numbers=tuple(sorted(x for x in sd.long_numbers if x[0] <= kr and x[1] <= kc)),
                max_row=mr, max_col=mc,
                stray_cells=tuple(examples), stray_count=dropped,
                stray_cell=_ref_text(*examples[0]) if examples else None,
                dimension=sd.dimension, sanitised=idx in plans, state=state))
        return WorkbookScan(path=path, kind="xlsx", sheets=tuple(sheets), date1904=date1904,
                            source=source, notes=tuple(notes))


def _max_key(counts: Counter, limit: int) -> int:
    return max((k for k in counts if k <= limit), default=0)


def _kept_extent(sd: _SheetData, r_keep: int, c_keep: int) -> tuple[int, int]:
    rows = [k for k in sd.row_counts if k <= r_keep] if sd.row_counts else []
    cols = [k for k in sd.col_counts if k <= c_keep] if sd.col_counts else []
    return (max(rows) if rows else 0), (max(cols) if cols else 0)


def _dimension_bad(dim: str | None, max_row: int, max_col: int, max_columns: int) -> bool:
    """The declared <dimension> claims far more than the real extent (openpyxl pads to it)."""
    if not dim:
        return False
    parts = dim.split(":")
    end = _parse_ref(parts[-1])
    if end is None:
        return True  # unparseable: calamine refuses the sheet on it
    r, c = end
    if c > max(max_col, max_columns) or r > MAX_ROWS or c > MAX_COLS:
        return True
    return r * max(c, 1) > max_row * max(max_col, 1) + 1_000_000


# --------------------------------------------------------------------------------------------
# entry point


def scan_workbook(path: Path, *, max_columns: int = 256, max_cells: int = MAX_CELLS) -> WorkbookScan:
    """Scan `path` before any reader sees it: refuse it (UnreadableWorkbook) or describe it.

    Cells holding a value beyond column `max_columns` or row 1 048 576, and a sparse tail far
    beyond the data when the extent would exceed `max_cells` (or is absurdly sparse), are
    dropped from a sanitised in-memory copy (`source` is then bytes) together with a bogus
    <dimension>; the returned SheetScan says how many and where."""
    path = Path(path)
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        f.seek(0)
        head = f.read(8192)
        if size == 0:
            raise UnreadableWorkbook("empty", "the file is empty (0 bytes)")
        if head.startswith(_ZIP_MAGIC):
            return _scan_ooxml(path, size, max_columns, max_cells)
        if head.startswith(_OLE_MAGIC):
            return _scan_ole(path, f, size)
        if not head.strip(b" \t\r\n\x00"):
            raise UnreadableWorkbook("empty", f"the file holds only {size} blank byte(s)")
        raise UnreadableWorkbook("not_excel", _describe_non_excel(head))
