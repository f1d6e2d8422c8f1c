"""Coverage study of the ranking audit's intervals: users resampled against rows resampled.

Run from the repository root::

    .venv/bin/python benchmarks/coverage_ranking.py              # 1,000 logs per setting
    .venv/bin/python benchmarks/coverage_ranking.py --logs 200   # quicker

Each simulated log has two groups of users with the same distribution: every user has their own
propensity ``p ~ Beta(a, b)`` for the category and each of their k slots holds it with that
propensity, so rows of one user are correlated (intra-user correlation ``rho = 1 / (a + b + 1)``).
For each setting (rho, k, users per group) it prints how often the 95% intervals of
``audit_recommendations``'s engine cover the true value:

- the slot share ``E[p]`` and the top-k rate ``1 - E[(1 - p)^k]`` of each group, intervals
  resampling users (the audit's);
- the ratio of group b's top-k rate to group a's (true value 1), users resampled;
- the slot share with rows resampled as independent records (the row bootstrap of the
  classification engine, ``govern.audits.fairness.stats.bootstrap_counts``), for comparison:
  its coverage falls as ``rho`` and ``k`` grow, since the design effect is ``1 + (k - 1) rho``.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from scipy.special import betaln

from govern.audits.fairness.stats import bootstrap_counts, percentile_interval
from govern.audits.ranking.engine import RankingOptions, ranking_from_table
from govern.audits.sources.ranking import UserTable
from govern.results import DataFingerprint

N_BOOT = 1000
MEAN = 0.3  # mean propensity


def beta_for(rho: float) -> tuple[float, float]:
    """Beta parameters with mean MEAN and intra-user correlation rho = 1 / (a + b + 1)."""
    total = 1.0 / rho - 1.0
    return MEAN * total, (1.0 - MEAN) * total


def table(rng: np.random.Generator, a: float, b: float, k: int, per_group: int) -> UserTable:
    n = 2 * per_group
    slots = rng.binomial(k, rng.beta(a, b, size=n))
    return UserTable(
        k=k,
        n_rows=n * k,
        n_users=n,
        codes={"group": np.repeat([0, 1], per_group)},
        levels={"group": ("a", "b")},
        unknown_counts={"group": 0},
        n_items=np.full(n, k),
        n_top=np.full(n, k),
        categories=("lead",),
        top_k_count=slots[:, None],
        best_rank=np.zeros((n, 1), dtype=np.int64),
        fingerprint=DataFingerprint(sha256="simulated", n_rows=n * k, columns=[]),
    )


def row_interval(slots: np.ndarray, k: int, seed: int) -> tuple[float, float]:
    lead = float(slots.sum())
    counts = np.array([lead, slots.size * k - lead])
    replicates = bootstrap_counts(counts, n_boot=N_BOOT, seed=seed)
    low, high = percentile_interval((replicates[:, 0] / replicates.sum(axis=1))[:, None])
    return float(low[0]), float(high[0])


def study(rho: float, k: int, per_group: int, logs: int, seed: int) -> dict[str, float]:
    a, b = beta_for(rho)
    share = a / (a + b)
    rate = 1.0 - math.exp(betaln(a, b + k) - betaln(a, b))
    rng = np.random.default_rng(seed)
    hits = dict.fromkeys(("users: slot share", "users: top-k rate", "users: rate ratio",
                          "rows: slot share"), 0)  # fmt: skip
    for log in range(logs):
        simulated = table(rng, a, b, k, per_group)
        # Group a is the fixed reference, so b's ratio estimates 1 (a reference chosen as the
        # best-served group in the data would bias the ratio down: the winner's curse).
        evidence = ranking_from_table(
            simulated, RankingOptions(n_boot=N_BOOT, seed=log, min_group_size=1, reference="a")
        )
        for index, group in enumerate(("a", "b")):
            (row,) = evidence.find("category_slot_share", group=group)
            hits["users: slot share"] += row.ci_low <= share <= row.ci_high  # type: ignore[operator]
            (row,) = evidence.find("top_k_category_rate", group=group)
            hits["users: top-k rate"] += row.ci_low <= rate <= row.ci_high  # type: ignore[operator]
            members = simulated.codes["group"] == index
            low, high = row_interval(simulated.top_k_count[members, 0], k, seed=log)
            hits["rows: slot share"] += low <= share <= high
        (ratio,) = evidence.find("top_k_category_rate_ratio", group="b")
        hits["users: rate ratio"] += ratio.ci_low <= 1.0 <= ratio.ci_high  # type: ignore[operator]
    per_group_metrics = {"users: slot share", "users: top-k rate", "rows: slot share"}
    return {
        name: count / (2 * logs if name in per_group_metrics else logs)
        for name, count in hits.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--logs", type=int, default=1000, help="simulated logs per setting")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    settings = [(0.05, 5, 150), (1 / 3, 5, 150), (1 / 3, 10, 150), (1 / 3, 5, 50), (0.5, 10, 500)]
    print(f"{args.logs} logs per setting, {N_BOOT} replicates, nominal 95% intervals")
    print(f"{'rho':>5} {'k':>3} {'users/group':>11}  " + "  ".join(
        f"{name:>18}" for name in ("users: slot share", "users: top-k rate", "users: rate ratio",
                                   "rows: slot share")))  # fmt: skip
    for rho, k, per_group in settings:
        start = time.perf_counter()
        found = study(rho, k, per_group, args.logs, args.seed)
        cells = "  ".join(f"{value:18.3f}" for value in found.values())
        print(f"{rho:5.2f} {k:3d} {per_group:11d}  {cells}   ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
