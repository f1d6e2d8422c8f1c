"""A check kind added from a test module alone: schema, evidence, evaluation and sentence.

The kind below is registered here, with no edit to govern's code, and is then validated when a
policy is loaded (with file:line errors and in the JSON Schema), evaluated, rendered in the
compliance report and listed by ``govern policy show``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field

from govern.cli.main import main
from govern.errors import PolicyError
from govern.evidence import Evidence, EvidencePart, register_evidence_kind
from govern.model_cards.render import render_report
from govern.policies import (
    CheckKind,
    CheckModel,
    Finding,
    RuleContext,
    check_kinds,
    evaluate,
    load_policy,
    policy_json_schema,
    register_check_kind,
)
from govern.policies.checks import unregister_check_kind
from govern.results import AuditResult, DataFingerprint

TODAY = dt.date(2026, 12, 1)


@register_evidence_kind
class DecisionTimeEvidence(EvidencePart):
    """Median days from application to decision, per group."""

    kind: Literal["decision_time"] = "decision_time"
    median_days: dict[str, float] = Field(default_factory=dict)


class DecisionTimeCheck(CheckModel):
    kind: Literal["decision_time"]
    max_gap_days: float = Field(ge=0, description="Largest allowed gap between groups, in days.")


def _evaluate(
    check: DecisionTimeCheck, evidence: DecisionTimeEvidence | None, context: RuleContext
) -> Finding:
    assert evidence is not None
    days = evidence.median_days
    if len(days) < 2:
        return Finding(
            verdict="insufficient_data",
            sentence="Fewer than two groups have decision times, so no gap can be measured.",
            to_conclude="Decision times for at least two groups.",
        )
    slowest = max(days, key=lambda g: days[g])
    fastest = min(days, key=lambda g: days[g])
    gap = days[slowest] - days[fastest]
    verdict: Literal["pass", "fail"] = "pass" if gap <= check.max_gap_days else "fail"
    return Finding(
        verdict=verdict,
        sentence=f"Group '{slowest}' waits {gap:g} days longer for a decision than group "
        f"'{fastest}' (limit {check.max_gap_days:g} days).",
        value=gap,
        threshold=check.max_gap_days,
        comparison=f"decision_time_gap_days <= {check.max_gap_days:g}",
        group=slowest,
    )


KIND = CheckKind(
    key="decision_time",
    schema=DecisionTimeCheck,
    evidence=DecisionTimeEvidence,
    evaluate=_evaluate,
    describe=lambda check: f"decision-time gap at most {check.max_gap_days:g} days",
    threshold_field="max_gap_days",
)

POLICY = """\
name: timely-decisions
version: "1"
extends: [eeoc-four-fifths]
rules:
  - id: waiting-gap
    title: Every group hears back at about the same time
    rationale: Slow answers for one group are a barrier of their own.
    check: {kind: decision_time, max_gap_days: 3}
"""


@pytest.fixture
def plugin_kind() -> Iterator[CheckKind[DecisionTimeCheck, DecisionTimeEvidence]]:
    register_check_kind(KIND)
    try:
        yield KIND
    finally:
        unregister_check_kind(KIND.key)


def _policy_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "timely.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_kind_is_validated_and_in_the_json_schema(plugin_kind: object, tmp_path: Path) -> None:
    assert "decision_time" in check_kinds()
    policy = load_policy(_policy_file(tmp_path, POLICY))
    rule = policy.rule("waiting-gap")
    assert isinstance(rule.check, DecisionTimeCheck) and rule.check.max_gap_days == 3
    schema = json.dumps(policy_json_schema())
    assert "DecisionTimeCheck" in schema and "max_gap_days" in schema

    broken = _policy_file(tmp_path, POLICY.replace("max_gap_days: 3", "max_gap_dayz: 3"))
    with pytest.raises(PolicyError) as caught:
        load_policy(broken)
    assert any(
        "rules[0].check.max_gap_dayz: unknown key 'max_gap_dayz' (did you mean 'max_gap_days'?)"
        in problem
        for problem in caught.value.problems
    )


def test_an_unknown_kind_fails_at_load_time_not_at_evaluation(tmp_path: Path) -> None:
    # Without the plug-in registered the same file is refused, naming the known kinds.
    with pytest.raises(PolicyError) as caught:
        load_policy(_policy_file(tmp_path, POLICY))
    (problem,) = caught.value.problems
    assert "unknown check kind 'decision_time'" in problem
    assert "expected one of: metric, transparency, documentation, process" in problem


def test_the_kind_is_evaluated_and_unknown_evidence_is_not_a_pass(
    plugin_kind: object, tmp_path: Path
) -> None:
    policy = load_policy(_policy_file(tmp_path, POLICY))
    evidence = Evidence.of(DecisionTimeEvidence(median_days={"female": 12, "male": 7}))
    result = evaluate(policy, evidence, today=TODAY)
    by_id = {rule.rule_id: rule for rule in result.rules}
    assert by_id["waiting-gap"].verdict == "fail"
    assert by_id["waiting-gap"].sentence == (
        "Group 'female' waits 5 days longer for a decision than group 'male' (limit 3 days)."
    )
    assert result.status == "fail"

    without = evaluate(policy, Evidence(), today=TODAY).rules[-1]
    assert without.verdict == "insufficient_data"
    assert without.sentence == (
        "No decision_time evidence was gathered, so this rule could not be judged."
    )


def test_the_kind_is_rendered_and_survives_a_json_round_trip(
    plugin_kind: object, tmp_path: Path
) -> None:
    policy = load_policy(_policy_file(tmp_path, POLICY))
    evidence = Evidence.of(DecisionTimeEvidence(median_days={"female": 8, "male": 7}))
    audit = AuditResult(
        govern_version="test",
        created_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        data=DataFingerprint(sha256="0" * 64, n_rows=40, columns=["sex", "days"]),
        evidence=evidence,
        policy=evaluate(policy, evidence, today=TODAY),
    )
    again = AuditResult.model_validate_json(audit.model_dump_json())
    assert again.evidence.get(DecisionTimeEvidence) == evidence.get(DecisionTimeEvidence)
    sentence = "Group 'female' waits 1 days longer for a decision than group 'male'"
    assert sentence in html.unescape(render_report(again, fmt="html"))
    assert sentence in render_report(again, fmt="markdown")


def test_policy_show_lists_the_kind(
    plugin_kind: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _policy_file(tmp_path, POLICY)
    assert main(["policy", "show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "- waiting-gap [blocking] decision_time: decision-time gap at most 3 days" in out
    assert main(["policy", "validate", str(path)]) == 0
