"""``govern audit run`` end to end on a real SQLite register and on a real MLflow server.

Expected figures are recomputed here from the model's own predictions with pandas, independently
of the fairness engine.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import mlflow_helpers
import pandas as pd
import pytest

from govern.adapters.registry import AUDIT_EXPERIMENT, MSG_UNREACHABLE, Registry, register_model
from govern.adapters.trail import read_trail, verify_trail
from govern.cli.main import main
from govern.errors import RegistryError
from govern.evidence.fairness import FairnessEvidence
from govern.policies import load_policy, policy_sha256
from govern.results import AuditResult
from govern.services.audit import (
    AUDIT_ARTIFACT,
    MSG_MISSING_FEATURES,
    MSG_NO_SENSITIVE,
    MSG_OUTCOME_ONLY_NEEDS_Y_PRED,
    run_audit,
)

POLICY = "eeoc-four-fifths"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """One register with a fair model, a biased model and a procured tool, plus their data."""
    folder = tmp_path_factory.mktemp("audit-run")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    trail = folder / "trail.jsonl"
    paths: dict[str, object] = {"folder": folder, "uri": uri, "trail": trail}
    for kind in ("fair", "biased"):
        model = mlflow_helpers.train_model(
            mlflow_helpers.hiring_frame(800, seed=3, biased=kind == "biased")
        )
        meta_file = folder / f"{kind}.meta.yaml"
        meta_file.write_text(mlflow_helpers.META_YAML.format(name=f"{kind}-model"))
        from govern.metadata import load_metadata

        register_model(
            f"{kind}-model",
            model_uri=mlflow_helpers.log_sklearn_model(uri, model),
            metadata=load_metadata(meta_file),
            tracking_uri=uri,
            trail=trail,
        )
        data = mlflow_helpers.hiring_frame(600, seed=4, biased=kind == "biased")
        data.to_csv(folder / f"{kind}.csv", index=False)
        paths[f"{kind}_model"] = model
        paths[f"{kind}_csv"] = folder / f"{kind}.csv"
    yield paths


@pytest.fixture
def env(world: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    folder = world["folder"]
    assert isinstance(folder, Path)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", str(world["uri"]))
    # the CLI uses the working directory's trail; point it at the module's trail file
    (folder / "govern.yaml").write_text("trail_path: trail.jsonl\n")
    return world


def expected_impact_ratio(model: object, csv: Path) -> float:
    """Selection rate of each sex from the model's predictions; lowest over highest (29 CFR
    1607.4(D))."""
    frame = pd.read_csv(csv)
    decisions = model.predict(frame[mlflow_helpers.FEATURES])  # type: ignore[attr-defined]
    rates = pd.Series(decisions).groupby(frame["sex"]).mean()
    return float(rates.min() / rates.max())


def test_fair_model_passes_and_everything_is_recorded(
    env: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["audit", "run", "fair-model", "--version", "1", "--data", str(env["fair_csv"]),
         "--policy", POLICY, "--y-true", "hired", "--format", "json"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    result = AuditResult.model_validate_json(out)
    assert result.status == "pass"
    assert result.model is not None and result.model.run_id
    run_id = result.model.run_id

    registry = Registry(str(env["uri"]))
    tags = registry.get_version_tags("fair-model", "1")
    sha = policy_sha256(load_policy(POLICY))
    assert tags["govern.audit.status"] == "pass"
    assert tags["govern.audit.run_id"] == run_id
    assert tags["govern.audit.policy_sha256"] == sha
    assert tags["govern.audit.policy"] == POLICY
    assert registry.get_run_status(run_id) == "FINISHED"

    params, metrics, _ = registry.get_run_data(run_id)
    assert params["policy_name"] == POLICY and params["policy_sha256"] == sha
    assert params["data_rows"] == "600"
    assert params["data_sha256"] == result.data.sha256
    ratio = expected_impact_ratio(env["fair_model"], env["fair_csv"])  # type: ignore[arg-type]
    assert metrics["impact_ratio/sex"] == pytest.approx(ratio, abs=1e-12)
    stored = registry.read_artifact_text(run_id, AUDIT_ARTIFACT)
    assert AuditResult.model_validate_json(stored) == result
    assert "four-fifths" in registry.read_artifact_text(run_id, "compliance_report.md")

    record = read_trail(env["trail"])[-1]  # type: ignore[arg-type]
    assert (record.kind, record.model, record.version) == ("audit", "fair-model", "1")
    assert record.policy_sha256 == sha and record.data_sha256 == result.data.sha256
    assert record.result_sha256 == hashlib.sha256(stored.encode()).hexdigest()
    assert verify_trail(env["trail"]).ok  # type: ignore[arg-type]


def test_biased_model_fails_with_exit_1(env: dict[str, object], tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(
        ["audit", "run", "biased-model", "--version", "1", "--data", str(env["biased_csv"]),
         "--policy", POLICY, "--out", str(out)]
    )  # fmt: skip
    assert code == 1
    result = AuditResult.model_validate_json((out / AUDIT_ARTIFACT).read_text())
    assert result.status == "fail"
    assert [r.rule_id for r in result.policy.blocking_failures] == ["four-fifths"]
    ratio = expected_impact_ratio(env["biased_model"], env["biased_csv"])  # type: ignore[arg-type]
    assert ratio < 0.8
    (row,) = result.evidence.get(FairnessEvidence).find("impact_ratio", attribute="sex", group="*")
    assert row.value == pytest.approx(ratio, abs=1e-12)
    assert (out / "compliance_report.html").read_text().startswith("<!")
    tags = Registry(str(env["uri"])).get_version_tags("biased-model", "1")
    assert tags["govern.audit.status"] == "fail"


def test_procured_tool_is_audited_on_recorded_decisions(
    env: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    uri = str(env["uri"])
    version = register_model("vendor-tool", tracking_uri=uri, trail=env["trail"])  # type: ignore[arg-type]
    args = ["audit", "run", "vendor-tool", "--version", version, "--data", str(env["fair_csv"]),
            "--policy", POLICY, "--sensitive", "sex"]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert (
        err
        == "govern: error: "
        + MSG_OUTCOME_ONLY_NEEDS_Y_PRED.format(name="vendor-tool", version=version)
        + "\n"
    )
    # recorded historical decisions: the 'hired' outcome of the fair data, ratio by hand
    frame = pd.read_csv(env["fair_csv"])  # type: ignore[arg-type]
    rates = frame.groupby("sex")["hired"].mean()
    expected = rates.min() / rates.max()
    code = main([*args, "--y-pred", "hired"])
    assert code == (0 if expected >= 0.8 else 1)
    run_id = Registry(uri).get_version_tags("vendor-tool", version)["govern.audit.run_id"]
    _, metrics, _ = Registry(uri).get_run_data(run_id)
    assert metrics["impact_ratio/sex"] == pytest.approx(expected, abs=1e-12)


def test_bad_inputs_exit_2_with_messages(
    env: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = str(env["uri"])
    register_model("no-meta-model", tracking_uri=uri, trail=env["trail"])  # type: ignore[arg-type]
    with pytest.raises(Exception) as caught:
        run_audit("no-meta-model", version="1", data=env["fair_csv"], policy=POLICY, y_pred="hired")  # type: ignore[arg-type]
    assert str(caught.value) == MSG_NO_SENSITIVE.format(name="no-meta-model")

    thin = tmp_path / "thin.csv"
    pd.read_csv(env["fair_csv"]).drop(columns=["test_score"]).to_csv(thin, index=False)  # type: ignore[arg-type]
    code = main(["audit", "run", "fair-model", "--version", "1", "--data", str(thin),
                 "--policy", POLICY])  # fmt: skip
    assert code == 2
    expected = MSG_MISSING_FEATURES.format(
        count=1,
        name="fair-model",
        version="1",
        missing="'test_score'",
        available="'experience', 'sex_signal', 'sex', 'hired'",
    )
    assert capsys.readouterr().err == f"govern: error: {expected}\n"

    code = main(["audit", "run", "fair-model", "--version", "9", "--data", str(thin),
                 "--policy", POLICY])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "model 'fair-model' has no version '9'" in err
    assert "Traceback" not in err


def test_crash_while_recording_leaves_run_failed_and_no_tags(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    trail = tmp_path / "trail.jsonl"
    version = register_model("crashy", tracking_uri=uri, trail=trail)
    registry = Registry(uri)
    # Artifacts cannot be stored under a regular file (even as root): the audit's artifact
    # upload fails after the run was created.
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    registry.client.create_experiment(
        AUDIT_EXPERIMENT, artifact_location=(blocker / "artifacts").as_uri()
    )
    data = mlflow_helpers.hiring_frame(200, seed=5, biased=False)
    n_before = len(read_trail(trail))
    with pytest.raises(RegistryError):
        run_audit("crashy", version=version, data=data, policy=POLICY, y_pred="hired",
                  sensitive=["sex"], tracking_uri=uri, trail=trail)  # fmt: skip
    (run_id,) = registry.search_runs(AUDIT_EXPERIMENT)
    assert registry.get_run_status(run_id) == "FAILED"
    assert not [
        k for k in registry.get_version_tags("crashy", version) if k.startswith("govern.audit")
    ]
    assert len(read_trail(trail)) == n_before


@pytest.mark.slow
def test_audit_through_a_real_server(
    mlflow_server: mlflow_helpers.MlflowServer, world: dict[str, object], tmp_path: Path
) -> None:
    model_uri = mlflow_helpers.log_sklearn_model(mlflow_server.uri, world["fair_model"])
    trail = tmp_path / "trail.jsonl"
    name = "remote-fair"
    version = register_model(name, model_uri=model_uri, tracking_uri=mlflow_server.uri, trail=trail)
    result = run_audit(name, version=version, data=world["fair_csv"], policy=POLICY,  # type: ignore[arg-type]
                       sensitive="sex", tracking_uri=mlflow_server.uri, trail=trail)  # fmt: skip
    assert result.status == "pass"
    registry = Registry(mlflow_server.uri)
    assert result.model is not None
    assert registry.get_version_tags(name, version)["govern.audit.run_id"] == result.model.run_id
    stored = AuditResult.model_validate_json(
        registry.read_artifact_text(result.model.run_id, AUDIT_ARTIFACT)
    )
    assert stored == result


@pytest.mark.slow
def test_unreachable_server_exits_2_with_a_clear_message(
    world: dict[str, object], tmp_path: Path
) -> None:
    uri = f"http://127.0.0.1:{mlflow_helpers.free_port()}"
    completed = subprocess.run(
        [str(mlflow_helpers.VENV_BIN / "govern"), "audit", "run", "fair-model", "--version", "1",
         "--data", str(world["fair_csv"]), "--policy", POLICY],
        cwd=tmp_path,
        env={**os.environ, "MLFLOW_TRACKING_URI": uri},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert completed.returncode == 2
    expected = MSG_UNREACHABLE.format(uri=uri, reason="[Errno 111] Connection refused")
    assert completed.stderr == f"govern: error: {expected}\n"
    assert completed.stdout == ""


def test_models_list_shows_verdicts_and_ungoverned(
    env: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    registry = Registry(str(env["uri"]))
    registry.ensure_model("shadow-it-model")  # registered in MLflow, never governed
    assert main(["models", "list", "--format", "json"]) == 0
    entries = {e["name"]: e for e in json.loads(capsys.readouterr().out)}
    assert entries["shadow-it-model"]["status"] == "UNGOVERNED"
    assert entries["fair-model"]["status"] == "governed"
    assert entries["fair-model"]["risk_tier"] == "high"
    tags = registry.get_version_tags("fair-model", "1")
    version = entries["fair-model"]["versions"][0]
    assert version["audit_status"] == tags.get("govern.audit.status")
    assert version["audit_at"] == tags.get("govern.audit.at")
    assert main(["models", "list"]) == 0
    table = capsys.readouterr().out
    assert any(line.split()[:2] == ["shadow-it-model", "UNGOVERNED"] for line in table.splitlines())
    assert main(["models", "show", "nope-model"]) == 2
    assert "no registered model named 'nope-model'" in capsys.readouterr().err


def test_the_permutation_importance_reports_its_progress(world: dict[str, object]) -> None:
    # The longest step of an audit run tells the caller how far it is (the CLI draws a bar).
    calls: list[tuple[int, int]] = []
    result = run_audit("fair-model", version="1", data=world["fair_csv"], policy=POLICY,  # type: ignore[arg-type]
                       sensitive="sex", tracking_uri=str(world["uri"]),
                       trail=Path(str(world["trail"])),
                       progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    assert result.status == "pass"
    total = calls[-1][1]
    assert total >= 1 and calls[-1] == (total, total)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
