"""The catalogue of problems settle reports, and the collector that gathers them.

Every problem has a stable code, a severity, a place (file › sheet › row › column), the bad
value and a message template in Chinese and English. Problems are collected, never raised one
at a time: the clerk fixes a whole batch of input mistakes in one pass.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

from settle.wording import PROBLEMS as _MORE_PROBLEMS, TEXTS as _MORE_TEXTS, counted, partial

ERROR = "error"
WARNING = "warning"
INFO = "info"          # counted and shown by validate; never changes an exit code

# code -> (severity, zh template, en template). Templates use str.format with the problem's
# params plus {value}.
CATALOGUE: dict[str, tuple[str, str, str]] = {
    # files and sheets
    "no_input_files": (ERROR, "月份文件夹 {folder} 中没有找到{kind}文件（{patterns}）",
                       "no {kind} file found in {folder} ({patterns})"),
    "no_month_folder": (ERROR, "没有找到月份文件夹 {folder}", "month folder {folder} not found"),
    "no_staff_file": (ERROR, "没有找到人员名单 staff.xlsx（工作目录 {folder}）",
                      "roster staff.xlsx not found in workspace {folder}"),
    "unreadable_file": (ERROR, "不是可读取的 Excel 文件：{reason}", "not a readable Excel file: {reason}"),
    "unreadable_csv": (ERROR, "CSV 文件无法按 UTF-8 或 GBK 解码", "CSV file is neither UTF-8 nor GBK"),
    "no_header": (ERROR, "前 10 行中没有找到表头（应包含：{expected}）",
                  "no header row among the first 10 rows (expected columns: {expected})"),
    "reader_failed": (ERROR, "文件已损坏，读取程序无法解析", "the file is damaged: the reader cannot parse it"),
    "old_excel": (ERROR, "旧版 Excel 格式，请另存为 .xlsx", "old Excel format: save it as .xlsx"),
    "unmatched_file": (WARNING, "月份文件夹中的文件不属于任何输入类别（{patterns}），未读取",
                       "this file in the month folder matches no input kind ({patterns}) and was not read"),
    "unsupported_file": (ERROR, "文件名像输入文件，但 settle 无法读取 {suffix} 格式（可用：{accepted}）：请在 Excel 或 WPS 中"
                                "打开并另存为 .xlsx；如果它不是输入文件，请把它移出月份文件夹",
                         "named like an input file, but settle cannot read the {suffix} format (accepted: {accepted}): "
                         "open it in Excel or WPS and save it as .xlsx; if it is not an input, move it "
                         "out of the month folder"),
    "skipped_files": (INFO, "未读取的文件：{files}", "files not read: {files}"),
    "summary_rows": (INFO, "跳过 {count} 个合计行（第 {rows} 行）", "{count} summary {count:row|rows} skipped ({count:row|rows} {rows})"),
    "repeated_header": (INFO, "跳过 {count} 个重复的表头行（第 {rows} 行）",
                        "{count} repeated header {count:row|rows} skipped ({count:row|rows} {rows})"),
    "lost_leading_zeros": (ERROR, "\"{value}\" 没有前导零，而本列其他值有（如 \"{example}\"）：该单元格很可能存成了数字，"
                                  "请把该列设为文本并重新录入",
                           "\"{value}\" has no leading zeros while the column's other values do (e.g. \"{example}\"): "
                           "it was most likely stored as a number; format the column as text and enter it again"),
    "hidden_sheet": (WARNING, "隐藏的工作表已跳过", "hidden sheet skipped"),
    "stray_cell": (WARNING, "表格远处有多余的单元格（{cell}），已忽略",
                   "a stray cell far outside the table ({cell}) was ignored"),
    "missing_column": (ERROR, "缺少必需的列“{column}”（可用列名：{aliases}）",
                       "required column '{column}' is missing (accepted names: {aliases})"),
    "duplicate_column": (ERROR, "两列都对应“{field}”：{columns}，请删除或改名其中一列",
                         "two columns both match '{field}': {columns}; remove or rename one"),
    "uncached_formula": (ERROR, "公式没有计算结果，请在 Excel 或 WPS 中打开并保存该文件后重试",
                         "formula has no cached value: open and save the file in Excel or WPS, then retry"),
    "merged_cell": (ERROR, "“{column}”列不能使用合并单元格（{range}）",
                    "merged cells are not allowed in column '{column}' ({range})"),
    # cell values
    "missing_value": (ERROR, "必填项为空", "required value is empty"),
    "bad_money": (ERROR, "\"{value}\" 不是金额", "\"{value}\" is not an amount of money"),
    "bad_date": (ERROR, "\"{value}\" 不是日期（应为 2024-05-03 或 2024/5/3 等）",
                 "\"{value}\" is not a date (expected e.g. 2024-05-03 or 2024/5/3)"),
    "ambiguous_date": (ERROR, "\"{value}\" 日期不明确：请使用年在前的格式，如 2024-05-03",
                       "\"{value}\" is ambiguous: write the year first, e.g. 2024-05-03"),
    "bad_number": (ERROR, "\"{value}\" 不是整数", "\"{value}\" is not a whole number"),
    "bad_percent": (ERROR, "\"{value}\" 不是百分比（如 80%、0.8 或 80）",
                    "\"{value}\" is not a percentage (e.g. 80%, 0.8 or 80)"),
    "bad_choice": (ERROR, "\"{value}\" 不是有效值（可选：{choices}）",
                   "\"{value}\" is not allowed (choose from: {choices})"),
    "long_number": (ERROR, "\"{value}\" 是超过 15 位的数字，Excel 已丢失末尾数字：请把该列设为文本并重新录入",
                    "\"{value}\" is a number with more than 15 digits, Excel has lost its last digits: "
                    "format the column as text and enter it again"),
    "control_char": (ERROR, "含有不可见的控制字符", "contains invisible control characters"),
    # references between inputs
    "duplicate_staff_id": (ERROR, "工号 \"{value}\" 重复", "staff id \"{value}\" appears twice"),
    "unknown_person": (ERROR, "\"{value}\" 在人员名单中不存在", "\"{value}\" is not on the roster"),
    "ambiguous_person": (ERROR, "\"{value}\" 在人员名单中有多人同名，请填写工号",
                         "\"{value}\" matches several people on the roster: give the staff id"),
    "unknown_staff": (ERROR, "{column} \"{value}\" 在人员名单中不存在或同名多人（R25）",
                      "{column} \"{value}\" is not on the roster or names several people (R25)"),
    "missing_team": (ERROR, "{role}必须填写小组", "a {role} needs a team"),
    "missing_approver": (ERROR, "调整没有批准人（R38）", "adjustment has no approver (R38)"),
    "bad_date_order": (ERROR, "{detail}", "{detail}"),
    # R42 科间转诊单
    "interdept_outside_month": (ERROR, "转诊日期 {value} 不在 {month} 内：请把该转诊单放到它所在月份的文件夹（R42）",
                                "referral date {value} is not in {month}: put the slip in its own month's folder (R42)"),
    "interdept_not_carried": (WARNING, "{folder} 有科间转诊单但尚未结算：其未完成的转诊单没有结转到 {month}（R42）",
                              "{folder} has referral slips but no settlement: its open slips are not carried into "
                              "{month} (R42)"),
    "interdept_bad_record": (WARNING, "记录的科间转诊单 {value} 无法读取，未结转（R42）",
                             "the recorded referral slip {value} cannot be read and is not carried (R42)"),
    "unknown_doctor": (ERROR, "{month} 没有首诊医生为“{value}”的科间转诊单（R42）",
                       "no referral slip of {month} names \"{value}\" as the referring doctor (R42)"),
    "interdept_off": (WARNING, "规则中没有 interdept_referral：科间转诊单未计算奖励（R42）",
                      "the rules have no interdept_referral: the referral slips earn nothing (R42)"),
    "unknown_reference": (ERROR, "参考 \"{value}\" 不是本月调整中罚款、早餐、私事或不正当手段行的编号（R43）",
                          "reference \"{value}\" names no 罚款, 早餐, 私事 or 不正当手段 row of this month's "
                          "adjustments by its 编号 (R43)"),
    "duplicate_ref_no": (ERROR, "编号 \"{value}\" 在本月调整中重复（R43）",
                         "编号 \"{value}\" appears twice in this month's adjustments (R43)"),
    # earlier months a run stands on
    "no_carry_settlement": (WARNING, "{previous} 有输入但没有结算记录（settlement.json），未结转其负数工资（R45）；"
                                     "请先结算 {previous} 再重新结算 {month}",
                            "{previous} has inputs but no settlement.json: no negative pay was carried from it "
                            "(R45); settle {previous}, then {month} again"),
    "new_hire_closed_month": (WARNING, "{staff_id} {name} 入职 {days} 天内自动离职，跨越已关账的 {previous}：该月工资需人工更正（R44）",
                              "{staff_id} {name} left within {days} {days:day|days} of being hired, across the closed month "
                              "{previous}: correct that month by hand (R44)"),
    # rules
    "rules_invalid": (ERROR, "{detail}", "{detail}"),
    "rules_missing": (ERROR, "没有找到规则文件：{detail}", "no rules file found: {detail}"),
    "bad_config": (ERROR, "{detail}", "{detail}"),
    "bad_month": (ERROR, "\"{value}\" 不是月份，应为 YYYY-MM，如 2024-05", "\"{value}\" is not a month, expected YYYY-MM like 2024-05"),
    # month records and policy versions (SPEC §10)
    "rules_versions_overlap": (ERROR, "{month} 有两个规则版本同时生效，请调整 effective 的月份范围：{where}",
                               "two rules versions are in force for {month}; fix their effective ranges: {where}"),
    "rules_no_version": (ERROR, "{month} 没有生效的规则版本（已有：{versions}；没有未标日期的基础版本）",
                         "no rules version is in force for {month} (dated versions: {versions}; no undated base version)"),
    "input_changed": (ERROR, "运行期间文件被修改（读取时 {before}…，发布前 {after}…），未发布任何输出，请重新运行",
                      "the file changed during the run (read as {before}…, now {after}…): nothing was published; run again"),
    "no_settlement": (ERROR, "{month} 没有结算记录（{path}）", "{month} has no recorded settlement ({path})"),
    "bad_record": (ERROR, "结算记录无法读取：{detail}", "the recorded settlement cannot be read: {detail}"),
    "unknown_payslip": (ERROR, "没有找到 {person} 的工资条", "no payslip for {person}"),
    "ambiguous_payslip": (ERROR, "{person} 有 {n} 人同名，请用工号：{candidates}",
                          "{person} matches {n} people: use the staff id: {candidates}"),
    "bad_range": (ERROR, "--from {start} 晚于 --to {end}", "--from {start} comes after --to {end}"),
    # vouchers (R46, issue 26: settle vouchers)
    "unknown_voucher": (ERROR, "{month} 没有“{value}”的返款单（共 {n} 张；相近的：{close}）",
                        "{month} has no voucher for '{value}' ({n} vouchers; close: {close})"),
    # faults of the machine, the disk or the share (issue 14): each names the path and what to do
    "disk_full": (ERROR, "磁盘空间不足：{folder}{need}。请清理磁盘或换一个输出文件夹（--out）后重新运行；原有输出未改动。",
                  "not enough disk space: {folder}{need}. Free some space or choose another output folder "
                  "(--out) and run again; the previous outputs are untouched."),
    "disk_need": (ERROR, "（剩余 {free}，约需 {needed}）", " ({free} free, about {needed} needed)"),
    "disk_free": (ERROR, "（剩余 {free}）", " ({free} free)"),
    "read_only": (ERROR, "无法写入 {path}：所在磁盘或共享文件夹是只读的。请换到可写的位置（或用 --out 指定输出文件夹）后重新运行。",
                  "cannot write {path}: the disk or shared folder is read-only. Use a writable location "
                  "(or --out for the outputs) and run again."),
    "permission_denied": (ERROR, "没有权限写入 {path}。请让管理员授予写权限，或换到有权限的文件夹后重新运行。",
                          "permission denied: {path}. Ask for write access or use a folder you may write to, "
                          "then run again."),
    "not_a_folder": (ERROR, "{path} 应该是文件夹，但它是一个文件。请把它改名或移走后重新运行。",
                     "{path} should be a folder but is a file. Rename or move it away, then run again."),
    "path_too_long": (ERROR, "路径太长：{path}。请把工作目录移到更短的路径下（如 D:\\工资）后重新运行。",
                      "path too long: {path}. Move the workspace to a shorter path (e.g. D:\\pay) and run again."),
    "file_in_use": (ERROR, "无法替换 {path}：文件正在被其他程序（如 Excel/WPS）使用。请关闭 Excel/WPS 中的这个文件后重试；"
                           "原有输出未改动。",
                    "cannot replace {path}: another program (Excel/WPS) is using it. Close it in Excel/WPS and try "
                    "again; the previous outputs are untouched."),
    "io_error": (ERROR, "读写 {path} 失败：{detail}。请检查磁盘或网络连接后重新运行。",
                 "reading or writing {path} failed: {detail}. Check the disk or the network and run again."),
    "interrupted": (ERROR, "已中断。临时文件已清理，输出文件夹完整（仍是上次或本次的全部结果）。",
                    "stopped. Temporary files were removed; the output folder is whole (all of the previous "
                    "or all of this run's results)."),
    "lock_busy": (ERROR, "{month} 正在由 {holder} 结算（自 {since} 起），请稍后再试。",
                  "{month} is being settled by {holder} since {since}; try again later."),
    "lock_stale": (ERROR, "{month} 被 {holder} 于 {since} 锁定，已有 {age}，该运行可能已中断。确认无人在结算后，运行：settle unlock {month}",
                   "{month} was locked by {holder} at {since}, {age} ago; that run has probably died. If nobody is "
                   "settling it, run: settle unlock {month}"),
    "lock_live": (ERROR, "{month} 正在由本机进程 {pid} 结算，不能解锁。", "{month} is being settled by process {pid} on this "
                  "computer: not unlocked."),
    "lock_cleared": (ERROR, "已解除 {month} 的锁（原持有者 {holder}，自 {since}），已记录在 {log}。",
                     "{month} unlocked (held by {holder} since {since}); logged in {log}."),
    "lock_none": (ERROR, "{month} 没有被锁定。", "{month} is not locked."),
    "lock_confirm": (ERROR, "{month} 被 {holder} 于 {since} 锁定（已有 {age}）。确认对方没有在结算并解除锁定？",
                     "{month} is locked by {holder} since {since} ({age}). Is nobody settling it — remove the lock?"),
    "history_size": (WARNING, "{folder} 中已保存 {runs} 次早先的结果，共 {size}（settle.yaml 的 history_keep: N 可只保留最近 N 次）",
                     "{folder} holds {runs} earlier {runs:run|runs}, {size} (settle.yaml history_keep: N keeps only the last N)"),
    "history_pruned": (WARNING, "按 history_keep: {keep} 删除了较早的结果：{removed}",
                       "removed earlier runs beyond history_keep: {keep}: {removed}"),
    # the perimeter (SPEC §8.1): plausibility before pay
    "not_a_workspace": (ERROR, "{folder} 及其上级文件夹都不是工作目录（没有 settle.yaml 或 staff.xlsx）：请在工作目录中运行，"
                               "或用 --workspace 指定；未创建任何文件",
                        "neither {folder} nor a folder above it is a workspace (no settle.yaml or staff.xlsx): run "
                        "inside the workspace or give --workspace; nothing was created"),
    "outside_month_file": (ERROR, "有{column}的 {total} 行中 {count} 行不在 {month}（{months}；{month} {inside} 行）：{verdict}",
                           "{count} of the {total} {total:row|rows} with a {column} {count:lies|lie} outside {month} ({months}; {month}: "
                           "{inside}): {verdict}"),
    "outside_month_rows": (WARNING, "{count} 行的{column}不在 {month}（第 {rows} 行）：{effect}",
                           "{count} {count:row has|rows have} a {column} outside {month} ({count:row|rows} {rows}): {effect_en}"),
    "duplicate_file": (ERROR, "与 {other} 内容完全相同：同一文件放了两次，请删除其中一个",
                       "has exactly the same content as {other}: the same file twice; delete one of them"),
    "duplicate_line": (WARNING, "与 {other} › 第 {other_row} 行 是同一收费行（病历号 {record}、就诊时间、项目类别、金额 {amount} "
                       "都相同），只计一次",
                       "is the same billing line as {other} › row {other_row} (病历号 {record}, visit time, category and amount "
                       "{amount} all equal): counted once"),
    "duplicate_lines_more": (WARNING, "另有 {count} 行收费明细与其他文件中的行完全相同，均只计一次",
                             "{count} more billing {count:line repeats a line|lines repeat lines} of another file: each counted once"),
    "missing_registrations": (WARNING, "月份文件夹 {folder} 中没有登记表（{patterns}）：本月没有新登记，"
                                       "只有以前月份的登记能归属业绩",
                              "no 登记表 in {folder} ({patterns}): no registrations this month, only earlier "
                              "months' registrations can be credited"),
    "missing_daily": (WARNING, "月份文件夹 {folder} 中没有日报（{patterns}）：每个业务员的每个工作日都将按缺交日报罚款（R27）",
                      "no 日报 in {folder} ({patterns}): every salesperson would be fined for every working day "
                      "under R27"),
    "owner_file": (WARNING, "旁边有 {owner}：该文件可能仍在 Excel/WPS 中打开，未保存的修改不会被读取",
                   "{owner} lies beside it: the file may still be open in Excel/WPS and its unsaved edits are "
                   "not read"),
    "departed_with_lines": (WARNING, "{name}（{staff_id}）的离职日期是 {left}，早于 {month}，但本月有 {regs} 条登记、"
                                     "{lines} 行收费明细：业绩 {amount} 计入未归属（R5）",
                            "{name} ({staff_id}) left on {left}, before {month}, but has {regs} {regs:registration|registrations} "
                            "and {lines} billing {lines:line|lines} this month: {amount} of performance goes to the unattributed lines (R5)"),
    "vanished_from_payslips": (WARNING, "{name}（{staff_id}）{previous} 有工资条，本月没有：{reason}",
                               "{name} ({staff_id}) had a payslip in {previous} but has none this month: {reason_en}"),
}

# Status messages of the commands (not problems): code -> (zh, en). The terminal, --json and the
# workbooks all take their words from here, so a run speaks one language.
MESSAGES: dict[str, tuple[str, str]] = {
    "errors_nothing_written": ("有错误，未生成任何输出。请修改后重新运行。",
                               "Errors found: nothing was written. Fix them and run again."),
    "month_locked": ("{month} 正在由 {user}@{host} 结算（自 {since} 起），请稍后再试。",
                     "{month} is being settled by {user}@{host} since {since}; try again later."),
    "month_in_use": ("{month} 正在由 {user}@{host} 使用（自 {since} 起），请稍后再试。",
                     "{month} is in use by {user}@{host} since {since}; try again later."),
    "month_closed": ("{month} 已关账（{who}），不能重新结算。如需更正，请先运行：settle close {month} --reopen --reason \"原因\"",
                     "{month} is closed ({who}); reopen it first: settle close {month} --reopen --reason \"why\""),
    "unreplaceable": ("无法替换 {path}：文件可能正在 Excel/WPS 中打开或为只读。请关闭后重新运行；原有输出未改动。",
                      "Cannot replace {path}: it is open in Excel/WPS or read-only. Close it and run again; "
                      "the previous outputs are untouched."),
    "problems_title": ("输入问题", "Problems"),
    "level_error": ("错误", "error"),
    "level_warning": ("警告", "warning"),
    "level_info": ("提示", "info"),
    "col_level": ("级别", "Level"),
    "col_where": ("位置", "Where"),
    "col_value": ("值", "Value"),
    "col_problem": ("问题", "Problem"),
    "more_problems": ("… 另有 {n} 个问题未列出", "… and {n} more {n:problem|problems} not listed"),
    "problem_counts": ("共 {errors} 个错误，{warnings} 个警告", "{errors} {errors:error|errors}, {warnings} {warnings:warning|warnings}"),
    "validate_clean": ("{month}：规则和输入检查通过", "{month}: rules and inputs are clean"),
    "run_title": ("{month} 结算结果", "{month} settlement"),
    "total_row": ("合计", "Total"),
    "new_person": ("新", "new"),
    "previous_to_now": ("上次 → 本次", "Previous → now"),
    "rows_shown": ("（共 {n} 人，只显示前 {shown} 人；用 --all 显示全部）",
                   "({n} people, the first {shown} shown; --all shows every row)"),
    "violations_line": ("违规：{items}", "Violations: {items}"),
    "check_line": ("核对：本月结算 {total} = 已归属 {credited} + 未归属 {uncredited} {verdict}",
                   "Check: settled {total} = credited {credited} + uncredited {uncredited} {verdict}"),
    "balanced": ("平衡 ✓", "balanced ✓"),
    "not_balanced": ("不平衡 ✗", "NOT balanced ✗"),
    "history_kept": ("上次的输出已保存到 {path}", "Previous outputs kept in {path}"),
    "outputs_at": ("输出：{path}（{seconds} 秒）", "Outputs: {path} ({seconds} s)"),
    "card_check_title": ("{month} 卡片检查", "{month} card check"),
    "card_check_written": ("共 {n} 项；已写入 {path}", "{n} {n:finding|findings}; written to {path}"),
    "card_check_not_written": ("共 {n} 项；{why}", "{n} {n:finding|findings}; {why}"),
    "card_check_closed": ("{month} 已关账（{who} {when}），检查结果只显示、不写入已关账的输出文件夹",
                          "{month} is closed ({who} {when}): the findings are shown, not written into its outputs"),
    "card_check_unwritable": ("无法写入 {path}：文件可能正在 Excel/WPS 中打开或为只读，请关闭后重新运行",
                              "cannot write {path}: it is open in Excel/WPS or read-only; close it and run again"),
    "card_check_locked": ("{month} 正在由 {user}@{host} 结算，未写入 {file}，请稍后再试",
                          "{month} is being settled by {user}@{host}: {file} not written; try again"),
    "no_payslip": ("没有找到 {person} 的工资条", "no payslip for {person}"),
    "ambiguous_payslip": ("{person} 有 {n} 人同名，请用工号：{candidates}",
                          "{person} matches {n} people; use the staff id: {candidates}"),
    "employed_line": ("在职 {days}/{month_days} 天，{status}，本月业绩 {performance}",
                      "employed {days}/{month_days} days, {status}, performance {performance}"),
    "regular": ("正式", "regular"),
    "probation": ("试用期", "probation"),
    "col_item": ("名称", "Item"),
    "col_rule": ("规则", "Rule"),
    "col_base": ("基数", "Base"),
    "col_rate": ("比例或单价", "Rate"),
    "col_amount": ("金额", "Amount"),
    "col_derivation": ("计算过程", "Derivation"),
    "total_pay": ("应发合计", "Total pay"),
    "credited_lines": ("业绩明细", "Credited lines"),
    "not_settled": ("{month} 尚未结算，不能关账。请先运行 settle run {month}",
                    "{month} has not been settled yet: run settle run {month} first"),
    "not_closed": ("{month} 未关账", "{month} is not closed"),
    "needs_reason": ("重新打开必须用 --reason 说明原因", "--reopen needs --reason"),
    "reopened": ("{month} 已重新打开：{reason}", "{month} reopened: {reason}"),
    "already_closed": ("{month} 已于 {when} 关账", "{month} was closed at {when}"),
    "closed_now": ("{month} 已关账", "{month} closed"),
    "workspace_exists": ("{folder} 已经是工作目录（已有 {files}），未做任何改动",
                         "{folder} already holds a workspace ({files}); nothing was changed"),
    "workspace_created": ("已创建工作目录 {folder}", "Created workspace {folder}"),
    "next_steps": ("接下来：\n  1. 在 staff.xlsx 中填写人员名单\n  2. 把本月的登记表、收费明细、日报放进月份文件夹，如 {folder}/2024-05/\n"
                   "  3. 运行 settle validate 2024-05 检查，再运行 settle run 2024-05 结算",
                   "Next:\n  1. fill in the roster in staff.xlsx\n  2. put the month's 登记表, 收费明细 and 日报 into a month "
                   "folder such as {folder}/2024-05/\n  3. run settle validate 2024-05 to check, then settle run 2024-05"),
    "interrupted": ("已中断", "interrupted"),
    "internal_error": ("内部错误：{kind}: {detail}\n请用 --debug 重新运行并把输出交给维护人员",
                       "internal error: {kind}: {detail}\nrerun with --debug and send the output to the maintainer"),
    "bad_lang": ("--lang 只能是 zh 或 en，而不是 {value}", "--lang must be zh or en, not {value}"),
    "explain_needs_person": ("请给出工号或姓名，或用 --doctor 医生姓名", "give a staff id or name, or --doctor NAME"),
    "simulate_needs_rules": ("simulate 需要 --rules 其他规则", "simulate needs --rules OTHER"),
    "usage_error": ("用法错误：{detail}（settle --help 查看用法）", "usage error: {detail} (see settle --help)"),
}


def say(code: str, lang: str = "zh", **params) -> str:
    """A status message in the run's language."""
    zh, en = MESSAGES[code]
    return counted(zh if lang == "zh" else en, **params)


