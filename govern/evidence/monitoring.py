"""Monitoring evidence: where one window of a time-stamped decision log sits in its history.

Produced by ``govern monitor`` (:mod:`govern.services.monitor`) for every window it judges: the
window's periods (and which were pooled because their groups were too small, 29 CFR
1607.4(D)), the trend of the windows judged before it, and the drift detector's state and
alarms up to it. Read by the ``drift`` check kind and the report's monitoring section.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from govern.evidence import EvidencePart, register_evidence_kind
from govern.evidence.fairness import GroupSummary
from govern.results import MetricRow, PolicyStatus, Verdict

DriftDirection = Literal["widened", "narrowed"]


class PeriodInfo(BaseModel):
    """One calendar period of the log (a month, a quarter, or N days)."""

    label: str = Field(description="'2025-03', '2025-Q1' or '2025-01-01 to 2025-01-14'.")
    start: dt.date
    end: dt.date = Field(description="Last day of the period (inclusive).")
    n: int = Field(description="Decisions recorded in the period.")
    window: str | None = Field(
        None, description="The window the period was judged in; None while it waits for more."
    )


class WindowInfo(BaseModel):
    """The periods one verdict is about."""

    label: str = Field(description="The period's label, or 'first to last' when pooled.")
    start: dt.date
    end: dt.date
    periods: list[str] = Field(description="Labels of the periods pooled into this window.")
    n: int
    provisional: bool = Field(
        False,
        description="The latest periods, too small on their own, pooled back with periods "
        "already judged so that the log's current state has a verdict.",
    )
    small_groups: list[str] = Field(
        default_factory=list,
        description="Groups still under the minimum in this window (reported, not judged).",
    )

    @property
    def pooled(self) -> bool:
        return len(self.periods) > 1


class TrendPoint(BaseModel):
    """What one window showed: key figures with intervals and the verdict."""

    window: WindowInfo
    status: PolicyStatus | None = Field(
        None, description="The window's policy verdict; None for the window this audit judges."
    )
    verdicts: dict[str, Verdict] = Field(default_factory=dict, description="Rule id -> verdict.")
    rows: list[MetricRow] = Field(default_factory=list, description="Key figures per group.")
    groups: list[GroupSummary] = Field(
        default_factory=list, description="Group sizes and statuses (for disclosure control)."
    )
    changes: list[str] = Field(
        default_factory=list, description="What changed since the window before, in words."
    )


class DriftStep(BaseModel):
    """The drift detector on one series (a group against the reference) at one window."""

    attribute: str
    group: str
    reference: str
    window: str
    impact_ratio: float = Field(description="The group's rate over the reference's, smoothed.")
    z: float | None = Field(
        None, description="Standardised surprise against the windows before; None in warm-up."
    )
    lower: float = Field(description="CUSUM of falls of the ratio.")
    upper: float = Field(description="CUSUM of rises of the ratio.")


class DriftAlarm(BaseModel):
    """A change in a group's impact ratio that month-to-month noise does not explain."""

    attribute: str
    group: str
    reference: str
    window: str = Field(description="The window at which the change was detected.")
    since: str = Field(description="The first window of the new level (the change point).")
    direction: DriftDirection = Field(
        description="'widened' when the gap between the two groups grew (an alarm), "
        "'narrowed' when it shrank (reported, not an alarm)."
    )
    impact_ratio_before: float
    impact_ratio_after: float
    statistic: float
    threshold: float
    sentence: str

    @property
    def is_alarm(self) -> bool:
        return self.direction == "widened"


@register_evidence_kind
class MonitoringEvidence(EvidencePart):
    """One window of a monitored decision log, with its history. Pure data; no verdicts."""

    kind: Literal["monitoring"] = "monitoring"
    time_column: str
    every: str = Field(description="'month', 'quarter' or 'N days'.")
    min_group_size: int
    window: WindowInfo
    periods: list[PeriodInfo] = Field(
        default_factory=list, description="Every period of the log up to this window's end."
    )
    trend: list[TrendPoint] = Field(
        default_factory=list, description="Every window judged up to and including this one."
    )
    drift_window: str | None = Field(
        None,
        description="The window whose drift-detector state applies: this one, or for a "
        "provisional window the last window judged in full (None before there is one).",
    )
    drift: list[DriftStep] = Field(default_factory=list)
    alarms: list[DriftAlarm] = Field(
        default_factory=list, description="Changes detected up to this window, oldest first."
    )
    detector: dict[str, float | int | str] = Field(
        default_factory=dict, description="The drift detector's settings (k, h, rates)."
    )

    def alarms_at(self, window: str) -> list[DriftAlarm]:
        """Alarms (widening changes) detected at one window."""
        return [a for a in self.alarms if a.window == window and a.is_alarm]

    @property
    def current_alarms(self) -> list[DriftAlarm]:
        """Alarms detected at the window whose detector state applies to this one."""
        return [] if self.drift_window is None else self.alarms_at(self.drift_window)
