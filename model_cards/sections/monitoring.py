"""The monitoring section: where this window sits in the log's history, in plain words.

Which periods this verdict is about (and why some were pooled, 29 CFR 1607.4(D)), the trend of
every window judged with its verdict and lowest impact ratio, a chart of each group's impact
ratio over time with the drift alarms marked, and what the drift detector found. The evidence
arrives redacted (:mod:`govern.disclosure_kinds`): a group too small to publish in a window has
no figures in that window, so its line has a gap there.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from govern.evidence.monitoring import MonitoringEvidence, TrendPoint
from govern.model_cards.context import ChartContext
from govern.model_cards.format import format_interval, format_number
from govern.model_cards.oversight_charts import TrendSeries, trend_chart_svg
from govern.model_cards.sections import SectionContext, SectionInputs, register_report_section
from govern.model_cards.sections.fairness import impact_threshold
from govern.results import ALL_GROUPS, UNKNOWN_GROUP

STATUS_WORDS = {"pass": "passed", "fail": "did not pass", "inconclusive": "inconclusive"}

INTRO = (
    "The decision log was cut into periods ({every}) and the policy judged on each. A period in "
    "which some group had fewer than {minimum} people was pooled with the periods after it "
    "until every group had enough (29 CFR 1607.4(D) advises looking over a longer period when "
    "numbers are too small); the table names the periods pooled. A drift detector (a "
    "cumulative sum of each group's surprises against its own history) raises an alarm when a "
    "group's impact ratio moves further from parity than period-to-period noise explains; it "
    "is set for at most {rate:g} false alarms a year on a stable log."
)


class _Context(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TrendRowContext(_Context):
    window: str
    periods: str = Field(description="'' for one period, else the periods pooled.")
    people: str
    verdict: str = Field(description="The window's verdict, or 'this report' for this one.")
    lowest: str = Field(description="Lowest impact ratio per attribute, with its interval.")
    changes: str = Field(description="What changed since the window before.")
    current: bool


class MonitoringSectionContext(_Context):
    """Context of ``_monitoring.html.j2`` and ``_monitoring.md.j2``."""

    window: str = Field(description="Which periods this report judges, in one sentence.")
    rows: list[TrendRowContext]
    charts: list[ChartContext]
    alarms: list[str]
    detector: str


def _lowest(point: TrendPoint) -> str:
    parts = []
    for row in point.rows:
        if row.metric == "impact_ratio" and row.group == ALL_GROUPS and row.value is not None:
            interval = format_interval(row.ci_low, row.ci_high)
            parts.append(
                f"{row.attribute} {format_number(row.value)}"
                + (f" ({interval})" if interval else "")
            )
    return "; ".join(parts) or "not enough data"


def _row(point: TrendPoint, current: bool) -> TrendRowContext:
    window = point.window
    verdict = "this report" if current else STATUS_WORDS.get(point.status or "", "—")
    return TrendRowContext(
        window=window.label + (" (provisional)" if window.provisional else ""),
        periods=", ".join(window.periods) if window.pooled else "",
        people=f"{window.n:,}",
        verdict=verdict,
        lowest=_lowest(point),
        changes="; ".join(point.changes),
        current=current,
    )


def _charts(evidence: MonitoringEvidence, threshold: float | None) -> list[ChartContext]:
    windows = [p.window.label for p in evidence.trend]
    alarm_windows = {a.window for a in evidence.alarms if a.is_alarm}
    alarms = [i for i, label in enumerate(windows) if label in alarm_windows]
    attributes = list(dict.fromkeys(r.attribute for p in evidence.trend for r in p.rows))
    charts = []
    for attribute in attributes:
        groups = list(
            dict.fromkeys(
                r.group
                for p in evidence.trend
                for r in p.rows
                if r.attribute == attribute
                and r.metric == "impact_ratio"
                and r.group not in (ALL_GROUPS, UNKNOWN_GROUP)
            )
        )
        series = []
        for group in groups:
            cells = []
            for point in evidence.trend:
                row = next(
                    (
                        r
                        for r in point.rows
                        if r.attribute == attribute
                        and r.metric == "impact_ratio"
                        and r.group == group
                    ),
                    None,
                )
                cells.append(row)
            series.append(
                TrendSeries(
                    label=group,
                    values=[c.value if c else None for c in cells],
                    lows=[c.ci_low if c else None for c in cells],
                    highs=[c.ci_high if c else None for c in cells],
                )
            )
        if not any(v is not None for s in series for v in s.values):
            continue
        title = f"Impact ratio by {attribute}, window by window"
        line = f" and a dashed line at the policy's {threshold:g}" if threshold is not None else ""
        marks = (
            f"; red lines mark drift alarms at {', '.join(windows[i] for i in alarms)}."
            if alarms
            else "; no drift alarm."
        )
        alt = (
            f"Line chart of each {attribute} group's impact ratio in each window, with interval "
            f"bars{line}{marks}"
        )
        svg = trend_chart_svg(
            windows, series, alarms=alarms, ylabel="Impact ratio", title=title, threshold=threshold
        )
        charts.append(ChartContext(attribute=attribute, svg=svg, alt=alt))
    return charts


def _window_sentence(evidence: MonitoringEvidence) -> str:
    window = evidence.window
    if window.provisional:
        text = (
            f"This report judges {window.label} ({window.n:,} decisions), a provisional window: "
            f"the latest period(s) were too small on their own and were pooled back with "
            f"{', '.join(window.periods)}."
        )
    elif window.pooled:
        text = (
            f"This report judges {window.label} ({window.n:,} decisions): the periods "
            f"{', '.join(window.periods)} were pooled because a group was too small in each alone."
        )
    else:
        text = f"This report judges {window.label} ({window.n:,} decisions)."
    if window.small_groups:
        text += f" Still too small to judge, and reported only: {', '.join(window.small_groups)}."
    return text


def monitoring_body(
    evidence: MonitoringEvidence, *, with_charts: bool, threshold: float | None = None
) -> MonitoringSectionContext:
    last = len(evidence.trend) - 1
    detector = evidence.detector
    return MonitoringSectionContext(
        window=_window_sentence(evidence),
        rows=[_row(point, index == last) for index, point in enumerate(evidence.trend)],
        charts=_charts(evidence, threshold) if with_charts else [],
        alarms=[
            ("Alarm: " if a.is_alarm else "Change (no alarm): ") + a.sentence + "."
            for a in evidence.alarms
        ],
        detector=(
            f"Drift detector: {detector.get('method', 'CUSUM')}, reference value k = "
            f"{float(detector.get('k', 0.5)):g}, alarm line h = {float(detector.get('h', 0)):.2f}, "
            f"{int(detector.get('series', 0))} series watched; the first "
            f"{int(detector.get('warmup', 0))} windows of a series set its level."
        ),
    )


def monitoring_section(evidence: MonitoringEvidence, inputs: SectionInputs) -> SectionContext:
    body = monitoring_body(
        evidence, with_charts=inputs.fmt == "html", threshold=impact_threshold(inputs.rules)
    )
    return SectionContext(
        kind="monitoring",
        title="Monitoring over time",
        anchor="monitoring",
        intro=INTRO.format(
            every=evidence.every,
            minimum=evidence.min_group_size,
            rate=float(evidence.detector.get("false_alarm_rate_per_year", 0.05)),
        ),
        html_partial="_monitoring.html.j2",
        markdown_partial="_monitoring.md.j2",
        body=body,
    )


register_report_section(MonitoringEvidence, monitoring_section)
