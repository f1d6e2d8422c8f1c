"""EvaluationData: validation messages (exact text), unknown groups, loading and fingerprints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govern import data as data_module
from govern.data import EvaluationData
from govern.errors import DataError


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "hired": [1, 0, 1, 0, 1, 0],
            "outcome": [1, 1, 0, 0, 1, 0],
            "sex": ["F", "M", "F", None, "M", "F"],
            "score": [0.9, 0.2, 0.7, 0.1, 0.8, 0.4],
            "w": [1.0, 2.0, 1.0, 1.0, 0.5, 1.0],
        }
    )


def _error(**kwargs) -> str:
    with pytest.raises(DataError) as caught:
        EvaluationData.from_frame(**kwargs)
    return str(caught.value)


def test_roles_become_clean_arrays(frame: pd.DataFrame) -> None:
    data = EvaluationData.from_frame(
        frame, y_pred="hired", y_true="outcome", sensitive=["sex"], score="score", sample_weight="w"
    )
    assert data.y_pred.tolist() == [1, 0, 1, 0, 1, 0]
    assert data.y_true is not None and data.y_true.tolist() == [1, 1, 0, 0, 1, 0]
    assert data.sensitive["sex"].tolist() == ["F", "M", "F", "unknown", "M", "F"]
    assert data.unknown_counts == {"sex": 1}
    assert data.n_rows == 6


def test_unknown_column_names_it_and_suggests(frame: pd.DataFrame) -> None:
    message = _error(df=frame, y_pred="hird", sensitive=["sex"], source="a.csv")
    assert message == (
        "y_pred column 'hird' is not in a.csv. Available columns: hired, outcome, sex, score, w. "
        "Did you mean 'hired'?"
    )
    message = _error(df=frame, y_pred="hired", sensitive=["zzz"])
    assert message == (
        "sensitive column 'zzz' is not in the data. Available columns: hired, outcome, sex, "
        "score, w."
    )


def test_empty_data(frame: pd.DataFrame) -> None:
    message = _error(df=frame.iloc[0:0], y_pred="hired", sensitive=["sex"], source="e.csv")
    assert message == (
        "e.csv has no rows: an audit needs at least one record. Check the file or filter."
    )


def test_non_binary_decisions_suggest_positive_label(frame: pd.DataFrame) -> None:
    three = frame.assign(hired=[0, 1, 2, 0, 1, 2])
    assert _error(df=three, y_pred="hired", sensitive=["sex"]) == (
        "y_pred column 'hired' in the data is not binary for positive label 1: found the values "
        "0, 1, 2. Pass --positive-label with the value that means a positive outcome (for "
        "example --positive-label 2)."
    )
    words = frame.assign(hired=["yes", "no", "yes", "no", "no", "yes"])
    assert _error(df=words, y_pred="hired", sensitive=["sex"]) == (
        "y_pred column 'hired' in the data is not binary for positive label 1: found the values "
        "'no', 'yes'. Pass --positive-label with the value that means a positive outcome (for "
        "example --positive-label yes)."
    )
    data = EvaluationData.from_frame(words, y_pred="hired", sensitive=["sex"], positive_label="yes")
    assert data.y_pred.tolist() == [1, 0, 1, 0, 0, 1]


def test_positive_label_from_the_command_line_matches_numbers(frame: pd.DataFrame) -> None:
    data = EvaluationData.from_frame(frame, y_pred="hired", sensitive=["sex"], positive_label="0")
    assert data.y_pred.tolist() == [0, 1, 0, 1, 0, 1]
    nobody = frame.assign(hired=0)
    assert EvaluationData.from_frame(nobody, y_pred="hired", sensitive=["sex"]).y_pred.sum() == 0


def test_single_class_outcome(frame: pd.DataFrame) -> None:
    message = _error(
        df=frame.assign(outcome=1), y_pred="hired", y_true="outcome", sensitive=["sex"]
    )
    assert message == (
        "y_true column 'outcome' in the data has a single class (1): true and false positive "
        "rates need both outcomes. Use data that holds both, or omit --y-true."
    )


def test_missing_decisions_and_bad_scores_and_weights(frame: pd.DataFrame) -> None:
    gaps = frame.assign(hired=[1, 0, None, 0, 1, 0])
    assert _error(df=gaps, y_pred="hired", sensitive=["sex"]) == (
        "y_pred column 'hired' in the data has 1 missing value(s) (first at row 3). "
        "Fill or drop them before the audit."
    )
    text = frame.assign(score=["a", "b", "c", "d", "e", "f"])
    assert _error(df=text, y_pred="hired", sensitive=["sex"], score="score") == (
        "score column 'score' in the data is not numeric: found 'a', 'b', 'c', 'd', 'e', 'f'. "
        "Convert it to numbers before the audit."
    )
    negative = frame.assign(w=[1.0, -1.0, 1.0, 1.0, 1.0, 1.0])
    assert _error(df=negative, y_pred="hired", sensitive=["sex"], sample_weight="w") == (
        "sample_weight column 'w' in the data has 1 negative value(s) (first at row 2). "
        "Weights must be zero or positive."
    )
    assert _error(df=frame, y_pred="hired", sensitive=[]) == data_module.NO_SENSITIVE
    assert _error(df=frame, y_pred="hired", sensitive=["hired"]) == (
        "column 'hired' is used both as y_pred and as sensitive; each role needs its own column."
    )


def test_integer_coded_groups_with_missing_values(frame: pd.DataFrame) -> None:
    coded = frame.assign(sex=[1, 2, np.nan, 1, 2, 2])
    data = EvaluationData.from_frame(coded, y_pred="hired", sensitive=["sex"])
    assert data.sensitive["sex"].tolist() == ["1", "2", "unknown", "1", "2", "2"]


def test_load_csv_and_parquet_same_fingerprint(frame: pd.DataFrame, tmp_path: Path) -> None:
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame[list(reversed(frame.columns))].to_parquet(tmp_path / "d.parquet")
    options = {"y_pred": "hired", "y_true": "outcome", "sensitive": ["sex"], "score": "score"}
    from_csv = EvaluationData.load(tmp_path / "d.csv", **options)
    from_parquet = EvaluationData.load(tmp_path / "d.parquet", **options)
    assert from_csv.source == "d.csv"
    first, second = from_csv.fingerprint(), from_parquet.fingerprint()
    assert first.sha256 == second.sha256
    assert (first.source, second.source) == ("d.csv", "d.parquet")
    assert first.columns == ["hired", "outcome", "score", "sex"]
    # One changed decision changes the hash; so does using a different column set.
    changed = EvaluationData.from_frame(frame.assign(hired=[0, 0, 1, 0, 1, 0]), **options)
    assert changed.fingerprint().sha256 != first.sha256
    fewer = EvaluationData.from_frame(frame, y_pred="hired", sensitive=["sex"])
    assert fewer.fingerprint().sha256 != first.sha256
    assert len(first.sha256) == 64


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError) as caught:
        EvaluationData.load(tmp_path / "nope.csv", y_pred="a", sensitive=["b"])
    assert str(caught.value) == (
        f"data file {tmp_path / 'nope.csv'} does not exist. Check the path passed to --data."
    )
    (tmp_path / "d.xlsx").write_text("x")
    with pytest.raises(DataError) as caught:
        EvaluationData.load(tmp_path / "d.xlsx", y_pred="a", sensitive=["b"])
    assert str(caught.value) == (
        f"cannot read {tmp_path / 'd.xlsx'}: unsupported file type '.xlsx'. "
        "Use a .csv or .parquet file."
    )
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError) as caught:
        EvaluationData.load(tmp_path / "empty.csv", y_pred="a", sensitive=["b"])
    assert str(caught.value) == (
        "empty.csv has no rows: an audit needs at least one record. Check the file or filter."
    )
    (tmp_path / "header.csv").write_text("a,b\n")
    with pytest.raises(DataError) as caught:
        EvaluationData.load(tmp_path / "header.csv", y_pred="a", sensitive=["b"])
    assert str(caught.value) == (
        "header.csv has no rows: an audit needs at least one record. Check the file or filter."
    )
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(DataError) as caught:
        EvaluationData.load(tmp_path / "bad.parquet", y_pred="a", sensitive=["b"])
    assert str(caught.value).startswith(f"cannot read {tmp_path / 'bad.parquet'}: ")
    assert str(caught.value).endswith("Check that it is a valid Parquet file.")
