"""The register on real MLflow: SQLite in a temporary folder and a real ``mlflow server``."""

from __future__ import annotations

import uuid
from pathlib import Path

import mlflow_helpers
import numpy as np
import pytest

from govern.adapters.registry import (
    MSG_BAD_MODEL_NAME,
    MSG_MODEL_NOT_FOUND,
    MSG_OUTCOME_ONLY,
    MSG_UNREACHABLE,
    MSG_VERSION_NOT_FOUND,
    TAG_CARD_PATH,
    TAG_CARD_RUN_ID,
    TAG_OUTCOME_ONLY,
    Registry,
    register_model,
)
from govern.errors import BadInputError, RegistryError
from govern.metadata import (
    MSG_META_FIELD,
    MSG_NAME_MISMATCH,
    MSG_OVERRIDE_NEEDS_JUSTIFICATION,
    GovernanceMetadata,
    derive_risk_tier,
    load_metadata,
    metadata_from_tags,
    metadata_to_tags,
)


@pytest.fixture(autouse=True)
def _work_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # register_model appends to the trail of the working directory: keep it in tmp_path.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def fair_model_uri(sqlite_tracking_uri: str) -> tuple[str, object]:
    model = mlflow_helpers.train_model(mlflow_helpers.hiring_frame(200, seed=1, biased=False))
    return mlflow_helpers.log_sklearn_model(sqlite_tracking_uri, model), model


def meta(name: str, **changes: object) -> GovernanceMetadata:
    fields: dict[str, object] = {
        "name": name,
        "purpose": "recruitment",
        "subjects": ["applicants"],
        "owner": "Recruitment analytics",
        "appeal_route": "https://agency.example/appeal",
    }
    fields.update(changes)
    return GovernanceMetadata.model_validate(fields)


# -- metadata ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purpose", "tier"),
    [
        ("recruitment", "high"),
        ("promotion", "high"),
        ("learning_recommendation", "high"),
        ("skills_assessment", "high"),
        ("other", "minimal"),
    ],
)
def test_risk_tier_is_derived_from_purpose(purpose: str, tier: str) -> None:
    assert derive_risk_tier(purpose) == tier  # type: ignore[arg-type]
    assert meta("m", purpose=purpose).risk_tier == tier


def test_risk_tier_override_needs_a_justification(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "name: m\npurpose: learning_recommendation\nsubjects: [employees]\nrisk_tier: minimal\n"
    )
    with pytest.raises(BadInputError) as caught:
        load_metadata(path)
    problem = MSG_OVERRIDE_NEEDS_JUSTIFICATION.format(
        given="minimal", derived="high", purpose="learning_recommendation"
    )
    assert str(caught.value) == MSG_META_FIELD.format(
        path=path, line=1, column=1, key="(top level)", problem=problem
    )
    path.write_text(
        path.read_text() + "risk_tier_justification: advisory only, reviewed by the board\n"
    )
    assert load_metadata(path).risk_tier == "minimal"


