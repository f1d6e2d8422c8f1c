"""The Spark data source: a Spark DataFrame, or CSV/Parquet paths read by Spark.

The grouping of :mod:`govern.audits.sources.sql` runs as Spark SQL on the executors; only the
table-sized result is collected on the driver. The session is the active one
(``SparkSession.getActiveSession()``), else ``SparkSession.builder.getOrCreate()``, which
honours ``spark.master`` from ``spark-submit``, ``spark-defaults.conf`` or the
``PYSPARK_SUBMIT_ARGS``/``MASTER`` environment: ``local[*]`` on a laptop, ``yarn``,
``k8s://...`` or ``spark://host:7077`` on a cluster (see ``docs/scale.md``).

Exact score bins need the distinct score values in order: Spark sorts them in one partition
(a window with no partition key), a task that grows with the number of distinct scores, not of
records; round a score with tens of millions of distinct values before the audit.

Install with ``pip install 'govern[spark]'`` (and a Java 17 runtime).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.audits.sources import Roles, SourceTable
from govern.audits.sources.extras import require
from govern.audits.sources.sql import UNNAMED, Column, ColumnKind, SqlTableBuilder
from govern.audits.sources.sql_ranking import ROW_NUMBER, SqlUserTableBuilder
from govern.data import MISSING_FILE, UNREADABLE_FILE, UNSUPPORTED_SUFFIX
from govern.errors import DataError

if TYPE_CHECKING:
    import pyarrow as pa

    from govern.audits.sources.ranking import RankingRoles, UserTable

SPARK_DATAFRAME = "the Spark DataFrame"

_INTEGER_TYPES = ("ByteType", "ShortType", "IntegerType", "LongType")
_FLOAT_TYPES = ("FloatType", "DoubleType", "DecimalType")
_TEXT_TYPES = ("StringType", "VarcharType", "CharType")
_NESTED_TYPES = ("ArrayType", "MapType", "StructType", "VariantType")


def _kind(data_type: Any) -> ColumnKind:
    name = type(data_type).__name__
    if name == "BooleanType":
        return "boolean"
    if name in _INTEGER_TYPES:
        return "integer"
    if name in _FLOAT_TYPES:
        return "float"
    if name in _TEXT_TYPES:
        return "text"
    if name in _NESTED_TYPES:
        return "nested"
    return "other"


def is_spark_dataframe(data: object) -> bool:
    """True for a classic or Spark Connect DataFrame (without importing pyspark)."""
    module = type(data).__module__
    return module.startswith("pyspark.sql") and type(data).__name__ == "DataFrame"


def spark_session() -> Any:
    """The active Spark session, or a new one from the environment's configuration."""
    sql = require("pyspark").sql
    session = sql.SparkSession.getActiveSession()
    return session if session is not None else sql.SparkSession.builder.getOrCreate()


