"""User-side fairness: whom a recommender serves, per group of users and intersection.

From the user table (one row per user) only. Per category audited: the share of users with at
least one item of the category in their top k (``top_k_category_rate``), the share of the
group's top-k slots that hold it (``category_slot_share``) and the mean rank of its best item
among users whose list holds one (``mean_best_rank``). With an outcome: ``hit_rate``,
``precision_at_k``, ``recall_at_k`` and ``ndcg_at_k`` (Järvelin & Kekäläinen 2002, binary
relevance; recall and NDCG over the users with at least one positive in their list). Each group
is compared with the best-served group; intervals resample users (:mod:`.bootstrap`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from govern.audits.ranking.bootstrap import FamilySums, UnitBootstrap
from govern.audits.ranking.measure import (
    Collected,
    Direction,
    Measured,
    Rows,
    compare,
    divide,
    summary_row,
)
from govern.audits.ranking.reduction import discount
from govern.audits.sources.ranking import UserTable
from govern.errors import DataError
from govern.evidence.fairness import GroupSummary
from govern.evidence.ranking import ReferenceGroup
from govern.results import INTERSECTION_SEPARATOR, UNKNOWN_GROUP

UNKNOWN_INTERSECTION_ATTRIBUTE = (
    "intersection {intersection} names {attribute!r}, which is not one of the sensitive "
    "attributes ({available}). Add it to the sensitive attributes or fix the name."
)
SHORT_INTERSECTION = (
    "intersection {intersection} needs at least two different sensitive attributes; found {found}."
)
UNKNOWN_REFERENCE = (
    "reference group {reference!r} is not a group of any attribute of the users ({attributes}). "
    "Name one of their groups, or leave the reference out to compare with the best-served group."
)


@dataclass(frozen=True)
class UserOptions:
    """How the user side measures: the policy's settings, or audit_recommendations's arguments."""

    min_group_size: float
    reference: str | None
    intersections: bool | Sequence[Sequence[str]]


@dataclass(frozen=True)
class GroupView:
    """One attribute or intersection: its group labels and the group of every full cell."""

    name: str
    labels: list[str]
    unknown: np.ndarray  # bool per label
    of_cell: np.ndarray  # (n_cells,) group index of each full cell

    def aggregate(self, sums: np.ndarray) -> np.ndarray:
        """Family sums per full cell ``(R, cells, S)`` summed into this view's groups."""
        out = np.zeros((sums.shape[0], len(self.labels), sums.shape[2]))
        for group in range(len(self.labels)):
            out[:, group] = sums[:, self.of_cell == group].sum(axis=1)
        return out


def user_cells(table: UserTable) -> tuple[np.ndarray, tuple[int, ...]]:
    """Each user's full cell (all attributes combined, row-major) and the shape of the cells."""
    shape = tuple(len(table.levels[name]) for name in table.attributes)
    cell = np.zeros(table.n_users, dtype=np.int64)
    for name, size in zip(table.attributes, shape, strict=True):
        cell *= size
        cell += table.codes[name]
    return cell, shape


def _intersections(
    attributes: list[str], intersections: bool | Sequence[Sequence[str]]
) -> list[list[str]]:
    if intersections is True:
        return [attributes] if len(attributes) > 1 else []
    combos: list[list[str]] = []
    for combo in intersections or []:
        names = [combo] if isinstance(combo, str) else list(combo)
        shown = repr(INTERSECTION_SEPARATOR.join(str(name) for name in names))
        for name in names:
            if name not in attributes:
                raise DataError(
                    UNKNOWN_INTERSECTION_ATTRIBUTE.format(
                        intersection=shown, attribute=name, available=", ".join(attributes)
                    )
                )
        if len(set(names)) < 2:
            raise DataError(SHORT_INTERSECTION.format(intersection=shown, found=names))
        combos.append(names)
    return combos


def group_views(
    table: UserTable, intersections: bool | Sequence[Sequence[str]]
) -> tuple[list[GroupView], list[list[str]]]:
    """The attributes, then the intersections asked for, as views over the full cells."""
    attributes = table.attributes
    _, shape = user_cells(table)
    index = np.unravel_index(np.arange(int(np.prod(shape, dtype=np.int64))), shape)
    views = []
    for axis, name in enumerate(attributes):
        labels = list(table.levels[name])
        views.append(
            GroupView(
                name,
                labels,
                np.array([g == UNKNOWN_GROUP for g in labels], dtype=bool),
                np.asarray(index[axis], dtype=np.int64),
            )
        )
    combos = _intersections(attributes, intersections)
    for combo in combos:
        axes = [attributes.index(name) for name in combo]
        parts = list(itertools.product(*(table.levels[attributes[a]] for a in axes)))
        code = np.zeros(index[0].shape, dtype=np.int64)
        for a in axes:
            code = code * shape[a] + index[a]
        views.append(
            GroupView(
                INTERSECTION_SEPARATOR.join(combo),
                [INTERSECTION_SEPARATOR.join(p) for p in parts],
                np.array([UNKNOWN_GROUP in p for p in parts], dtype=bool),
                code,
            )
        )
    return views, combos


def _idcg(relevant: np.ndarray, k: int) -> np.ndarray:
    """Ideal DCG@k of binary relevance: the positives at ranks 1, 2, ... (at most k of them)."""
    cumulative = np.concatenate([[0.0], np.cumsum(discount(np.arange(1, k + 1)))])
    return cumulative[np.minimum(relevant, k)]


@dataclass(frozen=True)
class _Family:
    """Which metrics one family of per-user statistics yields, and how."""

    category: str | None
    values: np.ndarray  # (n_users, S)
    # metric -> (numerator column, denominator column, n column, direction); column 0 = users
    metrics: dict[str, tuple[int, int, int, Direction]]


