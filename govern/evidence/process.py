"""Process evidence: facts about the governance process around a model version (register
entry, owner, appeal route, risk tier, sign-offs). Gathered from the register by the audit
service; read by the ``process`` check kind and, at gate time, by the deployment gate."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from govern.evidence import EvidencePart, register_evidence_kind


class Approval(BaseModel):
    role: str
    by: str
    at: dt.datetime
    comment: str = ""


@register_evidence_kind
class ProcessEvidence(EvidencePart):
    """Facts about the governance process around a model version."""

    kind: Literal["process"] = "process"
    last_audit_at: dt.datetime | None = None
    owner: str | None = None
    appeal_route: str | None = None
    risk_tier: str | None = None
    purpose: str | None = None
    approvals: list[Approval] | None = Field(
        default_factory=list,
        description="Sign-offs recorded; None when sign-off is left to the deployment gate "
        "(an audit runs before anyone can sign off on its findings).",
    )
    register_missing_fields: list[str] | None = Field(
        default=None, description="Register fields still empty; None when not checked."
    )
    register_read: bool = Field(
        default=True,
        description="False for an audit with no register (a vendor's decision file): owner, "
        "appeal route and register entry are then unknown, not missing.",
    )