# Texts of records, explain, verify and simulate (SPEC §10): part of the one MESSAGES table.
from settle.record_words import RECORD_MESSAGES  # noqa: E402

MESSAGES.update(RECORD_MESSAGES)
# Who a row names, counts, usage errors, unreadable files' reasons: the catalogue's second table.
CATALOGUE.update(_MORE_PROBLEMS)
MESSAGES.update(_MORE_TEXTS)
# Reading a clerk's own exports (issue 24: headers, summary sheets, hidden rows) and `settle inspect`'s
# view (SPEC §3.6): their problems and words live in settle.inspect_words, part of these two tables.
from settle.inspect_words import INSPECT_WORDS, READING_PROBLEMS  # noqa: E402
CATALOGUE.update(READING_PROBLEMS)
MESSAGES.update(INSPECT_WORDS)
# settle diff and rules doc (SPEC §12, issue 27): their problems and words, kept in their own module
from settle.disputes.messages import DISPUTE_MESSAGES, DISPUTE_PROBLEMS  # noqa: E402

CATALOGUE.update(DISPUTE_PROBLEMS)
MESSAGES.update(DISPUTE_MESSAGES)
# appeals (申诉, SPEC §12): the rows of a filled-in appeal sheet and the words that show decisions
from settle.appeal_words import APPEAL_MESSAGES, APPEAL_PROBLEMS  # noqa: E402

