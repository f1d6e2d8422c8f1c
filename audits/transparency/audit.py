"""The transparency audit of one model (or one vendor tool's decisions): every measure of this
package, gathered into one :class:`~govern.evidence.transparency.TransparencyEvidence`.

Measures only; the policy decides what is acceptable. What needs a model (the explanations)
is left out when there is none; what needs outcomes (accuracy importance, the Theil index) when
there are none. Each step samples its own rows with the seed, so the same data, model and seed
give the same evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govern.audits.transparency.associations import proxy_scores, require_columns
from govern.audits.transparency.combined import CombinedSettings, combined_proxy
from govern.audits.transparency.direct_use import direct_use
from govern.audits.transparency.encoding import EncodedInputs, encode_inputs
from govern.audits.transparency.importance import (
    ACCURACY_DROP,
    DECISION_CHANGE,
    PermutationResult,
    Progress,
    feature_importances,
    importance_by_group,
    permutation_importance,
    proxy_importance_share,
)
from govern.audits.transparency.individual import individual_fairness
from govern.errors import DataError
from govern.evidence.transparency import (
    CombinedProxy,
    IndividualFairness,
    TransparencyEvidence,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

MSG_PREDICT_FAILED = (
    "the model could not predict on the audit data ({reason}). Check that the data holds the "
    "model's inputs with the types it was trained on."
)
SOURCE_FEATURE_NAMES = "the fitted model's feature names"
SOURCE_SIGNATURE = "the MLflow signature"
SOURCE_NAMED = "the inputs named for the audit"
SOURCE_FED = "the columns fed to the model"


@dataclass(frozen=True)
class TransparencySettings:
    """How the transparency audit measures; every step is seeded from ``seed``."""

    n_repeats: int = 5
    seed: int = 0
    level: float = 0.95
    min_group_size: int = 30
    # Inputs whose single-input strength reaches this are the "proxies" whose share of the
    # importance is measured (the policy's proxy limit when it has one).
    proxy_flag_strength: float = 0.3
    max_rows: int | None = 100_000
    combined_folds: int = 5
    combined_max_rows: int = 20_000
    n_neighbors: int = 5
    consistency_max_rows: int = 5_000
    inequality_n_boot: int = 1000

    def as_dict(self) -> dict[str, float | int | str | None]:
        return {key: value for key, value in self.__dict__.items()}


def model_input_names(model: Any) -> list[str] | None:
    """Feature names a fitted model declares (scikit-learn's ``feature_names_in_``), if any."""
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(name) for name in names]


def input_source(model: Any, features: Sequence[str] | None) -> str:
    """Where the audit read the model's inputs, in words for the evidence."""
    predictor = getattr(model, "predictor", model)
    if model is not None and getattr(predictor, "feature_names_in_", None) is not None:
        return SOURCE_FEATURE_NAMES
    if model is not None and model_input_names(model) is not None:
        return SOURCE_SIGNATURE
    return SOURCE_NAMED if features is not None else SOURCE_FED


def _sample(n: int, limit: int | None, rng: np.random.Generator) -> np.ndarray:
    import numpy as np

    if limit is None or n <= limit:
        return np.arange(n)
    return np.sort(rng.choice(n, size=limit, replace=False))


def _explain(
    model: Any,
    frame: pd.DataFrame,
    inputs: list[str],
    y_true: np.ndarray | None,
    settings: TransparencySettings,
    progress: Progress | None,
) -> PermutationResult:
    targets: dict[str, np.ndarray | None] = {DECISION_CHANGE: None}
    if y_true is not None:
        targets[ACCURACY_DROP] = y_true
    try:
        return permutation_importance(
            model.predict,
            frame[inputs].reset_index(drop=True),
            targets=targets,
            n_repeats=settings.n_repeats,
            seed=settings.seed,
            progress=progress,
        )
    except DataError:
        raise
    except Exception as error:  # the model's own code failing on the data is bad input
        raise DataError(MSG_PREDICT_FAILED.format(reason=str(error)[:300])) from error


def _explanation_parts(
    result: PermutationResult,
    frame: pd.DataFrame,
    sensitive: Sequence[str],
    proxies: list[str],
    settings: TransparencySettings,
) -> dict[str, Any]:
    profiles, gaps = importance_by_group(
        result,
        {a: frame[a].to_numpy(dtype=object) for a in sensitive},
        min_group_size=settings.min_group_size,
        level=settings.level,
    )
    return {
        "global_explanation": feature_importances(result, DECISION_CHANGE, level=settings.level),
        "accuracy_importance": feature_importances(result, ACCURACY_DROP, level=settings.level)
        if ACCURACY_DROP in result.importances
        else None,
        "proxy_importance": proxy_importance_share(
            result,
            proxies=proxies,
            flag_strength=settings.proxy_flag_strength,
            level=settings.level,
        ),
        "importance_by_group": profiles,
        "importance_gaps": gaps,
    }


@dataclass(frozen=True)
class _Sample:
    """The people a step is measured on: positions in the explained rows, and their inputs
    encoded once for the combined proxy classifier and the nearest neighbours."""

    rows: np.ndarray
    encoded: EncodedInputs | None


def _encoded_sample(
    frame: pd.DataFrame, inputs: list[str], limit: int, rng: np.random.Generator
) -> _Sample:
    rows = _sample(len(frame), limit, rng)
    if not inputs:
        return _Sample(rows=rows, encoded=None)
    return _Sample(rows=rows, encoded=encode_inputs(frame.iloc[rows], inputs))


