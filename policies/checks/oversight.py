"""The ``oversight`` check kind: did human review keep decisions fair, and is it real review?

Reads :class:`govern.evidence.oversight.OversightEvidence`. Four requirements:

- ``final_no_less_fair``: review did not lower any group's impact ratio by more than
  ``tolerance`` (the final decisions against the model's recommendations, same people);
- ``override_parity``: upward and downward override rates differ between groups by at most
  ``tolerance`` (0.05 is five percentage points);
- ``appeal_parity``: appeals are upheld at rates that differ by at most ``tolerance``;
- ``no_automation_bias_signals``: no signal that review has become a formality.

With ``require_significance`` (the default) a shortfall fails only when it is statistically
significant: the paired bootstrap test of the change, or the fairness engine's Holm-adjusted
test of the rates; an unconfirmed shortfall is ``insufficient_data`` with what would settle it
(29 CFR 1607.4(D)). Groups below the policy's ``min_group_size`` are reported, not judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from govern.evidence.oversight import (
    APPEAL_UPHELD_RATE,
    IMPACT_RATIO_CHANGE,
    IMPACT_RATIO_DECIDED,
    IMPACT_RATIO_RECOMMENDED,
    OVERRIDE_DOWN_RATE,
    OVERRIDE_UP_RATE,
    HomogeneityTest,
    OversightEvidence,
)
from govern.policies import sentences as say
from govern.policies.checks import CheckKind, CheckModel, Finding, RuleContext, register_check_kind
from govern.policies.checks.metric import attributes_shape
from govern.results import ALL_GROUPS, INTERSECTION_SEPARATOR, UNKNOWN_GROUP, MetricRow

MSG_TOLERANCE_NEEDED = "requirement '{requirement}' needs 'tolerance'; add it"
MSG_TOLERANCE_UNUSED = "'tolerance' is not used with requirement '{requirement}'; remove it"

Requirement = Literal[
    "final_no_less_fair", "override_parity", "appeal_parity", "no_automation_bias_signals"
]
RATES_JUDGED: dict[str, tuple[str, ...]] = {
    "override_parity": (OVERRIDE_UP_RATE, OVERRIDE_DOWN_RATE),
    "appeal_parity": (APPEAL_UPHELD_RATE,),
}
RATE_WORDS = {
    OVERRIDE_UP_RATE: "upward override rate (not recommended, then selected)",
    OVERRIDE_DOWN_RATE: "downward override rate (recommended, then turned down)",
    APPEAL_UPHELD_RATE: "share of appeals upheld",
}
SIGNAL_WORDS = {
    "high_agreement": "agreement so high that review may be a formality",
    "never_overrides": "a reviewer who never overrode",
    "quick_decisions": "decisions taken within moments of the recommendation",
}


class OversightCheck(CheckModel):
    """What human review of a model's recommendations must show."""

    kind: Literal["oversight"]
    requirement: Requirement
    tolerance: float | None = Field(
        None,
        ge=0,
        le=1,
        description="For final_no_less_fair: the largest drop in a group's impact ratio "
        "tolerated; for override_parity and appeal_parity: the largest gap between groups' "
        "rates (0.05 = five percentage points).",
    )
    attributes: Literal["all", "sensitive", "intersections"] | list[str] = Field(
        "all",
        description="'sensitive' (each attribute), 'intersections', 'all' (both), or names.",
    )
    require_significance: bool = Field(
        True,
        description="Fail only when the shortfall is statistically significant; otherwise "
        "insufficient_data (29 CFR 1607.4(D)).",
    )

    @field_validator("attributes", mode="before")
    @classmethod
    def _attributes_shape(cls, value: Any) -> Any:
        return attributes_shape(value)

    @model_validator(mode="after")
    def _tolerance_matches(self) -> OversightCheck:
        needs = self.requirement != "no_automation_bias_signals"
        if needs and self.tolerance is None:
            raise ValueError(MSG_TOLERANCE_NEEDED.format(requirement=self.requirement))
        if not needs and self.tolerance is not None:
            raise ValueError(MSG_TOLERANCE_UNUSED.format(requirement=self.requirement))
        return self