CATALOGUE.update(APPEAL_PROBLEMS)
MESSAGES.update(APPEAL_MESSAGES)
TEXTS = MESSAGES


def text(code: str, lang: str = "zh", **params) -> str:
    """A record/explain/verify/simulate text in `lang` (zh or en)."""
    return say(code, lang, **params)


# --- violations (SPEC §6) ------------------------------------------------------------------------
# Findings about the month's registrations, billing and reports, listed in 违规 and 卡片检查 —
# not input problems: a month with violations still settles. Each kind has its rule, its name
# (zh, en) and, for the card checks, its effect and detail templates (zh, en). The rows carry
# the Chinese texts (settlement.json records them); the effects of R17/R27/R39/R41 are built
# with their amounts where pay is computed.


class ViolationKind(NamedTuple):
    rule: str
    zh: str
    en: str
    effect_zh: str = ""
    effect_en: str = ""
    detail_zh: str = ""
    detail_en: str = ""


VIOLATIONS: dict[str, ViolationKind] = {
    "unregistered_card": ViolationKind("R20", "未登记卡", "unregistered card", "不计业绩", "not credited",
                                       "卡号 {card_no} 无登记", "card {card_no} has no registration"),
    "duplicate_card": ViolationKind("R21", "重复办卡", "duplicate card", "罚款，多办卡消费不计业绩",
                                    "fined; the extra card's spending is not credited",
                                    "患者第 3 张及以上的卡 {card_no}", "the patient's 3rd or later card {card_no}"),
    "late_registration": ViolationKind("R22", "转诊迟报", "late registration", "登记不予确认",
                                       "registration not accepted"),
    "existing_patient": ViolationKind("R23", "老患者", "existing patient", "登记不予确认",
                                      "registration not accepted"),
    "incomplete_referral": ViolationKind("R24", "转诊信息不全", "incomplete referral", "登记不予确认",
                                         "registration not accepted", "缺少{fields}", "missing {fields}"),
    "unknown_staff": ViolationKind("R25", "人员不存在", "unknown staff", "登记无效", "registration void",
                                   "业务员 {salesperson}", "salesperson {salesperson}"),
    "conflicting_claim": ViolationKind("R26", "撞单", "conflicting claim", "后登记者不计业绩",
                                       "the later claim is not credited", "患者已由 {owner} 先登记",
                                       "the patient was registered first by {owner}"),
    "late_report": ViolationKind("R27", "日报迟交", "late report"),
    "missing_report": ViolationKind("R27", "日报缺失", "missing report"),
    "performance_warning": ViolationKind("R41", "业绩不达标预警", "performance warning"),
    "negative_pay": ViolationKind("R39", "负数工资", "negative pay"),
    "large_rebate": ViolationKind("R17", "大额返款", "large rebate"),
    "discipline_warning": ViolationKind("R43", "辞退预警", "discipline warning"),
}
# The effect of a R22–R24 violation whose rejection a 确认例外 adjustment lifted (R7).
EXCEPTION_CONFIRMED = ("已确认例外", "exception confirmed")
# Derived views kept for the modules that read them: code -> (zh, en) and code -> rule.
VIOLATION_NAMES: dict[str, tuple[str, str]] = {code: (k.zh, k.en) for code, k in VIOLATIONS.items()}
RULE_OF: dict[str, str] = {code: k.rule for code, k in VIOLATIONS.items()}

