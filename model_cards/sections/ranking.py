"""The ranking section: whom a recommender serves and who gets shown, small groups suppressed.

Tables per category and attribute (the share of users offered the category in their top k, with
its ratio to the best-served group), outcome tables, the item side (exposure against the pool),
and charts of the category rates per group with their intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from govern.disclosure import COMPLEMENTARY, ranking_hidden_groups
from govern.evidence.fairness import GroupSummary
from govern.evidence.ranking import RankingEvidence, RankingRow
from govern.model_cards.charts import ChartPoint, ChartSeries, grouped_bars_svg
from govern.model_cards.context import Cell, ChartContext, SectionContext
from govern.model_cards.disclosure import (
    COMPLEMENTARY_NOTE,
    FALLS_SHORT_NOTE,
    SMALL_NOTE,
    Suppression,
    required_note,
    suppression_note,
)
from govern.model_cards.format import (
    anchor,
    count_of,
    format_interval,
    format_number,
    percent_label,
)
from govern.model_cards.glossary import Term, register_term
from govern.model_cards.sections import SectionInputs, register_report_section
from govern.results import ALL_GROUPS, UNKNOWN_GROUP, DisclosureRule, RuleResult

CATEGORY_COLUMNS = (
    ("top_k_category_rate", "Offered in top {k}"),
    ("top_k_category_rate_ratio", "vs best-served"),
    ("category_slot_share", "Share of top-{k} slots"),
    ("mean_best_rank", "Mean best rank"),
)
OUTCOME_COLUMNS = (
    ("hit_rate", "Hit rate"),
    ("hit_rate_ratio", "vs best-served"),
    ("precision_at_k", "Precision@{k}"),
    ("recall_at_k", "Recall@{k}"),
    ("ndcg_at_k", "NDCG@{k}"),
)
ITEM_COLUMNS = (
    ("pool_share", "Pool share"),
    ("top_k_share", "Top-{k} share"),
    ("exposure_share", "Exposure share"),
    ("exposure_to_pool_ratio", "Exposure / pool"),
    ("skew_at_k", "Skew@{k}"),
    ("merit_share", "Merit share"),
    ("exposure_to_merit_ratio", "Exposure / merit"),
)

INTRO = {
    "html": (
        "A recommendation reaches a person only through their own list, so every rate here is a "
        "share of users (or, for the items, of the attention the top {k} gives): “offered in "
        "top {k}” is the share of a group's users with at least one item of the category among "
        "their first {k}; “vs best-served” divides it by the best-served group's. Exposure "
        "weighs rank r by 1/log2(1 + r), as DCG does (Singh & Joachims 2018). Intervals are "
        "{level} bootstrap intervals that resample users, never rows."
    ),
    "markdown": (
        "A recommendation reaches a person only through their own list, so every rate here is a "
        'share of users (or, for the items, of the attention the top {k} gives): "offered in '
        "top {k}\" is the share of a group's users with at least one item of the category among "
        'their first {k}; "vs best-served" divides it by the best-served group\'s. Exposure '
        "weighs rank r by 1/log2(1 + r), as DCG does (Singh & Joachims 2018). Intervals in "
        "brackets are {level} bootstrap intervals that resample users, never rows. Charts are "
        "in the HTML version."
    ),
}
COARSENED_NOTE = (
    "Some statistics took so many different values that, for the intervals only, users were "
    "grouped into {levels} levels of each; the point estimates are exact."
)


class _Context(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RankingRowContext(_Context):
    group: str = Field(description="Group label.")
    suppressed: bool = Field(description="True: too few users or items; no figures shown.")
    n: str = Field(description="Users (items for the item side), formatted; '' if suppressed.")
    note: str = Field(description="Reference group, unknown group, or why suppressed.")
    cells: list[Cell] = Field(description="One cell per column; empty when suppressed.")


class RankingTableContext(_Context):
    anchor: str = Field(description="HTML id for links.")
    heading: str = Field(description="What the table is about, e.g. 'leadership, by sex'.")
    caption: str = Field(description="Table caption, plain language.")
    unit: str = Field(description="'Users' or 'Items': what the n column counts.")
    columns: list[str] = Field(description="Column headings after the group and n.")
    rows: list[RankingRowContext]


class RankingSectionContext(_Context):
    """Context of ``_ranking.html.j2`` and ``_ranking.md.j2`` (``body`` in the partials)."""

    facts: str = Field(description="What was audited: rows, users, k, replicates.")
    category_tables: list[RankingTableContext]
    outcome_tables: list[RankingTableContext]
    item_tables: list[RankingTableContext]
    charts: list[ChartContext] = Field(description="Category rates per group (HTML only).")
    notes: list[str] = Field(description="NDKL, unknown groups, suppression, coarsening.")
    level: str = Field(description="Confidence level of the intervals, e.g. '95%'.")


def _cell(row: RankingRow | None) -> Cell:
    if row is None:
        return Cell(value="—", interval="")
    return Cell(value=format_number(row.value), interval=format_interval(row.ci_low, row.ci_high))


def _groups(summaries: list[GroupSummary], attribute: str) -> list[str]:
    return [g.group for g in summaries if g.attribute == attribute]


@dataclass(frozen=True)
class _Withheld:
    """The audit's withheld groups and the rules they fall short of, for the notes."""

    hidden: dict[tuple[str, str], str]
    rules: list[RuleResult]

    def table(self, attribute: str) -> Suppression:
        notes = {}
        for (name, group), why in self.hidden.items():
            if name != attribute:
                continue
            note = COMPLEMENTARY_NOTE if why == COMPLEMENTARY else SMALL_NOTE
            failing = [r.title for r in self.rules if (attribute, group) in set(r.shortfalls)]
            if failing:
                note += "; " + FALLS_SHORT_NOTE.format(rules="; ".join(failing))
            notes[group] = note
        return Suppression(notes)


