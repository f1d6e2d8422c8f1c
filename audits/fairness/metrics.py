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

from govern.audits.fairness.intervals import effective_counts
from govern.audits.fairness.table import ScoreBins

# Per-group metrics in reporting order (``count`` and ``share`` describe the group; the others are
# rates compared across groups). The names are shared with the policy language.
from govern.metric_names import (
    LABEL_METRICS,
    SCORE_METRICS,
    SELECTION_METRICS,
    SIZE_METRICS,
)


def divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
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
        "share": divide(n, total[:, None] * np.ones_like(n)),
        "selection_rate": divide(selected, n),
    }
    if has_y_true:
        positives = m.tp + m.fn
        negatives = m.tn + m.fp
        not_selected = m.tn + m.fn
        out.update(
            {
                "base_rate": divide(positives, n),
                "true_positive_rate": divide(m.tp, positives),
                "false_positive_rate": divide(m.fp, negatives),
                "false_negative_rate": divide(m.fn, positives),
                "true_negative_rate": divide(m.tn, negatives),
                "precision": divide(m.tp, selected),
                "negative_predictive_value": divide(m.tn, not_selected),
                "false_discovery_rate": divide(m.fp, selected),
                "false_omission_rate": divide(m.fn, not_selected),
                "accuracy_score": divide(m.tp + m.tn, n),
                "error_rate": divide(m.fp + m.fn, n),
            }
        )
    if score_sums is not None and bins is not None:
        out.update(score_metrics(counts, score_sums, bins, has_y_true=has_y_true))
    return out


def score_metrics(
    counts: np.ndarray, score_sums: np.ndarray, bins: ScoreBins, *, has_y_true: bool
) -> dict[str, np.ndarray]:
    """The score metrics alone (of :func:`group_metrics`), from ``(R, G, 2, 2, B)`` arrays."""
    per_bin = counts.sum(axis=(2, 3))  # (R, G, B)
    sums_per_bin = score_sums.sum(axis=(2, 3))
    n = per_bin.sum(axis=-1)
    out = {
        "mean_score": divide(sums_per_bin.sum(axis=-1), n),
        # LL144: share of the group scoring strictly above the median of the whole sample.
        "scoring_rate": divide(per_bin[..., bins.above_median].sum(axis=-1), n),
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
    value = divide(sums_per_bin, per_bin)
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
    return divide(wins, positives.sum(axis=-1) * negatives.sum(axis=-1))


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
    return divide(np.abs(gap).sum(axis=-1), n)


# Each rate as (numerator cells, denominator cells) of the (y_true, y_pred) confusion table; the
# closed-form intervals need the counts behind a rate, not only its value. ``scoring_rate``
# (score bins above the median) and ``share`` (of all records) are handled by ``rate_counts``.
_EVERYONE = ((0, 0), (0, 1), (1, 0), (1, 1))
_POSITIVES, _NEGATIVES = ((1, 0), (1, 1)), ((0, 0), (0, 1))
_SELECTED, _REJECTED = ((0, 1), (1, 1)), ((0, 0), (1, 0))
RATE_CELLS: dict[str, tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]] = {
    "selection_rate": (_SELECTED, _EVERYONE),
    "base_rate": (_POSITIVES, _EVERYONE),
    "true_positive_rate": (((1, 1),), _POSITIVES),
    "false_positive_rate": (((0, 1),), _NEGATIVES),
    "false_negative_rate": (((1, 0),), _POSITIVES),
    "true_negative_rate": (((0, 0),), _NEGATIVES),
    "precision": (((1, 1),), _SELECTED),
    "negative_predictive_value": (((0, 0),), _REJECTED),
    "false_discovery_rate": (((0, 1),), _SELECTED),
    "false_omission_rate": (((1, 0),), _REJECTED),
    "accuracy_score": (((0, 0), (1, 1)), _EVERYONE),
    "error_rate": (((0, 1), (1, 0)), _EVERYONE),
}
RATE_METRICS = frozenset([*RATE_CELLS, "scoring_rate", "share"])


