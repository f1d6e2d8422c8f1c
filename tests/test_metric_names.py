"""The engine and the policy language share one metric vocabulary."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govern.audits.fairness import audit_fairness
from govern.metric_names import METRIC_NAMES
from govern.policies import METRIC_NAMES as POLICY_METRIC_NAMES


def _everything_audit() -> set[str]:
    rng = np.random.default_rng(5)
    n = 4000
    frame = pd.DataFrame(
        {
            "sex": rng.choice(["f", "m"], size=n),
            "band": rng.choice(["a", "b", "c"], size=n),
            "hired": rng.integers(0, 2, size=n),
            "score": rng.random(size=n),  # in [0, 1], so calibration error is defined
        }
    )
    frame["shortlisted"] = (frame["score"] > 0.5).astype(int)
    evidence = audit_fairness(
        frame,
        y_pred="shortlisted",
        y_true="hired",
        score="score",
        sensitive=["sex", "band"],
        intersections=True,
        n_boot=20,
    )
    return {row.metric for row in evidence.rows()}


def test_every_emitted_metric_can_be_named_in_a_policy() -> None:
    emitted = _everything_audit()
    assert emitted - METRIC_NAMES == set()
    assert POLICY_METRIC_NAMES is METRIC_NAMES


def test_every_nameable_metric_is_emitted_by_a_full_audit() -> None:
    assert METRIC_NAMES - _everything_audit() == set()
