"""The policy language: pydantic models for a policy file and for a resolved policy.

A policy *file* (``PolicyDocument``) may extend packs and other files, disable or override their
rules by id, and set only some settings. Loading resolves all of that into a ``Policy``: complete
settings and the final list of rules, which is what the evaluator and the audit runner read.
Every model forbids unknown keys, so a typo fails at load time with its line number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from govern.policies.checks import AnyCheck, rebuild_when_kinds_change
from govern.policies.checks.metric import MetricCheck
from govern.policies.checks.process import ProcessCheck, judged_at_gate
from govern.results import INTERSECTION_SEPARATOR, DisclosureRule, OnInsufficientData, Severity
from govern.vocabulary import Purpose, RiskTier

RULE_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"

MSG_DUPLICATE_IDS = "rule id '{id}' is used twice (also rules[{first}]); give each rule its own id"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class AppliesTo(_Strict):
    """Which models a policy or rule is about; empty lists mean every one."""

    purposes: list[Purpose] = Field(
        default_factory=list,
        description="Purposes, as models are registered with them (govern.vocabulary).",
    )
    risk_tiers: list[RiskTier] = Field(
        default_factory=list, description="Risk tiers: high, limited, minimal."
    )
    from_date: dt.date | None = Field(
        None,
        description="First day the rules apply (quoted 'YYYY-MM-DD'), e.g. when a law's "
        "obligations take effect; before it they are not_applicable.",
    )

    def excludes(self, *, purpose: str | None, risk_tier: str | None, today: dt.date) -> str | None:
        """Why a model with this purpose and tier is out of scope, or None when in scope."""
        if self.from_date is not None and today < self.from_date:
            return f"its obligations apply from {self.from_date.isoformat()}"
        if self.purposes and purpose is not None and purpose not in self.purposes:
            return f"purpose '{purpose}' is not one of {', '.join(self.purposes)}"
        if self.risk_tiers and risk_tier is not None and risk_tier not in self.risk_tiers:
            return f"risk tier '{risk_tier}' is not one of {', '.join(self.risk_tiers)}"
        return None


class Settings(_Strict):
    """How the fairness engine measures; the audit runner passes these to it."""

    min_group_size: int = Field(
        30, ge=1, description="Groups smaller than this are insufficient_data, not judged."
    )
    alpha: float = Field(0.05, gt=0, lt=1, description="Significance level of disparity tests.")
    n_boot: int = Field(
        1000,
        ge=0,
        description="Bootstrap replicates for the intervals of score metrics (0: none); rates, "
        "differences and ratios have closed-form intervals.",
    )
    confidence_level: float = Field(0.95, gt=0, lt=1, description="Coverage of the intervals.")
    reference: str = Field(
        "highest_selection_rate",
        min_length=1,
        description="What each group is compared with: 'highest_selection_rate' (29 CFR "
        "1607.4(D), 6 RCNY 5-301), 'overall_rate' (all groups pooled), or a group label. The "
        "reference is always a group meeting min_group_size (and exclude_below_share); when "
        "the rule's group does not, groups are compared with the overall rate, and every "
        "output says so (docs/statistics.md).",
    )
    exclude_below_share: float | None = Field(
        None,
        ge=0,
        lt=1,
        description="Groups under this share of the data are reported but not judged "
        "(6 RCNY 5-301 allows 0.02).",
    )
    disclosure_min_size: int = Field(
        10,
        ge=1,
        description="Groups with fewer people are never published with their counts or rates, "
        "in any output (audit.json, MLflow, reports, cards, terminal, gate summary); a verdict "
        "about such a group is still stated, without its figures.",
    )
    public_disclosure_min_size: int = Field(
        10, ge=1, description="The same for documents published to everyone (the register page)."
    )
    disclosure_required_by: str | None = Field(
        None,
        description="Citation of a law that requires every category's count and rate to be "
        "published (e.g. 6 RCNY 5-303(a)); when set, nothing is suppressed and documents say "
        "which law requires it.",
    )
    small_sample_note_below: int | None = Field(
        None,
        ge=1,
        description="Groups judged with fewer people than this get a note that the figure rests "
        "on a small sample (its interval shows how uncertain it is).",
    )


class SettingsPatch(_Strict):
    """Settings in a file: only those given override what the extended policies set."""

    min_group_size: int | None = Field(None, ge=1)
    alpha: float | None = Field(None, gt=0, lt=1)
    n_boot: int | None = Field(None, ge=0)
    confidence_level: float | None = Field(None, gt=0, lt=1)
    reference: str | None = Field(None, min_length=1)
    exclude_below_share: float | None = Field(None, ge=0, lt=1)
    disclosure_min_size: int | None = Field(None, ge=1)
    public_disclosure_min_size: int | None = Field(None, ge=1)
    disclosure_required_by: str | None = Field(None, min_length=1)
    small_sample_note_below: int | None = Field(None, ge=1)


class Rule(_Strict):
    """One rule: who cares (severity), why (rationale, references) and exactly one check."""

    id: str = Field(pattern=RULE_ID_PATTERN, description="Unique, lower-case, e.g. 'four-fifths'.")
    title: str = Field(min_length=1)
    severity: Severity = "blocking"
    rationale: str = Field(min_length=1, description="Why the rule exists, in plain language.")
    references: list[str] = Field(
        default_factory=list, description="Legal or policy citations, e.g. '29 CFR 1607.4(D)'."
    )
    applies_to: AppliesTo | None = None
    on_insufficient_data: OnInsufficientData = Field(
        "block",
        description="When the rule lacks evidence or sample size (insufficient_data): 'block' "
        "makes the policy inconclusive (default), 'warn' reports a warning only, 'pass' lets "
        "the policy pass. Reports say when a rule was opted out.",
    )
    check: AnyCheck = Field(description="Exactly one check; its 'kind' picks the schema.")


class RuleOverride(_Strict):
    """Changes an extending policy makes to an inherited rule, by id."""

    title: str | None = Field(None, min_length=1)
    severity: Severity | None = None
    rationale: str | None = Field(None, min_length=1)
    references: list[str] | None = None
    threshold: float | None = Field(
        None, description="The check's threshold (metric and proxy-strength rules)."
    )
    applies_to: AppliesTo | None = None
    on_insufficient_data: OnInsufficientData | None = None


def _unique_ids(rules: list[Rule]) -> list[Rule]:
    first: dict[str, int] = {}
    for index, rule in enumerate(rules):
        if rule.id in first:
            raise ValueError(MSG_DUPLICATE_IDS.format(id=rule.id, first=first[rule.id]))
        first[rule.id] = index
    return rules


class PolicyDocument(_Strict):
    """What one policy file holds (this is the schema ``govern policy schema`` prints)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="govern policy",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    name: str = Field(min_length=1)
    version: str = Field(min_length=1, description="Version of this policy; quote it ('1.0').")
    title: str = Field("", description="One line naming the policy.")
    description: str = ""
    text_date: dt.date | None = Field(
        None, description="Date (quoted 'YYYY-MM-DD') of the legal or policy text encoded."
    )
    extends: list[str] = Field(
        default_factory=list, description="Shipped pack names or paths relative to this file."
    )
    applies_to: AppliesTo | None = None
    settings: SettingsPatch = Field(default_factory=SettingsPatch)
    disable: list[str] = Field(default_factory=list, description="Inherited rule ids to drop.")
    override: dict[str, RuleOverride] = Field(
        default_factory=dict, description="Inherited rule id -> fields to change."
    )
    rules: list[Rule] = Field(default_factory=list)


