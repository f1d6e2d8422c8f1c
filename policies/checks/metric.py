"""The ``metric`` check kind: compare a fairness metric with a threshold for every group judged.

Reads :class:`govern.evidence.fairness.FairnessEvidence`. Groups too small to judge (the
policy's ``min_group_size``), under the small-category share, or with an undefined value are
reported in the details but not judged; a rule with nothing left to judge is
``insufficient_data``, never a pass.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, field_validator

from govern.disclosure import hidden_groups
from govern.errors import EvidenceError
from govern.evidence.fairness import FairnessEvidence
from govern.metric_names import METRIC_NAMES, REFERENCE_METRICS
from govern.policies import sentences as say
from govern.policies.checks import CheckKind, CheckModel, Finding, RuleContext, register_check_kind
from govern.results import (
    ALL_GROUPS,
    INTERSECTION_SEPARATOR,
    UNKNOWN_GROUP,
    DisclosureRule,
    MetricRow,
    Verdict,
)
from govern.suggest import did_you_mean
from govern.yaml_loader import describe

MSG_UNKNOWN_METRIC = "unknown metric '{name}'{hint}; see the metric list in docs/policies.md"
MSG_BAD_ATTRIBUTES = (
    "found {found}; expected 'all', 'sensitive', 'intersections' or a list of attribute names"
)
ATTRIBUTE_SELECTORS = ("all", "sensitive", "intersections")


def attributes_shape(value: Any) -> Any:
    """A check's ``attributes``: a selector or a non-empty list of names (ValueError otherwise).

    Shared by every check kind that picks attributes, so they accept and refuse the same things.
    """
    if isinstance(value, str) and value in ATTRIBUTE_SELECTORS:
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return value
    raise ValueError(MSG_BAD_ATTRIBUTES.format(found=describe(value)))


MSG_COUNTED_AS_ZERO = (
    "{metric} of {attribute}: fairlearn's figure counts the undefined rate (0/0) of {groups} "
    "as 0, so it is not a measurement; not judged"
)
TO_CONCLUDE_COUNTED_AS_ZERO = (
    "Records with both true outcomes in every group behind {metric} (see the details), or a "
    "rule on the per-rate figures over the groups judged (for example "
    "true_positive_rate_difference)."
)

Comparison = Literal[">=", ">", "<=", "<"]


class MetricCheck(CheckModel):
    """Compare a fairness metric or disparity with a threshold for every group judged."""

    kind: Literal["metric"]
    metric: str = Field(description="A metric the fairness engine emits (see METRIC_NAMES).")
    attributes: Literal["all", "sensitive", "intersections"] | list[str] = Field(
        "all",
        description="'sensitive' (each attribute), 'intersections', 'all' (both), or names "
        f"such as 'sex' or 'sex{INTERSECTION_SEPARATOR}ethnicity'.",
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
        description="Verdict when the evidence holds no row of the metric at all (e.g. "
        "'not_applicable' for scoring_impact_ratio when the tool gives decisions, not scores).",
    )
    require_significance: bool = Field(
        False,
        description="Fail only when the disparity is statistically significant at alpha and not "
        "a flip-flop (29 CFR 1607.4(D), UGESP Q&A 21); otherwise insufficient_data.",
    )

    @field_validator("attributes", mode="before")
    @classmethod
    def _attributes_shape(cls, value: Any) -> Any:
        return attributes_shape(value)

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, name: str) -> str:
        if name not in METRIC_NAMES:
            raise ValueError(
                MSG_UNKNOWN_METRIC.format(name=name, hint=did_you_mean(name, METRIC_NAMES))
            )
        return name

    @property
    def text(self) -> str:
        return f"{self.metric} {self.comparison} {self.threshold:g}"


def _compare(value: float, comparison: str, threshold: float) -> bool:
    if comparison == ">=":
        return value >= threshold
    if comparison == ">":
        return value > threshold
    if comparison == "<=":
        return value <= threshold
    return value < threshold


def disclosure_rule(settings: Any) -> DisclosureRule:
    """The internal-audience disclosure rule of the policy's settings (audit outputs)."""
    return DisclosureRule(
        min_size=settings.disclosure_min_size, required_by=settings.disclosure_required_by
    )


