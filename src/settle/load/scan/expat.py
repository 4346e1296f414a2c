"""The slow, exact sheet scanner (expat): the fallback for sheet XML that is not canonical
(other prefixes, comments or CDATA in sheetData, UTF-16, unusual quoting, cells without `r`
mixed with odd markup). It mirrors calamine's reading rules (local names, position counting for
cells without `r`) so the extent it finds is the one calamine would allocate for. Why it is
not the only scanner: see canonical.py.
"""

from __future__ import annotations

import re
from collections import Counter
from contextlib import closing
from typing import Iterator
from xml.parsers import expat

from settle.load.scan.model import (
    MAX_EXAMPLES, MAX_ROWS, UnreadableWorkbook, _SheetData, _is_long_number, _parse_ref)


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
            if str(attrs.get("hidden", "")).strip().lower() in ("1", "true") and not self.drop:
                self.sd.hidden_rows.append(self.row_next)   # a row hidden in Excel (SPEC §8.1)
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


