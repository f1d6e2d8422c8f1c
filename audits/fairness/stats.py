"""The statistics of the fairness engine: bootstrap, intervals, significance and practical figures.

Everything here works on counts from the contingency table, never on rows, so the cost does not
grow with the number of records. The engine (``govern.audits.fairness``) calls these functions;
they are plain numpy/scipy and know nothing about groups or metric names.

Sources of the formulas:

- bootstrap: Efron & Tibshirani (1993), *An Introduction to the Bootstrap*, ch. 13 (percentile
  intervals); resampling the cells of a contingency table with a multinomial is the row bootstrap
  expressed on sufficient statistics.
- significance of selection-rate differences: 29 CFR 1607.4(D) and the practice of US enforcement
  agencies (two-proportion z-test with a pooled rate; Fisher's exact test for small samples);
  see ``/work/shared/REGULATIONS.md``.
- multiple comparisons: Holm (1979), "A simple sequentially rejective multiple test procedure",
  Scand. J. Statist. 6, 65-70.
- flip-flop: UGESP Questions and Answers, Q&A 21 (44 Fed. Reg. 11996, 1979).
- sample size: Fleiss, Levin & Paik (2003), *Statistical Methods for Rates and Proportions*,
  3rd ed., eq. 4.14 (two independent proportions, equal groups, no continuity correction).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from statistics import NormalDist
from typing import Literal

import numpy as np

from govern.errors import BadInputError

__all__ = [
    "bootstrap_counts",
    "fisher_exact_two_sided",
    "holm_adjust",
    "is_flip_flop",
    "percentile_interval",
    "records_needed",
    "selection_rate_test",
    "selection_rate_tests",
    "shortfall",
]

BAD_COUNTS = (
    "bootstrap_counts: the counts must be a one-dimensional array of finite, non-negative "
    "numbers; found {found}. Check the weights column for negative or missing values."
)
BAD_N_BOOT = (
    "bootstrap_counts: n_boot must be a whole number of replicates, 0 or more; found {found}. "
    "Use --bootstrap 0 to skip intervals or, for example, --bootstrap 1000."
)
BAD_N_RECORDS = (
    "bootstrap_counts: n_records must be a whole number, 1 or more; found {found}. "
    "Pass the number of rows behind the weighted counts."
)
BAD_RECORD_COUNTS = (
    "bootstrap_counts: record_counts must be whole, non-negative numbers of records, one per "
    "cell of counts ({cells}), and a cell with weight must hold at least one record; found "
    "{found}. Count unweighted records per cell with the same cell index as the weighted counts."
)
BAD_CONFIDENCE_LEVEL = (
    "percentile_interval: confidence_level must lie strictly between 0 and 1; found {found}. "
    "Use, for example, 0.95 for a 95% interval."
)
BAD_TEST_COUNTS = (
    "selection_rate_test: counts must be finite, non-negative, and selected must not exceed n; "
    "found n_group={n_group}, selected_group={selected_group}, n_reference={n_reference}, "
    "selected_reference={selected_reference}."
)
BAD_P_VALUES = (
    "holm_adjust: p-values must be numbers between 0 and 1; found {found} at position {index}."
)

# Adverse-impact practice switches to Fisher's exact test below these sizes (REGULATIONS.md:
# "n < 30 or expected selections < 5"); expected counts follow the chi-square rule of thumb.
FISHER_MIN_GROUP_SIZE = 30
FISHER_MIN_EXPECTED_COUNT = 5.0


def bootstrap_counts(
    counts: np.ndarray,
    *,
    n_boot: int,
    seed: int,
    n_records: int | None = None,
    record_counts: np.ndarray | None = None,
) -> np.ndarray:
    """Bootstrap replicates of a contingency table's cell counts.

    Each replicate redraws the records with replacement; on a table of counts that is a
    multinomial draw of the same total over the cells, with probabilities equal to the observed
    shares. For unweighted data this is exactly the row bootstrap, at a cost independent of the
    number of rows.

    Weighted counts: ``N = n_records`` records (default: the total weight rounded, at least 1) are
    drawn with probabilities proportional to the weighted counts, and each replicate is rescaled
    so that it sums to the observed total weight. This treats every record as carrying the mean
    weight, which keeps the replicate shares right and the spread of a share close to the row
    bootstrap's when weights vary moderately; pass ``n_records`` (the number of rows) when the
    weights do not sum to the number of records (for example normalised weights). This is
    approximate: when one cell's records carry much larger weights than the others', its
    intervals come out too narrow (in a simulation with weights 3 vs 1, 84% coverage for a
    nominal 95%).

    Better, when the table builder can count records per cell as well: pass ``record_counts``
    (unweighted records per cell). Each replicate then redraws the records themselves and every
    drawn record carries its cell's mean weight, which is exactly the weighted row bootstrap when
    weights are constant within cells (post-stratification weights, for example). The replicate
    totals then vary, as a weighted row bootstrap's do.

    Parameters
    ----------
    counts : numpy.ndarray
        Shape ``(n_cells,)``: the (weighted) count of records in each cell.
    n_boot : int
        Number of replicates; 0 gives an empty ``(0, n_cells)`` array.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same replicates.
    n_records : int, optional
        Number of records drawn per replicate (see above).
    record_counts : numpy.ndarray, optional
        Shape ``(n_cells,)``: unweighted records per cell, for weighted ``counts`` (see above).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_boot, n_cells)``, float; without ``record_counts`` every row sums to
        ``counts.sum()``.

    Examples
    --------
    >>> reps = bootstrap_counts(np.array([30.0, 70.0]), n_boot=5, seed=0)
    >>> reps.shape, bool(np.allclose(reps.sum(axis=1), 100.0))
    ((5, 2), True)
    """
    array = np.asarray(counts, dtype=float)
    if array.ndim != 1 or not np.all(np.isfinite(array)) or np.any(array < 0):
        raise BadInputError(BAD_COUNTS.format(found=_describe(array)))
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise BadInputError(BAD_N_BOOT.format(found=repr(n_boot)))
    if n_records is not None and (
        isinstance(n_records, bool) or not isinstance(n_records, int | np.integer) or n_records < 1
    ):
        raise BadInputError(BAD_N_RECORDS.format(found=repr(n_records)))

    if record_counts is not None:
        return _bootstrap_records(array, record_counts, n_boot=n_boot, seed=seed)
    total = float(array.sum())
    n_cells = array.shape[0]
    if n_boot == 0 or total == 0.0:
        return np.zeros((n_boot, n_cells)) + array
    draws = int(n_records) if n_records is not None else max(1, round(total))
    probabilities = array / total
    rng = np.random.default_rng(seed)
    # numpy draws a multinomial as a chain of conditional binomials: O(n_cells) per replicate,
    # whatever the number of records.
    replicates = rng.multinomial(draws, probabilities, size=n_boot).astype(float)
    if draws != total:
        replicates *= total / draws
    return replicates


def _bootstrap_records(
    weighted: np.ndarray, record_counts: np.ndarray, *, n_boot: int, seed: int
) -> np.ndarray:
    """Redraw records per cell, each carrying its cell's mean weight."""
    records = np.asarray(record_counts, dtype=float)
    if (
        records.shape != weighted.shape
        or not np.all(np.isfinite(records))
        or np.any(records < 0)
        or np.any(records != np.round(records))
        or np.any((weighted > 0) & (records == 0))
    ):
        found = (
            f"shape {records.shape}"
            if records.shape != weighted.shape
            else "a cell with weight but no records, or a negative or fractional count"
        )
        raise BadInputError(BAD_RECORD_COUNTS.format(cells=weighted.shape[0], found=found))
    total_records = int(records.sum())
    if n_boot == 0 or total_records == 0:
        return np.zeros((n_boot, weighted.shape[0])) + weighted
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_weight = np.where(records > 0, weighted / records, 0.0)
    rng = np.random.default_rng(seed)
    drawn = rng.multinomial(total_records, records / total_records, size=n_boot)
    return drawn * mean_weight


