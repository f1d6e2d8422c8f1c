"""The pandas source's score bins, from what an engine can say about a score without sorting rows
in Python: its distinct values, a few order statistics and a weighted median.

:func:`govern.audits.fairness.table.score_bins` needs the whole score column: ``np.unique``,
``np.median`` (the mean of the two middle values when the count is even), ``np.quantile`` with
numpy's default ``linear`` method (Hyndman & Fan's definition 7), and a weighted median (the
first value, in sorted order, at which the cumulative weight reaches half the total). Engines
define quantiles otherwise (DuckDB's ``quantile_cont`` interpolates as ``a + (b - a) * t``,
numpy switches to ``b - (b - a) * (1 - t)`` above ``t = 0.5``; Spark's ``percentile_approx`` is
approximate), so no engine quantile function is used. A SQL source asks its engine only for
order statistics, which every engine computes exactly, and this module repeats numpy's
arithmetic on them, operation for operation.

The weighted median compares running sums of weights with half the total, so it is exact
whenever the engine's sums are (integer weights, halves and quarters, any weights summing
without rounding); a running sum that lands within rounding of exactly half the total can be
decided differently by another summation order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from govern.audits.fairness.table import MAX_SCORE_BINS, ScoreBins

# numpy's quantile levels of score_bins: 1/64, 2/64, ..., 1.
QUANTILE_LEVELS = np.linspace(0.0, 1.0, MAX_SCORE_BINS + 1)[1:]


@dataclass(frozen=True)
class QuantilePlan:
    """Where numpy's ``linear`` quantiles of ``n`` sorted values fall: two neighbours each."""

    below: np.ndarray  # int64 position of the lower neighbour of each quantile
    above: np.ndarray  # int64 position of the upper neighbour
    gamma: np.ndarray  # float64 interpolation weight between them


def quantile_plan(n: int) -> QuantilePlan:
    """The order statistics numpy's ``np.quantile(x, QUANTILE_LEVELS)`` reads for ``n`` values.

    Examples
    --------
    >>> plan = quantile_plan(5)
    >>> plan.below[:2].tolist(), plan.gamma[:2].tolist()
    ([0, 0], [0.0625, 0.125])
    """
    virtual = (n - 1) * QUANTILE_LEVELS
    below = np.floor(virtual)
    above = below + 1
    # numpy reads the last value for a virtual index at or past the end.
    at_end = virtual >= n - 1
    below[at_end] = n - 1
    above[at_end] = n - 1
    # numpy's gamma is taken against its clamped index (-1 for the end), where both neighbours
    # are the last value and the interpolation returns it whatever the weight.
    gamma = virtual - np.where(at_end, -1.0, below)
    return QuantilePlan(below.astype(np.int64), above.astype(np.int64), gamma)


def interpolate(plan: QuantilePlan, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """numpy's ``linear`` interpolation between the neighbours (``numpy._lerp``, exactly)."""
    difference = high - low
    result = low + difference * plan.gamma
    upper = plan.gamma >= 0.5
    result[upper] = (high - difference * (1 - plan.gamma))[upper]
    return result


def median_positions(n: int) -> tuple[int, int]:
    """The two middle positions whose mean ``np.median`` returns (the same one when n is odd)."""
    return (n - 1) // 2, n // 2


def unweighted_median(low: float, high: float) -> float:
    """``np.median``'s value from its two middle order statistics."""
    return float(np.mean(np.array([low, high], dtype=np.float64)))


@dataclass(frozen=True)
class ScoreSummary:
    """What an engine reported about a (validated, finite) score column."""

    n_distinct: int
    minimum: float
    maximum: float
    median: float
    distinct: np.ndarray | None  # every distinct value, sorted, when at most MAX_SCORE_BINS
    quantiles: np.ndarray | None  # np.quantile(score, QUANTILE_LEVELS) otherwise

    @property
    def exact(self) -> bool:
        return self.n_distinct <= MAX_SCORE_BINS


def bin_edges(summary: ScoreSummary) -> np.ndarray:
    """The upper edges of the score bins, as ``score_bins`` chooses them."""
    if summary.exact:
        assert summary.distinct is not None
        return summary.distinct.astype(np.float64)
    assert summary.quantiles is not None
    extra = np.array([summary.median, summary.maximum], dtype=np.float64)
    return np.unique(np.concatenate([summary.quantiles, extra]))


def finish_bins(summary: ScoreSummary, edges: np.ndarray, mass: np.ndarray) -> ScoreBins:
    """The :class:`ScoreBins` of ``score_bins``, given the (weighted) records in each bin."""
    mass = np.asarray(mass, dtype=np.float64)
    before = np.concatenate([[0.0], np.cumsum(mass)[:-1]]) / max(mass.sum(), 1e-300)
    return ScoreBins(
        edges=edges,
        median=summary.median,
        above_median=edges > summary.median,
        exact=summary.exact,
        calibration_bin=np.minimum((before * 10).astype(np.int64), 9),
        in_unit_interval=bool(summary.minimum >= 0.0 and summary.maximum <= 1.0),
    )