def _combined(
    frame: pd.DataFrame,
    sample: _Sample,
    inputs: list[str],
    sensitive: Sequence[str],
    settings: TransparencySettings,
) -> list[CombinedProxy]:
    if sample.encoded is None:
        return []
    combined_settings = CombinedSettings(
        n_folds=settings.combined_folds,
        min_group_size=settings.min_group_size,
        level=settings.level,
        seed=settings.seed,
    )
    found = []
    for attribute in sensitive:
        result = combined_proxy(
            sample.encoded,
            frame[attribute].iloc[sample.rows],
            features=[f for f in inputs if f != attribute],
            settings=combined_settings,
        )
        if result is not None:
            found.append(result)
    return found


def _individual(
    sample: _Sample,
    neutral: list[str],
    decisions: np.ndarray,
    truth: np.ndarray | None,
    settings: TransparencySettings,
    rng: np.random.Generator,
) -> IndividualFairness:
    import numpy as np

    matrix, rows = None, sample.rows
    if sample.encoded is not None and neutral:
        picked = _sample(len(sample.rows), settings.consistency_max_rows, rng)
        rows = sample.rows[picked]
        matrix = sample.encoded.matrix[np.ix_(picked, sample.encoded.columns(neutral))]
    return individual_fairness(
        decisions=decisions,
        y_true=truth,
        matrix=matrix,
        matrix_decisions=decisions[rows],
        features=neutral if matrix is not None else [],
        n_neighbors=settings.n_neighbors,
        n_boot=settings.inequality_n_boot,
        level=settings.level,
        seed=settings.seed,
    )


MSG_ROWS = "{name} has {found} values for {expected} rows of data; give one per row."


def _require_rows(data: pd.DataFrame, **arrays: np.ndarray | None) -> None:
    for name, values in arrays.items():
        if values is not None and len(values) != len(data):
            raise DataError(MSG_ROWS.format(name=name, found=len(values), expected=len(data)))


def transparency_evidence(
    model: Any | None,
    data: pd.DataFrame,
    *,
    features: Sequence[str] | None,
    sensitive: Sequence[str],
    y_true: np.ndarray | None = None,
    decisions: np.ndarray | None = None,
    settings: TransparencySettings | None = None,
    progress: Progress | None = None,
) -> TransparencyEvidence:
    """Gather the transparency evidence for one model (or a vendor tool with ``model=None``).

    Parameters
    ----------
    model
        Anything with ``predict(DataFrame)`` returning 0/1 decisions (a scikit-learn estimator
        or pipeline, an MLflow model); ``None`` for a tool known only by its decisions, in which
        case nothing needing the model (the explanations) is measured.
    data
        Records with the inputs, the sensitive attributes and the optional columns below.
    features
        The model's inputs; when ``None`` they are read from ``model.feature_names_in_``.
    sensitive
        Sensitive attribute columns to test every input against.
    y_true
        True outcomes (0/1), one per row of ``data``: adds the accuracy importance and the
        inequality of benefits.
    decisions
        Recorded decisions (0/1), one per row of ``data``, used when there is no model.
    settings
        Repeats, seed, interval level, sample sizes (:class:`TransparencySettings`).
    progress
        Called with (inputs done, inputs in all) during the permutation importance.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"area": list("aabb"), "sex": list("ffmm")})
    >>> evidence = transparency_evidence(None, frame, features=["area"], sensitive=["sex"])
    >>> evidence.proxies[0].strength
    1.0
    """
    import numpy as np

    settings = settings or TransparencySettings()
    inputs = list(features) if features is not None else (model_input_names(model) or [])
    require_columns(data, [*inputs, *sensitive])
    _require_rows(data, y_true=y_true, decisions=decisions)
    source = input_source(model, features)
    proxies = proxy_scores(data, features=inputs, sensitive=sensitive, level=settings.level)
    uses = direct_use(
        data,
        inputs=inputs,
        sensitive=sensitive,
        source=source,
        predictor=getattr(model, "predictor", model),
    )
    rng = np.random.default_rng(settings.seed)
    explained = _sample(len(data), settings.max_rows, rng)
    frame = data.iloc[explained].reset_index(drop=True)
    sample = _encoded_sample(frame, inputs, settings.combined_max_rows, rng)
    parts: dict[str, Any] = {
        "combined_proxies": _combined(frame, sample, inputs, sensitive, settings)
    }
    truth = None if y_true is None else np.asarray(y_true)[explained]
    recorded = None if decisions is None else np.asarray(decisions)[explained]
    if model is not None and inputs:
        flagged = sorted({p.feature for p in proxies if p.strength >= settings.proxy_flag_strength})
        result = _explain(model, frame, inputs, truth, settings, progress)
        parts.update(_explanation_parts(result, frame, sensitive, flagged, settings))
        recorded = result.predictions
    if recorded is not None:
        excluded = {*sensitive, *(u.input for u in uses)}
        neutral = [f for f in inputs if f not in excluded]
        parts["individual_fairness"] = _individual(sample, neutral, recorded, truth, settings, rng)
    return TransparencyEvidence(
        model_inputs=inputs,
        sensitive_attributes=list(sensitive),
        proxies=proxies,
        input_source=source,
        direct_use=uses,
        settings={**settings.as_dict(), "rows_explained": len(frame)},
        **parts,
    )
