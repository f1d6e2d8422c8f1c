"""Every oversight figure against the hand-worked log of ``oversight_helpers`` (and scipy)."""

from __future__ import annotations

import numpy as np
import pytest
from oversight_helpers import HAND_MIN_GROUP_SIZE, hand_log
from scipy import stats

from govern.audits.oversight import audit_oversight
from govern.audits.oversight.homogeneity import homogeneity_p_value
from govern.evidence.oversight import OversightEvidence


def _audit(n_boot: int = 0, **extra: object) -> OversightEvidence:
    return audit_oversight(
        hand_log(),
        recommendation="model",
        decision="final",
        sensitive="group",
        appeal="appealed",
        appeal_upheld="upheld",
        reviewer="reviewer",
        recommended_at="recommended_at",
        decided_at="decided_at",
        n_boot=n_boot,
        min_group_size=HAND_MIN_GROUP_SIZE,
        **extra,  # type: ignore[arg-type]
    )


def _value(evidence: OversightEvidence, metric: str, group: str) -> float | None:
    row = evidence.value(metric, "group", group)
    assert row is not None, (metric, group)
    return row.value


@pytest.mark.parametrize(
    ("metric", "group", "expected", "n"),
    [
        ("agreement_rate", "A", 17 / 20, 20),
        ("agreement_rate", "B", 17 / 20, 20),
        ("override_up_rate", "A", 2 / 10, 10),
        ("override_up_rate", "B", 0.0, 12),
        ("override_down_rate", "A", 1 / 10, 10),
        ("override_down_rate", "B", 3 / 8, 8),
        ("appeal_rate", "A", 3 / 20, 20),
        ("appeal_rate", "B", 5 / 20, 20),
        ("appeal_upheld_rate", "A", 1 / 2, 2),
        ("appeal_upheld_rate", "B", 0.0, 4),
        ("quick_decision_rate", "A", 0.0, 20),
        ("quick_decision_rate", "B", 1.0, 20),
        ("median_review_minutes", "A", 10.0, 20),
        ("median_review_minutes", "B", 0.5, 20),
        ("selection_rate_recommended", "A", 0.5, 20),
        ("selection_rate_recommended", "B", 0.4, 20),
        ("selection_rate_decided", "A", 0.55, 20),
        ("selection_rate_decided", "B", 0.25, 20),
        ("impact_ratio_recommended", "B", 0.8, 20),
        ("impact_ratio_decided", "B", 5 / 11, 20),
        ("impact_ratio_change", "B", 5 / 11 - 4 / 5, 20),
        ("impact_ratio_change", "A", 0.0, 20),
        ("impact_ratio_change", "*", 5 / 11 - 4 / 5, 40),
        ("impact_ratio_recommended", "*", 0.8, 40),
        ("impact_ratio_decided", "*", 5 / 11, 40),
        ("override_down_rate_difference", "*", 3 / 8 - 1 / 10, 18),
        ("appeal_rate_difference", "*", 5 / 20 - 3 / 20, 40),
    ],
)
def test_group_figures_match_the_hand_count(
    metric: str, group: str, expected: float, n: int
) -> None:
    evidence = _audit()
    row = evidence.value(metric, "group", group)
    assert row is not None
    assert row.value == pytest.approx(expected, abs=1e-12)
    assert row.n == n


@pytest.mark.parametrize(
    ("metric", "expected", "n"),
    [
        ("agreement_rate", 34 / 40, 40),
        ("override_up_rate", 2 / 22, 22),
        ("override_down_rate", 4 / 18, 18),
        ("appeal_rate", 8 / 40, 40),
        ("appeal_upheld_rate", 1 / 6, 6),
        ("quick_decision_rate", 20 / 40, 40),
    ],
)
def test_overall_figures_match_the_hand_count(metric: str, expected: float, n: int) -> None:
    row = _audit().overall_value(metric)
    assert row is not None
    assert (row.value, row.n) == (pytest.approx(expected, abs=1e-12), n)


def test_no_gap_between_groups_too_small_to_judge() -> None:
    # 2 and 4 decided appeals: under the minimum of 5, so no gap is reported for the rate.
    evidence = _audit()
    assert evidence.value("appeal_upheld_rate_difference", "group", "*") is None
    assert evidence.homogeneity_for("appeal_upheld_rate", "group") is None


def test_pending_appeals_reviewers_and_signals() -> None:
    evidence = _audit()
    assert evidence.appeals_pending == 2
    reviewers = {r.reviewer: r for r in evidence.reviewers}
    assert {name: (r.n, r.overrides) for name, r in reviewers.items()} == {
        "R1": (20, 3),
        "R2": (8, 3),
        "R3": (12, 0),
    }
    assert reviewers["R2"].override_rate == pytest.approx(3 / 8)
    assert reviewers["R1"].median_review_minutes == pytest.approx(10.0)
    # R3 kept all 12 recommendations: the one signal (agreement 0.85 is not "high"; the
    # overall median review time, 5.25 minutes, is not "quick").
    assert [(s.kind, s.subject) for s in evidence.signals] == [("never_overrides", "R3")]
    assert evidence.signals[0].sentence == (
        "Reviewer 'R3' kept every one of the model's 12 recommendations they decided. Their "
        "cases may all have been clear-cut; worth asking how they review."
    )


