"""Reading a clerk's own exports (issue 24) and `settle inspect` (SPEC §3.6), zh and en: the problems
(part of settle.problems.CATALOGUE: code -> (severity, zh, en)) and the view's words (part of
settle.problems.MESSAGES). Kept here so that problems.py stays small; nothing else defines words."""

# how a sheet is read: headers as people write them, summary and footer rows, summary sheets,
# hidden rows, header-only files, settle.yaml names that match nothing
READING_PROBLEMS: dict[str, tuple[str, str, str]] = {
    "footer_rows": ("info", "跳过 {count} 个表尾行（制表人、打印时间等，第 {rows} 行）", "{count} footer row(s) skipped (rows {rows})"),
    "summary_sheet": ("warning", "这是汇总表（缺少{missing}），已跳过：明细从同一文件的其他工作表读取",
                      "a summary sheet (no {missing}), skipped: the lines are read from the file's other sheet"),
    "hidden_rows": ("warning", "{count} 行在 Excel 中被隐藏（筛选或手动隐藏；第 {rows} 行）：照常读取并计入",
                    "{count} row(s) hidden in Excel (by a filter or by hand; rows {rows}): read and counted"),
    "no_data_rows": ("warning", "文件只有表头，没有数据行：本文件不含任何{kind}记录", "a header and no data rows: no {kind} lines"),
    "alias_unmatched": ("warning", "settle.yaml 为“{field}”写的列名“{value}”与本文件的表头都不匹配（表头：{headers}）",
                        "settle.yaml's name \"{value}\" for {field} matches no header of this file (headers: {headers})"),
    "alias_unmatched_used": ("error", "settle.yaml 把“{field}”映射到“{value}”，但本文件没有这一列，“{field}”改从“{used}”列读取，"
                                    "与映射不符：请改正 settle.yaml 中的列名（表头：{headers}）",
                             "settle.yaml maps {field} to \"{value}\", absent here: {field} came from \"{used}\" instead, "
                             "not as mapped; correct settle.yaml (headers: {headers})"),
    # read2: a second header row the reader could not tie to the first (no merged parent above it)
    "header_below": ("warning", "表头下一行的 {cell}“{value}”是“{field}”的列名，但没有作为表头读取（上方没有合并的表头单元格）："
                                "如果这是两行表头，请合并上方的表头单元格，或在 settle.yaml 中映射",
                     "{cell} \"{value}\", in the row under the header, names {field} but is not read as a header "
                     "(no merged header cell above it): merge the header cell above it, or map it in settle.yaml"),
    "header_two_rows": ("info", "两行表头（第 {rows} 行）：{columns} 取下一行的列名", "a two-row header (rows {rows}): {columns} named by the lower row"),
    "inspect_kind": ("error", "无法判断“{value}”是哪类输入：请用 --kind 指定（{kinds}）", "which input is \"{value}\"? give --kind ({kinds})"),
}


INSPECT_WORDS: dict[str, tuple[str, str]] = {
    "inspect.title": ("{file}：按{kind}读取（{how}）", "{file}: read as {kind} ({how})"),
    "inspect.from_name": ("由文件名判断", "from the file name"),
    "inspect.from_option": ("由 --kind 指定", "given by --kind"),
    "inspect.sheet": ("工作表 {sheet}：{status}", "sheet {sheet}: {status}"),
    "inspect.status_read": ("第 {row} 行是表头，读取 {lines} 行", "header in row {row}, {lines} lines read"),
    "inspect.status_hidden": ("隐藏的工作表，已跳过", "a hidden sheet, skipped"),
    "inspect.status_no_header": ("前 10 行中没有表头，已跳过", "no header among the first 10 rows, skipped"),
    "inspect.status_summary_sheet": ("第 {row} 行是表头；这是汇总表，已跳过", "header in row {row}; a summary sheet, skipped"),
    "inspect.status_refused": ("第 {row} 行是表头；缺少必需的列或列重复，不能读取",
                               "header in row {row}; required columns missing or doubled: not read"),
    "inspect.status_failed": ("读取程序无法解析，已跳过", "the reader cannot parse it, skipped"),
    "inspect.columns": ("列|表头|对应字段|匹配的列名", "Column|Header|Field|Matched name"),
    "inspect.builtin": ("内置", "built-in"),
    "inspect.yaml_line": ("settle.yaml 第 {line} 行", "settle.yaml line {line}"),
    "inspect.yaml": ("settle.yaml", "settle.yaml"),
    "inspect.ignored": ("（未使用）", "(ignored)"),
    "inspect.missing": ("没有找到的必需列", "Required fields not found"),
    "inspect.missing_columns": ("字段|最接近的表头", "Field|Nearest headers"),
    "inspect.by_name": ("名称相近", "similar name"),
    "inspect.by_dates": ("内容像日期", "holds dates"),
    "inspect.by_money": ("内容像金额", "holds amounts"),
    "inspect.by_keys": ("内容像 11–18 位编号", "holds 11–18-character keys"),
    "inspect.no_candidate": ("没有相近的列", "no similar column"),
    "inspect.paste_under": ("在 {file} 的 aliases: 下加入（或替换{kind}一行为）以下一行即可映射（请先核对列名）：",
                            "Under aliases: in {file}, add (or put in place of the {kind} line) this line to map them "
                            "(check the names first):"),
    "inspect.paste": ("把以下几行加入 {file} 即可映射（请先核对列名）：", "Add these lines to {file} to map them (check the names first):"),
    "inspect.dropped": ("跳过的行：{items}", "Rows skipped: {items}"),
    "inspect.dropped_item": ("{reason} {count} 行（第 {rows} 行）", "{reason} {count} (rows {rows})"),
    "inspect.reason_title": ("标题行", "title"),
    "inspect.reason_summary": ("合计行", "summary"),
    "inspect.reason_footer": ("表尾行", "footer"),
    "inspect.reason_repeated_header": ("重复的表头", "repeated header"),
    "inspect.reason_empty": ("空行", "empty"),
    "inspect.hidden": ("隐藏的行：{count} 行（第 {rows} 行），照常读取并计入", "Hidden rows: {count} (rows {rows}), read and counted"),
    "inspect.first_lines": ("前 {n} 行（读取结果，患者信息已遮盖）", "The first {n} lines as read (patients masked)"),
    "inspect.row": ("行", "Row"),
    "inspect.total": ("共 {lines} 行，金额合计 {total}", "{lines} lines, amount total {total}"),
    "inspect.count": ("共 {lines} 行", "{lines} lines"),
}
