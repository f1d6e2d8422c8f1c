"""Every document in a real headless Chromium: opened from a file URL, it logs no console error,
makes no network request, opens no dialog, passes the accessibility checks (contrast, labels,
headings, table headers, chart names), prints to a clean PDF, and shows hostile text as text.

One browser serves the module (tests/browser.py drives it over the DevTools protocol). The
screenshots and PDFs are kept as test artefacts in ``.test-artifacts/browser/`` (or
``$GOVERN_TEST_ARTIFACTS``). Skipped where no Chromium is installed; ``.ci/run`` installs
Debian's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import Browser, PageVisit, chromium_binary
from document_helpers import (
    CSP,
    HOSTILE,
    governance_meta,
    history,
    hostile_meta,
    register_entries,
)
from report_helpers import make_audit

from govern.model_cards.card import load_model_card
from govern.model_cards.register_page import RegisterEntry, render_register_page
from govern.model_cards.render import render_model_card, render_report

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(chromium_binary() is None, reason="chromium is not installed"),
]

CARD = Path(__file__).parent / "fixtures" / "cards" / "cv_screening.yaml"
ARTIFACTS = Path(
    os.environ.get("GOVERN_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / ".test-artifacts")
)
# Evaluated with the print stylesheet applied: navigation hidden, folded rules unfolded.
PRINT_SCRIPT = """(() => ({
  nav: getComputedStyle(document.querySelector("nav")).display,
  folded: [...document.querySelectorAll("details table")].map((t) => t.checkVisibility()),
}))()"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    binary = chromium_binary()
    assert binary is not None
    started = Browser(binary)
    try:
        yield started
    finally:
        started.close()


@pytest.fixture(autouse=True)
def _pinned_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")


def _artefact(name: str) -> Path:
    return ARTIFACTS / "browser" / name


def _open(browser: Browser, tmp_path: Path, name: str, html: str, **options: object) -> PageVisit:
    page = tmp_path / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    return browser.visit(page, screenshot=_artefact(f"{name}.png"), **options)  # type: ignore[arg-type]


def _assert_clean(visit: PageVisit) -> None:
    assert visit.errors == [], visit.errors
    assert visit.outside_requests == [], visit.outside_requests
    assert visit.dialogs == [], visit.dialogs
    assert visit.violations == [], visit.violations
    assert visit.facts["scripts"] == 0
    assert visit.facts["csp"] == CSP
    assert visit.facts["textsChecked"] > 20  # the checks saw the page's text
    assert visit.facts["width"] <= visit.facts["viewport"]  # nothing runs off the page
    assert visit.screenshot is not None
    data = visit.screenshot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_the_compliance_report_is_clean_accessible_and_inert(
    browser: Browser, tmp_path: Path
) -> None:
    audit = make_audit(model_name=HOSTILE)
    assert audit.policy is not None
    na = audit.policy.rules[0].model_copy(update={"rule_id": "n", "verdict": "not_applicable"})
    policy = audit.policy.model_copy(update={"rules": [*audit.policy.rules, na]})
    html = render_report(audit.model_copy(update={"policy": policy}), history=history())
    visit = _open(
        browser,
        tmp_path,
        "compliance_report",
        html,
        pdf=_artefact("compliance_report.pdf"),
        print_script=PRINT_SCRIPT,
    )
    _assert_clean(visit)
    assert HOSTILE in visit.facts["text"]  # shown as text, and nothing ran
    assert visit.facts["charts"] == 4  # three attributes and the history trend
    assert visit.printed == {"nav": "none", "folded": [True]}
    assert visit.pdf is not None and visit.pdf.read_bytes()[:5] == b"%PDF-"


def test_the_model_card_is_clean_accessible_and_inert(browser: Browser, tmp_path: Path) -> None:
    card = load_model_card(CARD)
    details = card.model_details.model_copy(update={"description": HOSTILE})
    html = render_model_card(
        card.model_copy(update={"model_details": details}),
        make_audit(),
        metadata=governance_meta(),
        history=history(),
    )
    visit = _open(browser, tmp_path, "model_card", html, pdf=_artefact("model_card.pdf"))
    _assert_clean(visit)
    assert HOSTILE in visit.facts["text"]
    assert "h2: Governance" in visit.facts["headings"]


def test_the_register_page_is_clean_accessible_and_inert(browser: Browser, tmp_path: Path) -> None:
    entries = [
        *register_entries(),
        RegisterEntry(name="hostile", metadata=hostile_meta("hostile"), version="1"),
    ]
    visit = _open(browser, tmp_path, "algorithm_register", render_register_page(entries))
    _assert_clean(visit)
    assert HOSTILE in visit.facts["text"]
    assert "Not governed" in visit.facts["text"]


