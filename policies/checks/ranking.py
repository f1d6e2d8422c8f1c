"""The ``ranking`` check kind: a ranking or recommendation metric against a threshold.

Reads :class:`govern.evidence.ranking.RankingEvidence`. For example "the share of users offered
a leadership course in their top 5 is, for every group, at least 0.8 of the best-served
group's"::

    check:
      kind: ranking
      metric: top_k_category_rate_ratio
      category: leadership
      k: 5
      comparison: ">="
      threshold: 0.8

or "no group of candidates gets less than 0.8 of the exposure its share of the pool warrants"
(``metric: exposure_to_pool_ratio``). Groups with too few users (items), the unknown group, the
reference group's own ratio and undefined values are reported in the details but not judged; a
rule with nothing left to judge, or audited at another ``k`` or without its category, is
``insufficient_data``, never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from govern.disclosure import ranking_hidden_groups
from govern.evidence.ranking import (
    CATEGORY_METRICS,
    ITEM_SIDE_METRICS,
    RANKING_METRIC_NAMES,
    RankingEvidence,
    RankingRow,
)
from govern.policies import sentences as say
from govern.policies.checks import CheckKind, CheckModel, Finding, RuleContext, register_check_kind
from govern.policies.checks.metric import attributes_shape
from govern.results import (
    ALL_GROUPS,
    INTERSECTION_SEPARATOR,
    UNKNOWN_GROUP,
    DisclosureRule,
    Verdict,
)
from govern.suggest import did_you_mean

MSG_UNKNOWN_METRIC = "unknown ranking metric '{name}'{hint}; see the list in docs/rankings.md"
MSG_CATEGORY_UNUSED = (
    "'category' is only used with metrics about an item category ({metrics}); remove it"
)

Comparison = Literal[">=", ">", "<=", "<"]

# How the sentences name each metric; a comparison metric is named after its base metric.
_PHRASES = {
    "top_k_category_rate": "share of users offered {category} in their top {k}",
    "category_slot_share": "share of top-{k} recommendations that are {category}",
    "mean_best_rank": "mean rank of the best {category} recommendation",
    "hit_rate": "share of users with a positive outcome in their top {k}",
    "precision_at_k": "precision in the top {k}",
    "recall_at_k": "recall in the top {k}",
    "ndcg_at_k": "NDCG of the top {k}",
    "pool_share": "share of the candidate pool",
    "top_k_share": "share of the top {k}",
    "exposure_share": "share of the exposure in the top {k}",
    "mean_exposure": "exposure per item",
    "exposure_to_pool_ratio": "exposure in the top {k} relative to its share of the pool",
    "skew_at_k": "skew in the top {k}",
    "merit_share": "share of the merit (positive outcomes)",
    "exposure_to_merit_ratio": "exposure in the top {k} relative to its share of the merit",
    "ndkl": "NDKL of the lists",
}


class RankingCheck(CheckModel):
    """Compare a ranking metric with a threshold for every group judged."""

    kind: Literal["ranking"]
    metric: str = Field(description="A metric the ranking audit emits (docs/rankings.md).")
    category: str | None = Field(
        None,
        description="For metrics about an item category: the category (e.g. 'leadership'); "
        "omitted, every category the audit measured is judged.",
    )
    k: int | None = Field(
        None,
        ge=1,
        description="The top k the rule is about; evidence audited at another k is "
        "insufficient_data. Omitted, any k is judged.",
    )
    attributes: Literal["all", "sensitive", "intersections"] | list[str] = Field(
        "all",
        description="'sensitive' (each attribute), 'intersections', 'all' (both), or names; "
        "item-side metrics are judged on the items' attribute.",
    )
    comparison: Comparison = Field(
        description="The value must satisfy value <comparison> threshold."
    )
    threshold: float
    judge: Literal["point", "least_favourable"] = Field(
        "point",
        description="Judge the point estimate, or the interval bound least favourable to the "
        "model (the lower bound for >=, the upper bound for <=).",
    )
    if_missing: Literal["insufficient_data", "not_applicable"] = Field(
        "insufficient_data",
        description="Verdict when the evidence holds no row of the metric at all.",
    )

    @field_validator("attributes", mode="before")
    @classmethod
    def _attributes_shape(cls, value: Any) -> Any:
        return attributes_shape(value)

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, name: str) -> str:
        if name not in RANKING_METRIC_NAMES:
            raise ValueError(
                MSG_UNKNOWN_METRIC.format(name=name, hint=did_you_mean(name, RANKING_METRIC_NAMES))
            )
        return name

    @model_validator(mode="after")
    def _category_fits(self) -> RankingCheck:
        if self.category is not None and self.metric not in CATEGORY_METRICS:
            raise ValueError(
                MSG_CATEGORY_UNUSED.format(
                    metrics=", ".join(sorted(CATEGORY_METRICS)[:3]) + ", ..."
                )
            )
        return self

    @property
    def text(self) -> str:
        where = f"[{self.category}]" if self.category else ""
        at = f"@{self.k}" if self.k else ""
        return f"{self.metric}{where}{at} {self.comparison} {self.threshold:g}"


def _holds(value: float, comparison: str, threshold: float) -> bool:
    if comparison == ">=":
        return value >= threshold
    if comparison == ">":
        return value > threshold
    if comparison == "<=":
        return value <= threshold
    return value < threshold


def _base(metric: str) -> str:
    """The metric a comparison is of ('top_k_category_rate_ratio' -> 'top_k_category_rate')."""
    base = metric.removesuffix("_ratio").removesuffix("_difference")
    return base if base in _PHRASES and metric not in _PHRASES else metric


def phrase(metric: str, category: str | None, k: int, reference: str | None = None) -> str:
    """The metric in words: "share of users offered 'leadership' in their top 5".

    Examples
    --------
    >>> phrase("top_k_category_rate_ratio", "leadership", 5, "male")
    "share of users offered 'leadership' in their top 5, relative to group 'male'"
    """
    base = _base(metric)
    words = _PHRASES.get(base, say.label(metric)).format(
        category=f"'{category}'" if category else "the category", k=k
    )
    against = f"group '{reference}'" if reference else "the reference group"
    if base != metric and metric.endswith("_ratio"):
        return f"{words}, relative to {against}"
    if base != metric:
        return f"{words}, minus that of {against}"
    return words


def _attributes(check: RankingCheck, evidence: RankingEvidence) -> list[str]:
    if check.metric in ITEM_SIDE_METRICS:
        named = [evidence.item_attribute] if evidence.item_attribute else []
    else:
        named = list(evidence.attributes)
    if isinstance(check.attributes, list):
        return [a for a in check.attributes if a in named] or list(check.attributes)
    if check.attributes == "sensitive":
        return [a for a in named if INTERSECTION_SEPARATOR not in a]
    if check.attributes == "intersections":
        return [a for a in named if INTERSECTION_SEPARATOR in a]
    return named


def _rows(
    check: RankingCheck, evidence: RankingEvidence, attributes: list[str]
) -> list[RankingRow]:
    wanted = set(attributes)
    rows = [
        r for r in evidence.find(check.metric, category=check.category) if r.attribute in wanted
    ]
    # A group row and the attribute-wide summary say the same thing twice; the summary is
    # judged only where no group row exists (e.g. ndkl).
    with_groups = {(r.attribute, r.category) for r in rows if r.group != ALL_GROUPS}
    return [
        r for r in rows if r.group != ALL_GROUPS or (r.attribute, r.category) not in with_groups
    ]


def _who(row: RankingRow) -> str:
    if row.group == ALL_GROUPS:
        return f"across {row.attribute}"
    return f"group '{row.group}' of {row.attribute}"


@dataclass
class _Sorted:
    """The rows of one check, sorted into judged, small-and-short, and notes on the others."""

    judged: list[tuple[RankingRow, float]] = field(default_factory=list)
    # Too small to judge but short of the threshold on their point estimate: never a pass.
    small_shortfalls: list[RankingRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Judge:
    """One check on one evidence part, with the groups whose figures may not be published."""

    check: RankingCheck
    evidence: RankingEvidence
    context: RuleContext
    hidden: frozenset[tuple[str, str]]

    def is_hidden(self, row: RankingRow) -> bool:
        return (row.attribute, row.group) in self.hidden

    def is_reference(self, row: RankingRow) -> bool:
        metric = self.check.metric
        return _base(metric) != metric and row.group == self.evidence.reference(
            metric, row.attribute, row.category
        )

    def sort(self, rows: list[RankingRow]) -> _Sorted:
        found = _Sorted()
        for row in rows:
            if row.group == UNKNOWN_GROUP:
                found.notes.append(f"{_who(row)}: the unknown group, reported but not judged")
                continue
            if self.is_reference(row):
                continue  # the reference against itself is 1 (or 0) by construction
            summary = self.evidence.group_summary(row.attribute, row.group)
            small = row.group != ALL_GROUPS and summary is not None and summary.status != "ok"
            if small or row.value is None:
                found.notes.append(self._skipped(row, small, summary.n if summary else None))
                if small and row.value is not None and not self.holds(row.value):
                    found.small_shortfalls.append(row)
                continue
            value = row.value
            if self.check.judge == "least_favourable":
                bound = row.ci_low if self.check.comparison in (">=", ">") else row.ci_high
                if bound is None:
                    found.notes.append(f"{_who(row)}: no interval; the point estimate was judged")
                else:
                    value = bound
            found.judged.append((row, value))
        lowest_first = self.check.comparison in (">=", ">")
        found.judged.sort(key=lambda pair: pair[1], reverse=not lowest_first)
        return found

    def _skipped(self, row: RankingRow, small: bool, n: int | None) -> str:
        if self.is_hidden(row):
            return f"{_who(row)}: too few to publish its figures, not judged"
        if small:
            return f"{_who(row)} (n={n}): too few to judge, reported but not judged"
        return f"{_who(row)}: value undefined (0/0), not judged"

    def holds(self, value: float) -> bool:
        return _holds(value, self.check.comparison, self.check.threshold)

    def clause(self, row: RankingRow, *, holds: bool) -> str:
        words = say.bound_words(self.check.comparison, self.check.threshold, holds=holds)
        reference = self.evidence.reference(self.check.metric, row.attribute, row.category)
        what = phrase(self.check.metric, row.category, self.evidence.k, reference)
        if self.is_hidden(row):
            minimum = disclosure_rule(self.context.settings).min_size
            return (
                f"For {_who(row)}, too small to publish its figures (fewer than {minimum}), the "
                f"{what} was {words}"
            )
        assert row.value is not None
        interval = ""
        if row.ci_low is not None and row.ci_high is not None:
            confidence = self.context.settings.confidence_level
            interval = (
                f" ({confidence * 100:.0f}% CI {say.number(row.ci_low)}–{say.number(row.ci_high)})"
            )
        return f"For {_who(row)}, the {what} was {say.number(row.value)}{interval}, {words}"

    def finding(
        self,
        verdict: Verdict,
        row: RankingRow,
        sentence: str,
        found: _Sorted,
        shortfalls: list[RankingRow],
        **extra: Any,
    ) -> Finding:
        figures: dict[str, Any] = {"attribute": row.attribute, "group": row.group}
        if not self.is_hidden(row):
            figures |= {"value": row.value, "ci_low": row.ci_low, "ci_high": row.ci_high}
        return Finding(
            verdict=verdict,
            sentence=sentence,
            threshold=self.check.threshold,
            comparison=self.check.text,
            details=list(found.notes),
            shortfalls=list(dict.fromkeys((r.attribute, r.group) for r in shortfalls)),
            **figures,
            **extra,
        )


def disclosure_rule(settings: Any) -> DisclosureRule:
    """The internal-audience disclosure rule of the policy's settings (audit outputs)."""
    return DisclosureRule(
        min_size=settings.disclosure_min_size, required_by=settings.disclosure_required_by
    )


