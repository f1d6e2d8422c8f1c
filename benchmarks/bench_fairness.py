"""Benchmark of the fairness engine against one bare pass over the rows and fairlearn.

Run from the repository root::

    .venv/bin/python benchmarks/bench_fairness.py             # 1,000,000 rows
    .venv/bin/python benchmarks/bench_fairness.py --quick     # 200,000 rows, small references
    .venv/bin/python benchmarks/bench_fairness.py --rows 10000000   # peak memory at 10M rows

The data: binary decisions ``y_pred`` and outcomes ``y_true`` (int64, as a CSV reader gives them)
and two sensitive attributes, ``sex`` (2 categories) and ``race`` (5 categories), as pandas' default
string columns; audited for both attributes and their intersection (10 cells), all classification
metrics. Every figure is measured in the same run; extrapolated figures are labelled as such.

Measured:

(a) one bare pass: factorise the two sensitive columns and one ``numpy.bincount`` of the combined
    codes (sex x race x y_true x y_pred), the floor for any exact audit;
(b) ``govern.audit_fairness`` with ``n_boot=0``;
(c) the same with 1,000 bootstrap replicates;
(d) fairlearn's ``MetricFrame`` computing selection rate, TPR, FPR, FNR, TNR, accuracy and precision
    over sex, race and sex x race, timed on two subsample sizes to check it scales linearly, then
    extrapolated to the full size (one full-size run takes over a minute on 1M rows);
(e) fairlearn's own bootstrap (``MetricFrame(n_boot=...)``) with a few replicates on the smaller
    subsample, extrapolated linearly in the number of replicates.

(f) ``EvaluationData.fingerprint()`` (sha256 of the data used; ``govern audit run`` calls it).

Times are medians of ``--repeat`` runs (default 5). Peak memory, measured first (before the
timings grow the heap), two ways: the process's resident-set high-water mark (``VmHWM``, reset
through ``/proc/self/clear_refs`` before the audit; Linux only; can read low when the audit reuses
memory an allocator kept), and ``tracemalloc``'s peak (numpy's and Python's allocations, not
pyarrow's pool).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import gc
import os
import platform
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

SEXES = np.array(["female", "male"])
RACES = np.array(
    ["Asian", "Black or African American", "Hispanic or Latino", "Two or more races", "White"]
)


def make_data(rows: int, seed: int = 0) -> pd.DataFrame:
    """Synthetic screening outcomes; women and two race groups are selected less often."""
    rng = np.random.default_rng(seed)
    sex_code = rng.integers(0, 2, rows, dtype=np.int8)
    race_code = rng.choice(5, rows, p=[0.08, 0.14, 0.18, 0.05, 0.55]).astype(np.int8)
    y_true = (rng.random(rows) < 0.35).astype(np.int64)
    # Qualified people are selected more often; women and two groups a little less.
    rate = np.where(y_true == 1, 0.6, 0.15) * np.where(sex_code == 0, 0.85, 1.0)
    rate = rate * np.array([1.0, 0.75, 0.8, 1.0, 1.0])[race_code]
    y_pred = (rng.random(rows) < rate).astype(np.int64)
    return pd.DataFrame(
        {
            # Via categoricals: building 10M fixed-width numpy strings first would need gigabytes.
            "sex": pd.Series(pd.Categorical.from_codes(sex_code, SEXES)).astype("str"),
            "race": pd.Series(pd.Categorical.from_codes(race_code, RACES)).astype("str"),
            "y_true": y_true,
            "y_pred": y_pred,
        }
    )


def median_time(function: Callable[[], Any], repeat: int) -> float:
    """Median of ``repeat`` runs, in seconds (robust to a run slowed by other jobs)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def evaluation_data(frame: pd.DataFrame) -> Any:
    from govern.data import EvaluationData

    return EvaluationData.from_frame(
        frame, y_pred="y_pred", y_true="y_true", sensitive=["sex", "race"]
    )


def bare_pass(frame: pd.DataFrame) -> np.ndarray:
    """Factorise the sensitive columns and count every cell with one bincount."""
    sex_codes, sex_labels = pd.factorize(frame["sex"], use_na_sentinel=False)
    race_codes, race_labels = pd.factorize(frame["race"], use_na_sentinel=False)
    n_race = len(race_labels)
    combined = ((sex_codes * n_race + race_codes) * 2 + frame["y_true"].to_numpy()) * 2
    combined += frame["y_pred"].to_numpy()
    return np.bincount(combined, minlength=len(sex_labels) * n_race * 4)


def run_govern(frame: pd.DataFrame, n_boot: int) -> Any:
    from govern.audits.fairness import audit_fairness

    return audit_fairness(
        frame,
        y_pred="y_pred",
        y_true="y_true",
        sensitive=["sex", "race"],
        intersections=True,
        n_boot=n_boot,
        seed=0,
    )