# Shown after the message of a problem found in an earlier month's rows (SPEC §8.1: MONTH is
# judged on its own).
_ZH_HISTORY = "（{month} 的数据，不影响本月能否结算：{effect}）"
_EN_HISTORY = " ({month}'s data, does not stop this month: {effect})"
_ZH_HISTORY_EFFECT = ("该行不参与本月的计算", "该文件不参与本月的计算")
_EN_HISTORY_EFFECT = ("the row takes no part in this month's figures", "the file takes no part in this month's figures")

_ZH_ROW = "第 {row} 行"
_EN_ROW = "row {row}"


@dataclass(frozen=True)
class Problem:
    """One input, rules or configuration problem with its place."""

    code: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    letter: str | None = None        # the column's Excel letter, when known (就诊时间（E列）)
    history: str | None = None       # an earlier month whose rows this is about: a warning here

    @property
    def severity(self) -> str:
        return WARNING if self.history else CATALOGUE[self.code][0]

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def key(self) -> tuple:
        """Compact tuple used by tests: (file, sheet, row, column, code)."""
        return (self.file, self.sheet, self.row, self.column, self.code)

    def location(self, lang: str = "zh") -> str:
        parts = [p for p in (self.file, self.sheet) if p]
        if self.row is not None:
            parts.append((_ZH_ROW if lang == "zh" else _EN_ROW).format(row=self.row))
        if self.column:
            parts.append(f"{self.column}（{self.letter}列）" if self.letter and lang == "zh" else
                         f"{self.column} (column {self.letter})" if self.letter else self.column)
        return " › ".join(parts)

    def text(self, lang: str = "zh") -> str:
        _, zh, en = CATALOGUE[self.code]
        params = {k: v.split(BOTH)[lang != "zh"] if BOTH in v else v for k, v in self.params}
        params.setdefault("value", "" if self.value is None else self.value)
        params.setdefault("column", self.column or "")  # templates name the column (missing_column…)
        try:
            text = counted(zh if lang == "zh" else en, **params)
        except (KeyError, IndexError, ValueError):  # a template/param mismatch must never crash a report
            # …nor show the clerk a raw code or a parameter dict: the template with its gaps.
            text = partial(zh if lang == "zh" else en, params)
        if self.history:
            effect = (_ZH_HISTORY_EFFECT if lang == "zh" else _EN_HISTORY_EFFECT)[self.row is None]
            text += (_ZH_HISTORY if lang == "zh" else _EN_HISTORY).format(month=self.history, effect=effect)
        return text

    def message(self, lang: str = "zh") -> str:
        loc = self.location(lang)
        return f"{loc}: {self.text(lang)}" if loc else self.text(lang)

    def to_json(self, lang: str = "zh") -> dict:
        return {
            "code": self.code, "severity": self.severity, "file": self.file, "sheet": self.sheet,
            "row": self.row, "column": self.column, "column_letter": self.letter, "month": self.history,
            "value": self.value, "message": self.text(lang),
        }

    def sort_key(self) -> tuple:
        """Errors first, then by file, sheet, row (SPEC §8.1)."""
        return (not self.is_error, self.file or "", self.sheet or "", -1 if self.row is None else self.row)


