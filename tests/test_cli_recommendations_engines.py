"""``--engine`` on ``govern audit recommendations``: the same tidy rows, to 1e-12, from pandas,
DuckDB and Spark on the same recommendation log, the engine named in the output, the same
verdicts with a policy. Hostile input on every engine: ``tests/test_cli_audit_recommendations``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from govern.cli.main import main
from govern.datasets import learning_pathways, talent_shortlist

pytest.importorskip("duckdb")

# A learning-pathway log (users, a category, an outcome, two attributes and their intersection)
# and a talent list (candidates' groups: exposure, merit, NDKL), each with its columns.
LOGS = {
    "pathways": [
        "--user", "employee_id", "--rank", "rank", "--k", "3", "--sensitive", "sex,ethnicity",
        "--intersect", "--item-category", "course_category", "--outcome", "enrolled",
    ],
    "shortlists": [
        "--user", "post_id", "--rank", "rank", "--k", "5", "--item-sensitive", "candidate_sex",
        "--outcome", "qualified",
    ],
}  # fmt: skip
MEASURE = ["--bootstrap", "200", "--seed", "3", "--min-group-size", "10", "--format", "json"]


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each log as one CSV file and as a folder of three Parquet files (rows interleaved)."""
    folder = tmp_path_factory.mktemp("logs")
    frames = {
        "pathways": learning_pathways(400, seed=5, disparity=0.4),
        "shortlists": talent_shortlist(80, seed=5, disparity=0.4),
    }
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
        (folder / name).mkdir()
        for i in range(3):
            frame.iloc[i::3].to_parquet(folder / name / f"part-{i}.parquet", index=False)
    return folder


def _audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main(["audit", "recommendations", *args])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    return code, json.loads(captured.out)


def _ranking(audit: dict[str, Any]) -> dict[str, Any]:
    return dict(audit["evidence"]["ranking"])


def _same_rows(found: dict[str, Any], expected: dict[str, Any]) -> None:
    mine, theirs = _ranking(found), _ranking(expected)
    left, right = (pd.DataFrame([*e["metrics"], *e["disparities"]]) for e in (mine, theirs))
    assert len(left) > 10
    pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=0, atol=1e-12)
    for field in ("groups", "item_groups", "unknown_counts", "n_users", "n_rows", "categories"):
        assert mine[field] == theirs[field], field


@pytest.mark.parametrize("log", list(LOGS))
def test_duckdb_gives_the_pandas_rows(
    log: str, logs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, expected = _audit(capsys, "--data", str(logs / f"{log}.csv"), *LOGS[log], *MEASURE)
    assert _ranking(expected)["engine"] == "pandas"
    assert expected["data"]["method"] == "rows-sha256"
    _, found = _audit(
        capsys, "--data", str(logs / f"{log}.csv"), *LOGS[log], *MEASURE, "--engine", "duckdb"
    )
    assert _ranking(found)["engine"] == "duckdb"
    assert found["data"]["method"].startswith("duckdb-hash-sum/")
    assert found["data"]["source"] == f"{log}.csv"
    _same_rows(found, expected)
    # A folder needs no --engine: the default rule sends it to DuckDB; a quoted glob too.
    for data in (logs / log, logs / log / "part-*.parquet"):
        _, auto = _audit(capsys, "--data", str(data), *LOGS[log], *MEASURE)
        assert _ranking(auto)["engine"] == "duckdb"
        _same_rows(auto, expected)
        # The fingerprint of DuckDB's order-free method is the same for the CSV file and the
        # three Parquet files holding the same rows.
        assert auto["data"]["sha256"] == found["data"]["sha256"]


def test_with_a_policy_every_engine_gives_the_same_verdicts(
    logs: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = [
        "--user", "employee_id", "--rank", "rank", "--k", "3", "--sensitive", "sex",
        "--item-category", "course_category", "--category", "leadership", "--outcome",
        "enrolled", "--policy", "recommendation-fairness",
    ]  # fmt: skip
    results = {}
    for engine in ("pandas", "duckdb"):
        out = tmp_path / engine
        code, audit = _audit(
            capsys, "--data", str(logs / "pathways.csv"), *args, "--format", "json",
            "--engine", engine, "--out", str(out),
        )  # fmt: skip
        results[engine] = (code, audit)
        assert json.loads((out / "audit.json").read_text())["evidence"]["ranking"]["engine"] == (
            engine
        )
    (code, pandas), (duckdb_code, duckdb) = results["pandas"], results["duckdb"]
    assert code == duckdb_code == 1  # the planted disparity fails the policy
    verdicts = [[(r["rule_id"], r["verdict"], r["group"]) for r in a["policy"]["rules"]]
                for a in (pandas, duckdb)]  # fmt: skip
    assert verdicts[0] == verdicts[1]
    _same_rows(duckdb, pandas)


@pytest.mark.slow
def test_spark_gives_the_pandas_rows(
    spark: object, logs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for log, columns in LOGS.items():
        _, expected = _audit(capsys, "--data", str(logs / f"{log}.csv"), *columns, *MEASURE)
        _, found = _audit(
            capsys, "--data", str(logs / log), *columns, *MEASURE, "--engine", "spark"
        )
        assert _ranking(found)["engine"] == "spark"
        assert found["data"]["method"] == "spark-xxhash64-sum"
        _same_rows(found, expected)
