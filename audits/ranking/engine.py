"""``audit_recommendations``: user-side and item-side fairness of a recommendation log."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from govern.audits.ranking.bootstrap import UnitBootstrap
from govern.audits.ranking.item_side import item_side
from govern.audits.ranking.measure import Collected, Rows
from govern.audits.ranking.user_side import UserOptions, group_views, user_side
from govern.audits.sources.ranking import RankingRoles, RankingSource, UserTable
from govern.errors import DataError
from govern.evidence.ranking import RankingEvidence

if TYPE_CHECKING:
    import pandas as pd

BAD_OPTION = "{name} must be {expected}; found {found!r}."


@dataclass(frozen=True)
class RankingOptions:
    """How a ranking audit measures (a policy's settings, or the function's arguments)."""

    n_boot: int = 1000
    seed: int = 0
    min_group_size: float = 30
    confidence_level: float = 0.95
    reference: str | None = None
    intersections: bool | Sequence[Sequence[str]] = False

    def check(self) -> None:
        """Refuse options that cannot make an audit (DataError naming the option)."""
        n_boot = self.n_boot
        if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 0:
            raise DataError(
                BAD_OPTION.format(name="n_boot", expected="a whole number, 0 or more", found=n_boot)
            )
        # The configured bound (limits.max_bootstrap) holds for the library as for the CLI:
        # every replicate costs memory for every group.
        from govern.limits import check_bootstrap
        from govern.settings import load_settings

        check_bootstrap(n_boot, load_settings(create_home=False).limits, where="n_boot: ")
        if not np.isfinite(self.min_group_size) or self.min_group_size < 0:
            raise DataError(
                BAD_OPTION.format(
                    name="min_group_size", expected="0 or more", found=self.min_group_size
                )
            )
        if not 0.0 < self.confidence_level < 1.0:
            raise DataError(
                BAD_OPTION.format(
                    name="confidence_level",
                    expected="between 0 and 1",
                    found=self.confidence_level,
                )
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise DataError(
                BAD_OPTION.format(
                    name="seed", expected="a whole number, 0 or more", found=self.seed
                )
            )


def ranking_from_table(table: UserTable, options: RankingOptions) -> RankingEvidence:
    """Every ranking metric, comparison and interval from a source's per-user table."""
    options.check()
    bootstrap = UnitBootstrap(n_boot=options.n_boot, seed=options.seed)
    rows = Rows(n_boot=options.n_boot, confidence_level=options.confidence_level)
    collected = Collected()
    user_options = UserOptions(
        min_group_size=options.min_group_size,
        reference=options.reference,
        intersections=options.intersections,
    )
    views = user_side(collected, table, bootstrap, rows, user_options)
    item_side(collected, table, bootstrap, rows, min_group_size=options.min_group_size)
    coarsened = sorted(set(bootstrap.coarsened))
    return RankingEvidence(
        n_rows=table.n_rows,
        n_users=table.n_users,
        k=table.k,
        engine=table.engine,
        columns=dict(table.columns),
        categories=list(table.categories),
        attributes=[view.name for view in views],
        item_attribute=table.item_attribute,
        groups=collected.groups,
        item_groups=collected.item_groups,
        metrics=collected.metrics,
        disparities=collected.disparities,
        references=collected.references,
        unknown_counts=dict(table.unknown_counts),
        settings={
            "n_boot": options.n_boot,
            "seed": options.seed,
            "min_group_size": options.min_group_size,
            "confidence_level": options.confidence_level,
            "reference": options.reference,
            "resampled": "users",
            # None: every replicate is the exact user bootstrap (see bootstrap.py).
            "coarsened_levels": min(coarsened) if coarsened else None,
        },
    )


def _source(
    data: RankingSource | pd.DataFrame | str | os.PathLike[str], source: str | None, engine: str
) -> RankingSource:
    if isinstance(data, RankingSource):
        return data
    from govern.audits.sources.choose import open_ranking_source

    return open_ranking_source(data, engine, source=source)