def _not_measured(check: RankingCheck, evidence: RankingEvidence) -> Finding | None:
    """insufficient_data when the audit measured another k or another category."""
    if check.k is not None and check.k != evidence.k:
        return Finding(
            verdict="insufficient_data",
            sentence=f"The recommendations were audited in the top {evidence.k}, but this rule "
            f"is about the top {check.k}, so it could not be judged.",
            to_conclude=f"Audit the recommendations with k = {check.k} (--k {check.k}).",
            threshold=check.threshold,
            comparison=check.text,
        )
    if check.category is not None and check.category not in evidence.categories:
        audited = say.listing(evidence.categories) if evidence.categories else "none"
        return Finding(
            verdict="insufficient_data",
            sentence=f"The audit holds no results for the category '{check.category}' "
            f"(categories audited: {audited}), so the rule could not be judged.",
            to_conclude=f"Audit with the item category column and --category {check.category}.",
            threshold=check.threshold,
            comparison=check.text,
        )
    return None


def _no_rows(check: RankingCheck, attributes: list[str]) -> Finding:
    common = {"threshold": check.threshold, "comparison": check.text}
    if check.if_missing == "not_applicable":
        return Finding(
            verdict="not_applicable",
            sentence=f"The evidence holds no {say.label(check.metric)}, so this rule does not "
            "apply.",
            **common,
        )
    if check.metric in ITEM_SIDE_METRICS:
        need = "the items' group (--item-sensitive COLUMN, e.g. the candidates' sex)"
        if check.metric in ("merit_share", "exposure_to_merit_ratio"):
            need += " and their merit (--outcome COLUMN)"
    elif check.metric in CATEGORY_METRICS:
        need = "the users' sensitive attributes and the item category (--item-category)"
    else:
        need = "the users' sensitive attributes and an outcome column (--outcome)"
    where = say.listing(attributes) if attributes else "any attribute"
    return Finding(
        verdict="insufficient_data",
        sentence=f"The evidence holds no {say.label(check.metric)} for {where}, so the rule "
        "could not be judged.",
        to_conclude=f"Audit the recommendation log naming {need}.",
        **common,
    )


