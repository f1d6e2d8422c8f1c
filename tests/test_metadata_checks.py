"""Governance metadata holds plain text, and links only to http(s) and mailto."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from govern.metadata import (
    MSG_BAD_LINK,
    MSG_LINK_WITHOUT_HOST,
    MSG_NOT_PLAIN_TEXT,
    GovernanceMetadata,
    check_link,
)


def _meta(**fields: object) -> GovernanceMetadata:
    return GovernanceMetadata.model_validate(
        {"name": "m", "purpose": "recruitment", "subjects": ["applicants"], **fields}
    )


@pytest.mark.parametrize(
    "value",
    [
        "https://agency.example/appeal",
        "http://intranet.agency.example/ai/appeal",
        "mailto:appeals@agency.example",
        "hr-ai@agency.example",
        "Write to the HR director, 1 High Street",
        "Phone: 0300 123 4567",
    ],
)
def test_plain_text_and_safe_links_pass(value: str) -> None:
    assert check_link(value) == value
    assert _meta(appeal_route=value, contact=value).appeal_route == value


@pytest.mark.parametrize(
    ("value", "scheme"),
    [
        ("javascript:alert(document.cookie)", "javascript"),
        ("JaVaScRiPt:alert(1)", "javascript"),
        ("  javascript:alert(1)", "javascript"),
        ("data:text/html;base64,PHNjcmlwdD4=", "data"),
        ("vbscript:msgbox(1)", "vbscript"),
        ("file:///etc/passwd", "file"),
    ],
)
def test_other_schemes_are_refused(value: str, scheme: str) -> None:
    with pytest.raises(ValueError, match="link") as caught:
        check_link(value)
    assert str(caught.value) == MSG_BAD_LINK.format(scheme=scheme)
    with pytest.raises(ValidationError) as invalid:
        _meta(appeal_route=value)
    assert MSG_BAD_LINK.format(scheme=scheme) in str(invalid.value)


def test_a_web_link_needs_a_host() -> None:
    with pytest.raises(ValueError) as caught:
        check_link("https:/appeal")
    assert str(caught.value) == MSG_LINK_WITHOUT_HOST


@pytest.mark.parametrize(
    ("field", "value", "what"),
    [
        ("owner", "<script>alert(1)</script>", "HTML markup"),
        ("accountable_executive", "Director <img src=x onerror=alert(1)>", "HTML markup"),
        ("appeal_route", "java\tscript:alert(1)", "control characters"),
        ("vendor", "Acme \x1b]0;pwned\x07", "control characters"),
        ("data_sources", ["ATS 2021", "<iframe src=x>"], "HTML markup"),
    ],
)
def test_text_fields_hold_no_markup_or_control_characters(
    field: str, value: object, what: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _meta(**{field: value})
    assert MSG_NOT_PLAIN_TEXT.format(what=what) in str(caught.value)


def test_comparisons_in_text_are_not_markup() -> None:
    assert _meta(owner="Team A (<= 5 people) & partners").owner == "Team A (<= 5 people) & partners"
