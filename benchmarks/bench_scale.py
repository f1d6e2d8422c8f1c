"""Benchmark of the DuckDB and Spark sources against each engine's own floor, on Parquet files.

Run from the repository root::

    .venv/bin/python benchmarks/bench_scale.py --engine duckdb            # 100,000,000 rows
    .venv/bin/python benchmarks/bench_scale.py --engine spark
    .venv/bin/python benchmarks/bench_scale.py --engine duckdb --rows 2000000 --repeat 1  # smoke

The data (generated once by DuckDB into ``--cache``, default ``~/.cache/govern-bench``, outside
the repository; about 7 MB per million rows): ``decision`` and ``outcome`` (0/1 integers),
``sex`` (two values, 3% missing), ``region`` (five values) and ``score`` (1,001 distinct values
in [0, 1], so the bins are numpy's quantiles, not one per value), in Parquet files of 10 million
rows each.

Measured, in the same run, medians of ``--repeat`` runs:

- the floor: the engine's own ``COUNT(*) ... GROUP BY`` over the same five columns of the same
  files (DuckDB SQL; Spark ``groupBy(...).count()``), the least any exact table needs;
- the audit: ``audit_fairness`` of the two attributes and their intersection with outcomes and
  scores (``n_boot=0``: the bootstrap runs on the table, whatever the rows), through the
  engine's data source, including its checks, score bins and fingerprint;
- the ratio audit / floor (targets: DuckDB within 3x, Spark within 2x), and for DuckDB the peak
  resident memory of the process that ran the audit (target under 2 GiB).

Each DuckDB measurement runs in a fresh process (so its peak memory is its own); Spark's run in
one local session (``local[*]``, started once, not timed), alternating floor and audit.

Recommendation logs (``--log``)::

    .venv/bin/python benchmarks/bench_scale.py --log learning_pathways       # 10,000,000 rows
    .venv/bin/python benchmarks/bench_scale.py --log talent_shortlist        # the item side
    .venv/bin/python benchmarks/bench_scale.py --log learning_pathways --units 200000 --repeat 1

The log is written once by ``govern datasets generate`` into the cache as one Parquet file
(``--units`` employees x their top 5 courses, or posts x 20 ranked candidates: 2,000,000 and
500,000 by default, 10 million rows each). Measured in the same run, each in a fresh process,
alternating: the per-user reduction (``user_table``: reading the named columns, every check of
rule 1, the per-user statistics, labels and fingerprint) by the pandas source and by the
DuckDB source, and DuckDB's own floor, ``SELECT COUNT(*) ... GROUP BY user`` over the same
file; then the ratios DuckDB / pandas and DuckDB / floor, and each process's peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

COLUMNS = ["sex", "region", "outcome", "decision", "score"]
FILE_ROWS = 10_000_000
GIB = 2**30


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "govern-bench"


def data_folder(cache: Path, rows: int) -> Path:
    return cache / f"scale-{rows}"


def generate(folder: Path, rows: int) -> None:
    """Write the data once (deterministic: every value is a hash of the row number)."""
    import duckdb

    if (folder / "_READY").exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(config={"memory_limit": "1GB"})
    for part, start in enumerate(range(0, rows, FILE_ROWS)):
        stop = min(start + FILE_ROWS, rows)
        target = folder / f"part-{part:03d}.parquet"
        connection.execute(
            f"""
            COPY (
              SELECT
                CASE WHEN hash(i, 's') % 100 < 3 THEN NULL
                     WHEN hash(i, 'x') % 2 = 0 THEN 'female' ELSE 'male' END AS sex,
                ['north', 'south', 'east', 'west', 'centre'][CAST(hash(i, 'r') % 5 AS BIGINT) + 1]
                  AS region,
                CAST(hash(i, 'o') % 100 < 50 AS TINYINT) AS outcome,
                CAST(hash(i, 'd') % 1000 < 200 + (hash(i, 'c') % 1001) * 0.5 AS TINYINT)
                  AS decision,
                (hash(i, 'c') % 1001) / 1000.0 AS score
              FROM range({start}, {stop}) AS t(i)
            ) TO '{target}' (FORMAT parquet, COMPRESSION zstd)
            """
        )
    connection.close()
    # Spark skips files whose names start with "_" when it reads the folder.
    (folder / "_READY").write_text(str(rows))


def audit_options() -> dict[str, Any]:
    return {
        "y_pred": "decision",
        "y_true": "outcome",
        "score": "score",
        "sensitive": ["sex", "region"],
        "intersections": True,
        "n_boot": 0,
    }


# -- DuckDB: one measurement per process --------------------------------------------------------


def measure_duckdb(kind: str, pattern: str) -> dict[str, float]:
    """Run one measurement here and report its time and this process's peak memory."""
    import duckdb

    # Imports and first-call costs are not the audit's: warm them on a tiny frame, untimed.
    import pandas as pd

    from govern.audits.fairness import audit_fairness
    from govern.audits.sources.duckdb import DuckDBSource

    tiny = pd.DataFrame({c: [0, 1] for c in COLUMNS}).assign(sex=["f", "m"], region=["n", "s"])
    audit_fairness(DuckDBSource(tiny), **audit_options())
    started = time.perf_counter()
    if kind == "floor":
        connection = duckdb.connect(config={"memory_limit": "1GB"})
        keys = ", ".join(COLUMNS)
        connection.execute(
            f"SELECT {keys}, COUNT(*) FROM read_parquet('{pattern}') GROUP BY {keys}"
        ).fetchall()
        n_rows = 0
    else:
        evidence = audit_fairness(DuckDBSource(pattern), **audit_options())
        n_rows = evidence.n_rows
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    return {"seconds": seconds, "peak_bytes": peak, "n_rows": n_rows}


