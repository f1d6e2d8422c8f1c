"""Individual fairness and inequality: consistency and the Theil index equal aif360's (its
scikit-learn functions and its classic dataset metrics) on the same data, in the audit too."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govern.audits.aif360_quiet import quiet_imports
from govern.audits.transparency import TransparencySettings, transparency_evidence
from govern.audits.transparency.encoding import encode_inputs
from govern.audits.transparency.individual import (
    consistency_terms,
    generalized_entropy_from_counts,
    individual_fairness,
)

TOLERANCE = 1e-12


def _aif360_sklearn():
    with quiet_imports():
        from aif360.sklearn import metrics
    return metrics


def _classic_metrics(features: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray):
    with quiet_imports():
        from aif360.datasets import BinaryLabelDataset
        from aif360.metrics import BinaryLabelDatasetMetric, ClassificationMetric
    columns = [f"f{i}" for i in range(features.shape[1])]
    frame = pd.DataFrame(features, columns=columns)
    # aif360 counts the protected attribute among the features: a constant one leaves the
    # distances between people as they are.
    frame["group"] = 1.0
    frame["label"] = y_true.astype(float)
    truth = BinaryLabelDataset(df=frame, label_names=["label"], protected_attribute_names=["group"])
    predicted = truth.copy()
    predicted.labels = y_pred.astype(float).reshape(-1, 1)
    groups = ([{"group": 1.0}], [{"group": 0.0}])
    decided = predicted.copy()
    return (
        BinaryLabelDatasetMetric(
            decided, unprivileged_groups=groups[1], privileged_groups=groups[0]
        ),
        ClassificationMetric(
            truth, predicted, unprivileged_groups=groups[1], privileged_groups=groups[0]
        ),
    )


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(30, 200), st.integers(1, 6))
def test_consistency_equals_aif360(seed: int, n: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(n, 3)).round(1)  # rounded: ties between neighbours happen
    decisions = (matrix[:, 0] + rng.normal(size=n) > 0).astype(int)
    ours = 1 - consistency_terms(matrix, decisions, n_neighbors=k).mean()
    assert ours == _aif360_sklearn().consistency_score(matrix, decisions, n_neighbors=k)
    dataset_metric, _ = _classic_metrics(matrix, decisions, decisions)
    assert ours == pytest.approx(dataset_metric.consistency(n_neighbors=k), abs=TOLERANCE)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=2, max_size=300))
def test_theil_and_generalized_entropy_equal_aif360(pairs: list[tuple[int, int]]) -> None:
    truth = np.array([p[0] for p in pairs])
    decisions = np.array([p[1] for p in pairs])
    benefits = 1 + decisions - truth
    if benefits.sum() == 0:
        return  # nobody benefits: the index is 0/0 in aif360 too
    found = individual_fairness(decisions=decisions, y_true=truth, n_boot=0)
    _, classic = _classic_metrics(np.zeros((len(pairs), 1)), truth, decisions)
    assert found.theil_index == pytest.approx(classic.theil_index(), abs=TOLERANCE)
    assert found.generalized_entropy_index == pytest.approx(
        classic.generalized_entropy_index(alpha=2), abs=TOLERANCE
    )
    # The closed form from the counts of b = 0, 1, 2 that the bootstrap uses is the same index.
    counts = np.bincount(benefits, minlength=3)
    for alpha, expected in ((1, found.theil_index), (2, found.generalized_entropy_index)):
        assert generalized_entropy_from_counts(counts, alpha)[0] == pytest.approx(
            expected, abs=TOLERANCE
        )


def test_theil_hand_case_and_its_interval() -> None:
    # b = 1, 1, 2, 0 -> mean 1; Theil = (2 ln 2) / 4.
    found = individual_fairness(
        decisions=np.array([1, 0, 1, 0] * 50), y_true=np.array([1, 0, 0, 1] * 50), n_boot=500
    )
    assert found.theil_index == pytest.approx(np.log(2) / 2)
    assert found.theil_ci_low is not None and found.theil_ci_high is not None
    assert found.theil_ci_low < found.theil_index < found.theil_ci_high


def test_no_outcomes_no_inequality() -> None:
    found = individual_fairness(decisions=np.array([1, 0, 1]), y_true=None)
    assert found.theil_index is None and found.consistency is None


def test_the_audit_reports_aif360s_figures() -> None:
    rng = np.random.default_rng(12)
    n = 900
    frame = pd.DataFrame(
        {
            "score": rng.normal(60, 10, n).round(0),
            "area": rng.choice(list("pqr"), n),
            "sex": rng.choice(["f", "m"], n),
        }
    )
    decisions = (frame["score"] + rng.normal(0, 5, n) > 62).astype(int).to_numpy()
    truth = (frame["score"] + rng.normal(0, 8, n) > 60).astype(int).to_numpy()
    evidence = transparency_evidence(
        None,
        frame,
        features=["score", "area"],
        sensitive=["sex"],
        y_true=truth,
        decisions=decisions,
        settings=TransparencySettings(seed=3),
    )
    fair = evidence.individual_fairness
    assert fair is not None and fair.features == ["score", "area"]
    # Everyone fits in the samples, in order: the neighbours are found on the same encoding.
    matrix = encode_inputs(frame, ["score", "area"]).matrix
    metrics = _aif360_sklearn()
    assert fair.consistency == metrics.consistency_score(matrix, decisions)
    assert fair.consistency_n == n
    assert fair.theil_index == metrics.generalized_entropy_error(truth, decisions, alpha=1)
    assert fair.generalized_entropy_index == metrics.generalized_entropy_error(
        truth, decisions, alpha=2
    )
