"""The per-user reduction of a recommendation log in a SQL engine: what DuckDB and Spark share.

Implements the rules of :mod:`govern.audits.sources.ranking` in three queries, none of which
brings rows to Python:

1. **profile** (one row): the number of rows, missing user ids, ranks, categories and
   outcomes, ranks that are not positions, the largest rank, and the fingerprint's hash sums;
2. **distinct values** of the columns that become groups (the users' attributes, the item's
   category and group) and of the outcome, in one scan (``GROUPING SETS``). Python labels them
   with the pandas source's own functions (:func:`govern.data.group_labels`,
   :func:`govern.data.binary_lookup`), so rule 3 holds by construction, and writes each column's
   codes as a ``CASE`` over those values;
3. **per user** (:mod:`govern.audits.sources.sql_per_user`): one ``GROUP BY user`` over the
   coded rows (on Spark's executors, or in DuckDB's threads, out of core), returning rule 5's
   statistics, each user's lowest and highest attribute code (a user whose rows disagree has
   two), how many of their ranks repeat, and the item group at each position of their top k,
   from which Python computes NDKL with the pandas source's arithmetic. Only this table, one
   row per user, reaches Python, as Arrow.

A refusal that names a row (the first missing value, the first repeated position) runs one more
query over the rows numbered in the order the engine reads them
(:mod:`govern.audits.sources.sql_refusals`): only bad input pays for it. Problems are reported
in the order of rule 1: one found by query 2 waits until query 3, cut down to the checks that
come before it, has shown that no earlier problem exists.

The fingerprint is the engines' order-free hash, as for the contingency table (rule 6 of
:mod:`govern.audits.sources`): the engine's 64-bit hash of each row's audited columns (numbers
as doubles, so that a rank read as ``3`` or ``3.0`` hashes the same), summed, then hashed with
the roles and the row count. It does not change with row order, file splits or partitioning.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from govern.audits.sources.ranking import (
    RANK_NOT_NUMERIC,
    RankingRoles,
    UserTable,
    check_ranking_roles,
)
from govern.audits.sources.sql import NUMERIC_KINDS, UNNAMED, Column, SqlEngine, double_literal
from govern.data import EMPTY_DATA, NOT_SCALAR, check_role_columns, group_labels
from govern.errors import DataError

if TYPE_CHECKING:
    import pyarrow as pa

# The column of row numbers in a refusal's query (sql_refusals), named so as not to meet a log's.
ROW_NUMBER = "govern_row_number"
# How messages name a log that did not come from a file (as the pandas source does).
UNNAMED_LOG = "the log"


class RankingEngine(SqlEngine, Protocol):
    """What :class:`SqlUserTableBuilder` needs of an engine besides the contingency table's."""

    text_type: str  # the SQL type of text ("VARCHAR", "STRING")

    def text_literal(self, value: str) -> str: ...

    def arrow(self, sql: str) -> pa.Table:
        """The query's result as an Arrow table (the per-user table: one row per user)."""
        ...

    def shift_left(self, value: str, bits: str) -> str: ...

    def element_at(self, values: Sequence[str], index: str) -> str:
        """The ``index``-th (from 1) of literal ``values``."""
        ...

    def ordered_list(self, value: str, order: str, condition: str) -> str:
        """An aggregate: the list of ``value`` over the rows where ``condition``, by ``order``."""
        ...

    def numbered(self) -> contextlib.AbstractContextManager[str]:
        """A relation of the records with their row number (from 1, in read order) as
        :data:`ROW_NUMBER`, for the queries that name a bad row."""
        ...


@dataclass(frozen=True)
class LogColumn:
    """A column of the log that a role names, with the SQL that reads it."""

    role: str
    name: str
    kind: str
    quoted: str  # the column itself
    value: str  # what its groups are made of: the column, or its text for other types

    @property
    def missing(self) -> str:
        """SQL: the row's value is missing (NULL, or NaN in a float column)."""
        if self.kind == "float":
            return f"({self.quoted} IS NULL OR isnan({self.quoted}))"
        return f"{self.quoted} IS NULL"

    @property
    def hashed(self) -> str:
        """SQL: the value the fingerprint hashes (numbers as doubles, so 3 and 3.0 agree)."""
        return f"CAST({self.quoted} AS DOUBLE)" if self.kind in NUMERIC_KINDS else self.quoted


