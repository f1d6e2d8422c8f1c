"""Transparency evidence: what a model reads, which inputs stand in for a sensitive attribute
(alone and together), what drives its decisions (with intervals, overall and by group), and how
consistently and equally it treats individuals. Produced by :mod:`govern.audits.transparency`.

Every figure is pure data with its interval where one is computed; the policy decides what is
acceptable. Evidence written before a field existed still reads (new fields have defaults).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from govern.evidence import EvidencePart, register_evidence_kind
from govern.results import ALL_GROUPS, MetricRow

DirectUseReason = Literal["is_attribute", "name_matches", "copies_values", "encoded_feature"]


# How each method is named in sentences a reader sees (findings, reports), never the key.
METHOD_WORDS = {
    "cramers_v": "Cramér's V",
    "correlation_ratio": "the correlation ratio",
    "decision_change": "the share of decisions that change when an input is shuffled",
    "accuracy_drop": "the fall in accuracy when an input is shuffled",
}


def method_words(method: str) -> str:
    """A method's name in words (the key itself when it has none).

    Examples
    --------
    >>> method_words("cramers_v")
    "Cramér's V"
    """
    return METHOD_WORDS.get(method, method)


class ProxyScore(BaseModel):
    """How strongly one input feature encodes a sensitive attribute (0 none, 1 fully)."""

    feature: str
    attribute: str
    strength: float
    method: str = Field(
        description="How strength was measured: 'cramers_v' (categorical input) or "
        "'correlation_ratio' (numeric input)."
    )
    ci_low: float | None = Field(default=None, description="Bootstrap lower bound of strength.")
    ci_high: float | None = Field(default=None, description="Bootstrap upper bound of strength.")
    mutual_information: float | None = Field(
        default=None,
        description="Normalised mutual information between the input (numeric inputs in tenths) "
        "and the attribute, 0 to 1.",
    )
    n: int | None = Field(default=None, description="Records behind the figure.")


class DirectUse(BaseModel):
    """One input that is, copies or encodes a sensitive attribute."""

    input: str
    attribute: str
    reason: DirectUseReason
    source: str = Field(
        description="Where the input was read: the MLflow signature, the "
        "fitted model's feature names, the pipeline's features or the columns fed."
    )
    detail: str = Field(description="Why it counts, in plain words.")


class GroupAUC(BaseModel):
    """How well the inputs single out one group (one-vs-rest ROC AUC, 0.5 is chance)."""

    group: str
    n: int
    auc: float
    ci_low: float | None = None
    ci_high: float | None = None


class ProxyCarrier(BaseModel):
    """How much the combined prediction of an attribute loses when one input is shuffled."""

    feature: str
    auc_drop: float


class CombinedProxy(BaseModel):
    """Can the inputs together reconstruct a sensitive attribute?

    ``auc`` is the highest one-vs-rest ROC AUC over the groups measured (the group the inputs
    single out best), from out-of-fold predictions of a simple classifier.
    """

    attribute: str
    n: int
    auc: float
    ci_low: float | None = None
    ci_high: float | None = None
    group: str = Field(description="The group the inputs single out best.")
    macro_auc: float = Field(description="Mean of the groups' one-vs-rest AUCs.")
    groups: list[GroupAUC] = Field(default_factory=list)
    carriers: list[ProxyCarrier] = Field(
        default_factory=list, description="Inputs by how much the AUC drops without them."
    )
    not_measured: list[str] = Field(
        default_factory=list, description="Groups too small to measure (fewer than the minimum)."
    )
    method: str = "cross-validated logistic regression"

    def carried_by(
        self, *, from_auc: float = 0.6, min_drop: float = 0.005, limit: int = 3
    ) -> list[str]:
        """The inputs that carry the prediction most, when there is a prediction to carry (an
        AUC of at least ``from_auc``; below it the drops are noise).

        Examples
        --------
        >>> CombinedProxy(attribute="sex", n=10, auc=0.55, group="f", macro_auc=0.55,
        ...               carriers=[ProxyCarrier(feature="x", auc_drop=0.02)]).carried_by()
        []
        """
        if self.auc < from_auc:
            return []
        return [c.feature for c in self.carriers if c.auc_drop > min_drop][:limit]


class FeatureImportance(BaseModel):
    """Permutation importance of one input: how much shuffling it changes the model's outputs."""

    feature: str
    importance: float
    method: str = Field(
        description="'decision_change' (share of the model's own decisions that change) or "
        "'accuracy_drop' (fall in accuracy against the true outcomes)."
    )
    std: float | None = Field(default=None, description="Spread over the repeats.")
    ci_low: float | None = None
    ci_high: float | None = None
    n_repeats: int | None = None
    n: int | None = None


class GroupImportance(BaseModel):
    """One input's share of what drives decisions for one group (shares sum to 1 per group)."""

    attribute: str
    group: str
    n: int
    feature: str
    share: float
    ci_low: float | None = None
    ci_high: float | None = None


class ImportanceGap(BaseModel):
    """The input whose share of importance differs most between two groups of an attribute."""

    attribute: str
    feature: str
    high_group: str
    high_share: float
    low_group: str
    low_share: float
    gap: float
    ci_low: float | None = None
    ci_high: float | None = None
    groups_measured: list[str] = Field(default_factory=list)
    not_measured: list[str] = Field(default_factory=list)


class ProxyImportanceShare(BaseModel):
    """The share of the model's decision importance carried by inputs flagged as proxies."""

    share: float
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = 0
    features: list[str] = Field(description="Inputs flagged as proxies (strength >= flag).")
    flag_strength: float = Field(
        description="Single-input strength from which an input is flagged as a proxy."
    )


