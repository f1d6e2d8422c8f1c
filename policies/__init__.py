"""Policies as code: schema, YAML loader, waivers, evaluator and the shipped packs.

Examples
--------
>>> import datetime as dt
>>> from govern.policies import evaluate, load_policy
>>> from govern.evidence import Evidence
>>> policy = load_policy("nyc-ll144")
>>> evaluate(policy, Evidence(), today=dt.date(2026, 11, 24)).status
'inconclusive'
"""

from __future__ import annotations

from govern.policies.checks import (
    CheckKind,
    CheckModel,
    Finding,
    RuleContext,
    check_kind,
    check_kinds,
    register_check_kind,
)
from govern.policies.checks.documentation import DocumentationCheck
from govern.policies.checks.metric import MetricCheck
from govern.policies.checks.process import ProcessCheck
from govern.policies.checks.transparency import TransparencyCheck
from govern.policies.evaluator import evaluate, is_substantive
from govern.policies.fields import DOCUMENTATION_FIELDS, METRIC_NAMES
from govern.policies.loader import dump_policy, load_policy
from govern.policies.packs import PackInfo, list_packs
from govern.policies.schema import (
    AppliesTo,
    Policy,
    PolicyDocument,
    Rule,
    Settings,
    policy_json_schema,
    policy_sha256,
)
from govern.policies.waivers import Waiver, load_waivers

__all__ = [
    "DOCUMENTATION_FIELDS",
    "METRIC_NAMES",
    "AppliesTo",
    "CheckKind",
    "CheckModel",
    "DocumentationCheck",
    "Finding",
    "MetricCheck",
    "PackInfo",
    "Policy",
    "PolicyDocument",
    "ProcessCheck",
    "Rule",
    "RuleContext",
    "Settings",
    "TransparencyCheck",
    "Waiver",
    "check_kind",
    "check_kinds",
    "dump_policy",
    "evaluate",
    "is_substantive",
    "list_packs",
    "load_policy",
    "load_waivers",
    "policy_json_schema",
    "policy_sha256",
    "register_check_kind",
]
