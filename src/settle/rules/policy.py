"""The policy: rules YAML → typed, frozen objects (SPEC §5, R12).

A rules file declares the crediting parameters, the commission streams (first match wins),
the partner rebates, the pay components and the violation effects. Every number of the
default policy lives in `rules/default.yaml`; this module only knows the *kinds* of rule the
engine can apply. A mistake names the file, the key path and the line.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from settle.problems import Problems, problem


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("expected a number")
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ValueError(f"'{value}' is not a number") from None
    raise ValueError("expected a number")


def _to_rate(value: Any) -> Decimal:
    """A rate: `8%` or a fraction 0.08."""
    if isinstance(value, str) and value.strip().endswith("%"):
        d = _to_decimal(value.strip()[:-1]) / 100
    else:
        d = _to_decimal(value)
        if d > 1:
            raise ValueError(f"rate {value} is above 1: write it as a percentage like '{value}%'")
    if d < 0:
        raise ValueError("a rate cannot be negative")
    return d


Amount = Annotated[Decimal, BeforeValidator(_to_decimal)]
Rate = Annotated[Decimal, BeforeValidator(_to_rate)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Tier(Strict):
    """One bracket: from ≤ P < to (to omitted on the last, open bracket)."""

    lower: Amount = Field(alias="from")
    upper: Amount | None = Field(default=None, alias="to")
    rate: Rate


class Tiers(Strict):
    mode: Literal["whole", "marginal"]  # 全额累进 | 超额累进
    tiers: tuple[Tier, ...]

    @model_validator(mode="after")
    def _contiguous(self):
        if not self.tiers:
            raise ValueError("tiers: at least one tier is needed")
        if self.tiers[0].lower != 0:
            raise ValueError(f"tiers: the first tier must start at 0, not {self.tiers[0].lower}")
        for i, (a, b) in enumerate(zip(self.tiers, self.tiers[1:]), start=1):
            if a.upper is None:
                raise ValueError(f"tiers[{i - 1}]: only the last tier may be open-ended (no 'to')")
            if a.upper <= a.lower:
                raise ValueError(f"tiers[{i - 1}]: 'to' ({a.upper}) must be above 'from' ({a.lower})")
            if b.lower < a.lower:
                raise ValueError(f"tiers[{i}]: tiers are not sorted (from {b.lower} comes after from {a.lower})")
            if b.lower < a.upper:
                raise ValueError(f"tiers[{i}]: overlaps the previous tier (from {b.lower} < {a.upper})")
            if b.lower > a.upper:
                raise ValueError(f"tiers[{i}]: gap between {a.upper} and {b.lower}")
        last = self.tiers[-1]
        if last.upper is not None and last.upper <= last.lower:
            raise ValueError(f"tiers[{len(self.tiers) - 1}]: 'to' must be above 'from'")
        return self

    def apply(self, base: Decimal) -> tuple[Decimal, str]:
        """Commission on `base` and a human-readable derivation."""
        if base <= 0:
            return Decimal(0), "业绩≤0"
        if self.mode == "whole":
            for t in self.tiers:
                if base >= t.lower and (t.upper is None or base < t.upper):
                    return base * t.rate, f"{_pct(t.rate)}"
            t = self.tiers[-1]  # above a closed last tier: its rate caps
            return base * t.rate, f"{_pct(t.rate)}"
        total, parts = Decimal(0), []
        for t in self.tiers:
            if base <= t.lower:
                break
            top = base if t.upper is None else min(base, t.upper)
            slice_ = top - t.lower
            total += slice_ * t.rate
            parts.append(f"{_fmt(slice_)}×{_pct(t.rate)}")
        last = self.tiers[-1]
        if last.upper is not None and base > last.upper:
            total += (base - last.upper) * last.rate
            parts.append(f"{_fmt(base - last.upper)}×{_pct(last.rate)}")
        return total, " + ".join(parts)


def _pct(rate: Decimal) -> str:
    v = (rate * 100).normalize()
    return f"{v:f}%"


def _fmt(d: Decimal) -> str:
    return f"{d.quantize(Decimal('0.01')):,}"


class Match(Strict):
    """Which credited lines (or registrations) a rule applies to; empty lists match anything."""

    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    card_types: tuple[str, ...] = ()
    streams: tuple[str, ...] = ()


# --- commissions ------------------------------------------------------------------------------

class PerCase(Strict):
    type: Literal["per_case"]
    amounts: dict[str, Amount]                  # 项目类别 -> per case


class Percent(Strict):
    type: Literal["percent"]
    rate: Rate


class PercentByCategory(Strict):
    type: Literal["percent_by_category"]
    rates: dict[str, Rate]


class TieredCommission(Strict):
    type: Literal["tiers"]
    mode: Literal["whole", "marginal"]
    tiers: tuple[Tier, ...]

    def table(self) -> Tiers:
        return Tiers(mode=self.mode, tiers=self.tiers)

    @model_validator(mode="after")
    def _check(self):
        self.table()
        return self


class PerHead(Strict):
    type: Literal["per_head"]
    amount: Amount                              # per 人数 for existing units
    new_unit_amount: Amount | None = None       # per 人数 for 新开发 units


class PerRegistration(Strict):
    type: Literal["per_registration"]
    amount: Amount


Commission = Annotated[Union[PerCase, Percent, PercentByCategory, TieredCommission], Field(discriminator="type")]
RegistrationCommission = Annotated[Union[PerHead, PerRegistration], Field(discriminator="type")]


class Stream(Strict):
    """A commission stream of credited billing lines (R8–R11, R18)."""

    id: str
    name: str
    rule: str = ""
    match: Match = Match()
    commission: Commission
    cap: Amount | None = None
    floor: Amount | None = None


class RegistrationStream(Strict):
    """A commission paid per registration of MONTH (R14 劳务工, plan A's 孕妇课)."""

    id: str
    name: str
    rule: str = ""
    match: Match
    commission: RegistrationCommission
    exclude_violations: tuple[str, ...] = ()   # registrations rejected for these codes earn nothing
    # No cap, floor or apply_rejections: the engine applies none to these streams, so the keys are
    # refused (unknown key, with file and line) rather than accepted and ignored.


# --- rebates ----------------------------------------------------------------------------------

class PercentRebate(Strict):
    id: str
    name: str
    rule: str = ""
    type: Literal["percent"]
    match: Match
    rate: Rate


class SurgeryRebate(Strict):
    """R15: a fixed amount per patient with surgery in MONTH, split between partner and clerk."""

    id: str
    name: str
    rule: str = ""
    type: Literal["per_patient_surgery"]
    match: Match
    surgery_categories: tuple[str, ...]
    split: dict[str, Amount]                    # e.g. {药店: 70, 店员: 30}
    replaces: tuple[str, ...] = ()              # rebate ids it replaces for the patient's lines

    @property
    def amount(self) -> Decimal:
        return sum(self.split.values(), Decimal(0))


Rebate = Annotated[Union[PercentRebate, SurgeryRebate], Field(discriminator="type")]


# --- pay components ---------------------------------------------------------------------------

class Component(Strict):
    id: str
    name: str
    rule: str = ""
    roles: tuple[Literal["业务员", "主管", "主任"], ...]
    cap: Amount | None = None
    floor: Amount | None = None


class BasePay(Component):
    """R30: amount × employed days / days in month × quota factor."""

    type: Literal["base"]
    amount: Amount
    prorate: bool = True
    quota: Amount | None = None                 # regular staff: × min(1, max(0, P) / quota)
    quota_on: Literal["own", "department_mean_regular"] = "own"


class Allowance(Component):
    """R31: a monthly allowance in some months."""

    type: Literal["allowance"]
    amount: Amount
    months: tuple[int, ...] = tuple(range(1, 13))
    prorate: bool = True


class Assessment(Component):
    """R33: 绩效考核 — probation: amount × rating; regular: amount × min(1, max(0, P)/quota)."""

    type: Literal["assessment"]
    amount: Amount
    quota: Amount


class ManagementBonus(Component):
    """R34: the lowest assessment among the team's 业务员 with a payslip."""

    type: Literal["lowest_team_assessment"]
    assessment: str = "assessment"


class TeamCommission(Component):
    """R34: rate × max(0, total performance of the team's 业务员 with a payslip)."""

    type: Literal["team_percent"]
    rate: Rate


class DepartmentCommission(Component):
    """R35: tiers on the total performance of every 业务员, 主管 and 主任; never negative."""

    type: Literal["department_tiers"]
    mode: Literal["whole", "marginal"]
    tiers: tuple[Tier, ...]
    of_roles: tuple[str, ...] = ("业务员", "主管", "主任")

    def table(self) -> Tiers:
        return Tiers(mode=self.mode, tiers=self.tiers)

    @model_validator(mode="after")
    def _check(self):
        self.table()
        return self


class StreamLeaderCommission(Component):
    """R18: a stream's performance per 义诊小组, to the 主管 heading that 小组."""

    type: Literal["stream_team_percent"]
    stream: str
    rate: Rate


PayComponent = Annotated[Union[BasePay, Allowance, Assessment, ManagementBonus, TeamCommission,
                               DepartmentCommission, StreamLeaderCommission], Field(discriminator="type")]


class Fund(Strict):
    """R18: a share of a stream's performance set aside (summary only, nobody's pay)."""

    id: str
    name: str
    rule: str = ""
    stream: str
    rate: Rate


# --- crediting and violations -----------------------------------------------------------------

class Crediting(Strict):
    network_share: Rate = Decimal("0.5")                     # R4
    follow_up_days: int = 60                                 # R5
    report_before_visit_minutes: int = 30                    # R22/R23
    network_role: str = "网络部"


class Violations(Strict):
    max_cards_per_patient: int = 2                           # R21
    duplicate_card_fine: Amount = Decimal(100)               # R21
    incomplete_referral: dict[str, tuple[Literal["partner", "referrer", "referrer_phone"], ...]] = {}  # R24
    late_report_fine: Amount = Decimal(20)                   # R27
    missing_report_fine: Amount = Decimal(50)                # R27
    report_due: str = "08:00"                                # R27 due by this time of the next working day
    working_weekdays: tuple[int, ...] = (1, 2, 3, 4, 5, 6)   # ISO weekdays: Mon=1 … Sat=6
    holidays: tuple[dt.date, ...] = ()
    performance_warning: Amount = Decimal(10000)             # R41

    @model_validator(mode="after")
    def _due(self):
        try:
            h, m = self.report_due.split(":")
            dt.time(int(h), int(m))
        except ValueError:
            raise ValueError(f"report_due: '{self.report_due}' is not a time like 08:00") from None
        return self


class Discipline(Strict):
    """R43 奖惩 rows of 调整 (seed 003 市场部治理制度 and 营销卡的使用治理规定)."""
    breakfast_fine: Amount = Decimal(20)                     # 治理制度 7: 早餐 扣20元
    private_fine: Amount = Decimal(30)                       # 治理制度 8: 上网、私事 扣30元
    improper_means_multiplier: Amount = Field(default=Decimal(2), gt=0)   # 治理制度 2: 所得业绩的2倍罚款
    whistleblower_share: Rate = Field(default=Decimal("0.5"), le=1)     # 营销卡规定 6: 予以罚金的50%奖励
    insubordination_share: Rate = Field(default=Decimal("0.5"), le=1)   # 营销卡规定 7: 扣当月工资和奖金的50%
    warning_repeats: int = Field(default=3, ge=1)            # 治理制度 7/8: 连续3次给予辞退
    meeting_absences: int = Field(default=2, ge=1)           # 治理制度 4: 连续两次晨会不到者 上报分管领导


class NewHireLeaver(Strict):
    """R44 (seed 003 七.5): 新业务员在7天内自动离职的不与结算工资."""
    within_days: int = Field(default=7, ge=1)                # employed days 入职日期..离职日期 inclusive
    roles: tuple[Literal["业务员", "主管", "主任"], ...] = ("业务员",)


class Policy(Strict):
    name: str
    version: int = 1
    description: str = ""
    crediting: Crediting = Crediting()
    streams: tuple[Stream, ...]
    registration_streams: tuple[RegistrationStream, ...] = ()
    rebates: tuple[Rebate, ...] = ()
    large_rebate_threshold: Amount | None = None             # R17 大额返款
    unnamed_partner: str = "未填合作单位"
    pay: tuple[PayComponent, ...] = ()
    funds: tuple[Fund, ...] = ()
    violations: Violations = Violations()
    discipline: Discipline = Discipline()                    # R43
    new_hire_leaver: NewHireLeaver = NewHireLeaver()         # R44
    carry_negative_pay: bool = True                          # R45

    @model_validator(mode="after")
    def _references(self):
        errors = reference_errors(self.model_dump(by_alias=True))
        if errors:
            raise ValueError(errors[0])
        return self

    def stream(self, sid: str):
        for s in self.streams + self.registration_streams:
            if s.id == sid:
                return s
        raise KeyError(sid)


def reference_errors(data: dict) -> list[str]:
    """Cross-references of a policy (streams named by rebates, pay and funds; duplicate ids),
    on plain data so they are checked even when some field elsewhere fails. Each message
    starts with its key path."""
    errors: list[str] = []

    def items(key):
        value = data.get(key) if isinstance(data, dict) else None
        return [x for x in value if isinstance(x, dict)] if isinstance(value, (list, tuple)) else []

    streams = [x.get("id") for x in items("streams")] + [x.get("id") for x in items("registration_streams")]
    known = {s for s in streams if isinstance(s, str)}
    names = ", ".join(sorted(known))
    for i, sid in enumerate(streams):
        if isinstance(sid, str) and streams.count(sid) > 1 and streams.index(sid) == i:
            errors.append(f"streams: duplicate stream id '{sid}'")
    rebate_ids = {x.get("id") for x in items("rebates")}
    for i, r in enumerate(items("rebates")):
        match = r.get("match") if isinstance(r.get("match"), dict) else {}
        for s in match.get("streams") or []:
            if s not in known:
                errors.append(f"rebates[{i}].match.streams: unknown stream '{s}' (known: {names})")
        for rid in r.get("replaces") or []:
            if rid not in rebate_ids:
                errors.append(f"rebates[{i}].replaces: unknown rebate '{rid}'")
    pay = items("pay")
    pay_ids = [c.get("id") for c in pay]
    for i, c in enumerate(pay):
        if c.get("type") == "stream_team_percent" and c.get("stream") not in known:
            errors.append(f"pay[{i}].stream: unknown stream '{c.get('stream')}' (known: {names})")
        if c.get("type") == "lowest_team_assessment" and c.get("assessment", "assessment") not in pay_ids:
            errors.append(f"pay[{i}].assessment: unknown component '{c.get('assessment', 'assessment')}'")
        if pay_ids.count(c.get("id")) > 1 and pay_ids.index(c.get("id")) == i:
            errors.append(f"pay[{i}].id: duplicate component id '{c.get('id')}'")
    for i, f in enumerate(items("funds")):
        if f.get("stream") not in known:
            errors.append(f"funds[{i}].stream: unknown stream '{f.get('stream')}' (known: {names})")
    return errors


# --- loading with line numbers ----------------------------------------------------------------

def _line_map(text: str) -> dict[tuple, int]:
    """key path (tuple of str/int) -> 1-based line, from the YAML node tree."""
    lines: dict[tuple, int] = {}

    def walk(node, path):
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = k.value
                lines[path + (key,)] = k.start_mark.line + 1
                walk(v, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, path + (i,))

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, ())
    return lines


