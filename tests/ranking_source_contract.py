"""The contract every ranking source must meet (``govern.audits.sources.ranking``), as checks.

A source passes when, for the same log, it gives the pandas source's user table (as a multiset
of per-user rows: rows may come in any order), the same levels, categories, unknown counts and
fingerprint, therefore the same tidy rows from ``ranking_from_table`` to 1e-12 (bootstrap
included: replicates do not depend on the order of users), and refuses the same bad logs with
the same DataError message. A source whose fingerprint is its engine's order-free hash (rule 6:
DuckDB, Spark) says so in ``fingerprint.method``, which names the engine; its fingerprint is
held instead to being the same for the log in another row order and different for a changed
rank. ``tests/test_ranking_source_contract.py`` runs it for the pandas
source and for a test-only source written in plain Python; a DuckDB or Spark source calls
``check_ranking_source`` with a factory that loads the records into its engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from govern.audits.ranking.engine import RankingOptions, ranking_from_table
from govern.audits.sources.pandas import PandasSource
from govern.audits.sources.ranking import RankingRoles, RankingSource, UserTable
from govern.errors import DataError

RankingFactory = Callable[[list[dict[str, Any]]], RankingSource]


def contract_log(n_users: int = 120, *, seed: int = 5) -> list[dict[str, Any]]:
    """A log exercising every rule: lists longer and shorter than k, gaps in ranks, ranks read
    as floats, unknown user and item groups, a value spelt 'unknown', integer codes read as
    floats, rows in no particular order."""
    rng = np.random.default_rng(seed)
    records = []
    for u in range(n_users):
        sex = None if rng.random() < 0.06 else str(rng.choice(["female", "male"]))
        band = None if rng.random() < 0.05 else float(rng.integers(1, 4))
        region = str(rng.choice(["north", "south", "unknown"], p=[0.5, 0.4, 0.1]))
        length = int(rng.integers(1, 9))
        ranks = np.sort(rng.choice(np.arange(1, 12), size=length, replace=False))
        for rank in ranks:
            item = (
                None
                if rng.random() < 0.04
                else str(rng.choice(["f", "m", "x"], p=[0.45, 0.45, 0.1]))
            )
            records.append(
                {
                    "user": f"user-{u:03d}",
                    "rank": float(rank),
                    "category": str(rng.choice(["lead", "tech", "digital"], p=[0.2, 0.5, 0.3])),
                    "item_group": item,
                    "outcome": int(rng.random() < 0.3),
                    "sex": sex,
                    "band": band,
                    "region": region,
                    "unused": "ignored",
                }
            )
    order = rng.permutation(len(records))
    return [records[i] for i in order]


CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "users and one category": {
        "user": "user",
        "rank": "rank",
        "k": 3,
        "sensitive": ["sex"],
        "item_category": "category",
        "categories": ["lead"],
    },
    "every category, two attributes and an outcome": {
        "user": "user",
        "rank": "rank",
        "k": 5,
        "sensitive": ["sex", "band"],
        "item_category": "category",
        "outcome": "outcome",
    },
    "items only": {"user": "user", "rank": "rank", "k": 4, "item_sensitive": "item_group"},
    "everything": {
        "user": "user",
        "rank": "rank",
        "k": 2,
        "sensitive": ["region", "sex"],
        "item_category": "category",
        "item_sensitive": "item_group",
        "outcome": "outcome",
    },
}

# Logs a source must refuse, each with what to change in the contract log.
REFUSALS: dict[
    str, tuple[dict[str, Any], Callable[[list[dict[str, Any]]], list[dict[str, Any]]]]
] = {
    "misspelt column": ({"user": "usr"}, lambda r: r),
    "duplicate position": ({}, lambda r: [*r, dict(r[0])]),
    "rank 0": ({}, lambda r: [{**r[0], "rank": 0.0}, *r[1:]]),
    "fractional rank": ({}, lambda r: [{**r[0], "rank": 2.5}, *r[1:]]),
    "attribute varies within a user": ({}, lambda r: _vary_an_attribute(r)),
    "missing user": ({}, lambda r: [{**r[0], "user": None}, *r[1:]]),
    "unknown category": ({"categories": ["leadership"]}, lambda r: r),
    "non-binary outcome": ({}, lambda r: [{**r[0], "outcome": 7}, *r[1:]]),
    "empty log": ({}, lambda r: []),
}


def _vary_an_attribute(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give the last row of the first user with several rows another sex."""
    counts: dict[str, int] = {}
    for record in records:
        counts[record["user"]] = counts.get(record["user"], 0) + 1
    user = next(r["user"] for r in records if counts[r["user"]] > 1)
    last = max(i for i, r in enumerate(records) if r["user"] == user)
    changed = [dict(r) for r in records]
    changed[last]["sex"] = "other"
    return changed