def _attributes(check: OversightCheck, evidence: OversightEvidence) -> list[str]:
    if isinstance(check.attributes, list):
        return list(check.attributes)
    if check.attributes == "sensitive":
        return [a for a in evidence.attributes if INTERSECTION_SEPARATOR not in a]
    if check.attributes == "intersections":
        return [a for a in evidence.attributes if INTERSECTION_SEPARATOR in a]
    return list(evidence.attributes)


def _judged(evidence: OversightEvidence, row: MetricRow, minimum: int) -> bool:
    if row.group in (ALL_GROUPS, UNKNOWN_GROUP) or row.value is None:
        return False
    if UNKNOWN_GROUP in row.group.split(INTERSECTION_SEPARATOR):
        return False
    summary = evidence.group(row.attribute, row.group)
    if summary is not None and summary.status == "excluded_small_share":
        return False
    return row.n >= minimum


@dataclass
class _Tally:
    """Shortfalls confirmed, unconfirmed, and what held, over every comparison judged."""

    fails: list[tuple[float, str]] = field(default_factory=list)
    unconfirmed: list[tuple[float, str, str]] = field(default_factory=list)
    held: list[tuple[float, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _percent_points(value: float) -> str:
    return f"{value * 100:.1f} percentage points"


def _rate_gap(
    check: OversightCheck,
    evidence: OversightEvidence,
    rate: str,
    attribute: str,
    context: RuleContext,
    tally: _Tally,
) -> None:
    minimum = context.settings.min_group_size
    rows = [r for r in evidence.find(rate, attribute=attribute) if r.group != ALL_GROUPS]
    judged = [r for r in rows if _judged(evidence, r, minimum)]
    for row in rows:
        if row not in judged and row.group != UNKNOWN_GROUP and row.value is not None:
            tally.notes.append(
                f"{say.label(rate)}, group '{row.group}' of {attribute} (n={row.n}): too few "
                "records, not judged"
            )
    if len(judged) < 2:
        return
    low = min(judged, key=lambda r: (r.value or 0.0, r.group))
    high = max(judged, key=lambda r: (r.value or 0.0, r.group))
    assert low.value is not None and high.value is not None
    gap = high.value - low.value
    tolerance = check.tolerance or 0.0
    within = "within" if gap <= tolerance else "beyond"
    words = (
        f"the {RATE_WORDS[rate]} by {attribute} ranges from {say.percent(low.value)} "
        f"('{low.group}', n={low.n}) to {say.percent(high.value)} ('{high.group}', n={high.n}), "
        f"a gap of {_percent_points(gap)} ({within} the {_percent_points(tolerance)} tolerated)"
    )
    if gap <= tolerance:
        tally.held.append((gap, words))
        return
    if not check.require_significance:
        tally.fails.append((gap, words))
        return
    test = evidence.homogeneity_for(rate, attribute)
    alpha = context.settings.alpha
    if test is not None and test.significant:
        tally.fails.append(
            (gap, f"{words}; the groups differ by more than chance ({_test_words(test)})")
        )
    else:
        reason = (
            f"not statistically significant at alpha {alpha:g} ({_test_words(test)}), so the "
            "sample is too small to conclude"
            if test is not None
            else "no test of the groups is in the evidence"
        )
        tally.unconfirmed.append((gap, f"{words}; the difference is {reason}", attribute))


def _test_words(test: HomogeneityTest) -> str:
    method = "chi-square test" if test.method == "chi_square" else "exact test"
    return (
        f"{method} of all {len(test.groups)} groups; {say.p_text(test.p_value_adjusted)}, "
        "corrected for testing several attributes by Holm's method"
    )


def _parity(check: OversightCheck, evidence: OversightEvidence, context: RuleContext) -> Finding:
    rates = [r for r in RATES_JUDGED[check.requirement] if r in evidence.measured()]
    tolerance = check.tolerance or 0.0
    common: dict[str, Any] = {
        "threshold": tolerance,
        "comparison": f"{'appeal_upheld' if check.requirement == 'appeal_parity' else 'override'}"
        f"_rate_gap <= {tolerance:g}",
    }
    if not rates:
        what = "appeal outcomes" if check.requirement == "appeal_parity" else "overrides"
        columns = (
            "--appeal COLUMN --appeal-upheld COLUMN"
            if check.requirement == "appeal_parity"
            else "--recommendation COLUMN --decision COLUMN"
        )
        return Finding(
            verdict="insufficient_data",
            sentence=f"The decision log holds no {what}, so it is not known whether groups are "
            "treated alike.",
            to_conclude=f"Audit a decision log that records them ({columns}).",
            **common,
        )
    tally = _Tally()
    for rate in rates:
        for attribute in _attributes(check, evidence):
            _rate_gap(check, evidence, rate, attribute, context, tally)
    return _conclude(tally, context, common)


def _conclude(tally: _Tally, context: RuleContext, common: dict[str, Any]) -> Finding:
    if tally.fails:
        worst = max(tally.fails)
        more = len(tally.fails) - 1
        tail = f"; {say.count_words(more, 'other case')} also fell short" if more else ""
        return Finding(
            verdict="fail",
            sentence=f"{worst[1][0].upper()}{worst[1][1:]}{tail}.",
            value=worst[0],
            details=[text for _, text in tally.fails[1:]] + tally.notes,
            **common,
        )
    if tally.unconfirmed:
        worst_gap, text, _ = max(tally.unconfirmed)
        return Finding(
            verdict="insufficient_data",
            sentence=f"{text[0].upper()}{text[1:]}.",
            value=worst_gap,
            details=tally.notes,
            to_conclude="29 CFR 1607.4(D): where numbers are too small to be reliable, look "
            "over a longer period (govern monitor pools small periods) before concluding.",
            **common,
        )
    if not tally.held:
        minimum = context.settings.min_group_size
        return Finding(
            verdict="insufficient_data",
            sentence=f"Too few records to compare groups: fewer than two groups have at least "
            f"{minimum} records.",
            details=tally.notes,
            to_conclude=f"At least {minimum} records in each of two or more groups.",
            **common,
        )
    worst = max(tally.held)
    judged = len(tally.held)
    others = f" ({say.count_words(judged, 'comparison')} judged)" if judged > 1 else ""
    return Finding(
        verdict="pass",
        sentence=f"{worst[1][0].upper()}{worst[1][1:]}; this is the least favourable case{others}.",
        value=worst[0],
        details=tally.notes,
        **common,
    )


def _change_words(
    evidence: OversightEvidence, row: MetricRow, level: float, tolerance: float
) -> str:
    before = evidence.value(IMPACT_RATIO_RECOMMENDED, row.attribute, row.group)
    after = evidence.value(IMPACT_RATIO_DECIDED, row.attribute, row.group)
    assert row.value is not None
    moved = "lowered" if row.value < 0 else "raised"
    span = (
        f" from {say.number(before.value)} to {say.number(after.value)}"
        if before is not None
        and after is not None
        and before.value is not None
        and after.value is not None
        else ""
    )
    interval = (
        f" ({level * 100:g}% interval {row.ci_low:+.3f} to {row.ci_high:+.3f})"
        if row.ci_low is not None and row.ci_high is not None
        else ""
    )
    within = "within" if row.value >= -tolerance else "beyond"
    return (
        f"review {moved} the impact ratio of group '{row.group}' of {row.attribute}{span} "
        f"(the model's recommendations, then the final decisions), a change of "
        f"{row.value:+.3f}{interval}, {within} the drop of {tolerance:g} tolerated"
    )


def _final_no_less_fair(
    check: OversightCheck, evidence: OversightEvidence, context: RuleContext
) -> Finding:
    tolerance = check.tolerance or 0.0
    common: dict[str, Any] = {
        "threshold": -tolerance,
        "comparison": f"impact_ratio_change >= {-tolerance:g}",
    }
    level = context.settings.confidence_level
    tally = _Tally()
    for attribute in _attributes(check, evidence):
        for row in evidence.find(IMPACT_RATIO_CHANGE, attribute=attribute):
            if row.group == ALL_GROUPS:
                continue
            summary = evidence.group(attribute, row.group)
            test = evidence.change_test(attribute, row.group)
            if test is None or row.value is None:
                continue  # the reference of both stages: unchanged by construction
            if (
                summary is None
                or summary.status != "ok"
                or not _judged(evidence, row, context.settings.min_group_size)
            ):
                tally.notes.append(
                    f"group '{row.group}' of {attribute} (n={row.n}): too few records, not judged"
                )
                continue
            drop = -row.value
            words = _change_words(evidence, row, level, tolerance)
            if row.value >= -tolerance:
                tally.held.append((drop, words))
            elif not check.require_significance:
                tally.fails.append((drop, words))
            elif test.significant:
                p = say.p_text(test.p_value_adjusted or 0.0)
                tally.fails.append((drop, f"{words}; the drop is statistically significant ({p})"))
            else:
                p = say.p_text(test.p_value_adjusted) if test.p_value_adjusted is not None else ""
                reason = (
                    f"not statistically significant ({p})" if p else "not tested (no bootstrap)"
                )
                tally.unconfirmed.append((drop, f"{words}; the drop is {reason}", attribute))
    finding = _conclude(tally, context, common)
    if finding.value is not None:
        # The figure judged is the change itself (negative: review widened the gap).
        finding = finding.model_copy(update={"value": -finding.value})
    return finding


def _signals(evidence: OversightEvidence, context: RuleContext) -> Finding:
    agreement = evidence.overall_value("agreement_rate")
    minimum = context.settings.min_group_size
    if agreement is None or agreement.value is None or agreement.n < minimum:
        return Finding(
            verdict="insufficient_data",
            sentence=f"Too few reviewed decisions to look for signs of automation bias (fewer "
            f"than {minimum}).",
            to_conclude=f"A decision log with at least {minimum} reviewed decisions.",
        )
    count = len(evidence.signals)
    common: dict[str, Any] = {
        "value": float(count),
        "threshold": 0.0,
        "comparison": "automation_bias_signals_count <= 0",
    }
    if count:
        kinds = list(dict.fromkeys(SIGNAL_WORDS[s.kind] for s in evidence.signals))
        return Finding(
            verdict="fail",
            sentence=f"{say.count_words(count, 'automation-bias signal')} for a person to look "
            f"at ({say.listing(kinds)}); signals are questions to ask, not findings about "
            "reviewers.",
            details=[s.sentence for s in evidence.signals],
            **common,
        )
    overridden = 1.0 - agreement.value
    return Finding(
        verdict="pass",
        sentence=f"No sign of automation bias: reviewers changed {say.percent(overridden)} of "
        f"{agreement.n:,} recommendations, and no reviewer with enough cases kept every one.",
        **common,
    )


def evaluate_oversight(
    check: OversightCheck, evidence: OversightEvidence | None, context: RuleContext
) -> Finding:
    assert evidence is not None  # absence is handled by the evaluator
    if check.requirement == "final_no_less_fair":
        return _final_no_less_fair(check, evidence, context)
    if check.requirement == "no_automation_bias_signals":
        return _signals(evidence, context)
    return _parity(check, evidence, context)


def describe_oversight(check: OversightCheck) -> str:
    if check.requirement == "final_no_less_fair":
        return f"impact_ratio_change >= {-(check.tolerance or 0.0):g} (final vs model)"
    if check.requirement == "override_parity":
        return f"override_rate_gap <= {check.tolerance:g} (up and down)"
    if check.requirement == "appeal_parity":
        return f"appeal_upheld_rate_gap <= {check.tolerance:g}"
    return "no automation-bias signals"


KIND: CheckKind[OversightCheck, OversightEvidence] = register_check_kind(
    CheckKind(
        key="oversight",
        schema=OversightCheck,
        evidence=OversightEvidence,
        evaluate=evaluate_oversight,
        describe=describe_oversight,
        missing_evidence="No oversight evidence was gathered (the model's recommendations and "
        "the final human decisions), so this rule could not be judged.",
        to_gather="Audit the decision log with govern audit oversight --recommendation COLUMN "
        "--decision COLUMN.",
        threshold_field="tolerance",
    )
)
