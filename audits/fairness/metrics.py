"""Group metrics from contingency counts, vectorised over bootstrap replicates.

Every function takes arrays of shape ``(R, G, 2, 2, B)`` (replicates, groups, y_true, y_pred,
score bin) and returns ``(R, G)`` arrays; a 0/0 is ``nan`` (reported as ``None``), never an error.
Names follow fairlearn (``selection_rate``, ``true_positive_rate``, ...) where fairlearn has the
metric; sklearn's ``precision_score`` and ``accuracy_score`` give ``precision`` and
``accuracy_score``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from govern.audits.fairness.table import ScoreBins

# Per-group metrics in reporting order (``count`` and ``share`` describe the group; the others are
# rates compared across groups). The names are shared with the policy language.
from govern.metric_names import (
    LABEL_METRICS,
    SCORE_METRICS,
    SELECTION_METRICS,
    SIZE_METRICS,
)


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        result = numerator / denominator
    return np.where(denominator > 0, result, np.nan)


@dataclass(frozen=True)
class Confusion:
    """The four weighted confusion counts (and the group size), each ``(R, G)``."""

    tn: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    tp: np.ndarray

    @property
    def n(self) -> np.ndarray:
        return self.tn + self.fp + self.fn + self.tp

    @classmethod
    def from_counts(cls, counts: np.ndarray) -> Confusion:
        cells = counts.sum(axis=-1)  # (R, G, y_true, y_pred)
        return cls(
            tn=cells[..., 0, 0], fp=cells[..., 0, 1], fn=cells[..., 1, 0], tp=cells[..., 1, 1]
        )


def group_metrics(
    counts: np.ndarray,
    *,
    total: np.ndarray,
    has_y_true: bool,
    score_sums: np.ndarray | None = None,
    bins: ScoreBins | None = None,
) -> dict[str, np.ndarray]:
    """Every per-group metric from counts of shape ``(R, G, 2, 2, B)``.

    Parameters
    ----------
    counts : numpy.ndarray
        Weighted counts per replicate, group, y_true, y_pred and score bin.
    total : numpy.ndarray
        Shape ``(R,)``: all records of the replicate (denominator of ``share``).
    has_y_true : bool
        Whether outcomes were given (label-based metrics are computed only then).
    score_sums, bins : optional
        Weighted score sums per cell and the binning, when a score was given.

    Returns
    -------
    dict of str to numpy.ndarray
        Metric name to an ``(R, G)`` array, ``nan`` where undefined.

    Examples
    --------
    >>> c = np.zeros((1, 1, 2, 2, 1)); c[0, 0, 1, 1, 0] = 3; c[0, 0, 0, 0, 0] = 1
    >>> group_metrics(c, total=np.array([4.0]), has_y_true=True)["selection_rate"]
    array([[0.75]])
    """
    m = Confusion.from_counts(counts)
    n = m.n
    selected = m.tp + m.fp
    out: dict[str, np.ndarray] = {
        "count": n,
        "share": _divide(n, total[:, None] * np.ones_like(n)),
        "selection_rate": _divide(selected, n),
    }
    if has_y_true:
        positives = m.tp + m.fn
        negatives = m.tn + m.fp
        not_selected = m.tn + m.fn
        out.update(
            {
                "base_rate": _divide(positives, n),
                "true_positive_rate": _divide(m.tp, positives),
                "false_positive_rate": _divide(m.fp, negatives),
                "false_negative_rate": _divide(m.fn, positives),
                "true_negative_rate": _divide(m.tn, negatives),
                "precision": _divide(m.tp, selected),
                "negative_predictive_value": _divide(m.tn, not_selected),
                "false_discovery_rate": _divide(m.fp, selected),
                "false_omission_rate": _divide(m.fn, not_selected),
                "accuracy_score": _divide(m.tp + m.tn, n),
                "error_rate": _divide(m.fp + m.fn, n),
            }
        )
    if score_sums is not None and bins is not None:
        out.update(_score_metrics(counts, score_sums, bins, has_y_true=has_y_true))
    return out


def _score_metrics(
    counts: np.ndarray, score_sums: np.ndarray, bins: ScoreBins, *, has_y_true: bool
) -> dict[str, np.ndarray]:
    per_bin = counts.sum(axis=(2, 3))  # (R, G, B)
    sums_per_bin = score_sums.sum(axis=(2, 3))
    n = per_bin.sum(axis=-1)
    out = {
        "mean_score": _divide(sums_per_bin.sum(axis=-1), n),
        # LL144: share of the group scoring strictly above the median of the whole sample.
        "scoring_rate": _divide(per_bin[..., bins.above_median].sum(axis=-1), n),
        "median_score": _binned_median(per_bin, sums_per_bin, n),
    }
    if has_y_true:
        by_label = counts.sum(axis=3)  # (R, G, y_true, B)
        out["roc_auc"] = _binned_auc(by_label[..., 0, :], by_label[..., 1, :])
        if bins.in_unit_interval:
            positives_per_bin = by_label[..., 1, :]
            out["calibration_error"] = _expected_calibration_error(
                per_bin, sums_per_bin, positives_per_bin, bins.calibration_bin, n
            )
    return out


def _binned_median(per_bin: np.ndarray, sums_per_bin: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Median of the group's scores, each bin standing at its mean score.

    Exact (``numpy.median``'s convention: the mean of the two middle values for an even count)
    when every distinct score has its own bin; otherwise accurate to within a bin.
    """
    value = _divide(sums_per_bin, per_bin)
    cumulative = np.cumsum(per_bin, axis=-1)
    half = n[..., None] / 2.0
    # First bin whose cumulative count reaches half of the group ...
    first = np.argmax(cumulative >= half - 1e-9 * np.maximum(half, 1.0), axis=-1)
    lower = np.take_along_axis(value, first[..., None], axis=-1)[..., 0]
    reached = np.take_along_axis(cumulative, first[..., None], axis=-1)[..., 0]
    # ... and, when exactly half lies at or below it, the next non-empty bin: the two middle
    # values straddle the boundary.
    filled = per_bin > 0
    index = np.arange(per_bin.shape[-1])
    later = filled & (index > first[..., None])
    has_next = later.any(axis=-1)
    following = np.where(has_next, np.argmax(later, axis=-1), first)
    upper = np.take_along_axis(value, following[..., None], axis=-1)[..., 0]
    exactly_half = np.isclose(reached, n / 2.0, rtol=1e-12, atol=1e-12) & has_next
    median = np.where(exactly_half, (lower + upper) / 2.0, lower)
    return np.where(n > 0, median, np.nan)


