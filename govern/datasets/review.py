"""Options of the recruitment and promotion generators: a human reviewer stage and time.

Both are off by default, so the default tables (which other tests and the demo rely on) are
unchanged; they draw from their own random streams (seeded from the scenario's seed), so
switching them on never changes the default columns' values either, except the model's
recommendation after a planted drift.

- **Reviewer stage** (``reviewers > 0``): each person's case goes to one of the reviewers, who
  keeps the model's recommendation most of the time. Each reviewer turns down a recommended
  person with probability 8% and selects a person the model did not recommend with probability
  8%; for the scenario's disadvantaged groups the first is ``8% + override_bias`` and the second
  ``8% x (1 - override_bias)``: a planted group-dependent override pattern that widens the
  model's disparity. The last of two or more reviewers keeps every recommendation (a planted
  automation-bias signal) and decides within seconds. Of the people turned down, 10% appeal; an
  appeal is upheld with probability 40% (``40% x (1 - override_bias)`` for the disadvantaged
  groups) and 5% of appeals are still pending.
- **Time** (``months > 0``): each decision falls at a random moment between 08:00 and 17:00
  UTC of a random day of one of ``months`` consecutive months from ``start``; from month
  ``drift_from`` on, the model's recommendation for the disadvantaged groups drifts by
  ``drift`` (each scenario says how).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from govern.errors import BadInputError

if TYPE_CHECKING:
    import pandas as pd

REVIEW_COLUMNS: dict[str, str] = {
    "reviewer": "Who decided the case after the model's recommendation: R01, R02, ...",
    "final_decision": "1 if the reviewer selected the person (the final decision), else 0.",
    "appealed": "1 if the person appealed a negative final decision, else 0.",
    "appeal_upheld": "1 if the appeal was upheld, 0 if not; empty without an appeal or while "
    "the appeal is pending.",
}
TIME_COLUMNS: dict[str, str] = {
    "decided_at": "When the final decision was taken (ISO 8601, UTC).",
    "recommended_at": "When the model made its recommendation (with a reviewer stage only).",
}
SCENARIOS_WITH_OPTIONS = ("recruitment", "promotion")

BASE_OVERRIDE_DOWN = 0.08
BASE_OVERRIDE_UP = 0.08
APPEAL_SHARE = 0.10
BASE_UPHELD = 0.40
PENDING_SHARE = 0.05
MEDIAN_REVIEW_MINUTES = 12.0
RUBBER_STAMP_MINUTES = 0.3
MAX_REVIEWERS = 99
MAX_MONTHS = 600

OPTION_MESSAGE = "{name} must be {expected}; got {value!r}."
DRIFT_NEEDS_MONTHS = (
    "a drift needs timestamps: pass months (--months N) and drift_from (--drift-from M), "
    "the month the drift starts, between 1 and months."
)
NOT_FOR_SCENARIO = (
    "options {options} apply to the recruitment and promotion data sets only, not {name!r}."
)


@dataclass(frozen=True)
class StageOptions:
    """The reviewer stage and time options, checked."""

    reviewers: int = 0
    override_bias: float = 0.0
    months: int = 0
    drift_from: int | None = None
    drift: float = 0.0
    start: dt.date = dt.date(2025, 1, 1)

    @property
    def any(self) -> bool:
        return self.reviewers > 0 or self.months > 0


def _whole(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadInputError(
            OPTION_MESSAGE.format(
                name=name, expected=f"a whole number from {low} to {high}", value=value
            )
        )
    return value


def _share(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise BadInputError(
            OPTION_MESSAGE.format(name=name, expected="a number in [0, 1)", value=value)
        )
    return float(value)


def stage_options(
    *,
    reviewers: object = 0,
    override_bias: object = 0.0,
    months: object = 0,
    drift_from: object = None,
    drift: object = 0.0,
    start: object = "2025-01-01",
) -> StageOptions:
    """Check the options (BadInputError with what was expected)."""
    try:
        first = start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start))
    except ValueError:
        raise BadInputError(
            OPTION_MESSAGE.format(name="start", expected="a date such as 2025-01-01", value=start)
        ) from None
    chosen_months = _whole(months, "months", 0, MAX_MONTHS)
    options = StageOptions(
        reviewers=_whole(reviewers, "reviewers", 0, MAX_REVIEWERS),
        override_bias=_share(override_bias, "override_bias"),
        months=chosen_months,
        drift_from=None if drift_from is None else _whole(drift_from, "drift_from", 1, MAX_MONTHS),
        drift=_share(drift, "drift"),
        start=first.replace(day=1),
    )
    if options.drift > 0 and (
        options.months == 0 or options.drift_from is None or options.drift_from > options.months
    ):
        raise BadInputError(DRIFT_NEEDS_MONTHS)
    return options


def months_of(seed: int, n: int, options: StageOptions) -> np.ndarray:
    """Each record's month, 1 to ``months`` (all 0 without time), from its own stream."""
    if options.months == 0:
        return np.zeros(n, dtype=np.int64)
    return np.random.default_rng([seed, 203]).integers(1, options.months + 1, n)


