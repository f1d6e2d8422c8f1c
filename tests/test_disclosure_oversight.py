"""Disclosure control of the oversight and monitoring evidence: no figure of a group (or of a
cell) under the disclosure size leaves govern, in audit.json, the report or the trend."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from oversight_helpers import hand_log

from govern.disclosure import redact
from govern.disclosure_kinds import redact_trend
from govern.evidence.fairness import GroupSummary
from govern.evidence.monitoring import TrendPoint, WindowInfo
from govern.evidence.oversight import OversightEvidence
from govern.results import DisclosureRule, MetricRow
from govern.services.oversight import audit_oversight_data


def _with_small_group() -> pd.DataFrame:
    extra = hand_log().head(4).assign(group="C")  # four people: under the size of 10
    return pd.concat([hand_log(), extra], ignore_index=True)


@pytest.fixture
def published(tmp_path: Path) -> tuple[OversightEvidence, Path]:
    out = tmp_path / "out"
    result = audit_oversight_data(
        _with_small_group(), recommendation="model", decision="final", sensitive="group",
        appeal="appealed", appeal_upheld="upheld", reviewer="reviewer", out_dir=out,
        settings={"min_group_size": 5, "n_boot": 0},
    )  # fmt: skip
    evidence = result.evidence.get(OversightEvidence)
    assert evidence is not None
    assert redact(result) == result  # idempotent: already the published form
    return evidence, out


def test_a_small_group_and_its_complement_lose_their_figures(
    published: tuple[OversightEvidence, Path],
) -> None:
    evidence, _ = published
    withheld = {g.group: g.withheld for g in evidence.groups}
    # C (4 people) is small; B, the smallest other non-reference group, protects it
    assert withheld == {"A": None, "B": "complementary", "C": "small"}
    assert {r.group for r in evidence.rows()} <= {"A", "*"}
    assert all(t.group == "A" for t in evidence.change_tests)
    assert all(
        (t.group, t.reference) not in {("B", "A"), ("C", "A")}
        for tests in evidence.rate_tests.values()
        for t in tests
    )


def test_cells_on_too_few_people_are_withheld(published: tuple[OversightEvidence, Path]) -> None:
    evidence, _ = published
    # two decided appeals in group A, six overall: under 10, not published
    assert evidence.value("appeal_upheld_rate", "group", "A") is None
    assert evidence.overall_value("appeal_upheld_rate") is None
    assert evidence.value("agreement_rate", "group", "A") is not None
    reviewers = {r.reviewer: r for r in evidence.reviewers}
    assert reviewers["R2"].overrides is None and reviewers["R2"].override_rate is None  # 8 cases
    assert reviewers["R1"].overrides == 3


def test_files_hold_only_the_published_figures(published: tuple[OversightEvidence, Path]) -> None:
    _, out = published
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    groups = {g["group"]: g for g in audit["evidence"]["oversight"]["groups"]}
    assert groups["C"]["n"] is None and groups["C"]["withheld"] == "small"
    report = (out / "compliance_report.md").read_text(encoding="utf-8")
    assert "| C | suppressed |" in report
    assert "| B | suppressed |" in report


def _point(n_small: int) -> TrendPoint:
    window = WindowInfo(
        label="2025-01",
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 1, 31),
        periods=["2025-01"],
        n=100 + n_small,
    )
    groups = [
        GroupSummary(attribute="sex", group="female", n=50, share=0.4, is_reference=True),
        GroupSummary(attribute="sex", group="male", n=50, share=0.4),
        GroupSummary(
            attribute="sex", group="other", n=n_small, share=0.05, status="insufficient_data"
        ),
    ]
    rows = [MetricRow(attribute="sex", group=g.group, n=g.n or 0, metric="selection_rate",
                      value=0.4) for g in groups]  # fmt: skip
    return TrendPoint(window=window, rows=rows, groups=groups, status="pass")


def test_each_window_of_the_trend_is_redacted_with_its_own_sizes() -> None:
    small, large = redact_trend([_point(6), _point(12)], DisclosureRule(min_size=10))
    assert {r.group for r in small.rows} == {"female"}  # other (6) and its complement hidden
    assert {g.group: g.withheld for g in small.groups}["other"] == "small"
    assert {r.group for r in large.rows} == {"female", "male", "other"}
    assert redact_trend([small], DisclosureRule(min_size=10)) == [small]
    required = redact_trend([_point(6)], DisclosureRule(min_size=10, required_by="a law"))
    assert len(required[0].rows) == 3
