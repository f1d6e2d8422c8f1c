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
    """The DCG position discount ``1 / log2(1 + rank)`` (Järvelin & Kekäläinen 2002)."""
    return 1.0 / np.log2(1.0 + np.asarray(rank, dtype=np.float64))


@dataclass(frozen=True)
class _Log:
    """The validated row-level columns of a log, as codes and numbers."""

    where: str
    user: np.ndarray  # int64 code per row, an index into user_labels
    user_labels: tuple[str, ...]
    rank: np.ndarray  # int64
    top: np.ndarray  # bool: rank <= k

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
    if log.n_users * span <= _BINCOUNT_SPAN * log.n_rows + 1024:
        key = log.user * span + log.rank
        counts = np.bincount(key, minlength=log.n_users * span)
        shared = counts[key] > 1
        first = int(np.argmax(shared)) if shared.any() else None
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


def _chosen_categories(
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
    kept = column >= 0
    key = log.user * width + column
    top_k_count = np.bincount(key[kept & log.top], minlength=n * width).reshape(n, width)
    best = np.full(n * width, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(best, key[kept], log.rank[kept])
    best[best == np.iinfo(np.int64).max] = 0
    return top_k_count.astype(np.int64), best.reshape(n, width)


def _ndkl(log: _Log, item_codes: np.ndarray, pool: np.ndarray, n_items: np.ndarray) -> np.ndarray:
    """Geyik et al. (2019) NDKL of every list over its top k (rule 5), one pass per item group."""
    n, groups = pool.shape
    shown = np.flatnonzero(log.top)
    order = shown[np.lexsort((log.rank[shown], log.user[shown]))]
    user = log.user[order]
    item = item_codes[order]
    if user.size == 0:
        return np.zeros(n)
    starts = np.flatnonzero(np.concatenate([[True], user[1:] != user[:-1]]))
    lengths = np.diff(np.concatenate([starts, [user.size]]))
    position = np.arange(user.size) - np.repeat(starts, lengths) + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        pool_share = pool / n_items[:, None]
    divergence = np.zeros(user.size)
    for group in range(groups):
        member = (item == group).astype(np.int64)
        running = np.cumsum(member)
        before = running[starts] - member[starts]
        share = (running - np.repeat(before, lengths)) / position
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(share > 0, share * np.log(share / pool_share[user, group]), 0.0)
        divergence += term
    weight = discount(position)
    total = np.bincount(user, weights=weight * divergence, minlength=n)
    norm = np.bincount(user, weights=weight, minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(norm > 0, total / norm, 0.0)


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
    exposure = np.bincount(
        key[log.top], weights=discount(log.rank[log.top]), minlength=size
    ).reshape(n, groups)
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
    user_codes, user_labels, _ = _group_codes(users, where)
    rank = _ranks(frame, roles.rank, where)
    log = _Log(
        where=where,
        user=user_codes.astype(np.int64),
        user_labels=user_labels,
        rank=rank,
        top=rank <= roles.k,
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
        codes, labels, _ = _group_codes(values, where)
        labelled["item_category"] = (labels, codes)
        categories = _chosen_categories(labels, roles, roles.item_category, where)
        top_k_count, best_rank = _category_statistics(codes, labels, categories, log)

    outcome = None
    extra: dict[str, Any] = {}
    if roles.outcome is not None:
        mask = _binary(frame, "outcome", roles.outcome, roles.positive_label, where)
        numbers["outcome"] = (mask, "<i1")
        outcome = mask.astype(bool)
        shown_positive = log.top & outcome
        extra["hits"] = np.bincount(log.user[shown_positive], minlength=log.n_users)
        extra["relevant"] = np.bincount(log.user[outcome], minlength=log.n_users)
        extra["dcg"] = np.bincount(
            log.user[shown_positive],
            weights=discount(log.rank[shown_positive]),
            minlength=log.n_users,
        )
        extra["hits"] = extra["hits"].astype(np.int64)
        extra["relevant"] = extra["relevant"].astype(np.int64)

    unknown: dict[str, int] = {}
    if roles.item_sensitive is not None:
        codes, labels, _ = _group_codes(frame[roles.item_sensitive], where)
        labelled["item_sensitive"] = (labels, codes)
        unknown[roles.item_sensitive] = (
            int(np.count_nonzero(codes == labels.index(UNKNOWN_GROUP)))
            if UNKNOWN_GROUP in labels
            else 0
        )
        items = _item_statistics(codes.astype(np.int64), labels, outcome, log, n_items)
        extra.update(
            item_attribute=roles.item_sensitive,
            item_levels=items.levels,
            pool=items.pool,
            top=items.top,
            exposure=items.exposure,
            merit=items.merit,
            ndkl=items.ndkl,
        )

    user_codes: dict[str, np.ndarray] = {}
    levels: dict[str, tuple[str, ...]] = {}
    for column in roles.sensitive:
        codes, labels, _ = _group_codes(frame[column], where)
        labelled[f"sensitive:{column}"] = (labels, codes)
        user_codes[column] = _per_user(codes, labels, column, log)
        levels[column] = labels
        unknown[column] = (
            int(np.count_nonzero(user_codes[column] == labels.index(UNKNOWN_GROUP)))
            if UNKNOWN_GROUP in labels
            else 0
        )

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
