"""Single-input proxies: how strongly one input encodes one sensitive attribute.

- Categorical inputs: Cramér's V (Cramér 1946), from the contingency table.
- Numeric inputs: the correlation ratio η (Pearson 1905), the square root of the share of the
  input's variance explained by group membership.
- Both: normalised mutual information (MI divided by the mean of the two entropies, as
  scikit-learn's ``normalized_mutual_info_score``), numeric inputs cut into tenths.

V and η run from 0 (no association) to 1 (the input determines the attribute), so one threshold
applies to both. Missing values are a category of their own: that a value is missing can itself
give the attribute away.

Intervals invert the noncentral distribution of the test statistic, the usual confidence
interval for an effect size (Smithson 2003, "Confidence Intervals", ch. 4-5; Steiger 2004,
Psychological Methods 9:164): for V the noncentral chi-square of the contingency table
(V = sqrt(lambda / (n (k - 1)))), for η the noncentral F of the one-way analysis of variance
(η² = lambda / (lambda + n)). A bootstrap would not do here: both measures are biased upwards
and bounded below by 0, so near 0 every resample lies above the estimate. For the same reason a
weak link's plain V or η can lie above the interval of the population's value; the interval is
then widened to reach the estimate, so it always holds the figure it is printed beside.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from govern.errors import DataError
from govern.evidence.transparency import ProxyScore

if TYPE_CHECKING:
    import pandas as pd

# A numeric column with at most this many distinct values is treated as categorical
# (codes such as 0/1 flags or band numbers), where Cramér's V is the fitting measure.
MAX_CATEGORICAL_LEVELS = 20
# Numeric inputs are cut into this many quantile bins for the mutual information.
MI_BINS = 10
MISSING_LABEL = "<missing>"

MISSING_COLUMN = "column {column!r} is not in the data; the data has: {available}."


def is_categorical(values: pd.Series) -> bool:
    """True for strings, booleans, categories and numbers with few distinct values."""
    import pandas as pd

    if isinstance(values.dtype, pd.CategoricalDtype) or values.dtype == bool:
        return True
    if not pd.api.types.is_numeric_dtype(values):
        return True
    return bool(values.nunique(dropna=True) <= MAX_CATEGORICAL_LEVELS)


def category_codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes 0..k-1 of a column's values, missing values being one more category."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=False, sort=True)
    return np.asarray(codes, dtype=np.int64), max(len(uniques), 1)


def _binned_codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Quantile bins of a numeric column (missing values a bin of their own)."""
    import numpy as np

    numbers = values.to_numpy(dtype=float)
    finite = ~np.isnan(numbers)
    edges = np.unique(np.quantile(numbers[finite], np.linspace(0, 1, MI_BINS + 1)[1:-1]))
    codes = np.where(finite, np.searchsorted(edges, numbers, side="right"), edges.size + 1)
    return codes.astype(np.int64), int(edges.size + 2)


def contingency(a: np.ndarray, ka: int, b: np.ndarray, kb: int) -> np.ndarray:
    """The ka x kb table of counts of two code arrays (one bincount)."""
    import numpy as np

    return np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb).astype(float)


def _chi_square(table: np.ndarray) -> tuple[float, float, int, int] | None:
    """Pearson's chi-square of a count table without its empty rows and columns, with n,
    min(rows, columns) - 1 and the degrees of freedom; None when it has one row or column."""
    import numpy as np

    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    n = float(table.sum())
    if n == 0 or min(table.shape) < 2:
        return None
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return chi2, n, min(table.shape) - 1, (table.shape[0] - 1) * (table.shape[1] - 1)


def _cramers_v_table(table: np.ndarray) -> float:
    found = _chi_square(table)
    if found is None:
        return 0.0
    chi2, n, k, _ = found
    return float(min(1.0, (chi2 / (n * k)) ** 0.5))


def _nmi_table(table: np.ndarray) -> float:
    """Normalised mutual information (arithmetic mean of the entropies) of a count table."""
    import numpy as np

    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] == table.shape[1] == 1:
        return 1.0  # neither splits the data: a perfect match, as scikit-learn has it
    if min(table.shape) < 2:
        return 0.0
    p = table / table.sum()
    px, py = p.sum(axis=1), p.sum(axis=0)
    nz = p > 0
    mi = float((p[nz] * np.log(p[nz] / np.outer(px, py)[nz])).sum())
    if mi <= 0:
        return 0.0
    hx = float(-(px * np.log(px)).sum())
    hy = float(-(py * np.log(py)).sum())
    return float(min(1.0, mi / ((hx + hy) / 2)))


