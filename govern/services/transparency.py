"""The transparency audit as a service: ``govern audit transparency`` and the transparency
gatherer of every other audit share its settings here.

:func:`audit_transparency` audits one model (any MLflow model URI: a scikit-learn estimator or
pipeline, or a pyfunc model), or a tool known only by its recorded decisions, on a data file:

1. **load** what can be refused: the policy, the output folder, the data, the model;
2. **decide**: the model's decisions on the data (or the recorded ones);
3. **gather** the transparency evidence (:mod:`govern.audits.transparency`);
4. **judge**, when a policy is given, the policy's rules that read transparency evidence (the
   other rules need other audits: ``govern audit run``);
5. **write** ``audit.json`` and the compliance report to the output folder, when one is given.

Nothing is recorded in the register or the trail: this is an examination, not a release audit.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govern.errors import BadInputError, DataError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from govern.adapters.registry import LoadedModel
    from govern.audits.transparency import TransparencySettings
    from govern.data import EvaluationData
    from govern.policies import Policy
    from govern.results import AuditResult, PolicyResult

# Column holding the model's decisions while auditing; never shown to a user.
DECISION_COLUMN = "__govern_decision__"
POLICY_SUFFIX = " (transparency rules)"

MSG_NO_DECISIONS = (
    "nothing to audit: give --model-uri URI (the model is explained) or --y-pred COLUMN (the "
    "recorded decisions of a tool without a model)."
)
MSG_BOTH_DECISIONS = (
    "give --model-uri or --y-pred, not both: with a model its own decisions are explained; "
    "--y-pred is for a tool known only by its recorded decisions."
)
MSG_NO_TRANSPARENCY_RULES = (
    "policy {policy!r} has no rule that reads transparency evidence (kinds: {kinds}); audit it "
    "with 'govern audit run', or give a policy with transparency rules."
)
MSG_MISSING_INPUTS = (
    "the data lacks {count} input column(s) that the model reads: {missing}. Available "
    "columns: {available}. Audit with data holding the model's inputs."
)
MSG_PREDICT_FAILED = (
    "the model could not predict on the data ({reason}). Check that the columns have the types "
    "the model was trained on."
)
MSG_NOT_DECISIONS = (
    "the model predicted {found} on the audit data; a transparency audit needs yes/no "
    "decisions coded 0/1 (or False/True) from predict()."
)


def proxy_flag_strength(policy: Policy | None) -> float:
    """The single-input strength from which an input counts as a proxy in the share of
    importance: the lowest ``proxy_strength`` of the policy's ``proxy_importance`` rules, else
    the check's default.

    Examples
    --------
    >>> proxy_flag_strength(None)
    0.3
    """
    from govern.policies.checks.proxy_importance import (
        DEFAULT_PROXY_STRENGTH,
        ProxyImportanceCheck,
    )

    levels = [
        rule.check.proxy_strength
        for rule in (policy.rules if policy is not None else [])
        if isinstance(rule.check, ProxyImportanceCheck)
    ]
    return min(levels) if levels else DEFAULT_PROXY_STRENGTH


def transparency_settings(
    policy: Policy | None, *, seed: int = 0, n_repeats: int = 5
) -> TransparencySettings:
    """The audit's settings under ``policy``: its interval level, minimum group size (at least
    its disclosure size) and proxy strength, the seed and the repeats of the permutation
    importance."""
    from govern.audits.transparency import TransparencySettings

    if policy is None:
        return TransparencySettings(seed=seed, n_repeats=n_repeats)
    return TransparencySettings(
        seed=seed,
        n_repeats=n_repeats,
        level=policy.settings.confidence_level,
        # A group's figures come with its count: never measure one the policy may not publish.
        min_group_size=max(policy.settings.min_group_size, policy.disclosure().min_size),
        proxy_flag_strength=proxy_flag_strength(policy),
    )


def transparency_rules_only(result: PolicyResult) -> PolicyResult:
    """The verdicts of the rules whose check kind reads transparency evidence."""
    from govern.evidence.transparency import TransparencyEvidence
    from govern.policies.checks import check_kind

    kept = [r for r in result.rules if check_kind(r.check).evidence is TransparencyEvidence]
    return result.model_copy(
        update={"rules": kept, "policy_name": result.policy_name + POLICY_SUFFIX}
    )


def _checked_policy(policy: Policy | str | os.PathLike[str] | None) -> Policy | None:
    if policy is None:
        return None
    from govern.evidence.transparency import TransparencyEvidence
    from govern.policies.checks import check_kind, check_kinds
    from govern.services.audit import load_policy_source

    loaded, source = load_policy_source(policy)
    if not any(check_kind(r.check.kind).evidence is TransparencyEvidence for r in loaded.rules):
        kinds = [k for k in check_kinds() if check_kind(k).evidence is TransparencyEvidence]
        raise BadInputError(MSG_NO_TRANSPARENCY_RULES.format(policy=source, kinds=", ".join(kinds)))
    return loaded


def _listed(names: Sequence[str], limit: int = 25) -> str:
    shown = ", ".join(repr(str(n)) for n in list(names)[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def model_decisions(model: LoadedModel, frame: pd.DataFrame, features: list[str]) -> np.ndarray:
    """The model's 0/1 decision for every row, refusing missing inputs and non-decisions."""
    import numpy as np

    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise DataError(
            MSG_MISSING_INPUTS.format(
                count=len(missing), missing=_listed(missing), available=_listed(list(frame.columns))
            )
        )
    try:
        predictions = np.asarray(model.predict(frame[features]))
    except Exception as error:  # any failure of the model's own code is the user's input
        raise DataError(MSG_PREDICT_FAILED.format(reason=str(error)[:300])) from error
    if predictions.ndim > 1:
        predictions = predictions.reshape(len(predictions), -1)[:, 0]
    distinct = np.unique(predictions)
    if predictions.shape[0] != len(frame) or not set(distinct.tolist()) <= {0, 1}:
        raise DataError(MSG_NOT_DECISIONS.format(found=_listed([repr(v) for v in distinct], 6)))
    return predictions.astype(np.int8)


