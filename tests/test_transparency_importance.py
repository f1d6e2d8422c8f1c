"""Permutation importance: the same numbers as scikit-learn's permutation_importance for the
same estimator, scorer, repeats and seed, on its own decisions and on the true outcomes; the
intervals, group profiles and the proxies' share worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance as sklearn_permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from govern.audits.transparency import (
    TransparencySettings,
    permutation_importance,
    transparency_evidence,
)
from govern.audits.transparency.importance import (
    ACCURACY_DROP,
    DECISION_CHANGE,
    PermutationResult,
    feature_importances,
    importance_by_group,
    proxy_importance_share,
)

FEATURES = ["education", "years_experience", "assessment_score", "interview_score", "area"]


@pytest.fixture(scope="module")
def applicants() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    n = 1500
    frame = pd.DataFrame(
        {
            "education": rng.choice(["secondary", "bachelor", "master"], n),
            "years_experience": rng.integers(0, 20, n),
            "assessment_score": rng.normal(60, 12, n).round(1),
            "interview_score": rng.normal(5.5, 1.8, n).round(1),
            "area": rng.choice([f"A{i}" for i in range(6)], n),
            "group": rng.choice(["g1", "g2", "g3"], n),
        }
    )
    merit = 0.05 * (frame["assessment_score"] - 60) + 0.4 * (frame["interview_score"] - 5.5)
    frame["hired"] = (merit + rng.normal(size=n) > 0.3).astype(int)
    return frame


@pytest.fixture(scope="module")
def pipeline(applicants: pd.DataFrame) -> object:
    model = make_pipeline(
        ColumnTransformer(
            [
                ("cat", OneHotEncoder(handle_unknown="ignore"), ["education", "area"]),
                (
                    "num",
                    StandardScaler(),
                    ["years_experience", "assessment_score", "interview_score"],
                ),
            ]
        ),
        LogisticRegression(max_iter=1000),
    )
    return model.fit(applicants[FEATURES], applicants["hired"])


def _ours(
    model: object, frame: pd.DataFrame, y: np.ndarray, repeats: int, seed: int
) -> PermutationResult:
    return permutation_importance(
        model.predict,  # type: ignore[attr-defined]
        frame,
        targets={DECISION_CHANGE: None, ACCURACY_DROP: y},
        n_repeats=repeats,
        seed=seed,
    )


@pytest.mark.parametrize(("repeats", "seed"), [(1, 0), (3, 7), (5, 2026)])
def test_pipeline_on_a_data_frame_equals_scikit_learn(
    applicants: pd.DataFrame, pipeline: object, repeats: int, seed: int
) -> None:
    frame = applicants[FEATURES]
    y = applicants["hired"].to_numpy()
    ours = _ours(pipeline, frame, y, repeats, seed)
    decisions = pipeline.predict(frame)  # type: ignore[attr-defined]
    for target, labels in ((DECISION_CHANGE, decisions), (ACCURACY_DROP, y)):
        theirs = sklearn_permutation_importance(
            pipeline, frame, labels, scoring="accuracy", n_repeats=repeats, random_state=seed
        )
        assert np.array_equal(ours.importances[target], theirs.importances), target
        assert np.array_equal(ours.mean(target), theirs.importances_mean), target
        assert np.array_equal(ours.std(target), theirs.importances_std), target


def test_gradient_boosting_on_numbers_equals_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(800, 6)), columns=[f"x{i}" for i in range(6)])
    y = (frame["x0"] + 0.5 * frame["x1"] + rng.normal(size=800) > 0).astype(int).to_numpy()
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(frame, y)
    ours = _ours(model, frame, y, 4, 11)
    theirs = sklearn_permutation_importance(
        model, frame, y, scoring="accuracy", n_repeats=4, random_state=11
    )
    assert np.array_equal(ours.importances[ACCURACY_DROP], theirs.importances)


def test_the_audit_reports_scikit_learns_figures(
    applicants: pd.DataFrame, pipeline: object
) -> None:
    settings = TransparencySettings(seed=5, n_repeats=3)
    evidence = transparency_evidence(
        pipeline,
        applicants,
        features=FEATURES,
        sensitive=["group"],
        y_true=applicants["hired"].to_numpy(),
        settings=settings,
    )
    frame = applicants[FEATURES]
    for found, labels in (
        (evidence.global_explanation, pipeline.predict(frame)),  # type: ignore[attr-defined]
        (evidence.accuracy_importance, applicants["hired"]),
    ):
        theirs = sklearn_permutation_importance(
            pipeline, frame, labels, scoring="accuracy", n_repeats=3, random_state=5
        )
        expected = dict(zip(FEATURES, theirs.importances_mean, strict=True))
        assert found is not None
        assert {f.feature: f.importance for f in found} == expected
        assert all(f.n_repeats == 3 and f.n == len(applicants) for f in found)


def test_the_progress_callback_counts_the_inputs(
    applicants: pd.DataFrame, pipeline: object
) -> None:
    calls: list[tuple[int, int]] = []
    permutation_importance(
        pipeline.predict,
        applicants[FEATURES].head(200),
        n_repeats=1,  # type: ignore[attr-defined]
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(i, 5) for i in range(1, 6)]


def _result(losses: np.ndarray, features: list[str]) -> PermutationResult:
    """A result whose per-person losses are given (the importances follow from them)."""
    mean = losses.mean(axis=0)
    return PermutationResult(
        features=features,
        n_repeats=1,
        baseline={DECISION_CHANGE: 1.0},
        importances={DECISION_CHANGE: mean[:, None]},
        person_losses={DECISION_CHANGE: losses},
        predictions=np.zeros(losses.shape[0]),
    )


def test_the_interval_is_the_normal_one_over_people() -> None:
    # Person losses of one input: 0, 1, 0, 1, 1 -> mean 0.6, sd (ddof 1) sqrt(0.3).
    result = _result(np.array([[0.0], [1.0], [0.0], [1.0], [1.0]]), ["x"])
    (found,) = feature_importances(result, DECISION_CHANGE, level=0.95)
    half = 1.959963984540054 * np.sqrt(0.3) / np.sqrt(5)
    assert found.importance == pytest.approx(0.6)
    assert (found.ci_low, found.ci_high) == pytest.approx((0.6 - half, 0.6 + half))


def _ratio_se(numerator: np.ndarray, denominator: np.ndarray) -> tuple[float, float]:
    """Ratio of means and its delta-method standard error, written out term by term."""
    n = len(numerator)
    r = numerator.mean() / denominator.mean()
    var_x, var_y = numerator.var(ddof=1), denominator.var(ddof=1)
    cov = np.cov(numerator, denominator, ddof=1)[0, 1]
    variance = (var_x - 2 * r * cov + r**2 * var_y) / (denominator.mean() ** 2 * n)
    return float(r), float(np.sqrt(variance))


def test_the_proxies_share_and_its_interval_by_the_delta_method() -> None:
    rng = np.random.default_rng(0)
    losses = rng.random((50, 3)) * np.array([0.5, 0.2, 0.1])
    result = _result(losses, ["area", "score", "age"])
    share = proxy_importance_share(result, proxies=["area"], flag_strength=0.3, level=0.95)
    assert share is not None
    ratio, se = _ratio_se(losses[:, 0], losses.sum(axis=1))
    assert share.share == pytest.approx(ratio)
    assert (share.ci_low, share.ci_high) == pytest.approx(
        (ratio - 1.959963984540054 * se, ratio + 1.959963984540054 * se)
    )
    assert share.features == ["area"] and share.n == 50


def test_group_profiles_and_the_largest_gap() -> None:
    # Group a: input x carries 3/4 of the loss; group b: 1/4. Groups c and d are too small.
    losses = np.array([[0.3, 0.1]] * 40 + [[0.1, 0.3]] * 40 + [[0.5, 0.5]] * 5)
    losses = losses + np.linspace(0, 0.01, len(losses))[:, None]
    labels = np.array(["a"] * 40 + ["b"] * 40 + ["c"] * 3 + ["d"] * 2, dtype=object)
    profiles, gaps = importance_by_group(
        _result(losses, ["x", "y"]), {"group": labels}, min_group_size=30
    )
    by = {(p.group, p.feature): p for p in profiles}
    assert set(by) == {("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")}
    expected_a, _ = _ratio_se(losses[:40, 0], losses[:40].sum(axis=1))
    assert by[("a", "x")].share == pytest.approx(expected_a)
    (gap,) = gaps
    assert (gap.feature, gap.high_group, gap.low_group) == ("x", "a", "b")
    assert gap.gap == pytest.approx(by[("a", "x")].share - by[("b", "x")].share)
    assert gap.not_measured == ["c", "d"] and gap.groups_measured == ["a", "b"]


def test_one_small_group_withholds_the_next_smallest_too() -> None:
    # With one group short of the minimum, publishing the others' counts would give its count
    # away (total minus the others): the next smallest is withheld as well.
    losses = np.random.default_rng(1).random((83, 2))
    labels = np.array(["a"] * 45 + ["b"] * 35 + ["c"] * 3, dtype=object)
    profiles, gaps = importance_by_group(
        _result(losses, ["x", "y"]), {"group": labels}, min_group_size=30
    )
    assert {p.group for p in profiles} == {"a"}
    assert gaps == []  # one group left: nothing to compare
