"""Compliance reports: verdict first, rules, suppressed groups, self-contained and reproducible.

Golden files live in tests/fixtures/reports/. After an intended change to the templates,
regenerate them with

    GOVERN_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_report.py

and review the diff before committing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from report_helpers import make_audit, suppressed_groups

from govern.errors import BadInputError
from govern.evidence.fairness import FairnessEvidence
from govern.model_cards.card import load_model_card
from govern.model_cards.disclosure import SUPPRESSION_NOTE
from govern.model_cards.format import BAD_SOURCE_DATE_EPOCH
from govern.model_cards.render import (
    UNKNOWN_FORMAT,
    render_model_card,
    render_report,
    write_outputs,
)
from govern.results import AuditResult, MetricRow

GOLDEN = Path(__file__).parent / "fixtures" / "reports"
CARD = Path(__file__).parent / "fixtures" / "cards" / "cv_screening.yaml"
EPOCH = "1795000000"  # 2026-11-18 11:06:40 UTC


@pytest.fixture(autouse=True)
def _pinned_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("GOVERN_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with GOVERN_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8")


def test_golden_failing_report_markdown() -> None:
    _golden("recruitment_fail.md", render_report(make_audit(), fmt="markdown"))


def test_golden_no_policy_report_markdown() -> None:
    _golden(
        "recruitment_no_policy.md", render_report(make_audit(with_policy=False), fmt="markdown")
    )


def test_golden_model_card_markdown() -> None:
    audit = make_audit(failing=False)
    _golden("cv_screening_card.md", render_model_card(load_model_card(CARD), audit, fmt="markdown"))


def test_verdict_comes_first_in_plain_language() -> None:
    text = render_report(make_audit(), fmt="markdown")
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert headings[0] == "Summary"
    assert text.split("## Summary\n\n")[1].startswith("**Verdict: Did not pass**\n")
    assert (
        "The model “cv-screening” (version 3) did not meet the policy “public-sector-recruitment”: "
        "1 blocking rule failed (Four-fifths rule by sex)."
    ) in text
    assert "1 rule could not be checked for lack of data; that is not a pass." in text
    passing = render_report(make_audit(failing=False), fmt="markdown")
    assert "**Verdict: Passed**\n" in passing
    assert "met every blocking rule of the policy “public-sector-recruitment”" in passing
    unjudged = render_report(make_audit(with_policy=False), fmt="markdown")
    assert "**Verdict: No policy applied**\n" in unjudged
    assert "## The rules, by outcome" not in unjudged


def test_each_rule_shows_its_sentence_and_waiver() -> None:
    audit = make_audit()
    assert audit.policy is not None
    html = render_report(audit)
    for rule in audit.policy.rules:
        assert rule.sentence in html
    assert "waived by Chief Data Officer until 2027-01-31: pilot phase" in html
    assert '<span class="badge badge-insufficient_data">Not enough data</span>' in html


def _with_sentinels(audit: AuditResult) -> AuditResult:
    """The audit with the suppressed group's figures replaced by values easy to search for."""
    fairness = audit.evidence.get(FairnessEvidence)
    assert fairness is not None

    def mark(row: MetricRow) -> MetricRow:
        if row.group != "male & other":
            return row
        return row.model_copy(
            update={"n": 98765, "value": 0.9871, "ci_low": 0.9613, "ci_high": 0.9932}
        )

    groups = [
        g.model_copy(update={"n": 98765}) if g.group == "male & other" else g
        for g in fairness.groups
    ]
    marked = fairness.model_copy(
        update={
            "metrics": [mark(r) for r in fairness.metrics],
            "disparities": [mark(r) for r in fairness.disparities],
            "groups": groups,
        }
    )
    evidence = audit.evidence.model_copy(update={"fairness": marked})
    return audit.model_copy(update={"evidence": evidence})


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_small_groups_are_suppressed(fmt: str) -> None:
    audit = make_audit()
    hidden = suppressed_groups(audit)
    assert [(g.attribute, g.group) for g in hidden] == [("sex & ethnicity", "male & other")]
    audit = _with_sentinels(audit)
    text = render_report(audit, fmt=fmt)  # type: ignore[arg-type]
    label = "male &amp; other" if fmt == "html" else "male & other"
    rows = [line for line in text.splitlines() if label in line and "female" not in line]
    assert len(rows) == 1
    visible = re.sub(r"<[^>]+>", " ", rows[0])
    assert "suppressed" in visible
    assert not re.search(r"\d", visible), f"numbers leaked for a suppressed group: {visible}"
    for figure in ("98765", "98,765", "0.987", "0.961", "0.993"):
        assert figure not in text
    assert SUPPRESSION_NOTE.format(threshold="fewer than 30") in text.replace("\n", " ")
    # the sentinels are really in the evidence: without suppression they would be printed
    card_text = render_model_card(load_model_card(CARD), audit, fmt=fmt)  # type: ignore[arg-type]
    assert "0.987" not in card_text and "98,765" not in card_text


