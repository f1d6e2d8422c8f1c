"""The contingency table from a SQL engine: what the DuckDB and Spark sources share.

Rows never reach Python. The engine runs:

1. for a score, one ``GROUP BY score`` into a temporary relation of distinct values with their
   record counts and weights, then two small queries over it: checks and extremes, then the
   order statistics and weighted median of :mod:`govern.audits.sources.score_summary`;
2. one ``GROUP BY`` of the raw sensitive values, outcome, decision and score bin, returning the
   weighted and unweighted counts, sums of squared weights, score sums, the weight checks and
   the fingerprint's partial sums per cell: a result the size of the table, not of the data.

Python then applies the pandas source's rules (labels, binary decisions, unknown group last,
messages) to the *distinct* values in that result, with the same functions the pandas source
uses (:func:`govern.data.group_labels`, :func:`govern.data.binary_lookup`), and adds the cells
into the table.

Recommendation logs are reduced to one row per user instead, by the same engines
(:mod:`govern.audits.sources.sql_ranking`, whose engine protocol extends :class:`SqlEngine`).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from govern.audits.sources import Roles, SourceTable
from govern.audits.sources import score_summary as summaries
from govern.data import (
    EMPTY_DATA,
    NON_NUMERIC,
    NOT_SCALAR,
    SINGLE_CLASS,
    ZERO_WEIGHTS,
    binary_lookup,
    check_role_columns,
    group_labels,
    role_columns,
)
from govern.errors import DataError
from govern.results import DataFingerprint

if TYPE_CHECKING:
    import pandas as pd


# Messages a user sees (tests assert the exact text). The pandas source names the first row of
# a problem; an engine that scans in parallel counts the records instead.
MISSING_VALUES = (
    "{role} column {column!r} in {source} has {count} missing value(s). "
    "Fill or drop them before the audit."
)
NON_FINITE = (
    "{role} column {column!r} in {source} has {count} infinite value(s). "
    "Replace them with finite numbers before the audit."
)
NEGATIVE_WEIGHT = (
    "sample_weight column {column!r} in {source} has {count} negative value(s). "
    "Weights must be zero or positive."
)

ColumnKind = Literal["boolean", "integer", "float", "text", "nested", "other"]
NUMERIC_KINDS = ("integer", "float")

# How many distinct values a non-numeric message shows.
SHOWN_VALUES = 7
# A score with at most this many distinct values is grouped by its value and binned in Python
# (numpy's searchsorted on the grouped values: cheaper than a CASE per row, and the same bins).
GROUP_BY_SCORE_VALUES = 65536


@dataclass(frozen=True)
class Column:
    """A column of the records as the engine types it."""

    name: str
    kind: ColumnKind


class SqlEngine(Protocol):
    """What :class:`SqlTableBuilder` needs of an engine: a relation, its columns and queries."""

    engine: str
    where: str  # how messages name the data ("decisions.parquet", "the Spark DataFrame")
    fingerprint_method: str

    @property
    def relation(self) -> str:
        """The SQL name of the records the table is grouped from."""
        ...

    def columns(self) -> list[Column]: ...

    def quote(self, name: str) -> str: ...

    def rows(self, sql: str) -> list[tuple[Any, ...]]: ...

    def temporary(self, sql: str) -> contextlib.AbstractContextManager[str]:
        """Materialise the query's result (spilling to disk if large); yield its SQL name."""
        ...

    def row_hash_sums(self, columns: Sequence[str]) -> list[str]:
        """Aggregate expressions whose sums, combined, give an order-free hash of the rows."""
        ...

    def combine_hash(self, sums: Sequence[int]) -> int: ...


def double_literal(value: float) -> str:
    """A float as SQL text that parses back to the same double in DuckDB and Spark."""
    return f"CAST('{float(value)!r}' AS DOUBLE)"


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class _Query:
    """The main GROUP BY: its SQL and where each output sits in a result row."""

    sql: str
    n_keys: int
    aggregates: list[str]


