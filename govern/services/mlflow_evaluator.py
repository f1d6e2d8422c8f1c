"""govern as an MLflow model evaluator: fairness enters an existing ``mlflow.models.evaluate`` call.

Registered under the entry point group ``mlflow.model_evaluator`` with the name ``govern``
(``pyproject.toml``), so a team that already evaluates its models in MLflow adds one evaluator::

    mlflow.models.evaluate(model_uri, data, targets="hired", model_type="classifier",
                           evaluators=["default", "govern"],
                           evaluator_config={"govern": {"sensitive": ["sex"],
                                                        "policy": "eeoc-four-fifths"}})

and gets govern's fairness metrics logged to its run (``govern/<metric>/<attribute>`` for the
attribute-wide measures, ``govern/<metric>/<attribute>:<group>`` per group), ``audit.json`` and
the compliance report as the run's artifacts, and the policy's verdict raised as MLflow's own
``ModelValidationFailedException`` when the policy did not pass (failed, or inconclusive: unknown
is never pass). Without a ``policy`` it measures and logs, and raises nothing.

``sensitive`` names columns of ``data`` (the model is then asked to predict on its own inputs:
``features`` from the configuration, else its signature's, else every column but the sensitive
ones), or gives the sensitive attributes themselves, row for row with ``data``, as a DataFrame
or a mapping of name to values, so that ``data`` holds the model's inputs only (as MLflow's own
evaluators need). MLflow's plugin API is duck-typed (``can_evaluate`` and ``evaluate`` are all it
calls), so this class needs no MLflow base class, and reaches MLflow only through
:mod:`govern.adapters.registry`.

Configuration keys: ``sensitive`` (required: a list or a comma-separated string), ``policy``
(pack name or policy file), ``waivers`` (file), ``features`` (the model's inputs), ``seed``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govern.errors import BadInputError

if TYPE_CHECKING:
    import pandas as pd

    from govern.results import AuditResult

DECISION_COLUMN = "__govern_decision__"
LABEL_COLUMN = "__govern_label__"
METRIC_PREFIX = "govern/"
CONFIG_KEYS = ("sensitive", "policy", "waivers", "features", "seed")
PER_GROUP_METRICS = ("selection_rate", "impact_ratio", "true_positive_rate", "false_positive_rate")

MSG_NO_SENSITIVE = (
    "the govern evaluator needs the sensitive attributes to audit: pass "
    "evaluator_config={{'sensitive': ['sex', ...]}} (columns of the evaluation data)."
)
MSG_UNKNOWN_KEY = (
    "unknown key(s) {keys} in the govern evaluator's configuration; the keys are {known}."
)
MSG_MISSING_COLUMNS = (
    "the evaluation data lacks the sensitive column(s) {missing}; its columns are {available}. "
    "Pass data holding them, and no feature_names that leave them out."
)
MSG_SENSITIVE_LENGTH = (
    "the sensitive attributes given have {given} rows but the evaluation data has {rows}; give "
    "one value per row of the data, in the same order."
)
MSG_VERDICT = "govern: the model did not pass the policy {policy} ({status}): {reasons}"
_UNSAFE = re.compile(r"[^A-Za-z0-9_./: -]+")


@dataclass
class GovernEvaluation:
    """What the evaluator hands back to MLflow, which merges ``metrics`` and ``artifacts`` into
    the result of ``mlflow.models.evaluate`` (the artifacts are logged to the run directly)."""

    metrics: dict[str, float] = field(default_factory=dict)
    artifacts: dict[str, Any] = field(default_factory=dict)


def _config(evaluator_config: dict[str, Any] | None) -> dict[str, Any]:
    config = dict(evaluator_config or {})
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise BadInputError(MSG_UNKNOWN_KEY.format(keys=unknown, known=list(CONFIG_KEYS)))
    sensitive = config.get("sensitive")
    if isinstance(sensitive, str):
        sensitive = [part.strip() for part in sensitive.split(",") if part.strip()]
    if sensitive is None or len(sensitive) == 0:
        raise BadInputError(MSG_NO_SENSITIVE)
    config["sensitive"] = sensitive
    return config


def _sensitive_frame(frame: pd.DataFrame, sensitive: Any) -> tuple[pd.DataFrame, list[str]]:
    """The evaluation frame with the sensitive attributes in it, and their names."""
    import pandas as pd

    if isinstance(sensitive, list | tuple):
        names = [str(column) for column in sensitive]
        missing = [c for c in names if c not in frame.columns]
        if missing:
            raise BadInputError(
                MSG_MISSING_COLUMNS.format(
                    missing=missing, available=[str(c) for c in frame.columns]
                )
            )
        return frame, names
    given = pd.DataFrame(sensitive)
    if len(given) != len(frame):
        raise BadInputError(MSG_SENSITIVE_LENGTH.format(given=len(given), rows=len(frame)))
    given.index = frame.index
    return frame.assign(**{str(c): given[c] for c in given.columns}), [
        str(c) for c in given.columns
    ]


def _model_inputs(model: Any, frame: pd.DataFrame, config: dict[str, Any]) -> list[str]:
    if config.get("features"):
        return [str(c) for c in config["features"]]
    metadata = getattr(model, "metadata", None)
    schema = metadata.get_input_schema() if metadata is not None else None
    if schema is not None and schema.has_input_names():
        return [str(name) for name in schema.input_names()]
    named = config["sensitive"] if isinstance(config["sensitive"], list | tuple) else []
    return [str(c) for c in frame.columns if c not in named]


def _decisions(model: Any, dataset: Any, frame: pd.DataFrame, config: dict[str, Any]) -> Any:
    import numpy as np

    from govern.services.audit import _check_decisions

    if getattr(dataset, "predictions_data", None) is not None:
        predictions = np.asarray(dataset.predictions_data)
    else:
        predictions = np.asarray(model.predict(frame[_model_inputs(model, frame, config)]))
    if predictions.ndim > 1:
        predictions = predictions.reshape(len(predictions), -1)[:, 0]
    return _check_decisions(predictions, "the evaluated model", "-")


def _metrics(result: AuditResult) -> dict[str, float]:
    """govern's figures as MLflow metric names: attribute-wide measures and a few per group."""
    from govern.evidence.fairness import FairnessEvidence

    fairness = result.evidence.get(FairnessEvidence)
    metrics: dict[str, float] = {}
    if fairness is None:
        return metrics
    for row in fairness.rows():
        if row.value is None:
            continue
        if row.group == "*":
            key = f"{row.metric}/{row.attribute}"
        elif row.metric in PER_GROUP_METRICS:
            key = f"{row.metric}/{row.attribute}:{row.group}"
        else:
            continue
        metrics[METRIC_PREFIX + _UNSAFE.sub("_", key)] = float(row.value)
    if result.policy is not None:
        metrics[METRIC_PREFIX + "rules_blocking_failed"] = len(result.policy.blocking_failures)
        metrics[METRIC_PREFIX + "rules_blocking_inconclusive"] = len(
            result.policy.blocking_unknowns
        )
    return metrics


