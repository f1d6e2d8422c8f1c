"""The contingency table every fairness figure is computed from.

One pass over the rows counts (weighted) records in each cell of
``attribute_1 x ... x attribute_k x y_true x y_pred x score_bin``. These counts are sufficient
statistics for every count-based metric of every attribute and every intersection (marginalise
the other attributes away), and for bootstrap replicates (resample the counts, not the rows).

Only a data source (:mod:`govern.audits.sources`) touches rows. The numpy builder here, which
the pandas source uses, factorises the columns, combines the codes into one cell index and calls
``np.bincount`` once; a DuckDB or Spark source runs a ``GROUP BY`` and hands back the same
:class:`ContingencyTable`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from govern.data import EvaluationData

# Scores with at most this many distinct values get one bin per value (every score figure is then
# exact); more distinct values are cut at quantiles, always including the median as an edge so
# that the LL144 scoring rate stays exact.
MAX_SCORE_BINS = 64


@dataclass(frozen=True)
class ScoreBins:
    """How scores were binned: bin ``i`` holds scores in ``(edges[i-1], edges[i]]``."""

    edges: np.ndarray
    median: float
    above_median: np.ndarray  # bool per bin: every score in the bin is > median
    exact: bool  # one bin per distinct score value
    calibration_bin: np.ndarray  # int per bin: which of ~10 equal-mass bins it joins
    in_unit_interval: bool  # all scores in [0, 1], so calibration error is meaningful


@dataclass(frozen=True)
class ContingencyTable:
    """Weighted counts over sensitive cells x y_true x y_pred x score bin.

    ``counts`` has shape ``(*level_sizes, 2, 2, n_bins)``; with no ``y_true`` every record sits at
    ``y_true == 0``. Each attribute's ``levels`` are sorted with the unknown group last.
    ``score_sums`` (same shape) holds the weighted sum of scores per cell.
    """

    attributes: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]
    counts: np.ndarray
    score_sums: np.ndarray | None
    has_y_true: bool
    bins: ScoreBins | None
    n_rows: int
    # Unweighted records per cell (same shape as ``counts``), when ``counts`` are weighted; a
    # builder that cannot count them leaves None and the bootstrap falls back to ``n_rows``.
    record_counts: np.ndarray | None = None
    # Sum of squared weights per cell (same shape), when ``counts`` are weighted: what Kish's
    # effective sample size needs for the closed-form intervals. A builder that cannot sum them
    # leaves None, and each record is taken to carry its cell's mean weight (see
    # ``weight_squares_or_estimate``).
    weight_squares: np.ndarray | None = None

    @property
    def total(self) -> float:
        return float(self.counts.sum())

    @property
    def cell_shape(self) -> tuple[int, ...]:
        return tuple(self.counts.shape)

    def weight_squares_or_estimate(self, weighted: bool) -> np.ndarray | None:
        """Sum of squared weights per cell: given, or estimated; None for unweighted counts.

        Without sums of squares, every record of a cell is taken to carry the cell's mean weight
        (``counts**2 / records``, exact when weights are constant within cells); without record
        counts either, every record carries the mean weight of the whole table.
        """
        if not weighted:
            return None
        if self.weight_squares is not None:
            return self.weight_squares
        if self.record_counts is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(self.record_counts > 0, self.counts**2 / self.record_counts, 0.0)
        mean_weight = self.total / max(self.n_rows, 1)
        return self.counts * mean_weight


def _weighted_median(values: np.ndarray, weights: np.ndarray | None) -> float:
    if weights is None:
        return float(np.median(values))
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    half = cumulative[-1] / 2.0
    index = int(np.searchsorted(cumulative, half, side="left"))
    return float(values[order][min(index, len(values) - 1)])


def score_bins(score: np.ndarray, weights: np.ndarray | None) -> ScoreBins:
    """Bin edges for a score: one per distinct value when few, else quantiles plus the median."""
    # LL144 (6 RCNY § 5-300): scoring rate is the share scoring above the sample's median.
    median = _weighted_median(score, weights)
    distinct = np.unique(score)
    exact = distinct.size <= MAX_SCORE_BINS
    if exact:
        edges = distinct
    else:
        quantiles = np.quantile(score, np.linspace(0.0, 1.0, MAX_SCORE_BINS + 1)[1:])
        edges = np.unique(np.concatenate([quantiles, [median, distinct[-1]]]))
    # Bin i holds (edges[i-1], edges[i]]; the median is an edge (or bins are single values), so
    # a bin lies wholly above the median exactly when its upper edge does.
    above = edges > median
    bin_of_row = np.searchsorted(edges, score, side="left")
    mass = np.bincount(bin_of_row, weights=weights, minlength=edges.size).astype(float)
    before = np.concatenate([[0.0], np.cumsum(mass)[:-1]]) / max(mass.sum(), 1e-300)
    # ~10 equal-mass bins for the expected calibration error (Naeini, Cooper & Hauskrecht 2015).
    calibration_bin = np.minimum((before * 10).astype(np.int64), 9)
    in_unit = bool(distinct[0] >= 0.0 and distinct[-1] <= 1.0)
    return ScoreBins(
        edges=edges,
        median=median,
        above_median=above,
        exact=exact,
        calibration_bin=calibration_bin,
        in_unit_interval=in_unit,
    )


class NumpyTableBuilder:
    """Build the table in memory: factorise, combine codes, one ``np.bincount``."""

    def build(self, data: EvaluationData) -> ContingencyTable:
        attributes = tuple(data.codes)
        levels = tuple(data.levels[name] for name in attributes)
        # One int64 cell index per row, built in place: no per-row Python work and one
        # row-sized buffer (the sensitive codes, y_true and y_pred are one byte per row).
        code = np.zeros(data.n_rows, dtype=np.int64)
        for name, labels in zip(attributes, levels, strict=True):
            code *= len(labels)
            code += data.codes[name]
        code *= 2
        if data.y_true is not None:
            code += data.y_true
        code *= 2
        code += data.y_pred
        bins = None
        n_bins = 1
        if data.score is not None:
            bins = score_bins(data.score, data.sample_weight)
            n_bins = bins.edges.size
            code *= n_bins
            code += np.searchsorted(bins.edges, data.score, side="left")
        shape = (*(len(labels) for labels in levels), 2, 2, n_bins)
        size = int(np.prod(shape))
        weights = data.sample_weight
        counts = np.bincount(code, weights=weights, minlength=size).astype(np.float64)
        # With weights, the unweighted records per cell too: the bootstrap redraws records, not
        # units of weight (see stats.bootstrap_counts).
        records = None if weights is None else np.bincount(code, minlength=size).astype(np.float64)
        squares = (
            None
            if weights is None
            else np.bincount(code, weights=weights * weights, minlength=size)
        )
        score_sums = None
        if data.score is not None:
            weighted = data.score if weights is None else data.score * weights
            score_sums = np.bincount(code, weights=weighted, minlength=size)
        return ContingencyTable(
            attributes=attributes,
            levels=levels,
            counts=counts.reshape(shape),
            score_sums=None if score_sums is None else score_sums.reshape(shape),
            has_y_true=data.y_true is not None,
            bins=bins,
            n_rows=data.n_rows,
            record_counts=None if records is None else records.reshape(shape),
            weight_squares=None if squares is None else squares.reshape(shape),
        )


def marginal(array: np.ndarray, n_attributes: int, keep: Sequence[int]) -> np.ndarray:
    """Sum ``array`` over the attributes not in ``keep`` and flatten the kept ones into one axis.

    ``array`` has shape ``(R, *level_sizes, 2, 2, n_bins)`` (R replicates); the result has shape
    ``(R, prod(kept level sizes), 2, 2, n_bins)``, groups in row-major order of ``keep``.
    """
    drop = tuple(1 + i for i in range(n_attributes) if i not in keep)
    summed = array.sum(axis=drop) if drop else array
    # Kept axes stay in their original order, which is the order of ``keep`` when sorted.
    order = sorted(keep)
    if list(keep) != order:
        position = {axis: i for i, axis in enumerate(order)}
        permutation = [0, *(1 + position[k] for k in keep)]
        tail = list(range(1 + len(order), summed.ndim))
        summed = summed.transpose(permutation + tail)
    groups = int(np.prod(summed.shape[1:-3], dtype=np.int64))
    return summed.reshape(summed.shape[0], groups, *summed.shape[-3:])
