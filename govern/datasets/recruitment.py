"""Recruitment screening: applicants to public-sector jobs, with a planted hiring disparity."""

from __future__ import annotations

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

# The ethnic groups whose hiring odds the planted disparity lowers.
PENALISED_ETHNICITIES = ("black", "asian")

EDUCATION_LEVELS = ("secondary", "vocational", "bachelor", "master", "doctorate")
EDUCATION_SHARES = (0.22, 0.20, 0.38, 0.17, 0.03)
EDUCATION_BONUS = (0.0, 0.1, 0.3, 0.45, 0.55)

# Postcode-like areas of a fictional city. Each ethnic group lives mostly in its own "home" areas
# (residential segregation), so the area is a proxy for ethnicity: a model that never sees
# ethnicity can still learn it from where people live.
POSTCODE_AREAS = tuple(
    f"{district}{number}" for district in ("HN", "HS", "HE", "HW") for number in (1, 2, 3)
)
HOME_AREAS: dict[str, tuple[str, ...]] = {
    "white": ("HN1", "HN2", "HN3", "HW1", "HW2", "HW3"),
    "asian": ("HE1", "HE2"),
    "black": ("HS1", "HS2"),
    "mixed": ("HS3", "HE3"),
    "other": ("HE3", "HS3"),
}
# Probability that an applicant lives in one of their group's home areas; otherwise anywhere.
HOME_AREA_SHARE = 0.7
# The vendor screening tool penalises these areas (it learnt them from historic hiring).
PENALISED_AREAS = tuple(sorted({a for g in PENALISED_ETHNICITIES for a in HOME_AREAS[g]}))

COLUMNS: dict[str, str] = {
    "applicant_id": "Opaque applicant identifier (unique, carries no information).",
    "sex": "'female' or 'male'; missing (empty) for about 2% of applicants who did not say.",
    "ethnicity": "One of white, asian, black, mixed, other (shares 74/11/8/4/3%).",
    "age_band": "Age band: 16-24, 25-34, 35-44, 45-54, 55-64, 65+.",
    "disability": "'yes' or 'no' (about 13% yes).",
    "education": "Highest qualification: secondary, vocational, bachelor, master, doctorate.",
    "years_experience": "Years of relevant work experience (whole years, bounded by age).",
    "assessment_score": "Online assessment score, 0-100 (mean about 60).",
    "interview_score": "Structured interview score, 0-10.",
    "postcode_area": "Postcode-like home area (12 areas). Partly encodes ethnicity: a proxy.",
    "shortlisted": "1 if the vendor screening tool shortlisted the applicant, else 0.",
    "hired": "1 if the applicant was hired (the historical outcome), else 0.",
}

