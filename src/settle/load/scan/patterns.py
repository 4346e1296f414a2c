"""Regular expressions over cell references, built per sheet prefix, and the RE2 test run on
each inflated chunk (pyarrow.compute runs RE2 outside the GIL, so it overlaps inflation)."""

from __future__ import annotations

import re
import struct

from settle.load.scan.model import MAX_ROWS, col_letters


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
        # a row hidden in Excel (by an AutoFilter or by hand): data all the same (SPEC §8.1)
        self.hidden_row = f"<{p}row\\s[^>]*hidden\\s*=\\s*[\"'](?:1|true)[\"']"
        self.re_hidden_row = re.compile(self.hidden_row.encode())
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


