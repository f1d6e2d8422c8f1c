"""Property tests: every metric fairlearn has equals fairlearn's MetricFrame on random data,
for single attributes and intersections, with and without sample weights."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, precision_score

from govern.audits.fairness import audit_fairness
from govern.results import ALL_GROUPS, INTERSECTION_SEPARATOR

TOLERANCE = 1e-9


@st.composite
def decisions(draw: st.DrawFn, *, weighted: bool) -> pd.DataFrame:
    """Random decisions over two attributes; every intersection cell holds both outcomes, so
    every group's true/false positive rates are defined (fairlearn reports 0 where they are not,
    govern reports None; that case is tested separately)."""
    levels_a = draw(st.integers(2, 4))
    levels_b = draw(st.integers(2, 3))
    rows = []
    row = st.tuples(st.booleans(), st.booleans(), st.integers(1, 5))
    for i in range(levels_a):
        for j in range(levels_b):
            cell = [
                (True, draw(st.booleans()), draw(st.integers(1, 5))),
                (False, draw(st.booleans()), draw(st.integers(1, 5))),
                *draw(st.lists(row, max_size=10)),
            ]
            rows += [(f"a{i}", f"b{j}", int(t), int(p), float(w)) for t, p, w in cell]
    order = draw(st.permutations(range(len(rows))))
    frame = pd.DataFrame([rows[k] for k in order], columns=["A", "B", "y_true", "y_pred", "w"])
    if not weighted:
        frame["w"] = 1.0
    return frame


def _fairlearn_frame(frame: pd.DataFrame, columns: list[str], weighted: bool):
    from fairlearn.metrics import (
        MetricFrame,
        count,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_negative_rate,
        true_positive_rate,
    )

    metrics = {
        "selection_rate": selection_rate,
        "true_positive_rate": true_positive_rate,
        "false_positive_rate": false_positive_rate,
        "false_negative_rate": false_negative_rate,
        "true_negative_rate": true_negative_rate,
        "accuracy_score": accuracy_score,
        "precision": functools.partial(precision_score, zero_division=np.nan),
        "count": count,
    }
    params = {name: {"sample_weight": frame["w"].to_numpy()} for name in metrics}
    del params["count"]  # fairlearn's count is the number of rows, whatever the weights
    return MetricFrame(
        metrics=metrics,
        y_true=frame["y_true"],
        y_pred=frame["y_pred"],
        sensitive_features=frame[columns],
        sample_params=params if weighted else None,
    )


def _check(frame: pd.DataFrame, weighted: bool) -> None:
    from fairlearn.metrics import (
        demographic_parity_difference,
        demographic_parity_ratio,
        equal_opportunity_difference,
        equal_opportunity_ratio,
        equalized_odds_difference,
        equalized_odds_ratio,
    )

    evidence = audit_fairness(
        frame,
        y_pred="y_pred",
        y_true="y_true",
        sensitive=["A", "B"],
        sample_weight="w" if weighted else None,
        intersections=True,
        n_boot=0,
        min_group_size=0,
    )
    ours = evidence.to_frame().set_index(["attribute", "group", "metric"])["value"]
    sample_weight = frame["w"].to_numpy() if weighted else None
    for columns in (["A"], ["B"], ["A", "B"]):
        attribute = INTERSECTION_SEPARATOR.join(columns)
        by_group = _fairlearn_frame(frame, columns, weighted).by_group
        for key, expected in by_group.iterrows():
            group = INTERSECTION_SEPARATOR.join(key) if isinstance(key, tuple) else key
            for metric, value in expected.items():
                if metric == "count" and weighted:
                    continue
                got = ours[(attribute, group, metric)]
                if np.isnan(value):
                    assert np.isnan(got), (attribute, group, metric)
                else:
                    assert got == pytest.approx(value, abs=TOLERANCE), (attribute, group, metric)
        if weighted:
            sums = frame.groupby(columns)["w"].sum()
            for key, value in sums.items():
                group = INTERSECTION_SEPARATOR.join(key) if isinstance(key, tuple) else key
                assert ours[(attribute, group, "count")] == pytest.approx(value)
        features = frame[columns]
        for metric, function in {
            "demographic_parity_difference": demographic_parity_difference,
            "demographic_parity_ratio": demographic_parity_ratio,
            "equalized_odds_difference": equalized_odds_difference,
            "equalized_odds_ratio": equalized_odds_ratio,
            "equal_opportunity_difference": equal_opportunity_difference,
            "equal_opportunity_ratio": equal_opportunity_ratio,
        }.items():
            expected = function(
                frame["y_true"],
                frame["y_pred"],
                sensitive_features=features,
                sample_weight=sample_weight,
            )
            got = ours[(attribute, ALL_GROUPS, metric)]
            if np.isnan(expected):
                assert np.isnan(got), (attribute, metric)
            else:
                assert got == pytest.approx(expected, abs=TOLERANCE), (attribute, metric)


# fairlearn builds a MetricFrame per metric and view (~0.6 s an example), so counts stay modest.
@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(decisions(weighted=False))
def test_metrics_equal_fairlearn(frame: pd.DataFrame) -> None:
    _check(frame, weighted=False)


@pytest.mark.slow
@settings(max_examples=15, deadline=None)
@given(decisions(weighted=True))
def test_weighted_metrics_equal_fairlearn(frame: pd.DataFrame) -> None:
    _check(frame, weighted=True)


def test_undefined_rate_is_none_where_fairlearn_reports_zero() -> None:
    from fairlearn.metrics import MetricFrame, true_positive_rate

    frame = pd.DataFrame(
        {"y_true": [0, 0, 1, 0], "y_pred": [1, 0, 1, 0], "g": ["a", "a", "b", "b"]}
    )
    evidence = audit_fairness(
        frame, y_pred="y_pred", y_true="y_true", sensitive=["g"], n_boot=0, min_group_size=0
    )
    # Group a has no positives: its true positive rate is 0/0.
    fairlearn_value = MetricFrame(
        metrics=true_positive_rate,
        y_true=frame.y_true,
        y_pred=frame.y_pred,
        sensitive_features=frame.g,
    ).by_group["a"]
    assert fairlearn_value == 0.0
    assert evidence.find("true_positive_rate", group="a")[0].value is None
