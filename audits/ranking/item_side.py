"""Item-side fairness: who gets shown. For talent lists, which candidates reach the top.

From the user table's per-list item statistics only (``pool``, ``top``, ``exposure``, ``merit``,
``ndkl``). Per group of items, over all lists pooled:

- ``pool_share``: the group's share of the items in the lists (the candidate pool);
- ``top_k_share``: its share of the items in the top k;
- ``exposure_share``: its share of the exposure of the top k, an item at rank r getting
  ``1 / log2(1 + r)`` as in DCG (Singh & Joachims 2018, "Fairness of Exposure in Rankings");
- ``mean_exposure``: exposure per item of the group in the pool;
- ``exposure_to_pool_ratio``: exposure share over pool share (1 when a group gets the attention
  its numbers warrant; below 0.8 is the warning sign the packs use);
- ``skew_at_k``: ``ln(top_k_share / pool_share)`` (Geyik, Ambler & Kenthapadi 2019, on the
  pooled shares);
- with an outcome taken as merit (qualified, relevant): ``merit_share``, the group's share of
  the positive outcomes, and ``exposure_to_merit_ratio``, exposure share over merit share (Singh
  & Joachims's disparate treatment: exposure proportional to merit gives 1 for every group);

and over lists (group ``*``), ``ndkl``, the mean over lists of their NDKL (Geyik et al. 2019).
Intervals resample lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from govern.audits.ranking.bootstrap import UnitBootstrap
from govern.audits.ranking.measure import Collected, Measured, Rows, divide, summary_row
from govern.audits.sources.ranking import UserTable
from govern.evidence.fairness import GroupSummary
from govern.results import ALL_GROUPS


@dataclass(frozen=True)
class _Columns:
    """The per-list statistics of one item group and the list totals they are shares of."""

    pool: np.ndarray
    items: np.ndarray
    top: np.ndarray
    shown: np.ndarray
    exposure: np.ndarray
    total_exposure: np.ndarray
    merit: np.ndarray | None
    total_merit: np.ndarray | None


def _columns(table: UserTable, group: int) -> _Columns:
    assert table.pool is not None and table.top is not None and table.exposure is not None
    merit = None if table.merit is None else table.merit[:, group]
    return _Columns(
        pool=table.pool[:, group],
        items=table.n_items,
        top=table.top[:, group],
        shown=table.n_top,
        exposure=table.exposure[:, group],
        total_exposure=table.exposure.sum(axis=1),
        merit=merit,
        total_merit=None if table.merit is None else table.merit.sum(axis=1),
    )


def _group_metrics(
    columns: _Columns, bootstrap: UnitBootstrap, n: np.ndarray
) -> dict[str, Measured]:
    """One group's metrics; each family keeps few columns so it has few profiles."""
    cell = np.zeros(columns.pool.shape[0], dtype=np.int64)

    def ratio(sums: tuple[np.ndarray, np.ndarray], num: int, den: int) -> Measured:
        point, reps = sums
        return Measured.ratio(
            (point[..., num], reps[..., num]), (point[..., den], reps[..., den]), n
        )

    counts = bootstrap.sums(
        cell, np.column_stack([columns.pool, columns.items, columns.top, columns.shown]), 1
    )
    counts_sums = (counts.point, counts.replicates)
    pool_share = ratio(counts_sums, 1, 2)
    top_share = ratio(counts_sums, 3, 4)
    measured = {
        "pool_share": pool_share,
        "top_k_share": top_share,
        "skew_at_k": _log_ratio(top_share, pool_share),
    }
    exposure = bootstrap.sums(
        cell,
        np.column_stack([columns.exposure, columns.total_exposure, columns.pool, columns.items]),
        1,
    )
    exposure_sums = (exposure.point, exposure.replicates)
    exposure_share = ratio(exposure_sums, 1, 2)
    measured["exposure_share"] = exposure_share
    measured["mean_exposure"] = ratio(exposure_sums, 1, 3)
    measured["exposure_to_pool_ratio"] = _quotient(exposure_share, ratio(exposure_sums, 3, 4))
    if columns.merit is not None and columns.total_merit is not None:
        merit = bootstrap.sums(
            cell,
            np.column_stack(
                [columns.exposure, columns.total_exposure, columns.merit, columns.total_merit]
            ),
            1,
        )
        merit_sums = (merit.point, merit.replicates)
        merit_share = ratio(merit_sums, 3, 4)
        measured["merit_share"] = merit_share
        measured["exposure_to_merit_ratio"] = _quotient(ratio(merit_sums, 1, 2), merit_share)
    return measured


def _quotient(top: Measured, bottom: Measured) -> Measured:
    return Measured(
        divide(top.point, bottom.point), divide(top.replicates, bottom.replicates), top.n
    )


def _log_ratio(top: Measured, bottom: Measured) -> Measured:
    quotient = _quotient(top, bottom)
    with np.errstate(divide="ignore", invalid="ignore"):
        return Measured(np.log(quotient.point), np.log(quotient.replicates), top.n)


def item_side(
    collected: Collected,
    table: UserTable,
    bootstrap: UnitBootstrap,
    rows: Rows,
    *,
    min_group_size: float,
) -> None:
    """Every item-side metric and interval of the table, added to ``collected``."""
    if table.pool is None or table.item_attribute is None:
        return
    attribute = table.item_attribute
    totals = table.pool.sum(axis=0)
    all_items = float(totals.sum())
    for group, label in enumerate(table.item_levels):
        if totals[group] == 0:
            continue
        collected.item_groups.append(
            GroupSummary(
                attribute=attribute,
                group=label,
                n=int(totals[group]),
                share=float(totals[group]) / all_items if all_items else 0.0,
                status="insufficient_data" if totals[group] < min_group_size else "ok",
            )
        )
        n = np.array([float(totals[group])])
        for metric, measured in _group_metrics(_columns(table, group), bootstrap, n).items():
            collected.metrics += rows.rows(
                attribute=attribute,
                category=None,
                metric=metric,
                labels=[label],
                measured=Measured(measured.point[:1], measured.replicates[:, :1], n),
            )
    if table.ndkl is not None:
        sums = bootstrap.sums(np.zeros(table.n_users, dtype=np.int64), table.ndkl[:, None], 1)
        lists = float(sums.point[0, 0, 0])
        value = float(divide(sums.point[..., 1], sums.point[..., 0])[0, 0])
        replicates = divide(sums.replicates[..., 1], sums.replicates[..., 0])[:, 0]
        row = summary_row(attribute, None, "ndkl", round(lists), value, replicates, rows)
        collected.disparities.append(row.model_copy(update={"group": ALL_GROUPS}))
