"""The documents' structure and words: the executive summary, rules by outcome, requirements in
words, the glossary, the audit history, the card's governance block, the register page, the
public disclosure size, the same bytes from the same inputs, and hostile text kept inert.

No MLflow here (tests/test_documents_registry.py holds the register's side). Golden files live in
tests/fixtures/reports/; regenerate after an intended change with

    GOVERN_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_documents.py

and review the diff before committing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import get_args

import pytest
from document_helpers import (
    CSP,
    HOSTILE,
    governance_meta,
    history,
    hostile_meta,
    register_entries,
)
from report_helpers import make_audit

from govern.adapters.files import OutputFolder
from govern.adapters.registry import RunRecord
from govern.disclosure import PUBLIC_WITHHELD_SENTENCE, redact
from govern.errors import BadInputError
from govern.evidence.fairness import FairnessEvidence
from govern.model_cards import glossary as glossary_module
from govern.model_cards.card import ModelCard, ModelDetails, card_json_schema, load_model_card
from govern.model_cards.format import PURPOSE_LABELS, purpose_label, requirement_words
from govern.model_cards.register_page import RegisterEntry, render_register_page
from govern.model_cards.render import render_model_card, render_report
from govern.model_cards.summary import WITHHELD_FIGURES, executive_summary, groups_words
from govern.results import AuditResult, DisclosureRule, RuleResult
from govern.services.documents import (
    MSG_UNKNOWN_SUFFIX,
    VERSION_DESCRIPTION_END,
    document_format,
    history_entry,
    version_description,
)
from govern.vocabulary import Purpose

GOLDEN = Path(__file__).parent / "fixtures" / "reports"
CARD = Path(__file__).parent / "fixtures" / "cards" / "cv_screening.yaml"
STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")


@pytest.fixture(autouse=True)
def _pinned_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("GOVERN_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with GOVERN_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8")


def _with_rules(audit: AuditResult, rules: list[RuleResult]) -> AuditResult:
    assert audit.policy is not None
    return audit.model_copy(update={"policy": audit.policy.model_copy(update={"rules": rules})})


# -- words ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comparison", "words"),
    [
        ("impact_ratio >= 0.8", "Impact ratio at least 0.8"),
        ("equal_opportunity_difference <= 0.1", "Equal opportunity difference at most 0.1"),
        ("missing_register_fields <= 0", "Empty fields in the register entry: none"),
        ("audit_age_days <= 365", "Days since the last audit: at most 365"),
        ("substantive_fields >= 7", "Required model-card fields written: at least 7"),
        ("proxy_strength <= 0.5", "Strength of the strongest proxy (0 none, 1 full): at most 0.5"),
        ("something odd", "something odd"),
        (None, ""),
    ],
)
def test_requirements_are_written_in_words(comparison: str | None, words: str) -> None:
    assert requirement_words(comparison) == words


def test_every_purpose_of_the_vocabulary_has_a_label() -> None:
    assert set(PURPOSE_LABELS) == set(get_args(Purpose))
    assert purpose_label("recruitment") == "Recruitment or selection"


def test_every_oversight_and_status_of_the_register_has_words() -> None:
    from govern.metadata import DeploymentStatus, HumanOversight
    from govern.vocabulary import DEPLOYMENT_WORDS, OVERSIGHT_WORDS

    assert set(OVERSIGHT_WORDS) == set(get_args(HumanOversight))
    assert set(DEPLOYMENT_WORDS) == set(get_args(DeploymentStatus))


def test_a_document_s_format_follows_its_file_name() -> None:
    assert document_format(Path("a.md")) == "markdown"
    assert document_format(Path("A.HTML")) == "html"
    with pytest.raises(BadInputError) as error:
        document_format(Path("report.pdf"))
    assert str(error.value) == MSG_UNKNOWN_SUFFIX.format(path=Path("report.pdf"))


# -- the executive summary -----------------------------------------------------------------


def test_the_summary_names_every_group_that_falls_short_even_when_withheld() -> None:
    audit = make_audit()
    assert audit.policy is not None
    failing = audit.policy.rules[0].model_copy(
        update={
            "rule_id": "intersections",
            "title": "Intersectional impact ratio",
            "comparison": "impact_ratio >= 0.8",
            "shortfalls": [
                ("sex & ethnicity", "female & asian"),
                ("sex & ethnicity", "female & black"),
                ("sex & ethnicity", "male & other"),  # below the disclosure size
                ("ethnicity", "other"),
            ],
        }
    )
    fairness = redact(audit).evidence.get(FairnessEvidence)
    words = groups_words(failing, fairness)
    # figures as the report prints them, computed by report_helpers from the data
    assert words == (
        "by sex & ethnicity: female & asian (0.405), female & black (0.443), "
        f"male & other ({WITHHELD_FIGURES}); by ethnicity: other (0.529)"
    )
    text = render_report(_with_rules(audit, [failing]), fmt="markdown")
    summary = text.split("## Summary")[1].split("## The rules")[0]
    assert f"Falls short {words}." in summary
    assert "0.987" not in text  # never a withheld figure


def test_the_summary_says_what_it_means_and_what_to_do() -> None:
    audit = make_audit()
    summary = executive_summary(audit)
    assert summary is not None
    assert [f.title for f in summary.failures] == ["Four-fifths rule by sex"]
    assert summary.failures[0].groups == "by sex: female (0.679)"
    assert [f.title for f in summary.unknowns] == ["Intersectional impact ratio"]
    assert [(w.title, w.approver, w.until, w.expired) for w in summary.waivers] == [
        ("Model card complete", "Chief Data Officer", "2027-01-31", False)
    ]
    assert summary.meaning.startswith("If the model is used as it is, the people affected")
    assert summary.next_steps[0].startswith("Do not use the model for decisions about")
    assert "Fix the waived rule before the first waiver ends on 2027-01-31." in (summary.next_steps)
    assert executive_summary(make_audit(with_policy=False)) is None


def test_a_pass_with_warnings_is_said_so_and_warnings_are_never_red() -> None:
    audit = make_audit(failing=False)
    assert audit.policy is not None
    warning = audit.policy.rules[1].model_copy(update={"verdict": "fail", "sentence": "Gap."})
    audit = _with_rules(audit, [audit.policy.rules[0], warning])
    assert audit.status == "pass"
    html = render_report(audit)
    assert '<strong class="verdict-word">Passed, with warnings</strong>' in html
    assert '<span class="badge badge-warning">Warning</span>' in html
    assert 'class="badge badge-fail"' not in html and '"badge badge-pass">Met</span>' in html


def test_rules_are_grouped_by_outcome_failures_first() -> None:
    audit = make_audit()
    assert audit.policy is not None
    na = audit.policy.rules[0].model_copy(
        update={"rule_id": "later", "title": "Applies later", "verdict": "not_applicable"}
    )
    audit = _with_rules(audit, [na, *reversed(audit.policy.rules)])
    text = render_report(audit, fmt="markdown")
    rules = text.split("## The rules, by outcome")[1]
    assert re.findall(r"^### (.+)$", rules, flags=re.MULTILINE)[:4] == [
        "Blocking rules not met (1)",
        "Could not be checked (1)",
        "Waived (1)",
        "Not applicable (1)",
    ]
    html = render_report(audit)
    folded = html.split("<details>")[-1].split("</details>")[0]
    assert "Not applicable (1)" in folded and "Applies later" in folded


def test_measures_are_shown_in_their_units() -> None:
    audit = make_audit()
    assert audit.policy is not None
    count = audit.policy.rules[0].model_copy(
        update={
            "check": "documentation",
            "value": 7.0,
            "ci_low": None,
            "ci_high": None,
            "comparison": "substantive_fields >= 7",
            "shortfalls": [],
        }
    )
    text = render_report(_with_rules(audit, [count]), fmt="markdown")
    assert "| 7 | Required model-card fields written: at least 7 |" in text
    assert "7.000" not in text


# -- glossary and history ------------------------------------------------------------------


def _glossary_terms(text: str) -> list[str]:
    part = text.split("## Glossary", 1)[1] if "## Glossary" in text else ""
    return re.findall(r"^- \*\*(.+?):\*\*", part, flags=re.MULTILINE)


def test_the_glossary_explains_only_the_terms_the_document_uses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    judged = _glossary_terms(render_report(make_audit(), fmt="markdown"))
    assert {"Impact ratio", "Confidence interval", "Waiver", "Blocking rule", "Suppressed"} <= set(
        judged
    )
    assert "Proxy" not in judged  # no proxy in this audit
    unjudged = _glossary_terms(render_report(make_audit(with_policy=False), fmt="markdown"))
    assert "Waiver" not in unjudged and "Blocking rule" not in unjudged
    assert judged == sorted(judged, key=str.lower)
    # a term registered later (by a new report section) appears where its word is used
    monkeypatch.setattr(glossary_module, "_TERMS", dict(glossary_module._TERMS))
    glossary_module.register_term(
        glossary_module.Term("Gradient boosting", "Many small trees.", ("gradient-boosted",))
    )
    card = render_model_card(load_model_card(CARD), fmt="markdown")
    assert "- **Gradient boosting:** Many small trees." in card


def test_the_history_shows_every_audit_with_a_trend() -> None:
    audit = make_audit()
    text = render_report(audit, fmt="markdown", history=history())
    assert (
        "3 audits of this model since 2026-11-02: 2 did not pass, 1 passed. The latest "
        "(version 3, 2026-11-24) did not pass."
    ) in text
    assert (
        "| 3 (this audit) | 2026-11-24 09:30 UTC | public-sector-recruitment 1.0.0 | "
        "Did not pass | 1 failed | ethnicity 0.530; sex 0.680 |"
    ) in text
    html = render_report(audit, history=history())
    chart = html.split('<h2 id="history">')[1].split("</figure>")[0]
    assert 'aria-label="Demographic parity ratio by attribute across the model' in chart
    assert (
        "ethnicity 0.52 (v1), not published (v2), 0.53 (v3); sex 0.61 (v1), 0.85 (v2), 0.68 (v3)."
    ) in chart
    assert "a dashed line at the policy&#39;s 0.8" in chart
    assert "Audit history" not in render_report(audit, fmt="markdown")  # no history given


def test_history_entries_are_read_from_audit_runs() -> None:
    run = RunRecord(
        run_id="r1",
        experiment_id="1",
        status="FINISHED",
        started_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        params={
            "policy_name": "p",
            "policy_version": "2",
            "audited_at": "2026-11-01T10:00:00+00:00",
            "parity_ratios": json.dumps({"sex & ethnicity": 0.7}),
        },
        metrics={"rules_blocking_failed": 1.0, "demographic_parity_ratio/sex": 0.9},
        tags={"govern.audit.status": "fail", "govern.version": "4"},
    )
    entry = history_entry(run)
    assert entry is not None
    assert (entry.version, entry.status, entry.policy_name, entry.blocking_failed) == (
        "4",
        "fail",
        "p",
        1,
    )
    assert entry.audited_at == dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)
    assert entry.parity_ratios == {"sex & ethnicity": 0.7}  # the param, not the lossy names
    older = RunRecord(**{**run.__dict__, "params": {}})
    assert history_entry(older).parity_ratios == {"sex": 0.9}  # type: ignore[union-attr]
    assert history_entry(RunRecord(**{**run.__dict__, "tags": {}})) is None


# -- the model card and the register page --------------------------------------------------


def test_golden_card_with_the_register_and_history() -> None:
    card = load_model_card(CARD)
    text = render_model_card(
        card, make_audit(), fmt="markdown", metadata=governance_meta(), history=history()
    )
    assert "- **Owner:** HR Analytics team\n" in text  # the register's, not the card's
    assert "- **Status:** In a pilot\n" in text
    _golden("cv_screening_card_governed.md", text)


def test_golden_register_page() -> None:
    text = render_register_page(register_entries(), fmt="markdown", public_size=20)
    assert "3 models in the register, 1 of them not governed (flagged below)." in text
    assert "| legacy-ranker (**not governed**) | Not governed:" in text
    _golden("algorithm_register.md", text)


# -- HTML structure, bytes, hostile text ---------------------------------------------------


class _Page(HTMLParser):
    """What the tests check of a page: ids, tags, the CSP, tables' captions and headers."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.tags: list[str] = []
        self.csp: list[str] = []
        self.lang = ""
        self.tables = 0
        self.captions = 0
        self.headers = 0
        self.svg_depth = 0  # matplotlib's ids inside a chart are the chart's own

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append(tag)
        self.svg_depth += tag == "svg"
        if values.get("id") and not self.svg_depth:
            self.ids.append(str(values["id"]))
        if tag == "html":
            self.lang = values.get("lang") or ""
        if tag == "meta" and values.get("http-equiv") == "Content-Security-Policy":
            self.csp.append(values.get("content") or "")
        self.tables += tag == "table"
        self.captions += tag == "caption"
        self.headers += tag == "th"

    def handle_endtag(self, tag: str) -> None:
        self.svg_depth -= tag == "svg"


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


