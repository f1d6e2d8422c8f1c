"""Ranking evidence: how a recommender or ranking serves groups of users and shows groups of items.

Produced by :mod:`govern.audits.ranking`; read by the ``ranking`` check kind and the reports.
Rows are tidy (:class:`govern.results.MetricRow`) with one more field, ``category``: the item
category a user-side row is about (``None`` for outcome metrics and item-side rows). Intervals
come from a bootstrap that resamples users (lists), never rows.

The metric names, and what they mean (REGULATIONS.md "Rankings and recommendations"):

User side, per group of users, for each category audited:
    ``top_k_category_rate`` (share of users with at least one item of the category in their top
    k), ``category_slot_share`` (share of the group's top-k slots holding the category) and
    ``mean_best_rank`` (mean rank of the category's best item, over users whose list holds one).
User side, with an outcome: ``hit_rate`` (share of users with a positive outcome in the top k),
    ``precision_at_k`` (positives in the top k over k), ``recall_at_k`` (positives in the top k
    over positives in the list) and ``ndcg_at_k``, the last two over users with a positive.
Against the best-served group (or the policy's reference): ``<metric>_ratio`` and
    ``<metric>_difference`` per group, and over groups (group ``*``) the lowest ratio and the
    largest difference; ``mean_best_rank_difference`` only (lower ranks are better).
Item side, per group of items (for talent lists, candidates): ``pool_share``, ``top_k_share``,
    ``exposure_share`` (share of the position-discounted attention ``1 / log2(1 + rank)`` of the
    top k, Singh & Joachims 2018), ``mean_exposure`` (per item in the pool),
    ``exposure_to_pool_ratio`` (exposure share over pool share), ``skew_at_k`` (natural log of
    top-k share over pool share, Geyik et al. 2019) and, with an outcome as merit,
    ``merit_share`` and ``exposure_to_merit_ratio``; over lists (group ``*``) ``ndkl``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from govern.evidence import EvidencePart, register_evidence_kind
from govern.evidence.fairness import GroupSummary
from govern.results import TIDY_COLUMNS, MetricRow

if TYPE_CHECKING:
    import pandas as pd

# User-side metrics about one category of items, compared across groups as ratios and
# differences (higher is better), and the one compared by difference only (lower is better).
CATEGORY_RATES: tuple[str, ...] = ("top_k_category_rate", "category_slot_share")
CATEGORY_RANKS: tuple[str, ...] = ("mean_best_rank",)
# User-side metrics of outcomes in the top k, compared as ratios and differences.
OUTCOME_RATES: tuple[str, ...] = ("hit_rate", "precision_at_k", "recall_at_k", "ndcg_at_k")
USER_RATES: tuple[str, ...] = (*CATEGORY_RATES, *OUTCOME_RATES)
USER_METRICS: tuple[str, ...] = (*CATEGORY_RATES, *CATEGORY_RANKS, *OUTCOME_RATES)
USER_COMPARISONS: tuple[str, ...] = (
    *(f"{name}_{kind}" for name in USER_RATES for kind in ("ratio", "difference")),
    *(f"{name}_difference" for name in CATEGORY_RANKS),
)
ITEM_METRICS: tuple[str, ...] = (
    "pool_share",
    "top_k_share",
    "exposure_share",
    "mean_exposure",
    "exposure_to_pool_ratio",
    "skew_at_k",
)
ITEM_MERIT_METRICS: tuple[str, ...] = ("merit_share", "exposure_to_merit_ratio")
LIST_METRICS: tuple[str, ...] = ("ndkl",)
CATEGORY_METRICS: frozenset[str] = frozenset(
    (
        *CATEGORY_RATES,
        *CATEGORY_RANKS,
        *(m for m in USER_COMPARISONS if m.startswith(CATEGORY_RATES + CATEGORY_RANKS)),
    )
)
ITEM_SIDE_METRICS: frozenset[str] = frozenset((*ITEM_METRICS, *ITEM_MERIT_METRICS, *LIST_METRICS))
RANKING_METRIC_NAMES: frozenset[str] = frozenset(
    (*USER_METRICS, *USER_COMPARISONS, *ITEM_SIDE_METRICS)
)
"""Every metric a ranking audit can emit; the ``ranking`` check kind accepts exactly these."""

RANKING_COLUMNS = ("category", *TIDY_COLUMNS)


class RankingRow(MetricRow):
    """A tidy metric row, with the item category it is about (None when it is about none)."""

    category: str | None = Field(
        default=None, description="The item category of a user-side row, else None."
    )


class ReferenceGroup(BaseModel):
    """The group another group's ratio and difference of one metric are taken against."""

    attribute: str
    metric: str
    category: str | None = None
    group: str