def test_html_is_self_contained() -> None:
    html = render_report(make_audit(), card=load_model_card(CARD))
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html
    assert "<script" not in html
    assert "@import" not in html
    assert not re.search(r"url\((?!#)", html)  # only references inside the page
    assert "<img" not in html


def test_charts_are_inline_svg_with_text_alternatives() -> None:
    html = render_report(make_audit())
    charts = re.findall(r"<figure>\s*<svg (.*?)</figure>", html, flags=re.DOTALL)
    assert len(charts) == 3  # sex, ethnicity, their intersection
    for chart in charts:
        assert chart.startswith('role="img" aria-label="Selection rate and impact ratio by ')
        assert "<title>Selection rate and impact ratio by " in chart
        assert "<figcaption>Bar charts of the selection rate and the impact ratio" in chart
    assert "Below 0.8: female." in html
    # the suppressed group is not drawn
    assert "Suppressed groups are not drawn." in charts[2]


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_same_inputs_same_bytes(fmt: str) -> None:
    first = render_report(make_audit(), fmt=fmt)  # type: ignore[arg-type]
    second = render_report(make_audit(), fmt=fmt)  # type: ignore[arg-type]
    assert first.encode() == second.encode()


def test_source_date_epoch_sets_generated_time(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "Generated: 2026-11-18 11:06 UTC" in render_report(make_audit(), fmt="markdown")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert "Generated: 1970-01-01 00:00 UTC" in render_report(make_audit(), fmt="markdown")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(BadInputError) as error:
        render_report(make_audit(), fmt="markdown")
    assert str(error.value) == BAD_SOURCE_DATE_EPOCH.format(value="yesterday")


def test_provenance_is_printed() -> None:
    text = render_report(make_audit(), fmt="markdown")
    assert f"- Data fingerprint (SHA-256): `{'d' * 64}`" in text
    assert f"- Policy fingerprint (SHA-256): `{'c' * 64}`" in text
    assert "- Policy: public-sector-recruitment version 1.0.0, evaluated on 2026-11-24" in text
    assert "- Framework: govern 0.1.0" in text
    assert "- Data: applicants.csv: 2,000 rows and 12 columns" in text
    assert "- MLflow run: `abc123`" in text


def test_unknown_format_is_refused() -> None:
    with pytest.raises(BadInputError) as error:
        render_report(make_audit(), fmt="pdf")  # type: ignore[arg-type]
    assert str(error.value) == UNKNOWN_FORMAT.format(fmt="pdf")


def test_write_outputs_writes_every_file(tmp_path: Path) -> None:
    audit = make_audit()
    card = load_model_card(CARD)
    written = write_outputs(tmp_path / "out", audit=audit, card=card)
    assert sorted(written) == [
        "compliance_report.html",
        "compliance_report.md",
        "model_card.html",
        "model_card.md",
    ]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(written)
    assert written["compliance_report.md"].read_text(encoding="utf-8") == render_report(
        audit, card=card, fmt="markdown"
    )
    assert written["model_card.html"].read_text(encoding="utf-8") == render_model_card(card, audit)


def test_one_small_group_is_protected_by_hiding_the_next_smallest() -> None:
    text = render_report(make_audit(), fmt="markdown")
    # male & other (20 people) is below the minimum; female & other (36) is the smallest other
    # non-reference group, so it is hidden too and the first cannot be worked out by subtraction
    assert (
        "| female & other | suppressed | | | | suppressed so that a smaller group's "
        "figures cannot be worked out |"
    ) in text
    assert "| male & mixed | 37 |" in text  # the reference group is never hidden
    # single attributes have no small group, so nothing is hidden there
    assert "| female | 1,015 |" in text


@pytest.mark.slow
def test_report_on_evidence_from_the_fairness_engine() -> None:
    import datetime as dt

    from govern.audits.fairness import audit_fairness
    from govern.datasets import recruitment
    from govern.evidence import Evidence
    from govern.results import DataFingerprint

    frame = recruitment(3000, seed=2, disparity=0.3)
    evidence = audit_fairness(
        frame, y_pred="shortlisted", sensitive=["sex", "ethnicity"], intersections=True, n_boot=50
    )
    audit = AuditResult(
        govern_version="0.1.0",
        created_at=dt.datetime(2026, 11, 24, tzinfo=dt.UTC),
        data=DataFingerprint(sha256="e" * 64, n_rows=len(frame), columns=list(frame.columns)),
        evidence=Evidence(fairness=evidence),
    )
    text = render_report(audit, fmt="markdown")
    # the selection rates printed are the data's, computed here independently with pandas
    rates = frame.groupby("sex")["shortlisted"].mean()
    counts = frame["sex"].value_counts()
    for group in ("female", "male"):
        assert f"| {group} | {counts[group]:,} |" in text
        assert f"| {rates[group]:.3f} (" in text
    small = [g for g in evidence.groups if g.status == "insufficient_data"]
    assert small, "seed 2 with 3000 rows has intersectional groups under 30 people"
    for group in small:
        row = next(line for line in text.splitlines() if line.startswith(f"| {group.group} |"))
        assert not re.search(r"\d", row)
    html = render_report(audit)
    assert html.count("<figure>") == 3


def test_rule_counts_and_whole_number_measures() -> None:
    audit = make_audit()
    assert audit.policy is not None
    age = audit.policy.rules[0].model_copy(
        update={
            "rule_id": "audit-age",
            "verdict": "pass",
            "value": 12.0,
            "ci_low": None,
            "ci_high": None,
            "comparison": "audit_age_days <= 365",
        }
    )
    policy = audit.policy.model_copy(update={"rules": [*audit.policy.rules, age]})
    text = render_report(audit.model_copy(update={"policy": policy}), fmt="markdown")
    assert "Rules: 1 blocking rule not met, 1 rule not checked, 1 waived, 1 met." in text
    assert "| 12 | Days since the last audit: at most 365 |" in text


def test_a_rule_opted_out_of_blocking_on_missing_evidence_says_so() -> None:
    from govern.model_cards.report import OPTED_OUT
    from govern.results import RuleResult

    audit = make_audit()
    assert audit.policy is not None
    opted = RuleResult(
        rule_id="oversight",
        title="Overrides recorded",
        severity="blocking",
        check="process",
        verdict="insufficient_data",
        sentence="No override log was gathered, so this rule could not be judged.",
        on_insufficient_data="warn",
    )
    policy = audit.policy.model_copy(update={"rules": [*audit.policy.rules, opted]})
    text = render_report(audit.model_copy(update={"policy": policy}), fmt="markdown")
    assert OPTED_OUT["warn"] in text
