"""The ``proxy_importance`` check kind: inputs that stand in for a sensitive attribute carry at
most a share of what drives the model's decisions.

Reads :class:`govern.evidence.transparency.TransparencyEvidence` (``proxy_importance``): the
share of the decision-change permutation importance carried by the inputs whose single-input
proxy strength (Cramér's V or η) is at least ``proxy_strength``. The audit measures the share at
the level the policy's rules ask for; evidence measured at another level cannot settle the rule.
A proxy the model barely uses does little harm; one that drives its decisions brings the
attribute in through the back door.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from govern.evidence.transparency import TransparencyEvidence
from govern.policies import sentences as say
from govern.policies.checks import CheckKind, CheckModel, Finding, RuleContext, register_check_kind
from govern.policies.checks.limits import (
    JUDGE_DESCRIPTION,
    NO_INTERVAL_NOTE,
    Judge,
    interval_words,
    judged_value,
    level_of,
    limit_text,
    percent,
)

# A moderate association or more: Cohen (1988) calls w = 0.3 a "medium" association, and V
# equals w when the table has two rows or two columns.
DEFAULT_PROXY_STRENGTH = 0.3


class ProxyImportanceCheck(CheckModel):
    """Inputs flagged as proxies carry at most ``max_share`` of the model's importance."""

    kind: Literal["proxy_importance"]
    max_share: float = Field(ge=0, le=1, description="The highest allowed share, 0 to 1.")
    proxy_strength: float = Field(
        DEFAULT_PROXY_STRENGTH,
        gt=0,
        le=1,
        description="Inputs at least this strong a proxy (Cramér's V or η) count as proxies.",
    )
    judge: Judge = Field("point", description=JUDGE_DESCRIPTION)


def describe_proxy_importance(check: ProxyImportanceCheck) -> str:
    return limit_text("proxy_importance_share", "<=", check.max_share, check.judge)


def evaluate_proxy_importance(
    check: ProxyImportanceCheck, info: TransparencyEvidence | None, context: RuleContext
) -> Finding:
    assert info is not None  # absence is handled by the evaluator
    common = {"threshold": check.max_share, "comparison": describe_proxy_importance(check)}
    share = info.proxy_importance
    if share is None:
        return Finding(
            verdict="insufficient_data",
            sentence="It is not known how much of the model's decisions rests on proxies: no "
            "explanation of the model (with a proxy analysis of its inputs) was measured.",
            to_conclude="Audit the model itself (not only its recorded decisions) on data holding "
            "its inputs and the sensitive attributes.",
            **common,
        )
    flag = f"strength {share.flag_strength:g} or more"
    if share.flag_strength != check.proxy_strength:
        return Finding(
            verdict="insufficient_data",
            sentence=f"The audit counted inputs as proxies from strength {share.flag_strength:g}; "
            f"this rule counts them from {check.proxy_strength:g}, so the measured share does not "
            "answer it.",
            to_conclude="Audit again under this policy, which measures the share at the rule's "
            "proxy strength.",
            **common,
        )
    if not share.features:
        return Finding(
            verdict="pass",
            sentence=f"No input is flagged as a proxy for a sensitive attribute ({flag}), so no "
            "part of the model's decisions rests on one.",
            value=0.0,
            **common,
        )
    level = level_of(info.settings)
    value, no_interval = judged_value(
        share.share, share.ci_low, share.ci_high, judge=check.judge, at_most=True
    )
    details = [NO_INTERVAL_NOTE.format(what="the share")] if no_interval else []
    clause = (
        f"Inputs flagged as proxies ({say.listing(share.features)}, {flag}) carry "
        f"{percent(share.share)} of what drives the model's decisions"
        f"{interval_words(share.ci_low, share.ci_high, level, as_percent=True)}"
    )
    figures = {"value": share.share, "ci_low": share.ci_low, "ci_high": share.ci_high}
    if value > check.max_share:
        return Finding(
            verdict="fail",
            sentence=f"{clause}, above the {percent(check.max_share)} limit.",
            details=details,
            **figures,
            **common,
        )
    return Finding(
        verdict="pass",
        sentence=f"{clause}, within the {percent(check.max_share)} limit.",
        details=details,
        **figures,
        **common,
    )


KIND: CheckKind[ProxyImportanceCheck, TransparencyEvidence] = register_check_kind(
    CheckKind(
        key="proxy_importance",
        schema=ProxyImportanceCheck,
        evidence=TransparencyEvidence,
        evaluate=evaluate_proxy_importance,
        describe=describe_proxy_importance,
        missing_evidence="No transparency evidence was gathered, so it is not known how much of "
        "the model's decisions rests on proxies for sensitive attributes.",
        to_gather="Audit the model (govern audit transparency or govern audit run) on data "
        "holding its inputs and the sensitive attributes.",
        threshold_field="max_share",
    )
)
