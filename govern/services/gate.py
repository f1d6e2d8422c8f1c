"""The deployment gate: may this model version go into use?

The gate is open only when every condition holds, and closed with every reason otherwise:

- the model is governed (it carries govern metadata, so its risk tier is known);
- the version has an audit, and the latest audit passed (no blocking rule failed);
- that audit ran under the policy the gate is asked about (same policy sha256);
- the audit is recent enough (``--max-age``, else the policy's ``audit_recency`` rule; NYC Local
  Law 144 allows an audit no more than a year old, 6 RCNY § 5-301);
- every sign-off the policy requires for the model's risk tier is recorded against that audit
  (human oversight, EU AI Act Art. 14; approval levels of the Canadian Directive on ADM).

Unknown is never pass: a condition that cannot be checked closes the gate. With ``promote`` the
MLflow alias (for example ``production``) is moved to the version only when the gate is open.
Every evaluation is recorded in the trail (kind ``gate``) and in the version's
``govern.gate.last`` tag.
"""

from __future__ import annotations

import datetime as dt
import json
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
MSG_AUDIT_FAILED = "the latest audit (run {run_id}) failed: blocking rule(s) {rules} did not hold."
MSG_AUDIT_STATUS = (
    "the latest audit (run {run_id}) has status {status!r}, not 'pass'; run the audit again."
)
MSG_AUDIT_TAG_MISMATCH = (
    "the version's audit tag says {tag!r} but the audit record (run {run_id}) says {recorded!r}: "
    "the tags were changed after the audit. Run the audit again and investigate."
)
MSG_AUDIT_PASSED = (
    "the latest audit passed: no blocking rule failed (sign-off and audit-age rules are judged "
    "by the gate now)."
)
MSG_POLICY_MISMATCH = (
    "the latest audit ran under policy {audited} (sha256 {audited_sha}), not {policy} (sha256 "
    "{policy_sha}): audit this version under {policy}."
)
MSG_POLICY_MATCH = "the audit ran under policy {policy} (sha256 {sha})."
MSG_POLICY_UNTAGGED = (
    "the latest audit (run {run_id}) does not say which policy it used; pass --policy, or audit "
    "again with govern."
)
MSG_POLICY_UNKNOWN = (
    "no policy given and the audit's policy {audited!r} cannot be loaded ({problem}); pass "
    "--policy."
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


def _parse_time(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _load_audit(registry: Registry, run_id: str) -> AuditResult:
    try:
        text = registry.read_artifact_text(run_id, AUDIT_ARTIFACT)
        return AuditResult.model_validate_json(text)
    except RegistryError as error:
        raise _AuditUnreadable(str(error)) from error
    except ValueError as error:
        raise _AuditUnreadable(f"{AUDIT_ARTIFACT} is not an audit result.") from error


class _AuditUnreadable(Exception):
    pass


def _live_rule_ids(policy: Policy | None) -> dict[str, list[str]]:
    """Rules the gate judges itself, at gate time: sign-off (id -> its roles) and audit recency
    (id -> [])."""
    return {} if policy is None else policy.rules_judged_at_gate()


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
            conditions = [
                by_name[n] for n in (f"{COND_APPROVAL}:{r}" for r in roles) if n in by_name
            ]
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


def _load_policy(source: str | Path) -> Policy:
    from govern.policies import load_policy

    policy: Policy = load_policy(source)
    return policy


def _policy_hash(policy: Policy) -> str:
    from govern.policies import policy_sha256

    digest: str = policy_sha256(policy)
    return digest


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
        Pack name or policy file the audit must have used; default: the audit's own policy
        (its ``govern.audit.policy`` tag), which must still hash the same.
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
        Unknown model or version (RegistryError), a policy that cannot be loaded, a negative
        ``max_age_days`` or an invalid alias.

    Examples
    --------
    >>> result = evaluate_gate("cv-screening", version="3", policy="eeoc-four-fifths",
    ...                        promote="production")  # doctest: +SKIP
    >>> result.open, result.reasons  # doctest: +SKIP
    (False, ['no sign-off by role ...'])
    """
    import re

    from govern.adapters.registry import Registry

    if max_age_days is not None and max_age_days < 0:
        raise BadInputError(MSG_NEGATIVE_AGE.format(value=max_age_days))
    if promote is not None and not re.match(ALIAS_PATTERN, promote):
        raise BadInputError(MSG_BAD_ALIAS.format(alias=promote))
    given_policy = _load_policy(policy) if policy is not None else None  # errors -> exit 2
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    version = str(version)

    registry = Registry(tracking_uri)
    model_tags = registry.get_model_tags(name)  # RegistryError: unknown model
    tags = registry.get_version_tags(name, version)  # RegistryError: unknown version
    checks: list[GateCheck] = []

    def check(cond: str, title: str, status: CheckStatus, message: str) -> None:
        checks.append(GateCheck(name=cond, title=title, status=status, message=message))

    # 1. governed: the risk tier decides which sign-offs are needed.
    tier = model_tags.get(TAG_RISK_TIER) or None
    if tier:
        check(COND_GOVERNED, "model is governed", "pass", MSG_GOVERNED.format(name=name, tier=tier))
    else:
        check(COND_GOVERNED, "model is governed", "fail", MSG_UNGOVERNED.format(name=name))

    # 2. the latest audit: present and readable.
    run_id = tags.get(TAG_AUDIT_RUN_ID)
    status = tags.get(TAG_AUDIT_STATUS)
    audit: AuditResult | None = None
    audit_at: dt.datetime | None = None
    if not run_id:
        message = MSG_NO_AUDIT.format(name=name, version=version)
        check(COND_AUDIT_PRESENT, "audit present", "fail", message)
    else:
        try:
            audit = _load_audit(registry, run_id)
        except _AuditUnreadable as error:
            message = MSG_AUDIT_UNREADABLE.format(run_id=run_id, problem=error)
            check(COND_AUDIT_PRESENT, "audit present", "fail", message)
        else:
            at_text = tags.get(TAG_AUDIT_AT)
            try:
                audit_at = _parse_time(at_text) if at_text else audit.created_at
            except ValueError:
                audit_at = None
            message = MSG_AUDIT_PRESENT.format(run_id=run_id, at=at_text or audit.created_at)
            check(COND_AUDIT_PRESENT, "audit present", "pass", message)

    # Which policy: the one given, else the one the audit names (which must still load).
    audited_sha = tags.get(TAG_AUDIT_POLICY_SHA256)
    audited_name = tags.get(TAG_AUDIT_POLICY)
    policy_label = str(policy) if policy is not None else (audited_name or "")
    the_policy = given_policy
    policy_problem: str | None = None
    if the_policy is None and audit is not None:
        if not audited_name:
            policy_problem = MSG_POLICY_UNTAGGED.format(run_id=run_id)
        else:
            try:
                the_policy = _load_policy(audited_name)
            except BadInputError as error:
                problem = str(error).splitlines()[0][:200]
                policy_problem = MSG_POLICY_UNKNOWN.format(audited=audited_name, problem=problem)
    policy_sha = _policy_hash(the_policy) if the_policy is not None else None

    # 3. the audit passed. Sign-off and audit-recency rules describe the present, not the day
    # of the audit, so the gate judges them itself (conditions 5 and 6) rather than trusting
    # the audit's snapshot: a sign-off given after the audit counts.
    live = _live_rule_ids(the_policy)
    if audit is None:
        check(COND_AUDIT_PASSED, "audit passed", "skipped", MSG_NOTHING_TO_JUDGE)
    else:
        recorded = audit.status
        failing = [
            rule
            for rule in (audit.policy.blocking_failures if audit.policy is not None else [])
            if rule.rule_id not in live
        ]
        if status != recorded:
            message = MSG_AUDIT_TAG_MISMATCH.format(tag=status, run_id=run_id, recorded=recorded)
            check(COND_AUDIT_PASSED, "audit passed", "fail", message)
        elif audit.policy is None:
            message = MSG_AUDIT_STATUS.format(run_id=run_id, status=recorded)
            check(COND_AUDIT_PASSED, "audit passed", "fail", message)
        elif failing:
            rules = ", ".join(rule.rule_id for rule in failing)
            message = MSG_AUDIT_FAILED.format(run_id=run_id, rules=rules)
            check(COND_AUDIT_PASSED, "audit passed", "fail", message)
        else:
            check(COND_AUDIT_PASSED, "audit passed", "pass", MSG_AUDIT_PASSED)

    # 4. the same policy.
    if audit is None:
        check(COND_POLICY_HASH, "same policy", "skipped", MSG_NOTHING_TO_JUDGE)
    elif the_policy is None:
        check(COND_POLICY_HASH, "same policy", "fail", policy_problem or "")
    elif audited_sha != policy_sha:
        message = MSG_POLICY_MISMATCH.format(
            audited=audited_name,
            audited_sha=audited_sha,
            policy=policy_label,
            policy_sha=policy_sha,
        )
        check(COND_POLICY_HASH, "same policy", "fail", message)
    else:
        message = MSG_POLICY_MATCH.format(policy=policy_label, sha=policy_sha)
        check(COND_POLICY_HASH, "same policy", "pass", message)

    # 5. recent enough.
    limit = max_age_days
    if limit is None and the_policy is not None:
        limit = the_policy.max_audit_age_days()
    age_title = "audit recent enough"
    if audit is None:
        check(COND_AUDIT_AGE, age_title, "skipped", MSG_NOTHING_TO_JUDGE)
    elif limit is None:
        check(COND_AUDIT_AGE, age_title, "skipped", MSG_NO_AGE_LIMIT)
    elif audit_at is None:
        message = MSG_BAD_AUDIT_TIME.format(value=tags.get(TAG_AUDIT_AT))
        check(COND_AUDIT_AGE, age_title, "fail", message)
    else:
        age = moment - audit_at
        if age < -CLOCK_SKEW:
            message = MSG_AUDIT_FROM_FUTURE.format(at=audit_at.isoformat())
            check(COND_AUDIT_AGE, age_title, "fail", message)
        elif age > dt.timedelta(days=limit):
            message = MSG_AUDIT_TOO_OLD.format(age=age.days, limit=limit)
            check(COND_AUDIT_AGE, age_title, "fail", message)
        else:
            message = MSG_AUDIT_AGE_OK.format(age=max(age.days, 0), limit=limit)
            check(COND_AUDIT_AGE, age_title, "pass", message)

    # 6. every sign-off the policy requires for this risk tier, recorded on the version now.
    found = approvals_from_tags(name, version, tags)
    by_role = {approval.role: approval for approval in found}
    required = the_policy.required_approvals(tier) if the_policy is not None else []
    missing: list[str] = []
    for role in required:
        cond, title = f"{COND_APPROVAL}:{role}", f"sign-off by {role}"
        approval = by_role.get(role)
        if approval is None:
            missing.append(role)
            message = MSG_APPROVAL_MISSING.format(
                role=role, tier=tier or "unknown", name=name, version=version
            )
            check(cond, title, "fail", message)
        else:
            message = MSG_APPROVAL_OK.format(
                by=approval.by, role=role, at=approval.at.isoformat(), comment=approval.comment
            )
            check(cond, title, "pass", message)

    reasons = [c.message for c in checks if c.status == "fail"]
    is_open = not reasons
    previous_alias: str | None = None
    promoted: str | None = None
    if is_open and promote is not None:
        previous_alias = registry.get_alias_version(name, promote)
        registry.set_alias(name, promote, version)
        promoted = promote

    result = GateResult(
        model=name,
        version=version,
        open=is_open,
        reasons=reasons,
        checks=checks,
        rules=_rejudge(audit.policy.rules, live, checks, moment)
        if audit is not None and audit.policy is not None
        else [],
        rules_judged_by_gate=sorted(live),
        policy_name=the_policy.name if the_policy is not None else audited_name,
        policy_sha256=policy_sha,
        audit_run_id=run_id,
        audit_status=status,
        audit_at=audit_at,
        max_age_days=limit,
        risk_tier=tier or None,
        approvals_required=required,
        approvals_found=found,
        approvals_missing=missing,
        promote=promote,
        promoted=promoted,
        evaluated_at=moment,
    )
    try:
        record = _record(result, trail)
    except BaseException:
        # The trail must show every promotion: undo one it could not record.
        if promoted is not None:
            if previous_alias is None:
                registry.delete_alias(name, promote or "")
            else:
                registry.set_alias(name, promote or "", previous_alias)
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
                    "open": is_open,
                    "at": moment.isoformat(),
                    "promoted": promoted,
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
