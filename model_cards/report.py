"""The compliance report of one audit, for an oversight board (HTML and Markdown).

In reading order: the executive summary in plain language (the verdict, passed, did not pass or
inconclusive, never a "passed" that hides a rule that could not be checked; what failed or could
not be checked and for whom; what it means for the people affected; what was waived; what to do
next), the rules grouped by outcome (failures and unchecked rules first, not-applicable ones
folded away), one section per evidence kind (:mod:`govern.model_cards.sections`), the model's
audit history, the provenance, and a glossary of the technical terms that remain. Rendering
only reads results: it never computes a metric or decides a verdict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern.disclosure import redact
from govern.evidence.fairness import FairnessEvidence
from govern.model_cards.context import (
    ProvenanceContext,
    ReportContext,
    RuleGroupContext,
    RuleRowContext,
)
from govern.model_cards.format import (
    RULE_LABELS,
    count_of,
    format_interval,
    format_number,
    generated_at,
    is_whole_number_measure,
    percent_label,
    requirement_words,
    rule_badge,
    rule_counts,
    stamp,
)
from govern.model_cards.glossary import render_with_glossary
from govern.model_cards.history import history_context
from govern.model_cards.sections import report_sections
from govern.model_cards.sections.fairness import impact_threshold
from govern.model_cards.summary import executive_summary, groups_words
from govern.model_cards.templating import Format, stylesheet, template_name
from govern.results import AuditHistoryEntry, AuditResult, DisclosureRule, RuleResult

if TYPE_CHECKING:
    from govern.model_cards.card import ModelCard

HEADING_PASSED = "Passed"
HEADING_PASSED_WARNINGS = "Passed, with warnings"
HEADING_FAIL = "Did not pass"
HEADING_INCONCLUSIVE = "Inconclusive"
HEADING_NO_POLICY = "No policy applied"
# Said of a rule the policy opted out of "unknown keeps the policy inconclusive".
OPTED_OUT = {
    "warn": "The policy counts this rule as a warning when it lacks evidence "
    "(on_insufficient_data: warn), so it does not keep the policy inconclusive.",
    "pass": "The policy lets this rule through when it lacks evidence "
    "(on_insufficient_data: pass), so it does not keep the policy inconclusive.",
}

SEVERITY_LABELS = {
    "blocking": "blocking rule",
    "warning": "warning only",
    "info": "for information",
}
# The outcomes rules are grouped by, in reading order: what needs action first.
RULE_GROUPS: tuple[tuple[str, str, str, bool], ...] = (
    (
        "fail",
        "Blocking rules not met",
        "The model must not be used until they are met or waived.",
        False,
    ),
    (
        "insufficient_data",
        "Could not be checked",
        "The evidence was missing or rested on too few people; an unchecked rule is not a pass.",
        False,
    ),
    (
        "warning",
        "Warnings",
        "Rules that failed without blocking use: the owner should review them.",
        False,
    ),
    ("waived", "Waived", "Failing rules with a time-limited, approved exception.", False),
    ("pass", "Met", "Rules that held.", False),
    (
        "not_applicable",
        "Not applicable",
        "Rules outside this model's scope (a date not yet reached, another purpose or risk tier).",
        True,
    ),
)
DATA_IN_MEMORY = "{rows} and {columns}, given to govern in memory (no file name)"
DATA_FROM_FILE = "{source}: {rows} and {columns}"
TRAIL_NOTE = (
    "The audit trail's record of this audit holds the SHA-256 of its audit.json, {sha}; the "
    "command govern verify checks that the trail has not been altered since."
)
DISCLOSURE_PUBLIC = (
    "Published for everyone: figures of groups with fewer than {size} people are withheld."
)
DISCLOSURE_INTERNAL = (
    "For the organisation and its oversight board: figures of groups with fewer than {size} "
    "people are withheld."
)
DISCLOSURE_REQUIRED = "Every group's figures are shown because {law} requires it."


def _subject(audit: AuditResult) -> str:
    if audit.model is None:
        return "The decisions audited"
    version = f" (version {audit.model.version})" if audit.model.version else ""
    return f"The model “{audit.model.name}”{version}"


def _caveats(audit: AuditResult, *, named_unknowns: int = 0) -> str:
    """What else the reader must know: rules not checked (beyond ``named_unknowns`` already
    named in the headline) and warnings."""
    assert audit.policy is not None
    unknown = sum(r.verdict == "insufficient_data" for r in audit.policy.rules) - named_unknowns
    warnings = [r for r in audit.policy.rules if r.severity != "blocking" and r.verdict == "fail"]
    caveat = ""
    if unknown:
        other = "other " if named_unknowns else ""
        caveat += (
            f" {count_of(unknown, other + 'rule')} could not be checked for lack of data; that is "
            "not a pass."
        )
    if warnings:
        caveat += f" {count_of(len(warnings), 'non-blocking rule')} raised a warning."
    return caveat


def verdict_words(audit: AuditResult) -> tuple[str, str]:
    """The verdict as a heading and one plain paragraph."""
    policy = audit.policy
    subject = _subject(audit)
    if policy is None:
        return (
            HEADING_NO_POLICY,
            "No policy was applied, so this report shows what was measured about "
            f"{subject[0].lower()}{subject[1:]} without a verdict on whether it is acceptable.",
        )
    if policy.status == "fail":
        caveat = _caveats(audit)
        names = "; ".join(r.title for r in policy.blocking_failures)
        return (
            HEADING_FAIL,
            f"{subject} did not meet the policy “{policy.policy_name}”: "
            f"{count_of(len(policy.blocking_failures), 'blocking rule')} failed ({names}). It "
            "should not be "
            f"used for decisions about people until this is resolved or formally waived.{caveat}",
        )
    if policy.status == "inconclusive":
        names = "; ".join(r.title for r in policy.blocking_unknowns)
        caveat = _caveats(audit, named_unknowns=len(policy.blocking_unknowns))
        return (
            HEADING_INCONCLUSIVE,
            f"It is not known whether {subject[0].lower()}{subject[1:]} meets the policy "
            f"“{policy.policy_name}”: {count_of(len(policy.blocking_unknowns), 'blocking rule')} "
            "could not "
            f"be checked ({names}). That is not a pass: the rules below say what evidence would "
            f"settle each one.{caveat}",
        )
    caveat = _caveats(audit)
    warned = any(r.verdict == "fail" for r in policy.rules)
    return (
        HEADING_PASSED_WARNINGS if warned else HEADING_PASSED,
        f"{subject} met every blocking rule of the policy “{policy.policy_name}”.{caveat}",
    )


def _measured(rule: RuleResult, level: str) -> str:
    if rule.value is None:
        return ""
    measure = (rule.comparison or "").split(" ")[0]
    whole = is_whole_number_measure(measure) or (
        rule.check != "metric" and float(rule.value).is_integer() and rule.ci_low is None
    )
    if whole:
        return f"{rule.value:,.0f}"
    measured = format_number(rule.value)
    interval = format_interval(rule.ci_low, rule.ci_high)
    return f"{measured} ({level} interval {interval})" if interval else measured


def _waiver(rule: RuleResult) -> str:
    if rule.waiver is None:
        return ""
    return (
        f"waived by {rule.waiver.approver} until {rule.waiver.expires.isoformat()}"
        + (" (expired)" if rule.waiver.expired else "")
        + f": {rule.waiver.justification}"
    )


def _rule_row(rule: RuleResult, level: str, fairness: FairnessEvidence | None) -> RuleRowContext:
    requirement = requirement_words(rule.comparison) or (
        f"threshold {format_number(rule.threshold)}" if rule.threshold is not None else ""
    )
    badge = rule_badge(rule.verdict, rule.severity)
    sentence = rule.sentence
    if rule.verdict == "insufficient_data" and rule.on_insufficient_data != "block":
        sentence += " " + OPTED_OUT[rule.on_insufficient_data]
    return RuleRowContext(
        rule_id=rule.rule_id,
        title=rule.title,
        severity=rule.severity,
        severity_label=SEVERITY_LABELS.get(rule.severity, rule.severity),
        verdict=badge,
        verdict_label=RULE_LABELS.get(badge, badge),
        sentence=sentence,
        groups=groups_words(rule, fairness) if rule.verdict in ("fail", "waived") else "",
        to_conclude=(rule.to_conclude or "") if rule.verdict == "insufficient_data" else "",
        measured=_measured(rule, level),
        requirement=requirement,
        references="; ".join(rule.references),
        waiver=_waiver(rule),
    )


def rule_groups(
    rules: list[RuleResult], level: str, fairness: FairnessEvidence | None
) -> list[RuleGroupContext]:
    """The rules grouped by outcome, in :data:`RULE_GROUPS` order; empty groups left out."""
    rows = [_rule_row(rule, level, fairness) for rule in rules]
    groups = []
    for outcome, heading, intro, folded in RULE_GROUPS:
        members = [row for row in rows if row.verdict == outcome]
        if members:
            groups.append(
                RuleGroupContext(
                    outcome=outcome,
                    heading=f"{heading} ({len(members)})",
                    anchor=f"rules-{outcome.replace('_', '-')}",
                    intro=intro,
                    folded=folded,
                    rules=members,
                )
            )
    return groups


def disclosure_words(rule: DisclosureRule) -> str:
    if rule.required_by:
        return DISCLOSURE_REQUIRED.format(law=rule.required_by)
    template = DISCLOSURE_PUBLIC if rule.audience == "public" else DISCLOSURE_INTERNAL
    return template.format(size=rule.min_size)


def _provenance(audit: AuditResult, audit_sha256: str | None) -> ProvenanceContext:
    policy = audit.policy
    model = "no registered model (data audit)"
    if audit.model is not None:
        model = audit.model.name + (
            f" version {audit.model.version}" if audit.model.version else ""
        )
    sizes = {
        "rows": count_of(audit.data.n_rows, "row"),
        "columns": count_of(len(audit.data.columns), "column"),
    }
    data = (
        DATA_FROM_FILE.format(source=audit.data.source, **sizes)
        if audit.data.source
        else DATA_IN_MEMORY.format(**sizes)
    )
    recorded = audit.model is not None and audit.model.run_id and audit_sha256
    return ProvenanceContext(
        govern_version=audit.govern_version,
        generated_at=stamp(generated_at()),
        audited_at=stamp(audit.created_at),
        data_sha256=audit.data.sha256,
        data=data,
        policy_name=policy.policy_name if policy else "",
        policy_version=policy.policy_version if policy else "",
        policy_sha256=policy.policy_sha256 if policy else "",
        evaluated_on=policy.evaluated_on.isoformat() if policy else "",
        model=model,
        run_id=(audit.model.run_id or "") if audit.model is not None else "",
        trail=TRAIL_NOTE.format(sha=audit_sha256) if recorded else "",
        disclosure=disclosure_words(audit.disclosure),
    )


def _confidence_level(audit: AuditResult) -> str:
    fairness = audit.evidence.get(FairnessEvidence)
    level = fairness.settings.get("confidence_level") if fairness is not None else None
    return percent_label(level if isinstance(level, float) else None)


def _subtitle(audit: AuditResult) -> str:
    parts = []
    if audit.model is not None:
        version = f" version {audit.model.version}" if audit.model.version else ""
        parts.append(f"Model {audit.model.name}{version}")
    else:
        parts.append("Audit of recorded decisions")
    parts.append(f"audited {stamp(audit.created_at)}")
    if audit.policy is not None:
        parts.append(f"policy {audit.policy.policy_name} {audit.policy.policy_version}")
    return " · ".join(parts)


def report_context(
    audit: AuditResult,
    *,
    card: ModelCard | None = None,
    fmt: Format = "html",
    history: list[AuditHistoryEntry] | None = None,
    audit_sha256: str | None = None,
) -> ReportContext:
    """Everything the compliance report shows, aggregated and suppressed, as a typed context."""
    audit = redact(audit)  # whatever the caller passes, only publishable figures are shown
    heading, sentence = verdict_words(audit)
    rules = audit.policy.rules if audit.policy is not None else []
    counts = rule_counts([(r.verdict, r.severity) for r in rules])
    if card is not None:
        name = card.model_details.name
    elif audit.model is not None:
        name = audit.model.name
    else:
        name = f"decisions in {audit.data.source or 'the audited data'}"
    level = _confidence_level(audit)
    fairness = audit.evidence.get(FairnessEvidence)
    context = ReportContext(
        title=f"Compliance report: {name}",
        subtitle=_subtitle(audit),
        css=stylesheet(),
        status=audit.status,
        verdict_heading=heading,
        verdict_sentence=sentence,
        summary=executive_summary(audit),
        counts=counts,
        rule_groups=rule_groups(rules, level, fairness),
        sections=report_sections(audit.evidence, fmt, disclosure=audit.disclosure, rules=rules),
        history=history_context(
            list(history or []),
            current_run_id=audit.model.run_id if audit.model is not None else None,
            with_chart=fmt == "html",
            threshold=impact_threshold(rules),
        ),
        provenance=_provenance(audit, audit_sha256),
        glossary=[],  # filled by render_with_glossary from the words the document uses
    )
    return context


def render_report(
    audit: AuditResult,
    *,
    card: ModelCard | None = None,
    fmt: Format = "html",
    history: list[AuditHistoryEntry] | None = None,
    audit_sha256: str | None = None,
) -> str:
    """The compliance report of one audit, for an oversight board.

    The executive summary comes first in plain language, then the rules grouped by outcome, a
    section per evidence kind (fairness tables with intervals and charts with error bars, HTML
    only, inline SVG), the model's audit history as a trend, the provenance and a glossary.
    Groups too small to report are shown as suppressed. The HTML is self-contained (inline CSS
    and SVG, no script, a Content-Security-Policy that forbids scripts and requests).

    Parameters
    ----------
    audit : AuditResult
        The audit to report.
    card : ModelCard, optional
        The model's card; its name titles the report.
    fmt : {"html", "markdown"}
        Output format.
    history : list of AuditHistoryEntry, optional
        The model's recorded audits (this one included), for the history section.
    audit_sha256 : str, optional
        SHA-256 of the audit's ``audit.json``: the trail record's ``result_sha256``.

    Returns
    -------
    str
        The document. ``SOURCE_DATE_EPOCH`` pins its generation time.

    Examples
    --------
    >>> import datetime as dt
    >>> from govern.evidence import Evidence
    >>> from govern.results import AuditResult, DataFingerprint
    >>> audit = AuditResult(govern_version="0.1.0", created_at=dt.datetime(2026, 1, 1),
    ...     data=DataFingerprint(sha256="ab" * 32, n_rows=10, columns=["sex", "hired"]),
    ...     evidence=Evidence())
    >>> "No policy applied" in render_report(audit, fmt="markdown")
    True
    """
    name = template_name("report", fmt)  # refuses an unknown format before any work
    context = report_context(audit, card=card, fmt=fmt, history=history, audit_sha256=audit_sha256)
    return render_with_glossary(name, context)