def cramers_v(feature: pd.Series, attribute: pd.Series) -> float:
    """Cramér's V between two categorical series; missing values count as a category.

    Examples
    --------
    >>> import pandas as pd
    >>> round(cramers_v(pd.Series(list("aabb")), pd.Series(list("xxyy"))), 3)
    1.0
    """
    fa, ka = category_codes(feature)
    fb, kb = category_codes(attribute)
    return _cramers_v_table(contingency(fa, ka, fb, kb))


def normalized_mutual_info(feature: pd.Series, attribute: pd.Series) -> float:
    """Normalised mutual information of an input and an attribute, 0 to 1.

    Numeric inputs with many values are cut into tenths first; missing values are a category.

    Examples
    --------
    >>> import pandas as pd
    >>> normalized_mutual_info(pd.Series(list("aabb")), pd.Series(list("xxyy")))
    1.0
    """
    fa, ka = _codes_for_information(feature)
    fb, kb = category_codes(attribute)
    return _nmi_table(contingency(fa, ka, fb, kb))


def _codes_for_information(feature: pd.Series) -> tuple[np.ndarray, int]:
    return category_codes(feature) if is_categorical(feature) else _binned_codes(feature)


def _eta_from_sums(counts: np.ndarray, sums: np.ndarray, total_sq: float) -> float:
    import numpy as np

    n = counts.sum()
    if n == 0:
        return 0.0
    grand = sums.sum()
    total = total_sq - grand**2 / n
    if total <= 1e-12 * max(total_sq, 1.0):
        return 0.0
    present = counts > 0
    between = float((sums[present] ** 2 / counts[present]).sum() - grand**2 / n)
    return float(np.sqrt(min(1.0, max(0.0, between / total))))


def correlation_ratio(feature: pd.Series, attribute: pd.Series) -> float:
    """Correlation ratio η of a numeric feature across the groups of a categorical attribute.

    η² is the share of the feature's variance explained by group membership; records with a
    missing feature value are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> correlation_ratio(pd.Series([1.0, 1.0, 3.0, 3.0]), pd.Series(list("aabb")))
    1.0
    """
    import numpy as np

    values = feature.to_numpy(dtype=float)
    codes, k = category_codes(attribute)
    keep = ~np.isnan(values)
    values, codes = values[keep], codes[keep]
    if values.size == 0:
        return 0.0
    # Centre first so that the sums of squares lose no precision on large offsets.
    values = values - values.mean()
    counts = np.bincount(codes, minlength=k).astype(float)
    sums = np.bincount(codes, weights=values, minlength=k)
    return _eta_from_sums(counts, sums, float((values**2).sum()))


def _noncentrality_bounds(
    cdf: Callable[[float], float], level: float, upper_start: float
) -> tuple[float, float]:
    """The noncentrality parameters at which the observed statistic sits at the upper and the
    lower tail: ``cdf(lambda)`` is the statistic's distribution function at the observed value,
    decreasing in lambda."""
    from scipy.optimize import brentq

    tail = (1 - level) / 2

    def solve(target: float) -> float:
        if cdf(0.0) <= target:
            return 0.0
        high = max(upper_start, 1.0)
        while cdf(high) > target:
            high *= 2
        return float(brentq(lambda lam: cdf(lam) - target, 0.0, high, xtol=1e-10))

    return solve(1 - tail), solve(tail)


def _first_finite(*cdfs: Callable[[float], float]) -> Callable[[float], float]:
    """The first of ``cdfs`` that gives a number: scipy's noncentral distributions return NaN
    in places for large noncentralities, where an approximation is accurate."""

    def cdf(lam: float) -> float:
        for candidate in cdfs:
            value = candidate(lam)
            if math.isfinite(value):
                return value
        return math.nan

    return cdf


def _noncentral_chi2_cdf(x: float, df: float) -> Callable[[float], float]:
    """P(X <= x) for X ~ noncentral chi-square(df, lambda), as a function of lambda; where scipy
    fails, the normal approximation (mean df + lambda, variance 2 (df + 2 lambda)), which is
    accurate when lambda is large, as it then is."""
    from statistics import NormalDist

    from scipy.stats import ncx2

    def normal(lam: float) -> float:
        return NormalDist().cdf((x - df - lam) / math.sqrt(2 * (df + 2 * lam)))

    return _first_finite(lambda lam: float(ncx2.cdf(x, df, lam)), normal)