def _reasons(result: AuditResult) -> str:
    assert result.policy is not None
    failed = [f"{r.rule_id} failed: {r.sentence}" for r in result.policy.blocking_failures]
    unknown = [
        f"{r.rule_id} could not be checked: {r.to_conclude or r.sentence}"
        for r in result.policy.blocking_unknowns
    ]
    return "; ".join([*failed, *unknown])


def evaluate_with_govern(
    *, model: Any, dataset: Any, run_id: str, evaluator_config: dict[str, Any] | None
) -> GovernEvaluation:
    """Audit the model's decisions on the evaluation data, log the figures and documents to the
    run, and raise MLflow's validation failure when the policy did not pass."""
    from govern.adapters.registry import (
        Registry,
        RunRecorder,
        active_tracking_uri,
        validation_failure,
    )
    from govern.services.audit import render_reports
    from govern.services.data_audit import audit_data

    config = _config(evaluator_config)
    features = dataset.features_data
    decisions = _decisions(model, dataset, features, config)
    frame, sensitive = _sensitive_frame(features.copy(), config["sensitive"])
    frame[DECISION_COLUMN] = decisions
    labels = getattr(dataset, "labels_data", None)
    y_true = None
    if labels is not None:
        frame[LABEL_COLUMN] = labels
        y_true = LABEL_COLUMN
    result = audit_data(
        frame,
        policy=config.get("policy"),
        waivers=config.get("waivers"),
        y_pred=DECISION_COLUMN,
        y_true=y_true,
        sensitive=sensitive,
        seed=int(config.get("seed", 0)),
    )
    metrics = _metrics(result)
    recorder = RunRecorder(Registry(active_tracking_uri()), run_id)
    recorder.log_metrics(metrics)
    for name, text in render_reports(result, None).items():
        recorder.log_text(text, f"govern/{name}")
    recorder.set_tags({"govern.audit.status": result.status})
    if result.policy is not None and result.status != "pass":
        raise validation_failure(
            MSG_VERDICT.format(
                policy=result.policy.policy_name, status=result.status, reasons=_reasons(result)
            )
        )
    return GovernEvaluation(metrics=metrics)


class GovernEvaluator:
    """The ``govern`` model evaluator of ``mlflow.models.evaluate`` (binary classifiers)."""

    name = "govern"

    @classmethod
    def can_evaluate(
        cls, *, model_type: str | None = None, evaluator_config: Any = None, **kwargs: Any
    ) -> bool:
        """govern audits yes/no decisions: classifiers, or models of no declared type."""
        return model_type in (None, "classifier")

    def evaluate(
        self,
        *,
        model_type: str | None = None,
        dataset: Any = None,
        run_id: str = "",
        evaluator_config: dict[str, Any] | None = None,
        model: Any = None,
        **kwargs: Any,
    ) -> GovernEvaluation:
        """Called by ``mlflow.models.evaluate`` with the run, data and model it was given."""
        return evaluate_with_govern(
            model=model, dataset=dataset, run_id=run_id, evaluator_config=evaluator_config
        )
