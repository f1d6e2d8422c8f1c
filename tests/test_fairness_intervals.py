"""Every closed-form interval against its published formula, worked by hand on small cases
(4 of 18 against 30 of 50, 0 of 2, 2 of 2), and against the worked examples printed with it.

The formulas are typed here from the papers, independently of ``govern.audits.fairness``:
Wilson (1927); Brown, Cai & DasGupta (2001, sec. 4.1.1); Newcombe (1998, method 10, and his
Table II); Koopman (1984) and Miettinen & Nurminen (1985), checked through their defining
property (the score statistic equals z^2 at each limit, with the constrained maximum-likelihood
estimate found numerically) and the worked example of Fagerland, Lydersen & Laake (2017, ch. 4:
7 of 34 against 1 of 34); Zou & Donner (2008) for the MOVER.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import gammaincinv

from govern.audits.fairness import audit_fairness
from govern.audits.fairness.attribute_wide import (
    difference_spread_interval,
    ratio_spread_interval,
    spread_from_group_limits,
)
from govern.audits.fairness.intervals import (
    BAD_CONFIDENCE_LEVEL,
    koopman_interval,
    miettinen_nurminen_interval,
    mover_sum_interval,
    newcombe_interval,
    normal_quantile,
    poisson_lower_bound,
    wilson_interval,
)
from govern.errors import BadInputError

Z = 1.959963984540054


def hand_wilson(x: float, n: float, z: float = Z) -> tuple[float, float]:
    """Wilson (1927): the roots in p of (x/n - p)^2 = z^2 p (1 - p) / n."""
    a = 1 + z * z / n
    b = -(2 * x / n + z * z / n)
    c = (x / n) ** 2
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


def hand_newcombe(x1: float, n1: float, x2: float, n2: float) -> tuple[float, float]:
    """Newcombe (1998), method 10, from the two Wilson intervals."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = hand_wilson(x1, n1)
    l2, u2 = hand_wilson(x2, n2)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt(
        (u1 - p1) ** 2 + (p2 - l2) ** 2
    )


def score_statistic(phi: float, x1: float, n1: float, x2: float, n2: float, mn: bool) -> float:
    """The score statistic of H0: p1 = phi p2 in Pearson's form (Koopman 1984), at the
    constrained maximum-likelihood estimate found numerically, with MN's N/(N - 1)."""

    def minus_log_likelihood(p2: float) -> float:
        p1 = phi * p2
        total = 0.0
        for x, n, p in ((x1, n1, p1), (x2, n2, p2)):
            total -= x * math.log(p) if x else 0.0
            total -= (n - x) * math.log(1 - p) if n - x else 0.0
        return total

    upper = min(1.0, 1.0 / phi) - 1e-13
    p2 = minimize_scalar(
        minus_log_likelihood, bounds=(1e-13, upper), method="bounded", options={"xatol": 1e-14}
    ).x
    p1 = phi * p2
    pearson = (x1 - n1 * p1) ** 2 / (n1 * p1 * (1 - p1)) + (x2 - n2 * p2) ** 2 / (
        n2 * p2 * (1 - p2)
    )
    total = n1 + n2
    return pearson * ((total - 1) / total if mn else 1.0)


def _pair(values: tuple[np.ndarray, np.ndarray]) -> tuple[float, float]:
    return float(values[0]), float(values[1])


# --- one rate: Wilson, and Brown, Cai & DasGupta's repair ------------------------------------


@pytest.mark.parametrize(("x", "n"), [(4, 18), (30, 50), (0, 2), (2, 2), (1, 1), (7, 34)])
def test_wilson_matches_the_formula(x: int, n: int) -> None:
    low, high = _pair(wilson_interval(x, n))
    expected = hand_wilson(x, n)
    assert low == pytest.approx(max(expected[0], 0.0), abs=1e-12)
    assert high == pytest.approx(min(expected[1], 1.0), abs=1e-12)


