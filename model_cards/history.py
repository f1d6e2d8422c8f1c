"""A model's audit history across versions: a table of verdicts and a trend chart.

Entries come from the register (:class:`govern.results.AuditHistoryEntry`, read back from the
model's audit runs); the document only shows them.
"""

from __future__ import annotations

from collections import Counter

from govern.model_cards.context import ChartContext, HistoryContext, HistoryRowContext
from govern.model_cards.format import count_of, stamp
from govern.results import INTERSECTION_SEPARATOR, AuditHistoryEntry

HISTORY_VERDICTS = {
    "pass": "Passed",
    "fail": "Did not pass",
    "inconclusive": "Inconclusive",
    "no_policy": "No policy applied",
}
SUMMARY = "{count} of this model since {first}: {tally}. The latest {latest}."
CHART_TITLE = "Demographic parity ratio by attribute across the model's audits"
CHART_ALT = (
    "Line chart of each attribute's demographic parity ratio (the lowest group's selection rate "
    "over the highest's) at each audit, oldest first{threshold}: {values}."
)


def _in_order(attributes: set[str]) -> list[str]:
    """Attributes alphabetically, intersections after them: the same order whether an entry
    was built from the audit being recorded or read back from its run's parameters."""
    return sorted(attributes, key=lambda name: (INTERSECTION_SEPARATOR in name, name))


def _blocking(entry: AuditHistoryEntry) -> str:
    if entry.blocking_failed is None:
        return ""
    words = f"{entry.blocking_failed} failed"
    if entry.blocking_inconclusive:
        words += f", {entry.blocking_inconclusive} not checked"
    return words


def _label(entry: AuditHistoryEntry) -> str:
    return f"v{entry.version}\n{entry.audited_at.date().isoformat()}"


def _chart(entries: list[AuditHistoryEntry], threshold: float | None) -> ChartContext | None:
    from govern.model_cards.history_chart import history_chart_svg

    attributes = _in_order({a for e in entries for a in e.parity_ratios})
    if len(entries) < 2 or not attributes:
        return None
    series = {a: [e.parity_ratios.get(a) for e in entries] for a in attributes}
    values = "; ".join(
        f"{a} "
        + ", ".join(
            f"{'not published' if v is None else f'{v:.2f}'} (v{e.version})"
            for v, e in zip(series[a], entries, strict=True)
        )
        for a in attributes
    )
    alt = CHART_ALT.format(
        threshold=""
        if threshold is None
        else f", with a dashed line at the policy's {threshold:g}",
        values=values,
    )
    svg = history_chart_svg(
        [_label(e) for e in entries], series, title=CHART_TITLE, threshold=threshold
    )
    return ChartContext(attribute="history", svg=svg, alt=alt)


def history_context(
    entries: list[AuditHistoryEntry],
    *,
    current_run_id: str | None = None,
    with_chart: bool = True,
    threshold: float | None = None,
) -> HistoryContext | None:
    """The history table (oldest first) and trend chart; None when there is no audit."""
    if not entries:
        return None
    ordered = sorted(entries, key=lambda e: (e.audited_at, e.run_id))
    tally = Counter(HISTORY_VERDICTS[e.status].lower() for e in ordered)
    latest = ordered[-1]
    summary = SUMMARY.format(
        count=count_of(len(ordered), "audit"),
        first=ordered[0].audited_at.date().isoformat(),
        tally=", ".join(f"{n} {verdict}" for verdict, n in tally.items()),
        latest=f"(version {latest.version}, {latest.audited_at.date().isoformat()}) "
        f"{HISTORY_VERDICTS[latest.status].lower()}",
    )
    rows = [
        HistoryRowContext(
            version=e.version,
            audited_at=stamp(e.audited_at),
            policy=f"{e.policy_name} {e.policy_version}".strip(),
            verdict=e.status,
            verdict_label=HISTORY_VERDICTS[e.status],
            blocking=_blocking(e),
            parity="; ".join(
                f"{a} {e.parity_ratios[a]:.3f}" for a in _in_order(set(e.parity_ratios))
            ),
            current=e.run_id == current_run_id,
        )
        for e in ordered
    ]
    return HistoryContext(
        summary=summary,
        rows=rows,
        chart=_chart(ordered, threshold) if with_chart else None,
    )
