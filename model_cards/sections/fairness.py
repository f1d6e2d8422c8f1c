"""The fairness section: per-group tables, significance tests and charts, small groups suppressed.

Shared by the compliance report (from the audit's fairness evidence) and the model card (from
the card's measured analyses).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from govern.evidence.fairness import FairnessEvidence, GroupSummary
from govern.model_cards.charts import ChartPoint, fairness_chart_svg
from govern.model_cards.context import (
    Cell,
    ChartContext,
    FairnessSectionContext,
    FairnessTableContext,
    GroupRowContext,
    MeasureContext,
    SignificanceRowContext,
)
from govern.model_cards.disclosure import (
    Suppression,
    required_note,
    suppression_note,
    table_suppression,
)
from govern.model_cards.format import (
    TEST_LABELS,
    anchor,
    count_of,
    format_interval,
    format_number,
    metric_label,
    percent_label,
)
from govern.model_cards.sections import SectionContext, SectionInputs, register_report_section
from govern.results import ALL_GROUPS, UNKNOWN_GROUP, DisclosureRule, MetricRow, RuleResult

# The columns of the per-group tables, in reading order: rates first, then the ratios against
# the reference group that the four-fifths rule (29 CFR 1607.4(D)) and LL144 compare.
PREFERRED_METRICS = (
    "selection_rate",
    "impact_ratio",
    "scoring_rate",
    "scoring_impact_ratio",
    "mean_score",
    "true_positive_rate",
    "false_positive_rate",
    "accuracy_score",
)
# Per-group metrics already shown in the People and Share columns.
SHOWN_AS_PEOPLE = ("count", "share")
# Attribute-wide summaries printed under each table; the rest go to "all measures".
MAIN_SUMMARIES = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
)
RATIO_COLUMNS = ("impact_ratio", "scoring_impact_ratio")

INTRO = {
    "html": (
        "Rates are shares of each group who received the positive decision. The impact ratio "
        "divides a group's rate by the reference group's{threshold}. Intervals are {level} "
        "confidence intervals: the wider they are, the less the data can tell."
    ),
    "markdown": (
        "Rates are shares of each group who received the positive decision. The impact ratio "
        "divides a group's rate by the reference group's{threshold}. Intervals in brackets are "
        "{level} confidence intervals. Charts are in the HTML version."
    ),
}
THRESHOLD_WORDS = (
    "; the policy asks for at least {threshold:g} (US EEOC guidance, 29 CFR 1607.4(D), calls a "
    "ratio under 0.8 a sign of adverse impact)"
)


def impact_threshold(rules: list[RuleResult]) -> float | None:
    """The threshold of the policy's impact-ratio rule, when it has one."""
    for rule in rules:
        if rule.check == "metric" and (rule.comparison or "").startswith("impact_ratio "):
            return rule.threshold
    return None


@dataclass(frozen=True)
class _Attribute:
    """One attribute's rows, sorted into what its table shows."""

    name: str
    per_group: list[MetricRow]
    ratios: list[MetricRow]
    summaries: list[MetricRow]
    others: list[MetricRow]
    columns: list[str]
    groups: list[str]


def _attribute_rows(evidence: FairnessEvidence, attribute: str) -> _Attribute:
    metrics = [r for r in evidence.metrics if r.attribute == attribute]
    disparities = [r for r in evidence.disparities if r.attribute == attribute]
    per_group = [r for r in metrics if r.group != ALL_GROUPS]
    ratios = [r for r in disparities if r.group != ALL_GROUPS and r.metric in RATIO_COLUMNS]
    attribute_wide = [r for r in [*metrics, *disparities] if r.group == ALL_GROUPS]
    present = {r.metric for r in [*per_group, *ratios]}
    columns = [m for m in PREFERRED_METRICS if m in present]
    others = [
        r
        for r in [*per_group, *disparities]
        if r.group != ALL_GROUPS and r.metric not in columns and r.metric not in SHOWN_AS_PEOPLE
    ] + [r for r in attribute_wide if r.metric not in MAIN_SUMMARIES]
    groups = [g.group for g in evidence.groups if g.attribute == attribute]
    for row in [*per_group, *ratios]:
        if row.group not in groups:
            groups.append(row.group)
    return _Attribute(
        name=attribute,
        per_group=per_group,
        ratios=ratios,
        summaries=[r for r in attribute_wide if r.metric in MAIN_SUMMARIES],
        others=others,
        columns=columns,
        groups=groups,
    )