class IndividualFairness(BaseModel):
    """Are similar people treated alike, and how unequally are benefits spread?"""

    n: int = Field(description="People whose benefits were compared.")
    consistency: float | None = Field(
        default=None,
        description="1 - mean |decision - mean decision of the k nearest neighbours| (Zemel et "
        "al. 2013, as aif360); 1 means similar people always get the same decision.",
    )
    consistency_ci_low: float | None = None
    consistency_ci_high: float | None = None
    consistency_n: int | None = Field(
        default=None, description="People in the sample whose neighbours were compared."
    )
    n_neighbors: int = 5
    theil_index: float | None = Field(
        default=None,
        description="Theil index of benefits b = decision - outcome + 1 (Speicher et al. 2018, "
        "as aif360); 0 is perfect equality. None without true outcomes.",
    )
    theil_ci_low: float | None = None
    theil_ci_high: float | None = None
    generalized_entropy_index: float | None = Field(
        default=None, description="The same inequality with alpha = 2 (half the squared CV)."
    )
    features: list[str] = Field(
        default_factory=list, description="Inputs the neighbours are found on (no sensitive ones)."
    )


@register_evidence_kind
class TransparencyEvidence(EvidencePart):
    """What is known about a model's inputs and how it can be explained."""

    kind: Literal["transparency"] = "transparency"
    model_inputs: list[str] | None = Field(
        default=None, description="Feature names the model reads; None when unknown (vendor tool)."
    )
    sensitive_attributes: list[str] = Field(default_factory=list)
    proxies: list[ProxyScore] = Field(default_factory=list)
    global_explanation: list[FeatureImportance] | None = Field(
        default=None, description="Decision-change importance of each input, strongest first."
    )
    input_source: str | None = Field(
        default=None, description="Where the inputs were read (signature, feature names, ...)."
    )
    direct_use: list[DirectUse] | None = Field(
        default=None, description="Inputs that are sensitive attributes; None when not examined."
    )
    combined_proxies: list[CombinedProxy] = Field(default_factory=list)
    accuracy_importance: list[FeatureImportance] | None = Field(
        default=None, description="Accuracy-drop importance, when true outcomes were given."
    )
    proxy_importance: ProxyImportanceShare | None = None
    importance_by_group: list[GroupImportance] = Field(default_factory=list)
    importance_gaps: list[ImportanceGap] = Field(default_factory=list)
    individual_fairness: IndividualFairness | None = None
    settings: dict[str, float | int | str | None] = Field(default_factory=dict)

    def rows(self) -> list[MetricRow]:
        """The figures as tidy rows; a per-input figure names its input in brackets.

        Examples
        --------
        >>> part = TransparencyEvidence(proxies=[ProxyScore(feature="area", attribute="sex",
        ...                             strength=0.4, method="cramers_v", n=10)])
        >>> part.rows()[0].metric
        'cramers_v[area]'
        """
        return [
            *_proxy_rows(self.proxies),
            *_combined_rows(self.combined_proxies),
            *_importance_rows(self),
            *_individual_rows(self.individual_fairness),
        ]


def _row(
    metric: str,
    value: float | None,
    low: float | None = None,
    high: float | None = None,
    *,
    n: int | None,
    attribute: str = ALL_GROUPS,
    group: str = ALL_GROUPS,
) -> MetricRow:
    return MetricRow(
        attribute=attribute, group=group, n=n or 0, metric=metric, value=value, ci_low=low,
        ci_high=high,
    )  # fmt: skip


def _proxy_rows(proxies: list[ProxyScore]) -> list[MetricRow]:
    rows = [
        _row(f"{p.method}[{p.feature}]", p.strength, p.ci_low, p.ci_high, n=p.n,
             attribute=p.attribute)
        for p in proxies
    ]  # fmt: skip
    return rows + [
        _row(f"normalized_mutual_info[{p.feature}]", p.mutual_information, n=p.n,
             attribute=p.attribute)
        for p in proxies
        if p.mutual_information is not None
    ]  # fmt: skip


def _combined_rows(found: list[CombinedProxy]) -> list[MetricRow]:
    rows = []
    for c in found:
        rows.append(_row("combined_proxy_auc", c.auc, c.ci_low, c.ci_high, n=c.n,
                         attribute=c.attribute))  # fmt: skip
        rows += [
            _row("combined_proxy_auc", g.auc, g.ci_low, g.ci_high, n=g.n, attribute=c.attribute,
                 group=g.group)
            for g in c.groups
        ]  # fmt: skip
    return rows


def _importance_rows(part: TransparencyEvidence) -> list[MetricRow]:
    every = [*(part.global_explanation or []), *(part.accuracy_importance or [])]
    rows = [
        _row(f"{f.method}_importance[{f.feature}]", f.importance, f.ci_low, f.ci_high, n=f.n)
        for f in every
    ]
    rows += [
        _row(f"importance_share[{g.feature}]", g.share, g.ci_low, g.ci_high, n=g.n,
             attribute=g.attribute, group=g.group)
        for g in part.importance_by_group
    ]  # fmt: skip
    share = part.proxy_importance
    if share is not None:
        rows.append(_row("proxy_importance_share", share.share, share.ci_low, share.ci_high,
                         n=share.n))  # fmt: skip
    return rows


def _individual_rows(fair: IndividualFairness | None) -> list[MetricRow]:
    if fair is None:
        return []
    return [
        _row("consistency", fair.consistency, fair.consistency_ci_low, fair.consistency_ci_high,
             n=fair.consistency_n),
        _row("theil_index", fair.theil_index, fair.theil_ci_low, fair.theil_ci_high, n=fair.n),
        _row("generalized_entropy_index", fair.generalized_entropy_index, n=fair.n),
    ]  # fmt: skip
