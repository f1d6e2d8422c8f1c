"""``govern audit transparency`` end to end on a real MLflow model folder: table and JSON output,
the policy's transparency rules and exit codes, the output folder, tools without a model, the
progress bar, and hostile input (exit 2, a message, no traceback, nothing written)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.inspection import permutation_importance

from govern.adapters.registry import MSG_BAD_LOAD_URI, Registry
from govern.cli.main import main
from govern.cli.progress import ProgressBar, progress_bar
from govern.datasets import recruitment
from govern.services.demo import DEMO_FEATURES, train_screening_model
from govern.services.transparency import (
    MSG_BOTH_DECISIONS,
    MSG_NO_DECISIONS,
    MSG_NO_TRANSPARENCY_RULES,
    MSG_PREDICT_FAILED,
)

BLOCKING_POLICY = """\
name: no-hidden-ethnicity
version: "1"
rules:
  - id: combined
    title: The inputs together do not reveal ethnicity
    rationale: Indirect discrimination.
    check:
      kind: combined_proxy
      max_auc: 0.7
      attributes: [ethnicity]
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import mlflow.sklearn

    folder = tmp_path_factory.mktemp("transparency-cli")
    applicants = recruitment(3000, seed=5, disparity=0.3)
    train, audit = applicants.iloc[:1500], applicants.iloc[1500:].reset_index(drop=True)
    model = train_screening_model(train)
    mlflow.sklearn.save_model(model, folder / "model")
    data = folder / "applicants.csv"
    audit.to_csv(data, index=False)
    (folder / "blocking.yaml").write_text(BLOCKING_POLICY, encoding="utf-8")
    return {"folder": folder, "data": data, "model": model, "frame": audit}


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["audit", "transparency", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _model_args(world: dict[str, Any], *extra: str) -> list[str]:
    return [
        "--data",
        str(world["data"]),
        "--model-uri",
        str(world["folder"] / "model"),
        "--sensitive",
        "sex,ethnicity",
        *extra,
    ]


def test_json_holds_the_evidence_and_tidy_rows(world: dict[str, Any], capsys: Any) -> None:
    code, out, _ = _run(
        capsys, *_model_args(world, "--y-true", "hired", "--seed", "3", "--format", "json")
    )
    assert code == 0
    payload = json.loads(out)
    part = payload["evidence"]["transparency"]
    assert part["model_inputs"] == list(DEMO_FEATURES)
    assert payload["policy"] is None
    # The figures are scikit-learn's permutation importance of the model loaded from the URI.
    loaded = Registry().load_model_uri(str(world["folder"] / "model")).predictor
    frame = world["frame"][list(DEMO_FEATURES)]
    theirs = permutation_importance(
        loaded, frame, loaded.predict(frame), scoring="accuracy", n_repeats=5, random_state=3
    )
    found = {f["feature"]: f["importance"] for f in part["global_explanation"]}
    assert found == dict(zip(DEMO_FEATURES, theirs.importances_mean, strict=True))
    assert set(payload["rows"][0]) == {
        "attribute",
        "group",
        "n",
        "metric",
        "value",
        "ci_low",
        "ci_high",
    }
    metrics = {r["metric"] for r in payload["rows"]}
    assert {
        "cramers_v[postcode_area]",
        "combined_proxy_auc",
        "consistency",
        "theil_index",
        "decision_change_importance[postcode_area]",
    } <= metrics


def test_table_output_and_the_policys_transparency_rules(
    world: dict[str, Any], capsys: Any
) -> None:
    code, out, _ = _run(capsys, *_model_args(world, "--policy", "public-sector-baseline"))
    # Only warnings fail (the proxies), so the transparency rules of the baseline pass.
    assert code == 0
    assert ": PASS under public-sector-baseline (transparency rules) " in out
    assert (
        "XX baseline-combined-proxies [warning] fail: The model's inputs together predict "
        "ethnicity" in out
    )
    assert out.splitlines()[4].startswith("  postcode_area     ethnicity")  # the strongest proxy
    assert "four-fifths" not in out  # fairness rules need another audit


def test_a_failing_blocking_rule_exits_1(world: dict[str, Any], capsys: Any) -> None:
    code, out, _ = _run(
        capsys, *_model_args(world, "--policy", str(world["folder"] / "blocking.yaml"))
    )
    assert code == 1
    assert "FAIL" in out


def test_the_output_folder_gets_the_report(
    world: dict[str, Any], capsys: Any, tmp_path: Path
) -> None:
    code, _, err = _run(capsys, *_model_args(world, "--out", str(tmp_path / "out"), "--quiet"))
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "audit.json",
        "compliance_report.html",
        "compliance_report.md",
    ]
    html = (tmp_path / "out" / "compliance_report.html").read_text()
    assert "Inputs that stand in for a sensitive attribute" in html
    assert 'aria-label="What drives the model\'s decisions, with 95% intervals"' in html
    assert "wrote audit.json" in err


def test_a_tool_without_a_model_gets_the_proxies(world: dict[str, Any], capsys: Any) -> None:
    code, out, _ = _run(
        capsys,
        "--data",
        str(world["data"]),
        "--y-pred",
        "shortlisted",
        "--sensitive",
        "ethnicity",
        "--y-true",
        "hired",
        "--features",
        "postcode_area,education",
        "--format",
        "json",
    )
    assert code == 0
    part = json.loads(out)["evidence"]["transparency"]
    assert part["proxies"][0]["feature"] == "postcode_area"
    assert part["global_explanation"] is None
    assert part["individual_fairness"]["theil_index"] is not None
    code, out, _ = _run(
        capsys, "--data", str(world["data"]), "--y-pred", "shortlisted", "--sensitive", "ethnicity"
    )
    assert code == 0
    assert "Inputs: not known (name them with --features to measure proxies)." in out