def judged_attributes(check: MetricCheck, evidence: FairnessEvidence) -> list[str]:
    """The attributes (and intersections) a metric check judges in this evidence."""
    if isinstance(check.attributes, list):
        return list(check.attributes)
    named = list(dict.fromkeys([*evidence.attributes, *(r.attribute for r in evidence.rows())]))
    if check.attributes == "sensitive":
        return [a for a in named if INTERSECTION_SEPARATOR not in a]
    if check.attributes == "intersections":
        return [a for a in named if INTERSECTION_SEPARATOR in a]
    return named


def _group_status(row: MetricRow, evidence: FairnessEvidence, min_group_size: int) -> str:
    if row.group == ALL_GROUPS:
        coverage = evidence.coverage_for(row.attribute)
        # fairlearn's figure counts an undefined rate as 0: not a measurement to judge.
        if coverage is not None and coverage.counted_as_zero.get(row.metric):
            return "counted_as_zero"
        return "ok"
    status = evidence.group_status(row.attribute, row.group)
    if status is None:  # no summary: fall back on the row's own count
        return "ok" if row.n >= min_group_size else "insufficient_data"
    return status


def _skipped_detail(row: MetricRow, status: str, evidence: FairnessEvidence, hidden: bool) -> str:
    if hidden:
        return (
            f"group '{row.group}' of {row.attribute}: too few people to publish its figures, not "
            "judged"
        )
    if status == "excluded_small_share":
        rate_row = evidence.value("selection_rate", row.attribute, row.group) or evidence.value(
            "scoring_rate", row.attribute, row.group
        )
        rate = (
            f", {rate_row.metric.replace('_', ' ')} {say.percent(rate_row.value)}"
            if rate_row is not None and rate_row.value is not None
            else ""
        )
        return (
            f"group '{row.group}' of {row.attribute} (n={row.n}{rate}): under the small-category "
            "share, reported but not judged"
        )
    if status == "undefined":
        return f"{say.who(row)}: value undefined (0/0), not judged"
    if status == "counted_as_zero":
        coverage = evidence.coverage_for(row.attribute)
        groups = coverage.counted_as_zero.get(row.metric, []) if coverage is not None else []
        return MSG_COUNTED_AS_ZERO.format(
            metric=row.metric,
            attribute=row.attribute,
            groups=say.listing([f"'{group}'" for group in groups]),
        )
    return f"group '{row.group}' of {row.attribute} (n={row.n}): too few records, not judged"


def _rows(check: MetricCheck, fairness: FairnessEvidence, attributes: list[str]) -> list[MetricRow]:
    wanted = set(attributes)
    rows = [r for r in fairness.find(check.metric) if r.attribute in wanted]
    # The engine also summarises a per-group metric over each attribute (group "*", e.g. the
    # lowest impact ratio). Judging that row beside the groups would count one finding twice,
    # without the group's significance test, so it is judged only when no group row exists.
    with_groups = {r.attribute for r in rows if r.group != ALL_GROUPS}
    return [r for r in rows if r.group != ALL_GROUPS or r.attribute not in with_groups]


