"""Single-input proxies and their intervals, checked against scipy and scikit-learn and cases
worked by hand; the modules' examples run as doctests."""

from __future__ import annotations

import doctest
import importlib
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.stats.contingency import association
from sklearn.metrics import normalized_mutual_info_score

from govern.audits.transparency import (
    correlation_ratio,
    cramers_v,
    normalized_mutual_info,
    proxy_scores,
    transparency_evidence,
)
from govern.audits.transparency.associations import MISSING_COLUMN, strength_interval
from govern.errors import DataError

MODULES = [
    "govern.audits.transparency.associations",
    "govern.audits.transparency.auc",
    "govern.audits.transparency.encoding",
    "govern.audits.transparency.groups",
    "govern.audits.transparency.combined",
    "govern.audits.transparency.direct_use",
    "govern.audits.transparency.importance",
    "govern.audits.transparency.individual",
    "govern.audits.transparency.audit",
    "govern.audits.transparency.summary",
    "govern.evidence.transparency",
    "govern.policies.checks.limits",
    "govern.services.transparency",
]

_pairs = st.lists(
    st.tuples(st.sampled_from("abc"), st.sampled_from("xyz")), min_size=4, max_size=200
)


@pytest.mark.parametrize("module", MODULES)
def test_examples_in_docstrings_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0


@settings(max_examples=60, deadline=None)
@given(_pairs)
def test_cramers_v_equals_scipy(pairs: list[tuple[str, str]]) -> None:
    feature = pd.Series([p[0] for p in pairs])
    attribute = pd.Series([p[1] for p in pairs])
    table = pd.crosstab(feature, attribute).to_numpy()
    ours = cramers_v(feature, attribute)
    if min(table.shape) < 2:
        assert ours == 0.0
    else:
        assert ours == pytest.approx(association(table, method="cramer"), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(_pairs)
def test_normalised_mutual_information_equals_scikit_learn(pairs: list[tuple[str, str]]) -> None:
    feature = pd.Series([p[0] for p in pairs])
    attribute = pd.Series([p[1] for p in pairs])
    expected = normalized_mutual_info_score(attribute, feature)
    assert normalized_mutual_info(feature, attribute) == pytest.approx(expected, abs=1e-12)


def test_mutual_information_of_a_numeric_input_uses_its_tenths() -> None:
    rng = np.random.default_rng(5)
    values = pd.Series(rng.normal(size=2000))
    groups = pd.Series(np.where(values > 0.3, "high", "low"))
    # Deciles of the input, by hand: the group is a function of the bin except in the bin
    # that straddles 0.3, so the information is high but not complete.
    bins = pd.qcut(values, 10, labels=False)
    expected = normalized_mutual_info_score(groups, bins)
    assert normalized_mutual_info(values, groups) == pytest.approx(expected, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=-1e3, max_value=1e3, allow_nan=False), st.sampled_from("pqr")
        ),
        min_size=6,
        max_size=200,
    )
)
def test_correlation_ratio_matches_exact_arithmetic(pairs: list[tuple[float, str]]) -> None:
    # η² = between-group sum of squares / total sum of squares, worked out here in exact
    # rational arithmetic from the same floats. (Deriving it from ANOVA's F is ill-conditioned
    # when groups barely vary inside: F overflows to inf, or rounds below zero.)
    values = [Fraction(p[0]) for p in pairs]
    groups = [p[1] for p in pairs]
    mean = sum(values, Fraction(0)) / len(values)
    total = sum(((v - mean) ** 2 for v in values), Fraction(0))
    between = Fraction(0)
    for label in set(groups):
        members = [v for v, g in zip(values, groups, strict=True) if g == label]
        between += len(members) * (sum(members, Fraction(0)) / len(members) - mean) ** 2
    eta = correlation_ratio(pd.Series([p[0] for p in pairs]), pd.Series(groups))
    if total == 0:
        assert eta == 0.0
    else:
        assert eta**2 == pytest.approx(float(between / total), rel=1e-9, abs=1e-12)


def test_correlation_ratio_hand_cases() -> None:
    # groups a: [1, 3] mean 2; b: [5, 7] mean 6; grand mean 4.
    # between = 2*(2-4)^2 + 2*(6-4)^2 = 16; total = 9+1+1+9 = 20; eta = sqrt(0.8)
    eta = correlation_ratio(pd.Series([1.0, 3.0, 5.0, 7.0]), pd.Series(list("aabb")))
    assert eta == pytest.approx(np.sqrt(0.8))
    assert correlation_ratio(pd.Series([2.0, 2.0, 2.0]), pd.Series(list("abc"))) == 0.0


def test_the_interval_of_v_inverts_the_noncentral_chi_square() -> None:
    rng = np.random.default_rng(1)
    attribute = pd.Series(rng.choice(["a", "b", "c"], 900))
    feature = pd.Series(
        np.where(rng.random(900) < 0.3, attribute, rng.choice(["a", "b", "c"], 900))
    )
    chi2, _, dof, _ = stats.chi2_contingency(pd.crosstab(feature, attribute), correction=False)
    low, high = strength_interval(feature, attribute, level=0.9)
    assert low is not None and high is not None
    # V = sqrt(lambda / (n (k - 1))): at the bounds the observed chi-square sits at the 95th and
    # the 5th percentile of the noncentral chi-square.
    scale = 900 * 2
    assert stats.ncx2.cdf(chi2, dof, low**2 * scale) == pytest.approx(0.95, abs=1e-6)
    assert stats.ncx2.cdf(chi2, dof, high**2 * scale) == pytest.approx(0.05, abs=1e-6)
    assert low < cramers_v(feature, attribute) < high


