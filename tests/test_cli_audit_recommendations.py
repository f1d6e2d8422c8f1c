"""``govern audit recommendations``: output, policies, exit codes and hostile input.

Every malformed log exits 2 with one message naming the file, the column, the row or the user,
never a traceback, and writes nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from govern.audits.ranking.summary import NOT_JUDGED, render_text
from govern.audits.sources.ranking import (
    ATTRIBUTE_VARIES,
    BAD_K,
    CATEGORY_NEEDS_USERS,
    DUPLICATE_POSITION,
    NOTHING_TO_COMPARE,
    RANK_NOT_NUMERIC,
    RANK_NOT_POSITION,
    UNKNOWN_CATEGORY,
)
from govern.cli.main import main
from govern.data import EMPTY_DATA, MISSING_FILE, MISSING_VALUES, UNKNOWN_COLUMN
from govern.datasets import learning_pathways, talent_shortlist
from govern.services.data_audit import MSG_SETTING_FROM_POLICY

HAND = Path(__file__).parent / "fixtures" / "ranking" / "hand_log.csv"
GOVERN = Path(sys.executable).parent / "govern"
BASE = ["--user", "user", "--rank", "rank", "--k", "2"]


def test_bootstrap_over_the_limit_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    from govern.limits import MSG_TOO_MANY_REPLICATES

    code, out, err = _run(
        capsys, "--data", str(HAND), *BASE, "--sensitive", "sex", "--bootstrap", "100000000"
    )
    assert (code, out) == (2, "")
    assert (
        MSG_TOO_MANY_REPLICATES.format(where="--bootstrap: ", n_boot=100000000, limit=10000) in err
    )


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["audit", "recommendations", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _log(tmp_path: Path, frame: pd.DataFrame, name: str = "log.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _copies(tmp_path: Path, copies: int = 15) -> Path:
    """The hand log, each user copied: 30 users per sex, enough to publish, the same rates."""
    frame = pd.read_csv(HAND)
    bigger = pd.concat(
        [frame.assign(user=frame["user"] + f"-{i}") for i in range(copies)], ignore_index=True
    )
    return _log(tmp_path, bigger, "copies.csv")


def test_table_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys, "--data", str(_copies(tmp_path)), *BASE, "--sensitive", "sex",
        "--item-category", "category", "--category", "lead", "--bootstrap", "0",
    )  # fmt: skip
    assert code == 0
    assert out.splitlines()[:4] == [
        "'lead' by sex",
        "  group  users  offered in top 2 [CI]  vs best-served [CI]  mean best rank [CI]  flags",
        "  F         30                  0.500                0.500                2.000",
        "  M         30                  1.000                1.000                1.500  "
        "best-served",
    ]
    assert out.splitlines()[-2:] == [
        "165 rows, 60 users (lists), top 2 audited; 0 bootstrap replicates resampling users, "
        "0.95 percentile intervals.",
        NOT_JUDGED,
    ]


def test_a_given_threshold_flags_the_ratios_under_it(tmp_path: Path) -> None:
    from govern.audits.ranking import audit_recommendations

    evidence = audit_recommendations(
        _copies(tmp_path), user="user", rank="rank", k=2, sensitive="sex",
        item_category="category", category="lead", n_boot=0,
    )  # fmt: skip
    lines = render_text(evidence, ratio_threshold=0.8).splitlines()
    assert lines[2].endswith("2.000  below 0.8") and NOT_JUDGED not in lines
    assert "below" not in render_text(evidence, ratio_threshold=0.5)


def test_groups_too_small_to_publish_are_suppressed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys, "--data", str(HAND), *BASE, "--sensitive", "sex", "--item-category", "category",
        "--category", "lead", "--bootstrap", "0", "--min-group-size", "1",
    )  # fmt: skip
    assert code == 0
    assert out.splitlines()[2].split() == ["F", "suppressed", "-", "-", "-", "too", "few", "to",
                                           "publish"]  # fmt: skip
    assert "0.500" not in out


def test_json_output_holds_tidy_rows_with_their_category(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        capsys, "--data", str(_copies(tmp_path)), *BASE, "--sensitive", "sex",
        "--item-category", "category", "--item-sensitive", "item_group", "--outcome", "outcome",
        "--bootstrap", "50", "--format", "json",
    )  # fmt: skip
    assert code == 0
    audit = json.loads(out)  # audit.json, with no policy
    assert audit["policy"] is None
    payload = audit["evidence"]["ranking"]
    assert payload["kind"] == "ranking" and payload["k"] == 2
    assert set(payload["metrics"][0]) == {
        "category", "attribute", "group", "n", "metric", "value", "ci_low", "ci_high",
    }  # fmt: skip
    rows = {
        (r["category"], r["metric"], r["group"]): r
        for r in [*payload["metrics"], *payload["disparities"]]
    }
    assert rows[("lead", "top_k_category_rate", "F")]["value"] == 0.5
    assert rows[(None, "exposure_to_pool_ratio", "A")]["value"] == pytest.approx(0.8872309560210022)
    assert rows[(None, "hit_rate", "F")]["ci_low"] is not None


def test_with_a_policy_it_is_judged_and_writes_the_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "pathways.csv"
    learning_pathways(3000, seed=7).to_csv(log, index=False)
    out = tmp_path / "out"
    code, printed, _ = _run(
        capsys, "--data", str(log), "--user", "employee_id", "--rank", "rank", "--k", "5",
        "--sensitive", "sex", "--item-category", "course_category", "--category", "leadership",
        "--outcome", "enrolled", "--policy", "recommendation-fairness", "--out", str(out),
    )  # fmt: skip
    lines = printed.splitlines()
    assert lines[0].startswith("recommendations in pathways.csv: ")
    verdict = "PASS" if code == 0 else "FAIL"
    assert lines[0].split(" ")[3] == verdict
    assert lines[1].startswith("  ") and "recommendation-category-reach [blocking]" in lines[1]
    assert sorted(p.name for p in out.iterdir()) == [
        "audit.json",
        "compliance_report.html",
        "compliance_report.md",
    ]
    audit = json.loads((out / "audit.json").read_text())
    assert audit["evidence"]["ranking"]["k"] == 5
    assert audit["data"]["n_rows"] == 15000
    assert audit["policy"]["policy_name"] == "recommendation-fairness"
    assert "Who is offered each category" in (out / "compliance_report.md").read_text()


def test_a_fair_talent_list_passes_and_a_biased_one_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--user", "post_id", "--rank", "rank", "--k", "5", "--item-sensitive",
            "candidate_sex", "--outcome", "qualified", "--policy", "ranking-exposure"]  # fmt: skip
    fair = _log(tmp_path, talent_shortlist(600, seed=2, disparity=0.0), "fair.csv")
    biased = _log(tmp_path, talent_shortlist(600, seed=2, disparity=0.3), "biased.csv")
    assert _run(capsys, "--data", str(fair), *args)[0] == 0
    code, out, _ = _run(capsys, "--data", str(biased), *args, "--format", "json")
    assert code == 1
    result = json.loads(out)
    assert result["verdict"] == "fail"
    rule = next(r for r in result["policy"]["rules"] if r["rule_id"] == "ranking-exposure-share")
    assert (rule["verdict"], rule["group"]) == ("fail", "female")


def _frame() -> pd.DataFrame:
    return pd.read_csv(HAND)


def _hostile_cases(tmp_path: Path) -> list[tuple[str, Path, list[str], str]]:
    """(name, file, extra arguments, the exact message after 'govern: error: ')."""
    cases = []

    def log(name: str, frame: pd.DataFrame) -> Path:
        return _log(tmp_path, frame, f"{name}.csv")

    path = log("ok", _frame())
    cases.append(
        (
            "misspelt column",
            path,
            ["--sensitive", "sexx"],
            UNKNOWN_COLUMN.format(
                role="sensitive",
                column="sexx",
                source="ok.csv",
                available="user, sex, rank, category, item_group, outcome",
                hint=" Did you mean 'sex'?",
            ),
        )
    )
    cases.append(
        (
            "missing rank column",
            path,
            ["--sensitive", "sex", "--rank", "position"],
            UNKNOWN_COLUMN.format(
                role="rank",
                column="position",
                source="ok.csv",
                available="user, sex, rank, category, item_group, outcome",
                hint="",
            ),
        )
    )
    text = _frame().astype({"rank": str})
    text.loc[2, "rank"] = "third"
    cases.append(
        (
            "rank as text",
            log("text", text),
            ["--sensitive", "sex"],
            RANK_NOT_NUMERIC.format(
                column="rank", source="text.csv", found="'1', '2', 'third', '4', '3'"
            ),
        )
    )
    zero = _frame()
    zero.loc[3, "rank"] = 0
    cases.append(
        (
            "rank 0",
            log("zero", zero),
            ["--sensitive", "sex"],
            RANK_NOT_POSITION.format(column="rank", source="zero.csv", count=1, row=4, value="0"),
        )
    )
    half = _frame().astype({"rank": float})
    half.loc[5, "rank"] = 1.5
    half.loc[7, "rank"] = -2.0
    cases.append(
        (
            "fractional and negative ranks",
            log("half", half),
            ["--sensitive", "sex"],
            RANK_NOT_POSITION.format(column="rank", source="half.csv", count=2, row=6, value="1.5"),
        )
    )
    twice = pd.concat([_frame(), _frame().iloc[[4]]], ignore_index=True)
    cases.append(
        (
            "two rows for one (user, rank)",
            log("twice", twice),
            ["--sensitive", "sex"],
            DUPLICATE_POSITION.format(source="twice.csv", user="u4", rank=4, first=5, second=12),
        )
    )
    varies = _frame()
    varies.loc[6, "sex"] = "M"  # u1's third row
    cases.append(
        (
            "attribute varies within a user",
            log("varies", varies),
            ["--sensitive", "sex"],
            ATTRIBUTE_VARIES.format(
                column="sex", source="varies.csv", user="u1", first_value="F", first=1,
                second_value="M", second=7,
            ),
        )
    )  # fmt: skip
    no_user = _frame()
    no_user.loc[8, "user"] = None
    cases.append(
        (
            "missing user id",
            log("nouser", no_user),
            ["--sensitive", "sex"],
            MISSING_VALUES.format(role="user", column="user", source="nouser.csv", count=1, row=9),
        )
    )
    empty = log("empty", _frame().iloc[0:0])
    cases.append(
        ("empty file", empty, ["--sensitive", "sex"], EMPTY_DATA.format(source="empty.csv"))
    )
    cases.append(
        (
            "unknown category",
            path,
            ["--sensitive", "sex", "--item-category", "category", "--category", "leed"],
            UNKNOWN_CATEGORY.format(
                category="leed",
                column="category",
                source="ok.csv",
                hint=" Did you mean 'lead'?",
                available="lead, tech",
            ),
        )
    )
    cases.append(("k of 0", path, ["--sensitive", "sex", "--k", "0"], ""))  # click's own check
    cases.append(("nothing to compare", path, [], NOTHING_TO_COMPARE))
    cases.append(
        (
            "category without users",
            path,
            ["--item-sensitive", "item_group", "--item-category", "category"],
            CATEGORY_NEEDS_USERS.format(column="category"),
        )
    )
    cases.append(
        (
            "a setting with a policy",
            path,
            ["--sensitive", "sex", "--policy", "recommendation-fairness", "--bootstrap", "10",
             "--intersect"],
            MSG_SETTING_FROM_POLICY.format(options="--n-boot, --intersect", them="them"),
        )
    )  # fmt: skip
    cases.append(
        (
            "no such file",
            tmp_path / "missing.csv",
            ["--sensitive", "sex"],
            MISSING_FILE.format(path=tmp_path / "missing.csv"),
        )
    )
    return cases


HOSTILE = [
    "misspelt column", "missing rank column", "rank as text", "rank 0",
    "fractional and negative ranks", "two rows for one (user, rank)",
    "attribute varies within a user", "missing user id", "empty file", "unknown category",
    "k of 0", "nothing to compare", "category without users", "a setting with a policy",
    "no such file",
]  # fmt: skip


def _refused(
    capsys: pytest.CaptureFixture[str], path: Path, extra: list[str], message: str, engine: str
) -> None:
    args = ["--data", str(path), *BASE, "--engine", engine]
    # Later options win, so a case may override --rank or --k.
    code, out, err = _run(capsys, *args, *extra)
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err
    if message:
        assert err == f"govern: error: {message}\n"
    else:
        assert "Invalid value for '--k'" in err


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_input_exits_2_with_one_clear_message(
    name: str, engine: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every engine reports the same first problem in the same words, rows included.
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    cases = {case[0]: case[1:] for case in _hostile_cases(tmp_path)}
    _refused(capsys, *cases[name], engine=engine)


@pytest.mark.slow
def test_hostile_input_on_spark_gives_the_same_messages(
    spark: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One test for every case: they share the session, started once (tests/conftest.py).
    for name, path, extra, message in _hostile_cases(tmp_path):
        assert name in HOSTILE
        _refused(capsys, path, extra, message, engine="spark")


def test_partial_columns_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "--data", str(HAND), "--user", "user", "--sensitive", "sex")
    assert code == 2
    assert "a recommendation log needs --rank, --k as well" in err


def test_messages_constants_are_used_for_k() -> None:
    assert BAD_K.format(k=0).startswith("k must be a whole number of at least 1; got 0.")


@pytest.mark.slow
def test_console_script_end_to_end(tmp_path: Path) -> None:
    log = tmp_path / "shortlists.parquet"
    talent_shortlist(200, seed=4).to_parquet(log)
    done = subprocess.run(
        [str(GOVERN), "audit", "recommendations", "--data", str(log), "--user", "post_id",
         "--rank", "rank", "--k", "5", "--item-sensitive", "candidate_sex", "--bootstrap", "100"],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("items by candidate_sex\n")
    help_text = subprocess.run(
        [str(GOVERN), "audit", "recommendations", "--help"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for option in ("--user", "--item-category", "--rank", "--sensitive", "--k", "--category",
                   "--outcome", "--item-sensitive", "--policy", "--format", "--out"):  # fmt: skip
        assert option in help_text


def test_a_bad_log_with_a_policy_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twice = pd.concat([_frame(), _frame().iloc[[0]]], ignore_index=True)
    path = _log(tmp_path, twice, "twice.csv")
    out = tmp_path / "out"
    code, printed, err = _run(
        capsys, "--data", str(path), *BASE, "--sensitive", "sex",
        "--policy", "recommendation-fairness", "--out", str(out),
    )  # fmt: skip
    assert code == 2 and printed == ""
    assert err.startswith("govern: error: twice.csv has two rows for user 'u1' at rank 1")
    assert not out.exists() or list(out.iterdir()) == []


def test_without_a_policy_out_writes_the_measured_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "measured"
    code, _, _ = _run(
        capsys, "--data", str(_copies(tmp_path)), *BASE, "--sensitive", "sex",
        "--item-category", "category", "--bootstrap", "0", "--out", str(out),
    )  # fmt: skip
    assert code == 0
    audit = json.loads((out / "audit.json").read_text())
    assert audit["policy"] is None and audit["verdict"] == "no_policy"
    assert "No policy applied" in (out / "compliance_report.md").read_text()


def test_the_library_bounds_the_replicates_too(tmp_path: Path) -> None:
    from govern.audits.ranking import audit_recommendations
    from govern.errors import BadInputError
    from govern.limits import MSG_TOO_MANY_REPLICATES

    with pytest.raises(BadInputError) as too_many:
        audit_recommendations(
            _copies(tmp_path), user="user", rank="rank", k=2, sensitive="sex", n_boot=10_001
        )
    assert str(too_many.value) == MSG_TOO_MANY_REPLICATES.format(
        where="n_boot: ", n_boot=10001, limit=10000
    )
