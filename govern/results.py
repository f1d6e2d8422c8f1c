"""Result types shared by the audits, the policy evaluator, the register and the renderers.

Evidence is computed once by ``govern.audits`` and is pure data; policies read it and decide;
renderers read both. Everything here is a pydantic model, so it serialises to JSON unchanged.

The tidy metric row (``attribute, group, n, metric, value, ci_low, ci_high``) is the one shape
metrics take everywhere: in JSON output, in ``.to_frame()`` and in logged artifacts.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    import pandas as pd

TIDY_COLUMNS = ("attribute", "group", "n", "metric", "value", "ci_low", "ci_high")

# Rows that summarise a whole attribute (for example ``demographic_parity_difference``) rather
# than one of its groups carry this in the ``group`` column.
ALL_GROUPS = "*"

# Intersections are named by joining attribute names, and their groups by joining group labels.
INTERSECTION_SEPARATOR = " & "

# A missing value in a sensitive attribute is a group of its own, never silently dropped.
UNKNOWN_GROUP = "unknown"

Verdict = Literal["pass", "fail", "waived", "not_applicable", "insufficient_data"]
Severity = Literal["blocking", "warning", "info"]
GroupStatus = Literal["ok", "insufficient_data", "excluded_small_share"]


class MetricRow(BaseModel):
    """One tidy row: the value of one metric for one group of one attribute, with its interval."""

    model_config = ConfigDict(frozen=True)

    attribute: str = Field(description="Sensitive attribute or intersection ('sex & ethnicity').")
    group: str = Field(description=f"Group label, or '{ALL_GROUPS}' for attribute-wide rows.")
    n: int = Field(description="Records (or summed weights, rounded) behind the value.")
    metric: str = Field(description="fairlearn's name where fairlearn has the metric.")
    value: float | None = Field(description="Point estimate; None when undefined (0/0).")
    ci_low: float | None = Field(default=None, description="Lower confidence bound.")
    ci_high: float | None = Field(default=None, description="Upper confidence bound.")


def rows_to_frame(rows: list[MetricRow]) -> pd.DataFrame:
    """Turn tidy rows into a DataFrame with exactly the tidy columns, in order."""
    import pandas as pd

    frame = pd.DataFrame([row.model_dump() for row in rows], columns=list(TIDY_COLUMNS))
    return frame.astype(
        {"n": "int64", "value": "float64", "ci_low": "float64", "ci_high": "float64"}
    )


class GroupSummary(BaseModel):
    """A group's size and whether it takes part in disparity verdicts."""

    attribute: str
    group: str
    n: int
    share: float = Field(description="Share of all records (0-1).")
    status: GroupStatus = "ok"
    is_reference: bool = False


class SelectionRateTest(BaseModel):
    """Statistical and practical significance of one group's selection-rate disparity.

    Follows adverse-impact practice (29 CFR 1607.4(D) and enforcement agencies' habits): Fisher's
    exact test for small counts, a two-proportion z-test otherwise, Holm-adjusted across the
    groups compared; the shortfall in people; and whether one person's outcome flips the finding.
    """

    attribute: str
    group: str
    reference: str
    n: int
    selected: float
    reference_n: int
    reference_selected: float
    impact_ratio: float | None
    test: Literal["fisher_exact", "two_proportion_z"]
    statistic: float | None = Field(description="z for the z-test, the odds ratio for Fisher's.")
    p_value: float
    p_value_adjusted: float = Field(description="Holm-adjusted over the groups of the attribute.")
    significant: bool = Field(description="p_value_adjusted < alpha.")
    shortfall: float = Field(
        description="People short of the reference rate: n*ref_rate - selected."
    )
    flip_flop: bool = Field(description="Moving one person to selected reverses IR < 0.8.")
    records_needed: int | None = Field(
        default=None,
        description="Rough group size needed to detect an impact ratio below 0.8 (80% power).",
    )


class FairnessEvidence(BaseModel):
    """Everything the fairness engine measured. Pure data; no verdicts."""

    kind: Literal["fairness"] = "fairness"
    n_rows: int
    attributes: list[str] = Field(description="Sensitive attributes, then intersections.")
    intersections: list[list[str]] = Field(default_factory=list)
    reference_groups: dict[str, str] = Field(default_factory=dict)
    groups: list[GroupSummary] = Field(default_factory=list)
    metrics: list[MetricRow] = Field(default_factory=list, description="Per-group metrics.")
    disparities: list[MetricRow] = Field(
        default_factory=list,
        description="Per-group ratios and differences against the reference, and attribute-wide "
        f"summaries (group '{ALL_GROUPS}').",
    )
    tests: list[SelectionRateTest] = Field(default_factory=list)
    unknown_counts: dict[str, int] = Field(
        default_factory=dict, description="Records whose attribute was missing, per attribute."
    )
    settings: dict[str, float | int | str | None] = Field(default_factory=dict)

    def rows(self) -> list[MetricRow]:
        """Per-group metrics then disparities, all as tidy rows."""
        return [*self.metrics, *self.disparities]

    def to_frame(self) -> pd.DataFrame:
        """The tidy rows as a DataFrame with the columns of ``TIDY_COLUMNS``."""
        return rows_to_frame(self.rows())

    def find(
        self, metric: str, *, attribute: str | None = None, group: str | None = None
    ) -> list[MetricRow]:
        """Rows of one metric, optionally narrowed to an attribute and a group."""
        return [
            row
            for row in self.rows()
            if row.metric == metric
            and (attribute is None or row.attribute == attribute)
            and (group is None or row.group == group)
        ]

    def group_status(self, attribute: str, group: str) -> GroupStatus | None:
        for summary in self.groups:
            if summary.attribute == attribute and summary.group == group:
                return summary.status
        return None

    def test_for(self, attribute: str, group: str) -> SelectionRateTest | None:
        for test in self.tests:
            if test.attribute == attribute and test.group == group:
                return test
        return None