def _table(
    evidence: RankingEvidence,
    *,
    attribute: str,
    category: str | None,
    columns: tuple[tuple[str, str], ...],
    summaries: list[GroupSummary],
    heading: str,
    caption: str,
    unit: str,
    withheld: _Withheld,
) -> tuple[RankingTableContext | None, Suppression]:
    groups = _groups(summaries, attribute)
    index = {(g.attribute, g.group): g for g in summaries}
    hidden = withheld.table(attribute)
    rows_by = {
        (r.group, r.metric): r
        for r in evidence.rows()
        if r.attribute == attribute and r.category == category and r.group != ALL_GROUPS
    }
    present = [m for m, _ in columns if any(metric == m for _, metric in rows_by)]
    if not present:
        return None, hidden
    labels = [label.format(k=evidence.k) for m, label in columns if m in present]
    reference = evidence.reference(present[0], attribute, category)
    rows = []
    for group in groups:
        if group in hidden:
            rows.append(
                RankingRowContext(
                    group=group, suppressed=True, n="", note=hidden.notes[group], cells=[]
                )
            )
            continue
        summary = index[(attribute, group)]
        note = "best-served" if group == reference and reference else ""
        if group == UNKNOWN_GROUP:
            note = "attribute not recorded; not compared"
        rows.append(
            RankingRowContext(
                group=group,
                suppressed=False,
                n="" if summary.n is None else f"{summary.n:,}",
                note=note,
                cells=[_cell(rows_by.get((group, m))) for m in present],
            )
        )
    table = RankingTableContext(
        anchor=anchor(f"ranking {heading}"),
        heading=heading,
        caption=caption,
        unit=unit,
        columns=labels,
        rows=rows,
    )
    return table, hidden


def _chart(
    evidence: RankingEvidence, attribute: str, hidden: Suppression, level: str
) -> ChartContext | None:
    series = []
    for category in evidence.categories:
        points = [
            ChartPoint(r.group, r.value, r.ci_low, r.ci_high)
            for r in evidence.find("top_k_category_rate", category=category, attribute=attribute)
            if r.value is not None and r.group not in hidden
        ]
        if points:
            series.append(ChartSeries(category, points))
    if not series:
        return None
    k = evidence.k
    title = f"Share of users offered each category in their top {k}, by {attribute}"
    svg = grouped_bars_svg(
        series,
        title=title,
        panel_title=f"Offered in the top {k}, by {attribute}",
        value_label=f"Share of users (bars: {level} interval)",
    )
    alt = (
        f"Bar chart of the share of each {attribute} group's users with at least one item of "
        f"each category ({', '.join(s.label for s in series)}) in their top {k}, with error bars "
        f"for the {level} intervals." + (" Suppressed groups are not drawn." if hidden else "")
    )
    return ChartContext(attribute=attribute, svg=svg, alt=alt)


def _facts(evidence: RankingEvidence) -> str:
    n_boot = evidence.settings.get("n_boot")
    replicates = f"{n_boot:,} bootstrap replicates" if isinstance(n_boot, int) else "no intervals"
    return (
        f"{evidence.n_rows:,} recommendations to {evidence.n_users:,} users (lists); the top "
        f"{evidence.k} of each list audited; {replicates} resampling users."
    )


def _notes(evidence: RankingEvidence, any_hidden: bool, rule: DisclosureRule) -> list[str]:
    notes = []
    ndkl = evidence.find("ndkl")
    if ndkl and ndkl[0].value is not None:
        row = ndkl[0]
        interval = format_interval(row.ci_low, row.ci_high)
        notes.append(
            f"NDKL of the lists by {row.attribute}: {format_number(row.value)}"
            + (f" (interval {interval})" if interval else "")
            + "; 0 when every top of a list mirrors its pool, larger when groups are "
            "over- or under-represented near the top (Geyik et al. 2019)."
        )
    for attribute, count in evidence.unknown_counts.items():
        if count:
            unit = "item" if attribute == evidence.item_attribute else "user"
            notes.append(
                f"{count_of(count, unit)} had no recorded {attribute}; they are shown as the group "
                f"“{UNKNOWN_GROUP}” and are not compared."
            )
    if any_hidden:
        notes.append(suppression_note(rule))
    elif required_note(rule):
        notes.append(required_note(rule))
    levels = evidence.settings.get("coarsened_levels")
    if isinstance(levels, int):
        notes.append(COARSENED_NOTE.format(levels=levels))
    return notes


