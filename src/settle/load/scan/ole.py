"""OLE compound files: .xls (BIFF), and encrypted OOXML (an OLE file holding EncryptedPackage);
and sniffing what a file that is not a workbook is, for the refusal's reason."""

from __future__ import annotations

import struct
from pathlib import Path

from settle.load.quiet import quiet
from settle.load.scan.model import SheetScan, UnreadableWorkbook, WorkbookScan
from settle.load.scan.zipio import _xml_encoding


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


def _scan_xls(path: Path, raw_biff: bool = False) -> WorkbookScan:
    """An .xls: xlrd gives visibility, merges, the 1904 flag and the cell types (so a number
    >= 10^15 in any cell is listed as in .xlsx, SPEC §8); calamine reads it. When calamine cannot
    (BIFF2-BIFF5, or a file calamine refuses that xlrd reads), `reader` is 'xlrd' and the reader
    takes the cells from xlrd instead. `raw_biff`: a BIFF2-4 stream without an OLE container."""
    book, xlrd_msg = _open_xlrd(path)
    if raw_biff:
        names, cal_msg = None, "old BIFF stream"
    elif book is None and not _calamine_survives(path):
        names, cal_msg = None, "calamine cannot read it within the memory and time limits"
    else:
        names, cal_msg = _calamine_sheets(path)
    if book is None and names is None:
        if raw_biff or "biff" in (xlrd_msg or "").lower():
            raise UnreadableWorkbook("old_excel", f"old Excel format xlrd cannot read ({(xlrd_msg or '')[:120]})")
        raise UnreadableWorkbook("truncated", f".xls workbook cannot be read ({(cal_msg or xlrd_msg or '')[:120]})")
    use_xlrd = names is None or (book is not None and book.biff_version < 80)
    info = _xlrd_sheets(book) if book is not None else {}
    sheets = []
    order = list(info) if use_xlrd else names
    for i, name in enumerate(order):
        vis, merged, longs, height, width, hidden = info.get(name, (0, [], [], 0, 0, ()))
        state = {0: "visible", 1: "hidden", 2: "veryHidden"}.get(vis, "hidden")
        if not use_xlrd and isinstance(names, dict) and names.get(name):
            state, height, width = names[name]
        sheets.append(SheetScan(name=name, index=i, visible=state == "visible",
                                merged=tuple(merged), uncached_formulas=(),
                                long_numbers=tuple(longs), max_row=height, max_col=width, state=state,
                                hidden_rows=tuple(hidden)))
    return WorkbookScan(path=path, kind="xls", sheets=tuple(sheets),
                        date1904=bool(book.datemode) if book is not None else False, source=path,
                        reader="xlrd" if use_xlrd else "calamine")


def _open_xlrd(path: Path):
    """(book, None) or (None, why). A password is refused here, whoever reads the file."""
    import xlrd

    try:
        with quiet():
            return xlrd.open_workbook(str(path), formatting_info=True, logfile=_NullLog()), None
    except NotImplementedError:  # formatting_info is not implemented for BIFF8 .xlsx-like input
        pass
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # xlrd raises XLRDError, struct/IndexError/... on broken files
        msg = str(exc)
        if "encrypt" in msg.lower():
            raise UnreadableWorkbook("encrypted", "password-protected .xls workbook") from None
        return None, msg or type(exc).__name__
    return None, "unsupported"


def _xlrd_sheets(book) -> dict:
    """name -> (visibility, merged ranges, long numbers, rows, columns, rows hidden in Excel), from xlrd."""
    import xlrd

    out = {}
    for sh in book.sheets():
        longs = []
        for c in range(sh.ncols):
            types = sh.col_types(c)
            vals = sh.col_values(c)
            for r, (ty, v) in enumerate(zip(types, vals)):
                if ty == xlrd.XL_CELL_NUMBER and abs(v) >= 1e15:
                    longs.append((r + 1, c + 1, str(int(v)) if v == int(v) and abs(v) < 1e20 else repr(v)))
        merged = [(rlo + 1, clo + 1, rhi, chi) for rlo, rhi, clo, chi in sh.merged_cells]
        hidden = sorted(r + 1 for r, info in getattr(sh, "rowinfo_map", {}).items()
                        if getattr(info, "hidden", 0) and r < sh.nrows)
        out[sh.name] = (sh.visibility, merged, sorted(longs), sh.nrows, sh.ncols, hidden)
    return out


_PROBE = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
import fastexcel
r = fastexcel.read_excel(sys.argv[1])
for i in range(len(r.sheet_names)):
    r.load_sheet(i, header_row=None, dtypes="string").to_arrow()
"""


def _calamine_survives(path: Path) -> bool:
    """A damaged .xls that xlrd refuses is tried with calamine in a child process first (1 GB
    address space, 60 s): on such files calamine may allocate without bound, which would kill
    the whole run instead of refusing one file."""
    import subprocess
    import sys

    try:
        import resource  # POSIX only: elsewhere the file is refused
        del resource
    except ImportError:  # pragma: no cover - Windows
        return False
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE, str(path)], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _calamine_sheets(path: Path):
    """({name: (state, rows, columns)}, None), or (None, why) when calamine cannot open it.
    A Rust panic is a BaseException: caught here like any error."""
    import fastexcel

    try:
        with quiet():
            reader = fastexcel.read_excel(path)
            out = {}
            for i, name in enumerate(reader.sheet_names):
                try:
                    loaded = reader.load_sheet(i, header_row=None, n_rows=1, dtypes="string")
                    state = {"veryhidden": "veryHidden"}.get(loaded.visible, loaded.visible)
                    out[name] = (state, loaded.total_height, loaded.width)
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException:  # an unreadable sheet: the reader reports it when it loads it
                    out[name] = None
            return out, None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        return None, str(exc) or type(exc).__name__


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


