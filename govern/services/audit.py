"""Audit a registered model version against a policy, and record everything about it.

One call of :func:`run_audit` loads the version from the register (or, for a procured tool,
reads its recorded decisions from the data), gathers the evidence the policy needs (fairness with
the policy's settings, transparency, documentation from the model card artifact, process facts
from the register's tags), evaluates the policy, and records the audit three ways:

1. an MLflow run in the ``govern-audits`` experiment (params: policy name and sha256, data
   fingerprint and row count; metrics: attribute-wide disparities; artifacts: ``audit.json`` and
   the compliance report);
2. tags on the model version (``govern.audit.*``), set in one step at the end, only after the
   run and its artifacts were stored, with ``govern.audit.run_id`` last (the tag readers key on);
3. a record in the tamper-evident trail (EU AI Act Art. 12 record-keeping).

A failure while gathering or storing leaves the MLflow run FAILED and the tags untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.errors import BadInputError, DataError

if TYPE_CHECKING:
    import pandas as pd

    from govern.adapters.registry import ModelVersionInfo, Registry
    from govern.evidence import Evidence
    from govern.evidence.fairness import FairnessEvidence
    from govern.policies import Policy, Waiver
    from govern.results import AuditResult

AUDIT_ARTIFACT = "audit.json"
REPORT_ARTIFACT_MD = "compliance_report.md"
REPORT_ARTIFACT_HTML = "compliance_report.html"
DECISION_COLUMN = "__govern_decision__"

MSG_NO_SENSITIVE = (
    "no sensitive attribute to audit {name!r} on: pass --sensitive COLUMNS, or record "
    "sensitive_attributes in the model's metadata (govern register {name} --meta FILE)."
)
MSG_OUTCOME_ONLY_NEEDS_Y_PRED = (
    "model {name!r} version {version} is outcome-only (a procured tool without a model "
    "artifact): name the column of recorded decisions with --y-pred COLUMN."
)
MSG_MISSING_FEATURES = (
    "the data lacks {count} input column(s) that model {name!r} version {version} reads: "
    "{missing}. Available columns: {available}. Audit with data holding the model's inputs."
)
MSG_PREDICT_FAILED = (
    "model {name!r} version {version} could not predict on the data ({reason}). Check that "
    "the columns have the types the model was trained on."
)
MSG_PREDICTIONS_SHAPE = (
    "model {name!r} version {version} returned {found} predictions for {expected} rows; "
    "expected one decision per row."
)
MSG_BAD_CARD = "the model card stored with {name!r} version {version} cannot be read: {problem}"

_METRIC_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_./ -]+")


def _read_frame(data: pd.DataFrame | str | os.PathLike[str]) -> tuple[pd.DataFrame, str | None]:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data, None
    from govern.data import read_table

    return read_table(data), Path(data).name


def _load_policy(policy: Policy | str | os.PathLike[str]) -> tuple[Policy, str]:
    """The resolved policy and how to name it again later (pack name or absolute path)."""
    from govern.policies import Policy, load_policy

    if isinstance(policy, Policy):
        return policy, policy.name
    source = str(policy)
    loaded = load_policy(source)
    if Path(source).is_file():
        source = str(Path(source).resolve())
    return loaded, source


def _load_waivers(waivers: Sequence[Waiver] | str | os.PathLike[str] | None) -> list[Waiver]:
    if waivers is None:
        return []
    if isinstance(waivers, str | os.PathLike):
        from govern.policies import load_waivers

        return load_waivers(waivers)
    return list(waivers)


def _feature_names(model: Any, frame: pd.DataFrame, reserved: set[str]) -> list[str]:
    from govern.audits.transparency import model_input_names

    names = model_input_names(model)
    if names is None:
        metadata = getattr(model, "metadata", None)
        schema = metadata.get_input_schema() if metadata is not None else None
        if schema is not None and schema.has_input_names():
            names = list(schema.input_names())
    if names is None:
        names = [column for column in frame.columns if column not in reserved]
    return [str(name) for name in names]


def _predict(model: Any, frame: pd.DataFrame, features: list[str], name: str, version: str) -> Any:
    import numpy as np

    missing = [feature for feature in features if feature not in frame.columns]
    if missing:
        raise DataError(
            MSG_MISSING_FEATURES.format(
                count=len(missing),
                name=name,
                version=version,
                missing=", ".join(repr(m) for m in missing),
                available=", ".join(repr(str(c)) for c in frame.columns),
            )
        )
    try:
        predictions = np.asarray(model.predict(frame[features]))
    except Exception as error:
        raise DataError(
            MSG_PREDICT_FAILED.format(name=name, version=version, reason=str(error)[:300])
        ) from error
    predictions = (
        predictions.reshape(len(predictions), -1)[:, 0] if predictions.ndim > 1 else predictions
    )
    if predictions.shape[0] != len(frame):
        raise DataError(
            MSG_PREDICTIONS_SHAPE.format(
                name=name, version=version, found=predictions.shape[0], expected=len(frame)
            )
        )
    return predictions


def _load_card(registry: Registry, info: ModelVersionInfo) -> Any:
    """The model card stored with the version (a ModelCard), or None when it has none."""
    from govern.adapters.registry import TAG_CARD_PATH, TAG_CARD_RUN_ID

    run_id = info.tags.get(TAG_CARD_RUN_ID)
    card_path = info.tags.get(TAG_CARD_PATH)
    if not run_id or not card_path:
        return None
    import tempfile

    from govern.model_cards.card import load_model_card

    text = registry.read_artifact_text(run_id, card_path)
    with tempfile.TemporaryDirectory(prefix="govern-card-") as tmp:
        local = Path(tmp) / Path(card_path).name
        local.write_text(text, encoding="utf-8")
        try:
            card = load_model_card(local)
        except BadInputError as error:
            problem = str(error).replace(str(local), card_path)
            raise BadInputError(
                MSG_BAD_CARD.format(name=info.name, version=info.version, problem=problem)
            ) from error
    return card


def _process(
    registry: Registry, info: ModelVersionInfo, model_tags: dict[str, str], now: dt.datetime
) -> Any:
    from govern.evidence.process import ProcessEvidence
    from govern.metadata import REQUIRED_FOR_REGISTER, metadata_from_tags

    meta = metadata_from_tags(info.name, model_tags)
    # Sign-off is judged by the deployment gate, after the audit: approvers sign off on the
    # findings of an audit, so requiring their sign-off before it would be circular.
    approvals = None
    return ProcessEvidence(
        # This audit is the latest one: its age is zero on the day it runs.
        last_audit_at=now,
        owner=meta.owner if meta else None,
        appeal_route=meta.appeal_route if meta else None,
        risk_tier=meta.risk_tier if meta else None,
        purpose=meta.purpose if meta else None,
        approvals=approvals,
        register_missing_fields=meta.missing_fields() if meta else list(REQUIRED_FOR_REGISTER),
    )


def headline_metrics(fairness: FairnessEvidence | None) -> dict[str, float]:
    """Attribute-wide disparities (group '*') as MLflow metric names ``metric/attribute``.

    Examples
    --------
    >>> headline_metrics(None)
    {}
    """
    if fairness is None:
        return {}
    metrics: dict[str, float] = {}
    for row in fairness.disparities:
        if row.group == "*" and row.value is not None:
            key = _METRIC_NAME_UNSAFE.sub("_", f"{row.metric}/{row.attribute}")
            metrics[key] = float(row.value)
    return metrics


def _render_reports(result: AuditResult, card: Any | None) -> dict[str, str]:
    """The compliance report (Markdown and self-contained HTML) of one audit."""
    from govern.model_cards.render import render_report

    return {
        REPORT_ARTIFACT_MD: render_report(result, card=card, fmt="markdown"),
        REPORT_ARTIFACT_HTML: render_report(result, card=card, fmt="html"),
    }


def gather_evidence(
    frame: pd.DataFrame,
    *,
    policy: Policy,
    y_pred: str,
    sensitive: list[str],
    y_true: str | None,
    score: str | None,
    model: Any | None,
    features: list[str] | None,
    source: str | None,
    seed: int = 0,
) -> tuple[Evidence, Any]:
    """Fairness (with the policy's settings) and transparency evidence for one data set."""
    from govern.audits.fairness import audit_fairness
    from govern.audits.transparency import transparency_evidence
    from govern.data import EvaluationData
    from govern.evidence import Evidence

    data = EvaluationData.from_frame(
        frame, y_pred=y_pred, sensitive=sensitive, y_true=y_true, score=score, source=source
    )
    settings = policy.settings
    reference = None if settings.reference == "highest_selection_rate" else settings.reference
    fairness = audit_fairness(
        data,
        intersections=policy.needs_intersections() and len(sensitive) > 1,
        reference=reference,
        n_boot=settings.n_boot,
        seed=seed,
        min_group_size=settings.min_group_size,
        exclude_below_share=settings.exclude_below_share,
        alpha=settings.alpha,
        confidence_level=settings.confidence_level,
    )
    transparency = transparency_evidence(
        model, frame, features=features if features is not None else [], sensitive=sensitive
    )
    if features is None:
        transparency = transparency.model_copy(update={"model_inputs": None})
    return Evidence.of(fairness, transparency), data.fingerprint()


def run_audit(
    name: str,
    *,
    version: str,
    data: pd.DataFrame | str | os.PathLike[str],
    policy: Policy | str | os.PathLike[str],
    waivers: Sequence[Waiver] | str | os.PathLike[str] | None = None,
    y_true: str | None = None,
    y_pred: str | None = None,
    sensitive: Sequence[str] | str | None = None,
    score: str | None = None,
    tracking_uri: str | None = None,
    today: dt.date | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    trail: Path | None = None,
    seed: int = 0,
) -> AuditResult:
    """Audit version ``version`` of registered model ``name`` against ``policy`` and record it.

    Parameters
    ----------
    name, version : str
        The registered model version.
    data : DataFrame or path
        Evaluation records (CSV or Parquet): the model's inputs and the sensitive attributes,
        or, for an outcome-only audit, the recorded decisions.
    policy : Policy, pack name or path
        The policy to judge against (``govern policy list`` shows the packs).
    waivers : list of Waiver or path, optional
        Time-limited exceptions for failing rules.
    y_true : str, optional
        Column of true outcomes (enables error-rate metrics).
    y_pred : str, optional
        Column of recorded decisions. Required for outcome-only versions; when given for a model
        with an artifact, the recorded decisions are audited instead of fresh predictions.
    sensitive : list of str or comma-separated str, optional
        Sensitive attribute columns; default: the model's ``sensitive_attributes`` metadata.
    score : str, optional
        Column of a continuous score.
    tracking_uri : str, optional
        Register to use (default from the environment, see :mod:`govern.settings`).
    today : date, optional
        Day of evaluation (waiver expiry); default: today (UTC).
    out_dir : path, optional
        Also write ``audit.json`` and the report files there.
    trail : Path, optional
        Trail file (default: the configured one).
    seed : int, default 0
        Seed of the bootstrap and the permutation importances (same seed, same numbers).

    Returns
    -------
    AuditResult
        ``result.status`` is ``"pass"`` or ``"fail"``; ``result.model.run_id`` is the MLflow run.

    Raises
    ------
    govern.errors.BadInputError
        Unknown model or version, unreadable data or policy, missing columns.

    Examples
    --------
    >>> result = run_audit("cv-screening", version="2", data="applicants.csv",
    ...                    policy="eeoc-four-fifths", sensitive=["sex"])  # doctest: +SKIP
    >>> result.status  # doctest: +SKIP
    'pass'
    """
    from govern import __version__
    from govern.adapters.registry import (
        AUDIT_EXPERIMENT,
        TAG_AUDIT_AT,
        TAG_AUDIT_POLICY,
        TAG_AUDIT_POLICY_SHA256,
        TAG_AUDIT_RUN_ID,
        TAG_AUDIT_STATUS,
        Registry,
    )
    from govern.evidence.fairness import FairnessEvidence
    from govern.metadata import metadata_from_tags
    from govern.policies import evaluate, policy_sha256
    from govern.results import AuditResult, ModelRef

    version = str(version)
    # Everything that can be refused is checked before anything is written.
    the_policy, policy_source = _load_policy(policy)
    the_waivers = _load_waivers(waivers)
    frame, source = _read_frame(data)
    registry = Registry(tracking_uri)
    info = registry.get_version(name, version)
    model_tags = registry.get_model_tags(name)
    meta = metadata_from_tags(name, model_tags)

    if isinstance(sensitive, str):
        sensitive = [part.strip() for part in sensitive.split(",") if part.strip()]
    columns = list(sensitive) if sensitive else list(meta.sensitive_attributes if meta else [])
    if not columns:
        raise BadInputError(MSG_NO_SENSITIVE.format(name=name))

    model = None
    features: list[str] | None = None
    decision_column = y_pred
    if decision_column is None:
        if info.outcome_only:
            raise BadInputError(MSG_OUTCOME_ONLY_NEEDS_Y_PRED.format(name=name, version=version))
        model = registry.load_model(name, version)
        reserved = {*columns, *(c for c in (y_true, score) if c)}
        features = _feature_names(model, frame, reserved)
        predictions = _predict(model, frame, features, name, version)
        frame = frame.assign(**{DECISION_COLUMN: predictions})
        decision_column = DECISION_COLUMN

    evidence, fingerprint = gather_evidence(
        frame,
        policy=the_policy,
        y_pred=decision_column,
        sensitive=columns,
        y_true=y_true,
        score=score,
        model=model,
        features=features,
        source=source,
        seed=seed,
    )
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    card = _load_card(registry, info)
    from govern.evidence.documentation import DocumentationEvidence

    documentation = (
        card.documentation_evidence()
        if card is not None
        else DocumentationEvidence(card_on_record=False)
    )
    evidence = evidence.with_parts(documentation, _process(registry, info, model_tags, now))
    evaluated_on = today or now.date()
    policy_result = evaluate(
        the_policy,
        evidence,
        waivers=the_waivers,
        today=evaluated_on,
        model_name=name,
        model_version=version,
    )
    sha = policy_sha256(the_policy)

    with registry.run(
        AUDIT_EXPERIMENT,
        run_name=f"audit {name} v{version}",
        tags={"govern.model": name, "govern.version": version, "govern.kind": "audit"},
    ) as run:
        result = AuditResult(
            govern_version=__version__,
            created_at=now,
            model=ModelRef(name=name, version=version, run_id=run.run_id),
            data=fingerprint,
            evidence=evidence,
            policy=policy_result,
        )
        audit_json = result.model_dump_json(indent=2)
        run.log_params(
            {
                "policy_name": the_policy.name,
                "policy_version": the_policy.version,
                "policy_sha256": sha,
                "policy_source": policy_source,
                "data_sha256": fingerprint.sha256,
                "data_rows": fingerprint.n_rows,
                "data_source": fingerprint.source or "dataframe",
                "sensitive": ",".join(columns),
                "decisions": "recorded" if model is None else "predicted",
                "govern_version": __version__,
            }
        )
        failed = len(policy_result.blocking_failures)
        run.log_metrics(
            {
                **headline_metrics(evidence.get(FairnessEvidence)),
                "rules_blocking_failed": failed,
                "rules_total": len(policy_result.rules),
            }
        )
        run.log_text(audit_json, AUDIT_ARTIFACT)
        reports = _render_reports(result, card)
        for artifact, text in reports.items():
            run.log_text(text, artifact)
        run.set_tags({TAG_AUDIT_STATUS: result.status})

    at = now.isoformat()
    # Set only after the run and its artifacts are stored; run_id last (readers key on it).
    registry.set_version_tags(
        name,
        version,
        {
            TAG_AUDIT_STATUS: result.status,
            TAG_AUDIT_POLICY: policy_source,
            TAG_AUDIT_POLICY_SHA256: sha,
            TAG_AUDIT_AT: at,
            TAG_AUDIT_RUN_ID: run.run_id,
        },
    )

    from govern.adapters.trail import append_record

    result_sha = hashlib.sha256(audit_json.encode("utf-8")).hexdigest()
    append_record(
        "audit",
        model=name,
        version=version,
        data_sha256=fingerprint.sha256,
        policy_sha256=sha,
        result_sha256=result_sha,
        payload={
            "status": result.status,
            "policy": the_policy.name,
            "policy_version": the_policy.version,
            "run_id": run.run_id,
            "n_rows": fingerprint.n_rows,
            "blocking_failures": [r.rule_id for r in policy_result.blocking_failures],
            "verdicts": {r.rule_id: r.verdict for r in policy_result.rules},
        },
        path=trail if trail is not None else registry.settings.trail_path,
    )

    if out_dir is not None:
        from govern.adapters.files import safe_output_path, write_text_atomic

        write_text_atomic(safe_output_path(out_dir, AUDIT_ARTIFACT), audit_json)
        for artifact, text in reports.items():
            write_text_atomic(safe_output_path(out_dir, artifact), text)
    return result