DESCRIPTION = (
    "Applicants to public-sector jobs: protected characteristics, qualifications, assessment "
    "scores, a postcode proxy, a vendor tool's shortlist and the historical hiring outcome. "
    "Women and black and asian applicants were hired at (1 - disparity) times the rate of "
    "comparable applicants."
)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def recruitment(
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
    """Synthetic applicants with a planted, tunable hiring disparity.

    Every applicant gets a merit-based hiring probability from qualifications and scores, which
    are drawn independently of sex and ethnicity. The historical decision then multiplies that
    probability by ``1 - disparity`` for women, and again for black and asian applicants. Because
    merit does not depend on sex or ethnicity, the expected impact ratio of ``hired`` (women's
    selection rate over men's, and black or asian over white) is exactly ``1 - disparity``;
    ``disparity=0`` gives parity in expectation.

    The vendor tool's ``shortlisted`` decision never saw ethnicity: it multiplies its own
    probability by ``1 - disparity`` for women and for applicants living in the penalised
    postcode areas, so its ethnic disparity comes through the proxy and is smaller than
    ``1 - disparity`` would suggest (about 0.77 for asian and 0.80 for black applicants at
    ``disparity=0.3``).

    Parameters
    ----------
    n_rows : int
        Number of applicants (one row each).
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same data.
    disparity : float
        In [0, 1): how much lower the disadvantaged groups' hiring rates are, relatively.
    reviewers, override_bias : int, float
        With ``reviewers > 0``, a recruiter stage after the vendor tool's shortlist (columns
        ``reviewer``, ``final_decision``, ``appealed``, ``appeal_upheld``) whose overrides
        widen the gap for women and black and asian applicants by ``override_bias`` (see
        :mod:`govern.datasets.review`).
    months, drift_from, drift, start
        With ``months > 0``, a ``decided_at`` timestamp in one of ``months`` months from
        ``start``; from month ``drift_from`` on the tool's shortlisting probability for women
        and black and asian applicants is multiplied again by ``1 - drift``.

    Returns
    -------
    pandas.DataFrame
        One row per applicant, with the columns of ``COLUMNS`` in that order (then the
        optional columns).

    Examples
    --------
    >>> from govern.datasets import recruitment
    >>> frame = recruitment(1000, seed=1, disparity=0.3)
    >>> list(frame.columns) == list(COLUMNS)
    True
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

    applicant_id = opaque_ids(rng, n, "A")
    sex = draw_sex(rng, n, female_share=0.52)
    ethnicity = draw_categories(rng, n, ETHNICITIES, ETHNICITY_SHARES)
    age_band = draw_categories(rng, n, AGE_BANDS, AGE_BAND_SHARES)
    disability = np.where(rng.random(n) < DISABILITY_SHARE, "yes", "no")
    education = draw_categories(rng, n, EDUCATION_LEVELS, EDUCATION_SHARES)
    working_years = years_since_sixteen(rng, age_band)
    years_experience = np.floor(working_years * rng.beta(2.0, 3.0, n)).astype(np.int64)
    assessment_score = np.clip(rng.normal(60.0, 12.0, n), 0.0, 100.0).round(1)
    interview_score = np.clip(rng.normal(5.5, 1.8, n), 0.0, 10.0).round(1)

    at_home = rng.random(n) < HOME_AREA_SHARE
    anywhere = rng.choice(np.asarray(POSTCODE_AREAS), size=n)
    home_pick = rng.integers(0, 2**16, n)
    home_area = np.empty(n, dtype=object)
    for group in ETHNICITIES:
        areas = np.asarray(HOME_AREAS[group])
        mask = ethnicity == group
        home_area[mask] = areas[home_pick[mask] % len(areas)]
    postcode_area = np.where(at_home, home_area, anywhere)

    bonus_by_level = dict(zip(EDUCATION_LEVELS, EDUCATION_BONUS, strict=True))
    education_bonus = np.fromiter((bonus_by_level[e] for e in education), dtype=float, count=n)
    merit = (
        0.05 * (assessment_score - 60.0)
        + 0.35 * (interview_score - 5.5)
        + 0.06 * np.minimum(years_experience, 15)
        + education_bonus
    )
    is_female = sex == "female"
    is_penalised_ethnicity = np.isin(ethnicity, PENALISED_ETHNICITIES)
    # Multiplicative penalties on the probability (not the log-odds) make the expected impact
    # ratio exactly 1 - disparity, the quantity 29 CFR 1607.4(D) compares with four fifths.
    keep = 1.0 - disparity
    p_hired = _sigmoid(merit - 1.6)
    p_hired = p_hired * np.where(is_female, keep, 1.0) * np.where(is_penalised_ethnicity, keep, 1.0)
    hired = (rng.random(n) < p_hired).astype(np.int64)

    vendor_merit = 0.06 * (assessment_score - 60.0) + 0.04 * years_experience + education_bonus
    p_short = _sigmoid(vendor_merit - 0.6)
    in_penalised_area = np.isin(postcode_area, PENALISED_AREAS)
    p_short = p_short * np.where(is_female, keep, 1.0) * np.where(in_penalised_area, keep, 1.0)
    disadvantaged = is_female | is_penalised_ethnicity
    month = months_of(seed, n, options)
    p_short = p_short * np.where(drifted(month, disadvantaged, options), 1.0 - options.drift, 1.0)
    shortlisted = (rng.random(n) < p_short).astype(np.int64)

    frame = pd.DataFrame(
        {
            "applicant_id": applicant_id,
            "sex": pd.Series(sex, dtype="str"),
            "ethnicity": ethnicity,
            "age_band": age_band,
            "disability": disability,
            "education": education,
            "years_experience": years_experience,
            "assessment_score": assessment_score,
            "interview_score": interview_score,
            "postcode_area": postcode_area.astype(str),
            "shortlisted": shortlisted,
            "hired": hired,
        }
    )
    frame = frame[list(COLUMNS)]
    if not options.any:
        return frame
    return with_stage(frame, review_stage(seed, shortlisted, disadvantaged, month, options))
