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
    severity_label: str = Field(description="What the rule's severity means, in words.")
    verdict: str = Field(description="The badge: pass, fail, warning (a non-blocking failure), ...")
    verdict_label: str = Field(description="Verdict in plain words ('Not enough data').")
    sentence: str = Field(description="The one-sentence finding written by the evaluator.")
    groups: str = Field(description="Every group that falls short, named, or ''.")
    to_conclude: str = Field(description="What would settle an unchecked rule, or ''.")
    measured: str = Field(description="Value and interval, or '' when the rule measures none.")
    requirement: str = Field(
        description="What was required, in words ('Impact ratio at least 0.8'), or ''."
    )
    references: str = Field(description="The rule's legal or policy sources, or ''.")
    waiver: str = Field(description="Waiver in force (who approved, until when), or ''.")


class RuleGroupContext(_Context):
    """The rules that came to one outcome (failed, could not be checked, ...)."""

    outcome: str = Field(
        description="fail, insufficient_data, warning, waived, pass or not_applicable."
    )
    heading: str
    anchor: str
    intro: str = Field(description="What this outcome means, one sentence.")
    folded: bool = Field(description="True: shown folded away (HTML) or as a list (Markdown).")
    rules: list[RuleRowContext]


class FindingContext(_Context):
    """One rule the executive summary names: what it found and for whom."""

    title: str
    sentence: str
    groups: str = Field(description="Every group that falls short, named, or ''.")
    to_conclude: str = Field(description="What would settle it, or ''.")


class WaiverContext(_Context):
    title: str = Field(description="The waived rule.")
    approver: str
    until: str = Field(description="Expiry date (ISO).")
    expired: bool
    justification: str


class SummaryContext(_Context):
    """The executive summary: what failed or could not be checked, for whom, what it means,
    what was waived, and what to do next."""

    failures: list[FindingContext]
    unknowns: list[FindingContext]
    warnings: list[FindingContext]
    waivers: list[WaiverContext]
    meaning: str = Field(description="What the outcome means for the people affected.")
    next_steps: list[str]


class HistoryRowContext(_Context):
    version: str
    audited_at: str
    policy: str = Field(description="'name version', or ''.")
    verdict: str = Field(description="pass, fail, inconclusive or no_policy (for styling).")
    verdict_label: str
    blocking: str = Field(description="Blocking rules failed and not checked, in words.")
    parity: str = Field(description="Demographic parity ratio per attribute, or ''.")
    current: bool = Field(description="True for the audit this document is about.")


class HistoryContext(_Context):
    """The model's audits across versions, oldest first, with a trend chart."""

    summary: str = Field(description="The trend in one sentence.")
    rows: list[HistoryRowContext]
    chart: ChartContext | None = Field(description="Parity ratios across audits (HTML only).")


class GlossaryEntryContext(_Context):
    term: str
    definition: str


class ProvenanceContext(_Context):
    govern_version: str
    generated_at: str = Field(description="When this document was generated (SOURCE_DATE_EPOCH).")
    audited_at: str = Field(description="When the audit ran.")
    data_sha256: str
    data: str = Field(description="The data in words: file, rows and columns.")
    policy_name: str = Field(description="Policy name, or '' when none was applied.")
    policy_version: str
    policy_sha256: str
    evaluated_on: str
    model: str = Field(description="'name version N', or 'no registered model (data audit)'.")
    run_id: str = Field(description="The MLflow run that recorded the audit, or ''.")
    trail: str = Field(description="How the audit's trail record is found and checked, or ''.")
    disclosure: str = Field(description="Who the document is for and what it withholds.")


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
    subtitle: str = Field(description="Model, version, audit date and policy, one line.")
    css: str = Field(description="The stylesheet, inlined so the page is self-contained.")
    status: str = Field(description="pass, fail, inconclusive or no_policy.")
    verdict_heading: str = Field(description="The verdict in a few words.")
    verdict_sentence: str = Field(description="The verdict in one plain-language paragraph.")
    summary: SummaryContext | None = Field(
        description="The executive summary, or None when no policy was applied."
    )
    counts: list[str] = Field(description="'3 passed', '1 failed', ... in a fixed order.")
    rule_groups: list[RuleGroupContext] = Field(
        description="The rules grouped by outcome: failures and unchecked rules first."
    )
    sections: list[SectionContext] = Field(
        description="One section per evidence kind shown (govern.model_cards.sections)."
    )
    history: HistoryContext | None = Field(description="The model's audit history, or None.")
    provenance: ProvenanceContext
    glossary: list[GlossaryEntryContext] = Field(description="The technical terms used.")


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
    governance: list[tuple[str, str]] = Field(
        description="(label, text): owner, accountable executive, risk tier, oversight, "
        "contact and appeal route, from the register and the card."
    )
    sections: list[CardSectionContext]
    fairness: FairnessSectionContext | None = Field(
        description="Measured results by group (the quantitative analyses), or None."
    )
    measured: list[SectionContext] = Field(
        description="The latest audit's other sections (transparency, recommendations and "
        "rankings, ...), shown after the quantitative analyses."
    )
    audit_status: str = Field(description="Plain sentence about the latest audit, or ''.")
    history: HistoryContext | None = Field(description="Audits across versions, or None.")
    glossary: list[GlossaryEntryContext]
    generated_at: str
    govern_version: str


class RegisterRowContext(_Context):
    """One model in the public algorithm register."""

    name: str
    anchor: str
    governed: bool = Field(description="False: registered without governance metadata.")
    purpose: str
    subjects: str
    risk_tier: str
    owner: str
    accountable: str
    deployment: str
    oversight: str = Field(description="Human oversight, in words.")
    contact: str
    appeal_route: str
    version: str = Field(
        description="The version shown (the production alias, else the latest), or ''."
    )
    verdict: str = Field(description="pass, fail, inconclusive, no_policy or never (styling).")
    verdict_label: str
    audited_at: str = Field(description="Date of the last audit, or ''.")
    policy: str
    card_href: str = Field(description="Relative link to the model card, or ''.")
    report_href: str = Field(description="Relative link to the latest report, or ''.")
    note: str = Field(description="Why documents are missing, or ''.")


class RegisterPageContext(_Context):
    """Context of ``register.html.j2`` and ``register.md.j2``: the public algorithm register."""

    title: str
    css: str
    intro: str
    counts: str = Field(description="How many models, governed and not, in words.")
    rows: list[RegisterRowContext]
    disclosure: str = Field(description="What the register and its documents withhold.")
    glossary: list[GlossaryEntryContext]
    generated_at: str
    govern_version: str
