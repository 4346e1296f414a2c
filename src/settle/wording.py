"""The catalogue's second table, merged into settle.problems (CATALOGUE and MESSAGES) on import,
so there is still one catalogue looked up by code: who a row names (SPEC §3.5), counts that
agree in number (§8.1), Click's usage errors and the reasons a file cannot be read, each in
Chinese and English. This module imports nothing from settle (problems.py imports it).
"""

from __future__ import annotations

ERROR, WARNING = "error", "warning"

# code -> (severity, zh, en): problems, as in problems.CATALOGUE.
PROBLEMS: dict[str, tuple[str, str, str]] = {
    # who a row names (SPEC §3.5, load/people.py): 工号 and 业务员 filled must name one person
    "person_mismatch": (ERROR, "{id_column} \"{staff_id}\" 与 {name_column} \"{name}\" 不是同一人（{id_says}；{name_says}）："
                               "请改正其中一格（导出的工号列可能是其他系统的编号）",
                        "{id_column} \"{staff_id}\" and {name_column} \"{name}\" do not name the same person "
                        "({id_says}; {name_says}): correct one of them (an export's staff id column may hold "
                        "another system's numbers)"),
}

# code -> (zh, en): texts, as in problems.MESSAGES.
TEXTS: dict[str, tuple[str, str]] = {
    # the halves of person_mismatch
    "people.id_holder": ("工号 {staff_id} 是 {holder}", "{staff_id} is {holder}"),
    "people.id_unknown": ("工号 {staff_id} 不在人员名单中", "{staff_id} is not on the roster"),
    "people.name_is": ("{name} 是 {match} {holder}", "{name} is {match} {holder}"),
    "people.name_unknown": ("人员名单中没有 {name}", "{name} is not on the roster"),
    "people.name_ambiguous": ("人员名单中有多人名为 {name}", "several people on the roster are named {name}"),
}