@dataclass(frozen=True)
class RateCounts:
    """The (weighted) counts behind a rate per group, each ``(G,)`` (or ``(M, G)`` for several
    rates stacked): ``successes / trials``.

    ``squares`` sums the squared weights of the trials' records (None when unweighted); it
    turns weighted counts into the effective counts the closed-form intervals take.
    """

    successes: np.ndarray
    trials: np.ndarray
    squares: np.ndarray | None = None

    def effective(self) -> tuple[np.ndarray, np.ndarray]:
        """Counts with the precision of the rate: the counts themselves, or Kish's (weighted)."""
        if self.squares is None:
            return self.successes, self.trials
        return effective_counts(self.successes, self.trials, self.squares)

    def take(self, groups: np.ndarray) -> RateCounts:
        """The counts of some groups only (indices into the last axis)."""
        return RateCounts(
            self.successes[..., groups],
            self.trials[..., groups],
            None if self.squares is None else self.squares[..., groups],
        )

    def pooled(self, members: np.ndarray) -> RateCounts:
        """The rate of the groups ``members`` taken together, as one group (last axis)."""
        return RateCounts(
            self.successes[..., members].sum(axis=-1, keepdims=True),
            self.trials[..., members].sum(axis=-1, keepdims=True),
            None
            if self.squares is None
            else self.squares[..., members].sum(axis=-1, keepdims=True),
        )

    @classmethod
    def stack(cls, rates: list[RateCounts]) -> RateCounts:
        """Several rates' counts as one ``(M, G)`` set, to compute their intervals at once."""
        squares = [r.squares for r in rates if r.squares is not None]
        return cls(
            np.stack([r.successes for r in rates]),
            np.stack([r.trials for r in rates]),
            np.stack(squares) if len(squares) == len(rates) else None,
        )

    def without(self, pool: RateCounts) -> RateCounts:
        """Per group, the pooled groups other than itself (for comparisons with everyone else)."""
        return RateCounts(
            pool.successes - self.successes,
            pool.trials - self.trials,
            None if self.squares is None or pool.squares is None else pool.squares - self.squares,
        )


def _cells(array: np.ndarray, cells: tuple[tuple[int, int], ...]) -> np.ndarray:
    by_label = array.sum(axis=-1)  # (G, y_true, y_pred)
    return sum((by_label[:, t, p] for t, p in cells), np.zeros(array.shape[0]))


def rate_counts(
    counts: np.ndarray,
    squares: np.ndarray | None,
    *,
    bins: ScoreBins | None,
    total: float,
    total_squares: float | None,
) -> dict[str, RateCounts]:
    """The counts behind every rate of groups whose counts have shape ``(G, 2, 2, B)``."""
    out: dict[str, RateCounts] = {}
    for name, (numerator, denominator) in RATE_CELLS.items():
        out[name] = RateCounts(
            _cells(counts, numerator),
            _cells(counts, denominator),
            None if squares is None else _cells(squares, denominator),
        )
    everyone = _cells(counts, _EVERYONE)
    everyone_squares = None if squares is None else _cells(squares, _EVERYONE)
    if bins is not None:
        above = counts.sum(axis=(1, 2))[:, bins.above_median].sum(axis=-1)
        out["scoring_rate"] = RateCounts(above, everyone, everyone_squares)
    out["share"] = RateCounts(
        everyone,
        np.full(everyone.shape, total),
        None if total_squares is None else np.full(everyone.shape, total_squares),
    )
    return out


def mean_score_error(
    counts: np.ndarray, score_sums: np.ndarray, effective_n: np.ndarray
) -> np.ndarray:
    """Standard error of each group's mean score, from ``(R, G, 2, 2, B)`` cells.

    Each cell's records stand at the cell's mean score (exact when every distinct score has its
    own bin; otherwise the within-bin spread, small beside the spread across 64 bins, is left
    out): ``se^2 = sum_c w_c (s_c - mean)^2 / sum_c w_c / (n - 1)``, with ``n`` the group's
    (effective) number of records, shape ``(R, G)``.
    """
    n = counts.sum(axis=(2, 3, 4))
    mean = divide(score_sums.sum(axis=(2, 3, 4)), n)
    cell_mean = divide(score_sums, counts)
    spread = np.where(counts > 0, counts * (cell_mean - mean[..., None, None, None]) ** 2, 0.0)
    variance = divide(spread.sum(axis=(2, 3, 4)), n)
    return np.sqrt(divide(variance, effective_n - 1.0))


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