class SqlTableBuilder:
    """Build a :class:`SourceTable` for ``roles`` with one engine (see the module docstring)."""

    def __init__(self, engine: SqlEngine) -> None:
        self.engine = engine

    # -- checks on the schema ------------------------------------------------------------------

    def _checked_columns(self, roles: Roles) -> dict[str, Column]:
        columns = self.engine.columns()
        pairs = role_columns(
            y_pred=roles.y_pred,
            sensitive=list(roles.sensitive),
            y_true=roles.y_true,
            score=roles.score,
            sample_weight=roles.sample_weight,
        )
        check_role_columns(pairs, [c.name for c in columns], self.engine.where)
        by_name = {c.name: c for c in columns}
        for role, name in (("score", roles.score), ("sample_weight", roles.sample_weight)):
            if name is not None and by_name[name].kind not in NUMERIC_KINDS:
                raise DataError(
                    NON_NUMERIC.format(
                        role=role, column=name, source=self.engine.where, found=self._some(name)
                    )
                )
        for name in roles.sensitive:
            if by_name[name].kind == "nested":
                raise DataError(NOT_SCALAR.format(column=name, source=self.engine.where))
        return by_name

    def _some(self, name: str) -> str:
        column = self.engine.quote(name)
        found = self.engine.rows(
            f"SELECT DISTINCT {column} FROM {self.engine.relation} LIMIT {SHOWN_VALUES}"
        )
        values = sorted((row[0] for row in found), key=lambda v: (v is None, str(v)))
        shown = ", ".join(repr(v) for v in values[: SHOWN_VALUES - 1])
        return shown + (" and more" if len(values) >= SHOWN_VALUES else "")

    def _number(self, name: str) -> str:
        return f"CAST({self.engine.quote(name)} AS DOUBLE)"

    # -- step 1: the score ---------------------------------------------------------------------

    def _score_summary(self, roles: Roles) -> summaries.ScoreSummary:
        assert roles.score is not None
        score = self._number(roles.score)
        weight = "1" if roles.sample_weight is None else self._number(roles.sample_weight)
        grouped = (
            f"SELECT {score} AS v, COUNT(*) AS c, SUM({weight}) AS w "
            f"FROM {self.engine.relation} GROUP BY 1"
        )
        with self.engine.temporary(grouped) as distinct:
            missing, infinite, n_distinct, low, high, n, total = self.engine.rows(
                "SELECT "
                "COALESCE(SUM(CASE WHEN v IS NULL OR isnan(v) THEN c ELSE 0 END), 0), "
                f"COALESCE(SUM(CASE WHEN abs(v) = {double_literal(np.inf)} THEN c ELSE 0 END), 0), "
                "COUNT(*), MIN(v), MAX(v), SUM(c), SUM(w) "
                f"FROM {distinct}"
            )[0]
            self._check_finite(roles.score, "score", int(missing), int(infinite))
            if int(n_distinct) <= summaries.MAX_SCORE_BINS:
                values = np.array(
                    [row[0] for row in self.engine.rows(f"SELECT v FROM {distinct} ORDER BY v")],
                    dtype=np.float64,
                )
            else:
                values = None
            median, quantiles = self._order_statistics(
                distinct, int(n), float(total or 0.0), weighted=roles.sample_weight is not None
            )
        return summaries.ScoreSummary(
            n_distinct=int(n_distinct),
            minimum=float(low),
            maximum=float(high),
            median=median,
            distinct=values,
            quantiles=None if values is not None else quantiles,
        )

    def _order_statistics(
        self, distinct: str, n: int, total: float, *, weighted: bool
    ) -> tuple[float, np.ndarray]:
        """The median (weighted or not) and numpy's quantiles, from one pass over the values."""
        plan = summaries.quantile_plan(n)
        middle = summaries.median_positions(n)
        positions = sorted({*plan.below.tolist(), *plan.above.tolist(), *middle})
        window = "ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
        # The value at sorted position k is the first whose running count passes k.
        picks = [f"MIN(CASE WHEN cc > {k} THEN v END)" for k in positions]
        if weighted:
            # The first value whose running weight reaches half the total (numpy's searchsorted
            # 'left' over the cumulative weights).
            picks.append(f"MIN(CASE WHEN cw >= {double_literal(total / 2.0)} THEN v END)")
        found = self.engine.rows(
            f"SELECT {', '.join(picks)} FROM (SELECT v, SUM(c) OVER ({window}) AS cc, "
            f"SUM(w) OVER ({window}) AS cw FROM {distinct}) AS running"
        )[0]
        at = dict(zip(positions, (float(v) for v in found[: len(positions)]), strict=True))
        if weighted:
            # None when the weights are missing or not numbers: step 2 refuses them by name.
            median = float("nan") if found[-1] is None else float(found[-1])
        else:
            median = summaries.unweighted_median(at[middle[0]], at[middle[1]])
        low = np.array([at[k] for k in plan.below.tolist()], dtype=np.float64)
        high = np.array([at[k] for k in plan.above.tolist()], dtype=np.float64)
        return median, summaries.interpolate(plan, low, high)

    def _check_finite(self, name: str, role: str, missing: int, infinite: int) -> None:
        where = self.engine.where
        if missing:
            raise DataError(
                MISSING_VALUES.format(role=role, column=name, source=where, count=missing)
            )
        if infinite:
            raise DataError(NON_FINITE.format(role=role, column=name, source=where, count=infinite))

    # -- step 2: the GROUP BY ------------------------------------------------------------------

    def _bin_expression(self, score: str, edges: np.ndarray) -> str:
        # Bin i holds (edges[i-1], edges[i]]: numpy's searchsorted(edges, score, 'left').
        cases = " ".join(
            f"WHEN {score} <= {double_literal(edge)} THEN {i}" for i, edge in enumerate(edges[:-1])
        )
        return f"CASE {cases} ELSE {edges.size - 1} END" if cases else "0"

    def _query(self, roles: Roles, edges: np.ndarray | None, by_value: bool) -> _Query:
        quote = self.engine.quote
        keys = [quote(name) for name in roles.sensitive]
        keys.append("0" if roles.y_true is None else quote(roles.y_true))
        keys.append(quote(roles.y_pred))
        score = None if roles.score is None else self._number(roles.score)
        if score is None or edges is None:
            keys.append("0")
        else:
            keys.append(score if by_value else self._bin_expression(score, edges))
        weight = None if roles.sample_weight is None else self._number(roles.sample_weight)
        aggregates = ["n"]
        selected = ["COUNT(*)"]
        if weight is not None:
            infinity = double_literal(np.inf)
            aggregates += [
                "weight",
                "weight_squares",
                "weight_missing",
                "weight_infinite",
                "weight_negative",
            ]
            selected += [
                f"SUM(CASE WHEN isnan({weight}) THEN 0 ELSE {weight} END)",
                # Kish's effective sample size behind the closed-form intervals needs sum w^2.
                f"SUM(CASE WHEN isnan({weight}) THEN 0 ELSE {weight} * {weight} END)",
                f"SUM(CASE WHEN {weight} IS NULL OR isnan({weight}) THEN 1 ELSE 0 END)",
                f"SUM(CASE WHEN abs({weight}) = {infinity} THEN 1 ELSE 0 END)",
                f"SUM(CASE WHEN {weight} < 0 THEN 1 ELSE 0 END)",
            ]
        if score is not None:
            aggregates.append("score_sum")
            selected.append(f"SUM({score})" if weight is None else f"SUM({weight} * {score})")
        hashes = self.engine.row_hash_sums([quote(name) for name in roles.columns])
        aggregates += [f"hash_{i}" for i in range(len(hashes))]
        selected += hashes
        ordinals = ", ".join(str(i + 1) for i in range(len(keys)))
        sql = f"SELECT {', '.join(keys + selected)} FROM {self.engine.relation} GROUP BY {ordinals}"
        return _Query(sql, len(keys), aggregates)

    def _cells(self, roles: Roles, edges: np.ndarray | None, by_value: bool) -> pd.DataFrame:
        import pandas as pd

        query = self._query(roles, edges, by_value)
        names = [*(f"key_{i}" for i in range(query.n_keys)), *query.aggregates]
        rows = self.engine.rows(query.sql)
        if not rows:
            raise DataError(EMPTY_DATA.format(source=self.engine.where))
        return pd.DataFrame.from_records(rows, columns=names)

    # -- Python: the pandas source's rules on the distinct values ------------------------------

    def _decisions(self, cells: pd.DataFrame, key: str, role: str, roles: Roles) -> np.ndarray:
        assert role in ("y_pred", "y_true")
        column = roles.y_pred if role == "y_pred" else roles.y_true
        assert column is not None
        values = cells[key]
        missing = values.isna().to_numpy()
        if missing.any():
            count = int(cells["n"].to_numpy()[missing].sum())
            raise DataError(
                MISSING_VALUES.format(
                    role=role, column=column, source=self.engine.where, count=count
                )
            )
        return binary_lookup(
            values,
            roles.positive_label,
            role=role,
            column=column,
            where=self.engine.where,
        )

    def _check_weights(self, cells: pd.DataFrame, roles: Roles) -> None:
        name = roles.sample_weight
        where = self.engine.where
        if name is None:
            return
        missing = int(cells["weight_missing"].sum())
        if missing:
            raise DataError(
                MISSING_VALUES.format(
                    role="sample_weight", column=name, source=where, count=missing
                )
            )
        self._check_finite(name, "sample_weight", 0, int(cells["weight_infinite"].sum()))
        negative = int(cells["weight_negative"].sum())
        if negative:
            raise DataError(NEGATIVE_WEIGHT.format(column=name, source=where, count=negative))
        if not float(cells["weight"].sum()) > 0:
            raise DataError(ZERO_WEIGHTS.format(column=name, source=where))

    def build(self, roles: Roles) -> SourceTable:
        """The table, unknown counts and fingerprint of the records for ``roles``."""
        from govern.audits.fairness.table import ContingencyTable

        self._checked_columns(roles)
        summary = self._score_summary(roles) if roles.score is not None else None
        edges = None if summary is None else summaries.bin_edges(summary)
        by_value = summary is not None and summary.n_distinct <= GROUP_BY_SCORE_VALUES
        cells = self._cells(roles, edges, by_value)
        k = len(roles.sensitive)
        y_pred = self._decisions(cells, f"key_{k + 1}", "y_pred", roles)
        y_true = np.zeros(len(cells), dtype=np.int8)
        if roles.y_true is not None:
            y_true = self._decisions(cells, f"key_{k}", "y_true", roles)
            if np.all(y_true == y_true[0]):
                raise DataError(
                    SINGLE_CLASS.format(
                        column=roles.y_true,
                        source=self.engine.where,
                        value=_plain(cells[f"key_{k}"].iloc[0]),
                    )
                )
        self._check_weights(cells, roles)
        codes: list[np.ndarray] = []
        levels: list[tuple[str, ...]] = []
        unknown: dict[str, int] = {}
        for i, name in enumerate(roles.sensitive):
            attribute_codes, labels = group_labels(cells[f"key_{i}"], self.engine.where)
            codes.append(attribute_codes.astype(np.int64))
            levels.append(labels)
            unknown[name] = int(cells["n"].to_numpy()[cells[f"key_{i}"].isna().to_numpy()].sum())
        n_bins = 1 if edges is None else edges.size
        score_bin = cells[f"key_{k + 2}"].to_numpy(dtype=np.float64 if by_value else np.int64)
        if by_value and edges is not None:
            score_bin = np.searchsorted(edges, score_bin, side="left")
        index = (*codes, y_true, y_pred, score_bin)
        shape = (*(len(labels) for labels in levels), 2, 2, n_bins)
        records = _added(shape, index, cells["n"])
        weighted = roles.sample_weight is not None
        counts = _added(shape, index, cells["weight"]) if weighted else records
        score_sums = None if summary is None else _added(shape, index, cells["score_sum"])
        bins = None
        if summary is not None and edges is not None:
            bins = summaries.finish_bins(summary, edges, counts.sum(axis=tuple(range(k + 2))))
        n_rows = int(cells["n"].sum())
        table = ContingencyTable(
            attributes=tuple(roles.sensitive),
            levels=tuple(levels),
            counts=counts,
            score_sums=score_sums,
            has_y_true=roles.y_true is not None,
            bins=bins,
            n_rows=n_rows,
            record_counts=records if weighted else None,
            weight_squares=_added(shape, index, cells["weight_squares"]) if weighted else None,
        )
        return SourceTable(
            table=table,
            unknown_counts=unknown,
            fingerprint=self._fingerprint(roles, cells, n_rows),
            engine=self.engine.engine,
        )

    def _fingerprint(self, roles: Roles, cells: pd.DataFrame, n_rows: int) -> DataFingerprint:
        sums = [sum(int(v) for v in cells[c]) for c in cells.columns if c.startswith("hash_")]
        combined = self.engine.combine_hash(sums)
        return DataFingerprint(
            sha256=fingerprint_sha256(self.engine.fingerprint_method, roles, n_rows, combined),
            n_rows=n_rows,
            columns=roles.columns,
            source=self.engine.where if self.engine.where != UNNAMED else None,
            method=self.engine.fingerprint_method,
        )


