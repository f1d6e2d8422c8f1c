"""Metrics of one view's groups, and the interval of each figure derived from them.

A :class:`Measure` holds observed values per group and what their intervals are computed from:
the counts behind them when they are rates (closed-form score intervals, no resampling), or
bootstrap replicates when no closed form exists (the score metrics: mean and median score, ROC
AUC, calibration error). The rates of a view are stacked into one measure of shape
``(metrics, groups)``, so that each kind of interval is one vectorised computation per view. The
functions here give each figure its interval by this rule:

=====================  ==============================  ===============================
figure                 rate (counts)                   other metrics (replicates)
=====================  ==============================  ===============================
the group's value      Wilson (Brown-Cai-DasGupta)     bootstrap-t for the mean score,
                                                       percentile for the others
difference vs a group  Newcombe hybrid score           bootstrap-t / percentile
ratio vs a group       Miettinen-Nurminen score        percentile of the ratios
vs the overall rate    the same against everyone       percentile against the pooled
                       else, rescaled (``compare``)    groups' replicates
largest gap / ratio    pairwise, Bonferroni            groups at the Sidak level
=====================  ==============================  ===============================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from govern.audits.fairness import stats
from govern.audits.fairness.attribute_wide import (
    MAX_PAIRWISE_GROUPS,
    difference_spread_interval,
    ratio_spread_interval,
    spread_from_group_limits,
)
from govern.audits.fairness.intervals import (
    Level,
    miettinen_nurminen_interval,
    mover_sum_interval,
    newcombe_interval,
    wilson_interval,
)
from govern.audits.fairness.metrics import RateCounts

Kind = Literal["difference", "ratio"]
Pair = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Base:
    """What a comparison is against: one group (its index), or all ``members`` pooled."""

    group: int | None
    members: np.ndarray


@dataclass(frozen=True)
class Measure:
    """Values per group (``(G,)``, or ``(M, G)`` for stacked rates) and what their intervals
    come from."""

    name: str
    value: np.ndarray
    rates: RateCounts | None = None
    replicates: np.ndarray | None = None  # (R, G)
    pooled_value: float = float("nan")  # the metric of all recorded groups taken together
    pooled_replicates: np.ndarray | None = None  # (R,)
    # Standard errors of the value, observed (G,) and per replicate (R, G), for a
    # studentised bootstrap (the mean score); None: percentile intervals.
    standard_error: np.ndarray | None = None
    replicate_standard_error: np.ndarray | None = None


def _nan(shape: tuple[int, ...]) -> Pair:
    return np.full(shape, np.nan), np.full(shape, np.nan)


def _percentile(replicates: np.ndarray | None, level: float, shape: tuple[int, ...]) -> Pair:
    if replicates is None or replicates.shape[0] == 0:
        return _nan(shape)
    return stats.percentile_interval(replicates, confidence_level=level, axis=0)


def studentised_interval(
    value: np.ndarray,
    error: np.ndarray,
    replicates: np.ndarray,
    replicate_errors: np.ndarray,
    level: float,
) -> Pair:
    """The bootstrap-t interval (Efron & Tibshirani 1993, ch. 12.5), per column.

    With ``t* = (value* - value) / error*`` over the replicates, the interval is
    ``[value - t*_(1 - a/2) error, value - t*_(a/2) error]``: the replicates' own spread sets
    each one's scale, which corrects the percentile interval's narrowness in small groups.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        pivots = (replicates - value[None, :]) / replicate_errors
    pivots = np.where(np.isfinite(pivots), pivots, np.nan)
    low_t, high_t = stats.percentile_interval(pivots, confidence_level=level, axis=0)
    return value - high_t * error, value - low_t * error


