"""The ranking audit and the ranking check kind share one vocabulary, in both directions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from govern.audits.ranking import audit_recommendations
from govern.evidence.ranking import CATEGORY_METRICS, RANKING_METRIC_NAMES
from govern.metric_names import METRIC_NAMES

LOG = Path(__file__).parent / "fixtures" / "ranking" / "hand_log.csv"


def _everything() -> set[str]:
    frame = pd.read_csv(LOG)
    frame = pd.concat([frame.assign(user=frame["user"] + f"-{i}") for i in range(10)])
    evidence = audit_recommendations(
        frame,
        user="user",
        rank="rank",
        k=2,
        sensitive="sex",
        item_category="category",
        item_sensitive="item_group",
        outcome="outcome",
        n_boot=10,
        min_group_size=1,
    )
    return {row.metric for row in evidence.rows()}


def test_every_emitted_metric_can_be_named_and_every_name_is_emitted() -> None:
    assert _everything() == set(RANKING_METRIC_NAMES)


def test_category_metrics_are_the_ones_rows_carry_a_category_for() -> None:
    frame = pd.read_csv(LOG)
    evidence = audit_recommendations(
        frame, user="user", rank="rank", k=2, sensitive="sex", item_category="category",
        outcome="outcome", n_boot=0, min_group_size=1,
    )  # fmt: skip
    with_category = {row.metric for row in evidence.rows() if row.category is not None}
    assert with_category == set(CATEGORY_METRICS)


def test_ranking_names_do_not_collide_with_classification_names() -> None:
    assert not set(RANKING_METRIC_NAMES) & set(METRIC_NAMES)