# How an engine names data that did not come from a file.
UNNAMED = "the data"


def fingerprint_sha256(method: str, roles: Roles, n_rows: int, row_hash: int) -> str:
    """sha256 over the method, the roles, the record count and the engine's order-free row hash.

    Examples
    --------
    >>> roles = Roles.of(y_pred="hired", sensitive="sex")
    >>> len(fingerprint_sha256("duckdb-hash-sum", roles, 10, 12345))
    64
    """
    digest = hashlib.sha256()
    fields = [
        method,
        str(n_rows),
        *(f"{role}={getattr(roles, role)}" for role in ("y_pred", "y_true", "score")),
        f"sample_weight={roles.sample_weight}",
        f"positive_label={roles.positive_label!r}",
        *(f"sensitive={name}" for name in roles.sensitive),
        str(row_hash),
    ]
    digest.update("\x1f".join(fields).encode("utf-8"))
    return digest.hexdigest()


def _added(shape: tuple[int, ...], index: tuple[np.ndarray, ...], values: Any) -> np.ndarray:
    """Cell totals: each result row's value added into its cell (several rows may share one)."""
    table = np.zeros(shape, dtype=np.float64)
    np.add.at(table, index, np.asarray(values, dtype=np.float64))
    return table


@contextlib.contextmanager
def no_temporary(sql: str) -> Iterator[str]:
    """For engines that can read a subquery as often as needed: the query itself."""
    yield f"({sql}) AS inline"
