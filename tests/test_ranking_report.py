"""The ranking section of the compliance report: tables, charts, suppression, no row-level data."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import pytest

from govern.audits.ranking import audit_recommendations
from govern.datasets import learning_pathways, talent_shortlist
from govern.evidence import Evidence
from govern.evidence.ranking import RankingEvidence
from govern.model_cards.card import ModelCard, ModelDetails
from govern.model_cards.render import render_model_card, render_report
from govern.results import AuditResult, DataFingerprint, DisclosureRule


def _result(*parts: RankingEvidence, min_size: int = 10) -> AuditResult:
    return AuditResult(
        govern_version="test",
        created_at=dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC),
        data=DataFingerprint(sha256="0" * 64, n_rows=1, columns=[]),
        evidence=Evidence.of(*parts),
        disclosure=DisclosureRule(min_size=min_size),
    )


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return learning_pathways(1200, seed=5)


@pytest.fixture(scope="module")
def evidence(log: pd.DataFrame) -> RankingEvidence:
    return audit_recommendations(
        log,
        user="employee_id",
        rank="rank",
        k=5,
        sensitive=["sex", "ethnicity"],
        item_category="course_category",
        category=["leadership", "digital"],
        outcome="enrolled",
        n_boot=100,
    )


def test_markdown_tables_show_rates_with_intervals(
    evidence: RankingEvidence, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    text = render_report(_result(evidence), card=None, fmt="markdown")
    assert "## Recommendations and rankings: who is served, who is shown" in text
    assert "#### Leadership, by sex" in text
    assert "| Group | Users | Offered in top 5 | vs best-served | Share of top-5 slots |" in text
    (female,) = evidence.find("top_k_category_rate", category="leadership", group="female")
    assert female.value is not None and female.ci_low is not None and female.ci_high is not None
    cell = f"{female.value:.3f} ({female.ci_low:.3f} to {female.ci_high:.3f})"
    assert f"| female | {evidence.groups[0].n:,} | {cell} |" in text
    assert "#### Outcomes, by sex" in text


def test_small_groups_are_suppressed(evidence: RankingEvidence) -> None:
    # A disclosure size of 60: the ethnic groups under 60 people are withheld, with their rates.
    text = render_report(_result(evidence, min_size=60), card=None, fmt="markdown")
    small = [g for g in evidence.groups if g.n is not None and g.n < 60]
    assert small, "the fixture should have an ethnic group under 60 people"
    for group in small:
        assert f"| {group.group} | suppressed |" in text
        for row in evidence.find("top_k_category_rate", group=group.group):
            assert row.value is not None and row.ci_low is not None and row.ci_high is not None
            assert f"{row.value:.3f} ({row.ci_low:.3f} to {row.ci_high:.3f})" not in text
    assert "Groups marked “suppressed” have fewer than 60 people in the data" in text
    html = render_report(_result(evidence, min_size=60), card=None, fmt="html")
    for group in small:  # nor in the charts
        assert f">{group.group}<" not in html.split("<figure>", 1)[1]


def test_html_has_a_chart_of_category_rates_per_group(evidence: RankingEvidence) -> None:
    html = render_report(_result(evidence), card=None, fmt="html")
    assert html.count("<figure>") == 2  # one per attribute
    assert 'aria-label="Share of users offered each category in their top 5, by sex"' in html
    assert "with error bars for the 95% intervals" in html
    assert "leadership" in html and "digital" in html


def test_item_side_table_and_ndkl_note() -> None:
    evidence = audit_recommendations(
        talent_shortlist(300, seed=1),
        user="post_id",
        rank="rank",
        k=5,
        item_sensitive="candidate_sex",
        outcome="qualified",
        n_boot=50,
    )
    text = render_report(_result(evidence), card=None, fmt="markdown")
    assert "### Who is shown" in text
    assert "| Group | Items | Pool share | Top-5 share | Exposure share | Exposure / pool |" in text
    assert "NDKL of the lists by candidate_sex:" in text


def test_the_report_holds_no_identifiers(evidence: RankingEvidence, log: pd.DataFrame) -> None:
    for fmt in ("html", "markdown"):
        text = render_report(_result(evidence), card=None, fmt=fmt)  # type: ignore[arg-type]
        for employee in log["employee_id"].head(50):
            assert employee not in text
        for course in log["course_id"].unique()[:10]:
            assert f">{course}<" not in text and f"| {course} |" not in text


def test_same_evidence_same_bytes(
    evidence: RankingEvidence, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    first = render_report(_result(evidence), card=None, fmt="html")
    assert render_report(_result(evidence), card=None, fmt="html") == first


GOLDEN = Path(__file__).parent / "fixtures" / "reports" / "ranking.md"


def test_golden_markdown(evidence: RankingEvidence, monkeypatch: pytest.MonkeyPatch) -> None:
    # Regenerate after an intended change with GOVERN_UPDATE_GOLDEN=1 and review the diff.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    text = render_report(_result(evidence), card=None, fmt="markdown")
    if os.environ.get("GOVERN_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_the_model_card_shows_the_ranking_section(evidence: RankingEvidence) -> None:
    # A recommender's quantitative analyses are who is offered what: the card shows the audit's
    # ranking section after its own (empty) per-group tables, in both formats.
    card = ModelCard(model_details=ModelDetails(name="learning-pathways-recommender"))
    for fmt in ("markdown", "html"):
        text = render_model_card(card, _result(evidence), fmt=fmt)  # type: ignore[arg-type]
        assert "Recommendations and rankings: who is served, who is shown" in text
        assert "No measured results are attached to this card yet." not in text
    markdown = render_model_card(card, _result(evidence), fmt="markdown")
    assert markdown.index("## Quantitative analyses") < markdown.index("## Recommendations")
    assert markdown.index("## Recommendations") < markdown.index("## Ethical considerations")
    assert "#### Leadership, by sex" in markdown
