"""Combined proxies: the AUC equals scikit-learn's, DeLong's variance equals its definition
computed pair by pair, and inputs that are weak proxies one by one but strong together are
caught by the combined measure and by no single-input one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score
from transparency_data import expected_auc, expected_eta, weak_together

from govern.audits.transparency import proxy_scores
from govern.audits.transparency.auc import auc_interval, delong_components
from govern.audits.transparency.combined import CombinedSettings, combined_proxy
from govern.audits.transparency.encoding import encode_inputs
from govern.evidence.transparency import CombinedProxy


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 6)), min_size=2, max_size=120).filter(
        lambda rows: len({r[0] for r in rows}) == 2
    )
)
def test_auc_equals_scikit_learn_with_ties(rows: list[tuple[bool, int]]) -> None:
    positive = np.array([r[0] for r in rows])
    score = np.array([r[1] for r in rows], dtype=float)
    auc, _, _ = auc_interval(positive, score)
    assert auc == pytest.approx(roc_auc_score(positive, score), abs=1e-12)


def test_delong_components_equal_their_definition_pair_by_pair() -> None:
    rng = np.random.default_rng(4)
    positive = rng.random(40) < 0.4
    score = rng.integers(0, 8, 40).astype(float)  # many ties
    pos, neg = score[positive], score[~positive]

    def psi(x: float, y: float) -> float:
        return 1.0 if x > y else 0.5 if x == y else 0.0

    v_pos = np.array([np.mean([psi(x, y) for y in neg]) for x in pos])
    v_neg = np.array([np.mean([psi(x, y) for x in pos]) for y in neg])
    ours_pos, ours_neg = delong_components(positive, score)
    assert np.allclose(ours_pos, v_pos) and np.allclose(ours_neg, v_neg)
    auc, low, high = auc_interval(positive, score, level=0.95)
    variance = v_pos.var(ddof=1) / len(pos) + v_neg.var(ddof=1) / len(neg)
    half = 1.959963984540054 * np.sqrt(variance)
    assert (low, high) == pytest.approx((max(0.0, auc - half), min(1.0, auc + half)))


def _combined(
    frame: pd.DataFrame, features: list[str], attribute: str, **kw: int
) -> CombinedProxy | None:
    encoded = encode_inputs(frame, features)
    return combined_proxy(
        encoded, frame[attribute], features=features, settings=CombinedSettings(**kw)
    )


def test_weak_proxies_one_by_one_are_caught_together() -> None:
    frame = weak_together(4000, k=10, shift=0.35, seed=1)
    inputs = [f"x{i}" for i in range(10)]
    singles = proxy_scores(frame, features=inputs, sensitive=["group"])
    # One by one every input is weak (population eta 0.17), far under a 0.3 proxy limit.
    assert expected_eta(0.35) == pytest.approx(0.1724, abs=1e-4)
    assert max(s.strength for s in singles) < 0.25
    together = _combined(frame, inputs, "group")
    assert together is not None
    # Together they single the groups out: population AUC 0.78, above 0.7.
    assert expected_auc(0.35, 10) == pytest.approx(0.783, abs=1e-3)
    assert together.auc == pytest.approx(expected_auc(0.35, 10), abs=0.03)
    assert together.ci_low is not None and together.ci_low > 0.7
    # Every input carries a share; the unrelated one does not.
    with_noise = _combined(frame, [*inputs, "noise"], "group")
    assert with_noise is not None
    drops = {c.feature: c.auc_drop for c in with_noise.carriers}
    assert min(drops[f] for f in inputs) > drops["noise"]


def test_unrelated_inputs_predict_nothing() -> None:
    rng = np.random.default_rng(6)
    frame = pd.DataFrame(
        {
            "group": rng.choice(["a", "b", "c"], 3000),
            "x": rng.normal(size=3000),
            "area": rng.choice(list("pqrs"), 3000),
        }
    )
    found = _combined(frame, ["x", "area"], "group")
    assert found is not None
    assert 0.44 < found.auc < 0.56 and found.macro_auc < 0.55


def test_groups_too_small_are_named_and_not_measured() -> None:
    rng = np.random.default_rng(7)
    group = np.array(["a"] * 500 + ["b"] * 480 + ["c"] * 20 + ["d"] * 3)
    frame = pd.DataFrame({"group": group, "x": rng.normal(size=len(group))})
    found = _combined(frame, ["x"], "group", min_group_size=30)
    assert found is not None
    assert [g.group for g in found.groups] == ["a", "b"]
    assert found.not_measured == ["c", "d"]
    assert found.n == 1000  # 'd' has fewer people than folds: left out of the classifier too


def test_missing_attribute_values_are_left_out() -> None:
    rng = np.random.default_rng(8)
    group = pd.Series(rng.choice(["a", "b"], 600)).where(rng.random(600) > 0.1)
    frame = pd.DataFrame({"group": group, "x": rng.normal(size=600)})
    found = _combined(frame, ["x"], "group")
    assert found is not None and found.n == int(group.notna().sum())


def test_a_single_group_cannot_be_measured() -> None:
    frame = pd.DataFrame({"group": ["a"] * 100, "x": np.arange(100.0)})
    assert _combined(frame, ["x"], "group") is None
