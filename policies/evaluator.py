"""The evaluator: a pure function of (policy, evidence, waivers, today) to verdicts.

Policies never compute metrics; this module only reads evidence. Unknown is not pass: a rule whose
evidence is absent is ``not_applicable``, one that cannot be judged is ``insufficient_data``, a
waived failure is ``waived``; none of them counts as ``pass``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence

from govern.errors import PolicyError
from govern.policies import sentences as say
from govern.policies.fields import REFERENCE_METRICS
from govern.policies.schema import (
    DocumentationCheck,
    MetricCheck,
    Policy,
    ProcessCheck,
    Rule,
    Settings,
    TransparencyCheck,
    did_you_mean,
    policy_sha256,
)
from govern.policies.waivers import Waiver
from govern.results import (
    ALL_GROUPS,
    INTERSECTION_SEPARATOR,
    Evidence,
    FairnessEvidence,
    MetricRow,
    PolicyResult,
    RuleResult,
    Verdict,
    WaiverApplied,
)

# Texts people leave in a template instead of an answer; such a field is not substantive.
PLACEHOLDERS = frozenset(
    {
        "todo",
        "tbd",
        "tbc",
        "tba",
        "n/a",
        "na",
        "none",
        "null",
        "-",
        "--",
        "...",
        "xxx",
        "to do",
        "to be decided",
        "to be confirmed",
        "to be completed",
        "fill in",
        "placeholder",
        "lorem ipsum",
        "unknown",
        "see above",
        "same as above",
        "?",
    }
)
_PLACEHOLDER_START = re.compile(r"^\s*(todo|tbd|tbc|fixme|xxx)\b", re.IGNORECASE)

MSG_NO_EVIDENCE = "No {part} evidence was gathered, so this rule was not checked."
MSG_OUT_OF_SCOPE = "The rule does not apply to this model: {reason}."
MSG_POLICY_OUT_OF_SCOPE = "The policy does not apply to this model: {reason}."


def _compare(value: float, comparison: str, threshold: float) -> bool:
    if comparison == ">=":
        return value >= threshold
    if comparison == ">":
        return value > threshold
    if comparison == "<=":
        return value <= threshold
    return value < threshold


def _base(rule: Rule, verdict: Verdict, sentence: str, **fields: object) -> RuleResult:
    return RuleResult(
        rule_id=rule.id,
        title=rule.title,
        severity=rule.severity,
        check=rule.check.kind,
        verdict=verdict,
        sentence=sentence,
        references=list(rule.references),
        **fields,
    )


def _attributes(check: MetricCheck, evidence: FairnessEvidence) -> list[str]:
    if isinstance(check.attributes, list):
        return list(check.attributes)
    named = list(dict.fromkeys([*evidence.attributes, *(r.attribute for r in evidence.rows())]))
    if check.attributes == "sensitive":
        return [a for a in named if INTERSECTION_SEPARATOR not in a]
    if check.attributes == "intersections":
        return [a for a in named if INTERSECTION_SEPARATOR in a]
    return named


def _group_status(row: MetricRow, evidence: FairnessEvidence, settings: Settings) -> str:
    if row.group == ALL_GROUPS:
        return "ok"
    status = evidence.group_status(row.attribute, row.group)
    if status is None:  # no summary: fall back on the row's own count
        return "ok" if row.n >= settings.min_group_size else "insufficient_data"
    return status


def _skipped_detail(row: MetricRow, status: str, evidence: FairnessEvidence) -> str:
    if status == "excluded_small_share":
        rates = evidence.find("selection_rate", attribute=row.attribute, group=row.group)
        rates = rates or evidence.find("scoring_rate", attribute=row.attribute, group=row.group)
        rate = (
            f", {rates[0].metric.replace('_', ' ')} {say.percent(rates[0].value)}"
            if rates and rates[0].value is not None
            else ""
        )
        return (
            f"group '{row.group}' of {row.attribute} (n={row.n}{rate}): under the small-category "
            "share, reported but not judged"
        )
    if status == "undefined":
        return f"{say.who(row)}: value undefined (0/0), not judged"
    return f"group '{row.group}' of {row.attribute} (n={row.n}): too few records, not judged"


def _metric(rule: Rule, check: MetricCheck, evidence: Evidence, settings: Settings) -> RuleResult:
    fairness = evidence.fairness
    if fairness is None:
        return _base(rule, "not_applicable", MSG_NO_EVIDENCE.format(part="fairness"))
    attributes = _attributes(check, fairness)
    rows = [r for r in fairness.rows() if r.metric == check.metric and r.attribute in attributes]
    # The engine also summarises a per-group metric over each attribute (group "*", e.g. the
    # lowest impact ratio). Judging that row beside the groups would count one finding twice,
    # without the group's significance test, so it is judged only when no group row exists.
    with_groups = {r.attribute for r in rows if r.group != ALL_GROUPS}
    rows = [r for r in rows if r.group != ALL_GROUPS or r.attribute not in with_groups]
    common = {"threshold": check.threshold, "comparison": check.text}
    details = [
        f"unknown category in {name}: {fairness.unknown_counts[name]} records, not in the rates"
        for name in attributes
        if fairness.unknown_counts.get(name)
    ]
    if not rows and check.if_missing == "not_applicable":
        return _base(
            rule,
            "not_applicable",
            f"The evidence holds no {say.label(check.metric)}, so this rule does not apply.",
            details=details,
            **common,
        )
    if not rows:
        where = say.listing(attributes) if attributes else "any attribute"
        return _base(
            rule,
            "insufficient_data",
            f"The evidence holds no {say.label(check.metric)} for {where}, so the rule could "
            "not be judged.",
            details=details,
            **common,
        )
    judged: list[tuple[MetricRow, float]] = []
    for row in rows:
        if check.metric in REFERENCE_METRICS and row.group == fairness.reference_groups.get(
            row.attribute
        ):
            continue  # the reference against itself is 1 (or 0) by construction
        status = _group_status(row, fairness, settings)
        if status == "ok" and row.value is None:
            status = "undefined"
        if status != "ok":
            details.append(_skipped_detail(row, status, fairness))
            continue
        assert row.value is not None
        bound: float | None = row.value
        if check.judge == "least_favourable":
            bound = row.ci_low if check.comparison in (">=", ">") else row.ci_high
            if bound is None:
                details.append(
                    f"{say.who(row)}: no interval in the evidence; the point estimate was judged"
                )
                bound = row.value
        judged.append((row, row.value if bound is None else bound))
    if not judged:
        return _base(
            rule,
            "insufficient_data",
            f"Too little data to judge the {say.label(check.metric)}: "
            f"{say.count_words(len(rows), 'value')} found, none with enough records (minimum "
            f"{settings.min_group_size}) and a defined value.",
            details=details,
            **common,
        )
    lowest_first = check.comparison in (">=", ">")
    judged.sort(key=lambda pair: pair[1], reverse=not lowest_first)
    violating = [(r, b) for r, b in judged if not _compare(b, check.comparison, check.threshold)]
    if check.judge == "least_favourable":
        details.append("judged on the least favourable bound of each interval")

    def result(verdict: Verdict, row: MetricRow, sentence: str) -> RuleResult:
        return _base(
            rule,
            verdict,
            sentence,
            value=row.value,
            ci_low=row.ci_low,
            ci_high=row.ci_high,
            attribute=row.attribute,
            group=row.group,
            details=details,
            **common,
        )

    def clause(row: MetricRow, *, holds: bool) -> str:
        reference = fairness.reference_groups.get(row.attribute)
        test = fairness.test_for(row.attribute, row.group)
        if reference is None and test is not None:
            reference = test.reference
        return say.finding(
            check.metric,
            row,
            reference,
            check.comparison,
            check.threshold,
            settings.confidence_level,
            holds=holds,
        )

    if not violating:
        worst = judged[0][0]
        for row, _ in judged:
            test = fairness.test_for(row.attribute, row.group)
            if check.require_significance and test and test.significant and test.shortfall >= 1:
                # 29 CFR 1607.4(D): smaller differences may still be adverse impact when
                # significant in statistical and practical terms; flagged, not failed.
                details.append(
                    f"group '{row.group}' of {row.attribute}: meets the threshold but the "
                    f"difference is statistically significant ({say.p_text(test.p_value_adjusted)}"
                    f") with a shortfall of {test.shortfall:.0f} people; worth a closer look"
                )
        others = f" ({say.count_words(len(judged), 'group')} judged)" if len(judged) > 1 else ""
        return result(
            "pass",
            worst,
            f"{clause(worst, holds=True)}; this is the least favourable case{others}.",
        )
    if not check.require_significance:
        worst = violating[0][0]
        more = len(violating) - 1
        tail = f"; {say.count_words(more, 'other case')} also fell short" if more else ""
        return result("fail", worst, f"{clause(worst, holds=False)}{tail}.")
    confirmed, unconfirmed = [], []
    for row, _ in violating:
        test = fairness.test_for(row.attribute, row.group)
        if test is not None and test.significant and not test.flip_flop:
            confirmed.append(row)
        else:
            unconfirmed.append(row)
    for row in unconfirmed:
        details.append(
            f"{say.who(row)}: short of the threshold but "
            f"{say.significance(fairness.test_for(row.attribute, row.group), settings.alpha)}"
        )
    if confirmed:
        worst = confirmed[0]
        test = fairness.test_for(worst.attribute, worst.group)
        more = len(confirmed) - 1
        tail = f"; {say.count_words(more, 'other significant case')} also" if more else ""
        return result(
            "fail",
            worst,
            f"{clause(worst, holds=False)}; {say.significance(test, settings.alpha)}{tail}.",
        )
    worst = unconfirmed[0]
    test = fairness.test_for(worst.attribute, worst.group)
    return result(
        "insufficient_data",
        worst,
        f"{clause(worst, holds=False)}; {say.significance(test, settings.alpha)}.",
    )


def _transparency(
    rule: Rule, check: TransparencyCheck, evidence: Evidence, settings: Settings
) -> RuleResult:
    info = evidence.transparency
    if info is None:
        return _base(rule, "not_applicable", MSG_NO_EVIDENCE.format(part="transparency"))
    if check.requirement == "no_sensitive_inputs":
        if info.model_inputs is None:
            return _base(
                rule,
                "insufficient_data",
                "The model's inputs are not known (for example a vendor tool), so it cannot be "
                "shown that no sensitive attribute is an input.",
            )
        sensitive = {name.casefold(): name for name in info.sensitive_attributes}
        used = [name for name in info.model_inputs if name.casefold() in sensitive]
        if used:
            return _base(
                rule,
                "fail",
                f"The model reads sensitive attributes as inputs: {say.listing(used)}.",
                value=float(len(used)),
                threshold=0.0,
                comparison="sensitive_inputs <= 0",
                details=[f"input '{name}' is a sensitive attribute" for name in used],
            )
        return _base(
            rule,
            "pass",
            f"None of the model's {say.count_words(len(info.model_inputs), 'input')} is a "
            f"sensitive attribute ({say.listing(info.sensitive_attributes) or 'none declared'}).",
            value=0.0,
            threshold=0.0,
            comparison="sensitive_inputs <= 0",
        )
    if check.requirement == "max_proxy_strength":
        assert check.max_strength is not None
        common = {
            "threshold": check.max_strength,
            "comparison": f"proxy_strength <= {check.max_strength:g}",
        }
        if not info.proxies:
            return _base(
                rule,
                "insufficient_data",
                "No proxy analysis is in the evidence, so it is not known whether an input "
                "stands in for a sensitive attribute.",
                **common,
            )
        ranked = sorted(info.proxies, key=lambda p: p.strength, reverse=True)
        top = ranked[0]
        over = [p for p in ranked if p.strength > check.max_strength]
        details = [
            f"'{p.feature}' encodes {p.attribute} with strength {p.strength:.2f} ({p.method})"
            for p in over
        ]
        if over:
            return _base(
                rule,
                "fail",
                f"Input '{top.feature}' acts as a proxy for {top.attribute} (strength "
                f"{top.strength:.2f} by {top.method}), above the {check.max_strength:g} limit"
                + (
                    f"; {say.count_words(len(over) - 1, 'other input')} also"
                    if len(over) > 1
                    else ""
                )
                + ".",
                value=top.strength,
                attribute=top.attribute,
                group=top.feature,
                details=details,
                **common,
            )
        return _base(
            rule,
            "pass",
            f"No input is a strong proxy for a sensitive attribute: the strongest is "
            f"'{top.feature}' for {top.attribute} at {top.strength:.2f}, within the "
            f"{check.max_strength:g} limit.",
            value=top.strength,
            attribute=top.attribute,
            group=top.feature,
            **common,
        )
    if not info.global_explanation:
        return _base(
            rule,
            "fail",
            "No global explanation of the model is available, so nobody can say which inputs "
            "drive its outputs.",
        )
    top_features = sorted(info.global_explanation, key=lambda f: abs(f.importance), reverse=True)
    names = [f.feature for f in top_features[:3]]
    return _base(
        rule,
        "pass",
        f"A global explanation exists ({top_features[0].method}); the most influential inputs "
        f"are {say.listing(names)}.",
    )


def is_substantive(text: str | None, *, min_words: int, min_chars: int) -> bool:
    """Non-empty, not a placeholder such as TODO, TBD or n/a, and long enough.

    Examples
    --------
    >>> is_substantive("TBD", min_words=1, min_chars=0)
    False
    >>> is_substantive("Shortlisting applicants for interview.", min_words=3, min_chars=0)
    True
    """
    if text is None:
        return False
    stripped = text.strip()
    normal = stripped.casefold().strip(" .!:;")
    if not normal or normal in PLACEHOLDERS or _PLACEHOLDER_START.match(stripped):
        return False
    return len(stripped.split()) >= min_words and len(stripped) >= min_chars


def _documentation(
    rule: Rule, check: DocumentationCheck, evidence: Evidence, settings: Settings
) -> RuleResult:
    card = evidence.documentation
    if card is None:
        return _base(rule, "not_applicable", MSG_NO_EVIDENCE.format(part="documentation"))
    missing = [name for name in check.fields if not (card.fields.get(name) or "").strip()]
    weak = [
        name
        for name in check.fields
        if name not in missing
        and not is_substantive(
            card.fields[name], min_words=check.min_words, min_chars=check.min_chars
        )
    ]
    good = len(check.fields) - len(missing) - len(weak)
    common = {
        "value": float(good),
        "threshold": float(len(check.fields)),
        "comparison": f"substantive_fields >= {len(check.fields)}",
    }
    details = [f"'{name}' is missing" for name in missing] + [
        f"'{name}' is not substantive: {card.fields[name].strip()[:60]!r}" for name in weak
    ]
    if not missing and not weak:
        return _base(
            rule,
            "pass",
            f"All {say.count_words(len(check.fields), 'required model-card field')} are present "
            "and substantive.",
            **common,
        )
    parts = []
    if missing:
        parts.append(
            f"{len(missing)} of {len(check.fields)} required fields "
            f"{'is' if len(missing) == 1 else 'are'} missing ({say.listing(missing)})"
        )
    if weak:
        parts.append(
            f"{say.count_words(len(weak), 'field')} {'is' if len(weak) == 1 else 'are'} too "
            f"thin or a placeholder ({say.listing(weak)})"
        )
    return _base(
        rule,
        "fail",
        "The model card is incomplete: " + " and ".join(parts) + ".",
        details=details,
        **common,
    )


def _process(
    rule: Rule, check: ProcessCheck, evidence: Evidence, settings: Settings, today: dt.date
) -> RuleResult:
    facts = evidence.process
    if facts is None:
        return _base(rule, "not_applicable", MSG_NO_EVIDENCE.format(part="process"))
    if check.requirement == "audit_recency":
        limit = check.max_audit_age_days
        assert limit is not None
        common = {"threshold": float(limit), "comparison": f"audit_age_days <= {limit}"}
        if facts.last_audit_at is None:
            return _base(
                rule,
                "fail",
                f"No audit is on record; the policy requires one at most {limit} days old.",
                **common,
            )
        age = max((today - facts.last_audit_at.date()).days, 0)
        when = facts.last_audit_at.date().isoformat()
        if age <= limit:
            return _base(
                rule,
                "pass",
                f"The last audit ({when}) is {age} days old, within the {limit}-day limit.",
                value=float(age),
                **common,
            )
        return _base(
            rule,
            "fail",
            f"The last audit ({when}) is {age} days old, older than the "
            f"{limit}-day limit; audit the model again before use.",
            value=float(age),
            **common,
        )
    if check.requirement in ("owner_named", "appeal_route"):
        value = facts.owner if check.requirement == "owner_named" else facts.appeal_route
        what = "accountable owner" if check.requirement == "owner_named" else "appeal route"
        if value and value.strip() and is_substantive(value, min_words=1, min_chars=0):
            return _base(rule, "pass", f"An {what} is named: {value.strip()}.")
        return _base(rule, "fail", f"No {what} is named for this model.")
    if check.requirement == "sign_off":
        tiers = check.risk_tiers
        if tiers and facts.risk_tier is None:
            return _base(
                rule,
                "insufficient_data",
                f"The model's risk tier is not recorded, so "
                f"it is not known whether sign-off by {say.listing(check.roles)} is "
                "required.",
            )
        if tiers and facts.risk_tier not in tiers:
            return _base(
                rule,
                "not_applicable",
                f"Sign-off by {say.listing(check.roles)} is "
                f"required only for risk tiers {say.listing(tiers)}; this model is "
                f"'{facts.risk_tier}'.",
            )
        if facts.approvals is None:
            # Approvers sign off on an audit's findings, so at audit time there is nothing to
            # judge yet; the deployment gate judges this rule when it runs.
            return _base(
                rule,
                "not_applicable",
                f"Sign-off by {say.listing(check.roles)} is checked by the deployment gate, "
                "after this audit, because approvers sign off on its findings.",
            )
        signed = {approval.role: approval for approval in facts.approvals}
        missing = [role for role in check.roles if role not in signed]
        if missing:
            return _base(
                rule,
                "fail",
                f"Sign-off is missing from {say.listing(missing)}.",
                details=[f"role '{role}' has not approved" for role in missing],
            )
        by = [
            f"{role} ({signed[role].by}, {signed[role].at.date().isoformat()})"
            for role in check.roles
        ]
        return _base(rule, "pass", f"Signed off by {say.listing(by)}.")
    if facts.register_missing_fields is None:
        return _base(
            rule,
            "insufficient_data",
            "The register entry was not checked, so its completeness is unknown.",
        )
    if facts.register_missing_fields:
        missing_fields = facts.register_missing_fields
        return _base(
            rule,
            "fail",
            f"The register entry is incomplete: "
            f"{say.listing(missing_fields)} {'is' if len(missing_fields) == 1 else 'are'}"
            " empty.",
            value=float(len(missing_fields)),
            threshold=0.0,
            comparison="missing_register_fields <= 0",
        )
    return _base(
        rule,
        "pass",
        "The register entry is complete.",
        value=0.0,
        threshold=0.0,
        comparison="missing_register_fields <= 0",
    )


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


Checker = Callable[[Rule, Evidence, Settings, dt.date], RuleResult]


def _check(rule: Rule, evidence: Evidence, settings: Settings, today: dt.date) -> RuleResult:
    check = rule.check
    if isinstance(check, MetricCheck):
        return _metric(rule, check, evidence, settings)
    if isinstance(check, TransparencyCheck):
        return _transparency(rule, check, evidence, settings)
    if isinstance(check, DocumentationCheck):
        return _documentation(rule, check, evidence, settings)
    return _process(rule, check, evidence, settings, today)


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
        What the audits measured; a rule whose part is absent is ``not_applicable``.
    waivers : sequence of Waiver
        Applied to failing rules of ``model_name`` (and ``model_version``) until they expire.
    today : date
        The day of evaluation, for waiver expiry and audit age.

    Returns
    -------
    PolicyResult
        One ``RuleResult`` per rule, in the policy's order.

    Examples
    --------
    >>> import datetime as dt
    >>> from govern.policies import load_policy
    >>> from govern.results import Evidence
    >>> result = evaluate(load_policy("eeoc-four-fifths"), Evidence(), today=dt.date(2026, 11, 24))
    >>> {r.verdict for r in result.rules}
    {'not_applicable'}
    """
    facts = evidence.process
    purpose = facts.purpose if facts else None
    tier = facts.risk_tier if facts else None
    policy_reason = (
        policy.applies_to.excludes(purpose=purpose, risk_tier=tier, today=today)
        if (policy.applies_to)
        else None
    )
    _check_waivers_name_rules(policy, waivers, model_name)
    results = []
    for rule in policy.rules:
        rule_reason = (
            rule.applies_to.excludes(purpose=purpose, risk_tier=tier, today=today)
            if (rule.applies_to)
            else None
        )
        if policy_reason:
            result = _base(
                rule, "not_applicable", MSG_POLICY_OUT_OF_SCOPE.format(reason=policy_reason)
            )
        elif rule_reason:
            result = _base(rule, "not_applicable", MSG_OUT_OF_SCOPE.format(reason=rule_reason))
        else:
            result = _check(rule, evidence, policy.settings, today)
        results.append(_apply_waivers(result, waivers, model_name, model_version, today))
    return PolicyResult(
        policy_name=policy.name,
        policy_version=policy.version,
        policy_sha256=policy_sha256(policy),
        evaluated_on=today,
        rules=results,
    )
