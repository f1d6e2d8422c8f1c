"""Benchmark of the ranking audit against one pandas ``groupby(...).size()`` over the same rows.

Run from the repository root::

    .venv/bin/python benchmarks/bench_ranking.py                 # 1,000,000 users x top 10
    .venv/bin/python benchmarks/bench_ranking.py --users 100000  # a quicker run

The data: a recommendation log of ``users x 10`` rows (10 million by default), one row per
(user, recommended item): ``user`` (string ids), the users' ``sex`` (2 groups and about 2%
unknown) and ``ethnicity`` (5 groups), the item's ``category`` (6), its ``rank`` (1-10, int64),
``enrolled`` (0/1, int64) and, for the item side, the item's own group ``item_group`` (2). Users
have their own propensity for the leadership category (Beta distributed), so their rows are
correlated as real logs' are.

Measured in the same run (medians of ``--repeat`` runs):

(a) the reference: ``frame.groupby("user").size()``, one pandas pass over the rows that
    groups them by user, the least any per-user audit has to do;
(b) ``audit_recommendations`` with 1,000 bootstrap replicates resampling users: user side
    (sex, ethnicity and their intersection; every category; hit rate, precision, recall,
    NDCG), i.e. reading the columns, the per-user reduction, every metric and interval;
(c) the same with the item side too (``item_group``: exposure, skew, NDKL);
(d) of (b), the per-user reduction alone (``PandasSource.user_table``);

then the ratios (b)/(a) and (c)/(a) (target: within 30x) and the peak memory of (b): the
resident-set high-water mark and tracemalloc's peak, as ``bench_fairness.py`` measures them.
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_fairness import input_bytes, peak_memory_rss, peak_memory_traced

K = 10
CATEGORIES = np.array(["leadership", "technical", "digital", "compliance", "wellbeing", "project"])
ETHNICITIES = np.array(["white", "asian", "black", "mixed", "other"])


def make_log(users: int, seed: int = 0) -> pd.DataFrame:
    """``users x K`` rows; built from codes (10M Python strings would need gigabytes)."""
    rng = np.random.default_rng(seed)
    user = np.repeat(np.arange(users), K)
    sex = rng.choice(3, users, p=[0.5, 0.48, 0.02])  # 2: unknown
    ethnicity = rng.choice(5, users, p=[0.74, 0.11, 0.08, 0.04, 0.03])
    # A user's own propensity for leadership, lower for women: correlated rows within a user.
    propensity = rng.beta(0.8, 3.2, users) * np.where(sex == 0, 0.7, 1.0)
    leadership = rng.random(users * K) < propensity[user]
    other = rng.integers(1, len(CATEGORIES), users * K)
    category = np.where(leadership, 0, other)
    ids = pd.Categorical.from_codes(user, [f"U{i:07d}" for i in range(users)])
    sexes = pd.Categorical.from_codes(np.where(sex[user] == 2, -1, sex[user]), ["female", "male"])
    return pd.DataFrame(
        {
            "user": pd.Series(ids).astype("str"),
            "sex": pd.Series(sexes).astype("str"),
            "ethnicity": pd.Series(pd.Categorical.from_codes(ethnicity[user], ETHNICITIES)).astype(
                "str"
            ),
            "category": pd.Series(pd.Categorical.from_codes(category, CATEGORIES)).astype("str"),
            "rank": np.tile(np.arange(1, K + 1, dtype=np.int64), users),
            "enrolled": (
                rng.random(users * K) < 0.3 / np.sqrt(np.tile(np.arange(1, K + 1), users))
            ).astype(np.int64),
            "item_group": pd.Series(
                pd.Categorical.from_codes(rng.integers(0, 2, users * K), ["a", "b"])
            ).astype("str"),
        }
    )


def timed(function: Callable[[], Any]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


USER_SIDE: dict[str, Any] = {
    "user": "user",
    "rank": "rank",
    "k": K,
    "sensitive": ["sex", "ethnicity"],
    "item_category": "category",
    "outcome": "enrolled",
    "intersections": True,
}


def audit(frame: pd.DataFrame, *, items: bool, n_boot: int = 1000) -> Any:
    from govern.audits.ranking import audit_recommendations

    extra = {"item_sensitive": "item_group"} if items else {}
    return audit_recommendations(frame, **USER_SIDE, **extra, n_boot=n_boot, seed=0)


def reduction(frame: pd.DataFrame) -> Any:
    from govern.audits.sources.pandas import PandasSource
    from govern.audits.sources.ranking import RankingRoles

    roles = RankingRoles.of(**{k: v for k, v in USER_SIDE.items() if k != "intersections"})
    return PandasSource(frame).user_table(roles)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=1_000_000, help="users (lists) of 10 rows")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    args = parser.parse_args(argv)

    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"{platform.machine()}"
    )
    start = time.perf_counter()
    frame = make_log(args.users)
    size = input_bytes(frame)
    print(
        f"log: {len(frame):,} rows ({args.users:,} users x top {K}), {size / 2**20:,.0f} MiB "
        f"in memory; built in {time.perf_counter() - start:.1f} s"
    )
    # Memory first, before the timings grow the heap.
    rss = peak_memory_rss(lambda: audit(frame, items=False))
    traced = peak_memory_traced(lambda: audit(frame, items=False))

    # Each audit is timed between two runs of the reference and divided by their mean, so that a
    # change in the machine's load between measurements moves both (the machine is shared).
    runs: dict[str, list[tuple[float, float]]] = {"a": [], "b": [], "c": [], "d": []}
    ratios: dict[str, list[float]] = {"b": [], "c": [], "b cpu": [], "c cpu": []}
    for _ in range(args.repeat):
        for name, function in (
            ("b", lambda: audit(frame, items=False)),
            ("c", lambda: audit(frame, items=True)),
        ):
            before = timed(lambda: frame.groupby("user").size())
            measured = timed(function)
            after = timed(lambda: frame.groupby("user").size())
            runs["a"] += [before, after]
            runs[name].append(measured)
            ratios[name].append(measured[0] / ((before[0] + after[0]) / 2))
            ratios[f"{name} cpu"].append(measured[1] / ((before[1] + after[1]) / 2))
        runs["d"].append(timed(lambda: reduction(frame)))
    evidence = audit(frame, items=True)

    def wall(name: str) -> float:
        return float(np.median([w for w, _ in runs[name]]))

    print(f"(a) frame.groupby('user').size():                {wall('a'):8.2f} s")
    print(f"(b) audit, user side, 1,000 replicates:          {wall('b'):8.2f} s")
    print(f"(c) audit, user and item side, 1,000 replicates: {wall('c'):8.2f} s")
    print(f"(d) of (b), the per-user reduction:              {wall('d'):8.2f} s")
    for name in ("b", "c"):
        print(
            f"ratio ({name}) / (a): {np.median(ratios[name]):5.1f}x wall, "
            f"{np.median(ratios[f'{name} cpu']):5.1f}x CPU time   (target: within 30x; median of "
            f"{args.repeat}, each against the reference run just before and after)"
        )
    print("peak memory of (b), over the input columns:")
    if rss is not None:
        print(f"  resident-set high-water mark (VmHWM): {rss / 2**20:,.0f} MiB extra = "
              f"{rss / size:.2f}x")  # fmt: skip
    print(
        f"  tracemalloc peak:                     {traced / 2**20:,.0f} MiB = {traced / size:.2f}x"
    )
    levels = evidence.settings.get("coarsened_levels")
    print(
        f"{len(evidence.rows()):,} tidy rows; bootstrap "
        + ("exact (no family coarsened)" if levels is None else f"coarsened to {levels} levels")
    )
    (ratio,) = evidence.find(
        "top_k_category_rate_ratio", category="leadership", attribute="sex", group="female"
    )
    print(
        f"planted: women's share offered leadership in their top {K}, relative to men's: "
        f"{ratio.value:.3f} [{ratio.ci_low:.3f}, {ratio.ci_high:.3f}]"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