def test_metadata_errors_name_line_and_column_all_at_once(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("name: m\npurpose: hiring\nsubjects: [applicants, robots]\nownr: me\n")
    with pytest.raises(BadInputError) as caught:
        load_metadata(path)
    lines = str(caught.value).splitlines()
    assert lines == [
        MSG_META_FIELD.format(
            path=path,
            line=2,
            column=10,
            key="purpose",
            problem="Input should be 'recruitment', 'promotion', 'termination', "
            "'task_allocation', 'performance_evaluation', 'learning_recommendation', "
            "'skills_assessment' or 'other'",
        ),
        MSG_META_FIELD.format(
            path=path,
            line=3,
            column=24,
            key="subjects.1",
            problem="Input should be 'applicants', 'employees' or 'citizens'",
        ),
        MSG_META_FIELD.format(
            path=path,
            line=4,
            column=1,
            key="ownr",
            problem="unknown field; check the spelling or remove it",
        ),
    ]


def test_metadata_round_trips_through_tags() -> None:
    original = meta("m", data_sources=["ATS 2024"], sensitive_attributes=["sex", "age"])
    assert metadata_from_tags("m", metadata_to_tags(original)) == original
    assert metadata_from_tags("m", {"owner": "x"}) is None


# -- the SQLite register -----------------------------------------------------------------------


def test_register_model_with_metadata_and_predict_again(
    sqlite_tracking_uri: str, fair_model_uri: tuple[str, object], tmp_path: Path
) -> None:
    uri, model = fair_model_uri
    name = unique("cv-screening")
    card = tmp_path / "card.yaml"
    card.write_text("model_details:\n  name: cv\n")
    version = register_model(
        name, model_uri=uri, metadata=meta(name), card=card, tracking_uri=sqlite_tracking_uri
    )
    assert version == "1"
    registry = Registry(sqlite_tracking_uri)
    tags = registry.get_model_tags(name)
    assert tags["govern.meta.risk_tier"] == "high"
    assert tags["govern.meta.purpose"] == "recruitment"
    assert "Risk tier: high" in registry.get_model(name).description
    version_tags = registry.get_version_tags(name, version)
    assert version_tags[TAG_CARD_PATH] == "card/card.yaml"
    card_text = registry.read_artifact_text(version_tags[TAG_CARD_RUN_ID], "card/card.yaml")
    assert card_text == card.read_text()
    loaded = registry.load_model(name, version)
    frame = mlflow_helpers.hiring_frame(50, seed=9, biased=False)[mlflow_helpers.FEATURES]
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))  # type: ignore[attr-defined]
    # a second registration is version 2; the latest follows
    assert register_model(name, model_uri=uri, tracking_uri=sqlite_tracking_uri) == "2"
    assert registry.latest_version(name) == "2"
    assert [v.version for v in registry.list_versions(name)] == ["1", "2"]


def test_procured_tool_without_artifact_is_outcome_only(sqlite_tracking_uri: str) -> None:
    name = unique("vendor-tool")
    version = register_model(
        name, metadata=meta(name, vendor="Acme HR"), tracking_uri=sqlite_tracking_uri
    )
    registry = Registry(sqlite_tracking_uri)
    info = registry.get_version(name, version)
    assert info.outcome_only and info.tags[TAG_OUTCOME_ONLY] == "true"
    with pytest.raises(BadInputError) as caught:
        registry.load_model(name, version)
    assert str(caught.value) == MSG_OUTCOME_ONLY.format(name=name, version=version)


def test_missing_model_and_version_are_named(sqlite_tracking_uri: str) -> None:
    registry = Registry(sqlite_tracking_uri)
    name = unique("absent")
    with pytest.raises(RegistryError) as caught:
        registry.get_model_tags(name)
    assert str(caught.value) == MSG_MODEL_NOT_FOUND.format(name=name, uri=sqlite_tracking_uri)
    register_model(name, metadata=meta(name), tracking_uri=sqlite_tracking_uri)
    with pytest.raises(RegistryError) as caught:
        registry.get_version_tags(name, "7")
    assert str(caught.value) == MSG_VERSION_NOT_FOUND.format(
        name=name, version="7", uri=sqlite_tracking_uri
    )
    with pytest.raises(RegistryError):
        registry.set_alias(name, "production", "7")


def test_bad_names_and_mismatched_metadata_are_refused(sqlite_tracking_uri: str) -> None:
    with pytest.raises(BadInputError) as caught:
        register_model("../etc", metadata=meta("../etc"), tracking_uri=sqlite_tracking_uri)
    assert str(caught.value) == MSG_BAD_MODEL_NAME.format(name="../etc")
    with pytest.raises(BadInputError) as caught:
        register_model("model-a", metadata=meta("model-b"), tracking_uri=sqlite_tracking_uri)
    assert str(caught.value) == MSG_NAME_MISMATCH.format(meta="model-b", name="model-a")


