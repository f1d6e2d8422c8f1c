"""Periods and pooling of a monitored log, worked out by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from govern.audits.monitoring.periods import BAD_EVERY, Every, assign_periods, parse_every
from govern.audits.monitoring.pooling import GroupCounts, pool_windows
from govern.errors import BadInputError


@pytest.mark.parametrize(
    ("text", "every", "per_year"),
    [
        ("month", Every("month"), 12),
        ("Quarter", Every("quarter"), 4),
        ("14 days", Every("days", 14), 27),
        ("7d", Every("days", 7), 53),
        ("1 day", Every("days", 1), 365),
    ],
)
def test_parse_every(text: str, every: Every, per_year: int) -> None:
    assert parse_every(text) == every
    assert every.per_year == per_year


@pytest.mark.parametrize("text", ["weekly", "0 days", "days", "-3 days", ""])
def test_bad_every_is_refused(text: str) -> None:
    with pytest.raises(BadInputError) as raised:
        parse_every(text)
    assert str(raised.value) == BAD_EVERY.format(value=text)


def _times(*values: str) -> np.ndarray:
    return np.array(values, dtype="datetime64[ns]")


def test_months_run_from_first_to_last_with_empty_ones_kept() -> None:
    index, periods = assign_periods(
        _times("2024-11-30T23:59:59", "2025-01-01", "2025-02-28T12:00"), Every("month")
    )
    assert index.tolist() == [0, 2, 3]
    assert [(p.label, p.start, p.end) for p in periods] == [
        ("2024-11", dt.date(2024, 11, 1), dt.date(2024, 11, 30)),
        ("2024-12", dt.date(2024, 12, 1), dt.date(2024, 12, 31)),
        ("2025-01", dt.date(2025, 1, 1), dt.date(2025, 1, 31)),
        ("2025-02", dt.date(2025, 2, 1), dt.date(2025, 2, 28)),
    ]


def test_quarters_follow_the_calendar() -> None:
    index, periods = assign_periods(
        _times("2025-03-31", "2025-04-01", "2025-12-31"), Every("quarter")
    )
    assert index.tolist() == [0, 1, 3]
    assert [p.label for p in periods] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert periods[-1].end == dt.date(2025, 12, 31)


def test_runs_of_days_start_on_the_first_record() -> None:
    index, periods = assign_periods(
        _times("2025-01-03T10:00", "2025-01-16", "2025-01-17"), Every("days", 14)
    )
    assert index.tolist() == [0, 0, 1]
    assert [p.label for p in periods] == ["2025-01-03 to 2025-01-16", "2025-01-17 to 2025-01-30"]


def _table(*rows: tuple[int, int]) -> list[GroupCounts]:
    return [GroupCounts("sex", ("f", "m"), np.array(rows))]


def test_small_periods_are_pooled_with_the_next_until_every_group_has_enough() -> None:
    counts = _table((20, 40), (20, 40), (40, 40), (5, 50), (10, 40), (30, 30))
    windows = pool_windows(counts, 6, minimum=30, max_periods=12)
    assert [(w.periods, w.provisional) for w in windows] == [
        ([0, 1], False),  # f: 20 + 20
        ([2], False),
        ([3, 4, 5], False),  # f: 5 + 10 + 30
    ]


def test_the_latest_small_periods_are_pooled_back_provisionally() -> None:
    counts = _table((40, 40), (40, 40), (10, 40))
    windows = pool_windows(counts, 3, minimum=30, max_periods=12)
    assert [(w.periods, w.provisional) for w in windows] == [
        ([0], False),
        ([1], False),
        ([1, 2], True),  # 10 women alone: pooled back with the period before
    ]


def test_a_window_stops_at_the_cap_and_names_the_groups_still_small() -> None:
    counts = _table((2, 40), (2, 40), (2, 40), (40, 40))
    windows = pool_windows(counts, 4, minimum=30, max_periods=3)
    assert windows[0].periods == [0, 1, 2]
    assert windows[0].small_groups == ["group 'f' of sex (fewer than 30)"]
    assert windows[1].periods == [3]


def test_empty_periods_and_unknown_and_tiny_share_groups() -> None:
    # Period 1 is empty; 'unknown' never holds a window back; with a 2% share rule the group
    # of 1 record among 101 is reported, not waited for.
    counts = [
        GroupCounts("sex", ("f", "m", "unknown"), np.array([[0, 0, 0], [40, 40, 1], [1, 100, 0]]))
    ]
    assert [w.periods for w in pool_windows(counts, 3, minimum=30, max_periods=12)] == [
        [0, 1],
        [1, 2],
    ]
    shared = pool_windows(counts, 3, minimum=30, max_periods=12, exclude_below_share=0.02)
    assert [w.periods for w in shared] == [[0, 1], [2]]