@dataclass(frozen=True)
class Groups:
    """A column whose values become groups: its labels and each row's label index as SQL."""

    column: LogColumn
    labels: tuple[str, ...]
    code: str
    values_of: dict[int, list[Any]]  # label index -> the distinct raw values carrying it

    def case(self, engine: RankingEngine, chosen: Sequence[int]) -> str:
        """SQL: the position in ``chosen`` of the row's label index, NULL for other labels."""
        results = {j: self.values_of.get(index, []) for j, index in enumerate(chosen)}
        return value_case(engine, self.column, results)


@dataclass(frozen=True)
class Profile:
    """Query 1: what the checks of rule 1 and the fingerprint need, in one row."""

    n_rows: int
    missing: dict[str, int]
    bad_ranks: int
    longest: int  # the largest rank that is a position (0 when none is)
    row_hash: int


@dataclass
class Plan:
    """What query 3 computes: each part is set once the checks before it have passed."""

    categories: tuple[str, ...] = ()
    category: str | None = None  # SQL: the audited category's column j, NULL for others
    outcome: str | None = None  # SQL: 1 for a positive outcome, else 0
    items: Groups | None = None
    sensitive: list[Groups] = field(default_factory=list)


def literal(engine: RankingEngine, value: Any) -> str:
    """A SQL literal for a distinct value the engine returned (text, number or boolean)."""
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating | Decimal):
        return double_literal(float(value))
    return engine.text_literal(str(value))


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def value_case(engine: RankingEngine, column: LogColumn, results: dict[int, list[Any]]) -> str:
    """SQL: ``result`` for a row whose value is one of ``results[result]`` (None or NaN: the
    missing ones), NULL for any other value.

    A simple ``CASE column WHEN value ...`` (in DuckDB a quarter faster than ``IN`` tests over
    10 million strings), inside one test for a missing value.
    """
    branches = [
        f"WHEN {literal(engine, value)} THEN {result}"
        for result, values in results.items()
        for value in values
        if not _is_missing(value)
    ]
    case = f"CASE {column.value} {' '.join(branches)} END" if branches else "CAST(NULL AS BIGINT)"
    missing = [r for r, values in results.items() if any(_is_missing(v) for v in values)]
    return f"CASE WHEN {column.missing} THEN {missing[0]} ELSE {case} END" if missing else case


def log_fingerprint_sha256(method: str, roles: RankingRoles, n_rows: int, row_hash: int) -> str:
    """sha256 over the method, the log's roles, its row count and the order-free row hash.

    Examples
    --------
    >>> roles = RankingRoles.of(user="user", rank="rank", k=5, sensitive="sex")
    >>> len(log_fingerprint_sha256("duckdb-hash-sum", roles, 10, 12345))
    64
    """
    fields = [
        method,
        "recommendation_log",
        str(n_rows),
        *(f"{role}={column}" for role, column in roles.role_columns()),
        f"positive_label={roles.positive_label!r}",
        str(row_hash),
    ]
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()


def count_where(condition: str) -> str:
    """SQL: the number of rows (of a group) where ``condition`` holds."""
    return f"CAST(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS BIGINT)"


def sum_where(condition: str, value: str) -> str:
    """SQL: the sum of ``value`` (a double) over the rows where ``condition`` holds."""
    return f"SUM(CASE WHEN {condition} THEN {value} ELSE CAST(0 AS DOUBLE) END)"


