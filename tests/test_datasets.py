"""Synthetic HR data: determinism, documented columns, and the planted disparity measured."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from scipy.stats.contingency import association

from govern.datasets import SCENARIOS, generate, get_scenario, write_dataset
from govern.datasets._validate import DISPARITY_MESSAGE, ROWS_MESSAGE
from govern.datasets.learning import BASE_LEADERSHIP_SHARE, COURSES_MESSAGE, learning_pathways
from govern.datasets.promotion import PROMOTION_THRESHOLD, expected_impact_ratio, promotion
from govern.datasets.recruitment import recruitment
from govern.errors import BadInputError

DOCS = Path(__file__).resolve().parents[1] / "docs" / "datasets.md"
# Tolerance on a ratio of two rates measured on ~10k people each: about three standard errors.
RATIO_TOLERANCE = 0.05


def _rate_ratio(frame: pd.DataFrame, column: str, attribute: str, group: str, ref: str) -> float:
    rates = frame.groupby(attribute)[column].mean()
    return float(rates[group] / rates[ref])


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_same_seed_same_data_other_seed_other_data(name: str) -> None:
    first = generate(name, rows=300, seed=7)
    again = generate(name, rows=300, seed=7)
    other = generate(name, rows=300, seed=8)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_column_is_documented_in_module_and_docs(name: str) -> None:
    scenario = SCENARIOS[name]
    frame = generate(name, rows=50, seed=0)
    assert list(frame.columns) == list(scenario.columns)
    assert all(text.strip() for text in scenario.columns.values())
    docs = DOCS.read_text(encoding="utf-8")
    section = docs.split(f"### {name}", 1)[1].split("\n### ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))
    assert documented == set(scenario.columns)


def test_recruitment_planted_disparity_gives_documented_impact_ratio() -> None:
    frame = recruitment(20000, seed=11, disparity=0.3)
    assert _rate_ratio(frame, "hired", "sex", "female", "male") == pytest.approx(
        0.7, abs=RATIO_TOLERANCE
    )
    assert _rate_ratio(frame, "hired", "ethnicity", "black", "white") == pytest.approx(
        0.7,
        abs=RATIO_TOLERANCE + 0.03,  # black applicants are only 8%: a wider interval
    )
    assert _rate_ratio(frame, "hired", "ethnicity", "asian", "white") == pytest.approx(
        0.7, abs=RATIO_TOLERANCE + 0.02
    )
    # The vendor tool penalises women directly and ethnic groups only through postcodes.
    assert _rate_ratio(frame, "shortlisted", "sex", "female", "male") == pytest.approx(
        0.7, abs=RATIO_TOLERANCE
    )
    black = _rate_ratio(frame, "shortlisted", "ethnicity", "black", "white")
    assert 0.7 < black < 0.95


def test_recruitment_without_disparity_is_at_parity() -> None:
    frame = recruitment(20000, seed=11, disparity=0.0)
    assert _rate_ratio(frame, "hired", "sex", "female", "male") == pytest.approx(
        1.0, abs=RATIO_TOLERANCE
    )
    assert _rate_ratio(frame, "shortlisted", "sex", "female", "male") == pytest.approx(
        1.0, abs=RATIO_TOLERANCE
    )


def test_recruitment_has_missing_sex_and_realistic_categories() -> None:
    frame = recruitment(20000, seed=3)
    missing = frame["sex"].isna().mean()
    assert 0.01 < missing < 0.03
    assert set(frame["sex"].dropna()) == {"female", "male"}
    assert 5 <= frame["ethnicity"].nunique() <= 7
    assert frame["ethnicity"].value_counts(normalize=True)["white"] == pytest.approx(0.74, abs=0.02)
    assert frame["applicant_id"].is_unique
    assert set(frame["hired"].unique()) == {0, 1}
    assert frame["assessment_score"].between(0, 100).all()


def test_postcode_area_is_a_proxy_for_ethnicity() -> None:
    frame = recruitment(20000, seed=5)
    table = pd.crosstab(frame["postcode_area"], frame["ethnicity"]).to_numpy()
    strength = association(table, method="cramer")
    assert strength > 0.3
    # and it is not a proxy for sex, which was drawn independently of where people live
    sex_table = pd.crosstab(frame["postcode_area"], frame["sex"]).to_numpy()
    assert association(sex_table, method="cramer") < 0.05


@pytest.mark.parametrize("disparity", [0.0, 0.3, 0.5])
def test_promotion_impact_ratio_matches_the_normal_model(disparity: float) -> None:
    frame = promotion(20000, seed=2, disparity=disparity)
    # Independent check of the closed form: scipy's normal survival function.
    z = norm.isf(0.15)
    expected = norm.sf(z + disparity) / norm.sf(z)
    assert expected_impact_ratio(disparity) == pytest.approx(expected, rel=1e-9)
    measured = _rate_ratio(frame, "promoted", "sex", "female", "male")
    assert measured == pytest.approx(expected, abs=RATIO_TOLERANCE + 0.02)
    assert (frame["promoted"] == (frame["performance_score"] >= PROMOTION_THRESHOLD)).all()
    means = frame.groupby("sex")["performance_score"].mean()
    assert (means["male"] - means["female"]) / 10 == pytest.approx(disparity, abs=0.05)


@pytest.mark.parametrize("disparity", [0.0, 0.3])
def test_learning_pathways_leadership_share(disparity: float) -> None:
    frame = learning_pathways(20000, seed=4, disparity=disparity)
    assert len(frame) == 20000 * 5
    assert frame.groupby("employee_id")["rank"].apply(lambda r: list(r) == [1, 2, 3, 4, 5]).all()
    assert not frame.duplicated(["employee_id", "course_id"]).any()
    assert (frame.groupby("employee_id")["score"].diff().dropna() <= 0).all()
    frame["leadership"] = frame["course_category"] == "leadership"
    shares = frame.groupby("sex")["leadership"].mean()
    assert shares["male"] == pytest.approx(BASE_LEADERSHIP_SHARE, abs=0.01)
    assert shares["female"] / shares["male"] == pytest.approx(1 - disparity, abs=RATIO_TOLERANCE)


def test_learning_pathways_needs_enough_courses() -> None:
    with pytest.raises(BadInputError) as error:
        learning_pathways(10, n_courses=8, k=5)
    assert str(error.value) == COURSES_MESSAGE.format(n_courses=8, k=5)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_bad_row_counts_are_refused(bad: object) -> None:
    with pytest.raises(BadInputError) as error:
        recruitment(bad)  # type: ignore[arg-type]
    assert str(error.value) == ROWS_MESSAGE.format(name="n_rows", value=bad)


@pytest.mark.parametrize("bad", [-0.1, 1.0, float("nan"), "0.3"])
def test_bad_disparity_is_refused(bad: object) -> None:
    with pytest.raises(BadInputError) as error:
        promotion(10, disparity=bad)  # type: ignore[arg-type]
    assert str(error.value) == DISPARITY_MESSAGE.format(value=bad)


def test_unknown_scenario_suggests_the_closest_name() -> None:
    with pytest.raises(BadInputError) as error:
        get_scenario("recrutment")
    assert str(error.value) == (
        "unknown data set 'recrutment'. Did you mean 'recruitment'? "
        "Known data sets: recruitment, promotion, learning_pathways, talent_shortlist."
    )


def test_unknown_suffix_is_refused_before_generating(tmp_path: Path) -> None:
    with pytest.raises(BadInputError) as error:
        write_dataset("promotion", tmp_path / "out.csvv", rows=10)
    assert str(error.value) == (
        f"cannot tell the file format of {str(tmp_path / 'out.csvv')!r} from its suffix "
        "'.csvv'. Did you mean '.csv'? Use a name ending in .csv or .parquet."
    )
    assert not list(tmp_path.iterdir())


def test_ids_are_opaque() -> None:
    frame = recruitment(1000, seed=0)
    ids = frame["applicant_id"].str.slice(1).map(lambda h: int(h, 16)).to_numpy()
    # no monotone relationship with row order
    assert abs(np.corrcoef(ids, np.arange(len(ids)))[0, 1]) < 0.2
