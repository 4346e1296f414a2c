"""Appeals (申诉, SPEC §12), zh and en: the problems of a filled-in appeal sheet's rows (part of
settle.problems.CATALOGUE: code -> (severity, zh, en)) and the words that show a decision (part of
settle.problems.MESSAGES). Each warning leaves its finding as it was."""

WARNING = "warning"

APPEAL_PROBLEMS: dict[str, tuple[str, str, str]] = {
    "appeal_no_approver": (WARNING, "申诉 {id} 主任意见为“{decision}”，但没有批准人：未生效", "appeal {id} has no approver: not applied"),
    "appeal_undecided": (WARNING, "申诉 {id} 没有主任意见（同意 或 不同意）：未生效", "appeal {id} has no decision: not applied"),
    "appeal_bad_decision": (WARNING, "申诉 {id}：主任意见 \"{value}\" 应为 同意 或 不同意，未生效", "appeal {id}: \"{value}\" is not approved or rejected: not applied"),
    "appeal_unknown_finding": (WARNING, "申诉编号 \"{value}\" 的违规在 {month} 已不存在：未处理", "appeal \"{value}\": no such finding in {month}: not applied"),
    "appeal_repeated": (WARNING, "申诉 {id} 已在 {other} 申诉过，以先出现的为准：未处理", "appeal {id} was made before in {other}: not applied"),
    "appeal_no_effect": (WARNING, "申诉 {id}（{rule} {name}）已同意，但{rule}不能由调整撤销：{todo}",
                         "appeal {id} ({rule} {name}) is approved, but {rule} cannot be lifted by an adjustment: {todo}"),
}

APPEAL_MESSAGES: dict[str, tuple[str, str]] = {
    "appeal_sheets_written": ("申诉单 {n} 份已写入 {path}（填好后放入月份文件夹，文件名以“申诉”开头）", "{n} {n:appeal sheet|appeal sheets} written to {path}"),
    "verify.appeals": ("申诉决定", "appeal decisions"), "explain.appeals": ("违规与申诉", "Findings and appeals"),
    "explain.appeal_columns": ("规则|名称|来源|申诉结果", "Rule|Violation|Source|Appeal"),
}