def audit_recommendations(
    data: RankingSource | pd.DataFrame | str | os.PathLike[str],
    *,
    user: str,
    rank: str,
    k: int,
    sensitive: Sequence[str] | str = (),
    item_category: str | None = None,
    category: Sequence[str] | str | None = None,
    item_sensitive: str | None = None,
    outcome: str | None = None,
    positive_label: Any = 1,
    intersections: bool | Sequence[Sequence[str]] = False,
    reference: str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    min_group_size: float = 30,
    confidence_level: float = 0.95,
    source: str | None = None,
    engine: str = "auto",
) -> RankingEvidence:
    """Measure the fairness of a recommendation log: whom it serves and who gets shown.

    The log has one row per (user, recommended item). The data source reduces it to one row per
    user (:mod:`govern.audits.sources.ranking`); every metric, comparison and percentile
    bootstrap interval (resampling users, never rows) comes from that table.

    Parameters
    ----------
    data : RankingSource, pandas.DataFrame, Spark DataFrame, path, glob or folder
        The log; a path is read as CSV or Parquet by its suffix (only the named columns).
        ``engine`` chooses the source that reduces it to one row per user, unless ``data`` is
        a source already.
    user, rank : str
        Columns of the user (or list: a post for a talent list) and of the item's rank (1 = top).
    k : int
        How much of the top of each list is audited.
    sensitive : list of str, optional
        The users' sensitive attributes (user-side fairness).
    item_category : str, optional
        Column of the item's category (a course's track); needs ``sensitive``.
    category : str or list of str, optional
        The categories to audit (default: every category in the log, at most 50).
    item_sensitive : str, optional
        Column of the item's own group (a candidate's sex): item-side fairness.
    outcome : str, optional
        Column of a binary outcome (enrolled, hired; for items, their merit).
    positive_label : scalar, default 1
        The value of ``outcome`` that means positive.
    intersections : bool or list of list of str, default False
        ``True`` adds the intersection of all user attributes; a list names each one.
    reference : str, optional
        A group to compare others with (default: the best-served group of each metric).
    n_boot, seed, min_group_size, confidence_level
        Bootstrap replicates (0: no intervals) and seed; groups with fewer users (items) are
        reported but ``insufficient_data``; coverage of the intervals.
    source : str, optional
        Name of the data in messages and the fingerprint (default: the file name).
    engine : {"auto", "pandas", "duckdb", "spark"}, default "auto"
        Who reduces the log (:func:`govern.audits.sources.choose.open_ranking_source`; auto:
        Spark for a Spark DataFrame, DuckDB for a folder, a glob or a file of 512 MiB or more,
        else pandas). Recorded as ``engine`` in the evidence; the figures are the same.

    Returns
    -------
    RankingEvidence

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({
    ...     "user": ["a", "a", "b", "b", "c", "c"], "rank": [1, 2, 1, 2, 1, 2],
    ...     "sex": ["F", "F", "M", "M", "M", "M"],
    ...     "track": ["tech", "lead", "lead", "tech", "tech", "tech"]})
    >>> evidence = audit_recommendations(log, user="user", rank="rank", k=1, sensitive="sex",
    ...                                  item_category="track", category="lead", n_boot=0,
    ...                                  min_group_size=1)
    >>> [(r.group, r.value) for r in evidence.find("top_k_category_rate")]
    [('F', 0.0), ('M', 0.5)]
    """
    options = RankingOptions(
        n_boot=n_boot,
        seed=seed,
        min_group_size=min_group_size,
        confidence_level=confidence_level,
        reference=reference,
        intersections=intersections,
    )
    options.check()
    roles = RankingRoles.of(
        user=user,
        rank=rank,
        k=k,
        sensitive=sensitive,
        item_category=item_category,
        categories=category,
        item_sensitive=item_sensitive,
        outcome=outcome,
        positive_label=positive_label,
    )
    table = _source(data, source, engine).user_table(roles)
    return ranking_from_table(table, options)


__all__ = ["RankingOptions", "audit_recommendations", "group_views", "ranking_from_table"]
