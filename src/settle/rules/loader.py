"""Rules files → the month's policy version (SPEC §5, §10).

A rules file or folder is read once: the very bytes parsed are the bytes hashed and, at a run,
stored in the month's record. A folder's files are grouped by their `effective` range: files
with the same range form one version, undated files form the base version; `effective` is
ignored when the clerk names the rules (`--rules`, `simulate --rules`). A mistake names the
file, the key path and the line.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from settle.problems import BOTH, Problems, both, problem
from settle.rules.messages import pydantic_pair, zh
from settle.rules.schema import Effective, Policy, reference_errors

BASE = "base"   # the label of the undated version


@dataclass(frozen=True)
class RulesFile:
    """One rules source file as it was read: its name in the record, its bytes and their hash."""

    name: str                      # the file's name, as problems and the month's record name it
    path: Path
    data: bytes
    sha256: str
    parsed: dict
    lines: dict                    # key path -> 1-based line
    effective: Effective | None = None


@dataclass(frozen=True)
class RulesVersion:
    """The policy a computation uses and where it came from (SPEC §10)."""

    policy: Policy
    files: tuple[RulesFile, ...]
    label: str                     # BASE, "2024-06…", "2024-06…2024-08", or "--rules" when named
    source: str                    # "workspace" | "default" | the path given
    policy_sha256: str

    @property
    def hashes(self) -> list[tuple[str, str]]:
        return [(f.name, f.sha256) for f in self.files]


def policy_hash(policy: Policy) -> str:
    """SHA-256 of the merged policy: its canonical JSON (sorted keys, aliases)."""
    text = json.dumps(json.loads(policy.model_dump_json(by_alias=True)), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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


def rules_files(path: Path) -> list[Path]:
    """A rules file, or every *.yaml / *.yml of a folder in name order."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.glob("*.yaml") if not p.name.startswith("."))
        return files + sorted(p for p in path.glob("*.yml") if not p.name.startswith("."))
    return [path] if path.is_file() else []


def read_rules_file(f: Path, name: str, problems: Problems) -> RulesFile | None:
    """One read: parse the bytes and keep them with their hash; `effective` is split off."""
    try:
        data = f.read_bytes()
    except OSError as exc:
        problems.add(problem("rules_missing", file=name, detail=f"{f}: {exc.strerror or exc}"))
        return None
    from settle.load.encoding import read_config_text
    text = read_config_text(data, name, problems)  # UTF-8, BOM or GB18030 (issue 28.5)
    if text is None:
        return None
    try:
        parsed = yaml.safe_load(text) or {}
        lines = _line_map(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.add(problem("rules_invalid", file=name, row=(mark.line + 1) if mark else None,
                             detail=both(f"YAML 语法错误：{getattr(exc, 'problem', exc)}",
                                         f"YAML syntax error: {getattr(exc, 'problem', exc)}")))
        return None
    if not isinstance(parsed, dict):
        problems.add(problem("rules_invalid", file=name, detail=both("规则文件应为键值表", "must be a mapping")))
        return None
    effective = None
    if "effective" in parsed:
        raw = parsed.pop("effective")
        try:
            effective = Effective.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ("effective",) + tuple(p for p in err["loc"] if not str(p).startswith("function-"))
            loc, msg = _split_path(loc, err["msg"].removeprefix("Value error, "))
            problems.add(problem("rules_invalid", file=name, row=lines.get(loc, lines.get(("effective",))),
                                 column=_path_text(loc), detail=both(zh(msg), msg)))
            return None
    return RulesFile(name, f, data, hashlib.sha256(data).hexdigest(), parsed, lines, effective)


def load_version(path: Path, problems: Problems, *, month: str | None = None,
                 source: str = "") -> RulesVersion | None:
    """The rules at `path` for `month` (SPEC §10). With `month` None (`--rules`, simulate's
    OTHER) every file is merged and `effective` ignored; with a month, the dated version in
    force, else the base version."""
    path = Path(path)
    files = rules_files(path)
    if not files:
        problems.add(problem("rules_missing", file=str(path), detail=str(path)))
        return None
    read = [read_rules_file(f, f.name, problems) for f in files]
    if any(r is None for r in read):
        return None
    label = "--rules"
    if month is not None:
        chosen = _in_force(read, month, problems)
        if chosen is None:
            return None
        read, label = chosen
    policy = _validate(read, problems)
    if policy is None:
        return None
    return RulesVersion(policy, tuple(read), label, source or str(path), policy_hash(policy))


def _in_force(read: list[RulesFile], month: str, problems: Problems):
    """(files, label) of the version in force for `month`: the dated one covering it, else the
    base; two dated versions covering it, or none at all, is an error naming files and lines."""
    dated: dict[tuple, list[RulesFile]] = {}
    for r in read:
        if r.effective is not None:
            dated.setdefault((r.effective.start, r.effective.end), []).append(r)
    covering = [(key, fs) for key, fs in dated.items() if fs[0].effective.covers(month)]
    if len(covering) > 1:
        where = "；".join(f"{f.name} 第 {f.lines.get(('effective',), 1)} 行 / line {f.lines.get(('effective',), 1)}"
                         f" ({f.effective.label})" for _, fs in covering for f in fs)
        first = covering[0][1][0]
        problems.add(problem("rules_versions_overlap", file=first.name, row=first.lines.get(("effective",)),
                             month=month, where=where))
        return None
    if covering:
        key, fs = covering[0]
        return fs, fs[0].effective.label
    base = [r for r in read if r.effective is None]
    if not base:
        problems.add(problem("rules_no_version", file=read[0].name, month=month,
                             versions="、".join(fs[0].effective.label for fs in dated.values())))
        return None
    return base, BASE


def load_policy(path: Path, problems: Problems) -> Policy | None:
    """Load a rules file, or every *.yaml of a folder merged in name order (`effective` ignored)."""
    version = load_version(path, problems)
    return version.policy if version else None


def _validate(read: list[RulesFile], problems: Problems) -> Policy | None:
    """Merge the files in order (later files refine earlier ones) and validate the result."""
    merged: dict = {}
    lines_by_key: dict[tuple, tuple[str, int]] = {}
    for r in read:
        for k, v in r.lines.items():
            lines_by_key[k] = (r.name, v)
        merged = _merge(merged, r.parsed)
    files = read

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
                             column=_path_text(loc), detail=msg if BOTH in msg else both(zh(msg), msg)))

    seen: set = set()
    try:
        policy = Policy.model_validate(merged)
        # Each component's and stream's check of its own configuration, before any row is read.
        from settle.engine.components import check_policy
        errors = check_policy(policy)            # "key.path: message"
        for text in errors:
            report(*_split_path((), text))
        return None if errors else policy
    except ValidationError as exc:
        for err in exc.errors():
            loc = _clean_loc(tuple(err["loc"]), merged)
            msg = err["msg"].removeprefix("Value error, ")
            # A model-level error names its own sub-path in the message ("tiers[2]: …").
            loc, msg = _split_path(loc, msg)
            pair = pydantic_pair(err, str(loc[-1]) if loc else "")   # pydantic's own: by type, both languages
            msg = both(*pair) if pair else both(zh(msg), msg)
            seen.add((loc, msg))
            report(loc, msg)
        # Cross-references are checked even when a field elsewhere failed.
        try:
            extra = reference_errors(merged)
        except Exception:  # malformed data: the field errors above already say why
            extra = []
        for text in extra:
            loc, msg = _split_path((), text)
            if (loc, both(zh(msg), msg)) not in seen:
                report(loc, msg)
        return None


def default_rules_dir() -> Path:
    return Path(__file__).parent.parent / "default_rules"
