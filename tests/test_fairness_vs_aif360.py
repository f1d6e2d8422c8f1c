"""Disparate impact, equal opportunity difference and average odds difference equal aif360's
ClassificationMetric, for single attributes and intersections, with and without weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govern.audits.aif360_quiet import import_aif360_metrics
from govern.audits.fairness import audit_fairness
from govern.results import INTERSECTION_SEPARATOR

TOLERANCE = 1e-9


@st.composite
def coded_decisions(draw: st.DrawFn) -> pd.DataFrame:
    """Integer-coded attributes (aif360 needs numbers); every cell holds both outcomes and a
    selected and a rejected person, so all the compared rates are defined."""
    levels_a = draw(st.integers(2, 3))
    levels_b = draw(st.integers(2, 3))
    rows = []
    extra = st.tuples(st.booleans(), st.booleans(), st.integers(1, 4))
    for i in range(levels_a):
        for j in range(levels_b):
            cell = [
                (True, True, draw(st.integers(1, 4))),
                (True, False, draw(st.integers(1, 4))),
                (False, True, draw(st.integers(1, 4))),
                (False, False, draw(st.integers(1, 4))),
                *draw(st.lists(extra, max_size=8)),
            ]
            rows += [(i, j, int(t), int(p), float(w)) for t, p, w in cell]
    return pd.DataFrame(rows, columns=["A", "B", "y_true", "y_pred", "w"])


def _aif360(frame: pd.DataFrame, privileged: dict, unprivileged: dict, weighted: bool):
    dataset_type, metric_type = import_aif360_metrics()
    columns = ["A", "B", "y_true", "w"]
    truth = dataset_type(
        df=frame[columns].astype(float),
        label_names=["y_true"],
        protected_attribute_names=["A", "B"],
        instance_weights_name="w" if weighted else None,
        favorable_label=1.0,
        unfavorable_label=0.0,
    )
    predicted = truth.copy()
    predicted.labels = frame[["y_pred"]].to_numpy(dtype=float)
    return metric_type(
        truth,
        predicted,
        unprivileged_groups=[unprivileged],
        privileged_groups=[privileged],
    )


def _check(frame: pd.DataFrame, data: st.DataObject, weighted: bool) -> None:
    if not weighted:
        frame = frame.assign(w=1.0)
    levels_a = sorted(frame.A.unique())
    levels_b = sorted(frame.B.unique())
    # Single attribute A: a privileged and an unprivileged level chosen by hypothesis.
    privileged_a, unprivileged_a = data.draw(st.permutations(levels_a).map(lambda p: (p[0], p[1])))
    cells = [(a, b) for a in levels_a for b in levels_b]
    privileged_ab, unprivileged_ab = data.draw(st.permutations(cells).map(lambda p: (p[0], p[1])))
    cases = [
        ("A", str(privileged_a), str(unprivileged_a), {"A": privileged_a}, {"A": unprivileged_a}),
        (
            f"A{INTERSECTION_SEPARATOR}B",
            INTERSECTION_SEPARATOR.join(map(str, privileged_ab)),
            INTERSECTION_SEPARATOR.join(map(str, unprivileged_ab)),
            {"A": privileged_ab[0], "B": privileged_ab[1]},
            {"A": unprivileged_ab[0], "B": unprivileged_ab[1]},
        ),
    ]
    for attribute, reference, group, privileged, unprivileged in cases:
        evidence = audit_fairness(
            frame,
            y_pred="y_pred",
            y_true="y_true",
            sensitive=["A", "B"],
            sample_weight="w" if weighted else None,
            intersections=True,
            reference={attribute: reference},
            n_boot=0,
            min_group_size=0,
        )
        metric = _aif360(frame, privileged, unprivileged, weighted)

        def ours(
            name: str, attribute: str = attribute, group: str = group, evidence=evidence
        ) -> float:
            rows = evidence.find(name, attribute=attribute, group=group)
            assert len(rows) == 1
            return rows[0].value

        assert ours("selection_rate_ratio") == pytest.approx(
            metric.disparate_impact(), abs=TOLERANCE
        )
        assert ours("selection_rate_difference") == pytest.approx(
            metric.statistical_parity_difference(), abs=TOLERANCE
        )
        assert ours("true_positive_rate_difference") == pytest.approx(
            metric.equal_opportunity_difference(), abs=TOLERANCE
        )
        assert ours("average_odds_difference") == pytest.approx(
            metric.average_odds_difference(), abs=TOLERANCE
        )


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(coded_decisions(), st.data())
def test_disparities_equal_aif360(frame: pd.DataFrame, data: st.DataObject) -> None:
    _check(frame, data, weighted=False)


@pytest.mark.slow
@settings(max_examples=15, deadline=None)
@given(coded_decisions(), st.data())
def test_weighted_disparities_equal_aif360(frame: pd.DataFrame, data: st.DataObject) -> None:
    _check(frame, data, weighted=True)


def test_impact_ratio_is_disparate_impact_against_the_highest_group() -> None:
    rng = np.random.default_rng(2)
    n = 400
    frame = pd.DataFrame(
        {
            "A": rng.integers(0, 3, n),
            "B": rng.integers(0, 2, n),
            "y_true": rng.integers(0, 2, n),
        }
    )
    frame["y_pred"] = (rng.random(n) < np.array([0.3, 0.5, 0.4])[frame.A]).astype(int)
    frame["w"] = 1.0
    evidence = audit_fairness(
        frame, y_pred="y_pred", y_true="y_true", sensitive=["A"], n_boot=0, min_group_size=0
    )
    top = evidence.reference_groups["A"]
    assert evidence.find("impact_ratio", attribute="A", group=top)[0].value == 1.0
    for group in {"0", "1", "2"} - {top}:
        metric = _aif360(frame, {"A": int(top)}, {"A": int(group)}, weighted=False)
        row = evidence.find("impact_ratio", attribute="A", group=group)[0]
        assert row.value == pytest.approx(metric.disparate_impact(), abs=TOLERANCE)
