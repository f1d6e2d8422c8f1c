"""Attributes shared by every synthetic scenario: who the people are.

The shares are round figures in the range of UK public-sector workforce statistics (ONS Census
2021 for England and Wales; Civil Service Statistics 2023), not a copy of any one table. They only
need to look plausible: every number a test relies on is planted explicitly, not inherited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

SEXES = ("female", "male")
# Share of records whose sex was not recorded: kept as a missing value (NaN) so that audits must
# count unknowns (NYC LL144 asks for the number of people in an unknown category).
SEX_MISSING_SHARE = 0.02

ETHNICITIES = ("white", "asian", "black", "mixed", "other")
ETHNICITY_SHARES = (0.74, 0.11, 0.08, 0.04, 0.03)

AGE_BANDS = ("16-24", "25-34", "35-44", "45-54", "55-64", "65+")
AGE_BAND_SHARES = (0.08, 0.24, 0.26, 0.22, 0.17, 0.03)
# Lower bound of each band: experience and tenure cannot exceed the years since age 16.
AGE_BAND_LOW = (16, 25, 35, 45, 55, 65)

DISABILITY_SHARE = 0.13


def opaque_ids(rng: np.random.Generator, n: int, prefix: str) -> list[str]:
    """Unique, unordered-looking identifiers: an affine bijection of 0..n-1 modulo 2**32.

    An odd multiplier makes ``i -> a*i + b (mod 2**32)`` a bijection, so the identifiers are
    unique by construction and carry no information about row order or the person.
    """
    multiplier = int(rng.integers(1, 2**31)) * 2 + 1
    offset = int(rng.integers(0, 2**32))
    values = (
        np.arange(n, dtype=np.uint64) * np.uint64(multiplier) + np.uint64(offset)
    ) % np.uint64(2**32)
    return [f"{prefix}{int(v):08x}" for v in values]


def draw_sex(rng: np.random.Generator, n: int, *, female_share: float) -> npt.NDArray[np.object_]:
    """'female' / 'male', with ``SEX_MISSING_SHARE`` of the records missing (None)."""
    sex = np.where(rng.random(n) < female_share, SEXES[0], SEXES[1]).astype(object)
    sex[rng.random(n) < SEX_MISSING_SHARE] = None
    return sex


def draw_categories(
    rng: np.random.Generator, n: int, labels: tuple[str, ...], shares: tuple[float, ...]
) -> npt.NDArray[np.str_]:
    probabilities = np.asarray(shares, dtype=float)
    return rng.choice(np.asarray(labels), size=n, p=probabilities / probabilities.sum())


def years_since_sixteen(
    rng: np.random.Generator, age_band: npt.NDArray[np.str_]
) -> npt.NDArray[np.float64]:
    """A plausible age in years for each age band (uniform within the band)."""
    low = np.asarray(AGE_BAND_LOW, dtype=float)
    position = {band: i for i, band in enumerate(AGE_BANDS)}
    index = np.fromiter((position[band] for band in age_band), dtype=np.int64, count=len(age_band))
    width = np.where(index == len(AGE_BANDS) - 1, 5.0, 10.0)
    age = low[index] + rng.random(len(age_band)) * width
    return age - 16.0
