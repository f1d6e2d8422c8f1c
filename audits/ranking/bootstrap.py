"""The user-level bootstrap: resample users (lists), never rows, on sufficient statistics.

A recommendation log's rows are not independent: one user's k recommendations come from one
profile, so they rise and fall together. Percentile intervals that redraw rows treat k
correlated rows as k independent records and come out too narrow (``tests/test_ranking_
coverage.py`` measures it). Here every replicate redraws **users** with replacement.

Done on the rows of the user table it would cost ``n_boot x n_users`` draws. It need not: every
metric is a ratio of sums, over the users of a group, of a few per-user statistics (a "family":
for example "has a leadership item in the top k" with the user's group). Users with the same
group cell and the same statistics are interchangeable, so a family's users are compressed into
their distinct **profiles** with counts, and a replicate is one multinomial draw of the number of
users over the profiles: exactly the user bootstrap, in ``n_boot x n_profiles`` work. Ranking
statistics take few values (a count of slots, a rank, a pattern of hits in the top k), so a
family of a million users has hundreds or thousands of profiles. Only a family with more than
``MAX_PROFILES`` of them (a statistic taking very many values) is coarsened, each many-valued
column to ``MAX_LEVELS`` levels of about equal numbers of users: the point estimate stays exact
and the replicates lose only the spread within a level; the evidence says when this happened.

Replicates of different families are drawn independently; every interval is of one metric of one
family (its groups drawn jointly, so a ratio against a reference group is one statistic per
replicate), so this changes no interval. Source of the method: Efron & Tibshirani (1993), *An
Introduction to the Bootstrap*, ch. 6 and 13 (the nonparametric bootstrap of iid units;
percentile intervals); resampling clusters rather than their members for correlated data:
Davison & Hinkley (1997), *Bootstrap Methods and their Application*, section 3.8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Profiles x replicates drawn at once: bounds the memory of one block of multinomial draws
# (8 bytes each) to about 160 MB whatever the number of profiles.
BLOCK_DRAWS = 20_000_000
# A replicate costs about 0.2 microseconds per profile (numpy's multinomial on this machine), so
# a family is kept under this many profiles: 1,000 replicates of it take under a second.
MAX_PROFILES = 4096
# When a family has more profiles than that (a continuous statistic over millions of users), its
# columns with more distinct values than this are coarsened (see ``coarsen``), halving the
# number of levels until the family fits.
MAX_LEVELS = 1024


@dataclass(frozen=True)
class Profiles:
    """Distinct (cell, statistics) rows of a family, sorted by cell, with how many users each.

    ``levels`` is None when the profiles are exact, else the number of levels the family's
    many-valued columns were coarsened to (see :func:`coarsen`).
    """

    cell: np.ndarray  # (P,) int64, non-decreasing
    values: np.ndarray  # (P, S) float64
    counts: np.ndarray  # (P,) int64
    levels: int | None = None

    @property
    def n_units(self) -> int:
        return int(self.counts.sum())


@dataclass(frozen=True)
class _Coded:
    """One column of a family as codes: its sorted distinct values and each unit's index."""

    distinct: np.ndarray
    inverse: np.ndarray
    counts: np.ndarray


def _code(column: np.ndarray) -> _Coded:
    """The column's distinct values and codes; whole numbers code as themselves (no sort)."""
    n = column.size
    if (
        n
        and column.min() >= 0
        and column.max() < 2 * n + 1024
        and np.array_equal(column, np.floor(column))
    ):
        inverse = column.astype(np.int64)
        counts = np.bincount(inverse)
        present = np.flatnonzero(counts)
        if present.size < counts.size:
            lookup = np.zeros(counts.size, dtype=np.int64)
            lookup[present] = np.arange(present.size)
            inverse = lookup[inverse]
        return _Coded(present.astype(np.float64), inverse, counts[present])
    distinct, inverse, counts = np.unique(column, return_inverse=True, return_counts=True)
    return _Coded(distinct, inverse.reshape(-1).astype(np.int64), counts)


