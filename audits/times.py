"""Timestamps of a decision log, read once and refused with a message that names the cell.

Accepts datetime columns (Parquet, or a DataFrame) and text in ISO 8601 (``2025-03-14``,
``2025-03-14T09:30:00``, with or without an offset). Times with an offset are converted to UTC;
times without one are taken as UTC. Numbers are refused rather than guessed at (seconds or
milliseconds since when?).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from govern.data import MISSING_VALUES
from govern.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

BAD_TIMESTAMP = (
    "{role} column {column!r} in {source} has a value that is not a date or time: {value!r} "
    "(row {row}). Write times in ISO 8601, for example 2025-03-14 or 2025-03-14T09:30:00."
)
NUMERIC_TIMESTAMP = (
    "{role} column {column!r} in {source} holds numbers, not dates or times. Write times in "
    "ISO 8601 (for example 2025-03-14T09:30:00) so that they cannot be misread."
)


def timestamps(
    df: pd.DataFrame, *, role: str, column: str, source: str, allow_missing: bool = False
) -> np.ndarray:
    """The column as ``datetime64[ns]`` in UTC (naive); missing values are ``NaT``.

    Raises
    ------
    DataError
        A value that is not a time (naming the row and the value), numbers, or a missing value
        when ``allow_missing`` is False.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"at": ["2025-01-31", "2025-02-01T10:00:00+01:00"]})
    >>> timestamps(frame, role="time", column="at", source="log.csv").astype(str).tolist()
    ['2025-01-31T00:00:00.000000000', '2025-02-01T09:00:00.000000000']
    """
    import pandas as pd

    values = df[column]
    missing = values.isna().to_numpy()
    if missing.any() and not allow_missing:
        raise DataError(
            MISSING_VALUES.format(
                role=role,
                column=column,
                source=source,
                count=int(missing.sum()),
                row=int(np.argmax(missing)) + 1,
            )
        )
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = pd.to_datetime(values, utc=True)
    elif pd.api.types.is_numeric_dtype(values.dtype) and not missing.all():
        raise DataError(NUMERIC_TIMESTAMP.format(role=role, column=column, source=source))
    else:
        text = values.astype("string")
        try:
            parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
        except (ValueError, TypeError, OverflowError):
            # A pandas version that raises on a mixed column instead of coercing: find the
            # first bad cell one by one (only on this error path).
            cells = pd.Series([_one(v) for v in text], index=values.index, dtype="object")
            parsed = pd.to_datetime(cells, utc=True)
        bad = parsed.isna().to_numpy() & ~missing
        if bad.any():
            row = int(np.argmax(bad))
            raise DataError(
                BAD_TIMESTAMP.format(
                    role=role,
                    column=column,
                    source=source,
                    value=str(values.iloc[row]),
                    row=row + 1,
                )
            )
    return parsed.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def _one(value: object) -> object:
    import pandas as pd

    try:
        return pd.to_datetime(str(value), format="ISO8601", utc=True)
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
