"""The model card as a page: Mitchell et al. (2019) sections, the governance sections, and the
measured results by group (from the latest audit, or the card's own stored analyses)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern import __version__
from govern.disclosure import redact
from govern.evidence.fairness import FairnessEvidence, GroupSummary
from govern.model_cards.card import ModelCard
from govern.model_cards.context import CardSectionContext, ModelCardContext
from govern.model_cards.format import anchor, generated_at, stamp
from govern.model_cards.report import verdict_words
from govern.model_cards.sections.fairness import fairness_body
from govern.model_cards.templating import Format, render_template, stylesheet, template_name
from govern.results import INTERSECTION_SEPARATOR

if TYPE_CHECKING:
    from govern.results import AuditResult

NOT_DOCUMENTED = "Not documented."

CARD_SECTIONS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Model details",
        "model_details",
        (
            ("version", "Version"),
            ("owner", "Owner"),
            ("model_type", "Type of model"),
            ("date", "Date"),
            ("supplier", "Supplier"),
            ("licence", "Licence"),
        ),
    ),
    (
        "Intended use",
        "intended_use",
        (
            ("primary_uses", "Primary uses"),
            ("primary_users", "Primary users"),
            ("out_of_scope", "Out of scope"),
        ),
    ),
    (
        "Factors",
        "factors",
        (
            ("groups", "Groups examined"),
            ("instrumentation", "Instrumentation"),
            ("environment", "Environment"),
        ),
    ),
    (
        "Metrics",
        "metrics",
        (
            ("performance_measures", "Performance measures"),
            ("fairness_measures", "Fairness measures"),
            ("decision_thresholds", "Decision thresholds"),
            ("limitations", "Limitations"),
        ),
    ),
    (
        "Evaluation data",
        "evaluation_data",
        (("description", "Description"), ("preprocessing", "Preprocessing")),
    ),
    (
        "Training data",
        "training_data",
        (
            ("description", "Description"),
            ("provenance", "Provenance and original purpose"),
            ("preparation", "Preparation"),
            ("bias_examination", "Examination for bias"),
        ),
    ),
    (
        "Quantitative analyses",
        "quantitative_analysis",
        (
            ("group_performance", "Performance for groups"),
            ("accuracy_robustness", "Accuracy and robustness"),
        ),
    ),
    ("Ethical considerations", "", (("ethical_considerations", "Ethical considerations"),)),
    ("Caveats and recommendations", "", (("caveats_recommendations", "Caveats"),)),
    ("Human oversight", "human_oversight", (("measures", "Measures"),)),
    ("Explanation", "transparency", (("explanation", "How decisions are explained"),)),
    (
        "Accountability and appeals",
        "accountability",
        (
            ("accountable_executive", "Accountable executive"),
            ("contact", "Contact"),
            ("appeal_route", "How to appeal"),
        ),
    ),
    (
        "Risk",
        "risk_management",
        (("risk_tier", "Risk tier"), ("description", "Risks and mitigations")),
    ),
    (
        "Logging",
        "logging",
        (("description", "What is logged"), ("retention", "Retention")),
    ),
    ("Privacy", "privacy", (("data_protection", "Data protection"),)),
    (
        "Fundamental rights",
        "fundamental_rights",
        (("impact_assessment", "Fundamental-rights impact assessment"),),
    ),
    (
        "Bias audit",
        "bias_audit",
        (("data_source", "Audit data and why it fits"), ("distribution_date", "In use since")),
    ),
)


def _card_sections(card: ModelCard) -> tuple[list[CardSectionContext], int]:
    documented = card.documentation_fields()
    sections: list[CardSectionContext] = []
    missing = 0
    for heading, prefix, fields in CARD_SECTIONS:
        pairs: list[tuple[str, str]] = []
        for key, label in fields:
            text = documented.get(f"{prefix}.{key}" if prefix else key, "")
            if not text:
                missing += 1
            pairs.append((label, text or NOT_DOCUMENTED))
        sections.append(CardSectionContext(heading=heading, anchor=anchor(heading), fields=pairs))
    return sections, missing


def _stored_analyses(card: ModelCard) -> FairnessEvidence:
    """The card's stored per-group rows as evidence (suppressed groups by name only)."""
    analysis = card.quantitative_analysis
    rows = [*analysis.unitary, *analysis.intersectional]
    attributes = list(dict.fromkeys(row.attribute for row in rows))
    attributes.sort(key=lambda name: INTERSECTION_SEPARATOR in name)
    hidden = [
        GroupSummary(
            attribute=a, group=g, n=None, share=None, status="insufficient_data", withheld="small"
        )
        for a, g in analysis.suppressed_groups
    ]
    return FairnessEvidence(n_rows=0, attributes=attributes, metrics=rows, groups=hidden)


def model_card_context(
    card: ModelCard, audit: AuditResult | None = None, *, fmt: Format = "html"
) -> ModelCardContext:
    """Everything the model card shows, as a typed context."""
    audit = redact(audit) if audit is not None else None  # only publishable figures are shown
    sections, missing = _card_sections(card)
    measured = audit.evidence.get(FairnessEvidence) if audit is not None else None
    fairness = fairness_body(
        measured if measured is not None else _stored_analyses(card),
        with_charts=fmt == "html",
        disclosure=audit.disclosure if audit is not None else None,
        rules=audit.policy.rules if audit is not None and audit.policy is not None else [],
    )
    audit_status = ""
    if audit is not None:
        heading, sentence = verdict_words(audit)
        audit_status = f"Latest audit ({stamp(audit.created_at)}): {heading}. {sentence}"
    details = card.model_details
    return ModelCardContext(
        title=f"Model card: {details.name}",
        css=stylesheet(),
        model_version=details.version,
        summary=details.description or NOT_DOCUMENTED,
        missing_count=missing,
        sections=sections,
        fairness=fairness if fairness.tables else None,
        audit_status=audit_status,
        generated_at=stamp(generated_at()),
        govern_version=__version__,
    )


def render_model_card(
    card: ModelCard, audit: AuditResult | None = None, *, fmt: Format = "html"
) -> str:
    """The model card as a self-contained HTML page or Markdown.

    Every section of Mitchell et al. (2019) and the governance sections are shown; an empty
    field reads "Not documented." so gaps are visible. With an audit, the quantitative analyses
    come from its fairness evidence (small groups suppressed) and its verdict is summarised.

    Examples
    --------
    >>> from govern.model_cards.card import ModelCard, ModelDetails
    >>> card = ModelCard(model_details=ModelDetails(name="cv-screening"))
    >>> "# Model card: cv-screening" in render_model_card(card, fmt="markdown")
    True
    """
    context = model_card_context(card, audit, fmt=fmt)
    return render_template(template_name("model_card", fmt), context)