class Policy(_Strict):
    """A resolved policy: complete settings and the final rules after ``extends``.

    Examples
    --------
    >>> from govern.policies import load_policy
    >>> policy = load_policy("eeoc-four-fifths")
    >>> policy.settings.alpha, policy.rules[0].check.kind
    (0.05, 'metric')
    """

    name: str
    version: str
    title: str = ""
    description: str = ""
    text_date: dt.date | None = None
    extends: list[str] = Field(
        default_factory=list, description="What was extended, for the record (already applied)."
    )
    applies_to: AppliesTo | None = None
    settings: Settings = Field(default_factory=Settings)
    rules: list[Rule] = Field(default_factory=list)

    @field_validator("rules")
    @classmethod
    def _rule_ids_unique(cls, rules: list[Rule]) -> list[Rule]:
        return _unique_ids(rules)

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (KeyError when there is none)."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def metric_rules(self) -> list[tuple[Rule, MetricCheck]]:
        return [(r, r.check) for r in self.rules if isinstance(r.check, MetricCheck)]

    def required_metrics(self) -> list[str]:
        """Metric names the fairness engine must produce for this policy, sorted."""
        return sorted({check.metric for _, check in self.metric_rules()})

    def required_attributes(self) -> list[str] | Literal["all"]:
        """Named attributes the metric rules judge, or 'all' when a rule judges every one."""
        names: set[str] = set()
        for _, check in self.metric_rules():
            if isinstance(check.attributes, str):
                if check.attributes in ("all", "sensitive"):
                    return "all"
                continue
            for name in check.attributes:
                names.update(part.strip() for part in name.split(INTERSECTION_SEPARATOR.strip()))
        return sorted(names)

    def needs_intersections(self) -> bool:
        """True when a metric rule judges intersections (e.g. sex & race/ethnicity, LL144)."""
        for _, check in self.metric_rules():
            if check.attributes in ("all", "intersections"):
                return True
            if isinstance(check.attributes, list) and any(
                INTERSECTION_SEPARATOR in name for name in check.attributes
            ):
                return True
        return False

    def rules_judged_at_gate(self) -> dict[str, list[str]]:
        """Rules the deployment gate judges itself: rule id -> the roles it needs (sign-off) or
        an empty list (audit recency)."""
        return {
            rule.id: list(rule.check.roles) if isinstance(rule.check, ProcessCheck) else []
            for rule in self.rules
            if judged_at_gate(rule.check)
        }

    def max_audit_age_days(self) -> int | None:
        """The strictest audit_recency limit of the policy, or None when it sets none."""
        limits = [
            rule.check.max_audit_age_days
            for rule in self.rules
            if isinstance(rule.check, ProcessCheck) and rule.check.max_audit_age_days is not None
        ]
        return min(limits) if limits else None

    def required_approvals(self, risk_tier: str | None) -> list[str]:
        """Roles that must sign off a model of this risk tier, sorted and without repeats.

        A sign_off rule with no ``risk_tiers`` applies to every tier, including an unknown one.
        """
        roles: set[str] = set()
        for rule in self.rules:
            check = rule.check
            if (
                isinstance(check, ProcessCheck)
                and check.requirement == "sign_off"
                and (
                    not check.risk_tiers
                    or (risk_tier is not None and risk_tier in check.risk_tiers)
                )
            ):
                roles.update(check.roles)
        return sorted(roles)

    def sign_off_roles(self) -> list[str]:
        """Every role a sign_off rule of the policy names, whatever the risk tier, sorted."""
        return sorted(
            {
                role
                for rule in self.rules
                if isinstance(rule.check, ProcessCheck) and rule.check.requirement == "sign_off"
                for role in rule.check.roles
            }
        )

    def disclosure(self, audience: Literal["internal", "public"] = "internal") -> DisclosureRule:
        """The disclosure control the policy asks for, for one audience."""
        settings = self.settings
        size = (
            settings.public_disclosure_min_size
            if audience == "public"
            else settings.disclosure_min_size
        )
        return DisclosureRule(
            min_size=size, audience=audience, required_by=settings.disclosure_required_by
        )

    def canonical_json(self) -> str:
        """The policy as canonical JSON (sorted keys, no spaces): the input of its hash."""
        data: Any = self.model_dump(mode="json")
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def policy_sha256(policy: Policy) -> str:
    """SHA-256 of the resolved policy's canonical JSON; recorded with every audit.

    Examples
    --------
    >>> from govern.policies import load_policy
    >>> len(policy_sha256(load_policy("nyc-ll144")))
    64
    """
    return hashlib.sha256(policy.canonical_json().encode("utf-8")).hexdigest()


def policy_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a policy file, for editors and CI validation.

    Examples
    --------
    >>> policy_json_schema()["title"]
    'govern policy'
    """
    return PolicyDocument.model_json_schema(mode="validation")


# A check kind registered later (a plug-in) must be accepted by these models too.
for _model in (Rule, PolicyDocument, Policy):
    rebuild_when_kinds_change(_model)
