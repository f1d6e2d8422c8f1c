"""The model card as a page: the governance block (who answers for the model, its risk tier,
oversight, contact and appeal route, its audit history with verdicts), then the sections of
Mitchell et al. (2019) and the governance sections, and the measured results by group and
intersection (from the latest audit, or the card's own stored analyses).

Sources: the register's governance metadata, the team's card (YAML) and the latest audit; a fact
the register holds is shown from the register, otherwise from the card."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern import __version__
from govern.disclosure import redact
from govern.evidence import kind_of
from govern.evidence.fairness import FairnessEvidence, GroupSummary
from govern.model_cards.card import ModelCard
from govern.model_cards.context import CardSectionContext, ModelCardContext, SectionContext
from govern.model_cards.format import anchor, generated_at, purpose_label, stamp
from govern.model_cards.glossary import render_with_glossary
from govern.model_cards.history import history_context
from govern.model_cards.report import verdict_words
from govern.model_cards.sections import report_sections
from govern.model_cards.sections.fairness import fairness_body, impact_threshold
from govern.model_cards.templating import Format, stylesheet, template_name
from govern.results import INTERSECTION_SEPARATOR
from govern.vocabulary import DEPLOYMENT_WORDS, OVERSIGHT_WORDS

if TYPE_CHECKING:
    from govern.metadata import GovernanceMetadata
    from govern.results import AuditHistoryEntry, AuditResult

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


def governance_block(card: ModelCard, metadata: GovernanceMetadata | None) -> list[tuple[str, str]]:
    """Who answers for the model and how people can contest it: the register's facts, else the
    card's, else "Not documented."."""
    documented = card.documentation_fields()

    def either(register: str | None, card_key: str) -> str:
        return register or documented.get(card_key, "") or NOT_DOCUMENTED

    meta = metadata
    rows = [
        ("Purpose", purpose_label(meta.purpose) if meta else NOT_DOCUMENTED),
        ("Owner", either(meta.owner if meta else None, "model_details.owner")),
        (
            "Accountable executive",
            either(
                meta.accountable_executive if meta else None, "accountability.accountable_executive"
            ),
        ),
        ("Risk tier", either(meta.risk_tier if meta else None, "risk_management.risk_tier")),
        (
            "Human oversight",
            either(
                OVERSIGHT_WORDS.get(meta.human_oversight) if meta else None,
                "human_oversight.measures",
            ),
        ),
        ("Contact", either(meta.contact if meta else None, "accountability.contact")),
        (
            "How to appeal",
            either(meta.appeal_route if meta else None, "accountability.appeal_route"),
        ),
    ]
    if meta is not None:
        rows.append(("Status", DEPLOYMENT_WORDS.get(meta.deployment_status, "")))
        if meta.vendor:
            rows.append(("Supplier", meta.vendor))
    return rows


def _measured_sections(audit: AuditResult, fmt: Format) -> list[SectionContext]:
    """The audit's sections other than fairness (which is the card's own quantitative
    analyses): what the model reads and what drives it, recommendations and rankings, ..."""
    sections = report_sections(
        audit.evidence,
        fmt,
        disclosure=audit.disclosure,
        rules=audit.policy.rules if audit.policy is not None else [],
    )
    return [s for s in sections if s.kind != kind_of(FairnessEvidence)]


def model_card_context(
    card: ModelCard,
    audit: AuditResult | None = None,
    *,
    fmt: Format = "html",
    metadata: GovernanceMetadata | None = None,
    history: list[AuditHistoryEntry] | None = None,
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
    rules = audit.policy.rules if audit is not None and audit.policy is not None else []
    context = ModelCardContext(
        title=f"Model card: {details.name}",
        css=stylesheet(),
        model_version=details.version,
        summary=details.description or NOT_DOCUMENTED,
        missing_count=missing,
        governance=governance_block(card, metadata),
        sections=sections,
        fairness=fairness if fairness.tables else None,
        measured=_measured_sections(audit, fmt) if audit is not None else [],
        audit_status=audit_status,
        history=history_context(
            list(history or []),
            current_run_id=audit.model.run_id if audit is not None and audit.model else None,
            with_chart=fmt == "html",
            threshold=impact_threshold(rules),
        ),
        glossary=[],  # filled by render_with_glossary from the words the card uses
        generated_at=stamp(generated_at()),
        govern_version=__version__,
    )
    return context


def render_model_card(
    card: ModelCard,
    audit: AuditResult | None = None,
    *,
    fmt: Format = "html",
    metadata: GovernanceMetadata | None = None,
    history: list[AuditHistoryEntry] | None = None,
) -> str:
    """The model card as a self-contained HTML page or Markdown.

    Every section of Mitchell et al. (2019) and the governance sections are shown; an empty
    field reads "Not documented." so gaps are visible. With an audit, the quantitative analyses
    come from its fairness evidence (small groups suppressed) and its verdict is summarised;
    with the register's ``metadata`` the governance block shows the register's facts; with a
    ``history`` of audits, the card lists them with their verdicts.

    Examples
    --------
    >>> from govern.model_cards.card import ModelCard, ModelDetails
    >>> card = ModelCard(model_details=ModelDetails(name="cv-screening"))
    >>> "# Model card: cv-screening" in render_model_card(card, fmt="markdown")
    True
    """
    context = model_card_context(card, audit, fmt=fmt, metadata=metadata, history=history)
    return render_with_glossary(template_name("model_card", fmt), context)
