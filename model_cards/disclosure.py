"""Disclosure control: which groups' figures a published document may show. One rule, here.

A group too small to report (its summary says ``insufficient_data``: fewer people than the
policy's minimum) is suppressed: its count and rates never reach a template. When exactly one
group of an attribute is suppressed, the next smallest group (never the reference) is suppressed
too, since the hidden count would otherwise follow from the total minus the others
(complementary suppression, the usual practice of statistical disclosure control for published
tables, e.g. the ONS's and Eurostat's).
"""

from __future__ import annotations

from dataclasses import dataclass

from govern.evidence.fairness import GroupSummary

SUPPRESSION_NOTE = (
    "Groups marked “suppressed” have {threshold} people in the data. Their counts and rates "
    "are not shown: figures from so few people are unreliable, and publishing them could "
    "identify individuals."
)
SMALL_NOTE = "suppressed"
COMPLEMENTARY_NOTE = "suppressed so that a smaller group's figures cannot be worked out"


@dataclass(frozen=True)
class Suppression:
    """The suppressed groups of one attribute, each with the note shown in its place."""

    notes: dict[str, str]

    def __contains__(self, group: object) -> bool:
        return group in self.notes

    def __bool__(self) -> bool:
        return bool(self.notes)


def suppression_for(
    attribute: str,
    groups: list[str],
    summaries: dict[tuple[str, str], GroupSummary],
    reference: str | None,
) -> Suppression:
    """Which of ``groups`` (one attribute's, in display order) may not be shown, and why."""
    small = {
        group
        for group in groups
        if (summary := summaries.get((attribute, group))) is not None
        and summary.status == "insufficient_data"
    }
    notes = {group: SMALL_NOTE for group in groups if group in small}
    protecting = _complementary_group(attribute, groups, small, summaries, reference)
    if protecting is not None:
        notes[protecting] = COMPLEMENTARY_NOTE
    return Suppression(notes)


def _complementary_group(
    attribute: str,
    groups: list[str],
    small: set[str],
    summaries: dict[tuple[str, str], GroupSummary],
    reference: str | None,
) -> str | None:
    if len(small) != 1:
        return None
    candidates = [
        summaries[(attribute, group)]
        for group in groups
        if group not in small
        and group != reference
        and (attribute, group) in summaries
        and not summaries[(attribute, group)].is_reference
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda summary: (summary.n, summary.group)).group


def threshold_words(settings: dict[str, float | int | str | None]) -> str:
    """'fewer than 30' from the evidence's settings, for the suppression note."""
    minimum = settings.get("min_group_size")
    return f"fewer than {int(minimum)}" if isinstance(minimum, int | float) else "too few"


def suppression_note(settings: dict[str, float | int | str | None]) -> str:
    return SUPPRESSION_NOTE.format(threshold=threshold_words(settings))
