"""Shared steps of both sides of a ranking audit: ratios of sums, intervals, tidy rows, references.

Every ranking metric of a group is a ratio of two sums over its users (or lists); a metric is
held as its observed value per group, shape ``(G,)``, and its bootstrap replicates, ``(R, G)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from govern.audits.fairness.stats import percentile_interval
from govern.evidence.fairness import GroupSummary
from govern.evidence.ranking import RankingRow, ReferenceGroup
from govern.results import ALL_GROUPS

Direction = Literal["higher", "lower"]


def divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` elementwise, nan where the denominator is 0 (undefined)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )


@dataclass(frozen=True)
class Measured:
    """One metric over the groups of one view: observed, replicated, and users (or items) behind."""

    point: np.ndarray  # (G,)
    replicates: np.ndarray  # (R, G)
    n: np.ndarray  # (G,)

    @classmethod
    def ratio(
        cls,
        numerator: tuple[np.ndarray, np.ndarray],
        denominator: tuple[np.ndarray, np.ndarray],
        n: np.ndarray,
    ) -> Measured:
        """The ratio of two sums, each given observed ``(1, G)`` and replicated ``(R, G)``."""
        return cls(
            point=divide(numerator[0], denominator[0])[0],
            replicates=divide(numerator[1], denominator[1]),
            n=n,
        )


def _number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


@dataclass
class Collected:
    """What the steps of an audit add up, before the evidence is built once."""

    groups: list[GroupSummary] = field(default_factory=list)
    item_groups: list[GroupSummary] = field(default_factory=list)
    metrics: list[RankingRow] = field(default_factory=list)
    disparities: list[RankingRow] = field(default_factory=list)
    references: list[ReferenceGroup] = field(default_factory=list)


@dataclass(frozen=True)
class Rows:
    """Turns measured metrics into tidy rows with percentile intervals."""

    n_boot: int
    confidence_level: float

    def bounds(self, replicates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.n_boot == 0:
            empty = np.full(replicates.shape[1:], np.nan)
            return empty, empty
        return percentile_interval(replicates, confidence_level=self.confidence_level, axis=0)

    def rows(
        self,
        *,
        attribute: str,
        category: str | None,
        metric: str,
        labels: Sequence[str],
        measured: Measured,
        keep: Sequence[int] | None = None,
    ) -> list[RankingRow]:
        low, high = self.bounds(measured.replicates)
        chosen = range(len(labels)) if keep is None else keep
        return [
            RankingRow(
                attribute=attribute,
                category=category,
                group=labels[i],
                n=round(float(measured.n[i])),
                metric=metric,
                value=_number(measured.point[i]),
                ci_low=_number(low[i]),
                ci_high=_number(high[i]),
            )
            for i in chosen
        ]


def best_group(values: np.ndarray, pool: np.ndarray, direction: Direction) -> int | None:
    """The group of ``pool`` with the best defined value (ties: the first label), or None."""
    pool = pool[np.isfinite(values[pool])]
    if pool.size == 0:
        return None
    pick = np.argmax(values[pool]) if direction == "higher" else np.argmin(values[pool])
    return int(pool[pick])


@dataclass(frozen=True)
class Comparison:
    """Each group's ratio and difference against a reference group, and the spread over groups."""

    reference: int
    per_group: dict[str, Measured]
    overall: dict[str, tuple[float, np.ndarray]]


def compare(
    metric: str,
    measured: Measured,
    *,
    eligible: np.ndarray,
    comparable: np.ndarray,
    direction: Direction,
    reference: int | None,
) -> Comparison | None:
    """Ratios and differences of ``metric`` against the reference (default: the best-served
    eligible group), held to the same group in every replicate so that each interval is that of
    one statistic; and over the eligible groups, the lowest ratio and the largest difference (as
    fairlearn's ``MetricFrame.ratio()`` and ``.difference()`` define them).

    Metrics where lower is better (a rank) get differences only: a ratio of ranks means little.
    """
    pool = np.flatnonzero(eligible) if eligible.any() else comparable
    ref = reference if reference is not None else best_group(measured.point, pool, direction)
    if ref is None:
        return None
    point, reps = measured.point, measured.replicates
    per_group = {
        f"{metric}_difference": Measured(
            point - point[ref], reps - reps[:, ref : ref + 1], measured.n
        )
    }
    if direction == "higher":
        per_group[f"{metric}_ratio"] = Measured(
            divide(point, np.full_like(point, point[ref])),
            divide(reps, np.repeat(reps[:, ref : ref + 1], reps.shape[1], axis=1)),
            measured.n,
        )
    overall: dict[str, tuple[float, np.ndarray]] = {}
    members = np.flatnonzero(eligible)
    if members.size >= 2:
        overall[f"{metric}_difference"] = (
            float(_spread(point[None, members])[0][0]),
            _spread(reps[:, members])[0],
        )
        if direction == "higher":
            overall[f"{metric}_ratio"] = (
                float(_spread(point[None, members])[1][0]),
                _spread(reps[:, members])[1],
            )
    return Comparison(reference=ref, per_group=per_group, overall=overall)


def _spread(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per replicate, (max - min, min / max) over groups, ignoring undefined groups."""
    defined = np.isfinite(values)
    any_defined = defined.any(axis=-1)
    high = np.where(any_defined, np.where(defined, values, -np.inf).max(axis=-1), np.nan)
    low = np.where(any_defined, np.where(defined, values, np.inf).min(axis=-1), np.nan)
    return high - low, divide(low, high)


def summary_row(
    attribute: str,
    category: str | None,
    metric: str,
    n: int,
    value: float,
    replicates: np.ndarray,
    rows: Rows,
) -> RankingRow:
    """One attribute-wide row (group ``*``)."""
    low, high = rows.bounds(replicates[:, None])
    return RankingRow(
        attribute=attribute,
        category=category,
        group=ALL_GROUPS,
        n=n,
        metric=metric,
        value=_number(value),
        ci_low=_number(low[0]),
        ci_high=_number(high[0]),
    )
