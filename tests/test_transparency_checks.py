"""The transparency check kinds beyond the golden cases: judging the interval's worst end, the
proxy level the share was measured at, attributes asked for but not measured, the Theil index,
and schemas that refuse nonsense at load time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govern.errors import PolicyError
from govern.evidence import Evidence
from govern.evidence.transparency import (
    CombinedProxy,
    IndividualFairness,
    ProxyImportanceShare,
    TransparencyEvidence,
)
from govern.policies import evaluate, load_policy

TODAY = dt.date(2027, 3, 1)
POLICY = """\
name: transparency-checks
version: "1"
rules:
  - id: combined
    title: Together
    rationale: Indirect discrimination.
    check: {{kind: combined_proxy, max_auc: 0.7, judge: {judge}{attributes}}}
  - id: share
    title: Share
    rationale: Back door.
    check: {{kind: proxy_importance, max_share: 0.2, proxy_strength: {strength}}}
  - id: theil
    title: Theil
    rationale: Unequal benefits.
    check: {{kind: individual_fairness, measure: theil_index, threshold: 0.2}}
"""


def _policy(
    tmp_path: Path, *, judge: str = "point", attributes: str = "", strength: float = 0.3
) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(
        POLICY.format(judge=judge, attributes=attributes, strength=strength), encoding="utf-8"
    )
    return path


def _evidence(**changes: object) -> Evidence:
    part = TransparencyEvidence(
        model_inputs=["postcode", "score"],
        sensitive_attributes=["sex", "ethnicity"],
        combined_proxies=[
            CombinedProxy(attribute="ethnicity", n=500, auc=0.66, ci_low=0.61, ci_high=0.72,
                          group="black", macro_auc=0.6),
            CombinedProxy(attribute="sex", n=500, auc=0.55, ci_low=0.5, ci_high=0.6,
                          group="female", macro_auc=0.55),
        ],
        proxy_importance=ProxyImportanceShare(share=0.15, ci_low=0.1, ci_high=0.2, n=500,
                                              features=["postcode"], flag_strength=0.3),
        individual_fairness=IndividualFairness(n=500, theil_index=0.25, theil_ci_low=0.2,
                                               theil_ci_high=0.3),
        settings={"level": 0.9},
    )  # fmt: skip
    return Evidence.of(part.model_copy(update=changes))


def _verdicts(path: Path, evidence: Evidence) -> dict[str, tuple[str, str]]:
    result = evaluate(load_policy(path), evidence, today=TODAY)
    return {r.rule_id: (r.verdict, r.sentence) for r in result.rules}


def test_the_point_passes_where_the_worst_end_of_the_interval_fails(tmp_path: Path) -> None:
    point = _verdicts(_policy(tmp_path), _evidence())
    assert point["combined"][0] == "pass"
    worst = _verdicts(_policy(tmp_path, judge="least_favourable"), _evidence())
    assert worst["combined"] == (
        "fail",
        "The model's inputs together predict ethnicity with ROC AUC 0.66 (90% interval 0.61 to "
        "0.72) for group 'black' (0.5 is guessing, 1 is as good as asking), above the 0.7 limit: "
        "the model can tell ethnicity without being given it.",
    )


def test_an_attribute_asked_for_but_not_measured_is_not_a_pass(tmp_path: Path) -> None:
    path = _policy(tmp_path, attributes=", attributes: [ethnicity, disability]")
    verdict, sentence = _verdicts(path, _evidence())["combined"]
    assert verdict == "insufficient_data"
    assert sentence == (
        "It is not known whether the inputs together predict disability: the combined proxy "
        "measure was not taken."
    )


def test_a_share_measured_at_another_proxy_level_does_not_answer(tmp_path: Path) -> None:
    verdicts = _verdicts(_policy(tmp_path, strength=0.2), _evidence())
    assert verdicts["share"] == (
        "insufficient_data",
        "The audit counted inputs as proxies from strength 0.3; this rule counts them from 0.2, "
        "so the measured share does not answer it.",
    )
    assert _verdicts(_policy(tmp_path), _evidence())["share"][0] == "pass"


def test_the_theil_index_has_a_ceiling(tmp_path: Path) -> None:
    assert _verdicts(_policy(tmp_path), _evidence())["theil"] == (
        "fail",
        "The model's benefits are spread too unequally: Theil index 0.25 (90% interval 0.20 to "
        "0.30) of benefits against the true outcomes (0 is perfect equality), above the 0.2 "
        "limit.",
    )
    no_outcomes = _evidence(individual_fairness=IndividualFairness(n=500, consistency=0.9))
    verdict, _ = _verdicts(_policy(tmp_path), no_outcomes)["theil"]
    assert verdict == "insufficient_data"


def test_no_transparency_evidence_is_not_a_pass(tmp_path: Path) -> None:
    verdicts = _verdicts(_policy(tmp_path), Evidence())
    assert {verdict for verdict, _ in verdicts.values()} == {"insufficient_data"}


@pytest.mark.parametrize(
    ("check", "problem"),
    [
        ("{kind: combined_proxy, max_auc: 0.4}", "greater than or equal to 0.5"),
        ("{kind: proxy_importance, max_share: 1.5}", "less than or equal to 1"),
        ("{kind: individual_fairness, measure: gini, threshold: 0.2}", "consistency"),
        ("{kind: importance_by_group, max_gapp: 0.1}", "did you mean 'max_gap'?"),
    ],
)
def test_nonsense_is_refused_when_the_policy_loads(
    tmp_path: Path, check: str, problem: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        f"name: bad\nversion: '1'\nrules:\n  - id: r\n    title: R\n    rationale: Why.\n"
        f"    check: {check}\n",
        encoding="utf-8",
    )
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert any(problem in line for line in caught.value.problems), caught.value.problems