BOTH = "\x1f"


def both(zh: str, en: str) -> str:
    """A parameter written in both languages (a rules or settle.yaml message): text() picks one."""
    return f"{zh}{BOTH}{en}"


def problem(code: str, *, file=None, sheet=None, row=None, column=None, value=None, **params) -> Problem:
    if code not in CATALOGUE:
        raise KeyError(f"unknown problem code {code!r}")
    return Problem(code, file, sheet, None if row is None else int(row), column,
                   None if value is None else str(value),
                   tuple(sorted((k, str(v)) for k, v in params.items())))


@dataclass
class Problems:
    """An ordered collection of problems with a per-(file, column, code) cap so that one broken
    column of a million-line export does not bury everything else."""

    items: list[Problem] = field(default_factory=list)
    # Cells past the cap, counted not kept: (code, file, sheet, column, month of history) -> count.
    unlisted: Counter = field(default_factory=Counter)
    per_column_cap: int = 50

    def add(self, p: Problem) -> None:
        self.items.append(p)

    def extend(self, ps: Iterable[Problem]) -> None:
        for p in ps:
            self.add(p)

    def cells(self, code: str, *, file: str, sheet: str | None, column: str | None,
              rows: Iterable[int], values: Iterable, **params) -> None:
        """Add one problem per bad cell, keeping at most `per_column_cap` of them."""
        n = 0
        for row, value in zip(rows, values):
            if n < self.per_column_cap:
                self.add(problem(code, file=file, sheet=sheet, row=row, column=column,
                                 value=_show(value), **params))
            n += 1
        if n > self.per_column_cap:
            self.unlisted[(code, file, sheet, column, None)] += n - self.per_column_cap

    @property
    def suppressed(self) -> int:
        """How many problems were counted but not kept."""
        return sum(self.unlisted.values())

    def only(self, severity: str) -> "Problems":
        """The problems of one severity, listed and unlisted."""
        return Problems([p for p in self.items if p.severity == severity],
                        Counter({k: n for k, n in self.unlisted.items() if unlisted_severity(k) == severity}))

    def count(self, severity: str) -> int:
        """Problems of `severity`, listed and unlisted (SPEC §8.1: "N 个错误" is the total)."""
        return sum(p.severity == severity for p in self.items) + \
            sum(n for key, n in self.unlisted.items() if unlisted_severity(key) == severity)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == WARNING]

    @property
    def infos(self) -> list[Problem]:
        """Counted facts (summary rows skipped...): shown by validate, never an exit code."""
        return [p for p in self.items if p.severity == INFO]

    def in_order(self) -> list[Problem]:
        """Errors first, then by file, sheet, row: the order the clerk reads them in."""
        return sorted(self.items, key=Problem.sort_key)

    def has_errors(self) -> bool:
        return any(p.is_error for p in self.items)

    def has_errors_for(self, file: str) -> bool:
        return any(p.is_error and p.file == file for p in self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)


