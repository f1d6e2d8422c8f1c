"""Refusals of a bad recommendation log that name its rows, for the DuckDB and Spark sources.

The pandas source names the first bad row (``first at row 4``, ``rows 5 and 12``); so do the
SQL sources, with one more query over the rows numbered in the order the engine reads them
(:meth:`~govern.audits.sources.sql_ranking.RankingEngine.numbered`: a DataFrame's order, a file
from its start). The audit of a good log never runs these queries. Each function returns the
:class:`~govern.errors.DataError` to raise, with the message constants of
:mod:`govern.audits.sources.ranking` and :mod:`govern.data`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.audits.sources.ranking import ATTRIBUTE_VARIES, DUPLICATE_POSITION, RANK_NOT_POSITION
from govern.audits.sources.sql_ranking import ROW_NUMBER
from govern.data import MISSING_VALUES, _describe_values, _plain
from govern.errors import DataError

if TYPE_CHECKING:
    from govern.audits.sources.sql_ranking import Groups, LogColumn, RankingEngine

# How many distinct values a message shows (govern.data's _describe_values shows six).
SHOWN = 6


def missing_values(engine: RankingEngine, column: LogColumn, count: int, where: str) -> DataError:
    """MISSING_VALUES for ``column``, naming its first missing value's row."""
    with engine.numbered() as rows:
        found = engine.rows(f"SELECT MIN({ROW_NUMBER}) FROM {rows} WHERE {column.missing}")
    return DataError(
        MISSING_VALUES.format(
            role=column.role, column=column.name, source=where, count=count, row=int(found[0][0])
        )
    )


def values_in_order(engine: RankingEngine, column: LogColumn) -> str:
    """The column's distinct values in order of first appearance, as govern.data shows them."""
    value = column.quoted
    with engine.numbered() as rows:
        first = engine.rows(
            f"SELECT {value}, MIN({ROW_NUMBER}) AS first_row FROM {rows} GROUP BY {value} "
            f"ORDER BY first_row LIMIT {SHOWN}"
        )
        ((count,),) = engine.rows(f"SELECT COUNT(DISTINCT {value}) FROM {rows}")
    shown = [row[0] for row in first]
    # Only the first six are shown, then how many more there are.
    return _describe_values(shown + [None] * (int(count) - len(shown)), limit=SHOWN)


def rank_not_position(
    engine: RankingEngine, rank: LogColumn, position: str, count: int, where: str
) -> DataError:
    """RANK_NOT_POSITION, naming the first rank that is not a position and its value."""
    with engine.numbered() as rows:
        ((row, value),) = engine.rows(
            f"SELECT {ROW_NUMBER}, {rank.quoted} FROM {rows} WHERE NOT {position} "
            f"ORDER BY {ROW_NUMBER} LIMIT 1"
        )
    return DataError(
        RANK_NOT_POSITION.format(
            column=rank.name,
            source=where,
            count=count,
            row=int(row),
            value=repr(_plain(value)),
        )
    )


def user_label(engine: RankingEngine, user: LogColumn, value: Any) -> str:
    """A user id's text as the pandas source gives it (``2`` for 2.0 when every id is whole)."""
    if isinstance(value, str):
        return value
    if user.kind == "float":
        ((fractional,),) = engine.rows(
            f"SELECT COUNT(*) FROM {engine.relation} WHERE {user.quoted} % 1 <> 0"
        )
        if not fractional:
            return str(int(value))
    return str(value)


def duplicate_position(
    engine: RankingEngine, user: LogColumn, rank: LogColumn, where: str
) -> DataError:
    """DUPLICATE_POSITION: the first row, in row order, whose (user, rank) another row shares,
    and the next row with it."""
    pair = f"{user.quoted}, CAST({rank.quoted} AS BIGINT)"
    with engine.numbered() as rows:
        found = engine.rows(
            "SELECT u, r, row_at FROM ("
            f"SELECT {user.quoted} AS u, CAST({rank.quoted} AS BIGINT) AS r, "
            f"{ROW_NUMBER} AS row_at, COUNT(*) OVER (PARTITION BY {pair}) AS copies, "
            f"MIN({ROW_NUMBER}) OVER (PARTITION BY {pair}) AS first_row FROM {rows}"
            ") AS pairs WHERE copies > 1 ORDER BY first_row, row_at LIMIT 2"
        )
    (value, position, first), (_, _, second) = found
    return DataError(
        DUPLICATE_POSITION.format(
            source=where,
            user=user_label(engine, user, value),
            rank=int(position),
            first=int(first),
            second=int(second),
        )
    )


def attribute_varies(
    engine: RankingEngine, user: LogColumn, groups: Groups, where: str
) -> DataError:
    """ATTRIBUTE_VARIES: the first row, in row order, whose group differs from the group on
    its user's first row."""
    with engine.numbered() as rows:
        coded = f"SELECT {user.quoted} AS u, {ROW_NUMBER} AS row_at, {groups.code} AS g FROM {rows}"
        ((value, first, first_group, second, second_group),) = engine.rows(
            f"WITH coded AS ({coded}), "
            "firsts AS (SELECT u, MIN(row_at) AS first_row FROM coded GROUP BY u), "
            "first_groups AS (SELECT coded.u AS u, firsts.first_row AS first_row, coded.g AS g "
            "FROM coded JOIN firsts ON coded.row_at = firsts.first_row) "
            "SELECT coded.u, first_groups.first_row, first_groups.g, coded.row_at, coded.g "
            "FROM coded JOIN first_groups ON coded.u = first_groups.u "
            "WHERE coded.g <> first_groups.g ORDER BY coded.row_at LIMIT 1"
        )
    labels = groups.labels
    return DataError(
        ATTRIBUTE_VARIES.format(
            column=groups.column.name,
            source=where,
            user=user_label(engine, user, value),
            first_value=labels[int(first_group)],
            first=int(first),
            second_value=labels[int(second_group)],
            second=int(second),
        )
    )
