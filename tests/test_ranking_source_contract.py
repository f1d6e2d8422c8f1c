"""The ranking-source contract for the pandas source and for a plain-Python source.

``ListRankingSource`` reduces a list of dicts to the user table with loops and dictionaries,
following the rules of ``govern.audits.sources.ranking`` and nothing of the pandas code: an
independent implementation of the per-user reduction, and an example for engine authors.
"""

from __future__ import annotations

import difflib
import math
from collections import defaultdict
from typing import Any

import numpy as np
import pytest
from ranking_source_contract import (
    CONFIGURATIONS,
    check_ranking_source,
    contract_log,
    pandas_factory,
    per_user_rows,
)

from govern.audits.sources.ranking import (
    ATTRIBUTE_VARIES,
    DUPLICATE_POSITION,
    MAX_CATEGORIES,
    RANK_NOT_POSITION,
    TOO_MANY_CATEGORIES,
    UNKNOWN_CATEGORY,
    RankingRoles,
    RankingSource,
    UserTable,
    check_ranking_roles,
    log_sha256,
)
from govern.data import EMPTY_DATA, MISSING_VALUES, NON_BINARY, check_role_columns
from govern.errors import DataError
from govern.results import UNKNOWN_GROUP, DataFingerprint


def _labels(values: list[Any]) -> list[str]:
    """Rule 3: each value's text; whole floats as integers; missing values 'unknown'."""
    present = [v for v in values if v is not None]
    floats = bool(present) and all(isinstance(v, float) for v in present)
    whole = floats and all(math.isfinite(v) and v == int(v) for v in present)

    def text(value: Any) -> str:
        if value is None:
            return UNKNOWN_GROUP
        if whole:
            return str(int(value))
        return str(float(value)) if floats else str(value)

    return [text(v) for v in values]


def _sorted_levels(labels: list[str]) -> tuple[str, ...]:
    named = set(labels)
    levels = sorted(named - {UNKNOWN_GROUP})
    return tuple(levels + ([UNKNOWN_GROUP] if UNKNOWN_GROUP in named else []))


def _v(rank: int) -> float:
    return 1.0 / math.log2(1.0 + rank)


