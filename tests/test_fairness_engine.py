"""The fairness engine against a hand-computed table, and its behaviours (small groups,
reference choice, unknown groups, scores, intervals, tests, determinism)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from govern.audits.fairness import NumpyTableBuilder, audit_fairness
from govern.audits.fairness import engine as engine_module
from govern.audits.fairness.table import marginal
from govern.data import EvaluationData
from govern.errors import DataError
from govern.evidence.fairness import FairnessEvidence
from govern.results import ALL_GROUPS

FIXTURES = Path(__file__).parent / "fixtures" / "fairness"


def _hand() -> tuple[pd.DataFrame, dict]:
    frame = pd.read_csv(FIXTURES / "hand_table.csv")
    expected = json.loads((FIXTURES / "hand_table.json").read_text())
    return frame, expected


def _one(evidence, metric: str, attribute: str, group: str):
    rows = evidence.find(metric, attribute=attribute, group=group)
    assert len(rows) == 1, (metric, attribute, group, rows)
    return rows[0]


@pytest.fixture(scope="module")
def hand_evidence():
    frame, _ = _hand()
    return audit_fairness(
        frame,
        y_pred="decision",
        y_true="outcome",
        sensitive=["sex", "ethnicity"],
        intersections=True,
        n_boot=200,
        seed=3,
        min_group_size=5,
    )


def test_hand_computed_per_group_figures(hand_evidence) -> None:
    _, expected = _hand()
    checked = 0
    for attribute, groups in expected["per_group"].items():
        for group, figures in groups.items():
            for metric, fraction in figures.items():
                row = _one(hand_evidence, metric, attribute, group)
                assert row.value == pytest.approx(float(Fraction(fraction)), abs=1e-12), (
                    attribute,
                    group,
                    metric,
                )
                checked += 1
    assert checked == 8 * 7


def test_hand_computed_attribute_wide_figures(hand_evidence) -> None:
    _, expected = _hand()
    for attribute, figures in expected["attribute_wide"].items():
        for metric, fraction in figures.items():
            row = _one(hand_evidence, metric, attribute, ALL_GROUPS)
            assert row.value == pytest.approx(float(Fraction(fraction)), abs=1e-12), (
                attribute,
                metric,
            )
            assert row.n == 40
    assert hand_evidence.reference_groups == expected["reference_groups"]
    assert hand_evidence.attributes == ["sex", "ethnicity", "sex & ethnicity"]


def test_intervals_bracket_point_estimates_and_tidy_frame(hand_evidence) -> None:
    frame = hand_evidence.to_frame()
    assert list(frame.columns) == [
        "attribute",
        "group",
        "n",
        "metric",
        "value",
        "ci_low",
        "ci_high",
    ]
    rates = frame[frame.metric == "selection_rate"]
    assert len(rates) == 8
    assert (rates.ci_low <= rates.value + 1e-12).all()
    assert (rates.value <= rates.ci_high + 1e-12).all()
    assert (rates.ci_high - rates.ci_low > 0).all()


def test_selection_rate_tests_against_reference(hand_evidence) -> None:
    from scipy.stats import fisher_exact

    test = hand_evidence.test_for("sex", "F")
    assert test is not None
    assert (test.reference, test.n, test.selected, test.reference_selected) == ("M", 20, 6, 11)
    # Groups of 20 are below the size where adverse-impact practice trusts the z-test.
    assert test.test == "fisher_exact"
    assert test.p_value == pytest.approx(fisher_exact([[6, 14], [11, 9]]).pvalue)
    # Holm over one comparison is the raw p-value.
    assert test.p_value_adjusted == pytest.approx(test.p_value)
    assert test.shortfall == pytest.approx(20 * 11 / 20 - 6)
    assert test.impact_ratio == pytest.approx(6 / 11)
    # Three comparisons in the intersection: the smallest p-value is multiplied by three.
    inter = [t for t in hand_evidence.tests if t.attribute == "sex & ethnicity"]
    assert sorted(t.group for t in inter) == ["F & a", "F & b", "M & b"]
    smallest = min(inter, key=lambda t: t.p_value)
    assert smallest.p_value_adjusted == pytest.approx(min(1.0, 3 * smallest.p_value))


def test_same_seed_same_output_and_different_seed_different_intervals() -> None:
    frame, _ = _hand()
    options = {"y_pred": "decision", "y_true": "outcome", "sensitive": ["sex"], "n_boot": 100}
    first = audit_fairness(frame, seed=7, **options).model_dump_json()
    again = audit_fairness(frame, seed=7, **options).model_dump_json()
    other = audit_fairness(frame, seed=8, **options).model_dump_json()
    assert first == again
    assert first != other


def test_default_minimum_size_keeps_small_groups_out_of_summaries() -> None:
    frame, _ = _hand()
    evidence = audit_fairness(
        frame, y_pred="decision", y_true="outcome", sensitive=["sex"], n_boot=0
    )
    # 20 < 30: both groups insufficient, still reported with their own metrics and intervals
    # (Wilson's, which need no bootstrap replicates).
    assert {g.status for g in evidence.groups} == {"insufficient_data"}
    rate = _one(evidence, "selection_rate", "sex", "F")
    assert rate.value == pytest.approx(0.3)
    assert rate.ci_low is not None and rate.ci_high is not None
    assert evidence.find("demographic_parity_difference") == []
    assert evidence.summary_coverage == []
    # No group can be the reference: every group is compared with the overall rate, and the
    # evidence says so.
    assert evidence.reference_groups == {}
    (choice,) = evidence.references
    assert (choice.rule, choice.group, choice.fallback, choice.highest_group) == (
        "highest_selection_rate",
        None,
        True,
        None,
    )
    assert choice.explanation == (
        "the overall selection rate of all groups of sex: no group qualifies (30 or more "
        "records), so no group can serve as the reference."
    )
    overall = 17 / 40
    assert _one(evidence, "impact_ratio", "sex", "F").value == pytest.approx(0.3 / overall)
    assert _one(evidence, "selection_rate_difference", "sex", "M").value == pytest.approx(
        0.55 - overall
    )
    test = evidence.test_for("sex", "F")
    assert test is not None
    assert (test.reference, test.reference_n, test.reference_selected) == ("*", 20, 11.0)
    assert test.shortfall == pytest.approx(20 * overall - 6)


def test_small_group_excluded_from_reference_and_summaries() -> None:
    frame = pd.DataFrame(
        {
            "g": ["big1"] * 50 + ["big2"] * 50 + ["tiny"] * 4,
            "d": [1] * 20 + [0] * 30 + [1] * 30 + [0] * 20 + [1] * 4,
        }
    )
    evidence = audit_fairness(frame, y_pred="d", sensitive=["g"], n_boot=0, min_group_size=10)
    status = {g.group: g.status for g in evidence.groups}
    assert status == {"big1": "ok", "big2": "ok", "tiny": "insufficient_data"}
    # tiny has the highest rate (1.0) but cannot be the reference, and the evidence says why.
    assert evidence.reference_groups == {"g": "big2"}
    choice = evidence.reference_for("g")
    assert choice is not None and not choice.fallback
    assert choice.explanation == (
        "'big2', the highest selection rate among groups that qualify (10 or more records)."
    )
    # fairlearn's metric covers every group (fairlearn gives 1.0 - 0.4); the largest gap
    # between groups that can be judged leaves tiny out, under its own name.
    assert _one(evidence, "demographic_parity_difference", "g", ALL_GROUPS).value == (
        pytest.approx(0.6)
    )
    assert _one(evidence, "selection_rate_difference", "g", ALL_GROUPS).value == (
        pytest.approx(0.2)
    )
    coverage = evidence.coverage_for("g")
    assert coverage is not None
    assert coverage.fairlearn_groups == ["big1", "big2", "tiny"]
    assert (coverage.judged_groups, coverage.left_out) == (["big1", "big2"], ["tiny"])
    assert _one(evidence, "impact_ratio", "g", "tiny").value == pytest.approx(1 / 0.6)
    shared = audit_fairness(
        frame, y_pred="d", sensitive=["g"], n_boot=0, min_group_size=0, exclude_below_share=0.05
    )
    assert shared.group_status("g", "tiny") == "excluded_small_share"
    assert _one(shared, "selection_rate", "g", "tiny").value == 1.0
    assert shared.reference_groups == {"g": "big2"}
    assert shared.references[0].explanation == (
        "'big2', the highest selection rate among groups that qualify (0 or more records and at "
        "least 5.0% of the data)."
    )


def test_named_reference_and_unknown_reference() -> None:
    frame, _ = _hand()
    evidence = audit_fairness(
        frame, y_pred="decision", sensitive=["sex"], reference="F", n_boot=0, min_group_size=0
    )
    assert evidence.reference_groups == {"sex": "F"}
    assert _one(evidence, "selection_rate_ratio", "sex", "M").value == pytest.approx(11 / 6)
    assert _one(evidence, "selection_rate_difference", "sex", "M").value == pytest.approx(0.25)
    # The impact ratio stays against the highest rate, whatever the reference.
    assert _one(evidence, "impact_ratio", "sex", "F").value == pytest.approx(6 / 11)
    with pytest.raises(DataError) as error:
        audit_fairness(frame, y_pred="decision", sensitive=["sex"], reference="X", n_boot=0)
    assert str(error.value) == engine_module.UNKNOWN_REFERENCE.format(
        reference="X", where="any sensitive attribute", groups="F, M"
    )
    assert str(error.value) == (
        "reference group 'X' does not occur in any sensitive attribute; the groups are F, M. "
        "Pick one of them, 'overall_rate', or omit --reference to use the group with the "
        "highest selection rate."
    )


def test_unknown_group_reported_but_not_compared() -> None:
    frame = pd.DataFrame(
        {"d": [1, 0, 1, 1, 0, 1, 0, 0], "g": ["a", "a", "b", "b", None, None, "a", "b"]}
    )
    evidence = audit_fairness(frame, y_pred="d", sensitive=["g"], n_boot=0, min_group_size=0)
    assert evidence.unknown_counts == {"g": 2}
    assert _one(evidence, "count", "g", "unknown").value == 2
    assert _one(evidence, "selection_rate", "g", "unknown").value == 0.5
    assert evidence.find("impact_ratio", group="unknown") == []
    assert evidence.test_for("g", "unknown") is None
    assert [g.group for g in evidence.groups] == ["a", "b", "unknown"]


def test_intersection_errors() -> None:
    frame, _ = _hand()
    with pytest.raises(DataError) as error:
        audit_fairness(
            frame, y_pred="decision", sensitive=["sex"], intersections=[["sex", "age"]], n_boot=0
        )
    assert str(error.value) == (
        "intersection 'sex & age' names 'age', which is not one of the sensitive attributes "
        "(sex). Add it to the sensitive attributes or fix the name."
    )
    with pytest.raises(DataError) as error:
        audit_fairness(
            frame, y_pred="decision", sensitive=["sex"], intersections=[["sex"]], n_boot=0
        )
    assert str(error.value) == (
        "intersection 'sex' needs at least two different sensitive attributes; found ['sex']."
    )


def test_column_arguments_required_or_forbidden() -> None:
    frame, _ = _hand()
    with pytest.raises(DataError) as error:
        audit_fairness(frame, sensitive=["sex"])
    assert str(error.value) == engine_module.COLUMNS_REQUIRED
    data = EvaluationData.from_frame(frame, y_pred="decision", sensitive=["sex"])
    with pytest.raises(DataError) as error:
        audit_fairness(data, y_pred="decision")
    assert str(error.value) == (
        "the data is already an EvaluationData with its columns chosen; do not pass y_pred again."
    )


def test_bad_options() -> None:
    frame, _ = _hand()
    with pytest.raises(DataError) as error:
        audit_fairness(frame, y_pred="decision", sensitive=["sex"], n_boot=-1)
    assert str(error.value) == "n_boot must be a whole number, 0 or more; found -1."
    with pytest.raises(DataError) as error:
        audit_fairness(frame, y_pred="decision", sensitive=["sex"], exclude_below_share=2.0)
    assert str(error.value) == "exclude_below_share must be a share in [0, 1); found 2.0."
    # The configured bound on replicates (limits.max_bootstrap) holds for the library too.
    from govern.errors import BadInputError
    from govern.limits import MSG_TOO_MANY_REPLICATES

    with pytest.raises(BadInputError) as too_many:
        audit_fairness(frame, y_pred="decision", sensitive=["sex"], n_boot=10_001)
    assert str(too_many.value) == MSG_TOO_MANY_REPLICATES.format(
        where="n_boot: ", n_boot=10001, limit=10000
    )


def test_table_marginals_match_groupby() -> None:
    rng = np.random.default_rng(5)
    n = 500
    frame = pd.DataFrame(
        {
            "a": rng.choice(["x", "y", "z"], n),
            "b": rng.choice(["p", "q"], n),
            "c": rng.choice(["u", "v", "w", "t"], n),
            "t": rng.integers(0, 2, n),
            "d": rng.integers(0, 2, n),
        }
    )
    data = EvaluationData.from_frame(frame, y_pred="d", y_true="t", sensitive=["a", "b", "c"])
    table = NumpyTableBuilder().build(data)
    assert table.total == n
    # Intersection c x a (out of axis order) against pandas' own cross-tabulation.
    flat = marginal(table.counts[None], 3, (2, 0))[0]  # (groups, 2, 2, 1)
    expected = frame.groupby(["c", "a", "t", "d"]).size()
    for ci, c in enumerate(table.levels[2]):
        for ai, a in enumerate(table.levels[0]):
            for t in (0, 1):
                for d in (0, 1):
                    got = flat[ci * 3 + ai, t, d, 0]
                    assert got == expected.get((c, a, t, d), 0)


def test_weighted_counts() -> None:
    frame = pd.DataFrame({"d": [1, 0, 1, 0], "g": ["a", "a", "b", "b"], "w": [3.0, 1.0, 1.0, 1.0]})
    evidence = audit_fairness(
        frame, y_pred="d", sensitive=["g"], sample_weight="w", n_boot=50, min_group_size=0
    )
    assert _one(evidence, "selection_rate", "g", "a").value == pytest.approx(0.75)
    assert _one(evidence, "count", "g", "a").value == pytest.approx(4.0)
    assert _one(evidence, "share", "g", "a").value == pytest.approx(4 / 6)


def _score_frame(n: int, distinct: int | None, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    truth = rng.integers(0, 2, n)
    raw = np.clip(0.35 + 0.3 * truth + rng.normal(0, 0.2, n), 0, 1)
    score = np.round(raw * (distinct - 1)) / (distinct - 1) if distinct else raw
    return pd.DataFrame({"g": group, "t": truth, "d": (score > 0.5).astype(int), "s": score})


def test_score_metrics_exact_when_few_distinct_scores() -> None:
    frame = _score_frame(1500, distinct=21)
    evidence = audit_fairness(
        frame, y_pred="d", y_true="t", score="s", sensitive=["g"], n_boot=50, min_group_size=0
    )
    median = float(np.median(frame.s))
    assert evidence.settings["score_median"] == pytest.approx(median)
    assert evidence.settings["score_bins_exact"] == "true"
    for group, part in frame.groupby("g"):
        assert _one(evidence, "mean_score", "g", group).value == pytest.approx(part.s.mean())
        assert _one(evidence, "median_score", "g", group).value == pytest.approx(
            float(np.median(part.s))
        )
        # LL144 scoring rate: strictly above the whole sample's median.
        assert _one(evidence, "scoring_rate", "g", group).value == pytest.approx(
            float((part.s > median).mean())
        )
        assert _one(evidence, "roc_auc", "g", group).value == pytest.approx(
            roc_auc_score(part.t, part.s)
        )
        # ECE over the engine's ~10 equal-mass bins, recomputed here from the rows.
        edges = np.unique(frame.s)
        mass = np.array([(frame.s == e).sum() for e in edges], dtype=float)
        before = np.concatenate([[0.0], np.cumsum(mass)[:-1]]) / mass.sum()
        coarse = dict(zip(edges, np.minimum((before * 10).astype(int), 9), strict=True))
        bins = part.s.map(coarse)
        gaps = part.groupby(bins).apply(lambda b: abs(b.s.sum() - b.t.sum()), include_groups=False)
        assert _one(evidence, "calibration_error", "g", group).value == pytest.approx(
            gaps.sum() / len(part)
        )
    rates = {g: _one(evidence, "scoring_rate", "g", g).value for g in ("a", "b", "c")}
    top = max(rates.values())
    for group, rate in rates.items():
        assert _one(evidence, "scoring_impact_ratio", "g", group).value == pytest.approx(rate / top)


def test_score_metrics_with_continuous_scores() -> None:
    frame = _score_frame(3000, distinct=None)
    evidence = audit_fairness(
        frame, y_pred="d", y_true="t", score="s", sensitive=["g"], n_boot=0, min_group_size=0
    )
    median = float(np.median(frame.s))
    assert evidence.settings["score_bins_exact"] == "false"
    for group, part in frame.groupby("g"):
        # Exact from the table even with binned scores: the mean (score sums) and the scoring
        # rate (the median is a bin edge).
        assert _one(evidence, "mean_score", "g", group).value == pytest.approx(part.s.mean())
        assert _one(evidence, "scoring_rate", "g", group).value == pytest.approx(
            float((part.s > median).mean())
        )
        # Binned: close to the exact figures.
        assert _one(evidence, "median_score", "g", group).value == pytest.approx(
            float(np.median(part.s)), abs=0.03
        )
        assert _one(evidence, "roc_auc", "g", group).value == pytest.approx(
            roc_auc_score(part.t, part.s), abs=0.01
        )


def test_undefined_rates_are_none_not_errors() -> None:
    frame = pd.DataFrame(
        {"t": [1, 1, 0, 0, 1, 0], "d": [0, 0, 0, 0, 1, 1], "g": ["a", "a", "a", "a", "b", "b"]}
    )
    evidence = audit_fairness(
        frame, y_pred="d", y_true="t", sensitive=["g"], n_boot=30, min_group_size=0
    )
    assert _one(evidence, "precision", "g", "a").value is None  # nobody selected in a
    assert _one(evidence, "selection_rate", "g", "a").value == 0.0
    assert _one(evidence, "impact_ratio", "g", "a").value == 0.0
    assert _one(evidence, "selection_rate_ratio", "g", "a").value == 0.0
    assert _one(evidence, "precision_ratio", "g", "a").value is None


def test_weighted_table_counts_records_per_cell() -> None:
    frame = pd.DataFrame(
        {
            "d": [1, 0, 1, 0, 1],
            "g": ["a", "a", "b", "b", "a"],
            "w": [3.0, 1.0, 1.0, 2.0, 0.5],
        }
    )
    data = EvaluationData.from_frame(frame, y_pred="d", sensitive=["g"], sample_weight="w")
    table = NumpyTableBuilder().build(data)
    assert table.record_counts is not None
    # g x y_true (always 0 here) x y_pred x one score bin.
    assert table.record_counts[:, 0, :, 0].tolist() == [[1.0, 2.0], [1.0, 1.0]]
    assert table.counts[:, 0, :, 0].tolist() == [[1.0, 3.5], [2.0, 1.0]]
    unweighted = NumpyTableBuilder().build(
        EvaluationData.from_frame(frame, y_pred="d", sensitive=["g"])
    )
    assert unweighted.record_counts is None


def test_weighted_rates_carry_kish_effective_sizes() -> None:
    # Group "a": 20 records of weight 10 (weighted n 200), half selected; group "b": 200
    # records of weight 1. a's rate has the precision of 20 records, not of 200: its Wilson
    # interval is the one for 10 of 20.
    frame = pd.DataFrame(
        {
            "d": np.tile([1, 0], 110),
            "g": ["a"] * 20 + ["b"] * 200,
            "w": [10.0] * 20 + [1.0] * 200,
        }
    )
    evidence = audit_fairness(frame, y_pred="d", sensitive=["g"], sample_weight="w", n_boot=0)
    assert _one(evidence, "count", "g", "a").value == pytest.approx(200.0)
    rate = _one(evidence, "selection_rate", "g", "a")
    z = 1.959963984540054
    half = z * np.sqrt(0.25 / 20 + z * z / (4 * 20 * 20)) / (1 + z * z / 20)
    assert rate.ci_low == pytest.approx(0.5 - half, abs=1e-12)
    assert rate.ci_high == pytest.approx(0.5 + half, abs=1e-12)
    assert evidence.interval_methods["weights"] == (
        "Kish effective sample size of each rate's records (Kish 1965)"
    )


def test_weights_that_vary_within_cells_use_their_squares() -> None:
    # Two records of weight 3 and two of weight 1 in each cell: (sum w)^2 / sum w^2 = 64/20 =
    # 3.2 effective records per cell, 6.4 per group; the rate is 1/2 either way.
    frame = pd.DataFrame(
        {
            "d": [1, 1, 1, 1, 0, 0, 0, 0] * 2,
            "g": ["a"] * 8 + ["b"] * 8,
            "w": [3.0, 3.0, 1.0, 1.0] * 4,
        }
    )
    evidence = audit_fairness(
        frame, y_pred="d", sensitive=["g"], sample_weight="w", n_boot=0, min_group_size=0
    )
    from govern.audits.fairness.intervals import wilson_interval

    low, high = wilson_interval(3.2, 6.4, modified=True)
    rate = _one(evidence, "selection_rate", "g", "a")
    assert (rate.ci_low, rate.ci_high) == (pytest.approx(float(low)), pytest.approx(float(high)))


def _tiny_top() -> pd.DataFrame:
    # big1: 20 of 50; big2: 30 of 50; tiny: 4 of 4, the highest rate by chance.
    return pd.DataFrame(
        {
            "g": ["big1"] * 50 + ["big2"] * 50 + ["tiny"] * 4,
            "d": [1] * 20 + [0] * 30 + [1] * 30 + [0] * 20 + [1] * 4,
        }
    )


def test_overall_rate_rule_compares_each_group_with_everyone() -> None:
    from govern.audits.fairness.intervals import miettinen_nurminen_interval, newcombe_interval

    evidence = audit_fairness(
        _tiny_top(), y_pred="d", sensitive="g", reference="overall_rate", n_boot=0,
        min_group_size=10,
    )  # fmt: skip
    assert evidence.reference_groups == {}
    (choice,) = evidence.references
    assert (choice.rule, choice.group, choice.fallback, choice.highest_group) == (
        "overall_rate",
        None,
        False,
        "big2",
    )
    assert (
        choice.explanation == "the overall selection rate of all groups of g, as the policy asks."
    )
    overall, w = 54 / 104, 50 / 104
    ratio = _one(evidence, "selection_rate_ratio", "g", "big1")
    assert ratio.value == pytest.approx(0.4 / overall)
    # big1 against everyone else (34 of 54), mapped through phi / (w phi + 1 - w).
    low, high = miettinen_nurminen_interval(20, 50, 34, 54)
    assert ratio.ci_low == pytest.approx(float(low) / (w * float(low) + 1 - w))
    assert ratio.ci_high == pytest.approx(float(high) / (w * float(high) + 1 - w))
    difference = _one(evidence, "selection_rate_difference", "g", "big1")
    low, high = newcombe_interval(20, 50, 34, 54)
    assert difference.value == pytest.approx(0.4 - overall)
    assert (difference.ci_low, difference.ci_high) == (
        pytest.approx((1 - w) * float(low)),
        pytest.approx((1 - w) * float(high)),
    )
    # Impact ratios still divide by the highest qualifying group's rate.
    assert _one(evidence, "impact_ratio", "g", "big1").value == pytest.approx(0.4 / 0.6)
    test = evidence.test_for("g", "big1")
    assert test is not None
    assert (test.reference, test.reference_n, test.reference_selected) == ("*", 54, 34.0)
    assert test.shortfall == pytest.approx(50 * overall - 20)
    assert evidence.test_for("g", "big2") is not None  # every group is tested against the rest


def test_a_named_reference_too_small_falls_back_to_the_overall_rate() -> None:
    evidence = audit_fairness(
        _tiny_top(), y_pred="d", sensitive="g", reference="tiny", n_boot=0, min_group_size=10
    )
    (choice,) = evidence.references
    assert (choice.rule, choice.group, choice.fallback) == ("named_group", None, True)
    assert choice.explanation == (
        "the overall selection rate of all groups of g: the named group 'tiny' does not qualify "
        "(10 or more records), so it cannot serve as the reference."
    )
    assert evidence.reference_groups == {}
    assert not any(g.is_reference for g in evidence.groups)
    # A named group that qualifies is used.
    named = audit_fairness(
        _tiny_top(), y_pred="d", sensitive="g", reference="big1", n_boot=0, min_group_size=10
    )
    assert named.reference_groups == {"g": "big1"}
    assert named.references[0].explanation == (
        "'big1', as the policy names it; it qualifies (10 or more records)."
    )


def test_the_reference_choice_is_in_every_output() -> None:
    from govern.audits.fairness.summary import render_text

    evidence = audit_fairness(_tiny_top(), y_pred="d", sensitive="g", n_boot=0, min_group_size=10)
    text = render_text(evidence).splitlines()
    assert text[0] == "g (reference: big2)"
    assert (
        "  Compared with 'big2', the highest selection rate among groups that qualify (10 or "
        "more records)."
    ) in text
    assert (
        "  Attribute-wide figures: fairlearn's over all 3 groups; the others over the 2 groups "
        "judged (left out: tiny)."
    ) in text
    # audit.json and --format json carry the evidence itself.
    payload = json.loads(evidence.model_dump_json())
    assert payload["references"][0]["explanation"] == evidence.references[0].explanation
    assert payload["summary_coverage"][0]["left_out"] == ["tiny"]
    fallback = audit_fairness(_tiny_top(), y_pred="d", sensitive="g", n_boot=0, min_group_size=60)
    assert render_text(fallback).splitlines()[0] == "g (reference: overall rate, fallback)"


def test_the_terminal_table_flags_impact_ratios_only_against_a_given_threshold() -> None:
    from govern.audits.fairness.summary import NOT_JUDGED, render_text

    # 6 of 20 against 11 of 20: an impact ratio of 6/11 = 0.545.
    frame = pd.DataFrame(
        {"g": ["F"] * 20 + ["M"] * 20, "d": [1] * 6 + [0] * 14 + [1] * 11 + [0] * 9}
    )
    evidence = audit_fairness(frame, y_pred="d", sensitive="g", n_boot=0, min_group_size=5)

    def line_of_f(text: str) -> str:
        return next(line for line in text.splitlines() if line.startswith("  F "))

    plain = render_text(evidence)
    assert not line_of_f(plain).endswith("below 0.8") and NOT_JUDGED in plain.splitlines()
    flagged = render_text(evidence, impact_threshold=0.8)
    assert line_of_f(flagged).endswith("  below 0.8") and NOT_JUDGED not in flagged
    assert "below" not in render_text(evidence, impact_threshold=0.5)


def test_the_terminal_table_names_the_groups_fairlearn_counts_as_zero() -> None:
    from govern.audits.fairness.summary import render_text

    # 'small' has no positives: fairlearn counts its true positive rate (0/0) as 0.
    frame = pd.DataFrame(
        {
            "g": ["a"] * 4 + ["b"] * 4 + ["small"] * 2,
            "t": [1, 1, 0, 0] * 2 + [0, 0],
            "d": [1, 0, 1, 0, 1, 1, 0, 0, 1, 0],
        }
    )
    evidence = audit_fairness(
        frame, y_pred="d", y_true="t", sensitive="g", n_boot=0, min_group_size=4
    )
    lines = render_text(evidence).splitlines()
    for metric in ("equalized_odds_difference", "equal_opportunity_ratio"):
        assert (
            f"  {metric}: fairlearn counts the undefined rate (0/0) of small as 0; no interval."
            in lines
        )


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("overall_rate", ("overall_rate", None)),
        ("highest_selection_rate", ("highest_selection_rate", "big2")),
        ("big1", ("named_group", "big1")),
    ],
)
def test_the_policys_reference_rule_reaches_the_engine(
    tmp_path: Path, rule: str, expected: tuple[str, str | None]
) -> None:
    from govern.policies import load_policy
    from govern.services.gathering import AuditInputs, fairness_gatherer

    path = tmp_path / "policy.yaml"
    path.write_text(
        'name: reference-rule\nversion: "1"\n'
        f"settings: {{reference: {rule}, min_group_size: 10, n_boot: 0}}\n"
        "rules:\n  - id: ratio\n    title: Impact ratio\n    rationale: Compare the groups.\n"
        "    check: {kind: metric, metric: impact_ratio, comparison: '>=', threshold: 0.8}\n",
        encoding="utf-8",
    )
    frame = _tiny_top()
    inputs = AuditInputs(
        frame=frame,
        evaluation=EvaluationData.from_frame(frame, y_pred="d", sensitive=["g"]),
        policy=load_policy(path),
        y_pred="d",
        sensitive=["g"],
    )
    evidence = fairness_gatherer(inputs)
    assert isinstance(evidence, FairnessEvidence)
    (choice,) = evidence.references
    assert (choice.rule, choice.group) == expected


def test_a_rule_against_the_overall_rate_says_so_in_words(tmp_path: Path) -> None:
    from govern.evidence import Evidence
    from govern.policies import evaluate, load_policy

    path = tmp_path / "policy.yaml"
    path.write_text(
        'name: overall\nversion: "1"\n'
        "settings: {reference: overall_rate, min_group_size: 10, n_boot: 0}\n"
        "rules:\n  - id: ratio\n    title: Selection-rate ratio\n    rationale: Compare.\n"
        "    check: {kind: metric, metric: selection_rate_ratio, attributes: [g],\n"
        "            comparison: '>=', threshold: 0.8}\n",
        encoding="utf-8",
    )
    # a: 15 of 50, b: 30 of 50, c: 25 of 50; overall 70 of 150, so a is at 0.3 / 0.467 = 64%.
    frame = pd.DataFrame(
        {
            "g": ["a"] * 50 + ["b"] * 50 + ["c"] * 50,
            "d": [1] * 15 + [0] * 35 + [1] * 30 + [0] * 20 + [1] * 25 + [0] * 25,
        }
    )
    evidence = audit_fairness(
        frame, y_pred="d", sensitive="g", reference="overall_rate", n_boot=0, min_group_size=10
    )
    result = evaluate(load_policy(path), Evidence.of(evidence), today="2026-12-01")
    (rule,) = result.rules
    assert rule.verdict == "fail"
    assert rule.sentence.startswith(
        "Group 'a' of g was selected at 64% of the rate of all groups together"
    )