def test_tags_aliases_and_inventory(sqlite_tracking_uri: str) -> None:
    registry = Registry(sqlite_tracking_uri)
    name = unique("aliases")
    register_model(name, metadata=meta(name), tracking_uri=sqlite_tracking_uri)
    register_model(name, tracking_uri=sqlite_tracking_uri)
    registry.set_version_tags(name, "1", {"govern.audit.status": "pass", "x": "1"})
    assert registry.get_version_tags(name, "1")["govern.audit.status"] == "pass"
    assert registry.get_alias_version(name, "production") is None
    registry.set_alias(name, "production", "1")
    assert registry.get_alias_version(name, "production") == "1"
    registry.set_alias(name, "production", "2")
    assert registry.get_alias_version(name, "production") == "2"
    registry.delete_alias(name, "production")
    assert registry.get_alias_version(name, "production") is None
    # A model registered straight in MLflow (no govern metadata) still shows in the inventory.
    bare = unique("bare")
    registry.ensure_model(bare)
    names = {m.name: m for m in registry.list_models()}
    assert name in names and bare in names
    assert metadata_from_tags(bare, names[bare].tags) is None


def test_run_is_failed_when_the_block_raises(sqlite_tracking_uri: str) -> None:
    registry = Registry(sqlite_tracking_uri)
    holder: list[str] = []
    with pytest.raises(ZeroDivisionError), registry.run("tests", run_name="crash") as run:
        holder.append(run.run_id)
        run.log_params({"a": 1})
        _ = 1 / 0
    assert registry.get_run_status(holder[0]) == "FAILED"
    with registry.run("tests", run_name="ok") as run:
        run.log_metrics({"impact_ratio": 0.75, "undefined": float("nan")})
        run.log_text("{}", "audit.json")
    assert registry.get_run_status(run.run_id) == "FINISHED"
    _, metrics, _ = registry.get_run_data(run.run_id)
    assert metrics == {"impact_ratio": 0.75}
    assert registry.read_artifact_text(run.run_id, "audit.json") == "{}"


def test_first_use_of_a_new_sqlite_register_is_quiet(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    uri = f"sqlite:///{tmp_path / 'fresh.db'}"
    register_model("quiet", metadata=meta("quiet"), tracking_uri=uri)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
    assert not (Path.cwd() / "mlruns").exists()


# -- a real server -----------------------------------------------------------------------------


@pytest.mark.slow
def test_register_and_tag_through_a_real_server(
    mlflow_server: mlflow_helpers.MlflowServer, tmp_path: Path
) -> None:
    name = unique("remote")
    card = tmp_path / "card.yaml"
    card.write_text("model_details:\n  name: remote\n")
    version = register_model(name, metadata=meta(name), card=card, tracking_uri=mlflow_server.uri)
    registry = Registry(mlflow_server.uri)
    registry.set_version_tags(name, version, {"govern.audit.status": "fail"})
    registry.set_alias(name, "staging", version)
    assert registry.get_version_tags(name, version)["govern.audit.status"] == "fail"
    assert registry.get_alias_version(name, "staging") == version
    run_id = registry.get_version_tags(name, version)[TAG_CARD_RUN_ID]
    assert registry.read_artifact_text(run_id, "card/card.yaml") == card.read_text()
    assert registry.get_model_tags(name)["govern.meta.owner"] == "Recruitment analytics"


def test_unreachable_server_is_a_clear_registry_error() -> None:
    uri = f"http://127.0.0.1:{mlflow_helpers.free_port()}"
    with pytest.raises(RegistryError) as caught:
        Registry(uri).list_models()
    assert str(caught.value) == MSG_UNREACHABLE.format(
        uri=uri, reason="[Errno 111] Connection refused"
    )


def test_tag_write_race_is_retried_and_other_errors_are_not() -> None:
    from govern.adapters.registry import _retry_on_write_race

    calls: list[int] = []

    def loses_twice() -> None:
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("(sqlite3.IntegrityError) UNIQUE constraint failed: tags.key")

    _retry_on_write_race(loses_twice)
    assert len(calls) == 3

    def broken() -> None:
        calls.append(1)
        raise RuntimeError("no such table: model_versions")

    calls.clear()
    with pytest.raises(RuntimeError, match="no such table"):
        _retry_on_write_race(broken)
    assert len(calls) == 1
