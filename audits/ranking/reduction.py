"""The per-user reduction of a recommendation log in memory: pandas and numpy.

Implements the rules of :mod:`govern.audits.sources.ranking` for a DataFrame (the pandas source
reads CSV and Parquet files into one, with only the named columns). No step loops over users or
rows in Python: the user column is factorised once and every statistic is one ``bincount`` (or
one ``minimum.at``) over combined codes, so 10 million rows reduce in a few seconds.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from govern.audits.sources.ranking import (
    ATTRIBUTE_VARIES,
    DUPLICATE_POSITION,
    MAX_CATEGORIES,
    RANK_NOT_NUMERIC,
    RANK_NOT_POSITION,
    TOO_MANY_CATEGORIES,
    UNKNOWN_CATEGORY,
    RankingRoles,
    UserTable,
    check_ranking_roles,
    log_sha256,
)
from govern.data import (
    EMPTY_DATA,
    MISSING_VALUES,
    _binary,
    _configured_max_groups,
    _describe_values,
    _group_codes,
    _plain,
    check_role_columns,
)
from govern.errors import DataError
from govern.results import UNKNOWN_GROUP, DataFingerprint

if TYPE_CHECKING:
    import pandas as pd

# Duplicate (user, rank) pairs are counted with one bincount while the key space stays within a
# few times the number of rows; beyond it (very long lists) they are found by sorting.
_BINCOUNT_SPAN = 8


def discount(rank: np.ndarray) -> np.ndarray:
    """The DCG position discount ``1 / log2(1 + rank)`` (Järvelin & Kekäläinen 2002).

    Examples
    --------
    >>> discount(np.array([1, 3])).tolist()
    [1.0, 0.5]
    """
    ranks = np.asarray(rank)
    if ranks.dtype.kind in "iu" and ranks.size > 1024 and ranks.min() >= 1 and ranks.max() < 2**20:
        # Ranks are few distinct whole numbers: look each up rather than take 10M logarithms.
        table = np.zeros(int(ranks.max()) + 1)
        table[1:] = 1.0 / np.log2(1.0 + np.arange(1, table.size, dtype=np.float64))
        return np.asarray(table[ranks])
    return 1.0 / np.log2(1.0 + ranks.astype(np.float64))


@dataclass(frozen=True)
class _Log:
    """The validated row-level columns of a log, as codes and numbers."""

    where: str
    user: np.ndarray  # int64 code per row, an index into user_labels
    user_labels: tuple[str, ...]
    rank: np.ndarray  # int64
    top: np.ndarray  # bool: rank <= k
    discount: np.ndarray  # float64: 1 / log2(1 + rank), computed once

    @property
    def n_users(self) -> int:
        return len(self.user_labels)

    @property
    def n_rows(self) -> int:
        return int(self.user.shape[0])


def _complete(frame: pd.DataFrame, role: str, column: str, where: str) -> pd.Series:
    values = frame[column]
    missing = values.isna().to_numpy()
    if missing.any():
        raise DataError(
            MISSING_VALUES.format(
                role=role,
                column=column,
                source=where,
                count=int(missing.sum()),
                row=int(np.argmax(missing)) + 1,
            )
        )
    return values


def _user_codes(values: pd.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    """Each row's user as a code, and the users' labels in order of first appearance (rule 6).

    Labels follow rule 3's text (``2.0`` reads ``"2"``); distinct values with the same text
    (``1`` and ``"1"``) are one user. Users are never sorted: a million labels sorted as Python
    strings would cost more than the rest of the reduction.
    """
    import pandas as pd

    raw, uniques = pd.factorize(values)
    present = uniques.tolist()
    if pd.api.types.is_string_dtype(values.dtype) and all(isinstance(v, str) for v in present):
        text = present
    elif pd.api.types.is_float_dtype(values.dtype) and np.all(
        np.asarray(present, dtype=float) == np.round(np.asarray(present, dtype=float))
    ):
        text = [str(int(v)) for v in present]
    else:
        text = [str(v) for v in present]
    if len(set(text)) == len(text):  # the usual case: every distinct value has its own text
        return raw.astype(np.int64), tuple(text)
    first: dict[str, int] = {}
    remap = np.array([first.setdefault(label, len(first)) for label in text], dtype=np.int64)
    return remap[raw], tuple(first)


def _ranks(frame: pd.DataFrame, column: str, where: str) -> np.ndarray:
    import pandas as pd

    values = _complete(frame, "rank", column, where)
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        found = _describe_values(list(pd.unique(values)))
        raise DataError(RANK_NOT_NUMERIC.format(column=column, source=where, found=found))
    array = values.to_numpy()
    if array.dtype.kind in "iu":
        bad = array < 1
    else:
        array = array.astype(np.float64)
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(array) | (array < 1) | (array != np.floor(array))
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            RANK_NOT_POSITION.format(
                column=column,
                source=where,
                count=int(bad.sum()),
                row=row + 1,
                value=repr(_plain(values.iloc[row])),
            )
        )
    return array.astype(np.int64)


def _first_duplicate(key: np.ndarray) -> int | None:
    """The first row (in row order) whose key another row shares, or None."""
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    repeated = np.flatnonzero(ordered[1:] == ordered[:-1])
    if repeated.size == 0:
        return None
    rows = np.sort(np.concatenate([order[repeated], order[repeated + 1]]))
    return int(rows[0])


def _check_positions(log: _Log) -> None:
    """Each (user, rank) at most once, found with one bincount when the key space is small."""
    span = int(log.rank.max()) + 1
    first: int | None
    if log.n_users * span <= _BINCOUNT_SPAN * log.n_rows + 1024:
        key = log.user * span + log.rank
        counts = np.bincount(key, minlength=log.n_users * span)
        if counts.max() <= 1:
            return
        first = int(np.argmax(counts[key] > 1))
    elif log.n_users * span < 2**62:
        key = log.user * span + log.rank
        first = _first_duplicate(key)
    else:  # astronomically large ranks: a combined key would overflow
        order = np.lexsort((log.rank, log.user))
        same = (log.user[order][1:] == log.user[order][:-1]) & (
            log.rank[order][1:] == log.rank[order][:-1]
        )
        hits = np.flatnonzero(same)
        first = int(np.min(np.concatenate([order[hits], order[hits + 1]]))) if hits.size else None
    if first is None:
        return
    user, rank = log.user[first], log.rank[first]
    rows = np.flatnonzero((log.user == user) & (log.rank == rank))[:2]
    raise DataError(
        DUPLICATE_POSITION.format(
            source=log.where,
            user=log.user_labels[user],
            rank=int(rank),
            first=int(rows[0]) + 1,
            second=int(rows[1]) + 1,
        )
    )


def _per_user(row_codes: np.ndarray, labels: tuple[str, ...], column: str, log: _Log) -> np.ndarray:
    """Each user's group code, from their first row; a user whose rows disagree is refused,
    naming their first row and the first row (in row order) that differs from it."""
    first_row = np.full(log.n_users, log.n_rows, dtype=np.int64)
    np.minimum.at(first_row, log.user, np.arange(log.n_rows, dtype=np.int64))
    per_user = row_codes[first_row]
    differs = per_user[log.user] != row_codes
    if differs.any():
        row = int(np.argmax(differs))
        user = int(log.user[row])
        first = int(first_row[user])
        raise DataError(
            ATTRIBUTE_VARIES.format(
                column=column,
                source=log.where,
                user=log.user_labels[user],
                first_value=labels[row_codes[first]],
                first=first + 1,
                second_value=labels[row_codes[row]],
                second=row + 1,
            )
        )
    return per_user


def chosen_categories(
    labels: tuple[str, ...], roles: RankingRoles, column: str, where: str
) -> tuple[str, ...]:
    if roles.categories is None:
        if len(labels) > MAX_CATEGORIES:
            raise DataError(
                TOO_MANY_CATEGORIES.format(
                    column=column, source=where, count=len(labels), limit=MAX_CATEGORIES
                )
            )
        return labels
    for category in roles.categories:
        if category not in labels:
            close = difflib.get_close_matches(category, list(labels), n=1)
            shown = ", ".join(labels[:MAX_CATEGORIES]) + (
                " ..." if len(labels) > MAX_CATEGORIES else ""
            )
            raise DataError(
                UNKNOWN_CATEGORY.format(
                    category=category,
                    column=column,
                    source=where,
                    hint=f" Did you mean {close[0]!r}?" if close else "",
                    available=shown,
                )
            )
    return tuple(dict.fromkeys(roles.categories))


def _category_statistics(
    codes: np.ndarray, labels: tuple[str, ...], chosen: tuple[str, ...], log: _Log
) -> tuple[np.ndarray, np.ndarray]:
    """``top_k_count`` and ``best_rank``, shape ``(n_users, len(chosen))``."""
    n, width = log.n_users, len(chosen)
    lookup = np.full(len(labels), -1, dtype=np.int64)
    for j, category in enumerate(chosen):
        lookup[labels.index(category)] = j
    column = lookup[codes]
    key = log.user * width + column
    rank = log.rank
    shown = log.top
    if width < len(labels):  # only some categories: leave the others' rows out
        kept = column >= 0
        key, rank, shown = key[kept], rank[kept], shown[kept]
    top_k_count = np.bincount(key[shown], minlength=n * width).reshape(n, width)
    best = np.full(n * width, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(best, key, rank)
    best[best == np.iinfo(np.int64).max] = 0
    return top_k_count.astype(np.int64), best.reshape(n, width)


# NDKL is computed on a grid of (list, position in its top k), a block of lists at a time so
# that the grid stays under this many cells.
_NDKL_BLOCK_CELLS = 4_000_000


def _shown_in_order(log: _Log) -> np.ndarray:
    """The rows at rank <= k in (user, rank) order; a log usually comes so, and is then kept."""
    shown = np.flatnonzero(log.top)
    span = int(log.rank.max()) + 1
    if log.n_users * span >= 2**62:  # astronomically large ranks: sort on both columns
        return shown[np.lexsort((log.rank[shown], log.user[shown]))]
    key = log.user[shown] * span + log.rank[shown]
    if key.size > 1 and not np.all(key[1:] > key[:-1]):
        shown = shown[np.argsort(key, kind="stable")]
    return shown


def _ndkl_block(grid: np.ndarray, pool_share: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """NDKL of a block of lists; ``grid[list, i]``: the item group at position i + 1 (-1: none)."""
    valid = grid >= 0
    width = grid.shape[1]
    divergence = np.zeros(grid.shape)
    for group in range(pool_share.shape[1]):
        share = np.cumsum(grid == group, axis=1) / np.arange(1, width + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            term = share * np.log(share / pool_share[:, group : group + 1])
        divergence += np.where(share > 0, term, 0.0)
    weights = valid * weight
    norm = weights.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(norm > 0, (weights * divergence).sum(axis=1) / norm, 0.0)


def ndkl_of_lists(grid: np.ndarray, pool: np.ndarray, n_items: np.ndarray) -> np.ndarray:
    """Geyik et al. (2019) NDKL of every list (rule 5), from the item groups of its top k.

    ``grid[u, i]`` is the item group at position ``i + 1`` of list ``u``'s top k in rank order
    (-1 past its end); ``pool`` and ``n_items`` as in the user table. The same arithmetic as the
    pandas source's, for a source that gathers each list's top k itself (DuckDB, Spark).

    Examples
    --------
    >>> grid = np.array([[0, 1], [0, -1]])
    >>> pool, n_items = np.array([[1, 1], [1, 1]]), np.array([2, 2])
    >>> [round(float(v), 4) for v in ndkl_of_lists(grid, pool, n_items)]
    [0.425, 0.6931]
    """
    n = grid.shape[0]
    ndkl = np.zeros(n)
    if n == 0 or grid.shape[1] == 0:
        return ndkl
    width = grid.shape[1]
    weight = discount(np.arange(1, width + 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        pool_share = pool / n_items[:, None]
    block = max(1, _NDKL_BLOCK_CELLS // width)
    for first in range(0, n, block):
        last = min(n, first + block)
        ndkl[first:last] = _ndkl_block(grid[first:last], pool_share[first:last], weight)
    return ndkl


def _ndkl(log: _Log, item_codes: np.ndarray, pool: np.ndarray, n_items: np.ndarray) -> np.ndarray:
    """Geyik et al. (2019) NDKL of every list over its top k (rule 5)."""
    n = pool.shape[0]
    shown = _shown_in_order(log)
    ndkl = np.zeros(n)
    if shown.size == 0:
        return ndkl
    user = log.user[shown]
    starts = np.flatnonzero(np.concatenate([[True], user[1:] != user[:-1]]))
    lengths = np.diff(np.concatenate([starts, [user.size]]))
    position = np.arange(user.size) - np.repeat(starts, lengths)  # 0 for the top item
    width = int(lengths.max())
    weight = discount(np.arange(1, width + 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        pool_share = pool / n_items[:, None]
    block = max(1, _NDKL_BLOCK_CELLS // width)
    for first in range(0, n, block):
        last = min(n, first + block)
        low, high = np.searchsorted(user, [first, last])
        grid = np.full((last - first, width), -1, dtype=np.int64)
        grid[user[low:high] - first, position[low:high]] = item_codes[shown[low:high]]
        ndkl[first:last] = _ndkl_block(grid, pool_share[first:last], weight)
    return ndkl


@dataclass(frozen=True)
class _Items:
    levels: tuple[str, ...]
    pool: np.ndarray
    top: np.ndarray
    exposure: np.ndarray
    merit: np.ndarray | None
    ndkl: np.ndarray


def _item_statistics(
    codes: np.ndarray,
    levels: tuple[str, ...],
    outcome: np.ndarray | None,
    log: _Log,
    n_items: np.ndarray,
) -> _Items:
    n, groups = log.n_users, len(levels)
    key = log.user * groups + codes
    size = n * groups
    pool = np.bincount(key, minlength=size).reshape(n, groups)
    top = np.bincount(key[log.top], minlength=size).reshape(n, groups)
    exposure = np.bincount(key[log.top], weights=log.discount[log.top], minlength=size).reshape(
        n, groups
    )
    merit = None
    if outcome is not None:
        merit = np.bincount(key[outcome], minlength=size).reshape(n, groups).astype(np.int64)
    return _Items(
        levels=levels,
        pool=pool.astype(np.int64),
        top=top.astype(np.int64),
        exposure=exposure,
        merit=merit,
        ndkl=_ndkl(log, codes, pool, n_items),
    )


def _read_log(frame: pd.DataFrame, roles: RankingRoles, where: str) -> _Log:
    check_role_columns(roles.role_columns(), [str(c) for c in frame.columns], where)
    if len(frame) == 0:
        raise DataError(EMPTY_DATA.format(source=where))
    users = _complete(frame, "user", roles.user, where)
    user_codes, user_labels = _user_codes(users)
    rank = _ranks(frame, roles.rank, where)
    log = _Log(
        where=where,
        user=np.asarray(user_codes, dtype=np.int64),
        user_labels=user_labels,
        rank=rank,
        top=rank <= roles.k,
        discount=discount(rank),
    )
    _check_positions(log)
    return log


def user_table_from_frame(
    frame: pd.DataFrame,
    roles: RankingRoles,
    *,
    source: str | None = None,
    engine: str = "pandas",
) -> UserTable:
    """Reduce a recommendation log to one row per user (rules of ``govern.audits.sources.ranking``).

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"user": ["a", "a", "b"], "rank": [1, 2, 1], "sex": ["F", "F", "M"],
    ...                     "category": ["lead", "tech", "tech"]})
    >>> roles = RankingRoles.of(user="user", rank="rank", k=1, sensitive="sex",
    ...                         item_category="category")
    >>> table = user_table_from_frame(log, roles)
    >>> table.categories, table.top_k_count.tolist(), table.best_rank.tolist()
    (('lead', 'tech'), [[1, 0], [0, 1]], [[1, 2], [0, 1]])
    """
    check_ranking_roles(roles)
    where = source or "the log"
    log = _read_log(frame, roles, where)
    labelled: dict[str, tuple[tuple[str, ...], np.ndarray]] = {"user": (log.user_labels, log.user)}
    numbers: dict[str, tuple[np.ndarray, str]] = {"rank": (log.rank, "<i8")}
    n_items = np.bincount(log.user, minlength=log.n_users).astype(np.int64)
    n_top = np.bincount(log.user[log.top], minlength=log.n_users).astype(np.int64)

    categories: tuple[str, ...] = ()
    top_k_count = np.zeros((log.n_users, 0), dtype=np.int64)
    best_rank = np.zeros((log.n_users, 0), dtype=np.int64)
    if roles.item_category is not None:
        values = _complete(frame, "item_category", roles.item_category, where)
        codes, labels, _ = _group_codes(values, where, _configured_max_groups())
        labelled["item_category"] = (labels, codes)
        categories = chosen_categories(labels, roles, roles.item_category, where)
        top_k_count, best_rank = _category_statistics(codes, labels, categories, log)

    outcome, extra = _outcome_statistics(frame, roles, log, where, numbers)
    unknown: dict[str, int] = {}
    if roles.item_sensitive is not None:
        extra.update(_item_side(frame, roles, log, where, outcome, n_items, labelled, unknown))
    user_codes, levels = _user_attributes(frame, roles, log, where, labelled, unknown)

    fingerprint = DataFingerprint(
        sha256=log_sha256(labelled=labelled, numbers=numbers, n_rows=log.n_rows),
        n_rows=log.n_rows,
        columns=roles.columns,
        source=source,
    )
    return UserTable(
        k=int(roles.k),
        n_rows=log.n_rows,
        n_users=log.n_users,
        codes=user_codes,
        levels=levels,
        unknown_counts={name: unknown[name] for name in [*roles.sensitive, *unknown]},
        n_items=n_items,
        n_top=n_top,
        categories=categories,
        top_k_count=top_k_count,
        best_rank=best_rank,
        fingerprint=fingerprint,
        columns={role: column for role, column in roles.role_columns() if role != "sensitive"},
        engine=engine,
        **extra,
    )


def _unknown_count(codes: np.ndarray, labels: tuple[str, ...]) -> int:
    """How many codes point at the unknown group (0 when there is none)."""
    if UNKNOWN_GROUP not in labels:
        return 0
    return int(np.count_nonzero(codes == labels.index(UNKNOWN_GROUP)))


def _outcome_statistics(
    frame: pd.DataFrame,
    roles: RankingRoles,
    log: _Log,
    where: str,
    numbers: dict[str, tuple[np.ndarray, str]],
) -> tuple[np.ndarray | None, dict[str, Any]]:
    """Each row's outcome (None without one) and the per-user hits, relevant items and DCG."""
    if roles.outcome is None:
        return None, {}
    mask = _binary(frame, "outcome", roles.outcome, roles.positive_label, where)
    numbers["outcome"] = (mask, "<i1")
    outcome = mask.astype(bool)
    shown_positive = log.top & outcome
    return outcome, {
        "hits": np.bincount(log.user[shown_positive], minlength=log.n_users).astype(np.int64),
        "relevant": np.bincount(log.user[outcome], minlength=log.n_users).astype(np.int64),
        "dcg": np.bincount(
            log.user[shown_positive], weights=log.discount[shown_positive], minlength=log.n_users
        ),
    }


