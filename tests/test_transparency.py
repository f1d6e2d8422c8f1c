"""Transparency evidence, checked against scipy's association measures and hand-worked cases."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats.contingency import association

from govern.audits.transparency import (
    correlation_ratio,
    cramers_v,
    permutation_decision_importance,
    proxy_scores,
    transparency_evidence,
)
from govern.errors import DataError


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("xyz")), min_size=4, max_size=200)
)
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


def test_decision_importance_finds_the_only_input_used() -> None:
    data = pd.DataFrame({"used": [0, 1] * 500, "ignored": [5, 6, 7, 8] * 250})

    def predict(frame: pd.DataFrame) -> np.ndarray:
        return frame["used"].to_numpy()

    importances = permutation_decision_importance(predict, data, features=["ignored", "used"])
    by_name = {f.feature: f.importance for f in importances}
    assert by_name["ignored"] == 0.0
    # shuffling a balanced 0/1 column changes about half of the decisions
    assert 0.4 < by_name["used"] < 0.6


def test_evidence_reads_inputs_from_a_fitted_model() -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    data = pd.DataFrame({"x1": rng.normal(size=400), "x2": rng.normal(size=400)})
    data["sex"] = rng.choice(["f", "m"], size=400)
    model = LogisticRegression().fit(data[["x1", "x2"]], (data["x1"] > 0).astype(int))
    evidence = transparency_evidence(model, data, features=None, sensitive=["sex"])
    assert evidence.model_inputs == ["x1", "x2"]
    assert evidence.global_explanation is not None
    assert evidence.global_explanation[0].feature == "x1"
    assert "sex" not in evidence.model_inputs


def test_missing_column_is_a_clear_data_error() -> None:
    data = pd.DataFrame({"a": [1, 2]})
    with pytest.raises(DataError) as caught:
        proxy_scores(data, features=["a"], sensitive=["sex"])
    assert str(caught.value) == "column 'sex' is not in the data; the data has: a."
