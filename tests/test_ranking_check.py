"""The ``ranking`` check kind: loading, and every branch of its evaluation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from govern.audits.ranking import audit_recommendations
from govern.errors import PolicyError
from govern.evidence import Evidence
from govern.evidence.ranking import RANKING_METRIC_NAMES, RankingEvidence
from govern.policies import evaluate, load_policy
from govern.policies.checks.ranking import MSG_CATEGORY_UNUSED, phrase

TODAY = dt.date(2026, 11, 24)
LOG = Path(__file__).parent / "fixtures" / "ranking" / "hand_log.csv"


def _bigger_log(copies: int) -> pd.DataFrame:
    frame = pd.read_csv(LOG)
    return pd.concat(
        [frame.assign(user=frame["user"] + f"-{i}") for i in range(copies)], ignore_index=True
    )


@pytest.fixture(scope="module")
def evidence() -> RankingEvidence:
    # 15 copies of the hand log: 30 users per sex, the same rates as the hand-computed ones.
    return audit_recommendations(
        _bigger_log(15),
        user="user",
        rank="rank",
        k=2,
        sensitive=["sex"],
        item_category="category",
        item_sensitive="item_group",
        outcome="outcome",
        n_boot=200,
    )


def _policy(tmp_path: Path, check: str, settings: str = "min_group_size: 30") -> Path:
    path = tmp_path / "policy.yaml"
    lines = "\n".join(f"      {line}" for line in check.strip().splitlines())
    path.write_text(
        "name: test\nversion: '1'\nsettings:\n  "
        + settings
        + "\nrules:\n  - id: r\n    title: t\n    rationale: why\n    check:\n"
        + lines
        + "\n",
        encoding="utf-8",
    )
    return path


def _judge(tmp_path: Path, check: str, evidence: RankingEvidence, **settings: object):  # type: ignore[no-untyped-def]
    extra = "\n  ".join(f"{k}: {v}" for k, v in {"min_group_size": 30, **settings}.items())
    policy = load_policy(_policy(tmp_path, check, extra))
    return evaluate(policy, Evidence.of(evidence), today=TODAY).rules[0]


def test_a_failing_category_rate(tmp_path: Path, evidence: RankingEvidence) -> None:
    rule = _judge(
        tmp_path,
        """
