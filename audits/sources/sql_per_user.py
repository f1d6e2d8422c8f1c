"""Query 3 of the SQL reduction of a recommendation log: one ``GROUP BY user``, and its result.

The rows of the log are coded once (user, rank as an integer, each column's label index from
:mod:`govern.audits.sources.sql_ranking`'s ``CASE``), then grouped by user into rule 5's
statistics of :mod:`govern.audits.sources.ranking`. Two things a list needs in rank order are
gathered without sorting its rows:

- **repeated ranks**: the ranks present in a list, one bit each in 64-bit words (``BIT_OR``);
  a list whose rows outnumber the bits set repeats a rank (``COUNT(DISTINCT rank)`` when ranks
  are too large for a few words);
- **the item group at each top-k position**, for NDKL: ``group + 1`` shifted to the rank's
  place in a word, combined with ``BIT_OR`` (each (user, rank) holds one item once repeats are
  refused); Python unpacks the words into a (list x position) grid and computes NDKL with the
  pandas source's arithmetic (:func:`govern.audits.ranking.reduction.ndkl_of_lists`). A top k
  too long to pack is collected as an ordered list per user instead.

The DCG discount ``1 / log2(1 + rank)`` is numpy's own, looked up from a literal array, so
exposure and DCG add the same numbers as the pandas source (in another order: equal to about
1e-16).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from govern.audits.sources.sql import UNNAMED, double_literal
from govern.audits.sources.sql_ranking import count_where, log_fingerprint_sha256, sum_where
from govern.data import _code_dtype
from govern.results import UNKNOWN_GROUP, DataFingerprint

if TYPE_CHECKING:
    import pyarrow as pa

    from govern.audits.sources.ranking import RankingRoles, UserTable
    from govern.audits.sources.sql_ranking import Plan, Profile, RankingEngine

# Bits used of each 64-bit word: no shift reaches the sign bit (DuckDB refuses an overflow).
WORD_BITS = 62
# Up to this many words of ranks (ranks up to 992) repeats are counted from bits; beyond, with a
# COUNT(DISTINCT rank), which costs about as much as the rest of the query.
MAX_RANK_WORDS = 16
# Up to this many words of top-k positions the item groups are packed; beyond (a long top k of
# many item groups), each list's top k is collected as an ordered list.
MAX_POSITION_WORDS = 32
# The discount of ranks up to this is numpy's, looked up (the engines' log2 differs from numpy's
# in the last bit for some ranks, the first at 1,620 in DuckDB); beyond, the engine computes it.
MAX_DISCOUNT_LOOKUP = 4096


class PerUserQuery:
    """The per-user ``GROUP BY`` of a log for ``roles`` and ``plan``, and the table it gives."""

    def __init__(
        self, engine: RankingEngine, roles: RankingRoles, plan: Plan, profile: Profile
    ) -> None:
        self.engine = engine
        self.roles = roles
        self.plan = plan
        self.profile = profile
        # Positions of the top k that a list can fill: no rank is larger than the largest.
        self.shown = min(roles.k, profile.longest)

    # -- the SQL -------------------------------------------------------------------------------

    def _discount(self) -> str:
        """SQL: numpy's discount 1 / log2(1 + r) of a rank r in the top k."""
        from govern.audits.ranking.reduction import discount

        if self.shown > MAX_DISCOUNT_LOOKUP:
            return "CAST(1 AS DOUBLE) / log2(CAST(1 AS DOUBLE) + r)"
        values = discount(np.arange(1, self.shown + 1, dtype=np.int64))
        return self.engine.element_at([double_literal(float(v)) for v in values], "r")

    def _repeats(self) -> str:
        """SQL: how many of a list's rows repeat a rank of the list (0 for a valid list)."""
        words = math.ceil(self.profile.longest / WORD_BITS)
        if words > MAX_RANK_WORDS:
            return "COUNT(*) - COUNT(DISTINCT r)"
        counts = []
        for w in range(words):
            low, high = w * WORD_BITS, (w + 1) * WORD_BITS
            bit = self.engine.shift_left("1", f"r - {low + 1}")
            word = f"BIT_OR(CASE WHEN r > {low} AND r <= {high} THEN {bit} ELSE 0 END)"
            counts.append(f"CAST(bit_count({word}) AS BIGINT)")
        return f"COUNT(*) - ({' + '.join(counts) or '0'})"

    def _packing(self) -> tuple[int, int]:
        """Bits per top-k position and positions per word (0: collected as ordered lists)."""
        assert self.plan.items is not None
        bits = len(self.plan.items.labels).bit_length()  # group + 1: 0 is "no item at this rank"
        per = WORD_BITS // bits
        return bits, per if math.ceil(self.shown / per) <= MAX_POSITION_WORDS else 0

    def _positions(self) -> dict[str, str]:
        """Aggregates holding the item group at each top-k position of a list."""
        bits, per = self._packing()
        if per == 0:
            return {"shown": self.engine.ordered_list("g", "r", f"r <= {self.shown}")}
        aggregates = {}
        for w in range(math.ceil(self.shown / per)):
            low, high = w * per, min(self.shown, (w + 1) * per)
            packed = self.engine.shift_left("g + 1", f"{bits} * (r - {low + 1})")
            aggregates[f"shown_{w}"] = (
                f"BIT_OR(CASE WHEN r > {low} AND r <= {high} THEN {packed} ELSE 0 END)"
            )
        return aggregates

    def sql(self, *, complete: bool) -> str:
        """The query; not ``complete``, only the checks (repeats, varying attributes)."""
        roles, plan, quote = self.roles, self.plan, self.engine.quote
        top = f"r <= {roles.k}"
        coded = {"u": quote(roles.user), "r": f"CAST({quote(roles.rank)} AS BIGINT)"}
        out = {"repeats": self._repeats()}
        for i, groups in enumerate(plan.sensitive):
            coded[f"s{i}"] = groups.code
            out |= {f"low_{i}": f"MIN(s{i})", f"high_{i}": f"MAX(s{i})"}
        if complete:
            out |= {"n_items": "COUNT(*)", "n_top": count_where(top)}
            if plan.category is not None:
                coded["c"] = plan.category
                for j in range(len(plan.categories)):
                    best = f"COALESCE(MIN(CASE WHEN c = {j} THEN r END), 0)"
                    out |= {f"top_k_{j}": count_where(f"c = {j} AND {top}"), f"best_{j}": best}
            discount = self._discount()
            if plan.outcome is not None:
                coded["y"] = plan.outcome
                out |= {
                    "hits": count_where(f"y = 1 AND {top}"),
                    "relevant": count_where("y = 1"),
                    "dcg": sum_where(f"y = 1 AND {top}", discount),
                }
            if plan.items is not None:
                coded["g"] = plan.items.code
                for g in range(len(plan.items.labels)):
                    out |= {
                        f"pool_{g}": count_where(f"g = {g}"),
                        f"top_{g}": count_where(f"g = {g} AND {top}"),
                        f"exposure_{g}": sum_where(f"g = {g} AND {top}", discount),
                    }
                    if plan.outcome is not None:
                        out[f"merit_{g}"] = count_where(f"g = {g} AND y = 1")
                out |= self._positions()
        rows = ", ".join(f"{expression} AS {name}" for name, expression in coded.items())
        selected = ", ".join(f"{expression} AS {name}" for name, expression in out.items())
        return (
            f"SELECT {selected} FROM (SELECT {rows} FROM {self.engine.relation}) AS coded "
            "GROUP BY u"
        )

    # -- the result ----------------------------------------------------------------------------

    def table(self, users: pa.Table) -> UserTable:
        """The :class:`UserTable` of the query's complete result (one row per user)."""
        from govern.audits.sources.ranking import UserTable

        roles, plan, profile = self.roles, self.plan, self.profile
        arrays = _Arrays(users)
        n_items = arrays.column("n_items", np.int64)
        extra: dict[str, Any] = {}
        if plan.outcome is not None:
            extra |= {
                "hits": arrays.column("hits", np.int64),
                "relevant": arrays.column("relevant", np.int64),
                "dcg": arrays.column("dcg", np.float64),
            }
        unknown: dict[str, int] = {}
        if plan.items is not None:
            extra |= self._items(arrays, n_items)
            unknown[plan.items.column.name] = _unknown(extra["pool"].sum(axis=0), plan.items.labels)
        codes: dict[str, np.ndarray] = {}
        levels: dict[str, tuple[str, ...]] = {}
        for i, groups in enumerate(plan.sensitive):
            name, labels = groups.column.name, groups.labels
            codes[name] = arrays.column(f"low_{i}", _code_dtype(len(labels)))
            levels[name] = labels
            unknown[name] = _unknown(np.bincount(codes[name], minlength=len(labels)), labels)
        method, where = self.engine.fingerprint_method, self.engine.where
        return UserTable(
            k=int(roles.k),
            n_rows=profile.n_rows,
            n_users=users.num_rows,
            codes=codes,
            levels=levels,
            unknown_counts={name: unknown[name] for name in [*roles.sensitive, *unknown]},
            n_items=n_items,
            n_top=arrays.column("n_top", np.int64),
            categories=plan.categories,
            top_k_count=arrays.stacked("top_k", len(plan.categories), np.int64),
            best_rank=arrays.stacked("best", len(plan.categories), np.int64),
            fingerprint=DataFingerprint(
                sha256=log_fingerprint_sha256(method, roles, profile.n_rows, profile.row_hash),
                n_rows=profile.n_rows,
                columns=roles.columns,
                source=None if where == UNNAMED else where,
                method=method,
            ),
            columns={r: c for r, c in roles.role_columns() if r != "sensitive"},
            engine=self.engine.engine,
            **extra,
        )

    def _items(self, arrays: _Arrays, n_items: np.ndarray) -> dict[str, Any]:
        from govern.audits.ranking.reduction import ndkl_of_lists

        assert self.plan.items is not None
        groups = len(self.plan.items.labels)
        pool = arrays.stacked("pool", groups, np.int64)
        assert np.array_equal(pool.sum(axis=1), n_items), "an item's group was not coded"
        with_merit = self.plan.outcome is not None
        return {
            "item_attribute": self.roles.item_sensitive,
            "item_levels": self.plan.items.labels,
            "pool": pool,
            "top": arrays.stacked("top", groups, np.int64),
            "exposure": arrays.stacked("exposure", groups, np.float64),
            "merit": arrays.stacked("merit", groups, np.int64) if with_merit else None,
            "ndkl": ndkl_of_lists(self._top_groups(arrays), pool, n_items),
        }

    def _top_groups(self, arrays: _Arrays) -> np.ndarray:
        """Each list's item groups in rank order over its top k (-1 past its end)."""
        bits, per = self._packing()
        if per == 0:
            return arrays.lists("shown")
        grid = np.empty((arrays.n, self.shown), dtype=np.int64)
        mask = (1 << bits) - 1
        for position in range(self.shown):
            word, slot = divmod(position, per)
            packed = arrays.column(f"shown_{word}", np.int64)
            grid[:, position] = ((packed >> (bits * slot)) & mask) - 1
        # A list with gaps in its ranks (1, 2, 5) has empty positions: close them up, keeping
        # the rank order, so that position i holds the list's i-th item.
        if np.any((grid[:, 1:] >= 0) & (grid[:, :-1] < 0)):
            order = np.argsort(grid < 0, axis=1, kind="stable")
            grid = np.take_along_axis(grid, order, axis=1)
        return grid


