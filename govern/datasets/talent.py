"""Talent shortlists: candidates ranked for posts by a tool, with a planted exposure gap."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from govern.datasets._people import ETHNICITIES, ETHNICITY_SHARES, draw_categories, draw_sex
from govern.datasets._validate import check_disparity, check_rows

if TYPE_CHECKING:
    import pandas as pd

POST_GRADES = ("EO", "HEO", "SEO", "G7")
POST_GRADE_SHARES = (0.3, 0.3, 0.25, 0.15)
# Women's score is lowered by this many times the disparity (suitability is standard normal).
SCORE_PENALTY = 1.5
# The tool's score is suitability plus noise of this standard deviation.
SCORE_NOISE = 0.5
# Candidates whose suitability is in the top 40% meet the post's essential criteria.
QUALIFIED_SHARE = 0.4

COLUMNS: dict[str, str] = {
    "post_id": "Opaque identifier of the post; one ranked list of candidates per post.",
    "post_grade": "Grade of the post: EO, HEO, SEO, G7.",
    "candidate_id": "Opaque identifier of the application.",
    "candidate_sex": "'female' or 'male'; missing (empty) for about 2% of candidates.",
    "candidate_ethnicity": "One of white, asian, black, mixed, other (shares 74/11/8/4/3%).",
    "rank": "The candidate's position in the tool's ranking for the post, 1 (top) onwards.",
    "score": "The tool's score (higher ranks first).",
    "shortlisted": "1 if the candidate is in the top k shown to the hiring panel, else 0.",
    "qualified": "1 if the candidate meets the post's essential criteria (merit), else 0.",
}

DESCRIPTION = (
    "Posts x the candidates a talent tool ranked for them (long table, one row per "
    "application). The tool lowers women's scores by 1.5 x disparity, so women reach the "
    "shortlist and its top places less often than their merit warrants."
)


def talent_shortlist(
    n_posts: int = 500,
    *,
    seed: int = 0,
    disparity: float = 0.3,
    candidates_per_post: int = 20,
    k: int = 5,
) -> pd.DataFrame:
    """Synthetic ranked candidate lists with a planted exposure gap for women.

    Every post has ``candidates_per_post`` applicants. Each has a suitability drawn from a
    standard normal, independently of sex and ethnicity; the top 40% of suitabilities (over all
    applicants) are ``qualified``. The tool scores suitability plus normal noise (sd 0.5) and
    subtracts ``1.5 * disparity`` from women's scores, then ranks each post's candidates by
    score; the top ``k`` are shortlisted. At ``disparity = 0`` every group's exposure is in
    proportion to its share of the pool and of the merit; at 0.3 women's exposure in the top 5
    is about 0.74 of their share of the pool (``docs/datasets.md``).

    Parameters
    ----------
    n_posts : int
        Number of posts (ranked lists); the table has ``n_posts * candidates_per_post`` rows.
    seed : int
        Seed of ``numpy.random.default_rng``.
    disparity : float
        In [0, 1): how far the tool pushes women down its ranking.
    candidates_per_post : int
        Applicants ranked for each post.
    k : int
        Length of the shortlist.

    Returns
    -------
    pandas.DataFrame
        One row per (post, candidate), sorted by post then rank.

    Examples
    --------
    >>> frame = talent_shortlist(10, seed=1, candidates_per_post=8, k=3)
    >>> len(frame), int(frame["shortlisted"].sum())
    (80, 30)
    """
    import pandas as pd
    from scipy.stats import norm

    check_rows(n_posts, "n_posts")
    check_rows(candidates_per_post, "candidates_per_post")
    check_rows(k, "k")
    check_disparity(disparity)
    rng = np.random.default_rng(seed)
    n, size = n_posts, candidates_per_post
    rows = n * size

    grade = draw_categories(rng, n, POST_GRADES, POST_GRADE_SHARES)
    sex = draw_sex(rng, rows, female_share=0.5)
    ethnicity = draw_categories(rng, rows, ETHNICITIES, ETHNICITY_SHARES)
    suitability = rng.normal(size=rows)
    qualified = (suitability > norm.ppf(1.0 - QUALIFIED_SHARE)).astype(np.int64)
    score = suitability + rng.normal(0.0, SCORE_NOISE, rows)
    score = score - SCORE_PENALTY * disparity * (sex == "female")

    # Rank within each post: order by post, then by score from the highest.
    post = np.repeat(np.arange(n), size)
    order = np.lexsort((-score, post))
    rank = np.empty(rows, dtype=np.int64)
    rank[order] = np.tile(np.arange(1, size + 1), n)

    width = len(str(rows))
    frame = pd.DataFrame(
        {
            "post_id": [f"P{i + 1:05d}" for i in post],
            "post_grade": grade[post],
            "candidate_id": [f"A{i + 1:0{width}d}" for i in range(rows)],
            "candidate_sex": pd.Series(sex, dtype="str"),
            "candidate_ethnicity": ethnicity,
            "rank": rank,
            "score": np.round(score, 4),
            "shortlisted": (rank <= k).astype(np.int64),
            "qualified": qualified,
        }
    )
    return frame.iloc[order].reset_index(drop=True)[list(COLUMNS)]
