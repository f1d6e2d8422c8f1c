"""Learning-pathway recommendations: each employee's top-k courses, with a leadership-track gap."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from govern.datasets._people import (
    AGE_BAND_SHARES,
    AGE_BANDS,
    ETHNICITIES,
    ETHNICITY_SHARES,
    draw_categories,
    draw_sex,
    opaque_ids,
)
from govern.datasets._validate import check_disparity, check_rows
from govern.datasets.promotion import GRADE_SHARES, GRADES
from govern.errors import BadInputError

if TYPE_CHECKING:
    import pandas as pd

CATEGORIES = ("leadership", "technical", "digital", "compliance", "wellbeing", "project_management")
LEADERSHIP = "leadership"
# Expected share of a man's k recommendation slots that go to leadership courses.
BASE_LEADERSHIP_SHARE = 0.2

COURSES_MESSAGE = (
    "n_courses must be at least 2 x k so that every employee can get k courses of each kind; "
    "got n_courses={n_courses}, k={k}. Raise n_courses or lower k."
)

COLUMNS: dict[str, str] = {
    "employee_id": "Opaque employee identifier; k rows per employee.",
    "sex": "'female' or 'male'; missing (empty) for about 2% of employees.",
    "ethnicity": "One of white, asian, black, mixed, other (shares 74/11/8/4/3%).",
    "age_band": "Age band: 16-24, 25-34, 35-44, 45-54, 55-64, 65+.",
    "grade": "Civil Service grade: AA, AO, EO, HEO, SEO, G7, G6.",
    "rank": "Position in the employee's recommendation list, 1 (top) to k.",
    "course_id": "Course identifier, C001 onwards.",
    "course_category": (
        "leadership, technical, digital, compliance, wellbeing or project_management."
    ),
    "score": "The recommender's relevance score (0-1); decreases with rank within an employee.",
    "enrolled": "1 if the employee enrolled on the recommended course, else 0.",
}

DESCRIPTION = (
    "Employees x their top-k recommended courses (long table). Leadership courses take "
    "(1 - disparity) times the share of women's recommendation slots that they take of men's."
)


def leadership_course_count(n_courses: int, k: int) -> int:
    """How many of the catalogue's courses are on the leadership track (a sixth, at least k)."""
    return max(k, round(n_courses / len(CATEGORIES)))


