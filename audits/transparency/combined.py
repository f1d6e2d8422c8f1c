"""Combined proxies: can the model's inputs *together* reconstruct a sensitive attribute?

Inputs that are weak proxies one by one can be strong together, which no single-input measure
shows. So a simple classifier (a logistic regression on the encoded inputs, see
:mod:`.encoding`) is trained to predict the attribute from all of them, and judged on people it
was not trained on (stratified k-fold cross-validation): the one-vs-rest ROC AUC per group says
how well the inputs single that group out (0.5 is guessing, 1 is as good as asking). The AUC
comes with DeLong's interval (:mod:`.auc`). Which inputs carry the signal is measured by
shuffling each input in the held-out folds and seeing how much the AUC drops.

Logistic regression is a deliberate choice: it finds signals that add up across inputs, which
is how indirect discrimination usually arises, and it is fast and reproducible. A flexible
learner could find more, so a low AUC here is evidence of weak reconstruction, not proof of none.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govern.audits.transparency.auc import auc_interval
from govern.audits.transparency.encoding import EncodedInputs
from govern.audits.transparency.groups import measured_groups
from govern.evidence.transparency import CombinedProxy, GroupAUC, ProxyCarrier

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class CombinedSettings:
    """How the combined proxy measure is computed."""

    n_folds: int = 5
    min_group_size: int = 30
    level: float = 0.95
    seed: int = 0


@dataclass(frozen=True)
class _Target:
    labels: np.ndarray  # group label of each kept row
    rows: np.ndarray  # positions of the kept rows
    groups: list[str]  # groups in the classifier, sorted
    small: list[str]  # groups whose AUC is not published (too few people, or complementary)


def _target(attribute: pd.Series, settings: CombinedSettings) -> _Target:
    import numpy as np

    known = np.flatnonzero(attribute.notna().to_numpy())
    labels = attribute.iloc[known].astype("string").to_numpy(dtype=object)
    names, counts = np.unique(labels, return_counts=True)
    # Stratified folds need every group in every fold; smaller groups cannot be scored.
    kept = {str(g) for g, c in zip(names, counts, strict=True) if c >= settings.n_folds}
    keep = np.isin(labels, list(kept))
    _, withheld = measured_groups(
        {str(g): int(c) for g, c in zip(names, counts, strict=True)}, settings.min_group_size
    )
    return _Target(labels=labels[keep], rows=known[keep], groups=sorted(kept), small=withheld)


def _classifier() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000)


def _out_of_fold(
    encoded: EncodedInputs,
    features: Sequence[str],
    target: _Target,
    settings: CombinedSettings,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Out-of-fold probabilities per group, and the same with each input shuffled."""
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import StratifiedKFold

    rng = np.random.default_rng(settings.seed)
    matrix = encoded.matrix[np.ix_(target.rows, encoded.columns(features))]
    sub = EncodedInputs(matrix=matrix, blocks=_renumbered(encoded, features))
    y = np.searchsorted(np.asarray(target.groups, dtype=object), target.labels)
    proba = np.zeros((len(y), len(target.groups)))
    shuffled = {f: np.zeros_like(proba) for f in features}
    folds = StratifiedKFold(settings.n_folds, shuffle=True, random_state=settings.seed)
    for train, test in folds.split(np.zeros(len(y)), y):
        with warnings.catch_warnings():
            # A fit that stops at max_iter still ranks people; the AUC judges it as it is.
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = _classifier().fit(matrix[train], y[train])
        proba[test] = model.predict_proba(matrix[test])
        for feature in features:
            block = sub.columns([feature])
            permuted = matrix[test]
            permuted[:, block] = permuted[rng.permutation(len(test))][:, block]
            shuffled[feature][test] = model.predict_proba(permuted)
    return proba, shuffled


def _renumbered(encoded: EncodedInputs, features: Sequence[str]) -> dict[str, slice]:
    """The blocks of ``features`` once the matrix holds only their columns, in that order."""
    blocks, start = {}, 0
    for feature in features:
        width = encoded.columns([feature]).size
        blocks[feature] = slice(start, start + width)
        start += width
    return blocks


def combined_proxy(
    encoded: EncodedInputs,
    attribute: pd.Series,
    *,
    features: Sequence[str],
    settings: CombinedSettings | None = None,
) -> CombinedProxy | None:
    """How well ``features`` together predict ``attribute`` (one value per row of the encoded
    matrix); None when no group is large enough to measure.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from govern.audits.transparency.encoding import encode_inputs
    >>> rng = np.random.default_rng(0)
    >>> group = pd.Series(rng.choice(["a", "b"], 400), name="group")
    >>> frame = pd.DataFrame({"x": (group == "a") + rng.normal(size=400)})
    >>> result = combined_proxy(encode_inputs(frame, ["x"]), group, features=["x"])
    >>> 0.7 < result.auc < 0.8
    True
    """
    import numpy as np

    settings = settings or CombinedSettings()
    target = _target(attribute.reset_index(drop=True), settings)
    measured = [g for g in target.groups if g not in target.small]
    if len(target.groups) < 2 or not measured or not features:
        return None
    proba, shuffled = _out_of_fold(encoded, features, target, settings)
    groups = []
    for index, group in enumerate(target.groups):
        if group in target.small:
            continue
        positive = target.labels == group
        auc, low, high = auc_interval(positive, proba[:, index], level=settings.level)
        groups.append(
            GroupAUC(group=group, n=int(positive.sum()), auc=auc, ci_low=low, ci_high=high)
        )
    best = max(groups, key=lambda g: (g.auc, g.group))
    best_index = target.groups.index(best.group)
    positive = target.labels == best.group
    carriers = [
        ProxyCarrier(
            feature=feature,
            auc_drop=best.auc - auc_interval(positive, shuffled[feature][:, best_index])[0],
        )
        for feature in features
    ]
    return CombinedProxy(
        attribute=str(attribute.name),
        n=int(target.labels.size),
        auc=best.auc,
        ci_low=best.ci_low,
        ci_high=best.ci_high,
        group=best.group,
        macro_auc=float(np.mean([g.auc for g in groups])),
        groups=groups,
        carriers=sorted(carriers, key=lambda c: (-c.auc_drop, c.feature)),
        not_measured=target.small,
    )