REFUSAL_ROLES = {
    "user": "user",
    "rank": "rank",
    "k": 3,
    "sensitive": ["sex"],
    "item_category": "category",
    "outcome": "outcome",
}


def _frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    columns = list(contract_log(1)[0])
    return pd.DataFrame(records, columns=columns)


def pandas_factory(records: list[dict[str, Any]]) -> RankingSource:
    return PandasSource(_frame(records), source="contract.csv")


def per_user_rows(table: UserTable) -> list[tuple[Any, ...]]:
    """The table as a sorted list of per-user rows, groups by label, floats rounded to 1e-12."""

    def rounded(array: np.ndarray | None, u: int) -> Any:
        if array is None:
            return None
        value = array[u]
        if np.ndim(value):
            return tuple(round(float(v), 12) for v in value)
        return round(float(value), 12)

    rows = []
    for u in range(table.n_users):
        groups = tuple(table.levels[a][table.codes[a][u]] for a in table.attributes)
        rows.append(
            (
                groups,
                int(table.n_items[u]),
                int(table.n_top[u]),
                tuple(int(v) for v in table.top_k_count[u]),
                tuple(int(v) for v in table.best_rank[u]),
                *(rounded(a, u) for a in (table.hits, table.relevant, table.dcg)),
                *(rounded(a, u) for a in (table.pool, table.top, table.exposure, table.merit)),
                rounded(table.ndkl, u),
            )
        )
    return sorted(rows, key=repr)


def check_order_free_fingerprint(
    factory: RankingFactory, records: list[dict[str, Any]], roles: RankingRoles
) -> None:
    """An engine's own fingerprint: named by its method, blind to row order, not to values."""
    found = factory(records).user_table(roles)
    assert found.fingerprint.method.startswith(found.engine), found.fingerprint.method
    reversed_log = factory(list(reversed(records))).user_table(roles).fingerprint
    assert reversed_log.sha256 == found.fingerprint.sha256
    changed = [dict(r) for r in records]
    changed[0]["rank"] = float(max(r["rank"] for r in records) + 1)
    assert factory(changed).user_table(roles).fingerprint.sha256 != found.fingerprint.sha256


def check_ranking_source(factory: RankingFactory) -> None:
    """Hold a source to the pandas source on every configuration and every refusal."""
    check_user_tables(factory)
    check_refusals(factory)


def check_user_tables(factory: RankingFactory) -> None:
    """The source's user table and tidy rows equal the pandas source's, for every configuration
    (a source over files whose rows come in another order, a glob say, is held to this alone:
    its refusals name other rows)."""
    records = contract_log()
    for name, roles in CONFIGURATIONS.items():
        expected = pandas_factory(records).user_table(RankingRoles.of(**roles))
        found = factory(records).user_table(RankingRoles.of(**roles))
        assert (found.n_rows, found.n_users, found.k) == (
            expected.n_rows,
            expected.n_users,
            expected.k,
        ), name
        assert found.levels == expected.levels, name
        assert found.categories == expected.categories, name
        assert found.item_levels == expected.item_levels, name
        assert found.unknown_counts == expected.unknown_counts, name
        if found.fingerprint.method == expected.fingerprint.method:
            assert found.fingerprint.sha256 == expected.fingerprint.sha256, name
        elif name == next(iter(CONFIGURATIONS)):  # once: each call costs a scan of the log
            check_order_free_fingerprint(factory, records, RankingRoles.of(**roles))
        assert (found.fingerprint.n_rows, found.fingerprint.columns) == (
            expected.fingerprint.n_rows,
            expected.fingerprint.columns,
        ), name
        assert per_user_rows(found) == per_user_rows(expected), name
        options = RankingOptions(n_boot=150, seed=2, min_group_size=5)
        ours = ranking_from_table(found, options).to_frame()
        theirs = ranking_from_table(expected, options).to_frame()
        pd.testing.assert_frame_equal(ours, theirs, check_exact=False, rtol=0, atol=1e-12)


def check_refusals(factory: RankingFactory) -> None:
    """The source refuses every bad log of REFUSALS with the pandas source's message."""
    records = contract_log()
    for name, (changes, edit) in REFUSALS.items():
        roles = RankingRoles.of(**{**REFUSAL_ROLES, **changes})
        with pytest.raises(DataError) as expected_error:
            pandas_factory(edit(records)).user_table(roles)
        with pytest.raises(DataError) as found_error:
            factory(edit(records)).user_table(roles)
        assert str(found_error.value) == str(expected_error.value), name