def learning_pathways(
    n_employees: int = 1000,
    *,
    seed: int = 0,
    disparity: float = 0.3,
    n_courses: int = 40,
    k: int = 5,
) -> pd.DataFrame:
    """Synthetic top-k course recommendations with a planted leadership-track gap.

    Each employee's k slots are split between leadership and other courses by a binomial draw:
    each slot is a leadership course with probability 0.2 for men (and employees of unknown sex)
    and ``0.2 * (1 - disparity)`` for women. Which courses fill the slots follows course
    popularity (Gumbel top-k sampling), and the slots are ranked by the recommender's score. So
    the expected share of recommendation slots that are leadership courses is
    ``(1 - disparity)`` times lower for women; the share of women with at least one leadership
    recommendation is ``1 - (1 - 0.2 * (1 - disparity)) ** k`` against ``1 - 0.8 ** k`` for men.
    Enrolment depends on rank and category only, never on sex.

    Parameters
    ----------
    n_employees : int
        Number of employees; the table has ``n_employees * k`` rows.
    seed : int
        Seed of ``numpy.random.default_rng``.
    disparity : float
        In [0, 1): how much less often leadership courses are recommended to women, relatively.
    n_courses : int
        Size of the course catalogue; at least ``2 * k``.
    k : int
        Recommendations per employee.

    Returns
    -------
    pandas.DataFrame
        One row per (employee, recommended course), sorted by employee then rank.

    Examples
    --------
    >>> from govern.datasets import learning_pathways
    >>> frame = learning_pathways(100, seed=2, k=3)
    >>> len(frame), int(frame["rank"].max())
    (300, 3)
    """
    import pandas as pd

    check_rows(n_employees, "n_employees")
    check_rows(k, "k")
    check_rows(n_courses, "n_courses")
    check_disparity(disparity)
    if n_courses < 2 * k:
        raise BadInputError(COURSES_MESSAGE.format(n_courses=n_courses, k=k))
    rng = np.random.default_rng(seed)
    n = n_employees

    # The catalogue: the first n_lead courses (in a shuffled order) are leadership courses.
    n_lead = leadership_course_count(n_courses, k)
    other_categories = np.asarray(CATEGORIES[1:])
    categories = np.concatenate(
        [
            np.full(n_lead, LEADERSHIP),
            other_categories[np.arange(n_courses - n_lead) % len(other_categories)],
        ]
    )
    categories = categories[rng.permutation(n_courses)]
    course_ids = np.asarray([f"C{i + 1:03d}" for i in range(n_courses)])
    log_popularity = rng.normal(0.0, 0.7, n_courses)
    is_leadership_course = categories == LEADERSHIP

    employee_id = opaque_ids(rng, n, "E")
    sex = draw_sex(rng, n, female_share=0.54)
    ethnicity = draw_categories(rng, n, ETHNICITIES, ETHNICITY_SHARES)
    age_band = draw_categories(rng, n, AGE_BANDS, AGE_BAND_SHARES)
    grade = draw_categories(rng, n, GRADES, GRADE_SHARES)

    leadership_share = np.where(
        sex == "female", BASE_LEADERSHIP_SHARE * (1.0 - disparity), BASE_LEADERSHIP_SHARE
    )
    n_leadership_slots = rng.binomial(k, leadership_share)

    # Gumbel top-k: adding Gumbel noise to log-popularity and keeping the largest keys samples
    # courses without replacement in proportion to popularity (Kool et al., ICML 2019).
    keys = log_popularity[None, :] + rng.gumbel(size=(n, n_courses))
    lead_columns = np.flatnonzero(is_leadership_course)
    other_columns = np.flatnonzero(~is_leadership_course)
    lead_order = lead_columns[np.argsort(-keys[:, lead_columns], axis=1, kind="stable")]
    other_order = other_columns[np.argsort(-keys[:, other_columns], axis=1, kind="stable")]
    slot = np.arange(k)[None, :]
    # Slot j takes the j-th best leadership course while j < L, else the (j-L)-th best other one.
    lead_pick = np.take_along_axis(lead_order, np.minimum(slot, n_lead - 1).repeat(n, 0), axis=1)
    other_index = np.clip(slot - n_leadership_slots[:, None], 0, None)
    other_pick = np.take_along_axis(other_order, other_index, axis=1)
    chosen = np.where(slot < n_leadership_slots[:, None], lead_pick, other_pick)
    chosen_keys = np.take_along_axis(keys, chosen, axis=1)
    order = np.argsort(-chosen_keys, axis=1, kind="stable")
    chosen = np.take_along_axis(chosen, order, axis=1)
    score = 1.0 / (1.0 + np.exp(-(np.take_along_axis(chosen_keys, order, axis=1) - 1.0)))

    ranks = np.tile(np.arange(1, k + 1), n)
    chosen_flat = chosen.ravel()
    category_flat = categories[chosen_flat]
    # Position bias: attention falls with rank (a common click model); categories differ a little.
    p_enrol = 0.45 / np.sqrt(ranks) * np.where(category_flat == "compliance", 1.3, 1.0)
    enrolled = (rng.random(n * k) < np.minimum(p_enrol, 1.0)).astype(np.int64)

    repeat = np.repeat(np.arange(n), k)
    frame = pd.DataFrame(
        {
            "employee_id": np.asarray(employee_id)[repeat],
            "sex": pd.Series(sex[repeat], dtype="str"),
            "ethnicity": ethnicity[repeat],
            "age_band": age_band[repeat],
            "grade": grade[repeat],
            "rank": ranks.astype(np.int64),
            "course_id": course_ids[chosen_flat],
            "course_category": category_flat,
            "score": score.ravel().round(4),
            "enrolled": enrolled,
        }
    )
    return frame[list(COLUMNS)]
