"""Typed contexts of the templates: one pydantic model per template, every field described.

Templates read only these models, rendered with ``StrictUndefined``: a field a template names but
the context lacks fails loudly instead of rendering blank. Everything here is already aggregated
and already suppressed; templates never see row-level data or the counts of suppressed groups.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Context(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Cell(_Context):
    """One formatted metric value with its interval."""

    value: str = Field(description="Point estimate, formatted ('0.312'), or '—' when undefined.")
    interval: str = Field(description="Confidence interval ('0.290 to 0.334'), or ''.")


class GroupRowContext(_Context):
    group: str = Field(description="Group label.")
    suppressed: bool = Field(description="True: too few people; n and values are not shown.")
    n: str = Field(description="Number of people, formatted; '' when suppressed.")
    share: str = Field(description="Share of all records ('12.3%'); '' when suppressed or unknown.")
    note: str = Field(description="Reference group, excluded small share, or why suppressed.")
    cells: list[Cell] = Field(description="One cell per column of the table; empty if suppressed.")


class SignificanceRowContext(_Context):
    group: str
    reference: str
    test: str = Field(description="'Fisher exact test' or 'two-proportion z-test'.")
    p_value: str = Field(description="Holm-adjusted p-value, formatted.")
    significant: str = Field(description="'yes' or 'no'.")
    shortfall: str = Field(description="People short of the reference group's rate.")
    flip_flop: str = Field(description="'yes' when one person's outcome reverses the finding.")


class MeasureContext(_Context):
    """One measure outside the main table, in long form."""

    group: str = Field(description="Group label, or 'all groups' for attribute-wide measures.")
    metric: str = Field(description="Human-readable metric name.")
    value: str
    interval: str


class FairnessTableContext(_Context):
    attribute: str = Field(description="Attribute or intersection ('sex & ethnicity').")
    anchor: str = Field(description="HTML id for links.")
    caption: str = Field(description="Table caption, plain language.")
    columns: list[str] = Field(description="Human-readable metric names, one per cell.")
    rows: list[GroupRowContext]
    summaries: list[str] = Field(description="Attribute-wide results, one sentence each.")
    unknown: str = Field(description="Sentence about records with the attribute missing, or ''.")
    significance: list[SignificanceRowContext]
    other_measures: list[MeasureContext] = Field(
        description="Every other measure, long form (HTML only, folded away)."
    )


class ChartContext(_Context):
    attribute: str
    svg: str = Field(description="Inline SVG markup made by govern (trusted, self-contained).")
    alt: str = Field(description="Text alternative describing what the chart shows.")


class FairnessSectionContext(_Context):
    """Context of ``_fairness.html.j2`` and ``_fairness.md.j2`` (``body`` in the partials)."""

    tables: list[FairnessTableContext]
    charts: list[ChartContext]
    suppression_note: str = Field(description="Why some groups are suppressed, or ''.")
    level: str = Field(description="Confidence level of the intervals, e.g. '95%'.")


class RuleRowContext(_Context):
    rule_id: str
    title: str
    severity: str = Field(description="blocking, warning or info.")
    verdict: str = Field(description="Raw verdict (pass, fail, ...), used for styling.")
    verdict_label: str = Field(description="Verdict in plain words ('Not enough data').")
    sentence: str = Field(description="The one-sentence finding written by the evaluator.")
    measured: str = Field(description="Value and interval, or '' when the rule measures none.")
    requirement: str = Field(description="What was required ('impact_ratio >= 0.8'), or ''.")
    waiver: str = Field(description="Waiver in force (who approved, until when), or ''.")


class ProvenanceContext(_Context):
    govern_version: str
    generated_at: str = Field(description="When this document was generated (SOURCE_DATE_EPOCH).")
    audited_at: str = Field(description="When the audit ran.")
    data_sha256: str
    data_rows: str
    data_columns: str = Field(description="Number of columns, formatted.")
    data_source: str = Field(description="File name of the data, or 'not recorded'.")
    policy_name: str = Field(description="Policy name, or '' when none was applied.")
    policy_version: str
    policy_sha256: str
    evaluated_on: str
    model: str = Field(description="'name version N', or 'no registered model (data audit)'.")


class SectionContext(_Context):
    """One section of a document, drawn by its own partial templates."""

    kind: str = Field(description="The evidence kind the section shows.")
    title: str = Field(description="The section heading, plain language.")
    anchor: str = Field(description="HTML id of the heading.")
    intro: str = Field(description="What the section shows and how to read it, or ''.")
    html_partial: str = Field(description="Template drawing the body in HTML.")
    markdown_partial: str = Field(description="Template drawing the body in Markdown.")
    body: Any = Field(description="The partial's own typed context (a pydantic model).")


class ReportContext(_Context):
    """Context of ``report.html.j2`` and ``report.md.j2``: the compliance report."""

    title: str
    css: str = Field(description="The stylesheet, inlined so the page is self-contained.")
    status: str = Field(description="pass, fail, inconclusive or no_policy.")
    verdict_heading: str = Field(description="The verdict in a few words.")
    verdict_sentence: str = Field(description="The verdict in one plain-language paragraph.")
    counts: list[str] = Field(description="'3 passed', '1 failed', ... in a fixed order.")
    rules: list[RuleRowContext]
    sections: list[SectionContext] = Field(
        description="One section per evidence kind shown (govern.model_cards.sections)."
    )
    provenance: ProvenanceContext


class CardSectionContext(_Context):
    heading: str
    anchor: str
    fields: list[tuple[str, str]] = Field(
        description="(label, text) pairs; text is 'Not documented.' when empty."
    )


class ModelCardContext(_Context):
    """Context of ``model_card.html.j2`` and ``model_card.md.j2``."""

    title: str
    css: str
    model_version: str
    summary: str = Field(description="The model's description, or 'Not documented.'.")
    missing_count: int = Field(description="How many documentation fields are empty.")
    sections: list[CardSectionContext]
    fairness: FairnessSectionContext | None = Field(
        description="Measured results by group (the quantitative analyses), or None."
    )
    audit_status: str = Field(description="Plain sentence about the latest audit, or ''.")
    generated_at: str
    govern_version: str
