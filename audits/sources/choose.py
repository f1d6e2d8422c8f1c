"""Which engine builds the table: ``--engine pandas|duckdb|spark``, or the default rule.

The default (``auto``):

- a Spark DataFrame is audited by Spark, where it lives;
- a DataFrame or :class:`~govern.data.EvaluationData` in memory by pandas;
- a folder, a glob or several files by DuckDB (pandas reads one file);
- one file of :data:`DUCKDB_FROM_BYTES` (512 MiB) or more by DuckDB when it is installed
  (out of core: a decision log larger than memory is fine), a smaller one by pandas (fastest
  while the columns fit in memory).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from govern.audits.sources import DataSource, Roles, SourceTable
from govern.audits.sources.extras import available
from govern.errors import BadInputError

if TYPE_CHECKING:
    from govern.audits.sources.ranking import RankingSource
    from govern.results import DataFingerprint

Engine = Literal["pandas", "duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("pandas", "duckdb", "spark")
AUTO = "auto"
ENGINE_CHOICES = (AUTO, *ENGINES)

DUCKDB_FROM_BYTES = 512 * 2**20

# The default rule in one sentence, for --help.
AUTO_RULE = (
    "auto (the default) uses Spark for a Spark DataFrame, DuckDB for a folder, a glob or a "
    "file of 512 MiB or more (when govern[duckdb] is installed), and pandas otherwise"
)

UNKNOWN_ENGINE = "unknown engine {engine!r}: use one of {choices}."
PANDAS_READS_ONE_FILE = (
    "the pandas engine reads one CSV or Parquet file; {data} needs --engine duckdb or spark."
)


def _paths(data: object) -> list[str] | None:
    if isinstance(data, str | os.PathLike):
        return [os.fspath(data)]
    if (
        isinstance(data, list | tuple)
        and data
        and all(isinstance(item, str | os.PathLike) for item in data)
    ):
        return [os.fspath(item) for item in data]
    return None


def _many_files(paths: Sequence[str]) -> bool:
    from govern.audits.sources.duckdb import is_glob

    return len(paths) > 1 or any(is_glob(p) or Path(p).is_dir() for p in paths)


def choose_engine(data: object) -> Engine:
    """The engine the default rule picks for ``data`` (see the module docstring).

    Examples
    --------
    >>> import pandas as pd
    >>> choose_engine(pd.DataFrame({"x": [1]}))
    'pandas'
    >>> choose_engine("logs/*.parquet")
    'duckdb'
    """
    from govern.audits.sources.spark import is_spark_dataframe

    if is_spark_dataframe(data):
        return "spark"
    paths = _paths(data)
    if paths is None:
        return "pandas"
    if _many_files(paths):
        return "duckdb"
    size = Path(paths[0]).stat().st_size if Path(paths[0]).is_file() else 0
    return "duckdb" if size >= DUCKDB_FROM_BYTES and available("duckdb") else "pandas"


def open_source(data: Any, engine: str | None = AUTO, **options: Any) -> DataSource:
    """The data source of ``engine`` (or of the default rule) over ``data``.

    ``options`` go to the source (``memory_limit=`` for DuckDB, ``spark=`` for Spark).

    Examples
    --------
    >>> import pandas as pd
    >>> open_source(pd.DataFrame({"hired": [1, 0], "sex": ["F", "M"]}), "duckdb").engine
    'duckdb'
    """
    chosen = choose_engine(data) if engine in (None, AUTO) else engine
    if chosen == "pandas":
        from govern.audits.sources.pandas import PandasSource

        paths = _paths(data)
        if paths is not None and _many_files(paths):
            raise BadInputError(PANDAS_READS_ONE_FILE.format(data=", ".join(paths)))
        return PandasSource(data[0] if isinstance(data, list | tuple) else data, **options)
    if chosen == "duckdb":
        from govern.audits.sources.duckdb import DuckDBSource

        return DuckDBSource(data, **options)
    if chosen == "spark":
        from govern.audits.sources.spark import SparkSource

        return SparkSource(data, **options)
    raise BadInputError(UNKNOWN_ENGINE.format(engine=engine, choices=", ".join(ENGINE_CHOICES)))


def open_ranking_source(data: Any, engine: str | None = AUTO, **options: Any) -> RankingSource:
    """The source of ``engine`` (or of the default rule) over a recommendation log.

    Every source reduces a log to one row per user (``user_table``): pandas in memory, DuckDB
    in its own threads out of core, Spark on the executors.

    Examples
    --------
    >>> import pandas as pd
    >>> open_ranking_source(pd.DataFrame({"user": ["a"], "rank": [1]}), "duckdb").engine
    'duckdb'
    """
    from govern.audits.sources.ranking import RankingSource

    source = open_source(data, engine, **options)
    assert isinstance(source, RankingSource), f"{type(source).__name__} reduces no log"
    return source


class RecordingSource:
    """A source that keeps the last :class:`SourceTable` it built, for its fingerprint.

    ``audit_fairness`` returns the evidence; a caller that also records the data's fingerprint
    (``audit.json``) reads it here, from the same single pass.
    """

    def __init__(self, source: DataSource) -> None:
        self.source = source
        self.engine = source.engine
        self.built: SourceTable | None = None

    def contingency_table(self, roles: Roles) -> SourceTable:
        self.built = self.source.contingency_table(roles)
        return self.built

    def fingerprint(self) -> DataFingerprint:
        assert self.built is not None, "fingerprint() before the table was built"
        return self.built.fingerprint
