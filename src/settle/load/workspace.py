"""The workspace on the shared drive (SPEC §2): settle.yaml, rules/, staff.xlsx, month folders."""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from settle.load.columns import KINDS, MONTH_KINDS, header_key
from settle.load.normalize import fold_text
from settle.problems import Problems, both, problem

INPUT_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv")  # SPEC §2
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Month":
        m = _MONTH_RE.match(str(text).strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(text)
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, self.days)

    def shift(self, n: int) -> "Month":
        idx = self.year * 12 + (self.month - 1) + n
        return Month(idx // 12, idx % 12 + 1)

    @classmethod
    def of(cls, d: dt.date) -> "Month":
        return cls(d.year, d.month)


DEFAULT_PATTERNS = {k: KINDS[k].patterns for k in MONTH_KINDS}


@dataclass(frozen=True)
class Config:
    """settle.yaml: optional; every key has a default."""

    patterns: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_PATTERNS))
    aliases: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    output: str = "output"
    holidays: tuple[dt.date, ...] = ()
    lang: str | None = None
    history_keep: int | None = None      # issue 14: keep the last N reruns of an open month
    lock_stale_after: float = 7200.0     # seconds after which another host's lock file is stale
    hospital: str = ""                 # printed in the payslips' and vouchers' title block (issue 18)
    department: str = ""                 # settle.yaml department: (unset: 市场部, or Marketing in English)
    attention_share: Decimal = Decimal("0.30")   # 关注: above this share of the department's pay
    attention_change: Decimal = Decimal("0.50")  # 关注: pay changed by more than this since last month


_KIND_KEYS = {k.display: k.name for k in KINDS.values()} | {"staff": "staff"}
_CONFIG_KEYS = {"patterns", "aliases", "output", "holidays", "locale", "lang", "history_keep", "lock_stale_after",
                "hospital", "department", "attention"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|hours?|m|min|minutes?|s|sec|seconds?|小时|分钟|秒)?\s*$", re.I)


def _keep_and_stale(raw: dict, name: str, problems: Problems) -> dict:
    """`history_keep: N` (a whole number ≥ 0) and `lock_stale_after: 2h` (h, min or s; a bare
    number is hours)."""
    out = {}
    keep = raw.get("history_keep")
    if keep is not None:
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
            problems.add(problem("bad_config", file=name, column="history_keep",
                                 detail=both(f"\"{keep}\" 应为不小于 0 的整数", f"\"{keep}\" must be a whole number ≥ 0")))
        else:
            out["history_keep"] = keep
    stale = raw.get("lock_stale_after")
    if stale is not None:
        m = _DURATION.match(str(stale))
        if not m or float(m.group(1)) <= 0:
            problems.add(problem("bad_config", file=name, column="lock_stale_after",
                                 detail=both(f"\"{stale}\" 应为时长，如 2h 或 90min",
                                             f"\"{stale}\" must be a duration like 2h or 90min")))
        else:
            unit = (m.group(2) or "h").lower()
            scale = 3600 if unit[0] in "h小" else 60 if unit[0] in "m分" else 1
            out["lock_stale_after"] = float(m.group(1)) * scale
    return out


_ATTENTION_KEYS = {"share": "attention_share", "change": "attention_change"}


def _fraction(value) -> Decimal | None:
    """30%, "30 %", 0.3 or "0.3" → Decimal("0.3"); None when it is not a fraction ≥ 0."""
    text = str(value).strip()
    try:
        d = Decimal(text[:-1].strip()) / 100 if text.endswith("%") else Decimal(text)
    except ArithmeticError:
        return None
    return d if d.is_finite() and d >= 0 else None


def _attention(raw, name: str, problems: Problems) -> dict:
    """settle.yaml `attention: {share: 30%, change: 50%}` (issue 18: the summary's 关注 list)."""
    out = {}
    if raw is None:
        return out
    if not isinstance(raw, dict):
        problems.add(problem("bad_config", file=name, column="attention",
                             detail=both("attention 应为键值表：{share: 30%, change: 50%}",
                                         "attention must be a mapping: {share: 30%, change: 50%}")))
        return out
    for key, value in raw.items():
        field_name = _ATTENTION_KEYS.get(str(key))
        frac = _fraction(value)
        if field_name is None or frac is None:
            problems.add(problem("bad_config", file=name, column=f"attention.{key}",
                                 detail=both(f"attention.{key}：\"{value}\" 应为百分比（share、change，如 30%）",
                                             f"attention.{key}: \"{value}\" must be a percentage "
                                             "(share, change: e.g. 30%)")))
            continue
        out[field_name] = frac
    return out


