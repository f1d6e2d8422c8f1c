"""Oversight evidence: how human reviewers used a model's recommendations, by group.

Produced by :mod:`govern.audits.oversight` from a decision log holding the model's
recommendation and the final human decision for each person (and, optionally, appeals and
their outcomes, the reviewer, and when each step happened); read by the ``oversight`` check
kind and the report's oversight section.

Every rate is a tidy :class:`~govern.results.MetricRow` with its interval. The names:

- ``agreement_rate``: share of people whose final decision equals the recommendation (one
  minus it is the share overridden);
- ``override_up_rate``: of the people the model did not recommend, the share the reviewer
  selected; ``override_down_rate``: of the people it recommended, the share turned down;
- ``appeal_rate``: share of the group who appealed; ``appeal_upheld_rate``: of the decided
  appeals, the share upheld (pending appeals are counted but left out of the rate);
- ``quick_decision_rate``: share of decisions taken within the quick-review threshold of the
  recommendation (with a timestamp pair);
- ``<rate>_difference`` with group ``*``: the largest gap between the groups judged;
- stage comparison, the same people before and after review: ``impact_ratio_recommended`` and
  ``impact_ratio_decided`` (the fairness engine's impact ratio of each stage) and
  ``impact_ratio_change`` (decided minus recommended; negative means review widened the gap)
  with a paired bootstrap interval; group ``*`` holds the attribute's lowest impact ratio.

Automation-bias **signals** are statements for a person to look at (review that agrees almost
always, a reviewer who never overrides, decisions taken within seconds), never verdicts about
the people reviewing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from govern.evidence import EvidencePart, register_evidence_kind
from govern.evidence.fairness import GroupSummary, SelectionRateTest
from govern.results import ALL_GROUPS, MetricRow, rows_to_frame

if TYPE_CHECKING:
    import pandas as pd

AGREEMENT_RATE = "agreement_rate"
OVERRIDE_UP_RATE = "override_up_rate"
OVERRIDE_DOWN_RATE = "override_down_rate"
APPEAL_RATE = "appeal_rate"
APPEAL_UPHELD_RATE = "appeal_upheld_rate"
QUICK_DECISION_RATE = "quick_decision_rate"
MEDIAN_REVIEW_MINUTES = "median_review_minutes"
SELECTION_RATE_RECOMMENDED = "selection_rate_recommended"
SELECTION_RATE_DECIDED = "selection_rate_decided"
IMPACT_RATIO_RECOMMENDED = "impact_ratio_recommended"
IMPACT_RATIO_DECIDED = "impact_ratio_decided"
IMPACT_RATIO_CHANGE = "impact_ratio_change"

# Rates measured per group (each also has a "<rate>_difference" row with group "*").
OVERSIGHT_RATES: tuple[str, ...] = (
    AGREEMENT_RATE,
    OVERRIDE_UP_RATE,
    OVERRIDE_DOWN_RATE,
    APPEAL_RATE,
    APPEAL_UPHELD_RATE,
    QUICK_DECISION_RATE,
)
STAGE_METRICS: tuple[str, ...] = (
    SELECTION_RATE_RECOMMENDED,
    SELECTION_RATE_DECIDED,
    IMPACT_RATIO_RECOMMENDED,
    IMPACT_RATIO_DECIDED,
    IMPACT_RATIO_CHANGE,
)

SignalKind = Literal["high_agreement", "never_overrides", "quick_decisions"]


def difference_name(rate: str) -> str:
    """The name of the attribute-wide gap of a rate: ``override_up_rate_difference``."""
    return f"{rate}_difference"


class OversightRoles(BaseModel):
    """Which column of the decision log plays which part."""

    recommendation: str = Field(description="The model's recommendation (binary).")
    decision: str = Field(description="The final human decision (binary).")
    appeal: str | None = Field(None, description="1 when the person appealed the decision.")
    appeal_upheld: str | None = Field(
        None, description="1 when the appeal was upheld; empty while it is pending."
    )
    reviewer: str | None = Field(None, description="Who (or which team) decided.")
    recommended_at: str | None = Field(None, description="When the recommendation was made.")
    decided_at: str | None = Field(None, description="When the final decision was taken.")


class ChangeTest(BaseModel):
    """Did review lower one group's impact ratio by more than chance? (paired bootstrap)"""

    attribute: str
    group: str
    change: float | None = Field(description="impact_ratio_decided - impact_ratio_recommended.")
    p_value: float | None = Field(
        description="One-sided bootstrap p-value of 'review did not lower the ratio': the share "
        "of replicates whose change is zero or more."
    )
    p_value_adjusted: float | None = Field(description="Holm-adjusted over the attribute.")
    significant: bool = Field(description="p_value_adjusted < alpha.")


class HomogeneityTest(BaseModel):
    """Do one rate's groups (of one attribute) differ by more than chance?"""

    rate: str
    attribute: str
    groups: list[str] = Field(description="The groups tested: those with enough records.")
    method: Literal["chi_square", "exact_monte_carlo"] = Field(
        description="Pearson's chi-square test of homogeneity, or its exact conditional "
        "version (sampled) when an expected count is under 5."
    )
    p_value: float
    p_value_adjusted: float = Field(description="Holm-adjusted over the rate's attributes.")
    significant: bool


