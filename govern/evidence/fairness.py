"""Fairness evidence: per-group metrics, disparities against a reference group, and tests.

Produced by :mod:`govern.audits.fairness`; read by the ``metric`` check kind and the reports.
Rows are tidy (:class:`govern.results.MetricRow`); lookups by metric, attribute and group go
through indexes built on first use, so an audit with thousands of groups stays linear.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from govern.evidence import EvidencePart, register_evidence_kind
from govern.results import ALL_GROUPS, MetricRow, rows_to_frame

if TYPE_CHECKING:
    import pandas as pd

GroupStatus = Literal["ok", "insufficient_data", "excluded_small_share"]


class GroupSummary(BaseModel):
    """A group's size and whether it takes part in disparity verdicts."""

    attribute: str
    group: str
    n: int | None = Field(
        description="People in the group; None when withheld (too few to publish)."
    )
    share: float | None = Field(description="Share of all records (0-1); None when withheld.")
    status: GroupStatus = "ok"
    is_reference: bool = False
    withheld: Literal["small", "complementary"] | None = Field(
        default=None,
        description="Why the group's figures are not published (govern.disclosure), or None.",
    )


def flips_at(
    *,
    n_group: float,
    selected_group: float,
    n_reference: float,
    selected_reference: float,
    threshold: float,
    reference_includes_group: bool = False,
) -> bool:
    """Would one more selected person of the group reverse an impact ratio below ``threshold``?

    UGESP Questions and Answers, Q&A 21: when moving one person of the group from rejected to
    selected turns a ratio below the threshold into one at or above it, the finding rests on too
    few people to be relied on. False when there is no finding to reverse (ratio undefined or
    already at or above the threshold) or when nobody in the group is left to move. With
    ``reference_includes_group`` the reference counts are everyone's (the overall rate), so the
    person moved counts in the reference too.

    Examples
    --------
    >>> flips_at(n_group=10, selected_group=3, n_reference=10, selected_reference=4,
    ...          threshold=0.8)
    True
    """
    if n_group <= 0 or n_reference <= 0 or selected_reference <= 0:
        return False
    reference_rate = selected_reference / n_reference
    ratio = (selected_group / n_group) / reference_rate
    if not ratio < threshold or selected_group + 1 > n_group:
        return False
    reference_after = (
        (selected_reference + 1) / n_reference if reference_includes_group else reference_rate
    )
    return ((selected_group + 1) / n_group) / reference_after >= threshold


class SelectionRateTest(BaseModel):
    """Statistical and practical significance of one group's selection-rate disparity.

    Follows adverse-impact practice (29 CFR 1607.4(D) and enforcement agencies' habits): Fisher's
    exact test for small counts, a two-proportion z-test otherwise, Holm-adjusted across the
    groups compared; the shortfall in people; and whether one person's outcome flips the finding.
    """

    attribute: str
    group: str
    reference: str = Field(
        description=f"The reference group, or '{ALL_GROUPS}' for the overall rate of all groups."
    )
    n: int
    selected: float
    reference_n: int = Field(
        description="Records of the reference group; against the overall rate, of all the "
        "other groups (the test compares the group with everyone else)."
    )
    reference_selected: float
    impact_ratio: float | None = Field(
        description="The group's selection rate over the reference's (or the overall) rate."
    )
    test: Literal["fisher_exact", "two_proportion_z"]
    statistic: float | None = Field(description="z for the z-test, the odds ratio for Fisher's.")
    p_value: float
    p_value_adjusted: float = Field(description="Holm-adjusted over the groups of the attribute.")
    significant: bool = Field(description="p_value_adjusted < alpha.")
    shortfall: float = Field(
        description="People short of the reference rate: n*ref_rate - selected."
    )
    flip_flop: bool = Field(
        description="Moving one person to selected reverses an impact ratio under 0.8 (the "
        "four-fifths mark); rules with another threshold ask flips_at(threshold)."
    )
    records_needed: int | None = Field(
        default=None,
        description="Rough group size needed to detect an impact ratio below 0.8 (80% power).",
    )

    def flips_at(self, threshold: float) -> bool:
        """The flip-flop test (UGESP Q&A 21) at a rule's own threshold; against the overall
        rate (reference '*') the reference is everyone, the group included."""
        overall = self.reference == ALL_GROUPS
        return flips_at(
            n_group=self.n,
            selected_group=self.selected,
            n_reference=self.reference_n + (self.n if overall else 0),
            selected_reference=self.reference_selected + (self.selected if overall else 0.0),
            threshold=threshold,
            reference_includes_group=overall,
        )


ReferenceRule = Literal["highest_selection_rate", "named_group", "overall_rate"]


class ReferenceChoice(BaseModel):
    """What one attribute's groups were compared with, by which rule, and why.

    The reference is always a group that meets the minimum size (and share); when the rule's
    group does not, or no group does, every group is compared with the overall rate of all the
    attribute's groups (``group`` is None) and ``fallback`` says so.
    """

    attribute: str
    rule: ReferenceRule = Field(description="The rule asked for (the policy's reference).")
    group: str | None = Field(
        description="The reference group, or None when groups are compared with the overall "
        "rate of all groups."
    )
    fallback: bool = Field(description="The rule's group could not be used; see explanation.")
    highest_group: str | None = Field(
        default=None,
        description="The qualifying group with the highest selection rate, which impact ratios "
        "divide by (None: the overall rate, when no group qualifies).",
    )
    explanation: str = Field(description="One sentence for the reader: what and why.")


