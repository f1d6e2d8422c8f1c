"""Intervals for attribute-wide summaries: the largest gap (max - min) and the smallest ratio
(min / max) of a rate across groups.

The point estimates are fairlearn's (``MetricFrame.difference()`` and ``.ratio()``), and they are
biased away from parity: the largest of several noisy gaps is larger than the largest true gap,
so a bootstrap of ``max - min`` centres its interval too far from zero (on parity data it can
exclude zero most of the time). The intervals here are built instead from intervals of every
pair of groups held simultaneously: if every pair's interval holds, the true largest gap lies
between the largest distance of a pair's interval from zero and the farthest reach of any pair's
interval, and likewise for the ratio. Bonferroni's inequality makes the pairs hold together with
at least the stated confidence, so coverage is at least nominal (conservative by construction,
how much is measured in ``docs/statistics.md``) and, on parity data, the interval contains zero
at least as often as promised.

Pairs are Newcombe (difference) or Miettinen-Nurminen (ratio) intervals; with more than
:data:`MAX_PAIRWISE_GROUPS` groups the number of pairs grows too fast, and each group's own
interval (Wilson, or a bootstrap percentile interval for score metrics) at the Sidak level is
used instead (every group's interval holds together with the stated confidence).
"""

from __future__ import annotations

import numpy as np

from govern.audits.fairness.intervals import (
    Level,
    miettinen_nurminen_interval,
    newcombe_interval,
)

# Up to this many groups the summary's interval comes from every pair (1,225 pairs); above it,
# from each group's own simultaneous interval, which is a little wider but linear in groups.
MAX_PAIRWISE_GROUPS = 50

Pair = tuple[np.ndarray, np.ndarray]


def _pairs(groups: int) -> tuple[np.ndarray, np.ndarray]:
    first, second = np.triu_indices(groups, k=1)
    return first, second


def pair_levels(trials: np.ndarray, confidence_level: Level) -> np.ndarray:
    """Each row's Bonferroni level over the pairs of its groups with a defined rate, shaped to
    broadcast over the pairs (the last axis)."""
    defined = np.sum(np.asarray(trials) > 0, axis=-1)
    pairs = np.maximum(defined * (defined - 1) // 2, 1)
    return np.asarray(1.0 - (1.0 - np.asarray(confidence_level)) / pairs)[..., None]


def _nan_reduce(values: np.ndarray, reduce: str) -> np.ndarray:
    """``nanmax``/``nanmin`` over the last axis without the all-nan warning (nan stays nan)."""
    defined = ~np.isnan(values)
    filler = -np.inf if reduce == "max" else np.inf
    filled = np.where(defined, values, filler)
    result = filled.max(axis=-1) if reduce == "max" else filled.min(axis=-1)
    return np.where(defined.any(axis=-1), result, np.nan)


def difference_spread_interval(
    successes: np.ndarray, trials: np.ndarray, *, confidence_level: Level = 0.95
) -> Pair:
    """Interval for ``max - min`` of the rates ``successes / trials`` over the last axis.

    Groups whose rate is undefined (no trials) are left out, and the Bonferroni level counts
    the pairs of the others; fewer than two defined groups give ``nan``. ``confidence_level``
    may hold one level per row (the axes before the last).

    Examples
    --------
    >>> low, high = difference_spread_interval(np.array([30, 30]), np.array([60, 60]))
    >>> float(low), round(float(high), 4)
    (0.0, 0.1735)
    """
    x, n = np.broadcast_arrays(np.asarray(successes, float), np.asarray(trials, float))
    groups = x.shape[-1]
    if groups < 2:
        return np.full(x.shape[:-1], np.nan), np.full(x.shape[:-1], np.nan)
    i, j = _pairs(groups)
    level = pair_levels(n, confidence_level)
    low, high = newcombe_interval(
        x[..., i], n[..., i], x[..., j], n[..., j], confidence_level=level
    )
    defined = (n[..., i] > 0) & (n[..., j] > 0)
    # |p_i - p_j| lies in [distance of [low, high] from 0, max(|low|, |high|)].
    nearest = np.where(defined, np.maximum(np.maximum(low, -high), 0.0), np.nan)
    farthest = np.where(defined, np.maximum(high, -low), np.nan)
    return _nan_reduce(nearest, "max"), _nan_reduce(farthest, "max")


def ratio_spread_interval(
    successes: np.ndarray, trials: np.ndarray, *, confidence_level: Level = 0.95
) -> Pair:
    """Interval for ``min / max`` of the rates ``successes / trials`` over the last axis.

    Pairs where both groups have no successes say nothing about a ratio and are left out.

    Examples
    --------
    >>> low, high = ratio_spread_interval(np.array([30, 30]), np.array([60, 60]))
    >>> round(float(low), 4), float(high)
    (0.6959, 1.0)
    """
    x, n = np.broadcast_arrays(np.asarray(successes, float), np.asarray(trials, float))
    groups = x.shape[-1]
    if groups < 2:
        return np.full(x.shape[:-1], np.nan), np.full(x.shape[:-1], np.nan)
    i, j = _pairs(groups)
    level = pair_levels(n, confidence_level)
    low, high = miettinen_nurminen_interval(
        x[..., i], n[..., i], x[..., j], n[..., j], confidence_level=level
    )
    with np.errstate(divide="ignore"):
        # min(r, 1/r) of a pair's ratio r in [low, high] lies in [min(low, 1/high), min(high,
        # 1/low, 1)]; the smallest ratio over all groups is the smallest over pairs.
        bottom = np.minimum(low, 1.0 / high)
        top = np.minimum(np.minimum(high, 1.0 / low), 1.0)
    return _nan_reduce(bottom, "min"), _nan_reduce(top, "min")


def spread_from_group_limits(low: np.ndarray, high: np.ndarray, *, kind: str) -> Pair:
    """``max - min`` (kind ``"difference"``) or ``min / max`` (``"ratio"``) bounds from groups'
    simultaneous intervals over the last axis (undefined groups, ``nan``, are left out).

    If every group's value lies in its interval, ``max - min`` lies in
    ``[max(0, max(low) - min(high)), max(high) - min(low)]`` and ``min / max`` in
    ``[min(low) / max(high), min(1, min(high) / max(low))]`` (ratios need non-negative values).

    Examples
    --------
    >>> spread_from_group_limits(np.array([0.2, 0.5]), np.array([0.4, 0.7]), kind="difference")
    (array(0.1), array(0.5))
    """
    top_low, top_high = _nan_reduce(low, "max"), _nan_reduce(high, "max")
    bottom_low, bottom_high = _nan_reduce(low, "min"), _nan_reduce(high, "min")
    defined = np.sum(~np.isnan(low), axis=-1) >= 2
    if kind == "difference":
        lower = np.maximum(top_low - bottom_high, 0.0)
        upper = top_high - bottom_low
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            lower = np.where(top_high > 0, bottom_low / top_high, np.nan)
            upper = np.where(top_low > 0, np.minimum(bottom_high / top_low, 1.0), 1.0)
        defined &= bottom_low >= 0
    return np.where(defined, lower, np.nan), np.where(defined, upper, np.nan)
