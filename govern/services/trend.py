"""The trend of a monitored log: key figures per window, what changed, and the trend file.

Pure functions of evidence already gathered: which figures a trend shows (selection rates and
impact ratios of the decisions; agreement and the change in the impact ratio with a reviewer
stage), the sentences saying what changed from one window to the next, the counts the drift
detector reads, and ``trend.csv`` (written from the redacted trend: no small group's figures).
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from govern.evidence.fairness import FairnessEvidence
from govern.evidence.monitoring import DriftAlarm, TrendPoint, WindowInfo
from govern.evidence.oversight import AGREEMENT_RATE, IMPACT_RATIO_CHANGE, OversightEvidence
from govern.results import UNKNOWN_GROUP, MetricRow, PolicyStatus, Verdict

if TYPE_CHECKING:
    from govern.audits.monitoring.drift import WindowCounts
    from govern.evidence import Evidence

FAIRNESS_KEYS = ("selection_rate", "impact_ratio")
OVERSIGHT_KEYS = (AGREEMENT_RATE, IMPACT_RATIO_CHANGE)
TREND_COLUMNS = (
    "window",
    "start",
    "end",
    "periods",
    "provisional",
    "status",
    "attribute",
    "group",
    "n",
    "metric",
    "value",
    "ci_low",
    "ci_high",
    "suppressed",
)


def key_rows(evidence: Evidence, attributes: list[str]) -> list[MetricRow]:
    """The figures a trend follows, for the sensitive attributes (not their intersections)."""
    rows: list[MetricRow] = []
    fairness = evidence.get(FairnessEvidence)
    if fairness is not None:
        for metric in FAIRNESS_KEYS:
            for attribute in attributes:
                rows.extend(fairness.find(metric, attribute=attribute))
    oversight = evidence.get(OversightEvidence)
    if oversight is not None:
        for metric in OVERSIGHT_KEYS:
            for attribute in attributes:
                rows.extend(oversight.find(metric, attribute=attribute))
    return rows


def window_counts(label: str, evidence: Evidence, attributes: list[str]) -> WindowCounts:
    """People and selections of every group large enough to judge, for the drift detector."""
    from govern.audits.monitoring.drift import GroupCount, WindowCounts

    fairness = evidence.get(FairnessEvidence)
    groups: dict[str, dict[str, GroupCount]] = {}
    if fairness is not None:
        for attribute in attributes:
            judged: dict[str, GroupCount] = {}
            for row in fairness.find("selection_rate", attribute=attribute):
                status = fairness.group_status(attribute, row.group)
                if row.group == UNKNOWN_GROUP or status != "ok" or row.value is None:
                    continue
                judged[row.group] = GroupCount(n=float(row.n), selected=row.value * row.n)
            groups[attribute] = judged
    return WindowCounts(label, groups)


def pooling_notes(window: WindowInfo) -> list[str]:
    """Why the window holds several periods, and which groups are still too small."""
    notes = []
    if window.provisional and window.pooled:
        notes.append(
            f"provisional: the latest period(s) were too small on their own and are pooled "
            f"back with earlier periods ({', '.join(window.periods)})"
        )
    elif window.pooled:
        notes.append(
            f"pooled {len(window.periods)} periods ({', '.join(window.periods)}): a group was "
            "too small to judge in each alone (29 CFR 1607.4(D))"
        )
    if window.small_groups:
        notes.append(f"still too small to judge, reported only: {', '.join(window.small_groups)}")
    return notes


def verdict_changes(
    previous: TrendPoint | None, status: PolicyStatus, verdicts: dict[str, Verdict]
) -> list[str]:
    if previous is None or previous.status is None:
        return []
    changes = []
    if previous.status != status:
        changes.append(f"verdict {previous.status} -> {status}")
    for rule_id, verdict in verdicts.items():
        before = previous.verdicts.get(rule_id)
        if before is not None and before != verdict:
            changes.append(f"rule {rule_id}: {before} -> {verdict}")
    return changes


def alarm_notes(alarms: list[DriftAlarm]) -> list[str]:
    return [("ALARM: " if alarm.is_alarm else "") + alarm.sentence for alarm in alarms]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def trend_csv(points: list[TrendPoint]) -> str:
    """One row per window, group and key figure, from the published (redacted) trend; a group
    whose figures are withheld in a window gets one row marked suppressed, with no figures."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TREND_COLUMNS)
    for point in points:
        window = point.window
        head = [
            window.label,
            window.start.isoformat(),
            window.end.isoformat(),
            " ".join(window.periods),
            "yes" if window.provisional else "no",
            point.status or "",
        ]
        for row in point.rows:
            figures = [_number(row.value), _number(row.ci_low), _number(row.ci_high)]
            writer.writerow([*head, row.attribute, row.group, row.n, row.metric, *figures, "no"])
        for group in point.groups:
            if group.withheld is not None:
                writer.writerow([*head, group.attribute, group.group, "", "", "", "", "", "yes"])
    return buffer.getvalue()
