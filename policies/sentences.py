"""Plain-language sentences for an oversight board: one per rule, saying what was found."""

from __future__ import annotations

from govern.evidence.fairness import SelectionRateTest
from govern.policies.fields import SELECTION_RATIO_METRICS
from govern.results import ALL_GROUPS, MetricRow

# The verbs of the impact-ratio sentences: selection rates (29 CFR 1607.4(D)) and scoring rates
# (6 RCNY 5-301: the share scoring above the sample median).
_RATE_VERBS = {
    "impact_ratio": "was selected",
    "selection_rate_ratio": "was selected",
    "scoring_impact_ratio": "scored above the median",
    "scoring_rate_ratio": "scored above the median",
}


def percent(value: float) -> str:
    """``0.6234`` -> ``62%``."""
    return f"{value * 100:.0f}%"


def number(value: float) -> str:
    """Up to three significant digits, no trailing zeros: ``0.1234`` -> ``0.123``."""
    return f"{value:.3g}"


def p_text(p_value: float) -> str:
    """``p = 0.003``, or ``p < 0.001`` for very small values."""
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


def label(metric: str) -> str:
    return metric.replace("_", " ")


def who(row: MetricRow) -> str:
    if row.group == ALL_GROUPS:
        return f"across {row.attribute}"
    return f"for group '{row.group}' of {row.attribute}"


def interval(row: MetricRow, confidence: float, *, as_percent: bool) -> str:
    if row.ci_low is None or row.ci_high is None:
        return ""
    fmt = percent if as_percent else number
    return f" ({confidence * 100:.0f}% CI {fmt(row.ci_low)}–{fmt(row.ci_high)})"


def bound_words(comparison: str, threshold: float, *, holds: bool) -> str:
    if comparison in (">=", ">"):
        return (
            f"meeting the {threshold:g} threshold"
            if holds
            else f"below the {threshold:g} threshold"
        )
    return f"within the {threshold:g} limit" if holds else f"above the {threshold:g} limit"


def finding(
    metric: str,
    row: MetricRow,
    reference: str | None,
    comparison: str,
    threshold: float,
    confidence: float,
    *,
    holds: bool,
) -> str:
    """One clause on one row, e.g. "Group 'female' of sex was selected at 62% of the rate of
    'male' (95% CI 55%–70%), below the 0.8 threshold"."""
    assert row.value is not None
    words = bound_words(comparison, threshold, holds=holds)
    if metric in _RATE_VERBS and row.group != ALL_GROUPS:
        of_whom = (
            "all groups together"  # the overall rate (reference '*')
            if reference == ALL_GROUPS
            else f"'{reference}'"
            if reference
            else "the reference group"
        )
        return (
            f"Group '{row.group}' of {row.attribute} {_RATE_VERBS[metric]} at "
            f"{percent(row.value)} of the rate of {of_whom}"
            f"{interval(row, confidence, as_percent=True)}, {words}"
        )
    text = f"The {label(metric)} {who(row)} was {number(row.value)}"
    return f"{text}{interval(row, confidence, as_percent=False)}, {words}"


def significance(test: SelectionRateTest | None, alpha: float, threshold: float) -> str:
    """The clause on statistical significance of a failing row (29 CFR 1607.4(D)); the
    flip-flop test is taken at the rule's own threshold."""
    if test is None:
        return "no significance test is in the evidence, so the finding cannot be confirmed"
    if test.flips_at(threshold):
        return (
            "the finding reverses if one more person in the group were selected (a flip-flop, "
            "UGESP Q&A 21), so it is not relied on"
        )
    p = p_text(test.p_value_adjusted)
    if test.significant:
        return f"the difference is statistically significant ({p})"
    needed = (
        f"; about {test.records_needed} records per group would be needed to tell"
        if test.records_needed
        else ""
    )
    return (
        f"the difference is not statistically significant at alpha {alpha:g} ({p}), "
        f"so the sample is too small to conclude{needed}"
    )


def count_words(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def mentioned(names: list[str]) -> str:
    return ", ".join(names)


MAX_SHOWN = 5


def listing(names: list[str]) -> str:
    """At most five names, then how many more."""
    if len(names) <= MAX_SHOWN:
        return mentioned(names)
    return f"{mentioned(names[:MAX_SHOWN])} and {len(names) - MAX_SHOWN} more"


__all__ = [
    "SELECTION_RATIO_METRICS",
    "bound_words",
    "count_words",
    "finding",
    "interval",
    "label",
    "listing",
    "number",
    "p_text",
    "percent",
    "significance",
]