def test_wilson_small_cases_by_hand() -> None:
    # 0 of 2: [0, z^2 / (n + z^2)]; 2 of 2: [n / (n + z^2), 1]. Neither has zero width.
    assert _pair(wilson_interval(0, 2)) == (0.0, pytest.approx(Z * Z / (2 + Z * Z)))
    assert _pair(wilson_interval(2, 2)) == (pytest.approx(2 / (2 + Z * Z)), 1.0)
    assert _pair(wilson_interval(0, 2)) == (0.0, pytest.approx(0.657620, abs=1e-6))
    assert _pair(wilson_interval(2, 2)) == (pytest.approx(0.342380, abs=1e-6), 1.0)
    # 4 of 18 and 30 of 50, to four places.
    assert [round(v, 4) for v in _pair(wilson_interval(4, 18))] == [0.0900, 0.4521]
    assert [round(v, 4) for v in _pair(wilson_interval(30, 50))] == [0.4618, 0.7239]


@pytest.mark.parametrize(
    ("x", "n", "expected"),
    # Newcombe (1998a), Stat. Med. 17:857, Table I, method 3 (the score interval).
    [(81, 263, (0.2553, 0.3662)), (15, 148, (0.0624, 0.1605)), (0, 20, (0.0, 0.1611)),
     (1, 29, (0.0061, 0.1718))],
)  # fmt: skip
def test_wilson_matches_newcombes_published_examples(
    x: int, n: int, expected: tuple[float, float]
) -> None:
    assert tuple(round(v, 4) for v in _pair(wilson_interval(x, n))) == expected


def test_modified_wilson_near_the_edges() -> None:
    # Brown, Cai & DasGupta (2001): at 1 to 2 successes (n <= 50) the lower limit is
    # lambda_x / n with P(Poisson(lambda_x) >= x) = alpha; for x = 1, lambda = -ln(1 - alpha).
    low, high = _pair(wilson_interval(1, 5, modified=True))
    assert low == pytest.approx(-math.log(0.95) / 5, abs=1e-12)
    assert high == pytest.approx(hand_wilson(1, 5)[1], abs=1e-12)
    low, _ = _pair(wilson_interval(2, 40, modified=True))
    assert low == pytest.approx(gammaincinv(2, 0.05) / 40, abs=1e-12)
    # The same at the top: 1 failure of 5 moves the upper limit.
    _, high = _pair(wilson_interval(4, 5, modified=True))
    assert high == pytest.approx(1 + math.log(0.95) / 5, abs=1e-12)
    # 3 successes: repaired between 51 and 100 records, not at 50 nor above 100.
    assert _pair(wilson_interval(3, 80, modified=True))[0] == pytest.approx(
        gammaincinv(3, 0.05) / 80, abs=1e-12
    )
    assert _pair(wilson_interval(3, 50, modified=True))[0] == pytest.approx(
        hand_wilson(3, 50)[0], abs=1e-12
    )
    assert _pair(wilson_interval(2, 101, modified=True))[0] == pytest.approx(
        hand_wilson(2, 101)[0], abs=1e-12
    )
    # 0 of n keeps Wilson's lower limit, 0; in 0 of 2 the 2 failures move the upper one.
    assert _pair(wilson_interval(0, 10, modified=True)) == _pair(wilson_interval(0, 10))
    assert _pair(wilson_interval(0, 2, modified=True)) == (
        0.0,
        pytest.approx(1 - gammaincinv(2, 0.05) / 2, abs=1e-12),
    )
    assert _pair(wilson_interval(2, 2, modified=True)) == (
        pytest.approx(gammaincinv(2, 0.05) / 2, abs=1e-12),
        1.0,
    )


def test_poisson_bound_equals_the_inverse_incomplete_gamma() -> None:
    counts = np.array([0.25, 1.0, 1.5, 2.0, 3.0, 2.7])
    np.testing.assert_allclose(
        poisson_lower_bound(counts, 0.05), gammaincinv(counts, 0.05), rtol=1e-10
    )


# --- difference of two rates: Newcombe ------------------------------------------------------


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"), [(4, 18, 30, 50), (0, 2, 2, 2), (2, 2, 0, 2), (2, 2, 2, 2)]
)
def test_newcombe_matches_the_formula(x1: int, n1: int, x2: int, n2: int) -> None:
    low, high = _pair(newcombe_interval(x1, n1, x2, n2))
    expected = hand_newcombe(x1, n1, x2, n2)
    assert (low, high) == (pytest.approx(expected[0]), pytest.approx(expected[1]))
    assert high > low