class ListRankingSource:
    """A recommendation log held as a list of dicts, reduced in plain Python."""

    engine = "python"

    def __init__(self, records: list[dict[str, Any]], *, columns: list[str], source: str):
        self.records = records
        self.columns = columns
        self.source = source

    def _column(self, name: str) -> list[Any]:
        return [record[name] for record in self.records]

    def _complete(self, role: str, name: str) -> list[Any]:
        values = self._column(name)
        missing = [i for i, v in enumerate(values) if v is None]
        if missing:
            raise DataError(
                MISSING_VALUES.format(
                    role=role,
                    column=name,
                    source=self.source,
                    count=len(missing),
                    row=missing[0] + 1,
                )
            )
        return values

    def _ranks(self, name: str) -> list[int]:
        values = self._complete("rank", name)
        bad = [i for i, v in enumerate(values) if not (v >= 1 and float(v) == int(v))]
        if bad:
            raise DataError(
                RANK_NOT_POSITION.format(
                    column=name,
                    source=self.source,
                    count=len(bad),
                    row=bad[0] + 1,
                    value=repr(values[bad[0]]),
                )
            )
        return [int(v) for v in values]

    def _check_positions(self, users: list[str], ranks: list[int]) -> None:
        rows_of: dict[tuple[str, int], list[int]] = defaultdict(list)
        for row, pair in enumerate(zip(users, ranks, strict=True)):
            rows_of[pair].append(row)
        for pair in zip(users, ranks, strict=True):  # in row order: the first row that repeats
            if len(rows_of[pair]) > 1:
                first, second = rows_of[pair][:2]
                raise DataError(
                    DUPLICATE_POSITION.format(
                        source=self.source,
                        user=pair[0],
                        rank=pair[1],
                        first=first + 1,
                        second=second + 1,
                    )
                )

    def _categories(self, labels: list[str], roles: RankingRoles, name: str) -> tuple[str, ...]:
        levels = _sorted_levels(labels)
        if roles.categories is None:
            if len(levels) > MAX_CATEGORIES:
                raise DataError(
                    TOO_MANY_CATEGORIES.format(
                        column=name, source=self.source, count=len(levels), limit=MAX_CATEGORIES
                    )
                )
            return levels
        for category in roles.categories:
            if category not in levels:
                close = difflib.get_close_matches(category, list(levels), n=1)
                raise DataError(
                    UNKNOWN_CATEGORY.format(
                        category=category,
                        column=name,
                        source=self.source,
                        hint=f" Did you mean {close[0]!r}?" if close else "",
                        available=", ".join(levels[:MAX_CATEGORIES]),
                    )
                )
        return tuple(dict.fromkeys(roles.categories))

    def _outcome(self, name: str) -> list[int]:
        values = self._complete("outcome", name)
        found = sorted(set(values))
        if not set(found) <= {0, 1}:
            shown = ", ".join(repr(v) for v in found[:6])
            raise DataError(
                NON_BINARY.format(
                    role="outcome",
                    column=name,
                    source=self.source,
                    positive=1,
                    found=shown,
                    example=found[-1],
                )
            )
        return [int(v) for v in values]

    def user_table(self, roles: RankingRoles) -> UserTable:
        check_ranking_roles(roles)
        check_role_columns(roles.role_columns(), self.columns, self.source)
        if not self.records:
            raise DataError(EMPTY_DATA.format(source=self.source))
        users = _labels(self._complete("user", roles.user))
        ranks = self._ranks(roles.rank)
        self._check_positions(users, ranks)
        k = roles.k
        user_levels = tuple(dict.fromkeys(users))  # rule 6: users in order of first appearance
        index = {label: i for i, label in enumerate(user_levels)}
        n = len(user_levels)
        rows_of: dict[int, list[int]] = defaultdict(list)
        for row, label in enumerate(users):
            rows_of[index[label]].append(row)
        labelled: dict[str, tuple[tuple[str, ...], np.ndarray]] = {
            "user": (user_levels, np.array([index[u] for u in users]))
        }
        numbers: dict[str, tuple[np.ndarray, str]] = {"rank": (np.array(ranks), "<i8")}

        categories: tuple[str, ...] = ()
        cats: list[str] = []
        if roles.item_category is not None:
            cats = _labels(self._complete("item_category", roles.item_category))
            levels = _sorted_levels(cats)
            labelled["item_category"] = (levels, np.array([levels.index(c) for c in cats]))
            categories = self._categories(cats, roles, roles.item_category)
        outcome = self._outcome(roles.outcome) if roles.outcome is not None else None
        if outcome is not None:
            numbers["outcome"] = (np.array(outcome), "<i1")

        top_k_count = np.zeros((n, len(categories)), dtype=np.int64)
        best_rank = np.zeros((n, len(categories)), dtype=np.int64)
        n_items = np.zeros(n, dtype=np.int64)
        n_top = np.zeros(n, dtype=np.int64)
        hits, relevant, dcg = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), np.zeros(n)
        for u, rows in rows_of.items():
            for row in rows:
                shown = ranks[row] <= k
                n_items[u] += 1
                n_top[u] += shown
                if cats and cats[row] in categories:
                    j = categories.index(cats[row])
                    top_k_count[u, j] += shown
                    if best_rank[u, j] == 0 or ranks[row] < best_rank[u, j]:
                        best_rank[u, j] = ranks[row]
                if outcome is not None and outcome[row]:
                    relevant[u] += 1
                    if shown:
                        hits[u] += 1
                        dcg[u] += _v(ranks[row])

        extra: dict[str, Any] = {}
        if outcome is not None:
            extra.update(hits=hits, relevant=relevant, dcg=dcg)
        unknown: dict[str, int] = {}
        if roles.item_sensitive is not None:
            items = _labels(self._column(roles.item_sensitive))
            item_levels = _sorted_levels(items)
            labelled["item_sensitive"] = (
                item_levels,
                np.array([item_levels.index(i) for i in items]),
            )
            unknown[roles.item_sensitive] = items.count(UNKNOWN_GROUP)
            extra.update(self._items(rows_of, items, item_levels, ranks, outcome, k, n))
            extra["item_attribute"] = roles.item_sensitive

        codes: dict[str, np.ndarray] = {}
        user_group_levels: dict[str, tuple[str, ...]] = {}
        for column in roles.sensitive:
            labels = _labels(self._column(column))
            levels = _sorted_levels(labels)
            labelled[f"sensitive:{column}"] = (levels, np.array([levels.index(g) for g in labels]))
            first_rows = {u: rows[0] for u, rows in rows_of.items()}
            for row, label in enumerate(labels):
                first = first_rows[index[users[row]]]
                if label != labels[first]:
                    raise DataError(
                        ATTRIBUTE_VARIES.format(
                            column=column,
                            source=self.source,
                            user=users[row],
                            first_value=labels[first],
                            first=first + 1,
                            second_value=label,
                            second=row + 1,
                        )
                    )
            codes[column] = np.array(
                [levels.index(labels[first_rows[u]]) for u in range(n)], dtype=np.int64
            )
            user_group_levels[column] = levels
            unknown[column] = sum(1 for u in range(n) if levels[codes[column][u]] == UNKNOWN_GROUP)

        return UserTable(
            k=k,
            n_rows=len(self.records),
            n_users=n,
            codes=codes,
            levels=user_group_levels,
            unknown_counts={name: unknown[name] for name in [*roles.sensitive, *unknown]},
            n_items=n_items,
            n_top=n_top,
            categories=categories,
            top_k_count=top_k_count,
            best_rank=best_rank,
            fingerprint=DataFingerprint(
                sha256=log_sha256(labelled=labelled, numbers=numbers, n_rows=len(self.records)),
                n_rows=len(self.records),
                columns=roles.columns,
                source=self.source,
            ),
            columns={r: c for r, c in roles.role_columns() if r != "sensitive"},
            engine=self.engine,
            **extra,
        )

    @staticmethod
    def _items(
        rows_of: dict[int, list[int]],
        items: list[str],
        levels: tuple[str, ...],
        ranks: list[int],
        outcome: list[int] | None,
        k: int,
        n: int,
    ) -> dict[str, Any]:
        groups = len(levels)
        pool = np.zeros((n, groups), dtype=np.int64)
        top = np.zeros((n, groups), dtype=np.int64)
        exposure = np.zeros((n, groups))
        merit = np.zeros((n, groups), dtype=np.int64)
        ndkl = np.zeros(n)
        for u, rows in rows_of.items():
            for row in rows:
                g = levels.index(items[row])
                pool[u, g] += 1
                if ranks[row] <= k:
                    top[u, g] += 1
                    exposure[u, g] += _v(ranks[row])
                if outcome is not None and outcome[row]:
                    merit[u, g] += 1
            shown = sorted(
                (ranks[row], levels.index(items[row])) for row in rows if ranks[row] <= k
            )
            q = [pool[u, g] / len(rows) for g in range(groups)]
            seen = [0] * groups
            total = norm = 0.0
            for i, (_, g) in enumerate(shown, start=1):
                seen[g] += 1
                divergence = sum(
                    (c / i) * math.log((c / i) / q[h]) for h, c in enumerate(seen) if c
                )
                total += _v(i) * divergence
                norm += _v(i)
            ndkl[u] = total / norm if norm else 0.0
        return {
            "item_levels": levels,
            "pool": pool,
            "top": top,
            "exposure": exposure,
            "merit": merit if outcome is not None else None,
            "ndkl": ndkl,
        }


def list_factory(records: list[dict[str, Any]]) -> RankingSource:
    columns = list(contract_log(1)[0])
    return ListRankingSource(records, columns=columns, source="contract.csv")


def test_pandas_source_meets_the_contract() -> None:
    check_ranking_source(pandas_factory)


def test_plain_python_source_meets_the_contract() -> None:
    check_ranking_source(list_factory)


def test_the_pure_python_source_is_a_ranking_source() -> None:
    assert isinstance(list_factory([]), RankingSource)


@pytest.mark.parametrize("name", list(CONFIGURATIONS))
def test_the_contract_can_fail(name: str) -> None:
    """The comparison notices one changed row: the contract is not vacuous."""
    records = contract_log()
    changed = [dict(r) for r in records]
    top = next(i for i, r in enumerate(records) if r["rank"] == 1.0)
    changed[top]["rank"] = float(max(r["rank"] for r in records) + 1)  # out of every top k
    roles = RankingRoles.of(**CONFIGURATIONS[name])
    before = per_user_rows(pandas_factory(records).user_table(roles))
    after = per_user_rows(list_factory(changed).user_table(roles))
    assert before != after
