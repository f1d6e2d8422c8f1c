"""The ``combined_proxy`` check kind: no set of inputs reconstructs a sensitive attribute.

Reads :class:`govern.evidence.transparency.TransparencyEvidence` (``combined_proxies``): the
cross-validated one-vs-rest ROC AUC of a classifier predicting each attribute from all the
model's inputs, for the group the inputs single out best. 0.5 is guessing, 1 is as good as
asking. An attribute the policy asks about but the evidence did not measure keeps the rule
from passing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from govern.evidence.transparency import CombinedProxy, TransparencyEvidence
from govern.policies import sentences as say
from govern.policies.checks import CheckKind, CheckModel, Finding, RuleContext, register_check_kind
from govern.policies.checks.limits import (
    JUDGE_DESCRIPTION,
    NO_INTERVAL_NOTE,
    Judge,
    decimal,
    interval_words,
    judged_value,
    level_of,
    limit_text,
)

# Shown beside an AUC so that a reader knows the scale.
SCALE = "0.5 is guessing, 1 is as good as asking"


class CombinedProxyCheck(CheckModel):
    """No combination of the model's inputs predicts a sensitive attribute above a limit."""

    kind: Literal["combined_proxy"]
    max_auc: float = Field(ge=0.5, le=1, description="The highest allowed ROC AUC.")
    attributes: list[str] | None = Field(
        None, description="The attributes to judge (default: every sensitive attribute audited)."
    )
    judge: Judge = Field("point", description=JUDGE_DESCRIPTION)


def _carried_by(found: CombinedProxy) -> str:
    carriers = found.carried_by()
    return f", mostly through {say.listing(carriers)}" if carriers else ""


def evaluate_combined_proxy(
    check: CombinedProxyCheck, info: TransparencyEvidence | None, context: RuleContext
) -> Finding:
    assert info is not None  # absence is handled by the evaluator
    wanted = check.attributes or info.sensitive_attributes
    measured = {c.attribute: c for c in info.combined_proxies if c.attribute in wanted}
    missing = [a for a in wanted if a not in measured]
    level = level_of(info.settings)
    common = {"threshold": check.max_auc, "comparison": describe_combined_proxy(check)}
    details = [f"{a}: not measured (no inputs, or too few people per group)" for a in missing]
    judged = []
    for found in measured.values():
        value, no_interval = judged_value(
            found.auc, found.ci_low, found.ci_high, judge=check.judge, at_most=True
        )
        if no_interval:
            details.append(NO_INTERVAL_NOTE.format(what=found.attribute))
        judged.append((value, found))
        details.append(
            f"{found.attribute}: group '{found.group}' singled out with AUC {decimal(found.auc)}"
            f"{interval_words(found.ci_low, found.ci_high, level)}"
        )
    over = sorted([(v, f) for v, f in judged if v > check.max_auc], key=lambda p: -p[0])
    if over:
        _, top = over[0]
        return Finding(
            verdict="fail",
            sentence=f"The model's inputs together predict {top.attribute} with ROC AUC "
            f"{decimal(top.auc)}{interval_words(top.ci_low, top.ci_high, level)} for group "
            f"'{top.group}' ({SCALE}), above the {check.max_auc:g} limit{_carried_by(top)}: the "
            f"model can tell {top.attribute} without being given it.",
            value=top.auc,
            ci_low=top.ci_low,
            ci_high=top.ci_high,
            attribute=top.attribute,
            group=top.group,
            details=details,
            **common,
        )
    if missing or not judged:
        return Finding(
            verdict="insufficient_data",
            sentence="It is not known whether the inputs together predict "
            f"{say.listing(missing or list(wanted)) or 'a sensitive attribute'}: the combined "
            "proxy measure was not taken.",
            to_conclude="Audit data holding the model's inputs and the attribute, with at "
            "least the policy's minimum number of people in a group.",
            details=details,
            **common,
        )
    _, top = max(judged, key=lambda p: p[0])
    return Finding(
        verdict="pass",
        sentence=f"No combination of inputs predicts a sensitive attribute well: the closest is "
        f"{top.attribute} (group '{top.group}') at ROC AUC {decimal(top.auc)}"
        f"{interval_words(top.ci_low, top.ci_high, level)}, within the {check.max_auc:g} limit "
        f"({SCALE}).",
        value=top.auc,
        ci_low=top.ci_low,
        ci_high=top.ci_high,
        attribute=top.attribute,
        group=top.group,
        details=details,
        **common,
    )


def describe_combined_proxy(check: CombinedProxyCheck) -> str:
    return limit_text("combined_proxy_auc", "<=", check.max_auc, check.judge)


KIND: CheckKind[CombinedProxyCheck, TransparencyEvidence] = register_check_kind(
    CheckKind(
        key="combined_proxy",
        schema=CombinedProxyCheck,
        evidence=TransparencyEvidence,
        evaluate=evaluate_combined_proxy,
        describe=describe_combined_proxy,
        missing_evidence="No transparency evidence was gathered, so it is not known whether "
        "the model's inputs together predict a sensitive attribute.",
        to_gather="Audit the model (govern audit transparency or govern audit run) on data "
        "holding its inputs and the sensitive attributes.",
        threshold_field="max_auc",
    )
)