def _families(table: UserTable) -> list[_Family]:
    families = []
    for j, category in enumerate(table.categories):
        slots = table.top_k_count[:, j]
        best = table.best_rank[:, j]
        # One family per metric: each has few profiles (see bootstrap.py), and every interval
        # is of one metric, so nothing is lost by drawing them apart.
        families += [
            _Family(category, (slots > 0)[:, None], {"top_k_category_rate": (1, 0, 0, "higher")}),
            _Family(
                category,
                np.column_stack([slots, table.n_top]),
                {"category_slot_share": (1, 2, 0, "higher")},
            ),
            _Family(
                category,
                np.column_stack([best > 0, best]),
                {"mean_best_rank": (2, 1, 1, "lower")},
            ),
        ]
    if table.hits is not None and table.relevant is not None and table.dcg is not None:
        hits, relevant = table.hits, table.relevant
        has_relevant = relevant > 0
        # Kept apart so that each family has few distinct profiles (see bootstrap.py).
        families.append(
            _Family(
                None,
                np.column_stack([hits > 0, hits / table.k]),
                {"hit_rate": (1, 0, 0, "higher"), "precision_at_k": (2, 0, 0, "higher")},
            )
        )
        families.append(
            _Family(
                None,
                np.column_stack([has_relevant, divide(hits, relevant.astype(float))]),
                {"recall_at_k": (2, 1, 1, "higher")},
            )
        )
        ndcg = divide(table.dcg, _idcg(relevant, table.k))
        families.append(
            _Family(
                None,
                np.column_stack([has_relevant, np.nan_to_num(ndcg)]),
                {"ndcg_at_k": (2, 1, 1, "higher")},
            )
        )
    for family in families:
        np.nan_to_num(family.values, copy=False)
    return families


def _statuses(n: np.ndarray, minimum: float) -> list[str]:
    return ["insufficient_data" if count < minimum else "ok" for count in n]


def _reference_index(view: GroupView, reference: str | None) -> int | None:
    if reference is None or reference not in view.labels:
        return None
    return view.labels.index(reference)


def check_reference(table: UserTable, views: list[GroupView], reference: str | None) -> None:
    """A reference label must be a group of some attribute (DataError otherwise)."""
    if reference is None or not views:
        return
    if not any(reference in view.labels for view in views):
        raise DataError(
            UNKNOWN_REFERENCE.format(reference=reference, attributes=", ".join(table.attributes))
        )


def _present(point_users: np.ndarray) -> np.ndarray:
    return np.flatnonzero(point_users > 0)


def _view_groups(
    collected: Collected, view: GroupView, users: np.ndarray, options: UserOptions
) -> None:
    total = float(users.sum())
    for i in _present(users):
        collected.groups.append(
            GroupSummary(
                attribute=view.name,
                group=view.labels[i],
                n=round(float(users[i])),
                share=float(users[i]) / total if total else 0.0,
                status="insufficient_data" if users[i] < options.min_group_size else "ok",
                is_reference=False,
            )
        )


def _family_rows(
    collected: Collected,
    family: _Family,
    sums: FamilySums,
    view: GroupView,
    options: UserOptions,
    rows: Rows,
) -> None:
    point = view.aggregate(sums.point)
    reps = view.aggregate(sums.replicates)
    present = _present(point[0, :, 0])
    labels = [view.labels[i] for i in present]
    point, reps = point[:, present], reps[:, present]
    unknown = view.unknown[present]
    users = point[0, :, 0]
    eligible = (users >= options.min_group_size) & ~unknown
    comparable = np.flatnonzero(~unknown)
    chosen = _reference_index(view, options.reference)
    reference = (
        labels.index(view.labels[chosen]) if chosen is not None and chosen in present else None
    )
    for metric, (num, den, n_col, direction) in family.metrics.items():
        measured = Measured.ratio(
            (point[..., num], reps[..., num]), (point[..., den], reps[..., den]), point[0, :, n_col]
        )
        collected.metrics += rows.rows(
            attribute=view.name,
            category=family.category,
            metric=metric,
            labels=labels,
            measured=measured,
        )
        compared = compare(
            metric,
            measured,
            eligible=eligible,
            comparable=comparable,
            direction=direction,
            reference=reference,
        )
        if compared is None:
            continue
        collected.references.append(
            ReferenceGroup(
                attribute=view.name,
                metric=metric,
                category=family.category,
                group=labels[compared.reference],
            )
        )
        for name, values in compared.per_group.items():
            collected.disparities += rows.rows(
                attribute=view.name,
                category=family.category,
                metric=name,
                labels=labels,
                measured=values,
                keep=list(comparable),
            )
        total = round(float(users[eligible].sum()))
        for name, (value, replicates) in compared.overall.items():
            collected.disparities.append(
                summary_row(view.name, family.category, name, total, value, replicates, rows)
            )


def user_side(
    collected: Collected,
    table: UserTable,
    bootstrap: UnitBootstrap,
    rows: Rows,
    options: UserOptions,
) -> list[GroupView]:
    """Every user-side metric, comparison and interval of the table, added to ``collected``."""
    if not table.attributes:
        return []
    views, _ = group_views(table, options.intersections)
    check_reference(table, views, options.reference)
    cell, shape = user_cells(table)
    n_cells = int(np.prod(shape, dtype=np.int64))
    users = np.bincount(cell, minlength=n_cells).astype(np.float64)[None, :, None]
    for view in views:
        _view_groups(collected, view, view.aggregate(users)[0, :, 0], options)
    for family in _families(table):
        sums = bootstrap.sums(cell, family.values, n_cells)
        for view in views:
            _family_rows(collected, family, sums, view, options, rows)
    return views
