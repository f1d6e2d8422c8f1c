"""Evaluator details: interval judging, significance, substantive text, scope; docstrings run."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib

import pytest

from govern.evidence import Evidence
from govern.evidence.documentation import DocumentationEvidence
from govern.evidence.fairness import FairnessEvidence, GroupSummary, SelectionRateTest
from govern.policies import MetricCheck, evaluate, is_substantive
from govern.policies.schema import Policy, Rule
from govern.results import MetricRow

TODAY = dt.date(2026, 11, 24)


def _policy(**check: object) -> Policy:
    fields: dict[str, object] = {
        "kind": "metric",
        "metric": "impact_ratio",
        "comparison": ">=",
        "threshold": 0.8,
    }
    fields.update(check)
    rule = Rule(
        id="ir",
        title="Impact ratio",
        rationale="Four-fifths rule.",
        check=MetricCheck.model_validate(fields),
    )
    return Policy(name="t", version="1", rules=[rule])


def _evidence(
    value: float,
    low: float | None,
    high: float | None,
    *,
    significant: bool = True,
    flip_flop: bool = False,
) -> Evidence:
    # female 50 of 100 selected vs male 60 of 100: a hand-made row, not the engine's output.
    # A flip-flop is a property of the counts (UGESP Q&A 21): 4 of 10 vs 6 of 10 gives a ratio of
    # 0.67 that one more selected woman lifts to 0.83.
    n, selected, reference_n, reference_selected = (
        (10, 4, 10, 6) if flip_flop else (100, 50, 100, 60)
    )
    return Evidence(
        fairness=FairnessEvidence(
            n_rows=200,
            attributes=["sex"],
            reference_groups={"sex": "male"},
            groups=[
                GroupSummary(attribute="sex", group="female", n=100, share=0.5),
                GroupSummary(attribute="sex", group="male", n=100, share=0.5, is_reference=True),
            ],
            disparities=[
                MetricRow(
                    attribute="sex",
                    group="female",
                    n=100,
                    metric="impact_ratio",
                    value=value,
                    ci_low=low,
                    ci_high=high,
                ),
                MetricRow(attribute="sex", group="male", n=100, metric="impact_ratio", value=1.0),
            ],
            tests=[
                SelectionRateTest(
                    attribute="sex",
                    group="female",
                    reference="male",
                    n=n,
                    selected=selected,
                    reference_n=reference_n,
                    reference_selected=reference_selected,
                    impact_ratio=value,
                    test="two_proportion_z",
                    statistic=1.4,
                    p_value=0.003,
                    p_value_adjusted=0.003,
                    significant=significant,
                    shortfall=10.0,
                    flip_flop=flip_flop,
                    records_needed=400,
                )
            ],
        )
    )


def test_point_passes_but_least_favourable_bound_fails() -> None:
    evidence = _evidence(0.83, 0.7, 0.98)
    point = evaluate(_policy(), evidence, today=TODAY).rules[0]
    bound = evaluate(_policy(judge="least_favourable"), evidence, today=TODAY).rules[0]
    assert point.verdict == "pass"
    assert bound.verdict == "fail"
    assert (bound.value, bound.ci_low, bound.ci_high) == (0.83, 0.7, 0.98)
    assert "judged on the least favourable bound of each interval" in bound.details


def test_exact_failure_sentence_for_an_oversight_board() -> None:
    result = evaluate(
        _policy(require_significance=True), _evidence(0.62, 0.55, 0.70), today=TODAY
    ).rules[0]
    assert result.verdict == "fail"
    assert (result.attribute, result.group, result.threshold) == ("sex", "female", 0.8)
    assert result.comparison == "impact_ratio >= 0.8"
    assert result.sentence == (
        "Group 'female' of sex was selected at 62% of the rate of 'male' (95% CI 55%–70%), "
        "below the 0.8 threshold; the difference is statistically significant (p = 0.003)."
    )


@pytest.mark.parametrize(("significant", "flip_flop"), [(False, False), (True, True)])
def test_unconfirmed_shortfall_is_insufficient_data_not_pass(
    significant: bool, flip_flop: bool
) -> None:
    evidence = _evidence(0.62, 0.55, 0.70, significant=significant, flip_flop=flip_flop)
    strict = evaluate(_policy(require_significance=True), evidence, today=TODAY).rules[0]
    plain = evaluate(_policy(), evidence, today=TODAY).rules[0]
    assert strict.verdict == "insufficient_data"
    assert plain.verdict == "fail"


def test_missing_evidence_part_and_missing_metric_are_insufficient_never_not_applicable() -> None:
    # Unknown is never pass, and not_applicable is kept for rules out of scope: evidence that
    # was not gathered leaves the rule insufficient_data and the policy inconclusive.
    missing = evaluate(_policy(), Evidence(), today=TODAY)
    (rule,) = missing.rules
    assert rule.verdict == "insufficient_data"
    assert rule.sentence == "No fairness evidence was gathered, so this rule could not be judged."
    assert rule.to_conclude is not None and "govern audit" in rule.to_conclude
    assert missing.status == "inconclusive" and not missing.passed
    other = _policy(metric="equal_opportunity_difference", comparison="<=", threshold=0.1)
    result = evaluate(other, _evidence(0.9, None, None), today=TODAY).rules[0]
    assert result.verdict == "insufficient_data"
    assert result.sentence == (
        "The evidence holds no equal opportunity difference for sex, so the rule could not be "
        "judged."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TODO", False),
        ("tbd.", False),
        ("N/A", False),
        ("  ", False),
        ("TODO: describe the data later on", False),
        ("Recruiter checks.", False),
        ("A recruiter reviews every shortlist and can override it.", True),
    ],
)
def test_substantive(text: str, expected: bool) -> None:
    assert is_substantive(text, min_words=5, min_chars=0) is expected


def test_documentation_rule_counts_substantive_fields() -> None:
    from govern.policies import load_policy

    policy = load_policy("nyc-ll144")
    card = DocumentationEvidence(fields={"bias_audit.data_source": "n/a"})
    rule = next(
        r
        for r in evaluate(policy, Evidence(documentation=card), today=TODAY).rules
        if r.rule_id == "ll144-summary-published"
    )
    assert rule.verdict == "fail"
    assert (rule.value, rule.threshold) == (0.0, 2.0)
    assert rule.sentence == (
        "The model card is incomplete: 1 of 2 required fields is missing "
        "(bias_audit.distribution_date) and 1 field is too thin or a placeholder "
        "(bias_audit.data_source)."
    )


@pytest.mark.parametrize(
    "module",
    [
        "govern.policies",
        "govern.policies.schema",
        "govern.policies.loader",
        "govern.policies.evaluator",
        "govern.policies.waivers",
        "govern.policies.packs",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def _sign_off_policy() -> Policy:
    from govern.policies import ProcessCheck

    rule = Rule(
        id="sign-off",
        title="Sign-off",
        rationale="A person answers for a high-risk model.",
        check=ProcessCheck(
            kind="process", requirement="sign_off", roles=["ethics_board"], risk_tiers=["high"]
        ),
    )
    return Policy(name="t", version="1", rules=[rule])


def test_sign_off_left_to_the_gate_is_not_applicable_at_audit_time() -> None:
    from govern.evidence.process import ProcessEvidence

    evidence = Evidence(process=ProcessEvidence(risk_tier="high", approvals=None))
    (result,) = evaluate(_sign_off_policy(), evidence, today=TODAY).rules
    assert result.verdict == "not_applicable"
    assert result.sentence == (
        "Sign-off by ethics_board is checked by the deployment gate, after this audit, "
        "because approvers sign off on its findings."
    )


def test_sign_off_missing_when_judged_is_a_failure() -> None:
    from govern.evidence.process import ProcessEvidence

    evidence = Evidence(process=ProcessEvidence(risk_tier="high", approvals=[]))
    (result,) = evaluate(_sign_off_policy(), evidence, today=TODAY).rules
    assert result.verdict == "fail"
    assert result.sentence == "Sign-off is missing from ethics_board."


def test_attribute_summary_row_is_not_judged_beside_its_groups() -> None:
    evidence = _evidence(0.5 / 0.6, 0.70, 0.97)
    assert evidence.get(FairnessEvidence) is not None
    summary = MetricRow(
        attribute="sex",
        group="*",
        n=200,
        metric="impact_ratio",
        value=0.5 / 0.6,
        ci_low=0.70,
        ci_high=0.97,
    )
    with_summary = evidence.get(FairnessEvidence).model_copy(
        update={"disparities": [*evidence.get(FairnessEvidence).disparities, summary]}
    )
    plain = evaluate(_policy(), evidence, today=TODAY).rules[0]
    doubled = evaluate(_policy(), Evidence(fairness=with_summary), today=TODAY).rules[0]
    assert doubled.verdict == plain.verdict
    assert doubled.details == plain.details
    assert doubled.group == "female"


def test_a_waiver_naming_a_rule_the_policy_lacks_is_an_error() -> None:
    from govern.errors import PolicyError
    from govern.policies.waivers import Waiver

    typo = Waiver(
        rule="irr",
        model="cv-screening",
        justification="Pilot phase, reviewed monthly.",
        approver="Chief Data Officer",
        expires=dt.date(2027, 1, 31),
    )
    with pytest.raises(PolicyError) as caught:
        evaluate(
            _policy(),
            _evidence(0.9, 0.8, 1.0),
            waivers=[typo],
            today=TODAY,
            model_name="cv-screening",
        )
    assert str(caught.value) == (
        "a waiver for model 'cv-screening' names rule 'irr', which policy 't' does not have "
        "(did you mean 'ir'?). A misspelt waiver would silently not apply: correct the rule id "
        "in the waivers file, or remove the waiver (`govern policy show t` lists the rule ids)."
    )
    # another model's waivers are not this audit's business
    other = typo.model_copy(update={"model": "other-model"})
    evaluate(
        _policy(), _evidence(0.9, 0.8, 1.0), waivers=[other], today=TODAY, model_name="cv-screening"
    )


def test_every_group_that_falls_short_is_recorded() -> None:
    # A failing rule names its worst group in the sentence; every group short of the threshold
    # is listed in shortfalls, so a report can mark each one (withheld or not).
    result = evaluate(_policy(), _evidence(0.62, 0.55, 0.70), today=TODAY).rules[0]
    assert result.shortfalls == [("sex", "female")]
    passing = evaluate(_policy(), _evidence(0.9, 0.85, 0.95), today=TODAY).rules[0]
    assert passing.shortfalls == []


def test_a_fairlearn_figure_with_a_conventional_zero_is_not_judged() -> None:
    import pandas as pd

    from govern.audits.fairness import audit_fairness
    from govern.policies.checks.metric import MSG_COUNTED_AS_ZERO, TO_CONCLUDE_COUNTED_AS_ZERO

    # big0: TPR 10/20, big1: TPR 16/20; 'small' has no positives, so fairlearn's equalized
    # odds difference (0.8) counts its 0/0 TPR as 0: a convention, which must not pass or fail.
    cells = [
        ("big0", 1, 1, 10), ("big0", 1, 0, 10), ("big0", 0, 1, 5), ("big0", 0, 0, 15),
        ("big1", 1, 1, 16), ("big1", 1, 0, 4), ("big1", 0, 1, 4), ("big1", 0, 0, 16),
        ("small", 0, 1, 1), ("small", 0, 0, 2),
    ]  # fmt: skip
    frame = pd.DataFrame(
        [(g, t, p) for g, t, p, k in cells for _ in range(k)], columns=["g", "y_true", "y_pred"]
    )
    evidence = Evidence.of(
        audit_fairness(frame, y_pred="y_pred", y_true="y_true", sensitive="g", n_boot=0)
    )
    policy = _policy(metric="equalized_odds_difference", comparison="<=", threshold=0.1)
    (rule,) = evaluate(policy, evidence, today=TODAY).rules
    assert rule.verdict == "insufficient_data"
    assert rule.to_conclude == TO_CONCLUDE_COUNTED_AS_ZERO.format(
        metric="equalized_odds_difference"
    )
    assert (
        MSG_COUNTED_AS_ZERO.format(
            metric="equalized_odds_difference", attribute="g", groups="'small'"
        )
        in rule.details
    )
    # Each judged group's own difference from the reference (big1, the higher selection rate)
    # is judged as usual: 10/20 - 16/20 = -0.3.
    judged = _policy(metric="true_positive_rate_difference", comparison=">=", threshold=-0.1)
    assert evaluate(judged, evidence, today=TODAY).rules[0].verdict == "fail"
