"""The ``documentation`` check kind: model-card fields that must be present and substantive.

Reads :class:`govern.evidence.documentation.DocumentationEvidence`. A version registered
without a card has every field missing, which fails the rule (the card is known to be absent);
documentation that was never gathered leaves the rule ``insufficient_data``.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from govern.evidence.documentation import DocumentationEvidence
from govern.policies import sentences as say
from govern.policies.checks import CheckKind, CheckModel, Finding, RuleContext, register_check_kind
from govern.policies.fields import DOCUMENTATION_FIELDS
from govern.suggest import did_you_mean

MSG_UNKNOWN_FIELD = (
    "unknown documentation field '{name}'{hint}; see DOCUMENTATION_FIELDS in docs/policies.md"
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


class DocumentationCheck(CheckModel):
    """Model-card fields that must be present and substantive."""

    kind: Literal["documentation"]
    fields: list[str] = Field(min_length=1, description="Keys of DOCUMENTATION_FIELDS.")
    min_words: int = Field(5, ge=0, description="Fewer words than this is not substantive.")
    min_chars: int = Field(0, ge=0, description="Fewer characters than this is not substantive.")

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, names: list[str]) -> list[str]:
        for name in names:
            if name not in DOCUMENTATION_FIELDS:
                hint = did_you_mean(name, set(DOCUMENTATION_FIELDS))
                raise ValueError(MSG_UNKNOWN_FIELD.format(name=name, hint=hint))
        return names


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


def evaluate_documentation(
    check: DocumentationCheck, card: DocumentationEvidence | None, context: RuleContext
) -> Finding:
    assert card is not None  # absence is handled by the evaluator
    wanted = len(check.fields)
    common = {
        "threshold": float(wanted),
        "comparison": f"substantive_fields >= {wanted}",
    }
    if not card.card_on_record:
        return Finding(
            verdict="fail",
            sentence=f"No model card is on record for this version, so none of the "
            f"{say.count_words(wanted, 'required field')} is documented.",
            value=0.0,
            details=[f"'{name}' is missing" for name in check.fields],
            **common,
        )
    missing = [name for name in check.fields if not (card.fields.get(name) or "").strip()]
    weak = [
        name
        for name in check.fields
        if name not in missing
        and not is_substantive(
            card.fields[name], min_words=check.min_words, min_chars=check.min_chars
        )
    ]
    good = wanted - len(missing) - len(weak)
    details = [f"'{name}' is missing" for name in missing] + [
        f"'{name}' is not substantive: {card.fields[name].strip()[:60]!r}" for name in weak
    ]
    if not missing and not weak:
        return Finding(
            verdict="pass",
            sentence=(
                "The one required model-card field is present and substantive."
                if wanted == 1
                else f"All {say.count_words(wanted, 'required model-card field')} are present "
                "and substantive."
            ),
            value=float(good),
            **common,
        )
    parts = []
    if missing:
        parts.append(
            f"{len(missing)} of {wanted} required fields "
            f"{'is' if len(missing) == 1 else 'are'} missing ({say.listing(missing)})"
        )
    if weak:
        parts.append(
            f"{say.count_words(len(weak), 'field')} {'is' if len(weak) == 1 else 'are'} too "
            f"thin or a placeholder ({say.listing(weak)})"
        )
    return Finding(
        verdict="fail",
        sentence="The model card is incomplete: " + " and ".join(parts) + ".",
        value=float(good),
        details=details,
        **common,
    )


KIND: CheckKind[DocumentationCheck, DocumentationEvidence] = register_check_kind(
    CheckKind(
        key="documentation",
        schema=DocumentationCheck,
        evidence=DocumentationEvidence,
        evaluate=evaluate_documentation,
        describe=lambda check: "model card fields: " + ", ".join(check.fields),
        missing_evidence="No model card was gathered for this audit, so the documentation rule "
        "could not be judged.",
        to_gather="Register the version with its model card (govern register --card FILE), or "
        "pass --card FILE to the audit.",
    )
)
