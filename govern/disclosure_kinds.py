"""Disclosure control of the oversight and monitoring evidence: the rule of
:mod:`govern.disclosure`, applied to their tables.

- **Oversight**: a group hidden by the rule (fewer people than the disclosure size, or hidden
  to protect one that is) loses its count and every rate, ratio and test; so does any cell of
  a rate measured on fewer people than that size (three appeals in a group of 200, say), and a
  reviewer's figures when they decided fewer cases. An attribute's gaps and lowest ratios
  (group ``*``) go when a withheld group or cell took part in them (as for fairness: a hidden
  group that was judged).
- **Monitoring**: each window's key figures are a table of their own, redacted with that
  window's group sizes, and the drift detector's steps for a group hidden in a window go too.

Idempotent, like :func:`govern.disclosure.redact`: a part already redacted keeps what it hid.
"""

from __future__ import annotations

from govern.disclosure import SMALL, Withheld, register_redactor, table_hidden
from govern.evidence.fairness import GroupSummary
from govern.evidence.monitoring import MonitoringEvidence, TrendPoint
from govern.evidence.oversight import OversightEvidence
from govern.results import ALL_GROUPS, DisclosureRule, MetricRow


def _hidden(groups: list[GroupSummary], min_size: int) -> dict[tuple[str, str], Withheld]:
    hidden: dict[tuple[str, str], Withheld] = {}
    by_attribute: dict[str, list[GroupSummary]] = {}
    for summary in groups:
        by_attribute.setdefault(summary.attribute, []).append(summary)
    for attribute, members in by_attribute.items():
        if any(g.withheld for g in members):  # already redacted: keep what it hid
            hidden.update({(attribute, g.group): g.withheld for g in members if g.withheld})
            continue
        reference = next((g.group for g in members if g.is_reference), None)
        for group, why in table_hidden(members, reference, min_size).items():
            hidden[(attribute, group)] = why
    return hidden


def _withheld(
    groups: list[GroupSummary], hidden: dict[tuple[str, str], Withheld]
) -> list[GroupSummary]:
    return [
        g.model_copy(update={"n": None, "share": None, "withheld": hidden[(g.attribute, g.group)]})
        if (g.attribute, g.group) in hidden
        else g
        for g in groups
    ]


def _exposed(groups: list[GroupSummary], hidden: dict[tuple[str, str], Withheld]) -> set[str]:
    """Attributes whose summaries a hidden, judged group took part in."""
    judged = {(g.attribute, g.group) for g in groups if g.status == "ok"}
    return {a for (a, g), why in hidden.items() if why == SMALL and (a, g) in judged}


def _base(metric: str) -> str:
    return metric.removesuffix("_difference")


def _rows(
    rows: list[MetricRow],
    hidden: dict[tuple[str, str], Withheld],
    exposed: set[str],
    min_size: int,
    judged_size: float,
) -> list[MetricRow]:
    """Rows that may be published: no hidden group, no cell measured on fewer than
    ``min_size`` people, and no attribute-wide summary (group ``*``) that a withheld figure took
    part in (a hidden group that was judged, as for fairness, or a withheld cell of a rate with
    at least ``judged_size`` people, the groups the summaries cover)."""
    summarised = {
        (r.attribute, _base(r.metric))
        for r in rows
        if r.group != ALL_GROUPS and min_size > r.n >= judged_size
    }
    kept = []
    for row in rows:
        if row.group == ALL_GROUPS:
            if row.attribute in exposed or (row.attribute, _base(row.metric)) in summarised:
                continue
        elif (row.attribute, row.group) in hidden or row.n < min_size:
            continue
        kept.append(row)
    return kept


def redact_oversight(part: OversightEvidence, rule: DisclosureRule) -> OversightEvidence:
    if rule.required_by:
        return part
    size = rule.min_size
    hidden = _hidden(part.groups, size)
    exposed = _exposed(part.groups, hidden)
    judged = part.settings.get("min_group_size")
    judged_size = float(judged) if isinstance(judged, int | float) else 0.0
    reviewers = [
        r
        if r.n >= size
        else r.model_copy(
            update={"overrides": None, "override_rate": None, "ci_low": None, "ci_high": None,
                    "median_review_minutes": None}
        )
        for r in part.reviewers
    ]  # fmt: skip
    return part.model_copy(
        update={
            "groups": _withheld(part.groups, hidden),
            "overall": [r for r in part.overall if r.n >= size],
            "metrics": _rows(part.metrics, hidden, exposed, size, judged_size),
            "stages": _rows(part.stages, hidden, exposed, size, judged_size),
            "rate_tests": {
                rate: [
                    t
                    for t in tests
                    if (t.attribute, t.group) not in hidden
                    and (t.attribute, t.reference) not in hidden
                    and min(t.n, t.reference_n) >= size
                ]
                for rate, tests in part.rate_tests.items()
            },
            "change_tests": [t for t in part.change_tests if (t.attribute, t.group) not in hidden],
            "reviewers": reviewers,
            "unknown_counts": {
                name: count
                for name, count in part.unknown_counts.items()
                if (name, "unknown") not in hidden
            },
        }
    )


def _point(point: TrendPoint, size: int) -> tuple[TrendPoint, dict[tuple[str, str], Withheld]]:
    hidden = _hidden(point.groups, size)
    if not hidden:
        return point, hidden
    exposed = _exposed(point.groups, hidden)
    rows = _rows(point.rows, hidden, exposed, 0, float("inf"))
    return point.model_copy(
        update={"rows": rows, "groups": _withheld(point.groups, hidden)}
    ), hidden


def redact_trend(points: list[TrendPoint], rule: DisclosureRule) -> list[TrendPoint]:
    """Each window's key figures as they may be published (for the trend file and output)."""
    if rule.required_by:
        return list(points)
    return [_point(point, rule.min_size)[0] for point in points]


def redact_monitoring(part: MonitoringEvidence, rule: DisclosureRule) -> MonitoringEvidence:
    if rule.required_by:
        return part
    points = []
    hidden_in: dict[str, dict[tuple[str, str], Withheld]] = {}
    for point in part.trend:
        redacted, hidden = _point(point, rule.min_size)
        points.append(redacted)
        hidden_in[point.window.label] = hidden
    steps = [s for s in part.drift if (s.attribute, s.group) not in hidden_in.get(s.window, {})]
    return part.model_copy(update={"trend": points, "drift": steps})


register_redactor(OversightEvidence, redact_oversight)
register_redactor(MonitoringEvidence, redact_monitoring)

__all__ = ["redact_monitoring", "redact_oversight", "redact_trend"]