def _cell(row: MetricRow | None) -> Cell:
    if row is None:
        return Cell(value="—", interval="")
    return Cell(value=format_number(row.value), interval=format_interval(row.ci_low, row.ci_high))


def _group_rows(
    rows: _Attribute,
    summaries: dict[tuple[str, str], GroupSummary],
    reference: str | None,
    hidden: Suppression,
    rules_short: list[RuleResult],
) -> list[GroupRowContext]:
    by_metric = {(r.group, r.metric): r for r in [*rows.per_group, *rows.ratios]}
    first_n: dict[str, int] = {}
    for row in [*rows.per_group, *rows.ratios]:
        first_n.setdefault(row.group, row.n)
    result = []
    for group in rows.groups:
        summary = summaries.get((rows.name, group))
        if group in hidden:
            result.append(
                GroupRowContext(
                    group=group, suppressed=True, n="", share="", note=hidden.notes[group], cells=[]
                )
            )
            continue
        n_value = summary.n if summary is not None else first_n.get(group)
        notes = []
        if group == reference or (summary is not None and summary.is_reference):
            notes.append("reference group")
        if summary is not None and summary.status == "excluded_small_share":
            notes.append("small share: excluded from impact ratios")
        if summary is not None and summary.status == "insufficient_data":
            notes.append("too few people to judge")
        failing = [r.title for r in rules_short if (rows.name, group) in set(r.shortfalls)]
        if failing:
            notes.append("falls short of: " + "; ".join(failing))
        result.append(
            GroupRowContext(
                group=group,
                suppressed=False,
                n="" if n_value is None else f"{n_value:,}",
                share="" if summary is None or summary.share is None else f"{summary.share:.1%}",
                note="; ".join(notes),
                cells=[_cell(by_metric.get((group, m))) for m in rows.columns],
            )
        )
    return result


def _significance(
    evidence: FairnessEvidence, attribute: str, hidden: Suppression
) -> list[SignificanceRowContext]:
    return [
        SignificanceRowContext(
            group=test.group,
            reference=test.reference,
            test=TEST_LABELS.get(test.test, test.test),
            p_value=f"{test.p_value_adjusted:.3g}",
            significant="yes" if test.significant else "no",
            shortfall=f"{test.shortfall:.1f}",
            flip_flop="yes" if test.flip_flop else "no",
        )
        for test in evidence.tests
        if test.attribute == attribute and test.group not in hidden
    ]


def _unknown_sentence(attribute: str, unknown: int, shown_as_group: bool) -> str:
    if not unknown:
        return ""
    if shown_as_group:
        return (
            f"{count_of(unknown, 'record')} had no recorded {attribute}; they are shown as the "
            f"group “{UNKNOWN_GROUP}” and are not compared with the reference group."
        )
    return (
        f"{count_of(unknown, 'record')} had no recorded {attribute}; they are counted here but not "
        "included in the rates."
    )