def unlisted_severity(key: tuple) -> str:
    """The severity of the unlisted problems counted under `key` (code, file, sheet, column, month)."""
    return WARNING if key[4] else CATALOGUE[key[0]][0]


def sheet_key(file, sheet) -> str:
    """One sheet of one file as a plain string (frames' attrs travel through Arrow metadata)."""
    return f"{file or ''}\x00{sheet or ''}"


def with_letters(items: list[Problem], letters: dict) -> list[Problem]:
    """`items` with each column's Excel letter filled in where the (file, sheet)'s header row
    says where that column stands: `letters` maps sheet_key(file, sheet) -> {header text: letter}."""
    import dataclasses

    out = []
    for p in items:
        letter = letters.get(sheet_key(p.file, p.sheet), {}).get(p.column) if p.column and not p.letter else None
        out.append(dataclasses.replace(p, letter=letter) if letter else p)
    return out


def _show(value) -> str | None:
    if value is None:
        return None
    try:
        import math
        if isinstance(value, float) and math.isnan(value):
            return None
    except TypeError:
        pass
    return str(value)


# The clerk's desk (issue 28.3, 28.5): install, consoles, encodings, files held open, long paths.
from settle.problems_desk import CATALOGUE_DESK, MESSAGES_DESK  # noqa: E402

CATALOGUE.update(CATALOGUE_DESK)
MESSAGES.update(MESSAGES_DESK)
