"""``--engine`` on ``govern audit fairness``: the same JSON rows from every engine, the engine
named in the output, and bad input (no matching files, a missing engine) as exit 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from datasource_contract import contract_records

from govern.audits.sources.duckdb import NO_FILES
from govern.audits.sources.extras import MISSING_ENGINE
from govern.cli.main import main

pytest.importorskip("duckdb")

ARGS = [
    "--y-pred", "decision", "--y-true", "outcome", "--score", "fine_score",
    "--sample-weight", "weight", "--sensitive", "sex,region", "--intersect",
    "--bootstrap", "30", "--min-group-size", "5", "--format", "json",
]  # fmt: skip


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The contract records as one CSV file and as a folder of three Parquet files."""
    folder = tmp_path_factory.mktemp("logs")
    frame = pd.DataFrame(contract_records())
    frame.to_csv(folder / "all.csv", index=False)
    (folder / "parts").mkdir()
    for i in range(3):
        frame.iloc[i::3].to_parquet(folder / "parts" / f"part-{i}.parquet", index=False)
    return folder


def _audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = main(["audit", "fairness", *args])
    captured = capsys.readouterr()
    payload = json.loads(captured.out) if code == 0 else None
    return code, payload, captured.err


def _fairness(audit: dict[str, Any]) -> dict[str, Any]:
    return dict(audit["evidence"]["fairness"])


def _same_rows(found: dict[str, Any], expected: dict[str, Any]) -> None:
    mine, theirs = _fairness(found), _fairness(expected)
    for part in ("metrics", "disparities"):
        left, right = pd.DataFrame(mine[part]), pd.DataFrame(theirs[part])
        pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=0, atol=1e-12)
    assert mine["groups"] == theirs["groups"]
    assert found["data"]["n_rows"] == expected["data"]["n_rows"]


def test_duckdb_on_a_glob_gives_the_pandas_rows(
    logs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, expected, err = _audit(capsys, "--data", str(logs / "all.csv"), *ARGS)
    assert code == 0, err
    assert _fairness(expected)["engine"] == "pandas"
    assert expected["data"]["method"] == "rows-sha256"
    glob = str(logs / "parts" / "*.parquet")
    code, found, err = _audit(capsys, "--data", glob, "--engine", "duckdb", *ARGS)
    assert code == 0, err
    assert _fairness(found)["engine"] == "duckdb"
    assert found["data"]["method"].startswith("duckdb-hash-sum/")
    _same_rows(found, expected)
    # A folder needs no --engine: the default rule sends it to DuckDB.
    code, auto, err = _audit(capsys, "--data", str(logs / "parts"), *ARGS)
    assert code == 0, err
    assert _fairness(auto)["engine"] == "duckdb"
    _same_rows(auto, expected)


@pytest.mark.slow
def test_spark_on_a_folder_gives_the_pandas_rows(
    logs: Path, spark: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, expected, _ = _audit(capsys, "--data", str(logs / "all.csv"), *ARGS)
    code, found, err = _audit(capsys, "--data", str(logs / "parts"), "--engine", "spark", *ARGS)
    assert code == 0, err
    assert _fairness(found)["engine"] == "spark"
    assert found["data"]["method"] == "spark-xxhash64-sum"
    _same_rows(found, expected)


def test_bad_engine_input_is_exit_2_with_a_message(
    logs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pattern = str(logs / "nothing-*.parquet")
    code, _, err = _audit(capsys, "--data", pattern, "--engine", "duckdb", *ARGS)
    assert code == 2
    assert err == f"govern: error: {NO_FILES.format(pattern=pattern)}\n"
    code, _, err = _audit(capsys, "--data", str(logs / "all.csv"), "--engine", "pandas",
                          "--y-pred", "decison", "--sensitive", "sex")  # fmt: skip
    assert code == 2 and "Did you mean 'decision'?" in err
    code, _, err = _audit(capsys, "--data", str(logs / "all.csv"), "--engine", "polars", *ARGS)
    assert code == 2 and "Invalid value for '--engine'" in err
    monkeypatch.setitem(sys.modules, "duckdb", None)
    code, _, err = _audit(capsys, "--data", str(logs / "all.csv"), "--engine", "duckdb", *ARGS)
    assert code == 2
    message = MISSING_ENGINE.format(engine="duckdb", module="duckdb", extra="duckdb")
    assert err == f"govern: error: {message}\n"
    assert "Traceback" not in err


def test_help_states_the_default_rule(capsys: pytest.CaptureFixture[str]) -> None:
    main(["audit", "fairness", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "auto (the default) uses Spark for a Spark DataFrame, DuckDB for a folder, a glob or a"
        in (text)
    )
    assert "GOVERN_DUCKDB_MEMORY_LIMIT (default 1GB)" in text
