"""``govern audit oversight``: table and JSON output, the report section, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from oversight_helpers import hand_log

from govern.cli.main import main
from govern.datasets import recruitment


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "log.csv"
    hand_log().to_csv(path, index=False)
    return path


def _args(log: Path, *extra: str) -> list[str]:
    return ["audit", "oversight", "--data", str(log), "--recommendation", "model",
            "--decision", "final", "--sensitive", "group", "--appeal", "appealed",
            "--appeal-upheld", "upheld", "--reviewer", "reviewer", "--min-group-size", "5",
            "--bootstrap", "0", *extra]  # fmt: skip


def test_table_output_without_a_policy(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_args(log)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [
        "Oversight of log.csv: 40 decisions, 3 reviewers.",
        "Reviewers kept 85.0% of the model's recommendations; of the people it did not "
        "recommend they selected 9.1%, of those it recommended they turned down 22.2%.",
    ]
    assert lines[4] == (
        "  group                          n  agreement         up       down    appeals     "
        "upheld   impact ratio model -> final"
    )
    # 2 decided appeals in group A: under the disclosure size (10), so the rate is withheld
    assert lines[5].split() == ["A", "20", "85.0%", "20.0%", "10.0%", "15.0%", "-", "1.00",
                                "->", "1.00"]  # fmt: skip
    assert lines[6].split()[:3] == ["B", "20", "85.0%"]
    assert lines[7] == "  lowest impact ratio 0.80 -> 0.45 (change -0.35)"


def test_json_holds_the_evidence_as_tidy_rows(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*_args(log), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["policy"] is None
    oversight = payload["evidence"]["oversight"]
    assert set(oversight["metrics"][0]) == {
        "attribute", "group", "n", "metric", "value", "ci_low", "ci_high",
    }  # fmt: skip
    assert payload["evidence"]["fairness"]["attributes"] == ["group"]


def test_report_has_an_oversight_section(log: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main([*_args(log), "--out", str(out)]) == 0
    report = (out / "compliance_report.md").read_text(encoding="utf-8")
    assert "## Summary\n\n**Verdict: No policy applied**\n" in report
    assert "## Human oversight: how reviewers used the model's recommendations" in report
    assert "| B | 20 | 0.800 | 0.455 | -0.345 |  |" in report
    # 34 of 40 kept: the engine's Wilson interval, (34 + 1.92) / 43.84 -/+ 1.96 x
    # sqrt(0.85 x 0.15 / 40 + 1.96^2 / 6400) / 1.096 = 0.709 to 0.929, worked by hand
    assert (
        "Reviewers kept the model's recommendation for 85.0% of 40 people "
        "(95% interval 70.9% to 92.9%)." in report
    )
    # 2 and 4 decided appeals: under the disclosure size (10), so the rate is not shown
    # (17 of 20 kept: Wilson 64.0% to 94.8%, by hand as above)
    (row,) = [line for line in report.splitlines() if line.startswith("| A | 20 | 85.0% (")]
    assert row.startswith("| A | 20 | 85.0% (64.0% to 94.8%) | 20.0% (")
    assert row.endswith("| too few |")
    assert "- Reviewer 'R3' kept every one of the model's 12 recommendations" in report
    html = (out / "compliance_report.html").read_text(encoding="utf-8")
    assert 'aria-label="Impact ratio by group before and after human review"' in html


@pytest.mark.slow
def test_policy_verdict_sets_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "reviewed.csv"
    recruitment(6000, seed=5, reviewers=8, override_bias=0.2).to_csv(path, index=False)
    args = ["audit", "oversight", "--data", str(path), "--recommendation", "shortlisted",
            "--decision", "final_decision", "--sensitive", "sex,ethnicity", "--appeal",
            "appealed", "--appeal-upheld", "appeal_upheld", "--reviewer", "reviewer",
            "--policy", "human-oversight", "--out", str(tmp_path / "out")]  # fmt: skip
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "decisions in reviewed.csv: FAIL under human-oversight 1.0.0" in out
    assert "  XX oversight-override-parity [blocking] fail: " in out
    audit = json.loads((tmp_path / "out" / "audit.json").read_text(encoding="utf-8"))
    assert audit["data"]["source"] == "reviewed.csv"
    assert sorted(audit["evidence"]) == ["fairness", "oversight", "process", "transparency"]
