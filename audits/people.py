"""One row per person: a decision log names each person once (once per period when monitored).

A person counted twice weighs twice in every rate of their group, and a log exported twice (or
joined on the wrong key) looks like a log of twice as many people. When the log names who each
row is about (``--id COLUMN``), a repeated person is refused with the rows to look at, rather
than audited as two people.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from govern.data import MISSING_VALUES
from govern.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

DUPLICATE_PERSON = (
    "id column {column!r} in {source} holds {value!r} on rows {first} and {second}: a decision "
    "log has one row per person. Remove the repeated row, or name a column that identifies "
    "each person with --id."
)
DUPLICATE_PERSON_IN_PERIOD = (
    "id column {column!r} in {source} holds {value!r} on rows {first} and {second}, both in "
    "period {period}: a person has one decision per period. Remove the repeated row, or check "
    "the time column."
)
# An identifier quoted in a message is cut to this many characters: enough to find the row.
SHOWN_CHARACTERS = 40


def _shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= SHOWN_CHARACTERS else text[:SHOWN_CHARACTERS] + "..."


def _first_repeat(keys: np.ndarray) -> tuple[int, int] | None:
    """Rows (0-based) of the first key seen twice, ordered by where the repeat appears."""
    import pandas as pd

    repeated = pd.Series(keys).duplicated(keep="first").to_numpy()
    if not repeated.any():
        return None
    second = int(np.argmax(repeated))
    first = int(np.argmax(keys == keys[second]))
    return first, second


def check_one_row_per_person(
    df: pd.DataFrame,
    *,
    column: str,
    source: str,
    period_of_row: np.ndarray | None = None,
    period_labels: list[str] | None = None,
) -> None:
    """Refuse a log where one person has two rows (in one period, when periods are given).

    Parameters
    ----------
    df : DataFrame
        The log; ``column`` identifies the person each row is about.
    column, source : str
        The identifier column and the file's name, for the messages.
    period_of_row, period_labels : optional
        Each row's period index and the periods' labels: a person may then appear once in
        every period (an applicant who applies again next month), not twice in one.

    Raises
    ------
    DataError
        A missing identifier, or a person on two rows (naming both rows, counted from 1).

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"person": ["a", "b", "a"]})
    >>> check_one_row_per_person(log, column="person", source="log.csv")
    Traceback (most recent call last):
    ...
    govern.errors.DataError: id column 'person' in log.csv holds 'a' on rows 1 and 3: ...
    """
    import pandas as pd

    values = df[column]
    missing = values.isna().to_numpy()
    if missing.any():
        raise DataError(
            MISSING_VALUES.format(
                role="id",
                column=column,
                source=source,
                count=int(missing.sum()),
                row=int(np.argmax(missing)) + 1,
            )
        )
    codes, uniques = pd.factorize(values)
    keys = codes.astype(np.int64)
    if period_of_row is not None:
        keys = keys * (int(period_of_row.max()) + 1) + period_of_row.astype(np.int64)
    repeat = _first_repeat(keys)
    if repeat is None:
        return
    first, second = repeat
    fields = {
        "column": column,
        "source": source,
        "value": _shown(uniques[codes[second]]),
        "first": first + 1,
        "second": second + 1,
    }
    if period_of_row is None or period_labels is None:
        raise DataError(DUPLICATE_PERSON.format(**fields))
    period = period_labels[int(period_of_row[second])]
    raise DataError(DUPLICATE_PERSON_IN_PERIOD.format(period=period, **fields))
