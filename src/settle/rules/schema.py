"""The policy schema: rules YAML → typed, frozen objects (SPEC §5, R12; §10 for `effective`).

A rules file declares the crediting parameters, the commission streams (first match wins),
the partner rebates, the pay components and the violation effects. Every number of the
default policy lives in `rules/default.yaml`; this module only knows the *kinds* of rule the
engine can apply. Every field is declared and unknown keys are refused (`extra="forbid"`);
rules/loader.py reads the files, names the file, key path and line of a mistake, and picks
the month's version.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


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
    name_en: str | None = None   # the name in an English run (--lang en); the Chinese name is the record
    rule: str = ""
    match: Match = Match()
    commission: Commission
    cap: Amount | None = None
    floor: Amount | None = None


class RegistrationStream(Strict):
    """A commission paid per registration of MONTH (R14 劳务工, plan A's 孕妇课)."""

    id: str
    name: str
    name_en: str | None = None   # the name in an English run (--lang en); the Chinese name is the record
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
    name_en: str | None = None   # the name in an English run (--lang en); the Chinese name is the record
    rule: str = ""
    type: Literal["percent"]
    match: Match
    rate: Rate


class SurgeryRebate(Strict):
    """R15: a fixed amount per patient with surgery in MONTH, split between partner and clerk."""

    id: str
    name: str
    name_en: str | None = None   # the name in an English run (--lang en); the Chinese name is the record
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
    name_en: str | None = None   # the name in an English run (--lang en); the Chinese name is the record
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
    name_en: str | None = None   # the name in an English run (--lang en); the Chinese name is the record
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


class InterdeptReferral(Strict):
    """R42 科间转诊奖励 (seed 003, 门诊患者科间转诊的奖励规定): every number of the matching.
    Absent from the rules, the feature is off."""

    reward: Amount                                           # 转诊成功1例奖励 50 元, to the 首诊医生
    min_before: Amount                                       # 在本专业消费100元以上 (转出科室)
    min_after: Amount                                        # 再次消费100元以上 (转入科室)
    days_before: int = Field(ge=0)                           # 转出 lines: 转诊日期 − days_before ≤ d ≤ 转诊日期
    days_after: int = Field(ge=0)                            # 转入 lines: 转诊日期 ≤ d ≤ 转诊日期 + days_after
    inpatient_categories: tuple[str, ...]                    # 暂仅限于门诊患者: these 项目类别 never count

    @model_validator(mode="after")
    def _non_negative(self):
        for key in ("reward", "min_before", "min_after"):
            if getattr(self, key) < 0:
                raise ValueError(f"{key}: cannot be negative ({getattr(self, key)})")
        return self


class Policy(Strict):
    name: str
    name_en: str | None = None   # the name in an English run (--lang en); the Chinese name is the record
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
    interdept_referral: InterdeptReferral | None = None      # R42; absent = off
    # SPEC §10: a key of R42–R45 absent from a rules file turns the feature off (a version written
    # before them keeps its figures); the shipped default.yaml and plan_a.yaml turn them on.
    discipline: Discipline | None = None                     # R43; absent = off
    new_hire_leaver: NewHireLeaver | None = None             # R44; absent = off
    carry_negative_pay: bool = False                         # R45; absent = off

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


class Effective(Strict):
    """SPEC §10: the months a dated rules file governs, `from` to `to` inclusive (`to` optional)."""

    start: str = Field(alias="from")
    end: str | None = Field(default=None, alias="to")

    @model_validator(mode="after")
    def _months(self):
        for key, value in (("from", self.start), ("to", self.end)):
            if value is not None and not _is_month(value):
                raise ValueError(f"{key}: '{value}' is not a month like 2024-06")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"to: {self.end} comes before from {self.start}")
        return self

    def covers(self, month: str) -> bool:
        return self.start <= month and (self.end is None or month <= self.end)

    @property
    def label(self) -> str:
        return f"{self.start}…{self.end or ''}"


def _is_month(text: str) -> bool:
    parts = text.split("-")
    return (len(parts) == 2 and len(parts[0]) == 4 and len(parts[1]) == 2 and parts[0].isdigit()
            and parts[1].isdigit() and 1 <= int(parts[1]) <= 12)

