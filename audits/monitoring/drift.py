"""Drift alarms on impact ratios: a self-starting CUSUM per group, with a false-alarm budget.

For every attribute, the reference is the group with the highest selection rate in the first
window where two groups can be judged (that window only chooses it: counted in the level, it
would bias every other group's ratio downwards); each other group ``g`` gives one series, the
log of its selection rate over the reference's, window by window (windows where either group is
too small are skipped)::

    y = log((x_g + 0.5) / (n_g + 1)) - log((x_r + 0.5) / (n_r + 1))

(the half-count correction keeps a window with nobody selected finite). The first ``warmup``
windows set the series' level. From then on each window's surprise is standardised against the
level of all windows before it (their counts pooled, ``y0`` from the pooled rates ``p_g``,
``p_r``): ``z = (y - y0) / sqrt(v + v0)``, where ``v = (1-p_g)/(n_g p_g) + (1-p_r)/(n_r p_r)``
uses the window's sizes and the pooled rates (not the window's own rates, which would scale a
window's surprise by its own luck) and ``v0`` is the same with the pooled sizes. For a stable
log these recursive residuals are close to independent and standard normal (the self-starting
CUSUM of Hawkins 1987, Technometrics 29(1); Hawkins & Olwell 1998, ch. 7), so no baseline has
to be assumed. Two one-sided CUSUMs (Page 1954, Biometrika 41) accumulate falls and rises::

    lower = max(0, lower - z - k)      upper = max(0, upper + z - k)

and a change is detected when either passes ``h``. ``k = 0.5`` is tuned to a shift of one
standard error per window. ``h`` is set so that a stable log raises on average at most
``alpha`` false detections a year over all its ``2 x series`` one-sided charts (each chart's
average run length at least ``2 x series x windows_per_year / alpha``, a Bonferroni split),
the average run length computed with the Markov-chain approximation of Brook & Evans (1972),
Biometrika 59(3). After a detection the charts restart, with the windows since the change as
the new level.

A detection is an **alarm** when the gap between the group and the reference widened (the ratio
moved away from 1); a narrowing is reported but does not alarm. The false-alarm rate on stable
synthetic logs is measured in ``tests/test_monitor_drift.py`` and
``benchmarks/bench_monitor.py`` (docs/monitoring.md gives the figures).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from govern.evidence.monitoring import DriftAlarm, DriftStep

DEFAULT_K = 0.5
DEFAULT_WARMUP = 3
# States of the Markov chain that approximates the CUSUM (Brook & Evans 1972).
CHAIN_STATES = 120


@dataclass(frozen=True)
class GroupCount:
    """One group's people and selections in one window."""

    n: float
    selected: float


@dataclass(frozen=True)
class WindowCounts:
    """The groups that could be judged in one window, per attribute."""

    label: str
    groups: dict[str, dict[str, GroupCount]]  # attribute -> group -> counts


@dataclass(frozen=True)
class DriftSettings:
    alpha: float = 0.05
    windows_per_year: int = 12
    k: float = DEFAULT_K
    warmup: int = DEFAULT_WARMUP


def _transition(h: float, k: float, states: int) -> np.ndarray:
    """The Markov chain of a one-sided CUSUM ``S = max(0, S + z - k)`` of standard normal
    increments on ``[0, h)``: cells of equal width, the first (holding 0) half as wide, and
    normal probabilities between cell edges (Brook & Evans 1972)."""
    from scipy.special import ndtr

    width = 2.0 * h / (2 * states - 1)
    centres = np.arange(states) * width
    edges_high = (np.arange(states) + 0.5) * width
    # P(next cell <= j | cell i) = Phi(upper edge of j - centre of i + k)
    cumulative = ndtr(edges_high[None, :] - centres[:, None] + k)
    return np.diff(np.concatenate([np.zeros((states, 1)), cumulative], axis=1), axis=1)


def average_run_length(h: float, k: float, states: int = CHAIN_STATES) -> float:
    """Expected steps before a one-sided CUSUM of a stable series first passes ``h``.

    Examples
    --------
    >>> 300 < average_run_length(4.0, 0.5) < 400  # Siegmund's approximation gives 338
    True
    """
    transition = _transition(h, k, states)
    lengths = np.linalg.solve(np.eye(states) - transition, np.ones(states))
    return float(lengths[0])


