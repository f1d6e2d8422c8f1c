"""Synthetic public-sector HR data, deterministic by seed, with a tunable planted disparity.

Four scenarios, each a function returning a pandas DataFrame and a ``COLUMNS`` dict that
documents every column:

- ``recruitment``: applicants, a vendor tool's shortlist and the historical hiring outcome;
- ``promotion``: employees with a biased performance score and a promotion decision;
- ``learning_pathways``: employees x their top-k recommended courses (a recommendation log);
- ``talent_shortlist``: posts x the candidates a tool ranked for them (a ranking log).

``SCENARIOS`` maps each name to its function, description and columns; ``write_dataset`` is what
``govern datasets generate`` calls.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.datasets import learning as _learning
from govern.datasets import promotion as _promotion
from govern.datasets import recruitment as _recruitment
from govern.datasets import talent as _talent
from govern.datasets.learning import learning_pathways
from govern.datasets.promotion import promotion
from govern.datasets.recruitment import recruitment
from govern.datasets.review import NOT_FOR_SCENARIO, SCENARIOS_WITH_OPTIONS
from govern.datasets.talent import talent_shortlist
from govern.errors import BadInputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SCENARIOS",
    "Scenario",
    "generate",
    "learning_pathways",
    "promotion",
    "recruitment",
    "rows_written",
    "talent_shortlist",
    "write_dataset",
]


@dataclass(frozen=True)
class Scenario:
    """One synthetic scenario: its generator, a one-line description and its documented columns."""

    name: str
    function: Callable[..., pd.DataFrame]
    description: str
    columns: dict[str, str]
    rows_mean: str = "rows"
    # For a long table (a log): what --rows counts (employees, posts) and the rows of each one.
    unit: str = "rows"
    rows_per_unit: int = 1


SCENARIOS: dict[str, Scenario] = {
    "recruitment": Scenario(
        "recruitment", recruitment, _recruitment.DESCRIPTION, _recruitment.COLUMNS, "applicants"
    ),
    "promotion": Scenario(
        "promotion", promotion, _promotion.DESCRIPTION, _promotion.COLUMNS, "employees"
    ),
    "learning_pathways": Scenario(
        "learning_pathways",
        learning_pathways,
        _learning.DESCRIPTION,
        _learning.COLUMNS,
        "employees (the table has k = 5 rows per employee)",
        unit="employees",
        rows_per_unit=5,
    ),
    "talent_shortlist": Scenario(
        "talent_shortlist",
        talent_shortlist,
        _talent.DESCRIPTION,
        _talent.COLUMNS,
        "posts (the table has 20 ranked candidates per post)",
        unit="posts",
        rows_per_unit=20,
    ),
}

UNKNOWN_SCENARIO_MESSAGE = "unknown data set {name!r}.{hint} Known data sets: {known}."
UNKNOWN_SUFFIX_MESSAGE = (
    "cannot tell the file format of {path!r} from its suffix {suffix!r}.{hint} "
    "Use a name ending in .csv or .parquet."
)
SUFFIXES = (".csv", ".parquet")


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f" Did you mean {close[0]!r}?" if close else ""


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; an unknown name raises ``BadInputError`` with a suggestion.

    Examples
    --------
    >>> get_scenario("recruitment").rows_mean
    'applicants'
    """
    try:
        return SCENARIOS[name]
    except KeyError:
        raise BadInputError(
            UNKNOWN_SCENARIO_MESSAGE.format(
                name=name,
                hint=_did_you_mean(name, list(SCENARIOS)),
                known=", ".join(SCENARIOS),
            )
        ) from None


def rows_written(name: str, units: int) -> int:
    """How many rows ``govern datasets generate NAME --rows UNITS`` writes.

    Examples
    --------
    >>> rows_written("learning_pathways", 100), rows_written("recruitment", 100)
    (500, 100)
    """
    return units * get_scenario(name).rows_per_unit


def generate(
    name: str, *, rows: int, seed: int = 0, disparity: float = 0.3, **options: Any
) -> pd.DataFrame:
    """Generate the scenario called ``name`` (``rows`` is its first, size argument).

    ``options`` (recruitment and promotion only) add a reviewer stage and timestamps: see
    :func:`govern.datasets.recruitment`.

    Examples
    --------
    >>> generate("promotion", rows=10, seed=0).shape
    (10, 9)
    """
    scenario = get_scenario(name)
    if options and name not in SCENARIOS_WITH_OPTIONS:
        raise BadInputError(NOT_FOR_SCENARIO.format(options=", ".join(sorted(options)), name=name))
    return scenario.function(rows, seed=seed, disparity=disparity, **options)


def write_dataset(
    name: str,
    out: str | os.PathLike[str],
    *,
    rows: int,
    seed: int = 0,
    disparity: float = 0.3,
    **options: Any,
) -> Path:
    """Generate a scenario and write it atomically as CSV or Parquet, chosen by the suffix.

    Parameters
    ----------
    name : str
        A key of ``SCENARIOS``.
    out : path
        Target file; ``.csv`` or ``.parquet``.
    rows, seed, disparity, options
        Passed to the scenario's function.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_dataset("recruitment", pathlib.Path(folder) / "a.csv", rows=50).name
    'a.csv'
    """
    import io

    from govern.adapters.files import write_bytes_atomic

    target = Path(out)
    suffix = target.suffix.lower()
    if suffix not in SUFFIXES:
        raise BadInputError(
            UNKNOWN_SUFFIX_MESSAGE.format(
                path=str(target), suffix=suffix, hint=_did_you_mean(suffix, list(SUFFIXES))
            )
        )
    frame = generate(name, rows=rows, seed=seed, disparity=disparity, **options)
    if suffix == ".csv":
        payload = frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    else:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        payload = buffer.getvalue()
    return write_bytes_atomic(target, payload)
