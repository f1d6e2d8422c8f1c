"""Transparency evidence: what a model reads, which inputs stand in for a sensitive attribute, and
which inputs drive its decisions.

Measures only; the policy decides what is acceptable (for example "no proxy above 0.3").

- A feature *proxies* a sensitive attribute when knowing the feature tells you the attribute.
  Categorical features are measured with Cramér's V (Cramér 1946), numeric ones with the
  correlation ratio η (Pearson 1905): both run from 0 (no association) to 1 (the feature
  determines the attribute), so one threshold can apply to both.
- The global explanation is model-agnostic: for each input, the share of decisions that change
  when that input's values are shuffled across people (permutation importance measured on the
  model's own decisions, so it needs no outcome labels and works for a vendor's model too).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from govern.errors import DataError
from govern.evidence.transparency import FeatureImportance, ProxyScore, TransparencyEvidence

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# A numeric column with at most this many distinct values is treated as categorical
# (codes such as 0/1 flags or band numbers), where Cramér's V is the fitting measure.
MAX_CATEGORICAL_LEVELS = 20

MISSING_COLUMN = "column {column!r} is not in the data; the data has: {available}."


def _is_categorical(values: pd.Series) -> bool:
    import pandas as pd

    if isinstance(values.dtype, pd.CategoricalDtype) or values.dtype == bool:
        return True
    if not pd.api.types.is_numeric_dtype(values):
        return True
    return bool(values.nunique(dropna=True) <= MAX_CATEGORICAL_LEVELS)


def cramers_v(feature: pd.Series, attribute: pd.Series) -> float:
    """Cramér's V between two categorical series; missing values count as a category.

    Examples
    --------
    >>> import pandas as pd
    >>> round(cramers_v(pd.Series(list("aabb")), pd.Series(list("xxyy"))), 3)
    1.0
    """
    import numpy as np
    import pandas as pd

    table = pd.crosstab(
        feature.astype("string").fillna("<missing>"),
        attribute.astype("string").fillna("<missing>"),
    ).to_numpy(dtype=float)
    n = table.sum()
    if n == 0 or min(table.shape) < 2:
        return 0.0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))


def correlation_ratio(feature: pd.Series, attribute: pd.Series) -> float:
    """Correlation ratio η of a numeric feature across the groups of a categorical attribute.

    η² is the share of the feature's variance explained by group membership.

    Examples
    --------
    >>> import pandas as pd
    >>> correlation_ratio(pd.Series([1.0, 1.0, 3.0, 3.0]), pd.Series(list("aabb")))
    1.0
    """
    import numpy as np

    values = feature.to_numpy(dtype=float)
    groups = attribute.astype("string").fillna("<missing>").to_numpy()
    keep = ~np.isnan(values)
    values, groups = values[keep], groups[keep]
    if values.size == 0:
        return 0.0
    total = float(((values - values.mean()) ** 2).sum())
    if total == 0.0:
        return 0.0
    _, codes = np.unique(groups, return_inverse=True)
    counts = np.bincount(codes)
    means = np.bincount(codes, weights=values) / counts
    between = float((counts * (means - values.mean()) ** 2).sum())
    return float(np.sqrt(between / total))


def proxy_scores(
    data: pd.DataFrame, *, features: Sequence[str], sensitive: Sequence[str]
) -> list[ProxyScore]:
    """How strongly each feature encodes each sensitive attribute, strongest first."""
    _require_columns(data, [*features, *sensitive])
    scores = []
    for attribute in sensitive:
        for feature in features:
            if feature == attribute:
                continue
            column = data[feature]
            if _is_categorical(column):
                strength, method = cramers_v(column, data[attribute]), "cramers_v"
            else:
                strength, method = correlation_ratio(column, data[attribute]), "correlation_ratio"
            scores.append(
                ProxyScore(
                    feature=feature,
                    attribute=attribute,
                    strength=round(strength, 12),
                    method=method,
                )
            )
    return sorted(scores, key=lambda s: (-s.strength, s.attribute, s.feature))


def permutation_decision_importance(
    predict: Any,
    data: pd.DataFrame,
    *,
    features: Sequence[str],
    max_rows: int = 5000,
    seed: int = 0,
) -> list[FeatureImportance]:
    """Share of decisions that change when one input is shuffled across people, per input.

    ``predict`` takes a DataFrame of ``features`` and returns decisions. Rows beyond ``max_rows``
    are sampled (seeded) because the measure needs one prediction per feature per row.
    """
    import numpy as np

    _require_columns(data, features)
    rng = np.random.default_rng(seed)
    frame = data[list(features)]
    if len(frame) > max_rows:
        frame = frame.iloc[np.sort(rng.choice(len(frame), size=max_rows, replace=False))]
    frame = frame.reset_index(drop=True)
    baseline = _as_array(predict(frame))
    importances = []
    for feature in features:
        shuffled = frame.copy()
        shuffled[feature] = frame[feature].to_numpy()[rng.permutation(len(frame))]
        changed = float(np.mean(_as_array(predict(shuffled)) != baseline))
        importances.append(
            FeatureImportance(feature=feature, importance=changed, method="decision_change")
        )
    return sorted(importances, key=lambda f: (-f.importance, f.feature))


def model_input_names(model: Any) -> list[str] | None:
    """Feature names a fitted model declares (scikit-learn's ``feature_names_in_``), if any."""
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(name) for name in names]


def transparency_evidence(
    model: Any | None,
    data: pd.DataFrame,
    *,
    features: Sequence[str] | None,
    sensitive: Sequence[str],
    max_rows: int = 5000,
    seed: int = 0,
) -> TransparencyEvidence:
    """Gather the transparency evidence for one model (or a vendor tool with ``model=None``).

    Parameters
    ----------
    model
        Anything with ``predict(DataFrame)``; ``None`` for an outcome-only audit, in which case
        no global explanation can be measured.
    data
        Records with the model's input columns and the sensitive attributes.
    features
        The model's inputs; when ``None`` they are read from ``model.feature_names_in_``.
    sensitive
        Sensitive attribute columns to test every input against.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"area": list("aabb"), "sex": list("ffmm")})
    >>> evidence = transparency_evidence(None, frame, features=["area"], sensitive=["sex"])
    >>> evidence.proxies[0].strength
    1.0
    """
    inputs = list(features) if features is not None else model_input_names(model)
    proxies = proxy_scores(data, features=inputs or [], sensitive=sensitive)
    explanation = None
    if model is not None and inputs:
        explanation = permutation_decision_importance(
            model.predict, data, features=inputs, max_rows=max_rows, seed=seed
        )
    return TransparencyEvidence(
        model_inputs=inputs,
        sensitive_attributes=list(sensitive),
        proxies=proxies,
        global_explanation=explanation,
    )


def _as_array(decisions: Any) -> np.ndarray:
    import numpy as np

    return np.asarray(decisions).ravel()


def _require_columns(data: pd.DataFrame, columns: Sequence[str]) -> None:
    available = ", ".join(map(str, data.columns))
    for column in columns:
        if column not in data.columns:
            raise DataError(MISSING_COLUMN.format(column=column, available=available))