def evaluate_ranking(
    check: RankingCheck, evidence: RankingEvidence | None, context: RuleContext
) -> Finding:
    """Judge one ranking check on ranking evidence (see the module docstring)."""
    assert evidence is not None  # the evaluator handles "not gathered" before
    missing = _not_measured(check, evidence)
    if missing is not None:
        return missing
    attributes = _attributes(check, evidence)
    rows = _rows(check, evidence, attributes)
    if not rows:
        return _no_rows(check, attributes)
    hidden = frozenset(ranking_hidden_groups(evidence, disclosure_rule(context.settings)))
    judge = _Judge(check, evidence, context, hidden)
    found = judge.sort(rows)
    minimum = context.settings.min_group_size
    if not found.judged and not found.small_shortfalls:
        return Finding(
            verdict="insufficient_data",
            sentence=f"Too little data to judge the {say.label(check.metric)}: "
            f"{say.count_words(len(rows), 'value')} found, none for a group of at least "
            f"{minimum} with a defined value.",
            to_conclude=f"At least {minimum} users (or items) in each group to be judged.",
            details=found.notes,
            threshold=check.threshold,
            comparison=check.text,
        )
    if check.judge == "least_favourable":
        found.notes.append("judged on the least favourable bound of each interval")
    failing = [row for row, value in found.judged if not judge.holds(value)]
    shortfalls = [*failing, *found.small_shortfalls]
    if failing:
        worst = failing[0]
        more = len(shortfalls) - 1
        tail = f"; {say.count_words(more, 'other case')} also fell short" if more else ""
        sentence = f"{judge.clause(worst, holds=False)}{tail}."
        return judge.finding("fail", worst, sentence, found, shortfalls)
    if found.small_shortfalls:
        # Groups too small to judge fall short: not decided, and never a pass.
        worst = found.small_shortfalls[0]
        n_others = len(found.small_shortfalls) - 1
        also = f"; {say.count_words(n_others, 'other small group')} also" if n_others else ""
        sentence = (
            f"{judge.clause(worst, holds=False)}{also}; the group is below the minimum of "
            f"{minimum}, so the shortfall is not decided — that is not a pass."
        )
        advice = (
            f"Groups of at least {minimum} users (or items), e.g. by pooling a longer period of "
            "the log."
        )
        return judge.finding(
            "insufficient_data", worst, sentence, found, shortfalls, to_conclude=advice
        )
    worst = found.judged[0][0]
    count = len(found.judged)
    others = f" ({say.count_words(count, 'value')} judged)" if count > 1 else ""
    sentence = f"{judge.clause(worst, holds=True)}; this is the least favourable case{others}."
    return judge.finding("pass", worst, sentence, found, shortfalls)


def ranking_needs_intersections(checks: list[RankingCheck]) -> bool:
    """True when a ranking rule judges intersections of the users' attributes."""
    for check in checks:
        if check.metric in ITEM_SIDE_METRICS:
            continue
        if check.attributes in ("all", "intersections"):
            return True
        if isinstance(check.attributes, list) and any(
            INTERSECTION_SEPARATOR in name for name in check.attributes
        ):
            return True
    return False


KIND: CheckKind[RankingCheck, RankingEvidence] = register_check_kind(
    CheckKind(
        key="ranking",
        schema=RankingCheck,
        evidence=RankingEvidence,
        evaluate=evaluate_ranking,
        describe=lambda check: check.text,
        missing_evidence="No ranking evidence was gathered, so this rule could not be judged.",
        to_gather=(
            "Audit the recommendation log (govern audit recommendations --policy, or govern "
            "audit run with --user, --rank and --k)."
        ),
        threshold_field="threshold",
    )
)
