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


def test_sensitive_columns_become_small_codes_and_sorted_levels() -> None:
    frame = pd.DataFrame(
        {
            "hired": [True, False, True, False, True],
            "sex": pd.Series(["M", "F", None, "F", "M"], dtype="str"),
            "age": pd.Categorical(
                ["old", "young", "old", None, "old"], categories=["x", "young", "old"]
            ),
        }
    )
    data = EvaluationData.from_frame(frame, y_pred="hired", sensitive=["sex", "age"])
    # Levels sorted, unknown last; unused categories ("x") are not groups.
    assert data.levels == {"sex": ("F", "M", "unknown"), "age": ("old", "young", "unknown")}
    assert data.codes["sex"].dtype == np.int8 and data.codes["age"].dtype == np.int8
    assert data.codes["sex"].tolist() == [1, 0, 2, 0, 1]
    assert data.codes["age"].tolist() == [0, 1, 0, 2, 0]
    assert data.sensitive["age"].tolist() == ["old", "young", "old", "unknown", "old"]
    assert data.unknown_counts == {"sex": 1, "age": 1}
    assert data.y_pred.dtype == np.int8 and data.y_pred.tolist() == [1, 0, 1, 0, 1]


def test_values_with_the_same_text_share_a_group() -> None:
    # Group labels are text: 1 and "1" in an object column are one group, and a value spelt
    # "unknown" joins the missing ones (but only missing values are counted as unknown).
    frame = pd.DataFrame(
        {"hired": [1, 0, 1, 0], "g": pd.Series([1, "1", "unknown", None], dtype=object)}
    )
    data = EvaluationData.from_frame(frame, y_pred="hired", sensitive=["g"])
    assert data.levels["g"] == ("1", "unknown")
    assert data.sensitive["g"].tolist() == ["1", "1", "unknown", "unknown"]
    assert data.unknown_counts == {"g": 1}


def test_many_groups_get_wider_codes() -> None:
    n = 300
    frame = pd.DataFrame({"hired": np.arange(n) % 2, "id": [f"p{i:03d}" for i in range(n)]})
    data = EvaluationData.from_frame(frame, y_pred="hired", sensitive=["id"])
    assert data.codes["id"].dtype == np.int16
    assert len(data.levels["id"]) == n
    assert data.sensitive["id"].tolist() == frame["id"].tolist()


def test_fingerprint_same_values_whatever_the_dtypes(frame: pd.DataFrame) -> None:
    options = {"y_pred": "hired", "y_true": "outcome", "sensitive": ["sex"]}
    base = EvaluationData.from_frame(frame, **options).fingerprint().sha256
    as_category = frame.assign(sex=frame["sex"].astype("category"), hired=frame["hired"] == 1)
    assert EvaluationData.from_frame(as_category, **options).fingerprint().sha256 == base
    as_object = frame.assign(sex=frame["sex"].astype(object), outcome=frame["outcome"] * 1.0)
    assert EvaluationData.from_frame(as_object, **options).fingerprint().sha256 == base
    # Renaming a group (same codes, other labels) or moving one person changes the hash.
    renamed = frame.assign(sex=frame["sex"].replace({"F": "W"}))
    assert EvaluationData.from_frame(renamed, **options).fingerprint().sha256 != base
    moved = frame.assign(sex=["M", "M", "F", None, "M", "F"])
    assert EvaluationData.from_frame(moved, **options).fingerprint().sha256 != base


def test_binary_columns_checked_on_distinct_values() -> None:
    # Floats, booleans and text go through the same distinct-value check as integers.
    frame = pd.DataFrame(
        {
            "f": [1.0, 0.0, 1.0, 0.0],
            "b": [True, False, False, False],
            "t": pd.Series(["yes", "no", "no", "yes"], dtype="str"),
            "n": [5, 7, 5, 5],
            "g": ["a", "a", "b", "b"],
        }
    )
    assert EvaluationData.from_frame(frame, y_pred="f", sensitive=["g"]).y_pred.tolist() == [
        1,
        0,
        1,
        0,
    ]
    data = EvaluationData.from_frame(frame, y_pred="b", y_true="f", sensitive=["g"])
    assert data.y_pred.tolist() == [1, 0, 0, 0] and data.y_pred.dtype == np.int8
    data = EvaluationData.from_frame(frame, y_pred="t", sensitive=["g"], positive_label="yes")
    assert data.y_pred.tolist() == [1, 0, 0, 1]
    data = EvaluationData.from_frame(frame, y_pred="n", sensitive=["g"], positive_label=7)
    assert data.y_pred.tolist() == [0, 1, 0, 0]
    assert _error(df=frame, y_pred="n", sensitive=["g"]) == (
        "y_pred column 'n' in the data is not binary for positive label 1: found the values "
        "5, 7. Pass --positive-label with the value that means a positive outcome (for "
        "example --positive-label 7)."
    )
    assert _error(df=frame, y_pred="t", sensitive=["g"], positive_label="maybe") == (
        "y_pred column 't' in the data is not binary for positive label 'maybe': found the "
        "values 'no', 'yes'. Pass --positive-label with the value that means a positive "
        "outcome (for example --positive-label yes)."
    )