def _cramers_v_interval(table: np.ndarray, level: float) -> tuple[float | None, float | None]:
    found = _chi_square(table)
    if found is None:
        return None, None
    chi2, n, k, df = found
    low, high = _noncentrality_bounds(_noncentral_chi2_cdf(chi2, df), level, chi2)
    return float(min(1.0, (low / (n * k)) ** 0.5)), float(min(1.0, (high / (n * k)) ** 0.5))


def _correlation_ratio_interval(
    feature: pd.Series, attribute: pd.Series, level: float
) -> tuple[float | None, float | None]:
    import numpy as np
    from scipy.stats import ncf

    values = feature.to_numpy(dtype=float)
    codes, k = category_codes(attribute)
    keep = ~np.isnan(values)
    values, codes = values[keep] - values[keep].mean(), codes[keep]
    counts = np.bincount(codes, minlength=k).astype(float)
    groups, n = int((counts > 0).sum()), float(values.size)
    total = float((values**2).sum())
    if groups < 2 or n <= groups or total == 0:
        return None, None
    sums = np.bincount(codes, weights=values, minlength=k)
    between = float((sums[counts > 0] ** 2 / counts[counts > 0]).sum())
    within = total - between
    if within <= 1e-12 * total:
        return 1.0, 1.0
    df1, df2 = groups - 1, n - groups
    f_stat = (between / df1) / (within / df2)
    # Where scipy's noncentral F fails (large samples), df1 * F is noncentral chi-square to
    # within the sampling error of the denominator's n - k degrees of freedom.
    cdf = _first_finite(
        lambda lam: float(ncf.cdf(f_stat, df1, df2, lam)),
        _noncentral_chi2_cdf(f_stat * df1, df1),
    )
    low, high = _noncentrality_bounds(cdf, level, f_stat * df1)
    return float((low / (low + n)) ** 0.5), float((high / (high + n)) ** 0.5)


def strength_interval(
    feature: pd.Series, attribute: pd.Series, *, level: float = 0.95
) -> tuple[float | None, float | None]:
    """The confidence interval of the proxy strength of ``feature`` for ``attribute``.

    Examples
    --------
    >>> import pandas as pd
    >>> low, high = strength_interval(pd.Series(list("ab") * 50), pd.Series(list("xy") * 50))
    >>> round(low, 2), high
    (0.8, 1.0)
    """
    if is_categorical(feature):
        fa, ka = category_codes(feature)
        fb, kb = category_codes(attribute)
        return _cramers_v_interval(contingency(fa, ka, fb, kb), level)
    return _correlation_ratio_interval(feature, attribute, level)


def require_columns(data: pd.DataFrame, columns: Sequence[str]) -> None:
    """Raise DataError naming the first column that is not in ``data``."""
    available = ", ".join(map(str, data.columns))
    for column in columns:
        if column not in data.columns:
            raise DataError(MISSING_COLUMN.format(column=column, available=available))


def proxy_scores(
    data: pd.DataFrame,
    *,
    features: Sequence[str],
    sensitive: Sequence[str],
    level: float = 0.95,
) -> list[ProxyScore]:
    """How strongly each feature encodes each sensitive attribute, strongest first, each with
    its confidence interval at ``level``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"area": list("aabb"), "sex": list("ffmm")})
    >>> [(p.feature, p.strength) for p in proxy_scores(frame, features=["area"],
    ...                                                 sensitive=["sex"])]
    [('area', 1.0)]
    """
    require_columns(data, [*features, *sensitive])
    scores: list[ProxyScore] = []
    for attribute in sensitive:
        for feature in features:
            if feature == attribute:
                continue
            column = data[feature]
            categorical = is_categorical(column)
            measure = cramers_v if categorical else correlation_ratio
            strength = round(measure(column, data[attribute]), 12)
            low, high = strength_interval(column, data[attribute], level=level)
            if low is not None and high is not None:
                low, high = min(low, strength), max(high, strength)
            scores.append(
                ProxyScore(
                    feature=feature,
                    attribute=attribute,
                    strength=strength,
                    method="cramers_v" if categorical else "correlation_ratio",
                    ci_low=low,
                    ci_high=high,
                    mutual_information=round(normalized_mutual_info(column, data[attribute]), 12),
                    n=int(len(column) if categorical else column.notna().sum()),
                )
            )
    return sorted(scores, key=lambda s: (-s.strength, s.attribute, s.feature))