class SqlUserTableBuilder:
    """Build a :class:`UserTable` for ``roles`` with one engine (see the module docstring)."""

    def __init__(self, engine: RankingEngine) -> None:
        self.engine = engine
        self.where = UNNAMED_LOG if engine.where == UNNAMED else engine.where

    # -- the columns ---------------------------------------------------------------------------

    def _columns(self, roles: RankingRoles) -> dict[tuple[str, str], LogColumn]:
        found = self.engine.columns()
        check_role_columns(roles.role_columns(), [c.name for c in found], self.where)
        by_name: dict[str, Column] = {c.name: c for c in found}
        columns = {}
        for role, name in roles.role_columns():
            kind = by_name[name].kind
            quoted = self.engine.quote(name)
            # Dates, times and other types are grouped by their text, as labels show them.
            text = f"CAST({quoted} AS {self.engine.text_type})"
            value = text if kind == "other" else quoted
            columns[(role, name)] = LogColumn(role, name, kind, quoted, value)
        return columns

    # -- query 1: the profile ------------------------------------------------------------------

    def _profile(self, columns: dict[tuple[str, str], LogColumn]) -> Profile:
        parts = {"n": "COUNT(*)"}
        by_role = {column.role: column for column in columns.values()}
        for role in ("user", "rank", "item_category", "outcome"):
            if role in by_role:
                parts[f"missing_{role}"] = count_where(by_role[role].missing)
        rank = by_role["rank"]
        if rank.kind in NUMERIC_KINDS:
            parts["bad"] = count_where(f"NOT {rank.missing} AND NOT {self._position(rank)}")
            parts["longest"] = (
                f"MAX(CASE WHEN {self._position(rank)} THEN CAST({rank.quoted} AS DOUBLE) END)"
            )
        hashed = [c.hashed for c in columns.values() if c.kind != "nested"]
        sums = self.engine.row_hash_sums(hashed)
        selected = [*parts.values(), *sums]
        row = self.engine.rows(f"SELECT {', '.join(selected)} FROM {self.engine.relation}")[0]
        values = dict(zip(parts, row[: len(parts)], strict=True))
        hash_sums = [int(v or 0) for v in row[len(parts) :]]
        return Profile(
            n_rows=int(values["n"]),
            missing={r: int(values.get(f"missing_{r}") or 0) for r in by_role},
            bad_ranks=int(values.get("bad") or 0),
            longest=int(values.get("longest") or 0),
            row_hash=self.engine.combine_hash(hash_sums),
        )

    @staticmethod
    def _position(rank: LogColumn) -> str:
        """SQL: the rank is a whole number of at least 1 (for a row whose rank is not missing)."""
        number = f"CAST({rank.quoted} AS DOUBLE)"
        infinity = double_literal(math.inf)
        return f"({number} >= 1 AND {number} < {infinity} AND {number} % 1 = 0)"

    def _refuse_profile(self, profile: Profile, columns: dict[tuple[str, str], LogColumn]) -> None:
        """Rule 1's checks up to the rank: empty log, missing user ids and ranks, bad ranks."""
        from govern.audits.sources import sql_refusals as refusals

        if profile.n_rows == 0:
            raise DataError(EMPTY_DATA.format(source=self.where))
        by_role = {column.role: column for column in columns.values()}
        for role in ("user", "rank"):
            if profile.missing[role]:
                raise refusals.missing_values(
                    self.engine, by_role[role], profile.missing[role], self.where
                )
        rank = by_role["rank"]
        if rank.kind not in NUMERIC_KINDS:
            found = refusals.values_in_order(self.engine, rank)
            raise DataError(
                RANK_NOT_NUMERIC.format(column=rank.name, source=self.where, found=found)
            )
        if profile.bad_ranks:
            raise refusals.rank_not_position(
                self.engine, rank, self._position(rank), profile.bad_ranks, self.where
            )

    # -- query 2: distinct values and their labels ---------------------------------------------

    def _distinct(self, columns: list[LogColumn]) -> list[list[Any]]:
        """The distinct values of each column (missing ones included), in one scan."""
        if not columns:
            return []
        names = [f"v{i}" for i in range(len(columns))]
        inner = ", ".join(f"{c.value} AS {n}" for c, n in zip(columns, names, strict=True))
        flags = ", ".join(f"GROUPING({n})" for n in names)
        sets = ", ".join(f"({n})" for n in names)
        rows = self.engine.rows(
            f"SELECT {flags}, {', '.join(names)} FROM (SELECT {inner} FROM "
            f"{self.engine.relation}) AS labelled GROUP BY GROUPING SETS ({sets})"
        )
        found: list[list[Any]] = [[] for _ in columns]
        for row in rows:
            grouped = list(row[: len(names)]).index(0)  # the set this row belongs to
            found[grouped].append(row[len(names) + grouped])
        return found

    def _groups(self, column: LogColumn, values: list[Any]) -> Groups:
        """Rule 3's labels of a column from its distinct values, and its codes as SQL."""
        import pandas as pd

        if column.kind == "nested":
            raise DataError(NOT_SCALAR.format(column=column.name, source=self.where))
        codes, labels = group_labels(pd.Series(values, name=column.name), self.where)
        values_of: dict[int, list[Any]] = {}
        for value, code in zip(values, codes.tolist(), strict=True):
            values_of.setdefault(int(code), []).append(value)
        return Groups(column, labels, value_case(self.engine, column, values_of), values_of)

    def _outcome(self, column: LogColumn, values: list[Any], roles: RankingRoles) -> str:
        import pandas as pd

        from govern.data import binary_lookup

        present = [v for v in values if not _is_missing(v)]
        positive = binary_lookup(
            pd.Series(present),
            roles.positive_label,
            role="outcome",
            column=column.name,
            where=self.where,
        )
        hits = [v for v, p in zip(present, positive, strict=True) if p]
        return f"COALESCE({value_case(self.engine, column, {1: hits})}, 0)" if hits else "0"

    def _fill(
        self,
        plan: Plan,
        roles: RankingRoles,
        columns: dict[tuple[str, str], LogColumn],
        profile: Profile,
    ) -> None:
        """Rule 1's checks after the duplicate positions, in order, filling ``plan`` as each
        passes (a DataError leaves the parts after it unset)."""
        from govern.audits.ranking.reduction import chosen_categories
        from govern.audits.sources import sql_refusals as refusals

        labelled = [c for c in columns.values() if c.role not in ("user", "rank")]
        scalar = [c for c in labelled if c.kind != "nested"]  # a nested one is refused by name
        distinct = dict(zip(scalar, self._distinct(scalar), strict=True))
        by_role = {(c.role, c.name): c for c in labelled}
        if roles.item_category is not None:
            category = by_role[("item_category", roles.item_category)]
            if profile.missing["item_category"]:
                raise refusals.missing_values(
                    self.engine, category, profile.missing["item_category"], self.where
                )
            groups = self._groups(category, distinct.get(category, []))
            plan.categories = chosen_categories(groups.labels, roles, category.name, self.where)
            indices = [groups.labels.index(c) for c in plan.categories]
            plan.category = groups.case(self.engine, indices)
        if roles.outcome is not None:
            outcome = by_role[("outcome", roles.outcome)]
            if profile.missing["outcome"]:
                raise refusals.missing_values(
                    self.engine, outcome, profile.missing["outcome"], self.where
                )
            plan.outcome = self._outcome(outcome, distinct.get(outcome, []), roles)
        if roles.item_sensitive is not None:
            items = by_role[("item_sensitive", roles.item_sensitive)]
            plan.items = self._groups(items, distinct.get(items, []))
        for name in roles.sensitive:
            column = by_role[("sensitive", name)]
            plan.sensitive.append(self._groups(column, distinct.get(column, [])))

    # -- query 3 (sql_per_user) and the checks it makes -------------------------------------

    def _refuse_per_user(
        self,
        users: pa.Table,
        roles: RankingRoles,
        plan: Plan,
        columns: dict[tuple[str, str], LogColumn],
    ) -> None:
        """Rule 1's checks made per user: a repeated (user, rank), then a user's rows that
        disagree on an attribute (in role order)."""
        from govern.audits.sources import sql_refusals as refusals

        user = columns[("user", roles.user)]
        rank = columns[("rank", roles.rank)]
        if np.any(users.column("repeats").to_numpy() > 0):
            raise refusals.duplicate_position(self.engine, user, rank, self.where)
        for i, groups in enumerate(plan.sensitive):
            # Every value was coded: the CASE lists every distinct value query 2 found.
            assert users.column(f"low_{i}").null_count == 0, f"uncoded {groups.column.name}"
            low = users.column(f"low_{i}").to_numpy()
            if np.any(low != users.column(f"high_{i}").to_numpy()):
                raise refusals.attribute_varies(self.engine, user, groups, self.where)

    def build(self, roles: RankingRoles) -> UserTable:
        """The user table of the log for ``roles`` (the rules of govern.audits.sources.ranking)."""
        from govern.audits.sources.sql_per_user import PerUserQuery

        check_ranking_roles(roles)
        columns = self._columns(roles)
        profile = self._profile(columns)
        self._refuse_profile(profile, columns)
        plan = Plan()
        problem: DataError | None = None
        try:
            self._fill(plan, roles, columns, profile)
        except DataError as error:
            problem = error  # reported once the checks before it (query 3) have passed
        query = PerUserQuery(self.engine, roles, plan, profile)
        users = self.engine.arrow(query.sql(complete=problem is None))
        self._refuse_per_user(users, roles, plan, columns)
        if problem is not None:
            raise problem
        return query.table(users)
