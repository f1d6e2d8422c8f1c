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


def run_child(kind: str, pattern: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", kind, "--pattern", pattern],
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


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=default_cache())
    parser.add_argument("--measure", choices=["floor", "audit"], help=argparse.SUPPRESS)
    parser.add_argument("--pattern", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure_duckdb(args.measure, args.pattern)))
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