def _table(
    evidence: FairnessEvidence,
    rows: _Attribute,
    hidden: Suppression,
    level: str,
    rules: list[RuleResult],
) -> FairnessTableContext:
    summaries = {(g.attribute, g.group): g for g in evidence.groups}
    reference = evidence.reference_groups.get(rows.name)
    choice = evidence.reference_for(rows.name)
    # The engine's own sentence on what the groups were compared with, and why (it names the
    # fallback to the overall rate when no group could serve as the reference).
    compared = (
        f", compared with {choice.explanation.rstrip('.')}"
        if choice is not None
        else f", compared with the reference group ({reference})"
        if reference
        else ""
    )
    return FairnessTableContext(
        attribute=rows.name,
        anchor=f"fairness-{anchor(rows.name)}",
        caption=f"Results by {rows.name}: each group's rates with {level} intervals{compared}.",
        columns=[metric_label(m) for m in rows.columns],
        rows=_group_rows(rows, summaries, reference, hidden, rules),
        summaries=[
            f"{metric_label(r.metric)}: {format_number(r.value)}"
            + (
                f" ({level} interval {format_interval(r.ci_low, r.ci_high)})"
                if r.ci_low is not None and r.ci_high is not None
                else ""
            )
            for r in rows.summaries
        ],
        unknown=_unknown_sentence(
            rows.name, evidence.unknown_counts.get(rows.name, 0), UNKNOWN_GROUP in rows.groups
        ),
        significance=_significance(evidence, rows.name, hidden),
        other_measures=[
            MeasureContext(
                group="all groups" if r.group == ALL_GROUPS else r.group,
                metric=metric_label(r.metric),
                value=format_number(r.value),
                interval=format_interval(r.ci_low, r.ci_high),
            )
            for r in rows.others
            if r.group not in hidden
        ],
    )


def _points(rows: list[MetricRow], metric: str, hidden: Suppression) -> list[ChartPoint]:
    return [
        ChartPoint(r.group, r.value, r.ci_low, r.ci_high)
        for r in rows
        if r.metric == metric and r.value is not None and r.group not in hidden
    ]


def _chart(
    rows: _Attribute, hidden: Suppression, level: str, threshold: float | None
) -> ChartContext | None:
    rates = _points(rows.per_group, "selection_rate", hidden)
    impact = _points(rows.ratios, "impact_ratio", hidden)
    if not rates and not impact:
        return None
    title = f"Selection rate and impact ratio by {rows.name}, with {level} intervals"
    alt = (
        f"Bar charts of the selection rate and the impact ratio of each {rows.name} group, "
        f"with error bars for the {level} intervals"
    )
    if threshold is not None:
        below = [p.group for p in impact if p.value < threshold]
        alt += f" and a dashed line at the policy's threshold ({threshold:g}). " + (
            f"Below {threshold:g}: {', '.join(below)}."
            if below
            else f"No group's impact ratio is below {threshold:g}."
        )
    else:
        alt += "."
    alt += " Suppressed groups are not drawn." if hidden else ""
    svg = _drawn(rows.name, tuple(rates), tuple(impact), title, level, threshold)
    return ChartContext(attribute=rows.name, svg=svg, alt=alt)


@functools.lru_cache(maxsize=64)
def _drawn(
    attribute: str,
    rates: tuple[ChartPoint, ...],
    impact: tuple[ChartPoint, ...],
    title: str,
    level: str,
    threshold: float | None,
) -> str:
    # The report and the card of one audit draw the same charts: draw each once.
    return fairness_chart_svg(
        attribute,
        selection_rates=list(rates),
        impact_ratios=list(impact),
        title=title,
        level=level,
        threshold=threshold,
    )


# Charts beyond selection rates: error-rate parity (when true outcomes were given) and scores
# (when a score was audited): (metric, panel title, axis label, upper limit of the axis).
PANEL_CHARTS = (
    (
        "Error rates by {attribute}",
        "Bar charts of the true positive rate (qualified people selected) and the false "
        "positive rate (unqualified people selected) of each {attribute} group, with error bars "
        "for the {level} intervals. Equal bars mean errors fall alike on every group.",
        (
            ("true_positive_rate", "True positive rate", 1.0),
            ("false_positive_rate", "False positive rate", 1.0),
        ),
    ),
    (
        "Scores by {attribute}",
        "Bar charts of the mean score and of the scoring rate (the share scoring above the "
        "median of everyone audited) of each {attribute} group, with error bars for the {level} "
        "intervals.",
        (("mean_score", "Mean score", None), ("scoring_rate", "Scoring rate", 1.0)),
    ),
)