def test_the_checks_catch_what_they_look_for(browser: Browser, tmp_path: Path) -> None:
    # A page built to break every rule: the harness must see each breach, or it proves nothing.
    bad = (
        "<html><head><title>bad</title></head><body><h1>t</h1><h3>skipped a level</h3>"
        '<p style="color:#bbbbbb">faint</p><table><tr><td>1</td></tr></table>'
        '<img src="http://127.0.0.1:9/x.png"><svg><rect/></svg><input>'
        '<svg role="img" aria-label="cut" width="60" height="20"><text x="30" y="15">'
        "a label far too long for its chart</text></svg>"
        '<div style="width: 3000px">wide</div>'
        '<script>console.error("boom"); alert(1)</script></body></html>'
    )
    visit = _open(browser, tmp_path, "harness_self_test", bad)
    rules = {v["rule"] for v in visit.violations}
    assert {
        "contrast",
        "html-lang",
        "heading-order",
        "table-caption",
        "table-headers",
        "image-alt",
        "svg-img-alt",
        "label",
        "chart-text-clipped",
    } <= rules
    assert visit.facts["width"] > visit.facts["viewport"]
    assert "console.error: boom" in visit.errors
    assert "http://127.0.0.1:9/x.png" in visit.outside_requests
    assert visit.dialogs == ["1"]
    assert visit.facts["scripts"] == 1 and visit.facts["csp"] is None


def test_a_report_with_every_kind_of_chart_is_clean(browser: Browser, tmp_path: Path) -> None:
    # Evidence from the fairness engine with true outcomes and a score: selection, error-rate
    # and score charts for each attribute and the intersection.
    import datetime as dt

    from govern.audits.fairness import audit_fairness
    from govern.datasets import recruitment
    from govern.evidence import Evidence
    from govern.results import AuditResult, DataFingerprint

    frame = recruitment(2000, seed=2, disparity=0.3)
    evidence = audit_fairness(
        frame, y_pred="shortlisted", y_true="hired", score="assessment_score",
        sensitive=["sex", "ethnicity"], intersections=True, n_boot=50,
    )  # fmt: skip
    audit = AuditResult(
        govern_version="0.1.0",
        created_at=dt.datetime(2026, 11, 24, tzinfo=dt.UTC),
        data=DataFingerprint(sha256="e" * 64, n_rows=len(frame), columns=list(frame.columns)),
        evidence=Evidence(fairness=evidence),
    )
    visit = _open(browser, tmp_path, "engine_report", render_report(audit))
    _assert_clean(visit)
    assert visit.facts["charts"] == 9
    assert {"h3: By sex", "h3: By ethnicity", "h3: By sex & ethnicity"} <= set(
        visit.facts["headings"]
    )


def test_a_report_with_transparency_and_ranking_sections_is_clean(
    browser: Browser, tmp_path: Path
) -> None:
    # The sections other audits add (proxy table and importance chart; who is offered what,
    # with grouped bars and a legend beside them) meet the same checks, and so does the card
    # that shows them.
    import datetime as dt

    from test_transparency_report import evidence as transparency_evidence

    from govern.audits.ranking import audit_recommendations
    from govern.datasets import learning_pathways
    from govern.evidence import Evidence
    from govern.model_cards.card import ModelCard, ModelDetails
    from govern.results import AuditResult, DataFingerprint

    ranking = audit_recommendations(
        learning_pathways(600, seed=3), user="employee_id", rank="rank", k=5,
        sensitive=["sex", "ethnicity"], item_category="course_category",
        category=["leadership", "digital"], outcome="enrolled", n_boot=50,
    )  # fmt: skip
    audit = AuditResult(
        govern_version="0.1.0",
        created_at=dt.datetime(2026, 11, 24, tzinfo=dt.UTC),
        data=DataFingerprint(sha256="e" * 64, n_rows=3000, columns=["employee_id"]),
        evidence=Evidence.of(transparency_evidence(), ranking),
    )
    visit = _open(browser, tmp_path, "sections_report", render_report(audit))
    _assert_clean(visit)
    assert visit.facts["charts"] == 3  # importance, and one grouped-bar chart per attribute
    card = ModelCard(model_details=ModelDetails(name="learning-pathways-recommender"))
    visit = _open(browser, tmp_path, "sections_card", render_model_card(card, audit))
    _assert_clean(visit)
    assert visit.facts["charts"] == 3
