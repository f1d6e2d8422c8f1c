"""The ``process`` check kind: facts about the governance process around a model version.

Reads :class:`govern.evidence.process.ProcessEvidence`. Sign-off and audit recency describe the
present rather than the day of an audit, so the deployment gate judges them again when it runs
(:func:`judged_at_gate`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from govern.evidence.process import ProcessEvidence
from govern.policies import sentences as say
from govern.policies.checks import CheckKind, CheckModel, Finding, RuleContext, register_check_kind
from govern.policies.checks.documentation import is_substantive
from govern.vocabulary import RiskTier

MSG_THRESHOLD_NEEDED = "requirement '{requirement}' needs '{key}'; add it"
MSG_THRESHOLD_UNUSED = "'{key}' is only used with requirement '{used_with}'; remove it"

Requirement = Literal[
    "audit_recency", "owner_named", "appeal_route", "sign_off", "register_complete"
]
# Requirements about the present, which the gate judges again at gate time.
GATE_TIME_REQUIREMENTS: tuple[str, ...] = ("sign_off", "audit_recency")


class ProcessCheck(CheckModel):
    """Facts about the governance process around a model version."""

    kind: Literal["process"]
    requirement: Requirement
    max_audit_age_days: int | None = Field(
        None, ge=0, description="For audit_recency: the oldest acceptable audit, in days."
    )
    roles: list[str] = Field(
        default_factory=list, description="For sign_off: roles whose approval is required."
    )
    risk_tiers: list[RiskTier] = Field(
        default_factory=list, description="For sign_off: the tiers that need it (empty: all)."
    )

    @model_validator(mode="after")
    def _parameters_match(self) -> ProcessCheck:
        if self.requirement == "audit_recency" and self.max_audit_age_days is None:
            raise ValueError(
                MSG_THRESHOLD_NEEDED.format(requirement=self.requirement, key="max_audit_age_days")
            )
        if self.requirement != "audit_recency" and self.max_audit_age_days is not None:
            raise ValueError(
                MSG_THRESHOLD_UNUSED.format(key="max_audit_age_days", used_with="audit_recency")
            )
        if self.requirement == "sign_off" and not self.roles:
            raise ValueError(MSG_THRESHOLD_NEEDED.format(requirement=self.requirement, key="roles"))
        if self.requirement != "sign_off" and (self.roles or self.risk_tiers):
            raise ValueError(MSG_THRESHOLD_UNUSED.format(key="roles", used_with="sign_off"))
        return self


def judged_at_gate(check: CheckModel) -> bool:
    """True for the process rules the deployment gate judges again at gate time."""
    return isinstance(check, ProcessCheck) and check.requirement in GATE_TIME_REQUIREMENTS


def _audit_recency(check: ProcessCheck, facts: ProcessEvidence, context: RuleContext) -> Finding:
    limit = check.max_audit_age_days
    assert limit is not None
    common = {"threshold": float(limit), "comparison": f"audit_age_days <= {limit}"}
    if facts.last_audit_at is None:
        return Finding(
            verdict="fail",
            sentence=f"No audit is on record; the policy requires one at most {limit} days old.",
            **common,
        )
    age = max((context.today - facts.last_audit_at.date()).days, 0)
    when = facts.last_audit_at.date().isoformat()
    if age <= limit:
        return Finding(
            verdict="pass",
            sentence=f"The last audit ({when}) is {age} days old, within the {limit}-day limit.",
            value=float(age),
            **common,
        )
    return Finding(
        verdict="fail",
        sentence=f"The last audit ({when}) is {age} days old, older than the {limit}-day limit; "
        "audit the model again before use.",
        value=float(age),
        **common,
    )


def _named(check: ProcessCheck, facts: ProcessEvidence) -> Finding:
    value = facts.owner if check.requirement == "owner_named" else facts.appeal_route
    what = "accountable owner" if check.requirement == "owner_named" else "appeal route"
    if value and value.strip() and is_substantive(value, min_words=1, min_chars=0):
        return Finding(verdict="pass", sentence=f"An {what} is named: {value.strip()}.")
    return Finding(verdict="fail", sentence=f"No {what} is named for this model.")


def _sign_off(check: ProcessCheck, facts: ProcessEvidence) -> Finding:
    tiers, roles = check.risk_tiers, say.listing(check.roles)
    if tiers and facts.risk_tier is None:
        return Finding(
            verdict="insufficient_data",
            sentence=f"The model's risk tier is not recorded, so it is not known whether sign-off "
            f"by {roles} is required.",
            to_conclude="Record the model's purpose and risk tier in the register "
            "(govern register NAME --meta FILE).",
        )
    if tiers and facts.risk_tier not in tiers:
        return Finding(
            verdict="not_applicable",
            sentence=f"Sign-off by {roles} is required only for risk tiers "
            f"{say.listing([str(t) for t in tiers])}; this model is '{facts.risk_tier}'.",
        )
    if facts.approvals is None:
        # Approvers sign off on an audit's findings, so at audit time there is nothing to judge
        # yet: the rule is outside the audit's scope and the deployment gate judges it.
        return Finding(
            verdict="not_applicable",
            sentence=f"Sign-off by {roles} is checked by the deployment gate, after this audit, "
            "because approvers sign off on its findings.",
        )
    signed = {approval.role: approval for approval in facts.approvals}
    missing = [role for role in check.roles if role not in signed]
    if missing:
        return Finding(
            verdict="fail",
            sentence=f"Sign-off is missing from {say.listing(missing)}.",
            details=[f"role '{role}' has not approved" for role in missing],
        )
    by = [
        f"{role} ({signed[role].by}, {signed[role].at.date().isoformat()})" for role in check.roles
    ]
    return Finding(verdict="pass", sentence=f"Signed off by {say.listing(by)}.")


def _register_complete(facts: ProcessEvidence) -> Finding:
    common = {"threshold": 0.0, "comparison": "missing_register_fields <= 0"}
    if facts.register_missing_fields is None:
        return Finding(
            verdict="insufficient_data",
            sentence="The register entry was not checked, so its completeness is unknown.",
            to_conclude="Audit the registered version (govern audit run) so the register entry "
            "is read.",
        )
    missing = facts.register_missing_fields
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        return Finding(
            verdict="fail",
            sentence=f"The register entry is incomplete: {say.listing(missing)} {verb} empty.",
            value=float(len(missing)),
            **common,
        )
    return Finding(verdict="pass", sentence="The register entry is complete.", value=0.0, **common)


MSG_NOT_REGISTERED = (
    "The audit read no register entry (a decision file audited on its own), so the {what} is "
    "not known."
)
TO_REGISTER = (
    "Register the tool with its governance metadata (govern register NAME --meta FILE) and "
    "audit it with govern audit run."
)
_UNKNOWN_WITHOUT_REGISTER = {
    "owner_named": "accountable owner",
    "appeal_route": "appeal route",
    "register_complete": "register entry",
}


def evaluate_process(
    check: ProcessCheck, facts: ProcessEvidence | None, context: RuleContext
) -> Finding:
    assert facts is not None  # absence is handled by the evaluator
    if not facts.register_read and check.requirement in _UNKNOWN_WITHOUT_REGISTER:
        return Finding(
            verdict="insufficient_data",
            sentence=MSG_NOT_REGISTERED.format(what=_UNKNOWN_WITHOUT_REGISTER[check.requirement]),
            to_conclude=TO_REGISTER,
        )
    if check.requirement == "audit_recency":
        return _audit_recency(check, facts, context)
    if check.requirement in ("owner_named", "appeal_route"):
        return _named(check, facts)
    if check.requirement == "sign_off":
        return _sign_off(check, facts)
    return _register_complete(facts)


def describe_process(check: ProcessCheck) -> str:
    if check.requirement == "audit_recency":
        return f"audit_recency <= {check.max_audit_age_days} days"
    if check.requirement == "sign_off":
        tiers = f" (risk tiers {', '.join(check.risk_tiers)})" if check.risk_tiers else ""
        return f"sign_off by {', '.join(check.roles)}{tiers}"
    return check.requirement


KIND: CheckKind[ProcessCheck, ProcessEvidence] = register_check_kind(
    CheckKind(
        key="process",
        schema=ProcessCheck,
        evidence=ProcessEvidence,
        evaluate=evaluate_process,
        describe=describe_process,
        missing_evidence="No facts about the governance process (register entry, owner, appeal "
        "route, sign-off) were gathered, so this rule could not be judged.",
        to_gather="Audit the registered model version (govern audit run) so that the register's "
        "governance metadata is read.",
    )
)
