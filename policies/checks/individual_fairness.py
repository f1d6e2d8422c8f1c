"""The ``individual_fairness`` check kind: similar people are treated alike, and benefits are
not spread too unequally.

Reads :class:`govern.evidence.transparency.TransparencyEvidence` (``individual_fairness``):

- ``measure: consistency`` (at least ``threshold``): 1 minus the mean gap between a person's
  decision and the decisions of their nearest neighbours on the non-sensitive inputs (Zemel et
  al. 2013); 1 means similar people always get the same decision;
- ``measure: theil_index`` (at most ``threshold``): the Theil index of benefits b = decision -
  outcome + 1 (Speicher et al. 2018); 0 is perfect equality. It needs true outcomes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from govern.evidence.transparency import TransparencyEvidence
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

Measure = Literal["consistency", "theil_index"]
# Whether each measure must stay at most (True) or at least (False) its threshold.
AT_MOST: dict[str, bool] = {"consistency": False, "theil_index": True}
WORDS = {
    "consistency": "Similar people get the same decision {how}: consistency {value}{interval} "
    "over their {k} nearest neighbours (1 is always the same)",
    "theil_index": "The model's benefits are spread {how}: Theil index {value}{interval} of "
    "benefits against the true outcomes (0 is perfect equality)",
}
HOW = {
    ("consistency", True): "reliably enough",
    ("consistency", False): "too rarely",
    ("theil_index", True): "evenly enough",
    ("theil_index", False): "too unequally",
}
MISSING = {
    "consistency": (
        "It is not known whether similar people get the same decision: consistency was not "
        "measured (it needs the model's inputs and its decisions).",
        "Audit data holding the inputs and the decisions of at least a few people.",
    ),
    "theil_index": (
        "It is not known how unequally the model's benefits are spread: the Theil index needs "
        "the true outcomes.",
        "Audit data with a column of true outcomes (--y-true).",
    ),
}


class IndividualFairnessCheck(CheckModel):
    """Consistency at least, or the Theil index at most, ``threshold``."""

    kind: Literal["individual_fairness"]
    measure: Measure
    threshold: float = Field(
        ge=0,
        description="Consistency: the lowest allowed value (0 to 1); "
        "theil_index: the highest allowed value.",
    )
    judge: Judge = Field("point", description=JUDGE_DESCRIPTION)


def describe_individual_fairness(check: IndividualFairnessCheck) -> str:
    comparison = "<=" if AT_MOST[check.measure] else ">="
    return limit_text(check.measure, comparison, check.threshold, check.judge)


def _figures(
    info: TransparencyEvidence, measure: str
) -> tuple[float | None, float | None, float | None]:
    fair = info.individual_fairness
    if fair is None:
        return None, None, None
    if measure == "consistency":
        return fair.consistency, fair.consistency_ci_low, fair.consistency_ci_high
    return fair.theil_index, fair.theil_ci_low, fair.theil_ci_high


def evaluate_individual_fairness(
    check: IndividualFairnessCheck, info: TransparencyEvidence | None, context: RuleContext
) -> Finding:
    assert info is not None  # absence is handled by the evaluator
    common = {"threshold": check.threshold, "comparison": describe_individual_fairness(check)}
    value, low, high = _figures(info, check.measure)
    if value is None:
        sentence, advice = MISSING[check.measure]
        return Finding(verdict="insufficient_data", sentence=sentence, to_conclude=advice, **common)
    at_most = AT_MOST[check.measure]
    judged, no_interval = judged_value(value, low, high, judge=check.judge, at_most=at_most)
    holds = judged <= check.threshold if at_most else judged >= check.threshold
    fair = info.individual_fairness
    assert fair is not None
    clause = WORDS[check.measure].format(
        how=HOW[(check.measure, holds)],
        value=decimal(value),
        interval=interval_words(low, high, level_of(info.settings)),
        k=fair.n_neighbors,
    )
    if at_most:
        bound = "within" if holds else "above"
        limit = f"{bound} the {check.threshold:g} limit"
    else:
        limit = f"{'meeting' if holds else 'below'} the {check.threshold:g} threshold"
    return Finding(
        verdict="pass" if holds else "fail",
        sentence=f"{clause}, {limit}.",
        value=value,
        ci_low=low,
        ci_high=high,
        details=[NO_INTERVAL_NOTE.format(what=check.measure)] if no_interval else [],
        **common,
    )


KIND: CheckKind[IndividualFairnessCheck, TransparencyEvidence] = register_check_kind(
    CheckKind(
        key="individual_fairness",
        schema=IndividualFairnessCheck,
        evidence=TransparencyEvidence,
        evaluate=evaluate_individual_fairness,
        describe=describe_individual_fairness,
        missing_evidence="No transparency evidence was gathered, so it is not known whether "
        "similar people are treated alike.",
        to_gather="Audit the model or its decisions (govern audit transparency or govern audit "
        "run) on data holding its inputs.",
        threshold_field="threshold",
    )
)
