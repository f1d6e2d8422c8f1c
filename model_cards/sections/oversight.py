"""The oversight section: how reviewers used the model's recommendations, in plain words.

Tables of the impact ratio before and after review (with the paired interval of the change),
of override and appeal rates by group, of reviewers' override rates, and the automation-bias
signals, worded as questions. The evidence arrives redacted (:mod:`govern.disclosure_kinds`):
a withheld group is shown by name with the reason, and a cell measured on too few people to
publish reads "too few".
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from govern.evidence.oversight import (
    AGREEMENT_RATE,
    APPEAL_RATE,
    APPEAL_UPHELD_RATE,
    IMPACT_RATIO_CHANGE,
    IMPACT_RATIO_DECIDED,
    IMPACT_RATIO_RECOMMENDED,
    OVERRIDE_DOWN_RATE,
    OVERRIDE_UP_RATE,
    QUICK_DECISION_RATE,
    OversightEvidence,
)
from govern.model_cards.context import Cell, ChartContext
from govern.model_cards.disclosure import (
    COMPLEMENTARY_NOTE,
    SMALL_NOTE,
    Suppression,
    required_note,
    suppression_note,
)
from govern.model_cards.format import anchor, format_interval, format_number, percent_label
from govern.model_cards.oversight_charts import ReviewPoint, review_chart_svg
from govern.model_cards.sections import SectionContext, SectionInputs, register_report_section
from govern.results import ALL_GROUPS, UNKNOWN_GROUP, DisclosureRule, MetricRow

RATE_COLUMNS = (
    (AGREEMENT_RATE, "Kept the recommendation"),
    (OVERRIDE_UP_RATE, "Selected though not recommended"),
    (OVERRIDE_DOWN_RATE, "Turned down though recommended"),
    (APPEAL_RATE, "Appealed"),
    (APPEAL_UPHELD_RATE, "Appeals upheld"),
    (QUICK_DECISION_RATE, "Decided within a minute"),
)

INTRO = (
    "Each person's case was first scored by the model and then decided by a person. This "
    "section compares the two on the same people: whether review narrowed or widened the gap "
    "between groups (the impact ratio of the model's recommendations against that of the final "
    "decisions; a negative change means review widened it), how often reviewers changed the "
    "recommendation, up or down, for each group, and how appeals fared. Intervals are {level} "
    "confidence intervals; the change's interval comes from resampling people with both of "
    "their outcomes. Signals of automation bias are questions for a person to look into, not "
    "findings about reviewers."
)


class _Context(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OversightRowContext(_Context):
    group: str
    suppressed: bool
    n: str = Field(description="People in the group, formatted; '' when suppressed.")
    note: str
    cells: list[Cell]


class OversightTableContext(_Context):
    attribute: str
    anchor: str
    caption: str
    columns: list[str]
    rows: list[OversightRowContext]


class ReviewRowContext(_Context):
    group: str
    suppressed: bool
    n: str
    recommended: str = Field(description="Impact ratio of the model's recommendations.")
    decided: str = Field(description="Impact ratio of the final decisions.")
    change: Cell = Field(description="Final minus model, with its paired interval.")
    note: str


class ReviewTableContext(_Context):
    attribute: str
    anchor: str
    caption: str
    rows: list[ReviewRowContext]
    lowest: str = Field(description="The attribute's lowest impact ratio, before and after.")


class ReviewerRowContext(_Context):
    reviewer: str
    cases: str
    overrides: str
    rate: Cell
    minutes: str
    note: str


class OversightSectionContext(_Context):
    """Context of ``_oversight.html.j2`` and ``_oversight.md.j2``."""

    summary: list[str] = Field(description="Overall figures, one sentence each.")
    review_tables: list[ReviewTableContext]
    rate_tables: list[OversightTableContext]
    charts: list[ChartContext]
    reviewers: list[ReviewerRowContext]
    signals: list[str]
    signals_note: str = Field(description="When there is no signal: why (none, or too few).")
    suppression_note: str
    level: str


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _percent_interval(row: MetricRow | None) -> str:
    if row is None or row.ci_low is None or row.ci_high is None:
        return ""
    return f"{row.ci_low * 100:.1f}% to {row.ci_high * 100:.1f}%"


TOO_FEW = "too few"


def _rate_cell(row: MetricRow | None) -> Cell:
    # The published evidence has no row for a cell measured on too few people to publish.
    if row is None:
        return Cell(value=TOO_FEW, interval="")
    return Cell(value=_percent(row.value), interval=_percent_interval(row))


def _summary(evidence: OversightEvidence, level: str) -> list[str]:
    lines = []
    agreement = evidence.overall_value(AGREEMENT_RATE)
    if agreement is not None:
        interval = _percent_interval(agreement)
        lines.append(
            f"Reviewers kept the model's recommendation for {_percent(agreement.value)} of "
            f"{agreement.n:,} people" + (f" ({level} interval {interval})." if interval else ".")
        )
    up, down = evidence.overall_value(OVERRIDE_UP_RATE), evidence.overall_value(OVERRIDE_DOWN_RATE)
    if up is not None and down is not None:
        lines.append(
            f"Of the {up.n:,} people the model did not recommend, reviewers selected "
            f"{_percent(up.value)}; of the {down.n:,} it recommended, they turned down "
            f"{_percent(down.value)}."
        )
    appeal, upheld = evidence.overall_value(APPEAL_RATE), evidence.overall_value(APPEAL_UPHELD_RATE)
    if appeal is not None:
        text = f"{_percent(appeal.value)} of people appealed"
        if upheld is not None:
            text += f"; {_percent(upheld.value)} of {upheld.n:,} decided appeals were upheld"
        if evidence.appeals_pending:
            text += f" ({evidence.appeals_pending:,} still pending)"
        lines.append(text + ".")
    return lines


def _hidden(evidence: OversightEvidence, attribute: str) -> Suppression:
    """The withheld groups of one attribute (marked by the redaction), with their notes."""
    return Suppression(
        {
            g.group: COMPLEMENTARY_NOTE if g.withheld == "complementary" else SMALL_NOTE
            for g in evidence.groups
            if g.attribute == attribute and g.withheld is not None
        }
    )


def _groups(evidence: OversightEvidence, attribute: str) -> list[str]:
    return [g.group for g in evidence.groups if g.attribute == attribute]


def _review_table(
    evidence: OversightEvidence, attribute: str, hidden: Suppression, level: str
) -> ReviewTableContext:
    rows = []
    for group in _groups(evidence, attribute):
        summary = evidence.group(attribute, group)
        if group in hidden:
            rows.append(
                ReviewRowContext(
                    group=group,
                    suppressed=True,
                    n="",
                    recommended="",
                    decided="",
                    change=Cell(value="", interval=""),
                    note=hidden.notes[group],
                )
            )
            continue
        change = evidence.value(IMPACT_RATIO_CHANGE, attribute, group)
        before = evidence.value(IMPACT_RATIO_RECOMMENDED, attribute, group)
        after = evidence.value(IMPACT_RATIO_DECIDED, attribute, group)
        test = evidence.change_test(attribute, group)
        note = "not compared (unknown)" if UNKNOWN_GROUP in group.split(" & ") else ""
        if test is not None and test.significant:
            note = "review lowered the ratio (significant)"
        rows.append(
            ReviewRowContext(
                group=group,
                suppressed=False,
                n="" if summary is None or summary.n is None else f"{summary.n:,}",
                recommended=format_number(before.value) if before else "—",
                decided=format_number(after.value) if after else "—",
                change=Cell(
                    value=f"{change.value:+.3f}" if change and change.value is not None else "—",
                    interval=format_interval(change.ci_low, change.ci_high) if change else "",
                ),
                note=note,
            )
        )
    lowest = evidence.value(IMPACT_RATIO_CHANGE, attribute, ALL_GROUPS)
    before = evidence.value(IMPACT_RATIO_RECOMMENDED, attribute, ALL_GROUPS)
    after = evidence.value(IMPACT_RATIO_DECIDED, attribute, ALL_GROUPS)
    sentence = ""
    if lowest is not None and lowest.value is not None and before and after:
        sentence = (
            f"The lowest impact ratio by {attribute} was {format_number(before.value)} for the "
            f"model's recommendations and {format_number(after.value)} for the final decisions: "
            f"a change of {lowest.value:+.3f} ({level} interval "
            f"{format_interval(lowest.ci_low, lowest.ci_high) or 'not computed'})."
        )
    return ReviewTableContext(
        attribute=attribute,
        anchor=f"oversight-review-{anchor(attribute)}",
        caption=f"Impact ratio by {attribute} before and after review (same people), and the "
        f"change with its {level} interval.",
        rows=rows,
        lowest=sentence,
    )


def _rate_table(
    evidence: OversightEvidence, attribute: str, hidden: Suppression, level: str
) -> OversightTableContext:
    present = [(m, label) for m, label in RATE_COLUMNS if m in evidence.rates_of_roles()]
    rows = []
    for group in _groups(evidence, attribute):
        summary = evidence.group(attribute, group)
        if group in hidden:
            rows.append(
                OversightRowContext(
                    group=group, suppressed=True, n="", note=hidden.notes[group], cells=[]
                )
            )
            continue
        rows.append(
            OversightRowContext(
                group=group,
                suppressed=False,
                n="" if summary is None or summary.n is None else f"{summary.n:,}",
                note="",
                cells=[_rate_cell(evidence.value(m, attribute, group)) for m, _ in present],
            )
        )
    return OversightTableContext(
        attribute=attribute,
        anchor=f"oversight-rates-{anchor(attribute)}",
        caption=f"How often reviewers kept or changed the recommendation, and appeals, by "
        f"{attribute} ({level} intervals).",
        columns=[label for _, label in present],
        rows=rows,
    )


def _chart(
    evidence: OversightEvidence, attribute: str, hidden: Suppression, threshold: float | None
) -> ChartContext | None:
    points = []
    for group in _groups(evidence, attribute):
        before = evidence.value(IMPACT_RATIO_RECOMMENDED, attribute, group)
        after = evidence.value(IMPACT_RATIO_DECIDED, attribute, group)
        if group in hidden or before is None or after is None:
            continue
        if before.value is None or after.value is None:
            continue
        points.append(ReviewPoint(group, before.value, after.value))
    if not points:
        return None
    lowered = [p.group for p in points if p.decided < p.recommended]
    title = f"Impact ratio by {attribute} before and after human review"
    line = (
        f" (red below the policy's {threshold:g}, drawn as a dashed line)"
        if threshold is not None
        else ""
    )
    lowered_words = (
        f"Review lowered it for {', '.join(lowered)}."
        if lowered
        else "Review lowered it for no group."
    )
    alt = (
        f"Dot chart of each {attribute} group's impact ratio under the model's recommendations "
        f"(grey) and the final decisions (colour){line}. {lowered_words}"
    )
    svg = review_chart_svg(attribute, points, title=title, threshold=threshold)
    return ChartContext(attribute=attribute, svg=svg, alt=alt)


def _reviewers(evidence: OversightEvidence) -> list[ReviewerRowContext]:
    rows = []
    for r in evidence.reviewers:
        enough = r.enough_cases and r.overrides is not None
        rows.append(
            ReviewerRowContext(
                reviewer=r.reviewer,
                cases=f"{r.n:,}",
                overrides=f"{r.overrides:,}" if enough and r.overrides is not None else "",
                rate=Cell(
                    value=_percent(r.override_rate) if enough else "—",
                    interval=(
                        f"{r.ci_low * 100:.1f}% to {r.ci_high * 100:.1f}%"
                        if enough and r.ci_low is not None and r.ci_high is not None
                        else ""
                    ),
                ),
                minutes=(
                    f"{r.median_review_minutes:.1f}"
                    if enough and r.median_review_minutes is not None
                    else ""
                ),
                note="" if enough else "too few cases to say anything",
            )
        )
    return rows


def _signals_note(evidence: OversightEvidence) -> str:
    agreement = evidence.overall_value(AGREEMENT_RATE)
    minimum = evidence.settings.get("min_group_size")
    if evidence.signals:
        return ""
    if agreement is None or not isinstance(minimum, int | float) or agreement.n < minimum:
        return "Too few reviewed decisions to look for signs of automation bias."
    if not evidence.reviewers:
        return (
            "No signal of automation bias in agreement or timing; the log names no reviewer, "
            "so reviewers could not be compared."
        )
    return (
        "No signal of automation bias: review changed enough recommendations, and no reviewer "
        "with enough cases kept every one."
    )


def oversight_body(
    evidence: OversightEvidence,
    *,
    with_charts: bool,
    disclosure: DisclosureRule | None = None,
    threshold: float | None = None,
) -> OversightSectionContext:
    confidence = evidence.settings.get("confidence_level")
    level = percent_label(confidence if isinstance(confidence, float) else None)
    review_tables, rate_tables, charts, any_hidden = [], [], [], False
    for attribute in evidence.attributes:
        hidden = _hidden(evidence, attribute)
        any_hidden = any_hidden or bool(hidden)
        review_tables.append(_review_table(evidence, attribute, hidden, level))
        rate_tables.append(_rate_table(evidence, attribute, hidden, level))
        chart = _chart(evidence, attribute, hidden, threshold) if with_charts else None
        if chart is not None:
            charts.append(chart)
    return OversightSectionContext(
        summary=_summary(evidence, level),
        review_tables=review_tables,
        rate_tables=rate_tables,
        charts=charts,
        reviewers=_reviewers(evidence),
        signals=[s.sentence for s in evidence.signals],
        signals_note=_signals_note(evidence),
        suppression_note=(
            suppression_note(disclosure or DisclosureRule())
            if any_hidden
            else required_note(disclosure or DisclosureRule())
        ),
        level=level,
    )


def oversight_section(evidence: OversightEvidence, inputs: SectionInputs) -> SectionContext:
    body = oversight_body(evidence, with_charts=inputs.fmt == "html", disclosure=inputs.disclosure)
    return SectionContext(
        kind="oversight",
        title="Human oversight: how reviewers used the model's recommendations",
        anchor="oversight",
        intro=INTRO.format(level=body.level),
        html_partial="_oversight.html.j2",
        markdown_partial="_oversight.md.j2",
        body=body,
    )


register_report_section(OversightEvidence, oversight_section)
