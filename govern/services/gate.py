"""The deployment gate: may this model version go into use?

The gate is open only when every condition holds, and closed with every reason otherwise:

- the model is governed (it carries govern metadata, so its risk tier is known);
- the version has an audit, and the latest audit passed: no blocking rule failed, and none was
  left without evidence (an inconclusive audit keeps the gate closed);
- that audit ran under the policy the gate judges against (same policy sha256), which is named
  with ``--policy`` or by govern.yaml's ``policy`` — never taken from the audit itself, so a
  later audit under a weaker pack cannot open the gate;
- the audit is recent enough (``--max-age``, else the policy's ``audit_recency`` rule; NYC Local
  Law 144 allows an audit no more than a year old, 6 RCNY § 5-301);
- every sign-off the policy requires for the model's risk tier was given on that audit (a
  sign-off given on an earlier audit does not carry over to a newer one: approvers sign off on
  the findings they read; human oversight, EU AI Act Art. 14; approval levels of the Canadian
  Directive on ADM).

Unknown is never pass: a condition that cannot be checked closes the gate. With ``promote`` the
MLflow alias (for example ``production``) is moved to the version only when the gate is open.
Every evaluation is recorded in the trail (kind ``gate``) and in the version's
``govern.gate.last`` tag.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from govern.adapters.registry import (
    TAG_AUDIT_AT,
    TAG_AUDIT_POLICY,
    TAG_AUDIT_POLICY_SHA256,
    TAG_AUDIT_RUN_ID,
    TAG_AUDIT_STATUS,
)
from govern.adapters.trail import TrailRecord
from govern.errors import BadInputError, RegistryError
from govern.metadata import TAG_PREFIX
from govern.results import AuditResult, RuleResult, Verdict
from govern.services.approvals import RecordedApproval, approvals_from_tags
from govern.services.audit import AUDIT_ARTIFACT

if TYPE_CHECKING:
    from govern.adapters.registry import Registry
    from govern.policies.schema import Policy

TAG_RISK_TIER = TAG_PREFIX + "risk_tier"
TAG_GATE_LAST = "govern.gate.last"

ALIAS_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,62}$"

# A little clock skew between machines is tolerated; an audit dated in the future is not.
CLOCK_SKEW = dt.timedelta(minutes=5)

CheckStatus = Literal["pass", "fail", "skipped"]

# Conditions, in the order they are reported (JUnit test cases use these names).
COND_GOVERNED = "governed"
COND_AUDIT_PRESENT = "audit_present"
COND_AUDIT_PASSED = "audit_passed"
COND_POLICY_HASH = "policy_hash"
COND_AUDIT_AGE = "audit_age"
COND_APPROVAL = "approval"  # one per required role: "approval:<role>"

# Reasons and notes (tests assert the exact text).
MSG_UNGOVERNED = (
    "model {name!r} has no governance metadata, so its risk tier is unknown: register it with "
    "`govern register {name} --meta FILE`."
)
MSG_GOVERNED = "model {name!r} is governed; risk tier {tier}."
MSG_NO_AUDIT = (
    "no audit recorded for {name} version {version}: run `govern audit run {name} --version "
    "{version} --data FILE --policy POLICY`."
)
MSG_AUDIT_PRESENT = "latest audit: run {run_id} at {at}."
MSG_AUDIT_UNREADABLE = (
    "the latest audit (run {run_id}) cannot be read: {problem} Run the audit again."
)
MSG_AUDIT_FAILED = "the latest audit (run {run_id}) failed: blocking {rules} did not hold."
MSG_AUDIT_STATUS = (
    "the latest audit (run {run_id}) has status {status!r}, not 'pass'; run the audit again."
)
MSG_AUDIT_TAG_MISMATCH = (
    "the version's audit tag says {tag!r} but the audit record (run {run_id}) says {recorded!r}: "
    "the tags were changed after the audit. Run the audit again and investigate."
)
MSG_AUDIT_PASSED = (
    "the latest audit passed: no blocking rule failed or lacked evidence (sign-off and "
    "audit-age rules are judged by the gate now)."
)
MSG_POLICY_MISMATCH = (
    "the latest audit ran under policy {audited} (sha256 {audited_sha}), not {policy} (sha256 "
    "{policy_sha}): audit this version under {policy}."
)
MSG_POLICY_MATCH = "the audit ran under policy {policy} (sha256 {sha})."
MSG_POLICY_UNTAGGED = (
    "the latest audit (run {run_id}) does not say which policy it used, so it cannot count: "
    "audit again with govern."
)
MSG_NO_POLICY = (
    "the gate judges against a named policy: pass --policy NAME|FILE, or name the "
    "organisation's policy in govern.yaml (policy: public-sector-baseline)."
)
MSG_AUDIT_INCONCLUSIVE = (
    "the latest audit (run {run_id}) was inconclusive: blocking {rules} could not be "
    "checked for lack of evidence or sample size. {advice}"
)
MSG_APPROVAL_STALE = (
    "the sign-off by {by} ({role}, {at}) was given for audit run {signed}, not the latest audit "
    "(run {run_id}): a sign-off covers the findings its approver read. Sign off again: "
    "`govern approve {name} --version {version} --role {role} --by PERSON --comment TEXT`."
)
MSG_AUDIT_TOO_OLD = (
    "the latest audit is {age} day(s) old, older than the limit of {limit} day(s): audit again."
)
MSG_AUDIT_FROM_FUTURE = (
    "the latest audit is dated {at}, in the future: check the clocks and audit again."
)
MSG_AUDIT_AGE_OK = "the latest audit is {age} day(s) old (limit {limit})."
MSG_NO_AGE_LIMIT = "no age limit: neither --max-age nor the policy's audit_recency rule sets one."
MSG_BAD_AUDIT_TIME = "the audit's time tag {value!r} is not an ISO date-time; audit again."
MSG_APPROVAL_MISSING = (
    "no sign-off by role {role!r}, which the policy requires for risk tier {tier}: run "
    "`govern approve {name} --version {version} --role {role} --by PERSON --comment TEXT`."
)
MSG_APPROVAL_OK = "signed off by {by} ({role}) at {at}: {comment}"
MSG_REJUDGED = "Judged by the gate at {at}: {sentence}"
MSG_SNAPSHOT = "At audit time: {verdict}: {sentence}"
MSG_RULE_NOT_REQUIRED = "Not required for this model's risk tier."
MSG_NOTHING_TO_JUDGE = "no audit to judge."
MSG_NEGATIVE_AGE = "--max-age must be 0 or more days, got {value}."
MSG_BAD_ALIAS = (
    "invalid alias {alias!r}: use letters, digits, '_' or '-', starting with a letter (e.g. "
    "'production')."
)
MSG_PROMOTED = "alias {alias!r} now points at version {version}."


class GateCheck(BaseModel):
    """One gate condition and how it came out."""

    name: str = Field(description="governed, audit_present, ..., or 'approval:<role>'.")
    title: str
    status: CheckStatus
    message: str


class GateResult(BaseModel):
    """The gate's decision on one model version, with every reason it is closed."""

    model_config = ConfigDict(protected_namespaces=())

    model: str
    version: str
    open: bool
    reasons: list[str] = Field(description="Every reason the gate is closed; empty when open.")
    checks: list[GateCheck]
    rules: list[RuleResult] = Field(
        default_factory=list,
        description="The latest audit's verdict on each policy rule; the rules in "
        "rules_judged_by_gate carry the gate's verdict, judged now.",
    )
    rules_judged_by_gate: list[str] = Field(
        default_factory=list, description="Sign-off and audit-age rules, judged at gate time."
    )
    policy_name: str | None = None
    policy_sha256: str | None = None
    audit_run_id: str | None = None
    audit_status: str | None = None
    audit_at: dt.datetime | None = None
    max_age_days: int | None = None
    risk_tier: str | None = None
    approvals_required: list[str] = Field(default_factory=list)
    approvals_found: list[RecordedApproval] = Field(default_factory=list)
    approvals_missing: list[str] = Field(default_factory=list)
    promote: str | None = Field(default=None, description="Alias asked for.")
    promoted: str | None = Field(default=None, description="Alias set (only when open).")
    evaluated_at: dt.datetime
    trail_index: int | None = None
    trail_hash: str | None = None