def test_quick_and_high_agreement_signals() -> None:
    log = hand_log()
    log["final"] = log["model"]  # nobody changes anything
    log["decided_at"] = log["recommended_at"]  # and decides at once
    evidence = audit_oversight(
        log,
        recommendation="model",
        decision="final",
        sensitive="group",
        recommended_at="recommended_at",
        decided_at="decided_at",
        n_boot=0,
        min_group_size=HAND_MIN_GROUP_SIZE,
    )
    kinds = [s.kind for s in evidence.signals]
    assert kinds == ["high_agreement", "quick_decisions"]
    assert evidence.signals[1].sentence.startswith(
        "Half of the 40 timed decisions were taken within 0 seconds of the recommendation."
    )


def test_homogeneity_test_is_pearsons_chi_square_or_exact() -> None:
    # Expected counts >= 5: exactly scipy's chi-square test without continuity correction.
    selected, n = np.array([30.0, 45.0, 20.0]), np.array([100.0, 110.0, 90.0])
    table = np.stack([selected, n - selected], axis=1)
    expected = stats.chi2_contingency(table, correction=False).pvalue
    p_value, method = homogeneity_p_value(selected, n, seed=0)
    assert method == "chi_square"
    assert p_value == pytest.approx(expected, rel=1e-12)
    # Small counts: the sampled exact conditional test against the exact one, enumerated from
    # the hypergeometric distribution (1 of 10 vs 3 of 8, 4 selected in all).
    p_value, method = homogeneity_p_value(np.array([1.0, 3.0]), np.array([10.0, 8.0]), seed=0)
    assert method == "exact_monte_carlo"
    law = stats.hypergeom(18, 4, 10)

    def chi_square(x: int) -> float:
        t = np.array([[x, 10 - x], [4 - x, 4 + x]], dtype=float)
        return float(stats.chi2_contingency(t, correction=False).statistic)

    observed = chi_square(1)
    exact = sum(law.pmf(x) for x in range(0, 5) if chi_square(x) >= observed - 1e-9)
    assert p_value == pytest.approx(exact, abs=0.035)  # 2,000 draws: about 3 standard errors


def test_homogeneity_tests_in_the_evidence() -> None:
    evidence = _audit()
    test = evidence.homogeneity_for("override_down_rate", "group")
    assert test is not None and test.groups == ["A", "B"]
    assert test.method == "exact_monte_carlo" and not test.significant


def _row_bootstrap_change(draws: int, seed: int) -> np.ndarray:
    """The change in B's ratio by resampling rows directly (an independent implementation)."""
    log = hand_log()
    group = (log["group"] == "B").to_numpy()
    rec, dec = log["model"].to_numpy(), log["final"].to_numpy()
    rng = np.random.default_rng(seed)
    changes = []
    for _ in range(draws):
        pick = rng.integers(0, len(log), len(log))
        g, r, d = group[pick], rec[pick], dec[pick]
        with np.errstate(divide="ignore", invalid="ignore"):
            before = r[g].mean() / r[~g].mean()
            after = d[g].mean() / d[~g].mean()
        changes.append(after - before)
    values = np.array(changes)
    return values[np.isfinite(values)]


def test_paired_interval_matches_a_row_bootstrap() -> None:
    evidence = _audit(n_boot=4000, seed=3)
    row = evidence.value("impact_ratio_change", "group", "B")
    assert row is not None and row.ci_low is not None and row.ci_high is not None
    independent = _row_bootstrap_change(4000, seed=11)
    low, high = np.percentile(independent, [2.5, 97.5])
    assert row.ci_low == pytest.approx(low, abs=0.04)
    assert row.ci_high == pytest.approx(high, abs=0.04)
    # and the one-sided p-value is the share of replicates where review did not lower it
    test = evidence.change_test("group", "B")
    assert test is not None and test.p_value is not None
    assert test.p_value == pytest.approx(float(np.mean(independent >= 0)), abs=0.015)


def test_stage_figures_equal_the_fairness_engine_on_each_stage() -> None:
    from govern.audits.fairness import audit_fairness

    evidence = _audit()
    engine = audit_fairness(
        hand_log(), y_pred="final", sensitive=["group"], n_boot=0, min_group_size=5
    )
    row = engine.value("impact_ratio", "group", "B")
    assert row is not None
    assert _value(evidence, "impact_ratio_decided", "*") == pytest.approx(row.value)
