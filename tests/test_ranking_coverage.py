"""Coverage of the user-level bootstrap on logs whose rows are correlated within a user.

Each simulated log has users whose own propensity for the category is drawn from a Beta
distribution (some users are simply shown the leadership track more), and whose k slots are each
that category with their propensity: rows of one user are correlated (intra-user correlation
``1 / (a + b + 1)``). The audit's 95% intervals, which resample users, must cover the true
values 93-97% of the time; intervals that resample rows as independent records (what a
classification audit of the same rows does) must not. The full study with more settings is
``benchmarks/coverage_ranking.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.special import betaln

from govern.audits.fairness.stats import bootstrap_counts, percentile_interval
from govern.audits.ranking.engine import RankingOptions, ranking_from_table
from govern.audits.sources.ranking import UserTable
from govern.results import DataFingerprint

K = 5
A, B = 0.6, 1.4  # mean propensity 0.3, intra-user correlation 1 / (A + B + 1) = 1/3
USERS_PER_GROUP = 150
N_BOOT = 1000


@dataclass(frozen=True)
class Truth:
    slot_share: float  # E[p]
    top_k_rate: float  # 1 - E[(1 - p)^k]


def truth(a: float = A, b: float = B, k: int = K) -> Truth:
    # E[(1 - p)^k] for p ~ Beta(a, b) is B(a, b + k) / B(a, b).
    return Truth(slot_share=a / (a + b), top_k_rate=1.0 - math.exp(betaln(a, b + k) - betaln(a, b)))


def simulated_table(rng: np.random.Generator, users_per_group: int = USERS_PER_GROUP) -> UserTable:
    """Two groups of users with the same propensity distribution; slots drawn per user."""
    n = 2 * users_per_group
    propensity = rng.beta(A, B, size=n)
    slots = rng.binomial(K, propensity)
    return UserTable(
        k=K,
        n_rows=n * K,
        n_users=n,
        codes={"group": np.repeat([0, 1], users_per_group)},
        levels={"group": ("a", "b")},
        unknown_counts={"group": 0},
        n_items=np.full(n, K),
        n_top=np.full(n, K),
        categories=("lead",),
        top_k_count=slots[:, None],
        best_rank=np.zeros((n, 1), dtype=np.int64),  # not studied here
        fingerprint=DataFingerprint(sha256="simulated", n_rows=n * K, columns=[]),
    )


def row_level_interval(table: UserTable, group: int, seed: int) -> tuple[float, float]:
    """Percentile interval of the slot share resampling rows as independent records."""
    members = table.codes["group"] == group
    lead = int(table.top_k_count[members, 0].sum())
    other = int(table.n_top[members].sum()) - lead
    # The classification engine's row bootstrap, on this group's (lead, other) row counts.
    replicates = bootstrap_counts(np.array([lead, other], dtype=float), n_boot=N_BOOT, seed=seed)
    share = replicates[:, 0] / replicates.sum(axis=1)
    low, high = percentile_interval(share[:, None])
    return float(low[0]), float(high[0])


def coverage(n_simulations: int, *, seed: int) -> dict[str, float]:
    """Share of intervals covering the truth, per method and metric, over both groups."""
    rng = np.random.default_rng(seed)
    target = truth()
    hits = {"user slot share": 0, "user top-k rate": 0, "row slot share": 0}
    for simulation in range(n_simulations):
        table = simulated_table(rng)
        evidence = ranking_from_table(
            table, RankingOptions(n_boot=N_BOOT, seed=simulation, min_group_size=1)
        )
        for index, group in enumerate(("a", "b")):
            (share,) = evidence.find("category_slot_share", group=group)
            (rate,) = evidence.find("top_k_category_rate", group=group)
            assert share.ci_low is not None and share.ci_high is not None
            assert rate.ci_low is not None and rate.ci_high is not None
            hits["user slot share"] += share.ci_low <= target.slot_share <= share.ci_high
            hits["user top-k rate"] += rate.ci_low <= target.top_k_rate <= rate.ci_high
            low, high = row_level_interval(table, index, seed=simulation)
            hits["row slot share"] += low <= target.slot_share <= high
    return {name: count / (2 * n_simulations) for name, count in hits.items()}


def test_truth_matches_a_large_sample() -> None:
    rng = np.random.default_rng(0)
    p = rng.beta(A, B, size=2_000_000)
    assert truth().slot_share == pytest.approx(p.mean(), abs=1e-3)
    assert truth().top_k_rate == pytest.approx(1 - ((1 - p) ** K).mean(), abs=1e-3)


@pytest.mark.slow
def test_user_level_intervals_cover_and_row_level_ones_do_not() -> None:
    # 600 logs x 2 groups: the coverage of each method is known to about +-0.9 points (1 SE).
    found = coverage(600, seed=2026)
    assert 0.93 <= found["user slot share"] <= 0.97, found
    assert 0.93 <= found["user top-k rate"] <= 0.97, found
    # Design effect 1 + (k - 1) / 3 = 2.33: row-level intervals are 1.5 times too narrow and
    # cover about 80% of the time.
    assert found["row slot share"] < 0.88, found
