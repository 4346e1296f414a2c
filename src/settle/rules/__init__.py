"""settle.rules: the policy schema (schema.py) and the rules loader with its versions (loader.py)."""

from settle.rules.loader import (BASE, RulesFile, RulesVersion, default_rules_dir, load_policy, load_version,
                                 policy_hash, rules_files)
from settle.rules.schema import Effective, Policy, Tier, Tiers

__all__ = ["BASE", "Effective", "Policy", "RulesFile", "RulesVersion", "Tier", "Tiers", "default_rules_dir",
           "load_policy", "load_version", "policy_hash", "rules_files"]