@functools.lru_cache(maxsize=64)
def alarm_threshold(k: float, average_steps: float) -> float:
    """The smallest ``h`` whose average run length on a stable series is at least
    ``average_steps`` (bisection on :func:`average_run_length`).

    A chart restarted after each detection, or long in use, detects falsely once every
    ``average_run_length`` steps on average, so this bounds the long-run rate of false
    detections, not only the chance of one in the first year.

    Examples
    --------
    >>> round(alarm_threshold(0.5, 480), 2)
    4.35
    """
    low, high = 0.0, 40.0
    for _ in range(30):
        middle = (low + high) / 2
        if average_run_length(middle, k) < average_steps:
            low = middle
        else:
            high = middle
    return high


@dataclass
class _Observation:
    window: str
    group: GroupCount
    reference: GroupCount


@dataclass
class _Series:
    attribute: str
    group: str
    reference: str
    level: list[_Observation] = field(default_factory=list)
    lower: float = 0.0
    upper: float = 0.0
    lower_since: int = 0  # index into level where the current excursion started
    upper_since: int = 0


def _smoothed(selected: float, n: float) -> float:
    return (selected + 0.5) / (n + 1)


def _log_ratio(group: GroupCount, reference: GroupCount) -> float:
    return math.log(_smoothed(group.selected, group.n)) - math.log(
        _smoothed(reference.selected, reference.n)
    )


def _rate_variance(rate: float, n: float) -> float:
    """Variance of the log of a rate measured on ``n`` people when the true rate is ``rate``."""
    return (1 - rate) / (max(n, 1.0) * rate)


def _level(observations: list[_Observation]) -> tuple[float, float, float, float]:
    """The pooled log ratio of the windows, its variance, and the pooled rates behind it.

    Pooling the counts (rather than averaging the windows' ratios) keeps the level and its
    variance independent of any one window's luck, so a window's surprise is not scaled by its
    own outcome.
    """
    group = GroupCount(
        sum(o.group.n for o in observations), sum(o.group.selected for o in observations)
    )
    reference = GroupCount(
        sum(o.reference.n for o in observations), sum(o.reference.selected for o in observations)
    )
    rate_g, rate_r = _smoothed(group.selected, group.n), _smoothed(reference.selected, reference.n)
    variance = _rate_variance(rate_g, group.n) + _rate_variance(rate_r, reference.n)
    return _log_ratio(group, reference), variance, rate_g, rate_r


def _references(windows: list[WindowCounts]) -> dict[str, tuple[str, str]]:
    """Per attribute, the reference group and the window it was chosen in."""
    references: dict[str, tuple[str, str]] = {}
    for window in windows:
        for attribute, groups in window.groups.items():
            if attribute in references or len(groups) < 2:
                continue
            rates = {g: c.selected / c.n for g, c in groups.items() if c.n > 0}
            references[attribute] = (max(sorted(rates), key=lambda g: rates[g]), window.label)
    return references


def series_count(windows: list[WindowCounts]) -> int:
    references = _references(windows)
    groups: set[tuple[str, str]] = set()
    for window in windows:
        for attribute, counts in window.groups.items():
            chosen = references.get(attribute)
            groups.update((attribute, g) for g in counts if chosen is None or g != chosen[0])
    return len({(a, g) for a, g in groups if a in references})


def _percent(ratio: float) -> str:
    return f"{ratio * 100:.0f}%"


def _detected(
    series: _Series, window: str, h: float, statistic: float, falling: bool
) -> DriftAlarm:
    since = series.lower_since if falling else series.upper_since
    before = _level(series.level[: max(since, 1)])[0]
    after = _level(series.level[since:])[0]
    widened = abs(after) > abs(before)
    ratio_before, ratio_after = math.exp(before), math.exp(after)
    change = "widened" if widened else "narrowed"
    tail = (
        "; the gap between them widened by more than the noise between windows explains"
        if widened
        else "; the gap between them narrowed (reported, not an alarm)"
    )
    return DriftAlarm(
        attribute=series.attribute,
        group=series.group,
        reference=series.reference,
        window=window,
        since=series.level[since].window,
        direction=change,
        impact_ratio_before=ratio_before,
        impact_ratio_after=ratio_after,
        statistic=statistic,
        threshold=h,
        sentence=_sentence(series, ratio_before, ratio_after, series.level[since].window)
        + f"{tail} (cumulative sum {statistic:.2f}, alarm line {h:.2f})",
    )