REPORT_SECTIONS = ["summary", "rules", "fairness", "history", "provenance", "glossary"]
CARD_SECTIONS = [
    "summary",
    "governance",
    "history",
    "model-details",
    "intended-use",
    "factors",
    "metrics",
    "evaluation-data",
    "training-data",
    "quantitative-analyses",
    "ethical-considerations",
    "caveats-and-recommendations",
    "human-oversight",
    "accountability-and-appeals",
    "glossary",
]


def test_html_documents_hold_every_required_section() -> None:
    report = _parse(render_report(make_audit(), history=history()))
    card = _parse(
        render_model_card(
            load_model_card(CARD), make_audit(), metadata=governance_meta(), history=history()
        )
    )
    register = _parse(render_register_page(register_entries(), public_size=20))
    assert [i for i in report.ids if i in REPORT_SECTIONS] == REPORT_SECTIONS
    assert {"rules-fail", "rules-insufficient-data", "rules-waived"} <= set(report.ids)
    assert [i for i in card.ids if i in CARD_SECTIONS] == CARD_SECTIONS
    assert register.ids[:2] == ["overview", "model-cv-screening"]
    for page in (report, card, register):
        assert page.csp == [CSP]
        assert page.lang == "en"
        assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
        assert page.tables == page.captions and page.headers > page.tables
        assert len(page.ids) == len(set(page.ids))


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_same_inputs_same_bytes_apart_from_timestamps(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def documents() -> list[str]:
        return [
            render_report(make_audit(), fmt=fmt, history=history()),  # type: ignore[arg-type]
            render_model_card(load_model_card(CARD), make_audit(), fmt=fmt),  # type: ignore[arg-type]
            render_register_page(register_entries(), fmt=fmt),  # type: ignore[arg-type]
        ]

    first = documents()
    assert documents() == first  # the same bytes, time pinned
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    later = documents()
    for one, other in zip(first, later, strict=True):
        assert one != other
        assert STAMP.sub("T", one.replace("2026-11-18 11:06 UTC", "T")) == STAMP.sub(
            "T", other.replace("2027-01-15 08:00 UTC", "T")
        )


def test_hostile_text_is_shown_and_inert_in_every_document() -> None:
    card = ModelCard(model_details=ModelDetails(name="cv-screening", description=HOSTILE))
    audit = make_audit(model_name=HOSTILE)
    entry = RegisterEntry(name="x", metadata=hostile_meta("x"), version="1")
    for fmt, shown in (
        ("html", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("markdown", "&lt;script>alert(1)&lt;/script>"),  # govern.markdown.inert
    ):
        for text in (
            render_model_card(card, fmt=fmt),  # type: ignore[arg-type]
            render_report(audit, fmt=fmt),  # type: ignore[arg-type]
            render_register_page([entry], fmt=fmt),  # type: ignore[arg-type]
        ):
            assert not re.search(r"(?<!\\)<script", text)
            assert shown in text


# -- disclosure for the public, files in subfolders, the version's description -------------


def test_the_public_size_withholds_more_and_never_less() -> None:
    internal = redact(make_audit())  # withholds groups under 30 people (and one to protect them)
    fairness = internal.evidence.get(FairnessEvidence)
    assert fairness is not None
    hidden = {(g.attribute, g.group) for g in fairness.groups if g.withheld}
    public = redact(
        internal.model_copy(update={"disclosure": DisclosureRule(min_size=80, audience="public")})
    )
    public_fairness = public.evidence.get(FairnessEvidence)
    assert public_fairness is not None
    now_hidden = {(g.attribute, g.group) for g in public_fairness.groups if g.withheld}
    assert hidden < now_hidden
    # every group under 80 people, of every table, counted from the unredacted audit
    everyone = make_audit().evidence.get(FairnessEvidence)
    assert everyone is not None
    small = {(g.attribute, g.group) for g in everyone.groups if g.n is not None and g.n < 80}
    assert small <= now_hidden
    text = render_report(public, fmt="markdown")
    assert "| mixed | 77 |" in render_report(internal, fmt="markdown")
    assert "| mixed | 77 |" not in text and "| mixed | suppressed |" in text
    assert "Published for everyone: figures of groups with fewer than 80 people" in text


def test_published_findings_never_quote_a_group_the_public_size_withholds() -> None:
    audit = make_audit()
    assert audit.policy is not None

    def rule(rule_id: str, group: str, sentence: str) -> RuleResult:
        return audit.policy.rules[0].model_copy(  # type: ignore[union-attr]
            update={
                "rule_id": rule_id,
                "attribute": "ethnicity",
                "group": group,
                "sentence": sentence,
                "details": ["56 records"],
            }
        )

    small = rule("small", "other", "Group 'other' of ethnicity was selected at 53% of 'mixed'.")
    quoting = rule("quoting", "white", "Group 'white' was selected at 84% of 'mixed'.")
    clear = rule("clear", "white", "Group 'white' of ethnicity was selected at 84%.")
    audit = _with_rules(audit, [small, quoting, clear])
    internal = redact(audit)  # the audit's own size (30): the evaluator's words stand
    assert internal.policy is not None
    assert [r.sentence for r in internal.policy.rules] == [
        small.sentence,
        quoting.sentence,
        clear.sentence,
    ]
    public = redact(
        audit.model_copy(update={"disclosure": DisclosureRule(min_size=80, audience="public")})
    )
    assert public.policy is not None
    withheld = PUBLIC_WITHHELD_SENTENCE.format(size=80)
    assert [r.sentence for r in public.policy.rules] == [withheld, withheld, clear.sentence]
    assert public.policy.rules[0].details == [] and public.policy.rules[0].value is None
    assert public.policy.rules[1].value == quoting.value  # 'white' itself may be published
    assert [r.verdict for r in public.policy.rules] == ["fail", "fail", "fail"]


def test_an_output_folder_keeps_files_of_the_same_name_in_subfolders(tmp_path: Path) -> None:
    names = ["page.html", "models/a/model_card.html", "models/b/model_card.html"]
    written = OutputFolder(tmp_path, names).write({name: name for name in names})
    for name, path in written.items():
        assert path.read_text() == name


def test_the_version_description_leads_with_the_verdict_and_keeps_the_team_text() -> None:
    audit = make_audit()
    link = "#/experiments/2/runs/abc123"
    text = version_description(audit, link, "Trained on the 2025 round.")
    first = text.splitlines()[0]
    assert first == (
        "**Governance audit: did not pass** on 2026-11-24 under policy "
        "public-sector-recruitment 1.0.0; 1 blocking rule failed, 0 could not be checked. "
        "Audit run [abc123](#/experiments/2/runs/abc123): its artifacts hold the compliance "
        "report, the model card and audit.json."
    )
    assert text.endswith(f"{VERSION_DESCRIPTION_END}\n\nTrained on the 2025 round.")
    passed = version_description(make_audit(failing=False), link, text)
    assert passed.startswith("**Governance audit: passed** on 2026-11-24")
    assert passed.count("Governance audit") == 1
    assert passed.endswith("Trained on the 2025 round.")


def test_the_card_schema_validates_the_card_files() -> None:
    import jsonschema
    import yaml

    schema = card_json_schema()
    assert schema["required"] == ["model_details"]
    jsonschema.validate(yaml.safe_load(CARD.read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"model_details": {"name": "m", "ownr": "typo"}}, schema)