def _item_side(
    frame: pd.DataFrame,
    roles: RankingRoles,
    log: _Log,
    where: str,
    outcome: np.ndarray | None,
    n_items: np.ndarray,
    labelled: dict[str, tuple[tuple[str, ...], np.ndarray]],
    unknown: dict[str, int],
) -> dict[str, Any]:
    """The item attribute's per-user pool, top-k counts, exposure, merit and NDKL."""
    assert roles.item_sensitive is not None
    codes, labels, _ = _group_codes(frame[roles.item_sensitive], where, _configured_max_groups())
    labelled["item_sensitive"] = (labels, codes)
    unknown[roles.item_sensitive] = _unknown_count(codes, labels)  # rows (items), not users
    items = _item_statistics(codes.astype(np.int64), labels, outcome, log, n_items)
    return {
        "item_attribute": roles.item_sensitive,
        "item_levels": items.levels,
        "pool": items.pool,
        "top": items.top,
        "exposure": items.exposure,
        "merit": items.merit,
        "ndkl": items.ndkl,
    }


def _user_attributes(
    frame: pd.DataFrame,
    roles: RankingRoles,
    log: _Log,
    where: str,
    labelled: dict[str, tuple[tuple[str, ...], np.ndarray]],
    unknown: dict[str, int],
) -> tuple[dict[str, np.ndarray], dict[str, tuple[str, ...]]]:
    """Each user's group per sensitive attribute (refusing a user whose rows disagree)."""
    user_codes: dict[str, np.ndarray] = {}
    levels: dict[str, tuple[str, ...]] = {}
    for column in roles.sensitive:
        codes, labels, _ = _group_codes(frame[column], where, _configured_max_groups())
        labelled[f"sensitive:{column}"] = (labels, codes)
        user_codes[column] = _per_user(codes, labels, column, log)
        levels[column] = labels
        unknown[column] = _unknown_count(user_codes[column], labels)
    return user_codes, levels
