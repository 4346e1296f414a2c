"""The OOXML workbook (.xlsx/.xlsm): zip-bomb and entity checks on every member, workbook.xml
and its relationships, then one scan per sheet and, when stray cells must go, the sanitised copy."""

from __future__ import annotations

import zipfile
from pathlib import Path

from settle.load.scan.model import (
    MAX_COLS, MAX_ROWS, ROW_GAP, SMALL_PART_LIMIT,
    SPARSE_BYTES_PER_ROW, SheetScan, UnreadableWorkbook, WorkbookScan, _RELS_NS, _SheetData,
    _parse_ref, _ref_text, col_letters)
from settle.load.scan.zipio import _Member, _ZipOut, _cut_stream_simple, check_xml_members, open_zip
from settle.load.scan.odf import scan_ods, scan_xlsb
from settle.load.scan.expat import _ExpatScanner
from settle.load.scan.plan import (
    _dimension_bad, _distribution, _kept_extent, _max_key, _plan, _scan_sheet, _spans_fast)


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


def _has_pivot(path: Path, by_lower: dict, part: str) -> bool:
    """The sheet's relationships reference a pivot table (SPEC §8.1: a summary sheet)."""
    folder, _, base = part.rpartition("/")
    info = by_lower.get(f"{folder}/_rels/{base}.rels".lower())
    if info is None:
        return False
    return any(_local(el.tag) == "Relationship" and el.get("Type", "").endswith("/pivotTable")
               for el in _parse_small_xml(_Member(path, info), "relationships").iter())


def _scan_ooxml(path: Path, size: int, max_columns: int, max_cells: int) -> WorkbookScan:
    zf, infos = open_zip(path)
    with zf:
        by_lower: dict[str, zipfile.ZipInfo] = {}
        for i in infos:
            by_lower.setdefault(i.filename.lower(), i)
        wb_info = by_lower.get("xl/workbook.xml")
        if wb_info is None:
            names = set(by_lower)
            if "xl/workbook.bin" in names:
                return scan_xlsb(path, infos, by_lower, max_cells)
            if "content.xml" in names and "mimetype" in names:
                return scan_ods(path, infos, by_lower, max_columns, max_cells)
            if "word/document.xml" in names:
                what = "a Word document"
            elif "ppt/presentation.xml" in names:
                what = "a PowerPoint file"
            else:
                what = "a zip archive without xl/workbook.xml"
            raise UnreadableWorkbook("not_excel", what)

        check_xml_members(path, infos)  # every XML part: no DTD / entity declarations

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
        pivots: dict[str, bool] = {}
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
            if info is not None:
                pivots[name] = _has_pivot(path, by_lower, part)

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
                dimension=sd.dimension, sanitised=idx in plans, state=state,
                hidden_rows=tuple(sorted(set(sd.hidden_rows))), pivot=pivots.get(name, False)))
        return WorkbookScan(path=path, kind="xlsx", sheets=tuple(sheets), date1904=date1904,
                            source=source, notes=tuple(notes))


