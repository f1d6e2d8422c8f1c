"""Do a rate's groups differ by more than chance? One test over all the groups of an attribute.

Comparing the lowest group with the highest picks the two most extreme of several noisy
estimates, so a pairwise test of that pair is too eager to find a difference. The question
"do the groups' rates differ at all" has its own test, the chi-square test of homogeneity of a
groups x (yes, no) table (Pearson 1900; Agresti 2013, *Categorical Data Analysis*, 3rd ed.,
3.2). When an expected count is under 5 its p-value comes instead from redrawing the table with
the same margins (the exact conditional distribution, sampled: Agresti 2013, 3.5; 2,000 draws,
seeded). Tests of one rate are Holm-adjusted over the attributes and intersections audited.
"""

from __future__ import annotations

import numpy as np

from govern.audits.fairness.stats import holm_adjust
from govern.evidence.oversight import HomogeneityTest
from govern.results import ALL_GROUPS, INTERSECTION_SEPARATOR, UNKNOWN_GROUP, MetricRow

MIN_EXPECTED = 5.0
DRAWS = 2000


def _statistic(selected: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Pearson's chi-square of groups x (selected, not) tables; one table per row of
    ``selected`` when it is two-dimensional."""
    pooled = selected.sum(axis=-1, keepdims=True) / n.sum()
    expected_yes = n * pooled
    expected_no = n * (1 - pooled)
    with np.errstate(divide="ignore", invalid="ignore"):
        yes = np.where(expected_yes > 0, (selected - expected_yes) ** 2 / expected_yes, 0.0)
        no = np.where(expected_no > 0, ((n - selected) - expected_no) ** 2 / expected_no, 0.0)
    return (yes + no).sum(axis=-1)


def homogeneity_p_value(selected: np.ndarray, n: np.ndarray, *, seed: int) -> tuple[float, str]:
    """The p-value of "every group has the same rate", and the method used.

    Examples
    --------
    >>> import numpy as np
    >>> p, method = homogeneity_p_value(np.array([10, 30]), np.array([100, 100]), seed=0)
    >>> round(p, 5), method  # chi-square 12.5 on 1 degree of freedom
    (0.00041, 'chi_square')
    """
    from scipy.stats import chi2

    observed = float(_statistic(selected, n))
    total_yes = round(float(selected.sum()))
    pooled = total_yes / n.sum()
    if min((n * pooled).min(), (n * (1 - pooled)).min()) >= MIN_EXPECTED:
        return float(chi2.sf(observed, df=len(n) - 1)), "chi_square"
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_hypergeometric(n.astype(np.int64), total_yes, size=DRAWS)
    extreme = np.count_nonzero(_statistic(draws.astype(float), n) >= observed - 1e-9)
    return float((extreme + 1) / (DRAWS + 1)), "exact_monte_carlo"


def _judged(row: MetricRow, minimum: float) -> bool:
    parts = row.group.split(INTERSECTION_SEPARATOR)
    return (
        row.group != ALL_GROUPS
        and UNKNOWN_GROUP not in parts
        and row.value is not None
        and (row.n >= minimum)
    )


def homogeneity_tests(
    rate: str, rows: list[MetricRow], *, minimum: float, alpha: float, seed: int
) -> list[HomogeneityTest]:
    """One test per attribute of the rate's rows (groups with ``minimum`` records), Holm-adjusted
    over the attributes."""
    found = []
    for attribute in dict.fromkeys(row.attribute for row in rows):
        judged = [r for r in rows if r.attribute == attribute and _judged(r, minimum)]
        if len(judged) < 2:
            continue
        n = np.array([float(r.n) for r in judged])
        selected = np.round(np.array([(r.value or 0.0) * r.n for r in judged]))
        p_value, method = homogeneity_p_value(selected, n, seed=seed)
        found.append((attribute, [r.group for r in judged], p_value, method))
    adjusted = holm_adjust([p for _, _, p, _ in found]) if found else []
    return [
        HomogeneityTest(
            rate=rate,
            attribute=attribute,
            groups=groups,
            method=method,
            p_value=p_value,
            p_value_adjusted=p_adjusted,
            significant=p_adjusted < alpha,
        )
        for (attribute, groups, p_value, method), p_adjusted in zip(found, adjusted, strict=True)
    ]