class _SparkEngine:
    """A temporary view of the records, as :class:`~govern.audits.sources.sql.SqlEngine`."""

    engine = "spark"
    # Spark's xxhash64 is fixed (it places rows in buckets), so the hash is the same in every
    # Spark version, in local mode and on a cluster.
    fingerprint_method = "spark-xxhash64-sum"

    def __init__(self, session: Any, frame: Any, where: str) -> None:
        self.session = session
        self.frame = frame
        self.where = where
        self._relation = f"govern_records_{uuid.uuid4().hex}"
        frame.createOrReplaceTempView(self._relation)

    @property
    def relation(self) -> str:
        return self._relation

    def close(self) -> None:
        self.session.catalog.dropTempView(self._relation)

    def quote(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with unreadable_as_data_error(self.where):
            return [tuple(row) for row in self.session.sql(sql).collect()]

    def columns(self) -> list[Column]:
        return [Column(field.name, _kind(field.dataType)) for field in self.frame.schema.fields]

    @contextlib.contextmanager
    def temporary(self, sql: str) -> Iterator[str]:
        name = f"govern_{uuid.uuid4().hex}"
        # Computed once and kept on the executors (memory, then disk), not recomputed per query.
        frame = self.session.sql(sql).persist()
        frame.createOrReplaceTempView(name)
        try:
            yield name
        finally:
            self.session.catalog.dropTempView(name)
            frame.unpersist()

    def row_hash_sums(self, columns: Sequence[str]) -> list[str]:
        # xxhash64 is a signed 64-bit value; summed in two 32-bit halves, no sum can overflow
        # (Spark's ANSI mode would refuse it) below two thousand million rows per cell.
        hashed = f"xxhash64({', '.join(columns)})"
        return [f"SUM({hashed} & 4294967295)", f"SUM(shiftright({hashed}, 32))"]

    def combine_hash(self, sums: Sequence[int]) -> int:
        low, high = sums
        return (high * 2**32 + low) % 2**64

    # -- what the per-user reduction of a recommendation log adds (sql_ranking.RankingEngine) ----

    text_type = "STRING"

    def text_literal(self, value: str) -> str:
        # Spark SQL reads backslash escapes in string literals.
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def arrow(self, sql: str) -> pa.Table:
        with unreadable_as_data_error(self.where):
            return self.session.sql(sql).toArrow()

    def shift_left(self, value: str, bits: str) -> str:
        return f"shiftleft(CAST({value} AS BIGINT), CAST({bits} AS INT))"

    def element_at(self, values: Sequence[str], index: str) -> str:
        return f"element_at(array({', '.join(values)}), CAST({index} AS INT))"

    def ordered_list(self, value: str, order: str, condition: str) -> str:
        pairs = (
            f"collect_list(CASE WHEN {condition} THEN named_struct('o', {order}, 'v', {value}) END)"
        )
        return f"transform(array_sort({pairs}), pair -> pair.v)"

    @contextlib.contextmanager
    def numbered(self) -> Iterator[str]:
        # Rows in the order Spark reads them (a DataFrame's partitions in order, a file from its
        # start), numbered only when a refusal names the first bad row.
        name = f"govern_numbered_{uuid.uuid4().hex}"
        read = f"SELECT *, monotonically_increasing_id() AS {ROW_NUMBER}_read FROM {self.relation}"
        self.session.sql(
            f"SELECT *, row_number() OVER (ORDER BY {ROW_NUMBER}_read) AS {ROW_NUMBER} "
            f"FROM ({read}) AS read_order"
        ).createOrReplaceTempView(name)
        try:
            yield name
        finally:
            self.session.catalog.dropTempView(name)


_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def read_paths(session: Any, data: str | os.PathLike[str] | Sequence[Any]) -> tuple[Any, str]:
    """A Spark DataFrame over CSV or Parquet paths, globs or (hive-partitioned) folders."""
    items = [os.fspath(data)] if isinstance(data, str | os.PathLike) else list(map(os.fspath, data))
    kinds = set()
    for text in items:
        path = Path(text)
        if path.is_dir():
            found = {_FORMATS[p.suffix.lower()] for p in path.rglob("*") if p.suffix in _FORMATS}
            kinds |= found or {"parquet"}
            continue
        suffix = path.suffix.lower()
        if suffix not in _FORMATS:
            raise DataError(UNSUPPORTED_SUFFIX.format(path=text, suffix=path.suffix))
        if not any(c in text for c in "*?[") and not path.is_file():
            raise DataError(MISSING_FILE.format(path=path))
        kinds.add(_FORMATS[suffix])
    if len(kinds) != 1:
        raise DataError(f"--data mixes CSV and Parquet files ({', '.join(items)}).")
    reader = session.read
    where = Path(items[0]).name if len(items) == 1 else ", ".join(items)
    with unreadable_as_data_error(where):
        if kinds.pop() == "csv":
            frame = reader.csv(items, header=True, inferSchema=True)
        else:
            frame = reader.parquet(*items)
    return frame, where


# Spark's error classes for files it cannot find or read: the user's input, not a bug.
_READ_ERRORS = ("FAILED_READ_FILE", "PATH_NOT_FOUND", "UNABLE_TO_INFER_SCHEMA", "CANNOT_READ")


@contextlib.contextmanager
def unreadable_as_data_error(where: str) -> Iterator[None]:
    """Spark's errors about unreadable or missing files as a DataError naming the data."""
    try:
        yield
    except Exception as error:  # pyspark and py4j errors have no common importable base
        text = str(error)
        if not any(code in text for code in _READ_ERRORS):
            raise
        reason = next((line for line in text.splitlines() if line.strip()), "unreadable")
        raise DataError(
            UNREADABLE_FILE.format(path=where, reason=reason.strip()[:300], kind="CSV or Parquet")
        ) from None


class SparkSource:
    """Records in a Spark DataFrame, or in files Spark reads (the active session's cluster).

    Parameters
    ----------
    data : pyspark.sql.DataFrame, path, glob, folder or list of them
        A DataFrame already defined (any Spark source: tables, Delta, JDBC), or files.
    spark : SparkSession, optional
        The session to use (default: the active one, else a new one).
    source : str, optional
        How messages and the fingerprint name the data (default: the file name, or "the Spark
        DataFrame").

    Examples
    --------
    >>> frame = spark.createDataFrame([(1, "F"), (0, "M")], ["hired", "sex"])  # doctest: +SKIP
    >>> SparkSource(frame).contingency_table(Roles.of(y_pred="hired", sensitive="sex")).engine
    ... # doctest: +SKIP
    'spark'
    """

    engine = "spark"

    def __init__(self, data: Any, *, spark: Any | None = None, source: str | None = None) -> None:
        self.data = data
        self.spark = spark
        self.source = source

    def _engine(self) -> _SparkEngine:
        if is_spark_dataframe(self.data):
            session = self.spark or self.data.sparkSession
            return _SparkEngine(session, self.data, self.source or SPARK_DATAFRAME)
        session = self.spark or spark_session()
        if _is_pandas(self.data):
            frame = session.createDataFrame(self.data)
            return _SparkEngine(session, frame, self.source or UNNAMED)
        frame, where = read_paths(session, self.data)
        return _SparkEngine(session, frame, self.source or where)

    def contingency_table(self, roles: Roles) -> SourceTable:
        engine = self._engine()
        try:
            return SqlTableBuilder(engine).build(roles)
        finally:
            engine.close()

    def user_table(self, roles: RankingRoles) -> UserTable:
        """A recommendation log reduced to one row per user by one ``groupBy`` on the executors.

        The rules are :mod:`govern.audits.sources.ranking`'s; the queries are
        :mod:`govern.audits.sources.sql_ranking`'s. Only the per-user table is collected (as
        Arrow) on the driver, where the user-level bootstrap runs.

        Examples
        --------
        >>> from govern.audits.sources.ranking import RankingRoles
        >>> log = spark.createDataFrame([("a", 1, "F"), ("a", 2, "F"), ("b", 1, "M")],
        ...                             ["user", "rank", "sex"])  # doctest: +SKIP
        >>> roles = RankingRoles.of(user="user", rank="rank", k=1, sensitive="sex")
        >>> SparkSource(log).user_table(roles).n_users  # doctest: +SKIP
        2
        """
        from govern.audits.sources.ranking import check_ranking_roles

        check_ranking_roles(roles)  # before Spark starts or any file is opened
        engine = self._engine()
        try:
            return SqlUserTableBuilder(engine).build(roles)
        finally:
            engine.close()


def _is_pandas(data: object) -> bool:
    import pandas as pd

    return isinstance(data, pd.DataFrame)
