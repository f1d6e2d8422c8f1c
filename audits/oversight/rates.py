"""Oversight rates by group, measured by the fairness engine.

Every oversight rate is the share of a set of people for whom something is true: agreement is
the share whose decision equals the recommendation; the upward override rate is, among the
people the model did not recommend, the share selected; and so on. Each is therefore the
"selection rate" of a 0/1 indicator on a subset of the log, which :func:`audit_fairness` already
measures per group and intersection with intervals, a gap between groups and significance
tests. This module builds the indicator and renames the engine's figures; it never computes a
rate itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from govern.evidence.fairness import FairnessEvidence, GroupSummary, SelectionRateTest
from govern.evidence.oversight import difference_name
from govern.results import ALL_GROUPS, MetricRow

if TYPE_CHECKING:
    import pandas as pd

# Column names the indicator and the everyone-group take while the engine measures them.
INDICATOR = "__govern_indicator__"
EVERYONE = "__govern_everyone__"
# How overall rows are labelled: every record, not one attribute's group.
OVERALL = "overall"


@dataclass(frozen=True)
class Measure:
    """How the engine measures (the policy's settings, or the command's options)."""

    n_boot: int = 1000
    seed: int = 0
    min_group_size: float = 30
    alpha: float = 0.05
    confidence_level: float = 0.95
    exclude_below_share: float | None = None


@dataclass
class RateFigures:
    """One rate, per group, with its attribute-wide gap, tests and group summaries."""

    metric: str
    rows: list[MetricRow] = field(default_factory=list)
    gaps: list[MetricRow] = field(default_factory=list)
    tests: list[SelectionRateTest] = field(default_factory=list)
    groups: list[GroupSummary] = field(default_factory=list)
    evidence: FairnessEvidence | None = None


def measured(
    frame: pd.DataFrame,
    indicator: np.ndarray,
    *,
    sensitive: list[str],
    measure: Measure,
    mask: np.ndarray | None = None,
    reference: dict[str, str] | None = None,
) -> FairnessEvidence | None:
    """The engine's evidence for the indicator on the rows in ``mask``; None when none.

    ``reference`` (attribute -> group) fixes the group that ratios and differences compare with
    (the impact ratio itself is always against the highest rate, 29 CFR 1607.4(D)).
    """
    from govern.audits.fairness import audit_fairness

    rows = frame if mask is None else frame.loc[mask]
    if len(rows) == 0:
        return None
    values = indicator if mask is None else indicator[mask]
    data = rows.assign(**{INDICATOR: np.asarray(values, dtype=np.int8)})
    return audit_fairness(
        data,
        y_pred=INDICATOR,
        sensitive=sensitive,
        intersections=len(sensitive) > 1,
        reference=reference or None,
        n_boot=measure.n_boot,
        seed=measure.seed,
        min_group_size=measure.min_group_size,
        exclude_below_share=measure.exclude_below_share,
        alpha=measure.alpha,
        confidence_level=measure.confidence_level,
    )


def rate_figures(
    metric: str,
    frame: pd.DataFrame,
    indicator: np.ndarray,
    *,
    sensitive: list[str],
    measure: Measure,
    mask: np.ndarray | None = None,
) -> RateFigures:
    """The rate of ``indicator`` among the rows in ``mask``, by group, named ``metric``."""
    evidence = measured(frame, indicator, sensitive=sensitive, measure=measure, mask=mask)
    if evidence is None:
        return RateFigures(metric)
    gap = difference_name(metric)
    return RateFigures(
        metric=metric,
        rows=[r.model_copy(update={"metric": metric}) for r in evidence.find("selection_rate")],
        gaps=[
            r.model_copy(update={"metric": gap})
            for r in evidence.find("selection_rate_difference", group=ALL_GROUPS)
        ],
        tests=list(evidence.tests),
        groups=list(evidence.groups),
        evidence=evidence,
    )


def overall_rate(
    metric: str,
    frame: pd.DataFrame,
    indicator: np.ndarray,
    *,
    measure: Measure,
    mask: np.ndarray | None = None,
) -> MetricRow | None:
    """The rate over every record in ``mask`` (one group of everyone), with its interval."""
    everyone = frame.assign(**{EVERYONE: "all"})[[EVERYONE]]
    evidence = measured(everyone, indicator, sensitive=[EVERYONE], measure=measure, mask=mask)
    if evidence is None:
        return None
    row = evidence.value("selection_rate", EVERYONE, "all")
    if row is None:
        return None
    return row.model_copy(update={"metric": metric, "attribute": OVERALL, "group": ALL_GROUPS})
