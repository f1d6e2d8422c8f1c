"""Templates: autoescaping, StrictUndefined, every context field used.

The documents are opened in a real browser by tests/test_documents_browser.py.
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest
from jinja2 import UndefinedError, meta
from report_helpers import make_audit

from govern.model_cards.card import ModelCard, ModelDetails, load_model_card
from govern.model_cards.card_page import CARD_SECTIONS
from govern.model_cards.charts import ChartPoint, fairness_chart_svg
from govern.model_cards.context import (
    FairnessSectionContext,
    ModelCardContext,
    RegisterPageContext,
    ReportContext,
)
from govern.model_cards.render import (
    model_card_context,
    render_model_card,
    render_report,
    report_context,
    template_environment,
)
from govern.results import AuditResult, ModelRef

CARD = Path(__file__).parent / "fixtures" / "cards" / "cv_screening.yaml"
HOSTILE = '<script>alert("x")</script>'


@pytest.fixture(autouse=True)
def _pinned_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")


def _hostile_audit() -> AuditResult:
    audit = make_audit()
    return audit.model_copy(update={"model": ModelRef(name=HOSTILE, version="1")})


# An HTML tag that a browser or a Markdown viewer would act on.
RAW_SCRIPT_TAG = re.compile(r"<script")


def test_environments_are_escaped_and_strict() -> None:
    html = template_environment("html")
    assert html.autoescape is True
    assert html.undefined.__name__ == "StrictUndefined"
    markdown = template_environment("markdown")
    assert markdown.undefined.__name__ == "StrictUndefined"
    assert markdown.from_string("{{ x }}").render(x=HOSTILE) == '&lt;script>alert("x")&lt;/script>'


def test_model_name_with_script_is_escaped_in_html_report() -> None:
    text = render_report(_hostile_audit(), fmt="html")
    assert "<script" not in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text


def test_model_name_with_script_is_inert_in_markdown_report() -> None:
    text = render_report(_hostile_audit(), fmt="markdown")
    assert not RAW_SCRIPT_TAG.search(text)
    assert '&lt;script>alert("x")&lt;/script>' in text
    assert "&amp;" not in text  # Markdown stays readable as plain text ("&" of groups kept)


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_card_fields_are_escaped(fmt: str) -> None:
    card = ModelCard(
        model_details=ModelDetails(name=HOSTILE, description=f"uses {HOSTILE} | pipes")
    )
    text = render_model_card(card, fmt=fmt)  # type: ignore[arg-type]
    assert not RAW_SCRIPT_TAG.search(text)
    assert ("&lt;script&gt;" if fmt == "html" else "&lt;script>") in text


def test_group_labels_are_escaped_inside_charts() -> None:
    svg = fairness_chart_svg(
        "sex",
        selection_rates=[ChartPoint(HOSTILE, 0.2, 0.1, 0.3)],
        impact_ratios=[ChartPoint(HOSTILE, 0.7, 0.6, 0.8)],
        title=f"chart of {HOSTILE}",
    )
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg


def test_markdown_cells_keep_pipes_inside_the_cell() -> None:
    audit = make_audit()
    assert audit.policy is not None
    rule = audit.policy.rules[0].model_copy(update={"sentence": "a | b\nc", "shortfalls": []})
    policy = audit.policy.model_copy(update={"rules": [rule]})
    text = render_report(audit.model_copy(update={"policy": policy}), fmt="markdown")
    assert "| a \\| b c |" in text


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_missing_context_field_fails_loudly(fmt: str) -> None:
    # A plain top-level field left out would render as blank text under Jinja's default
    # Undefined; StrictUndefined must raise instead.
    context = dict(report_context(make_audit(), fmt=fmt))  # type: ignore[arg-type]
    del context["verdict_heading"]
    name = "report.html.j2" if fmt == "html" else "report.md.j2"
    template = template_environment(fmt).get_template(name)  # type: ignore[arg-type]
    with pytest.raises(UndefinedError, match="'verdict_heading' is undefined"):
        template.render(**context)
    with pytest.raises(UndefinedError):
        template_environment().from_string("{{ nothing_here }}").render()


def _fields_used(source: str, fmt: str) -> set[str]:
    """Top-level names a template reads (Jinja's own analysis of the parsed template), with
    those of the page it extends and the partials it includes by name. ``body`` is the name a
    section partial's context is given with ``{% with %}``, not a field of the document."""
    environment = template_environment(fmt)  # type: ignore[arg-type]
    parsed = environment.parse(source)
    used = set(meta.find_undeclared_variables(parsed))
    for name in meta.find_referenced_templates(parsed):
        if name is not None:
            partial = (files("govern.templates") / name).read_text(encoding="utf-8")
            used |= _fields_used(partial, fmt) - {"body"}
    return used


@pytest.mark.parametrize(
    ("stem", "context"),
    [
        ("report", ReportContext),
        ("model_card", ModelCardContext),
        ("register", RegisterPageContext),
    ],
)
def test_templates_use_every_field_of_their_context(stem: str, context: type) -> None:
    root = files("govern.templates")
    for suffix, fmt in (("html", "html"), ("md", "markdown")):
        source = (root / f"{stem}.{suffix}.j2").read_text(encoding="utf-8")
        used = _fields_used(source, fmt)
        unknown = used - set(context.model_fields)
        assert not unknown, f"{stem}.{suffix}.j2 reads names its context lacks: {unknown}"
        unused = set(context.model_fields) - used
        if suffix == "md":
            unused -= {"css"}  # Markdown has no stylesheet
            # The report's machine word for the verdict styles the HTML verdict box only; a
            # reader of the Markdown gets the verdict in words.
            unused -= {"status"} if stem == "report" else set()
        assert not unused, f"{stem}.{suffix}.j2 ignores context fields: {unused}"


@pytest.mark.parametrize("suffix", ["html", "md"])
def test_the_fairness_partial_uses_every_field_of_its_context(suffix: str) -> None:
    source = (files("govern.templates") / f"_fairness.{suffix}.j2").read_text(encoding="utf-8")
    used = set(re.findall(r"\bbody\.([a-z_]+)", source))
    fields = set(FairnessSectionContext.model_fields)
    assert used <= fields, used - fields
    unused = fields - used - ({"charts", "level"} if suffix == "md" else set())
    assert not unused, f"_fairness.{suffix}.j2 ignores context fields: {unused}"


def test_card_shows_every_documentation_field() -> None:
    from govern.policies.fields import DOCUMENTATION_FIELDS

    shown = {
        f"{prefix}.{key}" if prefix else key for _, prefix, keys in CARD_SECTIONS for key, _ in keys
    }
    assert set(DOCUMENTATION_FIELDS) - {"model_details.description"} <= shown


def test_empty_card_fields_read_not_documented() -> None:
    card = ModelCard(model_details=ModelDetails(name="m"))
    text = render_model_card(card, fmt="markdown")
    assert "- **Primary uses:** Not documented." in text
    context = model_card_context(card)
    total = sum(len(section.fields) for section in context.sections)
    assert context.missing_count == total
    assert f"{total} fields of this card are not documented yet." in text


def test_contexts_hold_no_row_level_data() -> None:
    audit = make_audit()
    context = report_context(audit, card=load_model_card(CARD), fmt="markdown")
    dumped = context.model_dump_json()
    assert "applicant_id" not in dumped
    assert not re.search(r"A[0-9a-f]{8}", dumped)  # no applicant identifiers


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [
        ('<img src=x onerror="alert(1)">', '&lt;img src=x onerror="alert(1)">'),
        ("[appeal](javascript:alert(1))", "[appeal]\\(javascript:alert(1))"),
        ("![x](data:text/html;base64,PHNjcmlwdD4=)", "![x]\\(data:text/html;base64,PHNjcmlwdD4=)"),
        ("[x]: javascript:alert(1)", "\\[x]: javascript:alert(1)"),
        ("<javascript:alert(1)>", "&lt;javascript:alert(1)>"),
        ("&lt;script&gt;", "&amp;lt;script&amp;gt;"),
        ("[appeal](https://agency.example/appeal)", "[appeal](https://agency.example/appeal)"),
        ("[mail](mailto:hr@agency.example)", "[mail](mailto:hr@agency.example)"),
    ],
)
def test_markdown_values_are_inert(hostile: str, expected: str) -> None:
    markdown = template_environment("markdown")
    assert markdown.from_string("{{ x }}").render(x=hostile) == expected


def test_card_link_with_a_script_scheme_is_text_in_markdown() -> None:
    card = ModelCard(
        model_details=ModelDetails(name="m", description="[appeal](javascript:alert(1))")
    )
    text = render_model_card(card, fmt="markdown")
    assert "](javascript:" not in text and "]\\(javascript:alert(1))" in text