def _clean_loc(loc: tuple, data) -> tuple:
    """Drop pydantic's union tags from an error location: a part that equals the `type` value
    of the mapping reached so far, and validator names like 'function-after[…]'."""
    out, node = [], data
    for part in loc:
        if isinstance(part, str) and part.startswith("function-"):
            continue
        if isinstance(node, dict) and node.get("type") == part and part not in node:
            continue
        out.append(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(out)


_PATH_RE = re.compile(r"^([A-Za-z_]\w*(?:\[\d+\])?(?:\.[A-Za-z_]\w*(?:\[\d+\])?)*): (.*)$", re.S)


def _split_path(loc: tuple, msg: str) -> tuple[tuple, str]:
    """A model-level message names its own sub-path ("tiers[2]: …", "rebates[1].match.streams: …"):
    append it to the error's location and strip it from the message."""
    m = _PATH_RE.match(msg)
    if not m:
        return loc, msg
    parts: list = []
    for piece in m.group(1).split("."):
        name, _, idx = piece.partition("[")
        parts.append(name)
        if idx:
            parts.append(int(idx.rstrip("]")))
    if loc and parts and loc[-1] == parts[0]:
        loc = loc[:-1]
    return tuple(loc) + tuple(parts), m.group(2)


def _path_text(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top)"


def _merge(base: dict, extra: dict) -> dict:
    """Deep-merge a rules file over another (later files refine earlier ones)."""
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_policy(path: Path, problems: Problems, checks=None) -> Policy | None:
    """Load a rules file, or every *.yaml of a folder merged in name order; then `checks`."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.glob("*.yaml") if not p.name.startswith("."))
        files += sorted(p for p in path.glob("*.yml") if not p.name.startswith("."))
    else:
        files = [path] if path.exists() else []
    if not files:
        problems.add(problem("rules_missing", file=str(path), detail=str(path)))
        return None
    merged: dict = {}
    lines_by_key: dict[tuple, tuple[str, int]] = {}
    for f in files:
        try:
            text = f.read_text(encoding="utf-8-sig")
            data = yaml.safe_load(text) or {}
            lines = _line_map(text)
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            mark = getattr(exc, "problem_mark", None)
            problems.add(problem("rules_invalid", file=f.name, row=(mark.line + 1) if mark else None,
                                 detail=f"YAML 语法错误 / YAML syntax error: {getattr(exc, 'problem', exc)}"))
            return None
        if not isinstance(data, dict):
            problems.add(problem("rules_invalid", file=f.name, detail="规则文件应为键值表 / must be a mapping"))
            return None
        for k, v in lines.items():
            lines_by_key[k] = (f.name, v)
        merged = _merge(merged, data)
    def report(loc, msg):
        fname, line = None, None
        probe = loc
        while True:
            if probe in lines_by_key:
                fname, line = lines_by_key[probe]
                break
            if not probe:
                break
            probe = probe[:-1]
        problems.add(problem("rules_invalid", file=fname or files[-1].name, row=line,
                             column=_path_text(loc), detail=msg))

    seen: set = set()
    try:
        policy = Policy.model_validate(merged)
        errors = checks(policy) if checks else []   # each rule's own configuration: "key.path: message"
        for text in errors:
            report(*_split_path((), text))
        return None if errors else policy
    except ValidationError as exc:
        for err in exc.errors():
            loc = _clean_loc(tuple(err["loc"]), merged)
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = f"未知的键 / unknown key '{loc[-1] if loc else ''}'"
            elif err["type"] == "missing":
                msg = "缺少必需的键 / required key missing"
            elif err["type"] == "literal_error":
                msg = f"取值无效 / invalid value {err.get('input')!r}: {err['msg']}"
            elif err["type"] == "union_tag_invalid":
                msg = f"未知的类型 / unknown type {err.get('input')!r}: {err['msg']}"
            # A model-level error names its own sub-path in the message ("tiers[2]: …").
            loc, msg = _split_path(loc, msg)
            seen.add((loc, msg))
            report(loc, msg)
        # Cross-references are checked even when a field elsewhere failed.
        try:
            extra = reference_errors(merged)
        except Exception:  # malformed data: the field errors above already say why
            extra = []
        for text in extra:
            loc, msg = _split_path((), text)
            if (loc, msg) not in seen:
                report(loc, msg)
        return None


def default_rules_dir() -> Path:
    return Path(__file__).parent.parent / "default_rules"
