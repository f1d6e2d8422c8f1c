"""The evaluator: a pure function of (policy, evidence, waivers, today) to verdicts.

Policies never compute metrics; this module only reads evidence, and each rule's check kind
(:mod:`govern.policies.checks`) judges its own part of it. Unknown is never pass: a rule whose
evidence was not gathered, or is too thin, is ``insufficient_data`` (and a blocking one makes the
policy inconclusive); ``not_applicable`` is kept for rules out of scope (a date not reached, a
purpose or risk tier the rule does not cover); a waived failure is ``waived``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from govern.errors import PolicyError
from govern.evidence import Evidence
from govern.evidence.process import ProcessEvidence
from govern.policies.checks import Finding, RuleContext, check_kind
from govern.policies.checks.documentation import is_substantive
from govern.policies.schema import Policy, Rule, policy_sha256
from govern.policies.waivers import Waiver
from govern.results import PolicyResult, RuleResult, WaiverApplied
from govern.suggest import did_you_mean

__all__ = ["evaluate", "is_substantive"]

MSG_OUT_OF_SCOPE = "The rule does not apply to this model: {reason}."
MSG_POLICY_OUT_OF_SCOPE = "The policy does not apply to this model: {reason}."


def _result(rule: Rule, finding: Finding) -> RuleResult:
    return RuleResult(
        rule_id=rule.id,
        title=rule.title,
        severity=rule.severity,
        check=rule.check.kind,
        references=list(rule.references),
        on_insufficient_data=rule.on_insufficient_data,
        **finding.model_dump(),
    )


def _out_of_scope(rule: Rule, sentence: str) -> RuleResult:
    return _result(rule, Finding(verdict="not_applicable", sentence=sentence))


MSG_WAIVER_UNKNOWN_RULE = (
    "a waiver for model '{model}' names rule '{rule}', which policy '{policy}' does not "
    "have{hint}. A misspelt waiver would silently not apply: correct the rule id in the "
    "waivers file, or remove the waiver (`govern policy show {policy}` lists the rule ids)."
)


def _check_waivers_name_rules(
    policy: Policy, waivers: Sequence[Waiver], model_name: str | None
) -> None:
    """Refuse a waiver of this model for a rule the policy does not have (usually a typo)."""
    rule_ids = {rule.id for rule in policy.rules}
    for waiver in waivers:
        if waiver.model == model_name and waiver.rule not in rule_ids:
            raise PolicyError(
                MSG_WAIVER_UNKNOWN_RULE.format(
                    model=waiver.model,
                    rule=waiver.rule,
                    policy=policy.name,
                    hint=did_you_mean(waiver.rule, rule_ids),
                )
            )


def _apply_waivers(
    result: RuleResult,
    waivers: Sequence[Waiver],
    model_name: str | None,
    model_version: str | None,
    today: dt.date,
) -> RuleResult:
    matching = [w for w in waivers if w.covers(result.rule_id, model_name, model_version)]
    if not matching:
        return result
    active = sorted((w for w in matching if not w.expired_on(today)), key=lambda w: w.expires)
    expired = sorted((w for w in matching if w.expired_on(today)), key=lambda w: w.expires)
    if active and result.verdict == "fail":
        waiver = active[-1]
        applied = WaiverApplied(
            rule_id=waiver.rule,
            justification=waiver.justification,
            approver=waiver.approver,
            expires=waiver.expires,
            expired=False,
        )
        return result.model_copy(
            update={
                "verdict": "waived",
                "waiver": applied,
                "sentence": f"{result.sentence} The failure is waived until "
                f"{waiver.expires.isoformat()} by {waiver.approver}: "
                f"{waiver.justification.strip()}",
            }
        )
    if active:
        note = (
            f"a waiver by {active[-1].approver} (until {active[-1].expires.isoformat()}) "
            f"was not needed: the rule did not fail"
        )
        return result.model_copy(update={"details": [*result.details, note]})
    waiver = expired[-1]
    applied = WaiverApplied(
        rule_id=waiver.rule,
        justification=waiver.justification,
        approver=waiver.approver,
        expires=waiver.expires,
        expired=True,
    )
    update: dict[str, object] = {
        "waiver": applied,
        "details": [
            *result.details,
            f"waiver by {waiver.approver} expired on {waiver.expires.isoformat()} "
            "and was not applied",
        ],
    }
    if result.verdict == "fail":
        update["sentence"] = (
            f"{result.sentence} A waiver by {waiver.approver} expired on "
            f"{waiver.expires.isoformat()} and no longer applies."
        )
    return result.model_copy(update=update)


def judge_rule(rule: Rule, context: RuleContext) -> RuleResult:
    """One rule's verdict on the context's evidence, by the rule's check kind (no scope, no
    waivers: :func:`evaluate` applies those)."""
    return _result(rule, check_kind(rule.check.kind).judge(rule.check, context))


def evaluate(
    policy: Policy,
    evidence: Evidence,
    *,
    waivers: Sequence[Waiver] = (),
    today: dt.date,
    model_name: str | None = None,
    model_version: str | None = None,
) -> PolicyResult:
    """Judge every rule of ``policy`` on ``evidence``; pure (no clock, no I/O).

    Parameters
    ----------
    policy : Policy
        A resolved policy from ``load_policy``.
    evidence : Evidence
        What the audits measured; a rule whose evidence is absent is ``insufficient_data``.
    waivers : sequence of Waiver
        Applied to failing rules of ``model_name`` (and ``model_version``) until they expire.
    today : date
        The day of evaluation, for waiver expiry, audit age and dates of entry into force.

    Returns
    -------
    PolicyResult
        One ``RuleResult`` per rule, in the policy's order; ``status`` is pass, fail or
        inconclusive.

    Examples
    --------
    >>> import datetime as dt
    >>> from govern.policies import load_policy
    >>> from govern.evidence import Evidence
    >>> result = evaluate(load_policy("eeoc-four-fifths"), Evidence(), today=dt.date(2026, 11, 24))
    >>> {r.verdict for r in result.rules}, result.status
    ({'insufficient_data'}, 'inconclusive')
    """
    facts = evidence.get(ProcessEvidence)
    purpose = facts.purpose if facts else None
    tier = facts.risk_tier if facts else None
    policy_reason = (
        policy.applies_to.excludes(purpose=purpose, risk_tier=tier, today=today)
        if policy.applies_to
        else None
    )
    _check_waivers_name_rules(policy, waivers, model_name)
    context = RuleContext(settings=policy.settings, today=today, evidence=evidence)
    results = []
    for rule in policy.rules:
        rule_reason = (
            rule.applies_to.excludes(purpose=purpose, risk_tier=tier, today=today)
            if rule.applies_to
            else None
        )
        if policy_reason:
            result = _out_of_scope(rule, MSG_POLICY_OUT_OF_SCOPE.format(reason=policy_reason))
        elif rule_reason:
            result = _out_of_scope(rule, MSG_OUT_OF_SCOPE.format(reason=rule_reason))
        else:
            result = judge_rule(rule, context)
        results.append(_apply_waivers(result, waivers, model_name, model_version, today))
    return PolicyResult(
        policy_name=policy.name,
        policy_version=policy.version,
        policy_sha256=policy_sha256(policy),
        evaluated_on=today,
        rules=results,
    )