def _coarsened(coded: _Coded, levels: int) -> _Coded:
    """:func:`coarsen` on a coded column."""
    if coded.distinct.size <= levels:
        return coded
    before = (np.cumsum(coded.counts) - coded.counts) / coded.counts.sum()
    group = np.minimum((before * levels).astype(np.int64), levels - 1)
    mass = np.bincount(group, weights=coded.counts)
    total = np.bincount(group, weights=coded.distinct * coded.counts)
    present = mass > 0
    means = total[present] / mass[present]
    position = np.cumsum(present) - 1  # level -> index among the levels that hold users
    return _Coded(means, position[group][coded.inverse], mass[present].astype(np.int64))


def coarsen(column: np.ndarray, levels: int) -> np.ndarray:
    """Each value replaced by the mean of its group of about ``N / levels`` users, in order.

    The sorted values are cut into ``levels`` consecutive groups of about equal numbers of users
    and each value becomes its group's mean, so every sum over all users is kept exactly and a
    group's sum moves only by the spread within a level (a share of its variance of the order of
    ``1 / levels**2``). Columns with at most ``levels`` distinct values are returned unchanged.

    Examples
    --------
    >>> coarsen(np.array([0.0, 1.0, 2.0, 3.0]), 2).tolist()
    [0.5, 0.5, 2.5, 2.5]
    """
    coded = _coarsened(_code(np.asarray(column, dtype=np.float64)), levels)
    return np.asarray(coded.distinct[coded.inverse])


def _distinct_rows(cell: np.ndarray, columns: list[_Coded]) -> Profiles:
    sizes = [int(cell.max()) + 1 if cell.size else 1, *(c.distinct.size for c in columns)]
    capacity = 1
    for size in sizes:
        capacity *= size
    if capacity >= 2**62:  # the mixed-radix key would overflow: sort the rows themselves
        values = np.column_stack([c.distinct[c.inverse] for c in columns])
        return _profiles_by_rows(cell, values)
    key = cell.copy()
    for coded in columns:
        key *= coded.distinct.size
        key += coded.inverse
    if capacity <= 4 * cell.size + 2**20:  # a bincount over the key space, no sort
        counts = np.bincount(key, minlength=capacity)
        present = np.flatnonzero(counts)
        counts = counts[present]
    else:
        present, counts = np.unique(key, return_counts=True)
    # The cell is the most significant digit of the key, so profiles come out sorted by cell.
    digits = np.unravel_index(present, sizes)
    values = np.column_stack(
        [c.distinct[d] for c, d in zip(columns, digits[1:], strict=True)]
    ).reshape(present.size, len(columns))
    return Profiles(
        cell=np.asarray(digits[0], dtype=np.int64), values=values, counts=counts.astype(np.int64)
    )


def profiles(cell: np.ndarray, values: np.ndarray, *, max_profiles: int = MAX_PROFILES) -> Profiles:
    """Compress units (one per row of ``values``) into their distinct profiles.

    Exact when the family has at most ``max_profiles`` profiles; otherwise its many-valued
    columns are coarsened (:func:`coarsen`) to ``MAX_LEVELS`` levels, then half as many, until
    it fits (or 8 levels are reached).

    Parameters
    ----------
    cell : numpy.ndarray
        Shape ``(N,)``: each unit's group cell (0 .. n_cells - 1).
    values : numpy.ndarray
        Shape ``(N, S)``: each unit's statistics.
    max_profiles : int
        The most profiles a family may keep.

    Examples
    --------
    >>> found = profiles(np.array([0, 1, 0, 0]), np.array([[1.0], [1.0], [1.0], [0.0]]))
    >>> found.cell.tolist(), found.values.ravel().tolist(), found.counts.tolist()
    ([0, 0, 1], [0.0, 1.0, 1.0], [1, 2, 1])
    """
    cell = np.asarray(cell, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64).reshape(cell.shape[0], -1)
    columns = [_code(column) for column in values.T]
    found = _distinct_rows(cell, columns)
    levels = MAX_LEVELS
    while found.counts.size > max_profiles and levels >= 8:
        coarse = [_coarsened(coded, levels) for coded in columns]
        found = _distinct_rows(cell, coarse)
        found = Profiles(found.cell, found.values, found.counts, levels=levels)
        levels //= 2
    return found


def _profiles_by_rows(cell: np.ndarray, values: np.ndarray) -> Profiles:
    rows = np.column_stack([cell.astype(np.float64), values])
    distinct, counts = np.unique(rows, axis=0, return_counts=True)
    return Profiles(
        cell=distinct[:, 0].astype(np.int64),
        values=distinct[:, 1:],
        counts=counts.astype(np.int64),
    )