def load_config(path: Path, problems: Problems) -> Config:
    if not path.exists():
        return Config()
    name = path.name
    from settle.load.encoding import read_config_text
    text = read_config_text(path.read_bytes(), name, problems)  # UTF-8, BOM or GB18030 (issue 28.5)
    if text is None:
        return Config()
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        problems.add(problem("bad_config", file=name, detail=f"settle.yaml 无法解析 / cannot be parsed: {exc}"))
        return Config()
    if not isinstance(raw, dict):
        problems.add(problem("bad_config", file=name, detail="settle.yaml 应为键值表 / must be a mapping"))
        return Config()
    for key in raw:
        if key not in _CONFIG_KEYS:
            problems.add(problem("bad_config", file=name, column=str(key),
                                 detail=f"未知的设置项 / unknown key '{key}' (allowed: {', '.join(sorted(_CONFIG_KEYS))})"))
    patterns = dict(DEFAULT_PATTERNS)
    for kind, pats in (raw.get("patterns") or {}).items():
        if kind not in MONTH_KINDS:
            problems.add(problem("bad_config", file=name, column=f"patterns.{kind}",
                                 detail=f"未知的输入类别 / unknown input kind '{kind}' ({', '.join(MONTH_KINDS)})"))
            continue
        pats = [pats] if isinstance(pats, str) else list(pats or [])
        patterns[kind] = tuple(str(p) for p in pats) + patterns[kind]
    aliases: dict[str, dict[str, list[str]]] = {}
    for kind, fields in (raw.get("aliases") or {}).items():
        kind = _KIND_KEYS.get(str(kind), kind)   # 收费明细: {金额: [实收金额]} as well as billing: {amount: …}
        if kind not in KINDS:
            problems.add(problem("bad_config", file=name, column=f"aliases.{kind}",
                                 detail=f"未知的输入类别 / unknown input kind '{kind}'"))
            continue
        known = {f.name for f in KINDS[kind].fields}
        field_keys = {header_key(a): f.name for f in KINDS[kind].fields for a in f.aliases}
        for fname, names in (fields or {}).items():
            fname = fname if fname in known else field_keys.get(header_key(str(fname)), fname)
            if fname not in known:
                problems.add(problem("bad_config", file=name, column=f"aliases.{kind}.{fname}",
                                     detail=f"未知的列 / unknown field '{fname}' ({', '.join(sorted(known))})"))
                continue
            names = [names] if isinstance(names, str) else list(names or [])
            aliases.setdefault(kind, {})[fname] = [str(n) for n in names]
    holidays = []
    for h in raw.get("holidays") or []:
        try:
            holidays.append(h if isinstance(h, dt.date) else dt.date.fromisoformat(str(h)))
        except ValueError:
            problems.add(problem("bad_config", file=name, column="holidays",
                                 detail=f"\"{h}\" 不是日期 / is not a date (YYYY-MM-DD)"))
    lang = raw.get("lang") or raw.get("locale")
    return Config(patterns=patterns, aliases=aliases, output=str(raw.get("output") or "output"),
                  holidays=tuple(holidays), lang=lang if lang in ("zh", "en") else None,
                  hospital=str(raw.get("hospital") or ""), department=str(raw.get("department") or ""),
                  **_attention(raw.get("attention"), name, problems), **_keep_and_stale(raw, name, problems))


@dataclass
class Workspace:
    root: Path
    config: Config
    out_root: Path

    @classmethod
    def open(cls, root: Path, problems: Problems, out: Path | None = None) -> "Workspace":
        root = Path(root)
        config = load_config(root / "settle.yaml", problems)
        out_root = Path(out) if out else root / config.output
        return cls(root, config, out_root)

    @property
    def staff_file(self) -> Path | None:
        for suffix in INPUT_SUFFIXES:
            for stem in ("staff", "人员名单"):
                p = self.root / f"{stem}{suffix}"
                if p.exists():
                    return p
        return None

    def month_dir(self, month: Month) -> Path:
        return self.root / str(month)

    def months_upto(self, month: Month) -> list[Month]:
        """Month folders of the workspace up to and including `month` (later ones are never read)."""
        found = []
        if self.root.is_dir():
            for p in self.root.iterdir():
                if p.is_dir() and _MONTH_RE.match(p.name):
                    try:
                        m = Month.parse(p.name)
                    except ValueError:
                        continue
                    if m <= month:
                        found.append(m)
        return sorted(found)

    def files(self, month: Month, kind: str) -> list[Path]:
        folder = self.month_dir(month)
        if not folder.is_dir():
            return []
        pats = tuple(fold_text(p).lower() for p in self.config.patterns.get(kind, ()))
        out = []
        for p in sorted(folder.iterdir(), key=lambda q: q.name):
            name = p.name
            if not p.is_file() or name.startswith("~$") or name.startswith(".") or _is_hidden(p):
                continue
            if p.suffix.lower() not in INPUT_SUFFIXES:
                continue
            if fold_text(p.stem).lower().startswith(pats):
                out.append(p)
        return out

    def skipped(self, month: Month) -> list[tuple[Path, str]]:
        """SPEC §8.1: the files of MONTH's folder that no kind reads, each with why: 'unmatched'
        (its name matches no kind's pattern) or 'unsupported' (named like an input, but a format
        settle cannot read, e.g. 收费明细.numbers or 收费明细.pdf). Owner files (~$...) and hidden
        files are not listed here."""
        folder = self.month_dir(month)
        if not folder.is_dir():
            return []
        pats = tuple(fold_text(p).lower() for k in MONTH_KINDS for p in self.config.patterns.get(k, ()))
        out = []
        for p in sorted(folder.iterdir(), key=lambda q: q.name):
            name = p.name
            if not p.is_file() or name.startswith("~$") or name.startswith(".") or _is_hidden(p):
                continue
            looks = fold_text(p.stem).lower().startswith(pats)
            if p.suffix.lower() not in INPUT_SUFFIXES:
                out.append((p, "unsupported" if looks else "unmatched"))
            elif not looks:
                out.append((p, "unmatched"))
        return out

    def display(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.name

    def output_dir(self, month: Month) -> Path:
        return self.out_root / str(month)


def _is_hidden(p: Path) -> bool:
    if os.name == "nt":  # pragma: no cover - Windows attribute
        try:
            import stat
            return bool(p.stat().st_file_attributes & stat.FILE_ATTRIBUTE_HIDDEN)
        except (AttributeError, OSError):
            return False
    return False
