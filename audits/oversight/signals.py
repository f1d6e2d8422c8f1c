"""Automation-bias signals: patterns for a person to look at, never verdicts about reviewers.

Automation bias is the tendency to accept a machine's recommendation without the scrutiny a
decision about a person deserves (Parasuraman & Manzey 2010, Human Factors 52(3)); the EU AI
Act asks that people overseeing high-risk AI stay aware of it (Regulation (EU) 2024/1689,
Art. 14(4)(b)). Nothing in a log proves it: a reviewer who never overrides may have had only
clear-cut cases. So these are signals, worded as questions worth asking:

- review that agrees with the model almost always (``high_agreement``);
- a reviewer or team with enough cases who never overrode (``never_overrides``);
- decisions taken within moments of the recommendation (``quick_decisions``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from govern.audits.oversight.rates import Measure, measured
from govern.evidence.oversight import MEDIAN_REVIEW_MINUTES, ReviewerSummary, Signal
from govern.results import MetricRow

if TYPE_CHECKING:
    pass

# Agreement at or above this share of decisions is worth a look (a convention of this
# project, not a legal threshold: docs/oversight.md).
HIGH_AGREEMENT = 0.95
# A median review under this many minutes is worth a look.
QUICK_REVIEW_MINUTES = 1.0
REVIEWER = "__govern_reviewer__"


def reviewer_summaries(
    reviewer: np.ndarray,
    overridden: np.ndarray,
    review_minutes: np.ndarray | None,
    *,
    measure: Measure,
) -> list[ReviewerSummary]:
    """Per reviewer: cases, overrides and the override rate with its interval (the engine's)."""
    import pandas as pd

    frame = pd.DataFrame({REVIEWER: reviewer})
    evidence = measured(frame, overridden, sensitive=[REVIEWER], measure=measure)
    assert evidence is not None  # the log has at least one row
    medians: dict[str, float] = {}
    if review_minutes is not None:
        timed = pd.Series(review_minutes).groupby(pd.Series(reviewer)).median()
        medians = {str(k): float(v) for k, v in timed.items() if np.isfinite(v)}
    counts = pd.Series(overridden).groupby(pd.Series(reviewer)).sum()
    summaries = []
    for group in evidence.groups:
        row = evidence.value("selection_rate", REVIEWER, group.group)
        cases = group.n or 0  # the engine's own evidence: never withheld
        summaries.append(
            ReviewerSummary(
                reviewer=group.group,
                n=cases,
                overrides=int(counts.get(group.group, 0)),
                override_rate=row.value if row else None,
                ci_low=row.ci_low if row else None,
                ci_high=row.ci_high if row else None,
                median_review_minutes=medians.get(group.group),
                enough_cases=cases >= measure.min_group_size,
            )
        )
    return summaries


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def high_agreement(agreement: MetricRow | None, *, minimum: float) -> Signal | None:
    if agreement is None or agreement.value is None or agreement.n < minimum:
        return None
    if agreement.value < HIGH_AGREEMENT:
        return None
    interval = (
        f" ({_percent(agreement.ci_low)} to {_percent(agreement.ci_high)})"
        if agreement.ci_low is not None and agreement.ci_high is not None
        else ""
    )
    return Signal(
        kind="high_agreement",
        sentence=f"Reviewers kept the model's recommendation in {_percent(agreement.value)} of "
        f"{agreement.n:,} decisions{interval}. Agreement this high can mean that review has "
        "become a formality; worth asking whether reviewers have the time, the information and "
        "the standing to disagree.",
        value=agreement.value,
        threshold=HIGH_AGREEMENT,
    )


def never_overrides(reviewers: list[ReviewerSummary]) -> list[Signal]:
    return [
        Signal(
            kind="never_overrides",
            sentence=f"Reviewer '{r.reviewer}' kept every one of the model's {r.n:,} "
            "recommendations they decided. Their cases may all have been clear-cut; worth "
            "asking how they review.",
            subject=r.reviewer,
            value=0.0,
            threshold=0.0,
        )
        for r in reviewers
        if r.enough_cases and r.overrides == 0 and r.reviewer != "unknown"
    ]


def quick_decisions(review_minutes: np.ndarray | None, *, minimum: float) -> Signal | None:
    if review_minutes is None:
        return None
    timed = review_minutes[np.isfinite(review_minutes)]
    if timed.size < minimum or timed.size == 0:
        return None
    median = float(np.median(timed))
    if median >= QUICK_REVIEW_MINUTES:
        return None
    return Signal(
        kind="quick_decisions",
        sentence=f"Half of the {timed.size:,} timed decisions were taken within "
        f"{median * 60:.0f} seconds of the recommendation. Review this fast may not engage "
        "with the person's case; worth asking what reviewers look at.",
        value=median,
        threshold=QUICK_REVIEW_MINUTES,
    )


def median_minutes_by_group(
    codes: dict[str, np.ndarray],
    levels: dict[str, tuple[str, ...]],
    review_minutes: np.ndarray,
    *,
    minimum: float,
) -> list[MetricRow]:
    """Median minutes from recommendation to decision per group of each attribute.

    A description (no interval, no verdict reads it); groups with fewer timed decisions than
    ``minimum`` are left out.
    """
    rows = []
    timed = np.isfinite(review_minutes)
    for attribute, group_codes in codes.items():
        for code, label in enumerate(levels[attribute]):
            values = review_minutes[timed & (group_codes == code)]
            if values.size == 0 or values.size < minimum:
                continue
            rows.append(
                MetricRow(
                    attribute=attribute,
                    group=label,
                    n=int(values.size),
                    metric=MEDIAN_REVIEW_MINUTES,
                    value=float(np.median(values)),
                )
            )
    return rows
