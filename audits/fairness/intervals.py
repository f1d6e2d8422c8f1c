"""Closed-form confidence intervals for rates, and for differences and ratios of two rates.

Every function is vectorised over groups and takes counts (or, for weighted data, effective
counts: see :func:`effective_counts`), so an audit of thousands of groups costs a few array
operations and no resampling. The methods are those with near-nominal coverage from a handful of
records per group (Brown, Cai & DasGupta 2001; Newcombe 1998; Fagerland, Lydersen & Laake 2015);
``docs/statistics.md`` gives the coverage measured by ``benchmarks/coverage_study.py``.

- one rate: the **Wilson** score interval (Wilson 1927, JASA 22:209), with the modification of
  Brown, Cai & DasGupta (2001, Statist. Sci. 16:101, sec. 4.1.1) at one to three successes
  (or failures) in groups of up to 100, where Wilson's limit is too close to the estimate;
- difference of two independent rates: **Newcombe's hybrid score** interval, method 10 of
  Newcombe (1998), Stat. Med. 17:873;
- ratio of two independent rates: the **Miettinen-Nurminen** asymptotic score interval
  (Miettinen & Nurminen 1985, Stat. Med. 4:213), which is **Koopman's** score interval
  (Koopman 1984, Biometrics 40:513) with the variance correction ``N/(N-1)`` (Fagerland,
  Lydersen & Laake 2017, *Statistical Analysis of Contingency Tables*, ch. 4); the correction
  lifts the coverage in groups of five to ten;
- sum of two independent estimates with their own intervals: the **MOVER** (method of variance
  estimates recovery; Zou & Donner 2008, Stat. Med. 27:1693), which is how Newcombe's method
  combines two Wilson intervals, applied here to aif360's average odds difference.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from statistics import NormalDist

import numpy as np

from govern.errors import BadInputError

__all__ = [
    "bonferroni_level",
    "effective_counts",
    "koopman_interval",
    "miettinen_nurminen_interval",
    "mover_sum_interval",
    "newcombe_interval",
    "normal_quantile",
    "poisson_lower_bound",
    "sidak_level",
    "wilson_interval",
]

BAD_CONFIDENCE_LEVEL = (
    "confidence_level must lie strictly between 0 and 1; found {found}. "
    "Use, for example, 0.95 for a 95% interval."
)

# The score limits are searched on log(ratio) over e**-60 .. e**60 around the estimate, to a
# precision near that of a float; the statistic is capped at 1e8 so that both ends of the
# search stay finite (a limit lies where it equals z**2, a few units).
_POISSON_BISECTIONS = 60
_GAMMA_SERIES_TERMS = 60
_LOG_SPAN = 60.0
_TOLERANCE = 1e-14
_MAX_STEPS = 200
_STATISTIC_CAP = 1e8

Pair = tuple[np.ndarray, np.ndarray]


def normal_quantile(confidence_level: float) -> float:
    """The two-sided standard normal quantile: 1.95996... for 0.95.

    Examples
    --------
    >>> round(normal_quantile(0.95), 6)
    1.959964
    """
    if isinstance(confidence_level, bool) or not 0.0 < confidence_level < 1.0:
        raise BadInputError(BAD_CONFIDENCE_LEVEL.format(found=repr(confidence_level)))
    return NormalDist().inv_cdf(1.0 - (1.0 - confidence_level) / 2.0)


Level = float | np.ndarray


def _quantiles(confidence_level: Level) -> np.ndarray | float:
    """:func:`normal_quantile` of one level, or of each of an array of levels (one per row of
    a stacked computation, e.g. a Bonferroni level per metric)."""
    if np.ndim(confidence_level) == 0:
        return normal_quantile(float(confidence_level))
    levels = np.asarray(confidence_level, dtype=float)
    distinct, where = np.unique(levels, return_inverse=True)
    return np.array([normal_quantile(float(v)) for v in distinct])[where].reshape(levels.shape)


def _arrays(*values: np.ndarray | float) -> list[np.ndarray]:
    return [np.asarray(v, dtype=float) for v in np.broadcast_arrays(*values)]


def wilson_interval(
    successes: np.ndarray | float,
    trials: np.ndarray | float,
    *,
    confidence_level: Level = 0.95,
    modified: bool = False,
) -> Pair:
    """Wilson's score interval for a rate ``successes / trials``, element-wise.

    The rates ``p`` whose score test ``|p_hat - p| / sqrt(p (1 - p) / n)`` does not reject:
    centre ``(p_hat + z^2/2n) / (1 + z^2/n)``, half-width
    ``z sqrt(p_hat (1 - p_hat)/n + z^2/4n^2) / (1 + z^2/n)`` (Wilson 1927). Never of zero width
    and never outside [0, 1]; 0 of n gives a lower limit of exactly 0 and n of n an upper limit
    of exactly 1. ``nan`` where ``trials`` is 0. ``modified`` applies Brown, Cai & DasGupta's
    repair near 0 and 1 (see ``_near_the_edges``); Newcombe's difference interval is defined
    with the plain limits.

    Examples
    --------
    >>> low, high = wilson_interval(81, 263)
    >>> round(float(low), 4), round(float(high), 4)
    (0.2553, 0.3662)
    """
    z_given = _quantiles(confidence_level)
    x, n, z, alpha = _arrays(successes, trials, z_given, 1.0 - np.asarray(confidence_level))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        z2n = z * z / n
        centre = (p + z2n / 2.0) / (1.0 + z2n)
        half = z * np.sqrt(np.maximum(p * (1.0 - p), 0.0) / n + z2n / (4.0 * n)) / (1.0 + z2n)
    low = np.where(x <= 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(x >= n, 1.0, np.clip(centre + half, 0.0, 1.0))
    if modified:
        low, high = _near_the_edges(x, n, low, high, alpha)
    undefined = ~(n > 0)
    return np.where(undefined, np.nan, low), np.where(undefined, np.nan, high)


def _near_the_edges(
    x: np.ndarray, n: np.ndarray, low: np.ndarray, high: np.ndarray, alpha: np.ndarray
) -> Pair:
    """Brown, Cai & DasGupta's (2001) repair of Wilson's interval at 1 to ``x*`` successes.

    There the lower limit is replaced by ``lambda_x / n``, the one-sided Poisson bound with
    ``P(Poisson(lambda_x) >= x) = alpha``, i.e. ``chi2_{2x, alpha} / 2``; ``x* = 2`` up to 50
    records and 3 up to 100. Likewise the upper limit at 1 to ``x*`` failures.
    """
    cutoff = np.where(n <= 50, 2.0, np.where(n <= 100, 3.0, 0.0))
    few_in = (x > 0) & (x <= cutoff)
    few_out = (n - x > 0) & (n - x <= cutoff)
    if not (few_in.any() or few_out.any()):
        return low, high
    low, high = low.copy(), high.copy()
    if few_in.any():
        bound = poisson_lower_bound(x[few_in], alpha[few_in]) / n[few_in]
        low[few_in] = np.minimum(bound, low[few_in])
    if few_out.any():
        bound = 1.0 - poisson_lower_bound(n[few_out] - x[few_out], alpha[few_out]) / n[few_out]
        high[few_out] = np.maximum(bound, high[few_out])
    return low, high


def poisson_lower_bound(count: np.ndarray, alpha: float | np.ndarray) -> np.ndarray:
    """The ``lambda`` with ``P(Poisson(lambda) >= count) = alpha``, element-wise.

    That is the inverse of the regularised lower incomplete gamma function, ``P(count, lambda)
    = alpha`` (scipy's ``gammaincinv(count, alpha)``, or ``chi2.ppf(alpha, 2 count) / 2``),
    which accepts a non-integer count (weighted data). Each distinct count is solved once and
    remembered: the repair needs counts of 1 to 3 only.

    Examples
    --------
    >>> round(float(poisson_lower_bound(np.array(1.0), 0.05)), 6)
    0.051293
    """
    counts, alphas = _arrays(count, alpha)
    pairs = np.stack([counts.ravel(), alphas.ravel()], axis=1)
    distinct, where = np.unique(pairs, axis=0, return_inverse=True)
    solved = np.array([_poisson_bound(float(c), float(a)) for c, a in distinct])
    if not solved.size:
        return np.zeros(counts.shape)
    return solved[np.ravel(where)].reshape(counts.shape)


@lru_cache(maxsize=4096)
def _poisson_bound(count: float, alpha: float) -> float:
    """Bisection on ``P(a, l) = l^a e^-l / Gamma(a + 1) * sum_k l^k / ((a + 1) ... (a + k))``,
    the series of the regularised incomplete gamma function, which converges fast for the
    small counts (and so small ``l``) this is used for."""
    a = max(count, 1e-12)
    log_gamma = math.lgamma(a + 1.0)
    low, high = 0.0, a + 10.0 * math.sqrt(a) + 10.0
    for _ in range(_POISSON_BISECTIONS):
        middle = (low + high) / 2.0
        term = total = 1.0
        for k in range(1, _GAMMA_SERIES_TERMS):
            term *= middle / (a + k)
            total += term
        value = math.exp(a * math.log(middle) - middle - log_gamma) * total
        low, high = (low, middle) if value > alpha else (middle, high)
    return (low + high) / 2.0


def newcombe_interval(
    x1: np.ndarray | float,
    n1: np.ndarray | float,
    x2: np.ndarray | float,
    n2: np.ndarray | float,
    *,
    confidence_level: Level = 0.95,
) -> Pair:
    """Newcombe's hybrid score interval for the difference ``x1/n1 - x2/n2`` of two rates.

    With ``(l1, u1)`` and ``(l2, u2)`` the Wilson intervals of the two rates and ``d`` their
    difference: ``d - sqrt((p1 - l1)^2 + (u2 - p2)^2)`` to ``d + sqrt((u1 - p1)^2 +
    (p2 - l2)^2)`` (Newcombe 1998, method 10). ``nan`` where either rate is undefined.

    Examples
    --------
    >>> low, high = newcombe_interval(56, 70, 48, 80)
    >>> round(float(low), 4), round(float(high), 4)
    (0.0524, 0.3339)
    """
    a, m, b, k = _arrays(x1, n1, x2, n2)
    l1, u1 = wilson_interval(a, m, confidence_level=confidence_level)
    l2, u2 = wilson_interval(b, k, confidence_level=confidence_level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = a / m, b / k
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return np.clip(low, -1.0, 1.0), np.clip(high, -1.0, 1.0)


def mover_sum_interval(
    estimates: tuple[np.ndarray, np.ndarray],
    lows: tuple[np.ndarray, np.ndarray],
    highs: tuple[np.ndarray, np.ndarray],
) -> Pair:
    """Interval for the sum of two independent estimates from each one's interval (MOVER).

    ``L = s - sqrt((e1 - l1)^2 + (e2 - l2)^2)``, ``U = s + sqrt((u1 - e1)^2 + (u2 - e2)^2)``
    with ``s = e1 + e2`` (Zou & Donner 2008). Newcombe's difference interval is this rule applied
    to two Wilson intervals.

    Examples
    --------
    >>> low, high = mover_sum_interval(
    ...     (np.array(0.1), np.array(0.2)), (np.array(0.0), np.array(0.1)),
    ...     (np.array(0.3), np.array(0.3)))
    >>> round(float(low), 4), round(float(high), 4)
    (0.1586, 0.5236)
    """
    e1, e2 = estimates
    total = e1 + e2
    low = total - np.sqrt((e1 - lows[0]) ** 2 + (e2 - lows[1]) ** 2)
    high = total + np.sqrt((highs[0] - e1) ** 2 + (highs[1] - e2) ** 2)
    return low, high


def _ratio_score(
    log_ratio: np.ndarray,
    x1: np.ndarray,
    n1: np.ndarray,
    x2: np.ndarray,
    n2: np.ndarray,
    correction: np.ndarray | float = 1.0,
) -> np.ndarray:
    """Koopman's score statistic (chi-square, 1 df) for ``H0: p1 / p2 = exp(log_ratio)``.

    ``(p1_hat - phi p2_hat)^2 / (q1 (1 - q1)/n1 + phi^2 q2 (1 - q2)/n2)`` where ``q2`` is the
    maximum-likelihood estimate of ``p2`` under the null hypothesis (the smaller root of
    ``phi N q^2 - (phi (n1 + x2) + x1 + n2) q + (x1 + x2) = 0``, ``N = n1 + n2``) and
    ``q1 = phi q2``; the variance is multiplied by ``correction`` (1 for Koopman 1984,
    ``N/(N-1)`` for Miettinen & Nurminen 1985).
    """
    phi = np.exp(log_ratio)
    a = phi * (n1 + n2)
    b = -(phi * (n1 + x2) + x1 + n2)
    c = x1 + x2
    root = np.sqrt(np.maximum(b * b - 4.0 * a * c, 0.0))
    # The smaller root, in the form that does not cancel when 4ac is small next to b^2.
    q2 = 2.0 * c / (-b + root)
    q1 = np.minimum(phi * q2, 1.0)
    variance = (q1 * (1.0 - q1) / n1 + phi * phi * q2 * (1.0 - q2) / n2) * correction
    gap = x1 / n1 - phi * x2 / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = gap * gap / variance
    return np.where(variance > 0, statistic, np.where(np.abs(gap) > 1e-15, np.inf, 0.0))


def _increasing_root(
    function: Callable[[np.ndarray], np.ndarray],
    below: np.ndarray,
    above: np.ndarray,
) -> np.ndarray:
    """Where an increasing, vectorised ``function`` crosses 0 in ``[below, above]``.

    The Illinois variant of regula falsi (Dowell & Jarratt 1971): each step takes the secant
    through the bracket's ends and halves the value kept at an end that stays put twice, so the
    bracket always holds the root and shrinks superlinearly. An element stops once the function
    is within ``_TOLERANCE`` of 0 at an end, or the bracket is that narrow.
    """
    low, high = below.astype(float), above.astype(float)
    f_low, f_high = function(low), function(high)
    stale = np.zeros(low.shape, dtype=np.int8)  # 1: high moved last, -1: low moved last
    for _ in range(_MAX_STEPS):
        width = high - low
        unsettled = np.minimum(np.abs(f_low), np.abs(f_high)) > _TOLERANCE
        moving = unsettled & (width > _TOLERANCE * (1.0 + np.abs(low))) & (f_low < 0) & (f_high > 0)
        if not moving.any():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            step = low - f_low * width / (f_high - f_low)
        # A secant step that leaves the bracket (or is undefined) becomes the midpoint.
        middle = np.where((step > low) & (step < high), step, low + width / 2.0)
        f_middle = function(middle)
        to_high = moving & (f_middle > 0)
        to_low = moving & ~(f_middle > 0)
        high, f_high = np.where(to_high, middle, high), np.where(to_high, f_middle, f_high)
        low, f_low = np.where(to_low, middle, low), np.where(to_low, f_middle, f_low)
        # Illinois: when the same end moves twice in a row, halve the other end's value.
        f_low = np.where(to_high & (stale == 1), f_low / 2.0, f_low)
        f_high = np.where(to_low & (stale == -1), f_high / 2.0, f_high)
        stale = np.where(to_high, 1, np.where(to_low, -1, stale)).astype(np.int8)
    return np.where(np.abs(f_low) < np.abs(f_high), low, high)


def koopman_interval(
    x1: np.ndarray | float,
    n1: np.ndarray | float,
    x2: np.ndarray | float,
    n2: np.ndarray | float,
    *,
    confidence_level: Level = 0.95,
) -> Pair:
    """Koopman's asymptotic score interval for the ratio ``(x1/n1) / (x2/n2)`` of two rates.

    The ratios ``phi`` that the score test of ``p1 = phi p2`` does not reject at the level
    (Koopman 1984); see :func:`miettinen_nurminen_interval`, which govern reports, for the
    search and the edge cases.

    Examples
    --------
    >>> low, high = koopman_interval(7, 34, 1, 34)
    >>> round(float(low), 4), round(float(high), 4)
    (1.2209, 42.5757)
    """
    return _ratio_score_interval(x1, n1, x2, n2, confidence_level, corrected=False)


def miettinen_nurminen_interval(
    x1: np.ndarray | float,
    n1: np.ndarray | float,
    x2: np.ndarray | float,
    n2: np.ndarray | float,
    *,
    confidence_level: Level = 0.95,
) -> Pair:
    """The Miettinen-Nurminen score interval for the ratio ``(x1/n1) / (x2/n2)`` of two rates.

    Koopman's score interval with the statistic's variance multiplied by ``N/(N-1)``,
    ``N = n1 + n2`` (Miettinen & Nurminen 1985): a little wider in small groups, the same in
    large ones. Both limits solve ``statistic(phi) = z^2``, found by a bracketing secant search
    on ``log(phi)`` for all groups at once. 0 successes in the first group give a lower limit
    of 0 (and a finite upper one); 0 in the second give an infinite upper limit; 0 in both, or
    an empty group, give ``nan``.

    Examples
    --------
    >>> low, high = miettinen_nurminen_interval(7, 34, 1, 34)
    >>> round(float(low), 4), round(float(high), 4)
    (1.2086, 43.033)
    """
    return _ratio_score_interval(x1, n1, x2, n2, confidence_level, corrected=True)


def _ratio_score_interval(
    x1: np.ndarray | float,
    n1: np.ndarray | float,
    x2: np.ndarray | float,
    n2: np.ndarray | float,
    confidence_level: Level,
    *,
    corrected: bool,
) -> Pair:
    a, m, b, k, z = _arrays(x1, n1, x2, n2, _quantiles(confidence_level))
    valid = (m > 0) & (k > 0) & (a + b > 0)
    # Placeholder counts where the interval is undefined keep the arithmetic finite.
    a, b = np.where(valid, a, 1.0), np.where(valid, b, 1.0)
    m, k = np.where(valid, m, 2.0), np.where(valid, k, 2.0)
    with np.errstate(divide="ignore"):
        estimate = np.log(a / m) - np.log(b / k)
    finite = np.isfinite(estimate)
    centre = np.where(finite, estimate, 0.0)
    far_low, far_high = centre - _LOG_SPAN, centre + _LOG_SPAN
    # Left of the estimate the statistic falls to 0, right of it it rises again; with 0 in the
    # first group only the upper limit exists (and with 0 in the second only the lower one),
    # searched over the whole span.
    has_low = valid & (a > 0)
    has_high = valid & (b > 0)
    low_top = np.where(finite, centre, far_high)
    high_bottom = np.where(finite, centre, far_low)
    a2, m2, b2, k2, z_both = (np.concatenate([v.ravel(), v.ravel()]) for v in (a, m, b, k, z))
    total = m2 + k2
    correction = np.where(total > 1, total / (total - 1.0), 1.0) if corrected else 1.0
    size = a.size
    # Both limits in one search: the lower one as the root of z - sqrt(statistic) left of the
    # estimate, the upper one as the root of sqrt(statistic) - z right of it. The square root
    # is close to linear in log(phi), which suits the secant steps; it is capped so that the
    # far ends of the search stay finite.
    sign = np.concatenate([-np.ones(size), np.ones(size)])

    def distance(t: np.ndarray) -> np.ndarray:
        statistic = np.minimum(_ratio_score(t, a2, m2, b2, k2, correction), _STATISTIC_CAP)
        return sign * (np.sqrt(statistic) - z_both)

    # Start from a bracket a few Katz half-widths wide around the estimate (on the log scale,
    # half a record added to every count so that it exists when a count is 0), widened to the
    # whole span where it does not hold the limit.
    with np.errstate(divide="ignore"):
        half = 3.0 * z * np.sqrt(1 / (a + 0.5) - 1 / (m + 0.5) + 1 / (b + 0.5) - 1 / (k + 0.5))
    smoothed = np.log((a + 0.5) / (m + 0.5)) - np.log((b + 0.5) / (k + 0.5))
    near_low = np.maximum(np.minimum(smoothed, centre) - half, far_low)
    near_high = np.minimum(np.maximum(smoothed, centre) + half, far_high)
    below = np.concatenate([near_low.ravel(), high_bottom.ravel()])
    above = np.concatenate([low_top.ravel(), near_high.ravel()])
    outer = np.concatenate([far_low.ravel(), far_high.ravel()])
    missed = np.concatenate([distance(below)[:size] >= 0, distance(above)[size:] <= 0])
    below = np.where(missed & (sign < 0), outer, below)
    above = np.where(missed & (sign > 0), outer, above)
    roots = _increasing_root(distance, below, above)
    lower, upper = roots[:size].reshape(a.shape), roots[size:].reshape(a.shape)
    low = np.where(has_low, np.exp(lower), 0.0)
    high = np.where(has_high, np.exp(upper), np.inf)
    return np.where(valid, low, np.nan), np.where(valid, high, np.nan)


def effective_counts(
    weighted_successes: np.ndarray,
    weighted_trials: np.ndarray,
    weight_squares: np.ndarray,
) -> Pair:
    """Counts that carry a weighted rate's precision, from Kish's effective sample size.

    ``n_eff = (sum w)^2 / sum w^2`` over the records behind the rate's denominator (Kish 1965,
    *Survey Sampling*, sec. 11.7), and ``x_eff = rate * n_eff``; unweighted counts come back
    unchanged. The closed-form intervals take these in place of counts.

    Examples
    --------
    >>> x, n = effective_counts(np.array([6.0]), np.array([20.0]), np.array([40.0]))
    >>> float(x[0]), float(n[0])
    (3.0, 10.0)
    """
    trials = np.asarray(weighted_trials, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(weight_squares > 0, trials * trials / weight_squares, 0.0)
        x_eff = np.where(trials > 0, weighted_successes / trials, 0.0) * n_eff
    return x_eff, n_eff


def sidak_level(confidence_level: float, comparisons: int) -> float:
    """The per-comparison level that gives ``confidence_level`` jointly over independent ones.

    Examples
    --------
    >>> round(sidak_level(0.95, 2), 6)
    0.974679
    """
    return float(confidence_level ** (1.0 / max(comparisons, 1)))


def bonferroni_level(confidence_level: float, comparisons: int) -> float:
    """The per-comparison level that gives at least ``confidence_level`` jointly, any comparisons.

    Examples
    --------
    >>> bonferroni_level(0.95, 10)
    0.995
    """
    return 1.0 - (1.0 - confidence_level) / max(comparisons, 1)
