"""Disclosure control: which groups' figures may leave govern. One rule, applied here.

Every output (the terminal, ``audit.json``, MLflow artifacts, reports, cards, the gate's
summary and JUnit) shows an audit through :func:`redact`, and every sentence about a group asks
:func:`hidden_groups` whether it may quote the group's figures, so no output shows the count or
rate of a group smaller than the policy's disclosure size.

The rule, for each table (one attribute, or one intersection of attributes):

- a group with fewer than ``min_size`` people is hidden (its count, share, rates, ratios and
  significance test are not published; its label and its verdicts are);
- when exactly one group of a table is hidden, the next smallest group (never the reference) is
  hidden too, since the first would follow from the total minus the others: complementary
  suppression, the usual practice of statistical disclosure control for published tables
  (e.g. the ONS's and Eurostat's);
- when a law requires every category to be published (``required_by``), nothing is hidden and
  documents cite the law.

Known limit: hiding cells table by table does not stop every subtraction across tables (an
intersection cell from its margins and the other cells of its row); with intersections, set
``disclosure_min_size`` with that in mind.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Literal

from govern.evidence import EvidencePart, kind_of
from govern.evidence.fairness import FairnessEvidence, GroupSummary
from govern.evidence.ranking import RankingEvidence
from govern.results import ALL_GROUPS, AuditResult, DisclosureRule, RuleResult

SMALL: Literal["small"] = "small"
COMPLEMENTARY: Literal["complementary"] = "complementary"
Withheld = Literal["small", "complementary"]


def _table_hidden(
    groups: list[GroupSummary], reference: str | None, min_size: int
) -> dict[str, Withheld]:
    # A table already redacted keeps what it hid (and why); a stricter rule (the public size
    # of a published document) hides more of what is still shown.
    small: dict[str, Withheld] = {g.group: g.withheld for g in groups if g.withheld is not None}
    small.update(
        {
            g.group: SMALL
            for g in groups
            if g.withheld is None and g.n is not None and g.n < min_size
        }
    )
    if len(small) != 1:
        return small
    candidates = [
        g
        for g in groups
        if g.group not in small and g.group != reference and not g.is_reference and g.n is not None
    ]
    if candidates:
        protecting = min(candidates, key=lambda g: (g.n or 0, g.group))
        small[protecting.group] = COMPLEMENTARY
    return small


def table_hidden(
    groups: list[GroupSummary], reference: str | None, min_size: int
) -> dict[str, Withheld]:
    """The rule for one table (the groups of one attribute or intersection): group -> why."""
    return _table_hidden(groups, reference, min_size)


# Evidence kinds other than fairness redact their own figures with the same rule: a function
# (part, rule) -> the part as it may be published, registered by kind.
Redactor = Callable[[Any, DisclosureRule], Any]
_REDACTORS: dict[str, Redactor] = {}
BUILTIN_REDACTOR_MODULES = ("govern.disclosure_kinds",)
_redactors_loaded = False


def register_redactor(model: type[EvidencePart], redactor: Redactor) -> None:
    """Redact the parts of ``model``'s kind with ``redactor`` whenever an audit is published."""
    _REDACTORS[kind_of(model)] = redactor


def _redact_other_kinds(result: AuditResult) -> AuditResult:
    global _redactors_loaded
    if not _redactors_loaded:
        _redactors_loaded = True
        for module in BUILTIN_REDACTOR_MODULES:
            importlib.import_module(module)
    parts = [
        redactor(part, result.disclosure)
        for kind, redactor in _REDACTORS.items()
        if (part := result.evidence.root.get(kind)) is not None
    ]
    if not parts:
        return result
    return result.model_copy(update={"evidence": result.evidence.with_parts(*parts)})


def hidden_groups(
    fairness: FairnessEvidence, rule: DisclosureRule
) -> dict[tuple[str, str], Withheld]:
    """(attribute, group) -> why it is hidden (``small`` or ``complementary``)."""
    if rule.required_by:
        return {}
    hidden: dict[tuple[str, str], Withheld] = {}
    by_attribute: dict[str, list[GroupSummary]] = {}
    for summary in fairness.groups:
        by_attribute.setdefault(summary.attribute, []).append(summary)
    for attribute, groups in by_attribute.items():
        reference = fairness.reference_groups.get(attribute)
        for group, why in _table_hidden(groups, reference, rule.min_size).items():
            hidden[(attribute, group)] = why
    return hidden


def _redact_fairness(
    fairness: FairnessEvidence, hidden: dict[tuple[str, str], Withheld]
) -> FairnessEvidence:
    # An attribute-wide summary (max - min of rates over the groups judged) could be solved for
    # the rate of a withheld group that took part in it: drop the attribute's summaries then.
    judged = {(g.attribute, g.group) for g in fairness.groups if g.status == "ok"}
    exposed = {attribute for (attribute, group), why in hidden.items()
               if why == SMALL and (attribute, group) in judged}  # fmt: skip

    def shown(attribute: str, group: str) -> bool:
        if group == ALL_GROUPS:
            return attribute not in exposed
        return (attribute, group) not in hidden

    groups = [
        g.model_copy(update={"n": None, "share": None, "withheld": hidden[(g.attribute, g.group)]})
        if (g.attribute, g.group) in hidden
        else g
        for g in fairness.groups
    ]
    return fairness.model_copy(
        update={
            "groups": groups,
            "metrics": [r for r in fairness.metrics if shown(r.attribute, r.group)],
            "disparities": [r for r in fairness.disparities if shown(r.attribute, r.group)],
            "tests": [t for t in fairness.tests if (t.attribute, t.group) not in hidden],
            "unknown_counts": {
                name: count
                for name, count in fairness.unknown_counts.items()
                if (name, "unknown") not in hidden
            },
        }
    )


