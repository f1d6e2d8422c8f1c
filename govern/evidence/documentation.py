"""Documentation evidence: the model card's written fields, flattened to dotted keys.

Produced from the model card stored with a version (:mod:`govern.model_cards.card`); read by
the ``documentation`` check kind.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from govern.evidence import EvidencePart, register_evidence_kind


@register_evidence_kind
class DocumentationEvidence(EvidencePart):
    """The model card's fields as flat dotted keys (``intended_use.primary_uses``) -> text.

    ``card_on_record`` is False when the register holds no card for the version: the fields are
    then known to be missing (which fails a documentation rule), not merely unchecked.
    """

    kind: Literal["documentation"] = "documentation"
    fields: dict[str, str] = Field(default_factory=dict)
    card_on_record: bool = Field(
        default=True, description="False: the register holds no model card for this version."
    )
