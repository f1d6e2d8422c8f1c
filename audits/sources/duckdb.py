"""The DuckDB data source: CSV and Parquet files, globs and hive-partitioned folders, out of core.

DuckDB (embedded, no server) reads the files where they are and runs the grouping of
:mod:`govern.audits.sources.sql`; only the table-sized result comes back to Python, so a file
much larger than memory is audited in memory bounded by DuckDB's ``memory_limit`` (default
:data:`DEFAULT_MEMORY_LIMIT`, or the ``GOVERN_DUCKDB_MEMORY_LIMIT`` environment variable), with
intermediate results spilled to a temporary folder that is removed afterwards.

Install with ``pip install 'govern[duckdb]'``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
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
    import pandas as pd
    import pyarrow as pa

    from govern.audits.sources.ranking import RankingRoles, UserTable

DEFAULT_MEMORY_LIMIT = "1GB"
MEMORY_LIMIT_VARIABLE = "GOVERN_DUCKDB_MEMORY_LIMIT"

NO_FILES = (
    "no CSV or Parquet files match {pattern}. Check the path or glob passed to --data "
    "(quote a glob so the shell does not expand it)."
)
EMPTY_FOLDER = "folder {path} holds no .csv or .parquet files. Point --data at the data files."
MIXED_FORMATS = (
    "{what} mixes CSV and Parquet files; audit one format at a time (for example {example})."
)

_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_GLOB_CHARACTERS = frozenset("*?[")
# pandas' default missing-value spellings, so a CSV reads with the same gaps in both sources.
_CSV_MISSING = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip

_KINDS: dict[str, ColumnKind] = {
    "BOOLEAN": "boolean",
    "TINYINT": "integer",
    "SMALLINT": "integer",
    "INTEGER": "integer",
    "BIGINT": "integer",
    "HUGEINT": "integer",
    "UTINYINT": "integer",
    "USMALLINT": "integer",
    "UINTEGER": "integer",
    "UBIGINT": "integer",
    "UHUGEINT": "integer",
    "FLOAT": "float",
    "DOUBLE": "float",
    "VARCHAR": "text",
}


def _kind(type_name: str) -> ColumnKind:
    if type_name.endswith("]") or type_name.startswith(("STRUCT", "MAP", "UNION")):
        return "nested"
    if type_name.startswith("DECIMAL"):
        return "float"
    return _KINDS.get(type_name, "other")


def sql_text(value: str) -> str:
    """A SQL string literal (single quotes doubled), for paths the user gave."""
    return "'" + value.replace("'", "''") + "'"


def is_glob(text: str) -> bool:
    return any(character in _GLOB_CHARACTERS for character in text)


def _format_of(text: str) -> str:
    suffix = Path(text).suffix.lower()
    if suffix not in _FORMATS:
        raise DataError(UNSUPPORTED_SUFFIX.format(path=text, suffix=Path(text).suffix))
    return _FORMATS[suffix]


def _folder_pattern(folder: Path) -> tuple[str, str]:
    """A glob over every data file under ``folder`` (hive partitions are sub-folders)."""
    found = {_FORMATS[p.suffix.lower()] for p in folder.rglob("*") if p.suffix.lower() in _FORMATS}
    if not found:
        raise DataError(EMPTY_FOLDER.format(path=folder))
    if len(found) > 1:
        raise DataError(
            MIXED_FORMATS.format(what=f"folder {folder}", example=f"{folder}/**/*.parquet")
        )
    kind = found.pop()
    suffix = "parquet" if kind == "parquet" else "csv"
    return str(folder / "**" / f"*.{suffix}"), kind


def resolve_files(
    data: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> tuple[list[str], str, str]:
    """The paths or globs to read, their format, and how messages name them.

    Examples
    --------
    >>> resolve_files("logs/year=*/*.parquet")
    (['logs/year=*/*.parquet'], 'parquet', 'logs/year=*/*.parquet')
    """
    items = [data] if isinstance(data, str | os.PathLike) else list(data)
    if not items:
        raise DataError(NO_FILES.format(pattern="(no paths given)"))
    patterns, kinds = [], set()
    for item in items:
        text = os.fspath(item)
        path = Path(text)
        if is_glob(text):
            patterns.append(text)
            kinds.add(_format_of(text))
        elif path.is_dir():
            pattern, kind = _folder_pattern(path)
            patterns.append(pattern)
            kinds.add(kind)
        else:
            kinds.add(_format_of(text))
            if not path.is_file():
                raise DataError(MISSING_FILE.format(path=path))
            patterns.append(text)
    if len(kinds) > 1:
        raise DataError(MIXED_FORMATS.format(what="--data", example=patterns[0]))
    single = len(items) == 1 and not is_glob(os.fspath(items[0]))
    texts = [os.fspath(item) for item in items]
    where = Path(texts[0]).name if single else ", ".join(texts)
    return patterns, kinds.pop(), where


def reader_sql(patterns: list[str], kind: str, *, hive_partitioning: bool | None) -> str:
    """The DuckDB table function that reads the files (by name of column across files)."""
    files = "[" + ", ".join(sql_text(p) for p in patterns) + "]"
    options = ["union_by_name = true"]
    if hive_partitioning is not None:
        options.append(f"hive_partitioning = {str(hive_partitioning).lower()}")
    if kind == "parquet":
        return f"read_parquet({files}, {', '.join(options)})"
    missing = "[" + ", ".join(sql_text(s) for s in _CSV_MISSING) + "]"
    options += ["header = true", f"nullstr = {missing}"]
    return f"read_csv({files}, {', '.join(options)})"


class _DuckDBEngine:
    """One DuckDB connection over the records, as :class:`~govern.audits.sources.sql.SqlEngine`."""

    engine = "duckdb"

    def __init__(self, connection: Any, relation: str, where: str, version: str) -> None:
        self.connection = connection
        self._relation = relation
        self.where = where
        # DuckDB does not promise hash() across releases: the method names the version.
        self.fingerprint_method = f"duckdb-hash-sum/{version}"

    @property
    def relation(self) -> str:
        return self._relation

    def quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        import duckdb

        try:
            return list(self.connection.execute(sql).fetchall())
        except (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException) as e:
            raise _unreadable(self.where, e) from None

    def columns(self) -> list[Column]:
        described = self.rows(f"DESCRIBE SELECT * FROM {self.relation}")
        return [Column(str(row[0]), _kind(str(row[1]))) for row in described]

    @contextlib.contextmanager
    def temporary(self, sql: str) -> Iterator[str]:
        name = f"govern_{uuid.uuid4().hex}"
        self.rows(f"CREATE TEMPORARY TABLE {name} AS {sql}")
        try:
            yield name
        finally:
            self.connection.execute(f"DROP TABLE IF EXISTS {name}")

    def row_hash_sums(self, columns: Sequence[str]) -> list[str]:
        # hash() is a UBIGINT; its SUM is a HUGEINT, so no overflow before the modulo.
        return [f"SUM(hash({', '.join(columns)}))"]

    def combine_hash(self, sums: Sequence[int]) -> int:
        return sum(sums) % 2**64

    # -- what the per-user reduction of a recommendation log adds (sql_ranking.RankingEngine) ----

    text_type = "VARCHAR"

    def text_literal(self, value: str) -> str:
        return sql_text(value)

    def arrow(self, sql: str) -> pa.Table:
        import duckdb

        try:
            return self.connection.sql(sql).to_arrow_table()
        except (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException) as e:
            raise _unreadable(self.where, e) from None

    def shift_left(self, value: str, bits: str) -> str:
        return f"(CAST({value} AS BIGINT) << CAST({bits} AS INTEGER))"

    def element_at(self, values: Sequence[str], index: str) -> str:
        return f"[{', '.join(values)}][{index}]"  # DuckDB lists count from 1

    def ordered_list(self, value: str, order: str, condition: str) -> str:
        return f"list({value} ORDER BY {order}) FILTER (WHERE {condition})"

    @contextlib.contextmanager
    def numbered(self) -> Iterator[str]:
        # Only a refusal needs row numbers (to name the first bad row): insertion order is kept
        # for its queries alone, so the audit itself scans in parallel with no order to keep.
        name = f"govern_numbered_{uuid.uuid4().hex}"
        self.connection.execute("SET preserve_insertion_order = true")
        self.rows(
            f"CREATE TEMPORARY VIEW {name} AS SELECT *, row_number() OVER () AS {ROW_NUMBER} "
            f"FROM {self.relation}"
        )
        try:
            yield name
        finally:
            self.connection.execute(f"DROP VIEW IF EXISTS {name}")
            self.connection.execute("SET preserve_insertion_order = false")


def _unreadable(where: str, error: BaseException) -> DataError:
    reason = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
    if "No files found" in reason:
        return DataError(NO_FILES.format(pattern=where))
    return DataError(UNREADABLE_FILE.format(path=where, reason=reason, kind="CSV or Parquet"))


class DuckDBSource:
    """Records in CSV or Parquet files (paths, globs, hive-partitioned folders) or a DataFrame.

    Parameters
    ----------
    data : path, glob, folder, list of them, or pandas.DataFrame
        ``"decisions.parquet"``, ``"logs/*.parquet"``, ``"logs/"`` (every data file below,
        ``key=value`` sub-folders read as columns), or a list of these.
    memory_limit : str, optional
        DuckDB's memory limit (``"1GB"``, ``"500MB"``); default ``GOVERN_DUCKDB_MEMORY_LIMIT``
        or :data:`DEFAULT_MEMORY_LIMIT`. DuckDB spills to a temporary folder beyond it.
    threads : int, optional
        Threads DuckDB may use (default: one per core).
    hive_partitioning : bool, optional
        Read ``key=value`` folder names as columns (default: DuckDB detects them).
    temp_directory : path, optional
        Where DuckDB spills (default: a new folder under the system's temporary folder,
        removed after the audit).
    source : str, optional
        How messages and the fingerprint name the data (default: the file name, or "the data"
        for a DataFrame).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"hired": [1, 0, 1], "sex": ["F", "M", None]})
    >>> built = DuckDBSource(frame).contingency_table(Roles.of(y_pred="hired", sensitive="sex"))
    >>> built.unknown_counts, built.engine
    ({'sex': 1}, 'duckdb')
    """

    engine = "duckdb"

    def __init__(
        self,
        data: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | pd.DataFrame,
        *,
        memory_limit: str | None = None,
        threads: int | None = None,
        hive_partitioning: bool | None = None,
        temp_directory: str | os.PathLike[str] | None = None,
        source: str | None = None,
    ) -> None:
        self.data = data
        self.source = source
        self.memory_limit = (
            memory_limit or os.environ.get(MEMORY_LIMIT_VARIABLE) or DEFAULT_MEMORY_LIMIT
        )
        self.threads = threads
        self.hive_partitioning = hive_partitioning
        self.temp_directory = temp_directory

    @contextlib.contextmanager
    def _connected(self) -> Iterator[_DuckDBEngine]:
        duckdb = require("duckdb")
        with contextlib.ExitStack() as stack:
            spill = self.temp_directory
            if spill is None:
                spill = stack.enter_context(tempfile.TemporaryDirectory(prefix="govern-duckdb-"))
            config: dict[str, Any] = {
                "memory_limit": self.memory_limit,
                "temp_directory": os.fspath(spill),
                # Row order is never needed (the fingerprint is order-free): less memory.
                "preserve_insertion_order": False,
            }
            if self.threads is not None:
                config["threads"] = self.threads
            try:
                connection = duckdb.connect(":memory:", config=config)
            except duckdb.Error as error:
                raise DataError(f"cannot start DuckDB: {str(error).splitlines()[0]}") from None
            stack.callback(connection.close)
            version = str(duckdb.__version__)
            if _is_frame(self.data):
                connection.register("govern_records", self.data)
                where = self.source or UNNAMED
                yield _DuckDBEngine(connection, "govern_records", where, version)
                return
            assert not _is_frame(self.data)
            patterns, kind, where = resolve_files(self.data)  # type: ignore[arg-type]
            engine = _DuckDBEngine(connection, "govern_records", self.source or where, version)
            reader = reader_sql(patterns, kind, hive_partitioning=self.hive_partitioning)
            engine.rows(f"CREATE VIEW govern_records AS SELECT * FROM {reader}")
            yield engine

    def contingency_table(self, roles: Roles) -> SourceTable:
        with self._connected() as engine:
            return SqlTableBuilder(engine).build(roles)

    def user_table(self, roles: RankingRoles) -> UserTable:
        """A recommendation log reduced to one row per user by one ``GROUP BY`` in DuckDB.

        The rules are :mod:`govern.audits.sources.ranking`'s; the queries are
        :mod:`govern.audits.sources.sql_ranking`'s. Only the per-user table reaches Python.

        Examples
        --------
        >>> import pandas as pd
        >>> from govern.audits.sources.ranking import RankingRoles
        >>> log = pd.DataFrame({"user": ["a", "a", "b"], "rank": [1, 2, 1],
        ...                     "sex": ["F", "F", "M"]})
        >>> roles = RankingRoles.of(user="user", rank="rank", k=1, sensitive="sex")
        >>> table = DuckDBSource(log).user_table(roles)
        >>> sorted(table.n_items.tolist()), table.engine
        ([1, 2], 'duckdb')
        """
        from govern.audits.sources.ranking import check_ranking_roles

        check_ranking_roles(roles)  # before DuckDB starts or any file is opened
        with self._connected() as engine:
            return SqlUserTableBuilder(engine).build(roles)


def _is_frame(data: object) -> bool:
    import pandas as pd

    return isinstance(data, pd.DataFrame)
