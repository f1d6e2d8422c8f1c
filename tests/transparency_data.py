"""Small synthetic data sets for the transparency tests.

``weak_together``: a binary attribute nudges each of ``k`` numeric inputs by ``shift`` standard
deviations, so every input alone is a weak proxy (η = (shift / 2) / sqrt(1 + shift² / 4), 0.17 at
shift 0.35) while all of them together single the groups out well: the best linear score has
separation shift * sqrt(k), so its AUC is Φ(shift * sqrt(k) / sqrt(2)) (0.78 for k = 10).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd


def weak_together(
    n: int = 4000, *, k: int = 10, shift: float = 0.35, seed: int = 0
) -> pd.DataFrame:
    """``group`` (a or b, half each), inputs ``x0``..``x{k-1}`` and an unrelated ``noise``."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], n)
    columns = {f"x{i}": rng.normal(size=n) + shift * (group == "a") for i in range(k)}
    return pd.DataFrame({"group": group, **columns, "noise": rng.normal(size=n)})


def expected_eta(shift: float) -> float:
    """The population η of one input of :func:`weak_together` (equal groups)."""
    half = shift / 2
    return half / math.sqrt(1 + half**2)


def expected_auc(shift: float, k: int) -> float:
    """The population AUC of the best linear score on all ``k`` inputs."""
    return NormalDist().cdf(shift * math.sqrt(k) / math.sqrt(2))