class ProxyScore(BaseModel):
    """How strongly one input feature encodes a sensitive attribute (0 none, 1 fully)."""

    feature: str
    attribute: str
    strength: float
    method: str = Field(description="How strength was measured, e.g. 'cramers_v', 'mutual_info'.")


class FeatureImportance(BaseModel):
    feature: str
    importance: float
    method: str


class TransparencyEvidence(BaseModel):
    """What is known about a model's inputs and how it can be explained."""

    kind: Literal["transparency"] = "transparency"
    model_inputs: list[str] | None = Field(
        default=None, description="Feature names the model reads; None when unknown (vendor tool)."
    )
    sensitive_attributes: list[str] = Field(default_factory=list)
    proxies: list[ProxyScore] = Field(default_factory=list)
    global_explanation: list[FeatureImportance] | None = None


class DocumentationEvidence(BaseModel):
    """The model card's fields as flat dotted keys (``intended_use.primary_uses``) → text."""

    kind: Literal["documentation"] = "documentation"
    fields: dict[str, str] = Field(default_factory=dict)


class Approval(BaseModel):
    role: str
    by: str
    at: dt.datetime
    comment: str = ""


class ProcessEvidence(BaseModel):
    """Facts about the governance process around a model version."""

    kind: Literal["process"] = "process"
    last_audit_at: dt.datetime | None = None
    owner: str | None = None
    appeal_route: str | None = None
    risk_tier: str | None = None
    purpose: str | None = None
    approvals: list[Approval] | None = Field(
        default_factory=list,
        description="Sign-offs recorded; None when sign-off is left to the deployment gate "
        "(an audit runs before anyone can sign off on its findings).",
    )
    register_missing_fields: list[str] | None = Field(
        default=None, description="Register fields still empty; None when not checked."
    )


class Evidence(BaseModel):
    """All evidence one audit gathered; a rule whose part is absent is not_applicable."""

    fairness: FairnessEvidence | None = None
    transparency: TransparencyEvidence | None = None
    documentation: DocumentationEvidence | None = None
    process: ProcessEvidence | None = None


class WaiverApplied(BaseModel):
    rule_id: str
    justification: str
    approver: str
    expires: dt.date
    expired: bool


class RuleResult(BaseModel):
    """The verdict on one rule, with what was measured and one plain-language sentence."""

    rule_id: str
    title: str
    severity: Severity
    check: str = Field(description="metric, transparency, documentation or process.")
    verdict: Verdict
    sentence: str = Field(description="What was found, fit for an oversight board.")
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    threshold: float | None = None
    comparison: str | None = Field(default=None, description="For example 'impact_ratio >= 0.8'.")
    attribute: str | None = None
    group: str | None = None
    details: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    waiver: WaiverApplied | None = None


class PolicyResult(BaseModel):
    """The verdicts of every rule of a policy on one body of evidence."""

    policy_name: str
    policy_version: str
    policy_sha256: str
    evaluated_on: dt.date
    rules: list[RuleResult]

    @property
    def blocking_failures(self) -> list[RuleResult]:
        return [r for r in self.rules if r.severity == "blocking" and r.verdict == "fail"]

    @property
    def passed(self) -> bool:
        """True when no blocking rule failed. Waived, unknown and warnings do not fail a policy."""
        return not self.blocking_failures

    @property
    def status(self) -> Literal["pass", "fail"]:
        return "pass" if self.passed else "fail"


class ModelRef(BaseModel):
    """Which registered model version (if any) an audit is about."""

    name: str
    version: str | None = None
    run_id: str | None = None


class DataFingerprint(BaseModel):
    sha256: str
    n_rows: int
    columns: list[str]
    source: str | None = Field(default=None, description="File name only; never row data.")


class AuditResult(BaseModel):
    """One audit: what was audited, with which data and policy, the evidence and the verdicts."""

    model_config = ConfigDict(protected_namespaces=())

    govern_version: str
    created_at: dt.datetime
    model: ModelRef | None = None
    data: DataFingerprint
    evidence: Evidence
    policy: PolicyResult | None = None

    @property
    def status(self) -> Literal["pass", "fail", "no_policy"]:
        return "no_policy" if self.policy is None else self.policy.status