def test_newcombe_small_cases_by_hand() -> None:
    # 4/18 - 30/50 = -0.3778: [-0.5590, -0.1095].
    assert [round(v, 4) for v in _pair(newcombe_interval(4, 18, 30, 50))] == [-0.5590, -0.1095]
    # 0 of 2 against 2 of 2: d = -1, L = -1, U = -1 + sqrt(2) * z^2 / (2 + z^2).
    low, high = _pair(newcombe_interval(0, 2, 2, 2))
    assert low == pytest.approx(-1.0)
    assert high == pytest.approx(-1 + math.sqrt(2) * Z * Z / (2 + Z * Z))


@pytest.mark.parametrize(
    ("counts", "expected"),
    # Newcombe (1998b), Stat. Med. 17:873, Table II, method 10; and Fagerland, Lydersen &
    # Laake (2017), ch. 4, the Perondi et al. (2004) trial: 7 of 34 against 1 of 34.
    [((56, 70, 48, 80), (0.0524, 0.3339)), ((9, 10, 3, 10), (0.1705, 0.8090)),
     ((0, 10, 0, 20), (-0.1611, 0.2775)), ((10, 10, 0, 20), (0.6791, 1.0)),
     ((7, 34, 1, 34), (0.0189, 0.3404))],
)  # fmt: skip
def test_newcombe_matches_published_examples(
    counts: tuple[int, int, int, int], expected: tuple[float, float]
) -> None:
    assert tuple(round(v, 4) for v in _pair(newcombe_interval(*counts))) == expected


# --- ratio of two rates: Koopman and Miettinen-Nurminen -------------------------------------


@pytest.mark.parametrize("mn", [False, True])
@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"), [(4, 18, 30, 50), (2, 2, 2, 2), (30, 50, 4, 18), (7, 34, 1, 34)]
)
def test_score_ratio_limits_solve_the_score_equation(
    mn: bool, x1: int, n1: int, x2: int, n2: int
) -> None:
    function = miettinen_nurminen_interval if mn else koopman_interval
    low, high = _pair(function(x1, n1, x2, n2))
    estimate = (x1 / n1) / (x2 / n2)
    assert low < estimate < high
    for limit in (low, high):
        assert score_statistic(limit, x1, n1, x2, n2, mn) == pytest.approx(Z * Z, rel=1e-6)
    # Inside the interval the test does not reject.
    assert score_statistic(math.sqrt(low * high), x1, n1, x2, n2, mn) < Z * Z


def test_score_ratio_with_no_one_selected() -> None:
    # 0 of 2 against 2 of 2: the ratio is 0 and so is the lower limit; the upper limit solves
    # the score equation. Against 0 selected the ratio is undefined above: infinite limit.
    low, high = _pair(miettinen_nurminen_interval(0, 2, 2, 2))
    assert low == 0.0
    assert score_statistic(high, 0, 2, 2, 2, mn=True) == pytest.approx(Z * Z, rel=1e-6)
    low, high = _pair(miettinen_nurminen_interval(2, 2, 0, 2))
    assert high == math.inf
    assert score_statistic(low, 2, 2, 0, 2, mn=True) == pytest.approx(Z * Z, rel=1e-6)
    assert all(math.isnan(v) for v in _pair(miettinen_nurminen_interval(0, 2, 0, 2)))


def test_score_ratio_matches_published_examples() -> None:
    # Fagerland, Lydersen & Laake (2017), ch. 4: 7 of 34 against 1 of 34, ratio 7.
    koopman = tuple(round(v, 4) for v in _pair(koopman_interval(7, 34, 1, 34)))
    assert koopman == (1.2209, 42.5757)
    mn = tuple(round(v, 4) for v in _pair(miettinen_nurminen_interval(7, 34, 1, 34)))
    assert mn == (1.2086, 43.0330)


def test_score_ratio_small_case_by_hand() -> None:
    # 4/18 over 30/50 = 0.3704 (limits checked against the score equation above); the
    # variance correction N/(N-1) = 68/67 widens Koopman's interval a little.
    assert [round(v, 4) for v in _pair(koopman_interval(4, 18, 30, 50))] == [0.1466, 0.7928]
    assert [round(v, 4) for v in _pair(miettinen_nurminen_interval(4, 18, 30, 50))] == [
        0.1457,
        0.7965,
    ]