def percentile_interval(
    replicates: np.ndarray, *, confidence_level: float = 0.95, axis: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval, ignoring replicates where the statistic is undefined.

    A replicate can leave a ratio undefined (0/0 gives nan); those replicates are dropped for that
    statistic only. A statistic undefined in every replicate gets nan bounds, silently. Quantiles
    interpolate linearly, as ``numpy.percentile``'s default does.

    Parameters
    ----------
    replicates : numpy.ndarray
        Replicated statistics, replicates along ``axis``.
    confidence_level : float, default 0.95
        Two-sided coverage; the bounds are the ``(1 - level)/2`` and ``(1 + level)/2`` quantiles.
    axis : int, default 0
        The axis holding the replicates; it is removed from the result.

    Returns
    -------
    tuple of numpy.ndarray
        ``(low, high)``, each shaped like ``replicates`` without ``axis``.

    Examples
    --------
    >>> low, high = percentile_interval(np.array([[1.0], [2.0], [3.0], [np.nan]]))
    >>> float(low[0]), float(high[0])
    (1.05, 2.95)
    """
    if not 0.0 < confidence_level < 1.0 or isinstance(confidence_level, bool):
        raise BadInputError(BAD_CONFIDENCE_LEVEL.format(found=repr(confidence_level)))
    values = np.moveaxis(np.asarray(replicates, dtype=float), axis, 0)
    tail = (1.0 - confidence_level) / 2.0
    if values.shape[0] == 0:
        empty = np.full(values.shape[1:], np.nan)
        return empty, empty.copy()
    # np.sort puts nan last, so the defined values of each column are its first `valid` entries;
    # interpolating by hand avoids nanpercentile's all-nan warning and its slow per-column loop.
    ordered = np.sort(values, axis=0)
    valid = np.sum(~np.isnan(values), axis=0)
    bounds = []
    for quantile in (tail, 1.0 - tail):
        position = quantile * np.maximum(valid - 1, 0)
        below = np.floor(position).astype(np.intp)
        above = np.minimum(below + 1, np.maximum(valid - 1, 0))
        fraction = position - below
        low_value = np.take_along_axis(ordered, below[np.newaxis, ...], axis=0)[0]
        high_value = np.take_along_axis(ordered, above[np.newaxis, ...], axis=0)[0]
        with np.errstate(invalid="ignore"):
            # Same form as numpy's "linear" method; keeps equal neighbours exact (no inf - inf).
            bound = np.where(
                fraction == 0.0, low_value, low_value + fraction * (high_value - low_value)
            )
        bounds.append(np.where(valid > 0, bound, np.nan))
    return bounds[0], bounds[1]


def selection_rate_test(
    *,
    n_group: float,
    selected_group: float,
    n_reference: float,
    selected_reference: float,
) -> tuple[Literal["fisher_exact", "two_proportion_z"], float | None, float]:
    """Is a group's selection rate significantly different from the reference group's?

    Fisher's exact test (two-sided) when either group has fewer than 30 records or any expected
    count of selected or rejected people (under the pooled rate) is below 5; otherwise the pooled
    two-proportion z-test used in adverse-impact practice (REGULATIONS.md, 29 CFR 1607.4(D)):
    ``p = (s_g + s_r)/(n_g + n_r)``, ``Z = (SR_r - SR_g) / sqrt(p(1-p)(1/n_g + 1/n_r))``. A
    positive z means the group is selected less often than the reference. Weighted counts are
    rounded to whole people for Fisher's test, which needs integers. One group of
    :func:`selection_rate_tests`.

    Returns
    -------
    tuple
        ``(test, statistic, p_value)``: the test used; z for the z-test or the sample odds ratio
        ``(s_g * rejected_r) / (rejected_g * s_r)`` for Fisher's (None when it is infinite or
        undefined); the two-sided p-value.

    Examples
    --------
    >>> test, z, p = selection_rate_test(
    ...     n_group=100, selected_group=30, n_reference=100, selected_reference=50
    ... )
    >>> test, round(z, 3), round(p, 4)
    ('two_proportion_z', 2.887, 0.0039)
    """
    numbers = (n_group, selected_group, n_reference, selected_reference)
    if (
        not all(math.isfinite(x) and x >= 0 for x in numbers)
        or selected_group > n_group
        or selected_reference > n_reference
    ):
        raise BadInputError(
            BAD_TEST_COUNTS.format(
                n_group=n_group,
                selected_group=selected_group,
                n_reference=n_reference,
                selected_reference=selected_reference,
            )
        )
    tests, statistics, p_values = selection_rate_tests(
        n_group=np.array([n_group], dtype=float),
        selected_group=np.array([selected_group], dtype=float),
        n_reference=float(n_reference),
        selected_reference=float(selected_reference),
    )
    statistic = float(statistics[0])
    return tests[0], statistic if math.isfinite(statistic) else None, float(p_values[0])


def selection_rate_tests(
    *,
    n_group: np.ndarray,
    selected_group: np.ndarray,
    n_reference: float | np.ndarray,
    selected_reference: float | np.ndarray,
) -> tuple[list[Literal["fisher_exact", "two_proportion_z"]], np.ndarray, np.ndarray]:
    """:func:`selection_rate_test` for many groups against a reference, vectorised.

    The reference is one group (numbers) or one per group (arrays, e.g. everyone else when the
    reference is the overall rate). Returns the test used per group, the statistic (nan where
    undefined or infinite) and the two-sided p-value, each in the order of the groups. Counts
    must already be valid.
    """
    n_group, selected_group, n_reference, selected_reference = (
        np.asarray(x, dtype=float)
        for x in np.broadcast_arrays(n_group, selected_group, n_reference, selected_reference)
    )
    total = n_group + n_reference
    selected = selected_group + selected_reference
    rejected = total - selected
    # Expected counts as n * count / total, not n * (1 - pooled): the subtraction rounds 5.0 down
    # to 4.999..., which would send a table exactly at the threshold to Fisher's test.
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.stack(
            [
                n_group * selected / total,
                n_group * rejected / total,
                n_reference * selected / total,
                n_reference * rejected / total,
            ]
        )
    expected = np.where(total > 0, expected, 0.0)
    fisher = (np.minimum(n_group, n_reference) < FISHER_MIN_GROUP_SIZE) | (
        expected.min(axis=0) < FISHER_MIN_EXPECTED_COUNT
    )
    statistic = np.full(n_group.shape, np.nan)
    p_value = np.ones(n_group.shape)
    if fisher.any():
        a = np.rint(selected_group[fisher]).astype(np.int64)
        b = np.rint(n_group[fisher]).astype(np.int64) - a
        c = np.rint(selected_reference[fisher]).astype(np.int64)
        d = np.rint(n_reference[fisher]).astype(np.int64) - c
        with np.errstate(divide="ignore", invalid="ignore"):
            statistic[fisher] = (a * d) / (b * c)
        p_value[fisher] = fisher_exact_two_sided(a, b, c, d)
    z_test = ~fisher
    if z_test.any():
        n_g, s_g = n_group[z_test], selected_group[z_test]
        n_r, s_r = n_reference[z_test], selected_reference[z_test]
        pooled = selected[z_test] / total[z_test]
        error = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n_g + 1.0 / n_r))
        z = (s_r / n_r - s_g / n_g) / error
        statistic[z_test] = z
        p_value[z_test] = [math.erfc(abs(value) / math.sqrt(2.0)) for value in z]
    tests: list[Literal["fisher_exact", "two_proportion_z"]] = [
        "fisher_exact" if flag else "two_proportion_z" for flag in fisher
    ]
    statistic[~np.isfinite(statistic)] = np.nan
    return tests, statistic, np.minimum(p_value, 1.0)


# Tables at most this much less likely than the observed one count as "as extreme" in the
# two-sided Fisher test, absorbing rounding in the probabilities (R's fisher.test uses 1e-7).
FISHER_RELATIVE_TOLERANCE = 1e-7


def fisher_exact_two_sided(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray
) -> np.ndarray:
    """Two-sided p-values of Fisher's exact test on 2x2 tables ``[[a, b], [c, d]]``, vectorised.

    With the margins fixed, ``a`` is hypergeometric; the p-value sums the probabilities of every
    table no more likely than the observed one (Fisher 1934; the definition scipy and R use).
    Probabilities come from log-gamma in float64, so the cost is a few operations per possible
    table, whatever the counts.

    Examples
    --------
    >>> p = fisher_exact_two_sided(np.array([1]), np.array([4]), np.array([4]), np.array([1]))
    >>> round(float(p[0]), 12)
    0.206349206349
    """
    a, b, c, d = (np.asarray(x, dtype=np.int64) for x in (a, b, c, d))
    row, column, total = a + b, a + c, a + b + c + d
    low = np.maximum(0, row + column - total)
    high = np.minimum(row, column)
    p_values = np.ones(a.shape)
    # Chunks keep the (tables x possible values) grid small when a few supports are wide.
    order = np.argsort(high - low, kind="stable")
    for start in range(0, order.size, 4096):
        chunk = order[start : start + 4096]
        width = int((high[chunk] - low[chunk]).max()) + 1
        values = low[chunk, None] + np.arange(width)[None, :]
        valid = values <= high[chunk, None]
        values = np.where(valid, values, low[chunk, None])
        log_p = _log_hypergeometric(
            values, row[chunk, None], column[chunk, None], total[chunk, None]
        )
        observed = _log_hypergeometric(a[chunk], row[chunk], column[chunk], total[chunk])
        extreme = valid & (log_p <= observed[:, None] + math.log1p(FISHER_RELATIVE_TOLERANCE))
        p_values[chunk] = np.where(extreme, np.exp(log_p), 0.0).sum(axis=1)
    return np.minimum(p_values, 1.0)


_log_gamma = np.frompyfunc(math.lgamma, 1, 1)


def _log_choose(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    value = _log_gamma(n + 1.0) - _log_gamma(k + 1.0) - _log_gamma(n - k + 1.0)
    return np.asarray(value, dtype=np.float64)


def _log_hypergeometric(
    x: np.ndarray, row: np.ndarray, column: np.ndarray, total: np.ndarray
) -> np.ndarray:
    """log P(X = x) for X hypergeometric: ``row`` draws from ``total`` with ``column`` marked."""
    return _log_choose(column, x) + _log_choose(total - column, row - x) - _log_choose(total, row)


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of p-values for the number of comparisons.

    The ``i``-th smallest of ``m`` p-values is multiplied by ``m - i + 1`` (``i`` from 1), the
    running maximum keeps the adjusted values in the order of the raw ones, and they are capped at
    1 (Holm 1979). Compare the adjusted values with alpha directly.

    Examples
    --------
    >>> holm_adjust([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
    """
    values = [float(p) for p in p_values]
    for index, p in enumerate(values):
        if not 0.0 <= p <= 1.0:  # also rejects nan
            raise BadInputError(BAD_P_VALUES.format(found=repr(p_values[index]), index=index))
    m = len(values)
    order = sorted(range(m), key=lambda i: values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * values[index]))
        adjusted[index] = running
    return adjusted


