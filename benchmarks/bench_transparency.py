"""Cost of the whole transparency audit against scikit-learn's permutation importance alone.

On 100,000 people x 30 inputs and a ``HistGradientBoostingClassifier`` (scikit-learn's defaults),
the question is whether everything ``govern audit transparency`` measures (direct use, every
single-input proxy with its interval, the combined proxy classifier with cross-validation and
its carriers, the permutation importance on the model's decisions and on accuracy with intervals,
the group profiles, the proxies' share, consistency and the Theil index) costs at most 1.5x
``sklearn.inspection.permutation_importance`` with 5 repeats on the same model and data. Both
are measured in the same run, alternately, and the script checks that the audit's accuracy
importances are scikit-learn's numbers.

Run from the repository root::

    .venv/bin/python benchmarks/bench_transparency.py               # 100,000 rows (15-20 minutes)
    .venv/bin/python benchmarks/bench_transparency.py --rows 20000  # a quicker look
    .venv/bin/python benchmarks/bench_transparency.py --repeat 3    # medians of 3 runs each

The data: 22 continuous inputs and 8 integer-coded ones with 3 to 12 levels; ``sex`` (2 groups)
and ``ethnicity`` (5 groups); the outcome depends on five of the inputs. Two inputs (one of each
kind) are planted proxies for ethnicity. The model is trained on another 100,000 people.

Peak memory is the extra resident set at the peak of each timed run (``VmHWM`` reset through
``/proc/self/clear_refs`` before it; Linux only), so it costs no extra runs; ``--traced`` adds a
``tracemalloc`` measurement of each (numpy and Python allocations) in separate runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_fairness import peak_memory_rss, peak_memory_traced

TARGET_RATIO = 1.5
REPEATS = 5
ETHNICITIES = np.array(["white", "asian", "black", "mixed", "other"])
ETHNICITY_SHARES = (0.74, 0.11, 0.08, 0.04, 0.03)


def make_data(rows: int, seed: int) -> pd.DataFrame:
    """People with 30 inputs, two sensitive attributes and an outcome."""
    rng = np.random.default_rng(seed)
    ethnicity = rng.choice(ETHNICITIES, rows, p=ETHNICITY_SHARES)
    code = np.searchsorted(np.sort(ETHNICITIES), ethnicity)
    columns: dict[str, Any] = {}
    for i in range(22):
        columns[f"x{i}"] = rng.normal(size=rows)
    columns["x0"] = columns["x0"] + 0.8 * (ethnicity == "black")  # a numeric proxy
    for i in range(8):
        levels = 3 + i + (i > 4) * 2
        columns[f"c{i}"] = rng.integers(0, levels, rows)
    # A coded area: people of each group live mostly in "their" areas.
    columns["c0"] = np.where(rng.random(rows) < 0.6, code % 3, columns["c0"])
    frame = pd.DataFrame(columns)
    merit = frame[["x1", "x2", "x3"]].sum(axis=1) + 0.3 * frame["c1"] - 0.5 * frame["x0"]
    frame["hired"] = (merit + rng.normal(size=rows) > 0.5).astype(int)
    frame["sex"] = rng.choice(["female", "male"], rows)
    frame["ethnicity"] = ethnicity
    return frame


@dataclass
class Run:
    """One timed call: wall-clock and CPU seconds, the extra resident bytes at its peak."""

    wall: float
    cpu: float
    peak: int | None
    result: Any = field(repr=False)


def timed(function: Callable[[], Any]) -> Run:
    box: dict[str, Any] = {}

    def run() -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        box["result"] = function()
        box["wall"], box["cpu"] = time.perf_counter() - wall, time.process_time() - cpu
        return None

    peak = peak_memory_rss(run)
    if "result" not in box:  # no /proc: time it without the memory figure
        run()
    return Run(box["wall"], box["cpu"], peak, box["result"])


class CountedModel:
    """The model, with the time spent in its ``predict`` counted (the audit's other steps are
    the rest of its time)."""

    def __init__(self, model: Any) -> None:
        self.model, self.seconds, self.calls = model, 0.0, 0
        self.feature_names_in_ = model.feature_names_in_

    def predict(self, frame: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.model.predict(frame)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--traced", action="store_true", help="also measure with tracemalloc")
    args = parser.parse_args(argv)

    import sklearn
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.inspection import permutation_importance

    from govern.audits.transparency import TransparencySettings, transparency_evidence

    train, audit = make_data(args.rows, seed=1), make_data(args.rows, seed=2)
    features = [c for c in audit.columns if c.startswith(("x", "c"))]
    print(
        f"{args.rows:,} people x {len(features)} inputs; Python {platform.python_version()}, "
        f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    start = time.perf_counter()
    model = HistGradientBoostingClassifier(random_state=0).fit(train[features], train["hired"])
    print(f"model trained in {time.perf_counter() - start:.1f} s ({model.n_iter_} iterations)")
    X, y = audit[features], audit["hired"].to_numpy()
    settings = TransparencySettings(n_repeats=REPEATS, seed=0)

    def reference() -> Any:
        return permutation_importance(
            model, X, y, scoring="accuracy", n_repeats=REPEATS, random_state=0
        )

    counted = CountedModel(model)

    def govern() -> Any:
        return transparency_evidence(
            counted,
            audit,
            features=features,
            sensitive=["sex", "ethnicity"],
            y_true=y,
            settings=settings,
        )

    runs: dict[str, list[Run]] = {"reference": [], "govern": []}
    for _ in range(args.repeat):
        runs["reference"].append(timed(reference))
        runs["govern"].append(timed(govern))
    theirs, evidence = runs["reference"][-1].result, runs["govern"][-1].result
    found = {f.feature: f.importance for f in evidence.accuracy_importance}
    equal = found == dict(zip(features, theirs.importances_mean, strict=True))
    report(runs, counted, args.repeat)
    print(f"accuracy importances equal to scikit-learn's, bit for bit: {equal}")
    input_mib = X.memory_usage(index=False).sum() / 2**20
    print(
        f"peak memory (extra resident set, VmHWM, largest of the runs), inputs {input_mib:.1f} MiB:"
    )
    for name, values in runs.items():
        peaks = [r.peak for r in values if r.peak is not None]
        print(f"  {name:<9} " + (f"{max(peaks) / 2**20:,.1f} MiB" if peaks else "not available"))
    if args.traced:
        for name, function in (("reference", reference), ("govern", govern)):
            print(f"  {name:<9} tracemalloc peak {peak_memory_traced(function) / 2**20:,.1f} MiB")
    wall = statistics.median(r.wall for r in runs["govern"]) / statistics.median(
        r.wall for r in runs["reference"]
    )
    return 0 if wall <= TARGET_RATIO and equal else 1


def report(runs: dict[str, list[Run]], counted: CountedModel, repeat: int) -> None:
    """Medians of the runs, the ratios, and how the audit's time divides."""
    wall = {name: statistics.median(r.wall for r in values) for name, values in runs.items()}
    cpu = {name: statistics.median(r.cpu for r in values) for name, values in runs.items()}
    print(f"medians of {repeat} run(s), wall-clock (CPU of all threads):")
    print(
        f"  scikit-learn permutation_importance, {REPEATS} repeats: {wall['reference']:.1f} s "
        f"({cpu['reference']:.1f} s)"
    )
    print(
        f"  govern transparency audit, everything:          {wall['govern']:.1f} s "
        f"({cpu['govern']:.1f} s)"
    )
    predicting = counted.seconds / repeat
    print(
        f"    of which the model's predictions ({counted.calls // repeat} calls, as many as "
        f"scikit-learn makes): {predicting:.1f} s; every other step: "
        f"{wall['govern'] - predicting:.1f} s"
    )
    for label, times in (("wall-clock", wall), ("CPU", cpu)):
        ratio = times["govern"] / times["reference"]
        verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
        print(
            f"ratio govern / scikit-learn, {label}: {ratio:.2f}x "
            f"(target <= {TARGET_RATIO}x: {verdict})"
        )


if __name__ == "__main__":
    raise SystemExit(main())