def test_score_ratio_agrees_with_a_root_finder_on_random_tables() -> None:
    from scipy.optimize import brentq

    rng = np.random.default_rng(4)
    n1, n2 = rng.integers(1, 400, 60), rng.integers(1, 60, 60)
    x1, x2 = rng.binomial(n1, rng.random(60) ** 2), rng.binomial(n2, rng.random(60) ** 2)
    low, high = miettinen_nurminen_interval(x1, n1, x2, n2)
    for i in range(60):
        a, m, b, k = float(x1[i]), float(n1[i]), float(x2[i]), float(n2[i])
        if a + b == 0:
            continue

        def excess(t: float, a: float = a, m: float = m, b: float = b, k: float = k) -> float:
            return score_statistic(math.exp(t), a, m, b, k, mn=True) - Z * Z

        if a > 0 and b > 0:
            centre = math.log(a / m) - math.log(b / k)
            if abs(excess(centre - 20)) > 0:
                assert low[i] == pytest.approx(math.exp(brentq(excess, centre - 20, centre)))
            assert high[i] == pytest.approx(math.exp(brentq(excess, centre, centre + 20)))


# --- the MOVER and the attribute-wide intervals ---------------------------------------------


def test_mover_sum_matches_zou_and_donner() -> None:
    low, high = _pair(
        mover_sum_interval((np.array(0.1), np.array(-0.2)), (np.array(0.02), np.array(-0.35)),
                           (np.array(0.25), np.array(-0.05)))
    )  # fmt: skip
    assert low == pytest.approx(-0.1 - math.hypot(0.08, 0.15))
    assert high == pytest.approx(-0.1 + math.hypot(0.15, 0.15))


def test_largest_gap_of_two_groups_folds_newcombes_interval() -> None:
    # |p1 - p2| from Newcombe's interval of p1 - p2: an interval that excludes 0 keeps its
    # distance from 0; one that holds 0 starts at 0.
    low, high = hand_newcombe(4, 18, 30, 50)
    gap = _pair(difference_spread_interval(np.array([4, 30]), np.array([18, 50])))
    assert gap == (pytest.approx(-high), pytest.approx(-low))
    low, high = hand_newcombe(10, 20, 11, 20)
    gap = _pair(difference_spread_interval(np.array([10, 11]), np.array([20, 20])))
    assert gap == (0.0, pytest.approx(max(high, -low)))


def test_smallest_ratio_of_two_groups_is_the_score_interval_of_the_lower_over_the_higher() -> None:
    low, high = _pair(miettinen_nurminen_interval(4, 18, 30, 50))
    assert _pair(ratio_spread_interval(np.array([30, 4]), np.array([50, 18]))) == (
        pytest.approx(low),
        pytest.approx(high),
    )
    # When the interval holds 1 the smallest ratio's upper limit is 1.
    assert _pair(ratio_spread_interval(np.array([10, 11]), np.array([20, 20])))[1] == 1.0


def test_spread_over_many_groups_uses_bonferroni_over_pairs() -> None:
    # Three groups: three pairs, each at 1 - 0.05 / 3; the largest gap's upper limit is the
    # farthest reach of any pair's interval.
    x, n = np.array([3, 5, 9]), np.array([10, 10, 10])
    low, high = _pair(difference_spread_interval(x, n))
    z = normal_quantile(1 - 0.05 / 3)

    def newcombe_at(x1: int, x2: int) -> tuple[float, float]:
        l1, u1 = hand_wilson(x1, 10, z)
        l2, u2 = hand_wilson(x2, 10, z)
        p1, p2 = x1 / 10, x2 / 10
        return p1 - p2 - math.hypot(p1 - l1, u2 - p2), p1 - p2 + math.hypot(u1 - p1, p2 - l2)

    pairs = [newcombe_at(9, 3), newcombe_at(9, 5), newcombe_at(5, 3)]
    assert high == pytest.approx(max(max(u, -lo) for lo, u in pairs))
    assert low == pytest.approx(max(max(lo, -u, 0.0) for lo, u in pairs))


def test_spread_from_group_limits_by_hand() -> None:
    low, high = spread_from_group_limits(
        np.array([0.1, 0.3, 0.5]), np.array([0.2, 0.6, 0.7]), kind="difference"
    )
    assert (float(low), float(high)) == (pytest.approx(0.3), pytest.approx(0.6))
    low, high = spread_from_group_limits(
        np.array([0.1, 0.3, 0.5]), np.array([0.2, 0.6, 0.7]), kind="ratio"
    )
    assert (float(low), float(high)) == (pytest.approx(0.1 / 0.7), pytest.approx(0.2 / 0.5))