class SummaryCoverage(BaseModel):
    """Which groups the attribute-wide rows (group '*') of one attribute summarise."""

    attribute: str
    fairlearn_groups: list[str] = Field(
        description="Groups behind the rows named after fairlearn's metrics "
        "(demographic_parity_*, equalized_odds_*, equal_opportunity_*): every group with a "
        "recorded value, as fairlearn computes them."
    )
    judged_groups: list[str] = Field(
        description="Groups behind the other attribute-wide rows (largest gap and smallest "
        "ratio of each rate, lowest impact ratio): the groups large enough to be judged."
    )
    left_out: list[str] = Field(
        default_factory=list,
        description="Recorded groups not among judged_groups (too small, or under the share).",
    )
    counted_as_zero: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per row named after a fairlearn metric, the groups whose rate is undefined "
        "(0/0: no positives, or no negatives) and which fairlearn counts as 0. Such a row equals "
        "fairlearn's figure but is not a measurement: it has no interval and policies do not "
        "judge it.",
    )


_INDEX_KEY = "_govern_lookup_index"


class _Index:
    """Lookups over one evidence object's lists, valid while those very lists are in place."""

    def __init__(self, evidence: FairnessEvidence) -> None:
        self.sources = (evidence.metrics, evidence.disparities, evidence.groups, evidence.tests)
        self.rows: dict[tuple[str, str, str], MetricRow] = {}
        self.by_metric: dict[str, list[MetricRow]] = defaultdict(list)
        self.by_metric_attribute: dict[tuple[str, str], list[MetricRow]] = defaultdict(list)
        for row in evidence.rows():
            self.rows.setdefault((row.metric, row.attribute, row.group), row)
            self.by_metric[row.metric].append(row)
            self.by_metric_attribute[(row.metric, row.attribute)].append(row)
        self.groups = {(g.attribute, g.group): g for g in evidence.groups}
        self.tests = {(t.attribute, t.group): t for t in evidence.tests}

    def valid_for(self, evidence: FairnessEvidence) -> bool:
        current = (evidence.metrics, evidence.disparities, evidence.groups, evidence.tests)
        return all(a is b for a, b in zip(self.sources, current, strict=True))


@register_evidence_kind
class FairnessEvidence(EvidencePart):
    """Everything the fairness engine measured. Pure data; no verdicts."""

    kind: Literal["fairness"] = "fairness"
    n_rows: int
    engine: str = Field(
        default="pandas", description="The data source that built the contingency table."
    )
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
    references: list[ReferenceChoice] = Field(
        default_factory=list, description="Per attribute, what its groups were compared with."
    )
    summary_coverage: list[SummaryCoverage] = Field(
        default_factory=list, description="Per attribute, the groups its '*' rows summarise."
    )
    interval_methods: dict[str, str] = Field(
        default_factory=dict,
        description="How each kind of figure got its interval (see docs/statistics.md).",
    )

    def _lookup(self) -> _Index:
        # The index is kept in the instance's __dict__ beside the fields, where pydantic's
        # equality and serialisation ignore it. A copy made with model_copy(update=...) carries
        # the old index but new lists; the identity check notices and rebuilds.
        index = self.__dict__.get(_INDEX_KEY)
        if not isinstance(index, _Index) or not index.valid_for(self):
            index = _Index(self)
            object.__setattr__(self, _INDEX_KEY, index)
        return index

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
        index = self._lookup()
        if attribute is not None and group is not None:
            row = index.rows.get((metric, attribute, group))
            return [] if row is None else [row]
        if attribute is not None:
            return list(index.by_metric_attribute.get((metric, attribute), []))
        rows = index.by_metric.get(metric, [])
        return [row for row in rows if group is None or row.group == group]

    def value(self, metric: str, attribute: str, group: str) -> MetricRow | None:
        """The one row of a metric for one group of one attribute, or None."""
        return self._lookup().rows.get((metric, attribute, group))

    def group(self, attribute: str, group: str) -> GroupSummary | None:
        """The summary of one group, or None when the audit did not see it."""
        return self._lookup().groups.get((attribute, group))

    def group_status(self, attribute: str, group: str) -> GroupStatus | None:
        summary = self.group(attribute, group)
        return None if summary is None else summary.status

    def test_for(self, attribute: str, group: str) -> SelectionRateTest | None:
        return self._lookup().tests.get((attribute, group))

    def reference_for(self, attribute: str) -> ReferenceChoice | None:
        """What the attribute's groups were compared with, or None when not recorded."""
        return next((r for r in self.references if r.attribute == attribute), None)

    def coverage_for(self, attribute: str) -> SummaryCoverage | None:
        """Which groups the attribute's '*' rows summarise, or None when there are none."""
        return next((c for c in self.summary_coverage if c.attribute == attribute), None)