def shortfall(*, n_group: float, selected_group: float, reference_rate: float) -> float:
    """How many more people of the group would have had to be selected to reach a rate.

    ``n_group * reference_rate - selected_group``; negative when the group is above the rate.
    REGULATIONS.md (enforcement practice) states it against the overall selection rate; issue 3
    asks for the reference group's rate. The function takes the rate as an argument, and the
    engine passes the reference group's rate, the figure that matches the four-fifths comparison
    it sits next to. Under one person it is not practically significant.

    Examples
    --------
    >>> shortfall(n_group=50, selected_group=10, reference_rate=0.4)
    10.0
    """
    return float(n_group * reference_rate - selected_group)


def is_flip_flop(
    *,
    n_group: float,
    selected_group: float,
    n_reference: float,
    selected_reference: float,
    threshold: float = 0.8,
    reference_includes_group: bool = False,
) -> bool:
    """Would one more selected person of the group reverse an adverse-impact finding?

    UGESP Q&A 21: when moving one person of the group from rejected to selected turns an impact
    ratio below ``threshold`` into one at or above it, the finding rests on too few people to be
    relied on. False when there is no finding to reverse (ratio undefined or already at or above
    the threshold) or when nobody in the group is left to move. With
    ``reference_includes_group`` the reference counts are everyone's (the overall rate), so the
    person moved counts in the reference too.

    Examples
    --------
    >>> is_flip_flop(n_group=10, selected_group=3, n_reference=10, selected_reference=4)
    True
    >>> is_flip_flop(n_group=100, selected_group=30, n_reference=100, selected_reference=50)
    False
    """
    from govern.evidence.fairness import flips_at

    return flips_at(
        n_group=n_group,
        selected_group=selected_group,
        n_reference=n_reference,
        selected_reference=selected_reference,
        threshold=threshold,
        reference_includes_group=reference_includes_group,
    )