@pytest.mark.parametrize("level", [0.0, 1.0, 95.0, -0.5])
def test_bad_levels_are_refused(level: float) -> None:
    with pytest.raises(BadInputError) as error:
        wilson_interval(1, 2, confidence_level=level)
    assert str(error.value) == BAD_CONFIDENCE_LEVEL.format(found=repr(level))


# --- the engine reports these intervals ------------------------------------------------------


def _small_cases() -> pd.DataFrame:
    # a: 4 of 18; b: 30 of 50 (the reference: highest rate among qualifying groups); c: 0 of 2;
    # d: 2 of 2 (highest rate of all, too small to be the reference).
    groups = ["a"] * 18 + ["b"] * 50 + ["c"] * 2 + ["d"] * 2
    decisions = [1] * 4 + [0] * 14 + [1] * 30 + [0] * 20 + [0, 0] + [1, 1]
    return pd.DataFrame({"g": groups, "d": decisions})


def test_the_engine_reports_the_published_intervals_for_small_cases() -> None:
    evidence = audit_fairness(_small_cases(), y_pred="d", sensitive="g", min_group_size=10)
    assert evidence.reference_groups == {"g": "b"}

    def row(metric: str, group: str) -> tuple[float | None, float | None, float | None]:
        found = evidence.value(metric, "g", group)
        assert found is not None
        return found.value, found.ci_low, found.ci_high

    for group, (x, n) in {"a": (4, 18), "b": (30, 50), "c": (0, 2), "d": (2, 2)}.items():
        _, low, high = row("selection_rate", group)
        assert (low, high) == _pair(wilson_interval(x, n, modified=True))
        if group == "b":
            continue
        _, low, high = row("selection_rate_difference", group)
        assert (low, high) == (
            pytest.approx(hand_newcombe(x, n, 30, 50)[0]),
            pytest.approx(hand_newcombe(x, n, 30, 50)[1]),
        )
        _, low, high = row("impact_ratio", group)
        assert (low, high) == _pair(miettinen_nurminen_interval(x, n, 30, 50))
        assert low is not None and high is not None and high > low
    # 0 of 2 and 2 of 2 are not certainties: neither interval has zero width (Wilson's,
    # with Brown, Cai & DasGupta's repair for the 2 failures, or the 2 successes).
    lam = gammaincinv(2, 0.05)
    assert row("selection_rate", "c") == (0.0, 0.0, pytest.approx(1 - lam / 2, abs=1e-12))
    assert row("selection_rate", "d") == (1.0, pytest.approx(lam / 2, abs=1e-12), 1.0)
    _, low, high = row("impact_ratio", "c")
    assert low == 0.0 and high is not None and high > 0.5
    # The reference's own ratio is the reference, not an interval of [1, 1].
    assert row("impact_ratio", "b") == (1.0, None, None)
    assert row("selection_rate_ratio", "b") == (1.0, None, None)
    assert row("selection_rate_difference", "b") == (0.0, None, None)


def test_no_interval_of_the_engine_has_zero_width_for_counts() -> None:
    rng = np.random.default_rng(8)
    for _ in range(20):
        n = int(rng.integers(6, 80))
        frame = pd.DataFrame(
            {
                "g": rng.choice(["a", "b", "c"], n),
                "t": rng.integers(0, 2, n),
                "d": (rng.random(n) < rng.random()).astype(int),
            }
        )
        if frame.t.nunique() < 2:
            continue
        evidence = audit_fairness(frame, y_pred="d", y_true="t", sensitive="g", min_group_size=2)
        for r in evidence.rows():
            if r.ci_low is not None and r.ci_high is not None:
                assert r.ci_high > r.ci_low, r


def test_confidence_level_reaches_every_interval() -> None:
    narrow = audit_fairness(_small_cases(), y_pred="d", sensitive="g", confidence_level=0.8)
    row = narrow.value("selection_rate", "g", "a")
    assert row is not None
    assert (row.ci_low, row.ci_high) == _pair(
        wilson_interval(4, 18, confidence_level=0.8, modified=True)
    )
