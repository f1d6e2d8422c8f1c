"""DuckDB and Spark sources of recommendation logs: the ranking-source contract, files, limits.

Each engine reduces the log to one row per user in the engine (one ``GROUP BY user``) and is
held to ``tests/ranking_source_contract.py``: the pandas source's user table, levels, unknown
counts and tidy rows to 1e-12 for users, categories, outcomes and item groups, and the same
refusals with the same messages, rows included. Logs split over shuffled files are held to the
tables (their rows come in another order, so a refusal names other rows). The paths taken only
by long lists (repeated ranks counted without bits, top-k groups collected as ordered lists, the
discount computed by the engine) are forced here on the contract log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from ranking_source_contract import (
    CONFIGURATIONS,
    _frame,
    _vary_an_attribute,
    check_ranking_source,
    check_user_tables,
    contract_log,
    pandas_factory,
    per_user_rows,
)

from govern.audits.ranking import audit_recommendations
from govern.audits.sources import sql_per_user
from govern.audits.sources.duckdb import DuckDBSource
from govern.audits.sources.ranking import RankingRoles, RankingSource
from govern.audits.sources.spark import SparkSource
from govern.data import EMPTY_DATA, MISSING_VALUES
from govern.errors import DataError

pytest.importorskip("duckdb")

Records = list[dict[str, Any]]


def _files(folder: Path, records: Records, parts: int = 3) -> Path:
    """The log in ``parts`` Parquet files, its rows shuffled (their order must not matter)."""
    folder.mkdir(parents=True)
    frame = _frame(records).sample(frac=1.0, random_state=4)
    for i, chunk in enumerate(np.array_split(np.arange(len(frame)), parts)):
        frame.iloc[chunk].to_parquet(folder / f"part-{i}.parquet", index=False)
    return folder


@pytest.fixture
def folders(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """A new sub-folder of tmp_path for each call, named after what it holds."""
    numbers = count()
    yield lambda name: tmp_path / f"{name}-{next(numbers)}"


# -- DuckDB --------------------------------------------------------------------------------------


def test_duckdb_on_a_dataframe_meets_the_contract() -> None:
    check_ranking_source(lambda records: DuckDBSource(_frame(records), source="contract.csv"))


def test_duckdb_on_csv_and_parquet_files_meets_the_contract(
    folders: Callable[[str], Path],
) -> None:
    def csv(records: Records) -> RankingSource:
        folder = folders("csv")
        folder.mkdir()
        _frame(records).to_csv(folder / "contract.csv", index=False)
        return DuckDBSource(folder / "contract.csv")

    def parquet(records: Records) -> RankingSource:
        folder = folders("parquet")
        folder.mkdir()
        _frame(records).to_parquet(folder / "log.parquet", index=False)
        return DuckDBSource(folder / "log.parquet", source="contract.csv")

    check_ranking_source(csv)
    check_ranking_source(parquet)


def test_duckdb_on_a_glob_and_a_hive_folder_gives_the_pandas_tables(
    folders: Callable[[str], Path],
) -> None:
    def glob(records: Records) -> RankingSource:
        return DuckDBSource(str(_files(folders("glob"), records) / "part-*.parquet"))

    def hive(records: Records) -> RankingSource:
        # region is a folder level (region=north/...), not a column in the files.
        folder = folders("hive")
        _frame(records).to_parquet(folder, partition_cols=["region"], index=False)
        assert (folder / "region=north").is_dir()
        return DuckDBSource(folder)

    check_user_tables(glob)
    check_user_tables(hive)


def test_the_paths_for_long_lists_give_the_same_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    # Repeated ranks by COUNT(DISTINCT), the top-k groups as ordered lists, and the discount
    # computed by DuckDB (equal to numpy's here: the contract's ranks are small).
    monkeypatch.setattr(sql_per_user, "MAX_RANK_WORDS", 0)
    monkeypatch.setattr(sql_per_user, "MAX_POSITION_WORDS", 0)
    monkeypatch.setattr(sql_per_user, "MAX_DISCOUNT_LOOKUP", 0)
    check_ranking_source(lambda records: DuckDBSource(_frame(records), source="contract.csv"))


def test_packed_positions_span_several_words_and_gaps_close_up() -> None:
    # 12 item groups need 4 bits a position, 15 positions a word: a top 40 takes 3 words; every
    # list skips ranks, so positions must be closed up before NDKL.
    rng = np.random.default_rng(3)
    rows = []
    for user in range(60):
        ranks = np.sort(rng.choice(np.arange(1, 80), size=int(rng.integers(20, 45)), replace=False))
        for rank in ranks:
            rows.append((f"u{user}", int(rank), f"g{int(rng.integers(0, 12)):02d}"))
    log = pd.DataFrame(rows, columns=["user", "rank", "group"])
    roles = RankingRoles.of(user="user", rank="rank", k=40, item_sensitive="group")
    found = DuckDBSource(log).user_table(roles)
    expected = pandas_factory_for(log).user_table(roles)
    assert found.item_levels == expected.item_levels and len(found.item_levels) == 12
    assert per_user_rows(found) == per_user_rows(expected)


def pandas_factory_for(frame: pd.DataFrame) -> RankingSource:
    from govern.audits.sources.pandas import PandasSource

    return PandasSource(frame)


def test_hostile_values_are_literals_not_sql() -> None:
    # Values that would end a string in SQL are groups like any other, in DuckDB's quoting.
    records = contract_log(40)
    hostile = {"lead": "x'); DROP TABLE t; --", "tech": "back\\slash 'quote'"}
    for record in records:
        record["category"] = hostile.get(record["category"], record["category"])
    roles = RankingRoles.of(**CONFIGURATIONS["every category, two attributes and an outcome"])
    found = DuckDBSource(_frame(records)).user_table(roles)
    expected = pandas_factory(records).user_table(roles)
    assert found.categories == expected.categories
    assert per_user_rows(found) == per_user_rows(expected)


def test_dates_and_booleans_with_gaps_are_grouped_by_their_text(tmp_path: Path) -> None:
    import datetime as dt

    log = pd.DataFrame(
        {
            "user": ["a", "a", "b", "c"],
            "rank": [1, 2, 1, 1],
            "cohort": [dt.date(2020, 1, 1)] * 2 + [dt.date(2021, 5, 3), None],
            "flag": [True, True, False, None],
        }
    )
    path = tmp_path / "log.parquet"
    log.to_parquet(path, index=False)
    roles = RankingRoles.of(user="user", rank="rank", k=1, sensitive=["cohort", "flag"])
    found = DuckDBSource(path).user_table(roles)
    assert found.levels == {
        "cohort": ("2020-01-01", "2021-05-03", "unknown"),
        "flag": ("False", "True", "unknown"),
    }
    assert found.unknown_counts == {"cohort": 1, "flag": 1}
    assert per_user_rows(found) == per_user_rows(pandas_factory_for(log).user_table(roles))


def test_rows_are_numbered_in_file_order_for_every_refusal(tmp_path: Path) -> None:
    # The contract's bad rows are the first; here they are further down a CSV file.
    frame = _frame(contract_log(30))
    frame.loc[17, "user"] = None
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    roles = RankingRoles.of(user="user", rank="rank", k=3, sensitive="sex")
    with pytest.raises(DataError) as caught:
        DuckDBSource(path).user_table(roles)
    assert str(caught.value) == MISSING_VALUES.format(
        role="user", column="user", source="log.csv", count=1, row=18
    )
    empty = tmp_path / "empty.parquet"
    frame.iloc[:0].to_parquet(empty, index=False)
    with pytest.raises(DataError) as caught:
        DuckDBSource(empty).user_table(roles)
    assert str(caught.value) == EMPTY_DATA.format(source="empty.parquet")


def test_the_duckdb_fingerprint_names_its_method_and_ignores_file_splits(
    folders: Callable[[str], Path],
) -> None:
    records = contract_log()
    roles = RankingRoles.of(**CONFIGURATIONS["everything"])
    one = DuckDBSource(_frame(records)).user_table(roles).fingerprint
    split = DuckDBSource(_files(folders("split"), records)).user_table(roles).fingerprint
    assert one.method.startswith("duckdb-hash-sum/") and one.source is None
    assert split.sha256 == one.sha256
    assert split.source is not None and split.source.startswith("split-")
    assert pandas_factory(records).user_table(roles).fingerprint.method == "rows-sha256"


def test_audit_recommendations_takes_a_duckdb_source() -> None:
    records = contract_log()
    options: dict[str, Any] = {
        **CONFIGURATIONS["everything"],
        "intersections": True,
        "n_boot": 200,
        "seed": 4,
        "min_group_size": 5,
    }
    options["category"] = options.pop("categories", None)
    found = audit_recommendations(DuckDBSource(_frame(records)), **options)
    expected = audit_recommendations(_frame(records), **options)
    assert found.engine == "duckdb" and expected.engine == "pandas"
    pd.testing.assert_frame_equal(found.to_frame(), expected.to_frame(), rtol=0, atol=1e-12)


# -- Spark (one local session for the whole run: tests/conftest.py) ------------------------------


@pytest.mark.slow
def test_spark_meets_the_contract(spark: Any, folders: Callable[[str], Path]) -> None:
    def dataframe(records: Records) -> RankingSource:
        folder = folders("frame")
        folder.mkdir()
        _frame(records).to_parquet(folder / "log.parquet", index=False)
        return SparkSource(spark.read.parquet(str(folder / "log.parquet")), source="contract.csv")

    check_ranking_source(dataframe)
    # Shuffled over three files (three tasks): the same table, the same order-free fingerprint.
    records = contract_log()
    roles = RankingRoles.of(**CONFIGURATIONS["everything"])
    split = SparkSource(_files(folders("split"), records), spark=spark).user_table(roles)
    whole = dataframe(records).user_table(roles)
    assert per_user_rows(split) == per_user_rows(pandas_factory(records).user_table(roles))
    assert split.fingerprint.method == whole.fingerprint.method == "spark-xxhash64-sum"
    assert split.fingerprint.sha256 == whole.fingerprint.sha256
    # audit_recommendations(spark_df, ...) picks the Spark source by itself.
    options: dict[str, Any] = {**CONFIGURATIONS["everything"], "n_boot": 100, "min_group_size": 5}
    found = audit_recommendations(
        spark.read.parquet(str(_files(folders("api"), records))), **options
    )
    expected = audit_recommendations(_frame(records), **options)
    assert found.engine == "spark"
    pd.testing.assert_frame_equal(found.to_frame(), expected.to_frame(), rtol=0, atol=1e-12)


def test_refusals_wait_for_the_checks_that_come_first(monkeypatch: pytest.MonkeyPatch) -> None:
    # A log with two problems is refused for the one rule 1 checks first, whichever query
    # finds the later one: a repeated position before an unknown category or a missing outcome,
    # a user whose sex varies before a second attribute with too many groups.
    import govern.data
    from govern.audits.ranking import reduction

    records = contract_log(40)
    twice = [*records, dict(records[0])]
    for changes in ({"categories": "leadership"}, {"outcome": "outcome"}):
        roles = RankingRoles.of(
            user="user", rank="rank", k=3, sensitive="sex", item_category="category", **changes
        )
        _same_refusal([*twice[:-2], {**twice[-2], "outcome": None}, twice[-1]], roles)
    for module in (govern.data, reduction):
        monkeypatch.setattr(module, "_configured_max_groups", lambda: 20)
    many = [{**r, "band": float(i)} for i, r in enumerate(_vary_an_attribute(records))]
    for sensitive in (["sex", "band"], ["band", "sex"]):
        _same_refusal(many, RankingRoles.of(user="user", rank="rank", k=3, sensitive=sensitive))


def _same_refusal(records: Records, roles: RankingRoles) -> None:
    with pytest.raises(DataError) as expected:
        pandas_factory(records).user_table(roles)
    with pytest.raises(DataError) as found:
        DuckDBSource(_frame(records), source="contract.csv").user_table(roles)
    assert str(found.value) == str(expected.value)


@pytest.mark.parametrize(
    "module",
    [
        "govern.audits.sources.sql_ranking",
        "govern.audits.sources.duckdb",
        "govern.audits.sources.choose",
        "govern.audits.ranking.reduction",
    ],
)
def test_the_examples_in_the_docstrings_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
