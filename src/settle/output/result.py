"""settlement.json and 运行信息: the machine-readable month, the history later months read."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import yaml

from settle import __version__
from settle.engine.model import Settlement
from settle.disputes.lines import credited_meta
from settle.engine.money import r2
from settle.output.derivation import derivation
from settle.output.lock import who
from settle.output.render import SUMMARY_COLUMNS, reconciliation
from settle.output.vouchers import voucher_records


def policy_dump(s: Settlement) -> dict:
    return json.loads(s.policy.model_dump_json(by_alias=True))


def settlement_json(s: Settlement, *, files, rules_files, rules_source, workspace: str, started: dt.datetime,
                    rec: dict | None = None, record: dict | None = None) -> dict:
    """The month's record. `record` (records.record_meta) adds the rules version, the merged
    policy's hash, the stored rules folder and the names of the published files (SPEC §10)."""
    rec = rec or reconciliation(s)
    people = {}
    for p in s.payslips:
        people[p.staff_id] = {
            "name": p.name, "role": p.role, "team": p.team, "employed_days": p.employed_days,
            "regular": p.regular, "performance": str(r2(p.performance)), "performance_exact": str(p.performance),
            "stream_performance": {k: str(v) for k, v in p.stream_performance.items()},
            "columns": {c: str(p.summary_column(c)) for c in SUMMARY_COLUMNS},
            "total": str(p.total), "flags": p.flags,
            "lines": [{"component": l.component, "name": l.name, "rule": l.rule, "column": l.column,
                       "base": l.base, "rate": l.rate, "amount": str(l.amount), "exact": str(l.exact),
                       "detail": l.detail,
                       "derivation": derivation(l, s.policy, days=p.employed_days, month_days=s.month.days)}
                      for l in p.lines],
        }
        if p.carry_forward is not None:  # R45 结转至 MONTH+1: what the next month deducts as 上月欠款
            people[p.staff_id]["carry_forward"] = {"to": str(s.month.shift(1)), "amount": str(p.carry_forward)}
    network = {sid: {"performance": str(r2(v)), "performance_exact": str(v)} for sid, v in s.network.items()}
    violations = settlement_violations(s)
    rebates = [{"partner": t.partner, "lines": int(t.lines), "total": str(t.total)}
               for t in s.rebate_totals.itertuples()]
    info = who()
    record = record or {}
    return {
        "tool": "settle", "version": __version__, "month": str(s.month),
        "generated_at": started.isoformat(timespec="seconds"), "user": info["user"], "host": info["host"],
        "workspace": workspace, "rules": {"source": rules_source, "files": dict(rules_files),
                                          **record.get("rules", {}), "policy": policy_dump(s)},
        **({"files": record["files"], "lang": record["lang"]} if "files" in record else {}),
        "inputs": dict(files),
        "people": people, "network": network,
        "totals": {"payslips": str(sum((p.total for p in s.payslips), Decimal(0))),
                   "performance": str(sum((r2(p.performance) for p in s.payslips), Decimal(0)))},
        "violations": violations, "rebates": rebates, "vouchers": voucher_records(s),
        "funds": [{"id": f[0], "name": f[1], "base": str(f[2]), "rate": str(f[3]), "amount": str(f[4])}
                  for f in s.funds],
        "reconciliation": rec,
        "interdept": s.interdept.to_json() if getattr(s, "interdept", None) is not None else None,  # R42
        "appeals": appeal_records(s),  # SPEC §12: every appeal row read and what came of it
        # R45 欠款未收回: debts with no payslip to deduct them from
        "unrecovered": [{"staff_id": sid, "name": name, "month": m, "amount": str(amount)}
                        for sid, name, m, amount in s.unrecovered],
        "perimeter": _perimeter(s),
        # SPEC §12: each credited line by beneficiary (masked) is in credited.parquet beside this file
        "credited": credited_meta(s.shares),
    }


def settlement_violations(s: Settlement) -> list[dict]:
    """违规 as settlement.json records it: plain values, Excel row numbers, masked 患者标识."""
    violations = []
    for v in s.violations.to_dict("records"):
        item = {k: (None if _isna(val) else (str(val) if not isinstance(val, (int, str)) else val))
                for k, val in v.items()}
        if item.get("row") is not None:
            item["row"] = int(float(item["row"]))  # Excel's row number, never "420.0"
        if item.get("patient_key"):
            item["patient_key"] = "****" + str(item["patient_key"])[-4:]
        violations.append(item)
    return violations


def appeal_records(s: Settlement) -> list[dict]:
    """The 申诉 decisions: finding id, decision, 批准人, what was applied, the appeal's place."""
    out = getattr(s.credit, "appeals", None)
    return [d.to_json() for d in out.decisions] if out is not None else []


def _perimeter(s: Settlement) -> dict:
    """SPEC §8.1's findings of the run (warnings only: an error stops the run), masked as the
    workbooks are."""
    from settle.output.privacy import mask_problem

    found = getattr(s, "perimeter", None)
    if found is None:
        return {"findings": [], "duplicate_lines": 0}
    data = found.to_json("zh")
    data["findings"] = [mask_problem(p) for p in data["findings"]]
    return data


def _isna(v) -> bool:
    try:
        import pandas as pd
        return v is None or (not isinstance(v, str) and pd.isna(v))
    except (TypeError, ValueError):
        return False


def run_info(s: Settlement, *, files, rules_files, rules_source, workspace: str, started: dt.datetime,
             record: dict | None = None, lang: str = "zh") -> list:
    """运行信息: what ran, on what, with which rules — in the run's language."""
    L = (lambda zh, en: zh) if lang == "zh" else (lambda zh, en: en)  # noqa: E731
    info = who()
    rows = [(L("工具", "tool"), f"settle {__version__}"), (L("月份", "month"), str(s.month)),
            (L("运行时间", "time"), started.isoformat(timespec="seconds")),
            (L("操作人", "user"), f"{info['user']}@{info['host']}"), (L("工作目录", "workspace"), workspace),
            (L("规则", "rules"), {"workspace": L("工作目录 rules/", "the workspace's rules/"),
                                 "default": L("未找到工作目录 rules/，使用内置默认方案",
                                              "no rules/ in the workspace: the shipped default policy")}
             .get(rules_source, rules_source)),
            (L("方案", "policy"), s.policy.name if lang == "zh" else s.policy.name_en or s.policy.name)]
    rules = (record or {}).get("rules", {})
    if rules:
        rows += [(L("规则版本", "rules version"), rules["version"]),
                 (L("规则存档", "rules kept in"), rules["folder"] + "/"),
                 (L("SHA-256 合并后的规则", "SHA-256 merged policy"), rules["policy_sha256"])]
    for name, digest in rules_files:
        rows.append((f"SHA-256 {name if lang == 'zh' else name.replace('(内置) ', '(built-in) ')}", digest))
    for name, digest in files:
        rows.append((f"SHA-256 {name}", digest))
    rows.append((L("规则参数", "policy parameters"), ""))
    dumped = yaml.safe_dump(policy_dump(s), allow_unicode=True, sort_keys=False)
    for line in dumped.splitlines():
        rows.append(("", line))
    return rows