def drifted(month: np.ndarray, disadvantaged: np.ndarray, options: StageOptions) -> np.ndarray:
    """True where the planted drift applies: disadvantaged people from ``drift_from`` on."""
    if options.drift == 0 or options.drift_from is None:
        return np.zeros(month.shape[0], dtype=bool)
    return disadvantaged & (month >= options.drift_from)


def _decision_times(rng: np.random.Generator, month: np.ndarray, start: dt.date) -> np.ndarray:
    """A working-hours moment on a random day of each record's month, as datetime64[s]."""
    first = np.datetime64(start, "M")
    month_start = (first + (month - 1)).astype("datetime64[D]")
    month_end = (first + month).astype("datetime64[D]")
    length = (month_end - month_start).astype(np.int64)
    day = month_start + np.floor(rng.random(month.shape[0]) * length).astype(np.int64)
    seconds = (8 * 3600 + np.floor(rng.random(month.shape[0]) * 9 * 3600)).astype(np.int64)
    return day.astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def _iso(values: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(values.astype("datetime64[s]"), unit="s")


def review_stage(
    seed: int,
    recommended: np.ndarray,
    disadvantaged: np.ndarray,
    month: np.ndarray,
    options: StageOptions,
) -> dict[str, object]:
    """The reviewer stage's columns (and the time columns), by name, in documented order."""
    import pandas as pd

    columns: dict[str, object] = {}
    rng = np.random.default_rng([seed, 101])
    n = recommended.shape[0]
    minutes = None
    if options.reviewers > 0:
        reviewer = rng.integers(0, options.reviewers, n)
        bias = options.override_bias
        p_down = np.where(disadvantaged, BASE_OVERRIDE_DOWN + bias, BASE_OVERRIDE_DOWN)
        p_up = np.where(disadvantaged, BASE_OVERRIDE_UP * (1 - bias), BASE_OVERRIDE_UP)
        overridden = rng.random(n) < np.where(recommended == 1, p_down, p_up)
        rubber_stamp = (reviewer == options.reviewers - 1) & (options.reviewers >= 2)
        overridden &= ~rubber_stamp
        final = np.where(overridden, 1 - recommended, recommended).astype(np.int64)
        appealed = ((final == 0) & (rng.random(n) < APPEAL_SHARE)).astype(np.int64)
        p_upheld = np.where(disadvantaged, BASE_UPHELD * (1 - bias), BASE_UPHELD)
        upheld = (rng.random(n) < p_upheld).astype(np.int64)
        pending = rng.random(n) < PENDING_SHARE
        outcome = pd.array(np.where(appealed == 1, upheld, 0), dtype="Int64")
        outcome[(appealed == 0) | pending] = pd.NA
        columns["reviewer"] = np.array([f"R{r + 1:02d}" for r in range(options.reviewers)])[
            reviewer
        ]
        columns["final_decision"] = final
        columns["appealed"] = appealed
        columns["appeal_upheld"] = outcome
        median = np.where(rubber_stamp, RUBBER_STAMP_MINUTES, MEDIAN_REVIEW_MINUTES)
        minutes = median * np.exp(0.6 * rng.standard_normal(n))
    if options.months > 0:
        decided = _decision_times(np.random.default_rng([seed, 202]), month, options.start)
        columns["decided_at"] = _iso(decided)
        if minutes is not None:
            waited = np.round(minutes * 60).astype(np.int64).astype("timedelta64[s]")
            columns["recommended_at"] = _iso(decided - waited)
    return columns


def reviewer_stage(
    recommended: np.ndarray,
    disadvantaged: np.ndarray,
    *,
    seed: int = 0,
    reviewers: int = 8,
    override_bias: float = 0.0,
) -> dict[str, object]:
    """The reviewer stage's columns for recommendations made elsewhere (a trained model's).

    Examples
    --------
    >>> import numpy as np
    >>> stage = reviewer_stage(np.array([1, 0, 1, 0]), np.array([True, True, False, False]),
    ...                        reviewers=2, seed=1)
    >>> sorted(stage)
    ['appeal_upheld', 'appealed', 'final_decision', 'reviewer']
    """
    options = stage_options(reviewers=reviewers, override_bias=override_bias)
    month = np.zeros(np.asarray(recommended).shape[0], dtype=np.int64)
    return review_stage(seed, np.asarray(recommended), np.asarray(disadvantaged), month, options)


def with_stage(frame: pd.DataFrame, columns: dict[str, object]) -> pd.DataFrame:
    """The default table with the optional columns appended, in documented order."""
    if not columns:
        return frame
    order = [c for c in [*REVIEW_COLUMNS, *TIME_COLUMNS] if c in columns]
    added: dict[str, Any] = {name: columns[name] for name in order}
    return frame.assign(**added)