@lru_cache(maxsize=256)
def records_needed(
    *,
    reference_rate: float,
    ratio: float = 0.8,
    alpha: float = 0.05,
    power: float = 0.8,
) -> int | None:
    """Rough number of records per group needed to detect an impact ratio below ``ratio``.

    The classical sample size for comparing two independent proportions with equal groups and a
    two-sided test at ``alpha`` (Fleiss, Levin & Paik 2003, eq. 4.14, no continuity correction),
    with ``p1 = reference_rate`` and ``p2 = ratio * reference_rate``::

        n = (z_{1-alpha/2} sqrt(2 pbar qbar) + z_{power} sqrt(p1 q1 + p2 q2))^2 / (p1 - p2)^2

    rounded up. It answers "how big would this group (and its reference) have to be for a true
    impact ratio of 0.8 to show up as significant in ``power`` of audits". None when the question
    has no answer (a rate or probability outside (0, 1), or ``p2`` equal to ``p1`` or above 1).

    Examples
    --------
    >>> records_needed(reference_rate=0.5)
    388
    """
    if not (0.0 < reference_rate <= 1.0 and ratio > 0.0 and 0.0 < alpha < 1.0):
        return None
    if not 0.0 < power < 1.0:
        return None
    p1 = reference_rate
    p2 = ratio * reference_rate
    if p2 > 1.0 or p2 == p1:
        return None
    normal = NormalDist()
    z_alpha = normal.inv_cdf(1.0 - alpha / 2.0)
    z_power = normal.inv_cdf(power)
    mean = (p1 + p2) / 2.0
    numerator = (
        z_alpha * math.sqrt(2.0 * mean * (1.0 - mean))
        + z_power * math.sqrt(p1 * (1.0 - p1) + p2 * (1.0 - p2))
    ) ** 2
    return math.ceil(numerator / (p1 - p2) ** 2)


def _describe(array: np.ndarray) -> str:
    """A short description of bad counts for an error message."""
    if array.ndim != 1:
        return f"an array of shape {array.shape}"
    bad = [float(x) for x in array if not (math.isfinite(x) and x >= 0)]
    return f"{len(bad)} bad value(s), e.g. {bad[:3]}" if bad else "no cells"
