"""The drift detector: its alarm line, a CUSUM worked by hand, and its false-alarm rate.

The design promise (docs/monitoring.md): on a stable log at most ``alpha`` (5%) false alarms a
year. It rests on the Brook-Evans run length of a CUSUM of standard normal steps; here the run
length is checked against Siegmund's approximation and a simulation, and the whole detector
against many simulated stable logs of binomial counts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from govern.audits.monitoring.drift import (
    DriftSettings,
    GroupCount,
    WindowCounts,
    alarm_threshold,
    average_run_length,
    detect_drift,
)


def test_average_run_length_agrees_with_siegmund_and_a_simulation() -> None:
    # Siegmund's approximation for a one-sided CUSUM of N(0, 1) steps with reference k:
    # ARL = (exp(2kb) - 2kb - 1) / (2k^2), b = h + 1.166.
    k, h = 0.5, 4.0
    b = h + 1.166
    siegmund = (math.exp(2 * k * b) - 2 * k * b - 1) / (2 * k * k)
    assert average_run_length(h, k) == pytest.approx(siegmund, rel=0.02)
    # and a simulation of 20,000 charts run until they pass h = 3 (ARL about 119)
    rng = np.random.default_rng(0)
    totals = np.zeros(20000)
    alive = np.ones(20000, dtype=bool)
    statistic = np.zeros(20000)
    for _ in range(3000):
        statistic = np.where(alive, np.maximum(0.0, statistic + rng.standard_normal(20000) - k), 0)
        totals += alive
        alive &= statistic <= 3.0
        if not alive.any():
            break
    assert average_run_length(3.0, k) == pytest.approx(totals.mean(), rel=0.03)


def test_alarm_line_splits_the_yearly_budget_over_the_charts() -> None:
    # one series, two one-sided charts, 12 windows a year, 5% a year: ARL >= 2 x 12 / 0.05
    h = alarm_threshold(0.5, 480.0)
    assert average_run_length(h, 0.5) >= 480.0
    assert average_run_length(h - 0.01, 0.5) < 480.0


def _window(label: str, female: tuple[int, int], male: tuple[int, int]) -> WindowCounts:
    return WindowCounts(label, {"sex": {"female": GroupCount(*female), "male": GroupCount(*male)}})


def test_cusum_steps_worked_by_hand() -> None:
    windows = [
        _window("w1", (100, 30), (100, 50)),  # chooses the reference (male: the higher rate)
        _window("w2", (100, 40), (100, 40)),
        _window("w3", (100, 40), (100, 40)),
        _window("w4", (100, 40), (100, 40)),  # warm-up ends: w2..w4 set the level
        _window("w5", (100, 20), (100, 40)),
    ]
    steps, alarms, detector = detect_drift(windows, DriftSettings())
    assert [s.window for s in steps] == ["w2", "w3", "w4", "w5"]
    assert [s.z for s in steps[:3]] == [None, None, None]
    # Level: pooled 120.5/301 against 120.5/301, log ratio 0; the pooled rate p = 120.5/301.
    # Window 5: y = log(20.5/101) - log(40.5/101); variance of y about the level from the
    # pooled rate at the window's sizes, plus the level's own at the pooled sizes.
    p = 120.5 / 301
    y = math.log(20.5 / 101) - math.log(40.5 / 101)
    v = 2 * (1 - p) / (100 * p) + 2 * (1 - p) / (300 * p)
    z = y / math.sqrt(v)
    assert steps[3].z == pytest.approx(z, rel=1e-12)
    assert steps[3].lower == pytest.approx(max(0.0, -z - 0.5), rel=1e-12)
    assert steps[3].impact_ratio == pytest.approx(20.5 / 40.5, rel=1e-12)
    assert detector["series"] == 1 and detector["h"] == pytest.approx(alarm_threshold(0.5, 480))
    assert alarms == []  # -z - 0.5 is about 2.8, under h (about 4.35)


def test_a_large_fall_alarms_and_names_the_change() -> None:
    choose = [_window("m01", (300, 120), (300, 125))]  # men highest: the reference
    stable = [*choose, *(_window(f"m{i:02d}", (300, 120), (300, 120)) for i in range(2, 9))]
    fallen = [_window(f"m{i:02d}", (300, 70), (300, 120)) for i in range(9, 12)]
    _, alarms, _ = detect_drift([*stable, *fallen], DriftSettings())
    assert [(a.window, a.since, a.direction) for a in alarms] == [("m09", "m09", "widened")]
    assert alarms[0].impact_ratio_after == pytest.approx(70.5 / 120.5, rel=1e-9)
    assert alarms[0].sentence.startswith(
        "Group 'female' of sex went from being selected at 100% of the rate of 'male' to 59% "
        "from m09 on; the gap between them widened"
    )


def test_a_reference_overtaken_is_told_from_its_side() -> None:
    # Women have the higher rate in the first window, so they are the reference; from m09 men
    # are selected at 120/70 of women's rate. The alarm says that women fell behind.
    choose = [_window("m01", (300, 125), (300, 120))]
    stable = [*choose, *(_window(f"m{i:02d}", (300, 120), (300, 120)) for i in range(2, 9))]
    fallen = [_window(f"m{i:02d}", (300, 70), (300, 120)) for i in range(9, 12)]
    _, alarms, _ = detect_drift([*stable, *fallen], DriftSettings())
    assert [(a.group, a.reference, a.window, a.direction) for a in alarms] == [
        ("male", "female", "m09", "widened")
    ]
    assert alarms[0].impact_ratio_after == pytest.approx(120.5 / 70.5, rel=1e-9)
    assert alarms[0].sentence.startswith(
        "Group 'female' of sex went from being selected at 100% of the rate of 'male' to 59% "
        "from m09 on; the gap between them widened"
    )


def test_a_narrowing_is_reported_but_is_not_an_alarm() -> None:
    before = [_window(f"m{i:02d}", (300, 90), (300, 150)) for i in range(1, 9)]
    after = [_window(f"m{i:02d}", (300, 150), (300, 150)) for i in range(9, 12)]
    _, alarms, _ = detect_drift([*before, *after], DriftSettings())
    assert alarms and all(a.direction == "narrowed" and not a.is_alarm for a in alarms)


def _stable_logs(
    count: int, windows: int, n: int, rate: float, seed: int
) -> list[list[WindowCounts]]:
    rng = np.random.default_rng(seed)
    selected = rng.binomial(n, rate, size=(count, windows, 2))
    return [
        [_window(f"m{w:02d}", (n, int(s[w, 0])), (n, int(s[w, 1]))) for w in range(windows)]
        for s in selected
    ]


@pytest.mark.slow
@pytest.mark.parametrize(("n", "rate"), [(300, 0.4), (60, 0.3)])
def test_false_alarm_rate_on_stable_logs_is_within_the_design(n: int, rate: float) -> None:
    logs = _stable_logs(400, 24, n, rate, seed=1)
    alarms = sum(alarm.is_alarm for log in logs for alarm in detect_drift(log, DriftSettings())[1])
    # Monitored windows per log: 24, less the one that chooses the reference and 3 of warm-up.
    years = len(logs) * (24 - 4) / 12
    assert alarms / years <= 0.05