def _cell_bounds(found: Profiles, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    cells = np.arange(n_cells)
    return (
        np.searchsorted(found.cell, cells, side="left"),
        np.searchsorted(found.cell, cells, side="right"),
    )


def cell_sums(cell: np.ndarray, values: np.ndarray, n_cells: int) -> np.ndarray:
    """Per cell, the number of users (column 0) and the exact sums of the statistics.

    Returns shape ``(1, n_cells, S + 1)``: the observed data as a single "replicate".

    Examples
    --------
    >>> cell_sums(np.array([0, 1, 1]), np.array([[2.0], [3.0], [4.0]]), 2).tolist()
    [[[1.0, 2.0], [2.0, 7.0]]]
    """
    cell = np.asarray(cell, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64).reshape(cell.shape[0], -1)
    columns: list[np.ndarray] = [np.bincount(cell, minlength=n_cells).astype(np.float64)]
    columns += [np.bincount(cell, weights=column, minlength=n_cells) for column in values.T]
    return np.stack(columns, axis=-1)[None, ...]


def replicate_sums(
    found: Profiles, n_cells: int, *, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Bootstrap replicates of :func:`cell_sums`: shape ``(n_boot, n_cells, S + 1)``.

    Each replicate draws as many users as there are, with replacement; the number drawn of each
    profile is a multinomial draw with the profiles' shares, so group sizes vary between
    replicates as they do when users are redrawn one by one.

    Examples
    --------
    >>> found = profiles(np.array([0, 0, 1, 1]), np.array([[1.0], [0.0], [1.0], [1.0]]))
    >>> reps = replicate_sums(found, 2, n_boot=3, rng=np.random.default_rng(0))
    >>> reps.shape, reps[:, :, 0].sum(axis=1).tolist()
    ((3, 2, 2), [4.0, 4.0, 4.0])
    """
    design = np.column_stack([np.ones(found.counts.size), found.values])
    out = np.zeros((n_boot, n_cells, design.shape[1]))
    total = found.n_units
    if n_boot == 0 or total == 0:
        return out
    start, stop = _cell_bounds(found, n_cells)
    shares = found.counts / total
    block = max(1, BLOCK_DRAWS // max(found.counts.size, 1))
    for first in range(0, n_boot, block):
        size = min(block, n_boot - first)
        # numpy draws a multinomial as a chain of conditional binomials: O(profiles) each.
        drawn = rng.multinomial(total, shares, size=size).astype(np.float64)
        for c in range(n_cells):
            if stop[c] > start[c]:
                out[first : first + size, c] = (
                    drawn[:, start[c] : stop[c]] @ design[start[c] : stop[c]]
                )
    return out


@dataclass(frozen=True)
class FamilySums:
    """A family's sums per cell, observed (``point``, shape ``(1, C, S+1)``) and replicated.

    ``levels`` is None when the replicates are exact, else the levels of :func:`coarsen`.
    """

    point: np.ndarray
    replicates: np.ndarray
    levels: int | None = None


class UnitBootstrap:
    """Draws the replicates of every family of one audit, reproducibly from one seed.

    Family number ``i`` is drawn from ``numpy.random.default_rng([seed, i])``, so a family's
    replicates depend on the seed and its place in the audit, not on how many draws the other
    families needed. ``coarsened`` collects the levels of every family that was coarsened.
    """

    def __init__(self, *, n_boot: int, seed: int, max_profiles: int = MAX_PROFILES) -> None:
        self.n_boot = n_boot
        self.seed = seed
        self.max_profiles = max_profiles
        self.coarsened: list[int] = []
        self._families = 0

    def sums(self, cell: np.ndarray, values: np.ndarray, n_cells: int) -> FamilySums:
        """Observed and bootstrap sums per cell of one family of per-unit statistics."""
        rng = np.random.default_rng([self.seed, self._families])
        self._families += 1
        point = cell_sums(cell, values, n_cells)
        if self.n_boot == 0:
            return FamilySums(point=point, replicates=np.zeros((0, *point.shape[1:])))
        found = profiles(cell, values, max_profiles=self.max_profiles)
        if found.levels is not None:
            self.coarsened.append(found.levels)
        return FamilySums(
            point=point,
            replicates=replicate_sums(found, n_cells, n_boot=self.n_boot, rng=rng),
            levels=found.levels,
        )
