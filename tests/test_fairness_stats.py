"""The statistics of the fairness engine, held to hand computations, scipy and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency, fisher_exact, norm

from govern.audits.fairness import stats
from govern.audits.fairness.stats import (
    bootstrap_counts,
    holm_adjust,
    is_flip_flop,
    percentile_interval,
    records_needed,
    selection_rate_test,
    shortfall,
)
from govern.errors import BadInputError

# Quantiles of the standard normal, from printed tables (to 15 digits): z_0.975 and z_0.8.
Z_975 = 1.959963984540054
Z_80 = 0.8416212335729143


# --- selection_rate_test: the z-test --------------------------------------------------------


def test_z_test_matches_the_regulation_formula_worked_by_hand() -> None:
    # 30 of 100 selected in the group, 50 of 100 in the reference.
    # pooled p = 80/200 = 0.4; se = sqrt(0.4 * 0.6 * (1/100 + 1/100)) = sqrt(0.0048)
    # z = (0.5 - 0.3) / sqrt(0.0048) = 2.886751...
    test, z, p = selection_rate_test(
        n_group=100, selected_group=30, n_reference=100, selected_reference=50
    )
    assert test == "two_proportion_z"
    assert z == pytest.approx(0.2 / math.sqrt(0.0048), rel=1e-12)
    assert z == pytest.approx(2.886751345948129, rel=1e-12)
    # two-sided p from the normal tail: 2 * (1 - Phi(2.8868)) = 0.003892...
    assert p == pytest.approx(2 * norm.sf(2.886751345948129), rel=1e-12)
    assert p == pytest.approx(0.0038924, abs=1e-7)


def test_z_is_negative_when_the_group_is_selected_more_often() -> None:
    _, z, _ = selection_rate_test(
        n_group=200, selected_group=120, n_reference=300, selected_reference=120
    )
    assert z is not None and z < 0


@settings(max_examples=200, deadline=None)
@given(
    n_group=st.integers(30, 5000),
    n_reference=st.integers(30, 5000),
    rate_group=st.floats(0.05, 0.95),
    rate_reference=st.floats(0.05, 0.95),
)
def test_z_squared_is_the_chi_square_statistic_without_continuity_correction(
    n_group: int, n_reference: int, rate_group: float, rate_reference: float
) -> None:
    selected_group = round(n_group * rate_group)
    selected_reference = round(n_reference * rate_reference)
    test, z, p = selection_rate_test(
        n_group=n_group,
        selected_group=selected_group,
        n_reference=n_reference,
        selected_reference=selected_reference,
    )
    table = np.array(
        [
            [selected_group, n_group - selected_group],
            [selected_reference, n_reference - selected_reference],
        ]
    )
    expected = chi2_contingency(table, correction=False).expected_freq
    if expected.min() < 5:
        assert test == "fisher_exact"
        return
    assert test == "two_proportion_z"
    chi2 = chi2_contingency(table, correction=False)
    assert z is not None
    assert z**2 == pytest.approx(chi2.statistic, rel=1e-9, abs=1e-12)
    assert p == pytest.approx(chi2.pvalue, rel=1e-9, abs=1e-15)


# --- selection_rate_test: when Fisher's exact test is used -----------------------------------


@pytest.mark.parametrize(
    ("n_group", "selected_group", "n_reference", "selected_reference", "expected_test"),
    [
        (29, 10, 500, 250, "fisher_exact"),  # group under 30
        (500, 250, 29, 10, "fisher_exact"),  # reference under 30
        (30, 10, 30, 15, "two_proportion_z"),  # 30 each, expected counts 12.5 / 17.5
        (1000, 2, 1000, 6, "fisher_exact"),  # expected selections 4 < 5
        (1000, 996, 1000, 998, "fisher_exact"),  # expected rejections 3 < 5
        (1000, 4, 1000, 6, "two_proportion_z"),  # expected selections exactly 5
    ],
)
def test_choice_of_test_follows_the_small_sample_rule(
    n_group: int, selected_group: int, n_reference: int, selected_reference: int, expected_test: str
) -> None:
    test, _, _ = selection_rate_test(
        n_group=n_group,
        selected_group=selected_group,
        n_reference=n_reference,
        selected_reference=selected_reference,
    )
    assert test == expected_test


def test_fisher_matches_a_hypergeometric_sum_worked_by_hand() -> None:
    # Group: 1 of 5 selected; reference: 4 of 5. With the margins fixed (5 selected of 10), the
    # number selected in the group is hypergeometric: P(k) = C(5,k) C(5,5-k) / C(10,5), i.e.
    # 1, 25, 100, 100, 25, 1 over 252. Two-sided: every table no more likely than the observed
    # one (k = 0, 1, 4, 5): 52/252.
    test, odds_ratio, p = selection_rate_test(
        n_group=5, selected_group=1, n_reference=5, selected_reference=4
    )
    by_hand = sum(
        math.comb(5, k) * math.comb(5, 5 - k)
        for k in range(6)
        if math.comb(5, k) * math.comb(5, 5 - k) <= math.comb(5, 1) * math.comb(5, 4)
    ) / math.comb(10, 5)
    assert test == "fisher_exact"
    assert by_hand == pytest.approx(52 / 252)
    assert p == pytest.approx(by_hand, rel=1e-12)
    assert odds_ratio == pytest.approx((1 * 1) / (4 * 4))


@pytest.mark.parametrize(
    ("n_group", "selected_group", "n_reference", "selected_reference"),
    [(12, 3, 40, 25), (25, 0, 25, 9), (8, 8, 20, 4), (200, 1, 150, 9), (3, 1, 2, 2)],
)
def test_fisher_matches_scipy(
    n_group: int, selected_group: int, n_reference: int, selected_reference: int
) -> None:
    test, odds_ratio, p = selection_rate_test(
        n_group=n_group,
        selected_group=selected_group,
        n_reference=n_reference,
        selected_reference=selected_reference,
    )
    reference = fisher_exact(
        [
            [selected_group, n_group - selected_group],
            [selected_reference, n_reference - selected_reference],
        ]
    )
    assert test == "fisher_exact"
    assert p == pytest.approx(reference.pvalue, rel=1e-12)
    if math.isfinite(reference.statistic):
        assert odds_ratio == pytest.approx(reference.statistic, rel=1e-12)
    else:
        assert odds_ratio is None


def test_fisher_odds_ratio_is_none_when_infinite() -> None:
    # Everyone in the group selected: the odds ratio divides by zero rejected people.
    _, odds_ratio, p = selection_rate_test(
        n_group=3, selected_group=3, n_reference=7, selected_reference=2
    )
    assert odds_ratio is None
    assert 0.0 < p <= 1.0


def test_fisher_rounds_weighted_counts_to_whole_people() -> None:
    weighted = selection_rate_test(
        n_group=5.2, selected_group=0.9, n_reference=4.8, selected_reference=4.1
    )
    whole = selection_rate_test(n_group=5, selected_group=1, n_reference=5, selected_reference=4)
    assert weighted == whole


def test_empty_group_gives_p_value_one() -> None:
    test, _, p = selection_rate_test(
        n_group=0, selected_group=0, n_reference=50, selected_reference=20
    )
    assert test == "fisher_exact"
    assert p == 1.0


@pytest.mark.parametrize(
    ("numbers", "found"),
    [
        ((10, 11, 20, 5), "n_group=10, selected_group=11, n_reference=20, selected_reference=5"),
        ((10, 2, -1, 0), "n_group=10, selected_group=2, n_reference=-1, selected_reference=0"),
        (
            (10, float("nan"), 20, 5),
            "n_group=10, selected_group=nan, n_reference=20, selected_reference=5",
        ),
    ],
)
def test_bad_counts_for_the_test_are_reported(numbers: tuple[float, ...], found: str) -> None:
    n_group, selected_group, n_reference, selected_reference = numbers
    with pytest.raises(BadInputError) as error:
        selection_rate_test(
            n_group=n_group,
            selected_group=selected_group,
            n_reference=n_reference,
            selected_reference=selected_reference,
        )
    assert str(error.value) == (
        "selection_rate_test: counts must be finite, non-negative, and selected must not exceed "
        f"n; found {found}."
    )


# --- holm_adjust -----------------------------------------------------------------------------


def test_holm_matches_a_hand_worked_example() -> None:
    # Sorted: 0.005 x4 = 0.02; 0.01 x3 = 0.03; 0.03 x2 = 0.06; 0.04 x1 = 0.04 -> running max 0.06.
    adjusted = holm_adjust([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02], rel=1e-12)


def test_holm_caps_at_one_and_handles_edge_sizes() -> None:
    assert holm_adjust([0.5, 0.6]) == [1.0, 1.0]
    assert holm_adjust([]) == []
    assert holm_adjust([0.2]) == [0.2]
    assert holm_adjust([0.01, 0.01]) == [0.02, 0.02]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=20))
def test_holm_is_monotone_bounded_and_never_below_the_raw_p(p_values: list[float]) -> None:
    adjusted = holm_adjust(p_values)
    m = len(p_values)
    for raw, adj in zip(p_values, adjusted, strict=True):
        assert raw <= adj <= 1.0
        assert adj <= min(1.0, m * raw) + 1e-15
    for i in range(m):
        for j in range(m):
            if p_values[i] < p_values[j]:
                assert adjusted[i] <= adjusted[j]
    # The smallest is always multiplied by m (Bonferroni), capped at 1.
    assert min(adjusted) == pytest.approx(min(1.0, m * min(p_values)))


@pytest.mark.parametrize(("bad", "index"), [([0.1, 1.5], 1), ([float("nan")], 0), ([-0.1], 0)])
def test_holm_rejects_values_that_are_not_probabilities(bad: list[float], index: int) -> None:
    with pytest.raises(BadInputError) as error:
        holm_adjust(bad)
    assert str(error.value) == stats.BAD_P_VALUES.format(found=repr(bad[index]), index=index)
    assert str(error.value).startswith("holm_adjust: p-values must be numbers between 0 and 1")


# --- shortfall and flip-flop -----------------------------------------------------------------


def test_shortfall_by_hand() -> None:
    # 50 people at the reference rate 40% would be 20 selected; 10 were: 10 short.
    assert shortfall(n_group=50, selected_group=10, reference_rate=0.4) == pytest.approx(10.0)
    # Above the rate: a surplus, negative.
    assert shortfall(n_group=50, selected_group=30, reference_rate=0.4) == pytest.approx(-10.0)
    # Weighted counts stay fractional: 12.5 * 0.6 - 3.25 = 4.25.
    assert shortfall(n_group=12.5, selected_group=3.25, reference_rate=0.6) == pytest.approx(4.25)
    # Under one person: not practically significant (the engine reads this figure).
    assert shortfall(n_group=9, selected_group=3, reference_rate=0.4) == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("n_group", "selected_group", "n_reference", "selected_reference", "expected"),
    [
        # IR = 0.3/0.4 = 0.75 < 0.8; with one more selected: 0.4/0.4 = 1.0 -> finding reversed.
        (10, 3, 10, 4, True),
        # IR = 0.6 -> 0.8 exactly: at the threshold is not adverse impact -> reversed.
        (10, 3, 10, 5, True),
        # IR = 0.4 -> 0.6: still below, the finding stands.
        (10, 2, 10, 5, False),
        # Large groups: IR 0.6 -> 0.62.
        (100, 30, 100, 50, False),
        # No finding to reverse: IR = 0.9.
        (100, 45, 100, 50, False),
        # Nobody selected in the reference: ratio undefined.
        (10, 0, 10, 0, False),
        # Empty group.
        (0, 0, 10, 5, False),
    ],
)
def test_flip_flop_by_hand(
    n_group: float,
    selected_group: float,
    n_reference: float,
    selected_reference: float,
    expected: bool,
) -> None:
    assert (
        is_flip_flop(
            n_group=n_group,
            selected_group=selected_group,
            n_reference=n_reference,
            selected_reference=selected_reference,
        )
        is expected
    )


def test_flip_flop_respects_the_threshold() -> None:
    # IR = 0.5 -> 0.75 with one more: below 0.8 (no flip) but at or above 0.7 (flip).
    kwargs = {"n_group": 4, "selected_group": 2, "n_reference": 1, "selected_reference": 1}
    assert is_flip_flop(**kwargs) is False
    assert is_flip_flop(**kwargs, threshold=0.7) is True


# --- records_needed --------------------------------------------------------------------------


def _records_needed_by_hand(p1: float, p2: float) -> float:
    mean = (p1 + p2) / 2
    return (
        Z_975 * math.sqrt(2 * mean * (1 - mean)) + Z_80 * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    ) ** 2 / (p1 - p2) ** 2


def test_records_needed_matches_the_formula_worked_by_hand() -> None:
    # p1 = 0.5, p2 = 0.4: (1.96 * sqrt(0.495) + 0.8416 * sqrt(0.49))^2 / 0.01 = 387.33 -> 388.
    assert _records_needed_by_hand(0.5, 0.4) == pytest.approx(387.33, abs=0.01)
    assert records_needed(reference_rate=0.5) == 388
    # p1 = 0.2, p2 = 0.16: (1.96 * sqrt(0.2952) + 0.8416 * sqrt(0.2944))^2 / 0.0016
    # = (1.06489 + 0.45666)^2 / 0.0016 = 1446.9 -> 1447: a rarer outcome needs more records.
    assert records_needed(reference_rate=0.2) == math.ceil(_records_needed_by_hand(0.2, 0.16))
    assert records_needed(reference_rate=0.2) == 1447
    # Everyone selected in the reference: p1 = 1, p2 = 0.8.
    assert records_needed(reference_rate=1.0) == math.ceil(_records_needed_by_hand(1.0, 0.8))


def test_records_needed_moves_the_right_way_with_its_settings() -> None:
    base = records_needed(reference_rate=0.3)
    stricter = records_needed(reference_rate=0.3, alpha=0.01)
    more_power = records_needed(reference_rate=0.3, power=0.9)
    smaller_effect = records_needed(reference_rate=0.3, ratio=0.9)
    assert base is not None and stricter is not None
    assert more_power is not None and smaller_effect is not None
    assert stricter > base and more_power > base and smaller_effect > base


@pytest.mark.parametrize(
    "kwargs",
    [
        {"reference_rate": 0.0},
        {"reference_rate": -0.1},
        {"reference_rate": 1.5},
        {"reference_rate": float("nan")},
        {"reference_rate": 0.5, "ratio": 1.0},
        {"reference_rate": 0.9, "ratio": 1.2},
        {"reference_rate": 0.5, "ratio": 0.0},
        {"reference_rate": 0.5, "alpha": 0.0},
        {"reference_rate": 0.5, "power": 1.0},
    ],
)
def test_records_needed_is_none_when_undefined(kwargs: dict[str, float]) -> None:
    assert records_needed(**kwargs) is None


@pytest.mark.parametrize("reference_rate", [0.5, 0.3])
def test_records_needed_gives_the_promised_power_in_simulation(reference_rate: float) -> None:
    # 4,000 simulated audits with groups of the size it recommends, true impact ratio 0.8: the
    # pooled z-test at 5% should reject in about 80% of them (the formula is approximate; the
    # simulation's own standard error is 0.6 points).
    n = records_needed(reference_rate=reference_rate)
    assert n is not None
    rng = np.random.default_rng(20261124)
    simulations = 4000
    p1, p2 = reference_rate, 0.8 * reference_rate
    selected_reference = rng.binomial(n, p1, size=simulations)
    selected_group = rng.binomial(n, p2, size=simulations)
    pooled = (selected_reference + selected_group) / (2 * n)
    z = (selected_reference - selected_group) / n / np.sqrt(pooled * (1 - pooled) * 2 / n)
    power = float(np.mean(np.abs(z) >= Z_975))
    assert 0.77 <= power <= 0.83
    # And one record fewer per ten percent is visibly short of it: the size is not generous.
    short = int(n * 0.7)
    selected_reference = rng.binomial(short, p1, size=simulations)
    selected_group = rng.binomial(short, p2, size=simulations)
    pooled = (selected_reference + selected_group) / (2 * short)
    z = (selected_reference - selected_group) / short / np.sqrt(pooled * (1 - pooled) * 2 / short)
    assert float(np.mean(np.abs(z) >= Z_975)) < 0.72


# --- bootstrap_counts ------------------------------------------------------------------------


def test_bootstrap_preserves_totals_and_shape() -> None:
    counts = np.array([120.0, 0.0, 35.0, 845.0, 7.0])
    replicates = bootstrap_counts(counts, n_boot=500, seed=3)
    assert replicates.shape == (500, 5)
    assert replicates.dtype == np.float64
    assert np.all(replicates.sum(axis=1) == counts.sum())
    # An empty cell stays empty: no record can be drawn from it.
    assert np.all(replicates[:, 1] == 0)
    # Unweighted counts give whole people.
    assert np.all(replicates == np.round(replicates))


def test_bootstrap_is_deterministic_by_seed() -> None:
    counts = np.array([10.0, 20.0, 30.0, 40.0])
    first = bootstrap_counts(counts, n_boot=200, seed=42)
    again = bootstrap_counts(counts, n_boot=200, seed=42)
    other = bootstrap_counts(counts, n_boot=200, seed=43)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_bootstrap_mean_and_covariance_match_the_multinomial() -> None:
    # Multinomial(N, p): mean N p_i, variance N p_i (1 - p_i), covariance -N p_i p_j.
    counts = np.array([50.0, 150.0, 300.0, 500.0])
    total = counts.sum()
    p = counts / total
    n_boot = 20_000
    replicates = bootstrap_counts(counts, n_boot=n_boot, seed=7)
    expected_cov = total * (np.diag(p) - np.outer(p, p))
    mean_error = replicates.mean(axis=0) - total * p
    # Mean within 4 standard errors of the multinomial mean.
    assert np.all(np.abs(mean_error) < 4 * np.sqrt(np.diag(expected_cov) / n_boot))
    # Sample covariance within 5% of the multinomial covariance (its own sampling error is ~1-2%).
    observed_cov = np.cov(replicates, rowvar=False)
    assert np.allclose(observed_cov, expected_cov, rtol=0.05, atol=0.05 * expected_cov.max())


def test_bootstrap_of_weighted_counts_rescales_to_the_total_weight() -> None:
    # 10 records carrying weights that sum to 25: 10 draws per replicate, each worth 2.5.
    counts = np.array([5.0, 7.5, 12.5])
    replicates = bootstrap_counts(counts, n_boot=1000, seed=1, n_records=10)
    assert np.allclose(replicates.sum(axis=1), 25.0)
    assert np.allclose(replicates / 2.5, np.round(replicates / 2.5))
    # Shares are unbiased: the mean replicate is the observed table.
    assert np.allclose(replicates.mean(axis=0), counts, rtol=0.05)
    # The default number of draws is the total weight rounded.
    default = bootstrap_counts(np.array([0.4, 0.9, 1.2]), n_boot=50, seed=1)
    assert np.allclose(default.sum(axis=1), 2.5)
    assert np.allclose(default / (2.5 / 2), np.round(default / (2.5 / 2)))


def test_bootstrap_with_record_counts_redraws_records_at_their_cell_weight() -> None:
    # 40 records of weight 3 and 60 of weight 1 (and an empty cell): each replicate is the
    # unweighted bootstrap of the records, every record counted at its cell's mean weight.
    records = np.array([10.0, 30.0, 25.0, 35.0, 0.0])
    weights = np.array([3.0, 3.0, 1.0, 1.0, 7.0])
    weighted = records * weights
    replicates = bootstrap_counts(weighted, n_boot=300, seed=9, record_counts=records)
    unweighted = bootstrap_counts(records, n_boot=300, seed=9)
    assert np.allclose(replicates, unweighted * weights)
    assert np.all(replicates[:, 4] == 0)
    # Totals vary with the number of heavy records drawn, as in a weighted row bootstrap.
    assert replicates.sum(axis=1).std() > 0
    assert np.allclose(replicates.mean(axis=0), weighted, rtol=0.05)


@pytest.mark.parametrize(
    ("records", "found"),
    [
        (np.array([1.0, 2.0]), "shape (2,)"),
        (
            np.array([1.0, 0.0, 3.0]),
            "a cell with weight but no records, or a negative or fractional count",
        ),
        (
            np.array([1.0, 2.5, 3.0]),
            "a cell with weight but no records, or a negative or fractional count",
        ),
    ],
)
def test_bootstrap_rejects_bad_record_counts(records: np.ndarray, found: str) -> None:
    with pytest.raises(BadInputError) as error:
        bootstrap_counts(np.array([2.0, 4.0, 6.0]), n_boot=5, seed=0, record_counts=records)
    assert str(error.value) == (
        "bootstrap_counts: record_counts must be whole, non-negative numbers of records, one per "
        f"cell of counts (3), and a cell with weight must hold at least one record; found "
        f"{found}. Count unweighted records per cell with the same cell index as the weighted "
        "counts."
    )


def test_bootstrap_edge_sizes() -> None:
    assert bootstrap_counts(np.array([3.0, 4.0]), n_boot=0, seed=0).shape == (0, 2)
    zeros = bootstrap_counts(np.zeros(3), n_boot=4, seed=0)
    assert zeros.shape == (4, 3) and not zeros.any()


@pytest.mark.parametrize(
    ("counts", "found"),
    [
        (np.array([1.0, -2.0, 3.0]), "1 bad value(s), e.g. [-2.0]"),
        (np.array([np.nan, 2.0, np.inf]), "2 bad value(s), e.g. [nan, inf]"),
        (np.ones((2, 2)), "an array of shape (2, 2)"),
    ],
)
def test_bootstrap_rejects_bad_counts(counts: np.ndarray, found: str) -> None:
    with pytest.raises(BadInputError) as error:
        bootstrap_counts(counts, n_boot=10, seed=0)
    assert str(error.value) == (
        "bootstrap_counts: the counts must be a one-dimensional array of finite, non-negative "
        f"numbers; found {found}. Check the weights column for negative or missing values."
    )


@pytest.mark.parametrize("n_boot", [-1, 2.5, True])
def test_bootstrap_rejects_bad_replicate_numbers(n_boot: object) -> None:
    with pytest.raises(BadInputError) as error:
        bootstrap_counts(np.ones(3), n_boot=n_boot, seed=0)  # type: ignore[arg-type]
    assert str(error.value) == (
        f"bootstrap_counts: n_boot must be a whole number of replicates, 0 or more; found "
        f"{n_boot!r}. Use --bootstrap 0 to skip intervals or, for example, --bootstrap 1000."
    )


def test_bootstrap_rejects_bad_record_numbers() -> None:
    with pytest.raises(BadInputError) as error:
        bootstrap_counts(np.ones(3), n_boot=3, seed=0, n_records=0)
    assert str(error.value) == (
        "bootstrap_counts: n_records must be a whole number, 1 or more; found 0. "
        "Pass the number of rows behind the weighted counts."
    )


# --- percentile_interval ---------------------------------------------------------------------


def test_percentile_interval_matches_numpy_without_nans() -> None:
    values = np.random.default_rng(0).normal(size=(999, 6))
    low, high = percentile_interval(values)
    assert np.allclose(low, np.percentile(values, 2.5, axis=0), rtol=0, atol=1e-12)
    assert np.allclose(high, np.percentile(values, 97.5, axis=0), rtol=0, atol=1e-12)
    low90, high90 = percentile_interval(values.T, confidence_level=0.9, axis=1)
    assert np.allclose(low90, np.percentile(values, 5, axis=0), rtol=0, atol=1e-12)
    assert np.allclose(high90, np.percentile(values, 95, axis=0), rtol=0, atol=1e-12)


def test_percentile_interval_skips_nans_like_nanpercentile() -> None:
    rng = np.random.default_rng(1)
    values = rng.uniform(size=(400, 3))
    values[rng.uniform(size=values.shape) < 0.3] = np.nan
    values[:, 2] = np.nan
    values[17, 2] = 0.25
    low, high = percentile_interval(values)
    assert np.allclose(low, np.nanpercentile(values, 2.5, axis=0), rtol=0, atol=1e-12)
    assert np.allclose(high, np.nanpercentile(values, 97.5, axis=0), rtol=0, atol=1e-12)
    assert low[2] == high[2] == 0.25


def test_percentile_interval_all_nan_gives_nan_without_warnings() -> None:
    # pytest turns warnings into errors here, so this also proves no RuntimeWarning is raised.
    values = np.full((100, 2), np.nan)
    values[:, 0] = np.linspace(0, 1, 100)
    low, high = percentile_interval(values)
    assert np.isnan(low[1]) and np.isnan(high[1])
    assert low[0] == pytest.approx(0.025) and high[0] == pytest.approx(0.975)
    empty_low, empty_high = percentile_interval(np.empty((0, 3)))
    assert empty_low.shape == (3,) and np.all(np.isnan(empty_low)) and np.all(np.isnan(empty_high))


def test_percentile_interval_handles_infinite_replicates() -> None:
    # A ratio against a reference rate of 0 in some replicates is inf; bounds stay ordered.
    values = np.array([[0.5], [0.7], [np.inf], [0.9], [np.nan]])
    low, high = percentile_interval(values, confidence_level=0.5)
    assert np.allclose(low, np.nanpercentile(values, 25, axis=0))
    assert high[0] == np.inf or high[0] == np.nanpercentile(values, 75, axis=0)[0]
    assert low[0] <= high[0]


@pytest.mark.parametrize("level", [0.0, 1.0, 95.0, -0.5])
def test_percentile_interval_rejects_bad_levels(level: float) -> None:
    with pytest.raises(BadInputError) as error:
        percentile_interval(np.ones((10, 2)), confidence_level=level)
    assert str(error.value) == (
        f"percentile_interval: confidence_level must lie strictly between 0 and 1; found "
        f"{level!r}. Use, for example, 0.95 for a 95% interval."
    )


def test_vectorised_fisher_matches_scipy_on_many_tables() -> None:
    # Random 2x2 tables of the sizes Fisher's test is used for, symmetric ones (ties between
    # equally likely tables) included; every p-value equals scipy's.
    from govern.audits.fairness.stats import fisher_exact_two_sided

    rng = np.random.default_rng(2026)
    rows = rng.integers(0, 40, size=(3000, 2))
    a = rng.integers(0, rows[:, 0] + 1)
    c = rng.integers(0, rows[:, 1] + 1)
    b, d = rows[:, 0] - a, rows[:, 1] - c
    tied = np.array([[3, 2, 2, 3], [5, 5, 5, 5], [0, 4, 4, 0], [1, 9, 9, 1]]).T
    a, b, c, d = (np.concatenate([x, y]) for x, y in zip((a, b, c, d), tied, strict=True))
    ours = fisher_exact_two_sided(a, b, c, d)
    theirs = np.array(
        [fisher_exact([[w, x], [y, z]]).pvalue for w, x, y, z in zip(a, b, c, d, strict=True)]
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-15)


def test_flip_flop_against_the_overall_rate_moves_the_reference_too() -> None:
    from govern.evidence.fairness import SelectionRateTest

    # 5 of 10 against everyone (13 of 20): 0.5 / 0.65 = 0.77; one more selected gives
    # 0.6 / 0.7 = 0.86, a flip. Against the other group alone (8 of 10) it would not flip:
    # 0.6 / 0.8 = 0.75.
    assert is_flip_flop(
        n_group=10, selected_group=5, n_reference=20, selected_reference=13,
        reference_includes_group=True,
    )  # fmt: skip
    assert not is_flip_flop(n_group=10, selected_group=5, n_reference=10, selected_reference=8)
    test = SelectionRateTest(
        attribute="g", group="a", reference="*", n=10, selected=5.0, reference_n=10,
        reference_selected=8.0, impact_ratio=0.5 / 0.65, test="fisher_exact", statistic=None,
        p_value=0.3, p_value_adjusted=0.3, significant=False, shortfall=1.5, flip_flop=True,
    )  # fmt: skip
    assert test.flips_at(0.8)
    assert not test.model_copy(update={"reference": "b"}).flips_at(0.8)
