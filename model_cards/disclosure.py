"""How withheld figures look in a document. The rule itself is :mod:`govern.disclosure`.

A published audit (:func:`govern.disclosure.redact`) carries no count or rate of a group too
small to publish; the documents show such a group by name, say why its figures are withheld,
and still say which rules it falls short of, so suppression never hides a finding.
"""

from __future__ import annotations

from dataclasses import dataclass

from govern.disclosure import COMPLEMENTARY, hidden_groups
from govern.evidence.fairness import FairnessEvidence
from govern.results import DisclosureRule, RuleResult

SUPPRESSION_NOTE = (
    "Groups marked “suppressed” have {threshold} people in the data. Their counts and rates "
    "are not shown: figures from so few people are unreliable, and publishing them could "
    "identify individuals. Their verdicts are still stated."
)
REQUIRED_NOTE = (
    "Every category's count and rate is published, small categories included, because {law} "
    "requires it."
)
SMALL_NOTE = "suppressed"
COMPLEMENTARY_NOTE = "suppressed so that a smaller group's figures cannot be worked out"
FALLS_SHORT_NOTE = "falls short of: {rules}"


@dataclass(frozen=True)
class Suppression:
    """The withheld groups of one table, each with the note shown in its place."""

    notes: dict[str, str]

    def __contains__(self, group: object) -> bool:
        return group in self.notes

    def __bool__(self) -> bool:
        return bool(self.notes)


def table_suppression(
    evidence: FairnessEvidence,
    attribute: str,
    rule: DisclosureRule,
    rules: list[RuleResult],
) -> Suppression:
    """The notes for the withheld groups of one attribute's table."""
    hidden = hidden_groups(evidence, rule)
    notes = {}
    for (name, group), why in hidden.items():
        if name != attribute:
            continue
        note = COMPLEMENTARY_NOTE if why == COMPLEMENTARY else SMALL_NOTE
        failing = [r.title for r in rules if (attribute, group) in set(r.shortfalls)]
        if failing:
            note += "; " + FALLS_SHORT_NOTE.format(rules="; ".join(failing))
        notes[group] = note
    return Suppression(notes)


def suppression_note(rule: DisclosureRule) -> str:
    return SUPPRESSION_NOTE.format(threshold=f"fewer than {rule.min_size}")


def required_note(rule: DisclosureRule) -> str:
    return REQUIRED_NOTE.format(law=rule.required_by) if rule.required_by else ""
