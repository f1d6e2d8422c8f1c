"""Which group every other group is compared with: the reference rule and its fallback.

A comparison is only as good as its base. A group of eleven people whose selection rate is the
highest by chance turns every other group's impact ratio into noise, so the reference is always
chosen among the groups that meet the minimum size (and the minimum share, where the policy sets
one), by the policy's rule:

- ``highest_selection_rate`` (the default): the qualifying group with the highest selection rate
  (29 CFR 1607.4(D); 6 RCNY 5-301 for the impact ratio);
- a group label: that group, when it qualifies;
- ``overall_rate``: the pooled rate of all the attribute's groups (the base of the shortfall in
  adverse-impact practice).

**Fallback**: when the rule's group does not qualify (no group meets the minimum, or the named
group is too small), every group is compared with the overall rate, and the choice says so.
Impact ratios always divide by the highest rate among qualifying groups (LL144's definition), or
by the overall rate when none qualifies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from govern.errors import DataError
from govern.evidence.fairness import ReferenceChoice, ReferenceRule

HIGHEST_SELECTION_RATE = "highest_selection_rate"
OVERALL_RATE = "overall_rate"
REFERENCE_RULES = (HIGHEST_SELECTION_RATE, OVERALL_RATE)

UNKNOWN_REFERENCE = (
    "reference group {reference!r} does not occur in {where}; the groups are {groups}. "
    "Pick one of them, 'overall_rate', or omit --reference to use the group with the highest "
    "selection rate."
)

# What the reader is told about each choice (tests assert the exact text).
CHOSEN_HIGHEST = "'{group}', the highest selection rate among groups that qualify ({rule})."
CHOSEN_NAMED = "'{group}', as the policy names it; it qualifies ({rule})."
CHOSEN_OVERALL = "the overall selection rate of all groups of {attribute}, as the policy asks."
FALLBACK_NONE_QUALIFIES = (
    "the overall selection rate of all groups of {attribute}: no group qualifies ({rule}), so "
    "no group can serve as the reference."
)
FALLBACK_NAMED_TOO_SMALL = (
    "the overall selection rate of all groups of {attribute}: the named group '{group}' does "
    "not qualify ({rule}), so it cannot serve as the reference."
)


@dataclass(frozen=True)
class Request:
    """The rule asked for one view: a rule name, or a group label."""

    rule: ReferenceRule
    label: str | None = None


@dataclass(frozen=True)
class Chosen:
    """The outcome for one view: indices into its groups (None: the overall rate)."""

    reference: int | None
    highest: int | None
    choice: ReferenceChoice


def requests(
    reference: str | Mapping[str, str] | None, views: Sequence[tuple[str, list[str]]]
) -> dict[str, Request]:
    """The rule of every view (``(name, labels)`` pairs) from ``audit_fairness``'s argument.

    A label applies to every view that has it (the others use the default rule); a mapping
    names a label or a rule per attribute. A label that no view has is an error.
    """
    default = Request("highest_selection_rate")
    if reference is None or isinstance(reference, str):
        asked = {view: reference for view, _ in views} if reference is not None else {}
    else:
        asked = dict(reference)
    by_name = dict(views)
    chosen = {view: default for view, _ in views}
    unmatched = []
    for view, value in asked.items():
        if value in REFERENCE_RULES:
            chosen[view] = Request("overall_rate" if value == OVERALL_RATE else default.rule)
        elif view in by_name and value in by_name[view]:
            chosen[view] = Request("named_group", value)
        elif not isinstance(reference, str):
            labels = by_name.get(view)
            raise DataError(
                UNKNOWN_REFERENCE.format(
                    reference=value,
                    where=repr(view),
                    groups=", ".join(labels) if labels else "(no such attribute)",
                )
            )
        else:
            unmatched.append(view)
    if isinstance(reference, str) and views and len(unmatched) == len(views):
        first = sorted(views[0][1])
        raise DataError(
            UNKNOWN_REFERENCE.format(
                reference=reference,
                where="any sensitive attribute",
                groups=", ".join(first) + (" ..." if len(views) > 1 else ""),
            )
        )
    return chosen


def qualifying_rule(min_group_size: float, exclude_below_share: float | None) -> str:
    """The words for what a group needs to qualify, e.g. "30 or more records"."""
    size = f"{min_group_size:g} or more records"
    if exclude_below_share is None:
        return size
    return f"{size} and at least {exclude_below_share:.1%} of the data"


def choose(
    attribute: str,
    labels: list[str],
    request: Request,
    *,
    qualifying: np.ndarray,
    selection: np.ndarray,
    rule_words: str,
) -> Chosen:
    """Apply the rule to one view's groups (``qualifying`` and ``selection`` per group)."""
    pool = np.flatnonzero(qualifying & np.isfinite(selection))
    # Ties go to the first label in sorted order, so the choice is deterministic.
    highest = int(pool[np.argmax(selection[pool])]) if pool.size else None
    words = {"attribute": attribute, "rule": rule_words}
    reference: int | None
    if request.rule == "overall_rate":
        reference, fallback, text = None, False, CHOSEN_OVERALL.format(**words)
    elif request.rule == "named_group":
        assert request.label is not None
        index = labels.index(request.label)
        if qualifying[index]:
            reference, fallback = index, False
            text = CHOSEN_NAMED.format(group=request.label, **words)
        else:
            reference, fallback = None, True
            text = FALLBACK_NAMED_TOO_SMALL.format(group=request.label, **words)
    elif highest is not None:
        reference, fallback = highest, False
        text = CHOSEN_HIGHEST.format(group=labels[highest], **words)
    else:
        reference, fallback, text = None, True, FALLBACK_NONE_QUALIFIES.format(**words)
    choice = ReferenceChoice(
        attribute=attribute,
        rule=request.rule,
        group=None if reference is None else labels[reference],
        fallback=fallback,
        highest_group=None if highest is None else labels[highest],
        explanation=text,
    )
    return Chosen(reference=reference, highest=highest, choice=choice)
