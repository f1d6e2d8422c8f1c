"""Every ranking metric against a log worked out by hand (tests/fixtures/ranking/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from govern.audits.ranking import audit_recommendations
from govern.audits.sources.pandas import PandasSource
from govern.audits.sources.ranking import RankingRoles
from govern.evidence.ranking import RANKING_COLUMNS, RankingEvidence
from govern.results import ALL_GROUPS

FIXTURES = Path(__file__).parent / "fixtures" / "ranking"
LOG = FIXTURES / "hand_log.csv"
EXPECTED: dict[str, Any] = yaml.safe_load((FIXTURES / "hand_expected.yaml").read_text("utf-8"))
COLUMNS = {
    "user": "user",
    "rank": "rank",
    "sensitive": ["sex"],
    "item_category": "category",
    "item_sensitive": "item_group",
    "outcome": "outcome",
}


@pytest.fixture(scope="module")
def evidence() -> RankingEvidence:
    return audit_recommendations(LOG, k=EXPECTED["k"], n_boot=0, min_group_size=1, **COLUMNS)


def test_the_user_table_is_the_hand_computed_one() -> None:
    roles = RankingRoles.of(k=EXPECTED["k"], **COLUMNS)
    table = PandasSource(LOG).user_table(roles)
    assert table.categories == ("lead", "tech")
    assert (table.n_rows, table.n_users) == (11, 4)
    # Rows of the table may come in any order (rule 2): compare them as a multiset.
    found = sorted(
        (
            int(table.n_items[u]),
            int(table.n_top[u]),
            table.top_k_count[u].tolist(),
            table.best_rank[u].tolist(),
            int(table.hits[u]),  # type: ignore[index]
            int(table.relevant[u]),  # type: ignore[index]
            round(float(table.dcg[u]), 12),  # type: ignore[index]
        )
        for u in range(table.n_users)
    )
    expected = sorted(
        (row[0], row[1], row[2], row[3], row[4], row[5], round(row[6], 12))
        for row in EXPECTED["per_user"].values()
    )
    assert found == expected


@pytest.mark.parametrize(
    ("category", "metric", "group", "value"),
    [tuple(row) for row in EXPECTED["user_side"]],
    ids=[f"{r[0]}-{r[1]}-{r[2]}" for r in EXPECTED["user_side"]],
)
def test_user_side_metric(
    evidence: RankingEvidence, category: str | None, metric: str, group: str, value: float
) -> None:
    (row,) = evidence.find(metric, category=category, attribute="sex", group=group)
    assert row.category == category
    assert row.value == pytest.approx(value, abs=1e-12)


@pytest.mark.parametrize(
    ("metric", "group", "value"),
    [tuple(row) for row in EXPECTED["item_side"]],
    ids=[f"{r[0]}-{r[1]}" for r in EXPECTED["item_side"]],
)
def test_item_side_metric(evidence: RankingEvidence, metric: str, group: str, value: float) -> None:
    (row,) = evidence.find(metric, attribute="item_group", group=group)
    assert row.value == pytest.approx(value, abs=1e-12)


def test_counts_behind_each_row(evidence: RankingEvidence) -> None:
    # n counts users for user-side rows (users with a positive for recall and NDCG, users whose
    # list holds the category for the mean best rank) and appearances for item-side rows.
    assert evidence.find("top_k_category_rate", category="lead", group="F")[0].n == 2
    assert evidence.find("mean_best_rank", category="lead", group="M")[0].n == 2
    assert evidence.find("pool_share", group="A")[0].n == 5
    assert evidence.find("ndkl")[0].n == 4
    assert [(g.group, g.n) for g in evidence.groups] == [("F", 2), ("M", 2)]
    assert [(g.group, g.n) for g in evidence.item_groups] == [("A", 5), ("B", 6)]


def test_references_are_the_best_served_groups(evidence: RankingEvidence) -> None:
    assert evidence.reference("top_k_category_rate_ratio", "sex", "lead") == "M"
    assert evidence.reference("category_slot_share_ratio", "sex", "tech") == "F"
    assert evidence.reference("mean_best_rank_difference", "sex", "lead") == "M"  # lower rank
    assert evidence.reference("hit_rate_ratio", "sex", None) == "F"  # a tie: the first label
    # Lower-is-better ranks get differences only, never ratios.
    assert not evidence.find("mean_best_rank_ratio")


def test_a_chosen_reference_group_is_used() -> None:
    chosen = audit_recommendations(LOG, k=2, n_boot=0, min_group_size=1, reference="F", **COLUMNS)
    (row,) = chosen.find("top_k_category_rate_ratio", category="lead", group="M")
    assert row.value == pytest.approx(1.0 / 0.5)


def test_tidy_frame_has_the_category_then_the_tidy_columns(evidence: RankingEvidence) -> None:
    frame = evidence.to_frame()
    assert list(frame.columns) == list(RANKING_COLUMNS)
    assert set(frame["category"].dropna()) == {"lead", "tech"}
    assert (frame.loc[frame["metric"] == "ndkl", "group"] == ALL_GROUPS).all()


def test_the_order_of_rows_does_not_matter() -> None:
    frame = pd.read_csv(LOG)
    shuffled = frame.sample(frac=1.0, random_state=3).reset_index(drop=True)
    first = audit_recommendations(frame, k=2, n_boot=200, seed=5, min_group_size=1, **COLUMNS)
    second = audit_recommendations(shuffled, k=2, n_boot=200, seed=5, min_group_size=1, **COLUMNS)
    # The same figures, intervals included, up to the order floating-point sums were taken in.
    pd.testing.assert_frame_equal(
        first.to_frame(), second.to_frame(), check_exact=False, rtol=0, atol=1e-12
    )


def test_intervals_hold_the_point_and_the_same_seed_gives_the_same_numbers() -> None:
    frame = pd.read_csv(LOG)
    bigger = pd.concat(
        [frame.assign(user=frame["user"] + f"-{copy}") for copy in range(30)], ignore_index=True
    )
    first = audit_recommendations(bigger, k=2, n_boot=300, seed=1, **COLUMNS)
    again = audit_recommendations(bigger, k=2, n_boot=300, seed=1, **COLUMNS)
    assert first == again
    # Per-group rates (not spreads over groups: a max - min at 0 cannot have 0 inside a
    # percentile interval of replicates that are all >= 0).
    for row in first.metrics:
        if row.value is None or row.ci_low is None or row.ci_high is None:
            continue
        assert row.ci_low - 1e-12 <= row.value <= row.ci_high + 1e-12, row
    # Copies of the same four users give the same point estimates as the four users.
    original = audit_recommendations(LOG, k=2, n_boot=0, min_group_size=1, **COLUMNS)
    for row in original.find("top_k_category_rate") + original.find("exposure_to_pool_ratio"):
        (copy,) = first.find(
            row.metric, category=row.category, attribute=row.attribute, group=row.group
        )
        assert copy.value == pytest.approx(row.value, abs=1e-12)
    assert first.settings["coarsened_levels"] is None


def test_a_category_chosen_limits_the_user_side_to_it() -> None:
    lead = audit_recommendations(LOG, k=2, n_boot=0, min_group_size=1, category="lead", **COLUMNS)
    assert lead.categories == ["lead"]
    assert {r.category for r in lead.rows()} == {"lead", None}


def test_intersections_combine_the_users_attributes() -> None:
    frame = pd.read_csv(LOG)
    frame["band"] = frame["user"].map({"u1": "a", "u2": "b", "u3": "a", "u4": "b"})
    found = audit_recommendations(
        frame,
        user="user",
        rank="rank",
        k=2,
        sensitive=["sex", "band"],
        item_category="category",
        category="lead",
        intersections=True,
        n_boot=0,
        min_group_size=1,
    )
    assert found.attributes == ["sex", "band", "sex & band"]
    rates = {
        r.group: r.value
        for r in found.find("top_k_category_rate", attribute="sex & band", category="lead")
    }
    assert rates == {"F & a": 1.0, "F & b": 0.0, "M & a": 1.0, "M & b": 1.0}


def test_unknown_groups_are_counted_and_not_compared() -> None:
    frame = pd.read_csv(LOG)
    frame.loc[frame["user"] == "u4", "sex"] = np.nan
    frame.loc[0, "item_group"] = np.nan
    found = audit_recommendations(frame, k=2, n_boot=0, min_group_size=1, **COLUMNS)
    assert found.unknown_counts == {"sex": 1, "item_group": 1}
    assert [g.group for g in found.groups] == ["F", "M", "unknown"]
    compared = {r.group for r in found.find("top_k_category_rate_ratio", category="lead")}
    assert compared == {"F", "M", ALL_GROUPS}
    assert [g.group for g in found.item_groups] == ["A", "B", "unknown"]
