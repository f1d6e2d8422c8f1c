"""The planted disparities of the two recommendation logs are found; fair logs pass the packs.

The expected figures are those of docs/datasets.md, worked out from how the data is generated
(binomial slots for learning_pathways) or measured once on a large sample (talent_shortlist).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from govern.audits.ranking import audit_recommendations
from govern.cli.main import main
from govern.datasets import learning_pathways, talent_shortlist
from govern.datasets.learning import BASE_LEADERSHIP_SHARE
from govern.evidence import Evidence
from govern.evidence.ranking import RankingEvidence
from govern.policies import evaluate, load_policy

TODAY = dt.date(2026, 11, 24)


def _learning(disparity: float) -> RankingEvidence:
    return audit_recommendations(
        learning_pathways(20000, seed=4, disparity=disparity),
        user="employee_id",
        rank="rank",
        k=5,
        sensitive="sex",
        item_category="course_category",
        category="leadership",
        outcome="enrolled",
        n_boot=400,
    )


def _talent(disparity: float) -> RankingEvidence:
    return audit_recommendations(
        talent_shortlist(2000, seed=3, disparity=disparity),
        user="post_id",
        rank="rank",
        k=5,
        item_sensitive="candidate_sex",
        outcome="qualified",
        n_boot=400,
    )


def _covers(evidence: RankingEvidence, metric: str, group: str, value: float) -> bool:
    (row,) = evidence.find(metric, group=group)
    assert row.ci_low is not None and row.ci_high is not None
    return row.ci_low <= value <= row.ci_high


def test_learning_pathways_leadership_gap_is_found() -> None:
    evidence = _learning(0.3)
    women = BASE_LEADERSHIP_SHARE * (1 - 0.3)
    # Five independent slots: P(at least one leadership course) = 1 - (1 - share)^5.
    expected_women = 1 - (1 - women) ** 5
    expected_men = 1 - (1 - BASE_LEADERSHIP_SHARE) ** 5
    assert (round(expected_women, 3), round(expected_men, 3)) == (0.530, 0.672)
    assert _covers(evidence, "top_k_category_rate", "female", expected_women)
    assert _covers(evidence, "top_k_category_rate", "male", expected_men)
    assert _covers(evidence, "top_k_category_rate_ratio", "female", expected_women / expected_men)
    assert _covers(evidence, "category_slot_share", "female", women)
    result = evaluate(load_policy("recommendation-fairness"), Evidence.of(evidence), today=TODAY)
    assert result.status == "fail"
    assert result.rules[0].group == "female"


def test_a_fair_learning_log_passes() -> None:
    evidence = _learning(0.0)
    assert _covers(evidence, "top_k_category_rate_ratio", "female", 1.0)
    result = evaluate(load_policy("recommendation-fairness"), Evidence.of(evidence), today=TODAY)
    assert result.status == "pass", [r.sentence for r in result.rules]


def test_talent_shortlist_exposure_gap_is_found() -> None:
    evidence = _talent(0.3)
    (ratio,) = evidence.find("exposure_to_pool_ratio", group="female")
    (merit,) = evidence.find("exposure_to_merit_ratio", group="female")
    assert ratio.value == pytest.approx(0.73, abs=0.03)  # docs/datasets.md
    assert merit.value == pytest.approx(0.73, abs=0.03)
    (skew,) = evidence.find("skew_at_k", group="female")
    assert skew.ci_high is not None and skew.ci_high < 0  # under-represented in the top 5
    result = evaluate(load_policy("ranking-exposure"), Evidence.of(evidence), today=TODAY)
    assert result.status == "fail"
    assert {r.rule_id: r.verdict for r in result.rules} == {
        "ranking-exposure-share": "fail",
        "ranking-exposure-merit": "fail",
    }


def test_a_fair_talent_shortlist_passes() -> None:
    evidence = _talent(0.0)
    for group in ("female", "male"):
        assert _covers(evidence, "exposure_to_pool_ratio", group, 1.0)
        assert _covers(evidence, "skew_at_k", group, 0.0)
    result = evaluate(load_policy("ranking-exposure"), Evidence.of(evidence), today=TODAY)
    assert result.status == "pass", [r.sentence for r in result.rules]


def test_learning_pathways_says_the_rows_it_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "log.csv"
    code = main(
        ["datasets", "generate", "learning_pathways", "--rows", "300", "--out", str(out),
         "--format", "json"]
    )  # fmt: skip
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert (payload["rows"], payload["employees"]) == (1500, 300)
    assert len(out.read_text().splitlines()) == 1500 + 1  # and the header