def group_interval(measure: Measure, level: Level) -> Pair:
    """Each group's interval: Wilson for a rate, a studentised bootstrap where standard errors
    are known (the mean score), the bootstrap percentile interval otherwise."""
    if measure.rates is not None:
        x, n = measure.rates.effective()
        return wilson_interval(x, n, confidence_level=level, modified=True)
    assert np.ndim(level) == 0  # replicate-based measures are never stacked
    if (
        measure.replicates is not None
        and measure.replicates.shape[0] > 0
        and measure.standard_error is not None
        and measure.replicate_standard_error is not None
    ):
        return studentised_interval(
            measure.value,
            measure.standard_error,
            measure.replicates,
            measure.replicate_standard_error,
            float(level),
        )
    return _percentile(measure.replicates, float(level), measure.value.shape)


def _studentised_difference(measure: Measure, group: int, level: float) -> Pair | None:
    """The bootstrap-t interval of each group's difference from one group (independent
    groups: the standard errors add in quadrature), or None without standard errors."""
    se, reps, reps_se = (
        measure.standard_error,
        measure.replicates,
        measure.replicate_standard_error,
    )
    if se is None or reps is None or reps_se is None or reps.shape[0] == 0:
        return None
    error = np.sqrt(se**2 + se[group] ** 2)
    replicate_error = np.sqrt(reps_se**2 + reps_se[:, group : group + 1] ** 2)
    return studentised_interval(
        measure.value - measure.value[group],
        error,
        reps - reps[:, group : group + 1],
        replicate_error,
        level,
    )


def _against(values: np.ndarray, base: np.ndarray | float, kind: Kind) -> np.ndarray:
    if kind == "difference":
        return values - base
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.asarray(base) > 0, values / base, np.nan)


def _closed_form(rates: RateCounts, other: RateCounts, kind: Kind, level: float) -> Pair:
    x, n = rates.effective()
    y, m = other.effective()
    if kind == "difference":
        return newcombe_interval(x, n, y, m, confidence_level=level)
    return miettinen_nurminen_interval(x, n, y, m, confidence_level=level)


def compare(measure: Measure, base: Base, kind: Kind, level: float) -> tuple[np.ndarray, Pair]:
    """Each group's difference from (or ratio to) the base, with its interval (last axis).

    Against a group, the interval is Newcombe's (difference) or Miettinen-Nurminen's (ratio)
    for two independent groups; the base group's own row has no interval (it is the reference,
    not an estimate). Against the overall rate ``p`` of all groups, which contains the group
    itself, the group ``g`` is compared with everyone else ``r``: with ``w`` the group's part
    of the pool, ``p_g - p = (1 - w)(p_g - p_r)`` and ``p_g / p = phi / (w phi + 1 - w)`` for
    ``phi = p_g / p_r``, both increasing in the independent comparison, so its interval maps
    onto theirs.
    """
    shape = measure.value.shape
    anchor = (
        measure.value[..., base.group : base.group + 1]
        if base.group is not None
        else _pooled(measure, base)
    )
    value = _against(measure.value, anchor, kind)
    if measure.rates is not None:
        if base.group is not None:
            other = measure.rates.take(np.array([base.group]))
            low, high = _closed_form(measure.rates, other, kind, level)
        else:
            low, high = _against_everyone_else(measure.rates, base.members, kind, level)
    elif (
        kind == "difference"
        and base.group is not None
        and (studentised := _studentised_difference(measure, base.group, level))
    ):
        low, high = studentised
    else:
        anchor_reps = _anchor_replicates(measure, base)
        compared = (
            None
            if measure.replicates is None or anchor_reps is None
            else _against(measure.replicates, anchor_reps, kind)
        )
        low, high = _percentile(compared, level, shape)
    if base.group is not None:
        low, high = low.copy(), high.copy()
        low[..., base.group] = high[..., base.group] = np.nan
    undefined = ~np.isfinite(value)
    return value, (np.where(undefined, np.nan, low), np.where(undefined, np.nan, high))


def _pooled(measure: Measure, base: Base) -> np.ndarray | float:
    """The metric of all the base's members taken together (the overall rate)."""
    if measure.rates is None:
        return measure.pooled_value
    pool = measure.rates.pooled(base.members)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pool.trials > 0, pool.successes / pool.trials, np.nan)


