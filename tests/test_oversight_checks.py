"""The ``oversight`` and ``drift`` check kinds on evidence built by hand: every branch."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from govern.evidence import Evidence
from govern.evidence.fairness import GroupSummary
from govern.evidence.monitoring import DriftAlarm, DriftStep, MonitoringEvidence, WindowInfo
from govern.evidence.oversight import (
    ChangeTest,
    HomogeneityTest,
    OversightEvidence,
    OversightRoles,
)
from govern.policies.checks import RuleContext, check_kind
from govern.policies.checks.drift import DriftCheck
from govern.policies.checks.oversight import (
    MSG_TOLERANCE_NEEDED,
    MSG_TOLERANCE_UNUSED,
    OversightCheck,
)
from govern.policies.schema import Settings
from govern.results import MetricRow

TODAY = dt.date(2026, 11, 24)


def _context(evidence: Evidence, **settings: Any) -> RuleContext:
    return RuleContext(settings=Settings(**settings), today=TODAY, evidence=evidence)


def _row(group: str, n: int, metric: str, value: float) -> MetricRow:
    return MetricRow(attribute="sex", group=group, n=n, metric=metric, value=value)


def _oversight(
    *,
    rows: list[MetricRow] | None = None,
    tests: list[HomogeneityTest] | None = None,
    changes: list[ChangeTest] | None = None,
    agreement: tuple[int, float] = (400, 0.9),
) -> Evidence:
    n, value = agreement
    return Evidence.of(
        OversightEvidence(
            n_rows=n,
            roles=OversightRoles(recommendation="model", decision="final"),
            attributes=["sex"],
            groups=[GroupSummary(attribute="sex", group=g, n=200, share=0.5) for g in ("f", "m")],
            overall=[
                MetricRow(attribute="overall", group="*", n=n, metric="agreement_rate", value=value)
            ],
            metrics=[r for r in rows or [] if not r.metric.startswith("impact_ratio")],
            stages=[r for r in rows or [] if r.metric.startswith("impact_ratio")],
            homogeneity=tests or [],
            change_tests=changes or [],
        )
    )


def _gap(significant: bool, p: float) -> HomogeneityTest:
    return HomogeneityTest(
        rate="override_down_rate",
        attribute="sex",
        groups=["f", "m"],
        method="chi_square",
        p_value=p,
        p_value_adjusted=p,
        significant=significant,
    )


def _judge(check: dict[str, Any], evidence: Evidence, **settings: Any) -> Any:
    schema = OversightCheck.model_validate({"kind": "oversight", **check})
    return check_kind("oversight").judge(schema, _context(evidence, **settings))


DOWN = [_row("f", 100, "override_down_rate", 0.25), _row("m", 100, "override_down_rate", 0.10)]


def test_a_gap_confirmed_by_the_test_fails() -> None:
    finding = _judge(
        {"requirement": "override_parity", "tolerance": 0.05},
        _oversight(rows=DOWN, tests=[_gap(True, 0.004)]),
    )
    assert finding.verdict == "fail"
    assert finding.value == pytest.approx(0.15)
    assert finding.comparison == "override_rate_gap <= 0.05"
    assert finding.sentence == (
        "The downward override rate (recommended, then turned down) by sex ranges from 10% "
        "('m', n=100) to 25% ('f', n=100), a gap of 15.0 percentage points (beyond the 5.0 "
        "percentage points tolerated); the groups differ by more than chance (chi-square test "
        "of all 2 groups; p = 0.004, corrected for testing several attributes by Holm's method)."
    )


def test_an_unconfirmed_gap_is_insufficient_data_with_what_to_do() -> None:
    finding = _judge(
        {"requirement": "override_parity", "tolerance": 0.05},
        _oversight(rows=DOWN, tests=[_gap(False, 0.2)]),
    )
    assert finding.verdict == "insufficient_data"
    assert "not statistically significant at alpha 0.05" in finding.sentence
    assert finding.to_conclude.startswith("29 CFR 1607.4(D): where numbers are too small")


def test_without_significance_a_gap_beyond_the_tolerance_fails() -> None:
    finding = _judge(
        {"requirement": "override_parity", "tolerance": 0.05, "require_significance": False},
        _oversight(rows=DOWN, tests=[_gap(False, 0.2)]),
    )
    assert finding.verdict == "fail"


def test_groups_under_the_minimum_are_not_judged() -> None:
    small = [_row("f", 10, "override_down_rate", 0.5), _row("m", 100, "override_down_rate", 0.1)]
    finding = _judge({"requirement": "override_parity", "tolerance": 0.05}, _oversight(rows=small))
    assert finding.verdict == "insufficient_data"
    assert finding.sentence == (
        "Too few records to compare groups: fewer than two groups have at least 30 records."
    )
    assert finding.details == [
        "override down rate, group 'f' of sex (n=10): too few records, not judged"
    ]


def test_appeal_parity_without_appeal_columns_says_how_to_get_them() -> None:
    finding = _judge({"requirement": "appeal_parity", "tolerance": 0.1}, _oversight(rows=DOWN))
    assert finding.verdict == "insufficient_data"
    assert finding.sentence == (
        "The decision log holds no appeal outcomes, so it is not known whether groups are "
        "treated alike."
    )
    assert finding.to_conclude == (
        "Audit a decision log that records them (--appeal COLUMN --appeal-upheld COLUMN)."
    )


def _ratios(after: float) -> list[MetricRow]:
    return [
        _row("f", 200, "impact_ratio_recommended", 0.9),
        _row("f", 200, "impact_ratio_decided", after),
        _row("f", 200, "impact_ratio_change", after - 0.9),
        _row("m", 200, "impact_ratio_change", 0.0),
    ]


def _change(after: float, p: float | None) -> ChangeTest:
    return ChangeTest(
        attribute="sex",
        group="f",
        change=after - 0.9,
        p_value=p,
        p_value_adjusted=p,
        significant=p is not None and p < 0.05,
    )


@pytest.mark.parametrize(
    ("after", "p", "verdict", "tail"),
    [
        (
            0.88,
            0.4,
            "pass",
            "within the drop of 0.05 tolerated; this is the least favourable case.",
        ),
        (0.7, 0.001, "fail", "the drop is statistically significant (p = 0.001)."),
        (0.7, 0.3, "insufficient_data", "the drop is not statistically significant (p = 0.300)."),
        (0.7, None, "insufficient_data", "the drop is not tested (no bootstrap)."),
    ],
)
def test_final_no_less_fair(after: float, p: float | None, verdict: str, tail: str) -> None:
    finding = _judge(
        {"requirement": "final_no_less_fair", "tolerance": 0.05},
        _oversight(rows=_ratios(after), changes=[_change(after, p)]),
    )
    assert finding.verdict == verdict
    assert finding.sentence.endswith(tail), finding.sentence
    assert finding.value == pytest.approx(after - 0.9)
    assert finding.comparison == "impact_ratio_change >= -0.05"


def test_automation_bias_signals() -> None:
    quiet = _judge({"requirement": "no_automation_bias_signals"}, _oversight())
    assert quiet.verdict == "pass"
    assert quiet.sentence == (
        "No sign of automation bias: reviewers changed 10% of 400 recommendations, and no "
        "reviewer with enough cases kept every one."
    )
    few = _judge({"requirement": "no_automation_bias_signals"}, _oversight(agreement=(12, 1.0)))
    assert few.verdict == "insufficient_data"


@pytest.mark.parametrize(
    ("check", "message"),
    [
        (
            {"requirement": "override_parity"},
            MSG_TOLERANCE_NEEDED.format(requirement="override_parity"),
        ),
        (
            {"requirement": "no_automation_bias_signals", "tolerance": 0.1},
            MSG_TOLERANCE_UNUSED.format(requirement="no_automation_bias_signals"),
        ),
    ],
)
def test_tolerance_is_required_exactly_where_it_is_used(
    check: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        OversightCheck.model_validate({"kind": "oversight", **check})


def test_missing_oversight_evidence_is_insufficient_data() -> None:
    schema = OversightCheck.model_validate(
        {"kind": "oversight", "requirement": "override_parity", "tolerance": 0.05}
    )
    finding = check_kind("oversight").judge(schema, _context(Evidence()))
    assert finding.verdict == "insufficient_data"
    assert finding.to_conclude == (
        "Audit the decision log with govern audit oversight --recommendation COLUMN "
        "--decision COLUMN."
    )


def _monitoring(*, steps: list[DriftStep], alarms: list[DriftAlarm]) -> Evidence:
    window = WindowInfo(
        label="2026-05",
        start=dt.date(2026, 5, 1),
        end=dt.date(2026, 5, 31),
        periods=["2026-05"],
        n=600,
    )
    return Evidence.of(
        MonitoringEvidence(
            time_column="decided_at",
            every="month",
            min_group_size=30,
            window=window,
            drift_window="2026-05",
            drift=steps,
            alarms=alarms,
            detector={"h": 4.35, "warmup": 3},
        )
    )


def _step(z: float | None, lower: float) -> DriftStep:
    return DriftStep(
        attribute="sex",
        group="female",
        reference="male",
        window="2026-05",
        impact_ratio=0.9,
        z=z,
        lower=lower,
        upper=0.0,
    )


def _alarm(direction: str) -> DriftAlarm:
    return DriftAlarm(
        attribute="sex",
        group="female",
        reference="male",
        window="2026-05",
        since="2026-03",
        direction=direction,
        impact_ratio_before=0.98,
        impact_ratio_after=0.72,
        statistic=6.1,  # type: ignore[arg-type]
        threshold=4.35,
        sentence="Group 'female' of sex went from 98% to 72%",
    )


@pytest.mark.parametrize(
    ("steps", "alarms", "verdict"),
    [
        ([_step(-2.0, 6.1)], [_alarm("widened")], "fail"),
        ([_step(0.3, 0.0)], [_alarm("narrowed")], "pass"),
        ([_step(None, 0.0)], [], "insufficient_data"),
    ],
)
def test_drift_check(steps: list[DriftStep], alarms: list[DriftAlarm], verdict: str) -> None:
    finding = check_kind("drift").judge(
        DriftCheck(kind="drift"), _context(_monitoring(steps=steps, alarms=alarms))
    )
    assert finding.verdict == verdict
    if verdict == "fail":
        assert finding.sentence == "Group 'female' of sex went from 98% to 72%."
    if verdict == "pass":
        assert finding.details == ["Group 'female' of sex went from 98% to 72%"]
