"""Individual fairness and inequality: are similar people treated alike, and how unequally are
the model's benefits spread?

- **Consistency** (Zemel et al. 2013, "Learning Fair Representations"): 1 minus the mean, over
  people, of the gap between a person's decision and the mean decision of their k nearest
  neighbours on the (non-sensitive, encoded) inputs. The neighbours are found exactly as
  aif360's ``consistency_score`` finds them (scikit-learn's ball tree, each person counted among
  their own neighbours), so the value is aif360's; it is computed here because each person's
  gap is needed for the interval (the normal interval of their mean).
- **Generalized entropy indices of benefits** (Speicher et al. 2018, KDD), from aif360's
  ``generalized_entropy_error``: with benefit b = decision - outcome + 1 (2 for a positive
  decision the outcome did not earn, 0 for a deserved one withheld), the Theil index is
  alpha = 1 and alpha = 2 is half the squared coefficient of variation; 0 is perfect equality.
  b takes three values only, so resampling people is a multinomial draw on their counts: the
  Theil index's percentile bootstrap interval costs nothing per replicate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING

from govern.audits.aif360_quiet import quiet_imports
from govern.evidence.transparency import IndividualFairness

if TYPE_CHECKING:
    import numpy as np


def consistency_terms(
    matrix: np.ndarray, decisions: np.ndarray, *, n_neighbors: int = 5
) -> np.ndarray:
    """Each person's |decision - mean decision of their ``n_neighbors`` nearest neighbours|.

    Examples
    --------
    >>> import numpy as np
    >>> terms = consistency_terms(np.array([[0.0], [0.1], [5.0], [5.1]]),
    ...                           np.array([1, 1, 0, 1]), n_neighbors=2)
    >>> [float(t) for t in terms]
    [0.0, 0.0, 0.5, 0.5]
    """
    import numpy as np
    from sklearn.neighbors import NearestNeighbors

    neighbours = NearestNeighbors(n_neighbors=n_neighbors, algorithm="ball_tree").fit(matrix)
    indices = neighbours.kneighbors(matrix, return_distance=False)
    y = np.asarray(decisions, dtype=float)
    return np.abs(y - y[indices].mean(axis=1))


def generalized_entropy_from_counts(counts: np.ndarray, alpha: float) -> np.ndarray:
    """Generalized entropy of benefits from counts of b = 0, 1, 2 (one row per replicate).

    Examples
    --------
    >>> import numpy as np
    >>> float(generalized_entropy_from_counts(np.array([[0, 4, 0]]), 1.0)[0])
    0.0
    """
    import numpy as np

    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    n = counts.sum(axis=1)
    mu = (counts[:, 1] + 2 * counts[:, 2]) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        r1, r2 = 1 / mu, 2 / mu
        if alpha == 1:
            # 0 log 0 = 0: people with no benefit add nothing to the Theil index.
            value = (counts[:, 1] * r1 * np.log(r1) + counts[:, 2] * r2 * np.log(r2)) / n
        else:
            powered = counts[:, 1] * r1**alpha + counts[:, 2] * r2**alpha
            value = (powered / n - 1) / (alpha * (alpha - 1))
    return np.where(mu > 0, value, np.nan)


def _theil_interval(
    counts: np.ndarray, *, n_boot: int, level: float, seed: int
) -> tuple[float | None, float | None]:
    import numpy as np

    n = int(counts.sum())
    if n_boot <= 0 or n == 0:
        return None, None
    rng = np.random.default_rng(seed)
    replicates = generalized_entropy_from_counts(rng.multinomial(n, counts / n, size=n_boot), 1)
    replicates = replicates[np.isfinite(replicates)]
    if replicates.size == 0:
        return None, None
    tail = (1 - level) / 2
    low, high = np.quantile(replicates, [tail, 1 - tail])
    return float(low), float(high)


def _aif360_entropy(y_true: np.ndarray, y_pred: np.ndarray, alpha: float) -> float:
    with quiet_imports():
        from aif360.sklearn.metrics import generalized_entropy_error
    return float(generalized_entropy_error(y_true, y_pred, alpha=alpha, pos_label=1))


def individual_fairness(
    *,
    decisions: np.ndarray,
    y_true: np.ndarray | None,
    matrix: np.ndarray | None = None,
    matrix_decisions: np.ndarray | None = None,
    features: Sequence[str] = (),
    n_neighbors: int = 5,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> IndividualFairness:
    """The inequality of benefits of ``decisions`` (with ``y_true``) and the consistency of
    ``matrix_decisions`` over the rows of ``matrix`` (a sample of people; None: not measured).

    Examples
    --------
    >>> import numpy as np
    >>> result = individual_fairness(decisions=np.array([1, 0, 1, 0]),
    ...                              y_true=np.array([1, 0, 0, 1]))
    >>> round(result.theil_index, 4)
    0.3466
    """
    import numpy as np

    decisions = np.asarray(decisions).astype(np.int64)
    update: dict[str, float | int | None] = {}
    if matrix is not None and matrix_decisions is not None and len(matrix) > n_neighbors:
        terms = consistency_terms(matrix, matrix_decisions, n_neighbors=n_neighbors)
        value = float(1 - terms.mean())
        half = (
            NormalDist().inv_cdf(0.5 + level / 2) * float(terms.std(ddof=1)) / math.sqrt(terms.size)
        )
        update.update(
            consistency=value,
            consistency_ci_low=max(0.0, value - half),
            consistency_ci_high=min(1.0, value + half),
            consistency_n=int(terms.size),
        )
    if y_true is not None:
        truth = np.asarray(y_true).astype(np.int64)
        benefits = 1 + (decisions == 1).astype(np.int64) - (truth == 1).astype(np.int64)
        counts = np.bincount(benefits, minlength=3)[:3]
        if counts[1] + counts[2] > 0:
            low, high = _theil_interval(counts, n_boot=n_boot, level=level, seed=seed)
            update.update(
                theil_index=_aif360_entropy(truth, decisions, 1),
                theil_ci_low=low,
                theil_ci_high=high,
                generalized_entropy_index=_aif360_entropy(truth, decisions, 2),
            )
    return IndividualFairness(
        n=int(decisions.size), n_neighbors=n_neighbors, features=list(features), **update
    )