@dataclass
class _Sorted:
    """The rows of one metric check, sorted by what can be said about them."""

    judged: list[tuple[MetricRow, float]] = field(default_factory=list)
    # Too small to judge, but falling short of the threshold on their point estimate: not a
    # pass (29 CFR 1607.4(D): small numbers call for more data, not for silence).
    small_shortfalls: list[MetricRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Attribute-wide rows left unjudged because fairlearn's figure counts a 0/0 rate as 0.
    counted_as_zero: list[MetricRow] = field(default_factory=list)


def _judgeable(
    check: MetricCheck,
    rows: list[MetricRow],
    fairness: FairnessEvidence,
    context: RuleContext,
    hidden: Collection[tuple[str, str]],
) -> _Sorted:
    """The rows that can be judged, each with the value judged, and notes on the others."""
    sorted_rows = _Sorted()
    for row in rows:
        if check.metric in REFERENCE_METRICS and row.group == fairness.reference_groups.get(
            row.attribute
        ):
            continue  # the reference against itself is 1 (or 0) by construction
        status = _group_status(row, fairness, context.settings.min_group_size)
        if status == "ok" and row.value is None:
            status = "undefined"
        if status == "counted_as_zero":
            sorted_rows.counted_as_zero.append(row)
        if status != "ok" or row.value is None:
            secret = (row.attribute, row.group) in hidden
            sorted_rows.notes.append(_skipped_detail(row, status, fairness, secret))
            falls_short = row.value is not None and not _compare(
                row.value, check.comparison, check.threshold
            )
            if status == "insufficient_data" and falls_short:
                sorted_rows.small_shortfalls.append(row)
            continue
        bound = row.value
        if check.judge == "least_favourable":
            side = row.ci_low if check.comparison in (">=", ">") else row.ci_high
            if side is None:
                sorted_rows.notes.append(
                    f"{say.who(row)}: no interval in the evidence; the point estimate was judged"
                )
            else:
                bound = side
        sorted_rows.judged.append((row, bound))
    lowest_first = check.comparison in (">=", ">")
    sorted_rows.judged.sort(key=lambda pair: pair[1], reverse=not lowest_first)
    return sorted_rows


class _Say:
    """Builds the findings of one metric check, sharing its figures and details."""

    def __init__(
        self,
        check: MetricCheck,
        fairness: FairnessEvidence,
        context: RuleContext,
        details: list[str],
    ) -> None:
        self.check, self.fairness, self.context, self.details = check, fairness, context, details
        # Groups whose figures may not be published: sentences name them without figures.
        self.hidden = hidden_groups(fairness, disclosure_rule(context.settings))
        self.shortfalls: list[tuple[str, str]] = []

    def is_hidden(self, row: MetricRow) -> bool:
        return (row.attribute, row.group) in self.hidden

    def finding(
        self, verdict: Verdict, row: MetricRow | None, sentence: str, **extra: Any
    ) -> Finding:
        figures: dict[str, Any] = {}
        if row is not None:
            figures = {"attribute": row.attribute, "group": row.group}
            if not self.is_hidden(row):
                figures |= {"value": row.value, "ci_low": row.ci_low, "ci_high": row.ci_high}
        return Finding(
            verdict=verdict,
            sentence=sentence,
            threshold=self.check.threshold,
            comparison=self.check.text,
            details=list(self.details),
            shortfalls=list(dict.fromkeys(self.shortfalls)),
            **figures,
            **extra,
        )

    def small_clause(self, row: MetricRow) -> str:
        """A shortfall of a group too small to judge, with its size when it may be shown."""
        clause = self.clause(row, holds=False)
        return clause if self.is_hidden(row) else f"{clause} (n={row.n})"

    def clause(self, row: MetricRow, *, holds: bool) -> str:
        if self.is_hidden(row):
            minimum = disclosure_rule(self.context.settings).min_size
            words = say.bound_words(self.check.comparison, self.check.threshold, holds=holds)
            label = say.label(self.check.metric)
            article = "an" if label[:1].lower() in "aeiou" else "a"
            return (
                f"Group '{row.group}' of {row.attribute}, too small to publish its figures "
                f"(fewer than {minimum} people), has {article} {label} {words}"
            )
        reference = self.fairness.reference_groups.get(row.attribute)
        test = self.fairness.test_for(row.attribute, row.group)
        if reference is None and test is not None:
            reference = test.reference
        return say.finding(
            self.check.metric,
            row,
            reference,
            self.check.comparison,
            self.check.threshold,
            self.context.settings.confidence_level,
            holds=holds,
        )


# The settings that decide which groups are judged and how: evidence measured under other
# values would be judged with stale statuses, so it is refused.
MEASURED_SETTINGS = ("min_group_size", "exclude_below_share", "alpha", "confidence_level")
MSG_STALE_EVIDENCE = (
    "the fairness evidence was measured with {found}, but the policy sets {wanted}: its group "
    "statuses and intervals do not answer this policy. Audit the data again under the policy "
    "(govern audit run ... --policy, or govern audit fairness --policy)."
)


def check_measured_settings(fairness: FairnessEvidence, settings: Any) -> None:
    """Refuse evidence measured under settings other than the policy's (EvidenceError)."""
    found, wanted = [], []
    for name in MEASURED_SETTINGS:
        if name not in fairness.settings:
            continue
        recorded, required = fairness.settings[name], getattr(settings, name)
        same = recorded == required or (
            isinstance(recorded, int | float)
            and isinstance(required, int | float)
            and float(recorded) == float(required)
        )
        if not same:
            found.append(f"{name}={recorded}")
            wanted.append(f"{name}={required}")
    if found:
        raise EvidenceError(
            MSG_STALE_EVIDENCE.format(found=", ".join(found), wanted=", ".join(wanted))
        )


def evaluate_metric(
    check: MetricCheck, fairness: FairnessEvidence | None, context: RuleContext
) -> Finding:
    """Judge one metric check on fairness evidence (see the module docstring)."""
    assert fairness is not None  # the kind reads fairness evidence; absence is handled before
    check_measured_settings(fairness, context.settings)
    attributes = judged_attributes(check, fairness)
    rows = _rows(check, fairness, attributes)
    details: list[str] = []
    speak = _Say(check, fairness, context, details)
    for name in attributes:
        if fairness.unknown_counts.get(name):
            count = (
                "too few to publish"
                if (name, UNKNOWN_GROUP) in speak.hidden
                else f"{fairness.unknown_counts[name]} records"
            )
            details.append(f"unknown category in {name}: {count}, not in the rates")
    if not rows:
        if check.if_missing == "not_applicable":
            return speak.finding(
                "not_applicable",
                None,
                f"The evidence holds no {say.label(check.metric)}, so this rule does not apply.",
            )
        if not attributes and check.attributes == "intersections":
            return speak.finding(
                "insufficient_data",
                None,
                "The evidence holds no intersection of sensitive attributes, so this rule "
                "could not be judged.",
                to_conclude="Audit with at least two sensitive attributes: their intersection "
                "is then measured.",
            )
        where = say.listing(attributes) if attributes else "any attribute"
        return speak.finding(
            "insufficient_data",
            None,
            f"The evidence holds no {say.label(check.metric)} for {where}, so the rule could "
            "not be judged.",
            to_conclude=f"Audit data that holds the {say.label(check.metric)} for {where}.",
        )
    found = _judgeable(check, rows, fairness, context, speak.hidden)
    details.extend(found.notes)
    judged = found.judged
    minimum = context.settings.min_group_size
    if not judged and not found.small_shortfalls:
        to_conclude = f"At least {minimum} records in each group to be judged."
        if found.counted_as_zero:
            to_conclude = TO_CONCLUDE_COUNTED_AS_ZERO.format(metric=check.metric)
        return speak.finding(
            "insufficient_data",
            None,
            f"Too little data to judge the {say.label(check.metric)}: "
            f"{say.count_words(len(rows), 'value')} found, none with enough records (minimum "
            f"{minimum}) and a defined value.",
            to_conclude=to_conclude,
        )
    if check.judge == "least_favourable":
        details.append("judged on the least favourable bound of each interval")
    details.extend(_small_sample_notes(speak, judged))
    violating = [(r, b) for r, b in judged if not _compare(b, check.comparison, check.threshold)]
    speak.shortfalls = [
        (row.attribute, row.group) for row in [*(r for r, _ in violating), *found.small_shortfalls]
    ]
    if not violating and not found.small_shortfalls:
        return _holds(speak, judged)
    if not check.require_significance and violating:
        worst = violating[0][0]
        more = len(violating) - 1 + len(found.small_shortfalls)
        tail = f"; {say.count_words(more, 'other case')} also fell short" if more else ""
        return speak.finding("fail", worst, f"{speak.clause(worst, holds=False)}{tail}.")
    if violating:
        breach = _significant_breach(speak, [row for row, _ in violating])
        if breach.verdict == "fail" or not found.small_shortfalls:
            return breach
    return _small_shortfall(speak, found.small_shortfalls, minimum)


def _small_sample_notes(speak: _Say, judged: list[tuple[MetricRow, float]]) -> list[str]:
    """A note for each judged group smaller than the policy's small-sample size."""
    below = speak.context.settings.small_sample_note_below
    if below is None:
        return []
    notes = []
    for row, _ in judged:
        if row.group == ALL_GROUPS or row.n >= below or speak.is_hidden(row):
            continue
        interval = say.interval(row, speak.context.settings.confidence_level, as_percent=False)
        notes.append(
            f"group '{row.group}' of {row.attribute} (n={row.n}): a small sample; its interval"
            f"{interval or ' (none computed)'} shows how uncertain the figure is"
        )
    return notes


def _small_shortfall(speak: _Say, rows: list[MetricRow], minimum: int) -> Finding:
    """Groups too small to judge fall short: not decided, and never a pass."""
    worst = min(rows, key=lambda row: row.value if row.value is not None else 0.0)
    if speak.check.comparison in ("<=", "<"):
        worst = max(rows, key=lambda row: row.value if row.value is not None else 0.0)
    shown = [row for row in rows if not speak.is_hidden(row)]
    needed = max((minimum - row.n for row in shown), default=None)
    more = (
        f" (about {needed} more in the smallest)"
        if needed is not None and not any(speak.is_hidden(row) for row in rows)
        else ""
    )
    fairness = speak.fairness
    records = [
        test.records_needed
        for row in rows
        if (test := fairness.test_for(row.attribute, row.group)) is not None and test.records_needed
    ]
    others = len(rows) - 1
    also = f"; {say.count_words(others, 'other small group')} also" if others else ""
    advice = (
        f"Groups of at least {minimum} people{more}, e.g. by "
        "pooling a longer period or comparable data (29 CFR 1607.4(D): where numbers are too "
        "small to be reliable, look at a longer period before concluding)"
        + (
            f"; about {max(records)} records per group would detect the shortfall"
            if records
            else ""
        )
        + "."
    )
    return speak.finding(
        "insufficient_data",
        worst,
        f"{speak.small_clause(worst)}{also}; the group is below the minimum of {minimum} "
        "people, so the shortfall is not decided — that is not a pass.",
        to_conclude=advice,
    )


def _holds(speak: _Say, judged: list[tuple[MetricRow, float]]) -> Finding:
    check, fairness = speak.check, speak.fairness
    worst = judged[0][0]
    for row, _ in judged:
        test = fairness.test_for(row.attribute, row.group)
        if (
            check.require_significance
            and test
            and test.significant
            and test.shortfall >= 1
            and not speak.is_hidden(row)
        ):
            # 29 CFR 1607.4(D): smaller differences may still be adverse impact when
            # significant in statistical and practical terms; flagged, not failed.
            speak.details.append(
                f"group '{row.group}' of {row.attribute}: meets the threshold but the "
                f"difference is statistically significant ({say.p_text(test.p_value_adjusted)}"
                f") with a shortfall of {test.shortfall:.0f} people; worth a closer look"
            )
    others = f" ({say.count_words(len(judged), 'group')} judged)" if len(judged) > 1 else ""
    return speak.finding(
        "pass",
        worst,
        f"{speak.clause(worst, holds=True)}; this is the least favourable case{others}.",
    )


def _also_significant(worst: MetricRow, others: list[MetricRow]) -> str:
    """The other groups whose breach is significant too, named (a reader must not have to
    guess who "other cases" are): ``; also significant for 'asian'``."""
    if not others:
        return ""
    names = [
        f"'{r.group}'" if r.attribute == worst.attribute else f"'{r.group}' of {r.attribute}"
        for r in others
    ]
    return f"; also significantly short for {say.listing(names)}"


def _significant_breach(speak: _Say, violating: list[MetricRow]) -> Finding:
    """29 CFR 1607.4(D): a breach counts when significant and not a flip-flop (UGESP Q&A 21)."""
    fairness, alpha = speak.fairness, speak.context.settings.alpha
    threshold = speak.check.threshold
    confirmed, unconfirmed = [], []
    for row in violating:
        test = fairness.test_for(row.attribute, row.group)
        if test is not None and test.significant and not test.flips_at(speak.check.threshold):
            confirmed.append(row)
        else:
            unconfirmed.append(row)
    for row in unconfirmed:
        speak.details.append(
            f"{say.who(row)}: short of the threshold but "
            f"{say.significance(fairness.test_for(row.attribute, row.group), alpha, threshold)}"
        )
    if confirmed:
        worst = confirmed[0]
        test = fairness.test_for(worst.attribute, worst.group)
        tail = _also_significant(worst, confirmed[1:])
        return speak.finding(
            "fail",
            worst,
            f"{speak.clause(worst, holds=False)}; "
            f"{say.significance(test, alpha, threshold)}{tail}.",
        )
    worst = unconfirmed[0]
    test = fairness.test_for(worst.attribute, worst.group)
    needed = test.records_needed if test is not None else None
    advice = (
        "29 CFR 1607.4(D): where numbers are too small to be reliable, look at the procedure's "
        "impact over a longer period or on comparable data before concluding"
        + (f"; about {needed} records per group would detect the shortfall" if needed else "")
        + "."
    )
    return speak.finding(
        "insufficient_data",
        worst,
        f"{speak.clause(worst, holds=False)}; {say.significance(test, alpha, threshold)}.",
        to_conclude=advice,
    )


KIND: CheckKind[MetricCheck, FairnessEvidence] = register_check_kind(
    CheckKind(
        key="metric",
        schema=MetricCheck,
        evidence=FairnessEvidence,
        evaluate=evaluate_metric,
        describe=lambda check: check.text,
        missing_evidence="No fairness evidence was gathered, so this rule could not be judged.",
        to_gather=(
            "Audit decisions with their sensitive attributes (govern audit run, or govern audit "
            "fairness --policy)."
        ),
        threshold_field="threshold",
    )
)