def _unknown(counts: np.ndarray, labels: tuple[str, ...]) -> int:
    """The count of the unknown group (0 when no value is unknown)."""
    return int(counts[labels.index(UNKNOWN_GROUP)]) if UNKNOWN_GROUP in labels else 0


class _Arrays:
    """The per-user result as numpy arrays, by the names query 3 gave its columns."""

    def __init__(self, users: pa.Table) -> None:
        self.users = users
        self.n = users.num_rows

    def column(self, name: str, dtype: Any) -> np.ndarray:
        # One copy out of Arrow's chunks, none more when the type is already the one wanted.
        return np.asarray(self.users.column(name).to_numpy()).astype(dtype, copy=False)

    def stacked(self, prefix: str, width: int, dtype: Any) -> np.ndarray:
        """Columns ``prefix_0 .. prefix_{width-1}`` side by side, shape (users, width)."""
        stacked = np.empty((self.n, width), dtype=dtype)
        for j in range(width):
            stacked[:, j] = self.column(f"{prefix}_{j}", dtype)
        return stacked

    def lists(self, name: str) -> np.ndarray:
        """A column of lists as a grid (users x longest list), -1 past each list's end."""
        lists = self.users.column(name).combine_chunks()
        offsets = np.asarray(lists.offsets.to_numpy(), dtype=np.int64)
        values = np.asarray(lists.flatten().to_numpy(), dtype=np.int64)
        lengths = np.diff(offsets)
        grid = np.full((self.n, int(lengths.max(initial=0))), -1, dtype=np.int64)
        at = np.arange(values.size) - np.repeat(offsets[:-1], lengths)
        grid[np.repeat(np.arange(self.n), lengths), at] = values
        return grid
