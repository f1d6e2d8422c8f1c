"""The compliance report of one audit, for an oversight board (HTML and Markdown).

The verdict comes first in plain language (passed, did not pass, or inconclusive: never a
"passed" that hides a rule that could not be checked), then every rule with its one-sentence
finding, then one section per evidence kind (:mod:`govern.model_cards.sections`), then the
provenance. Rendering only reads results: it never computes a metric or decides a verdict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern.disclosure import redact
from govern.model_cards.context import ProvenanceContext, ReportContext, RuleRowContext
from govern.model_cards.format import (
    COUNT_LABELS,
    VERDICT_LABELS,
    format_interval,
    format_number,
    generated_at,
    percent_label,
    stamp,
)
from govern.model_cards.sections import report_sections
from govern.model_cards.templating import Format, render_template, stylesheet, template_name
from govern.results import AuditResult, RuleResult

if TYPE_CHECKING:
    from govern.model_cards.card import ModelCard

HEADING_PASSED = "Passed"
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
        other = " other" if named_unknowns else ""
        caveat += (
            f" {unknown}{other} rule(s) could not be checked for lack of data; that is not a pass."
        )
    if warnings:
        caveat += f" {len(warnings)} non-blocking rule(s) raised a warning."
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
            f"{len(policy.blocking_failures)} blocking rule(s) failed ({names}). It should not be "
            f"used for decisions about people until this is resolved or formally waived.{caveat}",
        )
    if policy.status == "inconclusive":
        names = "; ".join(r.title for r in policy.blocking_unknowns)
        caveat = _caveats(audit, named_unknowns=len(policy.blocking_unknowns))
        return (
            HEADING_INCONCLUSIVE,
            f"It is not known whether {subject[0].lower()}{subject[1:]} meets the policy "
            f"“{policy.policy_name}”: {len(policy.blocking_unknowns)} blocking rule(s) could not "
            f"be checked ({names}). That is not a pass: the rules below say what evidence would "
            f"settle each one.{caveat}",
        )
    caveat = _caveats(audit)
    return (
        HEADING_PASSED,
        f"{subject} met every blocking rule of the policy “{policy.policy_name}”.{caveat}",
    )


def _measured(rule: RuleResult, level: str) -> str:
    if rule.value is None:
        return ""
    whole = rule.comparison is not None and rule.comparison.split(" ")[0].endswith(
        ("_days", "_count")
    )
    if whole:
        return f"{rule.value:,.0f}"
    measured = format_number(rule.value)
    interval = format_interval(rule.ci_low, rule.ci_high)
    return f"{measured} ({level} interval {interval})" if interval else measured


def _rule_row(rule: RuleResult, level: str) -> RuleRowContext:
    requirement = rule.comparison or (
        f"threshold {format_number(rule.threshold)}" if rule.threshold is not None else ""
    )
    waiver = ""
    if rule.waiver is not None:
        waiver = (
            f"waived by {rule.waiver.approver} until {rule.waiver.expires.isoformat()}"
            + (" (expired)" if rule.waiver.expired else "")
            + f": {rule.waiver.justification}"
        )
    sentence = rule.sentence
    if rule.verdict == "insufficient_data" and rule.to_conclude:
        sentence += f" To settle it: {rule.to_conclude}"
    if rule.verdict == "insufficient_data" and rule.on_insufficient_data != "block":
        sentence += " " + OPTED_OUT[rule.on_insufficient_data]
    return RuleRowContext(
        rule_id=rule.rule_id,
        title=rule.title,
        severity=rule.severity,
        verdict=rule.verdict,
        verdict_label=VERDICT_LABELS.get(rule.verdict, rule.verdict),
        sentence=sentence,
        measured=_measured(rule, level),
        requirement=requirement,
        waiver=waiver,
    )


def _provenance(audit: AuditResult) -> ProvenanceContext:
    policy = audit.policy
    model = "no registered model (data audit)"
    if audit.model is not None:
        model = audit.model.name + (
            f" version {audit.model.version}" if audit.model.version else ""
        )
    return ProvenanceContext(
        govern_version=audit.govern_version,
        generated_at=stamp(generated_at()),
        audited_at=stamp(audit.created_at),
        data_sha256=audit.data.sha256,
        data_rows=f"{audit.data.n_rows:,}",
        data_columns=f"{len(audit.data.columns):,}",
        data_source=audit.data.source or "not recorded",
        policy_name=policy.policy_name if policy else "",
        policy_version=policy.policy_version if policy else "",
        policy_sha256=policy.policy_sha256 if policy else "",
        evaluated_on=policy.evaluated_on.isoformat() if policy else "",
        model=model,
    )


def _confidence_level(audit: AuditResult) -> str:
    from govern.evidence.fairness import FairnessEvidence

    fairness = audit.evidence.get(FairnessEvidence)
    level = fairness.settings.get("confidence_level") if fairness is not None else None
    return percent_label(level if isinstance(level, float) else None)


def report_context(
    audit: AuditResult, *, card: ModelCard | None = None, fmt: Format = "html"
) -> ReportContext:
    """Everything the compliance report shows, aggregated and suppressed, as a typed context."""
    audit = redact(audit)  # whatever the caller passes, only publishable figures are shown
    heading, sentence = verdict_words(audit)
    rules = audit.policy.rules if audit.policy is not None else []
    counts = [
        f"{sum(r.verdict == verdict for r in rules)} {COUNT_LABELS[verdict]}"
        for verdict in COUNT_LABELS
        if any(r.verdict == verdict for r in rules)
    ]
    if card is not None:
        name = card.model_details.name
    elif audit.model is not None:
        name = audit.model.name
    else:
        name = f"decisions in {audit.data.source or 'the audited data'}"
    level = _confidence_level(audit)
    return ReportContext(
        title=f"Compliance report: {name}",
        css=stylesheet(),
        status=audit.status,
        verdict_heading=heading,
        verdict_sentence=sentence,
        counts=counts,
        rules=[_rule_row(r, level) for r in rules],
        sections=report_sections(
            audit.evidence,
            fmt,
            disclosure=audit.disclosure,
            rules=audit.policy.rules if audit.policy is not None else [],
        ),
        provenance=_provenance(audit),
    )


def render_report(
    audit: AuditResult, *, card: ModelCard | None = None, fmt: Format = "html"
) -> str:
    """The compliance report of one audit, for an oversight board.

    The verdict comes first in plain language, then each rule with its one-sentence finding,
    a section per evidence kind (fairness tables with intervals and charts with error bars,
    HTML only, inline SVG), and provenance (data fingerprint, policy hash, govern version,
    generation time). Groups too small to report are shown as suppressed. The HTML is
    self-contained.

    Parameters
    ----------
    audit : AuditResult
        The audit to report.
    card : ModelCard, optional
        The model's card; its name titles the report.
    fmt : {"html", "markdown"}
        Output format.

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
    return render_template(name, report_context(audit, card=card, fmt=fmt))
