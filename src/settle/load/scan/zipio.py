"""Zip members in and out: a streaming inflater (`_Member`, background thread, size/CRC checked
as it goes), the XML prolog check (a DOCTYPE/ENTITY is refused before any parser sees it),
and a minimal zip writer for the sanitised copy (`_ZipOut`, `_cut_stream_simple`)."""

from __future__ import annotations

import codecs
import queue
import struct
import threading
import zipfile
import zlib
from pathlib import Path
from typing import Iterator

from settle.load.scan.model import (
    BOMB_MEMBER_BYTES, BOMB_RATIO, BOMB_TOTAL_BYTES, CHUNK, RAW_READ, UnreadableWorkbook, _BINARY_EXT, _ZIP_MAGIC,
    _fmt_size)


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




def open_zip(path: Path) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """Open a zip-based workbook (.xlsx, .xlsm, .xlsb, .ods) and refuse it before anything is
    inflated when a member is encrypted or would inflate more than 100:1 to over 10 MB, or all
    members together to over 2 GB (SPEC §8)."""
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error, OSError) as exc:
        raise UnreadableWorkbook("truncated", f"the zip structure is broken ({str(exc)[:120]})") from None
    total = 0
    for i in infos:
        if i.flag_bits & 0x1:
            zf.close()
            raise UnreadableWorkbook("encrypted", f"zip member {i.filename} is encrypted")
        if i.file_size > BOMB_MEMBER_BYTES and i.file_size > BOMB_RATIO * max(1, i.compress_size):
            ratio = i.file_size / max(1, i.compress_size)
            zf.close()
            raise UnreadableWorkbook("zip_bomb", f"zip member {i.filename} inflates {ratio:,.0f}:1 "
                                     f"({_fmt_size(i.compress_size)} -> {_fmt_size(i.file_size)})")
        total += i.file_size
    if total > BOMB_TOTAL_BYTES:
        zf.close()
        raise UnreadableWorkbook("zip_bomb", f"the members inflate to {_fmt_size(total)} "
                                 f"together (limit {_fmt_size(BOMB_TOTAL_BYTES)})")
    return zf, infos


def check_xml_members(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """No XML member may declare a DTD or entities (XML bomb, external entity)."""
    for i in infos:
        if i.is_dir() or i.file_size == 0 or i.filename.lower().endswith(_BINARY_EXT):
            continue
        _check_prolog(_Member(path, i))