def run_child(kind: str, pattern: str, log: str | None = None) -> dict[str, float]:
    extra = ["--log", log] if log else []
    done = subprocess.run(
        [sys.executable, __file__, "--measure", kind, "--pattern", pattern, *extra],
        capture_output=True,
        text=True,
        check=True,
        cwd="/tmp",  # never import the repository's folders in place of the installed package
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def bench_duckdb(pattern: str, repeat: int) -> None:
    floors, audits, peaks = [], [], []
    for _ in range(repeat):
        floors.append(run_child("floor", pattern)["seconds"])
        audit = run_child("audit", pattern)
        audits.append(audit["seconds"])
        peaks.append(audit["peak_bytes"])
    floor, audited = statistics.median(floors), statistics.median(audits)
    print(f"DuckDB COUNT(*) GROUP BY (floor): {floor:.2f} s  (runs: {_runs(floors)})")
    print(f"govern audit, DuckDB source:      {audited:.2f} s  (runs: {_runs(audits)})")
    print(f"ratio audit / floor:              {audited / floor:.2f}x  (target <= 3x)")
    print(f"peak memory of the audit process: {max(peaks) / GIB:.2f} GiB  (target < 2 GiB)")


# -- Spark: one session ----------------------------------------------------------------------


def bench_spark(folder: Path, repeat: int) -> None:
    from pyspark.sql import SparkSession

    from govern.audits.fairness import audit_fairness
    from govern.audits.sources.spark import SparkSource

    spark = (
        SparkSession.builder.master("local[*]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "4g")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    path = str(folder)
    spark.read.parquet(path).groupBy(*COLUMNS).count().collect()  # warm up the JVM, not timed
    floors, audits = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        spark.read.parquet(path).groupBy(*COLUMNS).count().collect()
        floors.append(time.perf_counter() - started)
        started = time.perf_counter()
        audit_fairness(SparkSource(spark.read.parquet(path)), **audit_options())
        audits.append(time.perf_counter() - started)
    spark.stop()
    floor, audited = statistics.median(floors), statistics.median(audits)
    print(f"Spark groupBy().count() (floor):  {floor:.2f} s  (runs: {_runs(floors)})")
    print(f"govern audit, Spark source:       {audited:.2f} s  (runs: {_runs(audits)})")
    print(f"ratio audit / floor:              {audited / floor:.2f}x  (target <= 2x)")


# -- recommendation logs: the per-user reduction, pandas against DuckDB ----------------------------

# What each log's audit reads: the users' side of a learning-pathway log, the items' side of a
# talent list (candidates' sex: exposure, merit and NDKL need each list's top 5 in rank order).
LOGS: dict[str, dict[str, Any]] = {
    "learning_pathways": {
        "units": 2_000_000,
        "roles": {
            "user": "employee_id",
            "rank": "rank",
            "k": 5,
            "sensitive": ["sex", "ethnicity"],
            "item_category": "course_category",
            "outcome": "enrolled",
        },
    },
    "talent_shortlist": {
        "units": 500_000,
        "roles": {
            "user": "post_id",
            "rank": "rank",
            "k": 5,
            "item_sensitive": "candidate_sex",
            "outcome": "qualified",
        },
    },
}


def generate_log(cache: Path, log: str, units: int) -> Path:
    """The log as one Parquet file, written once by ``govern datasets generate``."""
    path = cache / f"{log}-{units}.parquet"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        govern = Path(sys.executable).parent / "govern"
        partial = path.with_suffix(".partial.parquet")
        subprocess.run(
            [str(govern), "datasets", "generate", log, "--rows", str(units), "--out", str(partial)],
            check=True,
            cwd="/tmp",
        )
        partial.rename(path)
    return path


def measure_log(kind: str, path: str, log: str) -> dict[str, float]:
    """One reduction (or the floor) here, with this process's peak memory."""
    import duckdb

    from govern.audits.sources.duckdb import DuckDBSource
    from govern.audits.sources.pandas import PandasSource
    from govern.audits.sources.ranking import RankingRoles

    roles = RankingRoles.of(**LOGS[log]["roles"])
    # First-call costs are not the reduction's: warm both sources on 50 rows, untimed.
    tiny = duckdb.sql(f"SELECT * FROM read_parquet('{path}') LIMIT 50").df()
    PandasSource(tiny).user_table(roles)
    DuckDBSource(tiny).user_table(roles)
    del tiny
    before = _resident_bytes()
    started = time.perf_counter()
    n_users = 0
    if kind == "floor":
        connection = duckdb.connect(config={"memory_limit": "1GB"})
        user = roles.user
        connection.sql(f"SELECT COUNT(*) FROM read_parquet('{path}') GROUP BY {user}").fetchnumpy()
    else:
        source = PandasSource(path) if kind == "pandas" else DuckDBSource(path)
        n_users = source.user_table(roles).n_users
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    return {"seconds": seconds, "peak_bytes": peak, "before_bytes": before, "n_users": n_users}


def _resident_bytes() -> float:
    """The process's resident memory now (VmRSS), to tell the imports' share of the peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1]) * 1024
    return float("nan")


def bench_log(path: Path, log: str, repeat: int) -> None:
    runs: dict[str, list[dict[str, float]]] = {"floor": [], "pandas": [], "duckdb": []}
    for _ in range(repeat):
        for kind in runs:
            runs[kind].append(run_child(kind, str(path), log))
    seconds = {kind: statistics.median(r["seconds"] for r in found) for kind, found in runs.items()}
    peaks = {kind: max(r["peak_bytes"] for r in found) for kind, found in runs.items()}
    users = {int(r["n_users"]) for kind in ("pandas", "duckdb") for r in runs[kind]}
    assert len(users) == 1, f"the sources found different numbers of users: {users}"

    def line(label: str, kind: str) -> str:
        times = ", ".join(f"{r['seconds']:.2f}" for r in runs[kind])
        before = max(r["before_bytes"] for r in runs[kind])
        return (
            f"{label:<48}{seconds[kind]:7.2f} s  (runs: {times}); peak memory "
            f"{peaks[kind] / GIB:.2f} GiB ({before / GIB:.2f} GiB before it: imports)"
        )

    print(f"{users.pop():,} users (lists); roles: {LOGS[log]['roles']}")
    print(line("DuckDB COUNT(*) GROUP BY user (floor):", "floor"))
    print(line("user_table, pandas source (reads + reduces):", "pandas"))
    print(line("user_table, DuckDB source (one GROUP BY user):", "duckdb"))
    for label, ratio in (
        ("DuckDB / pandas", seconds["duckdb"] / seconds["pandas"]),
        ("DuckDB / DuckDB's floor", seconds["duckdb"] / seconds["floor"]),
    ):
        print(f"ratio {label + ':':<42}{ratio:7.2f}x")


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=default_cache())
    parser.add_argument("--log", choices=sorted(LOGS), help="benchmark a recommendation log")
    parser.add_argument("--units", type=int, help="employees or posts of --log")
    parser.add_argument(
        "--measure", choices=["floor", "audit", "pandas", "duckdb"], help=argparse.SUPPRESS
    )
    parser.add_argument("--pattern", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure and args.log:
        print(json.dumps(measure_log(args.measure, args.pattern, args.log)))
        return
    if args.measure:
        print(json.dumps(measure_duckdb(args.measure, args.pattern)))
        return
    if args.log:
        started = time.perf_counter()
        units = args.units or LOGS[args.log]["units"]
        path = generate_log(args.cache.expanduser(), args.log, units)
        print(
            f"{args.log}: {path} ({path.stat().st_size / GIB:.2f} GiB of Parquet; ready in "
            f"{time.perf_counter() - started:.0f} s); Python {platform.python_version()}, "
            f"{os.cpu_count()} cores"
        )
        bench_log(path, args.log, args.repeat)
        return
    folder = data_folder(args.cache.expanduser(), args.rows)
    started = time.perf_counter()
    generate(folder, args.rows)
    size = sum(p.stat().st_size for p in folder.glob("*.parquet"))
    print(
        f"{args.rows:,} rows in {folder} ({size / GIB:.2f} GiB of Parquet; ready in "
        f"{time.perf_counter() - started:.0f} s); Python {platform.python_version()}, "
        f"{os.cpu_count()} cores"
    )
    if args.engine == "duckdb":
        bench_duckdb(str(folder / "*.parquet"), args.repeat)
    else:
        bench_spark(folder, args.repeat)


if __name__ == "__main__":
    main()
