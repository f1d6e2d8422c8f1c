"""End-to-end cost of ``govern audit fairness``, against the reference measured in the same run.

Two questions, each answered as a ratio of medians:

1. **Reading dominates.** On a 1,000,000-row CSV (the recruitment generator's twelve columns),
   the audit of two attributes and their intersection with the default 1,000 replicates, against
   ``pandas.read_csv`` of the same file alone: in process (``audit_fairness(path)`` and its text
   table vs ``read_csv(path)``) and as commands (``govern audit fairness ...`` vs
   ``python -c "import pandas; pandas.read_csv(path)"``, each a fresh process). Target: <= 1.5x.
2. **Many groups stay cheap.** 20,000 rows in 5,000 groups against the same rows in 5 groups,
   ``govern audit fairness`` with its default output. Target: <= 3x.

Usage::

    .venv/bin/python benchmarks/bench_audit_command.py            # about a minute
    .venv/bin/python benchmarks/bench_audit_command.py --repeat 3 --cache /tmp/govern-bench

The data is generated once into the cache folder (default: a temporary folder).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def command(*args: str) -> Callable[[], object]:
    return lambda: subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def recruitment_csv(folder: Path, rows: int) -> Path:
    path = folder / f"recruitment-{rows}.csv"
    if not path.exists():
        subprocess.run(
            [
                str(BIN / "govern"),
                "datasets",
                "generate",
                "recruitment",
                "--rows",
                str(rows),
                "--seed",
                "1",
                "--out",
                str(path),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return path


def groups_csv(folder: Path, rows: int, groups: int) -> Path:
    import numpy as np
    import pandas as pd

    path = folder / f"groups-{groups}-{rows}.csv"
    if not path.exists():
        rng = np.random.default_rng(groups)
        pd.DataFrame(
            {
                "decision": rng.integers(0, 2, rows),
                "group": [f"g{i}" for i in rng.integers(0, groups, rows)],
            }
        ).to_csv(path, index=False)
    return path


def reading_dominates(folder: Path, repeat: int) -> None:
    import pandas as pd

    from govern.audits.fairness import audit_fairness
    from govern.audits.fairness.summary import render_text

    path = recruitment_csv(folder, 1_000_000)
    options = {"y_pred": "hired", "sensitive": ["sex", "ethnicity"], "intersections": True}
    read = median_seconds(lambda: pd.read_csv(path), repeat)
    audit = median_seconds(lambda: render_text(audit_fairness(str(path), **options)), repeat)
    read_cmd = median_seconds(
        command(str(BIN / "python"), "-c", f"import pandas; pandas.read_csv({str(path)!r})"),
        repeat,
    )
    audit_cmd = median_seconds(
        command(
            str(BIN / "govern"),
            "audit",
            "fairness",
            "--data",
            str(path),
            "--y-pred",
            "hired",
            "--sensitive",
            "sex,ethnicity",
            "--intersect",
        ),
        repeat,
    )
    print(f"1. 1,000,000-row CSV ({path.stat().st_size / 2**20:.0f} MiB, 12 columns)")
    print(
        f"   in process: read_csv {read * 1000:.0f} ms, audit_fairness + table "
        f"{audit * 1000:.0f} ms -> {audit / read:.2f}x (target <= 1.5x)"
    )
    print(
        f"   commands:   python -c read_csv {read_cmd * 1000:.0f} ms, govern audit fairness "
        f"{audit_cmd * 1000:.0f} ms -> {audit_cmd / read_cmd:.2f}x (target <= 1.5x)"
    )


def many_groups(folder: Path, repeat: int) -> None:
    times = {}
    for groups in (5, 5000):
        path = groups_csv(folder, 20_000, groups)
        times[groups] = median_seconds(
            command(
                str(BIN / "govern"),
                "audit",
                "fairness",
                "--data",
                str(path),
                "--y-pred",
                "decision",
                "--sensitive",
                "group",
            ),
            repeat,
        )
    print("2. 20,000 rows, govern audit fairness (default output, 1,000 replicates)")
    print(
        f"   5 groups {times[5] * 1000:.0f} ms, 5,000 groups {times[5000] * 1000:.0f} ms -> "
        f"{times[5000] / times[5]:.2f}x (target <= 3x)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=None, help="folder for generated data")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="govern-bench-") as scratch:
        folder = args.cache or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        reading_dominates(folder, args.repeat)
        many_groups(folder, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