def minimum_replicates(frame: pd.DataFrame) -> int:
    """0 when the engine accepts it (no intervals), else 1: the cheapest audit it will run."""
    try:
        run_govern(frame, 0)
    except ValueError as error:
        print(f"note: audit_fairness(n_boot=0) failed ({error}); timing n_boot=1 instead")
        return 1
    return 0


def fairlearn_metrics() -> dict[str, Callable[..., float]]:
    from fairlearn.metrics import (
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_negative_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score, precision_score

    return {
        "selection_rate": selection_rate,
        "true_positive_rate": true_positive_rate,
        "false_positive_rate": false_positive_rate,
        "false_negative_rate": false_negative_rate,
        "true_negative_rate": true_negative_rate,
        "accuracy_score": accuracy_score,
        "precision": functools.partial(precision_score, zero_division=0),
    }


def run_metricframe(frame: pd.DataFrame, **bootstrap: Any) -> None:
    """The same metrics over sex, race and sex x race: three MetricFrames."""
    from fairlearn.metrics import MetricFrame

    metrics = fairlearn_metrics()
    for features in (["sex"], ["race"], ["sex", "race"]):
        result = MetricFrame(
            metrics=metrics,
            y_true=frame["y_true"],
            y_pred=frame["y_pred"],
            sensitive_features=frame[features],
            **bootstrap,
        )
        result.by_group  # noqa: B018 - make sure the per-group table is materialised


def input_bytes(frame: pd.DataFrame) -> int:
    return int(frame.memory_usage(deep=True, index=False).sum())


def _status_kib() -> dict[str, int]:
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


def release_free_memory() -> None:
    """Hand memory that allocators keep after ``free`` back to the system, so that the audit's
    allocations show up as growth of the resident set instead of silently reusing it."""
    import ctypes
    import ctypes.util

    import pyarrow

    pyarrow.default_memory_pool().release_unused()  # pandas' Arrow-backed strings
    libc = ctypes.util.find_library("c")
    if libc:
        with contextlib.suppress(AttributeError):  # not glibc: nothing to trim
            ctypes.CDLL(libc).malloc_trim(0)


def peak_memory_rss(function: Callable[[], Any]) -> int | None:
    """Extra resident bytes at the peak of ``function()`` (``VmHWM`` reset before), or None.

    Free memory kept by glibc and pyarrow is released first (it would otherwise be reused
    without growing the resident set and the figure would read low); :func:`peak_memory_traced`
    is the cross-check.
    """
    gc.collect()
    if not os.path.exists("/proc/self/clear_refs"):
        return None
    release_free_memory()
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # reset the high-water mark to the current resident set
        before = _status_kib()["VmRSS"]
        result = function()
        after = _status_kib()["VmHWM"]
    except OSError:
        return None
    del result
    return (after - before) * 1024


def peak_memory_traced(function: Callable[[], Any]) -> int:
    """Peak bytes allocated during ``function()`` as tracemalloc sees them (numpy and Python
    allocations; not pyarrow's own pool)."""
    gc.collect()
    tracemalloc.start()
    result = function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return peak


def report_memory(frame: pd.DataFrame, size: int) -> None:
    rss = peak_memory_rss(lambda: run_govern(frame, 1000))
    traced = peak_memory_traced(lambda: run_govern(frame, 1000))
    print("peak memory of the audit with 1,000 replicates, over the input columns (target < 3x):")
    if rss is not None:
        print(
            f"  resident-set high-water mark (VmHWM): {rss / 2**20:,.1f} MiB extra = "
            f"{rss / size:.2f}x"
        )
    print(
        f"  tracemalloc peak:                     {traced / 2**20:,.1f} MiB = {traced / size:.2f}x"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=None, help="rows (default 1,000,000)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs of the fast measurements (median reported)"
    )
    parser.add_argument(
        "--no-fairlearn", action="store_true", help="skip the fairlearn measurements (d) and (e)"
    )
    args = parser.parse_args(argv)

    rows = args.rows or (200_000 if args.quick else 1_000_000)
    subsample_sizes = (20_000, 40_000) if args.quick else (100_000, 200_000)
    boot_replicates = 3
    import fairlearn
    import sklearn

    from govern import __version__ as govern_version

    print(
        f"govern {govern_version}, fairlearn {fairlearn.__version__}, "
        f"scikit-learn {sklearn.__version__}, pandas {pd.__version__}, numpy {np.__version__}"
    )
    print(
        f"machine: {platform.machine()} {platform.processor() or platform.platform()}, "
        f"{os.cpu_count()} cores; python {platform.python_version()}"
    )
    print(f"rows: {rows:,}; attributes: sex (2), race (5), sex & race (10); y_true and y_pred")

    frame = make_data(rows)
    size = input_bytes(frame)
    print(f"input columns: {size / 2**20:,.1f} MiB ({', '.join(map(str, frame.dtypes))})")

    run_govern(frame.head(1000), 10)  # import and warm up the engine (small, little memory)
    # Memory first, before the timings have grown and fragmented the heap.
    report_memory(frame, size)

    minimum = minimum_replicates(frame.head(1000))
    bare = median_time(lambda: bare_pass(frame), args.repeat)
    govern_0 = median_time(lambda: run_govern(frame, minimum), args.repeat)
    govern_1000 = median_time(lambda: run_govern(frame, 1000), args.repeat)
    validate = median_time(lambda: evaluation_data(frame), args.repeat)
    prepared = evaluation_data(frame)
    from govern.audits.fairness import NumpyTableBuilder

    build = median_time(lambda: NumpyTableBuilder().build(prepared), args.repeat)
    fingerprint = median_time(
        # A fresh copy each time: the fingerprint is cached on the object.
        lambda: dataclasses.replace(prepared, _fingerprint=[]).fingerprint(),
        args.repeat,
    )
    print()
    print(f"measured on all rows (median of {args.repeat} runs):")
    print(f"  (a) bare pass (factorise + one bincount)       {bare * 1000:10.1f} ms")
    print(f"  (b) govern audit_fairness, n_boot={minimum}            {govern_0 * 1000:10.1f} ms")
    print(f"  (c) govern audit_fairness, n_boot=1000         {govern_1000 * 1000:10.1f} ms")
    print("  parts of (b)/(c):")
    print(f"      EvaluationData.from_frame (validation)     {validate * 1000:10.1f} ms")
    print(f"      NumpyTableBuilder.build (the table)        {build * 1000:10.1f} ms")
    print(
        f"  (f) EvaluationData.fingerprint() (not part of (b)/(c); audit run calls it) "
        f"{fingerprint * 1000:.1f} ms"
    )

    if args.no_fairlearn:
        print(f"  govern n_boot=1000 / bare pass: {govern_1000 / bare:.1f}x (target <= 10x)")
        return 0
    small, large = subsample_sizes
    mf_small = median_time(lambda: run_metricframe(frame.head(small)), 1)
    mf_large = median_time(lambda: run_metricframe(frame.head(large)), 1)
    # A straight line through the two measurements: a fixed cost plus a cost per row. Through the
    # origin would overstate fairlearn's time when the fixed cost is large.
    per_row = (mf_large - mf_small) / (large - small)
    mf_full = mf_small + per_row * (rows - small)
    print()
    print("fairlearn MetricFrame, same metrics over sex, race, sex & race:")
    print(f"  (d) measured on {small:>9,} rows                 {mf_small:10.2f} s")
    print(f"      measured on {large:>9,} rows                 {mf_large:10.2f} s")
    print(
        f"      scaling: {large / small:.1f}x the rows took {mf_large / mf_small:.2f}x the time; "
        f"fixed part {max(mf_small - per_row * small, 0.0):.2f} s, "
        f"{per_row * 1e6:.1f} s per million rows"
    )
    print(f"      EXTRAPOLATED to {rows:,} rows (line fit)  {mf_full:10.2f} s")

    boot_frame = frame.head(small)
    fl_boot = median_time(
        lambda: run_metricframe(
            boot_frame, n_boot=boot_replicates, ci_quantiles=[0.025, 0.975], random_state=0
        ),
        1,
    )
    per_replicate = max(fl_boot - mf_small, 0.0) / boot_replicates
    print(
        f"  (e) fairlearn MetricFrame(n_boot={boot_replicates}) on {small:,} rows: "
        f"{fl_boot:.2f} s measured ({mf_small:.2f} s of it without replicates), "
        f"{per_replicate:.2f} s per replicate"
    )
    print(
        f"      EXTRAPOLATED (linear in replicates): 100 replicates on {small:,} rows "
        f"{mf_small + 100 * per_replicate:.1f} s; 1,000 replicates on {rows:,} rows "
        f"{(mf_small + 1000 * per_replicate) * mf_full / mf_small / 3600:.2f} h"
    )
    print(f"      govern, 1,000 replicates on all {rows:,} rows, measured: {govern_1000:.2f} s")

    print()
    print("ratios:")
    print(
        f"  MetricFrame (extrapolated) / govern n_boot={minimum}:   {mf_full / govern_0:10.0f}x "
        "(target >= 300x)"
    )
    print(f"  MetricFrame (extrapolated) / govern n_boot=1000: {mf_full / govern_1000:9.0f}x")
    print(
        f"  govern n_boot=1000 / bare pass:                {govern_1000 / bare:10.1f}x "
        "(target <= 10x)"
    )
    print(f"  govern n_boot={minimum} / bare pass:                   {govern_0 / bare:10.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
