"""The names of the metrics the fairness engine emits: one list for the engine that computes them
and the policy language that names them, so a policy can never ask for a metric that does not
exist, nor miss one that does.

fairlearn's names are used where fairlearn has the metric (``selection_rate``,
``true_positive_rate``, ``accuracy_score`` ...); the rest are spelt out in the same style.
"""

from __future__ import annotations

# Describe a group rather than compare it.
SIZE_METRICS: tuple[str, ...] = ("count", "share")

# Rates compared across groups, by what they need: decisions only; decisions and outcomes;
# a score; a score and outcomes.
SELECTION_METRICS: tuple[str, ...] = ("selection_rate",)
LABEL_METRICS: tuple[str, ...] = (
    "base_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "true_negative_rate",
    "precision",
    "negative_predictive_value",
    "false_discovery_rate",
    "false_omission_rate",
    "accuracy_score",
    "error_rate",
)
SCORE_METRICS: tuple[str, ...] = ("mean_score", "median_score", "scoring_rate")
SCORE_LABEL_METRICS: tuple[str, ...] = ("roc_auc", "calibration_error")

GROUP_METRICS: tuple[str, ...] = (
    *SELECTION_METRICS,
    *LABEL_METRICS,
    *SCORE_METRICS,
    *SCORE_LABEL_METRICS,
)

# Attribute-wide summaries, reported on the row whose group is "*": fairlearn's definitions over
# every group with a recorded value, so that each equals fairlearn's metric of the same name.
ATTRIBUTE_METRICS: tuple[str, ...] = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
)

# Per group against the reference group: the impact ratios of 29 CFR 1607.4(D) and
# 6 RCNY 5-301, aif360's average odds difference, and the ratio and difference of every rate.
# On the "*" row, the same names summarise the groups large enough to be judged: the largest
# difference (max - min), the smallest ratio (min / max) and the lowest impact ratio; the
# evidence's summary_coverage lists those groups.
REFERENCE_METRICS: tuple[str, ...] = (
    "impact_ratio",
    "scoring_impact_ratio",
    "average_odds_difference",
    *(f"{name}_ratio" for name in GROUP_METRICS),
    *(f"{name}_difference" for name in GROUP_METRICS),
)

METRIC_NAMES: frozenset[str] = frozenset(
    (*SIZE_METRICS, *GROUP_METRICS, *ATTRIBUTE_METRICS, *REFERENCE_METRICS)
)