class ReviewerSummary(BaseModel):
    """One reviewer's (or team's) cases, in aggregate."""

    reviewer: str
    n: int = Field(description="Cases decided.")
    overrides: int | None = Field(
        description="Cases where the decision differs from the model's; None when withheld."
    )
    override_rate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    median_review_minutes: float | None = None
    enough_cases: bool = Field(description="At least the minimum number of cases to say anything.")


class Signal(BaseModel):
    """Something for a person to look at; not a finding about anyone."""

    kind: SignalKind
    sentence: str = Field(description="What was seen, in plain words.")
    subject: str | None = Field(None, description="The reviewer concerned, if any.")
    value: float | None = None
    threshold: float | None = None


@register_evidence_kind
class OversightEvidence(EvidencePart):
    """How reviewers used the model's recommendations, by group. Pure data; no verdicts."""

    kind: Literal["oversight"] = "oversight"
    n_rows: int
    roles: OversightRoles
    attributes: list[str] = Field(description="Sensitive attributes, then intersections.")
    groups: list[GroupSummary] = Field(
        default_factory=list, description="Group sizes and whether each is judged."
    )
    overall: list[MetricRow] = Field(
        default_factory=list,
        description=f"Rates over all records (attribute and group '{ALL_GROUPS}').",
    )
    metrics: list[MetricRow] = Field(default_factory=list, description="Per-group rates.")
    stages: list[MetricRow] = Field(
        default_factory=list,
        description="Selection rates and impact ratios of the recommendations and of the final "
        "decisions, and the paired change.",
    )
    rate_tests: dict[str, list[SelectionRateTest]] = Field(
        default_factory=dict,
        description="Per rate, the fairness engine's tests of each group against the group "
        "with the highest rate (Holm-adjusted within an attribute).",
    )
    homogeneity: list[HomogeneityTest] = Field(
        default_factory=list, description="Per rate and attribute, a test over all its groups."
    )
    change_tests: list[ChangeTest] = Field(default_factory=list)
    reviewers: list[ReviewerSummary] = Field(default_factory=list)
    signals: list[Signal] = Field(default_factory=list)
    appeals_pending: int = Field(0, description="Appeals lodged whose outcome is not recorded.")
    unknown_counts: dict[str, int] = Field(default_factory=dict)
    settings: dict[str, float | int | str | None] = Field(default_factory=dict)

    def rows(self) -> list[MetricRow]:
        """Every tidy row: overall, per group, then the stage comparison."""
        return [*self.overall, *self.metrics, *self.stages]

    def to_frame(self) -> pd.DataFrame:
        """The tidy rows as a DataFrame with the columns of ``TIDY_COLUMNS``."""
        return rows_to_frame(self.rows())

    def find(self, metric: str, *, attribute: str | None = None) -> list[MetricRow]:
        """Rows of one metric (optionally of one attribute), overall rows excluded."""
        return [
            row
            for row in [*self.metrics, *self.stages]
            if row.metric == metric and (attribute is None or row.attribute == attribute)
        ]

    def value(self, metric: str, attribute: str, group: str) -> MetricRow | None:
        """The one row of a metric for one group of one attribute, or None."""
        return next((r for r in self.find(metric, attribute=attribute) if r.group == group), None)

    def overall_value(self, metric: str) -> MetricRow | None:
        return next((row for row in self.overall if row.metric == metric), None)

    def group(self, attribute: str, group: str) -> GroupSummary | None:
        return next((g for g in self.groups if g.attribute == attribute and g.group == group), None)

    def tests_for(self, rate: str, attribute: str) -> list[SelectionRateTest]:
        return [t for t in self.rate_tests.get(rate, []) if t.attribute == attribute]

    def homogeneity_for(self, rate: str, attribute: str) -> HomogeneityTest | None:
        return next(
            (t for t in self.homogeneity if t.rate == rate and t.attribute == attribute), None
        )

    def change_test(self, attribute: str, group: str) -> ChangeTest | None:
        return next(
            (t for t in self.change_tests if t.attribute == attribute and t.group == group), None
        )

    def rates_of_roles(self) -> list[str]:
        """The rates the log's columns allow, whether or not a group had enough people for
        its figure to be published."""
        rates = [AGREEMENT_RATE, OVERRIDE_UP_RATE, OVERRIDE_DOWN_RATE]
        if self.roles.appeal is not None:
            rates.append(APPEAL_RATE)
        if self.roles.appeal_upheld is not None:
            rates.append(APPEAL_UPHELD_RATE)
        if self.roles.recommended_at is not None:
            rates.append(QUICK_DECISION_RATE)
        return rates

    def measured(self) -> set[str]:
        """The rates this evidence holds (a rate whose inputs were not given is absent)."""
        return {row.metric for row in self.metrics}