def ranking_hidden_groups(
    ranking: RankingEvidence, rule: DisclosureRule
) -> dict[tuple[str, str], Withheld]:
    """(attribute, group) -> why it is hidden, for the groups of users and of items of a ranking
    audit (the same rule; a ranking audit's references differ by metric, so none is spared)."""
    if rule.required_by:
        return {}
    hidden: dict[tuple[str, str], Withheld] = {}
    by_attribute: dict[str, list[GroupSummary]] = {}
    for summary in [*ranking.groups, *ranking.item_groups]:
        by_attribute.setdefault(summary.attribute, []).append(summary)
    for attribute, groups in by_attribute.items():
        if any(g.withheld for g in groups):  # already redacted: keep what it hid, and why
            hidden.update({(attribute, g.group): g.withheld for g in groups if g.withheld})
            continue
        for group, why in _table_hidden(groups, None, rule.min_size).items():
            hidden[(attribute, group)] = why
    return hidden


def _redact_ranking(
    ranking: RankingEvidence, hidden: dict[tuple[str, str], Withheld]
) -> RankingEvidence:
    # As for fairness: spreads over the groups judged could be solved for a withheld group's
    # rate, so an attribute's group-'*' comparisons go when such a group took part (NDKL is a
    # mean over lists, not over groups, and stays).
    judged = {(g.attribute, g.group) for g in [*ranking.groups, *ranking.item_groups]
              if g.status == "ok"}  # fmt: skip
    exposed = {attribute for (attribute, group), why in hidden.items()
               if why == SMALL and (attribute, group) in judged}  # fmt: skip

    def shown(attribute: str, group: str, metric: str) -> bool:
        if group == ALL_GROUPS:
            return metric == "ndkl" or attribute not in exposed
        return (attribute, group) not in hidden

    def withhold(groups: list[GroupSummary]) -> list[GroupSummary]:
        return [
            g.model_copy(
                update={"n": None, "share": None, "withheld": hidden[(g.attribute, g.group)]}
            )
            if (g.attribute, g.group) in hidden
            else g
            for g in groups
        ]

    return ranking.model_copy(
        update={
            "groups": withhold(ranking.groups),
            "item_groups": withhold(ranking.item_groups),
            "metrics": [r for r in ranking.metrics if shown(r.attribute, r.group, r.metric)],
            "disparities": [
                r for r in ranking.disparities if shown(r.attribute, r.group, r.metric)
            ],
            "unknown_counts": {
                name: count
                for name, count in ranking.unknown_counts.items()
                if (name, "unknown") not in hidden
            },
        }
    )


PUBLIC_WITHHELD_SENTENCE = (
    "The figures behind this finding concern groups with fewer than {size} people, so they are "
    "withheld from published documents; the verdict stands."
)


def _names_hidden(rule: RuleResult, hidden: dict[tuple[str, str], Withheld]) -> bool:
    """Does the rule's finding quote a withheld group (its own, or a reference it compares to)?"""
    if rule.attribute is None:
        return False
    if (rule.attribute, rule.group) in hidden:
        return True
    return any(
        f"'{group}'" in rule.sentence for attribute, group in hidden if attribute == rule.attribute
    )


def _redact_rule(
    rule: RuleResult, hidden: dict[tuple[str, str], Withheld], disclosure: DisclosureRule
) -> RuleResult:
    update: dict[str, object] = {}
    if rule.attribute is not None and (rule.attribute, rule.group) in hidden:
        update = {"value": None, "ci_low": None, "ci_high": None}
    # The evaluator wrote the finding under the audit's own (internal) size; a document for
    # everyone, with a larger size, must not quote the groups that size withholds.
    if disclosure.audience == "public" and _names_hidden(rule, hidden):
        update |= {
            "sentence": PUBLIC_WITHHELD_SENTENCE.format(size=disclosure.min_size),
            "details": [],
        }
    return rule.model_copy(update=update) if update else rule


def redact(result: AuditResult) -> AuditResult:
    """The audit as it may be published: hidden groups' figures removed, verdicts kept.

    Idempotent; the rule applied is ``result.disclosure``.

    Examples
    --------
    >>> import datetime as dt
    >>> from govern.evidence import Evidence
    >>> from govern.results import DataFingerprint
    >>> audit = AuditResult(govern_version="0", created_at=dt.datetime(2026, 1, 1),
    ...     data=DataFingerprint(sha256="ab" * 32, n_rows=3, columns=["sex"]),
    ...     evidence=Evidence())
    >>> redact(audit) == audit
    True
    """
    result = _redact_other_kinds(result)
    fairness = result.evidence.get(FairnessEvidence)
    ranking = result.evidence.get(RankingEvidence)
    hidden: dict[tuple[str, str], Withheld] = {}
    parts: list[FairnessEvidence | RankingEvidence] = []
    if fairness is not None:
        found = hidden_groups(fairness, result.disclosure)
        parts += [_redact_fairness(fairness, found)] if found else []
        hidden.update(found)
    if ranking is not None:
        found = ranking_hidden_groups(ranking, result.disclosure)
        parts += [_redact_ranking(ranking, found)] if found else []
        hidden.update(found)
    if not hidden:
        return result
    evidence = result.evidence.with_parts(*parts)
    policy = result.policy
    if policy is not None:
        policy = policy.model_copy(
            update={"rules": [_redact_rule(r, hidden, result.disclosure) for r in policy.rules]}
        )
    return result.model_copy(update={"evidence": evidence, "policy": policy})
