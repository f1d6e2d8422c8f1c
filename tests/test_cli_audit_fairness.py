"""``govern audit fairness``: table and JSON output, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from govern.audits.fairness.summary import NOT_JUDGED
from govern.cli.main import main

FIXTURE = Path(__file__).parent / "fixtures" / "fairness" / "hand_table.csv"
GOVERN = Path(sys.executable).parent / "govern"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["audit", "fairness", "--data", str(FIXTURE), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_output_holds_tidy_rows_and_tests(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        "--y-pred", "decision", "--y-true", "outcome", "--sensitive", "sex,ethnicity",
        "--intersect", "--bootstrap", "50", "--min-group-size", "5", "--format", "json",
    )  # fmt: skip
    assert code == 0
    # The JSON output is audit.json's shape: the same as the file an audit writes.
    payload = json.loads(out)
    assert payload["verdict"] == "no_policy"
    fairness = payload["evidence"]["fairness"]
    assert fairness["attributes"] == ["sex", "ethnicity", "sex & ethnicity"]
    tidy = [*fairness["metrics"], *fairness["disparities"]]
    rows = {(r["attribute"], r["group"], r["metric"]): r for r in tidy}
    assert set(tidy[0]) == {
        "attribute", "group", "n", "metric", "value", "ci_low", "ci_high",
    }  # fmt: skip
    assert rows[("sex & ethnicity", "F & b", "impact_ratio")]["value"] == pytest.approx(
        float(Fraction(1, 3))
    )
    assert rows[("sex", "F", "selection_rate")]["ci_low"] is not None
    tests = {(t["attribute"], t["group"]): t for t in fairness["tests"]}
    assert tests[("sex", "F")]["reference"] == "M"
    assert fairness["reference_groups"]["ethnicity"] == "a"
    # What each attribute's groups were compared with, and why, is in the output too.
    assert fairness["references"][0]["explanation"] == (
        "'M', the highest selection rate among groups that qualify (5 or more records)."
    )
    assert payload["data"]["n_rows"] == 40 and len(payload["data"]["sha256"]) == 64


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        "--y-pred", "decision", "--sensitive", "sex", "--bootstrap", "0",
        "--min-group-size", "5",
    )  # fmt: skip
    assert code == 0
    # Rates and ratios get their closed-form intervals without bootstrap replicates; the
    # reference's own ratio has none, and the line under the table says why it is the reference.
    assert out.splitlines()[:5] == [
        "sex (reference: M)",
        "  group   n   selection rate [CI]     impact ratio [CI]  p (Holm)  flags",
        # Wilson for 6 of 20; Miettinen-Nurminen for 6/20 over 11/20 (both checked against
        # their published formulas in tests/test_fairness_intervals.py).
        # No threshold without a policy: nothing is flagged as falling short.
        "  F      20  0.300 [0.145, 0.519]  0.545 [0.242, 1.150]    0.2003",
        "  M      20  0.550 [0.342, 0.742]                 1.000         -  reference",
        "  Compared with 'M', the highest selection rate among groups that qualify (5 or more "
        "records).",
    ]
    assert NOT_JUDGED in out.splitlines()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--y-pred", "decison", "--sensitive", "sex"],
            "govern: error: y_pred column 'decison' is not in hand_table.csv. Available "
            "columns: sex, ethnicity, outcome, decision. Did you mean 'decision'?",
        ),
        (
            ["--y-pred", "sex", "--sensitive", "ethnicity"],
            "govern: error: y_pred column 'sex' in hand_table.csv is not binary for positive "
            "label '1': found the values 'F', 'M'. Pass --positive-label with the value that "
            "means a positive outcome (for example --positive-label M).",
        ),
        (
            ["--y-pred", "decision", "--sensitive", "sex", "--reference", "X"],
            "govern: error: reference group 'X' does not occur in any sensitive attribute; the "
            "groups are F, M. Pick one of them, 'overall_rate', or omit --reference to use the "
            "group with the highest selection rate.",
        ),
    ],
)
def test_bad_input_exits_2_with_message(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = _run(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.strip() == message
    assert "Traceback" not in err


def test_single_class_outcome_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("g,d,t\na,1,1\nb,0,1\n")
    code = main(
        ["audit", "fairness", "--data", str(path), "--y-pred", "d", "--y-true", "t",
         "--sensitive", "g"]
    )  # fmt: skip
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "govern: error: y_true column 't' in one.csv has a single class (1): true and false "
        "positive rates need both outcomes. Use data that holds both, or omit --y-true."
    )


@pytest.mark.slow
def test_console_script_end_to_end(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(GOVERN), "audit", "fairness", "--data", str(FIXTURE), "--y-pred", "decision",
         "--sensitive", "sex", "--bootstrap", "20", "--format", "json"],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["data"]["n_rows"] == 40
    missing = subprocess.run(
        [str(GOVERN), "audit", "fairness", "--data", "missing.csv", "--y-pred", "d",
         "--sensitive", "g"],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "govern: error: data file missing.csv does not exist. Check the path passed to --data."
    )
