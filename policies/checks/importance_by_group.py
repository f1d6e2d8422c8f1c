"""The ``importance_by_group`` check kind: what drives the model's decisions is much the same
for every group.

Reads :class:`govern.evidence.transparency.TransparencyEvidence` (``importance_gaps``): per
sensitive attribute, the input whose share of the decision-change importance differs most
between two groups (shares of a group sum to 1). A model that decides about one group on
different grounds than about another treats them differently even when their selection rates
match. Groups under the policy's minimum size are not measured; an attribute with fewer than two
groups measured keeps the rule from passing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from govern.evidence.transparency import ImportanceGap, TransparencyEvidence
from govern.policies import sentences as say
from govern.policies.checks import CheckKind, CheckModel, Finding, RuleContext, register_check_kind
from govern.policies.checks.limits import (
    JUDGE_DESCRIPTION,
    NO_INTERVAL_NOTE,
    Judge,
    judged_value,
    level_of,
    limit_text,
    percent,
)


class ImportanceByGroupCheck(CheckModel):
    """No input's share of the importance differs between groups by more than ``max_gap``."""

    kind: Literal["importance_by_group"]
    max_gap: float = Field(
        ge=0, le=1, description="The largest allowed gap in an input's share (0.1: 10 points)."
    )
    judge: Judge = Field("point", description=JUDGE_DESCRIPTION)


def describe_importance_by_group(check: ImportanceByGroupCheck) -> str:
    return limit_text("importance_share_gap", "<=", check.max_gap, check.judge)


def _points(value: float) -> str:
    return f"{value * 100:.0f} percentage points"


def _clause(gap: ImportanceGap, level: float) -> str:
    interval = (
        f", {level * 100:g}% interval {gap.ci_low * 100:.0f} to {gap.ci_high * 100:.0f}"
        if gap.ci_low is not None and gap.ci_high is not None
        else ""
    )
    return (
        f"'{gap.feature}' carries {percent(gap.high_share)} of what drives decisions for group "
        f"'{gap.high_group}' of {gap.attribute} but {percent(gap.low_share)} for group "
        f"'{gap.low_group}' (a gap of {_points(gap.gap)}{interval})"
    )


def evaluate_importance_by_group(
    check: ImportanceByGroupCheck, info: TransparencyEvidence | None, context: RuleContext
) -> Finding:
    assert info is not None  # absence is handled by the evaluator
    common = {"threshold": check.max_gap, "comparison": describe_importance_by_group(check)}
    level = level_of(info.settings)
    gaps = {g.attribute: g for g in info.importance_gaps}
    missing = [a for a in info.sensitive_attributes if a not in gaps]
    details = [f"{a}: fewer than two groups large enough to compare" for a in missing]
    judged = []
    for gap in gaps.values():
        value, no_interval = judged_value(
            gap.gap, gap.ci_low, gap.ci_high, judge=check.judge, at_most=True
        )
        if no_interval:
            details.append(NO_INTERVAL_NOTE.format(what=gap.attribute))
        if gap.not_measured:
            details.append(
                f"{gap.attribute}: groups too small to compare: {say.listing(gap.not_measured)}"
            )
        judged.append((value, gap))
    over = sorted([(v, g) for v, g in judged if v > check.max_gap], key=lambda p: -p[0])
    if over:
        top = over[0][1]
        return Finding(
            verdict="fail",
            sentence=f"The model decides on different grounds for different groups: "
            f"{_clause(top, level)}, above the limit of {_points(check.max_gap)}.",
            value=top.gap,
            ci_low=top.ci_low,
            ci_high=top.ci_high,
            attribute=top.attribute,
            group=top.feature,
            details=details,
            **common,
        )
    if missing or not judged:
        return Finding(
            verdict="insufficient_data",
            sentence="It is not known whether the model decides on the same grounds for every "
            f"group of {say.listing(missing) or 'the sensitive attributes'}: fewer than two groups "
            "were large enough to compare, or no explanation of the model was measured.",
            to_conclude="Audit the model itself on data with at least two groups of each "
            "attribute at or above the policy's minimum group size.",
            details=details,
            **common,
        )
    top = max(judged, key=lambda p: p[0])[1]
    return Finding(
        verdict="pass",
        sentence=f"What drives the model's decisions is much the same for every group: the "
        f"largest difference is that {_clause(top, level)}, within the limit of "
        f"{_points(check.max_gap)}.",
        value=top.gap,
        ci_low=top.ci_low,
        ci_high=top.ci_high,
        attribute=top.attribute,
        group=top.feature,
        details=details,
        **common,
    )


KIND: CheckKind[ImportanceByGroupCheck, TransparencyEvidence] = register_check_kind(
    CheckKind(
        key="importance_by_group",
        schema=ImportanceByGroupCheck,
        evidence=TransparencyEvidence,
        evaluate=evaluate_importance_by_group,
        describe=describe_importance_by_group,
        missing_evidence="No transparency evidence was gathered, so it is not known whether the "
        "model decides on the same grounds for every group.",
        to_gather="Audit the model (govern audit transparency or govern audit run) on data "
        "holding its inputs and the sensitive attributes.",
        threshold_field="max_gap",
    )
)
