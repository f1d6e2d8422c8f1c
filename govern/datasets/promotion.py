"""Promotion and performance scoring: employees with a biased performance score."""

from __future__ import annotations

from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from govern.datasets._people import (
    AGE_BAND_SHARES,
    AGE_BANDS,
    DISABILITY_SHARE,
    ETHNICITIES,
    ETHNICITY_SHARES,
    draw_categories,
    draw_sex,
    opaque_ids,
    years_since_sixteen,
)
from govern.datasets._validate import check_disparity, check_rows
from govern.datasets.review import drifted, months_of, review_stage, stage_options, with_stage

if TYPE_CHECKING:
    import pandas as pd

# UK Civil Service grades, most junior first, with round shares of the workforce.
GRADES = ("AA", "AO", "EO", "HEO", "SEO", "G7", "G6")
GRADE_SHARES = (0.05, 0.24, 0.25, 0.19, 0.12, 0.11, 0.04)

SCORE_MEAN = 60.0
SCORE_SD = 10.0
# Men's expected promotion rate; the threshold is set so that an unbiased score gives this rate.
BASE_PROMOTION_RATE = 0.15
PROMOTION_Z = NormalDist().inv_cdf(1.0 - BASE_PROMOTION_RATE)
PROMOTION_THRESHOLD = SCORE_MEAN + SCORE_SD * PROMOTION_Z

COLUMNS: dict[str, str] = {
    "employee_id": "Opaque employee identifier (unique, carries no information).",
    "sex": "'female' or 'male'; missing (empty) for about 2% of employees.",
    "ethnicity": "One of white, asian, black, mixed, other (shares 74/11/8/4/3%).",
    "age_band": "Age band: 16-24, 25-34, 35-44, 45-54, 55-64, 65+.",
    "disability": "'yes' or 'no' (about 13% yes).",
    "grade": "Civil Service grade: AA, AO, EO, HEO, SEO, G7, G6 (most junior first).",
    "tenure_years": "Whole years in the organisation (bounded by age).",
    "performance_score": (
        "Manager's performance score, mean 60, sd 10 for men; women's is shifted down by "
        "disparity x 10 points (disparity standard deviations)."
    ),
    "promoted": f"1 if performance_score >= {PROMOTION_THRESHOLD:.2f} (about 15% of men), else 0.",
}

DESCRIPTION = (
    "Employees with grade, tenure and a manager's performance score that is biased against "
    "women by `disparity` standard deviations; promotion goes to scores above a fixed threshold."
)


def expected_impact_ratio(disparity: float) -> float:
    """Women's expected promotion rate over men's for a given ``disparity``.

    The score is normal with the same spread for both sexes and women's mean is ``disparity``
    standard deviations lower, so women's rate is ``1 - Phi(z + disparity)`` against men's
    ``1 - Phi(z)`` where ``z`` is the threshold in standard units.

    Examples
    --------
    >>> round(expected_impact_ratio(0.0), 3)
    1.0
    >>> round(expected_impact_ratio(0.3), 3)
    0.605
    """
    normal = NormalDist()
    return (1.0 - normal.cdf(PROMOTION_Z + disparity)) / (1.0 - normal.cdf(PROMOTION_Z))


def promotion(
    n_rows: int = 5000,
    *,
    seed: int = 0,
    disparity: float = 0.3,
    reviewers: int = 0,
    override_bias: float = 0.0,
    months: int = 0,
    drift_from: int | None = None,
    drift: float = 0.0,
    start: str = "2025-01-01",
) -> pd.DataFrame:
    """Synthetic employees whose performance score is biased against women.

    Underlying performance is standard normal for everyone, independent of every protected
    characteristic. The recorded ``performance_score`` is ``60 + 10 * (performance - disparity)``
    for women and ``60 + 10 * performance`` otherwise, so the standardised mean difference
    (Cohen's d) between men and women is ``disparity``. ``promoted`` is 1 above a fixed
    threshold that promotes 15% of men; women's expected impact ratio is
    ``expected_impact_ratio(disparity)`` (0.61 at 0.3, 1 at 0).

    Parameters
    ----------
    n_rows : int
        Number of employees.
    seed : int
        Seed of ``numpy.random.default_rng``.
    disparity : float
        In [0, 1): the downward shift of women's scores, in standard deviations.
    reviewers, override_bias : int, float
        With ``reviewers > 0``, a promotion panel after the score's recommendation
        (``promoted``) whose overrides widen the gap for women by ``override_bias`` (columns
        ``reviewer``, ``final_decision``, ``appealed``, ``appeal_upheld``; see
        :mod:`govern.datasets.review`).
    months, drift_from, drift, start
        With ``months > 0``, a ``decided_at`` timestamp in one of ``months`` months from
        ``start``; from month ``drift_from`` on women's scores are shifted down by a further
        ``drift`` standard deviations.

    Returns
    -------
    pandas.DataFrame
        One row per employee, with the columns of ``COLUMNS`` in that order (then the
        optional columns).

    Examples
    --------
    >>> from govern.datasets import promotion
    >>> int(promotion(200, seed=3)["promoted"].isin([0, 1]).all())
    1
    """
    import pandas as pd

    check_rows(n_rows, "n_rows")
    check_disparity(disparity)
    options = stage_options(
        reviewers=reviewers,
        override_bias=override_bias,
        months=months,
        drift_from=drift_from,
        drift=drift,
        start=start,
    )
    rng = np.random.default_rng(seed)
    n = n_rows

    employee_id = opaque_ids(rng, n, "E")
    sex = draw_sex(rng, n, female_share=0.54)
    ethnicity = draw_categories(rng, n, ETHNICITIES, ETHNICITY_SHARES)
    age_band = draw_categories(rng, n, AGE_BANDS, AGE_BAND_SHARES)
    disability = np.where(rng.random(n) < DISABILITY_SHARE, "yes", "no")
    grade = draw_categories(rng, n, GRADES, GRADE_SHARES)
    tenure_years = np.floor(years_since_sixteen(rng, age_band) * rng.beta(1.5, 3.0, n)).astype(
        np.int64
    )
    performance = rng.standard_normal(n)
    is_female = sex == "female"
    # The bias sits in the score itself (a rater effect), which is what score audits look for.
    month = months_of(seed, n, options)
    shift = np.where(is_female, disparity, 0.0) + np.where(
        drifted(month, is_female, options), options.drift, 0.0
    )
    score = (SCORE_MEAN + SCORE_SD * (performance - shift)).round(2)
    promoted = (score >= PROMOTION_THRESHOLD).astype(np.int64)

    frame = pd.DataFrame(
        {
            "employee_id": employee_id,
            "sex": pd.Series(sex, dtype="str"),
            "ethnicity": ethnicity,
            "age_band": age_band,
            "disability": disability,
            "grade": grade,
            "tenure_years": tenure_years,
            "performance_score": score,
            "promoted": promoted,
        }
    )
    frame = frame[list(COLUMNS)]
    if not options.any:
        return frame
    return with_stage(frame, review_stage(seed, promoted, is_female, month, options))
