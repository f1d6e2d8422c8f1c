"""Permutation importance with intervals: what drives a model's decisions.

An input matters as much as the model's outputs change when that input's values are shuffled
across people (Breiman 2001). The shuffles are exactly scikit-learn's
(``sklearn.inspection.permutation_importance``: one ``RandomState`` per input seeded from
``seed``, the same index shuffled again at each repeat), so with the same model, scorer
(accuracy), repeats and seed the importances are the same numbers, to the last bit.

Unlike scikit-learn, one set of shuffled predictions is scored against several targets at once:
the model's own decisions (*decision change*: the share of decisions that flip; no outcome
labels needed, so a vendor's model can be explained too) and the true outcomes where known
(*accuracy drop*). Each person's loss averaged over the repeats is kept, which gives

- an interval per input that covers both the shuffling and the sampling of people (the normal
  interval of the mean of those per-person losses);
- each group's importance profile (the share of the decision change each input carries for the
  group) with delta-method intervals, and the input whose share differs most between groups;
- the share of importance carried by inputs flagged as proxies, with its interval.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from govern.audits.transparency.groups import measured_groups
from govern.evidence.transparency import (
    FeatureImportance,
    GroupImportance,
    ImportanceGap,
    ProxyImportanceShare,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

Progress = Callable[[int, int], None]

DECISION_CHANGE = "decision_change"
ACCURACY_DROP = "accuracy_drop"


@dataclass(frozen=True)
class PermutationResult:
    """Importances per target, scikit-learn's layout, and every person's loss per input."""

    features: list[str]
    n_repeats: int
    baseline: dict[str, float]  # target -> accuracy before shuffling
    importances: dict[str, np.ndarray]  # target -> (inputs, repeats): baseline - shuffled
    person_losses: dict[str, np.ndarray]  # target -> (people, inputs): mean loss over repeats
    predictions: np.ndarray  # the model's outputs on the unshuffled data

    def mean(self, target: str) -> np.ndarray:
        """``importances_mean`` of scikit-learn for this target."""
        import numpy as np

        return np.mean(self.importances[target], axis=1)

    def std(self, target: str) -> np.ndarray:
        """``importances_std`` of scikit-learn for this target."""
        import numpy as np

        return np.std(self.importances[target], axis=1)


def _accuracy(predicted: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    import numpy as np

    correct = predicted == target
    return float(np.average(correct)), correct


def _outputs(predict: Callable[[Any], Any], frame: pd.DataFrame, n: int) -> np.ndarray:
    import numpy as np

    outputs = np.asarray(predict(frame))
    return outputs.reshape(n, -1)[:, 0] if outputs.ndim > 1 else outputs


def permutation_importance(
    predict: Callable[[Any], Any],
    frame: pd.DataFrame,
    *,
    targets: Mapping[str, np.ndarray | None] | None = None,
    n_repeats: int = 5,
    seed: int = 0,
    progress: Progress | None = None,
) -> PermutationResult:
    """Shuffle each column of ``frame`` ``n_repeats`` times and score the predictions.

    Parameters
    ----------
    predict
        Takes a DataFrame with the columns of ``frame`` and returns one output per row.
    frame
        The inputs, one column per input, in the order the model expects.
    targets
        Name -> labels the predictions are scored against (accuracy); a ``None`` value means the
        model's own unshuffled predictions, which makes the importance the share of decisions
        that change. Default: ``{"decision_change": None}``.
    n_repeats, seed
        As scikit-learn's ``n_repeats`` and ``random_state``.
    progress
        Called with (inputs done, inputs in all) after each input.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> frame = pd.DataFrame({"used": [0, 1] * 50, "ignored": [1.0] * 100})
    >>> result = permutation_importance(lambda f: f["used"].to_numpy(), frame, seed=1)
    >>> [round(float(v), 2) for v in result.mean("decision_change")]
    [0.47, 0.0]
    """
    import numpy as np

    n = len(frame)
    features = [str(c) for c in frame.columns]
    work = frame.copy()
    predictions = _outputs(predict, work, n)
    wanted = dict(targets) if targets is not None else {DECISION_CHANGE: None}
    labels = {name: predictions if y is None else np.asarray(y) for name, y in wanted.items()}
    baseline, base_correct = {}, {}
    for name, y in labels.items():
        baseline[name], base_correct[name] = _accuracy(predictions, y)
    importances = {name: np.empty((len(features), n_repeats)) for name in labels}
    losses = {name: np.empty((n, len(features))) for name in labels}
    # scikit-learn draws one seed from `seed` and gives every column a RandomState with it.
    column_seed = np.random.RandomState(seed).randint(np.iinfo(np.int32).max + 1)
    for index, feature in enumerate(features):
        original = frame[feature]
        state = np.random.RandomState(column_seed)
        order = np.arange(n)
        current = original
        still_correct = {name: np.zeros(n, dtype=np.int32) for name in labels}
        for repeat in range(n_repeats):
            state.shuffle(order)
            # As scikit-learn: the already shuffled column is shuffled again by the new order.
            current = current.iloc[order]
            current.index = frame.index
            work[feature] = current
            shuffled = _outputs(predict, work, n)
            for name, y in labels.items():
                score, correct = _accuracy(shuffled, y)
                importances[name][index, repeat] = baseline[name] - score
                still_correct[name] += correct
        work[feature] = original
        for name in labels:
            losses[name][:, index] = base_correct[name] - still_correct[name] / n_repeats
        if progress is not None:
            progress(index + 1, len(features))
    return PermutationResult(
        features=features,
        n_repeats=n_repeats,
        baseline=baseline,
        importances=importances,
        person_losses=losses,
        predictions=predictions,
    )


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 2)


def feature_importances(
    result: PermutationResult, target: str, *, level: float = 0.95
) -> list[FeatureImportance]:
    """One importance per input for ``target``, strongest first, each with its interval."""
    import numpy as np

    losses = result.person_losses[target]
    n = losses.shape[0]
    means, stds = result.mean(target), result.std(target)
    half = _z(level) * losses.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.zeros(len(means))
    found = [
        FeatureImportance(
            feature=feature,
            importance=float(means[i]),
            method=target,
            std=float(stds[i]),
            ci_low=float(means[i] - half[i]),
            ci_high=float(means[i] + half[i]),
            n_repeats=result.n_repeats,
            n=n,
        )
        for i, feature in enumerate(result.features)
    ]
    return sorted(found, key=lambda f: (-f.importance, f.feature))


@dataclass(frozen=True)
class _Shares:
    share: np.ndarray  # per input
    se: np.ndarray  # per input


def _shares(losses: np.ndarray) -> _Shares | None:
    """Each input's share of the total loss, with delta-method standard errors (a ratio of
    means: the linearised terms (x_i - share * total_i) / mean total, as for a ratio estimator)."""
    import numpy as np

    n = losses.shape[0]
    totals = losses.sum(axis=1)
    mean_total = float(totals.mean())
    if n < 2 or mean_total <= 0:
        return None
    share = losses.mean(axis=0) / mean_total
    linear = (losses - np.outer(totals, share)) / mean_total
    return _Shares(share=share, se=linear.std(axis=0, ddof=1) / np.sqrt(n))


def proxy_importance_share(
    result: PermutationResult,
    *,
    proxies: Sequence[str],
    flag_strength: float,
    level: float = 0.95,
) -> ProxyImportanceShare | None:
    """The share of the decision change carried by the ``proxies`` inputs, with its interval."""
    import numpy as np

    losses = result.person_losses[DECISION_CHANGE]
    chosen = [result.features.index(f) for f in proxies if f in result.features]
    combined = np.column_stack(
        [losses[:, chosen].sum(axis=1), np.delete(losses, chosen, axis=1).sum(axis=1)]
    )
    shares = _shares(combined)
    if shares is None:
        return None
    half = _z(level) * float(shares.se[0])
    value = float(shares.share[0])
    return ProxyImportanceShare(
        share=value,
        ci_low=max(0.0, value - half),
        ci_high=min(1.0, value + half),
        n=int(losses.shape[0]),
        features=[result.features[i] for i in chosen],
        flag_strength=flag_strength,
    )


def importance_by_group(
    result: PermutationResult,
    groups: Mapping[str, np.ndarray],
    *,
    min_group_size: int = 30,
    level: float = 0.95,
) -> tuple[list[GroupImportance], list[ImportanceGap]]:
    """Each group's importance profile, and per attribute the input whose share differs most.

    ``groups`` maps each attribute to every person's group label (``None`` or NaN when
    missing: those people belong to no group). Groups smaller than ``min_group_size`` are not
    measured (their profile would be noise, and publishing it could identify people), nor is
    the next smallest when exactly one falls short (:mod:`.groups`).
    """
    import pandas as pd

    losses = result.person_losses[DECISION_CHANGE]
    z = _z(level)
    profiles: list[GroupImportance] = []
    gaps: list[ImportanceGap] = []
    for attribute, labels in groups.items():
        series = pd.Series(labels, dtype="object").astype("string")
        known = series.notna().to_numpy()
        counts = {str(group): int(n) for group, n in series.value_counts().items()}
        eligible, skipped = measured_groups(counts, min_group_size)
        measured: dict[str, tuple[int, _Shares]] = {}
        for group in eligible:
            rows = known & (series == group).fillna(False).to_numpy(dtype=bool)
            shares = _shares(losses[rows])
            if shares is None:  # no decision of the group changes at all: no profile
                skipped.append(group)
                continue
            measured[group] = (int(rows.sum()), shares)
            profiles += [
                GroupImportance(
                    attribute=attribute,
                    group=group,
                    n=int(rows.sum()),
                    feature=feature,
                    share=float(shares.share[i]),
                    ci_low=float(shares.share[i] - z * shares.se[i]),
                    ci_high=float(shares.share[i] + z * shares.se[i]),
                )
                for i, feature in enumerate(result.features)
            ]
        gap = _largest_gap(attribute, result.features, measured, sorted(skipped), z)
        if gap is not None:
            gaps.append(gap)
    return profiles, gaps


def _largest_gap(
    attribute: str,
    features: list[str],
    measured: dict[str, tuple[int, _Shares]],
    skipped: list[str],
    z: float,
) -> ImportanceGap | None:
    if len(measured) < 2:
        return None
    best: ImportanceGap | None = None
    for i, feature in enumerate(features):
        by_share = sorted(measured, key=lambda g: (measured[g][1].share[i], g))
        low, high = by_share[0], by_share[-1]
        low_s, high_s = measured[low][1], measured[high][1]
        gap = float(high_s.share[i] - low_s.share[i])
        half = z * float((high_s.se[i] ** 2 + low_s.se[i] ** 2) ** 0.5)
        if best is None or gap > best.gap:
            best = ImportanceGap(
                attribute=attribute,
                feature=feature,
                high_group=high,
                high_share=float(high_s.share[i]),
                low_group=low,
                low_share=float(low_s.share[i]),
                gap=gap,
                ci_low=gap - half,
                ci_high=gap + half,
                groups_measured=sorted(measured),
                not_measured=skipped,
            )
    return best