def _binned_auc(negatives: np.ndarray, positives: np.ndarray) -> np.ndarray:
    """ROC AUC = P(score of a positive > score of a negative) + half the ties, from bins.

    Equals ``sklearn.metrics.roc_auc_score`` when every distinct score has its own bin (the
    Mann-Whitney form of the AUC, Hanley & McNeil 1982).
    """
    below = np.cumsum(negatives, axis=-1) - negatives
    wins = (positives * (below + 0.5 * negatives)).sum(axis=-1)
    return _divide(wins, positives.sum(axis=-1) * negatives.sum(axis=-1))


def _expected_calibration_error(
    per_bin: np.ndarray,
    sums_per_bin: np.ndarray,
    positives_per_bin: np.ndarray,
    calibration_bin: np.ndarray,
    n: np.ndarray,
) -> np.ndarray:
    """Weighted mean |mean score - observed positive rate| over ~10 equal-mass score bins.

    The expected calibration error of Naeini, Cooper & Hauskrecht (2015): sum_b (n_b/n) *
    |mean_score_b - positive_rate_b| = sum_b |score_sum_b - positives_b| / n.
    """
    n_coarse = int(calibration_bin.max()) + 1
    gap = np.zeros((*per_bin.shape[:-1], n_coarse))
    difference = sums_per_bin - positives_per_bin
    for coarse in range(n_coarse):
        members = calibration_bin == coarse
        gap[..., coarse] = difference[..., members].sum(axis=-1)
    return _divide(np.abs(gap).sum(axis=-1), n)


def available_metrics(*, has_y_true: bool, has_score: bool, in_unit_interval: bool) -> list[str]:
    """The per-group metrics an audit reports, in order, given what the data holds."""
    names = [*SIZE_METRICS, *SELECTION_METRICS]
    if has_y_true:
        names += LABEL_METRICS
    if has_score:
        names += SCORE_METRICS
        if has_y_true:
            names += ["roc_auc"] + (["calibration_error"] if in_unit_interval else [])
    return names
