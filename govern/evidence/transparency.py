"""Transparency evidence: what a model reads, which inputs proxy a sensitive attribute, and
which inputs drive its decisions. Produced by :mod:`govern.audits.transparency`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from govern.evidence import EvidencePart, register_evidence_kind


class ProxyScore(BaseModel):
    """How strongly one input feature encodes a sensitive attribute (0 none, 1 fully)."""

    feature: str
    attribute: str
    strength: float
    method: str = Field(description="How strength was measured, e.g. 'cramers_v', 'mutual_info'.")


class FeatureImportance(BaseModel):
    feature: str
    importance: float
    method: str


@register_evidence_kind
class TransparencyEvidence(EvidencePart):
    """What is known about a model's inputs and how it can be explained."""

    kind: Literal["transparency"] = "transparency"
    model_inputs: list[str] | None = Field(
        default=None, description="Feature names the model reads; None when unknown (vendor tool)."
    )
    sensitive_attributes: list[str] = Field(default_factory=list)
    proxies: list[ProxyScore] = Field(default_factory=list)
    global_explanation: list[FeatureImportance] | None = None