def _sentence(series: _Series, ratio_before: float, ratio_after: float, since: str) -> str:
    """What changed, told from the side of the group now selected less often: a reference
    overtaken by the other group is the one whose rate fell behind."""
    lower, higher = series.group, series.reference
    if ratio_after > 1:
        lower, higher = higher, lower
        ratio_before, ratio_after = 1 / ratio_before, 1 / ratio_after
    return (
        f"Group '{lower}' of {series.attribute} went from being selected at "
        f"{_percent(ratio_before)} of the rate of '{higher}' to {_percent(ratio_after)} from "
        f"{since} on"
    )


def _surprise(series: _Series, group: GroupCount, reference: GroupCount) -> float:
    """The window's standardised distance from the level of the windows before it."""
    level, level_variance, rate_g, rate_r = _level(series.level)
    variance = _rate_variance(rate_g, group.n) + _rate_variance(rate_r, reference.n)
    return (_log_ratio(group, reference) - level) / math.sqrt(variance + level_variance)


def _step(
    series: _Series,
    window: str,
    counts: tuple[GroupCount, GroupCount],
    settings: DriftSettings,
    h: float,
) -> tuple[DriftStep, DriftAlarm | None]:
    z = None
    alarm = None
    if len(series.level) >= settings.warmup:
        z = _surprise(series, *counts)
        if series.lower == 0.0:
            series.lower_since = len(series.level)
        if series.upper == 0.0:
            series.upper_since = len(series.level)
        series.lower = max(0.0, series.lower - z - settings.k)
        series.upper = max(0.0, series.upper + z - settings.k)
    series.level.append(_Observation(window, *counts))
    step = DriftStep(
        attribute=series.attribute,
        group=series.group,
        reference=series.reference,
        window=window,
        impact_ratio=math.exp(_log_ratio(*counts)),
        z=z,
        lower=series.lower,
        upper=series.upper,
    )
    if max(series.lower, series.upper) > h:
        falling = series.lower >= series.upper
        alarm = _detected(series, window, h, max(series.lower, series.upper), falling)
        since = series.lower_since if falling else series.upper_since
        series.level = series.level[since:]  # the new level
        series.lower = series.upper = 0.0
    return step, alarm


def detect_drift(
    windows: list[WindowCounts], settings: DriftSettings
) -> tuple[list[DriftStep], list[DriftAlarm], dict[str, float | int | str]]:
    """Run the detector over the windows in order: every step, every detection, the settings.

    Examples
    --------
    >>> counts = {"f": GroupCount(300, 120), "m": GroupCount(300, 120)}
    >>> stable = [WindowCounts(str(i), {"sex": counts}) for i in range(12)]
    >>> steps, alarms, detector = detect_drift(stable, DriftSettings())
    >>> len(steps), alarms  # the first window starts the detector; eleven are judged
    (11, [])
    """
    references = _references(windows)
    count = max(series_count(windows), 1)
    # 2 x count one-sided charts, each allowed alpha / (2 x count) false detections a year.
    h = alarm_threshold(settings.k, 2 * count * settings.windows_per_year / settings.alpha)
    series: dict[tuple[str, str], _Series] = {}
    steps: list[DriftStep] = []
    alarms: list[DriftAlarm] = []
    for window in windows:
        for attribute, groups in window.groups.items():
            chosen = references.get(attribute)
            # The window that chose the reference (its highest rate) would bias the level
            # against every other group, so the series start after it.
            if chosen is None or chosen[1] == window.label or chosen[0] not in groups:
                continue
            reference = chosen[0]
            for group, counts in sorted(groups.items()):
                if group == reference:
                    continue
                state = series.setdefault((attribute, group), _Series(attribute, group, reference))
                step, alarm = _step(state, window.label, (counts, groups[reference]), settings, h)
                steps.append(step)
                if alarm is not None:
                    alarms.append(alarm)
    detector: dict[str, float | int | str] = {
        "method": "self-starting two-sided CUSUM of the log impact ratio",
        "k": settings.k,
        "h": h,
        "warmup": settings.warmup,
        "series": count,
        "false_alarm_rate_per_year": settings.alpha,
        "windows_per_year": settings.windows_per_year,
    }
    return steps, alarms, detector