def named_rules(rule_ids: list[str]) -> str:
    """``rule a`` or ``rules a, b``: the rules a gate message names.

    Examples
    --------
    >>> named_rules(["four-fifths"]), named_rules(["a", "b"])
    ('rule four-fifths', 'rules a, b')
    """
    noun = "rule" if len(rule_ids) == 1 else "rules"
    return f"{noun} {', '.join(rule_ids)}"


def _parse_time(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class _AuditUnreadable(Exception):
    pass


def _load_audit(registry: Registry, run_id: str) -> AuditResult:
    try:
        text = registry.read_artifact_text(run_id, AUDIT_ARTIFACT)
        return AuditResult.model_validate_json(text)
    except RegistryError as error:
        raise _AuditUnreadable(str(error)) from error
    except ValueError as error:
        raise _AuditUnreadable(f"{AUDIT_ARTIFACT} is not an audit result.") from error


def resolve_gate_policy(policy: str | Path | None) -> tuple[Policy, str]:
    """The policy the gate judges against: ``policy``, else govern.yaml's ``policy``.

    Raises BadInputError when neither names one: a gate that took whatever policy the latest
    audit used would open on a weaker pack audited last.
    """
    from govern.policies import load_policy
    from govern.settings import load_settings

    source = policy if policy is not None else load_settings(create_home=False).policy
    if source is None:
        raise BadInputError(MSG_NO_POLICY)
    loaded: Policy = load_policy(source)
    return loaded, str(source)


@dataclass
class _Facts:
    """What the gate reads once and every condition judges."""

    name: str
    version: str
    registry: Registry
    tags: dict[str, str]
    tier: str | None
    policy: Policy
    policy_label: str
    policy_sha: str
    moment: dt.datetime
    run_id: str | None = None
    audit: AuditResult | None = None
    audit_at: dt.datetime | None = None
    checks: list[GateCheck] = field(default_factory=list)

    def check(self, cond: str, title: str, status: CheckStatus, message: str) -> GateCheck:
        result = GateCheck(name=cond, title=title, status=status, message=message)
        self.checks.append(result)
        return result


def _governed(facts: _Facts) -> None:
    title = "model is governed"
    if facts.tier:
        facts.check(
            COND_GOVERNED, title, "pass", MSG_GOVERNED.format(name=facts.name, tier=facts.tier)
        )
    else:
        facts.check(COND_GOVERNED, title, "fail", MSG_UNGOVERNED.format(name=facts.name))


def _audit_present(facts: _Facts) -> None:
    title = "audit present"
    facts.run_id = facts.tags.get(TAG_AUDIT_RUN_ID)
    if not facts.run_id:
        message = MSG_NO_AUDIT.format(name=facts.name, version=facts.version)
        facts.check(COND_AUDIT_PRESENT, title, "fail", message)
        return
    try:
        facts.audit = _load_audit(facts.registry, facts.run_id)
    except _AuditUnreadable as error:
        message = MSG_AUDIT_UNREADABLE.format(run_id=facts.run_id, problem=error)
        facts.check(COND_AUDIT_PRESENT, title, "fail", message)
        return
    at_text = facts.tags.get(TAG_AUDIT_AT)
    try:
        facts.audit_at = _parse_time(at_text) if at_text else facts.audit.created_at
    except ValueError:
        facts.audit_at = None
    message = MSG_AUDIT_PRESENT.format(run_id=facts.run_id, at=at_text or facts.audit.created_at)
    facts.check(COND_AUDIT_PRESENT, title, "pass", message)


def _audit_passed(facts: _Facts, live: dict[str, list[str]]) -> None:
    """The audit passed on every rule the gate does not judge itself (three outcomes)."""
    title = "audit passed"
    audit = facts.audit
    if audit is None:
        facts.check(COND_AUDIT_PASSED, title, "skipped", MSG_NOTHING_TO_JUDGE)
        return
    status, run_id = facts.tags.get(TAG_AUDIT_STATUS), facts.run_id
    if status != audit.status:
        message = MSG_AUDIT_TAG_MISMATCH.format(tag=status, run_id=run_id, recorded=audit.status)
        facts.check(COND_AUDIT_PASSED, title, "fail", message)
        return
    if audit.policy is None:
        message = MSG_AUDIT_STATUS.format(run_id=run_id, status=audit.status)
        facts.check(COND_AUDIT_PASSED, title, "fail", message)
        return
    failing = [r for r in audit.policy.blocking_failures if r.rule_id not in live]
    unknown = [r for r in audit.policy.blocking_unknowns if r.rule_id not in live]
    if failing:
        rules = named_rules([rule.rule_id for rule in failing])
        facts.check(
            COND_AUDIT_PASSED, title, "fail", MSG_AUDIT_FAILED.format(run_id=run_id, rules=rules)
        )
    elif unknown:
        rules = named_rules([rule.rule_id for rule in unknown])
        advice = " ".join(rule.to_conclude for rule in unknown if rule.to_conclude)
        message = MSG_AUDIT_INCONCLUSIVE.format(run_id=run_id, rules=rules, advice=advice)
        facts.check(COND_AUDIT_PASSED, title, "fail", message.strip())
    else:
        facts.check(COND_AUDIT_PASSED, title, "pass", MSG_AUDIT_PASSED)


def _same_policy(facts: _Facts) -> None:
    title = "same policy"
    if facts.audit is None:
        facts.check(COND_POLICY_HASH, title, "skipped", MSG_NOTHING_TO_JUDGE)
        return
    audited_sha = facts.tags.get(TAG_AUDIT_POLICY_SHA256)
    audited_name = facts.tags.get(TAG_AUDIT_POLICY)
    if not audited_sha:
        facts.check(
            COND_POLICY_HASH, title, "fail", MSG_POLICY_UNTAGGED.format(run_id=facts.run_id)
        )
    elif audited_sha != facts.policy_sha:
        message = MSG_POLICY_MISMATCH.format(
            audited=audited_name,
            audited_sha=audited_sha,
            policy=facts.policy_label,
            policy_sha=facts.policy_sha,
        )
        facts.check(COND_POLICY_HASH, title, "fail", message)
    else:
        message = MSG_POLICY_MATCH.format(policy=facts.policy_label, sha=facts.policy_sha)
        facts.check(COND_POLICY_HASH, title, "pass", message)


def _recent_enough(facts: _Facts, limit: int | None) -> None:
    title = "audit recent enough"
    if facts.audit is None:
        facts.check(COND_AUDIT_AGE, title, "skipped", MSG_NOTHING_TO_JUDGE)
    elif limit is None:
        facts.check(COND_AUDIT_AGE, title, "skipped", MSG_NO_AGE_LIMIT)
    elif facts.audit_at is None:
        message = MSG_BAD_AUDIT_TIME.format(value=facts.tags.get(TAG_AUDIT_AT))
        facts.check(COND_AUDIT_AGE, title, "fail", message)
    else:
        age = facts.moment - facts.audit_at
        if age < -CLOCK_SKEW:
            message = MSG_AUDIT_FROM_FUTURE.format(at=facts.audit_at.isoformat())
            facts.check(COND_AUDIT_AGE, title, "fail", message)
        elif age > dt.timedelta(days=limit):
            message = MSG_AUDIT_TOO_OLD.format(age=age.days, limit=limit)
            facts.check(COND_AUDIT_AGE, title, "fail", message)
        else:
            message = MSG_AUDIT_AGE_OK.format(age=max(age.days, 0), limit=limit)
            facts.check(COND_AUDIT_AGE, title, "pass", message)


def _signed_off(facts: _Facts, required: list[str], found: list[RecordedApproval]) -> list[str]:
    """One condition per required role; a sign-off counts only for the audit it was given on."""
    by_role = {approval.role: approval for approval in found}
    missing: list[str] = []
    for role in required:
        cond, title = f"{COND_APPROVAL}:{role}", f"sign-off by {role}"
        approval = by_role.get(role)
        if approval is None:
            missing.append(role)
            message = MSG_APPROVAL_MISSING.format(
                role=role, tier=facts.tier or "unknown", name=facts.name, version=facts.version
            )
            facts.check(cond, title, "fail", message)
        elif approval.audit_run_id != facts.run_id:
            missing.append(role)
            message = MSG_APPROVAL_STALE.format(
                by=approval.by,
                role=role,
                at=approval.at.isoformat(),
                signed=approval.audit_run_id or "none",
                run_id=facts.run_id or "none",
                name=facts.name,
                version=facts.version,
            )
            facts.check(cond, title, "fail", message)
        else:
            message = MSG_APPROVAL_OK.format(
                by=approval.by, role=role, at=approval.at.isoformat(), comment=approval.comment
            )
            facts.check(cond, title, "pass", message)
    return missing


def _rejudge(
    rules: list[RuleResult],
    live: dict[str, list[str]],
    checks: list[GateCheck],
    moment: dt.datetime,
) -> list[RuleResult]:
    """Replace the audit's snapshot verdicts of the live rules with the gate's own."""
    by_name = {check.name: check for check in checks}
    judged = []
    for rule in rules:
        if rule.rule_id not in live:
            judged.append(rule)
            continue
        roles = live[rule.rule_id]
        if roles:
            names = (f"{COND_APPROVAL}:{r}" for r in roles)
            conditions = [by_name[n] for n in names if n in by_name]
        else:
            conditions = [by_name[COND_AUDIT_AGE]]
        relevant = [c for c in conditions if c.status != "skipped"]
        verdict: Verdict
        if not relevant:
            verdict = "not_applicable"
            sentence = conditions[0].message if conditions else MSG_RULE_NOT_REQUIRED
        else:
            verdict = "fail" if any(c.status == "fail" for c in relevant) else "pass"
            sentence = " ".join(c.message for c in relevant)
        judged.append(
            rule.model_copy(
                update={
                    "verdict": verdict,
                    "sentence": MSG_REJUDGED.format(at=moment.isoformat(), sentence=sentence),
                    "details": [
                        *rule.details,
                        MSG_SNAPSHOT.format(verdict=rule.verdict, sentence=rule.sentence),
                    ],
                }
            )
        )
    return judged


def _check_request(max_age_days: int | None, promote: str | None) -> None:
    import re

    if max_age_days is not None and max_age_days < 0:
        raise BadInputError(MSG_NEGATIVE_AGE.format(value=max_age_days))
    if promote is not None and not re.match(ALIAS_PATTERN, promote):
        raise BadInputError(MSG_BAD_ALIAS.format(alias=promote))


def evaluate_gate(
    name: str,
    *,
    version: str,
    policy: str | Path | None = None,
    max_age_days: int | None = None,
    promote: str | None = None,
    tracking_uri: str | None = None,
    now: dt.datetime | None = None,
    trail: Path | None = None,
) -> GateResult:
    """Decide whether a model version may be deployed, and promote it when it may.

    Parameters
    ----------
    name, version : str
        The registered model version.
    policy : str or Path, optional
        Pack name or policy file the latest audit must have used (same sha256); default: the
        ``policy`` named in govern.yaml. With neither, the call is refused.
    max_age_days : int, optional
        Oldest acceptable audit; default: the policy's ``audit_recency`` limit, else none.
    promote : str, optional
        Alias (``production``) to point at the version, only when the gate is open.
    tracking_uri : str, optional
        Register to use (default: resolved by :mod:`govern.settings`).
    now : datetime, optional
        The time to judge audit age against (default: now, UTC).
    trail : Path, optional
        Trail file for the gate record (default: ``govern.settings.trail_path()``).

    Returns
    -------
    GateResult
        ``open`` with the conditions, the audit's rule verdicts and, when closed, every reason.

    Raises
    ------
    BadInputError
        No policy named, a policy that cannot be loaded, an unknown model or version
        (RegistryError), a negative ``max_age_days`` or an invalid alias.

    Examples
    --------
    >>> result = evaluate_gate("cv-screening", version="3", policy="eeoc-four-fifths",
    ...                        promote="production")  # doctest: +SKIP
    >>> result.open, result.reasons  # doctest: +SKIP
    (False, ['no sign-off by role ...'])
    """
    from govern.adapters.registry import Registry
    from govern.policies import policy_sha256

    _check_request(max_age_days, promote)
    the_policy, label = resolve_gate_policy(policy)  # errors -> exit 2
    registry = Registry(tracking_uri)
    model_tags = registry.get_model_tags(name)  # RegistryError: unknown model
    version = str(version)
    facts = _Facts(
        name=name,
        version=version,
        registry=registry,
        tags=registry.get_version_tags(name, version),  # RegistryError: unknown version
        tier=model_tags.get(TAG_RISK_TIER) or None,
        policy=the_policy,
        policy_label=label,
        policy_sha=policy_sha256(the_policy),
        moment=(now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC),
    )
    live = the_policy.rules_judged_at_gate()
    _governed(facts)
    _audit_present(facts)
    _audit_passed(facts, live)
    _same_policy(facts)
    limit = max_age_days if max_age_days is not None else the_policy.max_audit_age_days()
    _recent_enough(facts, limit)
    found = approvals_from_tags(name, version, facts.tags)
    required = the_policy.required_approvals(facts.tier)
    missing = _signed_off(facts, required, found)
    result = GateResult(
        model=name,
        version=version,
        open=not any(c.status == "fail" for c in facts.checks),
        reasons=[c.message for c in facts.checks if c.status == "fail"],
        checks=facts.checks,
        rules=_rejudge(facts.audit.policy.rules, live, facts.checks, facts.moment)
        if facts.audit is not None and facts.audit.policy is not None
        else [],
        rules_judged_by_gate=sorted(live),
        policy_name=the_policy.name,
        policy_sha256=facts.policy_sha,
        audit_run_id=facts.run_id,
        audit_status=facts.tags.get(TAG_AUDIT_STATUS),
        audit_at=facts.audit_at,
        max_age_days=limit,
        risk_tier=facts.tier,
        approvals_required=required,
        approvals_found=found,
        approvals_missing=missing,
        promote=promote,
        evaluated_at=facts.moment,
    )
    return _promote_and_record(registry, result, trail)


def _promote_and_record(registry: Registry, result: GateResult, trail: Path | None) -> GateResult:
    """Move the alias when the gate is open, then record the decision (trail, then tag); a
    promotion the trail cannot record is undone."""
    name, version, promote = result.model, result.version, result.promote
    previous_alias: str | None = None
    if result.open and promote is not None:
        previous_alias = registry.get_alias_version(name, promote)
        registry.set_alias(name, promote, version)
        result = result.model_copy(update={"promoted": promote})
    try:
        record = _record(result, trail)
    except BaseException:
        # The trail must show every promotion: undo one it could not record.
        if result.promoted is not None and promote is not None:
            if previous_alias is None:
                registry.delete_alias(name, promote)
            else:
                registry.set_alias(name, promote, previous_alias)
        raise
    result = result.model_copy(
        update={"trail_index": record.index, "trail_hash": record.record_hash}
    )
    registry.set_version_tags(
        name,
        version,
        {
            TAG_GATE_LAST: json.dumps(
                {
                    "open": result.open,
                    "at": result.evaluated_at.isoformat(),
                    "promoted": result.promoted,
                    "trail_index": record.index,
                    "trail_hash": record.record_hash,
                },
                sort_keys=True,
            )
        },
    )
    return result


def _record(result: GateResult, trail: Path | None) -> TrailRecord:
    import hashlib

    from govern.adapters.trail import append_record

    # The result hash covers the decision itself (not the trail fields filled in afterwards).
    body = result.model_dump_json(exclude={"trail_index", "trail_hash"})
    record: TrailRecord = append_record(
        "gate",
        model=result.model,
        version=result.version,
        data_sha256=None,
        policy_sha256=result.policy_sha256,
        result_sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(),
        payload={
            "open": result.open,
            "reasons": result.reasons,
            "checks": {check.name: check.status for check in result.checks},
            "rules": {rule.rule_id: rule.verdict for rule in result.rules},
            "audit_run_id": result.audit_run_id,
            "policy": result.policy_name,
            "promoted": result.promoted,
        },
        path=trail,
    )
    return record