@register_evidence_kind
class RankingEvidence(EvidencePart):
    """Everything a ranking audit measured. Pure data; no verdicts."""

    kind: Literal["ranking"] = "ranking"
    n_rows: int = Field(description="Rows of the recommendation log.")
    n_users: int = Field(description="Users (lists) in the log; the unit of the bootstrap.")
    k: int = Field(description="The length of the top of each list that was audited.")
    engine: str = Field(default="pandas", description="The data source that reduced the log.")
    columns: dict[str, str | None] = Field(
        default_factory=dict, description="Role (user, rank, item_category, ...) -> column."
    )
    categories: list[str] = Field(default_factory=list, description="Item categories audited.")
    attributes: list[str] = Field(
        default_factory=list, description="Users' sensitive attributes, then intersections."
    )
    item_attribute: str | None = Field(
        default=None, description="The items' attribute (candidates' group), when audited."
    )
    groups: list[GroupSummary] = Field(
        default_factory=list, description="Groups of users; n counts users."
    )
    item_groups: list[GroupSummary] = Field(
        default_factory=list, description="Groups of items; n counts appearances in lists."
    )
    metrics: list[RankingRow] = Field(default_factory=list)
    disparities: list[RankingRow] = Field(default_factory=list)
    references: list[ReferenceGroup] = Field(default_factory=list)
    unknown_counts: dict[str, int] = Field(
        default_factory=dict,
        description="Users in the unknown group per user attribute; items for the item one.",
    )
    settings: dict[str, float | int | str | None] = Field(default_factory=dict)

    def rows(self) -> list[RankingRow]:
        """Per-group metrics then disparities."""
        return [*self.metrics, *self.disparities]

    def to_frame(self) -> pd.DataFrame:
        """The rows as a DataFrame: the tidy columns, after a ``category`` column."""
        import pandas as pd

        frame = pd.DataFrame(
            [row.model_dump() for row in self.rows()], columns=list(RANKING_COLUMNS)
        )
        return frame.astype(
            {"n": "int64", "value": "float64", "ci_low": "float64", "ci_high": "float64"}
        )

    def find(
        self,
        metric: str,
        *,
        category: str | None = None,
        attribute: str | None = None,
        group: str | None = None,
    ) -> list[RankingRow]:
        """Rows of one metric, narrowed to a category, an attribute and a group when given."""
        return [
            row
            for row in self.rows()
            if row.metric == metric
            and (category is None or row.category == category)
            and (attribute is None or row.attribute == attribute)
            and (group is None or row.group == group)
        ]

    def reference(self, metric: str, attribute: str, category: str | None) -> str | None:
        """The reference group of a comparison metric (``<metric>_ratio``...), or None."""
        base = metric.removesuffix("_ratio").removesuffix("_difference")
        for ref in self.references:
            if ref.metric == base and ref.attribute == attribute and ref.category == category:
                return ref.group
        return None

    def group_summary(self, attribute: str, group: str) -> GroupSummary | None:
        """The summary of a group of users, or of items when ``attribute`` is the item one."""
        pool = self.item_groups if attribute == self.item_attribute else self.groups
        for summary in pool:
            if summary.attribute == attribute and summary.group == group:
                return summary
        return None

    def by_category(self) -> dict[str | None, list[RankingRow]]:
        """The rows grouped by category, in the order they were measured."""
        grouped: dict[str | None, list[RankingRow]] = defaultdict(list)
        for row in self.rows():
            grouped[row.category].append(row)
        return dict(grouped)
