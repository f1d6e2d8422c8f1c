"""DuckDB and Spark sources: the shared contract, files of every shape, the fingerprint, refusals.

Each source is held to ``tests/datasource_contract.py``: the pandas source's table and tidy rows
to 1e-12 for single attributes, intersections, weights, exact and quantile score bins and
unknown values. Score bins are also compared bit for bit with numpy on data chosen to make
interpolation, even counts and weighted medians matter.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from datasource_contract import CONFIGURATIONS, check_source, check_table, contract_records

from govern.audits.fairness import audit_fairness
from govern.audits.fairness.table import score_bins
from govern.audits.sources import Roles
from govern.audits.sources import choose as choosing
from govern.audits.sources.choose import choose_engine, open_source
from govern.audits.sources.duckdb import EMPTY_FOLDER, NO_FILES, DuckDBSource
from govern.audits.sources.extras import MISSING_ENGINE, MissingEngineError
from govern.audits.sources.pandas import PandasSource
from govern.audits.sources.spark import SparkSource
from govern.audits.sources.sql import MISSING_VALUES, NEGATIVE_WEIGHT, NON_FINITE
from govern.data import MISSING_FILE, NON_NUMERIC, NOT_SCALAR, UNSUPPORTED_SUFFIX
from govern.errors import BadInputError, DataError

pytest.importorskip("duckdb")

FULL_ROLES = Roles.of(
    y_pred="decision",
    y_true="outcome",
    score="fine_score",
    sample_weight="weight",
    sensitive=["sex", "band"],
)


def _frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(records)


def _split_files(folder: Path, records: list[dict[str, Any]], parts: int = 3) -> list[Path]:
    """The records in ``parts`` Parquet files, in shuffled order (row order must not matter)."""
    folder.mkdir(parents=True, exist_ok=True)
    frame = _frame(records).sample(frac=1.0, random_state=3)
    paths = []
    for i, chunk in enumerate(np.array_split(np.arange(len(frame)), parts)):
        path = folder / f"part-{i}.parquet"
        frame.iloc[chunk].to_parquet(path, index=False)
        paths.append(path)
    return paths


# -- DuckDB --------------------------------------------------------------------------------------


def test_duckdb_on_a_dataframe_meets_the_contract() -> None:
    check_source(lambda records: DuckDBSource(_frame(records)))


def test_duckdb_on_parquet_and_csv_files_meets_the_contract(tmp_path: Path) -> None:
    def parquet(records: list[dict[str, Any]]) -> DuckDBSource:
        path = tmp_path / "records.parquet"
        _frame(records).to_parquet(path, index=False)
        return DuckDBSource(path)

    def csv(records: list[dict[str, Any]]) -> DuckDBSource:
        path = tmp_path / "records.csv"
        _frame(records).to_csv(path, index=False)
        return DuckDBSource(path)

    check_source(parquet)
    check_source(csv)


def test_duckdb_on_a_glob_of_shuffled_files_meets_the_contract(tmp_path: Path) -> None:
    counter = iter(range(1000))

    def glob(records: list[dict[str, Any]]) -> DuckDBSource:
        folder = tmp_path / f"glob-{next(counter)}"
        _split_files(folder, records)
        return DuckDBSource(str(folder / "part-*.parquet"))

    check_source(glob)


def test_duckdb_on_a_hive_partitioned_folder_meets_the_contract(tmp_path: Path) -> None:
    # region is a folder level (region=north/...), not a column in the files.
    counter = iter(range(1000))

    def hive(records: list[dict[str, Any]]) -> DuckDBSource:
        folder = tmp_path / f"hive-{next(counter)}"
        _frame(records).to_parquet(folder, partition_cols=["region"], index=False)
        assert (folder / "region=north").is_dir()
        return DuckDBSource(folder)

    check_source(hive)


def test_duckdb_score_bins_are_numpy_s_bit_for_bit() -> None:
    # Even and odd counts, many distinct values (quantile edges with interpolation), heavy ties,
    # and weights whose running sum lands exactly on half the total.
    rng = np.random.default_rng(7)
    for n, weights in ((401, None), (400, None), (1000, [0.5, 1.0, 2.0]), (999, [1.0, 3.0])):
        score = np.concatenate([rng.normal(0.0, 3.0, n - 100), np.full(100, 0.25)])
        frame = pd.DataFrame(
            {
                "decision": rng.integers(0, 2, n),
                "sex": rng.choice(["f", "m"], n),
                "score": score,
                "weight": rng.choice(weights, n) if weights else 1.0,
            }
        )
        roles = Roles.of(
            y_pred="decision",
            score="score",
            sensitive="sex",
            sample_weight="weight" if weights else None,
        )
        bins = DuckDBSource(frame).contingency_table(roles).table.bins
        expected = score_bins(score, frame["weight"].to_numpy() if weights else None)
        assert bins is not None and not bins.exact
        np.testing.assert_array_equal(bins.edges, expected.edges)
        assert bins.median == expected.median
        np.testing.assert_array_equal(bins.calibration_bin, expected.calibration_bin)


def test_duckdb_bins_in_sql_when_a_score_has_too_many_values_to_group_by(monkeypatch) -> None:
    # Below GROUP_BY_SCORE_VALUES distinct scores the cells are grouped by score value and binned
    # in Python; above it, by a CASE over the edges in SQL. Both give the pandas table.
    from govern.audits.sources import sql

    monkeypatch.setattr(sql, "GROUP_BY_SCORE_VALUES", 0)
    records = contract_records()
    for name in ("exact score bins", "quantile score bins with weights"):
        check_table(lambda r: DuckDBSource(_frame(r)), records, Roles.of(**CONFIGURATIONS[name]))


def test_duckdb_fingerprint_ignores_row_order_and_file_split_but_not_values(
    tmp_path: Path,
) -> None:
    records = contract_records(300)
    whole = tmp_path / "whole.parquet"
    _frame(records).to_parquet(whole, index=False)
    _split_files(tmp_path / "split", records)
    one = DuckDBSource(whole).contingency_table(FULL_ROLES).fingerprint
    many = DuckDBSource(str(tmp_path / "split" / "*.parquet")).contingency_table(FULL_ROLES)
    assert one.method.startswith("duckdb-hash-sum/")
    assert many.fingerprint.sha256 == one.sha256
    assert one.source == "whole.parquet"
    changed = [dict(r) for r in records]
    changed[17]["weight"] = changed[17]["weight"] + 1.0
    other = DuckDBSource(_frame(changed)).contingency_table(FULL_ROLES).fingerprint
    assert other.sha256 != one.sha256
    # The pandas source's fingerprint is the row-order one, and says so.
    assert PandasSource(_frame(records)).contingency_table(FULL_ROLES).fingerprint.method == (
        "rows-sha256"
    )


def _error(source: DuckDBSource | SparkSource, roles: Roles) -> str:
    with pytest.raises(DataError) as caught:
        source.contingency_table(roles)
    return str(caught.value)


def test_duckdb_refuses_bad_values_with_the_column_and_the_count(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "decision": [1, 0, None, 1],
            "ok": [1, 0, 1, 0],
            "sex": ["f", "m", "f", "m"],
            "score": [0.1, np.inf, 0.3, 0.4],
            "weight": [1.0, -2.0, 1.0, 1.0],
            "label": ["a", "b", "c", "d"],
            "lists": [[1], [2], [3], [4]],
        }
    )
    path = tmp_path / "bad.parquet"
    frame.to_parquet(path, index=False)
    source = DuckDBSource(path)
    where = "bad.parquet"
    assert _error(source, Roles.of(y_pred="decision", sensitive="sex")) == MISSING_VALUES.format(
        role="y_pred", column="decision", source=where, count=1
    )
    assert _error(source, Roles.of(y_pred="ok", score="score", sensitive="sex")) == (
        NON_FINITE.format(role="score", column="score", source=where, count=1)
    )
    assert _error(source, Roles.of(y_pred="ok", sample_weight="weight", sensitive="sex")) == (
        NEGATIVE_WEIGHT.format(column="weight", source=where, count=1)
    )
    assert _error(source, Roles.of(y_pred="ok", score="label", sensitive="sex")) == (
        NON_NUMERIC.format(role="score", column="label", source=where, found="'a', 'b', 'c', 'd'")
    )
    assert _error(source, Roles.of(y_pred="ok", sensitive="lists")) == NOT_SCALAR.format(
        column="lists", source=where
    )


def test_hostile_column_names_are_quoted_not_run(tmp_path: Path) -> None:
    # Names that would end an identifier or a string in SQL are columns like any other.
    names = {"decision": 'd"; DROP TABLE x; --', "sex": "s`) OR 1=1 --'"}
    frame = _frame(contract_records(60)).rename(columns=names)
    roles = Roles.of(y_pred=names["decision"], sensitive=names["sex"])
    found = DuckDBSource(frame).contingency_table(roles)
    expected = PandasSource(frame).contingency_table(roles)
    np.testing.assert_array_equal(found.table.counts, expected.table.counts)
    assert found.table.levels == expected.table.levels


def test_duckdb_refuses_missing_and_unreadable_files(tmp_path: Path) -> None:
    roles = Roles.of(y_pred="decision", sensitive="sex")
    missing = tmp_path / "nope.parquet"
    assert _error(DuckDBSource(missing), roles) == MISSING_FILE.format(path=missing)
    pattern = str(tmp_path / "none-*.parquet")
    assert _error(DuckDBSource(pattern), roles) == NO_FILES.format(pattern=pattern)
    (tmp_path / "empty").mkdir()
    assert _error(DuckDBSource(tmp_path / "empty"), roles) == EMPTY_FOLDER.format(
        path=tmp_path / "empty"
    )
    text = tmp_path / "notes.txt"
    text.write_text("x")
    assert _error(DuckDBSource(text), roles) == UNSUPPORTED_SUFFIX.format(path=text, suffix=".txt")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    assert _error(DuckDBSource(broken), roles).startswith("cannot read broken.parquet: ")
    empty = tmp_path / "empty.parquet"
    _frame(contract_records(5)).iloc[:0].to_parquet(empty, index=False)
    assert _error(DuckDBSource(empty), roles) == (
        "empty.parquet has no rows: an audit needs at least one record. Check the file or filter."
    )


def test_a_missing_engine_names_the_extra_that_installs_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)  # makes `import duckdb` fail
    with pytest.raises(MissingEngineError) as caught:
        DuckDBSource(_frame(contract_records(5))).contingency_table(
            Roles.of(y_pred="decision", sensitive="sex")
        )
    assert str(caught.value) == MISSING_ENGINE.format(
        engine="duckdb", module="duckdb", extra="duckdb"
    )


def test_the_default_engine_rule(tmp_path: Path, monkeypatch) -> None:
    small = tmp_path / "small.parquet"
    _frame(contract_records(20)).to_parquet(small, index=False)
    assert choose_engine(_frame(contract_records(5))) == "pandas"
    assert choose_engine(small) == "pandas"
    assert choose_engine(str(tmp_path / "*.parquet")) == "duckdb"
    assert choose_engine(tmp_path) == "duckdb"
    assert choose_engine([small, small]) == "duckdb"
    monkeypatch.setattr(choosing, "DUCKDB_FROM_BYTES", small.stat().st_size)
    assert choose_engine(small) == "duckdb"
    with pytest.raises(BadInputError, match="the pandas engine reads one CSV or Parquet file"):
        open_source(str(tmp_path / "*.parquet"), "pandas")


def test_audit_fairness_on_a_glob_just_works(tmp_path: Path) -> None:
    records = contract_records(200)
    _split_files(tmp_path, records)
    options: dict[str, Any] = {"y_pred": "decision", "sensitive": "sex", "n_boot": 20}
    found = audit_fairness(str(tmp_path / "*.parquet"), **options)
    expected = audit_fairness(_frame(records), **options)
    assert found.engine == "duckdb" and expected.engine == "pandas"
    pd.testing.assert_frame_equal(found.to_frame(), expected.to_frame(), rtol=0, atol=1e-12)


# -- Spark ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_spark_meets_the_contract_on_dataframes_and_paths(spark: Any, tmp_path: Path) -> None:
    counter = iter(range(1000))

    def dataframe(records: list[dict[str, Any]]) -> SparkSource:
        path = tmp_path / f"frame-{next(counter)}.parquet"
        _frame(records).to_parquet(path, index=False)
        return SparkSource(spark.read.parquet(str(path)))

    def hive_folder(records: list[dict[str, Any]]) -> SparkSource:
        folder = tmp_path / f"hive-{next(counter)}"
        _frame(records).to_parquet(folder, partition_cols=["region"], index=False)
        return SparkSource(folder, spark=spark)

    check_source(dataframe)
    records = contract_records()
    for roles in (FULL_ROLES, Roles.of(y_pred="decision", sensitive=["region", "sex"])):
        check_table(hive_folder, records, roles)


@pytest.mark.slow
def test_spark_fingerprint_and_python_api(spark: Any, tmp_path: Path) -> None:
    records = contract_records(300)
    _split_files(tmp_path / "split", records)
    whole = tmp_path / "whole.parquet"
    _frame(records).to_parquet(whole, index=False)
    one = SparkSource(whole, spark=spark).contingency_table(FULL_ROLES).fingerprint
    many = SparkSource(spark.read.parquet(str(tmp_path / "split"))).contingency_table(FULL_ROLES)
    assert one.method == "spark-xxhash64-sum"
    assert many.fingerprint.sha256 == one.sha256
    # audit_fairness(spark_df, ...) picks the Spark source by itself.
    evidence = audit_fairness(
        spark.read.parquet(str(whole)), y_pred="decision", sensitive="sex", n_boot=10
    )
    expected = audit_fairness(_frame(records), y_pred="decision", sensitive="sex", n_boot=10)
    assert evidence.engine == "spark"
    pd.testing.assert_frame_equal(evidence.to_frame(), expected.to_frame(), rtol=0, atol=1e-12)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "part-0.parquet").write_bytes(b"not parquet at all")
    assert _error(SparkSource(broken, spark=spark), FULL_ROLES).startswith("cannot read broken: ")
    frame = spark.createDataFrame([(1, "f", None), (0, "m", 2.0)], "d int, s string, w double")
    assert _error(SparkSource(frame), Roles.of(y_pred="d", sensitive="s", sample_weight="w")) == (
        MISSING_VALUES.format(
            role="sample_weight", column="w", source="the Spark DataFrame", count=1
        )
    )
