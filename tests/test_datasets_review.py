"""The reviewer stage and time options of the recruitment and promotion generators."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govern.cli.main import main
from govern.datasets import generate, promotion, recruitment
from govern.datasets.review import (
    DRIFT_NEEDS_MONTHS,
    NOT_FOR_SCENARIO,
    OPTION_MESSAGE,
    REVIEW_COLUMNS,
    TIME_COLUMNS,
)
from govern.errors import BadInputError

DOCS = Path(__file__).resolve().parents[1] / "docs" / "datasets.md"
# sha256 of the default CSV (2,000 rows, seed 7) as the generators wrote it before the options
# existed: other tests and the demo rely on the default columns staying exactly the same.
DEFAULT_CSV_SHA256 = {
    "recruitment": "030bb2b71dba172e8d48702d2a0c7b5400ec5b22409243270f7c7971d971d5d7",
    "promotion": "44b6099e91d33755b09640ea4669a83e6aaec6d374cc31b7315a17843f5ae2a2",
}


@pytest.mark.parametrize("name", ["recruitment", "promotion"])
def test_default_output_is_unchanged(name: str) -> None:
    frame = generate(name, rows=2000, seed=7)
    digest = hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()
    assert digest == DEFAULT_CSV_SHA256[name]


@pytest.mark.parametrize("function", [recruitment, promotion])
def test_the_stage_adds_columns_and_leaves_the_others_alone(function: object) -> None:
    plain = function(3000, seed=4)  # type: ignore[operator]
    staged = function(3000, seed=4, reviewers=5, override_bias=0.2, months=6)  # type: ignore[operator]
    assert list(staged.columns) == [*plain.columns, *REVIEW_COLUMNS, *TIME_COLUMNS]
    pd.testing.assert_frame_equal(staged[list(plain.columns)], plain)


def test_optional_columns_are_documented() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    section = docs.split("### Reviewer stage and time", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))
    assert documented == {*REVIEW_COLUMNS, *TIME_COLUMNS}


def test_planted_override_pattern() -> None:
    frame = recruitment(60000, seed=2, reviewers=8, override_bias=0.3)
    recommended = frame[frame["shortlisted"] == 1]
    active = recommended[recommended["reviewer"] != "R08"]
    down = 1 - active.groupby("sex")["final_decision"].mean()
    # women: 8% + 30%; men: 8%, or 38% for black and asian men (19% of men)
    assert down["female"] == pytest.approx(0.38, abs=0.02)
    assert down["male"] == pytest.approx(0.81 * 0.08 + 0.19 * 0.38, abs=0.02)
    passed_over = frame[(frame["shortlisted"] == 0) & (frame["reviewer"] != "R08")]
    white_men = passed_over[(passed_over["sex"] == "male") & (passed_over["ethnicity"] == "white")]
    assert white_men["final_decision"].mean() == pytest.approx(0.08, abs=0.01)
    # the last reviewer keeps every recommendation, within seconds
    rubber = frame[frame["reviewer"] == "R08"]
    assert (rubber["final_decision"] == rubber["shortlisted"]).all()


def test_appeals_follow_negative_decisions_and_may_be_pending() -> None:
    frame = recruitment(20000, seed=3, reviewers=4, override_bias=0.0)
    assert (frame.loc[frame["appealed"] == 1, "final_decision"] == 0).all()
    assert frame.loc[frame["appealed"] == 0, "appeal_upheld"].isna().all()
    lodged = frame[frame["appealed"] == 1]
    assert 0.0 < lodged["appeal_upheld"].isna().mean() < 0.1  # about 5% pending
    assert lodged["appeal_upheld"].dropna().mean() == pytest.approx(0.4, abs=0.05)


def test_timestamps_and_the_planted_drift() -> None:
    frame = recruitment(
        48000, seed=9, disparity=0.0, months=24, drift_from=15, drift=0.3, reviewers=2
    )
    decided = pd.to_datetime(frame["decided_at"])
    assert decided.min() >= pd.Timestamp("2025-01-01")
    assert decided.max() < pd.Timestamp("2027-01-01")
    assert (pd.to_datetime(frame["recommended_at"]) <= decided).all()
    month = (decided.dt.year - 2025) * 12 + decided.dt.month
    women = frame["sex"] == "female"
    white_men = (frame["sex"] == "male") & (frame["ethnicity"] == "white")
    rate = frame["shortlisted"]
    before = rate[women & (month < 15)].mean() / rate[white_men & (month < 15)].mean()
    after = rate[women & (month >= 15)].mean() / rate[white_men & (month >= 15)].mean()
    assert before == pytest.approx(1.0, abs=0.05)
    assert after == pytest.approx(0.7, abs=0.05)


def test_promotion_drift_shifts_womens_scores() -> None:
    frame = promotion(40000, seed=1, disparity=0.0, months=12, drift_from=7, drift=0.5)
    month = pd.to_datetime(frame["decided_at"]).dt.month
    women = frame["sex"] == "female"
    gap_before = (
        frame.loc[~women & (month < 7), "performance_score"].mean()
        - frame.loc[women & (month < 7), "performance_score"].mean()
    )
    gap_after = (
        frame.loc[~women & (month >= 7), "performance_score"].mean()
        - frame.loc[women & (month >= 7), "performance_score"].mean()
    )
    assert gap_before == pytest.approx(0.0, abs=0.4)
    assert gap_after == pytest.approx(5.0, abs=0.4)  # 0.5 standard deviations of 10 points


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"reviewers": -1},
            OPTION_MESSAGE.format(
                name="reviewers", expected="a whole number from 0 to 99", value=-1
            ),
        ),
        (
            {"override_bias": 1.0},
            OPTION_MESSAGE.format(name="override_bias", expected="a number in [0, 1)", value=1.0),
        ),
        ({"drift": 0.2}, DRIFT_NEEDS_MONTHS),
        ({"months": 6, "drift_from": 9, "drift": 0.2}, DRIFT_NEEDS_MONTHS),
        (
            {"start": "first of May"},
            OPTION_MESSAGE.format(
                name="start", expected="a date such as 2025-01-01", value="first of May"
            ),
        ),
    ],
)
def test_bad_options_are_refused_with_what_was_expected(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(BadInputError) as raised:
        recruitment(100, **options)  # type: ignore[arg-type]
    assert str(raised.value) == message


def test_options_are_for_recruitment_and_promotion_only() -> None:
    with pytest.raises(BadInputError) as raised:
        generate("learning_pathways", rows=10, reviewers=3)
    assert str(raised.value) == NOT_FOR_SCENARIO.format(
        options="reviewers", name="learning_pathways"
    )


def test_cli_generates_the_stage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "log.csv"
    code = main(
        ["datasets", "generate", "recruitment", "--rows", "500", "--reviewers", "3",
         "--override-bias", "0.2", "--months", "12", "--drift-from", "7", "--drift", "0.2",
         "--out", str(out), "--format", "json"]
    )  # fmt: skip
    assert code == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 500
    frame = pd.read_csv(out)
    assert {"reviewer", "final_decision", "decided_at", "recommended_at"} <= set(frame.columns)
    assert np.isin(frame["final_decision"].unique(), [0, 1]).all()
    assert main(["datasets", "generate", "recruitment", "--rows", "10", "--drift", "0.2",
                 "--out", str(out)]) == 2  # fmt: skip
