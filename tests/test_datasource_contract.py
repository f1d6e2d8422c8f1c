"""The data-source seam: every source gives the pandas source's table and tidy rows.

``RecordsSource`` below builds the contingency table from a list of dicts in plain Python, with
no pandas, and is held to the shared contract (``tests/datasource_contract.py``) like any other
source would be.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from datasource_contract import check_refusals, check_source, contract_records

from govern.audits.fairness.table import ContingencyTable, score_bins
from govern.audits.sources import DataSource, Roles, SourceTable
from govern.audits.sources.pandas import PandasSource
from govern.data import canonical_sha256
from govern.errors import DataError
from govern.results import UNKNOWN_GROUP, DataFingerprint


def _label(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class RecordsSource:
    """A test-only source: the table from a list of dicts, one Python loop, no pandas."""

    engine = "records"

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def _column(self, name: str) -> list[Any]:
        if name not in self.records[0]:
            raise DataError(f"column {name!r} is not in the records")
        return [record[name] for record in self.records]

    def _binary(self, name: str) -> np.ndarray:
        values = self._column(name)
        if any(v not in (0, 1) or (isinstance(v, float) and not v.is_integer()) for v in values):
            raise DataError(f"column {name!r} is not binary")
        return np.asarray(values, dtype=np.int8)

    def _numeric(self, name: str) -> np.ndarray:
        values = self._column(name)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            raise DataError(f"column {name!r} is not numeric")
        return np.asarray(values, dtype=np.float64)

    def _groups(self, name: str) -> tuple[np.ndarray, tuple[str, ...], int]:
        texts = [_label(v) for v in self._column(name)]
        missing = sum(t is None for t in texts)
        named = {t for t in texts if t is not None}
        labels = sorted(named - {UNKNOWN_GROUP})
        if missing or UNKNOWN_GROUP in named:
            labels.append(UNKNOWN_GROUP)
        index = {label: i for i, label in enumerate(labels)}
        codes = np.array([index[t if t is not None else UNKNOWN_GROUP] for t in texts])
        return codes, tuple(labels), missing

    def contingency_table(self, roles: Roles) -> SourceTable:
        y_pred = self._binary(roles.y_pred)
        y_true = self._binary(roles.y_true) if roles.y_true else None
        score = self._numeric(roles.score) if roles.score else None
        weight = self._numeric(roles.sample_weight) if roles.sample_weight else None
        grouped = {name: self._groups(name) for name in roles.sensitive}
        bins = score_bins(score, weight) if score is not None else None
        n_bins = 1 if bins is None else bins.edges.size
        shape = (*(len(grouped[n][1]) for n in roles.sensitive), 2, 2, n_bins)
        counts, records, sums = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        squares = np.zeros(shape)
        for row in range(len(self.records)):
            cell = (
                *(int(grouped[n][0][row]) for n in roles.sensitive),
                0 if y_true is None else int(y_true[row]),
                int(y_pred[row]),
                0
                if bins is None or score is None
                else int(np.searchsorted(bins.edges, score[row], side="left")),
            )
            w = 1.0 if weight is None else float(weight[row])
            counts[cell] += w
            records[cell] += 1
            squares[cell] += w * w
            if score is not None:
                sums[cell] += w * score[row]
        table = ContingencyTable(
            attributes=tuple(roles.sensitive),
            levels=tuple(grouped[n][1] for n in roles.sensitive),
            counts=counts,
            score_sums=None if score is None else sums,
            has_y_true=y_true is not None,
            bins=bins,
            n_rows=len(self.records),
            record_counts=None if weight is None else records,
            weight_squares=None if weight is None else squares,
        )
        sha = canonical_sha256(
            y_pred=y_pred,
            y_true=y_true,
            score=score,
            sample_weight=weight,
            codes={n: grouped[n][0] for n in roles.sensitive},
            levels={n: grouped[n][1] for n in roles.sensitive},
        )
        fingerprint = DataFingerprint(sha256=sha, n_rows=len(self.records), columns=roles.columns)
        unknown = {n: grouped[n][2] for n in roles.sensitive}
        return SourceTable(
            table=table, unknown_counts=unknown, fingerprint=fingerprint, engine=self.engine
        )


def test_the_records_source_is_a_data_source() -> None:
    assert isinstance(RecordsSource(contract_records(5)), DataSource)
    assert isinstance(PandasSource(pd.DataFrame(contract_records(5))), DataSource)


def test_the_records_source_meets_the_contract() -> None:
    check_source(RecordsSource)


def test_the_pandas_source_from_a_file_meets_the_contract(tmp_path) -> None:
    def from_parquet(records: list[dict[str, Any]]) -> PandasSource:
        path = tmp_path / "records.parquet"
        pd.DataFrame(records).to_parquet(path)
        return PandasSource(path)

    def from_csv(records: list[dict[str, Any]]) -> PandasSource:
        path = tmp_path / "records.csv"
        pd.DataFrame(records).to_csv(path, index=False)
        return PandasSource(path)

    check_source(from_parquet)
    check_source(from_csv)


def test_the_fingerprint_is_the_same_for_every_source() -> None:
    records = contract_records(200)
    roles = Roles.of(
        y_pred="decision",
        y_true="outcome",
        score="fine_score",
        sample_weight="weight",
        sensitive=["sex", "band"],
    )
    pandas_print = PandasSource(pd.DataFrame(records)).contingency_table(roles).fingerprint
    records_print = RecordsSource(records).contingency_table(roles).fingerprint
    assert records_print.sha256 == pandas_print.sha256


def test_the_engine_is_recorded_in_the_evidence() -> None:
    from govern.audits.fairness import audit_fairness

    evidence = audit_fairness(
        RecordsSource(contract_records(50)), y_pred="decision", sensitive="sex", n_boot=0
    )
    assert evidence.engine == "records"


def test_files_are_read_for_the_named_columns_only(tmp_path) -> None:
    # A column the audit does not name may hold anything, even values no reader could parse
    # into one type: it is never read.
    path = tmp_path / "wide.parquet"
    frame = pd.DataFrame(contract_records(30)).assign(blob=[[1, 2]] * 30)
    frame.to_parquet(path)
    built = PandasSource(path).contingency_table(Roles.of(y_pred="decision", sensitive="sex"))
    assert built.fingerprint.columns == ["decision", "sex"]
    check_refusals(lambda records: PandasSource(pd.DataFrame(records)), contract_records(30))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_misspelt_column_in_a_file_names_the_file_columns(tmp_path, suffix: str) -> None:
    path = tmp_path / f"d{suffix}"
    frame = pd.DataFrame(contract_records(10))
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path)
    with pytest.raises(DataError) as caught:
        PandasSource(path).contingency_table(Roles.of(y_pred="decison", sensitive="sex"))
    assert str(caught.value) == (
        f"y_pred column 'decison' is not in d{suffix}. Available columns: decision, outcome, "
        "coarse_score, fine_score, weight, sex, region, band, unused. Did you mean 'decision'?"
    )