def _anchor_replicates(measure: Measure, base: Base) -> np.ndarray | None:
    if measure.replicates is None:
        return None
    if base.group is not None:
        return measure.replicates[:, base.group : base.group + 1]
    if measure.pooled_replicates is None:
        return None
    return measure.pooled_replicates[:, None]


def _against_everyone_else(
    rates: RateCounts, members: np.ndarray, kind: Kind, level: float
) -> Pair:
    pool = rates.pooled(members)
    rest = rates.without(pool)
    with np.errstate(divide="ignore", invalid="ignore"):
        part = np.where(pool.trials > 0, rates.trials / pool.trials, np.nan)
    low, high = _closed_form(rates, rest, kind, level)
    if kind == "difference":
        return (1.0 - part) * low, (1.0 - part) * high

    def rescale(phi: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = phi / (part * phi + 1.0 - part)
        return np.where(np.isinf(phi), 1.0 / part, scaled)

    return rescale(low), rescale(high)


def average_odds_interval(
    false_positive: Measure, true_positive: Measure, base: Base, level: float
) -> tuple[np.ndarray, Pair]:
    """aif360's average odds difference, the mean of the FPR and TPR differences, with the
    MOVER interval of the sum of two independent differences (they use disjoint records:
    negatives and positives), halved."""
    fpr, (fpr_low, fpr_high) = compare(false_positive, base, "difference", level)
    tpr, (tpr_low, tpr_high) = compare(true_positive, base, "difference", level)
    low, high = mover_sum_interval((fpr, tpr), (fpr_low, tpr_low), (fpr_high, tpr_high))
    return 0.5 * (fpr + tpr), (0.5 * low, 0.5 * high)


def _spread_points(values: np.ndarray, kind: Kind) -> np.ndarray:
    defined = np.isfinite(values)
    high = np.where(defined, values, -np.inf).max(axis=-1)
    low = np.where(defined, values, np.inf).min(axis=-1)
    any_defined = defined.any(axis=-1)
    if kind == "difference":
        return np.where(any_defined, high - low, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(any_defined & (high > 0), low / high, np.nan)


def spread(
    measure: Measure, members: np.ndarray, kind: Kind, level: Level
) -> tuple[np.ndarray, Pair]:
    """fairlearn's ``difference()`` (max - min) or ``ratio()`` (min / max) over ``members``
    (last axis), with an interval that holds for the true spread (see ``attribute_wide``).

    Groups whose value is undefined are left out (fairlearn would count a 0/0 rate as 0).
    ``level`` may hold one level per row of a stacked measure.
    """
    values = measure.value[..., members]
    point = _spread_points(values, kind)
    defined = np.sum(np.isfinite(values), axis=-1)
    if measure.rates is not None and members.size <= MAX_PAIRWISE_GROUPS:
        x, n = measure.rates.take(members).effective()
        function = difference_spread_interval if kind == "difference" else ratio_spread_interval
        low, high = function(x, n, confidence_level=level)
    else:
        # Each group's own interval at the Sidak level, so that all hold together.
        each = np.asarray(level) ** (1.0 / np.maximum(defined, 1))
        sub = Measure(
            measure.name,
            values,
            None if measure.rates is None else measure.rates.take(members),
            None if measure.replicates is None else measure.replicates[:, members],
            standard_error=None
            if measure.standard_error is None
            else measure.standard_error[members],
            replicate_standard_error=None
            if measure.replicate_standard_error is None
            else measure.replicate_standard_error[:, members],
        )
        group_level = each[..., None] if measure.rates is not None else float(each)
        group_low, group_high = group_interval(sub, group_level)
        undefined = ~np.isfinite(values)
        low, high = spread_from_group_limits(
            np.where(undefined, np.nan, group_low),
            np.where(undefined, np.nan, group_high),
            kind=kind,
        )
    enough = defined >= 2
    return point, (np.where(enough, low, np.nan), np.where(enough, high, np.nan))