def _inputs(
    model: LoadedModel | None,
    frame: pd.DataFrame,
    features: Sequence[str] | None,
    reserved: set[str],
) -> list[str] | None:
    if features is not None:
        return list(features)
    if model is None:
        return None
    if model.input_names is not None:
        return list(model.input_names)
    return [str(c) for c in frame.columns if c not in reserved]


def _check_header(
    header: list[str],
    sensitive: list[str],
    y_true: str | None,
    y_pred: str | None,
    inputs: list[str],
    where: str,
) -> None:
    """The file's own header holds every column the audit reads, once (a reader would rename
    a repeated name silently). An input may also be a sensitive attribute: that is direct use,
    which the audit reports, not bad input."""
    from govern.data import DUPLICATE_COLUMN, check_role_columns

    roles = [("sensitive", c) for c in sensitive]
    roles += [(role, c) for role, c in (("y_true", y_true), ("y_pred", y_pred)) if c]
    check_role_columns(roles, header, where)
    for column in inputs:
        if header.count(column) > 1:
            raise DataError(
                DUPLICATE_COLUMN.format(column=column, source=where, count=header.count(column))
            )


def _split(value: Sequence[str] | str | None) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return list(value)


def audit_transparency(
    data: pd.DataFrame | str | os.PathLike[str],
    *,
    sensitive: Sequence[str] | str,
    model_uri: str | None = None,
    features: Sequence[str] | str | None = None,
    y_true: str | None = None,
    y_pred: str | None = None,
    policy: Policy | str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    seed: int = 0,
    n_repeats: int = 5,
    positive_label: Any = 1,
    tracking_uri: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AuditResult:
    """Audit what a model reads, which inputs stand in for sensitive attributes, what drives its
    decisions and whether similar people are treated alike.

    Parameters
    ----------
    data : DataFrame or path
        Records (CSV or Parquet) with the model's inputs and the sensitive attributes.
    sensitive : list of str or comma-separated str
        Sensitive attribute columns.
    model_uri : str, optional
        An MLflow model URI (``runs:/<id>/model``, ``models:/<name>/<version>``, a folder with an
        MLmodel file) whose ``predict`` returns 0/1 decisions.
    features : list of str or comma-separated str, optional
        The model's inputs, when its signature does not name them; for a tool without a model,
        the inputs its supplier documents (needed for the proxy measures).
    y_true : str, optional
        Column of true outcomes (0/1): adds the accuracy importance and the Theil index.
    y_pred : str, optional
        Column of recorded decisions, for a tool without a model.
    policy : Policy, pack name or path, optional
        Judge its transparency rules on the evidence.
    out_dir : path, optional
        Write ``audit.json`` and the compliance report there (checked before any work).
    seed, n_repeats : int
        Seed of every sample and shuffle; repeats of the permutation importance.
    positive_label : scalar, default 1
        The value of ``y_true`` and ``y_pred`` that means a positive outcome or decision (the
        model's own decisions must be 0/1).
    tracking_uri : str, optional
        Register for ``runs:/`` and ``models:/`` URIs (default from the environment).
    progress : callable, optional
        Called with (inputs done, inputs in all) during the permutation importance.

    Returns
    -------
    AuditResult
        ``evidence`` holds the ``transparency`` part; ``policy`` the transparency rules' verdicts
        (``None`` without a policy).

    Examples
    --------
    >>> result = audit_transparency("applicants.csv", model_uri="runs:/abc/model",
    ...                             sensitive="sex,ethnicity")  # doctest: +SKIP
    >>> result.evidence.kinds  # doctest: +SKIP
    ['transparency']
    """
    from govern.audits.transparency import transparency_evidence
    from govern.evidence import Evidence
    from govern.results import ModelRef
    from govern.services.audit import output_folder

    if model_uri is None and y_pred is None:
        raise BadInputError(MSG_NO_DECISIONS)
    if model_uri is not None and y_pred is not None:
        raise BadInputError(MSG_BOTH_DECISIONS)
    the_policy = _checked_policy(policy)
    out = output_folder(out_dir)
    loaded = _load(data, model_uri=model_uri, sensitive=sensitive, features=features,
                   y_true=y_true, y_pred=y_pred, tracking_uri=tracking_uri)  # fmt: skip
    frame, evaluation = _decide(loaded, y_true=y_true, y_pred=y_pred, positive_label=positive_label)
    evidence = transparency_evidence(
        loaded.model,
        frame,
        features=loaded.inputs or [],
        sensitive=loaded.sensitive,
        y_true=evaluation.y_true,
        decisions=evaluation.y_pred,
        settings=transparency_settings(the_policy, seed=seed, n_repeats=n_repeats),
        progress=progress,
    )
    if loaded.inputs is None:
        evidence = evidence.model_copy(update={"model_inputs": None, "direct_use": None})
    result = _result(
        Evidence.of(evidence),
        evaluation.fingerprint(),
        the_policy,
        ModelRef(name=model_uri) if model_uri else None,
    )
    if out is not None:
        from govern.services.audit import render_reports

        out.write(render_reports(result, None))
    return result


@dataclass(frozen=True)
class _Loaded:
    """Step 1's results: the data, the audited columns and the model, all checked."""

    frame: pd.DataFrame = field(repr=False)
    source: str | None
    sensitive: list[str]
    inputs: list[str] | None  # None: a tool without a model whose inputs were not named
    model: LoadedModel | None = field(repr=False)


def _load(
    data: pd.DataFrame | str | os.PathLike[str],
    *,
    model_uri: str | None,
    sensitive: Sequence[str] | str,
    features: Sequence[str] | str | None,
    y_true: str | None,
    y_pred: str | None,
    tracking_uri: str | None,
) -> _Loaded:
    import pandas as pd

    from govern.adapters.registry import Registry
    from govern.data import table_columns
    from govern.services.audit import read_frame, sensitive_columns

    header = None if isinstance(data, pd.DataFrame) else table_columns(data)
    frame, source = read_frame(data)
    columns = sensitive_columns(_split(sensitive), None, model_uri or "the decisions")
    model = Registry(tracking_uri).load_model_uri(model_uri) if model_uri is not None else None
    reserved = {*columns, *(c for c in (y_true, y_pred) if c)}
    inputs = _inputs(model, frame, _split(features), reserved)
    if header is not None:
        _check_header(header, columns, y_true, y_pred, inputs or [], source or "the data")
    return _Loaded(frame=frame, source=source, sensitive=columns, inputs=inputs, model=model)


def _decide(
    loaded: _Loaded, *, y_true: str | None, y_pred: str | None, positive_label: Any
) -> tuple[pd.DataFrame, EvaluationData]:
    """The data with the decisions audited (the model's, or the recorded ones), validated."""
    from govern.data import EvaluationData

    frame, decision_column = loaded.frame, y_pred
    if loaded.model is not None:
        assert loaded.inputs is not None
        decisions = model_decisions(loaded.model, frame, loaded.inputs)
        frame, decision_column = frame.assign(**{DECISION_COLUMN: decisions}), DECISION_COLUMN
    assert decision_column is not None
    evaluation = EvaluationData.from_frame(
        frame,
        y_pred=decision_column,
        sensitive=loaded.sensitive,
        y_true=y_true,
        positive_label=positive_label,
        source=loaded.source,
    )
    return frame, evaluation


def _result(evidence: Any, fingerprint: Any, policy: Policy | None, model: Any) -> AuditResult:
    from govern import __version__
    from govern.policies import evaluate
    from govern.results import AuditResult, DisclosureRule

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    verdicts = None
    if policy is not None:
        verdicts = transparency_rules_only(
            evaluate(policy, evidence, today=now.date(), model_name=None, model_version=None)
        )
    return AuditResult(
        govern_version=__version__,
        created_at=now,
        model=model,
        data=fingerprint,
        evidence=evidence,
        policy=verdicts,
        disclosure=policy.disclosure() if policy is not None else DisclosureRule(),
    )


__all__ = ["audit_transparency", "proxy_flag_strength", "transparency_settings"]
