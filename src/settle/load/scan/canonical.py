"""The two fast sheet scanners, for the XML every real producer writes.

Three scanners read sheet XML, and each exists for a reason the others cannot cover cheaply:

- `_FastScanner` (here): canonical sheets, every cell written `<c r="A1" ...>` (Excel, WPS,
  openpyxl, xlsxwriter, the HIS exports). Each 16 MiB chunk is tested by ONE RE2 pattern run
  outside the GIL; a chunk with no match is never looked at by Python.
- `_PositionalScanner` (here): cells without an `r` attribute (some generators omit it; the
  position is then counted, as calamine counts it). RE2 cannot count, so the cells of a chunk
  are located with numpy over the byte array.
- `_ExpatScanner` (expat.py): everything else (other prefixes, comments or CDATA in sheetData,
  UTF-16, odd quoting). Exact, mirrors calamine's rules, but one Python callback per element.

Measured (one sheet, 200 000 rows x 3 cells, 28.9 MB of XML, best of 3, this machine):
fast 144 ms · positional 821 ms (r-less XML) · expat 3 496 ms on the canonical XML, 1 517 ms on
the r-less XML. One scanner for all would be expat (24x slower on every normal workbook) or
regexes for what only expat handles exactly, so they stay three; `plan._scan_sheet` tries them
in that order per sheet.
"""

from __future__ import annotations

import re
from collections import Counter

from settle.load.scan.model import (
    MAX_EXAMPLES, MAX_ROWS, UnreadableWorkbook, _SheetData, _T_ATTR, _V_TEXT, _cell_has_value,
    _col_number, _formula_cached, _is_long_number)
from settle.load.scan.patterns import _Patterns, _first_match, _other_prefix


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
        want_f = want_v = want_h = True
        hard_bulk = False
        pos = lo
        while True:
            alts = [pats.noncanon, pats.ext_in_grid(m, n) if hard_bulk else pats.ext(m, n), pats.sd_end]
            if want_f:
                alts.append(pats.formula)
            if want_v:
                alts.append(pats.longv)
            if want_h:
                alts.append(pats.hidden_row)
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
            if want_h and pats.re_hidden_row.match(data, p):
                hidden_rows(data, p, hi, pats, self.sd.hidden_rows)
                want_h = False
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


_ROW_R = re.compile(rb"""\sr\s*=\s*["']([0-9]{1,15})["']""")
_CELL_ROW = re.compile(rb'<(?:[^\s<>/:=\"\'!?]+:)?c r="[A-Z]+([0-9]{1,15})"')


def hidden_rows(data: bytes, lo: int, hi: int, pats: _Patterns, out: list) -> None:
    """The rows of data[lo:hi] (sheetData) hidden in Excel: <row r="N" hidden="1">. A row
    without `r` takes its number from its first cell."""
    end = data.find(pats.sd_close, lo, hi)
    if end >= 0:
        hi = end
    for mt in pats.re_hidden_row.finditer(data, lo, hi):
        tag_end = data.find(b">", mt.start(), hi)
        m = _ROW_R.search(data, mt.start(), tag_end if tag_end >= 0 else hi)
        if m is None:
            m = _CELL_ROW.search(data, mt.start(), hi)
        if m is not None:
            out.append(int(m.group(1)))


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
        if data.find(b"hidden", lo, stop) >= 0:
            sd.hidden_rows.extend(int(nums[k]) for k, tag in enumerate(tags) if pats.re_hidden_row.match(tag))
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


