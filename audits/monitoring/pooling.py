"""Honest pooling of small periods into windows that can be judged.

29 CFR 1607.4(D): where numbers are too small to be reliable, the impact of a procedure is
looked at over a longer period. A period is judged on its own when every group that appears in
it has at least the policy's minimum of records; otherwise it is combined with the periods after
it until they do, and the verdict is about the window so formed (its periods are named). Windows
are formed from the start of the log, so a window's periods never change when the log grows.

A window stops growing at ``max_periods`` (a year of periods by default) even if some group is
still too small: that group is reported, not judged, in that window. The latest periods, when
too small to close a window, are pooled back with the periods before them (already judged in
earlier windows) so that the log's current state has a verdict: that window is *provisional*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from govern.results import UNKNOWN_GROUP


@dataclass(frozen=True)
class GroupCounts:
    """Records per period and group of one attribute."""

    attribute: str
    labels: tuple[str, ...]
    counts: np.ndarray  # (n_periods, n_labels)


@dataclass(frozen=True)
class Window:
    """The periods (indexes) one verdict is about."""

    periods: list[int]
    provisional: bool
    small_groups: list[str]  # "group 'x' of a" for groups still under the minimum


def group_counts(
    period: np.ndarray,
    n_periods: int,
    codes: dict[str, np.ndarray],
    levels: dict[str, tuple[str, ...]],
) -> list[GroupCounts]:
    """Count records per period and group for every attribute (one bincount each)."""
    found = []
    for attribute, values in codes.items():
        size = len(levels[attribute])
        flat = np.bincount(period * size + values.astype(np.int64), minlength=n_periods * size)
        found.append(GroupCounts(attribute, levels[attribute], flat.reshape(n_periods, size)))
    return found


def _small(
    counts: list[GroupCounts], periods: list[int], minimum: float, share: float | None
) -> list[str] | None:
    """Groups under the minimum in these periods; None when the periods hold no record."""
    small: list[str] = []
    total = 0
    for table in counts:
        per_group = table.counts[periods].sum(axis=0)
        total = max(total, int(per_group.sum()))
        for label, n in zip(table.labels, per_group, strict=True):
            if label == UNKNOWN_GROUP or n == 0:
                continue
            if share is not None and n < share * per_group.sum():
                continue  # under the small-category share: reported, never judged
            if n < minimum:
                # No count: a published report never shows the size of a group under the
                # minimum (disclosure control).
                small.append(f"group '{label}' of {table.attribute} (fewer than {minimum:g})")
    return small if total else None


def pool_windows(
    counts: list[GroupCounts],
    n_periods: int,
    *,
    minimum: float,
    max_periods: int,
    exclude_below_share: float | None = None,
) -> list[Window]:
    """The windows of a log, in order (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> table = GroupCounts("sex", ("f", "m"), np.array([[20, 40], [20, 40], [40, 40]]))
    >>> [w.periods for w in pool_windows([table], 3, minimum=30, max_periods=12)]
    [[0, 1], [2]]
    """
    windows: list[Window] = []
    current: list[int] = []
    for index in range(n_periods):
        current.append(index)
        small = _small(counts, current, minimum, exclude_below_share)
        if small is None:
            continue
        if not small or len(current) >= max_periods:
            windows.append(Window(list(current), False, small))
            current = []
    if current:
        windows.append(_provisional(counts, current, minimum, max_periods, exclude_below_share))
    return windows


def _provisional(
    counts: list[GroupCounts],
    trailing: list[int],
    minimum: float,
    max_periods: int,
    share: float | None,
) -> Window:
    periods = list(trailing)
    small = _small(counts, periods, minimum, share)
    while (small is None or small) and periods[0] > 0 and len(periods) < max_periods:
        periods.insert(0, periods[0] - 1)
        small = _small(counts, periods, minimum, share)
    return Window(periods, True, small or [])
