"""The words of `settle diff` and `settle rules doc` (SPEC §12), zh and en: merged into the one
catalogue of settle.problems (CATALOGUE for problems, MESSAGES for everything printed)."""

from __future__ import annotations

ERROR = "error"

# code -> (severity, zh template, en template)
DISPUTE_PROBLEMS: dict[str, tuple[str, str, str]] = {
    "diff_not_settled": (ERROR, "{month} 尚未结算，没有可比较的结果（先运行 settle run {month}）",
                         "{month} has not been settled: there is no result to compare (run settle run {month} first)"),
    "diff_no_earlier_run": (ERROR, "{month} 只结算过一次，history/ 中没有更早的结果可比较（可用 --month 与另一个月比较）",
                            "{month} was settled once: history/ holds no earlier result to compare (--month compares "
                            "with another month)"),
    "diff_unknown_run": (ERROR, "没有找到 {month} 的结果 {run}（history/ 中有：{runs}）",
                         "no result {run} of {month} (history/ holds: {runs})"),
}

# settle diff (SPEC §12, issue 27): the causes of a changed 应发合计 and the run summary's line.
DISPUTE_MESSAGES: dict[str, tuple[str, str]] = {
    "diff.title": ("{month} 差异说明：{before} → {after}", "{month} differences: {before} → {after}"),
    "diff.published": ("已发布结果", "published result"),
    "diff.run": ("{stamp} 的结果", "the run of {stamp}"),
    "diff.row": ("第 {row} 行", "row {row}"),
    "diff.adjustment_row": ("{file} 第 {row} 行", "{file} row {row}"),
    "diff.of_person": ("{name}（{sid}）：{text}", "{name} ({sid}): {text}"),
    "diff.none": ("{month}：{before} 与 {after} 的应发合计完全相同", "{month}: {before} and {after} pay the same"),
    "diff.people": ("{n} 人变化，合计 {total}", "{n} people changed, total {total}"),
    "diff.columns": ("工号|姓名|原因|金额", "Staff id|Name|Cause|Amount"),
    "diff.person_row": ("{before} → {after}（{difference}）", "{before} → {after} ({difference})"),
    "diff.more": ("其余 {n} 项", "{n} more causes"),
    "diff.no_lines": ("注意：较早的结果没有记录逐行业绩明细，业绩变化只能整体说明",
                      "note: the earlier result did not record its credited lines; 业绩 changes are named as a whole"),
    "diff.rules_keys": ("规则变更：{keys}", "rules changed: {keys}"),
    "diff.written": ("已写入 {path}", "written to {path}"),
    "diff.since_last": ("与上次结算相比：{n} 人变化，合计 {total}", "Compared with the previous run: {n} people changed, "
                        "total {total}"),
    "diff.since_last_item": ("  {name}（{sid}）{difference}：{cause}", "  {name} ({sid}) {difference}: {cause}"),
    "diff.no_payslip": ("无工资条", "no payslip"),
    "diff.kind.line_added": ("新增收费明细 {where}，病历号 {record_no}（{category} {amount_line}）",
                             "billing line added {where}, 病历号 {record_no} ({category} {amount_line})"),
    "diff.kind.line_removed": ("删除收费明细 {where}，病历号 {record_no}（{category} {amount_line}）",
                               "billing line removed {where}, 病历号 {record_no} ({category} {amount_line})"),
    "diff.kind.refund_added": ("新增退费 {where}，病历号 {record_no}（{category} {amount_line}）",
                               "refund added {where}, 病历号 {record_no} ({category} {amount_line})"),
    "diff.kind.refund_removed": ("删除退费 {where}，病历号 {record_no}（{category} {amount_line}）",
                                 "refund removed {where}, 病历号 {record_no} ({category} {amount_line})"),
    "diff.kind.share_changed": ("业绩分成 {share_before} → {share_after}（R4）{where}，病历号 {record_no}",
                                "credited share {share_before} → {share_after} (R4) {where}, 病历号 {record_no}"),
    "diff.kind.reg_confirmed": ("登记现已计入（{rule} {code_name} 已确认或已消除）：{where}，病历号 {record_no}",
                                "registration now credited ({rule} {code_name} confirmed or cleared): {where}, "
                                "病历号 {record_no}"),
    "diff.kind.reg_rejected": ("登记被拒（{rule} {code_name}），不再计入：{where}，病历号 {record_no}",
                               "registration rejected ({rule} {code_name}), no longer credited: {where}, "
                               "病历号 {record_no}"),
    "diff.kind.factor": ("扣业绩/取消业绩（R28/R29）：系数 {factor_before} → {factor_after}",
                         "performance deduction/cancellation (R28/R29): factor {factor_before} → {factor_after}"),
    "diff.kind.performance": ("业绩变化 {detail}（记录中无逐行明细）", "performance {detail} (no credited lines recorded)"),
    "diff.kind.rules": ("规则变更：{keys}", "rules changed: {keys}"),
    "diff.kind.bracket": ("跨档：{rate_before} → {rate_after}，档率之差作用于业绩 {base}",
                          "bracket crossed: {rate_before} → {rate_after}, the rate change applied to the base {base}"),
    "diff.kind.days": ("在职天数 {days_before} → {days_after}", "days employed {days_before} → {days_after}"),
    "diff.kind.registrations": ("登记提成（{rule}）：{detail}", "registration commission ({rule}): {detail}"),
    "diff.kind.adjustment": ("调整行 {detail}", "adjustment row {detail}"),
    "diff.kind.fine": ("违规罚款（{rule}）：{detail}", "fine ({rule}): {detail}"),
    "diff.kind.carried": ("上月欠款（R45）：{detail}", "debt carried from last month (R45): {detail}"),
    "diff.kind.unpaid": ("7 天内自动离职，不予结算（R44）", "left within 7 days: not paid (R44)"),
    "diff.kind.team_lowest": ("本组业务员最低绩效考核变化（R34）", "the team's lowest assessment changed (R34)"),
    "diff.kind.insubordination": ("不服从扣款随当月工资变化（R43）", "the insubordination deduction follows the pay (R43)"),
    "diff.kind.rounding": ("四舍五入到分（R37）", "rounding to the fen (R37)"),
    "diff.kind.limit": ("封顶或保底（R12）", "cap or floor (R12)"),
    "diff.kind.other": ("{line} 变化 {detail}", "{line} changed {detail}"),
    # settle rules doc: the policy in force in plain words
    "doc.title": ("提成方案说明：{name}（{label}）", "The pay policy: {name} ({label})"),
    "doc.against": ("与 {other} 对比", "compared with {other}"),
    "doc.columns": ("规则|名称|说明|来源|示例|示例金额", "Rule|Name|What it says|Source|Worked example|Example amount"),
    "doc.column_other": ("{other} 示例金额", "Example amount under {other}"),
    "doc.changes_title": ("规则变更：{name} → {other}", "Rules changed: {name} → {other}"),
    "doc.changes_columns": ("规则键|{name}|{other}", "Key|{name}|{other}"),
    "doc.no_changes": ("（两个版本相同）", "(the two versions are the same)"),
    "doc.source": ("{file} 第 {line} 行", "{file} line {line}"),
    "doc.example_note": ("示例均由结算程序对一个小型示例月份（2024-07：业务员 {S1} 正式、{S2} 试用期，主管 {M1}，主任 {D1}）"
                         "实际计算得出，与 settle run 对相同数据的结果一致。",
                         "Every example is computed by the settlement engine on a small example month (2024-07: "
                         "salespeople {S1} regular and {S2} on probation, supervisor {M1}, director {D1}), as "
                         "settle run pays the same rows."),
    "doc.signatures": ("市场部主任|财务|日期", "Marketing director|Finance|Date"),
    "doc.written": ("已写入 {path}", "written to {path}"),
    "doc.tier_columns": ("业绩从（含）|到（不含）|比例", "From (incl.)|To (excl.)|Rate"),
    "doc.case_columns": ("项目类别|每例金额", "Category|Per case"),
    "doc.category_columns": ("项目类别|比例", "Category|Rate"),
    "doc.other_categories": ("其他所有项目类别", "every other category"),
    "doc.crediting_title": ("业绩归属", "Crediting"),
    "doc.crediting": ("患者首次登记的业务员得该患者的收费业绩；{role}与业务员重叠时各得 {share}；复诊在首诊后 {days} 天内有效；"
                      "登记须在就诊前 {minutes} 分钟完成。",
                      "The salesperson who registered the patient first is credited with the patient's billing; "
                      "where {role} overlaps each side gets {share}; follow-up visits count for {days} days after the "
                      "first visit; a registration must be made {minutes} minutes before the visit."),
    "doc.stream_percent": ("{name}：{what} 的业绩 × {rate}。", "{name}: the performance in {what} × {rate}."),
    "doc.stream_tiers_whole": ("{name}（全额累进）：{what} 的当月业绩落在哪一档，全部业绩按该档比例提成。",
                               "{name} (whole-amount brackets): the month's performance in {what} is paid at the rate "
                               "of the bracket it falls in, on all of it."),
    "doc.stream_tiers_marginal": ("{name}（超额累进）：{what} 的业绩每一档分别按本档比例提成。",
                                  "{name} (marginal brackets): each bracket of the performance in {what} is paid at "
                                  "its own rate."),
    "doc.stream_per_case": ("{name}：{what} 每例（每位患者每个项目类别，净额为正）按定额提成。",
                            "{name}: a fixed amount per case (a patient's category with a positive net amount) "
                            "in {what}."),
    "doc.stream_by_category": ("{name}：{what} 按项目类别分别提成。", "{name}: a rate per category in {what}."),
    "doc.limits": ("封顶 {cap}，保底 {floor}（R12）。", " Cap {cap}, floor {floor} (R12)."),
    "doc.per_head": ("{name}：原有绑定单位每人 {amount} 元，新开发单位每人 {new} 元。",
                     "{name}: {amount} per head for existing units, {new} for new units."),
    "doc.per_registration": ("{name}：每个登记 {amount} 元。", "{name}: {amount} per registration."),
    "doc.rebate_percent": ("{name}：{channels} 渠道患者的收费 × {rate} 返给合作单位，并从业绩中扣除（R6）。",
                           "{name}: {rate} of the billing of patients from {channels} goes to the partner and is "
                           "taken off the performance (R6)."),
    "doc.rebate_surgery": ("{name}：{channels} 渠道的手术患者按定额返款（{split}）。",
                           "{name}: a fixed rebate per surgery patient from {channels} ({split})."),
    "doc.rebate_example": ("合作单位 {partner} 的返款合计", "the rebate total of partner {partner}"),
    "doc.base": ("{name}（{roles}）：{amount} 元 × 在职天数 / 当月天数{quota}。",
                 "{name} ({roles}): {amount} × days employed / days in the month{quota}."),
    "doc.quota_own": ("；正式员工再 × min(1, 本人业绩 / {quota})", "; regular staff also × min(1, own performance / {quota})"),
    "doc.quota_department_mean_regular": ("；再 × min(1, 正式业务员人均业绩 / {quota})",
                                          "; also × min(1, the regular salespeople's mean performance / {quota})"),
    "doc.allowance": ("{name}（{roles}）：{amount} 元 × 在职天数 / 当月天数，仅 {months} 月。",
                      "{name} ({roles}): {amount} × days employed / days in the month, in months {months} only."),
    "doc.assessment": ("{name}（{roles}）：正式员工 {amount} 元 × min(1, 业绩 / {quota})；试用期 {amount} 元 × 试用期考核系数（人员名单）。",
                       "{name} ({roles}): regular staff {amount} × min(1, performance / {quota}); on probation "
                       "{amount} × the probation rating (roster)."),
    "doc.management_bonus": ("{name}（{roles}）：本组业务员中最低的绩效考核金额。",
                             "{name} ({roles}): the lowest assessment among the team's salespeople."),
    "doc.team_percent": ("{name}（{roles}）：本组业务员业绩合计 × {rate}。",
                         "{name} ({roles}): the team's salespeople's performance × {rate}."),
    "doc.department_marginal": ("{name}（{roles}）：部门总业绩超额累进，每一档按本档比例。",
                                "{name} ({roles}): the department's performance in marginal brackets."),
    "doc.department_whole": ("{name}（{roles}）：部门总业绩所在档位的比例作用于全部业绩。",
                             "{name} ({roles}): the department's performance at the rate of its bracket."),
    "doc.stream_leader": ("{name}（{roles}）：本小组 {stream} 业绩 × {rate}。",
                          "{name} ({roles}): the team's {stream} performance × {rate}."),
    "doc.r21_title": ("重复办卡", "Duplicate cards"),
    "doc.r21": ("一位患者最多办 {n} 张医疗卡，每多办一张罚款 {fine} 元。",
                "A patient may hold at most {n} medical cards; each card beyond that is fined {fine}."),
    "doc.r27_title": ("日报", "Daily reports"),
    "doc.r27": ("日报须在下一个工作日 {due} 前提交：迟交每次扣 {late} 元，缺失每次扣 {missing} 元。",
                "A daily report is due by {due} of the next working day: {late} per late report, {missing} per "
                "missing one."),
    "doc.r41_title": ("业绩预警", "Performance warning"),
    "doc.r41": ("月业绩低于 {amount} 元列入业绩不达标预警（不影响工资）。",
                "A month's performance below {amount} is listed as a warning (no effect on pay)."),
    "doc.r38_title": ("调整", "Adjustments"),
    "doc.r38": ("调整表中的奖励、补发（加）和罚款、扣发（减）逐行计入工资条，每行须有批准人。",
                "Rewards and back pay (added) and fines and withholdings (deducted) in the adjustments "
                "workbook go onto the payslip row by row; every row needs an approver."),
    "doc.r43_title": ("奖惩", "Discipline"),
    "doc.r43": ("早餐每次扣 {breakfast} 元；私事、上网每次扣 {private} 元；不正当手段罚所得业绩的 {k} 倍；举报者得罚金的 {reporter}；"
                "不服从扣当月工资和奖金的 {insub}；早餐或私事满 {n} 次列入辞退预警。",
                "Breakfast out {breakfast} each; private matters {private} each; improper means {k} × the "
                "performance so obtained; a reporter gets {reporter} of the fine; insubordination takes {insub} "
                "of the month's pay; {n} breakfasts or private matters raise a dismissal warning."),
    "doc.r44_title": ("新人 7 天内离职", "New hire leaving early"),
    "doc.r44": ("新业务员在入职 {days} 天内自动离职的，不予结算工资。",
                "A new salesperson who leaves of their own accord within {days} days is not paid."),
    "doc.r45_title": ("负数工资结转", "Negative pay carried"),
    "doc.r45": ("应发合计为负数时，结转到下月作为上月欠款扣回。",
                "A negative total is carried to the next month and deducted there as last month's debt."),
    "doc.r42_title": ("科间转诊奖励", "Inter-department referral reward"),
    "doc.r42": ("门诊患者转诊成功（转出科室 ≥ {before} 元、转入科室 {days} 天内 ≥ {after} 元）奖励首诊医生 {reward} 元。",
                "A successful outpatient referral (≥ {before} before, ≥ {after} within {days} days after) pays "
                "the first doctor {reward}."),
    "doc.no_example": ("—", "—"),
}
