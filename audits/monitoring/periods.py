"""Calendar periods of a decision log: months, quarters, or runs of N days.

Periods run from the one holding the earliest record to the one holding the latest, with no
gaps: a month without decisions is a period with none (and is pooled with the next one).
Months and quarters follow the calendar (UTC); N-day periods start on the day of the earliest
record.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from govern.errors import BadInputError

BAD_EVERY = (
    "--every must be 'month', 'quarter' or a number of days such as '14 days'; got {value!r}."
)
DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Every:
    """How long a period is."""

    unit: Literal["month", "quarter", "days"]
    days: int = 0

    @property
    def text(self) -> str:
        if self.unit == "days":
            return f"{self.days} day" + ("" if self.days == 1 else "s")
        return self.unit

    @property
    def per_year(self) -> int:
        """Periods in a year (the horizon over which false alarms are counted)."""
        if self.unit == "month":
            return 12
        if self.unit == "quarter":
            return 4
        return max(1, math.ceil(365 / self.days))


def parse_every(value: str) -> Every:
    """``'month'``, ``'quarter'``, ``'14 days'``, ``'1 day'`` or ``'7d'``.

    Examples
    --------
    >>> parse_every("quarter").per_year, parse_every("14 days").text
    (4, '14 days')
    """
    text = value.strip().lower()
    if text in ("month", "monthly", "months"):
        return Every("month")
    if text in ("quarter", "quarterly", "quarters"):
        return Every("quarter")
    match = re.fullmatch(r"(\d{1,4})\s*(d|day|days)", text)
    if match and int(match.group(1)) >= 1:
        return Every("days", int(match.group(1)))
    raise BadInputError(BAD_EVERY.format(value=value))


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.date
    end: dt.date  # inclusive


def _month_start(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def _periods_of_months(first: int, last: int, size: int) -> list[Period]:
    periods = []
    for index in range(first, last + 1, size):
        start = _month_start(index)
        following = _month_start(index + size)
        if size == 1:
            label = f"{start.year}-{start.month:02d}"
        else:
            label = f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        periods.append(Period(label, start, following - dt.timedelta(days=1)))
    return periods


def assign_periods(times: np.ndarray, every: Every) -> tuple[np.ndarray, list[Period]]:
    """Each record's period (an index into the list) and the periods, first to last.

    Examples
    --------
    >>> import numpy as np
    >>> times = np.array(["2025-01-31", "2025-03-01"], dtype="datetime64[ns]")
    >>> index, periods = assign_periods(times, Every("month"))
    >>> index.tolist(), [p.label for p in periods]
    ([0, 2], ['2025-01', '2025-02', '2025-03'])
    """
    days = times.astype("datetime64[D]")
    if every.unit == "days":
        first_day = days.min()
        index = ((days - first_day) // DAY // every.days).astype(np.int64)
        periods = []
        for i in range(int(index.max()) + 1):
            start = (first_day + i * every.days * DAY).astype(dt.date)
            end = start + dt.timedelta(days=every.days - 1)
            label = start.isoformat() if every.days == 1 else f"{start} to {end}"
            periods.append(Period(label, start, end))
        return index, periods
    months = days.astype("datetime64[M]").astype(np.int64) + 1970 * 12
    size = 1 if every.unit == "month" else 3
    slots = months // size
    first = int(slots.min())
    return (slots - first).astype(np.int64), _periods_of_months(
        first * size, int(slots.max()) * size, size
    )