def test_the_progress_bar_draws_on_a_terminal_only() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    bar = progress_bar("Shuffling inputs", unit="inputs", quiet=False, stream=stream)
    assert isinstance(bar, ProgressBar)
    bar(1, 4)
    bar(4, 4)
    assert stream.getvalue() == (
        "\rShuffling inputs [#######.......................] 1/4 inputs"
        "\rShuffling inputs [##############################] 4/4 inputs\n"
    )
    assert progress_bar("x", unit="y", quiet=True, stream=Terminal()) is None
    assert progress_bar("x", unit="y", quiet=False, stream=io.StringIO()) is None


def _hostile(world: dict[str, Any], tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    frame: pd.DataFrame = world["frame"]
    frame.assign(assessment_score="high").to_csv(tmp_path / "text.csv", index=False)
    frame.head(0).to_csv(tmp_path / "empty.csv", index=False)
    frame.assign(hired=np.where(frame["hired"] == 1, 2, 0)).to_csv(tmp_path / "y.csv", index=False)
    (tmp_path / "dup.csv").write_text("sex,sex,shortlisted\nf,m,1\nm,f,0\n", encoding="utf-8")
    (tmp_path / "no-model").mkdir()
    model = ["--model-uri", str(world["folder"] / "model")]
    data = ["--data", str(world["data"])]
    vendor = ["--y-pred", "shortlisted"]
    sex = ["--sensitive", "sex"]
    kinds = (
        "transparency, combined_proxy, proxy_importance, importance_by_group, individual_fairness"
    )
    no_model = str(tmp_path / "no-model")
    return {
        "missing file": (["--data", str(tmp_path / "nope.csv"), *model, *sex], "does not exist"),
        "misspelt sensitive": ([*data, *model, "--sensitive", "ethnicty"],
                               "Did you mean 'ethnicity'?"),
        "misspelt feature": ([*data, *vendor, *sex, "--features", "postcode"],
                             "column 'postcode' is not in the data"),
        "no model folder": ([*data, "--model-uri", no_model, *sex],
                            MSG_BAD_LOAD_URI.format(uri=no_model,
                                                    reason="no MLmodel file in that folder")),
        "nothing to explain": ([*data, *sex], MSG_NO_DECISIONS),
        "model and decisions": ([*data, *model, *vendor, *sex], MSG_BOTH_DECISIONS),
        "policy without transparency rules": (
            [*data, *model, *sex, "--policy", "eeoc-four-fifths"],
            MSG_NO_TRANSPARENCY_RULES.format(policy="eeoc-four-fifths", kinds=kinds),
        ),
        "text where numbers belong": (["--data", str(tmp_path / "text.csv"), *model, *sex],
                                      MSG_PREDICT_FAILED.split("(")[0]),
        "empty file": (["--data", str(tmp_path / "empty.csv"), *vendor, *sex], "has no rows"),
        "outcome not 0/1": (["--data", str(tmp_path / "y.csv"), *model, *sex, "--y-true", "hired"],
                            "y_true column 'hired' in y.csv is not binary for positive label '1'"),
        "repeated column": (["--data", str(tmp_path / "dup.csv"), *vendor, *sex],
                            "column 'sex' appears 2 times in dup.csv"),
        "unknown policy": ([*data, *model, *sex, "--policy", "public-sector-baselin"],
                           "(did you mean 'public-sector-baseline'?)"),
    }  # fmt: skip


CASES = [
    "missing file", "misspelt sensitive", "misspelt feature", "no model folder",
    "nothing to explain", "model and decisions", "policy without transparency rules",
    "text where numbers belong", "empty file", "outcome not 0/1", "repeated column",
    "unknown policy",
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_hostile_input_exits_2_with_a_message_and_writes_nothing(
    world: dict[str, Any], capsys: Any, tmp_path: Path, case: str
) -> None:
    args, message = _hostile(world, tmp_path)[case]
    out_dir = tmp_path / "out"
    code, out, err = _run(capsys, *args, "--out", str(out_dir))
    assert code == 2, err
    assert message in err
    assert "Traceback" not in err and out == ""
    assert not out_dir.exists() or not any(out_dir.iterdir())


def test_outcomes_coded_otherwise_are_read_with_the_positive_label(
    world: dict[str, Any], capsys: Any, tmp_path: Path
) -> None:
    from govern.audits.transparency.individual import individual_fairness

    frame: pd.DataFrame = world["frame"]
    words = {1: "yes", 0: "no"}
    frame.assign(
        hired=frame["hired"].map(words), shortlisted=frame["shortlisted"].map(words)
    ).to_csv(tmp_path / "yes.csv", index=False)
    args = ["--data", str(tmp_path / "yes.csv"), "--y-pred", "shortlisted", "--sensitive", "sex",
            "--y-true", "hired", "--format", "json"]  # fmt: skip
    code, _, err = _run(capsys, *args)
    assert code == 2 and "Pass --positive-label" in err
    code, out, _ = _run(capsys, *args, "--positive-label", "yes")
    assert code == 0
    found = json.loads(out)["evidence"]["transparency"]["individual_fairness"]["theil_index"]
    expected = individual_fairness(
        decisions=frame["shortlisted"].to_numpy(), y_true=frame["hired"].to_numpy(), n_boot=0
    ).theil_index
    assert found == expected
