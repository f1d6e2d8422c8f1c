"""On synthetic logs with a planted reviewer stage: the pattern is found, a fair stage is not.

The recruitment generator's reviewers turn down recommended women and black and asian
applicants with probability 8% + bias (8% for the others) and select people the model passed
over with probability 8% x (1 - bias) (8%); the last of eight reviewers keeps every
recommendation. So with bias 0.2, women are turned down at 7/8 x 0.28 = 0.245 and men (19% of
them black or asian) at 7/8 x (0.81 x 0.08 + 0.19 x 0.28) = 0.103.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from govern.datasets import recruitment
from govern.evidence.oversight import OversightEvidence
from govern.results import AuditResult
from govern.services.oversight import audit_oversight_data

REVIEW = {
    "recommendation": "shortlisted",
    "decision": "final_decision",
    "sensitive": ["sex", "ethnicity"],
    "appeal": "appealed",
    "appeal_upheld": "appeal_upheld",
    "reviewer": "reviewer",
}


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped pack with fewer bootstrap replicates, to keep the test quick."""
    path = tmp_path_factory.mktemp("policy") / "oversight.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "lean",
                "version": "1",
                "extends": ["human-oversight"],
                "settings": {"n_boot": 300},
            }
        ),
        encoding="utf-8",
    )
    return path


def _audit(rows: int, bias: float, seed: int, policy: Path) -> AuditResult:
    frame = recruitment(rows, seed=seed, reviewers=8, override_bias=bias)
    return audit_oversight_data(frame, policy=policy, **REVIEW)  # type: ignore[arg-type]


def _verdicts(result: AuditResult) -> dict[str, str]:
    assert result.policy is not None
    return {rule.rule_id: rule.verdict for rule in result.policy.rules}


@pytest.mark.slow
def test_planted_override_pattern_and_widening_are_found(policy: Path) -> None:
    result = _audit(6000, 0.2, seed=5, policy=policy)
    evidence = result.evidence.get(OversightEvidence)
    assert evidence is not None
    women = evidence.value("override_down_rate", "sex", "female")
    men = evidence.value("override_down_rate", "sex", "male")
    assert women is not None and men is not None
    assert women.value == pytest.approx(0.245, abs=0.03)
    assert men.value == pytest.approx(0.103, abs=0.03)
    test = evidence.homogeneity_for("override_down_rate", "sex")
    assert test is not None and test.significant
    # Review widened the gap: the lowest impact ratio by sex fell, and the interval excludes 0.
    change = evidence.value("impact_ratio_change", "sex", "*")
    assert change is not None and change.value is not None and change.ci_high is not None
    assert change.value < -0.05 and change.ci_high < 0
    verdicts = _verdicts(result)
    assert verdicts["oversight-final-no-less-fair"] == "fail"
    assert verdicts["oversight-override-parity"] == "fail"
    # and the reviewer who keeps every recommendation is a signal, named
    assert [s.subject for s in evidence.signals if s.kind == "never_overrides"] == ["R08"]


@pytest.mark.slow
def test_reviewers_who_treat_groups_alike_are_not_flagged(policy: Path) -> None:
    result = _audit(40000, 0.0, seed=5, policy=policy)
    verdicts = _verdicts(result)
    assert verdicts["oversight-final-no-less-fair"] == "pass"
    assert verdicts["oversight-override-parity"] == "pass"
    # Appeals are few (a tenth of those turned down): a gap in small groups is not decided
    # either way, a warning only (on_insufficient_data: warn); never a failure.
    assert verdicts["oversight-appeals-parity"] in ("pass", "insufficient_data")
    assert result.status == "pass"
    evidence = result.evidence.get(OversightEvidence)
    assert evidence is not None
    for attribute in ("sex", "ethnicity"):
        for rate in ("override_up_rate", "override_down_rate"):
            test = evidence.homogeneity_for(rate, attribute)
            assert test is not None and not test.significant, (rate, attribute)