def _panel_charts(rows: _Attribute, hidden: Suppression, level: str) -> list[ChartContext]:
    from govern.model_cards.panel_charts import Panel, panels_svg

    charts = []
    for heading, alt, metrics in PANEL_CHARTS:
        panels = tuple(
            Panel(
                f"{label} by {rows.name}",
                f"{label} (bars: {level} interval)",
                tuple(_points(rows.per_group, metric, hidden)),
                upper,
            )
            for metric, label, upper in metrics
        )
        if not any(p.points for p in panels):
            continue
        title = heading.format(attribute=rows.name)
        text = alt.format(attribute=rows.name, level=level)
        text += " Suppressed groups are not drawn." if hidden else ""
        charts.append(
            ChartContext(attribute=rows.name, svg=panels_svg(panels, title=title), alt=text)
        )
    return charts


def _attributes(evidence: FairnessEvidence) -> list[str]:
    seen: list[str] = []
    # An attribute whose every group is withheld has no rows left, but its groups are still
    # listed (as suppressed), so that a published document never drops a table silently.
    for attribute in [*(row.attribute for row in evidence.rows()),
                      *(g.attribute for g in evidence.groups if g.withheld)]:  # fmt: skip
        if attribute not in seen:
            seen.append(attribute)
    return [a for a in evidence.attributes if a in seen] + [
        a for a in seen if a not in evidence.attributes
    ]


def fairness_body(
    evidence: FairnessEvidence,
    *,
    with_charts: bool,
    disclosure: DisclosureRule | None = None,
    rules: list[RuleResult] | None = None,
) -> FairnessSectionContext:
    """Tables (and charts) per attribute and intersection, small groups' figures withheld by
    the disclosure rule (and still marked when they fall short of a rule)."""
    rule = disclosure or DisclosureRule()
    confidence = evidence.settings.get("confidence_level")
    level = percent_label(confidence if isinstance(confidence, float) else None)
    tables, charts, any_hidden = [], [], False
    for attribute in _attributes(evidence):
        rows = _attribute_rows(evidence, attribute)
        hidden = table_suppression(evidence, attribute, rule, list(rules or []))
        any_hidden = any_hidden or bool(hidden)
        tables.append(_table(evidence, rows, hidden, level, list(rules or [])))
        chart = (
            _chart(rows, hidden, level, impact_threshold(list(rules or [])))
            if with_charts
            else None
        )
        if chart is not None:
            charts.append(chart)
        if with_charts:
            charts.extend(_panel_charts(rows, hidden, level))
    return FairnessSectionContext(
        tables=tables,
        charts=charts,
        suppression_note=suppression_note(rule) if any_hidden else required_note(rule),
        level=level,
    )


def fairness_section(evidence: FairnessEvidence, inputs: SectionInputs) -> SectionContext | None:
    body = fairness_body(
        evidence,
        with_charts=inputs.fmt == "html",
        disclosure=inputs.disclosure,
        rules=inputs.rules,
    )
    if not body.tables:
        return None
    return SectionContext(
        kind="fairness",
        title="Fairness: results by group",
        anchor="fairness",
        intro=INTRO[inputs.fmt].format(level=body.level, threshold=_threshold_words(inputs.rules)),
        html_partial="_fairness.html.j2",
        markdown_partial="_fairness.md.j2",
        body=body,
    )


def _threshold_words(rules: list[RuleResult]) -> str:
    threshold = impact_threshold(rules)
    return "" if threshold is None else THRESHOLD_WORDS.format(threshold=threshold)


register_report_section(FairnessEvidence, fairness_section)