def test_the_interval_of_eta_inverts_the_noncentral_f() -> None:
    rng = np.random.default_rng(2)
    groups = rng.choice(["a", "b", "c"], 600)
    values = rng.normal(size=600) + 0.4 * (groups == "a")
    samples = [values[groups == g] for g in ("a", "b", "c")]
    f_stat = stats.f_oneway(*samples).statistic
    low, high = strength_interval(pd.Series(values), pd.Series(groups), level=0.95)
    assert low is not None and high is not None
    # eta^2 = lambda / (lambda + n)
    lam_low, lam_high = 600 * low**2 / (1 - low**2), 600 * high**2 / (1 - high**2)
    assert stats.ncf.cdf(f_stat, 2, 597, lam_low) == pytest.approx(0.975, abs=1e-6)
    assert stats.ncf.cdf(f_stat, 2, 597, lam_high) == pytest.approx(0.025, abs=1e-6)


@pytest.mark.slow
def test_the_interval_of_v_covers_the_population_value() -> None:
    # Population: the feature copies a balanced binary attribute with probability 0.4, so the
    # 2x2 table's V (= |phi|) is 0.4 exactly; 300 samples of 400 people, a 95% interval each.
    rng = np.random.default_rng(11)
    covered = 0
    for _ in range(300):
        attribute = rng.choice(["a", "b"], 400)
        feature = np.where(rng.random(400) < 0.4, attribute, rng.choice(["a", "b"], 400))
        low, high = strength_interval(pd.Series(feature), pd.Series(attribute))
        covered += low <= 0.4 <= high
    assert 0.91 <= covered / 300 <= 0.99


def test_a_weak_link_keeps_its_estimate_inside_its_interval() -> None:
    rng = np.random.default_rng(4)
    data = pd.DataFrame(
        {"area": rng.choice(list("pqrstu"), 800), "sex": rng.choice(list("fm"), 800)}
    )
    (score,) = proxy_scores(data, features=["area"], sensitive=["sex"])
    assert score.ci_low == 0.0
    assert score.ci_high is not None and score.ci_low <= score.strength <= score.ci_high


def test_proxy_scores_rank_the_planted_proxy_first() -> None:
    rng = np.random.default_rng(3)
    ethnicity = rng.choice(["a", "b", "c"], size=3000)
    # area copies ethnicity 70% of the time; noise is independent of everything
    area = np.where(rng.random(3000) < 0.7, ethnicity, rng.choice(["a", "b", "c"], size=3000))
    data = pd.DataFrame({"ethnicity": ethnicity, "area": area, "noise": rng.normal(size=3000)})
    scores = proxy_scores(data, features=["noise", "area"], sensitive=["ethnicity"])
    assert [s.feature for s in scores] == ["area", "noise"]
    assert scores[0].method == "cramers_v" and scores[1].method == "correlation_ratio"
    assert scores[0].strength > 0.6
    assert scores[1].strength < 0.1
    assert scores[0].n == 3000 and scores[0].mutual_information is not None


def test_missing_values_are_a_category_of_their_own() -> None:
    # Missing areas all belong to group 'b': the missingness itself gives the group away.
    data = pd.DataFrame({"area": ["p", "q", None, None] * 25, "group": ["a", "a", "b", "b"] * 25})
    assert cramers_v(data["area"], data["group"]) == pytest.approx(1.0)


def test_evidence_reads_inputs_from_a_fitted_model() -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    data = pd.DataFrame({"x1": rng.normal(size=400), "x2": rng.normal(size=400)})
    data["sex"] = rng.choice(["f", "m"], size=400)
    model = LogisticRegression().fit(data[["x1", "x2"]], (data["x1"] > 0).astype(int))
    evidence = transparency_evidence(model, data, features=None, sensitive=["sex"])
    assert evidence.model_inputs == ["x1", "x2"]
    assert evidence.input_source == "the fitted model's feature names"
    assert evidence.global_explanation is not None
    assert evidence.global_explanation[0].feature == "x1"
    assert evidence.direct_use == []


def test_missing_column_is_a_clear_data_error() -> None:
    data = pd.DataFrame({"a": [1, 2]})
    with pytest.raises(DataError) as caught:
        proxy_scores(data, features=["a"], sensitive=["sex"])
    assert str(caught.value) == MISSING_COLUMN.format(column="sex", available="a")
    assert str(caught.value) == "column 'sex' is not in the data; the data has: a."


def test_intervals_hold_on_large_samples_where_scipy_gives_nan() -> None:
    # scipy's noncentral F returns NaN near lambda 9,000 here; the chi-square approximation
    # takes over (df1 * F is noncentral chi-square for 100,000 degrees of freedom below).
    rng = np.random.default_rng(2)
    groups = rng.choice(list("abcde"), 100_000, p=(0.74, 0.11, 0.08, 0.04, 0.03))
    values = pd.Series(rng.normal(size=100_000) + 0.8 * (groups == "c"))
    eta = correlation_ratio(values, pd.Series(groups))
    low, high = strength_interval(values, pd.Series(groups))
    assert low is not None and high is not None
    assert low < eta < high and high - low < 0.02
