"""Policies as code: schema, YAML loader, waivers, evaluator and the shipped packs.

Examples
--------
>>> import datetime as dt
>>> from govern.policies import evaluate, load_policy
>>> from govern.results import Evidence
>>> policy = load_policy("nyc-ll144")
>>> evaluate(policy, Evidence(), today=dt.date(2026, 11, 24)).passed
True
"""

from __future__ import annotations

from govern.policies.evaluator import evaluate, is_substantive
from govern.policies.fields import DOCUMENTATION_FIELDS, METRIC_NAMES
from govern.policies.loader import dump_policy, load_policy
from govern.policies.packs import PackInfo, list_packs
from govern.policies.schema import (
    AppliesTo,
    DocumentationCheck,
    MetricCheck,
    Policy,
    PolicyDocument,
    ProcessCheck,
    Rule,
    Settings,
    TransparencyCheck,
    policy_json_schema,
    policy_sha256,
)
from govern.policies.waivers import Waiver, load_waivers

__all__ = [
    "DOCUMENTATION_FIELDS",
    "METRIC_NAMES",
    "AppliesTo",
    "DocumentationCheck",
    "MetricCheck",
    "PackInfo",
    "Policy",
    "PolicyDocument",
    "ProcessCheck",
    "Rule",
    "Settings",
    "TransparencyCheck",
    "Waiver",
    "dump_policy",
    "evaluate",
    "is_substantive",
    "list_packs",
    "load_policy",
    "load_waivers",
    "policy_json_schema",
    "policy_sha256",
]