kind: ranking
metric: top_k_category_rate_ratio
category: lead
k: 2
comparison: ">="
threshold: 0.8
""",
        evidence,
    )
    assert rule.verdict == "fail"
    assert (rule.attribute, rule.group, rule.value) == ("sex", "F", pytest.approx(0.5))
    assert rule.sentence.startswith(
        "For group 'F' of sex, the share of users offered 'lead' in their top 2, relative to "
        "group 'M' was 0.5"
    )
    assert rule.comparison == "top_k_category_rate_ratio[lead]@2 >= 0.8"


def test_every_category_is_judged_when_none_is_named(
    tmp_path: Path, evidence: RankingEvidence
) -> None:
    check = 'kind: ranking\nmetric: category_slot_share_ratio\ncomparison: ">="\nthreshold: 0.6'
    rule = _judge(tmp_path, check, evidence)
    # lead: F at 0.5 of M (fails); tech: M at 0.667 of F (holds); the worst is reported.
    assert rule.verdict == "fail" and rule.value == pytest.approx(0.5)
    assert "1 other case" not in rule.sentence


def test_a_pass_names_the_least_favourable_case(tmp_path: Path, evidence: RankingEvidence) -> None:
    check = (
        "kind: ranking\nmetric: category_slot_share_ratio\ncategory: tech\n"
        'comparison: ">="\nthreshold: 0.6'
    )
    rule = _judge(tmp_path, check, evidence)
    assert rule.verdict == "pass"
    assert rule.group == "M" and rule.value == pytest.approx(2 / 3)
    assert rule.sentence.endswith("this is the least favourable case.")


def test_another_k_is_insufficient_data(tmp_path: Path, evidence: RankingEvidence) -> None:
    check = 'kind: ranking\nmetric: hit_rate_ratio\nk: 5\ncomparison: ">="\nthreshold: 0.8'
    rule = _judge(tmp_path, check, evidence)
    assert rule.verdict == "insufficient_data"
    assert rule.sentence == (
        "The recommendations were audited in the top 2, but this rule is about the top 5, so it "
        "could not be judged."
    )
    assert rule.to_conclude == "Audit the recommendations with k = 5 (--k 5)."


def test_a_category_not_audited_is_insufficient_data(
    tmp_path: Path, evidence: RankingEvidence
) -> None:
    check = (
        "kind: ranking\nmetric: top_k_category_rate_ratio\ncategory: leadership\n"
        'comparison: ">="\nthreshold: 0.8'
    )
    rule = _judge(tmp_path, check, evidence)
    assert rule.verdict == "insufficient_data"
    assert rule.sentence == (
        "The audit holds no results for the category 'leadership' (categories audited: lead, "
        "tech), so the rule could not be judged."
    )


def test_small_groups_are_not_judged(tmp_path: Path, evidence: RankingEvidence) -> None:
    check = 'kind: ranking\nmetric: hit_rate_ratio\ncomparison: ">="\nthreshold: 0.8'
    small = audit_recommendations(
        LOG, user="user", rank="rank", k=2, sensitive="sex", outcome="outcome", n_boot=0
    )
    rule = _judge(tmp_path, check, small)
    assert rule.verdict == "insufficient_data"
    assert rule.to_conclude == "At least 30 users (or items) in each group to be judged."
    # Two users per sex: too few to judge, and too few to publish (the disclosure size is 10).
    assert any("too few to publish its figures, not judged" in line for line in rule.details)


def test_item_side_rows_and_the_least_favourable_bound(
    tmp_path: Path, evidence: RankingEvidence
) -> None:
    check = (
        'kind: ranking\nmetric: exposure_to_pool_ratio\ncomparison: ">="\nthreshold: 0.85\n'
        "judge: least_favourable"
    )
    rule = _judge(tmp_path, check, evidence)
    (row,) = evidence.find("exposure_to_pool_ratio", group="A")
    assert row.value is not None and row.ci_low is not None and row.value > 0.85
    expected = "pass" if row.ci_low >= 0.85 else "fail"
    assert rule.verdict == expected
    assert "judged on the least favourable bound of each interval" in rule.details


def test_missing_item_side_says_what_to_audit(tmp_path: Path) -> None:
    users_only = audit_recommendations(
        LOG, user="user", rank="rank", k=2, sensitive="sex", n_boot=0, min_group_size=1
    )
    check = 'kind: ranking\nmetric: exposure_to_merit_ratio\ncomparison: ">="\nthreshold: 0.8'
    rule = _judge(tmp_path, check, users_only)
    assert rule.verdict == "insufficient_data"
    assert rule.to_conclude == (
        "Audit the recommendation log naming the items' group (--item-sensitive COLUMN, e.g. "
        "the candidates' sex) and their merit (--outcome COLUMN)."
    )
    not_applicable = _judge(tmp_path, check + "\nif_missing: not_applicable", users_only)
    assert not_applicable.verdict == "not_applicable"


def test_ndkl_is_judged_on_its_attribute_wide_row(
    tmp_path: Path, evidence: RankingEvidence
) -> None:
    check = 'kind: ranking\nmetric: ndkl\ncomparison: "<="\nthreshold: 0.1'
    rule = _judge(tmp_path, check, evidence)
    assert rule.verdict == "fail"
    assert rule.value == pytest.approx(0.5558132838747597)  # the hand-computed NDKL


def test_no_ranking_evidence_is_insufficient_data(tmp_path: Path) -> None:
    check = 'kind: ranking\nmetric: hit_rate_ratio\ncomparison: ">="\nthreshold: 0.8'
    policy = load_policy(_policy(tmp_path, check))
    rule = evaluate(policy, Evidence(), today=TODAY).rules[0]
    assert rule.verdict == "insufficient_data"
    assert rule.sentence == "No ranking evidence was gathered, so this rule could not be judged."


def test_a_misspelt_metric_fails_at_load_time(tmp_path: Path) -> None:
    path = _policy(
        tmp_path, 'kind: ranking\nmetric: hit_rate_ratoi\ncomparison: ">="\nthreshold: 1'
    )
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert any(
        "unknown ranking metric 'hit_rate_ratoi' (did you mean 'hit_rate_ratio'?)" in problem
        for problem in caught.value.problems
    )


def test_a_category_on_an_item_metric_fails_at_load_time(tmp_path: Path) -> None:
    path = _policy(
        tmp_path,
        'kind: ranking\nmetric: exposure_share\ncategory: lead\ncomparison: ">="\nthreshold: 1',
    )
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    expected = MSG_CATEGORY_UNUSED.split("{")[0]
    assert any(expected in problem for problem in caught.value.problems)


def test_every_metric_has_words() -> None:
    for metric in RANKING_METRIC_NAMES:
        words = phrase(metric, "lead", 5)
        # Not the fallback (the name with spaces for underscores): every metric is described.
        assert words != metric.replace("_", " "), metric
        assert "_" not in words, metric
