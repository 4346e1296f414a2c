"""OLE compound files: .xls (BIFF), and encrypted OOXML (an OLE file holding EncryptedPackage);
and sniffing what a file that is not a workbook is, for the refusal's reason."""

from __future__ import annotations

import struct
from pathlib import Path

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


