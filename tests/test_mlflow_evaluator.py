"""``mlflow.models.evaluate(..., evaluators="govern")`` on real scikit-learn models in a real
SQLite register: govern's figures logged to the run (checked against fairlearn), the report as
an artifact, and the policy's verdict raised as MLflow's validation failure."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from importlib.metadata import entry_points
from typing import Any

import mlflow_helpers
import pytest

from govern.errors import BadInputError
from govern.services.mlflow_evaluator import (
    CONFIG_KEYS,
    MSG_MISSING_COLUMNS,
    MSG_NO_SENSITIVE,
    MSG_SENSITIVE_LENGTH,
    MSG_UNKNOWN_KEY,
    GovernEvaluator,
)

pytestmark = pytest.mark.slow
COLUMNS = [*mlflow_helpers.FEATURES, "sex", "hired"]


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A biased and a fair model, logged with signatures in a fresh SQLite register."""
    import mlflow
    import mlflow.sklearn

    folder = tmp_path_factory.mktemp("evaluator")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("evaluation")
    models: dict[str, Any] = {"uri": uri}
    try:
        for kind in ("biased", "fair"):
            frame = mlflow_helpers.hiring_frame(600, seed=21, biased=kind == "biased")
            model = mlflow_helpers.train_model(frame)
            with mlflow.start_run(), contextlib.redirect_stderr(io.StringIO()):
                info = mlflow.sklearn.log_model(
                    model, name="model", input_example=frame[mlflow_helpers.FEATURES].head(3)
                )
            data = mlflow_helpers.hiring_frame(500, seed=22, biased=kind == "biased")[COLUMNS]
            models[kind] = (info.model_uri, model, data)
        yield models
    finally:
        mlflow.set_tracking_uri(previous)


def _evaluate(model_uri: str, data: Any, **options: Any) -> tuple[Any, str]:
    import mlflow

    with mlflow.start_run() as run, contextlib.redirect_stderr(io.StringIO()):
        try:
            result = mlflow.models.evaluate(
                model_uri, data, targets="hired", model_type="classifier", **options
            )
        except Exception as error:  # returned, so the run's records can be checked after
            result = error
    return result, run.info.run_id


def _run(run_id: str) -> tuple[dict[str, float], list[str]]:
    import mlflow

    client = mlflow.MlflowClient()
    metrics = client.get_run(run_id).data.metrics
    artifacts = [a.path for a in client.list_artifacts(run_id, "govern")]
    return dict(metrics), artifacts


def test_govern_is_an_mlflow_model_evaluator() -> None:
    (entry,) = [e for e in entry_points(group="mlflow.model_evaluator") if e.name == "govern"]
    assert entry.load() is GovernEvaluator
    assert GovernEvaluator.can_evaluate(model_type="classifier", evaluator_config={})
    assert not GovernEvaluator.can_evaluate(model_type="regressor", evaluator_config={})


def test_a_biased_model_fails_validation_with_its_figures_logged(logged: dict[str, Any]) -> None:
    from fairlearn.metrics import MetricFrame, demographic_parity_ratio, selection_rate
    from mlflow.models.evaluation.validation import ModelValidationFailedException

    model_uri, model, data = logged["biased"]
    error, run_id = _evaluate(
        model_uri,
        data,
        evaluators="govern",
        evaluator_config={"sensitive": ["sex"], "policy": "eeoc-four-fifths"},
    )
    assert isinstance(error, ModelValidationFailedException)
    assert "govern: the model did not pass the policy eeoc-four-fifths (fail): four-fifths " in (
        str(error)
    )
    metrics, artifacts = _run(run_id)
    decisions = model.predict(data[mlflow_helpers.FEATURES])
    frame = MetricFrame(
        metrics=selection_rate, y_true=data["hired"], y_pred=decisions,
        sensitive_features=data["sex"],
    )  # fmt: skip
    for group, rate in frame.by_group.items():
        assert metrics[f"govern/selection_rate/sex:{group}"] == pytest.approx(rate, abs=1e-12)
    expected = demographic_parity_ratio(data["hired"], decisions, sensitive_features=data["sex"])
    assert metrics["govern/demographic_parity_ratio/sex"] == pytest.approx(expected, abs=1e-12)
    assert metrics["govern/rules_blocking_failed"] == 1
    assert sorted(artifacts) == [
        "govern/audit.json",
        "govern/compliance_report.html",
        "govern/compliance_report.md",
    ]


def test_a_fair_model_passes_beside_mlflow_s_own_evaluator(logged: dict[str, Any]) -> None:
    import pandas as pd

    model_uri, model, data = logged["fair"]
    # MLflow's own evaluator gives the model every column of the data, so the data holds the
    # model's inputs only and the sensitive attribute is given to govern row for row.
    result, run_id = _evaluate(
        model_uri,
        data.drop(columns=["sex"]),
        evaluators=["default", "govern"],
        evaluator_config={"govern": {"sensitive": data[["sex"]], "policy": "eeoc-four-fifths"}},
    )
    assert not isinstance(result, Exception), result
    metrics, _ = _run(run_id)
    assert "accuracy_score" in metrics  # MLflow's classifier evaluator ran too
    assert result.metrics["govern/rules_blocking_failed"] == 0
    # impact ratios against the group with the highest selection rate, computed with pandas
    rates = pd.Series(model.predict(data[mlflow_helpers.FEATURES])).groupby(data["sex"]).mean()
    for group, rate in rates.items():
        ratio = metrics[f"govern/impact_ratio/sex:{group}"]
        assert ratio == pytest.approx(rate / rates.max(), abs=1e-12)
        assert ratio >= 0.8


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, MSG_NO_SENSITIVE),
        (
            {"sensitive": ["sex"], "polcy": "x"},
            MSG_UNKNOWN_KEY.format(keys=["polcy"], known=list(CONFIG_KEYS)),
        ),
        (
            {"sensitive": ["ethnicity"]},
            MSG_MISSING_COLUMNS.format(
                missing=["ethnicity"], available=[*mlflow_helpers.FEATURES, "sex"]
            ),
        ),
    ],
)
def test_a_bad_configuration_is_a_clear_message(
    logged: dict[str, Any], config: dict[str, Any], message: str
) -> None:
    model_uri, _, data = logged["fair"]
    error, _ = _evaluate(model_uri, data, evaluators="govern", evaluator_config=config)
    assert isinstance(error, BadInputError)
    assert str(error) == message


def test_sensitive_values_given_apart_must_match_the_data_row_for_row(
    logged: dict[str, Any],
) -> None:
    model_uri, _, data = logged["fair"]
    config = {"sensitive": {"sex": list(data["sex"].head(10))}}
    error, _ = _evaluate(
        model_uri, data.drop(columns=["sex"]), evaluators="govern", evaluator_config=config
    )
    assert isinstance(error, BadInputError)
    assert str(error) == MSG_SENSITIVE_LENGTH.format(given=10, rows=len(data))