def ranking_body(
    evidence: RankingEvidence,
    *,
    with_charts: bool,
    disclosure: DisclosureRule | None = None,
    rules: list[RuleResult] | None = None,
) -> RankingSectionContext:
    """Tables (and charts) of one ranking audit, small groups' figures withheld by the
    disclosure rule (and still marked when they fall short of a rule)."""
    rule = disclosure or DisclosureRule()
    withheld = _Withheld(
        hidden=dict(ranking_hidden_groups(evidence, rule)), rules=list(rules or [])
    )
    confidence = evidence.settings.get("confidence_level")
    level = percent_label(confidence if isinstance(confidence, float) else None)
    category_tables, outcome_tables, item_tables, charts = [], [], [], []
    any_hidden = False
    for category in evidence.categories:
        for attribute in evidence.attributes:
            table, hidden = _table(
                evidence,
                attribute=attribute,
                category=category,
                columns=CATEGORY_COLUMNS,
                summaries=evidence.groups,
                heading=f"{category}, by {attribute}",
                caption=f"Users of each {attribute} group offered '{category}' in their top "
                f"{evidence.k}, with {level} intervals.",
                unit="Users",
                withheld=withheld,
            )
            any_hidden = any_hidden or bool(hidden)
            if table is not None:
                category_tables.append(table)
    for attribute in evidence.attributes:
        table, hidden = _table(
            evidence,
            attribute=attribute,
            category=None,
            columns=OUTCOME_COLUMNS,
            summaries=evidence.groups,
            heading=f"outcomes, by {attribute}",
            caption=f"Positive outcomes in the top {evidence.k} for each {attribute} group, "
            f"with {level} intervals.",
            unit="Users",
            withheld=withheld,
        )
        any_hidden = any_hidden or bool(hidden)
        if table is not None:
            outcome_tables.append(table)
        chart = _chart(evidence, attribute, hidden, level) if with_charts else None
        if chart is not None:
            charts.append(chart)
    if evidence.item_attribute is not None:
        table, hidden = _table(
            evidence,
            attribute=evidence.item_attribute,
            category=None,
            columns=ITEM_COLUMNS,
            summaries=evidence.item_groups,
            heading=f"items, by {evidence.item_attribute}",
            caption=f"Who is shown: each {evidence.item_attribute} group's share of the pool, "
            f"of the top {evidence.k} and of its exposure, with {level} intervals.",
            unit="Items",
            withheld=withheld,
        )
        any_hidden = any_hidden or bool(hidden)
        if table is not None:
            item_tables.append(table)
    return RankingSectionContext(
        facts=_facts(evidence),
        category_tables=category_tables,
        outcome_tables=outcome_tables,
        item_tables=item_tables,
        charts=charts,
        notes=_notes(evidence, any_hidden, rule),
        level=level,
    )


def ranking_section(evidence: RankingEvidence, inputs: SectionInputs) -> SectionContext | None:
    body = ranking_body(
        evidence,
        with_charts=inputs.fmt == "html",
        disclosure=inputs.disclosure,
        rules=inputs.rules,
    )
    if not (body.category_tables or body.outcome_tables or body.item_tables):
        return None
    return SectionContext(
        kind="ranking",
        title="Recommendations and rankings: who is served, who is shown",
        anchor="ranking",
        intro=INTRO[inputs.fmt].format(level=body.level, k=evidence.k),
        html_partial="_ranking.html.j2",
        markdown_partial="_ranking.md.j2",
        body=body,
    )


register_report_section(RankingEvidence, ranking_section)

# The terms of this section a board member may not know, for the glossary of every document
# that uses them (definitions after Järvelin & Kekäläinen 2002, Singh & Joachims 2018 and
# Geyik et al. 2019).
for _term in (
    Term(
        "Best-served group",
        "The group with the highest rate, with which every other group is compared.",
        ("best-served",),
    ),
    Term(
        "Hit rate",
        "The share of a group's users with at least one item they went on to take up (for "
        "example, enrolled on) among the first items recommended to them.",
        ("hit rate",),
    ),
    Term(
        "Precision and recall at k",
        "Of the first k items recommended to a user, the share they went on to take up "
        "(precision); of all the items they took up, the share that were among those k (recall). "
        "Both are averaged over each group's users.",
        ("precision@", "recall@"),
    ),
    Term(
        "NDCG",
        "Normalised discounted cumulative gain: how near the top of a user's list the items "
        "they took up appear, from 0 to 1 (all of them first).",
        ("ndcg",),
    ),
    Term(
        "Exposure",
        "The attention an item gets from its place in a list: the first place counts most, "
        "later places less and less (weight 1 / log2(1 + rank)).",
        ("exposure",),
    ),
    Term(
        "NDKL",
        "Normalised discounted Kullback-Leibler divergence: how far the mix of groups at the "
        "top of the lists is from the mix of the whole pool; 0 when the top mirrors the pool.",
        ("ndkl",),
    ),
):
    register_term(_term)
